/*
 * geoip.c -- MaxMind database lookups (see geoip.h).
 *
 * One lookup walks the database's search tree once (MMDB_lookup_sockaddr)
 * and reads each wanted field with MMDB_get_value from the entry found;
 * strings are copied out, since the mapped file may be replaced later.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <maxminddb.h>
#include "error.h"
#include "geoip.h"

struct spoor_geoip_s {
    MMDB_s  mmdb;
};


int
spoor_geoip_open(const char *path, spoor_geoip_t **db, const char **err)
{
    spoor_geoip_t        *g;
    MMDB_lookup_result_s  res;
    int                   rc, gai, mmerr;

    g = calloc(1, sizeof(*g));
    if (g == NULL) {
        *err = "out of memory";
        return SPOOR_E_NOMEM;
    }

    rc = MMDB_open(path, MMDB_MODE_MMAP, &g->mmdb);
    if (rc != MMDB_SUCCESS) {
        *err = MMDB_strerror(rc);
        free(g);
        return SPOOR_E_FORMAT;
    }

    /* a lookup must work: it walks the search tree and reads the data
     * section, which MMDB_open does not */
    res = MMDB_lookup_string(&g->mmdb, "1.1.1.1", &gai, &mmerr);
    if (gai != 0 || mmerr != MMDB_SUCCESS) {
        *err = gai ? "cannot look up a test address"
                   : MMDB_strerror(mmerr);
        MMDB_close(&g->mmdb);
        free(g);
        return SPOOR_E_FORMAT;
    }
    (void) res;

    *db = g;
    return SPOOR_OK;
}


void
spoor_geoip_close(spoor_geoip_t *db)
{
    if (db) {
        MMDB_close(&db->mmdb);
        free(db);
    }
}


const char *
spoor_geoip_type(const spoor_geoip_t *db)
{
    return db->mmdb.metadata.database_type;
}


uint64_t
spoor_geoip_build_epoch(const spoor_geoip_t *db)
{
    return db->mmdb.metadata.build_epoch;
}


/* ---- one lookup ------------------------------------------------------------ */

typedef struct {
    spoor_buf_t  *strings;
    int           full;
    int           bad;          /* the record is damaged */
} geo_out_t;


/*
 * Reads the value at path.  Returns 1 with *d set, 0 when the record has
 * no such value, or 0 with o->bad set when the record is damaged (any
 * other libmaxminddb error): a damaged record is an error, not a record
 * with fewer fields.
 */
static int
get_value(MMDB_entry_s *e, geo_out_t *o, MMDB_entry_data_s *d,
    const char *const *path)
{
    int  rc;

    rc = MMDB_aget_value(e, d, path);
    if (rc == MMDB_SUCCESS) {
        return d->has_data;
    }
    if (rc != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
        o->bad = 1;
    }
    return 0;
}


/* Copies the UTF-8 string at path into out's buffer; leaves s absent when
 * there is none. */
static void
get_str(MMDB_entry_s *e, geo_out_t *o, spoor_str_t *s, const char *const *path)
{
    MMDB_entry_data_s  d;
    size_t             at;

    if (!get_value(e, o, &d, path) || d.type != MMDB_DATA_TYPE_UTF8_STRING) {
        return;
    }
    at = o->strings->len;
    if (spoor_buf_append(o->strings, d.utf8_string, d.data_size) != SPOOR_OK)
    {
        o->full = 1;
        return;
    }
    s->data = (const char *) o->strings->data + at;
    s->len = d.data_size;
}


static int
get_double(MMDB_entry_s *e, geo_out_t *o, double *v, const char *const *path)
{
    MMDB_entry_data_s  d;

    if (!get_value(e, o, &d, path)) {
        return 0;
    }
    switch (d.type) {
    case MMDB_DATA_TYPE_DOUBLE:
        *v = d.double_value;
        return 1;
    case MMDB_DATA_TYPE_FLOAT:
        *v = d.float_value;
        return 1;
    default:
        return 0;
    }
}


static int
get_u32(MMDB_entry_s *e, geo_out_t *o, uint32_t *v, const char *const *path)
{
    MMDB_entry_data_s  d;

    if (!get_value(e, o, &d, path)) {
        return 0;
    }
    switch (d.type) {
    case MMDB_DATA_TYPE_UINT16:
        *v = d.uint16;
        return 1;
    case MMDB_DATA_TYPE_UINT32:
        *v = d.uint32;
        return 1;
    default:
        return 0;
    }
}


static int
get_bool(MMDB_entry_s *e, geo_out_t *o, int *v, const char *const *path)
{
    MMDB_entry_data_s  d;

    if (!get_value(e, o, &d, path) || d.type != MMDB_DATA_TYPE_BOOLEAN) {
        return 0;
    }
    *v = d.boolean;
    return 1;
}


/* The map at key as an entry of its own, so that several fields of it are
 * read without scanning the record from its start for each. */
static int
get_map(MMDB_entry_s *e, geo_out_t *o, const char *key, MMDB_entry_s *sub)
{
    const char         *path[2] = { key, NULL };
    MMDB_entry_data_s   d;

    if (!get_value(e, o, &d, path) || d.type != MMDB_DATA_TYPE_MAP) {
        return 0;
    }
    sub->mmdb = e->mmdb;
    sub->offset = d.offset;
    return 1;
}


