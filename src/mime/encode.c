/*
 * Header values for outgoing mail: UTF-8 text turned into what RFC 5322
 * allows on the wire.  Unstructured text (Subject) and display names become
 * RFC 2047 encoded words (UTF-8, Q for mostly-ASCII text, B otherwise) only
 * where they are not plain ASCII; address lists are parsed by libetpan's
 * mailimf and written back mailbox by mailbox, so groups and quoted names
 * survive; file names get RFC 2231 extended values.  The reverse direction
 * is rfc2047.c and params.c.
 */
#include "mime/private.h"

#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An encoded word may be 75 bytes; "=?utf-8?Q?" and "?=" take 12 of them. */
enum { ENCODE_WORD_TEXT = 75 - 12 };

static bool encode_is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* Characters RFC 2047 allows unencoded in a Q word inside a phrase, the
 * strictest of its three contexts, so one rule fits all headers. */
static bool encode_q_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

/* Length of the UTF-8 sequence starting at s (1 for stray bytes). */
static size_t encode_char_len(const char *s, size_t left)
{
	uint32_t cp;
	size_t n = util_utf8_decode((const unsigned char *)s, left, &cp);

	return n ? n : 1;
}

/* Appends s[0..len) as encoded words separated by spaces, never splitting a
 * UTF-8 character between two words. */
static void encode_words(struct strbuf *out, const char *s, size_t len)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t qlen = 0, i = 0;
	bool use_b;

	/* whichever is shorter: Q keeps mostly-Latin text readable */
	for (size_t k = 0; k < len; k++)
		qlen += encode_q_plain((unsigned char)s[k]) || s[k] == ' ' ? 1 : 3;
	use_b = qlen > (len + 2) / 3 * 4;
	while (i < len) {
		size_t start = i, cost = 0;

		/* take whole characters while the word has room */
		while (i < len) {
			size_t n = encode_char_len(s + i, len - i), c = 0;

			if (use_b) {
				c = ((i - start + n + 2) / 3) * 4;
				if (c > ENCODE_WORD_TEXT)
					break;
			} else {
				for (size_t k = 0; k < n; k++)
					c += encode_q_plain((unsigned char)s[i + k]) || s[i + k] == ' ' ? 1 : 3;
				if (cost + c > ENCODE_WORD_TEXT)
					break;
			}
			cost = use_b ? c : cost + c;
			i += n;
		}
		if (i == start)  /* cannot happen with a 63-byte budget; be safe */
			i += encode_char_len(s + i, len - i);
		if (start > 0)
			strbuf_addch(out, ' ');
		strbuf_addstr(out, use_b ? "=?utf-8?B?" : "=?utf-8?Q?");
		if (use_b) {
			for (size_t k = start; k < i; k += 3) {
				unsigned v = (unsigned char)s[k] << 16;
				size_t n = i - k < 3 ? i - k : 3;

				if (n > 1)
					v |= (unsigned char)s[k + 1] << 8;
				if (n > 2)
					v |= (unsigned char)s[k + 2];
				strbuf_addch(out, b64[(v >> 18) & 63]);
				strbuf_addch(out, b64[(v >> 12) & 63]);
				strbuf_addch(out, n > 1 ? b64[(v >> 6) & 63] : '=');
				strbuf_addch(out, n > 2 ? b64[v & 63] : '=');
			}
		} else {
			for (size_t k = start; k < i; k++) {
				unsigned char c = (unsigned char)s[k];

				if (c == ' ')
					strbuf_addch(out, '_');
				else if (encode_q_plain(c))
					strbuf_addch(out, (char)c);
				else
					strbuf_addf(out, "=%02X", c);
			}
		}
		strbuf_addstr(out, "?=");
	}
}

/* Whether a space-separated token must be encoded: 8-bit bytes, or text a
 * decoder would take for an encoded word. */
static bool encode_token_needs(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80 || (s[i] == '=' && i + 1 < len && s[i + 1] == '?'))
			return true;
	return false;
}

void mime_encode_text(struct strbuf *out, const char *s)
{
	size_t len = strlen(s), first = len, last_end = 0, i = 0;

	/* encode only the span from the first token that needs it to the end
	 * of the last one, so "Re: Grüße" keeps its readable "Re:" */
	while (i < len) {
		size_t j = i;

		while (j < len && s[j] != ' ')
			j++;
		if (encode_token_needs(s + i, j - i)) {
			if (first == len)
				first = i;
			last_end = j;
		}
		i = j + 1;
	}
	if (first == len) {
		strbuf_addstr(out, s);
		return;
	}
	strbuf_add(out, s, first);
	encode_words(out, s + first, last_end - first);
	strbuf_addstr(out, s + last_end);
}

/* RFC 5322 atext, plus the space between words of a phrase. */
static bool encode_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("!#$%&'*+-/=?^_`{|}~ ", c) != NULL;
}

void mime_encode_phrase(struct strbuf *out, const char *s)
{
	bool plain = *s && s[0] != ' ' && s[strlen(s) - 1] != ' ' && !strstr(s, "=?");

	if (!encode_is_ascii(s)) {
		encode_words(out, s, strlen(s));
		return;
	}
	for (const char *p = s; *p && plain; p++)
		plain = encode_atext((unsigned char)*p) && !(p[0] == ' ' && p[1] == ' ');
	if (plain) {
		strbuf_addstr(out, s);
		return;
	}
	strbuf_addch(out, '"');
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addch(out, '\\');
		strbuf_addch(out, *p);
	}
	strbuf_addch(out, '"');
}

