/*
 * The local store: a Maildir tree per account under DATA/mail/<account>/
 * and one notmuch database (DATA/mail/.notmuch) indexing all of it.  It is
 * the source of truth for everything the UI and the CLI show, and it works
 * with no network at all.
 *
 * One writer: whoever opens the store STORE_WRITE (the engine thread of the
 * account, or a CLI command like import) holds notmuch's write lock until it
 * closes; readers open STORE_READ and reopen when told the store changed.
 * Files are written to tmp/, fsynced, renamed into cur/ and the directory
 * fsynced, so a crash leaves each file absent or complete; the index is
 * brought back in line with the files by store_reconcile().
 */
#ifndef PETREL_STORE_STORE_H
#define PETREL_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "core/config.h"

enum store_mode { STORE_READ, STORE_WRITE };

struct store;

/* The data directory of account a (NULL: the global one of cfg): data-dir,
 * else $XDG_DATA_HOME/petrel, else ~/.local/share/petrel.  Malloc'd. */
char *store_data_dir(const struct config *cfg, const struct account *a);

/* DATA/mail, the root of every account's Maildirs.  Borrowed from s. */
const char *store_mail_dir(const struct store *s);

/* Opens the store under data_dir.  STORE_WRITE creates what is missing
 * (directories 0700, the database).  STORE_READ of a store that does not
 * exist yet gives an empty store, not an error.  Returns NULL with *cause
 * set when the database is locked by another writer, unreadable or corrupt.
 * The caller owns the store (store_close). */
struct store *store_open(const char *data_dir, enum store_mode mode, char **cause);
void store_close(struct store **s);

/* Writes are grouped: store_begin ... store_commit is one atomic section
 * (all or nothing in the index).  Return 0, or -1 with *cause. */
int store_begin(struct store *s, char **cause);
int store_commit(struct store *s, char **cause);

/* Creates account/folder's Maildir (cur, new, tmp).  0 or -1 with *cause. */
int store_folder_create(struct store *s, const char *account, const char *folder, char **cause);

/* Renames account/from to account/to (with its subfolders), telling the
 * index about every file.  0, or -1 with *cause (nothing changed). */
int store_folder_rename(struct store *s, const char *account, const char *from, const char *to,
			char **cause);
/* Removes account/folder, its messages and its subfolders from the store.
 * 0, or -1 with *cause. */
int store_folder_delete(struct store *s, const char *account, const char *folder, char **cause);

/* Checks a folder name: components separated by '/', none empty, ".", "..",
 * or starting with '.', no control characters.  False with *cause. */
bool store_folder_valid(const char *folder, char **cause);

enum store_add_result {
	STORE_ADD_ERROR = -1,     /* *cause says why; nothing was stored */
	STORE_ADD_NEW = 0,        /* stored and indexed */
	STORE_ADD_DUPLICATE = 1,  /* the folder already had it; nothing changed */
	STORE_ADD_NOT_MAIL = 2,   /* notmuch does not take it as mail; nothing stored */
};

struct store_add_opts {
	const char *flags;   /* Maildir flags ("S", "FRS"), NULL for none (unread) */
	const char *uid;     /* server identity kept in the name (",U=123"), or NULL */
	bool partial;        /* headers only: body not fetched yet */
	bool server_copy;    /* a server's message (uid set): keep the file even if
			      * its Message-ID is already in the folder or notmuch
			      * cannot index it, so the server's count matches */
};

/* Stores a message (data[0..len)) in account/folder durably and indexes it.
 * If id is not NULL it receives the notmuch message id (malloc'd). */
enum store_add_result store_add(struct store *s, const char *account, const char *folder,
				const char *data, size_t len, const struct store_add_opts *o,
				char **id, char **cause);

/* Brings the index in line with the files of account/folder: files missing
 * from the index are indexed, index entries whose file is gone are dropped,
 * stale tmp/ files are removed.  Counts what it did in *added and *removed
 * (may be NULL).  0 or -1 with *cause. */
int store_reconcile(struct store *s, const char *account, const char *folder,
		    unsigned *added, unsigned *removed, char **cause);

/* One message as listed. Strings are valid during the callback only. */
struct store_msg {
	const char *id;
	const char *account;
	const char *folder;
	const char *path;     /* the file */
	time_t date;
	const char *from;     /* raw header (RFC 2047 encoded words possible) */
	const char *to;
	const char *subject;
	bool unread, replied, flagged, draft, passed, deleted;
	bool partial;         /* body not local yet */
	off_t size;           /* of the file */
	const char *keywords; /* its IMAP keywords (tags), space separated; "" if none */
};

