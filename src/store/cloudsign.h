/* cloudsign.h - pure request signers for the object stores: AWS Signature
 * Version 4 (S3, and GCS with HMAC keys as GOOG4-HMAC-SHA256), GCS V4 with
 * a service-account RSA key (GOOG4-RSA-SHA256), and Azure Blob (service and
 * account SAS, SharedKey).
 *
 * Every function here is pure: no clock (the signing time is a parameter),
 * no network, no global state.  Each one builds the canonical text the
 * service hashes, signs it, and appends the finished URL, query or header
 * text to a caller's buffer; nothing is appended when it fails.  A
 * ds_sign_trace, when given, receives copies of the intermediate strings so
 * that tests can compare them with the SDK vectors in shared/vectors/.
 *
 * Secrets (secret access keys, account keys, private keys) never appear in
 * a ds_error message or detail, and derived key material is wiped before
 * returning.  Inputs are bounded by DS_CLOUDSIGN_MAX; longer ones are
 * refused with DS_ERR_INVALID_PARAM.
 *
 * Encodings used below:
 *   S3 encoding     every byte except A-Z a-z 0-9 - . _ ~ as %XX (upper-case
 *                   hex, UTF-8 bytes as they are); '/' kept in paths.  Used
 *                   by SigV4 and GCS for paths and query names and values.
 *   Azure path      as S3 in paths, but ! ( ) * also stay literal (what the
 *                   Azure SDK writes in blob URLs).
 *   Azure query     JavaScript's encodeURIComponent: A-Z a-z 0-9 - _ . ! ~
 *                   * ' ( ) literal (what the Azure SDK writes in SAS).
 */
#ifndef DS_CLOUDSIGN_H
#define DS_CLOUDSIGN_H
#include "deltasharing.h"
#include "util/buf.h"
#include <stddef.h>
#include <stdint.h>

/* Longest input string (secret, path, one header value...) and longest
 * intermediate text (canonical request, string to sign) accepted. */
#define DS_CLOUDSIGN_MAX (64 * 1024)
/* Longest lifetime of a presigned URL (S3 and GCS refuse more): 7 days. */
#define DS_PRESIGN_MAX_S 604800

typedef struct ds_kv {
    const char *name, *value; /* raw, unencoded */
} ds_kv;

/* Optional capture of intermediate strings, for tests; either field may be
 * NULL.  The strings are appended (the buffers are not cleared first). */
typedef struct ds_sign_trace {
    ds_buf *canonical_request, *string_to_sign;
} ds_sign_trace;

/* ---- AWS Signature Version 4 ------------------------------------------ */

typedef struct ds_sigv4_cfg {
    const char *algorithm; /* "AWS4-HMAC-SHA256" (S3) or "GOOG4-HMAC-SHA256" (GCS HMAC keys) */
    const char *service;   /* "s3" or "storage" */
    const char *region;    /* e.g. "us-east-1"; GCS uses "auto" */
    const char *access_key_id, *secret, *session_token; /* session_token may be NULL */
} ds_sigv4_cfg;
/* The algorithm decides the names: "AWS4-HMAC-SHA256" gives key prefix
 * "AWS4", scope terminator "aws4_request", query parameters X-Amz-* and
 * headers x-amz-*; "GOOG4-HMAC-SHA256" gives "GOOG4", "goog4_request",
 * X-Goog-* and x-goog-*.  Any other algorithm is DS_ERR_CONFIG.
 *
 * The signing chain (both algorithms):
 *   kDate    = HMAC-SHA256(<prefix> + secret, YYYYMMDD)
 *   kRegion  = HMAC-SHA256(kDate, region)
 *   kService = HMAC-SHA256(kRegion, service)
 *   kSigning = HMAC-SHA256(kService, <terminator>)
 *   signature = lower-case hex of HMAC-SHA256(kSigning, string to sign)
 * string to sign = algorithm "\n" YYYYMMDDTHHMMSSZ "\n"
 *                  YYYYMMDD/region/service/<terminator> "\n"
 *                  hex(SHA-256(canonical request)). */

