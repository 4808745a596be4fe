/*
 * Charsets: everything petrel shows is converted to UTF-8 here first.  UTF-8
 * and the ASCII/Latin-1 family are handled without iconv (they are most mail
 * and the index summarises 100k messages); everything else goes through
 * glibc's iconv, one byte of U+FFFD per invalid byte, so no input can make a
 * conversion fail.  Labels follow the WHATWG encoding standard where mail in
 * the wild needs it: "iso-8859-1" and "us-ascii" are read as windows-1252.
 */
#include "mime/private.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>



bool mime_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	uint32_t c;

	while (i < len) {
		size_t n;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = util_utf8_decode(p + i, len - i, &c);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

bool mime_utf8_repair(struct strbuf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0;
	bool replaced = false;
	uint32_t c;

	strbuf_grow(out, len);
	while (i < len) {
		size_t n;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = util_utf8_decode(p + i, len - i, &c);
		if (n) {
			i += n;
			continue;
		}
		strbuf_add(out, s + start, i - start);
		strbuf_add_utf8(out, 0xFFFD);
		replaced = true;
		start = ++i;
	}
	strbuf_add(out, s + start, i - start);
	return replaced;
}

size_t mime_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	if (n == len)
		return n;
	/* step back over continuation bytes to the start of a sequence */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* windows-1252 0x80..0x9F; the five holes become U+FFFD (not C1 controls) */
static const uint16_t charset_cp1252[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

static void charset_cp1252_append(struct strbuf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0;

	strbuf_grow(out, len + len / 2);
	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x80)
			continue;
		strbuf_add(out, s + start, i - start);
		strbuf_add_utf8(out, p[i] < 0xA0 ? charset_cp1252[p[i] - 0x80] : p[i]);
		start = i + 1;
	}
	strbuf_add(out, s + start, len - start);
}

enum charset_kind {
	CHARSET_UTF8,
	CHARSET_ASCII,   /* us-ascii or none declared: UTF-8 if valid, else cp1252 */
	CHARSET_CP1252,  /* latin1 and windows-1252 */
	CHARSET_ICONV,
	CHARSET_BOGUS,   /* a name no converter should be handed */
};

/* Normalises a charset label into buf (lower case, no quotes, no RFC 2231
 * language) and says how to convert it. */
static enum charset_kind charset_classify(const char *charset, char *buf, size_t bufsz)
{
	static const char *const ascii[] = {
		"us-ascii", "ascii", "us", "ansi_x3.4-1968", "iso646-us", "default",
		"unknown-8bit", "x-unknown", "8bit", "7bit", "unknown",
	};
	static const char *const latin1[] = {
		"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1",
		"cp819", "ibm819", "windows-1252", "cp1252", "x-cp1252", "iso-8859-15",
		"iso8859-15", "latin9",
	};
	size_t n = 0;

	if (!charset)
		return CHARSET_ASCII;
	while (*charset == ' ' || *charset == '\t' || *charset == '"' || *charset == '\'')
		charset++;
	for (; *charset && *charset != '"' && *charset != '\'' && *charset != '*' &&
	       *charset != ' ' && *charset != ';'; charset++) {
		unsigned char c = (unsigned char)*charset;

		/* only what charset names are made of: nothing like "//TRANSLIT" */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':'))
			return CHARSET_BOGUS;
		if (n + 1 >= bufsz)
			return CHARSET_BOGUS;
		buf[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	buf[n] = '\0';
	if (n == 0)
		return CHARSET_ASCII;
	if (strcmp(buf, "utf-8") == 0 || strcmp(buf, "utf8") == 0)
		return CHARSET_UTF8;
	if (strcmp(buf, "unicode-1-1-utf-7") == 0)
		memcpy(buf, "utf-7", 6);  /* RFC 1642's name, which iconv lacks */
	for (size_t i = 0; i < ARRAY_SIZE(ascii); i++)
		if (strcmp(buf, ascii[i]) == 0)
			return CHARSET_ASCII;
	for (size_t i = 0; i < ARRAY_SIZE(latin1); i++)
		if (strcmp(buf, latin1[i]) == 0)
			/* iso-8859-15 differs from cp1252 in eight letters only; the
			 * euro sign is what matters and iconv gets it right */
			return strstr(buf, "15") || strcmp(buf, "latin9") == 0 ?
				CHARSET_ICONV : CHARSET_CP1252;
	return CHARSET_ICONV;
}

/* Converts with iconv; false if the charset is unknown to it. */
static bool charset_iconv(struct strbuf *out, const char *data, size_t len,
			  const char *name, bool *replaced)
{
	iconv_t cd = iconv_open("UTF-8", name);
	char *in = (char *)data;
	size_t inleft = len;

	if (cd == (iconv_t)-1)
		return false;
	strbuf_grow(out, len * 2 + 16);
	while (inleft > 0) {
		char *o = out->buf + out->len;
		size_t oleft = out->alloc - out->len - 1;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);

		out->len = (size_t)(o - out->buf);
		out->buf[out->len] = '\0';
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG) {
			strbuf_grow(out, inleft * 2 + 64);
		} else if (errno == EILSEQ) {
			strbuf_add_utf8(out, 0xFFFD);
			in++;
			inleft--;
			*replaced = true;
		} else {
			/* EINVAL: cut short at the end */
			strbuf_add_utf8(out, 0xFFFD);
			*replaced = true;
			break;
		}
	}
	/* flush the shift state of stateful charsets (ISO-2022-JP) */
	{
		char *o, *dummy = NULL;
		size_t oleft;

		strbuf_grow(out, 16);
		o = out->buf + out->len;
		oleft = out->alloc - out->len - 1;
		if (iconv(cd, &dummy, NULL, &o, &oleft) != (size_t)-1)
			out->len = (size_t)(o - out->buf);
		out->buf[out->len] = '\0';
	}
	iconv_close(cd);
	return true;
}

enum mime_charset_status mime_charset_append(struct strbuf *out, const char *data,
					     size_t len, const char *charset)
{
	char name[48];
	bool replaced = false;

	switch (charset_classify(charset, name, sizeof(name))) {
	case CHARSET_UTF8:
		return mime_utf8_repair(out, data, len) ? MIME_CHARSET_REPLACED : MIME_CHARSET_OK;
	case CHARSET_ASCII:
		if (mime_utf8_valid(data, len))
			strbuf_add(out, data, len);
		else
			charset_cp1252_append(out, data, len);
		return MIME_CHARSET_OK;
	case CHARSET_CP1252:
		charset_cp1252_append(out, data, len);
		return MIME_CHARSET_OK;
	case CHARSET_ICONV:
		if (charset_iconv(out, data, len, name, &replaced))
			return replaced ? MIME_CHARSET_REPLACED : MIME_CHARSET_OK;
		break;
	case CHARSET_BOGUS:
		break;
	}
	mime_utf8_repair(out, data, len);
	return MIME_CHARSET_UNKNOWN;
}

char *mime_charset_to_utf8(const char *data, size_t len, const char *charset,
			   size_t *out_len, enum mime_charset_status *status)
{
	struct strbuf sb = STRBUF_INIT;
	enum mime_charset_status st = mime_charset_append(&sb, data, len, charset);

	if (out_len)
		*out_len = sb.len;
	if (status)
		*status = st;
	return strbuf_detach(&sb);
}
