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
	unsigned recovered;       /* after a renumbering: whole messages the server no
				   * longer has, kept in IMAP_RECOVERY_FOLDER/FOLDER */
	bool unchanged;           /* the server said nothing changed (one round trip) */
};

/* Where whole local messages go when the server renumbers a folder
 * (UIDVALIDITY) and no longer has them: a local folder of the account,
 * RECOVERY/FOLDER, never sent to the server. */
#define IMAP_RECOVERY_FOLDER "Recovered"

/* Called after each stored chunk, so a UI can redraw as headers arrive. */
typedef void imap_progress_fn(void *arg, const char *folder, unsigned done, unsigned total);

/* Reconciles folder f of account with the store: expunges, new messages
 * (headers first, newest first, in growing chunks), flags, then bodies
 * within the account's prefetch budget unless headers_only.  The store must
 * be open for writing.  0, or -1 with *cause (what was stored stays). */
int imap_sync_folder(struct imap_session *s, struct store *st, const char *account,
		     const struct imap_folder *f, bool headers_only, struct imap_sync_stats *stats,
		     imap_progress_fn *progress, void *arg, char **cause);

/* The server's search (search.c turns query, in petrel search's words,
 * into IMAP SEARCH): the messages of folder f that match, newest first, at
 * most limit of them (0: all).  Those the store does not have are stored
 * header-only first, as a sync would; found gets the stored file of each.
 * 0; -1 with *cause (the connection, or the store); -2 with *cause when
 * the query is one the server search cannot take (nothing was sent). */
int imap_search_folder(struct imap_session *s, struct store *st, const char *account,
		       const struct imap_folder *f, const char *query, unsigned limit,
		       void (*found)(const char *path, void *arg), void *arg, char **cause);

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

/* APPENDs data[0..len) to server folder with the Maildir flags given ("S",
 * "DS": \Seen, \Draft, \Flagged, \Answered); *uid (may be
 * NULL) gets its UID when the server tells (UIDPLUS), else 0.  0 when
 * done, 1 when the server refused (*cause has its words), -1 on a
 * connection error (*cause). */
int imap_append_message(struct imap_session *s, const char *folder, const char *data,
			size_t len, const char *flags, unsigned long *uid, char **cause);

/* Looks for message_id (without <>) in server folder by UID SEARCH HEADER
 * Message-ID.  1 found (*uid), 0 not there, -1 with *cause. */
int imap_find_message_id(struct imap_session *s, const char *folder, const char *message_id,
			 unsigned long *uid, char **cause);

/* The Sent folder of account a on this server: sent-folder when the account
 * sets it, else the SPECIAL-USE \Sent folder, else "Sent" (created when
 * missing).  *server and *local (malloc'd) are its names.  0 or -1. */
int imap_sent_folder(struct imap_session *s, const struct account *a, char **server,
		     char **local, char **cause);

/* Delivery by IMAP outbox: APPENDs the message (one per APPEND) to
 * outbox-folder, else the folder the server announces (XCOURIEROUTBOX).
 * The server may keep it there (Courier does): imap_outbox_tidy removes it
 * once the queue has recorded the delivery.  A refusal (NO [ALERT]
 * Unable to send) returns 1 with the server's words in *cause; -1 is a
 * connection error; 0: the server took it for sending.  look_first (after
 * a try that was cut off): if the outbox still holds message_id, the server
 * sent it then; it is only removed. */
int imap_outbox_send(struct imap_session *s, const struct account *a, const char *data,
		     size_t len, const char *message_id, bool look_first, char **cause);
/* Removes message_id from the outbox folder if the server left it there
 * (best effort: what stays is only clutter). */
void imap_outbox_tidy(struct imap_session *s, const struct account *a, const char *message_id);

/* Logs out if possible and frees; NULLs *s. */
void imap_session_free(struct imap_session **s);

#endif
