/*
 * The debug log: off unless log-file is set or PETREL_DEBUG names a file (or
 * "stderr").  Thread-safe.  Nothing that could be a secret is ever passed here;
 * protocol traces skip what libetpan marks private (passwords, tokens).
 */
#ifndef PETREL_CORE_LOG_H
#define PETREL_CORE_LOG_H

#include <stdbool.h>

/* Opens the log at path ("stderr" for standard error; NULL: $PETREL_DEBUG,
 * else no log).  Returns false with *cause set if the file cannot be opened. */
bool log_open(const char *path, char **cause);
void log_close(void);
bool log_enabled(void);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
