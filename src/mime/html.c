/*
 * HTML to readable text, built in so that showing an HTML mail never touches
 * the network and never depends on another program.  One linear pass over
 * the markup: scripts, styles and titles are dropped, block elements become
 * line breaks and blank lines, lists get "* " or "1. " markers, blockquotes
 * "> ", table cells a tab, links "text [n]" with the numbered URLs listed at
 * the end, character references are decoded.  Broken markup is read the way
 * a browser would guess, and no input costs more than linear time: an
 * unclosed tag, comment or script ends the document.
 */
#include "mime/private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	HTML_MAX_LISTS = 16,      /* list nesting that still indents */
	HTML_MAX_LINKS = 500,
	HTML_MAX_URL = 2048,
	HTML_MAX_NAME = 32,
	HTML_LINK_SLOTS = 1024,   /* a power of two, over twice HTML_MAX_LINKS */
};

struct html {
	struct strbuf *out;
	size_t out_start;
	const char *s;
	size_t len, pos;
	int pre, bq, skip;
	int nlists;
	struct { bool ordered; unsigned n; } lists[HTML_MAX_LISTS];
	int nl_want;           /* 1: line break, 2: blank line before the next text */
	bool space;            /* collapsible white space pending */
	bool line_start;
	int newlines;          /* newlines at the end of out */
	char marker[16];       /* list marker for the next line */
	bool in_a;
	char *href;
	size_t a_start;
	char **links;
	size_t nlinks;
	int link_slots[HTML_LINK_SLOTS];  /* hash of links: index + 1, 0 = free */
	bool row_cell;         /* a cell was seen in this table row */
};

enum html_tag_kind {
	HTML_OTHER, HTML_LINE, HTML_PARA, HTML_BR, HTML_HR, HTML_LI, HTML_LIST,
	HTML_PRE, HTML_BQ, HTML_A, HTML_IMG, HTML_CELL, HTML_ROW, HTML_RAWSKIP, HTML_SKIP,
	HTML_BODY,
};

static const struct {
	const char *name;
	enum html_tag_kind kind;
} html_tags[] = {
	{ "a", HTML_A }, { "address", HTML_PARA }, { "article", HTML_LINE },
	{ "aside", HTML_LINE }, { "blockquote", HTML_BQ }, { "body", HTML_BODY },
	{ "br", HTML_BR }, { "caption", HTML_LINE }, { "center", HTML_LINE },
	{ "dd", HTML_LINE }, { "details", HTML_LINE }, { "div", HTML_LINE },
	{ "dl", HTML_PARA }, { "dt", HTML_LINE }, { "fieldset", HTML_LINE },
	{ "figcaption", HTML_LINE }, { "figure", HTML_PARA }, { "footer", HTML_LINE },
	{ "form", HTML_LINE }, { "h1", HTML_PARA }, { "h2", HTML_PARA }, { "h3", HTML_PARA },
	{ "h4", HTML_PARA }, { "h5", HTML_PARA }, { "h6", HTML_PARA }, { "header", HTML_LINE },
	{ "hr", HTML_HR }, { "img", HTML_IMG }, { "legend", HTML_LINE }, { "li", HTML_LI },
	{ "main", HTML_LINE }, { "nav", HTML_LINE }, { "noembed", HTML_RAWSKIP },
	{ "noframes", HTML_RAWSKIP }, { "object", HTML_SKIP }, { "ol", HTML_LIST },
	{ "p", HTML_PARA }, { "pre", HTML_PRE }, { "script", HTML_RAWSKIP },
	{ "section", HTML_LINE }, { "select", HTML_SKIP }, { "style", HTML_RAWSKIP },
	{ "summary", HTML_LINE }, { "svg", HTML_SKIP }, { "table", HTML_PARA },
	{ "td", HTML_CELL }, { "template", HTML_SKIP }, { "textarea", HTML_LINE },
	{ "th", HTML_CELL }, { "title", HTML_RAWSKIP }, { "tr", HTML_ROW },
	{ "ul", HTML_LIST }, { "xmp", HTML_PRE },
};

static enum html_tag_kind html_kind(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(html_tags); i++)
		if (strcmp(html_tags[i].name, name) == 0)
			return html_tags[i].kind;
	return HTML_OTHER;
}

/* ---- output ---- */

static void html_newline(struct html *h)
{
	strbuf_addch(h->out, '\n');
	h->line_start = true;
	h->newlines++;
}

static void html_block(struct html *h, int n)
{
	if (n > h->nl_want)
		h->nl_want = n;
	h->space = false;
}