/* Query-signed (presigned) URL.
 * url_base: "scheme://host[:port]", no trailing '/'.
 * host: the Host value that is signed (S3 signs the port when the URL
 *   has one: "127.0.0.1:9000").
 * path: the raw, unencoded absolute path ("/bucket/key" path style, "/key"
 *   virtual-hosted), S3-encoded here; URL path and canonical URI are the
 *   same bytes.
 * query: extra raw parameters, signed too (may be NULL/0); none may be
 *   named like a parameter the signer writes itself (X-Amz-Algorithm,
 *   -Credential, -Date, -Expires, -Security-Token, -SignedHeaders,
 *   -Signature; X-Goog-* with GOOG4).  Others such as X-Amz-Content-Sha256
 *   are allowed (getSignedUrl signs it).
 * now_s: signing time (epoch seconds); expires_s: X-Amz-Expires, 1 to
 *   DS_PRESIGN_MAX_S (else DS_ERR_INVALID_PARAM).
 * Signed: the canonical request
 *   method \n path \n canonical query \n "host:" host \n \n "host" \n UNSIGNED-PAYLOAD
 * where the canonical query holds X-Amz-Algorithm, -Credential
 * (<key id>/<scope>), -Date, -Expires, -Security-Token (with a session
 * token), -SignedHeaders=host and the extra parameters, each name and value
 * S3-encoded, sorted by encoded name (then value), joined with '&'.
 * Appends url_base + path + "?" + the same parameters to out; with
 * AWS4 X-Amz-Signature takes its place in sort order (as the JS SDK does),
 * with GOOG4 X-Goog-Signature comes last (as the GCS SDK does). */
ds_status ds_sigv4_presign(const ds_sigv4_cfg *c, int64_t now_s, int64_t expires_s,
                           const char *method, const char *url_base, const char *host,
                           const char *path, const ds_kv *query, size_t nquery, ds_buf *out,
                           ds_sign_trace *trace, ds_error *err);

/* Header-signed request (Authorization header), for ListObjectsV2 / GET /
 * HEAD.  Same url_base/host/path/query conventions as ds_sigv4_presign;
 * the payload is empty: its SHA-256 (e3b0c442...) is signed and sent as
 * x-amz-content-sha256 (x-goog-content-sha256 with GOOG4).
 * sign_headers: extra headers to sign (lower-case names, e.g.
 * {"range", "bytes=0-99"}), may be NULL/0; none may repeat a header this
 * function adds, or hold CR or LF.
 * Signed: method \n path \n canonical query \n canonical headers \n
 * signed header names \n payload hash, where the canonical headers are
 * host, x-amz-content-sha256, x-amz-date, x-amz-security-token (with a
 * session token) and the extra headers, "name:value\n" each (value trimmed,
 * inner runs of spaces collapsed), sorted by name.
 * Appends to url the request URL (url_base + S3-encoded path + "?" +
 * canonical query, no '?' without parameters), and to headers one
 * "Name: value\n" line for each header the caller must send:
 * x-amz-date, x-amz-content-sha256, x-amz-security-token (with a session
 * token), the extra signed headers as given, then
 *   Authorization: AWS4-HMAC-SHA256 Credential=<key id>/<scope>,
 *     SignedHeaders=<names>, Signature=<hex>
 * Host is not among them: the HTTP client sends it (it must equal host). */
ds_status ds_sigv4_sign_request(const ds_sigv4_cfg *c, int64_t now_s, const char *method,
                                const char *url_base, const char *host, const char *path,
                                const ds_kv *query, size_t nquery, const ds_kv *sign_headers,
                                size_t nheaders, ds_buf *url, ds_buf *headers,
                                ds_sign_trace *trace, ds_error *err);

/* The SigV4 signing key (kSigning above) for the date of now_s, into
 * out[32]: for tests and debugging (the vectors carry signing_key_hex).
 * The caller wipes it. */
ds_status ds_sigv4_signing_key(const ds_sigv4_cfg *c, int64_t now_s, unsigned char out[32],
                               ds_error *err);

