/*
 * The guard: a libetpan stream layer on top of every IMAP connection (above
 * TLS and COMPRESS, so it sees the server's text) that shields libetpan's
 * parser from what it does not survive:
 *
 *  - A status response with a response code and no text after it
 *    ("A1 NO [ALERT]" CRLF) makes libetpan 1.9.4 strdup(NULL) and crash;
 *    any server, or anyone in the middle of a plain connection, could
 *    crash petrel with one line.  The guard adds a text to such a line.
 *  - libetpan reads a whole line into memory however long it is, and
 *    allocates a literal's announced size before a byte of it arrives; an
 *    endless line or "{4000000000}" makes petrel grow without bound.  The
 *    guard ends the connection instead, with a reason the user can read.
 *  - libetpan fails a whole command on an untagged response it does not
 *    know, where RFC 3501 7 says a client ignores it: the guard leaves
 *    such responses out (with their literals).
 *  - A NUL outside a literal cuts libetpan's strings short (its parser
 *    stops at it and may then see a status line without text); NUL is not
 *    allowed there (RFC 3501 9), so the guard makes it a space.
 *
 * It follows the response stream as the protocol frames it: lines, and
 * literals announced by {N} or {N+} at a line's end, whose bytes pass
 * untouched (message bodies are never altered).  A status response (OK,
 * NO, BAD, BYE, PREAUTH, or a "+" continuation) carries text, never a
 * literal: a {N} at its end is not followed, so its next line is checked
 * as a line.  When in doubt the guard checks more, not less.
 *
 * On POP3 and SMTP connections (net_stream_guard_lines) only the line cap
 * applies: libetpan reads their lines unbounded too.
 *
 * It hands libetpan one line at a time, never more, so at COMPRESS or
 * STARTTLS whatever the server sent after its OK is still raw here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/util.h"
#include "net/private.h"

#define GUARD_READ_SIZE 16384
#define GUARD_NO_TEXT " (no text)"

struct guard_layer {
	mailstream_low *lower;
	char *in;                     /* raw bytes from below: in[start..len) */
	size_t start, len, cap, scanned;
	struct strbuf out;            /* the current line, checked */
	size_t out_pos;
	unsigned long long literal_left;
	bool response_start;          /* the next line begins a response */
	bool dropping;                /* inside an unknown response, skipped */
	bool imap;                    /* false: only the line cap (POP3, SMTP) */
	char *error;                  /* why the guard closed the connection */
};

static mailstream_low_driver guard_driver;

static void guard_fail(struct guard_layer *g, char *cause)
{
	log_debug("net: guard: %s", cause);
	if (!g->error)
		g->error = cause;
	else
		free(cause);
}

static bool guard_is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether the line p[0..n) (without its line end) is a status response: a
 * tag or "*", then OK/NO/BAD/BYE/PREAUTH; or a "+" continuation.  *text is
 * where its response text starts.  libetpan skips blanks (spaces and tabs)
 * before and between tokens, so this does too. */
static bool guard_is_status(const char *p, size_t n, size_t *text)
{
	static const char *const conds[] = { "OK", "NO", "BAD", "BYE", "PREAUTH" };
	size_t i = 0, w;

	while (i < n && guard_is_space(p[i]))
		i++;
	if (i < n && p[i] == '+') {
		*text = i + 1;
		return true;
	}
	w = i;
	while (i < n && !guard_is_space(p[i]))
		i++;
	if (i == w || i == n)
		return false;
	while (i < n && guard_is_space(p[i]))
		i++;
	for (w = i; w < n && !guard_is_space(p[w]) && p[w] != '['; w++)
		;
	for (size_t c = 0; c < sizeof(conds) / sizeof(conds[0]); c++)
		if (w - i == strlen(conds[c]) && strncasecmp(p + i, conds[c], w - i) == 0) {
			*text = w;
			return true;
		}
	return false;
}

