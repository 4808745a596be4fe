/*
 * What the files of ui/ share: the application state, keys and actions,
 * the theme, safe drawing, and each view's entry points.  Nothing outside
 * ui/ includes this; the program sees only ui/ui.h.
 *
 * One view, one file: folders.c (sidebar), index.c (message list, over the
 * lazy row window of rows.c), pager.c, attach.c (attachment list), help.c,
 * status.c (status and message lines), cmdline.c (":" and every prompt).
 * app.c runs the loop; actions.c holds the one table of named actions;
 * keymap.c and theme.c load data files; draw.c is the only place that puts
 * text on the screen.
 */
#ifndef PETREL_UI_PRIVATE_H
#define PETREL_UI_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>
#include <wchar.h>

#include "core/config.h"
#include "engine/engine.h"
#include "store/store.h"

struct ui;

/* ---- keys (keymap.c) ---- */

/* A key is a Unicode code point (control keys are 1..31, Enter is '\r'),
 * or UI_KEY_FN | a curses KEY_* code; UI_KEY_META marks Alt/Esc-prefixed. */
enum {
	UI_KEY_FN = 0x1000000,
	UI_KEY_META = 0x2000000,
	UI_KEY_ENTER = '\r',
	UI_KEY_ESC = 27,
	UI_KEY_TAB = '\t',
	UI_KEY_BACKSPACE = UI_KEY_FN | KEY_BACKSPACE,
	UI_KEYSEQ_MAX = 4,
};

/* Where a binding applies; GLOBAL bindings apply everywhere after the
 * current context's own. */
enum ui_ctx {
	UI_CTX_GLOBAL,
	UI_CTX_INDEX,
	UI_CTX_PAGER,
	UI_CTX_FOLDERS,
	UI_CTX_ATTACH,
	UI_CTX_HELP,
	UI_CTX_URLS,
	UI_CTX_COMPOSE,
	UI_CTX_QUEUE,
	UI_CTX__COUNT
};

struct ui_action;

struct ui_binding {
	enum ui_ctx ctx;
	int keys[UI_KEYSEQ_MAX];
	int n;
	const struct ui_action *action;  /* NULL: unbound ("none") */
};

struct ui_keymap {
	struct ui_binding *v;
	size_t n, cap;
	char **problems;   /* "FILE:LINE: what" for each bad line, sanitized */
	size_t n_problems;
};

/* Reads a .keys file into km, later lines and files overriding earlier
 * ones.  Bad lines are recorded in km->problems and skipped.  Returns false
 * (with a problem recorded) only if the file cannot be read. */
bool ui_keymap_load(struct ui_keymap *km, const char *path);
void ui_keymap_release(struct ui_keymap *km);

enum ui_keymap_match { UI_KEYMAP_NONE, UI_KEYMAP_PREFIX, UI_KEYMAP_EXACT, UI_KEYMAP_BOTH };

/* Looks keys[0..n) up in ctx (then global): NONE, a PREFIX of longer
 * bindings, an EXACT binding (*action set), or BOTH. */
enum ui_keymap_match ui_keymap_lookup(const struct ui_keymap *km, enum ui_ctx ctx,
				      const int *keys, int n, const struct ui_action **action);

/* Appends the key sequences bound to action in its context (or global), as
 * "j, Down", to buf (at most size bytes with the NUL). */
void ui_keymap_describe(const struct ui_keymap *km, const struct ui_action *action,
			char *buf, size_t size);

/* "C-x", "Enter", "j" for key; buf of at least 32 bytes. */
const char *ui_key_name(int key, char *buf, size_t size);
/* Parses a key name; -1 if it is not one. */
int ui_key_parse(const char *name);
const char *ui_ctx_name(enum ui_ctx ctx);

/* ---- actions (actions.c) ---- */

