/*
 * sanitized.h -- SPOOR_SANITIZED is defined in a build with
 * AddressSanitizer or MemorySanitizer (GCC's __SANITIZE_ADDRESS__, or
 * clang's __has_feature): code that would leave memory to the process's
 * exit frees it there, so that LeakSanitizer still sees every leak, and
 * tests skip what the sanitizer's own allocator makes meaningless.
 */
#ifndef SPOOR_SANITIZED_H
#define SPOOR_SANITIZED_H

#if defined(__SANITIZE_ADDRESS__)
#define SPOOR_SANITIZED  1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define SPOOR_SANITIZED  1
#endif
#endif

#endif /* SPOOR_SANITIZED_H */
