/*
 * The body of one header-only POP3 copy, when it is opened: find the server
 * message by the key in the file's name (or, for a copy that came back
 * under a new UIDL, by the records' Message-ID), RETR it and put it in
 * place of the headers.  In delete mode the server's copy goes next, as a
 * sync would delete it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3/private.h"
#include "store/store.h"

/* The key in a file name (",P=KEY"), into out; false if there is none. */
static bool fetch_key(const char *path, char out[POP3_KEY_LEN + 1])
{
	const char *base = strrchr(path, '/'), *p = strstr(base ? base : path, ",P=");

	if (!p || strlen(p + 3) < POP3_KEY_LEN)
		return false;
	memcpy(out, p + 3, POP3_KEY_LEN);
	out[POP3_KEY_LEN] = '\0';
	return true;
}

/* The number of the message with key, or with a recorded key whose copy
 * has message id; 0 if the server has neither. */
static unsigned fetch_find(const struct pop3_list *l, struct pop3_records *rec, const char *key,
			   const char *id)
{
	for (unsigned i = 1; i <= l->n; i++)
		if (l->v[i - 1].listed && strcmp(l->v[i - 1].key, key) == 0)
			return i;
	for (unsigned i = 1; id && i <= l->n; i++) {
		struct pop3_record *r = l->v[i - 1].key[0] ? pop3_records_find(rec, l->v[i - 1].key)
							   : NULL;
		if (r && r->mid && strcmp(r->mid, strncmp(id, "id:", 3) == 0 ? id + 3 : id) == 0)
			return i;
	}
	return 0;
}

int pop3_fetch_body(struct pop3_session *s, struct store *st, const char *path, const char *id,
		    char **cause)
{
	struct pop3_list list = { 0 };
	struct pop3_records rec = { 0 };
	struct strbuf sb = STRBUF_INIT;
	char key[POP3_KEY_LEN + 1], *why = NULL;
	const char *text;
	enum pop3_status status;
	unsigned num;
	int rc = -1;

	rec.fd = -1;
	if (!fetch_key(path, key)) {
		*cause = xasprintf("%s is not a copy of a POP3 message", path);
		goto out;
	}
	if (pop3_records_load(&rec, s->account, cause) < 0 ||
	    pop3_list_all(s, &list, NULL, cause) < 0)
		goto out;
	num = fetch_find(&list, &rec, key, id);
	if (!num) {
		*cause = xstrdup("the server no longer has this message, so only its headers "
				 "can be shown");
		goto out;
	}
	if (list.v[num - 1].size > POP3_MESSAGE_MAX) {
		*cause = xasprintf("the message is %lu MiB, more than petrel takes (%u MiB)",
				   list.v[num - 1].size >> 20, POP3_MESSAGE_MAX >> 20);
		goto out;
	}
	pop3_session_queue(s, "RETR %u", num);
	if (pop3_session_flush(s, cause) < 0)
		goto out;
	status = pop3_session_status(s, &text, cause);
	if (status == POP3_ERR)
		*cause = pop3_session_err("cannot fetch the message", text);
	if (status != POP3_OK ||
	    pop3_session_multiline(s, &sb, POP3_MESSAGE_MAX + (1u << 20), cause) < 0)
		goto out;
	if (sb.len < list.v[num - 1].size) {
		*cause = xasprintf("the server sent %zu of the %lu bytes it announced; try again",
				   sb.len, list.v[num - 1].size);
		goto out;
	}
	if (store_begin(st, cause) < 0)
		goto out;
	rc = store_replace_partial(st, path, sb.buf, sb.len, cause);
	if (store_commit(st, rc < 0 ? &why : cause) < 0 && rc == 0)
		rc = -1;
	if (rc < 0)
		goto out;
	if (strcmp(config_get(s->account, OPTION_POP3_MODE), "delete") == 0 &&
	    strcmp(list.v[num - 1].key, key) == 0 && pop3_records_find(&rec, key)) {
		/* whole and recorded: as a sync would, delete the server's copy */
		pop3_session_queue(s, "DELE %u", num);
		if (pop3_session_flush(s, &why) == 0 &&
		    pop3_session_status(s, &text, &why) != POP3_BROKEN)
			pop3_session_quit(s, &why);
	}
out:
	pop3_list_release(&list);
	pop3_records_release(&rec);
	strbuf_release(&sb);
	free(why);
	return rc;
}
