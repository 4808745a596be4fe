/*
 * The lazy window of message rows behind the index: a folder of 100,000
 * messages is never loaded whole.  The window holds a contiguous run of the
 * list (newest first) around what is on screen, and grows a page at a time
 * by date: "older than the last row" is the query AND date:@0..@LAST (not
 * date:..@LAST, which leaves out messages without a Date, dated 0 by
 * notmuch), "newer than the first" is AND date:@FIRST.. sorted oldest first.  Rows sharing a
 * date at the edge are told apart by message id, so none is lost or shown
 * twice whatever order notmuch gives ties.  Rows far from where the user
 * is are dropped, so memory stays flat however far one scrolls.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mime/mime.h"
#include "ui/private.h"

#define ROWS_PAGE 200      /* rows loaded per step */
#define ROWS_KEEP 2000     /* at most this many kept */

char *ui_rows_and(const char *a, const char *b)
{
	/* notmuch takes "*" alone only, not inside an expression */
	if (strcmp(a, "*") == 0)
		return xstrdup(b);
	return xasprintf("(%s) and (%s)", a, b);
}

static void rows_row_release(struct ui_row *r)
{
	free(r->id);
	free(r->path);
	free(r->account);
	free(r->folder);
	free(r->thread);
	free(r->from);
	free(r->to);
	free(r->subject);
}

static void rows_clear(struct ui_rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		rows_row_release(&r->v[i]);
	r->n = 0;
}

static void rows_open_free(struct ui_rows *r)
{
	for (size_t i = 0; i < r->n_open; i++)
		free(r->open[i]);
	FREE_NULL(r->open);
	r->n_open = 0;
}

void ui_rows_release(struct ui_rows *r)
{
	rows_clear(r);
	free(r->v);
	free(r->query);
	rows_open_free(r);
	memset(r, 0, sizeof(*r));
}

/* What a query returns, in its order. */
struct rows_batch {
	struct ui_row *v;
	size_t n, cap;
	size_t seen;                  /* what the store returned, skipped ones too */
	const struct ui_rows *skip;   /* ids already in this window are skipped */
	time_t skip_date;             /* ... only those of this date need checking */
};

static bool rows_has(const struct ui_rows *r, const char *id, time_t date)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].date == date && strcmp(r->v[i].id, id) == 0)
			return true;
	return false;
}

static void rows_collect(const struct store_msg *m, void *arg)
{
	struct rows_batch *b = arg;
	struct ui_row *row;

	b->seen++;
	if (b->skip && m->date == b->skip_date && rows_has(b->skip, m->id, m->date))
		return;
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
	}
	row = &b->v[b->n++];
	memset(row, 0, sizeof(*row));
	row->id = xstrdup(m->id);
	row->path = xstrdup(m->path ? m->path : "");
	row->account = xstrdup(m->account ? m->account : "");
	row->folder = xstrdup(m->folder ? m->folder : "");
	row->from = ui_from_name(m->from);
	row->to = ui_from_name(m->to);
	row->subject = ui_header_text(m->subject);
	row->date = m->date;
	row->size = m->size;
	row->flags = (m->unread ? UI_ROW_UNREAD : 0) | (m->flagged ? UI_ROW_FLAGGED : 0) |
		     (m->replied ? UI_ROW_REPLIED : 0) | (m->passed ? UI_ROW_PASSED : 0) |
		     (m->draft ? UI_ROW_DRAFT : 0) | (m->deleted ? UI_ROW_DELETED : 0) |
		     (m->partial ? UI_ROW_PARTIAL : 0);
}

static void rows_batch_free(struct rows_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		rows_row_release(&b->v[i]);
	free(b->v);
}

/* How many loaded rows share the date of the row at the edge (first or last). */
static size_t rows_ties(const struct ui_rows *r, bool last)
{
	size_t n = 0;

	if (!r->n)
		return 0;
	if (last)
		for (size_t i = r->n; i-- > 0 && r->v[i].date == r->v[r->n - 1].date;)
			n++;
	else
		for (size_t i = 0; i < r->n && r->v[i].date == r->v[0].date; i++)
			n++;
	return n;
}

