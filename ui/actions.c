/*
 * The one table of actions: every thing a key can do has a name here, the
 * function that does it and one line of help.  Keymaps bind keys to these
 * names, ":" runs them by name, and the help screen and the KEYS section
 * of petrel(1) are generated from (or checked against) this table.
 *
 * An action belongs to a context (the view where it makes sense) or is
 * global.
 */
#include <string.h>

#include "core/util.h"
#include "ui/private.h"

#define A(name, ctx, fn, arg, help) { name, UI_CTX_##ctx, fn, arg, help }

const struct ui_action ui_actions[] = {
	A("app.quit", GLOBAL, ui_app_quit, NULL, "quit petrel"),
	A("app.help", GLOBAL, ui_help_open, NULL, "show every action with its keys"),
	A("app.command", GLOBAL, ui_cmdline_command, NULL,
	  "run an action by name (Tab completes)"),
	A("app.sync", GLOBAL, ui_app_sync, NULL,
	  "sync the current account with its server in the background"),
	A("app.redraw", GLOBAL, ui_app_redraw, NULL, "redraw the whole screen"),
	A("app.suspend", GLOBAL, ui_app_suspend, NULL, "suspend petrel (fg resumes it)"),
	A("app.cancel", GLOBAL, ui_app_cancel, NULL, "cancel a typed count or key sequence"),

	A("app.mail", GLOBAL, ui_compose_mail, "ADDRESS",
	  "write a new message (to ADDRESS, if given) in $EDITOR"),
	A("app.queue", GLOBAL, ui_queue_open, NULL,
	  "show the messages waiting to be sent, with retry and cancel"),

	A("folders.toggle", GLOBAL, ui_folders_toggle, NULL, "show or hide the folder sidebar"),
	A("folders.focus", GLOBAL, ui_folders_focus, NULL,
	  "move between the folder sidebar and the message list"),
	A("folders.next", FOLDERS, ui_folders_next, NULL, "next folder"),
	A("folders.prev", FOLDERS, ui_folders_prev, NULL, "previous folder"),
	A("folders.open", FOLDERS, ui_folders_open, "ACCOUNT/FOLDER",
	  "open the folder under the cursor (or the one named)"),
	A("folders.next-unread", FOLDERS, ui_folders_next_unread, NULL,
	  "next folder with unread mail"),

	A("folders.create", FOLDERS, ui_folders_create, "FOLDER",
	  "make a folder in the account under the cursor (here and on the server)"),
	A("folders.rename", FOLDERS, ui_folders_rename, "NEW",
	  "rename the folder under the cursor (here and on the server)"),
	A("folders.delete", FOLDERS, ui_folders_delete, NULL,
	  "delete the folder under the cursor and its messages (asks first)"),

	A("index.next", INDEX, ui_index_next, NULL, "next message"),
	A("index.prev", INDEX, ui_index_prev, NULL, "previous message"),
	A("index.page-down", INDEX, ui_index_page_down, NULL, "one screen down"),
	A("index.page-up", INDEX, ui_index_page_up, NULL, "one screen up"),
	A("index.first", INDEX, ui_index_first, NULL, "newest message (or message N of a count)"),
	A("index.last", INDEX, ui_index_last, NULL, "oldest message (or message N of a count)"),
	A("index.open", INDEX, ui_index_open, NULL, "read the message under the cursor"),
	A("index.next-unread", INDEX, ui_index_next_unread, NULL, "next unread message"),
	A("index.limit", INDEX, ui_index_limit, "QUERY",
	  "show only the messages matching a query (empty: all)"),
	A("index.search", INDEX, ui_index_search, "QUERY",
	  "find the next message matching a query (notmuch syntax)"),
	A("index.search-next", INDEX, ui_index_search_next, NULL, "repeat the last search"),
	A("index.search-prev", INDEX, ui_index_search_prev, NULL,
	  "repeat the last search backwards"),
	A("index.search-all", INDEX, ui_index_search_all, "QUERY",
	  "list the messages of every account matching a query"),

	A("index.toggle-read", INDEX, ui_change_toggle_read, NULL,
	  "mark the message read, or unread if it is read"),
	A("index.flag", INDEX, ui_change_toggle_flag, NULL, "flag the message, or unflag it"),
	A("index.delete", INDEX, ui_change_delete, NULL,
	  "mark the message deleted (the server sees \\Deleted; u takes it back)"),
	A("index.undelete", INDEX, ui_change_undelete, NULL, "take the deleted mark away"),
	A("index.move", INDEX, ui_change_move, "FOLDER",
	  "move the message to another folder of its account (Tab completes)"),
	A("index.copy", INDEX, ui_change_copy, "FOLDER",
	  "copy the message to another folder of its account (Tab completes)"),
	A("index.search-server", INDEX, ui_index_search_server, "QUERY",
	  "ask the IMAP server for messages not here (words, from:, subject:, date:A..B, not)"),
	A("index.threads", INDEX, ui_index_threads, NULL,
	  "show threads (from notmuch) or single messages, newest first"),
	A("index.thread-toggle", INDEX, ui_index_thread_toggle, NULL,
	  "open the thread under the cursor as a tree, or close it"),
	A("index.reply", INDEX, ui_compose_reply, NULL, "reply to the sender"),
	A("index.reply-all", INDEX, ui_compose_reply_all, NULL,
	  "reply to the sender and every other recipient"),
	A("index.forward", INDEX, ui_compose_forward, NULL, "forward the message"),
	A("index.resume", INDEX, ui_compose_resume, NULL,
	  "take a postponed draft up again (sending or postponing it replaces the old one)"),
	A("index.tag", INDEX, ui_change_tag, NULL, "tag the message, or untag it"),
	A("index.tag-pattern", INDEX, ui_change_tag_pattern, "QUERY",
	  "tag every message of the list matching a query (notmuch syntax)"),
	A("index.untag-all", INDEX, ui_change_untag_all, NULL, "untag every message"),
	A("index.tag-prefix", INDEX, ui_change_tag_prefix, NULL,
	  "apply the next action to the tagged messages"),

	A("pager.quit", PAGER, ui_pager_quit, NULL, "back to the message list"),
	A("pager.down", PAGER, ui_pager_down, NULL, "scroll one line down"),
	A("pager.up", PAGER, ui_pager_up, NULL, "scroll one line up"),
	A("pager.page-down", PAGER, ui_pager_page_down, NULL,
	  "one screen down (at the end: next message)"),
	A("pager.page-up", PAGER, ui_pager_page_up, NULL, "one screen up"),
	A("pager.top", PAGER, ui_pager_top, NULL, "top of the message"),
	A("pager.bottom", PAGER, ui_pager_bottom, NULL, "end of the message"),
	A("pager.next", PAGER, ui_pager_next, NULL, "next message, staying in the pager"),
	A("pager.prev", PAGER, ui_pager_prev, NULL, "previous message, staying in the pager"),
	A("pager.next-unread", PAGER, ui_pager_next_unread, NULL, "next unread message"),
	A("pager.headers", PAGER, ui_pager_headers, NULL, "show all headers, or the usual few"),
	A("pager.skip-quoted", PAGER, ui_pager_skip_quoted, NULL,
	  "skip past the quoted text below the top line"),
	A("pager.attachments", PAGER, ui_attach_open, NULL, "list the message's attachments"),
	A("pager.toggle-read", PAGER, ui_change_toggle_read, NULL,
	  "mark the message unread, or read again"),
	A("pager.flag", PAGER, ui_change_toggle_flag, NULL, "flag the message, or unflag it"),
	A("pager.delete", PAGER, ui_change_delete, NULL, "mark the message deleted"),
	A("pager.undelete", PAGER, ui_change_undelete, NULL, "take the deleted mark away"),
	A("pager.move", PAGER, ui_change_move, "FOLDER",
	  "move the message to another folder of its account (Tab completes)"),

	A("pager.source", PAGER, ui_pager_raw_toggle, NULL,
	  "show the message's source (escapes shown, not obeyed), or the message again"),
	A("pager.urls", PAGER, ui_urls_open, NULL, "list the message's links"),
	A("pager.pipe", PAGER, ui_pipe_message, "COMMAND",
	  "pipe the message (its source) into a shell command you type"),
	A("pager.reply", PAGER, ui_compose_reply, NULL, "reply to the sender"),
	A("pager.reply-all", PAGER, ui_compose_reply_all, NULL,
	  "reply to the sender and every other recipient"),
	A("pager.forward", PAGER, ui_compose_forward, NULL, "forward the message"),
	A("pager.resume", PAGER, ui_compose_resume, NULL,
	  "take a postponed draft up again (sending or postponing it replaces the old one)"),

	A("compose.send", COMPOSE, ui_compose_send, NULL,
	  "send the message (it goes into the queue; delivered in the background)"),
	A("compose.edit", COMPOSE, ui_compose_edit, NULL, "edit the draft again in $EDITOR"),
	A("compose.postpone", COMPOSE, ui_compose_postpone, NULL,
	  "keep the draft in the drafts folder for later"),
	A("compose.cancel", COMPOSE, ui_compose_cancel, NULL, "discard the draft (asks first)"),
	A("compose.attach", COMPOSE, ui_compose_attach, "FILE", "attach a file"),
	A("compose.detach", COMPOSE, ui_compose_detach, NULL,
	  "remove the attachment under the cursor (not the file)"),
	A("compose.next", COMPOSE, ui_compose_next, NULL, "next attachment"),
	A("compose.prev", COMPOSE, ui_compose_prev, NULL, "previous attachment"),
	A("compose.to", COMPOSE, ui_compose_to, NULL,
	  "edit To (Tab completes addresses from your mail)"),
	A("compose.cc", COMPOSE, ui_compose_cc, NULL,
	  "edit Cc (Tab completes addresses from your mail)"),
	A("compose.bcc", COMPOSE, ui_compose_bcc, NULL,
	  "edit Bcc (Tab completes addresses from your mail)"),
	A("compose.subject", COMPOSE, ui_compose_subject, NULL, "edit the subject"),

	A("queue.quit", QUEUE, ui_queue_quit, NULL, "leave the queue view"),
	A("queue.next", QUEUE, ui_queue_next, NULL, "next message"),
	A("queue.prev", QUEUE, ui_queue_prev, NULL, "previous message"),
	A("queue.retry", QUEUE, ui_queue_retry, NULL,
	  "try to send the message now (also one refused for good)"),
	A("queue.cancel", QUEUE, ui_queue_cancel, NULL,
	  "do not send the message; its text goes to the drafts folder (asks first)"),

	A("urls.next", URLS, ui_urls_next, NULL, "next link"),
	A("urls.prev", URLS, ui_urls_prev, NULL, "previous link"),
	A("urls.copy", URLS, ui_urls_copy, NULL,
	  "copy the link to the terminal's clipboard (OSC 52, works over SSH)"),
	A("urls.open", URLS, ui_urls_launch, NULL, "open the link with url-command"),
	A("urls.quit", URLS, ui_urls_quit, NULL, "back to the message"),

	A("attach.next", ATTACH, ui_attach_next, NULL, "next attachment"),
	A("attach.prev", ATTACH, ui_attach_prev, NULL, "previous attachment"),
	A("attach.save", ATTACH, ui_attach_save, "DIR",
	  "save the attachment into a folder (asks which; never overwrites silently)"),
	A("attach.pipe", ATTACH, ui_attach_pipe, "COMMAND",
	  "pipe the part, decoded, into a shell command you type"),
	A("attach.quit", ATTACH, ui_attach_quit, NULL, "back to the message"),

	A("help.quit", HELP, ui_help_quit, NULL, "close the help"),
	A("help.down", HELP, ui_help_down, NULL, "scroll one line down"),
	A("help.up", HELP, ui_help_up, NULL, "scroll one line up"),
	A("help.page-down", HELP, ui_help_page_down, NULL, "one screen down"),
	A("help.page-up", HELP, ui_help_page_up, NULL, "one screen up"),
};

