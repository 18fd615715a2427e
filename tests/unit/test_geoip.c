/*
 * test_geoip.c -- MaxMind database lookups (shared/geoip.h).
 *
 * The databases come from tests/fixtures/make_geo_db.pl, written into the
 * directory named by SPOOR_GEO_TESTDATA (`make test` sets it; see
 * tests/fixtures/README.md for what each network holds).  The tests in the
 * "maxmind" suite also read MaxMind's own test databases from
 * ../shared/testdata/maxmind/ (relative to the repository root, or
 * SPOOR_MAXMIND_TESTDATA), and are skipped when that directory is absent.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <msgpack.h>
#include "error.h"
#include "buf.h"
#include "event.h"
#include "ipaddr.h"
#include "geoip.h"

#define GEO_EPOCH          1767225600u     /* make_geo_db.pl's build epoch */
#define GEO_STRINGS_CAP    SPOOR_GEO_STRINGS_MAX
#define GEO_MAXMIND_DIR    "../shared/testdata/maxmind"

/* ---- helpers ------------------------------------------------------------ */

static int
geo_is_dir(const char *path)
{
    struct stat  st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The path of fixture `name`; fails the test when the fixtures are not there. */
static const char *
geo_path(const char *name)
{
    static char  path[PATH_MAX];
    const char  *dir = getenv("SPOOR_GEO_TESTDATA");
    struct stat  st;
    int          n;

    cr_assert(dir != NULL && *dir != '\0',
              "SPOOR_GEO_TESTDATA is not set: run `make test`, or "
              "`perl tests/fixtures/make_geo_db.pl DIR` and set "
              "SPOOR_GEO_TESTDATA=DIR");
    cr_assert(geo_is_dir(dir), "SPOOR_GEO_TESTDATA=%s is not a directory "
              "(generate it with perl tests/fixtures/make_geo_db.pl %s)",
              dir, dir);
    n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    cr_assert(n > 0 && (size_t) n < sizeof(path), "path too long");
    cr_assert(stat(path, &st) == 0, "fixture %s is missing "
              "(regenerate with perl tests/fixtures/make_geo_db.pl %s)",
              path, dir);
    return path;
}

static spoor_geoip_t *
geo_open_path(const char *path)
{
    spoor_geoip_t  *db = NULL;
    const char     *err = NULL;
    int             rc;

    rc = spoor_geoip_open(path, &db, &err);
    cr_assert_eq(rc, SPOOR_OK, "open %s: rc %d (%s)", path, rc,
                 err ? err : "no message");
    cr_assert_not_null(db, "open %s: no handle", path);
    return db;
}

static spoor_geoip_t *
geo_open(const char *name)
{
    return geo_open_path(geo_path(name));
}

/* Text address -> 4 or 16 bytes */
static size_t
geo_ip(const char *text, unsigned char ip[16])
{
    if (inet_pton(AF_INET, text, ip) == 1) {
        return 4;
    }
    cr_assert_eq(inet_pton(AF_INET6, text, ip), 1, "bad address %s", text);
    return 16;
}

static spoor_geo_opts_t
geo_opts(unsigned precision, int postal)
{
    spoor_geo_opts_t  o;

    memset(&o, 0, sizeof(o));
    o.precision = precision;
    o.postal = postal;
    return o;
}

/* One lookup of a text address with its own strings buffer `mem`. */
static int
geo_lookup(const spoor_geoip_t *city, const spoor_geoip_t *asn,
    const char *text, unsigned precision, int postal, spoor_geo_t *geo,
    spoor_buf_t *strings, unsigned char *mem)
{
    unsigned char     ip[16];
    size_t            len = geo_ip(text, ip);
    spoor_geo_opts_t  o = geo_opts(precision, postal);

    spoor_buf_init(strings, mem, GEO_STRINGS_CAP);
    memset(geo, 0x5a, sizeof(*geo));
    return spoor_geoip_lookup(city, asn, ip, len, &o, geo, strings);
}

static void
geo_str_eq(const char *what, const char *ip, spoor_str_t got, const char *want)
{
    if (want == NULL) {
        cr_assert_null(got.data, "%s %s: \"%.*s\", expected absent", ip, what,
                       (int) got.len, got.data ? got.data : "");
        return;
    }
    cr_assert_not_null(got.data, "%s %s: absent, expected \"%s\"", ip, what,
                       want);
    cr_assert(got.len == strlen(want) && memcmp(got.data, want, got.len) == 0,
              "%s %s: \"%.*s\", expected \"%s\"", ip, what, (int) got.len,
              got.data, want);
}

/* A string slice lies inside the strings buffer's used bytes. */
static void
geo_str_in(const char *what, spoor_str_t s, const spoor_buf_t *b)
{
    if (s.data == NULL) {
        return;
    }
    cr_assert((const unsigned char *) s.data >= b->data
              && (const unsigned char *) s.data + s.len <= b->data + b->len,
              "%s does not point into the strings buffer", what);
}

static void
geo_strs_in(const spoor_geo_t *g, const spoor_buf_t *b)
{
    geo_str_in("country", g->country, b);
    geo_str_in("continent", g->continent, b);
    geo_str_in("region", g->region, b);
    geo_str_in("city", g->city, b);
    geo_str_in("postal", g->postal, b);
    geo_str_in("timezone", g->timezone, b);
    geo_str_in("as_org", g->as_org, b);
}

/* What a lookup should give; NULL strings and 0 numbers mean absent. */
typedef struct {
    const char  *country, *continent, *region, *city, *postal, *timezone;
    const char  *as_org;
    int          eu;
    int          has_location;
    double       latitude, longitude;
    uint32_t     accuracy_km;
    uint32_t     asn;
} geo_want_t;

static void
geo_check(const char *ip, const spoor_geo_t *g, const geo_want_t *w)
{
    geo_str_eq("country", ip, g->country, w->country);
    geo_str_eq("continent", ip, g->continent, w->continent);
    geo_str_eq("region", ip, g->region, w->region);
    geo_str_eq("city", ip, g->city, w->city);
    geo_str_eq("postal", ip, g->postal, w->postal);
    geo_str_eq("timezone", ip, g->timezone, w->timezone);
    geo_str_eq("as_org", ip, g->as_org, w->as_org);
    cr_assert_eq(g->eu, w->eu, "%s eu: %d, expected %d", ip, g->eu, w->eu);
    cr_assert_eq(g->has_location != 0, w->has_location != 0,
                 "%s has_location: %d, expected %d", ip, g->has_location,
                 w->has_location);
    if (w->has_location) {
        cr_assert(g->latitude == w->latitude, "%s latitude: %.17g, "
                  "expected %.17g", ip, g->latitude, w->latitude);
        cr_assert(g->longitude == w->longitude, "%s longitude: %.17g, "
                  "expected %.17g", ip, g->longitude, w->longitude);
    }
    cr_assert_eq(g->accuracy_km, w->accuracy_km, "%s accuracy_km: %u, "
                 "expected %u", ip, (unsigned) g->accuracy_km,
                 (unsigned) w->accuracy_km);
    cr_assert_eq(g->asn, w->asn, "%s asn: %u, expected %u", ip,
                 (unsigned) g->asn, (unsigned) w->asn);
}

/* Looks up text and checks every field against w. */
static void
geo_expect(const spoor_geoip_t *city, const spoor_geoip_t *asn,
    const char *text, unsigned precision, int postal, const geo_want_t *w)
{
    unsigned char  mem[GEO_STRINGS_CAP];
    spoor_buf_t    b;
    spoor_geo_t    g;
    int            rc;

    rc = geo_lookup(city, asn, text, precision, postal, &g, &b, mem);
    cr_assert_eq(rc, 1, "%s: lookup rc %d, expected 1", text, rc);
    geo_strs_in(&g, &b);
    geo_check(text, &g, w);
}

/* Two lookups gave the same fields (strings compared by content). */
static void
geo_assert_same(const spoor_geo_t *a, const spoor_geo_t *b)
{
    geo_want_t  w;
    char        s[7][64];
    const spoor_str_t  *f[7] = { &b->country, &b->continent, &b->region,
                                 &b->city, &b->postal, &b->timezone,
                                 &b->as_org };
    const char *p[7];
    int         i;

    for (i = 0; i < 7; i++) {
        p[i] = NULL;
        if (f[i]->data) {
            cr_assert(f[i]->len < sizeof(s[i]));
            memcpy(s[i], f[i]->data, f[i]->len);
            s[i][f[i]->len] = '\0';
            p[i] = s[i];
        }
    }
    memset(&w, 0, sizeof(w));
    w.country = p[0];
    w.continent = p[1];
    w.region = p[2];
    w.city = p[3];
    w.postal = p[4];
    w.timezone = p[5];
    w.as_org = p[6];
    w.eu = b->eu;
    w.has_location = b->has_location;
    w.latitude = b->latitude;
    w.longitude = b->longitude;
    w.accuracy_km = b->accuracy_km;
    w.asn = b->asn;
    geo_check("(same)", a, &w);
}

/* ---- expected records (tests/fixtures/README.md) ------------------------ */

static const geo_want_t  want_london = {
    .country = "GB", .continent = "EU", .region = "ENG", .city = "London",
    .postal = "SW1A", .timezone = "Europe/London",
    .as_org = "Andrews & Arnold Ltd",
    .eu = 0, .has_location = 1, .latitude = 51.51, .longitude = -0.09,
    .accuracy_km = 10, .asn = 20712
};

static const geo_want_t  want_linkoping = {
    .country = "SE", .continent = "EU", .region = "E",
    .city = "Link\xc3\xb6ping", .postal = "583 30",
    .timezone = "Europe/Stockholm", .as_org = "Bredband2 AB",
    .eu = 1, .has_location = 1, .latitude = 58.42, .longitude = 15.62,
    .accuracy_km = 76, .asn = 29518
};

static const geo_want_t  want_san_diego = {
    .country = "US", .continent = "NA", .region = "CA", .city = "San Diego",
    .postal = "92101", .timezone = "America/Los_Angeles", .as_org = "DoD",
    .eu = 0, .has_location = 1, .latitude = 32.72, .longitude = -117.16,
    .accuracy_km = 20, .asn = 668
};

/* ---- open, type, build epoch ------------------------------------------- */

Test(geoip, open_reports_type_and_build_epoch)
{
    static const struct { const char *file, *type; }  dbs[] = {
        { "city.mmdb", "GeoIP2-City" },
        { "country.mmdb", "GeoIP2-Country" },
        { "asn.mmdb", "GeoLite2-ASN" },
    };
    spoor_geoip_t  *db;
    const char     *type;
    size_t          i;

    for (i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
        db = geo_open(dbs[i].file);
        type = spoor_geoip_type(db);
        cr_assert_not_null(type, "%s: no type", dbs[i].file);
        cr_assert_str_eq(type, dbs[i].type, "%s: type %s, expected %s",
                         dbs[i].file, type, dbs[i].type);
        cr_assert_eq(spoor_geoip_build_epoch(db), (uint64_t) GEO_EPOCH,
                     "%s: build epoch %llu", dbs[i].file,
                     (unsigned long long) spoor_geoip_build_epoch(db));
        spoor_geoip_close(db);
    }
}

Test(geoip, close_null_is_harmless)
{
    spoor_geoip_close(NULL);
}

Test(geoip, open_refuses_what_is_not_a_database)
{
    static const char *const  bad[] = {
        "corrupt.mmdb", "empty.mmdb", "notadb.mmdb"
    };
    char            missing[PATH_MAX], dir[PATH_MAX - 64];
    const char     *paths[5];
    spoor_geoip_t  *db;
    const char     *err;
    size_t          i;
    int             rc;

    for (i = 0; i < 3; i++) {
        paths[i] = strdup(geo_path(bad[i]));
        cr_assert_not_null(paths[i]);
    }
    snprintf(dir, sizeof(dir), "%s", geo_path("city.mmdb"));
    *strrchr(dir, '/') = '\0';
    snprintf(missing, sizeof(missing), "%s/no-such-file.mmdb", dir);
    paths[3] = missing;
    paths[4] = dir;                     /* a directory */

    for (i = 0; i < 5; i++) {
        db = NULL;
        err = NULL;
        rc = spoor_geoip_open(paths[i], &db, &err);
        cr_assert_lt(rc, 0, "%s: rc %d, expected an error", paths[i], rc);
        cr_assert_not_null(err, "%s: rc %d without a message", paths[i], rc);
        cr_assert_gt(strlen(err), 0, "%s: empty message", paths[i]);
        if (db != NULL) {
            cr_assert_fail("%s: rc %d but a handle was set", paths[i], rc);
        }
    }
    for (i = 0; i < 3; i++) {
        free((void *) paths[i]);
    }
}

/* ---- city records -------------------------------------------------------- */

Test(geoip, full_record_every_field)
{
    spoor_geoip_t  *city = geo_open("city.mmdb");
    spoor_geoip_t  *asn = geo_open("asn.mmdb");

    geo_expect(city, asn, "81.2.69.142", 2, 1, &want_london);
    /* first and last address of 81.2.69.0/24 */
    geo_expect(city, asn, "81.2.69.0", 2, 1, &want_london);
    geo_expect(city, asn, "81.2.69.255", 2, 1, &want_london);
    geo_expect(city, asn, "89.160.20.115", 2, 1, &want_linkoping);
    spoor_geoip_close(city);
    spoor_geoip_close(asn);
}

Test(geoip, postal_code_only_when_asked)
{
    spoor_geoip_t  *city = geo_open("city.mmdb");
    geo_want_t      w = want_london;

    w.postal = NULL;
    w.as_org = NULL;
    w.asn = 0;
    geo_expect(city, NULL, "81.2.69.142", 2, 0, &w);
    w.postal = "SW1A";
    geo_expect(city, NULL, "81.2.69.142", 2, 1, &w);
    spoor_geoip_close(city);
}

Test(geoip, record_without_postal_code)
{
    spoor_geoip_t     *city = geo_open("city.mmdb");
    const geo_want_t   w = {
        .country = "GB", .continent = "EU", .region = "ENG",
        .city = "Boxford", .timezone = "Europe/London",
        .eu = 0, .has_location = 1, .latitude = 51.75, .longitude = -1.25,
        .accuracy_km = 100
    };

    geo_expect(city, NULL, "2.125.160.217", 2, 1, &w);
    spoor_geoip_close(city);
}

Test(geoip, coordinates_rounded_to_precision)
{
    static const struct {
        const char  *ip;
        unsigned     precision;
        double       lat, lon;
    } t[] = {
        { "81.2.69.1", 0, 52, -0.0 },
        { "81.2.69.1", 1, 51.5, -0.1 },
        { "81.2.69.1", 2, 51.51, -0.09 },
        { "81.2.69.1", 3, 51.514, -0.093 },
        { "81.2.69.1", 6, 51.5142, -0.0931 },
        { "89.160.20.200", 0, 59, 18 },
        { "89.160.20.200", 1, 59.3, 18.1 },
        { "89.160.20.200", 2, 59.33, 18.06 },
        { "89.160.20.200", 3, 59.333, 18.065 },
        { "89.160.20.200", 4, 59.3326, 18.0649 },
        { "89.160.20.200", 6, 59.33258, 18.0649 },
        { "89.160.20.115", 0, 58, 16 },
        { "89.160.20.115", 1, 58.4, 15.6 },
        { "89.160.20.115", 6, 58.4167, 15.6167 },
        { "2001:480::1", 0, 33, -117 },
        { "2001:480::1", 1, 32.7, -117.2 },
        { "2001:480::1", 2, 32.72, -117.16 },
        { "2001:480::1", 6, 32.7157, -117.1647 },
        { "2a02:cf40::1", 0, 62, 10 },
        { "2a02:cf40::1", 6, 62, 10 },
    };
    spoor_geoip_t  *city = geo_open("city.mmdb");
    unsigned char   mem[GEO_STRINGS_CAP];
    spoor_buf_t     b;
    spoor_geo_t     g;
    size_t          i;
    int             rc;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        rc = geo_lookup(city, NULL, t[i].ip, t[i].precision, 0, &g, &b, mem);
        cr_assert_eq(rc, 1, "%s: rc %d", t[i].ip, rc);
        cr_assert(g.has_location, "%s precision %u: no location", t[i].ip,
                  t[i].precision);
        /* exact: the nearest double to the rounded decimal, so that it
         * prints as that decimal */
        cr_assert(g.latitude == t[i].lat, "%s precision %u: latitude %.17g, "
                  "expected %.17g", t[i].ip, t[i].precision, g.latitude,
                  t[i].lat);
        cr_assert(g.longitude == t[i].lon, "%s precision %u: longitude %.17g,"
                  " expected %.17g", t[i].ip, t[i].precision, g.longitude,
                  t[i].lon);
        cr_assert_neq(g.accuracy_km, 0, "%s: no accuracy", t[i].ip);
    }
    spoor_geoip_close(city);
}

