/* md5.h - MD5 (RFC 1321), only for the parquet-format file ids of protocol
 * 5.5, which are defined as the MD5 hex of the path.  Not for security. */
#ifndef DS_MD5_H
#define DS_MD5_H
#include <stddef.h>

#define DS_MD5_BYTES 16
void ds_md5(const void *data, size_t n, unsigned char out[DS_MD5_BYTES]);
#endif
