/*
 * fuzz_plausible.c -- libFuzzer target: any bytes as a Plausible body.
 *
 * The body (an exact-size copy) is parsed with a heap scratch of exactly
 * the documented 16 * len + 4096 bytes: the scratch is never too small,
 * and an accepted event encodes as a record with UTF-8 strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "event.h"
#include "plausible.h"
#include "utf8.h"


static void
check_str(spoor_str_t s)
{
    if (s.data && !spoor_utf8_valid((const unsigned char *) s.data, s.len)) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char  rec[2 * SPOOR_RECORD_MAX];
    spoor_pl_status_t     st;
    spoor_event_t         ev;
    spoor_str_t           domain;
    msgpack_zone          zone;
    spoor_buf_t           b, out;
    unsigned char        *mem;
    char                 *in;
    size_t                cap = 16 * size + 4096;
    int                   rc;

    in = malloc(size ? size : 1);
    mem = malloc(cap);
    if (in == NULL || mem == NULL) {
        abort();
    }
    memcpy(in, data, size);
    spoor_buf_init(&b, mem, cap);
    msgpack_zone_init(&zone, 4096);
    spoor_event_init(&ev);

    st = spoor_plausible_parse(in, size, &ev, &domain, &b, &zone);
    if (st == SPOOR_PL_NOMEM || b.len > b.cap) {
        abort();
    }
    if (st == SPOOR_PL_OK) {
        check_str(domain);
        check_str(ev.name);
        check_str(ev.url);
        check_str(ev.referrer);
        ev.received_ms = 1700000000000LL;
        spoor_buf_init(&out, rec, sizeof(rec));
        rc = spoor_event_encode(&ev, &out);
        if (rc != SPOOR_OK && rc != SPOOR_E_TOOBIG) {
            abort();
        }
    }

    msgpack_zone_destroy(&zone);
    free(mem);
    free(in);
    return 0;
}
