/* predicate.c - jsonPredicateHints for partition pruning; see predicate.h
 * and doc/internals/predicates.md.
 *
 * The hint is parsed once (json-c, then copied into an arena tree with
 * every literal already decoded and every column resolved to the key its
 * partition values carry), and evaluated once per file without allocating.
 *
 * Evaluation is abstract: a node yields the SET of SQL truth values its
 * expression can take over the rows of the file, a subset of {TRUE, FALSE,
 * NULL}.  A leaf we cannot decide (a data column, a value that does not
 * convert) yields all three; and/or/not combine sets pointwise by Kleene's
 * tables, which can only over-approximate.  A file is dropped only when
 * TRUE is not in the root's set.  (Only the TRUE and FALSE bits decide
 * that, since no operator turns NULL into TRUE; NULL is carried so the
 * sets read as SQL.) */
#include "config.h"
#include "api/predicate.h"
#include "util/text.h"
#include <ctype.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- truth-value sets ------------------------------------------------ */

#define R_T 1u /* TRUE possible */
#define R_F 2u /* FALSE possible */
#define R_N 4u /* NULL possible */
#define R_ALL (R_T | R_F | R_N)

static unsigned set_not(unsigned a)
{
    return (a & R_N) | ((a & R_T) ? R_F : 0) | ((a & R_F) ? R_T : 0);
}

/* Kleene AND lifted to sets: F wins, T needs both, otherwise NULL. */
static unsigned set_and(unsigned a, unsigned b)
{
    unsigned r = 0;
    if ((a & R_T) && (b & R_T))
        r |= R_T;
    if ((a & R_F) || (b & R_F))
        r |= R_F;
    if (((a & R_N) && (b & (R_T | R_N))) || ((b & R_N) && (a & (R_T | R_N))))
        r |= R_N;
    return r;
}

/* Kleene OR lifted to sets: T wins, F needs both, otherwise NULL. */
static unsigned set_or(unsigned a, unsigned b)
{
    unsigned r = 0;
    if ((a & R_T) || (b & R_T))
        r |= R_T;
    if ((a & R_F) && (b & R_F))
        r |= R_F;
    if (((a & R_N) && (b & (R_F | R_N))) || ((b & R_N) && (a & (R_F | R_N))))
        r |= R_N;
    return r;
}

/* ---- types ------------------------------------------------------------ */

/* valueType of a column or literal leaf. */
enum vtype { VT_BOOL, VT_INT, VT_LONG, VT_STRING, VT_DATE, VT_FLOAT, VT_DOUBLE, VT_TIMESTAMP };

static const char *const vtype_names[] = {"bool", "int",    "long",  "string",
                                          "date", "float", "double", "timestamp"};

/* What a value compares as.  Numbers of any valueType compare with each
 * other; every other pair of different classes is a malformed hint. */
enum vclass { CL_BOOL, CL_NUM, CL_STR, CL_DATE, CL_TS };

static enum vclass class_of(int vt)
{
    switch (vt) {
    case VT_BOOL: return CL_BOOL;
    case VT_STRING: return CL_STR;
    case VT_DATE: return CL_DATE;
    case VT_TIMESTAMP: return CL_TS;
    default: return CL_NUM;
    }
}

/* Schema type of a column: says what its partition value text is. */
enum stype { ST_OTHER, ST_STRING, ST_INTEGRAL, ST_DECIMAL, ST_FLOAT, ST_DOUBLE, ST_BOOLEAN,
             ST_DATE, ST_TIMESTAMP };

/* A decoded value.  Numbers are either an exact integer or a closed
 * interval of doubles (a point for every double we produce today; NaN in
 * lo means "unordered").  Timestamps are intervals of microseconds: the
 * instants the text can stand for (see parse_ts). */
typedef struct val {
    uint8_t cls;
    uint8_t exact_int; /* CL_NUM: i holds the value */
    int64_t i;         /* CL_BOOL 0/1, CL_NUM integer, CL_DATE days since 1970-01-01 */
    double lo, hi;     /* CL_NUM when !exact_int */
    int64_t tlo, thi;  /* CL_TS, microseconds since the epoch */
    const char *s;     /* CL_STR, not NUL-terminated in general */
    size_t n;
} val;

enum op { OP_COLUMN, OP_LITERAL, OP_ISNULL, OP_EQ, OP_LT, OP_LE, OP_GT, OP_GE, OP_AND, OP_OR,
          OP_NOT };

