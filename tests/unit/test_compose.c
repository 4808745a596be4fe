/* Unit tests for building outgoing mail and starting drafts (src/mime/
 * compose.c, encode.c, reply.c): every built message is read back through
 * petrel's own parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "mime/compose.h"
#include "mime/private.h"

static struct config *cfg;
static struct account *acc;
static char tmpdir[] = "/tmp/petrel-compose-XXXXXX";

static int setup(void **state)
{
	char *cause = NULL;
	char *text = xasprintf("[account t]\n"
			       "email = me@example.org\n"
			       "name = J\xc3\xb6rg M\xc3\xbcller\n"
			       "alternates = me@old.example.org, Other@Example.NET\n"
			       "signature = %s/sig\n", mkdtemp(tmpdir));
	FILE *f;

	(void)state;
	setenv("TZ", "UTC", 1);  /* the attribution line shows local time */
	tzset();
	cfg = config_parse(text, "test", 0600, &cause);
	free(text);
	if (!cfg) {
		fprintf(stderr, "%s\n", cause);
		return -1;
	}
	acc = config_account(cfg, "t");
	text = xasprintf("%s/sig", tmpdir);
	f = fopen(text, "w");
	fputs("J\xc3\xb6rg\nhttps://example.org\n", f);
	fclose(f);
	free(text);
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);

	(void)state;
	config_free(&cfg);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	free(cmd);
	return 0;
}

static char *build(const char *draft, size_t *len, char **cause)
{
	size_t l = 0;
	char *msg = compose_draft_build(acc, draft, strlen(draft), &l, cause);

	if (len)
		*len = l;
	if (msg) {
		/* every line ends in CRLF */
		for (size_t i = 0; i < l; i++)
			if (msg[i] == '\n')
				assert_true(i > 0 && msg[i - 1] == '\r');
		assert_int_equal(strlen(msg), l);
	}
	return msg;
}

static const char *top_field(const struct mime_message *m, const char *name)
{
	return mime_fields_get(&m->root->kids[0]->fields, name);
}

static void test_headers_encoded(void **state)
{
	const char *subj = "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln \xe2\x80\x94 "
			   "a long subject line that has to be split into several encoded "
			   "words \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";
	char *draft = xasprintf("To: \"Doe, John\" <jd@example.com>, \xc3\x89milie <em@example.fr>\n"
				"Cc: team: a@example.com, \"Q \\\"x\\\"\" <q@example.com>;\n"
				"Bcc: hidden@example.com\n"
				"Subject: %s\n"
				"\n"
				"Hello\n", subj);
	char *cause = NULL, *msg;
	size_t len;
	struct mime_summary s = { 0 };
	struct mime_message *m;

	(void)state;
	msg = build(draft, &len, &cause);
	assert_non_null(msg);
	/* the wire form is ASCII */
	for (size_t i = 0; i < len; i++)
		assert_true((unsigned char)msg[i] < 0x80);
	assert_true(mime_headers_summary(msg, len, &s));
	assert_string_equal(s.subject, subj);
	assert_string_equal(s.to, "\"Doe, John\" <jd@example.com>, \xc3\x89milie <em@example.fr>");
	assert_non_null(strstr(s.from, "J\xc3\xb6rg M\xc3\xbcller <me@example.org>"));
	assert_non_null(s.message_id);
	assert_non_null(strstr(s.message_id, "@example.org"));
	assert_true(s.date > 0);
	mime_summary_release(&s);
	m = mime_parse(msg, len);
	assert_non_null(top_field(m, "Bcc"));
	assert_string_equal(top_field(m, "Bcc"), "hidden@example.com");
	assert_non_null(strstr(top_field(m, "Cc"), "team:"));
	assert_non_null(strstr(top_field(m, "Cc"), "\"Q \\\"x\\\"\" <q@example.com>;"));
	assert_string_equal(top_field(m, "MIME-Version"), "1.0");
	assert_int_equal(mime_part_count(m), 1);
	mime_message_free(&m);
	free(msg);
	free(draft);
}

