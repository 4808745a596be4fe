/*
 * Replay of the journal: local changes (flags, moves, deletions, the Sent
 * copies of sent mail) sent to the server in the order they were made.  Flags merge (+/- only what the
 * user changed); a move of a message the server no longer has is reported
 * and dropped; the server's expunge wins.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "imap/private.h"
#include "store/store.h"

static struct mailimap_flag *replay_flag(char c)
{
	switch (c) {
	case 'S': return mailimap_flag_new_seen();
	case 'R': return mailimap_flag_new_answered();
	case 'F': return mailimap_flag_new_flagged();
	case 'T': return mailimap_flag_new_deleted();
	case 'D': return mailimap_flag_new_draft();
	default: return NULL;
	}
}

static struct mailimap_set *replay_uid(unsigned long uid)
{
	struct mailimap_set *set = mailimap_set_new_empty();

	mailimap_set_add_interval(set, (uint32_t)uid, (uint32_t)uid);
	return set;
}

static int replay_select(struct imap_session *s, const char *name, char **cause)
{
	int rc;

	if (s->selected && strcmp(s->selected, name) == 0)
		return 0;
	rc = mailimap_select(s->imap, name);
	s->round_trips++;
	if (rc != MAILIMAP_NO_ERROR) {
		*cause = imap_session_error(s, "cannot open the folder", rc);
		return rc == MAILIMAP_ERROR_STREAM ? -1 : 1;
	}
	xstrset(&s->selected, name);
	return 0;
}

/* The UID of entry e's message in the selected folder src, into *uid: the
 * journaled one, or, when the server renumbered the folder since the change
 * was made (another UIDVALIDITY), the one its Message-ID has now.  0; 1 if
 * the message cannot be found (noted: the change is dropped); -1 with
 * *cause if the connection failed. */
static int replay_remap(struct imap_session *s, const struct journal_entry *e, const char *src,
			unsigned long *uid, imap_replay_note_fn *note, void *arg, char **cause)
{
	struct mailimap_selection_info *sel = s->imap->imap_selection_info;
	unsigned long now = 0;
	char *msg;

	*uid = e->uid;
	if (!e->uidvalidity || !sel || !sel->sel_uidvalidity ||
	    sel->sel_uidvalidity == e->uidvalidity)
		return 0;
	if (e->message_id && imap_find_message_id(s, src, e->message_id, &now, cause) < 0)
		return -1;
	if (now) {
		log_debug("imap: %s: renumbered by the server; UID %lu is now %lu", e->folder,
			  e->uid, now);
		*uid = now;
		return 0;
	}
	msg = strcmp(e->op, "move") == 0
		? xasprintf("%s: the server renumbered the folder and a message moved to %s "
			    "while offline is no longer in it; it stays in %s here",
			    e->folder, e->arg, e->arg)
		: xasprintf("%s: the server renumbered the folder and a message changed while "
			    "offline is no longer in it; the change (%s) was dropped",
			    e->folder, e->op);
	note(arg, msg);
	free(msg);
	return 1;
}

/* UID STORE uid (+|-)FLAGS.SILENT (...) for the letters in which. */
/* UID STORE +FLAGS.SILENT (add) or -FLAGS.SILENT of the system flags
 * given as Maildir letters (which) and the keywords given as words
 * (space separated); either may be empty. */
static int replay_store(struct imap_session *s, unsigned long uid, bool add, const char *which,
			const char *keywords, char **cause)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *att;
	struct mailimap_set *set;
	char *copy = xstrdup(keywords), *save = NULL;
	int rc;

	for (const char *c = which; *c; c++) {
		struct mailimap_flag *f = replay_flag(*c);
		if (f)
			mailimap_flag_list_add(fl, f);
	}
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		mailimap_flag_list_add(fl, mailimap_flag_new_flag_keyword(xstrdup(w)));
	free(copy);
	att = add ? mailimap_store_att_flags_new_add_flags_silent(fl)
		  : mailimap_store_att_flags_new_remove_flags_silent(fl);
	set = replay_uid(uid);
	rc = mailimap_uid_store(s->imap, set, att);
	s->round_trips++;
	mailimap_set_free(set);
	mailimap_store_att_flags_free(att);
	if (rc != MAILIMAP_NO_ERROR) {
		*cause = imap_session_error(s, "cannot change flags", rc);
		return -1;
	}
	return 0;
}

