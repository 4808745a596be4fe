/*
 * Server URLs of the config file: imap://, imaps://, pop3://, pop3s://,
 * smtp://, smtps://.  Parsing lives in core (not net, as DESIGN.md first
 * placed it) because the config parser must reject a bad URL with its file and
 * line, and core depends on nothing else.
 */
#ifndef PETREL_CORE_URL_H
#define PETREL_CORE_URL_H

#include <stdbool.h>
#include <stdint.h>

enum url_proto { URL_IMAP, URL_POP3, URL_SMTP };

struct url {
	enum url_proto proto;
	bool implicit_tls;  /* imaps/pop3s/smtps; otherwise STARTTLS (or plain with tls = off) */
	char *host;         /* without brackets for IPv6 literals */
	uint16_t port;
	char *text;         /* the URL as written */
};

/* Parses s into *u.  Returns true on success; the caller releases u with
 * url_release.  On failure returns false with *cause set (caller frees). */
bool url_parse(const char *s, struct url *u, char **cause);
void url_release(struct url *u);
/* "imap", "pop3" or "smtp". */
const char *url_proto_name(enum url_proto proto);
/* True if host is an IP address literal (no SNI, IP SAN check). */
bool url_host_is_ip(const char *host);

#endif
