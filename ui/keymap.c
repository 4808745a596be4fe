/*
 * Keymaps are data: keymaps/NAME.keys files bind key sequences to action names,
 * one binding a line:
 *
 *     CONTEXT KEY... ACTION        # e.g.  index g g index.first
 *
 * CONTEXT is global, index, pager, folders, attach or help; each KEY is a
 * character ("j", "$"), a name (Enter, Tab, Esc, Space, Backspace, Up, Down,
 * Left, Right, PageUp, PageDown, Home, End, Delete, Insert, BackTab, F1-F12),
 * C-x (control) or M-x (Alt/Esc x); ACTION is a name from the action table
 * or "none" to remove a binding.  Lines starting with # are comments.
 * Later lines win, so a user file loaded after the shipped one overrides
 * it.  A bad line is recorded with its file and line number and skipped;
 * the rest still loads.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mime/mime.h"
#include "ui/private.h"

static const char *const keymap_ctx_names[UI_CTX__COUNT] = {
	[UI_CTX_GLOBAL] = "global",
	[UI_CTX_INDEX] = "index",
	[UI_CTX_PAGER] = "pager",
	[UI_CTX_FOLDERS] = "folders",
	[UI_CTX_ATTACH] = "attach",
	[UI_CTX_HELP] = "help",
	[UI_CTX_URLS] = "urls",
	[UI_CTX_COMPOSE] = "compose",
	[UI_CTX_QUEUE] = "queue",
};

static const struct keymap_name {
	const char *name;
	int key;
} keymap_names[] = {
	{ "Enter", UI_KEY_ENTER },
	{ "Tab", UI_KEY_TAB },
	{ "Esc", UI_KEY_ESC },
	{ "Space", ' ' },
	{ "Backspace", UI_KEY_BACKSPACE },
	{ "Up", UI_KEY_FN | KEY_UP },
	{ "Down", UI_KEY_FN | KEY_DOWN },
	{ "Left", UI_KEY_FN | KEY_LEFT },
	{ "Right", UI_KEY_FN | KEY_RIGHT },
	{ "PageUp", UI_KEY_FN | KEY_PPAGE },
	{ "PageDown", UI_KEY_FN | KEY_NPAGE },
	{ "Home", UI_KEY_FN | KEY_HOME },
	{ "End", UI_KEY_FN | KEY_END },
	{ "Delete", UI_KEY_FN | KEY_DC },
	{ "Insert", UI_KEY_FN | KEY_IC },
	{ "BackTab", UI_KEY_FN | KEY_BTAB },
};

const char *ui_ctx_name(enum ui_ctx ctx)
{
	return keymap_ctx_names[ctx];
}

const char *ui_key_name(int key, char *buf, size_t size)
{
	char inner[24];
	int base = key & ~UI_KEY_META;

	if (key & UI_KEY_META) {
		snprintf(buf, size, "M-%s", ui_key_name(base, inner, sizeof(inner)));
		return buf;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keymap_names); i++)
		if (keymap_names[i].key == key) {
			snprintf(buf, size, "%s", keymap_names[i].name);
			return buf;
		}
	if (key & UI_KEY_FN) {
		int fn = key & ~UI_KEY_FN;
		if (fn >= KEY_F(1) && fn <= KEY_F(12))
			snprintf(buf, size, "F%d", fn - KEY_F0);
		else
			snprintf(buf, size, "key%d", fn);
		return buf;
	}
	if (key == 0) {
		snprintf(buf, size, "C-Space");
	} else if (key < 32) {
		snprintf(buf, size, "C-%c", key + 'a' - 1 <= 'z' ? key + 'a' - 1 : key + '@');
	} else if (key == 127) {
		snprintf(buf, size, "Backspace");
	} else {
		struct strbuf u = STRBUF_INIT;

		/* UTF-8 whatever the locale is */
		strbuf_add_utf8(&u, (uint32_t)key);
		snprintf(buf, size, "%s", strbuf_str(&u));
		strbuf_release(&u);
	}
	return buf;
}

