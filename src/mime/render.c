/*
 * mime_render: a parsed message as the text the pager shows.  Every byte
 * that comes from the message goes through sanitize_append here, header
 * values without SANITIZE_MULTILINE (so a decoded "\n" cannot forge a header
 * line), bodies with it.  The output is capped at MIME_MAX_RENDER bytes.
 */
#include "mime/private.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct render {
	struct strbuf out;
	const struct mime_message *m;
	unsigned flags;
	bool full;                       /* the cap was reached */
	const struct mime_node **atts;   /* attachments, for the list at the end */
	size_t natts;
};

/* Appends text (from the message or made from it) as safe text. */
static void render_add(struct render *r, const char *s, size_t len, unsigned sflags)
{
	size_t room;

	if (r->full)
		return;
	room = MIME_MAX_RENDER - r->out.len;
	if (len > room) {
		len = mime_utf8_cut(s, len, room);
		r->full = true;
	}
	sanitize_append(&r->out, s, len, sflags);
	if (r->out.len > MIME_MAX_RENDER) {
		r->out.len = mime_utf8_cut(r->out.buf, r->out.len, MIME_MAX_RENDER);
		r->out.buf[r->out.len] = '\0';
		r->full = true;
	}
}

static void render_str(struct render *r, const char *s)
{
	render_add(r, s, strlen(s), SANITIZE_MULTILINE);
}

/* petrel's own words, which may quote the message: one line, sanitized. */
static void render_note(struct render *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void render_note(struct render *r, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	if (r->out.len && r->out.buf[r->out.len - 1] != '\n')
		render_str(r, "\n");
	render_add(r, "[", 1, 0);
	render_add(r, s, strlen(s), 0);
	render_add(r, "]\n", 2, SANITIZE_MULTILINE);
	free(s);
}

/* Ends the output with a blank line (unless it is empty). */
static void render_blank(struct render *r)
{
	if (r->out.len == 0 || (r->out.len == 1 && r->out.buf[0] == '\n'))
		return;
	if (r->out.buf[r->out.len - 1] != '\n')
		render_str(r, "\n");
	if (r->out.len < 2 || r->out.buf[r->out.len - 2] != '\n')
		render_str(r, "\n");
}

static void render_header(struct render *r, const char *name, char *value)
{
	render_add(r, name, strlen(name), 0);
	render_add(r, ": ", 2, 0);
	render_add(r, value, strlen(value), 0);
	render_str(r, "\n");
	free(value);
}

static void render_headers(struct render *r, const struct mime_fields *f)
{
	static const char *const chosen[] = { "Date", "From", "To", "Cc", "Subject" };

	if (r->flags & MIME_RENDER_ALL_HEADERS) {
		for (size_t i = 0; i < f->n; i++)
			render_header(r, f->v[i].name, mime_decode_header(f->v[i].value));
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(chosen); i++) {
			const char *v = mime_fields_get(f, chosen[i]);

			if (!v)
				continue;
			if (i >= 1 && i <= 3)
				render_header(r, chosen[i], mime_imf_addresses(v, NULL));
			else
				render_header(r, chosen[i], mime_decode_header(v));
		}
	}
	if (f->too_many)
		render_note(r, "more than %d header fields; the rest are not shown", MIME_MAX_HEADERS);
	if (f->too_long)
		render_note(r, "a header field longer than %d KB was cut short",
			    MIME_MAX_HEADER_LINE / 1024);
}

/* Text attachments up to this size (patches, logs) are shown inline too. */
enum { RENDER_MAX_INLINE_ATTACHMENT = 128 * 1024 };

static bool render_is_text(const struct mime_node *n)
{
	/* a multipart without a boundary is a leaf: its raw text is all there is */
	return strncmp(n->type, "text/", 5) == 0 || strncmp(n->type, "multipart/", 10) == 0 ||
	       strcmp(n->type, "message/delivery-status") == 0 ||
	       strcmp(n->type, "message/disposition-notification") == 0 ||
	       strcmp(n->type, "message/feedback-report") == 0;
}

