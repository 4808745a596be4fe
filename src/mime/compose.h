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

#endif
