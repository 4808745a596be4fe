/*
 * Starting a draft: a new message, a reply, a reply to all, a forward
 * (inline or as an attachment).  The draft is what the user sees in the
 * editor, so everything taken from the original message is decoded to UTF-8
 * and passed through the sanitizer (a hostile name cannot put escape
 * sequences on the user's terminal through the editor), and names that hold
 * address specials are quoted so compose_draft_build reads them back as
 * written.
 */
#include "mime/compose.h"

#include <errno.h>
#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mime/private.h"

/* A signature longer than this is surely the wrong file. */
enum { REPLY_MAX_SIGNATURE = 64 * 1024, REPLY_MAX_REFERENCES = 20 };

/* Appends "\n-- \n" and the signature file's text, if the account has one.
 * false with *cause when the file cannot be read or is not UTF-8. */
static bool reply_signature(struct strbuf *out, const struct account *a, char **cause)
{
	const char *opt = a ? config_get(a, OPTION_SIGNATURE) : NULL;
	char *path, buf[4096];
	struct strbuf sig = STRBUF_INIT;
	bool ok = false;
	FILE *f;
	size_t n;

	if (!opt || !*opt)
		return true;
	path = config_expand_path(opt);
	if (!(f = fopen(path, "r"))) {
		*cause = xasprintf("cannot read the signature file %s: %s", path, strerror(errno));
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && sig.len <= REPLY_MAX_SIGNATURE)
		strbuf_add(&sig, buf, n);
	if (ferror(f) || sig.len > REPLY_MAX_SIGNATURE ||
	    !mime_utf8_valid(sig.buf ? sig.buf : "", sig.len) || memchr(strbuf_str(&sig), '\0', sig.len)) {
		*cause = xasprintf("cannot use the signature file %s: %s", path,
				   ferror(f) ? strerror(errno)
					     : sig.len > REPLY_MAX_SIGNATURE ? "it is larger than 64 KB"
									     : "it is not UTF-8 text");
		fclose(f);
		goto out;
	}
	fclose(f);
	ok = true;
	if (!sig.len)
		goto out;
	/* a signature file that carries its own separator keeps just one */
	strbuf_addstr(out, strncmp(sig.buf, "-- \n", 4) == 0 ? "\n" : "\n-- \n");
	strbuf_add(out, sig.buf, sig.len);
	if (sig.buf[sig.len - 1] != '\n')
		strbuf_addch(out, '\n');
out:
	strbuf_release(&sig);
	free(path);
	return ok;
}

/* Text from the message, made fit for one header line of the draft. */
static char *reply_clean(const char *s)
{
	return sanitize_line(s ? s : "");
}

/* Appends "name <addr>" with the name quoted when it holds specials, so the
 * draft reads back as the same mailbox. */
static void reply_add_mailbox(struct strbuf *out, const char *name, const char *addr)
{
	if (out->len)
		strbuf_addstr(out, ", ");
	if (!name || !*name) {
		strbuf_addstr(out, addr);
		return;
	}
	if (strpbrk(name, "()<>[]:;@\\,.\"")) {
		strbuf_addch(out, '"');
		for (const char *p = name; *p; p++) {
			if (*p == '"' || *p == '\\')
				strbuf_addch(out, '\\');
			strbuf_addch(out, *p);
		}
		strbuf_addch(out, '"');
	} else {
		strbuf_addstr(out, name);
	}
	strbuf_addf(out, " <%s>", addr);
}

/* Addresses already written (and the user's own): reply-all names each
 * person once and never the user. */
struct reply_seen {
	char **v;
	size_t n;
};

static bool reply_seen_has(const struct reply_seen *s, const char *addr)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcasecmp(s->v[i], addr) == 0)
			return true;
	return false;
}

static void reply_seen_add(struct reply_seen *s, const char *addr)
{
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = xstrdup(addr);
}

