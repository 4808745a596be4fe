/*
 * The configuration: one INI file with global options at the top and one
 * [account NAME] section per account.  Parsing validates every value against
 * the option table (core/options.h) and reports every problem with the file
 * name and line; lookups fall back account -> global -> table default.
 */
#ifndef PETREL_CORE_CONFIG_H
#define PETREL_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/options.h"
#include "core/url.h"

struct config_value {
	char *value;  /* NULL when not set */
	int line;     /* where it was set, for messages */
};

struct account {
	char *name;
	int line;     /* of the [account NAME] header */
	struct config_value opt[OPTION__COUNT];
	const struct config *config;  /* owner, for global fallbacks */
};

struct config {
	char *path;   /* file it came from, or a label for in-memory text */
	struct config_value global[OPTION__COUNT];
	struct account **accounts;
	size_t n_accounts;
};

/* Where the config file is looked for: explicit (from -c) if not NULL, else
 * $PETREL_CONFIG, else $XDG_CONFIG_HOME/petrel/config (~/.config/...).
 * Returns a malloc'd path. */
char *config_default_path(const char *explicit_path);

/* Reads and parses the file at path.  Returns the config, owned by the caller
 * (config_free), or NULL with *cause set to a malloc'd message naming the
 * file, the line and every problem found (one per line). */
struct config *config_load(const char *path, char **cause);

/* Parses text as if read from a file called name; mode is the file's
 * permission bits (for the password check).  Same ownership as config_load. */
struct config *config_parse(const char *text, const char *name, unsigned mode, char **cause);

void config_free(struct config **cfg);

/* The account called name, or NULL.  Borrowed from cfg. */
struct account *config_account(const struct config *cfg, const char *name);

/* The value of option id for account a (NULL: global scope only), falling back
 * to the global value and the table default.  Borrowed; NULL if unset. */
const char *config_get(const struct account *a, enum option_id id);
bool config_get_bool(const struct account *a, enum option_id id);
/* A global option's value (or its default).  Borrowed; NULL if unset. */
const char *config_global(const struct config *cfg, enum option_id id);
unsigned long config_get_duration(const struct account *a, enum option_id id);
/* Line of the file where the effective value was set (0: default). */
int config_line(const struct account *a, enum option_id id);

/* Parses the account's URL option (OPTION_IMAP, _POP3, _SMTP) into *u.
 * Returns false if unset (u untouched).  Release u with url_release. */
bool config_get_url(const struct account *a, enum option_id id, struct url *u);

/* The login name: user, else email.  Borrowed; may be NULL. */
const char *config_user(const struct account *a);

/* Splits an OPT_LIST value into a NULL-terminated array of trimmed,
 * malloc'd strings; free with config_list_free. */
char **config_get_list(const struct account *a, enum option_id id);
void config_list_free(char ***list);

/* Expands a leading "~/" with $HOME; returns a malloc'd string. */
char *config_expand_path(const char *path);

/* The effective account type, resolving "auto" from the URLs given. */
const char *config_account_type(const struct account *a);

#endif
