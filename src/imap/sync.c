/*
 * Sync of one folder, header-first and newest-first (DESIGN.md):
 *  1. SELECT (with CONDSTORE when offered); if UIDVALIDITY, UIDNEXT,
 *     HIGHESTMODSEQ and the count all match what the store remembers,
 *     nothing changed and the sync ends after that one round trip.
 *  2. Expunges: UIDs the store has and the server no longer has.
 *  3. New messages from the newest down, in chunks growing from one screen:
 *     UID, FLAGS, INTERNALDATE, RFC822.SIZE and the header fields the index
 *     needs, stored as header-only files and committed chunk by chunk so
 *     they can be listed at once.
 *  4. Flags of known messages: only those changed since the last
 *     HIGHESTMODSEQ with CONDSTORE, all of them without.
 *  5. Bodies within the prefetch budget, newest first, one at a time.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "core/util.h"
#include "imap/private.h"
#include "store/store.h"

#define SYNC_FIRST_CHUNK 50
#define SYNC_MAX_CHUNK 1000
#define SYNC_BODY_MAX (64u << 20)

static const char *sync_header_fields[] = {
	"From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
	"Content-Type", "Reply-To", "Sender", "List-Id", "MIME-Version",
};

/* One message as a FETCH answer describes it. */
struct sync_msg {
	unsigned long uid;
	char flags[8];
	bool has_flags;       /* FLAGS was in the answer */
	char keywords[1024];  /* its keywords petrel keeps, sorted, space separated */
	time_t internaldate;
	unsigned long size;
	const char *header;   /* borrowed from the fetch result */
	size_t header_len;
	const char *body;
	size_t body_len;
};

/* IMAP system flags to Maildir flags, in Maildir's (ASCII) order. */
static void sync_flags(struct mailimap_msg_att_dynamic *dyn, char out[8])
{
	bool d = false, f = false, r = false, s = false, t = false;
	size_t n = 0;
	clistiter *it;

	for (it = dyn && dyn->att_list ? clist_begin(dyn->att_list) : NULL; it; it = clist_next(it)) {
		struct mailimap_flag_fetch *ff = clist_content(it);
		if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER || !ff->fl_flag)
			continue;
		switch (ff->fl_flag->fl_type) {
		case MAILIMAP_FLAG_DRAFT: d = true; break;
		case MAILIMAP_FLAG_FLAGGED: f = true; break;
		case MAILIMAP_FLAG_ANSWERED: r = true; break;
		case MAILIMAP_FLAG_SEEN: s = true; break;
		case MAILIMAP_FLAG_DELETED: t = true; break;
		default: break;
		}
	}
	if (d) out[n++] = 'D';
	if (f) out[n++] = 'F';
	if (r) out[n++] = 'R';
	if (s) out[n++] = 'S';
	if (t) out[n++] = 'T';
	out[n] = '\0';
}

static int sync_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keywords among the flags (those petrel keeps as tags), sorted and
 * joined by a space into out (what does not fit is left out). */
static void sync_keywords(struct mailimap_msg_att_dynamic *dyn, char *out, size_t size)
{
	const char *v[64];
	size_t n = 0, len = 0;
	clistiter *it;

	out[0] = '\0';
	for (it = dyn && dyn->att_list ? clist_begin(dyn->att_list) : NULL; it && n < 64;
	     it = clist_next(it)) {
		struct mailimap_flag_fetch *ff = clist_content(it);
		if (ff->fl_type == MAILIMAP_FLAG_FETCH_OTHER && ff->fl_flag &&
		    ff->fl_flag->fl_type == MAILIMAP_FLAG_KEYWORD &&
		    store_keyword_valid(ff->fl_flag->fl_data.fl_keyword))
			v[n++] = ff->fl_flag->fl_data.fl_keyword;
	}
	qsort(v, n, sizeof(*v), sync_strcmp);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		if (i && strcmp(v[i], v[i - 1]) == 0)
			continue;
		if (len + l + 2 > size)
			break;
		if (len)
			out[len++] = ' ';
		memcpy(out + len, v[i], l);
		len += l;
		out[len] = '\0';
	}
}

