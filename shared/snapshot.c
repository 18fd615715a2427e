/*
 * snapshot.c -- writing, mapping and searching profile snapshot files
 * (see snapshot.h for the layout and the contracts, docs/FORMAT.md for
 * the bytes).
 *
 * Writer: bytes go through `buf` to the temporary file; `off` is the file
 * offset of the next byte (buffered bytes included).  The header is
 * written as zeros first and rewritten in place by commit, once every
 * section's position and checksum is known; the whole-file checksum, which
 * covers the header, is then computed by reading the file back.  Any
 * write error is sticky (w->err): the writer only waits to be committed or
 * aborted, and both remove the temporary file.
 *
 * Slot table (version 2): `lines` 64-byte lines of slots (u64 hash, u32
 * profile, u32 0, summary), SLOT_EMPTY in the profile field of a free
 * slot.  line_put() writes slots (for slot_insert() and the writer's
 * pieces) and slot_find() reads them.  Its
 * bytes are those of slot_insert() of every distinct hash in index order
 * into the whole table, which is what verify builds to compare bytes; the
 * writer builds the same bytes a sixteenth at a time (w_put_slots).
 * Within a line slots fill first-free, so the used slots of a line are a
 * prefix of it and a free slot ends a search.
 *
 * Record groups (version 3): the writer fills one snap_group_w_t and seals
 * it into the file when full; the table entries of its records, unknown
 * until then, are set at the seal.  A reader's cursor holds one group,
 * keyed by the snapshot's serial (unique per open, so a cursor never
 * takes a group of a closed file for one of a new file at the same
 * address) and the group's offset.
 *
 * Reader: snap_parse() checks the header, the layout, the trailer, the
 * small sections (table, index, meta) and their checksums, the slot
 * table's shape (not its bytes), and fills a snap_view_t; open keeps that
 * view and every accessor relies on it.  Verify parses again from
 * scratch, then checks the profile records, the slot table and the
 * whole-file checksum.  Integers are read with memcpy + le64toh, so
 * the mapping is never accessed through a misaligned or wrongly sized
 * pointer, and every offset is compared with the file size by subtraction
 * (never by an addition that could wrap) before it is used.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#define XXH_STATIC_LINKING_ONLY     /* XXH64_state_t on the stack */
#include <xxhash.h>
#include <zstd.h>
#include "error.h"
#include "le_bytes.h"
#include "snap_group.h"
#include "snapshot.h"

#define SNAP_MAGIC      "SPOORSNP"
#define SNAP_END_MAGIC  "SPOOREND"
#define SNAP_MODE       0640
#define SNAP_WBUF       (256 * 1024)

#define HDR             SPOOR_SNAP_HEADER_SIZE        /* version 1 */
#define HDR2            SPOOR_SNAP_HEADER_SIZE_SLOTS  /* version 2 */
#define TRL             SPOOR_SNAP_TRAILER_SIZE
#define REC_HEAD        16      /* u64 len, u64 XXH64 in front of a blob */
#define REC_MIN         24      /* smallest record: 1-byte blob, padded */
#define ENTRY           16      /* index entry: u64 hash, u64 profile */
#define LINE            SPOOR_SNAP_LINE
#define SLOT_HEAD       16      /* u64 hash, u32 profile, u32 0 */
#define SLOT_EMPTY      0xFFFFFFFFu     /* profile field of a free slot */

/* Header fields: byte offsets. */
#define H_MAGIC         0
#define H_VERSION       8
#define H_FLAGS         12
#define H_FILE_SIZE     16
#define H_COUNT         24
#define H_PROF_OFF      32
#define H_PROF_SIZE     40
#define H_TABLE_OFF     48
#define H_TABLE_SIZE    56
#define H_INDEX_COUNT   64
#define H_INDEX_OFF     72
#define H_INDEX_SIZE    80
#define H_META_OFF      88
#define H_META_SIZE     96
#define H_TABLE_HASH    104
#define H_INDEX_HASH    112
#define H_META_HASH     120
#define H_HASH          128     /* version 1: XXH64 of bytes [0, 128) */
#define H_SLOTS_OFF     128     /* version 2 from here on */
#define H_SLOTS_SIZE    136
#define H_SLOT_LINES    144
#define H_SUM_SIZE      152
#define H_PROBE_MAX     160
#define H_SLOTS_HASH    168
#define H_HASH2         176     /* version 2: XXH64 of bytes [0, 176) */

_Static_assert(H_HASH == HDR - 8 && H_HASH2 == HDR2 - 8,
               "the header hash is a header's last field");

/* Trailer fields: byte offsets from the trailer's start. */
#define T_FILE_SIZE     0
#define T_HASH          8       /* XXH64 of bytes [0, file size - 16) */
#define T_MAGIC         16

#define PAD8(n)         (((n) + 7) & ~(uint64_t) 7)
#define PAD64(n)        (((n) + 63) & ~(uint64_t) 63)


typedef struct {
    uint32_t  version;      /* 1, 2 (with the slot fields) or 3 (groups) */
    uint32_t  flags;        /* SPOOR_SNAP_DELTA or 0 */
    uint64_t  file_size;
    uint64_t  count;
    uint64_t  prof_off, prof_size;
    uint64_t  table_off, table_size;
    uint64_t  index_count, index_off, index_size;
    uint64_t  meta_off, meta_size;
    uint64_t  table_hash, index_hash, meta_hash;
    uint64_t  slots_off, slots_size, slot_lines, sum_size, probe_max;
    uint64_t  slots_hash;
} snap_header_t;

/* An index entry in memory: the hash in two halves, so that an entry
 * takes 12 bytes, not 16 (a commit holds one for every id of every
 * profile until it is written), and the profile's number (below
 * UINT32_MAX: w_add refuses more); written as two little-endian u64
 * (ENTRY). */
typedef struct {
    uint32_t  hash_lo, hash_hi;
    uint32_t  idx;
} snap_entry_t;

_Static_assert(sizeof(snap_entry_t) == 12, "index entry is 12 bytes");

static inline uint64_t
ent_hash(const snap_entry_t *e)
{
    return (uint64_t) e->hash_hi << 32 | e->hash_lo;
}

/*
 * A writer's index: (hash, profile) entries in host byte order, unsorted
 * with repeats while profiles are added, then sorted and deduplicated
 * once (ix_sort), by whichever commit comes first, under `mu`; read-only
 * after that.  Shared by the writers of one set of profiles
 * (spoor_snapw_share_index): only the writer that created it adds to it,
 * and the last writer freed frees it (`refs`).
 */
typedef struct {
    snap_entry_t     *e;
    size_t            n, cap;
    size_t            count;        /* profiles its owner holds */
    /* the profiles' ids come after them (spoor_snapw_ids_later): the
     * profiles 0 .. nlater have theirs; commit needs all */
    int               later;
    size_t            nlater;
    _Atomic int       sorted;       /* no add after it is set */
    pthread_mutex_t   mu;
    _Atomic unsigned  refs;
} snap_index_t;

/* Appends (hash, idx) to ix, which has room for it. */
static inline void
ent_push(snap_index_t *ix, uint64_t hash, size_t idx)
{
    snap_entry_t  *e = &ix->e[ix->n++];

    e->hash_lo = (uint32_t) hash;
    e->hash_hi = (uint32_t) (hash >> 32);
    e->idx = (uint32_t) idx;
}

/* A group of records in a writer: its offset and its first record. */
typedef struct {
    uint64_t  off;
    size_t    first;
} snap_run_t;

/* What snap_parse() found valid: everything an accessor needs. */
typedef struct {
    snap_header_t          h;
    size_t                 count;
    size_t                 nindex;
    uint64_t               prof_end;   /* end of the profiles section */
    const unsigned char   *table;
    const unsigned char   *index;
    const unsigned char   *meta;       /* NULL: no meta */
    size_t                 meta_len;
    uint64_t               ndistinct;  /* distinct hashes in the index */
    const unsigned char   *slots;      /* NULL: no slot table (version 1) */
    uint64_t               lines;      /* power of two, >= 1 */
    size_t                 slot_size;  /* SLOT_HEAD + sum: 32 or 64 */
    size_t                 sum;        /* summary bytes: 16 or 48 */
    uint64_t               probe_max;  /* 1 .. lines */
} snap_view_t;

struct spoor_snapw_s {
    int              fd;
    int              err;           /* SPOOR_OK, or SPOOR_E_IO (sticky) */
    int              err_errno;
    uint64_t         off;           /* file offset of the next byte */
    unsigned char   *buf;           /* SNAP_WBUF bytes */
    size_t           buf_len;
    /* where each record is, until the table is written (w_put_table): a
     * writer of single records keeps each one's length (a record starts
     * where the one before it ends, the first at first_off: 4 bytes a
     * record, not 8), a writer of groups each group's offset and first
     * record (its records' entries are all that offset) */
    uint32_t        *lens;
    size_t           lens_cap;
    uint64_t         first_off;
    snap_run_t      *runs;
    size_t           nruns, runs_cap;
    size_t           count;
    snap_index_t    *ix;            /* never NULL once created */
    int              ix_own;        /* adds go into ix (not shared from
                                       another writer) */
    unsigned char   *meta;          /* NULL: none */
    size_t           meta_len;
    size_t           sum;           /* summary bytes; 0: no slot table */
    uint32_t         flags;         /* header flags */
    unsigned char   *sums;          /* sum bytes per profile */
    size_t           sums_cap;
    int              groups;        /* version 3: records in groups */
    snap_group_w_t   g;             /*   the group being filled */
    char             dir[PATH_MAX];
    char             path[PATH_MAX];
    char             tmp[PATH_MAX];
};

struct spoor_snap_s {
    const unsigned char  *map;
    size_t                size;
    uint64_t              serial;   /* unique per open, > 0 (cursors) */
    snap_view_t           v;
    uint32_t             *dir;      /* spoor_snap_index_dir(); NULL: none */
    unsigned              dir_bits;
    uint32_t             *dir_part; /* being built: entries before dir_i */
    size_t                dir_i;    /*   are in it, slots before dir_next */
    uint64_t              dir_next; /*   are set */
    char                  path[];   /* for messages */
};

static const unsigned char  zeros[HDR2];
static _Atomic uint64_t     snap_serial;


/* ---- header (integers: le_bytes.h) ------------------------------------- */

/* XXH64 (seed 0) that accepts NULL with len 0. */
static uint64_t
hash64(const void *p, size_t len)
{
    return XXH64(len ? p : "", len, 0);
}


static int
version_known(uint32_t version)
{
    return version == SPOOR_SNAP_VERSION || version == SPOOR_SNAP_VERSION_SLOTS
           || version == SPOOR_SNAP_VERSION_GROUPS;
}


/* The header size of a known version (1, 2 or 3). */
static size_t
header_size(uint32_t version)
{
    return version == SPOOR_SNAP_VERSION_SLOTS ? HDR2 : HDR;
}


/* Writes h as the header_size(h->version) bytes at p. */
static void
header_encode(const snap_header_t *h, unsigned char *p)
{
    size_t  hdr = header_size(h->version);

    memset(p, 0, hdr);
    memcpy(p + H_MAGIC, SNAP_MAGIC, 8);
    le_put32(p + H_VERSION, h->version);
    le_put32(p + H_FLAGS, h->flags);
    le_put64(p + H_FILE_SIZE, h->file_size);
    le_put64(p + H_COUNT, h->count);
    le_put64(p + H_PROF_OFF, h->prof_off);
    le_put64(p + H_PROF_SIZE, h->prof_size);
    le_put64(p + H_TABLE_OFF, h->table_off);
    le_put64(p + H_TABLE_SIZE, h->table_size);
    le_put64(p + H_INDEX_COUNT, h->index_count);
    le_put64(p + H_INDEX_OFF, h->index_off);
    le_put64(p + H_INDEX_SIZE, h->index_size);
    le_put64(p + H_META_OFF, h->meta_off);
    le_put64(p + H_META_SIZE, h->meta_size);
    le_put64(p + H_TABLE_HASH, h->table_hash);
    le_put64(p + H_INDEX_HASH, h->index_hash);
    le_put64(p + H_META_HASH, h->meta_hash);
    if (h->version == SPOOR_SNAP_VERSION_SLOTS) {
        le_put64(p + H_SLOTS_OFF, h->slots_off);
        le_put64(p + H_SLOTS_SIZE, h->slots_size);
        le_put64(p + H_SLOT_LINES, h->slot_lines);
        le_put64(p + H_SUM_SIZE, h->sum_size);
        le_put64(p + H_PROBE_MAX, h->probe_max);
        le_put64(p + H_SLOTS_HASH, h->slots_hash);
    }
    le_put64(p + hdr - 8, XXH64(p, hdr - 8, 0));   /* the header hash: last */
}


