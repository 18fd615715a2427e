/*
 * ngx_http_spoor_consent.c -- consent enforced before anything is
 * written: the consent and privacy directives, the request's signals,
 * the decision per event (shared/consent.h) and what it changes.
 *
 * Per request: the signals in cookies and headers and the visitor's
 * country are read once (ctx->consent_in, only the signals the policy
 * lists); the decision for the request's first event keeps, issues or
 * deletes the visitor cookie and records a withdrawal.  Per event: the
 * event's own Segment consent joins the request's signals, the decision
 * is taken again and applied to the event.  The cookieless id is a keyed
 * hash of the day's salt (shared memory, rotated at 00:00 UTC, never
 * written anywhere), the source, the client address and the user agent.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_module.h"
#include "consent_cookie.h"
#include "consent_cookiebot.h"
#include "consent_headers.h"
#include "consent_onetrust.h"
#include "consent_segment.h"
#include "keyed_hash.h"


#define NGX_HTTP_SPOOR_HEADERS_MAX  16     /* Sec-GPC, DNT lines read */
#define NGX_HTTP_SPOOR_CL_BYTES     16     /* cookieless id: 32 hex */


static ngx_str_t  ngx_http_spoor_onetrust_cookie = ngx_string("OptanonConsent");
static ngx_str_t  ngx_http_spoor_cookiebot_cookie = ngx_string("CookieConsent");


/* ---- directives ---------------------------------------------------------- */

/* spoor_consent SIGNAL ... | off; */
char *
ngx_http_spoor_consent_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    ngx_str_t       *value;
    ngx_uint_t       i, j;
    spoor_signal_e   s, *sp, *have;

    if (lcf->consent_order != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    lcf->consent_order = ngx_array_create(cf->pool, SPOOR_SIG_MAX,
                                          sizeof(spoor_signal_e));
    if (lcf->consent_order == NULL) {
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        return NGX_CONF_OK;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        s = spoor_signal_from_name((char *) value[i].data, value[i].len);
        if (s == SPOOR_SIG_NONE) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: unknown signal \"%V\" (tcf, onetrust, "
                               "cookiebot, segment, cookie, gpc, dnt)",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        have = lcf->consent_order->elts;
        for (j = 0; j < lcf->consent_order->nelts; j++) {
            if (have[j] == s) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V: signal \"%V\" is listed twice",
                                   &cmd->name, &value[i]);
                return NGX_CONF_ERROR;
            }
        }

        sp = ngx_array_push(lcf->consent_order);
        if (sp == NULL) {
            return NGX_CONF_ERROR;
        }
        *sp = s;
    }

    return NGX_CONF_OK;
}


static ngx_uint_t
ngx_http_spoor_letter(u_char c)
{
    c |= 0x20;
    return c >= 'a' && c <= 'z';
}


/* spoor_consent_required all | none | eu | countries CC ...; */
char *
ngx_http_spoor_consent_required_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    u_char      *cc;
    ngx_str_t   *value;
    ngx_uint_t   i, j;

    if (lcf->consent_required != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2) {
        if (ngx_strcmp(value[1].data, "all") == 0) {
            lcf->consent_required = SPOOR_REQUIRED_ALL;
            return NGX_CONF_OK;
        }
        if (ngx_strcmp(value[1].data, "none") == 0) {
            lcf->consent_required = SPOOR_REQUIRED_NONE;
            return NGX_CONF_OK;
        }
        if (ngx_strcmp(value[1].data, "eu") == 0) {
            lcf->consent_required = SPOOR_REQUIRED_EU;
            return NGX_CONF_OK;
        }
    }

    if (ngx_strcmp(value[1].data, "countries") != 0 || cf->args->nelts < 3) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: expected \"all\", \"none\", \"eu\" or "
                           "\"countries CC ...\", not \"%V\"",
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts - 2 > SPOOR_CONSENT_COUNTRIES_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: more than %d countries", &cmd->name,
                           SPOOR_CONSENT_COUNTRIES_MAX);
        return NGX_CONF_ERROR;
    }

    lcf->consent_countries = ngx_array_create(cf->pool, cf->args->nelts - 2,
                                              2);
    if (lcf->consent_countries == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {
        if (value[i].len != 2
            || !ngx_http_spoor_letter(value[i].data[0])
            || !ngx_http_spoor_letter(value[i].data[1]))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: \"%V\" is not a two-letter country code "
                               "(ISO 3166-1 alpha-2)", &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        cc = ngx_array_push(lcf->consent_countries);
        if (cc == NULL) {
            return NGX_CONF_ERROR;
        }
        for (j = 0; j < 2; j++) {
            cc[j] = ngx_toupper(value[i].data[j]);
        }
    }

    lcf->consent_required = SPOOR_REQUIRED_COUNTRIES;

    return NGX_CONF_OK;
}


