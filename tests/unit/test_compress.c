/* Unit tests for COMPRESS=DEFLATE (src/net/compress.c): the state machine
 * with round trips, input split into single bytes, corrupt input, a
 * decompression bomb and the end of a stream; then the stream layer on a
 * socketpair (data already buffered, corrupt data from the "server"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "core/util.h"
#include "net/net.h"

/* Some text with the repetition of IMAP traffic, and some noise. */
static unsigned char *sample(size_t n)
{
	unsigned char *p = xmalloc(n ? n : 1);
	uint32_t x = 12345;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (i % 97 < 60) ? (unsigned char)("* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n"[i % 33])
				     : (unsigned char)(x >> 24);
	}
	return p;
}

/* Inflates all of in (fed in pieces of `step` bytes, output taken in pieces
 * of `cap`) into a strbuf; returns what net_deflate_inflate last returned. */
static int inflate_all(struct net_deflate *z, const unsigned char *in, size_t len, size_t step,
		       size_t cap, struct strbuf *out, char **cause)
{
	unsigned char *buf = xmalloc(cap);
	size_t pos = 0;
	int r = 0;

	while (r == 0 && pos < len) {
		size_t n = len - pos < step ? len - pos : step, used, produced;
		size_t off = 0;

		do {
			r = net_deflate_inflate(z, in + pos + off, n - off, &used, buf, cap, &produced,
						cause);
			assert_true(produced <= cap);
			strbuf_add(out, buf, produced);
			off += used;
		} while (r == 0 && (produced == cap || off < n));
		pos += n;
	}
	free(buf);
	return r;
}

static void round_trip(size_t n, size_t step, size_t cap)
{
	struct net_deflate *tx = net_deflate_new(), *rx = net_deflate_new();
	unsigned char *data = sample(n);
	struct strbuf wire = STRBUF_INIT, back = STRBUF_INIT;
	char *cause = NULL;

	/* three commands, each flushed, as the layer sends them */
	net_deflate_compress(tx, data, n / 3, true, &wire);
	net_deflate_compress(tx, data + n / 3, n / 3, false, &wire);
	net_deflate_compress(tx, data + 2 * (n / 3), n - 2 * (n / 3), true, &wire);
	assert_int_equal(inflate_all(rx, (unsigned char *)wire.buf, wire.len, step, cap, &back,
				     &cause), 0);
	assert_int_equal(back.len, n);
	if (n)
		assert_memory_equal(back.buf, data, n);
	assert_int_equal(net_deflate_stats(rx)->wire_in, wire.len);
	assert_int_equal(net_deflate_stats(rx)->plain_in, n);
	assert_int_equal(net_deflate_stats(tx)->plain_out, n);
	strbuf_release(&wire);
	strbuf_release(&back);
	free(data);
	net_deflate_free(&tx);
	net_deflate_free(&rx);
	assert_null(tx);
}

static void test_round_trip(void **state)
{
	(void)state;
	round_trip(0, 4096, 8192);
	round_trip(1, 4096, 8192);
	round_trip(100000, 65536, 8192);
	round_trip(300000, 16384, 100);
}

static void test_split_bytes(void **state)
{
	(void)state;
	/* every compressed byte alone, output one byte at a time too */
	round_trip(20000, 1, 1);
	round_trip(20000, 1, 7);
	round_trip(20000, 3, 8192);
}

/* What a sync flush makes possible: a command can be inflated whole before
 * the next one was even compressed (no waiting for more input). */
static void test_flush_delivers_everything(void **state)
{
	struct net_deflate *tx = net_deflate_new(), *rx = net_deflate_new();
	struct strbuf wire = STRBUF_INIT, back = STRBUF_INIT;
	const char *cmd = "a1 NOOP\r\n";
	char *cause = NULL;

	(void)state;
	net_deflate_compress(tx, cmd, strlen(cmd), true, &wire);
	/* a sync flush ends with an empty stored block: 00 00 ff ff */
	assert_true(wire.len >= 4);
	assert_memory_equal(wire.buf + wire.len - 4, "\x00\x00\xff\xff", 4);
	assert_int_equal(inflate_all(rx, (unsigned char *)wire.buf, wire.len, wire.len, 4096,
				     &back, &cause), 0);
	assert_int_equal(back.len, strlen(cmd));
	assert_memory_equal(back.buf, cmd, strlen(cmd));
	strbuf_release(&wire);
	strbuf_release(&back);
	net_deflate_free(&tx);
	net_deflate_free(&rx);
}

static void test_corrupt(void **state)
{
	static const unsigned char bad_type[] = { 0xff, 0xff, 0xff, 0xff };
	struct net_deflate *tx = net_deflate_new(), *rx;
	struct strbuf wire = STRBUF_INIT, back = STRBUF_INIT;
	unsigned char *data = sample(50000);
	char *cause = NULL;

	(void)state;
	/* a reserved block type */
	rx = net_deflate_new();
	assert_int_equal(inflate_all(rx, bad_type, sizeof(bad_type), 1, 64, &back, &cause), -1);
	assert_non_null(strstr(cause, "corrupt"));
	FREE_NULL(cause);
	net_deflate_free(&rx);
	/* a good stream with bytes flipped in its middle: an error, never a
	 * crash; (if zlib happens to decode it, the bytes differ) */
	net_deflate_compress(tx, data, 50000, true, &wire);
	for (size_t i = wire.len / 3; i < wire.len / 3 + 40; i++)
		wire.buf[i] ^= 0x5a;
	rx = net_deflate_new();
	strbuf_reset(&back);
	if (inflate_all(rx, (unsigned char *)wire.buf, wire.len, 1000, 512, &back, &cause) == 0)
		assert_true(back.len != 50000 || memcmp(back.buf, data, 50000) != 0);
	else
		assert_non_null(cause);
	free(cause);
	strbuf_release(&wire);
	strbuf_release(&back);
	free(data);
	net_deflate_free(&tx);
	net_deflate_free(&rx);
}