static void reply_seen_release(struct reply_seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static void reply_own(const struct account *a, struct reply_seen *own)
{
	const char *email = a ? config_get(a, OPTION_EMAIL) : NULL;
	char **alt = a ? config_get_list(a, OPTION_ALTERNATES) : NULL;

	if (email && *email)
		reply_seen_add(own, email);
	for (size_t i = 0; alt && alt[i]; i++)
		if (*alt[i])
			reply_seen_add(own, alt[i]);
	if (alt)
		config_list_free(&alt);
}

static void reply_mailbox(struct strbuf *out, const struct mailimf_mailbox *mb,
			  struct reply_seen *skip)
{
	char *name = NULL, *addr;

	if (!mb->mb_addr_spec || reply_seen_has(skip, mb->mb_addr_spec))
		return;
	reply_seen_add(skip, mb->mb_addr_spec);
	if (mb->mb_display_name) {
		char *dec = mime_decode_header(mb->mb_display_name);

		name = util_trim(reply_clean(dec));
		free(dec);
	}
	addr = reply_clean(mb->mb_addr_spec);
	reply_add_mailbox(out, name, addr);
	free(name);
	free(addr);
}

/* Appends the mailboxes of the raw header value (groups flattened) that are
 * not in skip, adding them to skip. */
static void reply_addresses(struct strbuf *out, const char *raw, struct reply_seen *skip)
{
	struct mailimf_address_list *al = NULL;
	char *s;
	size_t idx = 0;

	if (!raw)
		return;
	s = mime_imf_defuse(raw);
	if (mailimf_address_list_parse(s, strlen(s), &idx, &al) == MAILIMF_NO_ERROR) {
		for (clistiter *it = clist_begin(al->ad_list); it; it = clist_next(it)) {
			const struct mailimf_address *ad = clist_content(it);

			if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX) {
				reply_mailbox(out, ad->ad_data.ad_mailbox, skip);
			} else if (ad->ad_data.ad_group->grp_mb_list) {
				clist *l = ad->ad_data.ad_group->grp_mb_list->mb_list;

				for (clistiter *j = clist_begin(l); j; j = clist_next(j))
					reply_mailbox(out, clist_content(j), skip);
			}
		}
		mailimf_address_list_free(al);
	}
	free(s);
}

/* Whether the first mailbox of raw is one of the user's own. */
static bool reply_is_own(const char *raw, const struct reply_seen *own)
{
	struct reply_seen none = { 0 };
	struct strbuf sb = STRBUF_INIT;
	bool res = false;

	reply_addresses(&sb, raw, &none);
	if (none.n)
		res = reply_seen_has(own, none.v[0]);
	strbuf_release(&sb);
	reply_seen_release(&none);
	return res;
}

/* Subject with one prefix: "Re: Re: x" and "RE: x" become "Re: x". */
static char *reply_subject(const char *raw, const char *prefix)
{
	char *dec = mime_decode_header(raw ? raw : ""), *clean = reply_clean(dec), *p = clean, *res;
	size_t plen = strlen(prefix);

	for (;;) {
		while (*p == ' ')
			p++;
		if (strncasecmp(p, prefix, plen) == 0 && p[plen] == ':')
			p += plen + 1;
		else
			break;
	}
	res = xasprintf("%s: %s", prefix, p);
	free(dec);
	free(clean);
	return res;
}

/* Finds the message-ids in raw ("<a@b> <c@d>"), each checked to be one token
 * of printable ASCII: up to max of them (past that the first and the newest)
 * into ids/lens.  Returns how many. */
static size_t reply_ids(const char *raw, const char **ids, size_t max, size_t *lens)
{
	size_t n = 0;

	for (const char *p = raw ? raw : ""; (p = strchr(p, '<'));) {
		const char *e = strchr(p, '>');
		bool ok = e != NULL;

		for (const char *q = p + 1; ok && q < e; q++)
			ok = *q > ' ' && *q < 127 && *q != '<';
		if (!e)
			break;
		if (ok) {
			if (n == max && max < 3)
				break;
			if (n == max) {  /* keep the first and the newest ones */
				memmove(ids + 1, ids + 2, (max - 2) * sizeof(*ids));
				memmove(lens + 1, lens + 2, (max - 2) * sizeof(*lens));
				n--;
			}
			ids[n] = p;
			lens[n++] = (size_t)(e - p) + 1;
		}
		p = e + 1;
	}
	return n;
}

