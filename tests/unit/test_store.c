/* Unit tests for the store (src/store): durable delivery, duplicates,
 * not-mail, header-only to full keeping tags and properties, sync state,
 * reconcile after outside changes, readers seeing committed writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <notmuch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "store/store.h"

static const char msg1[] =
	"From: Alice <alice@example.org>\nTo: bob@example.org\nSubject: hello\n"
	"Message-ID: <m1@test>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nbody words here\n";
static const char msg1_headers[] =
	"From: Alice <alice@example.org>\nTo: bob@example.org\nSubject: hello\n"
	"Message-ID: <m1@test>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\n";

static char *tmpdir_new(void)
{
	char tmpl[] = "/tmp/petrel-store-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return xstrdup(d);
}

static void rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static unsigned count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static unsigned count(struct store *s, const char *q)
{
	unsigned n = 99999;
	char *cause = NULL;

	assert_int_equal(store_count(s, q, &n, &cause), 0);
	return n;
}

static void test_add_dup_notmail(void **state)
{
	char *dir = tmpdir_new(), *cause = NULL, *id = NULL, *cur;
	struct store *s = store_open(dir, STORE_WRITE, &cause);
	struct store_add_opts o = { "S", ",U=42", false, false };
	struct stat st;

	(void)state;
	assert_non_null(s);
	assert_int_equal(store_folder_create(s, "acct", "INBOX", &cause), 0);
	assert_int_equal(store_begin(s, &cause), 0);
	assert_int_equal(store_add(s, "acct", "INBOX", msg1, sizeof(msg1) - 1, &o, &id, &cause),
			 STORE_ADD_NEW);
	assert_string_equal(id, "m1@test");
	free(id);
	assert_int_equal(store_add(s, "acct", "INBOX", msg1, sizeof(msg1) - 1, &o, NULL, &cause),
			 STORE_ADD_DUPLICATE);
	assert_int_equal(store_add(s, "acct", "INBOX", "hello\n", 6, NULL, NULL, &cause),
			 STORE_ADD_NOT_MAIL);
	free(cause);
	cause = NULL;
	/* the same message in another folder is not a duplicate */
	assert_int_equal(store_folder_create(s, "acct", "Archive", &cause), 0);
	assert_int_equal(store_add(s, "acct", "Archive", msg1, sizeof(msg1) - 1, NULL, NULL, &cause),
			 STORE_ADD_NEW);
	assert_int_equal(store_commit(s, &cause), 0);
	cur = xasprintf("%s/mail/acct/INBOX/cur", dir);
	assert_int_equal(count_files(cur), 1);  /* dup and not-mail left no file */
	{
		DIR *d = opendir(cur);
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.') {
				assert_non_null(strstr(e->d_name, ",U=42:2,S"));
				char *p = xasprintf("%s/%s", cur, e->d_name);
				assert_int_equal(stat(p, &st), 0);
				assert_int_equal(st.st_mode & 0777, 0600);
				free(p);
			}
		closedir(d);
	}
	free(cur);
	cur = xasprintf("%s/mail/acct/INBOX/tmp", dir);
	assert_int_equal(count_files(cur), 0);
	free(cur);
	assert_int_equal(count(s, "tag:unread"), 0);  /* S flag: seen */
	store_close(&s);
	rm_rf(dir);
	free(dir);
}

static void tag_it(const char *dir, const char *id)
{
	char *path = xasprintf("%s/mail", dir), *msg = NULL;
	notmuch_database_t *db = NULL;
	notmuch_message_t *m = NULL;

	assert_int_equal(notmuch_database_open_with_config(path, NOTMUCH_DATABASE_MODE_READ_WRITE,
							   "", NULL, &db, &msg), 0);
	assert_int_equal(notmuch_database_find_message(db, id, &m), 0);
	assert_non_null(m);
	notmuch_message_add_tag(m, "important");
	notmuch_message_add_property(m, "imap.uid", "42");
	notmuch_message_destroy(m);
	notmuch_database_destroy(db);
	free(path);
}

