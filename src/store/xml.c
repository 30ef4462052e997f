/* xml.c - just enough XML for object-store listings: a forward scanner over
 * elements and text (entities and CDATA decoded; comments, processing
 * instructions and declarations skipped), and the two listing shapes the
 * stores answer with: S3's ListBucketResult (S3 and GCS's XML API) and
 * Azure's EnumerationResults.  Anything else malformed is an error, never
 * a guess. */
#include "config.h"
#include "store/xml.h"
#include "util/text.h"
#include <string.h>

#define MAX_DEPTH 16

struct walker {
    const char *p, *end;
    /* element stack: names as pointers into the document */
    const char *name[MAX_DEPTH];
    size_t name_len[MAX_DEPTH];
    int encoded[MAX_DEPTH]; /* Azure: <Name Encoded="true"> */
    int depth;
    ds_buf text; /* decoded text of the innermost element */
};

static int put_utf8(ds_buf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return ds_buf_append(b, u, n);
}

/* Appends the decoded text s[0..n) to b. */
static int decode_text(ds_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *amp = memchr(s + i, '&', n - i);
        size_t run = amp ? (size_t)(amp - (s + i)) : n - i;
        if (run && ds_buf_append(b, s + i, run) < 0)
            return -1;
        i += run;
        if (!amp)
            break;
        const char *semi = memchr(s + i, ';', n - i < 12 ? n - i : 12);
        if (!semi)
            return -1;
        const char *e = s + i + 1;
        size_t el = (size_t)(semi - e);
        char c = 0;
        if (el == 2 && memcmp(e, "lt", 2) == 0)
            c = '<';
        else if (el == 2 && memcmp(e, "gt", 2) == 0)
            c = '>';
        else if (el == 3 && memcmp(e, "amp", 3) == 0)
            c = '&';
        else if (el == 4 && memcmp(e, "quot", 4) == 0)
            c = '"';
        else if (el == 4 && memcmp(e, "apos", 4) == 0)
            c = '\'';
        if (c) {
            if (ds_buf_putc(b, c) < 0)
                return -1;
        } else if (el >= 2 && e[0] == '#') {
            int hex = e[1] == 'x' || e[1] == 'X';
            unsigned long cp = 0;
            size_t k = hex ? 2 : 1;
            if (k >= el)
                return -1;
            for (; k < el; k++) {
                char d = e[k];
                int v = d >= '0' && d <= '9'              ? d - '0'
                        : hex && d >= 'a' && d <= 'f'     ? d - 'a' + 10
                        : hex && d >= 'A' && d <= 'F'     ? d - 'A' + 10
                                                          : -1;
                if (v < 0 || cp > 0x10FFFF)
                    return -1;
                cp = cp * (hex ? 16 : 10) + (unsigned long)v;
            }
            if (put_utf8(b, cp) < 0)
                return -1;
        } else {
            return -1;
        }
        i = (size_t)(semi - s) + 1;
    }
    return 0;
}

static int is_name_char(char c)
{
    return c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '>' && c != '/' && c != '=';
}

/* Event handler: called at the end of each element with its decoded text
 * (whitespace for containers). */
typedef int (*end_fn)(void *ctx, struct walker *w, const char *name, size_t len);

static int name_is(const char *n, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(n, lit, len) == 0;
}

/* Parent of the element that is ending (depth counts it). */
static int parent_is(const struct walker *w, const char *lit)
{
    return w->depth >= 2 && name_is(w->name[w->depth - 2], w->name_len[w->depth - 2], lit);
}

