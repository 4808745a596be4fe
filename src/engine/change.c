/*
 * Changes to messages: the local part (store and journal, change_apply),
 * shared by petrel flag/move/delete and the TUI, and the engine command
 * that runs it on the account's thread (engine_op_change), then sends the
 * journal to the server.  A change is safe once it is in the store and the
 * journal (fsynced); the server part may wait for the next sync.
 */
#include "engine/change.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/util.h"
#include "engine/private.h"

static const struct {
	const char *name;
	char flag;
} change_flag_names[] = {
	{ "seen", 'S' }, { "read", 'S' }, { "replied", 'R' }, { "answered", 'R' },
	{ "flagged", 'F' }, { "draft", 'D' }, { "deleted", 'T' }, { "passed", 'P' },
};

bool change_flag_parse(const char *word, char out[3])
{
	if (word[0] != '+' && word[0] != '-')
		return false;
	for (size_t k = 0; k < ARRAY_SIZE(change_flag_names); k++)
		if (strcasecmp(word + 1, change_flag_names[k].name) == 0) {
			out[0] = word[0];
			out[1] = change_flag_names[k].flag;
			out[2] = '\0';
			return true;
		}
	return false;
}

static int change_flags_apply(struct store *s, const struct store_location *loc,
			      const char *changes, struct journal_entry *je, char **cause)
{
	const char *cur = store_maildir_flags(loc->path);
	struct strbuf delta = STRBUF_INIT;
	char want[16];
	size_t n = 0;

	for (const char *c = "DFPRST"; *c; c++) {
		bool on = strchr(cur, *c) != NULL;
		for (const char *p = changes; p[0] && p[1]; p += 2)
			if (p[1] == *c)
				on = p[0] == '+';
		if (on)
			want[n++] = *c;
		/* P (passed) has no IMAP flag: it stays local */
		if (on != (strchr(cur, *c) != NULL) && *c != 'P')
			strbuf_addf(&delta, "%c%c", on ? '+' : '-', *c);
	}
	want[n] = '\0';
	if (store_set_flags(s, loc->path, want, cause) < 0) {
		strbuf_release(&delta);
		return -1;
	}
	if (delta.len) {
		je->op = "flags";
		je->folder = loc->folder;
		je->uid = loc->uid;
		je->arg = strbuf_detach(&delta);
	}
	strbuf_release(&delta);
	return 0;
}

/* Keywords ("+work -later") as tags of the message at once, and a journal
 * entry that sets them on the server. */
static int change_keywords_apply(struct store *s, const struct store_location *loc,
				 const char *changes, struct journal_entry *je, char **cause)
{
	struct strbuf add = STRBUF_INIT, del = STRBUF_INIT;
	char *copy = xstrdup(changes), *save = NULL;
	int rc = 0;

	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if ((*w != '+' && *w != '-') || !store_keyword_valid(w + 1)) {
			*cause = xasprintf("'%s' is not a keyword change (+WORD or -WORD)", w);
			rc = -1;
			break;
		}
		strbuf_addf(*w == '+' ? &add : &del, "%s%s", (*w == '+' ? add.len : del.len) ? " " : "",
			    w + 1);
	}
	free(copy);
	if (rc == 0)
		rc = store_retag(s, loc->path, strbuf_str(&del), strbuf_str(&add), cause);
	if (rc == 0) {
		je->op = "keywords";
		je->folder = loc->folder;
		je->uid = loc->uid;
		je->arg = xstrdup(changes);
	}
	strbuf_release(&add);
	strbuf_release(&del);
	return rc;
}

/* Moves (or copies) the message to dest in the store; the journal entry
 * names the file there, so replay can give it the server's UID. */
