/*
 * The sync of a POP3 account into the store's INBOX.
 *
 *  0. Recovery, after the listing: a message on the server with a local
 *     copy but no record is what a crash left between the file's rename and
 *     its record: the folder's index is reconciled and the key recorded,
 *     so nothing is fetched twice.
 *  1. Header-first (pop3-headers-first, or messages over pop3-max-size):
 *     TOP n 0 for new messages, newest first, in growing chunks, stored as
 *     header-only copies.  The newest screenful goes before even the full
 *     listing (LIST n, UIDL n, TOP n 0 for the newest 50 in one round trip).
 *  2. New messages: RETR, stored whole; each batch committed, then recorded
 *     (append + fsync).
 *  3. Bodies of header-only copies: all of them in delete mode, within the
 *     prefetch budget in keep mode, and those due for pop3-delete-after.
 *  4. DELE, only for messages recorded as stored whose copy is whole (or
 *     was deleted locally); QUIT commits them.
 *
 * Why a DELE can never lose mail: it is sent only for a recorded message,
 * and a record is written only after the message's file was fsynced,
 * renamed and its directory fsynced (store_add) and the index committed.
 * A crash before QUIT leaves the records, and the server keeps every
 * message (RFC 1939: deletions happen only in the UPDATE state that QUIT
 * starts), so the next run finds them recorded and deletes them without
 * fetching them again.  After a broken answer the session is dropped
 * without QUIT: which command an answer belongs to is then a guess, and the
 * server must forget the DELEs of a session we no longer understand.
 * After a -ERR for one message (or a short one) the session is sound: the
 * message stays on the server and QUIT commits the other DELEs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "pop3/private.h"
#include "store/store.h"

#define SYNC_FOLDER "INBOX"
#define SYNC_FIRST_CHUNK 50
#define SYNC_MAX_CHUNK 1000
#define SYNC_RETR_BATCH 20
#define SYNC_RETR_BYTES (16u << 20)
#define SYNC_DELE_BATCH 200

struct sync_ctx {
	struct pop3_session *s;
	struct store *st;
	const struct account *a;
	char *account_dir;
	struct pop3_list list;
	struct pop3_records rec;
	struct pop3_locals local;
	struct pop3_sync_stats *stats;
	const struct pop3_hooks *hooks;
	bool delete_mode, headers_first, headers_only;
	unsigned long long cap;     /* bigger messages stay header-only */
	time_t now;
	const char *trash;          /* the local trash folder, or NULL */
	unsigned done, total;       /* progress */
};

static void sync_progress(struct sync_ctx *c)
{
	if (c->hooks && c->hooks->progress)
		c->hooks->progress(c->hooks->arg, c->done, c->total);
}

static bool sync_too_big(const struct sync_ctx *c, const struct pop3_msg *m)
{
	return m->size > c->cap;
}

/* Whether a header-only copy is in place of the whole message: its file is
 * smaller than the size the server gave (kept as ",S=" in the name). */
static bool sync_partial(const struct pop3_local *lf)
{
	return lf->size >= 0 && (unsigned long long)lf->size < lf->server_size;
}

