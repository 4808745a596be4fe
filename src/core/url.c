/*
 * Parsing of server URLs: scheme, host (name, IPv4 or [IPv6]) and port.
 * Userinfo, paths and queries are refused rather than silently ignored.
 */
#include "core/url.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

static const struct {
	const char *scheme;
	enum url_proto proto;
	bool tls;
	uint16_t port;
} url_schemes[] = {
	{ "imap", URL_IMAP, false, 143 }, { "imaps", URL_IMAP, true, 993 },
	{ "pop3", URL_POP3, false, 110 }, { "pop3s", URL_POP3, true, 995 },
	{ "smtp", URL_SMTP, false, 587 }, { "smtps", URL_SMTP, true, 465 },
};

const char *url_proto_name(enum url_proto proto)
{
	switch (proto) {
	case URL_IMAP: return "imap";
	case URL_POP3: return "pop3";
	case URL_SMTP: return "smtp";
	}
	BUG("bad url_proto %d", (int)proto);
}

bool url_host_is_ip(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static bool url_host_valid(const char *h)
{
	if (!*h || strlen(h) > 253)
		return false;
	for (; *h; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		      (*h >= '0' && *h <= '9') || *h == '-' || *h == '.' || *h == '_'))
			return false;
	return true;
}

bool url_parse(const char *s, struct url *u, char **cause)
{
	const char *sep = strstr(s, "://");
	const char *hp, *port = NULL;
	char *host = NULL;
	size_t i, hlen;
	unsigned long pnum;

	memset(u, 0, sizeof(*u));
	if (!sep) {
		*cause = xasprintf("'%s' is not a URL; write it like imaps://mail.example.org", s);
		return false;
	}
	for (i = 0; i < ARRAY_SIZE(url_schemes); i++)
		if (strlen(url_schemes[i].scheme) == (size_t)(sep - s) &&
		    strncasecmp(s, url_schemes[i].scheme, (size_t)(sep - s)) == 0)
			break;
	if (i == ARRAY_SIZE(url_schemes)) {
		*cause = xasprintf("unknown scheme '%.*s' (use imap, imaps, pop3, pop3s, smtp or smtps)",
				   (int)(sep - s), s);
		return false;
	}
	hp = sep + 3;
	if (strpbrk(hp, "@/?#")) {
		/* a trailing slash alone is harmless */
		size_t n = strlen(hp);
		if (!(n > 0 && hp[n - 1] == '/' && !strpbrk(hp, "@?#") &&
		      strchr(hp, '/') == hp + n - 1)) {
			*cause = xasprintf("'%s': user names, paths and options do not belong in the URL "
					   "(use the user option for the login name)", s);
			return false;
		}
	}
	hlen = strcspn(hp, "/");
	if (*hp == '[') {
		const char *end = memchr(hp, ']', hlen);
		if (!end) {
			*cause = xasprintf("'%s': unclosed '[' in the host", s);
			return false;
		}
		host = xstrndup(hp + 1, (size_t)(end - hp - 1));
		if (end[1] == ':')
			port = end + 2;
		else if (end + 1 != hp + hlen) {
			*cause = xasprintf("'%s': junk after the host", s);
			goto fail;
		}
		if (!url_host_is_ip(host)) {
			*cause = xasprintf("'%s': '%s' is not an IPv6 address", s, host);
			goto fail;
		}
	} else {
		const char *colon = memchr(hp, ':', hlen);
		host = xstrndup(hp, colon ? (size_t)(colon - hp) : hlen);
		if (colon)
			port = colon + 1;
		if (!url_host_valid(host)) {
			*cause = xasprintf("'%s': '%s' is not a valid host name", s, host);
			goto fail;
		}
	}
	u->port = url_schemes[i].port;
	if (port) {
		char *p = xstrndup(port, hlen - (size_t)(port - hp));
		bool ok = util_parse_ulong(p, 65535, &pnum) && pnum > 0;
		free(p);
		if (!ok) {
			*cause = xasprintf("'%s': the port must be a number from 1 to 65535", s);
			goto fail;
		}
		u->port = (uint16_t)pnum;
	}
	u->proto = url_schemes[i].proto;
	u->implicit_tls = url_schemes[i].tls;
	u->host = host;
	u->text = xstrdup(s);
	return true;
fail:
	free(host);
	return false;
}

void url_release(struct url *u)
{
	FREE_NULL(u->host);
	FREE_NULL(u->text);
}