/* Whether uid still exists in the selected folder. */
static int replay_exists(struct imap_session *s, unsigned long uid, char **cause)
{
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att(mailimap_fetch_att_new_uid());
	struct mailimap_set *set = replay_uid(uid);
	clist *result = NULL;
	int rc = mailimap_uid_fetch(s->imap, set, ft, &result);
	bool found = false;

	s->round_trips++;
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (rc != MAILIMAP_NO_ERROR) {
		*cause = imap_session_error(s, "cannot look the message up", rc);
		return -1;
	}
	found = clist_count(result) > 0;
	mailimap_fetch_list_free(result);
	return found;
}

static int replay_expunge(struct imap_session *s, unsigned long uid, char **cause)
{
	struct mailimap_set *set;
	int rc;

	if (replay_store(s, uid, true, "T", "", cause) < 0)
		return -1;
	if (mailimap_has_uidplus(s->imap)) {
		set = replay_uid(uid);
		rc = mailimap_uid_expunge(s->imap, set);
		mailimap_set_free(set);
	} else {
		rc = mailimap_expunge(s->imap);
	}
	s->round_trips++;
	if (rc != MAILIMAP_NO_ERROR) {
		*cause = imap_session_error(s, "cannot expunge", rc);
		return -1;
	}
	return 0;
}

/* After a UID MOVE or COPY: the new UID from the server's COPYUID (UIDPLUS)
 * into *newuid, the sets freed; 0, or -1 with *cause from rc. */
static int replay_uidplus_done(struct imap_session *s, int rc, struct mailimap_set *src_r,
			       struct mailimap_set *dst_r, unsigned long *newuid, const char *what,
			       char **cause)
{
	if (dst_r) {
		clistiter *it = clist_begin(dst_r->set_list);
		if (it)
			*newuid = ((struct mailimap_set_item *)clist_content(it))->set_first;
		mailimap_set_free(dst_r);
	}
	if (src_r)
		mailimap_set_free(src_r);
	if (rc != MAILIMAP_NO_ERROR) {
		*cause = imap_session_error(s, what, rc);
		return -1;
	}
	return 0;
}

/* Moves uid to dest; *newuid is its UID there when the server says (UIDPLUS). */
static int replay_move(struct imap_session *s, unsigned long uid, const char *dest,
		       unsigned long *newuid, char **cause)
{
	struct mailimap_set *set = replay_uid(uid), *src_r = NULL, *dst_r = NULL;
	uint32_t uidvalidity = 0;
	int rc;

	*newuid = 0;
	if (mailimap_has_extension(s->imap, "MOVE")) {
		rc = mailimap_has_uidplus(s->imap)
			? mailimap_uidplus_uid_move(s->imap, set, dest, &uidvalidity, &src_r, &dst_r)
			: mailimap_uid_move(s->imap, set, dest);
	} else {
		/* no MOVE: COPY, then delete the original */
		rc = mailimap_has_uidplus(s->imap)
			? mailimap_uidplus_uid_copy(s->imap, set, dest, &uidvalidity, &src_r, &dst_r)
			: mailimap_uid_copy(s->imap, set, dest);
		if (rc == MAILIMAP_NO_ERROR) {
			s->round_trips++;
			if (replay_expunge(s, uid, cause) < 0) {
				mailimap_set_free(set);
				return -1;
			}
		}
	}
	s->round_trips++;
	mailimap_set_free(set);
	return replay_uidplus_done(s, rc, src_r, dst_r, newuid, "cannot move the message", cause);
}

/* Copies uid to dest; *newuid is the copy's UID there when the server says
 * (UIDPLUS COPYUID). */
