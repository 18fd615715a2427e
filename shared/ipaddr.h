/*
 * ipaddr.h -- client addresses as the log stores them: 4 or 16 bytes in
 * network order, IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) stored as
 * the IPv4 address they carry, and masked to a prefix before writing.
 */
#ifndef SPOOR_IPADDR_H
#define SPOOR_IPADDR_H

#include <stddef.h>

/*
 * Normalises addr (4 or 16 bytes) into out[16]: a mapped IPv4 address
 * becomes its 4 bytes.  Returns the stored length (4 or 16), or 0 for
 * any other input length.
 */
size_t spoor_ip_normalize(const unsigned char *addr, size_t len,
    unsigned char *out);

/* Keeps the first `bits` bits of ip (length len) and zeroes the rest;
 * bits at or above the address size leave it whole. */
void spoor_ip_mask(unsigned char *ip, size_t len, unsigned bits);

#endif /* SPOOR_IPADDR_H */
