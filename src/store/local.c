/* local.c - the local-file store (file:///abs/path URLs). */
#include "config.h"
#include "store/store.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *local_path(const char *url, ds_error *err)
{
    if (strncmp(url, "file://", 7) != 0 || url[7] != '/') {
        ds_error_set(err, DS_ERR_INTERNAL, NULL);
        ds_error_detail(err, "not a file:/// URL: %.200s", url);
        return NULL;
    }
    return url + 7;
}

static ds_status io_error(ds_error *err, const char *what, const char *path, int e)
{
    ds_error_set(err, e == ENOENT || e == ENOTDIR ? DS_ERR_NOT_FOUND : DS_ERR_STORAGE, NULL);
    ds_error_detail(err, "%s %.300s: %s", what, path, strerror(e));
    return err->status;
}

struct name_list {
    char **v;
    size_t n, cap;
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static ds_status local_list(void *ctx, const char *prefix, const char *start_after,
                            ds_store_list_cb cb, void *cb_ctx, ds_error *err)
{
    const char *dir = local_path(prefix, err);
    if (!dir)
        return err->status;
    DIR *d = opendir(dir);
    if (!d)
        return io_error(err, "opendir", dir, errno);
    struct name_list l = {0};
    struct dirent *de;
    ds_status st = DS_OK;
    errno = 0;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (start_after && strcmp(de->d_name, start_after) <= 0)
            continue;
        if (ds_grow((void **)&l.v, &l.cap, l.n, sizeof *l.v, 256) < 0) {
            st = ds_error_set(err, DS_ERR_NOMEM, NULL);
            break;
        }
        if (!(l.v[l.n] = strdup(de->d_name))) {
            st = ds_error_set(err, DS_ERR_NOMEM, NULL);
            break;
        }
        l.n++;
    }
    if (st == DS_OK && errno)
        st = io_error(err, "readdir", dir, errno);
    int dfd = dirfd(d);
    if (st == DS_OK && l.n > 1)
        qsort(l.v, l.n, sizeof *l.v, cmp_names);
    for (size_t i = 0; st == DS_OK && i < l.n; i++) {
        struct stat sb;
        if (fstatat(dfd, l.v[i], &sb, 0) < 0) {
            if (errno == ENOENT)
                continue; /* deleted while listing */
            st = io_error(err, "stat", l.v[i], errno);
            break;
        }
        ds_store_entry e = {
            .name = l.v[i],
            .size = S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0,
            .mtime_ms = (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000,
        };
        if (cb(cb_ctx, &e))
            break;
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
    closedir(d);
    return st;
}

static ds_status local_get(void *ctx, const char *url, ds_buf *out, ds_error *err)
{
    const char *path = local_path(url, err);
    if (!path)
        return err->status;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return io_error(err, "open", path, errno);
    struct stat sb;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return io_error(err, "not a regular file:", path, EISDIR);
    }
    if ((uint64_t)sb.st_size > out->max) {
        close(fd);
        ds_error_set(err, DS_ERR_INTERNAL, NULL);
        ds_error_detail(err, "%.300s is larger than the %zu-byte cap", path, out->max);
        return err->status;
    }
    ds_buf_clear(out);
    char chunk[65536];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return io_error(err, "read", path, e);
        }
        if (r == 0)
            break;
        if (ds_buf_append(out, chunk, (size_t)r) < 0) {
            close(fd);
            ds_error_set(err, DS_ERR_INTERNAL, NULL);
            ds_error_detail(err, "%.300s grew past the %zu-byte cap", path, out->max);
            return err->status;
        }
    }
    close(fd);
    if (!out->data && ds_buf_append(out, "", 0) < 0)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    return DS_OK;
}

static ds_status local_get_range(void *ctx, const char *url, uint64_t off, size_t n,
                                 unsigned char *buf, ds_error *err)
{
    const char *path = local_path(url, err);
    if (!path)
        return err->status;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return io_error(err, "open", path, errno);
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : EIO;
            close(fd);
            if (r == 0) {
                ds_error_set(err, DS_ERR_INTERNAL, NULL);
                ds_error_detail(err, "%.300s: range past the end of the file", path);
                return err->status;
            }
            return io_error(err, "read", path, e);
        }
        got += (size_t)r;
    }
    close(fd);
    return DS_OK;
}

static ds_status local_stat(void *ctx, const char *url, ds_store_entry *out, ds_error *err)
{
    const char *path = local_path(url, err);
    if (!path)
        return err->status;
    struct stat sb;
    if (stat(path, &sb) < 0)
        return io_error(err, "stat", path, errno);
    out->name = NULL;
    out->size = (uint64_t)sb.st_size;
    out->mtime_ms = (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
    return DS_OK;
}

const ds_store_ops ds_local_store = {
    .name = "local",
    .list = local_list,
    .get = local_get,
    .get_range = local_get_range,
    .stat = local_stat,
};
