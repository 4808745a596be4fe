/*
 * mime_parse: a message read by libetpan's mailmime_parse (behind the guard,
 * guard.c) and turned into petrel's own small tree of parts.  The tree keeps
 * what rendering and saving need (type, charset, file name, raw body) and
 * enforces MIME_MAX_DEPTH and MIME_MAX_PARTS; libetpan's structures are
 * freed as soon as the tree is built.  Leaves are numbered from 1 in
 * document order; those numbers are what the user sees and saves by.
 */
#include "mime/private.h"

#include <libetpan/libetpan.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct parse_ctx {
	struct mime_message *m;
	const char *pbase;  /* what libetpan parsed (perhaps the defused copy) */
	const char *rbase;  /* the bytes the nodes point into (same offsets) */
	size_t len;         /* bytes parsed */
	size_t orig_len;    /* of which the message's own (the rest: closers) */
};

static struct mime_node *parse_buffer(struct mime_message *m, char *buf, size_t len, int depth);

void mime_message_note(struct mime_message *m, const char *fmt, ...)
{
	va_list ap;

	m->notes = xrealloc(m->notes, (m->nnotes + 1) * sizeof(*m->notes));
	va_start(ap, fmt);
	m->notes[m->nnotes++] = xvasprintf(fmt, ap);
	va_end(ap);
}

void mime_format_size(char *buf, size_t bufsz, size_t size)
{
	if (size < 1024)
		snprintf(buf, bufsz, "%zu B", size);
	else if (size < 1024 * 1024)
		snprintf(buf, bufsz, "%zu KB", (size + 1023) / 1024);
	else
		snprintf(buf, bufsz, "%.1f MB", (double)size / (1024.0 * 1024.0));
}

static char *parse_own_buffer(struct mime_message *m, char *buf)
{
	m->bufs = xrealloc(m->bufs, (m->nbufs + 1) * sizeof(*m->bufs));
	m->bufs[m->nbufs++] = buf;
	return buf;
}

/* Maps a pointer into what libetpan parsed to the real bytes; NULL if it
 * points elsewhere. */
static const char *parse_real(const struct parse_ctx *c, const char *p)
{
	if (!p || p < c->pbase || p > c->pbase + c->len)
		return NULL;
	return c->rbase + (p - c->pbase);
}