static const char *const op_names[] = {"column",      "literal",         "isNull",
                                       "equal",       "lessThan",        "lessThanOrEqual",
                                       "greaterThan", "greaterThanOrEqual", "and",
                                       "or",          "not"};

typedef struct node node;
struct node {
    uint8_t op;
    uint8_t vt;       /* leaves */
    uint8_t st;       /* column: schema type */
    uint8_t str_ok;   /* column: text compares bytewise as the SQL string */
    uint8_t collated; /* comparison: a collation other than binary was asked for */
    uint32_t n;       /* children */
    node **kids;
    const char *key;  /* column: partitionValues key; NULL when not decidable */
    val lit;          /* literal */
};

struct ds_pred {
    node *root;
};

/* ---- text to values ------------------------------------------------- */

static int parse_bool(const char *t, int64_t *out)
{
    if (ds_strcaseeq(t, "true"))
        *out = 1;
    else if (ds_strcaseeq(t, "false"))
        *out = 0;
    else
        return -1;
    return 0;
}

/* [+-]?digits within [min, max]; no spaces. */
static int parse_int(const char *t, int64_t min, int64_t max, int64_t *out)
{
    if (t[0] == '+') {
        if (t[1] < '0' || t[1] > '9')
            return -1;
        t++;
    }
    return ds_parse_i64(t, min, max, out);
}

/* Decimal text as Java's parsers read it, without their extras (hex,
 * type suffixes): [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)?, or [+-]?Infinity,
 * or NaN.  as_float rounds to single precision as a float column or a
 * float valueType holds it.  The parse must consume everything (so a
 * locale with another decimal point makes it fail, not misread). */
static int parse_real(const char *t, int as_float, double *out)
{
    const char *p = t;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (strcmp(p, "Infinity") == 0) {
        *out = neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (strcmp(t, "NaN") == 0) {
        *out = NAN;
        return 0;
    }
    int digits = 0;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, digits++;
    }
    if (!digits)
        return -1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p)
        return -1;
    char *end;
    double d = as_float ? (double)strtof(t, &end) : strtod(t, &end);
    if (end != p)
        return -1;
    *out = d;
    return 0;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t civil_days(int64_t y, int m, int d)
{
    static const int before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int64_t yy = y - 1; /* whole years before y, counted from year 1 */
    int64_t days = yy * 365 + yy / 4 - yy / 100 + yy / 400 + before[m - 1] + (d - 1);
    if (m > 2 && is_leap(y))
        days++;
    return days - 719162; /* days from 0001-01-01 to 1970-01-01 */
}

static int num(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

/* YYYY-MM-DD at p (years 0001-9999); days since the epoch. */
static int parse_ymd(const char *p, int64_t *days)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    if (num(p, 4, &y) || p[4] != '-' || num(p + 5, 2, &m) || p[7] != '-' || num(p + 8, 2, &d))
        return -1;
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return -1;
    if (d > mdays[m - 1] + (m == 2 && is_leap(y)))
        return -1;
    *days = civil_days(y, m, d);
    return 0;
}

static int parse_date(const char *t, int64_t *days)
{
    return strlen(t) == 10 ? parse_ymd(t, days) : -1;
}

#define US_PER_SEC INT64_C(1000000)
#define US_PER_DAY (86400 * US_PER_SEC)
/* Text without a zone means the writer's or the reader's session time
 * zone, which we cannot know: it may stand for any instant up to the
 * widest UTC offset away (java.time allows +-18:00). */
#define ZONE_SLACK_US (18 * 3600 * US_PER_SEC)
/* Spark sends timestamp literals as java.time.Instant text after cutting
 * the microseconds to milliseconds (toward zero), so a literal written
 * with at most 3 fraction digits may stand for anything within 1 ms. */
#define MS_CUT_SLACK_US 999

/* YYYY-MM-DD[(T| )HH:MM[:SS[.f+]][Z|(+|-)HH[[:]MM]]]: the interval of
 * instants the text can mean.  literal: it came from a client (see
 * MS_CUT_SLACK_US).  A bare date is midnight without a zone. */