/* p holds header_size(version) bytes. */
static void
header_decode(const unsigned char *p, uint32_t version, snap_header_t *h)
{
    h->version = version;
    h->flags = le_get32(p + H_FLAGS);
    h->file_size = le_get64(p + H_FILE_SIZE);
    h->count = le_get64(p + H_COUNT);
    h->prof_off = le_get64(p + H_PROF_OFF);
    h->prof_size = le_get64(p + H_PROF_SIZE);
    h->table_off = le_get64(p + H_TABLE_OFF);
    h->table_size = le_get64(p + H_TABLE_SIZE);
    h->index_count = le_get64(p + H_INDEX_COUNT);
    h->index_off = le_get64(p + H_INDEX_OFF);
    h->index_size = le_get64(p + H_INDEX_SIZE);
    h->meta_off = le_get64(p + H_META_OFF);
    h->meta_size = le_get64(p + H_META_SIZE);
    h->table_hash = le_get64(p + H_TABLE_HASH);
    h->index_hash = le_get64(p + H_INDEX_HASH);
    h->meta_hash = le_get64(p + H_META_HASH);
    if (version == SPOOR_SNAP_VERSION_SLOTS) {
        h->slots_off = le_get64(p + H_SLOTS_OFF);
        h->slots_size = le_get64(p + H_SLOTS_SIZE);
        h->slot_lines = le_get64(p + H_SLOT_LINES);
        h->sum_size = le_get64(p + H_SUM_SIZE);
        h->probe_max = le_get64(p + H_PROBE_MAX);
        h->slots_hash = le_get64(p + H_SLOTS_HASH);
    }
}


/* ---- slot table --------------------------------------------------------- */

/*
 * The number of lines for `distinct` hashes at `per_line` slots a line:
 * the smallest power of two with distinct <= 0.75 * slots, at least 1.
 * 0 when distinct is too large to be a real index (never for a file's).
 */
static uint64_t
slot_lines_for(uint64_t distinct, size_t per_line)
{
    uint64_t  lines = 1;

    if (distinct > UINT64_MAX / 8) {
        return 0;
    }
    while (lines * per_line * 3 < distinct * 4) {
        lines <<= 1;
    }
    return lines;
}


/* Every slot of a table of `lines` lines free: profile SLOT_EMPTY, every
 * other byte 0. */
static void
slots_init(unsigned char *tab, uint64_t lines, size_t slot_size)
{
    size_t  k, n = (size_t) lines * LINE;

    memset(tab, 0, n);
    for (k = 0; k < n; k += slot_size) {
        le_put32(tab + k + 8, SLOT_EMPTY);
    }
}


/* Puts (h, prof, sum[0 .. slot_size - SLOT_HEAD)) in the first free slot
 * of the line at p; 0 when the line is full. */
static int
line_put(unsigned char *p, size_t slot_size, uint64_t h, uint32_t prof,
    const unsigned char *sum)
{
    size_t  k;

    for (k = 0; k < LINE; k += slot_size) {
        if (le_get32(p + k + 8) == SLOT_EMPTY) {
            le_put64(p + k, h);
            le_put32(p + k + 8, prof);
            le_put32(p + k + 12, 0);
            memcpy(p + k + SLOT_HEAD, sum, slot_size - SLOT_HEAD);
            return 1;
        }
    }
    return 0;
}


/*
 * Puts (h, prof, sum) in the first free slot from h's home line on, lines
 * probed in order (wrapping).  Returns the lines probed (1 = the home
 * line), 0 when every slot is taken.
 */
static uint64_t
slot_insert(unsigned char *tab, uint64_t lines, size_t slot_size,
    uint64_t h, uint32_t prof, const unsigned char *sum)
{
    uint64_t  line = h & (lines - 1), n;

    for (n = 1; n <= lines; n++) {
        if (line_put(tab + line * LINE, slot_size, h, prof, sum)) {
            return n;
        }
        line = (line + 1) & (lines - 1);
    }
    return 0;
}


/*
 * The slot of h in a parsed view with a slot table, or NULL.  Reads at
 * most probe_max lines (<= lines, checked at open), each inside the slot
 * section (lines * LINE == its size, checked at open).
 */
static const unsigned char *
slot_find(const snap_view_t *v, uint64_t h)
{
    const unsigned char  *p, *end;
    uint64_t              line = h & (v->lines - 1), n;
    uint32_t              prof;

    for (n = 0; n < v->probe_max; n++) {
        p = v->slots + line * LINE;
        for (end = p + LINE; p < end; p += v->slot_size) {
            prof = le_get32(p + 8);
            if (prof == SLOT_EMPTY) {
                return NULL;
            }
            if (le_get64(p) == h) {
                return prof < v->count ? p : NULL;
            }
        }
        line = (line + 1) & (v->lines - 1);
    }
    return NULL;
}


/* ---- id hash ------------------------------------------------------------ */

uint64_t
spoor_id_hash(const char *kind, const char *id, size_t len)
{
    unsigned char   small[256];
    XXH64_state_t   st;
    size_t          klen = kind[0] == '\0' ? 0
                           : kind[1] == '\0' ? 1 : strlen(kind);

    if (klen < sizeof(small) && len < sizeof(small) - klen) {
        memcpy(small, kind, klen);
        small[klen] = 0;
        if (len) {
            memcpy(small + klen + 1, id, len);
        }
        return XXH64(small, klen + 1 + len, 0);
    }

    XXH64_reset(&st, 0);
    XXH64_update(&st, kind, klen);
    XXH64_update(&st, "", 1);
    XXH64_update(&st, id, len);
    return XXH64_digest(&st);
}


/* ---- files -------------------------------------------------------------- */

/* One path component that names a file: not "", ".", "..", no '/'. */
static int
name_ok(const char *name)
{
    return name[0] != '\0' && strchr(name, '/') == NULL
           && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}


/* Fills path = dir/name and tmp = dir/.name.tmp.PID (PATH_MAX each).
 * Returns 0, or -1 with errno EINVAL or ENAMETOOLONG. */
static int
make_paths(const char *dir, const char *name, char *path, char *tmp)
{
    int  n;

    if (dir == NULL || name == NULL || dir[0] == '\0' || !name_ok(name)) {
        errno = EINVAL;
        return -1;
    }
    n = snprintf(path, PATH_MAX, "%s/%s", dir, name);
    if (n < 0 || n >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    n = snprintf(tmp, PATH_MAX, "%s/.%s.tmp.%ld", dir, name, (long) getpid());
    if (n < 0 || n >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}


static int
write_all(int fd, const void *data, size_t len)
{
    const unsigned char  *p = data;
    ssize_t               n;

    while (len > 0) {
        n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t) n;
    }
    return 0;
}


static int
pwrite_all(int fd, const void *data, size_t len, off_t off)
{
    const unsigned char  *p = data;
    ssize_t               n;

    while (len > 0) {
        n = pwrite(fd, p, len, off);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t) n;
        off += n;
    }
    return 0;
}


/* fsync of a directory, so a rename in it is durable.  EINVAL (a file
 * system that cannot sync directories) is not an error. */
static int
fsync_dir(const char *dir)
{
    int  fd, rc, e;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    rc = fsync(fd);
    if (rc != 0 && errno == EINVAL) {
        rc = 0;
    }
    e = errno;
    close(fd);
    errno = e;
    return rc;
}


/* Closes fd (if >= 0) and removes tmp, keeping errno. */
static void
discard_tmp(int fd, const char *tmp)
{
    int  e = errno;

    if (fd >= 0) {
        close(fd);
    }
    unlink(tmp);
    errno = e;
}


/* fsync + close fd, rename tmp to path, fsync dir.  On failure before the
 * rename, tmp is removed; fd is closed in every case. */
static int
publish(int fd, const char *tmp, const char *path, const char *dir)
{
    if (fsync(fd) != 0) {
        discard_tmp(fd, tmp);
        return -1;
    }
    if (close(fd) != 0) {
        discard_tmp(-1, tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        discard_tmp(-1, tmp);
        return -1;
    }
    return fsync_dir(dir);
}


int
spoor_write_file_atomic(const char *dir, const char *name, const void *data,
    size_t len)
{
    char  path[PATH_MAX], tmp[PATH_MAX];
    int   fd;

    if (make_paths(dir, name, path, tmp) != 0) {
        return SPOOR_E_INVAL;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, SNAP_MODE);
    if (fd < 0) {
        return SPOOR_E_IO;
    }
    if (write_all(fd, data, len) != 0) {
        discard_tmp(fd, tmp);
        return SPOOR_E_IO;
    }
    if (publish(fd, tmp, path, dir) != 0) {
        return SPOOR_E_IO;
    }
    return SPOOR_OK;
}


/* ---- writer ------------------------------------------------------------- */

static void
w_fail(spoor_snapw_t *w)
{
    if (w->err == SPOOR_OK) {
        w->err = SPOOR_E_IO;
        w->err_errno = errno;
    }
}


static int
w_flush(spoor_snapw_t *w)
{
    if (w->err == SPOOR_OK && w->buf_len > 0) {
        if (write_all(w->fd, w->buf, w->buf_len) != 0) {
            w_fail(w);
        }
        w->buf_len = 0;
    }
    return w->err;
}


/* Appends n bytes to the file (through the buffer; large runs directly). */
static void
w_put(spoor_snapw_t *w, const void *p, size_t n)
{
    if (w->err != SPOOR_OK) {
        return;
    }
    if (n > SNAP_WBUF - w->buf_len) {
        if (w_flush(w) != SPOOR_OK) {
            return;
        }
        if (n >= SNAP_WBUF) {
            if (write_all(w->fd, p, n) != 0) {
                w_fail(w);
                return;
            }
            w->off += n;
            return;
        }
    }
    if (n) {
        memcpy(w->buf + w->buf_len, p, n);
    }
    w->buf_len += n;
    w->off += n;
}


/* Zero bytes up to the next multiple of 8. */
static void
w_pad(spoor_snapw_t *w)
{
    w_put(w, zeros, (size_t) (PAD8(w->off) - w->off));
}


/* Sets the capacity of *p to n elements of `size` bytes. */
static int
resize(void **p, size_t *cap, size_t n, size_t size)
{
    void  *np;

    if (n > SIZE_MAX / size) {
        return -1;
    }
    np = realloc(*p, n * size);
    if (np == NULL) {
        return -1;
    }
    *p = np;
    *cap = n;
    return 0;
}


/* Makes room for `need` elements of `size` bytes in *p (capacity *cap),
 * doubling it. */
static int
grow(void **p, size_t *cap, size_t need, size_t size)
{
    size_t  n;

    if (need <= *cap) {
        return 0;
    }
    n = *cap ? *cap : 256;
    while (n < need) {
        if (n > SIZE_MAX / 2) {
            n = need;
            break;
        }
        n *= 2;
    }
    return resize(p, cap, n, size);
}


/* Makes room for exactly `need` elements, when *p has fewer. */
static int
reserve(void **p, size_t *cap, size_t need, size_t size)
{
    return need <= *cap ? 0 : resize(p, cap, need, size);
}


static snap_index_t *
ix_new(void)
{
    snap_index_t  *ix = calloc(1, sizeof(*ix));

    if (ix != NULL) {
        if (pthread_mutex_init(&ix->mu, NULL) != 0) {
            free(ix);
            return NULL;
        }
        atomic_init(&ix->refs, 1);
        atomic_init(&ix->sorted, 0);
    }
    return ix;
}


static void
ix_release(snap_index_t *ix)
{
    if (ix != NULL && atomic_fetch_sub(&ix->refs, 1) == 1) {
        pthread_mutex_destroy(&ix->mu);
        free(ix->e);
        free(ix);
    }
}


static void
w_free(spoor_snapw_t *w)
{
    free(w->buf);
    free(w->lens);
    free(w->runs);
    ix_release(w->ix);
    free(w->meta);
    free(w->sums);
    snap_group_w_free(&w->g);
    free(w);
}


spoor_snapw_t *
spoor_snapw_create(const char *dir, const char *name)
{
    spoor_snapw_t  *w;
    int             e;

    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return NULL;
    }
    w->fd = -1;
    w->ix = ix_new();
    w->ix_own = 1;
    if (w->ix == NULL) {
        errno = ENOMEM;
        goto fail;
    }
    if (make_paths(dir, name, w->path, w->tmp) != 0) {
        goto fail;
    }
    snprintf(w->dir, sizeof(w->dir), "%s", dir);   /* shorter than path */

    w->buf = malloc(SNAP_WBUF);
    if (w->buf == NULL) {
        goto fail;
    }
    w->fd = open(w->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, SNAP_MODE);
    if (w->fd < 0) {
        goto fail;
    }

    w_put(w, zeros, HDR);       /* the header, rewritten by commit */
    return w;

fail:
    e = errno;
    w_free(w);
    errno = e;
    return NULL;
}


