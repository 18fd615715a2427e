/*
 * ngx_http_spoor_profiles.c -- profiles served back (profiles.h): the
 * directives, the worker's generations and the variables.
 *
 * A request's profile is looked up once, on the first profile variable
 * it evaluates: the consent decision first (no personalization: nothing
 * is looked up, every variable is empty), then the visitor cookie, then
 * each spoor_profiles_id value in order, until one finds a profile in
 * the current generation.  The found record is read in place
 * (profile_view.h); the request holds a reference to its generation
 * (released by a pool cleanup), so a swap never unmaps what a request
 * still reads.  Values that need text (the segment list, a trait) are
 * made in the request pool.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_spoor_profiles.h"
#include "ngx_http_spoor_consent.h"
#include "ngx_http_spoor_consent_conf.h"
#include "ngx_http_spoor_request.h"
#include "ngx_http_spoor_status.h"
#include "ngx_http_spoor_visitor.h"
#include "gen_chain.h"
#include "gen_name.h"
#include "keyed_hash.h"
#include "profile_lookup.h"


/* the longest trait value a variable gives, bytes */
#define NGX_HTTP_SPOOR_TRAIT_MAX  4096

/* prepared pseudonymization keys, per worker, by key */
#define NGX_HTTP_SPOOR_KEYS       8

typedef struct {
    const u_char   *key;
    spoor_keyed_t  *keyed;
} ngx_http_spoor_keyed_t;

static ngx_http_spoor_keyed_t  ngx_http_spoor_keys[NGX_HTTP_SPOOR_KEYS];

static void ngx_http_spoor_profiles_timer(ngx_event_t *ev);


/* ---- directives ------------------------------------------------------------ */

char *
ngx_http_spoor_profiles_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    ngx_int_t                     check;
    ngx_str_t                    *value, dir, s, *key;
    ngx_uint_t                    i;
    ngx_http_spoor_main_conf_t   *mcf;
    ngx_http_spoor_profiles_t    *p, **pp;

    if (lcf->profiles != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts > 2) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V: \"off\" takes no parameters", &cmd->name);
            return NGX_CONF_ERROR;
        }
        lcf->profiles = NULL;
        return NGX_CONF_OK;
    }

    check = NGX_HTTP_SPOOR_PROFILES_CHECK;
    key = NULL;

    for (i = 2; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "key=", 4) == 0 && key == NULL) {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

            if (s.len == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V: \"key=\" names no file",
                                   &cmd->name);
                return NGX_CONF_ERROR;
            }

            key = ngx_http_spoor_key_file(cf, cmd, &s);
            if (key == NULL) {
                return NGX_CONF_ERROR;
            }
            continue;
        }

        if (ngx_strncmp(value[i].data, "check=", 6) == 0) {
            s.data = value[i].data + 6;
            s.len = value[i].len - 6;

            check = ngx_parse_time(&s, 0);
            if (check == NGX_ERROR || check < 10 || check > 3600 * 1000) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V: invalid check time \"%V\" "
                                   "(10ms .. 1h)", &cmd->name, &s);
                return NGX_CONF_ERROR;
            }
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: invalid parameter \"%V\"", &cmd->name,
                           &value[i]);
        return NGX_CONF_ERROR;
    }

    dir = value[1];
    while (dir.len > 1 && dir.data[dir.len - 1] == '/') {
        dir.len--;
    }

    if (ngx_conf_full_name(cf->cycle, &dir, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_spoor_module);
    pp = mcf->profiles.elts;

    for (i = 0; i < mcf->profiles.nelts; i++) {
        if (pp[i]->dir.len == dir.len
            && ngx_strncmp(pp[i]->dir.data, dir.data, dir.len) == 0)
        {
            if (pp[i]->check != (ngx_msec_t) check) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V: \"%V\" is already served with "
                                   "another check= time", &cmd->name, &dir);
                return NGX_CONF_ERROR;
            }
            if ((pp[i]->key == NULL) != (key == NULL)
                || (key != NULL
                    && (pp[i]->key->len != key->len
                        || ngx_memcmp(pp[i]->key->data, key->data, key->len)
                           != 0)))
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V: \"%V\" is already served with "
                                   "another key=", &cmd->name, &dir);
                return NGX_CONF_ERROR;
            }
            lcf->profiles = pp[i];
            return NGX_CONF_OK;
        }
    }

    p = ngx_pcalloc(cf->pool, sizeof(ngx_http_spoor_profiles_t));
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    /* NUL-terminated for open() */
    p->dir.data = ngx_pnalloc(cf->pool, dir.len + 1);
    if (p->dir.data == NULL) {
        return NGX_CONF_ERROR;
    }
    ngx_memcpy(p->dir.data, dir.data, dir.len);
    p->dir.data[dir.len] = '\0';
    p->dir.len = dir.len;
    p->check = (ngx_msec_t) check;
    p->key = key;

    pp = ngx_array_push(&mcf->profiles);
    if (pp == NULL) {
        return NGX_CONF_ERROR;
    }
    *pp = p;

    lcf->profiles = p;

    return NGX_CONF_OK;
}


