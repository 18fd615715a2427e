/*
 * snowplow.c -- Snowplow tracker protocol to events (see snowplow.h).
 *
 * Both shapes become one list of (name, value) pairs per event: the GET
 * query decoded by query.c, or the string members of one tp2 data item.
 * An event is then read from its pairs by name (the last one wins), and
 * its properties and context maps are packed into the scratch buffer
 * after the load's mark, which every event reuses.  Embedded JSON
 * (ue_pr, co, or their base64url forms ue_px, cx) is transcoded to
 * msgpack in the scratch buffer and unpacked into the zone.
 */
#include <string.h>
#include <openssl/evp.h>
#include "error.h"
#include "json_msgpack.h"
#include "mp_member.h"
#include "snowplow.h"


static const char *const  reasons[SPOOR_SP_MAX] = {
    "ok", "invalid_json", "bad_payload", "too_many", "bad_type",
    "missing_event", "bad_field", "no_memory"
};

static const spoor_query_field_t  pp_fields[] = {
    { "xOffsetMin", "pp_mix", 1 }, { "xOffsetMax", "pp_max", 1 },
    { "yOffsetMin", "pp_miy", 1 }, { "yOffsetMax", "pp_may", 1 },
    { NULL, NULL, 0 }
};

static const spoor_query_field_t  se_fields[] = {
    { "category", "se_ca", 0 }, { "action", "se_ac", 0 },
    { "label", "se_la", 0 }, { "property", "se_pr", 0 },
    { "value", "se_va", 1 },
    { NULL, NULL, 0 }
};

static const spoor_query_field_t  tr_fields[] = {
    { "orderId", "tr_id", 0 }, { "affiliation", "tr_af", 0 },
    { "revenue", "tr_tt", 1 }, { "tax", "tr_tx", 1 },
    { "shipping", "tr_sh", 1 }, { "city", "tr_ci", 0 },
    { "state", "tr_st", 0 }, { "country", "tr_co", 0 },
    { "currency", "tr_cu", 0 },
    { NULL, NULL, 0 }
};

static const spoor_query_field_t  ti_fields[] = {
    { "orderId", "ti_id", 0 }, { "sku", "ti_sk", 0 },
    { "name", "ti_nm", 0 }, { "category", "ti_ca", 0 },
    { "price", "ti_pr", 1 }, { "quantity", "ti_qu", 1 },
    { "currency", "ti_cu", 0 },
    { NULL, NULL, 0 }
};

static const spoor_query_field_t  context_fields[] = {
    { "appId", "aid", 0 }, { "platform", "p", 0 },
    { "trackerVersion", "tv", 0 }, { "trackerNamespace", "tna", 0 },
    { "sessionId", "sid", 0 }, { "sessionIndex", "vid", 1 },
    { "networkUserId", "nuid", 0 }, { "trackerNetworkUserId", "tnuid", 0 },
    { "screen", "res", 0 }, { "viewport", "vp", 0 },
    { "documentSize", "ds", 0 }, { "colorDepth", "cd", 1 },
    { "charset", "cs", 0 }, { "cookiesEnabled", "cookie", 0 },
    { NULL, NULL, 0 }
};


const char *
spoor_snowplow_reason(spoor_sp_status_t st)
{
    return (unsigned) st < SPOOR_SP_MAX ? reasons[st] : "unknown";
}


spoor_sp_status_t
spoor_snowplow_load_query(spoor_snowplow_t *s, const char *query, size_t len,
    spoor_buf_t *scratch, msgpack_zone *zone)
{
    int  rc;

    memset(s, 0, sizeof(*s));
    s->zone = zone;
    s->scratch = scratch;

    rc = spoor_query_parse(query, len, s->buf, SPOOR_SNOWPLOW_PARAMS_MAX,
                           &s->nparams, scratch);
    if (rc == SPOOR_E_TOOBIG) {
        return SPOOR_SP_TOO_MANY;
    }
    if (rc != SPOOR_OK) {
        return SPOOR_SP_NOMEM;
    }

    s->params = s->buf;
    s->count = 1;
    s->mark = scratch->len;
    return SPOOR_SP_OK;
}


