/*
 * Connections to mail servers: TCP with timeouts, TLS with GnuTLS and real
 * certificate verification, and the libetpan stream layer that carries both.
 *
 * petrel does its own TLS instead of libetpan's, which verifies nothing
 * (LIBRARY-NOTES.md 1): the handshake and the check of chain, host name,
 * expiry and optional pin happen here, before the protocol reads a single byte
 * of greeting and long before any credential is sent.  Every read and write
 * polls with the session's timeout and a cancel pipe, so a stalled or
 * half-closed connection ends in an error, never a hang; end of file is an
 * error too (libetpan's plain socket loops forever on it, LIBRARY-NOTES.md 9).
 */
#ifndef PETREL_NET_NET_H
#define PETREL_NET_NET_H

#include <stdbool.h>
#include <stdint.h>

#include <libetpan/libetpan.h>

#include "core/config.h"

/* A cancel switch shared between the thread doing network I/O and whoever
 * wants it to stop.  net_cancel_trigger is safe from any thread. */
struct net_cancel;
struct net_cancel *net_cancel_new(void);
void net_cancel_free(struct net_cancel **c);
void net_cancel_trigger(struct net_cancel *c);
void net_cancel_reset(struct net_cancel *c);
bool net_cancel_triggered(const struct net_cancel *c);

/* What to trust and how long to wait. */
struct net_params {
	const char *host;        /* as configured: name or IP literal */
	uint16_t port;
	const char *ca_file;     /* NULL: the system trust store */
	const char *pin;         /* NULL, or 64 lowercase hex digits (SHA-256 of the leaf) */
	unsigned timeout;        /* seconds, per read or write */
	struct net_cancel *cancel;  /* may be NULL; borrowed */
};

/* Fills p from an account's options for server url.  Strings are borrowed
 * from a and url (p->pin points into the static buffer pinbuf). */
void net_params_from_account(struct net_params *p, const struct account *a,
			     const struct url *url, char pinbuf[65]);

/* What is known about a connection's security, for `petrel check` and logs. */
struct net_tls_info {
	bool tls;          /* encrypted at all */
	bool verified;     /* chain + name + dates passed, or the pin matched */
	char *version;     /* "TLS1.3" */
	char *cipher;      /* GnuTLS session description */
	char *subject;     /* leaf certificate subject DN */
	char *issuer;
	char *sha256;      /* leaf fingerprint, lowercase hex with colons */
	char *expires;     /* leaf notAfter, "2027-01-01 00:00 UTC" */
	char *trust;       /* how it was verified: "system trust store", "tls-ca-file ...", "pin" */
};
void net_tls_info_release(struct net_tls_info *info);

/* Opens a TCP connection to p->host:p->port within p->timeout.  Returns the
 * connected non-blocking fd, or -1 with *cause set (caller frees). */
int net_connect(const struct net_params *p, char **cause);

/* Wraps fd (ownership passes in) in a plain libetpan stream.  Never NULL. */
mailstream *net_stream_plain(int fd, const struct net_params *p);

/* Runs the TLS handshake on fd (ownership passes in, closed on failure) and
 * verifies the server as p says.  Returns the stream with info filled, or NULL
 * with *cause set: a verification failure says why in a user's words. */
mailstream *net_stream_tls(int fd, const struct net_params *p, struct net_tls_info *info,
			   char **cause);

/* After the protocol's STARTTLS was accepted: replaces the plain layer under
 * stream s with a verified TLS one.  Returns false with *cause set on any
 * failure; the stream must then be dropped. */
bool net_stream_starttls(mailstream *s, const struct net_params *p, struct net_tls_info *info,
			 char **cause);

/* Waits until one of the n streams (n may be 0) has data to read (already
 * buffered, or on the wire), for at most timeout seconds.  Returns its index,
 * -1 on timeout, -2 when cancel (may be NULL) was triggered, -3 when wake
 * (may be NULL; a second switch that interrupts only this wait, not I/O) was.
 * For IMAP IDLE on several connections at once from one thread. */
int net_streams_wait(mailstream **streams, size_t n, unsigned timeout, struct net_cancel *cancel,
		     struct net_cancel *wake);

/* COMPRESS=DEFLATE (RFC 4978).  After the server answered OK to COMPRESS
 * DEFLATE: puts a raw-deflate layer on stream s, between the protocol and the
 * TLS or plain layer; bytes libetpan had already read past the OK move into
 * it.  Returns false with *cause set if that cannot be done (then drop s). */
bool net_stream_compress(mailstream *s, char **cause);
bool net_stream_is_compressed(mailstream *s);
/* Why the compression layer of s failed (corrupt data from the server, ...),
 * or NULL; borrowed from s. */
const char *net_stream_compress_error(mailstream *s);

/* The deflate/inflate state machine under that layer, with no I/O, so unit
 * tests and fuzzers can drive it with plain buffers. */
struct strbuf;
struct net_deflate;
struct net_deflate_stats {
	unsigned long long wire_in, plain_in;   /* compressed bytes inflated, bytes they gave */
	unsigned long long plain_out;           /* bytes given to deflate */
};
/* Never NULL; free with net_deflate_free (NULLs *z). */
struct net_deflate *net_deflate_new(void);
void net_deflate_free(struct net_deflate **z);
const struct net_deflate_stats *net_deflate_stats(const struct net_deflate *z);
/* Compresses in[0..len) and appends the result to out; with flush, ends
 * with a sync flush so the peer can inflate everything given so far. */
void net_deflate_compress(struct net_deflate *z, const void *in, size_t len, bool flush,
			  struct strbuf *out);
