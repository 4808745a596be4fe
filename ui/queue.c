/*
 * The queue view: the outgoing messages of every account (the send queues
 * of src/store/queue.c, read directly: they need no index), with their
 * state, attempts, next try and last error; retry one now, or cancel it (its
 * text goes back to the drafts folder, ENGINE_CMD_UNQUEUE).  The status line
 * shows how many wait (ui_queue_count).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "mime/mime.h"
#include "ui/private.h"

struct queue_row {
	size_t account;
	struct queue_entry e;
};

struct ui_queue {
	struct queue_row *v;
	size_t n, cursor, top;
	unsigned count;        /* entries, for the status line */
	bool stale;            /* count must be read again */
	char *error;           /* sanitized: the last problem reading a queue */
	/* cancels handed to the engine: their DONE says how it went */
	unsigned long *cancels;
	size_t n_cancels;
};

void ui_queue_new(struct ui *ui)
{
	ui->queue = xcalloc(1, sizeof(*ui->queue));
	ui->queue->stale = true;
}

static void queue_clear(struct ui_queue *q)
{
	for (size_t i = 0; i < q->n; i++)
		store_queue_entry_release(&q->v[i].e);
	FREE_NULL(q->v);
	q->n = 0;
}

void ui_queue_free(struct ui *ui)
{
	if (!ui->queue)
		return;
	queue_clear(ui->queue);
	free(ui->queue->error);
	free(ui->queue->cancels);
	FREE_NULL(ui->queue);
}

/* Reads every account's queue. */
static void queue_load(struct ui *ui)
{
	struct ui_queue *q = ui->queue;

	queue_clear(q);
	FREE_NULL(q->error);
	for (size_t i = 0; i < ui->n_accounts; i++) {
		char *qdir = store_queue_dir(ui->cfg, ui->accounts[i].a), *cause = NULL;
		struct queue_entry *v = NULL;
		size_t n = 0;

		if (store_queue_list(qdir, &v, &n, &cause) < 0) {
			free(q->error);
			q->error = sanitize_line(cause);
			free(cause);
		}
		q->v = xrealloc(q->v, (q->n + n + 1) * sizeof(*q->v));
		for (size_t k = 0; k < n; k++) {
			q->v[q->n].account = i;
			q->v[q->n++].e = v[k];
		}
		free(v);   /* the entries moved into q->v */
		free(qdir);
	}
	q->count = (unsigned)q->n;
	q->stale = false;
	if (q->cursor >= q->n)
		q->cursor = q->n ? q->n - 1 : 0;
}

void ui_queue_changed(struct ui *ui)
{
	if (!ui->queue)
		return;
	ui->queue->stale = true;
	if (ui->view == UI_VIEW_QUEUE)
		queue_load(ui);
	ui->dirty |= UI_DIRTY_STATUS | (ui->view == UI_VIEW_QUEUE ? UI_DIRTY_MAIN : 0);
}

unsigned ui_queue_count(struct ui *ui)
{
	struct ui_queue *q = ui->queue;

	if (!q)
		return 0;
	if (q->stale) {
		unsigned n = 0;
		for (size_t i = 0; i < ui->n_accounts; i++) {
			char *qdir = store_queue_dir(ui->cfg, ui->accounts[i].a), *cause = NULL;
			struct queue_entry *v = NULL;
			size_t k = 0;
			if (store_queue_list(qdir, &v, &k, &cause) == 0)
				n += (unsigned)k;
			free(cause);
			store_queue_free(&v, k);
			free(qdir);
		}
		q->count = n;
		q->stale = false;
	}
	return q->count;
}

void ui_queue_open(struct ui *ui, int count, const char *arg)
{
	queue_load(ui);
	ui_app_show(ui, UI_VIEW_QUEUE);
}

void ui_queue_quit(struct ui *ui, int count, const char *arg)
{
	ui_app_show(ui, ui_pager_id(ui, NULL) && ui->view != UI_VIEW_QUEUE ? UI_VIEW_PAGER
									  : UI_VIEW_INDEX);
}

