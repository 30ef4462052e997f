/* testutil.h - small helpers shared by the Check suites (header-only). */
#ifndef DS_TESTUTIL_H
#define DS_TESTUTIL_H
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes len bytes of data to a new temporary file; path receives its name
 * (at least 64 bytes).  Fails the test when anything goes wrong. */
static inline void tu_write_temp(const void *data, size_t len, char *path, size_t pathsz)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int n = snprintf(path, pathsz, "%s/ds-unit-XXXXXX", dir);
    ck_assert(n > 0 && (size_t)n < pathsz);
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp failed for %s", path);
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        ck_assert(w > 0);
        p += w;
        len -= (size_t)w;
    }
    ck_assert_int_eq(close(fd), 0);
}

/* Lower-case hex SHA-256 of a NUL-terminated string (out: 65 bytes). */
static inline void tu_sha256_hex(const char *s, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    static const char hx[] = "0123456789abcdef";
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    for (size_t i = 0; i < sizeof h; i++) {
        out[2 * i] = hx[h[i] >> 4];
        out[2 * i + 1] = hx[h[i] & 15];
    }
    out[64] = '\0';
}

/* Returns a malloc'd copy of text with every occurrence of each marker
 * marks[i] replaced by vals[i]. */
static inline char *tu_subst(const char *text, const char *const *marks,
                             const char *const *vals, size_t n)
{
    size_t cap = strlen(text) + 1;
    for (size_t i = 0; i < n; i++)
        for (const char *s = strstr(text, marks[i]); s; s = strstr(s + 1, marks[i]))
            cap += strlen(vals[i]);
    char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    size_t o = 0;
    const char *s = text;
    while (*s) {
        size_t i;
        for (i = 0; i < n; i++)
            if (strncmp(s, marks[i], strlen(marks[i])) == 0)
                break;
        if (i < n) {
            size_t vl = strlen(vals[i]);
            memcpy(out + o, vals[i], vl);
            o += vl;
            s += strlen(marks[i]);
        } else {
            out[o++] = *s++;
        }
    }
    out[o] = '\0';
    return out;
}

/* Runs a suite; returns the process exit status for automake. */
static inline int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