void mime_encode_param_2231(struct strbuf *out, const char *s)
{
	strbuf_addstr(out, "utf-8''");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		/* attribute-char of RFC 2231: token characters but * ' % */
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("!#$&+-.^_`|~", *p))
			strbuf_addch(out, (char)*p);
		else
			strbuf_addf(out, "%%%02X", *p);
	}
}

/* An address as libetpan read it must look like local@domain and nothing
 * else: libetpan is lenient and takes "bad <<x@y" or a bare word. */
static bool encode_addr_ok(const char *a)
{
	const char *at = strrchr(a, '@');

	if (!at || at == a || !at[1])
		return false;
	for (const char *p = a; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c == 0x7f || strchr("<>,;()\\", c))
			return false;
		if ((c == '[' || c == ']') && p < at)  /* a domain literal only */
			return false;
	}
	return true;
}

static bool encode_mailbox(struct strbuf *out, const struct mailimf_mailbox *mb,
			   struct mime_addr_fn *fn, bool *first)
{
	if (!encode_addr_ok(mb->mb_addr_spec))
		return false;
	if (fn->keep && !fn->keep(mb->mb_addr_spec, fn->arg))
		return true;
	strbuf_addstr(out, *first ? "" : ", ");
	*first = false;
	if (mb->mb_display_name && *mb->mb_display_name) {
		char *dn = util_trim(xstrdup(mb->mb_display_name));

		if (*dn) {
			mime_encode_phrase(out, dn);
			strbuf_addch(out, ' ');
		}
		free(dn);
		strbuf_addf(out, "<%s>", mb->mb_addr_spec);
	} else {
		strbuf_addstr(out, mb->mb_addr_spec);
	}
	fn->count++;
	return true;
}

/* What may follow the last address libetpan read: separators and a comment. */
static bool encode_rest_ok(const char *s)
{
	int depth = 0;

	for (; *s; s++) {
		if (*s == '(')
			depth++;
		else if (*s == ')' && depth > 0)
			depth--;
		else if (!depth && *s != ' ' && *s != '\t' && *s != ',')
			return false;
	}
	return depth == 0;
}

int mime_encode_addresses(struct strbuf *out, const char *value, struct mime_addr_fn *fn,
			  char **cause)
{
	struct mailimf_address_list *al = NULL;
	struct mime_addr_fn own = { 0 };
	char *v = mime_imf_defuse(value);
	size_t idx = 0, before = out->len;
	bool first = true;
	int rc = -1;

	if (!fn)
		fn = &own;
	fn->count = 0;
	if (!*util_trim(v)) {
		rc = 0;
		goto out;
	}
	if (mailimf_address_list_parse(v, strlen(v), &idx, &al) != MAILIMF_NO_ERROR ||
	    !encode_rest_ok(v + idx))
		goto bad;
	for (clistiter *it = clist_begin(al->ad_list); it; it = clist_next(it)) {
		const struct mailimf_address *ad = clist_content(it);

		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX) {
			if (!encode_mailbox(out, ad->ad_data.ad_mailbox, fn, &first))
				goto bad;
			continue;
		}
		/* a group: "Name: member, member;" (members may be none) */
		strbuf_addstr(out, first ? "" : ", ");
		mime_encode_phrase(out, ad->ad_data.ad_group->grp_display_name);
		strbuf_addstr(out, ": ");
		first = true;
		if (ad->ad_data.ad_group->grp_mb_list) {
			clist *l = ad->ad_data.ad_group->grp_mb_list->mb_list;

			for (clistiter *j = clist_begin(l); j; j = clist_next(j))
				if (!encode_mailbox(out, clist_content(j), fn, &first))
					goto bad;
		}
		if (first)  /* no member: "Name:;" */
			out->len -= 1;
		strbuf_addch(out, ';');
		first = false;
	}
	rc = (int)fn->count;
	goto out;
bad:
	if (out->buf) {
		out->len = before;
		out->buf[before] = '\0';
	}
	*cause = xasprintf("cannot read \"%s\" as a list of mail addresses", value);
out:
	if (al)
		mailimf_address_list_free(al);
	free(v);
	return rc;
}

/* Quoted-printable of our own: libetpan 1.9.4's writer turns a space or tab
 * at the end of a line into the character followed by its =20/=09 (so "-- "
 * decodes as "--  ", which breaks every signature separator) and leaves one
 * at the very end unencoded. */
void mime_encode_qp(struct strbuf *out, const char *s, size_t len)
{
	size_t col = 0;
	bool bol = true;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool eol = i + 1 == len || s[i + 1] == '\n' ||
			   (s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n');
		char tok[4];
		size_t tl;

		if (c == '\n' || (c == '\r' && i + 1 < len && s[i + 1] == '\n')) {
			if (c == '\r')
				i++;
			strbuf_addstr(out, "\r\n");
			col = 0;
			bol = true;
			continue;
		}
		/* "From " and "." at the start of a line upset some relays */
		if ((c >= 33 && c <= 126 && c != '=' &&
		     !(bol && ((c == 'F' && len - i >= 5 && memcmp(s + i, "From ", 5) == 0) ||
			       c == '.'))) ||
		    ((c == ' ' || c == '\t') && !eol)) {
			tok[0] = (char)c;
			tl = 1;
		} else {
			snprintf(tok, sizeof(tok), "=%02X", c);
			tl = 3;
		}
		if (col + tl > 75) {  /* soft break: lines stay within 76 */
			strbuf_addstr(out, "=\r\n");
			col = 0;
		}
		strbuf_add(out, tok, tl);
		col += tl;
		bol = false;
	}
	if (len && s[len - 1] != '\n')
		strbuf_addstr(out, "\r\n");
}
