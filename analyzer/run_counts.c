/*
 * run_counts.c -- the run's counters of events (run_counts.h).
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "aggregates.h"
#include "error.h"
#include "profile.h"
#include "run_counts.h"

typedef enum {
    T_KIND = 0, T_ACTION, T_SIGNAL, T_COUNTRY, T_CATEGORY,
    T_KEY,                      /* a whole key (aggregates.h) */
    T_CLASSES
} tally_class_t;

static const struct { const char *name; size_t len; } tally_names[] = {
    { "kind:", 5 }, { "action:", 7 }, { "signal:", 7 }, { "country:", 8 },
    { "category:", 9 }, { "", 0 }
};

typedef struct {
    char       *val;             /* NULL: empty slot */
    size_t      len;
    uint64_t    hash, n;
    unsigned    cls;
} tally_slot_t;

/* The groups of an event's inputs (run_counts.h), 0: none. */
enum { G_NONE = 0, G_KIND, G_NAME, G_CONSENT, G_PAGE, G_AGENT, G_GROUPS };

#define MEMO_LINES  512          /* a power of two */
#define MEMO_IN     128          /* longer inputs are not remembered */
#define MEMO_OUTS   4            /* slots a group counts into, at most */
#define MEMO_STR    40           /* consent strings longer: not remembered */

typedef struct {
    uint32_t    epoch;           /* the table's when filled; 0: unused */
    uint8_t     group;
    uint8_t     nout;
    uint16_t    len;
    int64_t     day;
    uint32_t    out[MEMO_OUTS];  /* the slots its inputs counted into */
    char        in[MEMO_IN];
} memo_t;

struct run_counts_s {
    tally_slot_t  *slots;        /* cap a power of two, at most half used */
    size_t         cap, used;
    uint32_t       epoch;        /* advanced by every growth; never 0 */
    agg_scratch_t  agg;          /* the aggregates' keys */
    memo_t         memo[MEMO_LINES];
};


run_counts_t *
run_counts_new(void)
{
    run_counts_t  *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        return NULL;
    }
    c->cap = 64;
    c->slots = calloc(c->cap, sizeof(tally_slot_t));
    if (c->slots == NULL) {
        free(c);
        return NULL;
    }
    c->epoch = 1;
    agg_scratch_init(&c->agg);
    return c;
}


void
run_counts_free(run_counts_t *c)
{
    size_t  i;

    if (c == NULL) {
        return;
    }
    for (i = 0; i < c->cap; i++) {
        free(c->slots[i].val);
    }
    free(c->slots);
    free(c);
}


static int
tally_grow(run_counts_t *c)
{
    tally_slot_t  *ns;
    size_t         cap = c->cap * 2, i, j;

    ns = calloc(cap, sizeof(*ns));
    if (ns == NULL) {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < c->cap; i++) {
        if (c->slots[i].val) {
            for (j = c->slots[i].hash & (cap - 1); ns[j].val;
                 j = (j + 1) & (cap - 1))
            {
                /* probe */
            }
            ns[j] = c->slots[i];
        }
    }
    free(c->slots);
    c->slots = ns;
    c->cap = cap;
    c->epoch = c->epoch + 1 ? c->epoch + 1 : 1;    /* the memo is stale */
    return SPOOR_OK;
}


/* Adds n under class cls and value v[0 .. len) (len > 0), whose hash is
 * h; the slot's number to *at. */
static int
tally_add(run_counts_t *c, unsigned cls, const char *v, size_t len,
    uint64_t h, uint64_t n, size_t *at)
{
    size_t         j;
    tally_slot_t  *s;

    for (j = h & (c->cap - 1); c->slots[j].val; j = (j + 1) & (c->cap - 1))
    {
        s = &c->slots[j];
        if (s->hash == h && s->cls == cls && s->len == len
            && memcmp(s->val, v, len) == 0)
        {
            s->n += n;
            *at = j;
            return SPOOR_OK;
        }
    }
    if ((c->used + 1) * 2 > c->cap) {
        if (tally_grow(c) != SPOOR_OK) {
            return SPOOR_E_NOMEM;
        }
        for (j = h & (c->cap - 1); c->slots[j].val;
             j = (j + 1) & (c->cap - 1))
        {
            /* probe */
        }
    }
    s = &c->slots[j];
    s->val = malloc(len);
    if (s->val == NULL) {
        return SPOOR_E_NOMEM;
    }
    memcpy(s->val, v, len);
    s->len = len;
    s->hash = h;
    s->cls = cls;
    s->n = n;
    c->used++;
    *at = j;
    return SPOOR_OK;
}


/*
 * Counts one under class cls and value v (cut to AGG_NAME_MAX bytes but
 * for a whole key, which the caller built within AGG_KEY_MAX).  Returns
 * 1 with the slot's number in *at, 0 when v counts nothing (absent or
 * empty), -1 when out of memory.
 */
