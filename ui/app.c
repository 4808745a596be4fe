/*
 * The application: start-up (config, stores, keymap, theme, curses), the one
 * poll loop, the key dispatcher and the engine's events.
 *
 * The loop waits on three fds: the terminal, a self-pipe written by the
 * signal handlers (SIGWINCH for resizes, SIGINT/SIGTERM/SIGHUP to quit
 * cleanly) and the engine's eventfd.  Handlers only change state and mark
 * regions dirty; the screen is drawn once per pass, and curses sends only
 * the cells that changed, which is what keeps petrel calm over a slow SSH
 * link.  Nothing here waits on the network: sync and body fetches are
 * engine commands, and the store is opened read-only and reopened when the
 * engine says it changed.
 *
 * Share data (keymaps/, themes/): petrel run from its build tree reads them
 * from the source tree it was built from; an installed petrel reads them
 * from $prefix/share/petrel (both paths are fixed at configure time in
 * ui/paths.h).  User files in $XDG_CONFIG_HOME/petrel/ come on top.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/util.h"
#include "mime/mime.h"
#include "ui/paths.h"
#include "ui/private.h"
#include "ui/ui.h"

/* How often a burst of CHANGED events may reload the lists (ms). */
#define APP_RELOAD_MS 250
/* How long a key that is both a binding and a prefix waits for more (ms). */
#define APP_SEQ_MS 1000

static int app_sigpipe[2] = { -1, -1 };
static double app_t0;   /* monotonic ms at process start */

static double app_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Start of the process, for PETREL_TUI_TRACE's "first-draw" figure. */
__attribute__((constructor)) static void app_mark_start(void)
{
	app_t0 = app_now();
}

static void app_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	if (write(app_sigpipe[1], &c, 1) < 0) {
		/* the pipe is full: a wake-up is pending anyway */
	}
	errno = saved;
}

const char *ui_app_share_dir(void)
{
	static char *dir;
	char exe[PATH_MAX];
	ssize_t n;

	if (dir)
		return dir;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (strcmp(exe, PETREL_UI_BUILD_DIR) == 0)
				return dir = xstrdup(PETREL_UI_SOURCE_DIR);
		}
	}
	return dir = xstrdup(PETREL_UI_SHARE_DIR);
}

void ui_message(struct ui *ui, bool error, const char *fmt, ...)
{
	va_list ap;

	free(ui->message);
	va_start(ap, fmt);
	ui->message = xvasprintf(fmt, ap);
	va_end(ap);
	ui->message_error = error;
	ui->dirty |= UI_DIRTY_STATUS;
	if (error)
		log_debug("ui: %s", ui->message);
}

long ui_app_account(const struct ui *ui, const char *name)
{
	for (size_t i = 0; i < ui->n_accounts; i++)
		if (strcmp(ui->accounts[i].a->name, name) == 0)
			return (long)i;
	return -1;
}

struct store *ui_app_store(struct ui *ui, size_t account)
{
	struct ui_store *st;
	char *cause = NULL;

	if (account >= ui->n_accounts)
		return NULL;
	st = &ui->stores[ui->accounts[account].store];
	if (!st->s && !(st->s = store_open(st->dir, STORE_READ, &cause))) {
		char *safe = sanitize_line(cause);
		ui_message(ui, true, "%s", safe);
		free(safe);
		free(cause);
	}
	return st->s;
}

struct store *ui_app_store_reopen(struct ui *ui, size_t account)
{
	if (account >= ui->n_accounts)
		return NULL;
	store_close(&ui->stores[ui->accounts[account].store].s);
	return ui_app_store(ui, account);
}

enum ui_ctx ui_app_context(const struct ui *ui)
{
	if (ui->sidebar_focus && ui->sidebar_shown)
		return UI_CTX_FOLDERS;
	switch (ui->view) {
	case UI_VIEW_INDEX: return UI_CTX_INDEX;
	case UI_VIEW_PAGER: return UI_CTX_PAGER;
	case UI_VIEW_ATTACH: return UI_CTX_ATTACH;
	case UI_VIEW_HELP: return UI_CTX_HELP;
	case UI_VIEW_URLS: return UI_CTX_URLS;
	case UI_VIEW_COMPOSE: return UI_CTX_COMPOSE;
	case UI_VIEW_QUEUE: return UI_CTX_QUEUE;
	}
	BUG("bad view %d", (int)ui->view);
}

