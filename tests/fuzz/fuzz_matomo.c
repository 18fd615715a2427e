/*
 * fuzz_matomo.c -- libFuzzer target: any bytes as a Matomo request.
 *
 * The input (an exact-size copy) is loaded as a query string, as a query
 * with the same bytes as a form body, and as a bulk body, each with a
 * heap scratch of exactly the documented 16 * len + 4096 bytes: a scratch
 * is never too small, every event is produced or refused with a reason,
 * and every produced event encodes as a record with UTF-8 strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "event.h"
#include "matomo.h"
#include "utf8.h"


static void
check_str(spoor_str_t s)
{
    if (s.data && !spoor_utf8_valid((const unsigned char *) s.data, s.len)) {
        abort();
    }
}


static void
run(const char *in, size_t size, int how)
{
    static unsigned char  rec[2 * SPOOR_RECORD_MAX];
    spoor_matomo_t       *s;
    spoor_mt_status_t     st;
    spoor_event_t         ev;
    spoor_str_t           site;
    msgpack_zone          zone;
    spoor_buf_t           b, out;
    unsigned char        *mem;
    size_t                i, cap = 16 * (how == 1 ? 2 * size : size) + 4096;
    int                   rc;

    s = malloc(sizeof(*s));
    mem = malloc(cap);
    if (s == NULL || mem == NULL) {
        abort();
    }
    spoor_buf_init(&b, mem, cap);
    msgpack_zone_init(&zone, 4096);

    st = how == 2 ? spoor_matomo_load_bulk(s, in, size, &b, &zone)
                  : spoor_matomo_load(s, in, size, how ? in : NULL,
                                      how ? size : 0, &b, &zone);
    if (st == SPOOR_MT_NOMEM || (how != 2 && st != SPOOR_MT_OK)) {
        abort();
    }

    for (i = 0; st == SPOOR_MT_OK && i < s->count; i++) {
        spoor_event_init(&ev);
        switch (spoor_matomo_event(s, i, &ev, &site)) {
        case SPOOR_MT_OK:
            break;
        case SPOOR_MT_NOMEM:
            abort();
        default:
            continue;
        }
        if (b.len > b.cap) {
            abort();
        }
        check_str(site);
        check_str(ev.name);
        check_str(ev.url);
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
    run(in, size, 2);
    free(in);
    return 0;
}
