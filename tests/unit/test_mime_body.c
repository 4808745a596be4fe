/* Unit tests for bodies: transfer decoding, format=flowed, HTML to text,
 * parsing, rendering and the limits on hostile messages (src/mime). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mime/private.h"

#define FFFD "\xef\xbf\xbd"

/* ---- transfer encodings ---- */

static void check_b64(const char *in, const char *want, bool want_bad)
{
	struct strbuf sb = STRBUF_INIT;
	bool bad = mime_transfer_decode(&sb, in, strlen(in), MIME_ENC_BASE64);

	assert_string_equal(strbuf_str(&sb), want);
	assert_int_equal(bad, want_bad);
	strbuf_release(&sb);
}

static void check_qp(const char *in, const char *want, bool want_bad)
{
	struct strbuf sb = STRBUF_INIT;
	bool bad = mime_transfer_decode(&sb, in, strlen(in), MIME_ENC_QP);

	assert_string_equal(strbuf_str(&sb), want);
	assert_int_equal(bad, want_bad);
	strbuf_release(&sb);
}

static void test_transfer(void **state)
{
	(void)state;
	check_b64("SGVsbG8gV29ybGQ=", "Hello World", false);
	check_b64("SGVs\r\nbG8=\r\n", "Hello", false);
	check_b64("SGVsbG8=V29ybGQ=", "HelloWorld", false);     /* glued */
	check_b64("SGV*sbG8!", "Hello", true);                  /* junk skipped */
	check_b64("SGVsbG8", "Hello", true);                    /* no padding */
	check_b64("S", "", true);
	check_b64("", "", false);
	check_qp("caf=C3=A9 =\r\nsoft=\nbreak", "caf\xc3\xa9 softbreak", false);
	check_qp("trailing   \r\nspace\t\nx", "trailing\r\nspace\nx", false);
	check_qp("=ZZ and =4", "=ZZ and =4", true);
	check_qp("a=  \r\nb", "ab", false);
	check_qp("end=", "end", false);
	check_qp("lower=c3=a9", "lower\xc3\xa9", false);
}

/* ---- format=flowed ---- */

static void check_flowed(const char *in, bool delsp, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	mime_flowed_decode(&sb, in, strlen(in), delsp);
	assert_string_equal(strbuf_str(&sb), want);
	strbuf_release(&sb);
}

static void test_flowed(void **state)
{
	(void)state;
	check_flowed("Hello \nworld\n", false, "Hello world\n");
	check_flowed("a \nb \nc\nd\n", false, "a b c\nd\n");
	check_flowed("Hel \nlo\n", true, "Hello\n");
	check_flowed("> a \n> b\n", false, "> a b\n");
	check_flowed(">> deep \n>> er\n> up\n", false, ">> deep er\n> up\n");
	/* a soft break into another quote depth is a hard one */
	check_flowed("> a \nb\n", false, "> a \nb\n");
	/* space-stuffing removed */
	check_flowed(" From me\n", false, "From me\n");
	check_flowed(">  indented\n", false, ">  indented\n");
	/* the signature separator is never a soft break */
	check_flowed("text\n-- \nsig\n", false, "text\n-- \nsig\n");
	check_flowed("-- \nsig\n", true, "-- \nsig\n");
	check_flowed("last ", false, "last \n");
	check_flowed("", false, "");
	check_flowed("\n\n", false, "\n\n");
}

/* ---- HTML ---- */

static void check_html(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	mime_html_to_text(&sb, in, strlen(in));
	assert_string_equal(strbuf_str(&sb), want);
	strbuf_release(&sb);
}

static void test_html_entities(void **state)
{
	(void)state;
	check_html("a &amp; b &lt;c&gt; &#x41;&#66; &eacute; &bogus; &#0; &#x110000; &#150;",
		   "a & b <c> AB \xc3\xa9 &bogus; " FFFD " " FFFD " \xe2\x80\x93\n");
	check_html("&nbsp;x&nbsp", "\xc2\xa0x\xc2\xa0\n");
	check_html("&amp&lt;&AMP;", "&<&AMP;\n");
	check_html("&#27;[31m", "\x1b[31m\n");  /* decoded; the renderer sanitizes */
	check_html("&#xFFFFFFFFFFFFFFFFFFFFFF;", FFFD "\n");
}

