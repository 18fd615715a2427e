/*
 * stats.c -- the figures of a state as one JSON document (stats.h,
 * docs/report.md): the current generation's counters (aggregates.h) and
 * the lineage's figures (figures.h), written with the one JSON writer.
 *
 * The counters come sorted by key, so the entries of one prefix, and of
 * one day within "dk:", "dn:" and "dc:", are runs; each list is then
 * sorted by count (ties by key) for the document.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>
#include "aggregates.h"
#include "cli.h"
#include "dir_names.h"
#include "error.h"
#include "gen_name.h"
#include "json_out.h"
#include "lineage.h"
#include "snapshot.h"
#include "state_view.h"
#include "stats.h"
#include "stored.h"
#include "verify.h"

#define MSG(...)  (err ? (void) snprintf(err, errlen, __VA_ARGS__) : (void) 0)

typedef struct {
    const char  *key;            /* not NUL-terminated */
    size_t       len;
    uint64_t     n;
} kv_t;

typedef struct {
    json_out_t            j;
    const stored_meta_t  *m;
    kv_t                 *kv;        /* scratch: as many as counters */
    kv_t                 *kv2;
} doc_t;


static int
cmp_count(const void *a, const void *b)
{
    const kv_t  *x = a, *y = b;
    size_t       m = x->len < y->len ? x->len : y->len;
    int          c;

    if (x->n != y->n) {
        return x->n > y->n ? -1 : 1;
    }
    c = memcmp(x->key, y->key, m);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}


static int
cmp_key(const void *a, const void *b)
{
    const kv_t  *x = a, *y = b;
    size_t       m = x->len < y->len ? x->len : y->len;
    int          c = memcmp(x->key, y->key, m);

    return c ? c : (x->len > y->len) - (x->len < y->len);
}


/* The counters whose key starts with prefix, the prefix taken off, into
 * out (in key order); returns how many. */
static size_t
group(const doc_t *d, const char *prefix, kv_t *out)
{
    size_t  i, n = 0, pl = strlen(prefix);

    for (i = 0; i < d->m->ncounters; i++) {
        const stored_counter_t  *c = &d->m->counters[i];

        if (c->key.len > pl && memcmp(c->key.ptr, prefix, pl) == 0) {
            out[n].key = c->key.ptr + pl;
            out[n].len = c->key.len - pl;
            out[n].n = c->n;
            n++;
        }
    }
    qsort(out, n, sizeof(kv_t), cmp_key);
    return n;
}


/* The counter key, or 0. */
static uint64_t
counter(const doc_t *d, const char *key)
{
    size_t  i, l = strlen(key);

    for (i = 0; i < d->m->ncounters; i++) {
        if (d->m->counters[i].key.len == l
            && memcmp(d->m->counters[i].key.ptr, key, l) == 0)
        {
            return d->m->counters[i].n;
        }
    }
    return 0;
}


/* {KEY: n} of kv[0 .. n), most first, at most max (0: all). */
static void
count_map(doc_t *d, kv_t *kv, size_t n, size_t max)
{
    size_t  i;

    qsort(kv, n, sizeof(kv_t), cmp_count);
    json_out_map_open(&d->j);
    for (i = 0; i < n && (max == 0 || i < max); i++) {
        json_out_str(&d->j, kv[i].key, kv[i].len);
        json_out_uint(&d->j, kv[i].n);
    }
    json_out_map_close(&d->j);
}


static void
kv_member(doc_t *d, const char *name, const char *prefix, size_t max)
{
    size_t  n = group(d, prefix, d->kv);

    json_out_cstr(&d->j, name);
    count_map(d, d->kv, n, max);
}


/* A top list: {"error": e, "items": [[NAME, n], ...]}. */
static void
top_list(doc_t *d, const char *name, const char *prefix, const char *err_key)
{
    size_t  i, n = group(d, prefix, d->kv);

    qsort(d->kv, n, sizeof(kv_t), cmp_count);
    json_out_cstr(&d->j, name);
    json_out_map_open(&d->j);
    json_out_cstr(&d->j, "error");
    json_out_uint(&d->j, err_key ? counter(d, err_key) : 0);
    json_out_cstr(&d->j, "items");
    json_out_array_open(&d->j);
    for (i = 0; i < n && i < STATS_TOP_ITEMS; i++) {
        json_out_array_open(&d->j);
        json_out_str(&d->j, d->kv[i].key, d->kv[i].len);
        json_out_uint(&d->j, d->kv[i].n);
        json_out_array_close(&d->j);
    }
    json_out_array_close(&d->j);
    json_out_map_close(&d->j);
}


