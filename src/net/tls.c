/*
 * Verification of a server's certificate after the TLS handshake: the chain
 * against the trust store (system or tls-ca-file), the host name (DNS name or
 * IP address), the dates, the TLS server key purpose, and an optional SHA-256
 * pin.  A pin that matches trusts that one certificate whatever its chain says
 * (as msmtp's tls_fingerprint does); a pin that does not match is refused even
 * for a certificate the CAs vouch for.
 */
#include <arpa/inet.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "net/private.h"

void net_tls_info_release(struct net_tls_info *info)
{
	FREE_NULL(info->version);
	FREE_NULL(info->cipher);
	FREE_NULL(info->subject);
	FREE_NULL(info->issuer);
	FREE_NULL(info->sha256);
	FREE_NULL(info->expires);
	FREE_NULL(info->trust);
	info->tls = info->verified = false;
}

static char *tls_hex(const unsigned char *buf, size_t len, bool colons)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < len; i++)
		strbuf_addf(&sb, "%s%02x", colons && i ? ":" : "", buf[i]);
	return strbuf_detach(&sb);
}

static char *tls_time(time_t t)
{
	struct tm tm;
	char buf[64];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
	return xstrdup(buf);
}

static char *tls_dn(gnutls_x509_crt_t crt, bool issuer)
{
	gnutls_datum_t dn = { NULL, 0 };
	char *s;
	int r = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0)
		       : gnutls_x509_crt_get_dn3(crt, &dn, 0);

	if (r < 0)
		return xstrdup("(unreadable)");
	s = xstrndup((const char *)dn.data, dn.size);
	gnutls_free(dn.data);
	return s;
}

/* The names a certificate is for, for the wrong-host message. */
static char *tls_names(gnutls_x509_crt_t crt)
{
	struct strbuf sb = STRBUF_INIT;

	for (unsigned i = 0;; i++) {
		char name[256];
		size_t len = sizeof(name);
		unsigned type;
		int r = gnutls_x509_crt_get_subject_alt_name2(crt, i, name, &len, &type, NULL);

		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r == GNUTLS_SAN_DNSNAME) {
			strbuf_addf(&sb, "%s%.*s", sb.len ? ", " : "", (int)len, name);
		} else if (r == GNUTLS_SAN_IPADDRESS) {
			char ip[INET6_ADDRSTRLEN];
			if (inet_ntop(len == 4 ? AF_INET : AF_INET6, name, ip, sizeof(ip)))
				strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", ip);
		}
	}
	if (!sb.len) {
		char *dn = tls_dn(crt, false);
		strbuf_addstr(&sb, dn);
		free(dn);
	}
	return strbuf_detach(&sb);
}

/* The main reason a verification failed, in a user's words. */
static char *tls_reason(unsigned status, gnutls_x509_crt_t leaf, const struct net_params *p)
{
	char *names, *when, *s;

	if (status & GNUTLS_CERT_EXPIRED) {
		when = tls_time(gnutls_x509_crt_get_expiration_time(leaf));
		s = xasprintf("the server's certificate expired on %s", when);
		free(when);
		return s;
	}
	if (status & GNUTLS_CERT_NOT_ACTIVATED) {
		when = tls_time(gnutls_x509_crt_get_activation_time(leaf));
		s = xasprintf("the server's certificate is not valid before %s", when);
		free(when);
		return s;
	}
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA)) {
		char *issuer = tls_dn(leaf, true);
		s = xasprintf("the server's certificate is signed by an unknown authority (%s)%s",
			      issuer, p->ca_file ? ", not one in tls-ca-file" : "");
		free(issuer);
		return s;
	}
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
		names = tls_names(leaf);
		s = xasprintf("the server's certificate is for %s, not for %s (wrong host name)",
			      names, p->host);
		free(names);
		return s;
	}
	if (status & GNUTLS_CERT_REVOKED)
		return xstrdup("the server's certificate has been revoked");
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		return xstrdup("the server's certificate uses an insecure algorithm");
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
		return xstrdup("the server's certificate is not meant for a TLS server");
	return xstrdup("the server's certificate could not be verified");
}

