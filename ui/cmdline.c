/*
 * The command line and every prompt, on the message line: ":" runs any
 * action by name (Tab completes action names, then folder or account names
 * for the actions that take them), and the views ask for a query, a folder
 * or a yes/no here.  A prompt never blocks the loop: keys arrive one by one
 * from app.c and the view's callback runs on Enter.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mime/mime.h"
#include "ui/private.h"

struct ui_cmdline {
	bool active, confirm;
	char *prompt;
	struct strbuf buf;
	ui_complete_fn *complete;
	ui_prompt_fn *done;
	void *arg;
	bool owned;
	char *cands;        /* completions shown on the status line, sanitized */
};

void ui_cmdline_new(struct ui *ui)
{
	ui->cmdline = xcalloc(1, sizeof(*ui->cmdline));
	strbuf_init(&ui->cmdline->buf);
}

static void cmdline_close(struct ui *ui)
{
	struct ui_cmdline *c = ui->cmdline;

	c->active = false;
	FREE_NULL(c->prompt);
	FREE_NULL(c->cands);
	strbuf_reset(&c->buf);
	ui->dirty |= UI_DIRTY_STATUS;
}

void ui_cmdline_free(struct ui *ui)
{
	struct ui_cmdline *c = ui->cmdline;

	if (!c)
		return;
	if (c->owned)
		free(c->arg);
	free(c->prompt);
	free(c->cands);
	strbuf_release(&c->buf);
	FREE_NULL(ui->cmdline);
}

bool ui_cmdline_active(const struct ui *ui)
{
	return ui->cmdline && ui->cmdline->active;
}

static void cmdline_start(struct ui *ui, const char *prompt, const char *initial,
			  ui_complete_fn *complete, ui_prompt_fn *done, void *arg, bool owned,
			  bool confirm)
{
	struct ui_cmdline *c = ui->cmdline;

	if (c->active && c->owned)
		free(c->arg);
	cmdline_close(ui);
	c->active = true;
	c->confirm = confirm;
	c->prompt = sanitize_line(prompt);
	if (initial)
		strbuf_addstr(&c->buf, initial);
	c->complete = complete;
	c->done = done;
	c->arg = arg;
	c->owned = owned;
	ui->dirty |= UI_DIRTY_STATUS;
}

void ui_cmdline_prompt(struct ui *ui, const char *prompt, const char *initial,
		       ui_complete_fn *complete, ui_prompt_fn *done, void *arg, bool owned)
{
	cmdline_start(ui, prompt, initial, complete, done, arg, owned, false);
}

void ui_cmdline_confirm(struct ui *ui, const char *question, ui_prompt_fn *done, void *arg,
			bool owned)
{
	cmdline_start(ui, question, NULL, NULL, done, arg, owned, true);
}

/* Ends the prompt and runs its callback with text (NULL: cancelled). */
static void cmdline_finish(struct ui *ui, const char *text)
{
	struct ui_cmdline *c = ui->cmdline;
	ui_prompt_fn *done = c->done;
	void *arg = c->arg;
	bool owned = c->owned;
	char *copy = text ? xstrdup(text) : NULL;

	c->owned = false;
	cmdline_close(ui);
	if (copy)
		done(ui, copy, arg);
	else
		ui_message(ui, false, "cancelled");
	if (owned)
		free(arg);
	free(copy);
}

/* ---- completion ---- */

struct cmdline_cands {
	const char *word;
	char **v;
	size_t n;
};

static void cmdline_add(void *list, const char *cand)
{
	struct cmdline_cands *c = list;

	if (strncmp(cand, c->word, strlen(c->word)) != 0)
		return;
	c->v = xrealloc(c->v, (c->n + 1) * sizeof(char *));
	c->v[c->n++] = xstrdup(cand);
}

static void cmdline_folder_add(const char *name, void *arg)
{
	cmdline_add(arg, name);
}

/* What ":" completes: action names, then the argument of a few actions. */
static void cmdline_complete_command(struct ui *ui, const char *word, size_t wordno,
				     void (*add)(void *list, const char *cand), void *list)
{
	const char *line = strbuf_str(&ui->cmdline->buf);

	if (wordno == 0) {
		for (size_t i = 0; i < ui_n_actions; i++)
			add(list, ui_actions[i].name);
		return;
	}
	if (strncmp(line, "folders.open ", 13) == 0)
		ui_folders_each(ui, cmdline_folder_add, list);
	else if (strncmp(line, "app.sync ", 9) == 0)
		for (size_t i = 0; i < ui->n_accounts; i++)
			add(list, ui->accounts[i].a->name);
}

