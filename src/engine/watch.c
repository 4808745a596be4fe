/*
 * The watch operation: one IMAP connection per folder of idle-folders (at
 * most WATCH_MAX), each idling; when the server pushes a change, that folder
 * is synced (headers first) and each new message is posted as an event.  A
 * dropped connection is re-made with backoff and jitter, and the folder
 * resynced, so what arrived meanwhile is reported too.  Runs until cancelled.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "core/util.h"
#include "engine/private.h"
#include "imap/imap.h"
#include "store/store.h"

#define WATCH_MAX 5
#define WATCH_KEEPALIVE (20 * 60)   /* re-IDLE before servers' 30-minute limit */
#define WATCH_BACKOFF_MAX 60000

static int watch_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct watch_folder {
	char *local;                 /* as configured */
	struct imap_folder f;        /* server name, once known */
	struct imap_session *s;
	bool known;                  /* server name looked up */
	bool baseline;               /* synced once: later new mail is reported */
	bool idling;
};

static void watch_post(struct engine_worker *w, enum engine_event_type type,
		       const char *folder, const char *text)
{
	struct engine_event *ev = engine_event_new(w, type);

	ev->folder = folder ? xstrdup(folder) : NULL;
	ev->text = text ? xstrdup(text) : NULL;
	engine_post(w, ev);
}

/* Syncs wf (store opened only for this, not to block other writers) and
 * posts NEW_MESSAGE for each message above the highest UID known before. */
static int watch_sync(struct engine_worker *w, struct watch_folder *wf, char **cause)
{
	const struct account *a = engine_worker_account(w);
	char *dir = store_data_dir(a->config, a);
	struct store *st = store_open(dir, STORE_WRITE, cause);
	struct store_uids before = { NULL, 0 }, after = { NULL, 0 };
	struct imap_sync_stats stats;
	unsigned long max = 0;
	int rc = -1;

	free(dir);
	if (!st)
		return -1;
	if (store_folder_create(st, a->name, wf->f.local, cause) < 0 ||
	    store_uids(st, a->name, wf->f.local, &before, cause) < 0)
		goto out;
	max = before.n ? before.v[before.n - 1].uid : 0;
	if (imap_sync_folder(wf->s, st, a->name, &wf->f, true, &stats, NULL, NULL, cause) < 0)
		goto out;
	if (store_uids(st, a->name, wf->f.local, &after, cause) < 0)
		goto out;
	if (stats.new_headers || stats.expunged || stats.flags_changed)
		watch_post(w, ENGINE_EVENT_CHANGED, wf->f.local, NULL);
	for (size_t i = 0; wf->baseline && i < after.n; i++) {
		struct store_msg_info info;
		if (after.v[i].uid <= max || store_message_info(st, after.v[i].path, &info) < 0)
			continue;
		watch_post(w, ENGINE_EVENT_NEW_MESSAGE, wf->f.local, info.id);
		free(info.id);
	}
	wf->baseline = true;
	rc = 0;
out:
	store_uids_free(&before);
	store_uids_free(&after);
	store_close(&st);
	return rc;
}

/* Connects wf, finds its server name, syncs it and starts IDLE: 0, -1 with
 * *cause, -2 when the server has no IDLE, -3 with *cause when the server
 * could not be reached at all (offline, not refused). */
static int watch_connect(struct engine_worker *w, struct watch_folder *wf, char **cause)
{
	const struct account *a = engine_worker_account(w);
	struct net_report r = { 0 };

	wf->s = imap_session_connect(a, engine_worker_cancel(w), &r);
	if (!wf->s || !imap_session_login(wf->s, &r)) {
		int rc = r.connected ? -1 : -3;
		*cause = xstrdup(r.error ? r.error : "cannot connect");
		net_report_release(&r);
		return rc;
	}
	net_report_release(&r);
	if (!imap_session_has_idle(wf->s))
		return -2;  /* no push: the caller polls instead */
	if (!wf->known) {
		struct imap_folder *list = NULL;
		size_t n = 0;
		if (imap_list_folders(wf->s, &list, &n, cause) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (strcmp(list[i].local, wf->local) == 0 || strcmp(list[i].name, wf->local) == 0) {
				wf->f.name = xstrdup(list[i].name);
				wf->f.local = xstrdup(list[i].local);
				wf->known = true;
			}
		imap_folders_free(&list, n);
		if (!wf->known) {
			*cause = xasprintf("the server has no folder '%s' (idle-folders)", wf->local);
			return -1;
		}
	}
	if (watch_sync(w, wf, cause) < 0 || imap_idle_start(wf->s, &wf->f, cause) < 0)
		return -1;
	wf->idling = true;
	return 0;
}

static void watch_drop(struct watch_folder *wf)
{
	imap_session_free(&wf->s);
	wf->idling = false;
}

/* The names of the message files of account/folder, sorted (for telling
 * what a polling sync added). */
static char **watch_names(struct engine_worker *w, const char *folder, size_t *n)
{
	const struct account *a = engine_worker_account(w);
	char *dir = store_data_dir(a->config, a), *cur = xasprintf("%s/mail/%s/%s/cur", dir,
								     a->name, folder);
	char **v = NULL;
	DIR *d = opendir(cur);
	struct dirent *e;

	*n = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = xasprintf("%s/%s", cur, e->d_name);
	}
	if (d)
		closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), watch_cmp);
	free(cur);
	free(dir);
	return v;
}