const size_t ui_n_actions = ARRAY_SIZE(ui_actions);

const struct ui_action *ui_action_find(const char *name)
{
	for (size_t i = 0; i < ui_n_actions; i++)
		if (strcmp(ui_actions[i].name, name) == 0)
			return &ui_actions[i];
	return NULL;
}

void ui_action_run(struct ui *ui, const struct ui_action *a, int count, const char *arg)
{
	enum ui_ctx ctx = ui_app_context(ui);
	bool prefix;
	static const char *const where[UI_CTX__COUNT] = {
		[UI_CTX_INDEX] = "the message list",
		[UI_CTX_PAGER] = "the pager",
		[UI_CTX_FOLDERS] = "the folder sidebar",
		[UI_CTX_ATTACH] = "the attachment list",
		[UI_CTX_HELP] = "the help screen",
		[UI_CTX_URLS] = "the link list",
		[UI_CTX_COMPOSE] = "the compose screen",
		[UI_CTX_QUEUE] = "the queue view",
	};

	/* the sidebar's own actions work whenever it is shown */
	if (a->ctx != UI_CTX_GLOBAL && a->ctx != ctx &&
	    !(a->ctx == UI_CTX_FOLDERS && ui->sidebar_shown)) {
		ui_message(ui, true, "%s works in %s", a->name, where[a->ctx]);
		return;
	}
	/* the tag prefix (;) lasts for one action */
	prefix = ui->tag_prefix;
	a->fn(ui, count, arg);
	if (prefix && a->fn != ui_change_tag_prefix)
		ui->tag_prefix = false;
}
