/*
 * A POP3 server's answers through petrel's own handling (src/pop3/list.c
 * and the status/multi-line readers of session.c): STAT, LIST + UIDL (or,
 * for a server without UIDL, TOP digests), the newest-first listing and TOP.
 * The first byte of the input picks the capabilities and the read size;
 * the rest is what the server says, in order, whatever petrel asked.
 */
#include "pop3/private.h"
#include "tests/fuzz/memstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cause(char **cause)
{
	if (*cause) {
		fuzz_check_terminal_safe(*cause, strlen(*cause), false);
		FREE_NULL(*cause);
	}
}

static int on_newest(void *arg, unsigned num, char **cause)
{
	(void)arg;
	(void)num;
	(void)cause;
	return 0;
}

static int on_top(void *arg, unsigned num, const char *hdr, size_t len, char **cause)
{
	(void)arg;
	(void)num;
	if (hdr && hdr[len] != '\0')
		abort();
	(void)cause;
	return 0;
}

static void on_problem(void *arg, const char *text)
{
	(void)arg;
	(void)text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3_session s = { 0 };
	struct pop3_list l = { 0 };
	struct pop3_hooks hooks = { .problem = on_problem };
	unsigned count = 0, mode;
	unsigned nums[3] = { 1, 2, 3 };
	char *cause = NULL;

	if (size < 1)
		return 0;
	mode = data[0];
	s.pop3 = mailpop3_new(0, NULL);
	s.pop3->pop3_stream = fuzz_mem_stream(data + 1, size - 1, 1 + (mode >> 4) * 300);
	s.url.host = (char *)"pop3.fuzz";
	s.usable = true;
	s.own_io = true;
	s.has_uidl = mode & 1;
	s.has_top = mode & 2;

	if ((mode & 8) && pop3_list_stat(&s, &count, &cause) == 0 && count > 0 &&
	    pop3_list_newest(&s, &l, count < 1000 ? count : 1000, 5, mode & 4, on_newest, NULL,
			     &cause) < 0)
		check_cause(&cause);
	check_cause(&cause);
	if (pop3_list_all(&s, &l, &hooks, &cause) < 0)
		check_cause(&cause);
	if (pop3_list_top(&s, nums, 3, &hooks, on_top, NULL, &cause) < 0)
		check_cause(&cause);
	pop3_list_release(&l);
	mailstream_close(s.pop3->pop3_stream);
	s.pop3->pop3_stream = NULL;
	mailpop3_free(s.pop3);
	strbuf_release(&s.line);
	return 0;
}
