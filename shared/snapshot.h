/*
 * snapshot.h -- the profile snapshot file: user profiles (opaque msgpack
 * blobs) with an index from id hash to profile, written once, then
 * mapped read-only and searched in place.
 *
 * File layout (byte by byte in docs/FORMAT.md, "Profile snapshots"); every
 * integer is little-endian, every section starts on an 8-byte boundary and
 * every padding byte is 0:
 *
 *   header    136 B (versions 1 and 3) or 184 B (version 2): magic
 *             "SPOORSNP", version, flags, file size, counts, offset and
 *             size of each section, XXH64 of the table, index and meta
 *             sections; version 2 adds the slot table's position, shape
 *             and XXH64; last, XXH64 of the header
 *   profiles  versions 1 and 2: one record per profile, in the order
 *             added: u64 len, u64 XXH64(blob), blob, zero padding to 8;
 *             version 3: the same blobs in order, compressed in groups of
 *             up to 32 consecutive ones (snap_group.h)
 *   table     u64 file offset of each profile record (profile i -> O(1));
 *             version 3: of the group that holds profile i
 *   index     (u64 id hash, u64 profile index) entries sorted by
 *             (hash, profile index), no duplicate entries
 *   slots     version 2 only: zero padding to a multiple of 64, then a
 *             hash table of 64-byte lines: per distinct id hash a slot
 *             (u64 hash, u32 first profile, u32 0, summary bytes), so a
 *             lookup usually reads one cache line (spoor_snap_slot)
 *   meta      the generation metadata blob, zero padding to 8
 *   trailer   24 B: u64 file size, u64 XXH64 of every byte before this
 *             field, magic "SPOOREND"
 *
 * The sections follow each other in exactly that order with no gap (but
 * the slots' alignment padding), so the header fixes the position of
 * everything and a reader checks each offset and size against the file
 * size before it touches the bytes.
 *
 * Invariants of a valid file, all checked by spoor_snap_verify():
 *   - every profile has a blob of 1 .. SPOOR_SNAP_BLOB_MAX bytes and at
 *     least one index entry; every index entry names a profile;
 *   - the same input gives the same bytes (no time, pid or path inside).
 *
 * Writing (spoor_snapw_*): blobs are streamed to a temporary file
 * dir/.NAME.tmp.PID through a 256 KiB buffer; the writer keeps in memory
 * 8 bytes per profile (the table), 16 bytes per id given (the index, before
 * deduplication), a copy of the meta blob and, with slots, the summary
 * bytes of each profile.  Commit sorts the index in place, appends the
 * last sections (the slot table built and written a sixteenth of it at a
 * time: 2/16 of its 43 to 171 bytes per distinct id hash in memory, all
 * of it only in the rare table whose last lines overflow into a full
 * first sixteenth), reads the slot table back for its checksum and the
 * file once for the whole-file checksum, fsyncs it, renames it over
 * dir/NAME and fsyncs dir.
 * A process killed before the rename leaves dir/NAME as it was and a stale
 * dir/.NAME.tmp.PID that nothing reads (safe to delete).
 * One writer per dir/NAME per process at a time.  Files are created with
 * mode 0640 (less the umask): profiles are personal data.
 *
 * Version 3 (spoor_snapw_groups) is version 1 with the profiles
 * compressed in groups: the state's own snapshots, read record by record
 * in order, at about 40 % of their size; serving views keep version 2,
 * whose records a lookup reads in place.
 *
 * Reading (spoor_snap_*): spoor_snap_open() maps the file and reads the
 * header, the table, the index and the meta section (8 B per profile +
 * 16 B per id: not the blobs), checking their layout and checksums.
 * Profile blobs are checked lazily: spoor_snap_get() verifies the
 * blob's XXH64 (version 3: its group's) on every call and never returns
 * bytes that fail it.
 * spoor_snap_verify() checks every byte (whole-file XXH64 included).
 * A committed file is never written again (a new one replaces it by
 * rename), so a mapping stays valid until spoor_snap_close(); do not
 * truncate or rewrite a snapshot in place while it is open (SIGBUS).
 * An open snapshot is immutable: any number of threads may read it.
 */
