/*
 * The engine: one worker thread per account doing all network work, fed by
 * commands and answering with events.  The UI and the CLI never touch the
 * network themselves: they submit commands, poll engine_fd() in their loop,
 * and take events with engine_events() on their own thread (the redis bio.c
 * pattern: a locked queue plus one wake-up fd).
 */
#ifndef PETREL_ENGINE_ENGINE_H
#define PETREL_ENGINE_ENGINE_H

#include <stdbool.h>

#include "core/config.h"
#include "net/net.h"

enum engine_cmd {
	ENGINE_CMD_CHECK,   /* connect and log in to every service of the account */
	ENGINE_CMD_SYNC,    /* sync the account's folders (arg: one folder, or NULL) */
	ENGINE_CMD_FETCH_BODY, /* fetch the body of header-only message arg (an id) */
	ENGINE_CMD_WATCH,   /* stay connected with IDLE on idle-folders until cancelled */
	ENGINE_CMD_SEND,    /* deliver what is due in the send queue (arg: one ID, or NULL) */
	ENGINE_CMD_CHANGE,  /* apply a change to messages locally (CHANGED follows at
			     * once), then send the journal to the server; arg from
			     * change_encode (engine/change.h) */
	ENGINE_CMD_POSTPONE, /* file the message in file arg (a path; left alone) in
			      * the drafts folder, then send the journal */
	ENGINE_CMD_FOLDER,  /* "create\nF", "rename\nF\nNEW" or "delete\nF": in the store at
			     * once, journaled, then the journal sent */
	ENGINE_CMD_SEARCH,  /* the IMAP server's search: arg "LIMIT\nFOLDER\nQUERY" (FOLDER
			     * empty: all); FOUND per match (its id), stored header-only */
	ENGINE_CMD_UNQUEUE, /* take queued message arg (its queue id) back out of the
			     * queue into the drafts folder, then send the journal */
};

/* Flags of a command. */
enum {
	ENGINE_SYNC_HEADERS_ONLY = 1 << 0,  /* no body prefetch */
	ENGINE_SYNC_REPLAY_ONLY = 1 << 1,   /* only send the journal's changes */
	ENGINE_SEND_NOW = 1 << 2,           /* send: also what waits for its backoff */
};

/* Higher priorities run first; within one, first come first served. */
enum engine_priority {
	ENGINE_PRIO_BULK,
	ENGINE_PRIO_PUSH,
	ENGINE_PRIO_INTERACTIVE,
};

enum engine_event_type {
	ENGINE_EVENT_REPORT,  /* one service's net_report (check) */
	ENGINE_EVENT_PROGRESS, /* text says what is being done; folder, done, total */
	ENGINE_EVENT_CHANGED, /* the store changed (folder): readers reopen */
	ENGINE_EVENT_NEW_MESSAGE, /* folder got message text (its id) by push, or
				   * (text NULL) done new messages by a sync */
	ENGINE_EVENT_ERROR,   /* something failed; text says what */
	ENGINE_EVENT_DONE,    /* the command finished; ok says how */
	ENGINE_EVENT_FOUND,   /* search: text is the id of a message found, folder its folder */
};

struct engine_event {
	enum engine_event_type type;
	unsigned long cmd;        /* id from engine_submit */
	char *account;
	const char *service;      /* REPORT: "imap", "pop3" or "smtp" (static) */
	struct net_report report; /* REPORT */
	char *text;               /* ERROR, DONE, PROGRESS: a message for the user (may be NULL) */
	char *folder;             /* PROGRESS, CHANGED: the folder concerned, or NULL */
	unsigned done, total;     /* PROGRESS */
	bool ok;                  /* DONE */
	bool cancelled;           /* DONE */
	bool offline;             /* ERROR: the server could not be reached */
	struct engine_event *next;
};

struct engine;

/* Creates the engine for cfg (borrowed: it must outlive the engine).
 * Threads start when an account gets its first command. */
struct engine *engine_new(const struct config *cfg);

/* Cancels what runs, drops what is queued, joins every worker; NULLs *e. */
void engine_free(struct engine **e);

/* An fd that becomes readable when events are waiting (for poll). */
int engine_fd(const struct engine *e);

/* Queues a command for account, with an argument (copied; may be NULL) and
 * flags.  Returns its id (never 0), or 0 with *cause set for an unknown
 * account. */
unsigned long engine_submit(struct engine *e, const char *account, enum engine_cmd cmd,
			    const char *arg, unsigned flags, enum engine_priority prio,
			    char **cause);

/* Cancels command id: dropped if still queued, interrupted if running (its
 * network I/O fails at once).  Either way a DONE event with cancelled = true
 * follows.  Returns false if no such command is queued or running. */
bool engine_cancel(struct engine *e, unsigned long id);

/* Takes every pending event, oldest first; the caller owns the list and frees
 * it with engine_events_free.  NULL when there is none. */
struct engine_event *engine_events(struct engine *e);
void engine_events_free(struct engine_event **list);

#endif
