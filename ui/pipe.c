/*
 * Piping the message (pager) or one part (attachment list) into a command
 * the user types, as mutt's "|" does.  The user wrote the command, so it runs
 * with /bin/sh -c; the message goes only to its standard input (an anonymous
 * memory file, so a command that reads nothing cannot block petrel) and never
 * into the command line.  The screen is handed to the command while it runs,
 * and comes back after the user presses Enter.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "mime/mime.h"
#include "ui/private.h"

/* Runs cmd with data on stdin, with the terminal its own.  The exit status
 * is returned; -1 with errno if it could not start. */
static int pipe_run(const char *cmd, const char *data, size_t len)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	int fd = memfd_create("petrel-pipe", MFD_CLOEXEC), status = -1, saved;
	size_t off = 0;
	pid_t pid;

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		off += (size_t)w;
	}
	lseek(fd, 0, SEEK_SET);
	/* C-c stops the command, not petrel (it shares the terminal) */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		dup2(fd, 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	saved = errno;
	close(fd);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (pid < 0) {
		errno = saved;
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Leaves curses, runs the pipe, waits for Enter, comes back. */
static void pipe_with_screen(struct ui *ui, const char *cmd, const char *data, size_t len,
			     const char *what)
{
	int rc, e;
	char c;

	def_prog_mode();
	endwin();
	fflush(stdout);
	rc = pipe_run(cmd, data, len);
	e = errno;
	if (rc < 0)
		printf("\npetrel: cannot run the command: %s", strerror(e));
	else if (rc)
		printf("\n[the command ended with status %d]", rc);
	printf("\n[%s piped; press Enter to go back to petrel]", what);
	fflush(stdout);
	while (read(0, &c, 1) == 1 && c != '\n' && c != '\r')
		;
	reset_prog_mode();
	clearok(curscr, TRUE);
	ui->dirty |= UI_DIRTY_ALL;
	if (rc < 0)
		ui_message(ui, true, "the pipe failed: %s", strerror(e));
	else
		ui_message(ui, rc != 0, "piped %s%s", what, rc ? " (the command failed)" : "");
}

static void pipe_message_done(struct ui *ui, const char *text, void *arg)
{
	char *data, *cause = NULL;
	size_t len = 0;

	if (!text || !*text)
		return;
	if (!(data = ui_pager_raw(ui, &len, &cause))) {
		char *safe = sanitize_line(cause ? cause : "the message is gone");
		ui_message(ui, true, "cannot pipe: %s", safe);
		free(safe);
		free(cause);
		return;
	}
	pipe_with_screen(ui, text, data, len, "the message");
	free(data);
}

void ui_pipe_message(struct ui *ui, int count, const char *arg)
{
	if (!ui_pager_id(ui, NULL)) {
		ui_message(ui, false, "no message is open");
		return;
	}
	if (arg && *arg) {
		pipe_message_done(ui, arg, NULL);
		return;
	}
	ui_cmdline_prompt(ui, "Pipe the message to: ", NULL, NULL, pipe_message_done, NULL,
			  false);
}

static void pipe_part_done(struct ui *ui, const char *text, void *arg)
{
	int index = (int)(size_t)arg;
	struct mime_message *m = ui_pager_message(ui);
	size_t len = 0;
	char *data, *what;

	if (!text || !*text)
		return;
	if (!m || !(data = mime_part_decode(m, index, &len))) {
		ui_message(ui, true, "this part is gone");
		return;
	}
	what = xasprintf("part %d", index);
	pipe_with_screen(ui, text, data, len, what);
	free(what);
	free(data);
}

void ui_pipe_part(struct ui *ui, int index, const char *arg)
{
	if (arg && *arg) {
		pipe_part_done(ui, arg, (void *)(size_t)index);
		return;
	}
	ui_cmdline_prompt(ui, "Pipe the part (decoded) to: ", NULL, NULL, pipe_part_done,
			  (void *)(size_t)index, false);
}
