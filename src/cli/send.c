/*
 * petrel send [--account A] [--queue-only] FILE|-   and
 * petrel queue [list] [--account A] [--json] | retry ID | cancel ID | flush [ACCOUNT]
 *
 * send puts the message into the account's send queue (durably: written,
 * fsynced, renamed, directory fsynced) and then lets the engine deliver it.
 * Exit status: 0 sent, or queued because the server could not be reached
 * (it goes out with the next sync, watch or queue flush; nothing is lost);
 * 1 not sent and needing you: refused for good (kept in the queue as
 * failed), or a login, TLS or temporary server error (kept queued and
 * retried with backoff); 2 nothing queued (bad arguments, unreadable file,
 * a message without recipients).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/util.h"
#include "engine/change.h"
#include "engine/engine.h"
#include "mime/compose.h"
#include "mime/mime.h"
#include "store/store.h"

/* --queue-only of petrel send: queue, but leave the delivery to the next
 * sync, watch or queue flush. */
static bool send_queue_only;

/* Prints multi-line server text to stderr, one sanitized line each. */
static void send_print_lines(const char *prefix, const char *text)
{
	char *copy = xstrdup(text ? text : ""), *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *safe = sanitize_line(l);
		fprintf(stderr, "petrel: %s%s\n", prefix, safe);
		free(safe);
	}
	free(copy);
}

/* A Message-ID for a message that has none, so that retries and the Sent
 * copy all carry the same one. */
static char *send_add_message_id(const struct account *a, const char *msg, size_t len,
				 size_t *out_len)
{
	const char *email = config_get(a, OPTION_EMAIL);
	const char *domain = email && strchr(email, '@') ? strchr(email, '@') + 1 : "petrel.invalid";
	unsigned char rnd[12];
	struct strbuf sb = STRBUF_INIT;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		BUG("getrandom failed: %s", strerror(errno));
	strbuf_addf(&sb, "Message-ID: <%lld.", (long long)time(NULL));
	for (size_t i = 0; i < sizeof(rnd); i++)
		strbuf_addf(&sb, "%02x", rnd[i]);
	strbuf_addf(&sb, "@%s>\r\n", domain);
	strbuf_add(&sb, msg, len);
	*out_len = sb.len;
	return strbuf_detach(&sb);
}

static char *send_server_host(const struct account *a)
{
	bool outbox = strcmp(config_get(a, OPTION_SEND), "imap-outbox") == 0;
	struct url u;
	char *host;

	if (!config_get_url(a, outbox ? OPTION_IMAP : OPTION_SMTP, &u))
		return xstrdup("the server");
	host = xstrdup(u.host);
	url_release(&u);
	return host;
}

