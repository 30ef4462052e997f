/* codec.c - page decompression through the system libraries: snappy (raw
 * block format), gzip (zlib, gzip or zlib framing, concatenated members)
 * and zstd (one or more frames).  The decompressed size must be exactly
 * the size the page header declares. */
#include "config.h"
#include "parquet/pq_internal.h"
#include <limits.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

const char *ds_pq_codec_name(int codec)
{
    switch (codec) {
    case DS_PQC_UNCOMPRESSED:
        return "UNCOMPRESSED";
    case DS_PQC_SNAPPY:
        return "SNAPPY";
    case DS_PQC_GZIP:
        return "GZIP";
    case DS_PQC_LZO:
        return "LZO";
    case DS_PQC_BROTLI:
        return "BROTLI";
    case DS_PQC_LZ4:
        return "LZ4";
    case DS_PQC_ZSTD:
        return "ZSTD";
    case DS_PQC_LZ4_RAW:
        return "LZ4_RAW";
    default:
        return "unknown";
    }
}

int ds_pq_codec_supported(int codec)
{
    return codec == DS_PQC_UNCOMPRESSED || codec == DS_PQC_SNAPPY || codec == DS_PQC_GZIP ||
           codec == DS_PQC_ZSTD;
}

static int size_mismatch(ds_error *err, const char *codec, size_t want)
{
    ds_pq_corrupt(err, "%s page does not decompress to the declared %zu bytes", codec, want);
    return -1;
}

static int gunzip(const unsigned char *src, size_t sn, unsigned char *dst, size_t dn,
                  ds_error *err)
{
    if (sn > UINT_MAX || dn > UINT_MAX)
        return size_mismatch(err, "GZIP", dn);
    z_stream z = {0};
    unsigned char dummy;
    if (inflateInit2(&z, 15 + 32) != Z_OK) {
        ds_error_set(err, DS_ERR_NOMEM, "cannot start zlib");
        return -1;
    }
    z.next_in = (unsigned char *)src;
    z.avail_in = (unsigned)sn;
    z.next_out = dn ? dst : &dummy;
    z.avail_out = (unsigned)dn;
    int rc = -1;
    for (;;) {
        int r = inflate(&z, Z_FINISH);
        if (r == Z_STREAM_END) {
            if (z.avail_in == 0) {
                rc = z.avail_out == 0 ? 0 : size_mismatch(err, "GZIP", dn);
                break;
            }
            /* another gzip member follows */
            if (inflateReset(&z) != Z_OK) {
                ds_pq_corrupt(err, "GZIP page is corrupt");
                break;
            }
            continue;
        }
        if (r == Z_BUF_ERROR && z.avail_out == 0) {
            size_mismatch(err, "GZIP", dn); /* more output than declared */
            break;
        }
        ds_pq_corrupt(err, "GZIP page is corrupt or truncated (%s)", z.msg ? z.msg : "zlib error");
        break;
    }
    inflateEnd(&z);
    return rc;
}

int ds_pq_decompress(int codec, const unsigned char *src, size_t sn, unsigned char *dst,
                     size_t dn, ds_error *err)
{
    switch (codec) {
    case DS_PQC_UNCOMPRESSED:
        if (sn != dn)
            return size_mismatch(err, "UNCOMPRESSED", dn);
        if (dn)
            memcpy(dst, src, dn);
        return 0;
    case DS_PQC_SNAPPY: {
        size_t ul;
        if (snappy_uncompressed_length((const char *)src, sn, &ul) != SNAPPY_OK) {
            ds_pq_corrupt(err, "SNAPPY page has a bad header");
            return -1;
        }
        if (ul != dn)
            return size_mismatch(err, "SNAPPY", dn);
        char dummy;
        size_t out = dn;
        if (snappy_uncompress((const char *)src, sn, dn ? (char *)dst : &dummy, &out) !=
                SNAPPY_OK ||
            out != dn) {
            ds_pq_corrupt(err, "SNAPPY page is corrupt");
            return -1;
        }
        return 0;
    }
    case DS_PQC_GZIP:
        return gunzip(src, sn, dst, dn, err);
    case DS_PQC_ZSTD: {
        unsigned char dummy;
        size_t r = ZSTD_decompress(dn ? dst : &dummy, dn, src, sn);
        if (ZSTD_isError(r)) {
            if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
                return size_mismatch(err, "ZSTD", dn);
            ds_pq_corrupt(err, "ZSTD page is corrupt (%s)", ZSTD_getErrorName(r));
            return -1;
        }
        if (r != dn)
            return size_mismatch(err, "ZSTD", dn);
        return 0;
    }
    default:
        ds_pq_corrupt(err, "compression codec %s (%d) is not supported", ds_pq_codec_name(codec),
                      codec);
        return -1;
    }
}
