/*
 * Messages and text bound for a terminal: the sanitizer every byte from a
 * message or a server passes through before it reaches a screen, and the MIME
 * layer on top of it (parse a message, summarise its headers for the index,
 * render it as safe text, list, decode and save its parts).
 *
 * Nothing here fails on bad input: a malformed, hostile or truncated message
 * still parses, and what was wrong is kept as notes that the renderer shows.
 * Out of memory aborts (core/util.h).
 */
#ifndef PETREL_MIME_MIME_H
#define PETREL_MIME_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/util.h"

/* ---- the terminal sanitizer (sanitize.c) ---- */

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

/* ---- limits that keep hostile mail from hanging or exhausting petrel ---- */

enum {
	MIME_MAX_DEPTH = 20,              /* nesting of multiparts and messages */
	MIME_MAX_PARTS = 500,             /* parts of all kinds in one message */
	MIME_MAX_HEADERS = 1000,          /* header fields kept per header block */
	MIME_MAX_HEADER_LINE = 64 * 1024, /* bytes kept of one (unfolded) field */
	MIME_MAX_RENDER = 4 * 1024 * 1024 /* bytes of rendered text */
};

/* ---- decoding pieces, usable on their own ---- */

/* Decodes RFC 2047 encoded words (B and Q, any charset iconv knows, adjacent
 * words joined) in the raw header value raw, unfolds it and returns UTF-8 the
 * caller frees.  Never fails: malformed words stay as written, bytes of an
 * unknown charset are kept where they are valid UTF-8 and replaced by U+FFFD
 * where not; raw 8-bit text that is not UTF-8 is read as windows-1252.  The
 * result is NOT sanitized: it may hold any character, controls included. */
char *mime_decode_header(const char *raw);

/* Returns the decoded value of parameter name (case-insensitive) in a
 * Content-Type or Content-Disposition value such as
 * "attachment; filename*0*=utf-8''%E2%82%AC; filename*1=.txt": RFC 2231
 * charset, percent-encoding and continuations, quoted strings, and RFC 2047
 * words inside a plain value (common, if not standard).  The malloc'd UTF-8
 * string is the caller's (not sanitized); NULL if the parameter is absent. */
char *mime_header_param(const char *value, const char *name);

enum mime_charset_status {
	MIME_CHARSET_OK,        /* converted exactly */
	MIME_CHARSET_REPLACED,  /* some bytes were invalid and became U+FFFD */
	MIME_CHARSET_UNKNOWN,   /* charset unknown: read as UTF-8, invalid bytes replaced */
};

/* Converts data[0..len) from charset (NULL: none declared) to UTF-8.  Labels
 * follow the WHATWG encoding standard where it matters ("iso-8859-1",
 * "us-ascii" and no charset read as windows-1252 when the text is not valid
 * UTF-8).  Returns a malloc'd NUL-terminated string the caller frees, with
 * its length in *out_len (if not NULL) and what happened in *status (if not
 * NULL).  Never fails. */
char *mime_charset_to_utf8(const char *data, size_t len, const char *charset,
			   size_t *out_len, enum mime_charset_status *status);

/* ---- header summary for the index (no body parsing) ---- */

struct mime_summary {
	char *from;         /* the From header as "Name <addr>" (or "addr", or as written) */
	char *from_addr;    /* the first author's bare address */
	char *to;           /* "Name <addr>, ..." */
	char *cc;
	char *subject;
	char *message_id;   /* without the angle brackets */
	char *in_reply_to;  /* the first message-id in it, without brackets */
	char **references;  /* message-ids, oldest first, without brackets */
	size_t n_references;
	time_t date;        /* 0 if missing or unparseable */
	char *content_type; /* "type/subtype" in lower case; "text/plain" by default */
};

/* Fills *out from the header block at the start of data[0..len) (which may be
 * a whole message or only its headers) without looking at the body.  Strings
 * are decoded to UTF-8 (RFC 2047, charsets) but NOT sanitized: sanitize them
 * on output.  Each string is NULL when its header is missing, except
 * content_type which is always set.  Returns true if the block held at least
 * one header field, false for a message with no headers (*out is then still
 * valid, and empty).  Release *out with mime_summary_release. */
bool mime_headers_summary(const char *data, size_t len, struct mime_summary *out);

/* Frees what mime_headers_summary put in *s and zeroes it. */
void mime_summary_release(struct mime_summary *s);

