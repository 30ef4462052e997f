/* json.h - the JSON writer used for every response.  Output is ASCII
 * only: everything above 0x7E is written as a \u escape (four hex digits;
 * surrogate pairs past the BMP), so no client line splitter can break a
 * line inside a string (U+2028, U+0085, ...).  Invalid UTF-8 becomes U+FFFD. */
#ifndef DS_JSON_H
#define DS_JSON_H
#include "util/buf.h"
#include <stdint.h>

int ds_json_str(ds_buf *b, const char *s);
/* 1 when s[0..n) can stand in a JSON string as it is (no byte to escape). */
int ds_json_plain(const char *s, size_t n);
int ds_json_strn(ds_buf *b, const char *s, size_t n);
/* ,"key": (leading comma when *first is 0; sets *first to 0) */
int ds_json_key(ds_buf *b, int *first, const char *key);
int ds_json_kv_str(ds_buf *b, int *first, const char *key, const char *val);
int ds_json_kv_i64(ds_buf *b, int *first, const char *key, int64_t v);
int ds_json_kv_bool(ds_buf *b, int *first, const char *key, int v);
/* ["a","b",...] */
int ds_json_str_array(ds_buf *b, const char *const *v, size_t n);
#endif
