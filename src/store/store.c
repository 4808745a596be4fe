/*
 * The store as a whole: the notmuch database (opened with no user config,
 * autocommit 1 so readers see each committed section), adding messages,
 * queries and the reconciliation of the index with the files.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "store/private.h"

char *store_data_dir(const struct config *cfg, const struct account *a)
{
	const char *dd = a ? config_get(a, OPTION_DATA_DIR)
			   : cfg ? cfg->global[OPTION_DATA_DIR].value : NULL;
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (dd)
		return config_expand_path(dd);
	if (xdg && *xdg)
		return xasprintf("%s/petrel", xdg);
	return xasprintf("%s/.local/share/petrel", home ? home : ".");
}

const char *store_mail_dir(const struct store *s)
{
	return s->mail_dir;
}

/* Whether the file system of the store has less than STORE_MIN_FREE bytes
 * left for its users. */
#define STORE_MIN_FREE (1ull << 20)
static bool store_disk_full(const struct store *s)
{
	struct statvfs vfs;

	return statvfs(s->mail_dir, &vfs) == 0 && !(vfs.f_flag & ST_RDONLY) &&
	       (unsigned long long)vfs.f_bavail * vfs.f_frsize < STORE_MIN_FREE;
}

char *store_status_text(struct store *s, notmuch_status_t st)
{
	const char *extra = s->db ? notmuch_database_status_string(s->db) : NULL;
	struct statvfs vfs;
	const char *why = "";

	/* Xapian says only "Error writing block N": tell the user why */
	if (st == NOTMUCH_STATUS_XAPIAN_EXCEPTION && statvfs(s->mail_dir, &vfs) == 0) {
		if (vfs.f_flag & ST_RDONLY)
			why = " (the store is on a read-only file system)";
		else if (store_disk_full(s))
			why = " (the disk holding the store is full: no space left)";
	}
	return xasprintf("%s%s%s%s", notmuch_status_to_string(st), extra ? ": " : "",
			 extra ? extra : "", why);
}

/* Writers of one store inside this process take turns on a mutex before
 * Xapian's own lock: accounts that share a data dir have one engine thread
 * each, and two write handles in one process would otherwise queue on
 * Xapian's file lock (an OFD lock, per open file: it does not know they are
 * the same process), which some tools cannot follow (valgrind 3.19 does
 * not see F_OFD_SETLKW block, and stalls every thread).  One mutex per mail
 * directory, kept for the life of the process. */
struct store_writer {
	char *mail_dir;
	pthread_mutex_t lock;
	struct store_writer *next;
};
static struct store_writer *store_writers;
static pthread_mutex_t store_writers_lock = PTHREAD_MUTEX_INITIALIZER;

static struct store_writer *store_writer_take(const char *mail_dir)
{
	struct store_writer *w;

	pthread_mutex_lock(&store_writers_lock);
	for (w = store_writers; w && strcmp(w->mail_dir, mail_dir) != 0; w = w->next)
		;
	if (!w) {
		w = xcalloc(1, sizeof(*w));
		w->mail_dir = xstrdup(mail_dir);
		pthread_mutex_init(&w->lock, NULL);
		w->next = store_writers;
		store_writers = w;
	}
	pthread_mutex_unlock(&store_writers_lock);
	pthread_mutex_lock(&w->lock);
	return w;
}

struct store *store_open(const char *data_dir, enum store_mode mode, char **cause)
{
	struct store *s = xcalloc(1, sizeof(*s));
	char *nmdir, *msg = NULL;
	struct stat st;
	notmuch_status_t rc;

