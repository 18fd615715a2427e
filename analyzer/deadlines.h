/*
 * deadlines.h -- when each profile's windows next close: an indexed binary
 * min-heap of (time, id), at most one entry per id.
 *
 * The follower (follow.h) keeps one entry per profile, under an id of its
 * set (identity.h), with the time inferred_next_change() gave; a publish
 * pops the entries due and re-evaluates only those profiles, instead of
 * scanning every one.  pos[id] is the entry's index in the heap + 1 (0:
 * none), so setting an id's time again moves its one entry: the heap
 * never holds more entries than ids, however often a profile changes.
 *
 * Invariants: heap[i].time <= heap[2i+1].time and heap[2i+2].time (ties by
 * id, so the order is deterministic); pos[heap[i].id] == i + 1 for every
 * entry; pos[x] == 0 for every id x without one.
 */
#ifndef SPOOR_DEADLINES_H
#define SPOOR_DEADLINES_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t    time;
    uint32_t   id;
} deadline_t;

typedef struct {
    deadline_t  *heap;
    size_t       n, cap;
    uint32_t    *pos;           /* by id: heap index + 1, 0: none */
    size_t       npos;
} deadlines_t;

void deadlines_init(deadlines_t *d);
void deadlines_free(deadlines_t *d);

/* Sets id's entry to time (INT64_MAX: removes it).  Returns 0, or -1 when
 * out of memory (d is unchanged). */
int deadlines_set(deadlines_t *d, uint32_t id, int64_t time);

/* The time of id's entry; INT64_MAX when it has none. */
int64_t deadlines_get(const deadlines_t *d, uint32_t id);

/* Removes the soonest entry when its time is <= now: returns 1 with its
 * id and time, else 0. */
int deadlines_pop_due(deadlines_t *d, int64_t now, uint32_t *id,
    int64_t *time);

/* The soonest time, INT64_MAX when empty. */
int64_t deadlines_next(const deadlines_t *d);

#endif /* SPOOR_DEADLINES_H */
