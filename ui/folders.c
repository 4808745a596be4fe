/*
 * The folder sidebar: every account and its folders from the store, with
 * their total and unread counts, the open folder marked.  Counts are read
 * from the store at start and again for an account whose store changed.
 * A folder that got new mail by a sync or push while it was not open has
 * a "*" until it is opened; an account the engine could not reach says
 * "offline".
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mime/mime.h"
#include "ui/private.h"

struct folders_entry {
	size_t account;
	char *folder;      /* NULL: the account's own line */
	char *label;       /* sanitized, indented */
	unsigned total, unread;
};

/* A folder with new mail not seen yet; kept apart from the entries, which
 * are rebuilt whenever the store changes. */
struct folders_new {
	size_t account;
	char *folder;
};

struct ui_folders {
	struct folders_entry *v;
	size_t n, cap;
	size_t cursor, top;
	struct folders_new *fresh;
	size_t n_fresh;
};

struct folders_walk {
	struct ui *ui;
	struct store *s;
	size_t account;
};

static void folders_add(struct ui_folders *f, size_t account, const char *folder,
			char *label)
{
	struct folders_entry *e;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	e = &f->v[f->n++];
	memset(e, 0, sizeof(*e));
	e->account = account;
	e->folder = folder ? xstrdup(folder) : NULL;
	e->label = label;
}

static void folders_one(const char *account, const char *folder, void *arg)
{
	struct folders_walk *w = arg;
	struct ui_folders *f = w->ui->folders;
	const char *leaf = strrchr(folder, '/');
	char *q = store_folder_query(account, folder), *qu = ui_rows_and(q, "tag:unread");
	char *safe = sanitize_line(leaf ? leaf + 1 : folder), *cause = NULL;
	struct strbuf sb = STRBUF_INIT;
	struct folders_entry *e;

	strbuf_addstr(&sb, " ");
	for (const char *p = folder; (p = strchr(p, '/')); p++)
		strbuf_addstr(&sb, " ");
	strbuf_addf(&sb, " %s", safe);
	free(safe);
	folders_add(f, w->account, folder, strbuf_detach(&sb));
	e = &f->v[f->n - 1];
	if (store_count(w->s, q, &e->total, &cause) < 0 ||
	    store_count(w->s, qu, &e->unread, &cause) < 0)
		FREE_NULL(cause);
	free(q);
	free(qu);
}

static void folders_release(struct ui_folders *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].folder);
		free(f->v[i].label);
	}
	f->n = 0;
}

/* Rebuilds the list from the stores, keeping the cursor on its folder. */
static void folders_build(struct ui *ui)
{
	struct ui_folders *f = ui->folders;
	size_t cur_acc = 0;
	char *cur_folder = NULL;

	if (f->cursor < f->n) {
		cur_acc = f->v[f->cursor].account;
		cur_folder = f->v[f->cursor].folder ? xstrdup(f->v[f->cursor].folder) : NULL;
	}
	folders_release(f);
	for (size_t a = 0; a < ui->n_accounts; a++) {
		struct folders_walk w = { ui, ui_app_store(ui, a), a };
		char *cause = NULL;

		folders_add(f, a, NULL, xstrdup(ui->accounts[a].name));
		if (w.s && store_folders(w.s, ui->accounts[a].a->name, folders_one, &w,
					 &cause) < 0) {
			char *safe = sanitize_line(cause);
			ui_message(ui, true, "%s", safe);
			free(safe);
			free(cause);
		}
	}
	f->cursor = 0;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].account == cur_acc && f->v[i].folder && cur_folder &&
		    strcmp(f->v[i].folder, cur_folder) == 0)
			f->cursor = i;
	if (f->cursor == 0)
		for (size_t i = 0; i < f->n; i++)
			if (f->v[i].folder) {
				f->cursor = i;
				break;
			}
	free(cur_folder);
	ui->dirty |= UI_DIRTY_SIDEBAR | UI_DIRTY_STATUS;
}

void ui_folders_new(struct ui *ui)
{
	struct ui_folders *f = xcalloc(1, sizeof(*f));

	ui->folders = f;
	folders_build(ui);
	/* open the first account's INBOX, else its first folder */
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].folder && strcmp(f->v[i].folder, "INBOX") == 0) {
			f->cursor = i;
			break;
		}
	if (f->cursor < f->n && f->v[f->cursor].folder)
		ui_index_open_folder(ui, f->v[f->cursor].account, f->v[f->cursor].folder);
	else if (ui->n_accounts)
		ui->dirty |= UI_DIRTY_ALL;
}

static long folders_fresh_find(const struct ui_folders *f, size_t account, const char *folder)
{
	for (size_t i = 0; i < f->n_fresh; i++)
		if (f->fresh[i].account == account && strcmp(f->fresh[i].folder, folder) == 0)
			return (long)i;
	return -1;
}

