/* Unit tests for the terminal sanitizer (src/mime/sanitize.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mime/mime.h"

static void check(const char *in, size_t len, unsigned flags, const char *want)
{
	char *out = sanitize(in, len, flags);

	assert_string_equal(out, want);
	free(out);
}

#define CHECK(in, flags, want) check(in, sizeof(in) - 1, flags, want)

static void test_plain(void **state)
{
	(void)state;
	CHECK("hello, world", 0, "hello, world");
	CHECK("", 0, "");
	CHECK("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", 0,
	      "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
}

static void test_escape_sequences(void **state)
{
	(void)state;
	CHECK("\x1b[2J\x1b]0;pwned\x07", 0, "^[[2J^[]0;pwned^G");
	/* OSC 52 clipboard write */
	CHECK("\x1b]52;c;ZWNobyBoaQ==\x1b\\", 0, "^[]52;c;ZWNobyBoaQ==^[\\");
	CHECK("a\x7f" "b", 0, "a^?b");
	CHECK("nul\0byte", 0, "nul^@byte");
}

static void test_c1(void **state)
{
	(void)state;
	/* U+009B is CSI: shown, not obeyed */
	CHECK("\xc2\x9b" "31m", 0, "^[[31m");
	/* a raw 0x9b byte is invalid UTF-8 */
	CHECK("\x9b" "31m", 0, "\xef\xbf\xbd" "31m");
}

static void test_bidi(void **state)
{
	(void)state;
	CHECK("abc\xe2\x80\xae" "fdp.exe", 0, "abc<U+202E>fdp.exe");
	CHECK("\xe2\x81\xa6x\xe2\x81\xa9", 0, "<U+2066>x<U+2069>");
	/* zero-width space dropped; ZWJ kept for emoji */
	CHECK("a\xe2\x80\x8b" "b", 0, "ab");
	CHECK("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb", 0,
	      "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	CHECK("\xc0\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd");          /* overlong '/' */
	CHECK("\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	CHECK("\xe6\x97", 0, "\xef\xbf\xbd\xef\xbf\xbd");           /* cut short */
	CHECK("\xf4\x90\x80\x80", 0,
	      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");    /* > U+10FFFF */
}

static void test_lines_and_tabs(void **state)
{
	(void)state;
	CHECK("a\nb", 0, "a b");
	CHECK("a\r\nb", SANITIZE_MULTILINE, "a\nb");
	CHECK("a\rb", SANITIZE_MULTILINE, "a^Mb");
	CHECK("a\tb", 0, "a       b");
	CHECK("abcdefgh\tb", 0, "abcdefgh        b");
	CHECK("x\ny\tz", SANITIZE_MULTILINE, "x\ny       z");
	CHECK("a\tb", SANITIZE_NO_TABS, "a b");
}

static void test_no_raw_controls_ever(void **state)
{
	unsigned char buf[512];
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	out = sanitize((const char *)buf, sizeof(buf), SANITIZE_MULTILINE);
	for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
		assert_true(*p >= 0x20 || *p == '\n');
		assert_true(*p != 0x7f);
		if (*p == 0xc2)
			assert_false(p[1] >= 0x80 && p[1] <= 0x9f);
	}
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_escape_sequences),
		cmocka_unit_test(test_c1),
		cmocka_unit_test(test_bidi),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_lines_and_tabs),
		cmocka_unit_test(test_no_raw_controls_ever),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