#ifndef SPOOR_SNAPSHOT_H
#define SPOOR_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#define SPOOR_SNAP_VERSION     1    /* without a slot table */
#define SPOOR_SNAP_VERSION_SLOTS 2  /* with a slot table */
#define SPOOR_SNAP_VERSION_GROUPS 3 /* records compressed in groups */
#define SPOOR_SNAP_BLOB_MAX    ((size_t) 64 << 20)  /* profile blob, bytes */
#define SPOOR_SNAP_META_MAX    ((size_t) 64 << 20)  /* meta blob, bytes */
#define SPOOR_SNAP_HEADER_SIZE 136  /* version 1; the smallest header */
#define SPOOR_SNAP_HEADER_SIZE_SLOTS 184    /* version 2 */
#define SPOOR_SNAP_TRAILER_SIZE 24
#define SPOOR_SNAP_LINE  64   /* bytes of a slot-table line */

/* Header flags (docs/FORMAT.md): a reader refuses a file with a flag it
 * does not know.  SPOOR_SNAP_DELTA: the file is a delta generation, which
 * holds only what changed since its parent (gen_chain.h) and is read
 * only together with its chain; a reader that does not know chains
 * refuses it instead of taking it for the whole state. */
#define SPOOR_SNAP_DELTA        0x1u
/* SPOOR_SNAP_KEYED: a serving view whose index hashes are keyed
 * (serve_key.h), the copy a fleet's edges serve; a reader that does not
 * know it would find no id in it, so it refuses it instead. */
#define SPOOR_SNAP_KEYED        0x2u
#define SPOOR_SNAP_FLAGS_KNOWN  (SPOOR_SNAP_DELTA | SPOOR_SNAP_KEYED)

typedef struct spoor_snapw_s  spoor_snapw_t;   /* a snapshot being written */
typedef struct spoor_snap_s   spoor_snap_t;    /* an open (mapped) snapshot */

/*
 * A reader's place in version 3 snapshots: the one decompressed record
 * group it holds, which spoor_snap_get() reuses while the profiles asked
 * for are in it.  Start it zeroed (SPOOR_SNAP_CURSOR_INIT), give it to
 * one thread at a time, free it with spoor_snap_cursor_free().  One cursor
 * may read any number of snapshots; it holds one group of one of them.
 * The fields are the snapshot code's own.
 */
typedef struct {
    uint64_t        serial;     /* of the open snapshot held; 0: none */
    uint64_t        off;        /* the held group's file offset */
    uint64_t        first;      /* its first profile */
    uint32_t        n;          /* its records */
    unsigned char  *raw;        /* the group decompressed */
    size_t          cap;
    void           *dctx;       /* ZSTD_DCtx, made at the first group */
} spoor_snap_cursor_t;

#define SPOOR_SNAP_CURSOR_INIT  { 0, 0, 0, 0, NULL, 0, NULL }


/*
 * The hash of one id, as stored in snapshot indexes: XXH64 (seed 0) of
 * the bytes of `kind` (a NUL-terminated string, without its NUL), one 0
 * byte, then id[0..len).  Kinds in use: "u" user id, "a" anonymous id,
 * "v" visitor id.  The kind keeps equal strings of different kinds apart.
 */
uint64_t spoor_id_hash(const char *kind, const char *id, size_t len);


/* ---- writing ------------------------------------------------------------ */

/*
 * Starts a snapshot to be committed as dir/name; the data goes to the
 * temporary file dir/.name.tmp.PID (created or truncated).  name is one
 * path component (no '/', not "", "." or "..").  Returns NULL with errno
 * set (EINVAL for a bad name, ENAMETOOLONG, ENOMEM, or open()'s errno).
 */
spoor_snapw_t *spoor_snapw_create(const char *dir, const char *name);

/*
 * Adds one profile: blob[0..len) (opaque bytes, the caller's msgpack) and
 * the hashes of the ids that find it (at least one, or none after
 * spoor_snapw_ids_later(); duplicates within one profile are fine and
 * stored once; the same hash on several profiles is allowed: find
 * returns them all).  Profiles keep the order they were
 * added; the first is profile 0.
 * Returns SPOOR_OK; SPOOR_E_INVAL (len 0 or > SPOOR_SNAP_BLOB_MAX, nids
 * 0 -- or not 0 after spoor_snapw_ids_later() --, or a profile that
 * would make the count 0xFFFFFFFF or more) or
 * SPOOR_E_NOMEM with nothing added, the writer still usable;
 * SPOOR_E_IO (errno set) when the write failed: the writer is then
 * failed, every later call returns SPOOR_E_IO and commit removes the file.
 */