void ui_app_show(struct ui *ui, enum ui_view view)
{
	ui->view = view;
	ui->sidebar_focus = false;
	ui->dirty |= UI_DIRTY_ALL;
}

/* Places the regions for the current terminal size; any size works, down
 * to one line of one column (then only the message line is drawn). */
static void app_layout(struct ui *ui)
{
	ui->rows = LINES;
	ui->cols = COLS;
	ui->msg_y = ui->rows >= 1 ? ui->rows - 1 : -1;
	ui->status_y = ui->rows >= 2 ? ui->rows - 2 : -1;
	ui->main_y = 0;
	ui->main_h = ui->rows > 2 ? ui->rows - 2 : 0;
	ui->side_w = 0;
	if (ui->sidebar_shown && ui->cols >= 40) {
		ui->side_w = ui->cols / 4;
		if (ui->side_w > 32)
			ui->side_w = 32;
		if (ui->side_w < 14)
			ui->side_w = 14;
	}
	ui->main_x = ui->side_w;
	ui->main_w = ui->cols - ui->side_w;
}

static void app_draw(struct ui *ui)
{
	app_layout(ui);
	if (ui->dirty & UI_DIRTY_SIDEBAR && ui->side_w)
		ui_folders_draw(ui);
	if (ui->dirty & UI_DIRTY_MAIN && ui->main_h > 0) {
		switch (ui->view) {
		case UI_VIEW_INDEX: ui_index_draw(ui); break;
		case UI_VIEW_PAGER: ui_pager_draw(ui); break;
		case UI_VIEW_ATTACH: ui_attach_draw(ui); break;
		case UI_VIEW_HELP: ui_help_draw(ui); break;
		case UI_VIEW_URLS: ui_urls_draw(ui); break;
		case UI_VIEW_COMPOSE: ui_compose_draw(ui); break;
		case UI_VIEW_QUEUE: ui_queue_draw(ui); break;
		}
	}
	if (ui->dirty & (UI_DIRTY_STATUS | UI_DIRTY_MAIN))
		ui_status_draw(ui);
	if (ui_cmdline_active(ui)) {
		ui_cmdline_draw(ui);
		curs_set(1);
	} else {
		curs_set(0);
	}
	refresh();
	ui->dirty = 0;
}

/* ---- global actions ---- */

void ui_app_quit(struct ui *ui, int count, const char *arg)
{
	/* a change the engine has not written yet would be lost: wait for it
	 * (the loop quits when it is safe); a second quit does not wait */
	if (ui_compose_open(ui) && !ui->quit_wait) {
		ui->quit_wait = true;
		ui_message(ui, false, "a draft is open: y sends it, P postpones it, q discards it "
			   "(quit again to leave it on disk)");
		return;
	}
	if ((ui_change_pending(ui) || ui_compose_busy(ui)) && !ui->quit_wait) {
		ui->quit_wait = true;
		for (size_t i = 0; i < ui->n_accounts; i++)
			if (ui->accounts[i].sync == UI_SYNC_RUNNING)
				engine_cancel(ui->engine, ui->accounts[i].sync_cmd);
		ui_message(ui, false, "saving your changes before quitting (quit again to "
			   "quit at once and lose them)");
		return;
	}
	ui->quit = true;
}