enum store_sort { STORE_NEWEST_FIRST, STORE_OLDEST_FIRST };

/* Runs a notmuch query (query syntax of notmuch-search-terms(7)) and calls
 * fn for up to limit messages (0: all).  0, or -1 with *cause for a bad
 * query or a database error. */
int store_query(struct store *s, const char *query, unsigned limit, enum store_sort sort,
		void (*fn)(const struct store_msg *m, void *arg), void *arg, char **cause);

/* One thread as listed (strings valid during the callback only). */
struct store_thread {
	const char *id;        /* notmuch's thread id */
	const char *subject;   /* raw, of the thread's first (or newest) message */
	const char *authors;   /* "A, B| C": those matching, then the others */
	time_t newest;
	unsigned total, matched;
	bool unread, flagged;  /* some message of it is */
};

/* Threads offset..offset+limit-1 (limit 0: all) of the messages matching
 * query, newest thread first.  For each, fn says whether it is expanded:
 * then msg_fn gets every matching message of the thread, depth first and
 * oldest first, with its depth in the thread; else msg_fn gets only its
 * newest matching message, with depth 0.  0 or -1 with *cause. */
int store_threads(struct store *s, const char *query, unsigned offset, unsigned limit,
		  bool (*fn)(const struct store_thread *t, void *arg),
		  void (*msg_fn)(const struct store_msg *m, unsigned depth, void *arg), void *arg,
		  char **cause);
/* Counts the threads of the messages matching query.  0 or -1 with *cause. */
int store_count_threads(struct store *s, const char *query, unsigned *count, char **cause);

/* Counts the messages matching query.  0 or -1 with *cause. */
int store_count(struct store *s, const char *query, unsigned *count, char **cause);

/* The query term matching account (and folder, if not NULL), quoted. Malloc'd. */
char *store_folder_query(const char *account, const char *folder);

/* Calls fn for each folder of account (every one if account is NULL) that
 * exists on disk, in name order.  0 or -1 with *cause. */
int store_folders(struct store *s, const char *account,
		  void (*fn)(const char *account, const char *folder, void *arg), void *arg,
		  char **cause);

/* The file of message id (with or without "id:"), malloc'd, or NULL with
 * *cause ("no message ..."). */
char *store_message_file(struct store *s, const char *id, char **cause);

/* Where message id lives: its file, account, folder and server UID (0 if
 * none).  Strings malloc'd.  0, or -1 with *cause ("no message ..."). */
struct store_location {
	char *path, *account, *folder;
	unsigned long uid;
	bool partial;
};
int store_locate(struct store *s, const char *id, struct store_location *loc, char **cause);
void store_location_release(struct store_location *loc);

/* Reads a whole file (a message) into memory: malloc'd, *len set; NULL with
 * *cause. Refuses files over max bytes. */
char *store_read_file(const char *path, size_t max, size_t *len, char **cause);

/* Replaces the header-only file at path with the full message data:
 * the new file takes the old one's place (same folder, flags and server
 * identity), the index keeps the message's tags and properties, and the
 * partial mark goes.  0, or -1 with *cause (the header-only file stays). */
int store_replace_partial(struct store *s, const char *path, const char *data, size_t len,
			  char **cause);

/* Per-folder sync state, kept beside the folder's Maildir in a small file
 * replaced atomically.  Unknown keys are kept as they are. */
struct store_state {
	unsigned long long uidvalidity, uidnext, highestmodseq;
};
/* Loads the state of account/folder (all zero if none yet).  0 or -1 with
 * *cause for an unreadable or corrupt file (the caller then re-syncs). */
int store_state_load(struct store *s, const char *account, const char *folder,
		     struct store_state *st, char **cause);
/* Saves it durably (tmp, fsync, rename, fsync dir).  0 or -1 with *cause. */
int store_state_save(struct store *s, const char *account, const char *folder,
		     const struct store_state *st, char **cause);

/* IMAP keywords.  A keyword is a notmuch tag of the same name on the
 * message; these are the keywords the server last gave each message of
 * account/folder (by UID), kept beside the folder's state, so a flag fetch
 * sees what changed without asking the index about every message.  words
 * are sorted and separated by one space. */
struct store_keyword {
	unsigned long uid;
	char *words;
};
struct store_keywords {
	struct store_keyword *v;   /* sorted by uid */
	size_t n;
};
int store_keywords_load(struct store *s, const char *account, const char *folder,
			struct store_keywords *k, char **cause);
