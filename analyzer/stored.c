/*
 * stored.c -- the profile record and the metadata of a snapshot
 * generation: their one writer and one reader (stored.h, docs/FORMAT.md).
 *
 * The writers fix the bytes: the keys in the order below, each integer in
 * msgpack's shortest form, so the same profiles and metadata always give
 * the same snapshot.  The readers take the keys in any order and read
 * each value through the typed reads of mp_scalar.h.
 */
#include <stdio.h>
#include <string.h>
#include <msgpack.h>
#include "error.h"
#include "mp_check.h"
#include "mp_member.h"
#include "mp_read.h"
#include "mp_scalar.h"
#include "stored.h"

#define STORED_MSG(...)  do { if (err) snprintf(err, errlen, __VA_ARGS__); \
                         } while (0)


static int
pk_str(msgpack_packer *pk, const char *s, size_t len)
{
    return msgpack_pack_str(pk, len) || msgpack_pack_str_body(pk, s, len);
}


static int
pk_cstr(msgpack_packer *pk, const char *s)
{
    return pk_str(pk, s, strlen(s));
}


/* n elements of size bytes in the view's zone (NULL for none). */
static void *
zone_array(msgpack_unpacked *u, size_t n, size_t size)
{
    if (n == 0) {
        return NULL;
    }
    return msgpack_zone_malloc(u->zone, n * size);
}


/* ---- the profile record ------------------------------------------------ */

int
stored_profile_pack(msgpack_packer *pk, const stored_profile_t *v)
{
    size_t  i;
    int     e;
    char    kind[2] = { 0, 0 };

    e = msgpack_pack_map(pk, 10);
    e |= pk_cstr(pk, "id") || pk_str(pk, v->id.ptr, v->id.len);
    e |= pk_cstr(pk, "ids") || msgpack_pack_array(pk, v->nids);
    for (i = 0; i < v->nids; i++) {
        kind[0] = v->ids[i].kind;
        e |= msgpack_pack_array(pk, 2) || pk_str(pk, kind, 1)
             || pk_str(pk, v->ids[i].text.ptr, v->ids[i].text.len);
    }
    e |= pk_cstr(pk, "state") || profile_pack(v->profile, v->strings, pk);
    e |= pk_cstr(pk, "rfm") || msgpack_pack_array(pk, 3)
         || msgpack_pack_int64(pk, v->rfm[0])
         || msgpack_pack_int64(pk, v->rfm[1])
         || msgpack_pack_int64(pk, v->rfm[2]);
    e |= pk_cstr(pk, "life") || pk_str(pk, v->life.ptr, v->life.len);
    e |= pk_cstr(pk, "as_of") || msgpack_pack_int64(pk, v->as_of);
    e |= pk_cstr(pk, "abandoned")
         || msgpack_pack_uint64(pk, (uint64_t) v->abandoned);
    e |= pk_cstr(pk, "decayed") || msgpack_pack_map(pk, v->ndecayed);
    for (i = 0; i < v->ndecayed; i++) {
        e |= pk_str(pk, v->decayed[i].name.ptr, v->decayed[i].name.len)
             || msgpack_pack_double(pk, v->decayed[i].value);
    }
    e |= pk_cstr(pk, "seg") || msgpack_pack_array(pk, v->nsegs);
    for (i = 0; i < v->nsegs; i++) {
        e |= pk_str(pk, v->segs[i].ptr, v->segs[i].len);
    }
    e |= pk_cstr(pk, "next") || msgpack_pack_int64(pk, v->next);
    return e ? SPOOR_E_NOMEM : SPOOR_OK;
}


/* ---- the serving view -------------------------------------------------- */

/* the lifecycle stages (inferred.c), coded 1 .. 4 in a summary */
static const char  *serve_life[] = { "new", "active", "lapsing", "churned" };

/* A trait value the serving view keeps: a str of at most
 * STORED_SERVE_TEXT_MAX bytes, an integer, a float or a boolean. */
static int
serve_scalar(const unsigned char *v, size_t len)
{
    spoor_mp_item_t  it;
    size_t           off = 0;

    if (v == NULL || spoor_mp_read(v, len, &off, &it) != SPOOR_OK
        || off != len)
    {
        return 0;
    }
    switch (it.type) {
    case SPOOR_MP_STR:
        return it.len <= STORED_SERVE_TEXT_MAX;
    case SPOOR_MP_UINT:
    case SPOOR_MP_INT:
    case SPOOR_MP_FLOAT:
    case SPOOR_MP_BOOL:
        return 1;
    default:
        return 0;
    }
}


