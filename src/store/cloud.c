/* cloud.c - the object stores: S3 (and S3-compatible stores), Google Cloud
 * Storage through its XML API, and Azure Blob Storage, behind the storage
 * seam (list, get, get_range, stat) and the signing seam (presign).
 *
 * Store URLs are table locations plus a raw (decoded) path below them:
 *   s3://bucket/key, s3a://bucket/key, gs://bucket/key,
 *   abfss://container@account.dfs.core.windows.net/key (and abfs://),
 *   az://container/key (account from the store), and
 *   https://account.blob.core.windows.net/container/key.
 * A `store.*` stanza of the config serves the locations under its
 * prefixes; without one, credentials come from the environment (see
 * delta-sharing.conf(5)).
 *
 * Requests to the store are signed with the wall clock (stores refuse
 * skewed requests); presigned URLs use the library's clock, so tests with
 * a fixed clock get fixed URLs.
 */
#include "config.h"
#include "catalog/catalog.h"
#include "delta/actions.h"
#include "store/cloudsign.h"
#include "store/http.h"
#include "store/sign.h"
#include "store/store.h"
#include "store/xml.h"
#include "util/text.h"
#include <json-c/json.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIST_PAGE_MAX (16u * 1024 * 1024)
#define AZURE_VERSION "2023-11-03"
#define AZURE_SAS_VERSION "2022-11-02"

/* ---- credentials: the store's, else the environment's -------------------- */

typedef struct creds {
    ds_store_type type;
    const char *endpoint; /* NULL: the cloud's own */
    const char *region;
    int path_style;
    const char *akid, *secret, *token;
    const char *account;
    const unsigned char *akey;
    size_t akey_len;
    const char *hmac_id, *hmac_secret;
    const char *sa_email;
    ds_rsa_key *sa_key;
    const char *sa_token_uri;
    const char *bearer; /* GCS without an HMAC key: an OAuth access token */
    char ep_buf[2048];  /* an endpoint from the environment, tidied */
    ds_http_opts http;
    int64_t max_pages;
} creds;

static const char *env(const char *a, const char *b)
{
    const char *v = getenv(a);
    if ((!v || !*v) && b)
        v = getenv(b);
    return v && *v ? v : NULL;
}

/* Decoded AZURE_STORAGE_KEY and the GOOGLE_APPLICATION_CREDENTIALS key,
 * loaded once per process. */
static unsigned char env_akey[256];
static size_t env_akey_len;
static int env_akey_done;
static char *env_sa_email;
static ds_rsa_key *env_sa_key;
static char *env_sa_token_uri;
static int env_sa_done;

static void load_env_azure_key(void)
{
    if (env_akey_done)
        return;
    env_akey_done = 1;
    const char *k = env("AZURE_STORAGE_KEY", "AZURE_STORAGE_ACCOUNT_KEY");
    const char *end;
    if (k && sodium_base642bin(env_akey, sizeof env_akey, k, strlen(k), NULL, &env_akey_len,
                               &end, sodium_base64_VARIANT_ORIGINAL) != 0)
        env_akey_len = 0;
}

static void load_env_sa_key(void)
{
    if (env_sa_done)
        return;
    env_sa_done = 1;
    const char *path = env("GOOGLE_APPLICATION_CREDENTIALS", NULL);
    if (!path)
        return;
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    ds_error e;
    ds_error_clear(&e);
    if (ds_gcs_service_account_parse(buf, n, &env_sa_email, &env_sa_key, &e) != DS_OK) {
        env_sa_email = NULL;
        env_sa_key = NULL;
    } else {
        env_sa_token_uri = ds_gcs_token_uri(buf, n);
    }
    sodium_memzero(buf, sizeof buf);
}

/* The environment's store for a type: used when no store.* stanza serves a
 * location. */
static ds_store_cfg env_store[4];

static const ds_store_cfg *env_cfg(ds_store_type t)
{
    ds_store_cfg *c = &env_store[t];
    if (!c->type) {
        ds_store_cfg_init(c);
        c->name = "(environment)";
        c->type = t;
    }
    return c;
}