static void test_partial_to_full(void **state)
{
	char *dir = tmpdir_new(), *cause = NULL;
	struct store *s = store_open(dir, STORE_WRITE, &cause);
	struct store_add_opts o = { "F", ",U=7", true, false };

	(void)state;
	assert_int_equal(store_folder_create(s, "a", "INBOX", &cause), 0);
	assert_int_equal(store_add(s, "a", "INBOX", msg1_headers, sizeof(msg1_headers) - 1, &o, NULL,
				   &cause), STORE_ADD_NEW);
	assert_int_equal(count(s, "words"), 0);  /* no body yet */
	assert_int_equal(count(s, "property:petrel.partial=1"), 1);
	store_close(&s);
	tag_it(dir, "m1@test");
	s = store_open(dir, STORE_WRITE, &cause);
	assert_non_null(s);
	assert_int_equal(store_begin(s, &cause), 0);
	{
		struct store_location loc;
		assert_int_equal(store_locate(s, "id:m1@test", &loc, &cause), 0);
		assert_true(loc.partial);
		assert_int_equal(loc.uid, 7);
		assert_string_equal(loc.account, "a");
		assert_string_equal(loc.folder, "INBOX");
		assert_int_equal(store_replace_partial(s, loc.path, msg1, sizeof(msg1) - 1, &cause), 0);
		store_location_release(&loc);
	}
	assert_int_equal(store_commit(s, &cause), 0);
	assert_int_equal(count(s, "words"), 1);                     /* body indexed */
	assert_int_equal(count(s, "tag:important"), 1);             /* tags kept */
	assert_int_equal(count(s, "tag:flagged"), 1);
	assert_int_equal(count(s, "property:imap.uid=42"), 1);      /* properties kept */
	assert_int_equal(count(s, "property:petrel.partial=1"), 0); /* no longer partial */
	{
		char *cur = xasprintf("%s/mail/a/INBOX/cur", dir);
		DIR *d = opendir(cur);
		struct dirent *e;
		unsigned n = 0;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.') {
				n++;
				assert_non_null(strstr(e->d_name, ",U=7:2,F"));
			}
		closedir(d);
		assert_int_equal(n, 1);  /* the header-only file is gone */
		free(cur);
	}
	store_close(&s);
	rm_rf(dir);
	free(dir);
}

static void test_state(void **state)
{
	char *dir = tmpdir_new(), *cause = NULL, *path;
	struct store *s = store_open(dir, STORE_WRITE, &cause);
	struct store_state st = { 0 }, back;
	FILE *f;

	(void)state;
	assert_int_equal(store_folder_create(s, "a", "INBOX", &cause), 0);
	assert_int_equal(store_state_load(s, "a", "INBOX", &back, &cause), 0);
	assert_true(back.uidvalidity == 0 && back.uidnext == 0);
	st.uidvalidity = 1700000000ULL;
	st.uidnext = 4242;
	st.highestmodseq = 9876543210ULL;
	assert_int_equal(store_state_save(s, "a", "INBOX", &st, &cause), 0);
	assert_int_equal(store_state_load(s, "a", "INBOX", &back, &cause), 0);
	assert_memory_equal(&st, &back, sizeof(st));
	path = xasprintf("%s/mail/a/INBOX/.petrel-state", dir);
	f = fopen(path, "w");
	fputs("uidvalidity banana\n", f);
	fclose(f);
	assert_int_equal(store_state_load(s, "a", "INBOX", &back, &cause), -1);
	assert_non_null(strstr(cause, "synced again"));
	free(cause);
	assert_true(back.uidvalidity == 0);
	free(path);
	store_close(&s);
	rm_rf(dir);
	free(dir);
}

static void test_reconcile_and_readers(void **state)
{
	char *dir = tmpdir_new(), *cause = NULL, *path;
	struct store *w = store_open(dir, STORE_WRITE, &cause), *r;
	unsigned added = 9, removed = 9;
	FILE *f;

	(void)state;
	assert_int_equal(store_folder_create(w, "a", "INBOX", &cause), 0);
	assert_int_equal(store_begin(w, &cause), 0);
	assert_int_equal(store_add(w, "a", "INBOX", msg1, sizeof(msg1) - 1, NULL, NULL, &cause),
			 STORE_ADD_NEW);
	assert_int_equal(store_commit(w, &cause), 0);
	/* a reader opened now sees the committed message at once (autocommit 1) */
	r = store_open(dir, STORE_READ, &cause);
	assert_non_null(r);
	assert_int_equal(count(r, "*"), 1);
	store_close(&r);
	/* a file appears behind petrel's back, another disappears, tmp has junk */
	path = xasprintf("%s/mail/a/INBOX/cur/outside:2,", dir);
	f = fopen(path, "w");
	fputs("From: x@y\nSubject: outside\nMessage-ID: <out@test>\n\nhi\n", f);
	fclose(f);
	free(path);
	path = xasprintf("%s/mail/a/INBOX/tmp/half-written", dir);
	f = fopen(path, "w");
	fputs("From: x", f);
	fclose(f);
	free(path);
	{
		char *cur = xasprintf("%s/mail/a/INBOX/cur", dir);
		DIR *d = opendir(cur);
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.' && strncmp(e->d_name, "outside", 7) != 0) {
				char *p = xasprintf("%s/%s", cur, e->d_name);
				unlink(p);
				free(p);
			}
		closedir(d);
		free(cur);
	}
	assert_int_equal(store_reconcile(w, "a", "INBOX", &added, &removed, &cause), 0);
	assert_int_equal(added, 1);
	assert_int_equal(removed, 1);
	assert_int_equal(count(w, "*"), 1);
	assert_int_equal(count(w, "subject:outside"), 1);
	path = xasprintf("%s/mail/a/INBOX/tmp", dir);
	assert_int_equal(count_files(path), 0);
	free(path);
	/* nothing to do the second time */
	assert_int_equal(store_reconcile(w, "a", "INBOX", &added, &removed, &cause), 0);
	assert_int_equal(added + removed, 0);
	store_close(&w);
	rm_rf(dir);
	free(dir);
}

