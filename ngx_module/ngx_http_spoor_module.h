/*
 * ngx_http_spoor_module.h -- the types the files of the spoor module
 * share: configuration, the per-worker event log, the status counters in
 * shared memory, the location databases, and the request context.  Only
 * types: each file's functions are declared in the file's own header,
 * and the headers include one another in one direction only:
 *
 *   module.h  <-  request.h, response.h        (reading and answering)
 *             <-  status.h                     (counters, status page)
 *             <-  body.h                       (a body, whole, inflated)
 *             <-  log.h, geo.h, visitor.h, cookieless.h
 *             <-  consent_conf.h, consent.h    (directives; decisions)
 *             <-  capture.h                    (the one capture path)
 *             <-  profiles.h                   (profiles served back)
 *             <-  the endpoints: pixel.c, segment.c, snowplow.c,
 *                 matomo.c, plausible.c;
 *                 module.c
 */
#ifndef NGX_HTTP_SPOOR_MODULE_H
#define NGX_HTTP_SPOOR_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "consent.h"
#include "consent_map.h"
#include "consent_tcf.h"
#include "event.h"
#include "geoip.h"
#include "privacy.h"
#include "profile_lookup.h"
#include "profile_view.h"
#include "logwriter.h"
#include "segment.h"
#include "snapshot.h"


/* ---- the event log ------------------------------------------------------ */

/*
 * One per distinct spoor_log path.  Lives in the configuration pool; after
 * the fork every worker has its own copy, so `writer`, `event` and
 * `error_logged` are per worker.  `file` is NGINX's open file, shared by
 * every directive that names the same path, and reopened by NGINX on USR1
 * (after file->flush, which flushes the writer; file->data stays NULL).
 */
typedef struct {
    ngx_open_file_t        *file;
    size_t                  buffer;
    ngx_msec_t              flush;
    spoor_writer_t         *writer;
    ngx_event_t             event;        /* the flush timer */
    time_t                  error_logged;
} ngx_http_spoor_log_t;


/* ---- status counters ------------------------------------------------------ */

typedef enum {
    NGX_HTTP_SPOOR_EP_PIXEL = 0,
    NGX_HTTP_SPOOR_EP_SEGMENT,
    NGX_HTTP_SPOOR_EP_SNOWPLOW,
    NGX_HTTP_SPOOR_EP_MATOMO,
    NGX_HTTP_SPOOR_EP_PLAUSIBLE,
    NGX_HTTP_SPOOR_EP_STATUS,
    NGX_HTTP_SPOOR_EP_MAX
} ngx_http_spoor_endpoint_e;

/* answers counted by status; anything else is counted as "other" */
#define NGX_HTTP_SPOOR_STATUSES  { 200, 202, 204, 400, 401, 403, 404, 405, \
                                   413, 415, 500, 0 }
#define NGX_HTTP_SPOOR_NSTATUS   12

/* reasons an event is rejected: the Segment reasons, then the module's */
#define NGX_HTTP_SPOOR_R_TOO_LARGE    SPOOR_SEG_MAX
#define NGX_HTTP_SPOOR_R_UNAUTHORIZED (SPOOR_SEG_MAX + 1)
#define NGX_HTTP_SPOOR_R_WRITE        (SPOOR_SEG_MAX + 2)
#define NGX_HTTP_SPOOR_R_BAD_ENCODING (SPOOR_SEG_MAX + 3)
#define NGX_HTTP_SPOOR_R_UNSUPPORTED_ENCODING (SPOOR_SEG_MAX + 4)
#define NGX_HTTP_SPOOR_R_NOT_RECORDED (SPOOR_SEG_MAX + 5)
#define NGX_HTTP_SPOOR_NREASON        (SPOOR_SEG_MAX + 6)

