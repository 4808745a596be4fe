/*
 * Credentials: the password or OAuth2 token of an account, from a command
 * (run directly with an argument vector, never through a shell, with stdin
 * closed and its output captured) or from the config file.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "net/net.h"

char **net_argv_split(const char *cmd, char **cause)
{
	char **argv = xcalloc(1, sizeof(*argv));
	size_t n = 0;
	const char *p = cmd;

	for (;;) {
		struct strbuf w = STRBUF_INIT;
		bool have = false;
		char quote = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		for (; *p && (quote || (*p != ' ' && *p != '\t')); p++) {
			have = true;
			if (quote) {
				if (*p == quote)
					quote = 0;
				else if (*p == '\\' && quote == '"' && p[1])
					strbuf_addch(&w, *++p);
				else
					strbuf_addch(&w, *p);
			} else if (*p == '\'' || *p == '"') {
				quote = *p;
			} else if (*p == '\\' && p[1]) {
				strbuf_addch(&w, *++p);
			} else {
				strbuf_addch(&w, *p);
			}
		}
		if (quote) {
			strbuf_release(&w);
			net_argv_free(&argv);
			*cause = xasprintf("unbalanced %c quote in command: %s", quote, cmd);
			return NULL;
		}
		if (have) {
			argv = xrealloc(argv, (n + 2) * sizeof(*argv));
			argv[n++] = strbuf_detach(&w);
			argv[n] = NULL;
		}
	}
	if (n == 0) {
		net_argv_free(&argv);
		*cause = xstrdup("the command is empty");
		return NULL;
	}
	return argv;
}

void net_argv_free(char ***argvp)
{
	char **argv = *argvp;

	if (!argv)
		return;
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	FREE_NULL(*argvp);
}

/* Runs argv, returns its first line of output (malloc'd) or NULL + *cause. */
static char *cred_run(const char *what, const char *cmd, char **cause)
{
	char **argv = net_argv_split(cmd, cause);
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct strbuf obuf = STRBUF_INIT, ebuf = STRBUF_INIT;
	char *result = NULL;
	pid_t pid;
	int status;

	if (!argv) {
		char *c = *cause;
		*cause = xasprintf("%s: %s", what, c);
		free(c);
		return NULL;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		*cause = xasprintf("%s: cannot run %s: %s", what, argv[0], strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		*cause = xasprintf("%s: cannot run %s: %s", what, argv[0], strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	for (int open_fds = 2; open_fds > 0;) {
		struct pollfd pfd[2] = { { .fd = out[0], .events = POLLIN },
					 { .fd = err[0], .events = POLLIN } };
		char buf[4096];

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			struct strbuf *sb = i ? &ebuf : &obuf;
			int *fd = i ? &err[0] : &out[0];
			ssize_t n;

			if (*fd < 0 || !pfd[i].revents)
				continue;
			n = read(*fd, buf, sizeof(buf));
			if (n <= 0) {
				close(*fd);
				*fd = -1;
				pfd[i].fd = -1;
				open_fds--;
			} else if (sb->len < 65536) {
				strbuf_add(sb, buf, (size_t)n);
			}
		}
		if (out[0] < 0)
			pfd[0].fd = -1;
		if (err[0] < 0)
			pfd[1].fd = -1;
	}
	memset(&status, 0, sizeof(status));
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *line = xstrndup(strbuf_str(&ebuf), strcspn(strbuf_str(&ebuf), "\n"));
		*cause = xasprintf("%s (%s) failed%s%s", what, argv[0],
				   *line ? ": " : "", line);
		free(line);
		goto out;
	}
	result = xstrndup(strbuf_str(&obuf), strcspn(strbuf_str(&obuf), "\r\n"));
	if (!*result) {
		util_secret_free(&result);
		*cause = xasprintf("%s (%s) printed nothing", what, argv[0]);
	}
out:
	if (obuf.buf)
		memset(obuf.buf, 0, obuf.len);
	strbuf_release(&obuf);
	strbuf_release(&ebuf);
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	net_argv_free(&argv);
	return result;
}

char *net_credential(const struct account *a, char **cause)
{
	const char *auth = config_get(a, OPTION_AUTH);
	const char *cmd;

	if (strcasecmp(auth, "xoauth2") == 0 || strcasecmp(auth, "oauthbearer") == 0)
		return cred_run("token-command", config_get(a, OPTION_TOKEN_COMMAND), cause);
	cmd = config_get(a, OPTION_PASSWORD_COMMAND);
	if (cmd)
		return cred_run("password-command", cmd, cause);
	if (config_get(a, OPTION_PASSWORD))
		return xstrdup(config_get(a, OPTION_PASSWORD));
	*cause = xasprintf("account '%s' has no password-command (or password) in the config",
			   a->name);
	return NULL;
}
