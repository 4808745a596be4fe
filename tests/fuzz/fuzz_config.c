/*
 * The configuration parser (src/core/config.c) on any text, then every
 * accessor on every account: values, URLs, lists, durations, the account
 * type, and the messages for a bad file, which name lines and quote the
 * file and so must be safe to print once sanitized.
 */
#include "core/config.h"
#include "mime/mime.h"
#include "tests/fuzz/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct account *a)
{
	for (int id = 0; id < OPTION__COUNT; id++) {
		const struct option_def *d = &option_table[id];
		struct url u;
		char **list;

		if (a ? d->scope == OPT_GLOBAL : d->scope == OPT_ACCOUNT)
			continue;
		(void)config_get(a, (enum option_id)id);
		(void)config_line(a, (enum option_id)id);
		switch (d->type) {
		case OPT_BOOL:
			(void)config_get_bool(a, (enum option_id)id);
			break;
		case OPT_DURATION:
			(void)config_get_duration(a, (enum option_id)id);
			break;
		case OPT_LIST:
			list = config_get_list(a, (enum option_id)id);
			config_list_free(&list);
			break;
		case OPT_URL:
			if (a && config_get_url(a, (enum option_id)id, &u))
				url_release(&u);
			break;
		default:
			break;
		}
	}
	if (a) {
		(void)config_user(a);
		(void)config_account_type(a);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *cause = NULL;
	struct config *cfg = config_parse(text, "fuzz.conf", size & 1 ? 0644 : 0600, &cause);

	if (cfg) {
		for (size_t i = 0; i < cfg->n_accounts; i++) {
			if (config_account(cfg, cfg->accounts[i]->name) == NULL)
				abort();
			walk(cfg->accounts[i]);
		}
		config_free(&cfg);
	} else {
		char *safe;
		if (!cause)
			abort();
		safe = sanitize(cause, strlen(cause), SANITIZE_MULTILINE);
		fuzz_check_terminal_safe(safe, strlen(safe), true);
		free(safe);
		free(cause);
	}
	free(text);
	return 0;
}