/* spoor_consent_missing drop | anonymous; */
char *
ngx_http_spoor_consent_missing_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    ngx_str_t  *value = cf->args->elts;

    if (lcf->consent_missing != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    if (ngx_strcmp(value[1].data, "drop") == 0) {
        lcf->consent_missing = SPOOR_ACTION_DROP;

    } else if (ngx_strcmp(value[1].data, "anonymous") == 0) {
        lcf->consent_missing = SPOOR_ACTION_ANONYMOUS;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: expected \"drop\" or \"anonymous\", not "
                           "\"%V\"", &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* spoor_consent_gpc CATEGORY ...; (marketing among them) */
char *
ngx_http_spoor_consent_gpc_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    unsigned     cat, cats = 0;
    ngx_str_t   *value = cf->args->elts;
    ngx_uint_t   i;

    if (lcf->consent_gpc != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    for (i = 1; i < cf->args->nelts; i++) {
        cat = spoor_category_from_name((char *) value[i].data, value[i].len);
        if (cat == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: unknown category \"%V\" (storage, "
                               "analytics, personalization, marketing)",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }
        cats |= cat;
    }

    if (!(cats & SPOOR_CAT_MARKETING)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: GPC always denies \"marketing\" (sale and "
                           "sharing); list it", &cmd->name);
        return NGX_CONF_ERROR;
    }

    lcf->consent_gpc = cats;

    return NGX_CONF_OK;
}


/* A cookie name: an RFC 6265 token. */
static ngx_uint_t
ngx_http_spoor_cookie_name_ok(ngx_str_t *s)
{
    size_t  i;

    if (s->len == 0 || s->len > 256) {
        return 0;
    }

    for (i = 0; i < s->len; i++) {
        if (s->data[i] <= ' ' || s->data[i] >= 0x7f
            || ngx_strchr("()<>@,;:\\\"/[]?={}", s->data[i]) != NULL)
        {
            return 0;
        }
    }

    return 1;
}


/* spoor_consent_cookie NAME | off; spoor_tcf_cookie NAME | off; */
char *
ngx_http_spoor_consent_name_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t  *field, *value;

    field = (ngx_str_t *) ((char *) conf + cmd->offset);
    if (field->data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        ngx_str_set(field, "");
        field->len = 0;
        return NGX_CONF_OK;
    }

    if (!ngx_http_spoor_cookie_name_ok(&value[1])) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: \"%V\" is not a cookie name", &cmd->name,
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    *field = value[1];

    return NGX_CONF_OK;
}


