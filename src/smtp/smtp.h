/*
 * SMTP submission on libetpan: one session per connection, owned by one thread.
 */
#ifndef PETREL_SMTP_SMTP_H
#define PETREL_SMTP_SMTP_H

#include <stdbool.h>

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

/* QUIT if possible and free; NULLs *s. */
void smtp_session_free(struct smtp_session **s);

#endif
