/*
 * mp_read.h -- msgpack read in place, one item at a time.
 *
 * The counterpart of mp_write.h for the analyzer's hot path: instead of
 * unpacking a record into a tree of msgpack_object (which allocates an
 * element array for every container and visits every byte twice), a
 * reader asks for the item at an offset and gets its type, its scalar
 * value or a slice of its payload, pointing into the bytes.  A container
 * yields only its header (the element count); the caller reads its
 * elements next, or steps over the whole value with spoor_mp_check()
 * (mp_check.h), which also proves what it skips is well formed.
 *
 * spoor_mp_read() never reads outside p[0 .. len): every length and every
 * element count is checked against the bytes left (each element takes at
 * least one byte), so a walk that reads the elements a header declares
 * ends within len steps whatever the input.
 *
 * The types are msgpack-c's, as its unpacker reports them: a non-negative
 * value in a signed form is SPOOR_MP_UINT, a float32 is widened to double.
 */
#ifndef SPOOR_MP_READ_H
#define SPOOR_MP_READ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "error.h"

typedef enum {
    SPOOR_MP_NIL = 0,
    SPOOR_MP_BOOL,
    SPOOR_MP_UINT,        /* .u */
    SPOOR_MP_INT,         /* .i, always negative */
    SPOOR_MP_FLOAT,       /* .f (float32 or float64) */
    SPOOR_MP_STR,         /* .s, .len bytes */
    SPOOR_MP_BIN,         /* .s, .len bytes */
    SPOOR_MP_EXT,         /* .s, .len bytes after the ext type byte */
    SPOOR_MP_ARRAY,       /* .len elements follow */
    SPOOR_MP_MAP          /* .len key/value pairs follow */
} spoor_mp_type_t;

typedef struct {
    spoor_mp_type_t   type;
    int               b;
    uint64_t          u;
    int64_t           i;
    double            f;
    const char       *s;
    uint32_t          len;
} spoor_mp_item_t;


static inline uint64_t
spoor_mp_get_be(const unsigned char *p, unsigned n)
{
    uint64_t  v = 0;
    unsigned  k;

    for (k = 0; k < n; k++) {
        v = (v << 8) | p[k];
    }
    return v;
}


/*
 * Reads the item at p[*off] into *it and advances *off past its header
 * and, for scalars, strings, binaries and exts, past its payload (a
 * container's elements follow it).  Returns SPOOR_OK, or SPOOR_E_FORMAT
 * when the item does not fit in p[*off .. len), a container declares more
 * elements than bytes are left, or the byte 0xc1 (never used) is met;
 * *off is then unchanged.
 */
