/*
 * u64set.h -- a set of 64-bit keys (hashes): open addressing with linear
 * probing in a power-of-two table kept at most half full, doubled as it
 * grows.  0 marks an empty slot, so the key 0 is kept aside in a flag.
 * Keys are expected to be hashes already (the low bits index the table).
 * A zeroed u64set_t is an empty set; u64set_free() empties it again.
 */
#ifndef SPOOR_U64SET_H
#define SPOOR_U64SET_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t  *slot;
    size_t     cap, n;
    int        has_zero;
} u64set_t;

/* Adds key: 1 when it was there already, 0 when added, -1 when out of
 * memory (the set is unchanged). */
int u64set_add(u64set_t *s, uint64_t key);

/* Whether key is in s. */
int u64set_has(const u64set_t *s, uint64_t key);

void u64set_free(u64set_t *s);

#endif /* SPOOR_U64SET_H */