int store_keywords_save(struct store *s, const char *account, const char *folder,
			const struct store_keywords *k, char **cause);
/* The words of uid ("" if none); valid until the next change of k. */
const char *store_keywords_get(const struct store_keywords *k, unsigned long uid);
void store_keywords_set(struct store_keywords *k, unsigned long uid, const char *words);
void store_keywords_free(struct store_keywords *k);
/* Whether word can be an IMAP keyword petrel keeps as a tag: an IMAP atom
 * (no blanks, controls, ( ) { % * " \ ]), not a system flag (\...), not
 * one of the tags petrel or notmuch set themselves (unread, flagged, ...). */
bool store_keyword_valid(const char *word);
/* Retags the message stored at path: the words of now (space separated)
 * that are not in before become tags, those of before not in now stop
 * being tags.  0, or -1 with *cause. */
int store_retag(struct store *s, const char *path, const char *before, const char *now,
		char **cause);

/* The messages of account/folder that carry a server UID (",U=N" in the
 * name), sorted by UID.  *out is malloc'd (free with store_uids_free). */
struct store_uid {
	unsigned long uid;
	char *path;
	char flags[8];   /* Maildir flags of the file */
};
struct store_uids {
	struct store_uid *v;
	size_t n;
};
int store_uids(struct store *s, const char *account, const char *folder,
	       struct store_uids *out, char **cause);
void store_uids_free(struct store_uids *u);
/* The entry for uid, or NULL (binary search). */
struct store_uid *store_uids_find(const struct store_uids *u, unsigned long uid);

/* What the sync needs to know of the stored file at path. */
struct store_msg_info {
	char *id;                 /* malloc'd message id */
	bool partial;
	time_t date;
	unsigned long long size_hint;  /* the server's size (",S=" in the name), else the file's */
};
/* 0, or -1 if path is not indexed. */
int store_message_info(struct store *s, const char *path, struct store_msg_info *info);

/* Sets the Maildir flags of the message stored at path (tags follow; the
 * file is renamed).  0, or -1 with *cause. */
int store_set_flags(struct store *s, const char *path, const char *flags, char **cause);

/* Removes the file at path from the store (index and disk): the server
 * expunged it.  0, or -1 with *cause. */
int store_remove_file(struct store *s, const char *path, char **cause);

/* Moves the stored file at path into account/dest (a local move ahead of
 * the server's): the server identity is dropped from the name, since the
 * destination will give it a new UID.  *newpath (malloc'd) is where it went.
 * 0, or -1 with *cause. */
int store_move_file(struct store *s, const char *path, const char *account, const char *dest,
		    char **newpath, char **cause);

/* Copies the stored file at path into account/dest as a new file without a
 * server identity (the server gives the copy its own UID); the copy is the
 * same notmuch message.  *newpath (malloc'd) is the copy.  0, or -1 with
 * *cause. */
int store_copy_file(struct store *s, const char *path, const char *account, const char *dest,
		    char **newpath, char **cause);

/* Gives the file at path (in its folder) the server UID uid: renames it with
 * ",U=uid".  0, or -1 with *cause. */
int store_set_uid(struct store *s, const char *path, unsigned long uid, char **cause);

/* The account's journal: local changes not yet confirmed by the server, in
 * DATA/mail/<account>/.petrel-journal.  Entries are appended and fsynced
 * before a change is reported done; one leaves only after the server
 * confirmed it (the journal is then rewritten atomically without it). */
struct journal_entry {
	char *op;        /* "flags", "move", "copy", "delete", "append" (a Sent copy) */
	char *folder;    /* the message's folder when the change was made */
	unsigned long uid;
	char *arg;       /* flags: "+S-F"; move: destination; delete: "" */
	char *file;      /* move, copy: base name of the file in the destination;
			  * append: the Message-ID of the local copy in folder
			  * (arg "auto": look for it on the server first, "yes") */
	/* flags, move, delete: the folder's UIDVALIDITY when the change was
	 * made and the message's Message-ID, so that a change made before the
	 * server renumbered the folder finds its message again (0 and NULL in
	 * entries written before petrel kept them: unknown) */
	unsigned long long uidvalidity;
	char *message_id;
};
int store_journal_append(struct store *s, const char *account, const struct journal_entry *e,
			 char **cause);
/* Loads every entry (malloc'd array; free with store_journal_free).  A
 * damaged line is skipped and counted in *bad (may be NULL). */
