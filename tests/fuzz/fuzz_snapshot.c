/*
 * fuzz_snapshot.c -- libFuzzer target: any bytes as a profile snapshot
 * file, read the way the analyzer's read side reads one.
 *
 * The bytes are written to a memfd (spoor_snap_open takes a path: it is
 * opened as /proc/self/fd/N) and read with spoor_snap_open, then
 * spoor_snap_verify (and spoor_snap_verify_stored, never stricter),
 * spoor_snap_meta (the meta blob is unpacked and
 * written as JSON), every profile with spoor_snap_get (a version 3 file's
 * record groups through a cursor, in order and backwards) and the blob
 * decode of state.c and cmd_query.c (msgpack, "ids", "state" ->
 * profile_unpack, profile_json as `spoor export` prints it), and
 * spoor_snap_find with the hash of every id a blob names and a few more
 * (and, on a version 2 file, spoor_snap_slot with each of them);
 * and the way the NGINX module reads one: the whole-file checksum in
 * steps (spoor_snap_hash_step), every blob's served fields in place
 * (profile_view.h: segments, every trait as text) and
 * spoor_profile_lookup by every id a blob names.
 *
 * Checks beyond "no crash, no leak, no sanitizer report":
 *   - a file that verifies has every profile readable;
 *   - find reports only existing profiles, in increasing order, and
 *     spoor_snap_first the first of them;
 *   - spoor_snap_slot finds nothing without a slot table, only existing
 *     profiles with one, and on a file that verifies exactly what
 *     spoor_snap_first finds (its summary bytes are read, for ASan);
 *   - the stepwise checksum passes on every file that verifies;
 *   - every slice the served view gives lies inside its blob;
 *   - profile_pack of what profile_unpack read is a fixed point (packing,
 *     unpacking and packing again gives the same bytes);
 *   - profile_json writes one line of valid JSON (parsed back with
 *     yajl), and so does json_out_msgpack for the meta blob;
 *   - a delta's link to its chain (gen_chain.h), when it is accepted,
 *     names a parent below the generation and a base at most the parent;
 *     a full generation is its own base.
 *
 * Every section of a snapshot carries an XXH64, so mutated bytes rarely
 * get past open.  Each input is therefore read twice: as it is, and (when
 * that changes anything) with every checksum whose bytes lie inside the
 * file recomputed -- records, table, index, meta, slots, header, whole
 * file --
 * so that mutations reach the layout checks and the blob decoders.  The
 * bytes are also decoded once as a bare profile blob.  The layout
 * constants below are docs/FORMAT.md's ("Profile snapshots").
 */
#define _GNU_SOURCE                 /* memfd_create */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <msgpack.h>
#include <xxhash.h>
#include <yajl/yajl_parse.h>
#include "error.h"
#include "json_out.h"
#include "snap_group.h"
#include "mp_check.h"
#include "mp_member.h"
#include "mp_read.h"
#include "profile.h"
#include "profile_json.h"
#include "profile_lookup.h"
#include "profile_view.h"
#include "gen_chain.h"
#include "snapshot.h"

#define HDR          SPOOR_SNAP_HEADER_SIZE
#define TRL          SPOOR_SNAP_TRAILER_SIZE
#define H_COUNT      24
#define H_TABLE_OFF  48
#define H_TABLE_SIZE 56
#define H_INDEX_OFF  72
#define H_INDEX_SIZE 80
#define H_META_OFF   88
#define H_META_SIZE  96
#define H_TABLE_HASH 104
#define H_INDEX_HASH 112
#define H_META_HASH  120
#define H_HASH       128
#define HDR2         SPOOR_SNAP_HEADER_SIZE_SLOTS    /* version 2 */
#define H_SLOTS_OFF  128
#define H_SLOTS_SIZE 136
#define H_SLOTS_HASH 168
#define H_HASH2      176
#define REC_HEAD     16
#define FIND_MAX     64             /* id hashes looked up per input */

static int   memfd = -1;
static char  path[64];
static int   verified;              /* the snapshot being read verified */
static spoor_profile_serve_t  serve; /* its serving meta, when it reads */
static int   serving;               /* serve holds it */
uint64_t     slot_sink;             /* summaries read (kept: not static) */

typedef struct {
    size_t   count;
    size_t   last;
    size_t   calls;
    size_t   first;
} found_t;