void ui_queue_next(struct ui *ui, int count, const char *arg)
{
	struct ui_queue *q = ui->queue;

	if (q->cursor + 1 < q->n)
		q->cursor++;
	ui->dirty |= UI_DIRTY_MAIN;
}

void ui_queue_prev(struct ui *ui, int count, const char *arg)
{
	if (ui->queue->cursor)
		ui->queue->cursor--;
	ui->dirty |= UI_DIRTY_MAIN;
}

static const char *queue_when(time_t t, char *buf, size_t size)
{
	time_t now = time(NULL);

	if (!t || t <= now)
		snprintf(buf, size, "now");
	else if (t - now < 60)
		snprintf(buf, size, "in %llds", (long long)(t - now));
	else if (t - now < 3600)
		snprintf(buf, size, "in %lldm", (long long)((t - now + 59) / 60));
	else
		snprintf(buf, size, "in %lldh", (long long)((t - now + 3599) / 3600));
	return buf;
}

void ui_queue_draw(struct ui *ui)
{
	struct ui_queue *q = ui->queue;
	attr_t n = ui_theme_attr(UI_EL_NORMAL), err = ui_theme_attr(UI_EL_ERROR);
	int y = ui->main_y, end = ui->main_y + ui->main_h;
	size_t per = 2;   /* lines per entry: the entry and its state or error */

	if (q->n == 0) {
		ui_draw_str(y++, ui->main_x, ui->main_w,
			    q->error ? q->error : "Nothing waits to be sent.", q->error ? err : n, true);
		while (y < end)
			ui_draw_fill(y++, ui->main_x, ui->main_w, n);
		return;
	}
	if (q->cursor < q->top)
		q->top = q->cursor;
	if (ui->main_h >= 2 && (q->cursor - q->top + 1) * per > (size_t)ui->main_h)
		q->top = q->cursor + 1 - (size_t)ui->main_h / per;
	for (size_t i = q->top; i < q->n && y < end; i++) {
		const struct queue_row *r = &q->v[i];
		const struct queue_entry *e = &r->e;
		char *to = sanitize_line(e->recipients ? e->recipients : "(no recipients)");
		char *subj = ui_header_text(e->subject ? e->subject : "");
		char *line, *state, when[32], size[16];
		attr_t at = i == q->cursor ? ui_theme_attr(UI_EL_CURSOR) : n;

		line = xasprintf("%-10s %-10s %s  %s  (%s)", e->id, ui->accounts[r->account].name,
				 to, subj, ui_size_text(e->size, size));
		ui_draw_str(y++, ui->main_x, ui->main_w, line, at, true);
		if (y < end) {
			if (e->state == QUEUE_QUEUED && e->offline)
				state = xasprintf("   queued: the server could not be reached; next try %s "
						  "(%u so far)", queue_when(e->next_try, when, sizeof(when)),
						  e->attempts);
			else if (e->state == QUEUE_QUEUED)
				state = xasprintf("   queued: next try %s; %u tries so far",
						  queue_when(e->next_try, when, sizeof(when)),
						  e->attempts);
			else
				state = xasprintf("   %s", store_queue_state_name(e->state));
			if (e->error) {
				char *why = sanitize_line(e->error), *both;
				both = xasprintf("%s: %s", state, why);
				free(state);
				free(why);
				state = both;
			}
			ui_draw_str(y++, ui->main_x, ui->main_w, state,
				    e->state == QUEUE_FAILED || (e->error && !e->offline) ? err : n,
				    true);
			free(state);
		}
		free(line);
		free(to);
		free(subj);
	}
	while (y < end)
		ui_draw_fill(y++, ui->main_x, ui->main_w, n);
}

void ui_queue_describe(struct ui *ui, char *buf, size_t size)
{
	struct ui_queue *q = ui->queue;

	snprintf(buf, size, "queue  %zu waiting  R retry now  D cancel (back to drafts)  q back",
		 q->n);
}

