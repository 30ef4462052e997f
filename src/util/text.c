/* text.c - see text.h. */
#include "config.h"
#include "util/text.h"
#include <ctype.h>
#include <string.h>
#include <time.h>

/* hex digit values plus one; 0 for every other byte */
static const unsigned char hexvals[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
    ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int hexval(int c)
{
    return (int)hexvals[(unsigned char)c] - 1;
}

long ds_pct_decode(const char *s, size_t n, char *out, int plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = (unsigned char)(h * 16 + l);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0')
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return (long)o;
}

int ds_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s)
        return -1;
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
        if (!*s)
            return -1;
    }
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
            return -1;
    }
    int64_t r;
    if (neg)
        r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        r = (int64_t)v;
    if (r < min || r > max)
        return -1;
    *out = r;
    return 0;
}

int ds_relpath_ok(const char *p)
{
    if (!*p)
        return 0;
    for (;;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        if (!e)
            return 1;
        p = e + 1;
    }
}

int ds_name_valid(const char *s, int no_dot)
{
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c <= 0x20 || c == 0x7f || c == '/' || (no_dot && c == '.'))
            return 0;
        if (n >= 255)
            return 0;
    }
    return n > 0;
}

int ds_strcaseeq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

/* days since 1970-01-01 of a proleptic Gregorian date */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int ds_time_parse(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0;
    const char *p = s;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    int64_t frac_ms = 0;
    int off_min = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec))
                return -1;
            if (*p == '.' || *p == ',') {
                p++;
                int nd = 0;
                int64_t scale = 100;
                while (*p >= '0' && *p <= '9') {
                    if (nd < 3) {
                        frac_ms += (*p - '0') * scale;
                        scale /= 10;
                    }
                    nd++;
                    p++;
                }
                if (nd == 0 || nd > 9)
                    return -1;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
        if (sec == 60)
            sec = 59; /* leap second: clamp, as every Delta writer does */
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om;
            p++;
            if (digits(&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (digits(&p, 2, &om) || oh > 23 || om > 59)
                return -1;
            off_min = sign * (oh * 60 + om);
        }
    }
    if (*p)
        return -1;
    int64_t days = days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)off_min * 60;
    *ms = secs * 1000 + frac_ms;
    return 0;
}

void ds_time_format(int64_t ms, char *out, size_t outsz)
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int msec = (int)(ms - secs * 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, outsz, "%Y-%m-%dT%H:%M:%S", &tm);
    if (n && n + 6 <= outsz) {
        out[n++] = '.';
        out[n++] = (char)('0' + msec / 100);
        out[n++] = (char)('0' + msec / 10 % 10);
        out[n++] = (char)('0' + msec % 10);
        out[n++] = 'Z';
        out[n] = '\0';
    }
}

void ds_hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int ds_hex_decode(const char *in, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned h = hexvals[(unsigned char)in[2 * i]];
        if (!h)
            return -1;
        unsigned l = hexvals[(unsigned char)in[2 * i + 1]];
        if (!l)
            return -1;
        out[i] = (unsigned char)((h - 1) * 16 + (l - 1));
    }
    return in[2 * n] == '\0' ? 0 : -1;
}

static const char wdays[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Fixed English names, not strftime: the locale must not change a header. */
void ds_http_date_format(int64_t secs, char out[DS_HTTP_DATE_LEN])
{
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - days * 86400;
    /* civil date from days since 1970-01-01 (the inverse of days_from_civil) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int64_t y = yoe + era * 400 + (m <= 2);
    int wd = (int)(((days % 7) + 7) % 7);
    if (y < 0 || y > 9999) { /* not representable: clamp to the epoch */
        y = 1970, m = 1, d = 1, wd = 0, rem = 0;
    }
    int h = (int)(rem / 3600), mi = (int)(rem / 60 % 60), s = (int)(rem % 60);
    char *o = out;
    memcpy(o, wdays[wd], 3);
    o += 3;
    *o++ = ',';
    *o++ = ' ';
    *o++ = (char)('0' + d / 10);
    *o++ = (char)('0' + d % 10);
    *o++ = ' ';
    memcpy(o, months[m - 1], 3);
    o += 3;
    *o++ = ' ';
    *o++ = (char)('0' + y / 1000);
    *o++ = (char)('0' + y / 100 % 10);
    *o++ = (char)('0' + y / 10 % 10);
    *o++ = (char)('0' + y % 10);
    *o++ = ' ';
    *o++ = (char)('0' + h / 10);
    *o++ = (char)('0' + h % 10);
    *o++ = ':';
    *o++ = (char)('0' + mi / 10);
    *o++ = (char)('0' + mi % 10);
    *o++ = ':';
    *o++ = (char)('0' + s / 10);
    *o++ = (char)('0' + s % 10);
    memcpy(o, " GMT", 5);
}

int ds_http_date_parse(const char *s, int64_t *secs)
{
    /* "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters exactly */
    if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
        s[16] != ' ' || s[19] != ':' || s[22] != ':' || strcmp(s + 25, " GMT") != 0)
        return -1;
    int wd = -1, m = -1;
    for (int i = 0; i < 7; i++)
        if (memcmp(s, wdays[i], 3) == 0)
            wd = i;
    for (int i = 0; i < 12; i++)
        if (memcmp(s + 8, months[i], 3) == 0)
            m = i + 1;
    const char *p = s + 5;
    int d, y, h, mi, sec;
    if (wd < 0 || m < 0 || digits(&p, 2, &d) < 0)
        return -1;
    p = s + 12;
    if (digits(&p, 4, &y) < 0)
        return -1;
    p = s + 17;
    if (digits(&p, 2, &h) < 0)
        return -1;
    p = s + 20;
    if (digits(&p, 2, &mi) < 0)
        return -1;
    p = s + 23;
    if (digits(&p, 2, &sec) < 0)
        return -1;
    if (d < 1 || d > days_in_month(y, m) || h > 23 || mi > 59 || sec > 60)
        return -1;
    if (sec == 60)
        sec = 59;
    int64_t days = days_from_civil(y, m, d);
    if ((int)(((days % 7) + 7) % 7) != wd)
        return -1; /* the day name must agree with the date */
    *secs = days * 86400 + h * 3600 + mi * 60 + sec;
    return 0;
}

long ds_z85_decode(const char *s, size_t n, unsigned char *out)
{
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
                                   "VWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    if (n % 5)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 5) {
        uint64_t v = 0;
        for (size_t k = 0; k < 5; k++) {
            const char *c = s[i + k] ? strchr(alphabet, s[i + k]) : NULL;
            if (!c)
                return -1;
            v = v * 85 + (uint64_t)(c - alphabet);
        }
        if (v > UINT32_MAX)
            return -1;
        out[o++] = (unsigned char)(v >> 24);
        out[o++] = (unsigned char)(v >> 16);
        out[o++] = (unsigned char)(v >> 8);
        out[o++] = (unsigned char)v;
    }
    return (long)o;
}
