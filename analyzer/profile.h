/*
 * profile.h -- one user profile: what the analyzer folds events into.
 *
 * A profile is a set of modules (../shared/docs/DESIGN.md):
 *   core         traits, each with value, time and source;
 *   behavioural  first/last seen, sessions, page views, counts per event
 *                name, orders, revenue per currency, cart adds and
 *                abandoned carts, decayed interests and engagement, day
 *                buckets of the windowed aggregates the rules need;
 *   contextual   the last location, browser, device, language, time
 *                zone, referrer and campaign;
 *   inferred     computed when a snapshot is written (profile_finish):
 *                RFM scores, lifecycle stage, segments.
 *
 * Order independence.  Every piece of state is a commutative merge:
 * integer sums (money in micros), minima and maxima, last-writer-wins by
 * (event time, then bytes), set unions (sessions are kept as merged
 * intervals: the intervals of a set of times do not depend on the order
 * the times arrive in), and decayed values kept as integer weights per
 * day, decayed only when read, in a fixed order.  No floating-point sum
 * depends on arrival order, so equal inputs give equal bytes.  So folding events in any order,
 * and merging two profiles, gives the same state: late data and replays
 * need no re-sorting.  The bounded lists (recent sessions, cart adds,
 * orders, event names, interests, traits, buckets) keep the most recent
 * or the largest entries and count what they drop, which makes a profile's
 * size bounded; results then stay exact inside the kept window.
 *
 * Memory: a profile_t is allocated on demand; it owns one block holding
 * every list, the counts of dropped entries when it has any, and its
 * traits' values; its strings are interned (profile_conf_t.strings).
 * profile_free frees what it owns.
 */
#ifndef SPOOR_PROFILE_H
#define SPOOR_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <msgpack.h>
#include "event.h"
#include "intern.h"

#define PROFILE_SESSIONS_MAX   8       /* recent session intervals kept */
#define PROFILE_TIMES_MAX      16      /* recent cart adds / orders kept */
#define PROFILE_NAMES_MAX      32      /* event names counted */
#define PROFILE_WEIGHTS_MAX    128     /* (category, day) weights */
#define PROFILE_CURRENCIES_MAX 4
#define PROFILE_TRAITS_MAX     64
#define PROFILE_BUCKETS_MAX    1024    /* (aggregate, day) buckets */
#define PROFILE_STR_MAX        INTERN_STR_MAX  /* longest string kept */
#define PROFILE_LINKS_MAX      32      /* id links recorded */

/* The times a profile holds, ms since the epoch: within +-2^53 (about
 * 285,000 years either way), so that a time plus or minus any duration
 * of the rules or the settings, or the difference of two times, never
 * overflows. */
#define PROFILE_TIME_MAX  ((int64_t) 1 << 53)

/* t brought into [-PROFILE_TIME_MAX, PROFILE_TIME_MAX]: a time outside
 * it (a client's clock, a crafted record) is taken as the nearest end. */
static inline int64_t
profile_time(int64_t t)
{
    return t > PROFILE_TIME_MAX ? PROFILE_TIME_MAX
           : t < -PROFILE_TIME_MAX ? -PROFILE_TIME_MAX : t;
}

/* The time an event is folded at: its own when it has one, else when it
 * was received; profile_time of that. */
static inline int64_t
profile_event_time(const spoor_event_t *ev)
{
    return profile_time(ev->has_time ? ev->time_ms : ev->received_ms);
}

/* What the fold needs besides the event: the settings of the run. */
typedef struct {
    int64_t        session_gap_ms;      /* default 30 min */
    int64_t        abandon_ms;          /* default 1 h */
    int64_t        half_life_ms;        /* default 30 days */
    size_t         naggs;               /* windowed aggregates (rules.h) */
    const void    *rules;               /* spoor_rules_t, or NULL */
    const uint32_t *agg_keys;           /* naggs keys (profile_agg_key) */
    int64_t        max_window_ms;
    intern_t      *strings;             /* where the profiles' strings are */
} profile_conf_t;

/* The longest trait value kept (a longer one is left out). */
#define PROFILE_TRAIT_VALUE_MAX  ((1u << 29) - 1)

/* The longest trait value held in the trait itself, not allocated. */
#define PROFILE_TRAIT_INLINE     8

/* A trait: 24 bytes (a profile of a known user holds a few), its name an
 * intern id as the counts' are.  Its value, one msgpack value, is read
 * with profile_trait_value(): held in `in` when it is at most
 * PROFILE_TRAIT_INLINE bytes long (a country, a number, a short plan:
 * most traits), else allocated and owned (`ptr`). */
