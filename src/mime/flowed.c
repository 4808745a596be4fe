/*
 * RFC 3676 format=flowed: lines ending in a space continue on the next line
 * of the same quote depth.  Soft breaks are joined (the pager wraps to the
 * screen), space-stuffing is removed, DelSp=yes drops the soft-break space,
 * and quoted paragraphs come out with one "> " prefix per level.
 */
#include "mime/private.h"

#include <string.h>

struct flowed_line {
	size_t depth;        /* quote level */
	const char *text;    /* after quotes and stuffing */
	size_t len;          /* without the soft-break space when DelSp=yes */
	bool soft;           /* ends in a soft break */
};

static void flowed_split(const char *s, size_t len, bool delsp, struct flowed_line *l)
{
	size_t i = 0;

	l->depth = 0;
	while (i < len && s[i] == '>') {
		l->depth++;
		i++;
	}
	if (i < len && s[i] == ' ')
		i++;  /* space-stuffing (or the space after the quote marks) */
	l->text = s + i;
	l->len = len - i;
	/* "-- " is the signature separator, never a soft break */
	l->soft = l->len > 0 && l->text[l->len - 1] == ' ' &&
		  !(l->len == 3 && memcmp(l->text, "-- ", 3) == 0);
	if (l->soft && delsp)
		l->len--;
}

static void flowed_prefix(struct strbuf *out, size_t depth)
{
	if (depth == 0)
		return;
	for (size_t i = 0; i < depth; i++)
		strbuf_addch(out, '>');
	strbuf_addch(out, ' ');
}

void mime_flowed_decode(struct strbuf *out, const char *text, size_t len, bool delsp)
{
	size_t pos = 0;
	bool open = false;     /* a paragraph is being joined */
	size_t open_depth = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		struct flowed_line l;

		flowed_split(text + pos, end - pos, delsp, &l);
		if (open && l.depth != open_depth) {
			/* quote depth changed under a soft break: the paragraph ends */
			strbuf_addch(out, '\n');
			open = false;
		}
		if (!open)
			flowed_prefix(out, l.depth);
		strbuf_add(out, l.text, l.len);
		if (l.soft) {
			open = true;
			open_depth = l.depth;
		} else {
			strbuf_addch(out, '\n');
			open = false;
		}
		pos = nl ? end + 1 : len;
	}
	if (open)
		strbuf_addch(out, '\n');
}
