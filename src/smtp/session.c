/*
 * An SMTP submission session: connect, STARTTLS, EHLO, AUTH, QUIT.
 * AUTH PLAIN and LOGIN go through libetpan; XOAUTH2 and OAUTHBEARER are
 * done here (src/net/sasl.c builds the messages).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "core/log.h"
#include "core/util.h"
#include "smtp/private.h"

struct smtp_session {
	const struct account *account;
	mailsmtp *smtp;
	struct url url;
	struct net_params params;
	char pin[65];
	bool usable;
	char *auth_mechs;   /* the mechanisms of EHLO's AUTH line, or NULL */
};

static const char *smtp_session_said(const struct smtp_session *s)
{
	const char *t = s->smtp->response;

	return t && *t ? t : "no reason given";
}

/* EHLO, and the capability list from its answer (first line is a greeting). */
static int smtp_session_ehlo(struct smtp_session *s, struct net_report *r)
{
	int rc = mailesmtp_ehlo(s->smtp);
	const char *resp = s->smtp->response;
	struct strbuf sb = STRBUF_INIT;

	FREE_NULL(s->auth_mechs);
	if (rc != MAILSMTP_NO_ERROR || !resp)
		return rc;
	resp += strcspn(resp, "\n");
	while (*resp) {
		size_t n;

		resp++;
		n = strcspn(resp, "\r\n");
		if (n)
			strbuf_addf(&sb, "%s%.*s", sb.len ? " " : "", (int)n, resp);
		if (n > 5 && strncasecmp(resp, "AUTH", 4) == 0 && (resp[4] == ' ' || resp[4] == '=')) {
			free(s->auth_mechs);
			s->auth_mechs = xstrndup(resp + 5, n - 5);
		}
		resp += n;
		while (*resp == '\r')
			resp++;
	}
	free(r->capabilities);
	r->capabilities = strbuf_detach(&sb);
	return rc;
}

struct smtp_session *smtp_session_connect(const struct account *a, struct net_cancel *cancel,
					  struct net_report *r)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));
	mailstream *stream;
	bool need_starttls;
	char *cause = NULL;
	int rc;

	s->account = a;
	if (!config_get_url(a, OPTION_SMTP, &s->url)) {
		net_report_fail(r, "account '%s' has no smtp URL", a->name);
		free(s);
		return NULL;
	}
	net_params_from_account(&s->params, a, &s->url, s->pin);
	s->params.cancel = cancel;
	s->smtp = mailsmtp_new(0, NULL);
	if (!s->smtp)
		BUG("out of memory in mailsmtp_new");
	mailsmtp_set_timeout(s->smtp, s->params.timeout);
	stream = net_open(a, &s->url, &s->params, r, &need_starttls);
	if (!stream)
		goto fail;
	net_stream_guard_lines(stream);
	rc = mailsmtp_connect(s->smtp, stream);
	if (rc != MAILSMTP_NO_ERROR) {
		net_report_fail(r, "%s did not greet as an SMTP server: %s", s->url.host,
				smtp_session_said(s));
		goto fail;
	}
	rc = smtp_session_ehlo(s, r);
	if (rc != MAILSMTP_NO_ERROR) {
		net_report_fail(r, "%s refused EHLO: %s", s->url.host, smtp_session_said(s));
		goto fail;
	}
	if (need_starttls) {
		if (!(s->smtp->esmtp & MAILSMTP_ESMTP_STARTTLS)) {
			net_report_fail(r, "%s does not offer STARTTLS on port %u, so the password would "
					"cross the network unencrypted; use smtps:// (port 465), or set "
					"tls = off only for a server on this machine",
					s->url.host, (unsigned)s->url.port);
			goto fail;
		}
		rc = mailesmtp_starttls(s->smtp);
		if (rc != MAILSMTP_NO_ERROR) {
			net_report_fail(r, "%s refused STARTTLS: %s", s->url.host, smtp_session_said(s));
			goto fail;
		}
		if (!net_stream_starttls(s->smtp->stream, &s->params, &r->tls, &cause)) {
			net_report_fail(r, "%s", cause);
			free(cause);
			goto fail;
		}
		rc = smtp_session_ehlo(s, r);
		if (rc != MAILSMTP_NO_ERROR) {
			net_report_fail(r, "%s refused EHLO after STARTTLS: %s", s->url.host,
					smtp_session_said(s));
			goto fail;
		}
	}
	r->connected = true;
	s->usable = true;
	log_debug("smtp: connected to %s", s->url.text);
	return s;
fail:
	smtp_session_free(&s);
	return NULL;
}

/* Whether the last EHLO answer listed mech in its AUTH line. */
static bool smtp_session_offers(const struct smtp_session *s, const char *mech)
{
	const char *p = s->auth_mechs;

	while (p && *p) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == strlen(mech) && strncasecmp(p, mech, n) == 0)
			return true;
		p += n;
	}
	return false;
}

/* Sends line and CRLF with the stream's logging off (it may hold a
 * secret), then reads the whole reply: its code, or -1 if the connection
 * broke; *text gets the last line's text (malloc'd). */