static int replay_copy(struct imap_session *s, unsigned long uid, const char *dest,
		       unsigned long *newuid, char **cause)
{
	struct mailimap_set *set = replay_uid(uid), *src_r = NULL, *dst_r = NULL;
	uint32_t uidvalidity = 0;
	int rc;

	*newuid = 0;
	rc = mailimap_has_uidplus(s->imap)
		? mailimap_uidplus_uid_copy(s->imap, set, dest, &uidvalidity, &src_r, &dst_r)
		: mailimap_uid_copy(s->imap, set, dest);
	s->round_trips++;
	mailimap_set_free(set);
	return replay_uidplus_done(s, rc, src_r, dst_r, newuid, "cannot copy the message", cause);
}

/* The server's name of local folder name, from the list (or name itself). */
static const char *replay_server_name(const struct imap_folder *list, size_t n, const char *local)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].local, local) == 0)
			return list[i].name;
	return NULL;
}

/* The server's name for a new local folder: its delimiter for '/'. */
static char *replay_new_name(const struct imap_folder *list, size_t n, const char *local)
{
	char delim = '/', *name = xstrdup(local);

	for (size_t i = 0; i < n; i++)
		if (list[i].delim) {
			delim = list[i].delim;
			break;
		}
	for (char *p = name; *p; p++)
		if (*p == '/')
			*p = delim;
	return name;
}

/* Folder operations: create (and subscribe), rename, delete.  Returns 0
 * when confirmed or moot (reported), -1 on a connection error. */
static int replay_folder(struct imap_session *s, const struct journal_entry *e,
			 const struct imap_folder *list, size_t nl,
			 imap_replay_note_fn *note, void *arg, char **cause)
{
	const char *have = replay_server_name(list, nl, e->folder);
	char *name = have ? xstrdup(have) : replay_new_name(list, nl, e->folder), *msg = NULL;
	int rc = MAILIMAP_NO_ERROR;

	if (strcmp(e->op, "folder-create") == 0) {
		if (!have) {
			rc = mailimap_create(s->imap, name);
			if (rc == MAILIMAP_NO_ERROR)
				rc = mailimap_subscribe(s->imap, name);
		}
	} else if (strcmp(e->op, "folder-rename") == 0) {
		char *to = replay_new_name(list, nl, e->arg);
		if (!have)
			msg = xasprintf("%s was renamed to %s here, but the server has no %s",
					e->folder, e->arg, e->folder);
		else if ((rc = mailimap_rename(s->imap, name, to)) == MAILIMAP_NO_ERROR) {
			mailimap_unsubscribe(s->imap, name);
			rc = mailimap_subscribe(s->imap, to);
		}
		free(to);
	} else if (have) {  /* folder-delete */
		if (s->selected && strcmp(s->selected, name) == 0) {
			mailimap_close(s->imap);
			FREE_NULL(s->selected);
		}
		mailimap_unsubscribe(s->imap, name);
		rc = mailimap_delete(s->imap, name);
	}
	s->round_trips++;
	free(name);
	if (rc == MAILIMAP_ERROR_STREAM) {
		*cause = imap_session_error(s, "cannot change folders", rc);
		free(msg);
		return -1;
	}
	if (rc != MAILIMAP_NO_ERROR && !msg)
		msg = xasprintf("%s: the server refused the change: %s", e->folder,
				imap_session_said(s));
	if (msg) {
		note(arg, msg);
		free(msg);
	}
	return 0;
}

/* The local copy of message_id in account/folder: a file with no server
 * UID yet, else (*has_uid) one that has one.  Malloc'd path or NULL. */
