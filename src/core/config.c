/*
 * The INI parser and the option lookups.  Every problem in the file is
 * collected, so a user fixes them all in one go, and each names file:line.
 */
#include "core/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/util.h"

char *config_default_path(const char *explicit_path)
{
	const char *env = getenv("PETREL_CONFIG");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	if (explicit_path)
		return xstrdup(explicit_path);
	if (env && *env)
		return xstrdup(env);
	if (xdg && *xdg)
		return xasprintf("%s/petrel/config", xdg);
	return xasprintf("%s/.config/petrel/config", home ? home : ".");
}

char *config_expand_path(const char *path)
{
	const char *home = getenv("HOME");

	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0') && home)
		return xasprintf("%s%s", home, path + 1);
	return xstrdup(path);
}

static void config_value_release(struct config_value *v)
{
	if (v->value)
		util_secret_free(&v->value);  /* a password may be among them */
	v->line = 0;
}

static void config_account_free(struct account **ap)
{
	struct account *a = *ap;

	if (!a)
		return;
	for (size_t i = 0; i < OPTION__COUNT; i++)
		config_value_release(&a->opt[i]);
	free(a->name);
	FREE_NULL(*ap);
}

void config_free(struct config **cfgp)
{
	struct config *cfg = *cfgp;

	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_accounts; i++)
		config_account_free(&cfg->accounts[i]);
	free(cfg->accounts);
	for (size_t i = 0; i < OPTION__COUNT; i++)
		config_value_release(&cfg->global[i]);
	free(cfg->path);
	FREE_NULL(*cfgp);
}

struct account *config_account(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_accounts; i++)
		if (strcmp(cfg->accounts[i]->name, name) == 0)
			return cfg->accounts[i];
	return NULL;
}

