/*
 * test_profile.c -- one profile's serialized form (analyzer/profile.h):
 * what profile_pack writes, profile_unpack reads back, whatever the
 * events folded into the profile held; and what profile_unpack refuses.
 */
#define _GNU_SOURCE                 /* memmem */
#include <criterion/criterion.h>
#include <string.h>
#include <msgpack.h>
#include "error.h"
#include "event.h"
#include "profile.h"
#include "rules.h"

#define T0  1767225600000LL             /* 2026-01-01T00:00:00Z */


/* The profiles' strings of every test (reachable to the end). */
static intern_t  strings;

/* A profile's context and referrer, read through the table. */
#define CTX(p)  profile_ctx(p, &strings)
#define REF(p)  profile_referrer(p, &strings)

static profile_conf_t conf_of(void);


/* An event of `kind` received at t from user "u1", nothing else set. */
static void
event_at(spoor_event_t *ev, unsigned kind, int64_t t)
{
    spoor_event_init(ev);
    ev->received_ms = t;
    ev->kind = kind;
    ev->user_id.data = "u1";
    ev->user_id.len = 2;
}


/* Folds ev into p, which must succeed. */
static void
fold_ev(profile_t *p, const spoor_event_t *ev)
{
    profile_conf_t  c = conf_of();

    cr_assert_eq(profile_fold(p, ev, &c, NULL), SPOOR_OK);
}


/* The rules the folds keep windowed aggregates for (NULL: none) and
 * their keys (profile_agg_key), set by a test that needs them. */
static const spoor_rules_t  *fold_rules;
static uint32_t              fold_keys[8];


static profile_conf_t
conf_of(void)
{
    profile_conf_t  c;

    memset(&c, 0, sizeof(c));
    c.session_gap_ms = 30 * 60 * 1000;
    c.abandon_ms = 60 * 60 * 1000;
    c.half_life_ms = 30LL * 86400 * 1000;
    c.strings = &strings;
    if (fold_rules != NULL) {
        c.rules = fold_rules;
        c.naggs = spoor_rules_naggs(fold_rules);
        c.agg_keys = fold_keys;
    }
    return c;
}


/* Folds a track event name[0 .. nlen) with the properties packed in sb
 * (a msgpack map) at time t into p, then frees sb. */
static void
fold_track(profile_t *p, const char *name, size_t nlen, msgpack_sbuffer *sb,
    int64_t t)
{
    msgpack_unpacked  u;
    spoor_event_t     ev;
    size_t            off = 0;

    msgpack_unpacked_init(&u);
    cr_assert_eq(msgpack_unpack_next(&u, sb->data, sb->size, &off),
                 MSGPACK_UNPACK_SUCCESS);
    event_at(&ev, SPOOR_KIND_TRACK, t);
    ev.name.data = name;
    ev.name.len = nlen;
    ev.properties.obj = &u.data;
    fold_ev(p, &ev);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(sb);
}


/* Folds an "Order Completed" of `revenue` in currency cur[0 .. len) at
 * time t. */
static void
fold_order_at(profile_t *p, const char *cur, size_t len, double revenue,
    int64_t t)
{
    msgpack_sbuffer   sb;
    msgpack_packer    pk;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "revenue", 7);
    msgpack_pack_double(&pk, revenue);
    msgpack_pack_str_with_body(&pk, "currency", 8);
    msgpack_pack_str_with_body(&pk, cur, len);
    fold_track(p, "Order Completed", 15, &sb, t);
}


/* The same at T0. */
static void
fold_order(profile_t *p, const char *cur, size_t len, double revenue)
{
    fold_order_at(p, cur, len, revenue, T0);
}


/* profile_pack(p), then profile_unpack of that: returns the code and the
 * profile read back in *q. */
static int
round_trip(const profile_t *p, profile_t **q, msgpack_sbuffer *sb)
{
    msgpack_packer    pk;
    msgpack_unpacked  u;
    size_t            off = 0;
    int               rc;

    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    cr_assert_eq(profile_pack(p, &strings, &pk), SPOOR_OK);
    msgpack_unpacked_init(&u);
    cr_assert_eq(msgpack_unpack_next(&u, sb->data, sb->size, &off),
                 MSGPACK_UNPACK_SUCCESS);
    rc = profile_unpack(&u.data, &strings, q);
    msgpack_unpacked_destroy(&u);
    return rc;
}


Test(profile, what_pack_writes_unpack_reads_back)
{
    profile_t        *p = profile_new(), *q = NULL, *r = NULL;
    msgpack_sbuffer   a, b;

    cr_assert_not_null(p);
    fold_order(p, "EUR", 3, 12.5);
    fold_order(p, "USD", 3, 2);
    cr_assert_eq(round_trip(p, &q, &a), SPOOR_OK);
    cr_assert_eq(q->ncurrencies, 2);
    cr_assert_eq(round_trip(q, &r, &b), SPOOR_OK);
    cr_assert_eq(a.size, b.size);
    cr_assert_eq(memcmp(a.data, b.data, a.size), 0, "not the same bytes");
    profile_free(p);
    profile_free(q);
    profile_free(r);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
}


Test(profile, a_currency_with_a_nul_byte_does_not_poison_the_profile)
{
    static const struct {
        const char  *code;
        size_t       len;
    } codes[] = {
        { "\0", 1 }, { "\0AB", 3 }, { "A\0B", 3 }, { "EU\0", 3 },
        { "", 0 }, { "EURO", 4 }
    };
    profile_t        *p, *q;
    msgpack_sbuffer   sb;
    size_t            i;

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        p = profile_new();
        cr_assert_not_null(p);
        fold_order(p, codes[i].code, codes[i].len, 10);
        q = NULL;
        cr_assert_eq(round_trip(p, &q, &sb), SPOOR_OK,
                     "code %zu: the profile no longer reads back", i);
        cr_assert_eq(q->ncurrencies, 1);
        cr_assert_str_eq(profile_currencies(q)[0].code, "???", "code %zu", i);
        cr_assert_eq(profile_currencies(q)[0].micros, 10000000);
        profile_free(p);
        profile_free(q);
        msgpack_sbuffer_destroy(&sb);
    }
}