int
spoor_snapw_slots(spoor_snapw_t *w, size_t sum)
{
    if (w->err != SPOOR_OK) {
        errno = w->err_errno;
        return w->err;
    }
    if ((sum != 16 && sum != 48) || w->count > 0 || w->sum != 0
        || w->groups)
    {
        return SPOOR_E_INVAL;
    }
    w->sum = sum;
    w_put(w, zeros, HDR2 - HDR);    /* the longer header, zeros for now */
    return w->err;
}


int
spoor_snapw_groups(spoor_snapw_t *w)
{
    if (w->err != SPOOR_OK) {
        errno = w->err_errno;
        return w->err;
    }
    if (w->count > 0 || w->sum != 0 || w->groups) {
        return SPOOR_E_INVAL;
    }
    w->groups = 1;
    return SPOOR_OK;
}


/* Writes the group being filled, if it holds records, and points their
 * table entries at it.  A failure fails the writer. */
static void
w_seal(spoor_snapw_t *w)
{
    const unsigned char  *bytes;
    size_t                len, n;
    int                   rc;

    n = snap_group_w_count(&w->g);
    if (n == 0 || w->err != SPOOR_OK) {
        return;
    }
    rc = snap_group_w_seal(&w->g, w->count - n, &bytes, &len);
    if (rc == SPOOR_OK
        && grow((void **) &w->runs, &w->runs_cap, w->nruns + 1,
                sizeof(*w->runs)) != 0)
    {
        rc = SPOOR_E_NOMEM;
    }
    if (rc != SPOOR_OK) {
        errno = rc == SPOOR_E_NOMEM ? ENOMEM : EIO;
        w_fail(w);
        return;
    }
    w->runs[w->nruns].off = w->off;
    w->runs[w->nruns++].first = w->count - n;
    w_put(w, bytes, len);
}


int
spoor_snapw_add_group(spoor_snapw_t *w, const unsigned char *group,
    size_t len, const uint64_t *ids, const uint32_t *nids)
{
    unsigned char  head[SNAP_GROUP_HEAD];
    uint64_t       first, size;
    size_t         k, j, total = 0;
    uint32_t       n;

    if (w->err != SPOOR_OK) {
        errno = w->err_errno;
        return w->err;
    }
    if (!w->groups || group == NULL
        || (w->ix->later ? ids != NULL || nids != NULL
                         : ids == NULL || nids == NULL)
        || atomic_load(&w->ix->sorted)
        || snap_group_head(group, len, &first, &n, &size, NULL, 0) != 0
        || size != len || w->count + n > SLOT_EMPTY - 1)
    {
        return SPOOR_E_INVAL;           /* an index entry's idx is u32 */
    }
    for (k = 0; k < n && nids != NULL; k++) {
        if (nids[k] == 0 || nids[k] > SIZE_MAX - total) {
            return SPOOR_E_INVAL;
        }
        total += nids[k];
    }
    if (total > SIZE_MAX - w->ix->n || n > SIZE_MAX - w->count
        || grow((void **) &w->runs, &w->runs_cap, w->nruns + 2,
                sizeof(*w->runs)) != 0       /* the seal's, and this */
        || (w->ix_own
            && grow((void **) &w->ix->e, &w->ix->cap, w->ix->n + total,
                    sizeof(*w->ix->e)) != 0))
    {
        return SPOOR_E_NOMEM;
    }

    w_seal(w);                          /* records added one by one */
    if (w->err != SPOOR_OK) {
        errno = w->err_errno;
        return w->err;
    }
    memcpy(head, group, SNAP_GROUP_HEAD);
    le_put64(head + 16, w->count);      /* the group's `first` */
    w->runs[w->nruns].off = w->off;
    w->runs[w->nruns++].first = w->count;
    for (k = 0; k < n && nids != NULL; k++) {
        for (j = 0; j < nids[k] && w->ix_own; j++) {
            ent_push(w->ix, ids[j], w->count + k);
        }
        ids += nids[k];
    }
    w->count += n;
    if (w->ix_own) {
        w->ix->count = w->count;
    }
    w_put(w, head, SNAP_GROUP_HEAD);
    w_put(w, group + SNAP_GROUP_HEAD, len - SNAP_GROUP_HEAD);
    if (w->err != SPOOR_OK) {
        errno = w->err_errno;
        return w->err;
    }
    return SPOOR_OK;
}


/* spoor_snapw_add() and spoor_snapw_add_sum(): sum is w->sum bytes, or
 * NULL on a writer without slots (both checked by the callers). */
static int
w_add(spoor_snapw_t *w, const unsigned char *blob, size_t len,
    const uint64_t *ids, size_t nids, const unsigned char *sum)
{
    unsigned char  head[REC_HEAD];
    uint64_t       at;
    size_t         i;

    if (blob == NULL || len == 0 || len > SPOOR_SNAP_BLOB_MAX
        || (w->ix->later ? ids != NULL || nids != 0
                         : ids == NULL || nids == 0)
        || w->count >= SLOT_EMPTY - 1
        || atomic_load(&w->ix->sorted))
    {
        return SPOOR_E_INVAL;       /* count < 0xFFFFFFFF: u32 numbers */
    }
    if (nids > SIZE_MAX - w->ix->n
        || (!w->groups
            && grow((void **) &w->lens, &w->lens_cap, w->count + 1,
                    sizeof(*w->lens)) != 0)
        || (w->ix_own
            && grow((void **) &w->ix->e, &w->ix->cap, w->ix->n + nids,
                    sizeof(*w->ix->e)) != 0)
        || (w->sum != 0
            && grow((void **) &w->sums, &w->sums_cap, w->count + 1, w->sum)
               != 0))
    {
        return SPOOR_E_NOMEM;
    }

    if (w->groups) {
        if (snap_group_w_add(&w->g, blob, len) != SPOOR_OK) {
            return SPOOR_E_NOMEM;
        }
    } else {
        at = w->off;
        le_put64(head, len);
        le_put64(head + 8, XXH64(blob, len, 0));
        w_put(w, head, sizeof(head));
        w_put(w, blob, len);
        w_pad(w);
        if (w->err != SPOOR_OK) {
            errno = w->err_errno;
            return w->err;
        }
        if (w->count == 0) {
            w->first_off = at;
        }
        w->lens[w->count] = (uint32_t) (w->off - at);  /* < 64 MiB + 24 */
    }

    for (i = 0; i < nids && w->ix_own; i++) {
        ent_push(w->ix, ids[i], w->count);
    }
    if (w->sum != 0) {
        memcpy(w->sums + w->count * w->sum, sum, w->sum);
    }
    w->count++;
    if (w->ix_own) {
        w->ix->count = w->count;
    }
    if (w->groups && snap_group_w_full(&w->g)) {
        w_seal(w);
        if (w->err != SPOOR_OK) {
            errno = w->err_errno;
            return w->err;
        }
    }
    return SPOOR_OK;
}


int
spoor_snapw_add(spoor_snapw_t *w, const unsigned char *blob, size_t len,
    const uint64_t *ids, size_t nids)
{
    if (w->err != SPOOR_OK) {
        errno = w->err_errno;
        return w->err;
    }
    if (w->sum != 0) {
        return SPOOR_E_INVAL;       /* a writer with slots needs summaries */
    }
    return w_add(w, blob, len, ids, nids, NULL);
}


int
spoor_snapw_add_sum(spoor_snapw_t *w, const unsigned char *blob,
    size_t len, const uint64_t *ids, size_t nids, const unsigned char *sum)
{
    if (w->err != SPOOR_OK) {
        errno = w->err_errno;
        return w->err;
    }
    if (w->sum == 0 || sum == NULL) {
        return SPOOR_E_INVAL;
    }
    return w_add(w, blob, len, ids, nids, sum);
}


int
spoor_snapw_reserve(spoor_snapw_t *w, size_t profiles, size_t ids)
{
    if (atomic_load(&w->ix->sorted)) {
        return SPOOR_OK;                /* a hint: nothing more to add */
    }
    if (profiles > SIZE_MAX - w->count || ids > SIZE_MAX - w->ix->n
        || (!w->groups
            && reserve((void **) &w->lens, &w->lens_cap, w->count + profiles,
                       sizeof(*w->lens)) != 0)
        || (w->ix_own
            && reserve((void **) &w->ix->e, &w->ix->cap, w->ix->n + ids,
                       sizeof(*w->ix->e)) != 0)
        || (w->sum != 0
            && reserve((void **) &w->sums, &w->sums_cap, w->count + profiles,
                       w->sum) != 0))
    {
        return SPOOR_E_NOMEM;
    }
    return SPOOR_OK;
}


int
spoor_snapw_share_index(spoor_snapw_t *w, spoor_snapw_t *from)
{
    if (w == from || !w->ix_own || w->count != 0 || from->count != 0
        || w->ix->n != 0 || w->ix->later)
    {
        return SPOOR_E_INVAL;
    }
    ix_release(w->ix);
    w->ix = from->ix;
    atomic_fetch_add(&w->ix->refs, 1);
    w->ix_own = 0;
    return SPOOR_OK;
}


int
spoor_snapw_ids_later(spoor_snapw_t *w)
{
    if (w->count != 0 || w->ix->n != 0 || w->ix->count != 0) {
        return SPOOR_E_INVAL;
    }
    w->ix->later = 1;
    return SPOOR_OK;
}


int
spoor_snapw_ids(spoor_snapw_t *w, const uint64_t *ids, size_t nids)
{
    snap_index_t  *ix = w->ix;
    size_t         i;

    if (!w->ix_own || !ix->later || ix->nlater >= ix->count
        || ids == NULL || nids == 0 || atomic_load(&ix->sorted))
    {
        return SPOOR_E_INVAL;
    }
    if (nids > SIZE_MAX - ix->n
        || grow((void **) &ix->e, &ix->cap, ix->n + nids, sizeof(*ix->e))
           != 0)
    {
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < nids; i++) {
        ent_push(ix, ids[i], ix->nlater);
    }
    ix->nlater++;
    return SPOOR_OK;
}


int
spoor_snapw_flags(spoor_snapw_t *w, uint32_t flags)
{
    if ((flags & ~(uint32_t) SPOOR_SNAP_FLAGS_KNOWN) != 0) {
        return SPOOR_E_INVAL;
    }
    w->flags = flags;
    return SPOOR_OK;
}


