/*
 * A POP3 session: connect, STLS, CAPA with libetpan; login by USER/PASS
 * (pipelined when it can be), APOP or AUTH (PLAIN, XOAUTH2, OAUTHBEARER,
 * done here; LOGIN through libetpan).  After the
 * login, commands are pipelined through petrel's own reader (private.h),
 * which also reads multi-line answers without libetpan's limits (a NUL
 * byte in a line, a line without end).  QUIT, or a drop without it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "core/log.h"
#include "mime/mime.h"
#include "pop3/private.h"

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

	s->has_stls = s->has_user = s->has_uidl = s->has_top = s->has_pipelining = false;
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
		else if (strcasecmp(c->cap_name, "TOP") == 0)
			s->has_top = true;
		else if (strcasecmp(c->cap_name, "PIPELINING") == 0)
			s->has_pipelining = true;
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
	strbuf_init(&s->line);
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
	net_stream_guard_lines(stream);
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

/* USER, PASS and STAT in one write (RFC 2449 PIPELINING); the count is
 * kept for pop3_list_stat. */
static bool pop3_session_login_pipelined(struct pop3_session *s, const char *user,
					 const char *secret, struct net_report *r)
{
	const char *text;
	char *cause = NULL, *safe, *end;
	enum pop3_status st[3];
	unsigned long count;
	bool ok = false;

	pop3_session_queue(s, "USER %s", user);
	pop3_session_queue(s, "PASS %s", secret);
	pop3_session_queue(s, "STAT");
	if (pop3_session_flush(s, &cause) < 0)
		goto broken;
	st[0] = pop3_session_status(s, &text, &cause);
	if (st[0] == POP3_BROKEN)
		goto broken;
	st[1] = pop3_session_status(s, &text, &cause);
	if (st[1] == POP3_BROKEN)
		goto broken;
	if (st[0] != POP3_OK || st[1] != POP3_OK) {
		safe = sanitize_line(*text ? text : "no reason given");
		net_report_fail(r, "login as %s refused by %s: %s", user, s->url.host, safe);
		free(safe);
		pop3_session_status(s, &text, &cause);  /* the STAT's -ERR */
		goto out;
	}
	st[2] = pop3_session_status(s, &text, &cause);
	if (st[2] == POP3_BROKEN)
		goto broken;
	count = strtoul(text, &end, 10);
	if (st[2] == POP3_OK && end != text && count <= 10000000) {
		s->stat_count = (unsigned)count;
		s->stat_known = true;
	}
	r->logged_in = ok = true;
	log_debug("pop3: logged in to %s as %s", s->url.host, user);
	goto out;
broken:
	s->usable = false;
	net_report_fail(r, "the connection to %s broke during login", s->url.host);
out:
	free(cause);
	return ok;
}

/* Whether CAPA listed mech under SASL (r->capabilities holds it as
 * "SASL=PLAIN=XOAUTH2"). */
static bool pop3_session_offers(const struct net_report *r, const char *mech)
{
	const char *p = r->capabilities;

	for (; p && *p; p += strcspn(p, " "), p += strspn(p, " ")) {
		const char *end = p + strcspn(p, " ");

		if (strncasecmp(p, "SASL=", 5) != 0)
			continue;
		for (p += 5; p < end; p += strcspn(p, "= "), p += (*p == '=')) {
			size_t n = strcspn(p, "= ");
			if (n == strlen(mech) && strncasecmp(p, mech, n) == 0)
				return true;
		}
	}
	return false;
}

static int pop3_session_line(struct pop3_session *s, struct strbuf *sb, size_t max, char **cause);

/* Sends a and b and CRLF, never logged (they may hold a secret). */
static bool pop3_session_send_secret(struct pop3_session *s, const char *a, const char *b)
{
	mailstream *st = s->pop3->pop3_stream;
	bool ok;

	s->own_io = true;
	mailstream_set_privacy(st, 0);
	ok = mailstream_write(st, a, strlen(a)) >= 0 && (!b || mailstream_write(st, b, strlen(b)) >= 0) &&
	     mailstream_write(st, "\r\n", 2) >= 0 && mailstream_flush(st) >= 0;
	mailstream_set_privacy(st, 1);
	if (!ok)
		s->usable = false;
	else
		s->round_trips++;
	return ok;
}

/* AUTH (RFC 5034) with mech, done here: libetpan's goes through Cyrus SASL
 * and knows no OAuth2.  The initial response rides on the command when the
 * line stays within POP3's 255 octets, else it follows the first "+ ".  A
 * "+ " after it is an OAuth2 error (JSON): its status lands in *status and
 * the answer lets the server finish with -ERR, whose text lands in *said.
 * Returns POP3_OK, POP3_ERR or POP3_BROKEN (*cause set). */
