/*
 * Folders on disk, and the reconciliation of a folder's files with the index
 * after a crash or an outside change.
 */
#include <dirent.h>
#include <errno.h>
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
	qsort(accounts, na, sizeof(*accounts), folders_cmp);
	for (size_t i = 0; i < na; i++) {
		struct folders_list fl = { NULL, 0 };
		char *base = xasprintf("%s/%s", s->mail_dir, accounts[i]);

		folders_walk(base, "", 0, &fl);
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
