/*
 * IMAP COMPRESS=DEFLATE (RFC 4978): raw deflate both ways, as a libetpan
 * stream layer between the protocol and the TLS or plain layer.
 *
 * Debian's libetpan is built without zlib and its own COMPRESS kills the
 * session (LIBRARY-NOTES.md 3), so petrel does it here.  Two parts:
 *  - net_deflate_*: the state machine alone, a pure interface over byte
 *    buffers (no I/O), which the unit tests and a fuzzer drive;
 *  - the mailstream_low driver that feeds it from the layer below.
 * The layer below keeps counting what crosses the wire (net_bytes_in/out);
 * this one only counts for the ratio in the debug log.
 *
 * Memory stays bounded whatever the server sends: compressed input is read
 * in a fixed buffer, and inflated output goes straight into the buffer
 * libetpan reads into, at most what it asked for; what zlib still holds is
 * taken on the next read.  So a decompression bomb costs CPU, not memory.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/log.h"
#include "core/util.h"
#include "net/private.h"

#define COMPRESS_IN_SIZE 16384     /* compressed bytes read from below at once */
#define COMPRESS_OUT_CHUNK 16384   /* plain bytes deflated at once */

struct net_deflate {
	z_stream in;      /* inflate: server to us */
	z_stream out;     /* deflate: us to server */
	struct net_deflate_stats stats;
	bool ended;       /* the server finished its stream */
};

struct net_deflate *net_deflate_new(void)
{
	struct net_deflate *z = xcalloc(1, sizeof(*z));

