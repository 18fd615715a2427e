/*
 * test_intern.c -- the profiles' string table (analyzer/intern.h): one
 * copy per string, cut at INTERN_STR_MAX, a string holding a NUL kept
 * apart from its prefix, growth keeping every copy, and freed whole.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "intern.h"

Test(intern, one_copy_per_string_through_growth_and_freed)
{
    intern_t     t;
    const char  *first[3000], *a, *b;
    char         s[32], big[INTERN_STR_MAX + 100];
    int          i;

    intern_init(&t);
    for (i = 0; i < 3000; i++) {
        snprintf(s, sizeof(s), "name-%d", i);
        first[i] = intern_get(&t, s, strlen(s));
        cr_assert_not_null(first[i]);
        cr_assert_str_eq(first[i], s);
    }
    for (i = 0; i < 3000; i++) {
        snprintf(s, sizeof(s), "name-%d", i);
        cr_assert_eq(intern_get(&t, s, strlen(s)), first[i], "%s moved", s);
    }
    cr_assert_eq(t.str.n, 3000);

    /* a string with a NUL is not its prefix (nor read past the copy) */
    a = intern_get(&t, "ab", 2);
    b = intern_get(&t, "ab\0cd", 5);
    cr_assert_neq(a, b);
    cr_assert_eq(intern_get(&t, "ab", 2), a);

    /* longer strings are cut; the cut string is the same entry */
    memset(big, 'x', sizeof(big));
    a = intern_get(&t, big, sizeof(big));
    cr_assert_eq(strlen(a), INTERN_STR_MAX);
    cr_assert_eq(intern_get(&t, big, INTERN_STR_MAX), a);
    cr_assert_null(intern_get(&t, NULL, 3));

    intern_free(&t);
    cr_assert_eq(t.str.n, 0);
    cr_assert_null(t.str.slot);
    /* usable again after being freed */
    cr_assert_str_eq(intern_get(&t, "again", 5), "again");
    intern_free(&t);
}


Test(intern, one_copy_per_tuple_of_bytes_through_growth)
{
    intern_t      t;
    const void   *first[2000];
    uint32_t      id[2000], a, b;
    uint64_t      tuple[4];
    int           i;

    intern_init(&t);
    for (i = 0; i < 2000; i++) {
        tuple[0] = (uint64_t) i;
        tuple[1] = tuple[2] = tuple[3] = 7;
        id[i] = intern_tuple_id(&t, tuple, sizeof(tuple));
        cr_assert_eq(id[i], (uint32_t) i + 1, "ids are dense, from 1");
        first[i] = intern_tuple(&t, id[i]);
        cr_assert_eq(memcmp(first[i], tuple, sizeof(tuple)), 0);
        cr_assert_eq((uintptr_t) first[i] % _Alignof(max_align_t), 0,
                     "tuple %d is not aligned for any type", i);
    }
    for (i = 0; i < 2000; i++) {
        tuple[0] = (uint64_t) i;
        tuple[1] = tuple[2] = tuple[3] = 7;
        cr_assert_eq(intern_tuple_id(&t, tuple, sizeof(tuple)), id[i],
                     "tuple %d changed its id", i);
        cr_assert_eq(intern_tuple(&t, id[i]), first[i], "tuple %d moved", i);
    }
    cr_assert_eq(t.tup.n, 2000);

    /* a tuple is not its prefix, nor a longer one with the same start */
    tuple[0] = 0;
    a = intern_tuple_id(&t, tuple, 2 * sizeof(uint64_t));
    b = intern_tuple_id(&t, tuple, sizeof(tuple));
    cr_assert_neq(a, b);
    cr_assert_eq(b, id[0]);
    cr_assert_eq(intern_tuple_id(&t, tuple, 2 * sizeof(uint64_t)), a);

    /* strings and tuples are kept apart */
    cr_assert_eq(t.str.n, 0);
    intern_free(&t);
    cr_assert_eq(t.tup.n, 0);
    cr_assert_null(t.tup.slot);
}


Test(intern, an_id_names_one_copy_for_good_and_a_lookup_adds_nothing)
{
    intern_t     t;
    uint32_t     id[3000];
    char         s[32], big[INTERN_STR_MAX + 10];
    int          i;

    intern_init(&t);
    cr_assert_eq(intern_find(&t, "x", 1), 0, "an empty table holds nothing");
    for (i = 0; i < 3000; i++) {
        snprintf(s, sizeof(s), "name-%d", i);
        id[i] = intern_id(&t, s, strlen(s));
        cr_assert_eq(id[i], (uint32_t) i + 1, "ids count the copies made");
    }
    /* through the table's growth: the same ids, the same copies */
    for (i = 0; i < 3000; i++) {
        snprintf(s, sizeof(s), "name-%d", i);
        cr_assert_eq(intern_find(&t, s, strlen(s)), id[i]);
        cr_assert_eq(intern_id(&t, s, strlen(s)), id[i]);
        cr_assert_str_eq(intern_str(&t, id[i]), s);
        cr_assert_eq(intern_get(&t, s, strlen(s)), intern_str(&t, id[i]));
    }
    /* a lookup of a string not there adds nothing */
    cr_assert_eq(intern_find(&t, "name-3000", 9), 0);
    cr_assert_eq(intern_find(&t, "name-1\0", 7), 0);
    cr_assert_eq(t.str.n, 3000);
    cr_assert_eq(intern_id(&t, "name-3000", 9), 3001);

    /* the empty string is a string; longer ones are found cut */
    cr_assert_eq(intern_find(&t, "", 0), 0);
    cr_assert_eq(intern_id(&t, "", 0), 3002);
    cr_assert_str_eq(intern_str(&t, 3002), "");
    memset(big, 'y', sizeof(big));
    cr_assert_eq(intern_id(&t, big, sizeof(big)),
                 intern_find(&t, big, INTERN_STR_MAX));
    cr_assert_eq(intern_id(&t, NULL, 1), 0);
    cr_assert_eq(intern_find(&t, NULL, 1), 0);
    intern_free(&t);
}