/* The header block of data, with the empty line after it. */
static size_t sync_header_len(const char *data, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (data[i] != '\n')
			continue;
		if (data[i + 1] == '\n')
			return i + 2;
		if (data[i + 1] == '\r' && i + 2 < len && data[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

/* store_add said the folder has a message with this one's id: is it this
 * very message?  If the stored one is header-only and this is the whole of
 * it, the stored one is completed.  1 same, 0 different, -1 store error. */
static int sync_same(struct sync_ctx *c, const char *id, const char *data, size_t len,
		     bool partial, char **cause)
{
	struct store_location loc = { 0 };
	char *have = NULL, *why = NULL;
	size_t hlen = 0;
	int rc = 0;

	/* (another account's copy of the same message is not ours to judge) */
	if (!id || store_locate(c->st, id, &loc, &why) < 0 ||
	    strcmp(loc.account, c->a->name) != 0 || strcmp(loc.folder, SYNC_FOLDER) != 0)
		goto out;
	have = store_read_file(loc.path, POP3_MESSAGE_MAX + (1u << 20), &hlen, &why);
	if (!have)
		goto out;
	if (loc.partial == partial) {
		rc = hlen == len && memcmp(have, data, len) == 0;
	} else if (loc.partial) {
		/* ours is whole, the stored one its headers? then complete it */
		size_t h = sync_header_len(data, len);
		if (h == hlen && memcmp(have, data, h) == 0) {
			rc = store_replace_partial(c->st, loc.path, data, len, cause) < 0 ? -1 : 1;
			if (rc == 1)
				c->stats->bodies++;
		}
	} else {
		size_t h = sync_header_len(have, hlen);
		rc = h == len && memcmp(have, data, len) == 0;
	}
out:
	free(why);
	free(have);
	store_location_release(&loc);
	return rc;
}

/* Stores data as the copy of message num (whole, or headers only) and
 * records it (not yet synced).  0, or -1 + *cause: the store failed. */
static int sync_store(struct sync_ctx *c, unsigned num, const char *data, size_t len,
		      bool partial, char **cause)
{
	struct pop3_msg *m = &c->list.v[num - 1];
	char name[96], *id = NULL, *why = NULL;
	struct store_add_opts o = { NULL, name, partial, false };
	enum store_add_result res;
	int rc = -1, same = 0;

	snprintf(name, sizeof(name), ",P=%s,S=%lu", m->key, m->size);
	res = store_add(c->st, c->a->name, SYNC_FOLDER, data, len, &o, &id, &why);
	if (res == STORE_ADD_DUPLICATE) {
		same = sync_same(c, id, data, len, partial, cause);
		if (same < 0)
			goto out;
		if (same) {
			c->stats->already++;
		} else {
			/* same Message-ID, other bytes: keep both */
			o.server_copy = true;
			FREE_NULL(id);
			FREE_NULL(why);
			res = store_add(c->st, c->a->name, SYNC_FOLDER, data, len, &o, &id, &why);
		}
	} else if (res == STORE_ADD_NOT_MAIL) {
		/* the server's message all the same: keep the file */
		log_debug("pop3: message %u: %s; kept as it is", num, why);
		FREE_NULL(why);
		o.server_copy = true;
		res = store_add(c->st, c->a->name, SYNC_FOLDER, data, len, &o, &id, &why);
		res = res == STORE_ADD_NOT_MAIL ? STORE_ADD_NEW : res;
	}
	if (res == STORE_ADD_ERROR) {
		*cause = why;
		why = NULL;
		goto out;
	}
	if (pop3_records_add(&c->rec, m->key, c->now, id, cause) < 0)
		goto out;
	m->known = true;
	if (!same && partial)
		c->stats->headers++;
	else if (!same)
		c->stats->full++;
	rc = 0;
out:
	free(id);
	free(why);
	return rc;
}

/* Ends a batch: commit the index, then make the records durable. */
static int sync_commit(struct sync_ctx *c, int rc, char **cause)
{
	char *why = NULL;

	if (store_commit(c->st, &why) < 0 || pop3_records_sync(&c->rec, &why) < 0) {
		if (rc == 0)
			*cause = why;
		else
			free(why);
		return -1;
	}
	sync_progress(c);
	return rc;
}

/* Whether local copy i is the header-only twin of copy i - 1 in INBOX: a
 * smaller file with the same key (copies the user made elsewhere are left
 * alone). */
static bool sync_twin(const struct sync_ctx *c, size_t i)
{
	const struct pop3_local *a = &c->local.v[i - 1], *b = &c->local.v[i];
	const char *in = "/" SYNC_FOLDER "/";
	size_t alen = strlen(c->account_dir), ilen = strlen(in);

	/* path = account_dir + "/INBOX/" + "cur/" or "new/" + name */
	return strcmp(a->key, b->key) == 0 && b->size < a->size &&
	       strncmp(a->path + alen, in, ilen) == 0 && !strchr(a->path + alen + ilen + 4, '/') &&
	       strncmp(b->path + alen, in, ilen) == 0 && !strchr(b->path + alen + ilen + 4, '/');
}

/* Step 0, after the listing: a message on the server with a local copy but
 * no record is what a crash left between the file's rename and its record
 * (the index may not have the file either); two files for one key are what
 * a crash left while a body replaced headers.  (A copy of a message that
 * left the server needs no record: it is just local mail now.) */
static int sync_recover(struct sync_ctx *c, char **cause)
{
	bool orphans = false, twins = false;
	int rc = 0;

	for (unsigned i = 1; i <= c->list.n; i++) {
		const struct pop3_msg *m = &c->list.v[i - 1];
		if (m->listed && m->key[0] && !pop3_records_find(&c->rec, m->key) &&
		    pop3_local_find(&c->local, m->key))
			orphans = true;
	}
	for (size_t i = 1; i < c->local.n; i++)
		twins |= sync_twin(c, i);
	if (!orphans && !twins)
		return 0;
	log_debug("pop3: %s: repairing after an interrupted sync", c->a->name);
	if (store_reconcile(c->st, c->a->name, SYNC_FOLDER, NULL, NULL, cause) < 0 ||
	    store_begin(c->st, cause) < 0)
		return -1;
	for (size_t i = 1; rc == 0 && i < c->local.n; i++)
		if (sync_twin(c, i))
			rc = store_remove_file(c->st, c->local.v[i].path, cause);
	for (unsigned i = 1; rc == 0 && i <= c->list.n; i++) {
		const struct pop3_msg *m = &c->list.v[i - 1];
		struct pop3_local *lf;
		struct store_msg_info info;

		if (!m->listed || !m->key[0] || pop3_records_find(&c->rec, m->key) ||
		    !(lf = pop3_local_find(&c->local, m->key)))
			continue;
		if (store_message_info(c->st, lf->path, &info) < 0)
			info.id = NULL;
		rc = pop3_records_add(&c->rec, m->key, c->now, info.id, cause);
		free(info.id);
	}
	rc = sync_commit(c, rc, cause);
	if (twins) {
		pop3_local_release(&c->local);
		pop3_local_scan(&c->local, c->account_dir, c->trash);
	}
	return rc;
}

static int sync_top_one(void *arg, unsigned num, const char *hdr, size_t len, char **cause)
{
	struct sync_ctx *c = arg;

	if (!hdr) {
		c->stats->problems++;  /* told to the hooks already */
		return 0;
	}
	c->done++;
	return sync_store(c, num, hdr, len, true, cause);
}

/* Step 1 for the messages nums[0..n), newest first: header-only copies,
 * from TOP answers already at hand or fetched now, committed per chunk. */
static int sync_headers(struct sync_ctx *c, const unsigned *nums, size_t n, char **cause)
{
	size_t chunk = SYNC_FIRST_CHUNK;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i += chunk, chunk = chunk * 4 > SYNC_MAX_CHUNK
								 ? SYNC_MAX_CHUNK : chunk * 4) {
		size_t k = n - i < chunk ? n - i : chunk, nfetch = 0;
		unsigned *fetch = xcalloc(k + 1, sizeof(*fetch));

		if (store_begin(c->st, cause) < 0) {
			free(fetch);
			return -1;
		}
		for (size_t j = 0; j < k && rc == 0; j++) {
			struct pop3_msg *m = &c->list.v[nums[i + j] - 1];
			if (!m->hdr) {
				fetch[nfetch++] = nums[i + j];
				continue;
			}
			c->done++;
			rc = sync_store(c, nums[i + j], m->hdr, m->hlen, true, cause);
			FREE_NULL(m->hdr);
		}
		for (size_t j = 0; j < nfetch && rc == 0; j += 200)
			rc = pop3_list_top(c->s, fetch + j, nfetch - j < 200 ? nfetch - j : 200,
					   c->hooks, sync_top_one, c, cause);
		free(fetch);
		rc = sync_commit(c, rc, cause);
	}
	return rc;
}

/* RETR of nums[0..n) in batches; fn stores each whole message. */
static int sync_retr(struct sync_ctx *c, const unsigned *nums, size_t n,
		     int (*fn)(struct sync_ctx *c, unsigned num, const char *data, size_t len,
			       char **cause),
		     char **cause)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0;) {
		size_t k = 0;
		unsigned long long bytes = 0;

		while (i + k < n && k < SYNC_RETR_BATCH &&
		       (k == 0 || bytes + c->list.v[nums[i + k] - 1].size <= SYNC_RETR_BYTES))
			bytes += c->list.v[nums[i + k++] - 1].size;
		for (size_t j = 0; j < k; j++)
			pop3_session_queue(c->s, "RETR %u", nums[i + j]);
		if (pop3_session_flush(c->s, cause) < 0)
			break;
		if (store_begin(c->st, cause) < 0) {
			pop3_session_drop(c->s);
			rc = -1;
			break;
		}
		for (size_t j = 0; j < k && rc == 0; j++) {
			unsigned num = nums[i + j];
			struct pop3_msg *m = &c->list.v[num - 1];
			const char *text;
			enum pop3_status st = pop3_session_status(c->s, &text, cause);

			if (st == POP3_BROKEN) {
				char *why = *cause;
				*cause = xasprintf("%s while fetching message %u; nothing is "
						   "lost, the next sync goes on from there", why, num);
				free(why);
				rc = -1;
				break;
			}
			if (st == POP3_ERR) {
				char *why = pop3_session_err("cannot fetch it", text);
				pop3_list_problem(c->hooks, "message %u: %s; it stays on the server",
						  num, why);
				free(why);
				c->stats->problems++;
				continue;
			}
			if (pop3_session_multiline(c->s, &sb, POP3_MESSAGE_MAX + (1u << 20), cause) < 0) {
				char *why = *cause;
				*cause = xasprintf("%s while fetching message %u; nothing is "
						   "lost, the next sync goes on from there", why, num);
				free(why);
				rc = -1;
				break;
			}
			if (sb.len < m->size) {
				/* a server that ends early sent part of a message */
				pop3_list_problem(c->hooks, "message %u: the server sent %zu of the "
						  "%lu bytes it announced; not stored, it stays on "
						  "the server", num, sb.len, m->size);
				c->stats->problems++;
				continue;
			}
			c->done++;
			rc = fn(c, num, sb.buf, sb.len, cause);
		}
		rc = sync_commit(c, rc, cause);
		if (rc < 0)
			pop3_session_drop(c->s);  /* answers may still be on their way */
		i += k;
	}
	if (!c->s->usable && rc == 0)
		rc = -1;
	strbuf_release(&sb);
	return rc;
}

