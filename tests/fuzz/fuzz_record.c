/*
 * fuzz_record.c -- libFuzzer target: any bytes as one event record.
 *
 * Decodes the bytes; when they decode, encodes the event again and
 * decodes that: both decodings must agree, and encoding the second must
 * give the same bytes as the first encoding (the encoder is canonical).
 * The in-place decoder is held against msgpack-c: whatever decodes is one
 * msgpack value msgpack-c unpacks to a map, nested within the record
 * depth, and spoor_event_decode_next() on the same bytes followed by more
 * gives the same length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "event.h"
#include "mp_check.h"

static unsigned char  out1[1 << 20], out2[1 << 20];


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    spoor_event_t  ev, ev2;
    msgpack_zone   z1, z2;
    spoor_buf_t    b1, b2;
    int            rc;

    msgpack_zone_init(&z1, 4096);
    msgpack_zone_init(&z2, 4096);

    if (spoor_event_decode(data, size, &ev) == SPOOR_OK) {
        msgpack_object  o;
        size_t          off = 0, n;

        if (spoor_mp_check(data, size, SPOOR_RECORD_DEPTH_MAX, &n) != SPOOR_OK
            || n != size
            || msgpack_unpack((const char *) data, size, &off, &z1, &o)
               != MSGPACK_UNPACK_SUCCESS
            || off != size || o.type != MSGPACK_OBJECT_MAP)
        {
            abort();
        }
        if (size + 1 <= sizeof(out2)) {
            memcpy(out2, data, size);
            out2[size] = 0xc0;
            if (spoor_event_decode_next(out2, size + 1, &ev2, &n) != SPOOR_OK
                || n != size)
            {
                abort();
            }
        }
        spoor_buf_init(&b1, out1, sizeof(out1));
        rc = spoor_event_encode(&ev, &b1);
        if (rc == SPOOR_OK) {
            if (spoor_event_decode(b1.data, b1.len, &ev2) != SPOOR_OK) {
                abort();
            }
            spoor_buf_init(&b2, out2, sizeof(out2));
            if (spoor_event_encode(&ev2, &b2) != SPOOR_OK
                || b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0
                || ev.received_ms != ev2.received_ms || ev.kind != ev2.kind)
            {
                abort();
            }
        } else if (rc != SPOOR_E_FULL && rc != SPOOR_E_TOOBIG) {
            abort();                /* a decoded event is always encodable */
        }
    }

    msgpack_zone_destroy(&z1);
    msgpack_zone_destroy(&z2);
    return 0;
}