/* ---- parsing and rendering a whole message ---- */

struct mime_message;

/* Parses the message data[0..len) (CRLF or LF line ends; a leading mbox
 * "From " line is skipped; data may be NULL if len is 0).  The message keeps
 * its own copy of data.  Never fails on bad input: what could not be parsed
 * and every limit that was hit (above) is recorded as a note.  Never returns
 * NULL.  Free with mime_message_free. */
struct mime_message *mime_parse(const char *data, size_t len);

/* Frees *m and everything it owns (part infos included) and NULLs it. */
void mime_message_free(struct mime_message **m);

/* Notes on what was wrong with the message (limits hit, structure that could
 * not be read): i from 0 to count-1, NULL past that.  The strings belong to
 * m and are NOT sanitized (they may quote the message).  mime_render shows
 * them too. */
size_t mime_note_count(const struct mime_message *m);
const char *mime_note(const struct mime_message *m, size_t i);

enum mime_render_flags {
	MIME_RENDER_ALL_HEADERS = 1 << 0, /* every header field, decoded, in order */
	MIME_RENDER_BODY_ONLY = 1 << 1,   /* no headers, notes or attachment list of
					   * the message itself (quoting a reply) */
};

/* Renders m for reading: the Date, From, To, Cc and Subject headers (or all
 * of them), a blank line, the body (the best text of each alternative,
 * format=flowed joined, HTML turned into text, forwarded messages inline),
 * notes for parts it does not show, and the list of attachments.  The result
 * is already sanitized (SANITIZE_MULTILINE) and capped at MIME_MAX_RENDER
 * bytes (with a note when cut); it is malloc'd and the caller frees it. */
char *mime_render(const struct mime_message *m, unsigned flags);

/* Sets an external HTML-to-text command, e.g. "w3m -dump -T text/html", split
 * on white space (single and double quotes group words; no shell is used).
 * It gets the HTML on stdin, must write text to stdout within 5 seconds and
 * is given no network-related arguments by petrel.  NULL or "" goes back to
 * the built-in converter (the default), which is also used whenever the
 * command fails.  Not thread-safe: call it at start-up, before rendering. */
void mime_set_html_command(const char *argv_cmd);

/* ---- parts and attachments ---- */

struct mime_part_info {
	int index;            /* 1..mime_part_count(), document order */
	const char *type;     /* "type/subtype", lower case */
	size_t size;          /* decoded size in bytes */
	const char *filename; /* decoded (not sanitized), may be NULL */
	bool is_attachment;   /* Content-Disposition attachment, or named and not inline */
};

/* The number of leaf parts (those that hold content) in m. */
size_t mime_part_count(const struct mime_message *m);

/* Fills *out for leaf part index (1-based, the numbers mime_render shows).
 * The strings belong to m and live as long as it.  Returns false (and leaves
 * *out alone) if there is no such part. */
bool mime_part_info(const struct mime_message *m, int index, struct mime_part_info *out);

/* Returns the decoded bytes of leaf part index (base64, quoted-printable,
 * 7bit/8bit/binary; broken encodings decoded as far as they go), with a NUL
 * after them and their length in *len.  The caller frees the result.  NULL if
 * there is no such part. */
char *mime_part_decode(const struct mime_message *m, int index, size_t *len);

/* Returns a file name safe to create in a folder, made from an attachment's
 * decoded name: path separators and control characters become "_", bidi and
 * invisible characters are dropped, leading dots, dashes, spaces and "_" are
 * stripped, at most 100 bytes of valid UTF-8 are kept (with the extension),
 * and "part-INDEX" is used when nothing is left.  Never NULL; the caller
 * frees it. */
char *mime_safe_filename(const char *name, int index);

/* Saves leaf part index, decoded, into the folder dir under its safe file name
 * (mime_safe_filename).  Writes a temporary file in dir, fsyncs it and renames
 * it into place; never follows a symlink and never writes outside dir.  An
 * existing file of that name is replaced only if force is true.  Returns 0 and
 * sets *saved_path (malloc'd, "dir/name") on success; returns -1 and sets
 * *cause (malloc'd, human-readable) on failure, e.g. when the file exists.
 * Either out pointer may be NULL. */
int mime_save_part(const struct mime_message *m, int index, const char *dir, bool force,
		   char **saved_path, char **cause);

#endif
