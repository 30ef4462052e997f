/* config.c - the flat `key = value` config parser.
 *
 * Stanzas carry the hierarchy: `share.name` opens a share, `schema.name` a
 * schema in it, `table.name` a table in that schema, `recipient.name` a
 * recipient.  Each key is declared once in `keys[]` with its scope, type,
 * bounds and whether it may repeat.  Every problem is fatal and reported as
 * "file:line: message" quoting the offending text.
 */
#include "config.h"
#include "catalog/catalog.h"
#include "store/cloudsign.h"
#include "util/buf.h"
#include "util/text.h"
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CONFIG_BYTES (64u * 1024 * 1024)
#define MAX_LINE_BYTES (128u * 1024)
#define MAX_KEY_FILE_BYTES 4096
#define MIN_KEY_FILE_BYTES 32

enum scope { SC_GLOBAL, SC_SHARE, SC_SCHEMA, SC_TABLE, SC_RECIPIENT, SC_STORE };
static const char *const scope_names[] = {"global", "share",     "schema",
                                          "table",  "recipient", "store"};

/* V_SECRET: free text never quoted back in a message */
enum vtype { V_NAME, V_NAME_NODOT, V_TEXT, V_URL, V_INT, V_BOOL, V_PATH, V_LOCATION,
             V_TOKEN_HASH, V_TIME, V_SHARE_LIST, V_ID, V_SECRET };

/* Duplicate detection in linear time: an open-addressing set of names
 * (compared case-insensitively within one parent: shares, the schemas of a
 * share, the tables of a schema, recipients) and of token hashes.  A
 * config with thousands of tables and recipients must still start fast
 * enough for plain CGI, where every request parses it. */
typedef struct seen_entry {
    uint64_t hash;
    const void *parent; /* scope; the token set uses its own sentinel */
    const char *name;   /* NULL for tokens; a copy that outlives the line */
    const char *owner;  /* tokens and ids: who has it */
    int line;
    int exact;          /* ids compare case-sensitively, names do not */
    /* last: the entries of names are stored without it (SEEN_NAME_BYTES),
     * and seen_same reads it only for tokens */
    unsigned char sha[32];
} seen_entry;
#define SEEN_NAME_BYTES offsetof(seen_entry, sha)

typedef struct seen_set {
    seen_entry **v;
    size_t cap, n;
} seen_set;

#define KEY_SLOTS 128 /* a power of two, at least twice the number of keys */

struct parser;
typedef int (*setter)(struct parser *p, const char *val);

struct keydef {
    const char *key;
    enum scope scope;
    enum vtype type;
    int64_t min, max; /* V_INT bounds; V_TEXT/V_ID max length */
    int repeatable;
    setter set;
};

struct parser {
    ds_catalog *cat;
    const char *file;
    int line;
    ds_error *err;
    enum scope stanza; /* kind of the stanza now open (SC_GLOBAL: none) */
    ds_share_cfg *share;
    ds_schema_cfg *schema;
    ds_table_cfg *table;
    ds_recipient *recipient;
    ds_store_cfg *store;
    int64_t ival;              /* parsed value of the current V_INT/V_BOOL/V_TIME */
    const struct keydef *key;  /* key being set */
    /* which non-repeatable keys were seen in the current object / globally */
    unsigned char seen_global[16];
    unsigned char seen_obj[16];
    /* keys[] by a hash of the key (index + 1, 0: empty) and whether each
     * key opens a stanza: built once per parse, so that a line costs one
     * probe rather than a scan of the table */
    unsigned char key_slot[KEY_SLOTS];
    unsigned char key_opens[KEY_SLOTS / 2];
    int endpoint_line;
    int offload_line, offload_prefix_line;
    seen_set names;
};

static const char token_scope[] = "token";
static const char store_scope[] = "store";

static uint64_t name_hash(const void *parent, const char *name)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)parent;
    for (const char *c = name; *c; c++) {
        unsigned char lc = (unsigned char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        h = (h ^ lc) * 1099511628211ull;
    }
    return h ^ (h >> 31);
}

static int seen_same(const seen_entry *e, const seen_entry *k)
{
    if (e->hash != k->hash || e->parent != k->parent)
        return 0;
    if (k->name)
        return e->name && (k->exact ? strcmp(e->name, k->name) == 0
                                    : ds_strcaseeq(e->name, k->name));
    return memcmp(e->sha, k->sha, 32) == 0;
}

/* Looks k up; returns the entry already there, or NULL after adding a copy
 * of k (*oom set when that failed). */
static const seen_entry *seen_add(struct parser *p, const seen_entry *k, int *oom)
{
    seen_set *s = &p->names;
    *oom = 0;
    if ((s->n + 1) * 2 > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 256;
        seen_entry **nv = calloc(nc, sizeof *nv);
        if (!nv) {
            *oom = 1;
            return NULL;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->v[i])
                continue;
            size_t j = s->v[i]->hash & (nc - 1);
            while (nv[j])
                j = (j + 1) & (nc - 1);
            nv[j] = s->v[i];
        }
        free(s->v);
        s->v = nv;
        s->cap = nc;
    }
    size_t i = k->hash & (s->cap - 1);
    for (; s->v[i]; i = (i + 1) & (s->cap - 1))
        if (seen_same(s->v[i], k))
            return s->v[i];
    size_t size = k->name ? SEEN_NAME_BYTES : sizeof(seen_entry);
    seen_entry *e = ds_arena_alloc(p->cat->arena, size);
    if (!e) {
        *oom = 1;
        return NULL;
    }
    memcpy(e, k, size);
    s->v[i] = e;
    s->n++;
    return NULL;
}

/* The entry for name in its scope, or NULL. */
static const seen_entry *seen_find(const struct parser *p, const void *parent, const char *name)
{
    const seen_set *s = &p->names;
    if (!s->cap)
        return NULL;
    seen_entry k;
    memset(&k, 0, sizeof k);
    k.parent = parent;
    k.name = name;
    k.hash = name_hash(parent, name);
    for (size_t i = k.hash & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
        if (seen_same(s->v[i], &k))
            return s->v[i];
    return NULL;
}

/* 0 when name is new in its scope; else fails with "duplicate <what>". */
static int unique_name(struct parser *p, const void *parent, const char *name,
                       const char *what, const char *in_what, const char *in_name);

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *p, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ds_error_set(p->err, DS_ERR_CONFIG, "%s:%d: %s", p->file, p->line, msg);
    return -1;
}

/* Quotes at most 80 bytes of untrusted text for a message, escaping
 * control characters. */
static const char *q(const char *s, char *out, size_t outsz)
{
    size_t o = 0;
    for (size_t i = 0; s[i] && o + 5 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= 80) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o] = '\0';
    return out;
}
#define Q(s) q((s), (char[400]){0}, 400)

/* in_what/in_name: the container named in the message ("schema", its
 * name), or NULL; the message is only formatted for a duplicate. */