int spoor_snapw_add(spoor_snapw_t *w, const unsigned char *blob, size_t len,
    const uint64_t *ids, size_t nids);

/*
 * Gives the snapshot a slot table (container version 2): for every
 * distinct id hash, a slot holding the hash, its first (lowest) profile
 * number and that profile's summary: `sum` opaque bytes given with each
 * profile (spoor_snapw_add_sum), 16 or 48 (a slot is then 32 or 64
 * bytes, 2 or 1 per line).  Call before the first add.  Returns SPOOR_OK,
 * SPOOR_E_INVAL (another size, profiles already added, called twice).
 * A writer without it writes version 1, byte for byte as before.
 */
int spoor_snapw_slots(spoor_snapw_t *w, size_t sum);

/*
 * spoor_snapw_add() with the profile's summary, sum[0 .. the size given
 * to spoor_snapw_slots()).  On a writer with slots, spoor_snapw_add()
 * returns SPOOR_E_INVAL; on one without, this does.  Other returns as
 * spoor_snapw_add().
 */
int spoor_snapw_add_sum(spoor_snapw_t *w, const unsigned char *blob,
    size_t len, const uint64_t *ids, size_t nids, const unsigned char *sum);

/*
 * Compresses the profile records in groups (container version 3): the
 * file is about 40 % of version 1's for profile records, and a record is
 * read through a cursor (spoor_snap_get).  Call before the first add;
 * not with a slot table.  Returns SPOOR_OK, SPOOR_E_INVAL (profiles
 * already added, slots, called twice).  Holds one group of records (up to
 * 32, or 64 KiB and one record) and a zstd context in memory.
 */
int spoor_snapw_groups(spoor_snapw_t *w);

/*
 * Adds the profiles of one group a caller sealed itself (snap_group.h:
 * snap_group_w_seal(), on any thread, its `first` whatever it was):
 * group[0 .. len) holds n records, which become profiles count .. count
 * + n - 1 (the head's `first` is written so); ids holds their id hashes
 * back to back, nids[k] of profile k's (at least one each; both NULL
 * after spoor_snapw_ids_later()).  Records
 * added one by one before it are sealed first, as their own group.  For
 * a writer that compresses many groups at once on several threads; the
 * frame is not read again here.  Returns SPOOR_OK; SPOOR_E_INVAL (not a
 * grouped writer, a head that does not fit len, a profile without ids)
 * or SPOOR_E_NOMEM with nothing added; SPOOR_E_IO as spoor_snapw_add().
 */
int spoor_snapw_add_group(spoor_snapw_t *w, const unsigned char *group,
    size_t len, const uint64_t *ids, const uint32_t *nids);

/*
 * Sizes w's in-memory tables for `profiles` more profiles holding `ids`
 * id hashes in all, when the caller knows them: the tables then take what
 * they need instead of doubling as they fill (up to twice that).  A hint:
 * adding more still works.  Call after spoor_snapw_slots() if at all.
 * Returns SPOOR_OK, or SPOOR_E_NOMEM with the writer as before.
 */
int spoor_snapw_reserve(spoor_snapw_t *w, size_t profiles, size_t ids);

/*
 * Makes w write from's index instead of keeping one of its own, so that
 * the index of two files of the same profiles (a snapshot and its
 * serving view) is held once: every profile must be added to both, in
 * the same order, with the same ids (w's are not kept).  Call before the
 * first add to either, and before spoor_snapw_ids_later() on w.  Every
 * add to either comes before the first commit of either: later ones are
 * refused (SPOOR_E_INVAL, nothing added).  The two may be committed or aborted in any order, on two
 * threads at once; w's commit refuses (SPOOR_E_INVAL, errno EINVAL) when
 * from was given another number of profiles.  Returns SPOOR_OK, or
 * SPOOR_E_INVAL (profiles already added, w == from, w shared already).
 */
int spoor_snapw_share_index(spoor_snapw_t *w, spoor_snapw_t *from);