static int parse_ts(const char *t, int literal, int64_t *lo, int64_t *hi)
{
    int64_t days;
    size_t len = strlen(t);
    if (len < 10 || parse_ymd(t, &days))
        return -1;
    const char *p = t + 10;
    int hh = 0, mi = 0, ss = 0, fdigits = 0, zoned = 0, cut = 0;
    int64_t frac = 0, offset = 0;
    if (*p) {
        if (*p != 'T' && *p != ' ')
            return -1;
        p++;
        if (num(p, 2, &hh) || p[2] != ':' || num(p + 3, 2, &mi))
            return -1;
        p += 5;
        if (*p == ':') {
            if (num(p + 1, 2, &ss))
                return -1;
            p += 3;
            if (*p == '.') {
                p++;
                while (*p >= '0' && *p <= '9') {
                    if (fdigits < 6)
                        frac = frac * 10 + (*p - '0');
                    else if (*p != '0')
                        cut = 1;
                    fdigits++;
                    p++;
                }
                if (!fdigits)
                    return -1;
            }
        }
        if (hh > 23 || mi > 59 || ss > 59)
            return -1;
        for (int k = fdigits; k < 6; k++)
            frac *= 10;
        if (*p == 'Z' || *p == 'z') {
            zoned = 1;
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om = 0;
            p++;
            if (num(p, 2, &oh))
                return -1;
            p += 2;
            if (*p == ':') {
                if (num(p + 1, 2, &om))
                    return -1;
                p += 3;
            } else if (*p >= '0' && *p <= '9') {
                if (num(p, 2, &om))
                    return -1;
                p += 2;
            }
            if (oh > 18 || om > 59 || oh * 60 + om > 18 * 60)
                return -1;
            offset = sign * ((int64_t)oh * 3600 + om * 60) * US_PER_SEC;
            zoned = 1;
        }
        if (*p)
            return -1;
    }
    int64_t us = days * US_PER_DAY + ((int64_t)hh * 3600 + mi * 60 + ss) * US_PER_SEC + frac - offset;
    *lo = *hi = us;
    if (cut)
        *hi += 1;
    if (!zoned) {
        *lo -= ZONE_SLACK_US;
        *hi += ZONE_SLACK_US;
    }
    if (literal && fdigits <= 3) {
        *lo -= MS_CUT_SLACK_US;
        *hi += MS_CUT_SLACK_US;
    }
    return 0;
}

static void set_real(val *v, double d)
{
    v->cls = CL_NUM;
    v->exact_int = 0;
    v->lo = v->hi = d;
}

static void set_int(val *v, int64_t i)
{
    v->cls = CL_NUM;
    v->exact_int = 1;
    v->i = i;
}

/* A literal's value, as the client meant it. */
static int literal_value(int vt, const char *t, size_t n, val *v)
{
    int64_t i;
    double d;
    memset(v, 0, sizeof *v);
    v->cls = (uint8_t)class_of(vt);
    switch (vt) {
    case VT_BOOL:
        return parse_bool(t, &v->i);
    case VT_INT:
        if (parse_int(t, INT32_MIN, INT32_MAX, &i))
            return -1;
        set_int(v, i);
        return 0;
    case VT_LONG:
        if (parse_int(t, INT64_MIN, INT64_MAX, &i))
            return -1;
        set_int(v, i);
        return 0;
    case VT_FLOAT:
    case VT_DOUBLE:
        if (parse_real(t, vt == VT_FLOAT, &d))
            return -1;
        set_real(v, d);
        return 0;
    case VT_STRING:
        v->s = t;
        v->n = n;
        return 0;
    case VT_DATE:
        return parse_date(t, &v->i);
    case VT_TIMESTAMP:
        return parse_ts(t, 1, &v->tlo, &v->thi);
    }
    return -1;
}

/* A partition value's text cast to the leaf's valueType, the way Spark
 * casts a column of the schema type st.  Only casts whose result we can
 * reproduce exactly are done; every other pair is unknown (-1), as is
 * text that does not convert (Spark would give NULL or fail; either way
 * we cannot claim a value). */