int
spoor_snapw_meta(spoor_snapw_t *w, const unsigned char *blob, size_t len)
{
    if (w->err != SPOOR_OK) {
        errno = w->err_errno;
        return w->err;
    }
    if (blob == NULL || len == 0 || len > SPOOR_SNAP_META_MAX
        || w->meta != NULL)
    {
        return SPOOR_E_INVAL;
    }
    w->meta = malloc(len);
    if (w->meta == NULL) {
        return SPOOR_E_NOMEM;
    }
    memcpy(w->meta, blob, len);
    w->meta_len = len;
    return SPOOR_OK;
}


static inline int
entry_lt(const snap_entry_t *x, const snap_entry_t *y)
{
    uint64_t  a = ent_hash(x), b = ent_hash(y);

    return a < b || (a == b && x->idx < y->idx);
}


static inline void
entry_swap(snap_entry_t *x, snap_entry_t *y)
{
    snap_entry_t  t = *x;

    *x = *y;
    *y = t;
}


/* Heap sort of e[0 .. n): entry_sort's way out of a bad pivot run. */
static void
entry_heap_sort(snap_entry_t *e, size_t n)
{
    size_t  i, end, root, child;

    for (i = n / 2; i-- > 0; ) {
        for (root = i; (child = 2 * root + 1) < n; root = child) {
            if (child + 1 < n && entry_lt(&e[child], &e[child + 1])) {
                child++;
            }
            if (!entry_lt(&e[root], &e[child])) {
                break;
            }
            entry_swap(&e[root], &e[child]);
        }
    }
    for (end = n; end-- > 1; ) {
        entry_swap(&e[0], &e[end]);
        for (root = 0; (child = 2 * root + 1) < end; root = child) {
            if (child + 1 < end && entry_lt(&e[child], &e[child + 1])) {
                child++;
            }
            if (!entry_lt(&e[root], &e[child])) {
                break;
            }
            entry_swap(&e[root], &e[child]);
        }
    }
}


/*
 * Sorts e[0 .. n) by (hash, idx), in place: quicksort with the median of
 * three as pivot, insertion sort below 16 entries, and heap sort once a
 * range has been cut more than 2 log2(n) times, so ids chosen to make
 * bad pivots (the hash is not keyed) cost O(n log n) all the same.  The
 * comparisons are inline: glibc's qsort called one through a pointer per
 * step and took a buffer as large as the index.
 */
static void
entry_sort(snap_entry_t *e, size_t n, unsigned depth)
{
    size_t         i, j, m;
    snap_entry_t   pivot;

    while (n > 16) {
        if (depth-- == 0) {
            entry_heap_sort(e, n);
            return;
        }
        m = n / 2;
        if (entry_lt(&e[m], &e[0])) entry_swap(&e[m], &e[0]);
        if (entry_lt(&e[n - 1], &e[0])) entry_swap(&e[n - 1], &e[0]);
        if (entry_lt(&e[n - 1], &e[m])) entry_swap(&e[n - 1], &e[m]);
        pivot = e[m];
        /* Hoare partition: e[0 .. j] <= pivot <= e[j + 1 .. n) */
        i = 0;
        j = n - 1;
        for ( ;; ) {
            while (entry_lt(&e[i], &pivot)) i++;
            while (entry_lt(&pivot, &e[j])) j--;
            if (i >= j) {
                break;
            }
            entry_swap(&e[i], &e[j]);
            i++;
            j--;
        }
        /* the smaller side by recursion, the larger by the loop */
        if (j + 1 < n - (j + 1)) {
            entry_sort(e, j + 1, depth);
            e += j + 1;
            n -= j + 1;
        } else {
            entry_sort(e + j + 1, n - (j + 1), depth);
            n = j + 1;
        }
    }
    for (i = 1; i < n; i++) {
        pivot = e[i];
        for (j = i; j > 0 && entry_lt(&pivot, &e[j - 1]); j--) {
            e[j] = e[j - 1];
        }
        e[j] = pivot;
    }
}


/* Sorts the index by (hash, profile) and drops repeated entries, once:
 * the first commit of the writers sharing it does. */
static void
ix_sort(snap_index_t *ix)
{
    size_t    i, n;
    unsigned  depth = 0;

    pthread_mutex_lock(&ix->mu);
    if (!atomic_load(&ix->sorted) && ix->n > 0) {
        for (n = ix->n; n > 1; n >>= 1) {
            depth += 2;
        }
        entry_sort(ix->e, ix->n, depth);
        for (i = 1, n = 1; i < ix->n; i++) {
            if (ent_hash(&ix->e[i]) != ent_hash(&ix->e[n - 1])
                || ix->e[i].idx != ix->e[n - 1].idx)
            {
                ix->e[n++] = ix->e[i];
            }
        }
        ix->n = n;
    }
    atomic_store(&ix->sorted, 1);
    pthread_mutex_unlock(&ix->mu);
}


/* XXH64 of the file's bytes [from, end), read back through w->buf. */
static int
w_hash_file(spoor_snapw_t *w, uint64_t from, uint64_t end, uint64_t *hash)
{
    XXH64_state_t  st;
    uint64_t       pos;
    size_t         want;
    ssize_t        n;

    XXH64_reset(&st, 0);
    for (pos = from; pos < end; pos += (uint64_t) n) {
        want = end - pos < SNAP_WBUF ? (size_t) (end - pos) : SNAP_WBUF;
        n = pread(w->fd, w->buf, want, (off_t) pos);
        if (n < 0 && errno == EINTR) {
            n = 0;
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            return -1;
        }
        XXH64_update(&st, w->buf, (size_t) n);
    }
    *hash = XXH64_digest(&st);
    return 0;
}


/*
 * The whole slot table of the sorted, deduplicated index (host byte
 * order): each distinct hash with its first entry's profile, the lowest,
 * inserted in index order.  Sets the slot fields of *h; *tab is the
 * file image (h->slots_size bytes), to be freed.  Returns SPOOR_OK or
 * SPOOR_E_NOMEM.  (w_put_slots builds the same bytes piece by piece, and
 * this only when its pieces cannot be.)
 */
static int
w_build_slots(spoor_snapw_t *w, snap_header_t *h, unsigned char **tab)
{
    uint64_t  distinct = 0, lines, n, probe = 0;
    size_t    i, slot_size = SLOT_HEAD + w->sum, prof;

    for (i = 0; i < w->ix->n; i++) {
        distinct += i == 0
                    || ent_hash(&w->ix->e[i]) != ent_hash(&w->ix->e[i - 1]);
    }
    lines = slot_lines_for(distinct, LINE / slot_size);
    if (lines == 0 || lines > SIZE_MAX / LINE) {
        return SPOOR_E_NOMEM;
    }
    *tab = malloc((size_t) lines * LINE);
    if (*tab == NULL) {
        return SPOOR_E_NOMEM;
    }
    slots_init(*tab, lines, slot_size);
    for (i = 0; i < w->ix->n; i++) {
        if (i > 0 && ent_hash(&w->ix->e[i]) == ent_hash(&w->ix->e[i - 1])) {
            continue;
        }
        prof = (size_t) w->ix->e[i].idx;        /* < count < SLOT_EMPTY */
        n = slot_insert(*tab, lines, slot_size, ent_hash(&w->ix->e[i]),
                        (uint32_t) prof, w->sums + prof * w->sum);
        probe = n > probe ? n : probe;      /* n > 0: 3/4 full at most */
    }
    h->slot_lines = lines;
    h->slots_size = lines * LINE;
    h->sum_size = w->sum;
    h->probe_max = probe ? probe : 1;
    h->slots_hash = XXH64(*tab, (size_t) h->slots_size, 0);
    return SPOOR_OK;
}


/*
 * The slot table written in pieces (w_finish, after the index): the same
 * bytes as w_build_slots' whole table, with 1/16 of it in memory.
 *
 * The table's lines are cut into SLOT_PIECES pieces of `plen` lines.  A
 * piece's lines only ever receive entries whose home line is in the
 * piece, or entries that found every line from their home to the piece's
 * first line full (the carry of the piece before): probing goes forward.
 * So a piece is built exactly by inserting those entries in index (hash)
 * order, the carried ones merged in from the first line on, and what
 * finds the piece full is carried to the next.  Only the last piece's
 * carry wraps around to line 0: piece 0 is kept until the end and built
 * again with it; if that changes what piece 0 carried on, which the
 * pieces after it were built with, the whole table is built in memory and
 * written over the pieces instead (never wrong; common in tables of under
 * 16 lines, where a piece is one line, rare in large ones, where the
 * wrapped entries would have to fill a sixteenth of the table).
 * Cost: 17 passes over the index at most, and three lists of the carried
 * entries (24 bytes each).
 */
#define SLOT_PIECES  16

typedef struct {
    uint64_t  hash;
    uint32_t  prof;
    uint64_t  probed;           /* lines probed before this piece */
} slot_carry_t;

typedef struct {
    slot_carry_t  *a;
    size_t         n, cap;
} carry_list_t;


static int
carry_add(carry_list_t *c, uint64_t hash, uint32_t prof, uint64_t probed)
{
    if (grow((void **) &c->a, &c->cap, c->n + 1, sizeof(*c->a)) != 0) {
        return SPOOR_E_NOMEM;
    }
    c->a[c->n].hash = hash;
    c->a[c->n].prof = prof;
    c->a[c->n].probed = probed;
    c->n++;
    return SPOOR_OK;
}


/* Places one entry in a piece of plen lines (buffer tab) from its local
 * line `at` on, `probed` lines already probed before the piece; what
 * finds the piece full goes to *out. */
static int
piece_put(spoor_snapw_t *w, unsigned char *tab, uint64_t plen,
    size_t slot_size, uint64_t at, uint64_t probed, uint64_t hash,
    uint32_t prof, carry_list_t *out, uint64_t *probe)
{
    const unsigned char  *sum = w->sums + (size_t) prof * w->sum;
    uint64_t              t;

    for (t = at; t < plen; t++) {
        if (line_put(tab + t * LINE, slot_size, hash, prof, sum)) {
            probed += t - at + 1;
            *probe = probed > *probe ? probed : *probe;
            return SPOOR_OK;
        }
    }
    return carry_add(out, hash, prof, probed + (plen - at));
}


/* Builds piece k (lines k * plen ..) in tab from the index and the carry
 * `in`; the entries it cannot hold go to *out. */
static int
piece_build(spoor_snapw_t *w, unsigned char *tab, uint64_t lines,
    uint64_t plen, uint64_t k, size_t slot_size, const carry_list_t *in,
    carry_list_t *out, uint64_t *probe)
{
    uint64_t  first = k * plen, hash, prev = 0, home;
    size_t    i, c = 0;
    int       rc;

    slots_init(tab, plen, slot_size);
    out->n = 0;
    for (i = 0; i < w->ix->n; i++) {
        hash = ent_hash(&w->ix->e[i]);
        if (i > 0 && hash == prev) {
            continue;
        }
        prev = hash;
        home = hash & (lines - 1);
        if (home < first || home - first >= plen) {
            continue;
        }
        /* the carried entries of smaller hashes were inserted first */
        for ( ; c < in->n && in->a[c].hash < hash; c++) {
            rc = piece_put(w, tab, plen, slot_size, 0, in->a[c].probed,
                           in->a[c].hash, in->a[c].prof, out, probe);
            if (rc != SPOOR_OK) {
                return rc;
            }
        }
        rc = piece_put(w, tab, plen, slot_size, home - first, 0, hash,
                       (uint32_t) w->ix->e[i].idx, out, probe);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }
    for ( ; c < in->n; c++) {
        rc = piece_put(w, tab, plen, slot_size, 0, in->a[c].probed,
                       in->a[c].hash, in->a[c].prof, out, probe);
        if (rc != SPOOR_OK) {
            return rc;
        }
    }
    return SPOOR_OK;
}


/* Whether a and b carry the same entries, probed as far. */
static int
carry_same(const carry_list_t *a, const carry_list_t *b)
{
    size_t  i;

    if (a->n != b->n) {
        return 0;
    }
    for (i = 0; i < a->n; i++) {
        if (a->a[i].hash != b->a[i].hash || a->a[i].probed != b->a[i].probed) {
            return 0;
        }
    }
    return 1;
}