/* Counters summed over all workers (a shared-memory zone). */
typedef struct {
    ngx_atomic_t   requests[NGX_HTTP_SPOOR_EP_MAX][NGX_HTTP_SPOOR_NSTATUS];
    ngx_atomic_t   events_accepted;
    ngx_atomic_t   events_rejected[NGX_HTTP_SPOOR_NREASON];
    ngx_atomic_t   records_written;
    ngx_atomic_t   bytes_written;
    ngx_atomic_t   frames_written;
    ngx_atomic_t   frames_dropped;
    ngx_atomic_t   records_dropped;
    ngx_atomic_t   flushes;
    ngx_atomic_t   reopens;
    ngx_atomic_t   geo_lookups;
    ngx_atomic_t   geo_misses;
    ngx_atomic_t   geo_reloads;
    ngx_atomic_t   geo_reload_failures;
    ngx_atomic_t   geo_build[2];          /* city, asn: build epoch */
    ngx_atomic_t   consent[SPOOR_SIG_MAX + 1][SPOOR_ACTION_MAX];
    ngx_atomic_t   consent_withdrawals;
    ngx_atomic_t   consent_cache_hits;
    ngx_atomic_t   consent_cache_misses;
    ngx_atomic_t   geo_cache_hits;
    ngx_atomic_t   profile_lookups;
    ngx_atomic_t   profile_hits;
    ngx_atomic_t   profile_misses;
    ngx_atomic_t   profile_refusals;      /* no consent to personalize */
    ngx_atomic_t   profile_loads;         /* generations swapped in */
    ngx_atomic_t   profile_load_failures; /* generations refused */
} ngx_http_spoor_stats_t;


/* ---- location databases ---------------------------------------------------- */

/*
 * One MaxMind database file.  Opened when the configuration is read (so
 * nginx -t fails on a missing or broken file); after the fork each worker
 * has its own copy of this struct and replaces `db` on its own when the
 * file changes (checked at most every spoor_geoip check= interval).
 * `uniq`, `mtime` and `size` identify the file `db` was opened from;
 * the `bad_*` fields a replacement that failed, so it is tried only once.
 */
typedef struct {
    ngx_str_t               path;
    ngx_uint_t              index;         /* 0 city, 1 asn (metrics) */
    spoor_geoip_t          *db;
    ngx_file_uniq_t         uniq;
    time_t                  mtime;
    off_t                   size;
    ngx_file_uniq_t         bad_uniq;
    time_t                  bad_mtime;
    off_t                   bad_size;
} ngx_http_spoor_geodb_t;


/* ---- profiles served back ------------------------------------------------ */

/*
 * One file of a generation, mapped read-only by one worker: a serving
 * view gen-N.serve, or, for a generation written by an older spoor, its
 * snapshot gen-N.snap (legacy).  A delta's files are shared by the
 * chains of the generations after it, so a file is its own object:
 * `refs` counts the generations (chains) that hold it, and it is
 * unmapped when that reaches 0.  A new chain takes the files the current
 * one already has (same name, same file) instead of mapping and
 * checking them again.  Allocated with ngx_alloc().
 */
typedef struct {
    spoor_snap_t           *snap;
    spoor_profile_serve_t   serve;         /* its names (not legacy) */
    ngx_uint_t              refs;
    ngx_uint_t              verified;      /* 1: whole-file checksum
                                              matched */
    ngx_file_uniq_t         uniq;
    u_char                  name[72];      /* "gen-000007.serve" */
} ngx_http_spoor_gfile_t;

/*
 * One generation of a state, as one worker serves it: the chain of its
 * files, newest (the one CURRENT names) first, down to its base
 * (gen_chain.h; a full generation is a chain of one).  `refs` counts the
 * requests that looked a profile up in it, plus one while it is the
 * state's current generation; at 0 it releases its files, so a request
 * never sees its profile vanish.  `serve` is the newest file's names
 * (every file of the chain has the same), NULL for a legacy generation.
 * Allocated with ngx_alloc() (a generation outlives any one request or
 * cycle pool).
 */
typedef struct {
    ngx_http_spoor_gfile_t       *file[SPOOR_CHAIN_DELTAS_MAX + 1];
    spoor_profile_chain_t         chain;   /* the files' snapshots */
    const spoor_profile_serve_t  *serve;
    ngx_uint_t                    legacy;  /* 1: a full snapshot, no
                                              serving view (serve NULL) */
    ngx_uint_t                    refs;
    ngx_file_uniq_t               uniq;    /* of the newest file */
    u_char                        name[64];    /* CURRENT's:
                                                  "gen-000007.snap" */
} ngx_http_spoor_gen_t;

/*
 * One per distinct spoor_profiles directory (in the configuration pool;
 * after the fork every worker has its own copy).  Per worker: the
 * current generation, a newer one whose new files' whole-file checksums
 * are being checked a step at a time, one file after another, before it
 * replaces the current one (`hashing` is the first unverified file's),
 * and the name and file of the last generation refused, which is not
 * tried again until CURRENT names another file.
 */
