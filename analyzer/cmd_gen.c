/*
 * cmd_gen.c -- `spoor gen`: a realistic synthetic e-commerce log.
 *
 * The model: a population of visitors, each with a fixed country, device,
 * language, address and consent choice, visits the shop in sessions.  A
 * fixed number of sessions run at once; each step picks one of them at
 * random and emits its next event, so sessions interleave as on a real
 * server and the receive clock only moves forward.  A session lands on a
 * page (sometimes from a campaign), browses category pages and products,
 * may search, add to cart, check out and order; a visitor who signs in
 * or buys is identified with traits and keeps a user id on later visits.
 * A finished session is replaced by a returning visitor (35%) or a new
 * one.  Visitors who refused consent are written the way the module
 * writes them: anonymous, with a cookieless id and no address.
 *
 * Everything comes from one POSIX nrand48/erand48 stream seeded with
 * --seed, and the writer's host, pid and id are fixed, so the same
 * arguments always give the same bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "cli.h"
#include "consent.h"
#include "error.h"
#include "event.h"
#include "logframe.h"
#include "logwriter.h"
#include "privacy.h"

#define GEN_ACTIVE       32            /* sessions running at once */
#define GEN_START_MS     1767225600000LL   /* 2026-01-01T00:00:00Z */
#define GEN_GAP_MS       400           /* mean gap between events */
#define GEN_FRAME_BYTES  (256 * 1024)
#define GEN_CART_LINES   6             /* products an order lists at most */
#define GEN_EVENTS_MAX   1000000000000ULL
#define GEN_VISITORS_MAX (2u * 1000 * 1000)   /* about 250 MB of state */

typedef struct {
    unsigned short  x[3];
} rng_t;

typedef struct {
    const char  *cc, *continent, *region, *city, *tz, *lang, *currency;
    int          eu;
    double       lat, lon;
} country_t;

static const country_t  countries[] = {
    { "US", "NA", "US-CA", "San Francisco", "America/Los_Angeles", "en-US",
      "USD", 0, 37.8, -122.4 },
    { "US", "NA", "US-NY", "New York", "America/New_York", "en-US",
      "USD", 0, 40.7, -74.0 },
    { "DE", "EU", "DE-BE", "Berlin", "Europe/Berlin", "de-DE", "EUR", 1,
      52.5, 13.4 },
    { "FR", "EU", "FR-IDF", "Paris", "Europe/Paris", "fr-FR", "EUR", 1,
      48.9, 2.4 },
    { "GB", "EU", "GB-ENG", "London", "Europe/London", "en-GB", "GBP", 0,
      51.5, -0.1 },
    { "NL", "EU", "NL-NH", "Amsterdam", "Europe/Amsterdam", "nl-NL", "EUR",
      1, 52.4, 4.9 },
    { "ES", "EU", "ES-MD", "Madrid", "Europe/Madrid", "es-ES", "EUR", 1,
      40.4, -3.7 },
    { "BR", "SA", "BR-SP", "S\xc3\xa3o Paulo", "America/Sao_Paulo", "pt-BR",
      "BRL", 0, -23.5, -46.6 },
    { "JP", "AS", "JP-13", "Tokyo", "Asia/Tokyo", "ja-JP", "JPY", 0,
      35.7, 139.7 },
    { "IN", "AS", "IN-MH", "Mumbai", "Asia/Kolkata", "en-IN", "INR", 0,
      19.1, 72.9 },
};
#define NCOUNTRIES  (sizeof(countries) / sizeof(countries[0]))

static const char *const  agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 "
        "Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) "
        "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 "
        "Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
};
#define NAGENTS  (sizeof(agents) / sizeof(agents[0]))

static const char *const  categories[] = {
    "shoes", "jackets", "bags", "watches", "electronics", "books", "home",
    "toys"
};
#define NCATEGORIES  (sizeof(categories) / sizeof(categories[0]))

static const char *const  searches[] = {
    "running shoes", "rain jacket", "leather bag", "smart watch",
    "headphones", "cookbook", "lamp", "lego"
};

static const char *const  referrers[] = {
    "https://www.google.com/", "https://duckduckgo.com/",
    "https://www.bing.com/", "https://news.example/", NULL, NULL
};

