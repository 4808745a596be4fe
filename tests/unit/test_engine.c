/* Unit tests for the engine bridge (src/engine): commands in, events out,
 * the eventfd wake-up, cancellation of queued and running commands.  The
 * running-command case connects to a local listening socket that never
 * answers (a stall no real server produces on demand; hand-made for that). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"
#include "engine/engine.h"

/* Waits for events until a DONE for id arrives; returns all of them. */
static struct engine_event *wait_done(struct engine *e, unsigned long id)
{
	struct engine_event *all = NULL, **tail = &all;
	bool done = false;

	while (!done) {
		struct pollfd pfd = { .fd = engine_fd(e), .events = POLLIN };
		struct engine_event *ev;

		assert_true(poll(&pfd, 1, 20000) == 1);
		for (ev = engine_events(e); ev; ev = ev->next) {
			*tail = ev;
			tail = &ev->next;
			if (ev->type == ENGINE_EVENT_DONE && ev->cmd == id)
				done = true;
		}
	}
	return all;
}

static void test_local_account_check(void **state)
{
	char *cause = NULL;
	struct config *cfg = config_parse("[account local]\n", "t", 0600, &cause);
	struct engine *e;
	struct engine_event *evs;
	unsigned long id;

	(void)state;
	assert_non_null(cfg);
	e = engine_new(cfg);
	assert_int_equal(engine_submit(e, "nope", ENGINE_CMD_CHECK, NULL, 0, ENGINE_PRIO_BULK, &cause), 0);
	assert_non_null(strstr(cause, "no account called 'nope'"));
	free(cause);
	id = engine_submit(e, "local", ENGINE_CMD_CHECK, NULL, 0, ENGINE_PRIO_INTERACTIVE, &cause);
	assert_true(id > 0);
	evs = wait_done(e, id);
	assert_int_equal(evs->type, ENGINE_EVENT_ERROR);
	assert_string_equal(evs->account, "local");
	assert_non_null(strstr(evs->text, "no server to check"));
	assert_non_null(evs->next);
	assert_int_equal(evs->next->type, ENGINE_EVENT_DONE);
	assert_true(evs->next->ok);  /* nothing failed */
	engine_events_free(&evs);
	assert_null(engine_events(e));
	engine_free(&e);
	config_free(&cfg);
}

static int listen_silent(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void test_cancel_running_and_queued(void **state)
{
	uint16_t port;
	int lfd = listen_silent(&port);
	char *text = xasprintf("[account slow]\nimap = imaps://127.0.0.1:%u\n"
			       "password-command = echo x\ntimeout = 1h\n", (unsigned)port);
	char *cause = NULL;
	struct config *cfg = config_parse(text, "t", 0600, &cause);
	struct engine *e;
	struct engine_event *evs;
	unsigned long running, queued;

	(void)state;
	assert_non_null(cfg);
	e = engine_new(cfg);
	running = engine_submit(e, "slow", ENGINE_CMD_CHECK, NULL, 0, ENGINE_PRIO_BULK, &cause);
	queued = engine_submit(e, "slow", ENGINE_CMD_CHECK, NULL, 0, ENGINE_PRIO_BULK, &cause);
	usleep(200 * 1000);  /* let the first reach its TLS handshake */
	assert_true(engine_cancel(e, queued));
	assert_true(engine_cancel(e, running));
	assert_false(engine_cancel(e, 999));
	evs = wait_done(e, running);
	{
		bool saw_queued = false, saw_running = false;
		for (struct engine_event *ev = evs; ev; ev = ev->next) {
			if (ev->type != ENGINE_EVENT_DONE)
				continue;
			assert_true(ev->cancelled);
			assert_false(ev->ok);
			saw_queued |= ev->cmd == queued;
			saw_running |= ev->cmd == running;
		}
		assert_true(saw_queued && saw_running);
	}
	engine_events_free(&evs);
	engine_free(&e);
	config_free(&cfg);
	free(text);
	close(lfd);
}

static void test_free_while_busy(void **state)
{
	uint16_t port;
	int lfd = listen_silent(&port);
	char *text = xasprintf("[account slow]\nimap = imaps://127.0.0.1:%u\n"
			       "password-command = echo x\ntimeout = 1h\n", (unsigned)port);
	char *cause = NULL;
	struct config *cfg = config_parse(text, "t", 0600, &cause);
	struct engine *e = engine_new(cfg);

	(void)state;
	assert_true(engine_submit(e, "slow", ENGINE_CMD_CHECK, NULL, 0, ENGINE_PRIO_BULK, &cause) > 0);
	usleep(100 * 1000);
	engine_free(&e);  /* must not hang on the stalled handshake */
	assert_null(e);
	config_free(&cfg);
	free(text);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_account_check),
		cmocka_unit_test(test_cancel_running_and_queued),
		cmocka_unit_test(test_free_while_busy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
