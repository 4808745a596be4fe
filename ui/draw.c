/*
 * Safe drawing: the only code that puts text on the screen.  Text arrives
 * already sanitized (mime's sanitizer took out every control and escape);
 * here it is measured with wcwidth so wide characters (CJK, emoji) keep
 * columns aligned, clipped to the space given and never wrapped by curses.
 * A character the locale cannot show is drawn as '?', so nothing here ever
 * emits a byte curses would pass through raw.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mime/mime.h"
#include "ui/private.h"

size_t ui_utf8_next(const char *s, size_t len, wchar_t *wc)
{
	uint32_t c;
	size_t n = util_utf8_decode((const unsigned char *)s, len, &c);

	if (n == 0) {
		*wc = 0xFFFD;  /* one bad byte at a time */
		return 1;
	}
	*wc = (wchar_t)c;
	return n;
}

int ui_char_width(wchar_t wc)
{
	int w;

	if (wc < 0x20 || wc == 0x7f)
		return 1;  /* drawn as '?': the sanitizer should have left none */
	w = wcwidth(wc);
	return w < 0 ? 1 : w;
}

/* The character as drawn: itself if the locale can show it, else '?'. */
static wchar_t ui_draw_visible(wchar_t wc)
{
	if (wc < 0x20 || wc == 0x7f || (wc >= 0x80 && wc < 0xa0) || wcwidth(wc) < 0)
		return L'?';
	return wc;
}

int ui_text_width(const char *s, size_t len)
{
	int w = 0;
	wchar_t wc;

	for (size_t i = 0; i < len;) {
		i += ui_utf8_next(s + i, len - i, &wc);
		w += ui_char_width(wc);
	}
	return w;
}

size_t ui_text_fit(const char *s, size_t len, int width)
{
	int w = 0;
	size_t i = 0;
	wchar_t wc;

	while (i < len) {
		size_t n = ui_utf8_next(s + i, len - i, &wc);
		int cw = ui_char_width(wc);
		if (w + cw > width)
			break;
		w += cw;
		i += n;
	}
	return i;
}

void ui_draw_fill(int y, int x, int width, attr_t attr)
{
	if (width <= 0 || y < 0 || y >= LINES || x >= COLS)
		return;
	if (x + width > COLS)
		width = COLS - x;
	attrset(attr);
	mvhline(y, x, ' ', width);
}

int ui_draw_text(int y, int x, int width, const char *s, size_t len, attr_t attr, bool pad)
{
	wchar_t buf[256];
	int used = 0, nbuf = 0;
	wchar_t wc;

	if (y < 0 || y >= LINES || x < 0 || x >= COLS || width <= 0)
		return 0;
	if (x + width > COLS)
		width = COLS - x;
	attrset(attr);
	/* blank the span first: curses loses a character written over the
	 * middle of a wide one left from the previous frame */
	mvhline(y, x, ' ', width);
	move(y, x);
	for (size_t i = 0; i < len;) {
		size_t n = ui_utf8_next(s + i, len - i, &wc);
		wchar_t v = ui_draw_visible(wc);
		int cw = v == L'?' && v != wc ? 1 : ui_char_width(wc);

		if (cw == 0 && nbuf == 0 && used == 0) {
			i += n;   /* a combining mark with nothing to combine with */
			continue;
		}
		if (used + cw > width)
			break;
		buf[nbuf++] = v;
		used += cw;
		i += n;
		if (nbuf == (int)ARRAY_SIZE(buf) - 1) {
			addnwstr(buf, nbuf);
			nbuf = 0;
		}
	}
	if (nbuf)
		addnwstr(buf, nbuf);
	if (pad && used < width) {
		mvhline(y, x + used, ' ', width - used);
		used = width;
	}
	return used;
}

int ui_draw_str(int y, int x, int width, const char *s, attr_t attr, bool pad)
{
	return ui_draw_text(y, x, width, s ? s : "", s ? strlen(s) : 0, attr, pad);
}

char *ui_header_text(const char *raw)
{
	char *dec, *safe;

	if (!raw)
		return xstrdup("");
	dec = mime_decode_header(raw);
	safe = sanitize(dec, strlen(dec), SANITIZE_NO_TABS);
	free(dec);
	return safe;
}

char *ui_from_name(const char *raw)
{
	char *full = ui_header_text(raw), *lt, *name, *out;
	size_t n;

	lt = strrchr(full, '<');
	if (!lt)
		return full;
	name = full;
	n = (size_t)(lt - full);
	while (n && name[n - 1] == ' ')
		n--;
	while (n && *name == ' ') {
		name++;
		n--;
	}
	if (n >= 2 && name[0] == '"' && name[n - 1] == '"') {
		name++;
		n -= 2;
	}
	if (n == 0) {   /* "<addr>" alone: the address */
		char *gt = strchr(lt, '>');
		out = xstrndup(lt + 1, gt ? (size_t)(gt - lt - 1) : strlen(lt + 1));
		free(full);
		return out;
	}
	out = xstrndup(name, n);
	free(full);
	return out;
}

const char *ui_size_text(unsigned long long n, char buf[16])
{
	static const char units[] = "KMGT";

	if (n < 1000) {
		snprintf(buf, 16, "%llu", n);
		return buf;
	}
	double v = (double)n;
	size_t u = 0;
	v /= 1024;
	while (v >= 999.5 && u < sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	if (v < 9.95)
		snprintf(buf, 16, "%.1f%c", v, units[u]);
	else
		snprintf(buf, 16, "%.0f%c", v, units[u]);
	return buf;
}