char *
ngx_http_spoor_profiles_id_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_spoor_loc_conf_t *lcf = conf;

    u_char                             kind;
    ngx_str_t                         *value;
    ngx_http_spoor_profile_id_t       *id;
    ngx_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "user") == 0) {
        kind = 'u';

    } else if (ngx_strcmp(value[1].data, "anonymous") == 0) {
        kind = 'a';

    } else if (ngx_strcmp(value[1].data, "visitor") == 0) {
        kind = 'v';

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V: invalid id kind \"%V\", expected user, "
                           "anonymous or visitor", &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    if (lcf->profile_ids == NGX_CONF_UNSET_PTR) {
        lcf->profile_ids = ngx_array_create(cf->pool, 4,
                                            sizeof(ngx_http_spoor_profile_id_t));
        if (lcf->profile_ids == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    id = ngx_array_push(lcf->profile_ids);
    if (id == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(id, sizeof(ngx_http_spoor_profile_id_t));
    id->kind = kind;

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &value[2];
    ccv.complex_value = &id->value;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* ---- generations, per worker ------------------------------------------------ */

static void
ngx_http_spoor_gfile_release(ngx_http_spoor_gfile_t *f)
{
    if (f != NULL && --f->refs == 0) {
        spoor_snap_close(f->snap);
        ngx_free(f);
    }
}


static void
ngx_http_spoor_gen_release(ngx_http_spoor_gen_t *g)
{
    ngx_uint_t  i;

    if (g != NULL && --g->refs == 0) {
        for (i = 0; i < g->chain.n; i++) {
            ngx_http_spoor_gfile_release(g->file[i]);
        }
        ngx_free(g);
    }
}


static void
ngx_http_spoor_gen_cleanup(void *data)
{
    ngx_http_spoor_gen_release(data);
}


static void
ngx_http_spoor_pending_drop(ngx_http_spoor_profiles_t *p)
{
    spoor_snap_hash_free(p->hashing);
    p->hashing = NULL;
    ngx_http_spoor_gen_release(p->pending);
    p->pending = NULL;
}


static void
ngx_http_spoor_profiles_refuse(ngx_http_spoor_profiles_t *p,
    ngx_file_uniq_t uniq, const u_char *name, const char *why,
    ngx_log_t *log)
{
    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "spoor_profiles: generation \"%s/%s\" refused, "
                  "%s: %s", p->dir.data, name,
                  p->current ? "the previous one stays in use"
                             : "no profiles are served",
                  why);

    ngx_cpystrn(p->bad, (u_char *) name, sizeof(p->bad));
    p->bad_uniq = uniq;
    ngx_http_spoor_count(profile_load_failures);
}


/*
 * Whether f, just opened, can be read with p's key: a keyed file (a fleet
 * edge's copy, serve_key.h) needs key= and must name that key's id; a
 * plain one is read as it is.  NGX_OK, or NGX_ERROR with the reason in
 * why.
 */
static ngx_int_t
ngx_http_spoor_gfile_keyed(ngx_http_spoor_profiles_t *p,
    ngx_http_spoor_gfile_t *f, ngx_uint_t legacy, u_char *why, size_t wlen)
{
    ngx_uint_t  keyed;

    keyed = (spoor_snap_flags(f->snap) & SPOOR_SNAP_KEYED) != 0;

    if (!keyed) {
        if (!legacy && f->serve.key_id != NULL) {
            (void) ngx_snprintf(why, wlen, "%s names a key but is not "
                                "keyed%Z", f->name);
            return NGX_ERROR;
        }
        return NGX_OK;
    }

    if (legacy || f->serve.key_id == NULL) {
        (void) ngx_snprintf(why, wlen, "%s is keyed but names no key%Z",
                            f->name);
        return NGX_ERROR;
    }

    if (p->key == NULL) {
        (void) ngx_snprintf(why, wlen, "%s is keyed (a fleet edge's copy, "
                            "written by spoor mirror): spoor_profiles needs "
                            "the fleet's key= to read it%Z", f->name);
        return NGX_ERROR;
    }

    if (p->keyed == NULL) {
        (void) ngx_snprintf(why, wlen, "%s is keyed, and the key= could not "
                            "be prepared (out of memory)%Z", f->name);
        return NGX_ERROR;
    }

    if (ngx_memcmp(f->serve.key_id, p->key_id, SPOOR_SERVE_KEY_ID_LEN) != 0) {
        (void) ngx_snprintf(why, wlen, "%s is keyed with another key (its "
                            "key id %*s, key= has %*s)%Z", f->name,
                            (size_t) SPOOR_SERVE_KEY_ID_LEN, f->serve.key_id,
                            (size_t) SPOOR_SERVE_KEY_ID_LEN, p->key_id);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The file DIR/fname, added to the chain of g (the generation being
 * built) as its next older file: the current generation's own file
 * object when that has the same name and is the same file (mapped and
 * checked already), else the file opened (header, table, index and meta
 * checked; the whole-file checksum is left to the steps) and, unless
 * legacy, its serving view's names read.  NGX_OK; NGX_ERROR with the
 * reason in why, *version the serving layout version found when it is
 * that which does not read (else 0); NGX_ABORT when out of memory.
 */
static ngx_int_t
ngx_http_spoor_gfile_add(ngx_http_spoor_profiles_t *p,
    ngx_http_spoor_gen_t *g, const u_char *fname, ngx_uint_t legacy,
    uint64_t *version, u_char *why, size_t wlen, ngx_log_t *log)
{
    size_t                   mlen;
    ngx_err_t                err;
    ngx_uint_t               i;
    ngx_file_info_t          fi;
    ngx_file_uniq_t          uniq;
    const unsigned char     *meta;
    ngx_http_spoor_gen_t    *cur;
    ngx_http_spoor_gfile_t  *f;
    u_char                   path[NGX_MAX_PATH], errstr[128], *e;
    char                     reason[512];

    *version = 0;

    if (g->chain.n == SPOOR_CHAIN_DELTAS_MAX + 1) {
        (void) ngx_snprintf(why, wlen, "more than %d deltas in a chain%Z",
                            SPOOR_CHAIN_DELTAS_MAX);
        return NGX_ERROR;
    }

    (void) ngx_snprintf(path, sizeof(path), "%V/%s%Z", &p->dir, fname);

    if (ngx_file_info(path, &fi) == NGX_FILE_ERROR) {
        err = ngx_errno;
        e = ngx_strerror(err, errstr, sizeof(errstr));
        (void) ngx_snprintf(why, wlen, "%s cannot be read: %*s%Z", fname,
                            (size_t) (e - errstr), errstr);
        return NGX_ERROR;
    }

    uniq = ngx_file_uniq(&fi);
    cur = p->current;
    f = NULL;

    for (i = 0; cur != NULL && i < cur->chain.n; i++) {
        if (cur->file[i]->uniq == uniq
            && ngx_strcmp(cur->file[i]->name, fname) == 0)
        {
            f = cur->file[i];
            f->refs++;
            break;
        }
    }

    if (f == NULL) {
        f = ngx_alloc(sizeof(ngx_http_spoor_gfile_t), log);
        if (f == NULL) {
            return NGX_ABORT;
        }

        f->snap = spoor_snap_open((char *) path, reason, sizeof(reason));
        if (f->snap == NULL) {
            ngx_free(f);
            (void) ngx_snprintf(why, wlen, "%s: %s%Z", fname, reason);
            return NGX_ERROR;
        }

        f->refs = 1;
        f->verified = 0;
        f->uniq = uniq;
        ngx_cpystrn(f->name, (u_char *) fname, sizeof(f->name));

        if (!legacy) {
            meta = spoor_snap_meta(f->snap, &mlen);

            if (spoor_profile_serve_meta(meta, mlen,
                                         spoor_snap_summary_size(f->snap),
                                         &f->serve, version)
                != SPOOR_OK)
            {
                if (*version == SPOOR_SERVE_VERSION || *version == 0) {
                    (void) ngx_snprintf(why, wlen, "%s: its serving view's "
                                        "metadata does not read%Z", fname);

                } else if (*version > SPOOR_SERVE_VERSION) {
                    (void) ngx_snprintf(why, wlen, "%s: unsupported serving "
                                        "view version %uL (this module "
                                        "knows %d)%Z", fname, *version,
                                        SPOOR_SERVE_VERSION);

                } else {
                    (void) ngx_snprintf(why, wlen, "%s: a serving view of "
                                        "the older version %uL in a chain "
                                        "of deltas%Z", fname, *version);
                }

                ngx_http_spoor_gfile_release(f);
                return NGX_ERROR;
            }
        }

        if (ngx_http_spoor_gfile_keyed(p, f, legacy, why, wlen) != NGX_OK) {
            ngx_http_spoor_gfile_release(f);
            return NGX_ERROR;
        }
    }

    g->file[g->chain.n] = f;
    g->chain.file[g->chain.n] = f->snap;
    g->chain.n++;

    return NGX_OK;
}


/*
 * Builds g's chain of serving views from fname, the newest ("gen-N.serve"),
 * through its deltas' parents down to their base (gen_chain.h): every
 * link checked, every file with the newest one's names.  NGX_OK;
 * NGX_ERROR with the reason in why (the chain is refused), *version as
 * gfile_add() gives it for the newest file; NGX_ABORT when out of memory.
 */
static ngx_int_t
ngx_http_spoor_chain_build(ngx_http_spoor_profiles_t *p,
    ngx_http_spoor_gen_t *g, u_char *fname, uint64_t *version, u_char *why,
    size_t wlen, ngx_log_t *log)
{
    uint32_t                 num, parent, base, want;
    ngx_int_t                rc;
    uint64_t                 older;
    ngx_http_spoor_gfile_t  *f;
    char                     reason[512];

    num = gen_name_number((char *) fname, "gen-", ".serve", 1);
    want = 0;

    rc = ngx_http_spoor_gfile_add(p, g, fname, 0, version, why, wlen, log);
    if (rc != NGX_OK) {
        return rc;
    }

    for ( ;; ) {
        f = g->file[g->chain.n - 1];

        if (g->chain.n > 1
            && !spoor_profile_serve_same(&g->file[0]->serve, &f->serve))
        {
            (void) ngx_snprintf(why, wlen, "%s and %s differ in their "
                                "segment or lifecycle names or summary "
                                "size (a chain has one set)%Z",
                                g->file[0]->name, f->name);
            return NGX_ERROR;
        }

        if (!(spoor_snap_flags(f->snap) & SPOOR_SNAP_DELTA)) {
            if (g->chain.n > 1 && num != want) {
                (void) ngx_snprintf(why, wlen, "its deltas name the base "
                                    "%uD, but %s is a full generation%Z",
                                    want, f->name);
                return NGX_ERROR;
            }
            g->chain.index_key = g->file[0]->serve.key_id != NULL
                                 ? p->keyed : NULL;
            return NGX_OK;                        /* the base */
        }

        if (num == 0) {
            (void) ngx_snprintf(why, wlen, "%s is a delta generation, but "
                                "its name has no generation number%Z",
                                f->name);
            return NGX_ERROR;
        }

        if (spoor_chain_check(f->snap, num, &parent, &base, reason,
                              sizeof(reason))
            != SPOOR_OK)
        {
            (void) ngx_snprintf(why, wlen, "%s: %s%Z", f->name, reason);
            return NGX_ERROR;
        }

        if (g->chain.n == 1) {
            want = base;

        } else if (base != want) {
            (void) ngx_snprintf(why, wlen, "%s names the base %uD, %s the "
                                "base %uD%Z", g->file[0]->name, want,
                                f->name, base);
            return NGX_ERROR;
        }

        num = parent;
        (void) ngx_sprintf(fname, "gen-%06uD.serve%Z", num);

        rc = ngx_http_spoor_gfile_add(p, g, fname, 0, &older, why, wlen,
                                      log);
        if (rc != NGX_OK) {
            return rc;
        }
    }
}


/*
 * Reads DIR/CURRENT; when it names a file other than the current
 * generation's and other than the last one refused, builds it as the
 * pending generation: its chain of serving views, or its snapshot alone
 * for a generation without one this module reads.
 */
static void
ngx_http_spoor_profiles_find(ngx_http_spoor_profiles_t *p, ngx_log_t *log)
{
    ssize_t                 n;
    ngx_fd_t                fd;
    ngx_err_t               err;
    ngx_int_t               rc;
    ngx_uint_t              i, legacy, opened;
    ngx_file_info_t         fi;
    ngx_file_uniq_t         uniq;
    uint64_t                version;
    size_t                  count;
    ngx_http_spoor_gen_t   *g;
    u_char                  path[NGX_MAX_PATH], name[64],
                            fname[sizeof(name) + 1], why[1024];

    if (p->dir.len + sizeof("/CURRENT") + sizeof(name) > NGX_MAX_PATH) {
        return;
    }

    ngx_sprintf(path, "%V/CURRENT%Z", &p->dir);

    fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        err = ngx_errno;
        if (!p->missing_logged) {
            ngx_log_error(NGX_LOG_WARN, log, err,
                          "spoor_profiles: cannot read \"%s\", %s",
                          path, p->current ? "the generation in use stays"
                                           : "no profiles are served yet");
            p->missing_logged = 1;
        }
        return;
    }

    n = read(fd, name, sizeof(name));
    err = ngx_errno;
    (void) ngx_close_file(fd);

    /* "gen-000007.snap\n": one file name, not hidden, no slash */
    while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == '\r')) {
        n--;
    }

    if (n <= 0 || n >= (ssize_t) sizeof(name) || name[0] == '.'
        || ngx_strlchr(name, name + n, '/') != NULL
        || ngx_strlchr(name, name + n, '\0') != NULL)
    {
        if (!p->missing_logged) {
            ngx_log_error(NGX_LOG_WARN, log, n < 0 ? err : 0,
                          "spoor_profiles: \"%s\" does not name a "
                          "generation", path);
            p->missing_logged = 1;
        }
        return;
    }

    name[n] = '\0';

    /* the generation's serving view: gen-N.serve next to the gen-N.snap
     * CURRENT names, or the gen-N.serve it names (a fleet edge's copy,
     * spoor mirror); a generation written before serving views existed
     * is read from its snapshot */
    legacy = 1;
    if (n > 6 && ngx_strcmp(name + n - 6, ".serve") == 0) {
        ngx_cpystrn(fname, name, sizeof(fname));
        legacy = 0;

    } else if (n > 5 && ngx_strcmp(name + n - 5, ".snap") == 0) {
        (void) ngx_sprintf(fname, "%*s.serve%Z", (size_t) n - 5, name);
        (void) ngx_sprintf(path, "%V/%s%Z", &p->dir, fname);
        if (ngx_file_info(path, &fi) != NGX_FILE_ERROR) {
            legacy = 0;
        }
    }

    (void) ngx_sprintf(path, "%V/%s%Z", &p->dir, legacy ? name : fname);

    if (ngx_file_info(path, &fi) == NGX_FILE_ERROR) {
        err = ngx_errno;
        if (!p->missing_logged) {
            ngx_log_error(NGX_LOG_WARN, log, err,
                          "spoor_profiles: CURRENT names \"%s\", which "
                          "cannot be read", path);
            p->missing_logged = 1;
        }
        return;
    }

    p->missing_logged = 0;
    uniq = ngx_file_uniq(&fi);

    if (p->current && p->current->uniq == uniq
        && ngx_strcmp(p->current->name, name) == 0)
    {
        return;                                   /* nothing new */
    }

    if (p->bad_uniq == uniq && ngx_strcmp(p->bad, name) == 0) {
        return;                                   /* refused already */
    }

    g = ngx_alloc(sizeof(ngx_http_spoor_gen_t), log);
    if (g == NULL) {
        return;
    }

    ngx_memzero(g, sizeof(ngx_http_spoor_gen_t));
    g->refs = 1;
    g->uniq = uniq;
    ngx_cpystrn(g->name, name, sizeof(g->name));

    if (!legacy) {
        rc = ngx_http_spoor_chain_build(p, g, fname, &version, why,
                                        sizeof(why), log);

        if (rc == NGX_ERROR && g->chain.n == 0 && version != 0
            && version < SPOOR_SERVE_VERSION
            && ngx_strcmp(name + n - 5, ".snap") == 0)
        {
            /* an older serving view: the snapshot has every field */
            legacy = 1;

        } else if (rc != NGX_OK) {
            if (rc == NGX_ERROR) {
                ngx_http_spoor_profiles_refuse(p, uniq, name, (char *) why,
                                               log);
            }
            ngx_http_spoor_gen_release(g);
            return;
        }
    }

    if (legacy) {
        rc = ngx_http_spoor_gfile_add(p, g, name, 1, &version, why,
                                      sizeof(why), log);

        if (rc == NGX_OK
            && (spoor_snap_flags(g->file[0]->snap) & SPOOR_SNAP_DELTA))
        {
            (void) ngx_snprintf(why, sizeof(why), "%s is a delta generation "
                                "without its serving view%Z", name);
            rc = NGX_ERROR;

        } else if (rc == NGX_OK
                   && spoor_snap_version(g->file[0]->snap)
                      == SPOOR_SNAP_VERSION_GROUPS)
        {
            /* its records are compressed: lookups read the serving view */
            (void) ngx_snprintf(why, sizeof(why), "%s has lost its serving "
                                "view (gen-N.serve beside it)%Z", name);
            rc = NGX_ERROR;
        }

        if (rc != NGX_OK) {
            if (rc == NGX_ERROR) {
                ngx_http_spoor_profiles_refuse(p, uniq, name, (char *) why,
                                               log);
            }
            ngx_http_spoor_gen_release(g);
            return;
        }

        (void) ngx_sprintf(path, "%V/%s%Z", &p->dir, name);
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "spoor_profiles: \"%s\" has no serving view this "
                      "module reads (written by an older spoor): profiles "
                      "are read from the snapshot, more slowly, until the "
                      "next generation", path);
    }

    g->legacy = legacy;
    g->serve = legacy ? NULL : &g->file[0]->serve;

    opened = 0;
    count = 0;
    for (i = 0; i < g->chain.n; i++) {
        opened += !g->file[i]->verified;
        count += spoor_snap_count(g->file[i]->snap);
    }

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, log, 0,
                   "spoor_profiles: \"%s\": %ui files, %ui to check, "
                   "%uz records", name, g->chain.n, opened, count);

    p->pending = g;
}


