/*
 * A draft (what the user wrote in $EDITOR) turned into the message that is
 * queued and sent: the draft's header lines are read strictly (a value that
 * would smuggle in a line break or a NUL is refused, not cleaned), every
 * value is written back in RFC 5322 form (encode.c), and libetpan's MIME
 * writer builds the body: text/plain in UTF-8, and with attachments a
 * multipart/mixed whose parts are base64 (message/rfc822 stays readable).
 * The message gets its Date and Message-ID here, once: the queue keeps the
 * built bytes, so a retry sends the same Message-ID.
 */
#include "mime/compose.h"

#include <errno.h>
#include <fcntl.h>
#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mime/private.h"

/* An attachment larger than this is refused: the queue holds the message in
 * memory and most servers refuse far less. */
#define COMPOSE_MAX_ATTACHMENT (64u << 20)

struct compose_field {
	char *name;
	char *value;  /* unfolded, trimmed */
};

struct compose_draft {
	struct compose_field *v;
	size_t n;
	const char *body;
	size_t body_len;
};

static void compose_draft_release(struct compose_draft *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].name);
		free(d->v[i].value);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

static const char *compose_get(const struct compose_draft *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcasecmp(d->v[i].name, name) == 0)
			return d->v[i].value;
	return NULL;
}

/* A field name: printable ASCII but ':' (RFC 5322 ftext). */
static size_t compose_name_len(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && p[i] > ' ' && p[i] < 127 && p[i] != ':')
		i++;
	return i < len && p[i] == ':' ? i : 0;
}

/* Splits the draft's header block into fields.  0, or -1 with *cause. */
static int compose_parse(const char *d, size_t len, struct compose_draft *out, char **cause)
{
	size_t pos = 0, alloc = 0;
	int line = 0;
	struct strbuf v = STRBUF_INIT;

	while (pos < len) {
		const char *nl = memchr(d + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - d) : len, next = nl ? end + 1 : len, nlen, blank;

		line++;
		if (end > pos && d[end - 1] == '\r')
			end--;
		/* the blank line (blanks an editor left on it count as nothing):
		 * the text starts after it */
		for (blank = pos; blank < end && (d[blank] == ' ' || d[blank] == '\t'); blank++)
			;
		if (blank == end) {
			pos = next;
			break;
		}
		if (d[pos] == ' ' || d[pos] == '\t') {
			if (!out->n) {
				*cause = xasprintf("line %d of the draft starts with a space but no "
						   "header field comes before it", line);
				goto fail;
			}
			/* unfolding: the line break goes, the white space stays */
			strbuf_init(&v);
			strbuf_addstr(&v, out->v[out->n - 1].value);
			strbuf_add(&v, d + pos, end - pos);
			free(out->v[out->n - 1].value);
			out->v[out->n - 1].value = strbuf_detach(&v);
			/* memchr, not strlen: a NUL byte must not hide what follows */
			if (memchr(d + pos, '\0', end - pos))
				goto nul;
			pos = next;
			continue;
		}
		nlen = compose_name_len(d + pos, end - pos);
		if (!nlen) {
			*cause = xasprintf("line %d of the draft is not a header field (\"Name: value\"); "
					   "leave an empty line between the headers and the text", line);
			goto fail;
		}
		if (memchr(d + pos, '\0', end - pos))
			goto nul;
		if (out->n == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			out->v = xrealloc(out->v, alloc * sizeof(*out->v));
		}
		out->v[out->n].name = xstrndup(d + pos, nlen);
		out->v[out->n].value = xstrndup(d + pos + nlen + 1, end - pos - nlen - 1);
		out->n++;
		pos = next;
	}
	for (size_t i = 0; i < out->n; i++) {
		char *val = out->v[i].value;

		if (strpbrk(val, "\r\n")) {
			*cause = xasprintf("the %s header holds a line break; a header value must be "
					   "one line", out->v[i].name);
			goto fail;
		}
		if (!mime_utf8_valid(val, strlen(val))) {
			*cause = xasprintf("the %s header is not valid UTF-8", out->v[i].name);
			goto fail;
		}
		memmove(val, util_trim(val), strlen(util_trim(val)) + 1);
	}
	out->body = d + pos;
	out->body_len = len - pos;
	return 0;
nul:
	*cause = xasprintf("line %d of the draft holds a NUL byte", line);
fail:
	return -1;
}

