/* Unit tests for header decoding: RFC 2047 words, RFC 2231 parameters,
 * charset conversion and the index summary (src/mime). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mime/mime.h"

#define EURO "\xe2\x82\xac"
#define EACUTE "\xc3\xa9"
#define FFFD "\xef\xbf\xbd"

static void check_decode(const char *raw, const char *want)
{
	char *got = mime_decode_header(raw);

	assert_string_equal(got, want);
	free(got);
}

static void test_rfc2047_b_and_q(void **state)
{
	(void)state;
	check_decode("=?utf-8?B?SGVsbG8gV29ybGQ=?=", "Hello World");
	check_decode("=?UTF-8?b?SGVsbG8=?=", "Hello");
	check_decode("=?iso-8859-1?Q?Andr=E9?= Pirard", "Andr" EACUTE " Pirard");
	check_decode("=?utf-8?q?hello_world?=", "hello world");
	check_decode("=?utf-8?q?caf=c3=a9?=", "caf" EACUTE);  /* lower-case hex */
	check_decode("plain text", "plain text");
	check_decode("", "");
	/* a language tag (RFC 2231 section 5) */
	check_decode("=?utf-8*en?q?hi?=", "hi");
	/* base64 without padding still decodes */
	check_decode("=?utf-8?B?SGVsbG8?=", "Hello");
}

static void test_rfc2047_adjacent(void **state)
{
	(void)state;
	/* white space between adjacent words is dropped, folded or not */
	check_decode("=?utf-8?q?a?= =?utf-8?q?b?=", "ab");
	check_decode("=?utf-8?q?a?=  \r\n\t=?utf-8?q?b?=", "ab");
	/* but not between a word and text */
	check_decode("=?utf-8?q?a?= b =?utf-8?q?c?=", "a b c");
	check_decode("a =?utf-8?q?b?=", "a b");
	/* a character split across two words is joined before conversion */
	check_decode("=?utf-8?B?4oI=?= =?utf-8?B?rA==?=", EURO);
	/* adjacent words in different charsets */
	check_decode("=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?=", EACUTE EACUTE);
	/* the space inside an encoded word survives */
	check_decode("=?utf-8?q?a_?= =?utf-8?q?b?=", "a b");
	/* unfolding of plain text */
	check_decode("a long\r\n subject", "a long subject");
}

static void test_rfc2047_unknown_and_malformed(void **state)
{
	(void)state;
	/* unknown charset: bytes kept where valid UTF-8, others replaced */
	check_decode("=?x-bogus?q?abc=FF?=", "abc" FFFD);
	check_decode("=?x-bogus?q?=C3=A9?=", EACUTE);
	/* a charset name that could steer iconv is refused the same way */
	check_decode("=?utf-8//TRANSLIT?q?x?=", "x");
	/* malformed words stay as written */
	check_decode("=?utf-8?x?abc?=", "=?utf-8?x?abc?=");
	check_decode("=?utf-8?q?abc", "=?utf-8?q?abc");
	check_decode("=?utf-8?q?a b?=", "=?utf-8?q?a b?=");
	check_decode("=??q?abc?=", "=??q?abc?=");
	check_decode("=?utf-8?q?", "=?utf-8?q?");
	check_decode("=?=?=?=?", "=?=?=?=?");
	/* raw 8-bit headers: UTF-8 kept, anything else read as windows-1252 */
	check_decode("caf\xc3\xa9", "caf" EACUTE);
	check_decode("caf\xe9", "caf" EACUTE);
	/* a NUL cannot cut the value short */
	check_decode("=?utf-8?q?a=00b?=", "a" FFFD "b");
}

