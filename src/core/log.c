/*
 * The debug log file, shared by all threads behind one mutex.
 */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static bool log_owned;

bool log_open(const char *path, char **cause)
{
	int fd;

	if (!path)
		path = getenv("PETREL_DEBUG");
	if (!path || !*path)
		return true;
	pthread_mutex_lock(&log_lock);
	if (log_file && log_owned)
		fclose(log_file);
	log_file = NULL;
	if (strcmp(path, "stderr") == 0) {
		log_file = stderr;
		log_owned = false;
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0)
			log_file = fdopen(fd, "a");
		if (!log_file) {
			*cause = xasprintf("cannot open log file %s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			pthread_mutex_unlock(&log_lock);
			return false;
		}
		log_owned = true;
	}
	pthread_mutex_unlock(&log_lock);
	return true;
}

void log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_file && log_owned)
		fclose(log_file);
	log_file = NULL;
	pthread_mutex_unlock(&log_lock);
}

bool log_enabled(void)
{
	return log_file != NULL;
}

void log_debug(const char *fmt, ...)
{
	struct timeval tv;
	struct tm tm;
	char stamp[32];
	va_list ap;

	if (!log_file)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	pthread_mutex_lock(&log_lock);
	if (log_file) {
		fprintf(log_file, "%s.%03ld ", stamp, (long)(tv.tv_usec / 1000));
		va_start(ap, fmt);
		vfprintf(log_file, fmt, ap);
		va_end(ap);
		fputc('\n', log_file);
		fflush(log_file);
	}
	pthread_mutex_unlock(&log_lock);
}