static time_t sync_date(const struct mailimap_date_time *dt)
{
	struct tm tm = { 0 };

	if (!dt)
		return 0;
	tm.tm_year = dt->dt_year - 1900;
	tm.tm_mon = dt->dt_month - 1;
	tm.tm_mday = dt->dt_day;
	tm.tm_hour = dt->dt_hour;
	tm.tm_min = dt->dt_min;
	tm.tm_sec = dt->dt_sec;
	/* dt_zone is +HHMM as a number */
	return timegm(&tm) - (dt->dt_zone / 100) * 3600 - (dt->dt_zone % 100) * 60;
}

static void sync_parse(struct mailimap_msg_att *att, struct sync_msg *m)
{
	clistiter *it;

	memset(m, 0, sizeof(*m));
	for (it = clist_begin(att->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;

		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
			sync_flags(item->att_data.att_dyn, m->flags);
			sync_keywords(item->att_data.att_dyn, m->keywords, sizeof(m->keywords));
			m->has_flags = true;
			continue;
		}
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			m->uid = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_INTERNALDATE:
			m->internaldate = sync_date(st->att_data.att_internal_date);
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			m->size = st->att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION: {
			struct mailimap_msg_att_body_section *bs = st->att_data.att_body_section;
			bool header = bs->sec_section && bs->sec_section->sec_spec;
			if (header) {
				m->header = bs->sec_body_part;
				m->header_len = bs->sec_length;
			} else {
				m->body = bs->sec_body_part;
				m->body_len = bs->sec_length;
			}
			break;
		}
		default:
			break;
		}
	}
}

static struct mailimap_fetch_type *sync_fetch_type(bool headers, bool body)
{
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();

	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_flags());
	if (headers) {
		clist *names = clist_new();
		for (size_t i = 0; i < ARRAY_SIZE(sync_header_fields); i++)
			clist_append(names, xstrdup(sync_header_fields[i]));
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_internaldate());
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_body_peek_section(
			mailimap_section_new_header_fields(mailimap_header_list_new(names))));
	}
	if (body)
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_body_peek_section(
			mailimap_section_new(NULL)));
	return ft;
}

struct sync_ctx {
	struct imap_session *s;
	struct store *st;
	const char *account;
	const struct imap_folder *f;
	struct store_uids local;
	struct store_keywords kw;     /* what the server last said, by UID */
	bool kw_dirty;
	struct imap_sync_stats *stats;
	imap_progress_fn *progress;
	void *arg;
};

/* The server gave message uid (stored at path, or with id) the keywords
 * words: tags follow, and the per-folder record remembers them. */
static int sync_keywords_apply(struct sync_ctx *c, unsigned long uid, const char *path,
			       const char *id, const char *words, char **cause)
{
	char *file = path ? NULL : store_message_file(c->st, id, cause);
	int rc;

	if (!path && !file)
		return -1;
	rc = store_retag(c->st, path ? path : file, store_keywords_get(&c->kw, uid), words, cause);
	free(file);
	if (rc < 0)
		return -1;
	store_keywords_set(&c->kw, uid, words);
	c->kw_dirty = true;
	return 0;
}

/* Stores the header-only messages of a fetch result that are not local. */
static int sync_store_headers(struct sync_ctx *c, clist *result, char **cause)
{
	clistiter *it;
	int rc = 0;

	if (store_begin(c->st, cause) < 0)
		return -1;
	for (it = clist_begin(result); it; it = clist_next(it)) {
		struct sync_msg m;
		char uid[64], *why = NULL, *id = NULL;
		struct store_add_opts o = { NULL, uid, true, true };
		enum store_add_result res;

		sync_parse(clist_content(it), &m);
		if (!m.uid || !m.header || store_uids_find(&c->local, m.uid))
			continue;
		/* the server's size rides along as Dovecot's ,S= for prefetch */
		snprintf(uid, sizeof(uid), ",U=%lu,S=%lu", m.uid, m.size);
		o.flags = m.flags;
		res = store_add(c->st, c->account, c->f->local, m.header, m.header_len, &o,
				m.keywords[0] ? &id : NULL, &why);
		if (res == STORE_ADD_ERROR) {
			*cause = why;
			rc = -1;
			break;
		}
		if (m.keywords[0] && id && sync_keywords_apply(c, m.uid, NULL, id, m.keywords, cause) < 0) {
			free(id);
			free(why);
			rc = -1;
			break;
		}
		FREE_NULL(id);
		if (res == STORE_ADD_NOT_MAIL)
			log_debug("imap: %s UID %lu: %s", c->f->name, m.uid, why);
		free(why);
		c->stats->new_headers++;
	}
	{
		/* commit what was stored even after a failure */
		char *why = NULL;
		if (store_commit(c->st, &why) < 0) {
			if (rc == 0)
				*cause = why;
			else
				free(why);
			rc = -1;
		}
	}
	if (c->progress)
		c->progress(c->arg, c->f->local, c->stats->new_headers, c->stats->exists);
	return rc;
}