static void test_html_structure(void **state)
{
	(void)state;
	check_html("<p>Hi<script>alert('<p>x</p>')</script><style>p{}</style> there</p>",
		   "Hi there\n");
	check_html("<html><head><title>T</title><style>x</style></head><body>B</body></html>",
		   "B\n");
	check_html("<p>one</p><p>two</p>", "one\n\ntwo\n");
	check_html("<div>a</div><div>b</div>", "a\nb\n");
	check_html("a<br>b<br><br>c", "a\nb\n\nc\n");
	check_html("<blockquote>q<blockquote>qq</blockquote></blockquote>after",
		   "> q\n\n> > qq\n\nafter\n");
	check_html("<pre>a  b\n  c</pre>x", "a  b\n  c\n\nx\n");
	check_html("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
		   "a\tb\nc\n");
	check_html("<img src=x alt=\"logo\"> <img src=y>", "[logo]\n");
	check_html("  lots   of \n\n white\tspace  ", "lots of white space\n");
	check_html("<hr>", "----------\n");
}

static void test_html_lists(void **state)
{
	(void)state;
	check_html("<ul><li>one<li>two<ul><li>two.a</li><li>two.b</li></ul></li><li>three</ul>",
		   "* one\n* two\n  * two.a\n  * two.b\n* three\n");
	check_html("<ol><li>x</li><li>y<ol><li>y.1</li></ol></li></ol>after",
		   "1. x\n2. y\n  1. y.1\n\nafter\n");
	check_html("<li>stray item", "* stray item\n");
}

static void test_html_links(void **state)
{
	(void)state;
	check_html("<a href=\"https://e.com/x\">click</a> and <a href='https://e.com/x'>again</a>"
		   " <a href=\"mailto:a@b\">a@b</a> <a href=https://o.org>https://o.org</a>"
		   " <a href=\"#top\">top</a> <a href=\"javascript:evil()\">js</a>"
		   " <a href=\"https://e.com/?a=1&amp;b=2\">amp</a>",
		   "click [1] and again [1] a@b https://o.org top js amp [2]\n\n"
		   "[1] https://e.com/x\n[2] https://e.com/?a=1&b=2\n");
	/* an unclosed <a> still gets its number */
	check_html("<a href=\"https://u.net\">open", "open [1]\n\n[1] https://u.net\n");
}

static void test_html_malformed(void **state)
{
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;

	(void)state;
	check_html("<p>unclosed <b>bold <i>text", "unclosed bold text\n");
	check_html("a < b and c > d", "a < b and c > d\n");
	check_html("x<div", "x\n");
	check_html("x<a href=\"never closed", "x\n");
	check_html("a<!-- never closed", "a\n");
	check_html("a<!-- c -->b<!DOCTYPE html>c<?xml x?>d", "abcd\n");
	check_html("<script>never closed", "");
	check_html("</p></div></ul></blockquote>text", "text\n");
	check_html("", "");

	/* a huge attribute: linear, and the URL is capped */
	strbuf_addstr(&in, "<a href=\"https://x/");
	for (int i = 0; i < 1 << 20; i++)
		strbuf_addch(&in, 'x');
	strbuf_addstr(&in, "\" title=\"");
	for (int i = 0; i < 1 << 20; i++)
		strbuf_addch(&in, 'y');
	strbuf_addstr(&in, "\">t</a>");
	mime_html_to_text(&out, in.buf, in.len);
	assert_non_null(strstr(out.buf, "t [1]\n\n[1] https://x/xxx"));
	assert_true(out.len < 4096);
	strbuf_release(&in);
	strbuf_release(&out);

	/* many unclosed '<' and deep nesting cost linear time too */
	for (int i = 0; i < 100000; i++)
		strbuf_addstr(&in, "<ul><li><blockquote><a href=x>");
	mime_html_to_text(&out, in.buf, in.len);
	strbuf_release(&out);
	strbuf_reset(&in);
	for (int i = 0; i < 200000; i++)
		strbuf_addstr(&in, "< a <");
	mime_html_to_text(&out, in.buf, in.len);
	strbuf_release(&out);
	strbuf_release(&in);
}