/* Whether the line p[0..n) begins an untagged response libetpan does not
 * know.  RFC 3501 7 says a client ignores those; libetpan fails the whole
 * command on them instead, so the guard leaves them out. */
static bool guard_is_unknown(const char *p, size_t n)
{
	static const char *const known[] = {
		"CAPABILITY", "LIST", "LSUB", "XLIST", "STATUS", "SEARCH", "ESEARCH", "SORT",
		"THREAD", "FLAGS", "ENABLED", "NAMESPACE", "ID", "QUOTA", "QUOTAROOT", "ACL",
		"LISTRIGHTS", "MYRIGHTS", "ANNOTATION", "METADATA", "VANISHED",
	};
	static const char *const numbered[] = { "EXISTS", "RECENT", "EXPUNGE", "FETCH" };
	const char *const *words = known;
	size_t nwords = sizeof(known) / sizeof(known[0]), i = 0, w;

	while (i < n && guard_is_space(p[i]))
		i++;
	if (i == n || p[i] != '*')
		return false;
	i++;
	while (i < n && guard_is_space(p[i]))
		i++;
	for (w = i; w < n && p[w] >= '0' && p[w] <= '9'; w++)
		;
	if (w > i && (w == n || guard_is_space(p[w]))) {
		for (i = w; i < n && guard_is_space(p[i]); i++)
			;
		words = numbered;
		nwords = sizeof(numbered) / sizeof(numbered[0]);
	}
	for (w = i; w < n && !guard_is_space(p[w]) && p[w] != '(' && p[w] != '['; w++)
		;
	for (size_t k = 0; k < nwords; k++)
		if (w - i == strlen(words[k]) && strncasecmp(p + i, words[k], w - i) == 0)
			return false;
	return true;
}

/* If p[0..n) ends with a literal announcement {N} or {N+}: its size. */
static bool guard_literal(const char *p, size_t n, unsigned long long *size, bool *absurd)
{
	size_t i;
	unsigned long long v = 0;

	*absurd = false;
	if (n < 3 || p[n - 1] != '}')
		return false;
	i = n - 1;
	if (p[i - 1] == '+')
		i--;
	if (i < 2 || p[i - 1] < '0' || p[i - 1] > '9')
		return false;
	while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9')
		i--;
	if (i == 0 || p[i - 1] != '{')
		return false;
	for (; p[i] >= '0' && p[i] <= '9'; i++) {
		if (v > NET_GUARD_LITERAL_MAX)
			*absurd = true;
		else
			v = v * 10 + (unsigned long long)(p[i] - '0');
	}
	*size = v;
	return true;
}

/* Moves the line in[start..start+n) (n counts its "\n") to out, checked. */
static void guard_line(struct guard_layer *g, size_t n)
{
	const char *p = g->in + g->start;
	size_t end = n - 1, text, last;
	bool status = false;

	if (end > 0 && p[end - 1] == '\r')
		end--;
	strbuf_reset(&g->out);
	g->out_pos = 0;
	strbuf_add(&g->out, p, n);
	if (!g->imap) {
		/* POP3 and SMTP lines carry message text: passed as they are */
		g->start += n;
		g->scanned = g->start;
		return;
	}
	for (size_t i = 0; i < end; i++)
		if (g->out.buf[i] == '\0')
			g->out.buf[i] = ' ';
	p = g->out.buf;
	if (g->response_start)
		status = guard_is_status(p, end, &text);
	if (g->response_start && !status && guard_is_unknown(p, end)) {
		g->dropping = true;
		log_debug("net: guard: ignored an untagged response petrel does not know");
	}
	if (status) {
		/* "[CODE]" and nothing after: give libetpan a text to copy */
		size_t i = text;
		while (i < end && guard_is_space(p[i]))
			i++;
		for (last = end; last > i && guard_is_space(p[last - 1]); last--)
			;
		if (i < end && p[i] == '[' && last > i && p[last - 1] == ']') {
			struct strbuf t = STRBUF_INIT;
			strbuf_add(&t, p, last);
			strbuf_addstr(&t, GUARD_NO_TEXT);
			strbuf_add(&t, p + last, g->out.len - last);
			strbuf_release(&g->out);
			g->out = t;
			log_debug("net: guard: the server sent a response code without text; "
				  "added one");
		}
		g->response_start = true;
	} else {
		unsigned long long size;
		bool absurd;

		if (guard_literal(p, end, &size, &absurd)) {
			if (absurd || size > NET_GUARD_LITERAL_MAX) {
				guard_fail(g, xasprintf("the server announced a piece of data larger "
							"than %u MiB (a message that big is not "
							"accepted); petrel closed the connection",
							NET_GUARD_LITERAL_MAX >> 20));
				return;
			}
			g->literal_left = size;
			g->response_start = false;
		} else {
			g->response_start = true;
		}
	}
	if (g->dropping) {
		strbuf_reset(&g->out);
		if (g->response_start)
			g->dropping = false;   /* the response ended with this line */
	}
	g->start += n;
	g->scanned = g->start;
}

