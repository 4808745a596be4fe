/*
 * The UI entry point.  The views come with the TUI work (issue "The TUI");
 * until then petrel without a subcommand says so instead of pretending.
 */
#include "ui/ui.h"

#include <stdio.h>

int ui_main(struct cli_ctx *ctx)
{
	(void)ctx;
	fprintf(stderr, "petrel: the terminal UI is not built yet; "
			"use a subcommand (petrel --help lists them)\n");
	return CLI_USAGE;
}