/*
 * One step of preparing the pending generation: the whole-file checksum
 * of each of its files not checked before (one file after another),
 * then, for a full snapshot (no serving view), the index directory that
 * makes a lookup one slot and one bucket (snapshot.h), each
 * NGX_HTTP_SPOOR_*_STEP at a time; at the end it replaces the current
 * one, or is refused.  all: to the end now.
 */
static void
ngx_http_spoor_profiles_step(ngx_http_spoor_profiles_t *p, ngx_uint_t all,
    ngx_log_t *log)
{
    int                      rc, done;
    size_t                   base, deltas;
    ngx_uint_t               i;
    ngx_http_spoor_gen_t    *old, *g;
    ngx_http_spoor_gfile_t  *f;
    u_char                   why[1024];
    char                     reason[512];

    if (p->pending == NULL) {
        ngx_http_spoor_profiles_find(p, log);
        if (p->pending == NULL) {
            return;
        }
    }

    g = p->pending;

    for (i = 0; i < g->chain.n; i++) {
        f = g->file[i];
        if (f->verified) {
            continue;
        }

        if (p->hashing == NULL) {
            p->hashing = spoor_snap_hash_start(f->snap);
            if (p->hashing == NULL) {
                ngx_http_spoor_pending_drop(p);   /* tried again later */
                return;
            }
        }

        rc = spoor_snap_hash_step(p->hashing,
                                  all ? 0 : NGX_HTTP_SPOOR_HASH_STEP,
                                  &done, reason, sizeof(reason));

        if (rc == SPOOR_E_NOMEM) {
            ngx_http_spoor_pending_drop(p);       /* tried again later */
            return;
        }

        if (!done) {
            return;
        }

        if (rc != SPOOR_OK) {
            (void) ngx_snprintf(why, sizeof(why), "%s: %s%Z", f->name,
                                reason);
            ngx_http_spoor_profiles_refuse(p, g->uniq, g->name,
                                           (char *) why, log);
            ngx_http_spoor_pending_drop(p);
            return;
        }

        spoor_snap_hash_free(p->hashing);
        p->hashing = NULL;
        f->verified = 1;

        if (!all) {
            return;                   /* the next file from the next tick */
        }
    }

    /* a serving view's slot table is its index; a full snapshot's
     * index gets a directory */
    done = 1;

    if (g->legacy
        && spoor_snap_index_dir_step(g->file[0]->snap,
                                     all ? 0 : NGX_HTTP_SPOOR_DIR_STEP, &done)
           != SPOOR_OK)
    {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "spoor_profiles: no index directory for \"%s/%s\" "
                      "(out of memory): lookups search the index",
                      p->dir.data, g->name);
        done = 1;
    }

    if (!done) {
        return;
    }

    old = p->current;
    p->current = g;
    p->pending = NULL;

    base = spoor_snap_count(g->file[g->chain.n - 1]->snap);

    if (g->chain.n == 1) {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "spoor_profiles: \"%s/%s\" in use, %uz profiles",
                      p->dir.data, g->name, base);

    } else {
        deltas = 0;
        for (i = 0; i + 1 < g->chain.n; i++) {
            deltas += spoor_snap_count(g->file[i]->snap);
        }

        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "spoor_profiles: \"%s/%s\" in use, %uz profiles in "
                      "its base %s and %uz records in %ui deltas",
                      p->dir.data, g->name, base,
                      g->file[g->chain.n - 1]->name, deltas,
                      g->chain.n - 1);
    }

    ngx_http_spoor_count(profile_loads);

    ngx_http_spoor_gen_release(old);
}