static void get_creds(const ds_store_cfg *c, creds *k)
{
    memset(k, 0, sizeof *k);
    int from_env = c >= env_store && c < env_store + 4;
    k->type = c->type;
    k->endpoint = c->endpoint;
    k->region = c->region;
    k->path_style = c->path_style;
    k->http.connect_timeout_ms = c->connect_timeout_ms;
    k->http.timeout_ms = c->timeout_ms;
    k->http.retries = c->retries;
    k->http.parallel = c->parallel;
    k->http.ca_file = c->ca_file;
    k->max_pages = c->max_list_pages;
    switch (c->type) {
    case DS_STORE_S3:
        k->akid = c->access_key_id;
        k->secret = c->secret_access_key;
        k->token = c->session_token;
        if (!k->akid) {
            k->akid = env("AWS_ACCESS_KEY_ID", NULL);
            k->secret = env("AWS_SECRET_ACCESS_KEY", NULL);
            k->token = env("AWS_SESSION_TOKEN", NULL);
        }
        if (!k->region)
            k->region = env("AWS_REGION", "AWS_DEFAULT_REGION");
        if (!k->region)
            k->region = "us-east-1";
        if (from_env && !k->endpoint)
            k->endpoint = env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
        break;
    case DS_STORE_GCS:
        k->hmac_id = c->hmac_access_id;
        k->hmac_secret = c->hmac_secret;
        k->sa_email = c->sa_email;
        k->sa_key = c->sa_key;
        k->sa_token_uri = c->sa_token_uri;
        if (!k->hmac_id && !k->sa_key) {
            k->hmac_id = env("GCS_HMAC_ACCESS_ID", NULL);
            k->hmac_secret = env("GCS_HMAC_SECRET", NULL);
            load_env_sa_key();
            k->sa_email = env_sa_email;
            k->sa_key = env_sa_key;
            k->sa_token_uri = env_sa_token_uri ? env_sa_token_uri : DS_GCS_TOKEN_URI;
        }
        k->region = "auto";
        if (from_env && !k->endpoint && (k->endpoint = env("STORAGE_EMULATOR_HOST", NULL)) &&
            !strstr(k->endpoint, "://")) {
            /* Google's SDKs take "host:port" there too */
            snprintf(k->ep_buf, sizeof k->ep_buf, "http://%s", k->endpoint);
            k->endpoint = k->ep_buf;
        }
        break;
    case DS_STORE_AZURE:
        k->account = c->account_name;
        k->akey = c->account_key;
        k->akey_len = c->account_key_len;
        if (!k->akey) {
            load_env_azure_key();
            if (!k->account)
                k->account = env("AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_ACCOUNT_NAME");
            k->akey = env_akey_len ? env_akey : NULL;
            k->akey_len = env_akey_len;
        }
        if (from_env && !k->endpoint)
            k->endpoint = env("AZURE_STORAGE_ENDPOINT", NULL);
        break;
    }
    if (k->endpoint) {
        /* the environment's endpoint may end in '/' (a copy in the creds
         * themselves: decoding threads resolve creds at the same time) */
        size_t n = strlen(k->endpoint);
        if (n && k->endpoint[n - 1] == '/' && n < sizeof k->ep_buf) {
            while (n && k->endpoint[n - 1] == '/')
                n--;
            memmove(k->ep_buf, k->endpoint, n);
            k->ep_buf[n] = '\0';
            k->endpoint = k->ep_buf;
        }
    }
}

static ds_status not_configured(ds_error *err, const char *what)
{
    ds_error_set(err, DS_ERR_INTERNAL, "This table's storage is not configured on the server.");
    ds_error_detail(err, "%s", what);
    return err->status;
}

/* ---- locations ----------------------------------------------------------- */

typedef struct loc {
    char bucket[256];  /* bucket or container */
    char account[128]; /* Azure: from the URL, when it names one */
    const char *key;   /* raw key below the bucket ("" for the bucket itself) */
} loc;