Test(profile, unpack_refuses_a_currency_pack_could_not_write)
{
    profile_t        *p = profile_new(), *q = (profile_t *) 1;
    msgpack_sbuffer   sb;
    msgpack_packer    pk;
    msgpack_unpacked  u;
    char             *at;
    size_t            off = 0;

    cr_assert_not_null(p);
    fold_order(p, "EUR", 3, 10);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    cr_assert_eq(profile_pack(p, &strings, &pk), SPOOR_OK);
    /* "EUR" -> "\0UR" in place: what a damaged snapshot may hold */
    at = memmem(sb.data, sb.size, "\xa3" "EUR", 4);
    cr_assert_not_null(at);
    at[1] = '\0';
    msgpack_unpacked_init(&u);
    cr_assert_eq(msgpack_unpack_next(&u, sb.data, sb.size, &off),
                 MSGPACK_UNPACK_SUCCESS);
    cr_assert_eq(profile_unpack(&u.data, &strings, &q), SPOOR_E_FORMAT);
    cr_assert_null(q);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sb);
    profile_free(p);
}


/* The bytes of sb with the one occurrence of `from` replaced by `to`. */
static void
replace_once(msgpack_sbuffer *sb, const char *from, size_t flen,
    const char *to, size_t tlen, msgpack_sbuffer *out)
{
    const char  *at = memmem(sb->data, sb->size, from, flen);

    cr_assert_not_null(at, "the bytes to replace are not there");
    cr_assert_null(memmem(at + 1, sb->size - (size_t) (at + 1 - sb->data),
                          from, flen), "the bytes to replace are there twice");
    msgpack_sbuffer_init(out);
    msgpack_sbuffer_write(out, sb->data, (size_t) (at - sb->data));
    msgpack_sbuffer_write(out, to, tlen);
    msgpack_sbuffer_write(out, at + flen,
                          sb->size - (size_t) (at - sb->data) - flen);
}


/* p written, its one count of UINT32_MAX made 2^32 + 5, and read back. */
static profile_t *
read_larger(const profile_t *p)
{
    profile_t        *r = NULL;
    msgpack_sbuffer   sb, big;
    msgpack_unpacked  u;
    size_t            off = 0;

    cr_assert_eq(round_trip(p, &r, &sb), SPOOR_OK);
    profile_free(r);
    r = NULL;
    replace_once(&sb, "\xce\xff\xff\xff\xff", 5,
                 "\xcf\x00\x00\x00\x01\x00\x00\x00\x05", 9, &big);
    msgpack_unpacked_init(&u);
    cr_assert_eq(msgpack_unpack_next(&u, big.data, big.size, &off),
                 MSGPACK_UNPACK_SUCCESS);
    cr_assert_eq(profile_unpack(&u.data, &strings, &r), SPOOR_OK);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_destroy(&big);
    return r;
}


static void fold_named(profile_t *p, const char *name, const char *cat,
    int64_t t);


/* Money goes up and down (refunds), so its sums cannot saturate and stay
 * the same in any order: past 2^63 - 1 micros they wrap as two's
 * complement, defined (a signed overflow is undefined: SAN=1 stops on
 * it), to the same sum whatever order the orders came in. */
Test(profile, money_sums_past_the_most_are_the_same_in_any_order)
{
    profile_t  *p = profile_new(), *q = profile_new();
    int         i;

    cr_assert(p != NULL && q != NULL);
    for (i = 0; i < 10; i++) {
        fold_order(p, "EUR", 3, 9.9e11);    /* past 2^63 - 1 micros */
    }
    fold_order(p, "EUR", 3, -9.9e11);
    fold_order(q, "EUR", 3, -9.9e11);       /* never past it */
    for (i = 0; i < 10; i++) {
        fold_order(q, "EUR", 3, 9.9e11);
    }
    cr_assert_eq(p->ncurrencies, 1);
    cr_assert_eq(q->ncurrencies, 1);
    cr_assert_eq(profile_currencies(p)[0].micros, 8910000000000000000LL);
    cr_assert_eq(profile_currencies(q)[0].micros, 8910000000000000000LL);
    cr_assert_eq(profile_revenue(p), 8.91e12);
    profile_free(p);
    profile_free(q);
}


/* Folds an identify event at T0 whose traits are the msgpack map
 * raw[0 .. len). */
static void
fold_identify(profile_t *p, const char *raw, size_t len)
{
    spoor_event_t   ev;

    event_at(&ev, SPOOR_KIND_IDENTIFY, T0);
    ev.traits.raw = (const unsigned char *) raw;
    ev.traits.raw_len = len;
    fold_ev(p, &ev);
}


/* A trait's name is kept up to a NUL, as a record holds it (a C string):
 * "t" and "t\0\0" are one trait, whichever came first, not two traits
 * that a record writes with the same name. */
Test(profile, a_trait_name_is_kept_up_to_a_nul_as_a_record_holds_it)
{
    /* {"t": 1, "t\0\0": 2}, and the same pairs the other way round */
    static const char  ab[] = "\x82\xa1t\x01\xa3t\0\0\x02";
    static const char  ba[] = "\x82\xa3t\0\0\x02\xa1t\x01";
    profile_t         *p = profile_new(), *q = profile_new();
    profile_t         *both[2] = { p, q };
    int                k;

    cr_assert(p != NULL && q != NULL);
    fold_identify(p, ab, sizeof(ab) - 1);
    fold_identify(q, ba, sizeof(ba) - 1);
    for (k = 0; k < 2; k++) {
        const profile_trait_t  *t = profile_traits(both[k]);

        cr_assert_eq(both[k]->ntraits, 1, "%u traits",
                     (unsigned) both[k]->ntraits);
        cr_assert_str_eq(intern_str(&strings, t[0].name), "t");
        cr_assert_eq(t[0].value_len, 1);
        cr_assert_eq(profile_trait_value(&t[0])[0], 0x02,
                     "the larger value wins a tie");
    }
    profile_free(p);
    profile_free(q);
}


