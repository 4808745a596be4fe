/*
 * The option table and validation of values by type.
 */
#include "core/options.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/url.h"
#include "core/util.h"

const struct option_def option_table[OPTION__COUNT] = {
#define X(id_, name_, type_, scope_, def_, choices_, help_) \
	[OPTION_##id_] = { .id = OPTION_##id_, .name = name_, .type = type_, .scope = scope_, \
			   .def = def_, .choices = choices_, .help = help_ },
	PETREL_OPTIONS(X)
#undef X
};

const struct option_def *option_find(const char *name)
{
	for (size_t i = 0; i < OPTION__COUNT; i++)
		if (strcmp(option_table[i].name, name) == 0)
			return &option_table[i];
	return NULL;
}

const char *option_type_name(enum option_type type)
{
	switch (type) {
	case OPT_STRING: return "string";
	case OPT_URL: return "url";
	case OPT_ENUM: return "choice";
	case OPT_BOOL: return "yes/no";
	case OPT_LIST: return "list";
	case OPT_PATH: return "path";
	case OPT_COMMAND: return "command";
	case OPT_DURATION: return "duration";
	case OPT_SIZE: return "size";
	case OPT_SECRET: return "secret";
	case OPT_FINGERPRINT: return "fingerprint";
	}
	BUG("bad option type %d", (int)type);
}

bool option_parse_bool(const char *s, bool *out)
{
	static const char *yes[] = { "yes", "on", "true", "1" };
	static const char *no[] = { "no", "off", "false", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Splits "30d" into a number and a one-letter unit looked up in units. */
static bool option_parse_scaled(const char *s, const char *units,
				const unsigned long long *mult, unsigned long long *out)
{
	char *num;
	size_t len = strlen(s);
	unsigned long v;
	unsigned long long m = 1;
	bool ok;

	if (len == 0)
		return false;
	if (!isdigit((unsigned char)s[len - 1])) {
		const char *u = strchr(units, tolower((unsigned char)s[len - 1]));
		if (!u)
			return false;
		m = mult[u - units];
		len--;
	}
	num = xstrndup(s, len);
	ok = util_parse_ulong(num, 1UL << 40, &v);
	free(num);
	if (!ok)
		return false;
	*out = (unsigned long long)v * m;
	return true;
}

bool option_parse_duration(const char *s, unsigned long *seconds)
{
	static const unsigned long long mult[] = { 1, 60, 3600, 86400, 604800 };
	unsigned long long v;

	if (!option_parse_scaled(s, "smhdw", mult, &v) || v > 100ULL * 365 * 86400)
		return false;
	*seconds = (unsigned long)v;
	return true;
}

bool option_parse_size(const char *s, unsigned long long *bytes)
{
	static const unsigned long long mult[] = { 1024ULL, 1024ULL * 1024, 1024ULL * 1024 * 1024 };

	return option_parse_scaled(s, "kmg", mult, bytes);
}

bool option_parse_fingerprint(const char *s, char out[65])
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == ':')
			continue;
		if (!isxdigit((unsigned char)*s) || n == 64)
			return false;
		out[n++] = (char)tolower((unsigned char)*s);
	}
	out[n] = '\0';
	return n == 64;
}

static bool option_enum_has(const char *choices, const char *value)
{
	size_t vlen = strlen(value);

	for (const char *p = choices; *p;) {
		size_t n = strcspn(p, "|");
		if (n == vlen && strncasecmp(p, value, n) == 0)
			return true;
		p += n;
		if (*p == '|')
			p++;
	}
	return false;
}

bool option_validate(const struct option_def *def, const char *value, char **cause)
{
	char fp[65];
	bool b;
	unsigned long d;
	unsigned long long sz;
	struct url u;

	switch (def->type) {
	case OPT_STRING:
	case OPT_PATH:
	case OPT_LIST:
	case OPT_SECRET:
		return true;
	case OPT_COMMAND:
		if (!*value) {
			*cause = xasprintf("%s is empty; give the command to run", def->name);
			return false;
		}
		return true;
	case OPT_URL:
		if (!url_parse(value, &u, cause))
			return false;
		url_release(&u);
		return true;
	case OPT_ENUM:
		if (option_enum_has(def->choices, value))
			return true;
		*cause = xasprintf("%s must be one of %s, not '%s'", def->name, def->choices, value);
		return false;
	case OPT_BOOL:
		if (option_parse_bool(value, &b))
			return true;
		*cause = xasprintf("%s must be yes or no, not '%s'", def->name, value);
		return false;
	case OPT_DURATION:
		if (option_parse_duration(value, &d))
			return true;
		*cause = xasprintf("%s must be a duration like 30s, 5m, 2h or 30d, not '%s'",
				   def->name, value);
		return false;
	case OPT_SIZE:
		if (option_parse_size(value, &sz))
			return true;
		*cause = xasprintf("%s must be a size like 512K or 2M, not '%s'", def->name, value);
		return false;
	case OPT_FINGERPRINT:
		if (option_parse_fingerprint(value, fp))
			return true;
		*cause = xasprintf("%s must be a SHA-256 fingerprint (64 hex digits, colons allowed)",
				   def->name);
		return false;
	}
	BUG("bad option type %d", (int)def->type);
}