static int copy_part(char *out, size_t outsz, const char *s, size_t n)
{
    if (n == 0 || n >= outsz)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static ds_status parse_loc(const char *url, loc *l, ds_error *err)
{
    memset(l, 0, sizeof *l);
    const char *p = strstr(url, "://");
    if (!p)
        goto bad;
    p += 3;
    const char *slash = strchr(p, '/');
    size_t hl = slash ? (size_t)(slash - p) : strlen(p);
    l->key = slash ? slash + 1 : "";
    if (strncmp(url, "abfss://", 8) == 0 || strncmp(url, "abfs://", 7) == 0) {
        /* container@account.dfs.core.windows.net */
        const char *at = memchr(p, '@', hl);
        if (!at || copy_part(l->bucket, sizeof l->bucket, p, (size_t)(at - p)) < 0)
            goto bad;
        const char *host = at + 1;
        size_t al = strcspn(host, "./");
        if (copy_part(l->account, sizeof l->account, host, al) < 0)
            goto bad;
    } else if (strncmp(url, "https://", 8) == 0) {
        /* account.blob.core.windows.net/container/key */
        size_t al = strcspn(p, "./");
        if (copy_part(l->account, sizeof l->account, p, al) < 0 || !slash)
            goto bad;
        const char *c = slash + 1;
        const char *cs = strchr(c, '/');
        size_t cl = cs ? (size_t)(cs - c) : strlen(c);
        if (copy_part(l->bucket, sizeof l->bucket, c, cl) < 0)
            goto bad;
        l->key = cs ? cs + 1 : "";
    } else if (copy_part(l->bucket, sizeof l->bucket, p, hl) < 0) {
        goto bad;
    }
    return DS_OK;
bad:
    ds_error_set(err, DS_ERR_INTERNAL, NULL);
    ds_error_detail(err, "not a store URL this server understands: %.300s", url);
    return err->status;
}

/* ---- request targets ------------------------------------------------------- */

typedef struct target {
    const creds *k;
    char base[2304];  /* scheme://host[:port][/path] the request path is appended to */
    char host[1024];  /* Host as signed */
    char prefix[512]; /* path before the key: "/bucket" (path style), "", or
                         Azure's endpoint path + "/container" */
} target;

static int split_endpoint(const char *ep, char *scheme, size_t ssz, char *host, size_t hsz,
                          const char **path)
{
    const char *p = strstr(ep, "://");
    if (!p || (size_t)(p - ep) >= ssz)
        return -1;
    memcpy(scheme, ep, (size_t)(p - ep));
    scheme[p - ep] = '\0';
    p += 3;
    size_t hl = strcspn(p, "/");
    if (hl == 0 || hl >= hsz)
        return -1;
    memcpy(host, p, hl);
    host[hl] = '\0';
    *path = p + hl;
    return 0;
}

static ds_status make_target(const creds *k, const loc *l, target *t, ds_error *err)
{
    memset(t, 0, sizeof *t);
    t->k = k;
    char scheme[16], host[512];
    const char *epath = "";
    char defep[512];
    const char *ep = k->endpoint;
    if (k->type == DS_STORE_S3 && !ep) {
        snprintf(defep, sizeof defep, "https://s3.%s.amazonaws.com", k->region);
        ep = defep;
    } else if (k->type == DS_STORE_GCS && !ep) {
        ep = "https://storage.googleapis.com";
    } else if (k->type == DS_STORE_AZURE && !ep) {
        const char *acct = l->account[0] ? l->account : k->account;
        if (!acct)
            return not_configured(err, "an Azure location without an account name: set "
                                       "store.account-name");
        snprintf(defep, sizeof defep, "https://%s.blob.core.windows.net", acct);
        ep = defep;
    }
    if (split_endpoint(ep, scheme, sizeof scheme, host, sizeof host, &epath) < 0)
        return not_configured(err, "the store's endpoint is not a URL");
    int path_style = k->path_style >= 0 ? k->path_style : k->endpoint != NULL;
    if (k->type == DS_STORE_AZURE)
        path_style = 1; /* the container is always in the path */
    else if (strchr(l->bucket, '.'))
        path_style = 1; /* a dotted bucket breaks virtual-host TLS names */
    int n;
    if (path_style) {
        n = snprintf(t->base, sizeof t->base, "%s://%s", scheme, host);
        snprintf(t->host, sizeof t->host, "%s", host);
        if (n >= 0 && (size_t)n < sizeof t->base)
            n = snprintf(t->prefix, sizeof t->prefix, "%s/%s", epath, l->bucket);
    } else {
        n = snprintf(t->base, sizeof t->base, "%s://%s.%s", scheme, l->bucket, host);
        if (snprintf(t->host, sizeof t->host, "%s.%s", l->bucket, host) >= (int)sizeof t->host)
            n = -1;
        if (n >= 0 && (size_t)n < sizeof t->base)
            n = snprintf(t->prefix, sizeof t->prefix, "%s", epath);
    }
    if (n < 0 || (size_t)n >= sizeof t->prefix)
        return not_configured(err, "the store's endpoint or bucket name is too long");
    return DS_OK;
}

/* ---- signing each request ------------------------------------------------- */

typedef struct req {
    const target *t;
    const char *method;
    const char *key; /* raw object key, or NULL for a listing */
    int trailing_slash;
    const ds_kv *query;
    size_t nquery;
    int has_range;
    uint64_t off, len;
} req;

static int64_t wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

/* The request path, raw: prefix, then "/" + key (listing: "/" or nothing). */
static int build_path(const req *r, ds_buf *path)
{
    if (ds_buf_puts(path, r->t->prefix) < 0)
        return -1;
    if (r->key)
        return ds_buf_putc(path, '/') < 0 || ds_buf_puts(path, r->key) < 0 ? -1 : 0;
    if (r->trailing_slash || !path->len)
        return ds_buf_putc(path, '/');
    return 0;
}

static ds_status sign_sigv4(void *ctx, ds_buf *url, ds_buf *headers, ds_error *err)
{
    const req *r = ctx;
    const creds *k = r->t->k;
    ds_sigv4_cfg c = {
        .algorithm = k->type == DS_STORE_GCS ? "GOOG4-HMAC-SHA256" : "AWS4-HMAC-SHA256",
        .service = k->type == DS_STORE_GCS ? "storage" : "s3",
        .region = k->region,
        .access_key_id = k->type == DS_STORE_GCS ? k->hmac_id : k->akid,
        .secret = k->type == DS_STORE_GCS ? k->hmac_secret : k->secret,
        .session_token = k->type == DS_STORE_GCS ? NULL : k->token,
    };
    char range[64];
    ds_kv hv[1];
    size_t nh = 0;
    if (r->has_range) {
        snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)r->off,
                 (unsigned long long)(r->off + r->len - 1));
        hv[nh++] = (ds_kv){"range", range};
    }
    ds_buf path;
    ds_buf_init(&path, 16384);
    if (build_path(r, &path) < 0) {
        ds_buf_free(&path);
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    }
    ds_status st = ds_sigv4_sign_request(&c, wall_s(), r->method, r->t->base, r->t->host,
                                         path.data, r->query, r->nquery, hv, nh, url, headers,
                                         NULL, err);
    ds_buf_free(&path);
    return st;
}

static ds_status sign_azure(void *ctx, ds_buf *url, ds_buf *headers, ds_error *err)
{
    const req *r = ctx;
    const creds *k = r->t->k;
    char date[DS_HTTP_DATE_LEN], range[64];
    ds_http_date_format(wall_s(), date);
    ds_kv hv[3];
    size_t nh = 0;
    hv[nh++] = (ds_kv){"x-ms-date", date};
    hv[nh++] = (ds_kv){"x-ms-version", AZURE_VERSION};
    if (r->has_range) {
        snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)r->off,
                 (unsigned long long)(r->off + r->len - 1));
        hv[nh++] = (ds_kv){"x-ms-range", range};
    }
    ds_buf path, auth;
    ds_buf_init(&path, 16384);
    ds_buf_init(&auth, 1024);
    ds_status st = DS_OK;
    if (build_path(r, &path) < 0)
        st = ds_error_set(err, DS_ERR_NOMEM, NULL);
    if (st == DS_OK)
        st = ds_azure_shared_key(k->account, k->akey, k->akey_len, r->method, path.data,
                                 r->query, r->nquery, hv, nh, &auth, NULL, err);
    if (st == DS_OK) {
        /* the path is signed as the request line sends it */
        int bad = ds_buf_puts(url, r->t->base) < 0 ||
                  ds_azure_path_encode(url, path.data, path.len) < 0;
        for (size_t i = 0; !bad && i < r->nquery; i++)
            bad = ds_buf_putc(url, i ? '&' : '?') < 0 || ds_buf_puts(url, r->query[i].name) < 0 ||
                  ds_buf_putc(url, '=') < 0 ||
                  ds_uri_encode(url, r->query[i].value, strlen(r->query[i].value), 1) < 0;
        for (size_t i = 0; !bad && i < nh; i++)
            bad = ds_buf_printf(headers, "%s: %s\n", hv[i].name, hv[i].value) < 0;
        if (!bad)
            bad = ds_buf_printf(headers, "Authorization: %s\n", auth.data) < 0;
        if (bad)
            st = ds_error_set(err, DS_ERR_NOMEM, NULL);
    }
    ds_buf_free(&path);
    ds_buf_free(&auth);
    return st;
}

