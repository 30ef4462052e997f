/* parquet.h - a Parquet reader for Delta checkpoints, written here.
 *
 * Scope: the footer (Thrift compact protocol, unknown fields skipped
 * generically), the schema tree with definition/repetition levels derived
 * from the file, and streaming column cursors that decode one page at a
 * time: DataPage v1 and v2, PLAIN, PLAIN_DICTIONARY / RLE_DICTIONARY (the
 * same thing), RLE / bit-packed hybrid, DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY; codecs UNCOMPRESSED, SNAPPY,
 * GZIP and ZSTD through the system libraries.  Encrypted files are refused.
 * Every length, count and offset read from a file is checked before use.
 *
 * Memory: the parsed footer, plus for each open cursor a read window of
 * the chunk (1 MiB, or one compressed page if larger), one decompressed
 * page and the chunk's dictionary.  Columns that are not opened are never
 * read.  Limits: footer <= 64 MiB, page <= 256 MiB, page header <= 16 MiB,
 * schema depth <= 64, Thrift nesting <= 32.
 */
#ifndef DS_PARQUET_H
#define DS_PARQUET_H
#include "deltasharing.h"
#include <stddef.h>
#include <stdint.h>

/* Random access to the file: read exactly n bytes at off into buf. */
typedef struct ds_pq_io {
    ds_status (*read_at)(void *ctx, uint64_t off, size_t n, unsigned char *buf, ds_error *err);
    void *ctx;
    uint64_t size; /* file size in bytes */
} ds_pq_io;

typedef enum ds_pq_type { /* Parquet physical types */
    DS_PQ_BOOLEAN = 0,
    DS_PQ_INT32 = 1,
    DS_PQ_INT64 = 2,
    DS_PQ_INT96 = 3,
    DS_PQ_FLOAT = 4,
    DS_PQ_DOUBLE = 5,
    DS_PQ_BYTE_ARRAY = 6,
    DS_PQ_FIXED_LEN_BYTE_ARRAY = 7,
} ds_pq_type;

/* Logical annotations a caller may need to decode a value. */
typedef enum ds_pq_logical {
    DS_PQL_NONE = 0,
    DS_PQL_STRING,
    DS_PQL_DATE,          /* INT32 days since epoch */
    DS_PQL_TIMESTAMP_MS,  /* INT64 */
    DS_PQL_TIMESTAMP_US,  /* INT64 */
    DS_PQL_TIMESTAMP_NS,  /* INT64 */
    DS_PQL_DECIMAL,       /* INT32/INT64/FLBA/BYTE_ARRAY with scale, precision */
    DS_PQL_INT8, DS_PQL_INT16, DS_PQL_INT32, DS_PQL_INT64, /* signed integer widths */
    DS_PQL_MAP, DS_PQL_LIST, /* on groups */
} ds_pq_logical;

typedef enum ds_pq_repetition { DS_PQ_REQUIRED = 0, DS_PQ_OPTIONAL = 1, DS_PQ_REPEATED = 2 } ds_pq_repetition;

/* One node of the schema tree (the root is node 0). */
typedef struct ds_pq_node {
    const char *name;
    int is_leaf;
    ds_pq_type type;         /* leaves */
    int32_t type_length;     /* FIXED_LEN_BYTE_ARRAY */
    ds_pq_repetition repetition;
    ds_pq_logical logical;
    int32_t scale, precision; /* DECIMAL */
    int parent;              /* -1 for the root */
    int num_children;        /* groups; reach them with ds_pq_child() */
    int16_t def_level;       /* max definition level at this node (itself included) */
    int16_t rep_level;       /* max repetition level at this node */
    int leaf_index;          /* column index for leaves, -1 for groups */
} ds_pq_node;

typedef struct ds_pq_file ds_pq_file;

/* Reads and validates the footer.  Errors: DS_ERR_INTERNAL with a message
 * "Parquet: ..." naming what is wrong (truncated footer, bad magic,
 * encrypted footer, bad schema, ...); DS_ERR_NOMEM; or whatever status
 * io->read_at returned.  io is copied, io->ctx must outlive the file. */
ds_status ds_pq_open(const ds_pq_io *io, ds_pq_file **out, ds_error *err);
void ds_pq_close(ds_pq_file *f);

int64_t ds_pq_num_rows(const ds_pq_file *f);
int ds_pq_num_row_groups(const ds_pq_file *f);
int64_t ds_pq_row_group_rows(const ds_pq_file *f, int rg);
/* 1 when the chunk of leaf `node` in row group rg holds only nulls by its
 * statistics (a leaf outside any repetition whose null_count equals the
 * row group's rows); 0 when it may hold a value or nothing is known. */
int ds_pq_chunk_all_null(const ds_pq_file *f, int rg, int node);
const char *ds_pq_created_by(const ds_pq_file *f); /* may be NULL */

int ds_pq_num_nodes(const ds_pq_file *f);
const ds_pq_node *ds_pq_node_at(const ds_pq_file *f, int i);
/* i-th child of a group node, or -1. */
int ds_pq_child(const ds_pq_file *f, int node, int i);
/* Child of `node` called `name` (exact, case-sensitive), or -1. */
int ds_pq_child_named(const ds_pq_file *f, int node, const char *name);

/* Resolves a logical path to a node, e.g. {"add","partitionValues","key"}:
 * the repeated inner groups of MAP and LIST (key_value / entries / map,
 * list / bag / array) are skipped whatever they are called, so "key",
 * "value" and "element" address the map key, map value and list element
 * leaves.  Returns the node index, or -1 when the path does not exist (an
 * absent column reads as null: callers must handle -1). */
int ds_pq_find(const ds_pq_file *f, const char *const *path, size_t n);

/* One level entry of a column: def/rep levels and, when def equals the
 * leaf's max definition level, the value.  Byte arrays point into the
 * cursor's page buffer and stay valid until the next ds_pq_next call. */
typedef struct ds_pq_value {
    int16_t def, rep;
    int present; /* def == max def level */
    union {
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        int boolean;
    } v;
    const unsigned char *ptr; /* BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, INT96 (12 bytes) */
    uint32_t len;
    int terminated; /* ptr[len] is a NUL written by the reader (PLAIN byte arrays) */
} ds_pq_value;

typedef struct ds_pq_cursor ds_pq_cursor;

/* Opens a streaming cursor over the column chunk of leaf node `leaf` (a
 * node index, as ds_pq_find returns) in row group rg.  Nothing is read
 * until ds_pq_next; then only that chunk's byte range, one page at a time.
 * Fails for a group node, a row group out of range (so always for a file
 * with zero row groups), or an unsupported codec.  The file must outlive
 * its cursors. */
ds_status ds_pq_cursor_open(ds_pq_file *f, int rg, int leaf, ds_pq_cursor **out,
                            ds_error *err);
/* 1: *out holds the next entry; 0: end of the chunk; -1: error in err
 * (DS_ERR_INTERNAL "Parquet: ... (column a.b, row group N)" for a corrupt
 * file; the cursor then stays failed).  Entries come in file order; an
 * entry with rep == 0 starts a new row. */
int ds_pq_next(ds_pq_cursor *c, ds_pq_value *out, ds_error *err);
void ds_pq_cursor_close(ds_pq_cursor *c);

/* Helpers for stats_parsed: INT96 (Julian day + nanoseconds) to
 * milliseconds since the epoch. */
int64_t ds_pq_int96_to_ms(const unsigned char b[12]);
#endif
