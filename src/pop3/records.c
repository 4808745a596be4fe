/*
 * The POP3 records: which server messages petrel has stored, so a message
 * is downloaded once whatever happens to its local copy, and deleted on the
 * server only after its copy is durable.  One file per account,
 * DATA/mail/ACCOUNT/.petrel-pop3, lines "KEY FIRST-SEEN MESSAGE-ID".  New
 * records are appended and fsynced before the DELEs they allow; records of
 * messages that left the server are dropped by rewriting the file (tmp,
 * fsync, rename, fsync of the directory).  A torn last line (a crash while
 * appending) is ignored: that message had not been deleted yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "core/log.h"
#include "pop3/private.h"
#include "store/store.h"

#define RECORDS_FILE ".petrel-pop3"
#define RECORDS_HEADER "# petrel POP3 records: KEY FIRST-SEEN MESSAGE-ID (- for none)\n"

static int pop3_records_cmp(const void *a, const void *b)
{
	const struct pop3_record *x = a, *y = b;

	return strcmp(x->key, y->key);
}

static bool pop3_records_valid_key(const char *k, size_t n)
{
	if (n != POP3_KEY_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= '0' && k[i] <= '9') || (k[i] >= 'a' && k[i] <= 'f')))
			return false;
	return true;
}

/* Sorts, and merges a key listed twice (the earlier first-seen wins). */
static void pop3_records_sort(struct pop3_records *r)
{
	size_t out = 0;

	if (r->sorted == r->n)
		return;
	qsort(r->v, r->n, sizeof(*r->v), pop3_records_cmp);
	for (size_t i = 0; i < r->n; i++) {
		if (out && strcmp(r->v[out - 1].key, r->v[i].key) == 0) {
			struct pop3_record *keep = &r->v[out - 1];
			if (r->v[i].first_seen < keep->first_seen)
				keep->first_seen = r->v[i].first_seen;
			if (!keep->mid) {
				keep->mid = r->v[i].mid;
				r->v[i].mid = NULL;
			}
			keep->on_server |= r->v[i].on_server;
			free(r->v[i].mid);
			continue;
		}
		r->v[out++] = r->v[i];
	}
	r->n = r->sorted = out;
}

static void pop3_records_push(struct pop3_records *r, const char *key, time_t first_seen,
			      const char *mid)
{
	struct pop3_record *rec;

	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	rec = &r->v[r->n++];
	memcpy(rec->key, key, POP3_KEY_LEN);
	rec->key[POP3_KEY_LEN] = '\0';
	rec->first_seen = first_seen;
	rec->mid = mid ? xstrdup(mid) : NULL;
	rec->on_server = false;
}

