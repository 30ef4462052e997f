/* check_predicate.c - jsonPredicateHints (src/api/predicate.c): every op
 * and valueType on a synthetic table, the NULL rule, unknowns through
 * and/or/not, casts, collations, malformed hints and limits, the real
 * partitioned fixtures (with and without column mapping), a soundness
 * check against a brute-force evaluator, and a fuzz of mutated hints. */
#include "config.h"
#include "api/predicate.h"
#include "delta/actions.h"
#include "delta/delta.h"
#include "util/arena.h"
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- hint builders ------------------------------------------------------ */

#define COL(n, t) "{\"op\":\"column\",\"name\":\"" n "\",\"valueType\":\"" t "\"}"
#define LIT(v, t) "{\"op\":\"literal\",\"value\":\"" v "\",\"valueType\":\"" t "\"}"
#define OP1(op, a) "{\"op\":\"" op "\",\"children\":[" a "]}"
#define OP2(op, a, b) "{\"op\":\"" op "\",\"children\":[" a "," b "]}"
#define OP3(op, a, b, c) "{\"op\":\"" op "\",\"children\":[" a "," b "," c "]}"
#define EQ(a, b) OP2("equal", a, b)
#define LT(a, b) OP2("lessThan", a, b)
#define LE(a, b) OP2("lessThanOrEqual", a, b)
#define GT(a, b) OP2("greaterThan", a, b)
#define GE(a, b) OP2("greaterThanOrEqual", a, b)
#define AND(a, b) OP2("and", a, b)
#define OR(a, b) OP2("or", a, b)
#define NOT(a) OP1("not", a)
#define ISNULL(a) OP1("isNull", a)

/* ---- a synthetic table ------------------------------------------------- */

#define FIELD(n, t, meta) "{\"name\":\"" n "\",\"type\":" t ",\"nullable\":true,\"metadata\":{" meta "}}"
static const char synth_schema[] =
    "{\"type\":\"struct\",\"fields\":["
    FIELD("p_int", "\"integer\"", "") ","
    FIELD("p_long", "\"long\"", "") ","
    FIELD("p_str", "\"string\"", "") ","
    FIELD("p_date", "\"date\"", "") ","
    FIELD("p_ts", "\"timestamp\"", "") ","
    FIELD("p_ntz", "\"timestamp_ntz\"", "") ","
    FIELD("p_bool", "\"boolean\"", "") ","
    FIELD("p_float", "\"float\"", "") ","
    FIELD("p_double", "\"double\"", "") ","
    FIELD("p_dec", "\"decimal(10,2)\"", "") ","
    FIELD("p_char", "\"string\"", "\"__CHAR_VARCHAR_TYPE_STRING\":\"char(5)\"") ","
    FIELD("p_vchar", "\"string\"", "\"__CHAR_VARCHAR_TYPE_STRING\":\"varchar(5)\"") ","
    FIELD("p_coll", "\"string\"", "\"__COLLATIONS\":{\"p_coll\":\"spark.UTF8_LCASE\"}") ","
    FIELD("Mixed_Case", "\"integer\"", "") ","
    FIELD("data", "\"long\"", "") ","
    FIELD("data_s", "{\"type\":\"struct\",\"fields\":[" FIELD("x", "\"integer\"", "") "]}", "")
    "]}";
static const char *synth_parts[] = {"p_int",  "p_long",  "p_str",   "p_date",  "p_ts",
                                    "p_ntz",  "p_bool",  "p_float", "p_double", "p_dec",
                                    "p_char", "p_vchar", "p_coll",  "mixed_case"};

static ds_metadata synth_md(void)
{
    ds_metadata m;
    memset(&m, 0, sizeof m);
    m.schema_string = synth_schema;
    m.partition_columns = synth_parts;
    m.n_partition_columns = sizeof synth_parts / sizeof synth_parts[0];
    return m;
}

/* A file from "k=v;k=v": "k=~" is JSON null, "k=" the empty string, and
 * the single spec "-" a file without partitionValues. */
#define MAXPV 16
typedef struct tfile {
    ds_file f;
    ds_pv pv[MAXPV];
    char buf[1024];
} tfile;

static void mkfile(tfile *t, const char *spec)
{
    memset(t, 0, sizeof *t);
    t->f.pvs = t->pv;
    t->f.kind = DS_ACT_ADD;
    if (strcmp(spec, "-") == 0)
        return;
    t->f.has_pvs = 1;
    if (strlen(spec) >= sizeof t->buf)
        ck_abort_msg("spec too long");
    strcpy(t->buf, spec);
    char *save = NULL;
    for (char *kv = strtok_r(t->buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq || t->f.npv >= MAXPV)
            ck_abort_msg("bad spec %s", spec);
        *eq = '\0';
        t->pv[t->f.npv].key = kv;
        t->pv[t->f.npv].value = strcmp(eq + 1, "~") == 0 ? NULL : eq + 1;
        t->f.npv++;
    }
}

/* ---- cases: hint, partition values, keep (1) or drop (0) ---------------- */

typedef struct pcase {
    const char *hint;
    const char *pvs;
    int keep;
} pcase;

#define TS_LIT(v) LIT(v, "timestamp")
#define EQNS(c, l) /* Spark's <=> as the client rewrites it */                                   \
    OR(AND(ISNULL(c), ISNULL(l)), OP3("and", NOT(ISNULL(c)), NOT(ISNULL(l)), EQ(c, l)))