void ui_app_sync(struct ui *ui, int count, const char *arg)
{
	long i = ui_index_account(ui);
	struct ui_account *acc;
	char *cause = NULL;
	const char *type;
	size_t fa;
	const char *ff;

	if (i < 0 && ui_folders_current(ui, &fa, &ff))
		i = (long)fa;
	if (i < 0 && ui->n_accounts)
		i = 0;   /* nothing open yet: the first account */

	if (arg && *arg)
		i = ui_app_account(ui, arg);
	if (i < 0) {
		ui_message(ui, true, arg ? "no account by that name" : "no account to sync");
		return;
	}
	acc = &ui->accounts[i];
	type = config_account_type(acc->a);
	if (strcmp(type, "local") == 0) {
		ui_message(ui, false, "%s is a local account: there is no server to sync with",
			   acc->name);
		return;
	}
	if (acc->sync == UI_SYNC_RUNNING) {
		ui_message(ui, false, "%s is syncing already", acc->name);
		return;
	}
	acc->sync_cmd = engine_submit(ui->engine, acc->a->name, ENGINE_CMD_SYNC, NULL, 0,
				      ENGINE_PRIO_INTERACTIVE, &cause);
	if (!acc->sync_cmd) {
		char *safe = sanitize_line(cause);
		ui_message(ui, true, "cannot sync: %s", safe);
		free(safe);
		free(cause);
		return;
	}
	acc->sync = UI_SYNC_RUNNING;
	ui->dirty |= UI_DIRTY_SIDEBAR;
	xstrset(&acc->sync_text, "connecting");
	ui_message(ui, false, "syncing %s in the background", acc->name);
}

void ui_app_redraw(struct ui *ui, int count, const char *arg)
{
	clearok(curscr, TRUE);
	ui->dirty |= UI_DIRTY_ALL;
}

void ui_app_suspend(struct ui *ui, int count, const char *arg)
{
	/* curses' own SIGTSTP handler restores the terminal and comes back */
	raise(SIGTSTP);
	clearok(curscr, TRUE);
	ui->dirty |= UI_DIRTY_ALL;
}

void ui_app_cancel(struct ui *ui, int count, const char *arg)
{
	ui->n_pending = 0;
	ui->count = 0;
	if (!ui->n_pending && ui_pager_cancel(ui)) {
		ui_message(ui, false, "fetching cancelled");
		return;
	}
	FREE_NULL(ui->message);
	ui->dirty |= UI_DIRTY_STATUS;
}

/* ---- keys ---- */

/* Runs what the pending sequence is bound to. */
static void app_run_pending(struct ui *ui, const struct ui_action *a)
{
	int count = ui->count;

	ui->n_pending = 0;
	ui->count = 0;
	ui->dirty |= UI_DIRTY_STATUS;
	ui_action_run(ui, a, count, NULL);
}

static const struct ui_action *app_waiting;   /* BOTH: bound and a prefix */
static double app_wait_until;

static void app_key(struct ui *ui, int key)
{
	const struct ui_action *a = NULL;
	enum ui_keymap_match m;
	char name[32];

	if (ui_cmdline_active(ui)) {
		ui_cmdline_key(ui, key);
		return;
	}
	if (ui->n_pending == 0 && ((key >= '1' && key <= '9') || (key == '0' && ui->count))) {
		if (ui->count < 100000)
			ui->count = ui->count * 10 + (key - '0');
		ui->dirty |= UI_DIRTY_STATUS;
		return;
	}
	if (key == UI_KEY_ESC && (ui->n_pending || ui->count)) {
		app_waiting = NULL;
		ui_app_cancel(ui, 0, NULL);
		return;
	}
	ui->pending[ui->n_pending++] = key;
	m = ui_keymap_lookup(&ui->keymap, ui_app_context(ui), ui->pending, ui->n_pending, &a);
	if (m == UI_KEYMAP_NONE && app_waiting) {
		/* the longer sequence did not come: run the short one, then this key */
		a = app_waiting;
		app_waiting = NULL;
		ui->n_pending = 0;
		app_run_pending(ui, a);
		app_key(ui, key);
		return;
	}
	app_waiting = NULL;
	switch (m) {
	case UI_KEYMAP_NONE:
		ui->n_pending = 0;
		ui->count = 0;
		ui_message(ui, false, "%s is not bound here (? lists the keys)",
			   ui_key_name(key, name, sizeof(name)));
		break;
	case UI_KEYMAP_PREFIX:
		if (ui->n_pending == UI_KEYSEQ_MAX) {
			ui->n_pending = 0;
			ui->count = 0;
		}
		ui->dirty |= UI_DIRTY_STATUS;
		break;
	case UI_KEYMAP_BOTH:
		app_waiting = a;
		app_wait_until = app_now() + APP_SEQ_MS;
		ui->dirty |= UI_DIRTY_STATUS;
		break;
	case UI_KEYMAP_EXACT:
		app_run_pending(ui, a);
		break;
	}
}

