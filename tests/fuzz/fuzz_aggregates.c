/*
 * fuzz_aggregates.c -- libFuzzer target: any bytes as one event record,
 * then the aggregates' keys of the event (aggregates.h), which parse its
 * URL, referrer and campaign: every key is within AGG_KEY_MAX, holds no
 * NUL byte, starts with one of the documented prefixes, and a name cut by
 * agg_cut() never ends inside a UTF-8 character it began.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "aggregates.h"
#include "error.h"
#include "event.h"
#include "useragent.h"

static const char *const  prefixes[] = {
    "dk:", "dn:", "dc:", "tp:", "tr:", "tc:", "tb:", "td:"
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    spoor_event_t   ev;
    agg_scratch_t   s;
    agg_key_t       k[AGG_EVENT_KEYS];
    size_t          n, i, j, c;
    const char     *browser = NULL;

    /* agg_cut on the raw bytes, at every bound up to their length */
    for (j = 0; j <= size && j <= 80; j++) {
        c = agg_cut((const char *) data, size, j);
        if (c > j || c > size || memchr(data, 0, c) != NULL
            || (c < size && c > 0 && c < j && (data[c] & 0xc0) == 0x80))
        {
            abort();
        }
    }

    if (spoor_event_decode(data, size, &ev) != SPOOR_OK) {
        return 0;
    }
    if (ev.user_agent.data) {
        browser = spoor_browser_family(ev.user_agent.data, ev.user_agent.len);
    }
    agg_scratch_init(&s);
    n = agg_event_keys(&s, &ev, browser, browser ? "desktop" : NULL, k);
    if (n > AGG_EVENT_KEYS) {
        abort();
    }
    for (i = 0; i < n; i++) {
        if (k[i].len < 3 || k[i].len > AGG_KEY_MAX
            || memchr(k[i].key, 0, k[i].len) != NULL)
        {
            abort();
        }
        for (j = 0; j < sizeof(prefixes) / sizeof(prefixes[0]); j++) {
            if (memcmp(k[i].key, prefixes[j], 3) == 0) {
                break;
            }
        }
        if (j == sizeof(prefixes) / sizeof(prefixes[0])) {
            abort();
        }
    }
    return 0;
}
