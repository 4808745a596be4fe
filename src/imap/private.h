/* Shared between the files of src/imap only. */
#ifndef PETREL_IMAP_PRIVATE_H
#define PETREL_IMAP_PRIVATE_H

#include <libetpan/libetpan.h>

#include "imap/imap.h"

struct imap_session {
	const struct account *account;
	mailimap *imap;
	struct url url;
	struct net_params params;
	char pin[65];
	bool usable;        /* greeting done, TLS settled and no stream error since */
	char *selected;     /* server name of the selected folder, or NULL */
	unsigned round_trips;
	bool compressed;    /* COMPRESS=DEFLATE is active */
	bool qresync;       /* ENABLE QRESYNC done: expunges come as VANISHED */
};

/* The server's last response text, for messages; never NULL. */
const char *imap_session_said(const struct imap_session *s);

/* Turns a libetpan result into a message, marking the session unusable on a
 * stream error.  Returns a malloc'd string. */
char *imap_session_error(struct imap_session *s, const char *what, int rc);

#endif
