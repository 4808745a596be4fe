/*
 * What the files of src/mime share and nothing outside it (the unit tests
 * aside) may use: the message model, header fields, transfer decoding, UTF-8
 * helpers, format=flowed and HTML to text.
 */
#ifndef PETREL_MIME_PRIVATE_H
#define PETREL_MIME_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mime/mime.h"

/* ---- UTF-8 (charset.c) ---- */

bool mime_utf8_valid(const char *s, size_t len);
/* Appends s[0..len) keeping valid UTF-8 and putting U+FFFD for invalid bytes;
 * returns true if something was replaced. */
bool mime_utf8_repair(struct strbuf *out, const char *s, size_t len);
/* The longest prefix of s[0..len) no longer than max that does not cut a
 * UTF-8 sequence in two. */
size_t mime_utf8_cut(const char *s, size_t len, size_t max);

/* Appends data converted from charset to UTF-8 (see mime_charset_to_utf8). */
enum mime_charset_status mime_charset_append(struct strbuf *out, const char *data,
					     size_t len, const char *charset);

/* ---- transfer encodings (transfer.c) ---- */

enum mime_encoding {
	MIME_ENC_RAW,     /* 7bit, 8bit, binary and anything unknown */
	MIME_ENC_BASE64,
	MIME_ENC_QP,
};

/* Appends the decoded form of data[0..len); broken input decodes as far as it
 * goes.  Returns true if the input was malformed. */
bool mime_transfer_decode(struct strbuf *out, const char *data, size_t len,
			  enum mime_encoding enc);
/* Base64 as in RFC 2047 "B" words (no line structure). */
bool mime_transfer_base64(struct strbuf *out, const char *data, size_t len);
/* Quoted-printable; q_word selects RFC 2047 "Q" rules ('_' is a space). */
bool mime_transfer_qp(struct strbuf *out, const char *data, size_t len, bool q_word);

/* ---- header blocks (headers.c) ---- */

struct mime_field {
	char *name;   /* as written, NUL-terminated */
	char *value;  /* unfolded raw value, leading white space stripped */
};

struct mime_fields {
	struct mime_field *v;
	size_t n, alloc;
	bool too_many;  /* more than MIME_MAX_HEADERS fields: the rest dropped */
	bool too_long;  /* some value longer than MIME_MAX_HEADER_LINE: cut */
};

/* Splits the header block at the start of data[0..len) into fields, up to a
 * blank line or a line that is neither a field nor a continuation.  Returns
 * the offset where the body starts (after the blank line).  *f must be
 * zeroed or released; release it with mime_fields_release. */
size_t mime_fields_parse(const char *data, size_t len, struct mime_fields *f);
void mime_fields_release(struct mime_fields *f);
/* Where a message starts: after an mbox "From " line if it has one. */
size_t mime_fields_skip_mbox(const char *data, size_t len);
/* The value of the first field called name (case-insensitive), or NULL. */
const char *mime_fields_get(const struct mime_fields *f, const char *name);

/* ---- RFC 5322 addresses and dates, on libetpan's mailimf (imf.c) ---- */

/* Formats an address-list header value as "Name <addr>, addr, ..." decoded to
 * UTF-8; if it does not parse, returns the decoded raw value.  If first_addr
 * is not NULL it gets the first bare address (or NULL).  Caller frees. */
char *mime_imf_addresses(const char *raw, char **first_addr);
/* Parses an RFC 5322 date; 0 if it cannot. */
time_t mime_imf_date(const char *raw);
/* Copies raw with nested comments deeper than libetpan can safely recurse
 * into turned harmless; the caller frees it. */
char *mime_imf_defuse(const char *raw);

/* ---- header values for outgoing mail (encode.c) ---- */

/* Appends unstructured UTF-8 text (a Subject) with the words that are not
 * plain ASCII as RFC 2047 encoded words. */
void mime_encode_text(struct strbuf *out, const char *s);
/* Appends a display name: as it is, quoted, or as encoded words. */
void mime_encode_phrase(struct strbuf *out, const char *s);
/* Appends an RFC 2231 extended value "utf-8''..." (for filename*=). */
void mime_encode_param_2231(struct strbuf *out, const char *s);

/* Appends s[0..len) (LF or CRLF line ends) quoted-printable, lines ending
 * in CRLF, the last one too. */
void mime_encode_qp(struct strbuf *out, const char *s, size_t len);

/* Filter and count for mime_encode_addresses: keep(addr, arg) false drops a
 * mailbox (reply-all leaving out the user's own addresses). */
