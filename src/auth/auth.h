/* auth.h - the built-in authentication: bearer tokens whose SHA-256 is in
 * the config (recipient.token-sha256). */
#ifndef DS_AUTH_H
#define DS_AUTH_H
#include "deltasharing.h"

/* ctx: the ds_catalog. */
extern const ds_auth_ops ds_bearer_auth;

/* Extracts the token from an Authorization value ("Bearer <token68>").
 * Returns a pointer into value and its length, or NULL when malformed. */
const char *ds_bearer_token(const char *value, size_t *len);
#endif