int
stored_serve_pack(msgpack_packer *pk, const stored_profile_t *v)
{
    const profile_t        *p = v->profile;
    const profile_trait_t  *t = profile_traits(p);
    size_t                  i;
    uint32_t                n;
    int                     e;

    n = 0;
    for (i = 0; i < p->ntraits; i++) {
        n += (uint32_t) serve_scalar(profile_trait_value(&t[i]),
                                     t[i].value_len);
    }
    e = msgpack_pack_array(pk, 2 * n);
    for (i = 0; i < p->ntraits; i++) {
        const unsigned char  *tv = profile_trait_value(&t[i]);

        if (serve_scalar(tv, t[i].value_len)) {
            e |= pk_cstr(pk, intern_str(v->strings, t[i].name))
                 || msgpack_pack_bin(pk, t[i].value_len)
                 || msgpack_pack_bin_body(pk, tv, t[i].value_len);
        }
    }
    return e ? SPOOR_E_NOMEM : SPOOR_OK;
}


int
stored_gone(const unsigned char *blob, size_t len)
{
    return len == 1 && blob[0] == (unsigned char) STORED_GONE_BLOB[0];
}


size_t
stored_serve_sum_size(const spoor_rules_t *rules)
{
    return (rules ? spoor_rules_count(rules) : 0) <= 64
           ? SPOOR_SERVE_SUM_SMALL : SPOOR_SERVE_SUM_LARGE;
}


void
stored_serve_summary(const stored_profile_t *v, const spoor_rules_t *rules,
    unsigned char *sum)
{
    const profile_t  *p = v->profile;
    const char       *name;
    size_t            i, k, n, size;
    int64_t           rfm;

    size = stored_serve_sum_size(rules);
    memset(sum, 0, size);

    rfm = v->rfm[0] >= 1 && v->rfm[0] <= 5 && v->rfm[1] >= 1
          && v->rfm[1] <= 5 && v->rfm[2] >= 1 && v->rfm[2] <= 5
          ? v->rfm[0] * 100 + v->rfm[1] * 10 + v->rfm[2] : 0;
    sum[0] = (unsigned char) (rfm & 0xff);
    sum[1] = (unsigned char) (rfm >> 8);

    for (i = 0; i < sizeof(serve_life) / sizeof(serve_life[0]); i++) {
        if (v->life.len == strlen(serve_life[i])
            && memcmp(v->life.ptr, serve_life[i], v->life.len) == 0)
        {
            sum[2] = (unsigned char) (i + 1);
        }
    }

    for (i = 0; i < p->ntraits; i++) {
        const profile_trait_t  *t = &profile_traits(p)[i];

        if (serve_scalar(profile_trait_value(t), t->value_len)) {
            sum[3] |= SPOOR_SERVE_TRAITS;
            break;
        }
    }

    /* v->segs are in the rules' order (inferred_record): one walk over
     * the rules' names finds every bit, not a search per segment */
    n = rules ? spoor_rules_count(rules) : 0;
    k = 0;
    for (i = 0; i < v->nsegs; i++) {
        while (k < n
               && (strlen(name = spoor_rules_name(rules, k)) != v->segs[i].len
                   || memcmp(name, v->segs[i].ptr, v->segs[i].len) != 0))
        {
            k++;
        }
        if (k == n) {
            break;                        /* not in order, or unknown */
        }
        if (k < (size - 8) * 8) {
            sum[8 + k / 8] |= (unsigned char) (1u << (k % 8));
        }
        k++;
    }
}


int
stored_serve_meta_pack(msgpack_packer *pk, int64_t as_of,
    const spoor_rules_t *rules, uint32_t parent, uint32_t base)
{
    size_t       i, n;
    const char  *name;
    int          e;

    n = rules ? spoor_rules_count(rules) : 0;

    e = msgpack_pack_map(pk, parent ? 6 : 4);
    e |= pk_cstr(pk, "serve") || msgpack_pack_uint64(pk, STORED_SERVE_VERSION);
    e |= pk_cstr(pk, "as_of") || msgpack_pack_int64(pk, as_of);
    e |= pk_cstr(pk, "segs") || msgpack_pack_array(pk, n);
    for (i = 0; i < n; i++) {
        name = spoor_rules_name(rules, i);
        e |= pk_cstr(pk, name);
    }
    n = sizeof(serve_life) / sizeof(serve_life[0]);
    e |= pk_cstr(pk, "life") || msgpack_pack_array(pk, n);
    for (i = 0; i < n; i++) {
        e |= pk_cstr(pk, serve_life[i]);
    }
    if (parent) {
        e |= pk_cstr(pk, "parent") || msgpack_pack_uint32(pk, parent)
             || pk_cstr(pk, "base") || msgpack_pack_uint32(pk, base);
    }
    return e ? SPOOR_E_NOMEM : SPOOR_OK;
}


