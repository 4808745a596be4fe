/*
 * petrel folders [ACCOUNT]: TSV of account, folder, total, unread.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/util.h"
#include "mime/mime.h"

struct folders_state {
	struct store *store;
	int status;
};

static void folders_one(const char *account, const char *folder, void *arg)
{
	struct folders_state *st = arg;
	char *q = store_folder_query(account, folder), *qu, *cause = NULL;
	char *sa = sanitize_line(account), *sf = sanitize_line(folder);
	unsigned total = 0, unread = 0;

	qu = xasprintf("%s and tag:unread", q);
	if (store_count(st->store, q, &total, &cause) < 0 ||
	    store_count(st->store, qu, &unread, &cause) < 0) {
		fprintf(stderr, "petrel: %s\n", cause);
		free(cause);
		st->status = CLI_FAILED;
	}
	printf("%s\t%s\t%u\t%u\n", sa, sf, total, unread);
	free(sa);
	free(sf);
	free(q);
	free(qu);
}

int cli_folders(struct cli_ctx *ctx, int argc, char **argv)
{
	struct config *cfg;
	struct folders_state st = { NULL, CLI_OK };
	char *cause = NULL;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: petrel folders [ACCOUNT]\n");
		return CLI_USAGE;
	}
	if (!(cfg = cli_config(ctx)))
		return CLI_USAGE;
	if (!(st.store = output_store_open(cfg, argc == 2 ? argv[1] : NULL, STORE_READ)))
		return CLI_FAILED;
	if (store_folders(st.store, argc == 2 ? argv[1] : NULL, folders_one, &st, &cause) < 0) {
		fprintf(stderr, "petrel: %s\n", cause);
		free(cause);
		st.status = CLI_FAILED;
	}
	store_close(&st.store);
	return st.status;
}
