/*
 * stats.h -- the figures of a state, as one JSON document: what
 * `spoor stats` prints and what `spoor report` draws (one computation for
 * both, so a report's tables always equal `spoor stats --json` for the
 * same state).  The document's members are listed in docs/report.md,
 * "The figures"; every later version only adds members.
 *
 * The figures come from the current generation's metadata (cumulative
 * counters and the bounded aggregates ingest keeps: stored.h, ingest.h)
 * and from the lineage entries (segment sizes over generations).  Nothing
 * here reads a profile.
 */
#ifndef SPOOR_STATS_H
#define SPOOR_STATS_H

#include <stddef.h>

/* The version in the document's "version" member. */
#define STATS_VERSION  1

/* Points of "history" at most: the lineage entries are thinned to this
 * many, evenly over their generations, the newest always kept. */
#define STATS_HISTORY_MAX  120

/* Items of each top list in the document. */
#define STATS_TOP_ITEMS  20

/*
 * The document of the state in dir, as one line of JSON (NUL-terminated,
 * no newline) in *json (*len bytes; the caller frees it), with a "logs"
 * member when nlogs > 0: one `spoor verify --json` object for each of
 * logs[0 .. nlogs), in order; *logs_bad is set to 1 when one of them is
 * damaged, has gaps or cannot be read (the document still says so), else
 * 0.  Every file of the current chain is verified first.  Returns
 * SPOOR_OK; or SPOOR_E_FORMAT (damaged: a snapshot that fails
 * verification or has no metadata), SPOOR_E_IO (no state, unreadable),
 * SPOOR_E_NOMEM, with a message for a person in err[0 .. errlen) and
 * *json NULL.
 */
int stats_json(const char *dir, char *const *logs, size_t nlogs,
    char **json, size_t *len, int *logs_bad, char *err, size_t errlen);

#endif /* SPOOR_STATS_H */