	s->data_dir = xstrdup(data_dir);
	s->mail_dir = xasprintf("%s/mail", data_dir);
	s->mode = mode;
	if (mode == STORE_WRITE)
		s->writer = store_writer_take(s->mail_dir);
	nmdir = xasprintf("%s/.notmuch", s->mail_dir);
	if (stat(nmdir, &st) < 0) {
		if (mode == STORE_READ) {
			free(nmdir);
			return s;  /* nothing stored yet: an empty store */
		}
		if (maildir_mkdirs(s->mail_dir, cause) < 0)
			goto fail;
		/* "" as the config file: petrel never reads ~/.notmuch-config */
		rc = notmuch_database_create_with_config(s->mail_dir, "", NULL, &s->db, &msg);
		if (rc != NOTMUCH_STATUS_SUCCESS) {
			*cause = xasprintf("cannot create the index in %s: %s", s->mail_dir,
					   msg ? msg : notmuch_status_to_string(rc));
			goto fail;
		}
		/* Commit every atomic section at once, or readers see nothing
		 * until 8000 changes piled up (LIBRARY-NOTES.md 10). */
		notmuch_database_set_config(s->db, "database.autocommit", "1");
		notmuch_database_destroy(s->db);
		s->db = NULL;
	}
	rc = notmuch_database_open_with_config(s->mail_dir,
					       mode == STORE_WRITE ? NOTMUCH_DATABASE_MODE_READ_WRITE
								   : NOTMUCH_DATABASE_MODE_READ_ONLY,
					       "", NULL, &s->db, &msg);
	if (rc != NOTMUCH_STATUS_SUCCESS) {
		if (mode == STORE_WRITE && access(nmdir, W_OK) < 0 && errno != ENOENT)
			/* Xapian says "cannot lock" for these too: say what it is */
			*cause = xasprintf("cannot write the mail index in %s: %s%s", s->mail_dir,
					   strerror(errno),
					   errno == EROFS ? " (the store is on a read-only file "
							    "system; remount it read-write)" : "");
		else if (rc == NOTMUCH_STATUS_XAPIAN_EXCEPTION && msg && strstr(msg, "lock"))
			*cause = xasprintf("the mail index in %s is in use by another petrel "
					   "(it is updated by one program at a time); try again "
					   "when that one is done", s->mail_dir);
		else
			*cause = xasprintf("cannot open the mail index in %s: %s", s->mail_dir,
					   msg ? msg : notmuch_status_to_string(rc));
		s->db = NULL;
		goto fail;
	}
	free(nmdir);
	free(msg);
	return s;
fail:
	free(nmdir);
	free(msg);
	store_close(&s);
	return NULL;
}


/* Forgets the files delivered since the index was last saved; with undo,
 * removes them. */
static void store_added_clear(struct store *s, bool undo)
{
	for (size_t i = 0; i < s->n_added; i++) {
		if (undo && unlink(s->added[i]) == 0)
			log_debug("store: removed %s: the index could not be saved", s->added[i]);
		free(s->added[i]);
	}
	FREE_NULL(s->added);
	s->n_added = s->alloc_added = 0;
}

static void store_added_note(struct store *s, const char *path)
{
	if (s->n_added == s->alloc_added) {
		s->alloc_added = s->alloc_added ? s->alloc_added * 2 : 64;
		s->added = xrealloc(s->added, s->alloc_added * sizeof(*s->added));
	}
	s->added[s->n_added++] = xstrdup(path);
}

void store_close(struct store **sp)
{
	struct store *s = *sp;
	bool failed = false;

	if (!s)
		return;
	if (s->db) {
		if (s->mode == STORE_WRITE && (s->atomic > 0 || s->n_added) && store_disk_full(s)) {
			/* no commit on a full disk (see store_commit): closing
			 * inside an atomic section discards what is pending */
			if (s->atomic == 0)
				notmuch_database_begin_atomic(s->db);
			notmuch_database_close(s->db);
			failed = true;
		} else {
			while (s->atomic > 0) {
				failed |= notmuch_database_end_atomic(s->db) != NOTMUCH_STATUS_SUCCESS;
				s->atomic--;
			}
			failed |= notmuch_database_close(s->db) != NOTMUCH_STATUS_SUCCESS;
		}
		s->atomic = 0;
		notmuch_database_destroy(s->db);
	}
	store_added_clear(s, failed || s->broken);
	if (s->writer)
		pthread_mutex_unlock(&s->writer->lock);
	free(s->data_dir);
	free(s->mail_dir);
	FREE_NULL(*sp);
}

