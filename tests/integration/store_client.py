#!/usr/bin/env python3
"""tests/integration/store_client.py - tables on object stores, end to end.

Runs the real server program in CGI mode (as a shared host runs it) against
tables on the loopback stores that tests/peers/peers.sh starts, and checks
what a recipient gets:

  query    every file of the latest snapshot is listed once (ids are MD5 of
           the log path, sizes as in the log, worked out from the same table
           on local disk with `delta-sharing-admin snapshot -j`), and every
           signed URL downloads, straight from the store, exactly the bytes of
           the file on disk; a ranged GET gives the file's first bytes.
           Deletion vectors in delta format come as signed 'p' URLs that
           download the table's DV file.
  changes  for a table with a change data feed, every URL of
           GET .../changes?startingVersion=0 downloads its file.
  refused  a URL with one signature character changed gets 403 from a store
           that checks signatures (all but s3rver), and a URL signed two
           hours ago with a one-hour lifetime gets 403 from every store.
  faults   (--faults) against fakestore's S3 dialect: 503s and cut-off
           answers within the retry budget still give 200; past it, a JSON
           502; a slow store a 504 in about store.timeout; a listing that
           never ends a 502; a 403 from the store a 502 that names no
           secret; and the next request after each fault works.

usage: store_client.py --cgi PROGRAM --conf CONF --token TOKEN --admin ADMIN
                       [--secret S ...] [--faults FAKE_ENDPOINT=SHARE.SCHEMA.TABLE]
                       SHARE.SCHEMA.TABLE=LOCAL_ROOT=CHECKS_SIGNATURES ...
Prints PASS/FAIL lines and "N passed, M failed"; exits 1 on a failure.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

OPTS = None
passed = failed = 0


def report(ok, name, why=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS", name)
    else:
        failed += 1
        print("FAIL", name, why)
    return ok


def cgi(method, path, body=None, headers=None, now_ms=None):
    """One request to the server program in CGI mode: (status, headers, body)."""
    q = path.split("?", 1)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "/delta-sharing",
        "REQUEST_URI": "/delta-sharing" + path,
        "QUERY_STRING": q[1] if len(q) > 1 else "",
        "HTTP_AUTHORIZATION": "Bearer " + OPTS.token,
        "DELTA_SHARING_CONF": OPTS.conf,
    }
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LD_LIBRARY_PATH", "TMPDIR"):
        if k in os.environ:
            env[k] = os.environ[k]
    for k, v in (headers or {}).items():
        env["HTTP_" + k.upper().replace("-", "_")] = v
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        env["CONTENT_LENGTH"] = str(len(data))
        env["CONTENT_TYPE"] = "application/json; charset=utf-8"
    if now_ms is not None:
        env["DELTA_SHARING_FAKE_NOW"] = str(now_ms)
    p = subprocess.run([OPTS.cgi], input=data, env=env, capture_output=True, timeout=120)
    out = p.stdout
    head, _, rest = out.partition(b"\r\n\r\n")
    hdrs = {}
    status = 200
    for line in head.decode("latin-1").split("\r\n"):
        k, _, v = line.partition(":")
        if k.lower() == "status":
            status = int(v.strip().split()[0])
        elif k:
            hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, rest, p.stderr.decode("utf-8", "replace")


def fetch(url, rng=None):
    req = urllib.request.Request(url)
    if rng:
        req.add_header("Range", rng)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def local_snapshot(root):
    p = subprocess.run([OPTS.admin, "snapshot", "-j", root], capture_output=True, text=True,
                       timeout=120)
    return json.loads(p.stdout)


def table_path(t):
    s, sc, n = t.split(".")
    return "/shares/%s/schemas/%s/tables/%s" % tuple(urllib.parse.quote(x, safe="") for x in (s, sc, n))


def ndjson(body):
    return [json.loads(l) for l in body.decode().splitlines() if l.strip()]


def tamper(url):
    """The URL with one character of its signature changed."""
    parts = urllib.parse.urlsplit(url)
    qs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    out = []
    for k, v in qs:
        if k in ("X-Amz-Signature", "X-Goog-Signature", "sig"):
            i = len(v) // 2  # a digit for a digit: hex compares may fold case
            v = v[:i] + ("1" if v[i] != "1" else "2") + v[i + 1:]
        out.append((k, v))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(out, quote_via=urllib.parse.quote)))


def check_table(spec):
    t, root, checks_sig = spec.rsplit("=", 2)
    checks_sig = checks_sig == "1"
    snap = local_snapshot(root)
    has_dv = any(f.get("deletionVector") for f in snap["files"])
    # file ids: MD5 hex of the log path in parquet format, SHA-256 in delta
    # format (a table with deletion vectors is queried in delta format)
    idf = hashlib.sha256 if has_dv else hashlib.md5
    want = {}
    for f in snap["files"]:
        want[idf(f["path"].encode()).hexdigest()] = f
    headers = {"delta-sharing-capabilities": "responseformat=delta;readerfeatures=deletionvectors"} if has_dv else None
    st, h, body, log = cgi("POST", table_path(t) + "/query", {}, headers)
    if not report(st == 200, "%s: query answers 200" % t, "%d %s %s" % (st, body[:300], log[-500:])):
        return
    lines = ndjson(body)
    files = []
    for l in lines:
        if "file" in l:
            f = l["file"]
            if "deltaSingleAction" in f:  # delta format
                add = f["deltaSingleAction"]["add"]
                files.append((f["id"], add["path"], add["size"], add.get("deletionVector")))
            else:
                files.append((f["id"], f["url"], f["size"], None))
    ids = [f[0] for f in files]
    report(sorted(ids) == sorted(want) and len(set(ids)) == len(ids),
           "%s: the %d live files, each once" % (t, len(want)),
           "got %r want %r" % (sorted(ids)[:4], sorted(want)[:4]))
    bad = []
    first_url = None
    for fid, url, size, dv in files:
        f = want.get(fid)
        if not f:
            continue
        first_url = first_url or url
        disk = open(os.path.join(root, urllib.parse.unquote(f["path"])), "rb").read()
        st, data = fetch(url)
        if st != 200 or data != disk or size != len(disk):
            bad.append("%s: GET %d, %d bytes, size %d, disk %d" % (f["path"], st, len(data), size, len(disk)))
            continue
        st, data = fetch(url, "bytes=0-3")
        if st != 206 or data != disk[:4]:
            bad.append("%s: ranged GET %d %r" % (f["path"], st, data[:8]))
        if dv:
            if dv.get("storageType") != "p":
                if dv.get("storageType") != "i":
                    bad.append("%s: DV storage type %r" % (f["path"], dv.get("storageType")))
                continue
            st, data = fetch(dv["pathOrInlineDv"])
            need = dv.get("offset", 1) + dv["sizeInBytes"]
            if st != 200 or len(data) < need:
                bad.append("%s: DV URL %d, %d bytes (need %d)" % (f["path"], st, len(data), need))
    report(not bad, "%s: every signed URL downloads the file's bytes" % t, "; ".join(bad[:3]))
    if first_url and checks_sig:
        st, _ = fetch(tamper(first_url))
        report(st == 403, "%s: a tampered signature is refused" % t, "got %d" % st)
    # a URL signed two hours ago, valid one hour
    st, h, body, log = cgi("POST", table_path(t) + "/query", {}, headers,
                           now_ms=int(time.time() * 1000) - 7200 * 1000)
    old = [l["file"] for l in ndjson(body) if "file" in l] if st == 200 else []
    if report(st == 200 and old, "%s: query at a past clock" % t, "%d" % st):
        u = old[0].get("url") or old[0]["deltaSingleAction"]["add"]["path"]
        st, _ = fetch(u)
        report(st in (400, 403), "%s: an expired URL is refused" % t, "got %d" % st)
    if OPTS.changes and t in OPTS.changes:
        st, h, body, log = cgi("GET", table_path(t) + "/changes?startingVersion=0")
        if report(st == 200, "%s: changes answer 200" % t, "%d %s" % (st, body[:300])):
            urls = [l[k]["url"] for l in ndjson(body) for k in ("add", "cdf", "remove") if k in l]
            bad = [u[:120] for u in urls if fetch(u)[0] != 200]
            report(urls and not bad, "%s: every change file URL downloads (%d)" % (t, len(urls)),
                   "; ".join(bad[:3]))


def fault(endpoint, spec):
    req = urllib.request.Request(endpoint + "/__fault", data=json.dumps(spec).encode(),
                                 method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def stats(endpoint):
    return json.loads(urllib.request.urlopen(endpoint + "/__stats", timeout=10).read())


def check_faults(spec):
    endpoint, t = spec.split("=", 1)
    path = table_path(t) + "/query"
    secrets = OPTS.secret or []

    def query(label, want, max_s=None, log_has=None, table=t):
        t0 = time.time()
        st, h, body, log = cgi("POST", table_path(table) + "/query", {})
        took = time.time() - t0
        ok = st == want
        why = "got %d in %.1fs: %s %s" % (st, took, body[:200], log[-300:])
        if want != 200:
            try:
                e = json.loads(body)
                ok = ok and e.get("errorCode") == "INTERNAL_ERROR" and e.get("message")
            except ValueError:
                ok = False
            ok = ok and not any(s.encode() in body or s in log for s in secrets)
        if log_has:  # the log escapes spaces in its detail field
            ok = ok and log_has in log.replace("\\x20", " ")
        if max_s is not None:
            ok = ok and took < max_s
        report(ok, "faults: %s -> %d" % (label, want), why)

    fault(endpoint, {"kind": "clear"})
    query("no fault", 200)
    before = stats(endpoint)["total"]
    query("no fault again", 200)
    per_query = stats(endpoint)["total"] - before
    report(per_query > 0, "faults: a query makes %d store requests" % per_query)
    fault(endpoint, {"kind": "status", "status": 503, "count": 2})
    before = stats(endpoint)["total"]
    query("two 503s (retried)", 200)
    report(stats(endpoint)["total"] - before == per_query + 2,
           "faults: each 503 cost exactly one retry",
           "%d requests" % (stats(endpoint)["total"] - before))
    fault(endpoint, {"kind": "status", "status": 500, "count": 50})
    query("500s past the retry budget", 502, log_has="HTTP 500")
    fault(endpoint, {"kind": "clear"})
    query("after the 500s", 200)
    fault(endpoint, {"kind": "truncate", "count": 1})
    query("a cut-off answer (retried)", 200)
    fault(endpoint, {"kind": "reset", "count": 1})
    query("a reset connection (retried)", 200)
    fault(endpoint, {"kind": "status", "status": 429, "count": 1})
    query("a 429 (retried)", 200)
    fault(endpoint, {"kind": "slow", "seconds": 8, "count": 1})
    query("an answer slower than store.timeout", 504, max_s=6)
    fault(endpoint, {"kind": "clear"})
    query("after the slow answer", 200)
    fault(endpoint, {"kind": "status", "status": 403, "code": "AccessDenied", "count": 1})
    query("a 403 from the store", 502, log_has="AccessDenied")
    query("after the 403", 200)
    # a listing that never ends, on tables without a checkpoint hint (a
    # listing stops at _last_checkpoint): repeated pages are refused, and a
    # store with store.max-list-pages = 1 stops at its cap
    for tbl, why in ((OPTS.endless, "repeated or went backwards"),
                     (OPTS.endless_capped, "store.max-list-pages")):
        if not tbl:
            continue
        fault(endpoint, {"kind": "endless-list"})
        query("a listing that never ends (%s)" % why, 502, max_s=30, log_has=why, table=tbl)
        fault(endpoint, {"kind": "clear"})
        query("after the endless listing", 200, table=tbl)


def main():
    global OPTS
    ap = argparse.ArgumentParser()
    ap.add_argument("--cgi", required=True)
    ap.add_argument("--conf", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--admin", required=True)
    ap.add_argument("--secret", action="append")
    ap.add_argument("--changes", action="append")
    ap.add_argument("--faults")
    ap.add_argument("--endless", help="a table of the faulty store without a checkpoint")
    ap.add_argument("--endless-capped", help="one whose store reads one listing page at most")
    ap.add_argument("--one", help="one query of SHARE.SCHEMA.TABLE; print the status")
    ap.add_argument("tables", nargs="*")
    OPTS = ap.parse_args()
    if OPTS.one:
        st, h, body, log = cgi("POST", table_path(OPTS.one) + "/query", {})
        sys.stdout.write("%d %s\n" % (st, body.decode("utf-8", "replace").splitlines()[0] if body else ""))
        return 0
    for spec in OPTS.tables:
        check_table(spec)
    if OPTS.faults:
        check_faults(OPTS.faults)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
