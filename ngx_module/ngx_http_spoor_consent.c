/*
 * ngx_http_spoor_consent.c -- consent enforced before anything is
 * written: the request's signals, the decision per event
 * (shared/consent.h) and what it changes.
 *
 * Per request: the signals in cookies and headers are parsed once
 * (ctx->consent_in, only the signals the policy lists) and the visitor's
 * country joins them; the decision for the request's first event keeps,
 * issues or deletes the visitor cookie and records a withdrawal.  Per
 * event: the event's own Segment consent joins the request's signals,
 * the decision is taken again and applied to the event.
 *
 * The worker's consent cache: a visitor's consent cookies are the same on
 * every beacon, so the parsed signals are kept, keyed by the exact bytes
 * they were parsed from (each cookie value and header line the policy
 * reads, with the location whose policy and maps parsed them).
 * spoor_cache consent= entries (default NGX_HTTP_SPOOR_CONSENT_CACHE; 0
 * turns it off), direct-mapped by a hash of the
 * key; a hit compares the whole key, so a cached entry gives exactly what
 * parsing the same bytes gives, and the decision is still taken per
 * request (the country comes from the request).  Keys longer than
 * NGX_HTTP_SPOOR_CONSENT_KEY_MAX are parsed every time.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <xxhash.h>

#include "ngx_http_spoor_consent.h"
#include "ngx_http_spoor_cookieless.h"
#include "ngx_http_spoor_geo.h"
#include "ngx_http_spoor_log.h"
#include "ngx_http_spoor_request.h"
#include "ngx_http_spoor_status.h"
#include "ngx_http_spoor_visitor.h"
#include "consent_cookie.h"
#include "consent_cookiebot.h"
#include "consent_headers.h"
#include "consent_onetrust.h"
#include "consent_segment.h"


typedef struct {
    uint64_t                hash;
    void                   *lcf;          /* the location that parsed it */
    size_t                  klen;         /* 0: empty */
    spoor_consent_input_t   in;           /* country unset */
    u_char                  key[NGX_HTTP_SPOOR_CONSENT_KEY_MAX];
} ngx_http_spoor_consent_entry_t;

static ngx_http_spoor_consent_entry_t  *ngx_http_spoor_consent_cache;
static ngx_uint_t                       ngx_http_spoor_consent_nentries;

/* the worker's TC string, parsed in place (a worker serves one request
 * at a time, and the parse keeps nothing) */
static spoor_tcf_t  ngx_http_spoor_tc;


ngx_int_t
ngx_http_spoor_consent_init_worker(ngx_uint_t n, ngx_log_t *log)
{
    if (n == 0) {
        return NGX_OK;
    }

    ngx_http_spoor_consent_cache =
        ngx_calloc(n * sizeof(ngx_http_spoor_consent_entry_t), log);
    ngx_http_spoor_consent_nentries = n;

    return ngx_http_spoor_consent_cache ? NGX_OK : NGX_ERROR;
}


/* ---- the request's signals -------------------------------------------------- */

static ngx_uint_t
ngx_http_spoor_listed(spoor_consent_policy_t *p, spoor_signal_e s)
{
    size_t  i;

    for (i = 0; i < p->norder; i++) {
        if (p->order[i] == s) {
            return 1;
        }
    }

    return 0;
}


/* Parses a TC string into in->sig[SPOOR_SIG_TCF]; NGX_DECLINED when it
 * is not valid. */