static int sync_store_full(struct sync_ctx *c, unsigned num, const char *data, size_t len,
			   char **cause)
{
	return sync_store(c, num, data, len, false, cause);
}

/* The body for the header-only copy of message num. */
static int sync_store_body(struct sync_ctx *c, unsigned num, const char *data, size_t len,
			   char **cause)
{
	struct pop3_local *lf = pop3_local_find(&c->local, c->list.v[num - 1].key);

	if (!lf || store_replace_partial(c->st, lf->path, data, len, cause) < 0)
		return lf ? -1 : 0;
	lf->size = (off_t)len;  /* whole now: may be deleted in step 4 */
	c->stats->bodies++;
	return 0;
}

/* Is the local copy of m's key gone, partial, whole?  By the file with the
 * key, else the message-id the record holds (a copy stored under another
 * key when the server renumbered).  trashed: it has the T flag. */
enum sync_local { SYNC_GONE, SYNC_PARTIAL, SYNC_WHOLE };

static enum sync_local sync_local_state(struct sync_ctx *c, const struct pop3_msg *m,
					bool *trashed)
{
	struct pop3_local *lf = pop3_local_find(&c->local, m->key);
	struct pop3_record *r;
	struct store_location loc = { 0 };
	enum sync_local res = SYNC_GONE;
	char *why = NULL;

	*trashed = false;
	if (lf) {
		*trashed = lf->trashed;
		return sync_partial(lf) ? SYNC_PARTIAL : SYNC_WHOLE;
	}
	r = pop3_records_find(&c->rec, m->key);
	/* (the index may still list a file someone removed: look at the disk) */
	if (r && r->mid && store_locate(c->st, r->mid, &loc, &why) == 0 &&
	    strcmp(loc.account, c->a->name) == 0 && access(loc.path, F_OK) == 0) {
		*trashed = strchr(store_maildir_flags(loc.path), 'T') != NULL ||
			   (c->trash && strcmp(loc.folder, c->trash) == 0);
		res = loc.partial ? SYNC_PARTIAL : SYNC_WHOLE;
	}
	free(why);
	store_location_release(&loc);
	return res;
}

