/* Unit tests for the SASL messages petrel builds (src/net/sasl.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/net.h"

static void test_initial(void **state)
{
	char *s;

	(void)state;
	/* base64 of "\0alice\0secret" */
	s = net_sasl_initial(NET_SASL_PLAIN, "alice", "secret", "h", 1);
	assert_string_equal(s, "AGFsaWNlAHNlY3JldA==");
	util_secret_free(&s);
	/* base64 of "user=a@b\1auth=Bearer T0k\1\1" */
	s = net_sasl_initial(NET_SASL_XOAUTH2, "a@b", "T0k", "h", 1);
	assert_string_equal(s, "dXNlcj1hQGIBYXV0aD1CZWFyZXIgVDBrAQE=");
	util_secret_free(&s);
	/* base64 of "n,a=x=2Cy=3D,\1host=mail.example\1port=993\1auth=Bearer T\1\1":
	 * ',' and '=' in the authzid are escaped (RFC 5801) */
	s = net_sasl_initial(NET_SASL_OAUTHBEARER, "x,y=", "T", "mail.example", 993);
	assert_string_equal(s, "bixhPXg9MkN5PTNELAFob3N0PW1haWwuZXhhbXBsZQFwb3J0PTk5MwFhdXRoPUJlYXJlciBUAQE=");
	util_secret_free(&s);
}

static void test_oauth_status(void **state)
{
	char *st;

	(void)state;
	/* {"status":"invalid_token","scope":"mail"} */
	st = net_sasl_oauth_status("eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJtYWlsIn0=\r\n");
	assert_string_equal(st, "invalid_token");
	free(st);
	/* { "status" : "401" } with spaces */
	st = net_sasl_oauth_status("eyAic3RhdHVzIiA6ICI0MDEiIH0=");
	assert_string_equal(st, "401");
	free(st);
	/* no status member: {"scope":"mail"} */
	assert_null(net_sasl_oauth_status("eyJzY29wZSI6Im1haWwifQ=="));
	/* an escape sequence in the status is not passed on: {"status":"\u001b[2J"} as raw ESC */
	assert_null(net_sasl_oauth_status("eyJzdGF0dXMiOiIbWzJKIn0="));
	/* not base64, empty, unterminated string */
	assert_null(net_sasl_oauth_status("!!!not base64"));
	assert_null(net_sasl_oauth_status(""));
	assert_null(net_sasl_oauth_status("eyJzdGF0dXMiOiJhYmM="));  /* {"status":"abc */
}

static void test_apop(void **state)
{
	char d[33];

	(void)state;
	/* the example of RFC 1939, section 7 */
	assert_true(net_apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf", d));
	assert_string_equal(d, "c4c9334bac560ecc979e58001b3e22fb");
}

static void test_names(void **state)
{
	enum net_sasl_mech m;

	(void)state;
	assert_true(net_sasl_from_auth("XOAuth2", &m));
	assert_int_equal(m, NET_SASL_XOAUTH2);
	assert_true(net_sasl_is_oauth(m));
	assert_true(net_sasl_from_auth("oauthbearer", &m));
	assert_string_equal(net_sasl_name(m), "OAUTHBEARER");
	assert_string_equal(net_sasl_error_reply(m), "AQ==");
	assert_true(net_sasl_from_auth("plain", &m));
	assert_false(net_sasl_is_oauth(m));
	assert_false(net_sasl_from_auth("auto", &m));
	assert_false(net_sasl_from_auth("apop", &m));
	assert_false(net_sasl_from_auth("login", &m));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial),
		cmocka_unit_test(test_oauth_status),
		cmocka_unit_test(test_apop),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
