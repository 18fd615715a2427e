/*
 * test_cli.c -- the `spoor` command end to end: output and exit codes.
 *
 * Runs the built program (path in $SPOOR, set by `make test`) on logs it
 * generates itself in a temporary directory, damages copies of them, and
 * checks what cat and verify print and how they exit.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <lz4frame.h>
#include <yajl/yajl_tree.h>
#include "event.h"
#include "logframe.h"
#include "spoor_run.h"

static void
setup(void)
{
    spoor_run_setup("/tmp/spoor-cli-XXXXXX");
}


static void
teardown(void)
{
    spoor_run_teardown();
}


static long
count_lines(const char *s)
{
    long  n = 0;

    for ( ; *s; s++) {
        n += *s == '\n';
    }
    return n;
}


/* The integer at path in a JSON text, or -1. */
static long long
json_int(const char *text, const char *k1)
{
    const char  *path[] = { k1, NULL };
    yajl_val     root, v;
    long long    n = -1;

    root = yajl_tree_parse(text, NULL, 0);
    cr_assert_not_null(root, "not JSON: %s", text);
    v = yajl_tree_get(root, path, yajl_t_number);
    if (v && YAJL_IS_INTEGER(v)) {
        n = YAJL_GET_INTEGER(v);
    }
    yajl_tree_free(root);
    return n;
}


TestSuite(cli, .init = setup, .fini = teardown);


/* --now is a time a profile can hold (within 2^53 ms of the epoch,
 * profile.h): one past it is a usage error, not a clock that overflows
 * what is computed from it. */
Test(cli, now_past_the_times_a_profile_holds_is_refused)
{
    run_t  r;

    r = run("$S gen --events 200 --seed 3 --out $D/x.spoor && "
            "$S ingest --state $D/st --now 9007199254740993 $D/x.spoor "
            "2>&1");
    cr_assert_eq(r.status, 2, "exit %d: %s", r.status, r.out);
    cr_assert_not_null(strstr(r.out, "--now wants a time"), "%s", r.out);
    free(r.out);
    r = run("$S ingest --state $D/st --now 9007199254740992 $D/x.spoor "
            ">/dev/null 2>&1");
    cr_assert_eq(r.status, 0, "exit %d", r.status);
    free(r.out);
}


Test(cli, gen_is_deterministic_per_seed)
{
    run_t  r;

    r = run("$S gen --events 3000 --seed 7 --out $D/a && "
            "$S gen --events 3000 --seed 7 --out $D/b && "
            "$S gen --events 3000 --seed 8 --out $D/c && "
            "cmp -s $D/a $D/b && echo same; cmp -s $D/a $D/c || echo differ");
    cr_assert_eq(r.status, 0);
    cr_assert_str_eq(r.out, "same\ndiffer\n");
    free(r.out);
}


Test(cli, cat_prints_one_valid_json_line_per_event)
{
    run_t     r;
    char     *line, *save;
    long      n = 0;
    yajl_val  v;
    char      err[256];

    r = run("$S gen --events 5000 --seed 2 --out $D/x.spoor && "
            "$S cat $D/x.spoor");
    cr_assert_eq(r.status, 0);
    for (line = strtok_r(r.out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save))
    {
        v = yajl_tree_parse(line, err, sizeof(err));
        cr_assert_not_null(v, "line %ld is not JSON: %s (%s)", n, line, err);
        cr_assert(YAJL_IS_OBJECT(v));
        yajl_tree_free(v);
        n++;
    }
    cr_assert_eq(n, 5000);
    free(r.out);
}


Test(cli, gen_log_has_the_realistic_mix)
{
    static const char *const  want[] = {
        "\"type\":\"page\"", "\"type\":\"track\"", "\"type\":\"identify\"",
        "\"name\":\"Product Viewed\"", "\"name\":\"Product Added\"",
        "\"name\":\"Checkout Started\"", "\"name\":\"Order Completed\"",
        "\"revenue\":", "\"currency\":\"EUR\"", "\"currency\":\"USD\"",
        "\"userId\":\"user-", "\"traits\":{\"email\":",
        "\"ip\":\"192.0.2.0\"", "\"ip\":\"2001:db8:", "\"campaign\":",
        "\"action\":\"anonymous\"", "\"cookielessId\":", "\"gpc\":true",
        "\"noProfiling\":true", "\"locale\":\"de-DE\"", "Firefox",
        "\"country\":\"JP\"",
    };
    run_t   r;
    size_t  i;

    r = run("$S gen --events 20000 --seed 1 --out $D/x.spoor && "
            "$S cat $D/x.spoor");
    cr_assert_eq(r.status, 0);
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        cr_expect_not_null(strstr(r.out, want[i]), "no %s", want[i]);
    }
    free(r.out);
}