/* Maps what curses read to petrel's key codes. */
static int app_key_code(int rc, wint_t wc)
{
	if (rc == KEY_CODE_YES) {
		if (wc == KEY_ENTER)
			return UI_KEY_ENTER;
		if (wc == KEY_BACKSPACE)
			return UI_KEY_BACKSPACE;
		return UI_KEY_FN | (int)wc;
	}
	if (wc == '\n' || wc == '\r')
		return UI_KEY_ENTER;
	if (wc == 127 || wc == 8)
		return UI_KEY_BACKSPACE;
	return (int)wc;
}

/* A mouse event (option mouse): clicks select, a double click opens, the
 * wheel scrolls. */
static void app_mouse(struct ui *ui)
{
	MEVENT me;
	bool wheel_up, wheel_down;

	if (getmouse(&me) != OK)
		return;
	wheel_up = me.bstate & BUTTON4_PRESSED;
#ifdef BUTTON5_PRESSED
	wheel_down = me.bstate & BUTTON5_PRESSED;
#else
	wheel_down = false;
#endif
	if (ui_cmdline_active(ui))
		return;
	if (wheel_up || wheel_down) {
		if (ui->view == UI_VIEW_INDEX && !(me.x < ui->side_w))
			ui_index_move(ui, wheel_up ? -3 : 3);
		else if (ui->view == UI_VIEW_PAGER)
			(wheel_up ? ui_pager_up : ui_pager_down)(ui, 3, NULL);
		ui->dirty |= UI_DIRTY_MAIN | UI_DIRTY_STATUS;
		return;
	}
	if (!(me.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_DOUBLE_CLICKED)))
		return;
	if (me.y < ui->main_y || me.y >= ui->main_y + ui->main_h)
		return;
	if (me.x < ui->side_w) {
		ui_folders_click(ui, me.y - ui->main_y);
	} else if (ui->view == UI_VIEW_INDEX) {
		ui_index_click(ui, me.y - ui->main_y, me.bstate & BUTTON1_DOUBLE_CLICKED);
	}
	ui->dirty |= UI_DIRTY_ALL;
}

/* Reads every key waiting on the terminal. */
static void app_read_keys(struct ui *ui)
{
	wint_t wc;
	int rc;

	while (!ui->quit && (rc = get_wch(&wc)) != ERR) {
		int key = app_key_code(rc, wc);

		if (rc == KEY_CODE_YES && wc == KEY_RESIZE)
			continue;   /* our SIGWINCH handler does resizes */
		if (rc == KEY_CODE_YES && wc == KEY_MOUSE) {
			app_mouse(ui);
			continue;
		}
		if (key == UI_KEY_ESC) {
			/* Alt-x arrives as Esc x in one read */
			wint_t w2;
			int rc2 = get_wch(&w2);
			if (rc2 != ERR) {
				int k2 = app_key_code(rc2, w2);
				key = k2 == UI_KEY_ESC ? UI_KEY_ESC : (k2 | UI_KEY_META);
			}
		}
		app_key(ui, key);
	}
}

/* ---- engine events ---- */

/* What the account's watch says: progress and reasons go on the status
 * line (not the message line: a server that stays away would repeat them
 * every backoff over whatever the user is reading there). */
