/*
 * The URL list of the message in the pager: the http, https and mailto links
 * of the text as shown (already sanitized), one a line.  Enter copies the
 * link to the terminal's clipboard with OSC 52, which reaches the user's own
 * terminal through SSH and tmux; o opens it with url-command, run without a
 * shell and only on this request.
 *
 * A link is kept only if every byte is printable ASCII from the URL
 * character set (RFC 3986) and it is at most URLS_MAX long: then nothing in
 * it can end the OSC sequence early or reach the terminal as a control, and
 * the argument url-command gets is exactly what the list shows.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "mime/mime.h"
#include "net/net.h"
#include "ui/private.h"

#define URLS_MAX 2048
#define URLS_MAX_COUNT 500

struct ui_urls {
	char **v;
	size_t n;
	size_t cursor, top;
};

void ui_urls_new(struct ui *ui)
{
	ui->urls = xcalloc(1, sizeof(*ui->urls));
}

static void urls_clear(struct ui_urls *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->v[i]);
	FREE_NULL(u->v);
	u->n = u->cursor = u->top = 0;
}

void ui_urls_free(struct ui *ui)
{
	if (!ui->urls)
		return;
	urls_clear(ui->urls);
	FREE_NULL(ui->urls);
}

/* RFC 3986 unreserved, reserved and '%'. */
static bool urls_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~:/?#[]@!$&'()*+,;=%", c));
}

bool ui_urls_valid(const char *url)
{
	size_t len = strlen(url);

	if (len == 0 || len > URLS_MAX)
		return false;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "mailto:", 7) != 0)
		return false;
	for (const char *p = url; *p; p++)
		if (!urls_char((unsigned char)*p))
			return false;
	return true;
}

static void urls_add(struct ui_urls *u, const char *s, size_t len)
{
	char *url;

	/* punctuation that ends a sentence is not part of the link; a ')'
	 * only when the link has no '(' to match it */
	while (len && strchr(".,;:!?'", s[len - 1]))
		len--;
	for (;;) {
		size_t open = 0, close = 0;
		for (size_t i = 0; i < len; i++) {
			open += s[i] == '(';
			close += s[i] == ')';
		}
		if (!len || s[len - 1] != ')' || close <= open)
			break;
		len--;
	}
	if (len <= 8 || len > URLS_MAX || u->n >= URLS_MAX_COUNT)
		return;
	url = xstrndup(s, len);
	if (!ui_urls_valid(url) || strcmp(url, "http://") == 0 || strcmp(url, "https://") == 0) {
		free(url);
		return;
	}
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->v[i], url) == 0) {
			free(url);
			return;
		}
	u->v = xrealloc(u->v, (u->n + 1) * sizeof(*u->v));
	u->v[u->n++] = url;
}

