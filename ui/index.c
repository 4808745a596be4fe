/*
 * The index: the messages of a folder (or of a search), newest first, one
 * line each with flags, date, sender, subject and size, and "~" for a
 * message whose body is not in the store yet.  It reads through the lazy
 * row window (rows.c), so opening a folder of any size costs one screenful.
 * When the store changes under it the list is reloaded around the cursor's
 * message, which keeps its place on the screen as new rows appear above.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mime/mime.h"
#include "ui/private.h"

#define INDEX_MARGIN 100   /* rows loaded beyond the screen */

struct ui_index {
	struct ui_rows rows;
	long account;        /* whose store is read; -1 when there is none */
	char *folder;        /* NULL for a search of every account */
	char *base;          /* the folder's (or the search's) query */
	char *limit;         /* the user's limit, or NULL */
	char *search;        /* the last search, for n and N */
	char *title;         /* sanitized */
	size_t cursor, top;
	unsigned unread;
	bool to_column;      /* Sent or Drafts: To instead of From */
	/* a server search under way (index.search-server) */
	unsigned long server_cmd;
	long server_account;
	char *server_query;
	char **found;
	size_t n_found;
};

void ui_index_new(struct ui *ui)
{
	ui->index = xcalloc(1, sizeof(*ui->index));
	ui->index->account = -1;
	ui->index->base = xstrdup("id:\"\"");
	ui->index->title = xstrdup("(no folder)");
}

void ui_index_free(struct ui *ui)
{
	struct ui_index *x = ui->index;

	if (!x)
		return;
	ui_rows_release(&x->rows);
	free(x->folder);
	free(x->base);
	free(x->limit);
	free(x->search);
	free(x->title);
	free(x->server_query);
	for (size_t i = 0; i < x->n_found; i++)
		free(x->found[i]);
	free(x->found);
	FREE_NULL(ui->index);
}

static struct store *index_store(struct ui *ui)
{
	return ui->index->account >= 0 ? ui_app_store(ui, (size_t)ui->index->account) : NULL;
}

static char *index_query(const struct ui_index *x)
{
	return x->limit ? ui_rows_and(x->base, x->limit) : xstrdup(x->base);
}

static void index_count_unread(struct ui *ui)
{
	struct ui_index *x = ui->index;
	struct store *s = index_store(ui);
	char *q = ui_rows_and(x->rows.query ? x->rows.query : x->base, "tag:unread");
	char *cause = NULL;

	x->unread = 0;
	if (s && store_count(s, q, &x->unread, &cause) < 0)
		free(cause);
	free(q);
}

/* Loads the list from the top; false (with a message) for a bad query. */
static bool index_load(struct ui *ui)
{
	struct ui_index *x = ui->index;
	char *q = index_query(x), *cause = NULL;
	int rc = ui_rows_open(&x->rows, index_store(ui), q,
			      (size_t)(ui->main_h > 0 ? ui->main_h : 1) + INDEX_MARGIN, &cause);

	free(q);
	x->cursor = x->top = 0;
	ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
	if (rc < 0) {
		char *safe = sanitize_line(cause);
		ui_message(ui, true, "%s", safe);
		free(safe);
		free(cause);
		return false;
	}
	index_count_unread(ui);
	return true;
}

void ui_index_open_folder(struct ui *ui, size_t account, const char *folder)
{
	struct ui_index *x = ui->index;
	char *f;

	if (account >= ui->n_accounts)
		return;
	/* tags belong to the list they were made in, as in mutt */
	if (ui->n_tagged && (x->account != (long)account || !x->folder || !folder ||
			     strcmp(x->folder, folder) != 0))
		ui_change_untag_all(ui, 0, NULL);
	x->account = (long)account;
	xstrset(&x->folder, folder);
	x->to_column = folder &&
		       (strcmp(folder, config_get(ui->accounts[account].a, OPTION_SENT_FOLDER)) == 0 ||
			strcmp(folder, config_get(ui->accounts[account].a, OPTION_DRAFTS_FOLDER)) == 0);
	free(x->base);
	x->base = store_folder_query(ui->accounts[account].a->name, folder);
	FREE_NULL(x->limit);
	f = sanitize_line(folder ? folder : "");
	free(x->title);
	x->title = xasprintf("%s/%s", ui->accounts[account].name, f);
	free(f);
	index_load(ui);
	ui_folders_visited(ui, account, folder);
	if (ui->view != UI_VIEW_INDEX)
		ui_app_show(ui, UI_VIEW_INDEX);
}

