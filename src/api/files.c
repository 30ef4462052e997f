/* files.c - GET|HEAD /files/{token}/{*path}?sp=r&sig=...: the downloads
 * behind the links that the local signer (store/sign_local.c) hands out for
 * the files of tables on local disk.  No bearer token: the link is the
 * credential.  The token (one per table, recipient and expiry second) seals
 * where the table lives and for whom; the path after it, each segment
 * percent-decoded once and joined with '/' by the router, is the object
 * below the table root; sig, a keyed hash of the token's tag and that
 * decoded path, binds the two (doc/internals/links.md).
 *
 * Order of checks: the link (a clean path, the AEAD, the sig, the
 * expiry), that its table and recipient are still in the catalog, then
 * the file itself: the real path of the object must lie strictly below the
 * real path of the table root (no symbolic link out of the table) and be a
 * regular file.  Then either the bytes are streamed (single byte ranges,
 * conditional requests, pread in fixed chunks) or, with file-offload, the
 * web server is told which file to send.  Every refusal of a link has one
 * public message; the reason goes to the log only.
 */
#include "config.h"
#include "api/api.h"
#include "auth/auth.h"
#include "server.h"
#include "store/sign.h"
#include "util/text.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_CHUNK (256u * 1024)
#define CT_OCTETS "application/octet-stream"
#define CACHE_CONTROL "Cache-Control: private, no-transform"
#define LINK_DENIED "This link is not valid, or it has expired."
#define FILE_REFUSED "The file of this link cannot be served."
#define FILE_MISSING "The file of this link does not exist."

static ds_status link_denied(ds_error *err, const char *why)
{
    ds_error_set(err, DS_ERR_FORBIDDEN, LINK_DENIED);
    ds_error_detail(err, "link refused: %s", why);
    return err->status;
}

/* The link was sealed with our key; is what it grants still granted?  A
 * table removed from the config or moved, a recipient removed, expired or
 * no longer granted the share: the link dies with the restart that applied
 * the change, not at its expiry.  Only the built-in catalog and bearer
 * recipients can be checked; an embedder's own seams answer for theirs. */
static ds_status still_granted(const ds_request *req, const ds_local_link *l, ds_error *err)
{
    const ds_server *srv = req->srv;
    const ds_catalog *cat = srv->cat;
    const ds_link_owner *o = &l->owner;
    if (srv->disc == &ds_catalog_discovery && o->share[0] && o->schema[0] && o->table[0]) {
        const ds_share_cfg *sh = ds_catalog_share(cat, o->share);
        const ds_schema_cfg *sc = sh ? ds_catalog_schema(sh, o->schema) : NULL;
        const ds_table_cfg *t = sc ? ds_catalog_table(sc, o->table) : NULL;
        if (!t)
            return link_denied(err, "its table is no longer in the config");
        size_t n = strlen(t->location);
        while (n > 8 && t->location[n - 1] == '/')
            n--;
        if (strlen(l->root) != n || strncmp(t->location, l->root, n) != 0)
            return link_denied(err, "its table has moved");
    }
    if (srv->auth == &ds_bearer_auth && o->recipient[0]) {
        const ds_recipient *r = NULL;
        for (size_t i = 0; i < cat->nrecipients && !r; i++)
            if (ds_strcaseeq(cat->recipients[i]->name, o->recipient))
                r = cat->recipients[i];
        if (!r)
            return link_denied(err, "its recipient is no longer in the config");
        if (r->expires_ms && ds_now_ms() >= r->expires_ms)
            return link_denied(err, "its recipient has expired");
        if (o->share[0] && !ds_recipient_may_see(r, o->share))
            return link_denied(err, "its recipient is no longer granted the share");
    }
    return DS_OK;
}

/* ---- the file ------------------------------------------------------------ */

struct file {
    int fd;
    struct stat st;
    char path[PATH_MAX]; /* resolved */
    char etag[24];       /* "<16 hex>" with the quotes */
    char modified[DS_HTTP_DATE_LEN];
};

static ds_status io_failure(ds_error *err, const char *what, const char *path, int e)
{
    if (e == ENOENT || e == ENOTDIR) {
        ds_error_set(err, DS_ERR_NOT_FOUND, FILE_MISSING);
    } else if (e == ELOOP || e == ENAMETOOLONG) {
        ds_error_set(err, DS_ERR_FORBIDDEN, FILE_REFUSED);
    } else {
        ds_error_set(err, DS_ERR_STORAGE, NULL);
    }
    ds_error_detail(err, "%s %.400s: %s", what, path, strerror(e));
    return err->status;
}

/* 1 when path lies strictly below dir (both resolved). */
static int below(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return path[0] == '/' && path[1] != '\0';
    return strncmp(path, dir, n) == 0 && path[n] == '/' && path[n + 1] != '\0';
}

