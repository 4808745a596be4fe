/*
 * What the server has: STAT, LIST and UIDL (all at once, or message by
 * message for the newest few), and, for a server without UIDL, keys from a
 * digest of each message's headers (TOP n 0).  Every command of a step goes
 * out in one write (pipelining), so a step costs one round trip.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "mime/mime.h"
#include "pop3/private.h"

/* Commands in flight at once: keeps both sides' buffers from filling up. */
#define LIST_PIPELINE 100

void pop3_list_problem(const struct pop3_hooks *hooks, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	log_debug("pop3: %s", text);
	if (hooks && hooks->problem)
		hooks->problem(hooks->arg, text);
	free(text);
}

/* "N REST": N (1..max) and the rest; false for anything else. */
static bool pop3_list_parse(const char *line, unsigned max, unsigned *num, const char **rest)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*line))
		return false;
	v = strtoul(line, &end, 10);
	if (v < 1 || v > max || *end != ' ')
		return false;
	while (*end == ' ')
		end++;
	if (!*end)
		return false;
	*num = (unsigned)v;
	*rest = end;
	return true;
}

static void pop3_list_grow(struct pop3_list *l, unsigned n)
{
	if (n <= l->n)
		return;
	l->v = xrealloc(l->v, n * sizeof(*l->v));
	memset(l->v + l->n, 0, (n - l->n) * sizeof(*l->v));
	l->n = n;
}

static bool pop3_list_set_size(struct pop3_msg *m, const char *text)
{
	char *end;
	unsigned long long v = strtoull(text, &end, 10);

	if (end == text || (*end && *end != ' '))
		return false;
	m->size = v > (unsigned long)-1 ? (unsigned long)-1 : (unsigned long)v;
	m->listed = true;
	return true;
}

static bool pop3_list_set_uidl(struct pop3_msg *m, const char *uidl)
{
	/* RFC 1939: 1 to 70 characters 0x21..0x7E; be lenient on the length */
	size_t n = strlen(uidl);

	while (n && uidl[n - 1] == ' ')
		n--;
	if (n == 0 || n > 512)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)uidl[i] <= 0x20 || (unsigned char)uidl[i] >= 0x7f)
			return false;
	{
		char *u = xstrndup(uidl, n);
		pop3_records_key_uidl(u, m->key);
		free(u);
	}
	return true;
}

int pop3_list_stat(struct pop3_session *s, unsigned *count, char **cause)
{
	const char *text;
	enum pop3_status st;
	unsigned long v;
	char *end;

	if (s->stat_known) {
		/* asked in the login's round trip, and nothing changed since */
		s->stat_known = false;
		*count = s->stat_count;
		return 0;
	}
	pop3_session_queue(s, "STAT");
	if (pop3_session_flush(s, cause) < 0)
		return -1;
	st = pop3_session_status(s, &text, cause);
	if (st == POP3_BROKEN)
		return -1;
	if (st == POP3_ERR) {
		*cause = pop3_session_err("cannot count the messages on the server", text);
		return -1;
	}
	v = strtoul(text, &end, 10);
	if (end == text || v > 10000000) {
		*cause = xstrdup("the server's answer to STAT makes no sense");
		pop3_session_drop(s);
		return -1;
	}
	*count = (unsigned)v;
	return 0;
}

static void pop3_list_keep_hdr(struct pop3_msg *m, struct strbuf *sb)
{
	free(m->hdr);
	m->hlen = sb->len;
	m->hdr = strbuf_detach(sb);
}

int pop3_list_newest(struct pop3_session *s, struct pop3_list *l, unsigned count, unsigned chunk,
		     bool with_top, int (*fn)(void *arg, unsigned num, char **cause), void *arg,
		     char **cause)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned lo = count > chunk ? count - chunk + 1 : 1;
	int rc = -1;

	pop3_list_grow(l, count);
	for (unsigned i = count; i >= lo && i > 0; i--) {
		pop3_session_queue(s, "LIST %u", i);
		pop3_session_queue(s, "UIDL %u", i);
		if (with_top)
			pop3_session_queue(s, "TOP %u 0", i);
	}
	if (pop3_session_flush(s, cause) < 0)
		goto out;
	for (unsigned i = count; i >= lo && i > 0; i--) {
		struct pop3_msg *m = &l->v[i - 1];
		const char *text, *rest;
		enum pop3_status st;
		unsigned num;
		bool bad = false;

		st = pop3_session_status(s, &text, cause);
		if (st == POP3_BROKEN)
			goto out;
		if (st == POP3_OK)
			bad |= !pop3_list_parse(text, count, &num, &rest) || num != i ||
			       !pop3_list_set_size(m, rest);
		st = pop3_session_status(s, &text, cause);
		if (st == POP3_BROKEN)
			goto out;
		if (st == POP3_OK)
			bad |= !pop3_list_parse(text, count, &num, &rest) || num != i ||
			       !pop3_list_set_uidl(m, rest);
		else
			m->key[0] = '\0';
		if (bad) {
			*cause = xasprintf("%s answered LIST/UIDL %u with something else; the "
					   "connection was dropped", s->url.host, i);
			pop3_session_drop(s);
			goto out;
		}
		if (with_top) {
			st = pop3_session_status(s, &text, cause);
			if (st == POP3_BROKEN)
				goto out;
			if (st == POP3_OK) {
				if (pop3_session_multiline(s, &sb, POP3_HEADER_MAX, cause) < 0)
					goto out;
				pop3_list_keep_hdr(m, &sb);
			}
		}
		/* at once, while the next answers are on their way */
		if (fn(arg, i, cause) < 0) {
			pop3_session_drop(s);  /* answers are still coming */
			goto out;
		}
	}
	rc = 0;