/* The domain for Message-IDs: the account's, or a name that cannot clash. */
static char *compose_domain(const char *email)
{
	const char *at = email ? strrchr(email, '@') : NULL;

	if (!at || !at[1])
		return xstrdup("petrel.invalid");
	for (const char *p = at + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			return xstrdup("petrel.invalid");
	return xstrdup(at + 1);
}

char *compose_message_id(const char *email)
{
	unsigned char r[12];
	char hex[sizeof(r) * 2 + 1], *dom = compose_domain(email), *id;
	ssize_t got = getrandom(r, sizeof(r), 0);

	if (got != (ssize_t)sizeof(r)) {
		/* no entropy source: time and address still make it unique enough */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)((unsigned long)ts.tv_nsec >> (i % 4 * 8)) ^
			       (unsigned char)(getpid() >> (i % 2 * 8)) ^ (unsigned char)i;
	}
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	id = xasprintf("<%llx.%s@%s>", (unsigned long long)time(NULL), hex, dom);
	free(dom);
	return id;
}

/* "Date: ...\r\n" for now, written by libetpan in RFC 5322 form. */
static char *compose_date_line(void)
{
	struct mailimf_fields *f = mailimf_fields_new_empty();
	MMAPString *s = mmap_string_new("");
	int col = 0;
	char *res;

	mailimf_fields_add_data(f, mailimf_get_current_date(), NULL, NULL, NULL, NULL, NULL, NULL,
				NULL, NULL, NULL, NULL);
	mailimf_fields_write_mem(s, &col, f);
	res = xstrdup(s->str);
	mmap_string_free(s);
	mailimf_fields_free(f);
	return res;
}

/* The From value for the account: "Name <email>" or "email". */
static char *compose_identity(const struct account *a, char **cause)
{
	const char *email = a ? config_get(a, OPTION_EMAIL) : NULL;
	const char *name = a ? config_get(a, OPTION_NAME) : NULL;
	struct strbuf sb = STRBUF_INIT;

	if (!email || !*email) {
		*cause = xstrdup("the draft has no From line and the account has no email "
				 "option to take it from");
		return NULL;
	}
	if (name && *name && mime_utf8_valid(name, strlen(name))) {
		mime_encode_phrase(&sb, name);
		strbuf_addf(&sb, " <%s>", email);
	} else {
		strbuf_addstr(&sb, email);
	}
	return strbuf_detach(&sb);
}

static bool compose_is_address_field(const char *name)
{
	static const char *const names[] = { "From", "To", "Cc", "Bcc", "Reply-To", "Sender",
					     "Mail-Followup-To" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(name, names[i]) == 0)
			return true;
	return false;
}

/* Fields that only pass through and must be ASCII (message ids, dates). */
static bool compose_is_ascii_field(const char *name)
{
	return strcasecmp(name, "Message-ID") == 0 || strcasecmp(name, "In-Reply-To") == 0 ||
	       strcasecmp(name, "References") == 0 || strcasecmp(name, "Date") == 0;
}

/* Fields petrel writes itself or that only mean something to petrel. */
static bool compose_is_own_field(const char *name)
{
	return strcasecmp(name, "Attach") == 0 || strcasecmp(name, "MIME-Version") == 0 ||
	       strncasecmp(name, "Content-", 8) == 0;
}

/* Adds name: value to f as libetpan writes it (folded at spaces). */
static void compose_add(struct mailimf_fields *f, const char *name, const char *value)
{
	mailimf_fields_add(f, mailimf_field_new_custom(xstrdup(name), xstrdup(value)));
}

