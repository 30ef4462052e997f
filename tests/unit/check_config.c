/* check_config.c - unit tests for the flat config parser (src/catalog):
 * a good config resolves to the expected catalog; every fatal mistake is
 * reported as "name:LINE: message". */
#include "config.h"
#include "catalog/catalog.h"
#include "deltasharing.h"
#include "util/buf.h"
#include "util/text.h"
#include "testutil.h"
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Hashes used in configs: sha256("tok-a"), sha256("tok-b"), ... are
 * computed at run time; the literal ones below only need to be well-formed. */
#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "aBcDeF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789"

static ds_catalog *parse(const char *name, const char *text, ds_error *err)
{
    ds_error_clear(err);
    return ds_catalog_parse(name, text, strlen(text), err);
}

/* 8-4-4-4-12 lower-case hex with the RFC 9562 version-8 and variant bits */
static int uuid_shaped(const char *s)
{
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return s[14] == '8' && strchr("89ab", s[19]) != NULL;
}

/* ====================================================================
 * a good config
 * ================================================================== */

static const char good_conf[] =
    "# delta sharing test config\n"
    "\n"
    "   # indented comment\n"
    "endpoint = https://example.com/delta-sharing/   # trailing comment\n"
    "url-ttl = 900\n"
    "max-request-body=2048\n"
    "log-requests = no\n"
    "\n"
    "share.name = Alpha\n"
    "share.comment = \"has # hash, \\\"quotes\\\" and a \\\\ backslash\"  # comment\n"
    "schema.name = S1\n"
    "table.name = t1\n"
    "table.location = s3://bucket/path/t1\n"
    "table.history = true\n"
    "table.name = t2\n"
    "table.location = \"s3://bucket/delta/t 2\"\n"
    "table.id = my-explicit-table-id\n"
    "table.history = off\n"
    "schema.name = s2\n"
    "\ttable.name\t=\tt3\t\n"
    "table.location = gs://b/t3#frag\n"
    "share.name = beta\r\n"
    "share.id = 11111111-2222-3333-4444-555555555555\r\n"
    "share.comment = a#b\r\n"
    "schema.name = x\r\n"
    "table.name = y\r\n"
    "table.location = abfss://c@acct.dfs.core.windows.net/y\r\n"
    "\r\n"
    "recipient.name = acme\n"
    "recipient.token-sha256 = " H1 "\n"
    "recipient.token-sha256 = " H2 " 2027-01-01T00:00:00Z\n"
    "recipient.expires = 2028-01-01T00:00:00Z\n"
    "recipient.shares = alpha , BETA\n"
    "recipient.name = everyone\n"
    "recipient.token-sha256 = " H3 "\n"
    "recipient.shares = *\n"
    "recipient.name = early\n"
    "recipient.token-sha256 = 3333333333333333333333333333333333333333333333333333333333333333\n"
    "recipient.shares = GAMMA\n"
    "share.name = gamma\n"
    "schema.name = empty\n";

START_TEST(good_config)
{
    ds_error err;
    ds_catalog *c = parse("good.conf", good_conf, &err);
    ck_assert_msg(c != NULL, "parse failed: %s", err.message);
    ck_assert_int_eq(err.status, DS_OK);
    ck_assert_str_eq(c->path, "good.conf");
    ck_assert_str_eq(c->endpoint, "https://example.com/delta-sharing");
    ck_assert_int_eq(c->url_ttl, 900);
    ck_assert_int_eq(c->max_request_body, 2048);
    ck_assert_int_eq(c->log_requests, 0);
    ck_assert_int_eq(c->has_link_key, 0);
    ck_assert_ptr_null(c->link_key_file);

    /* shares, schemas and tables in config order */
    ck_assert_uint_eq(c->nshares, 3);
    const ds_share_cfg *a = c->shares[0], *b = c->shares[1], *g = c->shares[2];
    ck_assert_str_eq(a->name, "Alpha");
    ck_assert_str_eq(b->name, "beta");
    ck_assert_str_eq(g->name, "gamma");
    ck_assert_str_eq(a->comment, "has # hash, \"quotes\" and a \\ backslash");
    ck_assert_str_eq(b->comment, "a#b");
    ck_assert_ptr_null(g->comment);
    ck_assert_int_eq(a->line, 9);
    ck_assert_int_eq(b->line, 22);

    ck_assert_uint_eq(a->nschemas, 2);
    ck_assert_uint_eq(a->ntables, 3);
    ck_assert_str_eq(a->schemas[0]->name, "S1");
    ck_assert_str_eq(a->schemas[1]->name, "s2");
    ck_assert_ptr_eq(a->schemas[0]->share, a);
    ck_assert_uint_eq(a->schemas[0]->ntables, 2);
    const ds_table_cfg *t1 = a->schemas[0]->tables[0], *t2 = a->schemas[0]->tables[1];
    const ds_table_cfg *t3 = a->schemas[1]->tables[0];
    ck_assert_str_eq(t1->name, "t1");
    ck_assert_str_eq(t1->location, "s3://bucket/path/t1");
    ck_assert_int_eq(t1->history, 1);
    ck_assert_str_eq(t2->name, "t2");
    ck_assert_str_eq(t2->location, "s3://bucket/delta/t 2");
    ck_assert_int_eq(t2->history, 0);
    ck_assert_str_eq(t3->name, "t3");
    ck_assert_str_eq(t3->location, "gs://b/t3#frag"); /* '#' not after a space */
    ck_assert_int_eq(t3->history, 0);
    ck_assert_ptr_eq(t3->schema, a->schemas[1]);
    ck_assert_uint_eq(b->nschemas, 1);
    ck_assert_str_eq(b->schemas[0]->name, "x"); /* no '\r' kept from CRLF */
    ck_assert_str_eq(b->schemas[0]->tables[0]->name, "y");
    ck_assert_str_eq(b->schemas[0]->tables[0]->location,
                     "abfss://c@acct.dfs.core.windows.net/y");
    ck_assert_uint_eq(g->nschemas, 1);
    ck_assert_uint_eq(g->ntables, 0);

    /* ids: explicit ones kept, others derived and UUID-shaped */
    ck_assert_str_eq(ds_share_id(b), "11111111-2222-3333-4444-555555555555");
    ck_assert_str_eq(ds_table_id(t2), "my-explicit-table-id");
    ck_assert_msg(uuid_shaped(ds_share_id(a)), "share id '%s'", ds_share_id(a));
    ck_assert_msg(uuid_shaped(ds_share_id(g)), "share id '%s'", ds_share_id(g));
    ck_assert_msg(uuid_shaped(ds_table_id(t1)), "table id '%s'", ds_table_id(t1));
    ck_assert_msg(uuid_shaped(ds_table_id(t3)), "table id '%s'", ds_table_id(t3));
    ck_assert_msg(uuid_shaped(ds_table_id(b->schemas[0]->tables[0])), "table id");
    ck_assert_str_ne(ds_share_id(a), ds_share_id(g));
    ck_assert_str_ne(ds_table_id(t1), ds_table_id(t3));

    /* lookups are case-insensitive */
    ck_assert_ptr_eq(ds_catalog_share(c, "ALPHA"), a);
    ck_assert_ptr_eq(ds_catalog_share(c, "Beta"), b);
    ck_assert_ptr_null(ds_catalog_share(c, "delta"));
    ck_assert_ptr_eq(ds_catalog_schema(a, "s1"), a->schemas[0]);
    ck_assert_ptr_eq(ds_catalog_table(a->schemas[0], "T2"), t2);
    ck_assert_ptr_null(ds_catalog_table(a->schemas[0], "t3"));

    /* recipients, with grants canonicalised to the config's spelling */
    ck_assert_uint_eq(c->nrecipients, 3);
    const ds_recipient *r = c->recipients[0];
    ck_assert_str_eq(r->name, "acme");
    ck_assert_str_eq(ds_recipient_name(r), "acme");
    ck_assert_uint_eq(r->ntokens, 2);
    unsigned char h[32];
    ck_assert_int_eq(ds_hex_decode(H1, h, 32), 0);
    ck_assert(memcmp(r->tokens[0].sha256, h, 32) == 0);
    ck_assert_int_eq(r->tokens[0].expires_ms, 0);
    ck_assert_int_eq(r->tokens[1].expires_ms, INT64_C(1798761600000));
    ck_assert_int_eq(r->expires_ms, INT64_C(1830297600000));
    ck_assert_int_eq(r->all_shares, 0);
    ck_assert_uint_eq(r->nshares, 2);
    ck_assert_str_eq(r->shares[0], "Alpha");
    ck_assert_str_eq(r->shares[1], "beta");
    ck_assert(ds_recipient_may_see(r, "ALPHA"));
    ck_assert(ds_recipient_may_see(r, "beta"));
    ck_assert(!ds_recipient_may_see(r, "gamma"));
    ck_assert(!ds_recipient_may_see(NULL, "gamma"));

    const ds_recipient *e = c->recipients[1];
    ck_assert_str_eq(e->name, "everyone");
    ck_assert_int_eq(e->all_shares, 1);
    ck_assert_int_eq(e->expires_ms, 0);
    ck_assert_int_eq(ds_hex_decode(H3, h, 32), 0); /* mixed-case hex accepted */
    ck_assert(memcmp(e->tokens[0].sha256, h, 32) == 0);
    ck_assert(ds_recipient_may_see(e, "gamma"));
    ck_assert(ds_recipient_may_see(e, "anything"));

    /* grants may name shares defined later in the file */
    const ds_recipient *early = c->recipients[2];
    ck_assert_uint_eq(early->nshares, 1);
    ck_assert_str_eq(early->shares[0], "gamma");
    ds_catalog_free(c);
}
END_TEST

