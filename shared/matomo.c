/*
 * matomo.c -- Matomo Tracking HTTP API to events (see matomo.h).
 *
 * A request's parameters are decoded (query.c) into the struct's pair
 * array when its event is produced, then read by name (the last wins, so
 * a form body's value wins over the query string's).  The properties and
 * context maps are packed into the scratch buffer after the load's mark,
 * which every event reuses; ec_items is transcoded from JSON there too.
 */
#include <string.h>
#include "error.h"
#include "json_msgpack.h"
#include "matomo.h"
#include "mp_member.h"
#include "timestamp.h"


static const char *const  reasons[SPOOR_MT_MAX] = {
    "ok", "invalid_json", "bad_payload", "too_many", "no_rec", "bad_field",
    "no_memory"
};

static const spoor_query_field_t  event_fields[] = {
    { "category", "e_c", 0 }, { "action", "e_a", 0 },
    { "name", "e_n", 0 }, { "value", "e_v", 1 },
    { NULL, NULL, 0 }
};

static const spoor_query_field_t  order_fields[] = {
    { "orderId", "ec_id", 0 }, { "revenue", "revenue", 1 },
    { "subtotal", "ec_st", 1 }, { "tax", "ec_tx", 1 },
    { "shipping", "ec_sh", 1 }, { "discount", "ec_dt", 1 },
    { NULL, NULL, 0 }
};

static const spoor_query_field_t  goal_fields[] = {
    { "goalId", "idgoal", 0 }, { "revenue", "revenue", 1 },
    { NULL, NULL, 0 }
};

static const spoor_query_field_t  search_fields[] = {
    { "query", "search", 0 }, { "category", "search_cat", 0 },
    { "count", "search_count", 1 },
    { NULL, NULL, 0 }
};

static const spoor_query_field_t  link_fields[] = {
    { "url", "link", 0 },
    { NULL, NULL, 0 }
};

static const spoor_query_field_t  download_fields[] = {
    { "url", "download", 0 },
    { NULL, NULL, 0 }
};

static const spoor_query_field_t  context_fields[] = {
    { "siteId", "idsite", 0 }, { "screen", "res", 0 },
    { "pageViewId", "pv_id", 0 }, { "visitCount", "_idvc", 1 },
    { "newVisit", "new_visit", 1 }, { "uadata", "uadata", 0 },
    { "hour", "h", 1 }, { "minute", "m", 1 }, { "second", "s", 1 },
    { "pageGenerationMs", "gt_ms", 1 },
    { NULL, NULL, 0 }
};


const char *
spoor_matomo_reason(spoor_mt_status_t st)
{
    return (unsigned) st < SPOOR_MT_MAX ? reasons[st] : "unknown";
}


spoor_mt_status_t
spoor_matomo_load(spoor_matomo_t *s, const char *query, size_t query_len,
    const char *form, size_t form_len, spoor_buf_t *scratch,
    msgpack_zone *zone)
{
    const spoor_str_t  *v;
    size_t              n;

    memset(s, 0, sizeof(*s));
    s->zone = zone;
    s->scratch = scratch;
    s->query = query;
    s->query_len = query_len;
    s->form = form;
    s->form_len = form ? form_len : 0;
    s->count = 1;
    s->mark = scratch->len;

    /* send_image from the query string, where matomo.js puts it */
    if (spoor_query_parse(query, query_len, s->buf, SPOOR_MATOMO_PARAMS_MAX,
                          &n, scratch)
        == SPOOR_OK)
    {
        v = spoor_query_get(s->buf, n, "send_image");
        s->no_image = v && v->len == 1 && v->data[0] == '0';
    }
    scratch->len = s->mark;
    return SPOOR_MT_OK;
}


spoor_mt_status_t
spoor_matomo_load_bulk(spoor_matomo_t *s, const char *json, size_t len,
    spoor_buf_t *scratch, msgpack_zone *zone)
{
    size_t                 i, off = 0, start = scratch->len;
    msgpack_object         root;
    const msgpack_object  *req;
    int                    rc;

    memset(s, 0, sizeof(*s));
    s->zone = zone;
    s->scratch = scratch;

    rc = spoor_json_to_msgpack(json, len, SPOOR_RECORD_DEPTH_MAX, scratch);
    if (rc == SPOOR_E_FULL || rc == SPOOR_E_NOMEM) {
        return SPOOR_MT_NOMEM;
    }
    if (rc != SPOOR_OK) {
        return SPOOR_MT_INVALID_JSON;
    }
    if (msgpack_unpack((const char *) scratch->data + start,
                       scratch->len - start, &off, zone, &root)
        != MSGPACK_UNPACK_SUCCESS)
    {
        return SPOOR_MT_NOMEM;
    }

    req = spoor_mp_member(&root, "requests");
    if (req == NULL || req->type != MSGPACK_OBJECT_ARRAY) {
        return SPOOR_MT_BAD_PAYLOAD;
    }
    if (req->via.array.size > SPOOR_MATOMO_EVENTS_MAX) {
        return SPOOR_MT_TOO_MANY;
    }
    for (i = 0; i < req->via.array.size; i++) {
        if (req->via.array.ptr[i].type != MSGPACK_OBJECT_STR) {
            return SPOOR_MT_BAD_PAYLOAD;
        }
    }

    s->requests = req->via.array.ptr;
    s->count = req->via.array.size;
    s->mark = scratch->len;
    return SPOOR_MT_OK;
}