Test(cli, anonymous_records_carry_no_identifier_or_address)
{
    run_t  r;

    r = run("$S gen --events 20000 --seed 1 --out $D/x.spoor && "
            "$S cat $D/x.spoor | grep '\"action\":\"anonymous\"' | "
            "grep -c -E 'visitorId|anonymousId|userId|\"ip\"|\"city\"'");
    cr_assert_str_eq(r.out, "0\n");
    free(r.out);
    r = run("$S cat $D/x.spoor | grep -c '\"action\":\"anonymous\"'");
    cr_assert_gt(atoi(r.out), 100);
    free(r.out);
}


Test(cli, verify_intact_log_exits_0)
{
    run_t  r;

    r = run("$S gen --events 10000 --seed 1 --frame-bytes 65536 "
            "--out $D/x.spoor && $S verify $D/x.spoor");
    cr_assert_eq(r.status, 0, "%s", r.out);
    cr_assert_not_null(strstr(r.out, "x.spoor: OK\n"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, " 10000 records"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "0 missing, 0 repeated"), "%s", r.out);
    free(r.out);
}


Test(cli, truncated_tail_names_the_frame_and_keeps_the_rest)
{
    run_t      r;
    long long  lost, records;

    r = run("$S gen --events 10000 --seed 1 --frame-bytes 65536 "
            "--out $D/x.spoor && truncate -s -100 $D/x.spoor && "
            "$S verify $D/x.spoor");
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert_not_null(strstr(r.out, "truncated frame at offset"), "%s",
                       r.out);
    cr_assert_not_null(strstr(r.out, " seq "), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "DAMAGED"), "%s", r.out);
    free(r.out);

    r = run("$S verify --json $D/x.spoor");
    cr_assert_eq(r.status, 1);
    lost = json_int(r.out, "recordsLost");
    records = json_int(r.out, "records");
    cr_assert_gt(lost, 0);
    cr_assert_eq(lost + records, 10000);
    free(r.out);

    r = run("$S cat $D/x.spoor 2>/dev/null | wc -l; $S cat $D/x.spoor "
            ">/dev/null 2>&1; echo $?");
    cr_assert_eq(atoll(r.out), 10000 - lost, "%s", r.out);
    cr_assert_str_eq(strchr(r.out, '\n') + 1, "1\n");
    free(r.out);
}


Test(cli, overwritten_bytes_lose_only_one_frame)
{
    run_t      r;
    long long  lost;

    r = run("$S gen --events 10000 --seed 1 --frame-bytes 65536 "
            "--out $D/x.spoor && n=$(stat -c %%s $D/x.spoor) && "
            "head -c 64 /dev/zero | tr '\\0' '\\252' | "
            "dd of=$D/x.spoor bs=1 seek=$((n / 2)) conv=notrunc "
            "status=none && $S verify --json $D/x.spoor");
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert_eq(json_int(r.out, "framesLost"), 1, "%s", r.out);
    lost = json_int(r.out, "recordsLost");
    cr_assert_gt(lost, 0);
    cr_assert_lt(lost, 1000);     /* one 64 KiB frame, not the file */
    cr_assert_eq(json_int(r.out, "records") + lost, 10000);
    free(r.out);

    r = run("$S cat $D/x.spoor 2>/dev/null | wc -l");
    cr_assert_eq(atoll(r.out), 10000 - lost);
    free(r.out);
}