static int unique_name(struct parser *p, const void *parent, const char *name,
                       const char *what, const char *in_what, const char *in_name)
{
    seen_entry k;
    memset(&k, 0, sizeof k);
    k.parent = parent;
    k.name = name;
    k.hash = name_hash(parent, name);
    k.line = p->line;
    int oom;
    const seen_entry *e = seen_add(p, &k, &oom);
    if (oom)
        return fail(p, "out of memory");
    if (e) {
        char where[320] = "";
        if (in_what)
            snprintf(where, sizeof where, " in %s '%s'", in_what, Q(in_name));
        return fail(p, "duplicate %s name '%s'%s (first defined on line %d)", what, Q(name),
                    where, e->line);
    }
    return 0;
}

/* Like unique_name for ids (exact match); *owner gets the first holder. */
static int unique_id(struct parser *p, const void *scope, const char *id, const char *holder,
                     const char **owner)
{
    seen_entry k;
    memset(&k, 0, sizeof k);
    k.parent = scope;
    k.name = id;
    k.exact = 1;
    k.owner = holder;
    k.hash = name_hash(scope, id);
    k.line = p->line;
    int oom;
    const seen_entry *e = seen_add(p, &k, &oom);
    if (oom)
        return fail(p, "out of memory");
    *owner = e ? e->owner : NULL;
    return 0;
}

static char *pdup(struct parser *p, const char *s)
{
    char *r = ds_arena_strdup(p->cat->arena, s);
    if (!r)
        fail(p, "out of memory");
    return r;
}

static int grow(struct parser *p, void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    /* arrays of pointers start at 8; arrays of records (a recipient's
     * tokens, usually one) at 1: a CGI process touches every page it
     * allocates, and 1,000 recipients with room for 8 tokens each cost
     * 80 page faults more */
    size_t ncap = *cap ? *cap * 2 : elem > sizeof(void *) ? 1 : 8;
    void *na = ds_arena_alloc(p->cat->arena, ncap * elem);
    if (!na)
        return fail(p, "out of memory");
    if (n)
        memcpy(na, *arr, n * elem);
    *arr = na;
    *cap = ncap;
    return 0;
}

/* ---- stanza completion checks ------------------------------------ */

static int close_table(struct parser *p)
{
    ds_table_cfg *t = p->table;
    if (!t)
        return 0;
    p->table = NULL;
    if (!t->location) {
        p->line = t->line;
        return fail(p, "table '%s' has no table.location", Q(t->name));
    }
    return 0;
}

static int close_recipient(struct parser *p)
{
    ds_recipient *r = p->recipient;
    if (!r)
        return 0;
    p->recipient = NULL;
    p->line = r->line;
    if (r->ntokens == 0)
        return fail(p, "recipient '%s' has no recipient.token-sha256", Q(r->name));
    if (!r->shares_text)
        return fail(p, "recipient '%s' has no recipient.shares (use '*' for every share)",
                    Q(r->name));
    return 0;
}

static int close_store(struct parser *p);

static int close_stanza(struct parser *p)
{
    int saved = p->line;
    int rc = close_table(p) < 0 || close_recipient(p) < 0 || close_store(p) < 0 ? -1 : 0;
    p->line = saved;
    memset(p->seen_obj, 0, sizeof p->seen_obj);
    return rc;
}

/* ---- setters -------------------------------------------------------- */

static int set_endpoint(struct parser *p, const char *v)
{
    size_t n = strlen(v);
    while (n > 0 && v[n - 1] == '/')
        n--;
    char *e = ds_arena_strndup(p->cat->arena, v, n);
    if (!e)
        return fail(p, "out of memory");
    p->cat->endpoint = e;
    p->endpoint_line = p->line;
    return 0;
}

static int set_url_ttl(struct parser *p, const char *v)
{
    p->cat->url_ttl = p->ival;
    return 0;
}

static int set_max_body(struct parser *p, const char *v)
{
    p->cat->max_request_body = p->ival;
    return 0;
}

static int set_log_requests(struct parser *p, const char *v)
{
    p->cat->log_requests = (int)p->ival;
    return 0;
}

