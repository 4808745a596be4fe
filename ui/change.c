/*
 * Write actions of the index and the pager: read/unread, flag, delete and
 * undelete (the \Deleted mark, as in mutt), move to a folder; on the current
 * message or, after the tag prefix (;), on every tagged message.
 *
 * The UI never writes the store: each action becomes an ENGINE_CMD_CHANGE
 * for the account's engine thread, which applies it locally, journals it
 * and sends it to the server.  Until that command is done its effect is
 * drawn over the rows (ui_change_flags), so a key press shows at once even
 * while a long sync holds the thread; the CHANGED event that follows makes
 * the lists reload from the store.  Quitting waits until every change is
 * safe in the store (not for the server: the journal keeps it).
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "engine/change.h"
#include "mime/mime.h"
#include "ui/private.h"

struct ui_change {
	unsigned long cmd;
	size_t account;
	enum change_op op;
	char *arg;
	char **ids;
	size_t n;
	bool applied;      /* the engine said CHANGED: safe in the store */
	bool done;         /* finished; drawn over the rows until they reload */
	struct ui_change *next;
};

/* What an action applies to. */
struct ui_change_target {
	size_t account;
	char **ids;
	size_t n;
	unsigned flags;      /* of the first message, with pending changes */
	bool tagged;         /* the tagged set (tag prefix) */
	bool copy;           /* a folder prompt for a copy, not a move */
};

void ui_change_free_all(struct ui *ui)
{
	while (ui->changes) {
		struct ui_change *c = ui->changes;
		ui->changes = c->next;
		for (size_t i = 0; i < c->n; i++)
			free(c->ids[i]);
		free(c->ids);
		free(c->arg);
		free(c);
	}
	for (size_t i = 0; i < ui->n_tagged; i++)
		free(ui->tagged[i].id);
	FREE_NULL(ui->tagged);
	ui->n_tagged = 0;
	if (ui->move_target) {
		struct ui_change_target *t = ui->move_target;
		for (size_t i = 0; i < t->n; i++)
			free(t->ids[i]);
		free(t->ids);
		FREE_NULL(ui->move_target);
	}
}

static long change_tag_find(const struct ui *ui, const char *id)
{
	for (size_t i = 0; i < ui->n_tagged; i++)
		if (strcmp(ui->tagged[i].id, id) == 0)
			return (long)i;
	return -1;
}

/* The flags of a row as they will be once the pending changes are done. */
unsigned ui_change_flags(const struct ui *ui, const struct ui_row *r)
{
	unsigned f = r->flags, seen = 0;

	/* the list is newest first: the first change of a flag met wins */
	for (const struct ui_change *c = ui->changes; c; c = c->next) {
		bool mine = false;
		for (size_t i = 0; i < c->n && !mine; i++)
			mine = strcmp(c->ids[i], r->id) == 0;
		if (!mine)
			continue;
		if (c->op != CHANGE_FLAGS) {
			f |= UI_ROW_MOVED;
			continue;
		}
		for (const char *p = c->arg; p[0] && p[1]; p += 2) {
			unsigned bit = p[1] == 'S' ? UI_ROW_UNREAD : p[1] == 'F' ? UI_ROW_FLAGGED
				     : p[1] == 'T' ? UI_ROW_DELETED : 0;
			bool on = p[0] == '+';
			if (!bit || (seen & bit))
				continue;
			seen |= bit;
			if (bit == UI_ROW_UNREAD)
				on = !on;   /* +S is read */
			f = on ? f | bit : f & ~bit;
		}
	}
	if (ui->n_tagged && change_tag_find(ui, r->id) >= 0)
		f |= UI_ROW_TAGGED;
	return f;
}

static void change_free(struct ui_change *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->ids[i]);
	free(c->ids);
	free(c->arg);
	free(c);
}