int cli_send_message(struct cli_ctx *ctx, const struct account *a, const char *msg, size_t len)
{
	struct config *cfg = cli_config(ctx);
	struct queue_envelope env;
	struct queue_entry e;
	char *cause = NULL, *id = NULL, *qdir = NULL, *owned = NULL, *why;
	int rc = CLI_FAILED;

	if (!cfg || !a)
		return CLI_USAGE;
	if (store_queue_envelope(msg, len, &env, &cause) < 0) {
		fprintf(stderr, "petrel: nothing queued: %s\n", cause);
		free(cause);
		return CLI_USAGE;
	}
	if (!env.message_id) {
		size_t n;
		owned = send_add_message_id(a, msg, len, &n);
		msg = owned;
		len = n;
	}
	if (env.n_bcc && strcmp(config_get(a, OPTION_SEND), "imap-outbox") == 0)
		fprintf(stderr, "petrel: warning: account '%s' sends through the server's IMAP "
			"outbox, which reads the recipients from the header: the Bcc line goes to "
			"the server with the message (its sendmail removes it before delivery, but "
			"it is in the copy the server keeps until petrel deletes it)\n", a->name);
	store_queue_envelope_release(&env);
	qdir = store_queue_dir(cfg, a);
	if (store_queue_add(qdir, msg, len, &id, &cause) < 0) {
		fprintf(stderr, "petrel: nothing queued: %s\n", cause);
		rc = CLI_USAGE;
		goto out;
	}
	if (send_queue_only) {
		printf("%s\tqueued\n", id);
		rc = CLI_OK;
		goto out;
	}
	why = output_engine_run(cfg, a->name, ENGINE_CMD_SEND, id, ENGINE_SEND_NOW, "sending...");
	if (store_queue_get(qdir, id, &e, &cause) < 0) {
		FREE_NULL(cause);
		printf("%s\tsent\n", id);
		if (why)  /* e.g. the Sent copy's append waits for the next sync */
			send_print_lines("", why);
		free(why);
		rc = CLI_OK;
		goto out;
	}
	switch (e.state) {
	case QUEUE_DELIVERED:
		printf("%s\tsent\n", id);
		send_print_lines("", why ? why : "the Sent copy could not be made");
		fprintf(stderr, "petrel: %s: sent; its copy in the Sent folder is still to be "
			"made (petrel queue flush)\n", id);
		rc = CLI_OK;
		break;
	case QUEUE_FAILED:
		printf("%s\tfailed\n", id);
		send_print_lines("not sent: ", e.error);
		fprintf(stderr, "petrel: %s is kept in the queue: petrel queue retry %s, or "
			"petrel queue cancel %s (its text goes to Drafts)\n", id, id, id);
		rc = CLI_FAILED;
		break;
	default:
		printf("%s\tqueued\n", id);
		if (!e.error) {
			/* not tried: another petrel held the queue and sends it */
			fprintf(stderr, "petrel: queued; another petrel is sending this account's "
				"queue and will send it\n");
			rc = CLI_OK;
		} else if (e.offline) {
			char *host = send_server_host(a), *safe = sanitize_line(host);
			fprintf(stderr, "petrel: queued; will be sent when %s is reachable (petrel "
				"sync, petrel watch or petrel queue flush)\n", safe);
			free(safe);
			free(host);
			rc = CLI_OK;
		} else {
			send_print_lines("not sent yet: ", e.error ? e.error : "unknown failure");
			fprintf(stderr, "petrel: %s stays queued and is tried again later; petrel "
				"queue flush tries at once\n", id);
			rc = CLI_FAILED;
		}
		break;
	}
	free(why);
	store_queue_entry_release(&e);
out:
	free(cause);
	free(id);
	free(qdir);
	free(owned);
	return rc;
}

/* The account whose email appears in the message's From, else the first. */
static const struct account *send_pick_account(const struct config *cfg, const char *msg,
					       size_t len)
{
	const char *end = msg + len;

	for (const char *p = msg; p < end; ) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n == 0 || (n == 1 && *p == '\r'))
			break;
		if (n > 5 && strncasecmp(p, "from:", 5) == 0) {
			for (size_t i = 0; i < cfg->n_accounts; i++) {
				const char *email = config_get(cfg->accounts[i], OPTION_EMAIL);
				size_t el = email ? strlen(email) : 0;
				for (size_t k = 5; email && k + el <= n; k++)
					if (strncasecmp(p + k, email, el) == 0)
						return cfg->accounts[i];
			}
		}
		p += n + 1;
	}
	return cfg->n_accounts ? cfg->accounts[0] : NULL;
}

