/*
 * The table of subcommands and their dispatch.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "mime/mime.h"

#define CLI_DEFAULT_CONFIG "[account local]\ntype = local\n"

static const struct cli_cmd {
	const char *name;
	int (*run)(struct cli_ctx *, int, char **);
	const char *args;
	const char *help;
} cli_cmds[] = {
	{ "check", cli_check, "[ACCOUNT]",
	  "connect to every server of the accounts, verify TLS, log in, report" },
	{ "sync", cli_sync, "[ACCOUNT] [--folder F] [--headers-only]",
	  "bring the store up to date with the servers (headers first, newest first)" },
	{ "watch", cli_watch, "[ACCOUNT]",
	  "stay connected (IMAP IDLE) and print a line for each new message" },
	{ "flag", cli_flag, "ID +FLAG|-FLAG ...",
	  "change flags (seen, replied, flagged, draft, deleted, passed) here and on the server" },
	{ "move", cli_move, "ID FOLDER", "move a message to another folder of its account" },
	{ "copy", cli_copy, "ID FOLDER", "copy a message to another folder of its account" },
	{ "delete", cli_delete, "ID", "delete a message (to trash-folder, or for good)" },
	{ "folder", cli_folder, "create|rename|delete ACCOUNT FOLDER [NEW]",
	  "create, rename or delete a folder, here and on the server" },
	{ "folders", cli_folders, "[ACCOUNT]",
	  "folders of the local store: account, folder, total, unread (TSV)" },
	{ "list", cli_list, "[--account A] [--folder F] [--limit N] [--json]",
	  "messages of the store, newest first" },
	{ "search", cli_search, "QUERY [--limit N] [--json]",
	  "search the store (notmuch query syntax)" },
	{ "show", cli_show, "ID [--raw] [--headers all]",
	  "a message, rendered for reading (fetched first if only its headers are here)" },
	{ "save", cli_save, "ID PART DIR [--force]",
	  "save attachment PART of a message into DIR under a safe name" },
	{ "import", cli_import, "ACCOUNT FOLDER PATH",
	  "copy a Maildir, an mbox or message files into the store" },
	{ "send", cli_send, "[--account A] [--queue-only] FILE|-",
	  "queue a message or a draft for sending and deliver it" },
	{ "queue", cli_queue, "[--json] | retry ID | cancel ID | flush [ACCOUNT]",
	  "the send queue: each message with its state and last error" },
	{ "compose", cli_compose,
	  "[--account A] [--to ADDR] [--subject S] [--attach FILE]... [--resume ID] [--print|--postpone]",
	  "write a new message in $EDITOR, then queue it for sending" },
	{ "reply", cli_reply, "[--all] [--print|--postpone] ID",
	  "answer a message (--all: everyone it went to, but you) in $EDITOR" },
	{ "forward", cli_forward, "[--attach] [--to ADDR] [--print|--postpone] ID",
	  "pass a message on, inline or (--attach) as an attachment, in $EDITOR" },
	{ "options", cli_options, "[--names]",
	  "list every configuration option with its type, default and help" },
};

struct config *cli_config(struct cli_ctx *ctx)
{
	char *path, *cause = NULL;

	if (ctx->config)
		return ctx->config;
	path = config_default_path(ctx->config_path);
	if (!ctx->config_path && !getenv("PETREL_CONFIG") && access(path, F_OK) < 0 &&
	    errno == ENOENT) {
		/* No config at all: one local account, for trying petrel and for
		 * reading archives (petrel import local INBOX FILE). */
		ctx->config = config_parse(CLI_DEFAULT_CONFIG, "(built-in config)", 0600, &cause);
		if (!ctx->config)
			BUG("built-in config: %s", cause);
		free(path);
		return ctx->config;
	}
	ctx->config = config_load(path, &cause);
	if (!ctx->config) {
		fprintf(stderr, "petrel: %s\n", cause);
		free(cause);
	} else {
		const char *log = config_global(ctx->config, OPTION_LOG_FILE);

		mime_set_html_command(config_global(ctx->config, OPTION_HTML_COMMAND));
		/* PETREL_DEBUG (opened in main) wins over the file's log-file */
		if (log && *log && !getenv("PETREL_DEBUG")) {
			char *full = config_expand_path(log);
			if (!log_open(full, &cause)) {
				fprintf(stderr, "petrel: %s (logging stays off)\n", cause);
				free(cause);
			}
			free(full);
		}
	}
	free(path);
	return ctx->config;
}

bool cli_known(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cli_cmds); i++)
		if (strcmp(cli_cmds[i].name, name) == 0)
			return true;
	return false;
}

int cli_run(struct cli_ctx *ctx, int argc, char **argv)
{
	for (size_t i = 0; i < ARRAY_SIZE(cli_cmds); i++)
		if (strcmp(cli_cmds[i].name, argv[0]) == 0)
			return cli_cmds[i].run(ctx, argc, argv);
	fprintf(stderr, "petrel: unknown command '%s' (petrel --help lists them)\n", argv[0]);
	return CLI_USAGE;
}

void cli_usage(void *fp)
{
	FILE *f = fp;

	fprintf(f, "usage: petrel [-c FILE] [COMMAND [ARGS]]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cli_cmds); i++)
		fprintf(f, "  %-8s %s\n  %-8s   %s\n", cli_cmds[i].name, cli_cmds[i].args, "",
			cli_cmds[i].help);
	fprintf(f, "\nThe configuration is read from -c FILE, $PETREL_CONFIG, or\n"
		   "$XDG_CONFIG_HOME/petrel/config; see petrel(1) and petrel.conf(5).\n");
}
