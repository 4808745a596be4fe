/*
 * The terminal sanitizer.  It decodes UTF-8 strictly and re-encodes only
 * what is safe to print, so nothing from a message or a server can move the
 * cursor, change colours, set the title, write the clipboard (OSC 52) or
 * reorder what the user sees.
 */
#include "mime/mime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>



static bool sanitize_is_bidi(uint32_t c)
{
	return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x200E || c == 0x200F || c == 0x061C;
}

/* Invisible characters with no business in mail text shown on a terminal.
 * ZWJ/ZWNJ (U+200D/U+200C) stay: emoji and several scripts need them. */
static bool sanitize_is_invisible(uint32_t c)
{
	return c == 0x200B || (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF ||
	       (c >= 0xFFF9 && c <= 0xFFFB) || (c >= 0xE0000 && c <= 0xE007F) ||
	       c == 0x180E || c == 0x034F;
}

void sanitize_append(struct strbuf *out, const char *in, size_t len, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, col = 0;
	bool multiline = flags & SANITIZE_MULTILINE;

	strbuf_grow(out, len);
	while (i < len) {
		uint32_t c;
		size_t n = util_utf8_decode(s + i, len - i, &c);

		if (n == 0) {
			strbuf_add_utf8(out, 0xFFFD);
			i++;
			col++;
			continue;
		}
		i += n;
		if (c == '\n' || c == 0x2028 || c == 0x2029) {
			if (multiline) {
				strbuf_addch(out, '\n');
				col = 0;
			} else {
				strbuf_addch(out, ' ');
				col++;
			}
		} else if (c == '\r') {
			if (i < len && s[i] == '\n')
				continue;  /* CRLF is a line break */
			if (multiline) {
				strbuf_addstr(out, "^M");
				col += 2;
			} else {
				strbuf_addch(out, ' ');
				col++;
			}
		} else if (c == '\t') {
			size_t to = (flags & SANITIZE_NO_TABS) ? col + 1 : (col / 8 + 1) * 8;
			while (col < to) {
				strbuf_addch(out, ' ');
				col++;
			}
		} else if (c < 0x20 || c == 0x7F) {
			strbuf_addch(out, '^');
			strbuf_addch(out, c == 0x7F ? '?' : (int)(c + 0x40));
			col += 2;
		} else if (c >= 0x80 && c <= 0x9F) {
			/* C1: 8-bit forms of ESC + letter; show them as such */
			strbuf_addstr(out, "^[");
			strbuf_addch(out, (int)(c - 0x40));
			col += 3;
		} else if (sanitize_is_bidi(c)) {
			strbuf_addf(out, "<U+%04X>", (unsigned)c);
			col += 8;
		} else if (sanitize_is_invisible(c)) {
			continue;
		} else {
			strbuf_add_utf8(out, c);
			col++;
		}
	}
}

char *sanitize(const char *in, size_t len, unsigned flags)
{
	struct strbuf sb = STRBUF_INIT;

	sanitize_append(&sb, in, len, flags);
	return strbuf_detach(&sb);
}

char *sanitize_line(const char *s)
{
	return sanitize(s, strlen(s), 0);
}
