/* Unit tests for the config parser (src/core/config.c) and URL parsing. */
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

#include "core/config.h"
#include "core/util.h"

/* Parses text expecting failure; returns the message (caller frees). */
static char *parse_fail(const char *text, unsigned mode)
{
	char *cause = NULL;
	struct config *cfg = config_parse(text, "test.conf", mode, &cause);

	assert_null(cfg);
	assert_non_null(cause);
	return cause;
}

static void assert_has(const char *haystack, const char *needle)
{
	if (!haystack)
		fail_msg("expected \"%s\", got nothing", needle);
	else if (!strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static void test_good(void **state)
{
	const char *text =
		"# a comment\n"
		"timeout = 30s\n"
		"name = Global Name\n"
		"\n"
		"[account work]\n"
		"email = alice@example.org\n"
		"name = Alice Example\n"
		"imap = imaps://imap.example.org:993\n"
		"smtp = smtp://smtp.example.org:587\n"
		"user = alice\n"
		"password-command = pass show mail/work\n"
		"idle-folders = INBOX, Lists/dev\n"
		"[account home]\n"
		"email = bob@example.net\n"
		"pop3 = pop3s://pop.example.net\n"
		"password-command = echo x\n";
	char *cause = NULL;
	struct config *cfg = config_parse(text, "test.conf", 0600, &cause);
	struct account *work, *home;
	struct url u;
	char **list;

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(cfg->n_accounts, 2);
	work = config_account(cfg, "work");
	home = config_account(cfg, "home");
	assert_non_null(work);
	assert_non_null(home);
	assert_null(config_account(cfg, "nope"));
	assert_string_equal(config_get(work, OPTION_NAME), "Alice Example");
	assert_string_equal(config_get(home, OPTION_NAME), "Global Name");
	assert_int_equal(config_get_duration(work, OPTION_TIMEOUT), 30);
	assert_string_equal(config_get(work, OPTION_TLS), "on");
	assert_string_equal(config_account_type(work), "imap");
	assert_string_equal(config_account_type(home), "pop3");
	assert_string_equal(config_user(work), "alice");
	assert_string_equal(config_user(home), "bob@example.net");
	assert_true(config_get_url(work, OPTION_IMAP, &u));
	assert_string_equal(u.host, "imap.example.org");
	assert_int_equal(u.port, 993);
	assert_true(u.implicit_tls);
	url_release(&u);
	assert_true(config_get_url(home, OPTION_POP3, &u));
	assert_int_equal(u.port, 995);
	url_release(&u);
	assert_false(config_get_url(home, OPTION_SMTP, &u));
	list = config_get_list(work, OPTION_IDLE_FOLDERS);
	assert_string_equal(list[0], "INBOX");
	assert_string_equal(list[1], "Lists/dev");
	assert_null(list[2]);
	config_list_free(&list);
	list = config_get_list(home, OPTION_IDLE_FOLDERS);
	assert_string_equal(list[0], "INBOX");  /* the default */
	config_list_free(&list);
	assert_int_equal(config_line(work, OPTION_IMAP), 8);
	config_free(&cfg);
	assert_null(cfg);
}

static void test_unknown_key(void **state)
{
	char *c = parse_fail("[account a]\nemail = a@b\nfrobnicate = 1\n", 0600);

	(void)state;
	assert_has(c, "test.conf:3:");
	assert_has(c, "unknown option 'frobnicate'");
	free(c);
}

static void test_bad_url(void **state)
{
	char *c;

	(void)state;
	c = parse_fail("[account a]\nimap = http://example.org\n", 0600);
	assert_has(c, "test.conf:2:");
	assert_has(c, "unknown scheme 'http'");
	free(c);
	c = parse_fail("[account a]\nimap = imaps://example.org:99999\n", 0600);
	assert_has(c, "port");
	free(c);
	c = parse_fail("[account a]\nimap = imaps://user@example.org\n", 0600);
	assert_has(c, "user names");
	free(c);
	c = parse_fail("[account a]\nimap = example.org\n", 0600);
	assert_has(c, "not a URL");
	free(c);
	c = parse_fail("[account a]\nimap = smtps://example.org\n", 0600);
	assert_has(c, "imap must be an imap:// or imaps:// URL");
	free(c);
	c = parse_fail("[account a]\nimap = imaps://exa mple.org\n", 0600);
	assert_has(c, "not a valid host name");
	free(c);
}

static void test_missing_section(void **state)
{
	char *c = parse_fail("email = a@b\n", 0600);

	(void)state;
	assert_has(c, "test.conf:1:");
	assert_has(c, "belongs in an [account NAME] section");
	free(c);
	c = parse_fail("[acount a]\n", 0600);
	assert_has(c, "unknown section");
	free(c);
	c = parse_fail("[account a\n", 0600);
	assert_has(c, "bad section header");
	free(c);
	c = parse_fail("[account a]\nlog-file = /tmp/x\n", 0600);
	assert_has(c, "global option");
	free(c);
}

static void test_duplicate_account(void **state)
{
	char *c = parse_fail("[account a]\nemail = x@y\n\n[account a]\nemail = z@y\n", 0600);

	(void)state;
	assert_has(c, "test.conf:4: duplicate account 'a' (first defined on line 1)");
	free(c);
	c = parse_fail("[account a]\nemail = x@y\nemail = z@y\n", 0600);
	assert_has(c, "test.conf:3: 'email' is set twice (first on line 2)");
	free(c);
}

static void test_world_readable_password(void **state)
{
	char *cause = NULL;
	struct config *cfg;
	char *c = parse_fail("[account a]\nimap = imaps://h\npassword = hunter2\n", 0644);

	(void)state;
	assert_has(c, "test.conf:3: password is stored in a file that others can read");
	assert_has(c, "chmod 600");
	/* the secret itself never appears in the message */
	assert_null(strstr(c, "hunter2"));
	free(c);
	c = parse_fail("[account a]\nimap = imaps://h\npassword = hunter2\n", 0640);
	free(c);
	cfg = config_parse("[account a]\nimap = imaps://h\npassword = hunter2\n", "t", 0600, &cause);
	assert_non_null(cfg);
	config_free(&cfg);
}

static void test_unreadable_file(void **state)
{
	char *cause = NULL;
	struct config *cfg;
	char path[] = "/tmp/petrel-test-config-XXXXXX";
	int fd;

	(void)state;
	cfg = config_load("/nonexistent/petrel/config", &cause);
	assert_null(cfg);
	assert_has(cause, "cannot read config file /nonexistent/petrel/config");
	free(cause);
	cause = NULL;

	cfg = config_load("/tmp", &cause);
	assert_null(cfg);
	assert_non_null(cause);
	free(cause);
	cause = NULL;

	/* unreadable by permissions: meaningful only when not root */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[account a]\n", 12), 12);
	close(fd);
	chmod(path, 0);
	cfg = config_load(path, &cause);
	if (geteuid() != 0) {
		assert_null(cfg);
		assert_has(cause, "Permission denied");
	}
	free(cause);
	config_free(&cfg);
	unlink(path);
}

static void test_bad_values(void **state)
{
	char *c;

	(void)state;
	c = parse_fail("[account a]\ntls = maybe\n", 0600);
	assert_has(c, "tls must be one of on|off, not 'maybe'");
	free(c);
	c = parse_fail("timeout = soon\n", 0600);
	assert_has(c, "timeout must be a duration");
	free(c);
	c = parse_fail("[account a]\ntls-fingerprint = abc\n", 0600);
	assert_has(c, "SHA-256");
	free(c);
	c = parse_fail("[account a]\nimap = imaps://h\npop3 = pop3s://h\n", 0600);
	assert_has(c, "both imap and pop3");
	free(c);
	c = parse_fail("[account a]\nimap = imaps://h\ntls = off\n", 0600);
	assert_has(c, "tls = off");
	free(c);
	c = parse_fail("[account a]\nimap = imaps://h\nauth = xoauth2\n", 0600);
	assert_has(c, "needs token-command");
	free(c);
	c = parse_fail("[account a]\npassword-command = \n", 0600);
	assert_has(c, "empty");
	free(c);
	c = parse_fail("[account ../etc]\n", 0600);
	assert_has(c, "bad account name");
	free(c);
	c = parse_fail("just some words\n", 0600);
	assert_has(c, "expected 'option = value'");
	free(c);
}

static void test_several_errors_reported(void **state)
{
	char *c = parse_fail("[account a]\nfoo = 1\nbar = 2\n", 0600);

	(void)state;
	assert_has(c, "test.conf:2:");
	assert_has(c, "test.conf:3:");
	free(c);
}

static void test_url_ipv6(void **state)
{
	struct url u;
	char *cause = NULL;

	(void)state;
	assert_true(url_parse("imaps://[::1]:1993", &u, &cause));
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 1993);
	assert_true(url_host_is_ip(u.host));
	url_release(&u);
	assert_true(url_parse("smtp://mail.example.org/", &u, &cause));
	assert_int_equal(u.port, 587);
	assert_false(u.implicit_tls);
	url_release(&u);
	assert_false(url_parse("imaps://[::1", &u, &cause));
	free(cause);
}

static void test_default_path(void **state)
{
	char *p;

	(void)state;
	setenv("PETREL_CONFIG", "/x/cfg", 1);
	p = config_default_path(NULL);
	assert_string_equal(p, "/x/cfg");
	free(p);
	p = config_default_path("/explicit");
	assert_string_equal(p, "/explicit");
	free(p);
	unsetenv("PETREL_CONFIG");
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	p = config_default_path(NULL);
	assert_string_equal(p, "/xdg/petrel/config");
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/u", 1);
	p = config_default_path(NULL);
	assert_string_equal(p, "/home/u/.config/petrel/config");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_url),
		cmocka_unit_test(test_missing_section),
		cmocka_unit_test(test_duplicate_account),
		cmocka_unit_test(test_world_readable_password),
		cmocka_unit_test(test_unreadable_file),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_several_errors_reported),
		cmocka_unit_test(test_url_ipv6),
		cmocka_unit_test(test_default_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
