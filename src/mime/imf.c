/*
 * RFC 5322 addresses and dates, parsed by libetpan's mailimf and formatted
 * for people: "Name <addr>, addr".  libetpan's comment parser recurses once
 * per nested "(", so a header of a few hundred thousand parentheses blows the
 * stack (checked on 1.9.4): every value is defused before libetpan sees it.
 * When libetpan cannot parse a value, the decoded raw text is shown instead.
 */
#include "mime/private.h"

#include <libetpan/libetpan.h>
#include <stdlib.h>
#include <string.h>

/* Nesting libetpan may recurse into; deeper "(" and ")" become "[" and "]". */
enum { IMF_MAX_COMMENT_DEPTH = 32 };

char *mime_imf_defuse(const char *raw)
{
	char *s = xstrdup(raw);
	size_t depth = 0;

	for (char *p = s; *p; p++) {
		if (*p == '(') {
			if (++depth > IMF_MAX_COMMENT_DEPTH)
				*p = '[';
		} else if (*p == ')' && depth > 0) {
			if (depth-- > IMF_MAX_COMMENT_DEPTH)
				*p = ']';
		}
	}
	return s;
}

/* A display name as libetpan gives it (quotes kept) to decoded text. */
static char *imf_display_name(const char *dn)
{
	struct strbuf sb = STRBUF_INIT;
	char *res;

	for (const char *p = dn; *p; p++) {
		if (*p == '"')
			continue;
		if (*p == '\\' && p[1])
			p++;
		strbuf_addch(&sb, *p);
	}
	res = mime_decode_header(strbuf_str(&sb));
	strbuf_release(&sb);
	return res;
}

static void imf_add_mailbox(struct strbuf *out, struct mailimf_mailbox *mb, char **first)
{
	const char *addr = mb->mb_addr_spec ? mb->mb_addr_spec : "";
	char *name = mb->mb_display_name ? imf_display_name(mb->mb_display_name) : NULL;

	if (out->len)
		strbuf_addstr(out, ", ");
	if (name && *name) {
		bool quote = strchr(name, ',') || strchr(name, ';');

		strbuf_addf(out, quote ? "\"%s\" <%s>" : "%s <%s>", name, addr);
	} else {
		strbuf_addstr(out, addr);
	}
	if (first && !*first && *addr)
		*first = xstrdup(addr);
	free(name);
}

/* The bare address in text that libetpan could not parse: what is inside
 * the last <...>, else the first word with an '@'. */
static char *imf_guess_addr(const char *s)
{
	const char *lt = strrchr(s, '<'), *gt;
	const char *at;

	if (lt && (gt = strchr(lt, '>')) && gt > lt + 1)
		return xstrndup(lt + 1, (size_t)(gt - lt - 1));
	at = strchr(s, '@');
	if (!at)
		return NULL;
	while (at > s && at[-1] != ' ' && at[-1] != '\t' && at[-1] != ',' && at[-1] != '"')
		at--;
	return xstrndup(at, strcspn(at, " \t,\"<>;"));
}

/* libetpan reads almost anything as an addr-spec, squeezing out spaces
 * ("not an address" becomes "notanaddress"): such a reading is refused. */
static bool imf_plausible_mailbox(const struct mailimf_mailbox *mb)
{
	const char *a = mb->mb_addr_spec;

	return a && strchr(a, '@') && !strpbrk(a, "<>()[]\",;: \t");
}

static bool imf_plausible(const struct mailimf_address_list *list)
{
	if (!list)
		return false;
	for (clistiter *it = clist_begin(list->ad_list); it; it = clist_next(it)) {
		const struct mailimf_address *a = clist_content(it);

		if (a->ad_type == MAILIMF_ADDRESS_MAILBOX) {
			if (!imf_plausible_mailbox(a->ad_data.ad_mailbox))
				return false;
		} else if (a->ad_type == MAILIMF_ADDRESS_GROUP && a->ad_data.ad_group->grp_mb_list) {
			for (clistiter *m = clist_begin(a->ad_data.ad_group->grp_mb_list->mb_list); m;
			     m = clist_next(m))
				if (!imf_plausible_mailbox(clist_content(m)))
					return false;
		}
	}
	return true;
}

