/*
 * fuzz_requests.c -- libFuzzer target: any bytes as a queued erasure
 * request (requests.h, DIR/requests/forget-*.json).  Checks beyond "no
 * crash, no leak, no sanitizer report": only the documented codes, a
 * reason with every refusal, and an accepted request has a positive time
 * and only non-empty string ids.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "requests.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char      why[256];
    yajl_val  root, ids;
    int64_t   t = 0;
    size_t    i;
    int       rc;

    why[0] = '\0';
    rc = requests_parse((const char *) data, size, &root, &ids, &t, why,
                        sizeof(why));
    if (rc == SPOOR_OK) {
        if (t <= 0 || root == NULL || ids == NULL || !YAJL_IS_ARRAY(ids)) {
            abort();
        }
        for (i = 0; i < ids->u.array.len; i++) {
            const char  *s = YAJL_GET_STRING(ids->u.array.values[i]);

            if (s == NULL || s[0] == '\0') {
                abort();
            }
        }
        yajl_tree_free(root);
    } else if ((rc != SPOOR_E_FORMAT && rc != SPOOR_E_NOMEM)
               || root != NULL || (rc == SPOOR_E_FORMAT && why[0] == '\0'))
    {
        abort();
    }
    return 0;
}