static void test_body_encodings(void **state)
{
	char *cause = NULL, *msg, *text;
	size_t len, tlen;
	struct mime_message *m;

	(void)state;
	msg = build("To: a@example.com\nSubject: plain\n\nshort ascii\nlines\n", &len, &cause);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "Content-Transfer-Encoding: 7bit"));
	assert_non_null(strstr(msg, "\r\n\r\nshort ascii\r\nlines\r\n"));
	free(msg);

	msg = build("To: a@example.com\n\ncaf\xc3\xa9 =x\nFrom here\n", &len, &cause);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "quoted-printable"));
	assert_non_null(strstr(msg, "charset=\"utf-8\""));
	m = mime_parse(msg, len);
	text = mime_part_decode(m, 1, &tlen);
	assert_string_equal(text, "caf\xc3\xa9 =x\r\nFrom here\r\n");
	free(text);
	mime_message_free(&m);
	free(msg);

	/* trailing white space survives (libetpan's own QP writer doubles it),
	 * long lines are soft-broken, "From " and "." at line starts are safe */
	{
		char longline[300], *draft;

		memset(longline, 'x', sizeof(longline) - 1);
		longline[sizeof(longline) - 1] = '\0';
		draft = xasprintf("To: a@example.com\n\nJ\xc3\xb6rg\n-- \ntab\t\n.\nFrom x\n%s\nend ",
				  longline);
		msg = build(draft, &len, &cause);
		assert_non_null(msg);
		for (char *p = msg, *e; (e = strstr(p, "\r\n")); p = e + 2)
			assert_true(e - p <= 76);
		m = mime_parse(msg, len);
		text = mime_part_decode(m, 1, &tlen);
		free(draft);
		draft = xasprintf("J\xc3\xb6rg\r\n-- \r\ntab\t\r\n.\r\nFrom x\r\n%s\r\nend \r\n",
				  longline);
		assert_string_equal(text, draft);
		free(draft);
		free(text);
		mime_message_free(&m);
		free(msg);
	}

	/* blanks on the separator line still separate */
	msg = build("To: a@example.com\nSubject: s\n \t\nText\n", &len, &cause);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "\r\n\r\nText\r\n"));
	free(msg);

	/* not UTF-8: refused, not mangled */
	assert_null(build("To: a@example.com\n\n\xff\xfe\n", &len, &cause));
	assert_non_null(strstr(cause, "UTF-8"));
	FREE_NULL(cause);
}

static char *write_file(const char *name, const char *data, size_t len)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

static void test_attachments(void **state)
{
	char bin[256], *p1, *p2, *draft, *cause = NULL, *msg, *got;
	const char *uname = "r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5.pdf";
	size_t len, glen;
	struct mime_message *m;
	struct mime_part_info info;

	(void)state;
	for (int i = 0; i < 256; i++)
		bin[i] = (char)i;
	p1 = write_file("all-bytes.bin", bin, sizeof(bin));
	p2 = write_file(uname, bin, sizeof(bin));
	draft = xasprintf("To: a@example.com\nSubject: files\nAttach: %s\nAttach: %s\n\nSee the files.\n",
			  p1, p2);
	msg = build(draft, &len, &cause);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "multipart/mixed"));
	/* RFC 2231: an extended value is not a quoted string */
	assert_non_null(strstr(msg, "filename*=utf-8''r%C3%A9sum%C3%A9%20%E6%97%A5.pdf"));
	m = mime_parse(msg, len);
	assert_int_equal(mime_note_count(m), 0);
	assert_int_equal(mime_part_count(m), 3);
	assert_true(mime_part_info(m, 2, &info));
	assert_string_equal(info.filename, "all-bytes.bin");
	assert_string_equal(info.type, "application/octet-stream");
	assert_true(info.is_attachment);
	got = mime_part_decode(m, 2, &glen);
	assert_int_equal(glen, sizeof(bin));
	assert_memory_equal(got, bin, sizeof(bin));
	free(got);
	assert_true(mime_part_info(m, 3, &info));
	assert_string_equal(info.filename, uname);
	assert_string_equal(info.type, "application/pdf");
	got = mime_part_decode(m, 3, &glen);
	assert_int_equal(glen, sizeof(bin));
	assert_memory_equal(got, bin, sizeof(bin));
	free(got);
	mime_message_free(&m);
	free(msg);
	free(draft);

	/* a missing file is an error naming it */
	draft = xasprintf("To: a@example.com\nAttach: %s/nope.txt\n\nx\n", tmpdir);
	assert_null(build(draft, &len, &cause));
	assert_non_null(strstr(cause, "nope.txt"));
	FREE_NULL(cause);
	free(draft);
	free(p1);
	free(p2);
}