int cli_send(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "account", required_argument, NULL, 'a' },
		{ "queue-only", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "usage: petrel send [--account A] [--queue-only] FILE|-\n";
	const char *account = NULL;
	const struct account *a;
	struct config *cfg;
	char *text = NULL, *built = NULL, *cause = NULL;
	size_t len = 0, blen = 0;
	int c, rc = CLI_USAGE;

	optind = 0;
	while ((c = getopt_long(argc, argv, "a:q", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': account = optarg; break;
		case 'q': send_queue_only = true; break;
		default:
			fputs(usage, stderr);
			return CLI_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(usage, stderr);
		return CLI_USAGE;
	}
	if (!(cfg = cli_config(ctx)))
		return CLI_USAGE;
	if (strcmp(argv[optind], "-") == 0) {
		struct strbuf sb = STRBUF_INIT;
		char buf[65536];
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
			strbuf_add(&sb, buf, n);
		len = sb.len;
		text = strbuf_detach(&sb);
	} else {
		text = store_read_file(argv[optind], 1u << 30, &len, &cause);
		if (!text) {
			fprintf(stderr, "petrel: %s\n", cause);
			goto out;
		}
	}
	a = account ? config_account(cfg, account) : send_pick_account(cfg, text, len);
	if (!a) {
		if (account)
			fprintf(stderr, "petrel: no account called '%s' in %s\n", account, cfg->path);
		else
			fprintf(stderr, "petrel: %s has no account to send from\n", cfg->path);
		goto out;
	}
	built = compose_draft_build(a, text, len, &blen, &cause);
	if (!built) {
		fprintf(stderr, "petrel: nothing queued: %s\n", cause);
		goto out;
	}
	rc = cli_send_message(ctx, a, built, blen);
out:
	send_queue_only = false;
	free(text);
	free(built);
	free(cause);
	return rc;
}

/* ---- petrel queue ---- */

static void queue_print(const struct queue_entry *e, const char *account, bool json, bool first)
{
	char next[32] = "";
	char *subject = e->subject ? mime_decode_header(e->subject) : xstrdup("");

	if (e->state == QUEUE_QUEUED && e->next_try > time(NULL)) {
		struct tm tm;
		localtime_r(&e->next_try, &tm);
		strftime(next, sizeof(next), "%Y-%m-%d %H:%M:%S", &tm);
	} else if (e->state != QUEUE_FAILED) {
		snprintf(next, sizeof(next), "now");
	}
	if (json) {
		printf("%s{\"id\":", first ? "[" : ",\n");
		output_json_string(stdout, e->id);
		printf(",\"account\":");
		output_json_string(stdout, account);
		printf(",\"state\":\"%s\",\"attempts\":%u,\"next_try\":%lld,\"recipients\":",
		       store_queue_state_name(e->state), e->attempts,
		       (long long)(e->state == QUEUE_FAILED ? 0 : e->next_try));
		output_json_string(stdout, e->recipients ? e->recipients : "");
		printf(",\"subject\":");
		output_json_string(stdout, subject);
		printf(",\"error\":");
		if (e->error)
			output_json_string(stdout, e->error);
		else
			printf("null");
		printf("}");
	} else {
		char *r = sanitize_line(e->recipients ? e->recipients : "");
		char *s = sanitize_line(subject);
		char *err = sanitize_line(e->error ? e->error : "");
		/* TSV: no tab may come from the data */
		for (char *p = err; *p; p++)
			if (*p == '\t')
				*p = ' ';
		printf("%s\t%s\t%s\t%u\t%s\t%s\t%s\t%s\n", e->id, account,
		       store_queue_state_name(e->state), e->attempts, next, r, s, err);
		free(r);
		free(s);
		free(err);
	}
	free(subject);
}

static int queue_list(struct config *cfg, const char *only, bool json)
{
	unsigned shown = 0;
	int rc = CLI_OK;

	for (size_t i = 0; i < cfg->n_accounts; i++) {
		const struct account *a = cfg->accounts[i];
		struct queue_entry *v = NULL;
		size_t n = 0;
		char *qdir, *cause = NULL;

		if (only && strcmp(only, a->name) != 0)
			continue;
		qdir = store_queue_dir(cfg, a);
		if (store_queue_list(qdir, &v, &n, &cause) < 0) {
			fprintf(stderr, "petrel: %s\n", cause);
			free(cause);
			rc = CLI_FAILED;
		}
		for (size_t k = 0; k < n; k++)
			queue_print(&v[k], a->name, json, shown++ == 0);
		store_queue_free(&v, n);
		free(qdir);
	}
	if (json)
		printf(shown ? "]\n" : "[]\n");
	return rc;
}

/* The account holding queue entry id, and the entry. */
static const struct account *queue_find(struct config *cfg, const char *id, struct queue_entry *e,
					char **qdir)
{
	for (size_t i = 0; i < cfg->n_accounts; i++) {
		char *cause = NULL;
		*qdir = store_queue_dir(cfg, cfg->accounts[i]);
		if (store_queue_get(*qdir, id, e, &cause) == 0)
			return cfg->accounts[i];
		free(cause);
		FREE_NULL(*qdir);
	}
	fprintf(stderr, "petrel: no queued message %s (petrel queue lists them)\n", id);
	return NULL;
}

static int queue_retry(struct cli_ctx *ctx, struct config *cfg, const char *id)
{
	struct queue_entry e;
	char *qdir = NULL, *cause = NULL, *why;
	const struct account *a = queue_find(cfg, id, &e, &qdir);
	int rc = CLI_OK;

	(void)ctx;
	if (!a)
		return CLI_USAGE;
	if (e.state == QUEUE_FAILED) {
		e.state = QUEUE_QUEUED;
		e.next_try = 0;
		if (store_queue_save(qdir, &e, &cause) < 0) {
			fprintf(stderr, "petrel: %s\n", cause);
			rc = CLI_FAILED;
			goto out;
		}
	}
	why = output_engine_run(cfg, a->name, ENGINE_CMD_SEND, id, ENGINE_SEND_NOW, "sending...");
	store_queue_entry_release(&e);
	if (store_queue_get(qdir, id, &e, &cause) < 0) {
		printf("%s\tsent\n", id);
	} else {
		printf("%s\t%s\n", id, store_queue_state_name(e.state));
		if (e.state != QUEUE_DELIVERED) {
			send_print_lines("not sent: ", e.error ? e.error : why);
			rc = e.offline ? CLI_OK : CLI_FAILED;
		}
	}
	free(why);
out:
	store_queue_entry_release(&e);
	free(cause);
	free(qdir);
	return rc;
}

static int queue_cancel(struct config *cfg, const char *id)
{
	struct queue_entry e;
	char *qdir = NULL, *cause = NULL;
	const struct account *a = queue_find(cfg, id, &e, &qdir);
	struct store *st = NULL;
	int rc = CLI_FAILED;

	if (!a)
		return CLI_USAGE;
	store_queue_entry_release(&e);
	if (!(st = output_store_open(cfg, a->name, STORE_WRITE)))
		goto out;
	switch (change_unqueue(st, a, qdir, id, &cause)) {
	case 0:
		printf("%s\tcancelled (kept in %s/%s)\n", id, a->name,
		       config_get(a, OPTION_DRAFTS_FOLDER));
		if (cause)
			fprintf(stderr, "petrel: the draft will not be put on the server: %s\n",
				cause);
		rc = CLI_OK;
		break;
	case -2:
		fprintf(stderr, "petrel: %s is being sent right now; try again in a moment\n", id);
		break;
	case -3:
		fprintf(stderr, "petrel: %s was already sent; only its Sent copy waits "
			"(petrel queue flush)\n", id);
		break;
	default:
		fprintf(stderr, "petrel: %s not cancelled: %s\n", id,
			cause ? cause : "unknown error");
		break;
	}
out:
	store_close(&st);
	free(cause);
	free(qdir);
	return rc;
}

static int queue_flush(struct config *cfg, const char *only)
{
	int rc = CLI_OK;

	for (size_t i = 0; i < cfg->n_accounts; i++) {
		const struct account *a = cfg->accounts[i];
		struct queue_entry *v = NULL;
		size_t n = 0;
		char *qdir, *cause = NULL, *why;

		if (only && strcmp(only, a->name) != 0)
			continue;
		qdir = store_queue_dir(cfg, a);
		if (store_queue_list(qdir, &v, &n, &cause) < 0 || n == 0) {
			free(cause);
			free(qdir);
			store_queue_free(&v, n);
			continue;
		}
		store_queue_free(&v, n);
		why = output_engine_run(cfg, a->name, ENGINE_CMD_SEND, NULL, ENGINE_SEND_NOW,
					"sending...");
		if (why) {
			send_print_lines("", why);
			rc = CLI_FAILED;
		}
		free(why);
		if (store_queue_list(qdir, &v, &n, &cause) == 0)
			for (size_t k = 0; k < n; k++)
				queue_print(&v[k], a->name, false, false);
		store_queue_free(&v, n);
		free(cause);
		free(qdir);
	}
	return rc;
}

int cli_queue(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "account", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: petrel queue [list] [--account A] [--json]\n"
		"       petrel queue retry ID | cancel ID | flush [ACCOUNT]\n";
	const char *account = NULL, *sub;
	struct config *cfg;
	bool json = false;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "a:j", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': account = optarg; break;
		case 'j': json = true; break;
		default:
			fputs(usage, stderr);
			return CLI_USAGE;
		}
	}
	sub = optind < argc ? argv[optind++] : "list";
	if (!(cfg = cli_config(ctx)))
		return CLI_USAGE;
	if (account && !config_account(cfg, account)) {
		fprintf(stderr, "petrel: no account called '%s' in %s\n", account, cfg->path);
		return CLI_USAGE;
	}
	if (strcmp(sub, "list") == 0 && optind == argc)
		return queue_list(cfg, account, json);
	if (strcmp(sub, "retry") == 0 && argc - optind == 1)
		return queue_retry(ctx, cfg, argv[optind]);
	if (strcmp(sub, "cancel") == 0 && argc - optind == 1)
		return queue_cancel(cfg, argv[optind]);
	if (strcmp(sub, "flush") == 0 && argc - optind <= 1) {
		const char *only = optind < argc ? argv[optind] : account;
		if (only && !config_account(cfg, only)) {
			fprintf(stderr, "petrel: no account called '%s' in %s\n", only, cfg->path);
			return CLI_USAGE;
		}
		return queue_flush(cfg, only);
	}
	fputs(usage, stderr);
	return CLI_USAGE;
}
