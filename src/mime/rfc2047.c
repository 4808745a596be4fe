/*
 * RFC 2047 encoded words in header values: "=?charset?B?...?=" and
 * "=?charset?Q?...?=".  Adjacent words separated only by white space are
 * joined without it, and their bytes are joined before the charset is
 * converted, so a UTF-8 character split across two words (as many mailers
 * do) comes out whole.  Anything that is not a well-formed word stays as
 * written.
 */
#include "mime/private.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Real words are at most 75 bytes; some mailers write longer ones.  The cap
 * keeps a pathological value from costing more than linear time times this. */
enum { RFC2047_MAX_WORD = 512, RFC2047_MAX_CHARSET = 64 };

struct rfc2047_word {
	size_t end;                 /* index just past "?=" */
	char charset[RFC2047_MAX_CHARSET];
	char enc;                   /* 'B' or 'Q' */
	size_t text, text_len;      /* the encoded text */
};

/* Parses an encoded word at s[i..n) (s[i] == '=', s[i+1] == '?'). */
static bool rfc2047_word(const char *s, size_t i, size_t n, struct rfc2047_word *w)
{
	size_t p = i + 2, c = 0, limit = n - i > RFC2047_MAX_WORD ? i + RFC2047_MAX_WORD : n;

	while (p < limit && s[p] != '?') {
		unsigned char ch = (unsigned char)s[p];

		if (ch <= ' ' || ch >= 127 || c + 1 >= sizeof(w->charset))
			return false;
		w->charset[c++] = (char)ch;
		p++;
	}
	w->charset[c] = '\0';
	if (c == 0 || p + 2 >= limit || s[p] != '?')
		return false;
	w->enc = (char)(s[p + 1] & ~0x20);
	if ((w->enc != 'B' && w->enc != 'Q') || s[p + 2] != '?')
		return false;
	p += 3;
	w->text = p;
	while (p + 1 < limit && !(s[p] == '?' && s[p + 1] == '=')) {
		if (s[p] == ' ' || s[p] == '\t' || s[p] == '\r' || s[p] == '\n')
			return false;
		p++;
	}
	if (p + 1 >= limit)
		return false;
	w->text_len = p - w->text;
	w->end = p + 2;
	return true;
}

struct rfc2047_state {
	struct strbuf *out;
	struct strbuf word;   /* decoded bytes of adjacent words, one charset */
	char charset[RFC2047_MAX_CHARSET];
	bool have_word;
	struct strbuf plain;  /* raw text since the last word */
};

static void rfc2047_flush_word(struct rfc2047_state *st)
{
	if (!st->have_word)
		return;
	mime_charset_append(st->out, st->word.buf ? st->word.buf : "", st->word.len, st->charset);
	strbuf_reset(&st->word);
	st->have_word = false;
}

static void rfc2047_flush_plain(struct rfc2047_state *st)
{
	if (st->plain.len == 0)
		return;
	rfc2047_flush_word(st);
	/* raw 8-bit text: UTF-8 if it is valid, else windows-1252 */
	mime_charset_append(st->out, st->plain.buf, st->plain.len, NULL);
	strbuf_reset(&st->plain);
}

static bool rfc2047_blank(const struct strbuf *sb)
{
	for (size_t i = 0; i < sb->len; i++)
		if (sb->buf[i] != ' ' && sb->buf[i] != '\t')
			return false;
	return true;
}

char *mime_decode_header(const char *raw)
{
	struct strbuf out = STRBUF_INIT;
	struct rfc2047_state st = { .out = &out, .word = STRBUF_INIT, .plain = STRBUF_INIT };
	size_t n = strlen(raw), i = 0;
	bool after_word = false;
	char *s;
	size_t len, start;

	while (i < n) {
		struct rfc2047_word w;

		if (raw[i] == '=' && i + 1 < n && raw[i + 1] == '?' && rfc2047_word(raw, i, n, &w)) {
			if (after_word && rfc2047_blank(&st.plain))
				strbuf_reset(&st.plain);  /* white space between words goes */
			else
				rfc2047_flush_plain(&st);
			if (st.have_word && strcasecmp(st.charset, w.charset) != 0)
				rfc2047_flush_word(&st);
			if (w.enc == 'B')
				mime_transfer_base64(&st.word, raw + w.text, w.text_len);
			else
				mime_transfer_qp(&st.word, raw + w.text, w.text_len, true);
			memcpy(st.charset, w.charset, sizeof(st.charset));
			st.have_word = true;
			after_word = true;
			i = w.end;
			continue;
		}
		/* unfold: a line break followed by white space is not content */
		if (raw[i] == '\r' && i + 2 < n && raw[i + 1] == '\n' &&
		    (raw[i + 2] == ' ' || raw[i + 2] == '\t')) {
			i += 2;
			continue;
		}
		if (raw[i] == '\n' && i + 1 < n && (raw[i + 1] == ' ' || raw[i + 1] == '\t')) {
			i++;
			continue;
		}
		strbuf_addch(&st.plain, raw[i]);
		if (raw[i] != ' ' && raw[i] != '\t')
			after_word = false;
		i++;
	}
	rfc2047_flush_plain(&st);
	rfc2047_flush_word(&st);
	strbuf_release(&st.word);
	strbuf_release(&st.plain);

	if (out.len && memchr(out.buf, '\0', out.len)) {
		/* "=00" must not cut the value short where it is a C string */
		struct strbuf fixed = STRBUF_INIT;

		for (size_t j = 0; j < out.len; j++) {
			if (out.buf[j])
				strbuf_addch(&fixed, out.buf[j]);
			else
				strbuf_add_utf8(&fixed, 0xFFFD);
		}
		strbuf_release(&out);
		out = fixed;
	}
	s = strbuf_detach(&out);
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
	for (start = 0; s[start] == ' ' || s[start] == '\t'; start++)
		;
	if (start)
		memmove(s, s + start, len - start + 1);
	return s;
}
