/*
 * The guard in front of libetpan's mailmime_parse.  libetpan recurses once
 * per nested multipart or message and rescans a part's data at every level it
 * is nested in, and its header parser recurses once per nested "(".  Checked
 * on 1.9.4: 20,000 nested multiparts take 26 s; 200,000 "(" in a To: header
 * crash it.  petrel must survive any message, so before libetpan sees one:
 *
 * - every header line that can open a container (a Content-Type naming
 *   multipart or message) is counted, at any line start, whatever the
 *   structure: libetpan cannot nest deeper than twice that count.  Past
 *   GUARD_MAX_CONTAINERS, or once the bytes those containers could make
 *   libetpan rescan pass a budget, the input is cut at that line;
 * - comments nested deeper than libetpan may recurse are defused in a copy
 *   (the same bytes elsewhere), so bodies are still decoded from the
 *   original.
 *
 * The scan is one linear pass and is deliberately blind to MIME structure:
 * its bounds hold however libetpan reads the message.
 */
#include "mime/private.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	GUARD_MAX_CONTAINERS = 256,
	GUARD_MAX_COMMENT_DEPTH = 32,
};
/* Bytes libetpan may rescan: a few passes over a big message are normal. */
#define GUARD_MIN_BUDGET ((size_t)256 << 20)
#define GUARD_BUDGET_FACTOR 8

/* Does the header at data[pos..) (a "Content-Type" line and its
 * continuation lines) name a container type?  Its end goes to *endp. */
static bool guard_is_container(const char *data, size_t pos, size_t len, size_t *endp)
{
	size_t end = pos;

	for (;;) {
		const char *nl = memchr(data + end, '\n', len - end);

		if (!nl) {
			end = len;
			break;
		}
		end = (size_t)(nl - data) + 1;
		if (end >= len || (data[end] != ' ' && data[end] != '\t'))
			break;
	}
	*endp = end;
	for (size_t i = pos; i + 7 <= end; i++) {
		if ((data[i] | 0x20) == 'm' &&
		    ((i + 9 <= end && strncasecmp(data + i, "multipart", 9) == 0) ||
		     strncasecmp(data + i, "message", 7) == 0))
			return true;
	}
	return false;
}

/* Remembers the boundary a container header data[pos..end) declares. */
static void guard_boundary(struct mime_guard *g, const char *data, size_t pos, size_t end)
{
	struct strbuf v = STRBUF_INIT;
	char *b;

	if (g->nboundaries == MIME_GUARD_MAX_BOUNDARIES || end - pos > 4096)
		return;
	for (size_t i = pos + 12; i < end; i++)  /* past "content-type" */
		if (data[i] != '\r' && data[i] != '\n' && data[i] != '\0')
			strbuf_addch(&v, data[i]);
	b = mime_header_param(strbuf_str(&v), "boundary");
	strbuf_release(&v);
	if (b && *b && strlen(b) <= 200)
		g->boundaries[g->nboundaries++] = b;
	else
		free(b);
}

/* Defuses parentheses nested deeper than libetpan may recurse in the line
 * data[from..to), carrying the nesting depth across continuation lines. */
static void guard_parens(const char *data, size_t len, size_t from, size_t to, size_t *depth,
			 struct mime_guard *g)
{
	for (size_t i = from; i < to; i++) {
		if (data[i] == '(') {
			if (++*depth > GUARD_MAX_COMMENT_DEPTH) {
				if (!g->defused) {
					g->defused = xmalloc(len + 1);
					memcpy(g->defused, data, len);
					g->defused[len] = '\0';
				}
				g->defused[i] = '[';
			}
		} else if (data[i] == ')' && *depth > 0) {
			if ((*depth)-- > GUARD_MAX_COMMENT_DEPTH && g->defused)
				g->defused[i] = ']';
		}
	}
}

void mime_guard_scan(const char *data, size_t len, struct mime_guard *g)
{
	size_t budget = len > GUARD_MIN_BUDGET / GUARD_BUDGET_FACTOR ?
		len * GUARD_BUDGET_FACTOR : GUARD_MIN_BUDGET;
	size_t cost = 0, depth = 0, i = 0;

	memset(g, 0, sizeof(*g));
	g->len = len;
	while (i < g->len) {
		const char *nl = memchr(data + i, '\n', g->len - i);
		size_t eol = nl ? (size_t)(nl - data) + 1 : g->len, end;
		char c = data[i];

		if (c != ' ' && c != '\t')
			depth = 0;  /* a new logical line: comments cannot span it */
		if ((c | 0x20) == 'c' && g->len - i >= 12 &&
		    strncasecmp(data + i, "content-type", 12) == 0 &&
		    guard_is_container(data, i, g->len, &end)) {
			if (g->containers == GUARD_MAX_CONTAINERS || len - i > budget - cost) {
				g->len = i;
				g->cut = true;
				break;
			}
			g->containers++;
			cost += len - i;
			guard_boundary(g, data, i, end);
		}
		if (depth > 0 || memchr(data + i, '(', eol - i))
			guard_parens(data, len, i, eol, &depth, g);
		i = eol;
	}
}

void mime_guard_release(struct mime_guard *g)
{
	for (size_t i = 0; i < g->nboundaries; i++)
		free(g->boundaries[i]);
	free(g->defused);
	memset(g, 0, sizeof(*g));
}