static ngx_int_t
ngx_http_spoor_tcf(ngx_http_spoor_loc_conf_t *lcf, const char *s, size_t len,
    spoor_consent_signal_t *sig)
{
    if (spoor_tcf_parse(s, len, &ngx_http_spoor_tc) == SPOOR_OK
        && spoor_tcf_signal(&ngx_http_spoor_tc, &lcf->tcf, sig) == SPOOR_OK)
    {
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/* The value of cookie k; NGX_DECLINED when the request has none. */
static ngx_int_t
ngx_http_spoor_cookie(ngx_http_spoor_ctx_t *ctx, ngx_uint_t k,
    ngx_str_t *value)
{
    if (ctx->cookie[k].data == NULL) {
        return NGX_DECLINED;
    }
    *value = ctx->cookie[k];
    return NGX_OK;
}


/*
 * Parses the signals of the request's cookies and headers (read into ctx
 * already) into in, which was cleared.  Only what the policy lists is
 * read: the same bytes the cache key holds (ngx_http_spoor_signal_key()).
 */
static ngx_int_t
ngx_http_spoor_parse_signals(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    spoor_consent_input_t *in)
{
    u_char                  *buf;
    ngx_int_t                rc;
    ngx_str_t                v;
    spoor_str_t              tcs;
    spoor_consent_policy_t  *p = lcf->policy;

    if (ngx_http_spoor_listed(p, SPOOR_SIG_TCF)
        && ngx_http_spoor_cookie(ctx, NGX_HTTP_SPOOR_CK_TCF, &v) == NGX_OK)
    {
        rc = ngx_http_spoor_tcf(lcf, (char *) v.data, v.len,
                                &in->sig[SPOOR_SIG_TCF]);
        in->present[SPOOR_SIG_TCF] = rc == NGX_OK;
    }

    if (ngx_http_spoor_listed(p, SPOOR_SIG_ONETRUST)
        && ngx_http_spoor_cookie(ctx, NGX_HTTP_SPOOR_CK_ONETRUST, &v)
           == NGX_OK)
    {
        in->present[SPOOR_SIG_ONETRUST] =
            spoor_onetrust_parse((char *) v.data, v.len, lcf->onetrust_map,
                                 &in->sig[SPOOR_SIG_ONETRUST]) == SPOOR_OK;
    }

    if ((ngx_http_spoor_listed(p, SPOOR_SIG_COOKIEBOT)
         || (ngx_http_spoor_listed(p, SPOOR_SIG_TCF)
             && !in->present[SPOOR_SIG_TCF]))
        && ngx_http_spoor_cookie(ctx, NGX_HTTP_SPOOR_CK_COOKIEBOT, &v)
           == NGX_OK)
    {
        buf = ngx_pnalloc(r->pool, v.len + 1);
        if (buf == NULL) {
            return NGX_ERROR;
        }

        if (spoor_cookiebot_parse((char *) v.data, v.len, (char *) buf,
                                  v.len + 1, &in->sig[SPOOR_SIG_COOKIEBOT],
                                  &tcs)
            == SPOOR_OK)
        {
            in->present[SPOOR_SIG_COOKIEBOT] =
                ngx_http_spoor_listed(p, SPOOR_SIG_COOKIEBOT);

            if (tcs.len) {
                spoor_consent_signal_t  t;

                /* the TC string Cookiebot keeps: a TCF signal, and the
                 * policy version and CMP of the Cookiebot one */
                if (ngx_http_spoor_tcf(lcf, tcs.data, tcs.len, &t) == NGX_OK)
                {
                    in->sig[SPOOR_SIG_COOKIEBOT].tcf_policy = t.tcf_policy;
                    in->sig[SPOOR_SIG_COOKIEBOT].cmp_id = t.cmp_id;

                    if (!in->present[SPOOR_SIG_TCF]
                        && ngx_http_spoor_listed(p, SPOOR_SIG_TCF))
                    {
                        in->sig[SPOOR_SIG_TCF] = t;
                        in->present[SPOOR_SIG_TCF] = 1;
                    }
                }
            }
        }
    }

    if (ngx_http_spoor_listed(p, SPOOR_SIG_COOKIE)
        && ngx_http_spoor_cookie(ctx, NGX_HTTP_SPOOR_CK_SITE, &v) == NGX_OK)
    {
        in->present[SPOOR_SIG_COOKIE] =
            spoor_consent_cookie_parse((char *) v.data, v.len,
                                       &in->sig[SPOOR_SIG_COOKIE])
            == SPOOR_OK;
    }

    in->present[SPOOR_SIG_GPC] = spoor_gpc_header(ctx->gpc, ctx->ngpc);

    if (ngx_http_spoor_listed(p, SPOOR_SIG_DNT)) {
        in->present[SPOOR_SIG_DNT] = spoor_dnt_header(ctx->dnt, ctx->ndnt);
    }

    return NGX_OK;
}


/* Appends one part of the cache key: a tag, whether the part is there,
 * its length and its bytes.  Returns the new end, or NULL when the key
 * would not fit. */
static u_char *
ngx_http_spoor_key_part(u_char *p, u_char *end, u_char tag,
    const void *data, size_t len)
{
    if ((size_t) (end - p) < 4 + len || len > 0xffff) {
        return NULL;
    }

    *p++ = tag;
    *p++ = data != NULL;
    *p++ = (u_char) (len >> 8);
    *p++ = (u_char) len;

    return len ? ngx_cpymem(p, data, len) : p;
}


/*
 * The cache key of the request's signals: every cookie value and header
 * line ngx_http_spoor_parse_signals() reads under lcf's policy.  Returns
 * its length, or 0 when it does not fit in key[KEY_MAX].
 */
static size_t
ngx_http_spoor_signal_key(ngx_http_spoor_loc_conf_t *lcf,
    ngx_http_spoor_ctx_t *ctx, u_char *key)
{
    u_char                  *p, *end;
    ngx_uint_t               i, k;
    spoor_consent_policy_t  *pol = lcf->policy;

    static const struct {
        spoor_signal_e  sig;
        ngx_uint_t      cookie;
    } parts[] = {
        { SPOOR_SIG_TCF, NGX_HTTP_SPOOR_CK_TCF },
        { SPOOR_SIG_ONETRUST, NGX_HTTP_SPOOR_CK_ONETRUST },
        { SPOOR_SIG_COOKIEBOT, NGX_HTTP_SPOOR_CK_COOKIEBOT },
        { SPOOR_SIG_COOKIE, NGX_HTTP_SPOOR_CK_SITE },
    };

    p = key;
    end = key + NGX_HTTP_SPOOR_CONSENT_KEY_MAX;

    for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        k = parts[i].cookie;

        /* Cookiebot's cookie is read for its TC string under tcf too */
        if (!ngx_http_spoor_listed(pol, parts[i].sig)
            && !(k == NGX_HTTP_SPOOR_CK_COOKIEBOT
                 && ngx_http_spoor_listed(pol, SPOOR_SIG_TCF)))
        {
            continue;
        }

        p = ngx_http_spoor_key_part(p, end, (u_char) k, ctx->cookie[k].data,
                                    ctx->cookie[k].len);
        if (p == NULL) {
            return 0;
        }
    }

    for (i = 0; i < ctx->ngpc; i++) {
        p = ngx_http_spoor_key_part(p, end, 'G', ctx->gpc[i].data,
                                    ctx->gpc[i].len);
        if (p == NULL) {
            return 0;
        }
    }

    if (ngx_http_spoor_listed(pol, SPOOR_SIG_DNT)) {
        for (i = 0; i < ctx->ndnt; i++) {
            p = ngx_http_spoor_key_part(p, end, 'D', ctx->dnt[i].data,
                                        ctx->dnt[i].len);
            if (p == NULL) {
                return 0;
            }
        }
    }

    return p - key;
}


static ngx_int_t
ngx_http_spoor_read_signals(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    ngx_uint_t browser)
{
    size_t                           n, klen;
    uint64_t                         hash;
    unsigned char                    ip[16];
    u_char                           key[NGX_HTTP_SPOOR_CONSENT_KEY_MAX];
    spoor_consent_input_t           *in = &ctx->consent_in;
    ngx_http_spoor_consent_entry_t  *e;

    spoor_consent_input_init(in);
    ctx->consent_read = 1;

    if (!browser) {
        /* a server-side SDK: its cookies, headers and address are its own */
        return NGX_OK;
    }

    ngx_http_spoor_read_cookies(r, lcf, ctx);
    ngx_http_spoor_read_headers(r, ctx);

    e = NULL;
    klen = 0;
    hash = 0;

    if (ngx_http_spoor_consent_cache) {
        klen = ngx_http_spoor_signal_key(lcf, ctx, key);
    }

    if (klen) {
        /* the location seeds the hash: locations whose policies read
         * the same bytes do not take each other's entries */
        hash = XXH3_64bits_withSeed(key, klen, (uint64_t) (uintptr_t) lcf);
        e = &ngx_http_spoor_consent_cache[hash
                                          % ngx_http_spoor_consent_nentries];

        if (e->klen == klen && e->hash == hash && e->lcf == lcf
            && ngx_memcmp(e->key, key, klen) == 0)
        {
            *in = e->in;
            ngx_http_spoor_count(consent_cache_hits);
            goto location;
        }
    }

    ngx_http_spoor_count(consent_cache_misses);

    if (ngx_http_spoor_parse_signals(r, lcf, ctx, in) != NGX_OK) {
        return NGX_ERROR;
    }

    if (e) {
        e->hash = hash;
        e->lcf = lcf;
        e->klen = klen;
        e->in = *in;
        ngx_memcpy(e->key, key, klen);
    }

location:

    n = ngx_http_spoor_client_ip(r, ip);
    if (ngx_http_spoor_geo_lookup(r, ctx, ip, n) == 1) {
        in->country = ctx->geo.country;
        in->eu = ctx->geo.eu;
    }

    return NGX_OK;
}


/*
 * The decision for one event: the request's signals and its own.  A
 * request that asks for anonymous tracking (Snowplow's SP-Anonymous
 * header) is recorded anonymously at most, whatever its consent allows.
 */
static void
ngx_http_spoor_decide(ngx_http_spoor_loc_conf_t *lcf,
    ngx_http_spoor_ctx_t *ctx, const msgpack_object *prefs,
    spoor_consent_decision_t *d)
{
    spoor_consent_input_t  in;

    if (prefs == NULL || !ngx_http_spoor_listed(lcf->policy,
                                                SPOOR_SIG_SEGMENT))
    {
        spoor_consent_decide(lcf->policy, &ctx->consent_in, d);

    } else {
        in = ctx->consent_in;
        in.present[SPOOR_SIG_SEGMENT] =
            spoor_segment_consent_parse(prefs, lcf->segment_map,
                                        &in.sig[SPOOR_SIG_SEGMENT])
            == SPOOR_OK;

        spoor_consent_decide(lcf->policy, &in, d);
    }

    if (ctx->sp_anonymous
        && (d->action == SPOOR_ACTION_FULL
            || d->action == SPOOR_ACTION_COOKIELESS))
    {
        d->action = SPOOR_ACTION_ANONYMOUS;
    }
}


/* ---- per request and per event ------------------------------------------------ */

static void
ngx_http_spoor_count_decision(spoor_consent_decision_t *d)
{
    ngx_http_spoor_stats_t  *st = ngx_http_spoor_stats();

    if (st && (unsigned) d->signal <= SPOOR_SIG_NONE
        && (unsigned) d->action < SPOOR_ACTION_MAX)
    {
        (void) ngx_atomic_fetch_add(&st->consent[d->signal][d->action], 1);
    }
}


/* The control record that tells the analyzer to erase a visitor. */
static ngx_int_t
ngx_http_spoor_withdraw(ngx_http_request_t *r, ngx_http_spoor_loc_conf_t *lcf,
    ngx_http_spoor_ctx_t *ctx)
{
    ngx_int_t       rc;
    spoor_event_t   ev;

    spoor_event_init(&ev);
    ev.kind = SPOOR_KIND_CONSENT_WITHDRAWAL;
    ev.received_ms = ngx_http_spoor_now_ms();
    ev.visitor_id.data = (const char *) ctx->cookie_id.data;
    ev.visitor_id.len = ctx->cookie_id.len;
    if (ctx->source.len) {
        ev.source.data = (const char *) ctx->source.data;
        ev.source.len = ctx->source.len;
    }
    spoor_consent_to_record(&ctx->decision, &ev.consent);

    rc = ngx_http_spoor_log_append(r, lcf->log, &ev);

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "spoor: the consent withdrawal of visitor \"%V\" could "
                      "not be written", &ctx->cookie_id);
        ngx_http_spoor_count_rejected(NGX_HTTP_SPOOR_R_WRITE, 1);
        return NGX_OK;
    }

    ngx_http_spoor_count(consent_withdrawals);

    return NGX_OK;
}


