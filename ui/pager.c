/*
 * The pager: the index's current message rendered by src/mime (already
 * sanitized), wrapped to the window, with headers, quoted text and the
 * signature in their own colours.  A message whose body is not in the store
 * shows its headers at once with a note, while the engine fetches the body
 * (interactive priority); the note becomes the reason if the fetch fails.
 * Next and previous message move the index's cursor without leaving.
 * The raw source view shows the file as it is, through the same sanitizer
 * (escape sequences in it appear as ^[ and do nothing).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mime/mime.h"
#include "net/net.h"
#include "ui/private.h"

#define PAGER_MAX_MESSAGE (64u << 20)

struct pager_line {
	size_t off, len;
	enum ui_el el;
};

struct ui_pager {
	char *id;
	long account;
	struct mime_message *m;
	char *text;              /* what is shown: render + notes */
	struct pager_line *lines;
	size_t n, cap, top;
	int width;               /* lines are wrapped for this width */
	bool all_headers;
	bool partial;
	unsigned long fetch_cmd;
	unsigned long long fetch_bytes0;   /* net_bytes_in() when the fetch began */
	time_t fetch_tick;                 /* when the note last changed */
	bool fetch_cancelled;              /* by the user: its errors are not news */
	char *path;              /* the file when opened (it may move: see pager_read) */
	char *raw;               /* the raw source view, sanitized; NULL when off */
	char *note;              /* sanitized: fetching, or why not */
	char *subject;           /* sanitized */
};

void ui_pager_new(struct ui *ui)
{
	ui->pager = xcalloc(1, sizeof(*ui->pager));
	ui->pager->account = -1;
}

static void pager_clear(struct ui_pager *p)
{
	mime_message_free(&p->m);
	FREE_NULL(p->raw);
	FREE_NULL(p->text);
	FREE_NULL(p->lines);
	p->n = p->cap = 0;
	p->width = 0;
}

void ui_pager_free(struct ui *ui)
{
	struct ui_pager *p = ui->pager;

	if (!p)
		return;
	pager_clear(p);
	free(p->id);
	free(p->path);
	free(p->note);
	free(p->subject);
	FREE_NULL(ui->pager);
}

const char *ui_pager_id(const struct ui *ui, long *account)
{
	const struct ui_pager *p = ui->pager;

	if (account)
		*account = p ? p->account : -1;
	return p ? p->id : NULL;
}

struct mime_message *ui_pager_message(struct ui *ui)
{
	return ui->pager->m;
}

static void pager_add_line(struct ui_pager *p, size_t off, size_t len, enum ui_el el)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->lines = xrealloc(p->lines, p->cap * sizeof(*p->lines));
	}
	p->lines[p->n++] = (struct pager_line){ off, len, el };
}

/* The colour of one logical line. */
static enum ui_el pager_class(const char *s, size_t len, bool in_headers, bool *in_sig)
{
	size_t i = 0;
	int depth = 0;

	if (in_headers)
		return UI_EL_PAGER_HEADER;
	if ((len == 3 && memcmp(s, "-- ", 3) == 0) || (len == 2 && memcmp(s, "--", 2) == 0))
		*in_sig = true;
	if (len == 12 && memcmp(s, "Attachments:", 12) == 0)
		*in_sig = false;
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']')
		return UI_EL_PAGER_NOTE;
	if (*in_sig)
		return UI_EL_PAGER_SIGNATURE;
	while (i < len && (s[i] == ' ' || s[i] == '>')) {
		if (s[i] == '>')
			depth++;
		i++;
	}
	if (depth)
		return depth % 2 ? UI_EL_PAGER_QUOTE1 : UI_EL_PAGER_QUOTE2;
	return UI_EL_NORMAL;
}

