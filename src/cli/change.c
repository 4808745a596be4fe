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
#include "engine/engine.h"
#include "mime/mime.h"

static const struct {
	const char *name;
	char flag;
} change_flags[] = {
	{ "seen", 'S' }, { "read", 'S' }, { "replied", 'R' }, { "answered", 'R' },
	{ "flagged", 'F' }, { "draft", 'D' }, { "deleted", 'T' }, { "passed", 'P' },
};

/* Sends the journal to account's server; prints what happened. */
static void change_replay(struct config *cfg, const char *account)
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

/* Locates id, applies fn locally and journals it; then replays. */
static int change_run(struct cli_ctx *ctx, const char *id, const char *what,
		      int (*fn)(struct store *, const struct store_location *, const struct account *,
				void *, struct journal_entry *, char **),
		      void *arg)
{
	struct config *cfg = cli_config(ctx);
	struct store_location loc = { 0 };
	struct journal_entry je = { 0 };
	const struct account *a;
	struct store *s;
	char *cause = NULL;
	bool server;
	int status = CLI_OK;

	if (!cfg)
		return CLI_USAGE;
	if (!(s = output_store_open(cfg, NULL, STORE_WRITE)))
		return CLI_FAILED;
	if (store_locate(s, id, &loc, &cause) < 0) {
		fprintf(stderr, "petrel: %s\n", cause);
		free(cause);
		store_close(&s);
		return CLI_FAILED;
	}
	a = config_account(cfg, loc.account);
	server = a && strcmp(config_account_type(a), "imap") == 0 && loc.uid;
	if (store_begin(s, &cause) < 0 || fn(s, &loc, a, arg, &je, &cause) < 0 ||
	    (server && je.op && store_journal_append(s, loc.account, &je, &cause) < 0) ||
	    store_commit(s, &cause) < 0) {
		fprintf(stderr, "petrel: cannot %s: %s\n", what, cause);
		free(cause);
		status = CLI_FAILED;
	}
	free(je.arg);
	free(je.file);
	store_close(&s);
	if (status == CLI_OK && server && je.op)
		change_replay(cfg, loc.account);
	store_location_release(&loc);
	return status;
}

static int change_flags_apply(struct store *s, const struct store_location *loc,
			      const struct account *a, void *arg, struct journal_entry *je,
			      char **cause)
{
	const char *changes = arg, *cur = store_maildir_flags(loc->path);
	struct strbuf delta = STRBUF_INIT;
	char want[16];
	size_t n = 0;

	(void)a;
	for (const char *c = "DFPRST"; *c; c++) {
		bool on = strchr(cur, *c) != NULL;
		for (const char *p = changes; *p; p += 2)
			if (p[1] == *c)
				on = p[0] == '+';
		if (on)
			want[n++] = *c;
		if (on != (strchr(cur, *c) != NULL) && *c != 'P')
			strbuf_addf(&delta, "%c%c", on ? '+' : '-', *c);
	}
	want[n] = '\0';
	if (store_set_flags(s, loc->path, want, cause) < 0) {
		strbuf_release(&delta);
		return -1;
	}
	if (delta.len) {
		je->op = "flags";
		je->folder = loc->folder;
		je->uid = loc->uid;
		je->arg = strbuf_detach(&delta);
	}
	strbuf_release(&delta);
	return 0;
}

int cli_flag(struct cli_ctx *ctx, int argc, char **argv)
{
	struct strbuf changes = STRBUF_INIT;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: petrel flag ID +FLAG|-FLAG ... (seen, replied, flagged, "
			"draft, deleted, passed)\n");
		return CLI_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		size_t k;
		if (argv[i][0] != '+' && argv[i][0] != '-')
			goto bad;
		for (k = 0; k < ARRAY_SIZE(change_flags); k++)
			if (strcasecmp(argv[i] + 1, change_flags[k].name) == 0)
				break;
		if (k == ARRAY_SIZE(change_flags))
			goto bad;
		strbuf_addf(&changes, "%c%c", argv[i][0], change_flags[k].flag);
		continue;
bad:
		fprintf(stderr, "petrel: '%s' is not a flag change; write +seen, -flagged, ... "
			"(seen, replied, flagged, draft, deleted, passed)\n", argv[i]);
		strbuf_release(&changes);
		return CLI_USAGE;
	}
	rc = change_run(ctx, argv[1], "change the flags", change_flags_apply, changes.buf);
	strbuf_release(&changes);
	return rc;
}

