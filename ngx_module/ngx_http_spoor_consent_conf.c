/*
 * ngx_http_spoor_consent_conf.c -- the consent and privacy directives,
 * and the merge that builds from them what requests use: the policy, the
 * OneTrust and Segment category maps, the TCF policy, the privacy rules,
 * and the names of the cookies the request scan looks for.  Nothing here
 * runs per request (that is ngx_http_spoor_consent.c).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_consent_conf.h"
#include "consent_onetrust.h"
#include "consent_segment.h"
#include "keyed_hash.h"
#include "serve_key.h"


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


ngx_uint_t
ngx_http_spoor_token_ok(ngx_str_t *s)
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

    if (!ngx_http_spoor_token_ok(&value[1])) {
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
 * A key from the file at path (made absolute against the prefix): the
 * file's bytes without trailing white space, SPOOR_KEY_MIN to
 * SPOOR_KEY_FILE_MAX of them (serve_key.h), in the configuration pool
 * and wiped when it is destroyed.  Logs what is wrong, naming the
 * directive; NULL then.
 */
ngx_str_t *
ngx_http_spoor_key_file(ngx_conf_t *cf, ngx_command_t *cmd, ngx_str_t *path)
{
    u_char              *buf;
    size_t               len;
    ssize_t              n;
    ngx_fd_t             fd;
    ngx_str_t           *key;
    ngx_file_info_t      fi;
    ngx_pool_cleanup_t  *cln;

    if (ngx_conf_full_name(cf->cycle, path, 1) != NGX_OK) {
        return NULL;
    }

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%V: cannot open \"%V\"", &cmd->name, path);
        return NULL;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || !ngx_is_file(&fi) || ngx_file_size(&fi) > SPOOR_KEY_FILE_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: \"%V\" is not a regular file of at most %d "
                           "bytes", &cmd->name, path, SPOOR_KEY_FILE_MAX);
        (void) ngx_close_file(fd);
        return NULL;
    }

    key = ngx_palloc(cf->pool, sizeof(ngx_str_t));
    buf = ngx_palloc(cf->pool, SPOOR_KEY_FILE_MAX + 1);
    cln = ngx_pool_cleanup_add(cf->pool, 0);

    if (key == NULL || buf == NULL || cln == NULL) {
        (void) ngx_close_file(fd);
        return NULL;
    }

    n = ngx_read_fd(fd, buf, SPOOR_KEY_FILE_MAX + 1);
    (void) ngx_close_file(fd);

    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%V: cannot read \"%V\"", &cmd->name, path);
        return NULL;
    }

    len = (size_t) n;
    key->data = buf;
    key->len = len;

    cln->handler = ngx_http_spoor_secret_cleanup;
    cln->data = key;

    if (spoor_key_trim(buf, &len) != SPOOR_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: \"%V\" holds %uz bytes; a key needs at "
                           "least %d (e.g. openssl rand -hex 32)",
                           &cmd->name, path, len, SPOOR_KEY_MIN);
        return NULL;
    }

    key->len = len;

    return key;
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

    ngx_str_t  *value, *secret, path;

    if (lcf->secret != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    path = value[1];

    secret = ngx_http_spoor_key_file(cf, cmd, &path);
    if (secret == NULL) {
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

    /* what the request's one pass over its cookies looks for; the
     * visitor cookie's name is merged before (module.c) */
    conf->cookie_names[NGX_HTTP_SPOOR_CK_VISITOR] = conf->cookie_name;
    conf->cookie_names[NGX_HTTP_SPOOR_CK_TCF] = conf->tcf_cookie;
    conf->cookie_names[NGX_HTTP_SPOOR_CK_ONETRUST] =
                                                ngx_http_spoor_onetrust_cookie;
    conf->cookie_names[NGX_HTTP_SPOOR_CK_COOKIEBOT] =
                                               ngx_http_spoor_cookiebot_cookie;
    conf->cookie_names[NGX_HTTP_SPOOR_CK_SITE] = conf->consent_cookie;

    return NGX_CONF_OK;
}


