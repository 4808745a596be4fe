/*
 * The COMPRESS=DEFLATE state machine (src/net/compress.c, net_deflate_*)
 * on arbitrary bytes as the server's deflate stream, inflated in
 * input-chosen pieces into a small output buffer as the stream layer does:
 * corrupt data must end in an error with a reason, never a crash or an
 * unbounded loop.  Then the same bytes as a client's text: compressed and
 * inflated again they must come back unchanged.  The first byte picks the
 * piece sizes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inflates in[0..len) fed piece bytes at a time; appends to out. Returns
 * what net_deflate_inflate last returned. */
static int inflate_all(struct net_deflate *z, const uint8_t *in, size_t len, size_t piece,
		       size_t out_cap, struct strbuf *out)
{
	char buf[4096];
	size_t off = 0;
	bool more = false;

	if (out_cap > sizeof(buf))
		out_cap = sizeof(buf);
	while (off < len || more) {
		size_t n = len - off < piece ? len - off : piece, used = 0, produced = 0;
		char *cause = NULL;
		int r = net_deflate_inflate(z, in + off, n, &used, buf, out_cap, &produced, &cause);

		if (r < 0) {
			if (!cause || !*cause)
				abort();   /* an error must say why */
			free(cause);
			return -1;
		}
		if (used > n || produced > out_cap)
			abort();
		strbuf_add(out, buf, produced);
		off += used;
		more = produced == out_cap;
		if (r > 0)
			return 1;
		if (!more && used == 0 && n > 0)
			abort();   /* no progress: the layer would spin */
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_deflate *z;
	struct strbuf out = STRBUF_INIT, wire = STRBUF_INIT;
	size_t piece, cap;

	if (size < 1)
		return 0;
	piece = 1 + (data[0] & 0x0f) * 97;
	cap = 1 + (data[0] >> 4) * 255;
	data++;
	size--;

	z = net_deflate_new();
	inflate_all(z, data, size, piece, cap, &out);
	net_deflate_free(&z);
	strbuf_reset(&out);

	/* round trip, in two flushed writes as commands go out */
	z = net_deflate_new();
	net_deflate_compress(z, data, size / 2, true, &wire);
	net_deflate_compress(z, data + size / 2, size - size / 2, true, &wire);
	net_deflate_free(&z);
	z = net_deflate_new();
	if (inflate_all(z, (const uint8_t *)(wire.buf ? wire.buf : ""), wire.len, piece, cap,
			&out) != 0)
		abort();
	if (out.len != size || (size && memcmp(out.buf, data, size) != 0))
		abort();
	net_deflate_free(&z);
	strbuf_release(&out);
	strbuf_release(&wire);
	return 0;
}
