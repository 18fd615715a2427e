/*
 * mirror.c -- `spoor mirror`: an edge's copy of the serving files
 * (mirror.h).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "cli.h"
#include "error.h"
#include "fleet.h"
#include "gen_chain.h"
#include "gen_name.h"
#include "json_out.h"
#include "mirror.h"
#include "mono_clock.h"
#include "profile_view.h"
#include "snapshot.h"

typedef struct {
    const mirror_opts_t  *o;
    rcl_t                *c;
    uint32_t              have;            /* CURRENT's generation; 0 */
    uint32_t              chain[CHAIN_FILES_MAX], nchain;
    uint32_t              prev[CHAIN_FILES_MAX], nprev;
    uint32_t              refused;         /* the last generation refused */
    uint64_t              have_sum;        /* its file's checksum; 0:
                                              unknown */
    uint32_t              suspect;         /* a generation whose file did
                                              not read once */
    int                   said;            /* an outage or a wait said */
    int                   refuse_said;     /* a refusal said, since the
                                              last change */
    uint64_t              changes, fetched, bytes, errors;
    int64_t               changed_ms;      /* wall clock of the last change */
} mirror_t;

static volatile sig_atomic_t  got_stop;


static void
on_stop(int sig)
{
    (void) sig;
    got_stop = 1;
}


/* Says msg once until the next success. */
static void
mirror_say(mirror_t *m, const char *msg)
{
    if (!m->said) {
        fprintf(stderr, "spoor mirror: %s\n", msg);
        m->said = 1;
    }
}


/* A step that worked after one that was said. */
static void
mirror_ok(mirror_t *m)
{
    if (m->said) {
        fprintf(stderr, "spoor mirror: Redis answers again; generation %"
                PRIu32 " in place\n", m->have);
        m->said = 0;
    }
}


/* GET key: the string reply (caller frees); NULL with err set, or NULL
 * with err "" when the key does not exist. */
static redisReply *
mirror_get(mirror_t *m, const char *key, size_t klen, char *err,
    size_t errlen)
{
    const char  *argv[2] = { "GET", key };
    redisReply  *r;

    r = rcl_command(m->c, key, klen, 2, argv, NULL, err, errlen);
    if (r == NULL) {
        return NULL;
    }
    err[0] = '\0';
    if (r->type == REDIS_REPLY_STRING) {
        return r;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "GET %s: %.*s", key, (int) r->len, r->str);
    } else if (r->type != REDIS_REPLY_NIL) {
        snprintf(err, errlen, "GET %s: not a string", key);
    }
    freeReplyObject(r);
    return NULL;
}


/* What Redis says of a generation's file (fleet.h). */
typedef struct {
    unsigned long  parts;
    uint64_t       bytes;
    uint64_t       sum;          /* its whole-file checksum */
    int            has_sum;      /* 0: not said (an older follower) */
} mirror_file_t;


/*
 * What Redis says of generation gen's file into *f.  SPOOR_OK;
 * SPOOR_E_IO (Redis failed or no longer holds it: tried again later, err
 * says why); SPOOR_E_FORMAT (the value does not read).
 */
static int
mirror_file_size(mirror_t *m, uint32_t gen, mirror_file_t *f, char *err,
    size_t errlen)
{
    int  n;

    char          key[FLEET_SERVE_KEY_MAX];
    size_t        klen;
    redisReply   *r;

    klen = fleet_serve_file_key(m->o->reader, gen, key);
    r = mirror_get(m, key, klen, err, errlen);
    if (r == NULL) {
        if (err[0] == '\0') {
            snprintf(err, errlen, "generation %" PRIu32 " is no longer in "
                     "Redis (a newer one replaced it)", gen);
        }
        return SPOOR_E_IO;
    }
    n = sscanf(r->str, "%lu %" SCNu64 " %16" SCNx64, &f->parts, &f->bytes,
               &f->sum);
    f->has_sum = n == 3;
    if (n < 2 || f->parts == 0 || f->parts > UINT32_MAX
        || f->bytes > (uint64_t) f->parts * (512u << 20))  /* Redis's most */
    {
        snprintf(err, errlen, "%s is no \"PARTS BYTES\": '%.*s'", key,
                 (int) (r->len < 64 ? r->len : 64), r->str);
        freeReplyObject(r);
        return SPOOR_E_FORMAT;
    }
    freeReplyObject(r);
    return SPOOR_OK;
}