/* ---- days ---------------------------------------------------------------------- */

#define DAY_LEN  10              /* "YYYY-MM-DD" */

/* The end of the run of kv[i ..) on the same day ("DAY:..."). */
static size_t
day_run(const kv_t *kv, size_t i, size_t n)
{
    size_t  j;

    for (j = i + 1; j < n && kv[j].len > DAY_LEN && kv[i].len > DAY_LEN
                    && memcmp(kv[j].key, kv[i].key, DAY_LEN) == 0; j++)
    {
        /* the same day */
    }
    return j;
}


/* The entries of kv2[0 .. n2) (key order) on day (DAY_LEN bytes): their
 * range [*from, *to), starting the search at *from. */
static void
day_range(const kv_t *kv2, size_t n2, const char *day, size_t *from,
    size_t *to)
{
    size_t  i = *from;

    while (i < n2 && (kv2[i].len <= DAY_LEN
                      || memcmp(kv2[i].key, day, DAY_LEN) < 0))
    {
        i++;
    }
    *from = i;
    while (i < n2 && kv2[i].len > DAY_LEN
           && memcmp(kv2[i].key, day, DAY_LEN) == 0)
    {
        i++;
    }
    *to = i;
}


/* kv[from .. to) with the "DAY:" taken off each key. */
static void
strip_day(kv_t *kv, size_t from, size_t to)
{
    size_t  i;

    for (i = from; i < to; i++) {
        kv[i].key += DAY_LEN + 1;
        kv[i].len -= DAY_LEN + 1;
    }
}


static void
daily(doc_t *d)
{
    size_t  n = group(d, "dk:", d->kv), n2 = group(d, "dn:", d->kv2);
    size_t  i, j, from = 0, to;

    json_out_cstr(&d->j, "daily");
    json_out_array_open(&d->j);
    for (i = 0; i < n; i = j) {
        j = day_run(d->kv, i, n);
        if (d->kv[i].len <= DAY_LEN + 1) {
            continue;
        }
        json_out_map_open(&d->j);
        json_out_cstr(&d->j, "day");
        json_out_str(&d->j, d->kv[i].key, DAY_LEN);
        day_range(d->kv2, n2, d->kv[i].key, &from, &to);
        strip_day(d->kv, i, j);
        json_out_cstr(&d->j, "events");
        count_map(d, d->kv + i, j - i, 0);
        strip_day(d->kv2, from, to);
        json_out_cstr(&d->j, "names");
        count_map(d, d->kv2 + from, to - from, 50);
        json_out_map_close(&d->j);
        from = to;
    }
    json_out_array_close(&d->j);
}


/* One outcome "SIGNAL\x1fACTION\x1fCC" as {"signal", "action",
 * "country", "events"}. */
static void
outcome(doc_t *d, const kv_t *o)
{
    const char  *p = o->key, *e = o->key + o->len, *s1, *s2;

    s1 = memchr(p, '\x1f', o->len);
    s2 = s1 ? memchr(s1 + 1, '\x1f', (size_t) (e - s1 - 1)) : NULL;
    if (s2 == NULL) {
        return;                         /* (not a key ingest writes) */
    }
    json_out_map_open(&d->j);
    json_out_cstr(&d->j, "signal");
    json_out_str(&d->j, p, (size_t) (s1 - p));
    json_out_cstr(&d->j, "action");
    json_out_str(&d->j, s1 + 1, (size_t) (s2 - s1 - 1));
    json_out_cstr(&d->j, "country");
    json_out_str(&d->j, s2 + 1, (size_t) (e - s2 - 1));
    json_out_cstr(&d->j, "events");
    json_out_uint(&d->j, o->n);
    json_out_map_close(&d->j);
}