/* Gets out ready for visible text: pending breaks, prefixes, one space. */
static void html_before_text(struct html *h)
{
	if (h->out->len == h->out_start)
		h->nl_want = 0;  /* no blank lines at the top */
	if (h->nl_want) {
		if (!h->line_start)
			html_newline(h);
		if (h->nl_want == 2 && h->newlines < 2)
			html_newline(h);
		h->nl_want = 0;
		h->space = false;
	}
	if (h->line_start) {
		int indent = h->nlists < HTML_MAX_LISTS ? h->nlists : HTML_MAX_LISTS;

		for (int i = 0; i < h->bq; i++)
			strbuf_addstr(h->out, "> ");
		if (h->marker[0]) {
			for (int i = 1; i < indent; i++)
				strbuf_addstr(h->out, "  ");
			strbuf_addstr(h->out, h->marker);
			h->marker[0] = '\0';
		} else {
			for (int i = 0; i < indent; i++)
				strbuf_addstr(h->out, "  ");
		}
		h->line_start = false;
		h->space = false;
	} else if (h->space) {
		strbuf_addch(h->out, ' ');
	}
	h->space = false;
	h->newlines = 0;
}

static void html_text(struct html *h, const char *s, size_t n)
{
	if (h->skip || n == 0)
		return;
	html_before_text(h);
	strbuf_add(h->out, s, n);
}

static void html_char(struct html *h, uint32_t cp)
{
	if (h->skip)
		return;
	html_before_text(h);
	strbuf_add_utf8(h->out, cp);
}

/* ---- character references ---- */

/* windows-1252 for the C1 range, as HTML reads &#150; and friends */
static uint32_t html_numeric_fixup(uint32_t cp)
{
	static const uint16_t c1[32] = {
		0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
		0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
		0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
		0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
	};

	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0xFFFD;
	if (cp >= 0x80 && cp <= 0x9F)
		return c1[cp - 0x80];
	return cp;
}

/* Decodes a reference at s[i..n) (s[i] == '&'); returns its length and the
 * code point, or 0 if it is not one (then '&' is literal). */
static size_t html_entity(const char *s, size_t i, size_t n, uint32_t *cp)
{
	size_t p = i + 1;

	if (p < n && s[p] == '#') {
		bool hex = p + 1 < n && (s[p + 1] == 'x' || s[p + 1] == 'X');
		uint32_t v = 0;
		size_t d = 0;

		p += hex ? 2 : 1;
		for (; p < n; p++, d++) {
			int x;
			char c = s[p];

			if (c >= '0' && c <= '9')
				x = c - '0';
			else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
				x = (c | 0x20) - 'a' + 10;
			else
				break;
			if (v <= 0x10FFFF)
				v = v * (hex ? 16 : 10) + (uint32_t)x;
		}
		if (d == 0)
			return 0;
		if (p < n && s[p] == ';')
			p++;
		*cp = html_numeric_fixup(v);
		return p - i;
	}
	while (p < n && p - i <= HTML_MAX_NAME &&
	       ((s[p] >= 'a' && s[p] <= 'z') || (s[p] >= 'A' && s[p] <= 'Z') ||
		(s[p] >= '0' && s[p] <= '9')))
		p++;
	if (p == i + 1)
		return 0;
	*cp = mime_html_entity(s + i + 1, p - i - 1);
	if (!*cp)
		return 0;
	if (p < n && s[p] == ';')
		return p + 1 - i;
	/* a few old names are still read without their ';' */
	{
		static const char *const legacy[] = { "amp", "lt", "gt", "quot", "nbsp", "copy", "reg" };
		size_t len = p - i - 1;

		for (size_t k = 0; k < ARRAY_SIZE(legacy); k++)
			if (strlen(legacy[k]) == len && memcmp(s + i + 1, legacy[k], len) == 0)
				return p - i;
	}
	return 0;
}

/* Appends s[0..n) with references decoded (attribute values). */
static void html_decode_into(struct strbuf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = s[i] == '&' ? html_entity(s, i, n, &cp) : 0;

		if (k) {
			strbuf_add_utf8(out, cp);
			i += k;
		} else {
			strbuf_addch(out, s[i++]);
		}
	}
}

/* ---- links ---- */