bool tls_verify(gnutls_session_t session, const struct net_params *p,
		struct net_tls_info *info, char **cause)
{
	const gnutls_datum_t *chain;
	unsigned n = 0, status = 0;
	gnutls_x509_crt_t leaf = NULL;
	gnutls_typed_vdata_st vdata[2];
	unsigned char digest[32], ipbuf[16];
	size_t dlen = sizeof(digest);
	char *desc, hexpin[65];
	bool ok = false;
	int r;

	net_tls_info_release(info);
	info->tls = true;
	info->version = xstrdup(gnutls_protocol_get_name(gnutls_protocol_get_version(session)));
	desc = gnutls_session_get_desc(session);
	info->cipher = xstrdup(desc ? desc : "?");
	gnutls_free(desc);

	chain = gnutls_certificate_get_peers(session, &n);
	if (!chain || n == 0) {
		*cause = xasprintf("%s sent no certificate", p->host);
		return false;
	}
	if (gnutls_x509_crt_init(&leaf) < 0 ||
	    gnutls_x509_crt_import(leaf, &chain[0], GNUTLS_X509_FMT_DER) < 0) {
		*cause = xasprintf("%s sent a certificate petrel cannot read", p->host);
		goto out;
	}
	info->subject = tls_dn(leaf, false);
	info->issuer = tls_dn(leaf, true);
	info->expires = tls_time(gnutls_x509_crt_get_expiration_time(leaf));
	if (gnutls_x509_crt_get_fingerprint(leaf, GNUTLS_DIG_SHA256, digest, &dlen) < 0 ||
	    dlen != 32) {
		*cause = xasprintf("cannot compute the fingerprint of %s's certificate", p->host);
		goto out;
	}
	info->sha256 = tls_hex(digest, dlen, true);

	memset(vdata, 0, sizeof(vdata));
	if (inet_pton(AF_INET, p->host, ipbuf) == 1) {
		vdata[0].type = GNUTLS_DT_IP_ADDRESS;
		vdata[0].data = ipbuf;
		vdata[0].size = 4;
	} else if (inet_pton(AF_INET6, p->host, ipbuf) == 1) {
		vdata[0].type = GNUTLS_DT_IP_ADDRESS;
		vdata[0].data = ipbuf;
		vdata[0].size = 16;
	} else {
		vdata[0].type = GNUTLS_DT_DNS_HOSTNAME;
		vdata[0].data = (unsigned char *)p->host;
	}
	vdata[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vdata[1].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
	r = gnutls_certificate_verify_peers(session, vdata, 2, &status);
	if (r < 0) {
		*cause = xasprintf("cannot verify %s's certificate: %s", p->host, gnutls_strerror(r));
		goto out;
	}

	if (p->pin) {
		char *plain = tls_hex(digest, dlen, false);
		snprintf(hexpin, sizeof(hexpin), "%s", plain);
		free(plain);
		if (strcmp(hexpin, p->pin) != 0) {
			*cause = xasprintf("the server's certificate does not match tls-fingerprint "
					   "(it has SHA-256 %s); if the server changed its "
					   "certificate, check the new one and update the pin",
					   info->sha256);
			goto out;
		}
		info->trust = xstrdup(status == 0 ? "pin (and the certificate chain)" : "pin");
		info->verified = true;
		ok = true;
		goto out;
	}
	if (status != 0) {
		char *why = tls_reason(status, leaf, p);
		*cause = xasprintf("refusing %s:%u: %s", p->host, (unsigned)p->port, why);
		free(why);
		goto out;
	}
	info->trust = p->ca_file ? xasprintf("tls-ca-file %s", p->ca_file)
				 : xstrdup("system trust store");
	info->verified = true;
	ok = true;
out:
	if (leaf)
		gnutls_x509_crt_deinit(leaf);
	return ok;
}