/* A trait's value is held in the trait up to PROFILE_TRAIT_INLINE bytes,
 * allocated past it: values of every length around that read back as
 * given, through a change from short to long and back, an unset, and a
 * record written and read back. */
Test(profile, trait_values_short_and_long_read_back_as_given)
{
    static const unsigned char  bytes[] = "\xb0" "abcdefghijklmnop";
    profile_t                  *p = profile_new(), *q = NULL, *r = NULL;
    msgpack_sbuffer             a, b;
    char                        name[8];
    size_t                      len;
    const profile_trait_t      *t;

    cr_assert_not_null(p);
    for (len = 0; len <= 12; len++) {           /* "t00" .. "t12" */
        snprintf(name, sizeof(name), "t%02zu", len);
        cr_assert_eq(profile_import_trait(p, &strings, name, 3, bytes, len,
                                          T0), SPOOR_OK);
    }
    /* t07 grows past the trait, t12 shrinks into it, t10 is unset */
    cr_assert_eq(profile_import_trait(p, &strings, "t07", 3, bytes, 12,
                                      T0 + 1), SPOOR_OK);
    cr_assert_eq(profile_import_trait(p, &strings, "t12", 3, bytes, 2,
                                      T0 + 1), SPOOR_OK);
    cr_assert_eq(profile_import_trait(p, &strings, "t10", 3, NULL, 0,
                                      T0 + 1), SPOOR_OK);
    cr_assert_eq(round_trip(p, &q, &a), SPOOR_OK);
    cr_assert_eq(round_trip(q, &r, &b), SPOOR_OK);
    cr_assert(a.size == b.size && memcmp(a.data, b.data, a.size) == 0,
              "not the same bytes");
    for (int k = 0; k < 2; k++) {
        const profile_t  *x = k ? r : p;

        cr_assert_eq(x->ntraits, 13);
        t = profile_traits(x);
        for (len = 0; len <= 12; len++) {
            size_t  want = len == 7 ? 12 : len == 12 ? 2 : len;

            if (len == 10) {
                cr_assert(!t[len].set && profile_trait_value(&t[len]) == NULL,
                          "t10 is unset");
                continue;
            }
            cr_assert(t[len].set, "t%02zu", len);
            cr_assert_eq(t[len].value_len, want, "t%02zu", len);
            cr_assert(memcmp(profile_trait_value(&t[len]), bytes, want) == 0,
                      "t%02zu: not its bytes", len);
            /* held in the trait exactly up to PROFILE_TRAIT_INLINE */
            cr_assert_eq(profile_trait_value(&t[len]) == t[len].v.in,
                         want <= PROFILE_TRAIT_INLINE, "t%02zu", len);
        }
    }
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
    profile_free(p);
    profile_free(q);
    profile_free(r);
}


/* An event's time comes from a client's clock or a crafted record, any
 * 64 bits: it is taken within +-2^53 ms, so that what is computed of the
 * profile (decayed weights, windows, recency) never overflows (SAN=1
 * stops on a signed overflow). */
Test(profile, times_past_any_plausible_date_are_taken_at_the_bounds)
{
    profile_t  *p = profile_new();
    double      e;

    cr_assert(p != NULL);
    fold_order_at(p, "EUR", 3, 1, INT64_MAX - 5);
    fold_order_at(p, "EUR", 3, 1, INT64_MIN + 5);
    cr_assert_eq(p->last_seen, PROFILE_TIME_MAX);
    cr_assert_eq(p->first_seen, -PROFILE_TIME_MAX);
    cr_assert_eq(p->last_order, PROFILE_TIME_MAX);
    cr_assert_eq(p->nweights, 2, "engagement on two days");
    /* the order of the latest day, its weight hardly decayed; the other
     * day's long gone */
    e = profile_decayed(p, &strings, "", p->last_seen, 30LL * 86400000);
    cr_assert(e > 4.5 && e <= 5.5, "engagement %g", e);
    profile_free(p);
}


/* A record's times beyond +-2^53 ms (crafted, or written before a fold
 * bounded its events' times) read back at the bound, so that the next
 * fold into it computes nothing that overflows (SAN=1 stops on that);
 * the "none" of the first and last seen stay. */
Test(profile, a_record_s_times_past_the_bounds_read_back_at_them)
{
    profile_t        *p = profile_new(), *q = NULL;
    msgpack_sbuffer   sb;

    cr_assert(p != NULL);
    fold_order(p, "EUR", 3, 1);
    cr_assert_eq(p->nsessions, 1);
    cr_assert_eq(p->norders, 1);
    profile_sessions(p)[0].end = INT64_MAX - 5;
    profile_order_times(p)[0] = INT64_MIN + 5;
    p->last_seen = INT64_MAX - 5;
    cr_assert_eq(round_trip(p, &q, &sb), SPOOR_OK);
    cr_assert_eq(profile_sessions(q)[0].end, PROFILE_TIME_MAX);
    cr_assert_eq(profile_order_times(q)[0], -PROFILE_TIME_MAX);
    cr_assert_eq(q->last_seen, PROFILE_TIME_MAX);
    cr_assert_eq(q->last_order, T0, "an ordinary time stays");
    fold_order(q, "EUR", 3, 1);             /* extends the session */
    cr_assert_eq(profile_sessions(q)[0].end, PROFILE_TIME_MAX);
    msgpack_sbuffer_destroy(&sb);
    profile_free(q);
    q = NULL;

    /* a profile of imported traits only keeps its "no event yet" */
    profile_free(p);
    p = profile_new();
    cr_assert_eq(profile_import_trait(p, &strings, "plan", 4,
                                      (const unsigned char *) "\xa3pro", 4,
                                      T0), SPOOR_OK);
    cr_assert_eq(round_trip(p, &q, &sb), SPOOR_OK);
    cr_assert_eq(q->first_seen, INT64_MAX);
    cr_assert_eq(q->last_seen, INT64_MIN);
    msgpack_sbuffer_destroy(&sb);
    profile_free(q);
    profile_free(p);
}