/* Transcodes JSON text into scratch and unpacks it into the zone. */
static spoor_sp_status_t
json_object(spoor_snowplow_t *s, const char *json, size_t len,
    msgpack_object *obj)
{
    size_t  start = s->scratch->len, off = 0;
    int     rc;

    rc = spoor_json_to_msgpack(json, len, SPOOR_RECORD_DEPTH_MAX,
                               s->scratch);
    if (rc == SPOOR_E_FULL || rc == SPOOR_E_NOMEM) {
        return SPOOR_SP_NOMEM;
    }
    if (rc != SPOOR_OK) {
        return SPOOR_SP_INVALID_JSON;
    }

    if (msgpack_unpack((const char *) s->scratch->data + start,
                       s->scratch->len - start, &off, s->zone, obj)
        != MSGPACK_UNPACK_SUCCESS)
    {
        return SPOOR_SP_NOMEM;
    }
    return SPOOR_SP_OK;
}


spoor_sp_status_t
spoor_snowplow_load_json(spoor_snowplow_t *s, const char *json, size_t len,
    spoor_buf_t *scratch, msgpack_zone *zone)
{
    size_t                 i;
    msgpack_object         root;
    spoor_sp_status_t      st;
    const msgpack_object  *data;

    memset(s, 0, sizeof(*s));
    s->zone = zone;
    s->scratch = scratch;

    st = json_object(s, json, len, &root);
    if (st != SPOOR_SP_OK) {
        return st;
    }

    data = spoor_mp_member(&root, "data");
    if (data == NULL || data->type != MSGPACK_OBJECT_ARRAY) {
        return SPOOR_SP_BAD_PAYLOAD;
    }
    if (data->via.array.size > SPOOR_SNOWPLOW_EVENTS_MAX) {
        return SPOOR_SP_TOO_MANY;
    }
    for (i = 0; i < data->via.array.size; i++) {
        if (data->via.array.ptr[i].type != MSGPACK_OBJECT_MAP) {
            return SPOOR_SP_BAD_PAYLOAD;
        }
        if (data->via.array.ptr[i].via.map.size > SPOOR_SNOWPLOW_PARAMS_MAX) {
            return SPOOR_SP_TOO_MANY;
        }
    }

    s->items = data->via.array.ptr;
    s->count = data->via.array.size;
    s->mark = scratch->len;
    return SPOOR_SP_OK;
}


/* The pairs of event i: the query's, or the string members of item i. */
static size_t
event_params(const spoor_snowplow_t *s, size_t i, spoor_param_t *p)
{
    size_t                 j, n = 0;
    const msgpack_object  *it;

    if (s->items == NULL) {
        memcpy(p, s->params, s->nparams * sizeof(*p));
        return s->nparams;
    }

    it = &s->items[i];
    for (j = 0; j < it->via.map.size; j++) {
        const msgpack_object_kv  *kv = &it->via.map.ptr[j];

        if (kv->key.type != MSGPACK_OBJECT_STR
            || kv->val.type != MSGPACK_OBJECT_STR)
        {
            continue;       /* every value is a string in tp2 */
        }
        p[n].name.data = kv->key.via.str.ptr;
        p[n].name.len = kv->key.via.str.size;
        p[n].value.data = kv->val.via.str.ptr;
        p[n].value.len = kv->val.via.str.size;
        n++;
    }
    return n;
}


spoor_str_t
spoor_snowplow_app_id(const spoor_snowplow_t *s, size_t i)
{
    spoor_param_t        p[SPOOR_SNOWPLOW_PARAMS_MAX];
    const spoor_str_t   *v;
    spoor_str_t          none = { NULL, 0 };
    size_t               n;

    if (i >= s->count) {
        return none;
    }
    n = event_params(s, i, p);
    v = spoor_query_get(p, n, "aid");
    return v ? *v : none;
}


/* Milliseconds since the epoch: plain digits, at most 15 of them. */
static int
millis(spoor_str_t s, int64_t *ms)
{
    size_t   i;
    int64_t  v = 0;

    if (s.data == NULL || s.len == 0 || s.len > 15) {
        return 0;
    }
    for (i = 0; i < s.len; i++) {
        if (s.data[i] < '0' || s.data[i] > '9') {
            return 0;
        }
        v = v * 10 + (s.data[i] - '0');
    }
    *ms = v;
    return 1;
}