/* consent choices, each a signal the module's decision reads
 * (gen_consent_init); what is written is what that decision says */
enum { C_ALL, C_NO_PROFILE, C_CMP_ALL, C_REFUSED, C_GPC, C_COOKIELESS,
       C_MAX };

typedef struct {
    char       vid[24];
    char       aid[40];
    char       uid[24];
    unsigned   country, agent, consent, interest;
    unsigned   ipv6;
    unsigned   ip_net;           /* which /24 or /48 */
    int        known;            /* has a user id */
    unsigned   orders;
    char       cid[24];          /* cookieless id of cid_day */
    int64_t    cid_day;
} visitor_t;

typedef struct {
    size_t     visitor;
    unsigned   left;             /* events still to come */
    unsigned   step;             /* events so far */
    unsigned   cart;             /* items in the cart */
    unsigned   lines;            /* distinct products in the cart */
    unsigned   line_product[GEN_CART_LINES];
    unsigned   line_qty[GEN_CART_LINES];
    double     cart_value;
    unsigned   last_category;
    unsigned   identified;       /* identify sent in this session */
} session_t;

typedef struct {
    rng_t                 rng;
    int64_t               now;
    visitor_t            *visitors;
    size_t                nvisitors, cap;
    session_t             active[GEN_ACTIVE];
    uint64_t              orders;
    spoor_writer_t       *w;
    unsigned char         props[8192];
    char                  mid[40], url[160], title[96], email[64];
    char                  orderid[24], path[64];
    spoor_consent_policy_t  policy;      /* required none, anonymous */
    spoor_consent_input_t   cin[C_MAX];  /* the signal of each choice */
} gen_t;


/* The signals of the consent choices, and the policy they meet. */
static void
gen_consent_init(gen_t *g)
{
    static const struct { unsigned c; spoor_signal_e s; unsigned granted; }
    choices[] = {
        { C_ALL,        SPOOR_SIG_TCF,       SPOOR_CAT_ALL },
        { C_NO_PROFILE, SPOOR_SIG_ONETRUST,  SPOOR_CAT_STORAGE
                                             | SPOOR_CAT_ANALYTICS },
        { C_CMP_ALL,    SPOOR_SIG_COOKIEBOT, SPOOR_CAT_ALL },
        { C_REFUSED,    SPOOR_SIG_TCF,       0 },
        { C_COOKIELESS, SPOOR_SIG_COOKIE,    SPOOR_CAT_ANALYTICS },
    };
    size_t  i;

    spoor_consent_policy_default(&g->policy);
    g->policy.missing = SPOOR_ACTION_ANONYMOUS;

    for (i = 0; i < C_MAX; i++) {
        spoor_consent_input_init(&g->cin[i]);
    }
    for (i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
        spoor_consent_input_t  *in = &g->cin[choices[i].c];

        in->present[choices[i].s] = 1;
        spoor_consent_signal_set(&in->sig[choices[i].s], choices[i].granted,
                                 1);
        if (choices[i].s == SPOOR_SIG_TCF) {
            in->sig[choices[i].s].tcf_policy = 4;
            in->sig[choices[i].s].cmp_id = 300;
        }
    }
    g->cin[C_GPC].present[SPOOR_SIG_GPC] = 1;
}


/* ---- randomness --------------------------------------------------------- */

static uint32_t
rnd32(rng_t *r)
{
    return (uint32_t) jrand48(r->x);
}


static unsigned
below(rng_t *r, unsigned n)
{
    return (unsigned) (((uint64_t) rnd32(r) * n) >> 32);
}


static int
chance(rng_t *r, double p)
{
    return erand48(r->x) < p;
}


/* 16 random bytes as base64url without padding (22 characters). */
static void
random_id(rng_t *r, char *out)
{
    unsigned char  raw[16], b64[32];
    int            i, n;

    for (i = 0; i < 16; i += 4) {
        uint32_t  v = rnd32(r);

        memcpy(raw + i, &v, 4);
    }
    n = EVP_EncodeBlock(b64, raw, 16);
    for (i = 0; i < n && b64[i] != '='; i++) {
        out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char) b64[i];
    }
    out[i] = '\0';
}


