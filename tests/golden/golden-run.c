/* golden-run.c - runs golden HTTP cases against the real server binary in
 * plain CGI mode and compares status, headers, body, exit status and
 * stderr.  The case format is described in tests/golden/README.
 *
 *   golden-run BINARY CONFDIR CASEFILE...
 *
 * Each request of a case file is run as its own process, with a clean
 * environment (only the variables built here), stdin fed from a pipe and
 * stdout/stderr captured, under a 10 s limit.  One line per request:
 * "PASS name" or "FAIL name" (details follow a FAIL, indented), then
 * "N passed, M failed".  Exit status 0 when nothing failed, 1 otherwise,
 * 99 on a usage error.
 *
 * Plain C11 + POSIX; no other libraries.
 */
#define _XOPEN_SOURCE 700
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 10000
#define MAX_OUTPUT (64u * 1024 * 1024)
#define MAX_ITEMS 64
#define MOUNT "/delta-sharing"
#define SHOW_MAX 1500

/* ------------------------------------------------------------------ */
/* small helpers                                                        */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("golden-run: out of memory\n", stderr);
        exit(99);
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("golden-run: out of memory\n", stderr);
        exit(99);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *r = xmalloc(n + 1);
    memcpy(r, s, n + 1);
    return r;
}

/* growable byte string (always NUL-terminated; may hold NULs) */
typedef struct {
    char *d;
    size_t n, cap;
} str;

static void s_add(str *s, const void *p, size_t n)
{
    if (s->n + n + 1 > s->cap) {
        size_t c = s->cap ? s->cap : 64;
        while (c < s->n + n + 1)
            c *= 2;
        s->d = xrealloc(s->d, c);
        s->cap = c;
    }
    if (n)
        memcpy(s->d + s->n, p, n);
    s->n += n;
    s->d[s->n] = '\0';
}

static void s_puts(str *s, const char *p)
{
    s_add(s, p, strlen(p));
}

static void s_free(str *s)
{
    free(s->d);
    s->d = NULL;
    s->n = s->cap = 0;
}

static char *s_take(str *s)
{
    if (!s->d)
        s_add(s, "", 0);
    char *r = s->d;
    s->d = NULL;
    s->n = s->cap = 0;
    return r;
}

static const char *find_bytes(const char *h, size_t hn, const char *n, size_t nn)
{
    if (nn == 0)
        return h;
    for (size_t i = 0; i + nn <= hn; i++)
        if (h[i] == n[0] && memcmp(h + i, n, nn) == 0)
            return h + i;
    return NULL;
}

/* failure messages for the current request */
static str fails;

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    s_puts(&fails, "    ");
    s_puts(&fails, buf);
    s_puts(&fails, "\n");
}

/* Appends bytes to fails, escaped so that they show on one line. */
static void fail_show(const char *label, const char *p, size_t n)
{
    s_puts(&fails, "      ");
    s_puts(&fails, label);
    s_puts(&fails, "'");
    size_t lim = n > SHOW_MAX ? SHOW_MAX : n;
    for (size_t i = 0; i < lim; i++) {
        unsigned char c = (unsigned char)p[i];
        char e[8];
        if (c == '\n')
            s_puts(&fails, "\\n");
        else if (c == '\r')
            s_puts(&fails, "\\r");
        else if (c == '\t')
            s_puts(&fails, "\\t");
        else if (c < 0x20 || c >= 0x7f) {
            snprintf(e, sizeof e, "\\x%02x", c);
            s_puts(&fails, e);
        } else {
            s_add(&fails, &p[i], 1);
        }
    }
    s_puts(&fails, "'");
    if (lim < n) {
        char m[64];
        snprintf(m, sizeof m, " ... (%zu bytes in all)", n);
        s_puts(&fails, m);
    }
    s_puts(&fails, "\n");
}

/* ------------------------------------------------------------------ */
/* variables captured from responses                                    */

typedef struct {
    char *name, *value;
} kv;

static kv vars[4096]; /* captures of one case file (one per signed link) */
static size_t nvars;

static const char *var_get(const char *name)
{
    for (size_t i = 0; i < nvars; i++)
        if (strcmp(vars[i].name, name) == 0)
            return vars[i].value;
    return NULL;
}

static void var_set(const char *name, const char *p, size_t n)
{
    char *v = xmalloc(n + 1);
    memcpy(v, p, n);
    v[n] = '\0';
    for (size_t i = 0; i < nvars; i++)
        if (strcmp(vars[i].name, name) == 0) {
            free(vars[i].value);
            vars[i].value = v;
            return;
        }
    if (nvars == sizeof vars / sizeof vars[0]) {
        fputs("golden-run: too many variables\n", stderr);
        exit(99);
    }
    vars[nvars].name = xstrdup(name);
    vars[nvars].value = v;
    nvars++;
}

static void vars_clear(void)
{
    for (size_t i = 0; i < nvars; i++) {
        free(vars[i].name);
        free(vars[i].value);
    }
    nvars = 0;
}

/* ------------------------------------------------------------------ */
/* templates: @CONFDIR@, @TMPDIR@, {{NAME}}, {{=NAME}}, {{repeat N TEXT}},
 * {{hex HH..}}                                                          */

static const char *g_confdir, *g_tmpdir, *g_shared, *g_conf;

enum { SEG_LIT, SEG_CAP, SEG_REF };
typedef struct {
    int kind;
    str lit;     /* SEG_LIT */
    char *name;  /* SEG_CAP, SEG_REF */
} seg;

typedef struct {
    seg *v;
    size_t n;
} segs;

static void segs_free(segs *ss)
{
    for (size_t i = 0; i < ss->n; i++) {
        s_free(&ss->v[i].lit);
        free(ss->v[i].name);
    }
    free(ss->v);
    ss->v = NULL;
    ss->n = 0;
}

static str *segs_lit(segs *ss)
{
    if (ss->n == 0 || ss->v[ss->n - 1].kind != SEG_LIT) {
        ss->v = xrealloc(ss->v, (ss->n + 1) * sizeof *ss->v);
        memset(&ss->v[ss->n], 0, sizeof ss->v[ss->n]);
        ss->v[ss->n].kind = SEG_LIT;
        s_add(&ss->v[ss->n].lit, "", 0);
        ss->n++;
    }
    return &ss->v[ss->n - 1].lit;
}

static int is_name(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return 0;
    return 1;
}