/* "type/subtype" in lower case from libetpan's content type. */
static char *parse_type(const struct mailmime_content *ct)
{
	static const char *const discrete[] = {
		[MAILMIME_DISCRETE_TYPE_TEXT] = "text",
		[MAILMIME_DISCRETE_TYPE_IMAGE] = "image",
		[MAILMIME_DISCRETE_TYPE_AUDIO] = "audio",
		[MAILMIME_DISCRETE_TYPE_VIDEO] = "video",
		[MAILMIME_DISCRETE_TYPE_APPLICATION] = "application",
	};
	const char *type = NULL;
	char *s;

	if (!ct || !ct->ct_type)
		return xstrdup("text/plain");
	if (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE && ct->ct_type->tp_data.tp_discrete_type) {
		const struct mailmime_discrete_type *d = ct->ct_type->tp_data.tp_discrete_type;

		if (d->dt_type == MAILMIME_DISCRETE_TYPE_EXTENSION)
			type = d->dt_extension;
		else if (d->dt_type > 0 && (size_t)d->dt_type < ARRAY_SIZE(discrete))
			type = discrete[d->dt_type];
	} else if (ct->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
		   ct->ct_type->tp_data.tp_composite_type) {
		const struct mailmime_composite_type *c = ct->ct_type->tp_data.tp_composite_type;

		if (c->ct_type == MAILMIME_COMPOSITE_TYPE_MESSAGE)
			type = "message";
		else if (c->ct_type == MAILMIME_COMPOSITE_TYPE_MULTIPART)
			type = "multipart";
		else
			type = c->ct_token;
	}
	s = xasprintf("%.60s/%.60s", type ? type : "application",
		      ct->ct_subtype ? ct->ct_subtype : "octet-stream");
	for (char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return s;
}

/* Reads what rendering needs from the part's own header fields. */
static void parse_fields(struct mime_node *n)
{
	const char *ct = mime_fields_get(&n->fields, "Content-Type");
	const char *cd = mime_fields_get(&n->fields, "Content-Disposition");
	bool attachment = false;

	if (ct) {
		char *fmt = mime_header_param(ct, "format");
		char *delsp = mime_header_param(ct, "delsp");

		n->charset = mime_header_param(ct, "charset");
		n->flowed = fmt && strcasecmp(util_trim(fmt), "flowed") == 0;
		n->delsp = delsp && strcasecmp(util_trim(delsp), "yes") == 0;
		free(fmt);
		free(delsp);
	}
	if (cd) {
		size_t t = strcspn(cd, "; \t");

		attachment = t == 10 && strncasecmp(cd, "attachment", 10) == 0;
		n->disposition_inline = t == 6 && strncasecmp(cd, "inline", 6) == 0;
		n->filename = mime_header_param(cd, "filename");
	}
	if (!n->filename && ct)
		n->filename = mime_header_param(ct, "name");
	if (n->filename && !*n->filename)
		FREE_NULL(n->filename);
	n->is_attachment = n->kind == MIME_NODE_LEAF &&
		(attachment || (n->filename && !n->disposition_inline));
}

/* May another node be made at depth?  Notes the first refusal. */
static bool parse_room(struct mime_message *m, struct mime_node *parent, int depth)
{
	if (depth > MIME_MAX_DEPTH) {
		parent->depth_cut = true;
		if (!m->noted_depth)
			mime_message_note(m, "parts nested deeper than %d levels are not shown",
					  MIME_MAX_DEPTH);
		m->noted_depth = true;
		return false;
	}
	if (m->nnodes >= MIME_MAX_PARTS) {
		parent->parts_cut = true;
		if (!m->noted_parts)
			mime_message_note(m, "the message has more than %d parts; the rest are not shown",
					  MIME_MAX_PARTS);
		m->noted_parts = true;
		return false;
	}
	return true;
}

static void parse_add_kid(struct mime_node *n, struct mime_node *kid)
{
	n->kids = xrealloc(n->kids, (n->nkids + 1) * sizeof(*n->kids));
	n->kids[n->nkids++] = kid;
}

/* Does a multipart's body hold a line starting with "--boundary", for the
 * boundary libetpan split it by? */
static bool parse_has_delimiter(const struct mime_node *n, struct mailmime *mm)
{
	char *b = mm->mm_content_type ? mailmime_extract_boundary(mm->mm_content_type) : NULL;
	bool found = false;

	if (b && *b) {
		char *delim = xasprintf("--%s", b);
		size_t dl = strlen(delim);
		const char *p = n->body, *end = n->body + n->body_len;

		while (!found && (p = memmem(p, (size_t)(end - p), delim, dl))) {
			found = p == n->body || p[-1] == '\n';
			p++;
		}
		free(delim);
	}
	free(b);
	return found;
}

/* Turns libetpan's part mm (and what it holds) into a node.  hstart, if not
 * NULL, is where the part's header block starts: libetpan starts the body of
 * a message/rfc822 part at the enclosing part's headers. */
static struct mime_node *parse_convert(struct parse_ctx *c, struct mailmime *mm, int depth,
				       const char *hstart)
{
	struct mime_node *n = xcalloc(1, sizeof(*n));
	const char *body = NULL;
	size_t body_len = 0;

	if (!hstart)
		hstart = parse_real(c, mm->mm_mime_start);
	c->m->nnodes++;
	n->kind = mm->mm_type == MAILMIME_MULTIPLE ? MIME_NODE_MULTI :
		  mm->mm_type == MAILMIME_MESSAGE ? MIME_NODE_MESSAGE : MIME_NODE_LEAF;
	n->type = parse_type(mm->mm_content_type);
	if (mm->mm_body && mm->mm_body->dt_type == MAILMIME_DATA_TEXT) {
		body = parse_real(c, mm->mm_body->dt_data.dt_text.dt_data);
		body_len = mm->mm_body->dt_data.dt_text.dt_length;
		if (body && (size_t)(body - c->rbase) + body_len > c->len)
			body = NULL;
		/* what petrel appended to close multiparts is not content */
		if (body && (size_t)(body - c->rbase) + body_len > c->orig_len)
			body_len = (size_t)(body - c->rbase) < c->orig_len ?
				c->orig_len - (size_t)(body - c->rbase) : 0;
		if (body && mm->mm_body->dt_encoding == MAILMIME_MECHANISM_BASE64)
			n->encoding = MIME_ENC_BASE64;
		else if (body && mm->mm_body->dt_encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE)
			n->encoding = MIME_ENC_QP;
	}
	if (hstart && body && body >= hstart)
		mime_fields_parse(hstart, (size_t)(body - hstart), &n->fields);
	parse_fields(n);
	n->body = body ? body : "";
	n->body_len = body ? body_len : 0;

	if (n->kind == MIME_NODE_MULTI && !parse_has_delimiter(n, mm)) {
		/* libetpan invents parts when the boundary never shows up (or is
		 * not declared): the raw text is a truer picture */
		n->kind = MIME_NODE_LEAF;
		n->is_attachment = n->filename && !n->disposition_inline;
	} else if (mm->mm_type == MAILMIME_MULTIPLE) {
		for (clistiter *it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list); it;
		     it = clist_next(it)) {
			if (!parse_room(c->m, n, depth + 1))
				break;
			parse_add_kid(n, parse_convert(c, clist_content(it), depth + 1, NULL));
		}
	} else if (mm->mm_type == MAILMIME_MESSAGE) {
		if (mm->mm_data.mm_message.mm_msg_mime && parse_room(c->m, n, depth + 1))
			parse_add_kid(n, parse_convert(c, mm->mm_data.mm_message.mm_msg_mime, depth + 1,
						       body));
	} else if (strcmp(n->type, "message/rfc822") == 0 && n->encoding != MIME_ENC_RAW &&
		   parse_room(c->m, n, depth + 1)) {
		/* an encoded forwarded message: libetpan stops here, petrel goes on */
		struct strbuf dec = STRBUF_INIT;
		struct mime_node *sub;
		size_t dlen;
		char *buf;

		mime_node_decode(n, &dec);
		dlen = dec.len;
		buf = strbuf_detach(&dec);
		sub = parse_buffer(c->m, buf, dlen, depth);
		n->kind = MIME_NODE_MESSAGE;
		n->kids = sub->kids;
		n->nkids = sub->nkids;
		n->depth_cut |= sub->depth_cut;
		n->parts_cut |= sub->parts_cut;
		sub->kids = NULL;
		sub->nkids = 0;
		c->m->nnodes--;  /* sub's shell was counted */
		mime_fields_release(&sub->fields);
		free(sub->type);
		free(sub->charset);
		free(sub->filename);
		free(sub);
	}
	return n;
}

