/*
 * Submitting one message on a logged-in SMTP session: MAIL FROM, RCPT per
 * recipient, DATA.  The reply codes decide what the send queue does: 2xx
 * goes on, 4xx and broken connections are worth another try, 5xx is final.
 *
 * libetpan's MAIL FROM knows SIZE but not BODY=8BITMIME or SMTPUTF8, so
 * that one command is written and its reply read here; RCPT and DATA are
 * libetpan's, which report the code in mailsmtp->response_code and the text
 * (without the code) in mailsmtp->response.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/util.h"
#include "smtp/private.h"

/* The server's last words as "550 text", for messages. */
static char *send_said(mailsmtp *smtp)
{
	const char *t = smtp->response && *smtp->response ? smtp->response : "no reason given";
	struct strbuf sb = STRBUF_INIT;

	if (smtp->response_code)
		strbuf_addf(&sb, "%d ", smtp->response_code);
	for (; *t; t++)
		strbuf_addch(&sb, (*t == '\r' || *t == '\n') ? ' ' : *t);
	while (sb.len && sb.buf[sb.len - 1] == ' ')
		sb.buf[--sb.len] = '\0';
	return strbuf_detach(&sb);
}

static bool send_offers(const char *capabilities, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = capabilities ? capabilities : ""; *p; ) {
		size_t len = strcspn(p, " ");
		if (len == n && strncasecmp(p, word, n) == 0)
			return true;
		p += len;
		while (*p == ' ')
			p++;
	}
	return false;
}

static bool send_non_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/* Writes MAIL FROM with its parameters and reads the (maybe multi-line)
 * reply.  Returns the code, 0 for a broken connection; *text malloc'd. */
static int send_mail_from(mailsmtp *smtp, const char *cmd, char **text)
{
	MMAPString *line = mmap_string_new("");
	struct strbuf sb = STRBUF_INIT;
	int code = 0;

	if (mailstream_write(smtp->stream, cmd, strlen(cmd)) < 0 ||
	    mailstream_flush(smtp->stream) < 0)
		goto out;
	for (;;) {
		char *l = mailstream_read_line_remove_eol(smtp->stream, line);
		if (!l || strlen(l) < 3) {
			code = 0;
			break;
		}
		code = atoi(l);
		if (strlen(l) > 4) {
			if (sb.len)
				strbuf_addch(&sb, ' ');
			strbuf_addstr(&sb, l + 4);
		}
		if (l[3] != '-')
			break;
	}
out:
	mmap_string_free(line);
	*text = code ? xasprintf("%d %s", code, strbuf_str(&sb)) : xstrdup("the connection broke");
	strbuf_release(&sb);
	return code;
}

enum smtp_send_status smtp_send_message(struct smtp_session *s, const char *capabilities,
					const char *from, char *const *rcpt, size_t n,
					const char *data, size_t len, bool eight_bit_header,
					bool eight_bit_body, char **why)
{
	mailsmtp *smtp = smtp_session_handle(s);
	struct strbuf cmd = STRBUF_INIT, refused = STRBUF_INIT;
	enum smtp_send_status st = SMTP_SEND_RETRY;
	bool temp_refusal = false, utf8;
	char *text = NULL;
	int code, rc;

	*why = NULL;
	if (smtp->smtp_max_msg_size && len > smtp->smtp_max_msg_size) {
		*why = xasprintf("the message is too large for the server: %zu bytes, and it "
				 "takes at most %zu (its SIZE limit)", len, smtp->smtp_max_msg_size);
		return SMTP_SEND_REFUSED;
	}
	/* SMTPUTF8 only for what needs it, a non-ASCII address: asked for, it
	 * binds every later hop to it (Postfix bounces when LMTP lacks it),
	 * and raw UTF-8 in other header fields travels as 8BITMIME */
	utf8 = send_non_ascii(from);
	for (size_t i = 0; i < n && !utf8; i++)
		utf8 = send_non_ascii(rcpt[i]);
	if (utf8 && !send_offers(capabilities, "SMTPUTF8")) {
		*why = xstrdup("an address has non-ASCII characters, and the server does not "
			       "offer SMTPUTF8 to carry them");
		return SMTP_SEND_REFUSED;
	}
	if ((eight_bit_body || eight_bit_header) && !(smtp->esmtp & MAILSMTP_ESMTP_8BITMIME)) {
		*why = xstrdup("the message has 8-bit text, and the server does not offer "
			       "8BITMIME; it needs quoted-printable or base64 encoding");
		return SMTP_SEND_REFUSED;
	}
	strbuf_addf(&cmd, "MAIL FROM:<%s>", from);
	if (smtp->esmtp & MAILSMTP_ESMTP_SIZE)
		strbuf_addf(&cmd, " SIZE=%zu", len);
	if (eight_bit_body || eight_bit_header)
		strbuf_addstr(&cmd, " BODY=8BITMIME");
	if (utf8)
		strbuf_addstr(&cmd, " SMTPUTF8");
	strbuf_addstr(&cmd, "\r\n");
	code = send_mail_from(smtp, cmd.buf, &text);
	if (code / 100 != 2) {
		if (!code)
			smtp_session_broken(s);
		*why = xasprintf("the server refused the sender %s: %s", from, text);
		st = code / 100 == 5 ? SMTP_SEND_REFUSED : SMTP_SEND_RETRY;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rc = mailsmtp_rcpt(smtp, rcpt[i]);
		if (rc == MAILSMTP_ERROR_STREAM) {
			smtp_session_broken(s);
			*why = xasprintf("the connection broke while giving the recipients");
			goto out;
		}
		if (smtp->response_code / 100 != 2) {
			char *said = send_said(smtp);
			if (smtp->response_code / 100 != 5)
				temp_refusal = true;
			strbuf_addf(&refused, "%srecipient %s refused: %s", refused.len ? "\n" : "",
				    rcpt[i], said);
			free(said);
		}
	}
	if (refused.len) {
		/* nothing is sent to anyone until every recipient is taken, so
		 * a retry after a correction never sends twice */
		mailsmtp_reset(smtp);
		*why = strbuf_detach(&refused);
		st = temp_refusal ? SMTP_SEND_RETRY : SMTP_SEND_REFUSED;
		goto out;
	}
	rc = mailsmtp_data(smtp);
	if (rc == MAILSMTP_ERROR_STREAM) {
		smtp_session_broken(s);
		*why = xstrdup("the connection broke before the message was sent");
		goto out;
	}
	if (smtp->response_code != 354) {
		char *said = send_said(smtp);
		*why = xasprintf("the server refused to take the message: %s", said);
		free(said);
		st = smtp->response_code / 100 == 5 ? SMTP_SEND_REFUSED : SMTP_SEND_RETRY;
		goto out;
	}
	rc = mailsmtp_data_message(smtp, data, len);
	if (rc == MAILSMTP_ERROR_STREAM) {
		/* the server may have it or not: this is the one window in
		 * which a retry can deliver twice */
		smtp_session_broken(s);
		*why = xstrdup("the connection broke while the message was being sent; the "
			       "server did not confirm it");
		goto out;
	}
	if (smtp->response_code / 100 != 2) {
		char *said = send_said(smtp);
		*why = xasprintf("the server did not accept the message: %s", said);
		free(said);
		st = smtp->response_code / 100 == 5 ? SMTP_SEND_REFUSED : SMTP_SEND_RETRY;
		goto out;
	}
	log_debug("smtp: message accepted for %zu recipient(s)", n);
	st = SMTP_SEND_OK;
out:
	free(text);
	strbuf_release(&cmd);
	strbuf_release(&refused);
	return st;
}