/* Whether keep mode deletes m now (pop3-delete-after, -with-local). */
static bool sync_keep_deletes(struct sync_ctx *c, const struct pop3_msg *m, bool *need_body)
{
	unsigned long after = config_get_duration(c->a, OPTION_POP3_DELETE_AFTER);
	bool with_local = config_get_bool(c->a, OPTION_POP3_DELETE_WITH_LOCAL), trashed;
	struct pop3_record *r;
	enum sync_local l;

	*need_body = false;
	if (!after && !with_local)
		return false;
	l = sync_local_state(c, m, &trashed);
	if (with_local && (l == SYNC_GONE || trashed))
		return true;
	r = pop3_records_find(&c->rec, m->key);
	if (after && r && c->now - r->first_seen >= (time_t)after) {
		if (l == SYNC_PARTIAL) {
			*need_body = true;   /* the body first, or it would be lost */
			return false;
		}
		return true;
	}
	return false;
}

/* Step 3: which header-only copies get their bodies now. */
static int sync_bodies(struct sync_ctx *c, char **cause)
{
	unsigned long window = config_get_duration(c->a, OPTION_PREFETCH);
	unsigned long long pmax = 0;
	unsigned *nums = xcalloc(c->list.n + 1, sizeof(*nums));
	size_t n = 0;
	int rc;

	option_parse_size(config_get(c->a, OPTION_PREFETCH_MAX_SIZE), &pmax);
	for (unsigned i = c->list.n; i >= 1; i--) {
		struct pop3_msg *m = &c->list.v[i - 1];
		struct pop3_local *lf;
		struct store_msg_info info;
		bool want = false, need_body = false;

		if (!m->key[0] || !m->known || sync_too_big(c, m) ||
		    !(lf = pop3_local_find(&c->local, m->key)) || !sync_partial(lf))
			continue;
		if (c->delete_mode) {
			want = !c->headers_only;
		} else {
			sync_keep_deletes(c, m, &need_body);
			want = need_body;
			if (!want && !c->headers_only && window && m->size <= pmax &&
			    store_message_info(c->st, lf->path, &info) == 0) {
				want = !info.date || info.date >= c->now - (time_t)window;
				free(info.id);
			}
		}
		if (want)
			nums[n++] = i;
	}
	c->done = 0;
	c->total = (unsigned)n;
	rc = n ? sync_retr(c, nums, n, sync_store_body, cause) : 0;
	free(nums);
	return rc;
}