static int
tally(run_counts_t *c, tally_class_t cls, const spoor_str_t *v, size_t *at)
{
    size_t  len;

    if (v->data == NULL || v->len == 0) {
        return 0;
    }
    len = cls == T_KEY ? v->len : agg_cut(v->data, v->len, AGG_NAME_MAX);
    if (len == 0) {
        return 0;
    }
    return tally_add(c, cls, v->data, len,
                     XXH3_64bits_withSeed(v->data, len, cls), 1, at)
           == SPOOR_OK ? 1 : -1;
}


void
run_counts_category(run_counts_t *c, const spoor_str_t *category)
{
    size_t  at;

    (void) tally(c, T_CATEGORY, category, &at);
}


int
run_counts_merge(run_counts_t *to, const run_counts_t *from)
{
    size_t               i, at;
    const tally_slot_t  *s;

    for (i = 0; i < from->cap; i++) {
        s = &from->slots[i];
        if (s->val && s->n
            && tally_add(to, s->cls, s->val, s->len, s->hash, s->n, &at)
               != SPOOR_OK)
        {
            return SPOOR_E_NOMEM;
        }
    }
    return SPOOR_OK;
}


int
run_counts_flush(run_counts_t *c,
    int (*add)(void *arg, const char *key, size_t len, uint64_t n),
    void *arg)
{
    char           key[AGG_KEY_MAX + 16];
    size_t         i, n;
    tally_slot_t  *s;
    int            rc;

    for (i = 0; i < c->cap; i++) {
        s = &c->slots[i];
        if (s->val == NULL || s->n == 0) {
            continue;
        }
        n = tally_names[s->cls].len;
        memcpy(key, tally_names[s->cls].name, n);
        memcpy(key + n, s->val, s->len);
        rc = add(arg, key, n + s->len, s->n);
        if (rc != SPOOR_OK) {
            return rc;
        }
        s->n = 0;               /* added: a second flush adds nothing */
    }
    return SPOOR_OK;
}


/* ---- the memo ----------------------------------------------------------------- */

/* One group of an event: its inputs, its memo line, and what it counted
 * into when they were not remembered. */
typedef struct {
    const char  *in;             /* NULL: the group does not apply */
    size_t       len;
    memo_t      *m;              /* NULL: not to be remembered */
    int          hit;
    uint32_t     out[MEMO_OUTS];
    unsigned     nout;
} group_in_t;


/* Takes group g's inputs in[0 .. len) for day: its line, and whether the
 * line holds them. */
static void
group_look(run_counts_t *c, group_in_t *gi, unsigned g, const char *in,
    size_t len, int64_t day)
{
    memo_t  *m;

    gi->in = in;
    gi->len = len;
    gi->hit = 0;
    gi->nout = 0;
    gi->m = NULL;
    if (len > MEMO_IN) {
        return;
    }
    m = &c->memo[XXH3_64bits_withSeed(in, len, (uint64_t) day * G_GROUPS + g)
                 & (MEMO_LINES - 1)];
    gi->m = m;
    gi->hit = m->epoch == c->epoch && m->group == g && m->day == day
              && m->len == len && memcmp(m->in, in, len) == 0;
}


/* Notes that group gi counted into slot at (when it is to be kept). */
static void
group_out(group_in_t *gi, size_t at)
{
    if (gi->nout < MEMO_OUTS && at < UINT32_MAX) {
        gi->out[gi->nout++] = (uint32_t) at;
    } else {
        gi->m = NULL;           /* cannot be replayed: not kept */
    }
}


/* The group a key of agg_event_keys() belongs to, by its prefix. */
static unsigned
key_group(const agg_key_t *k)
{
    if (k->len < 2) {
        return G_NONE;
    }
    switch (k->key[0] << 8 | k->key[1]) {
    case 'd' << 8 | 'k': return G_KIND;
    case 'd' << 8 | 'n': return G_NAME;
    case 'd' << 8 | 'c': return G_CONSENT;
    case 't' << 8 | 'p': return G_PAGE;
    case 't' << 8 | 'b':
    case 't' << 8 | 'd': return G_AGENT;
    default:             return G_NONE;    /* referrer, campaign */
    }
}


/* Appends a consent string to the group's inputs: 1 byte for absent
 * (0) or its length + 1, then its bytes.  0 when too long to keep. */
static int
put_str(char *b, size_t *n, const spoor_str_t *s)
{
    if (s->data == NULL) {
        b[(*n)++] = 0;
        return 1;
    }
    if (s->len > MEMO_STR) {
        return 0;
    }
    b[(*n)++] = (char) (s->len + 1);
    memcpy(b + *n, s->data, s->len);
    *n += s->len;
    return 1;
}