struct ui_action {
	const char *name;         /* "index.next" */
	enum ui_ctx ctx;          /* where it works; GLOBAL: anywhere */
	void (*fn)(struct ui *ui, int count, const char *arg);
	const char *arg;          /* NULL, or what it takes from the command line */
	const char *help;         /* one line */
};

extern const struct ui_action ui_actions[];
extern const size_t ui_n_actions;

/* The action called name, or NULL. */
const struct ui_action *ui_action_find(const char *name);
/* Runs a in the current view if it applies there (else says where it
 * does); count is 0 when none was typed; arg may be NULL. */
void ui_action_run(struct ui *ui, const struct ui_action *a, int count, const char *arg);

/* ---- theme (theme.c) ---- */

enum ui_el {
	UI_EL_NORMAL,
	UI_EL_STATUS,
	UI_EL_MESSAGE,
	UI_EL_ERROR,
	UI_EL_PROMPT,
	UI_EL_CURSOR,
	UI_EL_SEPARATOR,
	UI_EL_SIDEBAR,
	UI_EL_SIDEBAR_ACCOUNT,
	UI_EL_SIDEBAR_CURRENT,
	UI_EL_SIDEBAR_UNREAD,
	UI_EL_INDEX_UNREAD,
	UI_EL_INDEX_FLAGGED,
	UI_EL_INDEX_REMOTE,
	UI_EL_PAGER_HEADER,
	UI_EL_PAGER_QUOTE1,
	UI_EL_PAGER_QUOTE2,
	UI_EL_PAGER_SIGNATURE,
	UI_EL_PAGER_NOTE,
	UI_EL_HELP_KEY,
	UI_EL_HELP_SECTION,
	UI_EL__COUNT
};

/* The curses attribute of element el (after ui_theme_load). */
attr_t ui_theme_attr(enum ui_el el);
/* Loads a theme (a name looked up in the user and shared theme folders, or
 * a path) after curses started; color says whether colours may be used
 * (false for NO_COLOR or a terminal without them).  Problems (bad lines,
 * a missing file) are appended to km-style list *problems. */
void ui_theme_load(const char *name, bool color, char ***problems, size_t *n_problems);
/* The element named name, or -1. */
int ui_theme_element(const char *name);

/* ---- safe drawing (draw.c) ---- */

/* Decodes one UTF-8 character of s[0..len) into *wc; returns the bytes it
 * took (at least 1; invalid bytes give U+FFFD). */
size_t ui_utf8_next(const char *s, size_t len, wchar_t *wc);
/* Display width of one character as drawn (0 combining, 1, 2; a character
 * the locale cannot show counts 1, drawn as '?'). */
int ui_char_width(wchar_t wc);
/* Display width of UTF-8 text. */
int ui_text_width(const char *s, size_t len);
/* Draws s[0..len) (already sanitized UTF-8) at y, x in at most width
 * columns with attr; pads with spaces to width when pad.  A wide character
 * that does not fit is replaced by a space.  Returns the columns used. */
int ui_draw_text(int y, int x, int width, const char *s, size_t len, attr_t attr, bool pad);
int ui_draw_str(int y, int x, int width, const char *s, attr_t attr, bool pad);
/* Blanks width columns at y, x. */
void ui_draw_fill(int y, int x, int width, attr_t attr);
/* Bytes of s[0..len) that fit in width columns. */
size_t ui_text_fit(const char *s, size_t len, int width);
/* A header value (from, subject) as stored: RFC 2047 decoded, sanitized to
 * one line.  Malloc'd. */
char *ui_header_text(const char *raw);
/* The display name of a From value ("Name" of "Name <a@b>", else the
 * address).  Malloc'd; input sanitized or not, output is sanitized. */
char *ui_from_name(const char *raw);
/* "1.2K", "34M" for a byte count, into buf[8]. */
const char *ui_size_text(unsigned long long n, char buf[16]);

/* ---- the lazy window of message rows (rows.c) ---- */