static int set_log_file(struct parser *p, const char *v)
{
    int fd = open(v, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return fail(p, "log-file '%s': %s", Q(v), strerror(errno));
    p->cat->log_fd = fd;
    p->cat->log_file = pdup(p, v);
    return p->cat->log_file ? 0 : -1;
}

static int set_link_key_file(struct parser *p, const char *v)
{
    int fd = open(v, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(p, "link-key-file '%s': %s", Q(v), strerror(errno));
    unsigned char key[MAX_KEY_FILE_BYTES + 1];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, key + n, sizeof key - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return fail(p, "link-key-file '%s': %s", Q(v), strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == sizeof key)
            break;
    }
    close(fd);
    if (n < MIN_KEY_FILE_BYTES || n > MAX_KEY_FILE_BYTES) {
        sodium_memzero(key, sizeof key);
        return fail(p, "link-key-file '%s' holds %zu bytes; it must hold %d to %d bytes "
                       "(create one with 'delta-sharing-admin keygen')",
                    Q(v), n, MIN_KEY_FILE_BYTES, MAX_KEY_FILE_BYTES);
    }
    /* Independent subkeys for independent uses of the one secret. */
    unsigned char master[32];
    crypto_generichash(master, sizeof master, key, n, NULL, 0);
    crypto_generichash(p->cat->link_key, DS_KEY_BYTES, (const unsigned char *)"file-link", 9,
                       master, sizeof master);
    crypto_generichash(p->cat->token_key, DS_KEY_BYTES, (const unsigned char *)"page-token",
                       10, master, sizeof master);
    sodium_memzero(master, sizeof master);
    sodium_memzero(key, sizeof key);
    p->cat->has_link_key = 1;
    p->cat->link_key_file = pdup(p, v);
    return p->cat->link_key_file ? 0 : -1;
}

static int set_file_offload(struct parser *p, const char *v)
{
    if (strcmp(v, "none") == 0)
        p->cat->file_offload = DS_OFFLOAD_NONE;
    else if (strcmp(v, "x-accel-redirect") == 0)
        p->cat->file_offload = DS_OFFLOAD_X_ACCEL;
    else if (strcmp(v, "x-sendfile") == 0)
        p->cat->file_offload = DS_OFFLOAD_X_SENDFILE;
    else
        return fail(p, "bad value for file-offload: '%s' (expected none, x-accel-redirect or "
                       "x-sendfile)", Q(v));
    p->offload_line = p->line;
    return 0;
}

/* An nginx URI prefix: '/' then segments of unreserved characters; no
 * empty, '.' or '..' segment (nginx would refuse the redirect). */
static int set_file_offload_prefix(struct parser *p, const char *v)
{
    size_t n = strlen(v);
    while (n > 1 && v[n - 1] == '/')
        n--;
    int ok = n > 1 && v[0] == '/';
    for (size_t i = 0; ok && i < n; i++) {
        char c = v[i];
        if (c == '/') {
            size_t j = i + 1;
            while (j < n && v[j] != '/')
                j++;
            size_t seg = j - i - 1;
            if (seg == 0 || (seg == 1 && v[i + 1] == '.') ||
                (seg == 2 && v[i + 1] == '.' && v[i + 2] == '.'))
                ok = 0;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~')) {
            ok = 0;
        }
    }
    if (!ok)
        return fail(p, "bad value for file-offload-prefix: '%s' (expected the URI of an "
                       "internal location, such as /_delta_sharing_files: '/' and segments of "
                       "letters, digits, '-', '.', '_' or '~')", Q(v));
    p->offload_prefix_line = p->line;
    return (p->cat->file_offload_prefix = ds_arena_strndup(p->cat->arena, v, n)) ? 0
                                                                             : fail(p, "out of memory");
}

static int set_share_name(struct parser *p, const char *v)
{
    ds_catalog *c = p->cat;
    const char *name = pdup(p, v);
    if (!name || unique_name(p, c, name, "share", NULL, NULL) < 0)
        return -1;
    if (grow(p, (void **)&c->shares, &c->share_cap, c->nshares, sizeof *c->shares) < 0)
        return -1;
    ds_share_cfg *s = ds_arena_alloc(c->arena, sizeof *s);
    if (!s)
        return fail(p, "out of memory");
    memset(s, 0, sizeof *s);
    s->name = name;
    s->line = p->line;
    c->shares[c->nshares++] = s;
    p->share = s;
    p->schema = NULL;
    p->stanza = SC_SHARE;
    return 0;
}

static int set_share_comment(struct parser *p, const char *v)
{
    return (p->share->comment = pdup(p, v)) ? 0 : -1;
}

static int set_share_id(struct parser *p, const char *v)
{
    static const char share_ids[] = "share.id";
    const char *owner, *id = pdup(p, v);
    if (!id || unique_id(p, share_ids, id, p->share->name, &owner) < 0)
        return -1;
    if (owner)
        return fail(p, "duplicate share.id '%s' (also used by share '%s')", Q(v), Q(owner));
    p->share->config_id = id;
    return 0;
}

static int set_schema_name(struct parser *p, const char *v)
{
    ds_share_cfg *s = p->share;
    const char *name = pdup(p, v);
    if (!name || unique_name(p, s, name, "schema", "share", s->name) < 0)
        return -1;
    if (grow(p, (void **)&s->schemas, &s->cap, s->nschemas, sizeof *s->schemas) < 0)
        return -1;
    ds_schema_cfg *sc = ds_arena_alloc(p->cat->arena, sizeof *sc);
    if (!sc)
        return fail(p, "out of memory");
    memset(sc, 0, sizeof *sc);
    sc->name = name;
    sc->line = p->line;
    sc->share = s;
    s->schemas[s->nschemas++] = sc;
    p->schema = sc;
    p->stanza = SC_SCHEMA;
    return 0;
}

static int set_table_name(struct parser *p, const char *v)
{
    ds_schema_cfg *sc = p->schema;
    const char *name = pdup(p, v);
    if (!name || unique_name(p, sc, name, "table", "schema", sc->name) < 0)
        return -1;
    if (grow(p, (void **)&sc->tables, &sc->cap, sc->ntables, sizeof *sc->tables) < 0)
        return -1;
    ds_table_cfg *t = ds_arena_alloc(p->cat->arena, sizeof *t);
    if (!t)
        return fail(p, "out of memory");
    memset(t, 0, sizeof *t);
    t->name = name;
    t->line = p->line;
    t->schema = sc;
    sc->tables[sc->ntables++] = t;
    sc->share->ntables++;
    p->table = t;
    p->stanza = SC_TABLE;
    return 0;
}

static int set_table_location(struct parser *p, const char *v)
{
    p->table->location_line = p->line;
    return (p->table->location = pdup(p, v)) ? 0 : -1;
}

static int set_table_id(struct parser *p, const char *v)
{
    ds_share_cfg *s = p->share;
    const char *owner, *id = pdup(p, v);
    /* the scope is the share's id slot: distinct from its name scope */
    if (!id || unique_id(p, &s->config_id, id, p->table->name, &owner) < 0)
        return -1;
    if (owner)
        return fail(p, "duplicate table.id '%s' in share '%s' (also used by table '%s')", Q(v),
                    Q(s->name), Q(owner));
    p->table->config_id = id;
    return 0;
}

static int set_table_history(struct parser *p, const char *v)
{
    p->table->history = (int)p->ival;
    return 0;
}

static int set_recipient_name(struct parser *p, const char *v)
{
    ds_catalog *c = p->cat;
    const char *name = pdup(p, v);
    if (!name || unique_name(p, &c->recipients, name, "recipient", NULL, NULL) < 0)
        return -1;
    if (grow(p, (void **)&c->recipients, &c->recipient_cap, c->nrecipients,
             sizeof *c->recipients) < 0)
        return -1;
    ds_recipient *r = ds_arena_alloc(c->arena, sizeof *r);
    if (!r)
        return fail(p, "out of memory");
    memset(r, 0, sizeof *r);
    r->name = name;
    r->line = p->line;
    c->recipients[c->nrecipients++] = r;
    p->recipient = r;
    p->share = NULL;
    p->schema = NULL;
    p->stanza = SC_RECIPIENT;
    return 0;
}

static int set_recipient_token(struct parser *p, const char *v)
{
    ds_recipient *r = p->recipient;
    unsigned char h[32];
    char hex[65];
    size_t n = strcspn(v, " \t");
    if (n != 64)
        return fail(p, "bad value for recipient.token-sha256: '%s' (expected 64 hex digits, "
                       "optionally followed by an expiry time)", Q(v));
    memcpy(hex, v, 64);
    hex[64] = '\0';
    if (ds_hex_decode(hex, h, 32) < 0)
        return fail(p, "bad value for recipient.token-sha256: '%s' (expected 64 hex digits)",
                    Q(v));
    int64_t exp = 0;
    const char *rest = v + 64;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    if (*rest && ds_time_parse(rest, &exp) < 0)
        return fail(p, "bad expiry time after recipient.token-sha256: '%s' (expected "
                       "RFC 3339, e.g. 2027-01-01T00:00:00Z)", Q(rest));
    seen_entry k;
    memset(&k, 0, sizeof k);
    k.parent = token_scope;
    memcpy(k.sha, h, 32);
    memcpy(&k.hash, h, sizeof k.hash);
    k.owner = r->name;
    k.line = p->line;
    int oom;
    const seen_entry *e = seen_add(p, &k, &oom);
    if (oom)
        return fail(p, "out of memory");
    if (e)
        return fail(p, "duplicate recipient.token-sha256 (already on line %d, recipient '%s')",
                    e->line, Q(e->owner));
    if (grow(p, (void **)&r->tokens, &r->cap, r->ntokens, sizeof *r->tokens) < 0)
        return -1;
    ds_token_cfg *t = &r->tokens[r->ntokens++];
    memcpy(t->sha256, h, 32);
    t->expires_ms = exp;
    t->line = p->line;
    return 0;
}

static int set_recipient_expires(struct parser *p, const char *v)
{
    p->recipient->expires_ms = p->ival;
    return 0;
}

static int set_recipient_shares(struct parser *p, const char *v)
{
    ds_recipient *r = p->recipient;
    r->shares_text = pdup(p, v);
    r->shares_line = p->line;
    if (!r->shares_text)
        return -1;
    if (strcmp(v, "*") == 0) {
        r->all_shares = 1;
        return 0;
    }
    /* count, then split on commas; names are resolved after the whole file
     * is read, since shares may be defined after recipients */
    size_t n = 1;
    for (const char *s = v; *s; s++)
        n += *s == ',';
    r->shares = ds_arena_alloc(p->cat->arena, n * sizeof *r->shares);
    if (!r->shares)
        return fail(p, "out of memory");
    const char *s = v;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        while (len && (*s == ' ' || *s == '\t'))
            s++, len--;
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        char *name = ds_arena_strndup(p->cat->arena, s, len);
        if (!name)
            return fail(p, "out of memory");
        if (!ds_name_valid(name, 0))
            return fail(p, "bad share name in recipient.shares: '%s'", Q(name));
        if (strcmp(name, "*") == 0)
            return fail(p, "'*' must stand alone in recipient.shares");
        r->shares[r->nshares++] = name;
        if (!e)
            break;
        s = e + 1;
        if (!*s)
            return fail(p, "empty share name in recipient.shares: '%s'", Q(v));
    }
    return 0;
}