static const pcase cases[] = {
    /* every comparison op, int */
    {EQ(COL("p_int", "int"), LIT("5", "int")), "p_int=5", 1},
    {EQ(COL("p_int", "int"), LIT("5", "int")), "p_int=6", 0},
    {LT(COL("p_int", "int"), LIT("5", "int")), "p_int=4", 1},
    {LT(COL("p_int", "int"), LIT("5", "int")), "p_int=5", 0},
    {LT(COL("p_int", "int"), LIT("5", "int")), "p_int=6", 0},
    {LE(COL("p_int", "int"), LIT("5", "int")), "p_int=5", 1},
    {LE(COL("p_int", "int"), LIT("5", "int")), "p_int=6", 0},
    {GT(COL("p_int", "int"), LIT("5", "int")), "p_int=6", 1},
    {GT(COL("p_int", "int"), LIT("5", "int")), "p_int=5", 0},
    {GE(COL("p_int", "int"), LIT("5", "int")), "p_int=5", 1},
    {GE(COL("p_int", "int"), LIT("5", "int")), "p_int=4", 0},
    {GE(COL("p_int", "int"), LIT("-5", "int")), "p_int=-6", 0},
    {GE(COL("p_int", "int"), LIT("+5", "int")), "p_int=5", 1},
    /* the literal on the left (Spark keeps the SQL order: 5 < col) */
    {LT(LIT("5", "int"), COL("p_int", "int")), "p_int=6", 1},
    {LT(LIT("5", "int"), COL("p_int", "int")), "p_int=5", 0},
    /* long: exact beyond 2^53 */
    {EQ(COL("p_long", "long"), LIT("9007199254740993", "long")), "p_long=9007199254740993", 1},
    {EQ(COL("p_long", "long"), LIT("9007199254740993", "long")), "p_long=9007199254740992", 0},
    {LT(COL("p_long", "long"), LIT("-9223372036854775808", "long")), "p_long=-9223372036854775808", 0},
    /* int valueType on a long column holding more than an int: unknown */
    {EQ(COL("p_long", "int"), LIT("1", "int")), "p_long=4294967297", 1},
    /* bool: false < true, case-insensitive text */
    {EQ(COL("p_bool", "bool"), LIT("true", "bool")), "p_bool=true", 1},
    {EQ(COL("p_bool", "bool"), LIT("true", "bool")), "p_bool=false", 0},
    {EQ(COL("p_bool", "bool"), LIT("TRUE", "bool")), "p_bool=True", 1},
    {LT(COL("p_bool", "bool"), LIT("true", "bool")), "p_bool=false", 1},
    {LT(COL("p_bool", "bool"), LIT("true", "bool")), "p_bool=true", 0},
    {EQ(COL("p_bool", "bool"), LIT("true", "bool")), "p_bool=yes", 1}, /* unparsable: unknown */
    /* a bool leaf as the predicate itself */
    {COL("p_bool", "bool"), "p_bool=true", 1},
    {COL("p_bool", "bool"), "p_bool=false", 0},
    {COL("p_bool", "bool"), "p_bool=~", 0},
    {NOT(COL("p_bool", "bool")), "p_bool=~", 1},
    {NOT(COL("p_bool", "bool")), "p_bool=true", 0},
    {LIT("false", "bool"), "p_int=1", 0},
    {LIT("true", "bool"), "p_int=1", 1},
    {AND(COL("p_bool", "bool"), EQ(COL("p_int", "int"), LIT("1", "int"))), "p_bool=true;p_int=1", 1},
    /* string: bytewise */
    {EQ(COL("p_str", "string"), LIT("abc", "string")), "p_str=abc", 1},
    {EQ(COL("p_str", "string"), LIT("abc", "string")), "p_str=abd", 0},
    {EQ(COL("p_str", "string"), LIT("abc", "string")), "p_str=abcd", 0},
    {LT(COL("p_str", "string"), LIT("a", "string")), "p_str=B", 1},
    {LT(COL("p_str", "string"), LIT("B", "string")), "p_str=a", 0},
    {LT(COL("p_str", "string"), LIT("ab", "string")), "p_str=a", 1},
    {GT(COL("p_str", "string"), LIT("z", "string")), "p_str=\xc3\xa9", 1},
    {LE(COL("p_str", "string"), LIT("z", "string")), "p_str=\xc3\xa9", 0},
    {EQ(COL("p_str", "string"), LIT("a\\\"b\\u00e9", "string")), "p_str=a\"b\xc3\xa9", 1},
    {EQ(COL("p_str", "string"), LIT("null", "string")), "p_str=null", 1}, /* the string, not NULL */
    {ISNULL(COL("p_str", "string")), "p_str=null", 0},
    /* date */
    {EQ(COL("p_date", "date"), LIT("2021-09-08", "date")), "p_date=2021-09-08", 1},
    {EQ(COL("p_date", "date"), LIT("2021-09-08", "date")), "p_date=2021-09-09", 0},
    {LT(COL("p_date", "date"), LIT("2021-01-01", "date")), "p_date=2020-12-31", 1},
    {LT(COL("p_date", "date"), LIT("2021-01-01", "date")), "p_date=2021-01-01", 0},
    {GT(COL("p_date", "date"), LIT("2020-02-28", "date")), "p_date=2020-02-29", 1},
    {GT(COL("p_date", "date"), LIT("1969-12-31", "date")), "p_date=1900-03-01", 0},
    {EQ(COL("p_date", "date"), LIT("2021-09-08", "date")), "p_date=2021-9-8", 1}, /* unknown */
    {EQ(COL("p_date", "date"), LIT("2000-02-29", "date")), "p_date=2000-02-29", 1},
    {EQ(COL("p_date", "date"), LIT("2001-01-01", "date")), "p_date=2000-12-31", 0},
    {EQ(COL("p_date", "date"), LIT("2000-02-29", "date")), "p_date=1900-02-29", 1}, /* not a date: unknown */
    /* float: single precision both sides, as Spark compares floats */
    {EQ(COL("p_float", "float"), LIT("1.0", "float")), "p_float=1.0", 1},
    {EQ(COL("p_float", "float"), LIT("1.0", "float")), "p_float=1.5", 0},
    {NOT(EQ(COL("p_float", "float"), LIT("0.1", "float"))), "p_float=0.1", 0},
    {EQ(COL("p_float", "float"), LIT("0.100000001", "float")), "p_float=0.1", 1},
    /* a float column cast to double is not the double 0.1 */
    {EQ(COL("p_float", "double"), LIT("0.1", "double")), "p_float=0.1", 0},
    {NOT(EQ(COL("p_float", "double"), LIT("0.1", "double"))), "p_float=0.1", 1},
    {EQ(COL("p_float", "double"), LIT("0.5", "double")), "p_float=0.5", 1},
    /* double */
    {EQ(COL("p_double", "double"), LIT("10000000000", "double")), "p_double=1.0E10", 1},
    {EQ(COL("p_double", "double"), LIT(".5", "double")), "p_double=0.5", 1},
    {EQ(COL("p_double", "double"), LIT("5.", "double")), "p_double=5e0", 1},
    {EQ(COL("p_double", "double"), LIT("+5E-1", "double")), "p_double=0.50", 1},
    {EQ(COL("p_double", "double"), LIT("5E-1", "double")), "p_double=0.51", 0},
    {GT(COL("p_double", "double"), LIT("1.5", "double")), "p_double=-Infinity", 0},
    {GT(COL("p_double", "double"), LIT("1.5", "double")), "p_double=Infinity", 1},
    {EQ(COL("p_double", "double"), LIT("Infinity", "double")), "p_double=Infinity", 1},
    {EQ(COL("p_double", "double"), LIT("-0.0", "double")), "p_double=0.0", 1},
    {EQ(COL("p_double", "double"), LIT("1", "double")), "p_double=NaN", 1},
    {NOT(EQ(COL("p_double", "double"), LIT("1", "double"))), "p_double=NaN", 1},
    {LT(COL("p_double", "double"), LIT("NaN", "double")), "p_double=1.0", 1},
    {GT(COL("p_double", "double"), LIT("NaN", "double")), "p_double=1.0", 1},
    {EQ(COL("p_double", "double"), LIT("1", "double")), "p_double=0x1p0", 1}, /* unknown */
    /* mixed numeric valueTypes compare by value */
    {EQ(COL("p_int", "int"), LIT("5.0", "double")), "p_int=5", 1},
    {EQ(COL("p_int", "int"), LIT("5.5", "double")), "p_int=5", 0},
    {LT(COL("p_int", "int"), LIT("5.5", "float")), "p_int=5", 1},
    {EQ(COL("p_long", "long"), LIT("9007199254740992", "double")), "p_long=9007199254740993", 1},
    {EQ(COL("p_long", "long"), LIT("9007199254740000", "double")), "p_long=9007199254740993", 0},
    /* timestamps: text without a zone may be any zone (+-18 h) */
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11:11Z")), "p_ts=2021-09-08 11:11:11", 1},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T20:11:11Z")), "p_ts=2021-09-08 11:11:11", 1},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-10T11:11:11Z")), "p_ts=2021-09-08 11:11:11", 0},
    {NOT(EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11:11Z"))), "p_ts=2021-09-08 11:11:11", 1},
    {LT(COL("p_ts", "timestamp"), TS_LIT("2021-09-10T00:00:00Z")), "p_ts=2021-09-08 11:11:11", 1},
    {GT(COL("p_ts", "timestamp"), TS_LIT("2021-09-10T00:00:00Z")), "p_ts=2021-09-08 11:11:11", 0},
    {GT(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T00:00:00Z")), "p_ts=2021-09-08 11:11:11", 1},
    {LE(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T00:00:00Z")), "p_ts=2021-09-08 11:11:11.5", 1},
    /* ... with a zone they are instants */
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11:11Z")), "p_ts=2021-09-08T11:11:11.000000Z", 1},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T12:11:11Z")), "p_ts=2021-09-08T11:11:11.000000Z", 0},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T13:11:11+02:00")), "p_ts=2021-09-08T11:11:11Z", 1},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T13:11:11+01:00")), "p_ts=2021-09-08T11:11:11Z", 0},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T13:11:11+0200")), "p_ts=2021-09-08T11:11:11Z", 1},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T09:11:11-02")), "p_ts=2021-09-08T11:11:11Z", 1},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T16:41:11+05:30")), "p_ts=2021-09-08T11:11:11Z", 1},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11Z")), "p_ts=2021-09-08T11:11:00Z", 1},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11Z")), "p_ts=2021-09-08T11:11:01Z", 0},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T16:41:11+05:00")), "p_ts=2021-09-08T11:11:11Z", 0},
    /* ... literals with at most 3 fraction digits may have lost their
     * microseconds (Spark cuts them): within 1 ms nothing is decided */
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11:11Z")), "p_ts=2021-09-08T11:11:11.000500Z", 1},
    {NOT(EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11:11.000Z"))), "p_ts=2021-09-08T11:11:11Z", 1},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11:11.000000Z")), "p_ts=2021-09-08T11:11:11.000500Z", 0},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11:11.002Z")), "p_ts=2021-09-08T11:11:11.000500Z", 0},
    {NOT(EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11:11.123456Z"))), "p_ts=2021-09-08T11:11:11.123456Z", 0},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11:11.1234567Z")), "p_ts=2021-09-08T11:11:11.123456Z", 1},
    {NOT(EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11:11.1234567Z"))), "p_ts=2021-09-08T11:11:11.123456Z", 1},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("1969-12-31T23:59:59.999Z")), "p_ts=1969-12-31T23:59:59.9995Z", 1},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("1969-12-31T23:59:59.990Z")), "p_ts=1969-12-31T23:59:59.9995Z", 0},
    /* before 1970 the cut goes up: -1.5 ms is sent as -1 ms */
    {EQ(COL("p_ts", "timestamp"), TS_LIT("1969-12-31T23:59:59.999Z")), "p_ts=1969-12-31T23:59:59.9985Z", 1},
    /* timestamp_ntz and a date read as a timestamp: no zone either */
    {EQ(COL("p_ntz", "timestamp"), TS_LIT("2021-09-08T17:00:00Z")), "p_ntz=2021-09-08 11:11:11", 1},
    {EQ(COL("p_ntz", "timestamp"), TS_LIT("2021-09-11T17:00:00Z")), "p_ntz=2021-09-08 11:11:11", 0},
    {EQ(COL("p_date", "timestamp"), TS_LIT("2021-09-08T05:00:00Z")), "p_date=2021-09-08", 1},
    {GT(COL("p_date", "timestamp"), TS_LIT("2021-09-12T00:00:00Z")), "p_date=2021-09-08", 0},
    /* a literal without a zone is as vague as a partition value */
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08 20:00:00")), "p_ts=2021-09-08T11:11:11Z", 1},
    {EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-10")), "p_ts=2021-09-08T11:11:11Z", 0},
    /* casts Spark would do the same way: string column read as int, date... */
    {EQ(COL("p_str", "int"), LIT("5", "int")), "p_str=5", 1},
    {EQ(COL("p_str", "int"), LIT("5", "int")), "p_str=6", 0},
    {EQ(COL("p_str", "int"), LIT("5", "int")), "p_str=abc", 1},
    {EQ(COL("p_str", "int"), LIT("5", "int")), "p_str= 6", 1},
    {EQ(COL("p_str", "date"), LIT("2021-09-08", "date")), "p_str=2021-09-09", 0},
    {EQ(COL("p_str", "double"), LIT("0.1", "double")), "p_str=0.1", 1},
    {EQ(COL("p_dec", "double"), LIT("1.5", "double")), "p_dec=1.50", 1},
    {EQ(COL("p_dec", "double"), LIT("1.5", "double")), "p_dec=2.50", 0},
    {EQ(COL("p_dec", "long"), LIT("2", "long")), "p_dec=1.50", 1}, /* Spark truncates: unknown */
    {EQ(COL("p_int", "float"), LIT("16777216", "float")), "p_int=16777217", 1},
    {EQ(COL("p_long", "double"), LIT("9007199254740992", "double")), "p_long=9007199254740993", 1},
    /* ... and casts we do not reproduce: unknown, whatever the value */
    {EQ(COL("p_int", "string"), LIT("5", "string")), "p_int=6", 1},
    {EQ(COL("p_double", "int"), LIT("1", "int")), "p_double=2.0", 1},
    {EQ(COL("p_ts", "date"), LIT("2021-09-08", "date")), "p_ts=2030-01-01 00:00:00", 1},
    {EQ(COL("p_bool", "int"), LIT("1", "int")), "p_bool=false", 1},
    {EQ(COL("p_double", "float"), LIT("1", "float")), "p_double=2.0", 1},
    /* a float column holds 16777216 for the text 16777217 */
    {EQ(COL("p_float", "int"), LIT("16777216", "int")), "p_float=16777217", 1},
    /* char(n) pads, collations compare otherwise: strings unknown there */
    {EQ(COL("p_char", "string"), LIT("ab", "string")), "p_char=zz   ", 1},
    {EQ(COL("p_vchar", "string"), LIT("ab", "string")), "p_vchar=zz", 0},
    {EQ(COL("p_coll", "string"), LIT("ab", "string")), "p_coll=zz", 1},
    {"{\"op\":\"equal\",\"exprCtx\":{\"collationIdentifier\":\"spark.UTF8_LCASE.75.1\"},\"children\":["
     COL("p_str", "string") "," LIT("abc", "string") "]}", "p_str=ABC", 1},
    {"{\"op\":\"equal\",\"exprCtx\":{\"collationIdentifier\":\"icu.UNICODE_CI.75.1\"},\"children\":["
     COL("p_str", "string") "," LIT("abc", "string") "]}", "p_str=ABC", 1},
    {"{\"op\":\"equal\",\"exprCtx\":{\"collationIdentifier\":\"spark.UTF8_BINARY\"},\"children\":["
     COL("p_str", "string") "," LIT("abc", "string") "]}", "p_str=ABC", 0},
    {"{\"op\":\"equal\",\"exprCtx\":{},\"children\":[" COL("p_str", "string") "," LIT("abc", "string") "]}",
     "p_str=ABC", 0},
    /* names: case-insensitive in the hint and in partitionValues */
    {EQ(COL("P_INT", "int"), LIT("5", "int")), "p_int=6", 0},
    {EQ(COL("mixed_case", "int"), LIT("5", "int")), "MIXED_case=6", 0},
    {EQ(COL("Mixed_Case", "int"), LIT("5", "int")), "Mixed_Case=5", 1},
    /* columns against columns, literals against literals */
    {EQ(COL("p_int", "int"), COL("p_long", "long")), "p_int=5;p_long=5", 1},
    {EQ(COL("p_int", "int"), COL("p_long", "long")), "p_int=5;p_long=6", 0},
    {EQ(COL("p_int", "int"), COL("data", "int")), "p_int=5", 1},
    {EQ(LIT("1", "int"), LIT("2", "int")), "p_int=5", 0},
    {LT(LIT("1", "int"), LIT("2", "int")), "p_int=5", 1},
    /* data columns are unknown, and Kleene logic carries that */
    {LT(COL("data", "long"), LIT("3", "long")), "p_int=5", 1},
    {NOT(LT(COL("data", "long"), LIT("3", "long"))), "p_int=5", 1},
    {AND(EQ(COL("p_int", "int"), LIT("5", "int")), LT(COL("data", "long"), LIT("3", "long"))), "p_int=6", 0},
    {AND(EQ(COL("p_int", "int"), LIT("5", "int")), LT(COL("data", "long"), LIT("3", "long"))), "p_int=5", 1},
    {OR(EQ(COL("p_int", "int"), LIT("5", "int")), LT(COL("data", "long"), LIT("3", "long"))), "p_int=6", 1},
    {NOT(AND(EQ(COL("p_int", "int"), LIT("5", "int")), LT(COL("data", "long"), LIT("3", "long")))), "p_int=5", 1},
    {NOT(AND(EQ(COL("p_int", "int"), LIT("5", "int")), LT(COL("data", "long"), LIT("3", "long")))), "p_int=6", 1},
    {NOT(OR(EQ(COL("p_int", "int"), LIT("5", "int")), LT(COL("data", "long"), LIT("3", "long")))), "p_int=5", 0},
    {NOT(OR(EQ(COL("p_int", "int"), LIT("5", "int")), LT(COL("data", "long"), LIT("3", "long")))), "p_int=6", 1},
    {OP3("and", EQ(COL("p_int", "int"), LIT("5", "int")), EQ(COL("p_str", "string"), LIT("a", "string")),
         LT(COL("data", "long"), LIT("3", "long"))), "p_int=5;p_str=b", 0},
    {OP3("or", EQ(COL("p_int", "int"), LIT("5", "int")), EQ(COL("p_int", "int"), LIT("6", "int")),
         EQ(COL("p_int", "int"), LIT("7", "int"))), "p_int=8", 0},
    {OP3("or", EQ(COL("p_int", "int"), LIT("5", "int")), EQ(COL("p_int", "int"), LIT("6", "int")),
         EQ(COL("p_int", "int"), LIT("7", "int"))), "p_int=7", 1},
    {NOT(NOT(EQ(COL("p_int", "int"), LIT("5", "int")))), "p_int=6", 0},
    {ISNULL(COL("data", "long")), "p_int=5", 1},
    {NOT(ISNULL(COL("data", "long"))), "p_int=5", 1},
    {EQ(COL("data_s", "int"), LIT("1", "int")), "p_int=5", 1},
    /* NULL partition values (JSON null and "" alike).  The rule: a
     * comparison with NULL is {FALSE, NULL}, never TRUE, so it drops; its
     * negation is {TRUE, NULL} and keeps (SQL would drop, dataframe
     * libraries keep: we keep). */
    {EQ(COL("p_int", "int"), LIT("5", "int")), "p_int=~", 0},
    {EQ(COL("p_int", "int"), LIT("5", "int")), "p_int=", 0},
    {LT(COL("p_int", "int"), LIT("5", "int")), "p_int=~", 0},
    {GE(COL("p_int", "int"), LIT("5", "int")), "p_int=~", 0},
    {NOT(EQ(COL("p_int", "int"), LIT("5", "int"))), "p_int=~", 1},
    {NOT(LT(COL("p_int", "int"), LIT("5", "int"))), "p_int=", 1},
    {EQ(COL("p_int", "int"), COL("data", "int")), "p_int=~", 0},
    {NOT(EQ(COL("p_int", "int"), COL("data", "int"))), "p_int=~", 1},
    {AND(NOT(EQ(COL("p_int", "int"), LIT("5", "int"))), EQ(COL("p_str", "string"), LIT("a", "string"))),
     "p_int=~;p_str=b", 0},
    {OR(EQ(COL("p_int", "int"), LIT("5", "int")), EQ(COL("p_int", "int"), LIT("6", "int"))), "p_int=~", 0},
    {NOT(OR(EQ(COL("p_int", "int"), LIT("5", "int")), EQ(COL("p_int", "int"), LIT("6", "int")))), "p_int=~", 1},
    {EQ(COL("p_str", "string"), LIT("", "string")), "p_str=", 0},
    /* isNull is exact: TRUE for NULL, FALSE otherwise, never NULL */
    {ISNULL(COL("p_int", "int")), "p_int=~", 1},
    {ISNULL(COL("p_int", "int")), "p_int=", 1},
    {ISNULL(COL("p_int", "int")), "p_int=5", 0},
    {NOT(ISNULL(COL("p_int", "int"))), "p_int=~", 0},
    {NOT(ISNULL(COL("p_int", "int"))), "p_int=5", 1},
    {ISNULL(LIT("5", "int")), "p_int=~", 0},
    {AND(ISNULL(COL("p_int", "int")), EQ(COL("p_str", "string"), LIT("a", "string"))), "p_int=~;p_str=a", 1},
    {OR(EQ(COL("p_int", "int"), LIT("5", "int")), ISNULL(COL("p_int", "int"))), "p_int=~", 1},
    /* ... but a value that does not cast may be NULL after the cast */
    {ISNULL(COL("p_str", "int")), "p_str=abc", 1},
    {NOT(ISNULL(COL("p_str", "int"))), "p_str=abc", 1},
    /* Spark's null-safe equality, rewritten by the client */
    {EQNS(COL("p_int", "int"), LIT("5", "int")), "p_int=~", 0},
    {EQNS(COL("p_int", "int"), LIT("5", "int")), "p_int=5", 1},
    {EQNS(COL("p_int", "int"), LIT("5", "int")), "p_int=6", 0},
    /* partition values the log lacks: claim nothing */
    {EQ(COL("p_int", "int"), LIT("5", "int")), "p_str=a", 1},
    {NOT(EQ(COL("p_int", "int"), LIT("5", "int"))), "p_str=a", 1},
    {ISNULL(COL("p_int", "int")), "p_str=a", 1},
    {EQ(COL("p_int", "int"), LIT("5", "int")), "-", 1},
    /* unknown fields are ignored, children may be [] or null on leaves */
    {"{\"op\":\"equal\",\"extra\":[1,{\"a\":null}],\"children\":["
     "{\"op\":\"column\",\"name\":\"p_int\",\"valueType\":\"int\",\"children\":[]},"
     "{\"op\":\"literal\",\"value\":\"5\",\"valueType\":\"int\",\"children\":null}]}", "p_int=6", 0},
    {" \n\t" EQ(COL("p_int", "int"), LIT("5", "int")) " \r\n", "p_int=6", 0},
};

START_TEST(ops)
{
    const pcase *c = &cases[_i];
    ds_metadata md = synth_md();
    ds_arena *a = ds_arena_new(0);
    const char *why = "unset";
    const ds_pred *p = ds_pred_parse(a, c->hint, strlen(c->hint), &md, &why);
    ck_assert_msg(p != NULL, "case %d: hint refused (%s): %s", _i, why ? why : "?", c->hint);
    ck_assert_ptr_null(why);
    tfile t;
    mkfile(&t, c->pvs);
    ck_assert_msg(ds_pred_may_match(p, &t.f) == c->keep, "case %d: expected %s for [%s]: %s", _i,
                  c->keep ? "keep" : "drop", c->pvs, c->hint);
    ds_arena_free(a);
}
END_TEST

/* ---- hints that must be refused ---------------------------------------- */

static const char *const bad_hints[] = {
    "",
    "   ",
    "not json",
    "{",
    "[]",
    "123",
    "\"equal\"",
    "null",
    "{}",
    "{\"op\":\"bogus\"}",
    "{\"op\":\"Equal\",\"children\":[" COL("p_int", "int") "," LIT("5", "int") "]}",
    "{\"op\":5}",
    "{\"op\":\"equal\"}",
    OP1("equal", COL("p_int", "int")),
    OP3("equal", COL("p_int", "int"), LIT("5", "int"), LIT("6", "int")),
    OP1("and", EQ(COL("p_int", "int"), LIT("5", "int"))),
    "{\"op\":\"and\",\"children\":[]}",
    OP1("or", EQ(COL("p_int", "int"), LIT("5", "int"))),
    OP2("not", ISNULL(COL("p_int", "int")), ISNULL(COL("p_int", "int"))),
    "{\"op\":\"not\"}",
    "{\"op\":\"isNull\",\"children\":[]}",
    ISNULL(EQ(COL("p_int", "int"), LIT("5", "int"))),
    EQ(EQ(COL("p_int", "int"), LIT("5", "int")), LIT("true", "bool")),
    "{\"op\":\"equal\",\"children\":{}}",
    "{\"op\":\"equal\",\"children\":[1,2]}",
    "{\"op\":\"column\",\"name\":\"p_bool\",\"valueType\":\"bool\",\"children\":[" LIT("1", "int") "]}",
    EQ("{\"op\":\"column\",\"valueType\":\"int\"}", LIT("5", "int")),
    EQ("{\"op\":\"column\",\"name\":5,\"valueType\":\"int\"}", LIT("5", "int")),
    EQ(COL("p_int", "integer"), LIT("5", "int")),
    EQ(COL("p_int", "Int"), LIT("5", "int")),
    EQ("{\"op\":\"column\",\"name\":\"p_int\"}", LIT("5", "int")),
    EQ(COL("p_int", "int"), "{\"op\":\"literal\",\"valueType\":\"int\"}"),
    EQ(COL("p_int", "int"), "{\"op\":\"literal\",\"value\":5,\"valueType\":\"int\"}"),
    EQ(COL("p_int", "int"), "{\"op\":\"literal\",\"value\":null,\"valueType\":\"int\"}"),
    EQ(COL("p_int", "int"), LIT("5x", "int")),
    EQ(COL("p_int", "int"), LIT("", "int")),
    EQ(COL("p_int", "int"), LIT(" 5", "int")),
    EQ(COL("p_int", "int"), LIT("3000000000", "int")),
    EQ(COL("p_long", "long"), LIT("9223372036854775808", "long")),
    EQ(COL("p_bool", "bool"), LIT("yes", "bool")),
    EQ(COL("p_double", "double"), LIT("1.0f", "double")),
    EQ(COL("p_double", "double"), LIT("0x10", "double")),
    EQ(COL("p_double", "double"), LIT("1e", "double")),
    EQ(COL("p_double", "double"), LIT("inf", "double")),
    EQ(COL("p_double", "double"), LIT(".", "double")),
    EQ(COL("p_date", "date"), LIT("2021-02-29", "date")),
    EQ(COL("p_date", "date"), LIT("1900-02-29", "date")),
    EQ(COL("p_date", "date"), LIT("2021-04-31", "date")),
    EQ(COL("p_date", "date"), LIT("2021-09-8", "date")),
    EQ(COL("p_date", "date"), LIT("2021-09-08 ", "date")),
    EQ(COL("p_date", "date"), LIT("2021-13-01", "date")),
    EQ(COL("p_date", "date"), LIT("2021-09-08T00:00:00Z", "date")),
    EQ(COL("p_date", "date"), LIT("0000-01-01", "date")),
    EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T25:00:00Z")),
    EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T24:00:00Z")),
    EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T23:60:00Z")),
    EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T23:59:60Z")),
    EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11:11+19:00")),
    EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11:11.Z")),
    EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08X11:11:11Z")),
    EQ(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11:11ZZ")),
    EQ(COL("p_ts", "timestamp"), TS_LIT("+10000-01-01T00:00:00Z")),
    EQ(COL("nope", "int"), LIT("5", "int")),
    EQ(COL("data_s.x", "int"), LIT("5", "int")),
    EQ(COL("p_int", "int"), LIT("5", "string")),
    EQ(COL("p_date", "date"), TS_LIT("2021-09-08T00:00:00Z")),
    EQ(COL("p_bool", "bool"), LIT("1", "int")),
    COL("p_int", "int"),
    LIT("5", "int"),
    NOT(COL("p_int", "int")),
    AND(COL("p_str", "string"), COL("p_bool", "bool")),
    EQ(COL("p_int", "int"), LIT("5", "int")) " x",
    EQ(COL("p_int", "int"), LIT("5", "int")) EQ(COL("p_int", "int"), LIT("5", "int")),
    "/* c */" EQ(COL("p_int", "int"), LIT("5", "int")),
    "{'op':'equal','children':[" COL("p_int", "int") "," LIT("5", "int") "]}",
    "{\"op\":\"equal\",\"children\":[" COL("p_int", "int") "," LIT("5", "int") ",]}",
    EQ(COL("p_int", "int"), LIT("5\\u0000", "int")),
    EQ(COL("p_str", "string"), LIT("a\\u0000b", "string")),
    EQ(COL("p_int\\u0000x", "int"), LIT("5", "int")),
};

START_TEST(malformed)
{
    const char *h = bad_hints[_i];
    ds_metadata md = synth_md();
    ds_arena *a = ds_arena_new(0);
    const char *why = NULL;
    const ds_pred *p = ds_pred_parse(a, h, strlen(h), &md, &why);
    ck_assert_msg(p == NULL, "bad hint %d accepted: %s", _i, h);
    ck_assert_ptr_nonnull(why);
    ck_assert_uint_gt(strlen(why), 0);
    ds_arena_free(a);
}
END_TEST

/* An embedded NUL (the length says more than the C string). */
START_TEST(nul_in_text)
{
    static const char h[] = EQ(COL("p_int", "int"), LIT("5", "int")) "\0 ";
    ds_metadata md = synth_md();
    ds_arena *a = ds_arena_new(0);
    ck_assert_ptr_null(ds_pred_parse(a, h, sizeof h - 1, &md, NULL));
    ck_assert_ptr_nonnull(ds_pred_parse(a, h, strlen(h), &md, NULL));
    ds_arena_free(a);
}
END_TEST

/* ---- limits ------------------------------------------------------------ */

/* not(not(...(equal(p_int, 5))...)) with depth nodes on the path. */
static char *nested(int depth)
{
    const char *leaf = EQ(COL("p_int", "int"), LIT("5", "int"));
    const char *open = "{\"op\":\"not\",\"children\":[", *close = "]}";
    int nots = depth - 2; /* the comparison and its leaves are two levels */
    size_t len = strlen(leaf) + (size_t)nots * (strlen(open) + strlen(close)) + 1;
    char *s = malloc(len), *p = s;
    ck_assert_ptr_nonnull(s);
    for (int i = 0; i < nots; i++)
        p += sprintf(p, "%s", open);
    p += sprintf(p, "%s", leaf);
    for (int i = 0; i < nots; i++)
        p += sprintf(p, "%s", close);
    return s;
}

START_TEST(depth_limit)
{
    ds_metadata md = synth_md();
    ds_arena *a = ds_arena_new(0);
    tfile t;
    mkfile(&t, "p_int=5");
    char *ok = nested(100), *deep = nested(101), *deeper = nested(5000);
    const char *why = NULL;
    const ds_pred *p = ds_pred_parse(a, ok, strlen(ok), &md, &why);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(ds_pred_may_match(p, &t.f), 1); /* 98 nots: even */
    mkfile(&t, "p_int=6");
    ck_assert_int_eq(ds_pred_may_match(p, &t.f), 0);
    ck_assert_ptr_null(ds_pred_parse(a, deep, strlen(deep), &md, &why));
    ck_assert_str_eq(why, "the hint is nested deeper than 100");
    ck_assert_ptr_null(ds_pred_parse(a, deeper, strlen(deeper), &md, &why));
    ck_assert_str_eq(why, "the hint is nested deeper than 100");
    free(ok);
    free(deep);
    free(deeper);
    ds_arena_free(a);
}
END_TEST

/* A valid hint padded with spaces to exactly n bytes. */
static char *padded(size_t n)
{
    const char *h = EQ(COL("p_int", "int"), LIT("5", "int"));
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, ' ', n);
    memcpy(s, h, strlen(h));
    s[n] = '\0';
    return s;
}

START_TEST(size_limit)
{
    ds_metadata md = synth_md();
    ds_arena *a = ds_arena_new(0);
    char *ok = padded(DS_PRED_MAX_BYTES), *big = padded(DS_PRED_MAX_BYTES + 1);
    const char *why = NULL;
    ck_assert_ptr_nonnull(ds_pred_parse(a, ok, DS_PRED_MAX_BYTES, &md, &why));
    ck_assert_ptr_null(ds_pred_parse(a, big, DS_PRED_MAX_BYTES + 1, &md, &why));
    ck_assert_str_eq(why, "the hint is larger than 1 MiB");
    free(ok);
    free(big);
    ds_arena_free(a);
}
END_TEST

/* A wide hint in a small arena: refused for memory, nothing leaks. */
START_TEST(arena_exhausted)
{
    ds_metadata md = synth_md();
    size_t n = 4000;
    const char *item = EQ(COL("p_int", "int"), LIT("5", "int"));
    char *h = malloc(n * (strlen(item) + 1) + 64), *p = h;
    ck_assert_ptr_nonnull(h);
    p += sprintf(p, "{\"op\":\"or\",\"children\":[");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? "," : "", item);
    p += sprintf(p, "]}");
    ds_arena *a = ds_arena_new(80 * 1024);
    ck_assert_ptr_nonnull(a);
    const char *why = NULL;
    ck_assert_ptr_null(ds_pred_parse(a, h, (size_t)(p - h), &md, &why));
    ck_assert_str_eq(why, "out of memory");
    ds_arena_free(a);
    /* with room it parses, and one equal among thousands decides */
    a = ds_arena_new(0);
    const ds_pred *pr = ds_pred_parse(a, h, (size_t)(p - h), &md, &why);
    ck_assert_ptr_nonnull(pr);
    tfile t;
    mkfile(&t, "p_int=6");
    ck_assert_int_eq(ds_pred_may_match(pr, &t.f), 0);
    ds_arena_free(a);
    free(h);
}
END_TEST

START_TEST(api_edges)
{
    ds_metadata md = synth_md();
    ds_arena *a = ds_arena_new(0);
    tfile t;
    mkfile(&t, "p_int=6");
    ck_assert_int_eq(ds_pred_may_match(NULL, &t.f), 1);
    const char *h = EQ(COL("p_int", "int"), LIT("5", "int"));
    ck_assert_ptr_null(ds_pred_parse(a, NULL, 0, &md, NULL));
    /* no schema: columns cannot be resolved; literals alone still work */
    ds_metadata none;
    memset(&none, 0, sizeof none);
    const char *why = NULL;
    ck_assert_ptr_null(ds_pred_parse(a, h, strlen(h), &none, &why));
    ck_assert_str_eq(why, "the table has no schema");
    ck_assert_ptr_null(ds_pred_parse(a, h, strlen(h), NULL, &why));
    const char *lits = EQ(LIT("1", "int"), LIT("2", "int"));
    const ds_pred *p = ds_pred_parse(a, lits, strlen(lits), &none, &why);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(ds_pred_may_match(p, &t.f), 0);
    /* an unreadable schema */
    none.schema_string = "{\"type\":\"struct\",\"fields\":";
    ck_assert_ptr_null(ds_pred_parse(a, h, strlen(h), &none, &why));
    ck_assert_str_eq(why, "the table schema cannot be read");
    /* a partition column the schema lacks is still refused by name */
    ds_arena_free(a);
}
END_TEST

/* Column mapping: logical names in the hint, physical keys in the log; a
 * mode we do not know leaves every column undecided. */
START_TEST(mapping_modes)
{
    static const char schema[] =
        "{\"type\":\"struct\",\"fields\":["
        FIELD("a", "\"integer\"", "\"delta.columnMapping.id\":1,\"delta.columnMapping.physicalName\":\"col-x\"") ","
        FIELD("b", "\"integer\"", "\"delta.columnMapping.id\":2") "]}";
    static const char *parts[] = {"a", "b"};
    ds_pv conf[1] = {{"delta.columnMapping.mode", "name"}};
    ds_metadata md;
    memset(&md, 0, sizeof md);
    md.schema_string = schema;
    md.partition_columns = parts;
    md.n_partition_columns = 2;
    md.configuration = conf;
    md.n_configuration = 1;
    static const char *modes[] = {"name", "id", "ID", "none", NULL, "bogus"};
    /* keep results for: a=5 keyed physically / a=5 keyed logically,
     * and b (no physicalName) */
    static const int phys_keep[] = {0, 0, 0, 0, 0, 1};
    static const int logical_keep[] = {1, 1, 1, 0, 0, 1};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        conf[0].value = modes[m];
        md.n_configuration = modes[m] ? 1 : 0;
        ds_arena *a = ds_arena_new(0);
        const char *h = EQ(COL("A", "int"), LIT("6", "int"));
        const ds_pred *p = ds_pred_parse(a, h, strlen(h), &md, NULL);
        ck_assert_ptr_nonnull(p);
        tfile t;
        mkfile(&t, "col-x=5;a=7");
        ck_assert_msg(ds_pred_may_match(p, &t.f) == phys_keep[m], "mode %s physical", modes[m]);
        mkfile(&t, "a=5");
        ck_assert_msg(ds_pred_may_match(p, &t.f) == logical_keep[m], "mode %s logical", modes[m]);
        h = EQ(COL("b", "int"), LIT("6", "int"));
        p = ds_pred_parse(a, h, strlen(h), &md, NULL);
        ck_assert_ptr_nonnull(p);
        mkfile(&t, "b=5");
        int mapped = modes[m] && (strcmp(modes[m], "none") != 0);
        ck_assert_int_eq(ds_pred_may_match(p, &t.f), mapped ? 1 : 0);
        /* the physical name is not a column name */
        h = EQ(COL("col-x", "int"), LIT("6", "int"));
        ck_assert_ptr_null(ds_pred_parse(a, h, strlen(h), &md, NULL));
        ds_arena_free(a);
    }
}
END_TEST

