/*
 * mp_write.h -- msgpack written straight into a spoor_buf_t.
 *
 * The encoders on the per-beacon path (event.c, json_msgpack.c) write
 * msgpack with these inline functions rather than with msgpack-c's packer,
 * which makes an indirect call per header and per body.  Each
 * spoor_mp_write_*() writes one whole item -- a scalar, a container
 * header, or a string or binary with its body -- after checking once that
 * all of it fits.
 *
 * The bytes are exactly those msgpack-c's msgpack_pack_*() functions write
 * for the same value: always the smallest form; str8 for strings of 32 to
 * 255 bytes; non-negative integers in the positive fixint and uint forms,
 * negative ones in the negative fixint and int forms (what
 * msgpack_pack_int64() and msgpack_pack_uint64() choose); doubles as
 * float64.  Multi-byte values are big-endian, as msgpack requires.
 *
 * Contract of every spoor_mp_write_*():
 *   SPOOR_OK        the item was appended, b->len advanced by its size;
 *   SPOOR_E_FULL    it does not fit in b->cap - b->len: nothing written,
 *                   b->len unchanged (buf.h's rule for every writer);
 *   SPOOR_E_TOOBIG  a string, binary, array or map of more than 2^32 - 1
 *                   bytes or elements, which msgpack cannot describe:
 *                   nothing written.
 * A caller writing several items that must appear whole (a record, a
 * map and its pairs) keeps b->len before the first and puts it back when
 * any item fails.
 *
 * The spoor_mp_*_head() functions below only format a header into a
 * caller's array of SPOOR_MP_HEAD_MAX bytes and return its length: for
 * code that writes the header somewhere else (json_msgpack.c rewrites a
 * container's header once it knows the count).
 */
#ifndef SPOOR_MP_WRITE_H
#define SPOOR_MP_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "buf.h"
#include "error.h"

/* The longest header or scalar: a type byte and 8 bytes of value. */
#define SPOOR_MP_HEAD_MAX  9

/* The most bytes or pairs one string, binary, array or map can hold. */
#define SPOOR_MP_LEN_MAX   0xffffffffu

/*
 * Writes the string literal `lit` as a msgpack str; its length is known at
 * compile time (a map key, mostly).  Same contract as spoor_mp_write_str().
 */
#define SPOOR_MP_WRITE_LIT(b, lit)                                            \
    spoor_mp_write_str((b), "" lit, sizeof(lit) - 1)


/* ---- formatting, no buffer ---------------------------------------------- */

static inline void
spoor_mp_be16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char) (v >> 8);
    p[1] = (unsigned char) v;
}


static inline void
spoor_mp_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) (v >> 24);
    p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8);
    p[3] = (unsigned char) v;
}


static inline void
spoor_mp_be64(unsigned char *p, uint64_t v)
{
    spoor_mp_be32(p, (uint32_t) (v >> 32));
    spoor_mp_be32(p + 4, (uint32_t) v);
}


/*
 * The header of a str (0xa0 | n, 0xd9, 0xda, 0xdb), map (0x80 | n, 0xde,
 * 0xdf) or array (0x90 | n, 0xdc, 0xdd) of n <= SPOOR_MP_LEN_MAX bytes or
 * elements, written to h; returns its length (1, 2, 3 or 5).
 */
static inline size_t
spoor_mp_str_head(unsigned char *h, size_t n)
{
    if (n < 32) {
        h[0] = (unsigned char) (0xa0 | n);
        return 1;
    }
    if (n < 256) {
        h[0] = 0xd9;
        h[1] = (unsigned char) n;
        return 2;
    }
    if (n < 65536) {
        h[0] = 0xda;
        spoor_mp_be16(h + 1, (uint16_t) n);
        return 3;
    }
    h[0] = 0xdb;
    spoor_mp_be32(h + 1, (uint32_t) n);
    return 5;
}