/* A context's strings and the referrer are kept up to a NUL, as a record
 * holds them: read back, the profile has the same ids it had. */
Test(profile, context_strings_are_kept_up_to_a_nul_as_a_record_holds_them)
{
    profile_t        *p = profile_new(), *q = NULL;
    msgpack_sbuffer   sb;
    spoor_event_t     ev;

    cr_assert(p != NULL);
    event_at(&ev, SPOOR_KIND_PAGE, T0);
    ev.has_geo = 1;
    ev.geo.country.data = "DE\0x";
    ev.geo.country.len = 4;
    ev.referrer.data = "https://r.example/\0tail";
    ev.referrer.len = 23;
    fold_ev(p, &ev);
    cr_assert_str_eq(CTX(p)->country, "DE");
    cr_assert_str_eq(REF(p), "https://r.example/");
    cr_assert_eq(round_trip(p, &q, &sb), SPOOR_OK);
    cr_assert_eq(q->ctx, p->ctx, "the same context tuple");
    cr_assert_eq(q->referrer, p->referrer, "the same referrer string");
    msgpack_sbuffer_destroy(&sb);
    profile_free(q);
    profile_free(p);
}


/* The currencies of a record are sorted and distinct, as a fold keeps
 * them (the fourth holds the amounts of the codes after it): a record
 * with them out of order is refused. */
Test(profile, a_record_s_currencies_out_of_order_are_refused)
{
    profile_t        *p = profile_new(), *q = NULL;
    profile_money_t   t;
    msgpack_sbuffer   sb;

    cr_assert(p != NULL);
    fold_order(p, "EUR", 3, 1);
    fold_order(p, "USD", 3, 2);
    cr_assert_eq(p->ncurrencies, 2);
    cr_assert_eq(round_trip(p, &q, &sb), SPOOR_OK);
    msgpack_sbuffer_destroy(&sb);
    profile_free(q);
    q = NULL;
    t = profile_currencies(p)[0];
    profile_currencies(p)[0] = profile_currencies(p)[1];
    profile_currencies(p)[1] = t;
    cr_assert_eq(round_trip(p, &q, &sb), SPOOR_E_FORMAT);
    msgpack_sbuffer_destroy(&sb);
    profile_currencies(p)[0] = profile_currencies(p)[1];   /* twice */
    cr_assert_eq(round_trip(p, &q, &sb), SPOOR_E_FORMAT);
    msgpack_sbuffer_destroy(&sb);
    profile_free(p);
}


/* Past four currencies a profile keeps the four codes that sort first,
 * the fourth also holding the revenue of every code after it: what the
 * orders were, not the order they came in, says which (the fifth code
 * used to go to whichever code was fourth when it came). */
Test(profile, a_fifth_currency_goes_the_same_way_in_any_order)
{
    static const char  *codes[6] = { "USD", "EUR", "JPY", "CHF", "GBP", "AUD" };
    profile_t          *p = profile_new(), *q = profile_new();
    profile_money_t    *m;
    int                 i;

    cr_assert(p != NULL && q != NULL);
    for (i = 0; i < 6; i++) {
        fold_order(p, codes[i], 3, 1 + i);
        fold_order(q, codes[5 - i], 3, 1 + (5 - i));
    }
    cr_assert_eq(p->ncurrencies, 4);
    cr_assert_eq(q->ncurrencies, 4);
    m = profile_currencies(p);
    cr_assert_str_eq(m[0].code, "AUD");
    cr_assert_eq(m[0].micros, 6000000);
    cr_assert_str_eq(m[1].code, "CHF");
    cr_assert_eq(m[1].micros, 4000000);
    cr_assert_str_eq(m[2].code, "EUR");
    cr_assert_eq(m[2].micros, 2000000);
    cr_assert_str_eq(m[3].code, "GBP");     /* GBP 5 + JPY 3 + USD 1 */
    cr_assert_eq(m[3].micros, 9000000, "%lld", (long long) m[3].micros);
    for (i = 0; i < 4; i++) {
        cr_assert_str_eq(profile_currencies(q)[i].code, m[i].code);
        cr_assert_eq(profile_currencies(q)[i].micros, m[i].micros);
    }
    profile_free(p);
    profile_free(q);
}


/* The same for a windowed sum of revenue: its day's bucket and the sum
 * over the window. */
