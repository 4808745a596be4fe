/*
 * The attachment list of the message in the pager: every part that holds
 * content, with its type, size and (sanitized) file name, and saving one
 * into a folder the user names.  Saving goes through mime_save_part, which
 * makes the name safe and never writes outside the folder; a file that is
 * already there is replaced only after the user says yes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "mime/mime.h"
#include "ui/private.h"

struct ui_attach {
	size_t cursor, top;   /* cursor is 0-based; parts are numbered from 1 */
	char *last_dir;
	int saving;           /* part waiting for the overwrite answer */
	char *saving_dir;
};

void ui_attach_new(struct ui *ui)
{
	ui->attach = xcalloc(1, sizeof(*ui->attach));
}

void ui_attach_free(struct ui *ui)
{
	if (!ui->attach)
		return;
	free(ui->attach->last_dir);
	free(ui->attach->saving_dir);
	FREE_NULL(ui->attach);
}

static size_t attach_count(struct ui *ui)
{
	struct mime_message *m = ui_pager_message(ui);

	return m ? mime_part_count(m) : 0;
}

void ui_attach_open(struct ui *ui, int count, const char *arg)
{
	if (attach_count(ui) == 0) {
		ui_message(ui, false, "this message has no parts to list");
		return;
	}
	ui->attach->cursor = ui->attach->top = 0;
	/* start on the first real attachment, not the body text */
	for (size_t i = 0; i < attach_count(ui); i++) {
		struct mime_part_info info;
		if (mime_part_info(ui_pager_message(ui), (int)i + 1, &info) && info.is_attachment) {
			ui->attach->cursor = i;
			break;
		}
	}
	ui_app_show(ui, UI_VIEW_ATTACH);
}

void ui_attach_quit(struct ui *ui, int count, const char *arg)
{
	ui_app_show(ui, UI_VIEW_PAGER);
}

void ui_attach_draw(struct ui *ui)
{
	struct ui_attach *a = ui->attach;
	struct mime_message *m = ui_pager_message(ui);
	size_t n = attach_count(ui), h = ui->main_h > 1 ? (size_t)ui->main_h - 1 : 0;

	ui_draw_str(ui->main_y, ui->main_x, ui->main_w,
		    "Parts of this message (s saves one, q goes back):",
		    ui_theme_attr(UI_EL_HELP_SECTION), true);
	if (a->cursor < a->top)
		a->top = a->cursor;
	if (h && a->cursor >= a->top + h)
		a->top = a->cursor - h + 1;
	for (size_t y = 0; y < h; y++) {
		size_t i = a->top + y;
		struct mime_part_info info;
		char line[512], size[16], *name;
		attr_t at = i == a->cursor ? ui_theme_attr(UI_EL_CURSOR)
					   : ui_theme_attr(UI_EL_NORMAL);

		if (i >= n || !m || !mime_part_info(m, (int)i + 1, &info)) {
			ui_draw_fill(ui->main_y + 1 + (int)y, ui->main_x, ui->main_w,
				     ui_theme_attr(UI_EL_NORMAL));
			continue;
		}
		name = info.filename ? sanitize_line(info.filename) : xstrdup("");
		snprintf(line, sizeof(line), " [%d] %-28s %6s  %s%s", info.index, info.type,
			 ui_size_text(info.size, size), name,
			 info.is_attachment ? "" : (info.filename ? "" : "(inline)"));
		ui_draw_str(ui->main_y + 1 + (int)y, ui->main_x, ui->main_w, line, at, true);
		free(name);
	}
}

void ui_attach_next(struct ui *ui, int count, const char *arg)
{
	size_t n = attach_count(ui), by = (size_t)(count ? count : 1);

	ui->attach->cursor = ui->attach->cursor + by < n ? ui->attach->cursor + by
							 : (n ? n - 1 : 0);
	ui->dirty |= UI_DIRTY_MAIN;
}

void ui_attach_prev(struct ui *ui, int count, const char *arg)
{
	size_t by = (size_t)(count ? count : 1);

	ui->attach->cursor = ui->attach->cursor > by ? ui->attach->cursor - by : 0;
	ui->dirty |= UI_DIRTY_MAIN;
}

static void attach_write(struct ui *ui, int index, const char *dir, bool force)
{
	char *saved = NULL, *cause = NULL, *safe;
	struct mime_message *m = ui_pager_message(ui);

	if (!m)
		return;
	if (mime_save_part(m, index, dir, force, &saved, &cause) < 0) {
		safe = sanitize_line(cause ? cause : "cannot save");
		ui_message(ui, true, "not saved: %s", safe);
	} else {
		safe = sanitize_line(saved);
		ui_message(ui, false, "saved %s", safe);
	}
	free(safe);
	free(saved);
	free(cause);
}

static void attach_overwrite(struct ui *ui, const char *answer, void *arg)
{
	struct ui_attach *a = ui->attach;

	if (answer && strcmp(answer, "y") == 0 && a->saving_dir)
		attach_write(ui, a->saving, a->saving_dir, true);
	else
		ui_message(ui, false, "not saved");
	FREE_NULL(a->saving_dir);
}

static void attach_save_to(struct ui *ui, const char *text, void *arg)
{
	struct ui_attach *a = ui->attach;
	struct mime_message *m = ui_pager_message(ui);
	struct mime_part_info info;
	struct stat st;
	char *dir, *name, *path, *q, *safe;
	int index = (int)a->cursor + 1;

	if (!m || !mime_part_info(m, index, &info))
		return;
	if (!text || !*text)
		text = ".";
	dir = config_expand_path(text);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		safe = sanitize_line(dir);
		ui_message(ui, true, "not saved: %s is not a folder", safe);
		free(safe);
		free(dir);
		return;
	}
	xstrset(&a->last_dir, text);
	name = mime_safe_filename(info.filename, index);
	path = xasprintf("%s/%s", dir, name);
	if (lstat(path, &st) == 0) {
		safe = sanitize_line(path);
		q = xasprintf("%s exists; overwrite it? (y/n) ", safe);
		a->saving = index;
		xstrset(&a->saving_dir, dir);
		ui_cmdline_confirm(ui, q, attach_overwrite, NULL, false);
		free(q);
		free(safe);
	} else {
		attach_write(ui, index, dir, false);
	}
	free(path);
	free(name);
	free(dir);
}

void ui_attach_save(struct ui *ui, int count, const char *arg)
{
	struct ui_attach *a = ui->attach;
	char cwd[4096];

	if (!attach_count(ui))
		return;
	if (arg) {
		attach_save_to(ui, arg, NULL);
		return;
	}
	if (!a->last_dir && getcwd(cwd, sizeof(cwd)))
		a->last_dir = xstrdup(cwd);
	ui_cmdline_prompt(ui, "Save into folder: ", a->last_dir, NULL, attach_save_to, NULL,
			  false);
}

void ui_attach_pipe(struct ui *ui, int count, const char *arg)
{
	if (attach_count(ui) == 0)
		return;
	ui_pipe_part(ui, (int)ui->attach->cursor + 1, arg);
}
