/*
 * petrel compose | reply | forward: start a draft (src/mime/reply.c), let
 * the user edit it in $VISUAL/$EDITOR, then build the message
 * (compose_draft_build) and queue it (cli_send_message), print it (--print)
 * or file it in the account's drafts folder (--postpone).
 *
 * The draft lives in a private directory (0700) as a 0600 file, so nobody
 * else on the machine reads it.  Whatever goes wrong after the editor ran,
 * the file stays and its name is printed: what the user wrote is never lost.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/util.h"
#include "engine/change.h"
#include "engine/engine.h"
#include "mime/compose.h"
#include "mime/mime.h"
#include "net/net.h"
#include "store/store.h"

#define COMPOSE_MAX_DRAFT (64u << 20)

enum compose_mode { COMPOSE_SEND, COMPOSE_PRINT, COMPOSE_POSTPONE };

int cli_compose_edit(const char *path, char **cause)
{
	const char *ed = getenv("VISUAL");
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	char **argv;
	size_t n = 0;
	pid_t pid;
	int status = 0, rc = -1;

	if (!ed || !*ed)
		ed = getenv("EDITOR");
	if (!ed || !*ed)
		ed = "vi";
	/* "emacs -nw" and "code --wait" are common: words, but no shell */
	if (!(argv = net_argv_split(ed, cause)))
		return -1;
	while (argv[n])
		n++;
	if (!n) {
		*cause = xstrdup("$VISUAL or $EDITOR is set to nothing but blanks");
		net_argv_free(&argv);
		return -1;
	}
	argv = xrealloc(argv, (n + 2) * sizeof(*argv));
	argv[n] = xstrdup(path);
	argv[n + 1] = NULL;
	/* like system(3): ^C belongs to the editor while it runs */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "petrel: cannot run the editor %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		*cause = xasprintf("cannot start the editor: %s", strerror(errno));
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			rc = 0;
		else if (WIFEXITED(status))
			*cause = xasprintf("the editor %s exited with status %d", argv[0],
					   WEXITSTATUS(status));
		else
			*cause = xasprintf("the editor %s was killed by signal %d", argv[0],
					   WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	net_argv_free(&argv);
	return rc;
}

/* A private directory for the draft and what goes with it; malloc'd path. */
static char *compose_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *dir = xasprintf("%s/petrel-draft-XXXXXX", t && *t ? t : "/tmp");

	if (!mkdtemp(dir)) {
		fprintf(stderr, "petrel: cannot make a directory for the draft in %s: %s\n",
			t && *t ? t : "/tmp", strerror(errno));
		FREE_NULL(dir);
	}
	return dir;
}

/* Writes data to a new 0600 file dir/name; malloc'd path or NULL. */
static char *compose_write(const char *dir, const char *name, const char *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 || util_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		fprintf(stderr, "petrel: cannot write %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		FREE_NULL(path);
		return NULL;
	}
	close(fd);
	return path;
}

/* Removes the private directory and what is in it (the draft, attachments
 * written back by --resume, an editor's leftovers), one level deep. */