/* JSON output: lines written to a memory stream, checked as they come. */
typedef struct {
    json_out_t   j;
    FILE        *f;
    char        *buf;
    size_t       len;
    size_t       checked;           /* bytes of buf already parsed */
} out_t;


static uint64_t
get64(const unsigned char *p)
{
    uint64_t  v;

    memcpy(&v, p, 8);
    return le64toh(v);
}


static uint32_t
get32(const unsigned char *p)
{
    uint32_t  v;

    memcpy(&v, p, 4);
    return le32toh(v);
}


static void
put64(unsigned char *p, uint64_t v)
{
    v = htole64(v);
    memcpy(p, &v, 8);
}


/* [off, off + len) lies inside a file of size bytes. */
static int
inside(uint64_t off, uint64_t len, size_t size)
{
    return off <= size && len <= size - off;
}


/* Recomputes every checksum of b whose bytes are inside the file. */
static void
fix_checksums(unsigned char *b, size_t size)
{
    uint64_t  count, toff, tsize, ioff, isize, moff, msize, o, n, i;

    if (size < HDR + TRL) {
        return;
    }
    count = get64(b + H_COUNT);
    toff = get64(b + H_TABLE_OFF);
    tsize = get64(b + H_TABLE_SIZE);
    ioff = get64(b + H_INDEX_OFF);
    isize = get64(b + H_INDEX_SIZE);
    moff = get64(b + H_META_OFF);
    msize = get64(b + H_META_SIZE);

    if (inside(toff, tsize, size)) {
        for (i = 0; i < count && i < tsize / 8; i++) {
            o = get64(b + toff + 8 * i);
            if (get32(b + 8) == SPOOR_SNAP_VERSION_GROUPS) {
                /* a record group: u64 csize, u64 XXH64 of the frame */
                if (inside(o, SNAP_GROUP_HEAD, size)) {
                    n = get64(b + o);
                    if (inside(o + SNAP_GROUP_HEAD, n, size)) {
                        put64(b + o + 8, XXH64(b + o + SNAP_GROUP_HEAD, n,
                                               0));
                    }
                }
            } else if (inside(o, REC_HEAD, size)) {
                n = get64(b + o);
                if (inside(o + REC_HEAD, n, size)) {
                    put64(b + o + 8, XXH64(b + o + REC_HEAD, n, 0));
                }
            }
        }
        put64(b + H_TABLE_HASH, XXH64(b + toff, tsize, 0));
    }
    if (inside(ioff, isize, size)) {
        put64(b + H_INDEX_HASH, XXH64(b + ioff, isize, 0));
    }
    if (inside(moff, msize, size)) {
        put64(b + H_META_HASH, XXH64(b + moff, msize, 0));
    }
    if (get32(b + 8) == SPOOR_SNAP_VERSION_SLOTS && size >= HDR2 + TRL) {
        o = get64(b + H_SLOTS_OFF);
        n = get64(b + H_SLOTS_SIZE);
        if (inside(o, n, size)) {
            put64(b + H_SLOTS_HASH, XXH64(b + o, n, 0));
        }
        put64(b + H_HASH2, XXH64(b, H_HASH2, 0));
    } else {
        put64(b + H_HASH, XXH64(b, H_HASH, 0));
    }
    put64(b + size - 16, XXH64(b, size - 16, 0));
}


/* Ends the line being built, which must be one valid JSON value (checked
 * with yajl's parser, without building a tree). */
static void
end_line(out_t *o)
{
    yajl_handle   h;
    const char   *line;
    size_t        len;

    if (json_out_line(&o->j) != 0 || fflush(o->f) != 0
        || o->len <= o->checked || o->buf[o->len - 1] != '\n')
    {
        abort();
    }
    line = o->buf + o->checked;
    len = o->len - o->checked - 1;
    if (memchr(line, '\n', len) != NULL) {
        abort();                        /* one line per value */
    }
    h = yajl_alloc(NULL, NULL, NULL);
    if (h == NULL
        || yajl_parse(h, (const unsigned char *) line, len) != yajl_status_ok
        || yajl_complete_parse(h) != yajl_status_ok)
    {
        abort();
    }
    yajl_free(h);
    o->checked = o->len;
}