static void
consent(doc_t *d)
{
    size_t  n = group(d, "dc:", d->kv), i, j, k, m = 0;

    json_out_cstr(&d->j, "consentDaily");
    json_out_array_open(&d->j);
    for (i = 0; i < n; i = j) {
        j = day_run(d->kv, i, n);
        if (d->kv[i].len <= DAY_LEN + 1) {
            continue;
        }
        json_out_map_open(&d->j);
        json_out_cstr(&d->j, "day");
        json_out_str(&d->j, d->kv[i].key, DAY_LEN);
        json_out_cstr(&d->j, "outcomes");
        json_out_array_open(&d->j);
        strip_day(d->kv, i, j);
        qsort(d->kv + i, j - i, sizeof(kv_t), cmp_count);
        for (k = i; k < j; k++) {
            outcome(d, &d->kv[k]);
            d->kv2[m++] = d->kv[k];     /* for the sums */
        }
        json_out_array_close(&d->j);
        json_out_map_close(&d->j);
    }
    json_out_array_close(&d->j);

    /* the sums over the days: equal outcomes next to each other */
    qsort(d->kv2, m, sizeof(kv_t), cmp_key);
    for (i = 0, k = 0; i < m; i++) {
        if (k > 0 && cmp_key(&d->kv2[k - 1], &d->kv2[i]) == 0) {
            d->kv2[k - 1].n += d->kv2[i].n;
        } else {
            d->kv2[k++] = d->kv2[i];
        }
    }
    qsort(d->kv2, k, sizeof(kv_t), cmp_count);
    json_out_cstr(&d->j, "consentByCountry");
    json_out_array_open(&d->j);
    for (i = 0; i < k; i++) {
        outcome(d, &d->kv2[i]);
    }
    json_out_array_close(&d->j);
}


/* ---- the lineage's figures ------------------------------------------------------ */

/* Writes v as JSON (a lineage entry's value: parsed by yajl_tree). */
static void
emit(json_out_t *j, const yajl_val v)
{
    size_t  i;

    if (v == NULL || YAJL_IS_NULL(v)) {
        json_out_null(j);
    } else if (YAJL_IS_STRING(v)) {
        json_out_cstr(j, YAJL_GET_STRING(v));
    } else if (YAJL_IS_INTEGER(v)) {
        json_out_int(j, YAJL_GET_INTEGER(v));
    } else if (YAJL_IS_NUMBER(v)) {
        json_out_double(j, YAJL_GET_DOUBLE(v));
    } else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
        json_out_bool(j, YAJL_IS_TRUE(v));
    } else if (YAJL_IS_OBJECT(v)) {
        json_out_map_open(j);
        for (i = 0; i < YAJL_GET_OBJECT(v)->len; i++) {
            json_out_cstr(j, YAJL_GET_OBJECT(v)->keys[i]);
            emit(j, YAJL_GET_OBJECT(v)->values[i]);
        }
        json_out_map_close(j);
    } else if (YAJL_IS_ARRAY(v)) {
        json_out_array_open(j);
        for (i = 0; i < YAJL_GET_ARRAY(v)->len; i++) {
            emit(j, YAJL_GET_ARRAY(v)->values[i]);
        }
        json_out_array_close(j);
    }
}


static yajl_val
member(yajl_val o, const char *name)
{
    const char  *path[2] = { name, NULL };

    return yajl_tree_get(o, path, yajl_t_any);
}


/* The lineage entry of generation gen, parsed; NULL when it is missing
 * or damaged (then the figures it holds are left out). */
static yajl_val
entry(const char *dir, uint32_t gen)
{
    char      path[4096], e[256], *text;
    size_t    len;
    yajl_val  v;

    snprintf(path, sizeof(path), "%s/lineage/%06" PRIu32 ".json", dir, gen);
    if (lineage_load(path, gen, &text, &len, e, sizeof(e)) != SPOOR_OK) {
        return NULL;
    }
    v = yajl_tree_parse(text, NULL, 0);
    free(text);
    if (v != NULL && !YAJL_IS_OBJECT(v)) {
        yajl_tree_free(v);
        v = NULL;
    }
    return v;
}


/* Segment sizes over the lineage's generations, at most
 * STATS_HISTORY_MAX of them, evenly apart, the newest kept. */