static int column_value(const node *l, const char *t, val *v)
{
    int64_t i;
    double d;
    int st = l->st;
    memset(v, 0, sizeof *v);
    v->cls = (uint8_t)class_of(l->vt);
    switch (l->vt) {
    case VT_BOOL:
        if (st != ST_STRING && st != ST_BOOLEAN)
            return -1;
        return parse_bool(t, &v->i);
    case VT_INT:
    case VT_LONG:
        /* Text that reads as an integer is that integer for every source
         * type listed; fractions (which Spark would truncate) are not. */
        if (st != ST_STRING && st != ST_INTEGRAL && st != ST_DECIMAL)
            return -1;
        if (parse_int(t, l->vt == VT_INT ? INT32_MIN : INT64_MIN,
                      l->vt == VT_INT ? INT32_MAX : INT64_MAX, &i))
            return -1;
        set_int(v, i);
        return 0;
    case VT_FLOAT:
        if (st == ST_INTEGRAL) {
            if (parse_int(t, INT64_MIN, INT64_MAX, &i))
                return -1;
            set_real(v, (double)(float)i);
            return 0;
        }
        if (st != ST_STRING && st != ST_FLOAT)
            return -1;
        if (parse_real(t, 1, &d))
            return -1;
        set_real(v, d);
        return 0;
    case VT_DOUBLE:
        if (st == ST_INTEGRAL) {
            if (parse_int(t, INT64_MIN, INT64_MAX, &i))
                return -1;
            set_real(v, (double)i);
            return 0;
        }
        if (st != ST_STRING && st != ST_FLOAT && st != ST_DOUBLE && st != ST_DECIMAL)
            return -1;
        if (parse_real(t, st == ST_FLOAT, &d))
            return -1;
        set_real(v, d);
        return 0;
    case VT_STRING:
        if (!l->str_ok)
            return -1;
        v->s = t;
        v->n = strlen(t);
        return 0;
    case VT_DATE:
        if (st != ST_STRING && st != ST_DATE)
            return -1;
        return parse_date(t, &v->i);
    case VT_TIMESTAMP:
        if (st != ST_STRING && st != ST_DATE && st != ST_TIMESTAMP)
            return -1;
        return parse_ts(t, 0, &v->tlo, &v->thi);
    }
    return -1;
}

/* ---- comparing values ------------------------------------------------ */

#define O_LT 1u
#define O_EQ 2u
#define O_GT 4u

/* Which of a<b, a=b, a>b are possible for closed intervals a and b. */
#define INTERVAL_ORDER(alo, ahi, blo, bhi)                                                       \
    (((alo) < (bhi) ? O_LT : 0u) | ((ahi) > (blo) ? O_GT : 0u) |                               \
     ((alo) <= (bhi) && (blo) <= (ahi) ? O_EQ : 0u))

static unsigned order_i64(int64_t a, int64_t b)
{
    return a < b ? O_LT : a > b ? O_GT : O_EQ;
}

/* An integer as an interval of doubles: exact up to 2^53, else the two
 * neighbours of the rounded value bracket it. */
static void int_as_real(const val *v, double *lo, double *hi)
{
    double d = (double)v->i;
    if (v->i >= -(INT64_C(1) << 53) && v->i <= (INT64_C(1) << 53)) {
        *lo = *hi = d;
    } else {
        *lo = nextafter(d, -INFINITY);
        *hi = nextafter(d, INFINITY);
    }
}

static unsigned order(const val *a, const val *b)
{
    switch (a->cls) {
    case CL_BOOL:
    case CL_DATE:
        return order_i64(a->i, b->i);
    case CL_STR: {
        size_t m = a->n < b->n ? a->n : b->n;
        int c = m ? memcmp(a->s, b->s, m) : 0;
        if (c == 0)
            return a->n < b->n ? O_LT : a->n > b->n ? O_GT : O_EQ;
        return c < 0 ? O_LT : O_GT;
    }
    case CL_TS:
        return INTERVAL_ORDER(a->tlo, a->thi, b->tlo, b->thi);
    case CL_NUM: {
        if (a->exact_int && b->exact_int)
            return order_i64(a->i, b->i);
        double alo = a->lo, ahi = a->hi, blo = b->lo, bhi = b->hi;
        if (a->exact_int)
            int_as_real(a, &alo, &ahi);
        if (b->exact_int)
            int_as_real(b, &blo, &bhi);
        /* NaN orders differently in Spark (largest, equal to itself) and
         * in IEEE (unordered): claim nothing. */
        if (isnan(alo) || isnan(blo))
            return O_LT | O_EQ | O_GT;
        return INTERVAL_ORDER(alo, ahi, blo, bhi);
    }
    }
    return O_LT | O_EQ | O_GT;
}

/* For each comparison: the orderings that make it TRUE; the others make
 * it FALSE.  Indexed by op - OP_EQ. */
static const unsigned true_orders[] = {O_EQ, O_LT, O_LT | O_EQ, O_GT, O_GT | O_EQ};

/* ---- evaluation ------------------------------------------------------ */

enum { LV_VALUE, LV_NULL, LV_UNKNOWN };