static void
ngx_http_spoor_profiles_timer(ngx_event_t *ev)
{
    ngx_http_spoor_profiles_t  *p = ev->data;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    ngx_http_spoor_profiles_step(p, 0, ev->log);

    ngx_add_timer(ev, p->pending ? 1 : p->check);
}


ngx_int_t
ngx_http_spoor_profiles_init_worker(ngx_http_spoor_main_conf_t *mcf,
    ngx_cycle_t *cycle)
{
    ngx_uint_t                   i;
    ngx_http_spoor_profiles_t  **pp, *p;

    pp = mcf->profiles.elts;

    for (i = 0; i < mcf->profiles.nelts; i++) {
        p = pp[i];

        p->current = NULL;
        p->pending = NULL;
        p->hashing = NULL;
        p->bad[0] = '\0';
        p->missing_logged = 0;
        p->keyed = NULL;

        if (p->key != NULL) {
            p->keyed = spoor_keyed_new(p->key->data, p->key->len);

            if (p->keyed == NULL
                || spoor_serve_key_id(p->keyed, (char *) p->key_id)
                   != SPOOR_OK)
            {
                ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                              "spoor_profiles: \"%V\": the key= cannot be "
                              "prepared (out of memory); keyed files are refused",
                              &p->dir);
                spoor_keyed_free(p->keyed);
                p->keyed = NULL;
            }
        }

        /* a new worker answers from the first request on */
        ngx_http_spoor_profiles_step(p, 1, cycle->log);

        p->event.handler = ngx_http_spoor_profiles_timer;
        p->event.data = p;
        p->event.log = cycle->log;
        p->event.cancelable = 1;

        ngx_add_timer(&p->event, p->check);
    }

    return NGX_OK;
}


