/*
 * test_lineage.c -- lineage entries (analyzer/lineage.h): the entries
 * ingest, forget and import-traits write are intact; truncated, flipped,
 * misnamed, mistyped, trailing, nested, oversized ones are damaged, each
 * with a reason; file names; reading files; and `spoor lineage` end to
 * end: a damaged entry is reported with its path and exit 1 while the
 * intact ones still print, an unreadable one gives exit 3.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "error.h"
#include "lineage.h"
#include "spoor_run.h"

/* What state_commit writes for an ingest, an import-traits and a forget
 * (generation 7). */
static const char  ingest7[] =
    "{\"generation\":7,\"parent\":6,\"time\":\"2026-12-04T16:29:45Z\","
    "\"snapshot\":\"gen-000007.snap\",\"snapshot_bytes\":5200,"
    "\"profiles\":9,\"inputs\":[{\"file\":\"y20.spoor\",\"size\":3551,"
    "\"checksum\":\"cf6bdb92dc4a4569\",\"frames\":1,\"records\":20,"
    "\"new_frames\":1,\"new_records\":20,\"damaged\":false}],"
    "\"events\":{\"read\":20,\"applied\":14,\"skipped\":{\"duplicate\":0,"
    "\"anonymous\":1,\"cookieless\":0,\"not_for_profiling\":5,\"no_id\":0,"
    "\"erased\":0,\"bad_record\":0}},\"withdrawals\":0,"
    "\"profiles_erased\":0,\"merges\":11,\"merges_refused\":0,"
    "\"junk_ids\":0,\"rules\":{\"file\":\"conf/segments.rules\","
    "\"hash\":\"ed76fb2521af364d\"}}\n";
static const char  import7[] =
    "{\"generation\":7,\"parent\":6,\"time\":\"2026-12-04T16:29:52Z\","
    "\"snapshot\":\"gen-000007.snap\",\"snapshot_bytes\":5560,"
    "\"profiles\":10,\"import\":{\"lines\":2,\"applied\":2,\"bad\":0}}\n";
static const char  forget7[] =
    "{\"generation\":7,\"parent\":6,\"time\":\"2026-12-04T16:29:52Z\","
    "\"snapshot\":\"gen-000007.snap\",\"snapshot_bytes\":5096,"
    "\"profiles\":9,\"forget\":{\"ids\":1,\"profiles_erased\":1}}\n";

/* The members every entry has, for building variants: "%s" is where
 * the test puts more (starting with a comma, or ""). */
#define HEAD  "\"time\":\"2026-12-04T16:29:45Z\",\"snapshot_bytes\":1," \
              "\"profiles\":0"


static void
intact(const char *text, size_t len, uint32_t gen)
{
    char  err[256];
    int   rc;

    rc = lineage_check(text, len, gen, err, sizeof(err));
    cr_assert_eq(rc, SPOOR_OK, "[%.*s]: %d %s", (int) len, text, rc, err);
}


static void
damaged_len(const char *text, size_t len, uint32_t gen, const char *why)
{
    char  err[256];
    int   rc;

    strcpy(err, "untouched");
    rc = lineage_check(text, len, gen, err, sizeof(err));
    cr_assert_eq(rc, SPOOR_E_FORMAT, "[%.*s]: rc %d (%s)",
                 len > 200 ? 200 : (int) len, text, rc, err);
    cr_assert(strstr(err, why) != NULL, "[%.*s]: reason '%s', want '%s'",
              len > 200 ? 200 : (int) len, text, err, why);
}

#define INTACT(text, gen)        intact(text, strlen(text), gen)
#define DAMAGED(text, gen, why)  damaged_len(text, strlen(text), gen, why)


/* An entry of generation 3 with the members given (a JSON text of
 * members without braces). */
static char *
entry(const char *members)
{
    static char  buf[8192];

    snprintf(buf, sizeof(buf), "{%s}\n", members);
    return buf;
}

/* ---- intact ------------------------------------------------------------- */

Test(lineage, what_the_commands_write_is_intact)
{
    INTACT(ingest7, 7);
    INTACT(import7, 7);
    INTACT(forget7, 7);
    /* the first generation, rules null, no newline, CRLF, other members */
    INTACT(entry("\"generation\":1,\"parent\":0,\"snapshot\":"
                 "\"gen-000001.snap\"," HEAD ",\"rules\":null"), 1);
    intact(forget7, strlen(forget7) - 1, 7);
    INTACT("{\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
           HEAD ",\"later\":[1,{\"x\":true}]}\r\n  \n", 3);
    /* a large generation */
    INTACT(entry("\"generation\":999999,\"parent\":999998,\"snapshot\":"
                 "\"gen-999999.snap\"," HEAD), 999999);
}

