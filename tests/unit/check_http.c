/* check_http.c - ds_server_handle end to end through in-memory CGI I/O:
 * routing, discovery bodies, pagination, authentication, limits, logging,
 * and the auth/discovery seams; plus ds_bearer_token, the body reader and
 * the error writer. */
#include "config.h"
#include "deltasharing.h"
#include "auth/auth.h"
#include "catalog/catalog.h"
#include "http/http.h"
#include "api/ndjson.h"
#include "server.h"
#include "util/buf.h"
#include "testutil.h"
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ====================================================================
 * fixture: config, tokens, clock
 * ================================================================== */

#define NOW_MS INT64_C(1788220800000)          /* 2026-09-01T00:00:00Z */
#define TEMP_VALID_EXP INT64_C(1811808000000)  /* 2027-06-01T00:00:00Z */

#define TOK_ACME "acme-token-0123456789abcdef"
#define TOK_ACME2 "acme-rotated-token-fedcba9876543210"
#define TOK_OTHER "other-token-AAAAAAAAAAAAAAAA"
#define TOK_OLD "old-token-expired-recipient"
#define TOK_TEMP_OLD "temp-token-expired_1"
#define TOK_TEMP_NEW "temp-token-valid~2"
#define TOK_STAR "star-token-every.share=="

#define MOUNT "/delta-sharing"
#define CT_JSON "application/json; charset=utf-8"

#define ID_ALPHA "00000000-0000-4000-8000-00000000000a"
#define ID_BETA "00000000-0000-4000-8000-00000000000b"
#define ID_GAMMA "00000000-0000-4000-8000-00000000000c"
#define ID_SECRET "00000000-0000-4000-8000-00000000000d"
#define ID_CAFE "00000000-0000-4000-8000-00000000000e"
#define ID_PLUS "00000000-0000-4000-8000-00000000000f"
#define ID_T1 "00000000-0000-4000-8000-0000000000a1"
#define ID_T2 "00000000-0000-4000-8000-0000000000a2"
#define ID_T3 "00000000-0000-4000-8000-0000000000a3"
#define ID_BT "00000000-0000-4000-8000-0000000000b1"

static const char conf_template[] =
    "endpoint = https://sharing.example.com/delta-sharing\n"
    "link-key-file = @KEYFILE@\n"
    "share.name = alpha\n"
    "share.id = " ID_ALPHA "\n"
    "share.comment = First share\n"
    "schema.name = s1\n"
    "table.name = t1\n"
    "table.location = s3://bucket/t1\n"
    "table.id = " ID_T1 "\n"
    "table.name = t2\n"
    "table.location = s3://bucket/t2\n"
    "table.id = " ID_T2 "\n"
    "schema.name = s2\n"
    "table.name = t3\n"
    "table.location = s3://bucket/t3\n"
    "table.id = " ID_T3 "\n"
    "share.name = beta\n"
    "share.id = " ID_BETA "\n"
    "schema.name = b1\n"
    "table.name = bt\n"
    "table.location = file:///srv/delta/bt\n"
    "table.id = " ID_BT "\n"
    "share.name = gamma\n"
    "share.id = " ID_GAMMA "\n"
    "schema.name = g1\n"
    "share.name = secret\n"
    "share.id = " ID_SECRET "\n"
    "schema.name = hidden\n"
    "table.name = h\n"
    "table.location = s3://bucket/h\n"
    "share.name = caf\xc3\xa9\n"
    "share.id = " ID_CAFE "\n"
    "share.name = a+b\n"
    "share.id = " ID_PLUS "\n"
    "share.name = derived\n"
    "recipient.name = acme\n"
    "recipient.token-sha256 = @H_ACME@\n"
    "recipient.token-sha256 = @H_ACME2@\n"
    "recipient.shares = alpha, BETA, gamma, caf\xc3\xa9, a+b, Derived\n"
    "recipient.name = other\n"
    "recipient.token-sha256 = @H_OTHER@\n"
    "recipient.shares = alpha\n"
    "recipient.name = old\n"
    "recipient.token-sha256 = @H_OLD@\n"
    "recipient.expires = 2026-01-01T00:00:00Z\n"
    "recipient.shares = *\n"
    "recipient.name = temp\n"
    "recipient.token-sha256 = @H_TEMP_OLD@ 2026-06-01T00:00:00Z\n"
    "recipient.token-sha256 = @H_TEMP_NEW@ 2027-06-01T00:00:00Z\n"
    "recipient.shares = *\n"
    "recipient.name = star\n"
    "recipient.token-sha256 = @H_STAR@\n"
    "recipient.shares = *\n";

/* link-key-file for the file:// table: written by main() for the whole run */
static char key_path[256];

static ds_server *srv;
static char last_log[4096];
static int nlogs;

static void log_cb(void *ctx, const char *line)
{
    ck_assert_ptr_eq(ctx, &nlogs);
    snprintf(last_log, sizeof last_log, "%s", line);
    nlogs++;
}

/* The config text with real token hashes; extra is appended (may be ""). */
static char *conf_text(const char *extra)
{
    static const char *const toks[] = {TOK_ACME, TOK_ACME2, TOK_OTHER, TOK_OLD,
                                       TOK_TEMP_OLD, TOK_TEMP_NEW, TOK_STAR};
    static const char *const marks[] = {"@H_ACME@", "@H_ACME2@", "@H_OTHER@", "@H_OLD@",
                                        "@H_TEMP_OLD@", "@H_TEMP_NEW@", "@H_STAR@",
                                        "@KEYFILE@"};
    char hex[N_ELEMS(toks)][65];
    const char *vals[N_ELEMS(marks)];
    for (size_t i = 0; i < N_ELEMS(toks); i++) {
        tu_sha256_hex(toks[i], hex[i]);
        vals[i] = hex[i];
    }
    vals[N_ELEMS(toks)] = key_path;
    char *t = tu_subst(conf_template, marks, vals, N_ELEMS(marks));
    char *full = malloc(strlen(t) + strlen(extra) + 1);
    ck_assert_ptr_nonnull(full);
    strcpy(full, t);
    strcat(full, extra);
    free(t);
    return full;
}

/* A server from config text, loaded through a temporary file. */
static ds_server *server_from(const char *text)
{
    char path[256];
    tu_write_temp(text, strlen(text), path, sizeof path);
    ds_error err;
    ds_error_clear(&err);
    ds_server *s = ds_server_new(path, &err);
    unlink(path);
    ck_assert_msg(s != NULL, "ds_server_new: %s", err.message);
    ds_server_set_log(s, log_cb, &nlogs);
    return s;
}

static void setup(void)
{
    ds_set_fixed_time(NOW_MS);
    char *t = conf_text("");
    srv = server_from(t);
    free(t);
    last_log[0] = '\0';
    nlogs = 0;
}

static void teardown(void)
{
    ds_server_free(srv);
    srv = NULL;
    ds_set_clock(NULL, NULL);
}

/* ====================================================================
 * in-memory CGI I/O
 * ================================================================== */

struct mem_io {
    char *env[48]; /* "NAME=VALUE" */
    size_t nenv;
    const char *body;
    size_t body_len, body_pos, chunk;
    int read_fails;
    ds_buf out;
};

static const char *mem_getenv(void *ctx, const char *name)
{
    struct mem_io *io = ctx;
    size_t n = strlen(name);
    for (size_t i = 0; i < io->nenv; i++)
        if (strncmp(io->env[i], name, n) == 0 && io->env[i][n] == '=')
            return io->env[i] + n + 1;
    return NULL;
}

static long mem_read(void *ctx, char *buf, size_t n)
{
    struct mem_io *io = ctx;
    if (io->read_fails)
        return -1;
    size_t left = io->body_len - io->body_pos;
    if (n > left)
        n = left;
    if (io->chunk && n > io->chunk)
        n = io->chunk;
    memcpy(buf, io->body + io->body_pos, n);
    io->body_pos += n;
    return (long)n;
}

static int mem_write(void *ctx, const char *buf, size_t n)
{
    struct mem_io *io = ctx;
    ck_assert_int_eq(ds_buf_append(&io->out, buf, n), 0);
    return 0;
}

static const ds_io_ops mem_ops = {mem_getenv, mem_read, mem_write, NULL};

static void io_init(struct mem_io *io)
{
    memset(io, 0, sizeof *io);
    ds_buf_init(&io->out, 64u * 1024 * 1024);
}

static void io_setenv(struct mem_io *io, const char *name, const char *value)
{
    ck_assert_uint_lt(io->nenv, N_ELEMS(io->env));
    size_t nl = strlen(name), vl = strlen(value);
    char *e = malloc(nl + vl + 2);
    ck_assert_ptr_nonnull(e);
    memcpy(e, name, nl);
    e[nl] = '=';
    memcpy(e + nl + 1, value, vl + 1);
    io->env[io->nenv++] = e;
}

static void io_free(struct mem_io *io)
{
    for (size_t i = 0; i < io->nenv; i++)
        free(io->env[i]);
    ds_buf_free(&io->out);
}

/* ====================================================================
 * requests and parsed responses
 * ================================================================== */

struct rq {
    const char *method; /* NULL: GET */
    const char *path;   /* raw path below the mount point */
    const char *query;  /* NULL: no QUERY_STRING */
    const char *auth;   /* Authorization value; NULL: none */
    const char *env[6]; /* extra "NAME=VALUE" */
    int no_uri;         /* leave REQUEST_URI unset */
};

struct resp {
    int status, handled;
    char *raw;
    size_t raw_len;
    char *hname[32], *hval[32];
    size_t nh;
    char *body;
    size_t body_len;
    char log[4096];
    int nlogs;
};

static void resp_free(struct resp *r)
{
    free(r->raw);
    memset(r, 0, sizeof *r);
}

static const char *hdr(const struct resp *r, const char *name)
{
    for (size_t i = 0; i < r->nh; i++)
        if (strcasecmp(r->hname[i], name) == 0)
            return r->hval[i];
    return NULL;
}

/* Parses the CGI output and checks what every response must satisfy. */
static void parse_output(const char *out, size_t len, int head, struct resp *r)
{
    /* raw keeps the bytes; a second copy behind it is split into headers */
    r->raw = malloc(2 * len + 2);
    ck_assert_ptr_nonnull(r->raw);
    memcpy(r->raw, out, len);
    r->raw[len] = '\0';
    r->raw_len = len;
    char *w = r->raw + len + 1;
    memcpy(w, out, len);
    w[len] = '\0';

    ck_assert_msg(strncmp(w, "Status: ", 8) == 0, "no status line in '%s'", r->raw);
    char *eol = strstr(w, "\r\n");
    ck_assert_msg(eol != NULL, "unterminated status line in '%s'", r->raw);
    *eol = '\0';
    char *sp = strchr(w + 8, ' ');
    ck_assert_ptr_nonnull(sp);
    ck_assert_int_eq((int)(sp - (w + 8)), 3);
    r->status = atoi(w + 8);
    ck_assert_str_eq(sp + 1, ds_status_reason(r->status));
    char *h = eol + 2;
    r->nh = 0;
    while (strncmp(h, "\r\n", 2) != 0) {
        eol = strstr(h, "\r\n");
        ck_assert_msg(eol != NULL, "no blank line after headers: '%s'", r->raw);
        *eol = '\0';
        char *colon = strstr(h, ": ");
        ck_assert_msg(colon != NULL && colon > h, "bad header line '%s'", h);
        *colon = '\0';
        ck_assert_uint_lt(r->nh, N_ELEMS(r->hname));
        r->hname[r->nh] = h;
        r->hval[r->nh] = colon + 2;
        r->nh++;
        h = eol + 2;
    }
    size_t body_off = (size_t)(h + 2 - w);
    r->body = r->raw + body_off;
    r->body_len = len - body_off;
    /* invariants of every response */
    ck_assert_str_eq(hdr(r, "Content-Type"), CT_JSON);
    const char *cl = hdr(r, "Content-Length");
    ck_assert_ptr_nonnull(cl);
    if (head) {
        ck_assert_uint_eq(r->body_len, 0);
    } else {
        ck_assert_uint_eq(strtoull(cl, NULL, 10), r->body_len);
        ck_assert_msg(r->body_len > 0 && r->body[r->body_len - 1] == '\n' &&
                          memchr(r->body, '\n', r->body_len) == r->body + r->body_len - 1,
                      "body is not one line: '%s'", r->body);
        for (size_t i = 0; i + 1 < r->body_len; i++)
            ck_assert_msg((unsigned char)r->body[i] >= 0x20 && (unsigned char)r->body[i] < 0x7f,
                          "non-ASCII body byte at %zu", i);
    }
}