long ui_index_account(const struct ui *ui)
{
	return ui->index ? ui->index->account : -1;
}

const char *ui_index_folder(const struct ui *ui)
{
	return ui->index ? ui->index->folder : NULL;
}

void ui_index_refresh(struct ui *ui)
{
	struct ui_index *x = ui->index;
	const struct ui_row *cur = ui_index_current(ui);
	struct store *s = index_store(ui);
	char *id, *cause = NULL;
	time_t date;
	size_t offset = x->cursor >= x->top ? x->cursor - x->top : 0;
	long pos;

	if (!cur) {
		char *q = index_query(x);
		if (ui_rows_open(&x->rows, s, q, (size_t)ui->main_h + INDEX_MARGIN, &cause) < 0)
			FREE_NULL(cause);
		free(q);
		x->cursor = x->top = 0;
		index_count_unread(ui);
		ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
		return;
	}
	id = xstrdup(cur->id);
	date = cur->date;
	pos = ui_rows_reload(&x->rows, s, id, date, (size_t)ui->main_h + INDEX_MARGIN, &cause);
	free(id);
	if (pos < 0) {
		FREE_NULL(cause);
		pos = 0;
	}
	x->cursor = (size_t)pos;
	/* the cursor keeps its line, except when the newest rows were in view:
	 * then new mail comes into view at the top while the cursor fits */
	if (x->top == 0 && x->cursor < (size_t)ui->main_h)
		x->top = 0;
	else
		x->top = x->cursor >= offset ? x->cursor - offset : 0;
	index_count_unread(ui);
	ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
}

const struct ui_row *ui_index_current(struct ui *ui)
{
	struct ui_index *x = ui->index;

	if (!x || x->rows.total == 0)
		return NULL;
	return ui_rows_at(&x->rows, index_store(ui), x->cursor);
}

const char *ui_index_query(const struct ui *ui)
{
	return ui->index ? ui->index->rows.query : NULL;
}

const struct ui_row *ui_index_find(struct ui *ui, const char *id)
{
	struct ui_index *x = ui->index;
	long pos = x && id ? ui_rows_find(&x->rows, id) : -1;

	return pos >= 0 ? ui_rows_at(&x->rows, index_store(ui), (size_t)pos) : NULL;
}

/* Puts the cursor at pos (clamped) and scrolls so it shows. */
static void index_goto(struct ui *ui, long pos)
{
	struct ui_index *x = ui->index;
	size_t h = ui->main_h > 0 ? (size_t)ui->main_h : 1;

	if (pos < 0)
		pos = 0;
	if (x->rows.total && (size_t)pos >= x->rows.total)
		pos = (long)x->rows.total - 1;
	/* touching the row loads its page; the total may shrink at the end */
	if (x->rows.total && !ui_rows_at(&x->rows, index_store(ui), (size_t)pos)) {
		pos = x->rows.total ? (long)x->rows.total - 1 : 0;
		if (!ui_rows_at(&x->rows, index_store(ui), (size_t)pos))
			pos = 0;
	}
	x->cursor = (size_t)pos;
	if (x->cursor < x->top)
		x->top = x->cursor;
	if (x->cursor >= x->top + h)
		x->top = x->cursor - h + 1;
	ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
}

bool ui_index_move(struct ui *ui, long delta)
{
	struct ui_index *x = ui->index;
	long to = (long)x->cursor + delta;

	if (x->rows.total == 0 || to < 0 || (size_t)to >= x->rows.total)
		return false;
	index_goto(ui, to);
	return x->cursor == (size_t)to;
}

/* The date column: time today, "Mon DD" this year, else the year. */
static void index_date(time_t t, char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm, tn;

	localtime_r(&t, &tm);
	localtime_r(&now, &tn);
	if (t == 0)
		snprintf(buf, size, "?");
	else if (tm.tm_year == tn.tm_year && tm.tm_yday == tn.tm_yday)
		strftime(buf, size, "%H:%M", &tm);
	else if (tm.tm_year == tn.tm_year || (t <= now && now - t < 180 * 86400))
		strftime(buf, size, "%b %d", &tm);
	else
		strftime(buf, size, "%Y-%m-%d", &tm);
}