/* Step 4: DELE what may go, in pipelined batches. */
static int sync_deletes(struct sync_ctx *c, char **cause)
{
	unsigned *nums = xcalloc(c->list.n + 1, sizeof(*nums));
	size_t n = 0;
	int rc = 0;

	for (unsigned i = 1; i <= c->list.n; i++) {
		struct pop3_msg *m = &c->list.v[i - 1];
		bool trashed, need_body;

		if (!m->key[0] || !m->known || !pop3_records_find(&c->rec, m->key))
			continue;
		if (c->delete_mode ? sync_local_state(c, m, &trashed) != SYNC_PARTIAL
				   : sync_keep_deletes(c, m, &need_body))
			nums[n++] = i;
	}
	for (size_t i = 0; i < n && rc == 0; i += SYNC_DELE_BATCH) {
		size_t k = n - i < SYNC_DELE_BATCH ? n - i : SYNC_DELE_BATCH;

		for (size_t j = 0; j < k; j++)
			pop3_session_queue(c->s, "DELE %u", nums[i + j]);
		if (pop3_session_flush(c->s, cause) < 0) {
			rc = -1;
			break;
		}
		for (size_t j = 0; j < k; j++) {
			const char *text;
			enum pop3_status st = pop3_session_status(c->s, &text, cause);

			if (st == POP3_BROKEN) {
				rc = -1;
				break;
			}
			if (st == POP3_ERR) {
				char *why = pop3_session_err("cannot delete it", text);
				pop3_list_problem(c->hooks, "message %u: %s; it stays on the server",
						  nums[i + j], why);
				free(why);
				c->stats->problems++;
				continue;
			}
			c->list.v[nums[i + j] - 1].deleted = true;
		}
	}
	free(nums);
	return rc;
}

