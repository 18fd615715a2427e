/*
 * fuzz_pixel.c -- libFuzzer target: any bytes as a pixel query string.
 *
 * The query (an exact-size copy) goes to spoor_pixel_parse and to
 * spoor_pixel_segment_map, each with a heap scratch of exactly 8 * len + 64
 * bytes: both must succeed, every string must be UTF-8 inside the used
 * part of the scratch, and the maps must be exactly one msgpack value.
 * The Segment map is then loaded as a track event.
 *
 * The same bytes, as one value, go to the one-pass decoder the parser
 * uses (spoor_form_decode_utf8), which must write what the two passes it
 * replaced write (spoor_form_decode, then spoor_utf8_valid), and whose
 * UTF-8 verdict must also be that of Table 3-7 of the Unicode standard
 * read directly, row by row (not through utf8.c's automaton).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "event.h"
#include "mp_check.h"
#include "percent.h"
#include "pixel.h"
#include "segment.h"
#include "utf8.h"


static void
check_str(spoor_str_t s, const spoor_buf_t *b)
{
    if (s.data == NULL) {
        return;
    }
    if ((const unsigned char *) s.data < b->data
        || (const unsigned char *) s.data + s.len > b->data + b->len
        || !spoor_utf8_valid((const unsigned char *) s.data, s.len))
    {
        abort();
    }
}


static void
check_map(const spoor_value_t *v, const spoor_buf_t *b)
{
    size_t  n;

    if (v->raw == NULL) {
        return;
    }
    if (v->raw < b->data || v->raw + v->raw_len > b->data + b->len
        || spoor_mp_check(v->raw, v->raw_len, 1, &n) != SPOOR_OK
        || n != v->raw_len
        || !((v->raw[0] & 0xf0) == 0x80 || v->raw[0] == 0xde
             || v->raw[0] == 0xdf))
    {
        abort();
    }
}


/* Table 3-7: the byte ranges of the well-formed sequences */
static const struct {
    size_t         n;
    unsigned char  lo[4], hi[4];
} table_3_7[] = {
    { 1, { 0x00 }, { 0x7f } },
    { 2, { 0xc2, 0x80 }, { 0xdf, 0xbf } },
    { 3, { 0xe0, 0xa0, 0x80 }, { 0xe0, 0xbf, 0xbf } },
    { 3, { 0xe1, 0x80, 0x80 }, { 0xec, 0xbf, 0xbf } },
    { 3, { 0xed, 0x80, 0x80 }, { 0xed, 0x9f, 0xbf } },
    { 3, { 0xee, 0x80, 0x80 }, { 0xef, 0xbf, 0xbf } },
    { 4, { 0xf0, 0x90, 0x80, 0x80 }, { 0xf0, 0xbf, 0xbf, 0xbf } },
    { 4, { 0xf1, 0x80, 0x80, 0x80 }, { 0xf3, 0xbf, 0xbf, 0xbf } },
    { 4, { 0xf4, 0x80, 0x80, 0x80 }, { 0xf4, 0x8f, 0xbf, 0xbf } },
};


static int
table_3_7_valid(const unsigned char *s, size_t len)
{
    size_t  i = 0, r, k;

    while (i < len) {
        for (r = 0; r < sizeof(table_3_7) / sizeof(table_3_7[0]); r++) {
            for (k = 0; k < table_3_7[r].n && i + k < len; k++) {
                if (s[i + k] < table_3_7[r].lo[k]
                    || s[i + k] > table_3_7[r].hi[k])
                {
                    break;
                }
            }
            if (k == table_3_7[r].n) {
                break;
            }
        }
        if (r == sizeof(table_3_7) / sizeof(table_3_7[0])) {
            return 0;
        }
        i += table_3_7[r].n;
    }
    return 1;
}


/* One pass against two, each into exactly size bytes. */
static void
check_decode(const char *q, size_t size)
{
    char    *one = malloc(size ? size : 1), *two = malloc(size ? size : 1);
    size_t   n, m;
    int      valid = -1;

    if (one == NULL || two == NULL) {
        abort();
    }
    n = spoor_form_decode_utf8(q, size, one, &valid);
    m = spoor_form_decode(q, size, two);
    if (n != m || (m && memcmp(one, two, m) != 0)
        || valid != spoor_utf8_valid((const unsigned char *) two, m)
        || valid != table_3_7_valid((const unsigned char *) two, m))
    {
        abort();
    }
    free(one);
    free(two);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const spoor_segment_limits_t  lim = { 1 << 20, 16 };
    const unsigned char                 *map;
    spoor_segment_t                      s;
    spoor_pixel_t                        px;
    spoor_event_t                        ev;
    msgpack_zone                         zone;
    spoor_buf_t                          b;
    unsigned char                       *mem;
    char                                *q;
    size_t                               cap = 8 * size + 64, map_len, n;

    q = malloc(size ? size : 1);
    mem = malloc(cap);
    if (q == NULL || mem == NULL) {
        abort();
    }
    memcpy(q, data, size);
    check_decode(q, size);

    spoor_buf_init(&b, mem, cap);
    if (spoor_pixel_parse(q, size, &px, &b) != SPOOR_OK
        || b.len > b.cap)
    {
        abort();
    }
    check_str(px.name, &b);
    check_str(px.url, &b);
    check_str(px.referrer, &b);
    check_str(px.title, &b);
    check_str(px.anonymous_id, &b);
    check_str(px.user_id, &b);
    check_map(&px.properties, &b);
    check_map(&px.traits, &b);

    spoor_buf_init(&b, mem, cap);
    if (spoor_pixel_segment_map(q, size, &b, &map, &map_len) != SPOOR_OK
        || map != mem || map_len != b.len || b.len > b.cap
        || spoor_mp_check(map, map_len, 2, &n) != SPOOR_OK || n != map_len)
    {
        abort();
    }

    msgpack_zone_init(&zone, 4096);
    switch (spoor_segment_load_msgpack(&s, map, map_len, SPOOR_KIND_TRACK,
                                       &lim, &zone))
    {
    case SPOOR_SEG_OK:
        if (spoor_segment_event(&s, 0, 1700000000000LL, &ev) != SPOOR_OK
            || ev.kind != SPOOR_KIND_TRACK || ev.name.data == NULL)
        {
            abort();
        }
        break;
    case SPOOR_SEG_MISSING_ID:
    case SPOOR_SEG_MISSING_EVENT:
    case SPOOR_SEG_EVENT_TOO_LARGE:
        break;
    default:
        abort();                    /* a pixel map is always well-formed */
    }
    msgpack_zone_destroy(&zone);
    free(mem);
    free(q);
    return 0;
}
