/*
 * plausible.c -- Plausible event bodies to events (see plausible.h).
 *
 * The body is transcoded to msgpack (json_msgpack.h) and unpacked into the
 * zone; props sent as a JSON-encoded string are transcoded the same way.
 * The properties map is then packed into the scratch buffer: the scalar
 * props first, then revenue, currency and name for a revenue event.
 */
#include <string.h>
#include "error.h"
#include "json_msgpack.h"
#include "mp_member.h"
#include "plausible.h"
#include "query.h"


static const char *const  reasons[SPOOR_PL_MAX] = {
    "ok", "invalid_json", "not_an_object", "missing_field", "bad_field",
    "no_memory"
};


const char *
spoor_plausible_reason(spoor_pl_status_t st)
{
    return (unsigned) st < SPOOR_PL_MAX ? reasons[st] : "unknown";
}


/* Transcodes JSON text into scratch and unpacks it into the zone. */
static spoor_pl_status_t
json_object(const char *json, size_t len, spoor_buf_t *scratch,
    msgpack_zone *zone, msgpack_object *obj)
{
    size_t  start = scratch->len, off = 0;
    int     rc;

    rc = spoor_json_to_msgpack(json, len, SPOOR_RECORD_DEPTH_MAX, scratch);
    if (rc == SPOOR_E_FULL || rc == SPOOR_E_NOMEM) {
        return SPOOR_PL_NOMEM;
    }
    if (rc != SPOOR_OK) {
        return SPOOR_PL_INVALID_JSON;
    }
    if (msgpack_unpack((const char *) scratch->data + start,
                       scratch->len - start, &off, zone, obj)
        != MSGPACK_UNPACK_SUCCESS)
    {
        return SPOOR_PL_NOMEM;
    }
    return SPOOR_PL_OK;
}


/* The member named short_name or long_name; NULL for absent or null. */
static const msgpack_object *
member(const msgpack_object *root, const char *short_name,
    const char *long_name)
{
    const msgpack_object  *o;

    o = spoor_mp_member(root, short_name);
    if (o == NULL || o->type == MSGPACK_OBJECT_NIL) {
        o = spoor_mp_member(root, long_name);
    }
    return o && o->type != MSGPACK_OBJECT_NIL ? o : NULL;
}


static int
to_str(const msgpack_object *o, spoor_str_t *s)
{
    if (o == NULL || o->type != MSGPACK_OBJECT_STR) {
        return 0;
    }
    s->data = o->via.str.ptr;
    s->len = o->via.str.size;
    return 1;
}


static int
scalar(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
    case MSGPACK_OBJECT_BOOLEAN:
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return 1;
    default:
        return 0;
    }
}


static int
pk_str(msgpack_packer *pk, const char *p, size_t n)
{
    return msgpack_pack_str(pk, n) | msgpack_pack_str_body(pk, p, n);
}


/* The revenue amount: a number, or a string of one ("12.50"). */
static int
amount(const msgpack_object *o, double *d)
{
    spoor_str_t  text;

    if (o == NULL) {
        return 0;
    }
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        *d = (double) o->via.u64;
        return 1;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        *d = (double) o->via.i64;
        return 1;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        *d = o->via.f64;
        return 1;
    case MSGPACK_OBJECT_STR:
        text.data = o->via.str.ptr;
        text.len = o->via.str.size;
        return spoor_query_number(text, d);
    default:
        return 0;
    }
}


int
spoor_plausible_next_domain(spoor_str_t *list, spoor_str_t *domain)
{
    const char  *p, *end, *comma, *a, *b;

    if (list->data == NULL) {
        return 0;
    }
    p = list->data;
    end = p + list->len;

    while (p < end) {
        comma = memchr(p, ',', (size_t) (end - p));
        if (comma == NULL) {
            comma = end;
        }
        for (a = p; a < comma && (*a == ' ' || *a == '\t'); a++) {
            /* void */
        }
        for (b = comma; b > a && (b[-1] == ' ' || b[-1] == '\t'); b--) {
            /* void */
        }
        p = comma < end ? comma + 1 : end;
        if (b > a) {
            domain->data = a;
            domain->len = (size_t) (b - a);
            list->data = p;
            list->len = (size_t) (end - p);
            return 1;
        }
    }
    list->data = end;
    list->len = 0;
    return 0;
}


