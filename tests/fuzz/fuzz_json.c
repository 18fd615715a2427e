/*
 * fuzz_json.c -- libFuzzer target: any bytes as JSON for the transcoder.
 *
 * When the transcoder accepts the bytes, its output must be exactly one
 * msgpack value within the depth limit (checked by spoor_mp_check).
 */
#include <stdint.h>
#include <stdlib.h>
#include "error.h"
#include "event.h"
#include "json_msgpack.h"
#include "mp_check.h"

static unsigned char  out[1 << 20];


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    spoor_buf_t  b;
    size_t       n;
    int          rc;

    spoor_buf_init(&b, out, sizeof(out));
    rc = spoor_json_to_msgpack((const char *) data, size,
                               SPOOR_VALUE_DEPTH_MAX, &b);
    if (rc == SPOOR_OK) {
        if (spoor_mp_check(b.data, b.len, SPOOR_VALUE_DEPTH_MAX, &n)
            != SPOOR_OK || n != b.len)
        {
            abort();
        }
    } else if (b.len != 0) {
        abort();                    /* a failure leaves the buffer alone */
    }
    return 0;
}