/* Whether the file at path is the one Redis describes in *f: as long,
 * and with its checksum when Redis says it. */
static int
mirror_same(const char *path, const mirror_file_t *f)
{
    struct stat    sb;
    spoor_snap_t  *s;
    int            same;

    if (stat(path, &sb) != 0 || (uint64_t) sb.st_size != f->bytes) {
        return 0;
    }
    if (!f->has_sum) {
        return 1;
    }
    s = spoor_snap_open(path, NULL, 0);
    same = s != NULL && spoor_snap_file_sum(s) == f->sum;
    spoor_snap_close(s);
    return same;
}


/*
 * Fetches generation gen's file, as *f describes it, into
 * dir/gen-GEN.serve: its parts into a temporary file, every byte
 * checked, then renamed.  SPOOR_OK; SPOOR_E_IO (Redis failed or no
 * longer holds it: tried again later, err says why); SPOOR_E_FORMAT (the
 * file is no serving file this spoor reads: the generation is refused).
 */
static int
mirror_fetch(mirror_t *m, uint32_t gen, const mirror_file_t *f, char *err,
    size_t errlen)
{
    unsigned long  parts = f->parts;
    uint64_t       bytes = f->bytes;
    char          key[FLEET_SERVE_KEY_MAX], tmp[4096], path[4096],
                  why[512];
    size_t        klen, mlen;
    unsigned long i;
    uint64_t      got = 0, version;
    redisReply   *r;
    spoor_snap_t *s = NULL;
    spoor_profile_serve_t  sv;
    const unsigned char   *meta;
    int           fd, rc = SPOOR_E_IO;

    snprintf(tmp, sizeof(tmp), "%s/.gen-%06" PRIu32 ".serve.tmp",
             m->o->dir, gen);
    snprintf(path, sizeof(path), "%s/gen-%06" PRIu32 ".serve", m->o->dir,
             gen);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "%.512s: %s", tmp, strerror(errno));
        return SPOOR_E_IO;
    }
    for (i = 0; i < parts; i++) {
        size_t  off = 0;

        klen = fleet_serve_part_key(m->o->reader, gen, (uint32_t) i, key);
        r = mirror_get(m, key, klen, err, errlen);
        if (r == NULL) {
            if (err[0] == '\0') {
                snprintf(err, errlen, "generation %" PRIu32 " is no longer "
                         "whole in Redis (a newer one replaced it)", gen);
            }
            goto done;
        }
        while (off < r->len) {
            ssize_t  w = write(fd, r->str + off, r->len - off);

            if (w < 0 && errno == EINTR) {
                continue;
            }
            if (w < 0) {
                snprintf(err, errlen, "%.512s: %s", tmp, strerror(errno));
                freeReplyObject(r);
                goto done;
            }
            off += (size_t) w;
        }
        got += r->len;
        freeReplyObject(r);
    }
    if (got != bytes) {
        snprintf(err, errlen, "generation %" PRIu32 " has %" PRIu64 " bytes "
                 "in Redis, %" PRIu64 " announced", gen, got, bytes);
        goto done;
    }
    if (fsync(fd) != 0) {
        snprintf(err, errlen, "%.512s: %s", tmp, strerror(errno));
        goto done;
    }
    close(fd);
    fd = -1;

    /* every byte checked, and names of a layout this spoor knows */
    rc = SPOOR_E_FORMAT;
    s = spoor_snap_open(tmp, why, sizeof(why));
    if (s == NULL || spoor_snap_verify(s, why, sizeof(why)) != SPOOR_OK) {
        snprintf(err, errlen, "its file does not read: %s", why);
        goto done;
    }
    if (f->has_sum && spoor_snap_file_sum(s) != f->sum) {
        /* sent again while it was read: tried again */
        snprintf(err, errlen, "its file changed in Redis while it was "
                 "fetched");
        rc = SPOOR_E_IO;
        goto done;
    }
    meta = spoor_snap_meta(s, &mlen);
    if (spoor_profile_serve_meta(meta, mlen, spoor_snap_summary_size(s), &sv,
                                 &version)
        != SPOOR_OK)
    {
        if (version != SPOOR_SERVE_VERSION && version != 0) {
            snprintf(err, errlen, "its serving layout is version %" PRIu64
                     ", which this spoor does not know (it knows %d)",
                     version, SPOOR_SERVE_VERSION);
        } else {
            snprintf(err, errlen, "its serving metadata does not read");
        }
        goto done;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "%.512s: %s", path, strerror(errno));
        rc = SPOOR_E_IO;
        goto done;
    }
    m->fetched++;
    m->bytes += bytes;
    rc = SPOOR_OK;

