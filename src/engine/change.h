/*
 * Changes to messages made by the user (flags, move, delete): applied to the
 * store at once and written to the account's journal, which the engine
 * replays to the server.  The CLI (petrel flag/move/delete) calls
 * change_apply itself and then runs a replay; the TUI submits
 * ENGINE_CMD_CHANGE so the account's engine thread stays the one writer.
 */
#ifndef PETREL_ENGINE_CHANGE_H
#define PETREL_ENGINE_CHANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "store/store.h"

enum change_op {
	CHANGE_FLAGS,   /* arg: "+S-F": Maildir flag letters to set (+) or clear (-) */
	CHANGE_MOVE,    /* arg: the destination folder of the same account */
	CHANGE_DELETE,  /* arg: NULL; to trash-folder, or for good (the delete option) */
	CHANGE_COPY,    /* arg: the folder of the same account that gets a copy */
	CHANGE_KEYWORDS, /* arg: "+work -later": IMAP keywords (tags) to set or clear */
	CHANGE_DROP_DRAFT, /* a resumed draft was sent or postponed again: one the
			    * server has is deleted (as CHANGE_DELETE); one still
			    * waiting for its upload just goes, upload and all */
};

/* What a change did, for the caller to report and to tell readers. */
struct change_result {
	char *account;   /* the message's account */
	char *folder;    /* its folder before the change */
	char *dest;      /* the folder it went to (a move), or NULL */
	bool journaled;  /* the server has to be told: a replay is due */
};

/* Applies op to message id in s (opened STORE_WRITE) in one atomic
 * section, and journals it when the message is an IMAP account's server
 * copy (cfg says which accounts are IMAP).  Returns 0 with *res filled
 * (release it with change_result_release), or -1 with *cause (malloc'd, a
 * sentence for the user); nothing changed then.  -2 (with *cause) when the
 * store has no message id. */
int change_apply(struct store *s, const struct config *cfg, const char *id, enum change_op op,
		 const char *arg, struct change_result *res, char **cause);
void change_result_release(struct change_result *res);

/* Files the complete message msg[0..len) in account a's drafts folder
 * (made if missing) of s (opened STORE_WRITE), flagged draft and seen, in
 * its own atomic section; for an IMAP account the journal's "append" entry
 * puts it on the server at the next replay.  *id (may be NULL) gets its
 * message id, malloc'd.  0 when filed (and journaled if it has to be); 1
 * when filed here but not journaled (*cause says why: it stays local); -1
 * with *cause when nothing was filed.  Used by postponing a draft and by
 * cancelling a queued message, in the CLI and through the engine. */
int change_file_draft(struct store *s, const struct account *a, const char *msg, size_t len,
		      char **id, char **cause);

/* Creates, renames (to new) or deletes folder of account a in s (opened
 * STORE_WRITE), op being "create", "rename" or "delete", in one atomic
 * section, journaled for an IMAP account's server.  Names are checked
 * (INBOX is neither renamed nor deleted).  0, or -1 with *cause (nothing
 * changed), -2 with *cause for a name that cannot be. */
int change_folder(struct store *s, const struct account *a, const char *op, const char *folder,
		  const char *new_name, char **cause);

/* Takes queued message id out of a's send queue qdir, its text filed in the
 * drafts folder first (change_file_draft), so nothing the user wrote is
 * lost.  0 when done (*cause may say the draft stays local), -1 with *cause,
 * -2 when it is being sent right now (try again), -3 when it was sent
 * already (only its Sent copy waits). */
int change_unqueue(struct store *s, const struct account *a, const char *qdir, const char *id,
		   char **cause);

/* "+seen", "-flagged", ... to "+S", "-F" in out[3]; false for a word that
 * is not a flag change.  The names are those of petrel flag. */
bool change_flag_parse(const char *word, char out[3]);

/* The argument of ENGINE_CMD_CHANGE: op with its arg, for ids[0..n).
 * Malloc'd; NULL with *cause when an id cannot be carried (a newline). */
char *change_encode(enum change_op op, const char *arg, const char *const *ids, size_t n,
		    char **cause);

/* The inverse: *arg points into a copy in *buf (malloc'd, the caller frees
 * it), ids into the same copy (*ids malloc'd).  False for a malformed
 * string. */
bool change_decode(const char *text, enum change_op *op, const char **arg, char **buf,
		   const char ***ids, size_t *n);

#endif
