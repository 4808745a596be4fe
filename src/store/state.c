/*
 * Per-folder sync state: "key value" lines in <folder>/.petrel-state,
 * replaced atomically so a crash leaves the old or the new state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "store/private.h"

#define STATE_FILE ".petrel-state"

static const struct {
	const char *key;
	size_t offset;
} state_keys[] = {
	{ "uidvalidity", offsetof(struct store_state, uidvalidity) },
	{ "uidnext", offsetof(struct store_state, uidnext) },
	{ "highestmodseq", offsetof(struct store_state, highestmodseq) },
};

int store_state_load(struct store *s, const char *account, const char *folder,
		     struct store_state *st, char **cause)
{
	char *dir = maildir_folder_path(s, account, folder);
	char *path = xasprintf("%s/%s", dir, STATE_FILE);
	char *data, *line, *save = NULL;
	size_t len;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	if (access(path, F_OK) < 0 && errno == ENOENT)
		goto out;
	data = store_read_file(path, 1 << 20, &len, cause);
	if (!data) {
		rc = -1;
		goto out;
	}
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		unsigned long v;
		if (!sp)
			continue;
		*sp = '\0';
		for (size_t i = 0; i < ARRAY_SIZE(state_keys); i++) {
			if (strcmp(line, state_keys[i].key) != 0)
				continue;
			if (!util_parse_ulong(sp + 1, (unsigned long)-1, &v)) {
				*cause = xasprintf("%s: bad value for %s; the folder will be "
						   "synced again from scratch", path, line);
				rc = -1;
				memset(st, 0, sizeof(*st));
				free(data);
				goto out;
			}
			*(unsigned long long *)((char *)st + state_keys[i].offset) = v;
		}
	}
	free(data);
out:
	free(path);
	free(dir);
	return rc;
}

int store_replace_file(const char *path, const char *data, size_t len, const char *what,
		       char **cause)
{
	char *tmp = xasprintf("%s.tmp", path), *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd, dfd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (len && util_write_all(fd, data, len) < 0) || fsync(fd) < 0) {
		*cause = xasprintf("cannot write %s %s: %s", what, tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		*cause = xasprintf("cannot replace %s %s: %s", what, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (slash) {
		*slash = '\0';
		dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	rc = 0;
out:
	free(dir);
	free(tmp);
	return rc;
}

int store_state_save(struct store *s, const char *account, const char *folder,
		     const struct store_state *st, char **cause)
{
	char *dir = maildir_folder_path(s, account, folder);
	char *path = xasprintf("%s/%s", dir, STATE_FILE);
	struct strbuf sb = STRBUF_INIT;
	int rc;

	for (size_t i = 0; i < ARRAY_SIZE(state_keys); i++)
		strbuf_addf(&sb, "%s %llu\n", state_keys[i].key,
			    *(const unsigned long long *)((const char *)st + state_keys[i].offset));
	rc = store_replace_file(path, sb.buf, sb.len, "the folder state", cause);
	strbuf_release(&sb);
	free(path);
	free(dir);
	return rc;
}

/* ---- keywords: "UID kw kw" lines in <folder>/.petrel-keywords ---- */

#define KEYWORDS_FILE ".petrel-keywords"

void store_keywords_free(struct store_keywords *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i].words);
	free(k->v);
	memset(k, 0, sizeof(*k));
}

static int keywords_cmp(const void *a, const void *b)
{
	unsigned long x = ((const struct store_keyword *)a)->uid;
	unsigned long y = ((const struct store_keyword *)b)->uid;

	return x < y ? -1 : x > y;
}

static struct store_keyword *keywords_find(const struct store_keywords *k, unsigned long uid)
{
	struct store_keyword key = { uid, NULL };

	return k->n ? bsearch(&key, k->v, k->n, sizeof(*k->v), keywords_cmp) : NULL;
}

const char *store_keywords_get(const struct store_keywords *k, unsigned long uid)
{
	const struct store_keyword *e = keywords_find(k, uid);

	return e && e->words ? e->words : "";
}

void store_keywords_set(struct store_keywords *k, unsigned long uid, const char *words)
{
	struct store_keyword *e = keywords_find(k, uid);

	if (e) {
		xstrset(&e->words, words);
		return;
	}
	k->v = xrealloc(k->v, (k->n + 1) * sizeof(*k->v));
	k->v[k->n].uid = uid;
	k->v[k->n++].words = xstrdup(words);
	qsort(k->v, k->n, sizeof(*k->v), keywords_cmp);
}

int store_keywords_load(struct store *s, const char *account, const char *folder,
			struct store_keywords *k, char **cause)
{
	char *dir = maildir_folder_path(s, account, folder);
	char *path = xasprintf("%s/%s", dir, KEYWORDS_FILE);
	char *data = NULL, *line, *save = NULL;
	size_t len;
	int rc = 0;

	memset(k, 0, sizeof(*k));
	if (access(path, F_OK) < 0 && errno == ENOENT)
		goto out;
	if (!(data = store_read_file(path, 64u << 20, &len, cause))) {
		rc = -1;
		goto out;
	}
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		unsigned long uid;
		if (!sp)
			continue;
		*sp = '\0';
		if (!util_parse_ulong(line, (unsigned long)-1, &uid))
			continue;   /* a damaged line: the next flag fetch tells again */
		k->v = xrealloc(k->v, (k->n + 1) * sizeof(*k->v));
		k->v[k->n].uid = uid;
		k->v[k->n++].words = xstrdup(sp + 1);
	}
	qsort(k->v, k->n, sizeof(*k->v), keywords_cmp);
out:
	free(data);
	free(path);
	free(dir);
	return rc;
}

int store_keywords_save(struct store *s, const char *account, const char *folder,
			const struct store_keywords *k, char **cause)
{
	char *dir = maildir_folder_path(s, account, folder);
	char *path = xasprintf("%s/%s", dir, KEYWORDS_FILE);
	struct strbuf sb = STRBUF_INIT;
	int rc;

	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].words && *k->v[i].words)
			strbuf_addf(&sb, "%lu %s\n", k->v[i].uid, k->v[i].words);
	rc = store_replace_file(path, sb.buf, sb.len, "the folder's keywords", cause);
	strbuf_release(&sb);
	free(path);
	free(dir);
	return rc;
}
