/*
 * gen_name.h -- the number in a generation's file names: gen-N.snap,
 * gen-N.serve, gen-N.snap.damaged, lineage/N.json.
 *
 * N is printed with "%06" PRIu32: six digits with leading zeros up to
 * 999999, then as many as it takes (gen-1000000.snap follows
 * gen-999999.snap; a follower publishing every second gets there in under
 * twelve days).  So a name's number is six digits, or seven to ten
 * without a leading zero, at most UINT32_MAX; 0 is no generation.  Names
 * sort by number, not by text.
 */
#ifndef SPOOR_GEN_NAME_H
#define SPOOR_GEN_NAME_H

#include <stdint.h>

/*
 * The number of name = prefix N suffix, then anything when exact is 0,
 * nothing more when it is 1; 0 for any other name (temporary files
 * ".gen-000001.snap.tmp.42", other files, N = 0).
 */
uint32_t gen_name_number(const char *name, const char *prefix,
    const char *suffix, int exact);

#endif /* SPOOR_GEN_NAME_H */