static struct mailimap_set *sync_set(unsigned long lo, unsigned long hi)
{
	struct mailimap_set *set = mailimap_set_new_empty();

	mailimap_set_add_interval(set, (uint32_t)lo, (uint32_t)hi);
	return set;
}

/* A set of the UIDs in v[0..n), as ranges. */
static struct mailimap_set *sync_uid_set(const unsigned long *v, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();

	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		mailimap_set_add_interval(set, (uint32_t)v[i], (uint32_t)v[j]);
		i = j + 1;
	}
	return set;
}

static int sync_ulong_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Step 2: drop local messages the server no longer has (UID SEARCH ALL). */
static int sync_expunges(struct sync_ctx *c, char **cause)
{
	struct mailimap_search_key *key = mailimap_search_key_new_all();
	clist *result = NULL;
	unsigned long *server = NULL;
	size_t n = 0, cap = 0;
	clistiter *it;
	int rc;

	rc = mailimap_uid_search(c->s->imap, NULL, key, &result);
	c->s->round_trips++;
	mailimap_search_key_free(key);
	if (rc != MAILIMAP_NO_ERROR) {
		*cause = imap_session_error(c->s, "cannot list the messages on the server", rc);
		return -1;
	}
	for (it = clist_begin(result); it; it = clist_next(it)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			server = xrealloc(server, cap * sizeof(*server));
		}
		server[n++] = *(uint32_t *)clist_content(it);
	}
	mailimap_search_result_free(result);
	if (n)
		qsort(server, n, sizeof(*server), sync_ulong_cmp);
	rc = store_begin(c->st, cause);
	for (size_t i = 0; rc == 0 && i < c->local.n; i++) {
		unsigned long uid = c->local.v[i].uid;
		if (n && bsearch(&uid, server, n, sizeof(*server), sync_ulong_cmp))
			continue;
		/* the server's expunge wins */
		if (store_remove_file(c->st, c->local.v[i].path, cause) < 0)
			rc = -1;
		else
			c->stats->expunged++;
	}
	if (rc == 0)
		rc = store_commit(c->st, cause);
	free(server);
	return rc;
}

/* Step 3: new messages, newest first. */
static int sync_new(struct sync_ctx *c, unsigned exists, char **cause)
{
	unsigned long hi = exists, chunk = SYNC_FIRST_CHUNK;
	size_t have = c->local.n;
	int rc = 0;

	while (hi >= 1 && have < exists && rc == 0) {
		unsigned long lo = hi > chunk ? hi - chunk + 1 : 1;
		struct mailimap_fetch_type *ft;
		struct mailimap_set *set;
		clist *result = NULL;
		unsigned long *missing = NULL;
		size_t nmissing = 0;
		clistiter *it;

		if (c->local.n == 0) {
			/* nothing local: fetch the headers of the range directly */
			set = sync_set(lo, hi);
			ft = sync_fetch_type(true, false);
			rc = mailimap_fetch(c->s->imap, set, ft, &result);
			c->s->round_trips++;
			mailimap_fetch_type_free(ft);
			mailimap_set_free(set);
			if (rc != MAILIMAP_NO_ERROR) {
				*cause = imap_session_error(c->s, "cannot fetch new messages", rc);
				return -1;
			}
			have += (size_t)clist_count(result);
			rc = sync_store_headers(c, result, cause);
			mailimap_fetch_list_free(result);
		} else {
			/* which UIDs are these? fetch headers of the unknown ones only */
			set = sync_set(lo, hi);
			ft = mailimap_fetch_type_new_fetch_att(mailimap_fetch_att_new_uid());
			rc = mailimap_fetch(c->s->imap, set, ft, &result);
			c->s->round_trips++;
			mailimap_fetch_type_free(ft);
			mailimap_set_free(set);
			if (rc != MAILIMAP_NO_ERROR) {
				*cause = imap_session_error(c->s, "cannot fetch new messages", rc);
				return -1;
			}
			missing = xcalloc((size_t)clist_count(result) + 1, sizeof(*missing));
			for (it = clist_begin(result); it; it = clist_next(it)) {
				struct sync_msg m;
				sync_parse(clist_content(it), &m);
				if (m.uid && !store_uids_find(&c->local, m.uid))
					missing[nmissing++] = m.uid;
			}
			mailimap_fetch_list_free(result);
			result = NULL;
			if (nmissing) {
				qsort(missing, nmissing, sizeof(*missing), sync_ulong_cmp);
				set = sync_uid_set(missing, nmissing);
				ft = sync_fetch_type(true, false);
				rc = mailimap_uid_fetch(c->s->imap, set, ft, &result);
				c->s->round_trips++;
				mailimap_fetch_type_free(ft);
				mailimap_set_free(set);
				if (rc != MAILIMAP_NO_ERROR) {
					*cause = imap_session_error(c->s, "cannot fetch new messages", rc);
					free(missing);
					return -1;
				}
				have += nmissing;
				rc = sync_store_headers(c, result, cause);
				mailimap_fetch_list_free(result);
			}
			free(missing);
		}
		if (lo == 1)
			break;
		hi = lo - 1;
		chunk = chunk * 4 > SYNC_MAX_CHUNK ? SYNC_MAX_CHUNK : chunk * 4;
	}
	return rc;
}

