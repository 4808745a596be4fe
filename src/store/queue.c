/*
 * The send queue of an account: DATA/mail/<account>/.petrel-queue/ holds
 * ID.eml (the message exactly as the user finished it, Bcc included) and,
 * once the message has been tried, ID.state (state, attempts, next try, the
 * server's last words).  The .eml file defines the entry: it is written to
 * a temporary name, fsynced, linked into place (never over another entry)
 * and the directory fsynced before store_queue_add returns.  A missing state
 * file means "queued, never tried".  State files are replaced atomically
 * (tmp, fsync, rename, fsync dir), so a crash leaves the old or the new one.
 *
 * The queue needs no mail index: `petrel send` works while another petrel
 * holds the index's write lock.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "core/util.h"
#include "store/private.h"

static const char *const queue_state_names[] = {
	[QUEUE_QUEUED] = "queued",
	[QUEUE_SENDING] = "sending",
	[QUEUE_FAILED] = "failed",
	[QUEUE_DELIVERED] = "delivered",
};

const char *store_queue_state_name(enum queue_state st)
{
	return queue_state_names[st];
}

char *store_queue_dir(const struct config *cfg, const struct account *a)
{
	char *data = store_data_dir(cfg, a), *dir;

	dir = xasprintf("%s/mail/%s/.petrel-queue", data, a->name);
	free(data);
	return dir;
}

/* Writes data to dir/tmp-NAME, fsyncs and closes it.  The path, or NULL. */
static char *queue_write_tmp(const char *dir, const char *name, const char *data, size_t len,
			     char **cause)
{
	char *tmp = xasprintf("%s/tmp-%s", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (len && util_write_all(fd, data, len) < 0) || fsync(fd) < 0) {
		*cause = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		FREE_NULL(tmp);
		return NULL;
	}
	if (close(fd) < 0) {
		*cause = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		FREE_NULL(tmp);
	}
	return tmp;
}

static bool queue_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n < 4 || n > 16)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

int store_queue_add(const char *qdir, const char *msg, size_t len, char **id, char **cause)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
	char *tmp = NULL, *final = NULL;
	int rc = -1;

	*id = NULL;
	if (maildir_mkdirs(qdir, cause) < 0)
		return -1;
	{
		char *name = xasprintf("new-%ld", (long)getpid());
		tmp = queue_write_tmp(qdir, name, msg, len, cause);
		free(name);
	}
	if (!tmp)
		return -1;
	for (int tries = 0; tries < 100; tries++) {
		unsigned char rnd[6];
		char name[sizeof(rnd) + 1];

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			BUG("getrandom failed: %s", strerror(errno));
		for (size_t i = 0; i < sizeof(rnd); i++)
			name[i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
		name[sizeof(rnd)] = '\0';
		free(final);
		final = xasprintf("%s/%s.eml", qdir, name);
		/* link, not rename: never replaces another queued message */
		if (link(tmp, final) == 0) {
			*id = xstrdup(name);
			break;
		}
		if (errno != EEXIST) {
			*cause = xasprintf("cannot queue the message in %s: %s", qdir, strerror(errno));
			goto out;
		}
	}
	if (!*id) {
		*cause = xasprintf("cannot find a free name in %s", qdir);
		goto out;
	}
	unlink(tmp);
	if (maildir_fsync_dir(qdir) < 0) {
		*cause = xasprintf("cannot sync %s: %s", qdir, strerror(errno));
		/* the entry may not survive a crash: say so, but it is there */
		goto out;
	}
	rc = 0;
out:
	if (rc < 0 && tmp)
		unlink(tmp);
	free(tmp);
	free(final);
	return rc;
}

/* One line of server text for the state file: no line breaks or tabs. */
static void queue_add_flat(struct strbuf *sb, const char *s)
{
	for (; s && *s; s++)
		strbuf_addch(sb, (*s == '\r' || *s == '\n' || *s == '\t') ? ' ' : *s);
}

