/*
 * The terminal UI: folder, index and pager views on one poll loop.
 */
#ifndef PETREL_UI_UI_H
#define PETREL_UI_UI_H

#include "cli/cli.h"

/* Runs the UI until the user quits; returns an exit status. */
int ui_main(struct cli_ctx *ctx);

#endif