static void
random_uuid(rng_t *r, char *out)
{
    uint32_t  a = rnd32(r), b = rnd32(r), c = rnd32(r), d = rnd32(r);

    snprintf(out, 40, "%08x-%04x-4%03x-%04x-%04x%08x", a, b >> 16,
             b & 0xfff, (c >> 16 & 0x3fff) | 0x8000, c & 0xffff, d);
}


/* ---- visitors and sessions ---------------------------------------------- */

static size_t
new_visitor(gen_t *g)
{
    visitor_t  *v;
    unsigned    roll;

    if (g->nvisitors == g->cap) {
        /* at capacity every new session is a returning visitor */
        return below(&g->rng, (unsigned) g->nvisitors);
    }
    v = &g->visitors[g->nvisitors];
    memset(v, 0, sizeof(*v));
    random_id(&g->rng, v->vid);
    random_uuid(&g->rng, v->aid);
    v->country = below(&g->rng, NCOUNTRIES);
    v->agent = below(&g->rng, NAGENTS);
    v->interest = below(&g->rng, NCATEGORIES);
    v->ipv6 = chance(&g->rng, 0.3);
    v->ip_net = below(&g->rng, 3);
    if (v->ipv6) {
        v->ip_net = below(&g->rng, 65536);
    }

    roll = below(&g->rng, 100);
    v->consent = roll < 55 ? C_ALL : roll < 70 ? C_NO_PROFILE
                 : roll < 80 ? C_CMP_ALL : roll < 88 ? C_REFUSED
                 : roll < 94 ? C_GPC : C_COOKIELESS;

    return g->nvisitors++;
}


static void
new_session(gen_t *g, session_t *s)
{
    visitor_t  *v;

    memset(s, 0, sizeof(*s));
    if (g->nvisitors > 0 && chance(&g->rng, 0.35)) {
        s->visitor = below(&g->rng, (unsigned) g->nvisitors);
    } else {
        s->visitor = new_visitor(g);
    }
    s->left = 3 + below(&g->rng, 20);
    s->last_category = g->visitors[s->visitor].interest;

    /* some visitors sign in: identified from now on */
    v = &g->visitors[s->visitor];
    if (!v->known && v->consent != C_REFUSED && chance(&g->rng, 0.05)) {
        v->known = 1;
        snprintf(v->uid, sizeof(v->uid), "user-%zu", s->visitor);
    }
}


/* ---- properties ----------------------------------------------------------- */

static void
pk_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
    msgpack_pack_str_with_body(pk, k, strlen(k));
    msgpack_pack_str_with_body(pk, v, strlen(v));
}


static void
pk_kv_double(msgpack_packer *pk, const char *k, double v)
{
    msgpack_pack_str_with_body(pk, k, strlen(k));
    msgpack_pack_double(pk, v);
}


static void
pk_kv_uint(msgpack_packer *pk, const char *k, unsigned v)
{
    msgpack_pack_str_with_body(pk, k, strlen(k));
    msgpack_pack_unsigned_int(pk, v);
}


static double
price_of(unsigned product)
{
    return (double) (5 + (product * 7919u) % 295) - 0.01;
}


static void
pack_product(msgpack_packer *pk, unsigned cat, unsigned product,
    const char *currency, unsigned qty)
{
    char  id[16];

    snprintf(id, sizeof(id), "P%u", product);
    msgpack_pack_map(pk, qty ? 5 : 4);
    pk_kv_str(pk, "product_id", id);
    pk_kv_str(pk, "category", categories[cat]);
    pk_kv_double(pk, "price", price_of(product));
    pk_kv_str(pk, "currency", currency);
    if (qty) {
        pk_kv_uint(pk, "quantity", qty);
    }
}


/* ---- one event ------------------------------------------------------------ */

