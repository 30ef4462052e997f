/* check_files.c - GET|HEAD /files/{token}/{path} through ds_server_handle
 * with in-memory CGI I/O, for what the golden cases cannot reach: binary
 * bytes across the 256 KiB read chunks, ranges over every offset of a
 * file, memory that does not grow with the file, a file that shrinks while
 * it is sent, a client that goes away, a FIFO (must not hang), a token that
 * never reaches the log, links under replaced auth/discovery seams, file
 * names with every kind of byte (through REQUEST_URI and through the
 * decoded PATH_INFO), the deepest path a link can name, and one file's
 * signature replayed for another. */
#include "config.h"
#include "deltasharing.h"
#include "catalog/catalog.h"
#include "http/http.h"
#include "server.h"
#include "store/sign.h"
#include "util/buf.h"
#include "testutil.h"
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define NOW INT64_C(1788220800000) /* 2026-09-01T00:00:00Z */
#define MOUNT "/delta-sharing"
#define ENDPOINT "https://sharing.example.com/delta-sharing"
#define BIG (600u * 1024 + 7) /* spans three read chunks */

static char dir[256], table[300], keyfile[300];
static ds_server *srv;
static char last_log[4096];

static void log_cb(void *ctx, const char *line)
{
    (void)ctx;
    snprintf(last_log, sizeof last_log, "%s", line);
}

static void put_file(const char *rel, const void *data, size_t n)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", table, rel);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static unsigned char *big_data(void)
{
    unsigned char *d = malloc(BIG);
    ck_assert_ptr_nonnull(d);
    uint32_t x = 12345;
    for (size_t i = 0; i < BIG; i++) {
        x = x * 1103515245u + 12345u;
        d[i] = (unsigned char)(x >> 16);
    }
    return d;
}

