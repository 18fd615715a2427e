/*
 * geoip.h -- location of an address from MaxMind databases (libmaxminddb).
 *
 * A spoor_geoip_t is one open database file (GeoIP2/GeoLite2 City or
 * Country, and optionally ASN), memory-mapped by libmaxminddb.  Lookups
 * fill a spoor_geo_t (event.h) from these data paths:
 *
 *   country       country.iso_code (registered_country.iso_code if none)
 *   continent     continent.code
 *   eu            country.is_in_european_union (absent: false, when a
 *                 country is known)
 *   region        subdivisions.0.iso_code
 *   city          city.names.en
 *   postal        postal.code                     (only with opts.postal)
 *   latitude,     location.latitude / .longitude, rounded to
 *   longitude     opts.precision decimals (at most 6)
 *   accuracy_km   location.accuracy_radius
 *   timezone      location.time_zone
 *   asn, as_org   autonomous_system_number / _organization (ASN database)
 *
 * Strings are copied into the caller's buffer, so the event stays valid
 * when the database is closed or replaced.  A database is read-only once
 * open; lookups from several threads are safe.
 */
#ifndef SPOOR_GEOIP_H
#define SPOOR_GEOIP_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "event.h"

typedef struct spoor_geoip_s  spoor_geoip_t;

typedef struct {
    unsigned   precision;       /* decimals kept of latitude/longitude, 0..6 */
    int        postal;          /* include the postal code */
} spoor_geo_opts_t;

/* Room enough in the strings buffer for one lookup's strings. */
#define SPOOR_GEO_STRINGS_MAX  1024

/*
 * Opens and checks the database at path: libmaxminddb must accept it
 * and a test lookup must not fail.  Returns SPOOR_OK with *db set, or an
 * error with *err pointing to a static message (libmaxminddb's own).
 */
int spoor_geoip_open(const char *path, spoor_geoip_t **db, const char **err);

void spoor_geoip_close(spoor_geoip_t *db);

/* The database's type ("GeoIP2-City", "GeoLite2-ASN", ...) and build time
 * (seconds since the epoch), from its metadata. */
const char *spoor_geoip_type(const spoor_geoip_t *db);
uint64_t spoor_geoip_build_epoch(const spoor_geoip_t *db);

/*
 * Looks up ip (4 or 16 bytes, network order; pass IPv4-mapped addresses
 * as 4 bytes, see ipaddr.h) in city (may be NULL) and asn (may be NULL),
 * and fills geo.  Returns 1 when any data was found (geo filled, strings
 * appended to strings), 0 when the address is in neither database (geo
 * untouched), or SPOOR_E_FORMAT when the database or the record found is
 * damaged, SPOOR_E_FULL when strings is too small (geo untouched and
 * strings->len unchanged in both cases).
 */
int spoor_geoip_lookup(const spoor_geoip_t *city, const spoor_geoip_t *asn,
    const unsigned char *ip, size_t ip_len, const spoor_geo_opts_t *opts,
    spoor_geo_t *geo, spoor_buf_t *strings);

#endif /* SPOOR_GEOIP_H */
