/*
 * ngx_http_spoor_module.c -- the module's directives, configuration,
 * process hooks and variables.  The other files and how they depend on
 * one another are listed in ngx_http_spoor_module.h; every directive is
 * described for operators in docs/directives.md.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_module.h"
#include "ngx_http_spoor_consent.h"
#include "ngx_http_spoor_consent_conf.h"
#include "ngx_http_spoor_cookieless.h"
#include "ngx_http_spoor_geo.h"
#include "ngx_http_spoor_log.h"
#include "ngx_http_spoor_profiles.h"
#include "ngx_http_spoor_status.h"
#include "ngx_http_spoor_visitor.h"
#include "logframe.h"


/* the content handlers (pixel.c, segment.c, snowplow.c, matomo.c,
 * plausible.c) */
ngx_int_t ngx_http_spoor_pixel_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_spoor_segment_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_spoor_snowplow_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_spoor_matomo_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_spoor_plausible_handler(ngx_http_request_t *r);


#define NGX_HTTP_SPOOR_BUFFER   (128 * 1024)
#define NGX_HTTP_SPOOR_FLUSH    1000
#define NGX_HTTP_SPOOR_MAX_AGE  (396 * 86400)      /* 13 months */


static ngx_int_t ngx_http_spoor_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_spoor_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_spoor_file_in_use(ngx_cycle_t *cycle,
    ngx_str_t *name);
static void *ngx_http_spoor_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_spoor_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_spoor_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_spoor_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_spoor_init_process(ngx_cycle_t *cycle);
static void ngx_http_spoor_exit_process(ngx_cycle_t *cycle);