static void app_watch_event(struct ui *ui, struct ui_account *acc, size_t i,
			    const struct engine_event *ev)
{
	char *safe;

	switch (ev->type) {
	case ENGINE_EVENT_PROGRESS:
		safe = sanitize_line(ev->folder ? ev->folder : "");
		free(acc->watch_text);
		acc->watch_text = ev->total ? xasprintf("%s %u/%u", safe, ev->done, ev->total)
					    : xasprintf("%s", safe);
		free(safe);
		break;
	case ENGINE_EVENT_CHANGED:
		acc->changed = true;
		acc->offline = false;
		xstrset(&acc->watch_text, "watching");
		break;
	case ENGINE_EVENT_NEW_MESSAGE:
		acc->offline = false;
		ui_folders_new_mail(ui, i, ev->folder);
		break;
	case ENGINE_EVENT_ERROR:
		safe = sanitize_line(ev->text ? ev->text : "unknown error");
		xstrset(&acc->watch_text, safe);
		free(safe);
		break;
	case ENGINE_EVENT_DONE:
		acc->watch_cmd = 0;
		if (!ev->ok && !ev->cancelled && !ev->text)
			FREE_NULL(acc->watch_text);
		break;
	default:
		break;
	}
	ui->dirty |= UI_DIRTY_STATUS | UI_DIRTY_SIDEBAR;
}

/* Starts the watch of every account that has a server and watch = yes. */
static void app_watch_start(struct ui *ui)
{
	for (size_t i = 0; i < ui->n_accounts; i++) {
		struct ui_account *acc = &ui->accounts[i];
		const char *type = config_account_type(acc->a);
		char *cause = NULL;

		if (strcmp(type, "local") == 0 || !config_get_bool(acc->a, OPTION_WATCH))
			continue;
		acc->watch_cmd = engine_submit(ui->engine, acc->a->name, ENGINE_CMD_WATCH, NULL, 0,
					       ENGINE_PRIO_PUSH, &cause);
		if (acc->watch_cmd)
			xstrset(&acc->watch_text, "connecting");
		free(cause);
	}
}

static void app_event(struct ui *ui, const struct engine_event *ev)
{
	long i = ev->account ? ui_app_account(ui, ev->account) : -1;
	struct ui_account *acc = i >= 0 ? &ui->accounts[i] : NULL;
	char *safe;

	if (!acc)
		return;
	/* what a finished command changed shows at once (a folder a sync just
	 * made can be opened when it says "synced") */
	if (ev->type == ENGINE_EVENT_DONE && ev->cmd != acc->watch_cmd)
		ui->reload_now = true;
	if (ev->type == ENGINE_EVENT_ERROR && ev->offline && !ui_pager_cancelled(ui, ev->cmd)) {
		acc->offline = true;
		ui->dirty |= UI_DIRTY_STATUS | UI_DIRTY_SIDEBAR;
	}
	if (ui_change_event(ui, ev) || ui_compose_event(ui, ev) || ui_queue_event(ui, ev) ||
	    ui_index_event(ui, ev))
		return;
	if (ev->type == ENGINE_EVENT_DONE || ev->type == ENGINE_EVENT_PROGRESS)
		ui_queue_changed(ui);   /* a sync or watch may have sent queued mail */
	if (ev->cmd && ev->cmd == acc->watch_cmd) {
		app_watch_event(ui, acc, (size_t)i, ev);
		return;
	}
	switch (ev->type) {
	case ENGINE_EVENT_PROGRESS:
		if (ev->cmd != acc->sync_cmd)
			break;
		safe = sanitize_line(ev->folder ? ev->folder : "");
		free(acc->sync_text);
		acc->sync_text = ev->total ? xasprintf("%s %u/%u", safe, ev->done, ev->total)
					   : xasprintf("%s", safe);
		free(safe);
		ui->dirty |= UI_DIRTY_STATUS;
		break;
	case ENGINE_EVENT_CHANGED:
		acc->changed = true;
		break;
	case ENGINE_EVENT_ERROR:
		if (ui_pager_cancelled(ui, ev->cmd))
			break;   /* the user stopped it: "cancelled" is no news */
		safe = sanitize_line(ev->text ? ev->text : "unknown error");
		if (ev->cmd == acc->sync_cmd)
			xstrset(&acc->sync_text, safe);
		ui_pager_engine_done(ui, ev->cmd, false, safe);
		ui_message(ui, true, "%s: %s", acc->name, safe);
		free(safe);
		break;
	case ENGINE_EVENT_DONE:
		if (ev->cmd == acc->sync_cmd) {
			acc->sync = ev->ok ? UI_SYNC_OK : UI_SYNC_FAILED;
			ui->dirty |= UI_DIRTY_SIDEBAR;
			if (ev->ok)
				acc->offline = false;
			if (ev->ok) {
				char when[16];
				time_t now = time(NULL);
				struct tm tm;
				localtime_r(&now, &tm);
				strftime(when, sizeof(when), "%H:%M", &tm);
				free(acc->sync_text);
				acc->sync_text = xasprintf("synced %s", when);
			}
			ui->dirty |= UI_DIRTY_STATUS;
		}
		ui_pager_engine_done(ui, ev->cmd, ev->ok, NULL);
		break;
	case ENGINE_EVENT_NEW_MESSAGE:
		ui_folders_new_mail(ui, (size_t)i, ev->folder);
		break;
	default:   /* reports: nothing to show */
		break;
	}
}

