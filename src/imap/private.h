/* Shared between the files of src/imap only. */
#ifndef PETREL_IMAP_PRIVATE_H
#define PETREL_IMAP_PRIVATE_H

#include <libetpan/libetpan.h>

#include "imap/imap.h"

struct imap_session {
	const struct account *account;
	mailimap *imap;
	struct url url;
	struct net_params params;
	char pin[65];
	bool usable;        /* greeting done, TLS settled and no stream error since */
	char *selected;     /* server name of the selected folder, or NULL */
	unsigned round_trips;
	bool compressed;    /* COMPRESS=DEFLATE is active */
	bool qresync;       /* ENABLE QRESYNC done: expunges come as VANISHED */
	bool qresync_refused; /* the server refused ENABLE QRESYNC: not asked again */
};

/* The server's last response text, for messages; never NULL. */
const char *imap_session_said(const struct imap_session *s);

/* Turns a libetpan result into a message, marking the session unusable on a
 * stream error.  Returns a malloc'd string. */
char *imap_session_error(struct imap_session *s, const char *what, int rc);

/* What a QRESYNC SELECT (RFC 7162) told about the folder since the last
 * sync (src/imap/qresync.c). */
struct imap_qresync {
	bool done;                 /* the QRESYNC SELECT was made: use the rest */
	uint64_t highestmodseq;
	struct { unsigned long lo, hi; } *vanished;   /* UID ranges expunged */
	size_t nvanished;
	clist *fetch;              /* mailimap_msg_att: flag changes, or NULL */
};

/* ENABLE QRESYNC (once per session) and SELECT folder (QRESYNC (uidvalidity
 * modseq lo:hi)), sent raw (libetpan's own is malformed).  lo:hi are the
 * store's lowest and highest UID (0 if none).  Returns 0 with q->done false
 * when the server will not do QRESYNC here (the caller uses its other
 * path), 0 with q filled (release it), or -1 with *cause. */
int imap_qresync_select(struct imap_session *s, const char *folder, uint32_t uidvalidity,
			uint64_t modseq, unsigned long lo, unsigned long hi, struct imap_qresync *q,
			char **cause);
void imap_qresync_release(struct imap_qresync *q);

/* How many VANISHED responses the last response held (after IDLE's DONE). */
size_t imap_qresync_vanished_in_idle(struct imap_session *s);

/* search.c: petrel search's words as an IMAP SEARCH key; *utf8 says the
 * key needs CHARSET UTF-8.  NULL with *cause for what it cannot say. */
struct mailimap_search_key *imap_search_key(const char *query, bool *utf8, char **cause);

#endif