static void rows_reserve(struct ui_rows *r, size_t n)
{
	if (r->cap < n) {
		r->cap = n + ROWS_PAGE;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
}

/* Drops rows so that at most ROWS_KEEP stay, keeping position keep. */
static void rows_trim(struct ui_rows *r, size_t keep)
{
	size_t lo, drop;

	if (r->n <= ROWS_KEEP)
		return;
	if (keep < r->base)
		keep = r->base;
	lo = keep - r->base > ROWS_KEEP / 2 ? keep - r->base - ROWS_KEEP / 2 : 0;
	if (lo + ROWS_KEEP > r->n)
		lo = r->n - ROWS_KEEP;
	for (size_t i = 0; i < lo; i++)
		rows_row_release(&r->v[i]);
	for (size_t i = lo + ROWS_KEEP; i < r->n; i++)
		rows_row_release(&r->v[i]);
	memmove(r->v, r->v + lo, ROWS_KEEP * sizeof(*r->v));
	drop = r->n - ROWS_KEEP - lo;
	r->base += lo;
	if (lo)
		r->at_top = false;
	if (drop)
		r->at_bottom = false;
	r->n = ROWS_KEEP;
}

/* Appends the next page of older rows.  false on error or nothing more. */
static bool rows_older(struct ui_rows *r, struct store *s, size_t want)
{
	struct rows_batch b = { .skip = r };
	size_t ties = rows_ties(r, true);
	char *q, *bound, *cause = NULL;
	int rc;

	if (r->at_bottom)
		return false;
	if (r->n) {
		bound = xasprintf("date:@0..@%lld", (long long)r->v[r->n - 1].date);
		q = ui_rows_and(r->query, bound);
		free(bound);
		b.skip_date = r->v[r->n - 1].date;
	} else {
		q = xstrdup(r->query);
	}
	rc = store_query(s, q, (unsigned)(want + ties), STORE_NEWEST_FIRST, rows_collect, &b,
			 &cause);
	free(q);
	free(cause);
	if (rc < 0) {
		rows_batch_free(&b);
		return false;
	}
	if (b.seen < want + ties || b.n == 0)
		r->at_bottom = true;
	rows_reserve(r, r->n + b.n);
	if (b.n)  /* b.v may be NULL when empty */
		memcpy(r->v + r->n, b.v, b.n * sizeof(*b.v));
	r->n += b.n;
	free(b.v);
	return b.n > 0;
}

/* Prepends the previous page of newer rows. */
static bool rows_newer(struct ui_rows *r, struct store *s, size_t want)
{
	struct rows_batch b = { .skip = r };
	size_t ties = rows_ties(r, false);
	char *q, *bound, *cause = NULL;
	int rc;

	if (r->at_top || !r->n)
		return false;
	bound = xasprintf("date:@%lld..", (long long)r->v[0].date);
	q = ui_rows_and(r->query, bound);
	free(bound);
	b.skip_date = r->v[0].date;
	rc = store_query(s, q, (unsigned)(want + ties), STORE_OLDEST_FIRST, rows_collect, &b,
			 &cause);
	free(q);
	free(cause);
	if (rc < 0) {
		rows_batch_free(&b);
		return false;
	}
	if (b.seen < want + ties || b.n >= r->base)
		r->at_top = true;
	if (b.n > r->base)   /* the count was stale; positions restart at 0 */
		r->base = b.n;
	rows_reserve(r, r->n + b.n);
	memmove(r->v + b.n, r->v, r->n * sizeof(*r->v));
	for (size_t i = 0; i < b.n; i++)
		r->v[i] = b.v[b.n - 1 - i];
	r->n += b.n;
	r->base -= b.n;
	if (r->at_top)
		r->base = 0;
	free(b.v);
	return b.n > 0;
}

/* ---- thread mode ---- */

static bool rows_is_open(const struct ui_rows *r, const char *tid)
{
	for (size_t i = 0; i < r->n_open; i++)
		if (strcmp(r->open[i], tid) == 0)
			return true;
	return false;
}

struct rows_tload {
	struct ui_rows *r;
	struct rows_batch b;
	char *tid, *authors;
	unsigned matched, n_threads;
	bool open, unread, flagged;
};

static bool rows_thread_cb(const struct store_thread *t, void *arg)
{
	struct rows_tload *ld = arg;

	free(ld->tid);
	free(ld->authors);
	ld->tid = xstrdup(t->id);
	ld->authors = ui_header_text(t->authors ? t->authors : "");
	ld->matched = t->matched;
	ld->unread = t->unread;
	ld->flagged = t->flagged;
	ld->open = t->matched > 1 && rows_is_open(ld->r, t->id);
	ld->n_threads++;
	return ld->open;
}

static void rows_thread_msg(const struct store_msg *m, unsigned depth, void *arg)
{
	struct rows_tload *ld = arg;
	struct ui_row *row;
	char *subject;

	rows_collect(m, &ld->b);
	row = &ld->b.v[ld->b.n - 1];
	row->thread = xstrdup(ld->tid);
	if (ld->open) {
		/* the tree: the first message marked open, replies indented */
		subject = depth ? xasprintf("%*s> %s", (int)(depth > 8 ? 16 : depth * 2), "",
					    row->subject)
				: xasprintf("- %s", row->subject);
	} else if (ld->matched > 1) {
		/* closed: the thread's count, its authors, any unread or flag */
		subject = xasprintf("+ (%u) %s", ld->matched, row->subject);
		free(row->from);
		row->from = xstrdup(ld->authors);
		row->flags |= (ld->unread ? UI_ROW_UNREAD : 0) | (ld->flagged ? UI_ROW_FLAGGED : 0) |
			      UI_ROW_THREAD;
	} else {
		subject = xasprintf("  %s", row->subject);
	}
	free(row->subject);
	row->subject = subject;
}

/* Loads the first want threads (0: all) from the top. */
static int rows_threads_load(struct ui_rows *r, struct store *s, unsigned want, char **cause)
{
	struct rows_tload ld = { .r = r };
	int rc;

	rc = store_threads(s, r->query, 0, want, rows_thread_cb, rows_thread_msg, &ld, cause);
	free(ld.tid);
	free(ld.authors);
	if (rc < 0) {
		rows_batch_free(&ld.b);
		return -1;
	}
	rows_clear(r);
	free(r->v);
	r->v = ld.b.v;
	r->n = ld.b.n;
	r->cap = ld.b.cap;
	r->base = 0;
	r->at_top = true;
	r->threads_loaded = ld.n_threads;
	r->at_bottom = !want || ld.n_threads < want;
	if (r->at_bottom)
		r->threads_total = ld.n_threads;
	r->total = (unsigned)r->n + (r->threads_total > r->threads_loaded
					     ? r->threads_total - r->threads_loaded : 0);
	return 0;
}

static int rows_threads_open(struct ui_rows *r, struct store *s, size_t want, char **cause)
{
	if (store_count_threads(s, r->query, &r->threads_total, cause) < 0) {
		r->at_bottom = true;
		return -1;
	}
	return rows_threads_load(r, s, (unsigned)(want ? want : 1), cause);
}

long ui_rows_thread_toggle(struct ui_rows *r, struct store *s, size_t pos)
{
	const struct ui_row *row = ui_rows_at(r, s, pos);
	char *tid, *cause = NULL;
	bool was = false;

	if (!r->threads || !row || !row->thread)
		return -1;
	tid = xstrdup(row->thread);
	for (size_t i = 0; i < r->n_open; i++)
		if (strcmp(r->open[i], tid) == 0) {
			free(r->open[i]);
			r->open[i] = r->open[--r->n_open];
			was = true;
			break;
		}
	if (!was) {
		r->open = xrealloc(r->open, (r->n_open + 1) * sizeof(*r->open));
		r->open[r->n_open++] = xstrdup(tid);
	}
	if (rows_threads_load(r, s, r->threads_loaded, &cause) < 0) {
		free(cause);
		free(tid);
		return -1;
	}
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].thread && strcmp(r->v[i].thread, tid) == 0) {
			free(tid);
			return (long)i;
		}
	free(tid);
	return -1;
}