/* S3 encoding of s[0..n) (encode_slash=0 keeps '/'), appended to out.
 * Returns 0, or -1 when out overflows its cap (out is then freed). */
int ds_uri_encode(ds_buf *out, const char *s, size_t n, int encode_slash);

/* ---- Azure Blob ---------------------------------------------------------- */

/* Decodes standard base64 (with padding, no whitespace) of n characters
 * into a new malloc'd buffer.  Returns 0 with *out and *outlen set, or -1 (nothing
 * allocated).  The caller wipes and frees *out when it holds a key. */
int ds_base64_decode_alloc(const char *b64, size_t n, unsigned char **out, size_t *outlen);

/* Azure path encoding (see the top of this file) of s[0..n), '/' kept. */
int ds_azure_path_encode(ds_buf *out, const char *s, size_t n);

/* Service SAS for one blob ("sr=b").  key: the decoded account key bytes. */
typedef struct ds_azure_sas {
    const char *account, *container, *blob; /* blob raw, unencoded */
    const char *sv;          /* signed version, e.g. "2022-11-02"; at least 2018-11-09 */
    const char *sp;          /* permissions, "r" */
    int64_t st_s;            /* start, epoch seconds; -1 = omitted */
    int64_t se_s;            /* expiry, epoch seconds */
    const char *spr;         /* "https", "https,http" or NULL */
    const char *rscd, *rsct; /* response content-disposition/type overrides or NULL */
} ds_azure_sas;
/* Signed (times as YYYY-MM-DDThh:mm:ssZ, everything raw, '\n' between
 * lines, no trailing newline):
 *   sp, st, se, /blob/<account>/<container>/<blob>, si (empty), sip (empty),
 *   spr, sv, "b", snapshot (empty), [ses (empty): only for sv >= 2020-12-06],
 *   rscc, rscd, rsce, rscl, rsct (unused ones empty)
 * so 16 lines from 2020-12-06 on and 15 before.  The signature is base64
 * of HMAC-SHA256 under the key.  Appends the SAS query (no leading '?') in
 * the order the SDK writes it, values Azure-query-encoded:
 *   sv=..&spr=..&st=..&se=..&sr=b&sp=..&rscd=..&rsct=..&sig=..
 * (spr, st, rscd, rsct only when given).  An sv before 2018-11-09 (other
 * string-to-sign layouts) is DS_ERR_UNSUPPORTED. */
ds_status ds_azure_blob_sas(const ds_azure_sas *s, const unsigned char *key, size_t keylen,
                            ds_buf *out, ds_sign_trace *trace, ds_error *err);

/* Account SAS. */
typedef struct ds_azure_account_sas {
    const char *account;
    const char *sv;  /* at least 2018-11-09 */
    const char *ss;  /* services, "b" */
    const char *srt; /* resource types, e.g. "o" (objects), "sco" */
    const char *sp;  /* permissions, "r", "rl" */
    int64_t st_s;    /* -1 = omitted */
    int64_t se_s;
    const char *spr; /* or NULL */
} ds_azure_account_sas;
/* Signed: account, sp, ss, srt, st, se, sip (empty), spr, sv,
 * [ses (empty): sv >= 2020-12-06], each followed by '\n' (so the text ends
 * with a newline).  Appends sv=..&ss=..&srt=..&spr=..&st=..&se=..&sp=..&sig=..
 * (spr and st only when given). */
ds_status ds_azure_account_sas_query(const ds_azure_account_sas *s, const unsigned char *key,
                                     size_t keylen, ds_buf *out, ds_sign_trace *trace,
                                     ds_error *err);