static int change_to_folder_apply(struct store *s, const struct store_location *loc,
				  const char *dest, bool copy, struct journal_entry *je,
				  char **cause)
{
	char *newpath = NULL;

	if (!store_folder_valid(dest, cause))
		return -1;
	if (strcmp(dest, loc->folder) == 0) {
		*cause = xasprintf("the message is already in %s", dest);
		return -1;
	}
	if ((copy ? store_copy_file : store_move_file)(s, loc->path, loc->account, dest, &newpath,
						      cause) < 0)
		return -1;
	je->op = copy ? "copy" : "move";
	je->folder = loc->folder;
	je->uid = loc->uid;
	je->arg = xstrdup(dest);
	je->file = xstrdup(strrchr(newpath, '/') + 1);
	free(newpath);
	return 0;
}

/* To trash-folder, or for good with delete = expunge or in the trash. */
static int change_delete_apply(struct store *s, const struct store_location *loc,
			       const struct account *a, struct journal_entry *je,
			       const char **moved_to, char **cause)
{
	const char *trash = a ? config_get(a, OPTION_TRASH_FOLDER) : "Trash";
	bool expunge = !a || strcmp(config_get(a, OPTION_DELETE), "expunge") == 0 ||
		       strcmp(loc->folder, trash) == 0;

	if (!expunge) {
		*moved_to = trash;
		return change_to_folder_apply(s, loc, trash, false, je, cause);
	}
	if (store_remove_file(s, loc->path, cause) < 0)
		return -1;
	je->op = "delete";
	je->folder = loc->folder;
	je->uid = loc->uid;
	return 0;
}

/* The journal's pending upload of draft id goes too (best effort: the
 * worst left is a draft the server gets once more). */
static void change_drop_upload(struct store *s, const char *account, const char *id)
{
	struct journal_entry *v = NULL;
	size_t n = 0;
	bool *keep, any = false;
	char *cause = NULL;

	if (store_journal_load(s, account, &v, &n, NULL, &cause) < 0 || n == 0)
		goto out;
	keep = xcalloc(n, sizeof(*keep));
	for (size_t i = 0; i < n; i++) {
		keep[i] = !(strcmp(v[i].op, "append") == 0 && v[i].file &&
			    strcmp(v[i].file, id) == 0);
		any |= !keep[i];
	}
	if (any && store_journal_rewrite(s, account, v, keep, n, &cause) < 0)
		log_debug("change: the upload of %s stays in the journal: %s", id, cause);
	free(keep);
out:
	free(cause);
	store_journal_free(&v, n);
}

int change_apply(struct store *s, const struct config *cfg, const char *id, enum change_op op,
		 const char *arg, struct change_result *res, char **cause)
{
	struct store_location loc = { 0 };
	struct journal_entry je = { 0 };
	const struct account *a;
	const char *moved_to = NULL;
	char *late = NULL;
	bool server;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (store_locate(s, id, &loc, cause) < 0)
		return -2;
	a = config_account(cfg, loc.account);
	server = a && strcmp(config_account_type(a), "imap") == 0 && loc.uid;
	if (store_begin(s, cause) < 0)
		goto out;
	switch (op) {
	case CHANGE_FLAGS:
		rc = change_flags_apply(s, &loc, arg ? arg : "", &je, cause);
		break;
	case CHANGE_MOVE:
		moved_to = arg;
		rc = arg ? change_to_folder_apply(s, &loc, arg, false, &je, cause) : -1;
		if (!arg)
			*cause = xstrdup("no folder to move to");
		break;
	case CHANGE_DELETE:
		rc = change_delete_apply(s, &loc, a, &je, &moved_to, cause);
		break;
	case CHANGE_COPY:
		rc = arg ? change_to_folder_apply(s, &loc, arg, true, &je, cause) : -1;
		if (!arg)
			*cause = xstrdup("no folder to copy to");
		break;
	case CHANGE_KEYWORDS:
		rc = change_keywords_apply(s, &loc, arg ? arg : "", &je, cause);
		break;
	case CHANGE_DROP_DRAFT:
		if (loc.uid) {
			rc = change_delete_apply(s, &loc, a, &je, &moved_to, cause);
		} else {
			rc = store_remove_file(s, loc.path, cause);
			if (rc == 0)
				change_drop_upload(s, loc.account,
						   strncmp(id, "id:", 3) == 0 ? id + 3 : id);
		}
		break;
	}
	if (rc == 0 && server && je.op) {
		struct store_state state;
		char *ignored = NULL;

		/* what finds the message again if the server renumbers the folder */
		if (store_state_load(s, loc.account, loc.folder, &state, &ignored) == 0)
			je.uidvalidity = state.uidvalidity;
		free(ignored);
		je.message_id = xstrdup(strncmp(id, "id:", 3) == 0 ? id + 3 : id);
		rc = store_journal_append(s, loc.account, &je, cause);
	}
	/* commit even after a failure: the section must end; the first cause
	 * is the one to report */
	if (store_commit(s, &late) < 0 && rc == 0) {
		*cause = late;
		late = NULL;
		rc = -1;
	}
	free(late);
	if (rc == 0) {
		res->account = xstrdup(loc.account);
		res->folder = xstrdup(loc.folder);
		res->dest = moved_to ? xstrdup(moved_to) : NULL;
		res->journaled = server && je.op;
	}
out:
	free(je.arg);
	free(je.file);
	free(je.message_id);
	store_location_release(&loc);
	return rc;
}

