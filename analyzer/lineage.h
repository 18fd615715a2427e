/*
 * lineage.h -- one entry of a state directory's lineage: the file
 * DIR/lineage/NNNNNN.json that state_commit() (state.h) writes for
 * generation NNNNNN, read back and told intact or damaged.
 *
 * An intact entry is one JSON object on one line, followed only by
 * whitespace (the writer ends it with one newline), nested at most
 * LINEAGE_DEPTH_MAX deep, at most LINEAGE_TEXT_MAX bytes, with at least
 * these members, each once (docs/profiles.md, "Lineage"):
 *
 *   "generation"      integer, the number in the file's name (>= 1)
 *   "parent"          integer, 0 <= parent < generation
 *   "time"            string, ISO 8601 (timestamp.h): when it was written
 *   "snapshot"        string, "gen-NNNNNN.snap" for this generation
 *   "snapshot_bytes"  integer >= 0
 *   "profiles"        integer >= 0
 *
 * and, when present, what ingest, forget and import-traits add: "inputs"
 * an array of objects, "events", "forget" and "import" objects, "rules"
 * an object or null.  Other members are allowed (later versions may add
 * some).  An entry carries no checksum: damage that leaves valid JSON of
 * the right types (a digit of a count changed) cannot be seen.
 *
 * The entry is parsed twice with yajl: a callback pass that checks the
 * syntax, the nesting and that nothing follows the object (no tree is
 * built for text that fails), then yajl_tree for the members.  The tree
 * takes up to about 40 times the text in the worst case (a long array of
 * one-digit numbers), hence the size limit; a real entry is about 200
 * bytes per input log plus 500.
 */
#ifndef SPOOR_LINEAGE_H
#define SPOOR_LINEAGE_H

#include <stddef.h>
#include <stdint.h>

#define LINEAGE_TEXT_MAX   ((size_t) 16 << 20)  /* ~80,000 logs in a run */
#define LINEAGE_DEPTH_MAX  16

/*
 * Checks text[0 .. len) (need not be NUL-terminated; not referenced after
 * the call) as the entry of generation gen.  Returns SPOOR_OK for an
 * intact entry; SPOOR_E_FORMAT for a damaged one, with the reason in
 * err[0 .. errlen) (NUL-terminated, truncated to fit; err may be NULL
 * when errlen is 0); SPOOR_E_NOMEM.  Reads nothing of text when len is
 * over LINEAGE_TEXT_MAX.
 */
int lineage_check(const char *text, size_t len, uint32_t gen, char *err,
    size_t errlen);

/*
 * Reads the file at path and checks it as the entry of generation gen.
 * Returns SPOOR_OK with the text in *text (NUL-terminated, *len bytes
 * without the NUL; the caller frees it); SPOOR_E_FORMAT (damaged, reason
 * in err; a file over LINEAGE_TEXT_MAX is not read to its end);
 * SPOOR_E_IO with errno and strerror(errno) in err (it could not be
 * opened or read); SPOOR_E_NOMEM.  On error *text is NULL.
 */
int lineage_load(const char *path, uint32_t gen, char **text, size_t *len,
    char *err, size_t errlen);

/*
 * The generation named by a lineage file name: its number (gen_name.h)
 * then ".json" ("000042.json" -> 42, "1000000.json" -> 1000000).
 * Returns 1 and sets *gen, or 0 for any other name (temporary files,
 * names of other files, "000000.json").
 */
int lineage_name_gen(const char *name, uint32_t *gen);

/*
 * The entries of the state directory state_dir (DIR/lineage/), their file
 * names oldest generation first, into *names and *n (dir_names.h: free
 * them with dir_names_free()).  Returns SPOOR_OK; SPOOR_E_IO with errno
 * when the directory cannot be read; SPOOR_E_NOMEM.
 */
int lineage_list(const char *state_dir, char ***names, size_t *n);

#endif /* SPOOR_LINEAGE_H */