static char *replay_local_copy(struct store *st, const char *account, const char *folder,
			       const char *message_id, bool *has_uid)
{
	char *dir = xasprintf("%s/%s/%s/cur", store_mail_dir(st), account, folder), *found = NULL;
	DIR *d = opendir(dir);
	struct dirent *de;

	*has_uid = false;
	while (d && (de = readdir(d))) {
		struct store_msg_info info;
		char *path;
		bool uid;

		if (de->d_name[0] == '.')
			continue;
		uid = strstr(de->d_name, ",U=") != NULL;
		if (found && (uid || !*has_uid))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (store_message_info(st, path, &info) == 0) {
			if (info.id && strcmp(info.id, message_id) == 0) {
				free(found);
				found = path;
				path = NULL;
				*has_uid = uid;
			}
			free(info.id);
		}
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	return found;
}

/* A local copy put on the server (a Sent copy, a postponed draft), with
 * its flags: file is the Message-ID, arg "auto" (look on the server first)
 * or "yes".  0 when done or moot (noted), 1 when the server refused
 * (kept for the next sync, noted), -1 on a connection error. */
static int replay_append(struct imap_session *s, struct store *st, const char *account,
			 const struct journal_entry *e, const struct imap_folder *list, size_t nl,
			 imap_replay_note_fn *note, void *arg, char **cause)
{
	const char *have = replay_server_name(list, nl, e->folder);
	char *name = have ? xstrdup(have) : replay_new_name(list, nl, e->folder);
	char *path = NULL, *data = NULL, *why = NULL, *msg;
	unsigned long uid = 0;
	bool has_uid = false;
	size_t len;
	int rc = 0, r;

	if (!have && mailimap_create(s->imap, name) == MAILIMAP_NO_ERROR)
		mailimap_subscribe(s->imap, name);
	s->round_trips++;
	path = replay_local_copy(st, account, e->folder, e->file, &has_uid);
	if (strcmp(e->arg, "auto") == 0 || has_uid) {
		r = imap_find_message_id(s, name, e->file, &uid, &why);
		if (r < 0 && !s->usable) {
			*cause = why;
			rc = -1;
			goto out;
		}
		free(why);
		why = NULL;
		if (r > 0) {
			/* the server filed it already: the local copy learns its UID */
			if (path && !has_uid && store_set_uid(st, path, uid, &why) < 0) {
				log_debug("imap: %s", why);
				FREE_NULL(why);
			}
			goto out;
		}
	}
	if (!path) {
		msg = xasprintf("%s: the local copy of sent message <%s> is gone, so it was not "
				"put on the server", e->folder, e->file);
		note(arg, msg);
		free(msg);
		goto out;
	}
	data = store_read_file(path, 1u << 30, &len, &why);
	if (!data) {
		note(arg, why);
		goto out;
	}
	r = imap_append_message(s, name, data, len, store_maildir_flags(strrchr(path, '/') + 1),
				&uid, &why);
	if (r < 0) {
		*cause = why;
		why = NULL;
		rc = -1;
		goto out;
	}
	if (r > 0) {
		msg = xasprintf("the copy of a sent message could not be put in %s (it will be "
				"tried again): %s", e->folder, why);
		note(arg, msg);
		free(msg);
		rc = 1;
		goto out;
	}
	if (uid && store_set_uid(st, path, uid, &why) < 0) {
		log_debug("imap: %s", why);
		FREE_NULL(why);
	}
out:
	free(why);
	free(data);
	free(path);
	free(name);
	return rc;
}

int imap_replay(struct imap_session *s, struct store *st, const char *account,
		const struct journal_entry *v, size_t n, bool *done,
		imap_replay_note_fn *note, void *arg, char **cause)
{
	struct imap_folder *list = NULL;
	size_t nl = 0;
	int rc = 0;

	if (n == 0)
		return 0;
	if (imap_list_folders(s, &list, &nl, cause) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct journal_entry *e = &v[i];
		const char *src = replay_server_name(list, nl, e->folder);
		char *why = NULL, *msg;
		unsigned long uid;
		int r;

		done[i] = false;
		if (strcmp(e->op, "append") == 0) {
			r = replay_append(s, st, account, e, list, nl, note, arg, cause);
			if (r < 0) {
				rc = -1;
				break;
			}
			done[i] = r == 0;
			continue;
		}
		if (strncmp(e->op, "folder-", 7) == 0) {
			if (replay_folder(s, e, list, nl, note, arg, cause) < 0) {
				rc = -1;
				break;
			}
			done[i] = true;
			/* later entries may name the new folder: list again */
			imap_folders_free(&list, nl);
			if (imap_list_folders(s, &list, &nl, cause) < 0) {
				rc = -1;
				break;
			}
			continue;
		}
		if (!src) {
			msg = xasprintf("%s: the folder is gone from the server; a change made "
					"offline to a message in it was dropped", e->folder);
			note(arg, msg);
			free(msg);
			done[i] = true;
			continue;
		}
		r = replay_select(s, src, &why);
		if (r < 0) {
			*cause = why;
			rc = -1;
			break;
		}
		if (r > 0) {
			note(arg, why);
			free(why);
			done[i] = true;
			continue;
		}
		r = replay_remap(s, e, src, &uid, note, arg, cause);
		if (r < 0) {
			rc = -1;
			break;
		}
		if (r > 0) {
			done[i] = true;
			continue;
		}
		if (strcmp(e->op, "flags") == 0) {
			struct strbuf add = STRBUF_INIT, del = STRBUF_INIT;
			for (const char *p = e->arg; *p; p++) {
				if ((*p == '+' || *p == '-') && p[1]) {
					struct strbuf *to = *p == '+' ? &add : &del;
					p++;
					strbuf_addch(to, *p);
				}
			}
			if ((add.len && replay_store(s, uid, true, add.buf, "", cause) < 0) ||
			    (del.len && replay_store(s, uid, false, del.buf, "", cause) < 0))
				rc = -1;
			else
				done[i] = true;
			strbuf_release(&add);
			strbuf_release(&del);
		} else if (strcmp(e->op, "keywords") == 0) {
			struct strbuf add = STRBUF_INIT, del = STRBUF_INIT;
			char *copy = xstrdup(e->arg ? e->arg : ""), *save = NULL;
			for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
				struct strbuf *to = *w == '+' ? &add : *w == '-' ? &del : NULL;
				if (to && w[1])
					strbuf_addf(to, "%s%s", to->len ? " " : "", w + 1);
			}
			free(copy);
			if ((add.len && replay_store(s, uid, true, "", add.buf, cause) < 0) ||
			    (del.len && replay_store(s, uid, false, "", del.buf, cause) < 0))
				rc = -1;
			else
				done[i] = true;
			strbuf_release(&add);
			strbuf_release(&del);
		} else if (strcmp(e->op, "move") == 0 || strcmp(e->op, "copy") == 0 ||
			   strcmp(e->op, "delete") == 0) {
			bool copy = strcmp(e->op, "copy") == 0;
			int there = replay_exists(s, uid, cause);
			if (there < 0) {
				rc = -1;
				break;
			}
			if (!there) {
				msg = strcmp(e->op, "delete") != 0
					? xasprintf("%s: a message %s to %s while offline is no "
						    "longer on the server; it stays in %s here",
						    e->folder, copy ? "copied" : "moved", e->arg, e->arg)
					: xasprintf("%s: a message deleted while offline was already "
						    "gone from the server", e->folder);
				note(arg, msg);
				free(msg);
				done[i] = true;
				continue;
			}
			if (strcmp(e->op, "delete") == 0) {
				if (replay_expunge(s, uid, cause) < 0)
					rc = -1;
				else
					done[i] = true;
				continue;
			}
			{
				const char *dest = replay_server_name(list, nl, e->arg);
				unsigned long newuid = 0;
				char *file;
				if (!dest) {
					msg = xasprintf("%s: cannot %s a message to %s, which the server "
							"does not have; it stays in %s here", e->folder,
							copy ? "copy" : "move", e->arg, e->arg);
					note(arg, msg);
					free(msg);
					done[i] = true;
					continue;
				}
				if ((copy ? replay_copy(s, uid, dest, &newuid, cause)
					  : replay_move(s, uid, dest, &newuid, cause)) < 0) {
					rc = -1;
					break;
				}
				done[i] = true;
				/* the local copy learns its new UID, or makes way for the
				 * server's copy, which the next sync fetches */
				file = xasprintf("%s/%s/%s/cur/%s", store_mail_dir(st), account, e->arg,
						 e->file);
				if (newuid) {
					if (store_set_uid(st, file, newuid, &why) < 0) {
						log_debug("imap: %s", why);
						free(why);
					}
				} else if (store_remove_file(st, file, &why) < 0) {
					log_debug("imap: %s", why);
					free(why);
				}
				free(file);
			}
		} else {
			msg = xasprintf("unknown journal entry '%s' dropped", e->op);
			note(arg, msg);
			free(msg);
			done[i] = true;
		}
	}
	imap_folders_free(&list, nl);
	return rc;
}