Test(profile, window_sums_past_the_most_are_the_same_in_any_order)
{
    static const char        text[] = "segment spent = sum(revenue, 2d) > 0;\n";
    spoor_rules_t           *r = NULL;
    const spoor_rule_agg_t  *a;
    profile_t               *p = profile_new(), *q = profile_new();
    char                     err[256];
    int                      i;

    cr_assert(p != NULL && q != NULL);
    cr_assert_eq(spoor_rules_parse(text, strlen(text), "test", &r, err,
                                   sizeof(err)), SPOOR_OK, "%s", err);
    cr_assert_eq(spoor_rules_naggs(r), 1);
    a = spoor_rules_agg(r, 0);
    fold_keys[0] = profile_agg_key(a->kind, a->event, a->event_len,
                                   a->window_ms);
    fold_rules = r;
    for (i = 0; i < 10; i++) {
        fold_order(p, "EUR", 3, 9.9e11);
    }
    fold_order(p, "EUR", 3, -9.9e11);
    fold_order(q, "EUR", 3, -9.9e11);
    for (i = 0; i < 10; i++) {
        fold_order(q, "EUR", 3, 9.9e11);
    }
    fold_rules = NULL;
    cr_assert_eq(p->nbuckets, 1);
    cr_assert_eq(profile_buckets(p)[0].value, 8910000000000000000LL);
    cr_assert_eq(profile_buckets(q)[0].value, 8910000000000000000LL);
    cr_assert_eq(profile_window(p, fold_keys[0], T0, 2 * 86400000LL),
                 8.91e18);
    /* the window's sum over two days past the most wraps, defined */
    fold_rules = r;
    fold_order_at(p, "EUR", 3, 9.9e11, T0 - 86400000LL);
    fold_rules = NULL;
    cr_assert_eq(p->nbuckets, 2);
    cr_assert_eq(profile_window(p, fold_keys[0], T0, 2 * 86400000LL),
                 (double) (int64_t) (8910000000000000000ULL
                                     + 990000000000000000ULL));
    spoor_rules_free(r);
    profile_free(p);
    profile_free(q);
}


/* A day's weight is a sum like the counts: a fold or a merge past the
 * most 32 bits hold stops there, never wrapping to a small weight (which
 * would drop an interest, or engagement, to almost nothing). */
Test(profile, day_weights_saturate_and_never_wrap)
{
    profile_t         *p = profile_new(), *q = profile_new();
    profile_t         *both[2] = { p, q };
    profile_conf_t     c = conf_of();
    profile_weight_t  *w;
    size_t             i, k;

    cr_assert(p != NULL && q != NULL);
    fold_named(p, "Product Viewed", "shoes", T0);
    fold_named(q, "Product Viewed", "shoes", T0);
    for (k = 0; k < 2; k++) {
        cr_assert_eq(both[k]->nweights, 2, "shoes and engagement");
        w = profile_weights(both[k]);
        for (i = 0; i < both[k]->nweights; i++) {
            w[i].w = UINT32_MAX - 1;
        }
    }
    cr_assert_eq(profile_merge(p, q, &c), SPOOR_OK);
    w = profile_weights(p);
    cr_assert_eq(p->nweights, 2);
    for (i = 0; i < p->nweights; i++) {
        cr_assert_eq(w[i].w, UINT32_MAX, "merged: %u", w[i].w);
    }
    w[0].w = UINT32_MAX;
    w[1].w = UINT32_MAX;
    fold_named(p, "Product Viewed", "shoes", T0);     /* + 1 each */
    w = profile_weights(p);
    for (i = 0; i < p->nweights; i++) {
        cr_assert_eq(w[i].w, UINT32_MAX, "folded: %u", w[i].w);
    }
    profile_free(p);
    profile_free(q);
}


Test(profile, counts_saturate_and_never_wrap)
{
    profile_t        *p = profile_new(), *q = profile_new(), *r = NULL;
    profile_conf_t    c = conf_of();
    msgpack_sbuffer   sb;

    cr_assert(p != NULL && q != NULL);
    fold_order(p, "EUR", 3, 1);
    fold_order(q, "EUR", 3, 1);
    /* a profile that dropped nothing holds no counts of drops */
    cr_assert_eq(p->has_drops, 0);
    cr_assert_eq(round_trip(p, &r, &sb), SPOOR_OK);
    cr_assert_eq(r->has_drops, 0, "read back, still none");
    profile_free(r);
    r = NULL;
    msgpack_sbuffer_destroy(&sb);

    p->events = UINT32_MAX - 1;
    q->events = 5;
    cr_assert_eq(profile_count_dropped(p, PROFILE_DROP_SESSIONS,
                                       UINT32_MAX - 1), SPOOR_OK);
    cr_assert_eq(profile_count_dropped(p, PROFILE_DROP_NAMES, 7), SPOOR_OK);
    cr_assert_eq(profile_count_dropped(q, PROFILE_DROP_SESSIONS, 5), SPOOR_OK);
    cr_assert_eq(profile_count_dropped(q, PROFILE_DROP_NAMES,
                                       (uint64_t) UINT32_MAX + 9), SPOOR_OK);
    cr_assert_eq(profile_dropped(q, PROFILE_DROP_NAMES), UINT32_MAX);
    cr_assert_eq(profile_dropped(q, PROFILE_DROP_LINKS), 0);

    /* a merge adds them, up to the most a count holds */
    cr_assert_eq(profile_merge(p, q, &c), SPOOR_OK);
    cr_assert_eq(p->events, UINT32_MAX);
    cr_assert_eq(profile_dropped(p, PROFILE_DROP_SESSIONS), UINT32_MAX);
    cr_assert_eq(profile_dropped(p, PROFILE_DROP_NAMES), UINT32_MAX);
    /* and a fold past the most adds nothing */
    fold_order(p, "EUR", 3, 2);
    cr_assert_eq(p->events, UINT32_MAX);

    /* the counts live past the lists: they move as the lists grow */
    fold_named(p, "x", "y", T0);
    cr_assert_eq(profile_dropped(p, PROFILE_DROP_SESSIONS), UINT32_MAX);
    cr_assert_eq(profile_dropped(p, PROFILE_DROP_NAMES), UINT32_MAX);
    cr_assert_eq(profile_dropped(p, PROFILE_DROP_WEIGHTS), 0);
    cr_assert_eq(round_trip(p, &r, &sb), SPOOR_OK);
    cr_assert_eq(r->events, UINT32_MAX);
    cr_assert_eq(profile_dropped(r, PROFILE_DROP_SESSIONS), UINT32_MAX);
    cr_assert_eq(profile_dropped(r, PROFILE_DROP_NAMES), UINT32_MAX);
    profile_free(r);
    msgpack_sbuffer_destroy(&sb);
    profile_free(p);
    profile_free(q);

    /* a record written with a larger count (by a build that kept 64
     * bits) reads back as the most a count holds, not as its low bits:
     * one profile with the events at the most, one with a dropped count */
    p = profile_new();
    fold_order(p, "EUR", 3, 1);
    p->events = UINT32_MAX;
    r = read_larger(p);
    cr_assert_eq(r->events, UINT32_MAX, "2^32 + 5 read back as %u",
                 r->events);
    profile_free(r);
    profile_free(p);

    p = profile_new();
    fold_order(p, "EUR", 3, 1);
    cr_assert_eq(profile_count_dropped(p, PROFILE_DROP_SESSIONS,
                                       UINT32_MAX), SPOOR_OK);
    r = read_larger(p);
    cr_assert_eq(profile_dropped(r, PROFILE_DROP_SESSIONS), UINT32_MAX,
                 "2^32 + 5 read back as %u",
                 profile_dropped(r, PROFILE_DROP_SESSIONS));
    profile_free(p);
    profile_free(r);
}


