/*
 * The keymap loader of the TUI (ui/keymap.c, linked in from ui/): any file
 * text, then a lookup of the sequences it might bind and the help text for
 * every action.  Problems it records are shown in the TUI: they must be
 * terminal-safe.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/common.h"
#include "ui/private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A path that reads as data[0..size): a memfd, as the loaders take paths. */
static int fuzz_memfile(const uint8_t *data, size_t size, char path[64])
{
	int fd = memfd_create("fuzz", 0);

	if (fd < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ui_keymap km = { 0 };
	char path[64], buf[256];
	int fd = fuzz_memfile(data, size, path);

	ui_keymap_load(&km, path);
	close(fd);
	for (size_t i = 0; i < km.n_problems; i++)
		fuzz_check_terminal_safe(km.problems[i], strlen(km.problems[i]), false);
	for (size_t i = 0; i < km.n; i++) {
		const struct ui_action *a = NULL;
		(void)ui_keymap_lookup(&km, km.v[i].ctx, km.v[i].keys, km.v[i].n, &a);
		for (int k = 0; k < km.v[i].n; k++)
			(void)ui_key_name(km.v[i].keys[k], buf, sizeof(buf));
	}
	for (size_t i = 0; i < ui_n_actions; i++)
		ui_keymap_describe(&km, &ui_actions[i], buf, sizeof(buf));
	ui_keymap_release(&km);
	return 0;
}