void
ngx_http_spoor_profiles_exit_worker(ngx_http_spoor_main_conf_t *mcf)
{
    ngx_uint_t                   i;
    ngx_http_spoor_profiles_t  **pp, *p;

    pp = mcf->profiles.elts;

    for (i = 0; i < mcf->profiles.nelts; i++) {
        p = pp[i];

        if (p->event.timer_set) {
            ngx_del_timer(&p->event);
        }

        ngx_http_spoor_pending_drop(p);
        ngx_http_spoor_gen_release(p->current);
        p->current = NULL;
        spoor_keyed_free(p->keyed);
        p->keyed = NULL;
    }

    for (i = 0; i < NGX_HTTP_SPOOR_KEYS; i++) {
        spoor_keyed_free(ngx_http_spoor_keys[i].keyed);
        ngx_http_spoor_keys[i].keyed = NULL;
        ngx_http_spoor_keys[i].key = NULL;
    }
}


/* ---- the lookup ---------------------------------------------------------------- */

/* The worker's prepared key for the location's pseudonymization key;
 * NULL when it cannot be made. */
static spoor_keyed_t *
ngx_http_spoor_keyed(ngx_http_spoor_loc_conf_t *lcf)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_SPOOR_KEYS; i++) {
        if (ngx_http_spoor_keys[i].key == lcf->privacy.key) {
            return ngx_http_spoor_keys[i].keyed;
        }
        if (ngx_http_spoor_keys[i].key == NULL) {
            ngx_http_spoor_keys[i].keyed =
                spoor_keyed_new(lcf->privacy.key, lcf->privacy.key_len);
            if (ngx_http_spoor_keys[i].keyed == NULL) {
                return NULL;
            }
            ngx_http_spoor_keys[i].key = lcf->privacy.key;
            return ngx_http_spoor_keys[i].keyed;
        }
    }

    return NULL;
}