/* ---- the real fixtures -------------------------------------------------- */

static const char *shared_fixtures(void)
{
    static char dir[1024];
    const char *s = getenv("DS_SHARED");
    if (!s || !*s)
        return NULL;
    snprintf(dir, sizeof dir, "%s/fixtures", s);
    return dir;
}

typedef struct fixture {
    ds_arena *a;
    char *text;
    ds_metadata md;
    int has_md;
    ds_file files[8];
    size_t nfiles;
} fixture;

/* Decodes every line of a one-commit log with the replay's own parser. */
static void load_fixture(fixture *fx, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s/_delta_log/00000000000000000000.json", shared_fixtures(), name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    memset(fx, 0, sizeof *fx);
    fx->text = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(fx->text);
    ck_assert_uint_eq(fread(fx->text, 1, (size_t)len, f), (size_t)len);
    fx->text[len] = '\0';
    fclose(f);
    fx->a = ds_arena_new(0);
    for (char *line = fx->text; *line;) {
        char *nl = strchr(line, '\n');
        char *end = nl ? nl : line + strlen(line);
        if (end > line) {
            ds_action act;
            ds_error err;
            ds_error_clear(&err);
            ck_assert_int_eq(ds_parse_action(line, end, fx->a, &act, &err), 0);
            if (act.type == DS_A_METADATA) {
                fx->md = act.u.metadata;
                fx->has_md = 1;
            } else if (act.type == DS_A_FILE && act.u.file.kind == DS_ACT_ADD) {
                ck_assert_uint_lt(fx->nfiles, 8);
                fx->files[fx->nfiles++] = act.u.file;
            }
        }
        line = nl ? nl + 1 : end;
    }
    ck_assert(fx->has_md);
    ck_assert_uint_eq(fx->nfiles, 3);
}

