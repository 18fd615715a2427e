/*
 * snap_group.c -- record groups of version 3 snapshots (snap_group.h).
 *
 * Writer: records are appended to `raw` after 4 * SNAP_GROUP_RECORDS
 * bytes of room; the seal writes the n lengths just before the first
 * record, so the decompressed group is one run of bytes without a copy.
 * `out` is kept at the size the seal needs for what raw holds
 * (SNAP_GROUP_HEAD + ZSTD_compressBound + 7), grown by add, so that the
 * seal never allocates but for the compression context.
 *
 * Reader: the head is checked against the bytes left in the section
 * before anything is added to an offset; the frame is decompressed into
 * the cursor's buffer, grown to rsize (at most SNAP_GROUP_RAW_MAX).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>
#include "error.h"
#include "le_bytes.h"
#include "snap_group.h"

#define ROOM   (4 * SNAP_GROUP_RECORDS)     /* bytes kept for the lengths */

#define G_CSIZE  0
#define G_HASH   8
#define G_FIRST  16
#define G_N      24
#define G_RSIZE  28


static void
say(char *msg, size_t msglen, const char *fmt, ...)
{
    va_list  ap;

    if (msg == NULL || msglen == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
}


/* Grows *p to at least need bytes (doubling); 0 or -1. */
static int
room(unsigned char **p, size_t *cap, size_t need)
{
    unsigned char  *np;
    size_t          n;

    if (need <= *cap) {
        return 0;
    }
    n = *cap ? *cap : 4096;
    while (n < need) {
        n *= 2;
    }
    np = realloc(*p, n);
    if (np == NULL) {
        return -1;
    }
    *p = np;
    *cap = n;
    return 0;
}


/* ---- writer ------------------------------------------------------------- */

int
snap_group_w_add(snap_group_w_t *g, const unsigned char *blob, size_t len)
{
    size_t  raw = g->raw_len ? g->raw_len : ROOM;

    if (room(&g->raw, &g->raw_cap, raw + len) != 0
        || room(&g->out, &g->out_cap,
                SNAP_GROUP_HEAD + ZSTD_compressBound(raw + len) + 7) != 0)
    {
        return SPOOR_E_NOMEM;
    }
    memcpy(g->raw + raw, blob, len);
    g->raw_len = raw + len;
    g->len[g->n++] = (uint32_t) len;
    return SPOOR_OK;
}


int
snap_group_w_full(const snap_group_w_t *g)
{
    return g->n == SNAP_GROUP_RECORDS
           || (g->n > 0 && g->raw_len - ROOM >= SNAP_GROUP_BYTES);
}


uint32_t
snap_group_w_count(const snap_group_w_t *g)
{
    return g->n;
}


int
snap_group_w_seal(snap_group_w_t *g, uint64_t first,
    const unsigned char **bytes, size_t *len)
{
    unsigned char  *src;
    size_t          rsize, csize, total;
    uint32_t        k;

    if (g->cctx == NULL) {
        g->cctx = ZSTD_createCCtx();
        if (g->cctx == NULL) {
            return SPOOR_E_NOMEM;
        }
        if (ZSTD_isError(ZSTD_CCtx_setParameter(g->cctx,
                             ZSTD_c_compressionLevel, SNAP_GROUP_LEVEL))
            || ZSTD_isError(ZSTD_CCtx_setParameter(g->cctx, ZSTD_c_hashLog,
                                                   SNAP_GROUP_HASH_LOG)))
        {
            ZSTD_freeCCtx(g->cctx);     /* never one without them */
            g->cctx = NULL;
            return SPOOR_E_INVAL;
        }
    }
    src = g->raw + ROOM - 4 * (size_t) g->n;
    for (k = 0; k < g->n; k++) {
        le_put32(src + 4 * k, g->len[k]);
    }
    rsize = g->raw_len - ROOM + 4 * (size_t) g->n;
    csize = ZSTD_compress2(g->cctx, g->out + SNAP_GROUP_HEAD,
                           g->out_cap - SNAP_GROUP_HEAD - 7, src, rsize);
    if (ZSTD_isError(csize) || csize == 0) {
        return SPOOR_E_INVAL;
    }
    le_put64(g->out + G_CSIZE, csize);
    le_put64(g->out + G_HASH, XXH64(g->out + SNAP_GROUP_HEAD, csize, 0));
    le_put64(g->out + G_FIRST, first);
    le_put32(g->out + G_N, g->n);
    le_put32(g->out + G_RSIZE, (uint32_t) rsize);
    total = SNAP_GROUP_HEAD + csize;
    while (total % 8 != 0) {
        g->out[total++] = 0;
    }
    *bytes = g->out;
    *len = total;
    g->n = 0;
    g->raw_len = 0;
    return SPOOR_OK;
}


void
snap_group_w_free(snap_group_w_t *g)
{
    ZSTD_freeCCtx(g->cctx);
    free(g->raw);
    free(g->out);
    memset(g, 0, sizeof(*g));
}


/* ---- reader ------------------------------------------------------------- */

int
snap_group_head(const unsigned char *p, uint64_t avail, uint64_t *first,
    uint32_t *n, uint64_t *size, char *msg, size_t msglen)
{
    uint64_t  csize;
    uint32_t  rsize;

    if (avail < SNAP_GROUP_MIN) {
        say(msg, msglen, "corrupt: a record group needs %d bytes, %" PRIu64
            " are left", SNAP_GROUP_MIN, avail);
        return -1;
    }
    csize = le_get64(p + G_CSIZE);
    *first = le_get64(p + G_FIRST);
    *n = le_get32(p + G_N);
    rsize = le_get32(p + G_RSIZE);
    if (csize == 0 || csize > avail - SNAP_GROUP_HEAD
        || ((csize + 7) & ~(uint64_t) 7) > avail - SNAP_GROUP_HEAD)
    {
        say(msg, msglen, "corrupt: a record group's frame of %" PRIu64
            " bytes does not fit the %" PRIu64 " left", csize, avail);
        return -1;
    }
    if (*n == 0 || *n > SNAP_GROUP_RECORDS || rsize < 5 * *n
        || rsize > SNAP_GROUP_RAW_MAX)
    {
        say(msg, msglen, "corrupt: a record group of %" PRIu32 " records "
            "in %" PRIu32 " bytes", *n, rsize);
        return -1;
    }
    *size = SNAP_GROUP_HEAD + ((csize + 7) & ~(uint64_t) 7);
    return 0;
}


int
snap_group_load(const unsigned char *p, uint64_t avail,
    spoor_snap_cursor_t *cur, char *msg, size_t msglen)
{
    uint64_t  first, size, csize, sum;
    uint32_t  n, rsize, k, len;
    size_t    got;

    cur->serial = 0;                    /* holds nothing until the end */
    if (snap_group_head(p, avail, &first, &n, &size, msg, msglen) != 0) {
        return -1;
    }
    csize = le_get64(p + G_CSIZE);
    rsize = le_get32(p + G_RSIZE);
    if (XXH64(p + SNAP_GROUP_HEAD, (size_t) csize, 0) != le_get64(p + G_HASH)) {
        say(msg, msglen, "corrupt: record group checksum mismatch");
        return -1;
    }
    if (ZSTD_getFrameContentSize(p + SNAP_GROUP_HEAD, (size_t) csize)
        != rsize)
    {
        say(msg, msglen, "corrupt: a record group's frame does not say "
            "%" PRIu32 " bytes", rsize);
        return -1;
    }
    if (cur->dctx == NULL) {
        cur->dctx = ZSTD_createDCtx();
    }
    if (cur->dctx == NULL || room(&cur->raw, &cur->cap, rsize) != 0) {
        say(msg, msglen, "out of memory");
        errno = ENOMEM;
        return -1;
    }
    got = ZSTD_decompressDCtx(cur->dctx, cur->raw, rsize,
                              p + SNAP_GROUP_HEAD, (size_t) csize);
    if (ZSTD_isError(got) || got != rsize) {
        say(msg, msglen, "corrupt: a record group does not decompress "
            "(%s)", ZSTD_isError(got) ? ZSTD_getErrorName(got) : "size");
        return -1;
    }
    sum = 4 * (uint64_t) n;
    for (k = 0; k < n; k++) {
        len = le_get32(cur->raw + 4 * k);
        if (len == 0 || len > SPOOR_SNAP_BLOB_MAX || len > rsize - sum) {
            say(msg, msglen, "corrupt: record %" PRIu32 " of a group has "
                "length %" PRIu32, k, len);
            return -1;
        }
        sum += len;
    }
    if (sum != rsize) {
        say(msg, msglen, "corrupt: a record group's records fill %" PRIu64
            " of its %" PRIu32 " bytes", sum, rsize);
        return -1;
    }
    cur->first = first;
    cur->n = n;
    return 0;
}


const unsigned char *
snap_group_record(const spoor_snap_cursor_t *cur, uint32_t k, size_t *len)
{
    size_t    at = 4 * (size_t) cur->n;
    uint32_t  j;

    for (j = 0; j < k; j++) {
        at += le_get32(cur->raw + 4 * j);
    }
    *len = le_get32(cur->raw + 4 * k);
    return cur->raw + at;
}