/* Folds a page view from country/city with referrer ref and campaign
 * source src (each NULL: none) at time t into p. */
static void
fold_ctx(profile_t *p, const char *country, const char *city,
    const char *ref, const char *src, int64_t t)
{
    spoor_event_t   ev;

    event_at(&ev, SPOOR_KIND_PAGE, t);
    ev.has_geo = 1;
    ev.geo.country.data = country;
    ev.geo.country.len = strlen(country);
    if (city) {
        ev.geo.city.data = city;
        ev.geo.city.len = strlen(city);
    }
    if (ref) {
        ev.referrer.data = ref;
        ev.referrer.len = strlen(ref);
    }
    if (src) {
        ev.campaign.source.data = src;
        ev.campaign.source.len = strlen(src);
    }
    fold_ev(p, &ev);
}

#define fold_place(p, country, city, t)  fold_ctx(p, country, city, NULL, \
                                                  NULL, t)
#define fold_visit(p, ref, src, t)       fold_ctx(p, "DE", NULL, ref, src, t)


Test(profile, profiles_with_one_context_share_one_copy)
{
    profile_t        *a = profile_new(), *b = profile_new(), *q = NULL;
    profile_conf_t    c = conf_of();
    msgpack_sbuffer   sb;

    cr_assert(a != NULL && b != NULL);
    cr_assert_eq(a->ctx, 0);
    cr_assert_eq(profile_ctx(a, &strings), &profile_no_context);
    cr_assert_eq(a->ctx_time, INT64_MIN);

    fold_place(a, "DE", "Berlin", T0);
    fold_place(b, "DE", "Berlin", T0 + 5);
    cr_assert_eq(a->ctx, b->ctx, "the same context is held twice");
    cr_assert_str_eq(CTX(a)->city, "Berlin");
    cr_assert_eq(b->ctx_time, T0 + 5);

    /* an older event leaves the context; a newer one moves only b */
    fold_place(b, "FR", "Paris", T0 + 1);
    cr_assert_str_eq(CTX(b)->city, "Berlin");
    fold_place(b, "FR", "Paris", T0 + 9);
    cr_assert_str_eq(CTX(b)->country, "FR");
    cr_assert_str_eq(CTX(a)->country, "DE", "a's context changed with b's");
    cr_assert_eq(a->ctx_time, T0);

    /* read back, the context is the one copy again */
    cr_assert_eq(round_trip(b, &q, &sb), SPOOR_OK);
    cr_assert_eq(q->ctx, b->ctx);
    cr_assert_eq(q->ctx_time, T0 + 9);
    msgpack_sbuffer_destroy(&sb);

    /* a merge takes the newer context, whichever side holds it */
    cr_assert_eq(profile_merge(a, b, &c), SPOOR_OK);
    cr_assert_eq(a->ctx, b->ctx);
    cr_assert_eq(a->ctx_time, T0 + 9);
    fold_place(q, "DE", "Berlin", T0 + 2);        /* older: stays Paris */
    cr_assert_eq(profile_merge(q, a, &c), SPOOR_OK);
    cr_assert_str_eq(CTX(q)->city, "Paris");

    profile_free(a);
    profile_free(b);
    profile_free(q);
}


Test(profile, a_visit_of_the_same_instant_wins_by_its_strings_in_any_order)
{
    profile_t        *a = profile_new(), *b = profile_new(), *q = NULL;
    profile_conf_t    c = conf_of();
    msgpack_sbuffer   sa, sb;

    cr_assert(a != NULL && b != NULL);
    /* the same instant and place: the greater referrer wins either way */
    fold_visit(a, "https://a.example/", "news", T0);
    fold_visit(a, "https://b.example/", NULL, T0);
    fold_visit(b, "https://b.example/", NULL, T0);
    fold_visit(b, "https://a.example/", "news", T0);
    cr_assert_str_eq(REF(a), "https://b.example/");
    cr_assert_null(CTX(a)->campaign_source, "a campaign of the loser");
    cr_assert_eq(a->referrer, b->referrer);
    cr_assert_eq(a->ctx, b->ctx, "one place, one copy");

    /* a newer visit without a referrer clears it: the context is the
     * newest event's, whole */
    fold_visit(a, NULL, "mail", T0 + 1);
    cr_assert_null(REF(a));
    cr_assert_str_eq(CTX(a)->campaign_source, "mail");

    /* written and read back, then merged: the newer visit wins */
    cr_assert_eq(round_trip(a, &q, &sa), SPOOR_OK);
    cr_assert_str_eq(CTX(q)->campaign_source, "mail");
    cr_assert_null(REF(q));
    cr_assert_eq(profile_merge(b, q, &c), SPOOR_OK);
    cr_assert_str_eq(CTX(b)->campaign_source, "mail");
    cr_assert_null(REF(b));
    profile_free(q);
    q = NULL;
    cr_assert_eq(round_trip(b, &q, &sb), SPOOR_OK);
    msgpack_sbuffer_destroy(&sa);
    msgpack_sbuffer_destroy(&sb);

    profile_free(a);
    profile_free(b);
    profile_free(q);
}