void ui_change_reloaded(struct ui *ui)
{
	struct ui_change **pp = &ui->changes;

	while (*pp) {
		struct ui_change *c = *pp;
		if (c->done) {
			*pp = c->next;
			change_free(c);
		} else {
			pp = &c->next;
		}
	}
}

bool ui_change_pending(const struct ui *ui)
{
	for (const struct ui_change *c = ui->changes; c; c = c->next)
		if (!c->applied)
			return true;
	return false;
}

/* Queues op for ids[0..n) of account; false with a message if it cannot. */
static bool change_submit(struct ui *ui, size_t account, enum change_op op, const char *arg,
			  char **ids, size_t n)
{
	struct ui_change *c;
	char *text, *cause = NULL, *safe;
	unsigned long cmd;

	text = change_encode(op, arg, (const char *const *)ids, n, &cause);
	if (!text)
		goto fail;
	cmd = engine_submit(ui->engine, ui->accounts[account].a->name, ENGINE_CMD_CHANGE, text,
			    0, ENGINE_PRIO_INTERACTIVE, &cause);
	free(text);
	if (!cmd)
		goto fail;
	c = xcalloc(1, sizeof(*c));
	c->cmd = cmd;
	c->account = account;
	c->op = op;
	c->arg = arg ? xstrdup(arg) : NULL;
	c->ids = xcalloc(n, sizeof(*c->ids));
	for (size_t i = 0; i < n; i++)
		c->ids[i] = xstrdup(ids[i]);
	c->n = n;
	c->next = ui->changes;
	ui->changes = c;
	ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
	return true;
fail:
	safe = sanitize_line(cause ? cause : "unknown error");
	ui_message(ui, true, "cannot change: %s", safe);
	free(safe);
	free(cause);
	return false;
}

static struct ui_change *change_find(struct ui *ui, unsigned long cmd, struct ui_change ***pp)
{
	for (struct ui_change **p = &ui->changes; *p; p = &(*p)->next)
		if ((*p)->cmd == cmd) {
			if (pp)
				*pp = p;
			return *p;
		}
	return NULL;
}

bool ui_change_event(struct ui *ui, const struct engine_event *ev)
{
	struct ui_change **pp = NULL, *c = ev->cmd ? change_find(ui, ev->cmd, &pp) : NULL;
	char *safe;

	if (!c)
		return false;
	switch (ev->type) {
	case ENGINE_EVENT_CHANGED:
		c->applied = true;
		return false;   /* the app reloads as for any CHANGED */
	case ENGINE_EVENT_ERROR:
		safe = sanitize_line(ev->text ? ev->text : "unknown error");
		if (c->applied)
			ui_message(ui, true, "saved here; the server gets it at the next sync "
				   "(%s)", safe);
		else
			ui_message(ui, true, "%s", safe);
		free(safe);
		return true;
	case ENGINE_EVENT_DONE:
		if (c->applied) {
			/* still drawn over the rows until they reload from the store
			 * (reloads are throttled): no flicker back to the old state */
			c->done = true;
			return false;
		}
		*pp = c->next;
		change_free(c);
		/* a failed change loses its overlay at once */
		ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
		return false;
	default:
		return false;
	}
}

/* ---- what an action applies to ---- */

static void change_target_release(struct ui_change_target *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->ids[i]);
	free(t->ids);
}

/* The current message (index cursor, or the pager's), or the tagged ones
 * after the tag prefix.  False with a message when there is none. */
