/*
 * fuzz_inflate.c -- libFuzzer target: any bytes as a gzip or deflate
 * request body (shared/inflate.h).
 *
 * The first byte picks the encoding and the output capacity; the rest (an
 * exact-size heap copy) is inflated.  Results must keep the contract:
 * OK with out_len <= cap, or TOOBIG / FORMAT with out_len 0; and a body
 * that inflated within cap inflates the same with exactly out_len bytes of
 * room, and is TOOBIG with one byte less.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "inflate.h"

#define CAP_MAX  (1 << 16)

static unsigned char  out[CAP_MAX], again[CAP_MAX];


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int               rc;
    size_t            cap, n, m;
    unsigned char    *in;
    spoor_encoding_e  enc;

    if (size < 1) {
        return 0;
    }

    enc = (data[0] & 1) ? SPOOR_ENC_DEFLATE : SPOOR_ENC_GZIP;
    cap = (data[0] & 2) ? 64 : CAP_MAX;

    in = malloc(size - 1 ? size - 1 : 1);
    if (in == NULL) {
        return 0;
    }
    memcpy(in, data + 1, size - 1);

    rc = spoor_inflate(in, size - 1, enc, out, cap, &n);

    if (rc == SPOOR_OK) {
        if (n > cap) {
            abort();
        }
        if (spoor_inflate(in, size - 1, enc, again, n, &m) != SPOOR_OK
            || m != n || memcmp(out, again, n) != 0)
        {
            abort();
        }
        if (n > 0
            && spoor_inflate(in, size - 1, enc, again, n - 1, &m)
               != SPOOR_E_TOOBIG)
        {
            abort();
        }

    } else if ((rc != SPOOR_E_TOOBIG && rc != SPOOR_E_FORMAT) || n != 0) {
        abort();
    }

    free(in);
    return 0;
}
