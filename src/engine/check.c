/*
 * The check operation: connect and log in to each service an account
 * configures, and report what was found (TLS, certificate, capabilities).
 */
#include <string.h>

#include "core/util.h"
#include "engine/private.h"
#include "imap/imap.h"
#include "pop3/pop3.h"
#include "smtp/smtp.h"

static bool check_imap(struct engine_worker *w, struct net_report *r)
{
	struct imap_session *s = imap_session_connect(engine_worker_account(w),
						      engine_worker_cancel(w), r);
	bool ok = s && imap_session_login(s, r);

	imap_session_free(&s);
	return ok;
}

static bool check_pop3(struct engine_worker *w, struct net_report *r)
{
	struct pop3_session *s = pop3_session_connect(engine_worker_account(w),
						      engine_worker_cancel(w), r);
	bool ok = s && pop3_session_login(s, r);

	pop3_session_free(&s);
	return ok;
}

static bool check_smtp(struct engine_worker *w, struct net_report *r)
{
	struct smtp_session *s = smtp_session_connect(engine_worker_account(w),
						      engine_worker_cancel(w), r);
	bool ok = s && smtp_session_login(s, r);

	smtp_session_free(&s);
	return ok;
}

bool engine_op_check(struct engine_worker *w)
{
	static const struct {
		const char *name;
		enum option_id url;
		bool (*run)(struct engine_worker *, struct net_report *);
	} services[] = {
		{ "imap", OPTION_IMAP, check_imap },
		{ "pop3", OPTION_POP3, check_pop3 },
		{ "smtp", OPTION_SMTP, check_smtp },
	};
	const struct account *a = engine_worker_account(w);
	bool all_ok = true, any = false;

	for (size_t i = 0; i < ARRAY_SIZE(services); i++) {
		struct engine_event *ev;

		if (!config_get(a, services[i].url))
			continue;
		any = true;
		ev = engine_event_new(w, ENGINE_EVENT_REPORT);
		ev->service = services[i].name;
		if (!services[i].run(w, &ev->report))
			all_ok = false;
		engine_post(w, ev);
	}
	if (!any) {
		struct engine_event *ev = engine_event_new(w, ENGINE_EVENT_ERROR);
		ev->text = xasprintf("account '%s' has no server to check (it is a local account)",
				     a->name);
		engine_post(w, ev);
	}
	return all_ok;
}
