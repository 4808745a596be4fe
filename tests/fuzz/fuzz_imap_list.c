/*
 * An IMAP server's LIST answer through petrel's folder handling
 * (src/imap/folders.c): libetpan parses the response (not our code, and not
 * instrumented, so the fuzzer learns little about it); petrel maps names to
 * store folders, delimiters, \Noselect and SPECIAL-USE.  Every folder it
 * keeps must have a name the store accepts.  The first byte of the input
 * picks the read size; the rest is what the server says.
 *
 * The stream goes through petrel's guard layer (src/net/guard.c), as on a
 * real connection: libetpan 1.9.4 dereferences NULL on a status response
 * with the ALERT or PARSE code and no text ("A1 NO [ALERT]" CRLF), and the
 * guard is what keeps such input away from it (regressions/imap_list).
 */
#include "imap/private.h"
#include "mime/mime.h"
#include "store/store.h"
#include "tests/fuzz/memstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_session s = { 0 };
	struct imap_folder *v = NULL;
	size_t n = 0;
	char *cause = NULL;

	if (size < 1)
		return 0;
	s.imap = mailimap_new(0, NULL);
	s.imap->imap_stream = fuzz_mem_stream(data + 1, size - 1, 1 + data[0] * 17);
	net_stream_guard(s.imap->imap_stream);
	s.imap->imap_state = MAILIMAP_STATE_AUTHENTICATED;
	s.url.host = (char *)"imap.fuzz";
	s.usable = true;
	if (imap_list_folders(&s, &v, &n, &cause) == 0) {
		for (size_t i = 0; i < n; i++) {
			char *why = NULL;
			if (!store_folder_valid(v[i].local, &why))
				abort();
		}
		imap_folders_free(&v, n);
	} else {
		char *safe = sanitize_line(cause);
		fuzz_check_terminal_safe(safe, strlen(safe), false);
		free(safe);
		free(cause);
	}
	mailimap_free(s.imap);
	return 0;
}
