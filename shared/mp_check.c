/*
 * mp_check.c -- header-only walk of one msgpack value (see mp_check.h).
 *
 * The walk keeps, per open container, the number of elements still to be
 * read (a map of n pairs counts 2n).  The root is level 0 with one element.
 * Each step consumes one element's header and either skips its payload or
 * opens a new level.  Because every declared count is checked against the
 * bytes left, and every element takes at least one byte, the loop runs at
 * most `len` times.
 */
#include <stdint.h>
#include "error.h"
#include "mp_check.h"
#include "mp_read.h"


int
spoor_mp_check(const unsigned char *p, size_t len, unsigned max_depth,
    size_t *vlen)
{
    uint64_t   pend[SPOOR_MP_DEPTH_CAP + 1];
    uint64_t   n, skip;
    unsigned   top, b, lenbytes, extra, container;
    size_t     off;

    if (max_depth > SPOOR_MP_DEPTH_CAP) {
        max_depth = SPOOR_MP_DEPTH_CAP;
    }

    top = 0;
    pend[0] = 1;
    off = 0;

    for ( ;; ) {
        while (pend[top] == 0) {
            if (top == 0) {
                *vlen = off;
                return SPOOR_OK;
            }
            top--;
        }
        pend[top]--;

        if (off >= len) {
            return SPOOR_E_FORMAT;
        }
        b = p[off++];

        n = 0;
        skip = 0;
        lenbytes = 0;     /* a length field of this many bytes follows */
        extra = 0;        /* fixed bytes after the length field (ext type) */
        container = 0;    /* 1 = array, 2 = map (count doubles) */

        if (b <= 0x7f || b >= 0xe0) {
            /* positive or negative fixint */
        } else if (b <= 0x8f) {
            container = 2;
            n = b & 0x0f;
        } else if (b <= 0x9f) {
            container = 1;
            n = b & 0x0f;
        } else if (b <= 0xbf) {
            skip = b & 0x1f;
        } else {
            switch (b) {
            case 0xc0: case 0xc2: case 0xc3:                   break;
            case 0xc4: case 0xd9: lenbytes = 1;                break;
            case 0xc5: case 0xda: lenbytes = 2;                break;
            case 0xc6: case 0xdb: lenbytes = 4;                break;
            case 0xc7: lenbytes = 1; extra = 1;                break;
            case 0xc8: lenbytes = 2; extra = 1;                break;
            case 0xc9: lenbytes = 4; extra = 1;                break;
            case 0xcc: case 0xd0: skip = 1;                    break;
            case 0xcd: case 0xd1: skip = 2;                    break;
            case 0xca: case 0xce: case 0xd2: skip = 4;         break;
            case 0xcb: case 0xcf: case 0xd3: skip = 8;         break;
            case 0xd4: skip = 2;                               break;
            case 0xd5: skip = 3;                               break;
            case 0xd6: skip = 5;                               break;
            case 0xd7: skip = 9;                               break;
            case 0xd8: skip = 17;                              break;
            case 0xdc: container = 1; lenbytes = 2;            break;
            case 0xdd: container = 1; lenbytes = 4;            break;
            case 0xde: container = 2; lenbytes = 2;            break;
            case 0xdf: container = 2; lenbytes = 4;            break;
            default:   /* 0xc1 is never used */
                return SPOOR_E_FORMAT;
            }
        }

        if (lenbytes) {
            if (lenbytes > len - off) {
                return SPOOR_E_FORMAT;
            }
            if (container) {
                n = spoor_mp_get_be(p + off, lenbytes);
            } else {
                skip = spoor_mp_get_be(p + off, lenbytes) + extra;
            }
            off += lenbytes;
        }

        if (container) {
            if (top + 1 > max_depth) {
                return SPOOR_E_DEPTH;
            }
            if (container == 2) {
                n *= 2;
            }
            if (n > len - off) {
                return SPOOR_E_FORMAT;
            }
            if (n) {
                pend[++top] = n;
            }
            continue;
        }

        if (skip > len - off) {
            return SPOOR_E_FORMAT;
        }
        off += skip;
    }
}


int
spoor_mp_unpack(msgpack_unpacked *u, const unsigned char *p, size_t len,
    unsigned max_depth)
{
    size_t  n, off = 0;
    int     rc;

    rc = spoor_mp_check(p, len, max_depth, &n);
    if (rc != SPOOR_OK) {
        return rc;
    }
    return msgpack_unpack_next(u, (const char *) p, n, &off)
           == MSGPACK_UNPACK_SUCCESS ? SPOOR_OK : SPOOR_E_FORMAT;
}