static void free_fixture(fixture *fx)
{
    ds_arena_free(fx->a);
    free(fx->text);
}

/* Which of the three files a hint keeps, named by the file's as_int:
 * bit 0 the file with as_int=0, bit 1 as_int=1, bit 2 the all-NULL file.
 * The two fixtures hold the same values (one under column mapping). */
typedef struct fxcase {
    const char *hint;
    unsigned keep;
} fxcase;

#define K0 1u
#define K1 2u
#define KN 4u
static const fxcase fx_cases[] = {
    {EQ(COL("as_int", "int"), LIT("1", "int")), K1},
    {EQ(COL("as_int", "int"), LIT("0", "int")), K0},
    {NOT(EQ(COL("as_int", "int"), LIT("0", "int"))), K1 | KN},
    {ISNULL(COL("as_int", "int")), KN},
    {NOT(ISNULL(COL("as_int", "int"))), K0 | K1},
    {EQ(COL("as_long", "long"), LIT("1", "long")), K1},
    {EQ(COL("as_byte", "int"), LIT("1", "int")), K1},
    {LT(COL("as_short", "int"), LIT("1", "int")), K0},
    {COL("as_boolean", "bool"), K0},
    {NOT(COL("as_boolean", "bool")), K1 | KN},
    {GT(COL("as_float", "float"), LIT("0.5", "float")), K1},
    {EQ(COL("as_double", "double"), LIT("0", "double")), K0},
    {EQ(COL("as_string", "string"), LIT("1", "string")), K1},
    {GE(COL("as_string", "string"), LIT("0", "string")), K0 | K1},
    {EQ(COL("as_date", "date"), LIT("2021-09-08", "date")), K0 | K1},
    {LT(COL("as_date", "date"), LIT("2021-09-08", "date")), 0},
    {EQ(COL("as_timestamp", "timestamp"), TS_LIT("2021-09-08T11:11:11Z")), K0 | K1},
    {GT(COL("as_timestamp", "timestamp"), TS_LIT("2021-09-10T00:00:00Z")), 0},
    {EQ(COL("as_big_decimal", "double"), LIT("1", "double")), K1},
    {EQ(COL("as_big_decimal", "long"), LIT("1", "long")), K1},
    {EQ(COL("AS_INT", "int"), LIT("1", "int")), K1},
    {AND(EQ(COL("as_int", "int"), LIT("1", "int")), EQ(COL("value", "string"), LIT("1", "string"))), K1},
    {OR(EQ(COL("as_int", "int"), LIT("1", "int")), EQ(COL("value", "string"), LIT("1", "string"))),
     K0 | K1 | KN},
    {OR(EQ(COL("as_int", "int"), LIT("1", "int")), ISNULL(COL("as_date", "date"))), K1 | KN},
};