void change_result_release(struct change_result *res)
{
	FREE_NULL(res->account);
	FREE_NULL(res->folder);
	FREE_NULL(res->dest);
	res->journaled = false;
}

static const char *const change_op_names[] = {
	[CHANGE_FLAGS] = "flags", [CHANGE_MOVE] = "move", [CHANGE_DELETE] = "delete",
	[CHANGE_COPY] = "copy", [CHANGE_KEYWORDS] = "keywords", [CHANGE_DROP_DRAFT] = "drop-draft",
};

/* The text is "OP ARG\nID\nID...": ARG (flags or a folder name) has no
 * control characters, and message ids are one line each. */
char *change_encode(enum change_op op, const char *arg, const char *const *ids, size_t n,
		    char **cause)
{
	struct strbuf b = STRBUF_INIT;

	if (arg && strchr(arg, '\n')) {
		*cause = xstrdup("a folder name cannot hold a line break");
		return NULL;
	}
	strbuf_addf(&b, "%s%s%s", change_op_names[op], arg ? " " : "", arg ? arg : "");
	for (size_t i = 0; i < n; i++) {
		if (strchr(ids[i], '\n') || !*ids[i]) {
			*cause = xstrdup("a message id with a line break cannot be changed here "
					 "(petrel flag/move/delete can)");
			strbuf_release(&b);
			return NULL;
		}
		strbuf_addf(&b, "\n%s", ids[i]);
	}
	return strbuf_detach(&b);
}

bool change_decode(const char *text, enum change_op *op, const char **arg, char **buf,
		   const char ***ids, size_t *n)
{
	char *copy = xstrdup(text), *line, *next, *sp;
	size_t cap = 8;
	bool found = false;

	*buf = copy;
	*ids = xcalloc(cap, sizeof(**ids));
	*n = 0;
	*arg = NULL;
	next = strchr(copy, '\n');
	if (next)
		*next++ = '\0';
	if ((sp = strchr(copy, ' '))) {
		*sp = '\0';
		*arg = sp + 1;
	}
	for (size_t k = 0; k < ARRAY_SIZE(change_op_names); k++)
		if (strcmp(copy, change_op_names[k]) == 0) {
			*op = (enum change_op)k;
			found = true;
		}
	for (line = next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*n == cap) {
			cap *= 2;
			*ids = xrealloc(*ids, cap * sizeof(**ids));
		}
		(*ids)[(*n)++] = line;
	}
	return found && *n > 0;
}

/* Remembers folder (once) for the CHANGED events after the commit. */
static void change_note_folder(char ***v, size_t *n, const char *folder)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], folder) == 0)
			return;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(folder);
}

