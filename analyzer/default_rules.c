/*
 * default_rules.c -- the built-in segment rules (see default_rules.h).
 */
#include "default_rules.h"
#include "default_rules_text.h"     /* generated: default_rules_text[] */


const char *
default_rules(size_t *len)
{
    *len = sizeof(default_rules_text) - 1;
    return default_rules_text;
}
