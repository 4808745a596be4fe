/*
 * An IMAP session: connect, STARTTLS, capabilities, login, logout.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "core/log.h"
#include "core/util.h"
#include "imap/private.h"

const char *imap_session_said(const struct imap_session *s)
{
	const char *t = s->imap->imap_response;

	return t && *t ? t : "no reason given";
}

char *imap_session_error(struct imap_session *s, const char *what, int rc)
{
	if (rc == MAILIMAP_ERROR_STREAM) {
		char *why = net_stream_failure(s->imap->imap_stream), *msg;

		s->usable = false;
		msg = why ? xasprintf("%s: the connection to %s was lost: %s", what, s->url.host, why)
			  : xasprintf("%s: the connection to %s was lost", what, s->url.host);
		free(why);
		return msg;
	}
	if (rc == MAILIMAP_ERROR_PARSE) {
		/* where the next response starts is unknown now: reading on would
		 * take the rest of this one for responses */
		s->usable = false;
		return xasprintf("%s: %s sent a response petrel cannot understand; petrel "
				 "closed the connection", what, s->url.host);
	}
	return xasprintf("%s: %s", what, imap_session_said(s));
}

/* Forgets what the server said it can do (before STARTTLS it may have been
 * forged; a login may change it). */
static void imap_session_caps_reset(struct imap_session *s)
{
	struct mailimap_connection_info *ci = s->imap->imap_connection_info;

	if (ci && ci->imap_capability) {
		mailimap_capability_data_free(ci->imap_capability);
		ci->imap_capability = NULL;
	}
}

/* The capabilities into r: those the server volunteered in a [CAPABILITY]
 * response code (greeting, login) when it did, saving a round trip on slow
 * links; else asked for. */
static void imap_session_caps(struct imap_session *s, struct net_report *r)
{
	struct mailimap_connection_info *ci = s->imap->imap_connection_info;
	struct mailimap_capability_data *cap = NULL;
	struct strbuf sb = STRBUF_INIT;
	clistiter *it;

	if (!ci || !ci->imap_capability) {
		s->round_trips++;
		if (mailimap_capability(s->imap, &cap) != MAILIMAP_NO_ERROR)
			return;
		mailimap_capability_data_free(cap);  /* libetpan keeps its own copy */
	}
	if (!ci || !ci->imap_capability)
		return;
	for (it = clist_begin(ci->imap_capability->cap_list); it; it = clist_next(it)) {
		struct mailimap_capability *c = clist_content(it);
		if (c->cap_type == MAILIMAP_CAPABILITY_AUTH_TYPE)
			strbuf_addf(&sb, "%sAUTH=%s", sb.len ? " " : "", c->cap_data.cap_auth_type);
		else
			strbuf_addf(&sb, "%s%s", sb.len ? " " : "", c->cap_data.cap_name);
	}
	free(r->capabilities);
	r->capabilities = strbuf_detach(&sb);
}

struct imap_session *imap_session_connect(const struct account *a, struct net_cancel *cancel,
					  struct net_report *r)
{
	struct imap_session *s = xcalloc(1, sizeof(*s));
	mailstream *stream;
	bool need_starttls;
	char *cause = NULL;
	int rc;

	s->account = a;
	if (!config_get_url(a, OPTION_IMAP, &s->url)) {
		net_report_fail(r, "account '%s' has no imap URL", a->name);
		free(s);
		return NULL;
	}
	net_params_from_account(&s->params, a, &s->url, s->pin);
	s->params.cancel = cancel;
	s->imap = mailimap_new(0, NULL);
	if (!s->imap)
		BUG("out of memory in mailimap_new");
	mailimap_set_timeout(s->imap, s->params.timeout);
	stream = net_open(a, &s->url, &s->params, r, &need_starttls);
	if (!stream)
		goto fail;
	net_stream_guard(stream);
	rc = mailimap_connect(s->imap, stream);
	if (rc != MAILIMAP_NO_ERROR_AUTHENTICATED && rc != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		if (rc == MAILIMAP_ERROR_STREAM) {
			char *why = net_stream_failure(stream);
			net_report_fail(r, "the connection to %s was lost before its greeting%s%s",
					s->url.host, why ? ": " : "", why ? why : "");
			free(why);
		} else {
			net_report_fail(r, "%s did not greet as an IMAP server (error %d)",
					s->url.host, rc);
		}
		goto fail;
	}
	imap_session_caps(s, r);
	if (need_starttls) {
		if (!mailimap_has_extension(s->imap, "STARTTLS")) {
			net_report_fail(r, "%s does not offer STARTTLS on port %u, so the password would "
					"cross the network unencrypted; use imaps:// (port 993), or set "
					"tls = off only for a server on this machine",
					s->url.host, (unsigned)s->url.port);
			goto fail;
		}
		rc = mailimap_starttls(s->imap);
		if (rc != MAILIMAP_NO_ERROR) {
			net_report_fail(r, "%s refused STARTTLS: %s", s->url.host, imap_session_said(s));
			goto fail;
		}
		if (!net_stream_starttls(s->imap->imap_stream, &s->params, &r->tls, &cause)) {
			net_report_fail(r, "%s", cause);
			free(cause);
			goto fail;
		}
		/* capabilities before TLS may have been forged; ask again */
		imap_session_caps_reset(s);
		imap_session_caps(s, r);
	}
	r->connected = true;
	s->usable = true;
	log_debug("imap: connected to %s", s->url.text);
	return s;
fail:
	imap_session_free(&s);
	return NULL;
}