enum {
	UI_ROW_UNREAD = 1 << 0,
	UI_ROW_FLAGGED = 1 << 1,
	UI_ROW_REPLIED = 1 << 2,
	UI_ROW_PASSED = 1 << 3,
	UI_ROW_DRAFT = 1 << 4,
	UI_ROW_DELETED = 1 << 5,
	UI_ROW_PARTIAL = 1 << 6,
	/* drawn over the store's flags by change.c */
	UI_ROW_TAGGED = 1 << 7,
	UI_ROW_MOVED = 1 << 8,     /* a move or delete is on its way */
	UI_ROW_THREAD = 1 << 9,    /* thread mode: stands for a closed thread of several */
};

struct ui_row {
	char *id, *path, *account, *folder;
	char *thread;           /* thread mode: the notmuch thread id; else NULL */
	char *from, *subject;   /* decoded and sanitized, ready to draw */
	char *to;               /* the same for To (shown in Sent and Drafts) */
	time_t date;
	off_t size;
	unsigned flags;
};

/* A contiguous run of the query's messages, newest first: rows v[0..n) are
 * positions base..base+n-1 of the whole list of total messages. */
struct ui_rows {
	char *query;
	struct ui_row *v;
	size_t n, cap, base;
	unsigned total;
	bool at_top, at_bottom;   /* v[0] is the newest / v[n-1] the oldest */
	/* thread mode (kept across ui_rows_open): one row per thread, newest
	 * thread first, or its messages as a tree when the thread is open */
	bool threads;
	char **open;              /* ids of the open threads */
	size_t n_open;
	unsigned threads_total, threads_loaded;
};

/* Opens the list of query (copied) on s, loading the newest want rows.
 * 0, or -1 with *cause (a bad query); r is then empty but valid. */
int ui_rows_open(struct ui_rows *r, struct store *s, const char *query, size_t want,
		 char **cause);
/* Reloads around message id (of date) after the store changed, keeping
 * margin rows on each side; returns the new position of id (or of where it
 * was), or -1 with *cause. */
long ui_rows_reload(struct ui_rows *r, struct store *s, const char *id, time_t date,
		    size_t margin, char **cause);
/* The row at position i, loading pages as needed; NULL past the end or on a
 * store error.  The pointer is valid until the next rows call. */
const struct ui_row *ui_rows_at(struct ui_rows *r, struct store *s, size_t i);
/* Loads the oldest rows (for "last"); returns the last position or -1. */
long ui_rows_last(struct ui_rows *r, struct store *s, size_t want);
/* The position of id among the loaded rows, or -1. */
long ui_rows_find(const struct ui_rows *r, const char *id);
/* Position of the first message after (dir 1: older) or before (dir -1:
 * newer) position pos that matches extra (a notmuch query ANDed with the
 * list's), reloading around it; -1 if none, -2 with *cause on error. */
long ui_rows_seek(struct ui_rows *r, struct store *s, size_t pos, const char *extra, int dir,
		  char **cause);
void ui_rows_release(struct ui_rows *r);
/* Thread mode: opens the thread of the row at pos if closed, or closes
 * it; returns the position of the thread's first row, or -1. */
long ui_rows_thread_toggle(struct ui_rows *r, struct store *s, size_t pos);
/* "(a) and (b)", or b alone when a is "*".  Malloc'd. */
char *ui_rows_and(const char *a, const char *b);

/* ---- the application (app.c) ---- */

enum ui_view {
	UI_VIEW_INDEX, UI_VIEW_PAGER, UI_VIEW_ATTACH, UI_VIEW_HELP, UI_VIEW_URLS,
	UI_VIEW_COMPOSE, UI_VIEW_QUEUE
};

enum {
	UI_DIRTY_SIDEBAR = 1 << 0,
	UI_DIRTY_MAIN = 1 << 1,
	UI_DIRTY_STATUS = 1 << 2,
	UI_DIRTY_ALL = 0xff,
};