/* Splits the text into screen lines for width columns (word-wrapped). */
static void pager_wrap(struct ui_pager *p, int width)
{
	const char *t = p->text;
	size_t len = strlen(t), pos = 0;
	bool in_headers = true, in_sig = false;

	p->n = 0;
	p->width = width;
	if (width < 1)
		width = 1;
	while (pos <= len) {
		const char *nl = memchr(t + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - t) : len, l = end - pos;
		enum ui_el el;

		if (!nl && l == 0)
			break;
		if (in_headers && l == 0)
			in_headers = false;
		el = pager_class(t + pos, l, in_headers, &in_sig);
		do {
			size_t fit = ui_text_fit(t + pos, l, width);
			if (fit < l) {
				/* break after the last space that leaves a decent line */
				for (size_t k = fit; k > fit / 2; k--)
					if (t[pos + k - 1] == ' ') {
						fit = k;
						break;
					}
				if (fit == 0) {   /* not even one character fits */
					wchar_t wc;
					fit = ui_utf8_next(t + pos, l, &wc);
				}
			}
			pager_add_line(p, pos, fit, el);
			pos += fit;
			l -= fit;
		} while (l > 0);
		pos = end + 1;
	}
}

/* Builds the shown text: headers, the note, then the rest of the render. */
static void pager_compose(struct ui_pager *p)
{
	char *r = p->raw ? xstrdup(p->raw)
			 : mime_render(p->m, p->all_headers ? MIME_RENDER_ALL_HEADERS : 0);
	struct strbuf sb = STRBUF_INIT;
	char *blank = strstr(r, "\n\n");

	if (p->note && blank) {
		strbuf_add(&sb, r, (size_t)(blank - r) + 1);
		strbuf_addf(&sb, "\n[%s]\n", p->note);
		strbuf_addstr(&sb, blank + 1);
	} else if (p->note) {
		strbuf_addstr(&sb, r);
		strbuf_addf(&sb, "%s\n[%s]\n", *r && r[strlen(r) - 1] != '\n' ? "\n" : "", p->note);
	} else {
		strbuf_addstr(&sb, r);
	}
	free(r);
	free(p->text);
	p->text = strbuf_detach(&sb);
	p->width = 0;   /* rewrap on the next draw */
}

/* The file of path after a flag change renamed it: the same unique name
 * with other flags, in the same folder (Maildir names end in ":2,FLAGS").
 * The engine renames the file before the index learns of it, so even a
 * freshly opened store can give the old name for a moment.  Malloc'd or
 * NULL. */
static char *pager_renamed(const char *path)
{
	const char *slash = strrchr(path, '/'), *colon;
	char *dir, *found = NULL;
	size_t stem;
	DIR *d;
	struct dirent *e;

	if (!slash || !(colon = strstr(slash, ":2,")))
		return NULL;
	stem = (size_t)(colon - slash - 1) + 3;   /* "unique:2," */
	dir = xstrndup(path, (size_t)(slash - path));
	if ((d = opendir(dir))) {
		while (!found && (e = readdir(d)))
			if (strncmp(e->d_name, slash + 1, stem) == 0)
				found = xasprintf("%s/%s", dir, e->d_name);
		closedir(d);
	}
	free(dir);
	return found;
}

/* Reads the message file (looked up again if it moved); NULL with *cause. */
static char *pager_read(struct ui *ui, const char *path, size_t *len, bool *partial,
			char **cause)
{
	struct ui_pager *p = ui->pager;
	struct store *s = p->account >= 0 ? ui_app_store(ui, (size_t)p->account) : NULL;
	struct store_location loc = { 0 };
	char *data = NULL, *why = NULL, *moved;

	if (path && (data = store_read_file(path, PAGER_MAX_MESSAGE, len, &why)))
		return data;
	FREE_NULL(why);
	if (path && (moved = pager_renamed(path))) {
		data = store_read_file(moved, PAGER_MAX_MESSAGE, len, &why);
		free(moved);
		free(why);
		if (data)
			return data;
	}
	for (int attempt = 0; attempt < 2 && s; attempt++) {
		FREE_NULL(*cause);
		if (store_locate(s, p->id, &loc, cause) == 0) {
			*partial = loc.partial;
			data = store_read_file(loc.path, PAGER_MAX_MESSAGE, len, cause);
			if (!data && (moved = pager_renamed(loc.path))) {
				FREE_NULL(*cause);
				data = store_read_file(moved, PAGER_MAX_MESSAGE, len, cause);
				free(moved);
			}
			store_location_release(&loc);
			if (data)
				return data;
		}
		/* the engine renamed it (a flag change) after our handle last
		 * looked: reopen the store once and look again */
		s = ui_app_store_reopen(ui, (size_t)p->account);
	}
	return NULL;
}