static int change_move_apply(struct store *s, const struct store_location *loc,
			     const struct account *a, void *arg, struct journal_entry *je,
			     char **cause)
{
	const char *dest = arg;
	char *newpath = NULL;

	(void)a;
	if (strcmp(dest, loc->folder) == 0) {
		*cause = xasprintf("the message is already in %s", dest);
		return -1;
	}
	if (store_move_file(s, loc->path, loc->account, dest, &newpath, cause) < 0)
		return -1;
	je->op = "move";
	je->folder = loc->folder;
	je->uid = loc->uid;
	je->arg = xstrdup(dest);
	je->file = xstrdup(strrchr(newpath, '/') + 1);
	free(newpath);
	return 0;
}

int cli_move(struct cli_ctx *ctx, int argc, char **argv)
{
	char *why = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: petrel move ID FOLDER\n");
		return CLI_USAGE;
	}
	if (!store_folder_valid(argv[2], &why)) {
		fprintf(stderr, "petrel: %s\n", why);
		free(why);
		return CLI_USAGE;
	}
	return change_run(ctx, argv[1], "move the message", change_move_apply, argv[2]);
}

static int change_delete_apply(struct store *s, const struct store_location *loc,
			       const struct account *a, void *arg, struct journal_entry *je,
			       char **cause)
{
	const char *trash = a ? config_get(a, OPTION_TRASH_FOLDER) : "Trash";
	bool expunge = !a || strcmp(config_get(a, OPTION_DELETE), "expunge") == 0 ||
		       strcmp(loc->folder, trash) == 0;

	(void)arg;
	if (!expunge)
		return change_move_apply(s, loc, a, (void *)trash, je, cause);
	if (store_remove_file(s, loc->path, cause) < 0)
		return -1;
	je->op = "delete";
	je->folder = loc->folder;
	je->uid = loc->uid;
	return 0;
}

int cli_delete(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: petrel delete ID\n");
		return CLI_USAGE;
	}
	return change_run(ctx, argv[1], "delete the message", change_delete_apply, NULL);
}

/* petrel folder create|rename|delete ACCOUNT FOLDER [NEW]: like the message
 * changes, done in the store at once and journaled for the server. */
int cli_folder(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *usage = "usage: petrel folder create ACCOUNT FOLDER | "
			    "rename ACCOUNT FOLDER NEW | delete ACCOUNT FOLDER\n";
	struct config *cfg;
	const struct account *a;
	struct journal_entry je = { 0 };
	struct store *s;
	char *cause = NULL;
	bool server;
	int rc = -1;

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
	for (int i = 3; i < argc; i++)
		if (!store_folder_valid(argv[i], &cause)) {
			fprintf(stderr, "petrel: %s\n", cause);
			free(cause);
			return CLI_USAGE;
		}
	if (strcmp(argv[3], "INBOX") == 0 && strcmp(argv[1], "create") != 0) {
		fprintf(stderr, "petrel: INBOX cannot be renamed or deleted\n");
		return CLI_USAGE;
	}
	server = strcmp(config_account_type(a), "imap") == 0;
	if (!(s = output_store_open(cfg, a->name, STORE_WRITE)))
		return CLI_FAILED;
	je.folder = argv[3];
	if (store_begin(s, &cause) == 0) {
		if (strcmp(argv[1], "create") == 0) {
			je.op = "folder-create";
			rc = store_folder_create(s, a->name, argv[3], &cause);
		} else if (strcmp(argv[1], "rename") == 0) {
			je.op = "folder-rename";
			je.arg = argv[4];
			rc = store_folder_rename(s, a->name, argv[3], argv[4], &cause);
		} else {
			je.op = "folder-delete";
			rc = store_folder_delete(s, a->name, argv[3], &cause);
		}
		if (rc == 0 && server)
			rc = store_journal_append(s, a->name, &je, &cause);
		{
			char *late = NULL;  /* the first cause is the one to report */
			if (store_commit(s, &late) < 0 && rc == 0) {
				cause = late;
				late = NULL;
				rc = -1;
			}
			free(late);
		}
	}
	store_close(&s);
	if (rc < 0) {
		fprintf(stderr, "petrel: cannot %s the folder: %s\n", argv[1], cause);
		free(cause);
		return CLI_FAILED;
	}
	if (server)
		change_replay(cfg, a->name);
	return CLI_OK;
}