/* ---- damaged ------------------------------------------------------------ */

Test(lineage, every_truncation_is_damage)
{
    const char  *e[] = { ingest7, import7, forget7 };
    size_t       i, k, len;

    for (i = 0; i < 3; i++) {
        len = strlen(e[i]);
        /* every prefix that ends before the closing brace; 0 is empty */
        for (k = 0; k < len - 1; k++) {
            damaged_len(e[i], k, 7, k ? "" : "empty");
        }
        intact(e[i], len - 1, 7);       /* only the newline lost */
    }
    damaged_len(ingest7, 40, 7, "not JSON (parse error: premature EOF");
}


Test(lineage, flipped_bytes)
{
    char    buf[sizeof(ingest7)];
    char    err[256];
    size_t  i, len = strlen(ingest7), refused = 0;
    size_t  snap = (size_t) (strstr(ingest7, "gen-000007.snap") - ingest7);
    int     bit, rc;

    for (i = 0; i < len; i++) {
        for (bit = 0; bit < 8; bit++) {
            memcpy(buf, ingest7, sizeof(buf));
            buf[i] ^= (char) (1 << bit);
            rc = lineage_check(buf, len, 7, err, sizeof(err));
            cr_assert(rc == SPOOR_OK || rc == SPOOR_E_FORMAT,
                      "offset %zu bit %d: rc %d", i, bit, rc);
            refused += rc != SPOOR_OK;
            /* the JSON structure, and the generation's own number */
            if (strchr("{}[]:,\"", ingest7[i]) != NULL
                || i == strlen("{\"generation\":")
                || (i >= snap && i < snap + strlen("gen-000007.snap")))
            {
                cr_assert_eq(rc, SPOOR_E_FORMAT, "offset %zu ('%c') bit %d "
                             "went unnoticed", i, ingest7[i], bit);
            }
        }
    }
    /* many flips are seen; those in counts, names and times are not
     * (there is no checksum), as lineage.h says */
    cr_log_info("flipped bits refused: %zu of %zu", refused, len * 8);
    cr_assert_gt(refused, len * 8 / 4, "%zu of %zu", refused, len * 8);

    memcpy(buf, ingest7, sizeof(buf));
    buf[1] = 'X';
    damaged_len(buf, len, 7, "not JSON (lexical error: invalid char");
}


Test(lineage, wrong_generation)
{
    DAMAGED(ingest7, 8, "\"generation\" is 7, the file is generation 8");
    DAMAGED(ingest7, 0, "\"generation\" is 7, the file is generation 0");
    DAMAGED(entry("\"generation\":0,\"parent\":0,\"snapshot\":"
                  "\"gen-000000.snap\"," HEAD), 0,
            "\"generation\" is 0, below 1");
    DAMAGED(entry("\"generation\":3,\"parent\":3,\"snapshot\":"
                  "\"gen-000003.snap\"," HEAD), 3,
            "\"parent\" 3 is not before generation 3");
    DAMAGED(entry("\"generation\":3,\"parent\":-1,\"snapshot\":"
                  "\"gen-000003.snap\"," HEAD), 3,
            "\"parent\" is -1, below 0");
    DAMAGED(entry("\"generation\":3,\"parent\":2,\"snapshot\":"
                  "\"gen-000002.snap\"," HEAD), 3,
            "\"snapshot\" is not gen-000003.snap");
    DAMAGED(entry("\"generation\":3,\"parent\":2,\"snapshot\":"
                  "\"gen-3.snap\"," HEAD), 3,
            "\"snapshot\" is not gen-000003.snap");
    DAMAGED(entry("\"generation\":99999999999999999999,\"parent\":2,"
                  "\"snapshot\":\"gen-000003.snap\"," HEAD), 3,
            "\"generation\" is not an integer");
    DAMAGED(entry("\"generation\":3.0,\"parent\":2,"
                  "\"snapshot\":\"gen-000003.snap\"," HEAD), 3,
            "\"generation\" is not an integer");
    DAMAGED(entry("\"generation\":\"3\",\"parent\":2,"
                  "\"snapshot\":\"gen-000003.snap\"," HEAD), 3,
            "\"generation\" is not an integer");
}


Test(lineage, not_an_object)
{
    DAMAGED("[1,2]\n", 1, "not a JSON object");
    DAMAGED("\"generation\"\n", 1, "not a JSON object");
    DAMAGED("1\n", 1, "not a JSON object");
    DAMAGED("null\n", 1, "not a JSON object");
    DAMAGED("\n", 1, "not JSON");
    DAMAGED("  ", 1, "not JSON");
}


