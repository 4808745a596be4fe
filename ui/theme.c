/*
 * Themes are data: themes/NAME.theme sets each screen element's colours and
 * attributes, one element a line:
 *
 *     ELEMENT FOREGROUND BACKGROUND [ATTRIBUTE...]
 *
 * A colour is default, black, red, green, yellow, blue, magenta, cyan,
 * white, brightblack ... brightwhite, or colorN (0-255); "A,B" uses A on a
 * terminal with 256 colours and B (the 16-colour fallback) on others.
 * Attributes: bold, dim, underline, reverse, standout, italic, normal.
 * Without colours (NO_COLOR set, a monochrome terminal, themes/mono.theme)
 * only the attributes count.  Every element has a built-in fallback, so a
 * theme may set only some.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/util.h"
#include "mime/mime.h"
#include "ui/private.h"

static const char *const theme_names[UI_EL__COUNT] = {
	[UI_EL_NORMAL] = "normal",
	[UI_EL_STATUS] = "status",
	[UI_EL_MESSAGE] = "message",
	[UI_EL_ERROR] = "error",
	[UI_EL_PROMPT] = "prompt",
	[UI_EL_CURSOR] = "cursor",
	[UI_EL_SEPARATOR] = "separator",
	[UI_EL_SIDEBAR] = "sidebar",
	[UI_EL_SIDEBAR_ACCOUNT] = "sidebar.account",
	[UI_EL_SIDEBAR_CURRENT] = "sidebar.current",
	[UI_EL_SIDEBAR_UNREAD] = "sidebar.unread",
	[UI_EL_INDEX_UNREAD] = "index.unread",
	[UI_EL_INDEX_FLAGGED] = "index.flagged",
	[UI_EL_INDEX_REMOTE] = "index.remote",
	[UI_EL_PAGER_HEADER] = "pager.header",
	[UI_EL_PAGER_QUOTE1] = "pager.quote1",
	[UI_EL_PAGER_QUOTE2] = "pager.quote2",
	[UI_EL_PAGER_SIGNATURE] = "pager.signature",
	[UI_EL_PAGER_NOTE] = "pager.note",
	[UI_EL_HELP_KEY] = "help.key",
	[UI_EL_HELP_SECTION] = "help.section",
};

/* Built in: attributes only, what a monochrome terminal shows. */
static attr_t theme_attrs[UI_EL__COUNT] = {
	[UI_EL_STATUS] = A_REVERSE,
	[UI_EL_ERROR] = A_BOLD,
	[UI_EL_PROMPT] = A_BOLD,
	[UI_EL_CURSOR] = A_REVERSE,
	[UI_EL_SIDEBAR_ACCOUNT] = A_BOLD,
	[UI_EL_SIDEBAR_CURRENT] = A_REVERSE,
	[UI_EL_SIDEBAR_UNREAD] = A_BOLD,
	[UI_EL_INDEX_UNREAD] = A_BOLD,
	[UI_EL_INDEX_FLAGGED] = A_BOLD,
	[UI_EL_PAGER_HEADER] = A_BOLD,
	[UI_EL_PAGER_SIGNATURE] = A_DIM,
	[UI_EL_PAGER_NOTE] = A_BOLD,
	[UI_EL_HELP_KEY] = A_BOLD,
	[UI_EL_HELP_SECTION] = A_BOLD | A_UNDERLINE,
};

attr_t ui_theme_attr(enum ui_el el)
{
	return theme_attrs[el];
}

int ui_theme_element(const char *name)
{
	for (int i = 0; i < UI_EL__COUNT; i++)
		if (strcmp(theme_names[i], name) == 0)
			return i;
	return -1;
}

