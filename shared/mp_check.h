/*
 * mp_check.h -- bounds check of one msgpack value before it is unpacked.
 *
 * msgpack-c allocates a container's element array from the count in its
 * header before it reads a single element, so a five-byte array32 header
 * can make it ask for 96 GiB.  Every byte string spoor unpacks therefore
 * goes through spoor_mp_check() first: it walks the type headers only (no
 * values are decoded) and proves that the value is complete inside the
 * given bytes, that every declared length and element count fits in them,
 * that no reserved type byte (0xc1) appears, and that containers nest at
 * most `max_depth` deep.  A value that passes holds at most `len` elements
 * in total, which bounds what msgpack-c allocates for it.
 */
#ifndef SPOOR_MP_CHECK_H
#define SPOOR_MP_CHECK_H

#include <stddef.h>
#include <msgpack.h>

/* The deepest nesting spoor_mp_check() accepts, whatever the caller asks:
 * msgpack-c's own unpack stack (MSGPACK_EMBED_STACK_SIZE) is 32. */
#define SPOOR_MP_DEPTH_CAP  31

/*
 * Checks the msgpack value that starts at p[0].
 * max_depth: containers may nest this deep (1 = a flat map or array);
 *            values above SPOOR_MP_DEPTH_CAP are treated as the cap.
 * On success returns SPOOR_OK and stores the value's length in *vlen
 * (the bytes after it are not examined).  Returns SPOOR_E_FORMAT when the
 * value is incomplete or invalid and SPOOR_E_DEPTH when it nests deeper;
 * *vlen is then left unchanged.  Never reads outside p[0 .. len).
 */
int spoor_mp_check(const unsigned char *p, size_t len, unsigned max_depth,
    size_t *vlen);

/*
 * The one way to unpack outside bytes with msgpack-c: spoor_mp_check()
 * of the value at p[0], then msgpack_unpack_next() into u (initialised
 * by the caller, destroyed by the caller in every case).  Returns
 * SPOOR_OK with u->data the value, or what the check returned, or
 * SPOOR_E_FORMAT.
 */
int spoor_mp_unpack(msgpack_unpacked *u, const unsigned char *p, size_t len,
    unsigned max_depth);

#endif /* SPOOR_MP_CHECK_H */
