/*
 * Compose from the terminal UI: new, reply, reply-all and forward start a
 * draft (src/mime/reply.c, as petrel compose does), the user writes it in
 * $VISUAL/$EDITOR (curses leaves the screen meanwhile and comes back), and
 * the review screen shows what will go: the header fields, the attachments
 * (add, remove) and the start of the text.  From there the message is sent
 * (into the send queue, which the engine delivers), postponed (filed in the
 * drafts folder by the engine, ENGINE_CMD_POSTPONE) or cancelled.
 *
 * The draft lives in a private directory (0700) as a 0600 file, as in the
 * CLI; until the message is in the queue or the drafts folder, that file is
 * kept, and if petrel has to leave first its name is printed: what the user
 * wrote is never lost.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/util.h"
#include "engine/change.h"
#include "mime/compose.h"
#include "mime/mime.h"
#include "ui/private.h"

#define COMPOSE_MAX_DRAFT (64u << 20)
#define COMPOSE_MAX_ORIG (64u << 20)

/* A send or a postpone handed to the engine, until its DONE. */
struct compose_job {
	unsigned long cmd;
	bool postpone;
	size_t account;
	char *qid;        /* send: the queue id */
	char *dir;        /* postpone: the draft's directory, removed when filed */
	char *error;      /* sanitized: the last ERROR for it */
	char *resumed;    /* postpone: the old draft, dropped once this one is filed */
	bool offline;     /* the server could not be reached (postpone: filed here) */
	struct compose_job *next;
};

struct ui_compose {
	bool open;            /* a draft is in the review screen */
	size_t account;
	char *dir, *path;     /* the private directory and the draft file */
	char *text;           /* the draft as last read or written */
	size_t len;
	size_t cursor;        /* over the attachments */
	enum ui_view back;    /* where to return */
	char *resumed;        /* the id of the postponed draft this one resumes */
	struct compose_job *jobs;
};

void ui_compose_new(struct ui *ui)
{
	ui->compose = xcalloc(1, sizeof(*ui->compose));
}