/* Decodes base64url (or base64; padding optional) with OpenSSL. */
static spoor_sp_status_t
base64url(spoor_snowplow_t *s, spoor_str_t in, spoor_str_t *out)
{
    spoor_buf_t    *b = s->scratch;
    unsigned char  *t, *d;
    size_t          i, n = in.len, pad;
    int             len;

    while (n && in.data[n - 1] == '=') {
        n--;
    }
    pad = (4 - n % 4) % 4;
    if (pad == 3 || n + pad > 0x7fffffff
        || 2 * (n + pad) + 4 > b->cap - b->len)
    {
        return pad == 3 ? SPOOR_SP_BAD_FIELD : SPOOR_SP_NOMEM;
    }

    t = b->data + b->len;
    for (i = 0; i < n; i++) {
        char  c = in.data[i];

        if (c == '-') {
            c = '+';
        } else if (c == '_') {
            c = '/';
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                     || (c >= '0' && c <= '9') || c == '+' || c == '/'))
        {
            return SPOOR_SP_BAD_FIELD;
        }
        t[i] = (unsigned char) c;
    }
    memset(t + n, '=', pad);

    d = t + n + pad;
    len = EVP_DecodeBlock(d, t, (int) (n + pad));
    if (len < 0) {
        return SPOOR_SP_BAD_FIELD;
    }
    len -= (int) pad;       /* EVP_DecodeBlock counts padding as zeros */

    memmove(t, d, (size_t) len);
    b->len += (size_t) len;
    out->data = (const char *) t;
    out->len = (size_t) len;
    return SPOOR_SP_OK;
}


/* The JSON of a parameter sent plain (json_name) or base64url (b64_name). */
static spoor_sp_status_t
embedded(spoor_snowplow_t *s, const spoor_param_t *p, size_t n,
    const char *json_name, const char *b64_name, msgpack_object *obj,
    int *found)
{
    spoor_str_t        js;
    spoor_sp_status_t  st;

    *found = 0;
    js = spoor_query_text(p, n, json_name);
    if (js.data == NULL) {
        js = spoor_query_text(p, n, b64_name);
        if (js.data == NULL) {
            return SPOOR_SP_OK;
        }
        st = base64url(s, js, &js);
        if (st != SPOOR_SP_OK) {
            return st;
        }
    }
    *found = 1;
    st = json_object(s, js.data, js.len, obj);
    return st == SPOOR_SP_INVALID_JSON ? SPOOR_SP_BAD_FIELD : st;
}


static int
str_eq(const msgpack_object *o, const char *lit)
{
    size_t  n = strlen(lit);

    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == n
           && memcmp(o->via.str.ptr, lit, n) == 0;
}


/*
 * The vendor and name of "iglu:vendor/name/format/version"; 0 when the
 * schema has another shape.
 */
static int
iglu_name(const msgpack_object *schema, spoor_str_t *vendor,
    spoor_str_t *name)
{
    const char  *p, *end, *slash;

    if (schema == NULL || schema->type != MSGPACK_OBJECT_STR
        || schema->via.str.size <= 5
        || memcmp(schema->via.str.ptr, "iglu:", 5) != 0)
    {
        return 0;
    }
    p = schema->via.str.ptr + 5;
    end = schema->via.str.ptr + schema->via.str.size;

    slash = memchr(p, '/', (size_t) (end - p));
    if (slash == NULL || slash == p) {
        return 0;
    }
    vendor->data = p;
    vendor->len = (size_t) (slash - p);
    p = slash + 1;
    slash = memchr(p, '/', (size_t) (end - p));
    if (slash == NULL || slash == p) {
        return 0;
    }
    name->data = p;
    name->len = (size_t) (slash - p);
    return 1;
}


static int
sv_is(spoor_str_t s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.data, lit, s.len) == 0;
}


/*
 * An ecommerce plugin entity whose members join an action's properties:
 * its name (iglu:com.snowplowanalytics.snowplow.ecommerce/NAME/...) and
 * its members as the Segment spec names them (record key, entity member).
 */
