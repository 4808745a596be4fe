/* Shared between the files of src/store only. */
#ifndef PETREL_STORE_PRIVATE_H
#define PETREL_STORE_PRIVATE_H

#include <notmuch.h>

#include "store/store.h"

struct store {
	char *data_dir;
	char *mail_dir;           /* data_dir/mail: the notmuch database root */
	enum store_mode mode;
	notmuch_database_t *db;   /* NULL for a read of a store not created yet */
	int atomic;               /* depth of begin/commit */
	/* Files delivered since the index was last saved: if it cannot be
	 * saved they are removed again, so that no file is in a folder the
	 * index does not know (sync takes a file there for a stored message). */
	char **added;
	size_t n_added, alloc_added;
	/* Xapian failed inside the transaction: notmuch may then drop what the
	 * transaction added and still report the commit as done, so the
	 * commit is treated as failed. */
	bool broken;
	struct store_writer *writer;  /* STORE_WRITE: this process's turn (store.c) */
};

/* Replaces the file at path by data[0..len) atomically: path.tmp written
 * (0600) and fsynced, renamed over path, its directory fsynced; a crash
 * leaves the old or the new file.  what names it in *cause.  0 or -1. */
int store_replace_file(const char *path, const char *data, size_t len, const char *what,
		       char **cause);

/* DATA/mail/<account>/<folder>, malloc'd. */
char *maildir_folder_path(const struct store *s, const char *account, const char *folder);

/* Writes data into dir/tmp, fsyncs, renames to dir/cur/<unique><uid>:2,<flags>
 * and fsyncs dir/cur.  Returns the final path (malloc'd) or NULL + *cause. */
char *maildir_deliver(const char *dir, const char *data, size_t len, const char *uid,
		      const char *flags, char **cause);

/* mkdir -p, mode 0700.  0 or -1 with *cause. */
int maildir_mkdirs(const char *path, char **cause);

/* fsyncs directory dir, so that a rename or link in it is durable; -1 with
 * errno set on failure. */
int maildir_fsync_dir(const char *dir);

/* A notmuch status as words, with the database's own message if any. */
char *store_status_text(struct store *s, notmuch_status_t st);

/* The Message-ID of a message's header block, without <>, malloc'd, or NULL. */
char *maildir_message_id(const char *data, size_t len);

#endif