static void test_rfc2047_hostile(void **state)
{
	char *got, *safe;

	(void)state;
	/* decoded, not sanitized: the caller sanitizes, and that works */
	got = mime_decode_header("=?utf-8?q?=1B]52;c;aGk=3D=07?=");
	assert_string_equal(got, "\x1b]52;c;aGk=\x07");
	safe = sanitize_line(got);
	assert_string_equal(safe, "^[]52;c;aGk=^G");
	free(got);
	free(safe);
	/* a long run of almost-words costs linear time and decodes nothing */
	{
		size_t n = 200000;
		char *raw = malloc(n + 1);

		for (size_t i = 0; i < n; i += 6)
			memcpy(raw + i, "=?a?q?", n - i < 6 ? n - i : 6);
		raw[n] = '\0';
		got = mime_decode_header(raw);
		assert_non_null(got);
		free(got);
		free(raw);
	}
}

static void test_rfc2047_iso2022jp(void **state)
{
	(void)state;
	check_decode("=?ISO-2022-JP?B?GyRCJEgkaiQiJCgkOhsoQg==?=",
		     "\xe3\x81\xa8\xe3\x82\x8a\xe3\x81\x82\xe3\x81\x88\xe3\x81\x9a");
}

static void check_param(const char *value, const char *name, const char *want)
{
	char *got = mime_header_param(value, name);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_rfc2231(void **state)
{
	(void)state;
	check_param("attachment; filename*=utf-8''%E2%82%AC%20rates.pdf", "filename",
		    EURO " rates.pdf");
	/* continuations, the split falling inside a UTF-8 sequence */
	check_param("attachment; filename*0*=utf-8''%E2%82; filename*1*=%AC; filename*2=\".txt\"",
		    "filename", EURO ".txt");
	check_param("attachment; filename*=iso-8859-1'en'caf%E9.txt", "filename",
		    "caf" EACUTE ".txt");
	check_param("attachment; filename*0=\"long\"; filename*1=\"name.txt\"", "filename",
		    "longname.txt");
	/* out of order sections */
	check_param("attachment; filename*1=\"b\"; filename*0=\"a\"", "filename", "ab");
	/* the extended form wins over the plain one */
	check_param("attachment; filename=\"fallback.txt\"; filename*=utf-8''real.txt",
		    "filename", "real.txt");
	/* a missing section ends the value */
	check_param("attachment; filename*0=a; filename*2=c", "filename", "a");
	/* bad percent escapes stay */
	check_param("attachment; filename*=utf-8''%zz%4", "filename", "%zz%4");
	/* no charset given */
	check_param("attachment; filename*=''plain%21", "filename", "plain!");
	/* an unknown charset keeps what is valid */
	check_param("attachment; filename*=x-bogus''a%FFb", "filename", "a" FFFD "b");
}

static void test_params_plain(void **state)
{
	(void)state;
	check_param("text/plain; charset=\"us-ascii\"; name=foo.txt", "charset", "us-ascii");
	check_param("text/plain; charset=\"us-ascii\"; name=foo.txt", "name", "foo.txt");
	check_param("text/plain; CHARSET=UTF-8", "charset", "UTF-8");
	check_param("attachment; FileName=x.pdf", "filename", "x.pdf");
	check_param("attachment; filename=\"a\\\"b.txt\"", "filename", "a\"b.txt");
	check_param("attachment; filename=my file.pdf ; size=3", "filename", "my file.pdf");
	check_param("attachment; filename=\"unterminated", "filename", "unterminated");
	/* RFC 2047 inside a quoted value: wrong, and everywhere */
	check_param("attachment; filename=\"=?utf-8?B?w6k=?=.txt\"", "filename", EACUTE ".txt");
	/* raw latin1 in a value */
	check_param("attachment; filename=\"caf\xe9.txt\"", "filename", "caf" EACUTE ".txt");
	/* a quoted ';' in the type does not end it */
	check_param("x/\"y;z\"; a=1", "a", "1");
	check_param("attachment", "filename", NULL);
	check_param(";;;=;filename", "filename", NULL);
	check_param("attachment; filenamex=1; xfilename=2", "filename", NULL);
	check_param("", "filename", NULL);
	check_param("attachment; filename*99999999999999999999=x", "filename", NULL);
}

static void check_charset(const char *in, size_t len, const char *cs, const char *want,
			  enum mime_charset_status want_st)
{
	enum mime_charset_status st;
	size_t n;
	char *got = mime_charset_to_utf8(in, len, cs, &n, &st);

	assert_string_equal(got, want);
	assert_int_equal(n, strlen(want));
	assert_int_equal(st, want_st);
	free(got);
}

#define CS(in, cs, want, st) check_charset(in, sizeof(in) - 1, cs, want, st)

static void test_charsets(void **state)
{
	(void)state;
	CS("caf\xe9", "iso-8859-1", "caf" EACUTE, MIME_CHARSET_OK);
	CS("caf\xe9", "Latin1", "caf" EACUTE, MIME_CHARSET_OK);
	CS("\x93q\x94 \x80", "windows-1252", "\xe2\x80\x9cq\xe2\x80\x9d " EURO, MIME_CHARSET_OK);
	/* iso-8859-1 is read as windows-1252: no C1 controls come out */
	CS("\x93q\x94", "iso-8859-1", "\xe2\x80\x9cq\xe2\x80\x9d", MIME_CHARSET_OK);
	CS("\xa4", "iso-8859-15", EURO, MIME_CHARSET_OK);
	CS("\xf0\xd2\xc9\xd7\xc5\xd4", "koi8-r",
	   "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", MIME_CHARSET_OK);
	CS("\x1b$B$H$j\x1b(B", "iso-2022-jp", "\xe3\x81\xa8\xe3\x82\x8a", MIME_CHARSET_OK);
	CS("\x93\xfa\x96{", "shift_jis", "\xe6\x97\xa5\xe6\x9c\xac", MIME_CHARSET_OK);
	/* invalid input in a known charset: replaced, the rest kept */
	CS("a\xffz", "utf-8", "a" FFFD "z", MIME_CHARSET_REPLACED);
	CS("a\xffz", "shift_jis", "a" FFFD "z", MIME_CHARSET_REPLACED);
	/* no charset or us-ascii: UTF-8 when valid, else windows-1252 */
	CS("caf\xc3\xa9", NULL, "caf" EACUTE, MIME_CHARSET_OK);
	CS("caf\xe9", NULL, "caf" EACUTE, MIME_CHARSET_OK);
	CS("caf\xe9", "us-ascii", "caf" EACUTE, MIME_CHARSET_OK);
	CS("\"utf-8\"", "\"UTF-8\"", "\"utf-8\"", MIME_CHARSET_OK);
	/* unknown and bogus names */
	CS("a\xc3\xa9\xff", "x-nonsense", "a" EACUTE FFFD, MIME_CHARSET_UNKNOWN);
	CS("ab", "utf-8//TRANSLIT", "ab", MIME_CHARSET_UNKNOWN);
	CS("ab", "../../etc/passwd", "ab", MIME_CHARSET_UNKNOWN);
	CS("", "utf-16", "", MIME_CHARSET_OK);
	/* a multibyte charset cut short at the end */
	CS("\x93", "shift_jis", FFFD, MIME_CHARSET_REPLACED);
}

static void test_summary(void **state)
{
	static const char msg[] =
		"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
		"From: =?utf-8?q?J=C3=B6rg?= Example <joerg@example.org>\n"
		"To: a@example.org, \"Doe, John\" <john@example.org>\n"
		"Cc: Group: c@example.org;\n"
		"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n"
		" =?utf-8?q?_aus_Berlin?=\n"
		"Message-ID: <abc@example.org>\n"
		"In-Reply-To: <parent@example.org> (comment)\n"
		"References: <root@example.org>\n"
		"\t<parent@example.org>\n"
		"Date: Tue, 1 Jul 2003 10:52:37 +0200\n"
		"Content-Type: Multipart/Mixed; boundary=x";  /* header-only, no newline */
	struct mime_summary s;

	(void)state;
	assert_true(mime_headers_summary(msg, sizeof(msg) - 1, &s));
	assert_string_equal(s.from, "J\xc3\xb6rg Example <joerg@example.org>");
	assert_string_equal(s.from_addr, "joerg@example.org");
	assert_string_equal(s.to, "a@example.org, \"Doe, John\" <john@example.org>");
	assert_string_equal(s.cc, "Group: c@example.org;");
	assert_string_equal(s.subject, "Gr\xc3\xbc\xc3\x9f" "e aus Berlin");
	assert_string_equal(s.message_id, "abc@example.org");
	assert_string_equal(s.in_reply_to, "parent@example.org");
	assert_int_equal(s.n_references, 2);
	assert_string_equal(s.references[0], "root@example.org");
	assert_string_equal(s.references[1], "parent@example.org");
	assert_int_equal(s.date, 1057049557);
	assert_string_equal(s.content_type, "multipart/mixed");
	mime_summary_release(&s);
	assert_null(s.from);
}

static void test_summary_edge_cases(void **state)
{
	struct mime_summary s;
	static const char nohdr[] = "just some text\nno headers at all\n";
	static const char body_only_blank[] = "\nbody after a blank line\n";
	static const char bad[] = "From: not an address at all <<<\nDate: yesterday\n"
		"Message-ID: bare-id@x\nContent-Type: garbage\n\nbody";

	(void)state;
	assert_false(mime_headers_summary(nohdr, sizeof(nohdr) - 1, &s));
	assert_null(s.subject);
	assert_string_equal(s.content_type, "text/plain");
	mime_summary_release(&s);

	assert_false(mime_headers_summary(body_only_blank, sizeof(body_only_blank) - 1, &s));
	mime_summary_release(&s);

	assert_false(mime_headers_summary("", 0, &s));
	mime_summary_release(&s);

	assert_true(mime_headers_summary(bad, sizeof(bad) - 1, &s));
	assert_string_equal(s.from, "not an address at all <<<");
	assert_int_equal(s.date, 0);
	assert_string_equal(s.message_id, "bare-id@x");
	assert_string_equal(s.content_type, "text/plain");
	mime_summary_release(&s);
}

static void test_summary_hostile(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct mime_summary s;

	(void)state;
	/* 200,000 nested comments crash libetpan's parser when given raw */
	strbuf_addstr(&sb, "From: ");
	for (int i = 0; i < 200000; i++)
		strbuf_addch(&sb, '(');
	strbuf_addstr(&sb, "x@y\nDate: ");
	for (int i = 0; i < 200000; i++)
		strbuf_addch(&sb, '(');
	strbuf_addstr(&sb, "\nSubject: ok\n");
	for (int i = 0; i < 5000; i++)
		strbuf_addf(&sb, "X-Junk-%d: %d\n", i, i);
	strbuf_addstr(&sb, "\n");
	assert_true(mime_headers_summary(sb.buf, sb.len, &s));
	assert_non_null(s.from);
	assert_string_equal(s.subject, "ok");
	assert_int_equal(s.date, 0);
	mime_summary_release(&s);
	strbuf_release(&sb);

	/* a 1 MB subject is kept to MIME_MAX_HEADER_LINE */
	strbuf_addstr(&sb, "Subject: ");
	for (int i = 0; i < 1 << 20; i++)
		strbuf_addch(&sb, 'a');
	strbuf_addstr(&sb, "\n\n");
	assert_true(mime_headers_summary(sb.buf, sb.len, &s));
	assert_int_equal(strlen(s.subject), MIME_MAX_HEADER_LINE);
	mime_summary_release(&s);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2047_b_and_q),
		cmocka_unit_test(test_rfc2047_adjacent),
		cmocka_unit_test(test_rfc2047_unknown_and_malformed),
		cmocka_unit_test(test_rfc2047_hostile),
		cmocka_unit_test(test_rfc2047_iso2022jp),
		cmocka_unit_test(test_rfc2231),
		cmocka_unit_test(test_params_plain),
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_summary_edge_cases),
		cmocka_unit_test(test_summary_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
