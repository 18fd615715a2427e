/*
 * state.c -- generations of the analyzer's state (state.h).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <msgpack.h>
#include <xxhash.h>
#include "aggregates.h"
#include "chain.h"
#include "commit_pack.h"
#include "error.h"
#include "figures.h"
#include "gen_name.h"
#include "inferred.h"
#include "json_out.h"
#include "merge.h"
#include "quiet_thread.h"
#include "sanitized.h"
#include "snapshot.h"
#include "state.h"
#include "stored.h"
#include "u64set.h"

#define STATE_MSG(...)  snprintf(err, errlen, __VA_ARGS__)

static int gen_is_delta(const char *dir, uint32_t g);
static uint32_t older_base(const char *dir, uint32_t below);


/* ---- counters, frames, tombstones ------------------------------------------ */

uint64_t *
state_counter(state_t *st, const char *key, size_t len)
{
    size_t      lo = 0, hi = st->ncounters, mid;
    int         c;
    counter_t  *a;

    while (lo < hi) {
        mid = (lo + hi) / 2;
        c = strncmp(st->counters[mid].key, key, len);
        if (c == 0 && st->counters[mid].key[len] != '\0') {
            c = 1;
        }
        if (c == 0) {
            return &st->counters[mid].n;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (st->ncounters == st->counters_cap) {
        size_t  cap = st->counters_cap ? 2 * st->counters_cap : 64;

        a = realloc(st->counters, cap * sizeof(*a));
        if (a == NULL) {
            return NULL;
        }
        st->counters = a;
        st->counters_cap = cap;
    }
    memmove(&st->counters[lo + 1], &st->counters[lo],
            (st->ncounters - lo) * sizeof(counter_t));
    st->counters[lo].key = malloc(len + 1);
    if (st->counters[lo].key == NULL) {
        memmove(&st->counters[lo], &st->counters[lo + 1],
                (st->ncounters - lo) * sizeof(counter_t));
        return NULL;
    }
    memcpy(st->counters[lo].key, key, len);
    st->counters[lo].key[len] = '\0';
    st->counters[lo].n = 0;
    st->ncounters++;
    return &st->counters[lo].n;
}


int
state_count(state_t *st, const char *key, size_t len, uint64_t n)
{
    uint64_t  *c = state_counter(st, key, len);

    if (c == NULL) {
        return SPOOR_E_NOMEM;
    }
    *c += n;
    return SPOOR_OK;
}


static int
cmp_u64(const void *a, const void *b)
{
    uint64_t  x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return x < y ? -1 : x > y;
}


/* Lineage entries kept: about 2.8 hours of a follower publishing every
 * second, 27 years of daily batch runs. */
#define LINEAGE_KEEP  10000


/* What CURRENT says from the start of a new state's first commit until
 * it ends. */
#define CURRENT_NONE  "none"


/*
 * Frames applied before this run are sorted (binary search); frames of
 * this run are appended and looked up in a small open-addressing set
 * rebuilt as it grows.
 */
static u64set_t  run_set;


int
state_frame_seen(state_t *st, uint64_t key, int *nomem)
{
    int  r;

    if (st->nsorted
        && bsearch(&key, st->frames, st->nsorted, sizeof(uint64_t), cmp_u64))
    {
        return 1;
    }
    r = u64set_add(&run_set, key);
    if (r < 0) {
        *nomem = 1;
        return 0;
    }
    if (r == 1) {
        return 1;
    }
    if (st->nframes == st->frames_cap) {
        size_t     cap = st->frames_cap ? 2 * st->frames_cap : 4096;
        uint64_t  *a = realloc(st->frames, cap * sizeof(uint64_t));

        if (a == NULL) {
            *nomem = 1;
            return 0;
        }
        st->frames = a;
        st->frames_cap = cap;
    }
    st->frames[st->nframes++] = key;
    return 0;
}


static int
cmp_tomb(const void *a, const void *b)
{
    const tomb_t  *x = a, *y = b;

    return x->hash < y->hash ? -1 : x->hash > y->hash;
}


int
state_erased(const state_t *st, uint64_t hash, int64_t t)
{
    tomb_t         key;
    const tomb_t  *f;

    if (st->ntombs == 0) {
        return 0;
    }
    key.hash = hash;
    f = bsearch(&key, st->tombs, st->ntombs, sizeof(tomb_t), cmp_tomb);
    return f != NULL && t <= f->time;
}


int
state_id_erased(state_t *st, uint32_t id, int64_t t)
{
    return t <= identity_erased_at(&st->g, identity_root(&st->g, id));
}


static int
push_tomb(state_t *st, uint64_t hash, int64_t t)
{
    tomb_t  *a;

    if (st->ntombs == st->tombs_cap) {
        size_t  cap = st->tombs_cap ? 2 * st->tombs_cap : 64;

        a = realloc(st->tombs, cap * sizeof(*a));
        if (a == NULL) {
            return SPOOR_E_NOMEM;
        }
        st->tombs = a;
        st->tombs_cap = cap;
    }
    st->tombs[st->ntombs].hash = hash;
    st->tombs[st->ntombs].time = t;
    st->ntombs++;
    return SPOOR_OK;
}


/* Sorts the tombstones by hash, one per hash (the latest time). */
static void
sort_tombs(state_t *st)
{
    size_t  i, j;

    if (st->ntombs == 0) {
        return;
    }
    qsort(st->tombs, st->ntombs, sizeof(tomb_t), cmp_tomb);
    for (i = 1, j = 0; i < st->ntombs; i++) {
        if (st->tombs[i].hash == st->tombs[j].hash) {
            if (st->tombs[i].time > st->tombs[j].time) {
                st->tombs[j].time = st->tombs[i].time;
            }
        } else {
            st->tombs[++j] = st->tombs[i];
        }
    }
    st->ntombs = j + 1;
}


size_t
state_erase(state_t *st, const uint32_t *ids, size_t n, int64_t t,
    int *nomem)
{
    size_t    i, erased = 0;
    uint32_t  r;

    /* the set's root carries the time; its ids become tombstones when
     * the generation is written */
    st->erased_in_run = 1;
    for (i = 0; i < n; i++) {
        r = identity_root(&st->g, ids[i]);
        if (st->njournal_new == st->cjournal_new) {
            size_t     cap = st->cjournal_new ? 2 * st->cjournal_new : 64;
            uint32_t  *a = realloc(st->journal_new, cap * sizeof(uint32_t));

            if (a != NULL) {
                st->journal_new = a;
                st->cjournal_new = cap;
            } else {
                st->journal_all = 1;    /* the whole set, as before */
            }
        }
        if (st->njournal_new < st->cjournal_new) {
            st->journal_new[st->njournal_new++] = ids[i];
        }
        if (identity_erase_until(&st->g, r, t) != SPOOR_OK) {
            *nomem = 1;             /* the profile stays: nothing lost */
            break;
        }
        if (identity_held(&st->g, r)) {
            profile_free(identity_held(&st->g, r));
            identity_hold(&st->g, r, NULL);
            erased++;
            st->erased_uncounted++;
        }
    }
    return erased;
}


size_t
state_forget(state_t *st, const char *text, size_t len, int64_t t,
    int *nomem)
{
    static const char  kinds[] = { 'u', 'a', 'v' };
    size_t             k, found = 0;
    uint32_t           idx;

    for (k = 0; k < sizeof(kinds) && !*nomem; k++) {
        idx = identity_get(&st->g, kinds[k], text, len, nomem);
        if (idx != UINT32_MAX) {
            found += state_erase(st, &idx, 1, t, nomem);
        }
    }
    return found;
}


int
state_import_traits(state_t *st, const traits_line_t *tl, int *nomem)
{
    const msgpack_object  *tr = tl->traits;
    uint32_t               idx, m;
    int                    rc = 1;

    idx = identity_get(&st->g, tl->kind, tl->id, tl->id_len, nomem);
    if (idx == UINT32_MAX) {
        return -1;
    }
    if (state_erased(st, st->g.ids[idx].hash, tl->time)
        || state_id_erased(st, idx, tl->time))
    {
        return 0;
    }
    for (m = 0; m < tr->via.map.size && !*nomem; m++) {
        const msgpack_object_kv  *kv = &tr->via.map.ptr[m];
        msgpack_sbuffer           sb;
        msgpack_packer            pk;
        profile_t                *p;

        if (kv->key.type != MSGPACK_OBJECT_STR) {
            continue;
        }
        p = identity_profile(&st->g, idx);
        if (p != NULL) {
            p->dirty = PROFILE_CHANGED;
        }
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        if (p == NULL || msgpack_pack_object(&pk, kv->val) != 0
            || profile_import_trait(p, &st->strings, kv->key.via.str.ptr,
                                    kv->key.via.str.size,
                                    (unsigned char *) sb.data, sb.size,
                                    tl->time) != SPOOR_OK)
        {
            *nomem = 1;
            rc = -1;
        }
        msgpack_sbuffer_destroy(&sb);
    }
    return rc;
}


int
state_locked(const char *dir)
{
    char  path[4096];
    int   fd, held = 0;

    snprintf(path, sizeof(path), "%s/.lock", dir);
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        held = errno == EWOULDBLOCK;
    }
    close(fd);                          /* releases it, if taken */
    return held;
}


static int
cmp_u32(const void *a, const void *b)
{
    uint32_t  x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return (x > y) - (x < y);
}


/* ---- the erasure journal -------------------------------------------------------- */

/* One journal line of (hash, t) into buf[80]; returns its length. */
static int
journal_line(char *buf, uint64_t hash, int64_t t)
{
    char  body[48];
    int   n;

    n = snprintf(body, sizeof(body), "%016" PRIx64 " %" PRId64, hash, t);
    return snprintf(buf, 80, "%s %016" PRIx64 "\n", body,
                    XXH64(body, (size_t) n, 0));
}


/*
 * Reads DIR/erasures into *out (malloc'ed, *n entries).  A line that
 * fails its check (a torn last write, a flipped byte) is reported on
 * stderr and skipped: the generations hold every tombstone too.
 */
static int
journal_read(const char *dir, tomb_t **out, size_t *n)
{
    char      path[4096], *line = NULL, buf[80];
    size_t    cap = 0, lineno = 0, tcap = 0;
    ssize_t   len;
    FILE     *f;
    tomb_t   *a;
    uint64_t  h, check;
    int64_t   t;

    *out = NULL;
    *n = 0;
    snprintf(path, sizeof(path), "%s/erasures", dir);
    f = fopen(path, "r");
    if (f == NULL) {
        return errno == ENOENT ? SPOOR_OK : SPOOR_E_IO;
    }
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (sscanf(line, "%16" SCNx64 " %" SCNd64 " %16" SCNx64, &h, &t,
                   &check) != 3
            || journal_line(buf, h, t) != len
            || memcmp(buf, line, (size_t) len) != 0)
        {
            fprintf(stderr, "spoor: %s:%zu: damaged line skipped\n", path,
                    lineno);
            continue;
        }
        if (*n == tcap) {
            tcap = tcap ? 2 * tcap : 64;
            a = realloc(*out, tcap * sizeof(tomb_t));
            if (a == NULL) {
                free(line);
                fclose(f);
                return SPOOR_E_NOMEM;
            }
            *out = a;
        }
        (*out)[*n].hash = h;
        (*out)[(*n)++].time = t;
    }
    free(line);
    fclose(f);
    return SPOOR_OK;
}


/* Appends the tombstones of the sets erased in this run to the journal,
 * durably (fsync of the file and, when it was created, of DIR). */