/* Counts the recipients of To, Cc and Bcc; -1 with *cause for a bad list. */
static int compose_count_recipients(const struct compose_draft *d, char **cause)
{
	struct strbuf scratch = STRBUF_INIT;
	int total = 0;

	for (size_t i = 0; i < d->n; i++) {
		const char *n = d->v[i].name;
		int k;

		if (strcasecmp(n, "To") && strcasecmp(n, "Cc") && strcasecmp(n, "Bcc"))
			continue;
		if ((k = mime_encode_addresses(&scratch, d->v[i].value, NULL, cause)) < 0) {
			char *why = *cause;

			*cause = xasprintf("%s: %s", n, why);
			free(why);
			total = -1;
			break;
		}
		total += k;
		strbuf_reset(&scratch);
	}
	strbuf_release(&scratch);
	if (total == 0)
		*cause = xstrdup("the draft has no recipient: write an address in To, Cc or Bcc");
	return total;
}

/* The header fields of the message in the order people expect. */
static struct mailimf_fields *compose_fields(const struct account *a, const struct compose_draft *d,
					     char **cause)
{
	struct mailimf_fields *f = mailimf_fields_new_empty();
	struct strbuf sb = STRBUF_INIT;
	const char *from = compose_get(d, "From");

	if (!compose_get(d, "Date") || !*compose_get(d, "Date"))
		mailimf_fields_add_data(f, mailimf_get_current_date(), NULL, NULL, NULL, NULL, NULL,
					NULL, NULL, NULL, NULL, NULL);
	if (!from || !*from) {
		char *id = compose_identity(a, cause);

		if (!id)
			goto fail;
		compose_add(f, "From", id);
		free(id);
	}
	for (size_t i = 0; i < d->n; i++) {
		const char *name = d->v[i].name, *value = d->v[i].value;

		if (!*value || compose_is_own_field(name))
			continue;
		strbuf_reset(&sb);
		if (compose_is_address_field(name)) {
			if (mime_encode_addresses(&sb, value, NULL, cause) < 0) {
				char *why = *cause;

				*cause = xasprintf("%s: %s", name, why);
				free(why);
				goto fail;
			}
			if (!sb.len)
				continue;
		} else if (compose_is_ascii_field(name)) {
			for (const char *p = value; *p; p++)
				if ((unsigned char)*p >= 0x80) {
					*cause = xasprintf("the %s header must be plain ASCII", name);
					goto fail;
				}
			strbuf_addstr(&sb, value);
		} else {
			mime_encode_text(&sb, value);
		}
		compose_add(f, name, strbuf_str(&sb));
	}
	if (!compose_get(d, "Message-ID") || !*compose_get(d, "Message-ID")) {
		char *id = compose_message_id(a ? config_get(a, OPTION_EMAIL) : NULL);

		compose_add(f, "Message-ID", id);
		free(id);
	}
	strbuf_release(&sb);
	return f;
fail:
	strbuf_release(&sb);
	mailimf_fields_free(f);
	return NULL;
}

/* Appends data with every line end made CRLF. */
static void compose_add_crlf(struct strbuf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			strbuf_addch(out, '\r');
		strbuf_addch(out, s[i]);
	}
}

/* The text part: 7bit when it is short-lined ASCII, quoted-printable if not.
 * The text is stored in *keep, which must outlive the part. */
static struct mailmime *compose_text_part(const char *body, size_t len, struct strbuf *keep)
{
	struct mailmime_content *ct = mailmime_content_new_with_str("text/plain");
	struct mailmime_fields *mf;
	struct mailmime *part;
	bool plain = true;
	size_t col = 0;

	for (size_t i = 0; i < len && plain; i++) {
		unsigned char c = (unsigned char)body[i];

		if (c == '\n') {
			col = 0;
			continue;
		}
		plain = c < 0x80 && (c >= ' ' || c == '\t' || (c == '\r' && i + 1 < len &&
							       body[i + 1] == '\n')) &&
			++col <= 76;
	}
	if (plain && len && body[len - 1] != '\n')
		plain = false;  /* a 7bit body ends with a line break */
	clist_append(ct->ct_parameters, mailmime_param_new_with_data("charset", "utf-8"));
	mf = mailmime_fields_new_encoding(plain ? MAILMIME_MECHANISM_7BIT
						: MAILMIME_MECHANISM_QUOTED_PRINTABLE);
	/* the text goes in already encoded (mime_encode_qp says why) */
	if (plain)
		compose_add_crlf(keep, body, len);
	else
		mime_encode_qp(keep, body, len);
	part = mailmime_new(MAILMIME_SINGLE, NULL, 0, mf, ct,
			    mailmime_data_new(MAILMIME_DATA_TEXT,
					      plain ? MAILMIME_MECHANISM_7BIT
						    : MAILMIME_MECHANISM_QUOTED_PRINTABLE,
					      1, keep->buf ? keep->buf : "", keep->len, NULL),
			    NULL, NULL, NULL, NULL, NULL);
	return part;
}

