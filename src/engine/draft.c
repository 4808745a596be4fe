/*
 * Drafts through the engine, for the terminal UI (the account's worker is
 * the one writer of the store): postponing a message into the drafts
 * folder, and taking a queued message back out of the send queue into it.
 * Both are applied to the store at once and reach an IMAP server through
 * the journal, like any change (engine/change.c has the shared parts, which
 * the CLI calls directly).
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "engine/change.h"
#include "engine/private.h"
#include "store/store.h"

#define DRAFT_MAX (64u << 20)

/* Opens the account's store for writing; NULL after an ERROR event. */
static struct store *draft_store(struct engine_worker *w)
{
	const struct account *a = engine_worker_account(w);
	char *dir = store_data_dir(a->config, a), *cause = NULL;
	struct store *st = store_open(dir, STORE_WRITE, &cause);

	free(dir);
	if (!st)
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL, cause);
	return st;
}

/* After a filing: readers reopen; an IMAP server gets the draft now if it
 * can be reached (else at the next sync: the filing itself succeeded). */
static void draft_done(struct engine_worker *w)
{
	const struct account *a = engine_worker_account(w);

	engine_post_text(w, ENGINE_EVENT_CHANGED, config_get(a, OPTION_DRAFTS_FOLDER), NULL);
	if (strcmp(config_account_type(a), "imap") == 0)
		engine_op_sync(w, NULL, ENGINE_SYNC_REPLAY_ONLY);
}

bool engine_op_postpone(struct engine_worker *w, const char *path)
{
	const struct account *a = engine_worker_account(w);
	char *cause = NULL, *msg;
	struct store *st;
	size_t len;
	int rc;

	if (!path || !(msg = store_read_file(path, DRAFT_MAX, &len, &cause))) {
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL,
			   cause ? cause : xstrdup("no draft file was given"));
		return false;
	}
	if (!(st = draft_store(w))) {
		free(msg);
		return false;
	}
	rc = change_file_draft(st, a, msg, len, NULL, &cause);
	store_close(&st);
	free(msg);
	if (rc < 0) {
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL, xasprintf("not postponed: %s", cause));
		free(cause);
		return false;
	}
	if (rc > 0)
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL,
			   xasprintf("the draft is kept here but will not reach the server: %s",
				     cause));
	free(cause);
	draft_done(w);
	return true;
}

bool engine_op_unqueue(struct engine_worker *w, const char *id)
{
	const struct account *a = engine_worker_account(w);
	char *qdir = store_queue_dir(a->config, a), *cause = NULL;
	struct store *st = draft_store(w);
	int rc;

	if (!st) {
		free(qdir);
		return false;
	}
	rc = change_unqueue(st, a, qdir, id ? id : "", &cause);
	store_close(&st);
	free(qdir);
	switch (rc) {
	case 0:
		if (cause)
			engine_post_text(w, ENGINE_EVENT_ERROR, NULL,
				   xasprintf("the message is back in the drafts folder here, but will "
					     "not reach the server: %s", cause));
		draft_done(w);
		free(cause);
		return true;
	case -2:
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL,
			   xstrdup("it is being sent right now; try again in a moment"));
		break;
	case -3:
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL,
			   xstrdup("it was sent already; only its Sent copy waits"));
		break;
	default:
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL, xasprintf("not cancelled: %s", cause));
		break;
	}
	free(cause);
	return false;
}
