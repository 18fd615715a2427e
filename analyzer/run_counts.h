/*
 * run_counts.h -- the counters a run of ingest takes of its events, one
 * set per thread: "kind:page", "action:full", "signal:tcf", "country:DE",
 * "category:shoes" and the day, consent and top-list keys of
 * aggregates.h ("dk:2026-01-05:page", "tp:/help", ...).  They depend on
 * the event alone, not on whether it is admitted, so any thread may take
 * them (ingest.c gives them to whichever would otherwise wait).
 *
 * The counts are kept in an open-addressing table of (class, value) ->
 * count, each value a malloc'd copy, doubled when half full, and handed
 * to the state once at the end (run_counts_flush) instead of a sorted
 * insert per event.
 *
 * In front of the table, a direct-mapped memo: an event's inputs are
 * taken in five groups (its type; its name; its consent decision and
 * country; its page's URL; its agent's family and device), each with the
 * event's day, and a group whose exact bytes and day were seen last time
 * in its memo line adds one to the same slots without building, cutting
 * or hashing a key.  When a group misses, or a page has a referrer or a
 * campaign (those keys are not remembered), the event's keys are built
 * as before and those of the groups that hit are skipped.  Each group's
 * inputs are what its keys of aggregates.h are made of: a key that comes
 * to read another field must bring that field into its group here.
 * What a group counts depends on its inputs and day
 * alone, so the memo only saves work: the counts are those of the table
 * without it.  A memo line records the table's epoch, which every growth
 * of the table advances (slots move); an older line is never used.
 */
#ifndef SPOOR_RUN_COUNTS_H
#define SPOOR_RUN_COUNTS_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"

typedef struct run_counts_s  run_counts_t;

/* A new, empty set of counters; NULL when out of memory. */
run_counts_t *run_counts_new(void);

void run_counts_free(run_counts_t *c);

/* Counts one event.  A count that finds no memory is lost, as the
 * counters are statistics (the fold is not). */
void run_counts_event(run_counts_t *c, const spoor_event_t *ev);

/* Counts one product category an admitted event interested its profile
 * in ("category:NAME"). */
void run_counts_category(run_counts_t *c, const spoor_str_t *category);

/* Adds from's counts to to's.  SPOOR_OK or SPOOR_E_NOMEM. */
int run_counts_merge(run_counts_t *to, const run_counts_t *from);

/*
 * Calls add(arg, key, len, n) for each counter counted since the last
 * flush (key: its whole text, not NUL-terminated), then zeroes it, so a
 * second flush adds nothing.  Stops at the first add that does not return
 * SPOOR_OK and returns that.
 */
int run_counts_flush(run_counts_t *c,
    int (*add)(void *arg, const char *key, size_t len, uint64_t n),
    void *arg);

#endif /* SPOOR_RUN_COUNTS_H */