/* Reopens the stores that changed and refreshes what shows them. */
static void app_reload(struct ui *ui)
{
	for (size_t i = 0; i < ui->n_accounts; i++) {
		struct ui_store *st;
		if (!ui->accounts[i].changed)
			continue;
		st = &ui->stores[ui->accounts[i].store];
		store_close(&st->s);
		for (size_t j = 0; j < ui->n_accounts; j++)
			if (ui->accounts[j].store == ui->accounts[i].store) {
				ui->accounts[j].changed = false;
				ui_folders_refresh(ui, j);
			}
	}
	ui_index_refresh(ui);
	ui_pager_refresh(ui);
	ui_change_reloaded(ui);
	ui->dirty |= UI_DIRTY_ALL;
}

static bool app_changed(const struct ui *ui)
{
	for (size_t i = 0; i < ui->n_accounts; i++)
		if (ui->accounts[i].changed)
			return true;
	return false;
}

static bool app_syncing(const struct ui *ui)
{
	for (size_t i = 0; i < ui->n_accounts; i++)
		if (ui->accounts[i].sync == UI_SYNC_RUNNING)
			return true;
	return false;
}

/* ---- start and stop ---- */

static void app_accounts(struct ui *ui)
{
	struct config *cfg = ui->cfg;

	ui->accounts = xcalloc(cfg->n_accounts ? cfg->n_accounts : 1, sizeof(*ui->accounts));
	ui->stores = xcalloc(cfg->n_accounts ? cfg->n_accounts : 1, sizeof(*ui->stores));
	for (size_t i = 0; i < cfg->n_accounts; i++) {
		struct ui_account *acc = &ui->accounts[ui->n_accounts++];
		char *dir = store_data_dir(cfg, cfg->accounts[i]);
		size_t s;

		acc->a = cfg->accounts[i];
		acc->name = sanitize_line(acc->a->name);
		for (s = 0; s < ui->n_stores; s++)
			if (strcmp(ui->stores[s].dir, dir) == 0)
				break;
		if (s == ui->n_stores)
			ui->stores[ui->n_stores++].dir = xstrdup(dir);
		acc->store = s;
		free(dir);
	}
}

static void app_keymaps(struct ui *ui)
{
	const char *name = config_global(ui->cfg, OPTION_KEYMAP);
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *path, *user;

	if (!name || !*name)
		name = "default";
	path = strchr(name, '/') ? config_expand_path(name)
				 : xasprintf("%s/keymaps/%s.keys", ui_app_share_dir(), name);
	if (!ui_keymap_load(&ui->keymap, path) && strcmp(name, "default") != 0) {
		/* a keymap that cannot be read must not leave the user without keys */
		free(path);
		path = xasprintf("%s/keymaps/default.keys", ui_app_share_dir());
		ui_keymap_load(&ui->keymap, path);
	}
	free(path);
	user = xdg && *xdg ? xasprintf("%s/petrel/keys", xdg)
			   : xasprintf("%s/.config/petrel/keys", home ? home : ".");
	if (access(user, F_OK) == 0)
		ui_keymap_load(&ui->keymap, user);
	free(user);
	if (ui->keymap.n == 0) {
		/* no keymap at all (a broken install): enough to get out */
		struct ui_binding b = { .ctx = UI_CTX_GLOBAL, .keys = { 'q' }, .n = 1,
					.action = ui_action_find("app.quit") };
		ui->keymap.v = xmalloc(sizeof(b));
		ui->keymap.v[0] = b;
		ui->keymap.n = ui->keymap.cap = 1;
	}
}