/* An id as a cookie may hold it: analytics.js keeps JSON strings, so one
 * pair of quotes (or of %22) around the value is taken off. */
static void
ngx_http_spoor_unquote(ngx_str_t *s)
{
    if (s->len >= 2 && s->data[0] == '"' && s->data[s->len - 1] == '"') {
        s->data++;
        s->len -= 2;

    } else if (s->len >= 6 && ngx_strncasecmp(s->data, (u_char *) "%22", 3)
                              == 0
               && ngx_strncasecmp(s->data + s->len - 3, (u_char *) "%22", 3)
                  == 0)
    {
        s->data += 3;
        s->len -= 6;
    }
}


static ngx_int_t
ngx_http_spoor_profile_try(ngx_http_spoor_loc_conf_t *lcf,
    ngx_http_spoor_gen_t *g, u_char kind, ngx_str_t *id,
    spoor_profile_view_t *view)
{
    spoor_keyed_t  *pseudo = NULL;

    if (id->len == 0) {
        return 0;
    }

    if (kind == 'u' && lcf->privacy.pseudo_user_id) {
        pseudo = ngx_http_spoor_keyed(lcf);
        if (pseudo == NULL) {
            return 0;
        }
    }

    return spoor_profile_lookup(&g->chain, g->serve, (char) kind,
                                (const char *) id->data, id->len, pseudo,
                                view);
}


