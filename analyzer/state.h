/*
 * state.h -- the analyzer's state directory: generations of profile
 * snapshots, and what a run needs to continue from the last one.
 *
 * Layout of DIR:
 *   CURRENT           "gen-000007.snap\n": the current generation, replaced
 *                     atomically (temporary file, fsync, rename, fsync of
 *                     DIR) after the snapshot and its lineage are durable;
 *   gen-NNNNNN.snap   a snapshot (snapshot.h, docs/FORMAT.md); the current
 *                     one and its parent are kept, older ones removed;
 *   lineage/NNNNNN.json  one JSON document per generation (spoor lineage);
 *   .lock             flock()ed by a run that writes, so two cannot race.
 * A run that dies at any moment leaves CURRENT naming a complete
 * generation; the next run starts from it and redoes the lost work (the
 * frames it had read are not in that generation's frame set).
 *
 * A snapshot holds everything needed to continue: every profile with its
 * ids and whole state (profile.h), and in its metadata the content keys
 * of every frame ever applied (so replays and renamed files are skipped),
 * the erasure tombstones, the as-of time and cumulative counters.  It holds
 * nothing that depends on when or in which order inputs were read (no
 * wall-clock time, no generation number, no file names: those are in the
 * lineage), so the same events always give the same bytes.
 */
#ifndef SPOOR_STATE_H
#define SPOOR_STATE_H

#include <stddef.h>
#include <stdint.h>
#include "identity.h"
#include "profile.h"
#include "rules.h"

typedef struct {
    uint64_t   hash;             /* spoor_id_hash of the erased id */
    int64_t    time;             /* events up to this time stay erased */
} tomb_t;

typedef struct {
    char      *key;              /* "action:full", "country:DE", ... */
    uint64_t   n;
} counter_t;

typedef struct {
    uint64_t   lifecycle_new_ms, lifecycle_active_ms, lifecycle_lapsing_ms;
} lifecycle_conf_t;

typedef struct {
    char             *dir;
    int               lock_fd;
    uint32_t          gen;           /* current generation; 0: none */
    identity_t        g;
    profile_conf_t    conf;
    lifecycle_conf_t  life;
    spoor_rules_t    *rules;         /* may be NULL */

    uint64_t         *frames;        /* content keys applied, sorted up to
                                        nsorted, new ones after */
    size_t            nframes, nsorted, frames_cap;
    tomb_t           *tombs;
    size_t            ntombs, tombs_cap;
    counter_t        *counters;      /* sorted by key */
    size_t            ncounters, counters_cap;
    int64_t           as_of;         /* latest receive time seen */
    int               erased_in_run; /* state_erase() was called */
} state_t;

/*
 * Opens DIR (created when missing), takes its lock (write != 0) and loads
 * the current generation.  rules may be NULL.  Returns SPOOR_OK, or an
 * error with a message in err (SPOOR_E_IO: a file could not be read or
 * the lock is held; SPOOR_E_FORMAT: the current snapshot is damaged).
 */
int state_open(state_t *st, const char *dir, int write,
    const profile_conf_t *conf, const lifecycle_conf_t *life,
    spoor_rules_t *rules, char *err, size_t errlen);

void state_close(state_t *st);

/* Whether a frame with this content key was applied; marks it when not. */
int state_frame_seen(state_t *st, uint64_t key, int *nomem);

/* Erases the profile of every id in ids' sets and marks the sets erased
 * up to time t (their ids are written as tombstones with the next
 * generation).  Returns the number of profiles erased. */
size_t state_erase(state_t *st, const uint32_t *ids, size_t n, int64_t t);

/* Whether the id hash has a tombstone (from an earlier generation) at or
 * after t: a binary search. */
int state_erased(const state_t *st, uint64_t hash, int64_t t);

/* Whether id's set was erased in this run at or after t. */
int state_id_erased(state_t *st, uint32_t id, int64_t t);

/* Adds n to counter key[0 .. len). */
int state_count(state_t *st, const char *key, size_t len, uint64_t n);

/*
 * Writes the next generation: the snapshot (with the inferred module
 * computed as of st->as_of), then lineage/NNNNNN.json with `lineage`
 * (a JSON object's members, without braces, added to the generation,
 * parent and snapshot members), then CURRENT.  Returns SPOOR_OK or
 * SPOOR_E_IO / SPOOR_E_NOMEM with a message in err.  *profiles receives
 * the number of profiles written and *bytes the snapshot's size.
 */
int state_commit(state_t *st, const char *lineage, size_t *profiles,
    uint64_t *bytes, char *err, size_t errlen);

/* The path of the current snapshot of DIR into buf; SPOOR_E_IO when DIR
 * has none (message in err). */
int state_current(const char *dir, char *buf, size_t cap, char *err,
    size_t errlen);

#endif /* SPOOR_STATE_H */