static void test_injection(void **state)
{
	static const char *const bad[] = {
		"To: a@example.com\nSubject: hi\rBcc: evil@example.com\n\nx\n",
		"To: a@example.com\nSubject: hi\r\n\rBcc: evil@example.com\n\nx\n",
		"To: a@example.com, \"x\rBcc: evil@example.com\" <b@example.com>\n\nx\n",
		"Subject: no recipient\n\nx\n",
		"To: not an address\n\nx\n",
		"To: a@example.com\nthis is not a header\n\nx\n",
		" leading continuation\nTo: a@example.com\n\nx\n",
		"To: a@example.com\nMessage-ID: <\xc3\xa9@x>\n\nx\n",
	};
	char *cause = NULL;
	size_t len;
	static const char nul_draft[] = "To: a@example.com\nSubject: a\0Bcc: e@example.com\n\nx\n";

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *msg = compose_draft_build(acc, bad[i], strlen(bad[i]), &len, &cause);

		if (msg)
			fprintf(stderr, "accepted draft %zu:\n%s\n", i, msg);
		assert_null(msg);
		assert_non_null(cause);
		FREE_NULL(cause);
	}
	assert_null(compose_draft_build(acc, nul_draft, sizeof(nul_draft) - 1, &len, &cause));
	assert_non_null(strstr(cause, "NUL"));
	FREE_NULL(cause);
}

static void test_pass_through(void **state)
{
	const char *raw = "From: Someone <s@example.com>\nTo: a@example.com\nSubject: ready\n"
			  "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nbody\n";
	char *cause = NULL, *msg;
	size_t len;

	(void)state;
	msg = build(raw, &len, &cause);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "From: Someone <s@example.com>\r\nTo: a@example.com\r\n"));
	assert_non_null(strstr(msg, "Message-ID: <"));
	assert_non_null(strstr(msg, "Date: "));
	assert_null(strstr(msg, "From: J"));
	assert_non_null(strstr(msg, "\r\n\r\nbody\r\n"));
	free(msg);
}

static const char orig_msg[] =
	"From: =?utf-8?Q?Ana_L=C3=B3pez?= <ana@example.com>\r\n"
	"To: Me <me@example.org>, bob@example.com, \"Other\" <other@example.net>\r\n"
	"Cc: carol@example.com, ME@OLD.example.org, \"Smith, Al\" <al@example.com>\r\n"
	"Subject: =?utf-8?Q?RE:_Re:_Caf=C3=A9?=\r\n"
	"Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n"
	"Message-ID: <orig@example.com>\r\n"
	"References: <a@example.com>\r\n <b@example.com>\r\n"
	"\r\n"
	"Hello,\r\n"
	"> earlier\r\n"
	"\r\n"
	"line \x1b[31mtwo\r\n"
	"-- \r\n"
	"Ana sig\r\n";

static char *header_line(const char *draft, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = draft; p && *p && *p != '\n'; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, name, n) == 0 && p[n] == ':') {
			const char *e = strchr(p, '\n');

			return xstrndup(p + n + 2, (size_t)(e - p) - n - 2);
		}
	return NULL;
}

