/* admin.c - delta-sharing-admin: recipient tokens and profile files, link
 * keys, and config checks.  Links libdeltasharing so that it validates a
 * config exactly as the server does. */
#include "config.h"
#include "catalog/catalog.h"
#include "delta/delta.h"
#include "store/sign.h"
#include "store/store.h"
#include "deltasharing.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/text.h"
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DS_DEFAULT_CONFIG
#define DS_DEFAULT_CONFIG "/etc/delta-sharing/delta-sharing.conf"
#endif

#define TOKEN_RANDOM_BYTES 32
#define LINK_KEY_BYTES 32

static void usage(FILE *f)
{
    fprintf(f,
            "usage: delta-sharing-admin COMMAND [OPTIONS]\n"
            "commands:\n"
            "  token [-c CONF | -e ENDPOINT] [-x EXPIRES] [-o PROFILE] [-f]\n"
            "        make a new bearer token: print its recipient.token-sha256 line and\n"
            "        write the recipient's profile file (to PROFILE, else to stdout)\n"
            "  hash  read a token on stdin, print its recipient.token-sha256 line\n"
            "  keygen -o FILE [-f]\n"
            "        write a new random key for link-key-file (mode 0600)\n"
            "  check [-c CONF]\n"
            "        validate a config and print the resolved catalog\n"
            "  snapshot [-c CONF] [-v VERSION | -t TIMESTAMP] [-j] [-C] [-n] LOCATION\n"
            "        replay a table's Delta log and print its snapshot: version, protocol,\n"
            "        metadata and live files (-j: as one JSON object; -C: ignore\n"
            "        checkpoints and replay every commit from version 0; -n: print\n"
            "        only the counts, not the files)\n"
            "  history [-c CONF] [-j] LOCATION\n"
            "        print the commit timestamps of the table's versions\n"
            "  changes [-c CONF] [-j] [-d] (-s VERSION | -S TIMESTAMP)\n"
            "          [-e VERSION | -E TIMESTAMP] LOCATION\n"
            "        print the change data feed of a version range (-d: the data changes\n"
            "        a streaming query returns instead), with commit timestamps\n"
            "  sign [-c CONF] [-r RECIPIENT] [-t TTL] SHARE.SCHEMA.TABLE PATH\n"
            "        print a signed URL for the object PATH (as the Delta log writes\n"
            "        it: URI-encoded, relative to the table): a /files/ URL for a table\n"
            "        on local disk, the store's presigned URL for one on an object store,\n"
            "        valid TTL seconds (default: the config's url-ttl)\n"
            "LOCATION is a directory, a file:// URL or an object-store URL (s3://, s3a://,\n"
            "gs://, abfss://, az://, https://); snapshot, history and changes read object\n"
            "stores with the store.* stanzas of -c CONF, else with credentials from the\n"
            "environment (see delta-sharing.conf(5)).\n"
            "CONF defaults to $DELTA_SHARING_CONF, else %s.\n"
            "-f overwrites an existing output file.\n",
            DS_DEFAULT_CONFIG);
}

/* -c of snapshot, history and changes: the config whose store.* stanzas
 * give the credentials for object-store locations (without it they come
 * from the environment). */
static const char *store_conf;
static ds_catalog *store_cat;

static const ds_catalog *store_catalog(void)
{
    if (!store_conf || store_cat)
        return store_cat;
    ds_error err;
    ds_error_clear(&err);
    if (!(store_cat = ds_catalog_load(store_conf, &err))) {
        fprintf(stderr, "delta-sharing-admin: %s\n", err.message);
        exit(2);
    }
    return store_cat;
}

static const char *default_conf(const char *conf)
{
    if (conf)
        return conf;
    conf = getenv("DELTA_SHARING_CONF");
    return conf && *conf ? conf : DS_DEFAULT_CONFIG;
}