int store_begin(struct store *s, char **cause)
{
	notmuch_status_t rc = notmuch_database_begin_atomic(s->db);

	if (rc != NOTMUCH_STATUS_SUCCESS) {
		*cause = store_status_text(s, rc);
		return -1;
	}
	s->atomic++;
	return 0;
}

int store_commit(struct store *s, char **cause)
{
	notmuch_status_t rc;

	if (s->atomic == 0)
		BUG("store_commit without store_begin");
	if (s->atomic == 1 && store_disk_full(s)) {
		/* Xapian's commit on a disk that fills up under it can abort
		 * the process (std::terminate inside libxapian 1.4): do not
		 * try.  Closing inside the atomic section discards the batch,
		 * whose files go too; the store cannot be used after this. */
		notmuch_database_close(s->db);
		s->atomic = 0;
		s->broken = false;
		store_added_clear(s, true);
		*cause = xstrdup("cannot save the index: the disk holding the store is full "
				 "(less than 1 MiB free); nothing of this batch was kept");
		return -1;
	}
	s->atomic--;
	rc = notmuch_database_end_atomic(s->db);
	if (rc != NOTMUCH_STATUS_SUCCESS || (s->atomic == 0 && s->broken)) {
		char *why = rc != NOTMUCH_STATUS_SUCCESS ? store_status_text(s, rc)
			    : xstrdup("an earlier change in it failed");
		*cause = xasprintf("cannot save the index: %s", why);
		free(why);
		store_added_clear(s, true);
		s->broken = false;
		return -1;
	}
	if (s->atomic == 0)
		store_added_clear(s, false);
	return 0;
}

/* Whether message m has a file in folder directory dir (other than skip)
 * that exists: the index may name a file that is gone (removed after the
 * index could not be saved, or by hand), and such a message is not stored. */
static bool store_has_file_in(notmuch_message_t *m, const char *dir, const char *skip)
{
	notmuch_filenames_t *fns = notmuch_message_get_filenames(m);
	size_t dlen = strlen(dir);
	bool found = false;

	for (; fns && notmuch_filenames_valid(fns); notmuch_filenames_move_to_next(fns)) {
		const char *f = notmuch_filenames_get(fns);
		if (skip && strcmp(f, skip) == 0)
			continue;
		if (strncmp(f, dir, dlen) == 0 && f[dlen] == '/' &&
		    (strncmp(f + dlen + 1, "cur/", 4) == 0 || strncmp(f + dlen + 1, "new/", 4) == 0) &&
		    !strchr(f + dlen + 5, '/') && access(f, F_OK) == 0) {
			found = true;
			break;
		}
	}
	if (fns)
		notmuch_filenames_destroy(fns);
	return found;
}

/* Indexes the file at path; syncs tags from its flags. */
static enum store_add_result store_index(struct store *s, const char *path, const char *dir,
					 const struct store_add_opts *o, char **id, char **cause)
{
	notmuch_message_t *m = NULL;
	notmuch_status_t rc = notmuch_database_index_file(s->db, path, NULL, &m);

	if (rc == NOTMUCH_STATUS_FILE_NOT_EMAIL) {
		*cause = xstrdup("not a mail message (no usable header)");
		return STORE_ADD_NOT_MAIL;
	}
	if (rc != NOTMUCH_STATUS_SUCCESS && rc != NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID) {
		char *why = store_status_text(s, rc);
		if (rc == NOTMUCH_STATUS_XAPIAN_EXCEPTION && s->atomic > 0)
			s->broken = true;
		*cause = xasprintf("cannot index %s: %s", path, why);
		free(why);
		return STORE_ADD_ERROR;
	}
	if (rc == NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID && dir && store_has_file_in(m, dir, path)) {
		notmuch_message_destroy(m);
		notmuch_database_remove_message(s->db, path);
		return STORE_ADD_DUPLICATE;
	}
	if (rc == NOTMUCH_STATUS_SUCCESS) {
		notmuch_message_maildir_flags_to_tags(m);
		if (o->partial)
			notmuch_message_add_property(m, "petrel.partial", "1");
		if (o->flags && strchr(o->flags, 'T'))
			notmuch_message_add_tag(m, "deleted");
	}
	/* the server's identity, also in the file name, so either rebuilds the other */
	if (o->uid)
		notmuch_message_add_property(m, "petrel.server-id", o->uid);
	if (id)
		*id = xstrdup(notmuch_message_get_message_id(m));
	notmuch_message_destroy(m);
	return STORE_ADD_NEW;
}