/* spoor_tcf_vendor ID | off; */
char *
ngx_http_spoor_tcf_vendor_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value = cf->args->elts;

    if (lcf->tcf_vendor != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    if (ngx_strcmp(value[1].data, "off") == 0) {
        lcf->tcf_vendor = 0;
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);
    if (n < 1 || n > SPOOR_TCF_VENDOR_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: \"%V\" is not a vendor id (1 .. 65535)",
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    lcf->tcf_vendor = n;

    return NGX_CONF_OK;
}


/* spoor_tcf_analytics consent | legitimate_interest; */
char *
ngx_http_spoor_tcf_analytics_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    ngx_str_t  *value = cf->args->elts;

    if (lcf->tcf_li_analytics != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    if (ngx_strcmp(value[1].data, "consent") == 0) {
        lcf->tcf_li_analytics = 0;

    } else if (ngx_strcmp(value[1].data, "legitimate_interest") == 0) {
        lcf->tcf_li_analytics = 1;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: expected \"consent\" or "
                           "\"legitimate_interest\", not \"%V\"",
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * spoor_onetrust_groups CATEGORY ID ...;
 * spoor_segment_categories CATEGORY ID ...;
 * CATEGORY is analytics, personalization or marketing; its ids replace
 * the default ones for that category only.
 */
char *
ngx_http_spoor_consent_ids_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_array_t  **lists, *a;
    ngx_str_t     *value, *id;
    ngx_uint_t     i, k;
    unsigned       cat;
    int            rc;

    spoor_consent_map_t  check;

    lists = (ngx_array_t **) ((char *) conf + cmd->offset);
    value = cf->args->elts;

    cat = spoor_category_from_name((char *) value[1].data, value[1].len);

    for (k = 0; k < SPOOR_CONSENT_MAP_NCAT; k++) {
        if (spoor_consent_map_cat(k) == cat) {
            break;
        }
    }

    if (k == SPOOR_CONSENT_MAP_NCAT) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: \"%V\" is not analytics, personalization or "
                           "marketing (storage follows analytics)",
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    if (lists[k] != NGX_CONF_UNSET_PTR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: \"%V\" is duplicate", &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    a = ngx_array_create(cf->pool, cf->args->nelts - 2, sizeof(ngx_str_t));
    if (a == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&check, sizeof(check));

    for (i = 2; i < cf->args->nelts; i++) {
        rc = spoor_consent_map_add(&check, cat, (char *) value[i].data,
                                   value[i].len);
        if (rc == SPOOR_E_FULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: more than %d ids for \"%V\"",
                               &cmd->name, SPOOR_CONSENT_MAP_IDS_MAX,
                               &value[1]);
            return NGX_CONF_ERROR;
        }

        if (rc != SPOOR_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: id \"%V\" is longer than %d bytes",
                               &cmd->name, &value[i],
                               SPOOR_CONSENT_MAP_ID_MAX);
            return NGX_CONF_ERROR;
        }

        id = ngx_array_push(a);
        if (id == NULL) {
            return NGX_CONF_ERROR;
        }
        *id = value[i];
    }

    lists[k] = a;

    return NGX_CONF_OK;
}


/*
 * spoor_sensitive_traits NAME ... | off;
 * spoor_pseudonymize FIELD ... | off;  (userId, NAME or traits.NAME)
 */
char *
ngx_http_spoor_traits_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    ngx_str_t     *value, name;
    ngx_uint_t     i, pseudo;
    spoor_str_t   *s;
    ngx_array_t  **field;

    field = (ngx_array_t **) ((char *) conf + cmd->offset);
    if (*field != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    pseudo = cmd->offset == offsetof(ngx_http_spoor_loc_conf_t, pseudonymize);
    value = cf->args->elts;

    *field = ngx_array_create(cf->pool, cf->args->nelts, sizeof(spoor_str_t));
    if (*field == NULL) {
        return NGX_CONF_ERROR;
    }

    if (pseudo) {
        lcf->pseudonymize_user_id = 0;
    }

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        return NGX_CONF_OK;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        name = value[i];

        if (pseudo && name.len == 6
            && ngx_strncmp(name.data, "userId", 6) == 0)
        {
            lcf->pseudonymize_user_id = 1;
            continue;
        }

        if (name.len > 7 && ngx_strncmp(name.data, "traits.", 7) == 0) {
            name.data += 7;
            name.len -= 7;
        }

        if (name.len == 0 || name.len > 256
            || ngx_strlchr(name.data, name.data + name.len, '.') != NULL)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: \"%V\" is not a trait name%s", &cmd->name,
                               &value[i], pseudo ? " or userId" : "");
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(*field);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }
        s->data = (const char *) name.data;
        s->len = name.len;
    }

    return NGX_CONF_OK;
}