Test(geoip, eu_membership)
{
    static const struct { const char *ip; int eu; }  t[] = {
        { "89.160.20.115", 1 },   /* SE, is_in_european_union true */
        { "89.160.20.200", 1 },
        { "217.65.48.3", 1 },     /* DE, country only */
        { "81.2.69.1", 0 },       /* GB, flag absent */
        { "2a02:cf40::1", 0 },    /* NO, flag absent */
        { "175.16.199.9", 0 },    /* CN, flag absent */
    };
    spoor_geoip_t  *city = geo_open("city.mmdb");
    unsigned char   mem[GEO_STRINGS_CAP];
    spoor_buf_t     b;
    spoor_geo_t     g;
    size_t          i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        cr_assert_eq(geo_lookup(city, NULL, t[i].ip, 1, 0, &g, &b, mem), 1,
                     "%s", t[i].ip);
        cr_assert_eq(g.eu, t[i].eu, "%s: eu %d, expected %d", t[i].ip, g.eu,
                     t[i].eu);
    }
    spoor_geoip_close(city);
}

Test(geoip, country_only_record)
{
    spoor_geoip_t     *city = geo_open("city.mmdb");
    const geo_want_t   cn = {
        .country = "CN", .continent = "AS", .eu = 0, .has_location = 0
    };
    const geo_want_t   de = {
        .country = "DE", .continent = "EU", .eu = 1, .has_location = 0
    };

    geo_expect(city, NULL, "175.16.199.9", 2, 1, &cn);
    geo_expect(city, NULL, "217.65.48.200", 2, 1, &de);
    spoor_geoip_close(city);
}