static void
fill_common(gen_t *g, session_t *s, spoor_event_t *ev)
{
    visitor_t        *v = &g->visitors[s->visitor];
    const country_t  *c = &countries[v->country];
    spoor_consent_t  *cs = &ev->consent;
    spoor_consent_decision_t  d;

    ev->received_ms = g->now;
    ev->has_time = 1;
    ev->time_ms = g->now - 20 - below(&g->rng, 400);
    random_uuid(&g->rng, g->mid);
    ev->message_id.data = g->mid;
    ev->message_id.len = strlen(g->mid);
    ev->source.data = "web";
    ev->source.len = 3;

    ev->has_geo = 1;
    ev->geo.country.data = c->cc;
    ev->geo.country.len = 2;
    ev->geo.continent.data = c->continent;
    ev->geo.continent.len = 2;
    ev->geo.eu = c->eu;

    /* the visitor's signal, decided as the module decides it */
    spoor_consent_decide(&g->policy, &g->cin[v->consent], &d);
    spoor_consent_to_record(&d, cs);

    if (d.action != SPOOR_ACTION_FULL) {
        /* cookieless, or anonymous (reduced by gen_append): the module's
         * keyed hash changes with its salt at 00:00 UTC */
        if (v->cid[0] == '\0' || v->cid_day != g->now / 86400000) {
            random_id(&g->rng, v->cid);
            v->cid_day = g->now / 86400000;
        }
        ev->cookieless_id.data = v->cid;
        ev->cookieless_id.len = strlen(v->cid);
    }


    if (d.action == SPOOR_ACTION_FULL) {
        ev->visitor_id.data = v->vid;
        ev->visitor_id.len = strlen(v->vid);
        ev->anonymous_id.data = v->aid;
        ev->anonymous_id.len = strlen(v->aid);
    }
    if (v->known) {
        ev->user_id.data = v->uid;
        ev->user_id.len = strlen(v->uid);
    }
    ev->user_agent.data = agents[v->agent];
    ev->user_agent.len = strlen(agents[v->agent]);
    ev->language.data = c->lang;
    ev->language.len = strlen(c->lang);
    ev->timezone.data = c->tz;
    ev->timezone.len = strlen(c->tz);

    if (v->ipv6) {
        static const unsigned char  net[4] = { 0x20, 0x01, 0x0d, 0xb8 };

        ev->ip_len = 16;
        memset(ev->ip, 0, 16);
        memcpy(ev->ip, net, 4);
        ev->ip[4] = (unsigned char) (v->ip_net >> 8);
        ev->ip[5] = (unsigned char) v->ip_net;
    } else {
        static const unsigned char  nets[3][3] = {
            { 192, 0, 2 }, { 198, 51, 100 }, { 203, 0, 113 }
        };

        ev->ip_len = 4;
        memcpy(ev->ip, nets[v->ip_net], 3);
        ev->ip[3] = 0;
    }

    ev->geo.region.data = c->region;
    ev->geo.region.len = strlen(c->region);
    ev->geo.city.data = c->city;
    ev->geo.city.len = strlen(c->city);
    ev->geo.timezone = ev->timezone;
    ev->geo.has_location = 1;
    ev->geo.latitude = c->lat;
    ev->geo.longitude = c->lon;
    ev->geo.accuracy_km = 20;
}


static void
set_str(spoor_str_t *s, const char *v)
{
    s->data = v;
    s->len = strlen(v);
}


/* Appends ev, flushing the writer to fd first when its buffer is full;
 * an anonymous decision reduces the event as the module does. */
static int
gen_append(gen_t *g, const spoor_event_t *in, int fd)
{
    int             rc;
    spoor_event_t   a;
    const spoor_event_t  *ev = in;

    if (in->consent.action.len == 9
        && memcmp(in->consent.action.data, "anonymous", 9) == 0)
    {
        a = *in;
        spoor_anonymize(&a);
        ev = &a;
    }

    rc = spoor_writer_append(g->w, ev);
    if (rc == SPOOR_E_FULL) {
        if (spoor_writer_flush(g->w, fd) != SPOOR_OK) {
            return SPOOR_E_IO;
        }
        rc = spoor_writer_append(g->w, ev);
    }
    return rc;
}


/* Writes the session's next event to the writer of fd; returns SPOOR_OK,
 * SPOOR_E_IO (errno set) or an encoder error. */
