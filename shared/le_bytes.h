/*
 * le_bytes.h -- fixed-width little-endian integers read from and written
 * to byte buffers, the byte order of every on-disk integer of the
 * snapshot files (docs/FORMAT.md).
 *
 * memcpy + le64toh: the buffer is never accessed through a misaligned or
 * wrongly sized pointer, so a mapping of any alignment reads the same on
 * every host.  The caller has checked that the bytes lie in the buffer.
 */
#ifndef SPOOR_LE_BYTES_H
#define SPOOR_LE_BYTES_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t
le_get64(const unsigned char *p)
{
    uint64_t  v;

    memcpy(&v, p, 8);
    return le64toh(v);
}

static inline uint32_t
le_get32(const unsigned char *p)
{
    uint32_t  v;

    memcpy(&v, p, 4);
    return le32toh(v);
}

static inline void
le_put64(unsigned char *p, uint64_t v)
{
    v = htole64(v);
    memcpy(p, &v, 8);
}

static inline void
le_put32(unsigned char *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, 4);
}

#endif /* SPOOR_LE_BYTES_H */