int ui_key_parse(const char *name)
{
	wchar_t wc;
	size_t len = strlen(name), n;
	int k;

	if (len == 0)
		return -1;
	if (strncmp(name, "M-", 2) == 0 && len > 2) {
		k = ui_key_parse(name + 2);
		return k < 0 || (k & UI_KEY_META) ? -1 : k | UI_KEY_META;
	}
	if (strncmp(name, "C-", 2) == 0 && len > 2) {
		const char *c = name + 2;
		if (strcmp(c, "Space") == 0 || strcmp(c, "@") == 0)
			return 0;
		if (c[1] != '\0')
			return -1;
		if (*c >= 'a' && *c <= 'z')
			k = *c - 'a' + 1;
		else if (*c >= '[' && *c <= '_')
			k = *c - '@';
		else
			return -1;
		/* C-m is Enter, C-h Backspace: what terminals send */
		return k == 13 ? UI_KEY_ENTER : k == 8 ? UI_KEY_BACKSPACE : k;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keymap_names); i++)
		if (strcmp(keymap_names[i].name, name) == 0)
			return keymap_names[i].key;
	if (name[0] == 'F' && len > 1 && len <= 3) {
		unsigned long f;
		if (util_parse_ulong(name + 1, 12, &f) && f >= 1)
			return UI_KEY_FN | KEY_F((int)f);
	}
	n = ui_utf8_next(name, len, &wc);
	if (n != len || wc == 0xFFFD || wc <= ' ' || wc == 0x7f)
		return -1;
	return (int)wc;
}

static void keymap_problem(struct ui_keymap *km, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void keymap_problem(struct ui_keymap *km, const char *fmt, ...)
{
	va_list ap;
	char *raw, *safe;

	va_start(ap, fmt);
	raw = xvasprintf(fmt, ap);
	va_end(ap);
	safe = sanitize_line(raw);
	free(raw);
	km->problems = xrealloc(km->problems, (km->n_problems + 1) * sizeof(char *));
	km->problems[km->n_problems++] = safe;
}

static void keymap_bind(struct ui_keymap *km, const struct ui_binding *b)
{
	for (size_t i = 0; i < km->n; i++) {
		struct ui_binding *o = &km->v[i];
		if (o->ctx == b->ctx && o->n == b->n &&
		    memcmp(o->keys, b->keys, sizeof(int) * (size_t)b->n) == 0) {
			o->action = b->action;
			return;
		}
	}
	if (km->n == km->cap) {
		km->cap = km->cap ? km->cap * 2 : 64;
		km->v = xrealloc(km->v, km->cap * sizeof(*km->v));
	}
	km->v[km->n++] = *b;
}

/* Parses one line (already without comment); 0 ok, -1 with a problem. */
static void keymap_line(struct ui_keymap *km, const char *path, int lineno, char *line)
{
	char *words[UI_KEYSEQ_MAX + 2], *save = NULL, *w;
	int n = 0;
	struct ui_binding b = { 0 };
	const char *name;

	for (w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == (int)ARRAY_SIZE(words)) {
			keymap_problem(km, "%s:%d: more than %d keys in a sequence; line skipped",
				       path, lineno, UI_KEYSEQ_MAX);
			return;
		}
		words[n++] = w;
	}
	if (n == 0)
		return;
	if (n < 3) {
		keymap_problem(km, "%s:%d: expected CONTEXT KEY... ACTION; line skipped", path,
			       lineno);
		return;
	}
	for (b.ctx = 0; b.ctx < UI_CTX__COUNT; b.ctx++)
		if (strcmp(keymap_ctx_names[b.ctx], words[0]) == 0)
			break;
	if (b.ctx == UI_CTX__COUNT) {
		keymap_problem(km, "%s:%d: unknown context '%s' (global, index, pager, folders, "
			       "attach, help); line skipped", path, lineno, words[0]);
		return;
	}
	name = words[n - 1];
	if (strcmp(name, "none") != 0 && !(b.action = ui_action_find(name))) {
		keymap_problem(km, "%s:%d: unknown action '%s'; line skipped", path, lineno, name);
		return;
	}
	if (b.action && b.action->ctx != UI_CTX_GLOBAL && b.action->ctx != b.ctx &&
	    b.ctx != UI_CTX_GLOBAL) {
		keymap_problem(km, "%s:%d: %s works in the %s view, not in %s; line skipped", path,
			       lineno, name, keymap_ctx_names[b.action->ctx], words[0]);
		return;
	}
	for (int i = 1; i < n - 1; i++) {
		int k = ui_key_parse(words[i]);
		if (k < 0) {
			keymap_problem(km, "%s:%d: unknown key '%s'; line skipped", path, lineno,
				       words[i]);
			return;
		}
		b.keys[b.n++] = k;
	}
	keymap_bind(km, &b);
}