static bool change_target(struct ui *ui, struct ui_change_target *t)
{
	bool prefix = ui->tag_prefix;
	const struct ui_row *first;

	memset(t, 0, sizeof(*t));
	ui->tag_prefix = false;
	if (prefix) {
		if (!ui->n_tagged) {
			ui_message(ui, false, "no message is tagged (t tags one)");
			return false;
		}
		t->account = ui->tagged[0].account;
		t->ids = xcalloc(ui->n_tagged, sizeof(*t->ids));
		for (size_t i = 0; i < ui->n_tagged; i++)
			if (ui->tagged[i].account == t->account)
				t->ids[t->n++] = xstrdup(ui->tagged[i].id);
		if (t->n < ui->n_tagged) {
			ui_message(ui, true, "the tagged messages are of several accounts; one "
				   "account at a time");
			change_target_release(t);
			return false;
		}
		t->tagged = true;
		first = ui_index_find(ui, t->ids[0]);
		t->flags = first ? ui_change_flags(ui, first) : 0;
		return true;
	}
	if (ui->view == UI_VIEW_PAGER) {
		long account;
		const char *id = ui_pager_id(ui, &account);
		const struct ui_row *r;
		if (!id || account < 0) {
			ui_message(ui, false, "no message");
			return false;
		}
		t->account = (size_t)account;
		t->ids = xcalloc(1, sizeof(*t->ids));
		t->ids[t->n++] = xstrdup(id);
		r = ui_index_find(ui, id);
		t->flags = r ? ui_change_flags(ui, r) : 0;
		return true;
	} else {
		const struct ui_row *r = ui_index_current(ui);
		long account;
		if (!r) {
			ui_message(ui, false, "no message here");
			return false;
		}
		account = ui_app_account(ui, r->account);
		if (account < 0) {
			ui_message(ui, true, "this message's account is not in the config any more");
			return false;
		}
		t->account = (size_t)account;
		t->ids = xcalloc(1, sizeof(*t->ids));
		t->ids[t->n++] = xstrdup(r->id);
		t->flags = ui_change_flags(ui, r);
		return true;
	}
}

static void change_move_forget(struct ui *ui)
{
	if (ui->move_target) {
		change_target_release(ui->move_target);
		FREE_NULL(ui->move_target);
	}
}

/* After a change of the current message in the index, mutt moves on. */
static void change_advance(struct ui *ui, const struct ui_change_target *t)
{
	if (!t->tagged && ui->view == UI_VIEW_INDEX)
		ui_index_move(ui, 1);
}

static void change_flags(struct ui *ui, const char *arg, bool advance, const char *what)
{
	struct ui_change_target t;

	if (!change_target(ui, &t))
		return;
	if (change_submit(ui, t.account, CHANGE_FLAGS, arg, t.ids, t.n)) {
		if (t.tagged)
			ui_message(ui, false, "%s: %zu tagged message%s", what, t.n,
				   t.n == 1 ? "" : "s");
		if (advance)
			change_advance(ui, &t);
	}
	change_target_release(&t);
}

void ui_change_toggle_read(struct ui *ui, int count, const char *arg)
{
	/* decided by the first message, so a tagged set ends up all alike */
	bool unread = false;
	struct ui_change_target t;

	if (ui->tag_prefix) {
		if (!ui->n_tagged) {
			ui->tag_prefix = false;
			ui_message(ui, false, "no message is tagged (t tags one)");
			return;
		}
		{
			const struct ui_row *r = ui_index_find(ui, ui->tagged[0].id);
			unread = r && (ui_change_flags(ui, r) & UI_ROW_UNREAD);
		}
		change_flags(ui, unread ? "+S" : "-S", false, unread ? "read" : "unread");
		return;
	}
	if (!change_target(ui, &t))
		return;
	unread = t.flags & UI_ROW_UNREAD;
	change_submit(ui, t.account, CHANGE_FLAGS, unread ? "+S" : "-S", t.ids, t.n);
	change_target_release(&t);
}

void ui_change_toggle_flag(struct ui *ui, int count, const char *arg)
{
	bool flagged = false;

	if (ui->tag_prefix && ui->n_tagged) {
		const struct ui_row *r = ui_index_find(ui, ui->tagged[0].id);
		flagged = r && (ui_change_flags(ui, r) & UI_ROW_FLAGGED);
	} else if (!ui->tag_prefix) {
		const struct ui_row *r = ui->view == UI_VIEW_PAGER
			? ui_index_find(ui, ui_pager_id(ui, NULL)) : ui_index_current(ui);
		flagged = r && (ui_change_flags(ui, r) & UI_ROW_FLAGGED);
	}
	change_flags(ui, flagged ? "-F" : "+F", false, flagged ? "unflagged" : "flagged");
}

