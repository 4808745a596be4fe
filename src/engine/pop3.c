/*
 * The sync and fetch-body operations for POP3 accounts: log in, hand the
 * session to src/pop3 with the store, and turn what happens into events.
 * A POP3 account has one folder, INBOX.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "engine/private.h"
#include "pop3/pop3.h"
#include "store/store.h"

#define POP3_FOLDER "INBOX"

static void engine_pop3_error(struct engine_worker *w, const char *text)
{
	struct engine_event *ev = engine_event_new(w, ENGINE_EVENT_ERROR);

	ev->folder = xstrdup(POP3_FOLDER);
	ev->text = xstrdup(text);
	engine_post(w, ev);
}

static void engine_pop3_changed(struct engine_worker *w)
{
	struct engine_event *ev = engine_event_new(w, ENGINE_EVENT_CHANGED);

	ev->folder = xstrdup(POP3_FOLDER);
	engine_post(w, ev);
}

static void engine_pop3_progress(void *arg, unsigned done, unsigned total)
{
	struct engine_worker *w = arg;
	struct engine_event *ev = engine_event_new(w, ENGINE_EVENT_PROGRESS);

	ev->folder = xstrdup(POP3_FOLDER);
	ev->done = done;
	ev->total = total;
	engine_post(w, ev);
	engine_pop3_changed(w);
}

static void engine_pop3_problem(void *arg, const char *text)
{
	char *msg = xasprintf(POP3_FOLDER ": %s", text);

	engine_pop3_error(arg, msg);
	free(msg);
}

/* Connects and logs in; NULL after posting why. */
static struct pop3_session *engine_pop3_login(struct engine_worker *w)
{
	struct net_report r = { 0 };
	struct pop3_session *s = pop3_session_connect(engine_worker_account(w),
						      engine_worker_cancel(w), &r);

	if (!s || !pop3_session_login(s, &r)) {
		engine_pop3_error(w, r.error ? r.error : "cannot connect");
		pop3_session_free(&s);
	}
	net_report_release(&r);
	return s;
}

static struct store *engine_pop3_store(struct engine_worker *w)
{
	const struct account *a = engine_worker_account(w);
	char *cause = NULL, *dir = store_data_dir(a->config, a);
	struct store *st = store_open(dir, STORE_WRITE, &cause);

	free(dir);
	if (!st) {
		engine_pop3_error(w, cause);
		free(cause);
	}
	return st;
}

bool engine_pop3_sync(struct engine_worker *w, const char *folder, unsigned flags)
{
	struct pop3_hooks hooks = { engine_pop3_progress, engine_pop3_problem, w };
	struct pop3_sync_stats stats;
	struct pop3_session *s = NULL;
	struct store *st = NULL;
	struct engine_event *ev;
	struct strbuf sb = STRBUF_INIT;
	char *cause = NULL;
	bool ok = false;
	int rc;

	if (folder && strcmp(folder, POP3_FOLDER) != 0) {
		char *msg = xasprintf("a POP3 account has one folder, INBOX, not '%s'", folder);
		engine_pop3_error(w, msg);
		free(msg);
		goto out;
	}
	/* the store first: a locked store must not cost a login */
	if (!(st = engine_pop3_store(w)) || !(s = engine_pop3_login(w)))
		goto out;
	rc = pop3_sync(s, st, flags & ENGINE_SYNC_HEADERS_ONLY, &stats, &hooks, &cause);
	if (rc < 0) {
		char *msg = xasprintf(POP3_FOLDER ": %s", cause);
		engine_pop3_error(w, msg);
		free(msg);
	}
	strbuf_addf(&sb, POP3_FOLDER ": %u on the server, %u new", stats.on_server,
		    stats.full + stats.headers);
	if (stats.headers)
		strbuf_addf(&sb, " (%u headers only)", stats.headers);
	strbuf_addf(&sb, ", %u bodies, %u deleted from the server", stats.bodies, stats.deleted);
	if (stats.gone)
		strbuf_addf(&sb, ", %u no longer on the server", stats.gone);
	if (stats.already)
		strbuf_addf(&sb, ", %u already here (not stored twice)", stats.already);
	if (stats.already && stats.gone)
		strbuf_addstr(&sb, "; the server seems to have given its messages new UIDLs: "
			      "they were recognised by Message-ID and content");
	if (stats.problems)
		strbuf_addf(&sb, ", %u left on the server after a problem", stats.problems);
	if (stats.digest)
		strbuf_addstr(&sb, " (no UIDL: messages recognised by their headers)");
	if (rc < 0)
		strbuf_addstr(&sb, "; stopped early");
	ev = engine_event_new(w, ENGINE_EVENT_PROGRESS);
	ev->folder = xstrdup(POP3_FOLDER);
	ev->done = ev->total = stats.on_server;
	ev->text = strbuf_detach(&sb);
	engine_post(w, ev);
	engine_pop3_changed(w);
	ok = rc == 0;
out:
	pop3_session_free(&s);
	store_close(&st);
	free(cause);
	return ok;
}

bool engine_pop3_fetch_body(struct engine_worker *w, struct store *st,
			    const struct store_location *loc, const char *id)
{
	struct pop3_session *s = engine_pop3_login(w);
	char *cause = NULL;
	bool ok = false;

	if (!s)
		return false;
	if (pop3_fetch_body(s, st, loc->path, id, &cause) < 0) {
		engine_pop3_error(w, cause);
		goto out;
	}
	engine_pop3_changed(w);
	ok = true;
out:
	pop3_session_free(&s);
	free(cause);
	return ok;
}