typedef struct {
    union {
        unsigned char *ptr;
        unsigned char  in[PROFILE_TRAIT_INLINE];
    } v;
    int64_t        time;
    uint32_t       name;                /* intern id */
    uint32_t       value_len : 29;      /* at most PROFILE_TRAIT_VALUE_MAX */
    uint32_t       set : 1;             /* has a value; 0: unset */
    uint32_t       source : 1;          /* 0 event, 1 batch import */
    uint32_t       once : 1;            /* set by $set_once */
} profile_trait_t;

/* t's value, value_len bytes; NULL when t is unset.  Inside p's lists
 * when short: valid until p changes. */
static inline const unsigned char *
profile_trait_value(const profile_trait_t *t)
{
    return !t->set ? NULL
           : t->value_len <= PROFILE_TRAIT_INLINE ? t->v.in : t->v.ptr;
}

/* The names of counts and weights are ids in the state's intern table
 * (intern_id, intern_str: 4 bytes, not a pointer's 8); their lists are
 * still sorted by the names' bytes. */
typedef struct {
    uint32_t       name;                /* intern id */
    uint32_t       count;               /* saturating */
} profile_count_t;

/* The weight of the events of one day: for a product category, or for
 * engagement (name ""); decayed only when read, in a fixed order, so the
 * result never depends on the order events arrived in. */
typedef struct {
    uint32_t       name;                /* intern id */
    int32_t        day;                 /* days since the epoch */
    uint32_t       w;                   /* saturating, as the counts */
} profile_weight_t;

typedef struct {
    char           code[4];             /* ISO 4217, NUL-terminated */
    int64_t        micros;              /* amount * 10^6: sums are exact */
} profile_money_t;

typedef struct {
    int64_t        start, end;
} profile_span_t;

typedef struct {
    uint32_t       agg;                 /* profile_agg_key of the aggregate */
    int32_t        day;                 /* days since the epoch */
    int64_t        value;               /* a count, or revenue micros */
} profile_bucket_t;

/* Two ids seen together on one event (an identify, an alias, any event
 * with two ids): what merged them into this profile, and when first. */
typedef struct {
    int64_t        time;
    uint64_t       a, b;                /* id hashes, a < b */
} profile_link_t;

/* Where, on what and from which campaign a profile's newest event came:
 * its strings, each interned, and the tuple interned whole
 * (intern_tuple_id), so profiles of the same place, browser, device,
 * language, time zone and campaign hold the id of one copy (a campaign
 * reaches many visitors by design).  Immutable once interned; zeroed
 * before it is filled, so equal tuples are equal bytes. */
typedef struct {
    const char    *country, *region, *city, *browser, *device;
    const char    *language, *timezone;
    const char    *campaign_source, *campaign_medium, *campaign_name;
} profile_context_t;

/* The context of a profile that has none yet: every string NULL. */
extern const profile_context_t  profile_no_context;

/* The lists whose entries beyond their PROFILE_*_MAX are dropped and
 * counted (profile_t.has_drops). */
enum {
    PROFILE_DROP_SESSIONS, PROFILE_DROP_CARTS, PROFILE_DROP_ORDERS,
    PROFILE_DROP_NAMES, PROFILE_DROP_WEIGHTS, PROFILE_DROP_TRAITS,
    PROFILE_DROP_LINKS,
    PROFILE_NDROPS
};

/* A profile's lists, in the order they lie in its block: every list
 * before the names has entries of a multiple of 8 bytes, so each starts
 * aligned for its entries; the names (8) and weights (12), 4-aligned,
 * come last. */
enum {
    PROFILE_L_SESSIONS, PROFILE_L_CARTS, PROFILE_L_ORDERS,
    PROFILE_L_REVENUE, PROFILE_L_BUCKETS, PROFILE_L_TRAITS,
    PROFILE_L_LINKS, PROFILE_L_NAMES, PROFILE_L_WEIGHTS,
    PROFILE_NLISTS
};