static void expect_header(const char *draft, const char *name, const char *want)
{
	char *got = header_line(draft, name);

	if (!got || strcmp(got, want) != 0)
		fprintf(stderr, "%s: got [%s], want [%s]\n", name, got ? got : "(none)", want);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* The draft builds into a message whose subject decodes as written. */
static void expect_builds(const char *draft, const char *subject)
{
	char *cause = NULL, *msg;
	size_t len;
	struct mime_summary s = { 0 };

	msg = build(draft, &len, &cause);
	if (!msg)
		fprintf(stderr, "build failed: %s\n", cause);
	assert_non_null(msg);
	assert_true(mime_headers_summary(msg, len, &s));
	assert_string_equal(s.subject, subject);
	mime_summary_release(&s);
	free(msg);
}

static void test_reply(void **state)
{
	char *cause = NULL, *d;

	(void)state;
	d = compose_draft_reply(acc, orig_msg, sizeof(orig_msg) - 1, false, &cause);
	assert_non_null(d);
	expect_header(d, "From", "J\xc3\xb6rg M\xc3\xbcller <me@example.org>");
	expect_header(d, "To", "Ana L\xc3\xb3pez <ana@example.com>");
	expect_header(d, "Cc", "");
	expect_header(d, "Subject", "Re: Caf\xc3\xa9");
	expect_header(d, "In-Reply-To", "<orig@example.com>");
	expect_header(d, "References", "<a@example.com> <b@example.com> <orig@example.com>");
	assert_non_null(strstr(d, "\n\nOn Mon, 02 Nov 2026 "));
	assert_non_null(strstr(d, ", Ana L\xc3\xb3pez wrote:\n> Hello,\n>> earlier\n>\n> line ^[[31mtwo\n"));
	assert_null(strstr(d, "Ana sig"));  /* the original's signature is not quoted */
	assert_null(strstr(d, "\x1b"));      /* nor its escape sequences */
	assert_non_null(strstr(d, "\n-- \nJ\xc3\xb6rg\nhttps://example.org\n"));
	expect_builds(d, "Re: Caf\xc3\xa9");
	free(d);
}

static void test_reply_all(void **state)
{
	char *cause = NULL, *d;

	(void)state;
	d = compose_draft_reply(acc, orig_msg, sizeof(orig_msg) - 1, true, &cause);
	assert_non_null(d);
	expect_header(d, "To", "Ana L\xc3\xb3pez <ana@example.com>");
	/* own address, alternates (any case) left out; names with specials quoted */
	expect_header(d, "Cc", "bob@example.com, carol@example.com, \"Smith, Al\" <al@example.com>");
	expect_builds(d, "Re: Caf\xc3\xa9");
	free(d);
}

static void test_forward(void **state)
{
	char *cause = NULL, *d, *path, *msg;
	size_t len;
	struct mime_message *m;
	bool found = false;

	(void)state;
	d = compose_draft_forward(acc, orig_msg, sizeof(orig_msg) - 1, "x@example.com", NULL, &cause);
	assert_non_null(d);
	expect_header(d, "To", "x@example.com");
	expect_header(d, "Subject", "Fwd: RE: Re: Caf\xc3\xa9");
	assert_non_null(strstr(d, "---------- Forwarded message ----------\nSubject: RE: Re: Caf\xc3\xa9\n"));
	assert_non_null(strstr(d, "\nFrom: Ana L\xc3\xb3pez <ana@example.com>\n"));
	assert_non_null(strstr(d, "\nHello,\n"));
	expect_builds(d, "Fwd: RE: Re: Caf\xc3\xa9");
	free(d);

	path = write_file("forwarded.eml", orig_msg, sizeof(orig_msg) - 1);
	d = compose_draft_forward(acc, orig_msg, sizeof(orig_msg) - 1, "x@example.com", path, &cause);
	assert_non_null(d);
	expect_header(d, "Attach", path);
	msg = build(d, &len, &cause);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "Content-Type: message/rfc822"));
	assert_non_null(strstr(msg, "Content-Transfer-Encoding: 7bit"));
	m = mime_parse(msg, len);
	assert_int_equal(mime_note_count(m), 0);
	for (size_t i = 1; i <= mime_part_count(m); i++) {
		char *t = mime_part_decode(m, (int)i, &len);

		found |= strstr(t, "Ana sig") != NULL;
		free(t);
	}
	assert_true(found);
	mime_message_free(&m);
	free(msg);
	free(d);
	free(path);
}