static void pager_load(struct ui *ui, const char *path)
{
	struct ui_pager *p = ui->pager;
	size_t len = 0;
	char *cause = NULL, *data;

	pager_clear(p);
	p->top = 0;
	data = pager_read(ui, path, &len, &p->partial, &cause);
	if (!data) {
		char *safe = sanitize_line(cause ? cause : "the message is gone");
		free(p->note);
		p->note = xasprintf("This message cannot be read: %s", safe);
		free(safe);
		free(cause);
		p->m = mime_parse(NULL, 0);
	} else {
		p->m = mime_parse(data, len);
		free(data);
	}
	pager_compose(p);
	ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
}

void ui_pager_open(struct ui *ui)
{
	struct ui_pager *p = ui->pager;
	const struct ui_row *r = ui_index_current(ui);
	char *cause = NULL;

	if (!r)
		return;
	xstrset(&p->id, r->id);
	xstrset(&p->path, r->path);
	xstrset(&p->subject, r->subject);
	p->account = ui_app_account(ui, r->account);
	if (p->account < 0)
		p->account = ui_index_account(ui);
	p->partial = r->flags & UI_ROW_PARTIAL;
	p->fetch_cmd = 0;
	FREE_NULL(p->note);
	if (p->partial && p->account >= 0) {
		p->fetch_cmd = engine_submit(ui->engine, ui->accounts[p->account].a->name,
					     ENGINE_CMD_FETCH_BODY, p->id, 0,
					     ENGINE_PRIO_INTERACTIVE, &cause);
		p->fetch_cancelled = false;
		if (p->fetch_cmd) {
			p->fetch_bytes0 = net_bytes_in();
			p->note = xstrdup("Only the headers are here; fetching the body "
					  "from the server\u2026 (Esc cancels)");
		} else {
			char *safe = sanitize_line(cause);
			p->note = xasprintf("The body of this message is not downloaded: %s", safe);
			free(safe);
			free(cause);
		}
	} else if (p->partial) {
		p->note = xstrdup("The body of this message is not downloaded.");
	}
	pager_load(ui, r->path);
	/* after reading it: marking it read renames the file */
	if (p->account >= 0)
		ui_change_mark_read(ui, (size_t)p->account, r);
	if (ui->view != UI_VIEW_PAGER)
		ui_app_show(ui, UI_VIEW_PAGER);
}

void ui_pager_engine_done(struct ui *ui, unsigned long cmd, bool ok, const char *why)
{
	struct ui_pager *p = ui->pager;

	if (!p || !cmd || cmd != p->fetch_cmd)
		return;
	if (p->fetch_cancelled) {
		/* the cancel's own note stays; the DONE ends it */
		if (!why)
			p->fetch_cmd = 0;
		return;
	}
	if (ok) {
		p->fetch_cmd = 0;
		FREE_NULL(p->note);
		if (p->account >= 0)
			ui->accounts[p->account].changed = true;   /* reopen, then reload */
		return;
	}
	if (why || !p->note || strstr(p->note, "fetching")) {
		free(p->note);
		p->note = xasprintf("The body of this message is not downloaded: %s",
				    why ? why : "the fetch failed");
	}
	if (!why)
		p->fetch_cmd = 0;
	pager_compose(p);
	ui->dirty |= UI_DIRTY_MAIN;
}

bool ui_pager_cancelled(const struct ui *ui, unsigned long cmd)
{
	return ui->pager && cmd && cmd == ui->pager->fetch_cmd && ui->pager->fetch_cancelled;
}

bool ui_pager_fetching(const struct ui *ui)
{
	return ui->pager && ui->pager->fetch_cmd && ui->view == UI_VIEW_PAGER;
}