/* Writes every record to a new file and puts it in place. */
static int pop3_records_rewrite(struct pop3_records *r, char **cause)
{
	struct strbuf sb = STRBUF_INIT;
	char *tmp = xasprintf("%s.tmp", r->path), *dir = xstrdup(r->path);
	int fd, dfd, rc = -1;

	strbuf_addstr(&sb, RECORDS_HEADER);
	for (size_t i = 0; i < r->n; i++)
		strbuf_addf(&sb, "%s %lld %s\n", r->v[i].key, (long long)r->v[i].first_seen,
			    r->v[i].mid ? r->v[i].mid : "-");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || util_write_all(fd, sb.buf, sb.len) < 0 || fsync(fd) < 0) {
		*cause = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
	if (rename(tmp, r->path) < 0) {
		*cause = xasprintf("cannot replace %s: %s", r->path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	*strrchr(dir, '/') = '\0';
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		*cause = xasprintf("cannot sync %s: %s", dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	close(dfd);
	strbuf_reset(&r->pending);  /* in the new file */
	rc = 0;
out:
	strbuf_release(&sb);
	free(tmp);
	free(dir);
	return rc;
}

int pop3_records_load(struct pop3_records *r, const struct account *a, char **cause)
{
	char *data_dir = store_data_dir(a->config, a), *dir, *data = NULL, *p;
	size_t len = 0;
	bool torn = false;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	dir = xasprintf("%s/mail/%s", data_dir, a->name);
	r->path = xasprintf("%s/%s", dir, RECORDS_FILE);
	if (access(r->path, F_OK) < 0 && errno == ENOENT)
		goto out;  /* nothing stored yet */
	data = store_read_file(r->path, 256u << 20, &len, cause);
	if (!data) {
		rc = -1;
		goto out;
	}
	for (p = data; p < data + len;) {
		char *nl = memchr(p, '\n', (size_t)(data + len - p)), *sp1, *sp2, *end;
		long long t;

		if (!nl) {
			torn = true;  /* a crash while appending */
			break;
		}
		*nl = '\0';
		sp1 = strchr(p, ' ');
		sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
		if (*p != '#' && sp1 && sp2 && pop3_records_valid_key(p, (size_t)(sp1 - p))) {
			t = strtoll(sp1 + 1, &end, 10);
			if (end == sp2 && t >= 0)
				pop3_records_push(r, p, (time_t)t, strcmp(sp2 + 1, "-") ? sp2 + 1 : NULL);
			else
				log_debug("pop3: %s: skipping a bad line", r->path);
		} else if (*p != '#') {
			log_debug("pop3: %s: skipping a bad line", r->path);
		}
		p = nl + 1;
	}
	pop3_records_sort(r);
	if (torn)
		rc = pop3_records_rewrite(r, cause);
out:
	free(data);
	free(dir);
	free(data_dir);
	return rc;
}

struct pop3_record *pop3_records_find(struct pop3_records *r, const char *key)
{
	struct pop3_record k, *hit;

	/* appends pile up unsorted after the sorted part; sort now and then */
	if (r->n - r->sorted > 256)
		pop3_records_sort(r);
	memcpy(k.key, key, sizeof(k.key));
	hit = r->sorted ? bsearch(&k, r->v, r->sorted, sizeof(*r->v), pop3_records_cmp) : NULL;
	for (size_t i = r->sorted; !hit && i < r->n; i++)
		if (strcmp(r->v[i].key, key) == 0)
			hit = &r->v[i];
	return hit;
}

int pop3_records_add(struct pop3_records *r, const char *key, time_t first_seen,
		     const char *mid, char **cause)
{
	(void)cause;
	/* a Message-ID with a space or a line end would break the line */
	if (mid && (strpbrk(mid, " \r\n") || !*mid))
		mid = NULL;
	pop3_records_push(r, key, first_seen, mid);
	r->v[r->n - 1].on_server = true;
	/* written by pop3_records_sync, after the store committed: a record
	 * must never be on disk before the message it stands for */
	strbuf_addf(&r->pending, "%s %lld %s\n", key, (long long)first_seen, mid ? mid : "-");
	return 0;
}

int pop3_records_sync(struct pop3_records *r, char **cause)
{
	if (!r->pending.len)
		return 0;
	if (r->fd < 0) {
		r->fd = open(r->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (r->fd < 0) {
			*cause = xasprintf("cannot write %s: %s", r->path, strerror(errno));
			return -1;
		}
		if (lseek(r->fd, 0, SEEK_END) == 0 &&
		    util_write_all(r->fd, RECORDS_HEADER, strlen(RECORDS_HEADER)) < 0) {
			*cause = xasprintf("cannot write %s: %s", r->path, strerror(errno));
			return -1;
		}
	}
	if (util_write_all(r->fd, r->pending.buf, r->pending.len) < 0 || fsync(r->fd) < 0) {
		*cause = xasprintf("cannot write %s: %s", r->path, strerror(errno));
		return -1;
	}
	strbuf_reset(&r->pending);
	return 0;
}

int pop3_records_prune(struct pop3_records *r, char **cause)
{
	size_t out = 0;

	pop3_records_sort(r);
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].on_server)
			r->v[out++] = r->v[i];
		else
			free(r->v[i].mid);
	}
	if (out == r->n && !r->pending.len)
		return 0;
	r->n = r->sorted = out;
	return pop3_records_rewrite(r, cause);
}

void pop3_records_release(struct pop3_records *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].mid);
	FREE_NULL(r->v);
	r->n = r->sorted = 0;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	strbuf_release(&r->pending);
	FREE_NULL(r->path);
}

static void pop3_records_hex(const unsigned char *d, char out[POP3_KEY_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < POP3_KEY_LEN / 2; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[POP3_KEY_LEN] = '\0';
}

void pop3_records_key_uidl(const char *uidl, char out[POP3_KEY_LEN + 1])
{
	unsigned char d[32];
	char *in = xasprintf("uidl:%s", uidl);

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, in, strlen(in), d) < 0)
		BUG("SHA-256 is not available");
	free(in);
	pop3_records_hex(d, out);
}

void pop3_records_key_headers(const char *hdr, size_t len, unsigned nth,
			      char out[POP3_KEY_LEN + 1])
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char d[32];

	strbuf_addf(&sb, "top:%u:", nth);
	strbuf_add(&sb, hdr, len);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, sb.buf, sb.len, d) < 0)
		BUG("SHA-256 is not available");
	strbuf_release(&sb);
	pop3_records_hex(d, out);
}

time_t pop3_records_now(void)
{
	const char *t = getenv("PETREL_TEST_NOW");
	unsigned long v;

	if (t && *t && util_parse_ulong(t, (unsigned long)-1, &v))
		return (time_t)v;
	return time(NULL);
}
