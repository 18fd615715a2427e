/*
 * ngx_http_spoor_geo.c -- location from MaxMind databases (spoor_geoip)
 * and what reaches the log of the address itself (spoor_ip).
 *
 * The lookup uses the address NGINX resolved for the client
 * ($remote_addr: the realip module's set_real_ip_from applies; a raw
 * X-Forwarded-For is never read here).  Databases are replaced without a
 * restart: each worker checks the files at most every check= interval
 * and opens a changed file on its own; a replacement that does not open
 * or look up is logged once and ignored, and the old database keeps
 * serving.
 *
 * The worker's location cache: spoor_cache geo= entries (default
 * NGX_HTTP_SPOOR_GEO_CACHE; 0 turns it off),
 * direct-mapped by a hash of the address.  An entry holds the address,
 * the options of the lookup (precision, postal), the database generation
 * it was made in and the result: found or not, and the location with its
 * strings in the entry's own buffer.  Replacing a database starts a new
 * generation, which makes every entry stale; an error is never cached.
 * A hit copies the strings into the request pool, so a request's location
 * never changes under it when the entry is reused.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_geo.h"
#include "ngx_http_spoor_request.h"
#include "ngx_http_spoor_status.h"

#include <xxhash.h>


typedef struct {
    uint32_t       gen;            /* 0: empty */
    uint8_t        ip_len;
    uint8_t        precision;
    uint8_t        postal;
    uint8_t        found;
    u_char         ip[16];
    spoor_geo_t    geo;            /* its strings point into strings[] */
    size_t         nstrings;
    u_char         strings[NGX_HTTP_SPOOR_GEO_CACHE_STRINGS];
} ngx_http_spoor_geo_entry_t;

static ngx_http_spoor_geo_entry_t  *ngx_http_spoor_geo_cache;
static ngx_uint_t                   ngx_http_spoor_geo_nentries;
static uint32_t                     ngx_http_spoor_geo_gen = 1;


static void ngx_http_spoor_geo_cleanup(void *data);


/*
 * Whether a database of this type can serve the slot: location data for
 * the city slot (a City or a Country database), AS data for the asn slot.
 * Returns NULL, or what is wrong.
 */
static const char *
ngx_http_spoor_geo_type_check(ngx_uint_t index, spoor_geoip_t *db)
{
    const char  *type = spoor_geoip_type(db);

    if (type == NULL) {
        return "it has no database type";
    }

    if (index == 0) {
        return (ngx_strstr(type, "City") || ngx_strstr(type, "Country"))
               ? NULL : "it is not a City or Country database";
    }

    return ngx_strstr(type, "ASN") ? NULL : "it is not an ASN database";
}


static ngx_http_spoor_geodb_t *
ngx_http_spoor_geodb_open(ngx_conf_t *cf, ngx_command_t *cmd, ngx_str_t *name,
    ngx_uint_t index)
{
    const char              *err;
    ngx_file_info_t          fi;
    ngx_pool_cleanup_t      *cln;
    ngx_http_spoor_geodb_t  *g;

    g = ngx_pcalloc(cf->pool, sizeof(ngx_http_spoor_geodb_t));
    if (g == NULL) {
        return NULL;
    }

    g->path = *name;
    g->index = index;

    if (ngx_conf_full_name(cf->cycle, &g->path, 1) != NGX_OK) {
        return NULL;
    }

    if (ngx_file_info(g->path.data, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%V: cannot open \"%V\"", &cmd->name, &g->path);
        return NULL;
    }

    if (spoor_geoip_open((const char *) g->path.data, &g->db, &err)
        != SPOOR_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: \"%V\" is not a usable MaxMind database: %s",
                           &cmd->name, &g->path, err);
        return NULL;
    }

    err = ngx_http_spoor_geo_type_check(index, g->db);
    if (err) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V: \"%V\" (%s): %s",
                           &cmd->name, &g->path, spoor_geoip_type(g->db), err);
        spoor_geoip_close(g->db);
        return NULL;
    }

    g->uniq = ngx_file_uniq(&fi);
    g->mtime = ngx_file_mtime(&fi);
    g->size = ngx_file_size(&fi);

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        spoor_geoip_close(g->db);
        return NULL;
    }

    cln->handler = ngx_http_spoor_geo_cleanup;
    cln->data = g;

    return g;
}


