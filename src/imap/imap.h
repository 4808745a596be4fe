/*
 * IMAP on libetpan: one session per connection, owned by one thread.
 */
#ifndef PETREL_IMAP_IMAP_H
#define PETREL_IMAP_IMAP_H

#include <stdbool.h>

#include "core/config.h"
#include "net/net.h"

struct imap_session;

/* Connects to the account's IMAP server: TCP, TLS (implicit, or STARTTLS on a
 * plain port; refused when the server does not offer it unless tls = off),
 * verification, capabilities.  Sends no credential.  Returns the session
 * (owned by the caller, imap_session_free) or NULL with r->error set.
 * cancel may be NULL; it is borrowed for the session's life. */
struct imap_session *imap_session_connect(const struct account *a, struct net_cancel *cancel,
					  struct net_report *r);

/* Logs in with the account's credential and mechanism.  Returns true, or
 * false with r->error set (the server's own words when it refused). */
bool imap_session_login(struct imap_session *s, struct net_report *r);

/* Logs out if possible and frees; NULLs *s. */
void imap_session_free(struct imap_session **s);

#endif
