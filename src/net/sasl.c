/*
 * The SASL messages petrel builds itself, shared by IMAP, POP3 and SMTP:
 * PLAIN (RFC 4616), XOAUTH2 (Google's and Microsoft's) and OAUTHBEARER
 * (RFC 7628), and the reading of the JSON error an OAuth2 server sends
 * when it refuses a token.  The protocols only move these strings.
 *
 * libetpan's own XOAUTH2 ignores SASL-IR, answers the error challenge
 * blind and has no OAUTHBEARER; its PLAIN for POP3 needs Cyrus SASL.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "core/util.h"
#include "net/net.h"

bool net_sasl_from_auth(const char *auth, enum net_sasl_mech *mech)
{
	if (strcasecmp(auth, "xoauth2") == 0)
		*mech = NET_SASL_XOAUTH2;
	else if (strcasecmp(auth, "oauthbearer") == 0)
		*mech = NET_SASL_OAUTHBEARER;
	else if (strcasecmp(auth, "plain") == 0)
		*mech = NET_SASL_PLAIN;
	else
		return false;
	return true;
}

const char *net_sasl_name(enum net_sasl_mech mech)
{
	switch (mech) {
	case NET_SASL_PLAIN:
		return "PLAIN";
	case NET_SASL_XOAUTH2:
		return "XOAUTH2";
	case NET_SASL_OAUTHBEARER:
		return "OAUTHBEARER";
	}
	BUG("unknown SASL mechanism %d", (int)mech);
}

bool net_sasl_is_oauth(enum net_sasl_mech mech)
{
	return mech == NET_SASL_XOAUTH2 || mech == NET_SASL_OAUTHBEARER;
}

/* Base64 of len bytes (no line breaks); the caller frees it with
 * util_secret_free, as it may carry a secret. */
static char *sasl_base64(const char *data, size_t len)
{
	gnutls_datum_t in = { .data = (unsigned char *)data, .size = (unsigned)len };
	gnutls_datum_t out = { NULL, 0 };
	char *s;

	if (len == 0)
		return xstrdup("");
	if (gnutls_base64_encode2(&in, &out) < 0)
		BUG("out of memory in base64");
	s = xstrndup((const char *)out.data, out.size);
	memset(out.data, 0, out.size);
	gnutls_free(out.data);
	return s;
}

char *net_sasl_initial(enum net_sasl_mech mech, const char *user, const char *secret,
		       const char *host, unsigned port)
{
	struct strbuf sb = STRBUF_INIT;
	char *b64;

	switch (mech) {
	case NET_SASL_PLAIN:
		/* authzid empty: log in as the user we authenticate as */
		strbuf_addch(&sb, '\0');
		strbuf_addstr(&sb, user);
		strbuf_addch(&sb, '\0');
		strbuf_addstr(&sb, secret);
		break;
	case NET_SASL_XOAUTH2:
		strbuf_addf(&sb, "user=%s\001auth=Bearer %s\001\001", user, secret);
		break;
	case NET_SASL_OAUTHBEARER:
		/* gs2 header: no channel binding, authzid = the user; ',' and
		 * '=' in it are escaped as RFC 5801 says */
		strbuf_addstr(&sb, "n,a=");
		for (const char *p = user; *p; p++) {
			if (*p == ',')
				strbuf_addstr(&sb, "=2C");
			else if (*p == '=')
				strbuf_addstr(&sb, "=3D");
			else
				strbuf_addch(&sb, *p);
		}
		strbuf_addf(&sb, ",\001host=%s\001port=%u\001auth=Bearer %s\001\001", host, port,
			    secret);
		break;
	}
	b64 = sasl_base64(strbuf_str(&sb), sb.len);
	memset(sb.buf, 0, sb.len);
	strbuf_release(&sb);
	return b64;
}

const char *net_sasl_error_reply(enum net_sasl_mech mech)
{
	/* RFC 7628 3.2.3: a single %x01; XOAUTH2 servers want an empty line */
	return mech == NET_SASL_OAUTHBEARER ? "AQ==" : "";
}

char *net_sasl_oauth_status(const char *challenge)
{
	gnutls_datum_t in, out = { NULL, 0 };
	struct strbuf sb = STRBUF_INIT;
	const char *p, *end;
	size_t n = strcspn(challenge, "\r\n");

	while (n && challenge[n - 1] == ' ')
		n--;
	in.data = (unsigned char *)challenge;
	in.size = (unsigned)n;
	if (n == 0 || gnutls_base64_decode2(&in, &out) < 0)
		return NULL;
	/* {"status":"invalid_token","scope":...}: a tiny scan is enough for
	 * one string member, and what it finds is filtered to plain words */
	strbuf_add(&sb, out.data, out.size);
	gnutls_free(out.data);
	p = strstr(strbuf_str(&sb), "\"status\"");
	if (p) {
		p += strlen("\"status\"");
		p += strspn(p, " \t\r\n");
		if (*p == ':') {
			p++;
			p += strspn(p, " \t\r\n");
		} else {
			p = NULL;
		}
	}
	if (!p || *p != '"') {
		strbuf_release(&sb);
		return NULL;
	}
	p++;
	end = strchr(p, '"');
	if (!end || end == p || end - p > 64) {
		strbuf_release(&sb);
		return NULL;
	}
	for (const char *q = p; q < end; q++) {
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. ", *q)) {
			strbuf_release(&sb);
			return NULL;
		}
	}
	p = xstrndup(p, (size_t)(end - p));
	strbuf_release(&sb);
	return (char *)p;
}

char *net_sasl_refused(enum net_sasl_mech mech, const char *user, const char *host,
		       const char *status, const char *said)
{
	if (!net_sasl_is_oauth(mech))
		return xasprintf("login as %s refused by %s: %s", user, host, said);
	return xasprintf("the server refused the OAuth2 token: %s said \"%s\" (%s as %s%s%s) — "
			 "check token-command: is the token expired, or for another account?",
			 host, said, net_sasl_name(mech), user, status ? ", status " : "",
			 status ? status : "");
}

bool net_apop_digest(const char *timestamp, const char *password, char out[33])
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char md5[16];
	int rc;

	/* RFC 1939 7: MD5 of the greeting's <timestamp>, brackets included,
	 * followed by the password.  Not libetpan's mailpop3_apop: the MD5 of
	 * libetpan 1.9.4 on amd64 (lep_MD5*) is wrong (RFC 1939's example comes
	 * out e1b93f28... instead of c4c9334b...), so Dovecot refuses it. */
	strbuf_addstr(&sb, timestamp);
	strbuf_addstr(&sb, password);
	rc = gnutls_hash_fast(GNUTLS_DIG_MD5, sb.buf, sb.len, md5);
	memset(sb.buf, 0, sb.len);
	strbuf_release(&sb);
	if (rc < 0)
		return false;
	for (size_t i = 0; i < sizeof(md5); i++)
		snprintf(out + 2 * i, 3, "%02x", md5[i]);
	return true;
}
