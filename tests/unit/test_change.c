/* Unit tests for src/engine/change.c: flag names, the ENGINE_CMD_CHANGE
 * argument (encode and decode), and change_apply on a real store (flags,
 * move, delete, and journaling only for an IMAP account's server copy). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/util.h"
#include "engine/change.h"
#include "store/store.h"

static const char msg[] =
	"From: Alice <alice@example.org>\nTo: bob@example.org\nSubject: hello\n"
	"Message-ID: <c1@test>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nbody\n";

static void test_flag_parse(void **state)
{
	char f[3];

	(void)state;
	assert_true(change_flag_parse("+seen", f));
	assert_string_equal(f, "+S");
	assert_true(change_flag_parse("-Flagged", f));
	assert_string_equal(f, "-F");
	assert_true(change_flag_parse("+deleted", f));
	assert_string_equal(f, "+T");
	assert_false(change_flag_parse("seen", f));
	assert_false(change_flag_parse("+bogus", f));
	assert_false(change_flag_parse("", f));
}

static void test_encode_decode(void **state)
{
	const char *ids[] = { "a@b", "with space@x", "tab\there" };
	const char **got = NULL;
	const char *arg;
	enum change_op op;
	char *cause = NULL, *buf = NULL, *text;
	size_t n = 0;

	(void)state;
	text = change_encode(CHANGE_MOVE, "Archive/My Folder", ids, 3, &cause);
	assert_non_null(text);
	assert_true(change_decode(text, &op, &arg, &buf, &got, &n));
	assert_int_equal(op, CHANGE_MOVE);
	assert_string_equal(arg, "Archive/My Folder");
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(got[i], ids[i]);
	free(text);
	free(buf);
	free(got);

	text = change_encode(CHANGE_DELETE, NULL, ids, 1, &cause);
	assert_true(change_decode(text, &op, &arg, &buf, &got, &n));
	assert_int_equal(op, CHANGE_DELETE);
	assert_null(arg);
	assert_int_equal(n, 1);
	free(text);
	free(buf);
	free(got);

	/* an id with a line break cannot be carried; nor a folder with one */
	{
		const char *bad[] = { "x\ny" };
		assert_null(change_encode(CHANGE_FLAGS, "+S", bad, 1, &cause));
		assert_non_null(cause);
		FREE_NULL(cause);
		assert_null(change_encode(CHANGE_MOVE, "a\nb", ids, 1, &cause));
		FREE_NULL(cause);
	}
	/* malformed text: unknown op, no ids */
	assert_false(change_decode("explode +S\nid", &op, &arg, &buf, &got, &n));
	free(buf);
	free(got);
	assert_false(change_decode("flags +S", &op, &arg, &buf, &got, &n));
	free(buf);
	free(got);
}

static void test_apply(void **state)
{
	char tmpl[] = "/tmp/petrel-change-XXXXXX", *dir = mkdtemp(tmpl);
	char *cause = NULL, *id = NULL, *text, *cmd;
	struct config *cfg;
	struct store *s;
	struct store_add_opts o = { NULL, ",U=7", false, true };
	struct store_location loc = { 0 };
	struct change_result res;
	struct journal_entry *v = NULL;
	size_t n = 0;
	unsigned bad = 0;

	(void)state;
	assert_non_null(dir);
	text = xasprintf("[account srv]\nimap = imaps://127.0.0.1:1\nuser = u\npassword = p\n"
			 "delete = trash\n");
	cfg = config_parse(text, "t", 0600, &cause);
	free(text);
	assert_non_null(cfg);
	s = store_open(dir, STORE_WRITE, &cause);
	assert_non_null(s);
	assert_int_equal(store_folder_create(s, "srv", "INBOX", &cause), 0);
	assert_int_equal(store_begin(s, &cause), 0);
	assert_int_equal(store_add(s, "srv", "INBOX", msg, sizeof(msg) - 1, &o, &id, &cause),
			 STORE_ADD_NEW);
	assert_int_equal(store_commit(s, &cause), 0);

	/* flags: applied, journaled as the IMAP delta */
	assert_int_equal(change_apply(s, cfg, "c1@test", CHANGE_FLAGS, "+S+F", &res, &cause), 0);
	assert_string_equal(res.account, "srv");
	assert_string_equal(res.folder, "INBOX");
	assert_null(res.dest);
	assert_true(res.journaled);
	change_result_release(&res);
	assert_int_equal(store_locate(s, "c1@test", &loc, &cause), 0);
	assert_string_equal(store_maildir_flags(loc.path), "FS");
	store_location_release(&loc);

	/* the same flags again: nothing for the server */
	assert_int_equal(change_apply(s, cfg, "c1@test", CHANGE_FLAGS, "+S", &res, &cause), 0);
	assert_false(res.journaled);
	change_result_release(&res);

	/* move, then delete (to Trash) */
	assert_int_equal(change_apply(s, cfg, "c1@test", CHANGE_MOVE, "Archive", &res, &cause), 0);
	assert_string_equal(res.dest, "Archive");
	change_result_release(&res);
	assert_int_equal(change_apply(s, cfg, "c1@test", CHANGE_MOVE, "Archive", &res, &cause),
			 -1);
	assert_non_null(strstr(cause, "already in Archive"));
	FREE_NULL(cause);
	assert_int_equal(change_apply(s, cfg, "c1@test", CHANGE_MOVE, "../x", &res, &cause), -1);
	FREE_NULL(cause);
	assert_int_equal(change_apply(s, cfg, "c1@test", CHANGE_DELETE, NULL, &res, &cause), 0);
	assert_string_equal(res.dest, "Trash");
	change_result_release(&res);

	/* unknown id: -2 */
	assert_int_equal(change_apply(s, cfg, "nope@test", CHANGE_FLAGS, "+S", &res, &cause), -2);
	FREE_NULL(cause);

	assert_int_equal(store_journal_load(s, "srv", &v, &n, &bad, &cause), 0);
	/* flags and the move; the moved copy has no server UID until the
	 * replay learns it (COPYUID), so its delete is local only for now */
	assert_int_equal(n, 2);
	assert_string_equal(v[0].op, "flags");
	assert_string_equal(v[0].arg, "+F+S");
	assert_string_equal(v[1].op, "move");
	assert_string_equal(v[1].arg, "Archive");
	store_journal_free(&v, n);

	store_close(&s);
	config_free(&cfg);
	free(id);
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flag_parse),
		cmocka_unit_test(test_encode_decode),
		cmocka_unit_test(test_apply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