static int
gen_event(gen_t *g, session_t *s, int fd)
{
    visitor_t        *v = &g->visitors[s->visitor];
    const country_t  *c = &countries[v->country];
    spoor_event_t     ev;
    spoor_buf_t       pb;
    msgpack_packer    pk;
    unsigned          roll, cat, product, i, n;

    spoor_event_init(&ev);
    fill_common(g, s, &ev);
    spoor_buf_init(&pb, g->props, sizeof(g->props));
    msgpack_packer_init(&pk, &pb, spoor_buf_msgpack_write);

    cat = chance(&g->rng, 0.6) ? v->interest : below(&g->rng, NCATEGORIES);
    product = (unsigned) cat * 1000 + below(&g->rng, 40);
    roll = below(&g->rng, 100);

    if (s->step == 0) {
        /* landing page */
        const char  *ref = referrers[below(&g->rng, 6)];

        ev.kind = SPOOR_KIND_PAGE;
        set_str(&ev.name, "Home");
        set_str(&ev.url, "https://shop.example/");
        set_str(&ev.title, "Example Shop");
        if (ref) {
            set_str(&ev.referrer, ref);
        }
        if (chance(&g->rng, 0.25)) {
            set_str(&ev.campaign.source, "newsletter");
            set_str(&ev.campaign.medium, "email");
            set_str(&ev.campaign.name, categories[v->interest]);
        }
        msgpack_pack_map(&pk, 1);
        pk_kv_str(&pk, "path", "/");

    } else if (s->cart && s->left <= 2) {
        /* checkout, then the order */
        if (s->left == 2) {
            ev.kind = SPOOR_KIND_TRACK;
            set_str(&ev.name, "Checkout Started");
            msgpack_pack_map(&pk, 3);
            pk_kv_double(&pk, "value", s->cart_value);
            pk_kv_str(&pk, "currency", c->currency);
            pk_kv_uint(&pk, "items", s->cart);
        } else if (chance(&g->rng, 0.7)) {
            ev.kind = SPOOR_KIND_TRACK;
            set_str(&ev.name, "Order Completed");
            snprintf(g->orderid, sizeof(g->orderid), "O%llu",
                     (unsigned long long) ++g->orders);
            msgpack_pack_map(&pk, 4);
            pk_kv_str(&pk, "order_id", g->orderid);
            pk_kv_double(&pk, "revenue", s->cart_value);
            pk_kv_str(&pk, "currency", c->currency);
            msgpack_pack_str_with_body(&pk, "products", 8);
            msgpack_pack_array(&pk, s->lines);
            for (i = 0; i < s->lines; i++) {
                pack_product(&pk, s->line_product[i] / 1000,
                             s->line_product[i], c->currency,
                             s->line_qty[i]);
            }
            v->orders++;
            s->cart = 0;
            s->lines = 0;
            s->cart_value = 0;
            if (!v->known && v->consent != C_REFUSED) {
                v->known = 1;
                snprintf(v->uid, sizeof(v->uid), "user-%zu", s->visitor);
            }
        } else {
            ev.kind = SPOOR_KIND_PAGE;
            set_str(&ev.name, "Cart");
            set_str(&ev.url, "https://shop.example/cart");
            set_str(&ev.title, "Your cart | Example Shop");
            msgpack_pack_map(&pk, 1);
            pk_kv_str(&pk, "path", "/cart");
        }

    } else if (v->known && !s->identified && v->consent != C_REFUSED) {
        ev.kind = SPOOR_KIND_IDENTIFY;
        s->identified = 1;
        snprintf(g->email, sizeof(g->email), "%s@example.com", v->uid);
        msgpack_pack_map(&pk, 4);
        pk_kv_str(&pk, "email", g->email);
        pk_kv_str(&pk, "country", c->cc);
        pk_kv_str(&pk, "plan", v->orders > 2 ? "gold" : "basic");
        pk_kv_uint(&pk, "orders", v->orders);
        ev.traits.raw = pb.data;
        ev.traits.raw_len = pb.len;

    } else if (roll < 35) {
        ev.kind = SPOOR_KIND_PAGE;
        set_str(&ev.name, "Category");
        snprintf(g->url, sizeof(g->url), "https://shop.example/c/%s",
                 categories[cat]);
        snprintf(g->title, sizeof(g->title), "%s | Example Shop",
                 categories[cat]);
        snprintf(g->path, sizeof(g->path), "/c/%s", categories[cat]);
        set_str(&ev.url, g->url);
        set_str(&ev.title, g->title);
        msgpack_pack_map(&pk, 2);
        pk_kv_str(&pk, "path", g->path);
        pk_kv_str(&pk, "category", categories[cat]);
        s->last_category = cat;

    } else if (roll < 70) {
        ev.kind = SPOOR_KIND_TRACK;
        set_str(&ev.name, "Product Viewed");
        pack_product(&pk, cat, product, c->currency, 0);
        s->last_category = cat;

    } else if (roll < 80) {
        ev.kind = SPOOR_KIND_TRACK;
        set_str(&ev.name, "Products Searched");
        msgpack_pack_map(&pk, 1);
        pk_kv_str(&pk, "query", searches[cat]);

    } else if (roll < 95 && s->lines < GEN_CART_LINES) {
        ev.kind = SPOOR_KIND_TRACK;
        set_str(&ev.name, "Product Added");
        n = 1 + below(&g->rng, 2);
        pack_product(&pk, cat, product, c->currency, n);
        s->cart += n;
        s->cart_value += n * price_of(product);
        s->line_product[s->lines] = product;
        s->line_qty[s->lines++] = n;
        s->last_category = cat;

    } else {
        ev.kind = SPOOR_KIND_PAGE;
        set_str(&ev.name, "Help");
        set_str(&ev.url, "https://shop.example/help");
        set_str(&ev.title, "Help | Example Shop");
        msgpack_pack_map(&pk, 1);
        pk_kv_str(&pk, "path", "/help");
    }

    if (ev.kind != SPOOR_KIND_IDENTIFY) {
        ev.properties.raw = pb.data;
        ev.properties.raw_len = pb.len;
    }

    s->step++;
    s->left--;

    return gen_append(g, &ev, fd);
}