static void test_html_meta_charset(void **state)
{
	static const char a[] = "<html><head><meta charset=\"koi8-r\"></head>";
	static const char b[] = "<meta http-equiv=Content-Type content='text/html; charset=windows-1251'>";
	char *cs;

	(void)state;
	cs = mime_html_meta_charset(a, sizeof(a) - 1);
	assert_string_equal(cs, "koi8-r");
	free(cs);
	cs = mime_html_meta_charset(b, sizeof(b) - 1);
	assert_string_equal(cs, "windows-1251");
	free(cs);
	assert_null(mime_html_meta_charset("<p>charset=x</p>", 16));
}

/* ---- parse and render ---- */

static char *render(const char *msg, unsigned flags)
{
	struct mime_message *m = mime_parse(msg, strlen(msg));
	char *out = mime_render(m, flags);

	mime_message_free(&m);
	assert_null(m);
	return out;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" not found in:\n%s", needle, hay ? hay : "(null)");
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("\"%s\" found in:\n%s", needle, hay ? hay : "(null)");
}

static void test_render_simple(void **state)
{
	char *out;

	(void)state;
	out = render("From: A <a@example.org>\r\nTo: b@example.org\r\nSubject: hi\r\n"
		     "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\nX-Other: x\r\n\r\nbody\r\n", 0);
	assert_string_equal(out, "Date: Tue, 1 Jul 2003 10:52:37 +0200\nFrom: A <a@example.org>\n"
			    "To: b@example.org\nSubject: hi\n\nbody\n");
	free(out);
	out = render("Subject: hi\nX-Other: =?utf-8?q?d=C3=A9cod=C3=A9?=\n\nbody\n",
		     MIME_RENDER_ALL_HEADERS);
	assert_string_equal(out, "Subject: hi\nX-Other: d\xc3\xa9" "cod\xc3\xa9\n\nbody\n");
	free(out);
	/* no headers at all, and nothing but headers */
	out = render("just text\n", 0);
	assert_string_equal(out, "\njust text\n");
	free(out);
	out = render("Subject: only headers", 0);
	assert_string_equal(out, "Subject: only headers\n\n");
	free(out);
	out = render("", 0);
	assert_string_equal(out, "\n");
	free(out);
}

static void test_render_alternative(void **state)
{
	static const char alt[] =
		"Subject: alt\nContent-Type: multipart/alternative; boundary=b\n\n"
		"--b\nContent-Type: text/plain\n\nthe plain one\n"
		"--b\nContent-Type: text/html\n\n<p>the <b>html</b> one</p>\n--b--\n";
	static const char html_only[] =
		"Subject: alt\nContent-Type: multipart/alternative; boundary=b\n\n"
		"--b\nContent-Type: text/plain\n\n  \n"
		"--b\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
		"<p>caf=C3=A9 <a href=3D\"https://x.org/\">link</a></p>\n--b--\n";
	char *out;

	(void)state;
	out = render(alt, 0);
	assert_contains(out, "the plain one");
	assert_lacks(out, "html");
	free(out);
	out = render(html_only, 0);
	assert_contains(out, "caf\xc3\xa9 link [1]\n\n[1] https://x.org/\n");
	free(out);
}

static void test_render_flowed_and_charset(void **state)
{
	char *out;

	(void)state;
	out = render("Content-Type: text/plain; charset=iso-8859-1; format=flowed; delsp=yes\n\n"
		     "caf\xe9 lo \nng line\n> quo \n> ted\n", 0);
	assert_string_equal(out, "\ncaf\xc3\xa9 long line\n> quoted\n");
	free(out);
	out = render("Content-Type: text/plain; charset=x-unheard-of\n\nabc\xff\n", 0);
	assert_contains(out, "[part 1: unknown charset \"x-unheard-of\"");
	assert_contains(out, "abc" FFFD "\n");
	free(out);
}