/* The flags of FETCH answers onto the messages the store has. */
static int sync_apply_flags(struct sync_ctx *c, clist *result, char **cause)
{
	clistiter *it;
	int rc = store_begin(c->st, cause);

	for (it = clist_begin(result); rc == 0 && it; it = clist_next(it)) {
		struct sync_msg m;
		struct store_uid *u;

		sync_parse(clist_content(it), &m);
		u = m.uid && m.has_flags ? store_uids_find(&c->local, m.uid) : NULL;
		if (!u)
			continue;
		if (strcmp(store_keywords_get(&c->kw, m.uid), m.keywords) != 0 &&
		    sync_keywords_apply(c, m.uid, u->path, NULL, m.keywords, cause) < 0) {
			rc = -1;
			break;
		}
		/* flags merge: the server's word for what it reports changed */
		if (strcmp(u->flags, m.flags) == 0)
			continue;
		if (store_set_flags(c->st, u->path, m.flags, cause) < 0)
			rc = -1;
		else
			c->stats->flags_changed++;
	}
	if (rc == 0)
		rc = store_commit(c->st, cause);
	return rc;
}

/* Step 2 with QRESYNC: drop the local messages the server said VANISHED. */
static int sync_vanished(struct sync_ctx *c, const struct imap_qresync *q, char **cause)
{
	int rc;

	if (q->nvanished == 0 || c->local.n == 0)
		return 0;
	rc = store_begin(c->st, cause);
	for (size_t i = 0; rc == 0 && i < c->local.n; i++) {
		unsigned long uid = c->local.v[i].uid;
		size_t lo = 0, hi = q->nvanished;

		/* the ranges are sorted and disjoint: the last one starting at
		 * or below uid is the only one that can hold it */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (q->vanished[mid].lo <= uid)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0 || uid > q->vanished[lo - 1].hi)
			continue;
		if (store_remove_file(c->st, c->local.v[i].path, cause) < 0)
			rc = -1;
		else
			c->stats->expunged++;
	}
	if (rc == 0)
		rc = store_commit(c->st, cause);
	return rc;
}

/* Step 4: flags of the messages the store already had. */
static int sync_flags_known(struct sync_ctx *c, uint64_t since, char **cause)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *result = NULL;
	int rc;

	if (c->local.n == 0)
		return 0;
	set = sync_set(c->local.v[0].uid, c->local.v[c->local.n - 1].uid);
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_flags());
	if (since)
		rc = mailimap_uid_fetch_changedsince(c->s->imap, set, ft, since, &result);
	else
		rc = mailimap_uid_fetch(c->s->imap, set, ft, &result);
	c->s->round_trips++;
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (rc != MAILIMAP_NO_ERROR) {
		*cause = imap_session_error(c->s, "cannot fetch flags", rc);
		return -1;
	}
	rc = sync_apply_flags(c, result, cause);
	mailimap_fetch_list_free(result);
	return rc;
}

