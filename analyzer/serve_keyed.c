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
    spoor_keyed_t *k, uint64_t *bytes, char *err, size_t errlen)
{
    spoor_snap_t          *s;
    spoor_snapw_t         *w = NULL;
    spoor_profile_serve_t  sv;
    msgpack_sbuffer        sb;
    const unsigned char   *meta, *blob, *slot, *sum;
    unsigned char          zero[SPOOR_SERVE_SUM_LARGE];
    uint64_t              *hashes = NULL, version, kh;
    size_t                *first = NULL, *fill = NULL;
    size_t                 n, m, i, j, p, mlen, blen, sumlen;
    char                   id[SPOOR_SERVE_KEY_ID_LEN], path[4096];
    struct stat            st;
    int                    rc;

    msgpack_sbuffer_init(&sb);
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
        KEYED_MSG("the key cannot be used (OpenSSL)");
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

    memset(zero, 0, sizeof(zero));
    for (i = 0; i < n; i++) {
        blob = spoor_snap_profile(s, i, &blen);
        if (blob == NULL) {
            rc = SPOOR_E_FORMAT;
            KEYED_MSG("%s: profile %zu is damaged", src, i);
            goto done;
        }
        sum = zero;
        for (j = first[i]; j < first[i + 1]; j++) {
            slot = spoor_snap_slot(s, hashes[j], &p);
            if (slot != NULL && p == i) {
                sum = slot;
            }
            if (spoor_serve_key_hash(k, hashes[j], &kh) != SPOOR_OK) {
                rc = SPOOR_E_INVAL;
                KEYED_MSG("the key cannot be used (OpenSSL)");
                goto done;
            }
            hashes[j] = kh;
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
    free(first);
    free(fill);
    free(hashes);
    return rc;
}