typedef struct {
    const char          *name;
    const char  *const (*members)[2];
    size_t               count;
} entity_map_t;

/* a transaction action's order: the transaction entity */
static const char *const  transaction_members[][2] = {
    { "orderId", "transaction_id" }, { "revenue", "revenue" },
    { "currency", "currency" }, { "tax", "tax" },
    { "shipping", "shipping" }, { "discount", "discount_amount" },
    { "paymentMethod", "payment_method" }
};

/* a one-product action's product (add_to_cart, remove_from_cart,
 * product_view, list_click): the first product entity, as the spec's
 * Product Added gives it */
static const char *const  product_members[][2] = {
    { "product_id", "id" }, { "name", "name" },
    { "category", "category" }, { "price", "price" },
    { "currency", "currency" }, { "quantity", "quantity" },
    { "brand", "brand" }, { "variant", "variant" },
    { "position", "position" }
};

static const entity_map_t  transaction_entity = {
    "transaction", transaction_members,
    sizeof(transaction_members) / sizeof(transaction_members[0])
};

static const entity_map_t  product_entity = {
    "product", product_members,
    sizeof(product_members) / sizeof(product_members[0])
};


static int
pk_str(msgpack_packer *pk, const char *p, size_t n)
{
    return msgpack_pack_str(pk, n) | msgpack_pack_str_body(pk, p, n);
}


/* Packs the map of fields f as v (absent when none is present). */
static spoor_sp_status_t
pack_map(spoor_snowplow_t *s, const spoor_query_field_t *f,
    const spoor_param_t *p, size_t n, spoor_value_t *v)
{
    msgpack_packer  pk;
    size_t          count, start = s->scratch->len;
    int             err = 0;

    count = spoor_query_pack_fields(NULL, f, p, n, &err);
    if (count == 0) {
        return SPOOR_SP_OK;
    }
    msgpack_packer_init(&pk, s->scratch, spoor_buf_msgpack_write);
    err |= msgpack_pack_map(&pk, count);
    spoor_query_pack_fields(&pk, f, p, n, &err);
    if (err) {
        s->scratch->len = start;
        return SPOOR_SP_NOMEM;
    }
    v->raw = s->scratch->data + start;
    v->raw_len = s->scratch->len - start;
    v->obj = NULL;
    return SPOOR_SP_OK;
}


/* The context map: the fields above, the ue schema, the entities. */
static spoor_sp_status_t
pack_context(spoor_snowplow_t *s, const spoor_param_t *p, size_t n,
    const msgpack_object *schema, const msgpack_object *entities,
    spoor_value_t *v)
{
    msgpack_packer  pk;
    size_t          count, start = s->scratch->len;
    int             err = 0;

    count = spoor_query_pack_fields(NULL, context_fields, p, n, &err)
            + (schema != NULL) + (entities != NULL);
    if (count == 0) {
        return SPOOR_SP_OK;
    }
    msgpack_packer_init(&pk, s->scratch, spoor_buf_msgpack_write);
    err |= msgpack_pack_map(&pk, count);
    spoor_query_pack_fields(&pk, context_fields, p, n, &err);
    if (schema) {
        err |= pk_str(&pk, "schema", 6);
        err |= msgpack_pack_object(&pk, *schema);
    }
    if (entities) {
        err |= pk_str(&pk, "entities", 8);
        err |= msgpack_pack_object(&pk, *entities);
    }
    if (err) {
        s->scratch->len = start;
        return SPOOR_SP_NOMEM;
    }
    v->raw = s->scratch->data + start;
    v->raw_len = s->scratch->len - start;
    v->obj = NULL;
    return SPOOR_SP_OK;
}


/*
 * A self-describing event: {"schema": unstruct_event, "data": {"schema":
 * "iglu:vendor/name/...", "data": {...}}} names the event and gives its
 * properties.
 */
