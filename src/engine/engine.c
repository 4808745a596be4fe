/*
 * Workers, the command queue of each, the shared event queue and the eventfd
 * that wakes the UI/CLI loop.
 */
#include "engine/engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "engine/private.h"

struct engine_job {
	unsigned long id;
	enum engine_cmd cmd;
	char *arg;
	unsigned flags;
	enum engine_priority prio;
	struct engine_job *next;
};

struct engine_worker {
	struct engine *engine;
	const struct account *account;
	pthread_t thread;
	bool started;
	struct engine_job *queue;     /* sorted: higher priority first, FIFO within */
	struct engine_job *current;   /* being run; owned by the worker thread */
	struct net_cancel *cancel;    /* interrupts current's network I/O */
	/* A watch never ends by itself, so it lets the account's other
	 * commands run inside it (engine_worker_run_queued): outer is the
	 * watch while one of them is current, outer_cancelled says the watch
	 * itself was cancelled meanwhile, and wake tells the waiting watch that
	 * a command came (without disturbing its connections). */
	struct engine_job *outer;
	bool outer_cancelled;
	struct net_cancel *wake;
};

struct engine {
	const struct config *config;
	pthread_mutex_t lock;         /* guards everything below and workers' queues */
	pthread_cond_t wake;          /* workers wait here for jobs */
	bool stopping;
	unsigned long next_id;
	int efd;
	struct engine_event *events, **events_tail;
	struct engine_worker *workers;  /* one per account, in config order */
	size_t n_workers;
};

static void *engine_worker_main(void *arg);

struct engine *engine_new(const struct config *cfg)
{
	struct engine *e = xcalloc(1, sizeof(*e));

	e->config = cfg;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	e->next_id = 1;
	e->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->efd < 0)
		BUG("eventfd: %s", strerror(errno));
	e->events_tail = &e->events;
	e->n_workers = cfg->n_accounts;
	e->workers = xcalloc(e->n_workers, sizeof(*e->workers));
	for (size_t i = 0; i < e->n_workers; i++) {
		e->workers[i].engine = e;
		e->workers[i].account = cfg->accounts[i];
		e->workers[i].cancel = net_cancel_new();
		e->workers[i].wake = net_cancel_new();
	}
	return e;
}