/* Derived ids depend only on the (case-folded) names: the same share and
 * table in a different file, on another host, spelled in another case,
 * get the same id; different names get different ids. */
START_TEST(derived_ids_stable)
{
    static const char other[] =
        "endpoint = http://other.example\n"
        "share.name = zzz\n"
        "share.name = ALPHA\n"
        "share.comment = different\n"
        "schema.name = s1\n"
        "table.name = T1\n"
        "table.location = s3://elsewhere/t\n";
    ds_error err;
    ds_catalog *c1 = parse("good.conf", good_conf, &err);
    ck_assert_ptr_nonnull(c1);
    ds_catalog *c2 = parse("other.conf", other, &err);
    ck_assert_msg(c2 != NULL, "%s", err.message);
    ds_catalog *c3 = parse("good.conf", good_conf, &err);
    ck_assert_ptr_nonnull(c3);

    const ds_share_cfg *a1 = c1->shares[0], *a2 = c2->shares[1];
    ck_assert_str_eq(ds_share_id(a1), ds_share_id(a2));
    ck_assert_str_eq(ds_table_id(a1->schemas[0]->tables[0]),
                     ds_table_id(a2->schemas[0]->tables[0]));
    ck_assert_str_eq(ds_share_id(a1), ds_share_id(c3->shares[0]));
    ck_assert_str_eq(ds_share_id(c1->shares[2]), ds_share_id(c3->shares[2]));
    ck_assert_str_ne(ds_share_id(c2->shares[0]), ds_share_id(a2));
    /* a share id and a table id are never the same derivation */
    ck_assert_str_ne(ds_share_id(a1), ds_table_id(a1->schemas[0]->tables[0]));
    /* the derivation itself must never change: clients remember ids */
    ck_assert_str_eq(ds_share_id(c2->shares[0]), "6b62dd27-a781-83a8-a274-3ee6ad85217c");
    ds_catalog_free(c1);
    ds_catalog_free(c2);
    ds_catalog_free(c3);
}
END_TEST

/* Defaults when the optional globals are absent. */
START_TEST(defaults)
{
    ds_error err;
    ds_catalog *c = parse("min.conf", "endpoint = http://h:8080/p\n", &err);
    ck_assert_msg(c != NULL, "%s", err.message);
    ck_assert_str_eq(c->endpoint, "http://h:8080/p");
    ck_assert_int_eq(c->url_ttl, 3600);
    ck_assert_int_eq(c->max_request_body, 1024 * 1024);
    ck_assert_int_eq(c->log_requests, 1);
    ck_assert_uint_eq(c->nshares, 0);
    ck_assert_uint_eq(c->nrecipients, 0);
    ds_catalog_free(c);
    /* no trailing newline, CRLF only, boundaries of url-ttl */
    c = parse("min.conf", "endpoint = http://h\r\nurl-ttl = 604800", &err);
    ck_assert_msg(c != NULL, "%s", err.message);
    ck_assert_int_eq(c->url_ttl, 604800);
    ds_catalog_free(c);
    c = parse("min.conf", "url-ttl = 60\nendpoint = http://h\nlog-requests = TRUE\n", &err);
    ck_assert_msg(c != NULL, "%s", err.message);
    ck_assert_int_eq(c->url_ttl, 60);
    ck_assert_int_eq(c->log_requests, 1);
    ds_catalog_free(c);
}
END_TEST

