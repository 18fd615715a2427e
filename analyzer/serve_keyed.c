/*
 * serve_keyed.c -- the keyed copy of a serving view (serve_keyed.h).
 *
 * The index, sorted by hash, is regrouped by profile (a counting sort):
 * each profile is written once, with the keyed hashes of all its ids and
 * its summary, read from the slot of one of its ids whose first profile
 * it is (every slot of a profile holds the same summary).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <msgpack.h>

#include "error.h"
#include "mp_read.h"
#include "profile_view.h"
#include "serve_key.h"
#include "serve_keyed.h"
#include "snapshot.h"

#define KEYED_MSG(...)  snprintf(err, errlen, __VA_ARGS__)


/* Whether name[0 .. len) is one of o's exposable traits. */
static int
exposable(const serve_keyed_opts_t *o, const char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < o->ntraits; i++) {
        if (strlen(o->traits[i]) == len
            && memcmp(o->traits[i], name, len) == 0)
        {
            return 1;
        }
    }
    return 0;
}


/*
 * The record blob[0 .. len) (a flat array: name, value, ...) with only
 * the exposable traits, into sb (emptied first); *kept: how many.  Two
 * passes: count, then pack the header and copy the kept pairs' bytes.
 * SPOOR_OK, SPOOR_E_FORMAT (no such record), SPOOR_E_NOMEM.
 */
static int
keyed_record(const serve_keyed_opts_t *o, const unsigned char *blob,
    size_t len, msgpack_sbuffer *sb, uint32_t *kept)
{
    spoor_mp_item_t  it, name, val;
    size_t           off0, off, start;
    uint32_t         i, n = 0;
    int              pass;
    msgpack_packer   pk;

    *kept = 0;
    sb->size = 0;
    off0 = 0;
    if (spoor_mp_read(blob, len, &off0, &it) != SPOOR_OK
        || it.type != SPOOR_MP_ARRAY || it.len % 2 != 0)
    {
        return SPOOR_E_FORMAT;
    }
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    for (pass = 0; pass < 2; pass++) {
        if (pass == 1 && msgpack_pack_array(&pk, 2 * n) != 0) {
            return SPOOR_E_NOMEM;
        }
        off = off0;
        for (i = 0; i < it.len / 2; i++) {
            start = off;
            if (spoor_mp_read(blob, len, &off, &name) != SPOOR_OK
                || name.type != SPOOR_MP_STR
                || spoor_mp_read(blob, len, &off, &val) != SPOOR_OK
                || val.type != SPOOR_MP_BIN)
            {
                return SPOOR_E_FORMAT;
            }
            if (!exposable(o, name.s, name.len)) {
                continue;
            }
            if (pass == 0) {
                n++;
            } else if (msgpack_sbuffer_write(sb, (const char *) blob + start,
                                             off - start) != 0)
            {
                return SPOOR_E_NOMEM;
            }
        }
    }
    *kept = n;
    return SPOOR_OK;
}


/* The meta map of src with "key": id appended, into sb. */
static int
keyed_meta(const unsigned char *meta, size_t len, const char *id,
    msgpack_sbuffer *sb)
{
    spoor_mp_item_t  it;
    size_t           off = 0;
    msgpack_packer   pk;

    if (meta == NULL || spoor_mp_read(meta, len, &off, &it) != SPOOR_OK
        || it.type != SPOOR_MP_MAP || it.len == UINT32_MAX)
    {
        return SPOOR_E_FORMAT;
    }
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    if (msgpack_pack_map(&pk, it.len + 1) != 0
        || msgpack_sbuffer_write(sb, (const char *) meta + off, len - off)
           != 0
        || msgpack_pack_str_with_body(&pk, "key", 3) != 0
        || msgpack_pack_str_with_body(&pk, id, SPOOR_SERVE_KEY_ID_LEN) != 0)
    {
        return SPOOR_E_NOMEM;
    }
    return SPOOR_OK;
}