static ds_server *server_with(const char *extra)
{
    char text[2048], path[600];
    snprintf(text, sizeof text,
             "endpoint = " ENDPOINT "\n"
             "link-key-file = %s\n%s"
             "share.name = sh\nschema.name = sc\ntable.name = t\n"
             "table.location = file://%s\n"
             "recipient.name = acme\n"
             "recipient.token-sha256 = "
             "1111111111111111111111111111111111111111111111111111111111111111\n"
             "recipient.shares = sh\n",
             keyfile, extra, table);
    snprintf(path, sizeof path, "%s/ds.conf", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    ds_error err;
    ds_error_clear(&err);
    ds_server *s = ds_server_new(path, &err);
    ck_assert_msg(s != NULL, "%s", err.message);
    ds_server_set_log(s, log_cb, NULL);
    return s;
}

static void setup(void)
{
    ds_set_fixed_time(NOW);
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ds-files-XXXXXX", t && *t ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *real = realpath(dir, NULL);
    ck_assert_ptr_nonnull(real);
    snprintf(dir, sizeof dir, "%s", real);
    free(real);
    snprintf(table, sizeof table, "%s/table", dir);
    ck_assert_int_eq(mkdir(table, 0755), 0);
    snprintf(keyfile, sizeof keyfile, "%s/link.key", dir);
    FILE *k = fopen(keyfile, "wb");
    ck_assert_ptr_nonnull(k);
    fputs("0123456789abcdef0123456789abcdef", k);
    ck_assert_int_eq(fclose(k), 0);
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    put_file("bytes.bin", all, sizeof all);
    unsigned char *d = big_data();
    put_file("big.bin", d, BIG);
    free(d);
    srv = server_with("");
    last_log[0] = '\0';
}

static void teardown(void)
{
    ds_server_free(srv);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    ds_set_clock(NULL, NULL);
}

/* ---- in-memory CGI -------------------------------------------------------- */

struct io {
    const char *env[16];
    size_t nenv;
    ds_buf out;
    uint64_t written;   /* every byte, kept or not */
    int keep;           /* keep the bytes in out */
    int fail_after;     /* writes allowed before failing (0: never fail) */
    int nwrites;
    const char *truncate_path; /* truncated to half after the first write */
};

static const char *io_getenv(void *ctx, const char *name)
{
    struct io *io = ctx;
    size_t n = strlen(name);
    for (size_t i = 0; i < io->nenv; i++)
        if (strncmp(io->env[i], name, n) == 0 && io->env[i][n] == '=')
            return io->env[i] + n + 1;
    return NULL;
}

static long io_read(void *ctx, char *buf, size_t n)
{
    return 0;
}

static int io_write(void *ctx, const char *buf, size_t n)
{
    struct io *io = ctx;
    io->nwrites++;
    if (io->fail_after && io->nwrites > io->fail_after)
        return -1;
    io->written += n;
    if (io->keep)
        ck_assert_int_eq(ds_buf_append(&io->out, buf, n), 0);
    if (io->truncate_path && io->nwrites == 2) /* headers, then the first chunk */
        ck_assert_int_eq(truncate(io->truncate_path, BIG / 2), 0);
    return 0;
}

static const ds_io_ops io_ops = {io_getenv, io_read, io_write, NULL};

struct resp {
    int status;
    char head[2048];
    const char *body;
    size_t body_len;
    struct io io;
};

static const char *header(const struct resp *r, const char *name)
{
    static char v[256];
    char key[64];
    snprintf(key, sizeof key, "\r\n%s: ", name);
    const char *h = strcasestr(r->head, key);
    if (!h)
        return NULL;
    h += strlen(key);
    size_t n = strcspn(h, "\r");
    snprintf(v, sizeof v, "%.*s", (int)n, h);
    return v;
}

static char g_url[9000], g_path[9000], g_query[200];

/* Signs rel in the server's table; sets g_path/g_query for the request. */
static void sign_rel(ds_server *s, const char *rel, const char *recipient)
{
    ds_buf url;
    ds_buf_init(&url, 16384);
    ds_error err;
    ds_error_clear(&err);
    ds_link_owner o = {recipient, "sh", "sc", "t"};
    char root[400];
    snprintf(root, sizeof root, "file://%s", table);
    int64_t exp;
    ck_assert_int_eq(ds_local_signer.presign(s->cat, root, rel, 3600, &o, &url, &exp, &err),
                     DS_OK);
    snprintf(g_url, sizeof g_url, "%s", url.data);
    ds_buf_free(&url);
    const char *p = g_url + strlen(ENDPOINT);
    const char *q = strchr(p, '?');
    ck_assert_ptr_nonnull(q);
    snprintf(g_path, sizeof g_path, "%.*s", (int)(q - p), p);
    snprintf(g_query, sizeof g_query, "%s", q + 1);
}

/* g_path with its percent-encoding undone, as a web server's PATH_INFO. */
static void decoded_path(char *out, size_t n)
{
    size_t o = 0;
    for (const char *p = g_path; *p; p++) {
        ck_assert_uint_lt(o + 1, n);
        if (*p == '%') {
            unsigned v;
            ck_assert_int_eq(sscanf(p + 1, "%2X", &v), 1);
            out[o++] = (char)v;
            p += 2;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static int via_path_info; /* request() passes the path as PATH_INFO */

static void request(ds_server *s, const char *method, const char *range, struct resp *r)
{
    static char uri[9300], qs[300], rg[200], m[32];
    if (via_path_info) {
        /* a rewrite: REQUEST_URI does not start with the mount point */
        char dec[9000];
        decoded_path(dec, sizeof dec);
        snprintf(uri, sizeof uri, "PATH_INFO=%s", dec);
        r->io.env[r->io.nenv++] = "REQUEST_URI=/elsewhere";
    } else {
        snprintf(uri, sizeof uri, "REQUEST_URI=" MOUNT "%s?%s", g_path, g_query);
    }
    snprintf(qs, sizeof qs, "QUERY_STRING=%s", g_query);
    snprintf(m, sizeof m, "REQUEST_METHOD=%s", method);
    r->io.env[r->io.nenv++] = m;
    r->io.env[r->io.nenv++] = "SCRIPT_NAME=" MOUNT;
    r->io.env[r->io.nenv++] = uri;
    r->io.env[r->io.nenv++] = qs;
    if (range) {
        snprintf(rg, sizeof rg, "HTTP_RANGE=%s", range);
        r->io.env[r->io.nenv++] = rg;
    }
    if (!r->io.out.max)
        ds_buf_init(&r->io.out, 64u * 1024 * 1024);
    last_log[0] = '\0';
    r->status = ds_server_handle(s, &io_ops, &r->io);
    if (!r->io.keep)
        return;
    const char *o = r->io.out.data ? r->io.out.data : "";
    const char *end = strstr(o, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    ck_assert_uint_lt((size_t)(end - o), sizeof r->head - 2);
    snprintf(r->head, sizeof r->head, "%.*s\r\n", (int)(end - o), o);
    r->body = end + 4;
    r->body_len = r->io.out.len - (size_t)(r->body - o);
}

static void resp_init(struct resp *r)
{
    memset(r, 0, sizeof *r);
    r->io.keep = 1;
}

static void resp_free(struct resp *r)
{
    ds_buf_free(&r->io.out);
}

/* ---- tests ------------------------------------------------------------------ */

/* Every single range of a 256-byte file whose bytes are 0..255. */
START_TEST(every_range_of_a_binary_file)
{
    sign_rel(srv, "bytes.bin", "acme");
    for (unsigned a = 0; a < 256; a += 5)
        for (unsigned b = a; b < 256; b += 7) {
            char range[64];
            snprintf(range, sizeof range, "bytes=%u-%u", a, b);
            struct resp r;
            resp_init(&r);
            request(srv, "GET", range, &r);
            ck_assert_int_eq(r.status, 206);
            char cr[64];
            snprintf(cr, sizeof cr, "bytes %u-%u/256", a, b);
            ck_assert_str_eq(header(&r, "Content-Range"), cr);
            ck_assert_uint_eq(r.body_len, b - a + 1);
            for (unsigned i = 0; i < r.body_len; i++)
                ck_assert_uint_eq((unsigned char)r.body[i], a + i);
            resp_free(&r);
        }
}
END_TEST

/* A file over several chunks: the whole, and ranges across chunk edges. */
START_TEST(large_file_across_chunks)
{
    unsigned char *want = big_data();
    sign_rel(srv, "big.bin", "acme");
    struct resp r;
    resp_init(&r);
    request(srv, "GET", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    char cl[32];
    snprintf(cl, sizeof cl, "%u", BIG);
    ck_assert_str_eq(header(&r, "Content-Length"), cl);
    ck_assert_str_eq(header(&r, "Content-Type"), "application/octet-stream");
    ck_assert_ptr_null(header(&r, "Content-Encoding"));
    ck_assert_uint_eq(r.body_len, BIG);
    ck_assert(memcmp(r.body, want, BIG) == 0);
    resp_free(&r);
    static const struct {
        unsigned a, b;
    } c[] = {{262143, 262144}, {262140, 524300}, {0, BIG - 1}, {524288, BIG - 1}, {1, 1}};
    for (size_t i = 0; i < N_ELEMS(c); i++) {
        char range[64];
        snprintf(range, sizeof range, "bytes=%u-%u", c[i].a, c[i].b);
        resp_init(&r);
        request(srv, "GET", range, &r);
        ck_assert_int_eq(r.status, 206);
        ck_assert_uint_eq(r.body_len, c[i].b - c[i].a + 1);
        ck_assert(memcmp(r.body, want + c[i].a, r.body_len) == 0);
        resp_free(&r);
    }
    free(want);
}
END_TEST

/* 64 MiB (sparse) streamed: the request arena stays small. */
START_TEST(memory_does_not_grow_with_the_file)
{
    char p[600];
    snprintf(p, sizeof p, "%s/huge.bin", table);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 64 * 1024 * 1024), 0);
    ck_assert_int_eq(close(fd), 0);
    sign_rel(srv, "huge.bin", "acme");
    struct resp r;
    memset(&r, 0, sizeof r); /* keep = 0: count the bytes, store none */
    request(srv, "GET", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_gt(r.io.written, 64u * 1024 * 1024);
    ck_assert_uint_lt(ds_arena_used(srv->arena), 1024u * 1024);
    ck_assert_ptr_nonnull(strstr(last_log, " status=200 bytes=67108864 "));
    resp_free(&r);
}
END_TEST

/* The file shrinks after the first chunk: the body stops short, the log
 * says why. */
START_TEST(file_shrinks_while_sent)
{
    char p[600];
    snprintf(p, sizeof p, "%s/big.bin", table);
    sign_rel(srv, "big.bin", "acme");
    struct resp r;
    resp_init(&r);
    r.io.truncate_path = p;
    request(srv, "GET", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, BIG / 2);
    ck_assert_ptr_nonnull(strstr(last_log, "error=INTERNAL_ERROR"));
    ck_assert_ptr_nonnull(strstr(last_log, "shrank\\x20while\\x20being\\x20sent"));
    resp_free(&r);
}
END_TEST

START_TEST(client_goes_away)
{
    sign_rel(srv, "big.bin", "acme");
    struct resp r;
    memset(&r, 0, sizeof r);
    r.io.fail_after = 2; /* headers and one chunk, then the client is gone */
    request(srv, "GET", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(r.io.nwrites, 3);
    ck_assert_ptr_nonnull(strstr(last_log, " client-gone"));
    ck_assert_ptr_null(strstr(last_log, "error="));
    resp_free(&r);
}
END_TEST

/* A FIFO is refused at once: opening it must not wait for a writer. */
START_TEST(fifo_is_refused)
{
    char p[600];
    snprintf(p, sizeof p, "%s/fifo", table);
    ck_assert_int_eq(mkfifo(p, 0644), 0);
    sign_rel(srv, "fifo", "acme");
    struct resp r;
    resp_init(&r);
    request(srv, "GET", NULL, &r);
    ck_assert_int_eq(r.status, 403);
    ck_assert_ptr_nonnull(strstr(r.body, "The file of this link cannot be served."));
    ck_assert_ptr_nonnull(strstr(last_log, "not\\x20a\\x20regular\\x20file"));
    resp_free(&r);
}
END_TEST

/* Neither the token nor the signature reaches the log or the body. */
START_TEST(token_never_logged)
{
    sign_rel(srv, "missing", "acme");
    char tok[sizeof g_path];
    snprintf(tok, sizeof tok, "%s", g_path + strlen("/files/"));
    ck_assert_ptr_nonnull(strchr(tok, '/'));
    *strchr(tok, '/') = '\0';
    ck_assert_uint_gt(strlen(tok), 40);
    ck_assert_str_eq(g_path + strlen("/files/") + strlen(tok), "/missing");
    const char *sig = strstr(g_query, "sig=") + 4;
    const char *methods[] = {"GET", "HEAD", "POST"};
    for (size_t i = 0; i < N_ELEMS(methods); i++) {
        struct resp r;
        resp_init(&r);
        request(srv, methods[i], NULL, &r);
        ck_assert_int_eq(r.status, i == 2 ? 405 : 404);
        ck_assert_ptr_null(strstr(last_log, tok));
        ck_assert_ptr_null(strstr(last_log, sig));
        ck_assert_ptr_null(strstr(r.io.out.data, tok));
        ck_assert_ptr_null(strstr(r.io.out.data, table)); /* nor the storage path */
        ck_assert_ptr_nonnull(
            strstr(last_log, i == 2 ? "route=-" : "route=/files/{token}/{*path} "));
        resp_free(&r);
    }
}
END_TEST

static ds_status deny_all(void *ctx, const ds_request *req, const ds_recipient **out,
                          ds_error *err)
{
    return ds_error_set(err, DS_ERR_UNAUTHENTICATED, "no");
}

static const ds_auth_ops other_auth = {"other", deny_all};

/* The recipient check belongs to the built-in bearer auth: with an
 * embedder's own auth, a link for a name the config does not know works,
 * and no bearer authentication is asked for. */
START_TEST(replaced_auth_seam)
{
    sign_rel(srv, "bytes.bin", "someone-else");
    struct resp r;
    resp_init(&r);
    request(srv, "GET", "bytes=0-0", &r);
    ck_assert_int_eq(r.status, 403);
    ck_assert_ptr_nonnull(strstr(last_log, "no\\x20longer\\x20in\\x20the\\x20config"));
    resp_free(&r);
    ds_server_set_auth(srv, &other_auth, NULL);
    resp_init(&r);
    request(srv, "GET", "bytes=0-0", &r);
    ck_assert_int_eq(r.status, 206);
    ck_assert_ptr_nonnull(strstr(last_log, "recipient=someone-else "));
    resp_free(&r);
}
END_TEST

/* Offload headers carry the resolved path, encoded, and no body. */
START_TEST(offload_headers)
{
    char sub[600];
    snprintf(sub, sizeof sub, "%s/d i r", table);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    put_file("d i r/n?a#m%e\xc3\xa9.bin", "x", 1);
    ds_server *a = server_with("file-offload = x-accel-redirect\n"
                               "file-offload-prefix = /_files\n");
    sign_rel(a, "d%20i%20r/n%3Fa%23m%25e%C3%A9.bin", "acme");
    struct resp r;
    resp_init(&r);
    request(a, "GET", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    char want[800];
    snprintf(want, sizeof want, "/_files%s/d%%20i%%20r/n%%3Fa%%23m%%25e%%C3%%A9.bin", table);
    ck_assert_str_eq(header(&r, "X-Accel-Redirect"), want);
    ck_assert_ptr_null(header(&r, "Content-Length"));
    ck_assert_uint_eq(r.body_len, 0);
    resp_free(&r);
    ds_server_free(a);
}
END_TEST

/* The path travels in the URL: '+', '%', ' ', '=', non-ASCII and
 * non-UTF-8 bytes, encoded by the signer, decoded once by the server,
 * through REQUEST_URI and through a PATH_INFO the web server decoded. */
START_TEST(odd_names_round_trip)
{
    char d[700];
    snprintf(d, sizeof d, "%s/odd dir", table);
    ck_assert_int_eq(mkdir(d, 0755), 0);
    snprintf(d, sizeof d, "%s/odd dir/k=v+w", table);
    ck_assert_int_eq(mkdir(d, 0755), 0);
    put_file("odd dir/k=v+w/a b%c+d=\xc3\xa9\xff.bin", "odd bytes", 9);
    /* a decoy a form decoder would pick: '+' read as a space */
    snprintf(d, sizeof d, "%s/odd dir/k=v w", table);
    ck_assert_int_eq(mkdir(d, 0755), 0);
    put_file("odd dir/k=v w/a b%c d=\xc3\xa9\xff.bin", "decoy", 5);
    sign_rel(srv, "odd%20dir/k=v+w/a%20b%25c+d=%C3%A9%FF.bin", "acme");
    const char *name = strchr(g_path + strlen("/files/"), '/');
    ck_assert_str_eq(name, "/odd%20dir/k=v%2Bw/a%20b%25c%2Bd=%C3%A9%FF.bin");
    for (via_path_info = 0; via_path_info < 2; via_path_info++) {
        struct resp r;
        resp_init(&r);
        request(srv, "GET", NULL, &r);
        ck_assert_msg(r.status == 200, "status %d (PATH_INFO: %d): %s", r.status,
                      via_path_info, last_log);
        ck_assert_uint_eq(r.body_len, 9);
        ck_assert(memcmp(r.body, "odd bytes", 9) == 0);
        resp_free(&r);
    }
    via_path_info = 0;
    /* '+' and '=' may also come unencoded (a client re-quoting the URL):
     * in a path they are themselves */
    char again[9000];
    snprintf(again, sizeof again, "%.*s/odd%%20dir/k=v+w/a%%20b%%25c+d%%3D%%C3%%A9%%FF.bin",
             (int)(name - g_path), g_path);
    snprintf(g_path, sizeof g_path, "%s", again);
    struct resp r;
    resp_init(&r);
    request(srv, "GET", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, 9);
    ck_assert(memcmp(r.body, "odd bytes", 9) == 0);
    resp_free(&r);
}
END_TEST

/* The deepest object a link can name: "files", the token and 62
 * segments make the 64 the request parser takes. */
START_TEST(deepest_path)
{
    char rel[300] = "", p[900];
    for (int i = 0; i < DS_MAX_SEGMENTS - 3; i++) {
        strcat(rel, i ? "/d" : "d");
        snprintf(p, sizeof p, "%s/%s", table, rel);
        ck_assert_int_eq(mkdir(p, 0755), 0);
    }
    strcat(rel, "/deep.bin");
    put_file(rel, "deep", 4);
    sign_rel(srv, rel, "acme");
    size_t segs = 0;
    for (const char *c = g_path; *c; c++)
        segs += *c == '/';
    ck_assert_uint_eq(segs, DS_MAX_SEGMENTS);
    struct resp r;
    resp_init(&r);
    request(srv, "GET", NULL, &r);
    ck_assert_msg(r.status == 200, "status %d: %s", r.status, last_log);
    ck_assert_uint_eq(r.body_len, 4);
    ck_assert(memcmp(r.body, "deep", 4) == 0);
    resp_free(&r);
}
END_TEST

/* All files of the table share one token; each signature opens its own
 * file only. */
START_TEST(sig_replayed_for_another_file)
{
    sign_rel(srv, "bytes.bin", "acme");
    char bytes_path[9000], bytes_query[200];
    snprintf(bytes_path, sizeof bytes_path, "%s", g_path);
    snprintf(bytes_query, sizeof bytes_query, "%s", g_query);
    sign_rel(srv, "big.bin", "acme");
    ck_assert_int_eq(strncmp(g_path, bytes_path, strlen(bytes_path) - strlen("bytes.bin")), 0);
    ck_assert_str_ne(g_query, bytes_query);
    snprintf(g_query, sizeof g_query, "%s", bytes_query); /* big.bin with bytes.bin's sig */
    struct resp r;
    resp_init(&r);
    request(srv, "GET", NULL, &r);
    ck_assert_int_eq(r.status, 403);
    ck_assert_ptr_nonnull(strstr(r.body, "This link is not valid, or it has expired."));
    ck_assert_ptr_nonnull(strstr(last_log, "signature\\x20does\\x20not\\x20match"));
    resp_free(&r);
    /* the path is compared decoded: an encoded '/' is the same path; an
     * encoded "../" is still refused */
    char sub[700];
    snprintf(sub, sizeof sub, "%s/sub", table);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    put_file("sub/e.bin", "e", 1);
    sign_rel(srv, "sub/e.bin", "acme");
    char *slash = strstr(g_path, "/sub/e.bin");
    ck_assert_ptr_nonnull(slash);
    snprintf(slash, sizeof g_path - (size_t)(slash - g_path), "/sub%%2Fe.bin");
    resp_init(&r);
    request(srv, "GET", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, 1);
    resp_free(&r);
    snprintf(slash, sizeof g_path - (size_t)(slash - g_path), "/sub%%2F..%%2Fbytes.bin");
    resp_init(&r);
    request(srv, "GET", NULL, &r);
    ck_assert_int_eq(r.status, 403);
    ck_assert_ptr_nonnull(strstr(last_log, "segment"));
    resp_free(&r);
    /* no object path at all: not this endpoint */
    *slash = '\0';
    resp_init(&r);
    request(srv, "GET", NULL, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_ptr_nonnull(strstr(r.body, "No such endpoint."));
    resp_free(&r);
}
END_TEST

static Suite *files_suite(void)
{
    Suite *s = suite_create("files");
    TCase *tc = tcase_create("endpoint");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, every_range_of_a_binary_file);
    tcase_add_test(tc, large_file_across_chunks);
    tcase_add_test(tc, memory_does_not_grow_with_the_file);
    tcase_add_test(tc, file_shrinks_while_sent);
    tcase_add_test(tc, client_goes_away);
    tcase_add_test(tc, fifo_is_refused);
    tcase_add_test(tc, token_never_logged);
    tcase_add_test(tc, replaced_auth_seam);
    tcase_add_test(tc, offload_headers);
    tcase_add_test(tc, odd_names_round_trip);
    tcase_add_test(tc, deepest_path);
    tcase_add_test(tc, sig_replayed_for_another_file);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(files_suite());
}
