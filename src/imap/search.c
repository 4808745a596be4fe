/*
 * petrel search --server: a query in the words of petrel search (a subset
 * of notmuch's syntax) becomes an IMAP SEARCH key (RFC 3501 6.4.4), so the
 * server finds what the store does not hold.  What it finds is stored as
 * header-only messages (imap_search_folder in sync.c), like a sync would.
 *
 * Understood: words and "quoted phrases" (TEXT), from: to: cc: subject:
 * body:, is:/tag: unread, flagged, replied, deleted, draft,
 * date:YYYY-MM-DD..YYYY-MM-DD (either end may be left out), "and" (implied)
 * and "not".  No "or" and no parentheses: IMAP's OR is binary and rarely
 * what a terminal user types; the message says so.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/util.h"
#include "imap/private.h"

/* The next token of *p (a word, or a quoted phrase, also after a prefix:
 * from:"Ann Lee"), unquoted; NULL at the end. */
static char *search_token(const char **p)
{
	const char *s = *p;
	struct strbuf sb = STRBUF_INIT;
	bool quoted = false;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s) {
		*p = s;
		return NULL;
	}
	for (; *s && (quoted || (*s != ' ' && *s != '\t')); s++) {
		if (*s == '"')
			quoted = !quoted;
		else
			strbuf_addch(&sb, *s);
	}
	*p = s;
	return strbuf_detach(&sb);
}

/* "2026-11-02" (plus days: 1 for the day after, since BEFORE leaves its
 * own day out) to an IMAP date; NULL if it is not one. */
static struct mailimap_date *search_date(const char *s, size_t len, int days)
{
	int y, m, d, n = 0;
	char *copy = xstrndup(s, len);
	struct tm tm = { 0 };

	if (sscanf(copy, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || (size_t)n != len || m < 1 ||
	    m > 12 || d < 1 || d > 31 || y < 1900) {
		free(copy);
		return NULL;
	}
	free(copy);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d + days;
	tm.tm_hour = 12;
	if (timegm(&tm) == (time_t)-1)
		return NULL;
	return mailimap_date_new(tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900);
}

static struct mailimap_search_key *search_term(const char *t, char **cause)
{
	static const struct { const char *name; int kind; } flags[] = {
		{ "unread", MAILIMAP_SEARCH_KEY_UNSEEN }, { "flagged", MAILIMAP_SEARCH_KEY_FLAGGED },
		{ "replied", MAILIMAP_SEARCH_KEY_ANSWERED }, { "deleted", MAILIMAP_SEARCH_KEY_DELETED },
		{ "draft", MAILIMAP_SEARCH_KEY_DRAFT },
	};
	const char *colon = strchr(t, ':'), *v = colon ? colon + 1 : t;
	size_t plen = colon ? (size_t)(colon - t) : 0;

	if (colon && !*v) {
		*cause = xasprintf("'%s' has nothing after the colon", t);
		return NULL;
	}
	if (!colon)
		return mailimap_search_key_new_text(xstrdup(t));
#define PREFIX(p) (plen == strlen(p) && strncasecmp(t, p, plen) == 0)
	if (PREFIX("from"))
		return mailimap_search_key_new_from(xstrdup(v));
	if (PREFIX("to"))
		return mailimap_search_key_new_to(xstrdup(v));
	if (PREFIX("cc"))
		return mailimap_search_key_new_cc(xstrdup(v));
	if (PREFIX("subject"))
		return mailimap_search_key_new_subject(xstrdup(v));
	if (PREFIX("body"))
		return mailimap_search_key_new_body(xstrdup(v));
	if (PREFIX("is") || PREFIX("tag")) {
		for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
			if (strcasecmp(v, flags[i].name) == 0)
				return mailimap_search_key_new(flags[i].kind, NULL, NULL, NULL, NULL,
							       NULL, NULL, NULL, NULL, NULL, NULL,
							       NULL, NULL, NULL, NULL, 0, NULL,
							       NULL, NULL, NULL, NULL, NULL, 0,
							       NULL, NULL, NULL);
		*cause = xasprintf("the server knows no '%s' (it has unread, flagged, replied, "
				   "deleted, draft)", t);
		return NULL;
	}
	if (PREFIX("date")) {
		const char *dots = strstr(v, "..");
		struct mailimap_date *since = NULL, *until = NULL;
		clist *both;

		if (!dots || (dots == v && !dots[2])) {
			*cause = xasprintf("'%s': a date range is date:YYYY-MM-DD..YYYY-MM-DD", t);
			return NULL;
		}
		if ((dots > v && !(since = search_date(v, (size_t)(dots - v), 0))) ||
		    (dots[2] && !(until = search_date(dots + 2, strlen(dots + 2), 1)))) {
			if (since)
				mailimap_date_free(since);
			*cause = xasprintf("'%s': dates are YYYY-MM-DD", t);
			return NULL;
		}
		/* SENTSINCE/SENTBEFORE: the Date header, as notmuch's date: */
		if (!until)
			return mailimap_search_key_new_sentsince(since);
		if (!since)
			return mailimap_search_key_new_sentbefore(until);
		both = clist_new();
		clist_append(both, mailimap_search_key_new_sentsince(since));
		clist_append(both, mailimap_search_key_new_sentbefore(until));
		return mailimap_search_key_new_multiple(both);
	}
#undef PREFIX
	*cause = xasprintf("'%s': the server search understands words, \"phrases\", from:, to:, "
			   "cc:, subject:, body:, is:unread|flagged|replied|deleted|draft, "
			   "date:A..B and not", t);
	return NULL;
}

struct mailimap_search_key *imap_search_key(const char *query, bool *utf8, char **cause)
{
	const char *p = query;
	clist *all = clist_new();
	bool negate = false;
	char *t;

	*utf8 = false;
	for (const char *c = query; *c; c++)
		if ((unsigned char)*c >= 0x80)
			*utf8 = true;
	while ((t = search_token(&p))) {
		struct mailimap_search_key *k;

		if (strcasecmp(t, "and") == 0 || !*t) {
			free(t);
			continue;
		}
		if (strcasecmp(t, "not") == 0) {
			negate = !negate;
			free(t);
			continue;
		}
		if (strcasecmp(t, "or") == 0 || strpbrk(t, "()")) {
			*cause = xstrdup("the server search takes no 'or' and no parentheses: every "
					 "word must match (a local search, without --server, takes "
					 "both)");
			free(t);
			goto fail;
		}
		k = search_term(t, cause);
		free(t);
		if (!k)
			goto fail;
		if (negate)
			k = mailimap_search_key_new_not(k);
		negate = false;
		clist_append(all, k);
	}
	if (clist_isempty(all)) {
		*cause = xstrdup("nothing to search for");
		goto fail;
	}
	return mailimap_search_key_new_multiple(all);
fail:
	for (clistiter *it = clist_begin(all); it; it = clist_next(it))
		mailimap_search_key_free(clist_content(it));
	clist_free(all);
	return NULL;
}
