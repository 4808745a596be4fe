/*
 * The sync operation: log in to the account's IMAP server, list its folders,
 * and sync each (INBOX first) into the store, posting progress and a
 * CHANGED event per folder so readers can reopen.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "engine/private.h"
#include "imap/imap.h"
#include "store/store.h"

struct sync_progress {
	struct engine_worker *w;
};

static void sync_progress(void *arg, const char *folder, unsigned done, unsigned total)
{
	struct sync_progress *p = arg;
	struct engine_event *ev = engine_event_new(p->w, ENGINE_EVENT_PROGRESS);

	ev->folder = xstrdup(folder);
	ev->done = done;
	ev->total = total;
	engine_post(p->w, ev);
	ev = engine_event_new(p->w, ENGINE_EVENT_CHANGED);
	ev->folder = xstrdup(folder);
	engine_post(p->w, ev);
}

static void sync_error(struct engine_worker *w, const char *folder, const char *text)
{
	struct engine_event *ev = engine_event_new(w, ENGINE_EVENT_ERROR);

	ev->folder = folder ? xstrdup(folder) : NULL;
	ev->text = xstrdup(text);
	engine_post(w, ev);
}

static void sync_note(void *arg, const char *text)
{
	sync_error(arg, NULL, text);
}

/* Sends the journal's local changes to the server; what the server
 * confirmed (or what can never apply, reported) leaves the journal. */
bool engine_sync_replay(struct engine_worker *w, struct imap_session *s, struct store *st)
{
	const struct account *a = engine_worker_account(w);
	struct journal_entry *v = NULL;
	size_t n = 0;
	unsigned bad = 0;
	bool *done, ok = true;
	char *cause = NULL;

	if (store_journal_load(st, a->name, &v, &n, &bad, &cause) < 0) {
		sync_error(w, NULL, cause);
		free(cause);
		return false;
	}
	if (bad) {
		char *msg = xasprintf("%u damaged line(s) in the journal were skipped", bad);
		sync_error(w, NULL, msg);
		free(msg);
	}
	if (n == 0 && !bad)
		return true;
	done = xcalloc(n + 1, sizeof(*done));
	if (imap_replay(s, st, a->name, v, n, done, sync_note, w, &cause) < 0) {
		char *msg = xasprintf("changes made offline not sent yet: %s", cause);
		sync_error(w, NULL, msg);
		free(msg);
		FREE_NULL(cause);
		ok = false;
	}
	for (size_t i = 0; i < n; i++)
		done[i] = !done[i];  /* keep what was not done */
	if (store_journal_rewrite(st, a->name, v, done, n, &cause) < 0) {
		sync_error(w, NULL, cause);
		free(cause);
		ok = false;
	}
	free(done);
	store_journal_free(&v, n);
	return ok;
}

/* Syncs one folder and reports it; false if it failed. */
static bool sync_one(struct engine_worker *w, struct imap_session *s, struct store *st,
		     const struct imap_folder *f, unsigned flags, struct sync_progress *prog)
{
	const struct account *a = engine_worker_account(w);
	struct imap_sync_stats stats;
	struct engine_event *ev;
	char *cause = NULL;

	if (imap_sync_folder(s, st, a->name, f, flags & ENGINE_SYNC_HEADERS_ONLY, &stats,
			     sync_progress, prog, &cause) < 0) {
		char *msg = xasprintf("%s: %s", f->local, cause);
		sync_error(w, f->local, msg);
		free(msg);
		free(cause);
		return false;
	}
	ev = engine_event_new(w, ENGINE_EVENT_PROGRESS);
	ev->folder = xstrdup(f->local);
	ev->done = ev->total = stats.exists;
	ev->text = stats.unchanged
		? xasprintf("%s: %u messages, unchanged", f->local, stats.exists)
		: xasprintf("%s: %u messages, %u new, %u flag changes, %u removed, %u bodies%s",
			    f->local, stats.exists, stats.new_headers, stats.flags_changed,
			    stats.expunged, stats.bodies,
			    stats.uidvalidity_changed ? " (the server renumbered the folder)" : "");
	if (stats.recovered) {
		/* nothing is lost, but the user should know where it is */
		char *msg = xasprintf("%s: the server renumbered the folder and no longer has %u "
				      "message%s that were here; %s kept in %s/%s", f->local,
				      stats.recovered, stats.recovered == 1 ? "" : "s",
				      stats.recovered == 1 ? "it is" : "they are",
				      IMAP_RECOVERY_FOLDER, f->local);
		struct engine_event *note = engine_event_new(w, ENGINE_EVENT_PROGRESS);
		note->folder = xstrdup(f->local);
		note->text = msg;
		engine_post(w, note);
	}
	engine_post(w, ev);
	if (stats.new_headers) {
		/* for "new mail" marks; text NULL: several, their count in done */
		ev = engine_event_new(w, ENGINE_EVENT_NEW_MESSAGE);
		ev->folder = xstrdup(f->local);
		ev->done = stats.new_headers;
		engine_post(w, ev);
	}
	ev = engine_event_new(w, ENGINE_EVENT_CHANGED);
	ev->folder = xstrdup(f->local);
	engine_post(w, ev);
	return true;
}