/* 256 MiB of zeros in about 256 KiB: inflated in 8 KiB pieces, never more
 * at once, and all of it comes out. */
static void test_bomb(void **state)
{
	struct net_deflate *tx = net_deflate_new(), *rx = net_deflate_new();
	struct strbuf wire = STRBUF_INIT;
	unsigned char *zeros = xcalloc(1, 1 << 20), out[8192];
	unsigned long long total = 0;
	size_t pos = 0, used, produced;
	char *cause = NULL;

	(void)state;
	for (int i = 0; i < 256; i++)
		net_deflate_compress(tx, zeros, 1 << 20, i == 255, &wire);
	assert_true(wire.len < (1 << 20));
	for (;;) {
		int r = net_deflate_inflate(rx, wire.buf + pos, wire.len - pos, &used, out,
					    sizeof(out), &produced, &cause);
		assert_int_equal(r, 0);
		assert_true(produced <= sizeof(out));
		pos += used;
		total += produced;
		if (produced < sizeof(out) && pos == wire.len)
			break;
	}
	assert_int_equal(total, 256ull << 20);
	strbuf_release(&wire);
	free(zeros);
	net_deflate_free(&tx);
	net_deflate_free(&rx);
}

/* A server that finishes its stream (Dovecot does at LOGOUT): what came
 * with the end is delivered, then end of file; bytes after it are an error. */
static void test_stream_end(void **state)
{
	z_stream zs = { 0 };
	unsigned char wire[256], out[256];
	const char *bye = "* BYE Logging out\r\na9 OK Logout completed.\r\n";
	struct net_deflate *rx = net_deflate_new();
	size_t len, used, produced;
	char *cause = NULL;

	(void)state;
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)bye;
	zs.avail_in = (uInt)strlen(bye);
	zs.next_out = wire;
	zs.avail_out = sizeof(wire) - 3;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	len = sizeof(wire) - 3 - zs.avail_out;
	deflateEnd(&zs);
	assert_int_equal(net_deflate_inflate(rx, wire, len, &used, out, sizeof(out), &produced,
					     &cause), 1);
	assert_int_equal(produced, strlen(bye));
	assert_memory_equal(out, bye, produced);
	assert_int_equal(net_deflate_inflate(rx, wire, 0, &used, out, sizeof(out), &produced,
					     &cause), 1);
	assert_int_equal(net_deflate_inflate(rx, "x", 1, &used, out, sizeof(out), &produced,
					     &cause), -1);
	assert_non_null(strstr(cause, "after ending"));
	free(cause);
	net_deflate_free(&rx);
}

/* The layer on a socketpair: the far end plays the server with zlib. */
static void test_layer(void **state)
{
	struct net_params p = { .host = "localhost", .timeout = 5 };
	struct net_deflate *server = net_deflate_new(), *client_side = net_deflate_new();
	struct strbuf wire = STRBUF_INIT, got = STRBUF_INIT;
	const char *greet = "* OK compressed from here\r\n";
	char buf[64], raw[4096], *cause = NULL;
	int sv[2];
	mailstream *s;
	ssize_t n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s = net_stream_plain(sv[0], &p);
	/* the first compressed bytes arrived with the OK: libetpan buffered them */
	net_deflate_compress(server, greet, strlen(greet), true, &wire);
	memcpy(s->read_buffer, wire.buf, wire.len);
	s->read_buffer_len = wire.len;
	assert_true(net_stream_compress(s, &cause));
	assert_true(net_stream_is_compressed(s));
	assert_int_equal(s->read_buffer_len, 0);
	while (got.len < strlen(greet) && (n = mailstream_read(s, buf, sizeof(buf))) > 0)
		strbuf_add(&got, buf, (size_t)n);
	assert_int_equal(got.len, strlen(greet));
	assert_memory_equal(got.buf, greet, got.len);

	/* a command goes out compressed and sync-flushed */
	assert_int_equal(mailstream_write(s, "a1 NOOP\r\n", 9), 9);
	assert_int_equal(mailstream_flush(s), 0);
	n = read(sv[1], raw, sizeof(raw));
	assert_true(n > 0);
	{
		size_t used, produced;
		char out[64];
		assert_int_equal(net_deflate_inflate(client_side, raw, (size_t)n, &used, out,
						     sizeof(out), &produced, &cause), 0);
		assert_int_equal(produced, 9);
		assert_memory_equal(out, "a1 NOOP\r\n", 9);
	}

	/* corrupt data from the server: a clear error, no hang, no crash */
	assert_int_equal(write(sv[1], "\xff\xff\xff\xff", 4), 4);
	assert_true(mailstream_read(s, buf, sizeof(buf)) < 0);
	assert_non_null(net_stream_compress_error(s));
	assert_non_null(strstr(net_stream_compress_error(s), "corrupt"));
	mailstream_close(s);
	close(sv[1]);
	strbuf_release(&wire);
	strbuf_release(&got);
	net_deflate_free(&server);
	net_deflate_free(&client_side);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_split_bytes),
		cmocka_unit_test(test_flush_delivers_everything),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_stream_end),
		cmocka_unit_test(test_layer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