/* Decodes the parameters of request i into s->buf; *n counts them. */
static spoor_mt_status_t
event_params(spoor_matomo_t *s, size_t i, size_t *n)
{
    const char  *q, *mark;
    size_t       len, m = 0;
    int          rc;

    *n = 0;

    if (s->requests) {
        q = s->requests[i].via.str.ptr;
        len = s->requests[i].via.str.size;
        mark = memchr(q, '?', len);
        if (mark) {     /* "?idsite=..", or a path before it */
            len -= (size_t) (mark + 1 - q);
            q = mark + 1;
        }
    } else {
        q = s->query;
        len = s->query_len;
    }

    rc = spoor_query_parse(q, len, s->buf, SPOOR_MATOMO_PARAMS_MAX, n,
                           s->scratch);
    if (rc == SPOOR_OK && s->requests == NULL && s->form_len) {
        rc = spoor_query_parse(s->form, s->form_len, s->buf + *n,
                               SPOOR_MATOMO_PARAMS_MAX, &m, s->scratch);
        *n += m;
    }
    if (rc == SPOOR_E_TOOBIG) {
        return SPOOR_MT_TOO_MANY;
    }
    return rc == SPOOR_OK ? SPOOR_MT_OK : SPOOR_MT_NOMEM;
}


static int
is(spoor_str_t s, const char *lit)
{
    return s.data && s.len == strlen(lit) && memcmp(s.data, lit, s.len) == 0;
}


static int
pk_str(msgpack_packer *pk, const char *p, size_t n)
{
    return msgpack_pack_str(pk, n) | msgpack_pack_str_body(pk, p, n);
}


/*
 * ec_items, [[sku, name, category, price, quantity], ...], as the
 * Segment spec's products: [{sku, name, category, price, quantity}].
 * Items that are not arrays are skipped; members past the fifth ignored.
 */
static int
pack_products(msgpack_packer *pk, const msgpack_object *items)
{
    static const char *const  keys[5] = {
        "sku", "name", "category", "price", "quantity"
    };
    const msgpack_object     *it, *m;
    uint32_t                  i, j, k, count = 0;
    double                    d;
    spoor_str_t               sv;
    int                       err = 0;

    for (i = 0; i < items->via.array.size; i++) {
        count += items->via.array.ptr[i].type == MSGPACK_OBJECT_ARRAY;
    }
    err |= msgpack_pack_array(pk, count);

    for (i = 0; i < items->via.array.size; i++) {
        it = &items->via.array.ptr[i];
        if (it->type != MSGPACK_OBJECT_ARRAY) {
            continue;
        }
        k = it->via.array.size < 5 ? it->via.array.size : 5;
        err |= msgpack_pack_map(pk, k);
        for (j = 0; j < k; j++) {
            m = &it->via.array.ptr[j];
            err |= pk_str(pk, keys[j], strlen(keys[j]));
            sv.data = m->via.str.ptr;
            sv.len = m->via.str.size;
            if (j >= 3 && m->type == MSGPACK_OBJECT_STR
                && spoor_query_number(sv, &d))
            {
                err |= spoor_query_pack_number(pk, d);    /* "12.5": a price */
            } else {
                err |= msgpack_pack_object(pk, *m);
            }
        }
    }
    return err;
}


/* Packs the properties: fields f, and products from ec_items. */
static spoor_mt_status_t
pack_properties(spoor_matomo_t *s, const spoor_query_field_t *f,
    const spoor_param_t *p, size_t n, int products, spoor_value_t *v)
{
    msgpack_packer         pk;
    msgpack_object         items;
    spoor_str_t            js;
    size_t                 count, start, off = 0;
    int                    err = 0, rc;

    items.type = MSGPACK_OBJECT_NIL;
    js = spoor_query_text(p, n, "ec_items");
    if (products && js.data) {
        start = s->scratch->len;
        rc = spoor_json_to_msgpack(js.data, js.len, 4, s->scratch);
        if (rc == SPOOR_E_FULL || rc == SPOOR_E_NOMEM) {
            return SPOOR_MT_NOMEM;
        }
        if (rc != SPOOR_OK
            || msgpack_unpack((const char *) s->scratch->data + start,
                              s->scratch->len - start, &off, s->zone,
                              &items)
               != MSGPACK_UNPACK_SUCCESS
            || items.type != MSGPACK_OBJECT_ARRAY)
        {
            return SPOOR_MT_BAD_FIELD;
        }
    }

    count = spoor_query_pack_fields(NULL, f, p, n, &err)
            + (items.type == MSGPACK_OBJECT_ARRAY);
    if (count == 0) {
        return SPOOR_MT_OK;
    }

    start = s->scratch->len;
    msgpack_packer_init(&pk, s->scratch, spoor_buf_msgpack_write);
    err |= msgpack_pack_map(&pk, count);
    spoor_query_pack_fields(&pk, f, p, n, &err);
    if (items.type == MSGPACK_OBJECT_ARRAY) {
        err |= pk_str(&pk, "products", 8);
        err |= pack_products(&pk, &items);
    }
    if (err) {
        s->scratch->len = start;
        return SPOOR_MT_NOMEM;
    }
    v->raw = s->scratch->data + start;
    v->raw_len = s->scratch->len - start;
    v->obj = NULL;
    return SPOOR_MT_OK;
}