static void
gen_usage(FILE *f)
{
    fprintf(f,
        "usage: spoor gen --events N [--seed S] --out LOG\n"
        "\n"
        "Writes a synthetic e-commerce log through the real log writer:\n"
        "visitors returning over several sessions, page views across product\n"
        "categories, product views, searches, cart adds, checkouts, orders\n"
        "with revenue and currency, identify calls that tie anonymous\n"
        "visitors to user ids, a mix of consent decisions, IPv4 and IPv6\n"
        "addresses from the documentation ranges, several user agents,\n"
        "languages and countries.  The same arguments give the same bytes.\n"
        "\n"
        "  --events N       number of events to write (required)\n"
        "  --seed S         random seed, 48 bits used (default 1)\n"
        "  --out LOG        output file, replaced if it exists; \"-\" is\n"
        "                   standard output (required)\n"
        "  --start MS       receive time of the first event, in ms since\n"
        "                   the epoch (default 2026-01-01T00:00:00Z)\n"
        "  --frame-bytes B  records per frame, in bytes (default 262144)\n"
        "  --visitors V     distinct visitors at most (default events / 12;\n"
        "                   at most 2000000)\n"
        "  -h, --help       this text\n"
        "\n"
        "exit codes: 0 written, 2 usage error, 3 the output could not be\n"
        "written\n");
}


static int
parse_u64(const char *s, unsigned long long *v)
{
    char  *end;

    if (*s == '\0' || *s == '-') {
        return -1;
    }
    errno = 0;
    *v = strtoull(s, &end, 10);
    return (errno || *end) ? -1 : 0;
}