/* ---- object stores ---------------------------------------------------- */

#define MAX_SECRET_FILE_BYTES (64u * 1024)

static int set_store_name(struct parser *p, const char *v)
{
    ds_catalog *c = p->cat;
    if (unique_name(p, store_scope, v, "store", NULL, NULL) < 0)
        return -1;
    if (grow(p, (void **)&c->stores, &c->store_cap, c->nstores, sizeof *c->stores) < 0)
        return -1;
    ds_store_cfg *st = ds_arena_alloc(c->arena, sizeof *st);
    if (!st)
        return fail(p, "out of memory");
    ds_store_cfg_init(st);
    if (!(st->name = pdup(p, v)))
        return -1;
    st->line = p->line;
    c->stores[c->nstores++] = st;
    p->store = st;
    p->share = NULL;
    p->schema = NULL;
    p->stanza = SC_STORE;
    return 0;
}

static int set_store_type(struct parser *p, const char *v)
{
    if (strcmp(v, "s3") == 0)
        p->store->type = DS_STORE_S3;
    else if (strcmp(v, "gcs") == 0)
        p->store->type = DS_STORE_GCS;
    else if (strcmp(v, "azure") == 0)
        p->store->type = DS_STORE_AZURE;
    else
        return fail(p, "bad value for store.type: '%s' (expected s3, gcs or azure)", Q(v));
    return 0;
}

static int set_store_prefix(struct parser *p, const char *v)
{
    ds_store_cfg *st = p->store;
    size_t n = strlen(v);
    while (n > 0 && v[n - 1] == '/')
        n--;
    if (strncmp(v, "file://", 7) == 0)
        return fail(p, "bad value for store.prefix: '%s' (local tables need no store)", Q(v));
    if (grow(p, (void **)&st->prefixes, &st->prefix_cap, st->nprefixes, sizeof *st->prefixes) < 0)
        return -1;
    const char *pre = ds_arena_strndup(p->cat->arena, v, n);
    if (!pre)
        return fail(p, "out of memory");
    const char *owner;
    if (unique_id(p, "store.prefix", pre, st->name, &owner) < 0)
        return -1;
    if (owner)
        return fail(p, "store.prefix '%s' is already served by store '%s'", Q(v), Q(owner));
    st->prefixes[st->nprefixes++] = pre;
    return 0;
}

static int set_store_endpoint(struct parser *p, const char *v)
{
    size_t n = strlen(v);
    while (n > 0 && v[n - 1] == '/')
        n--;
    return (p->store->endpoint = ds_arena_strndup(p->cat->arena, v, n)) ? 0
                                                                       : fail(p, "out of memory");
}

