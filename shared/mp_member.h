/*
 * mp_member.h -- the value of a key in a msgpack map object.
 *
 * The one lookup every reader of unpacked msgpack maps uses (Segment
 * bodies, consent preferences, profiles, snapshots): a linear scan that
 * compares string keys byte for byte and returns the first match, as the
 * maps spoor reads are small.
 */
#ifndef SPOOR_MP_MEMBER_H
#define SPOOR_MP_MEMBER_H

#include <msgpack.h>

/* The value of the first string key equal to the NUL-terminated key in
 * map, or NULL when map is NULL, not a map, or has no such key. */
const msgpack_object *spoor_mp_member(const msgpack_object *map,
    const char *key);

#endif /* SPOOR_MP_MEMBER_H */