/* The request's profile, looked up on first use; NULL when out of
 * memory.  ctx->profile_found tells whether there is one to serve. */
static ngx_http_spoor_ctx_t *
ngx_http_spoor_profile_get(ngx_http_request_t *r)
{
    ngx_str_t                     id;
    ngx_uint_t                    i, found;
    ngx_pool_cleanup_t           *cln;
    ngx_http_spoor_ctx_t         *ctx;
    ngx_http_spoor_gen_t         *g;
    ngx_http_spoor_profile_id_t  *ids;
    ngx_http_spoor_loc_conf_t    *lcf;

    ctx = ngx_http_spoor_get_ctx(r, NGX_HTTP_SPOOR_EP_MAX);
    if (ctx == NULL || ctx->profile_done) {
        return ctx;
    }

    ctx->profile_done = 1;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_spoor_module);
    if (lcf->profiles == NULL) {
        return ctx;
    }

    ngx_http_spoor_count(profile_lookups);

    if (!ngx_http_spoor_consent_personalization(r, lcf, ctx)) {
        ngx_http_spoor_count(profile_refusals);
        return ctx;
    }

    g = lcf->profiles->current;
    found = 0;

    if (g != NULL) {
        ngx_http_spoor_read_cookies(r, lcf, ctx);
        id = ctx->cookie[NGX_HTTP_SPOOR_CK_VISITOR];

        if (id.data && ngx_http_spoor_valid_id(&id)) {
            found = ngx_http_spoor_profile_try(lcf, g, 'v', &id,
                                               &ctx->profile);
        }

        if (!found && lcf->profile_ids) {
            ids = lcf->profile_ids->elts;

            for (i = 0; i < lcf->profile_ids->nelts && !found; i++) {
                if (ngx_http_complex_value(r, &ids[i].value, &id) != NGX_OK) {
                    return NULL;
                }
                ngx_http_spoor_unquote(&id);
                found = ngx_http_spoor_profile_try(lcf, g, ids[i].kind, &id,
                                                   &ctx->profile);
            }
        }
    }

    if (!found) {
        ngx_http_spoor_count(profile_misses);
        return ctx;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    g->refs++;
    cln->handler = ngx_http_spoor_gen_cleanup;
    cln->data = g;

    ctx->profile_gen = g;
    ctx->profile_found = 1;

    ngx_http_spoor_count(profile_hits);

    return ctx;
}


/* ---- variables ---------------------------------------------------------------------- */

static void
ngx_http_spoor_var_set(ngx_http_variable_value_t *v, u_char *data,
    size_t len)
{
    v->data = data;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
}