static void run_io(ds_server *s, struct mem_io *io, int head, struct resp *r)
{
    memset(r, 0, sizeof *r);
    last_log[0] = '\0';
    int before = nlogs;
    r->handled = ds_server_handle(s, &mem_ops, io);
    parse_output(io->out.data ? io->out.data : "", io->out.len, head, r);
    ck_assert_int_eq(r->handled, r->status);
    snprintf(r->log, sizeof r->log, "%s", last_log);
    r->nlogs = nlogs - before;
}

static void do_rq(ds_server *s, const struct rq *q, struct resp *r)
{
    struct mem_io io;
    io_init(&io);
    const char *method = q->method ? q->method : "GET";
    io_setenv(&io, "REQUEST_METHOD", method);
    io_setenv(&io, "SCRIPT_NAME", MOUNT);
    io_setenv(&io, "GATEWAY_INTERFACE", "CGI/1.1");
    if (!q->no_uri) {
        size_t n = strlen(MOUNT) + strlen(q->path) + (q->query ? strlen(q->query) + 1 : 0) + 1;
        char *uri = malloc(n);
        ck_assert_ptr_nonnull(uri);
        snprintf(uri, n, "%s%s%s%s", MOUNT, q->path, q->query ? "?" : "",
                 q->query ? q->query : "");
        io_setenv(&io, "REQUEST_URI", uri);
        free(uri);
    }
    if (q->query)
        io_setenv(&io, "QUERY_STRING", q->query);
    if (q->auth)
        io_setenv(&io, "HTTP_AUTHORIZATION", q->auth);
    for (size_t i = 0; i < N_ELEMS(q->env) && q->env[i]; i++) {
        ck_assert_uint_lt(io.nenv, N_ELEMS(io.env));
        io.env[io.nenv++] = strdup(q->env[i]);
    }
    run_io(s, &io, strcmp(method, "HEAD") == 0, r);
    io_free(&io);
}

/* GET path?query as the holder of token tok (NULL: no Authorization). */
static void get(ds_server *s, const char *tok, const char *path, const char *query,
                struct resp *r)
{
    char auth[512];
    if (tok)
        snprintf(auth, sizeof auth, "Bearer %s", tok);
    struct rq q = {.path = path, .query = query, .auth = tok ? auth : NULL};
    do_rq(s, &q, r);
}

static void assert_body(const struct resp *r, int status, const char *body)
{
    ck_assert_msg(r->status == status, "status %d, want %d; body %s", r->status, status,
                  r->body);
    ck_assert_uint_eq(r->body_len, strlen(body) + 1);
    ck_assert_msg(strncmp(r->body, body, r->body_len - 1) == 0, "body\n  %.*s\nwant\n  %s",
                  (int)r->body_len - 1, r->body, body);
}

static void assert_error(const struct resp *r, int status, const char *code, const char *msg)
{
    char want[1024];
    snprintf(want, sizeof want, "{\"errorCode\":\"%s\",\"message\":\"%s\"}", code, msg);
    assert_body(r, status, want);
    if (status == 401)
        ck_assert_str_eq(hdr(r, "WWW-Authenticate"), "Bearer realm=\"delta-sharing\"");
    else
        ck_assert_ptr_null(hdr(r, "WWW-Authenticate"));
}

/* Copies the nextPageToken of a listing into tok; returns 0 when absent. */
static int next_token(const struct resp *r, char *tok, size_t toksz)
{
    const char *k = strstr(r->body, "\"nextPageToken\":\"");
    if (!k)
        return 0;
    k += strlen("\"nextPageToken\":\"");
    const char *e = strchr(k, '"');
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_lt((size_t)(e - k), toksz);
    ck_assert_uint_gt((size_t)(e - k), 0);
    memcpy(tok, k, (size_t)(e - k));
    tok[e - k] = '\0';
    return 1;
}

/* The text between "items":[ and its closing ] (names here hold no ']'). */
static char *items_of(const struct resp *r)
{
    static const char pre[] = "{\"items\":[";
    ck_assert_msg(strncmp(r->body, pre, strlen(pre)) == 0, "not a listing: %s", r->body);
    const char *s = r->body + strlen(pre);
    const char *e = strchr(s, ']');
    ck_assert_ptr_nonnull(e);
    return strndup(s, (size_t)(e - s));
}

#define SHARE_ALPHA "{\"name\":\"alpha\",\"id\":\"" ID_ALPHA "\",\"comment\":\"First share\"}"
#define SHARE_BETA "{\"name\":\"beta\",\"id\":\"" ID_BETA "\"}"
#define SHARE_GAMMA "{\"name\":\"gamma\",\"id\":\"" ID_GAMMA "\"}"
#define SHARE_SECRET "{\"name\":\"secret\",\"id\":\"" ID_SECRET "\"}"
#define SHARE_CAFE "{\"name\":\"caf\\u00e9\",\"id\":\"" ID_CAFE "\"}"
#define SHARE_PLUS "{\"name\":\"a+b\",\"id\":\"" ID_PLUS "\"}"
#define TABLE(n, sc, sh, shid, id)                                                            \
    "{\"name\":\"" n "\",\"schema\":\"" sc "\",\"share\":\"" sh "\",\"shareId\":\"" shid       \
    "\",\"id\":\"" id "\"}"
#define T1 TABLE("t1", "s1", "alpha", ID_ALPHA, ID_T1)
#define T2 TABLE("t2", "s1", "alpha", ID_ALPHA, ID_T2)
#define T3 TABLE("t3", "s2", "alpha", ID_ALPHA, ID_T3)
#define NOT_GRANTED(name)                                                                     \
    "Share '" name "' does not exist, or you have not been granted access to it."

/* ====================================================================
 * discovery endpoints
 * ================================================================== */

START_TEST(list_shares)
{
    const ds_share_cfg *d = ds_catalog_share(srv->cat, "derived");
    ck_assert_ptr_nonnull(d);
    char want[2048];
    snprintf(want, sizeof want,
             "{\"items\":[" SHARE_ALPHA "," SHARE_BETA "," SHARE_GAMMA "," SHARE_CAFE
             "," SHARE_PLUS ",{\"name\":\"derived\",\"id\":\"%s\"}]}",
             ds_share_id(d));
    struct resp r;
    get(srv, TOK_ACME, "/shares", NULL, &r);
    assert_body(&r, 200, want);
    ck_assert_ptr_null(hdr(&r, "WWW-Authenticate"));
    ck_assert(strncmp(r.raw, "Status: 200 OK\r\n", 16) == 0);
    resp_free(&r);
    /* trailing slash tolerated, identical answer */
    get(srv, TOK_ACME, "/shares/", NULL, &r);
    assert_body(&r, 200, want);
    resp_free(&r);
    /* a '*' recipient sees every share, in config order */
    get(srv, TOK_STAR, "/shares", NULL, &r);
    snprintf(want, sizeof want,
             "{\"items\":[" SHARE_ALPHA "," SHARE_BETA "," SHARE_GAMMA "," SHARE_SECRET
             "," SHARE_CAFE "," SHARE_PLUS ",{\"name\":\"derived\",\"id\":\"%s\"}]}",
             ds_share_id(d));
    assert_body(&r, 200, want);
    resp_free(&r);
}
END_TEST

struct ok_case {
    const char *tok, *path, *query, *body;
};

static const struct ok_case ok_cases[] = {
    {TOK_ACME, "/shares/alpha", NULL, "{\"share\":" SHARE_ALPHA "}"},
    {TOK_ACME, "/shares/ALPHA", NULL, "{\"share\":" SHARE_ALPHA "}"},
    {TOK_ACME, "/shares/%61lpha", NULL, "{\"share\":" SHARE_ALPHA "}"},
    {TOK_ACME, "/shares/beta", NULL, "{\"share\":" SHARE_BETA "}"},
    {TOK_ACME, "/shares/a+b", NULL, "{\"share\":" SHARE_PLUS "}"},   /* '+' literal in paths */
    {TOK_ACME, "/shares/a%2Bb", NULL, "{\"share\":" SHARE_PLUS "}"},
    {TOK_ACME, "/shares/caf%C3%A9", NULL, "{\"share\":" SHARE_CAFE "}"},
    {TOK_ACME, "/shares/CAF%C3%A9", NULL, "{\"share\":" SHARE_CAFE "}"},
    {TOK_ACME, "/shares/alpha/schemas", NULL,
     "{\"items\":[{\"name\":\"s1\",\"share\":\"alpha\"},{\"name\":\"s2\",\"share\":\"alpha\"}]}"},
    {TOK_ACME, "/shares/Alpha/schemas", "maxResults=500",
     "{\"items\":[{\"name\":\"s1\",\"share\":\"alpha\"},{\"name\":\"s2\",\"share\":\"alpha\"}]}"},
    {TOK_ACME, "/shares/gamma/schemas", NULL,
     "{\"items\":[{\"name\":\"g1\",\"share\":\"gamma\"}]}"},
    {TOK_ACME, "/shares/a+b/schemas", NULL, "{\"items\":[]}"},
    {TOK_ACME, "/shares/alpha/schemas/s1/tables", NULL, "{\"items\":[" T1 "," T2 "]}"},
    {TOK_ACME, "/shares/alpha/schemas/S2/tables", NULL, "{\"items\":[" T3 "]}"},
    {TOK_ACME, "/shares/gamma/schemas/g1/tables", NULL, "{\"items\":[]}"},
    {TOK_ACME, "/shares/alpha/all-tables", NULL, "{\"items\":[" T1 "," T2 "," T3 "]}"},
    {TOK_ACME, "/shares/beta/all-tables", NULL,
     "{\"items\":[" TABLE("bt", "b1", "beta", ID_BETA, ID_BT) "]}"},
    {TOK_ACME, "/shares/gamma/all-tables", NULL, "{\"items\":[]}"},
    {TOK_ACME2, "/shares/alpha/all-tables", NULL, "{\"items\":[" T1 "," T2 "," T3 "]}"},
    {TOK_OTHER, "/shares", NULL, "{\"items\":[" SHARE_ALPHA "]}"},
    {TOK_OTHER, "/shares/alpha/all-tables", "", "{\"items\":[" T1 "," T2 "," T3 "]}"},
    {TOK_TEMP_NEW, "/shares/alpha/schemas/s2/tables", NULL, "{\"items\":[" T3 "]}"},
    /* unknown query parameters are ignored; empty ones are absent */
    {TOK_ACME, "/shares/alpha/schemas", "foo=bar&maxResults=&pageToken=&x",
     "{\"items\":[{\"name\":\"s1\",\"share\":\"alpha\"},{\"name\":\"s2\",\"share\":\"alpha\"}]}"},
    {TOK_ACME, "/shares/alpha/schemas", "maxResults=%31",
     NULL /* one item, checked below */},
};

START_TEST(discovery_ok)
{
    const struct ok_case *c = &ok_cases[_i];
    struct resp r;
    get(srv, c->tok, c->path, c->query, &r);
    if (c->body) {
        assert_body(&r, 200, c->body);
    } else {
        ck_assert_int_eq(r.status, 200);
        char *items = items_of(&r);
        ck_assert_str_eq(items, "{\"name\":\"s1\",\"share\":\"alpha\"}");
        free(items);
        char tok[128];
        ck_assert(next_token(&r, tok, sizeof tok));
    }
    /* table locations are never sent */
    ck_assert_ptr_null(strstr(r.body, "s3://"));
    ck_assert_ptr_null(strstr(r.body, "file://"));
    resp_free(&r);
}
END_TEST

/* HEAD: the GET headers (same Content-Length) and no body. */
START_TEST(head_requests)
{
    static const char *const paths[] = {"/shares", "/shares/alpha", "/shares/alpha/schemas",
                                        "/shares/alpha/schemas/s1/tables",
                                        "/shares/alpha/all-tables", "/shares/nope"};
    for (size_t i = 0; i < N_ELEMS(paths); i++) {
        struct resp g, h;
        get(srv, TOK_ACME, paths[i], NULL, &g);
        struct rq q = {.method = "HEAD", .path = paths[i], .auth = "Bearer " TOK_ACME};
        do_rq(srv, &q, &h);
        ck_assert_int_eq(h.status, g.status);
        ck_assert_uint_eq(h.body_len, 0);
        ck_assert_str_eq(hdr(&h, "Content-Length"), hdr(&g, "Content-Length"));
        ck_assert_uint_eq(h.nh, g.nh);
        ck_assert_msg(strstr(h.log, "method=HEAD") != NULL, "log: %s", h.log);
        resp_free(&g);
        resp_free(&h);
    }
    /* HEAD of an authentication failure: headers only, with the challenge */
    struct resp h;
    struct rq q = {.method = "HEAD", .path = "/shares"};
    do_rq(srv, &q, &h);
    ck_assert_int_eq(h.status, 401);
    ck_assert_uint_eq(h.body_len, 0);
    ck_assert_str_eq(hdr(&h, "WWW-Authenticate"), "Bearer realm=\"delta-sharing\"");
    resp_free(&h);
}
END_TEST

