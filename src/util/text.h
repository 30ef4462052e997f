/* text.h - strict parsing and encoding helpers (no atoi, no sprintf). */
#ifndef DS_TEXT_H
#define DS_TEXT_H
#include <stddef.h>
#include <stdint.h>

/* Percent-decodes s[0..n) into out (which must hold n+1 bytes), once.
 * plus_is_space: form encoding ('+' means ' '), used for query strings.
 * Returns the decoded length, or -1 on a malformed escape or a decoded NUL. */
long ds_pct_decode(const char *s, size_t n, char *out, int plus_is_space);

/* Parses a decimal integer (optional '-', digits only, no spaces) within
 * [min, max].  Returns 0, or -1 when s is not such a number. */
int ds_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Delta Sharing names: 1..255 bytes, none of space, '/', 0x00-0x1F, 0x7F;
 * with no_dot also no '.' (schemas and tables). */
int ds_name_valid(const char *s, int no_dot);
/* 1 when p (decoded) is a clean relative path: not empty, no leading or
 * trailing '/', no empty, "." or ".." segment; else 0. */
int ds_relpath_ok(const char *p);

int ds_strcaseeq(const char *a, const char *b);

/* RFC 3339 / ISO 8601 timestamp with optional fraction and offset ("Z",
 * "+hh:mm"); a string without offset is read as UTC.  Also accepts a
 * space instead of 'T'.  Returns 0 and milliseconds since the epoch. */
int ds_time_parse(const char *s, int64_t *ms);
/* Formats as 2027-01-01T00:00:00.000Z into out (at least 32 bytes). */
void ds_time_format(int64_t ms, char *out, size_t outsz);

/* HTTP dates (RFC 9110 IMF-fixdate, always GMT): "Sun, 06 Nov 1994
 * 08:49:37 GMT".  Formats seconds since the epoch into out (at least 30
 * bytes).  The parser accepts exactly that form (the obsolete RFC 850 and
 * asctime forms are not accepted); returns 0 and seconds, or -1. */
#define DS_HTTP_DATE_LEN 30
void ds_http_date_format(int64_t secs, char out[DS_HTTP_DATE_LEN]);
int ds_http_date_parse(const char *s, int64_t *secs);

/* Z85 (ZeroMQ RFC 32): n characters (a multiple of 5) into n/5*4 bytes.
 * Returns the number of bytes, or -1 for a length that is not a multiple
 * of 5, a character outside the alphabet, or a group above 2^32-1. */
long ds_z85_decode(const char *s, size_t n, unsigned char *out);

/* Lower-case hex of n bytes; out must hold 2n+1. */
void ds_hex_encode(const unsigned char *in, size_t n, char *out);
/* Decodes exactly 2n hex digits; returns 0 or -1. */
int ds_hex_decode(const char *in, unsigned char *out, size_t n);
#endif
