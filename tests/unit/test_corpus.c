/*
 * The corpus test: every message in the corpus folders given as arguments,
 * and a set of hostile messages generated here (too big to commit), goes
 * through everything src/mime offers -- mime_parse, mime_render (both
 * ways), mime_headers_summary, every part's info, decode and safe file name.
 * For each message it checks that nothing crashed, that it took less than
 * PETREL_CORPUS_MAX_MS milliseconds of CPU time (default 1000, or 3000 in a
 * build with AddressSanitizer, which is that much slower), and that the rendered
 * text is valid UTF-8 with no control characters but "\n" (no ESC, no C1,
 * no bidi overrides).  Messages listed in corpus_golden[] are compared with
 * CORPUS/golden/NAME.txt; PETREL_UPDATE_GOLDEN=1 rewrites those files.
 *
 * Usage: test_corpus CORPUS [OPTIONAL-CORPUS...]; an optional folder that
 * does not exist is skipped (shared/corpus is not part of the project).
 */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mime/private.h"

static const char *const corpus_golden[] = {
	"esc-encoded-headers", "bidi-filename", "alternative-related", "flowed",
	"rfc822-nested", "html-only", "traversal-filenames",
};

enum { CORPUS_TOP = 5 };

struct corpus_stats {
	int messages, failures;
	double top_ms[CORPUS_TOP];       /* the slowest messages, slowest first */
	char top[CORPUS_TOP][256];
	long max_ms;
	const char *golden_dir;
	bool update;
};

static void corpus_fail(struct corpus_stats *st, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void corpus_fail(struct corpus_stats *st, const char *name, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL %s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	st->failures++;
}

/* Returns NULL if s is safe terminal text, else what is wrong with it. */
static const char *corpus_unsafe(const char *s, size_t len, size_t *where)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t n = util_utf8_decode(p + i, len - i, &c);

		*where = i;
		if (n == 0)
			return "invalid UTF-8 (a raw 8-bit byte)";
		if (c == 0x1b)
			return "a raw ESC";
		if ((c < 0x20 && c != '\n') || c == 0x7f)
			return "a C0 control character";
		if (c >= 0x80 && c <= 0x9f)
			return "a C1 control character";
		if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
			return "a bidi control";
		i += n;
	}
	return NULL;
}

static void corpus_check_text(struct corpus_stats *st, const char *name, const char *what,
			      const char *s)
{
	size_t where;
	const char *bad = corpus_unsafe(s, strlen(s), &where);

	if (bad)
		corpus_fail(st, name, "%s has %s at byte %zu", what, bad, where);
}

static void corpus_summary_line(struct strbuf *sb, const char *key, const char *value)
{
	char *safe = sanitize_line(value ? value : "(none)");

	strbuf_addf(sb, "%s: %s\n", key, safe);
	free(safe);
}

/* Everything about one message as text: what the golden files hold. */
static char *corpus_exercise(struct corpus_stats *st, const char *name, const char *data,
			     size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	struct mime_message *m = mime_parse(data, len);
	struct mime_summary s;
	char *r0 = mime_render(m, 0), *r1 = mime_render(m, MIME_RENDER_ALL_HEADERS);

	corpus_check_text(st, name, "the rendered message", r0);
	corpus_check_text(st, name, "the rendered message with all headers", r1);
	strbuf_addstr(&sb, r0);
	mime_headers_summary(data, len, &s);
	strbuf_addstr(&sb, "==== summary\n");
	corpus_summary_line(&sb, "from", s.from);
	corpus_summary_line(&sb, "from_addr", s.from_addr);
	corpus_summary_line(&sb, "to", s.to);
	corpus_summary_line(&sb, "cc", s.cc);
	corpus_summary_line(&sb, "subject", s.subject);
	corpus_summary_line(&sb, "message_id", s.message_id);
	corpus_summary_line(&sb, "in_reply_to", s.in_reply_to);
	strbuf_addf(&sb, "references: %zu\ndate: %lld\n", s.n_references, (long long)s.date);
	corpus_summary_line(&sb, "content_type", s.content_type);
	mime_summary_release(&s);
	for (size_t i = 1; i <= mime_part_count(m); i++) {
		struct mime_part_info info;
		size_t dlen = 0;
		char *dec, *safe, *fname;

		if (!mime_part_info(m, (int)i, &info)) {
			corpus_fail(st, name, "no info for part %zu", i);
			continue;
		}
		dec = mime_part_decode(m, (int)i, &dlen);
		if (!dec || dlen != info.size)
			corpus_fail(st, name, "part %zu decodes to %zu bytes, info says %zu", i, dlen,
				    info.size);
		free(dec);
		safe = mime_safe_filename(info.filename, (int)i);
		if (strchr(safe, '/') || safe[0] == '.' || safe[0] == '-' || strlen(safe) > 100 ||
		    corpus_unsafe(safe, strlen(safe), &dlen))
			corpus_fail(st, name, "unsafe file name for part %zu", i);
		fname = sanitize_line(info.filename ? info.filename : "(none)");
		strbuf_addf(&sb, "part %zu: %s, %zu bytes, %s%s -> %s\n", i, info.type, info.size,
			    fname, info.is_attachment ? " (attachment)" : "", safe);
		free(fname);
		free(safe);
	}
	for (size_t i = 0; i < mime_note_count(m); i++) {
		char *note = sanitize_line(mime_note(m, i));

		strbuf_addf(&sb, "note: %s\n", note);
		free(note);
	}
	free(r0);
	free(r1);
	mime_message_free(&m);
	return strbuf_detach(&sb);
}