enum store_add_result store_add(struct store *s, const char *account, const char *folder,
				const char *data, size_t len, const struct store_add_opts *o,
				char **id, char **cause)
{
	static const struct store_add_opts none = { NULL, NULL, false, false };
	char *dir, *mid, *path;
	enum store_add_result res;

	if (!o)
		o = &none;
	if (s->mode != STORE_WRITE || !s->db)
		BUG("store_add on a store not opened for writing");
	dir = maildir_folder_path(s, account, folder);
	/* Cheap duplicate check before writing anything. */
	mid = o->server_copy ? NULL : maildir_message_id(data, len);
	if (mid) {
		notmuch_message_t *m = NULL;
		if (notmuch_database_find_message(s->db, mid, &m) == NOTMUCH_STATUS_SUCCESS && m) {
			bool dup = store_has_file_in(m, dir, NULL);
			if (dup && id)
				*id = xstrdup(notmuch_message_get_message_id(m));
			notmuch_message_destroy(m);
			if (dup) {
				free(mid);
				free(dir);
				return STORE_ADD_DUPLICATE;
			}
		}
		free(mid);
	}
	path = maildir_deliver(dir, data, len, o->uid, o->flags, cause);
	if (!path) {
		free(dir);
		return STORE_ADD_ERROR;
	}
	res = store_index(s, path, o->server_copy ? NULL : dir, o, id, cause);
	if (res == STORE_ADD_ERROR || (!o->server_copy &&
	    (res == STORE_ADD_DUPLICATE || res == STORE_ADD_NOT_MAIL)))
		unlink(path);
	else
		store_added_note(s, path);
	free(path);
	free(dir);
	return res;
}

/* Quotes s as one notmuch/Xapian phrase: "..." with " doubled. */
static void store_quote(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '"');
	for (; *s; s++) {
		if (*s == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '"');
}

char *store_folder_query(const char *account, const char *folder)
{
	struct strbuf sb = STRBUF_INIT;
	char *p;

	if (folder) {
		p = xasprintf("%s/%s", account, folder);
		strbuf_addstr(&sb, "folder:");
		store_quote(&sb, p);
	} else {
		p = xasprintf("%s/**", account);
		strbuf_addstr(&sb, "path:");
		store_quote(&sb, p);
	}
	free(p);
	return strbuf_detach(&sb);
}

static notmuch_query_t *store_query_new(struct store *s, const char *query, char **cause)
{
	notmuch_query_t *q = notmuch_query_create(s->db, query);

	if (!q)
		*cause = xstrdup("out of memory creating a query");
	/* excluded tags are the user's notmuch business, not petrel's */
	return q;
}

/* Splits a file path under mail_dir into account and folder (in place). */
static void store_split_path(const struct store *s, char *copy, const char **account,
			     const char **folder)
{
	size_t mlen = strlen(s->mail_dir);
	char *rel = copy, *slash, *sub;

	*account = *folder = "";
	if (strncmp(copy, s->mail_dir, mlen) == 0 && copy[mlen] == '/')
		rel = copy + mlen + 1;
	slash = strchr(rel, '/');
	if (!slash)
		return;
	*slash = '\0';
	*account = rel;
	*folder = slash + 1;
	sub = strrchr(slash + 1, '/');   /* the file name */
	if (sub) {
		*sub = '\0';
		sub = strrchr(slash + 1, '/');  /* cur or new */
		if (sub)
			*sub = '\0';
	}
}