ngx_int_t
ngx_http_spoor_consent_request(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    const msgpack_object *prefs, ngx_uint_t browser)
{
    ngx_uint_t  storage;

    if (!ctx->consent_read
        && ngx_http_spoor_read_signals(r, lcf, ctx, browser) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_spoor_decide(lcf, ctx, prefs, &ctx->decision);
    ctx->decision_prefs = prefs;
    ctx->decided = 1;

    storage = (ctx->decision.granted & SPOOR_CAT_STORAGE) != 0;

    if (ngx_http_spoor_visitor(r, lcf, ctx,
                               browser
                               && ctx->decision.action == SPOOR_ACTION_FULL,
                               storage)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (!storage && ctx->cookie_id.len
        && ctx->decision.explicit_storage_denial)
    {
        return ngx_http_spoor_withdraw(r, lcf, ctx);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_spoor_consent_event(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    spoor_event_t *ev, const msgpack_object *prefs)
{
    size_t                     cap;
    spoor_buf_t                out;
    spoor_consent_decision_t   d;

    if (ctx->decided && prefs == ctx->decision_prefs) {
        /* the request's decision (a pixel, a body's first event): the
         * same inputs, so not taken again */
        d = ctx->decision;

    } else {
        ngx_http_spoor_decide(lcf, ctx, prefs, &d);
    }

    if (d.action == SPOOR_ACTION_ANONYMOUS
        && (ev->kind == SPOOR_KIND_IDENTIFY || ev->kind == SPOOR_KIND_ALIAS
            || ev->kind == SPOOR_KIND_GROUP))
    {
        /* these say who someone is and nothing else */
        d.action = SPOOR_ACTION_DROP;
    }

    ngx_http_spoor_count_decision(&d);

    switch (d.action) {

    case SPOOR_ACTION_DROP:
        return NGX_DECLINED;

    case SPOOR_ACTION_ANONYMOUS:
        spoor_anonymize(ev);
        break;

    case SPOOR_ACTION_COOKIELESS:
        ev->visitor_id.data = NULL;
        ev->visitor_id.len = 0;
        ev->anonymous_id.data = NULL;
        ev->anonymous_id.len = 0;

        if (ev->ip_len || ev->user_agent.data) {
            /* a browser: the address and agent tell visitors apart */
            if (ngx_http_spoor_cookieless(r, ctx) != NGX_OK) {
                return NGX_ERROR;
            }
            ev->cookieless_id.data = (const char *) ctx->cookieless_id.data;
            ev->cookieless_id.len = ctx->cookieless_id.len;
        }
        break;

    default: /* SPOOR_ACTION_FULL */
        if (!(d.granted & SPOOR_CAT_STORAGE) || ctx->visitor_id.len == 0) {
            ev->visitor_id.data = NULL;
            ev->visitor_id.len = 0;
        }
        break;
    }

    if (d.action != SPOOR_ACTION_ANONYMOUS
        && spoor_privacy_needed(&lcf->privacy,
                                d.granted & SPOOR_CAT_PERSONALIZATION))
    {
        /* one buffer for every event of the request: each is written
         * before the next one is made */
        cap = 2 * lcf->max_event_size + 4096;
        if (ctx->privacy_buf == NULL) {
            ctx->privacy_buf = ngx_pnalloc(r->pool, cap);
            if (ctx->privacy_buf == NULL) {
                return NGX_ERROR;
            }
        }
        out.data = ctx->privacy_buf;
        out.len = 0;
        out.cap = cap;

        (void) spoor_privacy_apply(&lcf->privacy,
                                   !(d.granted & SPOOR_CAT_PERSONALIZATION),
                                   ev, &out);
    }

    spoor_consent_to_record(&d, &ev->consent);

    return NGX_OK;
}


ngx_uint_t
ngx_http_spoor_consent_personalization(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx)
{
    spoor_consent_decision_t  d;

    if (ctx->decided) {
        /* a capture handler decided for this request already */
        d = ctx->decision;

    } else {
        if (!ctx->consent_read
            && ngx_http_spoor_read_signals(r, lcf, ctx, 1) != NGX_OK)
        {
            return 0;
        }
        ngx_http_spoor_decide(lcf, ctx, NULL, &d);
    }

    return !d.no_profiling && (d.granted & SPOOR_CAT_PERSONALIZATION)
           && (d.action == SPOOR_ACTION_FULL
               || d.action == SPOOR_ACTION_COOKIELESS);
}


/* $spoor_consent: "signal=tcf action=full granted=storage,analytics
 * denied=personalization,marketing gpc=0" for the request's decision. */
ngx_int_t
ngx_http_spoor_consent_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                    *p, *start;
    unsigned                   cats, bit;
    ngx_uint_t                 i;
    ngx_http_spoor_ctx_t      *ctx;
    spoor_consent_decision_t  *d;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spoor_module);

    if (ctx == NULL || !ctx->decided) {
        v->not_found = 1;
        return NGX_OK;
    }

    d = &ctx->decision;

    start = ngx_pnalloc(r->pool, 160);
    if (start == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(start, "signal=%s action=%s",
                    spoor_signal_name(d->signal), spoor_action_name(d->action));

    for (i = 0; i < 2; i++) {
        cats = i == 0 ? d->granted : d->denied;
        p = ngx_sprintf(p, i == 0 ? " granted=" : " denied=");

        if (cats == 0) {
            *p++ = '-';
            continue;
        }

        for (bit = 1; bit <= SPOOR_CAT_MARKETING; bit <<= 1) {
            if (cats & bit) {
                p = ngx_sprintf(p, "%s%s", (cats & (bit - 1)) ? "," : "",
                                spoor_category_name(bit));
            }
        }
    }

    p = ngx_sprintf(p, " gpc=%d", d->gpc == 1);

    v->data = start;
    v->len = p - start;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