static int set_store_region(struct parser *p, const char *v)
{
    for (const char *c = v; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
            return fail(p, "bad value for store.region: '%s' (expected a region name such as "
                           "us-east-1)", Q(v));
    return (p->store->region = pdup(p, v)) ? 0 : -1;
}

static int set_store_path_style(struct parser *p, const char *v)
{
    p->store->path_style = (int)p->ival;
    return 0;
}

/* Reads a secret from a file: at most 64 KiB, trailing white space and
 * line ends dropped.  The contents never reach a message. */
static char *read_secret_file(struct parser *p, const char *path, size_t *outlen)
{
    /* read into a scratch buffer that is wiped on every path; the catalog
     * keeps only the secret itself (a CGI process parses the config on
     * every request: no 64 KiB of arena per secret file) */
    const char *key = p->key->key;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail(p, "%s '%s': %s", key, Q(path), strerror(errno));
        return NULL;
    }
    char *buf = malloc(MAX_SECRET_FILE_BYTES + 1), *out = NULL;
    size_t n = 0;
    int e = 0;
    while (buf) {
        ssize_t r = read(fd, buf + n, MAX_SECRET_FILE_BYTES + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            e = r < 0 ? errno : 0;
            break;
        }
        n += (size_t)r;
        if (n > MAX_SECRET_FILE_BYTES)
            break;
    }
    close(fd);
    size_t got = n; /* what to wipe */
    while (buf && n > 0 && n <= MAX_SECRET_FILE_BYTES &&
           (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    if (!buf)
        fail(p, "out of memory");
    else if (e)
        fail(p, "%s '%s': %s", key, Q(path), strerror(e));
    else if (n > MAX_SECRET_FILE_BYTES)
        fail(p, "%s '%s' is larger than %u bytes", key, Q(path), MAX_SECRET_FILE_BYTES);
    else if (n == 0 || memchr(buf, '\0', n))
        fail(p, "%s '%s' %s", key, Q(path), n ? "holds a NUL byte" : "is empty");
    else if (!(out = ds_arena_strndup(p->cat->arena, buf, n)))
        fail(p, "out of memory");
    if (buf) {
        sodium_memzero(buf, got);
        free(buf);
    }
    *outlen = n;
    return out;
}

/* `store.X` and `store.X-file` both set one secret; only one of them may
 * be given. */
static int put_secret(struct parser *p, const char **slot, const char *v, int from_file)
{
    if (*slot)
        return fail(p, "%s: this secret is already set (give either the value or the file, "
                       "once)", p->key->key);
    size_t n;
    const char *s = from_file ? read_secret_file(p, v, &n) : pdup(p, v);
    if (!s)
        return -1;
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return fail(p, "%s: the secret holds a control character", p->key->key);
    *slot = s;
    p->store->secret_line = p->line;
    return 0;
}

static int set_store_access_key_id(struct parser *p, const char *v)
{
    return (p->store->access_key_id = pdup(p, v)) ? 0 : -1;
}
static int set_store_secret(struct parser *p, const char *v)
{
    return put_secret(p, &p->store->secret_access_key, v, 0);
}
static int set_store_secret_file(struct parser *p, const char *v)
{
    return put_secret(p, &p->store->secret_access_key, v, 1);
}
static int set_store_session_token(struct parser *p, const char *v)
{
    return put_secret(p, &p->store->session_token, v, 0);
}
static int set_store_session_token_file(struct parser *p, const char *v)
{
    return put_secret(p, &p->store->session_token, v, 1);
}

static int set_store_account_name(struct parser *p, const char *v)
{
    for (const char *c = v; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
            return fail(p, "bad value for store.account-name: '%s' (storage account names "
                           "are lower-case letters and digits)", Q(v));
    return (p->store->account_name = pdup(p, v)) ? 0 : -1;
}

static int put_account_key(struct parser *p, const char *v, int from_file)
{
    const char *text = NULL;
    if (put_secret(p, &text, v, from_file) < 0)
        return -1;
    ds_store_cfg *st = p->store;
    if (st->account_key)
        return fail(p, "%s: the account key is already set (give either store.account-key or "
                       "store.account-key-file, once)", p->key->key);
    size_t n = strlen(text), len = 0;
    unsigned char *key = ds_arena_alloc(p->cat->arena, n);
    if (!key)
        return fail(p, "out of memory");
    const char *end = NULL;
    if (sodium_base642bin(key, n, text, n, NULL, &len, &end, sodium_base64_VARIANT_ORIGINAL) !=
            0 || end != text + n || len == 0) {
        sodium_memzero((void *)text, n);
        return fail(p, "%s: the account key is not base64 (copy it as the portal shows it)",
                    p->key->key);
    }
    sodium_memzero((void *)text, n);
    st->account_key = key;
    st->account_key_len = len;
    return 0;
}
static int set_store_account_key(struct parser *p, const char *v)
{
    return put_account_key(p, v, 0);
}
static int set_store_account_key_file(struct parser *p, const char *v)
{
    return put_account_key(p, v, 1);
}

static int set_store_hmac_id(struct parser *p, const char *v)
{
    return (p->store->hmac_access_id = pdup(p, v)) ? 0 : -1;
}
static int set_store_hmac_secret(struct parser *p, const char *v)
{
    return put_secret(p, &p->store->hmac_secret, v, 0);
}
static int set_store_hmac_secret_file(struct parser *p, const char *v)
{
    return put_secret(p, &p->store->hmac_secret, v, 1);
}

static int set_store_sa_key_file(struct parser *p, const char *v)
{
    ds_store_cfg *st = p->store;
    size_t n;
    char *json = read_secret_file(p, v, &n);
    if (!json)
        return -1;
    char *email = NULL;
    ds_rsa_key *key = NULL;
    ds_error e;
    ds_error_clear(&e);
    ds_status rc = ds_gcs_service_account_parse(json, n, &email, &key, &e);
    char *uri = rc == DS_OK ? ds_gcs_token_uri(json, n) : NULL;
    sodium_memzero(json, n);
    if (rc != DS_OK)
        return fail(p, "store.service-account-key-file '%s': %s", Q(v), e.message);
    st->sa_email = pdup(p, email);
    st->sa_token_uri = pdup(p, uri ? uri : DS_GCS_TOKEN_URI);
    free(email);
    free(uri);
    if (!st->sa_email || !st->sa_token_uri) {
        ds_rsa_key_free(key);
        return -1;
    }
    st->sa_key = key;
    return 0;
}

static int set_store_connect_timeout(struct parser *p, const char *v)
{
    p->store->connect_timeout_ms = p->ival * 1000;
    return 0;
}
static int set_store_timeout(struct parser *p, const char *v)
{
    p->store->timeout_ms = p->ival * 1000;
    return 0;
}
static int set_store_retries(struct parser *p, const char *v)
{
    p->store->retries = (int)p->ival;
    return 0;
}
static int set_store_parallel(struct parser *p, const char *v)
{
    p->store->parallel = (int)p->ival;
    return 0;
}
static int set_store_max_list_pages(struct parser *p, const char *v)
{
    p->store->max_list_pages = p->ival;
    return 0;
}
static int set_store_ca_file(struct parser *p, const char *v)
{
    if (access(v, R_OK) < 0)
        return fail(p, "store.ca-file '%s': %s", Q(v), strerror(errno));
    return (p->store->ca_file = pdup(p, v)) ? 0 : -1;
}

static int close_store(struct parser *p)
{
    ds_store_cfg *st = p->store;
    if (!st)
        return 0;
    p->store = NULL;
    p->line = st->line;
    static const char *const tname[] = {"", "s3", "gcs", "azure"};
    if (!st->type)
        return fail(p, "store '%s' has no store.type (s3, gcs or azure)", Q(st->name));
    if (!st->nprefixes)
        return fail(p, "store '%s' has no store.prefix (the table locations it serves, such "
                       "as s3://bucket/)", Q(st->name));
    for (size_t i = 0; i < st->nprefixes; i++)
        if (ds_store_type_of(st->prefixes[i]) != st->type)
            return fail(p, "store '%s' is of type %s and cannot serve prefix '%s' (%s)",
                        Q(st->name), tname[st->type], Q(st->prefixes[i]),
                        st->type == DS_STORE_S3    ? "s3 stores serve s3:// and s3a://"
                        : st->type == DS_STORE_GCS ? "gcs stores serve gs://"
                                                   : "azure stores serve abfss://, abfs://, "
                                                     "az:// and https://");
    const char *other = NULL;
    switch (st->type) {
    case DS_STORE_S3:
        if (!st->access_key_id != !st->secret_access_key)
            return fail(p, "store '%s': store.access-key-id and store.secret-access-key go "
                           "together (or give neither to use AWS_ACCESS_KEY_ID and "
                           "AWS_SECRET_ACCESS_KEY)", Q(st->name));
        if (st->session_token && !st->access_key_id)
            return fail(p, "store '%s': store.session-token needs store.access-key-id",
                        Q(st->name));
        if (st->account_name || st->account_key)
            other = "store.account-name/account-key";
        else if (st->hmac_access_id || st->hmac_secret || st->sa_key)
            other = "store.hmac-*/service-account-key-file";
        break;
    case DS_STORE_GCS:
        if (!st->hmac_access_id != !st->hmac_secret)
            return fail(p, "store '%s': store.hmac-access-id and store.hmac-secret go together",
                        Q(st->name));
        if (st->access_key_id || st->secret_access_key || st->session_token)
            other = "store.access-key-id/secret-access-key/session-token";
        else if (st->account_name || st->account_key)
            other = "store.account-name/account-key";
        break;
    case DS_STORE_AZURE:
        if (st->account_key && !st->account_name)
            return fail(p, "store '%s': store.account-key needs store.account-name",
                        Q(st->name));
        if (st->access_key_id || st->secret_access_key || st->session_token)
            other = "store.access-key-id/secret-access-key/session-token";
        else if (st->hmac_access_id || st->hmac_secret || st->sa_key)
            other = "store.hmac-*/service-account-key-file";
        break;
    }
    if (other)
        return fail(p, "store '%s' is of type %s, which does not use %s", Q(st->name),
                    tname[st->type], other);
    return 0;
}

static const struct keydef keys[] = {
    {"endpoint", SC_GLOBAL, V_URL, 0, 2048, 0, set_endpoint},
    {"url-ttl", SC_GLOBAL, V_INT, 60, 604800, 0, set_url_ttl},
    {"link-key-file", SC_GLOBAL, V_PATH, 0, 4096, 0, set_link_key_file},
    {"max-request-body", SC_GLOBAL, V_INT, 1024, 64 * 1024 * 1024, 0, set_max_body},
    {"log-requests", SC_GLOBAL, V_BOOL, 0, 0, 0, set_log_requests},
    {"log-file", SC_GLOBAL, V_PATH, 0, 4096, 0, set_log_file},
    {"file-offload", SC_GLOBAL, V_TEXT, 0, 64, 0, set_file_offload},
    {"file-offload-prefix", SC_GLOBAL, V_TEXT, 0, 1024, 0, set_file_offload_prefix},
    {"share.name", SC_SHARE, V_NAME, 0, 255, 0, set_share_name},
    {"share.comment", SC_SHARE, V_TEXT, 0, 65536, 0, set_share_comment},
    {"share.id", SC_SHARE, V_ID, 0, 255, 0, set_share_id},
    {"schema.name", SC_SCHEMA, V_NAME_NODOT, 0, 255, 0, set_schema_name},
    {"table.name", SC_TABLE, V_NAME_NODOT, 0, 255, 0, set_table_name},
    {"table.location", SC_TABLE, V_LOCATION, 0, 4096, 0, set_table_location},
    {"table.id", SC_TABLE, V_ID, 0, 255, 0, set_table_id},
    {"table.history", SC_TABLE, V_BOOL, 0, 0, 0, set_table_history},
    {"recipient.name", SC_RECIPIENT, V_NAME, 0, 255, 0, set_recipient_name},
    {"recipient.token-sha256", SC_RECIPIENT, V_TOKEN_HASH, 0, 0, 1, set_recipient_token},
    {"recipient.expires", SC_RECIPIENT, V_TIME, 0, 0, 0, set_recipient_expires},
    {"recipient.shares", SC_RECIPIENT, V_SHARE_LIST, 0, 65536, 0, set_recipient_shares},
    {"store.name", SC_STORE, V_NAME, 0, 255, 0, set_store_name},
    {"store.type", SC_STORE, V_TEXT, 0, 16, 0, set_store_type},
    {"store.prefix", SC_STORE, V_LOCATION, 0, 4096, 1, set_store_prefix},
    {"store.endpoint", SC_STORE, V_URL, 0, 2048, 0, set_store_endpoint},
    {"store.region", SC_STORE, V_TEXT, 0, 64, 0, set_store_region},
    {"store.path-style", SC_STORE, V_BOOL, 0, 0, 0, set_store_path_style},
    {"store.access-key-id", SC_STORE, V_ID, 0, 256, 0, set_store_access_key_id},
    {"store.secret-access-key", SC_STORE, V_SECRET, 0, 4096, 0, set_store_secret},
    {"store.secret-access-key-file", SC_STORE, V_PATH, 0, 4096, 0, set_store_secret_file},
    {"store.session-token", SC_STORE, V_SECRET, 0, 8192, 0, set_store_session_token},
    {"store.session-token-file", SC_STORE, V_PATH, 0, 4096, 0, set_store_session_token_file},
    {"store.account-name", SC_STORE, V_TEXT, 0, 64, 0, set_store_account_name},
    {"store.account-key", SC_STORE, V_SECRET, 0, 4096, 0, set_store_account_key},
    {"store.account-key-file", SC_STORE, V_PATH, 0, 4096, 0, set_store_account_key_file},
    {"store.hmac-access-id", SC_STORE, V_ID, 0, 256, 0, set_store_hmac_id},
    {"store.hmac-secret", SC_STORE, V_SECRET, 0, 4096, 0, set_store_hmac_secret},
    {"store.hmac-secret-file", SC_STORE, V_PATH, 0, 4096, 0, set_store_hmac_secret_file},
    {"store.service-account-key-file", SC_STORE, V_PATH, 0, 4096, 0, set_store_sa_key_file},
    {"store.connect-timeout", SC_STORE, V_INT, 1, 600, 0, set_store_connect_timeout},
    {"store.timeout", SC_STORE, V_INT, 1, 3600, 0, set_store_timeout},
    {"store.retries", SC_STORE, V_INT, 0, 10, 0, set_store_retries},
    {"store.parallel", SC_STORE, V_INT, 1, 8, 0, set_store_parallel},
    {"store.max-list-pages", SC_STORE, V_INT, 1, 10000000, 0, set_store_max_list_pages},
    {"store.ca-file", SC_STORE, V_PATH, 0, 4096, 0, set_store_ca_file},
};
#define NKEYS (sizeof keys / sizeof keys[0])

_Static_assert(NKEYS <= KEY_SLOTS / 2 && NKEYS <= 8 * 16, "keys[] outgrew the key index");

static int opens_stanza(const struct keydef *k)
{
    return k->scope != SC_GLOBAL && strcmp(strchr(k->key, '.') + 1, "name") == 0;
}

/* The hash split_line computes over a key while checking its characters. */
static unsigned key_hash_step(unsigned h, unsigned char c)
{
    return h * 33 + c;
}

static unsigned key_hash_slot(unsigned h)
{
    return (h ^ (h >> 7)) & (KEY_SLOTS - 1);
}

static void index_keys(struct parser *p)
{
    for (size_t i = 0; i < NKEYS; i++) {
        unsigned h = 5381;
        for (const char *c = keys[i].key; *c; c++)
            h = key_hash_step(h, (unsigned char)*c);
        unsigned j = key_hash_slot(h);
        while (p->key_slot[j])
            j = (j + 1) & (KEY_SLOTS - 1);
        p->key_slot[j] = (unsigned char)(i + 1);
        p->key_opens[i] = (unsigned char)opens_stanza(&keys[i]);
    }
}

/* Characters allowed in a key: letters, digits, '-', '.', '_'. */
static const unsigned char key_chars[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
};

static const char *const location_schemes[] = {"file://", "s3://", "s3a://", "gs://",
                                                "abfss://", "abfs://", "az://",
                                                "https://", NULL};

static int check_value(struct parser *p, const struct keydef *k, const char *v)
{
    size_t n = strlen(v);
    switch (k->type) {
    case V_NAME:
    case V_NAME_NODOT:
        if (!ds_name_valid(v, k->type == V_NAME_NODOT))
            return fail(p, "bad value for %s: '%s' (names are 1 to 255 characters without "
                           "spaces, '/' or control characters%s)",
                        k->key, Q(v), k->type == V_NAME_NODOT ? ", and without '.'" : "");
        return 0;
    case V_TEXT:
    case V_ID:
    case V_SHARE_LIST:
        if ((int64_t)n > k->max)
            return fail(p, "value for %s is too long (%zu bytes, at most %lld)", k->key, n,
                        (long long)k->max);
        if (k->type == V_ID)
            for (size_t i = 0; i < n; i++)
                if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f)
                    return fail(p, "bad value for %s: '%s' (no spaces or control characters)",
                                k->key, Q(v));
        return 0;
    case V_URL:
        if ((strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) ||
            strpbrk(v, "?# \t") || strlen(strstr(v, "://") + 3) == 0 || (int64_t)n > k->max)
            return fail(p, "bad value for %s: '%s' (expected an http:// or https:// URL "
                           "without query or fragment)", k->key, Q(v));
        return 0;
    case V_INT:
        if (ds_parse_i64(v, k->min, k->max, &p->ival) < 0)
            return fail(p, "bad value for %s: '%s' (expected an integer from %lld to %lld)",
                        k->key, Q(v), (long long)k->min, (long long)k->max);
        return 0;
    case V_BOOL:
        if (ds_strcaseeq(v, "true") || ds_strcaseeq(v, "yes") || ds_strcaseeq(v, "on") ||
            strcmp(v, "1") == 0)
            p->ival = 1;
        else if (ds_strcaseeq(v, "false") || ds_strcaseeq(v, "no") || ds_strcaseeq(v, "off") ||
                 strcmp(v, "0") == 0)
            p->ival = 0;
        else
            return fail(p, "bad value for %s: '%s' (expected true or false)", k->key, Q(v));
        return 0;
    case V_TIME:
        if (ds_time_parse(v, &p->ival) < 0)
            return fail(p, "bad value for %s: '%s' (expected an RFC 3339 time such as "
                           "2027-01-01T00:00:00Z)", k->key, Q(v));
        return 0;
    case V_PATH:
        if (v[0] != '/')
            return fail(p, "bad value for %s: '%s' (expected an absolute path)", k->key, Q(v));
        return 0;
    case V_LOCATION: {
        const char *const *sch;
        for (sch = location_schemes; *sch; sch++)
            if (strncmp(v, *sch, strlen(*sch)) == 0)
                break;
        if (!*sch)
            return fail(p, "bad value for %s: '%s' (expected a file://, s3://, s3a://, gs://, "
                           "abfss://, abfs://, az:// or https:// location)", k->key, Q(v));
        const char *rest = v + strlen(*sch);
        if (strcmp(*sch, "file://") == 0 && rest[0] != '/')
            return fail(p, "bad value for %s: '%s' (a file:// location needs an absolute "
                           "path: file:///srv/delta/table)", k->key, Q(v));
        if (!rest[0] || (rest[0] == '/' && strcmp(*sch, "file://") != 0))
            return fail(p, "bad value for %s: '%s' (no bucket, container or host)", k->key,
                        Q(v));
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
                return fail(p, "bad value for %s: control character in '%s'", k->key, Q(v));
        if ((int64_t)n > k->max)
            return fail(p, "value for %s is too long", k->key);
        return 0;
    }
    case V_SECRET:
        if ((int64_t)n > k->max)
            return fail(p, "value for %s is too long (%zu bytes, at most %lld)", k->key, n,
                        (long long)k->max);
        return 0;
    case V_TOKEN_HASH:
        return 0; /* checked by its setter */
    }
    return 0;
}

/* Splits one line (n bytes, NUL-terminated) into key and value; handles
 * comments and quoting.  *hash gets the key's hash for the key index.
 * Returns 1 for a key/value line, 0 for blank/comment, -1 on error. */
static int split_line(struct parser *p, char *line, size_t n, char **key, char **val,
                      unsigned *hash)
{
    char *s = line;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '\0' || *s == '#')
        return 0;
    char *eq = strchr(s, '=');
    if (!eq)
        return fail(p, "expected 'key = value', got '%s'", Q(s));
    char *ke = eq;
    while (ke > s && (ke[-1] == ' ' || ke[-1] == '\t'))
        ke--;
    *ke = '\0';
    *key = s;
    if (!**key)
        return fail(p, "missing key before '='");
    unsigned h = 5381;
    for (const unsigned char *c = (const unsigned char *)*key; *c; c++) {
        if (!key_chars[*c])
            return fail(p, "bad key '%s'", Q(*key));
        h = key_hash_step(h, *c);
    }
    *hash = h;
    char *v = eq + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v == '"') {
        /* quoted: "..." with \" and \\ escapes; keeps '#' and spaces */
        char *o = v, *i = v + 1;
        for (;; i++) {
            if (*i == '\0')
                return fail(p, "unterminated quoted value for %s", Q(*key));
            if (*i == '\\' && (i[1] == '"' || i[1] == '\\')) {
                *o++ = *++i;
                continue;
            }
            if (*i == '"')
                break;
            *o++ = *i;
        }
        *o = '\0';
        char *t = i + 1;
        while (*t == ' ' || *t == '\t')
            t++;
        if (*t && *t != '#')
            return fail(p, "unexpected text after quoted value for %s: '%s'", Q(*key), Q(t));
    } else {
        /* unquoted: a '#' at the start or after whitespace begins a comment */
        char *end = line + n;
        for (char *c = v; (c = memchr(c, '#', (size_t)(end - c))) != NULL; c++)
            if (c == v || c[-1] == ' ' || c[-1] == '\t') {
                *c = '\0';
                end = c;
                break;
            }
        while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (end == v)
            return fail(p, "empty value for %s", Q(*key));
    }
    *val = v;
    return 1;
}

