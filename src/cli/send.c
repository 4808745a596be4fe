/*
 * PLACEHOLDER until the send-queue work lands.
 */
#include "cli/cli.h"

#include <stdio.h>

int cli_send_message(struct cli_ctx *ctx, const struct account *a, const char *msg, size_t len)
{
	(void)ctx;
	(void)a;
	(void)msg;
	(void)len;
	fprintf(stderr, "petrel: sending is not built yet\n");
	return CLI_FAILED;
}

int cli_send(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_send_message(ctx, NULL, "", 0);
}

int cli_queue(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_send(ctx, argc, argv);
}