static unsigned kept_by(const fixture *fx, const ds_pred *p)
{
    unsigned keep = 0;
    for (size_t i = 0; i < fx->nfiles; i++) {
        const ds_file *f = &fx->files[i];
        const char *as_int = NULL;
        /* as_int's key: the logical name, or its physical name */
        for (uint32_t k = 0; k < f->npv; k++)
            if (strcmp(f->pvs[k].key, "as_int") == 0 ||
                strcmp(f->pvs[k].key, "col-25948c99-9f51-4e05-9f9e-b4f7042f75ed") == 0)
                as_int = f->pvs[k].value;
        unsigned bit = !as_int ? KN : strcmp(as_int, "0") == 0 ? K0 : K1;
        if (ds_pred_may_match(p, f))
            keep |= bit;
    }
    return keep;
}

static void run_fixture(const char *name)
{
    if (!shared_fixtures()) {
        fprintf(stderr, "%s: DS_SHARED is not set, fixture test skipped\n", name);
        return;
    }
    fixture fx;
    load_fixture(&fx, name);
    for (size_t i = 0; i < sizeof fx_cases / sizeof fx_cases[0]; i++) {
        const char *why = NULL;
        const ds_pred *p = ds_pred_parse(fx.a, fx_cases[i].hint, strlen(fx_cases[i].hint), &fx.md, &why);
        ck_assert_msg(p != NULL, "%s case %zu refused: %s", name, i, why);
        unsigned k = kept_by(&fx, p);
        ck_assert_msg(k == fx_cases[i].keep, "%s case %zu: kept %u, expected %u: %s", name, i, k,
                      fx_cases[i].keep, fx_cases[i].hint);
    }
    free_fixture(&fx);
}