static void html_link_end(struct html *h)
{
	const char *text;
	size_t tlen, num = 0;

	if (!h->in_a)
		return;
	h->in_a = false;
	if (!h->href)
		return;
	text = h->out->buf ? h->out->buf + h->a_start : "";
	tlen = h->out->len > h->a_start ? h->out->len - h->a_start : 0;
	while (tlen && (*text == ' ' || *text == '\n')) {
		text++;
		tlen--;
	}
	/* a link that shows its own address needs no number */
	if ((tlen == strlen(h->href) && memcmp(text, h->href, tlen) == 0) ||
	    (strncasecmp(h->href, "mailto:", 7) == 0 && tlen == strlen(h->href + 7) &&
	     memcmp(text, h->href + 7, tlen) == 0))
		goto out;
	/* the same URL keeps its number (mail repeats links a lot) */
	{
		uint32_t hash = 2166136261u;
		size_t slot;

		for (const char *p = h->href; *p; p++)
			hash = (hash ^ (unsigned char)*p) * 16777619u;
		for (slot = hash & (HTML_LINK_SLOTS - 1); h->link_slots[slot];
		     slot = (slot + 1) & (HTML_LINK_SLOTS - 1)) {
			if (strcmp(h->links[h->link_slots[slot] - 1], h->href) == 0) {
				num = (size_t)h->link_slots[slot];
				break;
			}
		}
		if (!num && h->nlinks < HTML_MAX_LINKS) {
			h->links = xrealloc(h->links, (h->nlinks + 1) * sizeof(*h->links));
			h->links[h->nlinks++] = h->href;
			h->href = NULL;
			num = h->nlinks;
			h->link_slots[slot] = (int)num;
		}
	}
	if (num) {
		char b[24];

		snprintf(b, sizeof(b), tlen ? " [%zu]" : "[%zu]", num);
		html_text(h, b, strlen(b));
	}
out:
	FREE_NULL(h->href);
}

static void html_link_start(struct html *h, const char *href)
{
	html_link_end(h);
	while (*href == ' ' || *href == '\t' || *href == '\n' || *href == '\r')
		href++;
	if (!*href || *href == '#' || strncasecmp(href, "javascript:", 11) == 0)
		return;
	h->in_a = true;
	h->href = xstrdup(href);
	util_trim(h->href);
	/* the text starts after any pending break or space */
	h->a_start = h->out->len;
}

/* ---- tags ---- */

struct html_tag {
	char name[HTML_MAX_NAME + 1];  /* lower case */
	bool end;                      /* </name> */
	struct strbuf attr;            /* the wanted attribute's value, decoded */
	bool has_attr;
};

/* Skips past the first occurrence of what (case-insensitive) at or after
 * h->pos; to the end if there is none. */
static void html_skip_past(struct html *h, const char *what)
{
	size_t wl = strlen(what);

	for (size_t i = h->pos; i + wl <= h->len; i++) {
		if (h->s[i] == what[0] && strncasecmp(h->s + i, what, wl) == 0) {
			h->pos = i + wl;
			return;
		}
	}
	h->pos = h->len;
}

/* Parses a tag at h->pos (just after '<'), keeping the value of attribute
 * want.  Returns false if the document ends inside the tag. */
static bool html_parse_tag(struct html *h, struct html_tag *t, const char *want)
{
	const char *s = h->s;
	size_t n = h->len, p = h->pos, k = 0;

	t->end = s[p] == '/';
	if (t->end)
		p++;
	while (p < n && (((s[p] | 0x20) >= 'a' && (s[p] | 0x20) <= 'z') ||
			 (s[p] >= '0' && s[p] <= '9') || s[p] == '-' || s[p] == ':')) {
		if (k < HTML_MAX_NAME)
			t->name[k++] = (char)(s[p] >= 'A' && s[p] <= 'Z' ? s[p] + 32 : s[p]);
		p++;
	}
	t->name[k] = '\0';
	for (;;) {
		size_t an, al, vs, ve;

		while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r' ||
				 s[p] == '\f' || s[p] == '/'))
			p++;
		if (p >= n)
			return false;
		if (s[p] == '>') {
			h->pos = p + 1;
			return true;
		}
		an = p;
		while (p < n && s[p] != '=' && s[p] != '>' && s[p] != ' ' && s[p] != '\t' &&
		       s[p] != '\n' && s[p] != '\r' && s[p] != '/')
			p++;
		al = p - an;
		while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r'))
			p++;
		if (p >= n || s[p] != '=')
			continue;
		p++;
		while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r'))
			p++;
		if (p < n && (s[p] == '"' || s[p] == '\'')) {
			const char *close = memchr(s + p + 1, s[p], n - p - 1);

			if (!close)
				return false;
			vs = p + 1;
			ve = (size_t)(close - s);
			p = ve + 1;
		} else {
			vs = p;
			while (p < n && s[p] != '>' && s[p] != ' ' && s[p] != '\t' && s[p] != '\n' &&
			       s[p] != '\r')
				p++;
			ve = p;
		}
		if (want && !t->has_attr && al == strlen(want) && strncasecmp(s + an, want, al) == 0) {
			t->has_attr = true;
			html_decode_into(&t->attr, s + vs, ve - vs > HTML_MAX_URL ? HTML_MAX_URL : ve - vs);
		}
	}
}

