/*
 * Saving attachments.  A part's file name is chosen by whoever sent the mail,
 * so it is made safe first (no path, no hidden or option-like names, nothing
 * invisible or reordering), and the file is created only inside the folder
 * the user chose: everything is relative to an open descriptor of that
 * folder, the data goes to a new temporary file (O_EXCL, O_NOFOLLOW) that is
 * fsynced and then renamed into place, and an existing name is replaced
 * only when asked to (RENAME_NOREPLACE otherwise).  A symlink planted under
 * the target name is never followed: rename replaces the link itself.
 */
#include "mime/private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { SAVE_MAX_NAME = 100, SAVE_MAX_EXT = 16 };

static bool save_dropped(uint32_t c)
{
	return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x200E || c == 0x200F || c == 0x061C || c == 0x200B ||
	       (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB) ||
	       (c >= 0xE0000 && c <= 0xE007F) || c == 0x180E || c == 0x034F || c == 0x00AD;
}

char *mime_safe_filename(const char *name, int index)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)(name ? name : "");
	size_t len = strlen((const char *)p), i = 0, start = 0, end;
	char *res;

	while (i < len) {
		uint32_t c;
		size_t n = util_utf8_decode(p + i, len - i, &c);

		if (n == 0) {
			strbuf_addch(&sb, '_');
			i++;
			continue;
		}
		i += n;
		if (save_dropped(c))
			continue;
		if (c == '/' || c == '\\' || c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) ||
		    c == 0x2028 || c == 0x2029)
			strbuf_addch(&sb, '_');
		else
			strbuf_add_utf8(&sb, c);
	}
	/* no hidden files, nothing a command would take for an option */
	while (start < sb.len && (sb.buf[start] == '.' || sb.buf[start] == '-' ||
				  sb.buf[start] == ' ' || sb.buf[start] == '_'))
		start++;
	end = sb.len;
	while (end > start && (sb.buf[end - 1] == ' ' || sb.buf[end - 1] == '.'))
		end--;
	if (end == start) {
		strbuf_release(&sb);
		return xasprintf("part-%d", index);
	}
	if (end - start > SAVE_MAX_NAME) {
		const char *s = sb.buf + start;
		size_t n = end - start, ext = 0;
		const char *dot = memrchr(s, '.', n);

		if (dot && (size_t)(s + n - dot) <= SAVE_MAX_EXT && dot > s)
			ext = (size_t)(s + n - dot);
		res = xmalloc(SAVE_MAX_NAME + 1);
		{
			size_t stem = mime_utf8_cut(s, n - ext, SAVE_MAX_NAME - ext);

			memcpy(res, s, stem);
			memcpy(res + stem, s + n - ext, ext);
			res[stem + ext] = '\0';
		}
		strbuf_release(&sb);
		return res;
	}
	res = xstrndup(sb.buf + start, end - start);
	strbuf_release(&sb);
	return res;
}

/* Creates a new temporary file in dirfd; its name goes to tmp. */
static int save_tmpfile(int dirfd, char *tmp, size_t tmpsz)
{
	static unsigned counter;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	for (int tries = 0; tries < 100; tries++) {
		unsigned long r = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16) ^
				  (unsigned long)__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) * 2654435761UL;
		int fd;

		snprintf(tmp, tmpsz, ".petrel-save-%08lx.tmp", r & 0xFFFFFFFFUL);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

static int save_fail(char **cause, char *msg)
{
	if (cause)
		*cause = msg;
	else
		free(msg);
	return -1;
}

int mime_save_part(const struct mime_message *m, int index, const char *dir, bool force,
		   char **saved_path, char **cause)
{
	struct mime_part_info info;
	struct stat st;
	char tmp[64] = "";
	char *name = NULL, *data = NULL, *msg = NULL;
	size_t len = 0;
	int dirfd = -1, fd = -1, ret = -1;

	if (saved_path)
		*saved_path = NULL;
	if (cause)
		*cause = NULL;
	if (!mime_part_info(m, index, &info)) {
		msg = xasprintf("there is no part %d (the message has %zu)", index, mime_part_count(m));
		goto out;
	}
	name = mime_safe_filename(info.filename, index);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		msg = xasprintf("cannot open the folder %s: %s", dir, strerror(errno));
		goto out;
	}
	if (!force && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		msg = xasprintf("%s already exists in %s (save with force to replace it)", name, dir);
		goto out;
	}
	data = mime_part_decode(m, index, &len);
	fd = save_tmpfile(dirfd, tmp, sizeof(tmp));
	if (fd < 0) {
		msg = xasprintf("cannot create a file in %s: %s", dir, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	if (util_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		msg = xasprintf("cannot write %s in %s: %s", name, dir, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		msg = xasprintf("cannot write %s in %s: %s", name, dir, strerror(errno));
		goto out;
	}
	fd = -1;
	if (force) {
		if (renameat(dirfd, tmp, dirfd, name) < 0) {
			msg = xasprintf("cannot save %s in %s: %s", name, dir, strerror(errno));
			goto out;
		}
	} else if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) < 0) {
		int e = errno;

		/* file systems without RENAME_NOREPLACE: a hard link is just as exclusive */
		if ((e == EINVAL || e == ENOSYS) && linkat(dirfd, tmp, dirfd, name, 0) == 0) {
			unlinkat(dirfd, tmp, 0);
		} else {
			if (e == EINVAL || e == ENOSYS)
				e = errno;
			if (e == EEXIST)
				msg = xasprintf("%s already exists in %s (save with force to replace it)",
						name, dir);
			else
				msg = xasprintf("cannot save %s in %s: %s", name, dir, strerror(e));
			goto out;
		}
	}
	tmp[0] = '\0';
	fsync(dirfd);
	if (saved_path) {
		size_t dl = strlen(dir);

		*saved_path = xasprintf("%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name);
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0] && dirfd >= 0)
		unlinkat(dirfd, tmp, 0);
	if (dirfd >= 0)
		close(dirfd);
	free(name);
	free(data);
	if (ret < 0)
		return save_fail(cause, msg ? msg : xstrdup("cannot save the part"));
	return ret;
}