static const struct {
	const char *ext, *type;
} compose_types[] = {
	{ "txt", "text/plain" }, { "text", "text/plain" }, { "md", "text/markdown" },
	{ "csv", "text/csv" }, { "html", "text/html" }, { "htm", "text/html" },
	{ "ics", "text/calendar" }, { "vcf", "text/vcard" }, { "patch", "text/x-diff" },
	{ "diff", "text/x-diff" }, { "c", "text/x-c" }, { "h", "text/x-c" },
	{ "py", "text/x-python" }, { "xml", "application/xml" }, { "json", "application/json" },
	{ "pdf", "application/pdf" }, { "zip", "application/zip" }, { "gz", "application/gzip" },
	{ "tgz", "application/gzip" }, { "tar", "application/x-tar" },
	{ "xz", "application/x-xz" }, { "bz2", "application/x-bzip2" },
	{ "7z", "application/x-7z-compressed" }, { "png", "image/png" },
	{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" }, { "gif", "image/gif" },
	{ "webp", "image/webp" }, { "svg", "image/svg+xml" }, { "bmp", "image/bmp" },
	{ "tif", "image/tiff" }, { "tiff", "image/tiff" }, { "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" }, { "wav", "audio/wav" }, { "flac", "audio/flac" },
	{ "mp4", "video/mp4" }, { "webm", "video/webm" }, { "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "odp", "application/vnd.oasis.opendocument.presentation" },
	{ "asc", "application/pgp-signature" }, { "sig", "application/pgp-signature" },
	{ "eml", "message/rfc822" }, { "mbox", "application/mbox" },
};

const char *compose_type_for_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot && dot != name)
		for (size_t i = 0; i < ARRAY_SIZE(compose_types); i++)
			if (strcasecmp(dot + 1, compose_types[i].ext) == 0)
				return compose_types[i].type;
	return "application/octet-stream";
}

/* Reads the file to attach; NULL with *cause naming it. */
static char *compose_read(const char *path, size_t *len, char **cause)
{
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		*cause = xasprintf("cannot attach %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*cause = xasprintf("cannot attach %s: it is not a file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > COMPOSE_MAX_ATTACHMENT) {
		*cause = xasprintf("cannot attach %s: it is larger than %u MB", path,
				   COMPOSE_MAX_ATTACHMENT >> 20);
		goto out;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*cause = xasprintf("cannot attach %s: %s", path,
					   n < 0 ? strerror(errno) : "the file shrank while read");
			FREE_NULL(data);
			goto out;
		}
		got += (size_t)n;
	}
	data[got] = '\0';
	*len = got;
out:
	if (fd >= 0)
		close(fd);
	return data;
}

/* Whether a message can travel as message/rfc822 (7bit or 8bit: lines of at
 * most 998 bytes, no NUL); *ascii says if it is 7bit. */
static bool compose_rfc822_ok(const char *s, size_t len, bool *ascii)
{
	size_t col = 0;

	*ascii = true;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\0')
			return false;
		if ((unsigned char)s[i] >= 0x80)
			*ascii = false;
		col = s[i] == '\n' ? 0 : col + 1;
		if (col > 998)
			return false;
	}
	return true;
}

struct compose_attachment {
	char *data;      /* what the part's body points into */
	size_t len;
	char *ext_name;  /* RFC 2231 value written for filename*, or NULL */
};