static void
ngx_http_spoor_secret_cleanup(void *data)
{
    ngx_str_t  *secret = data;

    ngx_explicit_memzero(secret->data, secret->len);
}


/*
 * spoor_secret_file PATH;  the key of spoor_pseudonymize: the file's bytes
 * without trailing white space, at least 32 of them.
 */
char *
ngx_http_spoor_secret_file_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    u_char              *buf;
    ssize_t              n;
    ngx_fd_t             fd;
    ngx_str_t           *value, *secret, path;
    ngx_file_info_t      fi;
    ngx_pool_cleanup_t  *cln;

    if (lcf->secret != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%V: cannot open \"%V\"", &cmd->name, &path);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || !ngx_is_file(&fi) || ngx_file_size(&fi) > 4096)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: \"%V\" is not a regular file of at most 4096 "
                           "bytes", &cmd->name, &path);
        (void) ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    secret = ngx_palloc(cf->pool, sizeof(ngx_str_t));
    buf = ngx_palloc(cf->pool, 4097);
    cln = ngx_pool_cleanup_add(cf->pool, 0);

    if (secret == NULL || buf == NULL || cln == NULL) {
        (void) ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    n = ngx_read_fd(fd, buf, 4097);
    (void) ngx_close_file(fd);

    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%V: cannot read \"%V\"", &cmd->name, &path);
        return NGX_CONF_ERROR;
    }

    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'
                     || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
    {
        n--;
    }

    secret->data = buf;
    secret->len = n;

    cln->handler = ngx_http_spoor_secret_cleanup;
    cln->data = secret;

    if (n < SPOOR_KEY_MIN || n > 4096) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: \"%V\" holds %z bytes; a key needs at least "
                           "%d (e.g. openssl rand -hex 32)", &cmd->name,
                           &path, n, SPOOR_KEY_MIN);
        return NGX_CONF_ERROR;
    }

    lcf->secret = secret;

    return NGX_CONF_OK;
}


/* ---- configuration -------------------------------------------------------- */

void
ngx_http_spoor_consent_create_conf(ngx_http_spoor_loc_conf_t *conf)
{
    ngx_uint_t  k;

    conf->consent_order = NGX_CONF_UNSET_PTR;
    conf->consent_required = NGX_CONF_UNSET_UINT;
    conf->consent_missing = NGX_CONF_UNSET_UINT;
    conf->consent_gpc = NGX_CONF_UNSET_UINT;
    conf->tcf_vendor = NGX_CONF_UNSET_UINT;
    conf->tcf_li_analytics = NGX_CONF_UNSET;
    conf->sensitive_traits = NGX_CONF_UNSET_PTR;
    conf->pseudonymize = NGX_CONF_UNSET_PTR;
    conf->pseudonymize_user_id = NGX_CONF_UNSET;
    conf->secret = NGX_CONF_UNSET_PTR;

    for (k = 0; k < SPOOR_CONSENT_MAP_NCAT; k++) {
        conf->onetrust_ids[k] = NGX_CONF_UNSET_PTR;
        conf->segment_ids[k] = NGX_CONF_UNSET_PTR;
    }
}