done:
    spoor_snap_close(s);
    if (fd >= 0) {
        close(fd);
    }
    if (rc != SPOOR_OK) {
        (void) unlink(tmp);
    }
    return rc;
}


/* Removes the files on neither the current chain nor the one before, and
 * temporary files left by a mirror that was killed. */
static void
mirror_clean(mirror_t *m)
{
    DIR            *d;
    struct dirent  *e;
    uint32_t        g;
    char            path[4096];

    d = opendir(m->o->dir);
    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        g = gen_name_number(e->d_name, "gen-", ".serve", 1);
        if (g == 0) {
            g = gen_name_number(e->d_name, ".gen-", ".serve.tmp", 1);
            if (g == 0) {
                continue;
            }
        } else if (fleet_gen_in(m->chain, m->nchain, g)
                   || fleet_gen_in(m->prev, m->nprev, g))
        {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", m->o->dir, e->d_name);
        (void) unlink(path);
    }
    closedir(d);
}


/* One look at Redis; fetches and switches when there is news. */
static void
mirror_step(mirror_t *m)
{
    char         key[FLEET_SERVE_KEY_MAX], err[1024], msg[1400],
                 cur[32];
    size_t       klen, i;
    uint32_t     gen, g, parent, base;
    mirror_file_t  file;
    uint64_t     gen_sum = 0;
    redisReply  *r;
    chain_t      ch;
    int          rc, n, force;

    if (m->c == NULL) {
        m->c = fleet_connect(m->o->redis, m->o->timeout_ms, err,
                             sizeof(err));
        if (m->c == NULL) {
            snprintf(msg, sizeof(msg), "Redis unreachable: %s; tried again "
                     "at every poll", err);
            m->errors++;
            mirror_say(m, msg);
            return;
        }
    }
    klen = fleet_serve_key(m->o->reader, "current", key);
    r = mirror_get(m, key, klen, err, sizeof(err));
    if (r == NULL) {
        if (err[0] != '\0') {
            m->errors++;
            snprintf(msg, sizeof(msg), "Redis: %s; tried again at every "
                     "poll", err);
        } else {
            snprintf(msg, sizeof(msg), "nothing published yet (%s): "
                     "waiting for the follower's --serve-key fan-out", key);
        }
        mirror_say(m, msg);
        return;
    }
    rc = fleet_serve_gen_parse(r->str, r->len, &gen);
    freeReplyObject(r);
    if (rc != 0) {
        mirror_say(m, "spoor:serve:...:current names no generation");
        return;
    }
    force = 0;
    if (gen == m->have && m->have_sum != 0
        && mirror_file_size(m, gen, &file, err, sizeof(err)) == SPOOR_OK
        && file.has_sum && file.sum != m->have_sum)
    {
        /* the same number, other contents: the follower sent its chain
         * again with another key or other traits */
        fprintf(stderr, "spoor mirror: generation %" PRIu32 " was sent "
                "again with other contents (another key, other traits); "
                "its files are fetched anew\n", gen);
        force = 1;
    } else if (gen == m->have || gen == m->refused) {
        mirror_ok(m);
        return;
    }
    force |= gen < m->have;
    if (gen < m->have) {
        /* numbers went back: a follower started over on a new state, and
         * a file here of a number it uses again is not its file */
        fprintf(stderr, "spoor mirror: Redis names generation %" PRIu32
                ", older than %" PRIu32 " in place: a new state; its files "
                "are fetched anew\n", gen, m->have);
    }

    /* G's chain: each file this directory lacks, newest first */
    g = gen;
    for (n = 0; n < CHAIN_FILES_MAX; n++) {
        char          path[4096], why[512];
        spoor_snap_t *s;
        const unsigned char  *meta;
        size_t        mlen;

        snprintf(path, sizeof(path), "%s/gen-%06" PRIu32 ".serve",
                 m->o->dir, g);
        /* a file of that name is taken only when it is the one Redis
         * describes: one left by another state (a follower started over),
         * or made with another key, is fetched */
        rc = mirror_file_size(m, g, &file, err, sizeof(err));
        if (rc == SPOOR_OK && (force || !mirror_same(path, &file))) {
            rc = mirror_fetch(m, g, &file, err, sizeof(err));
            if (rc == SPOOR_E_FORMAT && m->suspect != g) {
                /* tried once more, at the next poll, before refusing: a
                 * file read while it was sent again, a passing shortage
                 * of memory or descriptors */
                m->suspect = g;
                return;
            }
        }
        if (rc == SPOOR_OK && g == gen) {
            gen_sum = file.has_sum ? file.sum : 0;
        }
        if (rc != SPOOR_OK) {
            if (rc == SPOOR_E_IO) {
                m->errors++;
                snprintf(msg, sizeof(msg), "generation %" PRIu32 ": %s; "
                         "tried again at every poll", gen, err);
                mirror_say(m, msg);
                return;
            }
            if (rc != SPOOR_OK) {
                goto refuse;
            }
        }
        s = spoor_snap_open(path, why, sizeof(why));
        if (s == NULL) {
            snprintf(err, sizeof(err), "%s", why);
            goto refuse;
        }
        rc = SPOOR_OK;
        parent = 0;
        if (spoor_snap_flags(s) & SPOOR_SNAP_DELTA) {
            meta = spoor_snap_meta(s, &mlen);
            rc = spoor_chain_link(meta, mlen, &parent, &base);
        }
        spoor_snap_close(s);
        if (rc != SPOOR_OK || parent >= g) {
            snprintf(err, sizeof(err), "gen-%06" PRIu32 ".serve names no "
                     "parent before it", g);
            goto refuse;
        }
        if (parent == 0) {
            break;
        }
        g = parent;
    }

    /* the links, the bound, one set of names along the chain */
    rc = chain_open_files(&ch, m->o->dir, gen, ".serve", 0, err,
                          sizeof(err));
    if (rc != SPOOR_OK) {
        goto refuse;
    }
    for (i = 0; i < ch.n; i++) {
        spoor_profile_serve_t  a, b;
        const unsigned char   *ma, *mb;
        size_t                 la, lb;
        uint64_t               va, vb;

        ma = spoor_snap_meta(ch.file[0], &la);
        mb = spoor_snap_meta(ch.file[i], &lb);
        if (spoor_profile_serve_meta(ma, la,
                                     spoor_snap_summary_size(ch.file[0]),
                                     &a, &va) != SPOOR_OK
            || spoor_profile_serve_meta(mb, lb,
                                        spoor_snap_summary_size(ch.file[i]),
                                        &b, &vb) != SPOOR_OK
            || !spoor_profile_serve_same(&a, &b))
        {
            snprintf(err, sizeof(err), "its files differ in their segment "
                     "or lifecycle names or key");
            chain_close(&ch);
            goto refuse;
        }
    }

    snprintf(cur, sizeof(cur), "gen-%06" PRIu32 ".serve\n", gen);
    if (spoor_write_file_atomic(m->o->dir, "CURRENT", cur, strlen(cur))
        != SPOOR_OK)
    {
        m->errors++;
        fprintf(stderr, "spoor mirror: %s/CURRENT: %s; tried again\n",
                m->o->dir, strerror(errno));
        chain_close(&ch);
        return;
    }
    memcpy(m->prev, m->chain, sizeof(m->chain));
    m->nprev = m->nchain;
    memcpy(m->chain, ch.gen, ch.n * sizeof(uint32_t));
    m->nchain = (uint32_t) ch.n;
    chain_close(&ch);
    m->have = gen;
    m->have_sum = gen_sum;
    m->changes++;
    m->changed_ms = (int64_t) time(NULL) * 1000;
    m->refuse_said = 0;
    mirror_clean(m);
    mirror_ok(m);
    return;

refuse:
    /* said once until a generation is taken again: a newer follower
     * publishing every second must not fill the log */
    m->refused = gen;
    m->errors++;
    if (!m->refuse_said) {
        fprintf(stderr, "spoor mirror: generation %" PRIu32 " refused: %s; "
                "%s (later ones are refused silently until one reads)\n",
                gen, err, m->have ? "the generation in place stays"
                                  : "nothing is served yet");
        m->refuse_said = 1;
    }
}