/*
 * Lets w's profiles be added first and their ids given after them, with
 * spoor_snapw_ids(): a caller that packs its profiles from memory it can
 * free once they are packed builds the index after freeing it, instead
 * of holding both (the index is 12 bytes an id until the commit).  Call
 * after spoor_snapw_share_index() if at all, before the first add: it
 * holds for every writer sharing the index.  Adds then take no ids (ids
 * NULL, nids 0; spoor_snapw_add_group: ids and nids NULL); the files are
 * byte for byte those of adds given the ids.  Returns SPOOR_OK, or
 * SPOOR_E_INVAL (profiles or ids already added).
 */
int spoor_snapw_ids_later(spoor_snapw_t *w);

/*
 * Gives the next profile without ids its ids[0 .. nids) (at least one;
 * as spoor_snapw_add() takes them): profile 0 first, then 1, in the
 * order they were added, each once, all before the first commit of a
 * writer sharing the index (which refuses, SPOOR_E_INVAL, errno EINVAL,
 * while a profile has none).  On the writer that owns the index (not
 * one sharing another's), after spoor_snapw_ids_later().  Returns
 * SPOOR_OK; SPOOR_E_INVAL (not so set up, no profile left without ids,
 * nids 0, after a commit) or SPOOR_E_NOMEM, with nothing added.
 */
int spoor_snapw_ids(spoor_snapw_t *w, const uint64_t *ids, size_t nids);

/* Sets the header flags (SPOOR_SNAP_FLAGS_KNOWN bits; 0 when not
 * called).  SPOOR_OK, or SPOOR_E_INVAL for an unknown bit. */
int spoor_snapw_flags(spoor_snapw_t *w, uint32_t flags);

/*
 * Sets the generation metadata blob (opaque msgpack), copied.  At most
 * once per snapshot; without it the snapshot has no meta.  Returns
 * SPOOR_OK; SPOOR_E_INVAL (len 0 or > SPOOR_SNAP_META_MAX, or meta already
 * set); SPOOR_E_NOMEM; SPOOR_E_IO if the writer has failed.
 */
int spoor_snapw_meta(spoor_snapw_t *w, const unsigned char *blob,
    size_t len);

/*
 * Writes the table, index, slots (if any), meta and trailer, fsyncs the
 * file, renames it
 * to dir/name (replacing any file there atomically: a reader sees the old
 * file or the new one, and keeps an old mapping intact) and fsyncs dir.
 * Frees w in every case.  After SPOOR_OK the file is complete and durable.
 * On error (SPOOR_E_IO with errno, SPOOR_E_NOMEM) the temporary file is
 * removed and dir/name is untouched -- except when only the final fsync
 * of dir fails: then dir/name is the new, complete file but its rename
 * may not survive a crash, and SPOOR_E_IO is returned.
 */
int spoor_snapw_commit(spoor_snapw_t *w);

/* Removes the temporary file and frees w (NULL is a no-op). */
void spoor_snapw_abort(spoor_snapw_t *w);


/* ---- reading ------------------------------------------------------------ */

/*
 * Opens and maps path read-only.  Checks magic, version (1, 2 or 3), flags,
 * the file size against the header and the trailer, the exact position
 * and size of every section, the header, table, index and meta
 * checksums, that the table's offsets are increasing record boundaries
 * inside the profiles section and that the index is sorted and names
 * existing profiles; for version 2, the slot table's shape (line count
 * exactly what the index's distinct hashes call for, summary size, longest
 * probe), not its bytes; for version 3, that the table names groups in
 * order, at most 32 profiles each, not the groups.  Blob checksums, the slot table's bytes and the
 * whole-file checksum are left to spoor_snap_profile(),
 * spoor_snap_verify() and spoor_snap_hash_*().  Returns NULL with errno
 * set and a message in
 * err (always NUL-terminated when errlen > 0; err may be NULL) for a
 * missing, truncated, corrupt or wrong-version file.
 */
spoor_snap_t *spoor_snap_open(const char *path, char *err, size_t errlen);

/* Unmaps and frees s (NULL is a no-op).  Pointers from s become invalid. */
void spoor_snap_close(spoor_snap_t *s);

/*
 * Full check of every byte: what open checks, then every profile record
 * (length, boundary, zero padding, blob XXH64; version 3: every group's
 * head against the table, checksum, decompression, record lengths and
 * padding), that every profile has an
 * index entry, the zero padding of meta, and the whole-file XXH64.  For
 * version 2 also the zero padding before the slots, their XXH64, that
 * every distinct index hash is found by spoor_snap_slot() with its first
 * profile, that the slots of one profile hold the same summary, and that
 * the slot table is byte for byte the one the writer builds from the
 * index and those summaries (longest probe included).  Reads the whole
 * file.  Returns SPOOR_OK, SPOOR_E_FORMAT with a message in err, or
 * SPOOR_E_NOMEM (a bitmap of count/8 bytes is allocated; for version 2
 * also 8 bytes per profile and a copy of the slot table).
 */