static void
on_found(void *arg, size_t i)
{
    found_t  *f = arg;

    if (i >= f->count || (f->calls > 0 && i <= f->last)) {
        abort();
    }
    if (f->calls == 0) {
        f->first = i;
    }
    f->last = i;
    f->calls++;
}


/* What the NGINX module reads of a serving view's summary: every segment
 * name (one of the meta's), the stage (one of the meta's), the scores,
 * and every trait its record names, as text. */
static void
serve_summary(const spoor_snap_t *s, const unsigned char *sum, size_t prof)
{
    spoor_profile_view_t   v;
    spoor_profile_iter_t   it;
    spoor_mp_item_t        k, val, top;
    const unsigned char   *blob, *value;
    const char            *name;
    size_t                 nlen, len, vlen, off = 0;
    uint32_t               i, j, n = 0;
    char                   text[256];

    spoor_profile_view_summary(&serve, sum, s, prof, &v);
    memset(&it, 0, sizeof(it));
    while (spoor_profile_view_segment(&v, &it, &name, &nlen)) {
        for (j = 0; j < serve.nseg; j++) {
            if (name == serve.seg[j] && nlen == serve.seg_len[j]) {
                break;
            }
        }
        if (j == serve.nseg || ++n > serve.nseg) {
            abort();                    /* a name the meta does not have */
        }
    }
    if (v.life != NULL) {
        for (j = 0; j < serve.nlife && v.life != serve.life[j]; j++) {
        }
        if (j == serve.nlife) {
            abort();
        }
    }
    if (v.rfm[0] < 0 || v.rfm[0] > 5 || v.rfm[1] < 0 || v.rfm[1] > 5
        || v.rfm[2] < 0 || v.rfm[2] > 5)
    {
        abort();
    }

    /* each name in the record, looked up as $spoor_trait_NAME would be */
    blob = spoor_snap_profile(s, prof, &len);
    if (blob == NULL || spoor_mp_read(blob, len, &off, &top) != SPOOR_OK
        || top.type != SPOOR_MP_ARRAY)
    {
        return;
    }
    for (i = 0; i + 1 < top.len && i < 2 * FIND_MAX; i += 2) {
        if (spoor_mp_read(blob, len, &off, &k) != SPOOR_OK
            || spoor_mp_read(blob, len, &off, &val) != SPOOR_OK
            || k.type != SPOOR_MP_STR)
        {
            break;
        }
        if (spoor_profile_view_trait(&v, k.s, k.len, &value, &vlen)) {
            if (value < blob || value + vlen > blob + len
                || spoor_profile_view_text(value, vlen, text, sizeof(text))
                   > sizeof(text))
            {
                abort();
            }
        }
    }
}


/* spoor_snap_slot(h), against what find found first. */
static void
slot(const spoor_snap_t *s, uint64_t h, size_t first)
{
    const unsigned char  *p;
    size_t                prof, sum;

    sum = spoor_snap_summary_size(s);
    if (sum != 0 && sum != 16 && sum != 48) {
        abort();
    }
    p = spoor_snap_slot(s, h, &prof);
    if ((p == NULL) != (prof == SIZE_MAX)
        || (p != NULL && (sum == 0 || prof >= spoor_snap_count(s)))
        || (verified && sum != 0 && prof != first))
    {
        abort();
    }
    if (p != NULL) {
        slot_sink ^= XXH64(p, sum, 0);  /* every summary byte is read */
        if (serving) {
            serve_summary(s, p, prof);
        }
    }
}


static void
find(const spoor_snap_t *s, uint64_t h)
{
    found_t  f = { spoor_snap_count(s), 0, 0, SIZE_MAX };
    size_t   n;

    n = spoor_snap_find(s, h, on_found, &f);
    if (n != f.calls || spoor_snap_find(s, h, NULL, NULL) != n
        || spoor_snap_first(s, h) != f.first)
    {
        abort();
    }
    slot(s, h, f.first);
}