static bool sync_imap(struct engine_worker *w, const char *only, unsigned flags)
{
	const struct account *a = engine_worker_account(w);
	struct net_report r = { 0 };
	struct imap_session *s = imap_session_connect(a, engine_worker_cancel(w), &r);
	struct imap_folder *folders = NULL;
	struct sync_progress prog = { w };
	struct store *st = NULL;
	size_t n = 0;
	char *cause = NULL, *dir;
	bool ok = true, found = false;

	if (!s || !imap_session_login(s, &r)) {
		struct engine_event *ev = engine_event_new(w, ENGINE_EVENT_ERROR);
		ev->text = xstrdup(r.error ? r.error : "cannot connect");
		ev->offline = !r.connected;   /* not reached, rather than refused */
		engine_post(w, ev);
		ok = false;
		goto out;
	}
	dir = store_data_dir(a->config, a);
	st = store_open(dir, STORE_WRITE, &cause);
	free(dir);
	if (!st) {
		sync_error(w, NULL, cause);
		ok = false;
		goto out;
	}
	/* local changes first, so the sync below sees them on the server */
	if (!engine_sync_replay(w, s, st))
		ok = false;
	if (flags & ENGINE_SYNC_REPLAY_ONLY)
		goto out;
	/* INBOX first, before even listing the folders: on a slow link that
	 * is a round trip less before the first screen */
	if (!only || strcmp(only, "INBOX") == 0) {
		struct imap_folder inbox = { (char *)"INBOX", (char *)"INBOX", NULL, false, 0 };
		found = true;
		ok = sync_one(w, s, st, &inbox, flags, &prog) && ok;
	}
	if (only && strcmp(only, "INBOX") == 0)
		goto out;
	if (imap_list_folders(s, &folders, &n, &cause) < 0) {
		sync_error(w, NULL, cause);
		ok = false;
		goto out;
	}
	for (size_t i = 0; i < n && !net_cancel_triggered(engine_worker_cancel(w)); i++) {
		if (folders[i].noselect || strcmp(folders[i].local, "INBOX") == 0)
			continue;
		if (only && strcmp(only, folders[i].local) != 0 && strcmp(only, folders[i].name) != 0)
			continue;
		found = true;
		ok = sync_one(w, s, st, &folders[i], flags, &prog) && ok;
	}
	if (only && !found) {
		char *msg = xasprintf("the server has no folder '%s'", only);
		sync_error(w, only, msg);
		free(msg);
		ok = false;
	}
out:
	imap_folders_free(&folders, n);
	store_close(&st);
	imap_session_free(&s);
	net_report_release(&r);
	free(cause);
	return ok;
}

bool engine_op_sync(struct engine_worker *w, const char *folder, unsigned flags)
{
	const struct account *a = engine_worker_account(w);
	const char *type = config_account_type(a);
	bool sent = true;

	/* what waits in the send queue goes first (only what is due) */
	if (!(flags & ENGINE_SYNC_REPLAY_ONLY) && engine_send_next_due(a))
		sent = engine_send_flush(w, NULL, false);
	if (strcmp(type, "imap") == 0)
		return sync_imap(w, folder, flags) && sent;
	if (strcmp(type, "local") == 0)
		return sent;  /* nothing to sync: the store is all there is */
	return engine_pop3_sync(w, folder, flags) && sent;
}

bool engine_op_fetch_body(struct engine_worker *w, const char *id)
{
	const struct account *a = engine_worker_account(w);
	struct net_report r = { 0 };
	struct imap_session *s = NULL;
	struct imap_folder *folders = NULL;
	struct store_location loc = { 0 };
	struct store *st;
	size_t n = 0;
	char *cause = NULL, *dir = store_data_dir(a->config, a);
	bool ok = false;

	st = store_open(dir, STORE_WRITE, &cause);
	free(dir);
	if (!st || store_locate(st, id, &loc, &cause) < 0) {
		sync_error(w, NULL, cause);
		goto out;
	}
	if (!loc.partial) {
		ok = true;  /* already here */
		goto out;
	}
	if (strcmp(config_account_type(a), "pop3") == 0) {
		ok = engine_pop3_fetch_body(w, st, &loc, id);
		goto out;
	}
	if (strcmp(config_account_type(a), "imap") != 0 || !loc.uid) {
		sync_error(w, NULL, "this message's body is not in the store, and only IMAP "
			   "and POP3 accounts can fetch it");
		goto out;
	}
	s = imap_session_connect(a, engine_worker_cancel(w), &r);
	if (!s || !imap_session_login(s, &r)) {
		sync_error(w, NULL, r.error ? r.error : "cannot connect");
		goto out;
	}
	if (imap_list_folders(s, &folders, &n, &cause) < 0) {
		sync_error(w, NULL, cause);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(folders[i].local, loc.folder) != 0)
			continue;
		if (imap_fetch_body(s, st, &folders[i], loc.path, loc.uid, &cause) < 0) {
			sync_error(w, loc.folder, cause);
			goto out;
		}
		ok = true;
		break;
	}
	if (!ok) {
		char *msg = xasprintf("the server no longer has the folder '%s'", loc.folder);
		sync_error(w, loc.folder, msg);
		free(msg);
	} else {
		struct engine_event *ev = engine_event_new(w, ENGINE_EVENT_CHANGED);
		ev->folder = xstrdup(loc.folder);
		engine_post(w, ev);
	}
out:
	imap_folders_free(&folders, n);
	imap_session_free(&s);
	net_report_release(&r);
	store_location_release(&loc);
	store_close(&st);
	free(cause);
	return ok;
}
