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

#endif
