/*
 * fuzz_fold.c -- libFuzzer target: any bytes as a run of event records,
 * folded into one profile the way ingest folds an admitted event
 * (profile_fold), with windowed aggregates of every kind the rules have.
 *
 * The bytes are decoded record after record (spoor_event_decode_next; the
 * first one that does not decode ends the run), at most FOLD_MAX events.
 * Checks beyond "no crash, no leak, no sanitizer report", which are
 * profile.h's promise that every piece of a profile is a commutative
 * merge, so that equal inputs give equal bytes:
 *   - the events folded in the order they came and in the reverse order
 *     give the same record (profile_pack);
 *   - the first half folded into one profile and the second half into
 *     another, merged (profile_merge), give that record too;
 *   - the record reads back (profile_unpack) and packs to the same bytes;
 *   - what a commit writes of it as of its last event (inferred_record,
 *     the record and serving record with their summary,
 *     inferred_next_change) packs, and the record reads back.
 * The order checks hold inside the kept window only: they are skipped
 * when one of the profiles compared dropped entries of a bounded list
 * (profile.h), as a run of more distinct names, days or sessions than
 * the lists keep may.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include "error.h"
#include "event.h"
#include "intern.h"
#include "inferred.h"
#include "profile.h"
#include "rules.h"
#include "stored.h"

#define FOLD_MAX  64                /* events of one run */

/* One windowed aggregate of each kind (counts of every event and of one
 * event, sums of revenue) and a rule on each kind of field a profile
 * provides (docs/rules.md). */
static const char  rules_text[] =
    "segment busy = count(12h) >= 3;\n"
    "segment x3 = count(event = \"X\", 3d) >= 1;\n"
    "segment spent = sum(revenue, 2d) > 0;\n"
    "segment recent = last_seen within 2d and first_seen within 36h;\n"
    "segment bought = last_order within 5d or abandoned_carts >= 1;\n"
    "segment big = revenue > 100 and orders >= 2 and sessions > 1;\n"
    "segment keen = engagement > 2 or interest.shoes > 0.5;\n"
    "segment stage = lifecycle = \"active\" and rfm.r >= 3;\n"
    "segment where = country = \"DE\" or browser = \"Chrome\";\n"
    "segment pro = traits.plan = \"pro\" or traits.vip = true;\n"
    "segment xs = events.X >= 2 and page_views < 1000;\n";

static spoor_rules_t     *rules;
static uint32_t           agg_keys[8];
static inferred_clock_t   clk;
static const int64_t      life_ms[3] = {
    7 * 86400000LL, 30 * 86400000LL, 90 * 86400000LL
};


static void
set_up(void)
{
    char    err[256];
    size_t  i;

    if (rules != NULL) {
        return;
    }
    if (spoor_rules_parse(rules_text, sizeof(rules_text) - 1, "fuzz",
                          &rules, err, sizeof(err)) != SPOOR_OK
        || spoor_rules_naggs(rules) > sizeof(agg_keys) / sizeof(agg_keys[0]))
    {
        abort();
    }
    for (i = 0; i < spoor_rules_naggs(rules); i++) {
        const spoor_rule_agg_t  *a = spoor_rules_agg(rules, i);

        agg_keys[i] = profile_agg_key(a->kind, a->event, a->event_len,
                                      a->window_ms);
    }
    if (inferred_clock_init(&clk, 60 * 60 * 1000, life_ms, 0, rules,
                            agg_keys) != SPOOR_OK)
    {
        abort();
    }
}


/* What a commit writes of p as of its last event: the record with what
 * is inferred, the serving record and summary; the record reads back. */
static void
commit_view(const profile_t *p, const profile_conf_t *c)
{
    inferred_conf_t    ic;
    stored_profile_t   rec, back;
    stored_decayed_t  *dec;
    stored_str_t       segs[16];
    unsigned char      sum[SPOOR_SERVE_SUM_LARGE];
    msgpack_sbuffer    sb;
    msgpack_packer     pk;
    double             cols[3];
    char               err[128];
    int                j;

    if (spoor_rules_count(rules) > sizeof(segs) / sizeof(segs[0])
        || stored_serve_sum_size(rules) > sizeof(sum))
    {
        abort();
    }
    memset(&ic, 0, sizeof(ic));
    ic.as_of = p->last_seen != INT64_MIN ? p->last_seen : 0;
    ic.abandon_ms = c->abandon_ms;
    ic.half_life_ms = c->half_life_ms;
    memcpy(ic.lifecycle_ms, life_ms, sizeof(life_ms));
    ic.rules = rules;
    ic.agg_keys = agg_keys;
    ic.strings = c->strings;
    if (p->orders) {
        for (j = 0; j < 3; j++) {
            cols[j] = inferred_rfm_value(p, ic.as_of, j);
        }
        if (inferred_rfm_cuts(&ic, cols, 1, 1) != SPOOR_OK) {
            return;                     /* out of memory */
        }
    }
    dec = malloc((p->nweights ? p->nweights : 1) * sizeof(*dec));
    if (dec == NULL) {
        return;
    }
    memset(&rec, 0, sizeof(rec));
    rec.id.ptr = "0123456789abcdef";
    rec.id.len = 16;
    rec.profile = p;
    rec.strings = c->strings;
    inferred_record(&ic, p, &rec, dec, segs);
    rec.next = inferred_next_change(&clk, p, ic.as_of);
    stored_serve_summary(&rec, rules, sum);

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (stored_serve_pack(&pk, &rec) != SPOOR_OK) {
        abort();
    }
    sb.size = 0;
    if (stored_profile_pack(&pk, &rec) != SPOOR_OK) {
        abort();
    }
    if (stored_profile_read(&back, (const unsigned char *) sb.data, sb.size,
                            err, sizeof(err)) != SPOOR_OK)
    {
        abort();
    }
    stored_profile_free(&back);
    msgpack_sbuffer_destroy(&sb);
    free(dec);
}