/* GCS with only a service account's key: requests carry an OAuth 2.0
 * access token, got from the key's token endpoint with a signed JWT
 * (read-only storage scope) and kept per process until a minute before it
 * expires. */
#define GCS_SCOPE "https://www.googleapis.com/auth/devstorage.read_only"

static ds_status sign_bearer(void *ctx, ds_buf *url, ds_buf *headers, ds_error *err)
{
    const req *r = ctx;
    ds_buf path;
    ds_buf_init(&path, 16384);
    int bad = build_path(r, &path) < 0 || ds_buf_puts(url, r->t->base) < 0 ||
              ds_uri_encode(url, path.data, path.len, 0) < 0;
    for (size_t i = 0; !bad && i < r->nquery; i++)
        bad = ds_buf_putc(url, i ? '&' : '?') < 0 || ds_buf_puts(url, r->query[i].name) < 0 ||
              ds_buf_putc(url, '=') < 0 ||
              ds_uri_encode(url, r->query[i].value, strlen(r->query[i].value), 1) < 0;
    if (!bad)
        bad = ds_buf_printf(headers, "Authorization: Bearer %s\n", r->t->k->bearer) < 0;
    if (!bad && r->has_range)
        bad = ds_buf_printf(headers, "Range: bytes=%llu-%llu\n", (unsigned long long)r->off,
                            (unsigned long long)(r->off + r->len - 1)) < 0;
    ds_buf_free(&path);
    return bad ? ds_error_set(err, DS_ERR_NOMEM, NULL) : DS_OK;
}

static struct gcs_token {
    char email[256], uri[1024];
    char *token;
    char *prev; /* the token before: a request may still be using it */
    int64_t expires_s;
} gcs_tokens[4];

struct token_req {
    const char *uri;
    const char *jwt;
};

static ds_status sign_token_req(void *ctx, ds_buf *url, ds_buf *headers, ds_error *err)
{
    const struct token_req *t = ctx;
    if (ds_buf_puts(url, t->uri) < 0 ||
        ds_buf_puts(headers, "Content-Type: application/x-www-form-urlencoded\nExpect:\n") < 0)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    return DS_OK;
}

static pthread_mutex_t token_lock = PTHREAD_MUTEX_INITIALIZER;
static ds_status gcs_bearer_locked(creds *k, ds_error *err);

/* Decoding threads may ask at the same time: one asks, the other waits
 * and finds the token.  A replaced token's text is kept until the next
 * replacement (about an hour later), so a request still signing with it
 * never reads freed memory. */
static ds_status gcs_bearer(creds *k, ds_error *err)
{
    pthread_mutex_lock(&token_lock);
    ds_status st = gcs_bearer_locked(k, err);
    pthread_mutex_unlock(&token_lock);
    return st;
}

static ds_status gcs_bearer_locked(creds *k, ds_error *err)
{
    int64_t now = wall_s();
    struct gcs_token *slot = &gcs_tokens[0];
    for (size_t i = 0; i < sizeof gcs_tokens / sizeof *gcs_tokens; i++) {
        struct gcs_token *g = &gcs_tokens[i];
        if (g->token && strcmp(g->email, k->sa_email) == 0 && strcmp(g->uri, k->sa_token_uri) == 0) {
            if (g->expires_s - 60 > now) {
                k->bearer = g->token;
                return DS_OK;
            }
            slot = g;
            break;
        }
        if (!g->token || g->expires_s < slot->expires_s)
            slot = g;
    }
    if (strlen(k->sa_email) >= sizeof slot->email || strlen(k->sa_token_uri) >= sizeof slot->uri)
        return not_configured(err, "the service account's e-mail or token URI is too long");
    ds_buf jwt, body, answer;
    ds_buf_init(&jwt, 16384);
    ds_buf_init(&body, 32768);
    ds_buf_init(&answer, 64 * 1024);
    ds_status st = ds_gcs_jwt(k->sa_key, k->sa_email, GCS_SCOPE, k->sa_token_uri, now, &jwt, err);
    if (st == DS_OK &&
        ds_buf_printf(&body, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer"
                             "&assertion=%s", jwt.data) < 0)
        st = ds_error_set(err, DS_ERR_NOMEM, NULL);
    if (st == DS_OK) {
        struct token_req t = {k->sa_token_uri, jwt.data};
        ds_http_job j = {.method = "POST", .body = body.data, .body_len = body.len,
                         .sign = sign_token_req, .sign_ctx = &t, .what = "oauth token"};
        j.sink.buf = &answer;
        st = ds_http_perform_many(&k->http, &j, 1, err);
    }
    if (st == DS_OK) {
        json_tokener *tok = json_tokener_new();
        json_object *o = tok ? json_tokener_parse_ex(tok, answer.data, (int)answer.len) : NULL;
        json_object *at = NULL, *ex = NULL;
        if (o && json_object_object_get_ex(o, "access_token", &at) &&
            json_object_is_type(at, json_type_string) && json_object_get_string_len(at) > 0 &&
            json_object_get_string_len(at) < 8192 && !strpbrk(json_object_get_string(at), "\r\n")) {
            free(slot->prev);
            slot->prev = slot->token;
            slot->token = strdup(json_object_get_string(at));
            int64_t life = 3600;
            if (json_object_object_get_ex(o, "expires_in", &ex) && json_object_is_type(ex, json_type_int))
                life = json_object_get_int64(ex);
            slot->expires_s = now + (life > 0 ? life : 0);
            snprintf(slot->email, sizeof slot->email, "%s", k->sa_email);
            snprintf(slot->uri, sizeof slot->uri, "%s", k->sa_token_uri);
            if (!slot->token)
                st = ds_error_set(err, DS_ERR_NOMEM, NULL);
            k->bearer = slot->token;
        } else {
            st = ds_error_set(err, DS_ERR_STORAGE, "The table's storage could not be read.");
            ds_error_detail(err, "oauth token: the token endpoint's answer has no access_token");
        }
        json_object_put(o);
        if (tok)
            json_tokener_free(tok);
    }
    /* the assertion is a credential for the next hour */
    if (jwt.data)
        sodium_memzero(jwt.data, jwt.len);
    if (body.data)
        sodium_memzero(body.data, body.len);
    ds_buf_free(&jwt);
    ds_buf_free(&body);
    ds_buf_free(&answer);
    return st;
}