/* A map: the default one, with the categories configured replaced. */
static spoor_consent_map_t *
ngx_http_spoor_consent_map(ngx_conf_t *cf, const spoor_consent_map_t *dflt,
    ngx_array_t **lists)
{
    ngx_str_t            *id;
    ngx_uint_t            i, k;
    spoor_consent_map_t  *map;
    spoor_consent_ids_t  *l;

    map = ngx_palloc(cf->pool, sizeof(spoor_consent_map_t));
    if (map == NULL) {
        return NULL;
    }

    *map = *dflt;

    for (k = 0; k < SPOOR_CONSENT_MAP_NCAT; k++) {
        if (lists[k] == NULL) {
            continue;
        }

        l = (spoor_consent_ids_t *) spoor_consent_map_list(map, k);
        l->n = 0;

        id = lists[k]->elts;
        for (i = 0; i < lists[k]->nelts; i++) {
            if (spoor_consent_map_add(map, spoor_consent_map_cat(k),
                                      (char *) id[i].data, id[i].len)
                != SPOOR_OK)
            {
                return NULL;
            }
        }
    }

    return map;
}


char *
ngx_http_spoor_consent_merge_conf(ngx_conf_t *cf,
    ngx_http_spoor_loc_conf_t *prev, ngx_http_spoor_loc_conf_t *conf)
{
    ngx_uint_t               i, k;
    spoor_signal_e          *sig;
    spoor_consent_policy_t  *p;
    u_char                  *cc;

    ngx_conf_merge_ptr_value(conf->consent_order, prev->consent_order, NULL);

    if (conf->consent_required == NGX_CONF_UNSET_UINT) {
        conf->consent_required = prev->consent_required;
        conf->consent_countries = prev->consent_countries;
    }
    if (conf->consent_required == NGX_CONF_UNSET_UINT) {
        conf->consent_required = SPOOR_REQUIRED_NONE;
    }

    ngx_conf_merge_uint_value(conf->consent_missing, prev->consent_missing,
                              SPOOR_ACTION_DROP);
    ngx_conf_merge_uint_value(conf->consent_gpc, prev->consent_gpc,
                              SPOOR_CAT_MARKETING);
    ngx_conf_merge_str_value(conf->consent_cookie, prev->consent_cookie, "");
    ngx_conf_merge_str_value(conf->tcf_cookie, prev->tcf_cookie,
                             "euconsent-v2");
    ngx_conf_merge_uint_value(conf->tcf_vendor, prev->tcf_vendor, 0);
    ngx_conf_merge_value(conf->tcf_li_analytics, prev->tcf_li_analytics, 0);

    for (k = 0; k < SPOOR_CONSENT_MAP_NCAT; k++) {
        ngx_conf_merge_ptr_value(conf->onetrust_ids[k], prev->onetrust_ids[k],
                                 NULL);
        ngx_conf_merge_ptr_value(conf->segment_ids[k], prev->segment_ids[k],
                                 NULL);
    }

    ngx_conf_merge_ptr_value(conf->sensitive_traits, prev->sensitive_traits,
                             NULL);

    if (conf->pseudonymize == NGX_CONF_UNSET_PTR) {
        conf->pseudonymize = prev->pseudonymize;
        conf->pseudonymize_user_id = prev->pseudonymize_user_id;
    }
    if (conf->pseudonymize == NGX_CONF_UNSET_PTR) {
        conf->pseudonymize = NULL;
    }
    ngx_conf_merge_value(conf->pseudonymize_user_id,
                         prev->pseudonymize_user_id, 0);

    ngx_conf_merge_ptr_value(conf->secret, prev->secret, NULL);

    if ((conf->pseudonymize_user_id
         || (conf->pseudonymize && conf->pseudonymize->nelts))
        && conf->secret == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"spoor_pseudonymize\" needs a key: "
                           "\"spoor_secret_file\" is not set");
        return NGX_CONF_ERROR;
    }

    /* what the requests use */

    p = ngx_pcalloc(cf->pool, sizeof(spoor_consent_policy_t));
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    spoor_consent_policy_default(p);

    if (conf->consent_order) {
        p->norder = 0;
        sig = conf->consent_order->elts;
        for (i = 0; i < conf->consent_order->nelts; i++) {
            p->order[p->norder++] = sig[i];
        }
    }

    p->required = (spoor_required_e) conf->consent_required;
    if (conf->consent_countries) {
        cc = conf->consent_countries->elts;
        for (i = 0; i < conf->consent_countries->nelts; i++) {
            p->countries[i][0] = (char) cc[2 * i];
            p->countries[i][1] = (char) cc[2 * i + 1];
        }
        p->ncountries = conf->consent_countries->nelts;
    }
    p->missing = (spoor_action_e) conf->consent_missing;
    p->gpc_denies = (unsigned) conf->consent_gpc;

    conf->policy = p;

    conf->onetrust_map = ngx_http_spoor_consent_map(cf,
                                               spoor_onetrust_default_map(),
                                               conf->onetrust_ids);
    conf->segment_map = ngx_http_spoor_consent_map(cf,
                                        spoor_segment_consent_default_map(),
                                        conf->segment_ids);
    if (conf->onetrust_map == NULL || conf->segment_map == NULL) {
        return NGX_CONF_ERROR;
    }

    conf->tcf.vendor_id = (unsigned) conf->tcf_vendor;
    conf->tcf.li_analytics = conf->tcf_li_analytics;

    ngx_memzero(&conf->privacy, sizeof(spoor_privacy_t));

    if (conf->sensitive_traits) {
        conf->privacy.sensitive = conf->sensitive_traits->elts;
        conf->privacy.nsensitive = conf->sensitive_traits->nelts;
    }
    if (conf->pseudonymize) {
        conf->privacy.pseudo = conf->pseudonymize->elts;
        conf->privacy.npseudo = conf->pseudonymize->nelts;
    }
    conf->privacy.pseudo_user_id = conf->pseudonymize_user_id;
    if (conf->secret) {
        conf->privacy.key = conf->secret->data;
        conf->privacy.key_len = conf->secret->len;
    }

    return NGX_CONF_OK;
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