static void test_new_draft(void **state)
{
	char *cause = NULL, *d;
	char *att[] = { (char *)"/x/a.pdf" };

	(void)state;
	d = compose_draft_new(acc, "a@example.com", "Hi\nBcc: evil@example.com", att, 1, &cause);
	assert_non_null(d);
	expect_header(d, "To", "a@example.com");
	expect_header(d, "Subject", "Hi Bcc: evil@example.com");
	expect_header(d, "Bcc", "");
	expect_header(d, "Attach", "/x/a.pdf");
	free(d);
}

static void test_resume(void **state)
{
	char bin[256], *p1, *draft, *cause = NULL, *msg, *d, *again, *got, *dir;
	size_t len, alen, glen;
	struct mime_message *m;

	(void)state;
	for (int i = 0; i < 256; i++)
		bin[i] = (char)(255 - i);
	p1 = write_file("resume.bin", bin, sizeof(bin));
	draft = xasprintf("To: \"Doe, John\" <jd@example.com>\nBcc: b@example.com\n"
			  "Subject: Gr\xc3\xbc\xc3\x9f" "e\nAttach: %s\n\nText -- \xc3\xa9\n", p1);
	msg = build(draft, &len, &cause);
	assert_non_null(msg);
	dir = xasprintf("%s/resume", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	d = compose_draft_resume(msg, len, dir, &cause);
	assert_non_null(d);
	expect_header(d, "To", "\"Doe, John\" <jd@example.com>");
	expect_header(d, "Bcc", "b@example.com");
	expect_header(d, "Subject", "Gr\xc3\xbc\xc3\x9f" "e");
	assert_non_null(strstr(d, "\n\nText -- \xc3\xa9\n"));
	again = build(d, &alen, &cause);
	assert_non_null(again);
	m = mime_parse(again, alen);
	got = mime_part_decode(m, 2, &glen);
	assert_int_equal(glen, sizeof(bin));
	assert_memory_equal(got, bin, sizeof(bin));
	free(got);
	mime_message_free(&m);
	free(again);
	free(d);
	free(dir);
	free(msg);
	free(draft);
	free(p1);
}

/* Encoded words stay within 75 bytes and never split a UTF-8 character
 * (each word decodes to valid UTF-8 on its own), in Q and in B. */
static void test_encoded_words(void **state)
{
	static const char *const in[] = {
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6\xe5\x90\x8d",
		"caf\xc3\xa9 x ",
		"\xf0\x9f\x98\x80 emoji \xf0\x9f\x98\x80",
		"a=?b?= looks encoded",
	};
	(void)state;
	for (size_t k = 0; k < sizeof(in) / sizeof(in[0]); k++) {
		struct strbuf sb = STRBUF_INIT, src = STRBUF_INIT;
		char *dec;

		for (int r = 0; r < 12; r++)
			strbuf_addstr(&src, in[k]);
		util_trim(src.buf);  /* header values are trimmed */
		src.len = strlen(src.buf);
		mime_encode_text(&sb, src.buf);
		for (char *w = strstr(sb.buf, "=?"); w; w = strstr(w + 2, "=?")) {
			char *e, *one;

			/* past "=?charset?Q?": the word's real end */
			e = strstr(strchr(strchr(w + 2, '?') + 1, '?') + 1, "?=");
			assert_non_null(e);
			assert_true(e + 2 - w <= 75);
			one = xstrndup(w, (size_t)(e + 2 - w));
			dec = mime_decode_header(one);
			assert_true(mime_utf8_valid(dec, strlen(dec)));
			assert_null(strstr(dec, "\xef\xbf\xbd"));  /* no U+FFFD */
			free(dec);
			free(one);
			w = e;
		}
		dec = mime_decode_header(sb.buf);
		assert_string_equal(dec, src.buf);
		free(dec);
		strbuf_release(&sb);
		strbuf_release(&src);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_encoded),
		cmocka_unit_test(test_body_encodings),
		cmocka_unit_test(test_attachments),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_pass_through),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_reply_all),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_new_draft),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_encoded_words),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
