/*
 * petrel check [ACCOUNT]: connect to every configured server of the account
 * (or of all accounts), verify TLS, log in, and report what was found.
 * Exit 0 only if every service connected and accepted the login.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/util.h"
#include "engine/engine.h"
#include "mime/mime.h"

/* Prints label and a server-provided value through the sanitizer. */
static void check_field(const char *label, const char *value)
{
	char *safe;

	if (!value)
		return;
	safe = sanitize_line(value);
	printf("    %-13s %s\n", label, safe);
	free(safe);
}

static void check_print(const struct engine_event *ev)
{
	const struct net_report *r = &ev->report;
	bool ok = r->connected && r->logged_in && !r->error;

	printf("  %s %s: %s\n", ev->service, r->url ? r->url : "", ok ? "ok" : "FAILED");
	if (r->tls.tls) {
		check_field("tls", r->tls.version);
		check_field("cipher", r->tls.cipher);
		check_field("certificate", r->tls.subject);
		check_field("issuer", r->tls.issuer);
		check_field("sha256", r->tls.sha256);
		check_field("expires", r->tls.expires);
		if (r->tls.verified) {
			char *v = xasprintf("yes, by %s", r->tls.trust);
			check_field("verified", v);
			free(v);
		} else {
			check_field("verified", "NO");
		}
	} else if (r->connected) {
		check_field("tls", "none (tls = off)");
	}
	check_field("capabilities", r->capabilities);
	if (r->connected)
		check_field("login", r->logged_in ? "ok" : "failed");
	check_field("auth", r->auth);
	check_field("note", r->note);
	check_field("error", r->error);
	if (r->error) {
		char *safe = sanitize_line(r->error);
		fprintf(stderr, "petrel: %s %s: %s\n", ev->account, ev->service, safe);
		free(safe);
	}
}

int cli_check(struct cli_ctx *ctx, int argc, char **argv)
{
	struct config *cfg;
	struct engine *e;
	struct engine_event *events = NULL, **tail = &events;
	unsigned long *ids;
	size_t n = 0, pending;
	int status = CLI_OK;
	char *cause = NULL;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: petrel check [ACCOUNT]\n");
		return CLI_USAGE;
	}
	if (!(cfg = cli_config(ctx)))
		return CLI_USAGE;
	if (argc == 2 && !config_account(cfg, argv[1])) {
		fprintf(stderr, "petrel: no account called '%s' in %s\n", argv[1], cfg->path);
		return CLI_USAGE;
	}
	if (cfg->n_accounts == 0) {
		fprintf(stderr, "petrel: %s defines no [account NAME] section\n", cfg->path);
		return CLI_USAGE;
	}
	e = engine_new(cfg);
	ids = xcalloc(cfg->n_accounts, sizeof(*ids));
	for (size_t i = 0; i < cfg->n_accounts; i++) {
		const char *name = cfg->accounts[i]->name;
		if (argc == 2 && strcmp(name, argv[1]) != 0)
			continue;
		ids[n] = engine_submit(e, name, ENGINE_CMD_CHECK, NULL, 0,
				      ENGINE_PRIO_INTERACTIVE, &cause);
		if (!ids[n])
			BUG("submit to a known account failed: %s", cause);
		n++;
	}
	/* Collect every event; print per account in config order at the end so
	 * the output does not interleave. */
	for (pending = n; pending > 0;) {
		struct pollfd pfd = { .fd = engine_fd(e), .events = POLLIN };
		struct engine_event *ev;

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			BUG("poll: %s", strerror(errno));
		for (ev = engine_events(e); ev; ev = *tail) {
			*tail = ev;
			tail = &ev->next;
			if (ev->type == ENGINE_EVENT_DONE)
				pending--;
		}
	}
	for (size_t i = 0; i < cfg->n_accounts; i++) {
		const char *name = cfg->accounts[i]->name;
		bool printed = false;

		for (struct engine_event *ev = events; ev; ev = ev->next) {
			if (strcmp(ev->account, name) != 0)
				continue;
			if (!printed) {
				printf("account %s\n", name);
				printed = true;
			}
			if (ev->type == ENGINE_EVENT_REPORT)
				check_print(ev);
			else if (ev->type == ENGINE_EVENT_ERROR) {
				char *safe = sanitize_line(ev->text);
				printf("  error: %s\n", safe);
				fprintf(stderr, "petrel: %s: %s\n", name, safe);
				free(safe);
			}
			if (ev->type == ENGINE_EVENT_DONE && !ev->ok)
				status = CLI_FAILED;
		}
	}
	engine_events_free(&events);
	free(ids);
	engine_free(&e);
	return status;
}
