/*
 * An SMTP submission session: connect, STARTTLS, EHLO, AUTH, QUIT.
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

	if (rc != MAILSMTP_NO_ERROR || !resp)
		return rc;
	resp += strcspn(resp, "\n");
	while (*resp) {
		size_t n;

		resp++;
		n = strcspn(resp, "\r\n");
		if (n)
			strbuf_addf(&sb, "%s%.*s", sb.len ? " " : "", (int)n, resp);
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

bool smtp_session_login(struct smtp_session *s, struct net_report *r)
{
	const struct account *a = s->account;
	const char *auth = config_get(a, OPTION_AUTH);
	const char *user = config_user(a);
	char *cause = NULL, *secret;
	int rc;

	if (!user)
		return net_report_fail(r, "account '%s' has neither user nor email", a->name);
	secret = net_credential(a, &cause);
	if (!secret) {
		net_report_fail(r, "%s", cause);
		free(cause);
		return false;
	}
	if (strcasecmp(auth, "xoauth2") == 0) {
		rc = mailsmtp_oauth2_authenticate(s->smtp, user, secret);
	} else if (strcasecmp(auth, "oauthbearer") == 0) {
		util_secret_free(&secret);
		return net_report_fail(r, "auth = oauthbearer is not supported for SMTP yet; "
				       "use xoauth2");
	} else {
		const char *mech = strcasecmp(auth, "login") == 0 ? "LOGIN" : "PLAIN";
		if (strcasecmp(auth, "plain") != 0 && !(s->smtp->auth & MAILSMTP_AUTH_PLAIN) &&
		    (s->smtp->auth & MAILSMTP_AUTH_LOGIN))
			mech = "LOGIN";
		rc = mailesmtp_auth_sasl(s->smtp, mech, s->url.host, NULL, NULL,
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
	r->logged_in = true;
	log_debug("smtp: logged in to %s as %s", s->url.host, user);
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
	FREE_NULL(*sp);
}

mailsmtp *smtp_session_handle(struct smtp_session *s)
{
	return s->smtp;
}

void smtp_session_broken(struct smtp_session *s)
{
	s->usable = false;
}