/* profile_pack(profile_unpack(o)) is a fixed point of unpack + pack. */
static void
check_repack(const msgpack_object *o)
{
    profile_t         *p = NULL, *q = NULL;
    msgpack_sbuffer    a, b;
    msgpack_packer     pk;
    msgpack_unpacked   u;
    size_t             off = 0;
    intern_t           strs;

    intern_init(&strs);
    if (profile_unpack(o, &strs, &p) != SPOOR_OK) {
        if (p != NULL) {
            abort();
        }
        intern_free(&strs);
        return;
    }
    msgpack_sbuffer_init(&a);
    msgpack_sbuffer_init(&b);
    msgpack_unpacked_init(&u);
    msgpack_packer_init(&pk, &a, msgpack_sbuffer_write);
    if (profile_pack(p, &strs, &pk) != SPOOR_OK
        || msgpack_unpack_next(&u, a.data, a.size, &off)
           != MSGPACK_UNPACK_SUCCESS
        || off != a.size
        || profile_unpack(&u.data, &strs, &q) != SPOOR_OK)
    {
        abort();
    }
    msgpack_packer_init(&pk, &b, msgpack_sbuffer_write);
    if (profile_pack(q, &strs, &pk) != SPOOR_OK || a.size != b.size
        || memcmp(a.data, b.data, a.size) != 0)
    {
        abort();
    }
    profile_free(p);
    profile_free(q);
    intern_free(&strs);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&a);
    msgpack_sbuffer_destroy(&b);
}


/* What the NGINX module reads of one profile blob: every segment name and
 * the text of every trait, each slice checked to lie inside the blob. */
static void
serve_blob(const unsigned char *blob, size_t len)
{
    spoor_profile_view_t   v;
    spoor_profile_iter_t   it;
    spoor_mp_item_t        k, val;
    const unsigned char   *value;
    const char            *name;
    size_t                 nlen, vlen, off;
    uint32_t               i;
    char                   text[256];

    if (spoor_profile_view(blob, len, &v) != SPOOR_OK) {
        return;
    }
    if (v.life != NULL && ((const unsigned char *) v.life < blob
                           || (const unsigned char *) v.life + v.life_len
                              > blob + len))
    {
        abort();
    }
    memset(&it, 0, sizeof(it));
    while (spoor_profile_view_segment(&v, &it, &name, &nlen)) {
        if ((const unsigned char *) name < blob
            || (const unsigned char *) name + nlen > blob + len)
        {
            abort();
        }
    }
    /* every trait name the record holds, looked up as a variable would */
    off = v.tr;
    for (i = 0; i < v.ntr && i < FIND_MAX; i++) {
        if (spoor_mp_read(blob, len, &off, &k) != SPOOR_OK
            || spoor_mp_read(blob, len, &off, &val) != SPOOR_OK
            || k.type != SPOOR_MP_STR)
        {
            break;
        }
        if (spoor_profile_view_trait(&v, k.s, k.len, &value, &vlen)) {
            if (value < blob || value + vlen > blob + len) {
                abort();
            }
            if (spoor_profile_view_text(value, vlen, text, sizeof(text))
                > sizeof(text))
            {
                abort();
            }
        }
        /* time, source, once */
        if (spoor_mp_read(blob, len, &off, &val) != SPOOR_OK
            || spoor_mp_read(blob, len, &off, &val) != SPOOR_OK
            || spoor_mp_read(blob, len, &off, &val) != SPOOR_OK)
        {
            break;
        }
    }
}


/* What the read side does with one profile blob.  With s, also finds the
 * profiles of each id the blob names. */
static void
decode_blob(const unsigned char *blob, size_t len, const spoor_snap_t *s,
    out_t *o)
{
    msgpack_unpacked       u;
    const msgpack_object  *ids, *st, *e;
    size_t                 off = 0, n;
    uint32_t               i;
    char                   kind[2] = { 0, 0 };
    spoor_profile_chain_t  c;
    spoor_profile_view_t   view;

    serve_blob(blob, len);

    msgpack_unpacked_init(&u);
    if (spoor_mp_check(blob, len, SPOOR_MP_DEPTH_CAP, &n) == SPOOR_OK
        && msgpack_unpack_next(&u, (const char *) blob, len, &off)
           == MSGPACK_UNPACK_SUCCESS)
    {
        ids = spoor_mp_member(&u.data, "ids");
        st = spoor_mp_member(&u.data, "state");
        if (st != NULL) {
            check_repack(st);
        }
        for (i = 0; s != NULL && ids != NULL
                    && ids->type == MSGPACK_OBJECT_ARRAY
                    && i < ids->via.array.size && i < FIND_MAX; i++)
        {
            e = &ids->via.array.ptr[i];
            if (e->type == MSGPACK_OBJECT_ARRAY && e->via.array.size == 2
                && e->via.array.ptr[0].type == MSGPACK_OBJECT_STR
                && e->via.array.ptr[0].via.str.size == 1
                && e->via.array.ptr[1].type == MSGPACK_OBJECT_STR)
            {
                kind[0] = e->via.array.ptr[0].via.str.ptr[0];
                find(s, spoor_id_hash(kind, e->via.array.ptr[1].via.str.ptr,
                                      e->via.array.ptr[1].via.str.size));
                memset(&c, 0, sizeof(c));
                c.file[0] = s;
                c.n = 1;
                (void) spoor_profile_lookup(&c, NULL, kind[0],
                                            e->via.array.ptr[1].via.str.ptr,
                                            e->via.array.ptr[1].via.str.size,
                                            NULL, &view);
            }
        }
    }
    msgpack_unpacked_destroy(&u);

    if (profile_json(&o->j, blob, len) == SPOOR_OK) {
        end_line(o);
    }
}