void ui_pager_tick(struct ui *ui)
{
	struct ui_pager *p = ui->pager;
	char got[16];

	if (!ui_pager_fetching(ui) || !p->note || !strstr(p->note, "fetching") ||
	    p->fetch_tick == time(NULL))
		return;
	p->fetch_tick = time(NULL);
	free(p->note);
	p->note = xasprintf("Only the headers are here; fetching the body from the server\u2026 "
			    "%s received (Esc cancels)",
			    ui_size_text(net_bytes_in() - p->fetch_bytes0, got));
	pager_compose(p);
	ui->dirty |= UI_DIRTY_MAIN;
}

bool ui_pager_cancel(struct ui *ui)
{
	struct ui_pager *p = ui->pager;

	if (!p || !p->fetch_cmd)
		return false;
	engine_cancel(ui->engine, p->fetch_cmd);
	p->fetch_cancelled = true;
	free(p->note);
	p->note = xstrdup("Fetching cancelled: the body of this message is not here (open it "
			  "again to fetch it).");
	pager_compose(p);
	ui->dirty |= UI_DIRTY_MAIN;
	return true;
}

void ui_pager_refresh(struct ui *ui)
{
	struct ui_pager *p = ui->pager;
	size_t top = p->top;

	if (!p->id || ui->view == UI_VIEW_INDEX || !p->partial || p->fetch_cmd)
		return;
	/* the body arrived: the file was replaced, look it up again */
	pager_load(ui, NULL);
	p->top = top < p->n ? top : 0;
}

void ui_pager_draw(struct ui *ui)
{
	struct ui_pager *p = ui->pager;

	if (!p->text)
		return;
	if (p->width != ui->main_w)
		pager_wrap(p, ui->main_w);
	if (p->top >= p->n)
		p->top = p->n ? p->n - 1 : 0;
	for (int y = 0; y < ui->main_h; y++) {
		size_t i = p->top + (size_t)y;
		if (i < p->n)
			ui_draw_text(ui->main_y + y, ui->main_x, ui->main_w, p->text + p->lines[i].off,
				     p->lines[i].len, ui_theme_attr(p->lines[i].el), true);
		else
			ui_draw_fill(ui->main_y + y, ui->main_x, ui->main_w,
				     ui_theme_attr(UI_EL_NORMAL));
	}
}

void ui_pager_describe(struct ui *ui, char *buf, size_t size)
{
	struct ui_pager *p = ui->pager;
	size_t h = ui->main_h > 0 ? (size_t)ui->main_h : 1;
	unsigned pct = p->n <= h ? 100 : (unsigned)((p->top + h) * 100 / p->n);

	snprintf(buf, size, "%s%s  (%u%%)", p->raw ? "[source] " : "",
		 p->subject ? p->subject : "", pct > 100 ? 100 : pct);
}

/* ---- actions ---- */

static void pager_scroll(struct ui *ui, long by)
{
	struct ui_pager *p = ui->pager;
	size_t h = ui->main_h > 0 ? (size_t)ui->main_h : 1;
	long max = p->n > h ? (long)(p->n - h) : 0, top = (long)p->top + by;

	if (p->width != ui->main_w && p->text)
		pager_wrap(p, ui->main_w);
	p->top = (size_t)(top < 0 ? 0 : top > max ? max : top);
	ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
}

void ui_pager_quit(struct ui *ui, int count, const char *arg)
{
	pager_clear(ui->pager);
	FREE_NULL(ui->pager->id);
	ui_app_show(ui, UI_VIEW_INDEX);
}

void ui_pager_down(struct ui *ui, int count, const char *arg)
{
	pager_scroll(ui, count ? count : 1);
}

void ui_pager_up(struct ui *ui, int count, const char *arg)
{
	pager_scroll(ui, -(count ? count : 1));
}

