/*
 * fuzz_segment.c -- libFuzzer target: Segment API bodies (segment.h).
 *
 * The first byte picks the endpoint's kind (byte % 7: 0 is a batch body,
 * 1 .. 6 the single-event kinds page .. alias); the rest is the body for
 * spoor_segment_load_json, read from an exact-size copy with a scratch of
 * exactly 3 * len + 256 bytes (the documented need) and small limits.
 * When the body loads, every event is built and encoded: building must
 * succeed, and encoding may fail only for size (SPOOR_E_FULL,
 * SPOOR_E_TOOBIG); an encoded event must decode.  Each event then goes
 * through what consent does to it (consent_segment.h on its
 * categoryPreferences, privacy.h with sensitive and pseudonymized traits
 * into a buffer that is sometimes too small, spoor_anonymize) and must
 * still encode and decode, with no identifier left after anonymizing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "event.h"
#include "consent_segment.h"
#include "privacy.h"
#include "segment.h"

static unsigned char  out[1 << 16];
static unsigned char  pbuf[1 << 16];

static const unsigned char  key[32] = "fuzz-key-0123456789abcdef0123456";
static const spoor_str_t    sensitive[] = { { "phone", 5 }, { "email", 5 } };
static const spoor_str_t    pseudo[] = { { "email", 5 }, { "id", 2 } };


/* Encodes ev and decodes it again; aborts on anything but success or a
 * size error. */
static void
roundtrip(const spoor_event_t *ev)
{
    spoor_buf_t    b;
    spoor_event_t  dec;
    msgpack_zone   dz;
    int            rc;

    spoor_buf_init(&b, out, sizeof(out));
    rc = spoor_event_encode(ev, &b);
    if (rc == SPOOR_OK) {
        msgpack_zone_init(&dz, 4096);
        if (spoor_event_decode(b.data, b.len, &dec) != SPOOR_OK
            || dec.kind != ev->kind)
        {
            abort();
        }
        msgpack_zone_destroy(&dz);
    } else if (rc != SPOOR_E_FULL && rc != SPOOR_E_TOOBIG) {
        abort();
    }
}


/* What consent does to an event. */
static void
consent_paths(spoor_event_t *ev, size_t cap)
{
    spoor_privacy_t          pv;
    spoor_consent_signal_t   sig;
    spoor_buf_t              pb;

    if (ev->context.raw == NULL) {
        (void) spoor_segment_consent_parse(
            spoor_segment_consent_prefs(ev->context.obj), NULL, &sig);
        if (sig.granted & sig.denied) {
            abort();
        }
    }

    memset(&pv, 0, sizeof(pv));
    pv.sensitive = sensitive;
    pv.nsensitive = 2;
    pv.pseudo = pseudo;
    pv.npseudo = 2;
    pv.pseudo_user_id = 1;
    pv.key = key;
    pv.key_len = sizeof(key);

    spoor_buf_init(&pb, pbuf, cap);
    (void) spoor_privacy_apply(&pv, cap & 1, ev, &pb);
    if (pb.len > pb.cap) {
        abort();
    }
    roundtrip(ev);

    spoor_anonymize(ev);
    if (ev->user_id.data || ev->anonymous_id.data || ev->visitor_id.data
        || ev->traits.raw || ev->traits.obj || ev->context.raw
        || ev->context.obj || ev->ip_len)
    {
        abort();
    }
    roundtrip(ev);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const spoor_segment_limits_t  lim = { 4096, 16 };
    spoor_segment_t                      s;
    spoor_seg_status_t                   st;
    spoor_event_t                        ev, dec;
    spoor_kind_t                         kind;
    msgpack_zone                         zone, dz;
    spoor_buf_t                          scratch, b;
    unsigned char                       *mem;
    char                                 *body;
    size_t                               len, cap, i;
    int                                  rc;

    if (size == 0) {
        return 0;
    }
    kind = (spoor_kind_t) (data[0] % 7);     /* UNKNOWN, PAGE .. ALIAS */
    len = size - 1;
    body = malloc(len ? len : 1);
    cap = 3 * len + 256;
    mem = malloc(cap);
    if (body == NULL || mem == NULL) {
        abort();
    }
    memcpy(body, data + 1, len);
    spoor_buf_init(&scratch, mem, cap);
    msgpack_zone_init(&zone, 4096);

    st = spoor_segment_load_json(&s, body, len, kind, &lim, &scratch, &zone);
    if (st == SPOOR_SEG_NOMEM || (unsigned) st >= SPOOR_SEG_MAX
        || scratch.len > scratch.cap)
    {
        abort();                    /* 3 * len + 256 must always be enough */
    }
    if (st == SPOOR_SEG_OK) {
        if (s.count > lim.max_batch_events || (kind && s.count != 1)) {
            abort();
        }
        for (i = 0; i < s.count; i++) {
            if (spoor_segment_event(&s, i, 1700000000000LL, &ev) != SPOOR_OK
                || ev.kind == SPOOR_KIND_UNKNOWN
                || ev.kind == SPOOR_KIND_CONSENT_WITHDRAWAL
                || (kind && ev.kind != kind)
                || (ev.user_id.data == NULL && ev.anonymous_id.data == NULL)
                || (ev.kind == SPOOR_KIND_TRACK
                    && (ev.name.data == NULL || ev.name.len == 0)))
            {
                abort();
            }
            spoor_buf_init(&b, out, sizeof(out));
            rc = spoor_event_encode(&ev, &b);
            if (rc == SPOOR_OK) {
                msgpack_zone_init(&dz, 4096);
                if (spoor_event_decode(b.data, b.len, &dec) != SPOOR_OK
                    || dec.kind != ev.kind)
                {
                    abort();
                }
                msgpack_zone_destroy(&dz);
            } else if (rc != SPOOR_E_FULL && rc != SPOOR_E_TOOBIG) {
                abort();
            }
            consent_paths(&ev, (size_t) 64 << (i % 11));
        }
    }

    msgpack_zone_destroy(&zone);
    free(mem);
    free(body);
    return 0;
}
