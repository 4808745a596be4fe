/*
 * The folder list (LIST with SPECIAL-USE attributes).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/util.h"
#include "imap/private.h"
#include "store/store.h"

static int folders_cmp(const void *a, const void *b)
{
	const struct imap_folder *x = a, *y = b;
	bool xi = strcasecmp(x->name, "INBOX") == 0, yi = strcasecmp(y->name, "INBOX") == 0;

	if (xi != yi)
		return xi ? -1 : 1;
	return strcmp(x->local, y->local);
}

int imap_list_folders(struct imap_session *s, struct imap_folder **out, size_t *n, char **cause)
{
	clist *list = NULL;
	clistiter *it;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = mailimap_list(s->imap, "", "*", &list);
	s->round_trips++;
	if (rc != MAILIMAP_NO_ERROR) {
		*cause = imap_session_error(s, "cannot list folders", rc);
		return -1;
	}
	for (it = clist_begin(list); it; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);
		struct imap_folder f = { 0 };
		char delim = mb->mb_delimiter;
		char *why = NULL;

		if (!mb->mb_name)
			continue;
		f.name = xstrdup(mb->mb_name);
		f.delim = delim;
		f.local = xstrdup(strcasecmp(mb->mb_name, "INBOX") == 0 ? "INBOX" : mb->mb_name);
		if (delim && delim != '/') {
			for (char *p = f.local; *p; p++) {
				if (*p == delim)
					*p = '/';
				else if (*p == '/')
					*p = '_';  /* a '/' inside a name on a server using '.' */
			}
		}
		if (mb->mb_flag) {
			clistiter *fi;
			if (mb->mb_flag->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
			    mb->mb_flag->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
				f.noselect = true;
			for (fi = clist_begin(mb->mb_flag->mbf_oflags); fi; fi = clist_next(fi)) {
				struct mailimap_mbx_list_oflag *of = clist_content(fi);
				if (of->of_type == MAILIMAP_MBX_LIST_OFLAG_NOINFERIORS || !of->of_flag_ext)
					continue;
				if (strcasecmp(of->of_flag_ext, "Noselect") == 0 ||
				    strcasecmp(of->of_flag_ext, "NonExistent") == 0)
					f.noselect = true;
				else if (!f.special && (strcasecmp(of->of_flag_ext, "Sent") == 0 ||
					 strcasecmp(of->of_flag_ext, "Drafts") == 0 ||
					 strcasecmp(of->of_flag_ext, "Trash") == 0 ||
					 strcasecmp(of->of_flag_ext, "Junk") == 0 ||
					 strcasecmp(of->of_flag_ext, "Archive") == 0 ||
					 strcasecmp(of->of_flag_ext, "All") == 0 ||
					 strcasecmp(of->of_flag_ext, "Flagged") == 0))
					f.special = xasprintf("\\%s", of->of_flag_ext);
			}
		}
		if (!store_folder_valid(f.local, &why)) {
			log_debug("imap: skipping folder %s: %s", f.name, why);
			free(why);
			free(f.name);
			free(f.local);
			free(f.special);
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		(*out)[(*n)++] = f;
	}
	mailimap_list_result_free(list);
	if (*n)
		qsort(*out, *n, sizeof(**out), folders_cmp);
	return 0;
}

void imap_folders_free(struct imap_folder **vp, size_t n)
{
	struct imap_folder *v = *vp;

	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].local);
		free(v[i].special);
	}
	FREE_NULL(*vp);
}