/* Credentials to read with, checked; GCS without HMAC gets its token. */
static ds_status ready_to_read(creds *k, ds_http_sign_fn *sign, ds_error *err)
{
    if (k->type == DS_STORE_AZURE) {
        if (!k->account || !k->akey)
            return not_configured(err, "no Azure account key: set store.account-name and "
                                       "store.account-key(-file), or AZURE_STORAGE_ACCOUNT and "
                                       "AZURE_STORAGE_KEY");
        *sign = sign_azure;
        return DS_OK;
    }
    if (k->type == DS_STORE_S3) {
        if (!k->akid || !k->secret)
            return not_configured(err, "no S3 credentials: set store.access-key-id and "
                                       "store.secret-access-key(-file), or AWS_ACCESS_KEY_ID and "
                                       "AWS_SECRET_ACCESS_KEY");
        *sign = sign_sigv4;
        return DS_OK;
    }
    if (k->hmac_id && k->hmac_secret) {
        *sign = sign_sigv4;
        return DS_OK;
    }
    if (k->sa_key && k->sa_email && k->sa_token_uri) {
        *sign = sign_bearer;
        return gcs_bearer(k, err);
    }
    return not_configured(err, "no GCS credentials: set store.hmac-access-id and "
                               "store.hmac-secret(-file) or store.service-account-key-file, or "
                               "GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET or "
                               "GOOGLE_APPLICATION_CREDENTIALS");
}

static ds_status perform(const req *r, const ds_http_sink *sink, ds_http_resp *resp,
                         const char *what, ds_error *err)
{
    ds_http_sign_fn sign;
    if (ready_to_read((creds *)r->t->k, &sign, err) != DS_OK)
        return err->status;
    return ds_http_perform(&r->t->k->http, r->method, sign, (void *)r, sink, resp, what, err);
}

/* ---- the store ops ---------------------------------------------------------- */

typedef struct opened {
    creds k;
    loc l;
    target t;
} opened;

static ds_status open_url(const ds_store_cfg *c, const char *url, opened *o, ds_error *err)
{
    get_creds(c, &o->k);
    if (parse_loc(url, &o->l, err) != DS_OK)
        return err->status;
    return make_target(&o->k, &o->l, &o->t, err);
}

struct list_state {
    ds_store_list_cb cb;
    void *cb_ctx;
    const char *prefix; /* key prefix, ends in '/' (or empty) */
    size_t prefix_len;
    const char *start_after; /* relative; Azure filters by it */
    ds_buf last;             /* last key seen: keys must increase */
    int backwards;
};

static int list_entry(void *ctx, const char *key, uint64_t size, int64_t mtime_ms)
{
    struct list_state *s = ctx;
    if (s->last.len && strcmp(key, s->last.data) <= 0) {
        s->backwards = 1;
        return 1;
    }
    ds_buf_clear(&s->last);
    if (ds_buf_puts(&s->last, key) < 0) {
        s->backwards = 1;
        return 1;
    }
    if (strncmp(key, s->prefix, s->prefix_len) != 0)
        return 0;
    const char *name = key + s->prefix_len;
    if (!*name || strchr(name, '/'))
        return 0; /* the "folder" object itself, or deeper */
    if (s->start_after && strcmp(name, s->start_after) <= 0)
        return 0;
    ds_store_entry e = {.name = name, .size = size, .mtime_ms = mtime_ms};
    return s->cb(s->cb_ctx, &e);
}