/* Folds a track event name[0 .. nlen) of category cat[0 .. clen) at time
 * t into p. */
static void
fold_named_len(profile_t *p, const char *name, size_t nlen, const char *cat,
    size_t clen, int64_t t)
{
    msgpack_sbuffer   sb;
    msgpack_packer    pk;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, "category", 8);
    msgpack_pack_str_with_body(&pk, cat, clen);
    fold_track(p, name, nlen, &sb, t);
}


static void
fold_named(profile_t *p, const char *name, const char *cat, int64_t t)
{
    fold_named_len(p, name, strlen(name), cat, strlen(cat), t);
}


/* A name holding a NUL is kept up to it, as a record writes it: one entry
 * with "Shoes" whether it came with the NUL or without, in memory as
 * after a reload. */
Test(profile, a_name_is_kept_up_to_a_nul_as_a_record_holds_it)
{
    profile_t        *p = profile_new(), *q = NULL;
    msgpack_sbuffer   sa, sb;
    const int64_t     day = 86400000LL;

    cr_assert(p != NULL);
    fold_named_len(p, "Nul", 3, "Shoes", 5, T0);
    fold_named_len(p, "Nul\0After", 9, "Shoes\0x", 7, T0 + day);
    fold_named_len(p, "Nul", 3, "Shoes", 5, T0 + 2 * day);
    cr_assert_eq(p->nnames, 1);
    cr_assert_eq(profile_names(p)[0].count, 3);
    cr_assert_eq(p->nweights, 6, "a weight a day for \"\" and Shoes");
    cr_assert_str_eq(intern_str(&strings, profile_weights(p)[3].name),
                     "Shoes");
    cr_assert_eq(profile_weights(p)[3].name, profile_weights(p)[5].name);

    cr_assert_eq(round_trip(p, &q, &sa), SPOOR_OK);
    profile_free(p);
    p = NULL;
    cr_assert_eq(round_trip(q, &p, &sb), SPOOR_OK);
    cr_assert(sa.size == sb.size && memcmp(sa.data, sb.data, sa.size) == 0);
    cr_assert_eq(p->nnames, 1);
    cr_assert_eq(p->nweights, 6);

    msgpack_sbuffer_destroy(&sa);
    msgpack_sbuffer_destroy(&sb);
    profile_free(p);
    profile_free(q);
}


/* Names are held as intern ids, given in the order strings are first
 * seen; the lists stay in the names' byte order, which is what a record
 * holds and what a merge and the decayed sums walk. */
Test(profile, names_and_weights_keep_byte_order_whatever_their_ids)
{
    profile_t        *p = profile_new(), *q = NULL;
    msgpack_sbuffer   sa, sb;
    const int64_t     day = 86400000LL, hl = 30 * day;
    const char       *pa, *pz;

    cr_assert(p != NULL);
    /* "zz" is interned first: a list in id order would hold it first */
    cr_assert_neq(intern_id(&strings, "zz-event", 8), 0);
    cr_assert_neq(intern_id(&strings, "zz-cat", 6), 0);
    fold_named(p, "zz-event", "zz-cat", T0);
    fold_named(p, "aa-event", "aa-cat", T0);
    fold_named(p, "zz-event", "zz-cat", T0 + day);

    cr_assert_eq(p->nnames, 2);
    cr_assert_str_eq(intern_str(&strings, profile_names(p)[0].name),
                     "aa-event");
    cr_assert_str_eq(intern_str(&strings, profile_names(p)[1].name),
                     "zz-event");
    cr_assert_eq(profile_names(p)[1].count, 2);
    cr_assert_eq(p->nweights, 5);
    cr_assert_str_eq(intern_str(&strings, profile_weights(p)[0].name), "");
    cr_assert_str_eq(intern_str(&strings, profile_weights(p)[2].name),
                     "aa-cat");
    cr_assert_str_eq(intern_str(&strings, profile_weights(p)[3].name),
                     "zz-cat");
    cr_assert_lt(profile_weights(p)[3].day, profile_weights(p)[4].day);

    /* decayed by name; a name the table never held is 0 and stays out */
    cr_assert_gt(profile_decayed(p, &strings, "zz-cat", T0 + day, hl),
                 profile_decayed(p, &strings, "aa-cat", T0 + day, hl));
    cr_assert_gt(profile_decayed(p, &strings, "aa-cat", T0 + day, hl), 0);
    cr_assert_eq(profile_decayed(p, &strings, "no-such-cat", T0, hl), 0);
    cr_assert_eq(intern_find(&strings, "no-such-cat", 11), 0);

    /* written in byte order, and read back to the same bytes */
    cr_assert_eq(round_trip(p, &q, &sa), SPOOR_OK);
    pa = memmem(sa.data, sa.size, "aa-event", 8);
    pz = memmem(sa.data, sa.size, "zz-event", 8);
    cr_assert(pa != NULL && pz != NULL && pa < pz);
    pa = memmem(sa.data, sa.size, "aa-cat", 6);
    pz = memmem(sa.data, sa.size, "zz-cat", 6);
    cr_assert(pa != NULL && pz != NULL && pa < pz);
    profile_free(p);
    p = NULL;
    cr_assert_eq(round_trip(q, &p, &sb), SPOOR_OK);
    cr_assert_eq(sa.size, sb.size);
    cr_assert_eq(memcmp(sa.data, sb.data, sa.size), 0);

    msgpack_sbuffer_destroy(&sa);
    msgpack_sbuffer_destroy(&sb);
    profile_free(p);
    profile_free(q);
}