int
serve_keyed_copy(const char *src, const char *dir, const char *name,
    const serve_keyed_opts_t *o, uint64_t *bytes, char *err, size_t errlen)
{
    spoor_keyed_t         *k = o->key;
    spoor_snap_t          *s;
    spoor_snapw_t         *w = NULL;
    spoor_profile_serve_t  sv;
    msgpack_sbuffer        sb, rb;
    const unsigned char   *meta, *blob, *slot;
    unsigned char          sum[SPOOR_SERVE_SUM_LARGE];
    uint32_t               kept;
    int                    found;
    uint64_t              *hashes = NULL, version, kh;
    size_t                *first = NULL, *fill = NULL;
    size_t                 n, m, i, j, p, mlen, blen, sumlen;
    char                   id[SPOOR_SERVE_KEY_ID_LEN], path[4096];
    struct stat            st;
    int                    rc;

    msgpack_sbuffer_init(&sb);
    msgpack_sbuffer_init(&rb);
    if (bytes != NULL) {
        *bytes = 0;
    }

    s = spoor_snap_open(src, err, errlen);
    if (s == NULL) {
        return errno == ENOMEM ? SPOOR_E_NOMEM : SPOOR_E_FORMAT;
    }
    rc = SPOOR_E_FORMAT;
    sumlen = spoor_snap_summary_size(s);
    meta = spoor_snap_meta(s, &mlen);
    if (sumlen == 0 || (spoor_snap_flags(s) & SPOOR_SNAP_KEYED)
        || spoor_profile_serve_meta(meta, mlen, sumlen, &sv, &version)
           != SPOOR_OK
        || sv.key_id != NULL)
    {
        KEYED_MSG("%s: not a serving view of layout version %d", src,
                  SPOOR_SERVE_VERSION);
        goto done;
    }

    rc = SPOOR_E_INVAL;
    if (spoor_serve_key_id(k, id) != SPOOR_OK) {
        KEYED_MSG("the key cannot be used");
        goto done;
    }
    rc = keyed_meta(meta, mlen, id, &sb);
    if (rc != SPOOR_OK) {
        KEYED_MSG("%s: %s", src, rc == SPOOR_E_NOMEM ? "out of memory"
                                                     : "its meta is no map");
        goto done;
    }

    /* the index by profile: first[p] .. first[p + 1] */
    n = spoor_snap_count(s);
    m = spoor_snap_index_count(s);
    first = calloc(n + 1, sizeof(size_t));
    fill = calloc(n + 1, sizeof(size_t));
    hashes = malloc((m ? m : 1) * sizeof(uint64_t));
    if (first == NULL || fill == NULL || hashes == NULL) {
        rc = SPOOR_E_NOMEM;
        KEYED_MSG("out of memory");
        goto done;
    }
    for (j = 0; j < m; j++) {
        (void) spoor_snap_index_entry(s, j, &p);
        first[p + 1]++;
    }
    for (i = 0; i < n; i++) {
        first[i + 1] += first[i];
    }
    for (j = 0; j < m; j++) {
        uint64_t  h = spoor_snap_index_entry(s, j, &p);

        hashes[first[p] + fill[p]++] = h;
    }

    w = spoor_snapw_create(dir, name);
    if (w == NULL) {
        rc = SPOOR_E_IO;
        KEYED_MSG("%s/%s: cannot create: %s", dir, name, strerror(errno));
        goto done;
    }
    rc = spoor_snapw_slots(w, sumlen);
    if (rc == SPOOR_OK) {
        rc = spoor_snapw_flags(w, spoor_snap_flags(s) | SPOOR_SNAP_KEYED);
    }
    if (rc != SPOOR_OK) {
        KEYED_MSG("%s/%s: cannot start the slot table", dir, name);
        goto done;
    }

    for (i = 0; i < n; i++) {
        blob = spoor_snap_profile(s, i, &blen);
        if (blob == NULL) {
            rc = SPOOR_E_FORMAT;
            KEYED_MSG("%s: profile %zu is damaged", src, i);
            goto done;
        }
        memset(sum, 0, sizeof(sum));
        found = 0;
        for (j = first[i]; j < first[i + 1]; j++) {
            /* one slot of the profile's holds its summary (a cache miss
             * each: looked up only until found) */
            if (!found) {
                slot = spoor_snap_slot(s, hashes[j], &p);
                if (slot != NULL && p == i) {
                    memcpy(sum, slot, sumlen);
                    found = 1;
                }
            }
            if (spoor_serve_key_hash(k, hashes[j], &kh) != SPOOR_OK) {
                rc = SPOOR_E_INVAL;
                KEYED_MSG("the key cannot be used");
                goto done;
            }
            hashes[j] = kh;
        }
        /* a gone entry's record is kept as it is; a profile's keeps its
         * exposable traits only */
        if (!(sum[3] & SPOOR_SERVE_GONE)) {
            rc = keyed_record(o, blob, blen, &rb, &kept);
            if (rc != SPOOR_OK) {
                KEYED_MSG("%s: profile %zu: %s", src, i,
                          rc == SPOOR_E_NOMEM ? "out of memory"
                                              : "a record that does not read");
                goto done;
            }
            blob = (const unsigned char *) rb.data;
            blen = rb.size;
            if (kept == 0) {
                sum[3] &= (unsigned char) ~SPOOR_SERVE_TRAITS;
            }
        }
        rc = spoor_snapw_add_sum(w, blob, blen, hashes + first[i],
                                 first[i + 1] - first[i], sum);
        if (rc != SPOOR_OK) {
            KEYED_MSG("%s/%s: cannot write profile %zu: %s", dir, name, i,
                      rc == SPOOR_E_IO ? strerror(errno)
                      : rc == SPOOR_E_NOMEM ? "out of memory"
                      : "refused");
            goto done;
        }
    }

    rc = spoor_snapw_meta(w, (const unsigned char *) sb.data, sb.size);
    if (rc == SPOOR_OK) {
        rc = spoor_snapw_commit(w);
        w = NULL;                        /* commit frees it in every case */
    }
    if (rc != SPOOR_OK) {
        KEYED_MSG("%s/%s: cannot write: %s", dir, name,
                  rc == SPOOR_E_NOMEM ? "out of memory" : strerror(errno));
        goto done;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (bytes != NULL && stat(path, &st) == 0) {
        *bytes = (uint64_t) st.st_size;
    }

done:
    spoor_snapw_abort(w);
    spoor_snap_close(s);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_destroy(&rb);
    free(first);
    free(fill);
    free(hashes);
    return rc;
}
