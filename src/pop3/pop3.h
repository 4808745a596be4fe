/*
 * POP3 on libetpan: one session per connection, owned by one thread, and
 * the sync of a POP3 account into the store's INBOX: download-and-delete
 * or leave-on-server, header-first on slow links (DESIGN.md).
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

/* QUIT if the session is still sound (which commits deletions), else just
 * close the connection, so the server forgets the session's DELEs; frees
 * and NULLs *s. */
void pop3_session_free(struct pop3_session **s);

struct store;

/* How a sync reports while it runs. Either function may be NULL. */
struct pop3_hooks {
	/* after each chunk stored and committed: readers may reopen */
	void (*progress)(void *arg, unsigned done, unsigned total);
	/* one message could not be handled (it stays on the server); the
	 * sync goes on.  text is borrowed for the call. */
	void (*problem)(void *arg, const char *text);
	void *arg;
};

struct pop3_sync_stats {
	unsigned on_server;   /* messages the server listed */
	unsigned full;        /* new messages stored whole */
	unsigned headers;     /* new messages stored as headers only */
	unsigned bodies;      /* bodies fetched for header-only copies */
	unsigned deleted;     /* deleted on the server (QUIT accepted) */
	unsigned gone;        /* recorded messages no longer on the server */
	unsigned already;     /* new on the server but already in the store
			       * (same Message-ID and content): not stored again */
	unsigned problems;    /* messages left alone after a problem */
	bool digest;          /* no UIDL: messages told apart by their headers */
};

/* Syncs the account of s (logged in) into the INBOX of store st (open for
 * writing), as its pop3-* options say.  headers_only: no bodies in this run
 * (petrel sync --headers-only).  Ends the session (QUIT, or a drop after a
 * broken answer).  Returns 0 when every message was handled, 1 when some
 * were left alone (each told to hooks->problem), or -1 with *cause when the
 * sync stopped (connection lost, store failure); what was stored stays and
 * nothing unstored was deleted. */
int pop3_sync(struct pop3_session *s, struct store *st, bool headers_only,
	      struct pop3_sync_stats *stats, const struct pop3_hooks *hooks, char **cause);

/* Fetches the body of the header-only POP3 copy at path (message id, for
 * copies stored under another key, may be NULL) and puts it in place of
 * the headers; in pop3-mode = delete the server's copy is then deleted.
 * Ends the session.  0, or -1 with *cause. */
int pop3_fetch_body(struct pop3_session *s, struct store *st, const char *path, const char *id,
		    char **cause);

#endif