static void index_draw_row(struct ui *ui, int y, const struct ui_row *r, bool cursor)
{
	int x = ui->main_x, w = ui->main_w, fromw, datew = 10, sizew = 5;
	unsigned f = ui_change_flags(ui, r);
	attr_t base = cursor ? ui_theme_attr(UI_EL_CURSOR)
		    : f & UI_ROW_FLAGGED ? ui_theme_attr(UI_EL_INDEX_FLAGGED)
		    : f & UI_ROW_UNREAD ? ui_theme_attr(UI_EL_INDEX_UNREAD)
		    : ui_theme_attr(UI_EL_NORMAL);
	char flags[4], date[32], size[16];
	int used;

	flags[0] = f & UI_ROW_UNREAD ? 'N' : f & UI_ROW_REPLIED ? 'r'
		 : f & UI_ROW_PASSED ? 'f' : ' ';
	/* mutt's marks: D deleted first, then ! flagged; > on its way out */
	flags[1] = f & UI_ROW_MOVED ? '>' : f & UI_ROW_DELETED ? 'D'
		 : f & UI_ROW_FLAGGED ? '!' : ' ';
	flags[2] = '\0';
	ui_draw_str(y, x, 2, flags, base, true);
	ui_draw_str(y, x + 2, 1, f & UI_ROW_PARTIAL ? "~" : " ",
		    cursor ? base : ui_theme_attr(UI_EL_INDEX_REMOTE), true);
	used = 4;
	ui_draw_str(y, x + 3, 1, f & UI_ROW_TAGGED ? "*" : " ", base, true);
	if (w < 40) {   /* narrow: flags and subject only */
		ui_draw_str(y, x + used, w - used, r->subject, base, true);
		return;
	}
	index_date(r->date, date, sizeof(date));
	ui_draw_str(y, x + used, datew, date, base, true);
	used += datew + 1;
	ui_draw_fill(y, x + used - 1, 1, base);
	fromw = w / 5 < 8 ? 8 : w / 5 > 24 ? 24 : w / 5;
	if (ui->index->to_column) {
		int tw = ui_draw_str(y, x + used, fromw, "To ", base, false);
		ui_draw_str(y, x + used + tw, fromw - tw, r->to ? r->to : "", base, true);
	} else {
		ui_draw_str(y, x + used, fromw, r->from, base, true);
	}
	used += fromw + 1;
	ui_draw_fill(y, x + used - 1, 1, base);
	ui_draw_str(y, x + used, w - used - sizew - 1, r->subject, base, true);
	ui_size_text((unsigned long long)r->size, size);
	ui_draw_fill(y, x + w - sizew - 1, 1, base);
	ui_draw_fill(y, x + w - sizew, sizew - (int)strlen(size) > 0 ? sizew - (int)strlen(size)
								       : 0, base);
	ui_draw_str(y, x + w - (int)strlen(size), (int)strlen(size), size, base, false);
}

void ui_index_draw(struct ui *ui)
{
	struct ui_index *x = ui->index;
	struct store *s = index_store(ui);
	size_t h = (size_t)ui->main_h;

	if (x->cursor >= x->top + h && h)
		x->top = x->cursor - h + 1;
	for (size_t i = 0; i < h; i++) {
		int y = ui->main_y + (int)i;
		const struct ui_row *r = x->top + i < x->rows.total
						 ? ui_rows_at(&x->rows, s, x->top + i) : NULL;

		if (r)
			index_draw_row(ui, y, r, x->top + i == x->cursor);
		else if (i == 0 && x->rows.total == 0)
			ui_draw_str(y, ui->main_x, ui->main_w,
				    x->limit ? "  No message matches the limit (l and an empty "
					       "query shows all)."
				    : x->account < 0 ? "  No folder to show."
				    : "  No messages here.  $ syncs the account with its "
				      "server.", ui_theme_attr(UI_EL_NORMAL), true);
		else
			ui_draw_fill(y, ui->main_x, ui->main_w, ui_theme_attr(UI_EL_NORMAL));
	}
}