enum ui_sync_state { UI_SYNC_IDLE, UI_SYNC_RUNNING, UI_SYNC_OK, UI_SYNC_FAILED };

/* One account: its store (shared with accounts of the same data dir) and
 * what the engine last said about it. */
struct ui_account {
	const struct account *a;
	char *name;           /* sanitized, for display */
	size_t store;         /* index into ui->stores */
	enum ui_sync_state sync;
	unsigned long sync_cmd;
	char *sync_text;      /* sanitized progress or error */
	bool changed;         /* a CHANGED event came: reopen and refresh */
	bool offline;         /* the server could not be reached (until a sync works) */
	unsigned long watch_cmd;  /* the account's watch (option watch), or 0 */
	char *watch_text;     /* sanitized: what the watch does or last said */
};

struct ui_store {
	char *dir;
	struct store *s;
};

struct ui_folders;
struct ui_index;
struct ui_pager;
struct ui_attach;
struct ui_help;
struct ui_urls;
struct ui_cmdline;
struct ui_compose;
struct ui_queue;
struct ui_change;
struct ui_change_target;

/* A tagged message (t), for actions after the tag prefix (;). */
struct ui_tag {
	char *id;
	size_t account;
};

struct ui {
	struct config *cfg;
	struct engine *engine;
	struct ui_store *stores;
	size_t n_stores;
	struct ui_account *accounts;
	size_t n_accounts;

	struct ui_keymap keymap;
	char *share_dir;      /* keymaps/ and themes/ of this petrel */
	int pending[UI_KEYSEQ_MAX];
	int n_pending;
	int count;            /* typed count, 0 if none */

	enum ui_view view;
	bool sidebar_shown, sidebar_focus;
	unsigned dirty;
	bool quit;
	bool quit_wait;       /* quit once the pending changes are safe */
	bool reload_now;      /* a command finished: reload without the throttle */

	/* layout, set by ui_app_layout */
	int rows, cols;
	int side_w;           /* 0 when hidden */
	int main_y, main_x, main_h, main_w;
	int status_y, msg_y;  /* -1 when there is no room */

	struct ui_folders *folders;
	struct ui_index *index;
	struct ui_pager *pager;
	struct ui_attach *attach;
	struct ui_help *help;
	struct ui_urls *urls;
	struct ui_cmdline *cmdline;
	struct ui_compose *compose;
	struct ui_queue *queue;

	/* change.c: changes the engine has not finished, newest first; the
	 * tagged messages; the tag prefix; the messages a move prompt is for */
	struct ui_change *changes;
	struct ui_tag *tagged;
	size_t n_tagged;
	bool tag_prefix;
	struct ui_change_target *move_target;

	char *message;        /* the message line, sanitized */
	bool message_error;
	FILE *trace;          /* PETREL_TUI_TRACE */
};

/* Shows text on the message line (an error in the error colour).  The text
 * must be sanitized already; printf-style. */
