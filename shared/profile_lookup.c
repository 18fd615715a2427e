/*
 * profile_lookup.c -- a profile found by an id in a chain of files
 * (profile_lookup.h).
 */

#include <stdint.h>

#include "error.h"
#include "privacy.h"
#include "profile_lookup.h"
#include "serve_key.h"


int
spoor_profile_lookup(const spoor_profile_chain_t *c,
    const spoor_profile_serve_t *sv, char kind, const char *id, size_t len,
    spoor_keyed_t *pseudo, spoor_profile_view_t *v)
{
    char                  hex[SPOOR_PSEUDONYM_LEN], k[2];
    const unsigned char  *blob;
    const spoor_snap_t   *s;
    size_t                f, i, blen;
    uint64_t              h;

    if (len == 0 || c->n == 0 || c->n > SPOOR_CHAIN_DELTAS_MAX + 1
        || (sv == NULL && c->n != 1))
    {
        return 0;
    }
    if (pseudo != NULL) {
        if (spoor_pseudonym(NULL, 0, pseudo, id, len, hex) != SPOOR_OK) {
            return 0;
        }
        id = hex;
        len = SPOOR_PSEUDONYM_LEN;
    }

    k[0] = kind;
    k[1] = '\0';
    h = spoor_id_hash(k, id, len);
    if (c->index_key != NULL
        && spoor_serve_key_hash(c->index_key, h, &h) != SPOOR_OK)
    {
        return 0;
    }

    if (sv != NULL) {
        /* serving views, newest first: one line of each slot table until
         * one holds the hash; a gone entry there is the answer too */
        for (f = 1; f < c->n; f++) {
            spoor_snap_slot_prefetch(c->file[f], h);
        }
        for (f = 0; f < c->n; f++) {
            s = c->file[f];
            blob = spoor_snap_slot(s, h, &i);
            if (blob == NULL) {
                continue;
            }
            if (blob[3] & SPOOR_SERVE_GONE) {
                return 0;
            }
            spoor_profile_view_summary(sv, blob, s, i, v);
            return 1;
        }
        return 0;
    }

    s = c->file[0];
    i = spoor_snap_first(s, h);
    if (i == SIZE_MAX) {
        return 0;
    }
    blob = spoor_snap_profile(s, i, &blen);
    if (blob == NULL) {
        return 0;
    }
    return spoor_profile_view(blob, blen, v) == SPOOR_OK;
}
