/*
 * aggregates.c -- the bounded event aggregates of a state: their keys
 * and their bounds (aggregates.h).
 */
#define _GNU_SOURCE                     /* memmem */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aggregates.h"
#include "error.h"

#define DAY_MS  86400000LL


void
agg_scratch_init(agg_scratch_t *s)
{
    s->day = INT64_MIN;
    s->text[0] = '\0';
}


int64_t
agg_day(int64_t ms)
{
    return ms >= 0 ? ms / DAY_MS : (ms + 1) / DAY_MS - 1;   /* floor */
}


size_t
agg_cut(const char *s, size_t len, size_t max)
{
    /* (a NUL past max does not matter: the cut comes first) */
    const char  *nul = len ? memchr(s, '\0', len <= max ? len : max + 1)
                           : NULL;

    if (nul != NULL) {
        len = (size_t) (nul - s);       /* a key is a C string */
    }
    if (len <= max) {
        return len;
    }
    /* not inside a character: back over continuation bytes */
    while (max > 0 && ((unsigned char) s[max] & 0xc0) == 0x80) {
        max--;
    }
    return max;
}


/* Appends str (cut to max) to the key at b[*n]; a key stays within
 * AGG_KEY_MAX by the callers' cuts. */
static void
put(char *b, size_t *n, const char *str, size_t len, size_t max)
{
    len = str ? agg_cut(str, len, max) : 0;
    memcpy(b + *n, str ? str : "", len);
    *n += len;
}


#define PUTC(b, n, lit)  put(b, n, lit, sizeof(lit) - 1, sizeof(lit))

static int
has_unit_sep(const spoor_str_t *s)
{
    return s->data && memchr(s->data, '\x1f', s->len) != NULL;
}


/* The path of a URL: after the scheme and host, before a query or a
 * fragment ("/" when there is none); a URL without "://" is a path. */
static void
url_path(const spoor_str_t *u, const char **p, size_t *len)
{
    const char  *s = u->data, *e = u->data + u->len, *q;

    q = s + 3 <= e ? memmem(s, (size_t) (e - s), "://", 3) : NULL;
    if (q != NULL) {
        s = memchr(q + 3, '/', (size_t) (e - q - 3));
        if (s == NULL) {
            s = e;
        }
    }
    for (q = s; q < e && *q != '?' && *q != '#'; q++) {
        /* to the query or fragment */
    }
    *p = s;
    *len = (size_t) (q - s);
    if (*len == 0) {
        *p = "/";
        *len = 1;
    }
}


/* The host of a URL (no port, no credentials); len 0 when none. */
static void
url_host(const spoor_str_t *u, const char **p, size_t *len)
{
    const char  *s = u->data, *e = u->data + u->len, *q, *at;

    *len = 0;
    q = s && u->len >= 3 ? memmem(s, u->len, "://", 3) : NULL;
    if (q == NULL) {
        return;
    }
    s = q + 3;
    for (q = s; q < e && *q != '/' && *q != '?' && *q != '#'; q++) {
        /* to the path */
    }
    at = memchr(s, '@', (size_t) (q - s));
    if (at != NULL) {
        s = at + 1;
    }
    e = q;
    if (s < e && *s != '[') {
        q = memchr(s, ':', (size_t) (e - s));
        if (q != NULL) {
            e = q;
        }
    }
    *p = s;
    *len = (size_t) (e - s);
}


size_t
agg_event_keys(agg_scratch_t *s, const spoor_event_t *ev,
    const char *browser, const char *device, agg_key_t *out)
{
    size_t       k = 0, n;
    int64_t      day;
    char        *b;
    const char  *p, *h;
    size_t       plen, hlen;

    day = agg_day(ev->received_ms);
    if (day != s->day) {
        time_t     t = (time_t) (day * 86400);
        struct tm  tm;

        if (gmtime_r(&t, &tm) == NULL
            || strftime(s->text, sizeof(s->text), "%Y-%m-%d", &tm) != 10)
        {
            return 0;                   /* a year past 9999 */
        }
        s->day = day;
    }

#define KEY_START(prefix)  (b = s->buf[k], n = 0, PUTC(b, &n, prefix))
#define KEY_DAY(prefix)    (KEY_START(prefix), put(b, &n, s->text, 10, 10), \
                            PUTC(b, &n, ":"))
