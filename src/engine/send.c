/*
 * The send-queue flusher: delivers what is due in an account's queue, by
 * SMTP submission or by the IMAP outbox, then files the Sent copy (local
 * store, and on the IMAP server through the journal's "append" entry).
 *
 * Every step that matters is made durable before the next one, so a crash
 * at any point loses nothing:
 *   queued --(state "sending", fsynced)--> transmit --(final 250)-->
 *   state "delivered" (fsynced) --> local Sent copy + journal entry -->
 *   entry removed.
 * The one window for a duplicate is between the server's final 250 and
 * the fsync of "delivered": an entry found in "sending" state was cut off
 * somewhere in the try and is sent again.  (An IMAP outbox that keeps
 * what it sent, as Courier does, closes it: the copy is removed from the
 * outbox only after "delivered" is recorded, and a retry looks there
 * first.)
 *
 * Test hook (test-only, documented in tests/integration/send_crash.py):
 * PETREL_TEST_SEND_KILL_AT=N makes petrel SIGKILL itself at the Nth step.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "engine/private.h"
#include "imap/imap.h"
#include "smtp/smtp.h"
#include "store/store.h"

struct send_ctx {
	struct engine_worker *w;
	const struct account *a;
	char *qdir;
	bool outbox;                 /* send = imap-outbox */
	struct smtp_session *smtp;
	struct net_report smtp_r;
	bool smtp_tried;
	struct imap_session *imap;
	struct net_report imap_r;
	bool imap_tried;
	struct store *st;
	char *st_error;
	char *sent_server, *sent_local;
	bool sent_known;
	bool journal_added;          /* an append entry waits for replay */
};

/* The test hook: counts steps and dies at the chosen one. */
static void send_step(const char *what)
{
	static unsigned steps;
	const char *at = getenv("PETREL_TEST_SEND_KILL_AT");

	steps++;
	log_debug("send: step %u: %s", steps, what);
	if (at && strtoul(at, NULL, 10) == steps)
		raise(SIGKILL);
}

