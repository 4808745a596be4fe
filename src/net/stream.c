/*
 * TCP connections and the libetpan stream driver that carries them, plain or
 * with GnuTLS.  The fd is non-blocking; every operation polls with the
 * session's timeout and the cancel pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "net/private.h"

struct net_cancel {
	int pipe[2];
	atomic_bool triggered;
};

static atomic_ullong stream_bytes_in, stream_bytes_out;

unsigned long long net_bytes_in(void) { return atomic_load(&stream_bytes_in); }
unsigned long long net_bytes_out(void) { return atomic_load(&stream_bytes_out); }

struct net_cancel *net_cancel_new(void)
{
	struct net_cancel *c = xcalloc(1, sizeof(*c));

	if (pipe2(c->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		BUG("pipe2: %s", strerror(errno));
	return c;
}

void net_cancel_free(struct net_cancel **cp)
{
	if (!*cp)
		return;
	close((*cp)->pipe[0]);
	close((*cp)->pipe[1]);
	FREE_NULL(*cp);
}

void net_cancel_trigger(struct net_cancel *c)
{
	atomic_store(&c->triggered, true);
	/* a full pipe already wakes every poller: EAGAIN is fine */
	if (write(c->pipe[1], "x", 1) < 0 && errno != EAGAIN)
		BUG("cancel pipe write: %s", strerror(errno));
}

void net_cancel_reset(struct net_cancel *c)
{
	char buf[64];

	while (read(c->pipe[0], buf, sizeof(buf)) > 0)
		;
	atomic_store(&c->triggered, false);
}

bool net_cancel_triggered(const struct net_cancel *c)
{
	return c && atomic_load(&c->triggered);
}

static long stream_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int stream_wait(int fd, short events, unsigned timeout, struct net_cancel *cancel)
{
	long deadline = stream_now_ms() + (long)(timeout ? timeout : 60) * 1000L;

	for (;;) {
		struct pollfd pfd[2] = { { .fd = fd, .events = events } };
		nfds_t n = 1;
		long left = deadline - stream_now_ms();
		int r;

		if (cancel) {
			if (net_cancel_triggered(cancel)) {
				errno = ECANCELED;
				return -1;
			}
			pfd[1].fd = cancel->pipe[0];
			pfd[1].events = POLLIN;
			n = 2;
		}
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(pfd, n, (int)(left > 1000000 ? 1000000 : left));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (n == 2 && pfd[1].revents) {
			errno = ECANCELED;
			return -1;
		}
		if (pfd[0].revents)
			return 0;
	}
}

void net_params_from_account(struct net_params *p, const struct account *a,
			     const struct url *url, char pinbuf[65])
{
	const char *pin = config_get(a, OPTION_TLS_FINGERPRINT);

	memset(p, 0, sizeof(*p));
	p->host = url->host;
	p->port = url->port;
	p->ca_file = config_get(a, OPTION_TLS_CA_FILE);
	p->pin = NULL;
	if (pin && option_parse_fingerprint(pin, pinbuf))
		p->pin = pinbuf;
	p->timeout = (unsigned)config_get_duration(a, OPTION_TIMEOUT);
}

int net_connect(const struct net_params *p, char **cause)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai;
	char port[8];
	int fd = -1, r, err = 0;

	snprintf(port, sizeof(port), "%u", (unsigned)p->port);
	r = getaddrinfo(p->host, port, &hints, &res);
	if (r != 0) {
		*cause = xasprintf("cannot find server %s: %s", p->host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		socklen_t len = sizeof(err);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS && stream_wait(fd, POLLOUT, p->timeout, p->cancel) == 0 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
			break;
		if (errno == ETIMEDOUT || errno == ECANCELED)
			err = errno;
		else if (!err)
			err = errno;
		close(fd);
		fd = -1;
		if (err == ECANCELED)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (err == ETIMEDOUT)
			*cause = xasprintf("cannot connect to %s port %u: no answer within %u s",
					   p->host, (unsigned)p->port, p->timeout);
		else if (err == ECANCELED)
			*cause = xasprintf("connecting to %s was cancelled", p->host);
		else
			*cause = xasprintf("cannot connect to %s port %u: %s", p->host,
					   (unsigned)p->port, strerror(err ? err : ECONNREFUSED));
		return -1;
	}
	log_debug("net: connected to %s:%u", p->host, (unsigned)p->port);
	return fd;
}

