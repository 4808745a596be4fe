/*
 * An SMTP server's side through petrel's submission code (src/smtp/send.c
 * behind libetpan's reply reader and petrel's line guard): the greeting,
 * then MAIL FROM, RCPT TO for three recipients, DATA, whatever the server
 * answers.  The first byte picks the capabilities petrel believes in and
 * the read size; the rest is the server's replies in order.  What petrel
 * would tell the user must be terminal-safe once sanitized, and a send
 * must only succeed after a final reply.
 */
#include "mime/mime.h"
#include "smtp/private.h"
#include "tests/fuzz/memstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *caps[] = { "", "SIZE 1000", "8BITMIME SMTPUTF8", "SIZE 10 8BITMIME" };
	static char *const rcpt[] = { (char *)"a@example.org", (char *)"b@example.org",
				      (char *)"jos\xc3\xa9@example.org" };
	static const char msg[] = "From: x@example.org\r\nSubject: hi\r\n\r\nbody\r\n.dot\r\n";
	struct smtp_session *s;
	char *why = NULL;
	unsigned mode;

	if (size < 1)
		return 0;
	mode = data[0];
	s = smtp_session_over(fuzz_mem_stream(data + 1, size - 1, 1 + (mode >> 4) * 41));
	smtp_send_message(s, caps[mode & 3], "x@example.org", rcpt, (mode & 4) ? 3 : 2, msg,
			  sizeof(msg) - 1, mode & 8, mode & 8, &why);
	if (why) {
		char *safe = sanitize(why, strlen(why), SANITIZE_MULTILINE);
		fuzz_check_terminal_safe(safe, strlen(safe), true);
		free(safe);
		free(why);
	}
	smtp_session_free(&s);
	return 0;
}
