/*
 * ENGINE_CMD_SEARCH: petrel search --server.  The account's IMAP server
 * searches its folders (all of them, or one); what it finds and the store
 * lacks is stored header-only (imap_search_folder), and each match is
 * posted as a FOUND event with its message id, for the caller to list from
 * the store.  arg is "LIMIT\nFOLDER\nQUERY" (FOLDER empty: every folder).
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "engine/private.h"
#include "imap/imap.h"
#include "store/store.h"

struct search_ctx {
	struct engine_worker *w;
	struct store *st;
	const char *folder;
	unsigned found;
};

static void search_found(const char *path, void *arg)
{
	struct search_ctx *c = arg;
	struct store_msg_info info = { 0 };

	if (store_message_info(c->st, path, &info) < 0 || !info.id)
		return;
	engine_post_text(c->w, ENGINE_EVENT_FOUND, c->folder, info.id);
	c->found++;
}

bool engine_op_search(struct engine_worker *w, const char *arg)
{
	const struct account *a = engine_worker_account(w);
	struct net_report r = { 0 };
	struct imap_session *s = NULL;
	struct imap_folder *folders = NULL;
	struct search_ctx c = { w, NULL, NULL, 0 };
	char *copy = xstrdup(arg ? arg : ""), *folder, *query, *cause = NULL, *dir;
	unsigned long limit;
	size_t n = 0;
	bool ok = false, any = false;

	folder = strchr(copy, '\n');
	query = folder ? strchr(folder + 1, '\n') : NULL;
	if (!query) {
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL, xstrdup("a malformed search command"));
		goto out;
	}
	*folder++ = '\0';
	*query++ = '\0';
	limit = strtoul(copy, NULL, 10);
	if (strcmp(config_account_type(a), "imap") != 0) {
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL,
			    xasprintf("account %s has no IMAP server to search (only IMAP "
				      "servers search; the local search has what is here)", a->name));
		goto out;
	}
	s = imap_session_connect(a, engine_worker_cancel(w), &r);
	if (!s || !imap_session_login(s, &r)) {
		struct engine_event *ev = engine_event_new(w, ENGINE_EVENT_ERROR);
		ev->text = xstrdup(r.error ? r.error : "cannot connect");
		ev->offline = !r.connected;
		engine_post(w, ev);
		goto out;
	}
	dir = store_data_dir(a->config, a);
	c.st = store_open(dir, STORE_WRITE, &cause);
	free(dir);
	if (!c.st || imap_list_folders(s, &folders, &n, &cause) < 0) {
		engine_post_text(w, ENGINE_EVENT_ERROR, NULL, cause);
		cause = NULL;
		goto out;
	}
	ok = true;
	for (size_t i = 0; i < n && !net_cancel_triggered(engine_worker_cancel(w)); i++) {
		unsigned before = c.found;
		int rc;

		if (folders[i].noselect)
			continue;
		if (*folder && strcmp(folder, folders[i].local) != 0 &&
		    strcmp(folder, folders[i].name) != 0)
			continue;
		any = true;
		c.folder = folders[i].local;
		engine_post_text(w, ENGINE_EVENT_PROGRESS, folders[i].local, NULL);
		rc = imap_search_folder(s, c.st, a->name, &folders[i], query, (unsigned)limit,
					search_found, &c, &cause);
		if (rc == -2) {
			engine_post_text(w, ENGINE_EVENT_ERROR, NULL, cause);
			cause = NULL;
			ok = false;
			break;
		}
		if (rc < 0) {
			engine_post_text(w, ENGINE_EVENT_ERROR, folders[i].local,
				    xasprintf("%s: %s", folders[i].local, cause));
			FREE_NULL(cause);
			ok = false;
		}
		if (c.found > before)
			engine_post_text(w, ENGINE_EVENT_CHANGED, folders[i].local, NULL);
	}
	if (*folder && !any) {
		engine_post_text(w, ENGINE_EVENT_ERROR, folder,
			    xasprintf("the server has no folder '%s'", folder));
		ok = false;
	}
out:
	imap_folders_free(&folders, n);
	store_close(&c.st);
	imap_session_free(&s);
	net_report_release(&r);
	free(cause);
	free(copy);
	return ok;
}