static bool corpus_is_golden(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(corpus_golden); i++)
		if (strcmp(corpus_golden[i], name) == 0)
			return true;
	return false;
}

static char *corpus_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	*len = sb.len;
	return strbuf_detach(&sb);
}

static void corpus_golden_check(struct corpus_stats *st, const char *name, const char *got)
{
	char *path = xasprintf("%s/%s.txt", st->golden_dir, name), *want;
	size_t wlen, line = 1, i;

	if (st->update) {
		FILE *f = fopen(path, "wb");

		if (!f || fputs(got, f) < 0 || fclose(f) != 0)
			corpus_fail(st, name, "cannot write %s", path);
		else
			printf("wrote %s\n", path);
		free(path);
		return;
	}
	want = corpus_slurp(path, &wlen);
	if (!want) {
		corpus_fail(st, name, "no golden file %s (PETREL_UPDATE_GOLDEN=1 makes it)", path);
	} else if (strcmp(want, got) != 0) {
		for (i = 0; want[i] && want[i] == got[i]; i++)
			line += want[i] == '\n';
		corpus_fail(st, name, "differs from %s at line %zu:\n--- want\n%.200s\n--- got\n%.200s",
			    path, line, want + i, got + i);
	}
	free(want);
	free(path);
}

/* CPU time, so that tests running in parallel do not make this one fail */
static double corpus_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void corpus_one(struct corpus_stats *st, const char *name, const char *data, size_t len,
		       bool golden)
{
	double t0 = corpus_now_ms(), ms;
	char *text = corpus_exercise(st, name, data, len);

	ms = corpus_now_ms() - t0;
	st->messages++;
	for (int i = 0; i < CORPUS_TOP; i++) {
		if (ms > st->top_ms[i]) {
			memmove(st->top_ms + i + 1, st->top_ms + i, (CORPUS_TOP - i - 1) * sizeof(double));
			memmove(st->top[i + 1], st->top[i], (CORPUS_TOP - i - 1) * sizeof(st->top[0]));
			st->top_ms[i] = ms;
			snprintf(st->top[i], sizeof(st->top[i]), "%s", name);
			break;
		}
	}
	if (ms > (double)st->max_ms)
		corpus_fail(st, name, "took %.0f ms (limit %ld ms)", ms, st->max_ms);
	if (golden)
		corpus_golden_check(st, name, text);
	free(text);
}

static int corpus_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every *.eml in dir; false if it cannot be read. */
static bool corpus_dir(struct corpus_stats *st, const char *dir, bool own)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	if (!d)
		return false;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l > 4 && strcmp(de->d_name + l - 4, ".eml") == 0) {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), corpus_cmp);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]), *data;
		size_t len;

		data = corpus_slurp(path, &len);
		if (!data) {
			corpus_fail(st, path, "cannot read it: %s", strerror(errno));
		} else {
			names[i][strlen(names[i]) - 4] = '\0';
			corpus_one(st, own ? names[i] : path, data, len, own && corpus_is_golden(names[i]));
		}
		free(data);
		free(path);
		free(names[i]);
	}
	free(names);
	printf("%s: %zu messages\n", dir, n);
	return true;
}

