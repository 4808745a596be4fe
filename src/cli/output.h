/*
 * Output helpers shared by the subcommands that print messages: one line of
 * TSV or one JSON object per message, every field through the sanitizer.
 */
#ifndef PETREL_CLI_OUTPUT_H
#define PETREL_CLI_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "core/config.h"
#include "store/store.h"

/* Prints s sanitized as a JSON string (quotes included). */
void output_json_string(FILE *f, const char *s);

/* Prints m as TSV (id, date, from, subject, flags, size, body) or, with
 * json, as one JSON object; first says whether it opens the array. */
void output_message(FILE *f, const struct store_msg *m, bool json, bool first);

/* Opens the store of account (NULL: the global data dir) for reading or
 * writing; prints the problem and returns NULL on failure. */
struct store *output_store_open(const struct config *cfg, const char *account,
				enum store_mode mode);

/* Runs one engine command for account and waits for it to end.  Returns
 * NULL when it succeeded, else the first error in words (malloc'd, not yet
 * sanitized); later errors are printed to stderr, sanitized.  busy, if not
 * NULL, is shown on a terminal's stderr while waiting. */
char *output_engine_run(struct config *cfg, const char *account, int cmd, const char *arg,
			unsigned flags, const char *busy);
/* The same, also collecting the texts of FOUND events into *found (a
 * malloc'd array of *n malloc'd strings; may stay NULL). */
char *output_engine_run_found(struct config *cfg, const char *account, int cmd, const char *arg,
			      unsigned flags, const char *busy, char ***found, size_t *n);

/* The bytes of stored message id (in account's store, or the global one; at
 * most 256 MiB).  When only its headers are here, its body is fetched first;
 * if that cannot be done, *why (NULL otherwise) says why in sanitized words
 * and the headers alone are returned.  *owner, if owner is not NULL, gets
 * the message's account.  Caller frees all three.  NULL after printing the
 * problem. */
char *output_message_load(struct config *cfg, const char *account, const char *id, size_t *len,
			  char **owner, char **why);

/* Parses a --limit value; false (after printing) if invalid. */
bool output_parse_limit(const char *s, unsigned *limit);

#endif