/* notmuch sorts every match before returning the first: "the newest 50 of
 * 100,000" costs a sort of 100,000.  For a short newest-first list, first
 * ask for recent messages only; every message outside the window is older
 * than every one inside, so if the window holds enough, its newest are the
 * overall newest.  Windows widen until one does (the last is unbounded). */
static char *store_window_query(struct store *s, const char *query, unsigned limit)
{
	static const long windows[] = { 7L * 86400, 31L * 86400, 366L * 86400 };
	time_t now = time(NULL);

	for (size_t i = 0; i < ARRAY_SIZE(windows); i++) {
		/* notmuch takes "*" alone only, not inside an expression */
		char *wq = strcmp(query, "*") == 0
				   ? xasprintf("date:@%lld..", (long long)(now - windows[i]))
				   : xasprintf("(%s) and date:@%lld..", query, (long long)(now - windows[i]));
		notmuch_query_t *q = notmuch_query_create(s->db, wq);
		unsigned n = 0;
		bool enough = q && notmuch_query_count_messages(q, &n) == NOTMUCH_STATUS_SUCCESS &&
			      n >= limit;

		if (q)
			notmuch_query_destroy(q);
		if (enough)
			return wq;
		free(wq);
	}
	return xstrdup(query);
}

/* Fills a store_msg from m and calls fn with it. */
static void store_msg_call(struct store *s, notmuch_message_t *m,
			   void (*fn)(const struct store_msg *m, void *arg), void *arg)
{
	const char *file = notmuch_message_get_filename(m);
	char *copy = xstrdup(file ? file : "");
	const char *v = NULL;
	struct store_msg sm = { 0 };
	struct strbuf kw = STRBUF_INIT;
	struct stat st;
	notmuch_tags_t *tags;

	sm.id = notmuch_message_get_message_id(m);
	sm.path = file;
	store_split_path(s, copy, &sm.account, &sm.folder);
	sm.date = notmuch_message_get_date(m);
	sm.from = notmuch_message_get_header(m, "from");
	sm.to = notmuch_message_get_header(m, "to");
	sm.subject = notmuch_message_get_header(m, "subject");
	for (tags = notmuch_message_get_tags(m); notmuch_tags_valid(tags);
	     notmuch_tags_move_to_next(tags)) {
		const char *t = notmuch_tags_get(tags);
		sm.unread |= strcmp(t, "unread") == 0;
		sm.replied |= strcmp(t, "replied") == 0;
		sm.flagged |= strcmp(t, "flagged") == 0;
		sm.draft |= strcmp(t, "draft") == 0;
		sm.passed |= strcmp(t, "passed") == 0;
		sm.deleted |= strcmp(t, "deleted") == 0;
		if (store_keyword_valid(t))
			strbuf_addf(&kw, "%s%s", kw.len ? " " : "", t);
	}
	notmuch_tags_destroy(tags);
	sm.keywords = strbuf_str(&kw);
	sm.partial = notmuch_message_get_property(m, "petrel.partial", &v) ==
			     NOTMUCH_STATUS_SUCCESS && v;
	sm.size = file && stat(file, &st) == 0 ? st.st_size : 0;
	fn(&sm, arg);
	strbuf_release(&kw);
	free(copy);
}

/* A reader whose search failed may have been outrun by the writer: Xapian
 * keeps only the last revisions, and a read handle older than that fails
 * with DatabaseModifiedError under a burst of commits.  Moves a read handle
 * to the newest revision; true if the caller should try once more. */
static bool store_reader_refresh(struct store *s)
{
	if (s->mode != STORE_READ || !s->db)
		return false;
	log_debug("store: the index changed under a reader; reopening it");
	return notmuch_database_reopen(s->db, NOTMUCH_DATABASE_MODE_READ_ONLY) ==
	       NOTMUCH_STATUS_SUCCESS;
}

