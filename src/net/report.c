/*
 * The service report and the protocol-independent start of a connection.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "net/net.h"

void net_report_release(struct net_report *r)
{
	FREE_NULL(r->url);
	net_tls_info_release(&r->tls);
	FREE_NULL(r->capabilities);
	FREE_NULL(r->note);
	FREE_NULL(r->auth);
	FREE_NULL(r->error);
	r->connected = r->logged_in = false;
}

bool net_report_fail(struct net_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->error)
		return false;
	va_start(ap, fmt);
	r->error = xvasprintf(fmt, ap);
	va_end(ap);
	return false;
}

mailstream *net_open(const struct account *a, const struct url *url, struct net_params *p,
		     struct net_report *r, bool *need_starttls)
{
	bool tls_off = strcasecmp(config_get(a, OPTION_TLS), "off") == 0;
	char *cause = NULL;
	mailstream *s;
	int fd;

	xstrset(&r->url, url->text);
	*need_starttls = false;
	fd = net_connect(p, &cause);
	if (fd < 0) {
		net_report_fail(r, "%s", cause);
		free(cause);
		return NULL;
	}
	if (url->implicit_tls) {
		s = net_stream_tls(fd, p, &r->tls, &cause);
		if (!s) {
			net_report_fail(r, "%s", cause);
			free(cause);
		}
		return s;
	}
	if (tls_off)
		xstrset(&r->note, "tls = off: this connection is NOT encrypted");
	else
		*need_starttls = true;
	return net_stream_plain(fd, p);
}