/* "ids": [[kind, text], ...], kind a one-byte str, text a str. */
static int
read_ids(stored_profile_t *v, const msgpack_object *o)
{
    const msgpack_object  *e;
    uint32_t               k;

    if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY) {
        return 0;
    }
    v->ids = zone_array(&v->u, o->via.array.size, sizeof(stored_id_t));
    if (o->via.array.size && v->ids == NULL) {
        return 0;
    }
    for (k = 0; k < o->via.array.size; k++) {
        stored_id_t  *d = &v->ids[k];

        e = &o->via.array.ptr[k];
        if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 2
            || e->via.array.ptr[0].type != MSGPACK_OBJECT_STR
            || e->via.array.ptr[0].via.str.size != 1
            || !spoor_mp_str(&e->via.array.ptr[1], &d->text.ptr,
                             &d->text.len))
        {
            return 0;
        }
        d->kind = e->via.array.ptr[0].via.str.ptr[0];
    }
    v->nids = o->via.array.size;
    return 1;
}


/* "decayed": {name: number}; entries with a key that is no str are
 * skipped, a value that is no number reads as 0. */
static void
read_decayed(stored_profile_t *v, const msgpack_object *o)
{
    uint32_t  k;

    if (o == NULL || o->type != MSGPACK_OBJECT_MAP) {
        return;
    }
    v->decayed = zone_array(&v->u, o->via.map.size, sizeof(stored_decayed_t));
    if (v->decayed == NULL) {
        return;
    }
    for (k = 0; k < o->via.map.size; k++) {
        const msgpack_object_kv  *kv = &o->via.map.ptr[k];
        stored_decayed_t         *d = &v->decayed[v->ndecayed];

        if (!spoor_mp_str(&kv->key, &d->name.ptr, &d->name.len)) {
            continue;
        }
        if (!spoor_mp_double(&kv->val, &d->value)) {
            d->value = 0;
        }
        v->ndecayed++;
    }
}


/* "seg": [name, ...], every name a str. */
static void
read_segs(stored_profile_t *v, const msgpack_object *o)
{
    uint32_t  k;

    if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY) {
        return;
    }
    v->segs = zone_array(&v->u, o->via.array.size, sizeof(stored_str_t));
    if (o->via.array.size && v->segs == NULL) {
        return;
    }
    for (k = 0; k < o->via.array.size; k++) {
        if (!spoor_mp_str(&o->via.array.ptr[k], &v->segs[k].ptr,
                          &v->segs[k].len))
        {
            v->segs = NULL;
            return;
        }
    }
    v->nsegs = o->via.array.size;
    v->has_segs = 1;
}


int
stored_profile_read(stored_profile_t *v, const unsigned char *blob,
    size_t len, char *err, size_t errlen)
{
    const msgpack_object  *m, *o;
    uint32_t               k;

    memset(v, 0, sizeof(*v));
    msgpack_unpacked_init(&v->u);
    if (spoor_mp_unpack(&v->u, blob, len, SPOOR_MP_DEPTH_CAP) != SPOOR_OK
        || v->u.data.type != MSGPACK_OBJECT_MAP)
    {
        STORED_MSG("the profile record is no msgpack map");
        return SPOOR_E_FORMAT;
    }
    m = &v->u.data;
    if (!read_ids(v, spoor_mp_member(m, "ids"))) {
        STORED_MSG("the profile record's \"ids\" are missing or are not "
                   "[kind, id] pairs");
        v->ids = NULL;
        v->nids = 0;
        return SPOOR_E_FORMAT;
    }
    v->state = spoor_mp_member(m, "state");
    if (v->state == NULL) {
        STORED_MSG("the profile record has no \"state\"");
        v->ids = NULL;
        v->nids = 0;
        return SPOOR_E_FORMAT;
    }

    v->has_id = spoor_mp_str(spoor_mp_member(m, "id"), &v->id.ptr,
                             &v->id.len);
    o = spoor_mp_member(m, "rfm");
    if (o && o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 3) {
        v->has_rfm = 1;
        for (k = 0; k < 3; k++) {
            v->has_rfm &= spoor_mp_whole(&o->via.array.ptr[k], &v->rfm[k]);
        }
    }
    v->has_life = spoor_mp_str(spoor_mp_member(m, "life"), &v->life.ptr,
                               &v->life.len);
    v->has_as_of = spoor_mp_whole(spoor_mp_member(m, "as_of"), &v->as_of);
    v->has_abandoned = spoor_mp_whole(spoor_mp_member(m, "abandoned"),
                                      &v->abandoned);
    read_decayed(v, spoor_mp_member(m, "decayed"));
    read_segs(v, spoor_mp_member(m, "seg"));
    v->has_next = spoor_mp_whole(spoor_mp_member(m, "next"), &v->next);
    if (!v->has_next) {
        v->next = INT64_MIN;
    }
    return SPOOR_OK;
}


