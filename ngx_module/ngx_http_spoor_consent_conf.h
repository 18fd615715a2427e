/*
 * ngx_http_spoor_consent_conf.h -- the consent and privacy directives
 * and their merge (what requests read from ngx_http_spoor_loc_conf_t:
 * policy, maps, tcf, privacy, cookie_names).  Depends on module.h.
 */
#ifndef NGX_HTTP_SPOOR_CONSENT_CONF_H
#define NGX_HTTP_SPOOR_CONSENT_CONF_H

#include "ngx_http_spoor_module.h"


char *ngx_http_spoor_consent_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_spoor_consent_required_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_spoor_consent_missing_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_spoor_consent_gpc_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_spoor_consent_name_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_spoor_tcf_vendor_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_spoor_tcf_analytics_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_spoor_consent_ids_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_spoor_traits_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_spoor_secret_file_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/* A key from the file at *path (spoor_secret_file, spoor_profiles key=):
 * its bytes without trailing white space, at least SPOOR_KEY_MIN
 * (serve_key.h), in cf's pool and wiped with it; *path is made absolute.
 * NULL, logged naming cmd, when the file is unfit. */
ngx_str_t *ngx_http_spoor_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *path);

/* Sets the consent fields of a new location configuration unset. */
void ngx_http_spoor_consent_create_conf(ngx_http_spoor_loc_conf_t *conf);

/* Merges them and builds what requests use; called after the visitor
 * cookie is merged.  NGX_CONF_OK or NGX_CONF_ERROR. */
char *ngx_http_spoor_consent_merge_conf(ngx_conf_t *cf,
    ngx_http_spoor_loc_conf_t *prev, ngx_http_spoor_loc_conf_t *conf);

/* Whether s is a token (RFC 9110; 1..256 bytes): the one check of every
 * directive that names a cookie (RFC 6265 names are tokens) or a header. */
ngx_uint_t ngx_http_spoor_token_ok(ngx_str_t *s);

#endif /* NGX_HTTP_SPOOR_CONSENT_CONF_H */
