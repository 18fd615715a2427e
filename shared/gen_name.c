/*
 * gen_name.c -- the number in a generation's file names (gen_name.h).
 */
#include <string.h>
#include "gen_name.h"

#define DIGITS_MIN  6
#define DIGITS_MAX  10


uint32_t
gen_name_number(const char *name, const char *prefix, const char *suffix,
    int exact)
{
    size_t    pl = strlen(prefix), sl = strlen(suffix), nd, i;
    uint64_t  g = 0;

    if (strncmp(name, prefix, pl) != 0) {
        return 0;
    }
    nd = strspn(name + pl, "0123456789");
    if (nd < DIGITS_MIN || nd > DIGITS_MAX
        || (nd > DIGITS_MIN && name[pl] == '0')
        || strncmp(name + pl + nd, suffix, sl) != 0
        || (exact && name[pl + nd + sl] != '\0'))
    {
        return 0;
    }
    for (i = 0; i < nd; i++) {
        g = g * 10 + (uint64_t) (name[pl + i] - '0');
    }
    return g <= UINT32_MAX ? (uint32_t) g : 0;
}