/* Removes the private directory and what is in it (one level). */
static void compose_rmdir(const char *dir)
{
	char *path;
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		unlink(path);
		free(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void compose_close(struct ui *ui, bool remove)
{
	struct ui_compose *c = ui->compose;

	if (remove && c->dir)
		compose_rmdir(c->dir);
	FREE_NULL(c->dir);
	FREE_NULL(c->path);
	FREE_NULL(c->text);
	FREE_NULL(c->resumed);
	c->len = c->cursor = 0;
	if (c->open) {
		c->open = false;
		ui_app_show(ui, c->back == UI_VIEW_PAGER ? UI_VIEW_PAGER : UI_VIEW_INDEX);
	}
}

void ui_compose_free(struct ui *ui)
{
	struct ui_compose *c = ui->compose;

	if (!c)
		return;
	if (c->path) {
		/* petrel is leaving with a draft open: keep it, say where */
		char *safe = sanitize_line(c->path);
		fprintf(stderr, "petrel: the unfinished draft is kept as %s\n", safe);
		free(safe);
	}
	while (c->jobs) {
		struct compose_job *j = c->jobs;
		c->jobs = j->next;
		if (j->dir) {
			char *safe = sanitize_line(j->dir);
			fprintf(stderr, "petrel: a draft being postponed is kept in %s\n", safe);
			free(safe);
		}
		free(j->qid);
		free(j->dir);
		free(j->error);
		free(j->resumed);
		free(j);
	}
	free(c->resumed);
	free(c->dir);
	free(c->path);
	free(c->text);
	FREE_NULL(ui->compose);
}

bool ui_compose_busy(const struct ui *ui)
{
	const struct ui_compose *c = ui->compose;

	for (const struct compose_job *j = c ? c->jobs : NULL; j; j = j->next)
		if (j->postpone)
			return true;
	return false;
}

bool ui_compose_open(const struct ui *ui)
{
	return ui->compose && ui->compose->open;
}

/* Writes c->text to the draft file (0600, fsynced).  False with a message. */
static bool compose_save(struct ui *ui)
{
	struct ui_compose *c = ui->compose;
	int fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 || util_write_all(fd, c->text, c->len) < 0 || fsync(fd) < 0) {
		char *safe = sanitize_line(c->path);
		ui_message(ui, true, "cannot write the draft %s: %s", safe, strerror(errno));
		free(safe);
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	return true;
}

/* Reads the draft file back after the editor.  False with a message. */
static bool compose_load(struct ui *ui)
{
	struct ui_compose *c = ui->compose;
	char *cause = NULL, *text;
	size_t len;

	if (!(text = store_read_file(c->path, COMPOSE_MAX_DRAFT, &len, &cause))) {
		char *safe = sanitize_line(cause);
		ui_message(ui, true, "%s", safe);
		free(safe);
		free(cause);
		return false;
	}
	free(c->text);
	c->text = text;
	c->len = len;
	return true;
}

static bool compose_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

/* Hands the terminal to the editor and takes it back. */
static void compose_edit(struct ui *ui)
{
	struct ui_compose *c = ui->compose;
	struct winsize ws;
	char *cause = NULL;
	int rc;

	def_prog_mode();
	endwin();
	rc = cli_compose_edit(c->path, &cause);
	reset_prog_mode();
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
	ui->dirty |= UI_DIRTY_ALL;
	if (rc < 0) {
		char *safe = sanitize_line(cause);
		ui_message(ui, true, "%s; the draft is as it was before", safe);
		free(safe);
		free(cause);
	}
	if (!compose_load(ui))
		return;
	if (compose_blank(c->text, c->len)) {
		ui_message(ui, false, "the draft is empty: cancelled");
		compose_close(ui, true);
		return;
	}
	if (!c->open) {
		c->open = true;
		c->back = ui->view;
		ui_app_show(ui, UI_VIEW_COMPOSE);
	}
	ui->dirty |= UI_DIRTY_ALL;
}

/* A private directory for a draft (malloc'd path), or NULL with a message. */
static char *compose_mkdir(struct ui *ui)
{
	const char *t = getenv("TMPDIR");
	char *dir = xasprintf("%s/petrel-draft-XXXXXX", t && *t ? t : "/tmp");

	if (!mkdtemp(dir)) {
		ui_message(ui, true, "cannot make a directory for the draft: %s", strerror(errno));
		FREE_NULL(dir);
	}
	return dir;
}

/* Starts composing draft (malloc'd, taken) for account, in dir (taken; NULL:
 * a new one). */
static void compose_start_in(struct ui *ui, size_t account, char *dir, char *draft)
{
	struct ui_compose *c = ui->compose;

	if (c->open || c->path) {
		ui_message(ui, true, "a draft is open already: send, postpone or cancel it first");
		free(draft);
		if (dir)
			compose_rmdir(dir);
		free(dir);
		return;
	}
	if (!dir && !(dir = compose_mkdir(ui))) {
		free(draft);
		return;
	}
	c->account = account;
	c->dir = dir;
	c->path = xasprintf("%s/draft.eml", dir);
	c->text = draft;
	c->len = strlen(draft);
	c->cursor = 0;
	if (!compose_save(ui)) {
		compose_close(ui, true);
		return;
	}
	compose_edit(ui);
}

static void compose_start(struct ui *ui, size_t account, char *draft)
{
	compose_start_in(ui, account, NULL, draft);
}

/* The old draft goes once its successor is queued or filed. */
static void compose_drop(struct ui *ui, size_t account, const char *id)
{
	const char *ids[1] = { id };
	char *cause = NULL, *arg = change_encode(CHANGE_DROP_DRAFT, NULL, ids, 1, &cause);

	if (!arg || !engine_submit(ui->engine, ui->accounts[account].a->name, ENGINE_CMD_CHANGE,
				   arg, 0, ENGINE_PRIO_INTERACTIVE, &cause)) {
		char *safe = sanitize_line(cause ? cause : "");
		ui_message(ui, true, "the old draft stays in the drafts folder: %s", safe);
		free(safe);
	}
	free(cause);
	free(arg);
}

/* The account to write from: the one shown, else the first with an email. */
static long compose_account(struct ui *ui)
{
	long i = ui_index_account(ui);

	if (i >= 0 && config_get(ui->accounts[i].a, OPTION_EMAIL))
		return i;
	for (size_t k = 0; k < ui->n_accounts; k++)
		if (config_get(ui->accounts[k].a, OPTION_EMAIL))
			return (long)k;
	return i >= 0 ? i : (ui->n_accounts ? 0 : -1);
}

static void compose_cause(struct ui *ui, const char *what, char *cause)
{
	char *safe = sanitize_line(cause ? cause : "unknown error");
	ui_message(ui, true, "%s: %s", what, safe);
	free(safe);
	free(cause);
}

void ui_compose_mail(struct ui *ui, int count, const char *arg)
{
	long i = compose_account(ui);
	char *cause = NULL, *draft;

	if (i < 0) {
		ui_message(ui, true, "no account to write from (add one to the config)");
		return;
	}
	if (!(draft = compose_draft_new(ui->accounts[i].a, arg && *arg ? arg : NULL, NULL, NULL, 0,
					&cause))) {
		compose_cause(ui, "cannot start the draft", cause);
		return;
	}
	compose_start(ui, (size_t)i, draft);
}

/* The message answered or forwarded: the pager's, else the index row's. */
static char *compose_original(struct ui *ui, size_t *account, size_t *len, bool *partial)
{
	const struct ui_row *r = NULL;
	char *cause = NULL, *data;
	long acc = -1;

	*partial = false;
	if (ui->view == UI_VIEW_PAGER && ui_pager_id(ui, &acc)) {
		if (!(data = ui_pager_raw(ui, len, &cause))) {
			compose_cause(ui, "cannot read the message", cause);
			return NULL;
		}
		r = ui_index_find(ui, ui_pager_id(ui, NULL));
	} else {
		if (!(r = ui_index_current(ui))) {
			ui_message(ui, true, "no message here");
			return NULL;
		}
		if (!(data = store_read_file(r->path, COMPOSE_MAX_ORIG, len, &cause))) {
			compose_cause(ui, "cannot read the message", cause);
			return NULL;
		}
		acc = ui_app_account(ui, r->account);
	}
	if (r)
		*partial = r->flags & UI_ROW_PARTIAL;
	if (acc < 0)
		acc = compose_account(ui);
	if (acc < 0) {
		free(data);
		ui_message(ui, true, "no account to write from");
		return NULL;
	}
	*account = (size_t)acc;
	return data;
}

static void compose_answer(struct ui *ui, int mode)
{
	size_t account, len;
	bool partial;
	char *orig = compose_original(ui, &account, &len, &partial), *cause = NULL, *draft;
	const struct account *a;

	if (!orig)
		return;
	a = ui->accounts[account].a;
	draft = mode == 2 ? compose_draft_forward(a, orig, len, NULL, NULL, &cause)
			  : compose_draft_reply(a, orig, len, mode == 1, &cause);
	free(orig);
	if (!draft) {
		compose_cause(ui, "cannot start the draft", cause);
		return;
	}
	compose_start(ui, account, draft);
	if (partial && ui->compose->path)
		ui_message(ui, false, "its body is not downloaded yet, so the draft has no quote of "
			   "it (open the message first to fetch it)");
}

void ui_compose_resume(struct ui *ui, int count, const char *arg)
{
	size_t account, len;
	bool partial;
	const struct ui_row *r = ui->view == UI_VIEW_PAGER ? ui_index_find(ui, ui_pager_id(ui, NULL))
							   : ui_index_current(ui);
	char *orig, *cause = NULL, *draft, *dir, *id;

	if (!r) {
		ui_message(ui, true, "no message here");
		return;
	}
	if (!(r->flags & UI_ROW_DRAFT) &&
	    strcmp(r->folder, config_get(ui->accounts[ui_app_account(ui, r->account) >= 0
						      ? (size_t)ui_app_account(ui, r->account)
						      : 0].a, OPTION_DRAFTS_FOLDER)) != 0) {
		ui_message(ui, true, "not a draft: this resumes what was postponed (the drafts folder)");
		return;
	}
	id = xstrdup(r->id);
	if (!(orig = compose_original(ui, &account, &len, &partial))) {
		free(id);
		return;
	}
	if (partial) {
		ui_message(ui, true, "the draft's body is not downloaded yet: open it first");
		free(orig);
		free(id);
		return;
	}
	if (!(dir = compose_mkdir(ui))) {
		free(orig);
		free(id);
		return;
	}
	draft = compose_draft_resume(orig, len, dir, &cause);
	free(orig);
	if (!draft) {
		compose_rmdir(dir);
		free(dir);
		free(id);
		compose_cause(ui, "cannot resume the draft", cause);
		return;
	}
	compose_start_in(ui, account, dir, draft);
	if (ui->compose->path)
		ui->compose->resumed = id;
	else
		free(id);
}

void ui_compose_reply(struct ui *ui, int count, const char *arg)
{
	compose_answer(ui, 0);
}

void ui_compose_reply_all(struct ui *ui, int count, const char *arg)
{
	compose_answer(ui, 1);
}

void ui_compose_forward(struct ui *ui, int count, const char *arg)
{
	compose_answer(ui, 2);
}

/* ---- the draft's header block ---- */

/* The end of the header block of c->text: the offset of the blank line
 * (or of the end).  *body gets where the body starts. */
static size_t compose_header_end(const struct ui_compose *c, size_t *body)
{
	const char *t = c->text;
	size_t i = 0;

	while (i < c->len) {
		const char *nl = memchr(t + i, '\n', c->len - i);
		size_t end = nl ? (size_t)(nl - t) : c->len;
		if (end == i || (end == i + 1 && t[i] == '\r')) {
			*body = nl ? end + 1 : c->len;
			return i;
		}
		i = nl ? end + 1 : c->len;
	}
	*body = c->len;
	return c->len;
}

/* Calls fn for each header field (name, value, start and end offsets of
 * the whole field with its continuation lines and line end). */
static void compose_fields(const struct ui_compose *c,
			   bool (*fn)(const char *name, size_t nlen, const char *value, size_t vlen,
				      size_t start, size_t end, void *arg),
			   void *arg)
{
	size_t body, hend = compose_header_end(c, &body), i = 0;
	const char *t = c->text;

	while (i < hend) {
		size_t start = i, colon, vend;
		/* the field's lines: this one and those starting with a blank */
		do {
			const char *nl = memchr(t + i, '\n', hend - i);
			i = nl ? (size_t)(nl - t) + 1 : hend;
		} while (i < hend && (t[i] == ' ' || t[i] == '\t'));
		for (colon = start; colon < i && t[colon] != ':'; colon++)
			;
		if (colon >= i)
			continue;
		vend = i;
		while (vend > colon + 1 && (t[vend - 1] == '\n' || t[vend - 1] == '\r'))
			vend--;
		{
			size_t v = colon + 1;
			while (v < vend && (t[v] == ' ' || t[v] == '\t'))
				v++;
			if (!fn(t + start, colon - start, t + v, vend - v, start, i, arg))
				return;
		}
	}
}

struct compose_find {
	const char *name;
	size_t nth;        /* which one of that name (0: the first) */
	bool found;
	size_t start, end;
	char *value;
};

static bool compose_find_cb(const char *name, size_t nlen, const char *value, size_t vlen,
			    size_t start, size_t end, void *arg)
{
	struct compose_find *f = arg;

	if (strlen(f->name) != nlen || strncasecmp(name, f->name, nlen) != 0)
		return true;
	if (f->nth--)
		return true;
	f->found = true;
	f->start = start;
	f->end = end;
	f->value = xstrndup(value, vlen);
	return false;
}

/* Replaces bytes [start, end) of the draft by repl. */
static void compose_splice(struct ui_compose *c, size_t start, size_t end, const char *repl)
{
	size_t rl = strlen(repl);
	char *t = xmalloc(c->len - (end - start) + rl + 1);

	memcpy(t, c->text, start);
	memcpy(t + start, repl, rl);
	memcpy(t + start + rl, c->text + end, c->len - end);
	c->len = c->len - (end - start) + rl;
	t[c->len] = '\0';
	free(c->text);
	c->text = t;
}

/* Sets field name to value (replacing the first such field, or adding it
 * at the end of the header block); NULL value removes the nth one. */
static void compose_set_field(struct ui_compose *c, const char *name, size_t nth,
			      const char *value)
{
	struct compose_find f = { .name = name, .nth = nth };
	char *line = value ? xasprintf("%s: %s\n", name, value) : xstrdup("");
	size_t body;

	compose_fields(c, compose_find_cb, &f);
	if (f.found) {
		compose_splice(c, f.start, f.end, line);
	} else if (value) {
		size_t hend = compose_header_end(c, &body);
		if (hend == c->len && (c->len == 0 || c->text[c->len - 1] != '\n')) {
			char *with = xasprintf("%s%s\n", c->len ? "\n" : "", line);
			compose_splice(c, hend, hend, with);
			free(with);
		} else {
			compose_splice(c, hend, hend, line);
		}
	}
	free(f.value);
	free(line);
}

static char *compose_field(const struct ui_compose *c, const char *name, size_t nth)
{
	struct compose_find f = { .name = name, .nth = nth };

	compose_fields(c, compose_find_cb, &f);
	return f.value;
}

static size_t compose_n_attach(const struct ui_compose *c)
{
	size_t n = 0;
	char *v;

	while ((v = compose_field(c, "Attach", n))) {
		free(v);
		n++;
	}
	return n;
}

/* ---- the review screen ---- */

static int compose_draw_field(struct ui *ui, int y, const char *label, const char *value)
{
	attr_t h = ui_theme_attr(UI_EL_PAGER_HEADER), n = ui_theme_attr(UI_EL_NORMAL);
	int w = ui_draw_str(y, ui->main_x, ui->main_w, label, h, false);
	char *safe = ui_header_text(value ? value : "");

	ui_draw_str(y, ui->main_x + w, ui->main_w - w, safe, n, true);
	free(safe);
	return y + 1;
}

void ui_compose_draw(struct ui *ui)
{
	struct ui_compose *c = ui->compose;
	static const char *const fields[] = { "From", "To", "Cc", "Bcc", "Subject" };
	attr_t n = ui_theme_attr(UI_EL_NORMAL), note = ui_theme_attr(UI_EL_PAGER_NOTE);
	int y = ui->main_y, end = ui->main_y + ui->main_h;
	size_t n_att = 0, body;
	char *v;

	for (size_t i = 0; i < ARRAY_SIZE(fields) && y < end; i++) {
		char label[16];
		v = compose_field(c, fields[i], 0);
		if (!v && (strcmp(fields[i], "Cc") == 0 || strcmp(fields[i], "Bcc") == 0))
			continue;
		snprintf(label, sizeof(label), "%s: ", fields[i]);
		y = compose_draw_field(ui, y, label, v);
		free(v);
	}
	if (y < end)
		ui_draw_fill(y++, ui->main_x, ui->main_w, n);
	while ((v = compose_field(c, "Attach", n_att))) {
		if (y < end) {
			struct stat st;
			char size[16], *path = config_expand_path(v), *safe = sanitize_line(v), *line;
			bool ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
			line = xasprintf("%s %s  (%s)", n_att == c->cursor ? ">" : " ", safe,
					 ok ? ui_size_text((unsigned long long)st.st_size, size)
					    : "missing: it cannot be sent like this");
			ui_draw_str(y++, ui->main_x, ui->main_w, line,
				    n_att == c->cursor ? ui_theme_attr(UI_EL_CURSOR)
						       : ok ? n : ui_theme_attr(UI_EL_ERROR), true);
			free(line);
			free(safe);
			free(path);
		}
		free(v);
		n_att++;
	}
	if (c->cursor >= n_att)
		c->cursor = n_att ? n_att - 1 : 0;
	if (y < end)
		y += ui_draw_str(y, ui->main_x, ui->main_w,
				 n_att ? "" : "  (no attachments: a adds one)", note, true) >= 0;
	if (y < end)
		ui_draw_fill(y++, ui->main_x, ui->main_w, n);
	/* the start of the text, as written */
	compose_header_end(c, &body);
	{
		char *safe = sanitize(c->text + body, c->len - body, SANITIZE_MULTILINE);
		const char *p = safe;
		while (*p && y < end) {
			const char *nl = strchr(p, '\n');
			size_t l = nl ? (size_t)(nl - p) : strlen(p);
			ui_draw_text(y++, ui->main_x, ui->main_w, p, l, n, true);
			p = nl ? nl + 1 : p + l;
		}
		free(safe);
	}
	while (y < end)
		ui_draw_fill(y++, ui->main_x, ui->main_w, n);
}

void ui_compose_describe(struct ui *ui, char *buf, size_t size)
{
	struct ui_compose *c = ui->compose;

	snprintf(buf, size, "compose (%s): y send  e edit  a attach  D remove  P postpone  q cancel",
		 c->account < ui->n_accounts ? ui->accounts[c->account].name : "?");
}

void ui_compose_edit(struct ui *ui, int count, const char *arg)
{
	if (ui->compose->path)
		compose_edit(ui);
}

void ui_compose_next(struct ui *ui, int count, const char *arg)
{
	struct ui_compose *c = ui->compose;
	size_t n = compose_n_attach(c);

	if (c->cursor + 1 < n)
		c->cursor++;
	ui->dirty |= UI_DIRTY_MAIN;
}

void ui_compose_prev(struct ui *ui, int count, const char *arg)
{
	struct ui_compose *c = ui->compose;

	if (c->cursor)
		c->cursor--;
	ui->dirty |= UI_DIRTY_MAIN;
}

static void compose_attach_done(struct ui *ui, const char *text, void *arg)
{
	struct ui_compose *c = ui->compose;
	char *path, *safe;
	struct stat st;

	if (!c->open || !*text)
		return;
	path = config_expand_path(text);
	safe = sanitize_line(text);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, R_OK) < 0) {
		ui_message(ui, true, "cannot attach %s: %s", safe,
			   errno ? strerror(errno) : "not a regular file");
	} else if (strpbrk(text, "\r\n")) {
		ui_message(ui, true, "a file name with a line break cannot be attached");
	} else {
		size_t n = compose_n_attach(c);
		struct compose_find f = { .name = "Attach", .nth = n ? n - 1 : 0 };
		char *line = xasprintf("Attach: %s\n", text);
		size_t at, body;

		compose_fields(c, compose_find_cb, &f);
		at = f.found ? f.end : compose_header_end(c, &body);
		compose_splice(c, at, at, line);
		free(line);
		free(f.value);
		if (compose_save(ui)) {
			c->cursor = n;
			ui_message(ui, false, "attached %s", safe);
		}
	}
	free(safe);
	free(path);
	ui->dirty |= UI_DIRTY_MAIN;
}

