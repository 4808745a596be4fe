/*
 * The server identity of stored messages (",U=N" in Maildir names), and the
 * changes a sync makes to them: flags and expunges.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "store/private.h"

static int uids_cmp(const void *a, const void *b)
{
	const struct store_uid *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

int store_uids(struct store *s, const char *account, const char *folder,
	       struct store_uids *out, char **cause)
{
	static const char *subs[] = { "cur", "new" };
	char *dir = maildir_folder_path(s, account, folder);
	size_t alloc = 0;

	(void)cause;
	out->v = NULL;
	out->n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		char *sub = xasprintf("%s/%s", dir, subs[i]);
		DIR *d = opendir(sub);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			const char *u = strstr(e->d_name, ",U="), *fl;
			char *end;
			unsigned long uid;

			if (!u || e->d_name[0] == '.')
				continue;
			uid = strtoul(u + 3, &end, 10);
			if (end == u + 3 || uid == 0)
				continue;
			if (out->n == alloc) {
				alloc = alloc ? alloc * 2 : 256;
				out->v = xrealloc(out->v, alloc * sizeof(*out->v));
			}
			out->v[out->n].uid = uid;
			out->v[out->n].path = xasprintf("%s/%s", sub, e->d_name);
			fl = store_maildir_flags(e->d_name);
			snprintf(out->v[out->n].flags, sizeof(out->v[out->n].flags), "%s", fl);
			out->n++;
		}
		if (d)
			closedir(d);
		free(sub);
	}
	free(dir);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), uids_cmp);
	return 0;
}

void store_uids_free(struct store_uids *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->v[i].path);
	FREE_NULL(u->v);
	u->n = 0;
}

struct store_uid *store_uids_find(const struct store_uids *u, unsigned long uid)
{
	struct store_uid key = { .uid = uid };

	return u->n ? bsearch(&key, u->v, u->n, sizeof(*u->v), uids_cmp) : NULL;
}

/* Adds or removes the T (trashed: IMAP \\Deleted) flag in the names of m's
 * files, which notmuch leaves alone: rename, then tell the index. */
static notmuch_status_t uids_sync_trashed(struct store *s, notmuch_message_t *m, bool want)
{
	notmuch_filenames_t *fns = notmuch_message_get_filenames(m);
	char **old = NULL;
	size_t n = 0;
	notmuch_status_t st = NOTMUCH_STATUS_SUCCESS;

	for (; notmuch_filenames_valid(fns); notmuch_filenames_move_to_next(fns)) {
		const char *f = notmuch_filenames_get(fns);
		bool has = strchr(store_maildir_flags(f), 'T') != NULL;
		if (has != want && strstr(f, ":2,")) {
			old = xrealloc(old, (n + 1) * sizeof(*old));
			old[n++] = xstrdup(f);
		}
	}
	notmuch_filenames_destroy(fns);
	for (size_t i = 0; i < n; i++) {
		const char *fl = store_maildir_flags(old[i]);
		size_t base = (size_t)(fl - old[i]);
		struct strbuf nb = STRBUF_INIT;
		notmuch_message_t *dummy = NULL;

		strbuf_add(&nb, old[i], base);
		for (const char *c = "DFPRST"; *c; c++)
			if ((*c == 'T' && want) || (*c != 'T' && strchr(fl, *c)))
				strbuf_addch(&nb, *c);
		if (rename(old[i], nb.buf) == 0) {
			st = notmuch_database_index_file(s->db, nb.buf, NULL, &dummy);
			if (dummy)
				notmuch_message_destroy(dummy);
			if (st == NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID)
				st = NOTMUCH_STATUS_SUCCESS;
			notmuch_database_remove_message(s->db, old[i]);
		}
		strbuf_release(&nb);
		free(old[i]);
	}
	free(old);
	return st;
}

