/*
 * The theme loader of the TUI (ui/theme.c, linked in from ui/) on any file
 * text, as on a monochrome terminal (colours need a screen that a fuzzer
 * does not have; the parsing is the same).  Its problems are shown in the
 * TUI and must be terminal-safe.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/common.h"
#include "ui/private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], **problems = NULL;
	size_t n = 0;
	int fd = memfd_create("fuzz", 0);

	if (fd < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ui_theme_load(path, false, &problems, &n);
	close(fd);
	for (size_t i = 0; i < n; i++) {
		fuzz_check_terminal_safe(problems[i], strlen(problems[i]), false);
		free(problems[i]);
	}
	free(problems);
	for (int el = 0; el < UI_EL__COUNT; el++)
		(void)ui_theme_attr((enum ui_el)el);
	return 0;
}