static void test_folder_names(void **state)
{
	static const char *bad[] = { "", "..", "a/../b", ".hidden", "a//b", "a/", "/a", "cur",
				     "x/tmp", "a\tb" };
	static const char *good[] = { "INBOX", "Lists/dev", "Sent Items", "caf\xc3\xa9" };
	char *cause = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_false(store_folder_valid(bad[i], &cause));
		free(cause);
		cause = NULL;
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_true(store_folder_valid(good[i], &cause));
}

/* Flags from a server: tags follow, the file is renamed, T included. */
static void test_set_flags(void **state)
{
	char *dir = tmpdir_new(), *cause = NULL;
	struct store *s = store_open(dir, STORE_WRITE, &cause);
	struct store_add_opts o = { "", ",U=9", false, true };
	struct store_uids u;

	(void)state;
	assert_int_equal(store_folder_create(s, "a", "INBOX", &cause), 0);
	assert_int_equal(store_add(s, "a", "INBOX", msg1, sizeof(msg1) - 1, &o, NULL, &cause),
			 STORE_ADD_NEW);
	assert_int_equal(count(s, "property:petrel.server-id=,U=9"), 1);
	assert_int_equal(store_uids(s, "a", "INBOX", &u, &cause), 0);
	assert_int_equal(u.n, 1);
	assert_int_equal(u.v[0].uid, 9);
	assert_string_equal(u.v[0].flags, "");
	assert_int_equal(store_set_flags(s, u.v[0].path, "FST", &cause), 0);
	store_uids_free(&u);
	assert_int_equal(store_uids(s, "a", "INBOX", &u, &cause), 0);
	assert_string_equal(u.v[0].flags, "FST");
	assert_int_equal(count(s, "tag:flagged and tag:deleted and not tag:unread"), 1);
	assert_int_equal(store_set_flags(s, u.v[0].path, "R", &cause), 0);
	store_uids_free(&u);
	assert_int_equal(store_uids(s, "a", "INBOX", &u, &cause), 0);
	assert_string_equal(u.v[0].flags, "R");
	assert_int_equal(count(s, "tag:replied and tag:unread and not tag:deleted and not tag:flagged"), 1);
	assert_int_equal(store_remove_file(s, u.v[0].path, &cause), 0);
	assert_int_equal(count(s, "*"), 0);
	store_uids_free(&u);
	store_close(&s);
	rm_rf(dir);
	free(dir);
}

struct order { time_t dates[32]; unsigned n; };

static void collect(const struct store_msg *m, void *arg)
{
	struct order *o = arg;

	o->dates[o->n++] = m->date;
}

/* The windowed newest-first query must give exactly the full sort's answer. */
static void test_newest_first_windows(void **state)
{
	static const long ages[] = { 3600, 2 * 86400, 20 * 86400, 100 * 86400, 400 * 86400,
				     800 * 86400, -86400 /* from the future */ };
	char *dir = tmpdir_new(), *cause = NULL;
	struct store *s = store_open(dir, STORE_WRITE, &cause);
	time_t now = time(NULL);

	(void)state;
	assert_int_equal(store_folder_create(s, "a", "INBOX", &cause), 0);
	for (size_t i = 0; i < sizeof(ages) / sizeof(*ages); i++) {
		char date[64], *msg;
		time_t t = now - ages[i];
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
		msg = xasprintf("From: a@b\nSubject: m%zu\nMessage-ID: <w%zu@t>\nDate: %s\n\nx\n",
				i, i, date);
		assert_int_equal(store_add(s, "a", "INBOX", msg, strlen(msg), NULL, NULL, &cause),
				 STORE_ADD_NEW);
		free(msg);
	}
	for (unsigned limit = 1; limit <= 8; limit++) {
		struct order o = { { 0 }, 0 };
		unsigned want = limit < 7 ? limit : 7;
		assert_int_equal(store_query(s, "*", limit, STORE_NEWEST_FIRST, collect, &o, &cause), 0);
		assert_int_equal(o.n, want);
		assert_true(o.dates[0] > now);  /* the future one first */
		for (unsigned i = 1; i < o.n; i++)
			assert_true(o.dates[i - 1] >= o.dates[i]);
		if (want >= 5)
			assert_true(o.dates[4] < now - 99 * 86400);
	}
	store_close(&s);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_dup_notmail),
		cmocka_unit_test(test_partial_to_full),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_reconcile_and_readers),
		cmocka_unit_test(test_folder_names),
		cmocka_unit_test(test_newest_first_windows),
		cmocka_unit_test(test_set_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