/* Page-token keys differ between configs (no link key: keyed by the text)
 * and the generation digest tracks the bytes. */
START_TEST(generation_tracks_text)
{
    ds_error err;
    ds_catalog *c1 = parse("a.conf", "endpoint = http://h\n", &err);
    ds_catalog *c2 = parse("a.conf", "endpoint = http://h\n# changed\n", &err);
    ds_catalog *c3 = parse("b.conf", "endpoint = http://h\n", &err);
    ck_assert(c1 && c2 && c3);
    ck_assert(memcmp(ds_catalog_generation(c1), ds_catalog_generation(c2),
                     sizeof c1->generation) != 0);
    ck_assert(memcmp(c1->token_key, c2->token_key, sizeof c1->token_key) != 0);
    ck_assert(memcmp(ds_catalog_generation(c1), ds_catalog_generation(c3),
                     sizeof c1->generation) == 0);
    ck_assert(memcmp(c1->token_key, c3->token_key, sizeof c1->token_key) == 0);
    ds_catalog_free(c1);
    ds_catalog_free(c2);
    ds_catalog_free(c3);
}
END_TEST

/* file-offload: the three modes; the prefix loses trailing slashes. */
START_TEST(file_offload_values)
{
    static const struct {
        const char *text;
        ds_offload mode;
        const char *prefix;
    } c[] = {
        {"endpoint = https://h\n", DS_OFFLOAD_NONE, NULL},
        {"endpoint = https://h\nfile-offload = none\n", DS_OFFLOAD_NONE, NULL},
        {"endpoint = https://h\nfile-offload = x-sendfile\n", DS_OFFLOAD_X_SENDFILE, NULL},
        {"file-offload-prefix = /_ds-files/v1.0~x//\nendpoint = https://h\n"
         "file-offload = x-accel-redirect\n", DS_OFFLOAD_X_ACCEL, "/_ds-files/v1.0~x"},
        {"endpoint = https://h\nfile-offload = x-accel-redirect\nfile-offload-prefix = /f\n",
         DS_OFFLOAD_X_ACCEL, "/f"},
    };
    for (size_t i = 0; i < N_ELEMS(c); i++) {
        ds_error err;
        ds_catalog *cat = parse("o.conf", c[i].text, &err);
        ck_assert_msg(cat != NULL, "%s", err.message);
        ck_assert_int_eq(cat->file_offload, c[i].mode);
        if (c[i].prefix)
            ck_assert_str_eq(cat->file_offload_prefix, c[i].prefix);
        else
            ck_assert_ptr_null(cat->file_offload_prefix);
        ds_buf out;
        ds_buf_init(&out, 1 << 20);
        ck_assert_int_eq(ds_catalog_describe(cat, &out), 0);
        char want[128];
        snprintf(want, sizeof want, "\nfile-offload %s%s%s\n",
                 c[i].mode == DS_OFFLOAD_X_ACCEL      ? "x-accel-redirect"
                 : c[i].mode == DS_OFFLOAD_X_SENDFILE ? "x-sendfile"
                                                      : "none",
                 c[i].prefix ? " " : "", c[i].prefix ? c[i].prefix : "");
        ck_assert_msg(strstr(out.data, want) != NULL, "'%s' lacks '%s'", out.data, want);
        ds_buf_free(&out);
        ds_catalog_free(cat);
    }
}
END_TEST

/* A good link-key-file is read and keys derived from it; the path is kept. */
START_TEST(link_key_file_good)
{
    char key[64], path[256];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (char)(i * 7 + 1);
    tu_write_temp(key, sizeof key, path, sizeof path);
    const char *marks[] = {"@KEY@"};
    const char *vals[] = {path};
    char *text = tu_subst("endpoint = https://h\nlink-key-file = @KEY@\n", marks, vals, 1);
    ds_error err;
    ds_catalog *c = parse("k.conf", text, &err);
    ck_assert_msg(c != NULL, "%s", err.message);
    ck_assert_int_eq(c->has_link_key, 1);
    ck_assert_str_eq(c->link_key_file, path);
    ck_assert(memcmp(c->link_key, c->token_key, DS_KEY_BYTES) != 0);
    /* a different config with the same key file keeps the same keys */
    char *text2 = tu_subst("endpoint = https://other\nlink-key-file = @KEY@\n", marks, vals, 1);
    ds_catalog *c2 = parse("k2.conf", text2, &err);
    ck_assert_msg(c2 != NULL, "%s", err.message);
    ck_assert(memcmp(c->link_key, c2->link_key, DS_KEY_BYTES) == 0);
    ck_assert(memcmp(c->token_key, c2->token_key, DS_KEY_BYTES) == 0);
    ds_catalog_free(c);
    ds_catalog_free(c2);
    free(text);
    free(text2);
    unlink(path);
}
END_TEST

/* ====================================================================
 * bad input: one row per fatal mistake
 * ================================================================== */

#define EP "endpoint = https://x.example/ds\n"
#define SH "share.name = a\nschema.name = s\n"                      /* 2 lines */
#define TB "table.name = t\ntable.location = s3://b/t\n"           /* 2 lines */
#define RC "recipient.name = r\nrecipient.token-sha256 = " H1 "\n" /* 2 lines */

struct bad_case {
    const char *text;
    int line; /* 0: a file-level error without a line */
    const char *msg;
};