static int walk(struct walker *w, end_fn on_end, void *ctx)
{
    const char *p = w->p, *end = w->end;
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt) {
            for (; p < end; p++)
                if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                    return -1; /* text outside the root */
            break;
        }
        if (lt > p && w->depth > 0 && decode_text(&w->text, p, (size_t)(lt - p)) < 0)
            return -1;
        p = lt + 1;
        if (p >= end)
            return -1;
        if (*p == '?') { /* <?xml ...?> */
            const char *q = p;
            while (q + 1 < end && !(q[0] == '?' && q[1] == '>'))
                q++;
            if (q + 1 >= end)
                return -1;
            p = q + 2;
            continue;
        }
        if (*p == '!') {
            if (end - p >= 3 && memcmp(p, "!--", 3) == 0) {
                const char *q = p + 3;
                while (q + 2 < end && !(q[0] == '-' && q[1] == '-' && q[2] == '>'))
                    q++;
                if (q + 2 >= end)
                    return -1;
                p = q + 3;
            } else if (end - p >= 8 && memcmp(p, "![CDATA[", 8) == 0) {
                const char *q = p + 8;
                while (q + 2 < end && !(q[0] == ']' && q[1] == ']' && q[2] == '>'))
                    q++;
                if (q + 2 >= end || w->depth == 0)
                    return -1;
                if (ds_buf_append(&w->text, p + 8, (size_t)(q - (p + 8))) < 0)
                    return -1;
                p = q + 3;
            } else { /* <!DOCTYPE ...> */
                const char *q = memchr(p, '>', (size_t)(end - p));
                if (!q)
                    return -1;
                p = q + 1;
            }
            continue;
        }
        int closing = *p == '/';
        if (closing)
            p++;
        const char *name = p;
        while (p < end && is_name_char(*p))
            p++;
        size_t nlen = (size_t)(p - name);
        if (nlen == 0)
            return -1;
        const char *gt = memchr(p, '>', (size_t)(end - p));
        if (!gt)
            return -1;
        int selfclose = gt > p && gt[-1] == '/';
        if (closing) {
            if (w->depth == 0 || w->name_len[w->depth - 1] != nlen ||
                memcmp(w->name[w->depth - 1], name, nlen) != 0)
                return -1;
            if (!w->text.data && ds_buf_append(&w->text, "", 0) < 0)
                return -1;
            if (on_end(ctx, w, name, nlen) < 0)
                return -1;
            w->depth--;
            ds_buf_clear(&w->text);
        } else {
            if (w->depth == MAX_DEPTH)
                return -1;
            w->name[w->depth] = name;
            w->name_len[w->depth] = nlen;
            /* attributes: only Encoded="true" matters */
            const char *attrs = p;
            size_t alen = (size_t)(gt - attrs);
            w->encoded[w->depth] = 0;
            for (size_t i = 0; i + 14 <= alen; i++)
                if (memcmp(attrs + i, "Encoded=\"true\"", 14) == 0)
                    w->encoded[w->depth] = 1;
            w->depth++;
            ds_buf_clear(&w->text);
            if (selfclose) {
                if (ds_buf_append(&w->text, "", 0) < 0 || on_end(ctx, w, name, nlen) < 0)
                    return -1;
                w->depth--;
            }
        }
        p = gt + 1;
    }
    return w->depth == 0 ? 0 : -1;
}

/* ---- S3 / GCS ListBucketResult ------------------------------------------ */

struct s3_ctx {
    ds_xml_entry_cb cb;
    void *cb_ctx;
    ds_buf key;
    int64_t size, mtime_ms;
    int have_key, have_size;
    int truncated, stop, is_v1;
    ds_buf *next;
    int bad_field;
    int saw_root;
};

static int s3_end(void *ctx, struct walker *w, const char *n, size_t len)
{
    struct s3_ctx *c = ctx;
    const char *t = w->text.data;
    if (w->depth == 1) {
        c->saw_root = name_is(n, len, "ListBucketResult");
        return 0;
    }
    if (parent_is(w, "Contents")) {
        if (name_is(n, len, "Key")) {
            ds_buf_clear(&c->key);
            if (ds_buf_puts(&c->key, t) < 0)
                return -1;
            c->have_key = 1;
        } else if (name_is(n, len, "Size")) {
            if (ds_parse_i64(t, 0, INT64_MAX, &c->size) < 0)
                return c->bad_field = 1, -1;
            c->have_size = 1;
        } else if (name_is(n, len, "LastModified")) {
            if (ds_time_parse(t, &c->mtime_ms) < 0)
                return c->bad_field = 1, -1;
        }
        return 0;
    }
    if (name_is(n, len, "Contents") && w->depth == 2) {
        if (!c->have_key || !c->have_size)
            return c->bad_field = 1, -1;
        if (!c->stop && c->cb(c->cb_ctx, c->key.data, (uint64_t)c->size, c->mtime_ms))
            c->stop = 1;
        c->have_key = c->have_size = 0;
        c->mtime_ms = 0;
        return 0;
    }
    if (w->depth == 2) {
        if (name_is(n, len, "IsTruncated"))
            c->truncated = strcmp(t, "true") == 0;
        else if (name_is(n, len, "NextContinuationToken") ||
                 (name_is(n, len, "NextMarker") && !c->next->len)) {
            ds_buf_clear(c->next);
            if (ds_buf_puts(c->next, t) < 0)
                return -1;
        }
    }
    return 0;
}

static ds_status bad_answer(ds_error *err, const char *what)
{
    ds_error_set(err, DS_ERR_STORAGE, "The table's storage gave an answer that could not be read.");
    ds_error_detail(err, "%s", what);
    return err->status;
}

