/* Unit tests for the send queue (src/store/queue.c): the envelope from
 * To/Cc/Bcc (groups, display names), Bcc stripping with folded lines, the
 * queue's files (add, state round trip, list order, remove), the lock
 * between two flushers, and the backoff. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "store/store.h"

static const char msg[] =
	"From: Alice <alice@example.org>\r\n"
	"To: \"Bob, B.\" <bob@example.org>, carol@example.org\r\n"
	"Cc: friends: dave@example.org, Eve <eve@example.org>;\r\n"
	"Bcc: secret@example.org,\r\n"
	"  other-secret@example.org\r\n"
	"Subject: plans\r\n"
	"Message-ID: <q1@test>\r\n"
	"\r\n"
	"Bcc: this line is body text and stays\r\n";

static void test_envelope(void **state)
{
	struct queue_envelope env;
	char *cause = NULL;
	const char *want[] = { "bob@example.org", "carol@example.org", "dave@example.org",
			       "eve@example.org", "secret@example.org", "other-secret@example.org" };

	(void)state;
	assert_int_equal(store_queue_envelope(msg, strlen(msg), &env, &cause), 0);
	assert_int_equal(env.n_rcpt, 6);
	assert_int_equal(env.n_bcc, 2);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(env.rcpt[i], want[i]);
	assert_null(env.rcpt[6]);
	assert_string_equal(env.message_id, "q1@test");
	assert_string_equal(env.subject, "plans");
	assert_false(env.eight_bit_header);
	assert_false(env.eight_bit_body);
	store_queue_envelope_release(&env);

	/* 8-bit text: body only, then header */
	{
		const char *body8 = "To: a@example.org\r\n\r\nGr\xc3\xbc\xc3\x9f" "e\r\n";
		const char *head8 = "To: a@example.org\r\nSubject: Gr\xc3\xbc\xc3\x9f" "e\r\n\r\nx\r\n";
		assert_int_equal(store_queue_envelope(body8, strlen(body8), &env, &cause), 0);
		assert_true(env.eight_bit_body);
		assert_false(env.eight_bit_header);
		store_queue_envelope_release(&env);
		assert_int_equal(store_queue_envelope(head8, strlen(head8), &env, &cause), 0);
		assert_true(env.eight_bit_header);
		store_queue_envelope_release(&env);
	}
	/* no recipient: refused with a reason */
	{
		const char *none = "From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n";
		assert_int_equal(store_queue_envelope(none, strlen(none), &env, &cause), -1);
		assert_non_null(strstr(cause, "no recipient"));
		free(cause);
	}
}

static void test_strip_bcc(void **state)
{
	size_t n;
	char *out = store_queue_strip_bcc(msg, strlen(msg), &n);

	(void)state;
	assert_int_equal(n, strlen(out));
	assert_null(strstr(out, "secret@example.org"));
	assert_non_null(strstr(out, "Subject: plans\r\n"));
	assert_non_null(strstr(out, "Cc: friends:"));
	assert_non_null(strstr(out, "\r\n\r\nBcc: this line is body text and stays\r\n"));
	free(out);
}

static void test_files(void **state)
{
	char tmpl[] = "/tmp/petrel-queue-XXXXXX";
	char *dir = mkdtemp(tmpl), *qdir, *id1 = NULL, *id2 = NULL, *cause = NULL, *data;
	struct queue_entry *v = NULL, e;
	size_t n = 0, len;
	int lock, lock2;

	(void)state;
	assert_non_null(dir);
	qdir = xasprintf("%s/acct/.petrel-queue", dir);
	/* a missing queue is an empty one */
	assert_int_equal(store_queue_list(qdir, &v, &n, &cause), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_queue_add(qdir, msg, strlen(msg), &id1, &cause), 0);
	assert_int_equal(store_queue_add(qdir, msg, strlen(msg), &id2, &cause), 0);
	assert_string_not_equal(id1, id2);
	assert_int_equal(store_queue_list(qdir, &v, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].state, QUEUE_QUEUED);
	assert_int_equal(v[0].attempts, 0);
	assert_string_equal(v[0].message_id, "q1@test");
	assert_non_null(strstr(v[0].recipients, "other-secret@example.org"));
	store_queue_free(&v, n);

	/* state round trip, server text flattened to one line */
	assert_int_equal(store_queue_get(qdir, id1, &e, &cause), 0);
	e.state = QUEUE_FAILED;
	e.attempts = 3;
	e.next_try = 12345;
	e.offline = true;
	e.error = xstrdup("550 no\r\nsuch\tuser");
	assert_int_equal(store_queue_save(qdir, &e, &cause), 0);
	store_queue_entry_release(&e);
	assert_int_equal(store_queue_get(qdir, id1, &e, &cause), 0);
	assert_int_equal(e.state, QUEUE_FAILED);
	assert_int_equal(e.attempts, 3);
	assert_int_equal(e.next_try, 12345);
	assert_true(e.offline);
	assert_string_equal(e.error, "550 no  such user");
	/* the bytes are the message as queued, Bcc and all */
	data = store_queue_read(&e, &len, &cause);
	assert_non_null(data);
	assert_int_equal(len, strlen(msg));
	assert_memory_equal(data, msg, len);
	free(data);
	store_queue_entry_release(&e);

	/* one flusher at a time */
	lock = store_queue_lock(qdir, &cause);
	assert_true(lock >= 0);
	lock2 = store_queue_lock(qdir, &cause);
	assert_int_equal(lock2, -2);
	store_queue_unlock(&lock);
	lock2 = store_queue_lock(qdir, &cause);
	assert_true(lock2 >= 0);
	store_queue_unlock(&lock2);

	/* bad and unknown IDs */
	assert_int_equal(store_queue_get(qdir, "../x", &e, &cause), -1);
	FREE_NULL(cause);
	assert_int_equal(store_queue_get(qdir, "zzzzzz", &e, &cause), -1);
	assert_non_null(strstr(cause, "no queued message"));
	FREE_NULL(cause);

	assert_int_equal(store_queue_remove(qdir, id1, &cause), 0);
	assert_int_equal(store_queue_list(qdir, &v, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, id2);
	store_queue_free(&v, n);
	free(id1);
	free(id2);
	free(qdir);
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(store_queue_backoff(1), 60);
	assert_int_equal(store_queue_backoff(2), 120);
	assert_int_equal(store_queue_backoff(3), 240);
	assert_int_equal(store_queue_backoff(7), 3600);
	assert_int_equal(store_queue_backoff(1000), 3600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_strip_bcc),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