bool engine_op_change(struct engine_worker *w, const char *text)
{
	const struct account *a = engine_worker_account(w);
	enum change_op op = CHANGE_FLAGS;
	const char *arg, **ids = NULL;
	char *buf = NULL, *dir, *cause = NULL, **folders = NULL;
	struct store *st = NULL;
	size_t n = 0, failed = 0, n_folders = 0;
	bool replay = false, ok = false;

	if (!text || !change_decode(text, &op, &arg, &buf, &ids, &n)) {
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL, xstrdup("a malformed change command"));
		goto out;
	}
	dir = store_data_dir(a->config, a);
	st = store_open(dir, STORE_WRITE, &cause);
	free(dir);
	/* one atomic section around the batch (change_apply's nest in it):
	 * one commit for many messages, so readers reopen once, and a burst of
	 * commits never outruns a reader's snapshot */
	if (!st || store_begin(st, &cause) < 0) {
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL, cause);
		cause = NULL;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct change_result res;

		if (change_apply(st, a->config, ids[i], op, arg, &res, &cause) < 0) {
			engine_post_text(w, ENGINE_EVENT_ERROR, NULL,
				    xasprintf("cannot change a message: %s", cause));
			FREE_NULL(cause);
			failed++;
			continue;
		}
		if (strcmp(res.account, a->name) != 0) {
			/* applied and journaled for its own account, whose next
			 * sync sends it; only this account's journal is replayed */
			engine_post_text(w, ENGINE_EVENT_ERROR, NULL,
				    xasprintf("a message of account %s was changed through %s; "
					      "it reaches the server at %s's next sync",
					      res.account, a->name, res.account));
		}
		replay = replay || res.journaled;
		change_note_folder(&folders, &n_folders, res.folder);
		if (res.dest)
			change_note_folder(&folders, &n_folders, res.dest);
		change_result_release(&res);
	}
	if (store_commit(st, &cause) < 0) {
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL, cause);
		cause = NULL;
		failed = n;
	}
	/* safe here: let the store go before the network part, so readers
	 * and other writers are not held while the server is slow */
	store_close(&st);
	for (size_t i = 0; i < n_folders; i++)
		engine_post_text(w, ENGINE_EVENT_CHANGED, folders[i], NULL);
	ok = failed == 0;
	if (replay && !engine_op_sync(w, NULL, ENGINE_SYNC_REPLAY_ONLY))
		ok = false;
out:
	store_close(&st);
	for (size_t i = 0; i < n_folders; i++)
		free(folders[i]);
	free(folders);
	free(buf);
	free(ids);
	free(cause);
	return ok;
}

int change_file_draft(struct store *s, const struct account *a, const char *msg, size_t len,
		      char **idp, char **cause)
{
	const char *folder = config_get(a, OPTION_DRAFTS_FOLDER);
	struct store_add_opts o = { .flags = "DS" };
	struct journal_entry je = { .op = (char *)"append", .folder = (char *)folder,
				    .arg = (char *)"auto" };
	char *id = NULL;
	int rc = 0;

	if (store_begin(s, cause) < 0)
		return -1;
	if (store_folder_create(s, a->name, folder, cause) < 0 ||
	    store_add(s, a->name, folder, msg, len, &o, &id, cause) == STORE_ADD_ERROR) {
		char *ignored = NULL;
		store_commit(s, &ignored);   /* nothing was added: only ends the section */
		free(ignored);
		free(id);
		return -1;
	}
	if (store_commit(s, cause) < 0) {
		free(id);
		return -1;
	}
	if (strcmp(config_account_type(a), "imap") == 0) {
		if (!id || strpbrk(id, "\t\r\n")) {
			*cause = xstrdup("its Message-ID cannot be written to the journal");
			rc = 1;
		} else {
			je.file = id;
			if (store_journal_append(s, a->name, &je, cause) < 0)
				rc = 1;
		}
	}
	if (idp)
		*idp = id;
	else
		free(id);
	return rc;
}

