/*
 * petrel options: the option table, for users and for the docs test.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/options.h"

int cli_options(struct cli_ctx *ctx, int argc, char **argv)
{
	bool names = argc == 2 && strcmp(argv[1], "--names") == 0;
	static const char *scope[] = { "global", "account", "global or account" };

	if (argc > 2 || (argc == 2 && !names)) {
		fprintf(stderr, "usage: petrel options [--names]\n");
		return CLI_USAGE;
	}
	for (size_t i = 0; i < OPTION__COUNT; i++) {
		const struct option_def *d = &option_table[i];
		if (names) {
			printf("%s\n", d->name);
			continue;
		}
		printf("%s (%s, %s", d->name,
		       d->type == OPT_ENUM ? d->choices : option_type_name(d->type), scope[d->scope]);
		if (d->def)
			printf(", default %s", d->def);
		printf(")\n    %s\n", d->help);
	}
	return CLI_OK;
}