/*
 * The lists lie one after another in one block (profile_t.lists), each
 * as long as its count says (n*): list k starts where the ones before
 * it end (profile_list_off).  An entry added grows the block by exactly
 * one entry and moves what follows it up; so a profile takes memory for
 * what it holds, in one allocation instead of one per list, without a
 * capacity or a pointer per list to keep (the block is longer after
 * entries were pruned, dropped or merged, until the next one comes).
 * Strings that repeat across profiles (event and trait names,
 * categories, context values) are interned (intern.h): one copy for all,
 * in the table of the state that owns the profiles
 * (profile_conf_t.strings), which outlives them.
 *
 * Size: 96 bytes, one of mimalloc's size classes, checked at compile
 * time in profile.c; a profile is allocated for each visitor, so every
 * 8 bytes here is 8 MB at a million profiles.  Hence the counts in 32
 * bits, saturating at UINT32_MAX (count_add in profile.c; a record
 * holding more reads back as UINT32_MAX, docs/FORMAT.md), the list
 * lengths and flags in the fewest bits their caps allow, the context
 * and referrer as 4-byte ids of the intern table, the counts of dropped
 * entries, which most profiles never have, at the end of the lists'
 * block only once there is one, and the revenue summed from its
 * currencies when read.
 */
typedef struct {
    /* first, in one cache line, what a commit reads of every profile
     * (state.c: expiry, RFM values, what changed) */
    int64_t              first_seen, last_seen, last_order;
    /* the earliest time after its generation's as_of at which time alone
     * may change its inferred fields (inferred_next_change), kept in its
     * record so that a delta finds the profiles time changed without
     * computing it for each; INT64_MIN: unknown */
    int64_t              next_change;
    uint32_t             orders;             /* saturating */
    /* what its record in the current generation says of it, for the
     * generation's segment sizes and lifecycle and RFM counts (state.c
     * adds these up in the pass over every profile, without reading a
     * record): the first 32 of the rules' segments it is in (bit i:
     * segment i), its RFM scores (r << 8 | f << 4 | m, 0 without orders)
     * and its lifecycle stage (PROFILE_LIFE_*).  Set when a record is
     * written or loaded; all 0 until then. */
    uint32_t             segmask;
    uint16_t             rfm : 12;
    uint16_t             life : 3;
    /* the entries of the buckets list (the others' are below; at most
     * PROFILE_BUCKETS_MAX) */
    uint16_t             nbuckets : 11;
    /* whether the block ends with what the bounded lists dropped, after
     * the last list: PROFILE_NDROPS counts (uint32_t) indexed by
     * PROFILE_DROP_*, saturating at UINT32_MAX; 0 while all are 0
     * (profile_dropped reads them, profile_count_dropped adds) */
    uint16_t             has_drops : 1;
    /* what the state's generations do not hold of it yet (state.c):
     * PROFILE_SINCE_HEAD, changed since the current generation (the next
     * delta holds it); PROFILE_SINCE_BASE, changed since the current
     * chain's base (a delta that follows the base holds it);
     * PROFILE_SINCE_FORK, changed since a background merge started
     * (merge.h: what the first delta of the merged base holds);
     * PROFILE_SINCE_FROM, changed since the generation the merge started
     * from (what a delta that gathers while it runs holds).  Set to
     * PROFILE_CHANGED by profile_new() and by whoever changes the profile
     * (a fold, a merge, an import, a prune, time passing a threshold);
     * cleared as generations come to hold it */
    uint16_t             dirty : 4;

    /* behavioural, saturating */
    uint32_t             events, page_views, cart_adds;

    /* identity bookkeeping (identity.c) */
    uint32_t             nids;
    uint32_t             merges;

    /* the contextual event's time (INT64_MIN: none; see ctx below) */
    int64_t              ctx_time;

    /* the entries of each list (see above) but the buckets; the lists
     * are, read with profile_sessions(p) and the like:
     *   sessions     profile_span_t, sorted by start
     *   cart_times   int64_t, sorted
     *   order_times  int64_t, sorted
     *   currencies   profile_money_t, sorted by code
     *   buckets      profile_bucket_t, sorted by (agg, day)
     *   traits       profile_trait_t, sorted by name
     *   links        profile_link_t, sorted by (time, a, b)
     *   names        profile_count_t, sorted by name
     *   weights      profile_weight_t, sorted by (name, day) */
    uint8_t              nsessions, ncarts, norders, ncurrencies, ntraits;
    uint8_t              nlinks, nnames, nweights;
    unsigned char       *lists;              /* NULL: never an entry */

    /* contextual: the newest event's context, the intern_tuple_id of
     * the tuple in the state's table (0: none yet), and its referrer,
     * an intern_id (0: none; too varied to share as part of the tuple:
     * often a page of the site); read with profile_ctx and
     * profile_referrer */
    uint32_t             ctx;
    uint32_t             referrer;
} profile_t;

