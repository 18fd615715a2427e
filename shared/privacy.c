/*
 * privacy.c -- sensitive traits, pseudonyms and anonymous records
 * (privacy.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <msgpack.h>
#include "keyed_hash.h"
#include "privacy.h"
#include "useragent.h"

static int
in_list(const spoor_str_t *list, size_t n, const msgpack_object *k)
{
    size_t  i;

    if (k->type != MSGPACK_OBJECT_STR) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (list[i].len == k->via.str.size
            && memcmp(list[i].data, k->via.str.ptr, list[i].len) == 0)
        {
            return 1;
        }
    }
    return 0;
}


int
spoor_pseudonym(const unsigned char *key, size_t key_len,
    spoor_keyed_t *prepared, const char *s, size_t len, char *out)
{
    unsigned char  d[SPOOR_KEYED_HASH_LEN];
    spoor_str_t    part;
    int            rc;

    part.data = s;
    part.len = len;
    if (prepared != NULL) {
        rc = spoor_keyed_hash_with(prepared, &part, 1, d);
    } else {
        rc = key != NULL ? spoor_keyed_hash(key, key_len, &part, 1, d)
                         : SPOOR_E_INVAL;
    }
    if (rc != SPOOR_OK) {
        return SPOOR_E_INVAL;
    }
    spoor_hex(d, SPOOR_KEYED_HASH_LEN, out);
    return SPOOR_OK;
}


/* The pseudonym of s[0 .. len) under pv's key, as hex into p[0 .. 64). */
static int
pseudonym(const spoor_privacy_t *pv, const char *s, size_t len, char *p)
{
    return spoor_pseudonym(pv->key, pv->key_len, NULL, s, len, p);
}


/* What happens to one entry of a traits map. */
enum { KEEP, DROP, HASH };

static int
verdict(const spoor_privacy_t *pv, int strip, const msgpack_object_kv *kv)
{
    if (strip && in_list(pv->sensitive, pv->nsensitive, &kv->key)) {
        return DROP;
    }
    if (!in_list(pv->pseudo, pv->npseudo, &kv->key)) {
        return KEEP;
    }
    if (pv->key != NULL
        && (kv->val.type == MSGPACK_OBJECT_STR
            || kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER
            || kv->val.type == MSGPACK_OBJECT_NEGATIVE_INTEGER))
    {
        return HASH;
    }
    return DROP;
}


static int
needs_filter(const spoor_privacy_t *pv, int strip, const msgpack_object *m)
{
    uint32_t  i;

    for (i = 0; i < m->via.map.size; i++) {
        if (verdict(pv, strip, &m->via.map.ptr[i]) != KEEP) {
            return 1;
        }
    }
    return 0;
}


/* Packs the filtered traits map m. */
static int
pack_traits(const spoor_privacy_t *pv, int strip, const msgpack_object *m,
    msgpack_packer *pk)
{
    uint32_t  i, n = 0;
    char      num[24], hex[SPOOR_PSEUDONYM_LEN];
    int       v;

    for (i = 0; i < m->via.map.size; i++) {
        n += verdict(pv, strip, &m->via.map.ptr[i]) != DROP;
    }
    if (msgpack_pack_map(pk, n) != 0) {
        return SPOOR_E_FULL;
    }

    for (i = 0; i < m->via.map.size; i++) {
        const msgpack_object_kv  *kv = &m->via.map.ptr[i];
        const char               *s;
        size_t                    len;

        v = verdict(pv, strip, kv);
        if (v == DROP) {
            continue;
        }
        if (msgpack_pack_object(pk, kv->key) != 0) {
            return SPOOR_E_FULL;
        }
        if (v == KEEP) {
            if (msgpack_pack_object(pk, kv->val) != 0) {
                return SPOOR_E_FULL;
            }
            continue;
        }

        if (kv->val.type == MSGPACK_OBJECT_STR) {
            s = kv->val.via.str.ptr;
            len = kv->val.via.str.size;
        } else if (kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
            len = (size_t) snprintf(num, sizeof(num), "%" PRIu64,
                                    kv->val.via.u64);
            s = num;
        } else {
            len = (size_t) snprintf(num, sizeof(num), "%" PRId64,
                                    kv->val.via.i64);
            s = num;
        }
        if (pseudonym(pv, s, len, hex) != SPOOR_OK) {
            return SPOOR_E_INVAL;
        }
        if (msgpack_pack_str(pk, SPOOR_PSEUDONYM_LEN) != 0
            || msgpack_pack_str_body(pk, hex, SPOOR_PSEUDONYM_LEN) != 0)
        {
            return SPOOR_E_FULL;
        }
    }
    return SPOOR_OK;
}