void ui_folders_new_mail(struct ui *ui, size_t account, const char *folder)
{
	struct ui_folders *f = ui->folders;
	bool known = false;

	if (!f || !folder)
		return;
	/* not the folder being read, and not one the first sync just made */
	if (ui_index_account(ui) == (long)account && ui_index_folder(ui) &&
	    strcmp(ui_index_folder(ui), folder) == 0)
		return;
	for (size_t i = 0; i < f->n && !known; i++)
		known = f->v[i].account == account && f->v[i].folder &&
			strcmp(f->v[i].folder, folder) == 0;
	if (!known || folders_fresh_find(f, account, folder) >= 0)
		return;
	f->fresh = xrealloc(f->fresh, (f->n_fresh + 1) * sizeof(*f->fresh));
	f->fresh[f->n_fresh].account = account;
	f->fresh[f->n_fresh].folder = xstrdup(folder);
	f->n_fresh++;
	ui->dirty |= UI_DIRTY_SIDEBAR;
}

void ui_folders_visited(struct ui *ui, size_t account, const char *folder)
{
	struct ui_folders *f = ui->folders;
	long i = f && folder ? folders_fresh_find(f, account, folder) : -1;

	if (i < 0)
		return;
	free(f->fresh[i].folder);
	f->fresh[i] = f->fresh[--f->n_fresh];
	ui->dirty |= UI_DIRTY_SIDEBAR;
}

void ui_folders_free(struct ui *ui)
{
	if (!ui->folders)
		return;
	for (size_t i = 0; i < ui->folders->n_fresh; i++)
		free(ui->folders->fresh[i].folder);
	free(ui->folders->fresh);
	folders_release(ui->folders);
	free(ui->folders->v);
	FREE_NULL(ui->folders);
}

void ui_folders_refresh(struct ui *ui, size_t account)
{
	struct ui_folders *f = ui->folders;

	(void)account;   /* counts are cheap: every account is re-read */
	folders_build(ui);
	/* the first sync of an empty store: open INBOX once it exists */
	if (ui_index_account(ui) < 0)
		for (size_t i = 0; i < f->n; i++)
			if (f->v[i].folder && strcmp(f->v[i].folder, "INBOX") == 0) {
				f->cursor = i;
				ui_index_open_folder(ui, f->v[i].account, "INBOX");
				break;
			}
}

bool ui_folders_current(const struct ui *ui, size_t *account, const char **folder)
{
	const struct ui_folders *f = ui->folders;

	if (!f || f->cursor >= f->n || !f->v[f->cursor].folder)
		return false;
	*account = f->v[f->cursor].account;
	*folder = f->v[f->cursor].folder;
	return true;
}

void ui_folders_each(const struct ui *ui, void (*fn)(const char *name, void *arg), void *arg)
{
	const struct ui_folders *f = ui->folders;

	for (size_t i = 0; f && i < f->n; i++) {
		char *name;
		if (!f->v[i].folder)
			continue;
		name = xasprintf("%s/%s", ui->accounts[f->v[i].account].a->name, f->v[i].folder);
		fn(name, arg);
		free(name);
	}
}

void ui_folders_draw(struct ui *ui)
{
	struct ui_folders *f = ui->folders;
	int w = ui->side_w - 1, h = ui->main_h;
	long open_acc = ui_index_account(ui);
	const char *open_folder = ui_index_folder(ui);

	if (f->cursor < f->top)
		f->top = f->cursor;
	if (h > 0 && f->cursor >= f->top + (size_t)h)
		f->top = f->cursor - (size_t)h + 1;
	for (int y = 0; y < h; y++) {
		size_t i = f->top + (size_t)y;
		attr_t at = ui_theme_attr(UI_EL_SIDEBAR);
		char num[32] = "";
		int nw;

		attrset(ui_theme_attr(UI_EL_SEPARATOR));
		mvaddch(ui->main_y + y, w, ACS_VLINE);
		if (i >= f->n) {
			ui_draw_fill(ui->main_y + y, 0, w, at);
			continue;
		}
		if (!f->v[i].folder) {
			at = ui_theme_attr(UI_EL_SIDEBAR_ACCOUNT);
		} else {
			if (f->v[i].unread)
				at = ui_theme_attr(UI_EL_SIDEBAR_UNREAD);
			if (open_folder && (long)f->v[i].account == open_acc &&
			    strcmp(f->v[i].folder, open_folder) == 0)
				at = ui_theme_attr(UI_EL_SIDEBAR_CURRENT);
			if (ui->sidebar_focus && i == f->cursor)
				at = ui_theme_attr(UI_EL_CURSOR);
			if (f->v[i].unread)
				snprintf(num, sizeof(num), " %u/%u", f->v[i].unread, f->v[i].total);
			else
				snprintf(num, sizeof(num), " %u", f->v[i].total);
		}
		if (!f->v[i].folder) {
			/* the account's state: what its server connection is doing */
			const struct ui_account *acc = &ui->accounts[f->v[i].account];
			if (acc->sync == UI_SYNC_RUNNING)
				snprintf(num, sizeof(num), " syncing");
			else if (acc->offline)
				snprintf(num, sizeof(num), " offline");
			else if (acc->sync == UI_SYNC_FAILED)
				snprintf(num, sizeof(num), " error");
			else if (acc->watch_cmd && acc->watch_text &&
				 strcmp(acc->watch_text, "watching") == 0)
				snprintf(num, sizeof(num), " live");
		}
		nw = (int)strlen(num);
		if (nw > w / 2)
			nw = 0;
		ui_draw_str(ui->main_y + y, 0, w - nw, f->v[i].label, at, true);
		if (f->v[i].folder && w > 2 &&
		    folders_fresh_find(f, f->v[i].account, f->v[i].folder) >= 0)
			ui_draw_str(ui->main_y + y, 0, 1, "*", at, false);
		if (nw)
			ui_draw_str(ui->main_y + y, w - nw, nw, num, at, true);
	}
}