static ds_status cloud_list(void *ctx, const char *prefix, const char *start_after,
                            ds_store_list_cb cb, void *cb_ctx, ds_error *err)
{
    opened o;
    if (open_url(ctx, prefix, &o, err) != DS_OK)
        return err->status;
    struct list_state s = {.cb = cb, .cb_ctx = cb_ctx, .prefix = o.l.key,
                           .prefix_len = strlen(o.l.key), .start_after = start_after};
    ds_buf_init(&s.last, 4096);
    ds_buf page, next, sa;
    ds_buf_init(&page, LIST_PAGE_MAX);
    ds_buf_init(&next, 4096);
    ds_buf_init(&sa, 4096);
    ds_status st = DS_OK;
    if (start_after && (ds_buf_puts(&sa, o.l.key) < 0 || ds_buf_puts(&sa, start_after) < 0))
        st = ds_error_set(err, DS_ERR_NOMEM, NULL);
    int azure = o.k.type == DS_STORE_AZURE;
    for (int64_t pageno = 0; st == DS_OK; pageno++) {
        if (pageno >= o.k.max_pages) {
            st = ds_error_set(err, DS_ERR_STORAGE, "The table's storage could not be read.");
            ds_error_detail(err, "store list: %s: more than %lld pages (store.max-list-pages)",
                            prefix, (long long)o.k.max_pages);
            break;
        }
        ds_kv q[6];
        size_t nq = 0;
        char *token = next.len ? next.data : NULL;
        if (azure) {
            q[nq++] = (ds_kv){"restype", "container"};
            q[nq++] = (ds_kv){"comp", "list"};
            q[nq++] = (ds_kv){"prefix", o.l.key};
            q[nq++] = (ds_kv){"delimiter", "/"};
            q[nq++] = (ds_kv){"maxresults", "5000"};
            if (token)
                q[nq++] = (ds_kv){"marker", token};
        } else {
            q[nq++] = (ds_kv){"list-type", "2"};
            q[nq++] = (ds_kv){"prefix", o.l.key};
            q[nq++] = (ds_kv){"delimiter", "/"};
            q[nq++] = (ds_kv){"max-keys", "1000"};
            if (token)
                q[nq++] = (ds_kv){"continuation-token", token};
            else if (sa.len)
                q[nq++] = (ds_kv){"start-after", sa.data};
        }
        req r = {.t = &o.t, .method = "GET", .trailing_slash = !azure, .query = q, .nquery = nq};
        ds_http_sink sink = {.buf = &page};
        ds_http_resp resp;
        if ((st = perform(&r, &sink, &resp, "list", err)) != DS_OK) {
            if (st == DS_ERR_NOT_FOUND) {
                /* no bucket: nothing is there */
                ds_error_detail(err, " (bucket or container %s)", o.l.bucket);
            }
            break;
        }
        int truncated = 0, stopped = 0;
        ds_buf tok;
        ds_buf_init(&tok, 4096);
        if (azure)
            st = ds_xml_azure_list(page.data, page.len, list_entry, &s, &tok, &stopped, err);
        else
            st = ds_xml_s3_list(page.data, page.len, list_entry, &s, &truncated, &tok, &stopped,
                                err);
        ds_buf_clear(&next);
        if (st == DS_OK && tok.len && ds_buf_puts(&next, tok.data) < 0)
            st = ds_error_set(err, DS_ERR_NOMEM, NULL);
        ds_buf_free(&tok);
        if (st != DS_OK)
            break;
        if (s.backwards) {
            st = ds_error_set(err, DS_ERR_STORAGE, "The table's storage could not be read.");
            ds_error_detail(err, "store list: %s: the listing repeated or went backwards",
                            prefix);
            break;
        }
        if (stopped || (azure ? !next.len : !truncated))
            break;
        if (!next.len) {
            st = ds_error_set(err, DS_ERR_STORAGE, "The table's storage could not be read.");
            ds_error_detail(err, "store list: %s: a truncated page without a continuation "
                                 "token", prefix);
            break;
        }
    }
    ds_buf_free(&s.last);
    ds_buf_free(&page);
    ds_buf_free(&next);
    ds_buf_free(&sa);
    return st;
}

static ds_status cloud_get(void *ctx, const char *url, ds_buf *out, ds_error *err)
{
    opened o;
    if (open_url(ctx, url, &o, err) != DS_OK)
        return err->status;
    req r = {.t = &o.t, .method = "GET", .key = o.l.key};
    ds_http_sink sink = {.buf = out};
    ds_http_resp resp;
    return perform(&r, &sink, &resp, "get", err);
}

static ds_status cloud_get_range(void *ctx, const char *url, uint64_t off, size_t n,
                                 unsigned char *buf, ds_error *err)
{
    if (n == 0)
        return DS_OK;
    opened o;
    if (open_url(ctx, url, &o, err) != DS_OK)
        return err->status;
    req r = {.t = &o.t, .method = "GET", .key = o.l.key, .has_range = 1, .off = off, .len = n};
    ds_http_sink sink = {.fixed = buf, .fixed_len = n};
    ds_http_resp resp;
    if (perform(&r, &sink, &resp, "get", err) != DS_OK)
        return err->status;
    if (resp.status == 200 && off != 0) {
        /* a store that ignored the range sent the object from its start */
        ds_error_set(err, DS_ERR_STORAGE, "The table's storage could not be read.");
        ds_error_detail(err, "store get: %s: the store ignored the range", url);
        return err->status;
    }
    return DS_OK;
}

static ds_status cloud_stat(void *ctx, const char *url, ds_store_entry *out, ds_error *err)
{
    opened o;
    if (open_url(ctx, url, &o, err) != DS_OK)
        return err->status;
    req r = {.t = &o.t, .method = "HEAD", .key = o.l.key};
    ds_http_sink sink = {0};
    ds_http_resp resp;
    if (perform(&r, &sink, &resp, "stat", err) != DS_OK)
        return err->status;
    if (resp.content_length < 0) {
        ds_error_set(err, DS_ERR_STORAGE, "The table's storage could not be read.");
        ds_error_detail(err, "store stat: %s: no Content-Length", url);
        return err->status;
    }
    out->name = NULL;
    out->size = (uint64_t)resp.content_length;
    out->mtime_ms = resp.last_modified_s >= 0 ? resp.last_modified_s * 1000 : 0;
    return DS_OK;
}

