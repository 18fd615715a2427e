/*
 * cmd_recover.c -- `spoor recover`: roll a state whose current generation
 * is missing or damaged back to the newest intact one, without editing a
 * file by hand.
 *
 * Every snapshot tried is verified whole (every checksum) before it is
 * trusted; the damaged ones newer than the one taken are kept as
 * gen-NNNNNN.snap.damaged for inspection.  The rolled-back generation
 * gets every tombstone of the erasure journal it lacks, and a new
 * generation is written from it at once (its lineage says what was
 * recovered from what), so no erased profile comes back.  The frames of
 * the lost generations are not in the recovered frame set: giving the
 * same logs to `spoor ingest` again applies them once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "json_out.h"
#include "error.h"
#include "state.h"


static void
usage(FILE *f)
{
    fprintf(f,
        "usage: spoor recover --state DIR [--json]\n"
        "\n"
        "When the current generation of DIR is missing or damaged, rolls\n"
        "back to the newest intact one (verified whole), keeps the damaged\n"
        "snapshots as gen-NNNNNN.snap.damaged, applies the erasure journal\n"
        "and writes a new generation from it.  Ingest the logs again\n"
        "afterwards: what the lost generations had applied is applied once.\n"
        "With an intact state it changes nothing.\n"
        "\n"
        "exit codes: 0 recovered or intact, 2 usage, 3 no intact generation\n"
        "or the new one could not be written\n");
}


/* The --json line: the generation, then "intact":true, or the profiles
 * written and the lineage member. */
static void
print_json(uint32_t gen, int intact, size_t profiles, const char *member)
{
    json_out_t  j;

    if (json_out_init(&j, stdout) != 0) {
        fprintf(stderr, "spoor recover: out of memory\n");
        return;
    }
    json_out_map_open(&j);
    json_out_cstr(&j, "generation");
    json_out_uint(&j, gen);
    if (intact) {
        json_out_cstr(&j, "intact");
        json_out_bool(&j, 1);
    } else {
        json_out_cstr(&j, "profiles");
        json_out_uint(&j, profiles);
        json_out_splice(&j, member, strlen(member));
    }
    json_out_map_close(&j);
    json_out_line(&j);
    json_out_free(&j);
}


int
cmd_recover(int argc, char **argv)
{
    state_cli_t  cli;
    state_t      st;
    int          first, exit_code = EXIT_OK;
    char         err[1024], *line = NULL;
    size_t       profiles;
    uint64_t     bytes;
    uint32_t     from;

    first = cli_open_state(argc, argv, "recover", &cli, &st, STATE_RECOVER);
    if (first == -100) {
        usage(stdout);
        settings_free(&cli.set);
        return EXIT_OK;
    }
    if (first < 0) {
        settings_free(&cli.set);
        return -first;
    }
    if (first < argc) {
        fprintf(stderr, "spoor recover: unexpected argument '%s'\n",
                argv[first]);
        exit_code = EXIT_USAGE;
        goto done;
    }

    from = st.recovered_from;
    if (from == 0 && !st.erased_in_run && st.nrequests == 0) {
        if (cli.json) {
            print_json(st.gen, 1, 0, NULL);
        } else {
            printf("spoor recover: %s is intact: generation %" PRIu32
                   " is current\n", cli.dir, st.gen);
        }
        goto done;
    }
    if (st.gen == 0) {
        fprintf(stderr, "spoor recover: %s: no generation to recover\n",
                cli.dir);
        exit_code = EXIT_IO;
        goto done;
    }

    {
        static const char *const  keys[] = { "from", "to", "journal_erased" };
        uint64_t                  vals[] = {
            from == 0 || from == UINT32_MAX ? CLI_NULL : from, st.gen,
            st.journal_applied
        };

        line = cli_lineage_member("recover", keys, vals, 3);
    }
    if (line == NULL) {
        fprintf(stderr, "spoor recover: out of memory; nothing written\n");
        exit_code = EXIT_IO;
        goto done;
    }
    if (state_commit(&st, line, &profiles, &bytes, err, sizeof(err))
        != SPOOR_OK)
    {
        fprintf(stderr, "spoor recover: %s\n", err);
        exit_code = EXIT_IO;
        goto done;
    }
    if (cli.json) {
        print_json(st.gen, 0, profiles, line);
    } else {
        printf("spoor recover: rolled back to the newest intact generation; "
               "generation %" PRIu32 " written (%zu profiles, %" PRIu64
               " erased from the journal); ingest the logs again to apply "
               "what was lost\n", st.gen, profiles, st.journal_applied);
    }

done:
    free(line);
    state_close(&st);
    settings_free(&cli.set);
    return exit_code;
}
