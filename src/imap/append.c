/*
 * Putting a whole message into a server folder: the Sent copy after a
 * delivery, and delivery itself for send = imap-outbox (the server sends
 * what is appended to its outbox folder; Courier-IMAP announces that folder
 * in its XCOURIEROUTBOX=NAME capability).  Never any SMTP here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/util.h"
#include "imap/private.h"

/* The server's name for local folder name, from the list; NULL if none. */
static const struct imap_folder *append_find(const struct imap_folder *v, size_t n,
					     const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].local, name) == 0 || strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

int imap_append_message(struct imap_session *s, const char *folder, const char *data,
			size_t len, const char *flags, unsigned long *uid, char **cause)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	uint32_t uidvalidity = 0, newuid = 0;
	int rc;

	if (uid)
		*uid = 0;
	for (const char *f = flags ? flags : ""; *f; f++) {
		switch (*f) {
		case 'S': mailimap_flag_list_add(fl, mailimap_flag_new_seen()); break;
		case 'D': mailimap_flag_list_add(fl, mailimap_flag_new_draft()); break;
		case 'F': mailimap_flag_list_add(fl, mailimap_flag_new_flagged()); break;
		case 'R': mailimap_flag_list_add(fl, mailimap_flag_new_answered()); break;
		default: break;
		}
	}
	if (mailimap_has_uidplus(s->imap))
		rc = mailimap_uidplus_append(s->imap, folder, fl, NULL, data, len, &uidvalidity,
					     &newuid);
	else
		rc = mailimap_append(s->imap, folder, fl, NULL, data, len);
	s->round_trips++;
	mailimap_flag_list_free(fl);
	if (rc == MAILIMAP_ERROR_STREAM || rc == MAILIMAP_ERROR_PARSE) {
		*cause = imap_session_error(s, "cannot append the message", rc);
		return -1;
	}
	if (rc != MAILIMAP_NO_ERROR) {
		*cause = xasprintf("%s refused the message in %s: %s", s->url.host, folder,
				   imap_session_said(s));
		return 1;
	}
	if (uid)
		*uid = newuid;
	return 0;
}

int imap_find_message_id(struct imap_session *s, const char *folder, const char *message_id,
			 unsigned long *uid, char **cause)
{
	struct mailimap_search_key *key;
	char *value = xasprintf("<%s>", message_id);
	clist *result = NULL;
	int rc;

	*uid = 0;
	/* SELECT, not EXAMINE: Courier refuses an APPEND into a folder that is
	 * selected read-only, and the append often follows */
	if (!s->selected || strcmp(s->selected, folder) != 0) {
		FREE_NULL(s->selected);
		rc = mailimap_select(s->imap, folder);
		s->round_trips++;
		if (rc == MAILIMAP_NO_ERROR)
			xstrset(&s->selected, folder);
	} else {
		rc = MAILIMAP_NO_ERROR;
	}
	if (rc != MAILIMAP_NO_ERROR) {
		free(value);
		char *what = xasprintf("cannot open %s", folder);
		*cause = imap_session_error(s, what, rc);
		free(what);
		return -1;
	}
	key = mailimap_search_key_new_header(xstrdup("Message-ID"), value);
	rc = mailimap_uid_search(s->imap, NULL, key, &result);
	s->round_trips++;
	mailimap_search_key_free(key);
	if (rc != MAILIMAP_NO_ERROR) {
		char *what = xasprintf("cannot search %s", folder);
		*cause = imap_session_error(s, what, rc);
		free(what);
		return -1;
	}
	if (clist_begin(result))
		*uid = *(uint32_t *)clist_content(clist_begin(result));
	mailimap_search_result_free(result);
	return *uid ? 1 : 0;
}

int imap_sent_folder(struct imap_session *s, const struct account *a, char **server,
		     char **local, char **cause)
{
	struct imap_folder *v = NULL;
	const struct imap_folder *f = NULL;
	const char *want = config_get(a, OPTION_SENT_FOLDER);
	bool explicit = config_line(a, OPTION_SENT_FOLDER) != 0;
	size_t n = 0;
	int rc;

	*server = *local = NULL;
	if (imap_list_folders(s, &v, &n, cause) < 0)
		return -1;
	if (explicit)
		f = append_find(v, n, want);
	for (size_t i = 0; !f && !explicit && i < n; i++)
		if (v[i].special && strcasecmp(v[i].special, "\\Sent") == 0)
			f = &v[i];
	if (!f)
		f = append_find(v, n, want ? want : "Sent");
	if (f) {
		*server = xstrdup(f->name);
		*local = xstrdup(f->local);
		imap_folders_free(&v, n);
		return 0;
	}
	/* none yet: create it, with the server's delimiter for '/', and
	 * under INBOX when the server keeps every folder there (Courier) */
	{
		char delim = '/', prefix[8];
		bool under_inbox = false;
		for (size_t i = 0; i < n; i++)
			if (v[i].delim) {
				delim = v[i].delim;
				break;
			}
		snprintf(prefix, sizeof(prefix), "INBOX%c", delim);
		for (size_t i = 0; i < n; i++) {
			if (strcasecmp(v[i].name, "INBOX") == 0)
				continue;
			under_inbox = strncasecmp(v[i].name, prefix, 6) == 0;
			if (!under_inbox)
				break;
		}
		*local = under_inbox ? xasprintf("INBOX/%s", want ? want : "Sent")
				     : xstrdup(want ? want : "Sent");
		*server = xstrdup(*local);
		for (char *p = *server; *p; p++)
			if (*p == '/')
				*p = delim;
	}
	imap_folders_free(&v, n);
	rc = mailimap_create(s->imap, *server);
	s->round_trips++;
	if (rc == MAILIMAP_NO_ERROR)
		mailimap_subscribe(s->imap, *server);
	else if (rc == MAILIMAP_ERROR_STREAM) {
		*cause = imap_session_error(s, "cannot create the Sent folder", rc);
		FREE_NULL(*server);
		FREE_NULL(*local);
		return -1;
	}
	return 0;
}

