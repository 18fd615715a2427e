/*
 * stream_input.h -- the follower's input from the fleet's Redis streams
 * (fleet.h): every edge's frames, read with a consumer group and
 * acknowledged only once committed.
 *
 * The input finds the edges in spoor:edges (looked at every second),
 * creates its group on each edge's stream (from the stream's start: a
 * new reader takes what the stream still holds), and reads, first the
 * entries it read before and never acknowledged (its pending list: a
 * follower killed between reading and committing), then new ones.  Each
 * entry's frame is folded with ingest_mem(), so a frame already applied
 * -- sent twice by a shipper that rewound, or read again after a restart
 * -- is a no-op.  After a generation holding them is committed
 * (stream_input_committed()), the entries are acknowledged and each
 * stream is trimmed at its committed frontier.
 *
 * Redis failing is never fatal: an error is said once per outage, the
 * read is tried again every second (an error about one stream only --
 * its key holds something else -- is said once and skips that stream
 * until it works), and entries read but not acknowledged
 * stay pending in Redis, read again when needed.  A group that vanished
 * (a failover that lost it, a stream deleted) is created again from the
 * stream's start.
 *
 * Per poll at most STREAM_READ_MAX entries are read from each stream, so
 * a backlog never holds the follower's publishes back for long.
 */
#ifndef SPOOR_STREAM_INPUT_H
#define SPOOR_STREAM_INPUT_H

#include "ingest.h"
#include "json_out.h"

#define STREAM_READ_MAX  1024

typedef struct stream_input_s  stream_input_t;

/*
 * An input from the Redis seeds csv for reader `reader` (fleet_name_valid),
 * every network step bounded by timeout_ms.  It connects at the first
 * poll.  NULL when out of memory.
 */
stream_input_t *stream_input_new(const char *csv, const char *reader,
    int timeout_ms);

/* Reads what the streams hold and folds it into in.  SPOOR_OK (Redis
 * errors included, reported), or SPOOR_E_NOMEM. */
int stream_input_poll(stream_input_t *si, ingest_t *in);

/* Whether entries were read that are not acknowledged yet. */
int stream_input_unacked(const stream_input_t *si);

/* A generation holding every frame read so far is committed: they are
 * acknowledged and the streams trimmed (tried again at the next call when
 * Redis fails). */
void stream_input_committed(stream_input_t *si);

/* The lineage's inputs since the last commit: one per stream read from
 * (ingest_lineage_input), into j's open array; then forgotten by
 * stream_input_committed(). */
void stream_input_lineage(stream_input_t *si, json_out_t *j);

/* The status member "streams": [{"edge","stream","entries","unacked"}],
 * into j's open map, and "redis_connected". */
void stream_input_status(const stream_input_t *si, json_out_t *j);

/* Forgets what was read since the last commit (a reload reads it again:
 * it is still pending in Redis). */
void stream_input_reset(stream_input_t *si);

void stream_input_free(stream_input_t *si);

#endif /* SPOOR_STREAM_INPUT_H */