/* @SHORT@, @LONG@, @EXACT32@, @MISSING@ and @DIR@ are replaced by paths. */
static const struct bad_case bad_cases[] = {
    /* unknown keys */
    {EP "bogus = 1\n", 2, "unknown key 'bogus'"},
    {EP "Share.name = a\n", 2, "unknown key 'Share.name'"},
    {EP "share.nam = a\n", 2, "unknown key 'share.nam'"},
    {EP "sh@re = x\n", 2, "bad key 'sh@re'"},
    /* keys outside their stanza */
    {EP "table.location = s3://b/t\n", 2,
     "table.location outside its stanza: it must come after table.name"},
    {EP "share.comment = c\n", 2, "share.comment outside its stanza"},
    {EP SH "share.comment = c\n", 4, "share.comment outside its stanza"},
    {EP SH TB "share.id = x\n", 6, "share.id outside its stanza"},
    {EP "share.name = a\nrecipient.shares = a\n", 3,
     "recipient.shares outside its stanza: it must come after recipient.name and before the "
     "next stanza opens (the open stanza is share)"},
    {EP "share.name = a\nrecipient.token-sha256 = " H1 "\n", 3,
     "recipient.token-sha256 outside its stanza"},
    {EP SH TB RC "table.history = true\n", 8, "table.history outside its stanza"},
    {EP SH "table.id = x\n", 4, "table.id outside its stanza"},
    /* hierarchy */
    {EP "schema.name = s\n", 2, "schema.name 's' must follow a share.name"},
    {EP "share.name = a\n" RC "recipient.shares = *\nschema.name = s\n", 6,
     "schema.name 's' must follow a share.name"},
    {EP "share.name = a\ntable.name = t\n", 3, "table.name 't' must follow a schema.name"},
    {EP "table.name = t\n", 2, "table.name 't' must follow a schema.name"},
    /* duplicate names (case-insensitive) */
    {EP "share.name = a\nshare.name = A\n", 3,
     "duplicate share name 'A' (first defined on line 2)"},
    {EP SH "schema.name = S\n", 4, "duplicate schema name 'S' in share 'a'"},
    {EP SH TB "table.name = T\n", 6, "duplicate table name 'T' in schema 's'"},
    {EP RC "recipient.shares = *\nrecipient.name = R\n", 5,
     "duplicate recipient name 'R' (first defined on line 2)"},
    {EP "share.name = a\nshare.id = X1\nshare.name = b\nshare.id = X1\n", 5,
     "duplicate share.id 'X1' (also used by share 'a')"},
    {EP SH TB "table.id = T1\nschema.name = s2\ntable.name = u\ntable.id = T1\n", 9,
     "duplicate table.id 'T1' in share 'a' (also used by table 't')"},
    {EP RC "recipient.token-sha256 = " H1 "\n", 4, "duplicate recipient.token-sha256"},
    /* the same, written differently: the first name is compared as parsed,
     * not at its place in a later line */
    {EP "share.name = a\n  share.name   =  \"A\"  # again\n", 3,
     "duplicate share name 'A' (first defined on line 2)"},
    {EP SH TB "table.name =   T\n", 6, "duplicate table name 'T' in schema 's'"},
    {EP "share.name = a\nshare.id = X1\nshare.name = b\nshare.id =\tX1\n", 5,
     "duplicate share.id 'X1' (also used by share 'a')"},
    /* duplicate non-repeatable keys */
    {EP "share.name = a\nshare.comment = x\nshare.comment = y\n", 4,
     "duplicate key share.comment"},
    {EP SH "table.name = t\ntable.location = s3://b/t\ntable.location = s3://b/u\n", 6,
     "duplicate key table.location"},
    {EP RC "recipient.shares = *\nrecipient.shares = a\n", 5, "duplicate key recipient.shares"},
    {EP RC "recipient.expires = 2027-01-01\nrecipient.expires = 2028-01-01\n", 5,
     "duplicate key recipient.expires"},
    {EP "endpoint = https://y.example\n", 2, "duplicate key endpoint"},
    {EP "url-ttl = 100\n" SH "url-ttl = 200\n", 5, "duplicate key url-ttl"},
    /* bad values */
    {EP "url-ttl = abc\n", 2, "bad value for url-ttl: 'abc' (expected an integer from 60 to "
                              "604800)"},
    {EP "url-ttl = 59\n", 2, "bad value for url-ttl: '59'"},
    {EP "url-ttl = 604801\n", 2, "bad value for url-ttl: '604801'"},
    {EP "url-ttl = -1\n", 2, "bad value for url-ttl: '-1'"},
    {EP "max-request-body = 1023\n", 2, "bad value for max-request-body: '1023'"},
    {EP "max-request-body = 67108865\n", 2, "bad value for max-request-body: '67108865'"},
    {"endpoint = ftp://x.example\n", 1, "bad value for endpoint: 'ftp://x.example' (expected "
                                        "an http:// or https:// URL"},
    {"endpoint = https://x.example/?a=b\n", 1, "bad value for endpoint: 'https://x.example/?a=b'"},
    {"endpoint = \"https://x.example/#f\"\n", 1, "bad value for endpoint"},
    {"endpoint = https://\n", 1, "bad value for endpoint: 'https://'"},
    {"endpoint = x.example\n", 1, "bad value for endpoint"},
    {EP "log-requests = maybe\n", 2, "bad value for log-requests: 'maybe' (expected true or "
                                     "false)"},
    {EP SH "table.name = t\ntable.history = maybe\n", 5, "bad value for table.history: 'maybe'"},
    {EP "share.name = \"a b\"\n", 2, "bad value for share.name: 'a b' (names are 1 to 255 "
                                     "characters"},
    {EP "share.name = a/b\n", 2, "bad value for share.name: 'a/b'"},
    {EP "share.name = \"a\tb\"\n", 2, "bad value for share.name: 'a\\x09b'"},
    {EP "share.name = a\nschema.name = s.x\n", 3,
     "bad value for schema.name: 's.x' (names are 1 to 255 characters without spaces, '/' or "
     "control characters, and without '.')"},
    {EP SH "table.name = t.x\n", 4, "bad value for table.name: 't.x'"},
    {EP "recipient.name = \"r s\"\n", 2, "bad value for recipient.name: 'r s'"},
    {EP "share.name = a\nshare.id = \"x y\"\n", 3,
     "bad value for share.id: 'x y' (no spaces or control characters)"},
    {EP SH "table.name = t\ntable.location = ftp://h/t\n", 5,
     "bad value for table.location: 'ftp://h/t' (expected a file://"},
    {EP SH "table.name = t\ntable.location = /srv/t\n", 5,
     "bad value for table.location: '/srv/t' (expected a file://"},
    {EP SH "table.name = t\ntable.location = file://srv/t\n", 5,
     "bad value for table.location: 'file://srv/t' (a file:// location needs an absolute "
     "path"},
    {EP SH "table.name = t\ntable.location = s3://\n", 5,
     "bad value for table.location: 's3://' (no bucket, container or host)"},
    {EP SH "table.name = t\ntable.location = s3:///key\n", 5,
     "bad value for table.location: 's3:///key' (no bucket"},
    {EP SH "table.name = t\ntable.location = \"s3://b/\x01t\"\n", 5,
     "bad value for table.location: control character in 's3://b/\\x01t'"},
    {EP "recipient.name = r\nrecipient.token-sha256 = "
        "11111111111111111111111111111111" "1111111111111111111111111111111" "\n",
     3, "bad value for recipient.token-sha256: '1111111111111111111111111111111111111111111"
        "11111111111111111111' (expected 64 hex digits, optionally followed by an expiry time)"},
    {EP "recipient.name = r\nrecipient.token-sha256 = " H1 "1\n", 3,
     "(expected 64 hex digits, optionally followed by an expiry time)"},
    {EP "recipient.name = r\nrecipient.token-sha256 = "
        "g" "1111111111111111111111111111111" "11111111111111111111111111111111" "\n",
     3, "bad value for recipient.token-sha256: 'g111111111111111111111111111111111111111111111"
        "111111111111111111' (expected 64 hex digits)"},
    {EP "recipient.name = r\nrecipient.token-sha256 = " H1 " soon\n", 3,
     "bad expiry time after recipient.token-sha256: 'soon' (expected RFC 3339"},
    {EP "recipient.name = r\nrecipient.token-sha256 = " H1 " 2027-02-30T00:00:00Z\n", 3,
     "bad expiry time after recipient.token-sha256: '2027-02-30T00:00:00Z'"},
    {EP RC "recipient.expires = garbage\n", 4,
     "bad value for recipient.expires: 'garbage' (expected an RFC 3339 time"},
    {EP RC "recipient.expires = 2027-13-01T00:00:00Z\n", 4, "bad value for recipient.expires"},
    {EP "share.name = a\n" RC "recipient.shares = a, nosuch\n", 5,
     "recipient 'r' is granted share 'nosuch', which is not defined"},
    {EP RC "recipient.shares = a, *\n", 4, "'*' must stand alone in recipient.shares"},
    {EP RC "recipient.shares = *, a\n", 4, "'*' must stand alone in recipient.shares"},
    {EP RC "recipient.shares = a,,b\n", 4, "bad share name in recipient.shares: ''"},
    {EP RC "recipient.shares = a,\n", 4, "empty share name in recipient.shares: 'a,'"},
    {EP RC "recipient.shares = a/b\n", 4, "bad share name in recipient.shares: 'a/b'"},
    /* missing required keys */
    {"share.name = a\n", 0, "missing required key 'endpoint'"},
    {"", 0, "missing required key 'endpoint'"},
    {EP SH "table.name = t\nshare.name = b\n", 4, "table 't' has no table.location"},
    {EP SH "table.name = t\ntable.id = i\n", 4, "table 't' has no table.location"},
    {EP SH TB "table.name = u\n" RC "recipient.shares = *\n", 6,
     "table 'u' has no table.location"},
    {EP "recipient.name = r\nrecipient.shares = *\n", 2,
     "recipient 'r' has no recipient.token-sha256"},
    {EP "recipient.name = r\nrecipient.shares = *\nshare.name = a\n", 2,
     "recipient 'r' has no recipient.token-sha256"},
    {EP RC "\n# end\n", 2,
     "recipient 'r' has no recipient.shares (use '*' for every share)"},
    {EP RC "recipient.name = q\n", 2, "recipient 'r' has no recipient.shares"},
    /* link-key-file */
    {EP "link-key-file = @MISSING@\n", 2, "link-key-file '@MISSING@': No such file or directory"},
    {EP "link-key-file = @SHORT@\n", 2,
     "link-key-file '@SHORT@' holds 31 bytes; it must hold 32 to 4096 bytes"},
    {EP "link-key-file = @LONG@\n", 2, "link-key-file '@LONG@' holds 4097 bytes"},
    {EP "link-key-file = @DIR@\n", 2, "link-key-file '@DIR@': Is a directory"},
    {EP "link-key-file = relative/key\n", 2,
     "bad value for link-key-file: 'relative/key' (expected an absolute path)"},
    {EP "link-key-file = @EXACT32@\nlink-key-file = @EXACT32@\n", 3,
     "duplicate key link-key-file"},
    /* a table on local disk needs the key: reported at its location */
    {EP SH "table.name = t\ntable.id = x\ntable.location = file:///srv/t\n", 6,
     "table.location: a table on local disk needs link-key-file to sign its links (create "
     "one with 'delta-sharing-admin keygen -o FILE')"},
    {EP SH "table.name = t\ntable.location = s3://b/t\ntable.name = u\n"
           "table.location = file:///srv/u\ntable.name = v\ntable.location = file:///srv/v\n",
     7, "table.location: a table on local disk needs link-key-file"},
    {EP "share.name = b\nschema.name = s\ntable.name = t\ntable.location = s3://b/t\n"
        "share.name = c\nschema.name = s\ntable.name = t\ntable.location = file:///t\n",
     9, "table.location: a table on local disk needs link-key-file"},
    /* file-offload and its prefix */
    {EP "file-offload = sendfile\n", 2,
     "bad value for file-offload: 'sendfile' (expected none, x-accel-redirect or x-sendfile)"},
    {EP "file-offload = X-Sendfile\n", 2, "bad value for file-offload: 'X-Sendfile'"},
    {EP "file-offload = none\nfile-offload = none\n", 3, "duplicate key file-offload"},
    {EP "file-offload = x-accel-redirect\nurl-ttl = 60\n", 2,
     "file-offload = x-accel-redirect needs file-offload-prefix (the URI of the internal "
     "nginx location that maps to the file system)"},
    {EP "file-offload-prefix = /_files\nfile-offload = x-sendfile\n", 2,
     "file-offload-prefix is used only with file-offload = x-accel-redirect"},
    {EP "file-offload-prefix = /_files\n", 2,
     "file-offload-prefix is used only with file-offload = x-accel-redirect"},
    {EP "file-offload-prefix = _files\n", 2,
     "bad value for file-offload-prefix: '_files' (expected the URI of an internal location, "
     "such as /_delta_sharing_files"},
    {EP "file-offload-prefix = /\n", 2, "bad value for file-offload-prefix: '/'"},
    {EP "file-offload-prefix = //\n", 2, "bad value for file-offload-prefix: '//'"},
    {EP "file-offload-prefix = \"/a b\"\n", 2, "bad value for file-offload-prefix: '/a b'"},
    {EP "file-offload-prefix = /a//b\n", 2, "bad value for file-offload-prefix: '/a//b'"},
    {EP "file-offload-prefix = /a/../b\n", 2, "bad value for file-offload-prefix: '/a/../b'"},
    {EP "file-offload-prefix = /a/./b\n", 2, "bad value for file-offload-prefix: '/a/./b'"},
    {EP "file-offload-prefix = /..\n", 2, "bad value for file-offload-prefix: '/..'"},
    {EP "file-offload-prefix = /a?b\n", 2, "bad value for file-offload-prefix: '/a?b'"},
    {EP "file-offload-prefix = /a%2Fb\n", 2, "bad value for file-offload-prefix: '/a%2Fb'"},
    {EP "file-offload-prefix = /a\\b\n", 2, "bad value for file-offload-prefix"},
    /* object stores */
    {EP "store.name = s\nstore.prefix = s3://b/\n", 2,
     "store 's' has no store.type (s3, gcs or azure)"},
    {EP "store.name = s\nstore.type = s3\n", 2, "store 's' has no store.prefix"},
    {EP "store.name = s\nstore.type = minio\n", 3,
     "bad value for store.type: 'minio' (expected s3, gcs or azure)"},
    {EP "store.name = s\nstore.type = s3\nstore.prefix = gs://b\n", 2,
     "store 's' is of type s3 and cannot serve prefix 'gs://b' (s3 stores serve s3:// and "
     "s3a://)"},
    {EP "store.name = s\nstore.type = s3\nstore.prefix = file:///srv\n", 4,
     "bad value for store.prefix: 'file:///srv' (local tables need no store)"},
    {EP "store.name = s\nstore.type = s3\nstore.prefix = s3://b\nstore.name = t\n"
        "store.type = s3\nstore.prefix = s3://b/\n",
     7, "store.prefix 's3://b/' is already served by store 's'"},
    {EP "store.name = s\nstore.type = s3\nstore.prefix = s3://b\nstore.name = S\n", 5,
     "duplicate store name 'S'"},
    {EP "store.name = s\nstore.type = s3\nstore.prefix = s3://b\n"
        "store.access-key-id = AK\n",
     2, "store 's': store.access-key-id and store.secret-access-key go together"},
    {EP "store.name = s\nstore.type = s3\nstore.prefix = s3://b\n"
        "store.secret-access-key = SeCrEt\nstore.secret-access-key-file = @EXACT32@\n",
     6, "store.secret-access-key-file: this secret is already set"},
    {EP "store.name = s\nstore.type = s3\nstore.prefix = s3://b\n"
        "store.secret-access-key-file = @MISSING@\n",
     5, "store.secret-access-key-file '@MISSING@': No such file or directory"},
    {EP "store.name = s\nstore.type = s3\nstore.prefix = s3://b\nstore.account-name = a\n",
     2, "store 's' is of type s3, which does not use store.account-name/account-key"},
    {EP "store.name = s\nstore.type = azure\nstore.prefix = az://c\n"
        "store.account-key = bm90LWEta2V5\n",
     2, "store 's': store.account-key needs store.account-name"},
    {EP "store.name = s\nstore.type = azure\nstore.prefix = az://c\n"
        "store.account-name = acct\nstore.account-key = not*base64!\n",
     6, "store.account-key: the account key is not base64 (copy it as the portal shows it)"},
    {EP "store.name = s\nstore.type = azure\nstore.prefix = az://c\n"
        "store.account-name = Bad_Name\n",
     5, "bad value for store.account-name: 'Bad_Name'"},
    {EP "store.name = s\nstore.type = gcs\nstore.prefix = gs://b\nstore.hmac-secret = x\n",
     2, "store 's': store.hmac-access-id and store.hmac-secret go together"},
    {EP "store.name = s\nstore.type = gcs\nstore.prefix = gs://b\n"
        "store.service-account-key-file = @EXACT32@\n",
     5, "store.service-account-key-file '@EXACT32@':"},
    {EP "store.name = s\nstore.type = s3\nstore.region = US East\n", 4,
     "bad value for store.region: 'US East'"},
    {EP "store.name = s\nstore.type = s3\nstore.timeout = 0\n", 4,
     "bad value for store.timeout: '0' (expected an integer from 1 to 3600)"},
    {EP "store.name = s\nstore.type = s3\nstore.retries = 11\n", 4,
     "bad value for store.retries: '11'"},
    {EP "store.name = s\nstore.type = s3\nstore.endpoint = 127.0.0.1:9000\n", 4,
     "bad value for store.endpoint: '127.0.0.1:9000' (expected an http:// or https:// URL"},
    {EP "store.type = s3\n", 2, "store.type outside its stanza"},
    {EP "store.name = s\nstore.type = s3\nstore.prefix = s3://b\ntable.name = t\n", 5,
     "table.name 't' must follow a schema.name"},
    /* syntax */
    {EP "share.name a\n", 2, "expected 'key = value', got 'share.name a'"},
    {EP "= a\n", 2, "missing key before '='"},
    {EP "share.name =\n", 2, "empty value for share.name"},
    {EP "share.name = # only a comment\n", 2, "empty value for share.name"},
    {EP "share.name = a\nshare.comment = \"unterminated\n", 3,
     "unterminated quoted value for share.comment"},
    {EP "share.name = a\nshare.comment = \"ends with escape\\\"\n", 3,
     "unterminated quoted value for share.comment"},
    {EP "share.name = a\nshare.comment = \"x\" y\n", 3,
     "unexpected text after quoted value for share.comment: 'y'"},
};