/* One attachment part for the file at path; NULL with *cause. */
static struct mailmime *compose_attach_part(const char *path, struct compose_attachment *att,
					    char **cause)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	const char *type = compose_type_for_name(base);
	struct mailmime_fields *mf;
	struct mailmime_disposition *disp;
	struct mailmime *part;
	bool ascii_name = *base != '\0', ascii_body;
	int enc = MAILMIME_MECHANISM_BASE64;
	size_t raw_len = 0;
	char *raw = compose_read(path, &raw_len, cause);

	if (!raw)
		return NULL;
	if (strcmp(type, "message/rfc822") == 0) {
		/* RFC 2046 5.2.1: no base64 for a message; one that cannot go as
		 * 7bit or 8bit travels as an opaque file instead */
		if (compose_rfc822_ok(raw, raw_len, &ascii_body)) {
			struct strbuf crlf = STRBUF_INIT;

			compose_add_crlf(&crlf, raw, raw_len);
			free(raw);
			raw_len = crlf.len;
			raw = strbuf_detach(&crlf);
			enc = ascii_body ? MAILMIME_MECHANISM_7BIT : MAILMIME_MECHANISM_8BIT;
		} else {
			type = "application/octet-stream";
		}
	}
	att->data = raw;
	att->len = raw_len;
	for (const char *p = base; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f)
			ascii_name = false;
	if (ascii_name) {
		disp = mailmime_disposition_new_filename(MAILMIME_DISPOSITION_TYPE_ATTACHMENT,
							 xstrdup(base));
	} else {
		struct strbuf v = STRBUF_INIT;

		disp = mailmime_disposition_new_with_data(MAILMIME_DISPOSITION_TYPE_ATTACHMENT, NULL,
							  NULL, NULL, NULL, (size_t)-1);
		mime_encode_param_2231(&v, *base ? base : "attachment");
		att->ext_name = xstrdup(strbuf_str(&v));
		clist_append(disp->dsp_parms,
			     mailmime_disposition_parm_new(MAILMIME_DISPOSITION_PARM_PARAMETER, NULL,
							   NULL, NULL, NULL, 0,
							   mailmime_parameter_new(xstrdup("filename*"),
										  strbuf_detach(&v))));
	}
	mf = mailmime_fields_new_with_data(mailmime_mechanism_new(enc, NULL), NULL, NULL, disp,
					   NULL);
	/* built as a single part even for message/rfc822, which
	 * mailmime_new_empty would make a message node with no body */
	part = mailmime_new(MAILMIME_SINGLE, NULL, 0, mf, mailmime_content_new_with_str(type),
			    mailmime_data_new(MAILMIME_DATA_TEXT, enc, enc != MAILMIME_MECHANISM_BASE64,
					      att->data, att->len, NULL),
			    NULL, NULL, NULL, NULL, NULL);
	return part;
}

/* libetpan writes every parameter value as a quoted string, but an RFC 2231
 * extended value must not be quoted: unquote filename*= in the header block
 * of each part (only there: a forwarded message may hold the same text). */
static void compose_fix_2231(struct strbuf *msg, const char *boundary,
			     const struct compose_attachment *atts, size_t n)
{
	char *delim = xasprintf("\r\n--%s\r\n", boundary);
	char *p = msg->buf;

	while ((p = strstr(p, delim))) {
		char *head = p + strlen(delim), *end = strstr(head, "\r\n\r\n");

		if (!end)
			break;
		for (size_t i = 0; i < n; i++) {
			char *want, *hit;

			if (!atts[i].ext_name)
				continue;
			want = xasprintf("filename*=\"%s\"", atts[i].ext_name);
			hit = strstr(head, want);
			if (hit && hit < end) {
				size_t vlen = strlen(atts[i].ext_name);

				/* drop the two quotes, keep the string's length in step */
				memmove(hit + 10, hit + 11, vlen);
				memmove(hit + 10 + vlen, hit + 12 + vlen,
					(size_t)(msg->buf + msg->len - (hit + 12 + vlen)) + 1);
				msg->len -= 2;
				end -= 2;
			}
			free(want);
		}
		p = end;
	}
	free(delim);
}

/* A draft that already is a MIME message: CRLF line ends, and Date,
 * Message-ID and From added when it lacks them. */
