/*
 * petrel sync [ACCOUNT] [--folder F] [--headers-only]: bring the store up to
 * date with the servers.  Exit 0 when everything synced, 1 when part of it
 * did, 2 when nothing could be done; the reasons go to stderr, and a
 * progress line too when stderr is a terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/util.h"
#include "engine/engine.h"
#include "mime/mime.h"

int cli_sync(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "folder", required_argument, NULL, 'f' },
		{ "headers-only", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	const char *folder = NULL, *only = NULL;
	unsigned flags = 0, pending = 0, failed = 0, progressed = 0, submitted = 0;
	bool tty = isatty(2);
	struct config *cfg;
	struct engine *e;
	char *cause = NULL;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "f:H", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': folder = optarg; break;
		case 'H': flags |= ENGINE_SYNC_HEADERS_ONLY; break;
		default:
			fprintf(stderr, "usage: petrel sync [ACCOUNT] [--folder F] [--headers-only]\n");
			return CLI_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "usage: petrel sync [ACCOUNT] [--folder F] [--headers-only]\n");
		return CLI_USAGE;
	}
	only = optind < argc ? argv[optind] : NULL;
	if (!(cfg = cli_config(ctx)))
		return CLI_USAGE;
	if (only && !config_account(cfg, only)) {
		fprintf(stderr, "petrel: no account called '%s' in %s\n", only, cfg->path);
		return CLI_USAGE;
	}
	e = engine_new(cfg);
	for (size_t i = 0; i < cfg->n_accounts; i++) {
		const char *name = cfg->accounts[i]->name;
		if (only && strcmp(only, name) != 0)
			continue;
		if (!only && strcmp(config_account_type(cfg->accounts[i]), "local") == 0)
			continue;
		if (!engine_submit(e, name, ENGINE_CMD_SYNC, folder, flags, ENGINE_PRIO_BULK, &cause))
			BUG("submit to a known account failed: %s", cause);
		pending++;
		submitted++;
	}
	while (pending > 0) {
		struct pollfd pfd = { .fd = engine_fd(e), .events = POLLIN };
		struct engine_event *evs, *ev;

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			BUG("poll: %s", strerror(errno));
		evs = engine_events(e);
		for (ev = evs; ev; ev = ev->next) {
			char *safe = ev->text ? sanitize_line(ev->text) : NULL;
			switch (ev->type) {
			case ENGINE_EVENT_PROGRESS:
				if (safe) {
					if (tty)
						fputs("\r\033[K", stderr);
					printf("%s: %s\n", ev->account, safe);
					fflush(stdout);
					progressed++;
				} else if (tty && ev->folder) {
					char *f = sanitize_line(ev->folder);
					fprintf(stderr, "\r\033[K%s: %s: %u of %u headers", ev->account, f,
						ev->done, ev->total);
					free(f);
				}
				break;
			case ENGINE_EVENT_ERROR:
				if (tty)
					fputs("\r\033[K", stderr);
				fprintf(stderr, "petrel: %s: %s\n", ev->account, safe ? safe : "");
				failed++;
				break;
			case ENGINE_EVENT_DONE:
				pending--;
				break;
			default:
				break;
			}
			free(safe);
		}
		engine_events_free(&evs);
	}
	if (tty)
		fputs("\r\033[K", stderr);
	engine_free(&e);
	if (!failed)
		return CLI_OK;
	return progressed ? CLI_FAILED : CLI_USAGE;
}
