/*
 * test_id_text.c -- ids' texts packed to 16 bytes (analyzer/id_text.h):
 * the two shapes packed, every near miss kept as it is, and packing
 * exact both ways for every byte value.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "id_text.h"

/* The form of text, and, packed, that it unpacks to itself. */
static unsigned
form_of(const char *text)
{
    unsigned char  b[ID_TEXT_PACKED];
    char           back[ID_TEXT_MAX + 1];
    unsigned       form = id_text_pack(text, strlen(text), b);

    if (form != ID_TEXT_RAW) {
        cr_assert_eq(id_text_unpack(form, b, back), strlen(text));
        cr_assert_str_eq(back, text, "packed and unpacked: not the same");
    }
    return form;
}


Test(id_text, uuids_and_base64url_pack_and_near_misses_do_not)
{
    cr_assert_eq(form_of("df01ff83-c112-4fc6-9aac-27b203ec02fd"),
                 ID_TEXT_UUID);
    cr_assert_eq(form_of("00000000-0000-0000-0000-000000000000"),
                 ID_TEXT_UUID);
    cr_assert_eq(form_of("ffffffff-ffff-ffff-ffff-ffffffffffff"),
                 ID_TEXT_UUID);
    cr_assert_eq(form_of("EBa8B5l0JaD79GVr4sx-MQ"), ID_TEXT_B64);
    cr_assert_eq(form_of("AAAAAAAAAAAAAAAAAAAAAA"), ID_TEXT_B64);
    cr_assert_eq(form_of("_____________________w"), ID_TEXT_B64);

    /* uppercase, a dash moved or missing, a non-hex letter, a length */
    cr_assert_eq(form_of("DF01FF83-C112-4FC6-9AAC-27B203EC02FD"),
                 ID_TEXT_RAW);
    cr_assert_eq(form_of("df01ff83c-112-4fc6-9aac-27b203ec02fd"),
                 ID_TEXT_RAW);
    cr_assert_eq(form_of("df01ff83xc112-4fc6-9aac-27b203ec02fd"),
                 ID_TEXT_RAW);
    cr_assert_eq(form_of("df01ff83-c112-4fc6-9aac-27b203ec02fg"),
                 ID_TEXT_RAW);
    cr_assert_eq(form_of("df01ff83-c112-4fc6-9aac-27b203ec02f"),
                 ID_TEXT_RAW);
    /* base64url: bits past the 128th, '+' or '/', '=', a length */
    cr_assert_eq(form_of("EBa8B5l0JaD79GVr4sx-MR"), ID_TEXT_RAW);
    cr_assert_eq(form_of("_____________________x"), ID_TEXT_RAW);
    cr_assert_eq(form_of("EBa8B5l0JaD79GVr4sx+MQ"), ID_TEXT_RAW);
    cr_assert_eq(form_of("EBa8B5l0JaD79GVr4sx/MQ"), ID_TEXT_RAW);
    cr_assert_eq(form_of("EBa8B5l0JaD79GVr4sx-M="), ID_TEXT_RAW);
    cr_assert_eq(form_of("EBa8B5l0JaD79GVr4sx-MQA"), ID_TEXT_RAW);
    cr_assert_eq(form_of(""), ID_TEXT_RAW);
    cr_assert_eq(id_text_pack("EBa8B5l0JaD79GVr4sx-\0Q", 22,
                              (unsigned char [ID_TEXT_PACKED]) { 0 }),
                 ID_TEXT_RAW, "a NUL is no base64url");
}


/* Every byte value at every place: 16 bytes unpack to a text that packs
 * back to them, in both forms. */
Test(id_text, every_sixteen_bytes_come_back)
{
    unsigned char  in[ID_TEXT_PACKED], out[ID_TEXT_PACKED];
    char           text[ID_TEXT_MAX + 1];
    unsigned       form, v;
    size_t         at, n;

    for (form = ID_TEXT_UUID; form <= ID_TEXT_B64; form++) {
        for (at = 0; at < ID_TEXT_PACKED; at++) {
            for (v = 0; v < 256; v++) {
                memset(in, (int) (0x5A ^ at), sizeof(in));
                in[at] = (unsigned char) v;
                n = id_text_unpack(form, in, text);
                cr_assert_eq(n, form == ID_TEXT_UUID ? 36u : 22u);
                cr_assert_eq(strlen(text), n);
                cr_assert_eq(id_text_pack(text, n, out), form,
                             "%s does not pack", text);
                cr_assert_eq(memcmp(in, out, sizeof(in)), 0,
                             "%s packs to other bytes", text);
            }
        }
    }
}