typedef struct {
    ngx_str_t               dir;           /* NUL-terminated */
    ngx_msec_t              check;
    ngx_str_t              *key;           /* key=: the index key of keyed
                                              files (serve_key.h); NULL:
                                              none */
    spoor_keyed_t          *keyed;         /* key prepared, per worker */
    u_char                  key_id[SPOOR_SERVE_KEY_ID_LEN];
    ngx_http_spoor_gen_t   *current;       /* NULL: none usable */
    ngx_http_spoor_gen_t   *pending;
    void                   *hashing;       /* spoor_snap_hashing_t */
    ngx_file_uniq_t         bad_uniq;
    u_char                  bad[64];
    ngx_uint_t              missing_logged;
    ngx_event_t             event;
} ngx_http_spoor_profiles_t;

/* spoor_profiles_id KIND VALUE: another id a request is looked up by. */
typedef struct {
    u_char                     kind;       /* 'u', 'a' or 'v' */
    ngx_http_complex_value_t   value;
} ngx_http_spoor_profile_id_t;


/* ---- configuration --------------------------------------------------------- */

/* The cookies the module reads, found in one pass over the Cookie
 * headers (ngx_http_spoor_read_cookies(), request.h); their names are
 * set when the configuration is merged (cookie_names below). */
enum {
    NGX_HTTP_SPOOR_CK_VISITOR = 0,
    NGX_HTTP_SPOOR_CK_TCF,
    NGX_HTTP_SPOOR_CK_ONETRUST,
    NGX_HTTP_SPOOR_CK_COOKIEBOT,
    NGX_HTTP_SPOOR_CK_SITE,
    NGX_HTTP_SPOOR_CK_MAX
};


typedef struct {
    ngx_array_t             logs;          /* of ngx_http_spoor_log_t * */
    ngx_array_t             profiles;      /* of ngx_http_spoor_profiles_t * */
    ngx_shm_zone_t         *shm_zone;

    ngx_http_spoor_geodb_t *geo_city;      /* NULL: no spoor_geoip */
    ngx_http_spoor_geodb_t *geo_asn;
    time_t                  geo_check;
    time_t                  geo_checked;   /* per worker */

    ngx_uint_t              consent_cache; /* entries per worker; 0: off */
    ngx_uint_t              geo_cache;
} ngx_http_spoor_main_conf_t;

typedef enum {
    NGX_HTTP_SPOOR_IP_MASK = 0,
    NGX_HTTP_SPOOR_IP_DROP,
    NGX_HTTP_SPOOR_IP_FULL
} ngx_http_spoor_ip_e;

typedef enum {
    NGX_HTTP_SPOOR_SAMESITE_LAX = 0,
    NGX_HTTP_SPOOR_SAMESITE_STRICT,
    NGX_HTTP_SPOOR_SAMESITE_NONE
} ngx_http_spoor_samesite_e;