/* The state behind one mailstream_low. */
struct stream_data {
	int fd;
	int failure;                  /* why the last read failed: errno, or -1 for end of file */
	bool owns_fd;                 /* false once STARTTLS moved the fd on */
	gnutls_session_t tls;         /* NULL for plain */
	gnutls_certificate_credentials_t cred;
	unsigned timeout;
	struct net_cancel *cancel;    /* borrowed */
};

static ssize_t stream_read(mailstream_low *s, void *buf, size_t count)
{
	struct stream_data *d = s->data;

	for (;;) {
		ssize_t n;

		if (d->tls) {
			if (gnutls_record_check_pending(d->tls) == 0 &&
			    stream_wait(d->fd, POLLIN, d->timeout, d->cancel) < 0)
				goto fail;
			n = gnutls_record_recv(d->tls, buf, count);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				continue;
			if (n < 0) {
				log_debug("net: TLS read error: %s", gnutls_strerror((int)n));
				return -1;
			}
		} else {
			if (stream_wait(d->fd, POLLIN, d->timeout, d->cancel) < 0)
				goto fail;
			n = read(d->fd, buf, count);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n < 0) {
				log_debug("net: read error: %s", strerror(errno));
				return -1;
			}
		}
		if (n == 0) {
			/* End of file is an error: the server is gone mid-response.
			 * Returning 0 here makes libetpan's parser spin. */
			log_debug("net: connection closed by the server");
			d->failure = -1;
			return -1;
		}
		atomic_fetch_add(&stream_bytes_in, (unsigned long long)n);
		return n;
	}
fail:
	d->failure = errno;
	log_debug("net: read: %s", errno == ETIMEDOUT ? "timed out" : strerror(errno));
	return -1;
}

static ssize_t stream_write(mailstream_low *s, const void *buf, size_t count)
{
	struct stream_data *d = s->data;

	for (;;) {
		ssize_t n;

		if (stream_wait(d->fd, POLLOUT, d->timeout, d->cancel) < 0) {
			log_debug("net: write: %s", errno == ETIMEDOUT ? "timed out" : strerror(errno));
			return -1;
		}
		if (d->tls) {
			n = gnutls_record_send(d->tls, buf, count);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				continue;
			if (n < 0) {
				log_debug("net: TLS write error: %s", gnutls_strerror((int)n));
				return -1;
			}
		} else {
			n = send(d->fd, buf, count, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n < 0) {
				log_debug("net: write error: %s", strerror(errno));
				return -1;
			}
		}
		atomic_fetch_add(&stream_bytes_out, (unsigned long long)n);
		return n;
	}
}