/* The folder the server announces as its outbox (XCOURIEROUTBOX=NAME), or
 * NULL.  Malloc'd. */
static char *append_announced_outbox(struct imap_session *s)
{
	struct mailimap_connection_info *ci = s->imap->imap_connection_info;
	struct mailimap_capability_data *cap = NULL;

	if (!ci || !ci->imap_capability) {
		if (mailimap_capability(s->imap, &cap) != MAILIMAP_NO_ERROR)
			return NULL;
		mailimap_capability_data_free(cap);
		ci = s->imap->imap_connection_info;
		if (!ci || !ci->imap_capability)
			return NULL;
	}
	for (clistiter *it = clist_begin(ci->imap_capability->cap_list); it; it = clist_next(it)) {
		struct mailimap_capability *c = clist_content(it);
		if (c->cap_type == MAILIMAP_CAPABILITY_NAME &&
		    strncasecmp(c->cap_data.cap_name, "XCOURIEROUTBOX=", 15) == 0)
			return xstrdup(c->cap_data.cap_name + 15);
	}
	return NULL;
}

/* Deletes uid (or, without one, the message with message_id) from folder. */
static void append_remove(struct imap_session *s, const char *folder, unsigned long uid,
			  const char *message_id)
{
	struct mailimap_flag_list *fl;
	struct mailimap_store_att_flags *att;
	struct mailimap_set *set;
	char *cause = NULL;
	int rc;

	if (!uid && message_id && imap_find_message_id(s, folder, message_id, &uid, &cause) < 0) {
		log_debug("imap: outbox clean-up: %s", cause);
		free(cause);
		return;
	}
	if (!uid)
		return;  /* the server did not keep it */
	rc = mailimap_select(s->imap, folder);
	s->round_trips++;
	FREE_NULL(s->selected);
	if (rc != MAILIMAP_NO_ERROR)
		return;
	xstrset(&s->selected, folder);
	fl = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
	att = mailimap_store_att_flags_new_add_flags_silent(fl);
	set = mailimap_set_new_single((uint32_t)uid);
	rc = mailimap_uid_store(s->imap, set, att);
	mailimap_store_att_flags_free(att);
	if (rc == MAILIMAP_NO_ERROR)
		rc = mailimap_has_uidplus(s->imap) ? mailimap_uid_expunge(s->imap, set)
						   : mailimap_expunge(s->imap);
	mailimap_set_free(set);
	s->round_trips += 2;
	if (rc != MAILIMAP_NO_ERROR)
		log_debug("imap: cannot remove the sent message from %s: %s", folder,
			  imap_session_said(s));
}

int imap_outbox_send(struct imap_session *s, const struct account *a, const char *data,
		     size_t len, const char *message_id, bool look_first, char **cause)
{
	const char *conf = config_get(a, OPTION_OUTBOX_FOLDER);
	char *folder = conf ? xstrdup(conf) : append_announced_outbox(s);
	unsigned long uid = 0;
	int rc;

	if (!folder) {
		*cause = xasprintf("send = imap-outbox, but account '%s' has no outbox-folder and "
				   "%s announces none", a->name, s->url.host);
		return 1;
	}
	if (look_first && message_id) {
		/* a try cut off earlier: a server that keeps what it sent (Courier)
		 * shows whether it got that far, so it is not sent twice */
		char *why = NULL;
		if (imap_find_message_id(s, folder, message_id, &uid, &why) > 0) {
			log_debug("imap: %s is in the outbox already: it was sent", message_id);
			append_remove(s, folder, uid, NULL);
			free(folder);
			return 0;
		}
		free(why);
		uid = 0;
	}
	rc = imap_append_message(s, folder, data, len, "S", &uid, cause);
	if (rc == 0)
		log_debug("imap: message sent through the outbox %s", folder);
	free(folder);
	return rc;
}

void imap_outbox_tidy(struct imap_session *s, const struct account *a, const char *message_id)
{
	const char *conf = config_get(a, OPTION_OUTBOX_FOLDER);
	char *folder = conf ? xstrdup(conf) : append_announced_outbox(s);

	if (folder && message_id)
		append_remove(s, folder, 0, message_id);
	free(folder);
}