Test(geoip, location_without_city)
{
    spoor_geoip_t     *city = geo_open("city.mmdb");
    const geo_want_t   w = {
        .country = "NO", .continent = "EU", .timezone = "Europe/Oslo",
        .eu = 0, .has_location = 1, .latitude = 62, .longitude = 10,
        .accuracy_km = 100
    };

    geo_expect(city, NULL, "2a02:cf47:ffff:ffff:ffff:ffff:ffff:ffff", 2, 1,
               &w);
    spoor_geoip_close(city);
}

Test(geoip, registered_country_when_no_country)
{
    spoor_geoip_t  *city = geo_open("city.mmdb");
    /* geoip.h: eu is false when a country is known and has no flag */
    geo_want_t      w = { .country = "PH", .eu = 0 };

    geo_expect(city, NULL, "202.196.225.1", 2, 1, &w);
    spoor_geoip_close(city);
}

Test(geoip, registered_country_ignored_when_country_known)
{
    spoor_geoip_t  *city = geo_open("city.mmdb");
    spoor_geoip_t  *country = geo_open("country.mmdb");
    unsigned char   mem[GEO_STRINGS_CAP];
    spoor_buf_t     b;
    spoor_geo_t     g;

    /* 89.160.20.112/28 is in SE, registered in DE */
    cr_assert_eq(geo_lookup(city, NULL, "89.160.20.113", 2, 0, &g, &b, mem),
                 1);
    geo_str_eq("country", "89.160.20.113", g.country, "SE");
    cr_assert_eq(geo_lookup(country, NULL, "89.160.20.113", 2, 0, &g, &b,
                            mem), 1);
    geo_str_eq("country", "89.160.20.113", g.country, "SE");
    spoor_geoip_close(city);
    spoor_geoip_close(country);
}