int store_journal_load(struct store *s, const char *account, struct journal_entry **v,
		       size_t *n, unsigned *bad, char **cause);
/* Rewrites the journal with the entries whose keep[i] is true. */
int store_journal_rewrite(struct store *s, const char *account, const struct journal_entry *v,
			  const bool *keep, size_t n, char **cause);
void store_journal_free(struct journal_entry **v, size_t n);

/* The Maildir flags of a file name ("FS"), pointer into name; "" if none. */
const char *store_maildir_flags(const char *name);

/* The send queue of an account (store/queue.c): DATA/mail/<account>/
 * .petrel-queue, one ID.eml per message (as the user wrote it, Bcc kept)
 * and its ID.state.  It needs no index, so it works while another petrel
 * holds the index; the functions take the queue's directory. */
enum queue_state {
	QUEUE_QUEUED,     /* waiting for its (next) try */
	QUEUE_SENDING,    /* a try was under way (if still so at startup, petrel
			   * died during it: the server may or may not have it) */
	QUEUE_FAILED,     /* permanently refused; kept until retried or cancelled */
	QUEUE_DELIVERED,  /* the server took it; the Sent copy is still to do */
};
struct queue_entry {
	char *id;           /* short, stable: what the CLI shows and takes */
	char *path;         /* of ID.eml */
	enum queue_state state;
	unsigned attempts;
	time_t next_try;    /* 0: as soon as possible */
	time_t queued;      /* when it was queued (file time) */
	char *error;        /* the last failure, the server's words; NULL if none */
	bool offline;       /* the last try could not reach the server at all */
	char *recipients;   /* addr-specs, ", " separated (NULL if unparsable) */
	char *subject;      /* raw header value, or NULL */
	char *message_id;   /* without <>, or NULL */
	size_t size;
};
const char *store_queue_state_name(enum queue_state st);
/* The queue directory of account a, malloc'd. */
char *store_queue_dir(const struct config *cfg, const struct account *a);
/* Queues msg[0..len) durably (fsynced file and directory) under a new ID
 * (*id malloc'd).  0, or -1 with *cause (nothing queued). */
int store_queue_add(const char *qdir, const char *msg, size_t len, char **id, char **cause);
/* Every entry, oldest first (*v malloc'd, store_queue_free).  A missing
 * queue is an empty one.  0 or -1 with *cause. */
int store_queue_list(const char *qdir, struct queue_entry **v, size_t *n, char **cause);
/* Entry id; 0 or -1 with *cause ("no queued message ..."). */
int store_queue_get(const char *qdir, const char *id, struct queue_entry *e, char **cause);
/* Saves e's state, attempts, next try and error durably.  0 or -1. */
int store_queue_save(const char *qdir, const struct queue_entry *e, char **cause);
/* The message bytes of e (malloc'd) or NULL with *cause. */
char *store_queue_read(const struct queue_entry *e, size_t *len, char **cause);
/* Removes entry id for good (message first, durably).  0 or -1. */
int store_queue_remove(const char *qdir, const char *id, char **cause);
void store_queue_entry_release(struct queue_entry *e);
void store_queue_free(struct queue_entry **v, size_t n);
/* Only one petrel flushes a queue at a time: returns an fd holding the
 * lock (store_queue_unlock), -2 when another process holds it, or -1 with
 * *cause. */
int store_queue_lock(const char *qdir, char **cause);
void store_queue_unlock(int *fd);
/* The wait before try attempts+1: 1 min doubling up to 1 h. */
time_t store_queue_backoff(unsigned attempts);

/* The SMTP envelope of a message: recipients are the addr-specs of To, Cc
 * and Bcc (libetpan's mailimf parser).  Strings malloc'd. */
struct queue_envelope {
	char **rcpt;            /* NULL-terminated */
	size_t n_rcpt, n_bcc;   /* n_bcc: how many of them came from Bcc */
	char *message_id, *subject;
	bool eight_bit_header;  /* non-ASCII in the header: needs 8BITMIME */
	bool eight_bit_body;    /* needs 8BITMIME */
};
/* 0, or -1 with *cause (unparsable header, no recipient). */
int store_queue_envelope(const char *msg, size_t len, struct queue_envelope *env, char **cause);
void store_queue_envelope_release(struct queue_envelope *env);
/* msg without its Bcc field(s): what is transmitted.  Malloc'd. */
char *store_queue_strip_bcc(const char *msg, size_t len, size_t *out_len);

#endif