static const char *pv_lookup(const ds_file *f, const char *key, int *found)
{
    *found = 0;
    if (!f->has_pvs || !f->pvs)
        return NULL;
    for (uint32_t i = 0; i < f->npv; i++)
        if (f->pvs[i].key && ds_strcaseeq(f->pvs[i].key, key)) {
            *found = 1;
            return f->pvs[i].value;
        }
    return NULL;
}

static int leaf_value(const node *l, const ds_file *f, val *v)
{
    if (l->op == OP_LITERAL) {
        *v = l->lit;
        return LV_VALUE;
    }
    if (!l->key)
        return LV_UNKNOWN; /* a data column, or one we cannot map */
    int found;
    const char *t = pv_lookup(f, l->key, &found);
    if (!found)
        return LV_UNKNOWN; /* the log is missing the key: claim nothing */
    if (!t || !*t)
        return LV_NULL; /* JSON null and "" both mean NULL */
    return column_value(l, t, v) == 0 ? LV_VALUE : LV_UNKNOWN;
}

static unsigned eval(const node *n, const ds_file *f)
{
    val a, b;
    switch (n->op) {
    case OP_COLUMN:
    case OP_LITERAL: /* a bool leaf used as a predicate */
        switch (leaf_value(n, f, &a)) {
        case LV_NULL: return R_F | R_N; /* see the NULL rule in compare */
        case LV_VALUE: return a.i ? R_T : R_F;
        default: return R_ALL;
        }
    case OP_ISNULL:
        switch (leaf_value(n->kids[0], f, &a)) {
        case LV_NULL: return R_T;
        case LV_VALUE: return R_F;
        default: return R_T | R_F;
        }
    case OP_EQ:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE: {
        int la = leaf_value(n->kids[0], f, &a), lb = leaf_value(n->kids[1], f, &b);
        /* The NULL rule: a comparison with a NULL operand is NULL in SQL
         * and false in most dataframe libraries.  {FALSE, NULL} is right
         * for both: never TRUE, so equal(col, 1) drops a NULL partition,
         * but not(...) turns it into {TRUE, NULL} and keeps the file. */
        if (la == LV_NULL || lb == LV_NULL)
            return R_F | R_N;
        if (la != LV_VALUE || lb != LV_VALUE)
            return R_ALL;
        if (n->collated && a.cls == CL_STR)
            return R_ALL;
        unsigned o = order(&a, &b), yes = true_orders[n->op - OP_EQ];
        return ((o & yes) ? R_T : 0u) | ((o & ~yes) ? R_F : 0u);
    }
    case OP_NOT:
        return set_not(eval(n->kids[0], f));
    case OP_AND: {
        unsigned r = eval(n->kids[0], f);
        for (uint32_t i = 1; i < n->n && r != R_F; i++)
            r = set_and(r, eval(n->kids[i], f));
        return r;
    }
    case OP_OR: {
        unsigned r = eval(n->kids[0], f);
        for (uint32_t i = 1; i < n->n && r != R_T; i++)
            r = set_or(r, eval(n->kids[i], f));
        return r;
    }
    }
    return R_ALL;
}

int ds_pred_may_match(const ds_pred *p, const ds_file *f)
{
    if (!p || !p->root || !f)
        return 1;
    return (eval(p->root, f) & R_T) != 0;
}

/* ---- the schema: logical names to partition keys -------------------- */

typedef struct field {
    const char *name; /* logical */
    const char *key;  /* partitionValues key, NULL when not a decidable partition column */
    uint8_t st, str_ok;
} field;

typedef struct pctx {
    ds_arena *a;
    const ds_metadata *md;
    const char *why;
    int schema_loaded;
    field *fields;
    size_t nfields;
    uint32_t *slots; /* open addressing: field index + 1, 0 = empty */
    uint32_t mask;
} pctx;

/* Nested structs take three JSON levels each; deeper schemas are refused
 * (and with them the hint) rather than parsed without bound. */
#define SCHEMA_JSON_DEPTH 512
/* A predicate level is an object plus its children array; a little room
 * for unknown fields (exprCtx) at the deepest level. */
#define HINT_JSON_DEPTH (2 * DS_PRED_MAX_DEPTH + 8)

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (uint32_t)tolower((unsigned char)*s);
        h *= 16777619u;
    }
    return h;
}

/* A JSON string without embedded NUL (a NUL would cut the C string and
 * make one name look like another); NULL otherwise. */
static const char *json_str(json_object *o, size_t *len)
{
    if (!o || !json_object_is_type(o, json_type_string))
        return NULL;
    const char *s = json_object_get_string(o);
    size_t n = (size_t)json_object_get_string_len(o);
    if (!s || strlen(s) != n)
        return NULL;
    if (len)
        *len = n;
    return s;
}