Test(geoip, ipv6_full_record)
{
    spoor_geoip_t  *city = geo_open("city.mmdb");
    spoor_geoip_t  *asn = geo_open("asn.mmdb");

    geo_expect(city, asn, "2001:480::1", 2, 1, &want_san_diego);
    geo_expect(city, asn, "2001:480:ffff:ffff:ffff:ffff:ffff:ffff", 2, 1,
               &want_san_diego);
    spoor_geoip_close(city);
    spoor_geoip_close(asn);
}

Test(geoip, utf8_city_name_copied_exactly)
{
    spoor_geoip_t  *city = geo_open("city.mmdb");
    unsigned char   mem[GEO_STRINGS_CAP];
    spoor_buf_t     b;
    spoor_geo_t     g;

    cr_assert_eq(geo_lookup(city, NULL, "89.160.20.127", 2, 0, &g, &b, mem),
                 1);
    cr_assert_eq(g.city.len, 10, "city is %zu bytes", g.city.len);
    cr_assert_eq(memcmp(g.city.data, "Link\xc3\xb6ping", 10), 0);
    spoor_geoip_close(city);
}

Test(geoip, country_database)
{
    spoor_geoip_t     *country = geo_open("country.mmdb");
    spoor_geoip_t     *asn = geo_open("asn.mmdb");
    const geo_want_t   gb = {
        .country = "GB", .continent = "EU", .eu = 0,
        .as_org = "Andrews & Arnold Ltd", .asn = 20712
    };
    const geo_want_t   se = {
        .country = "SE", .continent = "EU", .eu = 1,
        .as_org = "Bredband2 AB", .asn = 29518
    };
    const geo_want_t   us = { .country = "US", .continent = "NA", .eu = 0 };
    const geo_want_t   ph = { .country = "PH", .eu = 0 };

    geo_expect(country, asn, "81.2.69.142", 2, 1, &gb);
    geo_expect(country, asn, "89.160.20.115", 2, 1, &se);
    geo_expect(country, NULL, "2001:480::1", 2, 1, &us);
    geo_expect(country, NULL, "202.196.225.1", 2, 1, &ph);
    spoor_geoip_close(country);
    spoor_geoip_close(asn);
}

/* ---- ASN ------------------------------------------------------------------- */

Test(geoip, asn_only)
{
    spoor_geoip_t  *asn = geo_open("asn.mmdb");
    geo_want_t      w = { .eu = -1 };

    w.asn = 20712;
    w.as_org = "Andrews & Arnold Ltd";
    geo_expect(NULL, asn, "81.2.69.142", 2, 1, &w);
    w.asn = 668;
    w.as_org = "DoD";
    geo_expect(NULL, asn, "2001:480::1", 2, 1, &w);
    w.asn = 29518;
    w.as_org = "Bredband2 AB";
    geo_expect(NULL, asn, "89.160.20.120", 2, 1, &w);
    spoor_geoip_close(asn);
}

Test(geoip, address_in_asn_database_only)
{
    spoor_geoip_t     *city = geo_open("city.mmdb");
    spoor_geoip_t     *asn = geo_open("asn.mmdb");
    const geo_want_t   w = {
        .eu = -1, .asn = 1221, .as_org = "Telstra Pty Ltd"
    };

    geo_expect(city, asn, "1.128.0.1", 2, 1, &w);
    geo_expect(city, asn, "1.159.255.255", 2, 1, &w);
    spoor_geoip_close(city);
    spoor_geoip_close(asn);
}