int store_query(struct store *s, const char *query, unsigned limit, enum store_sort sort,
		void (*fn)(const struct store_msg *m, void *arg), void *arg, char **cause)
{
	notmuch_query_t *q;
	notmuch_messages_t *msgs = NULL;
	notmuch_status_t rc;
	unsigned n = 0;
	char *effective;

	if (!s->db)
		return 0;
	effective = sort == STORE_NEWEST_FIRST && limit > 0 && limit <= 1000
			    ? store_window_query(s, query, limit) : xstrdup(query);
	for (int attempt = 0;; attempt++) {
		q = store_query_new(s, effective, cause);
		if (!q) {
			free(effective);
			return -1;
		}
		notmuch_query_set_sort(q, sort == STORE_NEWEST_FIRST ? NOTMUCH_SORT_NEWEST_FIRST
								    : NOTMUCH_SORT_OLDEST_FIRST);
		rc = notmuch_query_search_messages(q, &msgs);
		if (rc == NOTMUCH_STATUS_SUCCESS || attempt || !store_reader_refresh(s))
			break;
		notmuch_query_destroy(q);
	}
	free(effective);
	if (rc != NOTMUCH_STATUS_SUCCESS) {
		char *why = store_status_text(s, rc);
		*cause = xasprintf("search '%s' failed: %s", query, why);
		free(why);
		notmuch_query_destroy(q);
		return -1;
	}
	for (; notmuch_messages_valid(msgs) && (!limit || n < limit);
	     notmuch_messages_move_to_next(msgs), n++) {
		notmuch_message_t *m = notmuch_messages_get(msgs);

		store_msg_call(s, m, fn, arg);
		notmuch_message_destroy(m);
	}
	notmuch_messages_destroy(msgs);
	notmuch_query_destroy(q);
	return 0;
}

/* The messages of a thread under m, depth first, oldest first: those
 * matching the query go to fn with their depth (messages that do not match
 * are left out, their replies keep their place). */
struct store_walk {
	struct store *s;
	void (*fn)(const struct store_msg *m, unsigned depth, void *arg);
	void *arg;
	unsigned depth;
};

static void store_walk_fn(const struct store_msg *m, void *arg)
{
	struct store_walk *w = arg;

	w->fn(m, w->depth, w->arg);
}

static bool store_matches(notmuch_message_t *m)
{
	notmuch_bool_t b = FALSE;

	return notmuch_message_get_flag_st(m, NOTMUCH_MESSAGE_FLAG_MATCH, &b) ==
		       NOTMUCH_STATUS_SUCCESS && b;
}

static void store_walk(struct store_walk *w, notmuch_messages_t *msgs)
{
	for (; notmuch_messages_valid(msgs); notmuch_messages_move_to_next(msgs)) {
		notmuch_message_t *m = notmuch_messages_get(msgs);
		bool match = store_matches(m);

		if (match)
			store_msg_call(w->s, m, store_walk_fn, w);
		w->depth += match;
		store_walk(w, notmuch_message_get_replies(m));
		w->depth -= match;
		notmuch_message_destroy(m);
	}
}

