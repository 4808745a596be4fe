/*
 * The help screen, generated from the action table: one line per action
 * with the keys the loaded keymaps bind to it, its name (what ":" takes)
 * and its one line of help, grouped by where it works.  Problems found in
 * the keymap and theme files are listed first.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "ui/private.h"

struct help_line {
	char *text;
	enum ui_el el;
};

struct ui_help {
	struct help_line *v;
	size_t n, cap, top;
	enum ui_view back;
};

void ui_help_new(struct ui *ui)
{
	ui->help = xcalloc(1, sizeof(*ui->help));
}

static void help_clear(struct ui_help *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i].text);
	h->n = 0;
}

void ui_help_free(struct ui *ui)
{
	if (!ui->help)
		return;
	help_clear(ui->help);
	free(ui->help->v);
	FREE_NULL(ui->help);
}

static void help_add(struct ui_help *h, enum ui_el el, char *text)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	h->v[h->n++] = (struct help_line){ text, el };
}

static void help_build(struct ui *ui)
{
	static const char *const titles[UI_CTX__COUNT] = {
		[UI_CTX_GLOBAL] = "Everywhere",
		[UI_CTX_FOLDERS] = "Folder sidebar",
		[UI_CTX_INDEX] = "Message list",
		[UI_CTX_PAGER] = "Pager",
		[UI_CTX_ATTACH] = "Attachment list",
		[UI_CTX_HELP] = "This help",
		[UI_CTX_URLS] = "Link list",
		[UI_CTX_COMPOSE] = "Compose (the review screen)",
		[UI_CTX_QUEUE] = "Send queue",
	};
	static const enum ui_ctx order[] = { UI_CTX_GLOBAL, UI_CTX_FOLDERS, UI_CTX_INDEX,
					     UI_CTX_PAGER, UI_CTX_ATTACH, UI_CTX_URLS,
					     UI_CTX_COMPOSE, UI_CTX_QUEUE, UI_CTX_HELP };
	struct ui_help *h = ui->help;
	int kw = 4;

	/* the keys column as wide as the widest, within reason */
	for (size_t i = 0; i < ui_n_actions; i++) {
		char keys[128] = "";
		ui_keymap_describe(&ui->keymap, &ui_actions[i], keys, sizeof(keys));
		if ((int)strlen(keys) > kw)
			kw = (int)strlen(keys);
	}
	if (kw > 24)
		kw = 24;
	help_clear(h);
	help_add(h, UI_EL_HELP_SECTION, xstrdup("petrel keys (q closes; a count before a "
						"key repeats it: 5j)"));
	for (size_t i = 0; i < ui->keymap.n_problems; i++) {
		/* wrapped: the file name and line must show whole */
		char *p = xasprintf("problem: %s", ui->keymap.problems[i]);
		size_t len = strlen(p), off = 0;
		int w = ui->main_w > 10 ? ui->main_w : 10;
		while (off < len) {
			size_t fit = ui_text_fit(p + off, len - off, off ? w - 2 : w);
			if (fit == 0)
				break;
			help_add(h, UI_EL_ERROR, xasprintf("%s%.*s", off ? "  " : "", (int)fit,
							   p + off));
			off += fit;
		}
		free(p);
	}
	for (size_t o = 0; o < ARRAY_SIZE(order); o++) {
		help_add(h, UI_EL_NORMAL, xstrdup(""));
		help_add(h, UI_EL_HELP_SECTION, xstrdup(titles[order[o]]));
		for (size_t i = 0; i < ui_n_actions; i++) {
			const struct ui_action *a = &ui_actions[i];
			char keys[128] = "";

			if (a->ctx != order[o])
				continue;
			ui_keymap_describe(&ui->keymap, a, keys, sizeof(keys));
			if ((int)strlen(keys) > kw)
				snprintf(keys + kw - 3, sizeof(keys) - (size_t)kw + 3, "...");
			help_add(h, UI_EL_NORMAL, xasprintf("  %-*s  %-21s %s", kw,
							    *keys ? keys : "-", a->name, a->help));
		}
	}
}

void ui_help_open(struct ui *ui, int count, const char *arg)
{
	struct ui_help *h = ui->help;

	if (ui->view == UI_VIEW_HELP)
		return;
	h->back = ui->view;
	h->top = 0;
	help_build(ui);
	ui_app_show(ui, UI_VIEW_HELP);
}

void ui_help_quit(struct ui *ui, int count, const char *arg)
{
	ui_app_show(ui, ui->help->back);
}

void ui_help_draw(struct ui *ui)
{
	struct ui_help *h = ui->help;

	for (int y = 0; y < ui->main_h; y++) {
		size_t i = h->top + (size_t)y;
		if (i >= h->n) {
			ui_draw_fill(ui->main_y + y, ui->main_x, ui->main_w,
				     ui_theme_attr(UI_EL_NORMAL));
			continue;
		}
		ui_draw_str(ui->main_y + y, ui->main_x, ui->main_w, h->v[i].text,
			    ui_theme_attr(h->v[i].el), true);
	}
}

static void help_scroll(struct ui *ui, long by)
{
	struct ui_help *h = ui->help;
	long max = (long)h->n - (ui->main_h > 0 ? ui->main_h : 1), top = (long)h->top + by;

	if (max < 0)
		max = 0;
	h->top = (size_t)(top < 0 ? 0 : top > max ? max : top);
	ui->dirty |= UI_DIRTY_MAIN;
}

void ui_help_down(struct ui *ui, int count, const char *arg)
{
	help_scroll(ui, count ? count : 1);
}

void ui_help_up(struct ui *ui, int count, const char *arg)
{
	help_scroll(ui, -(count ? count : 1));
}

void ui_help_page_down(struct ui *ui, int count, const char *arg)
{
	help_scroll(ui, (ui->main_h > 1 ? ui->main_h - 1 : 1) * (count ? count : 1));
}

void ui_help_page_up(struct ui *ui, int count, const char *arg)
{
	help_scroll(ui, -(ui->main_h > 1 ? ui->main_h - 1 : 1) * (count ? count : 1));
}