Test(geoip, address_in_city_database_only)
{
    spoor_geoip_t     *city = geo_open("city.mmdb");
    spoor_geoip_t     *asn = geo_open("asn.mmdb");
    const geo_want_t   w = {
        .country = "CN", .continent = "AS", .eu = 0
    };

    geo_expect(city, asn, "175.16.199.9", 2, 1, &w);
    spoor_geoip_close(city);
    spoor_geoip_close(asn);
}

/* ---- addresses ------------------------------------------------------------- */

Test(geoip, ipv4_mapped_address_normalized)
{
    static const unsigned char  mapped[16] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 81, 2, 69, 1
    };
    spoor_geoip_t     *city = geo_open("city.mmdb");
    spoor_geoip_t     *asn = geo_open("asn.mmdb");
    spoor_geo_opts_t   o = geo_opts(2, 1);
    unsigned char      m1[GEO_STRINGS_CAP], m2[GEO_STRINGS_CAP], ip[16];
    spoor_buf_t        b1, b2;
    spoor_geo_t        g1, g2;
    size_t             len;

    len = spoor_ip_normalize(mapped, 16, ip);
    cr_assert_eq(len, 4);
    spoor_buf_init(&b1, m1, sizeof(m1));
    cr_assert_eq(spoor_geoip_lookup(city, asn, ip, len, &o, &g1, &b1), 1);
    geo_check("::ffff:81.2.69.1", &g1, &want_london);

    cr_assert_eq(geo_lookup(city, asn, "81.2.69.1", 2, 1, &g2, &b2, m2), 1);
    geo_assert_same(&g1, &g2);
    cr_assert_eq(b1.len, b2.len, "strings %zu / %zu bytes", b1.len, b2.len);
    spoor_geoip_close(city);
    spoor_geoip_close(asn);
}

Test(geoip, address_in_no_network)
{
    static const char *const  ips[] = {
        "192.0.2.1", "81.2.70.0", "81.2.68.255", "0.0.0.0",
        "255.255.255.255", "2001:db8::1", "::", "2001:481::"
    };
    spoor_geoip_t     *city = geo_open("city.mmdb");
    spoor_geoip_t     *asn = geo_open("asn.mmdb");
    spoor_geoip_t     *country = geo_open("country.mmdb");
    spoor_geo_opts_t   o = geo_opts(2, 1);
    unsigned char      mem[GEO_STRINGS_CAP], ip[16];
    spoor_buf_t        b;
    spoor_geo_t        g, before;
    size_t             i, len;
    int                rc;

    for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
        len = geo_ip(ips[i], ip);
        memset(&g, 0xa5, sizeof(g));
        before = g;
        spoor_buf_init(&b, mem, sizeof(mem));
        b.len = 3;
        rc = spoor_geoip_lookup(city, asn, ip, len, &o, &g, &b);
        cr_assert_eq(rc, 0, "%s: rc %d, expected 0", ips[i], rc);
        cr_assert_eq(memcmp(&g, &before, sizeof(g)), 0, "%s: geo written",
                     ips[i]);
        cr_assert_eq(b.len, 3, "%s: strings len %zu", ips[i], b.len);
        rc = spoor_geoip_lookup(country, NULL, ip, len, &o, &g, &b);
        cr_assert_eq(rc, 0, "%s (country db): rc %d, expected 0", ips[i],
                     rc);
        cr_assert_eq(memcmp(&g, &before, sizeof(g)), 0, "%s: geo written",
                     ips[i]);
    }
    /* no database at all */
    len = geo_ip("81.2.69.1", ip);
    spoor_buf_init(&b, mem, sizeof(mem));
    memset(&g, 0xa5, sizeof(g));
    before = g;
    cr_assert_eq(spoor_geoip_lookup(NULL, NULL, ip, len, &o, &g, &b), 0);
    cr_assert_eq(memcmp(&g, &before, sizeof(g)), 0);
    cr_assert_eq(b.len, 0);
    spoor_geoip_close(city);
    spoor_geoip_close(asn);
    spoor_geoip_close(country);
}

Test(geoip, bad_address_length_refused)
{
    static const size_t  lens[] = { 0, 3, 5, 15, 17 };
    spoor_geoip_t       *city = geo_open("city.mmdb");
    spoor_geo_opts_t     o = geo_opts(2, 1);
    unsigned char        mem[GEO_STRINGS_CAP], ip[17];
    spoor_buf_t          b;
    spoor_geo_t          g, before;
    size_t               i;
    int                  rc;

    memset(ip, 0, sizeof(ip));
    ip[0] = 81; ip[1] = 2; ip[2] = 69; ip[3] = 1;
    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        spoor_buf_init(&b, mem, sizeof(mem));
        memset(&g, 0xa5, sizeof(g));
        before = g;
        rc = spoor_geoip_lookup(city, NULL, ip, lens[i], &o, &g, &b);
        cr_assert_lt(rc, 0, "length %zu: rc %d", lens[i], rc);
        cr_assert_eq(memcmp(&g, &before, sizeof(g)), 0);
        cr_assert_eq(b.len, 0);
    }
    spoor_geoip_close(city);
}

/* ---- the strings buffer ---------------------------------------------------- */