int ui_rows_open(struct ui_rows *r, struct store *s, const char *query, size_t want,
		 char **cause)
{
	struct rows_batch b = { 0 };
	bool threads = r->threads;
	char **open = r->open;
	size_t n_open = r->n_open;
	int rc;

	r->open = NULL;
	r->n_open = 0;
	ui_rows_release(r);
	r->threads = threads;
	r->open = open;
	r->n_open = n_open;
	r->query = xstrdup(query);
	r->at_top = true;
	if (!s) {
		r->at_bottom = true;
		return 0;
	}
	if (r->threads)
		return rows_threads_open(r, s, want, cause);
	if (store_count(s, query, &r->total, cause) < 0) {
		r->at_bottom = true;
		return -1;
	}
	rc = store_query(s, query, (unsigned)want, STORE_NEWEST_FIRST, rows_collect, &b, cause);
	if (rc < 0) {
		rows_batch_free(&b);
		r->at_bottom = true;
		return -1;
	}
	r->v = b.v;
	r->n = r->cap = b.n;
	r->at_bottom = b.n < want;
	if (r->at_bottom)
		r->total = (unsigned)b.n;
	return 0;
}

const struct ui_row *ui_rows_at(struct ui_rows *r, struct store *s, size_t i)
{
	if (!s)
		return i >= r->base && i < r->base + r->n ? &r->v[i - r->base] : NULL;
	if (r->threads) {
		/* threads load from the top, a page more at a time */
		while (i >= r->n && !r->at_bottom) {
			char *cause = NULL;
			if (rows_threads_load(r, s, r->threads_loaded + ROWS_PAGE, &cause) < 0) {
				free(cause);
				break;
			}
		}
		if (r->at_bottom)
			r->total = (unsigned)r->n;
		return i < r->n ? &r->v[i] : NULL;
	}
	while (i >= r->base + r->n) {
		size_t need = i - (r->base + r->n) + 1;
		if (!rows_older(r, s, need > ROWS_PAGE ? need + ROWS_PAGE / 2 : ROWS_PAGE))
			break;
		rows_trim(r, i);
	}
	while (i < r->base) {
		size_t need = r->base - i;
		if (!rows_newer(r, s, need > ROWS_PAGE ? need + ROWS_PAGE / 2 : ROWS_PAGE))
			break;
		rows_trim(r, i);
	}
	if (r->at_bottom && r->base + r->n != r->total)
		r->total = (unsigned)(r->base + r->n);
	if (i < r->base || i >= r->base + r->n)
		return NULL;
	return &r->v[i - r->base];
}