START_TEST(fixture_plain)
{
    run_fixture("partition-values-types");
    if (!shared_fixtures())
        return;
    /* the string "null" is a value, not NULL */
    fixture fx;
    load_fixture(&fx, "partition-values-types");
    const char *h = ISNULL(COL("as_string_lit_null", "string"));
    const ds_pred *p = ds_pred_parse(fx.a, h, strlen(h), &fx.md, NULL);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(kept_by(&fx, p), KN);
    free_fixture(&fx);
}
END_TEST

START_TEST(fixture_column_mapping)
{
    run_fixture("column-mapping-name-partitioned");
    if (!shared_fixtures())
        return;
    fixture fx;
    load_fixture(&fx, "column-mapping-name-partitioned");
    /* physical names are not columns the client can name */
    const char *h = EQ(COL("col-25948c99-9f51-4e05-9f9e-b4f7042f75ed", "int"), LIT("1", "int"));
    const char *why = NULL;
    ck_assert_ptr_null(ds_pred_parse(fx.a, h, strlen(h), &fx.md, &why));
    ck_assert_str_eq(why, "a column is not in the table schema");
    free_fixture(&fx);
}
END_TEST

/* ---- soundness against a brute-force evaluator -------------------------- */

/* Every day of years 1-9999, as a column cast from string against a date
 * column: each day is after the one before and equal only to itself,
 * through leap years and century rules. */