static enum pop3_status pop3_session_sasl(struct pop3_session *s, enum net_sasl_mech mech,
					  const char *user, const char *secret, char **status,
					  char **said, char **cause)
{
	char *ir = net_sasl_initial(mech, user, secret, s->url.host, s->url.port);
	bool sent_ir = strlen("AUTH  \r\n") + strlen(net_sasl_name(mech)) + strlen(ir) <= 255;
	char *cmd = xasprintf("AUTH %s%s", net_sasl_name(mech), sent_ir ? " " : "");
	enum pop3_status st = POP3_BROKEN;
	int rounds = 0;

	if (!pop3_session_send_secret(s, cmd, sent_ir ? ir : NULL))
		goto broken;
	for (;;) {
		struct strbuf *l = &s->line;
		const char *reply;

		if (pop3_session_line(s, l, 64 << 10, cause) < 0)
			goto out;
		while (l->len && (l->buf[l->len - 1] == '\n' || l->buf[l->len - 1] == '\r'))
			l->buf[--l->len] = '\0';
		if (strncmp(l->buf, "+OK", 3) == 0 || strncmp(l->buf, "-ERR", 4) == 0) {
			const char *text = l->buf + (l->buf[0] == '+' ? 3 : 4);

			st = l->buf[0] == '+' ? POP3_OK : POP3_ERR;
			free(*said);
			*said = xstrdup(text + strspn(text, " "));
			goto out;
		}
		if (l->buf[0] != '+' || ++rounds > 3) {
			/* not POP3, or a server that keeps asking */
			s->usable = false;
			*cause = xasprintf("%s answered AUTH with something that is not POP3; the "
					   "connection was dropped", s->url.host);
			goto out;
		}
		if (!sent_ir) {
			reply = ir;
			sent_ir = true;
		} else {
			free(*status);
			*status = net_sasl_oauth_status(l->buf + 1 + (l->buf[1] == ' '));
			reply = net_sasl_error_reply(mech);
		}
		if (!pop3_session_send_secret(s, reply, NULL))
			goto broken;
	}
broken:
	*cause = xasprintf("the connection to %s broke", s->url.host);
out:
	util_secret_free(&ir);
	free(cmd);
	return st;
}

/* APOP (RFC 1939 7): the password never crosses the wire, only an MD5
 * digest of it and the greeting's <timestamp> (over TLS that adds little,
 * so petrel uses it only when asked). */
static bool pop3_session_apop(struct pop3_session *s, const char *user, const char *secret,
			      struct net_report *r)
{
	char digest[33], *cmd, *cause = NULL, *safe;
	const char *text;
	enum pop3_status st;

	if (!net_apop_digest(s->pop3->pop3_timestamp, secret, digest))
		return net_report_fail(r, "APOP needs MD5, which this system's GnuTLS refuses");
	cmd = xasprintf("APOP %s ", user);
	if (!pop3_session_send_secret(s, cmd, digest)) {
		free(cmd);
		return net_report_fail(r, "the connection to %s broke during login", s->url.host);
	}
	free(cmd);
	st = pop3_session_status(s, &text, &cause);
	if (st == POP3_BROKEN) {
		net_report_fail(r, "%s during login", cause);
		free(cause);
		return false;
	}
	if (st == POP3_ERR) {
		safe = sanitize_line(*text ? text : "no reason given");
		net_report_fail(r, "APOP login as %s refused by %s: %s (a wrong password, or a "
				"server that cannot check APOP for this user: it needs the password "
				"in plain text)", user, s->url.host, safe);
		free(safe);
		return false;
	}
	r->logged_in = true;
	log_debug("pop3: logged in to %s as %s (APOP)", s->url.host, user);
	return true;
}