int store_queue_save(const char *qdir, const struct queue_entry *e, char **cause)
{
	struct strbuf sb = STRBUF_INIT;
	char *name = xasprintf("%s.state", e->id), *tmp, *final = NULL;
	int rc = -1;

	strbuf_addf(&sb, "state %s\nattempts %u\nnext %lld\n", queue_state_names[e->state],
		    e->attempts, (long long)e->next_try);
	if (e->offline)
		strbuf_addstr(&sb, "offline 1\n");
	if (e->error) {
		strbuf_addstr(&sb, "error ");
		queue_add_flat(&sb, e->error);
		strbuf_addch(&sb, '\n');
	}
	tmp = queue_write_tmp(qdir, name, sb.buf, sb.len, cause);
	if (!tmp)
		goto out;
	final = xasprintf("%s/%s", qdir, name);
	if (rename(tmp, final) < 0) {
		*cause = xasprintf("cannot replace %s: %s", final, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (maildir_fsync_dir(qdir) < 0) {
		*cause = xasprintf("cannot sync %s: %s", qdir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	strbuf_release(&sb);
	free(tmp);
	free(final);
	free(name);
	return rc;
}

/* Reads ID.state into e (defaults when there is none). */
static void queue_load_state(const char *qdir, struct queue_entry *e)
{
	char *path = xasprintf("%s/%s.state", qdir, e->id), *data, *line, *save = NULL, *junk = NULL;
	size_t len;

	e->state = QUEUE_QUEUED;
	data = store_read_file(path, 1u << 20, &len, &junk);
	free(junk);
	free(path);
	if (!data)
		return;
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(line, ' ');
		unsigned long n;

		if (!val)
			continue;
		*val++ = '\0';
		if (strcmp(line, "state") == 0) {
			for (size_t i = 0; i < ARRAY_SIZE(queue_state_names); i++)
				if (strcmp(val, queue_state_names[i]) == 0)
					e->state = (enum queue_state)i;
		} else if (strcmp(line, "attempts") == 0 && util_parse_ulong(val, 1000000, &n)) {
			e->attempts = (unsigned)n;
		} else if (strcmp(line, "next") == 0) {
			e->next_try = (time_t)strtoll(val, NULL, 10);
		} else if (strcmp(line, "offline") == 0) {
			e->offline = strcmp(val, "1") == 0;
		} else if (strcmp(line, "error") == 0) {
			xstrset(&e->error, val);
		}
	}
	free(data);
}

/* Appends the addr-specs of an address list to v. */
static void queue_add_addresses(struct mailimf_address_list *al, char ***v, size_t *n)
{
	for (clistiter *it = clist_begin(al->ad_list); it; it = clist_next(it)) {
		struct mailimf_address *ad = clist_content(it);
		clist *mbs = NULL;

		if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX) {
			*v = xrealloc(*v, (*n + 2) * sizeof(**v));
			(*v)[(*n)++] = xstrdup(ad->ad_data.ad_mailbox->mb_addr_spec);
			(*v)[*n] = NULL;
			continue;
		}
		if (ad->ad_data.ad_group->grp_mb_list)
			mbs = ad->ad_data.ad_group->grp_mb_list->mb_list;
		for (clistiter *j = mbs ? clist_begin(mbs) : NULL; j; j = clist_next(j)) {
			struct mailimf_mailbox *mb = clist_content(j);
			*v = xrealloc(*v, (*n + 2) * sizeof(**v));
			(*v)[(*n)++] = xstrdup(mb->mb_addr_spec);
			(*v)[*n] = NULL;
		}
	}
}

/* Where the header ends: just past the blank line, or len. */
static size_t queue_header_end(const char *msg, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (msg[i] != '\n')
			continue;
		if (i + 1 < len && msg[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && msg[i + 1] == '\r' && msg[i + 2] == '\n')
			return i + 3;
	}
	return len;
}

int store_queue_envelope(const char *msg, size_t len, struct queue_envelope *env, char **cause)
{
	struct mailimf_fields *fields = NULL;
	size_t idx = 0, hlen = queue_header_end(msg, len);
	int r;

	memset(env, 0, sizeof(*env));
	r = mailimf_fields_parse(msg, hlen, &idx, &fields);
	if (r != MAILIMF_NO_ERROR || !fields) {
		*cause = xstrdup("the message's header cannot be parsed");
		return -1;
	}
	for (clistiter *it = clist_begin(fields->fld_list); it; it = clist_next(it)) {
		struct mailimf_field *f = clist_content(it);

		switch (f->fld_type) {
		case MAILIMF_FIELD_TO:
			if (f->fld_data.fld_to->to_addr_list)
				queue_add_addresses(f->fld_data.fld_to->to_addr_list,
						    &env->rcpt, &env->n_rcpt);
			break;
		case MAILIMF_FIELD_CC:
			if (f->fld_data.fld_cc->cc_addr_list)
				queue_add_addresses(f->fld_data.fld_cc->cc_addr_list,
						    &env->rcpt, &env->n_rcpt);
			break;
		case MAILIMF_FIELD_BCC:
			if (f->fld_data.fld_bcc->bcc_addr_list) {
				size_t before = env->n_rcpt;
				queue_add_addresses(f->fld_data.fld_bcc->bcc_addr_list,
						    &env->rcpt, &env->n_rcpt);
				env->n_bcc += env->n_rcpt - before;
			}
			break;
		case MAILIMF_FIELD_MESSAGE_ID:
			if (!env->message_id && f->fld_data.fld_message_id->mid_value)
				env->message_id = xstrdup(f->fld_data.fld_message_id->mid_value);
			break;
		case MAILIMF_FIELD_SUBJECT:
			if (!env->subject && f->fld_data.fld_subject->sbj_value)
				env->subject = xstrdup(f->fld_data.fld_subject->sbj_value);
			break;
		default:
			break;
		}
	}
	mailimf_fields_free(fields);
	for (size_t i = 0; i < hlen; i++)
		if ((unsigned char)msg[i] >= 0x80)
			env->eight_bit_header = true;
	for (size_t i = hlen; i < len; i++)
		if ((unsigned char)msg[i] >= 0x80)
			env->eight_bit_body = true;
	if (env->n_rcpt == 0) {
		*cause = xstrdup("the message has no recipient (To, Cc or Bcc)");
		store_queue_envelope_release(env);
		return -1;
	}
	return 0;
}

void store_queue_envelope_release(struct queue_envelope *env)
{
	for (size_t i = 0; i < env->n_rcpt; i++)
		free(env->rcpt[i]);
	free(env->rcpt);
	free(env->message_id);
	free(env->subject);
	memset(env, 0, sizeof(*env));
}

char *store_queue_strip_bcc(const char *msg, size_t len, size_t *out_len)
{
	size_t hlen = queue_header_end(msg, len), i = 0;
	struct strbuf sb = STRBUF_INIT;
	bool skipping = false;

	while (i < hlen) {
		size_t end = i;
		while (end < hlen && msg[end] != '\n')
			end++;
		if (end < hlen)
			end++;
		/* a folded line continues the field before it */
		if (msg[i] != ' ' && msg[i] != '\t')
			skipping = end - i >= 4 && strncasecmp(msg + i, "bcc:", 4) == 0;
		if (!skipping)
			strbuf_add(&sb, msg + i, end - i);
		i = end;
	}
	strbuf_add(&sb, msg + hlen, len - hlen);
	*out_len = sb.len;
	return strbuf_detach(&sb);
}

static void queue_fill(const char *qdir, struct queue_entry *e)
{
	struct queue_envelope env;
	char *junk = NULL, *data;
	size_t len;
	struct strbuf sb = STRBUF_INIT;

	e->path = xasprintf("%s/%s.eml", qdir, e->id);
	queue_load_state(qdir, e);
	data = store_read_file(e->path, 1u << 30, &len, &junk);
	free(junk);
	junk = NULL;
	if (!data)
		return;
	e->size = len;
	if (store_queue_envelope(data, len, &env, &junk) == 0) {
		for (size_t i = 0; i < env.n_rcpt; i++)
			strbuf_addf(&sb, "%s%s", i ? ", " : "", env.rcpt[i]);
		e->recipients = strbuf_detach(&sb);
		e->subject = env.subject;
		e->message_id = env.message_id;
		env.subject = env.message_id = NULL;
		store_queue_envelope_release(&env);
	}
	free(junk);
	free(data);
}

int store_queue_get(const char *qdir, const char *id, struct queue_entry *e, char **cause)
{
	char *path;
	struct stat st;

	memset(e, 0, sizeof(*e));
	if (!queue_id_valid(id)) {
		*cause = xasprintf("'%s' is not a queue ID", id);
		return -1;
	}
	path = xasprintf("%s/%s.eml", qdir, id);
	if (stat(path, &st) < 0) {
		*cause = xasprintf("no queued message %s", id);
		free(path);
		return -1;
	}
	free(path);
	e->id = xstrdup(id);
	queue_fill(qdir, e);
	return 0;
}

static int queue_cmp(const void *a, const void *b)
{
	const struct queue_entry *x = a, *y = b;

	if (x->queued != y->queued)
		return x->queued < y->queued ? -1 : 1;
	return strcmp(x->id, y->id);
}

int store_queue_list(const char *qdir, struct queue_entry **v, size_t *n, char **cause)
{
	DIR *d = opendir(qdir);
	struct dirent *de;
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	if (!d) {
		if (errno == ENOENT)
			return 0;
		*cause = xasprintf("cannot read the send queue %s: %s", qdir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct queue_entry *e;
		struct stat st;
		char *id;

		if (len < 5 || strcmp(de->d_name + len - 4, ".eml") != 0 ||
		    strncmp(de->d_name, "tmp-", 4) == 0)
			continue;
		id = xstrndup(de->d_name, len - 4);
		if (!queue_id_valid(id)) {
			free(id);
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*v = xrealloc(*v, cap * sizeof(**v));
		}
		e = &(*v)[(*n)++];
		memset(e, 0, sizeof(*e));
		e->id = id;
		queue_fill(qdir, e);
		if (stat(e->path, &st) == 0)
			e->queued = st.st_mtime;
	}
	closedir(d);
	if (*n > 1)
		qsort(*v, *n, sizeof(**v), queue_cmp);
	return 0;
}

char *store_queue_read(const struct queue_entry *e, size_t *len, char **cause)
{
	return store_read_file(e->path, 1u << 30, len, cause);
}

int store_queue_remove(const char *qdir, const char *id, char **cause)
{
	char *eml = xasprintf("%s/%s.eml", qdir, id), *state = xasprintf("%s/%s.state", qdir, id);
	int rc = -1;

	/* the .eml first: once it is gone the entry is gone */
	if (unlink(eml) < 0 && errno != ENOENT) {
		*cause = xasprintf("cannot remove %s: %s", eml, strerror(errno));
		goto out;
	}
	if (maildir_fsync_dir(qdir) < 0) {
		*cause = xasprintf("cannot sync %s: %s", qdir, strerror(errno));
		goto out;
	}
	unlink(state);
	rc = 0;
out:
	free(eml);
	free(state);
	return rc;
}

void store_queue_entry_release(struct queue_entry *e)
{
	free(e->id);
	free(e->path);
	free(e->error);
	free(e->recipients);
	free(e->subject);
	free(e->message_id);
	memset(e, 0, sizeof(*e));
}

void store_queue_free(struct queue_entry **vp, size_t n)
{
	for (size_t i = 0; *vp && i < n; i++)
		store_queue_entry_release(&(*vp)[i]);
	FREE_NULL(*vp);
}

time_t store_queue_backoff(unsigned attempts)
{
	time_t d = 60;

	for (unsigned i = 1; i < attempts && d < 3600; i++)
		d *= 2;
	return d > 3600 ? 3600 : d;
}

int store_queue_lock(const char *qdir, char **cause)
{
	char *path = xasprintf("%s/.lock", qdir);
	int fd = -1;

	if (maildir_mkdirs(qdir, cause) < 0)
		goto out;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*cause = xasprintf("cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		fd = -2;
	}
out:
	free(path);
	return fd;
}

void store_queue_unlock(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
