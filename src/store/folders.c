/*
 * Folders on disk, and the reconciliation of a folder's files with the index
 * after a crash or an outside change.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "store/private.h"

struct folders_list {
	char **names;
	size_t n;
};

static bool folders_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Collects folder names under base/rel (rel "" at the top), depth-limited. */
static void folders_walk(const char *base, const char *rel, int depth, struct folders_list *out)
{
	char *dir = *rel ? xasprintf("%s/%s", base, rel) : xstrdup(base);
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d || depth > 32)
		goto out;
	while ((e = readdir(d))) {
		char *sub, *subrel, *cur;

		if (e->d_name[0] == '.' || strcmp(e->d_name, "cur") == 0 ||
		    strcmp(e->d_name, "new") == 0 || strcmp(e->d_name, "tmp") == 0)
			continue;
		sub = xasprintf("%s/%s", dir, e->d_name);
		if (!folders_is_dir(sub)) {
			free(sub);
			continue;
		}
		subrel = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		cur = xasprintf("%s/cur", sub);
		if (folders_is_dir(cur)) {
			out->names = xrealloc(out->names, (out->n + 1) * sizeof(*out->names));
			out->names[out->n++] = xstrdup(subrel);
		}
		folders_walk(base, subrel, depth + 1, out);
		free(cur);
		free(subrel);
		free(sub);
	}
out:
	if (d)
		closedir(d);
	free(dir);
}

static int folders_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	/* INBOX first, as every mail client shows it */
	if (strcmp(x, "INBOX") == 0)
		return strcmp(y, "INBOX") == 0 ? 0 : -1;
	if (strcmp(y, "INBOX") == 0)
		return 1;
	return strcmp(x, y);
}

int store_folders(struct store *s, const char *account,
		  void (*fn)(const char *account, const char *folder, void *arg), void *arg,
		  char **cause)
{
	DIR *d;
	struct dirent *e;
	char **accounts = NULL;
	size_t na = 0;

	(void)cause;
	d = opendir(s->mail_dir);
	if (!d)
		return 0;  /* nothing stored yet */
	while ((e = readdir(d))) {
		char *p;
		if (e->d_name[0] == '.' || (account && strcmp(account, e->d_name) != 0))
			continue;
		p = xasprintf("%s/%s", s->mail_dir, e->d_name);
		if (folders_is_dir(p)) {
			accounts = xrealloc(accounts, (na + 1) * sizeof(*accounts));
			accounts[na++] = xstrdup(e->d_name);
		}
		free(p);
	}
	closedir(d);
	if (na)
		qsort(accounts, na, sizeof(*accounts), folders_cmp);
	for (size_t i = 0; i < na; i++) {
		struct folders_list fl = { NULL, 0 };
		char *base = xasprintf("%s/%s", s->mail_dir, accounts[i]);

		folders_walk(base, "", 0, &fl);
		if (fl.n)
			qsort(fl.names, fl.n, sizeof(*fl.names), folders_cmp);
		for (size_t j = 0; j < fl.n; j++) {
			fn(accounts[i], fl.names[j], arg);
			free(fl.names[j]);
		}
		free(fl.names);
		free(base);
		free(accounts[i]);
	}
	free(accounts);
	return 0;
}

int store_reconcile(struct store *s, const char *account, const char *folder,
		    unsigned *added, unsigned *removed, char **cause)
{
	static const char *subs[] = { "cur", "new" };
	char *dir = maildir_folder_path(s, account, folder), *tmpdir, *query;
	unsigned nadd = 0, nrm = 0;
	notmuch_query_t *q = NULL;
	notmuch_messages_t *msgs = NULL;
	char **gone = NULL;
	size_t ngone = 0;
	int rc = -1;
	DIR *d;
	struct dirent *e;

	if (s->mode != STORE_WRITE)
		BUG("store_reconcile on a read-only store");
	/* tmp/ holds only what a dead writer left: we hold the write lock */
	tmpdir = xasprintf("%s/tmp", dir);
	if ((d = opendir(tmpdir))) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	free(tmpdir);
	if (store_begin(s, cause) < 0)
		goto out_nocommit;
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		char *sub = xasprintf("%s/%s", dir, subs[i]);
		if (!(d = opendir(sub))) {
			free(sub);
			continue;
		}
		while ((e = readdir(d))) {
			notmuch_message_t *m = NULL;
			char *path;

			if (e->d_name[0] == '.')
				continue;
			path = xasprintf("%s/%s", sub, e->d_name);
			if (notmuch_database_find_message_by_filename(s->db, path, &m) ==
				    NOTMUCH_STATUS_SUCCESS && m) {
				notmuch_message_destroy(m);
			} else {
				notmuch_message_t *nm = NULL;
				notmuch_status_t st = notmuch_database_index_file(s->db, path, NULL, &nm);
				if (st == NOTMUCH_STATUS_SUCCESS ||
				    st == NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID) {
					if (st == NOTMUCH_STATUS_SUCCESS)
						notmuch_message_maildir_flags_to_tags(nm);
					notmuch_message_destroy(nm);
					nadd++;
				}
			}
			free(path);
		}
		closedir(d);
		free(sub);
	}
	/* index entries whose file is gone */
	query = store_folder_query(account, folder);
	q = notmuch_query_create(s->db, query);
	free(query);
	if (q && notmuch_query_search_messages(q, &msgs) == NOTMUCH_STATUS_SUCCESS) {
		size_t dlen = strlen(dir);
		for (; notmuch_messages_valid(msgs); notmuch_messages_move_to_next(msgs)) {
			notmuch_message_t *m = notmuch_messages_get(msgs);
			notmuch_filenames_t *fns = notmuch_message_get_filenames(m);
			for (; notmuch_filenames_valid(fns); notmuch_filenames_move_to_next(fns)) {
				const char *f = notmuch_filenames_get(fns);
				if (strncmp(f, dir, dlen) == 0 && f[dlen] == '/' && access(f, F_OK) < 0) {
					gone = xrealloc(gone, (ngone + 1) * sizeof(*gone));
					gone[ngone++] = xstrdup(f);
				}
			}
			notmuch_filenames_destroy(fns);
			notmuch_message_destroy(m);
		}
		notmuch_messages_destroy(msgs);
	}
	if (q)
		notmuch_query_destroy(q);
	for (size_t i = 0; i < ngone; i++) {
		notmuch_database_remove_message(s->db, gone[i]);
		nrm++;
		free(gone[i]);
	}
	free(gone);
	rc = store_commit(s, cause);