static void compose_cleanup(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		if (unlink(p) < 0 && (errno == EISDIR || errno == EPERM))
			compose_cleanup(p);  /* a directory */
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static bool compose_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

/* Files the built message in the account's drafts folder, flagged draft;
 * for an IMAP account the journal's "append" entry (the one the Sent copy
 * uses) puts it in the server's folder at the next sync. */
static int compose_postpone(struct cli_ctx *ctx, const struct account *a, const char *msg,
			    size_t len)
{
	const char *folder = config_get(a, OPTION_DRAFTS_FOLDER);
	struct store *s = output_store_open(cli_config(ctx), a->name, STORE_WRITE);
	char *cause = NULL, *id = NULL;
	int rc = CLI_FAILED;

	if (!s)
		return CLI_FAILED;
	switch (change_file_draft(s, a, msg, len, &id, &cause)) {
	case -1:
		fprintf(stderr, "petrel: cannot postpone the draft: %s\n", cause);
		break;
	case 1:
		fprintf(stderr, "petrel: the draft is in %s/%s here, but it will not be put on the "
			"server: %s\n", a->name, folder, cause);
		rc = CLI_OK;
		break;
	default: {
		char *safe = sanitize_line(id ? id : "");

		printf("postponed into %s/%s as %s\n", a->name, folder, safe);
		free(safe);
		rc = CLI_OK;
	}
	}
	free(cause);
	free(id);
	store_close(&s);
	return rc;
}

static int compose_print(const char *msg, size_t len)
{
	if (isatty(1)) {
		/* on a terminal, through the sanitizer like anything else */
		struct strbuf lf = STRBUF_INIT;
		char *safe;

		for (size_t i = 0; i < len; i++)
			if (!(msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n'))
				strbuf_addch(&lf, msg[i]);
		safe = sanitize(lf.buf ? lf.buf : "", lf.len, SANITIZE_MULTILINE);
		fputs(safe, stdout);
		free(safe);
		strbuf_release(&lf);
		return CLI_OK;
	}
	if (util_write_all(1, msg, len) < 0) {
		fprintf(stderr, "petrel: cannot write: %s\n", strerror(errno));
		return CLI_FAILED;
	}
	return CLI_OK;
}

/* Writes draft into dir, runs the editor, then sends, prints or postpones.
 * Removes dir unless the draft is kept; *taken (may be NULL) says whether
 * the message went where it was meant to (the queue, the output, Drafts). */
static int compose_finish(struct cli_ctx *ctx, const struct account *a, const char *dir,
			  const char *draft, enum compose_mode mode, bool resumed, bool *taken)
{
	char *path = compose_write(dir, "draft.eml", draft, strlen(draft));
	char *cause = NULL, *text = NULL, *msg = NULL, *safe;
	size_t len = 0, mlen = 0;
	int rc = CLI_FAILED;
	bool keep = true;

	if (!path) {
		compose_cleanup(dir);
		return CLI_FAILED;
	}
	safe = sanitize_line(path);
	if (cli_compose_edit(path, &cause) < 0) {
		fprintf(stderr, "petrel: %s; not sent, the draft is kept as %s\n", cause, safe);
		goto out;
	}
	if (!(text = store_read_file(path, COMPOSE_MAX_DRAFT, &len, &cause))) {
		fprintf(stderr, "petrel: %s\n", cause);
		goto out;
	}
	if (compose_blank(text, len)) {
		fprintf(stderr, "petrel: the draft is empty; cancelled\n");
		keep = false;
		goto out;
	}
	/* a resumed draft may well be finished: unchanged, it goes as it is */
	if (!resumed && len == strlen(draft) && memcmp(text, draft, len) == 0) {
		fprintf(stderr, "petrel: the draft was not changed; not sent, draft kept as %s\n",
			safe);
		goto out;
	}
	if (!(msg = compose_draft_build(a, text, len, &mlen, &cause))) {
		char *why = sanitize_line(cause);

		fprintf(stderr, "petrel: %s\npetrel: not sent, the draft is kept as %s\n", why, safe);
		free(why);
		goto out;
	}
	switch (mode) {
	case COMPOSE_PRINT:
		rc = compose_print(msg, mlen);
		break;
	case COMPOSE_POSTPONE:
		rc = compose_postpone(ctx, a, msg, mlen);
		break;
	case COMPOSE_SEND:
		rc = cli_send_message(ctx, a, msg, mlen);
		break;
	}
	/* a message the queue took, even one refused or waiting for a retry,
	 * lives on there (petrel queue); a second copy as a draft would only
	 * invite sending it twice */
	keep = mode == COMPOSE_SEND ? rc == CLI_USAGE : rc != CLI_OK;
	if (keep)
		fprintf(stderr, "petrel: the draft is kept as %s\n", safe);
	if (taken)
		*taken = !keep;
out:
	if (!keep)
		compose_cleanup(dir);
	free(cause);
	free(text);
	free(msg);
	free(safe);
	free(path);
	return rc;
}

/* The account to write from: the one named, else the first with an email. */
static const struct account *compose_account(struct cli_ctx *ctx, const char *name)
{
	struct config *cfg = cli_config(ctx);

	if (!cfg)
		return NULL;
	if (name) {
		const struct account *a = config_account(cfg, name);

		if (!a)
			fprintf(stderr, "petrel: no account called '%s' in %s\n", name, cfg->path);
		return a;
	}
	for (size_t i = 0; i < cfg->n_accounts; i++)
		if (config_get(cfg->accounts[i], OPTION_EMAIL))
			return cfg->accounts[i];
	if (cfg->n_accounts)
		return cfg->accounts[0];
	fprintf(stderr, "petrel: %s has no account to send from\n", cfg->path);
	return NULL;
}

/* A value from the command line that goes into a header line of the draft. */
static bool compose_arg_ok(const char *what, const char *v)
{
	if (!strpbrk(v, "\r\n"))
		return true;
	fprintf(stderr, "petrel: %s must be one line\n", what);
	return false;
}

struct compose_opts {
	const char *account, *to, *subject, *resume;
	char **attach;
	size_t n_attach;
	bool all, as_attachment;
	enum compose_mode mode;
};

/* Parses the options of compose, reply and forward (argv[0] says which).
 * Returns optind, or -1 after printing what was wrong. */
static int compose_getopt(int argc, char **argv, struct compose_opts *o, const char *usage)
{
	/* --attach takes a file in compose; in forward it is a switch */
	static const struct option longopts[] = {
		{ "account", required_argument, NULL, 'a' },
		{ "to", required_argument, NULL, 't' },
		{ "subject", required_argument, NULL, 's' },
		{ "attach", required_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'A' },
		{ "print", no_argument, NULL, 'p' },
		{ "postpone", no_argument, NULL, 'P' },
		{ "resume", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	}, forward_longopts[] = {
		{ "account", required_argument, NULL, 'a' },
		{ "to", required_argument, NULL, 't' },
		{ "attach", no_argument, NULL, 'f' },
		{ "print", no_argument, NULL, 'p' },
		{ "postpone", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	bool compose = strcmp(argv[0], "compose") == 0, forward = strcmp(argv[0], "forward") == 0;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", forward ? forward_longopts : longopts, NULL)) != -1) {
		switch (c) {
		case 'a': o->account = optarg; break;
		case 't':
			if (compose || forward) {
				o->to = optarg;
				break;
			}
			goto usage;
		case 's':
			if (!compose)
				goto usage;
			o->subject = optarg;
			break;
		case 'f':
			if (forward && !optarg) {
				o->as_attachment = true;
				break;
			}
			if (!compose || !optarg)
				goto usage;
			o->attach = xrealloc(o->attach, (o->n_attach + 1) * sizeof(*o->attach));
			o->attach[o->n_attach] = realpath(optarg, NULL);
			if (!o->attach[o->n_attach]) {
				fprintf(stderr, "petrel: cannot attach %s: %s\n", optarg, strerror(errno));
				return -1;
			}
			o->n_attach++;
			break;
		case 'A':
			if (strcmp(argv[0], "reply") != 0)
				goto usage;
			o->all = true;
			break;
		case 'r':
			if (!compose)
				goto usage;
			o->resume = optarg;
			break;
		case 'p': o->mode = COMPOSE_PRINT; break;
		case 'P': o->mode = COMPOSE_POSTPONE; break;
		default:
			goto usage;
		}
	}
	if ((o->to && !compose_arg_ok("--to", o->to)) ||
	    (o->subject && !compose_arg_ok("--subject", o->subject)))
		return -1;
	for (size_t i = 0; i < o->n_attach; i++)
		if (!compose_arg_ok("an --attach file name", o->attach[i]))
			return -1;
	return optind;
usage:
	fputs(usage, stderr);
	return -1;
}

static void compose_opts_release(struct compose_opts *o)
{
	for (size_t i = 0; i < o->n_attach; i++)
		free(o->attach[i]);
	free(o->attach);
}

static char *compose_load(struct cli_ctx *ctx, const char *id, char **account, size_t *len);

/* Drops the journal's pending upload of draft id (nothing to upload now). */
/* Takes the draft out of the drafts folder once it is sent or postponed
 * again (CHANGE_DROP_DRAFT: one the server has is deleted as petrel delete
 * does it, to trash-folder by default; one still waiting for its upload
 * just goes). */
static void compose_drop_draft(struct cli_ctx *ctx, const char *id)
{
	struct config *cfg = cli_config(ctx);
	struct store *s = output_store_open(cfg, NULL, STORE_WRITE);
	struct change_result res = { 0 };
	char *cause = NULL;
	int rc;

	if (!s)
		return;
	rc = change_apply(s, cfg, id, CHANGE_DROP_DRAFT, NULL, &res, &cause);
	store_close(&s);
	if (rc == -1) {
		char *safe = sanitize_line(cause);
		fprintf(stderr, "petrel: the old draft is still in the drafts folder (%s); "
			"petrel delete %s removes it\n", safe, id);
		free(safe);
	} else if (rc == 0 && res.journaled) {
		cli_change_replay(cfg, res.account);
	}
	free(cause);
	change_result_release(&res);
}

/* compose --resume ID: a postponed draft back in the editor. */
static int compose_resume(struct cli_ctx *ctx, const struct compose_opts *o)
{
	const struct account *a = NULL;
	char *orig, *account = NULL, *dir = NULL, *att = NULL, *draft = NULL, *cause = NULL;
	size_t len = 0;
	int rc = CLI_FAILED;
	bool taken = false;

	if (o->to || o->subject || o->n_attach) {
		fprintf(stderr, "petrel: --resume takes the draft as it was; change it in the "
			"editor\n");
		return CLI_USAGE;
	}
	if (!(orig = compose_load(ctx, o->resume, &account, &len)))
		goto out;
	if (!(a = compose_account(ctx, o->account ? o->account : account)) ||
	    !(dir = compose_tmpdir()))
		goto out;
	att = xasprintf("%s/attachments", dir);
	if (mkdir(att, 0700) < 0) {
		fprintf(stderr, "petrel: cannot make %s: %s\n", att, strerror(errno));
		compose_cleanup(dir);
		goto out;
	}
	if (!(draft = compose_draft_resume(orig, len, att, &cause))) {
		char *safe = sanitize_line(cause);

		fprintf(stderr, "petrel: %s\n", safe);
		free(safe);
		compose_cleanup(dir);
		goto out;
	}
	rc = compose_finish(ctx, a, dir, draft, o->mode, true, &taken);
	if (taken && o->mode != COMPOSE_PRINT)
		compose_drop_draft(ctx, o->resume);
out:
	free(orig);
	free(account);
	free(dir);
	free(att);
	free(draft);
	free(cause);
	return rc;
}

int cli_compose(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *usage = "usage: petrel compose [--account A] [--to ADDR] [--subject S] "
			    "[--attach FILE]... [--resume ID] [--print|--postpone]\n";
	struct compose_opts o = { 0 };
	const struct account *a;
	char *dir = NULL, *draft = NULL, *cause = NULL;
	int rc = CLI_USAGE, i = compose_getopt(argc, argv, &o, usage);

	if (i < 0 || i != argc) {
		if (i >= 0)
			fputs(usage, stderr);
		goto out;
	}
	rc = CLI_FAILED;
	if (o.resume) {
		rc = compose_resume(ctx, &o);
		goto out;
	}
	if (!(a = compose_account(ctx, o.account)) || !(dir = compose_tmpdir()))
		goto out;
	if (!(draft = compose_draft_new(a, o.to, o.subject, o.attach, o.n_attach, &cause))) {
		fprintf(stderr, "petrel: %s\n", cause);
		compose_cleanup(dir);
		goto out;
	}
	rc = compose_finish(ctx, a, dir, draft, o.mode, false, NULL);
out:
	compose_opts_release(&o);
	free(dir);
	free(draft);
	free(cause);
	return rc;
}

/* The stored message id with its account: its bytes, the body fetched first
 * when only the headers are here (a note on stderr if that fails). */
static char *compose_load(struct cli_ctx *ctx, const char *id, char **account, size_t *len)
{
	struct config *cfg = cli_config(ctx);
	char *why = NULL, *data;

	if (!cfg)
		return NULL;
	data = output_message_load(cfg, NULL, id, len, account, &why);
	if (why)
		fprintf(stderr, "petrel: the body of the message is not here and could not be "
			"fetched (%s); only its headers are used\n", why);
	free(why);
	return data;
}

/* reply and forward: the message ID answered or passed on. */
static int compose_from_message(struct cli_ctx *ctx, int argc, char **argv, const char *usage)
{
	struct compose_opts o = { 0 };
	const struct account *a = NULL;
	char *dir = NULL, *draft = NULL, *cause = NULL, *orig = NULL, *account = NULL, *att = NULL;
	size_t len = 0;
	int rc = CLI_USAGE, i = compose_getopt(argc, argv, &o, usage);
	bool forward = strcmp(argv[0], "forward") == 0;

	if (i < 0 || i != argc - 1) {
		if (i >= 0)
			fputs(usage, stderr);
		goto out;
	}
	rc = CLI_FAILED;
	if (!(orig = compose_load(ctx, argv[i], &account, &len)))
		goto out;
	if (!(a = compose_account(ctx, o.account ? o.account : account)) || !(dir = compose_tmpdir()))
		goto out;
	if (forward && o.as_attachment && !(att = compose_write(dir, "forwarded.eml", orig, len))) {
		compose_cleanup(dir);
		goto out;
	}
	draft = forward ? compose_draft_forward(a, orig, len, o.to, att, &cause)
			: compose_draft_reply(a, orig, len, o.all, &cause);
	if (!draft) {
		fprintf(stderr, "petrel: %s\n", cause);
		compose_cleanup(dir);
		goto out;
	}
	rc = compose_finish(ctx, a, dir, draft, o.mode, false, NULL);
out:
	compose_opts_release(&o);
	free(dir);
	free(draft);
	free(cause);
	free(orig);
	free(account);
	free(att);
	return rc;
}

int cli_reply(struct cli_ctx *ctx, int argc, char **argv)
{
	return compose_from_message(ctx, argc, argv,
				    "usage: petrel reply [--all] [--account A] [--print|--postpone] ID\n");
}

int cli_forward(struct cli_ctx *ctx, int argc, char **argv)
{
	return compose_from_message(ctx, argc, argv,
				    "usage: petrel forward [--attach] [--to ADDR] [--account A] "
				    "[--print|--postpone] ID\n");
}