static double
round_to(double v, unsigned decimals)
{
    double  f, r;

    f = pow(10.0, (double) (decimals > 6 ? 6 : decimals));
    r = round(v * f) / f;
    return r == 0.0 ? 0.0 : r;          /* no -0 */
}


/* Finds ip in db; returns 1 with *e set, 0 when absent, -1 on error. */
static int
find(const spoor_geoip_t *db, const unsigned char *ip, size_t ip_len,
    MMDB_entry_s *e)
{
    struct sockaddr_in    sin;
    struct sockaddr_in6   sin6;
    const struct sockaddr *sa;
    MMDB_lookup_result_s  res;
    int                   mmerr;

    if (ip_len == 4) {
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        memcpy(&sin.sin_addr, ip, 4);
        sa = (const struct sockaddr *) &sin;
    } else {
        memset(&sin6, 0, sizeof(sin6));
        sin6.sin6_family = AF_INET6;
        memcpy(&sin6.sin6_addr, ip, 16);
        sa = (const struct sockaddr *) &sin6;
    }

    res = MMDB_lookup_sockaddr(&db->mmdb, sa, &mmerr);
    if (mmerr != MMDB_SUCCESS) {
        /* an IPv6 address in an IPv4-only database is simply absent */
        return mmerr == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR ? 0 : -1;
    }
    if (!res.found_entry) {
        return 0;
    }
    *e = res.entry;
    return 1;
}


int
spoor_geoip_lookup(const spoor_geoip_t *city, const spoor_geoip_t *asn,
    const unsigned char *ip, size_t ip_len, const spoor_geo_opts_t *opts,
    spoor_geo_t *geo, spoor_buf_t *strings)
{
    static const char *const  p_iso[] = { "iso_code", NULL };
    static const char *const  p_eu[] = { "is_in_european_union", NULL };
    static const char *const  p_code[] = { "code", NULL };
    static const char *const  p_region[] = { "subdivisions", "0", "iso_code",
                                             NULL };
    static const char *const  p_en[] = { "names", "en", NULL };
    static const char *const  p_lat[] = { "latitude", NULL };
    static const char *const  p_lon[] = { "longitude", NULL };
    static const char *const  p_acc[] = { "accuracy_radius", NULL };
    static const char *const  p_tz[] = { "time_zone", NULL };
    static const char *const  p_asn[] = { "autonomous_system_number", NULL };
    static const char *const  p_org[] = { "autonomous_system_organization",
                                          NULL };
    MMDB_entry_s              m;
    spoor_geo_t               g;
    MMDB_entry_s              ce, ae;
    geo_out_t                 o;
    size_t                    start = strings->len;
    int                       in_city = 0, in_asn = 0, eu;
    double                    lat, lon;
    uint32_t                  acc;

    if (ip_len != 4 && ip_len != 16) {
        return SPOOR_E_INVAL;
    }
    if (city && (in_city = find(city, ip, ip_len, &ce)) < 0) {
        return SPOOR_E_FORMAT;
    }
    if (asn && (in_asn = find(asn, ip, ip_len, &ae)) < 0) {
        return SPOOR_E_FORMAT;
    }
    if (!in_city && !in_asn) {
        return 0;
    }

    memset(&g, 0, sizeof(g));
    g.eu = -1;
    o.strings = strings;
    o.full = 0;
    o.bad = 0;

    if (in_city) {
        if (get_map(&ce, &o, "country", &m)) {
            get_str(&m, &o, &g.country, p_iso);
            if (g.country.data) {
                g.eu = get_bool(&m, &o, &eu, p_eu) ? eu : 0;
            }
        }
        if (g.country.data == NULL && get_map(&ce, &o, "registered_country", &m))
        {
            get_str(&m, &o, &g.country, p_iso);
            if (g.country.data) {
                g.eu = get_bool(&m, &o, &eu, p_eu) ? eu : 0;
            }
        }
        if (get_map(&ce, &o, "continent", &m)) {
            get_str(&m, &o, &g.continent, p_code);
        }
        get_str(&ce, &o, &g.region, p_region);
        if (get_map(&ce, &o, "city", &m)) {
            get_str(&m, &o, &g.city, p_en);
        }
        if (opts->postal && get_map(&ce, &o, "postal", &m)) {
            get_str(&m, &o, &g.postal, p_code);
        }
        if (get_map(&ce, &o, "location", &m)) {
            if (get_double(&m, &o, &lat, p_lat)
                && get_double(&m, &o, &lon, p_lon))
            {
                g.has_location = 1;
                g.latitude = round_to(lat, opts->precision);
                g.longitude = round_to(lon, opts->precision);
                if (get_u32(&m, &o, &acc, p_acc)) {
                    g.accuracy_km = acc;
                }
            }
            get_str(&m, &o, &g.timezone, p_tz);
        }
    }

    if (in_asn) {
        get_u32(&ae, &o, &g.asn, p_asn);
        get_str(&ae, &o, &g.as_org, p_org);
    }

    if (o.bad || o.full) {
        strings->len = start;
        return o.bad ? SPOOR_E_FORMAT : SPOOR_E_FULL;
    }

    *geo = g;
    return 1;
}