void engine_free(struct engine **ep)
{
	struct engine *e = *ep;

	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	for (size_t i = 0; i < e->n_workers; i++)
		if (e->workers[i].current)
			net_cancel_trigger(e->workers[i].cancel);
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	for (size_t i = 0; i < e->n_workers; i++) {
		struct engine_worker *w = &e->workers[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		while (w->queue) {
			struct engine_job *j = w->queue;
			w->queue = j->next;
			free(j->arg);
			free(j);
		}
		net_cancel_free(&w->cancel);
		net_cancel_free(&w->wake);
	}
	free(e->workers);
	engine_events_free(&e->events);
	close(e->efd);
	pthread_cond_destroy(&e->wake);
	pthread_mutex_destroy(&e->lock);
	FREE_NULL(*ep);
}

int engine_fd(const struct engine *e)
{
	return e->efd;
}

static struct engine_worker *engine_worker_find(struct engine *e, const char *account)
{
	for (size_t i = 0; i < e->n_workers; i++)
		if (strcmp(e->workers[i].account->name, account) == 0)
			return &e->workers[i];
	return NULL;
}

unsigned long engine_submit(struct engine *e, const char *account, enum engine_cmd cmd,
			    const char *arg, unsigned flags, enum engine_priority prio,
			    char **cause)
{
	struct engine_worker *w = engine_worker_find(e, account);
	struct engine_job *job, **pp;
	unsigned long id;

	if (!w) {
		*cause = xasprintf("no account called '%s' in %s", account, e->config->path);
		return 0;
	}
	job = xcalloc(1, sizeof(*job));
	job->cmd = cmd;
	job->arg = arg ? xstrdup(arg) : NULL;
	job->flags = flags;
	job->prio = prio;
	pthread_mutex_lock(&e->lock);
	id = job->id = e->next_id++;
	for (pp = &w->queue; *pp && (*pp)->prio >= prio; pp = &(*pp)->next)
		;
	job->next = *pp;
	*pp = job;
	if (w->current && w->current->cmd == ENGINE_CMD_WATCH && !w->outer &&
	    cmd != ENGINE_CMD_WATCH)
		net_cancel_trigger(w->wake);
	if (!w->started) {
		if (pthread_create(&w->thread, NULL, engine_worker_main, w) != 0)
			BUG("cannot start a worker thread: %s", strerror(errno));
		w->started = true;
	}
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	log_debug("engine: %s: queued command %lu (type %d, priority %d)", account, id,
		  (int)cmd, (int)prio);
	return id;
}

/* Appends ev to the event queue and wakes the loop; takes the lock itself. */
static void engine_post_locked(struct engine *e, struct engine_event *ev)
{
	uint64_t one = 1;

	ev->next = NULL;
	*e->events_tail = ev;
	e->events_tail = &ev->next;
	if (write(e->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		BUG("eventfd write: %s", strerror(errno));
}

void engine_post(struct engine_worker *w, struct engine_event *ev)
{
	pthread_mutex_lock(&w->engine->lock);
	engine_post_locked(w->engine, ev);
	pthread_mutex_unlock(&w->engine->lock);
}

static struct engine_event *engine_event_for(const struct engine_worker *w, unsigned long id,
					     enum engine_event_type type)
{
	struct engine_event *ev = xcalloc(1, sizeof(*ev));

	ev->type = type;
	ev->cmd = id;
	ev->account = xstrdup(w->account->name);
	return ev;
}

struct engine_event *engine_event_new(struct engine_worker *w, enum engine_event_type type)
{
	return engine_event_for(w, w->current ? w->current->id : 0, type);
}

void engine_post_text(struct engine_worker *w, enum engine_event_type type, const char *folder,
		      char *text)
{
	struct engine_event *ev = engine_event_new(w, type);

	ev->folder = folder ? xstrdup(folder) : NULL;
	ev->text = text;
	engine_post(w, ev);
}

const struct account *engine_worker_account(const struct engine_worker *w)
{
	return w->account;
}

struct net_cancel *engine_worker_cancel(const struct engine_worker *w)
{
	return w->cancel;
}

bool engine_cancel(struct engine *e, unsigned long id)
{
	bool found = false;

	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->n_workers && !found; i++) {
		struct engine_worker *w = &e->workers[i];
		struct engine_job **pp;

		if (w->current && w->current->id == id) {
			net_cancel_trigger(w->cancel);
			found = true;
			break;
		}
		if (w->outer && w->outer->id == id) {
			/* the command running inside the watch goes too: the
			 * user is leaving the account alone */
			w->outer_cancelled = true;
			net_cancel_trigger(w->cancel);
			found = true;
			break;
		}
		for (pp = &w->queue; *pp; pp = &(*pp)->next) {
			if ((*pp)->id == id) {
				struct engine_job *j = *pp;
				struct engine_event *ev = engine_event_for(w, id, ENGINE_EVENT_DONE);
				*pp = j->next;
				free(j->arg);
				free(j);
				ev->cancelled = true;
				ev->text = xstrdup("cancelled before it started");
				engine_post_locked(e, ev);
				found = true;
				break;
			}
		}
	}
	pthread_mutex_unlock(&e->lock);
	return found;
}

struct engine_event *engine_events(struct engine *e)
{
	struct engine_event *list;
	uint64_t n;

	pthread_mutex_lock(&e->lock);
	/* drain the counter under the lock so a post after this wakes again */
	while (read(e->efd, &n, sizeof(n)) > 0)
		;
	list = e->events;
	e->events = NULL;
	e->events_tail = &e->events;
	pthread_mutex_unlock(&e->lock);
	return list;
}

void engine_events_free(struct engine_event **listp)
{
	struct engine_event *ev = *listp;

	while (ev) {
		struct engine_event *next = ev->next;
		net_report_release(&ev->report);
		free(ev->account);
		free(ev->text);
		free(ev->folder);
		free(ev);
		ev = next;
	}
	*listp = NULL;
}

static bool engine_run(struct engine_worker *w, const struct engine_job *job)
{
	switch (job->cmd) {
	case ENGINE_CMD_CHECK:
		return engine_op_check(w);
	case ENGINE_CMD_SYNC:
		return engine_op_sync(w, job->arg, job->flags);
	case ENGINE_CMD_FETCH_BODY:
		return engine_op_fetch_body(w, job->arg);
	case ENGINE_CMD_WATCH:
		return engine_op_watch(w);
	case ENGINE_CMD_SEND:
		return engine_op_send(w, job->arg, job->flags);
	case ENGINE_CMD_CHANGE:
		return engine_op_change(w, job->arg);
	case ENGINE_CMD_POSTPONE:
		return engine_op_postpone(w, job->arg);
	case ENGINE_CMD_FOLDER:
		return engine_op_folder(w, job->arg);
	case ENGINE_CMD_SEARCH:
		return engine_op_search(w, job->arg);
	case ENGINE_CMD_UNQUEUE:
		return engine_op_unqueue(w, job->arg);
	}
	BUG("unknown engine command %d", (int)job->cmd);
}

/* Posts the DONE of job; called with the lock held. */
static void engine_job_done(struct engine_worker *w, struct engine_job *job, bool ok)
{
	struct engine *e = w->engine;
	bool cancelled = net_cancel_triggered(w->cancel) && !e->stopping;
	struct engine_event *done = engine_event_for(w, job->id, ENGINE_EVENT_DONE);

	done->ok = ok && !cancelled;
	done->cancelled = cancelled;
	if (cancelled)
		done->text = xstrdup("cancelled");
	engine_post_locked(e, done);
}

bool engine_worker_run_queued(struct engine_worker *w)
{
	struct engine *e = w->engine;
	bool ran = false;

	pthread_mutex_lock(&e->lock);
	net_cancel_reset(w->wake);
	while (w->queue && w->queue->cmd != ENGINE_CMD_WATCH && !e->stopping &&
	       !net_cancel_triggered(w->cancel)) {
		struct engine_job *job = w->queue;
		bool ok;

		w->queue = job->next;
		w->outer = w->current;
		w->current = job;
		pthread_mutex_unlock(&e->lock);
		log_debug("engine: %s: command %lu runs inside the watch", w->account->name,
			  job->id);
		ok = engine_run(w, job);
		pthread_mutex_lock(&e->lock);
		engine_job_done(w, job, ok);
		w->current = w->outer;
		w->outer = NULL;
		free(job->arg);
		free(job);
		/* a cancel meant for the inner command ends with it; one for the
		 * watch (or the engine stopping) stays */
		if (!w->outer_cancelled && !e->stopping)
			net_cancel_reset(w->cancel);
		w->outer_cancelled = false;
		ran = true;
	}
	pthread_mutex_unlock(&e->lock);
	return ran;
}

struct net_cancel *engine_worker_wake(const struct engine_worker *w)
{
	return w->wake;
}

static void *engine_worker_main(void *arg)
{
	struct engine_worker *w = arg;
	struct engine *e = w->engine;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		struct engine_job *job;
		bool ok;

		while (!w->queue && !e->stopping)
			pthread_cond_wait(&e->wake, &e->lock);
		if (e->stopping)
			break;
		job = w->queue;
		w->queue = job->next;
		w->current = job;
		net_cancel_reset(w->cancel);
		net_cancel_reset(w->wake);
		pthread_mutex_unlock(&e->lock);

		ok = engine_run(w, job);

		pthread_mutex_lock(&e->lock);
		engine_job_done(w, job, ok);
		w->current = NULL;
		free(job->arg);
		free(job);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}