Test(cli, not_a_log_and_empty_file)
{
    run_t  r;

    r = run("head -c 3000 /etc/passwd > $D/p; $S verify $D/p");
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert_not_null(strstr(r.out, "garbage at offset 0"), "%s", r.out);
    free(r.out);

    r = run(": > $D/e; $S verify $D/e && $S cat $D/e | wc -c");
    cr_assert_eq(r.status, 0, "%s", r.out);
    cr_assert_not_null(strstr(r.out, "e: OK\n0\n"), "%s", r.out);
    free(r.out);
}


Test(cli, cat_reads_standard_input_and_frames)
{
    run_t      r;
    long long  frames;

    r = run("$S gen --events 4000 --seed 4 --frame-bytes 16384 "
            "--out $D/x.spoor && $S cat - < $D/x.spoor | wc -l");
    cr_assert_eq(atol(r.out), 4000);
    free(r.out);

    r = run("$S verify --json $D/x.spoor");
    frames = json_int(r.out, "frames");
    cr_assert_gt(frames, 10);
    free(r.out);

    r = run("$S cat --frames $D/x.spoor");
    cr_assert_eq(r.status, 0);
    cr_assert_eq(count_lines(r.out), frames);
    cr_assert_not_null(strstr(r.out, "\"seq\":0,"));
    cr_assert_not_null(strstr(r.out, "\"host\":\"spoor-gen\""));
    free(r.out);
}


Test(cli, usage_errors_exit_2_and_missing_files_exit_3)
{
    run_t  r;

    r = run("$S >/dev/null 2>&1; echo $?; "
            "$S nosuch 2>/dev/null; echo $?; "
            "$S cat --nosuch x 2>/dev/null; echo $?; "
            "$S cat 2>/dev/null; echo $?; "
            "$S gen --out $D/g 2>/dev/null; echo $?; "
            "$S gen --events x --out $D/g 2>/dev/null; echo $?; "
            "$S cat $D/missing 2>/dev/null; echo $?; "
            "$S verify $D/missing 2>/dev/null; echo $?; "
            "$S gen --events 1 --out $D/no/such/dir 2>/dev/null; echo $?");
    cr_assert_str_eq(r.out, "2\n2\n2\n2\n2\n2\n3\n3\n3\n");
    free(r.out);
}


/* An option's value given as its own word is not taken for the option's
 * name in the message (it was: "spoor ingest: 0 wants a duration"). */
Test(cli, a_bad_option_value_names_the_option)
{
    run_t  r;

    r = run("$S ingest --state $D/s --interval 0 x 2>&1; "
            "$S ingest --state $D/s --session-gap abc x 2>&1; "
            "$S ingest --state $D/s --follow --reader a/b 2>&1; "
            "$S ship --redis 127.0.0.1:1 --settle 1 --timeout 0 x 2>&1");
    cr_assert_str_eq(r.out,
        "spoor ingest: --interval wants a duration (500ms, 1s, 2m, 1h; at "
        "least 10ms): '0'\n"
        "spoor ingest: --session-gap: not a positive number: 'abc'\n"
        "spoor ingest: --reader wants a name of 1 to 64 of [A-Za-z0-9._-]: "
        "'a/b'\n"
        "spoor ship: --timeout wants a duration (500ms, 1s, 2m; at least "
        "10ms, at most 10m): '0'\n");
    free(r.out);
}


Test(cli, every_subcommand_has_help)
{
    static const char *const  cmds[] = { "cat", "verify", "gen", "report" };
    run_t                     r;
    size_t                    i;

    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        r = run("$S %s --help", cmds[i]);
        cr_assert_eq(r.status, 0);
        cr_assert(strncmp(r.out, "usage: spoor ", 13) == 0, "%s", r.out);
        cr_assert_not_null(strstr(r.out, "exit codes"), "%s", r.out);
        free(r.out);
    }
    r = run("$S --help");
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "verify"));
    cr_assert_not_null(strstr(r.out, "report"));
    free(r.out);
}


Test(cli, gen_stream_does_not_depend_on_the_frame_size)
{
    run_t  r;

    r = run("$S gen --events 20000 --seed 5 --out $D/a && "
            "$S gen --events 20000 --seed 5 --frame-bytes 4096 --out $D/b && "
            "$S cat $D/a > $D/a.json && $S cat $D/b > $D/b.json && "
            "cmp -s $D/a.json $D/b.json && echo same");
    cr_assert_str_eq(r.out, "same\n");
    free(r.out);
}


