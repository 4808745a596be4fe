/*
 * The optional external HTML-to-text command ("w3m -dump -T text/html").
 * It is run without a shell, from an argv vector, with the HTML on stdin,
 * stderr thrown away (it would scribble over the screen), a time limit and a
 * cap on what it may print.  stdin is a socket so that a converter that quits
 * early cannot kill petrel with SIGPIPE.  Anything going wrong just means the
 * caller falls back to the built-in converter.
 */
#include "mime/private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { HTMLCMD_MAX_ARGS = 32 };

static char **htmlcmd_argv;
static int htmlcmd_timeout_ms = 5000;

static void htmlcmd_free(void)
{
	if (!htmlcmd_argv)
		return;
	for (char **a = htmlcmd_argv; *a; a++)
		free(*a);
	FREE_NULL(htmlcmd_argv);
}

void mime_set_html_command(const char *cmd)
{
	struct strbuf word = STRBUF_INIT;
	size_t n = 0;

	htmlcmd_free();
	if (!cmd)
		return;
	htmlcmd_argv = xcalloc(HTMLCMD_MAX_ARGS + 1, sizeof(*htmlcmd_argv));
	for (const char *p = cmd; *p && n < HTMLCMD_MAX_ARGS;) {
		bool have = false;

		while (*p == ' ' || *p == '\t')
			p++;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'' || *p == '"') {
				char q = *p++;

				while (*p && *p != q)
					strbuf_addch(&word, *p++);
				if (*p)
					p++;
			} else {
				strbuf_addch(&word, *p++);
			}
			have = true;
		}
		if (have)
			htmlcmd_argv[n++] = strbuf_detach(&word);
	}
	strbuf_release(&word);
	if (n == 0)
		htmlcmd_free();
}

void mime_htmlcmd_set_timeout(int ms)
{
	htmlcmd_timeout_ms = ms;
}

static long htmlcmd_ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000L + (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

/* Waits for pid until the deadline, then kills it.  True if it exited 0. */
static bool htmlcmd_reap(pid_t pid, const struct timespec *deadline)
{
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (r < 0 && errno != EINTR)
			return false;
		if (htmlcmd_ms_left(deadline) <= 0)
			break;
		poll(NULL, 0, 10);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return false;
}

enum htmlcmd_end { HTMLCMD_FAILED, HTMLCMD_EOF, HTMLCMD_FULL };

/* Feeds html to the child and collects its output until EOF, the deadline or
 * the cap. */
static enum htmlcmd_end htmlcmd_pump(int in, int out, struct strbuf *sb, const char *html, size_t len,
			 const struct timespec *deadline)
{
	size_t off = 0;
	char buf[8192];

	if (len == 0) {
		shutdown(in, SHUT_WR);
		in = -1;
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = out, .events = POLLIN }, { .fd = in, .events = POLLOUT } };
		long left = htmlcmd_ms_left(deadline);
		int r;

		if (left <= 0)
			return HTMLCMD_FAILED;
		r = poll(p, in >= 0 ? 2 : 1, (int)left);
		if (r < 0 && errno != EINTR)
			return HTMLCMD_FAILED;
		if (r <= 0)
			continue;
		if (in >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = send(in, html + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w < 0 && errno != EAGAIN && errno != EINTR) {
				in = -1;  /* it stopped reading: fine, it may still print */
			} else if (w > 0 && (off += (size_t)w) == len) {
				shutdown(in, SHUT_WR);
				in = -1;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(out, buf, sizeof(buf));

			if (n == 0)
				return HTMLCMD_EOF;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return HTMLCMD_FAILED;
			if (n > 0) {
				strbuf_add(sb, buf, (size_t)n);
				if (sb->len > MIME_MAX_RENDER)
					return HTMLCMD_FULL;  /* the renderer caps it anyway */
			}
		}
	}
}

bool mime_htmlcmd_run(struct strbuf *out, const char *html, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	posix_spawn_file_actions_t fa;
	struct timespec deadline;
	int sv[2] = { -1, -1 }, po[2] = { -1, -1 };
	pid_t pid;
	bool ok = false;

	if (!htmlcmd_argv)
		return false;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		goto out;
	if (pipe2(po, O_CLOEXEC) < 0)
		goto out;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* nothing else of petrel's (sockets to servers, the database) */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (posix_spawnp(&pid, htmlcmd_argv[0], &fa, NULL, htmlcmd_argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		goto out;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	close(po[1]);
	sv[1] = po[1] = -1;
	fcntl(po[0], F_SETFL, O_NONBLOCK);

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += htmlcmd_timeout_ms / 1000;
	deadline.tv_nsec += (long)(htmlcmd_timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	switch (htmlcmd_pump(sv[0], po[0], &sb, html, len, &deadline)) {
	case HTMLCMD_EOF:
		ok = htmlcmd_reap(pid, &deadline);
		break;
	case HTMLCMD_FULL:
		kill(pid, SIGKILL);
		htmlcmd_reap(pid, &deadline);
		ok = true;
		break;
	case HTMLCMD_FAILED:
		kill(pid, SIGKILL);
		htmlcmd_reap(pid, &deadline);
		break;
	}
	if (ok)
		strbuf_add(out, sb.buf ? sb.buf : "", sb.len);
out:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (po[i] >= 0)
			close(po[i]);
	}
	strbuf_release(&sb);
	return ok;
}