static int hexv(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Compiles template t into segments.  allow_cap: {{=NAME}} permitted
 * (expectations only).  Returns 0, or -1 with a message in *why. */
static int compile(const char *t, int allow_cap, segs *out, char *why, size_t whysz)
{
    memset(out, 0, sizeof *out);
    const char *p = t;
    while (*p) {
        if (*p == '@' && strncmp(p, "@CONFDIR@", 9) == 0) {
            s_puts(segs_lit(out), g_confdir);
            p += 9;
            continue;
        }
        if (*p == '@' && strncmp(p, "@TMPDIR@", 8) == 0) {
            s_puts(segs_lit(out), g_tmpdir);
            p += 8;
            continue;
        }
        if (*p == '@' && strncmp(p, "@SHARED@", 8) == 0) {
            if (!g_shared) {
                snprintf(why, whysz, "@SHARED@ is used but DS_SHARED is not set or missing");
                segs_free(out);
                return -1;
            }
            s_puts(segs_lit(out), g_shared);
            p += 8;
            continue;
        }
        if (*p == '@' && strncmp(p, "@CONF@", 6) == 0) {
            if (!g_conf) {
                snprintf(why, whysz, "@CONF@ is used but the request has no config");
                segs_free(out);
                return -1;
            }
            s_puts(segs_lit(out), g_conf);
            p += 6;
            continue;
        }
        if (p[0] != '{' || p[1] != '{') {
            s_add(segs_lit(out), p, 1);
            p++;
            continue;
        }
        const char *in = p + 2, *end = strstr(in, "}}");
        if (!end) {
            snprintf(why, whysz, "unterminated '{{' in '%.60s'", p);
            segs_free(out);
            return -1;
        }
        size_t n = (size_t)(end - in);
        if (n > 1 && in[0] == '=' && is_name(in + 1, n - 1)) {
            if (!allow_cap) {
                snprintf(why, whysz, "a capture {{=NAME}} is only allowed in expectations");
                segs_free(out);
                return -1;
            }
            out->v = xrealloc(out->v, (out->n + 1) * sizeof *out->v);
            memset(&out->v[out->n], 0, sizeof out->v[out->n]);
            out->v[out->n].kind = SEG_CAP;
            out->v[out->n].name = xmalloc(n);
            memcpy(out->v[out->n].name, in + 1, n - 1);
            out->v[out->n].name[n - 1] = '\0';
            out->n++;
        } else if (is_name(in, n) && !(n == 3 && memcmp(in, "hex", 3) == 0)) {
            char name[128];
            if (n >= sizeof name) {
                snprintf(why, whysz, "variable name too long");
                segs_free(out);
                return -1;
            }
            memcpy(name, in, n);
            name[n] = '\0';
            const char *v = var_get(name);
            int earlier = 0; /* captured before in this same expectation */
            for (size_t k = 0; !v && allow_cap && k < out->n; k++)
                earlier |= out->v[k].kind == SEG_CAP && strcmp(out->v[k].name, name) == 0;
            if (earlier) {
                out->v = xrealloc(out->v, (out->n + 1) * sizeof *out->v);
                memset(&out->v[out->n], 0, sizeof out->v[out->n]);
                out->v[out->n].kind = SEG_REF;
                out->v[out->n].name = xmalloc(n + 1);
                memcpy(out->v[out->n].name, name, n + 1);
                out->n++;
                p = end + 2;
                continue;
            }
            if (!v) {
                snprintf(why, whysz, "variable '%s' is not set (no earlier capture)", name);
                segs_free(out);
                return -1;
            }
            s_puts(segs_lit(out), v);
        } else if (n > 7 && memcmp(in, "repeat ", 7) == 0) {
            char *e;
            errno = 0;
            unsigned long cnt = strtoul(in + 7, &e, 10);
            if (errno || e == in + 7 || *e != ' ' || cnt > 16u * 1024 * 1024 || e + 1 >= end) {
                snprintf(why, whysz, "bad {{repeat COUNT TEXT}}: '%.*s'", (int)n, in);
                segs_free(out);
                return -1;
            }
            str *l = segs_lit(out);
            for (unsigned long i = 0; i < cnt; i++)
                s_add(l, e + 1, (size_t)(end - (e + 1)));
        } else if (n > 4 && memcmp(in, "hex ", 4) == 0) {
            str *l = segs_lit(out);
            for (const char *h = in + 4; h < end;) {
                if (*h == ' ') {
                    h++;
                    continue;
                }
                int a = hexv((unsigned char)h[0]), b = h + 1 < end ? hexv((unsigned char)h[1]) : -1;
                if (a < 0 || b < 0) {
                    snprintf(why, whysz, "bad {{hex ...}}: '%.*s'", (int)n, in);
                    segs_free(out);
                    return -1;
                }
                char c = (char)(a * 16 + b);
                s_add(l, &c, 1);
                h += 2;
            }
        } else {
            snprintf(why, whysz, "unknown placeholder '{{%.*s}}'", (int)(n > 60 ? 60 : n), in);
            segs_free(out);
            return -1;
        }
        p = end + 2;
    }
    return 0;
}

/* Expands a request-side template to plain bytes. */
static int expand(const char *t, str *out, char *why, size_t whysz)
{
    segs ss;
    if (compile(t, 0, &ss, why, whysz) < 0)
        return -1;
    memset(out, 0, sizeof *out);
    s_add(out, "", 0);
    for (size_t i = 0; i < ss.n; i++)
        s_add(out, ss.v[i].lit.d, ss.v[i].lit.n);
    segs_free(&ss);
    return 0;
}

static int tokch(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_';
}

/* Matches actual[0..n) against the compiled expectation.  Captures are
 * stored only on a full match.  On a mismatch *diff_at gets the first
 * differing byte offset in actual and `shown` the expectation as far as it
 * could be rendered (literal text, captured values, {{=NAME}} markers). */
static int match(const segs *ss, const char *a, size_t n, size_t *diff_at, str *shown)
{
    size_t pos = 0;
    size_t *capstart = xmalloc((ss->n + 1) * sizeof *capstart);
    size_t *caplen = xmalloc((ss->n + 1) * sizeof *caplen);
    int ok = 1;
    memset(shown, 0, sizeof *shown);
    s_add(shown, "", 0);
    for (size_t i = 0; i < ss->n; i++) {
        const seg *g = &ss->v[i];
        if (g->kind == SEG_LIT) {
            s_add(shown, g->lit.d, g->lit.n);
            if (!ok)
                continue;
            size_t k = 0;
            while (k < g->lit.n && pos + k < n && a[pos + k] == g->lit.d[k])
                k++;
            if (k < g->lit.n) {
                ok = 0;
                *diff_at = pos + k;
                continue;
            }
            pos += k;
        } else if (g->kind == SEG_REF) {
            /* the same text as the capture of that name earlier in this
             * expectation */
            size_t j = i;
            while (j-- > 0)
                if (ss->v[j].kind == SEG_CAP && strcmp(ss->v[j].name, g->name) == 0)
                    break;
            if (!ok) {
                s_puts(shown, "{{");
                s_puts(shown, g->name);
                s_puts(shown, "}}");
                continue;
            }
            size_t k = caplen[j];
            if (pos + k > n || memcmp(a + pos, a + capstart[j], k) != 0 ||
                (pos + k < n && tokch((unsigned char)a[pos + k]))) {
                s_puts(shown, "{{");
                s_puts(shown, g->name);
                s_puts(shown, "}}");
                ok = 0;
                *diff_at = pos;
                continue;
            }
            s_add(shown, a + pos, k);
            pos += k;
        } else {
            if (!ok) {
                s_puts(shown, "{{=");
                s_puts(shown, g->name);
                s_puts(shown, "}}");
                continue;
            }
            size_t k = 0;
            while (pos + k < n && tokch((unsigned char)a[pos + k]))
                k++;
            if (k == 0) {
                s_puts(shown, "{{=");
                s_puts(shown, g->name);
                s_puts(shown, "}}");
                ok = 0;
                *diff_at = pos;
                continue;
            }
            capstart[i] = pos;
            caplen[i] = k;
            s_add(shown, a + pos, k);
            pos += k;
        }
    }
    if (ok && pos != n) {
        ok = 0;
        *diff_at = pos;
    }
    if (ok)
        for (size_t i = 0; i < ss->n; i++)
            if (ss->v[i].kind == SEG_CAP)
                var_set(ss->v[i].name, a + capstart[i], caplen[i]);
    free(capstart);
    free(caplen);
    return ok;
}

/* Compares actual with template; on mismatch records a diff under label. */
static int check_text(const char *label, const char *tmpl, const char *a, size_t n)
{
    char why[256];
    segs ss;
    if (compile(tmpl, 1, &ss, why, sizeof why) < 0) {
        failf("%s: %s", label, why);
        return 0;
    }
    size_t at = 0;
    str shown;
    int ok = match(&ss, a, n, &at, &shown);
    if (!ok) {
        failf("%s differs (first differing byte at offset %zu):", label, at);
        fail_show("expected: ", shown.d, shown.n);
        fail_show("actual:   ", a, n);
        size_t from = at > 20 ? at - 20 : 0;
        /* the rendered expectation lines up with actual up to `at` */
        size_t en = shown.n > from ? shown.n - from : 0;
        fail_show("near, expected: ", shown.d + (from < shown.n ? from : shown.n),
                  en > 60 ? 60 : en);
        size_t an = n > from ? n - from : 0;
        fail_show("near, actual:   ", a + (from < n ? from : n), an > 60 ? 60 : an);
    }
    s_free(&shown);
    segs_free(&ss);
    return ok;
}

/* ------------------------------------------------------------------ */
/* case files                                                           */

typedef struct {
    char *name;     /* "file/request" */
    const char *file;
    int line;
    /* request */
    char *conf;     /* template in CONFDIR, or NULL */
    char *conf_path;/* raw path (template), or NULL */
    int conf_env;   /* pass it as DELTA_SHARING_CONF instead of -c */
    char *method;
    char *path;
    kv headers[MAX_ITEMS];
    size_t nheaders;
    kv env[MAX_ITEMS];
    size_t nenv;
    char *unset[MAX_ITEMS];
    size_t nunset;
    char *args[MAX_ITEMS];
    size_t nargs;
    char *program;  /* environment variable naming the program, or NULL */
    /* files to make before the request runs: kind 'd', 'f' or 'l' */
    char setup_kind[MAX_ITEMS];
    char *setup_path[MAX_ITEMS], *setup_arg[MAX_ITEMS];
    size_t nsetup;
    str body;
    int have_body;
    char *now;
    /* expectations */
    int exit_code;
    char *status;
    kv exp_headers[MAX_ITEMS];
    size_t nexp_headers;
    char *no_headers[MAX_ITEMS];
    size_t nno_headers;
    str exp_body;   /* template text with '\n' after each line */
    int have_exp_body;
    int other_headers;
    str exp_stdout;
    int have_exp_stdout;
    char *stderr_has[MAX_ITEMS];
    size_t nstderr_has;
    char *stderr_lacks[MAX_ITEMS];
    size_t nstderr_lacks;
    int stderr_empty;
} request;

static void req_free(request *r)
{
    free(r->name);
    free(r->conf);
    free(r->conf_path);
    free(r->method);
    free(r->path);
    for (size_t i = 0; i < r->nheaders; i++)
        free(r->headers[i].name), free(r->headers[i].value);
    for (size_t i = 0; i < r->nenv; i++)
        free(r->env[i].name), free(r->env[i].value);
    for (size_t i = 0; i < r->nunset; i++)
        free(r->unset[i]);
    for (size_t i = 0; i < r->nargs; i++)
        free(r->args[i]);
    free(r->program);
    for (size_t i = 0; i < r->nsetup; i++)
        free(r->setup_path[i]), free(r->setup_arg[i]);
    s_free(&r->body);
    free(r->now);
    free(r->status);
    for (size_t i = 0; i < r->nexp_headers; i++)
        free(r->exp_headers[i].name), free(r->exp_headers[i].value);
    for (size_t i = 0; i < r->nno_headers; i++)
        free(r->no_headers[i]);
    s_free(&r->exp_body);
    s_free(&r->exp_stdout);
    for (size_t i = 0; i < r->nstderr_has; i++)
        free(r->stderr_has[i]);
    for (size_t i = 0; i < r->nstderr_lacks; i++)
        free(r->stderr_lacks[i]);
    memset(r, 0, sizeof *r);
}

static char *dupn(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void str_copy(str *dst, const str *src)
{
    memset(dst, 0, sizeof *dst);
    if (src->d)
        s_add(dst, src->d, src->n);
}

/* Deep copy (defaults -> new request). */
static void req_copy(request *d, const request *s)
{
    memset(d, 0, sizeof *d);
    d->file = s->file;
    d->line = s->line;
    d->conf = dupn(s->conf);
    d->conf_path = dupn(s->conf_path);
    d->conf_env = s->conf_env;
    d->method = dupn(s->method);
    d->path = dupn(s->path);
    for (size_t i = 0; i < s->nheaders; i++)
        d->headers[i].name = dupn(s->headers[i].name),
        d->headers[i].value = dupn(s->headers[i].value);
    d->nheaders = s->nheaders;
    for (size_t i = 0; i < s->nenv; i++)
        d->env[i].name = dupn(s->env[i].name), d->env[i].value = dupn(s->env[i].value);
    d->nenv = s->nenv;
    for (size_t i = 0; i < s->nunset; i++)
        d->unset[i] = dupn(s->unset[i]);
    d->nunset = s->nunset;
    for (size_t i = 0; i < s->nargs; i++)
        d->args[i] = dupn(s->args[i]);
    d->nargs = s->nargs;
    d->program = dupn(s->program);
    /* setup directives are refused in the defaults: nothing to copy */
    str_copy(&d->body, &s->body);
    d->have_body = s->have_body;
    d->now = dupn(s->now);
    d->exit_code = s->exit_code;
    d->status = dupn(s->status);
    for (size_t i = 0; i < s->nexp_headers; i++)
        d->exp_headers[i].name = dupn(s->exp_headers[i].name),
        d->exp_headers[i].value = dupn(s->exp_headers[i].value);
    d->nexp_headers = s->nexp_headers;
    for (size_t i = 0; i < s->nno_headers; i++)
        d->no_headers[i] = dupn(s->no_headers[i]);
    d->nno_headers = s->nno_headers;
    str_copy(&d->exp_body, &s->exp_body);
    d->have_exp_body = s->have_exp_body;
    d->other_headers = s->other_headers;
    str_copy(&d->exp_stdout, &s->exp_stdout);
    d->have_exp_stdout = s->have_exp_stdout;
    for (size_t i = 0; i < s->nstderr_has; i++)
        d->stderr_has[i] = dupn(s->stderr_has[i]);
    d->nstderr_has = s->nstderr_has;
    for (size_t i = 0; i < s->nstderr_lacks; i++)
        d->stderr_lacks[i] = dupn(s->stderr_lacks[i]);
    d->nstderr_lacks = s->nstderr_lacks;
    d->stderr_empty = s->stderr_empty;
}

static int parse_error(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int parse_error(const char *file, int line, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("ERROR %s:%d: %s\n", file, line, buf);
    return -1;
}

static int push(char **arr, size_t *n, const char *v, const char *file, int line)
{
    if (*n == MAX_ITEMS)
        return parse_error(file, line, "too many entries of this kind (max %d)", MAX_ITEMS);
    arr[(*n)++] = xstrdup(v);
    return 0;
}

static int push_kv(kv *arr, size_t *n, const char *k, size_t kn, const char *v,
                   int replace, const char *file, int line)
{
    if (replace)
        for (size_t i = 0; i < *n; i++)
            if (strlen(arr[i].name) == kn && strncasecmp(arr[i].name, k, kn) == 0) {
                free(arr[i].value);
                arr[i].value = xstrdup(v);
                return 0;
            }
    if (*n == MAX_ITEMS)
        return parse_error(file, line, "too many entries of this kind (max %d)", MAX_ITEMS);
    arr[*n].name = xmalloc(kn + 1);
    memcpy(arr[*n].name, k, kn);
    arr[*n].name[kn] = '\0';
    arr[*n].value = xstrdup(v);
    (*n)++;
    return 0;
}

/* "Name: value" -> name length and value pointer */
static int split_header(const char *v, size_t *kn, const char **val)
{
    const char *c = strchr(v, ':');
    if (!c || c == v)
        return -1;
    for (const char *k = v; k < c; k++)
        if (*k == ' ' || *k == '\t')
            return -1;
    *kn = (size_t)(c - v);
    c++;
    while (*c == ' ' || *c == '\t')
        c++;
    *val = c;
    return 0;
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = xstrdup(v);
}

/* Applies one directive to r.  in_request: 0 for file-level defaults. */
static int directive(request *r, const char *key, const char *v, const char *file, int line)
{
    size_t kn;
    const char *hv;
    if (strcmp(key, "conf") == 0) {
        if (strchr(v, '/') || !*v)
            return parse_error(file, line, "conf takes a file name in CONFDIR (or 'none')");
        free(r->conf_path);
        r->conf_path = NULL;
        free(r->conf);
        r->conf = strcmp(v, "none") == 0 ? NULL : xstrdup(v);
    } else if (strcmp(key, "conf-path") == 0) {
        free(r->conf);
        r->conf = NULL;
        set_str(&r->conf_path, v);
    } else if (strcmp(key, "conf-via-env") == 0) {
        r->conf_env = 1;
    } else if (strcmp(key, "method") == 0) {
        set_str(&r->method, v);
    } else if (strcmp(key, "path") == 0) {
        set_str(&r->path, v);
    } else if (strcmp(key, "header") == 0) {
        if (split_header(v, &kn, &hv) < 0)
            return parse_error(file, line, "expected 'header Name: value'");
        return push_kv(r->headers, &r->nheaders, v, kn, hv, 1, file, line);
    } else if (strcmp(key, "env") == 0) {
        const char *eq = strchr(v, '=');
        if (!eq || eq == v)
            return parse_error(file, line, "expected 'env NAME=VALUE'");
        return push_kv(r->env, &r->nenv, v, (size_t)(eq - v), eq + 1, 1, file, line);
    } else if (strcmp(key, "unset") == 0) {
        return push(r->unset, &r->nunset, v, file, line);
    } else if (strcmp(key, "arg") == 0) {
        return push(r->args, &r->nargs, v, file, line);
    } else if (strcmp(key, "program") == 0) {
        int ok = *v && !isdigit((unsigned char)*v);
        for (const char *c = v; ok && *c; c++)
            ok = isupper((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_';
        if (!ok)
            return parse_error(file, line, "program takes the name of an environment "
                                           "variable holding the program (e.g. DS_ADMIN)");
        set_str(&r->program, v);
    } else if (strcmp(key, "make-dir") == 0 || strcmp(key, "make-file") == 0 ||
               strcmp(key, "make-symlink") == 0) {
        if (!r->name)
            return parse_error(file, line, "%s belongs in a request, not in the defaults", key);
        const char *sp = strchr(v, ' ');
        char kind = key[5] == 'd' ? 'd' : key[5] == 'f' ? 'f' : 'l';
        if (!*v || v[0] == ' ' || (kind == 'd' && sp) || (kind == 'l' && (!sp || !sp[1])))
            return parse_error(file, line, "expected 'make-dir PATH', 'make-file PATH [TEXT]' "
                                           "or 'make-symlink PATH TARGET'");
        if (r->nsetup == MAX_ITEMS)
            return parse_error(file, line, "too many make-* lines (max %d)", MAX_ITEMS);
        size_t pn = sp ? (size_t)(sp - v) : strlen(v);
        r->setup_kind[r->nsetup] = kind;
        r->setup_path[r->nsetup] = xmalloc(pn + 1);
        memcpy(r->setup_path[r->nsetup], v, pn);
        r->setup_path[r->nsetup][pn] = '\0';
        r->setup_arg[r->nsetup] = xstrdup(sp ? sp + 1 : "");
        r->nsetup++;
    } else if (strcmp(key, "body") == 0 || strcmp(key, "body-line") == 0) {
        s_puts(&r->body, v);
        if (key[4] == '-')
            s_puts(&r->body, "\n");
        r->have_body = 1;
    } else if (strcmp(key, "now") == 0) {
        set_str(&r->now, v);
    } else if (strcmp(key, "expect-exit") == 0) {
        char *e;
        long x = strtol(v, &e, 10);
        if (*e || e == v || x < 0 || x > 255)
            return parse_error(file, line, "expect-exit takes 0..255");
        r->exit_code = (int)x;
    } else if (strcmp(key, "expect-status") == 0) {
        set_str(&r->status, v);
    } else if (strcmp(key, "expect-header") == 0) {
        if (split_header(v, &kn, &hv) < 0)
            return parse_error(file, line, "expected 'expect-header Name: value'");
        return push_kv(r->exp_headers, &r->nexp_headers, v, kn, hv, 0, file, line);
    } else if (strcmp(key, "expect-no-header") == 0) {
        return push(r->no_headers, &r->nno_headers, v, file, line);
    } else if (strcmp(key, "expect-other-headers") == 0) {
        r->other_headers = 1;
    } else if (strcmp(key, "expect-body") == 0) {
        s_puts(&r->exp_body, v);
        s_puts(&r->exp_body, "\n");
        r->have_exp_body = 1;
    } else if (strcmp(key, "expect-body-raw") == 0) {
        s_puts(&r->exp_body, v);
        r->have_exp_body = 1;
    } else if (strcmp(key, "expect-empty-body") == 0) {
        s_free(&r->exp_body);
        s_add(&r->exp_body, "", 0);
        r->have_exp_body = 1;
    } else if (strcmp(key, "expect-stdout") == 0) {
        s_puts(&r->exp_stdout, v);
        s_puts(&r->exp_stdout, "\n");
        r->have_exp_stdout = 1;
    } else if (strcmp(key, "expect-empty-stdout") == 0) {
        s_free(&r->exp_stdout);
        s_add(&r->exp_stdout, "", 0);
        r->have_exp_stdout = 1;
    } else if (strcmp(key, "expect-stderr") == 0) {
        return push(r->stderr_has, &r->nstderr_has, v, file, line);
    } else if (strcmp(key, "expect-stderr-lacks") == 0) {
        return push(r->stderr_lacks, &r->nstderr_lacks, v, file, line);
    } else if (strcmp(key, "expect-empty-stderr") == 0) {
        r->stderr_empty = 1;
    } else {
        return parse_error(file, line, "unknown directive '%s'", key);
    }
    return 0;
}

/* Checks that a finished request description makes sense. */
static int req_validate(const request *r)
{
    int cgi = r->status || r->nexp_headers || r->nno_headers || r->have_exp_body;
    if (cgi && r->have_exp_stdout)
        return parse_error(r->file, r->line, "%s: expect-stdout cannot be combined with "
                                             "CGI response expectations", r->name);
    if (cgi && (!r->status || !r->have_exp_body))
        return parse_error(r->file, r->line, "%s: a CGI response needs expect-status and "
                                             "expect-body (or expect-empty-body)", r->name);
    if (!cgi && !r->have_exp_stdout)
        return parse_error(r->file, r->line, "%s: no expectation on stdout (give "
                                             "expect-status... or expect-stdout)", r->name);
    return 0;
}

static int load_cases(const char *file, request **out, size_t *nout)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return parse_error(file, 0, "cannot open: %s", strerror(errno));
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t bl = strlen(base);
    if (bl > 5 && strcmp(base + bl - 5, ".case") == 0)
        bl -= 5;
    request defaults, *reqs = NULL;
    memset(&defaults, 0, sizeof defaults);
    defaults.file = file;
    size_t n = 0;
    int in_request = 0, rc = 0, line = 0;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    while (rc == 0 && (len = getline(&buf, &cap, f)) >= 0) {
        line++;
        if (len && buf[len - 1] == '\n')
            buf[--len] = '\0';
        if (len && buf[len - 1] == '\r')
            buf[--len] = '\0';
        char *s = buf;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#')
            continue;
        char *sp = strchr(s, ' ');
        const char *val = "";
        if (sp) {
            *sp = '\0';
            val = sp + 1;
        }
        if (strcmp(s, "request") == 0) {
            if (!*val) {
                rc = parse_error(file, line, "request needs a name");
                break;
            }
            if (in_request && req_validate(&reqs[n - 1]) < 0) {
                rc = -1;
                break;
            }
            reqs = xrealloc(reqs, (n + 1) * sizeof *reqs);
            req_copy(&reqs[n], &defaults);
            reqs[n].line = line;
            reqs[n].name = xmalloc(bl + strlen(val) + 2);
            memcpy(reqs[n].name, base, bl);
            reqs[n].name[bl] = '/';
            strcpy(reqs[n].name + bl + 1, val);
            n++;
            in_request = 1;
            continue;
        }
        rc = directive(in_request ? &reqs[n - 1] : &defaults, s, val, file, line);
    }
    free(buf);
    fclose(f);
    if (rc == 0 && in_request && req_validate(&reqs[n - 1]) < 0)
        rc = -1;
    if (rc == 0 && n == 0)
        rc = parse_error(file, line, "no request in this file");
    req_free(&defaults);
    if (rc < 0) {
        for (size_t i = 0; i < n; i++)
            req_free(&reqs[i]);
        free(reqs);
        return -1;
    }
    *out = reqs;
    *nout = n;
    return 0;
}

/* ------------------------------------------------------------------ */
/* temp dir and config templates                                        */

static int copy_conf(const char *name, char *why, size_t whysz)
{
    char src[4096], dst[4096];
    snprintf(src, sizeof src, "%s/%s", g_confdir, name);
    snprintf(dst, sizeof dst, "%s/%s", g_tmpdir, name);
    if (access(dst, F_OK) == 0)
        return 0; /* one copy per case file: page tokens stay valid */
    FILE *in = fopen(src, "rb");
    if (!in) {
        snprintf(why, whysz, "cannot open config template %.300s: %s", src, strerror(errno));
        return -1;
    }
    str t = {0}, o = {0};
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, in)) > 0)
        s_add(&t, chunk, got);
    fclose(in);
    s_add(&t, "", 0);
    for (size_t i = 0; i < t.n;) {
        if (strncmp(t.d + i, "@CONFDIR@", 9) == 0) {
            s_puts(&o, g_confdir);
            i += 9;
        } else if (strncmp(t.d + i, "@TMPDIR@", 8) == 0) {
            s_puts(&o, g_tmpdir);
            i += 8;
        } else if (strncmp(t.d + i, "@SHARED@", 8) == 0) {
            if (!g_shared) {
                snprintf(why, whysz, "config template %.300s uses @SHARED@ but DS_SHARED is "
                                     "not set or missing", src);
                s_free(&t);
                s_free(&o);
                return -1;
            }
            s_puts(&o, g_shared);
            i += 8;
        } else {
            s_add(&o, t.d + i, 1);
            i++;
        }
    }
    FILE *out = fopen(dst, "wb");
    int ok = out && fwrite(o.d ? o.d : "", 1, o.n, out) == o.n;
    if (out && fclose(out) != 0)
        ok = 0;
    s_free(&t);
    s_free(&o);
    if (!ok) {
        snprintf(why, whysz, "cannot write %.300s", dst);
        return -1;
    }
    return 0;
}

/* Removes a tree without following symbolic links. */
static void remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) < 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char p[4096];
                snprintf(p, sizeof p, "%s/%s", path, e->d_name);
                remove_tree(p);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void remove_tmpdir(const char *dir)
{
    remove_tree(dir);
}

