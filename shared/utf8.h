/*
 * utf8.h -- well-formed UTF-8 (RFC 3629): check, and repair for display.
 *
 * Well-formed means: no overlong forms, no surrogates (U+D800..DFFF),
 * nothing above U+10FFFF, no stray continuation bytes, no truncated
 * sequences.  yajl's own check looks at lead and continuation bytes only,
 * so every string spoor takes from JSON is checked here as well.
 */
#ifndef SPOOR_UTF8_H
#define SPOOR_UTF8_H

#include <stddef.h>

/* Returns 1 when s[0 .. len) is well-formed UTF-8, else 0. */
int spoor_utf8_valid(const unsigned char *s, size_t len);

/*
 * Copies s[0 .. len) to out, replacing each byte that does not start a
 * well-formed sequence with U+FFFD (EF BF BD).  out needs room for
 * 3 * len bytes.  Returns the number of bytes written.
 */
size_t spoor_utf8_repair(const unsigned char *s, size_t len,
    unsigned char *out);

/*
 * The same check a byte at a time, for code that makes the bytes itself
 * (the one-pass decoder in percent.c).  Start from SPOOR_UTF8_ACCEPT and
 * pass every byte through spoor_utf8_step(): the bytes so far are
 * well-formed exactly when the state is SPOOR_UTF8_ACCEPT.  Once it is
 * SPOOR_UTF8_REJECT it stays there; any other state is the middle of a
 * sequence.  An ASCII byte leaves ACCEPT and REJECT as they are.
 */
#define SPOOR_UTF8_ACCEPT  0
#define SPOOR_UTF8_REJECT  8

/* the automaton's tables (utf8.c): a class per byte, a state per class */
extern const unsigned char  spoor_utf8_class[256];
extern const unsigned char  spoor_utf8_next[9][12];

static inline unsigned
spoor_utf8_step(unsigned state, unsigned char c)
{
    return spoor_utf8_next[state][spoor_utf8_class[c]];
}

#endif /* SPOOR_UTF8_H */