START_TEST(calendar)
{
    static const char schema[] = "{\"type\":\"struct\",\"fields\":[" FIELD("d", "\"date\"", "") ","
        FIELD("s", "\"string\"", "") "]}";
    static const char *parts[] = {"d", "s"};
    ds_metadata md;
    memset(&md, 0, sizeof md);
    md.schema_string = schema;
    md.partition_columns = parts;
    md.n_partition_columns = 2;
    ds_arena *a = ds_arena_new(0);
    const char *lt = LT(COL("d", "date"), COL("s", "date")), *eq = EQ(COL("d", "date"), COL("s", "date"));
    const char *tlt = LT(COL("d", "timestamp"), COL("s", "timestamp"));
    const ds_pred *plt = ds_pred_parse(a, lt, strlen(lt), &md, NULL);
    const ds_pred *peq = ds_pred_parse(a, eq, strlen(eq), &md, NULL);
    const ds_pred *ptlt = ds_pred_parse(a, tlt, strlen(tlt), &md, NULL);
    ck_assert(plt && peq && ptlt);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    char prev[48] = "", cur[48];
    long n = 0;
    for (int y = 1; y <= 9999; y++)
        for (int m = 1; m <= 12; m++) {
            int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            int dim = mdays[m - 1] + (m == 2 && leap);
            for (int d = 1; d <= dim; d++) {
                snprintf(cur, sizeof cur, "%04d-%02d-%02d", y, m, d);
                ds_pv pv[2] = {{"d", prev}, {"s", cur}};
                ds_file f;
                memset(&f, 0, sizeof f);
                f.pvs = pv;
                f.npv = 2;
                f.has_pvs = 1;
                /* plain ifs: a Check assertion per day would cost a
                 * write to the fork pipe each */
                if (*prev) {
                    if (ds_pred_may_match(plt, &f) != 1 || ds_pred_may_match(peq, &f) != 0)
                        ck_abort_msg("%s < %s", prev, cur);
                    pv[0].value = cur;
                    pv[1].value = prev;
                    if (ds_pred_may_match(plt, &f) != 0)
                        ck_abort_msg("not %s < %s", cur, prev);
                }
                pv[0].value = pv[1].value = cur;
                if (ds_pred_may_match(peq, &f) != 1)
                    ck_abort_msg("%s = %s", cur, cur);
                memcpy(prev, cur, sizeof cur);
                n++;
            }
        }
    ck_assert_int_eq(n, 3652059); /* days in 0001-01-01 .. 9999-12-31 */
    /* timestamps without a zone a day apart are undecided; two apart not */
    ds_pv pv[2] = {{"d", "2000-02-28"}, {"s", "2000-03-01"}};
    ds_file f;
    memset(&f, 0, sizeof f);
    f.pvs = pv;
    f.npv = 2;
    f.has_pvs = 1;
    ck_assert_int_eq(ds_pred_may_match(ptlt, &f), 1);
    pv[0].value = "2000-03-01";
    pv[1].value = "2000-02-28";
    ck_assert_int_eq(ds_pred_may_match(ptlt, &f), 0);
    pv[1].value = "2000-02-29";
    ck_assert_int_eq(ds_pred_may_match(ptlt, &f), 1);
    ds_arena_free(a);
}
END_TEST


/* Random trees over two int partition columns a, b and a data column d.
 * For each file (a, b in {NULL, 0..3}) the reference evaluates the tree
 * for every value a row could give d (NULL, -1..4 covers every order
 * against literals 0..3), under SQL (NULL propagates) and under
 * dataframe semantics (comparisons with NULL are false).  The file must
 * be kept whenever some row makes it TRUE under either; and when d does
 * not occur and nothing is NULL, keep must be exactly the truth. */

enum { T3_F = 0, T3_T = 1, T3_N = 2 };
enum { RN_EQ, RN_LT, RN_LE, RN_GT, RN_GE, RN_ISNULL, RN_NOT, RN_AND, RN_OR };

typedef struct rnode {
    int kind;
    int lhs, rhs; /* comparisons: 0..3 literal, 10 a, 11 b, 12 d; isNull: operand */
    struct rnode *k[3];
    int nk;
} rnode;

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static int rand_operand(void)
{
    int r = (int)(rnd() % 7);
    return r < 4 ? r : 10 + (r - 4);
}

static rnode *gen(rnode *pool, int *used, int depth)
{
    rnode *n = &pool[(*used)++];
    memset(n, 0, sizeof *n);
    int leafy = depth >= 4 || rnd() % 3 == 0;
    if (leafy) {
        n->kind = (int)(rnd() % 6); /* comparisons and isNull */
        n->lhs = rand_operand();
        n->rhs = rand_operand();
        return n;
    }
    n->kind = RN_NOT + (int)(rnd() % 3);
    n->nk = n->kind == RN_NOT ? 1 : 2 + (int)(rnd() % 2);
    for (int i = 0; i < n->nk; i++)
        n->k[i] = gen(pool, used, depth + 1);
    return n;
}

static void emit_operand(char **p, int o)
{
    if (o < 10)
        *p += sprintf(*p, LIT("%d", "int"), o);
    else
        *p += sprintf(*p, "{\"op\":\"column\",\"name\":\"%s\",\"valueType\":\"int\"}",
                      o == 10 ? "a" : o == 11 ? "b" : "d");
}

static void emit(char **p, const rnode *n)
{
    static const char *names[] = {"equal", "lessThan", "lessThanOrEqual", "greaterThan",
                                  "greaterThanOrEqual", "isNull", "not", "and", "or"};
    *p += sprintf(*p, "{\"op\":\"%s\",\"children\":[", names[n->kind]);
    if (n->kind <= RN_GE) {
        emit_operand(p, n->lhs);
        *p += sprintf(*p, ",");
        emit_operand(p, n->rhs);
    } else if (n->kind == RN_ISNULL) {
        emit_operand(p, n->lhs);
    } else {
        for (int i = 0; i < n->nk; i++) {
            if (i)
                *p += sprintf(*p, ",");
            emit(p, n->k[i]);
        }
    }
    *p += sprintf(*p, "]}");
}

#define RNULL 100
static int operand_value(int o, const int env[3])
{
    return o < 10 ? o : env[o - 10];
}

/* sql: 1 for SQL three-valued logic, 0 for "NULL compares false". */
static int ref_eval(const rnode *n, const int env[3], int sql)
{
    if (n->kind == RN_ISNULL)
        return operand_value(n->lhs, env) == RNULL ? T3_T : T3_F;
    if (n->kind <= RN_GE) {
        int x = operand_value(n->lhs, env), y = operand_value(n->rhs, env);
        if (x == RNULL || y == RNULL)
            return sql ? T3_N : T3_F;
        int r = n->kind == RN_EQ ? x == y : n->kind == RN_LT ? x < y : n->kind == RN_LE ? x <= y
              : n->kind == RN_GT ? x > y : x >= y;
        return r ? T3_T : T3_F;
    }
    if (n->kind == RN_NOT) {
        int v = ref_eval(n->k[0], env, sql);
        return v == T3_N ? T3_N : v == T3_T ? T3_F : T3_T;
    }
    int acc = n->kind == RN_AND ? T3_T : T3_F;
    for (int i = 0; i < n->nk; i++) {
        int v = ref_eval(n->k[i], env, sql);
        if (n->kind == RN_AND)
            acc = (acc == T3_F || v == T3_F) ? T3_F : (acc == T3_N || v == T3_N) ? T3_N : T3_T;
        else
            acc = (acc == T3_T || v == T3_T) ? T3_T : (acc == T3_N || v == T3_N) ? T3_N : T3_F;
    }
    return acc;
}

static int uses_d(const rnode *n)
{
    if (n->kind <= RN_ISNULL)
        return n->lhs == 12 || (n->kind != RN_ISNULL && n->rhs == 12);
    for (int i = 0; i < n->nk; i++)
        if (uses_d(n->k[i]))
            return 1;
    return 0;
}

