/*
 * useragent.c -- browser family of a User-Agent (useragent.h).
 */
#include <string.h>
#include "useragent.h"

/* Agents longer than this are looked at in their first this many bytes
 * (real ones have 100 to 300). */
#define UA_SCAN_MAX  1024


const char *
spoor_browser_family(const char *ua, size_t len)
{
    char    buf[UA_SCAN_MAX + 1], low[UA_SCAN_MAX + 1];
    size_t  i;

    if (ua == NULL || len == 0) {
        return "Other";
    }

    /* NUL-terminated copies (a NUL inside ends the scan): the original
     * for the case-sensitive tokens, a lowercase one for the others; then
     * each token is one strstr() */
    if (len > UA_SCAN_MAX) {
        len = UA_SCAN_MAX;
    }
    for (i = 0; i < len; i++) {
        char  c = ua[i];

        buf[i] = c;
        low[i] = (char) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    buf[len] = low[len] = '\0';

#define has(s, l, tok, nocase)  (strstr((nocase) ? low : buf, (tok)) != NULL)

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
#undef has
}