void ui_change_delete(struct ui *ui, int count, const char *arg)
{
	change_flags(ui, "+T", true, "marked deleted");
}

void ui_change_undelete(struct ui *ui, int count, const char *arg)
{
	change_flags(ui, "-T", true, "undeleted");
}

/* ---- move, with folder completion ---- */

struct change_complete {
	const char *prefix;   /* "account/" */
	const char *word;
	void (*add)(void *list, const char *candidate);
	void *list;
};

static void change_complete_one(const char *name, void *arg)
{
	struct change_complete *cc = arg;
	size_t pl = strlen(cc->prefix);

	if (strncmp(name, cc->prefix, pl) == 0 &&
	    strncmp(name + pl, cc->word, strlen(cc->word)) == 0)
		cc->add(cc->list, name + pl);
}

static void change_complete(struct ui *ui, const char *word, size_t wordno,
			    void (*add)(void *list, const char *candidate), void *list)
{
	const struct ui_change_target *t = ui->move_target;
	char *prefix;
	struct change_complete cc;

	if (!t)
		return;
	prefix = xasprintf("%s/", ui->accounts[t->account].a->name);
	cc = (struct change_complete){ prefix, word, add, list };
	ui_folders_each(ui, change_complete_one, &cc);
	free(prefix);
}

static void change_move_done(struct ui *ui, const char *text, void *arg)
{
	struct ui_change_target *t = ui->move_target;
	char *cause = NULL;

	if (!t || !text || !*text)
		return;
	if (!store_folder_valid(text, &cause)) {
		char *safe = sanitize_line(cause);
		ui_message(ui, true, "%s", safe);
		free(safe);
		free(cause);
		return;
	}
	if (change_submit(ui, t->account, t->copy ? CHANGE_COPY : CHANGE_MOVE, text, t->ids,
			  t->n)) {
		char *safe = sanitize_line(text);
		ui_message(ui, false, "%s %zu message%s to %s", t->copy ? "copied" : "moved", t->n,
			   t->n == 1 ? "" : "s", safe);
		free(safe);
		if (t->tagged)
			ui_change_untag_all(ui, 0, NULL);
		else if (!t->copy)
			change_advance(ui, t);
	}
	change_move_forget(ui);
}

/* index.move and index.copy: the folder from arg or a prompt */
static void change_to_folder(struct ui *ui, const char *arg, bool copy)
{
	struct ui_change_target *t = xcalloc(1, sizeof(*t));

	if (!change_target(ui, t)) {
		free(t);
		return;
	}
	t->copy = copy;
	/* kept until the prompt is answered (or the next move, or the end) */
	change_move_forget(ui);
	ui->move_target = t;
	if (arg && *arg) {
		change_move_done(ui, arg, NULL);
		return;
	}
	ui_cmdline_prompt(ui, copy ? (t->tagged ? "Copy tagged messages to folder: "
						: "Copy to folder: ")
				   : (t->tagged ? "Move tagged messages to folder: "
						: "Move to folder: "),
			  NULL, change_complete, change_move_done, NULL, false);
}

void ui_change_move(struct ui *ui, int count, const char *arg)
{
	change_to_folder(ui, arg, false);
}

void ui_change_copy(struct ui *ui, int count, const char *arg)
{
	change_to_folder(ui, arg, true);
}

/* ---- tags ---- */