Test(lineage, trailing_garbage)
{
    char  buf[2 * sizeof(forget7)];

    snprintf(buf, sizeof(buf), "%sx", forget7);
    DAMAGED(buf, 7, "bytes after the object");
    snprintf(buf, sizeof(buf), "%s%s", forget7, forget7);
    DAMAGED(buf, 7, "not JSON (parse error: trailing garbage)");
    snprintf(buf, sizeof(buf), "%.*s{}\n", (int) strlen(forget7) - 1,
             forget7);
    DAMAGED(buf, 7, "not JSON (parse error: trailing garbage)");
    snprintf(buf, sizeof(buf), "%.*s // a comment\n",
             (int) strlen(forget7) - 1, forget7);
    DAMAGED(buf, 7, "not JSON (parse error: trailing garbage)");
    snprintf(buf, sizeof(buf), "%.*s:\n", (int) strlen(forget7) - 1,
             forget7);
    DAMAGED(buf, 7, "bytes after the object");
    /* an unterminated string after the object: yajl alone takes it for
     * a token still to come */
    snprintf(buf, sizeof(buf), "%.*s\"", (int) strlen(forget7) - 1,
             forget7);
    DAMAGED(buf, 7, "bytes after the object");
    snprintf(buf, sizeof(buf), "%.*s \"x\n", (int) strlen(forget7) - 1,
             forget7);
    DAMAGED(buf, 7, "bytes after the object");
    snprintf(buf, sizeof(buf), "%.*s\"}\n", (int) strlen(forget7) - 1,
             forget7);
    DAMAGED(buf, 7, "bytes after the object");
    DAMAGED("[] \"", 7, "bytes after the object");
    DAMAGED("1 \"", 7, "not a JSON object");

    memcpy(buf, forget7, sizeof(forget7));      /* with its NUL */
    damaged_len(buf, sizeof(forget7), 7, "a NUL byte at offset 161");
}


Test(lineage, members_missing_repeated_or_of_the_wrong_type)
{
    static const struct {
        const char  *members;
        const char  *why;
    } bad[] = {
        { "\"parent\":2,\"snapshot\":\"gen-000003.snap\"," HEAD,
          "no \"generation\"" },
        { "\"generation\":3,\"snapshot\":\"gen-000003.snap\"," HEAD,
          "no \"parent\"" },
        { "\"generation\":3,\"parent\":2," HEAD, "no \"snapshot\"" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          "\"snapshot_bytes\":1,\"profiles\":0", "no \"time\"" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          "\"time\":\"2026-12-04T16:29:45Z\",\"profiles\":0",
          "no \"snapshot_bytes\"" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          "\"time\":\"2026-12-04T16:29:45Z\",\"snapshot_bytes\":1",
          "no \"profiles\"" },
        { "\"generation\":3,\"generation\":3,\"parent\":2,\"snapshot\":"
          "\"gen-000003.snap\"," HEAD, "\"generation\" appears 2 times" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          HEAD ",\"profiles\":1", "\"profiles\" appears 2 times" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":3," HEAD,
          "\"snapshot\" is not a string" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          "\"time\":1764865785,\"snapshot_bytes\":1,\"profiles\":0",
          "\"time\" is not a string" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          "\"time\":\"yesterday\",\"snapshot_bytes\":1,\"profiles\":0",
          "\"time\" is not ISO 8601" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          "\"time\":\"2026-12-04T16:29:45Z\",\"snapshot_bytes\":1,"
          "\"profiles\":-1", "\"profiles\" is -1, below 0" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          "\"time\":\"2026-12-04T16:29:45Z\",\"snapshot_bytes\":1,"
          "\"profiles\":1.5", "\"profiles\" is not an integer" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          "\"time\":\"2026-12-04T16:29:45Z\",\"snapshot_bytes\":null,"
          "\"profiles\":1", "\"snapshot_bytes\" is not an integer" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          HEAD ",\"inputs\":{}", "\"inputs\" is not an array" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          HEAD ",\"inputs\":[{},1]", "\"inputs\" entry 1 is not an object" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          HEAD ",\"events\":[]", "\"events\" is not an object" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          HEAD ",\"rules\":\"x\"", "\"rules\" is not an object or null" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          HEAD ",\"forget\":1", "\"forget\" is not an object" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          HEAD ",\"import\":null", "\"import\" is not an object" },
        { "\"generation\":3,\"parent\":2,\"snapshot\":\"gen-000003.snap\","
          HEAD ",\"rules\":{},\"rules\":{}", "\"rules\" appears 2 times" },
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        DAMAGED(entry(bad[i].members), 3, bad[i].why);
    }
}