/* cdt: a Unix time (seconds, or milliseconds past 1e11) or a date-time
 * "YYYY-MM-DD HH:MM:SS" in UTC. */
static int
custom_time(spoor_str_t v, int64_t *ms)
{
    size_t   i;
    int64_t  t = 0;

    if (v.data == NULL) {
        return 0;
    }
    for (i = 0; i < v.len && v.data[i] >= '0' && v.data[i] <= '9'; i++) {
        /* void */
    }
    if (i == v.len && v.len <= 15) {
        for (i = 0; i < v.len; i++) {
            t = t * 10 + (v.data[i] - '0');
        }
        *ms = t >= 100000000000LL ? t : t * 1000;
        return 1;
    }
    return spoor_timestamp_parse(v.data, v.len, ms) == 0;
}


spoor_mt_status_t
spoor_matomo_event(spoor_matomo_t *s, size_t i, spoor_event_t *ev,
    spoor_str_t *site)
{
    spoor_param_t              *p = s->buf;
    spoor_str_t                 v;
    spoor_mt_status_t           st;
    const spoor_query_field_t  *f = NULL;
    msgpack_packer              pk;
    size_t                      n, count, start;
    int                         err = 0, products = 0;

    site->data = NULL;
    site->len = 0;

    if (i >= s->count) {
        return SPOOR_MT_NO_REC;
    }
    s->scratch->len = s->mark;

    st = event_params(s, i, &n);
    if (st != SPOOR_MT_OK) {
        return st;
    }

    *site = spoor_query_text(p, n, "idsite");

    if (!is(spoor_query_text(p, n, "rec"), "1")) {
        return SPOOR_MT_NO_REC;
    }

    ev->kind = SPOOR_KIND_TRACK;
    v = spoor_query_text(p, n, "idgoal");

    if (is(v, "0")) {
        products = 1;
        f = order_fields;
        if (spoor_query_text(p, n, "ec_id").data) {
            ev->name.data = "Order Completed";
            ev->name.len = 15;
        } else {
            ev->name.data = "Product Added";    /* a cart update */
            ev->name.len = 13;
        }

    } else if (v.data) {
        ev->name.data = "Goal Converted";
        ev->name.len = 14;
        f = goal_fields;

    } else if (spoor_query_text(p, n, "e_c").data
               && spoor_query_text(p, n, "e_a").data)
    {
        ev->name = spoor_query_text(p, n, "e_a");
        f = event_fields;

    } else if (is(spoor_query_text(p, n, "ping"), "1")) {
        ev->name.data = "Page Ping";
        ev->name.len = 9;

    } else if (spoor_query_text(p, n, "link").data) {
        ev->name.data = "Outlink";
        ev->name.len = 7;
        f = link_fields;

    } else if (spoor_query_text(p, n, "download").data) {
        ev->name.data = "Download";
        ev->name.len = 8;
        f = download_fields;

    } else if (spoor_query_text(p, n, "search").data) {
        ev->name.data = "Products Searched";
        ev->name.len = 17;
        f = search_fields;

    } else {
        ev->kind = SPOOR_KIND_PAGE;
        ev->name = spoor_query_text(p, n, "action_name");
        ev->title = ev->name;
    }

    if (f) {
        st = pack_properties(s, f, p, n, products, &ev->properties);
        if (st != SPOOR_MT_OK) {
            return st;
        }
    }

    count = spoor_query_pack_fields(NULL, context_fields, p, n, &err);
    if (count) {
        start = s->scratch->len;
        msgpack_packer_init(&pk, s->scratch, spoor_buf_msgpack_write);
        err |= msgpack_pack_map(&pk, count);
        spoor_query_pack_fields(&pk, context_fields, p, n, &err);
        if (err) {
            s->scratch->len = start;
            return SPOOR_MT_NOMEM;
        }
        ev->context.raw = s->scratch->data + start;
        ev->context.raw_len = s->scratch->len - start;
        ev->context.obj = NULL;
    }

    ev->user_id = spoor_query_text(p, n, "uid");
    ev->anonymous_id = spoor_query_text(p, n, "cid");
    if (ev->anonymous_id.data == NULL) {
        ev->anonymous_id = spoor_query_text(p, n, "_id");
    }
    ev->url = spoor_query_text(p, n, "url");
    ev->referrer = spoor_query_text(p, n, "urlref");
    ev->language = spoor_query_text(p, n, "lang");
    ev->user_agent = spoor_query_text(p, n, "ua");

    ev->has_time = custom_time(spoor_query_text(p, n, "cdt"), &ev->time_ms);

    return SPOOR_MT_OK;
}
