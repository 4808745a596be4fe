/* Unit tests for attachment file names and saving (src/mime/save.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mime/mime.h"

static void check_name(const char *in, int index, const char *want)
{
	char *got = mime_safe_filename(in, index);

	assert_string_equal(got, want);
	free(got);
}

static void test_safe_filename(void **state)
{
	(void)state;
	check_name("report.pdf", 1, "report.pdf");
	check_name("../../etc/passwd", 1, "etc_passwd");
	check_name("/etc/passwd", 1, "etc_passwd");
	check_name("..\\..\\win.ini", 1, "win.ini");
	check_name("C:\\Windows\\evil.exe", 1, "C:_Windows_evil.exe");
	check_name(".bashrc", 1, "bashrc");
	check_name("-rf", 1, "rf");
	check_name("--help.txt", 1, "help.txt");
	check_name(" - .x", 1, "x");
	check_name("a\x1b[31mb\n.txt", 1, "a_[31mb_.txt");
	check_name("tab\there", 1, "tab_here");
	check_name("\xc2\x9bx", 1, "x");  /* C1 CSI */
	/* bidi override and invisible characters are dropped, so the real
	 * extension shows */
	check_name("evil\xe2\x80\xae" "fdp.exe", 1, "evilfdp.exe");
	check_name("a\xe2\x80\x8b" "b\xef\xbb\xbf" "c\xe2\x81\xa6.txt", 1, "abc.txt");
	check_name("\xff\xfe.txt", 1, "txt");
	check_name("name.  ", 1, "name");
	check_name("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.txt", 1, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.txt");
	check_name("", 3, "part-3");
	check_name(NULL, 3, "part-3");
	check_name("...", 3, "part-3");
	check_name("/", 7, "part-7");
	check_name("\xe2\x80\xae", 2, "part-2");
}

static void test_safe_filename_long(void **state)
{
	char in[1024], *got;

	(void)state;
	memset(in, 'a', 300);
	strcpy(in + 300, ".pdf");
	got = mime_safe_filename(in, 1);
	assert_int_equal(strlen(got), 100);
	assert_string_equal(got + 96, ".pdf");
	free(got);

	/* two-byte characters: cut on a character boundary, extension kept */
	in[0] = '\0';
	for (int i = 0; i < 200; i++)
		strcat(in, "\xc3\xa9");
	strcat(in, ".txt");
	got = mime_safe_filename(in, 1);
	assert_true(strlen(got) <= 100);
	assert_string_equal(got + strlen(got) - 4, ".txt");
	assert_int_equal((strlen(got) - 4) % 2, 0);
	for (size_t i = 0; i + 4 < strlen(got); i += 2)
		assert_memory_equal(got + i, "\xc3\xa9", 2);
	free(got);

	/* a long "extension" is not one */
	memset(in, 'b', 50);
	in[50] = '.';
	memset(in + 51, 'c', 200);
	in[251] = '\0';
	got = mime_safe_filename(in, 1);
	assert_int_equal(strlen(got), 100);
	free(got);
}

static const char msg[] =
	"Subject: files\nContent-Type: multipart/mixed; boundary=b\n\n"
	"--b\n\nbody\n"
	"--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=report.pdf\n"
	"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
	"--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=\"../../escape.txt\"\n\n"
	"escaped?\n"
	"--b\nContent-Type: application/octet-stream\n\nnameless\n"
	"--b--\n";

struct save_env {
	char dir[256];
	char outside[256];
	struct mime_message *m;
};

static int save_setup(void **state)
{
	struct save_env *e = calloc(1, sizeof(*e));
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(e->dir, sizeof(e->dir), "%s/petrel-save-XXXXXX", tmp);
	snprintf(e->outside, sizeof(e->outside), "%s/petrel-outside-XXXXXX", tmp);
	if (!mkdtemp(e->dir) || !mkdtemp(e->outside))
		return -1;
	e->m = mime_parse(msg, sizeof(msg) - 1);
	*state = e;
	return 0;
}