static int
carry_copy(carry_list_t *to, const carry_list_t *from)
{
    size_t  i;

    to->n = 0;
    for (i = 0; i < from->n; i++) {
        if (carry_add(to, from->a[i].hash, from->a[i].prof,
                      from->a[i].probed) != SPOOR_OK)
        {
            return SPOOR_E_NOMEM;
        }
    }
    return SPOOR_OK;
}


/* Appends n zero bytes. */
static void
w_put_zeros(spoor_snapw_t *w, uint64_t n)
{
    size_t  k;

    for ( ; n > 0; n -= k) {
        k = n < sizeof(zeros) ? (size_t) n : sizeof(zeros);
        w_put(w, zeros, k);
    }
}


/*
 * Appends the slot table (64-byte aligned) of the sorted, deduplicated
 * index (host byte order), and sets the slot fields of *h.
 * Returns SPOOR_OK, SPOOR_E_NOMEM, or SPOOR_E_IO (w->err set).
 */
static int
w_put_slots(spoor_snapw_t *w, snap_header_t *h)
{
    uint64_t        distinct = 0, lines, plen, npieces, k, probe = 0;
    size_t          i, slot_size = SLOT_HEAD + w->sum;
    unsigned char  *first = NULL, *tab = NULL, *whole = NULL;
    carry_list_t    in = { 0 }, out = { 0 }, first_out = { 0 }, t;
    int             rc = SPOOR_E_NOMEM;

    if (w->err != SPOOR_OK) {
        return w->err;                  /* nothing is written after an error */
    }
    for (i = 0; i < w->ix->n; i++) {
        distinct += i == 0
                    || ent_hash(&w->ix->e[i]) != ent_hash(&w->ix->e[i - 1]);
    }
    lines = slot_lines_for(distinct, LINE / slot_size);
    if (lines == 0 || lines > SIZE_MAX / LINE) {
        return SPOOR_E_NOMEM;
    }
    npieces = lines < SLOT_PIECES ? lines : SLOT_PIECES;
    plen = lines / npieces;                 /* both powers of two */
    first = malloc((size_t) plen * LINE);
    tab = malloc((size_t) plen * LINE);
    if (first == NULL || tab == NULL) {
        goto done;
    }

    w_put_zeros(w, PAD64(w->off) - w->off);
    h->slots_off = w->off;
    for (k = 0; k < npieces; k++) {
        rc = piece_build(w, k == 0 ? first : tab, lines, plen, k, slot_size,
                         &in, &out, &probe);
        if (rc == SPOOR_OK && k == 0) {
            rc = carry_copy(&first_out, &out);
        }
        if (rc != SPOOR_OK) {
            goto done;
        }
        if (k == 0) {
            w_put_zeros(w, plen * LINE);    /* piece 0 is written last */
        } else {
            w_put(w, tab, (size_t) (plen * LINE));
        }
        t = in; in = out; out = t;
    }

    if (in.n > 0) {
        /* the last piece's carry wraps around to piece 0 */
        if (npieces > 1) {
            rc = piece_build(w, first, lines, plen, 0, slot_size, &in, &out,
                             &probe);
            if (rc != SPOOR_OK) {
                goto done;
            }
        }
        if (npieces == 1 || !carry_same(&out, &first_out)) {
            rc = w_build_slots(w, h, &whole);
            if (rc != SPOOR_OK) {
                goto done;
            }
            probe = h->probe_max;
        }
    }

    rc = SPOOR_E_IO;
    if (w_flush(w) != SPOOR_OK) {
        goto done;
    }
    if (pwrite_all(w->fd, whole ? whole : first,
                   (size_t) (whole ? lines * LINE : plen * LINE),
                   (off_t) h->slots_off) != 0)
    {
        w_fail(w);
        goto done;
    }
    h->slot_lines = lines;
    h->slots_size = lines * LINE;
    h->sum_size = w->sum;
    h->probe_max = probe ? probe : 1;
    if (w_hash_file(w, h->slots_off, h->slots_off + h->slots_size,
                    &h->slots_hash) != 0)
    {
        w_fail(w);
        goto done;
    }
    rc = SPOOR_OK;

done:
    free(first);
    free(tab);
    free(whole);
    free(in.a);
    free(out.a);
    free(first_out.a);
    return rc;
}


/* Appends the table's file image, each record's offset as a little-
 * endian u64, a block at a time.  Returns the XXH64 of the bytes. */
static uint64_t
w_put_table(spoor_snapw_t *w)
{
    unsigned char   blk[256 * 8];
    XXH64_state_t   st;
    size_t          i, k = 0, r = 0;
    uint64_t        off = w->first_off;

    XXH64_reset(&st, 0);
    for (i = 0; i < w->count; i++) {
        if (w->groups) {
            while (r + 1 < w->nruns && w->runs[r + 1].first <= i) {
                r++;
            }
            le_put64(blk + k * 8, w->runs[r].off);
        } else {
            le_put64(blk + k * 8, off);
            off += w->lens[i];
        }
        if (++k == 256 || i + 1 == w->count) {
            XXH64_update(&st, blk, k * 8);
            w_put(w, blk, k * 8);
            k = 0;
        }
    }
    return XXH64_digest(&st);
}


/* Appends the sorted index's file image (two little-endian u64 per
 * entry), a block at a time: the index itself is left as it is, for the
 * other writers sharing it.  Returns the XXH64 of the bytes. */
static uint64_t
w_put_index(spoor_snapw_t *w, const snap_index_t *ix)
{
    unsigned char   blk[256 * ENTRY];
    XXH64_state_t   st;
    size_t          i, k;

    XXH64_reset(&st, 0);
    for (i = 0; i < ix->n; i += k) {
        for (k = 0; k < 256 && i + k < ix->n; k++) {
            le_put64(blk + k * ENTRY, ent_hash(&ix->e[i + k]));
            le_put64(blk + k * ENTRY + 8, ix->e[i + k].idx);
        }
        XXH64_update(&st, blk, k * ENTRY);
        w_put(w, blk, k * ENTRY);
    }
    return XXH64_digest(&st);
}


/* Appends table, index, slots, meta and trailer, then fills in the
 * header.  Returns SPOOR_OK, SPOOR_E_IO (errno set), SPOOR_E_NOMEM or
 * SPOOR_E_INVAL (a shared index of other profiles). */
static int
w_finish(spoor_snapw_t *w)
{
    snap_header_t   h;
    unsigned char   hdr[HDR2], trl[TRL];
    uint64_t        file_hash;
    int             rc;

    w_seal(w);                          /* the last group */
    if (w->err != SPOOR_OK) {
        errno = w->err_errno;
        return w->err;
    }
    if (w->ix->count != w->count
        || (w->ix->later && w->ix->nlater != w->count))
    {
        errno = EINVAL;         /* shared: the writers' profiles differ;
                                   or a profile is without its ids */
        return SPOOR_E_INVAL;
    }
    ix_sort(w->ix);
    memset(&h, 0, sizeof(h));

    h.version = w->sum ? SPOOR_SNAP_VERSION_SLOTS
                : w->groups ? SPOOR_SNAP_VERSION_GROUPS : SPOOR_SNAP_VERSION;
    h.flags = w->flags;
    h.count = w->count;
    h.prof_off = header_size(h.version);
    h.prof_size = w->off - h.prof_off;

    h.table_off = w->off;
    h.table_size = (uint64_t) w->count * 8;
    h.table_hash = w_put_table(w);

    h.index_count = w->ix->n;
    h.index_off = w->off;
    h.index_size = (uint64_t) w->ix->n * ENTRY;
    h.index_hash = w_put_index(w, w->ix);

    if (w->sum != 0) {
        rc = w_put_slots(w, &h);
        if (rc != SPOOR_OK) {
            if (rc == SPOOR_E_NOMEM) {
                errno = ENOMEM;
            } else {
                errno = w->err_errno;
            }
            return rc;
        }
    }

    h.meta_off = w->off;
    h.meta_size = w->meta_len;
    h.meta_hash = hash64(w->meta, w->meta_len);
    w_put(w, w->meta, w->meta_len);
    w_pad(w);

    h.file_size = w->off + TRL;
    le_put64(trl + T_FILE_SIZE, h.file_size);
    w_put(w, trl, 8);
    if (w_flush(w) != SPOOR_OK) {
        errno = w->err_errno;
        return SPOOR_E_IO;
    }

    header_encode(&h, hdr);
    if (pwrite_all(w->fd, hdr, header_size(h.version), 0) != 0
        || w_hash_file(w, 0, h.file_size - 16, &file_hash) != 0)
    {
        return SPOOR_E_IO;
    }
    le_put64(trl + T_HASH, file_hash);
    memcpy(trl + T_MAGIC, SNAP_END_MAGIC, 8);
    return pwrite_all(w->fd, trl + T_HASH, 16, (off_t) (h.file_size - 16))
           == 0 ? SPOOR_OK : SPOOR_E_IO;
}


int
spoor_snapw_commit(spoor_snapw_t *w)
{
    int  rc = SPOOR_OK, e;

    if (w->err != SPOOR_OK) {
        errno = w->err_errno;
        discard_tmp(w->fd, w->tmp);
        rc = w->err;
    } else if ((rc = w_finish(w)) != SPOOR_OK) {
        discard_tmp(w->fd, w->tmp);
    } else if (publish(w->fd, w->tmp, w->path, w->dir) != 0) {
        rc = SPOOR_E_IO;
    }

    e = errno;
    w_free(w);
    errno = e;
    return rc;
}


void
spoor_snapw_abort(spoor_snapw_t *w)
{
    if (w == NULL) {
        return;
    }
    discard_tmp(w->fd, w->tmp);
    w_free(w);
}


/* ---- reader: checks ----------------------------------------------------- */

static void
say(char *msg, size_t msglen, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
}


/*
 * A section of `size` bytes must start at *pos and end by `end`; then
 * *pos moves past it.  Nothing is added before it is compared.
 */
static int
section(const char *what, uint64_t off, uint64_t size, uint64_t *pos,
    uint64_t end, char *msg, size_t msglen)
{
    if (off != *pos || size > end - *pos || size % 8 != 0) {
        say(msg, msglen, "corrupt: %s section at %" PRIu64 " (%" PRIu64
            " bytes) is not where it belongs (%" PRIu64 ")", what, off, size,
            *pos);
        return -1;
    }
    *pos += size;
    return 0;
}


/*
 * Version 2: the slot section at the first multiple of 64 from *pos (the
 * bytes between are padding), and its shape: a power of two of lines
 * filling it exactly, a summary size of 16 or 48, a longest probe of 1 ..
 * lines.  Whether the lines suit the index is checked with the index.
 */
static int
check_slots_layout(const snap_header_t *h, uint64_t *pos, uint64_t end,
    char *msg, size_t msglen)
{
    uint64_t  pad = PAD64(*pos) - *pos;

    if (pad > end - *pos) {
        say(msg, msglen, "corrupt: no room for the slot table at %" PRIu64,
            *pos);
        return -1;
    }
    *pos += pad;
    if (section("slots", h->slots_off, h->slots_size, pos, end, msg, msglen)
        != 0)
    {
        return -1;
    }
    if (h->slot_lines == 0 || (h->slot_lines & (h->slot_lines - 1)) != 0
        || h->slots_size % LINE != 0 || h->slots_size / LINE != h->slot_lines)
    {
        say(msg, msglen, "corrupt: slot table of %" PRIu64 " lines in %"
            PRIu64 " bytes", h->slot_lines, h->slots_size);
        return -1;
    }
    if (h->sum_size != 16 && h->sum_size != 48) {
        say(msg, msglen, "corrupt: slot summary size %" PRIu64
            " (16 or 48)", h->sum_size);
        return -1;
    }
    if (h->probe_max == 0 || h->probe_max > h->slot_lines) {
        say(msg, msglen, "corrupt: slot probe_max %" PRIu64 " for %" PRIu64
            " lines", h->probe_max, h->slot_lines);
        return -1;
    }
    return 0;
}