static int
history(doc_t *d, const char *dir)
{
    char          **names = NULL;
    size_t          n = 0, i, k, last = SIZE_MAX;
    uint32_t        g;
    yajl_val        v, s;
    int             rc;

    rc = lineage_list(dir, &names, &n);
    if (rc == SPOOR_E_NOMEM) {
        return rc;
    }
    if (rc != SPOOR_OK) {
        n = 0;                          /* no lineage: no history */
    }

    json_out_cstr(&d->j, "history");
    json_out_array_open(&d->j);
    for (k = 0; k < STATS_HISTORY_MAX && n > 0; k++) {
        /* the k-th of STATS_HISTORY_MAX points, the last one the newest */
        i = n <= STATS_HISTORY_MAX
            ? k
            : (size_t) ((double) k * (double) (n - 1)
                        / (double) (STATS_HISTORY_MAX - 1) + 0.5);
        if (i >= n) {
            break;
        }
        if (i == last) {
            continue;
        }
        last = i;
        (void) lineage_name_gen(names[i], &g);
        v = entry(dir, g);
        s = v ? member(v, "segments") : NULL;
        if (s != NULL && YAJL_IS_OBJECT(s)) {
            json_out_map_open(&d->j);
            json_out_cstr(&d->j, "generation");
            json_out_uint(&d->j, g);
            json_out_cstr(&d->j, "time");
            emit(&d->j, member(v, "time"));
            json_out_cstr(&d->j, "profiles");
            emit(&d->j, member(v, "profiles"));
            json_out_cstr(&d->j, "segments");
            emit(&d->j, s);
            json_out_map_close(&d->j);
        }
        yajl_tree_free(v);
    }
    json_out_array_close(&d->j);
    dir_names_free(names, n);
    return SPOOR_OK;
}


/* ---- the document ------------------------------------------------------------- */

static void
identity(doc_t *d)
{
    static const char *const  k[][2] = {
        { "merges", "ident:merges" },
        { "mergesRefused", "ident:merges_refused" },
        { "withdrawals", "ident:withdrawals" },
        { "profilesErased", "ident:erased" },
        { "expired", "ident:expired" },
        { "junkIds", "ident:junk_ids" },
    };
    size_t  i;

    json_out_cstr(&d->j, "identity");
    json_out_map_open(&d->j);
    for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        json_out_cstr(&d->j, k[i][0]);
        json_out_uint(&d->j, counter(d, k[i][1]));
    }
    json_out_map_close(&d->j);
}


static void
quality(doc_t *d)
{
    static const char *const  k[][2] = {
        { "frames", "q:frames" },
        { "records", "q:records" },
    };
    static const char *const  skips[] = {
        "duplicate", "anonymous", "cookieless", "not_for_profiling",
        "no_id", "erased", "bad_record"
    };
    char    key[64];
    size_t  i;

    json_out_cstr(&d->j, "quality");
    json_out_map_open(&d->j);
    for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        json_out_cstr(&d->j, k[i][0]);
        json_out_uint(&d->j, counter(d, k[i][1]));
    }
    json_out_cstr(&d->j, "skipped");
    json_out_map_open(&d->j);
    for (i = 0; i < sizeof(skips) / sizeof(skips[0]); i++) {
        snprintf(key, sizeof(key), "skip:%s", skips[i]);
        json_out_cstr(&d->j, skips[i]);
        json_out_uint(&d->j, counter(d, key));
    }
    json_out_map_close(&d->j);
    json_out_map_close(&d->j);
}


/* Every log's `spoor verify --json` object; *bad when one is not OK. */
static void
logs_member(doc_t *d, char *const *logs, size_t nlogs, int *bad)
{
    size_t  i;
    int     rc;

    json_out_cstr(&d->j, "logs");
    json_out_array_open(&d->j);
    for (i = 0; i < nlogs; i++) {
        rc = verify_log_json(&d->j, logs[i]);
        if (rc == EXIT_IO) {
            json_out_map_open(&d->j);
            json_out_cstr(&d->j, "file");
            json_out_cstr(&d->j, logs[i]);
            json_out_cstr(&d->j, "error");
            json_out_cstr(&d->j, "cannot be read");
            json_out_cstr(&d->j, "ok");
            json_out_bool(&d->j, 0);
            json_out_map_close(&d->j);
        }
        if (rc != EXIT_OK) {
            *bad = 1;
        }
    }
    json_out_array_close(&d->j);
}