static char tmp_short[256], tmp_long[256], tmp_exact[256], tmp_dir[256];

static void bad_setup(void)
{
    char data[4097];
    memset(data, 'k', sizeof data);
    tu_write_temp(data, 31, tmp_short, sizeof tmp_short);
    tu_write_temp(data, 4097, tmp_long, sizeof tmp_long);
    tu_write_temp(data, 32, tmp_exact, sizeof tmp_exact);
    const char *dir = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/ds-unit-dir-XXXXXX", dir && *dir ? dir : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
}

static void bad_teardown(void)
{
    unlink(tmp_short);
    unlink(tmp_long);
    unlink(tmp_exact);
    rmdir(tmp_dir);
}

static char *subst_paths(const char *text)
{
    const char *marks[] = {"@SHORT@", "@LONG@", "@EXACT32@", "@MISSING@", "@DIR@"};
    const char *vals[] = {tmp_short, tmp_long, tmp_exact, "/nonexistent-ds-dir/link.key",
                          tmp_dir};
    return tu_subst(text, marks, vals, N_ELEMS(marks));
}


/* store.* stanzas: fields, defaults, longest-prefix lookup, and secrets
 * that never reach a message. */
START_TEST(store_stanzas)
{
    static const char text[] =
        "endpoint = https://x.example/ds\n"
        "store.name = lake\n"
        "store.type = s3\n"
        "store.prefix = s3://lake/\n"
        "store.prefix = s3a://lake\n"
        "store.endpoint = http://127.0.0.1:9000/\n"
        "store.region = eu-west-1\n"
        "store.path-style = false\n"
        "store.access-key-id = AKIAEXAMPLE\n"
        "store.secret-access-key = \"s3cr3t value\"\n"
        "store.timeout = 7\n"
        "store.retries = 0\n"
        "store.name = raw\n"
        "store.type = s3\n"
        "store.prefix = s3://lake/raw\n"
        "store.name = blob\n"
        "store.type = azure\n"
        "store.prefix = abfss://c@acct.dfs.core.windows.net/\n"
        "store.account-name = acct\n"
        "store.account-key = AAECAwQ=\n";
    ds_error err;
    ds_catalog *c = parse("s.conf", text, &err);
    ck_assert_msg(c != NULL, "%s", err.message);
    ck_assert_int_eq((int)c->nstores, 3);
    const ds_store_cfg *l = c->stores[0];
    ck_assert_str_eq(l->name, "lake");
    ck_assert_int_eq(l->type, DS_STORE_S3);
    ck_assert_int_eq((int)l->nprefixes, 2);
    ck_assert_str_eq(l->prefixes[0], "s3://lake");
    ck_assert_str_eq(l->endpoint, "http://127.0.0.1:9000");
    ck_assert_str_eq(l->region, "eu-west-1");
    ck_assert_int_eq(l->path_style, 0);
    ck_assert_str_eq(l->secret_access_key, "s3cr3t value");
    ck_assert_int_eq((int)l->timeout_ms, 7000);
    ck_assert_int_eq((int)l->connect_timeout_ms, 5000);
    ck_assert_int_eq(l->retries, 0);
    ck_assert_int_eq(c->stores[1]->path_style, -1);
    ck_assert_int_eq(c->stores[1]->retries, 3);
    ck_assert_int_eq((int)c->stores[2]->account_key_len, 5);
    ck_assert_int_eq(c->stores[2]->account_key[4], 4);
    /* the longest prefix wins, at a '/' boundary only */
    ck_assert_ptr_eq(ds_catalog_store(c, "s3://lake/t1"), l);
    ck_assert_ptr_eq(ds_catalog_store(c, "s3a://lake/t1"), l);
    ck_assert_ptr_eq(ds_catalog_store(c, "s3://lake/raw/t"), c->stores[1]);
    ck_assert_ptr_eq(ds_catalog_store(c, "s3://lake/rawer"), l);
    ck_assert_ptr_null(ds_catalog_store(c, "s3://lakehouse/t"));
    ck_assert_ptr_null(ds_catalog_store(c, "gs://lake/t"));
    ck_assert_ptr_eq(ds_catalog_store(c, "abfss://c@acct.dfs.core.windows.net/x/y"),
                     c->stores[2]);
    ds_catalog_free(c);

    /* a rejected secret is never quoted */
    static const char bad[] = "endpoint = https://x.example/ds\n"
                              "store.name = s\nstore.type = azure\nstore.prefix = az://c\n"
                              "store.account-name = a\nstore.account-key = TopSecret!!\n";
    ck_assert_ptr_null(parse("b.conf", bad, &err));
    ck_assert_ptr_null(strstr(err.message, "TopSecret"));
    ck_assert_ptr_null(strstr(err.detail, "TopSecret"));
}
END_TEST