int imap_fetch_body(struct imap_session *s, struct store *st, const struct imap_folder *f,
		    const char *path, unsigned long uid, char **cause)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *result = NULL;
	struct sync_msg m = { 0 };
	int rc;

	if (!s->selected || strcmp(s->selected, f->name) != 0) {
		/* read-only: fetching a body must not change anything */
		rc = mailimap_examine(s->imap, f->name);
		s->round_trips++;
		if (rc != MAILIMAP_NO_ERROR) {
			*cause = imap_session_error(s, "cannot open the folder", rc);
			return -1;
		}
		xstrset(&s->selected, f->name);
	}
	set = sync_set(uid, uid);
	ft = sync_fetch_type(false, true);
	rc = mailimap_uid_fetch(s->imap, set, ft, &result);
	s->round_trips++;
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (rc != MAILIMAP_NO_ERROR) {
		*cause = imap_session_error(s, "cannot fetch the message", rc);
		return -1;
	}
	if (clist_begin(result))
		sync_parse(clist_content(clist_begin(result)), &m);
	if (!m.body) {
		*cause = xasprintf("the server no longer has message UID %lu", uid);
		rc = -1;
	} else if ((rc = store_begin(st, cause)) == 0) {
		rc = store_replace_partial(st, path, m.body, m.body_len, cause);
		char *why = NULL;
		if (store_commit(st, &why) < 0 && rc == 0) {
			*cause = why;
			rc = -1;
		} else {
			free(why);
		}
	}
	mailimap_fetch_list_free(result);
	return rc;
}

/* Step 5: bodies of recent header-only messages, newest first. */
static int sync_prefetch(struct sync_ctx *c, char **cause)
{
	const struct account *a = c->s->account;
	unsigned long window = config_get_duration(a, OPTION_PREFETCH);
	unsigned long long maxsize = 0;
	struct store_uids now;
	int rc = 0;

	if (!window)
		return 0;
	option_parse_size(config_get(a, OPTION_PREFETCH_MAX_SIZE), &maxsize);
	if (store_uids(c->st, c->account, c->f->local, &now, cause) < 0)
		return -1;
	/* newest first: highest UID first */
	for (size_t i = now.n; i-- > 0 && rc == 0;) {
		struct store_msg_info info;
		bool want;

		if (store_message_info(c->st, now.v[i].path, &info) < 0)
			continue;
		want = info.partial && info.size_hint <= maxsize &&
		       !(info.date && info.date < time(NULL) - (time_t)window);
		free(info.id);
		if (!want)
			continue;
		rc = imap_fetch_body(c->s, c->st, c->f, now.v[i].path, now.v[i].uid, cause);
		if (rc == 0)
			c->stats->bodies++;
	}
	store_uids_free(&now);
	return rc;
}

/* Whole messages kept aside when the server renumbered a folder. */
struct sync_recover {
	char **id, **path;
	size_t n;
};

static void sync_recover_note(struct sync_recover *r, const char *id, const char *path)
{
	r->id = xrealloc(r->id, (r->n + 1) * sizeof(*r->id));
	r->path = xrealloc(r->path, (r->n + 1) * sizeof(*r->path));
	r->id[r->n] = xstrdup(id);
	r->path[r->n++] = xstrdup(path);
}

static void sync_recover_free(struct sync_recover *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->id[i]);
		free(r->path[i]);
	}
	free(r->id);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

/* After the renumbered folder's headers came again: a kept message the
 * server still has gives its body to the new header-only copy (no second
 * download) and leaves the recovery folder; one it no longer has stays
 * there, counted in stats->recovered, so nothing that was here is lost. */
