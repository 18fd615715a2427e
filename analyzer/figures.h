/*
 * figures.h -- the counts of a generation's profiles that its lineage
 * entry carries (docs/report.md): how many are in each segment of the
 * rules, at each lifecycle stage, in each cell of the RFM grid.
 *
 * A commit counts them without reading a record: every profile carries
 * what its record in the current generation says (profile_t's life, rfm
 * and segmask: its "cell"), the pass over every profile adds each live
 * one's cell, and each record written replaces its profile's cell
 * (figures_sub(), then figures_add_record()).  So the counts are those
 * of the records the generation serves, a delta's included, where most
 * records are an older generation's.
 *
 * Invariant: after the pass and the records written, each count is the
 * number of live profiles whose newest record says so.  The cell holds
 * the first FIGURES_CELL_SEGS segments only: with more rules than that,
 * the later segments are counted exactly in a full generation only, and
 * a delta's entry leaves them out.
 */
#ifndef SPOOR_FIGURES_H
#define SPOOR_FIGURES_H

#include <stdint.h>
#include "json_out.h"
#include "profile.h"
#include "rules.h"
#include "stored.h"

#define FIGURES_CELL_SEGS  32

/* profile_t.life */
#define PROFILE_LIFE_UNKNOWN  0
#define PROFILE_LIFE_NEW      1
#define PROFILE_LIFE_ACTIVE   2
#define PROFILE_LIFE_LAPSING  3
#define PROFILE_LIFE_CHURNED  4

typedef struct {
    uint64_t   seg[SPOOR_RULES_SEGS_MAX];
    uint64_t   life[5];              /* by PROFILE_LIFE_* */
    uint64_t   rf[6][6];             /* by recency, frequency score; [0][0]:
                                        no orders */
    uint64_t   m[6];                 /* by monetary score */
} figures_t;

/* Zero counts. */
void figures_init(figures_t *f);

/* Adds p's cell to the counts. */
void figures_add(figures_t *f, const profile_t *p);

/* Takes p's cell away from the counts (it was added to them, or to the
 * counts they are merged with: figures_merge). */
void figures_sub(figures_t *f, const profile_t *p);

/* Adds every count of from to to's.  Either may hold counts below 0
 * (modulo 2^64: a thread's figures, from which a profile's old cell was
 * taken where it was not added): the sum is still right. */
void figures_merge(figures_t *to, const figures_t *from);

/*
 * Adds rec (its life, rfm and segs: the rules' names, in the rules'
 * order, as inferred_record() or the stored record give them) to the
 * counts, and sets p's cell from it when p is not NULL.  rules may be
 * NULL (no segments).  A segment name the rules do not have is ignored.
 */
void figures_add_record(figures_t *f, const stored_profile_t *rec,
    const spoor_rules_t *rules, profile_t *p);

/* Sets p's cell from rec without counting (a profile loaded). */
void figures_cell(profile_t *p, const stored_profile_t *rec,
    const spoor_rules_t *rules);

/*
 * Writes the members "segments" ({NAME: n} in the rules' order; for a
 * delta only the first FIGURES_CELL_SEGS), "lifecycle" ({"new": n, ...})
 * and "rfm" ({"withOrders": n, "grid": 5 x 5 by recency then frequency,
 * "monetary": 5}) into the open map j.  rules may be NULL.
 */
void figures_lineage(json_out_t *j, const figures_t *f,
    const spoor_rules_t *rules, int delta);

#endif /* SPOOR_FIGURES_H */
