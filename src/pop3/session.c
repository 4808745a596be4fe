/*
 * A POP3 session: connect, STLS, CAPA, login with libetpan; after the
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
	if (strpbrk(user, "\r\n") || strpbrk(secret, "\r\n")) {
		util_secret_free(&secret);
		return net_report_fail(r, "the user name or password of account '%s' has a line "
				       "break in it", a->name);
	}
	if (strcasecmp(auth, "auto") == 0 && s->has_pipelining && s->has_user) {
		/* one round trip instead of three on a slow link */
		bool ok = pop3_session_login_pipelined(s, user, secret, r);
		util_secret_free(&secret);
		return ok;
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
			s->usable = false;
			*cause = xasprintf("the connection to %s broke", s->url.host);
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
		mailpop3_free(s->pop3);
	}
	strbuf_release(&s->line);
	url_release(&s->url);
	FREE_NULL(*sp);
}