static int handle(struct parser *p, const char *key, unsigned hash, const char *val)
{
    const struct keydef *k = NULL;
    size_t idx = 0;
    for (unsigned j = key_hash_slot(hash); p->key_slot[j]; j = (j + 1) & (KEY_SLOTS - 1)) {
        idx = p->key_slot[j] - 1u;
        if (strcmp(keys[idx].key, key) == 0) {
            k = &keys[idx];
            break;
        }
    }
    if (!k)
        return fail(p, "unknown key '%s'", Q(key));
    p->key = k;
    int opens = p->key_opens[idx];

    if (opens) {
        if (close_stanza(p) < 0)
            return -1;
        if (k->scope == SC_SCHEMA && !p->share)
            return fail(p, "schema.name '%s' must follow a share.name (schemas live in shares)",
                        Q(val));
        if (k->scope == SC_TABLE && !p->schema)
            return fail(p, "table.name '%s' must follow a schema.name (tables live in schemas)",
                        Q(val));
    } else if (k->scope != SC_GLOBAL && p->stanza != k->scope) {
        return fail(p, "%s outside its stanza: it must come after %s.name and before the "
                       "next stanza opens (the open stanza is %s)",
                    key, scope_names[k->scope],
                    p->stanza == SC_GLOBAL ? "none" : scope_names[p->stanza]);
    }
    unsigned char *seen = k->scope == SC_GLOBAL ? p->seen_global : p->seen_obj;
    if (!k->repeatable && !opens) {
        if (seen[idx / 8] & (1u << (idx % 8)))
            return fail(p, "duplicate key %s", key);
        seen[idx / 8] |= (unsigned char)(1u << (idx % 8));
    }
    if (check_value(p, k, val) < 0)
        return -1;
    return k->set(p, val);
}