/* ====================================================================
 * visibility: an ungranted share looks exactly like a missing one
 * ================================================================== */

/* Replaces every occurrence of `from` in s with `to` (same length). */
static void replace_same_len(char *s, const char *from, const char *to)
{
    size_t n = strlen(from);
    ck_assert_uint_eq(n, strlen(to));
    for (char *p = strstr(s, from); p; p = strstr(p + n, from))
        memcpy(p, to, n);
}

struct vis_case {
    const char *tok;
    const char *suffix; /* after /shares/<share> */
    const char *hidden, *missing; /* same length */
};

static const struct vis_case vis_cases[] = {
    {TOK_OTHER, "", "beta", "zzzz"},
    {TOK_OTHER, "/schemas", "beta", "zzzz"},
    {TOK_OTHER, "/schemas/b1/tables", "beta", "zzzz"},
    {TOK_OTHER, "/all-tables", "beta", "zzzz"},
    {TOK_OTHER, "/all-tables", "BETA", "ZZZZ"},
    {TOK_ACME, "", "secret", "zzzzzz"},
    {TOK_ACME, "/schemas", "secret", "zzzzzz"},
    {TOK_ACME, "/schemas/hidden/tables", "secret", "zzzzzz"},
    {TOK_ACME, "/all-tables", "secret", "zzzzzz"},
    {TOK_OTHER, "/schemas/nope/tables", "gamma", "zzzzz"},
};

START_TEST(ungranted_is_missing)
{
    const struct vis_case *c = &vis_cases[_i];
    char p1[256], p2[256];
    snprintf(p1, sizeof p1, "/shares/%s%s", c->hidden, c->suffix);
    snprintf(p2, sizeof p2, "/shares/%s%s", c->missing, c->suffix);
    struct resp a, b;
    get(srv, c->tok, p1, NULL, &a);
    get(srv, c->tok, p2, NULL, &b);
    ck_assert_int_eq(a.status, 404);
    char msg[256];
    snprintf(msg, sizeof msg,
             "Share '%s' does not exist, or you have not been granted access to it.", c->hidden);
    assert_error(&a, 404, "RESOURCE_DOES_NOT_EXIST", msg);
    /* the whole output, headers included, differs only by the echoed name */
    replace_same_len(a.raw, c->hidden, c->missing);
    ck_assert_uint_eq(a.raw_len, b.raw_len);
    ck_assert_msg(memcmp(a.raw, b.raw, a.raw_len) == 0, "\n%s\nvs\n%s", a.raw, b.raw);
    resp_free(&a);
    resp_free(&b);
}
END_TEST

/* A '*' grant still hides nothing, and a granted share's missing schema is a
 * plain 404 naming the schema. */
START_TEST(missing_schema)
{
    struct resp r;
    get(srv, TOK_ACME, "/shares/alpha/schemas/nope/tables", NULL, &r);
    assert_error(&r, 404, "RESOURCE_DOES_NOT_EXIST", "Schema 'alpha.nope' does not exist.");
    resp_free(&r);
    get(srv, TOK_STAR, "/shares/secret/schemas/hidden/tables", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"name\":\"h\""));
    resp_free(&r);
}
END_TEST

/* ====================================================================
 * pagination
 * ================================================================== */

struct walk_case {
    const char *tok, *path;
    int page;
    int total; /* items in the full listing */
};

static const struct walk_case walk_cases[] = {
    {TOK_ACME, "/shares", 1, 6},
    {TOK_ACME, "/shares", 2, 6},
    {TOK_ACME, "/shares", 4, 6},
    {TOK_STAR, "/shares", 1, 7},
    {TOK_ACME, "/shares/alpha/schemas", 1, 2},
    {TOK_ACME, "/shares/alpha/schemas/s1/tables", 1, 2},
    {TOK_ACME, "/shares/alpha/all-tables", 1, 3},
    {TOK_ACME, "/shares/alpha/all-tables", 2, 3},
    {TOK_OTHER, "/shares/alpha/all-tables", 1, 3},
    {TOK_ACME, "/shares/alpha/all-tables", 3, 3},
    {TOK_ACME, "/shares/gamma/all-tables", 1, 0},
};