int store_threads(struct store *s, const char *query, unsigned offset, unsigned limit,
		  bool (*fn)(const struct store_thread *t, void *arg),
		  void (*msg_fn)(const struct store_msg *m, unsigned depth, void *arg), void *arg,
		  char **cause)
{
	notmuch_query_t *q = NULL;
	notmuch_threads_t *threads = NULL;
	notmuch_status_t rc = NOTMUCH_STATUS_SUCCESS;
	unsigned n = 0;

	if (!s->db)
		return 0;
	for (int attempt = 0;; attempt++) {
		if (!(q = store_query_new(s, query, cause)))
			return -1;
		notmuch_query_set_sort(q, NOTMUCH_SORT_NEWEST_FIRST);
		rc = notmuch_query_search_threads(q, &threads);
		if (rc == NOTMUCH_STATUS_SUCCESS || attempt || !store_reader_refresh(s))
			break;
		notmuch_query_destroy(q);
	}
	if (rc != NOTMUCH_STATUS_SUCCESS) {
		char *why = store_status_text(s, rc);
		*cause = xasprintf("threads of '%s' failed: %s", query, why);
		free(why);
		notmuch_query_destroy(q);
		return -1;
	}
	for (; notmuch_threads_valid(threads) && (!limit || n < offset + limit);
	     notmuch_threads_move_to_next(threads), n++) {
		notmuch_thread_t *t;
		struct store_thread st = { 0 };
		notmuch_tags_t *tags;

		if (n < offset)
			continue;
		t = notmuch_threads_get(threads);
		st.id = notmuch_thread_get_thread_id(t);
		st.subject = notmuch_thread_get_subject(t);
		st.authors = notmuch_thread_get_authors(t);
		st.newest = notmuch_thread_get_newest_date(t);
		st.total = (unsigned)notmuch_thread_get_total_messages(t);
		st.matched = (unsigned)notmuch_thread_get_matched_messages(t);
		for (tags = notmuch_thread_get_tags(t); notmuch_tags_valid(tags);
		     notmuch_tags_move_to_next(tags)) {
			st.unread |= strcmp(notmuch_tags_get(tags), "unread") == 0;
			st.flagged |= strcmp(notmuch_tags_get(tags), "flagged") == 0;
		}
		notmuch_tags_destroy(tags);
		if (fn(&st, arg)) {
			struct store_walk w = { s, msg_fn, arg, 0 };
			store_walk(&w, notmuch_thread_get_toplevel_messages(t));
		} else {
			/* collapsed: the newest message that matches stands for it */
			notmuch_messages_t *msgs = notmuch_thread_get_messages(t);
			notmuch_message_t *last = NULL;
			for (; notmuch_messages_valid(msgs); notmuch_messages_move_to_next(msgs)) {
				notmuch_message_t *m = notmuch_messages_get(msgs);
				if (store_matches(m)) {
					if (last)
						notmuch_message_destroy(last);
					last = m;
				} else {
					notmuch_message_destroy(m);
				}
			}
			if (last) {
				struct store_walk w = { s, msg_fn, arg, 0 };
				store_msg_call(s, last, store_walk_fn, &w);
				notmuch_message_destroy(last);
			}
		}
		notmuch_thread_destroy(t);
	}
	notmuch_threads_destroy(threads);
	notmuch_query_destroy(q);
	return 0;
}

int store_count_threads(struct store *s, const char *query, unsigned *count, char **cause)
{
	notmuch_query_t *q;
	notmuch_status_t rc;

	*count = 0;
	if (!s->db)
		return 0;
	if (!(q = store_query_new(s, query, cause)))
		return -1;
	rc = notmuch_query_count_threads(q, count);
	notmuch_query_destroy(q);
	if (rc != NOTMUCH_STATUS_SUCCESS) {
		char *why = store_status_text(s, rc);
		*cause = xasprintf("count of the threads of '%s' failed: %s", query, why);
		free(why);
		return -1;
	}
	return 0;
}

int store_count(struct store *s, const char *query, unsigned *count, char **cause)
{
	notmuch_query_t *q;
	notmuch_status_t rc;

	*count = 0;
	if (!s->db)
		return 0;
	for (int attempt = 0;; attempt++) {
		if (!(q = store_query_new(s, query, cause)))
			return -1;
		rc = notmuch_query_count_messages(q, count);
		notmuch_query_destroy(q);
		if (rc == NOTMUCH_STATUS_SUCCESS || attempt || !store_reader_refresh(s))
			break;
	}
	if (rc != NOTMUCH_STATUS_SUCCESS) {
		char *why = store_status_text(s, rc);
		*cause = xasprintf("count '%s' failed: %s", query, why);
		free(why);
		return -1;
	}
	return 0;
}

char *store_message_file(struct store *s, const char *id, char **cause)
{
	notmuch_message_t *m = NULL;
	char *path = NULL;

	if (strncmp(id, "id:", 3) == 0)
		id += 3;
	if (s->db && notmuch_database_find_message(s->db, id, &m) == NOTMUCH_STATUS_SUCCESS && m) {
		const char *f = notmuch_message_get_filename(m);
		if (f)
			path = xstrdup(f);
		notmuch_message_destroy(m);
	}
	if (!path)
		*cause = xasprintf("no message with id %s in the store (petrel list shows ids)", id);
	return path;
}

