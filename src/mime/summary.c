/*
 * The header summary the index and the store keep for every message.  It
 * reads the header block only (the body is never scanned), so it costs the
 * same for a header-only file fetched ahead of time and for a full message.
 */
#include "mime/private.h"

#include <stdlib.h>
#include <string.h>

enum { SUMMARY_MAX_REFERENCES = 500 };

/* The message-ids ("<...>") in value, in order; at most max, keeping the
 * last ones (the nearest ancestors).  A value with no brackets counts as one
 * id if it is one word. */
static size_t summary_ids(const char *value, char ***out, size_t max)
{
	char **ids = NULL;
	size_t n = 0, alloc = 0;
	const char *p = value;

	while ((p = strchr(p, '<'))) {
		const char *end = strchr(p + 1, '>');
		size_t len;

		if (!end)
			break;
		len = (size_t)(end - p - 1);
		if (len && !memchr(p + 1, '<', len)) {
			if (n == max) {
				free(ids[0]);
				memmove(ids, ids + 1, (n - 1) * sizeof(*ids));
				n--;
			}
			if (n == alloc) {
				alloc = alloc ? alloc * 2 : 4;
				ids = xrealloc(ids, alloc * sizeof(*ids));
			}
			ids[n++] = xstrndup(p + 1, len);
		}
		p = end + 1;
	}
	if (n == 0) {
		char *t = util_trim(xstrdup(value));

		if (*t && !strpbrk(t, " \t")) {
			ids = xmalloc(sizeof(*ids));
			ids[n++] = t;
		} else {
			free(t);
		}
	}
	*out = ids;
	return n;
}

static char *summary_first_id(const char *value)
{
	char **ids;
	size_t n = summary_ids(value, &ids, 1);
	char *id = n ? ids[0] : NULL;

	free(ids);
	return id;
}

/* "type/subtype" in lower case from a Content-Type value, or NULL. */
static char *summary_content_type(const char *value)
{
	size_t n = strcspn(value, ";");
	char *t = util_trim(xstrndup(value, n));
	char *slash = strchr(t, '/');

	for (char *p = t; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c >= 'A' && c <= 'Z')
			*p = (char)(c + 32);
		else if (c <= ' ' || c >= 127 || strchr("()<>@,:\\\"[]?=", c))
			goto bad;
	}
	if (!slash || slash == t || !slash[1] || strchr(slash + 1, '/'))
		goto bad;
	return t;
bad:
	free(t);
	return NULL;
}

bool mime_headers_summary(const char *data, size_t len, struct mime_summary *out)
{
	struct mime_fields f;
	size_t skip = mime_fields_skip_mbox(data, len);
	const char *v;
	bool any;

	memset(out, 0, sizeof(*out));
	memset(&f, 0, sizeof(f));
	mime_fields_parse(data + skip, len - skip, &f);

	if ((v = mime_fields_get(&f, "From")))
		out->from = mime_imf_addresses(v, &out->from_addr);
	if ((v = mime_fields_get(&f, "To")))
		out->to = mime_imf_addresses(v, NULL);
	if ((v = mime_fields_get(&f, "Cc")))
		out->cc = mime_imf_addresses(v, NULL);
	if ((v = mime_fields_get(&f, "Subject")))
		out->subject = mime_decode_header(v);
	if ((v = mime_fields_get(&f, "Message-ID")))
		out->message_id = summary_first_id(v);
	if ((v = mime_fields_get(&f, "In-Reply-To")))
		out->in_reply_to = summary_first_id(v);
	if ((v = mime_fields_get(&f, "References")))
		out->n_references = summary_ids(v, &out->references, SUMMARY_MAX_REFERENCES);
	if ((v = mime_fields_get(&f, "Date")))
		out->date = mime_imf_date(v);
	if ((v = mime_fields_get(&f, "Content-Type")))
		out->content_type = summary_content_type(v);
	if (!out->content_type)
		out->content_type = xstrdup("text/plain");

	any = f.n > 0;
	mime_fields_release(&f);
	return any;
}

void mime_summary_release(struct mime_summary *s)
{
	free(s->from);
	free(s->from_addr);
	free(s->to);
	free(s->cc);
	free(s->subject);
	free(s->message_id);
	free(s->in_reply_to);
	for (size_t i = 0; i < s->n_references; i++)
		free(s->references[i]);
	free(s->references);
	free(s->content_type);
	memset(s, 0, sizeof(*s));
}
