/*
 * The command-line interface: one file per subcommand, all listed in one
 * table in cli.c.  Subcommands share the engine and the store with the UI.
 */
#ifndef PETREL_CLI_CLI_H
#define PETREL_CLI_CLI_H

#include <stdbool.h>

#include "core/config.h"

/* Exit statuses every subcommand uses. */
enum {
	CLI_OK = 0,
	CLI_FAILED = 1,   /* the work was attempted and (part of) it failed */
	CLI_USAGE = 2,    /* bad arguments or configuration: nothing was attempted */
};

struct cli_ctx {
	const char *config_path;  /* from -c, or NULL for the default */
	struct config *config;    /* loaded by cli_config() */
};

/* Loads the configuration once; prints the problems and returns NULL on
 * failure.  Borrowed from ctx. */
struct config *cli_config(struct cli_ctx *ctx);

/* Runs the subcommand argv[0].  Returns an exit status. */
int cli_run(struct cli_ctx *ctx, int argc, char **argv);

/* Prints the list of subcommands to f (for --help). */
void cli_usage(void *f);

/* Whether argv[0] names a subcommand. */
bool cli_known(const char *name);

/* The subcommands. */
int cli_check(struct cli_ctx *ctx, int argc, char **argv);
int cli_options(struct cli_ctx *ctx, int argc, char **argv);
int cli_folders(struct cli_ctx *ctx, int argc, char **argv);
int cli_list(struct cli_ctx *ctx, int argc, char **argv);
int cli_search(struct cli_ctx *ctx, int argc, char **argv);
int cli_import(struct cli_ctx *ctx, int argc, char **argv);
int cli_sync(struct cli_ctx *ctx, int argc, char **argv);
int cli_show(struct cli_ctx *ctx, int argc, char **argv);
int cli_watch(struct cli_ctx *ctx, int argc, char **argv);
int cli_flag(struct cli_ctx *ctx, int argc, char **argv);
int cli_move(struct cli_ctx *ctx, int argc, char **argv);
int cli_copy(struct cli_ctx *ctx, int argc, char **argv);
int cli_delete(struct cli_ctx *ctx, int argc, char **argv);
int cli_folder(struct cli_ctx *ctx, int argc, char **argv);
int cli_save(struct cli_ctx *ctx, int argc, char **argv);
int cli_send(struct cli_ctx *ctx, int argc, char **argv);
int cli_queue(struct cli_ctx *ctx, int argc, char **argv);
int cli_compose(struct cli_ctx *ctx, int argc, char **argv);
int cli_reply(struct cli_ctx *ctx, int argc, char **argv);
int cli_forward(struct cli_ctx *ctx, int argc, char **argv);

/* Sends account's journal to its server now (a replay-only sync); when it
 * cannot, says the change waits for the next sync.  In change.c. */
void cli_change_replay(struct config *cfg, const char *account);

/* Runs the user's editor on the file at path and waits for it: $VISUAL,
 * else $EDITOR, else vi, split into words (quotes group them) and run with
 * execvp, no shell; ^C goes to the editor meanwhile.  Returns 0 when it
 * exited with status 0, else -1 with *cause (malloc'd).  The caller hands
 * over the terminal (the UI leaves curses mode first).  In compose.c. */
int cli_compose_edit(const char *path, char **cause);

/* Queues the complete message msg[0..len) (as compose_draft_build returns it:
 * Bcc still in it) for account a, durably, and asks the engine to deliver it.
 * Prints what happened; returns an exit status.  Used by send, compose, reply
 * and forward. */
int cli_send_message(struct cli_ctx *ctx, const struct account *a, const char *msg, size_t len);

#endif
