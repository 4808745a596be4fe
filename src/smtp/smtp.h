/*
 * SMTP submission on libetpan: one session per connection, owned by one thread.
 */
#ifndef PETREL_SMTP_SMTP_H
#define PETREL_SMTP_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "net/net.h"

struct smtp_session;

/* Connects to the account's submission server: TCP, TLS (implicit, or
 * STARTTLS required on a plain port unless tls = off), verification, EHLO.
 * Sends no credential.  Returns the session (caller frees with
 * smtp_session_free) or NULL with r->error set.  cancel is borrowed. */
struct smtp_session *smtp_session_connect(const struct account *a, struct net_cancel *cancel,
					  struct net_report *r);

/* AUTH as the account says.  False with r->error set (the server's words). */
bool smtp_session_login(struct smtp_session *s, struct net_report *r);

/* What became of a message handed to smtp_send_message. */
enum smtp_send_status {
	SMTP_SEND_OK,       /* the final 250 to the data: the server has it */
	SMTP_SEND_RETRY,    /* 4xx or a broken connection: try again later */
	SMTP_SEND_REFUSED,  /* 5xx, a refused recipient, or something the server
			     * cannot take (size, 8-bit): retrying will not help */
};

/* Submits data[0..len) (CRLF lines, already without Bcc) from the address
 * from to rcpt[0..n): MAIL FROM with SIZE= when offered, BODY=8BITMIME when
 * eight_bit_body or eight_bit_header, SMTPUTF8 when an address is not ASCII
 * (refused here when the server does not offer what is needed), one RCPT
 * per recipient, DATA.  No
 * data is sent unless every recipient was accepted.  capabilities is the
 * EHLO list (net_report.capabilities).  On anything but SMTP_SEND_OK, *why
 * (malloc'd) says what went wrong in the server's words, one line per
 * refused recipient. */
enum smtp_send_status smtp_send_message(struct smtp_session *s, const char *capabilities,
					const char *from, char *const *rcpt, size_t n,
					const char *data, size_t len, bool eight_bit_header,
					bool eight_bit_body, char **why);

/* QUIT if possible and free; NULLs *s. */
void smtp_session_free(struct smtp_session **s);

#endif
