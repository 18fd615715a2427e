/*
 * alloc_hint.h -- what the analyzer may ask of the allocator the binary
 * links, without depending on it.
 *
 * The spoor binary links mimalloc (Makefile: SPOOR_MALLOC) and main.c
 * defines these with it; the tests and fuzzers, which link the analyzer's
 * objects with the C library's malloc, get alloc_hint.c's weak no-ops.
 */
#ifndef SPOOR_ALLOC_HINT_H
#define SPOOR_ALLOC_HINT_H

/*
 * Memory freed from now on goes back to the system at once, not after
 * the allocator's delay (mimalloc: 100 ms).  For a process whose memory
 * peaks right after it frees much (a run of `spoor ingest`: its commit
 * frees its lists and the id table just before its writers finish), so
 * that what it freed does not count in the peak; not for a long-running
 * one that frees all the time (a follower), where it was not measured.
 */
void alloc_release_at_once(void);

#endif /* SPOOR_ALLOC_HINT_H */
