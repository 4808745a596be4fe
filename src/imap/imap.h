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

/* A folder as the server lists it. */
struct imap_folder {
	char *name;        /* the server's name (modified UTF-7, server delimiter) */
	char *local;       /* the store's name: '/' as delimiter */
	char *special;     /* SPECIAL-USE attribute ("\\Sent") or NULL */
	bool noselect;
	char delim;        /* the server's hierarchy delimiter, 0 if flat */
};

/* Lists every folder (LIST "" "*").  *out is malloc'd, INBOX first; free
 * with imap_folders_free.  0, or -1 with *cause. */
int imap_list_folders(struct imap_session *s, struct imap_folder **out, size_t *n, char **cause);
void imap_folders_free(struct imap_folder **v, size_t n);

struct store;

struct imap_sync_stats {
	unsigned exists;          /* messages on the server */
	unsigned new_headers;     /* headers fetched and stored */
	unsigned bodies;          /* bodies fetched (prefetch) */
	unsigned flags_changed;
	unsigned expunged;
	bool uidvalidity_changed;
	bool unchanged;           /* the server said nothing changed (one round trip) */
};

/* Called after each stored chunk, so a UI can redraw as headers arrive. */
typedef void imap_progress_fn(void *arg, const char *folder, unsigned done, unsigned total);

/* Reconciles folder f of account with the store: expunges, new messages
 * (headers first, newest first, in growing chunks), flags, then bodies
 * within the account's prefetch budget unless headers_only.  The store must
 * be open for writing.  0, or -1 with *cause (what was stored stays). */
int imap_sync_folder(struct imap_session *s, struct store *st, const char *account,
		     const struct imap_folder *f, bool headers_only, struct imap_sync_stats *stats,
		     imap_progress_fn *progress, void *arg, char **cause);

/* Fetches the whole message uid of folder f and makes it the stored copy
 * in place of the header-only file at path.  0 or -1 + *cause. */
int imap_fetch_body(struct imap_session *s, struct store *st, const struct imap_folder *f,
		    const char *path, unsigned long uid, char **cause);

/* IDLE (RFC 2177) on folder f, selecting it first if it is not the selected
 * one.  While idling, wait on imap_session_stream(s) (net_streams_wait),
 * then end it with imap_idle_done.  0, or -1 with *cause. */
int imap_idle_start(struct imap_session *s, const struct imap_folder *f, char **cause);
int imap_idle_done(struct imap_session *s, char **cause);
bool imap_session_has_idle(const struct imap_session *s);
/* The session's stream, for waiting on; borrowed. */
mailstream *imap_session_stream(struct imap_session *s);

struct journal_entry;

/* Called with a message for the user about an entry that can never apply
 * (e.g. a move of a message the server no longer has). */
typedef void imap_replay_note_fn(void *arg, const char *text);

/* Replays journal entries v[0..n) on the server, in order.  done[i] is set
 * for each entry the server confirmed, or that can never apply (reported
 * through note).  Stops at the first connection error.  0 if every entry
 * was handled, -1 with *cause otherwise (the rest stay for next time). */
int imap_replay(struct imap_session *s, struct store *st, const char *account,
		const struct journal_entry *v, size_t n, bool *done,
		imap_replay_note_fn *note, void *arg, char **cause);

/* Logs out if possible and frees; NULLs *s. */
void imap_session_free(struct imap_session **s);

#endif