Test(geoip, strings_buffer_too_small)
{
    static const char *const  ips[] = {
        "81.2.69.1", "89.160.20.115", "2001:480::1", "1.128.0.1"
    };
    spoor_geoip_t     *city = geo_open("city.mmdb");
    spoor_geoip_t     *asn = geo_open("asn.mmdb");
    spoor_geo_opts_t   o = geo_opts(2, 1);
    unsigned char      mem[GEO_STRINGS_CAP], ip[16];
    spoor_buf_t        b;
    spoor_geo_t        g, before, want;
    size_t             i, need, cap, len;
    int                rc;

    for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
        len = geo_ip(ips[i], ip);
        /* what the strings take, after 3 bytes already in the buffer */
        spoor_buf_init(&b, mem, sizeof(mem));
        b.len = 3;
        cr_assert_eq(spoor_geoip_lookup(city, asn, ip, len, &o, &want, &b),
                     1);
        need = b.len;
        cr_assert_gt(need, 3, "%s: no strings", ips[i]);

        for (cap = 3; cap < need; cap++) {
            spoor_buf_init(&b, mem, cap);
            b.len = 3;
            memset(&g, 0xa5, sizeof(g));
            before = g;
            rc = spoor_geoip_lookup(city, asn, ip, len, &o, &g, &b);
            cr_assert_eq(rc, SPOOR_E_FULL, "%s cap %zu (need %zu): rc %d",
                         ips[i], cap, need, rc);
            cr_assert_eq(b.len, 3, "%s cap %zu: len %zu", ips[i], cap, b.len);
            cr_assert_eq(memcmp(&g, &before, sizeof(g)), 0,
                         "%s cap %zu: geo written", ips[i], cap);
        }
        /* exactly enough room */
        spoor_buf_init(&b, mem, need);
        b.len = 3;
        rc = spoor_geoip_lookup(city, asn, ip, len, &o, &g, &b);
        cr_assert_eq(rc, 1, "%s cap %zu: rc %d", ips[i], need, rc);
        cr_assert_eq(b.len, need);
        geo_strs_in(&g, &b);
        geo_assert_same(&g, &want);
    }
    spoor_geoip_close(city);
    spoor_geoip_close(asn);
}

Test(geoip, strings_appended_after_existing_bytes)
{
    spoor_geoip_t     *city = geo_open("city.mmdb");
    spoor_geo_opts_t   o = geo_opts(2, 1);
    unsigned char      mem[GEO_STRINGS_CAP], ip[16];
    spoor_buf_t        b;
    spoor_geo_t        g1, g2;
    size_t             len, first;

    /* two lookups into one buffer: the first one's strings stay intact */
    spoor_buf_init(&b, mem, sizeof(mem));
    memcpy(mem, "abc", 3);
    b.len = 3;
    len = geo_ip("81.2.69.1", ip);
    cr_assert_eq(spoor_geoip_lookup(city, NULL, ip, len, &o, &g1, &b), 1);
    first = b.len;
    len = geo_ip("2001:480::1", ip);
    cr_assert_eq(spoor_geoip_lookup(city, NULL, ip, len, &o, &g2, &b), 1);
    cr_assert_gt(b.len, first);
    cr_assert_eq(memcmp(mem, "abc", 3), 0, "bytes before the strings changed");
    geo_str_eq("city", "81.2.69.1", g1.city, "London");
    geo_str_eq("timezone", "81.2.69.1", g1.timezone, "Europe/London");
    geo_str_eq("city", "2001:480::1", g2.city, "San Diego");
    spoor_geoip_close(city);
}

Test(geoip, strings_outlive_the_database)
{
    spoor_geoip_t  *city = geo_open("city.mmdb");
    spoor_geoip_t  *asn = geo_open("asn.mmdb");
    unsigned char   mem[GEO_STRINGS_CAP];
    spoor_buf_t     b;
    spoor_geo_t     g;

    cr_assert_eq(geo_lookup(city, asn, "81.2.69.142", 2, 1, &g, &b, mem), 1);
    spoor_geoip_close(city);
    spoor_geoip_close(asn);
    geo_strs_in(&g, &b);
    geo_check("81.2.69.142 after close", &g, &want_london);
}

/* ---- damaged data ---------------------------------------------------------- */

/*
 * baddata.mmdb opens (its metadata and search tree are intact), but
 * 81.2.69.0/24's record has a malformed double: libmaxminddb reports
 * MMDB_INVALID_DATA_ERROR for its location, postal code, subdivisions and
 * registered_country.  geoip.h: a database error gives SPOOR_E_FORMAT, geo
 * untouched, strings->len unchanged -- not a record with fields missing.
 */
Test(geoip, damaged_record_is_a_format_error)
{
    spoor_geoip_t     *db = NULL;
    const char        *err = NULL;
    spoor_geo_opts_t   o = geo_opts(2, 1);
    unsigned char      mem[GEO_STRINGS_CAP], ip[16];
    spoor_buf_t        b;
    spoor_geo_t        g, before;
    size_t             len;
    int                rc;

    rc = spoor_geoip_open(geo_path("baddata.mmdb"), &db, &err);
    if (rc != SPOOR_OK) {
        /* refusing the file at open is fine too */
        cr_assert_lt(rc, 0);
        cr_assert_not_null(err);
        return;
    }
    len = geo_ip("81.2.69.1", ip);
    spoor_buf_init(&b, mem, sizeof(mem));
    b.len = 3;
    memset(&g, 0xa5, sizeof(g));
    before = g;
    rc = spoor_geoip_lookup(db, NULL, ip, len, &o, &g, &b);
    cr_assert_eq(rc, SPOOR_E_FORMAT, "damaged record: rc %d (country %.*s, "
                 "has_location %d), expected SPOOR_E_FORMAT", rc,
                 rc == 1 && g.country.data ? (int) g.country.len : 0,
                 rc == 1 && g.country.data ? g.country.data : "",
                 rc == 1 ? g.has_location : -1);
    cr_assert_eq(memcmp(&g, &before, sizeof(g)), 0, "geo written");
    cr_assert_eq(b.len, 3, "strings len %zu", b.len);
    spoor_geoip_close(db);
}

Test(geoip, undamaged_records_of_a_damaged_file_still_read)
{
    spoor_geoip_t     *db = NULL;
    const char        *err = NULL;
    const geo_want_t   w = {
        .country = "SE", .continent = "EU", .region = "AB",
        .city = "Stockholm", .postal = "111 52",
        .timezone = "Europe/Stockholm", .eu = 1, .has_location = 1,
        .latitude = 59.33, .longitude = 18.06, .accuracy_km = 5
    };

    if (spoor_geoip_open(geo_path("baddata.mmdb"), &db, &err) != SPOOR_OK) {
        cr_skip_test("baddata.mmdb refused at open (%s)", err);
    }
    geo_expect(db, NULL, "89.160.20.200", 2, 1, &w);
    spoor_geoip_close(db);
}

/* ---- into the event record ------------------------------------------------- */