static void
read_snapshot(const uint8_t *data, size_t size, out_t *o)
{
    spoor_snap_t          *s;
    spoor_snap_cursor_t    cur = SPOOR_SNAP_CURSOR_INIT,
                           cur2 = SPOOR_SNAP_CURSOR_INIT;
    const unsigned char   *meta, *blob, *back;
    msgpack_unpacked       u;
    char                   err[512];
    size_t                 i, n, len, len2, off = 0;
    int                    rc, hrc, done, grouped;
    uint64_t               version, ioff, isize;
    spoor_snap_hashing_t  *hs;

    if (ftruncate(memfd, 0) != 0
        || (size > 0 && pwrite(memfd, data, size, 0) != (ssize_t) size))
    {
        abort();
    }
    s = spoor_snap_open(path, err, sizeof(err));
    if (s == NULL) {
        if (err[0] == '\0' || errno == 0) {
            abort();
        }
        return;
    }

    rc = spoor_snap_verify(s, err, sizeof(err));
    if (rc != SPOOR_OK && rc != SPOOR_E_FORMAT && rc != SPOOR_E_NOMEM) {
        abort();
    }
    verified = rc == SPOOR_OK;
    /* the check without the groups' contents: never stricter */
    hrc = spoor_snap_verify_stored(s, err, sizeof(err));
    if ((hrc != SPOOR_OK && hrc != SPOOR_E_FORMAT && hrc != SPOOR_E_NOMEM)
        || (verified && hrc != SPOOR_OK))
    {
        abort();
    }

    hs = spoor_snap_hash_start(s);
    if (hs != NULL) {
        do {
            hrc = spoor_snap_hash_step(hs, 4096, &done, err, sizeof(err));
        } while (!done && hrc == SPOOR_OK);
        if (rc == SPOOR_OK && hrc != SPOOR_OK) {
            abort();                    /* verified, yet refused in steps */
        }
        spoor_snap_hash_free(hs);
    }

    meta = spoor_snap_meta(s, &len);
    if ((meta == NULL) != (len == 0) || len > SPOOR_SNAP_META_MAX) {
        abort();
    }
    /* a serving view, read as the module reads one */
    serving = spoor_profile_serve_meta(meta, len,
                                       spoor_snap_summary_size(s), &serve,
                                       &version) == SPOOR_OK;
    if (serving && (serve.nseg > SPOOR_SERVE_SEGS_MAX
                    || serve.nlife > SPOOR_SERVE_LIFE_MAX
                    || serve.sum != spoor_snap_summary_size(s)
                    || (serve.key_id != NULL
                        && ((const unsigned char *) serve.key_id < meta
                            || (const unsigned char *) serve.key_id
                               + SPOOR_SERVE_KEY_ID_LEN > meta + len))))
    {
        abort();
    }
    /* a delta's link to its chain, read as the module and the analyzer
     * read it (gen_chain.h): what it says holds */
    {
        uint32_t  parent, base, g;
        char      why[256];

        for (g = 1; g < 4; g++) {
            if (spoor_chain_check(s, g, &parent, &base, why, sizeof(why))
                == SPOOR_OK
                && (spoor_snap_flags(s) & SPOOR_SNAP_DELTA
                    ? parent >= g || base > parent || base == 0
                    : parent != 0 || base != g))
            {
                abort();
            }
        }
        if (spoor_chain_link(meta, len, &parent, &base) == SPOOR_OK
            && (base == 0 || base > parent))
        {
            abort();
        }
    }
    msgpack_unpacked_init(&u);
    if (meta != NULL
        && spoor_mp_check(meta, len, SPOOR_MP_DEPTH_CAP, &n) == SPOOR_OK
        && msgpack_unpack_next(&u, (const char *) meta, len, &off)
           == MSGPACK_UNPACK_SUCCESS)
    {
        json_out_msgpack(&o->j, &u.data);
        end_line(o);
    }
    msgpack_unpacked_destroy(&u);

    n = spoor_snap_count(s);
    grouped = spoor_snap_version(s) == SPOOR_SNAP_VERSION_GROUPS;
    for (i = 0; i < n; i++) {
        blob = spoor_snap_get(s, i, &len, &cur);
        if (blob == NULL) {
            if (rc == SPOOR_OK || len != 0) {
                abort();                /* verified, yet unreadable */
            }
            continue;
        }
        if (len == 0 || len > SPOOR_SNAP_BLOB_MAX
            || (spoor_snap_profile(s, i, &len2) == NULL) != grouped)
        {
            abort();
        }
        decode_blob(blob, len, s, o);
    }
    /* backwards, as a lookup reads: the same bytes as in order */
    for (i = n; grouped && i-- > 0 && n - i <= FIND_MAX;) {
        blob = spoor_snap_get(s, i, &len, &cur);
        back = spoor_snap_get(s, i, &len2, &cur2);
        if ((blob == NULL) != (back == NULL) || len != len2
            || (blob != NULL && memcmp(blob, back, len) != 0))
        {
            abort();
        }
    }
    if (spoor_snap_profile(s, n, &len) != NULL || len != 0
        || spoor_snap_get(s, n, &len, &cur) != NULL || len != 0)
    {
        abort();
    }
    spoor_snap_cursor_free(&cur2);

    find(s, 0);
    find(s, UINT64_MAX);
    find(s, spoor_id_hash("u", "user-1", 6));
    if (size >= 8) {
        find(s, get64(data + size - 8));
    }
    /* the first ids of the index itself (a serving view's records name
     * none): open has checked where it lies */
    ioff = get64(data + H_INDEX_OFF);
    isize = get64(data + H_INDEX_SIZE);
    for (i = 0; i < FIND_MAX && i < isize / 16; i++) {
        find(s, get64(data + ioff + 16 * i));
    }
    /* a fleet edge's keyed lookup (serve_key.h), as the module makes it */
    if (serving) {
        static spoor_keyed_t   *fleet;
        spoor_profile_chain_t   c;
        spoor_profile_view_t    view;

        if (fleet == NULL) {
            fleet = spoor_keyed_new((const unsigned char *)
                                    "fuzz-fleet-key-fuzz-fleet-key-fuzz", 34);
        }
        memset(&c, 0, sizeof(c));
        c.file[0] = s;
        c.n = 1;
        c.index_key = fleet;
        if (spoor_profile_lookup(&c, &serve, 'v', "AAAAAAAAAAAAAAAAAAAAAQ",
                                 22, NULL, &view)
            && view.snap != s)
        {
            abort();
        }
    }
    serving = 0;                        /* serve points into the mapping */
    spoor_snap_cursor_free(&cur);
    spoor_snap_close(s);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char  *fixed;
    out_t           o = { .buf = NULL, .len = 0, .checked = 0 };

    if (memfd < 0) {
        memfd = memfd_create("fuzz_snapshot", MFD_CLOEXEC);
        if (memfd < 0) {
            abort();
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
    }
    o.f = open_memstream(&o.buf, &o.len);
    if (o.f == NULL || json_out_init(&o.j, o.f) != 0) {
        abort();
    }

    read_snapshot(data, size, &o);

    if (size >= HDR + TRL) {
        fixed = malloc(size);
        if (fixed == NULL) {
            abort();
        }
        memcpy(fixed, data, size);
        fix_checksums(fixed, size);
        if (memcmp(fixed, data, size) != 0) {
            read_snapshot(fixed, size, &o);
        }
        free(fixed);
    }

    decode_blob(data, size, NULL, &o);

    json_out_free(&o.j);
    fclose(o.f);
    free(o.buf);
    return 0;
}
