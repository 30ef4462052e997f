/* cloudsign_int.h - helpers shared by the signers (sigv4.c, gcs_sign.c,
 * azure_sign.c); not part of the signing API in cloudsign.h. */
#ifndef DS_CLOUDSIGN_INT_H
#define DS_CLOUDSIGN_INT_H
#include "store/cloudsign.h"

/* The public message of every signing failure: the details (never a
 * secret) go to the log only. */
#define DS_CS_FAILED "The storage request could not be signed."

/* Percent-encodes s[0..n) into out: A-Z a-z 0-9 and the bytes of `keep`
 * stay, everything else becomes %XX (upper-case hex).  0 or -1. */
int ds_cs_pct_encode(ds_buf *out, const char *s, size_t n, const char *keep);

/* Query parameters, S3-encoded, for a canonical query. */
typedef struct ds_cs_param {
    char *name, *value; /* encoded, malloc'd */
} ds_cs_param;
typedef struct ds_cs_params {
    ds_cs_param *v;
    size_t n, cap;
} ds_cs_params;
/* Adds one parameter (raw name and value, encoded here).  0 or -1. */
int ds_cs_params_add(ds_cs_params *p, const char *name, const char *value);
/* Sorts by encoded name, then encoded value (byte order). */
void ds_cs_params_sort(ds_cs_params *p);
/* Appends name=value pairs joined with '&'.  0 or -1. */
int ds_cs_params_join(const ds_cs_params *p, ds_buf *out);
/* 1 when a parameter has this (encoded) name. */
int ds_cs_params_has(const ds_cs_params *p, const char *name);
void ds_cs_params_free(ds_cs_params *p);

/* Lower-case hex SHA-256 of d[0..n) into out[65].  0 or -1. */
int ds_cs_sha256_hex(const void *d, size_t n, char out[65]);
/* HMAC-SHA256.  0 or -1. */
int ds_cs_hmac(const void *key, size_t klen, const void *d, size_t n, unsigned char out[32]);

/* now_s as YYYYMMDDTHHMMSSZ and YYYYMMDD.  0, or -1 when out of years
 * 1970-9999. */
int ds_cs_stamp(int64_t now_s, char stamp[17], char date[9]);
/* s as YYYY-MM-DDThh:mm:ssZ.  0 or -1 as ds_cs_stamp. */
int ds_cs_iso_time(int64_t s, char out[21]);

/* 1 when s is a non-NULL string of at most DS_CLOUDSIGN_MAX bytes without
 * CR or LF. */
int ds_cs_str_ok(const char *s);

/* Copies src into the trace buffer dst when both exist. */
void ds_cs_trace(ds_buf *dst, const ds_buf *src);

/* Everything a query-signed V4 URL needs (SigV4 presign and GCS RSA). */
typedef struct ds_cs_presign {
    const char *algorithm; /* first line of the string to sign, X-*-Algorithm */
    const char *qprefix;   /* "X-Amz-" or "X-Goog-" */
    const char *stamp;     /* YYYYMMDDTHHMMSSZ */
    const char *scope;     /* YYYYMMDD/region/service/terminator */
    const char *key_id;    /* access key id or client e-mail */
    const char *session_token; /* or NULL */
    int64_t expires_s;
    const char *method, *host, *path;
    const ds_kv *query;
    size_t nquery;
} ds_cs_presign;
/* Builds the sorted, encoded parameters (without the signature), the
 * canonical request and the string to sign. */
ds_status ds_cs_presign_prepare(const ds_cs_presign *in, ds_cs_params *params, ds_buf *cr,
                                ds_buf *sts, ds_error *err);
/* Appends url_base + encoded path + "?" + parameters with the signature:
 * in sort order (sig_sorted) or last. */
ds_status ds_cs_presign_finish(const ds_cs_presign *in, ds_cs_params *params,
                               const char *url_base, const char *sig_hex, int sig_sorted,
                               ds_buf *out, ds_error *err);
#endif