int spoor_snap_verify(const spoor_snap_t *s, char *err, size_t errlen);

/*
 * spoor_snap_verify() but for the contents of a version 3 file's record
 * groups: their heads against the table, their frames' XXH64 and their
 * padding are checked, and, with the whole-file checksum, every byte is
 * the one the writer wrote; the frames are not decompressed (each is
 * checked whole when a record of it is read).  For a reader that reads
 * every record it needs anyway, and would otherwise decompress the file
 * twice.  The same as spoor_snap_verify() for versions 1 and 2.
 */
int spoor_snap_verify_stored(const spoor_snap_t *s, char *err,
    size_t errlen);

/* Number of profiles. */
size_t spoor_snap_count(const spoor_snap_t *s);

/*
 * Profile i (0 .. count-1, in the order added) and its length in *len
 * (len may be NULL).  Versions 1 and 2: a pointer into the mapping,
 * valid until close; the record's bounds and the blob's XXH64 are checked
 * on every call (one pass over the blob); cur is not used (may be NULL).
 * Version 3: a pointer into cur, valid until the next call with cur, its
 * free or s's close; the group that holds i is decompressed and checked
 * whole unless cur holds it already, so reading profiles in order costs
 * one decompression per group.  Returns NULL with *len = 0 when i is out
 * of range (errno EINVAL), the record or its group is damaged (errno
 * EBADMSG), memory is short (ENOMEM) or a version 3 file is read without
 * a cursor (EINVAL).
 */
const unsigned char *spoor_snap_get(const spoor_snap_t *s, size_t i,
    size_t *len, spoor_snap_cursor_t *cur);

/* Frees what cur holds and zeroes it (NULL is a no-op). */
void spoor_snap_cursor_free(spoor_snap_cursor_t *cur);

/* spoor_snap_get(s, i, len, NULL): versions 1 and 2, which every serving
 * view is; for a version 3 file, NULL with errno EINVAL. */
const unsigned char *spoor_snap_profile(const spoor_snap_t *s, size_t i,
    size_t *len);

/* The container version (1, 2 or 3), checked at open. */
uint32_t spoor_snap_version(const spoor_snap_t *s);

/* The meta blob (checked at open) and its length; NULL, *len = 0 when the
 * snapshot has none.  len may be NULL. */
const unsigned char *spoor_snap_meta(const spoor_snap_t *s, size_t *len);

/*
 * Finds profiles by id hash: calls fn(arg, i) once for each profile i
 * whose ids include h, in increasing i (index order); returns how many.
 * fn may be NULL to only count.  O(log n) binary search in the mapped
 * index (a few interpolation probes, then binary search), then one step
 * per match.
 */
size_t spoor_snap_find(const spoor_snap_t *s, uint64_t h,
    void (*fn)(void *arg, size_t i), void *arg);

/* The first (lowest) profile whose ids include h, or SIZE_MAX: what find
 * calls fn with first, for the common case of one answer. */
size_t spoor_snap_first(const spoor_snap_t *s, uint64_t h);

/* The number of index entries, and entry k (0 .. count - 1; checked at
 * open: sorted by hash then profile, each profile < spoor_snap_count()):
 * its id hash, and its profile in *profile (may be NULL).  For a reader
 * that walks every hash (a delta chain's shadowing, gen_chain.h). */
size_t spoor_snap_index_count(const spoor_snap_t *s);
uint64_t spoor_snap_index_entry(const spoor_snap_t *s, size_t k,
    size_t *profile);

/* The summary size of s's slot table; 0 when s has none (version 1). */
size_t spoor_snap_summary_size(const spoor_snap_t *s);

/* The file's size in bytes. */
uint64_t spoor_snap_file_size(const spoor_snap_t *s);

/* The whole-file checksum its trailer records (compared with the bytes by
 * spoor_snap_verify() and spoor_snap_hash_*(), not by open): what tells
 * two files of one size apart without reading them. */
uint64_t spoor_snap_file_sum(const spoor_snap_t *s);