/* Resolves and opens the link's file; fills f (fd >= 0 on success). */
static ds_status open_file(ds_request *req, const ds_local_link *l, struct file *f,
                           ds_error *err)
{
    f->fd = -1;
    const char *rootdir = l->root + 7; /* after "file://" */
    char root[PATH_MAX];
    if (!realpath(rootdir, root))
        return io_failure(err, "table root", rootdir, errno);
    const char *full = ds_arena_printf(req->arena, "%s%s%s", rootdir,
                                       strcmp(rootdir, "/") == 0 ? "" : "/", l->relpath);
    if (!full)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    if (strlen(full) >= PATH_MAX)
        return io_failure(err, "file", full, ENAMETOOLONG);
    if (!realpath(full, f->path))
        return io_failure(err, "file", full, errno);
    if (!below(f->path, root)) {
        ds_error_set(err, DS_ERR_FORBIDDEN, FILE_REFUSED);
        ds_error_detail(err, "%.300s resolves to %.300s, outside the table root %.300s", full,
                        f->path, root);
        return err->status;
    }
    /* O_NOFOLLOW and O_NONBLOCK: a last component swapped for a link or
     * a FIFO since realpath() cannot redirect or hang the open */
    f->fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
    if (f->fd < 0)
        return io_failure(err, "open", f->path, errno);
    if (fstat(f->fd, &f->st) < 0)
        return io_failure(err, "fstat", f->path, errno);
    if (!S_ISREG(f->st.st_mode)) {
        ds_error_set(err, DS_ERR_FORBIDDEN, FILE_REFUSED);
        ds_error_detail(err, "%.400s is not a regular file", f->path);
        return err->status;
    }
    /* a directory on the way swapped for a link since realpath(): where
     * the kernel says the open file is must still be below the root */
    char proc[64], now[PATH_MAX];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->fd);
    ssize_t n = readlink(proc, now, sizeof now - 1);
    if (n > 0) {
        now[n] = '\0';
        if (!below(now, root)) {
            ds_error_set(err, DS_ERR_FORBIDDEN, FILE_REFUSED);
            ds_error_detail(err, "%.300s moved outside the table root to %.300s", f->path,
                            now);
            return err->status;
        }
    }
    /* validators: a strong ETag that changes with the file (device, inode,
     * size, modification time to the nanosecond), and the mtime */
    int64_t v[5] = {(int64_t)f->st.st_dev, (int64_t)f->st.st_ino, (int64_t)f->st.st_size,
                    (int64_t)f->st.st_mtim.tv_sec, (int64_t)f->st.st_mtim.tv_nsec};
    unsigned char h[8];
    char hex[17];
    crypto_generichash(h, sizeof h, (const unsigned char *)v, sizeof v, NULL, 0);
    ds_hex_encode(h, sizeof h, hex);
    snprintf(f->etag, sizeof f->etag, "\"%s\"", hex);
    ds_http_date_format((int64_t)f->st.st_mtim.tv_sec, f->modified);
    return DS_OK;
}

/* ---- request headers ------------------------------------------------------ */

static const char *skip_ows(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* If-None-Match: "*" or a list of entity tags, compared weakly (W/ is
 * ignored).  1 on a match; a malformed list matches nothing. */
static int none_match(const char *h, const char *etag)
{
    const char *s = h;
    size_t el = strlen(etag);
    for (;;) {
        s = skip_ows(s);
        while (*s == ',')
            s = skip_ows(s + 1);
        if (!*s)
            return 0;
        if (*s == '*')
            return 1;
        if (s[0] == 'W' && s[1] == '/')
            s += 2;
        if (*s != '"')
            return 0;
        const char *e = strchr(s + 1, '"');
        if (!e)
            return 0;
        if ((size_t)(e + 1 - s) == el && memcmp(s, etag, el) == 0)
            return 1;
        s = skip_ows(e + 1);
        if (*s && *s != ',')
            return 0;
    }
}

/* A trimmed copy of a header value in a small buffer; NULL if too long. */
static const char *trimmed(const char *h, char *buf, size_t sz)
{
    h = skip_ows(h);
    size_t n = strlen(h);
    while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    if (n >= sz)
        return NULL;
    memcpy(buf, h, n);
    buf[n] = '\0';
    return buf;
}

/* If-Range: serve the range only when the validator is exactly ours (a
 * strong ETag, or the Last-Modified date). */
static int if_range_holds(const char *h, const struct file *f)
{
    char buf[64];
    const char *v = trimmed(h, buf, sizeof buf);
    if (!v)
        return 0;
    if (v[0] == '"')
        return strcmp(v, f->etag) == 0;
    int64_t secs;
    return ds_http_date_parse(v, &secs) == 0 && secs == (int64_t)f->st.st_mtim.tv_sec;
}

/* Digits with saturation: huge numbers are still numbers.  Advances *s;
 * -1 when there is no digit. */
static int digits_u64(const char **s, uint64_t *out)
{
    const char *p = *s;
    uint64_t v = 0;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
    }
    *s = p;
    *out = v;
    return 0;
}