START_TEST(pagination_walk)
{
    const struct walk_case *c = &walk_cases[_i];
    struct resp r;
    get(srv, c->tok, c->path, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    char tok[128];
    ck_assert(!next_token(&r, tok, sizeof tok));
    char *all = items_of(&r);
    resp_free(&r);

    ds_buf acc;
    ds_buf_init(&acc, 1 << 20);
    ck_assert_int_eq(ds_buf_puts(&acc, ""), 0);
    int pages = 0, more = 1;
    char query[256];
    snprintf(query, sizeof query, "maxResults=%d", c->page);
    while (more) {
        get(srv, c->tok, c->path, query, &r);
        ck_assert_msg(r.status == 200, "page %d: %s", pages, r.body);
        char *items = items_of(&r);
        if (*items) {
            if (acc.len)
                ck_assert_int_eq(ds_buf_putc(&acc, ','), 0);
            ck_assert_int_eq(ds_buf_puts(&acc, items), 0);
        }
        free(items);
        more = next_token(&r, tok, sizeof tok);
        resp_free(&r);
        pages++;
        ck_assert_int_le(pages, 20);
        snprintf(query, sizeof query, "maxResults=%d&pageToken=%s", c->page, tok);
    }
    ck_assert_str_eq(acc.data, all);
    int want_pages = c->total ? (c->total + c->page - 1) / c->page : 1;
    ck_assert_int_eq(pages, want_pages);
    ds_buf_free(&acc);
    free(all);
}
END_TEST

struct mr_case {
    const char *query;
    int status;
    const char *msg; /* error message, or NULL for 200 */
    int items;       /* expected item count for 200 */
    int has_next;
};

static const struct mr_case mr_cases[] = {
    {"maxResults=0", 200, NULL, 0, 1},
    {"maxResults=1", 200, NULL, 1, 1},
    {"maxResults=5", 200, NULL, 5, 1},
    {"maxResults=6", 200, NULL, 6, 0},
    {"maxResults=500", 200, NULL, 6, 0},
    {"maxResults=", 200, NULL, 6, 0},
    {"maxResults=007", 200, NULL, 6, 0},
    {"maxResults=501", 400, "Acceptable values of 'maxResults' are 0 to 500, inclusive.", 0, 0},
    {"maxResults=-1", 400, "Acceptable values of 'maxResults' are 0 to 500, inclusive.", 0, 0},
    {"maxResults=99999999999999999999", 400, "The value of 'maxResults' is not a number.", 0, 0},
    {"maxResults=abc", 400, "The value of 'maxResults' is not a number.", 0, 0},
    {"maxResults=1.5", 400, "The value of 'maxResults' is not a number.", 0, 0},
    {"maxResults=+1", 400, "The value of 'maxResults' is not a number.", 0, 0},
    {"maxResults=%201", 400, "The value of 'maxResults' is not a number.", 0, 0},
    {"maxResults=1e2", 400, "The value of 'maxResults' is not a number.", 0, 0},
    {"maxResults=0x10", 400, "The value of 'maxResults' is not a number.", 0, 0},
};

static int count_items(const char *items)
{
    if (!*items)
        return 0;
    int n = 1, depth = 0;
    for (const char *p = items; *p; p++) {
        depth += *p == '{';
        depth -= *p == '}';
        n += *p == ',' && depth == 0;
    }
    return n;
}

START_TEST(max_results)
{
    const struct mr_case *c = &mr_cases[_i];
    struct resp r;
    get(srv, TOK_ACME, "/shares", c->query, &r);
    if (c->msg) {
        assert_error(&r, c->status, "INVALID_PARAMETER_VALUE", c->msg);
    } else {
        ck_assert_int_eq(r.status, 200);
        char *items = items_of(&r);
        ck_assert_int_eq(count_items(items), c->items);
        free(items);
        char tok[128];
        ck_assert_int_eq(next_token(&r, tok, sizeof tok), c->has_next);
        /* never an empty token */
        ck_assert_ptr_null(strstr(r.body, "\"nextPageToken\":\"\""));
    }
    resp_free(&r);
}
END_TEST

/* Gets the first page (maxResults=1) of path as tok and copies its token. */
static void first_token(ds_server *s, const char *tok, const char *path, char *out,
                        size_t outsz)
{
    struct resp r;
    get(s, tok, path, "maxResults=1", &r);
    ck_assert_msg(r.status == 200, "%s: %s", path, r.body);
    ck_assert(next_token(&r, out, outsz));
    resp_free(&r);
}

static void expect_bad_token(ds_server *s, const char *tok, const char *path,
                             const char *pagetoken)
{
    char query[512];
    snprintf(query, sizeof query, "maxResults=1&pageToken=%s", pagetoken);
    struct resp r;
    get(s, tok, path, query, &r);
    assert_error(&r, 400, "INVALID_PARAMETER_VALUE",
                 "The 'pageToken' is not valid for this listing.");
    resp_free(&r);
}

static void expect_good_token(ds_server *s, const char *tok, const char *path,
                              const char *pagetoken, const char *want_items)
{
    char query[512];
    snprintf(query, sizeof query, "maxResults=1&pageToken=%s", pagetoken);
    struct resp r;
    get(s, tok, path, query, &r);
    ck_assert_msg(r.status == 200, "%s: %s", path, r.body);
    char *items = items_of(&r);
    ck_assert_str_eq(items, want_items);
    free(items);
    resp_free(&r);
}

START_TEST(page_token_forged)
{
    char tok[128];
    first_token(srv, TOK_ACME, "/shares", tok, sizeof tok);
    expect_good_token(srv, TOK_ACME, "/shares", tok, SHARE_BETA);
    /* flip every character in turn to another base64url character */
    size_t n = strlen(tok);
    for (size_t i = 0; i < n; i++) {
        char forged[128];
        strcpy(forged, tok);
        forged[i] = forged[i] == 'A' ? 'B' : 'A';
        expect_bad_token(srv, TOK_ACME, "/shares", forged);
    }
    /* truncated, extended, garbage, padded */
    char cut[128];
    snprintf(cut, sizeof cut, "%.*s", (int)n - 1, tok);
    expect_bad_token(srv, TOK_ACME, "/shares", cut);
    char longer[160];
    snprintf(longer, sizeof longer, "%sA", tok);
    expect_bad_token(srv, TOK_ACME, "/shares", longer);
    snprintf(longer, sizeof longer, "%s%%3D", tok);
    expect_bad_token(srv, TOK_ACME, "/shares", longer);
    expect_bad_token(srv, TOK_ACME, "/shares", "abc");
    expect_bad_token(srv, TOK_ACME, "/shares", "%2B%2F%2B%2F");
    char huge[300];
    memset(huge, 'A', 299);
    huge[299] = '\0';
    expect_bad_token(srv, TOK_ACME, "/shares", huge);
    /* the genuine token still works afterwards */
    expect_good_token(srv, TOK_ACME, "/shares", tok, SHARE_BETA);
}
END_TEST

START_TEST(page_token_foreign)
{
    char sch[128], all[128], tab[128], shr[128];
    first_token(srv, TOK_ACME, "/shares/alpha/schemas", sch, sizeof sch);
    first_token(srv, TOK_ACME, "/shares/alpha/all-tables", all, sizeof all);
    first_token(srv, TOK_ACME, "/shares/alpha/schemas/s1/tables", tab, sizeof tab);
    first_token(srv, TOK_ACME, "/shares", shr, sizeof shr);
    /* each works where it came from; names are case-insensitive */
    expect_good_token(srv, TOK_ACME, "/shares/alpha/schemas", sch,
                      "{\"name\":\"s2\",\"share\":\"alpha\"}");
    expect_good_token(srv, TOK_ACME, "/shares/ALPHA/schemas", sch,
                      "{\"name\":\"s2\",\"share\":\"alpha\"}");
    expect_good_token(srv, TOK_ACME, "/shares/alpha/all-tables", all, T2);
    expect_good_token(srv, TOK_ACME, "/shares/alpha/schemas/S1/tables", tab, T2);
    /* another listing kind */
    expect_bad_token(srv, TOK_ACME, "/shares/alpha/all-tables", sch);
    expect_bad_token(srv, TOK_ACME, "/shares/alpha/schemas", all);
    expect_bad_token(srv, TOK_ACME, "/shares/alpha/all-tables", tab);
    expect_bad_token(srv, TOK_ACME, "/shares", sch);
    expect_bad_token(srv, TOK_ACME, "/shares/alpha/schemas", shr);
    /* another share or schema */
    expect_bad_token(srv, TOK_ACME, "/shares/beta/schemas", sch);
    expect_bad_token(srv, TOK_ACME, "/shares/alpha/schemas/s2/tables", tab);
    /* another recipient, same listing */
    expect_bad_token(srv, TOK_OTHER, "/shares/alpha/schemas", sch);
    expect_bad_token(srv, TOK_OTHER, "/shares/alpha/all-tables", all);
    expect_bad_token(srv, TOK_OTHER, "/shares", shr);
    /* a rotated token of the same recipient is the same recipient */
    expect_good_token(srv, TOK_ACME2, "/shares/alpha/all-tables", all, T2);
}
END_TEST

START_TEST(page_token_config_changed)
{
    char tok[128];
    first_token(srv, TOK_ACME, "/shares/alpha/all-tables", tok, sizeof tok);
    /* the same config loaded again accepts it */
    char *same = conf_text("");
    ds_server *s2 = server_from(same);
    expect_good_token(s2, TOK_ACME, "/shares/alpha/all-tables", tok, T2);
    ds_server_free(s2);
    free(same);
    /* a config with different text (even only a comment) rejects it */
    char *changed = conf_text("# edited\n");
    ds_server *s3 = server_from(changed);
    expect_bad_token(s3, TOK_ACME, "/shares/alpha/all-tables", tok);
    /* while its own tokens work */
    char tok3[128];
    first_token(s3, TOK_ACME, "/shares/alpha/all-tables", tok3, sizeof tok3);
    ck_assert_str_ne(tok3, tok);
    expect_good_token(s3, TOK_ACME, "/shares/alpha/all-tables", tok3, T2);
    ds_server_free(s3);
    free(changed);
}
END_TEST

START_TEST(page_token_empty_is_absent)
{
    struct resp a, b;
    get(srv, TOK_ACME, "/shares", "maxResults=2", &a);
    get(srv, TOK_ACME, "/shares", "maxResults=2&pageToken=", &b);
    ck_assert_int_eq(a.status, 200);
    ck_assert_uint_eq(a.raw_len, b.raw_len);
    ck_assert(memcmp(a.raw, b.raw, a.raw_len) == 0);
    resp_free(&a);
    resp_free(&b);
}
END_TEST

/* ====================================================================
 * request-level errors
 * ================================================================== */

struct err_case {
    const char *method;
    const char *path;
    const char *query;
    int auth; /* send TOK_ACME */
    int status;
    const char *code, *msg;
    const char *allow; /* expected Allow header, or NULL for none */
};

static const struct err_case err_cases[] = {
    /* routing happens before authentication */
    {"GET", "/nope", NULL, 0, 404, "RESOURCE_DOES_NOT_EXIST", "No such endpoint.", NULL},
    {"GET", "/", NULL, 0, 404, "RESOURCE_DOES_NOT_EXIST", "No such endpoint.", NULL},
    {"GET", "", NULL, 0, 404, "RESOURCE_DOES_NOT_EXIST", "No such endpoint.", NULL},
    {"GET", "/shares/alpha/schemas/s1", NULL, 1, 404, "RESOURCE_DOES_NOT_EXIST",
     "No such endpoint.", NULL},
    {"GET", "/shares/alpha/extra", NULL, 1, 404, "RESOURCE_DOES_NOT_EXIST", "No such endpoint.",
     NULL},
    {"GET", "/Shares", NULL, 1, 404, "RESOURCE_DOES_NOT_EXIST", "No such endpoint.", NULL},
    {"GET", "//shares", NULL, 1, 404, "RESOURCE_DOES_NOT_EXIST", "No such endpoint.", NULL},
    {"GET", "/shares//schemas", NULL, 1, 404, "RESOURCE_DOES_NOT_EXIST", NOT_GRANTED(""), NULL},
    {"GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", NULL, 0, 404, "RESOURCE_DOES_NOT_EXIST",
     "No such endpoint.", NULL},
    /* methods */
    {"POST", "/shares", NULL, 0, 405, "MALFORMED_REQUEST",
     "The method POST is not allowed here.", "GET, HEAD"},
    {"DELETE", "/shares", NULL, 1, 405, "MALFORMED_REQUEST",
     "The method DELETE is not allowed here.", "GET, HEAD"},
    {"PUT", "/shares/alpha", NULL, 1, 405, "MALFORMED_REQUEST",
     "The method PUT is not allowed here.", "GET, HEAD"},
    {"POST", "/shares/alpha/all-tables", NULL, 1, 405, "MALFORMED_REQUEST",
     "The method POST is not allowed here.", "GET, HEAD"},
    {"get", "/shares", NULL, 1, 405, "MALFORMED_REQUEST", "The method get is not allowed here.",
     "GET, HEAD"},
    {"POST", "/nope", NULL, 1, 404, "RESOURCE_DOES_NOT_EXIST", "No such endpoint.", NULL},
    /* encodings */
    {"GET", "/shares/%zz", NULL, 0, 400, "MALFORMED_REQUEST",
     "The request path has a malformed percent-encoding.", NULL},
    {"GET", "/shares/alpha%4", NULL, 1, 400, "MALFORMED_REQUEST",
     "The request path has a malformed percent-encoding.", NULL},
    {"GET", "/shares/a%00b", NULL, 1, 400, "MALFORMED_REQUEST",
     "The request path has a malformed percent-encoding.", NULL},
    {"GET", "/shares", "maxResults=%zz", 1, 400, "MALFORMED_REQUEST",
     "The query string has a malformed percent-encoding.", NULL},
    {"GET", "/shares/al%2Fpha", NULL, 1, 404, "RESOURCE_DOES_NOT_EXIST", NOT_GRANTED("al/pha"),
     NULL},
    {"GET", "/shares/alpha%2Fschemas", NULL, 1, 404, "RESOURCE_DOES_NOT_EXIST",
     NOT_GRANTED("alpha/schemas"), NULL},
    {"GET", "/shares/%2e%2e", NULL, 1, 404, "RESOURCE_DOES_NOT_EXIST", NOT_GRANTED(".."), NULL},
    {"GET", "/shares/a%0Ab", NULL, 1, 404, "RESOURCE_DOES_NOT_EXIST", NOT_GRANTED("a\\nb"),
     NULL},
    /* duplicate query parameters */
    {"GET", "/shares", "maxResults=1&maxResults=1", 1, 400, "INVALID_PARAMETER_VALUE",
     "The query parameter 'maxResults' is given more than once.", NULL},
    {"GET", "/shares", "pageToken=a&maxResults=2&pageToken=a", 1, 400, "INVALID_PARAMETER_VALUE",
     "The query parameter 'pageToken' is given more than once.", NULL},
    {"GET", "/shares", "x=1&%78=2", 1, 400, "INVALID_PARAMETER_VALUE",
     "The query parameter 'x' is given more than once.", NULL},
};

START_TEST(request_errors)
{
    const struct err_case *c = &err_cases[_i];
    struct rq q = {.method = c->method, .path = c->path, .query = c->query,
                   .auth = c->auth ? "Bearer " TOK_ACME : NULL};
    struct resp r;
    do_rq(srv, &q, &r);
    assert_error(&r, c->status, c->code, c->msg);
    if (c->allow)
        ck_assert_str_eq(hdr(&r, "Allow"), c->allow);
    else
        ck_assert_ptr_null(hdr(&r, "Allow"));
    ck_assert_int_eq(r.nlogs, 1);
    resp_free(&r);
}
END_TEST

static char *repeat(char c, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    char *s = malloc(pl + n + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, prefix, pl);
    memset(s + pl, c, n);
    s[pl + n] = '\0';
    return s;
}

/* REQUEST_URI of 8193 bytes is 414; 8192 is served. */
START_TEST(uri_too_long)
{
    size_t base = strlen(MOUNT "/shares/");
    for (int extra = 0; extra <= 1; extra++) {
        char *tail = repeat('x', 8192 - base + (size_t)extra, "/shares/");
        struct resp r;
        get(srv, TOK_ACME, tail, NULL, &r);
        if (extra) {
            assert_error(&r, 414, "MALFORMED_REQUEST", "The request URI is too long.");
        } else {
            ck_assert_int_eq(r.status, 404); /* long name, no such share */
        }
        resp_free(&r);
        free(tail);
    }
    /* PATH_INFO fallback is bounded the same way */
    char *pi = repeat('y', 8193 - strlen("/shares/"), "PATH_INFO=/shares/");
    struct rq q = {.path = "", .no_uri = 1, .auth = "Bearer " TOK_ACME, .env = {pi}};
    struct resp r;
    do_rq(srv, &q, &r);
    assert_error(&r, 414, "MALFORMED_REQUEST", "The request URI is too long.");
    resp_free(&r);
    free(pi);
}
END_TEST

START_TEST(query_too_long)
{
    for (int extra = 0; extra <= 1; extra++) {
        char *qs = repeat('q', 8192 - 2 + (size_t)extra, "x=");
        struct resp r;
        /* only QUERY_STRING is long: REQUEST_URI without the query */
        struct rq q = {.path = "/shares", .auth = "Bearer " TOK_ACME};
        char *env = malloc(strlen(qs) + 32);
        ck_assert_ptr_nonnull(env);
        sprintf(env, "QUERY_STRING=%s", qs);
        q.env[0] = env;
        do_rq(srv, &q, &r);
        if (extra)
            assert_error(&r, 414, "MALFORMED_REQUEST", "The request URI is too long.");
        else
            ck_assert_int_eq(r.status, 200);
        resp_free(&r);
        free(env);
        free(qs);
    }
}
END_TEST

START_TEST(header_too_large)
{
    /* 8192 bytes is read (and rejected as a token); 8193 is 431 */
    char *ok = repeat('a', 8192 - 7, "Bearer ");
    char *big = repeat('a', 8193 - 7, "Bearer ");
    struct rq q = {.path = "/shares", .auth = ok};
    struct resp r;
    do_rq(srv, &q, &r);
    assert_error(&r, 401, "UNAUTHENTICATED", "Malformed Authorization header: expected "
                                             "'Bearer <token>'.");
    resp_free(&r);
    q.auth = big;
    do_rq(srv, &q, &r);
    assert_error(&r, 431, "MALFORMED_REQUEST", "A request header is too large.");
    resp_free(&r);
    /* the limit holds before routing, for other headers too */
    char *ua = repeat('u', 9000, "HTTP_USER_AGENT=");
    struct rq q2 = {.path = "/nope", .env = {ua}};
    do_rq(srv, &q2, &r);
    assert_error(&r, 431, "MALFORMED_REQUEST", "A request header is too large.");
    resp_free(&r);
    free(ok);
    free(big);
    free(ua);
}
END_TEST

/* ====================================================================
 * authentication
 * ================================================================== */

struct auth_case {
    const char *auth; /* NULL: no header */
    const char *msg;
};

static const struct auth_case auth_cases[] = {
    {NULL, "Missing bearer token: send 'Authorization: Bearer <token>'."},
    {"", "Missing bearer token: send 'Authorization: Bearer <token>'."},
    {"Basic x", "Malformed Authorization header: expected 'Bearer <token>'."},
    {"Basic " TOK_ACME, "Malformed Authorization header: expected 'Bearer <token>'."},
    {"Bearer", "Malformed Authorization header: expected 'Bearer <token>'."},
    {"Bearer ", "Malformed Authorization header: expected 'Bearer <token>'."},
    {"Bearer a b", "Malformed Authorization header: expected 'Bearer <token>'."},
    {"Bearer " TOK_ACME " x", "Malformed Authorization header: expected 'Bearer <token>'."},
    {"Bearer" TOK_ACME, "Malformed Authorization header: expected 'Bearer <token>'."},
    {"Bearer \"" TOK_ACME "\"", "Malformed Authorization header: expected 'Bearer <token>'."},
    {"Bearer unknown-token", "The bearer token is not valid."},
    {"Bearer " TOK_ACME "x", "The bearer token is not valid."},
    {"Bearer " TOK_ACME "=", "The bearer token is not valid."},
    {"Bearer ACME-TOKEN-0123456789ABCDEF", "The bearer token is not valid."},
    {"Bearer " TOK_OLD, "The bearer token has expired."},
    {"Bearer " TOK_TEMP_OLD, "The bearer token has expired."},
};

START_TEST(auth_failures)
{
    const struct auth_case *c = &auth_cases[_i];
    static const char *const paths[] = {"/shares", "/shares/alpha", "/shares/alpha/schemas",
                                        "/shares/alpha/schemas/s1/tables",
                                        "/shares/nosuch/all-tables"};
    for (size_t i = 0; i < N_ELEMS(paths); i++) {
        struct rq q = {.path = paths[i], .auth = c->auth};
        struct resp r;
        do_rq(srv, &q, &r);
        assert_error(&r, 401, "UNAUTHENTICATED", c->msg);
        ck_assert_msg(strstr(r.log, "recipient=- ") != NULL, "log: %s", r.log);
        ck_assert_msg(strstr(r.log, " status=401 ") != NULL, "log: %s", r.log);
        ck_assert_msg(strstr(r.log, " error=UNAUTHENTICATED") != NULL, "log: %s", r.log);
        /* the log never holds the presented token */
        if (c->auth && strlen(c->auth) > 8)
            ck_assert_msg(strstr(r.log, c->auth + 7) == NULL, "token in log: %s", r.log);
        resp_free(&r);
    }
}
END_TEST

struct bearer_ok {
    const char *auth;
};

static const struct bearer_ok auth_ok_cases[] = {
    {"Bearer " TOK_ACME},
    {"bearer " TOK_ACME},
    {"BEARER\t" TOK_ACME},
    {"  Bearer   " TOK_ACME "  "},
    {"Bearer " TOK_ACME2},
    {"Bearer " TOK_TEMP_NEW},
    {"Bearer " TOK_STAR},
};

START_TEST(auth_success)
{
    struct rq q = {.path = "/shares/alpha", .auth = auth_ok_cases[_i].auth};
    struct resp r;
    do_rq(srv, &q, &r);
    assert_body(&r, 200, "{\"share\":" SHARE_ALPHA "}");
    ck_assert_ptr_null(hdr(&r, "WWW-Authenticate"));
    resp_free(&r);
}
END_TEST

/* Two token-sha256 lines: both tokens authenticate as the same recipient
 * and see the same thing. */
START_TEST(token_rotation)
{
    struct resp a, b;
    get(srv, TOK_ACME, "/shares", NULL, &a);
    get(srv, TOK_ACME2, "/shares", NULL, &b);
    ck_assert_int_eq(a.status, 200);
    ck_assert_uint_eq(a.raw_len, b.raw_len);
    ck_assert(memcmp(a.raw, b.raw, a.raw_len) == 0);
    ck_assert_msg(strstr(a.log, "recipient=acme ") != NULL, "%s", a.log);
    ck_assert_msg(strstr(b.log, "recipient=acme ") != NULL, "%s", b.log);
    resp_free(&a);
    resp_free(&b);
}
END_TEST

/* Expiry follows the injected clock: recipient.expires and a token's own
 * expiry both end access at exactly their instant. */
START_TEST(expiry_clock)
{
    struct resp r;
    ds_set_fixed_time(TEMP_VALID_EXP - 1);
    get(srv, TOK_TEMP_NEW, "/shares", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
    ds_set_fixed_time(TEMP_VALID_EXP);
    get(srv, TOK_TEMP_NEW, "/shares", NULL, &r);
    assert_error(&r, 401, "UNAUTHENTICATED", "The bearer token has expired.");
    ck_assert_msg(strstr(r.log, "detail=\"expired\\x20token\\x20of\\x20recipient\\x20temp\"") !=
                      NULL,
                  "%s", r.log);
    resp_free(&r);
    /* before its recipient.expires, the old recipient was fine */
    ds_set_fixed_time(INT64_C(1767225600000) - 1);
    get(srv, TOK_OLD, "/shares", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
    ds_set_fixed_time(INT64_C(1767225600000));
    get(srv, TOK_OLD, "/shares", NULL, &r);
    ck_assert_int_eq(r.status, 401);
    resp_free(&r);
    /* the expired temp token was valid before 2026-06-01 */
    ds_set_fixed_time(INT64_C(1780272000000) - 1);
    get(srv, TOK_TEMP_OLD, "/shares", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    resp_free(&r);
}
END_TEST

/* ====================================================================
 * CGI variables
 * ================================================================== */

START_TEST(path_info_fallback)
{
    static const char want[] = "{\"items\":[{\"name\":\"s1\",\"share\":\"alpha\"},"
                               "{\"name\":\"s2\",\"share\":\"alpha\"}]}";
    struct resp r;
    /* REQUEST_URI rewritten so it lacks the mount point */
    struct rq q1 = {.path = "", .no_uri = 1, .auth = "Bearer " TOK_ACME,
                    .env = {"REQUEST_URI=/rewritten/alpha", "PATH_INFO=/shares/alpha/schemas"}};
    do_rq(srv, &q1, &r);
    assert_body(&r, 200, want);
    ck_assert_msg(strstr(r.log, "route=/shares/{share}/schemas share=alpha ") != NULL, "%s",
                  r.log);
    resp_free(&r);
    /* no REQUEST_URI at all */
    struct rq q2 = {.path = "", .no_uri = 1, .auth = "Bearer " TOK_ACME,
                    .env = {"PATH_INFO=/shares/alpha/schemas"}};
    do_rq(srv, &q2, &r);
    assert_body(&r, 200, want);
    resp_free(&r);
    /* a REQUEST_URI that only shares a prefix with the mount point */
    struct rq q3 = {.path = "", .no_uri = 1, .auth = "Bearer " TOK_ACME,
                    .env = {"REQUEST_URI=/delta-sharingX/shares/beta/schemas",
                            "PATH_INFO=/shares/alpha/schemas"}};
    do_rq(srv, &q3, &r);
    assert_body(&r, 200, want);
    resp_free(&r);
    /* PATH_INFO was already decoded by the web server: used as it is */
    struct rq q4 = {.path = "", .no_uri = 1, .auth = "Bearer " TOK_ACME,
                    .env = {"PATH_INFO=/shares/a%2Bb"}};
    do_rq(srv, &q4, &r);
    assert_error(&r, 404, "RESOURCE_DOES_NOT_EXIST", NOT_GRANTED("a%2Bb"));
    resp_free(&r);
    /* the raw REQUEST_URI wins over PATH_INFO when it carries the mount */
    struct rq q5 = {.path = "/shares/alpha/schemas", .auth = "Bearer " TOK_ACME,
                    .env = {"PATH_INFO=/nope"}};
    do_rq(srv, &q5, &r);
    assert_body(&r, 200, want);
    resp_free(&r);
    /* mount point given with a trailing slash */
    struct mem_io io;
    io_init(&io);
    io_setenv(&io, "REQUEST_METHOD", "GET");
    io_setenv(&io, "SCRIPT_NAME", "/");
    io_setenv(&io, "REQUEST_URI", "/shares/alpha/schemas?x=1");
    io_setenv(&io, "QUERY_STRING", "x=1");
    io_setenv(&io, "HTTP_AUTHORIZATION", "Bearer " TOK_ACME);
    run_io(srv, &io, 0, &r);
    assert_body(&r, 200, want);
    resp_free(&r);
    io_free(&io);
    /* no REQUEST_METHOD: treated as GET */
    io_init(&io);
    io_setenv(&io, "REQUEST_URI", "/shares/alpha/schemas");
    io_setenv(&io, "HTTP_AUTHORIZATION", "Bearer " TOK_ACME);
    run_io(srv, &io, 0, &r);
    assert_body(&r, 200, want);
    resp_free(&r);
    io_free(&io);
}
END_TEST

/* ====================================================================
 * logging
 * ================================================================== */

START_TEST(log_lines)
{
    struct resp r;
    get(srv, TOK_ACME, "/shares/alpha/schemas/s1/tables", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(r.nlogs, 1);
    char want[256];
    snprintf(want, sizeof want,
             "delta-sharing: recipient=acme method=GET route=/shares/{share}/schemas/{schema}/"
             "tables share=alpha schema=s1 status=200 bytes=%zu ms=0",
             r.body_len);
    ck_assert_str_eq(r.log, want);
    ck_assert_ptr_null(strstr(r.log, TOK_ACME));
    resp_free(&r);

    get(srv, TOK_OTHER, "/shares/beta", NULL, &r);
    snprintf(want, sizeof want,
             "delta-sharing: recipient=other method=GET route=/shares/{share} share=beta "
             "status=404 bytes=%zu ms=0 error=RESOURCE_DOES_NOT_EXIST",
             r.body_len);
    ck_assert_str_eq(r.log, want);
    ck_assert_ptr_null(strstr(r.log, TOK_OTHER));
    resp_free(&r);

    /* expired: the detail names the recipient, never the token */
    get(srv, TOK_OLD, "/shares", NULL, &r);
    ck_assert_msg(strstr(r.log, "recipient=- method=GET route=/shares status=401 ") != NULL,
                  "%s", r.log);
    ck_assert_msg(strstr(r.log, "detail=\"expired\\x20token\\x20of\\x20recipient\\x20old\"") !=
                      NULL,
                  "%s", r.log);
    ck_assert_ptr_null(strstr(r.log, TOK_OLD));
    resp_free(&r);

    /* names from the request are escaped: one line, no raw control bytes */
    get(srv, TOK_ACME, "/shares/a%0Ab%22c%20d", NULL, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_msg(strstr(r.log, " share=a\\x0ab\\x22c\\x20d ") != NULL, "%s", r.log);
    for (const char *p = r.log; *p; p++)
        ck_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
    resp_free(&r);

    /* unrouted requests log route=- */
    struct rq q = {.method = "BREW", .path = "/pot"};
    do_rq(srv, &q, &r);
    ck_assert_msg(strstr(r.log, "recipient=- method=BREW route=- status=404 ") != NULL, "%s",
                  r.log);
    resp_free(&r);

    /* with logging off nothing is called */
    ds_server_set_log(srv, NULL, NULL);
    int before = nlogs;
    get(srv, TOK_ACME, "/shares", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(nlogs, before);
    resp_free(&r);
}
END_TEST

/* ====================================================================
 * seams
 * ================================================================== */

struct auth_ctx {
    const ds_catalog *cat;
    int calls;
    char last_method[16];
};

/* Authenticates by an X-Test-User header naming a configured recipient. */
static ds_status test_authenticate(void *ctx, const ds_request *req, const ds_recipient **out,
                                   ds_error *err)
{
    struct auth_ctx *a = ctx;
    a->calls++;
    snprintf(a->last_method, sizeof a->last_method, "%s", ds_request_method(req));
    const char *u = ds_request_header(req, "X-Test-User");
    if (!u)
        return ds_error_set(err, DS_ERR_UNAUTHENTICATED, "custom: who are you?");
    if (strcmp(u, "blocked") == 0)
        return ds_error_set(err, DS_ERR_FORBIDDEN, "custom: blocked");
    for (size_t i = 0; i < a->cat->nrecipients; i++)
        if (strcmp(a->cat->recipients[i]->name, u) == 0) {
            *out = a->cat->recipients[i];
            return DS_OK;
        }
    return ds_error_set(err, DS_ERR_UNAUTHENTICATED, "custom: unknown user");
}

static const ds_auth_ops test_auth = {"test", test_authenticate};

START_TEST(auth_seam)
{
    struct auth_ctx a = {.cat = srv->cat};
    ds_server_set_auth(srv, &test_auth, &a);
    struct resp r;
    struct rq q = {.path = "/shares", .env = {"HTTP_X_TEST_USER=other"}};
    do_rq(srv, &q, &r);
    assert_body(&r, 200, "{\"items\":[" SHARE_ALPHA "]}");
    ck_assert_int_eq(a.calls, 1);
    ck_assert_str_eq(a.last_method, "GET");
    ck_assert_msg(strstr(r.log, "recipient=other ") != NULL, "%s", r.log);
    resp_free(&r);
    /* a valid bearer token means nothing to this authenticator */
    struct rq q2 = {.method = "HEAD", .path = "/shares", .auth = "Bearer " TOK_ACME};
    do_rq(srv, &q2, &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_int_eq(a.calls, 2);
    ck_assert_str_eq(a.last_method, "HEAD");
    resp_free(&r);
    get(srv, TOK_ACME, "/shares", NULL, &r);
    assert_error(&r, 401, "UNAUTHENTICATED", "custom: who are you?");
    resp_free(&r);
    /* its own statuses pass through */
    struct rq q3 = {.path = "/shares/alpha", .env = {"HTTP_X_TEST_USER=blocked"}};
    do_rq(srv, &q3, &r);
    assert_error(&r, 403, "PERMISSION_DENIED", "custom: blocked");
    resp_free(&r);
    /* not consulted for unrouted requests */
    int calls = a.calls;
    struct rq q4 = {.path = "/nope", .env = {"HTTP_X_TEST_USER=other"}};
    do_rq(srv, &q4, &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_int_eq(a.calls, calls);
    resp_free(&r);
    /* NULL restores the bearer authenticator */
    ds_server_set_auth(srv, NULL, NULL);
    get(srv, TOK_ACME, "/shares/alpha", NULL, &r);
    assert_body(&r, 200, "{\"share\":" SHARE_ALPHA "}");
    resp_free(&r);
    do_rq(srv, &q, &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_int_eq(a.calls, calls);
    resp_free(&r);
}
END_TEST

struct disc_ctx {
    int calls;
    size_t last_offset, last_max;
    int saw_null_schema;
    char last_schema[64], last_share[64];
    const ds_recipient *last_recipient;
};

static const char *const vnames[] = {"v0", "v1", "v2", "v3", "v4"};
static const char *const vids[] = {"id-v0", "id-v1", "id-v2", "id-v3", "id-v4"};

static ds_status d_list_shares(void *ctx, const ds_recipient *r, size_t offset, size_t max,
                               ds_share_info *out, size_t *n, size_t *total, ds_error *err)
{
    struct disc_ctx *d = ctx;
    d->calls++;
    d->last_offset = offset;
    d->last_max = max;
    d->last_recipient = r;
    *n = 0;
    for (size_t i = offset; i < N_ELEMS(vnames) && *n < max; i++) {
        out[*n].name = vnames[i];
        out[*n].id = vids[i];
        out[*n].comment = i == 1 ? "line\xe2\x80\xa8sep" : NULL;
        (*n)++;
    }
    *total = N_ELEMS(vnames);
    return DS_OK;
}

static ds_status d_get_share(void *ctx, const ds_recipient *r, const char *share,
                             ds_share_info *out, ds_error *err)
{
    struct disc_ctx *d = ctx;
    d->calls++;
    snprintf(d->last_share, sizeof d->last_share, "%s", share);
    if (strcmp(share, "v2") != 0)
        return ds_error_set(err, DS_ERR_NOT_FOUND, "custom: no share %s", share);
    out->name = "v2";
    out->id = "id-v2";
    out->comment = NULL;
    return DS_OK;
}

static ds_status d_list_schemas(void *ctx, const ds_recipient *r, const char *share,
                                size_t offset, size_t max, ds_schema_info *out, size_t *n,
                                size_t *total, ds_error *err)
{
    struct disc_ctx *d = ctx;
    d->calls++;
    if (strcmp(share, "broken") == 0)
        return ds_error_set(err, DS_ERR_STORAGE, "custom: backend down");
    if (strcmp(share, "silent") == 0)
        return DS_ERR_TIMEOUT; /* fails without filling err */
    *n = 0;
    if (offset == 0 && max > 0) {
        out[0].name = "only";
        out[0].share = "v2";
        *n = 1;
    }
    *total = 1;
    return DS_OK;
}

static ds_status d_list_tables(void *ctx, const ds_recipient *r, const char *share,
                               const char *schema, size_t offset, size_t max,
                               ds_table_info *out, size_t *n, size_t *total, ds_error *err)
{
    struct disc_ctx *d = ctx;
    d->calls++;
    d->saw_null_schema = schema == NULL;
    snprintf(d->last_schema, sizeof d->last_schema, "%s", schema ? schema : "");
    snprintf(d->last_share, sizeof d->last_share, "%s", share);
    *n = 0;
    if (offset == 0 && max > 0) {
        out[0] = (ds_table_info){.name = "tt", .schema = schema ? schema : "any", .share = share,
                                 .id = "tid", .share_id = "sid",
                                 .location = "s3://never/sent"};
        *n = 1;
    }
    *total = 1;
    return DS_OK;
}

static ds_status d_get_table(void *ctx, const ds_recipient *r, const char *share,
                             const char *schema, const char *table, ds_table_info *out,
                             ds_error *err)
{
    return ds_error_set(err, DS_ERR_NOT_FOUND, NULL);
}

static const ds_discovery_ops test_disc = {"test",         d_list_shares, d_get_share,
                                           d_list_schemas, d_list_tables, d_get_table};

START_TEST(discovery_seam)
{
    struct disc_ctx d = {0};
    ds_server_set_discovery(srv, &test_disc, &d);
    struct resp r;
    get(srv, TOK_OTHER, "/shares", NULL, &r);
    assert_body(&r, 200, "{\"items\":[{\"name\":\"v0\",\"id\":\"id-v0\"},"
                         "{\"name\":\"v1\",\"id\":\"id-v1\",\"comment\":\"line\\u2028sep\"},"
                         "{\"name\":\"v2\",\"id\":\"id-v2\"},{\"name\":\"v3\",\"id\":\"id-v3\"},"
                         "{\"name\":\"v4\",\"id\":\"id-v4\"}]}");
    ck_assert_int_eq(d.calls, 1);
    ck_assert_uint_eq(d.last_offset, 0);
    ck_assert_uint_eq(d.last_max, 500);
    ck_assert_str_eq(ds_recipient_name(d.last_recipient), "other");
    resp_free(&r);

    /* the server pages over the seam's windows */
    char tok[128], query[256];
    get(srv, TOK_OTHER, "/shares", "maxResults=2", &r);
    ck_assert_int_eq(r.status, 200);
    char *items = items_of(&r);
    ck_assert_str_eq(items, "{\"name\":\"v0\",\"id\":\"id-v0\"},{\"name\":\"v1\",\"id\":\"id-v1\","
                            "\"comment\":\"line\\u2028sep\"}");
    free(items);
    ck_assert(next_token(&r, tok, sizeof tok));
    ck_assert_uint_eq(d.last_offset, 0);
    ck_assert_uint_eq(d.last_max, 2);
    resp_free(&r);
    snprintf(query, sizeof query, "maxResults=2&pageToken=%s", tok);
    get(srv, TOK_OTHER, "/shares", query, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(d.last_offset, 2);
    ck_assert(next_token(&r, tok, sizeof tok));
    resp_free(&r);
    snprintf(query, sizeof query, "maxResults=2&pageToken=%s", tok);
    get(srv, TOK_OTHER, "/shares", query, &r);
    assert_body(&r, 200, "{\"items\":[{\"name\":\"v4\",\"id\":\"id-v4\"}]}");
    ck_assert_uint_eq(d.last_offset, 4);
    resp_free(&r);

    /* lookups go to the seam too, even for names the config does not know */
    get(srv, TOK_OTHER, "/shares/v2", NULL, &r);
    assert_body(&r, 200, "{\"share\":{\"name\":\"v2\",\"id\":\"id-v2\"}}");
    resp_free(&r);
    get(srv, TOK_OTHER, "/shares/alpha", NULL, &r);
    assert_error(&r, 404, "RESOURCE_DOES_NOT_EXIST", "custom: no share alpha");
    ck_assert_str_eq(d.last_share, "alpha");
    resp_free(&r);
    get(srv, TOK_OTHER, "/shares/v2/schemas", NULL, &r);
    assert_body(&r, 200, "{\"items\":[{\"name\":\"only\",\"share\":\"v2\"}]}");
    resp_free(&r);
    get(srv, TOK_OTHER, "/shares/v2/all-tables", NULL, &r);
    assert_body(&r, 200, "{\"items\":[{\"name\":\"tt\",\"schema\":\"any\",\"share\":\"v2\","
                         "\"shareId\":\"sid\",\"id\":\"tid\"}]}");
    ck_assert_int_eq(d.saw_null_schema, 1);
    resp_free(&r);
    get(srv, TOK_OTHER, "/shares/v2/schemas/Only/tables", NULL, &r);
    assert_body(&r, 200, "{\"items\":[{\"name\":\"tt\",\"schema\":\"Only\",\"share\":\"v2\","
                         "\"shareId\":\"sid\",\"id\":\"tid\"}]}");
    ck_assert_int_eq(d.saw_null_schema, 0);
    ck_assert_str_eq(d.last_schema, "Only");
    resp_free(&r);

    /* seam errors map to their statuses */
    get(srv, TOK_OTHER, "/shares/broken/schemas", NULL, &r);
    assert_error(&r, 502, "INTERNAL_ERROR", "custom: backend down");
    resp_free(&r);
    get(srv, TOK_OTHER, "/shares/silent/schemas", NULL, &r);
    assert_error(&r, 500, "INTERNAL_ERROR", "");
    resp_free(&r);

    /* authentication still comes first */
    int calls = d.calls;
    get(srv, "bogus", "/shares", NULL, &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_int_eq(d.calls, calls);
    resp_free(&r);

    /* NULL restores the config catalog */
    ds_server_set_discovery(srv, NULL, NULL);
    get(srv, TOK_OTHER, "/shares", NULL, &r);
    assert_body(&r, 200, "{\"items\":[" SHARE_ALPHA "]}");
    ck_assert_int_eq(d.calls, calls);
    resp_free(&r);
}
END_TEST

/* ====================================================================
 * ds_bearer_token
 * ================================================================== */

struct bt_case {
    const char *in;
    const char *tok; /* NULL: rejected */
};

static const struct bt_case bt_cases[] = {
    {"Bearer abc", "abc"},
    {"bearer abc", "abc"},
    {"BeArEr abc", "abc"},
    {"Bearer\tabc", "abc"},
    {"  Bearer   abc  ", "abc"},
    {"Bearer abc\t", "abc"},
    {"Bearer A-Za-z0-9._~+/", "A-Za-z0-9._~+/"},
    {"Bearer abc=", "abc="},
    {"Bearer abc==", "abc=="},
    {"Bearer =", "="},
    {"Bearer a=b", NULL},
    {"Bearer =abc", NULL},
    {"Bearer a==b", NULL},
    {"Bearer", NULL},
    {"Bearer ", NULL},
    {"Bearer  \t ", NULL},
    {"Bearerabc", NULL},
    {"Basic abc", NULL},
    {"Bearer a b", NULL},
    {"Bearer a,b", NULL},
    {"Bearer a\"b", NULL},
    {"Bearer a\x01", NULL},
    {"Bearer caf\xc3\xa9", NULL},
    {"abc", NULL},
    {"", NULL},
};

START_TEST(bearer_token)
{
    const struct bt_case *c = &bt_cases[_i];
    size_t n = 9999;
    const char *t = ds_bearer_token(c->in, &n);
    if (!c->tok) {
        ck_assert_msg(t == NULL, "'%s' accepted", c->in);
        return;
    }
    ck_assert_msg(t != NULL, "'%s' rejected", c->in);
    ck_assert_uint_eq(n, strlen(c->tok));
    ck_assert(strncmp(t, c->tok, n) == 0);
    ck_assert(t >= c->in && t + n <= c->in + strlen(c->in)); /* points into the value */
}
END_TEST

START_TEST(bearer_token_limits)
{
    size_t n;
    ck_assert_ptr_null(ds_bearer_token(NULL, &n));
    char *ok = repeat('t', 4096, "Bearer ");
    char *big = repeat('t', 4097, "Bearer ");
    ck_assert_ptr_nonnull(ds_bearer_token(ok, &n));
    ck_assert_uint_eq(n, 4096);
    ck_assert_ptr_null(ds_bearer_token(big, &n));
    free(ok);
    free(big);
}
END_TEST

/* ====================================================================
 * body reader and error writer
 * ================================================================== */

struct body_case {
    const char *cl; /* NULL: CONTENT_LENGTH unset */
    const char *body;
    size_t chunk;
    int read_fails;
    int64_t max;
    ds_status st;
    const char *msg;
};

static const struct body_case body_cases[] = {
    {NULL, "", 0, 0, 100, DS_OK, NULL},
    {NULL, "ignored", 0, 0, 100, DS_OK, NULL},
    {"", "", 0, 0, 100, DS_OK, NULL},
    {"0", "", 0, 0, 100, DS_OK, NULL},
    {"5", "hello", 0, 0, 100, DS_OK, NULL},
    {"5", "hello", 2, 0, 100, DS_OK, NULL},
    {"5", "hello world", 1, 0, 5, DS_OK, NULL},
    {"10", "0123456789", 3, 0, 10, DS_OK, NULL},
    {"11", "0123456789a", 0, 0, 10, DS_ERR_TOO_LARGE, "The request body is larger than 10 bytes."},
    {"1048577", "", 0, 0, 1048576, DS_ERR_TOO_LARGE,
     "The request body is larger than 1048576 bytes."},
    {"10", "short", 0, 0, 100, DS_ERR_MALFORMED,
     "The request body is shorter than its Content-Length."},
    {"10", "short", 2, 0, 100, DS_ERR_MALFORMED,
     "The request body is shorter than its Content-Length."},
    {"5", "hello", 0, 1, 100, DS_ERR_MALFORMED,
     "The request body is shorter than its Content-Length."},
    {"abc", "", 0, 0, 100, DS_ERR_MALFORMED, "The Content-Length is not valid."},
    {"-1", "", 0, 0, 100, DS_ERR_MALFORMED, "The Content-Length is not valid."},
    {" 5", "hello", 0, 0, 100, DS_ERR_MALFORMED, "The Content-Length is not valid."},
    {"99999999999999999999", "", 0, 0, 100, DS_ERR_MALFORMED,
     "The Content-Length is not valid."},
    {"9223372036854775807", "", 0, 0, 100, DS_ERR_TOO_LARGE,
     "The request body is larger than 100 bytes."},
};

START_TEST(read_body)
{
    const struct body_case *c = &body_cases[_i];
    struct mem_io io;
    io_init(&io);
    if (c->cl)
        io_setenv(&io, "CONTENT_LENGTH", c->cl);
    io.body = c->body;
    io.body_len = strlen(c->body);
    io.chunk = c->chunk;
    io.read_fails = c->read_fails;
    ds_request req;
    memset(&req, 0, sizeof req);
    req.arena = ds_arena_new(0);
    ck_assert_ptr_nonnull(req.arena);
    req.io = &mem_ops;
    req.io_ctx = &io;
    ds_error err;
    ds_error_clear(&err);
    ds_status st = ds_request_read_body(&req, c->max, &err);
    ck_assert_int_eq(st, c->st);
    ck_assert_int_eq(err.status, c->st);
    if (c->st == DS_OK) {
        size_t want = c->cl && *c->cl ? strtoull(c->cl, NULL, 10) : 0;
        ck_assert_ptr_nonnull(req.body);
        ck_assert_uint_eq(req.body_len, want);
        ck_assert(memcmp(req.body, c->body, want) == 0);
        ck_assert(req.body[want] == '\0');
        ck_assert_uint_eq(io.body_pos, want); /* never reads past Content-Length */
    } else {
        ck_assert_str_eq(err.message, c->msg);
    }
    ck_assert_uint_eq(io.out.len, 0); /* the reader writes nothing */
    ds_arena_free(req.arena);
    io_free(&io);
}
END_TEST

struct rerr_case {
    ds_status st;
    const char *allow;
    int head;
    const char *status_line;
    const char *extra_header; /* "Name: value" or NULL */
    const char *code;
};

static const struct rerr_case rerr_cases[] = {
    {DS_ERR_TOO_LARGE, NULL, 0, "Status: 413 Content Too Large", NULL, "MALFORMED_REQUEST"},
    {DS_ERR_NOMEM, NULL, 0, "Status: 503 Service Unavailable", "Retry-After: 1",
     "INTERNAL_ERROR"},
    {DS_ERR_METHOD, "GET, HEAD", 0, "Status: 405 Method Not Allowed", "Allow: GET, HEAD",
     "MALFORMED_REQUEST"},
    {DS_ERR_UNAUTHENTICATED, NULL, 1, "Status: 401 Unauthorized",
     "WWW-Authenticate: Bearer realm=\"delta-sharing\"", "UNAUTHENTICATED"},
    {DS_ERR_STORAGE, NULL, 0, "Status: 502 Bad Gateway", NULL, "INTERNAL_ERROR"},
    {DS_ERR_TIMEOUT, NULL, 0, "Status: 504 Gateway Timeout", NULL, "INTERNAL_ERROR"},
    {DS_ERR_UNSUPPORTED, NULL, 0, "Status: 400 Bad Request", NULL, "UNSUPPORTED_OPERATION"},
    {DS_OK, NULL, 0, "Status: 500 Internal Server Error", NULL, "INTERNAL_ERROR"},
};

/* ds_resp_error writes the mapped status, the special headers and the
 * public message only (never the detail). */
START_TEST(resp_error)
{
    const struct rerr_case *c = &rerr_cases[_i];
    struct mem_io io;
    io_init(&io);
    ds_request req;
    memset(&req, 0, sizeof req);
    req.io = &mem_ops;
    req.io_ctx = &io;
    req.head = c->head;
    if (c->allow)
        snprintf(req.allow, sizeof req.allow, "%s", c->allow);
    ds_error err;
    ds_error_clear(&err);
    if (c->st != DS_OK)
        ds_error_set(&err, c->st, "public \"msg\"");
    ds_error_detail(&err, "secret detail");
    ck_assert_int_eq(ds_resp_error(&req, &err), 0);
    struct resp r;
    memset(&r, 0, sizeof r);
    parse_output(io.out.data, io.out.len, c->head, &r);
    ck_assert(strncmp(r.raw, c->status_line, strlen(c->status_line)) == 0);
    ck_assert_int_eq(req.status, r.status);
    if (c->extra_header) {
        char name[64];
        const char *colon = strchr(c->extra_header, ':');
        snprintf(name, sizeof name, "%.*s", (int)(colon - c->extra_header), c->extra_header);
        ck_assert_str_eq(hdr(&r, name), colon + 2);
    }
    ck_assert_uint_eq(r.nh, 2 + (c->extra_header ? 1 : 0));
    if (!c->head) {
        char want[256];
        snprintf(want, sizeof want, "{\"errorCode\":\"%s\",\"message\":\"%s\"}\n", c->code,
                 c->st == DS_OK ? "" : "public \\\"msg\\\"");
        ck_assert_uint_eq(r.body_len, strlen(want));
        ck_assert(memcmp(r.body, want, r.body_len) == 0);
    }
    ck_assert_ptr_null(strstr(r.raw, "secret"));
    /* a second error after the headers went out writes nothing */
    size_t len = io.out.len;
    ck_assert_int_eq(ds_resp_error(&req, &err), -1);
    ck_assert_uint_eq(io.out.len, len);
    resp_free(&r);
    io_free(&io);
}
END_TEST

/* ====================================================================
 * server construction
 * ================================================================== */

START_TEST(server_new_errors)
{
    ds_error err;
    ds_error_clear(&err);
    ck_assert_ptr_null(ds_server_new("/nonexistent-ds-dir/x.conf", &err));
    ck_assert_int_eq(err.status, DS_ERR_CONFIG);
    ck_assert_str_eq(err.message, "/nonexistent-ds-dir/x.conf: cannot open: No such file or "
                                  "directory");
    char path[256];
    static const char bad[] = "endpoint = https://h\nshare.name = a b\n";
    tu_write_temp(bad, sizeof bad - 1, path, sizeof path);
    ds_error_clear(&err);
    ck_assert_ptr_null(ds_server_new(path, &err));
    char want[300];
    snprintf(want, sizeof want, "%s:2: bad value for share.name: 'a b'", path);
    ck_assert_msg(strncmp(err.message, want, strlen(want)) == 0, "%s", err.message);
    unlink(path);
    ds_server_free(NULL);
}
END_TEST

/* The arena is reset between requests: many requests in one server do not
 * grow it, and answers stay identical. */
START_TEST(many_requests)
{
    struct resp first;
    get(srv, TOK_ACME, "/shares/alpha/all-tables", NULL, &first);
    ck_assert_int_eq(first.status, 200);
    for (int i = 0; i < 300; i++) {
        struct resp r;
        get(srv, i % 2 ? TOK_ACME : TOK_ACME2, "/shares/alpha/all-tables", NULL, &r);
        ck_assert_uint_eq(r.raw_len, first.raw_len);
        ck_assert(memcmp(r.raw, first.raw, r.raw_len) == 0);
        resp_free(&r);
    }
    ck_assert_uint_eq(ds_arena_used(srv->arena), 64 * 1024);
    resp_free(&first);
}
END_TEST

/* ====================================================================
 * the NDJSON writer: held back, then streamed, then failed cleanly
 * ================================================================== */

static int aborted;
static void mem_abort(void *ctx)
{
    (void)ctx;
    aborted++;
}
static const ds_io_ops mem_ops_abort = {mem_getenv, mem_read, mem_write, mem_abort};

static void nd_req(ds_request *req, struct mem_io *io, ds_arena *a)
{
    memset(req, 0, sizeof *req);
    io_init(io);
    req->arena = a;
    req->io = &mem_ops_abort;
    req->io_ctx = io;
    req->method = "POST";
    aborted = 0;
}

static void nd_line(ds_ndjson *w, size_t i, size_t pad)
{
    ds_error err;
    ds_error_clear(&err);
    ds_buf *b = ds_ndjson_begin(w);
    ck_assert_int_eq(ds_buf_printf(b, "{\"n\":%zu,\"pad\":\"", i), 0);
    for (size_t k = 0; k < pad; k++)
        ck_assert_int_eq(ds_buf_putc(b, 'x'), 0);
    ck_assert_int_eq(ds_buf_puts(b, "\"}"), 0);
    ck_assert_int_eq(ds_ndjson_end(w, &err), DS_OK);
}

START_TEST(ndjson_small_answer)
{
    ds_arena *a = ds_arena_new(0);
    ds_request req;
    struct mem_io io;
    nd_req(&req, &io, a);
    ds_ndjson w;
    ds_ndjson_init(&w, &req);
    ck_assert_int_eq(ds_ndjson_header(&w, "Delta-Table-Version: %d", 7), 0);
    nd_line(&w, 0, 3);
    nd_line(&w, 1, 0);
    ck_assert_uint_eq(io.out.len, 0); /* held back */
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_ndjson_finish(&w, &err), DS_OK);
    ck_assert_str_eq(io.out.data, "Status: 200 OK\r\n"
                                  "Content-Type: application/x-ndjson; charset=utf-8\r\n"
                                  "Delta-Table-Version: 7\r\n\r\n"
                                  "{\"n\":0,\"pad\":\"xxx\"}\n{\"n\":1,\"pad\":\"\"}\n");
    ds_ndjson_free(&w);
    io_free(&io);
    ds_arena_free(a);
}
END_TEST

/* A failure while everything is still held back sends nothing: the caller
 * answers with a plain JSON error. */
START_TEST(ndjson_fail_before_streaming)
{
    ds_arena *a = ds_arena_new(0);
    ds_request req;
    struct mem_io io;
    nd_req(&req, &io, a);
    ds_ndjson w;
    ds_ndjson_init(&w, &req);
    for (size_t i = 0; i < 100; i++)
        nd_line(&w, i, 100);
    ds_error err;
    ds_error_clear(&err);
    ds_error_set(&err, DS_ERR_INTERNAL, "The table's log is corrupt.");
    ck_assert_int_eq(ds_ndjson_fail(&w, &err), 0);
    ck_assert_uint_eq(io.out.len, 0);
    ck_assert_int_eq(req.headers_sent, 0);
    ck_assert_int_eq(aborted, 0);
    ds_ndjson_free(&w);
    io_free(&io);
    ds_arena_free(a);
}
END_TEST

/* Past the held-back megabyte the answer streams in chunks; a failure then
 * ends it with an endStreamAction carrying the error, after the last whole
 * line, and cuts the connection. */
START_TEST(ndjson_fail_while_streaming)
{
    ds_arena *a = ds_arena_new(0);
    ds_request req;
    struct mem_io io;
    nd_req(&req, &io, a);
    ds_ndjson w;
    ds_ndjson_init(&w, &req);
    size_t n = DS_NDJSON_PREBUF / 1000 + 50;
    for (size_t i = 0; i < n; i++)
        nd_line(&w, i, 1000);
    ck_assert_int_eq(req.headers_sent, 1);
    ck_assert_uint_gt(io.out.len, DS_NDJSON_PREBUF);
    /* the bytes held in the writer stay below a chunk plus a line */
    ck_assert_uint_lt(w.out.len, DS_NDJSON_CHUNK + 1100);
    /* a line half built when the failure strikes is dropped */
    ds_buf *b = ds_ndjson_begin(&w);
    ck_assert_int_eq(ds_buf_puts(b, "{\"file\":{\"url\":\"half"), 0);
    ds_error err;
    ds_error_clear(&err);
    ds_error_set(&err, DS_ERR_INTERNAL, "The table's log is corrupt.");
    ck_assert_int_eq(ds_ndjson_fail(&w, &err), 1);
    ck_assert_int_eq(aborted, 1);
    const char *body = strstr(io.out.data, "\r\n\r\n");
    ck_assert_ptr_nonnull(body);
    body += 4;
    size_t lines = 0;
    const char *last = body;
    for (const char *p = body; *p; p++)
        if (*p == '\n') {
            lines++;
            if (p[1])
                last = p + 1;
        }
    ck_assert_uint_eq(lines, n + 1);
    ck_assert_str_eq(last, "{\"endStreamAction\":{\"errorMessage\":\"The table's log is "
                           "corrupt.\",\"httpStatusErrorCode\":500}}\n");
    ck_assert_ptr_null(strstr(body, "half"));
    ds_ndjson_free(&w);
    io_free(&io);
    ds_arena_free(a);
}
END_TEST

static int gone_write(void *ctx, const char *buf, size_t n)
{
    (void)ctx;
    (void)buf;
    (void)n;
    return -1;
}
static const ds_io_ops gone_ops = {mem_getenv, mem_read, gone_write, NULL};

/* A client that went away stops the answer at the next flush. */
START_TEST(ndjson_client_gone)
{
    ds_arena *a = ds_arena_new(0);
    ds_request req;
    struct mem_io io;
    nd_req(&req, &io, a);
    req.io = &gone_ops;
    ds_ndjson w;
    ds_ndjson_init(&w, &req);
    ds_error err;
    ds_error_clear(&err);
    ds_status st = DS_OK;
    for (size_t i = 0; i < 5000 && st == DS_OK; i++) {
        ds_buf *b = ds_ndjson_begin(&w);
        ck_assert_int_eq(ds_buf_printf(b, "{\"n\":%zu,\"pad\":\"%0500d\"}", i, 0), 0);
        st = ds_ndjson_end(&w, &err);
    }
    ck_assert_int_ne(st, DS_OK);
    ck_assert_int_eq(req.write_failed, 1);
    ds_ndjson_free(&w);
    io_free(&io);
    ds_arena_free(a);
}
END_TEST

/* ====================================================================
 * the router: {x} and a final {*x}
 * ================================================================== */

/* n segments "/s/s/.../s" after prefix (malloc'd). */
static char *segments(const char *prefix, size_t n)
{
    size_t pl = strlen(prefix);
    char *s = malloc(pl + 2 * n + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, prefix, pl);
    for (size_t i = 0; i < n; i++)
        memcpy(s + pl + 2 * i, "/s", 2);
    s[pl + 2 * n] = '\0';
    return s;
}

struct route_case {
    const char *method, *path; /* path below the mount, as in REQUEST_URI */
    ds_status st;              /* of parsing then matching */
    const char *pattern;       /* matched route when DS_OK */
    const char *token, *rest;  /* ds_route_arg "token", ds_route_rest "path" */
};

static const struct route_case route_cases[] = {
    /* one segment, many, none */
    {"GET", "/files/T/a.parquet", DS_OK, "/files/{token}/{*path}", "T", "a.parquet"},
    {"GET", "/files/T/p=1/q=2/a.parquet", DS_OK, "/files/{token}/{*path}", "T",
     "p=1/q=2/a.parquet"},
    {"GET", "/files/T", DS_ERR_NOT_FOUND, NULL, NULL, NULL},
    {"GET", "/files/T/", DS_ERR_NOT_FOUND, NULL, NULL, NULL}, /* a trailing '/' is no segment */
    {"GET", "/files/", DS_ERR_NOT_FOUND, NULL, NULL, NULL},
    {"GET", "/files", DS_ERR_NOT_FOUND, NULL, NULL, NULL},
    /* segments are decoded one by one, then joined: an encoded '/' inside
     * a segment is a '/' of the joined path, and nothing is decoded twice */
    {"GET", "/files/T/a%2Fb", DS_OK, "/files/{token}/{*path}", "T", "a/b"},
    {"GET", "/files/T/a%2Fb/c", DS_OK, "/files/{token}/{*path}", "T", "a/b/c"},
    {"GET", "/files/T/%2F", DS_OK, "/files/{token}/{*path}", "T", "/"},
    {"GET", "/files/T%2Fa/b", DS_OK, "/files/{token}/{*path}", "T/a", "b"},
    {"GET", "/files/T/a%252Fb/%20c+d%3D%C3%A9", DS_OK, "/files/{token}/{*path}", "T",
     "a%2Fb/ c+d=\xc3\xa9"},
    {"GET", "/files/T/a%zz", DS_ERR_MALFORMED, NULL, NULL, NULL},
    {"GET", "/files/T/a%00", DS_ERR_MALFORMED, NULL, NULL, NULL},
    /* what the handler refuses is still routed to it */
    {"GET", "/files/T/a//b", DS_OK, "/files/{token}/{*path}", "T", "a//b"},
    {"GET", "/files/T/../x", DS_OK, "/files/{token}/{*path}", "T", "../x"},
    {"GET", "/files/T/a/b/", DS_OK, "/files/{token}/{*path}", "T", "a/b"},
    /* HEAD rides on GET; other methods: 405 */
    {"HEAD", "/files/T/a", DS_OK, "/files/{token}/{*path}", "T", "a"},
    {"POST", "/files/T/a", DS_ERR_METHOD, NULL, NULL, NULL},
    /* routes without a wildcard still match whole paths only */
    {"GET", "/shares/x/extra", DS_ERR_NOT_FOUND, NULL, NULL, NULL},
    {"GET", "/shares/x", DS_OK, "/shares/{share}", NULL, NULL},
};

/* Parses method path as the server does and matches it. */
static ds_status route(const char *method, const char *path, ds_request *req, struct mem_io *io,
                       ds_error *err)
{
    io_init(io);
    char *uri = malloc(strlen(MOUNT) + strlen(path) + 1);
    ck_assert_ptr_nonnull(uri);
    sprintf(uri, MOUNT "%s", path);
    io_setenv(io, "REQUEST_METHOD", method);
    io_setenv(io, "SCRIPT_NAME", MOUNT);
    io_setenv(io, "REQUEST_URI", uri);
    free(uri);
    memset(req, 0, sizeof *req);
    req->arena = ds_arena_new(0);
    ck_assert_ptr_nonnull(req->arena);
    req->io = &mem_ops;
    req->io_ctx = io;
    ds_error_clear(err);
    ds_status st = ds_request_parse(req, err);
    if (st != DS_OK)
        return st;
    const ds_route *rt = NULL;
    st = ds_route_match(req, &rt, err);
    ck_assert(st == DS_OK ? rt != NULL && req->route == rt->pattern : rt == NULL);
    return st;
}

START_TEST(route_wildcard)
{
    const struct route_case *c = &route_cases[_i];
    ds_request req;
    struct mem_io io;
    ds_error err;
    ds_status st = route(c->method, c->path, &req, &io, &err);
    ck_assert_msg(st == c->st, "%s %s: status %d, want %d (%s)", c->method, c->path, st, c->st,
                  err.message);
    if (st == DS_OK) {
        ck_assert_str_eq(req.route, c->pattern);
        if (c->token) {
            ck_assert_str_eq(ds_route_arg(&req, "token"), c->token);
            ck_assert_str_eq(ds_route_rest(&req, "path"), c->rest);
            /* the wildcard is not a one-segment argument, nor another name */
            ck_assert_ptr_null(ds_route_arg(&req, "path"));
            ck_assert_ptr_null(ds_route_rest(&req, "token"));
            ck_assert_ptr_null(ds_route_rest(&req, "pat"));
            ck_assert_ptr_null(ds_route_rest(&req, "paths"));
        } else {
            ck_assert_ptr_null(ds_route_rest(&req, "path"));
            ck_assert_ptr_null(ds_route_rest(&req, "share"));
        }
    } else if (st == DS_ERR_METHOD) {
        ck_assert_str_eq(req.allow, "GET, HEAD");
    }
    ds_arena_free(req.arena);
    io_free(&io);
}
END_TEST

/* DS_MAX_SEGMENTS (64) segments are taken, all but two of them by the
 * wildcard; one more is 404 before any route is looked at. */
START_TEST(route_wildcard_many_segments)
{
    ck_assert_int_eq(DS_MAX_SEGMENTS, 64);
    for (size_t n = 1; n <= DS_MAX_SEGMENTS - 1; n++) {
        char *path = segments("/files/T", n);
        ds_request req;
        struct mem_io io;
        ds_error err;
        ds_status st = route("GET", path, &req, &io, &err);
        if (n <= DS_MAX_SEGMENTS - 2) {
            ck_assert_msg(st == DS_OK, "%zu segments after the token: %d", n, st);
            const char *rest = ds_route_rest(&req, "path");
            ck_assert_ptr_nonnull(rest);
            ck_assert_uint_eq(strlen(rest), 2 * n - 1);
            for (size_t i = 0; i < n; i++) {
                ck_assert_int_eq(rest[2 * i], 's');
                if (i + 1 < n)
                    ck_assert_int_eq(rest[2 * i + 1], '/');
            }
        } else {
            ck_assert_int_eq(st, DS_ERR_NOT_FOUND);
            ck_assert_str_eq(err.message, "No such endpoint.");
        }
        ds_arena_free(req.arena);
        io_free(&io);
        free(path);
    }
}
END_TEST

/* Through the whole server: a wildcard match reaches the /files/ handler
 * (which refuses the made-up link: 403, and the log names the route);
 * no object path is no endpoint (404); 64 segments are served, 65 not. */
START_TEST(route_wildcard_end_to_end)
{
    static const struct {
        const char *path;
        int status;
    } c[] = {
        {"/files/T/a.parquet", 403},
        {"/files/T/a/b/c.parquet", 403},
        {"/files/T/a%2Fb", 403},
        {"/files/T", 404},
        {"/files/T/", 404},
    };
    for (size_t i = 0; i < N_ELEMS(c); i++) {
        struct resp r;
        get(srv, NULL, c[i].path, "sp=r&sig=AAAAAAAAAAAAAAAAAAAAAA", &r);
        ck_assert_msg(r.status == c[i].status, "%s: %d", c[i].path, r.status);
        if (c[i].status == 403) {
            assert_error(&r, 403, "PERMISSION_DENIED", "This link is not valid, or it has expired.");
            ck_assert_msg(strstr(r.log, "recipient=- method=GET route=/files/{token}/{*path} "
                                        "status=403 ") != NULL, "%s", r.log);
        } else {
            assert_error(&r, 404, "RESOURCE_DOES_NOT_EXIST", "No such endpoint.");
            ck_assert_msg(strstr(r.log, " route=- ") != NULL, "%s", r.log);
        }
        resp_free(&r);
    }
    for (size_t n = DS_MAX_SEGMENTS - 2; n <= DS_MAX_SEGMENTS - 1; n++) {
        char *path = segments("/files/T", n);
        struct resp r;
        get(srv, NULL, path, "sp=r&sig=AAAAAAAAAAAAAAAAAAAAAA", &r);
        if (n == DS_MAX_SEGMENTS - 2)
            assert_error(&r, 403, "PERMISSION_DENIED", "This link is not valid, or it has expired.");
        else
            assert_error(&r, 404, "RESOURCE_DOES_NOT_EXIST", "No such endpoint.");
        resp_free(&r);
        free(path);
    }
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("discovery");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, list_shares);
    tcase_add_loop_test(tc, discovery_ok, 0, (int)N_ELEMS(ok_cases));
    tcase_add_test(tc, head_requests);
    tcase_add_loop_test(tc, ungranted_is_missing, 0, (int)N_ELEMS(vis_cases));
    tcase_add_test(tc, missing_schema);
    suite_add_tcase(s, tc);

    tc = tcase_create("pagination");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, pagination_walk, 0, (int)N_ELEMS(walk_cases));
    tcase_add_loop_test(tc, max_results, 0, (int)N_ELEMS(mr_cases));
    tcase_add_test(tc, page_token_forged);
    tcase_add_test(tc, page_token_foreign);
    tcase_add_test(tc, page_token_config_changed);
    tcase_add_test(tc, page_token_empty_is_absent);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, request_errors, 0, (int)N_ELEMS(err_cases));
    tcase_add_test(tc, uri_too_long);
    tcase_add_test(tc, query_too_long);
    tcase_add_test(tc, header_too_large);
    suite_add_tcase(s, tc);

    tc = tcase_create("router");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, route_wildcard, 0, (int)N_ELEMS(route_cases));
    tcase_add_test(tc, route_wildcard_many_segments);
    tcase_add_test(tc, route_wildcard_end_to_end);
    suite_add_tcase(s, tc);

    tc = tcase_create("auth");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, auth_failures, 0, (int)N_ELEMS(auth_cases));
    tcase_add_loop_test(tc, auth_success, 0, (int)N_ELEMS(auth_ok_cases));
    tcase_add_test(tc, token_rotation);
    tcase_add_test(tc, expiry_clock);
    tcase_add_loop_test(tc, bearer_token, 0, (int)N_ELEMS(bt_cases));
    tcase_add_test(tc, bearer_token_limits);
    suite_add_tcase(s, tc);

    tc = tcase_create("cgi");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, path_info_fallback);
    tcase_add_test(tc, log_lines);
    tcase_add_loop_test(tc, read_body, 0, (int)N_ELEMS(body_cases));
    tcase_add_loop_test(tc, resp_error, 0, (int)N_ELEMS(rerr_cases));
    tcase_add_test(tc, server_new_errors);
    tcase_add_test(tc, many_requests);
    suite_add_tcase(s, tc);

    tc = tcase_create("ndjson");
    tcase_add_test(tc, ndjson_small_answer);
    tcase_add_test(tc, ndjson_fail_before_streaming);
    tcase_add_test(tc, ndjson_fail_while_streaming);
    tcase_add_test(tc, ndjson_client_gone);
    suite_add_tcase(s, tc);

    tc = tcase_create("seams");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, auth_seam);
    tcase_add_test(tc, discovery_seam);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *dir = getenv("TMPDIR");
    snprintf(key_path, sizeof key_path, "%s/ds-unit-key-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(key_path);
    if (fd < 0 || write(fd, "0123456789abcdef0123456789abcdef", 32) != 32 || close(fd) != 0) {
        perror(key_path);
        return EXIT_FAILURE;
    }
    int rc = tu_run(http_suite());
    unlink(key_path);
    return rc;
}