typedef struct {
    ngx_http_spoor_log_t   *log;           /* NGX_CONF_UNSET_PTR: unset */

    ngx_array_t            *write_keys;    /* of ngx_keyval_t: key, source */
    ngx_array_t            *cors_origins;  /* of ngx_str_t; unset: none */
    ngx_flag_t              cors_any;
    ngx_array_t            *cors_headers;  /* of ngx_str_t: added names */
    ngx_str_t               cors_allow_headers; /* the preflight's answer,
                                                   built at merge */

    ngx_str_t               cookie_name;
    time_t                  cookie_max_age;
    ngx_str_t               cookie_domain;
    ngx_str_t               cookie_path;
    ngx_uint_t              cookie_samesite;

    size_t                  max_event_size;
    size_t                  max_batch_size;
    ngx_uint_t              max_batch_events;

    ngx_uint_t              ip_mode;       /* NGX_HTTP_SPOOR_IP_* */
    ngx_uint_t              ip_mask4;
    ngx_uint_t              ip_mask6;
    ngx_uint_t              geo_precision;
    ngx_flag_t              geo_postal;

    /* consent and privacy (ngx_http_spoor_consent.c): the directives'
     * values, then what the merge builds from them */
    ngx_array_t            *consent_order;      /* of spoor_signal_e */
    ngx_uint_t              consent_required;   /* spoor_required_e */
    ngx_array_t            *consent_countries;  /* of u_char[2] */
    ngx_uint_t              consent_missing;    /* spoor_action_e */
    ngx_uint_t              consent_gpc;        /* SPOOR_CAT_* */
    ngx_str_t               consent_cookie;     /* data NULL: unset */
    ngx_str_t               tcf_cookie;
    ngx_uint_t              tcf_vendor;         /* 0: none */
    ngx_flag_t              tcf_li_analytics;
    ngx_array_t            *onetrust_ids[SPOOR_CONSENT_MAP_NCAT];
    ngx_array_t            *segment_ids[SPOOR_CONSENT_MAP_NCAT];
    ngx_array_t            *sensitive_traits;   /* of spoor_str_t */
    ngx_array_t            *pseudonymize;       /* of spoor_str_t */
    ngx_flag_t              pseudonymize_user_id;
    ngx_str_t              *secret;             /* key bytes */

    spoor_consent_policy_t *policy;
    spoor_consent_map_t    *onetrust_map;
    spoor_consent_map_t    *segment_map;
    spoor_tcf_policy_t      tcf;
    spoor_privacy_t         privacy;

    /* profiles served back (profiles.c) */
    ngx_http_spoor_profiles_t *profiles;   /* UNSET_PTR; NULL: off */
    ngx_array_t            *profile_ids;   /* of ngx_http_spoor_profile_id_t */

    /* the cookies the request scan looks for, by NGX_HTTP_SPOOR_CK_*;
     * a name of length 0 is not looked for */
    ngx_str_t               cookie_names[NGX_HTTP_SPOOR_CK_MAX];
} ngx_http_spoor_loc_conf_t;


/* ---- per request ------------------------------------------------------------- */

/* Request header lines read (Sec-GPC, DNT): at most this many each. */
#define NGX_HTTP_SPOOR_HEADERS_MAX  16

typedef struct {
    ngx_str_t               visitor_id;    /* empty: none */
    ngx_uint_t              events;        /* accepted in this request */
    ngx_uint_t              endpoint;      /* NGX_HTTP_SPOOR_EP_*; EP_MAX:
                                              made by a variable */
    ngx_uint_t              set_cookie;
    spoor_kind_t            route;         /* segment: what the path asks */
    off_t                   limit;         /* segment: body size limit */
    ngx_uint_t              geo_done;      /* the lookup below was made */
    ngx_int_t               geo_found;
    spoor_geo_t             geo;

    /* the request's headers and cookies, each read in one pass
     * (request.h): data NULL when the request has none */
    ngx_uint_t              headers_read;
    ngx_str_t               origin;
    ngx_str_t               accept_language;
    ngx_str_t               content_encoding;  /* data NULL: none */
    ngx_uint_t              sp_anonymous;      /* SP-Anonymous: Snowplow's
                                                  anonymous tracking */
    ngx_uint_t              cors_refused;      /* the origin is not allowed
                                                  (its CORS headers, if
                                                  allowed, are set once) */
    size_t                  ngpc, ndnt;
    spoor_str_t             gpc[NGX_HTTP_SPOOR_HEADERS_MAX];
    spoor_str_t             dnt[NGX_HTTP_SPOOR_HEADERS_MAX];
    ngx_uint_t              cookies_read;
    ngx_str_t               cookie[NGX_HTTP_SPOOR_CK_MAX];

    /* consent: the request's signals (cookies, headers, location), read
     * once; the decision for the request's first event, which decides
     * the visitor cookie; the cookieless id, made once */
    ngx_uint_t              consent_read;
    spoor_consent_input_t   consent_in;
    ngx_uint_t              decided;
    spoor_consent_decision_t decision;
    const msgpack_object   *decision_prefs;    /* the prefs it was taken
                                                  with (NULL: none) */
    ngx_str_t               cookieless_id;
    ngx_str_t               source;            /* the write key's source */
    ngx_uint_t              cookie_present;
    ngx_str_t               cookie_id;         /* a valid id in the cookie */
    u_char                 *privacy_buf;       /* spoor_privacy_apply() */

    /* the visitor's profile, looked up once for the variables (profiles.c):
     * profile_gen is referenced until the request ends */
    ngx_uint_t              profile_done;
    ngx_uint_t              profile_found;
    ngx_http_spoor_gen_t   *profile_gen;
    spoor_profile_view_t    profile;
} ngx_http_spoor_ctx_t;


extern ngx_module_t  ngx_http_spoor_module;

#endif /* NGX_HTTP_SPOOR_MODULE_H */
