/*
 * mono_clock.h -- the analyzer's one monotonic clock, in milliseconds:
 * for durations and deadlines (progress lines, the follower's settle
 * times, network timeouts), never for the data's time.
 */
#ifndef SPOOR_MONO_CLOCK_H
#define SPOOR_MONO_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds of CLOCK_MONOTONIC: only differences mean anything. */
static inline int64_t
mono_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif /* SPOOR_MONO_CLOCK_H */