static void app_problems(struct ui *ui)
{
	size_t n = ui->keymap.n_problems;

	if (n)
		ui_message(ui, true, "%s%s", ui->keymap.problems[0],
			   n > 1 ? " (and more: see ? for all)" : "");
}

static bool app_mouse_on(const struct ui *ui)
{
	const char *v = config_global(ui->cfg, OPTION_MOUSE);
	bool on = false;

	return v && option_parse_bool(v, &on) && on;
}

static int app_start_curses(struct ui *ui)
{
	const char *nc = getenv("NO_COLOR");
	const char *theme = config_global(ui->cfg, OPTION_THEME);
	SCREEN *scr;

	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		const char *term = getenv("TERM");
		char *safe = sanitize_line(term ? term : "");
		fprintf(stderr, "petrel: cannot use the terminal '%s' (check TERM)\n", safe);
		free(safe);
		return -1;
	}
	set_term(scr);
	raw();          /* C-s, C-q, C-c, C-z reach the keymap */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(40);
	meta(stdscr, TRUE);
	ui_theme_load(theme && *theme ? theme : "default",
		      has_colors() && !(nc && *nc), &ui->keymap.problems, &ui->keymap.n_problems);
	bkgdset(' ' | ui_theme_attr(UI_EL_NORMAL));
	if (app_mouse_on(ui)) {
		mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_DOUBLE_CLICKED |
			  BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
			  | BUTTON5_PRESSED
#endif
			  , NULL);
		mouseinterval(200);
	}
	return 0;
}

static void app_trace(struct ui *ui, const char *what, double ms)
{
	if (ui->trace) {
		fprintf(ui->trace, "%s %.2f\n", what, ms);
		fflush(ui->trace);
	}
}

static void app_loop(struct ui *ui)
{
	bool first = true;
	double key_t = -1, last_reload = 0;

	while (!ui->quit) {
		struct pollfd pfd[3] = {
			{ .fd = 0, .events = POLLIN },
			{ .fd = app_sigpipe[0], .events = POLLIN },
			{ .fd = engine_fd(ui->engine), .events = POLLIN },
		};
		int timeout = -1;
		double now;

		if (ui->dirty) {
			app_draw(ui);
			if (first) {
				app_trace(ui, "first-draw", app_now() - app_t0);
				first = false;
			}
			if (key_t >= 0)
				app_trace(ui, "key", app_now() - key_t);
		}
		key_t = -1;
		if (app_waiting)
			timeout = (int)(app_wait_until - app_now()) + 1;
		if ((app_syncing(ui) || ui_pager_fetching(ui)) && (timeout < 0 || timeout > 1000))
			timeout = 1000;   /* bytes moved, on the status line and the pager */
		if (app_changed(ui)) {
			/* a burst of CHANGED events reloads once per APP_RELOAD_MS */
			int due = ui->reload_now ? 0
						 : (int)(last_reload + APP_RELOAD_MS - app_now()) + 1;
			if (due < 0)
				due = 0;
			if (timeout < 0 || timeout > due)
				timeout = due;
		}
		if (timeout < -1)
			timeout = 0;
		if (poll(pfd, 3, timeout) < 0 && errno != EINTR)
			BUG("poll: %s", strerror(errno));
		now = app_now();
		if (pfd[1].revents & POLLIN) {
			unsigned char sigs[32];
			ssize_t n = read(app_sigpipe[0], sigs, sizeof(sigs));
			for (ssize_t k = 0; k < n; k++) {
				if (sigs[k] == SIGWINCH) {
					struct winsize ws;
					if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
						resizeterm(ws.ws_row, ws.ws_col);
					clearok(curscr, TRUE);
					ui->dirty |= UI_DIRTY_ALL;
				} else {
					ui->quit = true;
				}
			}
		}
		if (pfd[2].revents & POLLIN) {
			struct engine_event *evs = engine_events(ui->engine);
			for (struct engine_event *ev = evs; ev; ev = ev->next)
				app_event(ui, ev);
			engine_events_free(&evs);
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (pfd[0].revents & (POLLHUP | POLLERR) && !(pfd[0].revents & POLLIN))
				ui->quit = true;   /* the terminal went away */
			key_t = now;
			app_read_keys(ui);
		}
		if (app_waiting && app_now() >= app_wait_until) {
			const struct ui_action *a = app_waiting;
			app_waiting = NULL;
			app_run_pending(ui, a);
		}
		/* not in a pass that read keys: their redraw comes first, the
		 * reload in the next pass (its poll does not wait) */
		if (app_changed(ui) && key_t < 0 &&
		    (ui->reload_now || app_now() >= last_reload + APP_RELOAD_MS)) {
			app_reload(ui);
			last_reload = app_now();
		}
		if (key_t < 0)
			ui->reload_now = false;
		if (ui->quit_wait && !ui_change_pending(ui) && !ui_compose_busy(ui))
			ui->quit = true;
		if (app_syncing(ui))
			ui->dirty |= UI_DIRTY_STATUS;
		ui_pager_tick(ui);
	}
}

