/*
 * The local copies of POP3 messages: every file of the account's Maildir
 * folders whose name carries ",P=KEY" (the key of the server message it came
 * from, see records.c).  A plain directory walk, no index: it also finds a
 * file a crash left unindexed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pop3/private.h"
#include "store/store.h"

static int pop3_local_cmp(const void *a, const void *b)
{
	const struct pop3_local *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	/* equal keys: the biggest file first (a full copy before its headers) */
	if (c == 0)
		c = x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
	return c;
}

/* Files of one cur/ or new/ directory; trash: it is the trash folder's. */
static void pop3_local_dir(struct pop3_locals *l, const char *dir, bool trash)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		const char *p = strstr(e->d_name, ",P="), *s;
		struct pop3_local *lf;
		struct stat st;
		size_t i;

		if (e->d_name[0] == '.' || !p)
			continue;
		p += 3;
		for (i = 0; i < POP3_KEY_LEN; i++)
			if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
				break;
		if (i != POP3_KEY_LEN || (p[i] && p[i] != ',' && p[i] != ':'))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
			continue;
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		lf = &l->v[l->n++];
		memcpy(lf->key, p, POP3_KEY_LEN);
		lf->key[POP3_KEY_LEN] = '\0';
		lf->path = xasprintf("%s/%s", dir, e->d_name);
		lf->size = st.st_size;
		s = strstr(p, ",S=");
		lf->server_size = s ? strtoull(s + 3, NULL, 10) : 0;
		lf->trashed = trash || strchr(store_maildir_flags(e->d_name), 'T') != NULL;
	}
	if (d)
		closedir(d);
}

/* Walks base/rel: each folder's cur/ and new/, and subfolders (not dot
 * names).  rel is the folder's name ("" at the top). */
static void pop3_local_walk(struct pop3_locals *l, const char *base, const char *rel,
			    const char *trash, int depth)
{
	char *dir = *rel ? xasprintf("%s/%s", base, rel) : xstrdup(base);
	DIR *d = depth > 32 ? NULL : opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *sub, *subrel;
		struct stat st;

		if (e->d_name[0] == '.' || strcmp(e->d_name, "tmp") == 0)
			continue;
		sub = xasprintf("%s/%s", dir, e->d_name);
		if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
			subrel = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
			if (strcmp(e->d_name, "cur") == 0 || strcmp(e->d_name, "new") == 0)
				pop3_local_dir(l, sub, trash && strcmp(rel, trash) == 0);
			else
				pop3_local_walk(l, base, subrel, trash, depth + 1);
			free(subrel);
		}
		free(sub);
	}
	if (d)
		closedir(d);
	free(dir);
}

void pop3_local_scan(struct pop3_locals *l, const char *account_dir, const char *trash)
{
	memset(l, 0, sizeof(*l));
	pop3_local_walk(l, account_dir, "", trash, 0);
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), pop3_local_cmp);
}

struct pop3_local *pop3_local_find(const struct pop3_locals *l, const char *key)
{
	size_t lo = 0, hi = l->n;

	/* the first of equal keys: the biggest copy */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(l->v[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && strcmp(l->v[lo].key, key) == 0 ? &l->v[lo] : NULL;
}

void pop3_local_release(struct pop3_locals *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	FREE_NULL(l->v);
	l->n = 0;
}