_Static_assert(PROFILE_BUCKETS_MAX < (1 << 11), "nbuckets: 11 bits");

/* p's context (&profile_no_context when it has none), whose strings are
 * in `strings`, the table p's strings are in. */
static inline const profile_context_t *
profile_ctx(const profile_t *p, const intern_t *strings)
{
    return p->ctx ? (const profile_context_t *) intern_tuple(strings, p->ctx)
                  : &profile_no_context;
}

/* p's referrer, or NULL. */
static inline const char *
profile_referrer(const profile_t *p, const intern_t *strings)
{
    return p->referrer ? intern_str(strings, p->referrer) : NULL;
}

#define PROFILE_SINCE_HEAD  0x1u
#define PROFILE_SINCE_BASE  0x2u
#define PROFILE_SINCE_FORK  0x4u
#define PROFILE_SINCE_FROM  0x8u
#define PROFILE_CHANGED     (PROFILE_SINCE_HEAD | PROFILE_SINCE_BASE \
                             | PROFILE_SINCE_FORK | PROFILE_SINCE_FROM)

/* Where list k (PROFILE_L_*; PROFILE_NLISTS: the end of the last)
 * starts in p's block: after the lists before it. */
static inline size_t
profile_list_off(const profile_t *p, unsigned k)
{
    size_t  o = 0;

    switch (k) {
    case PROFILE_NLISTS:
        o += (size_t) p->nweights * sizeof(profile_weight_t);
        /* fall through */
    case PROFILE_L_WEIGHTS:
        o += (size_t) p->nnames * sizeof(profile_count_t);
        /* fall through */
    case PROFILE_L_NAMES:
        o += (size_t) p->nlinks * sizeof(profile_link_t);
        /* fall through */
    case PROFILE_L_LINKS:
        o += (size_t) p->ntraits * sizeof(profile_trait_t);
        /* fall through */
    case PROFILE_L_TRAITS:
        o += (size_t) p->nbuckets * sizeof(profile_bucket_t);
        /* fall through */
    case PROFILE_L_BUCKETS:
        o += (size_t) p->ncurrencies * sizeof(profile_money_t);
        /* fall through */
    case PROFILE_L_REVENUE:
        o += (size_t) p->norders * sizeof(int64_t);
        /* fall through */
    case PROFILE_L_ORDERS:
        o += (size_t) p->ncarts * sizeof(int64_t);
        /* fall through */
    case PROFILE_L_CARTS:
        o += (size_t) p->nsessions * sizeof(profile_span_t);
        /* fall through */
    default:
        break;
    }
    return o;
}

/* The bytes of p's block: its lists, then its dropped counts. */
static inline size_t
profile_block_size(const profile_t *p)
{
    return profile_list_off(p, PROFILE_NLISTS)
           + (p->has_drops ? PROFILE_NDROPS * sizeof(uint32_t) : 0);
}

/* The first entry of list k of p; NULL when p never had an entry. */
static inline void *
profile_list(const profile_t *p, unsigned k)
{
    return p->lists != NULL ? p->lists + profile_list_off(p, k) : NULL;
}

static inline profile_span_t *
profile_sessions(const profile_t *p)
{
    return profile_list(p, PROFILE_L_SESSIONS);
}

static inline int64_t *
profile_cart_times(const profile_t *p)
{
    return profile_list(p, PROFILE_L_CARTS);
}

static inline int64_t *
profile_order_times(const profile_t *p)
{
    return profile_list(p, PROFILE_L_ORDERS);
}

static inline profile_money_t *
profile_currencies(const profile_t *p)
{
    return profile_list(p, PROFILE_L_REVENUE);
}

static inline profile_bucket_t *
profile_buckets(const profile_t *p)
{
    return profile_list(p, PROFILE_L_BUCKETS);
}

static inline profile_trait_t *
profile_traits(const profile_t *p)
{
    return profile_list(p, PROFILE_L_TRAITS);
}

static inline profile_link_t *
profile_links(const profile_t *p)
{
    return profile_list(p, PROFILE_L_LINKS);
}

static inline profile_count_t *
profile_names(const profile_t *p)
{
    return profile_list(p, PROFILE_L_NAMES);
}

static inline profile_weight_t *
profile_weights(const profile_t *p)
{
    return profile_list(p, PROFILE_L_WEIGHTS);
}

