/* predicate.h - jsonPredicateHints: partition pruning for the query
 * endpoint (protocol.md 7.2; semantics in doc/internals/predicates.md).
 *
 * A hint is best effort.  Whatever cannot be used makes the parser return
 * NULL, which means "no pruning for this request", never an error.  A
 * parsed hint keeps a file unless the file's partition values prove that
 * no row of it can satisfy the predicate: keeping is always safe, dropping
 * wrongly loses data. */
#ifndef DS_PREDICATE_H
#define DS_PREDICATE_H
#include "delta/delta.h"
#include "util/arena.h"
#include <stddef.h>

#define DS_PRED_MAX_BYTES (1024u * 1024) /* hint text, as the reference server */
#define DS_PRED_MAX_DEPTH 100            /* nodes on the longest root-to-leaf path */

typedef struct ds_pred ds_pred;

/* Parses a jsonPredicateHints value (the JSON text inside the request's
 * string field) for a table with metadata md.  Returns NULL when the hint
 * cannot be used: not JSON, over DS_PRED_MAX_BYTES, deeper than
 * DS_PRED_MAX_DEPTH, an unknown op, wrong arity, an unknown valueType, a
 * literal that does not parse as its valueType, a column that is not in
 * the schema, operands of different kinds, no memory...  `why` (may be
 * NULL) receives a short static reason for the log, or NULL on success.
 * Everything returned lives in a; nothing else stays allocated. */
const ds_pred *ds_pred_parse(ds_arena *a, const char *json, size_t len, const ds_metadata *md,
                             const char **why);

/* 0 when file f provably cannot match (drop it), 1 otherwise (keep it).
 * A NULL p keeps every file.  Reads only f->pvs / f->npv / f->has_pvs and
 * allocates nothing, so it can run inside the ds_snapshot_files callback. */
int ds_pred_may_match(const ds_pred *p, const ds_file *f);
#endif