/* The header flags (SPOOR_SNAP_DELTA), checked at open. */
uint32_t spoor_snap_flags(const spoor_snap_t *s);

/* The header flags of the snapshot file at path, from its header alone
 * (magic, version and header checksum checked; nothing else read): for
 * a directory listing that asks which files are deltas.  SPOOR_OK;
 * SPOOR_E_IO when it cannot be opened; SPOOR_E_FORMAT when its header is
 * no snapshot header. */
int spoor_snap_peek_flags(const char *path, uint32_t *flags);

/*
 * The slot of id hash h: returns a pointer to its summary (summary_size
 * bytes in the mapping, valid until close) and the profile number in
 * *profile (what spoor_snap_first(s, h) returns), or NULL when no id has
 * hash h or s has no slot table.  Reads the line h falls in and, only
 * when that line is full without a match, the following ones (at most
 * the longest probe the writer recorded).  Never reads outside the slot
 * section, never loops: a damaged slot (profile number >= count) is not
 * found.  The whole-file checksum (spoor_snap_verify, spoor_snap_hash_*)
 * covers the table; open does not read it.
 * On NULL, *profile is SIZE_MAX; profile may be NULL.  The slot section
 * starts on a multiple of 64 bytes of the file (so of the mapping).
 */
const unsigned char *spoor_snap_slot(const spoor_snap_t *s, uint64_t h,
    size_t *profile);

/* Asks the CPU to start loading the slot-table line h falls in (no
 * effect without a slot table): a reader about to probe several files
 * (a delta chain, gen_chain.h) has their lines load at once instead of
 * one cache miss after another. */
void spoor_snap_slot_prefetch(const spoor_snap_t *s, uint64_t h);

/*
 * Builds, in memory, a directory of the index by the top bits of the id
 * hash (about one 4-byte slot per two entries, 64 MiB at most), after
 * which find and first read one slot and the few entries of one bucket
 * instead of searching the whole index: for a server that makes many
 * lookups in one snapshot (the NGINX module), at the cost of one pass
 * over the index.  Answers are the same with it or without it.  Not
 * thread-safe against concurrent finds on s while it runs.  Returns
 * SPOOR_OK (also when already built), SPOOR_E_NOMEM, or SPOOR_E_INVAL
 * for an index of 2^32 entries or more (then find keeps searching).
 */
int spoor_snap_index_dir(spoor_snap_t *s);

/* The same a step at a time, for a server that must not stop for the
 * whole index: reads at most `entries` more index entries (0: all that
 * are left); *done is 1 once the directory is in use.  Finds search the
 * index until then. */
int spoor_snap_index_dir_step(spoor_snap_t *s, size_t entries, int *done);


/*
 * The whole-file checksum a step at a time, for a server that must check
 * a new snapshot completely before it uses it without stopping for the
 * whole file: start, then step until *done.  Each step hashes at most
 * `bytes` more bytes (0: all that is left).  After open, a matching
 * whole-file checksum means every byte is what the writer wrote; profile
 * records are checked again when fetched.
 * start returns NULL when out of memory.  step returns SPOOR_OK (with
 * *done 1 when the checksum matched, 0 when bytes are left),
 * SPOOR_E_FORMAT with *done 1 and a message in err when it does not
 * match, SPOOR_E_NOMEM.  s must stay open until free.
 */
typedef struct spoor_snap_hashing_s  spoor_snap_hashing_t;

spoor_snap_hashing_t *spoor_snap_hash_start(const spoor_snap_t *s);
int spoor_snap_hash_step(spoor_snap_hashing_t *hs, size_t bytes, int *done,
    char *err, size_t errlen);
void spoor_snap_hash_free(spoor_snap_hashing_t *hs);


/* ---- small state files -------------------------------------------------- */

/*
 * Replaces dir/name with data[0..len) atomically and durably: writes the
 * temporary file dir/.name.tmp.PID, fsyncs it, renames it to dir/name and
 * fsyncs dir.  Returns SPOOR_OK; SPOOR_E_INVAL (bad name, errno EINVAL);
 * SPOOR_E_IO with errno preserved, the temporary file removed and dir/name
 * untouched (unless only the final fsync of dir failed, as for commit).
 */
int spoor_write_file_atomic(const char *dir, const char *name,
    const void *data, size_t len);

#endif /* SPOOR_SNAPSHOT_H */