static void
mirror_status(const mirror_t *m)
{
    json_out_t  j;

    if (m->o->status == NULL || json_out_init(&j, NULL) != 0) {
        return;
    }
    json_out_map_open(&j);
    json_out_cstr(&j, "generation");
    json_out_uint(&j, m->have);
    json_out_cstr(&j, "chain");
    json_out_uint(&j, m->nchain);
    json_out_cstr(&j, "changes");
    json_out_uint(&j, m->changes);
    json_out_cstr(&j, "files_fetched");
    json_out_uint(&j, m->fetched);
    json_out_cstr(&j, "bytes_fetched");
    json_out_uint(&j, m->bytes);
    json_out_cstr(&j, "refused");
    json_out_uint(&j, m->refused);
    json_out_cstr(&j, "errors");
    json_out_uint(&j, m->errors);
    json_out_cstr(&j, "changed_ms");
    json_out_int(&j, m->changed_ms);
    json_out_cstr(&j, "redis_connected");
    json_out_bool(&j, m->c != NULL && !m->said);
    json_out_map_close(&j);
    cli_write_status("mirror", m->o->status, &j);
    json_out_free(&j);
}


/* Whether dir is an analyzer's state directory (it holds a gen-N.snap),
 * which a mirror must not clean as its own. */
static int
mirror_is_state(const char *dir)
{
    DIR            *d = opendir(dir);
    struct dirent  *e;
    int             state = 0;

    while (d != NULL && !state && (e = readdir(d)) != NULL) {
        state = gen_name_number(e->d_name, "gen-", ".snap", 0) != 0;
    }
    if (d != NULL) {
        closedir(d);
    }
    return state;
}