int store_set_flags(struct store *s, const char *path, const char *flags, char **cause)
{
	static const struct { char flag; const char *tag; bool when_set; } map[] = {
		{ 'S', "unread", false }, { 'F', "flagged", true }, { 'R', "replied", true },
		{ 'D', "draft", true }, { 'P', "passed", true }, { 'T', "deleted", true },
	};
	notmuch_message_t *m = NULL;
	notmuch_status_t st;

	st = notmuch_database_find_message_by_filename(s->db, path, &m);
	if (st != NOTMUCH_STATUS_SUCCESS || !m) {
		*cause = xasprintf("%s is not in the index", path);
		return -1;
	}
	notmuch_message_freeze(m);
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		bool has = strchr(flags, map[i].flag) != NULL;
		if (has == map[i].when_set)
			notmuch_message_add_tag(m, map[i].tag);
		else
			notmuch_message_remove_tag(m, map[i].tag);
	}
	notmuch_message_thaw(m);
	/* renames the file to match (notmuch knows D F P R S, not T) */
	st = notmuch_message_tags_to_maildir_flags(m);
	if (st == NOTMUCH_STATUS_SUCCESS)
		st = uids_sync_trashed(s, m, strchr(flags, 'T') != NULL);
	notmuch_message_destroy(m);
	if (st != NOTMUCH_STATUS_SUCCESS) {
		*cause = store_status_text(s, st);
		return -1;
	}
	return 0;
}