static int sync_recover(struct sync_ctx *c, struct sync_recover *r, char **cause)
{
	int rc;

	/* the folder's files as they are now, after the headers came again */
	store_uids_free(&c->local);
	if (store_uids(c->st, c->account, c->f->local, &c->local, cause) < 0)
		return -1;
	rc = store_begin(c->st, cause);

	for (size_t i = 0; rc == 0 && i < r->n; i++) {
		bool placed = false;

		for (size_t k = 0; k < c->local.n && !placed; k++) {
			struct store_msg_info info = { 0 };
			/* the index's partial mark is the message's, and the kept
			 * copy is the same message: match by id alone */
			if (store_message_info(c->st, c->local.v[k].path, &info) == 0 && info.id &&
			    strcmp(info.id, r->id[i]) == 0) {
				size_t len;
				char *why = NULL, *data = store_read_file(r->path[i], SYNC_BODY_MAX,
									  &len, &why);
				if (data && store_replace_partial(c->st, c->local.v[k].path, data, len,
								  &why) == 0 &&
				    store_remove_file(c->st, r->path[i], &why) == 0)
					placed = true;
				if (why)
					log_debug("imap: %s: keeping %s in %s: %s", c->f->name, r->id[i],
						  IMAP_RECOVERY_FOLDER, why);
				free(why);
				free(data);
			}
			free(info.id);
		}
		if (!placed)
			c->stats->recovered++;
	}
	if (rc == 0)
		rc = store_commit(c->st, cause);
	return rc;
}