static const char *member_str(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_str(v, NULL) : NULL;
}

static int schema_type(json_object *t)
{
    const char *s = json_str(t, NULL);
    if (!s)
        return ST_OTHER; /* struct, array, map */
    if (strcmp(s, "string") == 0)
        return ST_STRING;
    if (strcmp(s, "byte") == 0 || strcmp(s, "short") == 0 || strcmp(s, "integer") == 0 ||
        strcmp(s, "long") == 0)
        return ST_INTEGRAL;
    if (strncmp(s, "decimal", 7) == 0)
        return ST_DECIMAL;
    if (strcmp(s, "float") == 0)
        return ST_FLOAT;
    if (strcmp(s, "double") == 0)
        return ST_DOUBLE;
    if (strcmp(s, "boolean") == 0)
        return ST_BOOLEAN;
    if (strcmp(s, "date") == 0)
        return ST_DATE;
    if (strcmp(s, "timestamp") == 0 || strcmp(s, "timestamp_ntz") == 0)
        return ST_TIMESTAMP;
    return ST_OTHER;
}

static int is_partition_column(const ds_metadata *md, const char *name)
{
    for (size_t i = 0; i < md->n_partition_columns; i++)
        if (md->partition_columns[i] && ds_strcaseeq(md->partition_columns[i], name))
            return 1;
    return 0;
}

static int fail(pctx *c, const char *why)
{
    if (!c->why)
        c->why = why;
    return -1;
}

/* Reads the top-level fields of the schema once, on the first column. */
static int load_schema(pctx *c)
{
    const ds_metadata *md = c->md;
    if (!md || !md->schema_string)
        return fail(c, "the table has no schema");
    size_t slen = strlen(md->schema_string);
    if (slen > INT32_MAX)
        return fail(c, "the table schema is too large");

    /* Which key partitionValues use: logical names, or with column
     * mapping (name or id) the physical names.  An unknown mode leaves
     * every column undecidable. */
    const char *mode = ds_metadata_conf(md, "delta.columnMapping.mode");
    int mapping = !mode || ds_strcaseeq(mode, "none")                       ? 0
                  : ds_strcaseeq(mode, "name") || ds_strcaseeq(mode, "id") ? 1
                                                                           : -1;

    json_tokener *tok = json_tokener_new_ex(SCHEMA_JSON_DEPTH);
    if (!tok)
        return fail(c, "out of memory");
    json_object *root = json_tokener_parse_ex(tok, md->schema_string, (int)slen);
    json_tokener_free(tok);
    json_object *arr;
    int rc = -1;
    if (!root || !json_object_is_type(root, json_type_object) ||
        !json_object_object_get_ex(root, "fields", &arr) ||
        !json_object_is_type(arr, json_type_array)) {
        fail(c, "the table schema cannot be read");
        goto out;
    }
    size_t n = json_object_array_length(arr);
    uint32_t cap = 16;
    while (cap < 2 * n && cap < (UINT32_C(1) << 30))
        cap <<= 1;
    if (n >= cap) {
        fail(c, "the table schema is too large");
        goto out;
    }
    c->fields = ds_arena_alloc(c->a, (n ? n : 1) * sizeof *c->fields);
    c->slots = ds_arena_alloc(c->a, cap * sizeof *c->slots);
    if (!c->fields || !c->slots) {
        fail(c, "out of memory");
        goto out;
    }
    memset(c->slots, 0, cap * sizeof *c->slots);
    c->mask = cap - 1;
    c->nfields = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *fo = json_object_array_get_idx(arr, i), *t = NULL, *meta = NULL;
        const char *name = fo && json_object_is_type(fo, json_type_object)
                               ? member_str(fo, "name")
                               : NULL;
        if (!name)
            continue; /* cannot be referenced */
        json_object_object_get_ex(fo, "type", &t);
        if (!json_object_object_get_ex(fo, "metadata", &meta) ||
            !json_object_is_type(meta, json_type_object))
            meta = NULL;
        field *fl = &c->fields[c->nfields];
        fl->name = ds_arena_strdup(c->a, name);
        if (!fl->name) {
            fail(c, "out of memory");
            goto out;
        }
        fl->st = (uint8_t)schema_type(t);
        fl->key = NULL;
        /* char(n) pads with spaces and collations compare otherwise than
         * bytes: string comparisons on those columns are not decided. */
        const char *cv = meta ? member_str(meta, "__CHAR_VARCHAR_TYPE_STRING") : NULL;
        json_object *coll;
        int padded = cv && strncasecmp(cv, "char", 4) == 0;
        int collated = meta && json_object_object_get_ex(meta, "__COLLATIONS", &coll);
        fl->str_ok = fl->st == ST_STRING && !padded && !collated;
        if (is_partition_column(md, name) && mapping >= 0) {
            const char *k = mapping ? (meta ? member_str(meta, "delta.columnMapping.physicalName")
                                            : NULL)
                                    : name;
            if (k && *k) {
                fl->key = ds_arena_strdup(c->a, k);
                if (!fl->key) {
                    fail(c, "out of memory");
                    goto out;
                }
            }
        }
        uint32_t h = name_hash(name) & c->mask;
        while (c->slots[h])
            h = (h + 1) & c->mask;
        c->slots[h] = (uint32_t)c->nfields + 1;
        c->nfields++;
    }
    rc = 0;
