/*
 * privacy.h -- what a consent decision and the privacy settings take out
 * of an event before it is written.
 *
 * spoor_privacy_t is the site's settings (spoor_sensitive_traits,
 * spoor_pseudonymize with spoor_secret_file): names of traits and of
 * fields to pseudonymize.  A trait is a key of the event's `traits` map or
 * of its `context.traits` map (analytics.js copies identify traits there
 * on every event); names are matched exactly, byte for byte, and only at
 * the top level of those maps.
 *
 *   sensitive   removed (key and value) unless personalization is granted;
 *   pseudonymized
 *               the value is replaced by the lowercase hex HMAC-SHA256
 *               (keyed_hash.h, key from spoor_secret_file) of its bytes: a
 *               string's bytes as sent, an integer's decimal text; any
 *               other value (a map, an array, a float, a boolean, nil)
 *               is removed, as is everything when no key is set.  The
 *               field name "userId" pseudonymizes the event's user id the
 *               same way (pseudo_user_id).
 * Removal wins over pseudonymization.  The output is a new msgpack map in
 * the caller's buffer; when it does not fit (each pseudonymized value
 * takes 66 bytes), the whole map is removed rather than written
 * unfiltered: this code fails closed.
 *
 * spoor_anonymize() reduces an event to what an anonymous record keeps
 * (spoor_consent_missing anonymous): no identifier of any kind (visitor,
 * anonymous, user, cookieless, group, previous ids), no address, no
 * traits, no client context, the user agent reduced to its browser family
 * (useragent.h), location reduced to country, continent and EU flag, and
 * URL and referrer without their query string and fragment (where click
 * ids and e-mail addresses travel).  Properties, name, title, campaign,
 * language and time zone stay.
 */
#ifndef SPOOR_PRIVACY_H
#define SPOOR_PRIVACY_H

#include <stddef.h>
#include "buf.h"
#include "event.h"
#include "keyed_hash.h"

typedef struct {
    const spoor_str_t    *sensitive;     /* trait names */
    size_t                nsensitive;
    const spoor_str_t    *pseudo;        /* trait names */
    size_t                npseudo;
    int                   pseudo_user_id;
    const unsigned char  *key;           /* NULL: nothing can be hashed */
    size_t                key_len;
} spoor_privacy_t;

/* Hex characters of a pseudonym. */
#define SPOOR_PSEUDONYM_LEN  64

/*
 * The pseudonym of s[0 .. len) -- what a pseudonymized field holds: the
 * lowercase hex HMAC-SHA256 (keyed_hash.h) of its bytes, 64 characters
 * into out (no NUL).  prepared: the key made once with spoor_keyed_new()
 * (no per-call key setup), else key[0 .. key_len).  SPOOR_OK, or
 * SPOOR_E_INVAL when there is no key.
 */
int spoor_pseudonym(const unsigned char *key, size_t key_len,
    spoor_keyed_t *prepared, const char *s, size_t len, char *out);

/* True when the settings would change anything about ev when
 * personalization is (personalization != 0) or is not granted. */
int spoor_privacy_needed(const spoor_privacy_t *pv, int personalization);

/*
 * Applies the settings to ev: its traits, context.traits and user id.
 * strip: remove the sensitive traits (personalization not granted).
 * out: where the new maps and pseudonyms go; ev's slices point into it
 * afterwards.  Returns SPOOR_OK, or SPOOR_E_FULL when out was too small
 * for one of the maps, which was then removed (ev is still safe to write),
 * or SPOOR_E_INVAL when the user id had to be pseudonymized without a key
 * (it was removed).
 */
int spoor_privacy_apply(const spoor_privacy_t *pv, int strip,
    spoor_event_t *ev, spoor_buf_t *out);

/* Reduces ev to an anonymous record, as described above.  Never fails. */
void spoor_anonymize(spoor_event_t *ev);

#endif /* SPOOR_PRIVACY_H */
