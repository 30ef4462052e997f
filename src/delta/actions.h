/* actions.h - one decoded Delta action (internal to src/delta). */
#ifndef DS_ACTIONS_H
#define DS_ACTIONS_H
#include "delta/delta.h"

typedef enum {
    DS_A_NONE = 0,  /* blank line or unknown action: ignore */
    DS_A_FILE,      /* add / remove / cdc */
    DS_A_METADATA,
    DS_A_PROTOCOL,
    DS_A_COMMITINFO,
    DS_A_TXN,
    DS_A_DOMAIN,
    DS_A_CHECKPOINT_METADATA,
    DS_A_SIDECAR,
} ds_action_type;

typedef struct ds_action {
    ds_action_type type;
    int has_ict;
    int64_t sidecar_size; /* sidecar.sizeInBytes, -1 when absent */
    union {
        ds_file file;
        ds_metadata metadata;
        ds_protocol protocol;
        ds_txn txn;
        ds_domain domain;
        int64_t ict;
        const char *sidecar_path;
    } u;
} ds_action;

#define DS_LOG_CORRUPT_MESSAGE "The table's Delta log is malformed and cannot be read."

/* Records a malformed-log error: status DS_ERR_INTERNAL, kind
 * "corrupt-log", a fixed public message (no paths), and what is wrong in
 * the log-only detail.  Returns -1. */
int ds_log_corrupt(ds_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The file action kind (DS_ACT_*) a log line holds, judged from its first
 * bytes without parsing it (a line is one action); 0 for other actions.
 * *after (when not NULL) gets the position just past the key. */
int ds_line_file_kind(const char *p, const char *end, const char **after);

/* Decodes the JSON object in [p, end) (one log line).  Strings go to a.
 * Returns 0, or -1 with err set (kind "corrupt-log"). */
int ds_parse_action(const char *p, const char *end, ds_arena *a, ds_action *out,
                    ds_error *err);
#endif