out:
    json_object_put(root);
    return rc;
}

static const field *find_field(pctx *c, const char *name)
{
    if (!c->schema_loaded) {
        c->schema_loaded = 1;
        if (load_schema(c))
            c->fields = NULL;
    }
    if (!c->fields)
        return NULL;
    for (uint32_t h = name_hash(name) & c->mask; c->slots[h]; h = (h + 1) & c->mask) {
        const field *fl = &c->fields[c->slots[h] - 1];
        if (ds_strcaseeq(fl->name, name))
            return fl;
    }
    return NULL;
}

/* ---- building the tree ----------------------------------------------- */

static int is_leaf(const node *n)
{
    return n->op == OP_COLUMN || n->op == OP_LITERAL;
}

/* Where a truth value is expected: any non-leaf, or a bool leaf. */
static int is_predicate(const node *n)
{
    return !is_leaf(n) || n->vt == VT_BOOL;
}

static int lookup_name(const char *s, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* "spark.UTF8_BINARY[.version]" is plain byte order; anything else is not. */
static int binary_collation(const char *id)
{
    const char *dot = strchr(id, '.');
    if (!dot)
        return 0;
    const char *name = dot + 1, *end = strchr(name, '.');
    size_t n = end ? (size_t)(end - name) : strlen(name);
    return n == 11 && strncasecmp(name, "UTF8_BINARY", 11) == 0;
}

static node *build(pctx *c, json_object *o, int depth)
{
    if (depth > DS_PRED_MAX_DEPTH) {
        fail(c, "the hint is nested deeper than 100");
        return NULL;
    }
    if (!json_object_is_type(o, json_type_object)) {
        fail(c, "a node is not a JSON object");
        return NULL;
    }
    json_object *v;
    const char *ops = member_str(o, "op");
    int op = ops ? lookup_name(ops, op_names, (int)(sizeof op_names / sizeof op_names[0])) : -1;
    if (op < 0) {
        fail(c, ops ? "unknown op" : "a node has no op");
        return NULL;
    }
    json_object *kids = NULL;
    size_t nk = 0;
    if (json_object_object_get_ex(o, "children", &kids) && kids) {
        if (!json_object_is_type(kids, json_type_array)) {
            fail(c, "children is not an array");
            return NULL;
        }
        nk = json_object_array_length(kids);
    }
    node *n = ds_arena_alloc(c->a, sizeof *n);
    if (!n) {
        fail(c, "out of memory");
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->op = (uint8_t)op;

    size_t want_min, want_max;
    switch (op) {
    case OP_COLUMN:
    case OP_LITERAL: want_min = want_max = 0; break;
    case OP_ISNULL:
    case OP_NOT: want_min = want_max = 1; break;
    case OP_AND:
    case OP_OR: /* the protocol says "at least two", as the reference checks */
        want_min = 2;
        want_max = SIZE_MAX;
        break;
    default: want_min = want_max = 2; break;
    }
    if (nk < want_min || nk > want_max) {
        fail(c, "wrong number of children");
        return NULL;
    }

    if (op == OP_COLUMN || op == OP_LITERAL) {
        const char *vts = member_str(o, "valueType");
        int vt = vts ? lookup_name(vts, vtype_names, (int)(sizeof vtype_names / sizeof vtype_names[0]))
                     : -1;
        if (vt < 0) {
            fail(c, vts ? "unknown valueType" : "a leaf has no valueType");
            return NULL;
        }
        n->vt = (uint8_t)vt;
        if (op == OP_COLUMN) {
            const char *name = member_str(o, "name");
            if (!name) {
                fail(c, "a column has no name");
                return NULL;
            }
            const field *fl = find_field(c, name);
            if (!fl) {
                fail(c, "a column is not in the table schema");
                return NULL;
            }
            n->key = fl->key;
            n->st = fl->st;
            n->str_ok = fl->str_ok;
        } else {
            size_t len;
            const char *s = json_object_object_get_ex(o, "value", &v) ? json_str(v, &len) : NULL;
            if (!s) {
                fail(c, "a literal has no string value");
                return NULL;
            }
            char *copy = ds_arena_strndup(c->a, s, len);
            if (!copy) {
                fail(c, "out of memory");
                return NULL;
            }
            if (literal_value(vt, copy, len, &n->lit)) {
                fail(c, "a literal does not parse as its valueType");
                return NULL;
            }
        }
        return n;
    }

    n->n = (uint32_t)nk;
    n->kids = ds_arena_alloc(c->a, nk * sizeof *n->kids);
    if (!n->kids) {
        fail(c, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < nk; i++) {
        n->kids[i] = build(c, json_object_array_get_idx(kids, i), depth + 1);
        if (!n->kids[i])
            return NULL;
    }

    switch (op) {
    case OP_ISNULL:
        if (!is_leaf(n->kids[0])) {
            fail(c, "isNull takes a column or a literal");
            return NULL;
        }
        break;
    case OP_NOT:
    case OP_AND:
    case OP_OR:
        for (size_t i = 0; i < nk; i++)
            if (!is_predicate(n->kids[i])) {
                fail(c, "a non-boolean leaf where a predicate is expected");
                return NULL;
            }
        break;
    default: /* comparisons */
        if (!is_leaf(n->kids[0]) || !is_leaf(n->kids[1])) {
            fail(c, "a comparison takes columns and literals");
            return NULL;
        }
        if (class_of(n->kids[0]->vt) != class_of(n->kids[1]->vt)) {
            fail(c, "a comparison of different value types");
            return NULL;
        }
        if (json_object_object_get_ex(o, "exprCtx", &v) &&
            json_object_is_type(v, json_type_object)) {
            const char *id = member_str(v, "collationIdentifier");
            if (id && !binary_collation(id))
                n->collated = 1;
        }
        break;
    }
    return n;
}

static int only_space(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return 0;
    return 1;
}

const ds_pred *ds_pred_parse(ds_arena *a, const char *json, size_t len, const ds_metadata *md,
                             const char **why)
{
    pctx c;
    memset(&c, 0, sizeof c);
    c.a = a;
    c.md = md;
    ds_pred *p = NULL;
    json_tokener *tok = NULL;
    json_object *root = NULL;

    if (!a || !json) {
        fail(&c, "no hint");
        goto out;
    }
    if (len > DS_PRED_MAX_BYTES) {
        fail(&c, "the hint is larger than 1 MiB");
        goto out;
    }
    if (memchr(json, '\0', len)) {
        fail(&c, "the hint is not valid JSON");
        goto out;
    }
    tok = json_tokener_new_ex(HINT_JSON_DEPTH);
    if (!tok) {
        fail(&c, "out of memory");
        goto out;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    root = json_tokener_parse_ex(tok, json, (int)len);
    if (!root || json_tokener_get_error(tok) != json_tokener_success) {
        fail(&c, json_tokener_get_error(tok) == json_tokener_error_depth
                     ? "the hint is nested deeper than 100"
                     : "the hint is not valid JSON");
        goto out;
    }
#if defined(JSON_C_VERSION_NUM) && JSON_C_VERSION_NUM >= ((0 << 16) | (15 << 8))
    size_t used = json_tokener_get_parse_end(tok);
#else
    size_t used = (size_t)tok->char_offset;
#endif
    if (used > len || !only_space(json + used, json + len)) {
        fail(&c, "the hint is not valid JSON");
        goto out;
    }
    node *r = build(&c, root, 1);
    if (!r)
        goto out;
    if (!is_predicate(r)) {
        fail(&c, "a non-boolean leaf where a predicate is expected");
        goto out;
    }
    p = ds_arena_alloc(a, sizeof *p);
    if (!p) {
        fail(&c, "out of memory");
        goto out;
    }
    p->root = r;
out:
    json_object_put(root);
    if (tok)
        json_tokener_free(tok);
    if (why)
        *why = p ? NULL : c.why;
    return p;
}
