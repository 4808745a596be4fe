/*
 * petrel flag ID +seen -flagged ..., petrel move ID FOLDER, petrel delete ID:
 * changes applied to the store at once, written to the account's journal
 * (fsynced) and then sent to the server; when the server cannot be reached
 * they wait in the journal for the next sync.  Exit 0 once the change is
 * safe locally, whatever the server's state.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/util.h"
#include "engine/change.h"
#include "engine/engine.h"
#include "mime/mime.h"

/* Sends the journal to account's server; prints what happened. */
void cli_change_replay(struct config *cfg, const char *account)
{
	char *why = output_engine_run(cfg, account, ENGINE_CMD_SYNC, NULL,
				      ENGINE_SYNC_REPLAY_ONLY, NULL);

	if (why) {
		char *safe = sanitize_line(why);
		fprintf(stderr, "petrel: done here; the server will get it at the next sync (%s)\n",
			safe);
		free(safe);
		free(why);
	}
}

/* Applies the change to message id locally (engine/change.c), then replays
 * the journal when the change has to reach a server. */
static int change_run(struct cli_ctx *ctx, const char *id, const char *what,
		      enum change_op op, const char *arg)
{
	struct config *cfg = cli_config(ctx);
	struct change_result res = { 0 };
	struct store *s;
	char *cause = NULL;
	int rc;

	if (!cfg)
		return CLI_USAGE;
	if (!(s = output_store_open(cfg, NULL, STORE_WRITE)))
		return CLI_FAILED;
	if ((rc = change_apply(s, cfg, id, op, arg, &res, &cause)) < 0) {
		if (rc == -2)   /* no such message: the cause says it all */
			fprintf(stderr, "petrel: %s\n", cause);
		else
			fprintf(stderr, "petrel: cannot %s: %s\n", what, cause);
		free(cause);
		store_close(&s);
		return CLI_FAILED;
	}
	store_close(&s);
	if (res.journaled)
		cli_change_replay(cfg, res.account);
	change_result_release(&res);
	return CLI_OK;
}

int cli_flag(struct cli_ctx *ctx, int argc, char **argv)
{
	struct strbuf changes = STRBUF_INIT, keywords = STRBUF_INIT;
	int rc = CLI_OK;

	if (argc < 3) {
		fprintf(stderr, "usage: petrel flag ID +FLAG|-FLAG ... (seen, replied, flagged, "
			"draft, deleted, passed, or an IMAP keyword: +work, -$Junk)\n");
		return CLI_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		char f[3];
		if (change_flag_parse(argv[i], f)) {
			strbuf_addf(&changes, "%s", f);
		} else if ((argv[i][0] == '+' || argv[i][0] == '-') &&
			   store_keyword_valid(argv[i] + 1)) {
			strbuf_addf(&keywords, "%s%s", keywords.len ? " " : "", argv[i]);
		} else {
			fprintf(stderr, "petrel: '%s' is not a flag change; write +seen, -flagged, "
				"... (seen, replied, flagged, draft, deleted, passed) or +KEYWORD "
				"(letters, digits, $ and such, no blanks)\n", argv[i]);
			strbuf_release(&changes);
			strbuf_release(&keywords);
			return CLI_USAGE;
		}
	}
	if (changes.len)
		rc = change_run(ctx, argv[1], "change the flags", CHANGE_FLAGS, changes.buf);
	if (rc == CLI_OK && keywords.len)
		rc = change_run(ctx, argv[1], "change the keywords", CHANGE_KEYWORDS, keywords.buf);
	strbuf_release(&changes);
	strbuf_release(&keywords);
	return rc;
}

/* petrel move|copy ID FOLDER */
static int cli_to_folder(struct cli_ctx *ctx, int argc, char **argv, const char *name,
			 const char *what, enum change_op op)
{
	char *why = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: petrel %s ID FOLDER\n", name);
		return CLI_USAGE;
	}
	if (!store_folder_valid(argv[2], &why)) {
		fprintf(stderr, "petrel: %s\n", why);
		free(why);
		return CLI_USAGE;
	}
	return change_run(ctx, argv[1], what, op, argv[2]);
}

int cli_move(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_to_folder(ctx, argc, argv, "move", "move the message", CHANGE_MOVE);
}

int cli_copy(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_to_folder(ctx, argc, argv, "copy", "copy the message", CHANGE_COPY);
}

int cli_delete(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: petrel delete ID\n");
		return CLI_USAGE;
	}
	return change_run(ctx, argv[1], "delete the message", CHANGE_DELETE, NULL);
}

/* petrel folder create|rename|delete ACCOUNT FOLDER [NEW]: like the message
 * changes, done in the store at once and journaled for the server. */
int cli_folder(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *usage = "usage: petrel folder create ACCOUNT FOLDER | "
			    "rename ACCOUNT FOLDER NEW | delete ACCOUNT FOLDER\n";
	struct config *cfg;
	const struct account *a;
	struct store *s;
	char *cause = NULL;
	int rc;

	if (argc < 4 || (strcmp(argv[1], "rename") == 0) != (argc == 5) || argc > 5 ||
	    (strcmp(argv[1], "create") != 0 && strcmp(argv[1], "rename") != 0 &&
	     strcmp(argv[1], "delete") != 0)) {
		fputs(usage, stderr);
		return CLI_USAGE;
	}
	if (!(cfg = cli_config(ctx)))
		return CLI_USAGE;
	if (!(a = config_account(cfg, argv[2]))) {
		fprintf(stderr, "petrel: no account called '%s' in %s\n", argv[2], cfg->path);
		return CLI_USAGE;
	}
	if (!(s = output_store_open(cfg, a->name, STORE_WRITE)))
		return CLI_FAILED;
	rc = change_folder(s, a, argv[1], argv[3], argc == 5 ? argv[4] : NULL, &cause);
	store_close(&s);
	if (rc == -2) {
		fprintf(stderr, "petrel: %s\n", cause);
		free(cause);
		return CLI_USAGE;
	}
	if (rc < 0) {
		fprintf(stderr, "petrel: cannot %s the folder: %s\n", argv[1], cause);
		free(cause);
		return CLI_FAILED;
	}
	if (strcmp(config_account_type(a), "imap") == 0)
		cli_change_replay(cfg, a->name);
	return CLI_OK;
}
