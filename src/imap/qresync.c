/*
 * QRESYNC (RFC 7162): one SELECT tells what changed since the last sync,
 * expunges (VANISHED (EARLIER) uid-set) and flag changes (FETCH with
 * MODSEQ), instead of a UID SEARCH ALL of the whole folder.
 *
 * libetpan's own mailimap_select_qresync sends a malformed SELECT (the
 * parameter list lacks its parentheses) that Dovecot answers with OK and no
 * VANISHED (LIBRARY-NOTES.md 4), so the command goes out raw through
 * mailimap_custom_command; libetpan's parser still reads the answer: every
 * VANISHED lands in the response's extension list, every FETCH in its fetch
 * list, EXISTS/UIDVALIDITY/UIDNEXT in the selection info.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "imap/private.h"

void imap_qresync_release(struct imap_qresync *q)
{
	free(q->vanished);
	if (q->fetch)
		mailimap_fetch_list_free(q->fetch);
	memset(q, 0, sizeof(*q));
}

/* Reads one tagged response for tag (and the untagged ones before it) into
 * libetpan's session state.  Returns a MAILIMAP_ code; OK is NO_ERROR. */
static int imap_qresync_response(struct imap_session *s, int tag)
{
	struct mailimap_response *resp = NULL;
	int rc, cond;

	/* libetpan checks the tag against its counter */
	s->imap->imap_tag = tag;
	if (!mailimap_read_line(s->imap))
		return MAILIMAP_ERROR_STREAM;
	rc = mailimap_parse_response(s->imap, &resp);
	if (rc != MAILIMAP_NO_ERROR)
		return rc;
	cond = resp->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type;
	mailimap_response_free(resp);
	return cond == MAILIMAP_RESP_COND_STATE_OK ? MAILIMAP_NO_ERROR : MAILIMAP_ERROR_CUSTOM_COMMAND;
}

/* Sends select (a QRESYNC SELECT), preceded by ENABLE QRESYNC the first time
 * in the session, both in one write: the server runs them in order, and a
 * warm sync of an unchanged folder stays at one round trip.  Reads both
 * answers; the SELECT's stays in libetpan's response and selection info. */
static int imap_qresync_send(struct imap_session *s, const char *select)
{
	mailstream *st = s->imap->imap_stream;
	int enable_tag = 0, rc;

	if (!s->qresync) {
		if ((rc = mailimap_send_current_tag(s->imap)) != MAILIMAP_NO_ERROR)
			return rc;
		enable_tag = s->imap->imap_tag;
		if (mailstream_write(st, "ENABLE QRESYNC\r\n", 16) != 16)
			return MAILIMAP_ERROR_STREAM;
	}
	if ((rc = mailimap_send_current_tag(s->imap)) != MAILIMAP_NO_ERROR)
		return rc;
	if (mailstream_write(st, select, strlen(select)) != (ssize_t)strlen(select) ||
	    mailstream_write(st, "\r\n", 2) != 2 || mailstream_flush(st) == -1)
		return MAILIMAP_ERROR_STREAM;
	s->round_trips++;
	if (enable_tag) {
		int select_tag = s->imap->imap_tag;

		rc = imap_qresync_response(s, enable_tag);
		if (rc == MAILIMAP_NO_ERROR)
			s->qresync = true;
		else if (rc == MAILIMAP_ERROR_STREAM || rc == MAILIMAP_ERROR_PARSE)
			return rc;
		else {
			log_debug("imap: ENABLE QRESYNC refused: %s", imap_session_said(s));
			s->qresync_refused = true;
		}
		s->imap->imap_tag = select_tag;
	}
	if (s->imap->imap_selection_info)
		mailimap_selection_info_free(s->imap->imap_selection_info);
	s->imap->imap_selection_info = mailimap_selection_info_new();
	if (!s->imap->imap_selection_info)
		BUG("out of memory in mailimap_selection_info_new");
	return imap_qresync_response(s, s->imap->imap_tag);
}

/* folder as an IMAP quoted string, or false if it needs a literal (control
 * or 8-bit characters: not in a modified UTF-7 name a sane server gives). */
static bool imap_qresync_quote(const char *name, struct strbuf *out)
{
	strbuf_addch(out, '"');
	for (const char *p = name; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch < 0x20 || ch > 0x7e)
			return false;
		if (ch == '"' || ch == '\\')
			strbuf_addch(out, '\\');
		strbuf_addch(out, (char)ch);
	}
	strbuf_addch(out, '"');
	return true;
}

