/*
 * gen_chain.c -- how a delta generation links to its chain
 * (gen_chain.h).
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "gen_chain.h"
#include "mp_read.h"


static int
member_u32(const unsigned char *meta, size_t len, const char *key,
    uint32_t *out)
{
    size_t           off;
    spoor_mp_item_t  it;

    if (!spoor_mp_map_find(meta, len, key, strlen(key), &off)
        || spoor_mp_read(meta, len, &off, &it) != SPOOR_OK
        || it.type != SPOOR_MP_UINT || it.u == 0 || it.u >= UINT32_MAX)
    {
        return SPOOR_E_FORMAT;
    }
    *out = (uint32_t) it.u;
    return SPOOR_OK;
}


int
spoor_chain_link(const unsigned char *meta, size_t len, uint32_t *parent,
    uint32_t *base)
{
    if (meta == NULL
        || member_u32(meta, len, "parent", parent) != SPOOR_OK
        || member_u32(meta, len, "base", base) != SPOOR_OK
        || *base > *parent)
    {
        return SPOOR_E_FORMAT;
    }
    return SPOOR_OK;
}


int
spoor_chain_check(const spoor_snap_t *s, uint32_t gen, uint32_t *parent,
    uint32_t *base, char *err, size_t errlen)
{
    const unsigned char  *meta;
    size_t                len;

    if (!(spoor_snap_flags(s) & SPOOR_SNAP_DELTA)) {
        *parent = 0;
        *base = gen;
        return SPOOR_OK;
    }
    meta = spoor_snap_meta(s, &len);
    if (spoor_chain_link(meta, len, parent, base) != SPOOR_OK) {
        snprintf(err, errlen, "a delta generation without a valid parent "
                 "and base in its metadata");
        return SPOOR_E_FORMAT;
    }
    if (*parent >= gen || *base > *parent) {
        snprintf(err, errlen, "delta generation %" PRIu32 " names parent %"
                 PRIu32 " and base %" PRIu32 ": a delta follows an older "
                 "generation of its chain", gen, *parent, *base);
        return SPOOR_E_FORMAT;
    }
    return SPOOR_OK;
}