/* make-dir, make-file, make-symlink: only below the temporary directory.
 * Files get a fixed modification time, so Last-Modified compares. */
#define MADE_MTIME 1767225600 /* 2026-01-01T00:00:00Z */

static int mkdirs(char *path, char *why, size_t whysz)
{
    for (char *s = path + strlen(g_tmpdir) + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        int rc = mkdir(path, 0755);
        *s = '/';
        if (rc < 0 && errno != EEXIST) {
            snprintf(why, whysz, "mkdir for %.300s: %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int run_setup(const request *r, char *why, size_t whysz)
{
    for (size_t i = 0; i < r->nsetup; i++) {
        str path, arg;
        if (expand(r->setup_path[i], &path, why, whysz) < 0)
            return -1;
        if (expand(r->setup_arg[i], &arg, why, whysz) < 0) {
            s_free(&path);
            return -1;
        }
        size_t tl = strlen(g_tmpdir);
        int rc = 0;
        if (path.n <= tl + 1 || strncmp(path.d, g_tmpdir, tl) != 0 || path.d[tl] != '/' ||
            strstr(path.d, "/../") || strstr(path.d, "/./") || memchr(path.d, '\0', path.n)) {
            snprintf(why, whysz, "make-*: %.300s is not a path below @TMPDIR@", path.d);
            rc = -1;
        } else if (r->setup_kind[i] == 'd') {
            s_puts(&path, "/");
            rc = mkdirs(path.d, why, whysz);
        } else if ((rc = mkdirs(path.d, why, whysz)) == 0 && r->setup_kind[i] == 'l') {
            unlink(path.d);
            if (symlink(arg.d, path.d) < 0) {
                snprintf(why, whysz, "symlink %.300s: %s", path.d, strerror(errno));
                rc = -1;
            }
        } else if (rc == 0) {
            int fd = open(path.d, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
            int ok = fd >= 0 && (arg.n == 0 || write(fd, arg.d, arg.n) == (ssize_t)arg.n);
            struct timespec ts[2] = {{MADE_MTIME, 0}, {MADE_MTIME, 0}};
            ok = ok && futimens(fd, ts) == 0;
            if (fd >= 0 && close(fd) != 0)
                ok = 0;
            if (!ok) {
                snprintf(why, whysz, "make-file %.300s: %s", path.d, strerror(errno));
                rc = -1;
            }
        }
        s_free(&path);
        s_free(&arg);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* running one request                                                  */

typedef struct {
    str out, err;
    int status;       /* from waitpid */
    int timed_out;
    int spawn_failed;
} result;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int env_nul; /* a value held a NUL byte */

static void env_put(char ***env, size_t *n, const char *name, const char *val, size_t vlen)
{
    if (memchr(val, '\0', vlen))
        env_nul = 1;
    size_t nl = strlen(name);
    char *e = xmalloc(nl + vlen + 2);
    memcpy(e, name, nl);
    e[nl] = '=';
    memcpy(e + nl + 1, val, vlen);
    e[nl + 1 + vlen] = '\0';
    for (size_t i = 0; i < *n; i++)
        if (strncmp((*env)[i], name, nl) == 0 && (*env)[i][nl] == '=') {
            free((*env)[i]);
            (*env)[i] = e;
            return;
        }
    *env = xrealloc(*env, (*n + 2) * sizeof **env);
    (*env)[(*n)++] = e;
    (*env)[*n] = NULL;
}

static void env_del(char **env, size_t *n, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < *n; i++)
        if (strncmp(env[i], name, nl) == 0 && env[i][nl] == '=') {
            free(env[i]);
            memmove(&env[i], &env[i + 1], (*n - i) * sizeof *env);
            (*n)--;
            return;
        }
}

static void header_env_name(const char *h, char *out, size_t outsz)
{
    size_t o = 0;
    if (strcasecmp(h, "Content-Type") != 0 && strcasecmp(h, "Content-Length") != 0) {
        memcpy(out, "HTTP_", 5);
        o = 5;
    }
    for (; *h && o + 1 < outsz; h++)
        out[o++] = *h == '-' ? '_' : (char)toupper((unsigned char)*h);
    out[o] = '\0';
}

/* Builds argv and envp; -1 with a message when a template fails. */
static int build(const request *r, char *binary, char ***argvp, char ***envp, str *stdin_data,
                 char *why, size_t whysz)
{
    char **argv = xmalloc((r->nargs + 4) * sizeof *argv), **env = NULL;
    size_t na = 0, ne = 0;
    str conf = {0}, tmp;
    const char *prog = binary;
    if (r->program && !(prog = getenv(r->program))) {
        argv[0] = NULL;
        *argvp = argv;
        env = xmalloc(sizeof *env);
        env[0] = NULL;
        *envp = env;
        snprintf(why, whysz, "program: the environment variable %s is not set", r->program);
        return -1;
    }
    argv[na++] = xstrdup(prog);
    env = xmalloc(sizeof *env);
    env[0] = NULL;
    int rc = -1;
    env_nul = 0;
    free((char *)g_conf);
    g_conf = NULL;

    if (r->conf) {
        if (copy_conf(r->conf, why, whysz) < 0)
            goto out;
        s_puts(&conf, g_tmpdir);
        s_puts(&conf, "/");
        s_puts(&conf, r->conf);
    } else if (r->conf_path) {
        if (expand(r->conf_path, &conf, why, whysz) < 0)
            goto out;
    }
    if (conf.d)
        g_conf = xstrdup(conf.d);
    if (conf.d && !r->conf_env && !r->program) {
        argv[na++] = xstrdup("-c");
        argv[na++] = xstrdup(conf.d);
    }
    for (size_t i = 0; i < r->nargs; i++) {
        if (expand(r->args[i], &tmp, why, whysz) < 0)
            goto out;
        argv[na++] = s_take(&tmp);
    }
    argv[na] = NULL;

    /* the CGI request */
    const char *method = r->method ? r->method : "GET";
    str path = {0};
    if (expand(r->path ? r->path : "/", &path, why, whysz) < 0)
        goto out;
    const char *q = memchr(path.d, '?', path.n);
    env_put(&env, &ne, "GATEWAY_INTERFACE", "CGI/1.1", 7);
    env_put(&env, &ne, "SERVER_PROTOCOL", "HTTP/1.1", 8);
    env_put(&env, &ne, "REQUEST_METHOD", method, strlen(method));
    env_put(&env, &ne, "SCRIPT_NAME", MOUNT, strlen(MOUNT));
    str uri = {0};
    s_puts(&uri, MOUNT);
    s_add(&uri, path.d, path.n);
    env_put(&env, &ne, "REQUEST_URI", uri.d, uri.n);
    s_free(&uri);
    env_put(&env, &ne, "QUERY_STRING", q ? q + 1 : "", q ? path.n - (size_t)(q + 1 - path.d) : 0);
    s_free(&path);
    if (conf.d && r->conf_env)
        env_put(&env, &ne, "DELTA_SHARING_CONF", conf.d, conf.n);
    if (r->now)
        env_put(&env, &ne, "DELTA_SHARING_FAKE_NOW", r->now, strlen(r->now));
    /* sanitizer settings of the harness, if any, pass through */
    static const char *const pass[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL};
    for (const char *const *p = pass; *p; p++) {
        const char *v = getenv(*p);
        if (v)
            env_put(&env, &ne, *p, v, strlen(v));
    }
    for (size_t i = 0; i < r->nheaders; i++) {
        char name[256];
        header_env_name(r->headers[i].name, name, sizeof name);
        if (expand(r->headers[i].value, &tmp, why, whysz) < 0)
            goto out;
        env_put(&env, &ne, name, tmp.d, tmp.n);
        s_free(&tmp);
    }
    memset(stdin_data, 0, sizeof *stdin_data);
    if (r->have_body) {
        if (expand(r->body.d ? r->body.d : "", stdin_data, why, whysz) < 0)
            goto out;
        char cl[32];
        snprintf(cl, sizeof cl, "%zu", stdin_data->n);
        env_put(&env, &ne, "CONTENT_LENGTH", cl, strlen(cl));
    }
    for (size_t i = 0; i < r->nenv; i++) {
        if (expand(r->env[i].value, &tmp, why, whysz) < 0)
            goto out;
        env_put(&env, &ne, r->env[i].name, tmp.d, tmp.n);
        s_free(&tmp);
    }
    for (size_t i = 0; i < r->nunset; i++)
        env_del(env, &ne, r->unset[i]);
    if (env_nul) {
        snprintf(why, whysz, "an environment value holds a NUL byte");
        goto out;
    }
    rc = 0;
out:
    s_free(&conf);
    if (rc < 0)
        argv[na] = NULL;
    *argvp = argv;
    *envp = env;
    return rc;
}

static void free_vec(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

static void run(char *const argv[], char *const envp[], const str *in, result *res)
{
    int pin[2], pout[2], perr[2];
    memset(res, 0, sizeof *res);
    if (pipe(pin) < 0 || pipe(pout) < 0 || pipe(perr) < 0) {
        res->spawn_failed = 1;
        return;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(pin[i], F_SETFD, FD_CLOEXEC);
        fcntl(pout[i], F_SETFD, FD_CLOEXEC);
        fcntl(perr[i], F_SETFD, FD_CLOEXEC);
    }
    pid_t pid = fork();
    if (pid < 0) {
        res->spawn_failed = 1;
        close(pin[0]), close(pin[1]), close(pout[0]), close(pout[1]);
        close(perr[0]), close(perr[1]);
        return;
    }
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGPIPE, &sa, NULL);
        setpgid(0, 0);
        if (dup2(pin[0], 0) < 0 || dup2(pout[1], 1) < 0 || dup2(perr[1], 2) < 0)
            _exit(126);
        execve(argv[0], argv, envp);
        static const char msg[] = "golden-run: execve failed\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(127);
    }
    setpgid(pid, pid); /* also from here: no race with the kill below */
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    int fin = pin[1], fo = pout[0], fe = perr[0];
    fcntl(fin, F_SETFL, O_NONBLOCK);
    size_t written = 0;
    if (in->n == 0) {
        close(fin);
        fin = -1;
    }
    int64_t deadline = mono_ms() + TIMEOUT_MS;
    int too_much = 0;
    while (fo >= 0 || fe >= 0) {
        struct pollfd pf[3];
        int np = 0, ii = -1, io = -1, ie = -1;
        if (fin >= 0)
            ii = np, pf[np].fd = fin, pf[np].events = POLLOUT, pf[np++].revents = 0;
        if (fo >= 0)
            io = np, pf[np].fd = fo, pf[np].events = POLLIN, pf[np++].revents = 0;
        if (fe >= 0)
            ie = np, pf[np].fd = fe, pf[np].events = POLLIN, pf[np++].revents = 0;
        int64_t left = deadline - mono_ms();
        if (left <= 0) {
            res->timed_out = 1;
            break;
        }
        int pr = poll(pf, (nfds_t)np, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            break;
        if (ii >= 0 && pf[ii].revents) {
            ssize_t w = write(fin, in->d + written, in->n - written);
            if (w > 0)
                written += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == in->n) {
                close(fin);
                fin = -1;
            }
        }
        int fds[2] = {io >= 0 ? pf[io].revents : 0, ie >= 0 ? pf[ie].revents : 0};
        for (int k = 0; k < 2; k++) {
            if (!fds[k])
                continue;
            int *fd = k ? &fe : &fo;
            str *s = k ? &res->err : &res->out;
            char buf[65536];
            ssize_t got = read(*fd, buf, sizeof buf);
            if (got > 0) {
                if (s->n + (size_t)got > MAX_OUTPUT) {
                    too_much = 1;
                } else {
                    s_add(s, buf, (size_t)got);
                }
            } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                close(*fd);
                *fd = -1;
            }
        }
        if (too_much) {
            res->timed_out = 1; /* treat a runaway as a hang */
            break;
        }
    }
    if (fin >= 0)
        close(fin);
    /* wait for the exit, still under the deadline */
    int st = 0;
    for (;;) {
        pid_t w = res->timed_out ? 0 : waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            break;
        if (res->timed_out || mono_ms() >= deadline) {
            res->timed_out = 1;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (fo >= 0)
        close(fo);
    if (fe >= 0)
        close(fe);
    res->status = st;
    if (!res->out.d)
        s_add(&res->out, "", 0);
    if (!res->err.d)
        s_add(&res->err, "", 0);
}

/* ------------------------------------------------------------------ */
/* checking                                                             */

typedef struct {
    char *name, *value;
    int used;
} hdr;

static void check_cgi(const request *r, const result *res)
{
    const char *o = res->out.d;
    size_t n = res->out.n;
    const char *end = NULL;
    for (size_t i = 0; i + 3 < n; i++)
        if (memcmp(o + i, "\r\n\r\n", 4) == 0) {
            end = o + i;
            break;
        }
    if (!end) {
        failf("stdout is not a CGI response (no CRLF CRLF after the headers):");
        fail_show("stdout: ", o, n);
        return;
    }
    /* split the header block into lines; all must end in CRLF */
    hdr hs[128];
    size_t nh = 0;
    char status[256] = "";
    int have_status = 0;
    const char *p = o;
    int bad = 0;
    while (p < end + 2) {
        const char *eol = memchr(p, '\n', (size_t)(end + 2 - p));
        if (!eol || eol == p || eol[-1] != '\r') {
            failf("header line not terminated by CRLF");
            bad = 1;
            break;
        }
        size_t ln = (size_t)(eol - 1 - p);
        const char *colon = memchr(p, ':', ln);
        if (!colon || colon == p || colon + 1 >= p + ln || colon[1] != ' ') {
            failf("malformed header line:");
            fail_show("line: ", p, ln);
            bad = 1;
            break;
        }
        size_t kn = (size_t)(colon - p);
        const char *v = colon + 2;
        size_t vn = (size_t)(p + ln - v);
        if (p == o) {
            if (kn != 6 || strncasecmp(p, "Status", 6) != 0) {
                failf("the first header line is not 'Status: ...'");
                bad = 1;
                break;
            }
            snprintf(status, sizeof status, "%.*s", (int)vn, v);
            have_status = 1;
        } else if (kn == 6 && strncasecmp(p, "Status", 6) == 0) {
            failf("more than one Status header");
            bad = 1;
        } else if (nh < 128) {
            hs[nh].name = xmalloc(kn + 1);
            memcpy(hs[nh].name, p, kn);
            hs[nh].name[kn] = '\0';
            hs[nh].value = xmalloc(vn + 1);
            memcpy(hs[nh].value, v, vn);
            hs[nh].value[vn] = '\0';
            hs[nh].used = 0;
            nh++;
        }
        p = eol + 1;
    }
    const char *body = end + 4;
    size_t blen = n - (size_t)(body - o);
    if (!bad) {
        if (!have_status)
            failf("no Status header");
        else
            check_text("status", r->status, status, strlen(status));
        for (size_t i = 0; i < r->nexp_headers; i++) {
            size_t j;
            for (j = 0; j < nh; j++)
                if (!hs[j].used && strcasecmp(hs[j].name, r->exp_headers[i].name) == 0)
                    break;
            if (j == nh) {
                failf("missing header '%s' (expected '%s: %s')", r->exp_headers[i].name,
                      r->exp_headers[i].name, r->exp_headers[i].value);
                continue;
            }
            hs[j].used = 1;
            char label[300];
            snprintf(label, sizeof label, "header %s", r->exp_headers[i].name);
            check_text(label, r->exp_headers[i].value, hs[j].value, strlen(hs[j].value));
        }
        for (size_t i = 0; i < r->nno_headers; i++)
            for (size_t j = 0; j < nh; j++)
                if (strcasecmp(hs[j].name, r->no_headers[i]) == 0) {
                    failf("header '%s' must be absent, got '%s: %s'", r->no_headers[i],
                          hs[j].name, hs[j].value);
                    hs[j].used = 1;
                }
        /* Content-Length, when not listed, must match the body received */
        int cl_listed = 0, cl_absent_ok = 0;
        for (size_t i = 0; i < r->nexp_headers; i++)
            cl_listed |= strcasecmp(r->exp_headers[i].name, "Content-Length") == 0;
        for (size_t i = 0; i < r->nno_headers; i++)
            cl_absent_ok |= strcasecmp(r->no_headers[i], "Content-Length") == 0;
        if (!cl_listed && !cl_absent_ok) {
            size_t j;
            for (j = 0; j < nh; j++)
                if (strcasecmp(hs[j].name, "Content-Length") == 0 && !hs[j].used)
                    break;
            if (j == nh) {
                failf("missing header Content-Length");
            } else {
                hs[j].used = 1;
                char want[32];
                snprintf(want, sizeof want, "%zu", blen);
                if (strcmp(hs[j].value, want) != 0)
                    failf("Content-Length is %s but the body has %zu bytes", hs[j].value,
                          blen);
            }
        }
        if (!r->other_headers)
            for (size_t j = 0; j < nh; j++)
                if (!hs[j].used)
                    failf("unexpected header '%s: %s'", hs[j].name, hs[j].value);
        check_text("body", r->exp_body.d, body, blen);
    }
    for (size_t j = 0; j < nh; j++)
        free(hs[j].name), free(hs[j].value);
}

static void check(const request *r, const result *res)
{
    if (res->spawn_failed) {
        failf("could not start the program");
        return;
    }
    if (res->timed_out) {
        failf("killed: no exit within %d s (or more than %u bytes of output)",
              TIMEOUT_MS / 1000, MAX_OUTPUT);
        return;
    }
    if (WIFSIGNALED(res->status))
        failf("killed by signal %d", WTERMSIG(res->status));
    else if (WEXITSTATUS(res->status) != r->exit_code)
        failf("exit status %d, expected %d", WEXITSTATUS(res->status), r->exit_code);
    if (r->have_exp_stdout)
        check_text("stdout", r->exp_stdout.d, res->out.d, res->out.n);
    else
        check_cgi(r, res);
    char why[256];
    for (size_t i = 0; i < r->nstderr_has; i++) {
        str want;
        if (expand(r->stderr_has[i], &want, why, sizeof why) < 0) {
            failf("expect-stderr: %s", why);
            continue;
        }
        if (!find_bytes(res->err.d, res->err.n, want.d, want.n)) {
            failf("stderr lacks an expected text:");
            fail_show("wanted: ", want.d, want.n);
        }
        s_free(&want);
    }
    for (size_t i = 0; i < r->nstderr_lacks; i++) {
        str bad;
        if (expand(r->stderr_lacks[i], &bad, why, sizeof why) < 0) {
            failf("expect-stderr-lacks: %s", why);
            continue;
        }
        if (bad.n && find_bytes(res->err.d, res->err.n, bad.d, bad.n)) {
            failf("stderr contains a forbidden text:");
            fail_show("forbidden: ", bad.d, bad.n);
        }
        s_free(&bad);
    }
    if (r->stderr_empty && res->err.n)
        failf("stderr is not empty");
}

/* ------------------------------------------------------------------ */

static int run_file(char *binary, const char *file, int *passed, int *failed)
{
    request *reqs = NULL;
    size_t n = 0;
    if (load_cases(file, &reqs, &n) < 0) {
        printf("FAIL %s (case file error)\n", file);
        (*failed)++;
        return -1;
    }
    const char *td = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/golden.XXXXXX", td && *td ? td : "/tmp");
    char *made = mkdtemp(tmpl);
    /* resolved, so that it reads as the server's realpath() of it would */
    char *tmpdir = made ? realpath(made, NULL) : NULL;
    if (!tmpdir) {
        if (made)
            rmdir(made);
        printf("FAIL %s (cannot create a temporary directory: %s)\n", file, strerror(errno));
        (*failed)++;
        for (size_t i = 0; i < n; i++)
            req_free(&reqs[i]);
        free(reqs);
        return -1;
    }
    g_tmpdir = tmpdir;
    vars_clear();
    for (size_t i = 0; i < n; i++) {
        request *r = &reqs[i];
        char **argv = NULL, **envp = NULL;
        str in = {0};
        result res;
        memset(&res, 0, sizeof res);
        s_free(&fails);
        char why[512];
        if (build(r, binary, &argv, &envp, &in, why, sizeof why) < 0 ||
            run_setup(r, why, sizeof why) < 0) {
            failf("%s:%d: %s", r->file, r->line, why);
        } else {
            run(argv, envp, &in, &res);
            check(r, &res);
        }
        if (fails.n) {
            printf("FAIL %s\n%s", r->name, fails.d);
            printf("    (request at %s:%d)\n", r->file, r->line);
            if (res.err.n) {
                s_free(&fails);
                fail_show("stderr: ", res.err.d, res.err.n);
                fputs(fails.d, stdout);
            }
            (*failed)++;
        } else {
            printf("PASS %s\n", r->name);
            (*passed)++;
        }
        fflush(stdout);
        s_free(&fails);
        s_free(&in);
        s_free(&res.out);
        s_free(&res.err);
        free_vec(argv);
        free_vec(envp);
        req_free(r);
    }
    free(reqs);
    remove_tmpdir(tmpdir);
    free(tmpdir);
    vars_clear();
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: golden-run BINARY CONFDIR CASEFILE...\n");
        return 99;
    }
    signal(SIGPIPE, SIG_IGN);
    /* absolute, so that @CONFDIR@ works from the temporary directory */
    char *confdir = realpath(argv[2], NULL);
    if (!confdir) {
        fprintf(stderr, "golden-run: %s: %s\n", argv[2], strerror(errno));
        return 99;
    }
    g_confdir = confdir;
    /* @SHARED@: the shared inputs (fixture tables), absolute; a case that
     * uses it fails when they are missing */
    char *shared = NULL;
    const char *sh = getenv("DS_SHARED");
    if (sh && *sh && !(shared = realpath(sh, NULL)))
        fprintf(stderr, "golden-run: DS_SHARED=%s: %s (@SHARED@ unavailable)\n", sh,
                strerror(errno));
    g_shared = shared;
    int passed = 0, failed = 0;
    for (int i = 3; i < argc; i++)
        run_file(argv[1], argv[i], &passed, &failed);
    s_free(&fails);
    free(confdir);
    free(shared);
    free((char *)g_conf);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
