/*
 * state_view.c -- a state's current generation, read as one (state_view.h).
 */
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "state_view.h"


int
state_view_open(state_view_t *v, const char *dir, char *err, size_t errlen)
{
    const unsigned char  *meta;
    size_t                len;
    int                   rc;

    memset(v, 0, sizeof(*v));
    v->st.lock_fd = -1;
    msgpack_sbuffer_init(&v->sb);
    rc = state_open_chain(dir, &v->c, err, errlen);
    if (rc != SPOOR_OK) {
        msgpack_sbuffer_destroy(&v->sb);
        return rc;
    }
    meta = spoor_snap_meta(v->c.file[0], &len);
    if (meta != NULL) {
        rc = stored_meta_read(&v->meta, meta, len, err, errlen);
        if (rc == SPOOR_OK) {
            v->has_meta = 1;
        } else {
            stored_meta_free(&v->meta);
        }
    }
    if (v->c.n == 1) {
        return SPOOR_OK;        /* its records as stored; a reader of the
                                   meta says when it does not read */
    }

    /* a chain: what records of older files are computed again with */
    rc = SPOOR_E_FORMAT;
    if (!v->has_meta || !v->meta.has_settings) {
        snprintf(err, errlen, "%s: a delta generation without settings in "
                 "its metadata", dir);
        goto fail;
    }
    intern_init(&v->st.strings);
    v->st.conf.strings = &v->st.strings;
    v->st.set = v->meta.settings;               /* taken */
    settings_init(&v->meta.settings);
    v->st.has_settings = 1;
    v->st.as_of = v->meta.as_of;
    rc = state_settings_apply(&v->st, err, errlen);
    if (rc != SPOOR_OK) {
        goto fail;
    }
    v->inf.as_of = v->meta.as_of;
    v->inf.abandon_ms = v->st.conf.abandon_ms;
    v->inf.half_life_ms = v->st.conf.half_life_ms;
    memcpy(v->inf.lifecycle_ms, v->st.set.lifecycle_ms,
           sizeof(v->inf.lifecycle_ms));
    v->inf.rules = v->st.rules;
    v->inf.agg_keys = v->st.conf.agg_keys;
    v->inf.strings = &v->st.strings;
    memcpy(v->inf.cuts, v->meta.rfm_cuts, sizeof(v->inf.cuts));
    return SPOOR_OK;

fail:
    state_view_close(v);
    return rc;
}


void
state_view_close(state_view_t *v)
{
    chain_close(&v->c);
    if (v->has_meta) {
        stored_meta_free(&v->meta);
    }
    state_close(&v->st);
    msgpack_sbuffer_destroy(&v->sb);
    memset(v, 0, sizeof(*v));
}


const unsigned char *
state_view_record(state_view_t *v, size_t f, size_t i, size_t *len)
{
    const unsigned char  *b;

    b = chain_record(&v->c, f, i, len);
    if (b == NULL || f == 0) {
        return b;
    }
    if (state_record_again(&v->st, &v->inf, b, *len, &v->sb) != SPOOR_OK) {
        *len = 0;
        return NULL;
    }
    *len = v->sb.size;
    return (const unsigned char *) v->sb.data;
}


typedef struct {
    state_view_t  *v;
    int          (*fn)(void *arg, size_t i, const unsigned char *b,
                       size_t len);
    void          *arg;
} view_each_t;


static int
view_one(void *arg, size_t f, size_t i, const unsigned char *b, size_t len)
{
    view_each_t  *x = arg;

    if (b != NULL && f > 0) {
        if (state_record_again(&x->v->st, &x->v->inf, b, len, &x->v->sb)
            != SPOOR_OK)
        {
            b = NULL;
            len = 0;
        } else {
            b = (const unsigned char *) x->v->sb.data;
            len = x->v->sb.size;
        }
    }
    return x->fn(x->arg, i, b, b ? len : 0);
}


int
state_view_each(state_view_t *v,
    int (*fn)(void *arg, size_t i, const unsigned char *b, size_t len),
    void *arg)
{
    view_each_t  x = { v, fn, arg };

    return chain_each(&v->c, view_one, &x);
}