static void test_render_parts(void **state)
{
	static const char msg[] =
		"Subject: parts\nContent-Type: multipart/mixed; boundary=\"=_b\"\n\n"
		"preamble\n--=_b\n\nfirst\n"
		"--=_b\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
		"--=_b\nContent-Type: application/pdf; name=\"ignored.pdf\"\n"
		"Content-Disposition: attachment; filename*=utf-8''r%C3%A9port.pdf\n"
		"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
		"--=_b\nContent-Type: text/x-diff; name=fix.patch\nContent-Disposition: attachment\n\n"
		"--- a\n+++ b\n"
		"--=_b\nContent-Type: message/rfc822\n\n"
		"From: inner@example.org\nSubject: forwarded\n\ninner body\n"
		"--=_b--\nepilogue\n";
	struct mime_message *m = mime_parse(msg, sizeof(msg) - 1);
	struct mime_part_info info;
	char *out, *data;
	size_t len;

	(void)state;
	assert_int_equal(mime_part_count(m), 5);
	assert_true(mime_part_info(m, 2, &info));
	assert_string_equal(info.type, "image/png");
	assert_int_equal(info.size, 8);
	assert_null(info.filename);
	assert_false(info.is_attachment);
	assert_true(mime_part_info(m, 3, &info));
	assert_string_equal(info.type, "application/pdf");
	assert_string_equal(info.filename, "r\xc3\xa9port.pdf");
	assert_true(info.is_attachment);
	assert_false(mime_part_info(m, 0, &info));
	assert_false(mime_part_info(m, 6, &info));
	data = mime_part_decode(m, 3, &len);
	assert_int_equal(len, 9);
	assert_memory_equal(data, "%PDF-1.4\n", 9);
	free(data);
	assert_null(mime_part_decode(m, 99, &len));

	out = mime_render(m, 0);
	assert_contains(out, "Subject: parts\n\nfirst\n");
	assert_contains(out, "[part 2: image/png, 8 B \xe2\x80\x94 not shown; save it with petrel save 2]");
	assert_contains(out, "[part 4: text/x-diff, 11 B, fix.patch]\n--- a\n+++ b\n");
	assert_contains(out, "--- Forwarded message ---\nFrom: inner@example.org\n"
			"Subject: forwarded\n\ninner body\n");
	assert_contains(out, "--- End of forwarded message ---\n");
	assert_contains(out, "Attachments:\n[3] application/pdf, 9 B, r\xc3\xa9port.pdf\n"
			"[4] text/x-diff, 11 B, fix.patch\n");
	assert_lacks(out, "preamble");
	assert_lacks(out, "epilogue");
	free(out);
	mime_message_free(&m);
}

static void test_render_encoded_rfc822(void **state)
{
	/* a forwarded message in base64: libetpan leaves it, petrel opens it */
	static const char msg[] =
		"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
		"U3ViamVjdDogaW5uZXIKCmhlbGxvIGZyb20gaW5zaWRlCg==\n";
	char *out = render(msg, 0);

	(void)state;
	assert_contains(out, "--- Forwarded message ---\nSubject: inner\n\nhello from inside\n");
	free(out);
}

static void test_render_hostile_text(void **state)
{
	static const char msg[] =
		"From: \x1b]52;c;ZXZpbA==\x07 <a@b>\n"
		"Subject: =?utf-8?q?=1B[2J=1B]0;title=07?= \xc2\x9b" "31m\n"
		"To: =?utf-8?q?x=0AFrom:_forged?= <c@d>\n"
		"Content-Type: text/plain; charset=utf-8\n\n"
		"body \x1b[31mred\x1b[0m \xe2\x80\xae" "fdp.exe \x9b" "1m \0nul\n";
	struct mime_message *m = mime_parse(msg, sizeof(msg) - 1);
	char *out = mime_render(m, MIME_RENDER_ALL_HEADERS);

	(void)state;
	for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
		assert_true(*p >= 0x20 || *p == '\n');
		assert_true(*p != 0x7f);
		if (*p == 0xc2)
			assert_false(p[1] >= 0x80 && p[1] <= 0x9f);
	}
	assert_contains(out, "Subject: ^[[2J^[]0;title^G ^[[31m\n");
	/* a decoded line break cannot start a forged header line */
	assert_contains(out, "To: x From: forged <c@d>\n");
	assert_contains(out, "<U+202E>fdp.exe");
	assert_contains(out, "^@nul");
	free(out);
	mime_message_free(&m);
}

