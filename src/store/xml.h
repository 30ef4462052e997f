/* xml.h - parsers for object-store listing answers (see xml.c). */
#ifndef DS_XML_H
#define DS_XML_H
#include "deltasharing.h"
#include "util/buf.h"
#include <stdint.h>

/* One listed object: its full key (decoded), size and modification time
 * (ms since the epoch; 0 when the answer gave none).  Return 1 to stop. */
typedef int (*ds_xml_entry_cb)(void *ctx, const char *key, uint64_t size, int64_t mtime_ms);

/* S3 ListObjectsV2 / V1 and GCS XML API answers (ListBucketResult):
 * each Contents goes to cb in document order; *truncated from IsTruncated;
 * next gets NextContinuationToken (or V1's NextMarker), empty when absent.
 * *stopped: cb asked to stop.  Malformed XML, a Contents without Key or
 * Size, or another root element is DS_ERR_STORAGE. */
ds_status ds_xml_s3_list(const char *xml, size_t n, ds_xml_entry_cb cb, void *cb_ctx,
                         int *truncated, ds_buf *next, int *stopped, ds_error *err);

/* Azure List Blobs answers (EnumerationResults): each Blob (Name,
 * Properties/Content-Length, Properties/Last-Modified) to cb; next gets
 * NextMarker (empty on the last page).  Names sent with Encoded="true" are
 * percent-decoded. */
ds_status ds_xml_azure_list(const char *xml, size_t n, ds_xml_entry_cb cb, void *cb_ctx,
                            ds_buf *next, int *stopped, ds_error *err);
#endif
