/*
 * redis_run.h -- real redis-server processes for the criterion tests
 * (test_redis_cluster.c, test_fleet.c): servers on free loopback ports
 * (and their cluster bus ports, +10000) in a temporary directory, a
 * cluster of NSRV masters joined with `redis-cli --cluster create`, and
 * direct connections of the test's own.  The servers die with the test:
 * killed in the teardown, and by PR_SET_PDEATHSIG should the test process
 * die first.  Every wait is bounded.  Header-only (static inline).
 */
#ifndef SPOOR_TEST_REDIS_RUN_H
#define SPOOR_TEST_REDIS_RUN_H

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <hiredis/hiredis.h>

#define NSRV        3
#define TIMEOUT_MS  400     /* the client's timeout */
#define MARGIN_MS   600     /* what a busy machine may add to it */

typedef struct {
    int    port;
    pid_t  pid;
    int    cluster;
} srv_t;

static char   dir[64];
static srv_t  srv[NSRV];


static inline int64_t
now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static inline void
sleep_ms(int ms)
{
    struct timespec  ts = { ms / 1000, (long) (ms % 1000) * 1000000 };

    nanosleep(&ts, NULL);
}


/* Whether 127.0.0.1:port can be bound now. */
static inline int
port_free(int port)
{
    struct sockaddr_in  a;
    int                 fd, ok;

    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
        return 0;
    }
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t) port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0;
    close(fd);
    return ok;
}


/* A port P with P and its cluster bus port P + 10000 free, in 20000-29999. */
static inline int
free_port(void)
{
    int  i, p;

    for (i = 0; i < 200; i++) {
        p = 20000 + rand() % 10000;
        if (port_free(p) && port_free(p + 10000)) {
            return p;
        }
    }
    cr_assert_fail("no free port pair");
    return -1;
}


/* A connection of the test's own to a server; NULL when it is down. */
static inline redisContext *
direct(int port)
{
    struct timeval  tv = { 2, 0 };
    redisContext   *ctx = redisConnectWithTimeout("127.0.0.1", port, tv);

    if (ctx == NULL || ctx->err) {
        redisFree(ctx);
        return NULL;
    }
    redisSetTimeout(ctx, tv);
    return ctx;
}


/* One command (redisCommand format) on a server; the reply, or NULL
 * (down, or no answer). */
static inline redisReply *
vcmd(int port, const char *fmt, va_list ap)
{
    redisContext  *ctx = direct(port);
    redisReply    *r;

    if (ctx == NULL) {
        return NULL;
    }
    r = redisvCommand(ctx, fmt, ap);
    redisFree(ctx);
    return r;
}


static inline redisReply *
cmd(int port, const char *fmt, ...)
{
    redisReply  *r;
    va_list      ap;

    va_start(ap, fmt);
    r = vcmd(port, fmt, ap);
    va_end(ap);
    return r;
}


/* The string reply of a command, copied to out (asserted). */
static inline void
cmd_str(char *out, size_t outlen, int port, const char *fmt, ...)
{
    redisReply  *r;
    va_list      ap;

    va_start(ap, fmt);
    r = vcmd(port, fmt, ap);
    va_end(ap);
    cr_assert(r && (r->type == REDIS_REPLY_STRING
                    || r->type == REDIS_REPLY_STATUS),
              "port %d: %s: %s", port, fmt,
              r ? (r->str ? r->str : "?") : "down or no reply");
    snprintf(out, outlen, "%s", r->str);
    freeReplyObject(r);
}


/* A command that must not fail (asserted). */
static inline void
cmd_ok(int port, const char *fmt, ...)
{
    redisReply  *r;
    va_list      ap;

    va_start(ap, fmt);
    r = vcmd(port, fmt, ap);
    va_end(ap);
    cr_assert(r && r->type != REDIS_REPLY_ERROR, "port %d: %s: %s", port,
              fmt, r ? (r->str ? r->str : "?") : "down or no reply");
    freeReplyObject(r);
}


