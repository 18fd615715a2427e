/*
 * serve_fanout.h -- a follower's fan-out of what NGINX serves to every
 * edge of a fleet, through Redis (fleet.h, "Serving").
 *
 * After each generation a follower commits, the generation's chain of
 * serving views (gen_chain.h: its base, then its deltas) is made
 * present in Redis as keyed copies (serve_keyed.h: no id, only keyed
 * hashes of ids), each file once, then spoor:serve:R:current names the
 * generation: a mirror (mirror.h) that reads it finds every file of its
 * chain whole.  A delta holds only what changed, gone entries included,
 * so a publish costs the size of the change, and an erasure reaches the
 * edges as fast as any change; a new base costs the base once.  Files
 * that are on neither the current chain nor the one before it are
 * removed from Redis (a mirror still fetching the one before finishes).
 *
 * The work is done by a thread of its own, with its own connection: the
 * follower's loop only hands it the newest generation, so neither a new
 * base's keyed copy (seconds, for a million profiles) nor a slow Redis
 * ever delays a publish.  A merged base (merge.h) is sent ahead, as soon
 * as the merge child has written its serving view and before the
 * follower adopts it, so that the first delta that follows it costs the
 * edges a delta, not a base (the follower waits for that, within bounds:
 * follow.c).
 *
 * Redis failing is never fatal and never holds the follower back: the
 * error is said once per outage, and the fan-out is tried again every
 * second (FANOUT_RETRY_MS) with the newest generation; after any error
 * nothing is taken as present in Redis until checked again (EXISTS), and
 * spoor:serve:R:current is checked every FANOUT_CHECK_MS, so a Redis
 * restarted empty is filled again.  A follower's first publish sends
 * every file of its chain, base included, whatever Redis holds: files
 * under the same numbers may be another state's.  The generation's own files in the
 * state directory are never changed; the keyed copy is written beside
 * them as a hidden temporary file (.fanout-gen-N.serve) and removed once
 * sent.
 */
#ifndef SPOOR_SERVE_FANOUT_H
#define SPOOR_SERVE_FANOUT_H

#include <stddef.h>
#include <stdint.h>

#include "json_out.h"

#define FANOUT_RETRY_MS  1000
#define FANOUT_CHECK_MS  1000

typedef struct serve_fanout_s  serve_fanout_t;

/*
 * A fan-out (its worker not started yet) to the Redis seeds csv for reader `reader` (fleet_name_valid)
 * with the serving key key[0 .. keylen) (SPOOR_KEY_MIN bytes at least)
 * and the exposable traits named in traits ("name[,name...]"; NULL:
 * none), every network step bounded by timeout_ms; it connects at the
 * first sync.  NULL when out of memory or the key cannot be prepared.
 */
serve_fanout_t *serve_fanout_new(const char *csv, const char *reader,
    const unsigned char *key, size_t keylen, const char *traits,
    int timeout_ms);

/*
 * Hands the worker generation gen of the state directory dir (its
 * CURRENT one; dir is the same at every call), to be made the current
 * one in Redis, and merged, the generation a running merge writes (0:
 * none), to be sent ahead; starts the worker at the first call.  Never
 * waits for Redis: call it after every commit and in the follower's
 * loop.  Returns 1 when what serve_fanout_status() says changed since
 * the last call (a generation published, an outage begun or ended),
 * else 0.
 */
int serve_fanout_sync(serve_fanout_t *fo, const char *dir, uint32_t gen,
    uint32_t merged);

/* Whether the merged base `merged` was sent ahead (it is whole in
 * Redis): 1 or 0. */
int serve_fanout_ahead(serve_fanout_t *fo, uint32_t merged);

/* The status member "fanout": {"generation", "published", "files",
 * "bytes", "ahead" (merged bases sent ahead), "errors",
 * "redis_connected"}, into j's open map. */
void serve_fanout_status(serve_fanout_t *fo, json_out_t *j);

void serve_fanout_free(serve_fanout_t *fo);

#endif /* SPOOR_SERVE_FANOUT_H */
