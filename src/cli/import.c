/*
 * petrel import ACCOUNT FOLDER PATH: brings a Maildir, an mbox file, a
 * directory of message files or one message file into the store.  The
 * source is only read.  Running it again after an interruption finishes the
 * job without duplicates: the folder is reconciled with the index first and
 * messages already there are skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/util.h"
#include "mime/mime.h"

#define IMPORT_BATCH 200
#define IMPORT_MAX_MESSAGE (256u << 20)

struct import {
	struct store *store;
	const char *account, *folder;
	unsigned added, dup, notmail, failed, in_batch;
	bool broken;  /* the store failed: stop */
};

static void import_note(const char *what, const char *src, const char *why)
{
	char *s = sanitize_line(src), *w = sanitize_line(why);

	fprintf(stderr, "petrel: %s %s: %s\n", what, s, w);
	free(s);
	free(w);
}

static void import_one(struct import *im, const char *data, size_t len, const char *flags,
		       const char *src)
{
	struct store_add_opts o = { flags, NULL, false, false };
	char *cause = NULL;

	if (im->broken)
		return;
	if (im->in_batch == 0 && store_begin(im->store, &cause) < 0) {
		import_note("cannot import", src, cause);
		free(cause);
		im->broken = true;
		return;
	}
	switch (store_add(im->store, im->account, im->folder, data, len, &o, NULL, &cause)) {
	case STORE_ADD_NEW: im->added++; break;
	case STORE_ADD_DUPLICATE: im->dup++; break;
	case STORE_ADD_NOT_MAIL:
		im->notmail++;
		import_note("skipped", src, cause);
		break;
	case STORE_ADD_ERROR:
		im->failed++;
		import_note("cannot import", src, cause);
		/* a full disk or a broken index will not heal by itself */
		if (errno == ENOSPC || errno == EROFS || errno == EDQUOT)
			im->broken = true;
		break;
	}
	free(cause);
	cause = NULL;
	if (++im->in_batch >= IMPORT_BATCH) {
		im->in_batch = 0;
		if (store_commit(im->store, &cause) < 0) {
			import_note("cannot import", src, cause);
			free(cause);
			im->broken = true;
		}
	}
}

static void import_file(struct import *im, const char *path, const char *flags)
{
	char *cause = NULL;
	size_t len;
	char *data = store_read_file(path, IMPORT_MAX_MESSAGE, &len, &cause);

	if (!data) {
		im->failed++;
		import_note("cannot read", path, cause);
		free(cause);
		return;
	}
	import_one(im, data, len, flags, path);
	free(data);
}

static int import_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every regular file of dir, sorted, each passed to import_file. */
static void import_dir_files(struct import *im, const char *dir, bool maildir_new)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(e->d_name);
		}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), import_cmp);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			char flags[16] = "";
			const char *info = strstr(names[i], ":2,");
			if (info && !maildir_new) {
				/* keep the flags petrel knows, in Maildir's sorted order */
				size_t k = 0;
				for (const char *f = "DFPRST"; *f; f++)
					if (strchr(info + 3, *f))
						flags[k++] = *f;
				flags[k] = '\0';
			}
			import_file(im, path, flags);
		}
		free(path);
		free(names[i]);
	}
	free(names);
}

/* mbox: messages start at "From " lines at the start or after a blank line;
 * ">From " quoting (mboxrd) is undone; Status/X-Status become flags. */
static void import_mbox(struct import *im, const char *path, const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	unsigned index = 0;

	while (p < end) {
		const char *start, *q, *next = end;
		struct strbuf msg = STRBUF_INIT;
		char flags[8] = "", *src;
		bool in_headers = true;
		size_t k = 0;

		if (len - (size_t)(p - data) < 5 || strncmp(p, "From ", 5) != 0) {
			/* junk before the first From line: skip to it */
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			p = nl ? nl + 1 : end;
			continue;
		}
		start = memchr(p, '\n', (size_t)(end - p));
		start = start ? start + 1 : end;
		for (q = start; q < end;) {
			const char *nl = memchr(q, '\n', (size_t)(end - q));
			const char *lend = nl ? nl + 1 : end;
			if (q > start && q[-1] == '\n' && (q - start < 2 || q[-2] == '\n' ||
			    (q[-2] == '\r' && q - start >= 3 && q[-3] == '\n')) &&
			    end - q >= 5 && strncmp(q, "From ", 5) == 0) {
				next = q;
				break;
			}
			q = lend;
		}
		for (q = start; q < next;) {
			const char *nl = memchr(q, '\n', (size_t)(next - q));
			const char *lend = nl ? nl + 1 : next;
			size_t n = (size_t)(lend - q);
			const char *gt = q;

			if (in_headers && (n == 1 || (n == 2 && q[0] == '\r')))
				in_headers = false;
			if (in_headers && n > 7 && strncasecmp(q, "Status:", 7) == 0 && memchr(q, 'R', n))
				flags[k < 6 ? k++ : k] = 'S';
			if (in_headers && n > 9 && strncasecmp(q, "X-Status:", 9) == 0) {
				if (memchr(q + 9, 'F', n - 9) && k < 6)
					flags[k++] = 'F';
				if (memchr(q + 9, 'A', n - 9) && k < 6)
					flags[k++] = 'R';
			}
			while (gt < lend && *gt == '>')
				gt++;
			if (gt > q && lend - gt >= 5 && strncmp(gt, "From ", 5) == 0)
				strbuf_add(&msg, q + 1, n - 1);
			else
				strbuf_add(&msg, q, n);
			q = lend;
		}
		/* the blank line that separates messages belongs to the mbox */
		if (next < end && msg.len && msg.buf[msg.len - 1] == '\n') {
			msg.len--;
			if (msg.len && msg.buf[msg.len - 1] == '\r')
				msg.len--;
		}
		flags[k] = '\0';
		{
			/* Maildir wants flags in ASCII order */
			char sorted[8];
			size_t m = 0;
			for (const char *f = "DFPRST"; *f; f++)
				if (strchr(flags, *f))
					sorted[m++] = *f;
			sorted[m] = '\0';
			src = xasprintf("%s (message %u)", path, ++index);
			import_one(im, strbuf_str(&msg), msg.len, sorted, src);
			free(src);
		}
		strbuf_release(&msg);
		p = next;
	}
}

