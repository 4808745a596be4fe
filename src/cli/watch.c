/*
 * petrel watch [ACCOUNT]: stays connected (IMAP IDLE on idle-folders) and
 * prints one line per new message as it arrives, for scripts and
 * notifications:  ACCOUNT <tab> FOLDER <tab> id:ID <tab> DATE <tab> FROM <tab>
 * SUBJECT.  Problems (and reconnections) go to stderr.  SIGINT or SIGTERM
 * ends it with status 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/util.h"
#include "engine/engine.h"
#include "mime/mime.h"

static int watch_sigpipe[2] = { -1, -1 };

static void watch_on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (write(watch_sigpipe[1], &c, 1) < 0) {
		/* nothing to do: the pipe is full, a wake-up is pending */
	}
	errno = saved;
}

struct watch_print {
	const char *account, *folder;
};

static void watch_line(const struct store_msg *m, void *arg)
{
	struct watch_print *p = arg;
	char *acc = sanitize_line(p->account), *fol = sanitize_line(p->folder);
	char *id = sanitize_line(m->id), *from = sanitize(m->from ? m->from : "",
		m->from ? strlen(m->from) : 0, SANITIZE_NO_TABS);
	char *subj = sanitize(m->subject ? m->subject : "", m->subject ? strlen(m->subject) : 0,
			      SANITIZE_NO_TABS);
	char date[32] = "";
	struct tm tm;

	if (m->date) {
		localtime_r(&m->date, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	}
	printf("%s\t%s\tid:%s\t%s\t%s\t%s\n", acc, fol, id, date, from, subj);
	fflush(stdout);
	free(acc);
	free(fol);
	free(id);
	free(from);
	free(subj);
}

/* Prints the new message id of account's folder, read from the store. */
static void watch_report(struct config *cfg, const char *account, const char *folder,
			 const char *id)
{
	struct watch_print p = { account, folder };
	struct store *s = output_store_open(cfg, account, STORE_READ);
	struct strbuf q = STRBUF_INIT;
	char *cause = NULL;

	if (!s)
		return;
	strbuf_addstr(&q, "id:\"");
	for (const char *c = id; *c; c++) {
		if (*c == '"')
			strbuf_addch(&q, '"');
		strbuf_addch(&q, *c);
	}
	strbuf_addch(&q, '"');
	if (store_query(s, q.buf, 1, STORE_NEWEST_FIRST, watch_line, &p, &cause) < 0) {
		fprintf(stderr, "petrel: %s\n", cause);
		free(cause);
	}
	strbuf_release(&q);
	store_close(&s);
}

int cli_watch(struct cli_ctx *ctx, int argc, char **argv)
{
	struct config *cfg;
	struct engine *e;
	struct sigaction sa;
	unsigned long ids[64];
	size_t n = 0, pending;
	char *cause = NULL;
	bool stopping = false;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: petrel watch [ACCOUNT]\n");
		return CLI_USAGE;
	}
	if (!(cfg = cli_config(ctx)))
		return CLI_USAGE;
	if (argc == 2 && !config_account(cfg, argv[1])) {
		fprintf(stderr, "petrel: no account called '%s' in %s\n", argv[1], cfg->path);
		return CLI_USAGE;
	}
	if (pipe2(watch_sigpipe, O_CLOEXEC | O_NONBLOCK) < 0)
		BUG("pipe2: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	e = engine_new(cfg);
	for (size_t i = 0; i < cfg->n_accounts && n < ARRAY_SIZE(ids); i++) {
		const struct account *a = cfg->accounts[i];
		if (argc == 2 ? strcmp(a->name, argv[1]) != 0
			      : strcmp(config_account_type(a), "local") == 0)
			continue;
		ids[n] = engine_submit(e, a->name, ENGINE_CMD_WATCH, NULL, 0, ENGINE_PRIO_PUSH, &cause);
		if (!ids[n])
			BUG("submit to a known account failed: %s", cause);
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "petrel: no IMAP or POP3 account to watch in %s\n", cfg->path);
		engine_free(&e);
		return CLI_USAGE;
	}
	for (pending = n; pending > 0;) {
		struct pollfd pfd[2] = { { .fd = engine_fd(e), .events = POLLIN },
					 { .fd = watch_sigpipe[0], .events = POLLIN } };
		struct engine_event *evs, *ev;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			BUG("poll: %s", strerror(errno));
		if (pfd[1].revents && !stopping) {
			stopping = true;
			for (size_t i = 0; i < n; i++)
				engine_cancel(e, ids[i]);
		}
		evs = engine_events(e);
		for (ev = evs; ev; ev = ev->next) {
			if (ev->type == ENGINE_EVENT_NEW_MESSAGE && ev->text && ev->folder)
				watch_report(cfg, ev->account, ev->folder, ev->text);
			else if (ev->type == ENGINE_EVENT_ERROR && ev->text) {
				char *safe = sanitize_line(ev->text);
				fprintf(stderr, "petrel: %s: %s\n", ev->account, safe);
				free(safe);
			} else if (ev->type == ENGINE_EVENT_DONE)
				pending--;
		}
		engine_events_free(&evs);
	}
	engine_free(&e);
	close(watch_sigpipe[0]);
	close(watch_sigpipe[1]);
	return CLI_OK;
}
