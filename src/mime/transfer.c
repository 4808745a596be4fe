/*
 * Content-Transfer-Encoding: base64 and quoted-printable decoders that never
 * give up.  Mail breaks these in every way (stray characters, missing
 * padding, two encodings glued together, "=" followed by junk), and the
 * reader still wants to see what can be seen, so both decode as far as the
 * input makes sense and only report that it was malformed.
 */
#include "mime/private.h"

#include <string.h>

static int transfer_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')  /* '-' and '_': base64url, seen in the wild */
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Emits what a partial quantum of n sextets holds. */
static bool transfer_b64_flush(struct strbuf *out, const int *q, int n)
{
	unsigned char b[2];

	if (n < 2)
		return n != 0;  /* one lone sextet carries no full byte */
	b[0] = (unsigned char)((q[0] << 2) | (q[1] >> 4));
	if (n == 2) {
		strbuf_add(out, b, 1);
		return false;
	}
	b[1] = (unsigned char)(((q[1] & 0xF) << 4) | (q[2] >> 2));
	strbuf_add(out, b, 2);
	return false;
}

bool mime_transfer_base64(struct strbuf *out, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	int q[4];
	int n = 0;
	bool bad = false;

	strbuf_grow(out, len / 4 * 3 + 3);
	for (size_t i = 0; i < len; i++) {
		int v = transfer_b64_value(p[i]);

		if (v < 0) {
			if (p[i] == '=') {
				/* padding ends a quantum; more may follow (glued parts) */
				bad |= transfer_b64_flush(out, q, n);
				n = 0;
			} else if (p[i] != '\r' && p[i] != '\n' && p[i] != ' ' && p[i] != '\t') {
				bad = true;
			}
			continue;
		}
		q[n++] = v;
		if (n == 4) {
			unsigned char b[3] = {
				(unsigned char)((q[0] << 2) | (q[1] >> 4)),
				(unsigned char)(((q[1] & 0xF) << 4) | (q[2] >> 2)),
				(unsigned char)(((q[2] & 0x3) << 6) | q[3]),
			};
			strbuf_add(out, b, 3);
			n = 0;
		}
	}
	if (n)
		bad = true;
	bad |= transfer_b64_flush(out, q, n);
	return bad;
}

static int transfer_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool mime_transfer_qp(struct strbuf *out, const char *data, size_t len, bool q_word)
{
	const unsigned char *p = (const unsigned char *)data;
	bool bad = false;
	size_t i = 0;

	strbuf_grow(out, len);
	while (i < len) {
		unsigned char c = p[i];

		if (c == '=') {
			size_t j = i + 1;
			int hi, lo;

			if (j + 1 < len &&
			    (hi = transfer_hex(p[j])) >= 0 && (lo = transfer_hex(p[j + 1])) >= 0) {
				strbuf_addch(out, hi << 4 | lo);
				i = j + 2;
				continue;
			}
			/* soft line break: "=", maybe trailing white space, newline */
			while (j < len && (p[j] == ' ' || p[j] == '\t'))
				j++;
			if (j < len && p[j] == '\r' && j + 1 < len && p[j + 1] == '\n') {
				i = j + 2;
				continue;
			}
			if (j < len && p[j] == '\n') {
				i = j + 1;
				continue;
			}
			if (j == len) {
				i = len;
				continue;
			}
			bad = true;  /* "=" then junk: keep it as written */
			strbuf_addch(out, '=');
			i++;
			continue;
		}
		if (!q_word && (c == ' ' || c == '\t')) {
			/* white space at the end of a line was added in transport */
			size_t j = i;

			while (j < len && (p[j] == ' ' || p[j] == '\t'))
				j++;
			if (j == len || p[j] == '\n' || (p[j] == '\r' && j + 1 < len && p[j + 1] == '\n')) {
				i = j;
				continue;
			}
			strbuf_add(out, data + i, j - i);
			i = j;
			continue;
		}
		if (q_word && c == '_')
			c = ' ';
		strbuf_addch(out, c);
		i++;
	}
	return bad;
}

bool mime_transfer_decode(struct strbuf *out, const char *data, size_t len,
			  enum mime_encoding enc)
{
	switch (enc) {
	case MIME_ENC_BASE64:
		return mime_transfer_base64(out, data, len);
	case MIME_ENC_QP:
		return mime_transfer_qp(out, data, len, false);
	case MIME_ENC_RAW:
		strbuf_add(out, data, len);
		return false;
	}
	BUG("unknown transfer encoding %d", (int)enc);
}
