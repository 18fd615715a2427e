/*
 * mp_read.c -- lookups over msgpack read in place (mp_read.h).
 */
#include "mp_check.h"
#include "mp_read.h"


int
spoor_mp_skip(const unsigned char *p, size_t len, size_t *off)
{
    size_t  n;

    if (*off > len
        || spoor_mp_check(p + *off, len - *off, SPOOR_MP_DEPTH_CAP, &n)
           != SPOOR_OK)
    {
        return SPOOR_E_FORMAT;
    }
    *off += n;
    return SPOOR_OK;
}


int
spoor_mp_map_find(const unsigned char *p, size_t len, const char *key,
    size_t klen, size_t *voff)
{
    spoor_mp_item_t  it, k;
    size_t           off = 0;
    uint32_t         i;

    if (spoor_mp_read(p, len, &off, &it) != SPOOR_OK
        || it.type != SPOOR_MP_MAP)
    {
        return 0;
    }
    for (i = 0; i < it.len; i++) {
        size_t  koff = off;

        if (spoor_mp_read(p, len, &off, &k) != SPOOR_OK) {
            return 0;
        }
        if (k.type == SPOOR_MP_ARRAY || k.type == SPOOR_MP_MAP) {
            off = koff;
            if (spoor_mp_skip(p, len, &off) != SPOOR_OK) {
                return 0;
            }
        } else if (k.type == SPOOR_MP_STR && k.len == klen
                   && memcmp(k.s, key, klen) == 0)
        {
            *voff = off;
            return 1;
        }
        if (spoor_mp_skip(p, len, &off) != SPOOR_OK) {
            return 0;
        }
    }
    return 0;
}