static int stream_close(mailstream_low *s)
{
	struct stream_data *d = s->data;

	if (d->owns_fd && d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
	return 0;
}

static int stream_get_fd(mailstream_low *s)
{
	return ((struct stream_data *)s->data)->fd;
}

static void stream_free(mailstream_low *s)
{
	struct stream_data *d = s->data;

	stream_close(s);
	if (d->tls)
		gnutls_deinit(d->tls);
	if (d->cred)
		gnutls_certificate_free_credentials(d->cred);
	free(d);
	free(s);
}

static void stream_cancel(mailstream_low *s)
{
	struct stream_data *d = s->data;

	if (d->cancel)
		net_cancel_trigger(d->cancel);
}

static struct mailstream_cancel *stream_get_cancel(mailstream_low *s)
{
	return NULL;
}

static carray *stream_get_certificate_chain(mailstream_low *s)
{
	return NULL;  /* verification is done here, not by callers */
}

static int stream_idle_unsupported(mailstream_low *s)
{
	return -1;
}

static mailstream_low_driver stream_driver = {
	.mailstream_read = stream_read,
	.mailstream_write = stream_write,
	.mailstream_close = stream_close,
	.mailstream_get_fd = stream_get_fd,
	.mailstream_free = stream_free,
	.mailstream_cancel = stream_cancel,
	.mailstream_get_cancel = stream_get_cancel,
	.mailstream_get_certificate_chain = stream_get_certificate_chain,
	.mailstream_setup_idle = stream_idle_unsupported,
	.mailstream_unsetup_idle = stream_idle_unsupported,
	.mailstream_interrupt_idle = stream_idle_unsupported,
};

static mailstream_low *stream_low_new(struct stream_data *d)
{
	mailstream_low *low = mailstream_low_new(d, &stream_driver);

	if (!low)
		BUG("out of memory in mailstream_low_new");
	return low;
}

mailstream *net_stream_plain(int fd, const struct net_params *p)
{
	struct stream_data *d = xcalloc(1, sizeof(*d));
	mailstream *s;

	d->fd = fd;
	d->owns_fd = true;
	d->timeout = p->timeout;
	d->cancel = p->cancel;
	s = mailstream_new(stream_low_new(d), 8192);
	if (!s)
		BUG("out of memory in mailstream_new");
	return s;
}

/* Handshake and verification on fd; returns the stream data or NULL. */
static struct stream_data *stream_tls_open(int fd, const struct net_params *p,
					   struct net_tls_info *info, char **cause)
{
	struct stream_data *d = xcalloc(1, sizeof(*d));
	int r;

	d->fd = fd;
	d->owns_fd = true;
	d->timeout = p->timeout;
	d->cancel = p->cancel;
	if ((r = gnutls_certificate_allocate_credentials(&d->cred)) < 0 ||
	    (r = gnutls_init(&d->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0 ||
	    (r = gnutls_set_default_priority(d->tls)) < 0 ||
	    (r = gnutls_credentials_set(d->tls, GNUTLS_CRD_CERTIFICATE, d->cred)) < 0) {
		*cause = xasprintf("cannot set up TLS: %s", gnutls_strerror(r));
		goto fail;
	}
	if (p->ca_file) {
		char *ca = config_expand_path(p->ca_file);
		r = gnutls_certificate_set_x509_trust_file(d->cred, ca, GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			*cause = xasprintf("cannot load tls-ca-file %s: %s", ca,
					   r == 0 ? "no certificates in it" : gnutls_strerror(r));
			free(ca);
			goto fail;
		}
		free(ca);
	} else if ((r = gnutls_certificate_set_x509_system_trust(d->cred)) < 0) {
		*cause = xasprintf("cannot load the system's trusted certificates: %s",
				   gnutls_strerror(r));
		goto fail;
	}
	if (!url_host_is_ip(p->host))
		gnutls_server_name_set(d->tls, GNUTLS_NAME_DNS, p->host, strlen(p->host));
	gnutls_transport_set_int(d->tls, fd);
	for (;;) {
		r = gnutls_handshake(d->tls);
		if (r == 0)
			break;
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			short ev = gnutls_record_get_direction(d->tls) ? POLLOUT : POLLIN;
			if (stream_wait(fd, ev, p->timeout, p->cancel) < 0) {
				*cause = xasprintf("TLS handshake with %s %s", p->host,
						   errno == ETIMEDOUT ? "timed out" :
						   errno == ECANCELED ? "was cancelled" : strerror(errno));
				goto fail;
			}
			continue;
		}
		if (gnutls_error_is_fatal(r)) {
			if (r == GNUTLS_E_PULL_ERROR || r == GNUTLS_E_PUSH_ERROR ||
			    r == GNUTLS_E_PREMATURE_TERMINATION ||
			    r == GNUTLS_E_UNEXPECTED_PACKET_LENGTH ||
			    r == GNUTLS_E_UNEXPECTED_PACKET)
				*cause = xasprintf("the connection to %s was lost during the TLS "
						   "handshake (%s)", p->host, gnutls_strerror(r));
			else
				*cause = xasprintf("TLS handshake with %s failed: %s", p->host,
						   gnutls_strerror(r));
			goto fail;
		}
	}
	if (!tls_verify(d->tls, p, info, cause))
		goto fail;
	log_debug("net: TLS with %s:%u verified (%s)", p->host, (unsigned)p->port, info->trust);
	return d;
fail:
	if (d->tls)
		gnutls_deinit(d->tls);
	if (d->cred)
		gnutls_certificate_free_credentials(d->cred);
	free(d);
	return NULL;
}

mailstream *net_stream_tls(int fd, const struct net_params *p, struct net_tls_info *info,
			   char **cause)
{
	struct stream_data *d = stream_tls_open(fd, p, info, cause);
	mailstream *s;

	if (!d) {
		close(fd);
		return NULL;
	}
	s = mailstream_new(stream_low_new(d), 8192);
	if (!s)
		BUG("out of memory in mailstream_new");
	return s;
}

bool net_stream_starttls(mailstream *s, const struct net_params *p, struct net_tls_info *info,
			 char **cause)
{
	bool held = false;
	mailstream_low **slot = guard_below(mailstream_get_low(s), &held), *old;
	struct stream_data *od, *d;

	if (!slot)
		slot = &s->low;
	old = *slot;
	od = old->data;
	if (old->driver != &stream_driver || od->tls)
		BUG("STARTTLS on a stream petrel did not open, or twice");
	/* Anything the server sent after its OK and before the handshake would be
	 * an injection attempt (the STARTTLS command-injection class of bugs). */
	if (s->read_buffer_len || held) {
		*cause = xasprintf("%s sent data right after agreeing to STARTTLS; "
				   "refusing to continue (possible tampering)", p->host);
		return false;
	}
	d = stream_tls_open(od->fd, p, info, cause);
	if (!d)
		return false;
	od->owns_fd = false;
	mailstream_low_free(old);
	*slot = stream_low_new(d);
	return true;
}

int net_streams_wait(mailstream **streams, size_t n, unsigned timeout, struct net_cancel *cancel,
		     struct net_cancel *wake)
{
	struct pollfd *pfd = xcalloc(n + 2, sizeof(*pfd));
	long deadline = stream_now_ms() + (long)timeout * 1000L;
	int ready = -1;

	for (;;) {
		long left = deadline - stream_now_ms();
		int r;

		for (size_t i = 0; i < n; i++) {
			mailstream_low *low = mailstream_get_low(streams[i]), *lower;
			struct stream_data *d;
			bool pending;

			mailstream_low **below;
			bool held = false;

			/* under the guard and a COMPRESS layer, look at the
			 * connection itself */
			if ((below = guard_below(low, &held)))
				low = *below;
			if ((lower = compress_lower(low, &pending)))
				low = lower;
			d = low->data;
			/* what libetpan, the guard, the COMPRESS layer or GnuTLS
			 * already read counts as ready */
			if (streams[i]->read_buffer_len > 0 || held || pending ||
			    (low->driver == &stream_driver && d->tls &&
			     gnutls_record_check_pending(d->tls) > 0)) {
				ready = (int)i;
				goto out;
			}
			pfd[i].fd = mailstream_low_get_fd(low);
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		pfd[n].fd = cancel ? cancel->pipe[0] : -1;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		pfd[n + 1].fd = wake ? wake->pipe[0] : -1;
		pfd[n + 1].events = POLLIN;
		pfd[n + 1].revents = 0;
		if (net_cancel_triggered(cancel)) {
			ready = -2;
			goto out;
		}
		if (net_cancel_triggered(wake)) {
			ready = -3;
			goto out;
		}
		if (left <= 0)
			goto out;
		r = poll(pfd, n + 2, (int)(left > 1000000 ? 1000000 : left));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (pfd[n].revents) {
			ready = -2;
			goto out;
		}
		if (pfd[n + 1].revents) {
			ready = -3;
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			if (pfd[i].revents) {
				ready = (int)i;
				goto out;
			}
	}
out:
	free(pfd);
	return ready;
}

bool net_sleep(unsigned ms, struct net_cancel *cancel)
{
	struct pollfd pfd = { .fd = cancel ? cancel->pipe[0] : -1, .events = POLLIN };
	long deadline = stream_now_ms() + (long)ms;

	for (;;) {
		long left = deadline - stream_now_ms();
		if (net_cancel_triggered(cancel))
			return false;
		if (left <= 0)
			return true;
		if (poll(&pfd, 1, (int)left) > 0 && pfd.revents)
			return false;
	}
}

char *net_stream_failure(mailstream *s)
{
	mailstream_low *low = s ? mailstream_get_low(s) : NULL, **below, *lower;
	struct stream_data *d;
	bool pending;

	if (!low)
		return NULL;
	if (net_stream_guard_error(s))
		return xstrdup(net_stream_guard_error(s));
	if (net_stream_compress_error(s))
		return xasprintf("%s on the compressed connection (if this happens again, set "
				 "compress = off for this account)", net_stream_compress_error(s));
	if ((below = guard_below(low, &pending)))
		low = *below;
	if ((lower = compress_lower(low, &pending)))
		low = lower;
	if (low->driver != &stream_driver)
		return NULL;
	d = low->data;
	switch (d->failure) {
	case 0:
		return NULL;
	case -1:
		return xstrdup("the server closed the connection");
	case ETIMEDOUT:
		return xasprintf("the server sent nothing for %u seconds (the timeout setting); "
				 "petrel closed the connection", d->timeout);
	case ECANCELED:
		return xstrdup("cancelled");
	default:
		return xstrdup(strerror(d->failure));
	}
}