void ui_compose_attach(struct ui *ui, int count, const char *arg)
{
	if (arg && *arg)
		compose_attach_done(ui, arg, NULL);
	else
		ui_cmdline_prompt(ui, "attach file: ", NULL, NULL, compose_attach_done, NULL, false);
}

void ui_compose_detach(struct ui *ui, int count, const char *arg)
{
	struct ui_compose *c = ui->compose;

	if (compose_n_attach(c) == 0) {
		ui_message(ui, false, "no attachment to remove");
		return;
	}
	compose_set_field(c, "Attach", c->cursor, NULL);
	if (compose_save(ui))
		ui_message(ui, false, "removed the attachment from the draft (not the file)");
	ui->dirty |= UI_DIRTY_MAIN;
}

/* ---- header fields with address completion ---- */

struct compose_addrs {
	const char *word;
	size_t wlen;
	char **v;
	size_t n;
};

/* Adds the addr-specs of header value raw that start with (or whose
 * display name starts with) the word typed. */
static void compose_addr_scan(struct compose_addrs *ca, const char *raw)
{
	char *dec = raw ? ui_header_text(raw) : NULL, *save = NULL;

	for (char *p = dec ? strtok_r(dec, ",", &save) : NULL; p; p = strtok_r(NULL, ",", &save)) {
		char *lt = strchr(p, '<'), *gt, *addr;
		while (*p == ' ')
			p++;
		if (lt && (gt = strchr(lt, '>')) && gt > lt + 1)
			addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		else
			addr = xstrdup(p);
		/* an addr-spec: no blanks, one @, printable (sanitized already) */
		addr[strcspn(addr, " \t\"")] = '\0';
		if (strchr(addr, '@') && (strncasecmp(addr, ca->word, ca->wlen) == 0 ||
					  strncasecmp(p, ca->word, ca->wlen) == 0 ||
					  (*p == '"' && strncasecmp(p + 1, ca->word, ca->wlen) == 0))) {
			bool dup = false;
			for (size_t i = 0; i < ca->n && !dup; i++)
				dup = strcasecmp(ca->v[i], addr) == 0;
			if (!dup && ca->n < 50) {
				ca->v = xrealloc(ca->v, (ca->n + 1) * sizeof(*ca->v));
				ca->v[ca->n++] = addr;
				addr = NULL;
			}
		}
		free(addr);
	}
	free(dec);
}

