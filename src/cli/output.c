/*
 * Shared output of messages for list and search.
 */
#include "cli/output.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "engine/engine.h"
#include "mime/mime.h"

#define OUTPUT_MAX_MESSAGE (256u << 20)

void output_json_string(FILE *f, const char *s)
{
	char *safe = sanitize(s ? s : "", s ? strlen(s) : 0, SANITIZE_NO_TABS);

	fputc('"', f);
	for (const char *p = safe; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else
			fputc(*p, f);  /* the sanitizer left no control characters */
	}
	fputc('"', f);
	free(safe);
}

static void output_field(FILE *f, const char *s)
{
	char *safe = sanitize(s ? s : "", s ? strlen(s) : 0, SANITIZE_NO_TABS);

	fputs(safe, f);
	free(safe);
}

static void output_flags(const struct store_msg *m, char buf[8])
{
	size_t n = 0;

	if (m->unread) buf[n++] = 'N';
	if (m->flagged) buf[n++] = 'F';
	if (m->replied) buf[n++] = 'R';
	if (m->passed) buf[n++] = 'P';
	if (m->draft) buf[n++] = 'D';
	if (m->deleted) buf[n++] = 'T';
	if (!n) buf[n++] = '-';
	buf[n] = '\0';
}

void output_message(FILE *f, const struct store_msg *m, bool json, bool first)
{
	char date[32] = "", iso[32] = "", flags[8];
	struct tm tm;

	if (m->date) {
		localtime_r(&m->date, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
		gmtime_r(&m->date, &tm);
		strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	output_flags(m, flags);
	if (!json) {
		fputs("id:", f);
		output_field(f, m->id);
		fprintf(f, "\t%s\t", date);
		output_field(f, m->from);
		fputc('\t', f);
		output_field(f, m->subject);
		fprintf(f, "\t%s\t%lld\t%s\n", flags, (long long)m->size,
			m->partial ? "remote" : "local");
		return;
	}
	fputs(first ? "[\n  {" : ",\n  {", f);
	fputs("\"id\": ", f);
	output_json_string(f, m->id);
	fputs(", \"account\": ", f);
	output_json_string(f, m->account);
	fputs(", \"folder\": ", f);
	output_json_string(f, m->folder);
	fprintf(f, ", \"date\": %lld, \"date_iso\": \"%s\", \"from\": ", (long long)m->date, iso);
	output_json_string(f, m->from);
	fputs(", \"subject\": ", f);
	output_json_string(f, m->subject);
	fputs(", \"flags\": [", f);
	{
		const char *names[] = { "unread", "flagged", "replied", "passed", "draft", "deleted" };
		bool on[] = { m->unread, m->flagged, m->replied, m->passed, m->draft, m->deleted };
		bool any = false;
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			if (on[i]) {
				fprintf(f, "%s\"%s\"", any ? ", " : "", names[i]);
				any = true;
			}
	}
	fputs("], \"keywords\": [", f);
	{
		char *copy = xstrdup(m->keywords ? m->keywords : ""), *save = NULL;
		bool any = false;
		for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
			fputs(any ? ", " : "", f);
			output_json_string(f, w);
			any = true;
		}
		free(copy);
	}
	fprintf(f, "], \"size\": %lld, \"local\": %s}", (long long)m->size,
		m->partial ? "false" : "true");
}

struct store *output_store_open(const struct config *cfg, const char *account,
				enum store_mode mode)
{
	const struct account *a = account ? config_account(cfg, account) : NULL;
	char *dir, *cause = NULL;
	struct store *s;

	if (account && !a) {
		fprintf(stderr, "petrel: no account called '%s' in %s\n", account, cfg->path);
		return NULL;
	}
	dir = store_data_dir(cfg, a);
	s = store_open(dir, mode, &cause);
	if (!s) {
		fprintf(stderr, "petrel: %s\n", cause);
		free(cause);
	}
	free(dir);
	return s;
}

/* Looks id up again: a fetched body replaced its file. */
static int output_locate(const struct config *cfg, const char *account, const char *id,
			 struct store_location *loc)
{
	struct store *s = output_store_open(cfg, account, STORE_READ);
	char *cause = NULL;
	int rc;

	if (!s)
		return -1;
	rc = store_locate(s, id, loc, &cause);
	if (rc < 0) {
		fprintf(stderr, "petrel: %s\n", cause);
		free(cause);
	}
	store_close(&s);
	return rc;
}

char *output_message_load(struct config *cfg, const char *account, const char *id, size_t *len,
			  char **owner, char **why)
{
	struct store_location loc = { 0 };
	char *cause = NULL, *data, *failed;

	*why = NULL;
	if (output_locate(cfg, account, id, &loc) < 0)
		return NULL;
	if (loc.partial) {
		failed = config_account(cfg, loc.account)
				 ? output_engine_run(cfg, loc.account, ENGINE_CMD_FETCH_BODY, id, 0,
						     "fetching the message from the server...")
				 : xasprintf("account '%s' is not in the configuration", loc.account);
		if (failed) {
			*why = sanitize_line(failed);  /* the server's words, maybe */
			free(failed);
		} else {
			store_location_release(&loc);
			if (output_locate(cfg, account, id, &loc) < 0)
				return NULL;
		}
	}
	data = store_read_file(loc.path, OUTPUT_MAX_MESSAGE, len, &cause);
	if (!data) {
		fprintf(stderr, "petrel: %s\n", cause);
		free(cause);
		free(*why);
		*why = NULL;
	} else if (owner) {
		*owner = xstrdup(loc.account);
	}
	store_location_release(&loc);
	return data;
}

bool output_parse_limit(const char *s, unsigned *limit)
{
	unsigned long v;

	if (!util_parse_ulong(s, 1000000000UL, &v)) {
		fprintf(stderr, "petrel: --limit takes a number (0 for no limit), not '%s'\n", s);
		return false;
	}
	*limit = (unsigned)v;
	return true;
}

char *output_engine_run(struct config *cfg, const char *account, int cmd, const char *arg,
			unsigned flags, const char *busy)
{
	return output_engine_run_found(cfg, account, cmd, arg, flags, busy, NULL, NULL);
}

char *output_engine_run_found(struct config *cfg, const char *account, int cmd, const char *arg,
			      unsigned flags, const char *busy, char ***found, size_t *n)
{
	struct engine *e = engine_new(cfg);
	char *cause = NULL, *why = NULL;
	unsigned long id = engine_submit(e, account, (enum engine_cmd)cmd, arg, flags,
					 ENGINE_PRIO_INTERACTIVE, &cause);
	bool done = false, tty = busy && isatty(2);

	if (!id) {
		engine_free(&e);
		return cause;
	}
	if (tty)
		fprintf(stderr, "%s", busy);
	while (!done) {
		struct pollfd pfd = { .fd = engine_fd(e), .events = POLLIN };
		struct engine_event *evs, *ev;

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			BUG("poll: %s", strerror(errno));
		evs = engine_events(e);
		for (ev = evs; ev; ev = ev->next) {
			if (ev->type == ENGINE_EVENT_ERROR) {
				const char *t = ev->text ? ev->text : "unknown error";
				if (!why) {
					why = xstrdup(t);
				} else {
					char *safe = sanitize_line(t);
					fprintf(stderr, "%spetrel: %s\n", tty ? "\r\033[K" : "", safe);
					free(safe);
				}
			}
			if (ev->type == ENGINE_EVENT_FOUND && found && ev->text) {
				*found = xrealloc(*found, (*n + 1) * sizeof(**found));
				(*found)[(*n)++] = xstrdup(ev->text);
			}
			if (ev->type == ENGINE_EVENT_DONE && ev->cmd == id) {
				done = true;
				if (!ev->ok && !why)
					why = xstrdup(ev->text ? ev->text : "it failed");
			}
		}
		engine_events_free(&evs);
	}
	if (tty)
		fputs("\r\033[K", stderr);
	engine_free(&e);
	return why;
}