ds_status ds_xml_s3_list(const char *xml, size_t n, ds_xml_entry_cb cb, void *cb_ctx,
                         int *truncated, ds_buf *next, int *stopped, ds_error *err)
{
    struct walker w = {.p = xml, .end = xml + n};
    struct s3_ctx c = {.cb = cb, .cb_ctx = cb_ctx, .next = next};
    ds_buf_init(&w.text, 1u << 20);
    ds_buf_init(&c.key, 4096);
    ds_buf_clear(next);
    int rc = walk(&w, s3_end, &c);
    ds_buf_free(&w.text);
    ds_buf_free(&c.key);
    if (rc < 0 || !c.saw_root)
        return bad_answer(err, c.bad_field ? "listing: an entry lacks Key or Size, or has a bad "
                                             "Size or LastModified"
                               : rc < 0   ? "listing: malformed XML"
                                          : "listing: not a ListBucketResult");
    *truncated = c.truncated;
    *stopped = c.stop;
    return DS_OK;
}

/* ---- Azure EnumerationResults ------------------------------------------- */

struct az_ctx {
    ds_xml_entry_cb cb;
    void *cb_ctx;
    ds_buf name;
    int64_t size, mtime_ms;
    int have_name, have_size, stop, bad_field, saw_root;
    ds_buf *next;
};

static int az_end(void *ctx, struct walker *w, const char *n, size_t len)
{
    struct az_ctx *c = ctx;
    const char *t = w->text.data;
    if (w->depth == 1) {
        c->saw_root = name_is(n, len, "EnumerationResults");
        return 0;
    }
    if (name_is(n, len, "Name") && parent_is(w, "Blob")) {
        ds_buf_clear(&c->name);
        if (w->encoded[w->depth - 1]) {
            /* names with characters XML cannot carry come percent-encoded */
            size_t tl = strlen(t);
            char *o = ds_buf_reserve(&c->name, tl + 1);
            long dl = o ? ds_pct_decode(t, tl, o, 0) : -1;
            if (dl < 0)
                return c->bad_field = 1, -1;
            ds_buf_commit(&c->name, (size_t)dl);
        } else if (ds_buf_puts(&c->name, t) < 0) {
            return -1;
        }
        c->have_name = 1;
    } else if (parent_is(w, "Properties") && w->depth == 5) {
        if (name_is(n, len, "Content-Length")) {
            if (ds_parse_i64(t, 0, INT64_MAX, &c->size) < 0)
                return c->bad_field = 1, -1;
            c->have_size = 1;
        } else if (name_is(n, len, "Last-Modified")) {
            int64_t s;
            if (ds_http_date_parse(t, &s) < 0)
                return c->bad_field = 1, -1;
            c->mtime_ms = s * 1000;
        }
    } else if (name_is(n, len, "Blob") && parent_is(w, "Blobs")) {
        if (!c->have_name || !c->have_size)
            return c->bad_field = 1, -1;
        if (!c->stop && c->cb(c->cb_ctx, c->name.data, (uint64_t)c->size, c->mtime_ms))
            c->stop = 1;
        c->have_name = c->have_size = 0;
        c->mtime_ms = 0;
    } else if (name_is(n, len, "NextMarker") && w->depth == 2) {
        ds_buf_clear(c->next);
        if (ds_buf_puts(c->next, t) < 0)
            return -1;
    }
    return 0;
}

ds_status ds_xml_azure_list(const char *xml, size_t n, ds_xml_entry_cb cb, void *cb_ctx,
                            ds_buf *next, int *stopped, ds_error *err)
{
    struct walker w = {.p = xml, .end = xml + n};
    struct az_ctx c = {.cb = cb, .cb_ctx = cb_ctx, .next = next};
    ds_buf_init(&w.text, 1u << 20);
    ds_buf_init(&c.name, 4096);
    ds_buf_clear(next);
    /* a UTF-8 byte order mark may lead the document */
    if (n >= 3 && memcmp(xml, "\xEF\xBB\xBF", 3) == 0)
        w.p += 3;
    int rc = walk(&w, az_end, &c);
    ds_buf_free(&w.text);
    ds_buf_free(&c.name);
    if (rc < 0 || !c.saw_root)
        return bad_answer(err, c.bad_field ? "listing: a blob lacks Name or Content-Length, or "
                                             "has a bad one"
                               : rc < 0   ? "listing: malformed XML"
                                          : "listing: not an EnumerationResults");
    *stopped = c.stop;
    return DS_OK;
}