void ui_pager_page_down(struct ui *ui, int count, const char *arg)
{
	struct ui_pager *p = ui->pager;
	size_t h = ui->main_h > 1 ? (size_t)ui->main_h - 1 : 1;

	if (p->width != ui->main_w && p->text)
		pager_wrap(p, ui->main_w);
	if (p->top + h + 1 >= p->n) {
		ui_pager_next(ui, 0, NULL);
		return;
	}
	pager_scroll(ui, (long)h * (count ? count : 1));
}

void ui_pager_page_up(struct ui *ui, int count, const char *arg)
{
	long h = ui->main_h > 1 ? ui->main_h - 1 : 1;

	pager_scroll(ui, -h * (count ? count : 1));
}

void ui_pager_top(struct ui *ui, int count, const char *arg)
{
	pager_scroll(ui, -(long)ui->pager->top);
}

void ui_pager_bottom(struct ui *ui, int count, const char *arg)
{
	pager_scroll(ui, (long)ui->pager->n);
}

void ui_pager_next(struct ui *ui, int count, const char *arg)
{
	if (!ui_index_move(ui, count ? count : 1)) {
		ui_message(ui, false, "this is the last message");
		return;
	}
	ui_pager_open(ui);
}

void ui_pager_prev(struct ui *ui, int count, const char *arg)
{
	if (!ui_index_move(ui, -(count ? count : 1))) {
		ui_message(ui, false, "this is the first message");
		return;
	}
	ui_pager_open(ui);
}

void ui_pager_next_unread(struct ui *ui, int count, const char *arg)
{
	const struct ui_row *r = ui_index_current(ui);
	char *before = r ? xstrdup(r->id) : NULL;

	ui_index_next_unread(ui, 0, NULL);
	r = ui_index_current(ui);
	if (r && (!before || strcmp(before, r->id) != 0))
		ui_pager_open(ui);
	free(before);
}

void ui_pager_headers(struct ui *ui, int count, const char *arg)
{
	struct ui_pager *p = ui->pager;

	if (!p->m)
		return;
	p->all_headers = !p->all_headers;
	pager_compose(p);
	p->top = 0;
	ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
}

char *ui_pager_raw(struct ui *ui, size_t *len, char **cause)
{
	struct ui_pager *p = ui->pager;
	bool partial = false;

	*cause = NULL;
	if (!p->id) {
		*cause = xstrdup("no message is open");
		return NULL;
	}
	return pager_read(ui, p->path, len, &partial, cause);
}

const char *ui_pager_text(const struct ui *ui)
{
	return ui->pager ? ui->pager->text : NULL;
}

void ui_pager_raw_toggle(struct ui *ui, int count, const char *arg)
{
	struct ui_pager *p = ui->pager;
	char *data, *cause = NULL;
	size_t len = 0;

	if (!p->id)
		return;
	if (p->raw) {
		FREE_NULL(p->raw);
	} else if (!(data = ui_pager_raw(ui, &len, &cause))) {
		char *safe = sanitize_line(cause ? cause : "the message is gone");
		ui_message(ui, true, "cannot show the source: %s", safe);
		free(safe);
		free(cause);
		return;
	} else {
		/* every byte of the file through the one sanitizer; CRLF files
		 * show their CRs as ^M, which is what the source holds */
		p->raw = sanitize(data, len, SANITIZE_MULTILINE);
		free(data);
	}
	pager_compose(p);
	p->top = 0;
	ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
}

void ui_pager_skip_quoted(struct ui *ui, int count, const char *arg)
{
	struct ui_pager *p = ui->pager;
	size_t i = p->top + 1;

	if (p->width != ui->main_w && p->text)
		pager_wrap(p, ui->main_w);
	while (i < p->n && p->lines[i].el != UI_EL_PAGER_QUOTE1 &&
	       p->lines[i].el != UI_EL_PAGER_QUOTE2)
		i++;
	while (i < p->n && (p->lines[i].el == UI_EL_PAGER_QUOTE1 ||
			    p->lines[i].el == UI_EL_PAGER_QUOTE2))
		i++;
	if (i >= p->n) {
		ui_message(ui, false, "no more quoted text");
		return;
	}
	pager_scroll(ui, (long)i - (long)p->top);
}