enum { RANGE_IGNORE, RANGE_ONE, RANGE_UNSATISFIABLE };

/* Range (RFC 9110 14.1-14.2) for a representation of `size` bytes.  One
 * byte range is served; several ranges, another unit or bad syntax mean
 * the header is ignored (the whole file is sent). */
static int parse_range(const char *h, uint64_t size, uint64_t *first, uint64_t *last)
{
    const char *s = skip_ows(h);
    if (strncasecmp(s, "bytes=", 6) != 0)
        return RANGE_IGNORE;
    s += 6;
    int n = 0;
    uint64_t a = 0, b = 0;
    int suffix = 0, open_end = 0;
    for (;;) {
        s = skip_ows(s);
        if (*s == ',') {
            s++;
            continue;
        }
        if (!*s)
            break;
        if (++n > 1)
            return RANGE_IGNORE;
        if (*s == '-') {
            s++;
            suffix = 1;
            if (digits_u64(&s, &b) < 0)
                return RANGE_IGNORE;
        } else {
            if (digits_u64(&s, &a) < 0 || *s++ != '-')
                return RANGE_IGNORE;
            if (*s >= '0' && *s <= '9') {
                digits_u64(&s, &b);
                if (b < a)
                    return RANGE_IGNORE;
            } else {
                open_end = 1;
            }
        }
        s = skip_ows(s);
        if (*s && *s != ',')
            return RANGE_IGNORE;
    }
    if (n == 0)
        return RANGE_IGNORE;
    if (suffix) {
        if (b == 0 || size == 0)
            return RANGE_UNSATISFIABLE;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return RANGE_ONE;
    }
    if (a >= size)
        return RANGE_UNSATISFIABLE;
    *first = a;
    *last = open_end || b >= size ? size - 1 : b;
    return RANGE_ONE;
}

/* ---- responses ------------------------------------------------------------ */

/* Percent-encodes every byte but unreserved characters and '/'. */
static char *pct_path(ds_arena *a, const char *prefix, const char *path)
{
    size_t pl = strlen(prefix), n = strlen(path);
    char *o = ds_arena_alloc(a, pl + 3 * n + 1);
    if (!o)
        return NULL;
    memcpy(o, prefix, pl);
    size_t k = pl;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
            o[k++] = (char)c;
        } else {
            static const char hx[] = "0123456789ABCDEF";
            o[k++] = '%';
            o[k++] = hx[c >> 4];
            o[k++] = hx[c & 15];
        }
    }
    o[k] = '\0';
    return o;
}

static ds_status send_offload(ds_request *req, const struct file *f, ds_error *err)
{
    const ds_catalog *cat = req->srv->cat;
    int accel = cat->file_offload == DS_OFFLOAD_X_ACCEL;
    char *v = pct_path(req->arena, accel ? cat->file_offload_prefix : "", f->path);
    const char *h = v ? ds_arena_printf(req->arena, "%s: %s",
                                        accel ? "X-Accel-Redirect" : "X-Sendfile", v)
                      : NULL;
    if (!h)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    const char *hdrs[] = {CACHE_CONTROL, h};
    /* no Content-Length: the web server sends the file, ranges and all */
    ds_resp_start(req, 200, CT_OCTETS, hdrs, 2, -1);
    return DS_OK;
}

static ds_status send_unsatisfiable(ds_request *req, const struct file *f)
{
    char cr[64], body[160];
    snprintf(cr, sizeof cr, "Content-Range: bytes */%" PRIu64, (uint64_t)f->st.st_size);
    int n = snprintf(body, sizeof body,
                     "{\"errorCode\":\"INVALID_PARAMETER_VALUE\",\"message\":\"The requested "
                     "range is not satisfiable: the file has %" PRIu64 " bytes.\"}\n",
                     (uint64_t)f->st.st_size);
    const char *hdrs[] = {cr, "Accept-Ranges: bytes", CACHE_CONTROL};
    if (ds_resp_start(req, 416, "application/json; charset=utf-8", hdrs, 3, n) == 0 &&
        !req->head)
        ds_resp_write(req, body, (size_t)n);
    return DS_OK;
}

/* Streams [first, first+len) in chunks; memory does not grow with the
 * file.  A file that shrinks under us ends the body short (logged). */
