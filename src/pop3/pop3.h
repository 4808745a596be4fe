/*
 * POP3 on libetpan: one session per connection, owned by one thread.
 */
#ifndef PETREL_POP3_POP3_H
#define PETREL_POP3_POP3_H

#include <stdbool.h>

#include "core/config.h"
#include "net/net.h"

struct pop3_session;

/* Connects to the account's POP3 server: TCP, TLS (implicit or STLS; refused
 * when STLS is missing unless tls = off), verification, CAPA.  Sends no
 * credential.  Returns the session (caller frees with pop3_session_free) or
 * NULL with r->error set.  cancel may be NULL; borrowed. */
struct pop3_session *pop3_session_connect(const struct account *a, struct net_cancel *cancel,
					  struct net_report *r);

/* Logs in (USER/PASS, or SASL as auth says).  False with r->error set. */
bool pop3_session_login(struct pop3_session *s, struct net_report *r);

/* QUIT if possible (which commits deletions) and free; NULLs *s. */
void pop3_session_free(struct pop3_session **s);

#endif