/* Header fields, sizes and section positions against the file size. */
static int
check_layout(const snap_header_t *h, uint64_t size, char *msg, size_t msglen)
{
    uint64_t  pos = header_size(h->version), end = size - TRL;

    if (h->file_size != size) {
        say(msg, msglen, "%s: file is %" PRIu64 " bytes, header says %"
            PRIu64, size < h->file_size ? "truncated" : "corrupt", size,
            h->file_size);
        return -1;
    }
    if (section("profiles", h->prof_off, h->prof_size, &pos, end, msg,
                msglen) != 0
        || section("table", h->table_off, h->table_size, &pos, end, msg,
                   msglen) != 0
        || section("index", h->index_off, h->index_size, &pos, end, msg,
                   msglen) != 0
        || (h->version == SPOOR_SNAP_VERSION_SLOTS
            && check_slots_layout(h, &pos, end, msg, msglen) != 0)
        || section("meta", h->meta_off, end - pos, &pos, end, msg,
                   msglen) != 0)
    {
        return -1;
    }
    if (h->table_size / 8 != h->count
        || (h->count == 0) != (h->prof_size == 0))
    {
        say(msg, msglen, "corrupt: %" PRIu64 " profiles do not fit the "
            "profiles (%" PRIu64 " bytes) and table (%" PRIu64 " bytes) "
            "sections", h->count, h->prof_size, h->table_size);
        return -1;
    }
    if (h->index_size / ENTRY != h->index_count
        || h->index_count < h->count)
    {
        say(msg, msglen, "corrupt: index of %" PRIu64 " entries in %"
            PRIu64 " bytes for %" PRIu64 " profiles", h->index_count,
            h->index_size, h->count);
        return -1;
    }
    if (h->meta_size > SPOOR_SNAP_META_MAX
        || PAD8(h->meta_size) != size - TRL - h->meta_off)
    {
        say(msg, msglen, "corrupt: meta of %" PRIu64 " bytes in a section "
            "of %" PRIu64, h->meta_size, size - TRL - h->meta_off);
        return -1;
    }
    return 0;
}


/* Version 3: the table names groups, 8-aligned, non-decreasing, a new
 * group at least SNAP_GROUP_MIN after the one before, the first at the
 * section start, each at least SNAP_GROUP_MIN from its end and named by
 * at most SNAP_GROUP_RECORDS profiles in a row.  Which profiles a group
 * holds is checked when it is read (group_fits). */
static int
check_group_table(const snap_view_t *v, char *msg, size_t msglen)
{
    uint64_t  o, prev = 0;
    size_t    i, run = 0;

    for (i = 0; i < v->count; i++) {
        o = le_get64(v->table + i * 8);
        run = i > 0 && o == prev ? run + 1 : 1;
        if (o % 8 != 0 || o < v->h.prof_off || o >= v->prof_end
            || v->prof_end - o < SNAP_GROUP_MIN || run > SNAP_GROUP_RECORDS
            || (i == 0 ? o != v->h.prof_off
                       : o < prev || (o != prev
                                      && o - prev < SNAP_GROUP_MIN)))
        {
            say(msg, msglen, "corrupt: table entry %zu (offset %" PRIu64
                ") is no record group", i, o);
            return -1;
        }
        prev = o;
    }
    return 0;
}


/* The table: increasing record starts, 8-aligned, at least REC_MIN
 * apart, the first at the section start, the last REC_MIN from its end. */
static int
check_table(const snap_view_t *v, char *msg, size_t msglen)
{
    uint64_t  o, prev = 0;
    size_t    i;

    if (v->h.version == SPOOR_SNAP_VERSION_GROUPS) {
        return check_group_table(v, msg, msglen);
    }
    for (i = 0; i < v->count; i++) {
        o = le_get64(v->table + i * 8);
        if (o % 8 != 0 || o < v->h.prof_off || o >= v->prof_end
            || v->prof_end - o < REC_MIN
            || (i == 0 ? o != v->h.prof_off : o - prev < REC_MIN))
        {
            say(msg, msglen, "corrupt: table entry %zu (offset %" PRIu64
                ") is no record boundary", i, o);
            return -1;
        }
        prev = o;
    }
    return 0;
}


/* The index: strictly increasing (hash, profile), profiles that exist.
 * Counts the distinct hashes into v->ndistinct. */
static int
check_index(snap_view_t *v, char *msg, size_t msglen)
{
    uint64_t  hash, idx, ph = 0, pi = 0;
    size_t    i;

    for (i = 0; i < v->nindex; i++) {
        hash = le_get64(v->index + i * ENTRY);
        idx = le_get64(v->index + i * ENTRY + 8);
        if (idx >= v->count) {
            say(msg, msglen, "corrupt: index entry %zu names profile %"
                PRIu64 " of %zu", i, idx, v->count);
            return -1;
        }
        if (i > 0 && (hash < ph || (hash == ph && idx <= pi))) {
            say(msg, msglen, "corrupt: index entry %zu is out of order", i);
            return -1;
        }
        v->ndistinct += i == 0 || hash != ph;
        ph = hash;
        pi = idx;
    }
    return 0;
}


/* Version 2: the slot lines are what the index's distinct hashes call
 * for (so the table can hold them, and no more). */
static int
check_slot_lines(const snap_view_t *v, char *msg, size_t msglen)
{
    uint64_t  want = slot_lines_for(v->ndistinct, LINE / v->slot_size);

    if (v->lines != want) {
        say(msg, msglen, "corrupt: slot table of %" PRIu64 " lines for %"
            PRIu64 " id hashes (%" PRIu64 " expected)", v->lines,
            v->ndistinct, want);
        return -1;
    }
    return 0;
}


/*
 * Everything open checks: header, layout, trailer, the table, index and
 * meta sections with their checksums.  Fills *v.  Returns 0, or -1 with a
 * message.
 */
static int
snap_parse(const unsigned char *map, size_t size, snap_view_t *v,
    char *msg, size_t msglen)
{
    const unsigned char  *trl;
    snap_header_t        *h = &v->h;
    uint32_t              version, flags;
    size_t                hdr;

    memset(v, 0, sizeof(*v));

    if (size < HDR + TRL) {
        say(msg, msglen, "truncated: %zu bytes, smaller than a snapshot's "
            "header and trailer", size);
        return -1;
    }
    if (memcmp(map + H_MAGIC, SNAP_MAGIC, 8) != 0) {
        say(msg, msglen, "not a spoor profile snapshot (bad magic)");
        return -1;
    }
    version = le_get32(map + H_VERSION);
    if (!version_known(version)) {
        say(msg, msglen, "unsupported snapshot version %" PRIu32
            " (this reader knows %d to %d)", version, SPOOR_SNAP_VERSION,
            SPOOR_SNAP_VERSION_GROUPS);
        return -1;
    }
    hdr = header_size(version);
    if (size < hdr + TRL) {
        say(msg, msglen, "truncated: %zu bytes, smaller than a version %"
            PRIu32 " snapshot's header and trailer", size, version);
        return -1;
    }
    if (XXH64(map, hdr - 8, 0) != le_get64(map + hdr - 8)) {
        say(msg, msglen, "corrupt: header checksum mismatch");
        return -1;
    }
    flags = le_get32(map + H_FLAGS);
    if ((flags & ~(uint32_t) SPOOR_SNAP_FLAGS_KNOWN) != 0) {
        say(msg, msglen, "unsupported snapshot flags 0x%" PRIx32, flags);
        return -1;
    }

    header_decode(map, version, h);
    if (check_layout(h, size, msg, msglen) != 0) {
        return -1;
    }

    trl = map + size - TRL;
    if (memcmp(trl + T_MAGIC, SNAP_END_MAGIC, 8) != 0
        || le_get64(trl + T_FILE_SIZE) != size)
    {
        say(msg, msglen, "truncated or corrupt: bad trailer");
        return -1;
    }

    /* All sizes are now known to lie inside a mapping of size bytes. */
    v->count = (size_t) h->count;
    v->nindex = (size_t) h->index_count;
    v->prof_end = h->prof_off + h->prof_size;
    v->table = map + h->table_off;
    v->index = map + h->index_off;
    v->meta = h->meta_size ? map + h->meta_off : NULL;
    v->meta_len = (size_t) h->meta_size;
    if (version == SPOOR_SNAP_VERSION_SLOTS) {     /* not read here */
        v->slots = map + h->slots_off;
        v->lines = h->slot_lines;
        v->sum = (size_t) h->sum_size;
        v->slot_size = SLOT_HEAD + v->sum;
        v->probe_max = h->probe_max;
    }

    if (XXH64(v->table, (size_t) h->table_size, 0) != h->table_hash) {
        say(msg, msglen, "corrupt: table checksum mismatch");
        return -1;
    }
    if (XXH64(v->index, (size_t) h->index_size, 0) != h->index_hash) {
        say(msg, msglen, "corrupt: index checksum mismatch");
        return -1;
    }
    if (XXH64(map + h->meta_off, v->meta_len, 0) != h->meta_hash) {
        say(msg, msglen, "corrupt: meta checksum mismatch");
        return -1;
    }
    return check_table(v, msg, msglen) || check_index(v, msg, msglen)
           || (v->slots != NULL && check_slot_lines(v, msg, msglen))
           ? -1 : 0;
}


/*
 * Record i of a parsed file: its blob and length when the record fills
 * exactly the space up to the next record (blob + < 8 padding bytes)
 * and, if check_hash, the blob's XXH64 matches.  NULL with a message
 * otherwise.
 */
static const unsigned char *
snap_record(const unsigned char *map, const snap_view_t *v, size_t i,
    int check_hash, size_t *len, char *msg, size_t msglen)
{
    uint64_t  off, next, n;

    off = le_get64(v->table + i * 8);
    next = i + 1 < v->count ? le_get64(v->table + (i + 1) * 8) : v->prof_end;
    if (off > next || next > v->prof_end || next - off < REC_MIN) {
        say(msg, msglen, "corrupt: profile %zu has no valid record", i);
        return NULL;
    }
    n = le_get64(map + off);
    if (n == 0 || n > SPOOR_SNAP_BLOB_MAX || PAD8(n) != next - off - REC_HEAD)
    {
        say(msg, msglen, "corrupt: profile %zu length %" PRIu64 " does not "
            "fit its record (%" PRIu64 " bytes)", i, n, next - off);
        return NULL;
    }
    if (check_hash
        && XXH64(map + off + REC_HEAD, (size_t) n, 0) != le_get64(map + off + 8))
    {
        say(msg, msglen, "corrupt: profile %zu checksum mismatch", i);
        return NULL;
    }
    *len = (size_t) n;
    return map + off + REC_HEAD;
}


/*
 * Version 3: whether the group at `off`, `size` bytes in the file, holds
 * exactly the profiles whose table entries name it: first .. first + n - 1
 * name off, the one before does not, and the next group (or the end of
 * the section) follows it with no gap.  The table is non-decreasing
 * (checked at open), so that makes the run exact.
 */
static int
group_fits(const snap_view_t *v, uint64_t off, uint64_t first, uint32_t n,
    uint64_t size)
{
    uint64_t  end;

    if (first >= v->count || n > v->count - first
        || le_get64(v->table + first * 8) != off
        || le_get64(v->table + (first + n - 1) * 8) != off
        || (first > 0 && le_get64(v->table + (first - 1) * 8) == off))
    {
        return 0;
    }
    end = first + n < v->count ? le_get64(v->table + (first + n) * 8)
                               : v->prof_end;
    return end > off && end - off == size;
}


/*
 * Version 3: profile i through cur, loading its group unless cur holds it
 * (serial: the file's).  NULL with a message, errno EBADMSG or ENOMEM.
 */