/*
 * Reads the request's Cookie headers once, filling ctx->cookie[k] for
 * each of the names the module looks at (NGX_HTTP_SPOOR_CK_*): the first
 * occurrence of a name wins, names compare case-insensitively, as
 * $cookie_NAME does.  A name of length 0 is not looked for.
 */
static void
ngx_http_spoor_read_cookies(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx)
{
    u_char            *p, *end, *name, *value;
    size_t             nlen;
    ngx_uint_t         i, k;
    ngx_str_t         *want[NGX_HTTP_SPOOR_CK_MAX];
    ngx_table_elt_t  **h;

    want[NGX_HTTP_SPOOR_CK_VISITOR] = &lcf->cookie_name;
    want[NGX_HTTP_SPOOR_CK_TCF] = &lcf->tcf_cookie;
    want[NGX_HTTP_SPOOR_CK_ONETRUST] = &ngx_http_spoor_onetrust_cookie;
    want[NGX_HTTP_SPOOR_CK_COOKIEBOT] = &ngx_http_spoor_cookiebot_cookie;
    want[NGX_HTTP_SPOOR_CK_SITE] = &lcf->consent_cookie;

    ctx->cookies_read = 1;

    h = r->headers_in.cookies.elts;
    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        p = h[i]->value.data;
        end = p + h[i]->value.len;

        while (p < end) {
            while (p < end && (*p == ' ' || *p == '\t' || *p == ';')) {
                p++;
            }
            name = p;
            while (p < end && *p != '=' && *p != ';') {
                p++;
            }
            nlen = p - name;
            if (p == end || *p == ';') {
                continue;               /* no value: not a cookie */
            }
            value = ++p;
            while (p < end && *p != ';') {
                p++;
            }

            for (k = 0; k < NGX_HTTP_SPOOR_CK_MAX; k++) {
                if (want[k]->len == nlen && nlen
                    && ctx->cookie[k].data == NULL
                    && ngx_strncasecmp(want[k]->data, name, nlen) == 0)
                {
                    ctx->cookie[k].data = value;
                    ctx->cookie[k].len = p - value;
                }
            }
        }
    }
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


