/*
 * mp_member.c -- key lookup in a msgpack map object (mp_member.h).
 */
#include <string.h>
#include "mp_member.h"

const msgpack_object *
spoor_mp_member(const msgpack_object *map, const char *key)
{
    size_t    n = strlen(key);
    uint32_t  i;

    if (map == NULL || map->type != MSGPACK_OBJECT_MAP) {
        return NULL;
    }
    for (i = 0; i < map->via.map.size; i++) {
        const msgpack_object  *k = &map->via.map.ptr[i].key;

        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n
            && memcmp(k->via.str.ptr, key, n) == 0)
        {
            return &map->via.map.ptr[i].val;
        }
    }
    return NULL;
}