static void
ngx_http_spoor_geo_cleanup(void *data)
{
    ngx_http_spoor_geodb_t  *g = data;

    spoor_geoip_close(g->db);
    g->db = NULL;
}


/* spoor_geoip CITY_DB [asn=ASN_DB] [check=TIME]; */
char *
ngx_http_spoor_geoip_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_spoor_main_conf_t *mcf = conf;

    time_t      check;
    ngx_str_t  *value, s, asn;
    ngx_uint_t  i;

    if (mcf->geo_city != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    check = 60;
    ngx_str_null(&asn);

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "asn=", 4) == 0
            && value[i].len > 4)
        {
            asn.data = value[i].data + 4;
            asn.len = value[i].len - 4;
            continue;
        }

        if (ngx_strncmp(value[i].data, "check=", 6) == 0) {
            s.data = value[i].data + 6;
            s.len = value[i].len - 6;

            check = ngx_parse_time(&s, 1);
            if (check == (time_t) NGX_ERROR || check == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V: invalid check time \"%V\"",
                                   &cmd->name, &s);
                return NGX_CONF_ERROR;
            }
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: invalid parameter \"%V\"", &cmd->name,
                           &value[i]);
        return NGX_CONF_ERROR;
    }

    mcf->geo_check = check;

    mcf->geo_city = ngx_http_spoor_geodb_open(cf, cmd, &value[1], 0);
    if (mcf->geo_city == NULL) {
        return NGX_CONF_ERROR;
    }

    if (asn.len) {
        mcf->geo_asn = ngx_http_spoor_geodb_open(cf, cmd, &asn, 1);
        if (mcf->geo_asn == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* spoor_ip mask=BITS4/BITS6 | drop | full; */
char *
ngx_http_spoor_ip_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    u_char     *slash;
    ngx_int_t   b4, b6;
    ngx_str_t  *value;

    if (lcf->ip_mode != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "drop") == 0) {
        lcf->ip_mode = NGX_HTTP_SPOOR_IP_DROP;
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[1].data, "full") == 0) {
        lcf->ip_mode = NGX_HTTP_SPOOR_IP_FULL;
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(value[1].data, "mask=", 5) == 0) {
        slash = ngx_strlchr(value[1].data + 5, value[1].data + value[1].len,
                            '/');
        if (slash) {
            b4 = ngx_atoi(value[1].data + 5, slash - (value[1].data + 5));
            b6 = ngx_atoi(slash + 1,
                          value[1].data + value[1].len - (slash + 1));

            if (b4 != NGX_ERROR && b4 <= 32 && b6 != NGX_ERROR && b6 <= 128)
            {
                lcf->ip_mode = NGX_HTTP_SPOOR_IP_MASK;
                lcf->ip_mask4 = b4;
                lcf->ip_mask6 = b6;
                return NGX_CONF_OK;
            }
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "%V: invalid value \"%V\", expected "
                       "mask=BITS4/BITS6 (0..32/0..128), drop or full",
                       &cmd->name, &value[1]);
    return NGX_CONF_ERROR;
}