static void html_list_item(struct html *h)
{
	html_block(h, 1);
	if (h->nlists == 0) {
		snprintf(h->marker, sizeof(h->marker), "* ");
	} else if (h->nlists <= HTML_MAX_LISTS && h->lists[h->nlists - 1].ordered) {
		snprintf(h->marker, sizeof(h->marker), "%u. ", ++h->lists[h->nlists - 1].n);
	} else {
		snprintf(h->marker, sizeof(h->marker), "* ");
	}
	/* the marker must start a line even if the item is empty so far */
	if (!h->line_start && h->out->len != h->out_start) {
		html_newline(h);
		h->nl_want = 0;
	}
}

static void html_tag(struct html *h, struct html_tag *t)
{
	enum html_tag_kind kind = html_kind(t->name);

	switch (kind) {
	case HTML_OTHER:
		break;
	case HTML_BODY:
		h->skip = 0;
		break;
	case HTML_LINE:
		html_block(h, 1);
		break;
	case HTML_PARA:
		html_block(h, 2);
		break;
	case HTML_BR:
		/* a <br> next to a block break is absorbed by it */
		if (h->skip || h->nl_want || h->out->len == h->out_start)
			break;
		if (!h->line_start || h->newlines < 2 || h->pre)
			html_newline(h);
		h->space = false;
		break;
	case HTML_HR:
		html_block(h, 2);
		if (!t->end) {
			html_text(h, "----------", 10);
			html_block(h, 2);
		}
		break;
	case HTML_LIST:
		if (t->end) {
			if (h->nlists > 0)
				h->nlists--;
		} else {
			if (h->nlists < HTML_MAX_LISTS) {
				h->lists[h->nlists].ordered = strcmp(t->name, "ol") == 0;
				h->lists[h->nlists].n = 0;
			}
			if (h->nlists < 1000)
				h->nlists++;
		}
		html_block(h, h->nlists == 0 ? 2 : 1);
		break;
	case HTML_LI:
		if (t->end)
			html_block(h, 1);
		else
			html_list_item(h);
		break;
	case HTML_PRE:
		html_block(h, 2);
		if (t->end) {
			if (h->pre > 0)
				h->pre--;
		} else if (h->pre < 1000) {
			h->pre++;
		}
		break;
	case HTML_BQ:
		html_block(h, 2);
		if (t->end) {
			if (h->bq > 0)
				h->bq--;
		} else if (h->bq < 8) {
			h->bq++;
		}
		break;
	case HTML_A:
		if (t->end)
			html_link_end(h);
		else if (t->has_attr)
			html_link_start(h, strbuf_str(&t->attr));
		break;
	case HTML_IMG:
		if (t->has_attr) {
			char *alt = util_trim(xstrdup(strbuf_str(&t->attr)));

			if (*alt) {
				html_text(h, "[", 1);
				html_text(h, alt, strlen(alt));
				html_text(h, "]", 1);
			}
			free(alt);
		}
		break;
	case HTML_ROW:
		html_block(h, 1);
		h->row_cell = false;
		break;
	case HTML_CELL:
		if (!t->end) {
			if (h->row_cell && !h->nl_want && !h->line_start && !h->skip)
				strbuf_addch(h->out, '\t');
			h->row_cell = true;
			h->space = false;
		}
		break;
	case HTML_SKIP:
		if (t->end) {
			if (h->skip > 0)
				h->skip--;
		} else if (h->skip < 1000) {
			h->skip++;
		}
		break;
	case HTML_RAWSKIP:
		if (!t->end) {
			char close[HTML_MAX_NAME + 3];

			/* raw text: no markup inside, up to the end tag */
			snprintf(close, sizeof(close), "</%s", t->name);
			html_skip_past(h, close);
			html_skip_past(h, ">");
		}
		break;
	}
}