/* A message of the newest chunk is in: store it now if it is new and its
 * headers came along, so storing overlaps the transfer of the next ones. */
static int sync_newest_one(void *arg, unsigned num, char **cause)
{
	struct sync_ctx *c = arg;
	struct pop3_msg *m = &c->list.v[num - 1];
	int rc = 0;

	if (m->hdr && m->key[0] && !pop3_records_find(&c->rec, m->key) &&
	    !pop3_local_find(&c->local, m->key)) {
		c->done++;
		rc = sync_store(c, num, m->hdr, m->hlen, true, cause);
	}
	FREE_NULL(m->hdr);
	return rc;
}

/* The newest messages before the full listing (header-first): with an
 * empty store their headers come in the same round trip. */
static int sync_newest(struct sync_ctx *c, char **cause)
{
	unsigned count, chunk, *nums;
	bool fresh = c->rec.n == 0 && c->local.n == 0;
	size_t n = 0;
	int rc;

	if (pop3_list_stat(c->s, &count, cause) < 0)
		return -1;
	if (count == 0)
		return 0;
	chunk = count < SYNC_FIRST_CHUNK ? count : SYNC_FIRST_CHUNK;
	c->total = chunk;
	if (store_begin(c->st, cause) < 0)
		return -1;
	rc = pop3_list_newest(c->s, &c->list, count, chunk, fresh, sync_newest_one, c, cause);
	rc = sync_commit(c, rc, cause);
	if (rc < 0 || fresh)
		return rc;
	nums = xcalloc(chunk + 1, sizeof(*nums));
	for (unsigned i = count; i > count - chunk; i--) {
		struct pop3_msg *m = &c->list.v[i - 1];
		if (m->key[0] && !pop3_records_find(&c->rec, m->key) &&
		    !pop3_local_find(&c->local, m->key))
			nums[n++] = i;
	}
	rc = sync_headers(c, nums, n, cause);
	free(nums);
	return rc;
}

/* Steps 1 and 2 for the full listing. */
static int sync_new(struct sync_ctx *c, char **cause)
{
	unsigned *hdrs = xcalloc(c->list.n + 1, sizeof(*hdrs));
	unsigned *full = xcalloc(c->list.n + 1, sizeof(*full));
	size_t nh = 0, nf = 0;
	int rc;

	for (unsigned i = c->list.n; i >= 1; i--) {
		struct pop3_msg *m = &c->list.v[i - 1];
		if (!m->listed || !m->key[0] || m->known)
			continue;
		if (sync_too_big(c, m) || c->headers_only || (c->headers_first && c->s->has_top))
			hdrs[nh++] = i;
		else
			full[nf++] = i;
	}
	c->done = 0;
	c->total = (unsigned)(nh + nf);
	if (nh && !c->s->has_top && !c->list.digest) {
		/* no TOP: big messages cannot be had as headers; leave them */
		for (size_t i = 0; i < nh; i++)
			pop3_list_problem(c->hooks, "message %u is larger than pop3-max-size and "
					  "the server cannot send headers alone (no TOP); it "
					  "stays on the server", hdrs[i]);
		c->stats->problems += (unsigned)nh;
		nh = 0;
	}
	rc = sync_headers(c, hdrs, nh, cause);
	if (rc == 0)
		rc = sync_retr(c, full, nf, sync_store_full, cause);
	free(hdrs);
	free(full);
	return rc;
}