/* The values of every request header called `name`, at most max. */
static size_t
ngx_http_spoor_header_values(ngx_http_request_t *r, const char *name,
    spoor_str_t *out, size_t max)
{
    size_t            n = 0, len = ngx_strlen(name);
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; n < max; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            h = part->elts;
            i = 0;
            if (part->nelts == 0) {
                continue;
            }
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            out[n].data = (const char *) h[i].value.data;
            out[n].len = h[i].value.len;
            n++;
        }
    }

    return n;
}


/* Parses a TC string into in->sig[SPOOR_SIG_TCF]; NGX_DECLINED when it
 * is not valid. */
static ngx_int_t
ngx_http_spoor_tcf(ngx_http_request_t *r, ngx_http_spoor_loc_conf_t *lcf,
    const char *s, size_t len, spoor_consent_signal_t *sig)
{
    spoor_tcf_t  *tc;
    ngx_int_t     rc = NGX_DECLINED;

    tc = ngx_alloc(sizeof(spoor_tcf_t), r->connection->log);
    if (tc == NULL) {
        return NGX_ERROR;
    }

    if (spoor_tcf_parse(s, len, tc) == SPOOR_OK
        && spoor_tcf_signal(tc, &lcf->tcf, sig) == SPOOR_OK)
    {
        rc = NGX_OK;
    }

    ngx_free(tc);

    return rc;
}


static ngx_int_t
ngx_http_spoor_read_signals(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    ngx_uint_t browser)
{
    u_char                  *buf;
    size_t                   n;
    ngx_int_t                rc;
    ngx_str_t                v;
    spoor_str_t              tcs, hv[NGX_HTTP_SPOOR_HEADERS_MAX];
    unsigned char            ip[16];
    spoor_consent_input_t   *in = &ctx->consent_in;
    spoor_consent_policy_t  *p = lcf->policy;

    spoor_consent_input_init(in);
    ctx->consent_read = 1;

    if (!browser) {
        /* a server-side SDK: its cookies, headers and address are its own */
        return NGX_OK;
    }

    ngx_http_spoor_read_cookies(r, lcf, ctx);

    n = ngx_http_spoor_client_ip(r, ip);
    if (ngx_http_spoor_geo_lookup(r, ctx, ip, n) == 1) {
        in->country = ctx->geo.country;
        in->eu = ctx->geo.eu;
    }

    if (ngx_http_spoor_listed(p, SPOOR_SIG_TCF)
        && ngx_http_spoor_cookie(ctx, NGX_HTTP_SPOOR_CK_TCF, &v) == NGX_OK)
    {
        rc = ngx_http_spoor_tcf(r, lcf, (char *) v.data, v.len,
                                &in->sig[SPOOR_SIG_TCF]);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }
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
                rc = ngx_http_spoor_tcf(r, lcf, tcs.data, tcs.len, &t);
                if (rc == NGX_ERROR) {
                    return NGX_ERROR;
                }

                if (rc == NGX_OK) {
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

    n = ngx_http_spoor_header_values(r, "Sec-GPC", hv,
                                     NGX_HTTP_SPOOR_HEADERS_MAX);
    in->present[SPOOR_SIG_GPC] = spoor_gpc_header(hv, n);

    if (ngx_http_spoor_listed(p, SPOOR_SIG_DNT)) {
        n = ngx_http_spoor_header_values(r, "DNT", hv,
                                         NGX_HTTP_SPOOR_HEADERS_MAX);
        in->present[SPOOR_SIG_DNT] = spoor_dnt_header(hv, n);
    }

    return NGX_OK;
}


/* The decision for one event: the request's signals and its own. */
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
        return;
    }

    in = ctx->consent_in;
    in.present[SPOOR_SIG_SEGMENT] =
        spoor_segment_consent_parse(prefs, lcf->segment_map,
                                    &in.sig[SPOOR_SIG_SEGMENT]) == SPOOR_OK;

    spoor_consent_decide(lcf->policy, &in, d);
}