/* How many entries of list `kind` (PROFILE_DROP_*) p dropped. */
static inline uint32_t
profile_dropped(const profile_t *p, unsigned kind)
{
    uint32_t  v = 0;

    if (p->has_drops) {     /* after the last list: 4-aligned (profile.c) */
        memcpy(&v, p->lists + profile_list_off(p, PROFILE_NLISTS)
                   + kind * sizeof(uint32_t), sizeof(v));
    }
    return v;
}

/* Counts n more entries of list `kind` (PROFILE_DROP_*) as dropped,
 * saturating at UINT32_MAX.  SPOOR_E_NOMEM when p had dropped none yet
 * and there is no memory for the counts: nothing is counted then, and
 * the caller must not drop the entries. */
int profile_count_dropped(profile_t *p, unsigned kind, uint64_t n);

profile_t *profile_new(void);

/* The browser family (useragent.h) and device class ("desktop", "mobile",
 * "tablet"; NULL when ua has no data) of a User-Agent, static strings,
 * from a cache of the agents seen last (one per thread). */
void profile_ua_classify(const spoor_str_t *ua, const char **family,
    const char **device);
void profile_free(profile_t *p);

/* Frees p's lists and its traits' values: every list of p is empty
 * then, and the rest of p as it was (for a caller done with what the
 * lists held, which frees p later). */
void profile_drop_lists(profile_t *p);

/* Asks the CPU for what profile_free(p) will read (p already in cache or
 * on its way), so a pass freeing many profiles does not wait on each. */
void profile_prefetch_free(const profile_t *p);

/* Folds one event (already admitted: consent allows profiling) into p.
 * When category is not NULL it receives the event's properties.category
 * when that is a string (also an empty one; data NULL otherwise): the
 * value the fold read, for a caller that counts it. */
int profile_fold(profile_t *p, const spoor_event_t *ev,
    const profile_conf_t *conf, spoor_str_t *category);

/* Folds a batch-imported trait (source 1); a fresher value wins. */
int profile_import_trait(profile_t *p, intern_t *strings, const char *name,
    size_t len,
    const unsigned char *value, size_t value_len, int64_t time);

/* Records that ids a and b were seen together at time t. */
void profile_link(profile_t *p, uint64_t a, uint64_t b, int64_t t);

/* Merges src into dst (src is left as it was; free it after). */
int profile_merge(profile_t *dst, const profile_t *src,
    const profile_conf_t *conf);

/* The decayed weight of `name` ("" for engagement; p's names are in
 * `strings`) at time now: the sum over its days of
 * w * 2^(-(now - noon of the day) / half_life). */
double profile_decayed(const profile_t *p, const intern_t *strings,
    const char *name, int64_t now_ms, int64_t half_life_ms);

/* The same for the weight name whose intern id is `name`. */
double profile_decayed_id(const profile_t *p, uint32_t name, int64_t now_ms,
    int64_t half_life_ms);

/* Drops weights older than min_day. */
void profile_prune_weights(profile_t *p, int32_t min_day);

/* Abandoned carts as of now: kept cart adds with no order within
 * abandon_ms after them (and at least abandon_ms old). */
uint64_t profile_abandoned(const profile_t *p, int64_t now_ms,
    int64_t abandon_ms);

/* Total revenue over currencies (as plain numbers). */
double profile_revenue(const profile_t *p);

/* The key of a windowed aggregate: a hash of its kind, event and window,
 * so that buckets survive a change of the rules file for the aggregates
 * that stay. */
uint32_t profile_agg_key(unsigned kind, const char *event, size_t len,
    int64_t window_ms);

/* Windowed aggregate `key` over the days (now - window, now]. */
double profile_window(const profile_t *p, uint32_t key, int64_t now_ms,
    int64_t window_ms);

/* Drops buckets whose key is not in keys[0 .. n) or whose day is before
 * min_day. */
void profile_prune(profile_t *p, const uint32_t *keys, size_t n,
    int32_t min_day);

/* Serializes p (its whole state; its names are in `strings`) as one
 * msgpack map, keys in a fixed order, so that equal profiles give equal
 * bytes. */
int profile_pack(const profile_t *p, const intern_t *strings,
    msgpack_packer *pk);

/* Reads what profile_pack wrote, its strings interned in `strings` (which
 * must outlive the profile); SPOOR_E_FORMAT on anything else. */
int profile_unpack(const msgpack_object *o, intern_t *strings,
    profile_t **out);

#endif /* SPOOR_PROFILE_H */