static ds_status cloud_get_many(void *ctx, const char *const *urls, const uint64_t *sizes,
                                unsigned char *const *bufs, size_t n, ds_error *err)
{
    /* the objects of one call lie in one bucket of one store: the
     * credentials and target are worked out once, each object adds its key */
    opened *o = malloc(sizeof *o);
    req *r = calloc(n ? n : 1, sizeof *r);
    ds_http_job *j = calloc(n ? n : 1, sizeof *j);
    ds_status st = o && r && j ? DS_OK : ds_error_set(err, DS_ERR_NOMEM, NULL);
    if (st == DS_OK && n)
        st = open_url(ctx, urls[0], o, err);
    size_t nj = 0;
    for (size_t i = 0; st == DS_OK && i < n; i++) {
        loc l;
        if ((st = parse_loc(urls[i], &l, err)) != DS_OK)
            break;
        if (strcmp(l.bucket, o->l.bucket) != 0 || strcmp(l.account, o->l.account) != 0) {
            st = ds_error_set(err, DS_ERR_INTERNAL, NULL);
            ds_error_detail(err, "store get_many: %.200s is not in the bucket of %.200s",
                            urls[i], urls[0]);
            break;
        }
        if (sizes[i] == 0)
            continue;
        r[nj] = (req){.t = &o->t, .method = "GET", .key = l.key, .has_range = 1, .off = 0,
                      .len = sizes[i]};
        j[nj] = (ds_http_job){.method = "GET", .sign_ctx = &r[nj], .what = "get"};
        j[nj].sink.fixed = bufs[i];
        j[nj].sink.fixed_len = (size_t)sizes[i];
        nj++;
    }
    if (st == DS_OK && nj) {
        ds_http_sign_fn sign;
        st = ready_to_read(&o->k, &sign, err);
        for (size_t i = 0; st == DS_OK && i < nj; i++)
            j[i].sign = sign;
        if (st == DS_OK)
            st = ds_http_perform_many(&o->k.http, j, nj, err);
    }
    free(o);
    free(r);
    free(j);
    return st;
}

const ds_store_ops ds_cloud_store = {
    .name = "cloud",
    .list = cloud_list,
    .get = cloud_get,
    .get_range = cloud_get_range,
    .stat = cloud_stat,
    .get_many = cloud_get_many,
};

static const ds_store_cfg *cfg_for(const ds_catalog *cat, const char *location)
{
    /* a store's prefixes all have its type's schemes (the config checks) */
    const ds_store_cfg *c = ds_catalog_store(cat, location);
    ds_store_type t = ds_store_type_of(location);
    return c ? c : t ? env_cfg(t) : NULL;
}

ds_status ds_store_for(const ds_catalog *cat, const char *location, ds_store *out,
                       ds_error *err)
{
    if (strncmp(location, "file:///", 8) == 0) {
        out->ops = &ds_local_store;
        out->ctx = NULL;
        return DS_OK;
    }
    const ds_store_cfg *c = cfg_for(cat, location);
    if (!c) {
        ds_error_set(err, DS_ERR_UNSUPPORTED, "This table's storage is not supported.");
        ds_error_detail(err, "no store for location %.200s", location);
        return err->status;
    }
    out->ops = &ds_cloud_store;
    out->ctx = (void *)c;
    return DS_OK;
}

/* ---- presigned URLs --------------------------------------------------------- */

ds_status ds_store_object_below(const char *root, const char *path, ds_buf *rel, ds_error *err)
{
    size_t n = strlen(path), rl = strlen(root);
    while (rl && root[rl - 1] == '/')
        rl--;
    ds_buf_clear(rel);
    if (n + 1 >= rel->max) {
        ds_error_set(err, DS_ERR_UNSUPPORTED,
                     "A file of this table has a path too long to be shared.");
        ds_error_detail(err, "file path of %zu bytes", n);
        return err->status;
    }
    char *o = ds_buf_reserve(rel, n + 1);
    long dl = o ? ds_pct_decode(path, n, o, 0) : -1;
    if (dl < 0) {
        if (!o)
            return ds_error_set(err, DS_ERR_NOMEM, NULL);
        ds_log_corrupt(err, "a file path with a malformed percent-encoding: %.300s", path);
        return err->status;
    }
    ds_buf_commit(rel, (size_t)dl);
    if (strstr(path, "://")) {
        /* s3a:// and s3:// name the same objects */
        const char *d = rel->data, *r = root;
        size_t skip_d = 0, skip_r = 0;
        if (strncmp(d, "s3a://", 6) == 0)
            skip_d = 6;
        else if (strncmp(d, "s3://", 5) == 0)
            skip_d = 5;
        if (strncmp(r, "s3a://", 6) == 0)
            skip_r = 6;
        else if (strncmp(r, "s3://", 5) == 0)
            skip_r = 5;
        if (!skip_d || !skip_r)
            skip_d = skip_r = 0;
        if (strncmp(d + skip_d, r + skip_r, rl - skip_r) != 0 || d[skip_d + rl - skip_r] != '/') {
            ds_error_set(err, DS_ERR_UNSUPPORTED, "This table refers to files outside its "
                                                  "location and cannot be shared.");
            ds_error_detail(err, "file path %.300s is not below the table root", path);
            return err->status;
        }
        size_t cut = skip_d + rl - skip_r + 1;
        memmove(rel->data, rel->data + cut, rel->len - cut + 1);
        rel->len -= cut;
    }
    if (!ds_relpath_ok(rel->data)) {
        ds_log_corrupt(err, "a file path with an empty, '.' or '..' segment: %.300s", path);
        return err->status;
    }
    return DS_OK;
}