/* Writes data to path with mode 0600; refuses to replace a file unless force. */
static int write_private(const char *path, const void *data, size_t n, int force)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0600);
    if (fd < 0) {
        fprintf(stderr, "delta-sharing-admin: %s: %s%s\n", path, strerror(errno),
                errno == EEXIST ? " (use -f to overwrite)" : "");
        return -1;
    }
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            fprintf(stderr, "delta-sharing-admin: %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    if (fchmod(fd, 0600) < 0 || close(fd) < 0) {
        fprintf(stderr, "delta-sharing-admin: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void print_hash_line(const char *token, size_t n, const char *expires)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[2 * sizeof h + 1];
    crypto_hash_sha256(h, (const unsigned char *)token, n);
    ds_hex_encode(h, sizeof h, hex);
    printf("recipient.token-sha256 = %s%s%s\n", hex, expires ? " " : "", expires ? expires : "");
}

static int cmd_token(int argc, char **argv)
{
    const char *conf = NULL, *endpoint = NULL, *expires = NULL, *out = NULL;
    int force = 0, opt;
    while ((opt = getopt(argc, argv, "c:e:x:o:f")) != -1) {
        switch (opt) {
        case 'c': conf = optarg; break;
        case 'e': endpoint = optarg; break;
        case 'x': expires = optarg; break;
        case 'o': out = optarg; break;
        case 'f': force = 1; break;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    ds_catalog *cat = NULL;
    ds_error err;
    ds_error_clear(&err);
    if (!endpoint) {
        cat = ds_catalog_load(default_conf(conf), &err);
        if (!cat) {
            fprintf(stderr, "delta-sharing-admin: %s\n", err.message);
            return 1;
        }
        endpoint = cat->endpoint;
    } else if ((strncmp(endpoint, "https://", 8) != 0 && strncmp(endpoint, "http://", 7) != 0) ||
               strpbrk(endpoint, "?# \t")) {
        fprintf(stderr, "delta-sharing-admin: the endpoint must be an http:// or https:// URL "
                        "without query or fragment\n");
        return 2;
    }
    char exp_text[40] = "";
    if (expires) {
        int64_t ms;
        if (ds_time_parse(expires, &ms) < 0) {
            fprintf(stderr, "delta-sharing-admin: bad expiry '%s' (expected RFC 3339, e.g. "
                            "2027-01-01T00:00:00Z)\n", expires);
            ds_catalog_free(cat);
            return 2;
        }
        if (ms <= ds_now_ms()) {
            fprintf(stderr, "delta-sharing-admin: the expiry %s is in the past\n", expires);
            ds_catalog_free(cat);
            return 2;
        }
        ds_time_format(ms, exp_text, sizeof exp_text);
    }

    unsigned char rnd[TOKEN_RANDOM_BYTES];
    char b64[sodium_base64_ENCODED_LEN(TOKEN_RANDOM_BYTES,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    char token[sizeof b64 + 8];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2base64(b64, sizeof b64, rnd, sizeof rnd, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(token, sizeof token, "dss_%s", b64);
    sodium_memzero(rnd, sizeof rnd);

    /* The profile: version 1, which both official clients accept for bearer
     * tokens; expirationTime in the form the Python client parses. */
    ds_buf prof;
    ds_buf_init(&prof, 16384);
    size_t elen = strlen(endpoint);
    while (elen > 0 && endpoint[elen - 1] == '/')
        elen--;
    int rc = ds_buf_puts(&prof, "{\n  \"shareCredentialsVersion\": 1,\n  \"endpoint\": ");
    rc |= ds_json_strn(&prof, endpoint, elen);
    rc |= ds_buf_puts(&prof, ",\n  \"bearerToken\": ");
    rc |= ds_json_str(&prof, token);
    if (exp_text[0]) {
        rc |= ds_buf_puts(&prof, ",\n  \"expirationTime\": ");
        rc |= ds_json_str(&prof, exp_text);
    }
    rc |= ds_buf_puts(&prof, "\n}\n");
    int status = 0;
    if (rc) {
        fprintf(stderr, "delta-sharing-admin: out of memory\n");
        status = 1;
    } else if (out) {
        if (write_private(out, prof.data, prof.len, force) < 0)
            status = 1;
        else
            print_hash_line(token, strlen(token), exp_text[0] ? exp_text : NULL);
    } else {
        print_hash_line(token, strlen(token), exp_text[0] ? exp_text : NULL);
        printf("\n%s", prof.data);
    }
    if (prof.data)
        sodium_memzero(prof.data, prof.len);
    ds_buf_free(&prof);
    sodium_memzero(token, sizeof token);
    sodium_memzero(b64, sizeof b64);
    ds_catalog_free(cat);
    return status;
}

static int cmd_hash(int argc, char **argv)
{
    if (argc != 1) {
        usage(stderr);
        return 2;
    }
    char line[8192];
    size_t n = fread(line, 1, sizeof line - 1, stdin);
    line[n] = '\0';
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (n == 0 || strpbrk(line, " \t\r\n")) {
        fprintf(stderr, "delta-sharing-admin: expected one token on stdin\n");
        return 2;
    }
    print_hash_line(line, n, NULL);
    sodium_memzero(line, sizeof line);
    return 0;
}

static int cmd_keygen(int argc, char **argv)
{
    const char *out = NULL;
    int force = 0, opt;
    while ((opt = getopt(argc, argv, "o:f")) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'f': force = 1; break;
        default: usage(stderr); return 2;
        }
    }
    if (!out || optind != argc) {
        usage(stderr);
        return 2;
    }
    unsigned char key[LINK_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    int rc = write_private(out, key, sizeof key, force);
    sodium_memzero(key, sizeof key);
    return rc < 0 ? 1 : 0;
}

static int cmd_check(int argc, char **argv)
{
    const char *conf = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "c:")) != -1) {
        if (opt != 'c') {
            usage(stderr);
            return 2;
        }
        conf = optarg;
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    ds_error err;
    ds_error_clear(&err);
    ds_catalog *cat = ds_catalog_load(default_conf(conf), &err);
    if (!cat) {
        fprintf(stderr, "delta-sharing-admin: %s\n", err.message);
        return 1;
    }
    ds_buf out;
    ds_buf_init(&out, 256u * 1024 * 1024);
    int rc = ds_catalog_describe(cat, &out);
    if (rc == 0)
        fputs(out.data, stdout);
    ds_buf_free(&out);
    ds_catalog_free(cat);
    if (rc) {
        fprintf(stderr, "delta-sharing-admin: out of memory\n");
        return 1;
    }
    return 0;
}

/* ---- sign ------------------------------------------------------------------ */

static int cmd_sign(int argc, char **argv)
{
    const char *conf = NULL, *rname = NULL, *ttl_text = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "c:r:t:")) != -1) {
        switch (opt) {
        case 'c': conf = optarg; break;
        case 'r': rname = optarg; break;
        case 't': ttl_text = optarg; break;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 2 != argc) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[optind], *path = argv[optind + 1];
    int64_t ttl = 0;
    if (ttl_text && ds_parse_i64(ttl_text, 60, 604800, &ttl) < 0) {
        fprintf(stderr, "delta-sharing-admin: bad TTL '%s' (expected seconds, 60 to 604800)\n",
                ttl_text);
        return 2;
    }
    /* share names may hold dots, schema and table names may not */
    const char *d2 = strrchr(name, '.'), *d1 = NULL;
    for (const char *c = name; d2 && c < d2; c++)
        if (*c == '.')
            d1 = c;
    if (!d1 || d1 == name || d2 == d1 + 1 || !d2[1]) {
        fprintf(stderr, "delta-sharing-admin: expected SHARE.SCHEMA.TABLE, got '%s'\n", name);
        return 2;
    }
    char *share = strndup(name, (size_t)(d1 - name));
    char *schema = strndup(d1 + 1, (size_t)(d2 - d1 - 1));
    if (!share || !schema) {
        free(share);
        free(schema);
        fprintf(stderr, "delta-sharing-admin: out of memory\n");
        return 1;
    }
    ds_error err;
    ds_error_clear(&err);
    int rc = 1;
    ds_buf url;
    ds_buf_init(&url, 64 * 1024);
    ds_catalog *cat = ds_catalog_load(default_conf(conf), &err);
    if (!cat) {
        fprintf(stderr, "delta-sharing-admin: %s\n", err.message);
        goto out;
    }
    const ds_share_cfg *sh = ds_catalog_share(cat, share);
    const ds_schema_cfg *sc = sh ? ds_catalog_schema(sh, schema) : NULL;
    const ds_table_cfg *t = sc ? ds_catalog_table(sc, d2 + 1) : NULL;
    if (!t) {
        fprintf(stderr, "delta-sharing-admin: no table '%s' in %s\n", name, cat->path);
        goto out;
    }
    const ds_recipient *r = NULL;
    if (rname) {
        for (size_t i = 0; i < cat->nrecipients && !r; i++)
            if (ds_strcaseeq(cat->recipients[i]->name, rname))
                r = cat->recipients[i];
        if (!r) {
            fprintf(stderr, "delta-sharing-admin: no recipient '%s' in %s\n", rname, cat->path);
            goto out;
        }
        if (!ds_recipient_may_see(r, sh->name)) {
            fprintf(stderr, "delta-sharing-admin: recipient '%s' is not granted share '%s'\n",
                    r->name, sh->name);
            goto out;
        }
    }
    ds_link_owner owner = {r ? r->name : "", sh->name, sc->name, t->name};
    ds_signer sg;
    int64_t expires;
    if (ds_signer_for(cat, t->location, &sg, &err) != DS_OK ||
        sg.ops->presign(sg.ctx, t->location, path, ttl ? ttl : cat->url_ttl, &owner, &url,
                        &expires, &err) != DS_OK) {
        fprintf(stderr, "delta-sharing-admin: %s: %s\n", name, err.message);
        if (err.detail[0])
            fprintf(stderr, "delta-sharing-admin: detail: %s\n", err.detail);
        goto out;
    }
    printf("%s\n", url.data);
    rc = 0;
out:
    ds_buf_free(&url);
    ds_catalog_free(cat);
    free(share);
    free(schema);
    return rc;
}

/* ---- snapshot / history ------------------------------------------------ */

struct snap_out {
    ds_buf *b;
    int json, first, count_only;
    size_t count;
    int64_t total;
};

/* "path":...,"size":...,"partitionValues":{...},"deletionVector":... of a
 * file action, for the JSON output of snapshot and changes. */
static int put_file_fields(ds_buf *b, const ds_file *f)
{
    return ds_buf_puts(b, "\"path\":") | ds_json_str(b, f->path) |
           ds_buf_printf(b, ",\"size\":%lld", (long long)f->size) |
           ds_buf_puts(b, ",\"partitionValues\":") | ds_pv_json(b, f->pvs, f->npv) |
           ds_buf_puts(b, ",\"deletionVector\":") |
           (f->dv_id ? ds_json_str(b, f->dv_id) : ds_buf_puts(b, "null"));
}

static int print_file(void *ctx, const ds_file *f, ds_error *err)
{
    struct snap_out *o = ctx;
    o->count++;
    o->total += f->size;
    if (o->count_only)
        return 0;
    if (!o->json) {
        printf("file %s size=%lld%s%s\n", f->path, (long long)f->size, f->dv_id ? " dv=" : "",
               f->dv_id ? f->dv_id : "");
        return 0;
    }
    ds_buf *b = o->b;
    int rc = (o->first ? 0 : ds_buf_putc(b, ',')) | ds_buf_putc(b, '{') | put_file_fields(b, f) |
             ds_buf_puts(b, ",\"stats\":") |
             (f->stats ? ds_json_str(b, f->stats) : ds_buf_puts(b, "null")) | ds_buf_putc(b, '}');
    o->first = 0;
    if (rc) {
        ds_error_set(err, DS_ERR_NOMEM, NULL);
        return -1;
    }
    return 0;
}

static int fail_table(const char *what, const ds_error *err, int json)
{
    if (json)
        printf("{\"error\":\"%s\"}\n", err->kind ? err->kind : "error");
    fprintf(stderr, "delta-sharing-admin: %s: %s%s%s%s\n", what, err->message,
            err->kind ? " (" : "", err->kind ? err->kind : "", err->kind ? ")" : "");
    if (err->detail[0])
        fprintf(stderr, "delta-sharing-admin: detail: %s\n", err->detail);
    return 1;
}

static const char *location_url(const char *loc, char *buf, size_t n)
{
    if (strstr(loc, "://"))
        return loc;
    if (loc[0] == '/') {
        snprintf(buf, n, "file://%s", loc);
        return buf;
    }
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    snprintf(buf, n, "file://%s/%s", cwd, loc);
    return buf;
}

static int cmd_snapshot(int argc, char **argv)
{
    ds_at at = {DS_AT_LATEST, 0, 0, 0};
    int json = 0, opt;
    int count_only = 0;
    while ((opt = getopt(argc, argv, "v:t:jCnc:")) != -1) {
        switch (opt) {
        case 'n': count_only = 1; break;
        case 'C': at.commits_only = 1; break;
        case 'v':
            at.kind = DS_AT_VERSION;
            if (ds_parse_i64(optarg, 0, INT64_MAX, &at.value) < 0) {
                fprintf(stderr, "delta-sharing-admin: bad version '%s'\n", optarg);
                return 2;
            }
            break;
        case 't':
            at.kind = DS_AT_TIMESTAMP;
            if (ds_time_parse(optarg, &at.value) < 0) {
                fprintf(stderr, "delta-sharing-admin: bad timestamp '%s'\n", optarg);
                return 2;
            }
            break;
        case 'j': json = 1; break;
        case 'c': store_conf = optarg; break;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    char ubuf[8192];
    const char *url = location_url(argv[optind], ubuf, sizeof ubuf);
    ds_error err;
    ds_error_clear(&err);
    ds_store store;
    ds_snapshot *s = NULL;
    if (!url || ds_store_for(store_catalog(), url, &store, &err) != DS_OK ||
        ds_snapshot_load(&store, url, &at, &s, &err) != DS_OK)
        return fail_table(argv[optind], &err, json);
    const ds_protocol *p = ds_snapshot_protocol(s);
    const ds_metadata *m = ds_snapshot_metadata(s);
    ds_buf b;
    ds_buf_init(&b, (size_t)4 << 30);
    struct snap_out o = {&b, json, 1, count_only, 0, 0};
    int rc = 0;
    if (json) {
        rc |= ds_buf_printf(&b, "{\"version\":%lld,\"checkpoint\":%lld,\"protocol\":{",
                            (long long)ds_snapshot_version(s),
                            (long long)ds_snapshot_checkpoint_version(s));
        rc |= ds_buf_printf(&b, "\"minReaderVersion\":%d,\"minWriterVersion\":%d,"
                                "\"readerFeatures\":", p->min_reader, p->min_writer);
        rc |= p->reader_features ? ds_json_str_array(&b, p->reader_features, p->n_reader_features)
                                 : ds_buf_puts(&b, "null");
        rc |= ds_buf_puts(&b, ",\"writerFeatures\":");
        rc |= p->writer_features ? ds_json_str_array(&b, p->writer_features, p->n_writer_features)
                                 : ds_buf_puts(&b, "null");
        rc |= ds_buf_puts(&b, "},\"metadata\":{\"id\":") | ds_json_str(&b, m->id);
        rc |= ds_buf_puts(&b, ",\"partitionColumns\":") |
              ds_json_str_array(&b, m->partition_columns, m->n_partition_columns);
        rc |= ds_buf_puts(&b, ",\"configuration\":") |
              ds_pv_json(&b, m->configuration, m->n_configuration);
        rc |= ds_buf_puts(&b, ",\"schemaString\":") |
              (m->schema_string ? ds_json_str(&b, m->schema_string) : ds_buf_puts(&b, "null"));
        rc |= ds_buf_puts(&b, "},\"txns\":{");
        size_t n;
        const ds_txn *t = ds_snapshot_txns(s, &n);
        for (size_t i = 0; i < n; i++)
            rc |= (i ? ds_buf_putc(&b, ',') : 0) | ds_json_str(&b, t[i].app_id) |
                  ds_buf_printf(&b, ":%lld", (long long)t[i].version);
        rc |= ds_buf_puts(&b, "},\"domains\":[");
        const ds_domain *d = ds_snapshot_domains(s, &n);
        for (size_t i = 0; i < n; i++)
            rc |= (i ? ds_buf_putc(&b, ',') : 0) | ds_json_str(&b, d[i].domain);
        rc |= ds_buf_puts(&b, "],\"files\":[");
    } else {
        printf("version %lld\ncheckpoint %lld\nprotocol reader=%d writer=%d\n",
               (long long)ds_snapshot_version(s), (long long)ds_snapshot_checkpoint_version(s),
               p->min_reader, p->min_writer);
        for (size_t i = 0; i < p->n_reader_features; i++)
            printf("reader-feature %s\n", p->reader_features[i]);
        printf("metadata id=%s partitionColumns=", m->id);
        for (size_t i = 0; i < m->n_partition_columns; i++)
            printf("%s%s", i ? "," : "", m->partition_columns[i]);
        printf("\n");
        for (size_t i = 0; i < m->n_configuration; i++)
            printf("configuration %s=%s\n", m->configuration[i].key,
                   m->configuration[i].value ? m->configuration[i].value : "null");
    }
    if (rc == 0 && ds_snapshot_files(s, print_file, &o, &err) != DS_OK) {
        ds_buf_free(&b);
        ds_snapshot_free(s);
        return fail_table(argv[optind], &err, json);
    }
    if (json) {
        rc |= ds_buf_printf(&b, "],\"num_files\":%zu,\"total_size\":%lld}\n", o.count,
                            (long long)o.total);
        if (rc == 0)
            fwrite(b.data, 1, b.len, stdout);
    } else {
        printf("files %zu total-size %lld\n", o.count, (long long)o.total);
    }
    ds_buf_free(&b);
    ds_snapshot_free(s);
    if (rc) {
        fprintf(stderr, "delta-sharing-admin: out of memory\n");
        return 1;
    }
    return 0;
}

static int cmd_history(int argc, char **argv)
{
    int json = 0, opt;
    while ((opt = getopt(argc, argv, "jc:")) != -1) {
        if (opt == 'c') {
            store_conf = optarg;
            continue;
        }
        if (opt != 'j') {
            usage(stderr);
            return 2;
        }
        json = 1;
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    char ubuf[8192];
    const char *url = location_url(argv[optind], ubuf, sizeof ubuf);
    ds_error err;
    ds_error_clear(&err);
    ds_store store;
    ds_arena *a = ds_arena_new(0);
    ds_commit_ts *ts;
    size_t n;
    if (!a || !url || ds_store_for(store_catalog(), url, &store, &err) != DS_OK ||
        ds_commit_timestamps(&store, url, a, &ts, &n, &err) != DS_OK) {
        ds_arena_free(a);
        return fail_table(argv[optind], &err, json);
    }
    if (json)
        printf("[");
    for (size_t i = 0; i < n; i++) {
        char t[40];
        ds_time_format(ts[i].timestamp_ms, t, sizeof t);
        if (json)
            printf("%s{\"version\":%lld,\"timestamp_ms\":%lld,\"rule\":\"%s\"}", i ? "," : "",
                   (long long)ts[i].version, (long long)ts[i].timestamp_ms,
                   ts[i].ict ? "in-commit-timestamp" : "file-mtime");
        else
            printf("%lld %s %s\n", (long long)ts[i].version, t,
                   ts[i].ict ? "in-commit-timestamp" : "file-mtime");
    }
    if (json)
        printf("]\n");
    ds_arena_free(a);
    return 0;
}

struct changes_out {
    int json, first;
};

static int print_change(void *ctx, const ds_change *c, ds_error *err)
{
    struct changes_out *o = ctx;
    char t[40];
    ds_time_format(c->timestamp_ms, t, sizeof t);
    if (c->kind != DS_CH_FILE) {
        const char *what = c->kind == DS_CH_PROTOCOL ? "protocol" : "metaData";
        if (o->json)
            printf("%s{\"version\":%lld,\"timestamp_ms\":%lld,\"type\":\"%s\"}",
                   o->first ? "" : ",", (long long)c->version, (long long)c->timestamp_ms, what);
        else
            printf("%lld %s %s\n", (long long)c->version, t, what);
        o->first = 0;
        return 0;
    }
    const ds_file *f = c->file;
    static const char *const kinds[] = {"", "add", "remove", "cdc"};
    if (!o->json) {
        printf("%lld %s %s %s size=%lld%s%s\n", (long long)c->version, t, kinds[f->kind],
               f->path, (long long)f->size, f->dv_id ? " dv=" : "", f->dv_id ? f->dv_id : "");
        return 0;
    }
    ds_buf b;
    ds_buf_init(&b, 64u * 1024 * 1024);
    int rc = ds_buf_printf(&b, "%s{\"version\":%lld,\"timestamp_ms\":%lld,\"type\":\"%s\"",
                           o->first ? "" : ",", (long long)c->version,
                           (long long)c->timestamp_ms, kinds[f->kind]) |
             ds_buf_putc(&b, ',') | put_file_fields(&b, f) | ds_buf_putc(&b, '}');
    if (rc) {
        ds_buf_free(&b);
        ds_error_set(err, DS_ERR_NOMEM, NULL);
        return -1;
    }
    fwrite(b.data, 1, b.len, stdout);
    ds_buf_free(&b);
    o->first = 0;
    return 0;
}

static int cmd_changes(int argc, char **argv)
{
    int json = 0, data = 0, opt;
    const char *sv = NULL, *st = NULL, *ev = NULL, *et = NULL;
    while ((opt = getopt(argc, argv, "jds:S:e:E:c:")) != -1) {
        switch (opt) {
        case 'j': json = 1; break;
        case 'd': data = 1; break;
        case 's': sv = optarg; break;
        case 'S': st = optarg; break;
        case 'e': ev = optarg; break;
        case 'E': et = optarg; break;
        case 'c': store_conf = optarg; break;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !sv == !st || (ev && et)) {
        usage(stderr);
        return 2;
    }
    int64_t start = 0, end = -1, st_ms = 0, et_ms = 0;
    if ((sv && ds_parse_i64(sv, 0, INT64_MAX, &start) < 0) ||
        (ev && ds_parse_i64(ev, 0, INT64_MAX, &end) < 0)) {
        fprintf(stderr, "delta-sharing-admin: versions are non-negative integers\n");
        return 2;
    }
    if ((st && ds_time_parse(st, &st_ms) < 0) || (et && ds_time_parse(et, &et_ms) < 0)) {
        fprintf(stderr, "delta-sharing-admin: timestamps are ISO 8601 "
                        "(e.g. 2024-01-01T00:00:00Z)\n");
        return 2;
    }
    char ubuf[8192];
    const char *url = location_url(argv[optind], ubuf, sizeof ubuf);
    ds_error err;
    ds_error_clear(&err);
    ds_store store;
    ds_history *h = NULL;
    ds_snapshot *s = NULL;
    if (!url || ds_store_for(store_catalog(), url, &store, &err) != DS_OK ||
        ds_history_open(&store, url, &h, &err) != DS_OK)
        goto fail;
    if ((st && ds_history_version_at(h, st_ms, DS_TS_STARTING, &start, &err) != DS_OK) ||
        (et && ds_history_version_at(h, et_ms, DS_TS_ENDING, &end, &err) != DS_OK))
        goto fail;
    if (!ev && !et)
        end = ds_history_latest_version(h);
    if (end < start) {
        ds_error_set(&err, DS_ERR_INVALID_PARAM,
                     "The range ends (%lld) before it starts (%lld).", (long long)end,
                     (long long)start);
        goto fail;
    }
    ds_at at = {DS_AT_VERSION, start, 0, 1};
    if (ds_snapshot_load(&store, url, &at, &s, &err) != DS_OK)
        goto fail;
    struct changes_out o = {json, 1};
    if (json)
        printf("{\"start\":%lld,\"end\":%lld,\"actions\":[", (long long)start, (long long)end);
    if (ds_history_changes(h, s, end, data ? DS_CHANGES_DATA : DS_CHANGES_CDF, print_change,
                           &o, &err) != DS_OK) {
        if (json)
            printf("],\"error\":\"%s\"}\n", err.kind ? err.kind : "error");
        json = 0;
        goto fail;
    }
    if (json)
        printf("]}\n");
    ds_snapshot_free(s);
    ds_history_free(h);
    return 0;
fail:
    ds_snapshot_free(s);
    ds_history_free(h);
    return fail_table(argv[optind], &err, json);
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "delta-sharing-admin: libsodium failed to initialise\n");
        return 1;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    /* Testing aid, as in the server: freeze the clock so that signed URLs
     * compare byte for byte (and can be made already expired). */
    const char *fake = getenv("DELTA_SHARING_FAKE_NOW");
    if (fake && *fake) {
        int64_t ms;
        if (ds_parse_i64(fake, 0, INT64_MAX / 2, &ms) < 0) {
            fprintf(stderr, "delta-sharing-admin: DELTA_SHARING_FAKE_NOW must be milliseconds "
                            "since the epoch\n");
            return 2;
        }
        ds_set_fixed_time(ms);
    }
    const char *cmd = argv[1];
    argc--;
    argv++;
    if (strcmp(cmd, "token") == 0)
        return cmd_token(argc, argv);
    if (strcmp(cmd, "hash") == 0)
        return cmd_hash(argc, argv);
    if (strcmp(cmd, "keygen") == 0)
        return cmd_keygen(argc, argv);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc, argv);
    if (strcmp(cmd, "snapshot") == 0)
        return cmd_snapshot(argc, argv);
    if (strcmp(cmd, "history") == 0)
        return cmd_history(argc, argv);
    if (strcmp(cmd, "changes") == 0)
        return cmd_changes(argc, argv);
    if (strcmp(cmd, "sign") == 0)
        return cmd_sign(argc, argv);
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("delta-sharing-admin %s\n", DS_VERSION_STRING);
        return 0;
    }
    fprintf(stderr, "delta-sharing-admin: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
