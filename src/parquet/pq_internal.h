/* pq_internal.h - the pieces of the Parquet reader: the Thrift compact
 * protocol reader, the value encodings, the codecs and the footer model.
 * Not a public interface; the unit suites use it to drive each piece with
 * crafted input.  Every decoder here works on a bounded buffer and reports
 * malformed input as an error, never by reading past the end. */
#ifndef DS_PQ_INTERNAL_H
#define DS_PQ_INTERNAL_H
#include "parquet/parquet.h"
#include <stddef.h>
#include <stdint.h>

/* Limits on what a file may declare. */
#define DS_PQ_MAX_FOOTER (64u * 1024 * 1024)      /* FileMetaData bytes */
#define DS_PQ_MAX_PAGE (256u * 1024 * 1024)       /* one page, either size */
#define DS_PQ_MAX_PAGE_HEADER (16u * 1024 * 1024) /* one PageHeader */
#define DS_PQ_MAX_THRIFT_DEPTH 32                 /* nested structs/containers */
#define DS_PQ_MAX_SCHEMA_DEPTH 64                 /* nested schema groups */

/* Sets err to DS_ERR_INTERNAL "Parquet: <message>" (a corrupt or
 * unsupported file).  Returns DS_ERR_INTERNAL or the status already held. */
ds_status ds_pq_corrupt(ds_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------
 * Thrift compact protocol
 * ---------------------------------------------------------------- */
enum {
    DS_TT_STOP = 0,
    DS_TT_TRUE = 1,
    DS_TT_FALSE = 2,
    DS_TT_BYTE = 3,
    DS_TT_I16 = 4,
    DS_TT_I32 = 5,
    DS_TT_I64 = 6,
    DS_TT_DOUBLE = 7,
    DS_TT_BINARY = 8,
    DS_TT_LIST = 9,
    DS_TT_SET = 10,
    DS_TT_MAP = 11,
    DS_TT_STRUCT = 12,
};

typedef struct ds_pq_tr {
    const unsigned char *p, *end;
    int depth;     /* open structs and containers */
    int failed;    /* an error is recorded in msg */
    int truncated; /* ... and it is "ran out of input" */
    char msg[160];
} ds_pq_tr;

void ds_pq_tr_init(ds_pq_tr *t, const unsigned char *p, size_t n);
/* All return 0 on success, -1 on error (t->msg says why). */
int ds_pq_tr_varint(ds_pq_tr *t, uint64_t *v);
int ds_pq_tr_i16(ds_pq_tr *t, int16_t *v);
int ds_pq_tr_i32(ds_pq_tr *t, int32_t *v);
int ds_pq_tr_i64(ds_pq_tr *t, int64_t *v);
int ds_pq_tr_byte(ds_pq_tr *t, int8_t *v);
int ds_pq_tr_double(ds_pq_tr *t, double *v);
/* A binary/string: *p points into the input, n bytes. */
int ds_pq_tr_binary(ds_pq_tr *t, const unsigned char **p, size_t *n);
/* Enter/leave a struct (counts against the depth limit). */
int ds_pq_tr_struct_begin(ds_pq_tr *t);
void ds_pq_tr_struct_end(ds_pq_tr *t);
/* Next field header of the current struct: 1 with *type and *id set, 0 at
 * the STOP byte, -1 on error.  *last carries the previous id (start at 0).
 * For booleans the value is in the type (DS_TT_TRUE / DS_TT_FALSE). */
int ds_pq_tr_field(ds_pq_tr *t, int16_t *last, int *type, int16_t *id);
/* List or set header; *n is checked against the bytes left. */
int ds_pq_tr_list(ds_pq_tr *t, int *etype, uint32_t *n);
/* A boolean list element. */
int ds_pq_tr_bool_elem(ds_pq_tr *t, int *b);
/* Skips one value of the given type, whatever it contains. */
int ds_pq_tr_skip(ds_pq_tr *t, int type);

/* ------------------------------------------------------------------
 * RLE / bit-packed hybrid (levels, dictionary indices, RLE booleans)
 * ---------------------------------------------------------------- */
typedef struct ds_pq_rle {
    const unsigned char *p, *end;
    unsigned bw;
    int is_rle;         /* current run kind */
    uint64_t left;      /* values left in the current run */
    uint64_t value;     /* RLE run value */
    const unsigned char *bp; /* bit-packed run data */
    size_t bp_bytes;
    uint64_t bp_idx;
} ds_pq_rle;

/* bw must be <= 32. */
int ds_pq_rle_init(ds_pq_rle *r, const unsigned char *p, size_t n, unsigned bw, ds_error *err);
/* 0 with *v set, -1 when the stream is exhausted or malformed. */
int ds_pq_rle_next(ds_pq_rle *r, uint32_t *v, ds_error *err);

/* Width in bits of values 0..max. */
unsigned ds_pq_bit_width(uint64_t max);

/* ------------------------------------------------------------------
 * DELTA_BINARY_PACKED
 * ---------------------------------------------------------------- */
typedef struct ds_pq_dbp {
    const unsigned char *p, *end; /* next unread byte */
    uint64_t block_size, mb_count, mb_values;
    uint64_t total, emitted;
    uint64_t last;
    uint64_t min_delta;
    const unsigned char *widths;  /* of the current block */
    uint64_t mb_index;            /* current miniblock within the block */
    uint64_t in_mb;               /* values taken from the current miniblock */
    const unsigned char *mb_data;
    size_t mb_avail;              /* bytes from mb_data to end */
    unsigned mb_bw;
    int in_block;
} ds_pq_dbp;

/* Reads the header. */
int ds_pq_dbp_init(ds_pq_dbp *d, const unsigned char *p, size_t n, ds_error *err);
/* Next value (wrapping 64-bit arithmetic). */
int ds_pq_dbp_next(ds_pq_dbp *d, int64_t *v, ds_error *err);
/* Where the encoded stream of d ends (walks the remaining blocks of a copy;
 * d itself is not advanced). */
int ds_pq_dbp_end(const ds_pq_dbp *d, const unsigned char **end, ds_error *err);

/* ------------------------------------------------------------------
 * Dictionary and value decoders
 * ---------------------------------------------------------------- */
typedef struct ds_pq_dict {
    ds_pq_type type;
    int32_t type_length;
    uint32_t count;
    unsigned char *data; /* owned: the PLAIN dictionary page */
    size_t len;
    uint32_t *offs, *lens; /* BYTE_ARRAY entries */
} ds_pq_dict;

/* Decodes count PLAIN values of data (takes ownership of data, even on
 * error). */
int ds_pq_dict_load(ds_pq_dict *d, ds_pq_type type, int32_t type_length, unsigned char *data,
                    size_t len, uint32_t count, ds_error *err);
void ds_pq_dict_free(ds_pq_dict *d);

enum {
    DS_PQE_PLAIN = 0,
    DS_PQE_PLAIN_DICTIONARY = 2,
    DS_PQE_RLE = 3,
    DS_PQE_BIT_PACKED = 4,
    DS_PQE_DELTA_BINARY_PACKED = 5,
    DS_PQE_DELTA_LENGTH_BYTE_ARRAY = 6,
    DS_PQE_DELTA_BYTE_ARRAY = 7,
    DS_PQE_RLE_DICTIONARY = 8,
    DS_PQE_BYTE_STREAM_SPLIT = 9,
};

typedef struct ds_pq_vdec {
    int encoding;
    ds_pq_type type;
    int32_t type_length;
    const unsigned char *p, *end; /* PLAIN / BYTE_STREAM_SPLIT base */
    unsigned bit;                 /* PLAIN booleans: bit within *p */
    ds_pq_rle rle;                /* RLE booleans, dictionary indices */
    const ds_pq_dict *dict;
    ds_pq_dbp a, b;               /* DBP values; DLBA lengths; DBA prefixes, suffix lengths */
    const unsigned char *data, *data_end; /* DLBA / DBA bytes */
    unsigned char *buf[2];        /* DBA values (alternating), BSS FLBA value */
    size_t cap[2];
    size_t prev_len;
    int cur;
    size_t bss_n, bss_i;
    /* PLAIN byte arrays in a buffer the cursor owns: each value's end is
     * overwritten with NUL once the next value's length has been read, so
     * callers can use values as C strings without copying them */
    int nul_terminate;
    int have_next_len;
    uint32_t next_len;
} ds_pq_vdec;

int ds_pq_vdec_init(ds_pq_vdec *vd, int encoding, ds_pq_type type, int32_t type_length,
                    const unsigned char *p, size_t n, const ds_pq_dict *dict, ds_error *err);
/* Fills out->v / out->ptr / out->len with the next value. */
int ds_pq_vdec_next(ds_pq_vdec *vd, ds_pq_value *out, ds_error *err);
void ds_pq_vdec_free(ds_pq_vdec *vd);

/* ------------------------------------------------------------------
 * Codecs
 * ---------------------------------------------------------------- */
enum {
    DS_PQC_UNCOMPRESSED = 0,
    DS_PQC_SNAPPY = 1,
    DS_PQC_GZIP = 2,
    DS_PQC_LZO = 3,
    DS_PQC_BROTLI = 4,
    DS_PQC_LZ4 = 5,
    DS_PQC_ZSTD = 6,
    DS_PQC_LZ4_RAW = 7,
};
const char *ds_pq_codec_name(int codec);
int ds_pq_codec_supported(int codec);
/* Decompresses src into exactly dn bytes of dst; anything else (corrupt
 * input, a different decompressed size) is an error. */
int ds_pq_decompress(int codec, const unsigned char *src, size_t sn, unsigned char *dst,
                     size_t dn, ds_error *err);

/* ------------------------------------------------------------------
 * Footer model (footer.c), used by the cursors (column.c)
 * ---------------------------------------------------------------- */
typedef struct ds_pq_chunk {
    ds_pq_type type;
    int32_t codec;
    int64_t num_values;
    int64_t total_compressed;
    int64_t data_off;
    int64_t dict_off; /* 0: none */
    uint64_t start, end; /* the chunk's byte range in the file */
    int64_t null_count;  /* from the chunk's statistics, when has_null_count */
    int has_null_count;
} ds_pq_chunk;

typedef struct ds_pq_rowgroup {
    int64_t num_rows;
    ds_pq_chunk *cols; /* one per leaf, in leaf order */
} ds_pq_rowgroup;

struct ds_pq_file {
    ds_pq_io io;
    uint64_t data_end; /* first byte of the footer */
    int64_t num_rows;
    char *created_by;
    ds_pq_node *nodes;
    int nnodes;
    int *kids;     /* children of node i: kids[kid_off[i] .. kid_off[i] + num_children) */
    int *kid_off;
    int nleaves;
    int *leaf_node; /* leaf index -> node index */
    ds_pq_rowgroup *rgs;
    int nrgs;
    /* buffers of closed cursors, reused by the next ones: reading row group
     * after row group then touches no fresh memory */
    struct ds_pq_spare {
        unsigned char *buf;
        size_t cap;
        int tag; /* leaf and role that used it: the same column of the next
                  * row group gets it back, sized for its pages already */
    } spare[32];
    int nspare;
};

/* Takes a spare buffer of the file, preferring one with this tag (or
 * NULL, cap 0); returns one to it. */
unsigned char *ds_pq_spare_take(ds_pq_file *f, int tag, size_t *cap);
void ds_pq_spare_give(ds_pq_file *f, int tag, unsigned char *buf, size_t cap);

/* Reads n bytes at off through the file's io, checking the range. */
int ds_pq_read(const ds_pq_file *f, uint64_t off, size_t n, unsigned char *buf, ds_error *err);
#endif