START_TEST(bad_input)
{
    const struct bad_case *c = &bad_cases[_i];
    char *text = subst_paths(c->text);
    char *want = subst_paths(c->msg);
    char prefix[64];
    if (c->line)
        snprintf(prefix, sizeof prefix, "bad.conf:%d: ", c->line);
    else
        snprintf(prefix, sizeof prefix, "bad.conf: ");
    ds_error err;
    ds_catalog *cat = parse("bad.conf", text, &err);
    ck_assert_msg(cat == NULL, "case %d was accepted:\n%s", _i, text);
    ck_assert_int_eq(err.status, DS_ERR_CONFIG);
    ck_assert_msg(strncmp(err.message, prefix, strlen(prefix)) == 0,
                  "case %d: message '%s' does not start with '%s'", _i, err.message, prefix);
    ck_assert_msg(strstr(err.message + strlen(prefix), want) != NULL,
                  "case %d: message '%s' lacks '%s'", _i, err.message, want);
    free(text);
    free(want);
}
END_TEST

/* Each bad case minus its mistake should be fine: the fixtures themselves
 * are sound (guards against a row failing for an unintended reason). */
START_TEST(bad_input_fixtures_sound)
{
    ds_error err;
    const char *ok[] = {
        EP SH TB RC "recipient.shares = a\n",
        EP SH TB "table.id = T1\nschema.name = s2\ntable.name = u\ntable.id = T2\n"
            "table.location = s3://b/u\n",
        EP "link-key-file = @EXACT32@\n",
        EP "share.name = a\nshare.id = X1\nshare.name = b\nshare.id = X2\n",
        EP "link-key-file = @EXACT32@\n" SH "table.name = t\ntable.id = x\n"
           "table.location = file:///srv/t\n",
        EP "file-offload = x-accel-redirect\nfile-offload-prefix = /_files\n",
        EP "file-offload = x-sendfile\n",
        EP "store.name = s\nstore.type = s3\nstore.prefix = s3://b\n",
        EP "store.name = s\nstore.type = s3\nstore.prefix = s3://b\nstore.name = t\n"
           "store.type = s3\nstore.prefix = s3://c/\n",
        EP "store.name = s\nstore.type = s3\nstore.prefix = s3://b\n"
           "store.access-key-id = AK\nstore.secret-access-key = x\n",
        EP "store.name = s\nstore.type = s3\nstore.prefix = s3://b\n"
           "store.access-key-id = AK\nstore.secret-access-key-file = @EXACT32@\n",
        EP "store.name = s\nstore.type = azure\nstore.prefix = az://c\n"
           "store.account-name = acct\nstore.account-key = bm90LWEta2V5\n",
        EP "store.name = s\nstore.type = gcs\nstore.prefix = gs://b\n"
           "store.hmac-access-id = GOOG1\nstore.hmac-secret = x\n",
        EP "store.name = s\nstore.type = s3\nstore.prefix = s3://b\n" SH TB,
    };
    for (size_t i = 0; i < N_ELEMS(ok); i++) {
        char *text = subst_paths(ok[i]);
        ds_catalog *c = parse("ok.conf", text, &err);
        ck_assert_msg(c != NULL, "fixture %zu rejected: %s", i, err.message);
        ds_catalog_free(c);
        free(text);
    }
}
END_TEST