/* Handles markup at h->pos (h->s[h->pos] == '<'). */
static void html_markup(struct html *h)
{
	const char *s = h->s;
	size_t n = h->len, p = h->pos + 1;
	struct html_tag t;
	const char *want;

	if (p < n && s[p] == '!') {
		h->pos = p + 1;
		html_skip_past(h, p + 2 < n && s[p + 1] == '-' && s[p + 2] == '-' ? "-->" : ">");
		return;
	}
	if (p < n && s[p] == '?') {
		h->pos = p + 1;
		html_skip_past(h, ">");
		return;
	}
	if (p >= n || !(((s[p] | 0x20) >= 'a' && (s[p] | 0x20) <= 'z') ||
			(s[p] == '/' && p + 1 < n && (s[p + 1] | 0x20) >= 'a' && (s[p + 1] | 0x20) <= 'z'))) {
		html_text(h, "<", 1);  /* a lone '<' is text */
		h->pos = p;
		return;
	}
	memset(&t, 0, sizeof(t));
	strbuf_init(&t.attr);
	h->pos = p;
	/* only two attributes matter; peek at the name to know which */
	{
		size_t q = p + (s[p] == '/');

		if ((s[q] | 0x20) == 'a' && (q + 1 >= n || !(((s[q + 1] | 0x20) >= 'a' &&
							      (s[q + 1] | 0x20) <= 'z') ||
							     (s[q + 1] >= '0' && s[q + 1] <= '9'))))
			want = "href";
		else if (q + 3 <= n && strncasecmp(s + q, "img", 3) == 0)
			want = "alt";
		else
			want = NULL;
	}
	if (!html_parse_tag(h, &t, want))
		h->pos = n;  /* the document ends inside a tag */
	else
		html_tag(h, &t);
	strbuf_release(&t.attr);
}

static void html_whitespace(struct html *h, char c)
{
	if (h->skip)
		return;
	if (!h->pre) {
		h->space = true;
		return;
	}
	if (c == '\n') {
		html_newline(h);
	} else if (c != '\r') {
		html_before_text(h);
		strbuf_addch(h->out, c);
	}
}

void mime_html_to_text(struct strbuf *out, const char *html, size_t len)
{
	struct html h;

	memset(&h, 0, sizeof(h));
	h.out = out;
	h.out_start = out->len;
	h.s = html;
	h.len = len;
	h.line_start = true;
	h.newlines = 2;
	while (h.pos < h.len) {
		char c = html[h.pos];
		size_t start = h.pos;

		if (c == '<') {
			html_markup(&h);
		} else if (c == '&') {
			uint32_t cp;
			size_t k = html_entity(html, h.pos, h.len, &cp);

			if (k) {
				html_char(&h, cp);
				h.pos += k;
			} else {
				html_text(&h, "&", 1);
				h.pos++;
			}
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			html_whitespace(&h, c);
			h.pos++;
		} else {
			while (h.pos < h.len && html[h.pos] != '<' && html[h.pos] != '&' &&
			       html[h.pos] != ' ' && html[h.pos] != '\t' && html[h.pos] != '\n' &&
			       html[h.pos] != '\r' && html[h.pos] != '\f')
				h.pos++;
			html_text(&h, html + start, h.pos - start);
		}
	}
	html_link_end(&h);
	if (out->len > h.out_start && !h.line_start)
		strbuf_addch(out, '\n');
	if (h.nlinks) {
		strbuf_addch(out, '\n');
		for (size_t i = 0; i < h.nlinks; i++) {
			strbuf_addf(out, "[%zu] %s\n", i + 1, h.links[i]);
			free(h.links[i]);
		}
	}
	free(h.links);
	free(h.href);
}

char *mime_html_meta_charset(const char *html, size_t len)
{
	size_t n = len < 4096 ? len : 4096;

	for (size_t i = 0; i + 5 <= n; i++) {
		size_t end, j;

		if (html[i] != '<' || strncasecmp(html + i, "<meta", 5) != 0)
			continue;
		for (end = i; end < n && html[end] != '>'; end++)
			;
		for (j = i; j + 8 <= end; j++) {
			size_t k;

			if (strncasecmp(html + j, "charset=", 8) != 0)
				continue;
			j += 8;
			while (j < end && (html[j] == '"' || html[j] == '\'' || html[j] == ' '))
				j++;
			for (k = j; k < end && k - j < 40 &&
			     (((html[k] | 0x20) >= 'a' && (html[k] | 0x20) <= 'z') ||
			      (html[k] >= '0' && html[k] <= '9') || html[k] == '-' || html[k] == '_' ||
			      html[k] == '.' || html[k] == ':'); k++)
				;
			if (k > j)
				return xstrndup(html + j, k - j);
		}
	}
	return NULL;
}