static char *ngx_http_spoor_log_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_spoor_handler_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_spoor_write_keys(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_spoor_cors_headers(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_spoor_cors_allow_headers(ngx_conf_t *cf,
    ngx_http_spoor_loc_conf_t *conf);
static char *ngx_http_spoor_cors_origins(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_spoor_visitor_cookie(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_spoor_cache_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_spoor_check_size(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_spoor_check_count(ngx_conf_t *cf, void *post,
    void *data);

static ngx_int_t ngx_http_spoor_visitor_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_spoor_events_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_conf_post_handler_pt  ngx_http_spoor_size_post =
    ngx_http_spoor_check_size;
static ngx_conf_post_handler_pt  ngx_http_spoor_count_post =
    ngx_http_spoor_check_count;
static ngx_conf_num_bounds_t  ngx_http_spoor_precision_post = {
    ngx_conf_check_num_bounds, 0, 6
};


static ngx_command_t  ngx_http_spoor_commands[] = {

    { ngx_string("spoor_log"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_spoor_log_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_pixel"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_spoor_handler_directive,
      0,
      0,
      (void *) ngx_http_spoor_pixel_handler },

    { ngx_string("spoor_segment"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_spoor_handler_directive,
      0,
      0,
      (void *) ngx_http_spoor_segment_handler },

    { ngx_string("spoor_snowplow"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_spoor_handler_directive,
      0,
      0,
      (void *) ngx_http_spoor_snowplow_handler },

    { ngx_string("spoor_matomo"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_spoor_handler_directive,
      0,
      0,
      (void *) ngx_http_spoor_matomo_handler },

    { ngx_string("spoor_plausible"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_spoor_handler_directive,
      0,
      0,
      (void *) ngx_http_spoor_plausible_handler },

    { ngx_string("spoor_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_spoor_handler_directive,
      0,
      0,
      (void *) ngx_http_spoor_status_handler },

    { ngx_string("spoor_write_keys"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_spoor_write_keys,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_cors_origins"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_spoor_cors_origins,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_cors_headers"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_spoor_cors_headers,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_visitor_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_spoor_visitor_cookie,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_profiles"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_http_spoor_profiles_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_profiles_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_spoor_profiles_id_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_spoor_cache_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_geoip"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_spoor_geoip_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_ip"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_spoor_ip_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_geo_precision"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_spoor_loc_conf_t, geo_precision),
      &ngx_http_spoor_precision_post },

    { ngx_string("spoor_geo_postal"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_spoor_loc_conf_t, geo_postal),
      NULL },

    { ngx_string("spoor_max_event_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_spoor_loc_conf_t, max_event_size),
      &ngx_http_spoor_size_post },

    { ngx_string("spoor_max_batch_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_spoor_loc_conf_t, max_batch_size),
      &ngx_http_spoor_size_post },

    { ngx_string("spoor_max_batch_events"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_spoor_loc_conf_t, max_batch_events),
      &ngx_http_spoor_count_post },

    { ngx_string("spoor_consent"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_spoor_consent_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_consent_required"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_spoor_consent_required_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_consent_missing"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_spoor_consent_missing_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_consent_gpc"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_spoor_consent_gpc_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_consent_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_spoor_consent_name_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_spoor_loc_conf_t, consent_cookie),
      NULL },

    { ngx_string("spoor_tcf_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_spoor_consent_name_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_spoor_loc_conf_t, tcf_cookie),
      NULL },

    { ngx_string("spoor_tcf_vendor"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_spoor_tcf_vendor_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_tcf_analytics"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_spoor_tcf_analytics_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("spoor_onetrust_groups"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_spoor_consent_ids_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_spoor_loc_conf_t, onetrust_ids),
      NULL },

    { ngx_string("spoor_segment_categories"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_spoor_consent_ids_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_spoor_loc_conf_t, segment_ids),
      NULL },

    { ngx_string("spoor_sensitive_traits"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_spoor_traits_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_spoor_loc_conf_t, sensitive_traits),
      NULL },

    { ngx_string("spoor_pseudonymize"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_spoor_traits_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_spoor_loc_conf_t, pseudonymize),
      NULL },

    { ngx_string("spoor_secret_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_spoor_secret_file_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_spoor_module_ctx = {
    ngx_http_spoor_add_variables,          /* preconfiguration */
    ngx_http_spoor_postconfiguration,      /* postconfiguration */

    ngx_http_spoor_create_main_conf,       /* create main configuration */
    ngx_http_spoor_init_main_conf,         /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_spoor_create_loc_conf,        /* create location configuration */
    ngx_http_spoor_merge_loc_conf          /* merge location configuration */
};


ngx_module_t  ngx_http_spoor_module = {
    NGX_MODULE_V1,
    &ngx_http_spoor_module_ctx,            /* module context */
    ngx_http_spoor_commands,               /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_spoor_init_process,           /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_spoor_exit_process,           /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_http_spoor_vars[] = {

    { ngx_string("spoor_visitor_id"), NULL, ngx_http_spoor_visitor_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("spoor_events"), NULL, ngx_http_spoor_events_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("spoor_geo_country"), NULL,
      ngx_http_spoor_geo_country_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("spoor_consent"), NULL, ngx_http_spoor_consent_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("spoor_profile_found"), NULL, ngx_http_spoor_profile_var,
      NGX_HTTP_SPOOR_V_FOUND, 0, 0 },

    { ngx_string("spoor_segments"), NULL, ngx_http_spoor_profile_var,
      NGX_HTTP_SPOOR_V_SEGMENTS, 0, 0 },

    { ngx_string("spoor_lifecycle"), NULL, ngx_http_spoor_profile_var,
      NGX_HTTP_SPOOR_V_LIFECYCLE, 0, 0 },

    { ngx_string("spoor_rfm"), NULL, ngx_http_spoor_profile_var,
      NGX_HTTP_SPOOR_V_RFM, 0, 0 },

    { ngx_string("spoor_segment_"), NULL, ngx_http_spoor_segment_var,
      0, NGX_HTTP_VAR_PREFIX, 0 },

    { ngx_string("spoor_trait_"), NULL, ngx_http_spoor_trait_var,
      0, NGX_HTTP_VAR_PREFIX, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_spoor_zone_name = ngx_string("spoor_status");


/* ---- configuration ------------------------------------------------------ */

static void *
ngx_http_spoor_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_spoor_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_spoor_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    mcf->consent_cache = NGX_CONF_UNSET_UINT;
    mcf->geo_cache = NGX_CONF_UNSET_UINT;

    if (ngx_array_init(&mcf->logs, cf->pool, 4,
                       sizeof(ngx_http_spoor_log_t *))
        != NGX_OK
        || ngx_array_init(&mcf->profiles, cf->pool, 2,
                          sizeof(ngx_http_spoor_profiles_t *))
           != NGX_OK)
    {
        return NULL;
    }

    return mcf;
}


static char *
ngx_http_spoor_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_spoor_main_conf_t  *mcf = conf;

    ngx_conf_init_uint_value(mcf->consent_cache,
                             NGX_HTTP_SPOOR_CONSENT_CACHE);
    ngx_conf_init_uint_value(mcf->geo_cache, NGX_HTTP_SPOOR_GEO_CACHE);

    mcf->shm_zone = ngx_shared_memory_add(cf, &ngx_http_spoor_zone_name,
                                          8 * ngx_pagesize,
                                          &ngx_http_spoor_module);
    if (mcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    mcf->shm_zone->init = ngx_http_spoor_status_init_zone;
    mcf->shm_zone->noreuse = 0;

    if (ngx_http_spoor_cookieless_zone(cf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_spoor_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_spoor_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_spoor_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->cookie_name = { 0, NULL };
     *     conf->cookie_domain = { 0, NULL };
     *     conf->cookie_path = { 0, NULL };
     */

    conf->log = NGX_CONF_UNSET_PTR;
    conf->write_keys = NGX_CONF_UNSET_PTR;
    conf->cors_origins = NGX_CONF_UNSET_PTR;
    conf->cors_any = NGX_CONF_UNSET;
    conf->cors_headers = NGX_CONF_UNSET_PTR;
    conf->cookie_max_age = NGX_CONF_UNSET;
    conf->cookie_samesite = NGX_CONF_UNSET_UINT;
    conf->max_event_size = NGX_CONF_UNSET_SIZE;
    conf->max_batch_size = NGX_CONF_UNSET_SIZE;
    conf->max_batch_events = NGX_CONF_UNSET_UINT;
    conf->ip_mode = NGX_CONF_UNSET_UINT;
    conf->geo_precision = NGX_CONF_UNSET_UINT;
    conf->geo_postal = NGX_CONF_UNSET;
    conf->profiles = NGX_CONF_UNSET_PTR;
    conf->profile_ids = NGX_CONF_UNSET_PTR;

    ngx_http_spoor_consent_create_conf(conf);

    return conf;
}


static char *
ngx_http_spoor_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_spoor_loc_conf_t *prev = parent;
    ngx_http_spoor_loc_conf_t *conf = child;

    ngx_http_core_loc_conf_t  *clcf;

    ngx_conf_merge_ptr_value(conf->log, prev->log, NULL);
    ngx_conf_merge_ptr_value(conf->profiles, prev->profiles, NULL);
    ngx_conf_merge_ptr_value(conf->profile_ids, prev->profile_ids, NULL);

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (conf->log == NULL
        && (clcf->handler == ngx_http_spoor_pixel_handler
            || clcf->handler == ngx_http_spoor_segment_handler
            || clcf->handler == ngx_http_spoor_snowplow_handler
            || clcf->handler == ngx_http_spoor_matomo_handler
            || clcf->handler == ngx_http_spoor_plausible_handler))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "location \"%V\" captures events but no "
                           "\"spoor_log\" is in effect there", &clcf->name);
        return NGX_CONF_ERROR;
    }
    ngx_conf_merge_ptr_value(conf->write_keys, prev->write_keys, NULL);
    ngx_conf_merge_ptr_value(conf->cors_origins, prev->cors_origins, NULL);
    ngx_conf_merge_value(conf->cors_any, prev->cors_any, 0);
    ngx_conf_merge_ptr_value(conf->cors_headers, prev->cors_headers, NULL);

    if (ngx_http_spoor_cors_allow_headers(cf, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (conf->cookie_name.data == NULL) {
        if (prev->cookie_name.data) {
            conf->cookie_name = prev->cookie_name;
            conf->cookie_domain = prev->cookie_domain;
            conf->cookie_path = prev->cookie_path;
            conf->cookie_max_age = prev->cookie_max_age;
            conf->cookie_samesite = prev->cookie_samesite;

        } else {
            ngx_str_set(&conf->cookie_name, "_spid");
            ngx_str_set(&conf->cookie_path, "/");
            conf->cookie_max_age = NGX_HTTP_SPOOR_MAX_AGE;
            conf->cookie_samesite = NGX_HTTP_SPOOR_SAMESITE_LAX;
        }
    }

    ngx_conf_merge_size_value(conf->max_event_size, prev->max_event_size,
                              32 * 1024);
    ngx_conf_merge_size_value(conf->max_batch_size, prev->max_batch_size,
                              500 * 1024);
    ngx_conf_merge_uint_value(conf->max_batch_events, prev->max_batch_events,
                              2500);

    if (conf->ip_mode == NGX_CONF_UNSET_UINT) {
        conf->ip_mode = prev->ip_mode;
        conf->ip_mask4 = prev->ip_mask4;
        conf->ip_mask6 = prev->ip_mask6;
    }
    if (conf->ip_mode == NGX_CONF_UNSET_UINT) {
        conf->ip_mode = NGX_HTTP_SPOOR_IP_MASK;
        conf->ip_mask4 = 24;
        conf->ip_mask6 = 48;
    }

    ngx_conf_merge_uint_value(conf->geo_precision, prev->geo_precision, 1);
    ngx_conf_merge_value(conf->geo_postal, prev->geo_postal, 0);

    if (ngx_http_spoor_consent_merge_conf(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    /* a record is a little larger than its event: room for two */
    if (conf->log && conf->log->buffer < 2 * conf->max_event_size + 8192) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "spoor_log \"%V\" buffer=%uz is too small for "
                           "spoor_max_event_size %uz: it needs at least "
                           "twice that plus 8k", &conf->log->file->name,
                           conf->log->buffer, conf->max_event_size);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * spoor_log PATH [buffer=SIZE] [flush=TIME];
 */
static char *
ngx_http_spoor_log_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    ssize_t                      size;
    ngx_int_t                    flush;
    ngx_str_t                   *value, name, s;
    ngx_uint_t                   i;
    ngx_http_spoor_log_t        *log, **logp;
    ngx_http_spoor_main_conf_t  *mcf;

    if (lcf->log != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0 && cf->args->nelts == 2) {
        lcf->log = NULL;
        return NGX_CONF_OK;
    }

    size = NGX_HTTP_SPOOR_BUFFER;
    flush = NGX_HTTP_SPOOR_FLUSH;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "buffer=", 7) == 0) {
            s.len = value[i].len - 7;
            s.data = value[i].data + 7;

            size = ngx_parse_size(&s);

            if (size == NGX_ERROR || size < 4096
                || size > (ssize_t) SPOOR_FRAME_CONTENT_MAX)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V: invalid buffer size \"%V\" "
                                   "(4k .. 16m)", &cmd->name, &s);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "flush=", 6) == 0) {
            s.len = value[i].len - 6;
            s.data = value[i].data + 6;

            flush = ngx_parse_time(&s, 0);

            if (flush == NGX_ERROR || flush == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V: invalid flush time \"%V\"",
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

    name = value[1];

    if (ngx_conf_full_name(cf->cycle, &name, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_spoor_module);

    /* one writer per file: directives naming the same path share it */

    logp = mcf->logs.elts;

    for (i = 0; i < mcf->logs.nelts; i++) {
        if (logp[i]->file->name.len == name.len
            && ngx_strncmp(logp[i]->file->name.data, name.data, name.len)
               == 0)
        {
            if (logp[i]->buffer != (size_t) size
                || logp[i]->flush != (ngx_msec_t) flush)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" is already a spoor_log with "
                                   "other buffer= or flush= values", &name);
                return NGX_CONF_ERROR;
            }

            lcf->log = logp[i];
            return NGX_CONF_OK;
        }
    }

    /*
     * The file must be spoor's alone: another log on it (access_log) would
     * mix its lines into the frames, and NGINX's log module reads an open
     * file's data pointer as its own buffer.  Files opened before this
     * directive are checked here; ngx_http_spoor_postconfiguration()
     * checks that nothing opened later took the file's flush callback.
     */
    if (ngx_http_spoor_file_in_use(cf->cycle, &name)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: \"%V\" is already opened by another log "
                           "directive (access_log?)", &cmd->name, &name);
        return NGX_CONF_ERROR;
    }

    log = ngx_pcalloc(cf->pool, sizeof(ngx_http_spoor_log_t));
    if (log == NULL) {
        return NGX_CONF_ERROR;
    }

    log->file = ngx_conf_open_file(cf->cycle, &value[1]);
    if (log->file == NULL) {
        return NGX_CONF_ERROR;
    }

    log->buffer = size;
    log->flush = flush;
    log->file->flush = ngx_http_spoor_log_open_file_flush;

    logp = ngx_array_push(&mcf->logs);
    if (logp == NULL) {
        return NGX_CONF_ERROR;
    }

    *logp = log;
    lcf->log = log;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_spoor_file_in_use(ngx_cycle_t *cycle, ngx_str_t *name)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_open_file_t  *file;

    part = &cycle->open_files.part;
    file = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }
            part = part->next;
            file = part->elts;
            i = 0;
        }

        if (file[i].name.len == name->len
            && ngx_strncmp(file[i].name.data, name->data, name->len) == 0)
        {
            return 1;
        }
    }
}


static ngx_int_t
ngx_http_spoor_postconfiguration(ngx_conf_t *cf)
{
    ngx_uint_t                   i;
    ngx_http_spoor_log_t       **logp;
    ngx_http_spoor_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_spoor_module);
    logp = mcf->logs.elts;

    for (i = 0; i < mcf->logs.nelts; i++) {
        if (logp[i]->file->flush != ngx_http_spoor_log_open_file_flush
            || logp[i]->file->data != NULL)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "spoor_log \"%V\" is also opened by another log "
                          "directive (access_log?)", &logp[i]->file->name);
            return NGX_ERROR;
        }
    }

    return ngx_http_spoor_status_init(cf);
}


/* spoor_pixel; spoor_segment; spoor_status; */
static char *
ngx_http_spoor_handler_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler != NULL) {
        return "is duplicate, or the location already has a handler";
    }

    clcf->handler = (ngx_http_handler_pt) cmd->post;

    return NGX_CONF_OK;
}


/* spoor_write_keys KEY=SOURCE ...; */
static char *
ngx_http_spoor_write_keys(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    u_char        *eq;
    ngx_str_t     *value;
    ngx_uint_t     i, k;
    ngx_keyval_t  *kv, *all;

    if (lcf->write_keys != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    lcf->write_keys = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                       sizeof(ngx_keyval_t));
    if (lcf->write_keys == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        eq = ngx_strlchr(value[i].data, value[i].data + value[i].len, '=');

        if (eq == NULL || eq == value[i].data
            || eq == value[i].data + value[i].len - 1)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: invalid write key \"%V\", "
                               "expected KEY=SOURCE", &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        all = lcf->write_keys->elts;

        for (k = 0; k < lcf->write_keys->nelts; k++) {
            if ((size_t) (eq - value[i].data) == all[k].key.len
                && ngx_strncmp(all[k].key.data, value[i].data,
                               all[k].key.len) == 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V: duplicate write key \"%V\"",
                                   &cmd->name, &value[i]);
                return NGX_CONF_ERROR;
            }
        }

        kv = ngx_array_push(lcf->write_keys);
        if (kv == NULL) {
            return NGX_CONF_ERROR;
        }

        kv->key.data = value[i].data;
        kv->key.len = eq - value[i].data;
        kv->value.data = eq + 1;
        kv->value.len = value[i].data + value[i].len - (eq + 1);
    }

    return NGX_CONF_OK;
}


/* spoor_cors_origins ORIGIN ... | *; */
static char *
ngx_http_spoor_cors_origins(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    u_char      *p, *host;
    ngx_str_t   *value, *o;
    ngx_uint_t   i;

    if (lcf->cors_origins != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    lcf->cors_origins = ngx_array_create(cf->pool, cf->args->nelts,
                                         sizeof(ngx_str_t));
    if (lcf->cors_origins == NULL) {
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 2 && value[1].len == 1 && value[1].data[0] == '*')
    {
        lcf->cors_any = 1;
        return NGX_CONF_OK;
    }

    lcf->cors_any = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        /* scheme://host[:port], nothing after: what browsers send */

        if (ngx_strncmp(value[i].data, "https://", 8) == 0) {
            host = value[i].data + 8;

        } else if (ngx_strncmp(value[i].data, "http://", 7) == 0) {
            host = value[i].data + 7;

        } else {
            host = NULL;
        }

        if (host != NULL) {
            for (p = host; p < value[i].data + value[i].len; p++) {
                if (*p == '/' || *p == '?' || *p == '#' || *p == '*') {
                    host = NULL;
                    break;
                }
            }
        }

        if (host == NULL || host == value[i].data + value[i].len) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: invalid origin \"%V\", expected "
                               "scheme://host[:port] or a single \"*\"",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        o = ngx_array_push(lcf->cors_origins);
        if (o == NULL) {
            return NGX_CONF_ERROR;
        }

        *o = value[i];
    }

    return NGX_CONF_OK;
}


/* spoor_cors_headers NAME ...; request header names preflights allow */
static char *
ngx_http_spoor_cors_headers(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    ngx_str_t   *value, *h;
    ngx_uint_t   i;

    if (lcf->cors_headers != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    lcf->cors_headers = ngx_array_create(cf->pool, cf->args->nelts,
                                         sizeof(ngx_str_t));
    if (lcf->cors_headers == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {

        if (!ngx_http_spoor_token_ok(&value[i])) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: invalid header name \"%V\"",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        h = ngx_array_push(lcf->cors_headers);
        if (h == NULL) {
            return NGX_CONF_ERROR;
        }

        *h = value[i];
    }

    return NGX_CONF_OK;
}


/*
 * The preflight's Access-Control-Allow-Headers, built once per location:
 * the headers the real clients send (analytics.js: Authorization,
 * Content-Type, X-Retry-Count; RudderStack's browser SDK: AnonymousId,
 * SentAt and its retry headers; Snowplow: SP-Anonymous), then the names of
 * spoor_cors_headers.
 */
static char *
ngx_http_spoor_cors_allow_headers(ngx_conf_t *cf,
    ngx_http_spoor_loc_conf_t *conf)
{
    u_char      *p;
    size_t       len;
    ngx_str_t   *h;
    ngx_uint_t   i, n;

    static ngx_str_t  clients = ngx_string(
        "Authorization, Content-Type, X-Retry-Count, AnonymousId, SentAt, "
        "Rsa-Retry-Attempt, Rsa-Since-Last-Attempt, Rsa-Since-First-Attempt, "
        "Rsa-Recovered, SP-Anonymous");

    h = conf->cors_headers ? conf->cors_headers->elts : NULL;
    n = conf->cors_headers ? conf->cors_headers->nelts : 0;

    if (n == 0) {
        conf->cors_allow_headers = clients;
        return NGX_CONF_OK;
    }

    len = clients.len;
    for (i = 0; i < n; i++) {
        len += sizeof(", ") - 1 + h[i].len;
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    conf->cors_allow_headers.data = p;
    conf->cors_allow_headers.len = len;

    p = ngx_cpymem(p, clients.data, clients.len);
    for (i = 0; i < n; i++) {
        *p++ = ',';
        *p++ = ' ';
        p = ngx_cpymem(p, h[i].data, h[i].len);
    }

    return NGX_CONF_OK;
}


/*
 * spoor_visitor_cookie NAME [max_age=TIME] [domain=D] [path=P]
 *     [samesite=lax|strict|none];
 */
static char *
ngx_http_spoor_visitor_cookie(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    time_t       age;
    ngx_str_t   *value, s;
    ngx_uint_t   i;

    if (lcf->cookie_name.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (!ngx_http_spoor_token_ok(&value[1])) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: invalid cookie name \"%V\"",
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    lcf->cookie_name = value[1];
    ngx_str_set(&lcf->cookie_path, "/");
    lcf->cookie_max_age = NGX_HTTP_SPOOR_MAX_AGE;
    lcf->cookie_samesite = NGX_HTTP_SPOOR_SAMESITE_LAX;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "max_age=", 8) == 0) {
            s.len = value[i].len - 8;
            s.data = value[i].data + 8;

            age = ngx_parse_time(&s, 1);
            if (age == (time_t) NGX_ERROR || age <= 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V: invalid max_age \"%V\"",
                                   &cmd->name, &s);
                return NGX_CONF_ERROR;
            }

            lcf->cookie_max_age = age;
            continue;
        }

        if (ngx_strncmp(value[i].data, "domain=", 7) == 0) {
            s.len = value[i].len - 7;
            s.data = value[i].data + 7;

            if (s.len == 0 || ngx_strlchr(s.data, s.data + s.len, ';')
                || ngx_strlchr(s.data, s.data + s.len, ' '))
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V: invalid domain \"%V\"",
                                   &cmd->name, &s);
                return NGX_CONF_ERROR;
            }

            lcf->cookie_domain = s;
            continue;
        }

        if (ngx_strncmp(value[i].data, "path=", 5) == 0) {
            s.len = value[i].len - 5;
            s.data = value[i].data + 5;

            if (s.len == 0 || s.data[0] != '/'
                || ngx_strlchr(s.data, s.data + s.len, ';'))
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V: invalid path \"%V\"",
                                   &cmd->name, &s);
                return NGX_CONF_ERROR;
            }

            lcf->cookie_path = s;
            continue;
        }

        if (ngx_strcmp(value[i].data, "samesite=lax") == 0) {
            lcf->cookie_samesite = NGX_HTTP_SPOOR_SAMESITE_LAX;
            continue;
        }

        if (ngx_strcmp(value[i].data, "samesite=strict") == 0) {
            lcf->cookie_samesite = NGX_HTTP_SPOOR_SAMESITE_STRICT;
            continue;
        }

        if (ngx_strcmp(value[i].data, "samesite=none") == 0) {
            lcf->cookie_samesite = NGX_HTTP_SPOOR_SAMESITE_NONE;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: invalid parameter \"%V\"", &cmd->name,
                           &value[i]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * spoor_cache [consent=N] [geo=N];  entries of the per-worker consent and
 * location caches, 0 (off) .. 65536.
 */
static char *
ngx_http_spoor_cache_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_spoor_main_conf_t *mcf = conf;

    ngx_int_t    n;
    ngx_str_t   *value, s;
    ngx_uint_t   i, *field;

    if (mcf->consent_cache != NGX_CONF_UNSET_UINT
        || mcf->geo_cache != NGX_CONF_UNSET_UINT)
    {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "consent=", 8) == 0) {
            field = &mcf->consent_cache;
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

        } else if (ngx_strncmp(value[i].data, "geo=", 4) == 0) {
            field = &mcf->geo_cache;
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: invalid parameter \"%V\", expected "
                               "consent=N or geo=N", &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        n = ngx_atoi(s.data, s.len);

        if (n == NGX_ERROR || n > 65536 || *field != NGX_CONF_UNSET_UINT) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: invalid or repeated \"%V\" (entries: "
                               "0 .. 65536, 0 turns the cache off)",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        *field = (ngx_uint_t) n;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_spoor_check_size(ngx_conf_t *cf, void *post, void *data)
{
    size_t     *sp = data;
    ngx_str_t  *value = cf->args->elts;

    if (*sp < 1024 || *sp > 16 * 1024 * 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: \"%V\" is out of range (1k .. 16m)",
                           &value[0], &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_spoor_check_count(ngx_conf_t *cf, void *post, void *data)
{
    ngx_uint_t  *np = data;
    ngx_str_t   *value = cf->args->elts;

    if (*np < 1 || *np > 100000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: \"%V\" is out of range (1 .. 100000)",
                           &value[0], &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* ---- processes ------------------------------------------------------------- */

static ngx_int_t
ngx_http_spoor_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                   i;
    ngx_http_spoor_log_t       **logp;
    ngx_http_spoor_main_conf_t  *mcf;

    ngx_http_spoor_visitor_init_worker();

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_spoor_module);
    if (mcf == NULL) {
        return NGX_OK;
    }

    logp = mcf->logs.elts;

    for (i = 0; i < mcf->logs.nelts; i++) {
        if (ngx_http_spoor_log_init_worker(logp[i], cycle) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    ngx_http_spoor_log_set_all(&mcf->logs);

    if (ngx_http_spoor_geo_init_worker(mcf, cycle->log) != NGX_OK
        || ngx_http_spoor_consent_init_worker(mcf->consent_cache, cycle->log)
           != NGX_OK
        || ngx_http_spoor_profiles_init_worker(mcf, cycle) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_spoor_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                   i;
    ngx_http_spoor_log_t       **logp;
    ngx_http_spoor_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_spoor_module);
    if (mcf == NULL) {
        return;
    }

    logp = mcf->logs.elts;

    for (i = 0; i < mcf->logs.nelts; i++) {
        ngx_http_spoor_log_exit_worker(logp[i], cycle);
    }

    ngx_http_spoor_profiles_exit_worker(mcf);
}


/* ---- variables ----------------------------------------------------------------- */

static ngx_int_t
ngx_http_spoor_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_spoor_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_spoor_visitor_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_spoor_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spoor_module);

    if (ctx == NULL || ctx->visitor_id.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = ctx->visitor_id.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = ctx->visitor_id.data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_spoor_events_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                *p;
    ngx_http_spoor_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_spoor_module);

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->len = ngx_sprintf(p, "%ui", ctx ? ctx->events : 0) - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return NGX_OK;
}