int store_replace_partial(struct store *s, const char *path_in, const char *data, size_t len,
			  char **cause)
{
	notmuch_message_t *m = NULL, *m2 = NULL;
	notmuch_indexopts_t *opts = NULL;
	notmuch_status_t st;
	char *old = NULL, *dir = NULL, *path = NULL, *uid = NULL, *flags = NULL, *id = NULL;
	const char *base, *info, *u;
	int rc = -1;

	if (notmuch_database_find_message_by_filename(s->db, path_in, &m) != NOTMUCH_STATUS_SUCCESS ||
	    !m) {
		*cause = xasprintf("%s is not in the store", path_in);
		return -1;
	}
	id = xstrdup(notmuch_message_get_message_id(m));
	old = xstrdup(path_in);
	/* folder dir = dirname(dirname(old)); keep ,U=... and the flags */
	dir = xstrdup(old);
	*strrchr(dir, '/') = '\0';
	*strrchr(dir, '/') = '\0';
	base = strrchr(old, '/') + 1;
	info = strstr(base, ":2,");
	flags = xstrdup(info ? info + 3 : "");
	u = strchr(base, ',');
	if (u && (!info || u < info))
		uid = xstrndup(u, info ? (size_t)(info - u) : strlen(u));
	path = maildir_deliver(dir, data, len, uid, flags, cause);
	if (!path)
		goto out;
	/* Same Message-ID: the new file joins the message, which keeps its
	 * tags and properties; then the header-only file leaves it. */
	st = notmuch_database_index_file(s->db, path, NULL, &m2);
	if (st != NOTMUCH_STATUS_SUCCESS && st != NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID) {
		char *why = store_status_text(s, st);
		*cause = xasprintf("cannot index the full message: %s", why);
		free(why);
		unlink(path);
		goto out;
	}
	if (m2)
		notmuch_message_destroy(m2);
	notmuch_database_remove_message(s->db, old);
	unlink(old);
	notmuch_message_destroy(m);
	m = NULL;
	if (notmuch_database_find_message(s->db, id, &m) == NOTMUCH_STATUS_SUCCESS && m) {
		opts = notmuch_database_get_default_indexopts(s->db);
		notmuch_message_reindex(m, opts);  /* index the body's words too */
		notmuch_message_remove_property(m, "petrel.partial", "1");
	}
	rc = 0;
out:
	if (opts)
		notmuch_indexopts_destroy(opts);
	if (m)
		notmuch_message_destroy(m);
	free(old);
	free(dir);
	free(path);
	free(uid);
	free(flags);
	free(id);
	return rc;
}

int store_locate(struct store *s, const char *id, struct store_location *loc, char **cause)
{
	const char *account, *folder, *u, *v = NULL;
	notmuch_message_t *m = NULL;
	char *copy;

	memset(loc, 0, sizeof(*loc));
	if (strncmp(id, "id:", 3) == 0)
		id += 3;
	if (!s->db || notmuch_database_find_message(s->db, id, &m) != NOTMUCH_STATUS_SUCCESS ||
	    !m || !notmuch_message_get_filename(m)) {
		if (m)
			notmuch_message_destroy(m);
		*cause = xasprintf("no message with id %s in the store (petrel list shows ids)", id);
		return -1;
	}
	loc->path = xstrdup(notmuch_message_get_filename(m));
	loc->partial = notmuch_message_get_property(m, "petrel.partial", &v) ==
			       NOTMUCH_STATUS_SUCCESS && v;
	notmuch_message_destroy(m);
	copy = xstrdup(loc->path);
	store_split_path(s, copy, &account, &folder);
	loc->account = xstrdup(account);
	loc->folder = xstrdup(folder);
	free(copy);
	u = strstr(strrchr(loc->path, '/'), ",U=");
	if (u)
		loc->uid = strtoul(u + 3, NULL, 10);
	return 0;
}

void store_location_release(struct store_location *loc)
{
	FREE_NULL(loc->path);
	FREE_NULL(loc->account);
	FREE_NULL(loc->folder);
}