Test(cli, gen_orders_are_numbered_without_gaps_and_match_their_products)
{
    run_t  r;

    /* order ids O1..On appear once each, in order */
    r = run("$S gen --events 50000 --seed 9 --frame-bytes 4096 --out $D/x "
            "&& $S cat $D/x | grep -o '\"order_id\":\"O[0-9]*\"' | "
            "tr -dc '0-9\\n' | awk '$1 != NR { bad++ } END { print NR, bad+0 }'");
    cr_assert_eq(r.status, 0);
    cr_assert_gt(atoi(r.out), 100, "%s", r.out);
    cr_assert_str_eq(strchr(r.out, ' '), " 0\n", "%s", r.out);
    free(r.out);
}


Test(cli, gen_cookieless_ids_are_stable_within_a_day)
{
    run_t  r;
    long   events, ids;

    r = run("$S gen --events 20000 --seed 1 --out $D/x && "
            "$S cat $D/x | grep -o '\"cookielessId\":\"[^\"]*\"' > $D/c; "
            "wc -l < $D/c; sort -u $D/c | wc -l");
    events = strtol(r.out, NULL, 10);
    ids = strtol(strchr(r.out, '\n') + 1, NULL, 10);
    cr_assert_gt(events, 100);
    cr_assert_lt(ids * 3, events, "%ld ids for %ld events", ids, events);
    free(r.out);
}


Test(cli, gen_refuses_absurd_event_counts)
{
    run_t  r;

    r = run("$S gen --events 1844674407370954404 --out $D/x 2>&1; echo $?");
    cr_assert_not_null(strstr(r.out, "bad --events"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "\n2\n"), "%s", r.out);
    free(r.out);
}


/* Appends one metadata + data frame pair holding one record, with a
 * forged writer id and sequence number. */
static void
put_frame(FILE *f, uint64_t wid, uint64_t seq)
{
    static const unsigned char  rec[] = {
        0x82, 0xa2, 'r', 't', 0x01, 0xa1, 'k', 0xa4, 'p', 'a', 'g', 'e'
    };
    unsigned char       meta[600], data[256];
    spoor_frame_meta_t  m;
    LZ4F_preferences_t  prefs;
    size_t              ml, dl;

    memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    dl = LZ4F_compressFrame(data, sizeof(data), rec, sizeof(rec), &prefs);
    cr_assert(!LZ4F_isError(dl));

    memset(&m, 0, sizeof(m));
    m.version = 1;
    strcpy(m.host, "forged");
    m.writer_id = wid;
    m.seq = seq;
    m.records = 1;
    m.frame_bytes = dl;
    m.content_bytes = sizeof(rec);
    ml = spoor_meta_encode(&m, meta, sizeof(meta));
    cr_assert_gt(ml, 0);
    cr_assert_eq(fwrite(meta, 1, ml, f), ml);
    cr_assert_eq(fwrite(data, 1, dl, f), dl);
}


Test(cli, verify_counts_gaps_and_repeats_without_wrapping)
{
    char   path[128];
    FILE  *f;
    run_t  r;

    /* two writers whose gaps add up to exactly 2^64: must not read as 0 */
    snprintf(path, sizeof(path), "%s/forged", dir);
    f = fopen(path, "wb");
    cr_assert_not_null(f);
    put_frame(f, 1, 0);
    put_frame(f, 1, (1ull << 63) + 1);
    put_frame(f, 2, 0);
    put_frame(f, 2, (1ull << 63) + 1);
    fclose(f);

    r = run("$S verify $D/forged");
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert_not_null(strstr(r.out, "DAMAGED"), "%s", r.out);
    free(r.out);

    f = fopen(path, "wb");
    put_frame(f, 7, 0);
    put_frame(f, 7, 1);
    put_frame(f, 7, 1);
    put_frame(f, 7, 3);
    fclose(f);
    r = run("$S verify $D/forged");
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert_not_null(strstr(r.out, "seq 0..3, 1 missing, 1 repeated"),
                       "%s", r.out);
    free(r.out);
}