static spoor_sp_status_t
self_describing(spoor_snowplow_t *s, const spoor_param_t *p, size_t n,
    spoor_event_t *ev, const msgpack_object **schema,
    const entity_map_t **merge)
{
    msgpack_object         root;
    const msgpack_object  *inner, *data, *type;
    spoor_str_t            vendor, name;
    spoor_sp_status_t      st;
    int                    found;

    st = embedded(s, p, n, "ue_pr", "ue_px", &root, &found);
    if (st != SPOOR_SP_OK) {
        return st;
    }
    if (!found) {
        return SPOOR_SP_MISSING_EVENT;
    }

    inner = spoor_mp_member(&root, "data");
    *schema = spoor_mp_member(inner, "schema");
    data = spoor_mp_member(inner, "data");
    if (data == NULL || data->type != MSGPACK_OBJECT_MAP) {
        return SPOOR_SP_BAD_FIELD;
    }
    if (!iglu_name(*schema, &vendor, &name)) {
        return SPOOR_SP_MISSING_EVENT;
    }

    ev->name = name;
    if (sv_is(vendor, "com.snowplowanalytics.snowplow")
        && sv_is(name, "add_to_cart"))
    {
        ev->name.data = "Product Added";
        ev->name.len = 13;

    } else if (sv_is(vendor, "com.snowplowanalytics.snowplow.ecommerce")
               && sv_is(name, "snowplow_ecommerce_action"))
    {
        type = spoor_mp_member(data, "type");
        if (str_eq(type, "add_to_cart")) {
            ev->name.data = "Product Added";
            ev->name.len = 13;
            *merge = &product_entity;
        } else if (str_eq(type, "transaction")) {
            ev->name.data = "Order Completed";
            ev->name.len = 15;
            *merge = &transaction_entity;
        } else if (str_eq(type, "remove_from_cart")
                   || str_eq(type, "product_view")
                   || str_eq(type, "list_click"))
        {
            *merge = &product_entity;
        }
    }

    ev->properties.raw = NULL;
    ev->properties.obj = data;
    return SPOOR_SP_OK;
}


/*
 * An ecommerce plugin's action carries what it is about in an entity: a
 * transaction its order (id, revenue, currency, tax, shipping, discount,
 * payment method), an add_to_cart its product (id, name, category,
 * price...).  The first entity named m->name joins the action's own
 * members (which win) in the properties, so that the order counts with
 * its revenue and the cart add with its category.
 */
static spoor_sp_status_t
entity_properties(spoor_snowplow_t *s, const msgpack_object *entities,
    const entity_map_t *m, spoor_event_t *ev)
{
    const msgpack_object  *data = ev->properties.obj, *tx = NULL, *v;
    msgpack_object_kv     *kv;
    msgpack_packer         pk;
    spoor_str_t            vendor, name;
    size_t                 i, count, start = s->scratch->len;
    int                    err = 0;

    for (i = 0; entities && i < entities->via.array.size; i++) {
        if (iglu_name(spoor_mp_member(&entities->via.array.ptr[i], "schema"),
                      &vendor, &name)
            && sv_is(vendor, "com.snowplowanalytics.snowplow.ecommerce")
            && sv_is(name, m->name))
        {
            tx = spoor_mp_member(&entities->via.array.ptr[i], "data");
            break;
        }
    }
    if (tx == NULL || tx->type != MSGPACK_OBJECT_MAP) {
        return SPOOR_SP_OK;
    }

    count = data->via.map.size;
    for (i = 0; i < m->count; i++) {
        count += spoor_mp_member(tx, m->members[i][1]) != NULL
                 && spoor_mp_member(data, m->members[i][0]) == NULL;
    }

    msgpack_packer_init(&pk, s->scratch, spoor_buf_msgpack_write);
    err |= msgpack_pack_map(&pk, count);
    for (i = 0; i < data->via.map.size; i++) {
        kv = &data->via.map.ptr[i];
        err |= msgpack_pack_object(&pk, kv->key);
        err |= msgpack_pack_object(&pk, kv->val);
    }
    for (i = 0; i < m->count; i++) {
        v = spoor_mp_member(tx, m->members[i][1]);
        if (v == NULL || spoor_mp_member(data, m->members[i][0])) {
            continue;
        }
        err |= pk_str(&pk, m->members[i][0],
                      strlen(m->members[i][0]));
        err |= msgpack_pack_object(&pk, *v);
    }
    if (err) {
        s->scratch->len = start;
        return SPOOR_SP_NOMEM;
    }
    ev->properties.raw = s->scratch->data + start;
    ev->properties.raw_len = s->scratch->len - start;
    ev->properties.obj = NULL;
    return SPOOR_SP_OK;
}


