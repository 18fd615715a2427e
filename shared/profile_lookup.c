/*
 * profile_lookup.c -- a profile found by an id (profile_lookup.h).
 */

#include <stdint.h>

#include "error.h"
#include "privacy.h"
#include "profile_lookup.h"


int
spoor_profile_lookup(const spoor_snap_t *s, const spoor_profile_serve_t *sv,
    char kind, const char *id, size_t len, spoor_keyed_t *pseudo,
    spoor_profile_view_t *v)
{
    char                  hex[SPOOR_PSEUDONYM_LEN], k[2];
    const unsigned char  *blob;
    size_t                i, blen;
    uint64_t              h;

    if (len == 0) {
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

    if (sv != NULL) {
        /* a serving view: one line of its slot table */
        blob = spoor_snap_slot(s, h, &i);
        if (blob == NULL) {
            return 0;
        }
        spoor_profile_view_summary(sv, blob, s, i, v);
        return 1;
    }

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