/* Writes the pieces and CRLF with the stream's logging off (they may hold a
 * secret); false if the connection broke. */
static bool imap_session_send_secret(mailstream *st, const char *a, const char *b)
{
	bool ok;

	mailstream_set_privacy(st, 0);
	ok = mailstream_write(st, a, strlen(a)) >= 0 && (!b || mailstream_write(st, b, strlen(b)) >= 0) &&
	     mailstream_write(st, "\r\n", 2) >= 0 && mailstream_flush(st) >= 0;
	mailstream_set_privacy(st, 1);
	return ok;
}

/* AUTHENTICATE with mech, done here rather than by libetpan: its XOAUTH2
 * ignores SASL-IR and loses the server's error, and it has no OAUTHBEARER.
 * The initial response goes on the command line when the server has
 * SASL-IR, else after its first "+".  Another "+" is an OAuth2 error
 * (JSON, RFC 7628): its status lands in *status and the client answers so
 * that the server can finish with NO.  Returns a MAILIMAP_ code. */
static int imap_session_authenticate(struct imap_session *s, enum net_sasl_mech mech,
				     bool sasl_ir, const char *user, const char *secret,
				     char **status)
{
	mailstream *st = s->imap->imap_stream;
	char *ir = net_sasl_initial(mech, user, secret, s->url.host, s->url.port);
	struct mailimap_response *resp = NULL;
	char *cmd = xasprintf("AUTHENTICATE %s%s", net_sasl_name(mech), sasl_ir ? " " : "");
	bool sent_ir = sasl_ir;
	int rc, rounds = 0;

	rc = mailimap_send_current_tag(s->imap);
	if (rc != MAILIMAP_NO_ERROR)
		goto out;
	if (!imap_session_send_secret(st, cmd, sasl_ir ? ir : NULL)) {
		rc = MAILIMAP_ERROR_STREAM;
		goto out;
	}
	for (;;) {
		char *line = mailimap_read_line(s->imap);
		const char *reply;

		if (!line) {
			rc = MAILIMAP_ERROR_STREAM;
			goto out;
		}
		if (line[0] != '+')
			break;
		if (++rounds > 3) {
			/* a server that keeps asking: cancel (RFC 3501 6.2.2) */
			reply = "*";
		} else if (!sent_ir) {
			reply = ir;
			sent_ir = true;
		} else {
			free(*status);
			*status = net_sasl_oauth_status(line[1] == ' ' ? line + 2 : line + 1);
			reply = net_sasl_error_reply(mech);
		}
		if (rounds > 4 || !imap_session_send_secret(st, reply, NULL)) {
			rc = MAILIMAP_ERROR_STREAM;
			goto out;
		}
	}
	rc = mailimap_parse_response(s->imap, &resp);
	if (rc != MAILIMAP_NO_ERROR)
		goto out;
	if (resp->rsp_resp_done->rsp_type == MAILIMAP_RESP_DONE_TYPE_TAGGED &&
	    resp->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type ==
		    MAILIMAP_RESP_COND_STATE_OK) {
		s->imap->imap_state = MAILIMAP_STATE_AUTHENTICATED;
		rc = MAILIMAP_NO_ERROR;
	} else {
		rc = MAILIMAP_ERROR_LOGIN;
	}
	mailimap_response_free(resp);
out:
	util_secret_free(&ir);
	free(cmd);
	return rc;
}

/* After login: COMPRESS=DEFLATE (RFC 4978) when the server offers it and the
 * account allows it.  The command goes out alone (nothing may be pipelined
 * after it: the server's next byte is compressed), through libetpan's plain
 * custom-command call, since its own COMPRESS kills the session
 * (LIBRARY-NOTES.md 3).  A refusal leaves the session as it was.  Returns
 * false with r->error set only if the connection broke. */