static void
geo_round_trip(const spoor_geoip_t *city, const spoor_geoip_t *asn,
    const char *text, unsigned precision)
{
    unsigned char   mem[GEO_STRINGS_CAP], out[4096], *copy;
    spoor_buf_t     b, ob;
    spoor_event_t   ev, d;
    msgpack_zone    zone;
    spoor_geo_t     g;
    int             rc;

    cr_assert_eq(geo_lookup(city, asn, text, precision, 1, &g, &b, mem), 1,
                 "%s", text);
    spoor_event_init(&ev);
    ev.received_ms = 1700000000123LL;
    ev.kind = SPOOR_KIND_PAGE;
    ev.has_geo = 1;
    ev.geo = g;

    spoor_buf_init(&ob, out, sizeof(out));
    rc = spoor_event_encode(&ev, &ob);
    cr_assert_eq(rc, SPOOR_OK, "%s: encode rc %d", text, rc);

    copy = malloc(ob.len);
    cr_assert_not_null(copy);
    memcpy(copy, out, ob.len);
    msgpack_zone_init(&zone, 4096);
    rc = spoor_event_decode(copy, ob.len, &d);
    cr_assert_eq(rc, SPOOR_OK, "%s: decode rc %d", text, rc);
    cr_assert(d.has_geo, "%s: no geo decoded", text);
    geo_assert_same(&d.geo, &g);
    msgpack_zone_destroy(&zone);
    free(copy);
}

Test(geoip, lookup_result_round_trips_through_event)
{
    spoor_geoip_t  *city = geo_open("city.mmdb");
    spoor_geoip_t  *asn = geo_open("asn.mmdb");

    geo_round_trip(city, asn, "81.2.69.142", 0);       /* longitude -0.0 */
    geo_round_trip(city, asn, "81.2.69.142", 6);
    geo_round_trip(city, asn, "89.160.20.115", 2);     /* UTF-8, eu true */
    geo_round_trip(city, asn, "2001:480::1", 1);
    geo_round_trip(city, asn, "175.16.199.9", 2);      /* no location */
    geo_round_trip(city, asn, "202.196.225.1", 2);     /* registered only */
    geo_round_trip(city, asn, "1.128.0.1", 2);         /* ASN only, eu -1 */
    spoor_geoip_close(city);
    spoor_geoip_close(asn);
}

/* ---- threads ----------------------------------------------------------------- */

typedef struct {
    const spoor_geoip_t  *city, *asn;
    int                   bad;
} geo_thread_t;

static void *
geo_thread(void *arg)
{
    geo_thread_t      *t = arg;
    spoor_geo_opts_t   o = geo_opts(2, 1);
    unsigned char      mem[GEO_STRINGS_CAP];
    unsigned char      ip4[4] = { 81, 2, 69, 0 };
    unsigned char      ip6[16] = { 0x20, 0x01, 0x04, 0x80 };
    spoor_buf_t        b;
    spoor_geo_t        g;
    int                i;

    for (i = 0; i < 2000; i++) {
        spoor_buf_init(&b, mem, sizeof(mem));
        ip4[3] = (unsigned char) i;
        if (spoor_geoip_lookup(t->city, t->asn, ip4, 4, &o, &g, &b) != 1
            || g.asn != 20712 || g.city.len != 6
            || memcmp(g.city.data, "London", 6) != 0)
        {
            t->bad++;
        }
        ip6[15] = (unsigned char) i;
        if (spoor_geoip_lookup(t->city, t->asn, ip6, 16, &o, &g, &b) != 1
            || g.asn != 668 || g.city.len != 9
            || memcmp(g.city.data, "San Diego", 9) != 0)
        {
            t->bad++;
        }
    }
    return NULL;
}