static void cmdline_tab(struct ui *ui)
{
	struct ui_cmdline *c = ui->cmdline;
	const char *line = strbuf_str(&c->buf);
	const char *sp = strrchr(line, ' ');
	size_t start = sp ? (size_t)(sp - line) + 1 : 0, wordno = 0, common;
	struct cmdline_cands cands = { 0 };
	struct strbuf shown = STRBUF_INIT;

	if (!c->complete)
		return;
	for (size_t i = 0; i < start; i++)
		if (line[i] == ' ' && (i == 0 || line[i - 1] != ' '))
			wordno++;
	cands.word = line + start;
	c->complete(ui, cands.word, wordno, cmdline_add, &cands);
	FREE_NULL(c->cands);
	if (cands.n == 0) {
		c->cands = xstrdup("(no completion)");
		goto out;
	}
	common = strlen(cands.v[0]);
	for (size_t i = 1; i < cands.n; i++) {
		size_t k = 0;
		while (k < common && cands.v[i][k] == cands.v[0][k])
			k++;
		common = k;
	}
	{
		char *done = xstrndup(cands.v[0], common);
		strbuf_grow(&c->buf, 0);
		c->buf.len = start;
		c->buf.buf[start] = '\0';
		strbuf_addstr(&c->buf, done);
		if (cands.n == 1 && wordno == 0) {
			const struct ui_action *a = ui_action_find(done);
			if (a && a->arg)
				strbuf_addch(&c->buf, ' ');
		}
		free(done);
	}
	if (cands.n > 1) {
		for (size_t i = 0; i < cands.n && shown.len < 400; i++)
			strbuf_addf(&shown, "%s%s", i ? "  " : "", cands.v[i]);
		free(c->cands);
		c->cands = sanitize_line(strbuf_str(&shown));
	}
out:
	for (size_t i = 0; i < cands.n; i++)
		free(cands.v[i]);
	free(cands.v);
	strbuf_release(&shown);
	ui->dirty |= UI_DIRTY_STATUS | UI_DIRTY_MAIN;
}

/* ---- keys ---- */

static void cmdline_backspace(struct strbuf *b)
{
	while (b->len > 0) {
		unsigned char ch = (unsigned char)b->buf[--b->len];
		if ((ch & 0xC0) != 0x80)
			break;   /* the first byte of the character */
	}
	if (b->buf)
		b->buf[b->len] = '\0';
}

void ui_cmdline_key(struct ui *ui, int key)
{
	struct ui_cmdline *c = ui->cmdline;
	struct strbuf *b = &c->buf;

	ui->dirty |= UI_DIRTY_STATUS;
	if (c->confirm) {
		cmdline_finish(ui, key == 'y' || key == 'Y' ? "y" : "n");
		return;
	}
	switch (key) {
	case UI_KEY_ENTER:
		cmdline_finish(ui, strbuf_str(b));
		return;
	case UI_KEY_ESC:
	case 7:   /* C-g */
	case 3:   /* C-c */
		cmdline_finish(ui, NULL);
		return;
	case UI_KEY_BACKSPACE:
		if (b->len == 0) {
			cmdline_finish(ui, NULL);
			return;
		}
		cmdline_backspace(b);
		return;
	case 21:   /* C-u */
		strbuf_reset(b);
		return;
	case 23:   /* C-w: the last word */
		while (b->len && b->buf[b->len - 1] == ' ')
			b->len--;
		while (b->len && b->buf[b->len - 1] != ' ')
			b->len--;
		if (b->buf)
			b->buf[b->len] = '\0';
		return;
	case UI_KEY_TAB:
		cmdline_tab(ui);
		return;
	}
	if (key >= ' ' && key != 127 && !(key & (UI_KEY_FN | UI_KEY_META)) && key <= 0x10FFFF &&
	    b->len < 4096) {
		strbuf_add_utf8(b, (uint32_t)key);
	}
}

void ui_cmdline_draw(struct ui *ui)
{
	struct ui_cmdline *c = ui->cmdline;
	char *text = sanitize_line(strbuf_str(&c->buf));
	size_t len = strlen(text), skip = 0;
	int pw, tw, room;

	if (ui->msg_y < 0) {
		free(text);
		return;
	}
	if (c->cands && ui->status_y >= 0)
		ui_draw_str(ui->status_y, 0, ui->cols, c->cands, ui_theme_attr(UI_EL_STATUS), true);
	pw = ui_draw_str(ui->msg_y, 0, ui->cols - 1, c->prompt, ui_theme_attr(UI_EL_PROMPT),
			 false);
	room = ui->cols - pw - 1;
	/* show the end of a long line */
	while (room > 0 && ui_text_width(text + skip, len - skip) > room) {
		wchar_t wc;
		skip += ui_utf8_next(text + skip, len - skip, &wc);
	}
	tw = room > 0 ? ui_draw_text(ui->msg_y, pw, room + 1, text + skip, len - skip,
				     ui_theme_attr(UI_EL_NORMAL), true) : 0;
	(void)tw;
	move(ui->msg_y, pw + (room > 0 ? ui_text_width(text + skip, len - skip) : 0));
	free(text);
}

/* ---- ":" ---- */

static void cmdline_command_done(struct ui *ui, const char *text, void *arg)
{
	ui_cmdline_run(ui, text);
}

void ui_cmdline_command(struct ui *ui, int count, const char *arg)
{
	ui_cmdline_prompt(ui, ":", NULL, cmdline_complete_command, cmdline_command_done, NULL,
			  false);
}

void ui_cmdline_run(struct ui *ui, const char *line)
{
	char *copy = xstrdup(line), *name = util_trim(copy), *rest;
	const struct ui_action *a;

	rest = name + strcspn(name, " \t");
	if (*rest) {
		*rest++ = '\0';
		rest = util_trim(rest);
	}
	if (!*name) {
		free(copy);
		return;
	}
	a = ui_action_find(name);
	if (!a) {
		char *safe = sanitize_line(name);
		ui_message(ui, true, "no action called '%s' (Tab lists them, ? shows help)", safe);
		free(safe);
	} else {
		ui_action_run(ui, a, 0, *rest ? rest : NULL);
	}
	free(copy);
}
