/* Unit tests for command splitting and credential commands (src/net/cred.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/net.h"

static void test_split(void **state)
{
	char *cause = NULL;
	char **argv = net_argv_split("pass show 'mail/my work' \"a \\\"b\\\"\" c\\ d", &cause);

	(void)state;
	assert_non_null(argv);
	assert_string_equal(argv[0], "pass");
	assert_string_equal(argv[1], "show");
	assert_string_equal(argv[2], "mail/my work");
	assert_string_equal(argv[3], "a \"b\"");
	assert_string_equal(argv[4], "c d");
	assert_null(argv[5]);
	net_argv_free(&argv);
	assert_null(net_argv_split("echo 'unbalanced", &cause));
	assert_non_null(strstr(cause, "unbalanced"));
	free(cause);
	assert_null(net_argv_split("   ", &cause));
	free(cause);
	/* no shell: metacharacters are just bytes */
	argv = net_argv_split("echo $(id) ; rm", &cause);
	assert_string_equal(argv[1], "$(id)");
	assert_string_equal(argv[2], ";");
	net_argv_free(&argv);
}

static struct config *cfg_for(const char *text)
{
	char *cause = NULL;
	struct config *cfg = config_parse(text, "t", 0600, &cause);

	assert_non_null(cfg);
	return cfg;
}

static void test_password_command(void **state)
{
	struct config *cfg;
	char *cause = NULL, *pw;

	(void)state;
	cfg = cfg_for("[account a]\npassword-command = printf 's3cret\\nsecond line'\n");
	pw = net_credential(cfg->accounts[0], &cause);
	assert_non_null(pw);
	assert_string_equal(pw, "s3cret");
	util_secret_free(&pw);
	config_free(&cfg);

	cfg = cfg_for("[account a]\npassword-command = sh -c 'echo nope >&2; exit 3'\n");
	assert_null(net_credential(cfg->accounts[0], &cause));
	assert_non_null(strstr(cause, "password-command (sh) failed: nope"));
	free(cause);
	config_free(&cfg);

	cfg = cfg_for("[account a]\npassword-command = /nonexistent/helper\n");
	assert_null(net_credential(cfg->accounts[0], &cause));
	assert_non_null(strstr(cause, "failed"));
	free(cause);
	config_free(&cfg);

	cfg = cfg_for("[account a]\npassword-command = true\n");
	assert_null(net_credential(cfg->accounts[0], &cause));
	assert_non_null(strstr(cause, "printed nothing"));
	free(cause);
	config_free(&cfg);

	cfg = cfg_for("[account a]\npassword = plain\n");
	pw = net_credential(cfg->accounts[0], &cause);
	assert_string_equal(pw, "plain");
	util_secret_free(&pw);
	config_free(&cfg);

	cfg = cfg_for("[account a]\nemail = a@b\n");
	assert_null(net_credential(cfg->accounts[0], &cause));
	assert_non_null(strstr(cause, "no password-command"));
	free(cause);
	config_free(&cfg);

	cfg = cfg_for("[account a]\nauth = xoauth2\ntoken-command = echo tok\n");
	pw = net_credential(cfg->accounts[0], &cause);
	assert_string_equal(pw, "tok");
	util_secret_free(&pw);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_password_command),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
