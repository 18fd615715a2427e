/*
 * useragent.h -- the browser family of a User-Agent header: what an
 * anonymous record keeps of the agent, and what a profile's context
 * shows.
 *
 * A family is a short constant name, decided by the first rule that
 * matches, in this order (tokens matched case-sensitively unless noted):
 *   "Bot"                "bot", "crawl", "spider", "slurp" (any case)
 *   "Edge"               "Edg/", "EdgA/", "EdgiOS/"
 *   "Opera"              "OPR/", "Opera"
 *   "Samsung Internet"   "SamsungBrowser/"
 *   "Firefox"            "Firefox/", "FxiOS/"
 *   "Chrome"             "CriOS/", "Chrome/", "Chromium/"
 *   "Safari"             "Safari/", or "AppleWebKit/" with "Mobile/"
 *   "Internet Explorer"  "MSIE ", "Trident/"
 *   "Other"              anything else, also an empty agent
 * (Chrome's agent also says Safari, Edge's and Opera's also say Chrome:
 * hence the order.)  Only the first 1024 bytes are looked at.  Pure;
 * linear in len times the number of tokens.
 */
#ifndef SPOOR_USERAGENT_H
#define SPOOR_USERAGENT_H

#include <stddef.h>

/* The family of ua[0 .. len); never NULL.  ua may be NULL when len is 0. */
const char *spoor_browser_family(const char *ua, size_t len);

#endif /* SPOOR_USERAGENT_H */