/* The events [from, to) of evs into a new profile, forwards or
 * backwards; NULL when the fold runs out of memory. */
static profile_t *
fold_all(const spoor_event_t *evs, size_t from, size_t to, int backwards,
    const profile_conf_t *c)
{
    profile_t  *p = profile_new();
    size_t      i;

    for (i = from; p != NULL && i < to; i++) {
        if (profile_fold(p, &evs[backwards ? to - 1 - (i - from) : i], c,
                         NULL) != SPOOR_OK)
        {
            profile_free(p);
            p = NULL;
        }
    }
    return p;
}


static int
dropped_any(const profile_t *p)
{
    unsigned  k;

    for (k = 0; k < PROFILE_NDROPS; k++) {
        if (profile_dropped(p, k) != 0) {
            return 1;
        }
    }
    return 0;
}


/* p packed into sb (emptied first). */
static void
pack(const profile_t *p, const intern_t *strs, msgpack_sbuffer *sb)
{
    msgpack_packer  pk;

    sb->size = 0;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    if (profile_pack(p, strs, &pk) != SPOOR_OK) {
        abort();
    }
}


static int
same(const msgpack_sbuffer *a, const msgpack_sbuffer *b)
{
    return a->size == b->size && memcmp(a->data, b->data, a->size) == 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static spoor_event_t  evs[FOLD_MAX];
    profile_conf_t        c;
    intern_t              strs;
    profile_t            *fwd, *back = NULL, *half = NULL, *rest = NULL;
    profile_t            *again = NULL;
    msgpack_sbuffer       a, b;
    msgpack_unpacked      u;
    size_t                n = 0, off = 0, len, cut;

    set_up();
    while (n < FOLD_MAX && off < size
           && spoor_event_decode_next(data + off, size - off, &evs[n], &len)
              == SPOOR_OK)
    {
        off += len;
        n++;
    }

    intern_init(&strs);
    memset(&c, 0, sizeof(c));
    c.session_gap_ms = 30 * 60 * 1000;
    c.abandon_ms = 60 * 60 * 1000;
    c.half_life_ms = 30LL * 86400 * 1000;
    c.rules = rules;
    c.naggs = spoor_rules_naggs(rules);
    c.agg_keys = agg_keys;
    c.max_window_ms = 3LL * 86400 * 1000;
    c.strings = &strs;
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&b);
    msgpack_unpacked_init(&u);

    fwd = fold_all(evs, 0, n, 0, &c);
    if (fwd == NULL) {
        goto done;                      /* out of memory: nothing to hold */
    }
    pack(fwd, &strs, &a);

    /* the record reads back as it was written */
    off = 0;
    if (msgpack_unpack_next(&u, a.data, a.size, &off)
        != MSGPACK_UNPACK_SUCCESS
        || profile_unpack(&u.data, &strs, &again) != SPOOR_OK)
    {
        abort();
    }
    pack(again, &strs, &b);
    if (!same(&a, &b)) {
        abort();
    }

    commit_view(fwd, &c);

    /* in the reverse order */
    back = fold_all(evs, 0, n, 1, &c);
    if (back != NULL && !dropped_any(fwd) && !dropped_any(back)) {
        pack(back, &strs, &b);
        if (!same(&a, &b)) {
            abort();
        }
    }

    /* in two halves, merged */
    cut = n / 2;
    half = fold_all(evs, 0, cut, 0, &c);
    rest = fold_all(evs, cut, n, 0, &c);
    if (half != NULL && rest != NULL && !dropped_any(fwd)
        && !dropped_any(half) && !dropped_any(rest)
        && profile_merge(half, rest, &c) == SPOOR_OK && !dropped_any(half))
    {
        half->merges = fwd->merges;     /* a merge counts itself */
        pack(half, &strs, &b);
        if (!same(&a, &b)) {
            abort();
        }
    }

done:
    profile_free(fwd);
    profile_free(back);
    profile_free(half);
    profile_free(rest);
    profile_free(again);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
    intern_free(&strs);
    return 0;
}