/* A NUL byte anywhere is fatal, reported on its line. */
START_TEST(nul_byte)
{
    static const char text[] = EP "share.name = a\nshare.comment = x\0y\n";
    ds_error err;
    ds_error_clear(&err);
    ds_catalog *c = ds_catalog_parse("nul.conf", text, sizeof text - 1, &err);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(err.status, DS_ERR_CONFIG);
    ck_assert_str_eq(err.message, "nul.conf:3: NUL byte in the file (is it a text file?)");
    /* even when the text before it is fine and it is the very first byte */
    ds_error_clear(&err);
    ck_assert_ptr_null(ds_catalog_parse("nul.conf", "\0endpoint = http://h\n", 21, &err));
    ck_assert_str_eq(err.message, "nul.conf:1: NUL byte in the file (is it a text file?)");
}
END_TEST

/* Only the first error is reported, with its own line. */
START_TEST(first_error_wins)
{
    ds_error err;
    ck_assert_ptr_null(parse("x.conf", "bogus = 1\nendpoint = ftp://x\n", &err));
    ck_assert_str_eq(err.message, "x.conf:1: unknown key 'bogus'");
}
END_TEST

/* Untrusted text is quoted with control characters escaped and cut at
 * 80 bytes. */
START_TEST(message_quoting)
{
    char text[400];
    char longname[201];
    memset(longname, 'n', 200);
    longname[200] = '\0';
    snprintf(text, sizeof text, "endpoint = http://h\nshare.name = \"%s \"\n", longname);
    ds_error err;
    ck_assert_ptr_null(parse("q.conf", text, &err));
    ck_assert_ptr_nonnull(strstr(err.message, "'nnnnnnnnnn"));
    ck_assert_ptr_nonnull(strstr(err.message, "n...'"));
    ck_assert_ptr_null(strstr(err.message, longname));
}
END_TEST

