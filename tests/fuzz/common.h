/*
 * Shared by the libFuzzer harnesses of tests/fuzz: the invariant every byte
 * that reaches a terminal must hold, checked on what the sanitizer (or a
 * renderer built on it) returns.  A broken invariant aborts, so libFuzzer
 * reports it like a crash and keeps the input.
 */
#ifndef PETREL_TESTS_FUZZ_COMMON_H
#define PETREL_TESTS_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Aborts unless s[0..len) is valid UTF-8 with no C0 control but '\n' (when
 * multiline), no tab (the sanitizer expands them), no DEL, no C1 control,
 * no bidi control (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C). */
static inline void fuzz_check_terminal_safe(const char *s, size_t len, bool multiline)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		uint32_t c = p[i];
		size_t n = 1;

		if (c >= 0x80) {
			if (c >= 0xC2 && c <= 0xDF)
				n = 2, c &= 0x1F;
			else if (c >= 0xE0 && c <= 0xEF)
				n = 3, c &= 0x0F;
			else if (c >= 0xF0 && c <= 0xF4)
				n = 4, c &= 0x07;
			else
				goto bad;
			if (i + n > len)
				goto bad;
			for (size_t k = 1; k < n; k++) {
				if ((p[i + k] & 0xC0) != 0x80)
					goto bad;
				c = (c << 6) | (p[i + k] & 0x3F);
			}
			if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
			    (c >= 0xD800 && c <= 0xDFFF))
				goto bad;
		}
		if ((c < 0x20 && !(c == '\n' && multiline)) || c == 0x7F ||
		    (c >= 0x80 && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) ||
		    (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F || c == 0x061C)
			goto bad;
		i += n;
		continue;
bad:
		fprintf(stderr, "fuzz: unsafe byte 0x%02x at offset %zu of %zu in terminal text\n",
			p[i], i, len);
		abort();
	}
}

/* A NUL-terminated copy of the fuzzer's bytes (they are not terminated). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
