/* Shared between the files of src/net only. */
#ifndef PETREL_NET_PRIVATE_H
#define PETREL_NET_PRIVATE_H

#include <gnutls/gnutls.h>

#include "net/net.h"

/* Checks the peer of a finished handshake against p (chain, host name,
 * dates, pin) and fills info.  Returns true if the server is to be trusted;
 * otherwise false with *cause set to the reason in a user's words. */
bool tls_verify(gnutls_session_t session, const struct net_params *p,
		struct net_tls_info *info, char **cause);

/* Waits for fd to be ready for events (POLLIN/POLLOUT) within timeout seconds,
 * watching the cancel pipe.  Returns 0 when ready, -1 with errno ETIMEDOUT,
 * ECANCELED or the poll error. */
int stream_wait(int fd, short events, unsigned timeout, struct net_cancel *cancel);

/* If low is a COMPRESS layer: the layer under it, with *pending telling
 * whether it holds data already read (so a wait must not block).  NULL
 * otherwise. */
mailstream_low *compress_lower(mailstream_low *low, bool *pending);

/* If low is the guard layer: where it keeps the layer under it (STARTTLS
 * replaces it, COMPRESS wraps it), with *pending telling whether the guard
 * holds data already read.  NULL otherwise. */
mailstream_low **guard_below(mailstream_low *low, bool *pending);

/* Moves the raw bytes the guard low read from below but did not pass on
 * into buf (at most cap; what the server sent right after agreeing to
 * COMPRESS).  Returns their number, or (size_t)-1 if low is not the guard,
 * holds more than cap, or is inside a line or literal. */
size_t guard_take_raw(mailstream_low *low, void *buf, size_t cap);

#endif