/* SharedKey authorization of one request.
 * path: the URL path, decoded ("/devstoreaccount1/delta-vectors" for the
 *   emulator's path style, "/delta-vectors" on the cloud host).  It is
 *   signed Azure-path-encoded, as it appears in the request line, so the
 *   caller must build the request URL's path with ds_azure_path_encode.
 * query: the URL's parameters, raw (decoded).
 * headers: every header that will be sent and takes part in signing
 *   (x-ms-date, x-ms-version, range, ...; lower-case names); others (accept,
 *   user-agent) are ignored.  None may hold CR or LF.
 * Signed: method, then the values of content-encoding, content-language,
 *   content-length (empty when "0"), content-md5, content-type, date,
 *   if-modified-since, if-match, if-none-match, if-unmodified-since, range
 *   (empty when absent), each line ending in '\n'; then every x-ms-* header
 *   as "name:value\n" sorted by name; then "/" account path, and for each
 *   query parameter, names lower-cased and sorted, "\nname:value" (the
 *   values of a repeated name sorted and joined with ',').  No trailing
 *   newline.  For the emulator's path style the account thus appears twice.
 * Appends "SharedKey <account>:<base64 HMAC-SHA256>" to authorization. */
ds_status ds_azure_shared_key(const char *account, const unsigned char *key, size_t keylen,
                              const char *method, const char *path, const ds_kv *query,
                              size_t nquery, const ds_kv *headers, size_t nheaders,
                              ds_buf *authorization, ds_sign_trace *trace, ds_error *err);

/* ---- Google Cloud Storage, V4 with an RSA service-account key ------------- */

/* An RSA private key (libcrypto's EVP_PKEY behind an opaque name: the
 * library opens libcrypto only when it reads such a key). */
typedef struct ds_rsa_key ds_rsa_key;

/* GOOG4-RSA-SHA256 signed URL.  Same url_base/path/query conventions as
 * ds_sigv4_presign; host is signed as given.  Google's SDK signs a host
 * without its port; the store code signs the Host header clients will
 * send (with a non-default port), which a server checking what it
 * received accepts.  The credential is <client_email>/<YYYYMMDD>/auto/storage/goog4_request,
 * the payload line UNSIGNED-PAYLOAD.  The signature is RSASSA-PKCS1-v1_5
 * with SHA-256 over the string to sign (deterministic), lower-case hex.
 * Appends url_base + path + "?" + the canonical query (X-Goog-Algorithm,
 * -Credential, -Date, -Expires, -SignedHeaders and the extra parameters,
 * sorted) + "&X-Goog-Signature=<hex>", the order of the SDK's URLs. */
ds_status ds_gcs_presign_rsa(ds_rsa_key *key, const char *client_email, int64_t now_s,
                             int64_t expires_s, const char *url_base, const char *host,
                             const char *path, const ds_kv *query, size_t nquery, ds_buf *out,
                             ds_sign_trace *trace, ds_error *err);

/* Reads a service-account JSON key file's text: its client_email and its
 * private_key (PEM, RSA).  Returns DS_OK, *client_email (malloc'd) and
 * *key (ds_rsa_key_free it), or DS_ERR_CONFIG without naming the key.
 * libcrypto is opened (dlopen) on the first call: only a config with a
 * service-account key maps it. */
ds_status ds_gcs_service_account_parse(const char *json, size_t len, char **client_email,
                                       ds_rsa_key **key, ds_error *err);
void ds_rsa_key_free(ds_rsa_key *key);

/* The JWT a service account presents to Google's OAuth 2.0 token endpoint
 * (JWT-bearer grant): header {"alg":"RS256","typ":"JWT"}, claims iss
 * (client_email), scope, aud (the token URI), iat = now_s, exp = now_s +
 * 3600, each part base64url without padding, signed RSASSA-PKCS1-v1_5 /
 * SHA-256.  Appended to out. */
ds_status ds_gcs_jwt(ds_rsa_key *key, const char *client_email, const char *scope,
                     const char *aud, int64_t now_s, ds_buf *out, ds_error *err);
/* The key file's token_uri when it is an http(s) URL, malloc'd; else NULL
 * (then Google's own, DS_GCS_TOKEN_URI). */
#define DS_GCS_TOKEN_URI "https://oauth2.googleapis.com/token"
char *ds_gcs_token_uri(const char *json, size_t len);
#endif