static void theme_problem(char ***problems, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void theme_problem(char ***problems, size_t *n, const char *fmt, ...)
{
	va_list ap;
	char *raw;

	va_start(ap, fmt);
	raw = xvasprintf(fmt, ap);
	va_end(ap);
	*problems = xrealloc(*problems, (*n + 1) * sizeof(char *));
	(*problems)[(*n)++] = sanitize_line(raw);
	free(raw);
}

/* One colour name: -1 default, 0-255; -2 if not a colour. */
static int theme_color1(const char *s)
{
	static const char *const base[] = { "black", "red", "green", "yellow", "blue",
					    "magenta", "cyan", "white" };
	unsigned long n;

	if (strcasecmp(s, "default") == 0)
		return -1;
	for (int i = 0; i < 8; i++) {
		if (strcasecmp(s, base[i]) == 0)
			return i;
		if (strncasecmp(s, "bright", 6) == 0 && strcasecmp(s + 6, base[i]) == 0)
			return i + 8;
	}
	if (strncasecmp(s, "color", 5) == 0 && util_parse_ulong(s + 5, 255, &n))
		return (int)n;
	return -2;
}

/* "A" or "A,B": the colour to use on this terminal, or -2 if bad.  *bold is
 * set when a bright colour had to become bold on an 8-colour terminal. */
static int theme_color(const char *spec, bool *bold)
{
	char *comma = strchr(spec, ','), *first = xstrndup(spec, comma ? (size_t)(comma - spec)
									  : strlen(spec));
	int a = theme_color1(first), b = comma ? theme_color1(comma + 1) : a, c;

	free(first);
	if (a == -2 || b == -2)
		return -2;
	c = COLORS >= 256 ? a : b;
	if (c >= COLORS && c >= 8 && c < 16) {
		*bold = true;
		c -= 8;
	}
	if (c >= COLORS)
		c = -1;
	return c;
}

static bool theme_attr_word(const char *w, attr_t *a)
{
	static const struct { const char *name; attr_t attr; } words[] = {
		{ "bold", A_BOLD }, { "dim", A_DIM }, { "underline", A_UNDERLINE },
		{ "reverse", A_REVERSE }, { "standout", A_STANDOUT }, { "italic", A_ITALIC },
		{ "normal", A_NORMAL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcasecmp(w, words[i].name) == 0) {
			*a |= words[i].attr;
			return true;
		}
	return false;
}

static void theme_line(const char *path, int lineno, char *line, bool color, short *pair,
		       char ***problems, size_t *n_problems)
{
	char *w[8], *save = NULL, *t;
	int n = 0, el, fg, bg;
	bool bold = false;
	attr_t a = A_NORMAL;

	for (t = strtok_r(line, " \t", &save); t && n < (int)ARRAY_SIZE(w);
	     t = strtok_r(NULL, " \t", &save))
		w[n++] = t;
	if (n == 0)
		return;
	if (n < 3) {
		theme_problem(problems, n_problems, "%s:%d: expected ELEMENT FOREGROUND "
			      "BACKGROUND [ATTRIBUTES]; line skipped", path, lineno);
		return;
	}
	if ((el = ui_theme_element(w[0])) < 0) {
		theme_problem(problems, n_problems, "%s:%d: unknown element '%s'; line skipped",
			      path, lineno, w[0]);
		return;
	}
	if ((fg = theme_color(w[1], &bold)) == -2 || (bg = theme_color(w[2], &bold)) == -2) {
		theme_problem(problems, n_problems, "%s:%d: unknown colour; line skipped", path,
			      lineno);
		return;
	}
	for (int i = 3; i < n; i++)
		if (!theme_attr_word(w[i], &a)) {
			theme_problem(problems, n_problems, "%s:%d: unknown attribute '%s'; line "
				      "skipped", path, lineno, w[i]);
			return;
		}
	if (!color && (strcasecmp(w[1], "default") != 0 || strcasecmp(w[2], "default") != 0))
		a |= theme_attrs[el];   /* what the colours stood for: the built-in look */
	if (color && (fg != -1 || bg != -1) && *pair < COLOR_PAIRS - 1) {
		++*pair;
		init_pair(*pair, (short)fg, (short)bg);
		a |= COLOR_PAIR(*pair);
		if (bold)
			a |= A_BOLD;
	}
	theme_attrs[el] = a;
}

/* Finds theme name: a path if it has a '/', else NAME.theme in the user's
 * folder, then in the shared one.  Malloc'd, or NULL. */
static char *theme_find(const char *name)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *p;

	if (strchr(name, '/'))
		return config_expand_path(name);
	if (xdg && *xdg)
		p = xasprintf("%s/petrel/themes/%s.theme", xdg, name);
	else
		p = xasprintf("%s/.config/petrel/themes/%s.theme", home ? home : ".", name);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	p = xasprintf("%s/themes/%s.theme", ui_app_share_dir(), name);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

void ui_theme_load(const char *name, bool color, char ***problems, size_t *n_problems)
{
	char *path = theme_find(name), *line = NULL;
	size_t cap = 0;
	int lineno = 0;
	short pair = 0;
	FILE *f;

	if (color) {
		start_color();
		use_default_colors();
	}
	if (!path || !(f = fopen(path, "r"))) {
		theme_problem(problems, n_problems, "theme '%s': %s", name,
			      path ? strerror(errno) : "no such theme (looked in "
			      "~/.config/petrel/themes and the shared themes folder)");
		free(path);
		return;
	}
	while (getline(&line, &cap, f) >= 0) {
		char *p = line + strspn(line, " \t");
		lineno++;
		if (*p == '#')
			continue;
		p[strcspn(p, "\r\n")] = '\0';
		theme_line(path, lineno, p, color, &pair, problems, n_problems);
	}
	free(line);
	fclose(f);
	free(path);
}