out:
	strbuf_release(&sb);
	return rc;
}

/* The keys of a server without UIDL: a digest of each message's headers,
 * and how many messages before it had the same headers. */
static int pop3_list_digest_one(void *arg, unsigned num, const char *hdr, size_t len,
				char **cause)
{
	struct pop3_list *l = arg;

	(void)cause;
	if (hdr) {
		/* all len bytes: a NUL from the server must not make the copy
		 * shorter than hlen says (xstrndup would stop there) */
		free(l->v[num - 1].hdr);
		l->v[num - 1].hdr = xmalloc(len + 1);
		memcpy(l->v[num - 1].hdr, hdr, len);
		l->v[num - 1].hdr[len] = '\0';
		l->v[num - 1].hlen = len;
	}
	return 0;
}

struct pop3_list_dig {
	char base[POP3_KEY_LEN + 1];
	unsigned num;
};

static int pop3_list_dig_cmp(const void *a, const void *b)
{
	const struct pop3_list_dig *x = a, *y = b;
	int c = strcmp(x->base, y->base);

	return c ? c : x->num < y->num ? -1 : x->num > y->num;
}

static int pop3_list_digest(struct pop3_session *s, struct pop3_list *l,
			    const struct pop3_hooks *hooks, char **cause)
{
	struct pop3_list_dig *d;
	unsigned *nums = xcalloc(l->n + 1, sizeof(*nums)), k = 0, nd = 0;
	int rc = 0;

	if (!s->has_top) {
		free(nums);
		*cause = xasprintf("%s offers neither UIDL nor TOP, so petrel cannot tell its "
				   "messages apart between sessions", s->url.host);
		return -1;
	}
	for (unsigned i = 1; i <= l->n; i++)
		if (l->v[i - 1].listed)
			nums[k++] = i;
	for (unsigned i = 0; i < k && rc == 0; i += LIST_PIPELINE)
		rc = pop3_list_top(s, nums + i, k - i < LIST_PIPELINE ? k - i : LIST_PIPELINE, hooks,
				   pop3_list_digest_one, l, cause);
	free(nums);
	if (rc < 0)
		return -1;
	d = xcalloc(l->n + 1, sizeof(*d));
	for (unsigned i = 1; i <= l->n; i++) {
		struct pop3_msg *m = &l->v[i - 1];
		if (!m->hdr)
			continue;
		pop3_records_key_headers(m->hdr, m->hlen, 0, d[nd].base);
		d[nd++].num = i;
	}
	qsort(d, nd, sizeof(*d), pop3_list_dig_cmp);
	for (unsigned i = 0, nth = 0; i < nd; i++) {
		struct pop3_msg *m = &l->v[d[i].num - 1];
		nth = i && strcmp(d[i].base, d[i - 1].base) == 0 ? nth + 1 : 0;
		pop3_records_key_headers(m->hdr, m->hlen, nth, m->key);
	}
	free(d);
	return 0;
}

static int pop3_list_key_cmp(const void *a, const void *b)
{
	const struct pop3_list_dig *x = a, *y = b;

	return strcmp(x->base, y->base);
}

/* Two messages with one UIDL (a broken server) cannot be told apart: if
 * one were stored and recorded, the other would pass for stored and could
 * be deleted unread.  Both stay on the server, unkeyed. */
static void pop3_list_unique(struct pop3_list *l, const struct pop3_hooks *hooks)
{
	struct pop3_list_dig *d = xcalloc(l->n + 1, sizeof(*d));
	unsigned nd = 0;

	for (unsigned i = 1; i <= l->n; i++)
		if (l->v[i - 1].key[0]) {
			memcpy(d[nd].base, l->v[i - 1].key, sizeof(d[nd].base));
			d[nd++].num = i;
		}
	qsort(d, nd, sizeof(*d), pop3_list_key_cmp);
	for (unsigned i = 0; i < nd; i++) {
		bool dup = (i > 0 && strcmp(d[i].base, d[i - 1].base) == 0) ||
			   (i + 1 < nd && strcmp(d[i].base, d[i + 1].base) == 0);
		if (!dup)
			continue;
		l->v[d[i].num - 1].key[0] = '\0';
		pop3_list_problem(hooks, "message %u: the server gives it the same UIDL as another "
				  "message, so petrel cannot track it; it stays on the server",
				  d[i].num);
	}
	free(d);
}

