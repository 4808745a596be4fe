/*
 * HTML to text (src/mime/html.c, entities in htmlent.c) and format=flowed
 * (flowed.c), the two body converters that read message text themselves;
 * what they produce is sanitized before display, and must then be safe.
 */
#include "mime/private.h"
#include "tests/fuzz/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(struct strbuf *sb)
{
	char *safe = sanitize(sb->buf ? sb->buf : "", sb->len, SANITIZE_MULTILINE);
	fuzz_check_terminal_safe(safe, strlen(safe), true);
	free(safe);
	strbuf_release(sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf sb = STRBUF_INIT;
	char *meta;

	mime_html_to_text(&sb, (const char *)data, size);
	check(&sb);
	meta = mime_html_meta_charset((const char *)data, size);
	free(meta);
	mime_flowed_decode(&sb, (const char *)data, size, size & 1);
	check(&sb);
	return 0;
}