char *mime_imf_addresses(const char *raw, char **first_addr)
{
	char *s = mime_imf_defuse(raw);
	struct mailimf_address_list *list = NULL;
	struct strbuf out = STRBUF_INIT;
	size_t idx = 0, len = strlen(s);
	int r;

	if (first_addr)
		*first_addr = NULL;
	r = mailimf_address_list_parse(s, len, &idx, &list);
	/* junk left over means libetpan understood only part of it */
	while (r == MAILIMF_NO_ERROR && idx < len && (s[idx] == ' ' || s[idx] == '\t' ||
						      s[idx] == '\r' || s[idx] == '\n'))
		idx++;
	if (r != MAILIMF_NO_ERROR || idx < len || !imf_plausible(list)) {
		char *dec = mime_decode_header(raw);

		if (list)
			mailimf_address_list_free(list);
		if (first_addr)
			*first_addr = imf_guess_addr(dec);
		free(s);
		return dec;
	}
	for (clistiter *it = clist_begin(list->ad_list); it; it = clist_next(it)) {
		struct mailimf_address *a = clist_content(it);

		if (a->ad_type == MAILIMF_ADDRESS_MAILBOX) {
			imf_add_mailbox(&out, a->ad_data.ad_mailbox, first_addr);
		} else if (a->ad_type == MAILIMF_ADDRESS_GROUP) {
			struct mailimf_group *g = a->ad_data.ad_group;
			struct strbuf members = STRBUF_INIT;
			char *name = imf_display_name(g->grp_display_name ? g->grp_display_name : "");

			if (g->grp_mb_list)
				for (clistiter *m = clist_begin(g->grp_mb_list->mb_list); m; m = clist_next(m))
					imf_add_mailbox(&members, clist_content(m), first_addr);
			if (out.len)
				strbuf_addstr(&out, ", ");
			strbuf_addf(&out, "%s: %s;", name, strbuf_str(&members));
			strbuf_release(&members);
			free(name);
		}
	}
	mailimf_address_list_free(list);
	free(s);
	return strbuf_detach(&out);
}

time_t mime_imf_date(const char *raw)
{
	char *s = mime_imf_defuse(raw);
	struct mailimf_date_time *dt = NULL;
	size_t idx = 0;
	time_t t = 0;

	if (mailimf_date_time_parse(s, strlen(s), &idx, &dt) == MAILIMF_NO_ERROR && dt) {
		struct tm tm;
		int year = dt->dt_year, zone = dt->dt_zone;
		int zsign = zone < 0 ? -1 : 1;
		long off;

		if (zone < -2400 || zone > 2400)
			zone = 0;  /* nonsense: better read as UTC than refused */

		if (year >= 0 && year < 50)
			year += 2000;
		else if (year >= 50 && year < 1000)
			year += 1900;
		if (zone < 0)
			zone = -zone;
		off = zsign * ((zone / 100) * 3600L + (zone % 100) * 60L);
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = year - 1900;
		tm.tm_mon = dt->dt_month - 1;
		tm.tm_mday = dt->dt_day;
		tm.tm_hour = dt->dt_hour;
		tm.tm_min = dt->dt_min;
		tm.tm_sec = dt->dt_sec;
		if (year >= 1970 && year < 10000 && dt->dt_month >= 1 && dt->dt_month <= 12 &&
		    dt->dt_day >= 1 && dt->dt_day <= 31 && dt->dt_hour >= 0 && dt->dt_hour < 24 &&
		    dt->dt_min >= 0 && dt->dt_min < 60 && dt->dt_sec >= 0 && dt->dt_sec <= 60) {
			t = timegm(&tm);
			if (t == (time_t)-1)
				t = 0;
			else
				t -= off;
			if (t < 0)
				t = 0;
		}
	}
	if (dt)
		mailimf_date_time_free(dt);
	free(s);
	return t;
}