/* The generation the directory's CURRENT names, and its chain; 0 when
 * none reads. */
static void
mirror_resume(mirror_t *m)
{
    char      path[4096], name[64], err[512];
    FILE     *f;
    chain_t   ch;
    uint32_t  gen;

    snprintf(path, sizeof(path), "%s/CURRENT", m->o->dir);
    f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    if (fgets(name, sizeof(name), f) == NULL) {
        name[0] = '\0';
    }
    fclose(f);
    name[strcspn(name, "\r\n")] = '\0';
    gen = gen_name_number(name, "gen-", ".serve", 1);
    if (gen == 0
        || chain_open_files(&ch, m->o->dir, gen, ".serve", 0, err,
                            sizeof(err)) != SPOOR_OK)
    {
        return;
    }
    memcpy(m->chain, ch.gen, ch.n * sizeof(uint32_t));
    m->nchain = (uint32_t) ch.n;
    m->have_sum = spoor_snap_file_sum(ch.file[0]);
    chain_close(&ch);
    m->have = gen;
}


int
mirror_run(const mirror_opts_t *o)
{
    mirror_t          m;
    struct sigaction  sa;
    struct stat       sb;
    int64_t           next = 0, now;
    struct timespec   nap = { 0, 20 * 1000000L };

    memset(&m, 0, sizeof(m));
    m.o = o;
    if (stat(o->dir, &sb) != 0 || !S_ISDIR(sb.st_mode)
        || access(o->dir, W_OK) != 0)
    {
        fprintf(stderr, "spoor mirror: %s: %s\n", o->dir,
                errno ? strerror(errno) : "not a directory");
        return EXIT_IO;
    }
    if (mirror_is_state(o->dir)) {
        fprintf(stderr, "spoor mirror: %s holds a state's snapshots "
                "(gen-N.snap): a mirror keeps a directory of its own\n",
                o->dir);
        return EXIT_USAGE;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    mirror_resume(&m);
    mirror_clean(&m);
    fprintf(stderr, "spoor mirror: keeping %s from %s (reader %s), "
            "generation %" PRIu32 " in place\n", o->dir, o->redis, o->reader,
            m.have);
    while (!got_stop) {
        now = mono_ms();
        if (now >= next) {
            mirror_step(&m);
            mirror_status(&m);
            next = now + o->interval_ms;
        }
        nanosleep(&nap, NULL);
    }
    rcl_close(m.c);
    fprintf(stderr, "spoor mirror: stopped; generation %" PRIu32
            " in place\n", m.have);
    return EXIT_OK;
}