/* "Date" formatted for the attribution line, or NULL. */
static char *reply_date(const char *raw)
{
	time_t t = raw ? mime_imf_date(raw) : 0;
	struct tm tm;
	char buf[64];

	if (!t || !localtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M", &tm))
		return NULL;
	return xstrdup(buf);
}

/* The author's name (or address) for "NAME wrote:". */
static char *reply_author(const char *raw)
{
	char *addr = NULL, *list = mime_imf_addresses(raw ? raw : "", &addr), *res;
	struct mailimf_mailbox *mb = NULL;
	char *d = mime_imf_defuse(raw ? raw : "");
	size_t idx = 0;

	if (mailimf_mailbox_parse(d, strlen(d), &idx, &mb) == MAILIMF_NO_ERROR && mb->mb_display_name &&
	    *mb->mb_display_name) {
		char *dec = mime_decode_header(mb->mb_display_name);

		res = util_trim(reply_clean(dec));
		free(dec);
	} else {
		res = reply_clean(addr ? addr : list);
	}
	if (mb)
		mailimf_mailbox_free(mb);
	free(d);
	free(addr);
	free(list);
	return res;
}

/* Appends text with each line quoted, up to the original's signature. */
static void reply_quote(struct strbuf *out, const char *text)
{
	const char *p = text;
	size_t len = strlen(text);

	/* no blank lines at the end of the quote */
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	while (p < text + len) {
		const char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(text + len - p);

		if (l == 3 && memcmp(p, "-- ", 3) == 0)
			break;
		strbuf_addstr(out, l == 0 || p[0] == '>' ? ">" : "> ");
		strbuf_add(out, p, l);
		strbuf_addch(out, '\n');
		p += l + 1;
	}
	/* nor empty quoted lines before the signature that was left out */
	while (out->len >= 2 && strcmp(out->buf + out->len - 2, ">\n") == 0 &&
	       (out->len == 2 || out->buf[out->len - 3] == '\n')) {
		out->len -= 2;
		out->buf[out->len] = '\0';
	}
}

static char *reply_identity(const struct account *a)
{
	const char *email = a ? config_get(a, OPTION_EMAIL) : NULL;
	const char *name = a ? config_get(a, OPTION_NAME) : NULL;
	struct strbuf sb = STRBUF_INIT;

	if (email && *email)
		reply_add_mailbox(&sb, name, email);
	return strbuf_detach(&sb);
}

/* One header line of the draft, the value made one line. */
static void reply_header(struct strbuf *out, const char *name, const char *value)
{
	strbuf_addf(out, "%s: ", name);
	for (const char *p = value ? value : ""; *p; p++)
		strbuf_addch(out, *p == '\r' || *p == '\n' ? ' ' : *p);
	strbuf_addch(out, '\n');
}

char *compose_draft_new(const struct account *a, const char *to, const char *subject,
			char *const *attach, size_t n_attach, char **cause)
{
	struct strbuf d = STRBUF_INIT;
	char *from = reply_identity(a);

	reply_header(&d, "From", from);
	reply_header(&d, "To", to);
	reply_header(&d, "Cc", NULL);
	reply_header(&d, "Bcc", NULL);
	reply_header(&d, "Subject", subject);
	for (size_t i = 0; i < n_attach; i++)
		reply_header(&d, "Attach", attach[i]);
	strbuf_addstr(&d, "\n\n");
	free(from);
	if (!reply_signature(&d, a, cause)) {
		strbuf_release(&d);
		return NULL;
	}
	return strbuf_detach(&d);
}

char *compose_draft_reply(const struct account *a, const char *orig, size_t len, bool all,
			  char **cause)
{
	struct mime_message *m = mime_parse(orig, len);
	const struct mime_fields *f = &m->root->kids[0]->fields;
	const char *from = mime_fields_get(f, "From"), *reply_to = mime_fields_get(f, "Reply-To");
	const char *ids[REPLY_MAX_REFERENCES], *mid[1];
	size_t lens[REPLY_MAX_REFERENCES], mlen[1], n;
	struct reply_seen seen = { 0 }, own = { 0 };
	struct strbuf d = STRBUF_INIT, to = STRBUF_INIT, cc = STRBUF_INIT, refs = STRBUF_INIT;
	char *me = reply_identity(a), *subject, *date, *author, *text;
	bool mine;

	reply_own(a, &own);
	mine = reply_is_own(from, &own);
	/* the user's own address is never a recipient, except when answering
	 * oneself: then the reply goes where the original went */
	for (size_t i = 0; i < own.n; i++)
		reply_seen_add(&seen, own.v[i]);
	if (mine) {
		reply_addresses(&to, mime_fields_get(f, "To"), &seen);
	} else {
		reply_addresses(&to, reply_to ? reply_to : from, &seen);
		if (!to.len && from)  /* Reply-To was unreadable */
			reply_addresses(&to, from, &seen);
	}
	if (all) {
		if (!mine)
			reply_addresses(&cc, mime_fields_get(f, "To"), &seen);
		reply_addresses(&cc, mime_fields_get(f, "Cc"), &seen);
	}
	subject = reply_subject(mime_fields_get(f, "Subject"), "Re");
	reply_header(&d, "From", me);
	reply_header(&d, "To", strbuf_str(&to));
	reply_header(&d, "Cc", strbuf_str(&cc));
	reply_header(&d, "Bcc", NULL);
	reply_header(&d, "Subject", subject);
	if (reply_ids(mime_fields_get(f, "Message-ID"), mid, 1, mlen) == 1) {
		n = reply_ids(mime_fields_get(f, "References"), ids, REPLY_MAX_REFERENCES - 1, lens);
		if (n == 0)
			n = reply_ids(mime_fields_get(f, "In-Reply-To"), ids, 1, lens);
		for (size_t i = 0; i < n; i++)
			strbuf_addf(&refs, "%.*s ", (int)lens[i], ids[i]);
		strbuf_addf(&refs, "%.*s", (int)mlen[0], mid[0]);
		strbuf_addf(&d, "In-Reply-To: %.*s\n", (int)mlen[0], mid[0]);
		reply_header(&d, "References", strbuf_str(&refs));
	}
	date = reply_date(mime_fields_get(f, "Date"));
	author = reply_author(from);
	strbuf_addstr(&d, "\n");
	if (date)
		strbuf_addf(&d, "On %s, %s wrote:\n", date, author);
	else
		strbuf_addf(&d, "%s wrote:\n", author);
	text = mime_render(m, MIME_RENDER_BODY_ONLY);
	reply_quote(&d, text);
	strbuf_addstr(&d, "\n\n");
	free(text);
	free(date);
	free(author);
	free(subject);
	free(me);
	strbuf_release(&to);
	strbuf_release(&cc);
	strbuf_release(&refs);
	reply_seen_release(&seen);
	reply_seen_release(&own);
	mime_message_free(&m);
	if (!reply_signature(&d, a, cause)) {
		strbuf_release(&d);
		return NULL;
	}
	return strbuf_detach(&d);
}

char *compose_draft_forward(const struct account *a, const char *orig, size_t len, const char *to,
			    const char *attach_path, char **cause)
{
	static const char *const shown[] = { "Subject", "Date", "From", "To", "Cc" };
	struct mime_message *m = mime_parse(orig, len);
	const struct mime_fields *f = &m->root->kids[0]->fields;
	struct strbuf d = STRBUF_INIT;
	char *me = reply_identity(a), *subject = reply_subject(mime_fields_get(f, "Subject"), "Fwd");

	reply_header(&d, "From", me);
	reply_header(&d, "To", to);
	reply_header(&d, "Cc", NULL);
	reply_header(&d, "Bcc", NULL);
	reply_header(&d, "Subject", subject);
	if (attach_path)
		reply_header(&d, "Attach", attach_path);
	strbuf_addstr(&d, "\n\n");
	free(me);
	free(subject);
	if (!reply_signature(&d, a, cause)) {
		strbuf_release(&d);
		mime_message_free(&m);
		return NULL;
	}
	if (!attach_path) {
		char *text = mime_render(m, MIME_RENDER_BODY_ONLY);

		strbuf_addstr(&d, "\n---------- Forwarded message ----------\n");
		for (size_t i = 0; i < ARRAY_SIZE(shown); i++) {
			const char *v = mime_fields_get(f, shown[i]);
			char *dec, *clean;

			if (!v)
				continue;
			dec = i >= 2 ? mime_imf_addresses(v, NULL) : mime_decode_header(v);
			clean = reply_clean(dec);
			reply_header(&d, shown[i], clean);
			free(dec);
			free(clean);
		}
		strbuf_addstr(&d, "\n");
		strbuf_addstr(&d, text);
		if (d.len && d.buf[d.len - 1] != '\n')
			strbuf_addch(&d, '\n');
		strbuf_addstr(&d, "---------- End of forwarded message ----------\n");
		free(text);
	}
	mime_message_free(&m);
	return strbuf_detach(&d);
}

/* Appends decoded text with CRLF line ends made LF. */
static void reply_add_lf(struct strbuf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!(s[i] == '\r' && i + 1 < len && s[i + 1] == '\n'))
			strbuf_addch(out, s[i]);
}

