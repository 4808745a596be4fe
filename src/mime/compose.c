/*
 * PLACEHOLDER until the compose work lands: passes the draft through.
 */
#include "mime/compose.h"

#include <string.h>

#include "core/util.h"

char *compose_draft_build(const struct account *a, const char *draft, size_t len,
			  size_t *out_len, char **cause)
{
	char *out = xmalloc(len + 1);

	(void)a;
	(void)cause;
	memcpy(out, draft, len);
	out[len] = '\0';
	*out_len = len;
	return out;
}