out_nocommit:
	if (added)
		*added = nadd;
	if (removed)
		*removed = nrm;
	free(dir);
	return rc;
}

/* Calls fn(s, path, arg) for every message file under dir (recursively). */
static int folders_each_file(struct store *s, const char *dir, int depth,
			     int (*fn)(struct store *, const char *, void *), void *arg)
{
	DIR *d = depth < 40 ? opendir(dir) : NULL;
	struct dirent *e;
	int rc = 0;

	while (d && rc == 0 && (e = readdir(d))) {
		char *p;
		if (e->d_name[0] == '.' || strcmp(e->d_name, "tmp") == 0)
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		if (folders_is_dir(p))
			rc = folders_each_file(s, p, depth + 1, fn, arg);
		else if (strstr(dir, "/cur") || strstr(dir, "/new"))
			rc = fn(s, p, arg);
		free(p);
	}
	if (d)
		closedir(d);
	return rc;
}

struct folders_move {
	const char *from, *to;  /* directory prefixes */
	char **cause;
};

static int folders_reindex(struct store *s, const char *newpath, void *arg)
{
	struct folders_move *m = arg;
	char *old = xasprintf("%s%s", m->from, newpath + strlen(m->to));
	notmuch_message_t *msg = NULL;
	notmuch_status_t st = notmuch_database_index_file(s->db, newpath, NULL, &msg);

	if (msg)
		notmuch_message_destroy(msg);
	if (st != NOTMUCH_STATUS_SUCCESS && st != NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID &&
	    st != NOTMUCH_STATUS_FILE_NOT_EMAIL) {
		*m->cause = store_status_text(s, st);
		free(old);
		return -1;
	}
	notmuch_database_remove_message(s->db, old);
	free(old);
	return 0;
}

int store_folder_rename(struct store *s, const char *account, const char *from, const char *to,
			char **cause)
{
	char *src, *dst, *parent;
	struct folders_move m;
	int rc;

	if (!store_folder_valid(to, cause) || !store_folder_valid(from, cause))
		return -1;
	src = maildir_folder_path(s, account, from);
	dst = maildir_folder_path(s, account, to);
	if (!folders_is_dir(src)) {
		*cause = xasprintf("there is no folder %s", from);
		rc = -1;
		goto out;
	}
	if (access(dst, F_OK) == 0) {
		*cause = xasprintf("a folder %s exists already", to);
		rc = -1;
		goto out;
	}
	parent = xstrdup(dst);
	*strrchr(parent, '/') = '\0';
	rc = maildir_mkdirs(parent, cause);
	free(parent);
	if (rc < 0)
		goto out;
	if (rename(src, dst) < 0) {
		*cause = xasprintf("cannot rename %s: %s", src, strerror(errno));
		rc = -1;
		goto out;
	}
	m.from = src;
	m.to = dst;
	m.cause = cause;
	rc = folders_each_file(s, dst, 0, folders_reindex, &m);
out:
	free(src);
	free(dst);
	return rc;
}

static int folders_drop(struct store *s, const char *path, void *arg)
{
	return store_remove_file(s, path, arg);
}

static void folders_rmtree(const char *dir, int depth)
{
	DIR *d = depth < 40 ? opendir(dir) : NULL;
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *p;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		if (folders_is_dir(p))
			folders_rmtree(p, depth + 1);
		else
			unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

int store_folder_delete(struct store *s, const char *account, const char *folder, char **cause)
{
	char *dir;
	int rc;

	if (!store_folder_valid(folder, cause))
		return -1;
	dir = maildir_folder_path(s, account, folder);
	if (!folders_is_dir(dir)) {
		*cause = xasprintf("there is no folder %s", folder);
		free(dir);
		return -1;
	}
	rc = folders_each_file(s, dir, 0, folders_drop, cause);
	if (rc == 0)
		folders_rmtree(dir, 0);
	free(dir);
	return rc;
}