Test(geoip, lookups_from_several_threads)
{
    spoor_geoip_t  *city = geo_open("city.mmdb");
    spoor_geoip_t  *asn = geo_open("asn.mmdb");
    pthread_t       th[4];
    geo_thread_t    t[4];
    int             i;

    for (i = 0; i < 4; i++) {
        t[i].city = city;
        t[i].asn = asn;
        t[i].bad = 0;
        cr_assert_eq(pthread_create(&th[i], NULL, geo_thread, &t[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        cr_assert_eq(pthread_join(th[i], NULL), 0);
        cr_assert_eq(t[i].bad, 0, "thread %d: %d wrong lookups", i, t[i].bad);
    }
    spoor_geoip_close(city);
    spoor_geoip_close(asn);
}

/* ---- MaxMind's published test databases (optional) ------------------------- */

/* The path of MaxMind test database `name`, or skips the test when the
 * directory is not there (CI may not have it). */
static const char *
mm_path(const char *name)
{
    static char  path[PATH_MAX];
    const char  *dir = getenv("SPOOR_MAXMIND_TESTDATA");
    struct stat  st;

    if (dir == NULL || *dir == '\0') {
        dir = GEO_MAXMIND_DIR;
    }
    if (!geo_is_dir(dir)) {
        cr_skip_test("no MaxMind test databases in %s", dir);
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    cr_assert(stat(path, &st) == 0, "%s is missing from %s", name, dir);
    return path;
}

/* Values below were read with mmdblookup from MaxMind-DB commit
 * 2f18851d11a77ca981975666b18680979a6759a5 test-data/. */
Test(maxmind, city_test_database)
{
    spoor_geoip_t     *db = geo_open_path(mm_path("GeoIP2-City-Test.mmdb"));
    unsigned char      mem[GEO_STRINGS_CAP];
    spoor_buf_t        b;
    spoor_geo_t        g;
    /* country GB, registered_country US: the country wins */
    const geo_want_t   london = {
        .country = "GB", .continent = "EU", .region = "ENG",
        .city = "London", .timezone = "Europe/London", .eu = 0,
        .has_location = 1, .latitude = 51.5142, .longitude = -0.0931,
        .accuracy_km = 10
    };
    const geo_want_t   linkoping = {
        .country = "SE", .continent = "EU", .region = "E",
        .city = "Link\xc3\xb6ping", .timezone = "Europe/Stockholm", .eu = 1,
        .has_location = 1, .latitude = 58.4167, .longitude = 15.6167,
        .accuracy_km = 76
    };
    const geo_want_t   milton = {
        .country = "US", .continent = "NA", .region = "WA",
        .city = "Milton", .postal = "98354",
        .timezone = "America/Los_Angeles", .eu = 0,
        .has_location = 1, .latitude = 47.2513, .longitude = -122.3149,
        .accuracy_km = 22
    };
    const geo_want_t   tokyo = {
        .country = "JP", .continent = "AS", .timezone = "Asia/Tokyo",
        .eu = 0, .has_location = 1, .latitude = 35.6854,
        .longitude = 139.7531, .accuracy_km = 100
    };
    const geo_want_t   changchun = {
        .country = "CN", .continent = "AS", .region = "22",
        .city = "Changchun", .timezone = "Asia/Harbin", .eu = 0,
        .has_location = 1, .latitude = 43.88, .longitude = 125.3228,
        .accuracy_km = 100
    };

    cr_assert_str_eq(spoor_geoip_type(db), "GeoIP2-City");
    cr_assert_eq(spoor_geoip_build_epoch(db), (uint64_t) 1770245369u);
    geo_expect(db, NULL, "81.2.69.142", 4, 0, &london);
    geo_expect(db, NULL, "89.160.20.112", 4, 0, &linkoping);
    geo_expect(db, NULL, "216.160.83.56", 4, 1, &milton);
    geo_expect(db, NULL, "2001:218::", 4, 0, &tokyo);
    geo_expect(db, NULL, "175.16.199.0", 4, 0, &changchun);
    /* in no network of this database */
    cr_assert_eq(geo_lookup(db, NULL, "2001:480::", 4, 0, &g, &b, mem), 0);
    cr_assert_eq(geo_lookup(db, NULL, "1.1.1.1", 4, 0, &g, &b, mem), 0);
    spoor_geoip_close(db);
}

Test(maxmind, country_test_database)
{
    spoor_geoip_t     *db = geo_open_path(mm_path("GeoIP2-Country-Test.mmdb"));
    const geo_want_t   gb = { .country = "GB", .continent = "EU", .eu = 0 };
    const geo_want_t   se = { .country = "SE", .continent = "EU", .eu = 1 };
    const geo_want_t   jp = { .country = "JP", .continent = "AS", .eu = 0 };

    cr_assert_str_eq(spoor_geoip_type(db), "GeoIP2-Country");
    geo_expect(db, NULL, "81.2.69.142", 2, 1, &gb);
    geo_expect(db, NULL, "89.160.20.112", 2, 1, &se);
    geo_expect(db, NULL, "2001:218::", 2, 1, &jp);
    spoor_geoip_close(db);
}

Test(maxmind, asn_test_database)
{
    spoor_geoip_t  *db = geo_open_path(mm_path("GeoLite2-ASN-Test.mmdb"));
    geo_want_t      w = { .eu = -1 };

    cr_assert_str_eq(spoor_geoip_type(db), "GeoLite2-ASN");
    w.asn = 1221;
    w.as_org = "Telstra Pty Ltd";
    geo_expect(NULL, db, "1.128.0.0", 2, 1, &w);
    geo_expect(NULL, db, "1.128.0.1", 2, 1, &w);
    w.asn = 237;
    w.as_org = "Merit Network Inc.";
    geo_expect(NULL, db, "2600:6000::", 2, 1, &w);
    w.asn = 7018;
    w.as_org = "AT&T Services";
    geo_expect(NULL, db, "12.81.92.0", 2, 1, &w);
    spoor_geoip_close(db);
}

Test(maxmind, city_and_asn_together)
{
    spoor_geoip_t     *city = geo_open_path(mm_path("GeoIP2-City-Test.mmdb"));
    spoor_geoip_t     *asn = geo_open_path(mm_path("GeoLite2-ASN-Test.mmdb"));
    unsigned char      mem[GEO_STRINGS_CAP];
    spoor_buf_t        b;
    spoor_geo_t        g;

    /* 81.2.69.142 is in the City database only, 1.128.0.0 in ASN only */
    cr_assert_eq(geo_lookup(city, asn, "81.2.69.142", 1, 0, &g, &b, mem), 1);
    geo_str_eq("city", "81.2.69.142", g.city, "London");
    cr_assert_eq(g.asn, 0);
    cr_assert_null(g.as_org.data);
    cr_assert_eq(geo_lookup(city, asn, "1.128.0.0", 1, 0, &g, &b, mem), 1);
    cr_assert_null(g.country.data);
    cr_assert_eq(g.asn, 1221);
    spoor_geoip_close(city);
    spoor_geoip_close(asn);
}

/* A double of the wrong size in every location: must not crash, and (per
 * geoip.h) is a database error, not a record without a location. */
Test(maxmind, broken_double_format)
{
    const char        *path =
        mm_path("GeoIP2-City-Test-Broken-Double-Format.mmdb");
    spoor_geoip_t     *db = NULL;
    const char        *err = NULL;
    spoor_geo_opts_t   o = geo_opts(2, 1);
    unsigned char      mem[GEO_STRINGS_CAP], ip[16];
    spoor_buf_t        b;
    spoor_geo_t        g, before;
    size_t             len;
    int                rc;

    rc = spoor_geoip_open(path, &db, &err);
    if (rc != SPOOR_OK) {
        cr_assert_lt(rc, 0);
        cr_assert_not_null(err);
        return;
    }
    len = geo_ip("81.2.69.142", ip);
    spoor_buf_init(&b, mem, sizeof(mem));
    memset(&g, 0xa5, sizeof(g));
    before = g;
    rc = spoor_geoip_lookup(db, NULL, ip, len, &o, &g, &b);
    cr_assert_eq(rc, SPOOR_E_FORMAT, "broken double: rc %d, expected "
                 "SPOOR_E_FORMAT", rc);
    cr_assert_eq(memcmp(&g, &before, sizeof(g)), 0, "geo written");
    cr_assert_eq(b.len, 0);
    spoor_geoip_close(db);
}