void
stored_profile_free(stored_profile_t *v)
{
    msgpack_unpacked_destroy(&v->u);
    memset(v, 0, sizeof(*v));
}


/* ---- the metadata ------------------------------------------------------ */

int
stored_meta_pack(msgpack_packer *pk, const stored_meta_t *v)
{
    size_t  i;
    int     e, k;

    e = msgpack_pack_map(pk, v->parent ? 11 : 9);
    e |= pk_cstr(pk, "v") || msgpack_pack_uint32(pk, 1);
    e |= pk_cstr(pk, "as_of") || msgpack_pack_int64(pk, v->as_of);

    /* every frame key as little-endian u64 */
    e |= pk_cstr(pk, "frames") || msgpack_pack_bin(pk, v->nframes * 8);
    for (i = 0; i < v->nframes; i++) {
        unsigned char  b[8];

        for (k = 0; k < 8; k++) {
            b[k] = (unsigned char) (v->frames[i] >> (8 * k));
        }
        e |= msgpack_pack_bin_body(pk, b, 8);
    }

    e |= pk_cstr(pk, "tombs") || msgpack_pack_array(pk, 2 * v->ntombs);
    for (i = 0; i < v->ntombs; i++) {
        e |= msgpack_pack_uint64(pk, v->tombs[i].hash)
             || msgpack_pack_int64(pk, v->tombs[i].time);
    }

    e |= pk_cstr(pk, "counters") || msgpack_pack_map(pk, v->ncounters);
    for (i = 0; i < v->ncounters; i++) {
        e |= pk_str(pk, v->counters[i].key.ptr, v->counters[i].key.len)
             || msgpack_pack_uint64(pk, v->counters[i].n);
    }

    e |= pk_cstr(pk, "rfm_cuts") || msgpack_pack_array(pk, 12);
    for (i = 0; i < 3; i++) {
        for (k = 0; k < 4; k++) {
            e |= msgpack_pack_double(pk, v->rfm_cuts[i][k]);
        }
    }

    e |= settings_pack(&v->settings, pk);
    e |= pk_cstr(pk, "profiles") || msgpack_pack_uint64(pk, v->profiles);
    if (v->parent) {
        e |= pk_cstr(pk, "parent") || msgpack_pack_uint32(pk, v->parent)
             || pk_cstr(pk, "base") || msgpack_pack_uint32(pk, v->base);
    }
    return e ? SPOOR_E_NOMEM : SPOOR_OK;
}


static int
read_frames(stored_meta_t *v, const msgpack_object *o)
{
    size_t  i;
    int     k;

    if (o == NULL || o->type != MSGPACK_OBJECT_BIN || o->via.bin.size % 8) {
        return SPOOR_E_FORMAT;
    }
    v->frames = zone_array(&v->u, o->via.bin.size / 8, sizeof(uint64_t));
    if (o->via.bin.size && v->frames == NULL) {
        return SPOOR_E_NOMEM;
    }
    v->nframes = o->via.bin.size / 8;
    for (i = 0; i < v->nframes; i++) {
        uint64_t  x = 0;

        for (k = 7; k >= 0; k--) {
            x = (x << 8) | (unsigned char) o->via.bin.ptr[8 * i + k];
        }
        v->frames[i] = x;
    }
    return SPOOR_OK;
}