static bool config_name_valid(const char *name)
{
	if (!*name || strlen(name) > 64 || name[0] == '.' || name[0] == '-')
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

#define CONFIG_ERR(...) strbuf_addf(errs, __VA_ARGS__)

/* Checks that hold across options of one account. */
static void config_check_account(const struct config *cfg, const struct account *a,
				 struct strbuf *errs)
{
	const char *type = config_get(a, OPTION_TYPE);
	const char *imap = a->opt[OPTION_IMAP].value, *pop3 = a->opt[OPTION_POP3].value;
	const char *auth = config_get(a, OPTION_AUTH);
	struct url u;

	if (imap && pop3)
		CONFIG_ERR("%s:%d: account '%s' has both imap and pop3; an account uses one of them\n",
			   cfg->path, a->line, a->name);
	if (strcmp(type, "imap") == 0 && !imap)
		CONFIG_ERR("%s:%d: account '%s' is type imap but has no imap URL\n",
			   cfg->path, a->line, a->name);
	if (strcmp(type, "pop3") == 0 && !pop3)
		CONFIG_ERR("%s:%d: account '%s' is type pop3 but has no pop3 URL\n",
			   cfg->path, a->line, a->name);
	if (a->opt[OPTION_PASSWORD].value && a->opt[OPTION_PASSWORD_COMMAND].value)
		CONFIG_ERR("%s:%d: account '%s' has both password and password-command; keep one\n",
			   cfg->path, a->opt[OPTION_PASSWORD].line, a->name);
	if ((strcasecmp(auth, "xoauth2") == 0 || strcasecmp(auth, "oauthbearer") == 0) &&
	    !config_get(a, OPTION_TOKEN_COMMAND))
		CONFIG_ERR("%s:%d: account '%s' uses auth = %s, which needs token-command\n",
			   cfg->path, config_line(a, OPTION_AUTH) ? config_line(a, OPTION_AUTH) : a->line,
			   a->name, auth);
	if (strcmp(config_get(a, OPTION_SEND), "imap-outbox") == 0 && !imap)
		CONFIG_ERR("%s:%d: account '%s' sends by imap-outbox but has no imap URL\n",
			   cfg->path, config_line(a, OPTION_SEND) ? config_line(a, OPTION_SEND) : a->line,
			   a->name);
	if (strcasecmp(config_get(a, OPTION_TLS), "off") == 0) {
		/* tls = off and an implicit-TLS URL contradict each other */
		static const enum option_id urls[] = { OPTION_IMAP, OPTION_POP3, OPTION_SMTP };
		for (size_t i = 0; i < ARRAY_SIZE(urls); i++)
			if (config_get_url(a, urls[i], &u)) {
				if (u.implicit_tls)
					CONFIG_ERR("%s:%d: account '%s': %s is a TLS URL but tls = off; "
						   "use %s:// for a plain connection\n", cfg->path,
						   a->opt[urls[i]].line, a->name, u.text,
						   url_proto_name(u.proto));
				url_release(&u);
			}
	}
	if (config_get_url(a, OPTION_IMAP, &u)) {
		if (u.proto != URL_IMAP)
			CONFIG_ERR("%s:%d: imap must be an imap:// or imaps:// URL, not %s\n",
				   cfg->path, a->opt[OPTION_IMAP].line, u.text);
		url_release(&u);
	}
	if (config_get_url(a, OPTION_POP3, &u)) {
		if (u.proto != URL_POP3)
			CONFIG_ERR("%s:%d: pop3 must be a pop3:// or pop3s:// URL, not %s\n",
				   cfg->path, a->opt[OPTION_POP3].line, u.text);
		url_release(&u);
	}
	if (config_get_url(a, OPTION_SMTP, &u)) {
		if (u.proto != URL_SMTP)
			CONFIG_ERR("%s:%d: smtp must be an smtp:// or smtps:// URL, not %s\n",
				   cfg->path, a->opt[OPTION_SMTP].line, u.text);
		url_release(&u);
	}
}

struct config *config_parse(const char *text, const char *name, unsigned mode, char **cause)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct strbuf errbuf = STRBUF_INIT, *errs = &errbuf;
	struct account *cur = NULL;
	const char *p = text;
	int lineno = 0;

	cfg->path = xstrdup(name);
	while (*p) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n);
		char *s = util_trim(line), *eq, *key, *val;
		const struct option_def *def;
		struct config_value *slot;
		char *why = NULL;

		p += n;
		if (*p == '\n')
			p++;
		lineno++;
		if (!*s || *s == '#' || *s == ';')
			goto next;
		if (*s == '[') {
			char *end = strchr(s, ']');
			char *sect;
			if (!end || end[1] != '\0') {
				CONFIG_ERR("%s:%d: bad section header; write [account NAME]\n", name, lineno);
				cur = NULL;
				goto next;
			}
			*end = '\0';
			sect = util_trim(s + 1);
			if (strncmp(sect, "account", 7) == 0 && (sect[7] == ' ' || sect[7] == '\t')) {
				char *aname = util_trim(sect + 8);
				struct account *prev = config_account(cfg, aname);
				if (!config_name_valid(aname)) {
					CONFIG_ERR("%s:%d: bad account name '%s' (letters, digits, . - _)\n",
						   name, lineno, aname);
					cur = NULL;
				} else if (prev) {
					CONFIG_ERR("%s:%d: duplicate account '%s' (first defined on line %d)\n",
						   name, lineno, aname, prev->line);
					cur = NULL;
				} else {
					cur = xcalloc(1, sizeof(*cur));
					cur->name = xstrdup(aname);
					cur->line = lineno;
					cur->config = cfg;
					cfg->accounts = xrealloc(cfg->accounts,
								 (cfg->n_accounts + 1) * sizeof(*cfg->accounts));
					cfg->accounts[cfg->n_accounts++] = cur;
				}
			} else {
				CONFIG_ERR("%s:%d: unknown section [%s]; sections are [account NAME]\n",
					   name, lineno, sect);
				cur = NULL;
			}
			goto next;
		}
		eq = strchr(s, '=');
		if (!eq) {
			CONFIG_ERR("%s:%d: expected 'option = value', got '%s'\n", name, lineno, s);
			goto next;
		}
		*eq = '\0';
		key = util_trim(s);
		val = util_trim(eq + 1);
		def = option_find(key);
		if (!def) {
			CONFIG_ERR("%s:%d: unknown option '%s' (petrel options lists them)\n",
				   name, lineno, key);
			goto next;
		}
		if (cur && def->scope == OPT_GLOBAL) {
			CONFIG_ERR("%s:%d: '%s' is a global option; put it above the first [account]\n",
				   name, lineno, key);
			goto next;
		}
		if (!cur && def->scope == OPT_ACCOUNT) {
			CONFIG_ERR("%s:%d: '%s' belongs in an [account NAME] section\n", name, lineno, key);
			goto next;
		}
		if (!option_validate(def, val, &why)) {
			CONFIG_ERR("%s:%d: %s\n", name, lineno, why);
			free(why);
			goto next;
		}
		if (def->type == OPT_SECRET && (mode & 077))
			CONFIG_ERR("%s:%d: %s is stored in a file that others can read (mode %03o); "
				   "run chmod 600 %s, or use password-command\n",
				   name, lineno, key, mode & 0777, name);
		slot = cur ? &cur->opt[def->id] : &cfg->global[def->id];
		if (slot->value)
			CONFIG_ERR("%s:%d: '%s' is set twice (first on line %d)\n",
				   name, lineno, key, slot->line);
		else {
			slot->value = xstrdup(val);
			slot->line = lineno;
		}