struct mime_addr_fn {
	bool (*keep)(const char *addr, void *arg);
	void *arg;
	size_t count;  /* set: mailboxes written */
};
/* Parses the address list value (UTF-8, as a user writes it) and appends it
 * in RFC 5322 form: names encoded or quoted, groups kept.  Returns the
 * number of mailboxes written (0 for an empty value), or -1 with *cause set
 * (malloc'd) when it is not a list of addresses; out is then unchanged.
 * fn may be NULL. */
int mime_encode_addresses(struct strbuf *out, const char *value, struct mime_addr_fn *fn,
			  char **cause);

/* ---- text bodies ---- */

/* RFC 3676 format=flowed text (UTF-8, LF line ends) to plain text, appended
 * to out (flowed.c). */
void mime_flowed_decode(struct strbuf *out, const char *text, size_t len, bool delsp);

/* HTML (UTF-8) to readable text appended to out: no network access, scripts
 * and styles dropped, links numbered and listed at the end (html.c). */
void mime_html_to_text(struct strbuf *out, const char *html, size_t len);
/* Looks up an HTML character reference name (without & and ;); 0 if unknown
 * (htmlent.c). */
uint32_t mime_html_entity(const char *name, size_t len);
/* The charset a <meta> tag in the first bytes of html declares, malloc'd, or
 * NULL (html.c). */
char *mime_html_meta_charset(const char *html, size_t len);

/* Runs the external converter set with mime_set_html_command on html and
 * appends its output (raw, unsanitized) to out.  Returns false if none is set
 * or it failed (htmlcmd.c). */
bool mime_htmlcmd_run(struct strbuf *out, const char *html, size_t len);
/* For tests: the converter's time limit in milliseconds (default 5000). */
void mime_htmlcmd_set_timeout(int ms);

/* ---- the message model (parse.c) ---- */

enum mime_node_kind {
	MIME_NODE_LEAF,     /* content */
	MIME_NODE_MULTI,    /* multipart/<anything> */
	MIME_NODE_MESSAGE,  /* message/rfc822: kids[0] is its body, with its headers */
};

struct mime_node {
	enum mime_node_kind kind;
	char *type;              /* "type/subtype", lower case */
	char *charset;           /* Content-Type charset, or NULL */
	char *filename;          /* decoded file name, or NULL */
	bool flowed, delsp;      /* text/plain; format=flowed; delsp=yes */
	bool is_attachment;
	bool disposition_inline; /* Content-Disposition: inline */
	enum mime_encoding encoding;
	const char *body;        /* raw (encoded) body in a buffer m owns */
	size_t body_len;
	struct mime_fields fields; /* this part's header fields */
	struct mime_node **kids;
	size_t nkids;
	int index;               /* leaf number, from 1; 0 for containers */
	size_t size;             /* decoded size (leaves) */
	bool depth_cut;          /* kids deeper than MIME_MAX_DEPTH were dropped */
	bool parts_cut;          /* kids past MIME_MAX_PARTS were dropped */
};

struct mime_message {
	struct mime_node *root;  /* a MESSAGE node; root->kids[0] has the headers */
	struct mime_node **leaves;
	size_t nleaves;
	size_t nnodes;
	char **bufs;             /* buffers the nodes point into */
	size_t nbufs;
	char **notes;
	size_t nnotes;
	struct mime_part_info *infos;
	bool noted_depth, noted_parts;
};

/* Adds a note (printf-style) to m. */
void mime_message_note(struct mime_message *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends the decoded body of node n. */
void mime_node_decode(const struct mime_node *n, struct strbuf *out);

/* "120 KB"-style size for humans, into buf. */
void mime_format_size(char *buf, size_t bufsz, size_t size);

/* ---- the input guard (guard.c) ---- */

enum { MIME_GUARD_MAX_BOUNDARIES = 32 };

struct mime_guard {
	size_t len;         /* bytes libetpan may parse (the input may be cut) */
	char *defused;      /* a copy with deep comment nesting defused, or NULL */
	size_t containers;  /* multipart/message headers seen before the cut */
	bool cut;           /* the input was cut to bound libetpan's work */
	/* the first multipart boundaries declared, in order */
	char *boundaries[MIME_GUARD_MAX_BOUNDARIES];
	size_t nboundaries;
};

/* Looks at data[0..len) before libetpan's recursive parser does: counts the
 * headers that can open a nested container and the work they can cost, and
 * sets g->len to where parsing must stop; copies the data with too deeply
 * nested comments defused when there are any; notes the boundaries declared.
 * Release with mime_guard_release. */
void mime_guard_scan(const char *data, size_t len, struct mime_guard *g);
void mime_guard_release(struct mime_guard *g);

#endif