/* ---- actions ---- */

void ui_folders_toggle(struct ui *ui, int count, const char *arg)
{
	ui->sidebar_shown = !ui->sidebar_shown;
	if (!ui->sidebar_shown)
		ui->sidebar_focus = false;
	ui->dirty |= UI_DIRTY_ALL;
	clearok(curscr, TRUE);
}

void ui_folders_focus(struct ui *ui, int count, const char *arg)
{
	if (!ui->sidebar_shown || ui->cols < 40) {
		ui->sidebar_shown = true;
		ui->sidebar_focus = true;
	} else {
		ui->sidebar_focus = !ui->sidebar_focus;
	}
	if (ui->cols < 40)
		ui_message(ui, false, "the window is too narrow for the sidebar");
	ui->dirty |= UI_DIRTY_ALL;
}

static void folders_move(struct ui *ui, int dir, int count, bool unread_only)
{
	struct ui_folders *f = ui->folders;
	size_t i = f->cursor;

	for (int n = count ? count : 1; n > 0; n--) {
		size_t j = i;
		for (;;) {
			if (dir > 0 ? j + 1 >= f->n : j == 0)
				break;
			j = dir > 0 ? j + 1 : j - 1;
			if (f->v[j].folder && (!unread_only || f->v[j].unread)) {
				i = j;
				break;
			}
		}
	}
	if (unread_only && i == f->cursor)
		ui_message(ui, false, "no folder below has unread mail");
	f->cursor = i;
	ui->dirty |= UI_DIRTY_SIDEBAR;
}

void ui_folders_next(struct ui *ui, int count, const char *arg)
{
	folders_move(ui, 1, count, false);
}

void ui_folders_prev(struct ui *ui, int count, const char *arg)
{
	folders_move(ui, -1, count, false);
}

void ui_folders_next_unread(struct ui *ui, int count, const char *arg)
{
	folders_move(ui, 1, count, true);
}

void ui_folders_open(struct ui *ui, int count, const char *arg)
{
	struct ui_folders *f = ui->folders;

	if (arg && *arg) {
		for (size_t i = 0; i < f->n; i++) {
			char *name;
			bool match;
			if (!f->v[i].folder)
				continue;
			name = xasprintf("%s/%s", ui->accounts[f->v[i].account].a->name,
					 f->v[i].folder);
			match = strcmp(name, arg) == 0 || (strcmp(f->v[i].folder, arg) == 0);
			free(name);
			if (match) {
				f->cursor = i;
				arg = NULL;
				break;
			}
		}
		if (arg) {
			char *safe = sanitize_line(arg);
			ui_message(ui, true, "no folder '%s' (Tab completes the names)", safe);
			free(safe);
			return;
		}
	}
	if (f->cursor >= f->n || !f->v[f->cursor].folder)
		return;
	ui_index_open_folder(ui, f->v[f->cursor].account, f->v[f->cursor].folder);
	ui->sidebar_focus = false;
	ui_app_show(ui, UI_VIEW_INDEX);
}

void ui_folders_click(struct ui *ui, int row)
{
	struct ui_folders *f = ui->folders;
	size_t i;

	if (!f || row < 0)
		return;
	i = f->top + (size_t)row;
	if (i >= f->n || !f->v[i].folder)
		return;
	f->cursor = i;
	ui_folders_open(ui, 0, NULL);
}

/* ---- create, rename, delete (ENGINE_CMD_FOLDER) ---- */