int pop3_list_all(struct pop3_session *s, struct pop3_list *l, const struct pop3_hooks *hooks,
		  char **cause)
{
	struct strbuf sb = STRBUF_INIT;
	const char *text, *rest;
	enum pop3_status st;
	bool uidl_ok;
	unsigned max = 0, num;
	int rc = -1;

	pop3_list_release(l);
	pop3_session_queue(s, "LIST");
	pop3_session_queue(s, "UIDL");
	if (pop3_session_flush(s, cause) < 0)
		goto out;
	st = pop3_session_status(s, &text, cause);
	if (st == POP3_BROKEN)
		goto out;
	if (st == POP3_ERR) {
		*cause = pop3_session_err("cannot list the messages on the server", text);
		pop3_session_drop(s);  /* the UIDL answer is still on its way */
		goto out;
	}
	if (pop3_session_multiline(s, &sb, POP3_MESSAGE_MAX, cause) < 0)
		goto out;
	/* two passes: the highest number first, then the sizes */
	for (char *p = sb.buf; p && *p;) {
		char *nl = strstr(p, "\r\n");
		if (nl)
			*nl = '\0';
		if (pop3_list_parse(p, 10000000, &num, &rest) && num > max)
			max = num;
		if (nl)
			*nl = '\r';
		p = nl ? nl + 2 : NULL;
	}
	pop3_list_grow(l, max);
	for (char *p = sb.buf; p && *p;) {
		char *nl = strstr(p, "\r\n");
		if (nl)
			*nl = '\0';
		if (!pop3_list_parse(p, max, &num, &rest) || !pop3_list_set_size(&l->v[num - 1], rest)) {
			/* cut before sanitizing: cutting after could split a character */
			char *safe = sanitize(p, strnlen(p, 60), 0);
			*cause = xasprintf("%s sent a LIST line that makes no sense: \"%s\"; the "
					   "connection was dropped", s->url.host, safe);
			free(safe);
			pop3_session_drop(s);
			goto out;
		}
		p = nl ? nl + 2 : NULL;
	}
	st = pop3_session_status(s, &text, cause);
	if (st == POP3_BROKEN)
		goto out;
	uidl_ok = st == POP3_OK;
	if (uidl_ok) {
		if (pop3_session_multiline(s, &sb, POP3_MESSAGE_MAX, cause) < 0)
			goto out;
		for (char *p = sb.buf; p && *p;) {
			char *nl = strstr(p, "\r\n");
			if (nl)
				*nl = '\0';
			if (!pop3_list_parse(p, max, &num, &rest) || !l->v[num - 1].listed ||
			    l->v[num - 1].key[0] || !pop3_list_set_uidl(&l->v[num - 1], rest)) {
				*cause = xasprintf("%s sent a UIDL line that makes no sense; the "
						   "connection was dropped", s->url.host);
				pop3_session_drop(s);
				goto out;
			}
			p = nl ? nl + 2 : NULL;
		}
		for (unsigned i = 1; i <= l->n; i++)
			if (l->v[i - 1].listed && !l->v[i - 1].key[0])
				pop3_list_problem(hooks, "message %u: the server lists no UIDL for it; "
						  "it stays on the server", i);
		pop3_list_unique(l, hooks);
	} else if (s->has_uidl) {
		*cause = pop3_session_err("the server offers UIDL but refused it", text);
		goto out;
	} else {
		l->digest = true;
		if (pop3_list_digest(s, l, hooks, cause) < 0)
			goto out;
	}
	rc = 0;
out:
	strbuf_release(&sb);
	return rc;
}

int pop3_list_top(struct pop3_session *s, const unsigned *nums, size_t k,
		  const struct pop3_hooks *hooks,
		  int (*fn)(void *arg, unsigned num, const char *hdr, size_t len, char **cause),
		  void *arg, char **cause)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = -1;

	for (size_t i = 0; i < k; i++)
		pop3_session_queue(s, "TOP %u 0", nums[i]);
	if (pop3_session_flush(s, cause) < 0)
		goto out;
	for (size_t i = 0; i < k; i++) {
		const char *text;
		enum pop3_status st = pop3_session_status(s, &text, cause);

		if (st == POP3_BROKEN)
			goto out;
		if (st == POP3_ERR) {
			char *why = pop3_session_err("cannot read its headers", text);
			pop3_list_problem(hooks, "message %u: %s; it stays on the server", nums[i], why);
			free(why);
			if (fn(arg, nums[i], NULL, 0, cause) < 0)
				goto out;
			continue;
		}
		if (pop3_session_multiline(s, &sb, POP3_HEADER_MAX, cause) < 0)
			goto out;
		if (fn(arg, nums[i], sb.buf ? sb.buf : "", sb.len, cause) < 0) {
			/* the rest of the answers still come: read them, then stop */
			for (size_t j = i + 1; j < k; j++) {
				char *ignore = NULL;
				if (pop3_session_status(s, &text, &ignore) == POP3_OK)
					pop3_session_multiline(s, &sb, POP3_HEADER_MAX, &ignore);
				free(ignore);
			}
			goto out;
		}
	}
	rc = 0;
out:
	strbuf_release(&sb);
	return rc;
}

void pop3_list_release(struct pop3_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->v[i].hdr);
	FREE_NULL(l->v);
	l->n = 0;
	l->digest = false;
}