/* Takes the next complete line from in to out.  False if there is none yet
 * (or the guard failed). */
static bool guard_take_line(struct guard_layer *g)
{
	char *nl = g->len > g->scanned ? memchr(g->in + g->scanned, '\n', g->len - g->scanned)
				       : NULL;

	if (!nl) {
		g->scanned = g->len;
		if (g->len - g->start > NET_GUARD_LINE_MAX)
			guard_fail(g, xasprintf("the server sent a line longer than %u MiB; petrel "
						"closed the connection", NET_GUARD_LINE_MAX >> 20));
		return false;
	}
	guard_line(g, (size_t)(nl - (g->in + g->start)) + 1);
	return !g->error;
}

/* Room for more raw bytes: compacts, then grows (bounded by the line cap). */
static void guard_make_room(struct guard_layer *g)
{
	if (g->start > 0) {
		memmove(g->in, g->in + g->start, g->len - g->start);
		g->len -= g->start;
		g->scanned -= g->start;
		g->start = 0;
	}
	if (g->cap - g->len < GUARD_READ_SIZE) {
		g->cap = g->cap ? g->cap * 2 : GUARD_READ_SIZE * 2;
		g->in = xrealloc(g->in, g->cap);
	}
}

static ssize_t guard_read(mailstream_low *s, void *buf, size_t count)
{
	struct guard_layer *g = s->data;

	for (;;) {
		ssize_t n;

		if (g->error)
			return -1;
		if (g->out_pos < g->out.len) {
			size_t k = g->out.len - g->out_pos;
			if (k > count)
				k = count;
			memcpy(buf, g->out.buf + g->out_pos, k);
			g->out_pos += k;
			return (ssize_t)k;
		}
		if (g->literal_left > 0 && g->dropping) {
			size_t k = g->len - g->start;
			if (k > 0) {
				if (k > g->literal_left)
					k = (size_t)g->literal_left;
				g->start += k;
				g->scanned = g->start;
				g->literal_left -= k;
				continue;
			}
			guard_make_room(g);
			n = mailstream_low_read(g->lower, g->in + g->len, g->cap - g->len);
			if (n <= 0)
				return -1;
			g->len += (size_t)n;
			continue;
		}
		if (g->literal_left > 0) {
			/* the literal's bytes go up as they are, straight through */
			size_t k = count < g->literal_left ? count : (size_t)g->literal_left;
			if (g->len > g->start) {
				if (k > g->len - g->start)
					k = g->len - g->start;
				memcpy(buf, g->in + g->start, k);
				g->start += k;
				g->scanned = g->start;
			} else {
				n = mailstream_low_read(g->lower, buf, k);
				if (n <= 0)
					return -1;
				k = (size_t)n;
			}
			g->literal_left -= k;
			return (ssize_t)k;
		}
		if (guard_take_line(g))
			continue;
		if (g->error)
			return -1;
		guard_make_room(g);
		n = mailstream_low_read(g->lower, g->in + g->len, g->cap - g->len);
		if (n <= 0)
			return -1;
		g->len += (size_t)n;
	}
}