/* The part's text: decoded, in UTF-8, with LF line ends. */
static void render_decode_text(struct render *r, const struct mime_node *n, struct strbuf *text,
			       bool html)
{
	struct strbuf raw = STRBUF_INIT, utf8 = STRBUF_INIT;
	char *sniffed = NULL;
	const char *cs = n->charset;
	enum mime_charset_status st;
	size_t j = 0;

	/* the output is capped: decoding more than twice the cap is wasted */
	{
		struct mime_node head = *n;

		if (head.body_len > 2 * (size_t)MIME_MAX_RENDER)
			head.body_len = 2 * (size_t)MIME_MAX_RENDER;
		mime_node_decode(&head, &raw);
	}
	if (raw.len > MIME_MAX_RENDER)
		raw.len = MIME_MAX_RENDER;
	if (!cs && html)
		cs = sniffed = mime_html_meta_charset(strbuf_str(&raw), raw.len);
	st = mime_charset_append(&utf8, strbuf_str(&raw), raw.len, cs);
	if (st == MIME_CHARSET_UNKNOWN)
		render_note(r, "part %d: unknown charset \"%s\"; invalid bytes are shown as \xef\xbf\xbd",
			    n->index, cs);
	for (size_t i = 0; i < utf8.len; i++) {
		if (utf8.buf[i] == '\r' && i + 1 < utf8.len && utf8.buf[i + 1] == '\n')
			continue;
		utf8.buf[j++] = utf8.buf[i];
	}
	utf8.len = j;
	strbuf_add(text, strbuf_str(&utf8), utf8.len);
	strbuf_release(&raw);
	strbuf_release(&utf8);
	free(sniffed);
}

static void render_text_leaf(struct render *r, const struct mime_node *n)
{
	struct strbuf text = STRBUF_INIT, conv = STRBUF_INIT;
	bool html = strcmp(n->type, "text/html") == 0;

	render_decode_text(r, n, &text, html);
	if (html) {
		if (!mime_htmlcmd_run(&conv, strbuf_str(&text), text.len))
			mime_html_to_text(&conv, strbuf_str(&text), text.len);
	} else if (n->flowed && strcmp(n->type, "text/plain") == 0) {
		mime_flowed_decode(&conv, strbuf_str(&text), text.len, n->delsp);
	} else {
		strbuf_add(&conv, strbuf_str(&text), text.len);
	}
	render_add(r, strbuf_str(&conv), conv.len, SANITIZE_MULTILINE);
	if (r->out.len && r->out.buf[r->out.len - 1] != '\n')
		render_str(r, "\n");
	strbuf_release(&text);
	strbuf_release(&conv);
}

static void render_leaf(struct render *r, const struct mime_node *n)
{
	char size[32];

	mime_format_size(size, sizeof(size), n->size);
	if (n->is_attachment) {
		r->atts = xrealloc(r->atts, (r->natts + 1) * sizeof(*r->atts));
		r->atts[r->natts++] = n;
		if (!render_is_text(n) || strcmp(n->type, "text/html") == 0 ||
		    n->size > RENDER_MAX_INLINE_ATTACHMENT)
			return;
		render_blank(r);
		render_note(r, "part %d: %s, %s, %s", n->index, n->type, size,
			    n->filename ? n->filename : "no name");
		render_text_leaf(r, n);
		return;
	}
	render_blank(r);
	if (render_is_text(n)) {
		render_text_leaf(r, n);
		return;
	}
	render_note(r, "part %d: %s, %s \xe2\x80\x94 not shown; save it with petrel save %d",
		    n->index, n->type, size, n->index);
}

/* Is the first text in n plain text with something in it? */
static bool render_plain_first(const struct mime_node *n)
{
	if (n->kind == MIME_NODE_LEAF) {
		struct strbuf sb = STRBUF_INIT;
		bool blank = true;

		if (strcmp(n->type, "text/plain") != 0 || n->is_attachment)
			return false;
		mime_node_decode(n, &sb);
		for (size_t i = 0; i < sb.len && blank; i++)
			blank = sb.buf[i] == ' ' || sb.buf[i] == '\t' || sb.buf[i] == '\r' ||
				sb.buf[i] == '\n';
		strbuf_release(&sb);
		return !blank;
	}
	if (n->kind == MIME_NODE_MULTI && n->nkids)
		return render_plain_first(n->kids[0]);
	return false;
}