/* A message libetpan could not read at all: headers and a plain text body. */
static struct mime_node *parse_fallback(struct mime_message *m, const char *buf, size_t len)
{
	struct mime_node *root = xcalloc(1, sizeof(*root)), *body = xcalloc(1, sizeof(*body));
	size_t off;

	root->kind = MIME_NODE_MESSAGE;
	root->type = xstrdup("message/rfc822");
	root->body = buf;
	root->body_len = len;
	body->kind = MIME_NODE_LEAF;
	body->type = xstrdup("text/plain");
	off = mime_fields_parse(buf, len, &body->fields);
	body->body = buf + off;
	body->body_len = len - off;
	parse_add_kid(root, body);
	m->nnodes += 2;
	mime_message_note(m, "the MIME structure could not be read; the message is shown as plain text");
	return root;
}

/* Appends "--b--" for every declared boundary b that is never closed, so
 * that libetpan does not drop the last parts of a cut-off message. */
static void parse_closers(const struct mime_guard *g, const char *buf, size_t len,
			  struct strbuf *out)
{
	for (size_t i = g->nboundaries; i-- > 0;) {
		char *close = xasprintf("--%s--", g->boundaries[i]);

		if (!memmem(buf, len, close, strlen(close)))
			strbuf_addf(out, "\n%s", close);
		free(close);
	}
	if (out->len)
		strbuf_addch(out, '\n');
}

/* Parses buf[0..len) into a MESSAGE node; m takes buf over. */
static struct mime_node *parse_buffer(struct mime_message *m, char *buf, size_t len, int depth)
{
	struct strbuf closers = STRBUF_INIT;
	struct mime_guard g;
	struct mailmime *mm = NULL;
	struct mime_node *n;
	size_t idx = 0, plen;
	int r;

