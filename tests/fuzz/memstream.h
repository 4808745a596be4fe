/*
 * A libetpan stream that reads a server's side of a conversation from
 * memory and throws away what the client writes: the session code of
 * src/pop3 and src/imap then runs on fuzzer input as it would on a socket.
 * Reads come in small, input-chosen pieces, as TCP may deliver them.
 */
#ifndef PETREL_TESTS_FUZZ_MEMSTREAM_H
#define PETREL_TESTS_FUZZ_MEMSTREAM_H

#include <libetpan/libetpan.h>

#include "tests/fuzz/common.h"

struct fuzz_mem {
	const uint8_t *data;
	size_t size, off;
	size_t chunk;  /* largest read */
};

static ssize_t fuzz_mem_read(mailstream_low *low, void *buf, size_t count)
{
	struct fuzz_mem *m = low->data;
	size_t n = m->size - m->off;

	if (n == 0)
		return -1;  /* the server is gone (a 0 makes libetpan's literal reader spin) */
	if (n > count)
		n = count;
	if (n > m->chunk)
		n = m->chunk;
	if (n)
		memcpy(buf, m->data + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static ssize_t fuzz_mem_write(mailstream_low *low, const void *buf, size_t count)
{
	(void)low;
	(void)buf;
	return (ssize_t)count;
}

static int fuzz_mem_close(mailstream_low *low)
{
	(void)low;
	return 0;
}

static int fuzz_mem_get_fd(mailstream_low *low)
{
	(void)low;
	return -1;
}

static void fuzz_mem_free(mailstream_low *low)
{
	free(low->data);
	free(low);
}

static void fuzz_mem_cancel(mailstream_low *low)
{
	(void)low;
}

static mailstream_low_driver fuzz_mem_driver = {
	.mailstream_read = fuzz_mem_read,
	.mailstream_write = fuzz_mem_write,
	.mailstream_close = fuzz_mem_close,
	.mailstream_get_fd = fuzz_mem_get_fd,
	.mailstream_free = fuzz_mem_free,
	.mailstream_cancel = fuzz_mem_cancel,
};

/* A stream over data[0..size), read at most chunk bytes at a time. */
static inline mailstream *fuzz_mem_stream(const uint8_t *data, size_t size, size_t chunk)
{
	struct fuzz_mem *m = calloc(1, sizeof(*m));
	mailstream_low *low;
	mailstream *st;

	if (!m)
		abort();
	m->data = data;
	m->size = size;
	m->chunk = chunk ? chunk : 1;
	low = mailstream_low_new(m, &fuzz_mem_driver);
	if (!low)
		abort();
	st = mailstream_new(low, 8192);
	if (!st)
		abort();
	return st;
}

#endif