static int
journal_append(state_t *st)
{
    char      path[4096], line[80], *buf = NULL;
    size_t    i, len = 0, cap = 0;
    int       fd, created, rc = SPOOR_OK, n;
    int64_t   at;
    ssize_t   w;

    /* the sets erased since the last append, as their roots now */
    for (i = 0; i < st->njournal_new; i++) {
        st->journal_new[i] = identity_root(&st->g, st->journal_new[i]);
    }
    if (st->njournal_new) {
        qsort(st->journal_new, st->njournal_new, sizeof(uint32_t), cmp_u32);
    }
    for (i = 0; i < st->g.n; i++) {
        uint32_t  r = identity_root(&st->g, (uint32_t) i);

        at = identity_erased_at(&st->g, r);
        if (at == INT64_MIN
            || (!st->journal_all
                && !bsearch(&r, st->journal_new, st->njournal_new,
                            sizeof(uint32_t), cmp_u32)))
        {
            continue;
        }
        n = journal_line(line, st->g.ids[i].hash, at);
        if (len + (size_t) n > cap) {
            char  *b;

            cap = cap ? 2 * cap : 4096;
            b = realloc(buf, cap);
            if (b == NULL) {
                free(buf);
                return SPOOR_E_NOMEM;
            }
            buf = b;
        }
        memcpy(buf + len, line, (size_t) n);
        len += (size_t) n;
    }
    if (len == 0) {
        return SPOOR_OK;
    }
    snprintf(path, sizeof(path), "%s/erasures", st->dir);
    created = access(path, F_OK) != 0;
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        free(buf);
        return SPOOR_E_IO;
    }
    for (i = 0; i < len; i += (size_t) w) {
        w = write(fd, buf + i, len - i);
        if (w <= 0) {
            rc = SPOOR_E_IO;
            break;
        }
    }
    if (rc == SPOOR_OK && fsync(fd) != 0) {
        rc = SPOOR_E_IO;
    }
    if (close(fd) != 0) {
        rc = SPOOR_E_IO;
    }
    if (rc == SPOOR_OK && created) {
        fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0) {
            rc = SPOOR_E_IO;
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    free(buf);
    return rc;
}


/*
 * Gives the loaded generation every journal tombstone it lacks: the
 * profiles of those ids are erased as at the time the journal says.
 */
static int
journal_apply(state_t *st)
{
    tomb_t   *j, *extra;
    size_t    nj, nx = 0, i;
    int       rc, nomem = 0;
    uint32_t  id;

    rc = journal_read(st->dir, &j, &nj);
    if (rc != SPOOR_OK) {
        return rc;
    }
    extra = j;
    for (i = 0; i < nj; i++) {
        if (!state_erased(st, j[i].hash, j[i].time)) {
            extra[nx++] = j[i];
        }
    }
    if (nx == 0) {
        free(j);
        return SPOOR_OK;
    }
    qsort(extra, nx, sizeof(tomb_t), cmp_tomb);
    for (id = 0; id < st->g.n; id++) {
        tomb_t   key, *f;
        uint32_t  r;

        key.hash = st->g.ids[id].hash;
        f = bsearch(&key, extra, nx, sizeof(tomb_t), cmp_tomb);
        if (f == NULL) {
            continue;
        }
        r = identity_root(&st->g, id);
        st->journal_applied += identity_held(&st->g, r) != NULL;
        (void) state_erase(st, &id, 1, f->time, &nomem);
        if (nomem) {
            rc = SPOOR_E_NOMEM;
            break;
        }
    }
    for (i = 0; i < nx && rc == SPOOR_OK; i++) {
        rc = push_tomb(st, extra[i].hash, extra[i].time);
    }
    sort_tombs(st);
    free(j);
    return rc;
}


/* ---- opening ------------------------------------------------------------------ */

/* What DIR/CURRENT says, without its line end, into name[0 .. cap);
 * 0, or -1 with errno when it cannot be read. */
static int
current_read(const char *dir, char *name, size_t cap)
{
    char    path[4096];
    FILE   *f;
    size_t  n;

    snprintf(path, sizeof(path), "%s/CURRENT", dir);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    n = fread(name, 1, cap - 1, f);
    fclose(f);
    name[n] = '\0';
    while (n && (name[n - 1] == '\n' || name[n - 1] == '\r')) {
        name[--n] = '\0';
    }
    return 0;
}


int
state_current(const char *dir, char *buf, size_t cap, char *err,
    size_t errlen)
{
    char    path[4096], name[64];

    snprintf(path, sizeof(path), "%s/CURRENT", dir);
    if (current_read(dir, name, sizeof(name)) != 0) {
        STATE_MSG("%s: no profile state here (%s)", dir, strerror(errno));
        return SPOOR_E_IO;
    }
    if (strcmp(name, CURRENT_NONE) == 0) {
        /* written before the first generation: none is committed yet */
        STATE_MSG("%s: no profile state here yet (no generation)", dir);
        return SPOOR_E_IO;
    }
    if (gen_name_number(name, "gen-", ".snap", 1) == 0) {
        STATE_MSG("%s: CURRENT does not name a generation", path);
        return SPOOR_E_FORMAT;
    }
    snprintf(buf, cap, "%s/%s", dir, name);
    return SPOOR_OK;
}


/* Takes the metadata of a generation: as-of time, frame keys,
 * tombstones, counters and settings. */
static int
load_meta(state_t *st, const unsigned char *p, size_t len)
{
    stored_meta_t  v;
    size_t         i;
    int            rc;

    rc = stored_meta_read(&v, p, len, NULL, 0);
    if (rc != SPOOR_OK) {
        goto done;
    }
    st->as_of = v.as_of;
    st->nframes = st->nsorted = v.nframes;
    st->frames_cap = st->nframes ? st->nframes : 1;
    st->frames = malloc(st->frames_cap * sizeof(uint64_t));
    if (st->frames == NULL) {
        rc = SPOOR_E_NOMEM;
        goto done;
    }
    if (v.nframes) {
        memcpy(st->frames, v.frames, v.nframes * sizeof(uint64_t));
    }
    for (i = 0; i < v.ntombs; i++) {
        if (push_tomb(st, v.tombs[i].hash, v.tombs[i].time) != SPOOR_OK) {
            rc = SPOOR_E_NOMEM;
            goto done;
        }
    }
    sort_tombs(st);
    for (i = 0; i < v.ncounters; i++) {
        if (state_count(st, v.counters[i].key.ptr, v.counters[i].key.len,
                        v.counters[i].n) != SPOOR_OK)
        {
            rc = SPOOR_E_NOMEM;
            goto done;
        }
    }
    if (v.has_rfm_cuts) {
        memcpy(st->prev_cuts, v.rfm_cuts, sizeof(st->prev_cuts));
    }
    if (v.has_settings) {
        settings_free(&st->set);
        st->set = v.settings;           /* taken */
        settings_init(&v.settings);
        st->has_settings = 1;
    }

done:
    stored_meta_free(&v);
    return rc;
}


/* Enters one stored profile: its ids as one set, its state at the root,
 * its cell (figures.h) from its record, the segments named by rules (the
 * rules the generation was written with; may be NULL).  ids is scratch
 * space of *cap entries, grown as needed. */
static int
load_profile(state_t *st, const unsigned char *p, size_t len,
    uint32_t **ids, size_t *cap, uint8_t dirty, const spoor_rules_t *rules)
{
    stored_profile_t   v;
    size_t             i;
    profile_t         *pr;
    int                rc, nomem = 0;

    rc = stored_profile_read(&v, p, len, NULL, 0);
    if (rc != SPOOR_OK) {
        goto done;
    }
    rc = SPOOR_E_FORMAT;
    if (v.nids == 0) {
        goto done;
    }
    if (v.nids > *cap) {
        uint32_t  *a = realloc(*ids, v.nids * sizeof(uint32_t));

        if (a == NULL) {
            rc = SPOOR_E_NOMEM;
            goto done;
        }
        *ids = a;
        *cap = v.nids;
    }
    for (i = 0; i < v.nids; i++) {
        (*ids)[i] = identity_get(&st->g, v.ids[i].kind, v.ids[i].text.ptr,
                                 v.ids[i].text.len, &nomem);
        if ((*ids)[i] == UINT32_MAX) {
            if (nomem) {
                rc = SPOOR_E_NOMEM;
            }
            goto done;
        }
    }
    rc = profile_unpack(v.state, &st->strings, &pr);
    if (rc != SPOOR_OK) {
        goto done;
    }
    identity_enter_set(&st->g, *ids, v.nids, pr);
    pr->dirty = dirty;                  /* as the generation holds it */
    pr->next_change = v.next;
    figures_cell(pr, &v, rules);        /* what its record says */
    for (i = 0; i < v.nids; i++) {
        st->g.ids[(*ids)[i]].stored = 1;
    }

done:
    stored_profile_free(&v);
    return rc;
}


/*
 * The generation numbers of DIR's snapshots (exact names), sorted
 * newest first, into *out (malloc'ed); *max receives the highest number
 * used by any snapshot, damaged snapshot or lineage entry.
 */
static size_t
list_gens(const char *dir, uint32_t **out, uint32_t *max)
{
    char            path[4096];
    DIR            *d;
    struct dirent  *de;
    size_t          n = 0, cap = 0, i, j;
    uint32_t        g, *a, t;
    int             pass;

    *out = NULL;
    *max = 0;
    for (pass = 0; pass < 2; pass++) {
        snprintf(path, sizeof(path), pass ? "%s/lineage" : "%s", dir);
        d = opendir(path);
        while (d && (de = readdir(d)) != NULL) {
            g = pass ? gen_name_number(de->d_name, "", ".json", 0)
                     : gen_name_number(de->d_name, "gen-", ".snap", 0);
            if (g > *max) {
                *max = g;
            }
            if (pass || g == 0
                || gen_name_number(de->d_name, "gen-", ".snap", 1) == 0)
            {
                continue;
            }
            if (n == cap) {
                cap = cap ? 2 * cap : 16;
                a = realloc(*out, cap * sizeof(uint32_t));
                if (a == NULL) {
                    break;
                }
                *out = a;
            }
            (*out)[n++] = g;
        }
        if (d) {
            closedir(d);
        }
    }
    for (i = 1; i < n; i++) {               /* few: insertion sort */
        t = (*out)[i];
        for (j = i; j > 0 && (*out)[j - 1] < t; j--) {
            (*out)[j] = (*out)[j - 1];
        }
        (*out)[j] = t;
    }
    return n;
}


void
state_newest_intact(const char *dir, uint32_t except, uint32_t *gen)
{
    uint32_t      *gens, max;
    size_t         n, i;
    chain_t        c;

    *gen = 0;
    n = list_gens(dir, &gens, &max);
    for (i = 0; i < n && *gen == 0; i++) {
        if (gens[i] == except) {
            continue;
        }
        if (chain_open(&c, dir, gens[i], CHAIN_VERIFY_ALL, NULL, 0)
            == SPOOR_OK)
        {
            *gen = gens[i];
            chain_close(&c);
        }
    }
    free(gens);
}


/* Whether DIR/CURRENT says CURRENT_NONE: the state's first commit was
 * started (state_commit) and none has finished, so every generation file
 * is a leftover of a killed one.  (An empty or damaged CURRENT is not
 * this: it is refused, with the way to recover.) */
static int
current_empty(const char *dir)
{
    char  name[64];

    return current_read(dir, name, sizeof(name)) == 0
           && strcmp(name, CURRENT_NONE) == 0;
}


/* Appends to err what to do about a state that cannot be used. */
static void
hint_recover(const char *dir, uint32_t except, char *err, size_t errlen)
{
    uint32_t  g;
    size_t    l = strlen(err);

    state_newest_intact(dir, except, &g);
    if (g) {
        snprintf(err + l, errlen - l, "; the newest intact generation is "
                 "%06" PRIu32 ": `spoor recover --state %s` rolls back to "
                 "it", g, dir);
    } else {
        snprintf(err + l, errlen - l, "; no intact generation is left");
    }
}