int change_unqueue(struct store *s, const struct account *a, const char *qdir, const char *id,
		   char **cause)
{
	struct queue_entry e;
	char *data = NULL, *why = NULL;
	size_t len;
	int lock, rc = -1;

	*cause = NULL;
	if (store_queue_get(qdir, id, &e, cause) < 0)
		return -1;
	lock = store_queue_lock(qdir, cause);
	if (lock == -2) {
		rc = -2;
		goto out;
	}
	if (lock < 0)
		goto out;
	if (e.state == QUEUE_DELIVERED) {
		rc = -3;
		goto out;
	}
	if (!(data = store_queue_read(&e, &len, cause)))
		goto out;
	if (change_file_draft(s, a, data, len, NULL, cause) < 0)
		goto out;
	/* filed (perhaps only here, *cause then says so): leave the queue */
	if (store_queue_remove(qdir, id, &why) < 0) {
		free(*cause);
		*cause = why;
		goto out;
	}
	rc = 0;
out:
	store_queue_unlock(&lock);
	store_queue_entry_release(&e);
	free(data);
	return rc;
}

int change_folder(struct store *s, const struct account *a, const char *op, const char *folder,
		  const char *new_name, char **cause)
{
	struct journal_entry je = { .folder = (char *)folder };
	bool server = strcmp(config_account_type(a), "imap") == 0;
	char *late = NULL;
	int rc = -1;

	if (!store_folder_valid(folder, cause) || (new_name && !store_folder_valid(new_name, cause)))
		return -2;
	if (strcmp(op, "create") != 0 && strcmp(folder, "INBOX") == 0) {
		*cause = xstrdup("INBOX cannot be renamed or deleted");
		return -2;
	}
	if (store_begin(s, cause) < 0)
		return -1;
	if (strcmp(op, "create") == 0) {
		je.op = (char *)"folder-create";
		rc = store_folder_create(s, a->name, folder, cause);
	} else if (strcmp(op, "rename") == 0 && new_name) {
		je.op = (char *)"folder-rename";
		je.arg = (char *)new_name;
		rc = store_folder_rename(s, a->name, folder, new_name, cause);
	} else if (strcmp(op, "delete") == 0) {
		je.op = (char *)"folder-delete";
		rc = store_folder_delete(s, a->name, folder, cause);
	} else {
		*cause = xasprintf("no folder operation '%s'", op);
	}
	if (rc == 0 && server)
		rc = store_journal_append(s, a->name, &je, cause);
	/* the first cause is the one to report */
	if (store_commit(s, &late) < 0 && rc == 0) {
		*cause = late;
		late = NULL;
		rc = -1;
	}
	free(late);
	return rc;
}

bool engine_op_folder(struct engine_worker *w, const char *text)
{
	const struct account *a = engine_worker_account(w);
	char *copy = xstrdup(text ? text : ""), *folder = strchr(copy, '\n'), *to = NULL;
	char *cause = NULL, *dir;
	struct store *st = NULL;
	bool ok = false;

	if (!folder) {
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL, xstrdup("a malformed folder command"));
		goto out;
	}
	*folder++ = '\0';
	if ((to = strchr(folder, '\n')))
		*to++ = '\0';
	dir = store_data_dir(a->config, a);
	st = store_open(dir, STORE_WRITE, &cause);
	free(dir);
	if (!st || change_folder(st, a, copy, folder, to && *to ? to : NULL, &cause) < 0) {
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL, cause);
		cause = NULL;
		goto out;
	}
	store_close(&st);
	engine_post_text(w, ENGINE_EVENT_CHANGED, to && *to ? to : folder, NULL);
	ok = true;
	if (strcmp(config_account_type(a), "imap") == 0)
		engine_op_sync(w, NULL, ENGINE_SYNC_REPLAY_ONLY);   /* offline: it waits */
out:
	store_close(&st);
	free(cause);
	free(copy);
	return ok;
}