long ui_rows_last(struct ui_rows *r, struct store *s, size_t want)
{
	struct rows_batch b = { 0 };
	char *cause = NULL;

	if (!s || r->total == 0)
		return -1;
	if (r->at_bottom)
		return (long)r->total - 1;
	if (r->threads) {
		if (rows_threads_load(r, s, 0, &cause) < 0) {
			free(cause);
			return -1;
		}
		r->total = (unsigned)r->n;
		return r->n ? (long)r->n - 1 : -1;
	}
	if (store_query(s, r->query, (unsigned)want, STORE_OLDEST_FIRST, rows_collect, &b,
			&cause) < 0 || b.n == 0) {
		free(cause);
		rows_batch_free(&b);
		return -1;
	}
	rows_clear(r);
	rows_reserve(r, b.n);
	for (size_t i = 0; i < b.n; i++)
		r->v[i] = b.v[b.n - 1 - i];
	r->n = b.n;
	free(b.v);
	r->at_bottom = true;
	r->base = r->total >= r->n ? r->total - r->n : 0;
	r->at_top = r->base == 0;
	return (long)r->total - 1;
}

long ui_rows_find(const struct ui_rows *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].id, id) == 0)
			return (long)(r->base + i);
	return -1;
}

long ui_rows_reload(struct ui_rows *r, struct store *s, const char *id, time_t date,
		    size_t margin, char **cause)
{
	struct rows_batch older = { 0 }, newer = { 0 };
	char *q, *bound;
	unsigned above = 0;
	long pos = -1;

	if (!s) {
		rows_clear(r);
		r->total = 0;
		r->base = 0;
		r->at_top = r->at_bottom = true;
		return -1;
	}
	if (r->threads) {
		unsigned want = r->threads_loaded > margin ? r->threads_loaded : (unsigned)margin;
		if (store_count_threads(s, r->query, &r->threads_total, cause) < 0 ||
		    rows_threads_load(r, s, want, cause) < 0)
			return -1;
		return id ? ui_rows_find(r, id) : -1;
	}
	if (store_count(s, r->query, &r->total, cause) < 0)
		return -1;
	bound = xasprintf("date:@%lld..", (long long)date + 1);
	q = ui_rows_and(r->query, bound);
	free(bound);
	if (store_count(s, q, &above, cause) < 0 ||
	    store_query(s, q, (unsigned)margin, STORE_OLDEST_FIRST, rows_collect, &newer,
			cause) < 0) {
		free(q);
		rows_batch_free(&newer);
		return -1;
	}
	free(q);
	bound = xasprintf("date:@0..@%lld", (long long)date);
	q = ui_rows_and(r->query, bound);
	free(bound);
	if (store_query(s, q, (unsigned)margin, STORE_NEWEST_FIRST, rows_collect, &older,
			cause) < 0) {
		free(q);
		rows_batch_free(&newer);
		rows_batch_free(&older);
		return -1;
	}
	free(q);
	rows_clear(r);
	rows_reserve(r, newer.n + older.n);
	for (size_t i = 0; i < newer.n; i++)
		r->v[i] = newer.v[newer.n - 1 - i];
	if (older.n)  /* older.v may be NULL when empty */
		memcpy(r->v + newer.n, older.v, older.n * sizeof(*older.v));
	r->n = newer.n + older.n;
	r->base = above >= newer.n ? above - newer.n : 0;
	r->at_top = r->base == 0;
	r->at_bottom = older.n < margin;
	if (r->at_bottom)
		r->total = (unsigned)(r->base + r->n);
	free(newer.v);
	free(older.v);
	if (id)
		pos = ui_rows_find(r, id);
	if (pos < 0 && r->n)   /* it went away: where it was */
		pos = (long)(r->base + (newer.n < r->n ? newer.n : r->n - 1));
	return pos;
}