void ui_urls_extract(struct ui_urls *u, const char *text)
{
	static const char *const schemes[] = { "http://", "https://", "mailto:" };

	for (const char *p = text; *p; p++) {
		size_t k, len;

		/* a scheme starts a link only at the start of a word */
		if (p != text && urls_char((unsigned char)p[-1]) && p[-1] != '(' && p[-1] != '<' &&
		    p[-1] != '[' && p[-1] != ',' && p[-1] != ';' && p[-1] != ':')
			continue;
		for (k = 0; k < ARRAY_SIZE(schemes); k++)
			if (strncasecmp(p, schemes[k], strlen(schemes[k])) == 0)
				break;
		if (k == ARRAY_SIZE(schemes))
			continue;
		len = 0;
		while (p[len] && urls_char((unsigned char)p[len]) && len <= URLS_MAX)
			len++;
		if (len > URLS_MAX) {   /* too long to be offered: skip all of it */
			while (p[1] && urls_char((unsigned char)p[1]))
				p++;
			continue;
		}
		{
			/* the scheme is matched case-blind but kept as written;
			 * ui_urls_valid wants it in lower case */
			char *low = xstrndup(p, len);
			for (char *c = low; *c && *c != ':'; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
			urls_add(u, low, len);
			free(low);
		}
		p += len - 1;
	}
}

void ui_urls_open(struct ui *ui, int count, const char *arg)
{
	struct ui_urls *u = ui->urls;
	const char *text = ui_pager_text(ui);

	urls_clear(u);
	if (text)
		ui_urls_extract(u, text);
	if (!u->n) {
		ui_message(ui, false, "no http, https or mailto link in this message");
		return;
	}
	ui_app_show(ui, UI_VIEW_URLS);
}

void ui_urls_quit(struct ui *ui, int count, const char *arg)
{
	ui_app_show(ui, UI_VIEW_PAGER);
}

void ui_urls_draw(struct ui *ui)
{
	struct ui_urls *u = ui->urls;
	size_t h = ui->main_h > 1 ? (size_t)ui->main_h - 1 : 0;

	ui_draw_str(ui->main_y, ui->main_x, ui->main_w,
		    "Links of this message (Enter copies, o opens, q goes back):",
		    ui_theme_attr(UI_EL_HELP_SECTION), true);
	if (u->cursor < u->top)
		u->top = u->cursor;
	if (h && u->cursor >= u->top + h)
		u->top = u->cursor - h + 1;
	for (size_t y = 0; y < h; y++) {
		size_t i = u->top + y;
		char num[16];
		attr_t at = i == u->cursor ? ui_theme_attr(UI_EL_CURSOR)
					   : ui_theme_attr(UI_EL_NORMAL);
		int nw;

		if (i >= u->n) {
			ui_draw_fill(ui->main_y + 1 + (int)y, ui->main_x, ui->main_w,
				     ui_theme_attr(UI_EL_NORMAL));
			continue;
		}
		nw = snprintf(num, sizeof(num), "%4zu ", i + 1);
		ui_draw_str(ui->main_y + 1 + (int)y, ui->main_x, nw, num, at, true);
		ui_draw_str(ui->main_y + 1 + (int)y, ui->main_x + nw, ui->main_w - nw, u->v[i], at,
			    true);
	}
}

void ui_urls_next(struct ui *ui, int count, const char *arg)
{
	struct ui_urls *u = ui->urls;
	size_t by = (size_t)(count ? count : 1);

	u->cursor = u->cursor + by < u->n ? u->cursor + by : (u->n ? u->n - 1 : 0);
	ui->dirty |= UI_DIRTY_MAIN;
}

void ui_urls_prev(struct ui *ui, int count, const char *arg)
{
	struct ui_urls *u = ui->urls;
	size_t by = (size_t)(count ? count : 1);

	u->cursor = u->cursor > by ? u->cursor - by : 0;
	ui->dirty |= UI_DIRTY_MAIN;
}

static const char *urls_current(struct ui *ui)
{
	struct ui_urls *u = ui->urls;

	/* checked again: the OSC sequence and the command line rely on it */
	return u->cursor < u->n && ui_urls_valid(u->v[u->cursor]) ? u->v[u->cursor] : NULL;
}

char *ui_urls_osc52(const char *url)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct strbuf sb = STRBUF_INIT;
	size_t len = strlen(url);

	strbuf_addstr(&sb, "\033]52;c;");
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned char)url[i] << 16;
		if (i + 1 < len)
			v |= (unsigned char)url[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)url[i + 2];
		strbuf_addch(&sb, b64[(v >> 18) & 63]);
		strbuf_addch(&sb, b64[(v >> 12) & 63]);
		strbuf_addch(&sb, i + 1 < len ? b64[(v >> 6) & 63] : '=');
		strbuf_addch(&sb, i + 2 < len ? b64[v & 63] : '=');
	}
	strbuf_addstr(&sb, "\a");
	return strbuf_detach(&sb);
}

void ui_urls_copy(struct ui *ui, int count, const char *arg)
{
	const char *url = urls_current(ui);
	char *seq;
	size_t len, off = 0;

	if (!url)
		return;
	seq = ui_urls_osc52(url);
	len = strlen(seq);
	/* straight to the terminal, beside curses: the sequence draws nothing */
	fflush(stdout);
	while (off < len) {
		ssize_t w = write(1, seq + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(seq);
	ui_message(ui, false, "copied %s to the clipboard (OSC 52: the terminal must allow it)",
		   url);
}

void ui_urls_launch(struct ui *ui, int count, const char *arg)
{
	const char *url = urls_current(ui);
	const char *cmd = config_global(ui->cfg, OPTION_URL_COMMAND);
	char **argv, **full, *cause = NULL, *safe;
	size_t n = 0;
	pid_t pid;
	int status = 0, ep[2], err = 0;

	if (!url)
		return;
	if (!cmd || !*cmd) {
		ui_message(ui, true, "no url-command is set (see petrel.conf(5)); Enter copies "
			   "the link instead");
		return;
	}
	if (!(argv = net_argv_split(cmd, &cause))) {
		safe = sanitize_line(cause);
		ui_message(ui, true, "url-command: %s", safe);
		free(safe);
		free(cause);
		return;
	}
	while (argv[n])
		n++;
	full = xcalloc(n + 2, sizeof(*full));
	memcpy(full, argv, n * sizeof(*full));
	full[n] = (char *)url;   /* one argument, never through a shell */
	/* twice forked, so the browser is nobody's child here and leaves no
	 * zombie; its output must not scribble over the screen */
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		setsid();
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		signal(SIGPIPE, SIG_DFL);
		/* the exec's errno comes back through a pipe closed on exec */
		if (pipe2(ep, O_CLOEXEC) < 0)
			_exit(errno);
		if (fork() == 0) {
			int e;
			execvp(full[0], full);
			e = errno;
			if (write(ep[1], &e, sizeof(e)) < 0)
				_exit(127);
			_exit(127);
		}
		close(ep[1]);
		_exit(read(ep[0], &err, sizeof(err)) == (ssize_t)sizeof(err) ? err : 0);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	safe = sanitize_line(full[0]);
	if (pid < 0)
		ui_message(ui, true, "cannot start %s: %s", safe, strerror(errno));
	else if (WIFEXITED(status) && WEXITSTATUS(status))
		ui_message(ui, true, "cannot run %s: %s", safe, strerror(WEXITSTATUS(status)));
	else
		ui_message(ui, false, "opened %s with %s", url, safe);
	free(safe);
	free(full);
	net_argv_free(&argv);
}
