/*
 * petrel list [--account A] [--folder F] [--limit N] [--json]: messages of
 * the store, newest first, read offline.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/util.h"
#include "engine/engine.h"
#include "mime/mime.h"

struct list_state {
	bool json;
	unsigned n;
};

static void list_one(const struct store_msg *m, void *arg)
{
	struct list_state *st = arg;

	output_message(stdout, m, st->json, st->n++ == 0);
}

/* Shared by list and search: runs query and prints the result. */
static int cli_list_query(struct cli_ctx *ctx, const char *account, const char *query,
		   unsigned limit, bool json)
{
	struct config *cfg = cli_config(ctx);
	struct list_state st = { json, 0 };
	struct store *s;
	char *cause = NULL;
	int rc;

	if (!cfg)
		return CLI_USAGE;
	if (!(s = output_store_open(cfg, account, STORE_READ)))
		return CLI_FAILED;
	rc = store_query(s, query, limit, STORE_NEWEST_FIRST, list_one, &st, &cause);
	if (rc < 0) {
		fprintf(stderr, "petrel: %s\n", cause);
		free(cause);
	}
	if (json)
		fputs(st.n ? "\n]\n" : "[]\n", stdout);
	store_close(&s);
	return rc < 0 ? CLI_FAILED : CLI_OK;
}

int cli_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "account", required_argument, NULL, 'a' },
		{ "folder", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *account = NULL, *folder = NULL;
	unsigned limit = 50;
	bool json = false;
	char *query, *why = NULL;
	int c, rc;

	optind = 0;  /* 0: glibc re-initialises getopt (main used "+" mode) */
	while ((c = getopt_long(argc, argv, "a:f:n:j", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': account = optarg; break;
		case 'f': folder = optarg; break;
		case 'n':
			if (!output_parse_limit(optarg, &limit))
				return CLI_USAGE;
			break;
		case 'j': json = true; break;
		default:
			fprintf(stderr, "usage: petrel list [--account A] [--folder F] [--limit N] [--json]\n");
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: petrel list [--account A] [--folder F] [--limit N] [--json]\n");
		return CLI_USAGE;
	}
	if (folder && !store_folder_valid(folder, &why)) {
		fprintf(stderr, "petrel: %s\n", why);
		free(why);
		return CLI_USAGE;
	}
	if (folder && !account) {
		/* the folder in every account */
		struct config *cfg = cli_config(ctx);
		struct strbuf sb = STRBUF_INIT;
		if (!cfg)
			return CLI_USAGE;
		for (size_t i = 0; i < cfg->n_accounts; i++) {
			char *q = store_folder_query(cfg->accounts[i]->name, folder);
			strbuf_addf(&sb, "%s%s", sb.len ? " or " : "", q);
			free(q);
		}
		query = sb.len ? strbuf_detach(&sb) : xstrdup("id:\"\"");
		strbuf_release(&sb);
	} else if (account) {
		query = store_folder_query(account, folder);
	} else {
		query = xstrdup("*");
	}
	rc = cli_list_query(ctx, account, query, limit, json);
	free(query);
	return rc;
}

/* petrel search --server: each IMAP account's server (or the one named)
 * searches; what it finds is stored header-only and listed like a local
 * search of those messages. */
static int search_server(struct cli_ctx *ctx, const char *account, const char *folder,
			 const char *query, unsigned limit, bool json)
{
	struct config *cfg = cli_config(ctx);
	char **found = NULL, *arg;
	size_t n = 0;
	struct strbuf ids = STRBUF_INIT;
	int rc = CLI_OK, searched = 0;

	if (!cfg)
		return CLI_USAGE;
	if (account && !config_account(cfg, account)) {
		fprintf(stderr, "petrel: no account called '%s'\n", account);
		return CLI_USAGE;
	}
	arg = xasprintf("%u\n%s\n%s", limit, folder ? folder : "", query);
	for (size_t i = 0; i < cfg->n_accounts; i++) {
		const struct account *a = cfg->accounts[i];
		char *why;

		if (account ? strcmp(a->name, account) != 0
			    : strcmp(config_account_type(a), "imap") != 0)
			continue;
		searched++;
		why = output_engine_run_found(cfg, a->name, ENGINE_CMD_SEARCH, arg, 0,
					      "searching the server...", &found, &n);
		if (why) {
			char *safe = sanitize_line(why);
			fprintf(stderr, "petrel: %s: %s\n", a->name, safe);
			rc = strstr(why, "the server search") || strstr(why, "nothing to search") ||
					     strstr(why, "dates are") || strstr(why, "date range")
				     ? CLI_USAGE : CLI_FAILED;
			free(safe);
			free(why);
		}
	}
	free(arg);
	if (!searched) {
		fprintf(stderr, "petrel: no IMAP account to search (POP3 servers cannot search)\n");
		return CLI_USAGE;
	}
	for (size_t i = 0; i < n; i++) {
		/* a notmuch query of exactly these messages */
		strbuf_addf(&ids, "%sid:\"", i ? " or " : "");
		for (const char *p = found[i]; *p; p++) {
			if (*p == '"')
				strbuf_addch(&ids, '"');
			strbuf_addch(&ids, *p);
		}
		strbuf_addch(&ids, '"');
		free(found[i]);
	}
	free(found);
	if (n) {
		int lrc = cli_list_query(ctx, account, strbuf_str(&ids), limit, json);
		if (lrc != CLI_OK && rc == CLI_OK)
			rc = lrc;
	} else if (json) {
		printf("[]\n");
	}
	strbuf_release(&ids);
	return rc;
}

int cli_search(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "account", required_argument, NULL, 'a' },
		{ "server", no_argument, NULL, 's' },
		{ "folder", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "usage: petrel search QUERY [--limit N] [--json] [--account A]\n"
				    "       petrel search --server [--account A] [--folder F] "
				    "[--limit N] [--json] QUERY\n";
	const char *account = NULL, *folder = NULL;
	unsigned limit = 50;
	bool json = false, server = false;
	struct strbuf q = STRBUF_INIT;
	int c, rc;

	optind = 0;  /* 0: glibc re-initialises getopt (main used "+" mode) */
	while ((c = getopt_long(argc, argv, "n:ja:sf:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!output_parse_limit(optarg, &limit))
				return CLI_USAGE;
			break;
		case 'j': json = true; break;
		case 'a': account = optarg; break;
		case 's': server = true; break;
		case 'f': folder = optarg; break;
		default:
			fputs(usage, stderr);
			return CLI_USAGE;
		}
	}
	if (optind >= argc || (folder && !server)) {
		fputs(usage, stderr);
		return CLI_USAGE;
	}
	for (int i = optind; i < argc; i++)
		strbuf_addf(&q, "%s%s", i > optind ? " " : "", argv[i]);
	if (server)
		rc = search_server(ctx, account, folder, strbuf_str(&q), limit, json);
	else
		rc = cli_list_query(ctx, account, strbuf_str(&q), limit, json);
	strbuf_release(&q);
	return rc;
}