/* Inflates from in[0..in_len) into out[0..out_cap): *used input bytes were
 * consumed and *produced output bytes written.  When *produced == out_cap
 * zlib may hold more: call again (with the rest of the input, or none).
 * Otherwise all input was consumed and more is needed.  Returns 0; 1 when
 * the server ended its stream (what was produced is good, nothing more will
 * come: as end of file); or -1 with *cause set (caller frees) for corrupt
 * data or data after the end, and the state is then unusable. */
int net_deflate_inflate(struct net_deflate *z, const void *in, size_t in_len, size_t *used,
			void *out, size_t out_cap, size_t *produced, char **cause);

/* Sleeps up to seconds, returning early (false) if cancel is triggered. */
bool net_sleep(unsigned ms, struct net_cancel *cancel);

/* The guard (guard.c): a layer on top of an IMAP stream, put there before
 * the greeting, that keeps what libetpan's parser does not survive away from
 * it (a response code without text, a NUL in a line) and closes the
 * connection on a line longer than NET_GUARD_LINE_MAX or an announced
 * literal larger than NET_GUARD_LITERAL_MAX.  STARTTLS and COMPRESS go
 * under it. */
#define NET_GUARD_LINE_MAX (16u << 20)
#define NET_GUARD_LITERAL_MAX (256u << 20)
void net_stream_guard(mailstream *s);
/* The same for POP3 and SMTP, with only the line cap (their lines carry
 * message text, passed as it is). */
void net_stream_guard_lines(mailstream *s);
/* Why the guard closed s (a line too long, ...), or NULL. */
const char *net_stream_guard_error(mailstream *s);
/* Why reading s failed, in a user's words (the guard's or the COMPRESS
 * layer's reason, a timeout, the server closing), or NULL if it did not
 * or the reason is unknown.  Caller frees. */
char *net_stream_failure(mailstream *s);

/* Bytes moved through every stream of this process (for the status line). */
unsigned long long net_bytes_in(void);
unsigned long long net_bytes_out(void);

/* The account's password (from password-command or password) or OAuth2 token
 * (token-command when auth is xoauth2/oauthbearer).  Returns a malloc'd secret
 * the caller must release with util_secret_free, or NULL with *cause set. */
char *net_credential(const struct account *a, char **cause);

/* Splits a command line into words (' and " quote, \ escapes), no shell.
 * Returns a NULL-terminated malloc'd vector (free with net_argv_free), or NULL
 * with *cause set for unbalanced quotes or an empty command. */
char **net_argv_split(const char *cmd, char **cause);
void net_argv_free(char ***argv);

/* SASL mechanisms petrel speaks itself (src/net/sasl.c). */
enum net_sasl_mech { NET_SASL_PLAIN, NET_SASL_XOAUTH2, NET_SASL_OAUTHBEARER };

/* The mechanism for an `auth` value ("plain", "xoauth2", "oauthbearer");
 * false for any other value. */
bool net_sasl_from_auth(const char *auth, enum net_sasl_mech *mech);
/* "PLAIN", "XOAUTH2", "OAUTHBEARER" (static). */
const char *net_sasl_name(enum net_sasl_mech mech);
bool net_sasl_is_oauth(enum net_sasl_mech mech);

/* The client's first message for mech, base64-encoded (no line break):
 * PLAIN from user and password, the OAuth2 ones from user and token (host
 * and port go into OAUTHBEARER's).  It holds the secret: the caller frees
 * it with util_secret_free and never logs it. */
char *net_sasl_initial(enum net_sasl_mech mech, const char *user, const char *secret,
		       const char *host, unsigned port);

/* What the client answers (base64, static) when an OAuth2 server sends a
 * challenge after the initial response: that is always its error report,
 * and the answer lets it finish with its refusal (RFC 7628 3.2.3). */
const char *net_sasl_error_reply(enum net_sasl_mech mech);

/* The "status" of an OAuth2 error challenge (base64 of a JSON object, as
 * it came after "+ " or "334 "), e.g. "invalid_token" or "401"; malloc'd,
 * or NULL if there is none or it is not plain words. */
char *net_sasl_oauth_status(const char *challenge);

/* The message for a refused login: for OAuth2 it says that the token was
 * refused and to check token-command.  said is the server's answer, status
 * from net_sasl_oauth_status or NULL.  Malloc'd. */
char *net_sasl_refused(enum net_sasl_mech mech, const char *user, const char *host,
		       const char *status, const char *said);

/* POP3 APOP: the hex MD5 digest of timestamp (from the greeting, with its
 * angle brackets) and password into out.  False if GnuTLS has no MD5
 * (FIPS mode). */
bool net_apop_digest(const char *timestamp, const char *password, char out[33]);

/* What `petrel check` (and the logs) learn about one service of an account. */
struct net_report {
	char *url;             /* the configured URL */
	struct net_tls_info tls;
	char *capabilities;    /* as the server listed them, space-separated */
	char *note;            /* e.g. a warning that the connection is not encrypted */
	char *auth;            /* how the login was done: "USER/PASS", "AUTH XOAUTH2", ... */
	bool connected;        /* greeting read (and TLS verified unless tls = off) */
	bool logged_in;
	char *error;           /* the first failure, in a user's words */
};
void net_report_release(struct net_report *r);
/* Sets r->error (if not set yet) from a printf format; returns false. */
bool net_report_fail(struct net_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The first half of every protocol's connect: TCP, then for an implicit-TLS
 * URL the verified handshake.  *need_starttls tells the caller to upgrade
 * after the greeting (STARTTLS/STLS) unless the account has tls = off.
 * Returns the stream or NULL with r->error set. */
mailstream *net_open(const struct account *a, const struct url *url, struct net_params *p,
		     struct net_report *r, bool *need_starttls);

#endif