int store_remove_file(struct store *s, const char *path, char **cause)
{
	notmuch_status_t st = notmuch_database_remove_message(s->db, path);

	if (st != NOTMUCH_STATUS_SUCCESS && st != NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID) {
		*cause = store_status_text(s, st);
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		*cause = xasprintf("cannot remove %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int store_message_info(struct store *s, const char *path, struct store_msg_info *info)
{
	notmuch_message_t *m = NULL;
	const char *v = NULL, *sz = strstr(path, ",S=");
	struct stat st;

	memset(info, 0, sizeof(*info));
	if (notmuch_database_find_message_by_filename(s->db, path, &m) != NOTMUCH_STATUS_SUCCESS || !m)
		return -1;
	info->id = xstrdup(notmuch_message_get_message_id(m));
	info->partial = notmuch_message_get_property(m, "petrel.partial", &v) ==
				NOTMUCH_STATUS_SUCCESS && v;
	info->date = notmuch_message_get_date(m);
	notmuch_message_destroy(m);
	if (sz)
		info->size_hint = strtoull(sz + 3, NULL, 10);
	else if (stat(path, &st) == 0)
		info->size_hint = (unsigned long long)st.st_size;
	return 0;
}

/* Renames path to newpath in the index too (the file keeps its message). */
static int uids_rename(struct store *s, const char *path, const char *newpath, char **cause)
{
	notmuch_message_t *m = NULL;
	notmuch_status_t st;

	if (rename(path, newpath) < 0) {
		*cause = xasprintf("cannot move %s: %s", path, strerror(errno));
		return -1;
	}
	st = notmuch_database_index_file(s->db, newpath, NULL, &m);
	if (m)
		notmuch_message_destroy(m);
	if (st != NOTMUCH_STATUS_SUCCESS && st != NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID) {
		rename(newpath, path);
		*cause = store_status_text(s, st);
		return -1;
	}
	notmuch_database_remove_message(s->db, path);
	return 0;
}

int store_move_file(struct store *s, const char *path, const char *account, const char *dest,
		    char **newpath, char **cause)
{
	const char *base = strrchr(path, '/'), *info;
	char *dir, *name;
	size_t keep;

	*newpath = NULL;
	if (store_folder_create(s, account, dest, cause) < 0)
		return -1;
	base = base ? base + 1 : path;
	info = strstr(base, ":2,");
	keep = strcspn(base, ",:");  /* the unique part, without ,U= and ,S= */
	name = xasprintf("%.*s%s", (int)keep, base, info ? info : ":2,");
	dir = maildir_folder_path(s, account, dest);
	*newpath = xasprintf("%s/cur/%s", dir, name);
	free(dir);
	free(name);
	if (uids_rename(s, path, *newpath, cause) < 0) {
		FREE_NULL(*newpath);
		return -1;
	}
	return 0;
}

int store_copy_file(struct store *s, const char *path, const char *account, const char *dest,
		    char **newpath, char **cause)
{
	const char *base = strrchr(path, '/');
	notmuch_message_t *m = NULL;
	notmuch_status_t st;
	char *data, *dir;
	size_t len;

	*newpath = NULL;
	if (store_folder_create(s, account, dest, cause) < 0)
		return -1;
	data = store_read_file(path, 1u << 30, &len, cause);
	if (!data)
		return -1;
	dir = maildir_folder_path(s, account, dest);
	/* a file of its own (no server UID yet): the same message in two
	 * folders, as notmuch keeps it: one message, two files */
	*newpath = maildir_deliver(dir, data, len, NULL,
				   store_maildir_flags(base ? base + 1 : path), cause);
	free(dir);
	free(data);
	if (!*newpath)
		return -1;
	st = notmuch_database_index_file(s->db, *newpath, NULL, &m);
	if (m)
		notmuch_message_destroy(m);
	if (st != NOTMUCH_STATUS_SUCCESS && st != NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID) {
		unlink(*newpath);
		FREE_NULL(*newpath);
		*cause = store_status_text(s, st);
		return -1;
	}
	return 0;
}

int store_set_uid(struct store *s, const char *path, unsigned long uid, char **cause)
{
	const char *base = strrchr(path, '/');
	const char *info = strstr(base ? base : path, ":2,");
	size_t stem = strcspn(base ? base + 1 : path, ",:") + (size_t)(base ? base + 1 - path : 0);
	char *newpath = xasprintf("%.*s,U=%lu%s", (int)stem, path, uid, info ? info : ":2,");
	int rc = uids_rename(s, path, newpath, cause);

	free(newpath);
	return rc;
}

bool store_keyword_valid(const char *w)
{
	static const char *const reserved[] = {
		"unread", "flagged", "replied", "draft", "passed", "deleted", "attachment",
		"signed", "encrypted", "inbox", "new",
	};

	if (!w || !*w || strlen(w) > 200 || *w == '\\')
		return false;
	for (const char *p = w; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("(){%*\"\\]", *p))
			return false;
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (strcasecmp(w, reserved[i]) == 0)
			return false;
	return true;
}

/* Whether word is one of the space-separated words of list. */
static bool uids_has_word(const char *list, const char *word, size_t len)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " ");
		if (n == len && strncmp(p, word, len) == 0)
			return true;
		p += n;
		while (*p == ' ')
			p++;
	}
	return false;
}

int store_retag(struct store *s, const char *path, const char *before, const char *now,
		char **cause)
{
	notmuch_message_t *m = NULL;
	notmuch_status_t st = notmuch_database_find_message_by_filename(s->db, path, &m);
	const char *lists[2] = { before, now };

	if (st != NOTMUCH_STATUS_SUCCESS || !m) {
		*cause = xasprintf("%s is not in the index", path);
		return -1;
	}
	notmuch_message_freeze(m);
	for (int k = 0; k < 2; k++) {
		for (const char *p = lists[k]; *p;) {
			size_t n = strcspn(p, " ");
			char *w = xstrndup(p, n);
			if (store_keyword_valid(w) && !uids_has_word(lists[1 - k], p, n)) {
				if (k)
					notmuch_message_add_tag(m, w);
				else
					notmuch_message_remove_tag(m, w);
			}
			free(w);
			p += n;
			while (*p == ' ')
				p++;
		}
	}
	st = notmuch_message_thaw(m);
	notmuch_message_destroy(m);
	if (st != NOTMUCH_STATUS_SUCCESS) {
		*cause = store_status_text(s, st);
		return -1;
	}
	return 0;
}
