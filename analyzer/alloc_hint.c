/*
 * alloc_hint.c -- the allocator hints (alloc_hint.h) as no-ops, weak: the
 * spoor binary's main.c defines them for mimalloc; binaries linking the C
 * library's malloc (the tests, the fuzzers, SAN=1) keep these.
 */
#include "alloc_hint.h"


__attribute__((weak)) void
alloc_release_at_once(void)
{
    /* nothing to ask of this allocator */
}