spoor_sp_status_t
spoor_snowplow_event(spoor_snowplow_t *s, size_t i, int64_t received_ms,
    spoor_event_t *ev)
{
    spoor_param_t          p[SPOOR_SNOWPLOW_PARAMS_MAX];
    spoor_str_t            e;
    const msgpack_object  *schema = NULL, *entities = NULL;
    msgpack_object         cx;
    spoor_sp_status_t      st = SPOOR_SP_OK;
    int64_t                ttm, dtm, stm;
    size_t                 n;
    int                    found;
    const entity_map_t    *merge = NULL;

    if (i >= s->count) {
        return SPOOR_SP_BAD_TYPE;
    }
    s->scratch->len = s->mark;
    n = event_params(s, i, p);

    e = spoor_query_text(p, n, "e");
    if (e.data == NULL) {
        return SPOOR_SP_BAD_TYPE;
    }

    if (sv_is(e, "pv")) {
        ev->kind = SPOOR_KIND_PAGE;

    } else if (sv_is(e, "pp")) {
        ev->kind = SPOOR_KIND_TRACK;
        ev->name.data = "Page Ping";
        ev->name.len = 9;
        st = pack_map(s, pp_fields, p, n, &ev->properties);

    } else if (sv_is(e, "se")) {
        ev->kind = SPOOR_KIND_TRACK;
        ev->name = spoor_query_text(p, n, "se_ac");
        if (ev->name.data == NULL) {
            return SPOOR_SP_MISSING_EVENT;
        }
        st = pack_map(s, se_fields, p, n, &ev->properties);

    } else if (sv_is(e, "ue")) {
        ev->kind = SPOOR_KIND_TRACK;
        st = self_describing(s, p, n, ev, &schema, &merge);

    } else if (sv_is(e, "tr")) {
        ev->kind = SPOOR_KIND_TRACK;
        ev->name.data = "Order Completed";
        ev->name.len = 15;
        st = pack_map(s, tr_fields, p, n, &ev->properties);

    } else if (sv_is(e, "ti")) {
        ev->kind = SPOOR_KIND_TRACK;
        ev->name.data = "Order Item";
        ev->name.len = 10;
        st = pack_map(s, ti_fields, p, n, &ev->properties);

    } else {
        return SPOOR_SP_BAD_TYPE;
    }

    if (st != SPOOR_SP_OK) {
        return st;
    }

    st = embedded(s, p, n, "co", "cx", &cx, &found);
    if (st != SPOOR_SP_OK) {
        return st;
    }
    if (found) {
        entities = spoor_mp_member(&cx, "data");
        if (entities == NULL || entities->type != MSGPACK_OBJECT_ARRAY) {
            return SPOOR_SP_BAD_FIELD;
        }
    }

    if (merge) {
        st = entity_properties(s, entities, merge, ev);
        if (st != SPOOR_SP_OK) {
            return st;
        }
    }

    st = pack_context(s, p, n, schema, entities, &ev->context);
    if (st != SPOOR_SP_OK) {
        return st;
    }

    ev->user_id = spoor_query_text(p, n, "uid");
    ev->anonymous_id = spoor_query_text(p, n, "duid");
    ev->message_id = spoor_query_text(p, n, "eid");
    ev->url = spoor_query_text(p, n, "url");
    ev->title = spoor_query_text(p, n, "page");
    ev->referrer = spoor_query_text(p, n, "refr");
    ev->language = spoor_query_text(p, n, "lang");
    ev->timezone = spoor_query_text(p, n, "tz");
    ev->user_agent = spoor_query_text(p, n, "ua");

    if (millis(spoor_query_text(p, n, "ttm"), &ttm)) {
        ev->has_time = 1;
        ev->time_ms = ttm;

    } else if (millis(spoor_query_text(p, n, "dtm"), &dtm)) {
        ev->has_time = 1;
        ev->time_ms = dtm;
        if (millis(spoor_query_text(p, n, "stm"), &stm)) {
            ev->time_ms = received_ms - (stm - dtm);
        }
    }

    return SPOOR_SP_OK;
}