/*
 * Calls fn on the object form of v (unpacking raw bytes into a zone of its
 * own for the duration).  Returns what fn returns, or SPOOR_E_FORMAT.
 */
typedef int (*with_fn)(const spoor_privacy_t *pv, int strip,
    const msgpack_object *o, spoor_value_t *v, spoor_buf_t *out);

static int
with_object(const spoor_privacy_t *pv, int strip, spoor_value_t *v,
    spoor_buf_t *out, with_fn fn)
{
    msgpack_unpacked  u;
    size_t            off = 0;
    int               rc;

    if (v->raw == NULL) {
        return v->obj ? fn(pv, strip, v->obj, v, out) : SPOOR_OK;
    }

    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, (const char *) v->raw, v->raw_len, &off)
        != MSGPACK_UNPACK_SUCCESS)
    {
        msgpack_unpacked_destroy(&u);
        return SPOOR_E_FORMAT;
    }
    rc = fn(pv, strip, &u.data, v, out);
    msgpack_unpacked_destroy(&u);
    return rc;
}


/* Sets v to the bytes written to out since `start`. */
static void
set_raw(spoor_value_t *v, spoor_buf_t *out, size_t start)
{
    v->raw = out->data + start;
    v->raw_len = out->len - start;
    v->obj = NULL;
}


static int
filter_traits(const spoor_privacy_t *pv, int strip, const msgpack_object *o,
    spoor_value_t *v, spoor_buf_t *out)
{
    msgpack_packer  pk;
    size_t          start = out->len;
    int             rc;

    if (o->type != MSGPACK_OBJECT_MAP || !needs_filter(pv, strip, o)) {
        return SPOOR_OK;
    }

    msgpack_packer_init(&pk, out, spoor_buf_msgpack_write);
    rc = pack_traits(pv, strip, o, &pk);
    if (rc != SPOOR_OK) {
        out->len = start;
        return rc;
    }
    set_raw(v, out, start);
    return SPOOR_OK;
}


static int
filter_context(const spoor_privacy_t *pv, int strip, const msgpack_object *o,
    spoor_value_t *v, spoor_buf_t *out)
{
    msgpack_packer  pk;
    size_t          start = out->len;
    uint32_t        i, n;
    int             rc = SPOOR_OK, is_traits;

    if (o->type != MSGPACK_OBJECT_MAP) {
        return SPOOR_OK;
    }

    n = 0;
    for (i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv  *kv = &o->via.map.ptr[i];

        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == 6
            && memcmp(kv->key.via.str.ptr, "traits", 6) == 0
            && kv->val.type == MSGPACK_OBJECT_MAP
            && needs_filter(pv, strip, &kv->val))
        {
            n++;
        }
    }
    if (n == 0) {
        return SPOOR_OK;
    }

    msgpack_packer_init(&pk, out, spoor_buf_msgpack_write);
    if (msgpack_pack_map(&pk, o->via.map.size) != 0) {
        rc = SPOOR_E_FULL;
    }

    for (i = 0; rc == SPOOR_OK && i < o->via.map.size; i++) {
        const msgpack_object_kv  *kv = &o->via.map.ptr[i];

        is_traits = kv->key.type == MSGPACK_OBJECT_STR
                    && kv->key.via.str.size == 6
                    && memcmp(kv->key.via.str.ptr, "traits", 6) == 0;

        if (msgpack_pack_object(&pk, kv->key) != 0) {
            rc = SPOOR_E_FULL;
        } else if (is_traits && kv->val.type == MSGPACK_OBJECT_MAP) {
            rc = pack_traits(pv, strip, &kv->val, &pk);
        } else if (is_traits) {
            /* not a map: nothing of it can be checked, so nothing kept */
            rc = msgpack_pack_nil(&pk) != 0 ? SPOOR_E_FULL : SPOOR_OK;
        } else if (msgpack_pack_object(&pk, kv->val) != 0) {
            rc = SPOOR_E_FULL;
        }
    }

    if (rc != SPOOR_OK) {
        out->len = start;
        return rc;
    }
    set_raw(v, out, start);
    return SPOOR_OK;
}