void ui_index_describe(struct ui *ui, char *buf, size_t size)
{
	struct ui_index *x = ui->index;
	char *lim = x->limit ? sanitize_line(x->limit) : NULL;

	snprintf(buf, size, "%s%s%s%s  %zu/%u%s, %u unread", x->title, lim ? " [limit: " : "",
		 lim ? lim : "", lim ? "]" : "", x->rows.total ? x->cursor + 1 : 0,
		 x->rows.total, x->rows.threads ? " (threads)" : "", x->unread);
	free(lim);
}

/* ---- actions ---- */

void ui_index_threads(struct ui *ui, int count, const char *arg)
{
	struct ui_index *x = ui->index;
	const struct ui_row *cur = ui_index_current(ui);
	char *id = cur ? xstrdup(cur->id) : NULL;
	long pos;

	x->rows.threads = !x->rows.threads;
	if (!index_load(ui)) {
		free(id);
		return;
	}
	/* the cursor stays on its message if it is listed (else its thread's
	 * row is not known here: the top) */
	pos = id ? ui_rows_find(&x->rows, id) : -1;
	if (pos > 0)
		index_goto(ui, pos);
	free(id);
	ui_message(ui, false, x->rows.threads ? "threads, newest first (z opens or closes one)"
					      : "messages, newest first");
}

void ui_index_thread_toggle(struct ui *ui, int count, const char *arg)
{
	struct ui_index *x = ui->index;
	struct store *s = index_store(ui);
	long pos;

	if (!x->rows.threads) {
		ui_message(ui, false, "the list shows messages, not threads (o shows threads)");
		return;
	}
	if (!s || (pos = ui_rows_thread_toggle(&x->rows, s, x->cursor)) < 0)
		return;
	index_goto(ui, pos);
	ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
}

void ui_index_next(struct ui *ui, int count, const char *arg)
{
	if (!ui_index_move(ui, count ? count : 1) && ui->index->rows.total)
		index_goto(ui, (long)ui->index->rows.total - 1);
}

void ui_index_prev(struct ui *ui, int count, const char *arg)
{
	if (!ui_index_move(ui, -(count ? count : 1)))
		index_goto(ui, 0);
}

void ui_index_page_down(struct ui *ui, int count, const char *arg)
{
	long h = ui->main_h > 1 ? ui->main_h : 1;

	ui->index->top += (size_t)(h * (count ? count : 1));
	index_goto(ui, (long)ui->index->cursor + h * (count ? count : 1));
}

void ui_index_page_up(struct ui *ui, int count, const char *arg)
{
	struct ui_index *x = ui->index;
	long h = ui->main_h > 1 ? ui->main_h : 1, by = h * (count ? count : 1);

	x->top = (long)x->top > by ? x->top - (size_t)by : 0;
	index_goto(ui, (long)x->cursor - by);
}

void ui_index_first(struct ui *ui, int count, const char *arg)
{
	index_goto(ui, count ? count - 1 : 0);
}

void ui_index_last(struct ui *ui, int count, const char *arg)
{
	struct ui_index *x = ui->index;
	long last;

	if (count) {
		index_goto(ui, count - 1);
		return;
	}
	last = ui_rows_last(&x->rows, index_store(ui), (size_t)ui->main_h + INDEX_MARGIN);
	if (last >= 0)
		index_goto(ui, last);
}

void ui_index_open(struct ui *ui, int count, const char *arg)
{
	if (!ui_index_current(ui)) {
		ui_message(ui, false, "no message to open");
		return;
	}
	ui_pager_open(ui);
}

/* Moves to the next (dir 1) or previous (-1) message matching extra. */
static bool index_seek(struct ui *ui, const char *extra, int dir, const char *none)
{
	struct ui_index *x = ui->index;
	char *cause = NULL;
	long pos;

	if (!ui_index_current(ui)) {
		ui_message(ui, false, "%s", none);
		return false;
	}
	pos = ui_rows_seek(&x->rows, index_store(ui), x->cursor, extra, dir, &cause);
	if (pos == -2) {
		char *safe = sanitize_line(cause ? cause : "the search failed");
		ui_message(ui, true, "%s", safe);
		free(safe);
		free(cause);
		return false;
	}
	if (pos < 0) {
		ui_message(ui, false, "%s", none);
		return false;
	}
	index_goto(ui, pos);
	return true;
}

