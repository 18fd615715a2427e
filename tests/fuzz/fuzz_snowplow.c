/*
 * fuzz_snowplow.c -- libFuzzer target: any bytes as a Snowplow request.
 *
 * The input (an exact-size copy) is loaded both as a GET query string and
 * as a tp2 POST body, each with a heap scratch of exactly 16 * len + 4096
 * bytes (the documented need): a query always loads unless it has too
 * many parameters, a scratch is never too small, every event of a loaded
 * request is produced or refused with a reason, and every produced event
 * encodes as a record (UTF-8 strings, well-formed maps).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "event.h"
#include "snowplow.h"
#include "utf8.h"


static void
check_str(spoor_str_t s)
{
    if (s.data && !spoor_utf8_valid((const unsigned char *) s.data, s.len)) {
        abort();
    }
}


static void
run(const char *in, size_t size, int json)
{
    static unsigned char  rec[2 * SPOOR_RECORD_MAX];
    spoor_snowplow_t     *s;
    spoor_sp_status_t     st;
    spoor_event_t         ev;
    msgpack_zone          zone;
    spoor_buf_t           b, out;
    unsigned char        *mem;
    size_t                i, cap = 16 * size + 4096;
    int                   rc;

    s = malloc(sizeof(*s));
    mem = malloc(cap);
    if (s == NULL || mem == NULL) {
        abort();
    }
    spoor_buf_init(&b, mem, cap);
    msgpack_zone_init(&zone, 4096);

    st = json ? spoor_snowplow_load_json(s, in, size, &b, &zone)
              : spoor_snowplow_load_query(s, in, size, &b, &zone);
    if (st == SPOOR_SP_NOMEM || (!json && st != SPOOR_SP_OK
                                 && st != SPOOR_SP_TOO_MANY))
    {
        abort();
    }

    for (i = 0; st == SPOOR_SP_OK && i < s->count; i++) {
        check_str(spoor_snowplow_app_id(s, i));
        spoor_event_init(&ev);
        switch (spoor_snowplow_event(s, i, 1700000000000LL, &ev)) {
        case SPOOR_SP_OK:
            break;
        case SPOOR_SP_NOMEM:
            abort();
        default:
            continue;
        }
        if (b.len > b.cap) {
            abort();
        }
        check_str(ev.name);
        check_str(ev.url);
        check_str(ev.title);
        check_str(ev.user_id);
        check_str(ev.anonymous_id);
        ev.received_ms = 1700000000000LL;
        spoor_buf_init(&out, rec, sizeof(rec));
        rc = spoor_event_encode(&ev, &out);
        if (rc != SPOOR_OK && rc != SPOOR_E_TOOBIG) {
            abort();
        }
    }

    msgpack_zone_destroy(&zone);
    free(mem);
    free(s);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char  *in;

    in = malloc(size ? size : 1);
    if (in == NULL) {
        abort();
    }
    memcpy(in, data, size);
    run(in, size, 0);
    run(in, size, 1);
    free(in);
    return 0;
}