static int smtp_session_exchange(struct smtp_session *s, const char *a, const char *b, char **text)
{
	mailstream *st = s->smtp->stream;
	MMAPString *line = mmap_string_new("");
	int code = -1;
	bool ok;

	if (!line)
		BUG("out of memory in mmap_string_new");
	mailstream_set_privacy(st, 0);
	ok = mailstream_write(st, a, strlen(a)) >= 0 && (!b || mailstream_write(st, b, strlen(b)) >= 0) &&
	     mailstream_write(st, "\r\n", 2) >= 0 && mailstream_flush(st) >= 0;
	mailstream_set_privacy(st, 1);
	while (ok) {
		const char *l = mailstream_read_line_remove_eol(st, line);

		if (!l || strlen(l) < 3 || !strchr("12345", l[0]) || l[1] < '0' || l[1] > '9' ||
		    l[2] < '0' || l[2] > '9' || (l[3] != '\0' && l[3] != ' ' && l[3] != '-'))
			break;
		if (l[3] == '-')
			continue;
		code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
		free(*text);
		*text = xstrdup(l[3] ? l + 4 : "");
		break;
	}
	mmap_string_free(line);
	return code;
}

/* AUTH with an OAuth2 mechanism, done here: libetpan's XOAUTH2 does not
 * read the server's error and it has no OAUTHBEARER.  The initial response
 * goes with the command (RFC 4954); a 334 after it is the OAuth2 error
 * (JSON), whose status lands in *status; the answer to it lets the server
 * finish with 535.  Returns true when the server said 235; else *said has
 * its answer (malloc'd). */
static bool smtp_session_oauth(struct smtp_session *s, enum net_sasl_mech mech, const char *user,
			       const char *secret, char **status, char **said, bool *broken)
{
	char *ir = net_sasl_initial(mech, user, secret, s->url.host, s->url.port);
	char *cmd = xasprintf("AUTH %s ", net_sasl_name(mech));
	int code = smtp_session_exchange(s, cmd, ir, said);

	util_secret_free(&ir);
	free(cmd);
	if (code == 334) {
		*status = net_sasl_oauth_status(*said ? *said : "");
		code = smtp_session_exchange(s, net_sasl_error_reply(mech), NULL, said);
	}
	*broken = code < 0;
	return code == 235;
}

bool smtp_session_login(struct smtp_session *s, struct net_report *r)
{
	const struct account *a = s->account;
	const char *auth = config_get(a, OPTION_AUTH);
	const char *user = config_user(a);
	enum net_sasl_mech mech;
	char *cause = NULL, *secret;
	int rc;

	if (!user)
		return net_report_fail(r, "account '%s' has neither user nor email", a->name);
	if (net_sasl_from_auth(auth, &mech) && net_sasl_is_oauth(mech) &&
	    !smtp_session_offers(s, net_sasl_name(mech)))
		return net_report_fail(r, "%s does not offer AUTH %s, which auth = %s needs",
				       s->url.host, net_sasl_name(mech), auth);
	secret = net_credential(a, &cause);
	if (!secret) {
		net_report_fail(r, "%s", cause);
		free(cause);
		return false;
	}
	if (net_sasl_from_auth(auth, &mech) && net_sasl_is_oauth(mech)) {
		char *status = NULL, *said = NULL, *msg;
		bool broken, ok;

		free(r->auth);
		r->auth = xasprintf("AUTH %s", net_sasl_name(mech));
		ok = smtp_session_oauth(s, mech, user, secret, &status, &said, &broken);
		util_secret_free(&secret);
		if (ok) {
			free(said);
			goto done;
		}
		if (broken) {
			s->usable = false;
			msg = xasprintf("the connection to %s broke during login", s->url.host);
		} else {
			msg = net_sasl_refused(mech, user, s->url.host, status,
					       said && *said ? said : "no reason given");
		}
		net_report_fail(r, "%s", msg);
		free(msg);
		free(status);
		free(said);
		return false;
	} else {
		const char *sasl_mech = strcasecmp(auth, "login") == 0 ? "LOGIN" : "PLAIN";
		if (strcasecmp(auth, "plain") != 0 && !(s->smtp->auth & MAILSMTP_AUTH_PLAIN) &&
		    (s->smtp->auth & MAILSMTP_AUTH_LOGIN))
			sasl_mech = "LOGIN";
		free(r->auth);
		r->auth = xasprintf("AUTH %s", sasl_mech);
		rc = mailesmtp_auth_sasl(s->smtp, sasl_mech, s->url.host, NULL, NULL,
					 user, user, secret, NULL);
	}
	util_secret_free(&secret);
	if (rc != MAILSMTP_NO_ERROR) {
		if (rc == MAILSMTP_ERROR_STREAM) {
			s->usable = false;
			return net_report_fail(r, "the connection to %s broke during login",
					       s->url.host);
		}
		return net_report_fail(r, "login as %s refused by %s: %s", user, s->url.host,
				       smtp_session_said(s));
	}
done:
	r->logged_in = true;
	log_debug("smtp: logged in to %s as %s (%s)", s->url.host, user, r->auth);
	return true;
}

void smtp_session_free(struct smtp_session **sp)
{
	struct smtp_session *s = *sp;

	if (!s)
		return;
	if (s->smtp) {
		if (s->usable && s->smtp->stream)
			mailsmtp_quit(s->smtp);
		mailsmtp_free(s->smtp);
	}
	url_release(&s->url);
	free(s->auth_mechs);
	FREE_NULL(*sp);
}

struct smtp_session *smtp_session_over(mailstream *stream)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));

	s->smtp = mailsmtp_new(0, NULL);
	if (!s->smtp)
		BUG("out of memory in mailsmtp_new");
	net_stream_guard_lines(stream);
	/* on a bad greeting libetpan closes the stream itself */
	s->usable = mailsmtp_connect(s->smtp, stream) == MAILSMTP_NO_ERROR;
	return s;
}

mailsmtp *smtp_session_handle(struct smtp_session *s)
{
	return s->smtp;
}

void smtp_session_broken(struct smtp_session *s)
{
	s->usable = false;
}