int
spoor_privacy_needed(const spoor_privacy_t *pv, int personalization)
{
    return pv->npseudo || pv->pseudo_user_id
           || (!personalization && pv->nsensitive);
}


int
spoor_privacy_apply(const spoor_privacy_t *pv, int strip, spoor_event_t *ev,
    spoor_buf_t *out)
{
    int    rc = SPOOR_OK, r;
    char  *p;

    r = with_object(pv, strip, &ev->traits, out, filter_traits);
    if (r != SPOOR_OK) {
        ev->traits.raw = NULL;
        ev->traits.obj = NULL;
        rc = r == SPOOR_E_INVAL ? r : SPOOR_E_FULL;
    }

    r = with_object(pv, strip, &ev->context, out, filter_context);
    if (r != SPOOR_OK) {
        ev->context.raw = NULL;
        ev->context.obj = NULL;
        if (rc == SPOOR_OK) {
            rc = r == SPOOR_E_INVAL ? r : SPOOR_E_FULL;
        }
    }

    if (pv->pseudo_user_id && ev->user_id.data != NULL) {
        p = (char *) out->data + out->len;
        if (out->cap - out->len < SPOOR_PSEUDONYM_LEN
            || pseudonym(pv, ev->user_id.data, ev->user_id.len, p)
               != SPOOR_OK)
        {
            ev->user_id.data = NULL;
            ev->user_id.len = 0;
            if (rc == SPOOR_OK) {
                rc = pv->key ? SPOOR_E_FULL : SPOOR_E_INVAL;
            }
        } else {
            out->len += SPOOR_PSEUDONYM_LEN;
            ev->user_id.data = p;
            ev->user_id.len = SPOOR_PSEUDONYM_LEN;
        }
    }

    return rc;
}


/* s without its query string and fragment. */
static void
cut_query(spoor_str_t *s)
{
    size_t  i;

    if (s->data == NULL) {
        return;
    }
    for (i = 0; i < s->len; i++) {
        if (s->data[i] == '?' || s->data[i] == '#') {
            s->len = i;
            return;
        }
    }
}


void
spoor_anonymize(spoor_event_t *ev)
{
    spoor_geo_t  g;
    const char  *family;

    ev->visitor_id.data = NULL;
    ev->anonymous_id.data = NULL;
    ev->user_id.data = NULL;
    ev->cookieless_id.data = NULL;
    ev->group_id.data = NULL;
    ev->previous_id.data = NULL;
    ev->visitor_id.len = ev->anonymous_id.len = ev->user_id.len = 0;
    ev->cookieless_id.len = ev->group_id.len = ev->previous_id.len = 0;

    ev->ip_len = 0;
    memset(ev->ip, 0, sizeof(ev->ip));

    ev->traits.raw = NULL;
    ev->traits.obj = NULL;
    ev->traits.raw_len = 0;
    ev->context.raw = NULL;
    ev->context.obj = NULL;
    ev->context.raw_len = 0;

    if (ev->user_agent.data != NULL) {
        family = spoor_browser_family(ev->user_agent.data,
                                      ev->user_agent.len);
        ev->user_agent.data = family;
        ev->user_agent.len = strlen(family);
    }

    cut_query(&ev->url);
    cut_query(&ev->referrer);

    if (ev->has_geo) {
        memset(&g, 0, sizeof(g));
        g.country = ev->geo.country;
        g.continent = ev->geo.continent;
        g.eu = ev->geo.eu;
        ev->geo = g;
        ev->has_geo = g.country.data != NULL || g.continent.data != NULL;
    }
}
