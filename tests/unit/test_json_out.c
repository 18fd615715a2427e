/*
 * test_json_out.c -- every record prints as valid JSON (analyzer/json_out.c).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>
#include "event.h"
#include "json_out.h"


/* Prints ev with json_out into a string (caller frees). */
static char *
print_event(const spoor_event_t *ev)
{
    json_out_t   j;
    char        *buf = NULL;
    size_t       len = 0;
    FILE        *f = open_memstream(&buf, &len);

    cr_assert_not_null(f);
    cr_assert_eq(json_out_init(&j, f), 0);
    json_out_event(&j, ev);
    cr_assert_eq(json_out_line(&j), 0);
    json_out_free(&j);
    fclose(f);
    return buf;
}


Test(json_out, invalid_utf8_and_odd_numbers_still_give_valid_json)
{
    unsigned char   props[256];
    spoor_buf_t     b;
    msgpack_packer  pk;
    spoor_event_t   ev;
    yajl_val        root, v;
    char           *s, err[128];
    const char     *name_path[] = { "name", NULL };
    const char     *nan_path[] = { "properties", "nan", NULL };
    const char     *bin_path[] = { "properties", "bin", NULL };
    const char     *key_path[] = { "properties", "7", NULL };

    spoor_buf_init(&b, props, sizeof(props));
    msgpack_packer_init(&pk, &b, spoor_buf_msgpack_write);
    msgpack_pack_map(&pk, 5);
    msgpack_pack_str_with_body(&pk, "nan", 3);
    msgpack_pack_double(&pk, NAN);
    msgpack_pack_str_with_body(&pk, "big", 3);
    msgpack_pack_uint64(&pk, UINT64_MAX);
    msgpack_pack_str_with_body(&pk, "bin", 3);
    msgpack_pack_bin_with_body(&pk, "\x00\xff\x10", 3);
    msgpack_pack_int(&pk, 7);                       /* a non-string key */
    msgpack_pack_true(&pk);
    msgpack_pack_str_with_body(&pk, "f", 1);
    msgpack_pack_double(&pk, 0.1);

    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev.kind = SPOOR_KIND_TRACK;
    ev.kind_name.data = "track";
    ev.kind_name.len = 5;
    ev.name.data = "bad \xc0\x80 \xff";
    ev.name.len = 8;
    ev.properties.raw = b.data;
    ev.properties.raw_len = b.len;

    s = print_event(&ev);
    root = yajl_tree_parse(s, err, sizeof(err));
    cr_assert_not_null(root, "%s: %s", err, s);

    v = yajl_tree_get(root, name_path, yajl_t_string);
    cr_assert_not_null(v);
    cr_assert_str_eq(YAJL_GET_STRING(v),
                     "bad \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd");
    cr_assert_not_null(yajl_tree_get(root, nan_path, yajl_t_null));
    cr_assert_not_null(strstr(s, "\"big\":18446744073709551615"), "%s", s);
    v = yajl_tree_get(root, bin_path, yajl_t_string);
    cr_assert_not_null(v);
    cr_assert_str_eq(YAJL_GET_STRING(v), "AP8Q");
    cr_assert_not_null(yajl_tree_get(root, key_path, yajl_t_true));
    cr_assert_not_null(strstr(s, "\"f\":0.1}"), "%s", s);

    yajl_tree_free(root);
    free(s);
}


Test(json_out, ip_addresses_print_in_their_text_form)
{
    spoor_event_t  ev;
    char          *s;

    spoor_event_init(&ev);
    ev.received_ms = 1;
    ev.kind_name.data = "page";
    ev.kind_name.len = 4;
    ev.ip_len = 4;
    memcpy(ev.ip, "\x51\x02\x45\x00", 4);
    s = print_event(&ev);
    cr_assert_not_null(strstr(s, "\"ip\":\"81.2.69.0\""), "%s", s);
    free(s);

    ev.ip_len = 16;
    memcpy(ev.ip, "\x20\x01\x0d\xb8\x00\x01\0\0\0\0\0\0\0\0\0\0", 16);
    s = print_event(&ev);
    cr_assert_not_null(strstr(s, "\"ip\":\"2001:db8:1::\""), "%s", s);
    free(s);
}


/* Numbers are written as the formatter writes them: integers exactly at
 * both ends of their range, doubles as the shortest text that reads back,
 * the same text the second time (from the writer's cache) as the first,
 * and a raw value read in place prints as its object would. */
Test(json_out, numbers_at_their_limits_and_repeated_doubles)
{
    json_out_t   j;
    char        *buf = NULL;
    size_t       len = 0;
    FILE        *f = open_memstream(&buf, &len);
    int          i;

    cr_assert_not_null(f);
    cr_assert_eq(json_out_init(&j, f), 0);
    json_out_array_open(&j);
    json_out_int(&j, 0);
    json_out_int(&j, -1);
    json_out_int(&j, INT64_MIN);
    json_out_int(&j, INT64_MAX);
    json_out_uint(&j, UINT64_MAX);
    for (i = 0; i < 2; i++) {
        json_out_double(&j, 0.1);
        json_out_double(&j, 52.52);
        json_out_double(&j, -3.0);
        json_out_double(&j, 1e300);
    }
    json_out_double(&j, NAN);
    json_out_array_close(&j);
    cr_assert_eq(json_out_line(&j), 0);
    json_out_free(&j);
    fclose(f);
    cr_assert_str_eq(buf, "[0,-1,-9223372036854775808,9223372036854775807,"
                     "18446744073709551615,0.1,52.52,-3.0,1e+300,"
                     "0.1,52.52,-3.0,1e+300,null]\n");
    free(buf);
}