int imap_sync_folder(struct imap_session *s, struct store *st, const char *account,
		     const struct imap_folder *f, bool headers_only, struct imap_sync_stats *stats,
		     imap_progress_fn *progress, void *arg, char **cause)
{
	struct sync_ctx c = { s, st, account, f, { NULL, 0 }, { NULL, 0 }, false, stats, progress,
			      arg };
	struct sync_recover recover = { 0 };
	struct imap_qresync qr = { 0 };
	struct store_state state, old;
	struct mailimap_selection_info *sel;
	bool condstore = mailimap_has_condstore(s->imap);
	uint64_t modseq = 0;
	unsigned exists = 0;
	int rc = 0;

	memset(stats, 0, sizeof(*stats));
	if (store_folder_create(st, account, f->local, cause) < 0)
		return -1;
	if (store_state_load(st, account, f->local, &old, cause) < 0) {
		log_debug("imap: %s", *cause);
		FREE_NULL(*cause);
		memset(&old, 0, sizeof(old));
	}
	if (store_uids(st, account, f->local, &c.local, cause) < 0)
		return -1;
	if (store_keywords_load(st, account, f->local, &c.kw, cause) < 0) {
		log_debug("imap: %s", *cause);   /* the next full flag fetch tells again */
		FREE_NULL(*cause);
	}
	/* QRESYNC when the store has a state to resync from: the SELECT
	 * itself brings expunges and flag changes (PETREL_NO_QRESYNC=1 turns
	 * it off, for tests of the other path) */
	if (condstore && old.uidvalidity && old.highestmodseq && mailimap_has_qresync(s->imap) &&
	    !getenv("PETREL_NO_QRESYNC")) {
		rc = imap_qresync_select(s, f->name, (uint32_t)old.uidvalidity, old.highestmodseq,
					 c.local.n ? c.local.v[0].uid : 0,
					 c.local.n ? c.local.v[c.local.n - 1].uid : 0, &qr, cause);
		if (rc < 0)
			goto out;
		modseq = qr.highestmodseq;
	}
	if (!qr.done) {
		rc = condstore ? mailimap_select_condstore(s->imap, f->name, &modseq)
			       : mailimap_select(s->imap, f->name);
		s->round_trips++;
		if (rc != MAILIMAP_NO_ERROR) {
			*cause = imap_session_error(s, "cannot open the folder", rc);
			rc = -1;
			goto out;
		}
		xstrset(&s->selected, f->name);
	}
	sel = s->imap->imap_selection_info;
	exists = sel->sel_exists;
	stats->exists = exists;
	state.uidvalidity = sel->sel_uidvalidity;
	state.uidnext = sel->sel_uidnext;
	state.highestmodseq = modseq;

	if (old.uidvalidity && old.uidvalidity != state.uidvalidity) {
		/* The server renumbered the folder: what we have under the old
		 * numbers means nothing now.  Fetch it all again. */
		stats->uidvalidity_changed = true;
		log_debug("imap: %s: UIDVALIDITY changed %llu -> %llu", f->name,
			  old.uidvalidity, state.uidvalidity);
		/* header-only copies go; whole messages wait in the recovery
		 * folder until the new numbering is known (sync_recover) */
		rc = store_begin(st, cause);
		for (size_t i = 0; rc == 0 && i < c.local.n; i++) {
			struct store_msg_info info = { 0 };
			char *kept = NULL;
			if (store_message_info(st, c.local.v[i].path, &info) == 0 && !info.partial &&
			    info.id) {
				char *rf = xasprintf("%s/%s", IMAP_RECOVERY_FOLDER, f->local);
				rc = store_folder_create(st, account, rf, cause);
				if (rc == 0)
					rc = store_move_file(st, c.local.v[i].path, account, rf, &kept,
							     cause);
				free(rf);
				if (rc == 0)
					sync_recover_note(&recover, info.id, kept);
				free(kept);
			} else {
				rc = store_remove_file(st, c.local.v[i].path, cause);
			}
			free(info.id);
		}
		if (rc == 0)
			rc = store_commit(st, cause);
		store_uids_free(&c.local);
		if (rc < 0)
			goto out;
		memset(&old, 0, sizeof(old));
		/* keywords by the old numbers mean nothing either */
		store_keywords_free(&c.kw);
		c.kw_dirty = true;
		/* the server sent nothing for the old numbers; nothing to apply */
		imap_qresync_release(&qr);
	}
	if (old.uidvalidity == state.uidvalidity && old.uidnext == state.uidnext &&
	    exists == c.local.n && condstore && modseq && old.highestmodseq == modseq) {
		stats->unchanged = true;
		goto bodies;
	}
	if (qr.done) {
		/* expunges and flag changes came with the SELECT */
		rc = sync_vanished(&c, &qr, cause);
		if (rc == 0 && qr.fetch)
			rc = sync_apply_flags(&c, qr.fetch, cause);
		if (rc < 0)
			goto out;
		log_debug("imap: %s: QRESYNC: %zu VANISHED ranges, %u expunged, %u flag changes, "
			  "no UID SEARCH", f->name, qr.nvanished, stats->expunged, stats->flags_changed);
		store_uids_free(&c.local);
		if (store_uids(st, account, f->local, &c.local, cause) < 0) {
			rc = -1;
			goto out;
		}
	}
	/* Without QRESYNC, a changed count or UIDNEXT means a UID SEARCH for
	 * expunges; with it, only if the store still has more than the server
	 * (which a correct server never causes: a safety net) */
	if (c.local.n && (qr.done ? c.local.n > exists
				  : (exists < c.local.n || old.uidnext != state.uidnext ||
				     old.uidvalidity != state.uidvalidity))) {
		if (qr.done)
			log_debug("imap: %s: %zu local after QRESYNC but %u on the server: "
				  "UID SEARCH to be sure", f->name, c.local.n, exists);
		else
			log_debug("imap: %s: no QRESYNC: UID SEARCH ALL for expunges", f->name);
		rc = sync_expunges(&c, cause);
		if (rc < 0)
			goto out;
		store_uids_free(&c.local);
		if (store_uids(st, account, f->local, &c.local, cause) < 0)
			return -1;
	}
	rc = sync_new(&c, exists, cause);
	if (rc < 0)
		goto out;
	if (!qr.done) {
		rc = sync_flags_known(&c, condstore && old.uidvalidity == state.uidvalidity
						  ? old.highestmodseq : 0, cause);
		if (rc < 0)
			goto out;
	}
	if (c.kw_dirty && (rc = store_keywords_save(st, account, f->local, &c.kw, cause)) < 0)
		goto out;
	c.kw_dirty = false;
	rc = store_state_save(st, account, f->local, &state, cause);
	if (rc < 0)
		goto out;
	if (recover.n && (rc = sync_recover(&c, &recover, cause)) < 0)
		goto out;
bodies:
	if (!headers_only)
		rc = sync_prefetch(&c, cause);
out:
	imap_qresync_release(&qr);
	store_uids_free(&c.local);
	store_keywords_free(&c.kw);
	sync_recover_free(&recover);
	log_debug("imap: %s: %u on server, %u new, %u flag changes, %u expunged, %u bodies, "
		  "%u round trips so far", f->name, exists, stats->new_headers, stats->flags_changed,
		  stats->expunged, stats->bodies, s->round_trips);
	return rc;
}

static int sync_ulong_rcmp(const void *a, const void *b)
{
	return sync_ulong_cmp(b, a);
}