void ui_change_tag(struct ui *ui, int count, const char *arg)
{
	const struct ui_row *r = ui_index_current(ui);
	long i, account;

	if (!r) {
		ui_message(ui, false, "no message here");
		return;
	}
	i = change_tag_find(ui, r->id);
	if (i >= 0) {
		free(ui->tagged[i].id);
		ui->tagged[i] = ui->tagged[--ui->n_tagged];
	} else if ((account = ui_app_account(ui, r->account)) >= 0) {
		ui->tagged = xrealloc(ui->tagged, (ui->n_tagged + 1) * sizeof(*ui->tagged));
		ui->tagged[ui->n_tagged].id = xstrdup(r->id);
		ui->tagged[ui->n_tagged].account = (size_t)account;
		ui->n_tagged++;
	}
	ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
	ui_index_move(ui, 1);
}

void ui_change_untag_all(struct ui *ui, int count, const char *arg)
{
	for (size_t i = 0; i < ui->n_tagged; i++)
		free(ui->tagged[i].id);
	FREE_NULL(ui->tagged);
	ui->n_tagged = 0;
	ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
}

#define CHANGE_TAG_MAX 10000   /* a pattern tags at most this many */

struct change_tag_walk {
	struct ui *ui;
	unsigned added;
};

static void change_tag_one(const struct store_msg *m, void *arg)
{
	struct change_tag_walk *w = arg;
	struct ui *ui = w->ui;
	long account = ui_app_account(ui, m->account);

	if (account < 0 || change_tag_find(ui, m->id) >= 0)
		return;
	ui->tagged = xrealloc(ui->tagged, (ui->n_tagged + 1) * sizeof(*ui->tagged));
	ui->tagged[ui->n_tagged].id = xstrdup(m->id);
	ui->tagged[ui->n_tagged].account = (size_t)account;
	ui->n_tagged++;
	w->added++;
}

static void change_tag_pattern_done(struct ui *ui, const char *text, void *arg)
{
	struct change_tag_walk w = { ui, 0 };
	const char *list = ui_index_query(ui);
	long account = ui_index_account(ui);
	struct store *s = account >= 0 ? ui_app_store(ui, (size_t)account) : NULL;
	char *q, *cause = NULL;

	if (!text || !*text || !s || !list)
		return;
	q = ui_rows_and(list, text);
	if (store_query(s, q, CHANGE_TAG_MAX, STORE_NEWEST_FIRST, change_tag_one, &w,
			&cause) < 0) {
		char *safe = sanitize_line(cause ? cause : "the query failed");
		ui_message(ui, true, "%s", safe);
		free(safe);
		free(cause);
	} else {
		ui_message(ui, false, "tagged %u more message%s (%zu in all; ; applies an action "
			   "to them)", w.added, w.added == 1 ? "" : "s", ui->n_tagged);
	}
	free(q);
	ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
}

void ui_change_tag_pattern(struct ui *ui, int count, const char *arg)
{
	if (arg && *arg) {
		change_tag_pattern_done(ui, arg, NULL);
		return;
	}
	ui_cmdline_prompt(ui, "Tag the messages matching: ", NULL, NULL,
			  change_tag_pattern_done, NULL, false);
}

void ui_change_tag_prefix(struct ui *ui, int count, const char *arg)
{
	if (!ui->n_tagged) {
		ui_message(ui, false, "no message is tagged (t tags one)");
		return;
	}
	ui->tag_prefix = true;
	ui_message(ui, false, "tag-: the next action applies to the %zu tagged message%s",
		   ui->n_tagged, ui->n_tagged == 1 ? "" : "s");
}

/* Opening an unread message in the pager marks it read, as every mail
 * client does; the server hears it through the journal. */
void ui_change_mark_read(struct ui *ui, size_t account, const struct ui_row *r)
{
	char *id;

	if (!(ui_change_flags(ui, r) & UI_ROW_UNREAD))
		return;
	id = xstrdup(r->id);
	change_submit(ui, account, CHANGE_FLAGS, "+S", &id, 1);
	free(id);
}