bool ui_keymap_load(struct ui_keymap *km, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0;

	if (!f) {
		keymap_problem(km, "%s: %s", path, strerror(errno));
		return false;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *p = line;
		lineno++;
		p += strspn(p, " \t");
		if (*p == '#')   /* comments take whole lines: "#" may be a key */
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		keymap_line(km, path, lineno, line);
	}
	free(line);
	fclose(f);
	return true;
}

void ui_keymap_release(struct ui_keymap *km)
{
	for (size_t i = 0; i < km->n_problems; i++)
		free(km->problems[i]);
	free(km->problems);
	free(km->v);
	memset(km, 0, sizeof(*km));
}

/* Matches in one context only. */
static enum ui_keymap_match keymap_lookup_ctx(const struct ui_keymap *km, enum ui_ctx ctx,
					      const int *keys, int n,
					      const struct ui_action **action)
{
	bool exact = false, prefix = false;

	for (size_t i = 0; i < km->n; i++) {
		const struct ui_binding *b = &km->v[i];
		if (b->ctx != ctx || b->n < n || !b->action ||
		    memcmp(b->keys, keys, sizeof(int) * (size_t)n) != 0)
			continue;
		if (b->n == n) {
			exact = true;
			*action = b->action;
		} else {
			prefix = true;
		}
	}
	if (exact && prefix)
		return UI_KEYMAP_BOTH;
	return exact ? UI_KEYMAP_EXACT : prefix ? UI_KEYMAP_PREFIX : UI_KEYMAP_NONE;
}

/* Whether ctx unbinds exactly this sequence ("none"), hiding the global one. */
static bool keymap_unbound(const struct ui_keymap *km, enum ui_ctx ctx, const int *keys, int n)
{
	for (size_t i = 0; i < km->n; i++) {
		const struct ui_binding *b = &km->v[i];
		if (b->ctx == ctx && b->n == n && !b->action &&
		    memcmp(b->keys, keys, sizeof(int) * (size_t)n) == 0)
			return true;
	}
	return false;
}

enum ui_keymap_match ui_keymap_lookup(const struct ui_keymap *km, enum ui_ctx ctx,
				      const int *keys, int n, const struct ui_action **action)
{
	enum ui_keymap_match m = keymap_lookup_ctx(km, ctx, keys, n, action), g;
	const struct ui_action *ga = NULL;

	if (ctx == UI_CTX_GLOBAL || m == UI_KEYMAP_EXACT || m == UI_KEYMAP_BOTH ||
	    keymap_unbound(km, ctx, keys, n))
		return m;
	g = keymap_lookup_ctx(km, UI_CTX_GLOBAL, keys, n, &ga);
	if (g == UI_KEYMAP_EXACT || g == UI_KEYMAP_BOTH)
		*action = ga;
	if (m == UI_KEYMAP_PREFIX)
		return g == UI_KEYMAP_EXACT || g == UI_KEYMAP_BOTH ? UI_KEYMAP_BOTH : m;
	return g;
}

void ui_keymap_describe(const struct ui_keymap *km, const struct ui_action *action,
			char *buf, size_t size)
{
	size_t len = strlen(buf);

	for (size_t i = 0; i < km->n && len + 1 < size; i++) {
		const struct ui_binding *b = &km->v[i];
		char name[32];

		if (b->action != action)
			continue;
		if (len)
			len += (size_t)snprintf(buf + len, size - len, ", ");
		for (int k = 0; k < b->n && len + 1 < size; k++)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", k ? " " : "",
						ui_key_name(b->keys[k], name, sizeof(name)));
		if (len >= size)
			len = size - 1;
	}
}
