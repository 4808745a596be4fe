/*
 * The terminal sanitizer (src/mime/sanitize.c) on any bytes: whatever goes
 * in, what comes out is safe to print (common.h), with and without line
 * breaks kept.
 */
#include "mime/mime.h"
#include "tests/fuzz/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flags[] = { 0, SANITIZE_MULTILINE, SANITIZE_NO_TABS,
					  SANITIZE_MULTILINE | SANITIZE_NO_TABS };

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		char *out = sanitize((const char *)data, size, flags[i]);
		fuzz_check_terminal_safe(out, strlen(out), flags[i] & SANITIZE_MULTILINE);
		free(out);
	}
	{
		char *s = fuzz_cstr(data, size), *out = sanitize_line(s);
		fuzz_check_terminal_safe(out, strlen(out), false);
		free(out);
		free(s);
	}
	return 0;
}