static ds_status stream(ds_request *req, const struct file *f, uint64_t first, uint64_t len,
                        ds_error *err)
{
    char *buf = ds_arena_alloc(req->arena, FILE_CHUNK);
    if (!buf)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    uint64_t off = first, left = len;
    while (left > 0) {
        size_t want = left < FILE_CHUNK ? (size_t)left : FILE_CHUNK;
        ssize_t r = pread(f->fd, buf, want, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ds_error_set(err, DS_ERR_STORAGE, NULL);
            ds_error_detail(err, "read %.400s at %" PRIu64 ": %s", f->path, off,
                            strerror(errno));
            return err->status;
        }
        if (r == 0) {
            ds_error_set(err, DS_ERR_STORAGE, NULL);
            ds_error_detail(err, "%.400s shrank while being sent: %" PRIu64 " of %" PRIu64
                                 " bytes sent", f->path, len - left, len);
            return err->status;
        }
        if (ds_resp_write(req, buf, (size_t)r) < 0)
            return DS_OK; /* the client went away: logged as client-gone */
        off += (uint64_t)r;
        left -= (uint64_t)r;
    }
    return DS_OK;
}

static ds_status send_file(ds_request *req, const struct file *f, ds_error *err)
{
    uint64_t size = (uint64_t)f->st.st_size;
    char lm[64], et[64];
    snprintf(lm, sizeof lm, "Last-Modified: %s", f->modified);
    snprintf(et, sizeof et, "ETag: %s", f->etag);

    /* conditional requests (RFC 9110 13.2.2): If-None-Match, else
     * If-Modified-Since; a match is 304 for GET and HEAD alike */
    const char *inm = ds_request_header(req, "If-None-Match");
    const char *ims = ds_request_header(req, "If-Modified-Since");
    int not_modified = 0;
    if (inm) {
        not_modified = none_match(inm, f->etag);
    } else if (ims) {
        char buf[64];
        const char *v = trimmed(ims, buf, sizeof buf);
        int64_t secs;
        not_modified = v && ds_http_date_parse(v, &secs) == 0 &&
                       (int64_t)f->st.st_mtim.tv_sec <= secs;
    }
    if (not_modified) {
        const char *hdrs[] = {et, lm, CACHE_CONTROL};
        ds_resp_start(req, 304, NULL, hdrs, 3, -1);
        return DS_OK;
    }

    uint64_t first = 0, last = size ? size - 1 : 0;
    int range = RANGE_IGNORE;
    const char *rh = req->head ? NULL : ds_request_header(req, "Range");
    if (rh) {
        const char *ifr = ds_request_header(req, "If-Range");
        if (!ifr || if_range_holds(ifr, f))
            range = parse_range(rh, size, &first, &last);
    }
    if (range == RANGE_UNSATISFIABLE)
        return send_unsatisfiable(req, f);

    const char *hdrs[6] = {"Accept-Ranges: bytes", lm, et, CACHE_CONTROL};
    size_t nh = 4;
    char cr[96];
    uint64_t len = size;
    int status = 200;
    if (range == RANGE_ONE) {
        status = 206;
        len = last - first + 1;
        snprintf(cr, sizeof cr, "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first,
                 last, size);
        hdrs[nh++] = cr;
    }
    if (ds_resp_start(req, status, CT_OCTETS, hdrs, nh, (int64_t)len) < 0 || req->head)
        return DS_OK;
    return stream(req, f, first, len, err);
}

ds_status ds_api_file(ds_request *req, ds_error *err)
{
    const char *token = ds_route_arg(req, "token");
    /* the object path: the route matched one segment or more, so NULL
     * means the arena could not hold the joined copy */
    const char *path = ds_route_rest(req, "path");
    const char *sig = ds_request_param(req, "sig");
    if (!path)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    if (!sig)
        return ds_error_set(err, DS_ERR_FORBIDDEN,
                            "This link is incomplete: its 'sig' query parameter is missing.");
    ds_local_link link;
    if (ds_local_link_open(req->srv->cat, req->arena, token, path, sig, &link, err) != DS_OK)
        return err->status;
    req->log_recipient = link.owner.recipient;
    req->log_share = link.owner.share;
    req->log_schema = link.owner.schema;
    req->log_table = link.owner.table;
    if (still_granted(req, &link, err) != DS_OK)
        return err->status;
    struct file f;
    ds_status st = open_file(req, &link, &f, err);
    if (st == DS_OK)
        st = req->srv->cat->file_offload != DS_OFFLOAD_NONE ? send_offload(req, &f, err)
                                                            : send_file(req, &f, err);
    if (f.fd >= 0)
        close(f.fd);
    return st;
}
