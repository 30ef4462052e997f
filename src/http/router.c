/* router.c - the route table and its matcher.  Adding an endpoint adds one
 * row here; authentication and 404/405 are decided before dispatch. */
#include "config.h"
#include "api/api.h"
#include "http/http.h"
#include <stdio.h>
#include <string.h>

const ds_route ds_routes[] = {
    {"GET", "/shares", ds_api_list_shares, DS_ROUTE_AUTH},
    {"GET", "/shares/{share}", ds_api_get_share, DS_ROUTE_AUTH},
    {"GET", "/shares/{share}/schemas", ds_api_list_schemas, DS_ROUTE_AUTH},
    {"GET", "/shares/{share}/schemas/{schema}/tables", ds_api_list_tables, DS_ROUTE_AUTH},
    {"GET", "/shares/{share}/all-tables", ds_api_list_all_tables, DS_ROUTE_AUTH},
    {"GET", "/shares/{share}/schemas/{schema}/tables/{table}/version", ds_api_table_version,
     DS_ROUTE_AUTH},
    {"HEAD", "/shares/{share}/schemas/{schema}/tables/{table}", ds_api_table_version,
     DS_ROUTE_AUTH},
    {"GET", "/shares/{share}/schemas/{schema}/tables/{table}/metadata", ds_api_table_metadata,
     DS_ROUTE_AUTH},
    {"POST", "/shares/{share}/schemas/{schema}/tables/{table}/query", ds_api_table_query,
     DS_ROUTE_AUTH | DS_ROUTE_BODY},
    {"GET", "/shares/{share}/schemas/{schema}/tables/{table}/changes", ds_api_table_changes,
     DS_ROUTE_AUTH},
    /* the link is the credential: no bearer token (clients fetch these URLs
     * without one); the token is never logged, having no share/schema/table name */
    {"GET", "/files/{token}/{*path}", ds_api_file, 0},
};
const size_t ds_nroutes = sizeof ds_routes / sizeof ds_routes[0];

/* Compares the request's segments with a pattern; 1 on a match. */
static int path_matches(const ds_request *req, const char *pattern)
{
    size_t i = 0;
    const char *p = pattern;
    while (*p == '/') {
        p++;
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (i >= req->nsegs)
            return 0;
        if (p[0] == '{' && p[1] == '*')
            return 1; /* the rest, at least one segment */
        if (p[0] != '{' && (strlen(req->segs[i]) != n || memcmp(req->segs[i], p, n) != 0))
            return 0;
        i++;
        p += n;
    }
    return i == req->nsegs;
}

ds_status ds_route_match(ds_request *req, const ds_route **out, ds_error *err)
{
    size_t used = 0;
    req->allow[0] = '\0';
    *out = NULL;
    int path_found = 0;
    for (size_t i = 0; i < ds_nroutes; i++) {
        if (!path_matches(req, ds_routes[i].pattern))
            continue;
        path_found = 1;
        if (strcmp(ds_routes[i].method, req->method) == 0 ||
            (req->head && strcmp(ds_routes[i].method, "GET") == 0)) {
            *out = &ds_routes[i];
            req->route = ds_routes[i].pattern;
            return DS_OK;
        }
        int n = snprintf(req->allow + used, sizeof req->allow - used, "%s%s",
                         used ? ", " : "", ds_routes[i].method);
        if (n > 0 && (size_t)n < sizeof req->allow - used)
            used += (size_t)n;
        if (strcmp(ds_routes[i].method, "GET") == 0) {
            n = snprintf(req->allow + used, sizeof req->allow - used, ", HEAD");
            if (n > 0 && (size_t)n < sizeof req->allow - used)
                used += (size_t)n;
        }
    }
    if (!path_found)
        return ds_error_set(err, DS_ERR_NOT_FOUND, "No such endpoint.");
    return ds_error_set(err, DS_ERR_METHOD, "The method %.16s is not allowed here.",
                        req->method);
}

/* Index of the segment the placeholder "{name}" (or "{*name}" when rest)
 * of the matched route stands for, or -1. */
static long placeholder_at(const ds_request *req, const char *name, int rest)
{
    size_t i = 0, nl = strlen(name), skip = rest ? 2 : 1;
    const char *p = req->route;
    if (!p)
        return -1;
    while (*p == '/') {
        p++;
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (p[0] == '{' && (p[1] == '*') == rest && n == nl + skip + 1 &&
            memcmp(p + skip, name, nl) == 0)
            return i < req->nsegs ? (long)i : -1;
        i++;
        p += n;
    }
    return -1;
}

const char *ds_route_arg(const ds_request *req, const char *name)
{
    long i = placeholder_at(req, name, 0);
    return i < 0 ? NULL : req->segs[i];
}

const char *ds_route_rest(const ds_request *req, const char *name)
{
    long at = placeholder_at(req, name, 1);
    if (at < 0)
        return NULL;
    size_t len = 0;
    for (size_t k = (size_t)at; k < req->nsegs; k++)
        len += strlen(req->segs[k]) + 1;
    char *out = ds_arena_alloc(req->arena, len), *o = out;
    if (!out)
        return NULL;
    for (size_t k = (size_t)at; k < req->nsegs; k++) {
        size_t sl = strlen(req->segs[k]);
        memcpy(o, req->segs[k], sl);
        o += sl;
        *o++ = k + 1 < req->nsegs ? '/' : '\0';
    }
    return out;
}