int
stats_json(const char *dir, char *const *logs, size_t nlogs, char **json,
    size_t *len, int *logs_bad, char *err, size_t errlen)
{
    state_view_t  v;
    doc_t         d;
    size_t        f, tl;
    yajl_val      cur;
    const char   *text;
    char          when[64], e[512];
    int           rc;

    *json = NULL;
    *len = 0;
    *logs_bad = 0;
    rc = state_view_open(&v, dir, err, errlen);
    if (rc != SPOOR_OK) {
        return rc;
    }
    for (f = 0; f < v.c.n; f++) {
        /* the counts are only as good as the snapshot: every byte */
        if (spoor_snap_verify(v.c.file[f], e, sizeof(e)) != SPOOR_OK) {
            MSG("%s (spoor recover --state %s rolls back to an intact "
                "generation)", e, dir);
            state_view_close(&v);
            return SPOOR_E_FORMAT;
        }
    }
    if (!v.has_meta) {
        MSG("%s: the snapshot has no counters", dir);
        state_view_close(&v);
        return SPOOR_E_FORMAT;
    }

    memset(&d, 0, sizeof(d));
    d.m = &v.meta;
    d.kv = malloc((v.meta.ncounters + 1) * sizeof(kv_t));
    d.kv2 = malloc((v.meta.ncounters + 1) * sizeof(kv_t));
    if (d.kv == NULL || d.kv2 == NULL || json_out_init(&d.j, NULL) != 0) {
        free(d.kv);
        free(d.kv2);
        state_view_close(&v);
        MSG("out of memory");
        return SPOOR_E_NOMEM;
    }

    json_out_map_open(&d.j);
    json_out_cstr(&d.j, "version");
    json_out_uint(&d.j, STATS_VERSION);
    json_out_cstr(&d.j, "generation");
    json_out_uint(&d.j, v.c.gen[0]);
    json_out_cstr(&d.j, "asOf");
    if (v.meta.as_of > 0 && v.meta.as_of != INT64_MAX) {
        cli_format_time(v.meta.as_of, when);
        json_out_cstr(&d.j, when);
    } else {
        json_out_null(&d.j);
    }
    json_out_cstr(&d.j, "profiles");
    /* the meta counts the profiles of the whole chain; a generation
     * written before it did is a full one */
    json_out_uint(&d.j, v.meta.has_profiles ? v.meta.profiles
                                            : spoor_snap_count(v.c.file[0]));
    kv_member(&d, "events", "kind:", 0);
    kv_member(&d, "consentActions", "action:", 0);
    kv_member(&d, "consentSignals", "signal:", 0);
    kv_member(&d, "topCountries", "country:", 10);
    kv_member(&d, "topCategories", "category:", 10);

    /* this generation's segment sizes, lifecycle and RFM counts */
    cur = entry(dir, v.c.gen[0]);
    if (cur != NULL && member(cur, "segments") != NULL) {
        json_out_cstr(&d.j, "segments");
        emit(&d.j, member(cur, "segments"));
        json_out_cstr(&d.j, "lifecycle");
        emit(&d.j, member(cur, "lifecycle"));
        json_out_cstr(&d.j, "rfm");
        emit(&d.j, member(cur, "rfm"));
    }
    yajl_tree_free(cur);
    rc = history(&d, dir);

    daily(&d);
    consent(&d);
    json_out_cstr(&d.j, "top");
    json_out_map_open(&d.j);
    top_list(&d, "pages", "tp:", "te:tp");
    top_list(&d, "referrers", "tr:", "te:tr");
    top_list(&d, "campaigns", "tc:", "te:tc");
    top_list(&d, "countries", "country:", NULL);
    top_list(&d, "browsers", "tb:", NULL);
    top_list(&d, "devices", "td:", NULL);
    json_out_map_close(&d.j);
    identity(&d);
    quality(&d);
    if (nlogs > 0) {
        logs_member(&d, logs, nlogs, logs_bad);
    }
    json_out_map_close(&d.j);

    text = json_out_text(&d.j, &tl);
    if (rc == SPOOR_OK && text != NULL) {
        *json = malloc(tl + 1);
    }
    if (*json == NULL) {
        MSG("out of memory");
        rc = SPOOR_E_NOMEM;
    } else {
        memcpy(*json, text, tl);
        (*json)[tl] = '\0';
        *len = tl;
    }
    json_out_free(&d.j);
    free(d.kv);
    free(d.kv2);
    state_view_close(&v);
    return rc;
}
