/*
 * redis_cluster.h -- a Redis Cluster client on top of Debian's hiredis
 * (0.14, blocking API): one command at a time, routed by its key to the
 * master that serves the key's hash slot.
 *
 * What the protocol requires of a client, and no more
 * (https://redis.io/docs/reference/cluster-spec/):
 *
 *  - The slot map.  CLUSTER SLOTS, asked of any reachable node (known
 *    masters first, then the seeds), gives each of the 16384 slots its
 *    master as host:port.  A slot the map leaves out has no master: a
 *    command for it fails and the map is read again.
 *  - Key slots.  The slot of a key is asked of the server (CLUSTER KEYSLOT,
 *    which knows about {hash tags}); the client hashes nothing itself.  A
 *    key's slot never changes, so the answers are cached: at most
 *    RCL_KEYCACHE_MAX keys; when full, the cache is emptied and fills again
 *    (callers use a few fixed keys, the stream names, so that never
 *    happens in practice).
 *  - MOVED <slot> <host:port>: the slot has a new master.  The map is
 *    updated for that slot at once, the command is sent there, and the
 *    whole map is read again before the next command (at most once every
 *    RCL_REFRESH_MIN_MS).
 *  - ASK <slot> <host:port>: the slot is being migrated and this key is on
 *    the target already.  ASKING, then the command, go to the target, once;
 *    the map is not changed.
 *  - At most RCL_MAX_REDIRECTS redirections per command, then an error.
 *  - A server without cluster support (CLUSTER SLOTS answers "ERR This
 *    instance has cluster support disabled") is a single node serving every
 *    slot: the same calls work against it.
 *
 * Connections: one per node, opened when first needed and kept.  Every
 * connect, write and read has the timeout given to rcl_open, so no call
 * blocks for longer than that on any one node.  A connection that fails
 * (refused, reset, timed out) is closed, the command fails with the reason,
 * and the map is read again before the next command, which connects anew.
 * A command that met a network error is not sent again by this module (it
 * may have been executed); retrying is the caller's decision.  Only a
 * redirection, which says the command was not executed, sends it again.
 * One command costs at most (known nodes + seeds) tries to read the map,
 * (known nodes) tries to ask a key's slot and 1 + RCL_MAX_REDIRECTS sends
 * (2 per ASK), each bounded by the timeout; on loopback or with nodes that
 * refuse, errors come at once.  Host names are resolved by getaddrinfo(3),
 * which the timeout does not bound: seeds are best given as addresses.
 *
 * Left out: replicas (no READONLY reads, failover is seen only through the
 * map and MOVED), pipelining and multi-key commands across slots
 * (TRYAGAIN and CROSSSLOT are returned as error replies like any other),
 * pub/sub, transactions, TLS, AUTH.
 *
 * hiredis 0.14 writes with write(2): a write on a connection the peer has
 * reset raises SIGPIPE.  Each network call blocks SIGPIPE in the calling
 * thread and discards one it raised, so the process's own handling of
 * SIGPIPE is left alone and never triggered.
 *
 * No globals: an rcl_t is used by one thread at a time; several may exist.
 */
#ifndef SPOOR_REDIS_CLUSTER_H
#define SPOOR_REDIS_CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>

#define RCL_SLOTS            16384
#define RCL_MAX_REDIRECTS    5
#define RCL_KEYCACHE_MAX     1024
#define RCL_REFRESH_MIN_MS   100

typedef struct rcl rcl_t;

/* Counters since rcl_open, for a status line. */
typedef struct {
    uint64_t  commands;     /* rcl_command calls */
    uint64_t  moved;        /* MOVED redirections followed */
    uint64_t  asked;        /* ASK redirections followed */
    uint64_t  connects;     /* connections opened, first ones and reconnects */
    uint64_t  net_errors;   /* connects refused or timed out, I/O errors */
    uint64_t  refreshes;    /* slot maps read */
    int       cluster;      /* 1: cluster mode, 0: a single node */
} rcl_stats_t;

/*
 * Opens a client: parses the seeds ("host:port", "[v6addr]:port"; copied)
 * and reads the slot map from the first seed that answers.  timeout_ms
 * (> 0) bounds every connect, write and read.  NULL, with the reason in
 * err (always NUL-terminated when errlen > 0), when a seed is malformed,
 * there are none, none answers, or out of memory.
 */
rcl_t *rcl_open(const char *const *seeds, size_t nseeds, int timeout_ms,
    char *err, size_t errlen);

/*
 * Sends the command argv[0 .. argc) (binary-safe: argvlen[i] bytes each;
 * a NULL argvlen takes strlen of each) to the master serving
 * key[0 .. keylen), following MOVED and ASK; a NULL key (keylen 0) sends
 * it to any one master.  Returns the reply, which the caller
 * frees with freeReplyObject(); an error reply from Redis other than
 * MOVED and ASK (WRONGTYPE, CLUSTERDOWN, TRYAGAIN, ...) is a reply like
 * any other.  NULL, with the reason in err, when the node cannot be
 * reached or does not answer within the timeout, the slot has no master,
 * redirections go past RCL_MAX_REDIRECTS, or the arguments are invalid
 * (argc < 1).  The command may or may not have been executed then.
 */
redisReply *rcl_command(rcl_t *c, const char *key, size_t keylen, int argc,
    const char **argv, const size_t *argvlen, char *err, size_t errlen);

/* The counters (a copy). */
rcl_stats_t rcl_stats(const rcl_t *c);

/* Closes every connection and frees c; NULL is ignored. */
void rcl_close(rcl_t *c);

#endif /* SPOOR_REDIS_CLUSTER_H */