#define KEY_END()          (out[k].key = b, out[k].len = n, k++)

    if (ev->kind_name.data && ev->kind_name.len) {
        KEY_DAY("dk:");
        put(b, &n, ev->kind_name.data, ev->kind_name.len, AGG_NAME_MAX);
        KEY_END();
    }
    if (ev->name.data && ev->name.len) {
        KEY_DAY("dn:");
        put(b, &n, ev->name.data, ev->name.len, AGG_NAME_MAX);
        KEY_END();
    }
    if (ev->consent.present && !has_unit_sep(&ev->consent.signal)
        && !has_unit_sep(&ev->consent.action)
        && !(ev->has_geo && has_unit_sep(&ev->geo.country)))
    {
        KEY_DAY("dc:");
        put(b, &n, ev->consent.signal.data, ev->consent.signal.len,
            AGG_NAME_MAX);
        PUTC(b, &n, "\x1f");
        put(b, &n, ev->consent.action.data, ev->consent.action.len,
            AGG_NAME_MAX);
        PUTC(b, &n, "\x1f");
        if (ev->has_geo) {
            put(b, &n, ev->geo.country.data, ev->geo.country.len, 8);
        }
        KEY_END();
    }
    if (ev->kind == SPOOR_KIND_PAGE) {
        if (ev->url.data) {
            url_path(&ev->url, &p, &plen);
            KEY_START("tp:");
            put(b, &n, p, plen, AGG_NAME_MAX);
            KEY_END();
        }
        if (ev->referrer.data) {
            url_host(&ev->referrer, &h, &hlen);
            if (ev->url.data) {
                url_host(&ev->url, &p, &plen);
            } else {
                plen = 0;
            }
            /* another site's: a visit from within is no referral */
            if (hlen && !(plen == hlen && memcmp(p, h, hlen) == 0)) {
                KEY_START("tr:");
                put(b, &n, h, hlen, AGG_NAME_MAX);
                KEY_END();
            }
        }
        if (ev->campaign.source.data || ev->campaign.medium.data
            || ev->campaign.name.data)
        {
            KEY_START("tc:");
            put(b, &n, ev->campaign.source.data, ev->campaign.source.len,
                AGG_NAME_MAX);
            PUTC(b, &n, " / ");
            put(b, &n, ev->campaign.medium.data, ev->campaign.medium.len,
                AGG_NAME_MAX);
            PUTC(b, &n, " / ");
            put(b, &n, ev->campaign.name.data, ev->campaign.name.len,
                AGG_NAME_MAX);
            KEY_END();
        }
    }
    if (browser != NULL) {
        KEY_START("tb:");
        put(b, &n, browser, strlen(browser), AGG_NAME_MAX);
        KEY_END();
    }
    if (device != NULL) {
        KEY_START("td:");
        put(b, &n, device, strlen(device), AGG_NAME_MAX);
        KEY_END();
    }
#undef KEY_START
#undef KEY_DAY
#undef KEY_END
    return k;
}


/* ---- bounds ------------------------------------------------------------------ */

static const counter_t  *sort_base;

/* Larger count first, then by key: the order a list keeps its best by. */
static int
cmp_best(const void *a, const void *b)
{
    const counter_t  *x = &sort_base[*(const size_t *) a];
    const counter_t  *y = &sort_base[*(const size_t *) b];

    if (x->n != y->n) {
        return x->n > y->n ? -1 : 1;
    }
    return strcmp(x->key, y->key);
}


/* Marks all but the keep best of counters [from, to) dropped; returns
 * the largest count dropped (0: none). */