START_TEST(load_nonexistent)
{
    ds_error err;
    ds_error_clear(&err);
    const char *path = "/nonexistent-ds-dir/delta-sharing.conf";
    ck_assert_ptr_null(ds_catalog_load(path, &err));
    ck_assert_int_eq(err.status, DS_ERR_CONFIG);
    ck_assert_str_eq(err.message, "/nonexistent-ds-dir/delta-sharing.conf: cannot open: "
                                  "No such file or directory");
    ds_error_clear(&err);
    ck_assert_ptr_null(ds_catalog_load("/", &err));
    ck_assert_int_eq(err.status, DS_ERR_CONFIG);
    ck_assert_str_eq(err.message, "/: not a regular file");
}
END_TEST

/* ds_catalog_load reads the file and names it in errors. */
START_TEST(load_file)
{
    char path[256];
    tu_write_temp(good_conf, sizeof good_conf - 1, path, sizeof path);
    ds_error err;
    ds_error_clear(&err);
    ds_catalog *c = ds_catalog_load(path, &err);
    ck_assert_msg(c != NULL, "%s", err.message);
    ck_assert_str_eq(c->path, path);
    ck_assert_uint_eq(c->nshares, 3);
    ds_catalog *m = parse("mem", good_conf, &err);
    ck_assert_ptr_nonnull(m);
    ck_assert(memcmp(c->generation, m->generation, sizeof c->generation) == 0);
    ds_catalog_free(m);
    ds_catalog_free(c);
    unlink(path);

    static const char bad[] = "endpoint = http://h\n\nfoo = bar\n";
    tu_write_temp(bad, sizeof bad - 1, path, sizeof path);
    ds_error_clear(&err);
    ck_assert_ptr_null(ds_catalog_load(path, &err));
    char want[300];
    snprintf(want, sizeof want, "%s:3: unknown key 'foo'", path);
    ck_assert_str_eq(err.message, want);
    unlink(path);
}
END_TEST

/* The admin tool's dump reflects the resolved catalog. */
START_TEST(describe)
{
    ds_error err;
    ds_catalog *c = parse("good.conf", good_conf, &err);
    ck_assert_ptr_nonnull(c);
    ds_buf out;
    ds_buf_init(&out, 1 << 20);
    ck_assert_int_eq(ds_catalog_describe(c, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.data, "endpoint https://example.com/delta-sharing\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "url-ttl 900\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "recipient acme tokens=2 "
                                           "expires=2028-01-01T00:00:00.000Z shares=Alpha,beta\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "recipient everyone tokens=1 expires=never shares=*\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "    table Alpha.S1.t2 id=my-explicit-table-id "
                                           "history=false location=s3://bucket/delta/t 2\n"));
    ds_buf_free(&out);
    ds_catalog_free(c);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("good");
    tcase_add_test(tc, good_config);
    tcase_add_test(tc, derived_ids_stable);
    tcase_add_test(tc, file_offload_values);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, generation_tracks_text);
    tcase_add_test(tc, link_key_file_good);
    tcase_add_test(tc, describe);
    tcase_add_test(tc, store_stanzas);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad");
    tcase_add_checked_fixture(tc, bad_setup, bad_teardown);
    tcase_add_loop_test(tc, bad_input, 0, (int)N_ELEMS(bad_cases));
    tcase_add_test(tc, bad_input_fixtures_sound);
    tcase_add_test(tc, nul_byte);
    tcase_add_test(tc, first_error_wins);
    tcase_add_test(tc, message_quoting);
    suite_add_tcase(s, tc);

    tc = tcase_create("load");
    tcase_add_test(tc, load_nonexistent);
    tcase_add_test(tc, load_file);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(config_suite());
}