/* The fixmap/fixarray (fix | n), 16- or 32-bit header of n elements. */
static inline size_t
spoor_mp_container_head(unsigned char *h, size_t n, unsigned char fix,
    unsigned char c16, unsigned char c32)
{
    if (n < 16) {
        h[0] = (unsigned char) (fix | n);
        return 1;
    }
    if (n < 65536) {
        h[0] = c16;
        spoor_mp_be16(h + 1, (uint16_t) n);
        return 3;
    }
    h[0] = c32;
    spoor_mp_be32(h + 1, (uint32_t) n);
    return 5;
}


static inline size_t
spoor_mp_map_head(unsigned char *h, size_t n)
{
    return spoor_mp_container_head(h, n, 0x80, 0xde, 0xdf);
}


static inline size_t
spoor_mp_array_head(unsigned char *h, size_t n)
{
    return spoor_mp_container_head(h, n, 0x90, 0xdc, 0xdd);
}


/* The bin8/16/32 header (0xc4, 0xc5, 0xc6) of n bytes. */
static inline size_t
spoor_mp_bin_head(unsigned char *h, size_t n)
{
    if (n < 256) {
        h[0] = 0xc4;
        h[1] = (unsigned char) n;
        return 2;
    }
    if (n < 65536) {
        h[0] = 0xc5;
        spoor_mp_be16(h + 1, (uint16_t) n);
        return 3;
    }
    h[0] = 0xc6;
    spoor_mp_be32(h + 1, (uint32_t) n);
    return 5;
}


/* v as positive fixint, uint8, uint16, uint32 or uint64; returns 1..9. */
static inline size_t
spoor_mp_uint_head(unsigned char *h, uint64_t v)
{
    if (v < 128) {
        h[0] = (unsigned char) v;
        return 1;
    }
    if (v < 256) {
        h[0] = 0xcc;
        h[1] = (unsigned char) v;
        return 2;
    }
    if (v < 65536) {
        h[0] = 0xcd;
        spoor_mp_be16(h + 1, (uint16_t) v);
        return 3;
    }
    if (v <= 0xffffffffu) {
        h[0] = 0xce;
        spoor_mp_be32(h + 1, (uint32_t) v);
        return 5;
    }
    h[0] = 0xcf;
    spoor_mp_be64(h + 1, v);
    return 9;
}


/* v >= 0 as spoor_mp_uint_head(); below 0 as negative fixint (-32 .. -1),
 * int8, int16, int32 or int64, in two's complement.  Returns 1..9. */
static inline size_t
spoor_mp_int_head(unsigned char *h, int64_t v)
{
    if (v >= 0) {
        return spoor_mp_uint_head(h, (uint64_t) v);
    }
    if (v >= -32) {
        h[0] = (unsigned char) v;
        return 1;
    }
    if (v >= -128) {
        h[0] = 0xd0;
        h[1] = (unsigned char) v;
        return 2;
    }
    if (v >= -32768) {
        h[0] = 0xd1;
        spoor_mp_be16(h + 1, (uint16_t) v);
        return 3;
    }
    if (v >= INT32_MIN) {
        h[0] = 0xd2;
        spoor_mp_be32(h + 1, (uint32_t) v);
        return 5;
    }
    h[0] = 0xd3;
    spoor_mp_be64(h + 1, (uint64_t) v);
    return 9;
}


/* ---- writing into a buffer ---------------------------------------------- */

/*
 * Room for need bytes at the end of b: where they go, or NULL (and
 * nothing changed) when they do not fit.  The caller then fills exactly
 * need bytes and adds need to b->len.
 */
static inline unsigned char *
spoor_mp_room(spoor_buf_t *b, size_t need)
{
    return need <= b->cap - b->len ? b->data + b->len : NULL;
}


/* The length spoor_mp_str_head() gives for n. */
static inline size_t
spoor_mp_str_head_len(size_t n)
{
    return n < 32 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5;
}


/* The length spoor_mp_bin_head() gives for n. */
static inline size_t
spoor_mp_bin_head_len(size_t n)
{
    return n < 256 ? 2 : n < 65536 ? 3 : 5;
}