int
cmd_gen(int argc, char **argv)
{
    static const struct option  opts[] = {
        { "events",      required_argument, NULL, 'n' },
        { "seed",        required_argument, NULL, 's' },
        { "out",         required_argument, NULL, 'o' },
        { "start",       required_argument, NULL, 't' },
        { "frame-bytes", required_argument, NULL, 'b' },
        { "visitors",    required_argument, NULL, 'v' },
        { "help",        no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    unsigned long long   events = 0, seed = 1, start = GEN_START_MS;
    unsigned long long   frame = GEN_FRAME_BYTES, k, visitors = 0;
    spoor_writer_conf_t  wc;
    const char          *out = NULL;
    session_t           *s;
    gen_t               *g;
    int                  c, fd, rc, have_events = 0, status;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (parse_u64(optarg, &events) != 0 || events > GEN_EVENTS_MAX) {
                fprintf(stderr, "spoor gen: bad --events '%s' (0 .. %llu)\n",
                        optarg, GEN_EVENTS_MAX);
                return EXIT_USAGE;
            }
            have_events = 1;
            break;
        case 's':
            if (parse_u64(optarg, &seed) != 0) {
                fprintf(stderr, "spoor gen: bad --seed '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 't':
            if (parse_u64(optarg, &start) != 0 || start > (1ULL << 52)) {
                fprintf(stderr, "spoor gen: bad --start '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'b':
            if (parse_u64(optarg, &frame) != 0 || frame < 4096
                || frame > SPOOR_FRAME_CONTENT_MAX)
            {
                fprintf(stderr, "spoor gen: bad --frame-bytes '%s' "
                        "(4096 .. %u)\n", optarg, SPOOR_FRAME_CONTENT_MAX);
                return EXIT_USAGE;
            }
            break;
        case 'v':
            if (parse_u64(optarg, &visitors) != 0 || visitors == 0
                || visitors > GEN_VISITORS_MAX)
            {
                fprintf(stderr, "spoor gen: bad --visitors '%s' (1 .. %u)\n",
                        optarg, GEN_VISITORS_MAX);
                return EXIT_USAGE;
            }
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            gen_usage(stdout);
            return EXIT_OK;
        default:
            gen_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "spoor gen: unexpected argument '%s'\n",
                argv[optind]);
        gen_usage(stderr);
        return EXIT_USAGE;
    }
    if (!have_events || out == NULL) {
        fprintf(stderr, "spoor gen: --events and --out are required\n");
        gen_usage(stderr);
        return EXIT_USAGE;
    }

    g = calloc(1, sizeof(*g));
    if (g == NULL) {
        fprintf(stderr, "spoor gen: out of memory\n");
        return EXIT_IO;
    }
    g->cap = visitors ? visitors : events / 12 + 64;
    if (g->cap > GEN_VISITORS_MAX) {
        g->cap = GEN_VISITORS_MAX;
    }
    g->visitors = malloc(g->cap * sizeof(visitor_t));
    g->rng.x[0] = (unsigned short) (0x330e ^ (seed >> 32));
    g->rng.x[1] = (unsigned short) seed;
    g->rng.x[2] = (unsigned short) (seed >> 16);
    g->now = (int64_t) start;
    gen_consent_init(g);

    wc.buffer_size = frame;
    wc.host = "spoor-gen";
    wc.pid = 1;
    wc.writer_id = ((uint64_t) rnd32(&g->rng) << 32 | rnd32(&g->rng)) | 1;
    g->w = spoor_writer_create(&wc);

    if (g->visitors == NULL || g->w == NULL) {
        fprintf(stderr, "spoor gen: out of memory\n");
        free(g->visitors);
        free(g);
        return EXIT_IO;
    }

    if (strcmp(out, "-") == 0) {
        fd = STDOUT_FILENO;
    } else {
        fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd == -1) {
            fprintf(stderr, "spoor gen: %s: %s\n", out, strerror(errno));
            spoor_writer_destroy(g->w);
            free(g->visitors);
            free(g);
            return EXIT_IO;
        }
    }

    for (c = 0; c < GEN_ACTIVE; c++) {
        new_session(g, &g->active[c]);
    }

    status = EXIT_OK;
    for (k = 0; k < events && status == EXIT_OK; k++) {
        s = &g->active[below(&g->rng, GEN_ACTIVE)];
        g->now += below(&g->rng, 2 * GEN_GAP_MS);

        rc = gen_event(g, s, fd);
        if (rc == SPOOR_E_IO) {
            status = EXIT_IO;
            break;
        }
        if (rc != SPOOR_OK) {
            fprintf(stderr, "spoor gen: %s\n", spoor_strerror(rc));
            errno = 0;
            status = EXIT_IO;
            break;
        }
        if (s->left == 0) {
            new_session(g, s);
        }
    }

    if (status == EXIT_OK && spoor_writer_flush(g->w, fd) != SPOOR_OK) {
        status = EXIT_IO;
    }
    if (status == EXIT_IO && errno) {
        fprintf(stderr, "spoor gen: %s: %s\n", out, strerror(errno));
    }
    if (fd != STDOUT_FILENO && close(fd) != 0 && status == EXIT_OK) {
        fprintf(stderr, "spoor gen: %s: %s\n", out, strerror(errno));
        status = EXIT_IO;
    }

    spoor_writer_destroy(g->w);
    free(g->visitors);
    free(g);
    return status;
}
