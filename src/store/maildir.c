/*
 * Maildir files: unique names, durable delivery (tmp/, fsync, rename, fsync
 * of the directory), folder names, and reading a message back.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/util.h"
#include "store/private.h"

char *maildir_folder_path(const struct store *s, const char *account, const char *folder)
{
	return xasprintf("%s/%s/%s", s->mail_dir, account, folder);
}

bool store_folder_valid(const char *folder, char **cause)
{
	const char *p = folder;

	if (!*folder || strlen(folder) > 512) {
		*cause = xstrdup("a folder name must have 1 to 512 characters");
		return false;
	}
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.') ||
		    p[0] == '.') {
			*cause = xasprintf("'%s' is not a usable folder name (empty part, or a part "
					   "starting with '.')", folder);
			return false;
		}
		if ((n == 3 && (strncmp(p, "cur", 3) == 0 || strncmp(p, "new", 3) == 0 ||
				strncmp(p, "tmp", 3) == 0))) {
			*cause = xasprintf("'%s': cur, new and tmp are reserved in folder names", folder);
			return false;
		}
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
				*cause = xasprintf("a folder name cannot contain control characters");
				return false;
			}
		p += n;
		if (*p == '/' && !*++p) {
			*cause = xasprintf("'%s' is not a usable folder name (ends with '/')", folder);
			return false;
		}
	}
	return true;
}

/* mkdir -p with mode 0700, for paths petrel owns. */
int maildir_mkdirs(const char *path, char **cause)
{
	char *copy = xstrdup(path);
	int rc = 0;

	for (char *p = copy + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
				*cause = xasprintf("cannot create %s: %s", copy, strerror(errno));
				rc = -1;
				break;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	free(copy);
	return rc;
}

int store_folder_create(struct store *s, const char *account, const char *folder, char **cause)
{
	static const char *subs[] = { "cur", "new", "tmp" };
	char *dir;
	int rc = 0;

	if (!store_folder_valid(folder, cause))
		return -1;
	dir = maildir_folder_path(s, account, folder);
	for (size_t i = 0; i < ARRAY_SIZE(subs) && rc == 0; i++) {
		char *sub = xasprintf("%s/%s", dir, subs[i]);
		rc = maildir_mkdirs(sub, cause);
		free(sub);
	}
	free(dir);
	return rc;
}

int maildir_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

char *maildir_deliver(const char *dir, const char *data, size_t len, const char *uid,
		      const char *flags, char **cause)
{
	static atomic_ulong counter;
	char host[HOST_NAME_MAX + 1] = "localhost";
	struct timeval tv;
	char *unique, *tmp, *final = NULL;
	int fd;

	gettimeofday(&tv, NULL);
	gethostname(host, sizeof(host) - 1);
	for (char *h = host; *h; h++)
		if (*h == '/' || *h == ':')
			*h = '_';
	unique = xasprintf("%lld.M%ldP%dQ%lu.%s", (long long)tv.tv_sec, (long)tv.tv_usec,
			   (int)getpid(), atomic_fetch_add(&counter, 1) + 1, host);
	tmp = xasprintf("%s/tmp/%s", dir, unique);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		*cause = xasprintf("cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (util_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		*cause = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0) {
		*cause = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	final = xasprintf("%s/cur/%s%s:2,%s", dir, unique, uid ? uid : "", flags ? flags : "");
	if (rename(tmp, final) < 0) {
		*cause = xasprintf("cannot move %s into place: %s", tmp, strerror(errno));
		unlink(tmp);
		FREE_NULL(final);
		goto out;
	}
	{
		char *cur = xasprintf("%s/cur", dir);
		if (maildir_fsync_dir(cur) < 0) {
			*cause = xasprintf("cannot sync %s: %s", cur, strerror(errno));
			FREE_NULL(final);  /* the file may not survive a crash: report it */
		}
		free(cur);
	}
out:
	free(unique);
	free(tmp);
	return final;
}

const char *store_maildir_flags(const char *name)
{
	const char *p = strrchr(name, '/');
	const char *info = strstr(p ? p : name, ":2,");

	return info ? info + 3 : "";
}

char *store_read_file(const char *path, size_t max, size_t *len, char **cause)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t got = 0;

	if (fd < 0) {
		*cause = xasprintf("cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s is not a regular file", path);
		goto fail;
	}
	if ((unsigned long long)st.st_size > max) {
		*cause = xasprintf("%s is larger than %zu MiB", path, max >> 20);
		goto fail;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*cause = xasprintf("cannot read %s: %s", path, n < 0 ? strerror(errno) : "cut short");
			goto fail;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
	close(fd);
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

char *maildir_message_id(const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (n == 0 || (n == 1 && p[0] == '\r'))
			break;  /* end of the header block */
		if (n > 11 && strncasecmp(p, "message-id:", 11) == 0) {
			const char *lt = memchr(p, '<', n), *gt;
			if (lt && (gt = memchr(lt, '>', n - (size_t)(lt - p))) && gt > lt + 1)
				return xstrndup(lt + 1, (size_t)(gt - lt - 1));
			return NULL;
		}
		p += n + 1;
	}
	return NULL;
}