/* ---- the cookieless id's salt ------------------------------------------------ */

static u_char      ngx_http_spoor_salt[32];
static ngx_uint_t  ngx_http_spoor_salt_day;     /* day + 1; 0: none */


/* The salt of today (UTC), made by the first worker that needs it. */
static ngx_int_t
ngx_http_spoor_day_salt(u_char *out)
{
    ngx_uint_t               today;
    ngx_slab_pool_t         *shpool;
    ngx_http_spoor_stats_t  *st;

    today = (ngx_uint_t) (ngx_time() / 86400) + 1;

    if (ngx_http_spoor_salt_day == today) {
        ngx_memcpy(out, ngx_http_spoor_salt, 32);
        return NGX_OK;
    }

    st = ngx_http_spoor_stats();
    shpool = ngx_http_spoor_shpool();
    if (st == NULL || shpool == NULL) {
        return NGX_ERROR;
    }

    ngx_shmtx_lock(&shpool->mutex);

    if (st->salt_day != today) {
        if (ngx_http_spoor_random(st->salt, sizeof(st->salt)) != NGX_OK) {
            ngx_shmtx_unlock(&shpool->mutex);
            return NGX_ERROR;
        }
        st->salt_day = today;
    }

    ngx_memcpy(ngx_http_spoor_salt, st->salt, 32);
    ngx_http_spoor_salt_day = today;

    ngx_shmtx_unlock(&shpool->mutex);

    ngx_memcpy(out, ngx_http_spoor_salt, 32);
    return NGX_OK;
}


/* The request's cookieless id (made once): 32 hex characters. */
static ngx_int_t
ngx_http_spoor_cookieless(ngx_http_request_t *r, ngx_http_spoor_ctx_t *ctx)
{
    u_char          salt[32], d[SPOOR_KEYED_HASH_LEN];
    spoor_str_t     parts[3];
    unsigned char   ip[16];

    if (ctx->cookieless_id.len) {
        return NGX_OK;
    }

    if (ngx_http_spoor_day_salt(salt) != NGX_OK) {
        return NGX_ERROR;
    }

    parts[0].data = (const char *) ctx->source.data;
    parts[0].len = ctx->source.len;
    parts[1].data = (const char *) ip;
    parts[1].len = ngx_http_spoor_client_ip(r, ip);
    parts[2].data = NULL;
    parts[2].len = 0;

    if (r->headers_in.user_agent) {
        parts[2].data = (const char *) r->headers_in.user_agent->value.data;
        parts[2].len = r->headers_in.user_agent->value.len;
    }

    if (spoor_keyed_hash(salt, sizeof(salt), parts, 3, d) != SPOOR_OK) {
        ngx_explicit_memzero(salt, sizeof(salt));
        return NGX_ERROR;
    }

    ngx_explicit_memzero(salt, sizeof(salt));

    ctx->cookieless_id.data = ngx_pnalloc(r->pool,
                                          2 * NGX_HTTP_SPOOR_CL_BYTES);
    if (ctx->cookieless_id.data == NULL) {
        return NGX_ERROR;
    }

    spoor_hex(d, NGX_HTTP_SPOOR_CL_BYTES, (char *) ctx->cookieless_id.data);
    ctx->cookieless_id.len = 2 * NGX_HTTP_SPOOR_CL_BYTES;

    return NGX_OK;
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
    ngx_int_t                rc;
    spoor_event_t            ev;
    ngx_http_spoor_stats_t  *st;

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

    st = ngx_http_spoor_stats();
    if (st) {
        (void) ngx_atomic_fetch_add(&st->consent_withdrawals, 1);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_spoor_consent_request(ngx_http_request_t *r,
    ngx_http_spoor_loc_conf_t *lcf, ngx_http_spoor_ctx_t *ctx,
    const msgpack_object *prefs, ngx_uint_t browser, ngx_str_t *source)
{
    ngx_uint_t  storage;

    if (source) {
        ctx->source = *source;
    }

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