/* Every profile variable starts here: v empty, then *pv the request's
 * profile, or NULL when it has none to serve.  NGX_OK or NGX_ERROR. */
static ngx_int_t
ngx_http_spoor_var_profile(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, spoor_profile_view_t **pv)
{
    ngx_http_spoor_ctx_t  *ctx;

    ngx_http_spoor_var_set(v, (u_char *) "", 0);

    ctx = ngx_http_spoor_profile_get(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    *pv = ctx->profile_found ? &ctx->profile : NULL;

    return NGX_OK;
}


ngx_int_t
ngx_http_spoor_profile_var(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                *p, *start;
    size_t                 len, nlen;
    const char            *name;
    spoor_profile_iter_t   it;
    spoor_profile_view_t  *pv;

    if (ngx_http_spoor_var_profile(r, v, &pv) != NGX_OK) {
        return NGX_ERROR;
    }

    if (pv == NULL) {
        return NGX_OK;
    }

    switch (data) {

    case NGX_HTTP_SPOOR_V_FOUND:
        ngx_http_spoor_var_set(v, (u_char *) "1", 1);
        return NGX_OK;

    case NGX_HTTP_SPOOR_V_LIFECYCLE:
        if (pv->life != NULL) {            /* NULL: the record has none */
            ngx_http_spoor_var_set(v, (u_char *) pv->life, pv->life_len);
        }
        return NGX_OK;

    case NGX_HTTP_SPOOR_V_RFM:
        if (pv->rfm[0] == 0) {
            return NGX_OK;                      /* no orders */
        }
        start = ngx_pnalloc(r->pool, 3);
        if (start == NULL) {
            return NGX_ERROR;
        }
        start[0] = (u_char) ('0' + pv->rfm[0]);
        start[1] = (u_char) ('0' + pv->rfm[1]);
        start[2] = (u_char) ('0' + pv->rfm[2]);
        ngx_http_spoor_var_set(v, start, 3);
        return NGX_OK;

    default: /* NGX_HTTP_SPOOR_V_SEGMENTS */
        len = 0;
        ngx_memzero(&it, sizeof(it));
        while (spoor_profile_view_segment(pv, &it, &name, &nlen)) {
            len += nlen + 1;
        }
        if (len == 0) {
            return NGX_OK;
        }

        start = ngx_pnalloc(r->pool, len);
        if (start == NULL) {
            return NGX_ERROR;
        }

        p = start;
        ngx_memzero(&it, sizeof(it));
        while (spoor_profile_view_segment(pv, &it, &name, &nlen)) {
            if (p != start) {
                *p++ = ',';
            }
            p = ngx_cpymem(p, name, nlen);
        }
        ngx_http_spoor_var_set(v, start, p - start);
        return NGX_OK;
    }
}


/* The NAME of a prefix variable $PREFIXNAME (data: its full name). */
static void
ngx_http_spoor_var_name(uintptr_t data, size_t prefix, ngx_str_t *name)
{
    ngx_str_t  *full = (ngx_str_t *) data;

    name->data = full->data + prefix;
    name->len = full->len - prefix;
}


ngx_int_t
ngx_http_spoor_segment_var(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    size_t                 nlen;
    ngx_str_t              want;
    const char            *name;
    spoor_profile_iter_t   it;
    spoor_profile_view_t  *pv;

    if (ngx_http_spoor_var_profile(r, v, &pv) != NGX_OK) {
        return NGX_ERROR;
    }

    if (pv == NULL) {
        return NGX_OK;
    }

    ngx_http_spoor_var_name(data, sizeof("spoor_segment_") - 1, &want);

    ngx_memzero(&it, sizeof(it));
    while (spoor_profile_view_segment(pv, &it, &name, &nlen)) {
        if (nlen == want.len
            && ngx_strncasecmp((u_char *) name, want.data, nlen) == 0)
        {
            ngx_http_spoor_var_set(v, (u_char *) "1", 1);
            break;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_spoor_trait_var(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                *text;
    size_t                 vlen, cap, n;
    ngx_str_t              want;
    const unsigned char   *value;
    spoor_profile_view_t  *pv;

    if (ngx_http_spoor_var_profile(r, v, &pv) != NGX_OK) {
        return NGX_ERROR;
    }

    if (pv == NULL) {
        return NGX_OK;
    }

    ngx_http_spoor_var_name(data, sizeof("spoor_trait_") - 1, &want);

    if (!spoor_profile_view_trait(pv, (const char *) want.data,
                                  want.len, &value, &vlen))
    {
        return NGX_OK;
    }

    cap = ngx_min(vlen + 32, NGX_HTTP_SPOOR_TRAIT_MAX);

    text = ngx_pnalloc(r->pool, cap);
    if (text == NULL) {
        return NGX_ERROR;
    }

    n = spoor_profile_view_text(value, vlen, (char *) text, cap);

    ngx_http_spoor_var_set(v, text, n);

    return NGX_OK;
}
