/*
 * ngx_http_spoor_profiles.h -- profiles served back to requests: the
 * spoor_profiles and spoor_profiles_id directives, each worker's mapping
 * of a state's current generation (swapped for a newer one without a
 * reload), and the $spoor_* profile variables.  Depends on module.h,
 * request.h, consent.h, status.h, visitor.h.
 *
 * A worker checks DIR/CURRENT every check= interval (a timer).  When it
 * names another file, the generation's serving view gen-N.serve is opened
 * (header, table, index and meta checked, versions included; a
 * generation without one this module reads is served from gen-N.snap).
 * A delta generation's serving view is read with the chain it belongs to
 * (gen_chain.h): gen-(N-1).serve, and so on down to its base, every link
 * checked, every file with the same segment and lifecycle names.  The
 * whole-file checksum of each file not already in the current chain is
 * computed NGX_HTTP_SPOOR_HASH_STEP bytes per timer tick (a full snapshot
 * also gets its index directory, NGX_HTTP_SPOOR_DIR_STEP entries per
 * tick), so that a large generation never stops the worker, and a new
 * delta costs the hashing of the delta alone: the files the current
 * chain shares with the new one (same name, same file) are taken as they
 * are.  Only a generation that passes replaces the current one.  One that
 * fails (a damaged, missing or ill-linked file anywhere in its chain) is
 * logged once and not tried again until CURRENT names another file; the
 * previous generation (or none) stays in use.  A request that looked a
 * profile up keeps its generation, and so every file of its chain, mapped
 * until it ends.
 */
#ifndef NGX_HTTP_SPOOR_PROFILES_H
#define NGX_HTTP_SPOOR_PROFILES_H

#include "ngx_http_spoor_module.h"


#define NGX_HTTP_SPOOR_PROFILES_CHECK  1000           /* ms */
#define NGX_HTTP_SPOOR_HASH_STEP       (16 << 20)     /* bytes per tick */
#define NGX_HTTP_SPOOR_DIR_STEP        (256 << 10)    /* index entries per
                                                         tick (4 MiB) */

/* spoor_profiles DIR [check=TIME] [key=FILE] | off; */
char *ngx_http_spoor_profiles_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* spoor_profiles_id user|anonymous|visitor VALUE; */
char *ngx_http_spoor_profiles_id_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/*
 * The variables (module.c lists them).  profile_var: data is one of
 * NGX_HTTP_SPOOR_V_* ($spoor_profile_found, $spoor_segments,
 * $spoor_lifecycle, $spoor_rfm); segment_var and trait_var are the
 * prefix variables $spoor_segment_NAME and $spoor_trait_NAME.  Empty
 * when the request has no profile to serve.
 */
enum {
    NGX_HTTP_SPOOR_V_FOUND = 0,
    NGX_HTTP_SPOOR_V_SEGMENTS,
    NGX_HTTP_SPOOR_V_LIFECYCLE,
    NGX_HTTP_SPOOR_V_RFM
};

ngx_int_t ngx_http_spoor_profile_var(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_spoor_segment_var(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_spoor_trait_var(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

/* Maps each state's current generation (checked whole, synchronously)
 * and starts the timers; exit unmaps.  NGX_OK or NGX_ERROR (memory). */
ngx_int_t ngx_http_spoor_profiles_init_worker(
    ngx_http_spoor_main_conf_t *mcf, ngx_cycle_t *cycle);
void ngx_http_spoor_profiles_exit_worker(ngx_http_spoor_main_conf_t *mcf);

#endif /* NGX_HTTP_SPOOR_PROFILES_H */
