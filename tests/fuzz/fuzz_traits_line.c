/*
 * fuzz_traits_line.c -- libFuzzer target: any bytes as one line of
 * `spoor import-traits` input (traits_line_parse, traits_import.h).
 *
 * Checks the contract: a refused line has one of the documented error
 * codes, a reason, and nothing left to free; an accepted one has a kind
 * of 'u' or 'a', an id inside valid UTF-8, a map of string-keyed traits,
 * and every trait value packs again (what cmd_import_traits stores) into
 * one msgpack value that spoor_mp_check accepts at the depth an event's
 * values may have.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include "error.h"
#include "event.h"
#include "mp_check.h"
#include "traits_import.h"
#include "utf8.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    traits_line_t             t;
    const msgpack_object_kv  *kv;
    msgpack_sbuffer           sb;
    msgpack_packer            pk;
    char                      err[256];
    size_t                    n;
    uint32_t                  i;
    int                       rc;

    rc = traits_line_parse((const char *) data, size, &t, err, sizeof(err));
    if (rc != SPOOR_OK) {
        if ((rc != SPOOR_E_JSON && rc != SPOOR_E_DEPTH
             && rc != SPOOR_E_FORMAT && rc != SPOOR_E_NOMEM)
            || err[0] == '\0' || t.mp != NULL || t.traits != NULL
            || t.id != NULL)
        {
            abort();
        }
        traits_line_free(&t);
        return 0;
    }

    if ((t.kind != 'u' && t.kind != 'a')
        || (t.id == NULL && t.id_len != 0)
        || !spoor_utf8_valid((const unsigned char *) t.id, t.id_len)
        || t.traits == NULL || t.traits->type != MSGPACK_OBJECT_MAP)
    {
        abort();
    }
    for (i = 0; i < t.traits->via.map.size; i++) {
        kv = &t.traits->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR) {
            abort();
        }
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        if (msgpack_pack_object(&pk, kv->val) != 0
            || spoor_mp_check((const unsigned char *) sb.data, sb.size,
                              SPOOR_VALUE_DEPTH_MAX, &n) != SPOOR_OK
            || n != sb.size)
        {
            abort();
        }
        msgpack_sbuffer_destroy(&sb);
    }
    traits_line_free(&t);
    if (t.mp != NULL || t.traits != NULL) {
        abort();
    }
    return 0;
}