static int
read_tombs(stored_meta_t *v, const msgpack_object *o)
{
    uint32_t  i;

    if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY
        || o->via.array.size % 2)
    {
        return SPOOR_E_FORMAT;
    }
    v->tombs = zone_array(&v->u, o->via.array.size / 2,
                          sizeof(stored_tomb_t));
    if (o->via.array.size && v->tombs == NULL) {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < o->via.array.size; i += 2) {
        stored_tomb_t  *t = &v->tombs[i / 2];

        if (!spoor_mp_u64(&o->via.array.ptr[i], &t->hash)
            || (o->via.array.ptr[i + 1].type
                    != MSGPACK_OBJECT_POSITIVE_INTEGER
                && o->via.array.ptr[i + 1].type
                    != MSGPACK_OBJECT_NEGATIVE_INTEGER))
        {
            return SPOOR_E_FORMAT;
        }
        /* as written: an int64 (a uint beyond INT64_MAX wraps, as it
         * always has) */
        t->time = o->via.array.ptr[i + 1].via.i64;
    }
    v->ntombs = o->via.array.size / 2;
    return SPOOR_OK;
}


static int
read_counters(stored_meta_t *v, const msgpack_object *o)
{
    uint32_t  i;

    if (o == NULL || o->type != MSGPACK_OBJECT_MAP) {
        return SPOOR_E_FORMAT;
    }
    v->counters = zone_array(&v->u, o->via.map.size,
                             sizeof(stored_counter_t));
    if (o->via.map.size && v->counters == NULL) {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < o->via.map.size; i++) {
        stored_counter_t  *c = &v->counters[i];

        if (!spoor_mp_str(&o->via.map.ptr[i].key, &c->key.ptr, &c->key.len)
            || !spoor_mp_u64(&o->via.map.ptr[i].val, &c->n))
        {
            return SPOOR_E_FORMAT;
        }
    }
    v->ncounters = o->via.map.size;
    return SPOOR_OK;
}


int
stored_meta_read(stored_meta_t *v, const unsigned char *p, size_t len,
    char *err, size_t errlen)
{
    const msgpack_object  *m, *o;
    const char            *what;
    uint32_t               i;
    int                    rc;

    memset(v, 0, sizeof(*v));
    settings_init(&v->settings);
    msgpack_unpacked_init(&v->u);
    if (spoor_mp_unpack(&v->u, p, len, SPOOR_MP_DEPTH_CAP) != SPOOR_OK
        || v->u.data.type != MSGPACK_OBJECT_MAP)
    {
        STORED_MSG("the metadata is no msgpack map");
        return SPOOR_E_FORMAT;
    }
    m = &v->u.data;

    what = "as_of";
    rc = spoor_mp_i64(spoor_mp_member(m, what), &v->as_of)
         ? SPOOR_OK : SPOOR_E_FORMAT;
    if (rc == SPOOR_OK) {
        what = "frames";
        rc = read_frames(v, spoor_mp_member(m, what));
    }
    if (rc == SPOOR_OK) {
        what = "tombs";
        rc = read_tombs(v, spoor_mp_member(m, what));
    }
    if (rc == SPOOR_OK) {
        what = "counters";
        rc = read_counters(v, spoor_mp_member(m, what));
    }
    /* settings: absent in a state written before they were kept */
    if (rc == SPOOR_OK && spoor_mp_member(m, "settings") != NULL) {
        what = "settings";
        rc = settings_unpack(&v->settings, m);
        v->has_settings = rc == SPOOR_OK;
    }
    if (rc != SPOOR_OK) {
        if (rc == SPOOR_E_NOMEM) {
            STORED_MSG("out of memory");
        } else {
            STORED_MSG("the metadata's \"%s\" is missing or malformed", what);
        }
        return rc;
    }

    o = spoor_mp_member(m, "rfm_cuts");
    if (o && o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 12) {
        v->has_rfm_cuts = 1;
        for (i = 0; i < 12; i++) {
            v->has_rfm_cuts &= spoor_mp_double(&o->via.array.ptr[i],
                                               &v->rfm_cuts[i / 4][i % 4]);
        }
    }
    v->has_profiles = spoor_mp_u64(spoor_mp_member(m, "profiles"),
                                   &v->profiles);
    return SPOOR_OK;
}


void
stored_meta_free(stored_meta_t *v)
{
    settings_free(&v->settings);
    msgpack_unpacked_destroy(&v->u);
    memset(v, 0, sizeof(*v));
    settings_init(&v->settings);
}