static void watch_names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Sleeps ms, running the account's other commands as they come (a change
 * the user made must not wait for the end of a backoff); false when
 * cancelled. */
static bool watch_sleep(struct engine_worker *w, unsigned long ms)
{
	struct net_cancel *cancel = engine_worker_cancel(w);
	time_t end = time(NULL) + (time_t)((ms + 999) / 1000);

	for (;;) {
		unsigned long step = ms < 200 ? ms : 200;
		if (!net_sleep((unsigned)step, cancel))
			return false;
		ms -= step;
		engine_worker_run_queued(w);
		if (!ms || time(NULL) > end)
			return !net_cancel_triggered(cancel);
	}
}

/* Accounts that cannot push: sync every poll-interval and report what came.
 * POP3 has no push at all; IMAP without IDLE polls its INBOX. */
static bool watch_poll(struct engine_worker *w, bool pop3)
{
	const struct account *a = engine_worker_account(w);
	struct net_cancel *cancel = engine_worker_cancel(w);
	unsigned long every = config_get_duration(a, OPTION_POLL_INTERVAL);
	bool first = true;

	if (every < 1)
		every = 1;
	while (!net_cancel_triggered(cancel)) {
		size_t nb = 0, na = 0;
		char **before = watch_names(w, "INBOX", &nb), **after;

		if (pop3) {
			if (engine_send_next_due(a))
				engine_send_flush(w, NULL, false);
			engine_pop3_sync(w, NULL, ENGINE_SYNC_HEADERS_ONLY);
		}
		else
			engine_op_sync(w, "INBOX", ENGINE_SYNC_HEADERS_ONLY);
		after = watch_names(w, "INBOX", &na);
		if (!first) {
			const struct account *acc = a;
			char *dir = store_data_dir(acc->config, acc), *cause = NULL;
			struct store *st = store_open(dir, STORE_READ, &cause);
			for (size_t i = 0; st && i < na; i++) {
				struct store_msg_info info;
				if ((nb && bsearch(&after[i], before, nb, sizeof(*before), watch_cmp)) ||
				    store_message_info(st, after[i], &info) < 0)
					continue;
				watch_post(w, ENGINE_EVENT_NEW_MESSAGE, "INBOX", info.id);
				free(info.id);
			}
			store_close(&st);
			free(cause);
			free(dir);
		}
		first = false;
		watch_names_free(before, nb);
		watch_names_free(after, na);
		if (!watch_sleep(w, every * 1000))
			break;
	}
	return true;
}

/* Delivers what is due in the send queue; returns how long the IDLE wait
 * may last so that the next due message is tried on time. */
static unsigned watch_send(struct engine_worker *w)
{
	const struct account *a = engine_worker_account(w);
	time_t due = engine_send_next_due(a), now = time(NULL);

	if (due && due <= now) {
		engine_send_flush(w, NULL, false);
		due = engine_send_next_due(a);
		now = time(NULL);
	}
	if (due && due > now && due - now < WATCH_KEEPALIVE)
		return (unsigned)(due - now);
	return due && due <= now ? 60 : WATCH_KEEPALIVE;
}

/* Whether the keepalive re-IDLE is due (a wait may end early for sending). */
static bool watch_keepalive_due(time_t *last)
{
	time_t now = time(NULL);

	if (now - *last < WATCH_KEEPALIVE - 5)
		return false;
	*last = now;
	return true;
}