static void save_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char p[512];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int save_teardown(void **state)
{
	struct save_env *e = *state;

	save_rmdir(e->dir);
	save_rmdir(e->outside);
	mime_message_free(&e->m);
	free(e);
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f)
		return NULL;
	buf = calloc(1, 4096);
	*len = fread(buf, 1, 4095, f);
	fclose(f);
	return buf;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void test_save(void **state)
{
	struct save_env *e = *state;
	char *path = NULL, *cause = NULL, *data, want[512];
	size_t len;

	assert_int_equal(mime_save_part(e->m, 2, e->dir, false, &path, &cause), 0);
	assert_null(cause);
	snprintf(want, sizeof(want), "%s/report.pdf", e->dir);
	assert_string_equal(path, want);
	data = slurp(path, &len);
	assert_int_equal(len, 9);
	assert_memory_equal(data, "%PDF-1.4\n", 9);
	free(data);
	free(path);

	/* again: refused, naming the file */
	assert_int_equal(mime_save_part(e->m, 2, e->dir, false, &path, &cause), -1);
	assert_null(path);
	assert_non_null(strstr(cause, "report.pdf already exists"));
	free(cause);

	/* with force: replaced */
	assert_int_equal(mime_save_part(e->m, 2, e->dir, true, &path, &cause), 0);
	free(path);

	/* a traversal name lands inside the folder */
	assert_int_equal(mime_save_part(e->m, 3, e->dir, false, &path, &cause), 0);
	snprintf(want, sizeof(want), "%s/escape.txt", e->dir);
	assert_string_equal(path, want);
	free(path);

	/* no name: part-N */
	assert_int_equal(mime_save_part(e->m, 4, e->dir, false, NULL, NULL), 0);
	snprintf(want, sizeof(want), "%s/part-4", e->dir);
	data = slurp(want, &len);
	assert_non_null(data);
	assert_string_equal(data, "nameless");
	free(data);

	/* nothing else was left behind (no temporary files) */
	assert_int_equal(count_entries(e->dir), 3);
}

static void test_save_symlink(void **state)
{
	struct save_env *e = *state;
	char link[512], target[512], *cause = NULL, *data;
	size_t len;
	struct stat st;
	FILE *f;

	/* a symlink named like the attachment, pointing outside the folder */
	snprintf(target, sizeof(target), "%s/victim", e->outside);
	f = fopen(target, "w");
	fputs("precious", f);
	fclose(f);
	snprintf(link, sizeof(link), "%s/report.pdf", e->dir);
	assert_int_equal(symlink(target, link), 0);

	assert_int_equal(mime_save_part(e->m, 2, e->dir, false, NULL, &cause), -1);
	assert_non_null(strstr(cause, "already exists"));
	free(cause);
	/* even with force the link is replaced, never followed */
	assert_int_equal(mime_save_part(e->m, 2, e->dir, true, NULL, &cause), 0);
	data = slurp(target, &len);
	assert_string_equal(data, "precious");
	free(data);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* a dangling link to a file that does not exist yet */
	snprintf(target, sizeof(target), "%s/created", e->outside);
	snprintf(link, sizeof(link), "%s/escape.txt", e->dir);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(mime_save_part(e->m, 3, e->dir, false, NULL, &cause), -1);
	free(cause);
	assert_int_equal(access(target, F_OK), -1);
}

static void test_save_errors(void **state)
{
	struct save_env *e = *state;
	char *cause = NULL, sub[512];

	assert_int_equal(mime_save_part(e->m, 9, e->dir, false, NULL, &cause), -1);
	assert_string_equal(cause, "there is no part 9 (the message has 4)");
	free(cause);
	assert_int_equal(mime_save_part(e->m, 0, e->dir, false, NULL, NULL), -1);

	snprintf(sub, sizeof(sub), "%s/missing", e->dir);
	assert_int_equal(mime_save_part(e->m, 2, sub, false, NULL, &cause), -1);
	assert_non_null(strstr(cause, "cannot open the folder"));
	free(cause);

	/* a directory in the way is not replaced, even with force */
	snprintf(sub, sizeof(sub), "%s/report.pdf", e->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mime_save_part(e->m, 2, e->dir, true, NULL, &cause), -1);
	assert_non_null(strstr(cause, "cannot save report.pdf"));
	free(cause);
	rmdir(sub);
	assert_int_equal(count_entries(e->dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safe_filename),
		cmocka_unit_test(test_safe_filename_long),
		cmocka_unit_test_setup_teardown(test_save, save_setup, save_teardown),
		cmocka_unit_test_setup_teardown(test_save_symlink, save_setup, save_teardown),
		cmocka_unit_test_setup_teardown(test_save_errors, save_setup, save_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