int cli_import(struct cli_ctx *ctx, int argc, char **argv)
{
	struct config *cfg;
	struct import im = { 0 };
	const char *path;
	char *cause = NULL, *cur, *newd;
	struct stat st;
	unsigned re_add = 0, re_rm = 0;
	int status = CLI_OK;

	if (argc != 4) {
		fprintf(stderr, "usage: petrel import ACCOUNT FOLDER PATH\n");
		return CLI_USAGE;
	}
	if (!(cfg = cli_config(ctx)))
		return CLI_USAGE;
	im.account = argv[1];
	im.folder = argv[2];
	path = argv[3];
	if (!config_account(cfg, im.account)) {
		fprintf(stderr, "petrel: no account called '%s' in %s\n", im.account, cfg->path);
		return CLI_USAGE;
	}
	if (!store_folder_valid(im.folder, &cause)) {
		fprintf(stderr, "petrel: %s\n", cause);
		free(cause);
		return CLI_USAGE;
	}
	if (stat(path, &st) < 0) {
		fprintf(stderr, "petrel: cannot read %s: %s\n", path, strerror(errno));
		return CLI_USAGE;
	}
	if (!(im.store = output_store_open(cfg, im.account, STORE_WRITE)))
		return CLI_FAILED;
	if (store_folder_create(im.store, im.account, im.folder, &cause) < 0 ||
	    store_reconcile(im.store, im.account, im.folder, &re_add, &re_rm, &cause) < 0) {
		fprintf(stderr, "petrel: %s\n", cause);
		free(cause);
		store_close(&im.store);
		return CLI_FAILED;
	}
	if (re_add || re_rm)
		fprintf(stderr, "petrel: repaired the index of %s/%s: %u file(s) added, "
			"%u missing file(s) dropped\n", im.account, im.folder, re_add, re_rm);

	cur = xasprintf("%s/cur", path);
	newd = xasprintf("%s/new", path);
	if (S_ISDIR(st.st_mode)) {
		struct stat s2;
		bool is_maildir = (stat(cur, &s2) == 0 && S_ISDIR(s2.st_mode)) ||
				  (stat(newd, &s2) == 0 && S_ISDIR(s2.st_mode));
		if (is_maildir) {
			import_dir_files(&im, cur, false);
			import_dir_files(&im, newd, true);
		} else {
			import_dir_files(&im, path, true);
		}
	} else {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		void *map = MAP_FAILED;
		if (fd >= 0 && st.st_size > 0)
			map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (fd < 0 || (st.st_size > 0 && map == MAP_FAILED)) {
			fprintf(stderr, "petrel: cannot read %s: %s\n", path, strerror(errno));
			status = CLI_FAILED;
		} else if (st.st_size >= 5 && memcmp(map, "From ", 5) == 0) {
			import_mbox(&im, path, map, (size_t)st.st_size);
		} else {
			import_file(&im, path, "");
		}
		if (map != MAP_FAILED)
			munmap(map, (size_t)st.st_size);
		if (fd >= 0)
			close(fd);
	}
	free(cur);
	free(newd);
	if (im.in_batch && !im.broken && store_commit(im.store, &cause) < 0) {
		fprintf(stderr, "petrel: %s\n", cause);
		free(cause);
		im.broken = true;
	}
	store_close(&im.store);
	printf("imported %u, already there %u, not mail %u, failed %u\n",
	       im.added, im.dup, im.notmail, im.failed);
	if (im.broken || im.failed || im.notmail)
		status = CLI_FAILED;
	return status;
}
