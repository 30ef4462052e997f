/* server.h - the server object shared by the front end and the handlers. */
#ifndef DS_SERVER_H
#define DS_SERVER_H
#include "catalog/catalog.h"
#include "deltasharing.h"
#include "util/arena.h"

struct ds_server {
    ds_catalog *cat;
    const ds_auth_ops *auth;
    void *auth_ctx;
    const ds_discovery_ops *disc;
    void *disc_ctx;
    ds_log_fn log;
    void *log_ctx;
    ds_arena *arena; /* reset after every request */
};
#endif
