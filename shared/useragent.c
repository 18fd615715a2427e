/*
 * useragent.c -- browser family of a User-Agent (useragent.h).
 */
#include <string.h>
#include "useragent.h"

static int
lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}


/* Whether tok occurs in s[0 .. len); nocase: ASCII case-insensitively
 * (tok then lowercase). */
static int
has(const char *s, size_t len, const char *tok, int nocase)
{
    size_t  i, j, n = strlen(tok);

    if (n > len) {
        return 0;
    }

    for (i = 0; i + n <= len; i++) {
        for (j = 0; j < n; j++) {
            int  c = (unsigned char) s[i + j];

            if ((nocase ? lower(c) : c) != (unsigned char) tok[j]) {
                break;
            }
        }
        if (j == n) {
            return 1;
        }
    }
    return 0;
}


const char *
spoor_browser_family(const char *ua, size_t len)
{
    if (ua == NULL || len == 0) {
        return "Other";
    }

    if (has(ua, len, "bot", 1) || has(ua, len, "crawl", 1)
        || has(ua, len, "spider", 1) || has(ua, len, "slurp", 1))
    {
        return "Bot";
    }
    if (has(ua, len, "Edg/", 0) || has(ua, len, "EdgA/", 0)
        || has(ua, len, "EdgiOS/", 0))
    {
        return "Edge";
    }
    if (has(ua, len, "OPR/", 0) || has(ua, len, "Opera", 0)) {
        return "Opera";
    }
    if (has(ua, len, "SamsungBrowser/", 0)) {
        return "Samsung Internet";
    }
    if (has(ua, len, "Firefox/", 0) || has(ua, len, "FxiOS/", 0)) {
        return "Firefox";
    }
    if (has(ua, len, "CriOS/", 0) || has(ua, len, "Chrome/", 0)
        || has(ua, len, "Chromium/", 0))
    {
        return "Chrome";
    }
    if (has(ua, len, "Safari/", 0)
        || (has(ua, len, "AppleWebKit/", 0) && has(ua, len, "Mobile/", 0)))
    {
        return "Safari";
    }
    if (has(ua, len, "MSIE ", 0) || has(ua, len, "Trident/", 0)) {
        return "Internet Explorer";
    }
    return "Other";
}