static long rows_seek_messages(struct ui_rows *r, struct store *s, size_t pos, const char *extra,
			       int dir, char **cause);

static int rows_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void rows_collect_id(const struct store_msg *m, void *arg)
{
	struct { char **v; size_t n; } *ids = arg;

	ids->v = xrealloc(ids->v, (ids->n + 1) * sizeof(*ids->v));
	ids->v[ids->n++] = xstrdup(m->id);
}

/* Thread mode: the next row after pos (dir 1) or before it (-1) whose
 * message matches extra, or a closed thread holding one. */
static long rows_threads_seek(struct ui_rows *r, struct store *s, size_t pos, const char *extra,
			      int dir, char **cause)
{
	struct { char **v; size_t n; } ids = { 0 };
	char *q = ui_rows_and(r->query, extra);
	long found = -1;

	if (store_query(s, q, 20000, STORE_NEWEST_FIRST, rows_collect_id, &ids, cause) < 0) {
		free(q);
		return -2;
	}
	qsort(ids.v, ids.n, sizeof(*ids.v), rows_cmp_str);
	for (long p = (long)pos + dir; ids.n && p >= 0 && found < 0; p += dir) {
		const struct ui_row *row = ui_rows_at(r, s, (size_t)p);
		if (!row)
			break;
		if (bsearch(&row->id, ids.v, ids.n, sizeof(*ids.v), rows_cmp_str)) {
			found = p;
		} else if (row->flags & UI_ROW_THREAD && row->thread &&
			   !strpbrk(row->thread, "\" ")) {
			char *tq = xasprintf("thread:%s and (%s)", row->thread, q), *why = NULL;
			unsigned n = 0;
			if (store_count(s, tq, &n, &why) == 0 && n)
				found = p;
			free(why);
			free(tq);
		}
	}
	for (size_t i = 0; i < ids.n; i++)
		free(ids.v[i]);
	free(ids.v);
	free(q);
	return found;
}

long ui_rows_seek(struct ui_rows *r, struct store *s, size_t pos, const char *extra, int dir,
		  char **cause)
{
	if (r->threads)
		return rows_threads_seek(r, s, pos, extra, dir, cause);
	return rows_seek_messages(r, s, pos, extra, dir, cause);
}

static long rows_seek_messages(struct ui_rows *r, struct store *s, size_t pos, const char *extra,
			       int dir, char **cause)
{
	const struct ui_row *cur = ui_rows_at(r, s, pos);
	struct rows_batch b = { 0 };
	char *q, *bound, *found_id = NULL;
	time_t found_date = 0;
	size_t ties = 0;
	long at;

	if (!cur)
		return -1;
	/* the cursor's own date: ties before it must be skipped */
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].date == cur->date)
			ties++;
	bound = dir > 0 ? xasprintf("date:@0..@%lld", (long long)cur->date)
			: xasprintf("date:@%lld..", (long long)cur->date);
	q = ui_rows_and(r->query, bound);
	free(bound);
	bound = ui_rows_and(q, extra);
	free(q);
	q = bound;
	if (store_query(s, q, (unsigned)(ties + 1), dir > 0 ? STORE_NEWEST_FIRST
							  : STORE_OLDEST_FIRST,
			rows_collect, &b, cause) < 0) {
		free(q);
		rows_batch_free(&b);
		return -2;
	}
	free(q);
	for (size_t i = 0; i < b.n; i++) {
		long p = ui_rows_find(r, b.v[i].id);
		if (b.v[i].date == cur->date && p >= 0 &&
		    (dir > 0 ? p <= (long)pos : p >= (long)pos))
			continue;   /* a tie on the cursor's side */
		found_id = xstrdup(b.v[i].id);
		found_date = b.v[i].date;
		break;
	}
	rows_batch_free(&b);
	if (!found_id)
		return -1;
	at = ui_rows_find(r, found_id);
	if (at < 0)
		at = ui_rows_reload(r, s, found_id, found_date, ROWS_PAGE, cause);
	free(found_id);
	return at < 0 ? -2 : at;
}
