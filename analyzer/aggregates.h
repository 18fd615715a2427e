/*
 * aggregates.h -- the bounded event aggregates a state keeps for reports
 * (docs/report.md): counts by day, consent outcome, page, referrer,
 * campaign, browser and device, kept as the state's counters (state.h:
 * a sorted array of "key" -> n, summed over runs, stored in every
 * generation's metadata).
 *
 * Keys (DAY is YYYY-MM-DD, UTC, of the receive time; every NAME is cut
 * before a NUL byte and to AGG_NAME_MAX bytes at a UTF-8 character
 * boundary: agg_cut()):
 *   "dk:DAY:TYPE"                      events of a type on a day
 *   "dn:DAY:NAME"                      events of a name (track event,
 *                                      page name) on a day
 *   "dc:DAY:SIGNAL\x1fACTION\x1fCC"    consent outcomes (CC "" unknown)
 *   "tp:PATH"  "tr:HOST"  "tc:SOURCE / MEDIUM / NAME"  "tb:FAMILY"
 *   "td:DEVICE"                        the top lists
 *   "te:tp" "te:tr" "te:tc" "te:category"   a top list's error (the
 *                                      largest count it dropped)
 *   "q:..." "skip:REASON" "ident:..."  quality and identity totals
 * (the older "kind:", "action:", "signal:", "country:" and "category:"
 * counters count ever, by one value each).
 *
 * Bounds, applied by aggregates_bound() at every commit: day keys older
 * than AGG_DAYS days before the as-of day are dropped; a day keeps its
 * AGG_DAY_NAMES most frequent names and as many consent outcomes (so a
 * generation's metadata stays within about 31 x 400 day keys: a follower
 * writes it every publish); the lists tp, tr, tc and category
 * keep their AGG_TOP_KEEP largest (ties by name) and raise their error.
 * So while no bound is reached the counts are exact and do not depend on
 * the order logs were ingested in; past one, they are low by at most the
 * list's error.
 */
#ifndef SPOOR_AGGREGATES_H
#define SPOOR_AGGREGATES_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "state.h"

#define AGG_NAME_MAX    64
#define AGG_DAYS        31
#define AGG_DAY_NAMES   200
#define AGG_TOP_KEEP    1000

/* One counter an event adds to: its key, prefix included, in the caller's
 * buffer. */
typedef struct {
    const char  *key;
    size_t       len;
} agg_key_t;

#define AGG_EVENT_KEYS  8
#define AGG_KEY_MAX     (16 + 3 * (AGG_NAME_MAX + 4))

/* What the keys of one event are built with: the day last formatted
 * (most events of a log fall on the same day). */
typedef struct {
    int64_t   day;                  /* days since the epoch; INT64_MIN: none */
    char      text[16];             /* "YYYY-MM-DD" */
    char      buf[AGG_EVENT_KEYS][AGG_KEY_MAX];
} agg_scratch_t;

void agg_scratch_init(agg_scratch_t *s);

/*
 * (run_counts.c remembers these keys by the event fields each prefix is
 * made of: a change of what a key reads changes its group there too.)
 *
 * The day, consent and top-list keys of ev (never the older ones) into
 * out[0 .. return value), built in s's buffers (valid until the next
 * call).  browser and device are the agent's family and device class
 * (NULL: no agent).  Pure but for s.
 */
size_t agg_event_keys(agg_scratch_t *s, const spoor_event_t *ev,
    const char *browser, const char *device, agg_key_t *out);

/* The day (days since the epoch, UTC) of a time in ms since the epoch. */
int64_t agg_day(int64_t ms);

/* The length of s[0 .. len) cut before its first NUL byte, then to at
 * most max bytes at a UTF-8 character boundary. */
size_t agg_cut(const char *s, size_t len, size_t max);

/*
 * Applies the bounds above to st's counters as of st->as_of.  Returns
 * SPOOR_OK or SPOOR_E_NOMEM (counters unchanged then).
 */
int aggregates_bound(state_t *st);

#endif /* SPOOR_AGGREGATES_H */