static void test_limits_depth(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct mime_message *m;
	char *out;

	(void)state;
	for (int i = 0; i < 200; i++)
		strbuf_addf(&sb, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	strbuf_addstr(&sb, "\ndeepest\n");
	for (int i = 199; i >= 0; i--)
		strbuf_addf(&sb, "--b%d--\n", i);
	m = mime_parse(sb.buf, sb.len);
	assert_true(mime_note_count(m) >= 1);
	assert_non_null(strstr(mime_note(m, 0), "nested deeper than 20"));
	assert_null(mime_note(m, 99));
	out = mime_render(m, 0);
	assert_contains(out, "[petrel: parts nested deeper than 20 levels are not shown]");
	free(out);
	mime_message_free(&m);

	/* 20,000 levels: the guard cuts the input before libetpan recurses */
	strbuf_reset(&sb);
	for (int i = 0; i < 20000; i++)
		strbuf_addf(&sb, "Content-Type: message/rfc822\n\n");
	strbuf_addstr(&sb, "bottom\n");
	m = mime_parse(sb.buf, sb.len);
	out = mime_render(m, 0);
	assert_contains(out, "too complex to read whole");
	free(out);
	mime_message_free(&m);
	strbuf_release(&sb);
}

static void test_limits_parts_and_headers(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct mime_message *m;
	char *out;

	(void)state;
	for (int i = 0; i < 10000; i++)
		strbuf_addf(&sb, "X-H-%d: v\n", i);
	strbuf_addstr(&sb, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (int i = 0; i < 5000; i++)
		strbuf_addf(&sb, "--b\nContent-Type: text/plain\n\npart %d\n", i);
	strbuf_addstr(&sb, "--b--\n");
	m = mime_parse(sb.buf, sb.len);
	assert_true(mime_part_count(m) < MIME_MAX_PARTS);
	out = mime_render(m, MIME_RENDER_ALL_HEADERS);
	assert_contains(out, "[petrel: the message has more than 500 parts; the rest are not shown]");
	assert_contains(out, "[more than 1000 header fields; the rest are not shown]");
	assert_contains(out, "part 497\n");
	assert_lacks(out, "part 4999\n");
	free(out);
	mime_message_free(&m);
	strbuf_release(&sb);
}

static void test_limits_output(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct mime_message *m;
	char *out;

	(void)state;
	strbuf_addstr(&sb, "Subject: big\n\n");
	for (int i = 0; i < 600000; i++)
		strbuf_addstr(&sb, "0123456789abcd\n");
	m = mime_parse(sb.buf, sb.len);
	out = mime_render(m, 0);
	assert_true(strlen(out) <= MIME_MAX_RENDER);
	assert_contains(out, "[the message is too long to show whole; it was cut at 4 MB]\n");
	free(out);
	mime_message_free(&m);
	strbuf_release(&sb);
}

static void test_html_command(void **state)
{
	static const char msg[] = "Content-Type: text/html\n\n<p>x &amp; y</p>\n";
	char *out;

	(void)state;
	mime_set_html_command("cat");
	out = render(msg, 0);
	assert_string_equal(out, "\n<p>x &amp; y</p>\n");
	free(out);

	/* too slow: killed, and the built-in converter takes over */
	mime_htmlcmd_set_timeout(200);
	mime_set_html_command("sleep '10'");
	out = render(msg, 0);
	assert_string_equal(out, "\nx & y\n");
	free(out);
	mime_htmlcmd_set_timeout(5000);

	/* exits at once without reading: no SIGPIPE, built-in used */
	mime_set_html_command("false");
	out = render(msg, 0);
	assert_string_equal(out, "\nx & y\n");
	free(out);

	mime_set_html_command("/nonexistent/converter -x");
	out = render(msg, 0);
	assert_string_equal(out, "\nx & y\n");
	free(out);

	mime_set_html_command(NULL);
	mime_set_html_command("   ");
	out = render(msg, 0);
	assert_string_equal(out, "\nx & y\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transfer),
		cmocka_unit_test(test_flowed),
		cmocka_unit_test(test_html_entities),
		cmocka_unit_test(test_html_structure),
		cmocka_unit_test(test_html_lists),
		cmocka_unit_test(test_html_links),
		cmocka_unit_test(test_html_malformed),
		cmocka_unit_test(test_html_meta_charset),
		cmocka_unit_test(test_render_simple),
		cmocka_unit_test(test_render_alternative),
		cmocka_unit_test(test_render_flowed_and_charset),
		cmocka_unit_test(test_render_parts),
		cmocka_unit_test(test_render_encoded_rfc822),
		cmocka_unit_test(test_render_hostile_text),
		cmocka_unit_test(test_limits_depth),
		cmocka_unit_test(test_limits_parts_and_headers),
		cmocka_unit_test(test_limits_output),
		cmocka_unit_test(test_html_command),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