/* Whether the server on port is ours: it answers with our child's pid. */
static inline int
is_ours(const srv_t *s)
{
    redisReply  *r = cmd(s->port, "INFO server");
    char         want[32];
    int          ok;

    if (r == NULL) {
        return 0;
    }
    snprintf(want, sizeof(want), "process_id:%d\r", (int) s->pid);
    ok = r->type == REDIS_REPLY_STRING && strstr(r->str, want) != NULL;
    freeReplyObject(r);
    return ok;
}


/* Starts s (port and cluster set) and waits until it answers: 0, or -1
 * when it exited (its port taken meanwhile) or did not answer in 5 s. */
static inline int
srv_start(srv_t *s)
{
    char     port[16], conf[128], log[128];
    int64_t  end;
    int      fd, status;

    snprintf(port, sizeof(port), "%d", s->port);
    snprintf(conf, sizeof(conf), "%s/nodes-%d.conf", dir, s->port);
    snprintf(log, sizeof(log), "%s/redis-%d.log", dir, s->port);
    s->pid = fork();
    cr_assert_geq(s->pid, 0, "fork: %s", strerror(errno));
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (s->cluster) {
            execlp("redis-server", "redis-server", "--port", port,
                   "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--daemonize", "no", "--dir", dir,
                   "--cluster-enabled", "yes", "--cluster-config-file", conf,
                   (char *) NULL);
        } else {
            execlp("redis-server", "redis-server", "--port", port,
                   "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--daemonize", "no", "--dir", dir, (char *) NULL);
        }
        _exit(127);
    }
    for (end = now_ms() + 5000; now_ms() < end; sleep_ms(20)) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return -1;
        }
        if (is_ours(s)) {
            return 0;
        }
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
    return -1;
}


/* Starts a server on a free port (a few tries, should one be taken). */
static inline void
srv_start_free(srv_t *s, int cluster)
{
    int  i;

    s->cluster = cluster;
    for (i = 0; i < 5; i++) {
        s->port = free_port();
        if (srv_start(s) == 0) {
            return;
        }
    }
    cr_assert_fail("redis-server did not start (logs in %s)", dir);
}


static inline void
srv_kill(srv_t *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGCONT);
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
}


static inline int
cluster_ok(int port)
{
    redisReply  *r = cmd(port, "CLUSTER INFO");
    int          ok;

    ok = r && r->type == REDIS_REPLY_STRING
         && strstr(r->str, "cluster_state:ok") != NULL;
    freeReplyObject(r);
    return ok;
}


static inline void
wait_cluster_ok(void)
{
    int64_t  end = now_ms() + 15000;
    int      i, ok = 0;

    while (!ok && now_ms() < end) {
        for (ok = 1, i = 0; i < NSRV; i++) {
            ok = ok && cluster_ok(srv[i].port);
        }
        if (!ok) {
            sleep_ms(50);
        }
    }
    cr_assert(ok, "the cluster is not ok after 15 s (logs in %s)", dir);
}


/* Three masters, joined, every slot served. */
static inline void
cluster_start(void)
{
    char  line[512];
    int   i;

    for (i = 0; i < NSRV; i++) {
        srv_start_free(&srv[i], 1);
    }
    snprintf(line, sizeof(line),
             "timeout 30 redis-cli --cluster create 127.0.0.1:%d 127.0.0.1:%d"
             " 127.0.0.1:%d --cluster-replicas 0 --cluster-yes"
             " > %s/create.log 2>&1",
             srv[0].port, srv[1].port, srv[2].port, dir);
    cr_assert_eq(system(line), 0, "redis-cli --cluster create failed: %s",
                 line);
    wait_cluster_ok();
}


static inline void
setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/spoor-rcl-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    memset(srv, 0, sizeof(srv));
    srand((unsigned) getpid() ^ (unsigned) now_ms());
}


static inline void
teardown(void)
{
    char  line[128];
    int   i;

    for (i = 0; i < NSRV; i++) {
        srv_kill(&srv[i]);
    }
    snprintf(line, sizeof(line), "rm -rf '%s'", dir);
    if (system(line) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
}

#endif /* SPOOR_TEST_REDIS_RUN_H */
