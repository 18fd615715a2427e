/*
 * gen_chain.h -- a state's generations as a chain: a base, then deltas.
 *
 * A generation is either full (its snapshot gen-N.snap and serving view
 * gen-N.serve hold every profile) or a delta: files of the same format
 * whose header carries SPOOR_SNAP_DELTA (snapshot.h) and which hold only
 * the profiles that changed since the generation it follows, its parent,
 * plus a "gone" entry for each id whose profile no longer exists (erased,
 * expired).  A delta's meta map (both files) names its parent and its
 * base, the full generation the chain starts from.  The parent is the
 * generation just before (a delta of the last publish) or any older one
 * of the same chain down to the base itself (a delta that gathers what
 * changed since then, so that the chain stays short):
 *
 *     base B (full) <- P (delta) <- ... <- N (delta, named by CURRENT)
 *
 * Reading a chain, the newest file that holds an id hash answers for it
 * (its profile, or "gone": none); an older file's profile counts only
 * when no newer file holds any of its id hashes.  A chain has at most
 * SPOOR_CHAIN_DELTAS_MAX deltas, so a lookup probes a bounded number of
 * files.  docs/FORMAT.md ("Delta generations") is the full contract; the
 * analyzer writes chains (analyzer/state.c), the analyzer's readers and
 * the NGINX module read them with this code's checks.
 */
#ifndef SPOOR_GEN_CHAIN_H
#define SPOOR_GEN_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* Deltas a chain may hold; a reader refuses a longer one. */
#define SPOOR_CHAIN_DELTAS_MAX  16

/*
 * The parent and base of a delta, from its meta map meta[0 .. len) (the
 * snapshot's or the serving view's: both carry "parent" and "base" as
 * uints).  Returns SPOOR_OK when both are there with 0 < base <= parent
 * < UINT32_MAX; SPOOR_E_FORMAT otherwise.
 */
int spoor_chain_link(const unsigned char *meta, size_t len,
    uint32_t *parent, uint32_t *base);

/*
 * Checks that s, the file of generation gen, links into a chain: a full
 * generation (no SPOOR_SNAP_DELTA) is its own base; a delta must name a
 * parent below gen and a base at or below its parent.  (Whoever walks the
 * chain refuses more than SPOOR_CHAIN_DELTAS_MAX deltas, and a parent
 * whose base is another.)  Sets *parent (0 for a full generation) and
 * *base.  Returns SPOOR_OK, or
 * SPOOR_E_FORMAT with the reason in err.
 */
int spoor_chain_check(const spoor_snap_t *s, uint32_t gen, uint32_t *parent,
    uint32_t *base, char *err, size_t errlen);

#endif /* SPOOR_GEN_CHAIN_H */