static uint64_t
trim(const state_t *st, size_t from, size_t to, size_t keep, char *drop,
    size_t *idx)
{
    size_t    i, n = to - from;
    uint64_t  err = 0;

    if (n <= keep) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        idx[i] = from + i;
    }
    sort_base = st->counters;
    qsort(idx, n, sizeof(size_t), cmp_best);
    for (i = keep; i < n; i++) {
        drop[idx[i]] = 1;
        if (st->counters[idx[i]].n > err) {
            err = st->counters[idx[i]].n;
        }
    }
    return err;
}


/* The range [*from, *to) of st's counters that start with prefix. */
static void
prefix_range(const state_t *st, const char *prefix, size_t *from, size_t *to)
{
    size_t  lo = 0, hi = st->ncounters, mid, pl = strlen(prefix);

    while (lo < hi) {
        mid = (lo + hi) / 2;
        if (strcmp(st->counters[mid].key, prefix) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *from = lo;
    while (lo < st->ncounters
           && strncmp(st->counters[lo].key, prefix, pl) == 0)
    {
        lo++;
    }
    *to = lo;
}


static int
is_day_key(const char *k)
{
    return (k[0] == 'd' && (k[1] == 'k' || k[1] == 'n' || k[1] == 'c')
            && k[2] == ':' && strlen(k) >= 14 && k[13] == ':');
}


int
aggregates_bound(state_t *st)
{
    static const char *const  tops[] = { "tp:", "tr:", "tc:", "category:" };
    static const char *const  errs[] = { "te:tp", "te:tr", "te:tc",
                                         "te:category" };
    uint64_t   err[4] = { 0 }, *c;
    char      *drop, lim[16];
    size_t    *idx, i, j, k, from, to;
    int64_t    day;
    time_t     t;
    struct tm  tm;

    if (st->ncounters == 0) {
        return SPOOR_OK;
    }
    drop = calloc(st->ncounters, 1);
    idx = malloc(st->ncounters * sizeof(size_t));
    if (drop == NULL || idx == NULL) {
        free(drop);
        free(idx);
        return SPOOR_E_NOMEM;
    }

    /* the days in the window: the as-of day and the AGG_DAYS - 1 before */
    day = st->as_of >= 0 ? st->as_of / DAY_MS : 0;
    t = (time_t) ((day - (AGG_DAYS - 1)) * 86400);
    lim[0] = '\0';
    if (gmtime_r(&t, &tm) != NULL) {
        (void) strftime(lim, sizeof(lim), "%Y-%m-%d", &tm);
    }
    for (i = 0; i < st->ncounters; i++) {
        const char  *k = st->counters[i].key;

        if (is_day_key(k) && memcmp(k + 3, lim, 10) < 0) {
            drop[i] = 1;
        }
    }

    /* each day's names and consent outcomes: runs of "dn:DAY:" and
     * "dc:DAY:" keys */
    for (k = 0; k < 2; k++) {
        prefix_range(st, k == 0 ? "dn:" : "dc:", &from, &to);
        for (i = from; i < to; i = j) {
            for (j = i + 1; j < to && is_day_key(st->counters[j].key)
                            && memcmp(st->counters[j].key,
                                      st->counters[i].key, 14) == 0; j++)
            {
                /* the same day */
            }
            if (!drop[i]) {
                (void) trim(st, i, j, AGG_DAY_NAMES, drop, idx);
            }
        }
    }

    for (i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
        prefix_range(st, tops[i], &from, &to);
        err[i] = trim(st, from, to, AGG_TOP_KEEP, drop, idx);
    }

    /* drop what was marked */
    for (i = 0, j = 0; i < st->ncounters; i++) {
        if (drop[i]) {
            free(st->counters[i].key);
        } else {
            st->counters[j++] = st->counters[i];
        }
    }
    st->ncounters = j;
    free(drop);
    free(idx);

    for (i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
        if (err[i] == 0) {
            continue;
        }
        c = state_counter(st, errs[i], strlen(errs[i]));
        if (c == NULL) {
            return SPOOR_E_NOMEM;
        }
        if (err[i] > *c) {
            *c = err[i];
        }
    }
    return SPOOR_OK;
}