Test(lineage, text_that_is_no_single_line_of_json)
{
    /* valid JSON, but on several lines */
    DAMAGED("{\"generation\":3,\n\"parent\":2,\"snapshot\":"
            "\"gen-000003.snap\"," HEAD "}\n", 3, "not on one line");
    /* not UTF-8 */
    DAMAGED(entry("\"generation\":3,\"parent\":2,\"snapshot\":"
                  "\"gen-000003.snap\"," HEAD ",\"x\":\"\xff\""), 3,
            "not JSON");
    /* single quotes, comments */
    DAMAGED("{'generation':3}\n", 3, "not JSON");
    DAMAGED("/**/{\"generation\":3}\n", 3, "not JSON");
}


/* An intact generation 3 with "x": n nested arrays. */
static char *
nested(size_t n)
{
    const char  *head = "{\"generation\":3,\"parent\":2,\"snapshot\":"
                        "\"gen-000003.snap\"," HEAD ",\"x\":";
    size_t       hl = strlen(head), i;
    char        *s = malloc(hl + 2 * n + 4);

    cr_assert_not_null(s);
    memcpy(s, head, hl);
    for (i = 0; i < n; i++) {
        s[hl + i] = '[';
        s[hl + n + i] = ']';
    }
    strcpy(s + hl + 2 * n, "}\n");
    return s;
}


Test(lineage, nesting_is_bounded)
{
    char  *s;

    s = nested(LINEAGE_DEPTH_MAX - 1);          /* + the entry's object */
    INTACT(s, 3);
    free(s);
    s = nested(LINEAGE_DEPTH_MAX);
    DAMAGED(s, 3, "nested deeper than 16 levels");
    free(s);
    s = nested(1000000);
    DAMAGED(s, 3, "nested deeper than 16 levels");
    free(s);
}


Test(lineage, size_is_bounded)
{
    size_t  len = strlen(forget7);
    char   *s = malloc(LINEAGE_TEXT_MAX + 2);

    cr_assert_not_null(s);
    /* an intact entry padded with blanks to the limit */
    memcpy(s, forget7, len);
    memset(s + len, ' ', LINEAGE_TEXT_MAX - len);
    intact(s, LINEAGE_TEXT_MAX, 7);
    /* one byte more is too much, whatever it is */
    s[LINEAGE_TEXT_MAX] = ' ';
    damaged_len(s, LINEAGE_TEXT_MAX + 1, 7, "more than an entry may have");
    free(s);
}


Test(lineage, errors_fit_any_buffer)
{
    char  err[6];

    cr_assert_eq(lineage_check("[]", 2, 1, err, sizeof(err)),
                 SPOOR_E_FORMAT);
    cr_assert_str_eq(err, "not a");
    cr_assert_eq(lineage_check("[]", 2, 1, NULL, 0), SPOOR_E_FORMAT);
    cr_assert_eq(lineage_check(forget7, strlen(forget7), 7, NULL, 0),
                 SPOOR_OK);
}


Test(lineage, file_names)
{
    uint32_t  g = 12345;

    cr_assert(lineage_name_gen("000001.json", &g) && g == 1);
    cr_assert(lineage_name_gen("999999.json", &g) && g == 999999);
    cr_assert(lineage_name_gen("1000000.json", &g) && g == 1000000);
    cr_assert(lineage_name_gen("4294967295.json", &g) && g == 4294967295u);
    cr_assert_not(lineage_name_gen("4294967296.json", &g));
    cr_assert_not(lineage_name_gen("000000.json", &g));
    g = 12345;
    cr_assert_not(lineage_name_gen("00001.json", &g));
    cr_assert_not(lineage_name_gen("0000001.json", &g));
    cr_assert_not(lineage_name_gen("00000a.json", &g));
    cr_assert_not(lineage_name_gen("000001.jso", &g));
    cr_assert_not(lineage_name_gen("000001.json~", &g));
    cr_assert_not(lineage_name_gen(".000001.json.tmp.42", &g));
    cr_assert_not(lineage_name_gen("", &g));
    cr_assert_eq(g, 12345);
}

/* ---- files and the command ---------------------------------------------- */

static void
setup(void)
{
    spoor_run_setup("/tmp/spoor-lineage-XXXXXX");
}


static void
teardown(void)
{
    spoor_run_teardown();
}

TestSuite(lineage_files, .init = setup, .fini = teardown);


static void
write_file(const char *name, const char *text, size_t len)
{
    char   path[256];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}


