/*
 * test_inflate.c -- gzip and deflate request bodies (shared/inflate.c).
 * Inputs are made with zlib's own deflate, in every framing.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "error.h"
#include "inflate.h"

#define WB_GZIP  (15 + 16)
#define WB_ZLIB  15
#define WB_RAW   (-15)


/* in compressed with windowBits wb into a malloc'd buffer */
static unsigned char *
pack(const void *in, size_t len, int wb, size_t *out_len)
{
    z_stream        z;
    size_t          cap = deflateBound(NULL, len) + 64;
    unsigned char  *out = malloc(cap);

    cr_assert_not_null(out);
    memset(&z, 0, sizeof(z));
    cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, wb, 8, Z_DEFAULT_STRATEGY),
                 Z_OK);
    z.next_in = (unsigned char *) in;
    z.avail_in = (uInt) len;
    z.next_out = out;
    z.avail_out = (uInt) cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static const char  body[] =
    "{\"batch\":[{\"type\":\"track\",\"event\":\"Order Completed\","
    "\"userId\":\"u1\",\"originalTimestamp\":\"2026-12-01T10:00:00Z\"}],"
    "\"sentAt\":\"2026-12-01T10:00:01Z\"}";


static void
round_trip(int wb, spoor_encoding_e enc)
{
    size_t          n, got;
    unsigned char  *z = pack(body, sizeof(body) - 1, wb, &n);
    unsigned char   out[sizeof(body)];

    cr_assert_eq(spoor_inflate(z, n, enc, out, sizeof(out), &got), SPOOR_OK,
                 "wbits %d", wb);
    cr_assert_eq(got, sizeof(body) - 1);
    cr_assert(memcmp(out, body, got) == 0);

    /* exactly the size fits; one byte less does not */
    cr_assert_eq(spoor_inflate(z, n, enc, out, sizeof(body) - 1, &got),
                 SPOOR_OK);
    cr_assert_eq(spoor_inflate(z, n, enc, out, sizeof(body) - 2, &got),
                 SPOOR_E_TOOBIG);
    cr_assert_eq(got, 0, "nothing handed out on error");

    /* every truncation is refused */
    for (size_t cut = 0; cut < n; cut++) {
        int  rc = spoor_inflate(z, cut, enc, out, sizeof(out), &got);

        cr_assert_eq(rc, SPOOR_E_FORMAT, "wbits %d cut at %zu of %zu: %d",
                     wb, cut, n, rc);
    }
    free(z);
}


Test(inflate, gzip_zlib_and_raw_deflate_round_trip)
{
    round_trip(WB_GZIP, SPOOR_ENC_GZIP);
    round_trip(WB_ZLIB, SPOOR_ENC_DEFLATE);
    round_trip(WB_RAW, SPOOR_ENC_DEFLATE);
}


Test(inflate, gzip_members_follow_one_another)
{
    size_t          n1, n2, got;
    unsigned char  *a = pack("hello ", 6, WB_GZIP, &n1);
    unsigned char  *b = pack("world", 5, WB_GZIP, &n2);
    unsigned char  *both = malloc(n1 + n2);
    unsigned char   out[32];

    memcpy(both, a, n1);
    memcpy(both + n1, b, n2);
    cr_assert_eq(spoor_inflate(both, n1 + n2, SPOOR_ENC_GZIP, out,
                               sizeof(out), &got), SPOOR_OK);
    cr_assert_eq(got, 11);
    cr_assert(memcmp(out, "hello world", 11) == 0);
    free(a);
    free(b);
    free(both);
}


Test(inflate, bytes_after_the_stream_are_refused)
{
    size_t          n, got;
    unsigned char  *z = pack(body, sizeof(body) - 1, WB_GZIP, &n);
    unsigned char  *zz = malloc(n + 4);
    unsigned char   out[sizeof(body)];

    memcpy(zz, z, n);
    memcpy(zz + n, "junk", 4);
    cr_assert_eq(spoor_inflate(zz, n + 4, SPOOR_ENC_GZIP, out, sizeof(out),
                               &got), SPOOR_E_FORMAT);
    free(z);

    z = pack(body, sizeof(body) - 1, WB_ZLIB, &n);
    memcpy(zz, z, n);
    memcpy(zz + n, "junk", 4);
    cr_assert_eq(spoor_inflate(zz, n + 4, SPOOR_ENC_DEFLATE, out,
                               sizeof(out), &got), SPOOR_E_FORMAT);
    free(z);
    free(zz);
}


Test(inflate, not_compressed_data_is_refused)
{
    size_t         got;
    unsigned char  out[64];

    cr_assert_eq(spoor_inflate((const unsigned char *) body, sizeof(body) - 1,
                               SPOOR_ENC_GZIP, out, sizeof(out), &got),
                 SPOOR_E_FORMAT);
    cr_assert_eq(spoor_inflate((const unsigned char *) "", 0, SPOOR_ENC_GZIP,
                               out, sizeof(out), &got), SPOOR_E_FORMAT);
    cr_assert_eq(spoor_inflate((const unsigned char *) "\xff\xff\xff", 3,
                               SPOOR_ENC_DEFLATE, out, sizeof(out), &got),
                 SPOOR_E_FORMAT);
    cr_assert_eq(spoor_inflate((const unsigned char *) "x", 1,
                               SPOOR_ENC_IDENTITY, out, sizeof(out), &got),
                 SPOOR_E_INVAL);
}


/* 64 MB of zeros are about 64 KB of gzip: refused at the limit, having
 * written no more than it */
Test(inflate, a_bomb_stops_at_the_limit)
{
    size_t          big = 64u << 20, n, got;
    unsigned char  *zeros = calloc(1, big);
    unsigned char  *z, *out;

    cr_assert_not_null(zeros);
    z = pack(zeros, big, WB_GZIP, &n);
    free(zeros);
    cr_assert_lt(n, big / 500);

    out = malloc(1 << 20);
    cr_assert_eq(spoor_inflate(z, n, SPOOR_ENC_GZIP, out, 1 << 20, &got),
                 SPOOR_E_TOOBIG);
    free(out);
    free(z);
}


Test(inflate, content_encoding_names)
{
    cr_assert_eq(spoor_encoding_parse("gzip", 4), SPOOR_ENC_GZIP);
    cr_assert_eq(spoor_encoding_parse(" GZip\t", 6), SPOOR_ENC_GZIP);
    cr_assert_eq(spoor_encoding_parse("x-gzip", 6), SPOOR_ENC_GZIP);
    cr_assert_eq(spoor_encoding_parse("deflate", 7), SPOOR_ENC_DEFLATE);
    cr_assert_eq(spoor_encoding_parse("identity", 8), SPOOR_ENC_IDENTITY);
    cr_assert_eq(spoor_encoding_parse("", 0), SPOOR_ENC_IDENTITY);
    cr_assert_eq(spoor_encoding_parse("br", 2), SPOOR_ENC_UNKNOWN);
    cr_assert_eq(spoor_encoding_parse("gzip, gzip", 10), SPOOR_ENC_UNKNOWN);
    cr_assert_eq(spoor_encoding_parse("gzipx", 5), SPOOR_ENC_UNKNOWN);
    cr_assert_eq(spoor_encoding_parse("zstd", 4), SPOOR_ENC_UNKNOWN);
}
