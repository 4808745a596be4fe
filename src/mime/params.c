/*
 * Parameters of Content-Type and Content-Disposition values, with RFC 2231
 * (charset'language'percent-encoding and name*0, name*1* continuations) and
 * the RFC 2047 words that many mailers put in plain quoted values instead.
 * Lenient like the rest of petrel's parsing: unquoted values with spaces, a
 * missing closing quote, or junk between parameters are taken as meant.
 */
#include "mime/private.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { PARAMS_MAX_SECTIONS = 64 };

struct params_found {
	char *plain;                          /* name=... */
	char *ext;                            /* name*=... */
	char *sec[PARAMS_MAX_SECTIONS];       /* name*N=... and name*N*=... */
	bool sec_ext[PARAMS_MAX_SECTIONS];
};

/* Reads one value at v[*i..] (quoted or not) into a malloc'd string. */
static char *params_value(const char *v, size_t *i)
{
	struct strbuf sb = STRBUF_INIT;
	size_t p = *i;

	while (v[p] == ' ' || v[p] == '\t')
		p++;
	if (v[p] == '"') {
		for (p++; v[p] && v[p] != '"'; p++) {
			if (v[p] == '\\' && v[p + 1])
				p++;
			strbuf_addch(&sb, v[p]);
		}
		if (v[p] == '"')
			p++;
		while (v[p] && v[p] != ';')  /* junk after the quotes */
			p++;
	} else {
		size_t start = p, end;

		while (v[p] && v[p] != ';')
			p++;
		end = p;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		strbuf_add(&sb, v + start, end - start);
	}
	*i = p;
	return strbuf_detach(&sb);
}

/* Sorts attribute a (length alen) into f if it is one of name's forms. */
static void params_match(struct params_found *f, const char *a, size_t alen,
			 const char *name, char *value)
{
	size_t nlen = strlen(name);
	unsigned long sec = 0;
	size_t k;
	bool ext = false;

	if (alen < nlen || strncasecmp(a, name, nlen) != 0)
		goto drop;
	if (alen == nlen) {
		if (!f->plain) {
			f->plain = value;
			return;
		}
		goto drop;
	}
	if (a[nlen] != '*')
		goto drop;
	if (alen == nlen + 1) {
		if (!f->ext) {
			f->ext = value;
			return;
		}
		goto drop;
	}
	for (k = nlen + 1; k < alen && a[k] >= '0' && a[k] <= '9' && sec < PARAMS_MAX_SECTIONS; k++)
		sec = sec * 10 + (unsigned long)(a[k] - '0');
	if (k == nlen + 1 || sec >= PARAMS_MAX_SECTIONS)
		goto drop;
	if (k < alen && a[k] == '*' && k + 1 == alen)
		ext = true;
	else if (k != alen)
		goto drop;
	if (f->sec[sec])
		goto drop;
	f->sec[sec] = value;
	f->sec_ext[sec] = ext;
	return;
drop:
	free(value);
}

static int params_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void params_pct(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		int hi, lo;

		if (*s == '%' && (hi = params_hex(s[1])) >= 0 && (lo = params_hex(s[2])) >= 0) {
			strbuf_addch(out, hi << 4 | lo);
			s += 2;
		} else {
			strbuf_addch(out, *s);
		}
	}
}

/* Splits "charset'language'text" and returns text; charset goes to cs. */
static const char *params_ext_prefix(const char *v, char *cs, size_t cssz)
{
	const char *q1 = strchr(v, '\''), *q2;
	size_t n;

	cs[0] = '\0';
	if (!q1 || !(q2 = strchr(q1 + 1, '\'')))
		return v;
	n = (size_t)(q1 - v);
	if (n < cssz) {
		memcpy(cs, v, n);
		cs[n] = '\0';
	}
	return q2 + 1;
}

static char *params_decode(struct params_found *f)
{
	struct strbuf bytes = STRBUF_INIT, out = STRBUF_INIT;
	char cs[64] = "";

	if (f->ext) {
		params_pct(&bytes, params_ext_prefix(f->ext, cs, sizeof(cs)));
	} else if (f->sec[0]) {
		for (size_t i = 0; i < PARAMS_MAX_SECTIONS && f->sec[i]; i++) {
			const char *v = f->sec[i];

			if (!f->sec_ext[i]) {
				strbuf_addstr(&bytes, v);
				continue;
			}
			if (i == 0)
				v = params_ext_prefix(v, cs, sizeof(cs));
			params_pct(&bytes, v);
		}
	} else if (f->plain) {
		if (strstr(f->plain, "=?"))
			return mime_decode_header(f->plain);
		strbuf_addstr(&bytes, f->plain);
	} else {
		return NULL;
	}
	mime_charset_append(&out, bytes.buf ? bytes.buf : "", bytes.len, cs[0] ? cs : NULL);
	strbuf_release(&bytes);
	return strbuf_detach(&out);
}

char *mime_header_param(const char *value, const char *name)
{
	struct params_found f;
	size_t i = 0;
	char *res;

	memset(&f, 0, sizeof(f));
	/* skip the type ("text/plain", "attachment"), quotes respected */
	for (bool q = false; value[i] && (q || value[i] != ';'); i++)
		if (value[i] == '"')
			q = !q;
	while (value[i]) {
		size_t a, aend;

		while (value[i] == ';' || value[i] == ' ' || value[i] == '\t')
			i++;
		a = i;
		while (value[i] && value[i] != '=' && value[i] != ';')
			i++;
		if (value[i] != '=')
			continue;  /* an attribute with no value: skip it */
		aend = i;
		while (aend > a && (value[aend - 1] == ' ' || value[aend - 1] == '\t'))
			aend--;
		i++;
		params_match(&f, value + a, aend - a, name, params_value(value, &i));
	}
	res = params_decode(&f);
	free(f.plain);
	free(f.ext);
	for (size_t k = 0; k < PARAMS_MAX_SECTIONS; k++)
		free(f.sec[k]);
	return res;
}
