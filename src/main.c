/*
 * petrel's entry point: global options, then a subcommand (src/cli) or,
 * with none, the terminal UI (ui/).
 */
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/log.h"
#include "ui/ui.h"

static void main_harden(void)
{
	/* A core dump could hold a password; files petrel creates are private. */
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	umask(077);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_ctx ctx = { NULL, NULL };
	char *cause = NULL;
	int c, status;

	main_harden();
	setlocale(LC_ALL, "");
	/* '+': stop at the subcommand, whose options are its own */
	while ((c = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctx.config_path = optarg;
			break;
		case 'h':
			cli_usage(stdout);
			return CLI_OK;
		case 'V':
			printf("petrel %s\n", PETREL_VERSION);
			return CLI_OK;
		default:
			cli_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (!log_open(NULL, &cause)) {
		fprintf(stderr, "petrel: %s\n", cause);
		free(cause);
		return CLI_USAGE;
	}
	if (optind < argc)
		status = cli_run(&ctx, argc - optind, argv + optind);
	else
		status = ui_main(&ctx);
	config_free(&ctx.config);
	log_close();
	return status;
}