next:
		if (line)
			for (char *q = line; *q; q++)
				*q = '\0';  /* the line may have held a password */
		free(line);
	}
	for (size_t i = 0; i < cfg->n_accounts; i++)
		config_check_account(cfg, cfg->accounts[i], errs);
	if (errbuf.len) {
		errbuf.buf[--errbuf.len] = '\0';  /* no final newline */
		*cause = strbuf_detach(&errbuf);
		config_free(&cfg);
		return NULL;
	}
	strbuf_release(&errbuf);
	return cfg;
}

struct config *config_load(const char *path, char **cause)
{
	FILE *f = fopen(path, "r");
	struct strbuf sb = STRBUF_INIT;
	struct config *cfg = NULL;
	struct stat st;
	char buf[4096];
	size_t n;

	if (!f) {
		*cause = xasprintf("cannot read config file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		*cause = xasprintf("config file %s is not a regular file", path);
		goto out;
	}
	if (st.st_size > 1024 * 1024) {
		*cause = xasprintf("config file %s is larger than 1 MiB; is it the right file?", path);
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	if (ferror(f)) {
		*cause = xasprintf("cannot read config file %s: %s", path, strerror(errno));
		goto out;
	}
	if (memchr(strbuf_str(&sb), '\0', sb.len)) {
		*cause = xasprintf("config file %s contains NUL bytes; is it a text file?", path);
		goto out;
	}
	cfg = config_parse(strbuf_str(&sb), path, st.st_mode & 0777, cause);
out:
	if (sb.buf)
		memset(sb.buf, 0, sb.len);
	strbuf_release(&sb);
	fclose(f);
	return cfg;
}

static const struct config_value *config_lookup(const struct account *a, enum option_id id,
						 const struct config *cfg)
{
	if (a && a->opt[id].value)
		return &a->opt[id];
	if (cfg && cfg->global[id].value && option_table[id].scope != OPT_ACCOUNT)
		return &cfg->global[id];
	return NULL;
}

const char *config_get(const struct account *a, enum option_id id)
{
	const struct config_value *v = config_lookup(a, id, a ? a->config : NULL);

	return v ? v->value : option_table[id].def;
}

const char *config_global(const struct config *cfg, enum option_id id)
{
	return cfg->global[id].value ? cfg->global[id].value : option_table[id].def;
}

int config_line(const struct account *a, enum option_id id)
{
	const struct config_value *v = config_lookup(a, id, a ? a->config : NULL);

	return v ? v->line : 0;
}

bool config_get_bool(const struct account *a, enum option_id id)
{
	const char *s = config_get(a, id);
	bool b = false;

	if (s && !option_parse_bool(s, &b))
		BUG("option %s holds unvalidated value", option_table[id].name);
	return b;
}

unsigned long config_get_duration(const struct account *a, enum option_id id)
{
	const char *s = config_get(a, id);
	unsigned long d = 0;

	if (s && !option_parse_duration(s, &d))
		BUG("option %s holds unvalidated value", option_table[id].name);
	return d;
}

bool config_get_url(const struct account *a, enum option_id id, struct url *u)
{
	const char *s = config_get(a, id);
	char *cause = NULL;

	if (!s)
		return false;
	if (!url_parse(s, u, &cause))
		BUG("option %s holds unvalidated URL: %s", option_table[id].name, cause);
	return true;
}

const char *config_user(const struct account *a)
{
	const char *u = config_get(a, OPTION_USER);

	return u ? u : config_get(a, OPTION_EMAIL);
}

char **config_get_list(const struct account *a, enum option_id id)
{
	const char *s = config_get(a, id);
	char **list = xcalloc(1, sizeof(*list));
	size_t n = 0;

	while (s && *s) {
		size_t len = strcspn(s, ",");
		char *item = util_trim(xstrndup(s, len));
		if (*item) {
			list = xrealloc(list, (n + 2) * sizeof(*list));
			list[n++] = item;
			list[n] = NULL;
		} else
			free(item);
		s += len;
		if (*s == ',')
			s++;
	}
	return list;
}

void config_list_free(char ***listp)
{
	char **list = *listp;

	if (!list)
		return;
	for (size_t i = 0; list[i]; i++)
		free(list[i]);
	FREE_NULL(*listp);
}

const char *config_account_type(const struct account *a)
{
	const char *t = config_get(a, OPTION_TYPE);

	if (strcasecmp(t, "auto") != 0)
		return t;
	if (a->opt[OPTION_IMAP].value)
		return "imap";
	if (a->opt[OPTION_POP3].value)
		return "pop3";
	return "local";
}