	/* windowBits -15: raw deflate, no zlib header (RFC 4978 section 3) */
	if (inflateInit2(&z->in, -15) != Z_OK)
		BUG("inflateInit2 failed: out of memory");
	if (deflateInit2(&z->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		BUG("deflateInit2 failed: out of memory");
	return z;
}

void net_deflate_free(struct net_deflate **zp)
{
	if (!*zp)
		return;
	inflateEnd(&(*zp)->in);
	deflateEnd(&(*zp)->out);
	FREE_NULL(*zp);
}

const struct net_deflate_stats *net_deflate_stats(const struct net_deflate *z)
{
	return &z->stats;
}

void net_deflate_compress(struct net_deflate *z, const void *in, size_t len, bool flush,
			  struct strbuf *out)
{
	z_stream *zs = &z->out;
	const unsigned char *p = in;
	size_t left = len;

	/* zlib counts in uInt: feed at most 1 GiB at a time */
	do {
		uInt n = left > (1u << 30) ? (1u << 30) : (uInt)left;
		int mode = flush && n == left ? Z_SYNC_FLUSH : Z_NO_FLUSH;

		zs->next_in = (Bytef *)(uintptr_t)p;
		zs->avail_in = n;
		do {
			unsigned char buf[COMPRESS_OUT_CHUNK];
			int r;

			zs->next_out = buf;
			zs->avail_out = sizeof(buf);
			r = deflate(zs, mode);
			/* Z_BUF_ERROR: nothing to do, harmless; anything else is a bug */
			if (r != Z_OK && r != Z_BUF_ERROR)
				BUG("deflate: %d", r);
			strbuf_add(out, buf, sizeof(buf) - zs->avail_out);
		} while (zs->avail_out == 0 || zs->avail_in > 0);
		p += n;
		left -= n;
	} while (left > 0);
	z->stats.plain_out += len;
}

int net_deflate_inflate(struct net_deflate *z, const void *in, size_t in_len, size_t *used,
			void *out, size_t out_cap, size_t *produced, char **cause)
{
	z_stream *zs = &z->in;
	int r;

	*used = 0;
	*produced = 0;
	if (z->ended) {
		if (in_len == 0)
			return 1;
		*cause = xstrdup("the server sent data after ending its compressed stream");
		return -1;
	}
	if (out_cap == 0)
		return 0;
	zs->next_in = (Bytef *)(uintptr_t)in;
	zs->avail_in = in_len > UINT32_MAX ? UINT32_MAX : (uInt)in_len;
	zs->next_out = out;
	zs->avail_out = out_cap > UINT32_MAX ? UINT32_MAX : (uInt)out_cap;
	r = inflate(zs, Z_SYNC_FLUSH);
	*used = (size_t)(zs->next_in - (const Bytef *)in);
	*produced = (size_t)(zs->next_out - (Bytef *)out);
	z->stats.wire_in += *used;
	z->stats.plain_in += *produced;
	switch (r) {
	case Z_OK:
	case Z_BUF_ERROR:   /* no progress possible: needs more input */
		return 0;
	case Z_STREAM_END:
		/* The server finishes its stream only when it closes the
		 * connection (Dovecot does at LOGOUT): what came with the end is
		 * good, anything after it is not. */
		z->ended = true;
		if (zs->avail_in > 0) {
			*cause = xstrdup("the server sent data after ending its compressed stream");
			return -1;
		}
		return 1;
	case Z_MEM_ERROR:
		BUG("inflate: out of memory");
	default:
		*cause = xasprintf("the server sent corrupt compressed data (%s)",
				   zs->msg ? zs->msg : "invalid deflate stream");
		return -1;
	}
}

/* ---- the mailstream_low layer ---- */

struct compress_layer {
	mailstream_low *lower;
	struct net_deflate *z;
	unsigned char in[COMPRESS_IN_SIZE];
	size_t in_pos, in_len;      /* compressed bytes not yet inflated */
	bool maybe_more;            /* the last inflate filled its output: zlib may hold more */
	char *error;                /* why the layer failed, for the user */
	unsigned long long wire_out;
};

static mailstream_low_driver compress_driver;

static void compress_fail(struct compress_layer *c, char *cause)
{
	log_debug("net: COMPRESS: %s", cause);
	if (!c->error)
		c->error = cause;
	else
		free(cause);
}

static ssize_t compress_read(mailstream_low *s, void *buf, size_t count)
{
	struct compress_layer *c = s->data;

	if (c->error)
		return -1;
	for (;;) {
		ssize_t n;

		if (c->in_len > c->in_pos || c->maybe_more) {
			size_t used, produced;
			char *cause = NULL;

			int r = net_deflate_inflate(c->z, c->in + c->in_pos, c->in_len - c->in_pos,
						    &used, buf, count, &produced, &cause);
			if (r < 0) {
				compress_fail(c, cause);
				return -1;
			}
			if (r > 0 && produced == 0) {
				/* the end, and nothing can follow it: as end of file */
				log_debug("net: COMPRESS: the server ended its compressed stream");
				return -1;
			}
			c->in_pos += used;
			if (c->in_pos == c->in_len)
				c->in_pos = c->in_len = 0;
			c->maybe_more = produced == count;
			if (produced > 0)
				return (ssize_t)produced;
		}
		/* Every byte buffered is inflated: only now wait for the wire,
		 * so a partial block already here is never held back. */
		n = mailstream_low_read(c->lower, c->in, sizeof(c->in));
		if (n <= 0)
			return -1;
		c->in_pos = 0;
		c->in_len = (size_t)n;
	}
}

static ssize_t compress_write(mailstream_low *s, const void *buf, size_t count)
{
	struct compress_layer *c = s->data;
	const unsigned char *p = buf;
	size_t left = count;

	if (c->error)
		return -1;
	/* in pieces, so one large APPEND literal never needs its compressed
	 * copy in memory; the last piece is sync-flushed so the server gets
	 * the whole command now */
	while (left > 0) {
		size_t n = left > COMPRESS_OUT_CHUNK ? COMPRESS_OUT_CHUNK : left;
		struct strbuf out = STRBUF_INIT;
		size_t off = 0;

		net_deflate_compress(c->z, p, n, n == left, &out);
		while (off < out.len) {
			ssize_t w = mailstream_low_write(c->lower, out.buf + off, out.len - off);
			if (w <= 0) {
				strbuf_release(&out);
				/* part of the deflate stream is lost: nothing after can be read */
				compress_fail(c, xstrdup("the connection broke while sending"));
				return -1;
			}
			off += (size_t)w;
		}
		c->wire_out += out.len;
		strbuf_release(&out);
		p += n;
		left -= n;
	}
	return (ssize_t)count;
}

static int compress_close(mailstream_low *s)
{
	struct compress_layer *c = s->data;

	return mailstream_low_close(c->lower);
}

static int compress_get_fd(mailstream_low *s)
{
	struct compress_layer *c = s->data;

	return mailstream_low_get_fd(c->lower);
}

static void compress_free(mailstream_low *s)
{
	struct compress_layer *c = s->data;
	const struct net_deflate_stats *st = net_deflate_stats(c->z);

	log_debug("net: COMPRESS closed: received %llu bytes on the wire for %llu (%.1fx), "
		  "sent %llu for %llu (%.1fx)", st->wire_in, st->plain_in,
		  st->wire_in ? (double)st->plain_in / (double)st->wire_in : 0.0,
		  c->wire_out, st->plain_out,
		  c->wire_out ? (double)st->plain_out / (double)c->wire_out : 0.0);
	mailstream_low_free(c->lower);
	net_deflate_free(&c->z);
	free(c->error);
	free(c);
	free(s);
}

static void compress_cancel(mailstream_low *s)
{
	struct compress_layer *c = s->data;

	mailstream_low_cancel(c->lower);
}

static struct mailstream_cancel *compress_get_cancel(mailstream_low *s)
{
	return NULL;
}

static carray *compress_get_certificate_chain(mailstream_low *s)
{
	return NULL;
}

static int compress_idle_unsupported(mailstream_low *s)
{
	return -1;
}

static mailstream_low_driver compress_driver = {
	.mailstream_read = compress_read,
	.mailstream_write = compress_write,
	.mailstream_close = compress_close,
	.mailstream_get_fd = compress_get_fd,
	.mailstream_free = compress_free,
	.mailstream_cancel = compress_cancel,
	.mailstream_get_cancel = compress_get_cancel,
	.mailstream_get_certificate_chain = compress_get_certificate_chain,
	.mailstream_setup_idle = compress_idle_unsupported,
	.mailstream_unsetup_idle = compress_idle_unsupported,
	.mailstream_interrupt_idle = compress_idle_unsupported,
};

/* The slot of s holding the layer COMPRESS goes on: under the guard. */
static mailstream_low **compress_slot(mailstream *s, mailstream_low **guard)
{
	bool pending;
	mailstream_low **below;

	*guard = mailstream_get_low(s);
	below = guard_below(*guard, &pending);
	if (below)
		return below;
	*guard = NULL;
	return &s->low;
}

bool net_stream_compress(mailstream *s, char **cause)
{
	mailstream_low *guard, **slot = compress_slot(s, &guard), *top;
	struct compress_layer *c;

	if ((*slot)->driver == &compress_driver)
		BUG("COMPRESS twice on one stream");
	c = xcalloc(1, sizeof(*c));
	/* Whatever was read past the server's OK is already compressed; it
	 * goes into the layer instead of being parsed as text.  The guard
	 * passes libetpan one line at a time, so it is all still raw there. */
	if (guard) {
		size_t n = guard_take_raw(guard, c->in, sizeof(c->in));
		if (n == (size_t)-1 || s->read_buffer_len) {
			free(c);
			*cause = xstrdup("the server sent too much right after agreeing to COMPRESS");
			return false;
		}
		c->in_len = n;
	} else if (s->read_buffer_len > COMPRESS_IN_SIZE) {
		free(c);
		*cause = xstrdup("the server sent too much right after agreeing to COMPRESS");
		return false;
	} else if (s->read_buffer_len) {
		memcpy(c->in, s->read_buffer, s->read_buffer_len);
		c->in_len = s->read_buffer_len;
		s->read_buffer_len = 0;
	}
	c->lower = *slot;
	c->z = net_deflate_new();
	top = mailstream_low_new(c, &compress_driver);
	if (!top)
		BUG("out of memory in mailstream_low_new");
	*slot = top;
	log_debug("net: COMPRESS=DEFLATE active");
	return true;
}

static struct compress_layer *compress_layer_of(mailstream *s)
{
	mailstream_low *guard;
	mailstream_low **slot;

	if (!s)
		return NULL;
	slot = compress_slot(s, &guard);
	return (*slot)->driver == &compress_driver ? (*slot)->data : NULL;
}

bool net_stream_is_compressed(mailstream *s)
{
	return compress_layer_of(s) != NULL;
}

const char *net_stream_compress_error(mailstream *s)
{
	struct compress_layer *c = compress_layer_of(s);

	return c ? c->error : NULL;
}

mailstream_low *compress_lower(mailstream_low *low, bool *pending)
{
	struct compress_layer *c;

	*pending = false;
	if (low->driver != &compress_driver)
		return NULL;
	c = low->data;
	*pending = c->in_len > c->in_pos || c->maybe_more;
	return c->lower;
}