int
state_open_chain(const char *dir, chain_t *c, char *err, size_t errlen)
{
    char      path[4096];
    uint32_t  *gens, max, cur = 0;
    size_t    n;
    int       rc;

    memset(c, 0, sizeof(*c));
    rc = state_current(dir, path, sizeof(path), err, errlen);
    if (rc == SPOOR_E_IO) {
        n = list_gens(dir, &gens, &max);
        free(gens);
        if ((n == 0 && max == 0) || current_empty(dir)) {
            return rc;
        }
        STATE_MSG("%s/CURRENT is missing, but the state has generations",
                  dir);
        rc = SPOOR_E_FORMAT;
    }
    if (rc == SPOOR_OK) {
        cur = gen_name_number(strrchr(path, '/') + 1, "gen-", ".snap", 1);
        rc = chain_open(c, dir, cur, CHAIN_VERIFY_NONE, err, errlen);
        if (rc == SPOOR_OK || rc == SPOOR_E_NOMEM) {
            return rc;
        }
        rc = SPOOR_E_FORMAT;
    }
    hint_recover(dir, cur, err, errlen);
    return rc;
}


/* Empties what a load filled (profiles, frames, tombstones, counters). */
static void
state_unload(state_t *st)
{
    size_t  i;

    identity_free(&st->g);
    intern_free(&st->strings);      /* after the profiles pointing in */
    free(st->frames);
    free(st->tombs);
    for (i = 0; i < st->ncounters; i++) {
        free(st->counters[i].key);
    }
    free(st->counters);
    settings_free(&st->set);
    st->frames = NULL;
    st->tombs = NULL;
    st->counters = NULL;
    st->nframes = st->nsorted = st->frames_cap = 0;
    st->ntombs = st->tombs_cap = st->ncounters = st->counters_cap = 0;
    st->as_of = 0;
    st->has_settings = 0;
    settings_init(&st->set);
    st->base = st->older_base = 0;
    free(st->base_gone);
    st->base_gone = NULL;
    st->nbase_gone = st->cbase_gone = 0;
    st->chain_len = 0;          /* (fork_gone, from_gone: a merge's,
                                   freed when it ends: merge.c) */
    st->base_bytes = st->chain_bytes = 0;
    st->prev_as_of = 0;
    memset(st->prev_cuts, 0, sizeof(st->prev_cuts));
}


/* What load_gen hands each record to (chain_each). */
typedef struct {
    state_t        *st;
    const chain_t  *c;
    uint32_t       *ids;
    size_t          cap;
    spoor_rules_t  *lrules;
    char           *err;
    size_t          errlen;
    int             said;           /* a message is in err */
} load_each_t;


static int
load_one(void *arg, size_t f, size_t i, const unsigned char *p, size_t len)
{
    load_each_t  *x = arg;
    state_t      *st = x->st;
    char         *err = x->err;
    size_t        errlen = x->errlen;
    int           rc;

    rc = p ? load_profile(st, p, len, &x->ids, &x->cap,
                          f + 1 < x->c->n ? PROFILE_SINCE_BASE : 0,
                          x->lrules)
           : SPOOR_E_FORMAT;
    if (rc != SPOOR_OK) {
        STATE_MSG("%s/gen-%06" PRIu32 ".snap: profile %zu: %s", st->dir,
                  x->c->gen[f], i, spoor_strerror(rc));
        x->said = 1;
    }
    return rc;
}


/* Loads generation `gen` of the state: its chain (chain.h), every file
 * verified whole (every byte's checksum) before anything of it is
 * trusted; the chain's profiles are entered in profile id order, the
 * order of a full generation, so that a state loads into the same shape
 * whichever way it was written.  Each record is decompressed once. */
static int
load_gen(state_t *st, uint32_t gen, char *err, size_t errlen)
{
    chain_t               c;
    const unsigned char  *p;
    size_t                len, f;
    load_each_t           x;
    int                   rc;

    memset(&x, 0, sizeof(x));
    state_unload(st);
    st->merges_counted = st->refused_counted = st->junk_counted = 0;
    if (identity_init(&st->g, 256, 1024) != SPOOR_OK) {
        STATE_MSG("out of memory");
        return SPOOR_E_NOMEM;
    }
    /* every record the chain holds is read below, each group checked
     * whole as it is decompressed: no need to decompress them twice */
    rc = chain_open(&c, st->dir, gen, CHAIN_VERIFY_STORED, err, errlen);
    if (rc != SPOOR_OK) {
        return rc;
    }

    p = spoor_snap_meta(c.file[0], &len);
    rc = p ? load_meta(st, p, len) : SPOOR_E_FORMAT;
    if (rc != SPOOR_OK) {
        STATE_MSG("%s/gen-%06" PRIu32 ".snap: damaged metadata", st->dir,
                  gen);
        goto done;
    }
    /* the segments the records name, by the rules they were written with
     * (rules that no longer parse: cells without segments; a commit with
     * other rules writes every record again anyway) */
    x.st = st;
    x.c = &c;
    x.err = err;
    x.errlen = errlen;
    if (st->set.rules != NULL
        && spoor_rules_parse(st->set.rules, st->set.rules_len, st->dir,
                             &x.lrules, NULL, 0) != SPOOR_OK)
    {
        x.lrules = NULL;
    }
    rc = chain_each(&c, load_one, &x);
    if (rc != SPOOR_OK) {
        if (!x.said) {
            STATE_MSG("out of memory");
        }
        goto done;
    }
    st->gen = gen;
    st->base = c.gen[c.n - 1];
    st->chain_bytes = 0;
    for (f = 0; f + 1 < c.n; f++) {
        st->chain_bytes += spoor_snap_file_size(c.file[f]);
    }
    st->base_bytes = spoor_snap_file_size(c.file[c.n - 1]);
    st->chain_len = (uint32_t) c.n - 1;
    rc = chain_gone(&c, &st->base_gone, &st->nbase_gone);
    if (rc != SPOOR_OK) {
        STATE_MSG("out of memory");
        goto done;
    }
    st->prev_as_of = st->as_of;
    st->older_base = older_base(st->dir, st->base);

done:
    spoor_rules_free(x.lrules);
    free(x.ids);
    chain_close(&c);
    return rc;
}


/* Removes what a killed or failed run left: temporary files,
 * generations (snapshot, lineage entry) newer than the current one, a
 * full generation newer than the current base (a background merge's
 * that was never adopted: merge.h), and a serving view without its
 * snapshot or a snapshot without its serving view (a commit killed
 * between the two renames, which two threads may do in either order:
 * such a generation is newer than the current one). */
static void
clean_leftovers(state_t *st)
{
    char            path[4096], f[4096 + 256];
    DIR            *d;
    struct dirent  *de;
    uint32_t        g;
    int             pass;
    struct stat     sb;

    d = opendir(st->dir);
    while (d && (de = readdir(d)) != NULL) {
        g = gen_name_number(de->d_name, "gen-", ".snap", 1);
        if (g != 0 && g > st->base && g < st->gen
            && !gen_is_delta(st->dir, g))
        {
            snprintf(f, sizeof(f), "%s/lineage/%06" PRIu32 ".json", st->dir,
                     g);
            (void) unlink(f);
            snprintf(f, sizeof(f), "%s/gen-%06" PRIu32 ".serve", st->dir, g);
            (void) unlink(f);
            snprintf(f, sizeof(f), "%s/%s", st->dir, de->d_name);
            (void) unlink(f);
            continue;
        }
        g = gen_name_number(de->d_name, "gen-", ".serve", 1);
        snprintf(f, sizeof(f), "%s/gen-%06" PRIu32 ".snap", st->dir, g);
        if (g != 0 && stat(f, &sb) != 0 && errno == ENOENT) {
            snprintf(f, sizeof(f), "%s/%s", st->dir, de->d_name);
            (void) unlink(f);
        }
    }
    if (d) {
        closedir(d);
    }

    for (pass = 0; pass < 2; pass++) {
        snprintf(path, sizeof(path), pass ? "%s/lineage" : "%s", st->dir);
        d = opendir(path);
        while (d && (de = readdir(d)) != NULL) {
            g = pass ? gen_name_number(de->d_name, "", ".json", 1)
                     : gen_name_number(de->d_name, "gen-", ".snap", 1);
            if (!pass && g == 0) {
                g = gen_name_number(de->d_name, "gen-", ".serve", 1);
            }
            if ((g > st->gen)
                || (de->d_name[0] == '.' && strstr(de->d_name, ".tmp.")))
            {
                snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
                (void) unlink(f);
            }
        }
        if (d) {
            closedir(d);
        }
    }
}


/* STATE_RECOVER: loads the newest intact generation; the damaged ones
 * newer than it are renamed *.damaged. */
static int
recover(state_t *st, char *err, size_t errlen)
{
    uint32_t  *gens, max;
    size_t     n, i, k;
    int        rc = SPOOR_E_FORMAT;
    char       from[4096], to[4096 + 16];

    n = list_gens(st->dir, &gens, &max);
    for (i = 0; i < n; i++) {
        rc = load_gen(st, gens[i], err, errlen);
        if (rc == SPOOR_OK || rc == SPOOR_E_NOMEM) {
            break;
        }
    }
    if (rc == SPOOR_OK) {
        for (k = 0; k < i; k++) {
            snprintf(from, sizeof(from), "%s/gen-%06" PRIu32 ".snap",
                     st->dir, gens[k]);
            snprintf(to, sizeof(to), "%s.damaged", from);
            if (rename(from, to) == 0) {
                fprintf(stderr, "spoor recover: %s is damaged: kept as %s\n",
                        from, to);
            }
            /* its serving view is made from it again never: removed */
            snprintf(from, sizeof(from), "%s/gen-%06" PRIu32 ".serve",
                     st->dir, gens[k]);
            (void) unlink(from);
            snprintf(from, sizeof(from), "%s/lineage/%06" PRIu32 ".json",
                     st->dir, gens[k]);
            snprintf(to, sizeof(to), "%s.damaged", from);
            (void) rename(from, to);
        }
    } else if (rc != SPOOR_E_NOMEM) {
        STATE_MSG("%s: no intact generation to recover (%zu tried)", st->dir,
                  n);
    }
    free(gens);
    return rc;
}