ngx_int_t
ngx_http_spoor_geo_init_worker(ngx_http_spoor_main_conf_t *mcf, ngx_log_t *log)
{
    ngx_http_spoor_stats_t  *st = ngx_http_spoor_stats();

    mcf->geo_checked = ngx_time();

    if (mcf->geo_city == NULL) {
        return NGX_OK;
    }

    if (st && mcf->geo_city->db) {
        st->geo_build[0] = spoor_geoip_build_epoch(mcf->geo_city->db);
    }
    if (st && mcf->geo_asn && mcf->geo_asn->db) {
        st->geo_build[1] = spoor_geoip_build_epoch(mcf->geo_asn->db);
    }

    if (mcf->geo_cache == 0) {
        return NGX_OK;
    }

    /* the worker's own: a reload starts new workers with empty ones */
    ngx_http_spoor_geo_cache = ngx_calloc(mcf->geo_cache
                                          * sizeof(ngx_http_spoor_geo_entry_t),
                                          log);
    ngx_http_spoor_geo_nentries = mcf->geo_cache;

    return ngx_http_spoor_geo_cache ? NGX_OK : NGX_ERROR;
}


/* Opens the file again when it changed since it was opened. */
static void
ngx_http_spoor_geo_reopen(ngx_http_spoor_geodb_t *g, ngx_log_t *log)
{
    const char              *err = NULL;
    spoor_geoip_t           *db;
    ngx_file_info_t          fi;
    ngx_file_uniq_t          uniq;
    ngx_http_spoor_stats_t  *st = ngx_http_spoor_stats();

    if (ngx_file_info(g->path.data, &fi) == NGX_FILE_ERROR) {
        return;                 /* mid-rename, or removed: keep serving */
    }

    uniq = ngx_file_uniq(&fi);

    if (uniq == g->uniq && ngx_file_mtime(&fi) == g->mtime
        && ngx_file_size(&fi) == g->size)
    {
        return;
    }

    if (uniq == g->bad_uniq && ngx_file_mtime(&fi) == g->bad_mtime
        && ngx_file_size(&fi) == g->bad_size)
    {
        return;                 /* this replacement failed already */
    }

    if (spoor_geoip_open((const char *) g->path.data, &db, &err) == SPOOR_OK
        && (err = ngx_http_spoor_geo_type_check(g->index, db)) != NULL)
    {
        spoor_geoip_close(db);
        db = NULL;
    }

    if (err != NULL) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "spoor: new \"%V\" is not a usable MaxMind database "
                      "(%s); the previous one keeps serving", &g->path, err);
        g->bad_uniq = uniq;
        g->bad_mtime = ngx_file_mtime(&fi);
        g->bad_size = ngx_file_size(&fi);

        if (st) {
            (void) ngx_atomic_fetch_add(&st->geo_reload_failures, 1);
        }
        return;
    }

    spoor_geoip_close(g->db);
    g->db = db;
    ngx_http_spoor_geo_gen++;          /* every cached result is stale */
    g->uniq = uniq;
    g->mtime = ngx_file_mtime(&fi);
    g->size = ngx_file_size(&fi);

    ngx_log_error(NGX_LOG_NOTICE, log, 0, "spoor: reloaded \"%V\"",
                  &g->path);

    if (st) {
        (void) ngx_atomic_fetch_add(&st->geo_reloads, 1);
        st->geo_build[g->index] = spoor_geoip_build_epoch(db);
    }
}


/* Moves the strings of geo from base to to (same offsets). */
static void
ngx_http_spoor_geo_rebase(spoor_geo_t *geo, const u_char *base, u_char *to)
{
    ngx_uint_t    i;
    spoor_str_t  *s[] = { &geo->country, &geo->continent, &geo->region,
                          &geo->city, &geo->postal, &geo->timezone,
                          &geo->as_org };

    for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
        if (s[i]->data != NULL) {
            s[i]->data = (const char *) to
                         + ((const u_char *) s[i]->data - base);
        }
    }
}