static const unsigned char *
snap_grouped(const unsigned char *map, const snap_view_t *v, uint64_t serial,
    size_t i, spoor_snap_cursor_t *cur, size_t *len, char *msg,
    size_t msglen)
{
    uint64_t  off, first, size;
    uint32_t  n;

    off = le_get64(v->table + i * 8);
    if (cur->serial != serial || cur->off != off) {
        cur->serial = 0;
        if (snap_group_head(map + off, v->prof_end - off, &first, &n, &size,
                            msg, msglen) != 0)
        {
            errno = EBADMSG;
            return NULL;
        }
        if (!group_fits(v, off, first, n, size)) {
            say(msg, msglen, "corrupt: the record group of profile %zu does "
                "not hold what the table says", i);
            errno = EBADMSG;
            return NULL;
        }
        if (snap_group_load(map + off, v->prof_end - off, cur, msg, msglen)
            != 0)
        {
            errno = errno == ENOMEM ? ENOMEM : EBADMSG;
            return NULL;
        }
        cur->serial = serial;
        cur->off = off;
    }
    return snap_group_record(cur, (uint32_t) (i - cur->first), len);
}


static int
all_zero(const unsigned char *p, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (p[i] != 0) {
            return 0;
        }
    }
    return 1;
}


/*
 * Version 2, for verify: the padding before the slots, their checksum,
 * every distinct index hash found with its first profile, one summary per
 * profile, then the table rebuilt as the writer builds it (from the index
 * and those summaries) equal to the file's, longest probe included.
 */
static int
snap_check_slots(const unsigned char *map, const snap_view_t *v,
    char *msg, size_t msglen)
{
    const unsigned char  *p;
    unsigned char        *tab = NULL;
    uint64_t             *first, hash, n, probe = 0, idx_end, line;
    size_t                i, prof, size = (size_t) v->h.slots_size;
    int                   rc = SPOOR_E_FORMAT;

    idx_end = v->h.index_off + v->h.index_size;
    if (!all_zero(map + idx_end, (size_t) (v->h.slots_off - idx_end))) {
        say(msg, msglen, "corrupt: padding before the slot table is not "
            "zero");
        return SPOOR_E_FORMAT;
    }
    if (XXH64(v->slots, size, 0) != v->h.slots_hash) {
        say(msg, msglen, "corrupt: slot table checksum mismatch");
        return SPOOR_E_FORMAT;
    }

    /* first[p]: the slot section offset of profile p's first slot */
    first = malloc((v->count + 1) * sizeof(*first));
    tab = malloc(size);
    if (first == NULL || tab == NULL) {
        say(msg, msglen, "out of memory");
        rc = SPOOR_E_NOMEM;
        goto done;
    }
    memset(first, 0xff, (v->count + 1) * sizeof(*first));

    for (i = 0; i < v->nindex; i++) {
        hash = le_get64(v->index + i * ENTRY);
        if (i > 0 && hash == le_get64(v->index + (i - 1) * ENTRY)) {
            continue;
        }
        prof = (size_t) le_get64(v->index + i * ENTRY + 8);
        p = slot_find(v, hash);
        if (p == NULL || le_get32(p + 8) != prof) {
            say(msg, msglen, "corrupt: id hash %016" PRIx64 " is not in the "
                "slot table with profile %zu", hash, prof);
            goto done;
        }
        if (first[prof] == UINT64_MAX) {
            first[prof] = (uint64_t) (p - v->slots);
        } else if (memcmp(v->slots + first[prof] + SLOT_HEAD, p + SLOT_HEAD,
                          v->sum) != 0)
        {
            say(msg, msglen, "corrupt: the slots of profile %zu hold "
                "different summaries", prof);
            goto done;
        }
    }

    slots_init(tab, v->lines, v->slot_size);
    for (i = 0; i < v->nindex; i++) {
        hash = le_get64(v->index + i * ENTRY);
        if (i > 0 && hash == le_get64(v->index + (i - 1) * ENTRY)) {
            continue;
        }
        prof = (size_t) le_get64(v->index + i * ENTRY + 8);
        n = slot_insert(tab, v->lines, v->slot_size, hash, (uint32_t) prof,
                        v->slots + first[prof] + SLOT_HEAD);
        probe = n > probe ? n : probe;      /* n > 0: lines checked */
    }
    if ((probe ? probe : 1) != v->probe_max) {
        say(msg, msglen, "corrupt: slot probe_max %" PRIu64 ", the longest "
            "probe is %" PRIu64, v->probe_max, probe ? probe : 1);
        goto done;
    }
    for (line = 0; line < v->lines; line++) {
        if (memcmp(tab + line * LINE, v->slots + line * LINE, LINE) != 0) {
            say(msg, msglen, "corrupt: slot table line %" PRIu64 " is not "
                "what the index gives", line);
            goto done;
        }
    }
    rc = SPOOR_OK;

done:
    free(tab);
    free(first);
    return rc;
}


/* Version 3, for verify: every group, one after the other, read and
 * checked whole (snap_grouped) when `frames`, else its head against the
 * table and its frame's checksum; and its padding. */
static int
snap_check_groups(const unsigned char *map, const snap_view_t *v, int frames,
    char *msg, size_t msglen)
{
    spoor_snap_cursor_t  cur = SPOOR_SNAP_CURSOR_INIT;
    uint64_t             off, csize, size;
    size_t               i, len;
    int                  rc = SPOOR_OK;

    for (i = 0; i < v->count; i = cur.first + cur.n) {
        if (!frames) {
            off = le_get64(v->table + i * 8);
            if (snap_group_head(map + off, v->prof_end - off, &cur.first,
                                &cur.n, &size, msg, msglen) != 0)
            {
                rc = SPOOR_E_FORMAT;
                break;
            }
            if (!group_fits(v, off, cur.first, cur.n, size)
                || XXH64(map + off + SNAP_GROUP_HEAD,
                         (size_t) le_get64(map + off), 0)
                   != le_get64(map + off + 8))
            {
                say(msg, msglen, "corrupt: the record group of profile %zu "
                    "does not hold what the table says, or its checksum "
                    "does not match", i);
                rc = SPOOR_E_FORMAT;
                break;
            }
            cur.off = off;
        /* a serial no open file has: every group is loaded afresh */
        } else if (snap_grouped(map, v, UINT64_MAX, i, &cur, &len, msg,
                                msglen) == NULL)
        {
            rc = errno == ENOMEM ? SPOOR_E_NOMEM : SPOOR_E_FORMAT;
            break;
        }
        off = cur.off;
        csize = le_get64(map + off);
        if (!all_zero(map + off + SNAP_GROUP_HEAD + csize,
                      (size_t) (PAD8(csize) - csize)))
        {
            say(msg, msglen, "corrupt: the padding of profile %zu's record "
                "group is not zero", i);
            rc = SPOOR_E_FORMAT;
            break;
        }
    }
    spoor_snap_cursor_free(&cur);
    return rc;
}


/* What verify checks beyond snap_parse(); v is a parsed view of map;
 * frames: whether groups are decompressed (snap_check_groups). */
static int
snap_check_all(const unsigned char *map, size_t size, const snap_view_t *v,
    int frames, char *msg, size_t msglen)
{
    const unsigned char  *blob;
    unsigned char        *seen;
    size_t                i, len, idx;
    int                   rc = SPOOR_E_FORMAT;

    if (v->h.version == SPOOR_SNAP_VERSION_GROUPS) {
        rc = snap_check_groups(map, v, frames, msg, msglen);
        if (rc != SPOOR_OK) {
            return rc;
        }
        rc = SPOOR_E_FORMAT;
    }
    for (i = 0; v->h.version != SPOOR_SNAP_VERSION_GROUPS && i < v->count;
         i++)
    {
        blob = snap_record(map, v, i, 1, &len, msg, msglen);
        if (blob == NULL) {
            return SPOOR_E_FORMAT;
        }
        if (!all_zero(blob + len, (size_t) (PAD8(len) - len))) {
            say(msg, msglen, "corrupt: profile %zu padding is not zero", i);
            return SPOOR_E_FORMAT;
        }
    }
    if (!all_zero(map + v->h.meta_off + v->meta_len,
                  (size_t) (PAD8(v->meta_len) - v->meta_len)))
    {
        say(msg, msglen, "corrupt: meta padding is not zero");
        return SPOOR_E_FORMAT;
    }

    seen = calloc(v->count / 8 + 1, 1);
    if (seen == NULL) {
        say(msg, msglen, "out of memory");
        return SPOOR_E_NOMEM;
    }
    for (i = 0; i < v->nindex; i++) {
        idx = (size_t) le_get64(v->index + i * ENTRY + 8);
        seen[idx / 8] |= (unsigned char) (1u << (idx % 8));
    }
    for (i = 0; i < v->count; i++) {
        if (!(seen[i / 8] & (1u << (i % 8)))) {
            say(msg, msglen, "corrupt: profile %zu has no index entry", i);
            goto done;
        }
    }
    if (v->slots != NULL) {
        rc = snap_check_slots(map, v, msg, msglen);
        if (rc != SPOOR_OK) {
            goto done;
        }
        rc = SPOOR_E_FORMAT;
    }

    if (XXH64(map, size - 16, 0) != le_get64(map + size - 16)) {
        say(msg, msglen, "corrupt: file checksum mismatch");
        goto done;
    }
    rc = SPOOR_OK;

done:
    free(seen);
    return rc;
}


/* ---- reader ------------------------------------------------------------- */

static void
report(char *err, size_t errlen, const char *path, const char *msg)
{
    if (err != NULL && errlen > 0) {
        snprintf(err, errlen, "%s: %s", path, msg);
    }
}


