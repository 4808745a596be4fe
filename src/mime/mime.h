/*
 * Messages and text bound for a terminal.  This header grows with the MIME
 * parser and renderer; today it holds the one sanitizer that every byte from
 * a message or a server passes through before it reaches a screen.
 */
#ifndef PETREL_MIME_MIME_H
#define PETREL_MIME_MIME_H

#include <stddef.h>

#include "core/util.h"

enum sanitize_flags {
	SANITIZE_MULTILINE = 1 << 0,  /* keep line breaks; otherwise they become spaces */
	SANITIZE_NO_TABS = 1 << 1,    /* tabs become one space instead of being expanded */
};

/* Appends in[0..len) to out as safe text: valid UTF-8 only (invalid bytes
 * become U+FFFD), C0/C1 controls, DEL and ESC shown in caret notation ("^[",
 * "^[[" for CSI), bidi overrides and embeddings shown as "<U+202E>" instead of
 * acting, other invisible format characters dropped, tabs expanded to 8
 * columns.  Never fails; the input need not be NUL-terminated. */
void sanitize_append(struct strbuf *out, const char *in, size_t len, unsigned flags);

/* The same, returning a malloc'd NUL-terminated string the caller frees. */
char *sanitize(const char *in, size_t len, unsigned flags);

/* Shorthand for one NUL-terminated line (a subject, a server's reply). */
char *sanitize_line(const char *s);

#endif