static int finish(struct parser *p)
{
    ds_catalog *c = p->cat;
    if (close_stanza(p) < 0)
        return -1;
    if (!c->endpoint) {
        p->line = 0;
        ds_error_set(p->err, DS_ERR_CONFIG, "%s: missing required key 'endpoint' (the public "
                                            "URL of the protocol root)", p->file);
        return -1;
    }
    /* resolve recipient grants to canonical share names: the share names
     * in the duplicate set are the shares' own (ds_catalog_share, by hash) */
    for (size_t i = 0; i < c->nrecipients; i++) {
        ds_recipient *r = c->recipients[i];
        for (size_t j = 0; j < r->nshares; j++) {
            const seen_entry *s = seen_find(p, c, r->shares[j]);
            if (!s) {
                p->line = r->shares_line;
                return fail(p, "recipient '%s' is granted share '%s', which is not defined",
                            Q(r->name), Q(r->shares[j]));
            }
            r->shares[j] = s->name;
        }
    }
    /* tables on local disk are read through /files/ links, which need the
     * key; say so at the table rather than fail at the first query */
    if (!c->has_link_key)
        for (size_t i = 0; i < c->nshares; i++)
            for (size_t j = 0; j < c->shares[i]->nschemas; j++)
                for (size_t k = 0; k < c->shares[i]->schemas[j]->ntables; k++) {
                    const ds_table_cfg *t = c->shares[i]->schemas[j]->tables[k];
                    if (strncmp(t->location, "file://", 7) != 0)
                        continue;
                    p->line = t->location_line;
                    return fail(p, "table.location: a table on local disk needs link-key-file "
                                   "to sign its links (create one with 'delta-sharing-admin "
                                   "keygen -o FILE')");
                }
    if (c->file_offload == DS_OFFLOAD_X_ACCEL && !c->file_offload_prefix) {
        p->line = p->offload_line;
        return fail(p, "file-offload = x-accel-redirect needs file-offload-prefix (the URI of "
                       "the internal nginx location that maps to the file system)");
    }
    if (c->file_offload != DS_OFFLOAD_X_ACCEL && c->file_offload_prefix) {
        p->line = p->offload_prefix_line;
        return fail(p, "file-offload-prefix is used only with file-offload = x-accel-redirect");
    }
    /* share and table ids without share.id / table.id are derived from
     * the names when first asked for (ds_share_id, ds_table_id) */
    return 0;
}