/* Every list lies in one block after the ones before it (profile.h):
 * entries added to and removed from one list, first or last, leave every
 * other list as it was. */
Test(profile, each_list_keeps_its_entries_as_the_others_grow_and_shrink)
{
    profile_t              *p = profile_new(), *q = NULL;
    msgpack_sbuffer         sa, sb;
    const int64_t           day = 86400000LL, min = 60000LL;
    const profile_span_t   *s;
    const profile_link_t   *l;
    const profile_count_t  *n;
    const profile_trait_t  *t;

    cr_assert(p != NULL);
    fold_order(p, "EUR", 3, 10);                /* at T0 */
    profile_link(p, 1, 2, T0 + 5);
    profile_link(p, 3, 4, T0 + 3);
    cr_assert_eq(profile_import_trait(p, &strings, "plan", 4,
                                      (const unsigned char *) "\xa3pro", 4,
                                      T0), SPOOR_OK);
    fold_named(p, "aa", "cat", T0 + 10 * day);  /* a session after */
    fold_named(p, "aa", "cat", T0 - 10 * day);  /* one before: first */
    fold_named(p, "aa", "cat", T0 + 5 * min);   /* T0's grows */
    fold_named(p, "aa", "cat", T0 + 40 * min);  /* a new one ... */
    fold_named(p, "aa", "cat", T0 + 22 * min);  /* ... that T0's absorbs */
    profile_link(p, 1, 2, T0 + 1);              /* an earlier first time */
    profile_prune_weights(p, (int32_t) ((T0 - 9 * day) / day));

    cr_assert_eq(p->nsessions, 3);
    s = profile_sessions(p);
    cr_assert(s[0].start == T0 - 10 * day && s[0].end == T0 - 10 * day);
    cr_assert(s[1].start == T0 && s[1].end == T0 + 40 * min);
    cr_assert(s[2].start == T0 + 10 * day && s[2].end == T0 + 10 * day);
    cr_assert(p->ncarts == 0 && p->norders == 1);
    cr_assert_eq(profile_order_times(p)[0], T0);
    cr_assert_eq(p->ncurrencies, 1);
    cr_assert_str_eq(profile_currencies(p)[0].code, "EUR");
    cr_assert_eq(profile_currencies(p)[0].micros, 10000000);
    cr_assert_eq(p->ntraits, 1);
    t = profile_traits(p);
    cr_assert_str_eq(intern_str(&strings, t[0].name), "plan");
    cr_assert(t[0].value_len == 4
              && memcmp(profile_trait_value(&t[0]), "\xa3pro", 4) == 0);
    cr_assert_eq(p->nlinks, 2);
    l = profile_links(p);
    cr_assert(l[0].time == T0 + 1 && l[0].a == 1 && l[0].b == 2);
    cr_assert(l[1].time == T0 + 3 && l[1].a == 3 && l[1].b == 4);
    cr_assert_eq(p->nnames, 2);
    n = profile_names(p);
    cr_assert_str_eq(intern_str(&strings, n[0].name), "Order Completed");
    cr_assert_eq(n[0].count, 1);
    cr_assert_str_eq(intern_str(&strings, n[1].name), "aa");
    cr_assert_eq(n[1].count, 5);
    /* the weights of day -10 went; "" and "cat" of days 0 and 10 stay */
    cr_assert_eq(p->nweights, 4);
    cr_assert_eq(profile_weights(p)[0].day, T0 / day);
    cr_assert_eq(profile_weights(p)[3].day, T0 / day + 10);
    cr_assert_str_eq(intern_str(&strings, profile_weights(p)[3].name), "cat");

    /* and the block reads back whole: the same bytes again */
    cr_assert_eq(round_trip(p, &q, &sa), SPOOR_OK);
    profile_free(p);
    p = NULL;
    cr_assert_eq(round_trip(q, &p, &sb), SPOOR_OK);
    cr_assert(sa.size == sb.size && memcmp(sa.data, sb.data, sa.size) == 0);
    cr_assert_eq(p->nlinks, 2);
    cr_assert_eq(profile_links(p)[1].b, 4);

    msgpack_sbuffer_destroy(&sa);
    msgpack_sbuffer_destroy(&sb);
    profile_free(p);
    profile_free(q);
}


/* The revenue is summed from the currencies when read: over every
 * currency, after a merge and read back. */
Test(profile, revenue_is_the_sum_over_its_currencies)
{
    profile_t        *p = profile_new(), *q = profile_new(), *r = NULL;
    profile_conf_t    c = conf_of();
    msgpack_sbuffer   sb;

    cr_assert(p != NULL && q != NULL);
    cr_assert_eq(profile_revenue(p), 0);
    fold_order(p, "EUR", 3, 10);
    fold_order(p, "USD", 3, 2.5);
    fold_order(p, "EUR", 3, 1);
    cr_assert_eq(profile_revenue(p), 13.5);
    fold_order(q, "GBP", 3, 4);
    cr_assert_eq(profile_merge(p, q, &c), SPOOR_OK);
    cr_assert_eq(p->ncurrencies, 3);
    cr_assert_eq(profile_revenue(p), 17.5);
    cr_assert_eq(round_trip(p, &r, &sb), SPOOR_OK);
    cr_assert_eq(profile_revenue(r), 17.5);

    msgpack_sbuffer_destroy(&sb);
    profile_free(p);
    profile_free(q);
    profile_free(r);
}