static void send_post(struct engine_worker *w, enum engine_event_type type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void send_post(struct engine_worker *w, enum engine_event_type type, const char *fmt, ...)
{
	struct engine_event *ev = engine_event_new(w, type);
	va_list ap;

	va_start(ap, fmt);
	ev->text = xvasprintf(fmt, ap);
	va_end(ap);
	engine_post(w, ev);
}

/* Whether a failed connect never reached the server (as opposed to a TLS,
 * greeting or login failure, which needs the user). */
static bool send_unreachable(const struct net_report *r)
{
	return !r->connected && !r->tls.sha256 && !r->capabilities;
}

static struct imap_session *send_imap(struct send_ctx *c)
{
	if (!c->imap_tried) {
		c->imap_tried = true;
		c->imap = imap_session_connect(c->a, engine_worker_cancel(c->w), &c->imap_r);
		if (c->imap && !imap_session_login(c->imap, &c->imap_r))
			imap_session_free(&c->imap);
		if (!c->imap && !c->imap_r.error)
			net_report_fail(&c->imap_r, "cannot connect to the IMAP server");
	}
	return c->imap;
}

static struct smtp_session *send_smtp(struct send_ctx *c)
{
	if (!c->smtp_tried) {
		c->smtp_tried = true;
		c->smtp = smtp_session_connect(c->a, engine_worker_cancel(c->w), &c->smtp_r);
		send_step("smtp connected");
		if (c->smtp && !smtp_session_login(c->smtp, &c->smtp_r))
			smtp_session_free(&c->smtp);
		if (!c->smtp && !c->smtp_r.error)
			net_report_fail(&c->smtp_r, "cannot connect to the SMTP server");
	}
	return c->smtp;
}

static struct store *send_store(struct send_ctx *c)
{
	if (!c->st && !c->st_error) {
		char *dir = store_data_dir(c->a->config, c->a);
		c->st = store_open(dir, STORE_WRITE, &c->st_error);
		free(dir);
	}
	return c->st;
}

/* Delivers one message.  *why and *offline tell about a failure. */
static enum smtp_send_status send_deliver(struct send_ctx *c, const struct queue_entry *e,
					  const char *data, size_t len, char **why, bool *offline)
{
	struct queue_envelope env;
	enum smtp_send_status st;
	const char *from = config_get(c->a, OPTION_EMAIL);
	char *wire;
	size_t wlen;
	int rc;

	*offline = false;
	if (store_queue_envelope(data, len, &env, why) < 0)
		return SMTP_SEND_REFUSED;
	if (c->outbox) {
		struct imap_session *s = send_imap(c);
		if (!s) {
			*why = xstrdup(c->imap_r.error);
			*offline = send_unreachable(&c->imap_r);
			store_queue_envelope_release(&env);
			return SMTP_SEND_RETRY;
		}
		/* the server reads the recipients from the header: Bcc stays */
		rc = imap_outbox_send(s, c->a, data, len, e->message_id, e->attempts > 1, why);
		store_queue_envelope_release(&env);
		return rc == 0 ? SMTP_SEND_OK : SMTP_SEND_RETRY;
	}
	if (!from) {
		*why = xasprintf("account '%s' has no email, needed as the sender", c->a->name);
		store_queue_envelope_release(&env);
		return SMTP_SEND_RETRY;
	}
	if (!send_smtp(c)) {
		*why = xstrdup(c->smtp_r.error);
		*offline = send_unreachable(&c->smtp_r);
		store_queue_envelope_release(&env);
		return SMTP_SEND_RETRY;
	}
	wire = store_queue_strip_bcc(data, len, &wlen);
	st = smtp_send_message(c->smtp, c->smtp_r.capabilities, from, env.rcpt, env.n_rcpt, wire,
			       wlen, env.eight_bit_header, env.eight_bit_body, why);
	free(wire);
	store_queue_envelope_release(&env);
	if (st == SMTP_SEND_RETRY) {
		/* a broken connection is not reused for the next message */
		smtp_session_free(&c->smtp);
		c->smtp_tried = false;
		net_report_release(&c->smtp_r);
		memset(&c->smtp_r, 0, sizeof(c->smtp_r));
	}
	return st;
}

/* Whether the journal already holds the append of message_id (a crash
 * after adding it, before the queue entry went). */
static bool send_journal_has(struct store *st, const char *account, const char *message_id)
{
	struct journal_entry *v = NULL;
	size_t n = 0;
	char *cause = NULL;
	bool found = false;

	if (store_journal_load(st, account, &v, &n, NULL, &cause) < 0) {
		free(cause);
		return false;
	}
	for (size_t i = 0; i < n && !found; i++)
		found = strcmp(v[i].op, "append") == 0 && strcmp(v[i].file, message_id) == 0;
	store_journal_free(&v, n);
	return found;
}

/* Files the Sent copy of a delivered message.  True when the queue entry
 * may go (the copy is stored, or its server append is in the journal). */
static bool send_sent_copy(struct send_ctx *c, const struct queue_entry *e, const char *data,
			   size_t len, char **why)
{
	const char *mode = config_get(c->a, OPTION_SENT_COPY);
	bool imap = strcmp(config_account_type(c->a), "imap") == 0;
	struct store_add_opts o = { .flags = "S" };
	struct journal_entry je = { 0 };
	enum store_add_result added;
	struct store *st;
	const char *local;

	if (strcmp(mode, "no") == 0)
		return true;
	if (imap && !c->sent_known) {
		struct imap_session *s = send_imap(c);
		char *cause = NULL;
		if (s && imap_sent_folder(s, c->a, &c->sent_server, &c->sent_local, &cause) < 0) {
			log_debug("send: %s", cause);
			free(cause);
		}
		c->sent_known = true;
	}
	local = c->sent_local ? c->sent_local : config_get(c->a, OPTION_SENT_FOLDER);
	if (!(st = send_store(c))) {
		*why = xstrdup(c->st_error);
		return false;
	}
	if (store_folder_create(st, c->a->name, local, why) < 0)
		return false;
	added = store_add(st, c->a->name, local, data, len, &o, NULL, why);
	send_step("local sent copy stored");
	if (added == STORE_ADD_ERROR)
		return false;
	if (!imap || !e->message_id || strpbrk(e->message_id, "\t\r\n"))
		return true;
	if (send_journal_has(st, c->a->name, e->message_id))
		return true;
	je.op = (char *)"append";
	je.folder = (char *)local;
	je.arg = (char *)(strcmp(mode, "yes") == 0 ? "yes" : "auto");
	je.file = e->message_id;
	if (store_journal_append(st, c->a->name, &je, why) < 0)
		return false;
	send_step("journal append added");
	c->journal_added = true;
	return true;
}

/* Records the outcome of a failed try. */
static void send_failed(struct send_ctx *c, struct queue_entry *e, enum smtp_send_status st,
			const char *why, bool offline)
{
	char *cause = NULL;

	xstrset(&e->error, why);
	e->offline = offline;
	if (st == SMTP_SEND_REFUSED) {
		e->state = QUEUE_FAILED;
		e->next_try = 0;
	} else {
		e->state = QUEUE_QUEUED;
		e->next_try = time(NULL) + store_queue_backoff(e->attempts);
	}
	if (store_queue_save(c->qdir, e, &cause) < 0) {
		send_post(c->w, ENGINE_EVENT_ERROR, "%s", cause);
		free(cause);
	}
	send_post(c->w, ENGINE_EVENT_ERROR, "%s: %s%s", e->id,
		  st == SMTP_SEND_REFUSED ? "not sent: " : "not sent yet: ", why);
}

/* One entry through the steps.  False if it failed. */
static bool send_one(struct send_ctx *c, struct queue_entry *e)
{
	char *cause = NULL, *data;
	size_t len;
	bool ok = false;

	data = store_queue_read(e, &len, &cause);
	if (!data) {
		send_post(c->w, ENGINE_EVENT_ERROR, "%s: %s", e->id, cause);
		free(cause);
		return false;
	}
	if (e->state != QUEUE_DELIVERED) {
		enum smtp_send_status st;
		struct timespec t0, t1;
		bool offline = false;

		if (e->state == QUEUE_SENDING)
			log_debug("send: %s was cut off during a try; sending again", e->id);
		e->state = QUEUE_SENDING;
		e->attempts++;
		send_step("before marking sending");
		if (store_queue_save(c->qdir, e, &cause) < 0) {
			send_post(c->w, ENGINE_EVENT_ERROR, "%s: %s", e->id, cause);
			goto out;
		}
		send_step("marked sending");
		st = send_deliver(c, e, data, len, &cause, &offline);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		send_step("delivery answered");
		if (st != SMTP_SEND_OK) {
			send_failed(c, e, st, cause ? cause : "unknown failure", offline);
			goto out;
		}
		e->state = QUEUE_DELIVERED;
		e->offline = false;
		FREE_NULL(e->error);
		if (store_queue_save(c->qdir, e, &cause) < 0) {
			send_post(c->w, ENGINE_EVENT_ERROR, "%s: sent, but %s", e->id, cause);
			goto out;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		/* the duplicate window: the server has it, the queue does not know */
		log_debug("send: %s: 'delivered' durable %ld us after the server's answer", e->id,
			  (long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000));
		send_step("marked delivered");
		send_post(c->w, ENGINE_EVENT_PROGRESS, "%s: sent to %s", e->id,
			  e->recipients ? e->recipients : "its recipients");
	}
	if (c->outbox && send_imap(c)) {
		/* only now that the queue knows it was sent: while the copy stays
		 * in the outbox, a try cut off before that can tell it went */
		imap_outbox_tidy(c->imap, c->a, e->message_id);
		send_step("outbox tidied");
	}
	if (!send_sent_copy(c, e, data, len, &cause)) {
		send_post(c->w, ENGINE_EVENT_ERROR, "%s: sent; its Sent copy waits: %s", e->id,
			  cause ? cause : "unknown failure");
		goto out;
	}
	if (store_queue_remove(c->qdir, e->id, &cause) < 0) {
		send_post(c->w, ENGINE_EVENT_ERROR, "%s: %s", e->id, cause);
		goto out;
	}
	send_step("removed from the queue");
	ok = true;
out:
	free(cause);
	free(data);
	return ok;
}

bool engine_send_flush(struct engine_worker *w, const char *only, bool force)
{
	struct send_ctx c = { .w = w, .a = engine_worker_account(w) };
	struct queue_entry *v = NULL;
	size_t n = 0;
	char *cause = NULL;
	time_t now = time(NULL);
	bool ok = true, found = false;
	int lock = -1;

	c.qdir = store_queue_dir(c.a->config, c.a);
	c.outbox = strcmp(config_get(c.a, OPTION_SEND), "imap-outbox") == 0;
	if (store_queue_list(c.qdir, &v, &n, &cause) < 0) {
		send_post(w, ENGINE_EVENT_ERROR, "%s", cause);
		ok = false;
		goto out;
	}
	if (n == 0)
		goto out;
	lock = store_queue_lock(c.qdir, &cause);
	if (lock == -2) {
		send_post(w, ENGINE_EVENT_PROGRESS, "another petrel is sending this account's "
			  "queue right now");
		goto out;
	}
	if (lock < 0) {
		send_post(w, ENGINE_EVENT_ERROR, "%s", cause);
		ok = false;
		goto out;
	}
	/* the list may have changed while another process held the lock */
	store_queue_free(&v, n);
	if (store_queue_list(c.qdir, &v, &n, &cause) < 0) {
		send_post(w, ENGINE_EVENT_ERROR, "%s", cause);
		ok = false;
		goto out;
	}
	for (size_t i = 0; i < n && !net_cancel_triggered(engine_worker_cancel(w)); i++) {
		struct queue_entry *e = &v[i];

		if (only && strcmp(only, e->id) != 0)
			continue;
		found = true;
		if (e->state == QUEUE_FAILED && !only)
			continue;
		if (!force && e->state != QUEUE_DELIVERED && e->next_try > now)
			continue;
		if (!send_one(&c, e))
			ok = false;
	}
	if (only && !found) {
		send_post(w, ENGINE_EVENT_ERROR, "no queued message %s", only);
		ok = false;
	}
	/* the Sent copies now, if the server is there; else the next sync */
	if (c.journal_added && c.imap && c.st) {
		if (!engine_sync_replay(w, c.imap, c.st))
			ok = false;
	}
out:
	store_queue_unlock(&lock);
	store_queue_free(&v, n);
	smtp_session_free(&c.smtp);
	imap_session_free(&c.imap);
	net_report_release(&c.smtp_r);
	net_report_release(&c.imap_r);
	store_close(&c.st);
	free(c.st_error);
	free(c.sent_server);
	free(c.sent_local);
	free(c.qdir);
	free(cause);
	return ok;
}

time_t engine_send_next_due(const struct account *a)
{
	char *qdir = store_queue_dir(a->config, a), *cause = NULL;
	struct queue_entry *v = NULL;
	size_t n = 0;
	time_t next = 0;

	if (store_queue_list(qdir, &v, &n, &cause) == 0)
		for (size_t i = 0; i < n; i++) {
			time_t t = v[i].state == QUEUE_DELIVERED ? 1 : v[i].next_try;
			if (v[i].state == QUEUE_FAILED)
				continue;
			if (t < 1)
				t = 1;
			if (!next || t < next)
				next = t;
		}
	store_queue_free(&v, n);
	free(cause);
	free(qdir);
	return next;
}

bool engine_op_send(struct engine_worker *w, const char *id, unsigned flags)
{
	return engine_send_flush(w, id, flags & ENGINE_SEND_NOW);
}