static char *compose_pass_through(const struct account *a, const struct compose_draft *d,
				  const char *draft, size_t len, size_t *out_len, char **cause)
{
	struct strbuf out = STRBUF_INIT;
	const char *from = compose_get(d, "From");

	if (!compose_get(d, "Date")) {
		char *date = compose_date_line();

		strbuf_addstr(&out, date);
		free(date);
	}
	if (!compose_get(d, "Message-ID")) {
		char *id = compose_message_id(a ? config_get(a, OPTION_EMAIL) : NULL);

		strbuf_addf(&out, "Message-ID: %s\r\n", id);
		free(id);
	}
	if (!from || !*from) {
		char *id = compose_identity(a, cause);

		if (!id) {
			strbuf_release(&out);
			return NULL;
		}
		strbuf_addf(&out, "From: %s\r\n", id);
		free(id);
	}
	compose_add_crlf(&out, draft, len);
	*out_len = out.len;
	return strbuf_detach(&out);
}

char *compose_draft_build(const struct account *a, const char *draft, size_t len,
			  size_t *out_len, char **cause)
{
	struct compose_draft d = { 0 };
	struct mailimf_fields *f = NULL;
	struct mailmime *msg = NULL, *root = NULL;
	struct compose_attachment *atts = NULL;
	struct strbuf text = STRBUF_INIT, out = STRBUF_INIT;
	size_t natts = 0;
	char *res = NULL, *boundary = NULL;
	bool has_attach = false;
	MMAPString *mem = NULL;
	int col = 0;

	*cause = NULL;
	if (compose_parse(draft, len, &d, cause) < 0)
		goto out;
	for (size_t i = 0; i < d.n; i++)
		has_attach |= strcasecmp(d.v[i].name, "Attach") == 0 && *d.v[i].value;
	if (compose_count_recipients(&d, cause) <= 0)
		goto out;
	if (!has_attach && (compose_get(&d, "MIME-Version") || compose_get(&d, "Content-Type"))) {
		res = compose_pass_through(a, &d, draft, len, out_len, cause);
		goto out;
	}
	if (!mime_utf8_valid(d.body, d.body_len)) {
		*cause = xstrdup("the text of the draft is not valid UTF-8; save it as UTF-8");
		goto out;
	}
	if (!(f = compose_fields(a, &d, cause)))
		goto out;
	msg = mailmime_new_message_data(NULL);
	mailmime_set_imf_fields(msg, f);
	f = NULL;
	if (!has_attach) {
		mailmime_smart_add_part(msg, compose_text_part(d.body, d.body_len, &text));
	} else {
		struct mailmime_parameter *bp;

		root = mailmime_multiple_new("multipart/mixed");
		mailmime_smart_add_part(msg, root);
		bp = NULL;
		for (clistiter *it = clist_begin(root->mm_content_type->ct_parameters); it;
		     it = clist_next(it))
			if (strcasecmp(((struct mailmime_parameter *)clist_content(it))->pa_name,
				       "boundary") == 0)
				bp = clist_content(it);
		boundary = xstrdup(bp ? bp->pa_value : "");
		if (d.body_len)
			mailmime_smart_add_part(root, compose_text_part(d.body, d.body_len, &text));
		atts = xcalloc(d.n, sizeof(*atts));
		for (size_t i = 0; i < d.n; i++) {
			struct mailmime *part;
			char *path;

			if (strcasecmp(d.v[i].name, "Attach") || !*d.v[i].value)
				continue;
			path = config_expand_path(d.v[i].value);
			part = compose_attach_part(path, &atts[natts], cause);
			free(path);
			if (!part)
				goto out;
			natts++;
			mailmime_smart_add_part(root, part);
		}
	}
	mem = mmap_string_new("");
	if (mailmime_write_mem(mem, &col, msg) != MAILIMF_NO_ERROR) {
		*cause = xstrdup("the message could not be built (libetpan's MIME writer failed)");
		goto out;
	}
	strbuf_add(&out, mem->str, mem->len);
	if (boundary && *boundary)
		compose_fix_2231(&out, boundary, atts, natts);
	*out_len = out.len;
	res = strbuf_detach(&out);
out:
	if (mem)
		mmap_string_free(mem);
	if (msg)
		mailmime_free(msg);  /* the bodies it points to are freed below */
	if (f)
		mailimf_fields_free(f);
	for (size_t i = 0; i < natts; i++) {
		free(atts[i].data);
		free(atts[i].ext_name);
	}
	free(atts);
	free(boundary);
	strbuf_release(&text);
	strbuf_release(&out);
	compose_draft_release(&d);
	return res;
}