void ui_index_next_unread(struct ui *ui, int count, const char *arg)
{
	index_seek(ui, "tag:unread", 1, "no unread message below");
}

static void index_limit_done(struct ui *ui, const char *text, void *arg)
{
	struct ui_index *x = ui->index;
	char *old = x->limit;

	x->limit = text && *text && strcmp(text, "*") != 0 ? xstrdup(text) : NULL;
	if (!index_load(ui)) {
		free(x->limit);
		x->limit = old;
		index_load(ui);
		return;
	}
	free(old);
	if (x->limit)
		ui_message(ui, false, "%u messages match (l and an empty query shows all)",
			   x->rows.total);
	else
		FREE_NULL(ui->message);
}

void ui_index_limit(struct ui *ui, int count, const char *arg)
{
	if (arg) {
		index_limit_done(ui, arg, NULL);
		return;
	}
	ui_cmdline_prompt(ui, "Limit to (notmuch query, empty for all): ", ui->index->limit,
			  NULL, index_limit_done, NULL, false);
}

static void index_search_done(struct ui *ui, const char *text, void *arg)
{
	char *q;

	if (!text || !*text)
		return;
	xstrset(&ui->index->search, text);
	q = xstrdup(text);
	if (index_seek(ui, q, 1, "no match below the cursor (M-n searches upward, "
			     "M-s asks the server)"))
		FREE_NULL(ui->message);
	free(q);
}

void ui_index_search(struct ui *ui, int count, const char *arg)
{
	if (arg) {
		index_search_done(ui, arg, NULL);
		return;
	}
	ui_cmdline_prompt(ui, "Search: ", NULL, NULL, index_search_done, NULL, false);
}

void ui_index_search_next(struct ui *ui, int count, const char *arg)
{
	char *q;

	if (!ui->index->search) {
		ui_message(ui, false, "no search yet (/ starts one)");
		return;
	}
	q = xstrdup(ui->index->search);
	index_seek(ui, q, 1, "no match below the cursor (M-n searches upward)");
	free(q);
}

void ui_index_search_prev(struct ui *ui, int count, const char *arg)
{
	char *q;

	if (!ui->index->search) {
		ui_message(ui, false, "no search yet (/ starts one)");
		return;
	}
	q = xstrdup(ui->index->search);
	index_seek(ui, q, -1, "no match above the cursor (n searches downward)");
	free(q);
}

static void index_search_all_done(struct ui *ui, const char *text, void *arg)
{
	struct ui_index *x = ui->index;
	char *safe;

	if (!text || !*text)
		return;
	if (x->account < 0) {
		if (!ui->n_accounts)
			return;
		x->account = 0;
	}
	xstrset(&x->base, text);
	ui_change_untag_all(ui, 0, NULL);
	FREE_NULL(x->folder);
	x->to_column = false;
	FREE_NULL(x->limit);
	safe = sanitize_line(text);
	free(x->title);
	x->title = xasprintf("search: %s", safe);
	free(safe);
	if (index_load(ui))
		ui_message(ui, false, "%u messages match", x->rows.total);
	ui_app_show(ui, UI_VIEW_INDEX);
}

void ui_index_search_all(struct ui *ui, int count, const char *arg)
{
	if (arg) {
		index_search_all_done(ui, arg, NULL);
		return;
	}
	ui_cmdline_prompt(ui, "Search all mail: ", NULL, NULL, index_search_all_done, NULL,
			  false);
}