bool engine_op_watch(struct engine_worker *w)
{
	time_t last_keepalive = time(NULL);
	const struct account *a = engine_worker_account(w);
	struct net_cancel *cancel = engine_worker_cancel(w);
	char **names = config_get_list(a, OPTION_IDLE_FOLDERS);
	struct watch_folder wf[WATCH_MAX];
	size_t n = 0;
	unsigned backoff = 1000;
	bool ok = true;

	memset(wf, 0, sizeof(wf));
	if (strcmp(config_account_type(a), "pop3") == 0) {
		config_list_free(&names);
		return watch_poll(w, true);
	}
	if (strcmp(config_account_type(a), "imap") != 0) {
		watch_post(w, ENGINE_EVENT_ERROR, NULL, "a local account has nothing to watch");
		config_list_free(&names);
		return false;
	}
	for (size_t i = 0; names[i] && n < WATCH_MAX; i++)
		wf[n++].local = xstrdup(names[i]);
	if (names[0] && names[n] && n == WATCH_MAX) {
		char *msg = xasprintf("watching only the first %d of idle-folders", WATCH_MAX);
		watch_post(w, ENGINE_EVENT_ERROR, NULL, msg);
		free(msg);
	}
	config_list_free(&names);

	while (!net_cancel_triggered(cancel)) {
		mailstream *streams[WATCH_MAX];
		size_t map[WATCH_MAX], ns = 0;
		bool failed = false;
		int ready;

		engine_worker_run_queued(w);

		for (size_t i = 0; i < n && !net_cancel_triggered(cancel); i++) {
			char *cause = NULL;
			int rc;
			if (wf[i].s)
				continue;
			rc = watch_connect(w, &wf[i], &cause);
			if (rc == -2) {
				watch_post(w, ENGINE_EVENT_ERROR, NULL, "the server does not offer "
					   "IDLE: checking INBOX every poll-interval instead");
				for (size_t k = 0; k < n; k++)
					watch_drop(&wf[k]);
				ok = watch_poll(w, false);
				goto out;
			}
			if (rc < 0) {
				if (!net_cancel_triggered(cancel)) {
					struct engine_event *ev = engine_event_new(w, ENGINE_EVENT_ERROR);
					ev->folder = xstrdup(wf[i].local);
					ev->text = xasprintf("%s: %s; trying again in %u s", wf[i].local,
							     cause, backoff / 1000);
					ev->offline = rc == -3;
					engine_post(w, ev);
				}
				free(cause);
				watch_drop(&wf[i]);
				failed = true;
			}
		}
		if (net_cancel_triggered(cancel))
			break;
		if (failed) {
			/* exponential backoff with +-25% jitter, so many clients
			 * do not all come back at once */
			unsigned jitter = backoff / 4 ? (unsigned)random() % (backoff / 2) : 0;
			if (!watch_sleep(w, backoff - backoff / 4 + jitter))
				break;
			backoff = backoff * 2 > WATCH_BACKOFF_MAX ? WATCH_BACKOFF_MAX : backoff * 2;
			continue;
		}
		backoff = 1000;
		for (size_t i = 0; i < n; i++)
			if (wf[i].s && wf[i].idling) {
				streams[ns] = imap_session_stream(wf[i].s);
				map[ns++] = i;
			}
		if (ns == 0)
			continue;
		ready = net_streams_wait(streams, ns, watch_send(w), cancel, engine_worker_wake(w));
		if (ready == -2)
			break;
		if (ready == -3)
			continue;  /* a command came: it runs at the top of the loop */
		if (ready == -1 && !watch_keepalive_due(&last_keepalive))
			continue;  /* woke for the send queue only */
		for (size_t k = 0; k < ns; k++) {
			struct watch_folder *f = &wf[map[k]];
			char *cause = NULL;

			if (ready >= 0 && (size_t)ready != k)
				continue;
			/* pushed data (or the keepalive timer): end IDLE, sync, idle again */
			f->idling = false;
			if (imap_idle_done(f->s, &cause) < 0 || watch_sync(w, f, &cause) < 0 ||
			    imap_idle_start(f->s, &f->f, &cause) < 0) {
				char *msg = xasprintf("%s: %s; reconnecting", f->local, cause);
				watch_post(w, ENGINE_EVENT_ERROR, f->local, msg);
				free(msg);
				free(cause);
				watch_drop(f);
				continue;
			}
			f->idling = true;
		}
	}
out:
	for (size_t i = 0; i < n; i++) {
		/* leaving: no DONE/LOGOUT dance on a cancelled connection */
		watch_drop(&wf[i]);
		free(wf[i].local);
		free(wf[i].f.name);
		free(wf[i].f.local);
	}
	return ok;
}