static inline int
spoor_mp_read(const unsigned char *p, size_t len, size_t *off,
    spoor_mp_item_t *it)
{
    size_t    o = *off, left;
    unsigned  b, lb = 0, fix = 0;
    uint64_t  n;
    union { uint32_t u; float f; } f32;
    union { uint64_t u; double f; } f64;

    if (o >= len) {
        return SPOOR_E_FORMAT;
    }
    b = p[o++];
    left = len - o;

    if (b <= 0x7f) {
        it->type = SPOOR_MP_UINT;
        it->u = b;
        *off = o;
        return SPOOR_OK;
    }
    if (b >= 0xe0) {
        it->type = SPOOR_MP_INT;
        it->i = (int8_t) b;
        *off = o;
        return SPOOR_OK;
    }
    if (b >= 0xa0 && b <= 0xbf) {
        n = b & 0x1f;
        if (n > left) {
            return SPOOR_E_FORMAT;
        }
        it->type = SPOOR_MP_STR;
        it->s = (const char *) p + o;
        it->len = (uint32_t) n;
        *off = o + n;
        return SPOOR_OK;
    }
    if (b <= 0x9f) {
        n = b & 0x0f;
        it->type = b <= 0x8f ? SPOOR_MP_MAP : SPOOR_MP_ARRAY;
        goto container;
    }

    switch (b) {
    case 0xc0:
        it->type = SPOOR_MP_NIL;
        *off = o;
        return SPOOR_OK;
    case 0xc2:
    case 0xc3:
        it->type = SPOOR_MP_BOOL;
        it->b = b == 0xc3;
        *off = o;
        return SPOOR_OK;

    case 0xcc: case 0xcd: case 0xce: case 0xcf:
        lb = 1u << (b - 0xcc);
        if (lb > left) {
            return SPOOR_E_FORMAT;
        }
        it->type = SPOOR_MP_UINT;
        it->u = spoor_mp_get_be(p + o, lb);
        *off = o + lb;
        return SPOOR_OK;

    case 0xd0: case 0xd1: case 0xd2: case 0xd3:
        lb = 1u << (b - 0xd0);
        if (lb > left) {
            return SPOOR_E_FORMAT;
        }
        n = spoor_mp_get_be(p + o, lb);
        /* sign-extend from lb bytes */
        if (lb < 8 && (n >> (8 * lb - 1)) & 1) {
            n |= ~0ULL << (8 * lb);
        }
        if ((int64_t) n >= 0) {
            it->type = SPOOR_MP_UINT;
            it->u = n;
        } else {
            it->type = SPOOR_MP_INT;
            it->i = (int64_t) n;
        }
        *off = o + lb;
        return SPOOR_OK;

    case 0xca:
        if (4 > left) {
            return SPOOR_E_FORMAT;
        }
        f32.u = (uint32_t) spoor_mp_get_be(p + o, 4);
        it->type = SPOOR_MP_FLOAT;
        it->f = (double) f32.f;
        *off = o + 4;
        return SPOOR_OK;
    case 0xcb:
        if (8 > left) {
            return SPOOR_E_FORMAT;
        }
        f64.u = spoor_mp_get_be(p + o, 8);
        it->type = SPOOR_MP_FLOAT;
        it->f = f64.f;
        *off = o + 8;
        return SPOOR_OK;

    case 0xd9: case 0xda: case 0xdb:
        it->type = SPOOR_MP_STR;
        lb = 1u << (b - 0xd9);
        break;
    case 0xc4: case 0xc5: case 0xc6:
        it->type = SPOOR_MP_BIN;
        lb = 1u << (b - 0xc4);
        break;
    case 0xc7: case 0xc8: case 0xc9:
        it->type = SPOOR_MP_EXT;
        lb = 1u << (b - 0xc7);
        fix = 1;
        break;
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        it->type = SPOOR_MP_EXT;
        n = 1u << (b - 0xd4);
        if (n + 1 > left) {
            return SPOOR_E_FORMAT;
        }
        it->s = (const char *) p + o + 1;
        it->len = (uint32_t) n;
        *off = o + 1 + n;
        return SPOOR_OK;

    case 0xdc: case 0xdd: case 0xde: case 0xdf:
        it->type = b >= 0xde ? SPOOR_MP_MAP : SPOOR_MP_ARRAY;
        lb = (b & 1) ? 4 : 2;
        if (lb > left) {
            return SPOOR_E_FORMAT;
        }
        n = spoor_mp_get_be(p + o, lb);
        o += lb;
        left -= lb;
        goto container;

    default:                                  /* 0xc1 */
        return SPOOR_E_FORMAT;
    }

    /* str, bin, ext with a length field */
    if (lb > left) {
        return SPOOR_E_FORMAT;
    }
    n = spoor_mp_get_be(p + o, lb);
    o += lb;
    left -= lb;
    if (n + fix > left) {
        return SPOOR_E_FORMAT;
    }
    it->s = (const char *) p + o + fix;
    it->len = (uint32_t) n;
    *off = o + fix + n;
    return SPOOR_OK;

container:
    if ((it->type == SPOOR_MP_MAP ? 2 * n : n) > left) {
        return SPOOR_E_FORMAT;
    }
    it->len = (uint32_t) n;
    *off = o;
    return SPOOR_OK;
}


/*
 * Steps *off over the whole value at p[*off] (containers with their
 * elements), checking it as spoor_mp_check() does, nested at most
 * SPOOR_MP_DEPTH_CAP deep.  Returns SPOOR_OK, or SPOOR_E_FORMAT (too
 * deep, incomplete or invalid) with *off unchanged.
 */
int spoor_mp_skip(const unsigned char *p, size_t len, size_t *off);

/*
 * Finds the first string key equal to key[0 .. klen) in the map at p[0]
 * (bytes up to len): returns 1 with *voff the offset of its value, or 0
 * when p holds no map, no such key, or malformed bytes before it.
 */
int spoor_mp_map_find(const unsigned char *p, size_t len, const char *key,
    size_t klen, size_t *voff);

/* Whether it is the string lit (a literal). */
#define SPOOR_MP_IS(it, lit)                                                  \
    ((it)->type == SPOOR_MP_STR && (it)->len == sizeof(lit) - 1               \
     && memcmp((it)->s, lit, sizeof(lit) - 1) == 0)

#endif /* SPOOR_MP_READ_H */
