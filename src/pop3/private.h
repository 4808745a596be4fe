/* Shared between the files of src/pop3 only. */
#ifndef PETREL_POP3_PRIVATE_H
#define PETREL_POP3_PRIVATE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "core/util.h"
#include "pop3/pop3.h"

struct pop3_session {
	const struct account *account;
	mailpop3 *pop3;
	struct url url;
	struct net_params params;
	char pin[65];
	bool usable;        /* greeting done, TLS settled, no stream error since */
	bool has_stls, has_user, has_uidl, has_top, has_pipelining;
	bool own_io;        /* past login: pop3_session_* I/O, not libetpan's */
	bool stat_known;    /* stat_count came with the login (pipelined) */
	unsigned stat_count;
	struct strbuf line; /* the status line last read */
	unsigned round_trips;
};

/* The largest message petrel takes (a bigger one stays on the server as
 * headers only); and the largest header block. */
#define POP3_MESSAGE_MAX (64u << 20)
#define POP3_HEADER_MAX (4u << 20)

/*
 * Pipelined commands (RFC 2449 PIPELINING): queue any number, flush once,
 * then read the answers in order.  libetpan's calls do one command per
 * round trip, which on a 100 ms link makes 5,000 messages take minutes.
 */

/* Queues one command line (CRLF added). A failure shows at the flush. */
void pop3_session_queue(struct pop3_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Sends what is queued.  0, or -1 with *cause (the session is then dead). */
int pop3_session_flush(struct pop3_session *s, char **cause);

enum pop3_status {
	POP3_BROKEN = -1,  /* connection lost or an answer that is no answer: *cause */
	POP3_ERR = 0,      /* -ERR: *text has the server's words */
	POP3_OK = 1,       /* +OK: *text the rest of the line */
};
/* Reads one status line.  *text is borrowed until the next read. */
enum pop3_status pop3_session_status(struct pop3_session *s, const char **text, char **cause);

/* Reads a multi-line answer up to the lone ".", undoing dot-stuffing, each
 * line ended by CRLF, into out (reset first).  More than max bytes is a
 * broken session (a server that keeps sending).  0 or -1 with *cause. */
int pop3_session_multiline(struct pop3_session *s, struct strbuf *out, size_t max, char **cause);

/* A message for what the server said after "-ERR", sanitized; malloc'd. */
char *pop3_session_err(const char *what, const char *text);

/* QUIT: the server commits the DELEs.  0, or -1 with *cause (the server
 * refused, or the connection broke: then none of the DELEs took effect). */
int pop3_session_quit(struct pop3_session *s, char **cause);

/* Marks the session unusable: pop3_session_free then closes the connection
 * without QUIT, so the server forgets this session's DELEs. */
void pop3_session_drop(struct pop3_session *s);

/*
 * The record of what was stored (records.c): a per-account file
 * DATA/mail/ACCOUNT/.petrel-pop3, one line per server message that petrel
 * has stored at some point: its key, the time it was first seen, and the
 * Message-ID of the stored copy.  Append-only with an fsync per batch, so a
 * record is durable before the DELE it allows; rewritten (atomically) when
 * messages left the server.
 */
#define POP3_KEY_LEN 32   /* hex digits of a key */

struct pop3_record {
	char key[POP3_KEY_LEN + 1];
	time_t first_seen;
	char *mid;          /* message id of the stored copy, or NULL */
	bool on_server;     /* seen in this session's listing (not saved) */
};

struct pop3_records {
	char *path;
	struct pop3_record *v;   /* sorted by key after load/compact */
	size_t n, sorted;        /* v[0..sorted) sorted; appends after */
	int fd;                  /* append fd, -1 until the first append */
	struct strbuf pending;   /* added lines not yet written */
};

/* Loads (or starts empty) the records of account a.  0 or -1 + *cause. */
int pop3_records_load(struct pop3_records *r, const struct account *a, char **cause);
/* The record for key, or NULL. */
struct pop3_record *pop3_records_find(struct pop3_records *r, const char *key);
/* Adds key, in memory; the file gets it at the next pop3_records_sync. */
int pop3_records_add(struct pop3_records *r, const char *key, time_t first_seen,
		     const char *mid, char **cause);
/* Appends the added lines to the file and makes them durable (fsync).
 * Call it after the store committed what they record.  0 or -1 + *cause. */
int pop3_records_sync(struct pop3_records *r, char **cause);
/* Drops every record with on_server false and rewrites the file
 * atomically.  0 or -1 + *cause. */
int pop3_records_prune(struct pop3_records *r, char **cause);
void pop3_records_release(struct pop3_records *r);

/* The key of a message from its UIDL, or (servers without UIDL) from its
 * header block and the how-manieth message with the same headers it is. */
void pop3_records_key_uidl(const char *uidl, char out[POP3_KEY_LEN + 1]);
void pop3_records_key_headers(const char *hdr, size_t len, unsigned nth, char out[POP3_KEY_LEN + 1]);

/* Local copies (local.c): files with ",P=KEY" in their names anywhere in
 * the account's folders, sorted by key (the biggest copy of a key first).
 * trash (may be NULL) names the folder whose messages count as deleted. */
struct pop3_local {
	char key[POP3_KEY_LEN + 1];
	char *path;
	off_t size;                      /* of the file */
	unsigned long long server_size;  /* ",S=" in the name: the server's size */
	bool trashed;                    /* T flag, or in the trash folder */
};
struct pop3_locals {
	struct pop3_local *v;
	size_t n;
};
void pop3_local_scan(struct pop3_locals *l, const char *account_dir, const char *trash);
struct pop3_local *pop3_local_find(const struct pop3_locals *l, const char *key);
void pop3_local_release(struct pop3_locals *l);

/* The server's messages as listed in this session (list.c). */
struct pop3_msg {
	unsigned long size;              /* LIST; 0 if unlisted */
	char key[POP3_KEY_LEN + 1];      /* "" when unknown (no UIDL, TOP refused) */
	char *hdr;                       /* a TOP answer kept for later, or NULL */
	size_t hlen;
	bool listed;                     /* number in use */
	bool known;                      /* recorded or local: not new */
	bool deleted;                    /* DELE accepted in this session */
};
struct pop3_list {
	struct pop3_msg *v;              /* v[n - 1] is message n */
	unsigned n;
	bool digest;                     /* keys from headers (no UIDL) */
};
/* STAT: the number of messages.  0 or -1 + *cause. */
int pop3_list_stat(struct pop3_session *s, unsigned *count, char **cause);
/* The newest count..count-chunk+1, newest first: LIST n and UIDL n (and
 * TOP n 0 into hdr when with_top) in one round trip; fn is called for each
 * message as soon as its answers are in (a -1 from it drops the session).
 * l must have room for count messages.  0 or -1 + *cause. */
int pop3_list_newest(struct pop3_session *s, struct pop3_list *l, unsigned count, unsigned chunk,
		     bool with_top, int (*fn)(void *arg, unsigned num, char **cause), void *arg,
		     char **cause);
/* Every message: LIST and UIDL; without UIDL, keys from TOP n 0 of each
 * message (their headers are kept in hdr).  Replaces what l held. */
int pop3_list_all(struct pop3_session *s, struct pop3_list *l, const struct pop3_hooks *hooks,
		  char **cause);
/* TOP n 0 for the messages nums[0..k) in one round trip: fn gets each
 * answer (NULL for a -ERR, after telling hooks).  0 or -1 + *cause. */
int pop3_list_top(struct pop3_session *s, const unsigned *nums, size_t k,
		  const struct pop3_hooks *hooks,
		  int (*fn)(void *arg, unsigned num, const char *hdr, size_t len, char **cause),
		  void *arg, char **cause);
void pop3_list_release(struct pop3_list *l);

/* Tells hooks about one message's problem (printf-like). */
void pop3_list_problem(const struct pop3_hooks *hooks, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The current time, or PETREL_TEST_NOW (seconds since 1970) when set:
 * tests move the clock to check pop3-delete-after. */
time_t pop3_records_now(void);

#endif