/* ---- hostile messages made at run time ---- */

static void gen_repeat(struct strbuf *sb, const char *s, size_t times)
{
	size_t l = strlen(s);

	strbuf_grow(sb, l * times);
	for (size_t i = 0; i < times; i++)
		strbuf_add(sb, s, l);
}

static void gen_base64(struct strbuf *out, const char *in, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)in;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < len ? p[i + 2] : 0);

		strbuf_addch(out, tab[v >> 18 & 63]);
		strbuf_addch(out, tab[v >> 12 & 63]);
		strbuf_addch(out, i + 1 < len ? tab[v >> 6 & 63] : '=');
		strbuf_addch(out, i + 2 < len ? tab[v & 63] : '=');
		if (i % 57 == 54)
			strbuf_addch(out, '\n');
	}
	strbuf_addch(out, '\n');
}

static void gen_run(struct corpus_stats *st, const char *name, struct strbuf *sb)
{
	char *full = xasprintf("generated:%s", name);

	corpus_one(st, full, sb->buf ? sb->buf : "", sb->len, false);
	free(full);
	strbuf_reset(sb);
}

static void corpus_generated(struct corpus_stats *st)
{
	struct strbuf sb = STRBUF_INIT, tmp = STRBUF_INIT;
	unsigned long x = 12345;

	for (int i = 0; i < 200; i++)
		strbuf_addf(&sb, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	strbuf_addstr(&sb, "\ndeepest\n");
	for (int i = 199; i >= 0; i--)
		strbuf_addf(&sb, "--b%d--\n", i);
	gen_run(st, "deep-multipart-200", &sb);

	for (int i = 0; i < 20000; i++)
		strbuf_addf(&sb, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	strbuf_addstr(&sb, "\ndeepest\n");
	gen_run(st, "deep-multipart-20000", &sb);

	/* the same boundary at every level, and one big leaf under it all */
	gen_repeat(&sb, "Content-Type: multipart/mixed; boundary=b\n\n--b\n", 250);
	strbuf_addstr(&sb, "Content-Type: text/plain\n\n");
	gen_repeat(&sb, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n", 1 << 17);
	gen_run(st, "deep-multipart-big-leaf", &sb);

	gen_repeat(&sb, "Content-Type: message/rfc822\n\nSubject: again\n", 5000);
	strbuf_addstr(&sb, "\nbottom\n");
	gen_run(st, "deep-rfc822-5000", &sb);

	/* forwarded messages each base64-encoded inside the next */
	strbuf_addstr(&tmp, "Subject: innermost\n\ntext\n");
	for (int i = 0; i < 25; i++) {
		strbuf_addf(&sb, "Subject: level %d\nContent-Type: message/rfc822\n"
			    "Content-Transfer-Encoding: base64\n\n", i);
		gen_base64(&sb, tmp.buf, tmp.len);
		strbuf_reset(&tmp);
		strbuf_add(&tmp, sb.buf, sb.len);
		strbuf_reset(&sb);
		if (tmp.len > (4u << 20))
			break;
	}
	strbuf_add(&sb, tmp.buf, tmp.len);
	strbuf_reset(&tmp);
	gen_run(st, "deep-rfc822-base64", &sb);

	strbuf_addstr(&sb, "From: a@b\nSubject: ");
	gen_repeat(&sb, "long ", 1 << 18);
	strbuf_addstr(&sb, "\n\nbody\n");
	gen_run(st, "huge-header-line", &sb);

	for (int i = 0; i < 10000; i++)
		strbuf_addf(&sb, "X-Header-%d: =?utf-8?q?value_%d?=\n", i, i);
	strbuf_addstr(&sb, "Subject: after ten thousand\n\nbody\n");
	gen_run(st, "many-headers", &sb);

	strbuf_addstr(&sb, "Subject: parts\nContent-Type: multipart/mixed; boundary=p\n\n");
	for (int i = 0; i < 5000; i++)
		strbuf_addf(&sb, "--p\nContent-Type: application/octet-stream\n"
			    "Content-Disposition: attachment; filename=f%d.bin\n\nx\n", i);
	strbuf_addstr(&sb, "--p--\n");
	gen_run(st, "many-parts", &sb);

	strbuf_addstr(&sb, "From: ");
	gen_repeat(&sb, "(", 200000);
	strbuf_addstr(&sb, "a@b\nTo: ");
	gen_repeat(&sb, "((((()", 50000);
	strbuf_addstr(&sb, "\nDate: ");
	gen_repeat(&sb, "(", 100000);
	strbuf_addstr(&sb, "\nContent-Type: text/plain; (");
	gen_repeat(&sb, "(", 100000);
	strbuf_addstr(&sb, "\n\nbody\n");
	gen_run(st, "deep-comments", &sb);

	strbuf_addstr(&sb, "Subject: big\n\n");
	gen_repeat(&sb, "a line of text in a body far bigger than any screen \x1b[31m\n", 200000);
	gen_run(st, "huge-body", &sb);

	strbuf_addstr(&sb, "Subject: big html\nContent-Type: text/html\n\n");
	for (int i = 0; i < 20000; i++)
		strbuf_addf(&sb, "<div><a href=\"https://example.org/%d\">link %d</a><ul><li>x",
			    i % 700, i);
	gen_repeat(&sb, "<p title=\"", 1000);
	gen_run(st, "huge-html", &sb);

	/* near-boundaries everywhere: libetpan's boundary scan must stay linear */
	strbuf_addstr(&sb, "Content-Type: multipart/mixed; boundary=boundary\n\n--boundary\n\n");
	gen_repeat(&sb, "--boundar\n--boundaryX\n-\n--\n", 100000);
	strbuf_addstr(&sb, "--boundary--\n");
	gen_run(st, "boundary-storm", &sb);

	strbuf_addstr(&sb, "Subject: ");
	gen_repeat(&sb, "=?a?q?", 10000);
	strbuf_addstr(&sb, "\nFrom: ");
	gen_repeat(&sb, "=?utf-8?b?", 10000);
	strbuf_addstr(&sb, "\n\n");
	gen_run(st, "encoded-word-storm", &sb);

	/* random bytes, NULs included, with and without a header first */
	for (int i = 0; i < (1 << 20); i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		strbuf_addch(&sb, (int)(x >> 56));
	}
	gen_run(st, "random-bytes", &sb);
	strbuf_addstr(&sb, "Subject: random\nContent-Type: multipart/mixed; boundary=\"\xff\"\n\n");
	for (int i = 0; i < (1 << 18); i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		strbuf_addch(&sb, (x >> 60) == 0 ? '\n' : (int)(x >> 56));
	}
	gen_run(st, "random-body", &sb);

	strbuf_addstr(&sb, "Subject: one long line\nContent-Transfer-Encoding: quoted-printable\n\n");
	gen_repeat(&sb, "=1B[31mx=\n", 300000);
	gen_run(st, "long-qp-line", &sb);

	strbuf_release(&sb);
	strbuf_release(&tmp);
}

int main(int argc, char **argv)
{
#ifdef __SANITIZE_ADDRESS__
	struct corpus_stats st = { .max_ms = 3000 };
#else
	struct corpus_stats st = { .max_ms = 1000 };
#endif
	const char *env;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS [OPTIONAL-CORPUS...]\n", argv[0]);
		return 2;
	}
	if ((env = getenv("PETREL_CORPUS_MAX_MS")) && atol(env) > 0)
		st.max_ms = atol(env);
	st.update = (env = getenv("PETREL_UPDATE_GOLDEN")) && strcmp(env, "1") == 0;
	st.golden_dir = xasprintf("%s/golden", argv[1]);
	if (!corpus_dir(&st, argv[1], true)) {
		fprintf(stderr, "FAIL: cannot read the corpus %s\n", argv[1]);
		return 1;
	}
	for (int i = 2; i < argc; i++)
		if (!corpus_dir(&st, argv[i], false))
			printf("%s: not there, skipped\n", argv[i]);
	corpus_generated(&st);
	for (int i = 0; i < CORPUS_TOP && st.top_ms[i] > 0; i++)
		printf("  %.1f ms  %s\n", st.top_ms[i], st.top[i]);
	printf("%d messages, %d failures; slowest %.1f ms (%s)\n", st.messages, st.failures,
	       st.top_ms[0], st.top[0]);
	free((char *)st.golden_dir);
	return st.failures ? 1 : 0;
}
