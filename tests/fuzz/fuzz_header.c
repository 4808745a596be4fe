/*
 * Header decoding on its own: RFC 2047 encoded words (mime_decode_header),
 * RFC 2231 parameters (mime_header_param) and charset conversion
 * (mime_charset_to_utf8).  The input's first line names the parameter and
 * the charset to try; the rest is the header value or the body bytes.
 */
#include "mime/mime.h"
#include "tests/fuzz/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *all = fuzz_cstr(data, size), *value = strchr(all, '\n'), *out, *safe;
	const char *name = all;
	size_t len = 0;

	if (value)
		*value++ = '\0';
	else
		value = all;

	out = mime_decode_header(value);
	safe = sanitize_line(out);
	fuzz_check_terminal_safe(safe, strlen(safe), false);
	free(safe);
	free(out);

	out = mime_header_param(value, *name ? name : "filename");
	if (out) {
		safe = sanitize_line(out);
		fuzz_check_terminal_safe(safe, strlen(safe), false);
		free(safe);
		free(out);
	}

	out = mime_charset_to_utf8(value, size - (size_t)(value - all), *name ? name : NULL, &len,
				   NULL);
	if (out[len] != '\0')
		abort();
	free(out);
	free(all);
	return 0;
}
