/*
 * fuzz_lineage.c -- libFuzzer target: any bytes as a lineage entry
 * (lineage.h), checked in memory and read from a file (a memfd opened
 * as /proc/self/fd/N), and any bytes as a lineage file name.
 *
 * The generation an entry is checked against: 1 first; when the entry is
 * refused only because it names another generation, again with that one
 * (so intact entries of any generation reach the member checks).  Checks
 * beyond "no crash, no leak, no sanitizer report":
 *   - only the documented codes, a reason with every refusal;
 *   - lineage_load of the same bytes gives the same answer and, when
 *     intact, exactly the bytes;
 *   - an intact entry is refused as the next generation's, with a byte
 *     of garbage after it, and without its closing brace.
 */
#define _GNU_SOURCE                 /* memfd_create, memrchr */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "error.h"
#include "lineage.h"

static int   memfd = -1;
static char  path[64];


static int
check(const uint8_t *data, size_t size, uint32_t gen, char *err,
    size_t errlen)
{
    int  rc;

    err[0] = '\0';
    rc = lineage_check((const char *) data, size, gen, err, errlen);
    if ((rc != SPOOR_OK && rc != SPOOR_E_FORMAT && rc != SPOOR_E_NOMEM)
        || (rc != SPOOR_OK && err[0] == '\0'))
    {
        abort();
    }
    return rc;
}


/* lineage_load of the same bytes agrees with lineage_check. */
static void
load(const uint8_t *data, size_t size, uint32_t gen, int want)
{
    char    err[256], *text;
    size_t  len;
    int     rc;

    if (ftruncate(memfd, 0) != 0
        || (size > 0 && pwrite(memfd, data, size, 0) != (ssize_t) size))
    {
        abort();
    }
    rc = lineage_load(path, gen, &text, &len, err, sizeof(err));
    if (rc != want) {
        abort();
    }
    if (rc == SPOOR_OK) {
        if (len != size || memcmp(text, data, size) != 0
            || text[len] != '\0')
        {
            abort();
        }
        free(text);
    } else if (text != NULL) {
        abort();
    }
}


/* What an intact entry of generation gen must not survive. */
static void
damage(const uint8_t *data, size_t size, uint32_t gen)
{
    char            err[256];
    unsigned char  *copy;
    const uint8_t  *brace;

    if (gen < UINT32_MAX && check(data, size, gen + 1, err, sizeof(err))
        != SPOOR_E_FORMAT)
    {
        abort();
    }
    copy = malloc(size + 1);
    if (copy == NULL) {
        abort();
    }
    memcpy(copy, data, size);
    copy[size] = 'x';
    if (check(copy, size + 1, gen, err, sizeof(err)) != SPOOR_E_FORMAT) {
        abort();
    }
    brace = memrchr(data, '}', size);
    if (brace == NULL
        || check(data, (size_t) (brace - data), gen, err, sizeof(err))
           != SPOOR_E_FORMAT)
    {
        abort();
    }
    free(copy);
}


static void
name(const uint8_t *data, size_t size)
{
    char      n[16];
    uint32_t  g = 0;
    size_t    len = size < sizeof(n) - 1 ? size : sizeof(n) - 1;
    size_t    i, digits;

    memcpy(n, data, len);
    n[len] = '\0';
    if (lineage_name_gen(n, &g)) {
        /* six digits, or seven to ten without a leading zero
         * (gen_name.h), then ".json" */
        digits = strlen(n) >= 5 ? strlen(n) - 5 : 0;
        if (digits < 6 || digits > 10 || strcmp(n + digits, ".json") != 0
            || (digits > 6 && n[0] == '0'))
        {
            abort();
        }
        for (i = 0; i < digits; i++) {
            if (n[i] < '0' || n[i] > '9') {
                abort();
            }
        }
        if (g == 0 || g != strtoull(n, NULL, 10)) {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char           err[256];
    unsigned long  other;
    uint32_t       gen = 1;
    int            rc;

    if (memfd < 0) {
        memfd = memfd_create("fuzz_lineage", MFD_CLOEXEC);
        if (memfd < 0) {
            abort();
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
    }

    rc = check(data, size, gen, err, sizeof(err));
    if (rc == SPOOR_E_FORMAT
        && sscanf(err, "\"generation\" is %lu, the file is generation",
                  &other) == 1
        && other <= UINT32_MAX)
    {
        gen = (uint32_t) other;
        rc = check(data, size, gen, err, sizeof(err));
    }
    if (rc != SPOOR_E_NOMEM) {
        load(data, size, gen, rc);
    }
    if (rc == SPOOR_OK) {
        damage(data, size, gen);
    }
    name(data, size);
    return 0;
}