static bool render_has_text(const struct mime_node *n)
{
	if (n->kind == MIME_NODE_LEAF)
		return render_is_text(n) && !n->is_attachment;
	for (size_t i = 0; i < n->nkids; i++)
		if (render_has_text(n->kids[i]))
			return true;
	return false;
}

/* multipart/alternative: plain text when there is some, else the richest
 * (last) alternative with text in it, else the last one. */
static const struct mime_node *render_pick(const struct mime_node *n)
{
	if (n->nkids == 0)
		return NULL;
	for (size_t i = n->nkids; i-- > 0;)
		if (render_plain_first(n->kids[i]))
			return n->kids[i];
	for (size_t i = n->nkids; i-- > 0;)
		if (render_has_text(n->kids[i]))
			return n->kids[i];
	return n->kids[n->nkids - 1];
}

static void render_node(struct render *r, const struct mime_node *n, bool top);

static void render_message(struct render *r, const struct mime_node *n, bool top)
{
	const struct mime_node *body = n->nkids ? n->kids[0] : NULL;

	if (!top) {
		render_blank(r);
		render_str(r, "--- Forwarded message ---\n");
	}
	if (top && (r->flags & MIME_RENDER_BODY_ONLY)) {
		if (body)
			render_node(r, body, false);
		return;
	}
	if (body)
		render_headers(r, &body->fields);
	if (top)
		for (size_t i = 0; i < r->m->nnotes; i++)
			render_note(r, "petrel: %s", r->m->notes[i]);
	render_str(r, "\n");
	if (body)
		render_node(r, body, false);
	if (n->depth_cut || n->parts_cut)
		render_note(r, "the rest of this message is not shown (too deeply nested)");
	if (!top) {
		render_blank(r);
		render_str(r, "--- End of forwarded message ---\n");
	}
}

static void render_node(struct render *r, const struct mime_node *n, bool top)
{
	if (r->full)
		return;
	switch (n->kind) {
	case MIME_NODE_LEAF:
		render_leaf(r, n);
		break;
	case MIME_NODE_MESSAGE:
		render_message(r, n, top);
		break;
	case MIME_NODE_MULTI:
		if (strcmp(n->type, "multipart/alternative") == 0) {
			const struct mime_node *pick = render_pick(n);

			if (pick)
				render_node(r, pick, false);
		} else {
			bool digest = strcmp(n->type, "multipart/digest") == 0;

			for (size_t i = 0; i < n->nkids; i++) {
				const struct mime_node *k = n->kids[i];

				/* digests often carry each message's headers on the part */
				if (digest && k->kind == MIME_NODE_LEAF &&
				    (mime_fields_get(&k->fields, "From") ||
				     mime_fields_get(&k->fields, "Subject"))) {
					render_blank(r);
					render_headers(r, &k->fields);
				}
				render_node(r, k, false);
			}
		}
		if (n->depth_cut)
			render_note(r, "parts nested deeper than %d levels are not shown", MIME_MAX_DEPTH);
		if (n->parts_cut)
			render_note(r, "more than %d parts; the rest are not shown", MIME_MAX_PARTS);
		break;
	}
}

char *mime_render(const struct mime_message *m, unsigned flags)
{
	struct render r = { .out = STRBUF_INIT, .m = m, .flags = flags };
	bool full;

	render_node(&r, m->root, true);
	full = r.full;
	r.full = false;  /* room is kept below for the last words */
	if (full) {
		r.out.len = mime_utf8_cut(r.out.buf, r.out.len, MIME_MAX_RENDER - 4096);
		r.out.buf[r.out.len] = '\0';
		render_note(&r, "the message is too long to show whole; it was cut at %d MB",
			    MIME_MAX_RENDER >> 20);
	}
	if (r.natts && !(flags & MIME_RENDER_BODY_ONLY)) {
		render_blank(&r);
		render_str(&r, "Attachments:\n");
		for (size_t i = 0; i < r.natts && !r.full; i++) {
			const struct mime_node *a = r.atts[i];
			char size[32], *line;

			mime_format_size(size, sizeof(size), a->size);
			line = xasprintf("[%d] %s, %s%s%s", a->index, a->type, size,
					 a->filename ? ", " : "", a->filename ? a->filename : "");
			render_add(&r, line, strlen(line), 0);
			render_str(&r, "\n");
			free(line);
		}
	}
	free(r.atts);
	return strbuf_detach(&r.out);
}