int
state_open(state_t *st, const char *dir, int flags, char *err,
    size_t errlen)
{
    char      path[4096];
    uint32_t  cur = 0, *gens, max;
    size_t    ngens;
    int       rc, write = flags & STATE_WRITE;

    memset(st, 0, sizeof(*st));
    intern_init(&st->strings);
    st->conf.strings = &st->strings;
    st->lock_fd = -1;
    settings_init(&st->set);
    u64set_free(&run_set);
    err[0] = '\0';

    st->dir = strdup(dir);
    if (st->dir == NULL || identity_init(&st->g, 256, 1024) != SPOOR_OK) {
        STATE_MSG("out of memory");
        rc = SPOOR_E_NOMEM;
        goto fail;
    }

    if (write) {
        snprintf(path, sizeof(path), "%s/lineage", dir);
        if ((mkdir(dir, 0755) != 0 && errno != EEXIST)
            || (mkdir(path, 0755) != 0 && errno != EEXIST))
        {
            STATE_MSG("%s: cannot create: %s", path, strerror(errno));
            rc = SPOOR_E_IO;
            goto fail;
        }
        snprintf(path, sizeof(path), "%s/.lock", dir);
        st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (st->lock_fd < 0 || flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            STATE_MSG("%s: %s", path, errno == EWOULDBLOCK
                      ? "another run is writing this state" : strerror(errno));
            rc = SPOOR_E_IO;
            goto fail;
        }
    }

    rc = state_current(dir, path, sizeof(path), err, errlen);
    ngens = list_gens(dir, &gens, &max);
    free(gens);
    if (rc == SPOOR_OK) {
        cur = (uint32_t) atol(strrchr(path, '/') + 5);
        rc = load_gen(st, cur, err, errlen);
        if (rc == SPOOR_E_IO && access(path, F_OK) != 0) {
            STATE_MSG("%s: CURRENT names a generation that does not exist",
                      path);
            rc = SPOOR_E_FORMAT;
        }
    } else if (rc == SPOOR_E_IO && current_empty(dir)) {
        if (write) {
            err[0] = '\0';      /* a new state; what a killed first commit
                                   left is removed below */
            rc = SPOOR_OK;
        }
    } else if (rc == SPOOR_E_IO) {
        snprintf(path, sizeof(path), "%s/CURRENT", dir);
        if (access(path, F_OK) != 0 && errno == ENOENT) {
            if (ngens == 0 && max == 0) {
                if (write) {
                    err[0] = '\0';      /* a new state */
                    rc = SPOOR_OK;
                }
            } else {
                STATE_MSG("%s is missing, but the state has generations "
                          "(it is not taken for a new state)", path);
                rc = SPOOR_E_FORMAT;
            }
        }
    }
    if (rc == SPOOR_E_FORMAT && (flags & STATE_RECOVER)) {
        fprintf(stderr, "spoor recover: %s\n", err);
        st->recovered_from = cur ? cur : UINT32_MAX;
        rc = recover(st, err, errlen);
    }
    if (rc == SPOOR_E_FORMAT) {
        hint_recover(dir, cur, err, errlen);
    }
    if (rc != SPOOR_OK) {
        goto fail;
    }

    if (write) {
        clean_leftovers(st);
        (void) list_gens(dir, &gens, &max);
        free(gens);
        st->next_gen = (max > st->gen ? max : st->gen) + 1;
        rc = journal_apply(st);
        if (rc != SPOOR_OK) {
            STATE_MSG("%s/erasures: cannot read: %s", dir,
                      rc == SPOOR_E_NOMEM ? "out of memory" : strerror(errno));
            goto fail;
        }
    }
    return SPOOR_OK;

fail:
    state_close(st);
    return rc;
}


int
state_configure(state_t *st, const settings_t *given, char *err,
    size_t errlen)
{
    char     name[4096];
    size_t   n;
    int      rc;

    if (!st->has_settings && !(given->given & SET_RULES)) {
        /* a state written before settings were kept: its rules file */
        FILE  *f;

        snprintf(name, sizeof(name), "%s/rules", st->dir);
        f = fopen(name, "r");
        if (f != NULL) {
            char  *t = malloc(SPOOR_RULES_TEXT_MAX + 1);

            n = t ? fread(t, 1, SPOOR_RULES_TEXT_MAX, f) : 0;
            fclose(f);
            if (t == NULL) {
                return SPOOR_E_NOMEM;
            }
            t[n] = '\0';
            free(st->set.rules);
            st->set.rules = t;
            st->set.rules_len = n;
        }
    }
    rc = settings_resolve(&st->set, st->has_settings, given, &st->changed,
                          err, errlen);
    if (rc != SPOOR_OK) {
        if (rc == SPOOR_E_NOMEM) {
            STATE_MSG("out of memory");
        }
        return rc;
    }
    return state_settings_apply(st, err, errlen);
}


int
state_settings_apply(state_t *st, char *err, size_t errlen)
{
    char     name[4096];
    size_t   i, n;
    int      rc;

    st->conf.session_gap_ms = st->set.session_gap_ms;
    st->conf.abandon_ms = st->set.abandon_ms;
    st->conf.half_life_ms = st->set.half_life_ms;
    st->g.ids_max = st->set.ids_max;
    st->g.merges_max = st->set.merges_max;
    st->g.junk = st->set.junk;

    if (st->set.rules == NULL) {
        return SPOOR_OK;
    }
    if (st->set.rules_file) {
        snprintf(name, sizeof(name), "%s", st->set.rules_file);
    } else {
        snprintf(name, sizeof(name), "%s (the rules kept in the state)",
                 st->dir);
    }
    rc = spoor_rules_parse(st->set.rules, st->set.rules_len, name,
                           &st->rules, err, errlen);
    if (rc != SPOOR_OK) {
        return rc == SPOOR_E_NOMEM ? rc : SPOOR_E_FORMAT;
    }
    n = spoor_rules_naggs(st->rules);
    st->agg_keys = calloc(n ? n : 1, sizeof(uint32_t));
    if (st->agg_keys == NULL) {
        STATE_MSG("out of memory");
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < n; i++) {
        const spoor_rule_agg_t  *a = spoor_rules_agg(st->rules, i);

        st->agg_keys[i] = profile_agg_key(a->kind, a->event, a->event_len,
                                          a->window_ms);
    }
    st->conf.rules = st->rules;
    st->conf.naggs = n;
    st->conf.agg_keys = st->agg_keys;
    st->conf.max_window_ms = spoor_rules_max_window(st->rules);
    return SPOOR_OK;
}


void
state_close(state_t *st)
{
    size_t  i;

    state_merge_abort(st);              /* before the lock goes */
    state_unload(st);
    settings_free(&st->set);
    identity_free(&st->g);
    intern_free(&st->strings);
    spoor_rules_free(st->rules);
    free(st->agg_keys);
    if (st->lock_fd >= 0) {
        close(st->lock_fd);
    }
    free(st->dir);
    for (i = 0; i < st->nrequests; i++) {
        free(st->requests[i]);
    }
    free(st->requests);
    free(st->journal_new);
    u64set_free(&run_set);
    memset(st, 0, sizeof(*st));
    st->lock_fd = -1;
}


void
state_close_exiting(state_t *st)
{
    state_merge_abort(st);      /* first: its end walks the profiles */
#ifndef SPOOR_SANITIZED
    /* what state_close() would free block by block: dropped (the exit
     * returns it); the identity graph owns the profiles */
    memset(&st->g, 0, sizeof(st->g));
    memset(&st->strings, 0, sizeof(st->strings));
#endif
    state_close(st);
}


/* ---- the snapshot ------------------------------------------ */

typedef commit_out_t  out_t;     /* a profile written (commit_pack.h) */

/* A writer committed on a thread of its own: its result and errno. */
typedef struct {
    spoor_snapw_t  *w;
    int             rc, err;
} snapw_job_t;


static void *
snapw_commit_main(void *arg)
{
    snapw_job_t  *j = arg;

    j->rc = spoor_snapw_commit(j->w);
    j->err = errno;
    return NULL;
}


/* An out's profile id and place, while the outs are put in the order of
 * their ids: 12 bytes, not the out's 16 beside the id's 8, for this
 * array and its sort's copy are the commit's largest short-lived ones. */
typedef struct {
    uint32_t  hi, lo;        /* the profile id hash */
    uint32_t  k;             /* the out's place; outs are in root order,
                                so equal ids keep that order */
} out_pid_t;

static int
cmp_out(const void *a, const void *b)
{
    const out_pid_t  *x = a, *y = b;

    if (x->hi != y->hi) {
        return x->hi < y->hi ? -1 : 1;
    }
    if (x->lo != y->lo) {
        return x->lo < y->lo ? -1 : 1;
    }
    return x->k < y->k ? -1 : x->k > y->k;
}


/* Puts outs[by[j].k] at j for every j, in place (by's k are marked
 * UINT32_MAX as their outs are placed). */
static void
outs_permute(out_t *outs, out_pid_t *by, size_t n)
{
    size_t  j, at, from;
    out_t   first;

    for (j = 0; j < n; j++) {
        if (by[j].k == UINT32_MAX) {
            continue;                   /* placed with an earlier cycle */
        }
        first = outs[j];
        for (at = j; ; at = from) {
            from = by[at].k;
            by[at].k = UINT32_MAX;
            if (from == j) {
                outs[at] = first;
                break;
            }
            outs[at] = outs[from];
        }
    }
}


/* The members of each set, sorted by (kind, text). */
static state_t  *sort_st;

static int
cmp_member(const void *a, const void *b)
{
    uint32_t        i = *(const uint32_t *) a, j = *(const uint32_t *) b;
    const ident_t  *x = &sort_st->g.ids[i];
    const ident_t  *y = &sort_st->g.ids[j];
    char            bx[IDENTITY_TEXT_BUF], by[IDENTITY_TEXT_BUF];
    size_t          nx, ny;

    if (x->kind != y->kind) {
        return x->kind < y->kind ? -1 : 1;
    }
    return strcmp(identity_text(&sort_st->g, i, bx, &nx),
                  identity_text(&sort_st->g, j, by, &ny));
}


/* The frame keys sorted whole: this run's (after nsorted) sorted and
 * merged into the sorted ones, so that a writer that commits again and
 * again (a follower) does not sort every key each time; the run's set of
 * keys is then empty again (state_frame_seen finds them sorted). */
static int
frames_merge(state_t *st)
{
    size_t     a, b, k, nnew = st->nframes - st->nsorted;
    uint64_t  *tmp;

    if (nnew == 0) {
        return SPOOR_OK;
    }
    qsort(st->frames + st->nsorted, nnew, sizeof(uint64_t), cmp_u64);
    if (st->nsorted) {
        tmp = malloc(st->nframes * sizeof(uint64_t));
        if (tmp == NULL) {
            return SPOOR_E_NOMEM;
        }
        for (a = 0, b = st->nsorted, k = 0; k < st->nframes; k++) {
            if (b == st->nframes
                || (a < st->nsorted && st->frames[a] <= st->frames[b]))
            {
                tmp[k] = st->frames[a++];
            } else {
                tmp[k] = st->frames[b++];
            }
        }
        memcpy(st->frames, tmp, st->nframes * sizeof(uint64_t));
        free(tmp);
    }
    st->nsorted = st->nframes;
    u64set_free(&run_set);
    return SPOOR_OK;
}


/* Writes the generation's metadata: frames sorted (all of them then
 * count as loaded), tombstones with every id of a set erased in this run,
 * one per hash. */
static int
write_meta(state_t *st, spoor_snapw_t *w, const double cuts[3][4],
    size_t profiles, uint32_t parent, uint32_t base)
{
    msgpack_sbuffer    sb;
    msgpack_packer     pk;
    stored_meta_t      v;
    stored_counter_t  *c;
    size_t             i;
    int                rc;

    for (i = 0; i < st->g.n && !st->merge_child; i++) {
        int64_t  at = identity_erased_at(&st->g,
                                         identity_root(&st->g, (uint32_t) i));

        if (at != INT64_MIN && push_tomb(st, st->g.ids[i].hash, at)
                               != SPOOR_OK)
        {
            return SPOOR_E_NOMEM;
        }
    }
    if (!st->merge_child) {
        sort_tombs(st);     /* (a merge's child: as the last commit left
                               them; rewriting would copy every page) */
    }
    if (frames_merge(st) != SPOOR_OK) {
        return SPOOR_E_NOMEM;
    }

    c = malloc((st->ncounters ? st->ncounters : 1) * sizeof(*c));
    if (c == NULL) {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < st->ncounters; i++) {
        c[i].key.ptr = st->counters[i].key;
        c[i].key.len = strlen(st->counters[i].key);
        c[i].n = st->counters[i].n;
    }
    memset(&v, 0, sizeof(v));
    v.as_of = st->as_of;
    v.frames = st->frames;
    v.nframes = st->nframes;
    v.tombs = st->tombs;
    v.ntombs = st->ntombs;
    v.counters = c;
    v.ncounters = st->ncounters;
    memcpy(v.rfm_cuts, cuts, sizeof(v.rfm_cuts));
    v.settings = st->set;               /* read only */
    v.profiles = profiles;
    v.parent = parent;
    v.base = base;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    rc = stored_meta_pack(&pk, &v);
    if (rc == SPOOR_OK) {
        rc = spoor_snapw_meta(w, (unsigned char *) sb.data, sb.size);
    }
    msgpack_sbuffer_destroy(&sb);
    free(c);
    return rc;
}