ngx_int_t
ngx_http_spoor_geo_lookup(ngx_http_request_t *r, ngx_http_spoor_ctx_t *ctx,
    const unsigned char *ip, size_t ip_len)
{
    ngx_int_t                    rc;
    spoor_buf_t                  strings;
    unsigned char               *mem;
    spoor_geo_opts_t             opts;
    ngx_http_spoor_loc_conf_t   *lcf;
    ngx_http_spoor_main_conf_t  *mcf;
    ngx_http_spoor_geo_entry_t  *e;

    if (ctx->geo_done) {
        return ctx->geo_found;
    }

    ctx->geo_done = 1;
    ctx->geo_found = 0;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_spoor_module);

    if (mcf->geo_city == NULL || ip_len == 0 || ip_len > 16) {
        return 0;
    }

    if (ngx_time() - mcf->geo_checked >= mcf->geo_check) {
        mcf->geo_checked = ngx_time();
        ngx_http_spoor_geo_reopen(mcf->geo_city, r->connection->log);
        if (mcf->geo_asn) {
            ngx_http_spoor_geo_reopen(mcf->geo_asn, r->connection->log);
        }
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_spoor_module);
    opts.precision = lcf->geo_precision;
    opts.postal = lcf->geo_postal;

    ngx_http_spoor_count(geo_lookups);

    e = NULL;

    if (ngx_http_spoor_geo_cache) {
        e = &ngx_http_spoor_geo_cache[XXH3_64bits(ip, ip_len)
                                      % ngx_http_spoor_geo_nentries];

        if (e->gen == ngx_http_spoor_geo_gen && e->ip_len == ip_len
            && e->precision == opts.precision && e->postal == !!opts.postal
            && ngx_memcmp(e->ip, ip, ip_len) == 0)
        {
            ngx_http_spoor_count(geo_cache_hits);

            if (!e->found) {
                ngx_http_spoor_count(geo_misses);
                return 0;
            }

            mem = ngx_pnalloc(r->pool, e->nstrings + 1);
            if (mem == NULL) {
                return 0;
            }

            ngx_memcpy(mem, e->strings, e->nstrings);
            ctx->geo = e->geo;
            ngx_http_spoor_geo_rebase(&ctx->geo, e->strings, mem);
            ctx->geo_found = 1;
            return 1;
        }
    }

    mem = ngx_pnalloc(r->pool, SPOOR_GEO_STRINGS_MAX);
    if (mem == NULL) {
        return 0;
    }

    spoor_buf_init(&strings, mem, SPOOR_GEO_STRINGS_MAX);

    rc = spoor_geoip_lookup(mcf->geo_city->db,
                            mcf->geo_asn ? mcf->geo_asn->db : NULL,
                            ip, ip_len, &opts, &ctx->geo, &strings);

    if (rc != 1) {
        ngx_http_spoor_count(geo_misses);
    }

    if (rc < 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "spoor: location lookup failed: %s",
                      spoor_strerror((int) rc));
        return 0;
    }

    if (e && (rc == 0 || strings.len <= NGX_HTTP_SPOOR_GEO_CACHE_STRINGS)) {
        e->gen = ngx_http_spoor_geo_gen;
        e->ip_len = (uint8_t) ip_len;
        e->precision = (uint8_t) opts.precision;
        e->postal = !!opts.postal;
        e->found = (uint8_t) rc;
        ngx_memcpy(e->ip, ip, ip_len);

        if (rc == 1) {
            e->nstrings = strings.len;
            ngx_memcpy(e->strings, mem, strings.len);
            e->geo = ctx->geo;
            ngx_http_spoor_geo_rebase(&e->geo, mem, e->strings);
        }
    }

    ctx->geo_found = rc;
    return rc;
}


ngx_int_t
ngx_http_spoor_geo_country_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    size_t                 n;
    unsigned char          ip[16];
    ngx_http_spoor_ctx_t  *ctx;

    ctx = ngx_http_spoor_get_ctx(r, NGX_HTTP_SPOOR_EP_MAX);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    n = ngx_http_spoor_client_ip(r, ip);

    if (ngx_http_spoor_geo_lookup(r, ctx, ip, n) != 1
        || ctx->geo.country.data == NULL)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = ctx->geo.country.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = (u_char *) ctx->geo.country.data;

    return NGX_OK;
}