static void compose_addr_cb(const struct store_msg *m, void *arg)
{
	compose_addr_scan(arg, m->from);
	compose_addr_scan(arg, m->to);
}

/* Completes the address being typed from the addresses in the store. */
static void compose_complete_addr(struct ui *ui, const char *word, size_t wordno,
				  void (*add)(void *list, const char *candidate), void *list)
{
	struct compose_addrs ca = { 0 };
	const char *w = word;
	struct store *s;
	char *q, *cause = NULL;

	while (*w == ',' || *w == ' ')
		w++;
	if (strlen(w) < 2 || strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789._%+-@") != strlen(w))
		return;   /* too little to look for, or what would not be a query term */
	ca.word = w;
	ca.wlen = strlen(w);
	/* the index has words: look up the first one typed, filter by all */
	{
		int k = (int)strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789");
		if (k < 2)
			return;
		q = xasprintf("from:%.*s* or to:%.*s*", k, w, k, w);
	}
	s = ui_app_store(ui, ui->compose->account);
	if (s && store_query(s, q, 300, STORE_NEWEST_FIRST, compose_addr_cb, &ca, &cause) < 0)
		free(cause);
	free(q);
	for (size_t i = 0; i < ca.n; i++) {
		char *cand = xasprintf("%.*s%s", (int)(w - word), word, ca.v[i]);
		add(list, cand);
		free(cand);
		free(ca.v[i]);
	}
	free(ca.v);
}

static void compose_field_done(struct ui *ui, const char *text, void *arg)
{
	struct ui_compose *c = ui->compose;
	const char *name = arg;

	if (!c->open)
		return;
	if (strpbrk(text, "\r\n")) {
		ui_message(ui, true, "a header field cannot hold a line break");
		return;
	}
	compose_set_field(c, name, 0, *text || strcmp(name, "To") == 0 ||
					strcmp(name, "Subject") == 0 ? text : NULL);
	compose_save(ui);
	ui->dirty |= UI_DIRTY_MAIN;
}

static void compose_ask_field(struct ui *ui, const char *name, const char *prompt, bool addr)
{
	char *cur = compose_field(ui->compose, name, 0);

	ui_cmdline_prompt(ui, prompt, cur, addr ? compose_complete_addr : NULL, compose_field_done,
			  (void *)name, false);
	free(cur);
}

void ui_compose_to(struct ui *ui, int count, const char *arg)
{
	compose_ask_field(ui, "To", "To: ", true);
}

void ui_compose_cc(struct ui *ui, int count, const char *arg)
{
	compose_ask_field(ui, "Cc", "Cc: ", true);
}

void ui_compose_bcc(struct ui *ui, int count, const char *arg)
{
	compose_ask_field(ui, "Bcc", "Bcc: ", true);
}

void ui_compose_subject(struct ui *ui, int count, const char *arg)
{
	compose_ask_field(ui, "Subject", "Subject: ", false);
}

/* ---- send, postpone, cancel ---- */

/* The message to go, built from the draft; NULL with a message. */
static char *compose_build(struct ui *ui, size_t *len)
{
	struct ui_compose *c = ui->compose;
	char *cause = NULL, *msg;

	if (!compose_load(ui))
		return NULL;
	msg = compose_draft_build(ui->accounts[c->account].a, c->text, c->len, len, &cause);
	if (!msg)
		compose_cause(ui, "not sent, the draft is still here", cause);
	return msg;
}

static struct compose_job *compose_job_add(struct ui *ui, unsigned long cmd, bool postpone)
{
	struct ui_compose *c = ui->compose;
	struct compose_job *j = xcalloc(1, sizeof(*j));

	j->cmd = cmd;
	j->postpone = postpone;
	j->account = c->account;
	j->next = c->jobs;
	c->jobs = j;
	return j;
}

void ui_compose_send(struct ui *ui, int count, const char *arg)
{
	struct ui_compose *c = ui->compose;
	const struct account *a = ui->accounts[c->account].a;
	char *msg, *qdir, *qid = NULL, *cause = NULL;
	unsigned long cmd;
	size_t len;

	if (!(msg = compose_build(ui, &len)))
		return;
	qdir = store_queue_dir(ui->cfg, a);
	if (store_queue_add(qdir, msg, len, &qid, &cause) < 0) {
		compose_cause(ui, "not sent, the draft is still here", cause);
		free(qdir);
		free(msg);
		return;
	}
	free(qdir);
	free(msg);
	if (c->resumed)
		compose_drop(ui, c->account, c->resumed);
	compose_close(ui, true);
	ui_queue_changed(ui);
	cmd = engine_submit(ui->engine, a->name, ENGINE_CMD_SEND, qid, 0, ENGINE_PRIO_INTERACTIVE,
			    &cause);
	if (!cmd) {
		compose_cause(ui, "queued, but it cannot be sent now", cause);
	} else {
		struct compose_job *j = compose_job_add(ui, cmd, false);
		j->qid = qid;
		qid = NULL;
		ui_message(ui, false, "sending (queued as %s)", j->qid);
	}
	free(qid);
}

void ui_compose_postpone(struct ui *ui, int count, const char *arg)
{
	struct ui_compose *c = ui->compose;
	char *msg, *path, *cause = NULL;
	unsigned long cmd;
	size_t len;
	int fd;

	if (!(msg = compose_build(ui, &len)))
		return;
	path = xasprintf("%s/postponed.eml", c->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || util_write_all(fd, msg, len) < 0 || fsync(fd) < 0) {
		ui_message(ui, true, "cannot write the draft: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		free(path);
		free(msg);
		return;
	}
	close(fd);
	free(msg);
	cmd = engine_submit(ui->engine, ui->accounts[c->account].a->name, ENGINE_CMD_POSTPONE, path,
			    0, ENGINE_PRIO_INTERACTIVE, &cause);
	free(path);
	if (!cmd) {
		compose_cause(ui, "not postponed", cause);
		return;
	}
	{
		struct compose_job *j = compose_job_add(ui, cmd, true);
		j->dir = c->dir;
		j->resumed = c->resumed;
	}
	c->dir = NULL;   /* the job removes it once the draft is filed */
	c->resumed = NULL;
	compose_close(ui, false);
	ui_message(ui, false, "postponing the draft");
}

static void compose_cancel_done(struct ui *ui, const char *text, void *arg)
{
	if (strcmp(text, "y") != 0 || !ui->compose->open)
		return;
	compose_close(ui, true);
	ui_message(ui, false, "draft discarded");
}

void ui_compose_cancel(struct ui *ui, int count, const char *arg)
{
	ui_cmdline_confirm(ui, "discard this draft? (y/n) ", compose_cancel_done, NULL, false);
}

bool ui_compose_event(struct ui *ui, const struct engine_event *ev)
{
	struct ui_compose *c = ui->compose;
	struct compose_job **pp, *j;

	for (pp = &c->jobs; *pp && (*pp)->cmd != ev->cmd; pp = &(*pp)->next)
		;
	if (!(j = *pp) || !ev->cmd)
		return false;
	if (ev->type == ENGINE_EVENT_ERROR && ev->offline) {
		j->offline = true;
		return true;
	}
	if (ev->type == ENGINE_EVENT_ERROR) {
		free(j->error);
		j->error = sanitize_line(ev->text ? ev->text : "unknown error");
		return true;
	}
	if (ev->type != ENGINE_EVENT_DONE)
		return ev->type != ENGINE_EVENT_CHANGED;   /* CHANGED: readers reopen */
	*pp = j->next;
	if (j->postpone) {
		const char *drafts = config_get(ui->accounts[j->account].a, OPTION_DRAFTS_FOLDER);
		char *folder = sanitize_line(drafts);
		if (ev->ok) {
			compose_rmdir(j->dir);
			if (j->resumed)
				compose_drop(ui, j->account, j->resumed);
			ui_message(ui, !!j->error, "postponed into %s/%s%s%s%s",
				   ui->accounts[j->account].name, folder, j->error ? ": " : "",
				   j->error ? j->error : "",
				   j->offline ? " (the server gets it at the next sync)" : "");
		} else {
			char *safe = sanitize_line(j->dir);
			ui_message(ui, true, "not postponed: %s; the draft is kept in %s",
				   j->error ? j->error : "cancelled", safe);
			free(safe);
		}
		free(folder);
	} else {
		const struct account *a = ui->accounts[j->account].a;
		char *qdir = store_queue_dir(ui->cfg, a), *cause = NULL;
		struct queue_entry e;

		if (store_queue_get(qdir, j->qid, &e, &cause) < 0) {
			free(cause);
			ui_message(ui, false, "sent (%s)", j->qid);
		} else {
			char *why = sanitize_line(e.error ? e.error : j->error ? j->error : "");
			if (e.state == QUEUE_DELIVERED)
				ui_message(ui, false, "sent (%s); its Sent copy is filed later", j->qid);
			else
				ui_message(ui, !e.offline, "%s is %s: %s (the queue view shows it)",
					   j->qid, e.offline ? "queued until the server can be reached"
							     : store_queue_state_name(e.state), why);
			free(why);
			store_queue_entry_release(&e);
		}
		free(qdir);
		ui_queue_changed(ui);
	}
	free(j->qid);
	free(j->dir);
	free(j->error);
	free(j->resumed);
	free(j);
	return true;
}