Test(lineage_files, load)
{
    char    path[256], err[256], *text;
    size_t  len;
    int     fd;

    write_file("000007.json", forget7, strlen(forget7));
    snprintf(path, sizeof(path), "%s/000007.json", dir);
    cr_assert_eq(lineage_load(path, 7, &text, &len, err, sizeof(err)),
                 SPOOR_OK, "%s", err);
    cr_assert_eq(len, strlen(forget7));
    cr_assert_str_eq(text, forget7);
    free(text);

    cr_assert_eq(lineage_load(path, 6, &text, &len, err, sizeof(err)),
                 SPOOR_E_FORMAT);
    cr_assert_null(text);
    cr_assert(strstr(err, "the file is generation 6") != NULL, "%s", err);

    write_file("000007.json", forget7, 30);
    cr_assert_eq(lineage_load(path, 7, &text, &len, err, sizeof(err)),
                 SPOOR_E_FORMAT);

    /* larger than the limit: refused without reading it all */
    fd = open(path, O_WRONLY | O_TRUNC);
    cr_assert_geq(fd, 0);
    cr_assert_eq(ftruncate(fd, (off_t) LINEAGE_TEXT_MAX * 4), 0);
    close(fd);
    cr_assert_eq(lineage_load(path, 7, &text, &len, err, sizeof(err)),
                 SPOOR_E_FORMAT);
    cr_assert(strstr(err, "more than an entry may have") != NULL, "%s", err);

    snprintf(path, sizeof(path), "%s/000008.json", dir);
    cr_assert_eq(lineage_load(path, 8, &text, &len, err, sizeof(err)),
                 SPOOR_E_IO);
    cr_assert_eq(errno, ENOENT);
    cr_assert_str_eq(err, strerror(ENOENT));
    cr_assert_null(text);

    cr_assert_eq(lineage_load(dir, 8, &text, &len, err, sizeof(err)),
                 SPOOR_E_IO);
    cr_assert_str_eq(err, strerror(EISDIR));
}


Test(lineage_files, the_command_reports_damage_and_prints_the_rest,
     .timeout = 120)
{
    run_t  r;

    r = run("$S gen --events 300 --seed 3 --out $D/a.spoor >/dev/null && "
            "$S ingest --state $D/st $D/a.spoor >/dev/null && "
            "printf '%%s\\n' '{\"userId\":\"u\",\"traits\":{\"a\":1},"
            "\"time\":1}' > $D/t.jsonl && "
            "$S import-traits --state $D/st $D/t.jsonl >/dev/null && "
            "$S forget --state $D/st nobody >/dev/null 2>&1 && echo ok");
    cr_assert_str_eq(r.out, "ok\n", "%s", r.out);
    free(r.out);

    /* intact: one line per generation, exit 0, nothing on stderr */
    r = run("$S lineage --state $D/st 2>$D/err");
    cr_assert_eq(r.status, 0, "%s", r.out);
    cr_assert(strncmp(r.out, "{\"generation\":1,", 16) == 0, "%s", r.out);
    cr_assert(strstr(r.out, "\n{\"generation\":2,") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\n{\"generation\":3,") != NULL, "%s", r.out);
    free(r.out);
    r = run("wc -l < $D/err");
    cr_assert_str_eq(r.out, "0\n");
    free(r.out);

    /* one flipped byte in the second entry */
    r = run("printf 'X' | dd of=$D/st/lineage/000002.json bs=1 seek=1 "
            "conv=notrunc 2>/dev/null && $S lineage --state $D/st "
            "2>$D/err");
    cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.out);
    cr_assert(strncmp(r.out, "{\"generation\":1,", 16) == 0, "%s", r.out);
    cr_assert(strstr(r.out, "\"generation\":2,") == NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\n{\"generation\":3,") != NULL, "%s", r.out);
    free(r.out);
    r = run("cat $D/err");
    cr_assert(strstr(r.out, "spoor lineage: ") == r.out, "%s", r.out);
    cr_assert(strstr(r.out, "/st/lineage/000002.json: damaged: not JSON")
              != NULL, "%s", r.out);
    cr_assert_eq(strchr(r.out, '\n') - r.out + 1, (long) r.len,
                 "one line: %s", r.out);
    free(r.out);

    /* an entry that cannot be read: exit 3, the others still print */
    r = run("mkdir $D/st/lineage/000004.json && "
            "$S lineage --state $D/st 2>$D/err | wc -l; "
            "$S lineage --state $D/st >/dev/null 2>&1; echo \"exit $?\"; "
            "grep -c 'lineage/000004.json: Is a directory' $D/err");
    cr_assert_str_eq(r.out, "2\nexit 3\n1\n", "%s", r.out);
    free(r.out);
}