static int imap_qresync_range_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Collects what the SELECT's answer held into q. */
static void imap_qresync_collect(struct imap_session *s, struct imap_qresync *q)
{
	struct mailimap_response_info *ri = s->imap->imap_response_info;
	size_t cap = 0;
	clistiter *it;

	if (!ri)
		return;
	for (it = clist_begin(ri->rsp_extension_list); it; it = clist_next(it)) {
		struct mailimap_extension_data *ext = clist_content(it);

		if (ext->ext_extension->ext_id == MAILIMAP_EXTENSION_CONDSTORE &&
		    ext->ext_type == MAILIMAP_CONDSTORE_TYPE_RESP_TEXT_CODE) {
			struct mailimap_condstore_resptextcode *rc = ext->ext_data;
			if (rc->cs_type == MAILIMAP_CONDSTORE_RESPTEXTCODE_HIGHESTMODSEQ)
				q->highestmodseq = rc->cs_data.cs_modseq_value;
		} else if (ext->ext_extension->ext_id == MAILIMAP_EXTENSION_QRESYNC &&
			   ext->ext_type == MAILIMAP_QRESYNC_TYPE_VANISHED) {
			struct mailimap_qresync_vanished *v = ext->ext_data;
			clistiter *si;

			if (!v || !v->qr_known_uids)
				continue;
			for (si = clist_begin(v->qr_known_uids->set_list); si; si = clist_next(si)) {
				struct mailimap_set_item *item = clist_content(si);
				/* libetpan writes '*' as 0 */
				unsigned long a = item->set_first ? item->set_first : ULONG_MAX;
				unsigned long b = item->set_last ? item->set_last : ULONG_MAX;

				if (q->nvanished == cap) {
					cap = cap ? cap * 2 : 16;
					q->vanished = xrealloc(q->vanished, cap * sizeof(*q->vanished));
				}
				q->vanished[q->nvanished].lo = a < b ? a : b;
				q->vanished[q->nvanished].hi = a < b ? b : a;
				q->nvanished++;
			}
		}
	}
	/* sorted and merged, so a lookup is a binary search */
	if (q->nvanished > 1) {
		size_t k = 0;
		qsort(q->vanished, q->nvanished, sizeof(*q->vanished), imap_qresync_range_cmp);
		for (size_t i = 1; i < q->nvanished; i++) {
			if (q->vanished[i].lo <= q->vanished[k].hi ||
			    q->vanished[i].lo == q->vanished[k].hi + 1) {
				if (q->vanished[i].hi > q->vanished[k].hi)
					q->vanished[k].hi = q->vanished[i].hi;
			} else {
				q->vanished[++k] = q->vanished[i];
			}
		}
		q->nvanished = k + 1;
	}
	/* the FETCH answers (flag changes) are ours now; libetpan frees the
	 * empty list with the response info */
	q->fetch = ri->rsp_fetch_list;
	ri->rsp_fetch_list = clist_new();
	if (!ri->rsp_fetch_list)
		BUG("out of memory in clist_new");
}

int imap_qresync_select(struct imap_session *s, const char *folder, uint32_t uidvalidity,
			uint64_t modseq, unsigned long lo, unsigned long hi, struct imap_qresync *q,
			char **cause)
{
	struct strbuf cmd = STRBUF_INIT;
	int rc;

	memset(q, 0, sizeof(*q));
	if (s->qresync_refused)
		return 0;   /* once per session is enough: the plain way, at once */
	strbuf_addstr(&cmd, "SELECT ");
	if (!imap_qresync_quote(folder, &cmd)) {
		strbuf_release(&cmd);
		return 0;
	}
	/* known-uids: only what the store has, so the server does not list
	 * every UID it ever expunged */
	strbuf_addf(&cmd, " (QRESYNC (%lu %llu", (unsigned long)uidvalidity,
		    (unsigned long long)modseq);
	if (lo && hi >= lo)
		strbuf_addf(&cmd, " %lu:%lu", lo, hi);
	strbuf_addstr(&cmd, "))");
	log_debug("imap: %s%s", s->qresync ? "" : "ENABLE QRESYNC, then ", strbuf_str(&cmd));
	FREE_NULL(s->selected);
	rc = imap_qresync_send(s, strbuf_str(&cmd));
	strbuf_release(&cmd);
	if (!s->qresync && rc != MAILIMAP_ERROR_STREAM) {
		/* ENABLE refused, so the SELECT was too: the caller selects the
		 * plain way */
		s->imap->imap_state = MAILIMAP_STATE_AUTHENTICATED;
		return 0;
	}
	if (rc != MAILIMAP_NO_ERROR) {
		/* a failed SELECT leaves no folder selected (RFC 3501 6.3.1) */
		s->imap->imap_state = MAILIMAP_STATE_AUTHENTICATED;
		*cause = imap_session_error(s, "cannot open the folder", rc);
		return -1;
	}
	s->imap->imap_state = MAILIMAP_STATE_SELECTED;
	xstrset(&s->selected, folder);
	imap_qresync_collect(s, q);
	q->done = true;
	return 0;
}

size_t imap_qresync_vanished_in_idle(struct imap_session *s)
{
	struct mailimap_response_info *ri = s->imap->imap_response_info;
	size_t n = 0;
	clistiter *it;

	for (it = ri ? clist_begin(ri->rsp_extension_list) : NULL; it; it = clist_next(it)) {
		struct mailimap_extension_data *ext = clist_content(it);
		if (ext->ext_extension->ext_id == MAILIMAP_EXTENSION_QRESYNC &&
		    ext->ext_type == MAILIMAP_QRESYNC_TYPE_VANISHED)
			n++;
	}
	return n;
}