/* The folder petrel delete moves messages to, if petrel has that option. */
static const char *sync_trash_folder(const struct account *a)
{
	const struct option_def *def = option_find("trash-folder");

	return def ? config_get(a, def->id) : NULL;
}

int pop3_sync(struct pop3_session *s, struct store *st, bool headers_only,
	      struct pop3_sync_stats *stats, const struct pop3_hooks *hooks, char **cause)
{
	struct sync_ctx c = { 0 };
	char *data_dir = store_data_dir(s->account->config, s->account);
	unsigned long long maxsize = 0;
	bool all_keyed = true;
	int rc = -1;

	memset(stats, 0, sizeof(*stats));
	c.s = s;
	c.st = st;
	c.a = s->account;
	c.stats = stats;
	c.hooks = hooks;
	c.now = pop3_records_now();
	c.delete_mode = strcmp(config_get(c.a, OPTION_POP3_MODE), "delete") == 0;
	c.headers_first = config_get_bool(c.a, OPTION_POP3_HEADERS_FIRST);
	c.headers_only = headers_only;
	option_parse_size(config_get(c.a, OPTION_POP3_MAX_SIZE), &maxsize);
	c.cap = maxsize && maxsize < POP3_MESSAGE_MAX ? maxsize : POP3_MESSAGE_MAX;
	c.account_dir = xasprintf("%s/mail/%s", data_dir, c.a->name);
	c.trash = sync_trash_folder(c.a);
	c.rec.fd = -1;  /* released on every path, loaded or not */

	if (store_folder_create(st, c.a->name, SYNC_FOLDER, cause) < 0 ||
	    pop3_records_load(&c.rec, c.a, cause) < 0)
		goto out;
	pop3_local_scan(&c.local, c.account_dir, c.trash);
	if (c.headers_first && s->has_uidl && s->has_top && sync_newest(&c, cause) < 0)
		goto out;
	if (pop3_list_all(s, &c.list, hooks, cause) < 0)
		goto out;
	stats->digest = c.list.digest;
	if (sync_recover(&c, cause) < 0)
		goto out;
	for (unsigned i = 1; i <= c.list.n; i++) {
		struct pop3_msg *m = &c.list.v[i - 1];
		struct pop3_record *r;

		if (!m->listed)
			continue;
		stats->on_server++;
		if (!m->key[0]) {
			all_keyed = false;  /* told to the hooks when listed */
			stats->problems++;
			continue;
		}
		r = pop3_records_find(&c.rec, m->key);
		if (r)
			r->on_server = true;
		m->known = r || pop3_local_find(&c.local, m->key);
	}
	if (sync_new(&c, cause) < 0)
		goto out;
	if (stats->full + stats->headers) {
		pop3_local_release(&c.local);
		pop3_local_scan(&c.local, c.account_dir, c.trash);
	}
	if (sync_bodies(&c, cause) < 0 || sync_deletes(&c, cause) < 0)
		goto out;
	if (pop3_session_quit(s, cause) < 0)
		goto out;
	for (unsigned i = 1; i <= c.list.n; i++) {
		struct pop3_msg *m = &c.list.v[i - 1];
		struct pop3_record *r = m->deleted ? pop3_records_find(&c.rec, m->key) : NULL;
		if (r) {
			r->on_server = false;
			stats->deleted++;
		}
	}
	/* A message we could not key this time may be one of the records: keep
	 * them all rather than forget one and fetch it again next time. */
	if (all_keyed) {
		for (size_t i = 0; i < c.rec.n; i++)
			if (!c.rec.v[i].on_server)
				stats->gone++;
		stats->gone -= stats->deleted;
		if (pop3_records_prune(&c.rec, cause) < 0)
			goto out;
	}
	rc = stats->problems ? 1 : 0;
out:
	if (rc < 0)
		pop3_session_drop(s);
	pop3_list_release(&c.list);
	pop3_local_release(&c.local);
	pop3_records_release(&c.rec);
	free(c.account_dir);
	free(data_dir);
	return rc;
}
