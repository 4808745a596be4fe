/* Shared between the files of src/smtp only. */
#ifndef PETREL_SMTP_PRIVATE_H
#define PETREL_SMTP_PRIVATE_H

#include <libetpan/libetpan.h>

#include "smtp/smtp.h"

/* A session over an open stream (ownership passes in), after its greeting:
 * for the fuzz harness, which has no server to connect to. */
struct smtp_session *smtp_session_over(mailstream *stream);
/* The libetpan session, borrowed from s. */
mailsmtp *smtp_session_handle(struct smtp_session *s);
/* Marks the connection unusable (no QUIT on free): after a stream error. */
void smtp_session_broken(struct smtp_session *s);

#endif
