/*
 * IMAP IDLE: the session tells the server to push changes to the selected
 * folder; the engine waits on the stream (with other sessions' streams) and
 * ends the IDLE when something arrives or to keep the connection alive.
 */
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "imap/private.h"

bool imap_session_has_idle(const struct imap_session *s)
{
	return mailimap_has_idle(s->imap);
}

mailstream *imap_session_stream(struct imap_session *s)
{
	return s->imap->imap_stream;
}

int imap_idle_start(struct imap_session *s, const struct imap_folder *f, char **cause)
{
	int rc;

	if (!s->selected || strcmp(s->selected, f->name) != 0) {
		rc = mailimap_select(s->imap, f->name);
		s->round_trips++;
		if (rc != MAILIMAP_NO_ERROR) {
			*cause = imap_session_error(s, "cannot open the folder", rc);
			return -1;
		}
		xstrset(&s->selected, f->name);
	}
	rc = mailimap_idle(s->imap);
	if (rc != MAILIMAP_NO_ERROR) {
		*cause = imap_session_error(s, "cannot start IDLE", rc);
		return -1;
	}
	log_debug("imap: idling on %s", f->name);
	return 0;
}

int imap_idle_done(struct imap_session *s, char **cause)
{
	int rc = mailimap_idle_done(s->imap);

	s->round_trips++;
	if (rc != MAILIMAP_NO_ERROR) {
		*cause = imap_session_error(s, "IDLE ended badly", rc);
		return -1;
	}
	/* With QRESYNC on, expunges are pushed as VANISHED; the sync that
	 * follows learns them again from its QRESYNC SELECT, so they are only
	 * noted here. */
	if (s->qresync && imap_qresync_vanished_in_idle(s))
		log_debug("imap: VANISHED pushed during IDLE on %s", s->selected ? s->selected : "?");
	return 0;
}
