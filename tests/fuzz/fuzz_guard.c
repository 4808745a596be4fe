/*
 * The IMAP guard layer (src/net/guard.c) on arbitrary server bytes: what it
 * passes up is read back in input-chosen pieces and must (1) never hold a
 * NUL outside a literal or a status line that ends in a response code
 * (what crashes libetpan), and (2) come out unchanged when guarded again
 * (the guard's framing agrees with itself, so nothing it let through
 * changes meaning on a second look).  The first byte picks the sizes of
 * the reads from below and from above.
 */
#include <strings.h>

#include "core/util.h"
#include "net/net.h"
#include "tests/fuzz/memstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void guard_all(const uint8_t *data, size_t size, size_t below, size_t above,
		      struct strbuf *out)
{
	mailstream *s = fuzz_mem_stream(data, size, below);
	char buf[4096];

	net_stream_guard(s);
	for (;;) {
		ssize_t n = mailstream_low_read(mailstream_get_low(s), buf,
						above < sizeof(buf) ? above : sizeof(buf));
		if (n <= 0)
			break;
		strbuf_add(out, buf, (size_t)n);
	}
	mailstream_close(s);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether the line p[0..n) is a status response (blanks, then "+", or a
 * token and OK/NO/BAD/BYE/PREAUTH); *code whether its text is only "[...]". */
static bool status_line(const char *p, size_t n, bool *code)
{
	static const char *const conds[] = { "OK", "NO", "BAD", "BYE", "PREAUTH" };
	size_t i = 0, t, w, q = n;
	bool status = false;

	*code = false;
	while (i < n && blank(p[i]))
		i++;
	if (i < n && p[i] == '+') {
		t = i + 1;
		status = true;
	} else {
		while (i < n && !blank(p[i]))
			i++;
		while (i < n && blank(p[i]))
			i++;
		for (w = i; w < n && !blank(p[w]) && p[w] != '['; w++)
			;
		for (size_t c = 0; c < 5; c++)
			if (w > i && w - i == strlen(conds[c]) && strncasecmp(p + i, conds[c], w - i) == 0)
				status = true;
		t = w;
	}
	if (!status)
		return false;
	while (t < n && blank(p[t]))
		t++;
	while (q > t && blank(p[q - 1]))
		q--;
	*code = t < n && p[t] == '[' && q > t && p[q - 1] == ']';
	return true;
}

/* If the line p[0..n) ends with {N} or {N+}: N. */
static bool literal_at_end(const char *p, size_t n, unsigned long long *lit)
{
	size_t d;

	if (n < 3 || p[n - 1] != '}')
		return false;
	d = n - 1;
	if (p[d - 1] == '+')
		d--;
	if (d == 0 || p[d - 1] < '0' || p[d - 1] > '9')
		return false;
	while (d > 0 && p[d - 1] >= '0' && p[d - 1] <= '9')
		d--;
	if (d == 0 || p[d - 1] != '{')
		return false;
	*lit = 0;
	for (; p[d] >= '0' && p[d] <= '9'; d++)
		*lit = *lit > (1ull << 40) ? *lit : *lit * 10 + (unsigned long long)(p[d] - '0');
	return true;
}

/* Checks (1) on out with a framing of its own: lines, and literals only
 * after a line that is not a status response. */
static void check(const char *p, size_t len)
{
	size_t i = 0;
	bool start = true;

	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - p) : len, e = end;
		unsigned long long lit;
		bool code = false, status;

		if (e > i && p[e - 1] == '\r')
			e--;
		if (memchr(p + i, '\0', e - i))
			abort();
		if (!nl)
			break;   /* an unfinished line is never handed up whole */
		status = start && status_line(p + i, e - i, &code);
		if (code)
			abort();
		start = true;
		if (!status && literal_at_end(p + i, e - i, &lit)) {
			/* the guard follows no literal after a status line */
			if (lit > len - (end + 1))
				break;
			i = end + 1 + (size_t)lit;
			start = false;
			continue;
		}
		i = end + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf once = STRBUF_INIT, twice = STRBUF_INIT;
	size_t below, above;

	if (size < 1)
		return 0;
	below = 1 + (data[0] & 0x0f) * 37;
	above = 1 + (data[0] >> 4) * 53;
	guard_all(data + 1, size - 1, below, above, &once);
	check(once.buf ? once.buf : "", once.len);
	guard_all((const uint8_t *)(once.buf ? once.buf : ""), once.len, above, below, &twice);
	if (twice.len != once.len || (once.len && memcmp(once.buf, twice.buf, once.len) != 0))
		abort();
	strbuf_release(&once);
	strbuf_release(&twice);
	return 0;
}
