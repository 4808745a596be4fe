/* Shared between the files of src/engine only. */
#ifndef PETREL_ENGINE_PRIVATE_H
#define PETREL_ENGINE_PRIVATE_H

#include <time.h>

#include "engine/engine.h"

struct engine_worker;

/* Called on a worker thread: posts an event for the command being run. */
void engine_post(struct engine_worker *w, struct engine_event *ev);
/* A new event of type for the worker's current command (caller fills the rest). */
struct engine_event *engine_event_new(struct engine_worker *w, enum engine_event_type type);
/* Posts an event of type for the current command with folder (copied; may
 * be NULL) and text (taken; may be NULL). */
void engine_post_text(struct engine_worker *w, enum engine_event_type type, const char *folder,
		      char *text);
const struct account *engine_worker_account(const struct engine_worker *w);
struct net_cancel *engine_worker_cancel(const struct engine_worker *w);
/* For a watch: triggered when another command of the account was queued.
 * engine_worker_run_queued then runs the queued commands (not another
 * watch) one by one, each with its own events and DONE, and resets it;
 * true if it ran any.  The watch's connections stay as they are meanwhile. */
struct net_cancel *engine_worker_wake(const struct engine_worker *w);
bool engine_worker_run_queued(struct engine_worker *w);

/* The operations, each in its own file; they return true on success. */
bool engine_op_check(struct engine_worker *w);
bool engine_op_sync(struct engine_worker *w, const char *folder, unsigned flags);
bool engine_op_fetch_body(struct engine_worker *w, const char *id);
/* change.c: arg as made by change_encode. */
bool engine_op_change(struct engine_worker *w, const char *arg);
/* change.c: ENGINE_CMD_FOLDER. */
bool engine_op_folder(struct engine_worker *w, const char *arg);

/* POP3 accounts (pop3.c): the sync of folder (NULL or INBOX), and the body
 * of the header-only copy at loc (message id) into store st. */
struct store;
struct store_location;
bool engine_pop3_sync(struct engine_worker *w, const char *folder, unsigned flags);
bool engine_pop3_fetch_body(struct engine_worker *w, struct store *st,
			    const struct store_location *loc, const char *id);
bool engine_op_watch(struct engine_worker *w);

/* The send queue (send.c): delivers the due entries of the account's queue
 * (only the one called only, if not NULL; force: also those waiting for
 * their backoff), files their Sent copies, posts a PROGRESS per message
 * sent and an ERROR per failure.  False if anything failed. */
bool engine_send_flush(struct engine_worker *w, const char *only, bool force);
bool engine_op_send(struct engine_worker *w, const char *id, unsigned flags);
/* search.c: ENGINE_CMD_SEARCH. */
bool engine_op_search(struct engine_worker *w, const char *arg);
/* draft.c: ENGINE_CMD_POSTPONE and ENGINE_CMD_UNQUEUE. */
bool engine_op_postpone(struct engine_worker *w, const char *path);
bool engine_op_unqueue(struct engine_worker *w, const char *id);
/* When the earliest entry of a's queue is due (0: none waiting). */
time_t engine_send_next_due(const struct account *a);

/* Replays the account's journal on session s (sync.c).  False if some of
 * it failed (reported). */
struct imap_session;
bool engine_sync_replay(struct engine_worker *w, struct imap_session *s, struct store *st);

#endif