void ui_message(struct ui *ui, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The store of account number i (reopened if it changed); may be NULL. */
struct store *ui_app_store(struct ui *ui, size_t account);
/* The same after closing the store, so it shows the engine's latest
 * writes (a handle sees the database as it was when it was opened). */
struct store *ui_app_store_reopen(struct ui *ui, size_t account);
/* The account called name, or -1. */
long ui_app_account(const struct ui *ui, const char *name);
/* Switches the main area to view (marks what must be redrawn). */
void ui_app_show(struct ui *ui, enum ui_view view);
/* Where the share data (keymaps/, themes/) is; see ui/app.c. */
const char *ui_app_share_dir(void);
/* The context keys are looked up in now. */
enum ui_ctx ui_app_context(const struct ui *ui);

/* Global actions (app.c). */
void ui_app_quit(struct ui *ui, int count, const char *arg);
void ui_app_sync(struct ui *ui, int count, const char *arg);
void ui_app_redraw(struct ui *ui, int count, const char *arg);
void ui_app_suspend(struct ui *ui, int count, const char *arg);
void ui_app_cancel(struct ui *ui, int count, const char *arg);

/* ---- views ---- */

/* folders.c: the sidebar of accounts and folders. */
void ui_folders_new(struct ui *ui);
void ui_folders_free(struct ui *ui);
void ui_folders_refresh(struct ui *ui, size_t account);
void ui_folders_draw(struct ui *ui);
/* The current folder (account index, folder name); false if none. */
bool ui_folders_current(const struct ui *ui, size_t *account, const char **folder);
/* folder of account got new mail (a sync or push): mark it until it is
 * opened (ui_folders_visited), unless it is open now. */
void ui_folders_new_mail(struct ui *ui, size_t account, const char *folder);
void ui_folders_visited(struct ui *ui, size_t account, const char *folder);
/* A mouse click on line row of the sidebar: opens that folder. */
void ui_folders_click(struct ui *ui, int row);
void ui_folders_toggle(struct ui *ui, int count, const char *arg);
void ui_folders_focus(struct ui *ui, int count, const char *arg);
void ui_folders_next(struct ui *ui, int count, const char *arg);
void ui_folders_prev(struct ui *ui, int count, const char *arg);
void ui_folders_open(struct ui *ui, int count, const char *arg);
void ui_folders_next_unread(struct ui *ui, int count, const char *arg);
void ui_folders_create(struct ui *ui, int count, const char *arg);
void ui_folders_rename(struct ui *ui, int count, const char *arg);
void ui_folders_delete(struct ui *ui, int count, const char *arg);
/* Names "account/folder" for completion: calls fn for each. */
void ui_folders_each(const struct ui *ui, void (*fn)(const char *name, void *arg), void *arg);

/* index.c: the message list of a folder, a search or a limit. */
void ui_index_new(struct ui *ui);
void ui_index_free(struct ui *ui);
/* Shows account's folder (NULL: the account's first folder). */
void ui_index_open_folder(struct ui *ui, size_t account, const char *folder);
/* The store changed: reload, keeping the cursor on its message. */
void ui_index_refresh(struct ui *ui);
void ui_index_draw(struct ui *ui);
/* The row under the cursor, or NULL. */
const struct ui_row *ui_index_current(struct ui *ui);
/* The query of the shown list (with its limit), or NULL. */
const char *ui_index_query(const struct ui *ui);
/* The loaded row of message id, or NULL (id may be NULL). */
const struct ui_row *ui_index_find(struct ui *ui, const char *id);
/* Moves the cursor by delta rows; false at an end. */
bool ui_index_move(struct ui *ui, long delta);
/* For the status line: "local/INBOX", counts, the limit. */
void ui_index_describe(struct ui *ui, char *buf, size_t size);
/* The account of the shown list (or -1), and its folder (NULL for a
 * search). */
long ui_index_account(const struct ui *ui);
const char *ui_index_folder(const struct ui *ui);
/* A mouse click on line row of the list: the cursor goes there; open
 * opens the message too. */
void ui_index_click(struct ui *ui, int row, bool open);
void ui_index_threads(struct ui *ui, int count, const char *arg);
void ui_index_thread_toggle(struct ui *ui, int count, const char *arg);
void ui_index_next(struct ui *ui, int count, const char *arg);
void ui_index_prev(struct ui *ui, int count, const char *arg);
void ui_index_page_down(struct ui *ui, int count, const char *arg);
void ui_index_page_up(struct ui *ui, int count, const char *arg);
void ui_index_first(struct ui *ui, int count, const char *arg);
void ui_index_last(struct ui *ui, int count, const char *arg);
void ui_index_open(struct ui *ui, int count, const char *arg);
void ui_index_next_unread(struct ui *ui, int count, const char *arg);
void ui_index_limit(struct ui *ui, int count, const char *arg);
void ui_index_search(struct ui *ui, int count, const char *arg);
void ui_index_search_next(struct ui *ui, int count, const char *arg);
void ui_index_search_prev(struct ui *ui, int count, const char *arg);
void ui_index_search_all(struct ui *ui, int count, const char *arg);
void ui_index_search_server(struct ui *ui, int count, const char *arg);
/* An engine event: true if it was for the index's server search. */
bool ui_index_event(struct ui *ui, const struct engine_event *ev);

/* pager.c: one message, rendered. */
void ui_pager_new(struct ui *ui);
void ui_pager_free(struct ui *ui);
/* Opens the index's current message. */
void ui_pager_open(struct ui *ui);
/* An engine command finished (DONE): a body fetch of ours? */
void ui_pager_engine_done(struct ui *ui, unsigned long cmd, bool ok, const char *why);
/* The store changed: reload the message if its body arrived. */
void ui_pager_refresh(struct ui *ui);
/* True while the pager waits for a body; ui_pager_tick updates what it
 * says (bytes received); ui_pager_cancel stops it (false: nothing to stop). */
bool ui_pager_fetching(const struct ui *ui);
void ui_pager_tick(struct ui *ui);
bool ui_pager_cancel(struct ui *ui);
/* True if cmd is a body fetch the user cancelled (its errors are expected). */
bool ui_pager_cancelled(const struct ui *ui, unsigned long cmd);
void ui_pager_draw(struct ui *ui);
/* The id of the message shown (NULL if none) and its account (-1 if
 * unknown) in *account unless account is NULL. */
const char *ui_pager_id(const struct ui *ui, long *account);
/* The parsed message shown (for the attachment list), or NULL. */
struct mime_message *ui_pager_message(struct ui *ui);
void ui_pager_describe(struct ui *ui, char *buf, size_t size);
void ui_pager_quit(struct ui *ui, int count, const char *arg);
void ui_pager_down(struct ui *ui, int count, const char *arg);
void ui_pager_up(struct ui *ui, int count, const char *arg);
void ui_pager_page_down(struct ui *ui, int count, const char *arg);
void ui_pager_page_up(struct ui *ui, int count, const char *arg);
void ui_pager_top(struct ui *ui, int count, const char *arg);
void ui_pager_bottom(struct ui *ui, int count, const char *arg);
void ui_pager_next(struct ui *ui, int count, const char *arg);
void ui_pager_prev(struct ui *ui, int count, const char *arg);
void ui_pager_next_unread(struct ui *ui, int count, const char *arg);
void ui_pager_headers(struct ui *ui, int count, const char *arg);
void ui_pager_skip_quoted(struct ui *ui, int count, const char *arg);
/* Shows the message's source (sanitized), or the rendered message again. */
void ui_pager_raw_toggle(struct ui *ui, int count, const char *arg);
/* The file of the message shown, as it is (NOT sanitized: for pipes
 * only); malloc'd, or NULL with *cause. */
char *ui_pager_raw(struct ui *ui, size_t *len, char **cause);
/* What the pager shows (sanitized), or NULL; valid until it changes. */
const char *ui_pager_text(const struct ui *ui);

/* attach.c: the attachment list of the pager's message. */
void ui_attach_new(struct ui *ui);
void ui_attach_free(struct ui *ui);
void ui_attach_draw(struct ui *ui);
void ui_attach_open(struct ui *ui, int count, const char *arg);
void ui_attach_quit(struct ui *ui, int count, const char *arg);
void ui_attach_next(struct ui *ui, int count, const char *arg);
void ui_attach_prev(struct ui *ui, int count, const char *arg);
void ui_attach_save(struct ui *ui, int count, const char *arg);
void ui_attach_pipe(struct ui *ui, int count, const char *arg);

/* pipe.c: the message or a part into a command the user types ("|"). */
void ui_pipe_message(struct ui *ui, int count, const char *arg);
/* Pipes leaf part index (decoded) of the pager's message. */
void ui_pipe_part(struct ui *ui, int index, const char *arg);

/* help.c: every action with its keys and help, from the action table. */
void ui_help_new(struct ui *ui);
void ui_help_free(struct ui *ui);
void ui_help_draw(struct ui *ui);
void ui_help_open(struct ui *ui, int count, const char *arg);
void ui_help_quit(struct ui *ui, int count, const char *arg);
void ui_help_down(struct ui *ui, int count, const char *arg);
void ui_help_up(struct ui *ui, int count, const char *arg);
void ui_help_page_down(struct ui *ui, int count, const char *arg);
void ui_help_page_up(struct ui *ui, int count, const char *arg);

/* change.c: write actions, through the engine (ENGINE_CMD_CHANGE). */
void ui_change_free_all(struct ui *ui);
/* A row's flags with the pending changes and the tag drawn over them. */
unsigned ui_change_flags(const struct ui *ui, const struct ui_row *r);
/* The rows reloaded from the store: finished changes stop being drawn over
 * them. */
void ui_change_reloaded(struct ui *ui);
/* True while a change is not yet safe in the store (quit waits). */
bool ui_change_pending(const struct ui *ui);
/* An engine event: true if it was a change's and is handled. */
bool ui_change_event(struct ui *ui, const struct engine_event *ev);
/* Marks row r (of account) read, if it is unread: the pager opened it. */
void ui_change_mark_read(struct ui *ui, size_t account, const struct ui_row *r);
void ui_change_toggle_read(struct ui *ui, int count, const char *arg);
void ui_change_toggle_flag(struct ui *ui, int count, const char *arg);
void ui_change_delete(struct ui *ui, int count, const char *arg);
void ui_change_undelete(struct ui *ui, int count, const char *arg);
void ui_change_move(struct ui *ui, int count, const char *arg);
void ui_change_copy(struct ui *ui, int count, const char *arg);
void ui_change_tag(struct ui *ui, int count, const char *arg);
void ui_change_untag_all(struct ui *ui, int count, const char *arg);
void ui_change_tag_prefix(struct ui *ui, int count, const char *arg);
void ui_change_tag_pattern(struct ui *ui, int count, const char *arg);

/* urls.c: the links of the pager's message; copy (OSC 52) or open. */
void ui_urls_new(struct ui *ui);
void ui_urls_free(struct ui *ui);
void ui_urls_draw(struct ui *ui);
/* Adds the http, https and mailto links of text (sanitized) to u. */
void ui_urls_extract(struct ui_urls *u, const char *text);
/* True if url may be copied or opened: an http, https or mailto URL of
 * printable ASCII URL characters, at most 2048 bytes. */
bool ui_urls_valid(const char *url);
/* The OSC 52 sequence that puts url (valid) on the clipboard; malloc'd. */
char *ui_urls_osc52(const char *url);
void ui_urls_open(struct ui *ui, int count, const char *arg);
void ui_urls_quit(struct ui *ui, int count, const char *arg);
void ui_urls_next(struct ui *ui, int count, const char *arg);
void ui_urls_prev(struct ui *ui, int count, const char *arg);
void ui_urls_copy(struct ui *ui, int count, const char *arg);
void ui_urls_launch(struct ui *ui, int count, const char *arg);

/* compose.c: new, reply, reply-all, forward through $EDITOR, and the
 * review screen (send into the queue, postpone, cancel). */
void ui_compose_new(struct ui *ui);
/* Frees; a draft still open is kept on disk and its name printed. */
void ui_compose_free(struct ui *ui);
/* True while a postpone is not yet filed (quit waits for it). */
bool ui_compose_busy(const struct ui *ui);
/* True while a draft is in the review screen. */
bool ui_compose_open(const struct ui *ui);
/* An engine event: true if it was for a send or postpone of ours. */
bool ui_compose_event(struct ui *ui, const struct engine_event *ev);
void ui_compose_draw(struct ui *ui);
void ui_compose_describe(struct ui *ui, char *buf, size_t size);
void ui_compose_mail(struct ui *ui, int count, const char *arg);
void ui_compose_reply(struct ui *ui, int count, const char *arg);
void ui_compose_resume(struct ui *ui, int count, const char *arg);
void ui_compose_reply_all(struct ui *ui, int count, const char *arg);
void ui_compose_forward(struct ui *ui, int count, const char *arg);
void ui_compose_send(struct ui *ui, int count, const char *arg);
void ui_compose_edit(struct ui *ui, int count, const char *arg);
void ui_compose_postpone(struct ui *ui, int count, const char *arg);
void ui_compose_cancel(struct ui *ui, int count, const char *arg);
void ui_compose_attach(struct ui *ui, int count, const char *arg);
void ui_compose_detach(struct ui *ui, int count, const char *arg);
void ui_compose_next(struct ui *ui, int count, const char *arg);
void ui_compose_prev(struct ui *ui, int count, const char *arg);
void ui_compose_to(struct ui *ui, int count, const char *arg);
void ui_compose_cc(struct ui *ui, int count, const char *arg);
void ui_compose_bcc(struct ui *ui, int count, const char *arg);
void ui_compose_subject(struct ui *ui, int count, const char *arg);

/* queue.c: the outgoing messages of every account. */
void ui_queue_new(struct ui *ui);
void ui_queue_free(struct ui *ui);
/* Something was queued, sent or cancelled: count and list again. */
void ui_queue_changed(struct ui *ui);
/* How many messages wait in the queues (for the status line). */
unsigned ui_queue_count(struct ui *ui);
bool ui_queue_event(struct ui *ui, const struct engine_event *ev);
void ui_queue_draw(struct ui *ui);
void ui_queue_describe(struct ui *ui, char *buf, size_t size);
void ui_queue_open(struct ui *ui, int count, const char *arg);
void ui_queue_quit(struct ui *ui, int count, const char *arg);
void ui_queue_next(struct ui *ui, int count, const char *arg);
void ui_queue_prev(struct ui *ui, int count, const char *arg);
void ui_queue_retry(struct ui *ui, int count, const char *arg);
void ui_queue_cancel(struct ui *ui, int count, const char *arg);

/* status.c: the status line and the message line. */
void ui_status_draw(struct ui *ui);

/* cmdline.c: ":" and every prompt on the message line. */
typedef void ui_prompt_fn(struct ui *ui, const char *text, void *arg);
typedef void ui_complete_fn(struct ui *ui, const char *word, size_t wordno,
			    void (*add)(void *list, const char *candidate), void *list);
void ui_cmdline_new(struct ui *ui);
void ui_cmdline_free(struct ui *ui);
bool ui_cmdline_active(const struct ui *ui);
/* Asks for a line: done(ui, text, arg) on Enter (not on cancel); arg is
 * freed with free() afterwards if owned.  complete may be NULL. */
void ui_cmdline_prompt(struct ui *ui, const char *prompt, const char *initial,
		       ui_complete_fn *complete, ui_prompt_fn *done, void *arg, bool owned);
/* Asks a yes/no question; done gets "y" for yes only. */
void ui_cmdline_confirm(struct ui *ui, const char *question, ui_prompt_fn *done, void *arg,
			bool owned);
/* Feeds one key to the active prompt. */
void ui_cmdline_key(struct ui *ui, int key);
void ui_cmdline_draw(struct ui *ui);
/* ":" — run an action by name, with tab completion. */
void ui_cmdline_command(struct ui *ui, int count, const char *arg);
/* Runs "name [arg]" as typed on the command line. */
void ui_cmdline_run(struct ui *ui, const char *line);

#endif