/* Appends the scalar or header h[0 .. hl) when it fits. */
static inline int
spoor_mp_put_head(spoor_buf_t *b, const unsigned char *h, size_t hl)
{
    unsigned char  *d = spoor_mp_room(b, hl);

    if (d == NULL) {
        return SPOOR_E_FULL;
    }
    memcpy(d, h, hl);
    b->len += hl;
    return SPOOR_OK;
}


static inline int
spoor_mp_write_nil(spoor_buf_t *b)
{
    static const unsigned char  nil = 0xc0;

    return spoor_mp_put_head(b, &nil, 1);
}


/* true (0xc3) when v is non-zero, else false (0xc2). */
static inline int
spoor_mp_write_bool(spoor_buf_t *b, int v)
{
    unsigned char  h = v ? 0xc3 : 0xc2;

    return spoor_mp_put_head(b, &h, 1);
}


static inline int
spoor_mp_write_uint(spoor_buf_t *b, uint64_t v)
{
    unsigned char  h[SPOOR_MP_HEAD_MAX];

    return spoor_mp_put_head(b, h, spoor_mp_uint_head(h, v));
}


static inline int
spoor_mp_write_int(spoor_buf_t *b, int64_t v)
{
    unsigned char  h[SPOOR_MP_HEAD_MAX];

    return spoor_mp_put_head(b, h, spoor_mp_int_head(h, v));
}


/* float64 (0xcb) with the IEEE 754 bits of v. */
static inline int
spoor_mp_write_double(spoor_buf_t *b, double v)
{
    unsigned char  h[SPOOR_MP_HEAD_MAX];
    uint64_t       bits;

    memcpy(&bits, &v, sizeof(bits));
    h[0] = 0xcb;
    spoor_mp_be64(h + 1, bits);
    return spoor_mp_put_head(b, h, 9);
}


/* The header of a map of n pairs; the caller writes the pairs after it. */
static inline int
spoor_mp_write_map(spoor_buf_t *b, size_t n)
{
    unsigned char  h[SPOOR_MP_HEAD_MAX];

    if ((uint64_t) n > SPOOR_MP_LEN_MAX) {
        return SPOOR_E_TOOBIG;
    }
    return spoor_mp_put_head(b, h, spoor_mp_map_head(h, n));
}


/* The header of an array of n elements; the caller writes them after it. */
static inline int
spoor_mp_write_array(spoor_buf_t *b, size_t n)
{
    unsigned char  h[SPOOR_MP_HEAD_MAX];

    if ((uint64_t) n > SPOOR_MP_LEN_MAX) {
        return SPOOR_E_TOOBIG;
    }
    return spoor_mp_put_head(b, h, spoor_mp_array_head(h, n));
}


/* The str of the n bytes at p (p may be NULL when n is 0). */
static inline int
spoor_mp_write_str(spoor_buf_t *b, const void *p, size_t n)
{
    unsigned char  *d;
    size_t          hl;

    if ((uint64_t) n > SPOOR_MP_LEN_MAX) {
        return SPOOR_E_TOOBIG;
    }
    hl = spoor_mp_str_head_len(n);
    if (n > b->cap - b->len || (d = spoor_mp_room(b, hl + n)) == NULL) {
        return SPOOR_E_FULL;
    }
    spoor_mp_str_head(d, n);
    if (n) {
        memcpy(d + hl, p, n);
    }
    b->len += hl + n;
    return SPOOR_OK;
}


/* The bin of the n bytes at p (p may be NULL when n is 0). */
static inline int
spoor_mp_write_bin(spoor_buf_t *b, const void *p, size_t n)
{
    unsigned char  *d;
    size_t          hl;

    if ((uint64_t) n > SPOOR_MP_LEN_MAX) {
        return SPOOR_E_TOOBIG;
    }
    hl = spoor_mp_bin_head_len(n);
    if (n > b->cap - b->len || (d = spoor_mp_room(b, hl + n)) == NULL) {
        return SPOOR_E_FULL;
    }
    spoor_mp_bin_head(d, n);
    if (n) {
        memcpy(d + hl, p, n);
    }
    b->len += hl + n;
    return SPOOR_OK;
}

#endif /* SPOOR_MP_WRITE_H */
