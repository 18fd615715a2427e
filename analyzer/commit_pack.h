/*
 * commit_pack.h -- the records of a commit, packed on one thread or two
 * and handed to the two writers in profile order.
 *
 * A commit writes, for every profile out (outs[0 .. nout) in order), its
 * record to the snapshot writer and its serving record and summary to
 * the serving view's writer.  Packing a profile (what is inferred of it
 * as of now, its figures, the msgpack) is most of a commit, and profiles
 * are independent of each other: so the outs are cut into chunks of
 * COMMIT_CHUNK profiles, each packed into buffers of its own; with two
 * threads a second one packs every other chunk while the caller packs
 * the rest, and the caller hands every chunk to the writers in order.
 * The files are byte for byte those one thread writes.
 *
 * The snapshot's records are compressed in groups where they are packed
 * (a group never spans two chunks), so both threads share that work too.
 *
 * What a profile's packing writes besides its chunk is its own
 * (next_change and its figures cell, and with drop_lists it frees its
 * lists) and the thread's figures, added to the caller's at the end: so
 * two threads never write the same memory.
 */
#ifndef SPOOR_COMMIT_PACK_H
#define SPOOR_COMMIT_PACK_H

#include <stddef.h>
#include <stdint.h>
#include "figures.h"
#include "identity.h"
#include "inferred.h"
#include "rules.h"
#include "snapshot.h"

#define COMMIT_CHUNK  512           /* profiles a chunk */

/* A profile written: its root id and ids (16 bytes: a commit holds one
 * for every profile written while it writes them; the profile id is
 * found again from the ids, commit_profile_id). */
typedef struct {
    uint32_t     root;
    uint32_t     first, count;   /* its ids in the member list */
    uint8_t      dirty;          /* its profile's, when it was listed */
} commit_out_t;

/* The profile id hash of the set of ids[0 .. n) (n >= 1): the smallest
 * hash of its user ids, else the smallest of all its ids. */
uint64_t commit_profile_id(const identity_t *g, const uint32_t *ids,
    uint32_t n);

typedef struct {
    const identity_t         *g;         /* ids and profiles */
    const commit_out_t       *outs;
    size_t                    nout;
    const uint32_t           *members;   /* ids of outs[k]: first, count */
    uint32_t                  max_ids;   /* the largest count */
    const inferred_conf_t    *inf;
    const inferred_clock_t   *clk;
    const spoor_rules_t      *rules;     /* may be NULL */
    int64_t                   as_of;
    int                       keep_cells; /* 0: a merge child, which does
                                             not write the profiles */
    unsigned                  jobs;      /* 1 or 2 threads */
    /* the writers take the ids after the records (spoor_snapw_ids_later
     * on w, which sw shares the index of): commit_pack adds the records
     * alone, commit_pack_ids the ids */
    int                       ids_later;
    /* the caller needs the profiles' lists no more once their records
     * are packed: each profile's are freed then (profile_drop_lists),
     * while it is still in cache */
    int                       drop_lists;
} commit_pack_t;

/*
 * Packs every out and adds it to w (record, ids' hashes and the profile
 * id's, the hashes not with ids_later; w compresses in groups:
 * spoor_snapw_groups) and sw (serving record, the same hashes, summary),
 * in order, and
 * moves each profile's cell in *fig from the one it had to the one its
 * record now gives: *fig must hold figures_add() of every profile.  Returns SPOOR_OK; SPOOR_E_NOMEM; or
 * the error of a writer, *failed then naming it (w or sw; errno set by
 * the writer).
 */
int commit_pack(const commit_pack_t *c, spoor_snapw_t *w, spoor_snapw_t *sw,
    figures_t *fig, spoor_snapw_t **failed);

/*
 * With ids_later, after commit_pack: gives w (the index's owner) the
 * hashes of every out's ids and profile id, in order.  Reads the ids and
 * members only, not the profiles, which may be gone.  Returns SPOOR_OK,
 * SPOOR_E_NOMEM, or spoor_snapw_ids()'s SPOOR_E_INVAL.
 */
int commit_pack_ids(const commit_pack_t *c, spoor_snapw_t *w);

#endif /* SPOOR_COMMIT_PACK_H */