static const struct queue_row *queue_current(struct ui *ui)
{
	struct ui_queue *q = ui->queue;

	if (q->n == 0) {
		ui_message(ui, false, "nothing waits to be sent");
		return NULL;
	}
	return &q->v[q->cursor];
}

void ui_queue_retry(struct ui *ui, int count, const char *arg)
{
	const struct queue_row *r = queue_current(ui);
	const struct account *a;
	struct queue_entry e;
	char *qdir, *cause = NULL;

	if (!r)
		return;
	a = ui->accounts[r->account].a;
	qdir = store_queue_dir(ui->cfg, a);
	if (store_queue_get(qdir, r->e.id, &e, &cause) < 0) {
		char *safe = sanitize_line(cause);
		ui_message(ui, true, "%s", safe);
		free(safe);
		free(cause);
		free(qdir);
		ui_queue_changed(ui);
		return;
	}
	if (e.state == QUEUE_FAILED) {
		e.state = QUEUE_QUEUED;
		e.next_try = 0;
		if (store_queue_save(qdir, &e, &cause) < 0) {
			char *safe = sanitize_line(cause);
			ui_message(ui, true, "cannot retry: %s", safe);
			free(safe);
			FREE_NULL(cause);
		}
	}
	if (!engine_submit(ui->engine, a->name, ENGINE_CMD_SEND, e.id, ENGINE_SEND_NOW,
			   ENGINE_PRIO_INTERACTIVE, &cause)) {
		char *safe = sanitize_line(cause);
		ui_message(ui, true, "cannot retry: %s", safe);
		free(safe);
		free(cause);
	} else {
		ui_message(ui, false, "trying %s again", e.id);
	}
	store_queue_entry_release(&e);
	free(qdir);
	ui_queue_changed(ui);
}

static void queue_cancel_done(struct ui *ui, const char *text, void *arg)
{
	struct ui_queue *q = ui->queue;
	const struct queue_row *r;
	char *cause = NULL;
	unsigned long cmd;

	if (strcmp(text, "y") != 0 || !(r = queue_current(ui)))
		return;
	cmd = engine_submit(ui->engine, ui->accounts[r->account].a->name, ENGINE_CMD_UNQUEUE,
			    r->e.id, 0, ENGINE_PRIO_INTERACTIVE, &cause);
	if (!cmd) {
		char *safe = sanitize_line(cause);
		ui_message(ui, true, "cannot cancel: %s", safe);
		free(safe);
		free(cause);
		return;
	}
	q->cancels = xrealloc(q->cancels, (q->n_cancels + 1) * sizeof(*q->cancels));
	q->cancels[q->n_cancels++] = cmd;
	ui_message(ui, false, "cancelling %s", r->e.id);
}

void ui_queue_cancel(struct ui *ui, int count, const char *arg)
{
	const struct queue_row *r = queue_current(ui);
	char *question;

	if (!r)
		return;
	question = xasprintf("cancel sending %s? Its text goes to %s (y/n) ", r->e.id,
			     config_get(ui->accounts[r->account].a, OPTION_DRAFTS_FOLDER));
	ui_cmdline_confirm(ui, question, queue_cancel_done, NULL, false);
	free(question);
}

bool ui_queue_event(struct ui *ui, const struct engine_event *ev)
{
	struct ui_queue *q = ui->queue;
	size_t i;

	for (i = 0; i < q->n_cancels && q->cancels[i] != ev->cmd; i++)
		;
	if (i == q->n_cancels || !ev->cmd)
		return false;
	if (ev->type == ENGINE_EVENT_ERROR) {
		char *safe = sanitize_line(ev->text ? ev->text : "unknown error");
		ui_message(ui, true, "%s", safe);
		free(safe);
	} else if (ev->type == ENGINE_EVENT_DONE) {
		q->cancels[i] = q->cancels[--q->n_cancels];
		if (ev->ok)
			ui_message(ui, false, "cancelled: the message is in the drafts folder");
		ui_queue_changed(ui);
	} else {
		return false;   /* CHANGED: the drafts folder, for the readers */
	}
	return true;
}
