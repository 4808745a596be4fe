/*
 * petrel show ID [--raw] [--headers all] [--account A]: the message rendered
 * for reading, through the sanitizer.  A header-only message's body is
 * fetched first when its server can be reached; when it cannot, the headers
 * are shown with a note saying the body is not downloaded.
 * petrel save ID PART DIR [--force]: saves an attachment safely.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/util.h"
#include "engine/engine.h"
#include "mime/mime.h"

/* Finds id, fetching its body if need be; returns the file's bytes, with a
 * note for the reader when the body is still not here. */
static char *show_load(struct cli_ctx *ctx, const char *account, const char *id, size_t *len,
		       char **note)
{
	struct config *cfg = cli_config(ctx);
	char *why = NULL, *data;

	if (!cfg)
		return NULL;
	data = output_message_load(cfg, account, id, len, NULL, &why);
	if (why)
		*note = xasprintf("[The body of this message is not downloaded yet, and it "
				  "could not be fetched now: %s]", why);
	free(why);
	return data;
}

int cli_show(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "raw", no_argument, NULL, 'r' },
		{ "headers", required_argument, NULL, 'H' },
		{ "account", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "usage: petrel show ID [--raw] [--headers all] [--account A]\n";
	const char *account = NULL;
	bool raw = false;
	unsigned flags = 0;
	char *data, *note = NULL, *text;
	size_t len = 0;
	struct mime_message *m;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "rH:a:", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': raw = true; break;
		case 'H':
			if (strcmp(optarg, "all") != 0) {
				fputs(usage, stderr);
				return CLI_USAGE;
			}
			flags |= MIME_RENDER_ALL_HEADERS;
			break;
		case 'a': account = optarg; break;
		default:
			fputs(usage, stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return CLI_USAGE;
	}
	if (raw && isatty(1)) {
		fprintf(stderr, "petrel: --raw prints the message exactly as stored, control "
			"characters and all; send it to a file or a pipe, not the terminal\n");
		return CLI_USAGE;
	}
	data = show_load(ctx, account, argv[optind], &len, &note);
	if (!data) {
		free(note);
		return CLI_FAILED;
	}
	if (raw) {
		if (util_write_all(1, data, len) < 0) {
			fprintf(stderr, "petrel: cannot write: %s\n", strerror(errno));
			free(data);
			free(note);
			return CLI_FAILED;
		}
	} else {
		m = mime_parse(data, len);
		text = mime_render(m, flags);
		fputs(text, stdout);
		if (note)
			printf("%s%s\n", text[0] && text[strlen(text) - 1] != '\n' ? "\n" : "", note);
		free(text);
		mime_message_free(&m);
	}
	free(data);
	free(note);
	return CLI_OK;
}

int cli_save(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "account", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "usage: petrel save ID PART DIR [--force] [--account A]\n";
	const char *account = NULL;
	bool force = false;
	unsigned long part;
	char *data, *note = NULL, *saved = NULL, *cause = NULL;
	size_t len = 0;
	struct mime_message *m;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "fa:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'a': account = optarg; break;
		default:
			fputs(usage, stderr);
			return CLI_USAGE;
		}
	}
	if (argc - optind != 3 || !util_parse_ulong(argv[optind + 1], 100000, &part) || !part) {
		fputs(usage, stderr);
		return CLI_USAGE;
	}
	data = show_load(ctx, account, argv[optind], &len, &note);
	if (!data)
		return CLI_FAILED;
	if (note) {
		char *safe = sanitize_line(note);
		fprintf(stderr, "petrel: %s\n", safe);
		free(safe);
		free(note);
		free(data);
		return CLI_FAILED;
	}
	m = mime_parse(data, len);
	rc = mime_save_part(m, (int)part, argv[optind + 2], force, &saved, &cause);
	if (rc < 0) {
		char *safe = sanitize_line(cause);
		fprintf(stderr, "petrel: %s\n", safe);
		free(safe);
	} else {
		char *safe = sanitize_line(saved);
		printf("%s\n", safe);
		free(safe);
	}
	free(saved);
	free(cause);
	mime_message_free(&m);
	free(data);
	return rc < 0 ? CLI_FAILED : CLI_OK;
}