/* Adds what identity and expiry did since the last commit to the
 * counters ("ident:...": aggregates.h), then bounds the aggregates.  A
 * merge's child counts nothing: its parent does. */
static int
count_run(state_t *st)
{
    static const char *const  keys[] = {
        "ident:merges", "ident:merges_refused", "ident:junk_ids",
        "ident:expired", "ident:erased"
    };
    uint64_t  add[5];
    size_t    i;

    if (!st->merge_child) {
        add[0] = st->g.merges - st->merges_counted;
        add[1] = st->g.merges_refused - st->refused_counted;
        add[2] = st->g.junk_seen - st->junk_counted;
        add[3] = st->expired;
        add[4] = st->erased_uncounted;
        /* all entered first, so that none is added without the others */
        for (i = 0; i < 5; i++) {
            if (state_counter(st, keys[i], strlen(keys[i])) == NULL) {
                return SPOOR_E_NOMEM;
            }
        }
        for (i = 0; i < 5; i++) {
            (void) state_count(st, keys[i], strlen(keys[i]), add[i]);
        }
        st->merges_counted = st->g.merges;
        st->refused_counted = st->g.merges_refused;
        st->junk_counted = st->g.junk_seen;
        st->erased_uncounted = 0;
    }
    return aggregates_bound(st);
}


/* The lineage entries older than the newest LINEAGE_KEEP are removed: a
 * follower publishing every second would otherwise add 86,400 a day, and
 * every commit lists them. */
static void
remove_old_lineage(state_t *st)
{
    char            path[4096], f[4096 + 64];
    DIR            *d;
    struct dirent  *de;
    uint32_t       *g = NULL, *a, x;
    size_t          n = 0, cap = 0, i;

    snprintf(path, sizeof(path), "%s/lineage", st->dir);
    d = opendir(path);
    while (d != NULL && (de = readdir(d)) != NULL) {
        x = gen_name_number(de->d_name, "", ".json", 1);
        if (x == 0) {
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            a = realloc(g, cap * sizeof(uint32_t));
            if (a == NULL) {
                break;
            }
            g = a;
        }
        g[n++] = x;
    }
    if (d != NULL) {
        closedir(d);
    }
    if (n > LINEAGE_KEEP) {
        qsort(g, n, sizeof(uint32_t), cmp_u32);
        for (i = 0; i < n - LINEAGE_KEEP; i++) {
            snprintf(f, sizeof(f), "%s/%06" PRIu32 ".json", path, g[i]);
            (void) unlink(f);
        }
    }
    free(g);
}


/* Whether dir's generation g is a delta (0 when its header cannot be
 * read: a damaged file is no chain's link). */
static int
gen_is_delta(const char *dir, uint32_t g)
{
    char      path[4096];
    uint32_t  flags;

    snprintf(path, sizeof(path), "%s/gen-%06" PRIu32 ".snap", dir, g);
    return spoor_snap_peek_flags(path, &flags) == SPOOR_OK
           && (flags & SPOOR_SNAP_DELTA);
}


/* The newest full generation of dir below `below`, 0 when none. */
static uint32_t
older_base(const char *dir, uint32_t below)
{
    uint32_t  *gens, max, g = 0;
    size_t     n, i;

    n = list_gens(dir, &gens, &max);
    for (i = 0; i < n && g == 0; i++) {
        if (gens[i] < below && !gen_is_delta(dir, gens[i])) {
            g = gens[i];
        }
    }
    free(gens);
    return g;
}


/* Keeps the newest set.keep full generations and every delta after the
 * oldest of them (the current generation's chain among them): with two
 * or more, one damaged file always leaves an intact generation to
 * recover (deltas are written only while an older base is kept). */
static void
remove_old_gens(state_t *st)
{
    uint32_t  *gens, max, floor = 0, bases = 0, g;
    size_t     n, i;
    char       path[4096];

    remove_old_lineage(st);
    n = list_gens(st->dir, &gens, &max);
    for (i = 0; i < n && bases < st->set.keep; i++) {
        if (st->merge_pid != 0 && gens[i] == st->merge_gen) {
            continue;           /* not a kept base until adopted */
        }
        floor = gens[i];
        bases += !gen_is_delta(st->dir, gens[i]);
    }
    if (st->base != 0 && st->base < floor) {
        floor = st->base;
    }
    if (st->stale_base != 0 && st->stale_base < floor) {
        for (g = st->stale_lo; g <= st->stale_hi; g++) {
            if (g != st->gen && gen_is_delta(st->dir, g)) {
                snprintf(path, sizeof(path), "%s/gen-%06" PRIu32 ".snap",
                         st->dir, g);
                (void) unlink(path);
                snprintf(path, sizeof(path), "%s/gen-%06" PRIu32 ".serve",
                         st->dir, g);
                (void) unlink(path);
            }
        }
        st->stale_base = 0;
    }
    for (i = 0; i < n; i++) {
        if (gens[i] < floor && gens[i] != st->gen) {
            snprintf(path, sizeof(path), "%s/gen-%06" PRIu32 ".snap",
                     st->dir, gens[i]);
            (void) unlink(path);
            snprintf(path, sizeof(path), "%s/gen-%06" PRIu32 ".serve",
                     st->dir, gens[i]);
            (void) unlink(path);
        }
    }
    free(gens);
}


/* Prunes p as every generation does as of st->as_of: only the windows
 * the rules need, only as far back as needed; weights while they still
 * count (8 half-lives: 0.4 %).  Returns whether it dropped anything. */
static int
state_prune(const state_t *st, profile_t *p)
{
    uint16_t  nb = p->nbuckets, nw = p->nweights;

    profile_prune(p, st->conf.agg_keys, st->conf.naggs,
                  (int32_t) ((st->as_of - st->conf.max_window_ms)
                             / 86400000LL) - 1);
    profile_prune_weights(p, (int32_t) ((st->as_of
                                         - 8 * st->conf.half_life_ms)
                                        / 86400000LL) - 1);
    return p->nbuckets != nb || p->nweights != nw;
}


int
state_record_again(state_t *st, const inferred_conf_t *inf,
    const unsigned char *blob, size_t len, msgpack_sbuffer *sb)
{
    stored_profile_t   v, rec;
    profile_t         *p = NULL;
    stored_decayed_t  *dec = NULL;
    stored_str_t      *segs = NULL;
    msgpack_packer     pk;
    int                rc;

    rc = stored_profile_read(&v, blob, len, NULL, 0);
    if (rc == SPOOR_OK) {
        rc = profile_unpack(v.state, &st->strings, &p);
    }
    if (rc != SPOOR_OK) {
        stored_profile_free(&v);
        return rc == SPOOR_E_NOMEM ? rc : SPOOR_E_FORMAT;
    }
    (void) state_prune(st, p);
    dec = malloc((p->nweights ? p->nweights : 1) * sizeof(*dec));
    segs = malloc((st->rules ? spoor_rules_count(st->rules) + 1 : 1)
                  * sizeof(*segs));
    rc = SPOOR_E_NOMEM;
    if (dec != NULL && segs != NULL) {
        memset(&rec, 0, sizeof(rec));
        rec.id = v.id;
        rec.ids = v.ids;
        rec.nids = v.nids;
        rec.profile = p;
        inferred_record(inf, p, &rec, dec, segs);
        rec.next = INT64_MIN;           /* a reader's: not computed */
        sb->size = 0;
        msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
        rc = stored_profile_pack(&pk, &rec);
    }
    free(dec);
    free(segs);
    profile_free(p);
    stored_profile_free(&v);
    return rc;
}


/* ---- full generations and deltas ------------------------------------ */

/* Deltas a chain grows to: past it, the next delta follows the base
 * itself (it gathers what the chain's deltas hold), so that a lookup
 * probes at most this many deltas and the base (docs/FORMAT.md). */
#define STATE_DELTAS_MAX  4

#define COMMIT_AHEAD   16   /* ids: how far the pass over every profile
                               prefetches */

#define COMMIT_FULL    0    /* a new base */
#define COMMIT_DELTA   1    /* a delta of the current generation */
#define COMMIT_GATHER  2    /* a delta of the base: all since the base */


/* What the next generation can be: a delta when nothing that shapes
 * every profile (settings, rules) changed, and only while an older base
 * is kept (so that one damaged file never leaves nothing to recover);
 * else a new base.  A chain past its bound (its deltas' bytes past half
 * the base's) is merged into a new base: by this commit, or, for a
 * caller that lets merges run in the background, by a child started
 * after it (st->merge_due; merge.h) while deltas go on.  While a merge
 * runs, a gathering delta follows the generation it started from (which
 * is at most STATE_DELTAS_MAX - 1 deltas from the base: merge.h). */
static int
commit_kind(state_t *st)
{
    if (st->merge_child) {
        return COMMIT_FULL;
    }
    if (st->gen == 0 || st->base == 0 || st->older_base == 0
        || st->set.keep < 2 || st->full_next || st->changed
        || !st->has_settings || st->recovered_from != 0)
    {
        return COMMIT_FULL;
    }
    if (st->gather_next) {
        return COMMIT_GATHER;           /* the first of a merged base */
    }
    if (st->merge_pid == 0 && st->chain_bytes * 2 > st->base_bytes) {
        if (!st->background) {
            return COMMIT_FULL;
        }
        st->merge_due = 1;
    }
    return st->chain_len < STATE_DELTAS_MAX ? COMMIT_DELTA : COMMIT_GATHER;
}


/* What a gathering delta follows, and the dirty bit of what it holds:
 * the base, or while a merge runs, the generation the merge holds. */
static uint32_t
gather_parent(const state_t *st)
{
    return st->merge_pid != 0 && !st->gather_next ? st->merge_from
                                                   : st->base;
}


static uint8_t
gather_bit(const state_t *st)
{
    return st->merge_pid != 0 && !st->gather_next ? PROFILE_SINCE_FROM
                                                   : PROFILE_SINCE_BASE;
}


/* Appends gone[0 .. n) to the list *a (*na of *ca).  Returns 0, or -1
 * out of memory (nothing appended). */
static int
gone_append(uint64_t **a, size_t *na, size_t *ca, const uint64_t *gone,
    size_t n)
{
    uint64_t  *b;

    if (*na + n > *ca) {
        size_t  cap = 2 * (*na + n) + 16;

        b = realloc(*a, cap * sizeof(uint64_t));
        if (b == NULL) {
            return -1;
        }
        *a = b;
        *ca = cap;
    }
    if (n) {
        memcpy(*a + *na, gone, n * sizeof(uint64_t));
    }
    *na += n;
    return 0;
}


static int
cmp_hash(const void *a, const void *b)
{
    uint64_t  x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return x < y ? -1 : x > y;
}


/* Sorts gone[0 .. *n), drops repeats and every hash in held[0 .. nheld)
 * (sorted): an id a profile written in the same file holds is not gone. */
