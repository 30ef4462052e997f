/* checkpoint.h - reading checkpoints: classic and multi-part Parquet, V2
 * (UUID-named JSON or Parquet, or V2 content under a classic name) with
 * sidecars.  Internal to src/delta. */
#ifndef DS_CHECKPOINT_H
#define DS_CHECKPOINT_H
#include "delta/snapshot_int.h"

/* Reads the checkpoint's non-file actions into the snapshot (protocol and
 * metadata when the tail had none, txns, domains, sidecar references). */
ds_status ds_checkpoint_load(ds_snapshot *s, ds_error *err);
/* Streams the checkpoint's live adds not decided by the tail. */
ds_status ds_checkpoint_stream_adds(ds_snapshot *s, ds_file_cb cb, void *ctx, ds_error *err);
/* size: the sidecar's sizeInBytes, -1 when the manifest gives none. */
int ds_checkpoint_add_sidecar(ds_snapshot *s, const char *path, int64_t size, ds_error *err);
/* Checkpoint files on an object store up to this size are read in one
 * request (64 MiB, or DELTA_SHARING_READ_WHOLE_MAX bytes). */
uint64_t ds_checkpoint_read_whole_max(void);
#endif