static void app_signals(bool install)
{
	struct sigaction sa = { 0 };
	static const int sigs[] = { SIGWINCH, SIGINT, SIGTERM, SIGHUP };

	sa.sa_handler = install ? app_signal : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

int ui_main(struct cli_ctx *ctx)
{
	struct ui ui = { 0 };
	const char *trace = getenv("PETREL_TUI_TRACE");
	int status = CLI_OK;

	if (!isatty(0) || !isatty(1)) {
		fprintf(stderr, "petrel: the terminal UI needs a terminal; for scripts use a "
			"command (petrel --help lists them)\n");
		return CLI_USAGE;
	}
	if (!(ui.cfg = cli_config(ctx)))
		return CLI_USAGE;
	if (trace && *trace)
		ui.trace = fopen(trace, "a");
	if (pipe2(app_sigpipe, O_CLOEXEC | O_NONBLOCK) < 0)
		BUG("pipe: %s", strerror(errno));
	app_accounts(&ui);
	app_keymaps(&ui);
	ui.engine = engine_new(ui.cfg);
	ui.sidebar_shown = true;
	app_signals(true);
	if (app_start_curses(&ui) < 0) {
		status = CLI_USAGE;
		goto out;
	}
	app_layout(&ui);
	ui_cmdline_new(&ui);
	ui_compose_new(&ui);
	ui_queue_new(&ui);
	ui_help_new(&ui);
	ui_urls_new(&ui);
	ui_attach_new(&ui);
	ui_pager_new(&ui);
	ui_index_new(&ui);
	ui_folders_new(&ui);
	app_problems(&ui);
	app_watch_start(&ui);
	ui.dirty = UI_DIRTY_ALL;
	app_loop(&ui);
	endwin();
	ui_folders_free(&ui);
	ui_index_free(&ui);
	ui_pager_free(&ui);
	ui_attach_free(&ui);
	ui_help_free(&ui);
	ui_urls_free(&ui);
	ui_cmdline_free(&ui);
	ui_compose_free(&ui);
	ui_queue_free(&ui);
	ui_change_free_all(&ui);
out:
	app_signals(false);
	engine_free(&ui.engine);
	for (size_t i = 0; i < ui.n_stores; i++) {
		store_close(&ui.stores[i].s);
		free(ui.stores[i].dir);
	}
	for (size_t i = 0; i < ui.n_accounts; i++) {
		free(ui.accounts[i].name);
		free(ui.accounts[i].sync_text);
		free(ui.accounts[i].watch_text);
	}
	free(ui.stores);
	free(ui.accounts);
	ui_keymap_release(&ui.keymap);
	free(ui.message);
	if (ui.trace)
		fclose(ui.trace);
	close(app_sigpipe[0]);
	close(app_sigpipe[1]);
	return status;
}