void
run_counts_event(run_counts_t *c, const spoor_event_t *ev)
{
    static const spoor_str_t  withdrawal = { "consent_withdrawal", 18 };
    group_in_t                gi[G_GROUPS];
    agg_key_t                 k[AGG_EVENT_KEYS];
    const char               *agent[2] = { NULL, NULL };
    char                      consent[1 + 3 * (1 + MEMO_STR)];
    spoor_str_t               v;
    size_t                    n, i, at;
    int64_t                   day;
    uint32_t                  epoch;
    unsigned                  g, j, miss = 0, lost = 0;
    int                       rc;

    if (ev->kind == SPOOR_KIND_CONSENT_WITHDRAWAL) {
        (void) tally(c, T_KIND, &withdrawal, &at);
        return;
    }
    if (ev->user_agent.data) {
        profile_ua_classify(&ev->user_agent, &agent[0], &agent[1]);
    }
    day = agg_day(ev->received_ms);

    /* each group's inputs, and whether its memo line holds them */
    memset(gi, 0, sizeof(gi));
    if (ev->kind_name.data) {
        group_look(c, &gi[G_KIND], G_KIND, ev->kind_name.data,
                   ev->kind_name.len, day);
    }
    if (ev->name.data && ev->name.len) {
        group_look(c, &gi[G_NAME], G_NAME, ev->name.data, ev->name.len, day);
    }
    if (ev->consent.present || ev->has_geo) {
        n = 1;
        consent[0] = (char) (ev->consent.present | ev->has_geo << 1);
        if (put_str(consent, &n, &ev->consent.signal)
            && put_str(consent, &n, &ev->consent.action)
            && put_str(consent, &n, &ev->geo.country))
        {
            group_look(c, &gi[G_CONSENT], G_CONSENT, consent, n, day);
        } else {
            gi[G_CONSENT].in = consent;     /* applies; not remembered */
        }
    }
    if (ev->kind == SPOOR_KIND_PAGE && ev->url.data) {
        group_look(c, &gi[G_PAGE], G_PAGE, ev->url.data, ev->url.len, day);
    }
    if (agent[0] || agent[1]) {
        group_look(c, &gi[G_AGENT], G_AGENT, (const char *) agent,
                   sizeof(agent), day);
    }

    /* the remembered groups add to their slots, before the table can
     * grow under the others */
    for (g = 1; g < G_GROUPS; g++) {
        if (gi[g].in == NULL) {
            continue;
        }
        if (!gi[g].hit) {
            miss = 1;
            continue;
        }
        for (j = 0; j < gi[g].m->nout; j++) {
            c->slots[gi[g].m->out[j]].n++;
        }
    }
    if (!miss && !(ev->kind == SPOOR_KIND_PAGE
                   && (ev->referrer.data || ev->campaign.source.data
                       || ev->campaign.medium.data
                       || ev->campaign.name.data)))
    {
        return;                 /* no referrer or campaign key either */
    }

    /* the others, as the table counts them */
    epoch = c->epoch;
    if (gi[G_KIND].in && !gi[G_KIND].hit) {
        rc = tally(c, T_KIND, &ev->kind_name, &at);
        if (rc > 0) {
            group_out(&gi[G_KIND], at);
        }
        lost |= rc < 0;
    }
    if (gi[G_CONSENT].in && !gi[G_CONSENT].hit) {
        if (ev->consent.present) {
            rc = tally(c, T_ACTION, &ev->consent.action, &at);
            if (rc > 0) {
                group_out(&gi[G_CONSENT], at);
            }
            lost |= rc < 0;
            rc = tally(c, T_SIGNAL, &ev->consent.signal, &at);
            if (rc > 0) {
                group_out(&gi[G_CONSENT], at);
            }
            lost |= rc < 0;
        }
        if (ev->has_geo) {
            rc = tally(c, T_COUNTRY, &ev->geo.country, &at);
            if (rc > 0) {
                group_out(&gi[G_CONSENT], at);
            }
            lost |= rc < 0;
        }
    }
    n = agg_event_keys(&c->agg, ev, agent[0], agent[1], k);
    for (i = 0; i < n; i++) {
        g = key_group(&k[i]);
        if (g != G_NONE && gi[g].hit) {
            continue;           /* counted above */
        }
        v.data = k[i].key;
        v.len = k[i].len;
        rc = tally(c, T_KEY, &v, &at);
        if (rc > 0 && g != G_NONE) {
            group_out(&gi[g], at);
        }
        lost |= rc < 0;
    }

    /* remembered for next time: under the epoch the event began in, so
     * a line whose slots the table moved meanwhile never matches */
    for (g = 1; g < G_GROUPS; g++) {
        memo_t  *m = gi[g].m;

        if (gi[g].in == NULL || gi[g].hit || m == NULL) {
            continue;
        }
        if (lost) {
            m->epoch = 0;       /* a count it lost would stay lost */
            continue;
        }
        m->epoch = epoch;
        m->group = (uint8_t) g;
        m->day = day;
        m->len = (uint16_t) gi[g].len;
        memcpy(m->in, gi[g].in, gi[g].len);
        m->nout = (uint8_t) gi[g].nout;
        memcpy(m->out, gi[g].out, gi[g].nout * sizeof(m->out[0]));
    }
}
