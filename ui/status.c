/*
 * The status line (what is shown, where the cursor is, the current
 * account's sync state and the bytes moved this session, for the user on a
 * slow link) and under it the message line (errors in plain words, hints).
 * While a prompt is open the message line belongs to cmdline.c.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/net.h"
#include "ui/private.h"

static void status_sync(struct ui *ui, char *buf, size_t size)
{
	long i = ui_index_account(ui);
	const struct ui_account *acc = i >= 0 ? &ui->accounts[i] : NULL;
	char in[16], out[16];
	size_t len = 0;

	buf[0] = '\0';
	if (acc && acc->offline)
		len = (size_t)snprintf(buf, size, "offline  ");
	if (acc && acc->sync != UI_SYNC_IDLE && len < size)
		len += (size_t)snprintf(buf + len, size - len, "%s%s%s  ",
				       acc->sync == UI_SYNC_RUNNING ? "syncing " : "",
				       acc->sync == UI_SYNC_FAILED ? "sync failed: " : "",
				       acc->sync_text ? acc->sync_text : "");
	else if (acc && acc->watch_cmd && acc->watch_text && len < size)
		len += (size_t)snprintf(buf + len, size - len, "%.36s  ", acc->watch_text);
	if (ui_queue_count(ui) && len < size)
		len += (size_t)snprintf(buf + len, size - len, "%u to send  ", ui_queue_count(ui));
	if (len >= size)
		len = size - 1;
	snprintf(buf + len, size - len, "%s in %s out ",
		 ui_size_text(net_bytes_in(), in), ui_size_text(net_bytes_out(), out));
}

void ui_status_draw(struct ui *ui)
{
	char left[1024], right[512], keys[64] = "";
	attr_t at = ui_theme_attr(UI_EL_STATUS);
	int rw;

	if (ui->status_y >= 0) {
		switch (ui->view) {
		case UI_VIEW_INDEX: ui_index_describe(ui, left, sizeof(left)); break;
		case UI_VIEW_PAGER: ui_pager_describe(ui, left, sizeof(left)); break;
		case UI_VIEW_ATTACH: snprintf(left, sizeof(left), "attachments"); break;
		case UI_VIEW_HELP: snprintf(left, sizeof(left), "help"); break;
		case UI_VIEW_URLS: snprintf(left, sizeof(left), "links"); break;
		case UI_VIEW_COMPOSE: ui_compose_describe(ui, left, sizeof(left)); break;
		case UI_VIEW_QUEUE: ui_queue_describe(ui, left, sizeof(left)); break;
		}
		if (ui->count || ui->n_pending) {
			size_t len = 0;
			if (ui->count)
				len = (size_t)snprintf(keys, sizeof(keys), "%d", ui->count);
			for (int k = 0; k < ui->n_pending && len < sizeof(keys) - 1; k++) {
				char name[32];
				len += (size_t)snprintf(keys + len, sizeof(keys) - len, "%s",
							ui_key_name(ui->pending[k], name,
								    sizeof(name)));
			}
		}
		status_sync(ui, right, sizeof(right));
		rw = ui_text_width(right, strlen(right));
		if (rw > ui->cols / 2)
			rw = 0;
		ui_draw_str(ui->status_y, 0, 1, " ", at, true);
		ui_draw_str(ui->status_y, 1, ui->cols - 1 - rw - (rw ? 1 : 0), left, at, true);
		if (rw)
			ui_draw_fill(ui->status_y, ui->cols - rw - 1, 1, at);
		if (*keys) {
			int kw = (int)strlen(keys) + 2;
			if (ui->cols - rw - kw > 1)
				ui_draw_str(ui->status_y, ui->cols - rw - kw, kw, keys, at, true);
		}
		if (rw)
			ui_draw_str(ui->status_y, ui->cols - rw, rw, right, at, true);
	}
	if (ui->msg_y >= 0 && !ui_cmdline_active(ui))
		ui_draw_str(ui->msg_y, 0, ui->cols, ui->message ? ui->message : "",
			    ui_theme_attr(ui->message_error ? UI_EL_ERROR : UI_EL_MESSAGE), true);
}
