/*
 * timestamp.c -- a strict ISO-8601 date-time reader (see timestamp.h).
 *
 * Field ranges are checked (month 1-12, day within its month, leap years,
 * hour 0-23, minute 0-59, second 0-60) and the day count from the civil
 * date is computed directly, so no libc time zone state is involved.
 */
#include "timestamp.h"


static int
digits(const char *s, size_t n, int *v)
{
    size_t  i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}


/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int y, int m, int d)
{
    int64_t  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}


int
spoor_timestamp_parse(const char *s, size_t len, int64_t *ms)
{
    static const int  mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
                                    31, 30, 31 };
    int               y, mo, d, h, mi, sec, frac, oh, om, leap, sign;
    size_t            i, k;
    int64_t           t;

    if (len < 19
        || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo)
        || s[7] != '-' || digits(s + 8, 2, &d)
        || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        || digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi)
        || s[16] != ':' || digits(s + 17, 2, &sec))
    {
        return -1;
    }

    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1000 || mo < 1 || mo > 12 || d < 1
        || d > mdays[mo - 1] + (mo == 2 && leap)
        || h > 23 || mi > 59 || sec > 60)
    {
        return -1;
    }

    i = 19;
    frac = 0;
    if (i < len && s[i] == '.') {
        i++;
        for (k = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++, k++) {
            if (k < 3) {
                frac = frac * 10 + (s[i] - '0');
            }
        }
        if (k == 0) {
            return -1;
        }
        for ( ; k < 3; k++) {
            frac *= 10;
        }
    }

    oh = om = 0;
    sign = 1;
    if (i == len) {
        /* no zone: UTC */
    } else if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        sign = s[i] == '-' ? -1 : 1;
        i++;
        if (len - i == 5 && s[i + 2] == ':') {
            if (digits(s + i, 2, &oh) || digits(s + i + 3, 2, &om)) {
                return -1;
            }
        } else if (len - i == 4) {
            if (digits(s + i, 2, &oh) || digits(s + i + 2, 2, &om)) {
                return -1;
            }
        } else if (len - i == 2) {
            if (digits(s + i, 2, &oh)) {
                return -1;
            }
        } else {
            return -1;
        }
        if (oh > 23 || om > 59) {
            return -1;
        }
    } else {
        return -1;
    }

    t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    t -= sign * (oh * 3600 + om * 60);
    *ms = t * 1000 + frac;
    return 0;
}
