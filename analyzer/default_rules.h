/*
 * default_rules.h -- the segment rules in force when none were given.
 *
 * A state that was never given --rules and keeps none is built with the
 * built-in rules: the text of conf/segments.rules as shipped (compiled in
 * by the Makefile), so a fresh install segments profiles the way the
 * shipped configuration describes.  The text is kept in the state like
 * any given rules, so a later version with other defaults does not change
 * an existing state.
 */
#ifndef SPOOR_DEFAULT_RULES_H
#define SPOOR_DEFAULT_RULES_H

#include <stddef.h>

/* The name the built-in rules go by in messages and the lineage. */
#define DEFAULT_RULES_NAME  "built-in"

/* The built-in rules text (static, NUL-terminated); *len its length. */
const char *default_rules(size_t *len);

#endif /* SPOOR_DEFAULT_RULES_H */