bool pop3_session_login(struct pop3_session *s, struct net_report *r)
{
	const struct account *a = s->account;
	const char *auth = config_get(a, OPTION_AUTH);
	const char *user = config_user(a);
	char *cause = NULL, *secret, *status = NULL, *said = NULL, *msg;
	enum net_sasl_mech mech = NET_SASL_PLAIN;
	bool sasl = net_sasl_from_auth(auth, &mech), apop = strcasecmp(auth, "apop") == 0;
	int rc = MAILPOP3_NO_ERROR;

	if (!user)
		return net_report_fail(r, "account '%s' has neither user nor email", a->name);
	if (sasl && !pop3_session_offers(r, net_sasl_name(mech)))
		return net_report_fail(r, "%s does not offer AUTH %s (no SASL %s in its CAPA), "
				       "which auth = %s needs", s->url.host, net_sasl_name(mech),
				       net_sasl_name(mech), auth);
	if (apop && !s->pop3->pop3_timestamp)
		return net_report_fail(r, "%s does not offer APOP (its greeting has no <timestamp>), "
				       "which auth = apop needs", s->url.host);
	secret = net_credential(a, &cause);
	if (!secret) {
		net_report_fail(r, "%s", cause);
		free(cause);
		return false;
	}
	if (strpbrk(user, "\r\n") || strpbrk(secret, "\r\n")) {
		util_secret_free(&secret);
		return net_report_fail(r, "the user name or password of account '%s' has a line "
				       "break in it", a->name);
	}
	if (strcasecmp(auth, "auto") == 0 && s->has_pipelining && s->has_user) {
		/* one round trip instead of three on a slow link */
		bool ok;

		xstrset(&r->auth, "USER/PASS");
		ok = pop3_session_login_pipelined(s, user, secret, r);
		util_secret_free(&secret);
		return ok;
	}
	if (sasl) {
		enum pop3_status st;

		free(r->auth);
		r->auth = xasprintf("AUTH %s", net_sasl_name(mech));
		st = pop3_session_sasl(s, mech, user, secret, &status, &said, &cause);
		util_secret_free(&secret);
		if (st == POP3_OK) {
			free(status);
			free(said);
			goto done;
		}
		if (st == POP3_BROKEN) {
			net_report_fail(r, "%s during login", cause);
		} else {
			char *safe = sanitize_line(said && *said ? said : "no reason given");
			msg = net_sasl_refused(mech, user, s->url.host, status, safe);
			net_report_fail(r, "%s", msg);
			free(msg);
			free(safe);
		}
		free(cause);
		free(status);
		free(said);
		return false;
	}
	if (strcasecmp(auth, "auto") == 0) {
		xstrset(&r->auth, "USER/PASS");
		rc = mailpop3_user(s->pop3, user);
		if (rc == MAILPOP3_NO_ERROR)
			rc = mailpop3_pass(s->pop3, secret);
	} else if (apop) {
		bool ok;

		xstrset(&r->auth, "APOP");
		ok = pop3_session_apop(s, user, secret, r);
		util_secret_free(&secret);
		return ok;
	} else if (strcasecmp(auth, "login") == 0) {
		xstrset(&r->auth, "AUTH LOGIN");
		rc = mailpop3_auth(s->pop3, "LOGIN", s->url.host, NULL, NULL, user, user, secret,
				   NULL);
	} else {
		util_secret_free(&secret);
		return net_report_fail(r, "auth = %s is not supported for POP3", auth);
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
done:
	r->logged_in = true;
	log_debug("pop3: logged in to %s as %s (%s)", s->url.host, user, r->auth);
	return true;
}

void pop3_session_queue(struct pop3_session *s, const char *fmt, ...)
{
	mailstream *st = s->pop3->pop3_stream;
	char *cmd;
	va_list ap;

	s->own_io = true;
	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	log_debug("pop3: > %s", strncmp(cmd, "PASS ", 5) == 0 ? "PASS (not logged)" : cmd);
	if (s->usable && st && (mailstream_write(st, cmd, strlen(cmd)) < 0 ||
				mailstream_write(st, "\r\n", 2) < 0))
		s->usable = false;
	util_secret_free(&cmd);  /* it may be a PASS */
}

int pop3_session_flush(struct pop3_session *s, char **cause)
{
	if (!s->usable || !s->pop3->pop3_stream || mailstream_flush(s->pop3->pop3_stream) < 0) {
		s->usable = false;
		*cause = xasprintf("the connection to %s broke", s->url.host);
		return -1;
	}
	s->round_trips++;
	return 0;
}

/* Reads one line (with its end) into sb, at most max bytes.  Takes the
 * bytes straight from the stream's buffer: mailstream_read would wait for
 * more than is there. */
static int pop3_session_line(struct pop3_session *s, struct strbuf *sb, size_t max, char **cause)
{
	mailstream *st = s->pop3->pop3_stream;

	strbuf_reset(sb);
	for (;;) {
		char *nl;
		size_t take;

		if (!s->usable || !st || (st->read_buffer_len == 0 && mailstream_feed_read_buffer(st) <= 0)) {
			char *why = st ? net_stream_failure(st) : NULL;

			s->usable = false;
			*cause = xasprintf("the connection to %s broke%s%s", s->url.host,
					   why ? ": " : "", why ? why : "");
			free(why);
			return -1;
		}
		nl = memchr(st->read_buffer, '\n', st->read_buffer_len);
		take = nl ? (size_t)(nl - st->read_buffer) + 1 : st->read_buffer_len;
		if (sb->len + take > max) {
			s->usable = false;
			*cause = xasprintf("%s sent an answer longer than %zu bytes; the connection "
					   "was dropped", s->url.host, max);
			return -1;
		}
		strbuf_grow(sb, take);
		if (mailstream_read(st, sb->buf + sb->len, take) != (ssize_t)take)
			BUG("mailstream_read short from its own buffer");
		sb->len += take;
		sb->buf[sb->len] = '\0';
		if (nl)
			return 0;
	}
}

enum pop3_status pop3_session_status(struct pop3_session *s, const char **text, char **cause)
{
	struct strbuf *l = &s->line;
	char *safe;

	*text = "";
	if (pop3_session_line(s, l, 64 << 10, cause) < 0)
		return POP3_BROKEN;
	while (l->len && (l->buf[l->len - 1] == '\n' || l->buf[l->len - 1] == '\r'))
		l->buf[--l->len] = '\0';
	if (strncmp(l->buf, "+OK", 3) == 0 && (l->buf[3] == ' ' || l->buf[3] == '\0')) {
		*text = l->buf + 3 + (l->buf[3] == ' ');
		return POP3_OK;
	}
	if (strncmp(l->buf, "-ERR", 4) == 0 && (l->buf[4] == ' ' || l->buf[4] == '\0')) {
		*text = l->buf + 4 + (l->buf[4] == ' ');
		log_debug("pop3: < -ERR %s", *text);
		return POP3_ERR;
	}
	/* Not an answer: whatever we pair with commands from here is a guess. */
	/* cut before sanitizing: cutting after could split a character */
	safe = sanitize(l->buf, strnlen(l->buf, 60), 0);
	*cause = xasprintf("%s answered something that is not POP3 (\"%s\"); the connection "
			   "was dropped", s->url.host, safe);
	free(safe);
	s->usable = false;
	return POP3_BROKEN;
}

int pop3_session_multiline(struct pop3_session *s, struct strbuf *out, size_t max, char **cause)
{
	struct strbuf l = STRBUF_INIT;
	int rc = 0;

	strbuf_reset(out);
	for (;;) {
		size_t n;
		const char *p;

		if (pop3_session_line(s, &l, max - out->len + 3, cause) < 0) {
			rc = -1;
			goto out;
		}
		n = l.len;
		if (n && l.buf[n - 1] == '\n')
			n--;
		if (n && l.buf[n - 1] == '\r')
			n--;
		if (n == 1 && l.buf[0] == '.')
			break;
		p = l.buf;
		if (n && p[0] == '.') {
			p++;
			n--;
		}
		if (out->len + n + 2 > max) {
			s->usable = false;
			*cause = xasprintf("%s sent an answer longer than %zu bytes; the connection "
					   "was dropped", s->url.host, max);
			rc = -1;
			goto out;
		}
		strbuf_add(out, p, n);
		strbuf_add(out, "\r\n", 2);
	}
out:
	strbuf_release(&l);
	return rc;
}

char *pop3_session_err(const char *what, const char *text)
{
	char *safe = sanitize_line(text && *text ? text : "no reason given");
	char *msg = xasprintf("%s: the server said: %s", what, safe);

	free(safe);
	return msg;
}

int pop3_session_quit(struct pop3_session *s, char **cause)
{
	const char *text;
	enum pop3_status st;

	pop3_session_queue(s, "QUIT");
	if (pop3_session_flush(s, cause) < 0) {
		free(*cause);
		*cause = xasprintf("the connection to %s broke before QUIT; the server keeps "
				   "every message of this session", s->url.host);
		return -1;
	}
	st = pop3_session_status(s, &text, cause);
	s->usable = false;  /* the server closes; free must not QUIT again */
	if (st == POP3_BROKEN) {
		free(*cause);
		*cause = xasprintf("no answer from %s to QUIT: messages deleted in this session "
				   "may still be on the server (the next sync deletes them)",
				   s->url.host);
		return -1;
	}
	if (st == POP3_ERR) {
		*cause = pop3_session_err("QUIT failed, so the server kept every message of this "
					  "session", text);
		return -1;
	}
	return 0;
}

void pop3_session_drop(struct pop3_session *s)
{
	s->usable = false;
}

void pop3_session_free(struct pop3_session **sp)
{
	struct pop3_session *s = *sp;

	if (!s)
		return;
	if (s->pop3) {
		if (s->usable && s->pop3->pop3_stream) {
			if (s->own_io) {
				char *cause = NULL;
				if (pop3_session_quit(s, &cause) < 0)
					log_debug("pop3: %s", cause);
				free(cause);
			} else {
				mailpop3_quit(s->pop3);
			}
		}
		/* mailpop3_free would QUIT on an open stream, which commits the
		 * session's DELEs: close it first, so a dropped session is one. */
		if (s->pop3->pop3_stream) {
			mailstream_close(s->pop3->pop3_stream);
			s->pop3->pop3_stream = NULL;
		}
		/* only libetpan's QUIT frees the greeting's APOP timestamp */
		FREE_NULL(s->pop3->pop3_timestamp);
		mailpop3_free(s->pop3);
	}
	strbuf_release(&s->line);
	url_release(&s->url);
	FREE_NULL(*sp);
}