/* The account the sidebar's cursor is in (its line or one of its folders). */
static long folders_account(const struct ui *ui)
{
	const struct ui_folders *f = ui->folders;

	if (f && f->cursor < f->n)
		return (long)f->v[f->cursor].account;
	return ui_index_account(ui) >= 0 ? ui_index_account(ui) : (ui->n_accounts ? 0 : -1);
}

static void folders_submit(struct ui *ui, size_t account, const char *arg, const char *what)
{
	char *cause = NULL;

	if (!engine_submit(ui->engine, ui->accounts[account].a->name, ENGINE_CMD_FOLDER, arg, 0,
			   ENGINE_PRIO_INTERACTIVE, &cause)) {
		char *safe = sanitize_line(cause);
		ui_message(ui, true, "cannot %s: %s", what, safe);
		free(safe);
		free(cause);
		return;
	}
	ui_message(ui, false, "%s", what);
}

/* The folder name typed: one line, no tab (what the engine's argument and
 * the journal could not carry). */
static bool folders_name_ok(struct ui *ui, const char *name)
{
	if (!*name)
		return false;
	if (strpbrk(name, "\t\r\n")) {
		ui_message(ui, true, "a folder name cannot hold a tab or a line break");
		return false;
	}
	return true;
}

static void folders_create_done(struct ui *ui, const char *text, void *arg)
{
	long acc = folders_account(ui);
	char *cmd, *safe, *what;

	if (acc < 0 || !folders_name_ok(ui, text))
		return;
	cmd = xasprintf("create\n%s", text);
	safe = sanitize_line(text);
	what = xasprintf("creating %s/%s", ui->accounts[acc].name, safe);
	folders_submit(ui, (size_t)acc, cmd, what);
	free(what);
	free(safe);
	free(cmd);
}

void ui_folders_create(struct ui *ui, int count, const char *arg)
{
	long acc = folders_account(ui);
	char *prompt;

	if (acc < 0) {
		ui_message(ui, true, "no account to make a folder in");
		return;
	}
	if (arg && *arg) {
		folders_create_done(ui, arg, NULL);
		return;
	}
	prompt = xasprintf("new folder in %s (a/b for a subfolder): ", ui->accounts[acc].name);
	ui_cmdline_prompt(ui, prompt, NULL, NULL, folders_create_done, NULL, false);
	free(prompt);
}

static void folders_rename_done(struct ui *ui, const char *text, void *arg)
{
	size_t acc;
	const char *folder;
	char *cmd, *safe, *what;

	if (!ui_folders_current(ui, &acc, &folder) || !folders_name_ok(ui, text) ||
	    strcmp(text, folder) == 0)
		return;
	cmd = xasprintf("rename\n%s\n%s", folder, text);
	safe = sanitize_line(text);
	what = xasprintf("renaming to %s", safe);
	folders_submit(ui, acc, cmd, what);
	free(what);
	free(safe);
	free(cmd);
}

void ui_folders_rename(struct ui *ui, int count, const char *arg)
{
	size_t acc;
	const char *folder;
	char *prompt, *safe;

	if (!ui_folders_current(ui, &acc, &folder)) {
		ui_message(ui, true, "no folder under the cursor (c moves to the sidebar)");
		return;
	}
	if (arg && *arg) {
		folders_rename_done(ui, arg, NULL);
		return;
	}
	safe = sanitize_line(folder);
	prompt = xasprintf("rename %s to: ", safe);
	ui_cmdline_prompt(ui, prompt, folder, NULL, folders_rename_done, NULL, false);
	free(prompt);
	free(safe);
}

static void folders_delete_done(struct ui *ui, const char *text, void *arg)
{
	size_t acc;
	const char *folder;
	char *cmd, *safe, *what;

	if (strcmp(text, "y") != 0 || !ui_folders_current(ui, &acc, &folder))
		return;
	cmd = xasprintf("delete\n%s", folder);
	safe = sanitize_line(folder);
	what = xasprintf("deleting %s", safe);
	folders_submit(ui, acc, cmd, what);
	free(what);
	free(safe);
	free(cmd);
}

void ui_folders_delete(struct ui *ui, int count, const char *arg)
{
	struct ui_folders *f = ui->folders;
	size_t acc;
	const char *folder;
	char *question, *safe;

	if (!ui_folders_current(ui, &acc, &folder)) {
		ui_message(ui, true, "no folder under the cursor (c moves to the sidebar)");
		return;
	}
	safe = sanitize_line(folder);
	question = xasprintf("delete %s and its %u message%s, here and on the server? (y/n) ",
			     safe, f->v[f->cursor].total, f->v[f->cursor].total == 1 ? "" : "s");
	ui_cmdline_confirm(ui, question, folders_delete_done, NULL, false);
	free(question);
	free(safe);
}
