/*
 * fuzz_id_text.c -- libFuzzer target: ids' texts packed to 16 bytes
 * (analyzer/id_text.h), an id being any bytes a tracker sends.
 *
 * Any input, read from an exact-size copy: when it packs, it unpacks to
 * itself, byte for byte, and packs again to the same bytes.  The first
 * 16 bytes of an input of at least 17 are also unpacked in the form its
 * 17th byte picks and must pack back to themselves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "id_text.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char  b[ID_TEXT_PACKED], b2[ID_TEXT_PACKED];
    char           text[ID_TEXT_MAX + 1];
    char          *copy = malloc(size ? size : 1);
    unsigned       form;
    size_t         n;

    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);
    form = id_text_pack(copy, size, b);
    if (form != ID_TEXT_RAW) {
        n = id_text_unpack(form, b, text);
        if (n != size || memcmp(text, copy, size) != 0
            || id_text_pack(text, n, b2) != form
            || memcmp(b, b2, sizeof(b)) != 0)
        {
            abort();
        }
    }
    free(copy);

    if (size > ID_TEXT_PACKED) {
        form = data[ID_TEXT_PACKED] % 2 ? ID_TEXT_B64 : ID_TEXT_UUID;
        n = id_text_unpack(form, data, text);
        if (n != strlen(text) || id_text_pack(text, n, b) != form
            || memcmp(b, data, ID_TEXT_PACKED) != 0)
        {
            abort();
        }
    }
    return 0;
}