static ssize_t guard_write(mailstream_low *s, const void *buf, size_t count)
{
	struct guard_layer *g = s->data;

	return mailstream_low_write(g->lower, buf, count);
}

static int guard_close(mailstream_low *s)
{
	struct guard_layer *g = s->data;

	return mailstream_low_close(g->lower);
}

static int guard_get_fd(mailstream_low *s)
{
	struct guard_layer *g = s->data;

	return mailstream_low_get_fd(g->lower);
}

static void guard_free(mailstream_low *s)
{
	struct guard_layer *g = s->data;

	mailstream_low_free(g->lower);
	strbuf_release(&g->out);
	free(g->in);
	free(g->error);
	free(g);
	free(s);
}

static void guard_cancel(mailstream_low *s)
{
	struct guard_layer *g = s->data;

	mailstream_low_cancel(g->lower);
}

static struct mailstream_cancel *guard_get_cancel(mailstream_low *s)
{
	return NULL;
}

static carray *guard_get_certificate_chain(mailstream_low *s)
{
	return NULL;
}

static int guard_idle_unsupported(mailstream_low *s)
{
	return -1;
}

static mailstream_low_driver guard_driver = {
	.mailstream_read = guard_read,
	.mailstream_write = guard_write,
	.mailstream_close = guard_close,
	.mailstream_get_fd = guard_get_fd,
	.mailstream_free = guard_free,
	.mailstream_cancel = guard_cancel,
	.mailstream_get_cancel = guard_get_cancel,
	.mailstream_get_certificate_chain = guard_get_certificate_chain,
	.mailstream_setup_idle = guard_idle_unsupported,
	.mailstream_unsetup_idle = guard_idle_unsupported,
	.mailstream_interrupt_idle = guard_idle_unsupported,
};

static void guard_push(mailstream *s, bool imap)
{
	struct guard_layer *g;
	mailstream_low *top;

	if (mailstream_get_low(s)->driver == &guard_driver)
		BUG("guard twice on one stream");
	if (s->read_buffer_len)
		BUG("guard put on a stream that already read");
	g = xcalloc(1, sizeof(*g));
	g->lower = mailstream_get_low(s);
	g->response_start = true;
	g->imap = imap;
	strbuf_init(&g->out);
	top = mailstream_low_new(g, &guard_driver);
	if (!top)
		BUG("out of memory in mailstream_low_new");
	mailstream_set_low(s, top);
}

void net_stream_guard(mailstream *s)
{
	guard_push(s, true);
}

void net_stream_guard_lines(mailstream *s)
{
	guard_push(s, false);
}

const char *net_stream_guard_error(mailstream *s)
{
	mailstream_low *low = s ? mailstream_get_low(s) : NULL;

	if (!low || low->driver != &guard_driver)
		return NULL;
	return ((struct guard_layer *)low->data)->error;
}

mailstream_low **guard_below(mailstream_low *low, bool *pending)
{
	struct guard_layer *g;

	*pending = false;
	if (low->driver != &guard_driver)
		return NULL;
	g = low->data;
	*pending = g->len > g->start || g->out_pos < g->out.len;
	return &g->lower;
}

size_t guard_take_raw(mailstream_low *low, void *buf, size_t cap)
{
	struct guard_layer *g;
	size_t n;

	if (low->driver != &guard_driver)
		return (size_t)-1;
	g = low->data;
	n = g->len - g->start;
	if (g->out_pos < g->out.len || g->literal_left || n > cap)
		return (size_t)-1;
	memcpy(buf, g->in + g->start, n);
	g->start = g->len = g->scanned = 0;
	return n;
}
