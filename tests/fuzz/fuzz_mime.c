/*
 * A whole message through src/mime: parse, render (the usual headers and all
 * of them), the notes, every leaf part's info and decoded bytes, the safe
 * file name of each attachment, and the header summary the index uses.  The
 * rendered text must be safe for a terminal (common.h), and so must every
 * header of the summary once sanitized.
 */
#include "mime/mime.h"
#include "tests/fuzz/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const char *s)
{
	if (s) {
		char *safe = sanitize_line(s);
		fuzz_check_terminal_safe(safe, strlen(safe), false);
		free(safe);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_message *m = mime_parse((const char *)data, size);
	struct mime_summary sum;
	size_t n;

	for (unsigned flags = 0; flags <= MIME_RENDER_ALL_HEADERS; flags++) {
		char *text = mime_render(m, flags);
		fuzz_check_terminal_safe(text, strlen(text), true);
		free(text);
	}
	for (size_t i = 0; i < mime_note_count(m); i++)
		check_field(mime_note(m, i));
	n = mime_part_count(m);
	for (int i = 1; i <= (int)n + 1; i++) {
		struct mime_part_info info;
		size_t len = 0;
		char *bytes, *name;

		if (!mime_part_info(m, i, &info))
			continue;
		bytes = mime_part_decode(m, i, &len);
		if (!bytes || bytes[len] != '\0')
			abort();
		free(bytes);
		name = mime_safe_filename(info.filename, i);
		if (!*name || strchr(name, '/'))
			abort();
		free(name);
	}
	mime_message_free(&m);

	mime_headers_summary((const char *)data, size, &sum);
	check_field(sum.from);
	check_field(sum.to);
	check_field(sum.cc);
	check_field(sum.subject);
	check_field(sum.message_id);
	for (size_t i = 0; i < sum.n_references; i++)
		check_field(sum.references[i]);
	mime_summary_release(&sum);
	return 0;
}
