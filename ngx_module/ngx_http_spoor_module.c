
/*
 * ngx_http_spoor_module: records HTTP traffic for the spoor analyzer.
 *
 * This is the module skeleton: it registers itself with nginx, has no
 * directives yet and installs no handlers.  The capture handlers (and the
 * spoor_* directives that configure them) arrive with the capture issue.
 *
 * Build: see the top-level Makefile (`make build/ngx_http_spoor_module.so`)
 * and the addon script `config`, which also compiles the shared/ sources into
 * this module.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


static ngx_int_t ngx_http_spoor_init(ngx_conf_t *cf);


static ngx_command_t  ngx_http_spoor_commands[] = {

    /* spoor_* directives arrive with the capture issue */

      ngx_null_command
};


static ngx_http_module_t  ngx_http_spoor_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_spoor_init,                   /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_spoor_module = {
    NGX_MODULE_V1,
    &ngx_http_spoor_module_ctx,            /* module context */
    ngx_http_spoor_commands,               /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_spoor_init(ngx_conf_t *cf)
{
    /*
     * Postconfiguration hook: the capture issue registers the request
     * handlers (log phase) and body filters here.  Nothing to do yet.
     */

    return NGX_OK;
}