static void
gone_filter(uint64_t *gone, size_t *n, const uint64_t *held, size_t nheld)
{
    size_t  i, k = 0, lo, hi, mid;

    qsort(gone, *n, sizeof(uint64_t), cmp_hash);
    for (i = 0; i < *n; i++) {
        if (k > 0 && gone[k - 1] == gone[i]) {
            continue;
        }
        for (lo = 0, hi = nheld; lo < hi; ) {
            mid = (lo + hi) / 2;
            if (held[mid] < gone[i]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (lo < nheld && held[lo] == gone[i]) {
            continue;
        }
        gone[k++] = gone[i];
    }
    *n = k;
}


/*
 * Marks the profiles with orders whose RFM scores moved with the cut
 * points since the loaded generation (a delta holds them): each one's
 * scores against the old cut points as of the old time, and against the
 * new ones as of now, from its values vals[i * stride + k] (k < n; as of
 * now) without reading the profile again.  Time alone does not move a
 * score (every recency moves alike), new orders and profiles do.  With
 * this and the time thresholds (inferred_next_change), what a profile's
 * record holds is, for every profile a delta does not hold, what a full
 * generation would write (but the decayed weights, as of its own time:
 * docs/FORMAT.md).
 */
static void
rescore(state_t *st, const inferred_conf_t *inf, const double *vals,
    size_t stride, const uint32_t *oroot, size_t n, const uint32_t *slot,
    out_t *outs)
{
    size_t   k;
    int      i, a, b;
    double   v, back = (double) (st->as_of - st->prev_as_of);

    if (memcmp(st->prev_cuts, inf->cuts, sizeof(st->prev_cuts)) == 0
        && st->as_of == st->prev_as_of)
    {
        return;
    }
    for (k = 0; k < n; k++) {
        for (i = 0; i < 3; i++) {
            v = vals[i * stride + k];
            b = inferred_score(v, inf->cuts[i]);
            /* recency is minus the ms since the last order: exact
             * integers in a double, so this is the old value exactly */
            a = inferred_score(i == 0 ? v + back : v, st->prev_cuts[i]);
            if (a != b) {
                identity_held(&st->g, oroot[k])->dirty = PROFILE_CHANGED;
                outs[slot[oroot[k]]].dirty = PROFILE_CHANGED;
                break;
            }
        }
    }
}


/* The ids the chain holds with a profile that have none now (erased,
 * expired): their hashes (a delta's gone entry) into *out and their
 * indices into *idx, *n of each. */
static int
gone_ids(state_t *st, uint64_t **out, uint32_t **idx, size_t *n)
{
    uint32_t   i, *b;
    size_t     cap = 0;
    uint64_t  *a;

    *out = NULL;
    *idx = NULL;
    *n = 0;
    for (i = 0; i < st->g.n; i++) {
        if (!st->g.ids[i].stored
            || identity_held(&st->g, identity_root(&st->g, i)) != NULL)
        {
            continue;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            a = realloc(*out, cap * sizeof(uint64_t));
            if (a != NULL) {
                *out = a;
            }
            b = realloc(*idx, cap * sizeof(uint32_t));
            if (b != NULL) {
                *idx = b;
            }
            if (a == NULL || b == NULL) {
                return SPOOR_E_NOMEM;
            }
        }
        (*out)[*n] = st->g.ids[i].hash;
        (*idx)[(*n)++] = i;
    }
    return SPOOR_OK;
}


/* What a commit that made gen current leaves in memory: every profile
 * as the chain holds it, every id marked for what it has, and the
 * chain's shape for the next decision.  A delta touches only what it
 * wrote (outs[0 .. nout), their ids in members) and the ids it said are
 * gone (gone_idx[0 .. nidx)); gone[0 .. ngone) is what it said is gone
 * (taken). */
static void
commit_done(state_t *st, uint32_t gen, int kind, uint64_t bytes,
    const out_t *outs, size_t nout, const uint32_t *members,
    const uint32_t *gone_idx, size_t nidx, const inferred_conf_t *inf,
    uint64_t **gone, size_t ngone)
{
    uint32_t   i;
    size_t     k, j;
    profile_t *p;
    int        merging = st->merge_pid != 0 && !st->gather_next;

    if (kind == COMMIT_FULL) {
        for (i = 0; i < st->g.n; i++) {
            p = identity_held(&st->g, identity_root(&st->g, i));
            st->g.ids[i].stored = p != NULL;
            if (p != NULL) {
                p->dirty = 0;
            }
        }
    } else {
        /* every profile changed since the last generation was written */
        for (k = 0; k < nidx; k++) {
            st->g.ids[gone_idx[k]].stored = 0;
        }
        for (k = 0; k < nout; k++) {
            identity_held(&st->g, outs[k].root)->dirty &= ~PROFILE_SINCE_HEAD;
            for (j = 0; j < outs[k].count; j++) {
                st->g.ids[members[outs[k].first + j]].stored = 1;
            }
        }
    }
    switch (kind) {
    case COMMIT_DELTA:
        st->chain_len++;
        st->chain_bytes += bytes;
        if (gone_append(&st->base_gone, &st->nbase_gone, &st->cbase_gone,
                        *gone, ngone) != 0
            || (merging && gone_append(&st->fork_gone, &st->nfork_gone,
                                       &st->cfork_gone, *gone, ngone) != 0)
            || (merging && gone_append(&st->from_gone, &st->nfrom_gone,
                                       &st->cfrom_gone, *gone, ngone) != 0))
        {
            st->full_next = 1;          /* cannot gather: rebase */
        }
        break;
    case COMMIT_GATHER:
        if (merging) {
            /* it follows the merge's generation: holds all since it */
            st->chain_len = st->merge_from_len + 1;
            st->chain_bytes = st->merge_from_bytes + bytes;
            /* (what it says gone again, from before the fork, is
             * gone for the merged base too: a hash no profile holds) */
            if (gone_append(&st->base_gone, &st->nbase_gone,
                            &st->cbase_gone, *gone, ngone) != 0
                || gone_append(&st->fork_gone, &st->nfork_gone,
                               &st->cfork_gone, *gone, ngone) != 0)
            {
                st->full_next = 1;
            }
            free(st->from_gone);
            st->from_gone = *gone;      /* taken: all since merge_from */
            st->nfrom_gone = st->cfrom_gone = ngone;
            *gone = NULL;
            break;
        }
        st->gather_next = 0;
        st->chain_len = 1;
        st->chain_bytes = bytes;
        free(st->base_gone);
        st->base_gone = *gone;          /* taken: all since the base */
        st->nbase_gone = st->cbase_gone = ngone;
        *gone = NULL;
        break;
    default:
        st->older_base = st->base;
        st->base = gen;
        st->base_bytes = bytes;
        st->chain_bytes = 0;
        st->chain_len = 0;
        free(st->base_gone);
        st->base_gone = NULL;
        st->nbase_gone = st->cbase_gone = 0;
    }
    st->prev_as_of = st->as_of;
    memcpy(st->prev_cuts, inf->cuts, sizeof(st->prev_cuts));
    if (kind == COMMIT_FULL) {
        st->full_next = 0;
        st->gather_next = 0;
        st->merge_due = 0;
    }
}


int
state_commit(state_t *st, const char *lineage, size_t *profiles,
    uint64_t *bytes, char *err, size_t errlen)
{
    uint32_t         i, r, *slot = NULL, *members = NULL, j;
    out_t           *outs = NULL;
    out_pid_t       *byid = NULL;
    uint64_t         pid;
    size_t           nout = 0, k;
    double          *vals = NULL;
    uint32_t        *oroot = NULL;
    inferred_clock_t clk;
    int              timed, clk_ok = 0;
    size_t           nr, nsets;
    inferred_conf_t  inf;
    spoor_snapw_t   *w = NULL, *sw = NULL;
    msgpack_sbuffer  sb;
    msgpack_packer   pk;
    uint64_t        *hashes = NULL;
    char             name[64], sname[64], path[4096], *lj = NULL;
    unsigned char    sum[SPOOR_SERVE_SUM_LARGE];
    json_out_t       jo = { 0 };
    int              rc = SPOOR_E_NOMEM;
    struct stat      sbuf;
    uint32_t         gen = st->merge_child ? st->merge_gen
                           : st->next_gen > st->gen ? st->next_gen
                           : st->gen + 1;
    int              written = 0, delta, kind, ids_later;
    struct timespec  cpu0, cpu1;
    uint64_t         serve_bytes = 0;
    uint32_t         parent;
    size_t           nall, ngone = 0, nidx = 0, nheld = 0;
    uint32_t         max_ids = 0;     /* the most ids a profile holds */
    uint64_t        *gone = NULL;
    uint32_t        *gone_idx = NULL;
    figures_t        fig;
    snapw_job_t      sjob;
    pthread_t        sjob_th;
    int              sjob_running = 0, werr;

    msgpack_sbuffer_init(&sb);
    figures_init(&fig);
    (void) clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
    *profiles = 0;
    *bytes = 0;
    st->expired = 0;

    /* a new state's first commit: CURRENT says "none" first, so that a
     * commit killed before CURRENT names its generation leaves a state
     * that is new, with leftovers, not one that lost its CURRENT */
    if (st->gen == 0 && !st->merge_child && access(st->dir, F_OK) == 0) {
        snprintf(path, sizeof(path), "%s/CURRENT", st->dir);
        if (access(path, F_OK) != 0
            && spoor_write_file_atomic(st->dir, "CURRENT", CURRENT_NONE "\n",
                                       sizeof(CURRENT_NONE)) != SPOOR_OK)
        {
            STATE_MSG("%s/CURRENT: cannot write: %s", st->dir,
                      strerror(errno));
            rc = SPOOR_E_IO;
            goto fail;
        }
    }

    /* the erasures are durable before any generation holds them */
    if (st->erased_in_run && !st->merge_child) {
        rc = journal_append(st);
        if (rc != SPOOR_OK) {
            STATE_MSG("%s/erasures: cannot write: %s", st->dir,
                      rc == SPOOR_E_NOMEM ? "out of memory" : strerror(errno));
            goto fail;
        }
        st->njournal_new = 0;           /* durable: not appended again */
        st->journal_all = 0;
        rc = SPOOR_E_NOMEM;
    }

    /* the sets that have a profile (an out each), and their members */
    for (i = 0, nsets = 0; i < st->g.n; i++) {
        nsets += identity_held(&st->g, i) != NULL;
    }
    slot = malloc((st->g.n ? st->g.n : 1) * sizeof(uint32_t));
    outs = calloc(nsets ? nsets : 1, sizeof(out_t));
    members = malloc((st->g.n ? st->g.n : 1) * sizeof(uint32_t));
    /* the RFM columns: 3 of values, a row per set */
    vals = malloc((nsets ? 3 * nsets : 1) * sizeof(double));
    oroot = malloc((nsets ? nsets : 1) * sizeof(uint32_t));
    if (slot == NULL || outs == NULL || members == NULL || vals == NULL
        || oroot == NULL)
    {
        STATE_MSG("out of memory");
        goto fail;
    }

    /* the inferred module as of now */
    memset(&inf, 0, sizeof(inf));
    inf.as_of = st->as_of;
    inf.abandon_ms = st->conf.abandon_ms;
    inf.half_life_ms = st->conf.half_life_ms;
    memcpy(inf.lifecycle_ms, st->set.lifecycle_ms, sizeof(inf.lifecycle_ms));
    inf.rules = st->rules;
    inf.agg_keys = st->conf.agg_keys;
    inf.strings = &st->strings;

    /* one pass over every profile (each is read once: at a million, every
     * pass costs a cache miss per profile): the sets that have one (a
     * root holds it), dropping the expired ones; the RFM values of those
     * with orders; for a delta, the ones time changed since the loaded
     * generation (unless the caller tracks those: st->time_tracked).
     * Their ids are counted below, for those written. */
    kind = commit_kind(st);
    if (kind == COMMIT_FULL && st->last_commit) {
        identity_drop_lookups(&st->g);  /* ids by index from here: the
                                           pass peaks without the table */
    }
    timed = kind != COMMIT_FULL && !st->time_tracked
            && st->as_of != st->prev_as_of;
    if (inferred_clock_init(&clk, st->conf.abandon_ms, st->set.lifecycle_ms,
                            st->set.expire_ms, st->rules, st->conf.agg_keys)
        != SPOOR_OK)
    {
        STATE_MSG("out of memory");
        goto fail;
    }
    clk_ok = 1;
    for (i = 0; i < st->g.n; i++) {
        slot[i] = UINT32_MAX;
    }
    nr = 0;
    for (i = 0; i < st->g.n; i++) {
        profile_t  *p = identity_held(&st->g, i), *ahead;

        /* the profiles are all over the heap: ask for the first line of
         * one some ids ahead (profile.h puts what this pass reads there)
         * while this one is read */
        if (i + COMMIT_AHEAD < st->g.n
            && (ahead = identity_held(&st->g, i + COMMIT_AHEAD)) != NULL)
        {
            __builtin_prefetch(ahead);
            __builtin_prefetch((const char *) ahead + 63);
        }
        if (p == NULL) {                /* (held: a root's) */
            continue;
        }
        if (st->set.expire_ms && p->last_seen != INT64_MIN
            && p->last_seen < st->as_of - st->set.expire_ms)
        {
            /* inactive for longer than the expiry: dropped with its ids
             * (no tombstone: they are new ids if they come back).  A
             * profile with no event (imported traits only) has no
             * activity to expire by. */
            profile_free(p);
            identity_hold(&st->g, i, NULL);
            st->expired++;
            continue;
        }
        if (timed && !(p->dirty & PROFILE_SINCE_HEAD)
            && (p->next_change != INT64_MIN
                ? p->next_change
                : inferred_next_change(&clk, p, st->prev_as_of))
               <= st->as_of)
        {
            p->dirty = PROFILE_CHANGED;
        }
        if (p->orders) {
            for (j = 0; j < 3; j++) {
                vals[j * nsets + nr] = inferred_rfm_value(p, st->as_of,
                                                          (int) j);
            }
            oroot[nr++] = i;
        }
        figures_add(&fig, p);           /* what its record says */
        slot[i] = (uint32_t) nout;
        outs[nout].root = i;
        outs[nout].count = 0;
        outs[nout].dirty = p->dirty;
        nout++;
    }

    /* the RFM cut points over every profile with orders */
    if (inferred_rfm_cuts(&inf, vals, nr, nsets) != SPOOR_OK) {
        STATE_MSG("out of memory");
        goto fail;
    }

    /* a delta holds the changed profiles, and the ids gone since */
    nall = nout;
    if (kind != COMMIT_FULL) {
        uint8_t    want = kind == COMMIT_DELTA ? PROFILE_SINCE_HEAD
                                               : gather_bit(st);
        uint64_t  *since = gather_bit(st) == PROFILE_SINCE_FROM
                           ? st->from_gone : st->base_gone;
        size_t     nsince = gather_bit(st) == PROFILE_SINCE_FROM
                            ? st->nfrom_gone : st->nbase_gone;

        rescore(st, &inf, vals, nsets, oroot, nr, slot, outs);
        rc = gone_ids(st, &gone, &gone_idx, &ngone);
        nidx = ngone;
        if (rc == SPOOR_OK && kind == COMMIT_GATHER && nsince) {
            uint64_t  *a = realloc(gone, (ngone + nsince)
                                         * sizeof(uint64_t));

            if (a == NULL) {
                rc = SPOOR_E_NOMEM;
            } else {
                gone = a;
                memcpy(gone + ngone, since, nsince * sizeof(uint64_t));
                ngone += nsince;
            }
        }
        if (rc != SPOOR_OK) {
            STATE_MSG("out of memory");
            goto fail;
        }
        rc = SPOOR_E_NOMEM;
        for (j = 0, k = 0; k < nout; k++) {
            j += (outs[k].dirty & want) != 0;
        }
        /* past a quarter of the profiles, a delta saves little and
         * lengthens every later read: a new base, by this commit or in
         * the background after it (this one is a delta then) */
        if ((uint64_t) (j + ngone) * 4 > (uint64_t) nall
            && st->merge_pid == 0 && !st->background)
        {
            kind = COMMIT_FULL;
            ngone = nidx = 0;
        } else {
            if ((uint64_t) (j + ngone) * 4 > (uint64_t) nall
                && st->merge_pid == 0)
            {
                st->merge_due = 1;
            }
            for (j = 0, k = 0; k < nout; k++) {
                if (outs[k].dirty & want) {
                    slot[outs[k].root] = j;
                    outs[j++] = outs[k];
                } else {
                    slot[outs[k].root] = UINT32_MAX;
                }
            }
            nout = j;
        }
    }
    /* (the commit's memory peaks while the files are written: what is
     * done with goes first; a full commit needs the profiles with orders
     * no more, a delta's background merge may: merge_due below) */
    free(vals);
    vals = NULL;
    if (kind == COMMIT_FULL) {
        free(oroot);
        oroot = NULL;
        if (st->last_commit) {
            identity_drop_lookups(&st->g);  /* (a delta turned full) */
        }
    }
    delta = kind != COMMIT_FULL;
    /* the run's last commit, a full one, frees the profiles' lists once
     * the records are packed, and indexes them after (commit_pack_ids) */
    ids_later = !delta && st->last_commit && !st->merge_child;
    parent = kind == COMMIT_DELTA ? st->gen
             : kind == COMMIT_GATHER ? gather_parent(st) : 0;
    if (!delta && st->merge_pid != 0 && !st->merge_child) {
        state_merge_abort(st);          /* this one is the new base */
    }

    /* the profiles written pruned as of now (only the windows the rules
     * need, weights while they still count); one a delta does not hold
     * keeps what its generation holds (a reader prunes it as of the
     * chain's time: state_record_again) */
    for (k = 0; k < nout; k++) {
        (void) state_prune(st, identity_held(&st->g, outs[k].root));
    }

    /* each written profile's ids */
    for (i = 0; i < st->g.n; i++) {
        r = identity_root(&st->g, i);
        if (slot[r] != UINT32_MAX) {
            outs[slot[r]].count++;
        }
    }

    /* member ranges */
    j = 0;
    for (k = 0; k < nout; k++) {
        outs[k].first = j;
        j += outs[k].count;
        outs[k].count = 0;
    }
    for (i = 0; i < st->g.n; i++) {
        r = identity_root(&st->g, i);
        if (slot[r] == UINT32_MAX) {
            continue;
        }
        members[outs[slot[r]].first + outs[slot[r]].count++] = i;
    }
    free(slot);
    slot = NULL;
    /* profile id: the smallest user id hash, else the smallest id hash;
     * the ids held in all, and the most one profile holds */
    byid = malloc((nout ? nout : 1) * sizeof(*byid));
    if (byid == NULL) {
        STATE_MSG("out of memory");
        goto fail;
    }
    for (k = 0, nheld = 0, max_ids = 0; k < nout; k++) {
        nheld += outs[k].count;
        if (outs[k].count > max_ids) {
            max_ids = outs[k].count;
        }
        pid = commit_profile_id(&st->g, &members[outs[k].first],
                                outs[k].count);
        byid[k].hi = (uint32_t) (pid >> 32);
        byid[k].lo = (uint32_t) pid;
        byid[k].k = (uint32_t) k;
        sort_st = st;
        qsort(&members[outs[k].first], outs[k].count, sizeof(uint32_t),
              cmp_member);
    }
    /* the profiles in the order of their ids (which the pid's 8 bytes
     * need not outlive: the writing is the commit's peak of memory) */
    qsort(byid, nout, sizeof(*byid), cmp_out);
    outs_permute(outs, byid, nout);
    free(byid);
    byid = NULL;

    /* an id a written profile holds is not gone (it came back) */
    if (ngone) {
        hashes = malloc((nheld ? nheld : 1) * sizeof(uint64_t));
        if (hashes == NULL) {
            STATE_MSG("out of memory");
            goto fail;
        }
        for (k = 0, i = 0; k < nout; k++) {
            for (j = 0; j < outs[k].count; j++) {
                hashes[i++] = st->g.ids[members[outs[k].first + j]].hash;
            }
        }
        qsort(hashes, nheld, sizeof(uint64_t), cmp_hash);
        gone_filter(gone, &ngone, hashes, nheld);
    }

    snprintf(name, sizeof(name), "gen-%06" PRIu32 ".snap", gen);
    snprintf(sname, sizeof(sname), "gen-%06" PRIu32 ".serve", gen);
    w = spoor_snapw_create(st->dir, name);
    if (w == NULL) {
        STATE_MSG("%s/%s: cannot create: %s", st->dir, name, strerror(errno));
        rc = SPOOR_E_IO;
        goto fail;
    }
    /* the serving view NGINX reads (stored.h), indexed like the snapshot */
    sw = spoor_snapw_create(st->dir, sname);
    if (sw == NULL) {
        STATE_MSG("%s/%s: cannot create: %s", st->dir, sname,
                  strerror(errno));
        rc = SPOOR_E_IO;
        goto fail;
    }
    rc = spoor_snapw_slots(sw, stored_serve_sum_size(st->rules));
    if (rc == SPOOR_OK) {
        rc = spoor_snapw_groups(w);     /* read in order: compressed */
    }
    if (rc == SPOOR_OK) {
        /* the same profiles and ids go to both: one index in memory */
        rc = spoor_snapw_share_index(sw, w);
    }
    if (rc == SPOOR_OK && delta) {
        rc = spoor_snapw_flags(sw, SPOOR_SNAP_DELTA);
        if (rc == SPOOR_OK) {
            rc = spoor_snapw_flags(w, SPOOR_SNAP_DELTA);
        }
    }
    if (rc == SPOOR_OK && ids_later) {
        rc = spoor_snapw_ids_later(w);  /* (for sw too: it shares w's) */
    }
    if (rc != SPOOR_OK) {
        STATE_MSG("%s: cannot start the snapshot or its serving view",
                  st->dir);
        goto fail;
    }
    {
        /* every profile with its ids and profile id, a delta's gone
         * entry: the writers' tables take what they need, not up to
         * twice that */
        size_t  nhash = nheld + nout + ngone;

        rc = spoor_snapw_reserve(w, nout + 1, ids_later ? 0 : nhash);
        if (rc == SPOOR_OK) {
            rc = spoor_snapw_reserve(sw, nout + 1, 0);  /* w's index */
        }
        if (rc != SPOOR_OK) {
            STATE_MSG("out of memory");
            goto fail;
        }
    }

    {
        commit_pack_t   cp;
        spoor_snapw_t  *failed;

        memset(&cp, 0, sizeof(cp));
        cp.g = &st->g;
        cp.outs = outs;
        cp.nout = nout;
        cp.members = members;
        cp.max_ids = max_ids;
        cp.inf = &inf;
        cp.clk = &clk;
        cp.rules = st->rules;
        cp.as_of = st->as_of;
        cp.keep_cells = !st->merge_child;
        /* (a merge child is a fork: it starts no thread) */
        cp.jobs = st->merge_child || st->commit_jobs < 2 ? 1 : 2;
        /* the records written, all the process does with the profiles
         * is mark them written (commit_done): their lists go as they
         * are packed, and the index is built after, instead of the
         * memory peaking with both */
        cp.ids_later = ids_later;
        cp.drop_lists = ids_later;
        rc = commit_pack(&cp, w, sw, &fig, &failed);
        if (rc == SPOOR_OK && ids_later) {
            rc = spoor_snapw_reserve(w, 0, nheld + nout);
            if (rc == SPOOR_OK) {
                rc = commit_pack_ids(&cp, w);
            }
        }
        if (rc != SPOOR_OK) {
            if (failed != NULL) {
                STATE_MSG("%s/%s: cannot write: %s", st->dir,
                          failed == w ? name : sname, strerror(errno));
            } else if (rc == SPOOR_E_NOMEM) {
                STATE_MSG("out of memory");
            } else {
                STATE_MSG("%s/%s: the index lacks profiles", st->dir, name);
            }
            goto fail;
        }
    }
    /* a full commit's bookkeeping needs no list of what it wrote
     * (commit_done marks every id from the graph): the writers finish,
     * where the memory peaks, without the lists */
    if (kind == COMMIT_FULL) {
        free(outs);
        outs = NULL;
        free(members);
        members = NULL;
    }

    /* a delta's gone entry, last: one record for every id gone since */
    if (ngone) {
        memset(sum, 0, sizeof(sum));
        sum[3] = SPOOR_SERVE_GONE;
        const char  *bad = name;

        rc = spoor_snapw_add(w, (const unsigned char *) STORED_GONE_BLOB, 1,
                             gone, ngone);
        if (rc == SPOOR_OK) {
            bad = sname;
            rc = spoor_snapw_add_sum(sw,
                                     (const unsigned char *) STORED_GONE_SERVE,
                                     1, gone, ngone, sum);
        }
        if (rc != SPOOR_OK) {
            STATE_MSG("%s/%s: cannot write: %s", st->dir, bad,
                      rc == SPOOR_E_NOMEM ? "out of memory"
                                          : strerror(errno));
            goto fail;
        }
    }

    sb.size = 0;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    rc = stored_serve_meta_pack(&pk, st->as_of, st->rules, parent,
                                delta ? st->base : 0);
    if (rc == SPOOR_OK) {
        rc = spoor_snapw_meta(sw, (unsigned char *) sb.data, sb.size);
    }
    written = 1;
    if (rc != SPOOR_OK) {
        STATE_MSG("%s/%s: cannot write: %s", st->dir, sname,
                  rc == SPOOR_E_NOMEM ? "out of memory" : strerror(errno));
        goto fail;
    }
    /* the serving view is finished (index sorted, tables and checksums
     * written) on a thread of its own while the snapshot is, with two
     * jobs; the commit frees it in every case */
    sjob.w = sw;
    sw = NULL;
    sjob_running = st->commit_jobs > 1 && !st->merge_child
                   && quiet_thread_start(&sjob_th, snapw_commit_main, &sjob) == 0;
    if (!sjob_running) {
        (void) snapw_commit_main(&sjob);
        if (sjob.rc != SPOOR_OK) {
            errno = sjob.err;
            STATE_MSG("%s/%s: cannot write: %s", st->dir, sname,
                      sjob.rc == SPOOR_E_NOMEM ? "out of memory"
                                               : strerror(errno));
            rc = sjob.rc;
            goto fail;
        }
    }

    rc = count_run(st);
    if (rc == SPOOR_OK) {
        rc = write_meta(st, w, (const double (*)[4]) inf.cuts, nall, parent,
                        delta ? st->base : 0);
        if (rc == SPOOR_OK) {
            rc = spoor_snapw_commit(w);
            w = NULL;
            werr = errno;
            if (rc != SPOOR_OK) {
                STATE_MSG("%s/%s: cannot commit: %s", st->dir, name,
                          strerror(werr));
            }
        } else {
            STATE_MSG("%s/%s: cannot write the metadata", st->dir, name);
        }
    } else {
        STATE_MSG("%s/%s: cannot write the metadata", st->dir, name);
    }
    if (sjob_running) {
        pthread_join(sjob_th, NULL);
        sjob_running = 0;
        /* (when both fail, the snapshot's error is the one said) */
        if (sjob.rc != SPOOR_OK && rc == SPOOR_OK) {
            STATE_MSG("%s/%s: cannot write: %s", st->dir, sname,
                      sjob.rc == SPOOR_E_NOMEM ? "out of memory"
                                               : strerror(sjob.err));
            rc = sjob.rc;
        }
    }
    if (rc != SPOOR_OK) {
        goto fail;
    }

    snprintf(path, sizeof(path), "%s/%s", st->dir, name);
    if (stat(path, &sbuf) == 0) {
        *bytes = (uint64_t) sbuf.st_size;
    }
    snprintf(path, sizeof(path), "%s/%s", st->dir, sname);
    if (stat(path, &sbuf) == 0) {
        serve_bytes = (uint64_t) sbuf.st_size;
    }
    (void) clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
    *profiles = nall;

    /* the lineage, then CURRENT */
    {
        char        lname[64], when[32];
        const char *text;
        size_t      tlen;
        time_t      now = time(NULL);
        struct tm   tm;

        gmtime_r(&now, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (json_out_init(&jo, NULL) != 0) {
            rc = SPOOR_E_NOMEM;
            STATE_MSG("out of memory");
            goto fail;
        }
        json_out_map_open(&jo);
        json_out_cstr(&jo, "generation");
        json_out_uint(&jo, gen);
        json_out_cstr(&jo, "parent");
        json_out_uint(&jo, st->gen);
        json_out_cstr(&jo, "time");
        json_out_cstr(&jo, when);
        json_out_cstr(&jo, "snapshot");
        json_out_cstr(&jo, name);
        json_out_cstr(&jo, "snapshot_bytes");
        json_out_uint(&jo, *bytes);
        json_out_cstr(&jo, "serve_bytes");
        json_out_uint(&jo, serve_bytes);
        /* the CPU time (every thread) the commit took up to here */
        json_out_cstr(&jo, "commit_cpu_ms");
        json_out_uint(&jo, (uint64_t) ((cpu1.tv_sec - cpu0.tv_sec) * 1000
                                       + (cpu1.tv_nsec - cpu0.tv_nsec)
                                         / 1000000));
        json_out_cstr(&jo, "profiles");
        json_out_uint(&jo, nall);
        json_out_cstr(&jo, "delta");
        json_out_bool(&jo, delta);
        if (st->merge_child) {
            json_out_cstr(&jo, "merged");   /* in the background */
            json_out_bool(&jo, 1);
        }
        json_out_cstr(&jo, "base");
        json_out_uint(&jo, delta ? st->base : gen);
        if (delta) {
            json_out_cstr(&jo, "follows");
            json_out_uint(&jo, parent);
        }
        json_out_cstr(&jo, "profiles_written");
        json_out_uint(&jo, nout);
        json_out_cstr(&jo, "ids_gone");
        json_out_uint(&jo, ngone);
        json_out_cstr(&jo, "profiles_expired");
        json_out_uint(&jo, st->expired);
        figures_lineage(&jo, &fig, st->rules, delta);
        settings_lineage(&jo, &st->set, st->changed,
                         st->rules ? spoor_rules_hash(st->rules) : 0);
        json_out_splice(&jo, lineage, strlen(lineage));
        json_out_map_close(&jo);
        text = json_out_text(&jo, &tlen);
        lj = text ? malloc(tlen + 2) : NULL;
        if (lj == NULL) {
            rc = SPOOR_E_NOMEM;
            STATE_MSG("out of memory");
            goto fail;
        }
        memcpy(lj, text, tlen);
        memcpy(lj + tlen, "\n", 2);
        snprintf(lname, sizeof(lname), "%06" PRIu32 ".json", gen);
        snprintf(path, sizeof(path), "%s/lineage", st->dir);
        rc = spoor_write_file_atomic(path, lname, lj, strlen(lj));
        if (rc != SPOOR_OK) {
            STATE_MSG("%s/%s: cannot write: %s", path, lname, strerror(errno));
            goto fail;
        }
        written = 2;
        if (st->merge_child) {
            written = 0;                /* the parent adopts it (merge.h) */
            rc = SPOOR_OK;
            goto fail;
        }
        snprintf(path, sizeof(path), "%s\n", name);
        rc = spoor_write_file_atomic(st->dir, "CURRENT", path, strlen(path));
        if (rc != SPOOR_OK) {
            char  cur[4096], e2[256];
            int   en = errno;

            if (state_current(st->dir, cur, sizeof(cur), e2, sizeof(e2))
                == SPOOR_OK && strcmp(strrchr(cur, '/') + 1, name) == 0)
            {
                /* only the directory's fsync failed: the new generation
                 * is current, keep it */
                written = 0;
                st->gen = gen;
                st->next_gen = gen + 1;
                commit_done(st, gen, kind, *bytes, outs, nout, members, gone_idx,
                    nidx, &inf, &gone, ngone);
            }
            STATE_MSG("%s/CURRENT: cannot write: %s", st->dir, strerror(en));
            goto fail;
        }
        written = 0;
    }

    st->gen = gen;
    st->next_gen = gen + 1;
    commit_done(st, gen, kind, *bytes, outs, nout, members, gone_idx,
                    nidx, &inf, &gone, ngone);
    st->changed = 0;
    st->recovered_from = 0;
    st->has_settings = 1;           /* the generation keeps them */
    st->erased_in_run = 0;          /* in the journal now: a follower's
                                       next commit appends only new ones */
    for (k = 0; k < st->nrequests; k++) {
        (void) unlink(st->requests[k]);     /* done: the generation and
                                               the journal hold them */
        free(st->requests[k]);
    }
    st->nrequests = 0;
    remove_old_gens(st);
    if (st->merge_due) {
        merge_tail_t  tail;

        /* a delta at the chain's bound: the merge starts from its parent
         * (merge.h), which its profiles changed since */
        memset(&tail, 0, sizeof(tail));
        tail.parent = parent;
        tail.bytes = *bytes;
        for (k = 0; k < nout; k++) {
            oroot[k] = outs[k].root;
        }
        tail.roots = oroot;
        tail.nroots = nout;
        tail.gone = gone;
        tail.ngone = gone != NULL ? ngone : 0;
        st->merge_due = 0;
        /* every profile pruned as of now, before the fork: a follower
         * prunes only those it writes, and the child, pruning the others
         * in the memory it shares, would copy their pages.  Not a change:
         * readers prune a record as of the chain's time (state_prune) */
        for (i = 0; i < st->g.n; i++) {
            if (identity_held(&st->g, i) != NULL) {
                (void) state_prune(st, identity_held(&st->g, i));
            }
        }
        state_merge_start(st, kind == COMMIT_DELTA
                              && st->chain_len >= STATE_DELTAS_MAX
                              ? &tail : NULL);
    }
    rc = SPOOR_OK;

fail:
    if (w) {
        spoor_snapw_abort(w);
    }
    if (sw) {
        spoor_snapw_abort(sw);
    }
    if (written) {
        /* a failed commit leaves nothing of the new generation */
        if (written > 1) {
            snprintf(path, sizeof(path), "%s/lineage/%06" PRIu32 ".json",
                     st->dir, gen);
            (void) unlink(path);
        }
        snprintf(path, sizeof(path), "%s/%s", st->dir, name);
        (void) unlink(path);
        snprintf(path, sizeof(path), "%s/%s", st->dir, sname);
        (void) unlink(path);
    }
    free(lj);
    json_out_free(&jo);
    free(slot);
    free(outs);
    free(byid);
    free(members);
    free(hashes);
    free(vals);
    free(oroot);
    free(gone);
    free(gone_idx);
    if (clk_ok) {
        inferred_clock_free(&clk);
    }
    msgpack_sbuffer_destroy(&sb);
    return rc;
}
