/*
 * timestamp.h -- ISO-8601 / RFC 3339 date-times as sent by tracking
 * clients, to milliseconds since the epoch.
 */
#ifndef SPOOR_TIMESTAMP_H
#define SPOOR_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM|+HHMM)" (a space
 * for the T, a lower-case t or z, and a missing zone, read as UTC, are
 * accepted; digits of the fraction past the third are ignored).  Years
 * 1000 .. 9999.  Stores the instant in *ms and returns 0, or returns -1
 * when s[0 .. len) is anything else.
 */
int spoor_timestamp_parse(const char *s, size_t len, int64_t *ms);

#endif /* SPOOR_TIMESTAMP_H */
