/*
 * inferred.h -- the inferred module of a profile (docs/profiles.md):
 * what a generation computes from each profile's folded state as of its
 * as-of time, and stores in the profile record (stored.h):
 *
 *   rfm        recency, frequency, monetary scores 1 .. 5, each the
 *              profile's quintile among the profiles with orders (cut
 *              points over all of them: inferred_rfm_cuts); 0 0 0 for a
 *              profile without orders;
 *   lifecycle  "new" (first seen within lifecycle_ms[0]), "active" (last
 *              seen within [1]), "lapsing" (within [2]), else "churned";
 *   segments   the rules (rules.h) the profile matches, each evaluated
 *              once, against the field vocabulary of docs/rules.md
 *              (behaviour, context, traits.*, events.*, interest.*,
 *              lifecycle, rfm.*) and the windowed aggregates;
 *   decayed    each weight's decayed value, and abandoned carts.
 *
 * Nothing here keeps state between calls: every result is a function of
 * the configuration and the profile (and, for the scores, the cut points),
 * so the same profiles always give the same record bytes.
 */
#ifndef SPOOR_INFERRED_H
#define SPOOR_INFERRED_H

#include <stddef.h>
#include <stdint.h>
#include "profile.h"
#include "rules.h"
#include "stored.h"

typedef struct {
    int64_t               as_of;          /* "now": ms since the epoch */
    int64_t               abandon_ms;
    int64_t               half_life_ms;
    int64_t               lifecycle_ms[3];   /* new, active, lapsing */
    const spoor_rules_t  *rules;          /* NULL: no segments */
    const uint32_t       *agg_keys;       /* profile_agg_key of each of
                                             the rules' aggregates */
    double                cuts[3][4];     /* inferred_rfm_cuts() */
    const intern_t       *strings;        /* the profiles' names */
} inferred_conf_t;

/* Recency (minus the ms since the last order), frequency (orders) or
 * monetary (revenue over currencies) of a profile with orders: which
 * 0, 1, 2. */
double inferred_rfm_value(const profile_t *p, int64_t as_of, int which);

/* The quintile cut points of v[0 .. n): the values a sort of v puts at
 * 20, 40, 60 and 80 % (-0 before +0); all 0 when n is 0 (v may then be
 * NULL).  v is not changed.  Returns SPOOR_OK, or SPOOR_E_NOMEM. */
int inferred_cuts(const double *v, size_t n, double out[4]);

/* 1 + the number of cut points v is above: 1 .. 5. */
int inferred_score(double v, const double cut[4]);

/* The cut points of recency, frequency and monetary over nr profiles
 * with orders into c->cuts, from their values (inferred_rfm_value() as of
 * c->as_of): recency at cols[0 .. nr), frequency at cols[stride ..
 * stride + nr), monetary at cols[2 stride .. 2 stride + nr) (not
 * changed).  Returns SPOOR_OK, or SPOOR_E_NOMEM. */
int inferred_rfm_cuts(inferred_conf_t *c, const double *cols, size_t nr,
    size_t stride);

/* The three scores of p against c->cuts; 0 0 0 without orders. */
void inferred_rfm(const inferred_conf_t *c, const profile_t *p,
    int64_t rfm[3]);

/* The lifecycle stage of p as of c->as_of (a static string). */
const char *inferred_lifecycle(const inferred_conf_t *c, const profile_t *p);

/*
 * Fills the inferred fields of the record rec for p: rfm, life, as_of,
 * abandoned, decayed (into dec, which holds p->nweights entries: names
 * sorted as p's weights are, one per name) and segs (into segs, which
 * holds spoor_rules_count(c->rules) entries; each rule evaluated once).
 * The strings point to p's interned names, the rules' names and static
 * text: valid while p and c->rules are.
 */
void inferred_record(const inferred_conf_t *c, const profile_t *p,
    stored_profile_t *rec, stored_decayed_t *dec, stored_str_t *segs);

/*
 * When a profile's inferred module changes without an event (follow mode,
 * docs/profiles.md "Time"): its lifecycle stage when a threshold passes,
 * its abandoned carts when a cart's window closes, a `within` of the rules
 * when its duration passes, a windowed aggregate when a day bucket leaves
 * its window, and the profile itself when it expires.  Decayed weights
 * (interest.*, engagement) change continuously and are not tracked: they
 * are exact as of each publish.  RFM scores are ranks among the profiles
 * with orders, which time shifts alike, so time alone does not move them.
 */
typedef struct {
    int64_t    abandon_ms;
    int64_t    lifecycle_ms[3];
    int64_t    expire_ms;             /* 0: profiles do not expire */
    int64_t   *within;                /* the rules' `within` durations */
    size_t     nwithin;
    struct inferred_win_s {
        uint32_t   key;               /* profile_agg_key of an aggregate */
        int64_t    window_ms;
    }         *wins;                  /* sorted by key */
    size_t     nwins;
} inferred_clock_t;

/* The clock of a configuration: rules (may be NULL) and agg_keys as in
 * inferred_conf_t.  Returns SPOOR_OK or SPOOR_E_NOMEM. */
int inferred_clock_init(inferred_clock_t *k, int64_t abandon_ms,
    const int64_t lifecycle_ms[3], int64_t expire_ms,
    const spoor_rules_t *rules, const uint32_t *agg_keys);

void inferred_clock_free(inferred_clock_t *k);

/*
 * The earliest time after `after` at which time alone may change p's
 * lifecycle, abandoned carts, segments or expiry; INT64_MAX when nothing
 * can.  Never later than a real change (it may be earlier: a window that
 * closes without changing a result).
 */
int64_t inferred_next_change(const inferred_clock_t *k, const profile_t *p,
    int64_t after);

#endif /* SPOOR_INFERRED_H */