static void wipe_text(char *text, size_t len)
{
    sodium_memzero(text, len);
    free(text);
}

/* Parses text (len bytes and a NUL), which the catalog keeps until the
 * generation digest is made; on failure it is wiped and freed here. */
static ds_catalog *parse_owned(const char *name, char *text, size_t len, ds_error *err)
{
    if (sodium_init() < 0) {
        wipe_text(text, len);
        ds_error_set(err, DS_ERR_CONFIG, "%s: libsodium failed to initialise", name);
        return NULL;
    }
    ds_arena *a = ds_arena_new(0);
    if (!a) {
        wipe_text(text, len);
        ds_error_set(err, DS_ERR_CONFIG, "%s: out of memory", name);
        return NULL;
    }
    ds_catalog *c = ds_arena_alloc(a, sizeof *c);
    char *line = malloc(MAX_LINE_BYTES + 1);
    if (!c || !line) {
        free(line);
        ds_arena_free(a);
        wipe_text(text, len);
        ds_error_set(err, DS_ERR_CONFIG, "%s: out of memory", name);
        return NULL;
    }
    memset(c, 0, sizeof *c);
    c->arena = a;
    c->url_ttl = 3600;
    c->max_request_body = 1024 * 1024;
    c->log_requests = 1;
    c->log_fd = -1;
    c->path = ds_arena_strdup(a, name);
    c->text = (unsigned char *)text;
    c->text_len = len;

    struct parser p = {.cat = c, .file = name, .err = err, .stanza = SC_GLOBAL};
    index_keys(&p);
    size_t pos = 0;
    int rc = 0;
    if (memchr(text, '\0', len)) {
        const char *z = memchr(text, '\0', len);
        p.line = 1;
        for (const char *t = text; t < z; t++)
            p.line += *t == '\n';
        rc = fail(&p, "NUL byte in the file (is it a text file?)");
    }
    while (rc == 0 && pos < len) {
        p.line++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        if (n > MAX_LINE_BYTES) {
            rc = fail(&p, "line longer than %u bytes", MAX_LINE_BYTES);
            break;
        }
        memcpy(line, text + pos, n);
        if (n && line[n - 1] == '\r')
            n--;
        line[n] = '\0';
        pos = nl ? (size_t)(nl - text) + 1 : len;
        char *key = NULL, *val = NULL;
        unsigned hash = 0;
        int s = split_line(&p, line, n, &key, &val, &hash);
        if (s < 0)
            rc = -1;
        else if (s > 0)
            rc = handle(&p, key, hash, val);
    }
    free(line);
    if (rc == 0)
        rc = finish(&p);
    free(p.names.v);
    if (rc < 0) {
        ds_catalog_free(c);
        return NULL;
    }
    /* without a key file, page tokens are keyed by the config itself:
     * tamper-evident for anyone who cannot read the config */
    if (!c->has_link_key)
        crypto_generichash(c->token_key, DS_KEY_BYTES, (const unsigned char *)text, len,
                           (const unsigned char *)"delta-sharing-fcgi page tokens", 30);
    return c;
}

ds_catalog *ds_catalog_parse(const char *name, const char *text, size_t len, ds_error *err)
{
    char *copy = malloc(len + 1);
    if (!copy) {
        ds_error_set(err, DS_ERR_CONFIG, "%s: out of memory", name);
        return NULL;
    }
    if (len)
        memcpy(copy, text, len);
    copy[len] = '\0';
    return parse_owned(name, copy, len, err);
}

ds_catalog *ds_catalog_load(const char *path, ds_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ds_error_set(err, DS_ERR_CONFIG, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        ds_error_set(err, DS_ERR_CONFIG, "%s: not a regular file", path);
        return NULL;
    }
    if (st.st_size > (off_t)MAX_CONFIG_BYTES) {
        close(fd);
        ds_error_set(err, DS_ERR_CONFIG, "%s: larger than %u bytes", path, MAX_CONFIG_BYTES);
        return NULL;
    }
    size_t len = (size_t)st.st_size, got = 0;
    char *text = malloc(len + 1);
    if (!text) {
        close(fd);
        ds_error_set(err, DS_ERR_CONFIG, "%s: out of memory", path);
        return NULL;
    }
    while (got < len) {
        ssize_t r = read(fd, text + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : EIO;
            close(fd);
            free(text);
            ds_error_set(err, DS_ERR_CONFIG, "%s: read failed: %s", path, strerror(e));
            return NULL;
        }
        got += (size_t)r;
    }
    close(fd);
    text[len] = '\0';
    return parse_owned(path, text, len, err);
}

void ds_catalog_free(ds_catalog *cat)
{
    if (!cat)
        return;
    if (cat->log_fd >= 0)
        close(cat->log_fd);
    sodium_memzero(cat->link_key, sizeof cat->link_key);
    for (size_t i = 0; i < cat->nstores; i++) {
        ds_store_cfg *st = cat->stores[i];
        const char *secrets[] = {st->secret_access_key, st->session_token, st->hmac_secret};
        for (size_t j = 0; j < sizeof secrets / sizeof *secrets; j++)
            if (secrets[j])
                sodium_memzero((void *)secrets[j], strlen(secrets[j]));
        if (st->account_key)
            sodium_memzero(st->account_key, st->account_key_len);
        ds_rsa_key_free((ds_rsa_key *)st->sa_key);
    }
    sodium_memzero(cat->token_key, sizeof cat->token_key);
    if (cat->text)
        wipe_text((char *)cat->text, cat->text_len);
    ds_arena_free(cat->arena);
}
