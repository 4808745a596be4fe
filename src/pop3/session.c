/*
 * A POP3 session: connect, STLS, CAPA, login, quit.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "core/log.h"
#include "core/util.h"
#include "pop3/pop3.h"

struct pop3_session {
	const struct account *account;
	mailpop3 *pop3;
	struct url url;
	struct net_params params;
	char pin[65];
	bool usable;
	bool has_stls, has_user, has_uidl;
};

static const char *pop3_session_said(const struct pop3_session *s)
{
	const char *t = s->pop3->pop3_response;

	return t && *t ? t : "no reason given";
}

static void pop3_session_capa(struct pop3_session *s, struct net_report *r)
{
	struct strbuf sb = STRBUF_INIT;
	clist *capa = NULL;
	clistiter *it;

	s->has_stls = s->has_user = s->has_uidl = false;
	if (mailpop3_capa(s->pop3, &capa) != MAILPOP3_NO_ERROR)
		return;
	for (it = clist_begin(capa); it; it = clist_next(it)) {
		struct mailpop3_capa *c = clist_content(it);
		clistiter *p;

		strbuf_addf(&sb, "%s%s", sb.len ? " " : "", c->cap_name);
		for (p = clist_begin(c->cap_param); p; p = clist_next(p))
			strbuf_addf(&sb, "=%s", (char *)clist_content(p));
		if (strcasecmp(c->cap_name, "STLS") == 0)
			s->has_stls = true;
		else if (strcasecmp(c->cap_name, "USER") == 0)
			s->has_user = true;
		else if (strcasecmp(c->cap_name, "UIDL") == 0)
			s->has_uidl = true;
	}
	mailpop3_capa_resp_free(capa);
	free(r->capabilities);
	r->capabilities = strbuf_detach(&sb);
}

struct pop3_session *pop3_session_connect(const struct account *a, struct net_cancel *cancel,
					  struct net_report *r)
{
	struct pop3_session *s = xcalloc(1, sizeof(*s));
	mailstream *stream;
	bool need_starttls;
	char *cause = NULL;
	int rc;

	s->account = a;
	if (!config_get_url(a, OPTION_POP3, &s->url)) {
		net_report_fail(r, "account '%s' has no pop3 URL", a->name);
		free(s);
		return NULL;
	}
	net_params_from_account(&s->params, a, &s->url, s->pin);
	s->params.cancel = cancel;
	s->pop3 = mailpop3_new(0, NULL);
	if (!s->pop3)
		BUG("out of memory in mailpop3_new");
	mailpop3_set_timeout(s->pop3, s->params.timeout);
	stream = net_open(a, &s->url, &s->params, r, &need_starttls);
	if (!stream)
		goto fail;
	rc = mailpop3_connect(s->pop3, stream);
	if (rc != MAILPOP3_NO_ERROR) {
		net_report_fail(r, "%s did not greet as a POP3 server (error %d)", s->url.host, rc);
		goto fail;
	}
	pop3_session_capa(s, r);
	if (need_starttls) {
		if (!s->has_stls) {
			net_report_fail(r, "%s does not offer STLS on port %u, so the password would "
					"cross the network unencrypted; use pop3s:// (port 995), or set "
					"tls = off only for a server on this machine",
					s->url.host, (unsigned)s->url.port);
			goto fail;
		}
		rc = mailpop3_stls(s->pop3);
		if (rc != MAILPOP3_NO_ERROR) {
			net_report_fail(r, "%s refused STLS: %s", s->url.host, pop3_session_said(s));
			goto fail;
		}
		if (!net_stream_starttls(s->pop3->pop3_stream, &s->params, &r->tls, &cause)) {
			net_report_fail(r, "%s", cause);
			free(cause);
			goto fail;
		}
		pop3_session_capa(s, r);
	}
	if (!s->has_uidl)
		xstrset(&r->note, "the server does not offer UIDL: petrel will recognise messages "
			"by a digest of their headers");
	r->connected = true;
	s->usable = true;
	log_debug("pop3: connected to %s", s->url.text);
	return s;
fail:
	pop3_session_free(&s);
	return NULL;
}

bool pop3_session_login(struct pop3_session *s, struct net_report *r)
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
	if (strcasecmp(auth, "auto") == 0) {
		rc = mailpop3_user(s->pop3, user);
		if (rc == MAILPOP3_NO_ERROR)
			rc = mailpop3_pass(s->pop3, secret);
	} else if (strcasecmp(auth, "plain") == 0 || strcasecmp(auth, "login") == 0) {
		rc = mailpop3_auth(s->pop3, strcasecmp(auth, "plain") == 0 ? "PLAIN" : "LOGIN",
				   s->url.host, NULL, NULL, user, user, secret, NULL);
	} else {
		util_secret_free(&secret);
		return net_report_fail(r, "auth = %s is not supported for POP3 yet", auth);
	}
	util_secret_free(&secret);
	if (rc != MAILPOP3_NO_ERROR) {
		if (rc == MAILPOP3_ERROR_STREAM) {
			s->usable = false;
			return net_report_fail(r, "the connection to %s broke during login",
					       s->url.host);
		}
		return net_report_fail(r, "login as %s refused by %s: %s", user, s->url.host,
				       pop3_session_said(s));
	}
	r->logged_in = true;
	log_debug("pop3: logged in to %s as %s", s->url.host, user);
	return true;
}

void pop3_session_free(struct pop3_session **sp)
{
	struct pop3_session *s = *sp;

	if (!s)
		return;
	if (s->pop3) {
		if (s->usable && s->pop3->pop3_stream)
			mailpop3_quit(s->pop3);
		mailpop3_free(s->pop3);
	}
	url_release(&s->url);
	FREE_NULL(*sp);
}
