/*
 * ipaddr.c -- address normalisation and masking (see ipaddr.h).
 */
#include <string.h>
#include "ipaddr.h"


size_t
spoor_ip_normalize(const unsigned char *addr, size_t len, unsigned char *out)
{
    static const unsigned char  mapped[12] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
    };

    if (len == 4) {
        memcpy(out, addr, 4);
        return 4;
    }
    if (len != 16) {
        return 0;
    }
    if (memcmp(addr, mapped, sizeof(mapped)) == 0) {
        memcpy(out, addr + 12, 4);
        return 4;
    }
    memcpy(out, addr, 16);
    return 16;
}


void
spoor_ip_mask(unsigned char *ip, size_t len, unsigned bits)
{
    size_t  i;

    if (bits >= len * 8) {
        return;
    }
    i = bits / 8;
    if (bits % 8) {
        ip[i] &= (unsigned char) (0xff << (8 - bits % 8));
        i++;
    }
    memset(ip + i, 0, len - i);
}