static void index_server_done(struct ui *ui, const char *text, void *arg)
{
	struct ui_index *x = ui->index;
	char *cause = NULL, *cmdarg;
	long acc = x->account;

	if (!text || !*text)
		return;
	if (x->server_cmd) {
		ui_message(ui, false, "a server search is under way already");
		return;
	}
	/* every folder of the open folder's account if it is IMAP, else of
	 * the first IMAP one: what is not here may be in a folder not synced */
	if (acc < 0 || strcmp(config_account_type(ui->accounts[acc].a), "imap") != 0) {
		acc = -1;
		for (size_t i = 0; i < ui->n_accounts && acc < 0; i++)
			if (strcmp(config_account_type(ui->accounts[i].a), "imap") == 0)
				acc = (long)i;
	}
	if (acc < 0) {
		ui_message(ui, true, "no IMAP account: only IMAP servers search");
		return;
	}
	cmdarg = xasprintf("200\n\n%s", text);
	x->server_cmd = engine_submit(ui->engine, ui->accounts[acc].a->name, ENGINE_CMD_SEARCH,
				      cmdarg, 0, ENGINE_PRIO_INTERACTIVE, &cause);
	free(cmdarg);
	if (!x->server_cmd) {
		char *safe = sanitize_line(cause);
		ui_message(ui, true, "cannot search: %s", safe);
		free(safe);
		free(cause);
		return;
	}
	x->server_account = acc;
	xstrset(&x->server_query, text);
	xstrset(&x->search, text);
	ui_message(ui, false, "asking %s's server...", ui->accounts[acc].name);
}

void ui_index_search_server(struct ui *ui, int count, const char *arg)
{
	if (arg) {
		index_server_done(ui, arg, NULL);
		return;
	}
	ui_cmdline_prompt(ui, "Search the server (words, from:, subject:, date:A..B, not): ",
			  ui->index->search, NULL, index_server_done, NULL, false);
}

bool ui_index_event(struct ui *ui, const struct engine_event *ev)
{
	struct ui_index *x = ui->index;
	struct strbuf q = STRBUF_INIT;
	char *safe;
	unsigned n;

	if (!x || !x->server_cmd || ev->cmd != x->server_cmd)
		return false;
	switch (ev->type) {
	case ENGINE_EVENT_FOUND:
		if (ev->text) {
			x->found = xrealloc(x->found, (x->n_found + 1) * sizeof(*x->found));
			x->found[x->n_found++] = xstrdup(ev->text);
		}
		return true;
	case ENGINE_EVENT_ERROR:
		safe = sanitize_line(ev->text ? ev->text : "unknown error");
		ui_message(ui, true, "server search: %s", safe);
		free(safe);
		return true;
	case ENGINE_EVENT_DONE:
		break;
	default:
		return false;   /* CHANGED: the store got what was found */
	}
	x->server_cmd = 0;
	if (!x->n_found) {
		if (ev->ok) {
			safe = sanitize_line(x->server_query ? x->server_query : "");
			ui_message(ui, false, "the server found nothing for %s", safe);
			free(safe);
		}
		return true;
	}
	for (size_t i = 0; i < x->n_found; i++) {
		strbuf_addf(&q, "%sid:\"", i ? " or " : "");
		for (const char *p = x->found[i]; *p; p++) {
			if (*p == '"')
				strbuf_addch(&q, '"');
			strbuf_addch(&q, *p);
		}
		strbuf_addch(&q, '"');
		free(x->found[i]);
	}
	FREE_NULL(x->found);
	n = (unsigned)x->n_found;
	x->n_found = 0;
	/* the found messages as a list, like a search of every account */
	ui_app_store_reopen(ui, (size_t)x->server_account);
	x->account = x->server_account;
	xstrset(&x->base, strbuf_str(&q));
	strbuf_release(&q);
	ui_change_untag_all(ui, 0, NULL);
	FREE_NULL(x->folder);
	x->to_column = false;
	FREE_NULL(x->limit);
	safe = sanitize_line(x->server_query ? x->server_query : "");
	free(x->title);
	x->title = xasprintf("server: %s", safe);
	free(safe);
	if (index_load(ui))
		ui_message(ui, false, "%u message%s found on the server (~: body not here yet)", n,
			   n == 1 ? "" : "s");
	ui_app_show(ui, UI_VIEW_INDEX);
	return true;
}

void ui_index_click(struct ui *ui, int row, bool open)
{
	struct ui_index *x = ui->index;
	size_t i;

	if (row < 0)
		return;
	i = x->top + (size_t)row;
	if (i >= x->rows.total)
		return;
	ui_index_move(ui, (long)i - (long)x->cursor);
	if (open)
		ui_index_open(ui, 0, NULL);
}