spoor_pl_status_t
spoor_plausible_parse(const char *json, size_t len, spoor_event_t *ev,
    spoor_str_t *domain, spoor_buf_t *scratch, msgpack_zone *zone)
{
    msgpack_object         root, pobj;
    const msgpack_object  *props = NULL, *rev, *cur = NULL, *o;
    msgpack_packer         pk;
    spoor_pl_status_t      st;
    spoor_str_t            name, s, list, one;
    double                 value = 0;
    size_t                 i, count = 0, kept, start;
    int                    err = 0, has_rev = 0;

    domain->data = NULL;
    domain->len = 0;

    st = json_object(json, len, scratch, zone, &root);
    if (st != SPOOR_PL_OK) {
        return st;
    }
    if (root.type != MSGPACK_OBJECT_MAP) {
        return SPOOR_PL_NOT_OBJECT;
    }

    if (!to_str(member(&root, "n", "name"), &name) || name.len == 0
        || !to_str(member(&root, "u", "url"), &ev->url)
        || !to_str(member(&root, "d", "domain"), domain))
    {
        return SPOOR_PL_MISSING;
    }
    list = *domain;
    if (!spoor_plausible_next_domain(&list, &one)) {
        return SPOOR_PL_MISSING;                /* "", " ", "," */
    }

    o = member(&root, "r", "referrer");
    if (o && !to_str(o, &ev->referrer)) {
        return SPOOR_PL_BAD_FIELD;
    }

    /* props: an object, or a JSON-encoded string of one */
    o = member(&root, "p", "props");
    if (o && o->type == MSGPACK_OBJECT_STR) {
        st = json_object(o->via.str.ptr, o->via.str.size, scratch, zone,
                         &pobj);
        if (st == SPOOR_PL_NOMEM) {
            return st;
        }
        if (st != SPOOR_PL_OK) {
            return SPOOR_PL_BAD_FIELD;
        }
        o = &pobj;
    }
    if (o) {
        if (o->type != MSGPACK_OBJECT_MAP) {
            return SPOOR_PL_BAD_FIELD;
        }
        props = o;
        for (i = 0; i < props->via.map.size; i++) {
            count += props->via.map.ptr[i].key.type == MSGPACK_OBJECT_STR
                     && scalar(&props->via.map.ptr[i].val);
        }
        if (count > SPOOR_PLAUSIBLE_PROPS_MAX) {
            count = SPOOR_PLAUSIBLE_PROPS_MAX;
        }
    }

    rev = member(&root, "$", "revenue");
    if (rev) {
        if (rev->type != MSGPACK_OBJECT_MAP
            || !amount(spoor_mp_member(rev, "amount"), &value))
        {
            return SPOOR_PL_BAD_FIELD;
        }
        cur = spoor_mp_member(rev, "currency");
        if (cur && !to_str(cur, &s)) {
            return SPOOR_PL_BAD_FIELD;
        }
        has_rev = 1;
    }

    if (!has_rev && name.len == 8 && memcmp(name.data, "pageview", 8) == 0)
    {
        ev->kind = SPOOR_KIND_PAGE;
    } else {
        ev->kind = SPOOR_KIND_TRACK;
        ev->name = name;
    }
    if (has_rev) {
        ev->name.data = "Order Completed";
        ev->name.len = 15;
    }

    if (count || has_rev) {
        start = scratch->len;
        msgpack_packer_init(&pk, scratch, spoor_buf_msgpack_write);
        err |= msgpack_pack_map(&pk, count + (has_rev ? 2 + (cur != NULL)
                                                      : 0));
        for (i = 0, kept = 0; props && i < props->via.map.size
                              && kept < count; i++)
        {
            const msgpack_object_kv  *kv = &props->via.map.ptr[i];

            if (kv->key.type != MSGPACK_OBJECT_STR || !scalar(&kv->val)) {
                continue;
            }
            err |= msgpack_pack_object(&pk, kv->key);
            err |= msgpack_pack_object(&pk, kv->val);
            kept++;
        }
        if (has_rev) {
            err |= pk_str(&pk, "revenue", 7) | msgpack_pack_double(&pk, value);
            if (cur) {
                err |= pk_str(&pk, "currency", 8);
                err |= msgpack_pack_object(&pk, *cur);
            }
            err |= pk_str(&pk, "name", 4) | pk_str(&pk, name.data, name.len);
        }
        if (err) {
            scratch->len = start;
            return SPOOR_PL_NOMEM;
        }
        ev->properties.raw = scratch->data + start;
        ev->properties.raw_len = scratch->len - start;
        ev->properties.obj = NULL;
    }

    /* w, h, i: context */
    {
        static const char *const  ck[3][2] = {
            { "w", "screenWidth" }, { "h", "hashMode" },
            { "i", "interactive" }
        };
        const msgpack_object     *cv[3];
        size_t                    nc = 0;

        for (i = 0; i < 3; i++) {
            cv[i] = spoor_mp_member(&root, ck[i][0]);
            if (cv[i] && !scalar(cv[i])) {
                cv[i] = NULL;
            }
            nc += cv[i] != NULL;
        }
        if (nc) {
            start = scratch->len;
            msgpack_packer_init(&pk, scratch, spoor_buf_msgpack_write);
            err |= msgpack_pack_map(&pk, nc);
            for (i = 0; i < 3; i++) {
                if (cv[i]) {
                    err |= pk_str(&pk, ck[i][1], strlen(ck[i][1]));
                    err |= msgpack_pack_object(&pk, *cv[i]);
                }
            }
            if (err) {
                scratch->len = start;
                return SPOOR_PL_NOMEM;
            }
            ev->context.raw = scratch->data + start;
            ev->context.raw_len = scratch->len - start;
            ev->context.obj = NULL;
        }
    }

    return SPOOR_PL_OK;
}