static bool imap_session_compress(struct imap_session *s, struct net_report *r)
{
	char *cause = NULL;
	int rc;

	if (strcmp(config_get(s->account, OPTION_COMPRESS), "off") == 0 ||
	    !mailimap_has_extension(s->imap, "COMPRESS=DEFLATE"))
		return true;
	s->round_trips++;
	rc = mailimap_custom_command(s->imap, "COMPRESS DEFLATE");
	if (rc == MAILIMAP_ERROR_STREAM) {
		s->usable = false;
		return net_report_fail(r, "the connection to %s broke when asking for compression",
				       s->url.host);
	}
	if (rc != MAILIMAP_NO_ERROR) {
		log_debug("imap: %s refused COMPRESS DEFLATE: %s", s->url.host,
			  imap_session_said(s));
		return true;
	}
	if (!net_stream_compress(s->imap->imap_stream, &cause)) {
		s->usable = false;
		net_report_fail(r, "%s: %s", s->url.host, cause);
		free(cause);
		return false;
	}
	s->compressed = true;
	return true;
}

bool imap_session_login(struct imap_session *s, struct net_report *r)
{
	const struct account *a = s->account;
	const char *auth = config_get(a, OPTION_AUTH);
	const char *user = config_user(a);
	char *cause = NULL, *secret, *status = NULL, *msg;
	enum net_sasl_mech mech = NET_SASL_PLAIN;
	bool sasl = net_sasl_from_auth(auth, &mech), logindisabled, sasl_ir;
	int rc;

	if (!user)
		return net_report_fail(r, "account '%s' has neither user nor email", a->name);
	if (strcasecmp(auth, "apop") == 0)
		return net_report_fail(r, "auth = apop is a POP3 mechanism; IMAP cannot use it "
				       "(remove the auth line for IMAP's LOGIN)");
	if (sasl && net_sasl_is_oauth(mech) &&
	    !mailimap_has_authentication(s->imap, net_sasl_name(mech)))
		return net_report_fail(r, "%s does not offer AUTH=%s, which auth = %s needs",
				       s->url.host, net_sasl_name(mech), auth);
	secret = net_credential(a, &cause);
	if (!secret) {
		net_report_fail(r, "%s", cause);
		free(cause);
		return false;
	}
	logindisabled = mailimap_has_extension(s->imap, "LOGINDISABLED");
	sasl_ir = mailimap_has_extension(s->imap, "SASL-IR");
	/* whatever comes back in the login's [CAPABILITY] replaces the old list */
	imap_session_caps_reset(s);
	s->round_trips++;
	if (sasl) {
		free(r->auth);
		r->auth = xasprintf("AUTHENTICATE %s", net_sasl_name(mech));
		rc = imap_session_authenticate(s, mech, sasl_ir, user, secret, &status);
	} else if (strcasecmp(auth, "login") == 0) {
		xstrset(&r->auth, "AUTHENTICATE LOGIN");
		rc = mailimap_authenticate(s->imap, "LOGIN", s->url.host, NULL, NULL,
					   user, user, secret, NULL);
	} else {
		if (logindisabled) {
			util_secret_free(&secret);
			return net_report_fail(r, "%s does not allow logging in here (LOGINDISABLED)",
					       s->url.host);
		}
		xstrset(&r->auth, "LOGIN");
		rc = mailimap_login(s->imap, user, secret);
	}
	util_secret_free(&secret);
	if (rc != MAILIMAP_NO_ERROR) {
		if (rc == MAILIMAP_ERROR_STREAM) {
			s->usable = false;
			msg = xasprintf("the connection to %s broke during login", s->url.host);
		} else {
			msg = net_sasl_refused(sasl ? mech : NET_SASL_PLAIN, user, s->url.host,
					       status, imap_session_said(s));
		}
		net_report_fail(r, "%s", msg);
		free(msg);
		free(status);
		return false;
	}
	free(status);
	r->logged_in = true;
	/* servers often list more capabilities once logged in */
	imap_session_caps(s, r);
	log_debug("imap: logged in to %s as %s (%s)", s->url.host, user, r->auth);
	return imap_session_compress(s, r);
}

void imap_session_free(struct imap_session **sp)
{
	struct imap_session *s = *sp;

	if (!s)
		return;
	/* what the slow-link user pays: bytes on the wire (below COMPRESS) */
	log_debug("imap: closing %s%s after %u round trips; wire bytes so far: %llu in, %llu out",
		  s->url.host ? s->url.host : "?", s->compressed ? " (COMPRESS)" : "",
		  s->round_trips, net_bytes_in(), net_bytes_out());
	if (s->imap) {
		if (s->usable && s->imap->imap_stream)
			mailimap_logout(s->imap);
		mailimap_free(s->imap);
	}
	url_release(&s->url);
	free(s->selected);
	FREE_NULL(*sp);
}