/* Writes a forwarded message (a message/rfc822 part) into dir; its path. */
static char *reply_save_message(const struct mime_node *n, const char *dir, int k, char **cause)
{
	char *path = xasprintf("%s/forwarded-%d.eml", dir, k);
	FILE *f = fopen(path, "wx");

	if (!f || fwrite(n->body, 1, n->body_len, f) != n->body_len || fclose(f) != 0) {
		*cause = xasprintf("cannot write %s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		FREE_NULL(path);
	}
	return path;
}

char *compose_draft_resume(const char *msg, size_t len, const char *dir, char **cause)
{
	static const char *const addr[] = { "From", "To", "Cc", "Bcc", "Reply-To" };
	static const char *const plain[] = { "Subject", "In-Reply-To", "References" };
	struct mime_message *m = mime_parse(msg, len);
	const struct mime_node *top = m->root->nkids ? m->root->kids[0] : NULL;
	struct strbuf d = STRBUF_INIT, text = STRBUF_INIT;
	const struct mime_node *const *parts;
	size_t nparts;
	bool have_text = false;
	char *res = NULL;

	if (!top) {
		*cause = xstrdup("the stored draft has no content");
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(addr); i++) {
		const char *v = mime_fields_get(&top->fields, addr[i]);
		char *dec = mime_imf_addresses(v ? v : "", NULL), *clean = reply_clean(dec);

		if (v || i < 4)
			reply_header(&d, addr[i], clean);
		free(dec);
		free(clean);
	}
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
		const char *v = mime_fields_get(&top->fields, plain[i]);
		char *dec, *clean;

		if (!v)
			continue;
		dec = mime_decode_header(v);
		clean = reply_clean(dec);
		reply_header(&d, plain[i], clean);
		free(dec);
		free(clean);
	}
	/* the text, then every other part back into a file and an Attach line */
	if (top->kind == MIME_NODE_MULTI) {
		parts = (const struct mime_node *const *)top->kids;
		nparts = top->nkids;
	} else {
		parts = &top;
		nparts = 1;
	}
	for (size_t i = 0; i < nparts; i++) {
		const struct mime_node *n = parts[i];
		char *path = NULL;

		if (n->kind == MIME_NODE_LEAF && !have_text && !n->is_attachment &&
		    strcmp(n->type, "text/plain") == 0) {
			size_t dlen = 0, ulen = 0;
			char *data = mime_part_decode(m, n->index, &dlen);
			char *utf8 = mime_charset_to_utf8(data, dlen, n->charset, &ulen, NULL);

			reply_add_lf(&text, utf8, ulen);
			free(data);
			free(utf8);
			have_text = true;
			continue;
		}
		if (n->kind == MIME_NODE_LEAF) {
			if (mime_save_part(m, n->index, dir, false, &path, cause) < 0)
				goto out;
		} else if (n->kind == MIME_NODE_MESSAGE) {
			if (!(path = reply_save_message(n, dir, (int)i, cause)))
				goto out;
		} else {
			*cause = xasprintf("part %zu of the stored draft is a %s, which a draft "
					   "cannot hold", i + 1, n->type);
			goto out;
		}
		reply_header(&d, "Attach", path);
		free(path);
	}
	strbuf_addch(&d, '\n');
	strbuf_add(&d, text.buf ? text.buf : "", text.len);
	res = strbuf_detach(&d);
out:
	strbuf_release(&d);
	strbuf_release(&text);
	mime_message_free(&m);
	return res;
}