spoor_snap_t *
spoor_snap_open(const char *path, char *err, size_t errlen)
{
    spoor_snap_t  *s;
    struct stat    st;
    void          *map;
    size_t         size;
    char           msg[256];
    int            fd, e;

    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        e = errno;
        report(err, errlen, path, strerror(e));
        errno = e;
        return NULL;
    }
    if (fstat(fd, &st) != 0) {
        e = errno;
        close(fd);
        report(err, errlen, path, strerror(e));
        errno = e;
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        report(err, errlen, path, "not a regular file");
        errno = EINVAL;
        return NULL;
    }
    if ((uint64_t) st.st_size > SIZE_MAX || st.st_size < HDR + TRL) {
        close(fd);
        say(msg, sizeof(msg), "truncated: %jd bytes, smaller than a "
            "snapshot's header and trailer", (intmax_t) st.st_size);
        report(err, errlen, path, msg);
        errno = EBADMSG;
        return NULL;
    }
    size = (size_t) st.st_size;

    map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    e = errno;
    close(fd);
    if (map == MAP_FAILED) {
        report(err, errlen, path, strerror(e));
        errno = e;
        return NULL;
    }

    s = malloc(sizeof(*s) + strlen(path) + 1);
    if (s == NULL) {
        munmap(map, size);
        report(err, errlen, path, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    s->map = map;
    s->size = size;
    s->serial = atomic_fetch_add(&snap_serial, 1) + 1;
    s->dir = NULL;
    s->dir_bits = 0;
    s->dir_part = NULL;
    s->dir_i = 0;
    s->dir_next = 0;
    strcpy(s->path, path);

    if (snap_parse(s->map, s->size, &s->v, msg, sizeof(msg)) != 0) {
        report(err, errlen, path, msg);
        spoor_snap_close(s);
        errno = EBADMSG;
        return NULL;
    }
    return s;
}


void
spoor_snap_close(spoor_snap_t *s)
{
    if (s == NULL) {
        return;
    }
    munmap((void *) s->map, s->size);
    free(s->dir);
    free(s->dir_part);
    free(s);
}


static int
snap_verify(const spoor_snap_t *s, int frames, char *err, size_t errlen)
{
    snap_view_t  v;
    char         msg[256];
    int          rc;

    if (snap_parse(s->map, s->size, &v, msg, sizeof(msg)) != 0) {
        report(err, errlen, s->path, msg);
        return SPOOR_E_FORMAT;
    }
    rc = snap_check_all(s->map, s->size, &v, frames, msg, sizeof(msg));
    if (rc != SPOOR_OK) {
        report(err, errlen, s->path, msg);
    }
    return rc;
}


int
spoor_snap_verify(const spoor_snap_t *s, char *err, size_t errlen)
{
    return snap_verify(s, 1, err, errlen);
}


int
spoor_snap_verify_stored(const spoor_snap_t *s, char *err, size_t errlen)
{
    return snap_verify(s, 0, err, errlen);
}


size_t
spoor_snap_count(const spoor_snap_t *s)
{
    return s->v.count;
}


const unsigned char *
spoor_snap_get(const spoor_snap_t *s, size_t i, size_t *len,
    spoor_snap_cursor_t *cur)
{
    const unsigned char  *blob;
    size_t                n = 0;
    char                  msg[1];

    if (i >= s->v.count
        || (s->v.h.version == SPOOR_SNAP_VERSION_GROUPS && cur == NULL))
    {
        errno = EINVAL;
        blob = NULL;
    } else if (s->v.h.version == SPOOR_SNAP_VERSION_GROUPS) {
        blob = snap_grouped(s->map, &s->v, s->serial, i, cur, &n, msg,
                            sizeof(msg));
    } else {
        blob = snap_record(s->map, &s->v, i, 1, &n, msg, sizeof(msg));
        if (blob == NULL) {
            errno = EBADMSG;
        }
    }
    if (blob == NULL) {
        n = 0;
    }
    if (len != NULL) {
        *len = n;
    }
    return blob;
}


const unsigned char *
spoor_snap_profile(const spoor_snap_t *s, size_t i, size_t *len)
{
    return spoor_snap_get(s, i, len, NULL);
}


void
spoor_snap_cursor_free(spoor_snap_cursor_t *cur)
{
    if (cur == NULL) {
        return;
    }
    free(cur->raw);
    ZSTD_freeDCtx(cur->dctx);
    memset(cur, 0, sizeof(*cur));
}


uint32_t
spoor_snap_version(const spoor_snap_t *s)
{
    return s->v.h.version;
}


size_t
spoor_snap_summary_size(const spoor_snap_t *s)
{
    return s->v.sum;
}


uint64_t
spoor_snap_file_size(const spoor_snap_t *s)
{
    return s->size;
}


uint64_t
spoor_snap_file_sum(const spoor_snap_t *s)
{
    return le_get64(s->map + s->size - TRL + T_HASH);
}


int
spoor_snap_peek_flags(const char *path, uint32_t *flags)
{
    unsigned char  h[HDR2];
    uint32_t       version;
    size_t         hdr;
    ssize_t        n;
    int            fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return SPOOR_E_IO;
    }
    n = pread(fd, h, sizeof(h), 0);
    (void) close(fd);
    if (n < (ssize_t) HDR || memcmp(h + H_MAGIC, SNAP_MAGIC, 8) != 0) {
        return SPOOR_E_FORMAT;
    }
    version = le_get32(h + H_VERSION);
    if (!version_known(version)) {
        return SPOOR_E_FORMAT;
    }
    hdr = header_size(version);
    if ((size_t) n < hdr || XXH64(h, hdr - 8, 0) != le_get64(h + hdr - 8)) {
        return SPOOR_E_FORMAT;
    }
    *flags = le_get32(h + H_FLAGS);
    return SPOOR_OK;
}


uint32_t
spoor_snap_flags(const spoor_snap_t *s)
{
    return s->v.h.flags;
}


const unsigned char *
spoor_snap_slot(const spoor_snap_t *s, uint64_t h, size_t *profile)
{
    const unsigned char  *p;

    p = s->v.slots != NULL ? slot_find(&s->v, h) : NULL;
    if (profile != NULL) {
        *profile = p != NULL ? (size_t) le_get32(p + 8) : SIZE_MAX;
    }
    return p != NULL ? p + SLOT_HEAD : NULL;
}


void
spoor_snap_slot_prefetch(const spoor_snap_t *s, uint64_t h)
{
    if (s->v.slots != NULL) {
        __builtin_prefetch(s->v.slots
                           + (size_t) (h & (s->v.lines - 1)) * SPOOR_SNAP_LINE);
    }
}


const unsigned char *
spoor_snap_meta(const spoor_snap_t *s, size_t *len)
{
    if (len != NULL) {
        *len = s->v.meta_len;
    }
    return s->v.meta;
}


/*
 * The first index entry whose hash is >= h (nindex when none).  Id hashes
 * are XXH64 values, spread evenly, so a few interpolation probes land
 * next to the entry; they are capped, and a binary search finishes, so
 * hashes bunched on purpose cost O(log n) at worst, never O(n).
 * Invariant: every entry before lo is < h, every entry from hi on is >= h.
 */
static size_t
snap_lower_bound(const unsigned char *ix, size_t n, uint64_t h)
{
    size_t    lo = 0, hi = n, mid, probe;


    uint64_t  lo_h, hi_h, k;
    double    frac;

    for (probe = 0; probe < 4 && hi - lo > 16; probe++) {
        lo_h = lo > 0 ? le_get64(ix + (lo - 1) * ENTRY) : 0;
        hi_h = hi < n ? le_get64(ix + hi * ENTRY) : UINT64_MAX;
        frac = hi_h > lo_h ? (double) (h - lo_h) / (double) (hi_h - lo_h)
                           : 0.0;
        mid = lo + (size_t) (frac * (double) (hi - lo));
        if (mid >= hi) {
            mid = hi - 1;
        }
        k = le_get64(ix + mid * ENTRY);
        if (k < h) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (le_get64(ix + mid * ENTRY) < h) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}


/* With the directory: the first entry >= h lies in h's bucket or, when
 * the bucket holds none that large, is the next bucket's first. */
static size_t
snap_dir_lower_bound(const spoor_snap_t *s, uint64_t h)
{
    const unsigned char  *ix = s->v.index;
    size_t                lo, hi, mid;
    uint64_t              b = h >> (64 - s->dir_bits);

    lo = s->dir[b];
    hi = s->dir[b + 1];
    while (hi - lo > 8) {                 /* a crowded bucket */
        mid = lo + (hi - lo) / 2;
        if (le_get64(ix + mid * ENTRY) < h) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    while (lo < hi && le_get64(ix + lo * ENTRY) < h) {
        lo++;
    }
    return lo;
}


static size_t
snap_first_entry(const spoor_snap_t *s, uint64_t h)
{
    return s->dir ? snap_dir_lower_bound(s, h)
                  : snap_lower_bound(s->v.index, s->v.nindex, h);
}


int
spoor_snap_index_dir_step(spoor_snap_t *s, size_t entries, int *done)
{
    unsigned   bits = 1;
    size_t     end;
    uint64_t   b, slots;

    *done = 0;
    if (s->dir != NULL || s->v.nindex == 0) {
        *done = 1;
        return SPOOR_OK;
    }
    if (s->v.nindex >= UINT32_MAX) {
        return SPOOR_E_INVAL;
    }
    if (s->dir_part == NULL) {
        /* about two entries a bucket, 2^24 buckets at most (64 MiB) */
        while (bits < 24 && ((size_t) 1 << (bits + 1)) <= s->v.nindex) {
            bits++;
        }
        s->dir_part = malloc((((size_t) 1 << bits) + 1) * sizeof(uint32_t));
        if (s->dir_part == NULL) {
            return SPOOR_E_NOMEM;
        }
        s->dir_bits = bits;
        s->dir_i = 0;
        s->dir_next = 0;
    }
    slots = ((uint64_t) 1 << s->dir_bits) + 1;

    /* dir[b] = the first entry whose bucket is b or later */
    end = entries == 0 || s->v.nindex - s->dir_i < entries
          ? s->v.nindex : s->dir_i + entries;
    for ( /* void */ ; s->dir_i < end; s->dir_i++) {
        b = le_get64(s->v.index + s->dir_i * ENTRY) >> (64 - s->dir_bits);
        while (s->dir_next <= b) {
            s->dir_part[s->dir_next++] = (uint32_t) s->dir_i;
        }
    }
    if (s->dir_i < s->v.nindex) {
        return SPOOR_OK;
    }
    while (s->dir_next < slots) {
        s->dir_part[s->dir_next++] = (uint32_t) s->v.nindex;
    }
    s->dir = s->dir_part;
    s->dir_part = NULL;
    *done = 1;
    return SPOOR_OK;
}


int
spoor_snap_index_dir(spoor_snap_t *s)
{
    int  done;

    return spoor_snap_index_dir_step(s, 0, &done);
}


size_t
spoor_snap_find(const spoor_snap_t *s, uint64_t h,
    void (*fn)(void *arg, size_t i), void *arg)
{
    const unsigned char  *ix = s->v.index;
    size_t                lo, found = 0;
    uint64_t              idx;

    lo = snap_first_entry(s, h);
    for ( /* void */ ; lo < s->v.nindex && le_get64(ix + lo * ENTRY) == h; lo++)
    {
        idx = le_get64(ix + lo * ENTRY + 8);
        if (idx < s->v.count) {     /* checked at open; kept cheap & safe */
            if (fn != NULL) {
                fn(arg, (size_t) idx);
            }
            found++;
        }
    }
    return found;
}


size_t
spoor_snap_first(const spoor_snap_t *s, uint64_t h)
{
    const unsigned char  *ix = s->v.index;
    size_t                lo;
    uint64_t              idx;

    lo = snap_first_entry(s, h);
    for ( /* void */ ; lo < s->v.nindex && le_get64(ix + lo * ENTRY) == h; lo++)
    {
        idx = le_get64(ix + lo * ENTRY + 8);
        if (idx < s->v.count) {
            return (size_t) idx;
        }
    }
    return SIZE_MAX;
}


size_t
spoor_snap_index_count(const spoor_snap_t *s)
{
    return s->v.nindex;
}


uint64_t
spoor_snap_index_entry(const spoor_snap_t *s, size_t k, size_t *profile)
{
    const unsigned char  *e = s->v.index + k * ENTRY;

    if (profile != NULL) {
        *profile = (size_t) le_get64(e + 8);
    }
    return le_get64(e);
}


/* ---- the whole-file checksum, a step at a time ---------------------------- */

struct spoor_snap_hashing_s {
    const spoor_snap_t  *s;
    XXH64_state_t       *st;
    size_t               pos;       /* bytes hashed so far */
    size_t               end;       /* size - 16: what the trailer covers */
};


spoor_snap_hashing_t *
spoor_snap_hash_start(const spoor_snap_t *s)
{
    spoor_snap_hashing_t  *hs;

    hs = malloc(sizeof(*hs));
    if (hs == NULL) {
        return NULL;
    }
    hs->st = XXH64_createState();
    if (hs->st == NULL || XXH64_reset(hs->st, 0) != XXH_OK) {
        XXH64_freeState(hs->st);
        free(hs);
        return NULL;
    }
    hs->s = s;
    hs->pos = 0;
    hs->end = s->size - 16;        /* open checked size >= header+trailer */
    return hs;
}


int
spoor_snap_hash_step(spoor_snap_hashing_t *hs, size_t bytes, int *done,
    char *err, size_t errlen)
{
    size_t  n;

    *done = 0;
    n = hs->end - hs->pos;
    if (bytes != 0 && n > bytes) {
        n = bytes;
    }
    if (n > 0 && XXH64_update(hs->st, hs->s->map + hs->pos, n) != XXH_OK) {
        report(err, errlen, hs->s->path, "cannot compute the file checksum");
        return SPOOR_E_NOMEM;
    }
    hs->pos += n;
    if (hs->pos < hs->end) {
        return SPOOR_OK;
    }
    *done = 1;
    if (XXH64_digest(hs->st) != le_get64(hs->s->map + hs->end)) {
        report(err, errlen, hs->s->path, "corrupt: file checksum mismatch");
        return SPOOR_E_FORMAT;
    }
    return SPOOR_OK;
}


void
spoor_snap_hash_free(spoor_snap_hashing_t *hs)
{
    if (hs != NULL) {
        XXH64_freeState(hs->st);
        free(hs);
    }
}