START_TEST(soundness)
{
    static const char schema[] = "{\"type\":\"struct\",\"fields\":[" FIELD("a", "\"integer\"", "") ","
        FIELD("b", "\"integer\"", "") "," FIELD("d", "\"integer\"", "") "]}";
    static const char *parts[] = {"a", "b"};
    ds_metadata md;
    memset(&md, 0, sizeof md);
    md.schema_string = schema;
    md.partition_columns = parts;
    md.n_partition_columns = 2;
    rng_state = 0x9E3779B97F4A7C15ull;
    static char text[64 * 1024];
    rnode pool[512];
    long exact = 0, checked = 0;
    for (int iter = 0; iter < 3000; iter++) {
        int used = 0;
        rnode *root = gen(pool, &used, 0);
        char *p = text;
        emit(&p, root);
        ds_arena *a = ds_arena_new(0);
        const ds_pred *pr = ds_pred_parse(a, text, (size_t)(p - text), &md, NULL);
        if (!pr)
            ck_abort_msg("generated hint refused: %s", text);
        for (int av = -1; av <= 3; av++)
            for (int bv = -1; bv <= 3; bv++) {
                tfile t;
                char spec[64];
                snprintf(spec, sizeof spec, "a=%s;b=%s", av < 0 ? "~" : (char[]){(char)('0' + av), 0},
                         bv < 0 ? "~" : (char[]){(char)('0' + bv), 0});
                mkfile(&t, spec);
                int keep = ds_pred_may_match(pr, &t.f);
                int some_true = 0;
                for (int dv = -2; dv <= 4; dv++) {
                    int env[3] = {av < 0 ? RNULL : av, bv < 0 ? RNULL : bv, dv == -2 ? RNULL : dv};
                    if (ref_eval(root, env, 1) == T3_T || ref_eval(root, env, 0) == T3_T)
                        some_true = 1;
                }
                if (!keep && some_true)
                    ck_abort_msg("dropped a matching file [%s]: %s", spec, text);
                if (!uses_d(root) && av >= 0 && bv >= 0) {
                    int env[3] = {av, bv, 0};
                    if (keep != (ref_eval(root, env, 1) == T3_T))
                        ck_abort_msg("imprecise [%s]: %s", spec, text);
                    exact++;
                }
                checked++;
            }
        ds_arena_free(a);
    }
    ck_assert_int_gt(exact, 1000);
    ck_assert_int_gt(checked, 50000);
}
END_TEST

/* ---- fuzz: truncated, mutated and random hints --------------------------- */

static const char *const seeds[] = {
    EQ(COL("p_int", "int"), LIT("5", "int")),
    AND(EQ(COL("p_date", "date"), LIT("2021-04-29", "date")), LT(COL("p_int", "int"), LIT("25", "int"))),
    NOT(ISNULL(COL("p_int", "int"))),
    EQNS(COL("p_str", "string"), LIT("a\\\"b", "string")),
    OR(GT(COL("p_ts", "timestamp"), TS_LIT("2021-09-08T11:11:11.123Z")),
       LE(COL("p_double", "double"), LIT("-1.5E3", "double"))),
    OP3("or", COL("p_bool", "bool"), EQ(COL("p_float", "float"), LIT("0.1", "float")),
        GE(COL("p_long", "long"), LIT("-9223372036854775808", "long"))),
    "{\"op\":\"equal\",\"exprCtx\":{\"collationIdentifier\":\"spark.UTF8_LCASE.75.1\"},\"children\":["
    COL("p_coll", "string") "," LIT("x", "string") "]}",
};

static const char *const fuzz_files[] = {
    "p_int=5;p_str=a\"b;p_date=2021-04-29;p_ts=2021-09-08 11:11:11;p_double=-1500;p_bool=true",
    "p_int=~;p_str=~;p_date=~;p_ts=~;p_double=~;p_bool=~;p_float=~;p_long=~;p_coll=~",
    "p_int=;p_str=;p_date=;p_ts=;p_double=;p_bool=;p_float=;p_long=",
    "p_int=x;p_str=\xff\xfe;p_date=2021-02-30;p_ts=9999-12-31T23:59:59.999999-18:00;p_double=NaN",
    "p_int=2147483648;p_long=99999999999999999999;p_float=1e999;p_ts=0001-01-01 00:00:00",
    "-",
    "unrelated=1",
};

static void check_any(const char *h, size_t len, const ds_metadata *md, long *accepted)
{
    ds_arena *a = ds_arena_new(0);
    const char *why = NULL;
    const ds_pred *p = ds_pred_parse(a, h, len, md, &why);
    if (p) {
        (*accepted)++;
        for (size_t i = 0; i < sizeof fuzz_files / sizeof fuzz_files[0]; i++) {
            tfile t;
            mkfile(&t, fuzz_files[i]);
            int r = ds_pred_may_match(p, &t.f);
            if (r != 0 && r != 1)
                ck_abort_msg("may_match gave %d", r);
        }
    } else if (!why) {
        ck_abort_msg("refused without a reason");
    }
    ds_arena_free(a);
}

START_TEST(fuzz)
{
    ds_metadata md = synth_md();
    static const char alphabet[] = "{}[]\":,\\ 0123456789.-+eEaZT\x01\x7f\xc3\xa9nulltruefalse";
    rng_state = 0xD1B54A32D192ED03ull;
    long accepted = 0, runs = 0;
    char *buf = malloc(8192);
    ck_assert_ptr_nonnull(buf);
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        size_t n = strlen(seeds[s]);
        /* every truncation: none but the whole parses */
        for (size_t k = 0; k <= n; k++) {
            memcpy(buf, seeds[s], k);
            long before = accepted;
            check_any(buf, k, &md, &accepted);
            if (k < n && accepted != before)
                ck_abort_msg("seed %zu truncated at %zu accepted", s, k);
            if (k == n && accepted != before + 1)
                ck_abort_msg("seed %zu refused", s);
            runs++;
        }
        /* random edits: replace, insert, delete, duplicate a span */
        for (int iter = 0; iter < 3000; iter++) {
            memcpy(buf, seeds[s], n);
            size_t len = n;
            int edits = 1 + (int)(rnd() % 4);
            for (int e = 0; e < edits && len > 0; e++) {
                size_t at = rnd() % len;
                char c = rnd() % 4 ? alphabet[rnd() % (sizeof alphabet - 1)] : (char)(rnd() & 0xff);
                switch (rnd() % 4) {
                case 0:
                    buf[at] = c;
                    break;
                case 1:
                    if (len + 1 < 8192) {
                        memmove(buf + at + 1, buf + at, len - at);
                        buf[at] = c;
                        len++;
                    }
                    break;
                case 2:
                    memmove(buf + at, buf + at + 1, len - at - 1);
                    len--;
                    break;
                default: {
                    size_t span = 1 + rnd() % 40;
                    if (at + span > len)
                        span = len - at;
                    if (len + span < 8192) {
                        memmove(buf + at + span, buf + at, len - at);
                        len += span;
                    }
                    break;
                }
                }
            }
            check_any(buf, len, &md, &accepted);
            runs++;
        }
    }
    /* random bytes */
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = rnd() % 256;
        for (size_t i = 0; i < len; i++)
            buf[i] = rnd() % 2 ? alphabet[rnd() % (sizeof alphabet - 1)] : (char)(rnd() & 0xff);
        check_any(buf, len, &md, &accepted);
        runs++;
    }
    free(buf);
    fprintf(stderr, "fuzz: %ld hints, %ld accepted\n", runs, accepted);
    ck_assert_int_gt(accepted, 100); /* the edits do leave some valid hints */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("predicate");
    TCase *t = tcase_create("semantics");
    tcase_add_loop_test(t, ops, 0, sizeof cases / sizeof cases[0]);
    tcase_add_loop_test(t, malformed, 0, sizeof bad_hints / sizeof bad_hints[0]);
    tcase_add_test(t, nul_in_text);
    tcase_add_test(t, depth_limit);
    tcase_add_test(t, size_limit);
    tcase_add_test(t, arena_exhausted);
    tcase_add_test(t, api_edges);
    tcase_add_test(t, mapping_modes);
    tcase_add_test(t, fixture_plain);
    tcase_add_test(t, fixture_column_mapping);
    suite_add_tcase(s, t);
    TCase *r = tcase_create("robustness");
    tcase_set_timeout(r, 300);
    tcase_add_test(r, soundness);
    tcase_add_test(r, calendar);
    tcase_add_test(r, fuzz);
    suite_add_tcase(s, r);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