int imap_search_folder(struct imap_session *s, struct store *st, const char *account,
		       const struct imap_folder *f, const char *query, unsigned limit,
		       void (*found)(const char *path, void *arg), void *arg, char **cause)
{
	struct imap_sync_stats stats = { 0 };
	struct sync_ctx c = { s, st, account, f, { NULL, 0 }, { NULL, 0 }, false, &stats, NULL,
			      NULL };
	struct store_state old, now = { 0 };
	struct mailimap_search_key *key;
	clist *result = NULL;
	unsigned long *uids = NULL, *missing = NULL;
	size_t n = 0, nmissing = 0;
	clistiter *it;
	bool utf8;
	int rc = -1;

	if (!(key = imap_search_key(query, &utf8, cause)))
		return -2;
	if (!s->selected || strcmp(s->selected, f->name) != 0) {
		FREE_NULL(s->selected);
		rc = mailimap_select(s->imap, f->name);
		s->round_trips++;
		if (rc != MAILIMAP_NO_ERROR) {
			*cause = imap_session_error(s, "cannot open the folder", rc);
			mailimap_search_key_free(key);
			return -1;
		}
		xstrset(&s->selected, f->name);
	}
	now.uidvalidity = s->imap->imap_selection_info->sel_uidvalidity;
	if (store_state_load(st, account, f->local, &old, cause) < 0) {
		FREE_NULL(*cause);
		memset(&old, 0, sizeof(old));
	}
	if (old.uidvalidity && old.uidvalidity != now.uidvalidity) {
		*cause = xstrdup("the server renumbered this folder since the last sync; sync it "
				 "first (petrel sync --folder)");
		mailimap_search_key_free(key);
		return -1;
	}
	rc = mailimap_uid_search(s->imap, utf8 ? "UTF-8" : NULL, key, &result);
	s->round_trips++;
	mailimap_search_key_free(key);
	if (rc != MAILIMAP_NO_ERROR) {
		*cause = imap_session_error(s, "the server could not search", rc);
		return -1;
	}
	uids = xcalloc((size_t)clist_count(result) + 1, sizeof(*uids));
	for (it = clist_begin(result); it; it = clist_next(it))
		uids[n++] = *(uint32_t *)clist_content(it);
	mailimap_search_result_free(result);
	result = NULL;
	qsort(uids, n, sizeof(*uids), sync_ulong_rcmp);
	if (limit && n > limit)
		n = limit;
	rc = -1;
	if (store_folder_create(st, account, f->local, cause) < 0 ||
	    store_uids(st, account, f->local, &c.local, cause) < 0)
		goto out;
	/* a folder never synced remembers its numbering from now on */
	if (!old.uidvalidity && n && store_state_save(st, account, f->local, &now, cause) < 0)
		goto out;
	missing = xcalloc(n + 1, sizeof(*missing));
	for (size_t i = 0; i < n; i++)
		if (!store_uids_find(&c.local, uids[i]))
			missing[nmissing++] = uids[i];
	qsort(missing, nmissing, sizeof(*missing), sync_ulong_cmp);
	for (size_t i = 0; i < nmissing; i += SYNC_MAX_CHUNK) {
		size_t k = nmissing - i > SYNC_MAX_CHUNK ? SYNC_MAX_CHUNK : nmissing - i;
		struct mailimap_set *set = sync_uid_set(missing + i, k);
		struct mailimap_fetch_type *ft = sync_fetch_type(true, false);

		rc = mailimap_uid_fetch(s->imap, set, ft, &result);
		s->round_trips++;
		mailimap_fetch_type_free(ft);
		mailimap_set_free(set);
		if (rc != MAILIMAP_NO_ERROR) {
			*cause = imap_session_error(s, "cannot fetch what the search found", rc);
			rc = -1;
			goto out;
		}
		rc = sync_store_headers(&c, result, cause);
		mailimap_fetch_list_free(result);
		result = NULL;
		if (rc < 0)
			goto out;
	}
	store_uids_free(&c.local);
	if (store_uids(st, account, f->local, &c.local, cause) < 0) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct store_uid *e = store_uids_find(&c.local, uids[i]);
		if (e)
			found(e->path, arg);
	}
	rc = 0;
out:
	store_uids_free(&c.local);
	store_keywords_free(&c.kw);
	free(missing);
	free(uids);
	return rc;
}
