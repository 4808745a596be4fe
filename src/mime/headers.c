/*
 * Header blocks split into fields: name and unfolded raw value.  Used for the
 * index summary (which must not touch the body) and for every part libetpan
 * finds, so that what petrel shows comes from one simple, bounded splitter:
 * at most MIME_MAX_HEADERS fields and MIME_MAX_HEADER_LINE bytes a value are
 * kept, however big the block, in one linear pass.
 */
#include "mime/private.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { HEADERS_MAX_NAME = 256 };

/* Length of a field name followed by ':' at p[0..len), or 0 if the line is
 * not a field.  White space before the colon is tolerated, as libetpan does. */
static size_t headers_name(const char *p, size_t len, size_t *colon)
{
	size_t n = 0, i;

	while (n < len && n < HEADERS_MAX_NAME) {
		unsigned char c = (unsigned char)p[n];

		if (c <= 32 || c >= 127 || c == ':')
			break;
		n++;
	}
	if (n == 0)
		return 0;
	for (i = n; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	if (i >= len || p[i] != ':')
		return 0;
	*colon = i;
	return n;
}

/* End of the line at p[i..len): the index of its '\n', or len. */
static size_t headers_eol(const char *p, size_t i, size_t len)
{
	const char *nl = memchr(p + i, '\n', len - i);

	return nl ? (size_t)(nl - p) : len;
}

/* Appends line p[from..to) to the value, without its CR and within the cap. */
static void headers_add_value(struct strbuf *v, const char *p, size_t from, size_t to,
			      bool *too_long)
{
	if (to > from && p[to - 1] == '\r')
		to--;
	if (v->len >= MIME_MAX_HEADER_LINE) {
		*too_long = true;
		return;
	}
	if (to - from > MIME_MAX_HEADER_LINE - v->len) {
		to = from + (MIME_MAX_HEADER_LINE - v->len);
		*too_long = true;
	}
	strbuf_add(v, p + from, to - from);
}

static void headers_push(struct mime_fields *f, const char *name, size_t name_len,
			 struct strbuf *v)
{
	struct mime_field *fld;
	char *s;
	size_t n;

	if (f->n == f->alloc) {
		f->alloc = f->alloc ? f->alloc * 2 : 16;
		f->v = xrealloc(f->v, f->alloc * sizeof(*f->v));
	}
	fld = &f->v[f->n++];
	fld->name = xstrndup(name, name_len);
	/* a NUL would cut the value short where C strings are used: make it seen */
	for (size_t i = 0; i < v->len; i++) {
		if (v->buf[i] == '\0') {
			struct strbuf fixed = STRBUF_INIT;

			for (size_t j = 0; j < v->len; j++) {
				if (v->buf[j])
					strbuf_addch(&fixed, v->buf[j]);
				else
					strbuf_addstr(&fixed, "\xef\xbf\xbd");
			}
			strbuf_release(v);
			*v = fixed;
			break;
		}
	}
	s = strbuf_detach(v);
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	fld->value = s;
}

size_t mime_fields_parse(const char *data, size_t len, struct mime_fields *f)
{
	struct strbuf v = STRBUF_INIT;
	const char *name = NULL;
	size_t name_len = 0, pos = 0;
	bool have = false;

	while (pos < len) {
		size_t eol = headers_eol(data, pos, len), colon, nlen;
		size_t next = eol < len ? eol + 1 : len;

		if (data[pos] == '\n' || (data[pos] == '\r' && pos + 1 < len && data[pos + 1] == '\n')) {
			pos = next;  /* the blank line ends the block */
			break;
		}
		if (data[pos] == ' ' || data[pos] == '\t') {
			if (!have && f->n == 0 && !f->too_many)
				break;  /* text, not a header block */
			if (have)
				headers_add_value(&v, data, pos, eol, &f->too_long);
			pos = next;
			continue;
		}
		nlen = headers_name(data + pos, eol - pos, &colon);
		if (nlen == 0)
			break;  /* not a field: the body starts here */
		if (have)
			headers_push(f, name, name_len, &v);
		have = false;
		if (f->n >= MIME_MAX_HEADERS) {
			f->too_many = true;
		} else {
			size_t from = pos + colon + 1;

			while (from < eol && (data[from] == ' ' || data[from] == '\t'))
				from++;
			name = data + pos;
			name_len = nlen;
			strbuf_reset(&v);
			headers_add_value(&v, data, from, eol, &f->too_long);
			have = true;
		}
		pos = next;
	}
	if (have)
		headers_push(f, name, name_len, &v);
	strbuf_release(&v);
	return pos;
}

size_t mime_fields_skip_mbox(const char *data, size_t len)
{
	const char *nl;

	if (len < 5 || memcmp(data, "From ", 5) != 0)
		return 0;
	nl = memchr(data, '\n', len);
	return nl ? (size_t)(nl - data) + 1 : len;
}

void mime_fields_release(struct mime_fields *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

const char *mime_fields_get(const struct mime_fields *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcasecmp(f->v[i].name, name) == 0)
			return f->v[i].value;
	return NULL;
}