static ds_status cloud_presign(void *ctx, const char *root, const char *path, int64_t ttl_s,
                               const ds_link_owner *owner, ds_buf *url, int64_t *expires_ms,
                               ds_error *err)
{
    (void)owner; /* a store's URL carries no recipient */
    const ds_store_cfg *c = ctx;
    ds_buf rel, full;
    ds_buf_init(&rel, 16384);
    ds_buf_init(&full, 20480);
    ds_status st = ds_store_object_below(root, path, &rel, err);
    size_t rl = strlen(root);
    while (rl && root[rl - 1] == '/')
        rl--;
    if (st == DS_OK && (ds_buf_append(&full, root, rl) < 0 || ds_buf_putc(&full, '/') < 0 ||
                        ds_buf_puts(&full, rel.data) < 0))
        st = ds_error_set(err, DS_ERR_NOMEM, NULL);
    opened o;
    if (st == DS_OK)
        st = open_url(c, full.data, &o, err);
    int64_t now_s = ds_now_ms() / 1000;
    if (st == DS_OK) {
        if (ttl_s > DS_PRESIGN_MAX_S)
            ttl_s = DS_PRESIGN_MAX_S;
        size_t before = url->len;
        ds_buf p;
        ds_buf_init(&p, 16384);
        if (ds_buf_puts(&p, o.t.prefix) < 0 || ds_buf_putc(&p, '/') < 0 ||
            ds_buf_puts(&p, o.l.key) < 0) {
            st = ds_error_set(err, DS_ERR_NOMEM, NULL);
        } else if (o.k.type == DS_STORE_S3) {
            if (!o.k.akid || !o.k.secret)
                st = not_configured(err, "no S3 credentials to sign URLs with");
            else {
                ds_sigv4_cfg sc = {"AWS4-HMAC-SHA256", "s3", o.k.region, o.k.akid, o.k.secret,
                                   o.k.token};
                st = ds_sigv4_presign(&sc, now_s, ttl_s, "GET", o.t.base, o.t.host, p.data,
                                      NULL, 0, url, NULL, err);
            }
        } else if (o.k.type == DS_STORE_GCS) {
            if (o.k.sa_key) {
                /* the host is signed as clients will send it: with the
                 * port of an endpoint that has one (Google's own endpoint
                 * has none; its Node SDK drops a port, which a server that
                 * checks the Host header as sent would refuse) */
                st = ds_gcs_presign_rsa(o.k.sa_key, o.k.sa_email, now_s, ttl_s, o.t.base,
                                        o.t.host, p.data, NULL, 0, url, NULL, err);
            } else if (o.k.hmac_id && o.k.hmac_secret) {
                ds_sigv4_cfg sc = {"GOOG4-HMAC-SHA256", "storage", "auto", o.k.hmac_id,
                                   o.k.hmac_secret, NULL};
                st = ds_sigv4_presign(&sc, now_s, ttl_s, "GET", o.t.base, o.t.host, p.data,
                                      NULL, 0, url, NULL, err);
            } else {
                st = not_configured(err, "no GCS key to sign URLs with: set "
                                         "store.service-account-key-file or store.hmac-*");
            }
        } else {
            if (!o.k.account || !o.k.akey) {
                st = not_configured(err, "no Azure account key to sign SAS URLs with");
            } else {
                ds_azure_sas sas = {
                    .account = o.k.account, .container = o.l.bucket, .blob = o.l.key,
                    .sv = AZURE_SAS_VERSION, .sp = "r", .st_s = -1, .se_s = now_s + ttl_s,
                    .spr = strncmp(o.t.base, "https://", 8) == 0 ? "https" : NULL,
                };
                if (ds_buf_puts(url, o.t.base) < 0 ||
                    ds_azure_path_encode(url, p.data, p.len) < 0 ||
                    ds_buf_putc(url, '?') < 0)
                    st = ds_error_set(err, DS_ERR_NOMEM, NULL);
                else
                    st = ds_azure_blob_sas(&sas, o.k.akey, o.k.akey_len, url, NULL, err);
            }
        }
        ds_buf_free(&p);
        if (st != DS_OK && url->data) {
            url->len = before;
            url->data[before] = '\0';
        }
    }
    ds_buf_free(&rel);
    ds_buf_free(&full);
    if (st == DS_OK)
        *expires_ms = (now_s + ttl_s) * 1000;
    return st;
}

const ds_signer_ops ds_cloud_signer = {
    .name = "cloud",
    .presign = cloud_presign,
};

ds_status ds_cloud_signer_for(const ds_catalog *cat, const char *location, ds_signer *out,
                              ds_error *err)
{
    const ds_store_cfg *c = cfg_for(cat, location);
    if (!c) {
        ds_error_set(err, DS_ERR_UNSUPPORTED, "This table's storage is not supported.");
        ds_error_detail(err, "no signer for location %.200s", location);
        return err->status;
    }
    out->ops = &ds_cloud_signer;
    out->ctx = (void *)c;
    return DS_OK;
}