	mime_guard_scan(buf, len, &g);
	if (g.cut)
		mime_message_note(m, "the message is too complex to read whole (%zu nested sections); "
				  "only its first %zu KB are shown", g.containers, (g.len + 1023) / 1024);
	parse_closers(&g, buf, g.len, &closers);
	plen = g.len + closers.len;
	if (closers.len) {
		char *nb = xmalloc(plen + 1);

		memcpy(nb, buf, g.len);
		memcpy(nb + g.len, closers.buf, closers.len + 1);
		free(buf);
		buf = nb;
		if (g.defused) {
			nb = xmalloc(plen + 1);
			memcpy(nb, g.defused, g.len);
			memcpy(nb + g.len, closers.buf, closers.len + 1);
			free(g.defused);
			g.defused = nb;
		}
	}
	parse_own_buffer(m, buf);
	r = mailmime_parse(g.defused ? g.defused : buf, plen, &idx, &mm);
	if (r != MAILIMF_NO_ERROR || !mm) {
		n = parse_fallback(m, buf, g.len);
	} else {
		struct parse_ctx c = {
			.m = m, .pbase = g.defused ? g.defused : buf, .rbase = buf,
			.len = plen, .orig_len = g.len,
		};

		n = parse_convert(&c, mm, depth, NULL);
	}
	if (mm)
		mailmime_free(mm);
	mime_guard_release(&g);
	strbuf_release(&closers);
	return n;
}

static void parse_number(struct mime_message *m, struct mime_node *n, struct strbuf *scratch)
{
	if (n->kind == MIME_NODE_LEAF) {
		m->leaves = xrealloc(m->leaves, (m->nleaves + 1) * sizeof(*m->leaves));
		m->leaves[m->nleaves++] = n;
		n->index = (int)m->nleaves;
		strbuf_reset(scratch);
		mime_node_decode(n, scratch);
		n->size = scratch->len;
		return;
	}
	for (size_t i = 0; i < n->nkids; i++)
		parse_number(m, n->kids[i], scratch);
}

static bool parse_has_blank_line(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (s[i] == '\n' && (s[i + 1] == '\n' ||
				     (s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n')))
			return true;
	return false;
}

struct mime_message *mime_parse(const char *data, size_t len)
{
	struct mime_message *m = xcalloc(1, sizeof(*m));
	struct strbuf scratch = STRBUF_INIT;
	size_t skip = mime_fields_skip_mbox(data, len);
	char *buf;

	/* a message from an mbox file may still carry its "From " line */
	data += skip;
	len -= skip;
	buf = xmalloc(len + 2);
	if (len > 0) {
		memcpy(buf, data, len);
		/* a header block cut right after its last field (no newline, no
		 * body) would read as a body to libetpan: end that line */
		if (buf[len - 1] != '\n' && !parse_has_blank_line(buf, len))
			buf[len++] = '\n';
	}
	buf[len] = '\0';
	m->root = parse_buffer(m, buf, len, 0);
	parse_number(m, m->root, &scratch);
	strbuf_release(&scratch);
	m->infos = xcalloc(m->nleaves ? m->nleaves : 1, sizeof(*m->infos));
	for (size_t i = 0; i < m->nleaves; i++) {
		const struct mime_node *n = m->leaves[i];

		m->infos[i] = (struct mime_part_info){
			.index = n->index, .type = n->type, .size = n->size,
			.filename = n->filename, .is_attachment = n->is_attachment,
		};
	}
	return m;
}

static void parse_node_free(struct mime_node *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		parse_node_free(n->kids[i]);
	free(n->kids);
	mime_fields_release(&n->fields);
	free(n->type);
	free(n->charset);
	free(n->filename);
	free(n);
}

void mime_message_free(struct mime_message **mp)
{
	struct mime_message *m = *mp;

	if (!m)
		return;
	if (m->root)
		parse_node_free(m->root);
	free(m->leaves);
	for (size_t i = 0; i < m->nbufs; i++)
		free(m->bufs[i]);
	free(m->bufs);
	for (size_t i = 0; i < m->nnotes; i++)
		free(m->notes[i]);
	free(m->notes);
	free(m->infos);
	free(m);
	*mp = NULL;
}

size_t mime_note_count(const struct mime_message *m)
{
	return m->nnotes;
}

const char *mime_note(const struct mime_message *m, size_t i)
{
	return i < m->nnotes ? m->notes[i] : NULL;
}

void mime_node_decode(const struct mime_node *n, struct strbuf *out)
{
	mime_transfer_decode(out, n->body, n->body_len, n->encoding);
}

size_t mime_part_count(const struct mime_message *m)
{
	return m->nleaves;
}

bool mime_part_info(const struct mime_message *m, int index, struct mime_part_info *out)
{
	if (index < 1 || (size_t)index > m->nleaves)
		return false;
	*out = m->infos[index - 1];
	return true;
}

char *mime_part_decode(const struct mime_message *m, int index, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;

	if (index < 1 || (size_t)index > m->nleaves)
		return NULL;
	mime_node_decode(m->leaves[index - 1], &sb);
	if (len)
		*len = sb.len;
	return strbuf_detach(&sb);
}
