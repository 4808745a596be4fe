/*
 * Small utilities every part of petrel uses: allocation that never returns
 * NULL (out of memory aborts), a growable string buffer, and the internal-error
 * macro for states that cannot happen.  Nothing here talks to the user.
 */
#ifndef PETREL_CORE_UTIL_H
#define PETREL_CORE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Impossible state: report where and abort.  Never for bad input. */
#define BUG(...) util_bug(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void util_bug(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Allocation wrappers: abort on out-of-memory, never return NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0), nonnull(1)));

/* Sets *dst to a copy of src (or NULL), freeing what *dst held. */
void xstrset(char **dst, const char *src);

/* Frees and NULLs *p. */
#define FREE_NULL(p) do { free(p); (p) = NULL; } while (0)

/* Overwrites a secret before it is freed, then frees and NULLs *s. */
void util_secret_free(char **s);

/* A growable NUL-terminated byte buffer.  Embed it and use strbuf_init /
 * strbuf_release; strbuf_detach hands the bytes to the caller. */
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};
#define STRBUF_INIT { NULL, 0, 0 }
void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_reset(struct strbuf *sb);
/* Appends code point c as UTF-8 (surrogates and values past U+10FFFF as U+FFFD). */
void strbuf_add_utf8(struct strbuf *sb, uint32_t c);
/* Returns the buffer (never NULL; "" for an empty one); the caller frees it. */
char *strbuf_detach(struct strbuf *sb);
/* Never NULL; valid until the next change of sb. */
const char *strbuf_str(const struct strbuf *sb);

/* Strips leading and trailing ASCII white space in place; returns s. */
char *util_trim(char *s);
bool util_streq_nocase(const char *a, const char *b);
/* Parses a decimal unsigned number filling all of s; false on junk or overflow. */
bool util_parse_ulong(const char *s, unsigned long max, unsigned long *out);

/* Decodes one UTF-8 sequence at s (len > 0, strict: no overlongs,
 * surrogates or values past U+10FFFF).  Returns its length with the code
 * point in *cp, or 0 if the bytes are not valid UTF-8. */
size_t util_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* Writes all of buf to fd, retrying on EINTR/short writes; -1 with errno set. */
int util_write_all(int fd, const void *buf, size_t len);

#endif
