/*
 * Outgoing mail: turning what the user wrote (a draft) into the message that
 * is queued and sent, and the helpers that start a draft (new, reply,
 * reply-all, forward).  Shared by the UI and the CLI.
 *
 * A draft is text the user edits in $EDITOR: a header block (From, To, Cc,
 * Bcc, Subject, In-Reply-To, References, Reply-To, and "Attach: PATH" lines,
 * one per file), a blank line, then UTF-8 body text.  A finished RFC 5322
 * message (one that already has MIME-Version or Content-Type and no Attach
 * lines) is accepted as it is.
 */
#ifndef PETREL_MIME_COMPOSE_H
#define PETREL_MIME_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

/* Builds the complete MIME message for draft[0..len) on behalf of account a:
 * From from the account's identity when the draft has none, Date and a
 * Message-ID of petrel's when missing, headers RFC 2047-encoded where they are
 * not ASCII, text/plain; charset=utf-8 body (quoted-printable when needed),
 * attachments from the Attach lines (multipart/mixed, base64, types from the
 * file name, RFC 2231 file names).  Bcc is KEPT in the result: the send queue
 * reads the recipients from it and removes it before transmission.  Lines end
 * in CRLF.  Returns a malloc'd buffer (*out_len bytes, NUL-terminated) or NULL
 * with *cause set (an attachment that cannot be read, no recipient, a header
 * line that is not "Name: value"). */
char *compose_draft_build(const struct account *a, const char *draft, size_t len,
			  size_t *out_len, char **cause);

/* A Message-ID of petrel's, "<time.random@domain-of-email>" (email may be
 * NULL); malloc'd. */
char *compose_message_id(const char *email);

/* The Content-Type for an attachment called name, from its extension
 * ("application/octet-stream" when unknown).  Static storage. */
const char *compose_type_for_name(const char *name);

/* ---- draft starters (reply.c) ----
 * Each returns a malloc'd draft (LF line ends, UTF-8) to write into the file
 * the user edits, or NULL with *cause set (malloc'd) when the account's
 * signature file cannot be read.  The signature (option signature) goes at
 * the end after a "-- " line.  orig[0..len) is the stored message answered or
 * forwarded. */

/* A new draft: From, To, Cc, Bcc and Subject lines (to and subject prefilled
 * if not NULL) and one Attach line per file of attach[0..n_attach). */
char *compose_draft_new(const struct account *a, const char *to, const char *subject,
			char *const *attach, size_t n_attach, char **cause);

/* A reply: To is the Reply-To (else From) of orig; with all, the other To
 * and Cc addresses go to Cc, except the user's own (email and alternates);
 * Subject "Re: ..." (once), In-Reply-To and References; the text quoted
 * with "> " under an "On DATE, NAME wrote:" line. */
char *compose_draft_reply(const struct account *a, const char *orig, size_t len, bool all,
			  char **cause);

/* A forward, Subject "Fwd: ...": inline (the main headers and the text in a
 * forwarded-message block) when attach_path is NULL, else with an Attach line
 * for attach_path, a file the caller wrote orig into (named *.eml so it goes
 * as message/rfc822).  to may be NULL. */
char *compose_draft_forward(const struct account *a, const char *orig, size_t len, const char *to,
			    const char *attach_path, char **cause);

/* A draft again from a message postponed into the drafts folder
 * (msg[0..len)): its headers decoded, its text, and each other part written
 * back into the existing directory dir (0600 files) with an Attach line.
 * NULL with *cause when a part cannot be written. */
char *compose_draft_resume(const char *msg, size_t len, const char *dir, char **cause);

#endif
