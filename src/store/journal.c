/*
 * The journal of local changes waiting for the server, one line each:
 * op TAB folder TAB uid TAB arg TAB file [TAB uidvalidity TAB message-id].
 * Folder names never hold tabs or line breaks (store_folder_valid), nor do
 * flags or Maildir names, and a Message-ID that does is not written, so the
 * format needs no quoting.  Appends are fsynced; removal rewrites the file
 * atomically, so a crash leaves the old or the new journal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "store/private.h"

static char *journal_path(const struct store *s, const char *account)
{
	return xasprintf("%s/%s/.petrel-journal", s->mail_dir, account);
}

static void journal_line(struct strbuf *sb, const struct journal_entry *e)
{
	const char *mid = e->message_id && !strpbrk(e->message_id, "\t\r\n") ? e->message_id : "";

	strbuf_addf(sb, "%s\t%s\t%lu\t%s\t%s", e->op, e->folder, e->uid, e->arg ? e->arg : "",
		    e->file ? e->file : "");
	if (e->uidvalidity || *mid)
		strbuf_addf(sb, "\t%llu\t%s", e->uidvalidity, mid);
	strbuf_addch(sb, '\n');
}

int store_journal_append(struct store *s, const char *account, const struct journal_entry *e,
			 char **cause)
{
	char *path = journal_path(s, account), *dir = xasprintf("%s/%s", s->mail_dir, account);
	struct strbuf sb = STRBUF_INIT;
	int fd = -1, rc = -1;

	if (maildir_mkdirs(dir, cause) < 0)
		goto out;
	journal_line(&sb, e);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || util_write_all(fd, sb.buf, sb.len) < 0 || fsync(fd) < 0) {
		*cause = xasprintf("cannot write the journal %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	strbuf_release(&sb);
	free(path);
	free(dir);
	return rc;
}

int store_journal_load(struct store *s, const char *account, struct journal_entry **v,
		       size_t *n, unsigned *bad, char **cause)
{
	char *path = journal_path(s, account), *data, *line, *save = NULL;
	size_t len, cap = 0;

	*v = NULL;
	*n = 0;
	if (bad)
		*bad = 0;
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		free(path);
		return 0;
	}
	data = store_read_file(path, 64u << 20, &len, cause);
	free(path);
	if (!data)
		return -1;
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7] = { NULL };
		size_t k = 0;
		char *p = line, *end;
		unsigned long uid;

		for (k = 0; k < 7 && p; k++) {
			f[k] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		if (k < 4 || !f[0][0] || !f[1][0] || (uid = strtoul(f[2], &end, 10), *end)) {
			/* a torn last line from a crash mid-append, or damage */
			if (bad)
				(*bad)++;
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*v = xrealloc(*v, cap * sizeof(**v));
		}
		(*v)[*n].op = xstrdup(f[0]);
		(*v)[*n].folder = xstrdup(f[1]);
		(*v)[*n].uid = uid;
		(*v)[*n].arg = xstrdup(f[3]);
		(*v)[*n].file = xstrdup(f[4] ? f[4] : "");
		(*v)[*n].uidvalidity = f[5] ? strtoull(f[5], NULL, 10) : 0;
		(*v)[*n].message_id = f[6] && f[6][0] ? xstrdup(f[6]) : NULL;
		(*n)++;
	}
	free(data);
	return 0;
}

int store_journal_rewrite(struct store *s, const char *account, const struct journal_entry *v,
			  const bool *keep, size_t n, char **cause)
{
	char *path = journal_path(s, account);
	struct strbuf sb = STRBUF_INIT;
	int rc;

	for (size_t i = 0; i < n; i++)
		if (keep[i])
			journal_line(&sb, &v[i]);
	rc = store_replace_file(path, sb.buf, sb.len, "the journal", cause);
	strbuf_release(&sb);
	free(path);
	return rc;
}

void store_journal_free(struct journal_entry **vp, size_t n)
{
	struct journal_entry *v = *vp;

	for (size_t i = 0; v && i < n; i++) {
		free(v[i].op);
		free(v[i].folder);
		free(v[i].arg);
		free(v[i].file);
		free(v[i].message_id);
	}
	FREE_NULL(*vp);
}
