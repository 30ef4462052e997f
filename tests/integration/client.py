#!/usr/bin/env python3
"""tests/integration/client.py - an end-to-end Delta Sharing client test.

Acts like the official Python connector (and a little like the Spark one,
for the parts PY never uses: pagination, strict header echoes) against a
running server, and checks every answer strictly against the wire contract
(../shared/docs/protocol.md; section numbers below refer to it).  Needs only
the Python 3 standard library.

usage: client.py --profile FILE --admin DELTA-SHARING-ADMIN
                 [--expected SHARE.SCHEMA.TABLE=EXPECTED.JSON ...]
                 [--changes-only SHARE.SCHEMA.TABLE ...]
                 [--min-url-lifetime SECONDS]
                 SHARE.SCHEMA.TABLE=ROOT ...

Each positional argument names a table the profile's recipient can see and
the directory that table's location points at.  What the server should
answer is worked out independently of it:
  - the live files of every version, protocol, metadata and commit
    timestamps come from `delta-sharing-admin snapshot -j [-v N]` and
    `history -j` run on ROOT;
  - with --expected, the versions and timestamp queries listed in a
    fixture's <name>.expected.json are checked against the server too,
    and so is its changes[] (the change data feed of version ranges);
  - what a streaming query must give comes from the commit files
    (ROOT/_delta_log/<version>.json), which this script reads itself;
  - file contents come from ROOT itself: the log's path, percent-decoded
    once, below ROOT.
File lines are matched to log paths by id: MD5 hex of the path as the log
writes it in parquet format, SHA-256 hex in delta format (section 5.5).

Checks, per table: listing (shares, all-tables), version (GET .../version,
HEAD .../tables/{t}, startingTimestamp), metadata (parquet and delta
format), query {} in both formats, request validation, time travel by
version and by timestamp, pagination with maxFiles and pageToken, and
every signed URL of every response followed (HEAD, GET, two ranged GETs,
bytes compared with the file on disk; a local table's URL must be
<endpoint>/files/<token>/<the file's path below the table>?...).  Then the
refusals: a tampered URL (its sig, its token or its object path: 403),
unknown table/share (404), bad or missing token (401).

Change data feed (4.9), for each table whose expected.json has changes[]
(a table named with --changes-only gets only these checks and the
listing): GET .../changes of each listed range in parquet (unless the
table has deletion vectors) and in delta format (header
responseformat=delta;readerfeatures=deletionvectors for a table with
DVs), compared per version as a multiset with the expected actions:
type (parquet add/cdf/remove, delta add/cdc/remove), path (the URL's
object path after the token, percent-decoded once, against the log's
path decoded once), size, partitionValues, version, timestamp and, in
delta format, the DV's unique id (a signed 'p' link mapped back to the
'u' id through the Z85 name of the table's DV file).  Each matched line
is checked against its action in the commit too: id (MD5/SHA-256 of the
log path), stats, and in delta format dataChange, modificationTime,
deletionTimestamp, no tags, the DV fields.  Line shapes PY needs (11.2):
only add/cdf/remove lines in parquet, `version` and `timestamp` on every
file line, `version` on every metaData line in delta format; and
Delta-Table-Version = the start version.  A range with an expected error
(cdf-not-enabled) must be a 400 with a JSON error body in both formats;
a table with DVs must refuse parquet.  Also: startingTimestamp from the
fixture's `starting` timestamp queries (Delta-Table-Version = their
version, the changes from it on), endingTimestamp from its `as-of` ones,
includeHistoricalMetadata=true, and maxFiles paging followed through
nextPageToken (same head bytes, the pages in order = the unpaged
answer; tampered and foreign page tokens refused).  Every change file's
URL (cdc files and DV files included) is followed once per table and
format as above (HEAD, GET, ranged GETs, bytes compared with the disk).

Streaming queries (4.8.3): POST query {"startingVersion":0} (and
{"startingVersion":1,"endingVersion":2}) on the same tables, and on
tables with no CDF: per commit exactly its add and remove actions with
dataChange=true as read from the commit files (never cdc; a remove
without size gets the file's size on disk), metaData lines only for
metadata changes after the start, Delta-Table-Version = the start.

Prints PASS/FAIL lines and "N passed, M failed"; exits 0 when everything
passed, 1 on any mismatch, 2 when the harness itself cannot run (bad
arguments, the admin tool failing, the server not answering at all).
"""

import argparse
import collections
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

NDJSON_TYPE = "application/x-ndjson; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
# query keys that make delta-kernel-rs treat a URL as presigned (U5)
PRESIGNED_KEYS = {"x-amz-signature", "sp", "x-goog-credential", "x-oss-credential",
                  "x-databricks-signature"}
DELTA_CAPS = "responseformat=delta;readerfeatures=deletionvectors,columnmapping"
# what a delta-format change feed of a table with deletion vectors asks for
CDF_DV_CAPS = "responseformat=delta;readerfeatures=deletionvectors"
# the Delta protocol's Z85 alphabet (deletion vector file names)
Z85 = ("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
       ".-:+=^!/*?&<>()[]{}@%$#")
# a deletion vector file below a table root: [random prefix/]deletion_vector_<uuid>.bin
DV_FILE = re.compile(r"(?:(.*)/)?deletion_vector_"
                     r"([0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})\.bin")


class HarnessError(Exception):
    """The test cannot run at all (not a finding about the server)."""


class Mismatch(Exception):
    """A finding that makes the rest of the current check pointless."""


# ---- reporting ---------------------------------------------------------------

class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, name):
        self.passed += 1
        print("PASS", name, flush=True)

    def fail(self, name, *why):
        self.failed += 1
        print("FAIL", name, flush=True)
        for w in why:
            for line in str(w).splitlines() or [""]:
                print("     " + line, flush=True)


class Check:
    """Collects the problems of one named check; PASS when there are none.

    with Check(report, "name") as c:
        c.expect(cond, "what is wrong")   # records, goes on
        c.need(cond, "what is wrong")     # records, stops this check
    An unexpected exception inside is a FAIL of this check, not a crash.
    """

    def __init__(self, report, name):
        self.report = report
        self.name = name
        self.problems = []

    def expect(self, cond, why):
        if not cond:
            self.problems.append(why)
        return cond

    def need(self, cond, why):
        if not cond:
            self.problems.append(why)
            raise Mismatch(why)

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is HarnessError:
            return False
        if kind is not None and kind is not Mismatch:
            self.problems.append("%s: %s" % (kind.__name__, exc))
        if self.problems:
            self.report.fail(self.name, *self.problems[:12])
            if len(self.problems) > 12:
                self.report.fail(self.name + " (more)", "%d more problems" % (len(self.problems) - 12))
        else:
            self.report.ok(self.name)
        return True


# ---- HTTP ----------------------------------------------------------------------

class Response:
    def __init__(self, method, url, status, headers, body):
        self.method = method
        self.url = url
        self.status = status
        self.headers = headers  # email.message.Message: case-insensitive get()
        self.body = body

    def header(self, name):
        return self.headers.get(name) if self.headers is not None else None

    def excerpt(self):
        text = self.body[:400].decode("utf-8", "replace").rstrip()
        return "%s %s -> %s: %s" % (self.method, short(self.url), self.status, text)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report a redirect as it is: nothing in the contract redirects."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def http(method, url, token=None, headers=None, body=None):
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("User-Agent", "delta-sharing-fcgi-tests/client.py Python/%d.%d"
                   % sys.version_info[:2])
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with OPENER.open(req, timeout=30) as r:
            return Response(method, url, r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Response(method, url, e.code, e.headers, e.read())
    except (urllib.error.URLError, OSError) as e:
        raise HarnessError("%s %s: %s" % (method, url, e))


def short(url):
    return url if len(url) <= 160 else url[:157] + "..."


def post_json(url, token, obj, headers=None):
    return http("POST", url, token, headers, json.dumps(obj).encode())


# ---- response parsing ----------------------------------------------------------

def parse_caps(value):
    """delta-sharing-capabilities: key=v1,v2;key=v (5.1) -> {key: [values]}."""
    caps = {}
    for part in (value or "").lower().split(";"):
        if part.count("=") != 1:
            continue
        k, v = part.split("=")
        caps[k.strip()] = [x.strip() for x in v.split(",")]
    return caps


def check_table_version(c, resp, want=None):
    v = resp.header("Delta-Table-Version")
    c.need(v is not None, "no Delta-Table-Version header (PY raises LookupError, 3.4)")
    c.need(re.fullmatch(r"[0-9]+", v) is not None, "Delta-Table-Version %r is not a decimal" % v)
    if want is not None:
        c.expect(int(v) == want, "Delta-Table-Version %s, want %d" % (v, want))
    return int(v)


def check_json_error(c, resp, status):
    """An error answer: STATUS with a one-line {"errorCode","message"} body (3.3)."""
    c.need(resp.status == status, "status %s, want %d (%s)" % (resp.status, status, resp.excerpt()))
    if resp.method == "HEAD":
        return
    c.expect(resp.header("Content-Type") == JSON_TYPE,
             "error Content-Type %r, want %r" % (resp.header("Content-Type"), JSON_TYPE))
    try:
        body = resp.body.decode("utf-8")
        obj = json.loads(body)
    except ValueError:
        c.expect(False, "error body is not JSON: %r" % resp.body[:200])
        return
    c.expect(body.count("\n") <= 1 and body.rstrip("\n").count("\n") == 0,
             "error body is not one line")
    c.expect(isinstance(obj, dict) and isinstance(obj.get("errorCode"), str)
             and isinstance(obj.get("message"), str),
             "error body lacks errorCode/message strings: %r" % obj)
    if status == 401:
        c.expect((resp.header("WWW-Authenticate") or "").startswith("Bearer"),
                 "401 without WWW-Authenticate: Bearer (3.1)")


def parse_ndjson(c, resp, fmt):
    """A 200 NDJSON answer (1.2): returns [(raw line bytes, object)]."""
    c.need(resp.status == 200, "status %s, want 200 (%s)" % (resp.status, resp.excerpt()))
    c.expect(resp.header("Content-Type") == NDJSON_TYPE,
             "Content-Type %r, want %r" % (resp.header("Content-Type"), NDJSON_TYPE))
    caps = parse_caps(resp.header("delta-sharing-capabilities"))
    c.expect(caps.get("responseformat") == [fmt],
             "delta-sharing-capabilities %r does not say responseformat=%s (3.4, 5.2)"
             % (resp.header("delta-sharing-capabilities"), fmt))
    c.expect(caps.get("asyncquery") != ["true"], "asyncquery echoed; we did not ask (4.8.7)")
    body = resp.body
    c.need(body.endswith(b"\n"), "body does not end with a newline")
    c.expect(b"\r" not in body, "body has a CR (1.2 rule 2)")
    raws = body[:-1].split(b"\n")
    c.need(all(raws), "body has a blank line (1.2 rule 2)")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        c.need(False, "body is not UTF-8")
    # PY splits with str.splitlines(), which also breaks on U+2028 and co.
    c.expect(len(text.splitlines()) == len(raws),
             "str.splitlines() sees %d lines, '\\n' %d: unescaped U+2028/U+0085/... (1.2 rule 3)"
             % (len(text.splitlines()), len(raws)))
    lines = []
    for i, raw in enumerate(raws):
        try:
            obj = json.loads(raw.decode("utf-8"))
        except ValueError:
            c.need(False, "line %d is not JSON: %r" % (i + 1, raw[:200]))
        c.need(isinstance(obj, dict) and len(obj) == 1,
               "line %d does not have exactly one top-level key: %r" % (i + 1, raw[:200]))
        lines.append((raw, obj))
    return lines


def absorb(c, prefix, fn, *args):
    """Runs fn(sub, *args) on a fresh Check and files its problems under c,
    each prefixed; returns fn's result (None when it stopped early)."""
    sub = Check(None, "")
    result = None
    try:
        result = fn(sub, *args)
    except Mismatch:
        pass
    for p in sub.problems:
        c.expect(False, "%s: %s" % (prefix, p) if prefix else p)
    return result


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def clean_schema(schema_string):
    """Schema with top-level field metadata cut to 'comment', as REF shows
    parquet clients (6.2); applied to both sides before comparing."""
    s = json.loads(schema_string)
    for f in s.get("fields", []):
        md = f.get("metadata") or {}
        f["metadata"] = {k: v for k, v in md.items() if k == "comment"}
    return s


def iso_ms(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000.0, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def z85(data):
    """Z85 encoding of DATA (a multiple of 4 bytes), as Delta names 'u' DVs."""
    out = []
    for i in range(0, len(data), 4):
        n = int.from_bytes(data[i:i + 4], "big")
        chunk = []
        for _ in range(5):
            n, r = divmod(n, 85)
            chunk.append(Z85[r])
        out.extend(reversed(chunk))
    return "".join(out)


def dv_unique_id(dv):
    """A deletion vector's unique id as MANIFEST.md writes it: storageType +
    pathOrInlineDv [+ "@" + offset]; None for no DV."""
    if dv is None:
        return None
    uid = "%s%s" % (dv.get("storageType"), dv.get("pathOrInlineDv"))
    if dv.get("offset") is not None:
        uid += "@%s" % dv["offset"]
    return uid


def canon(obj):
    return json.dumps(obj, sort_keys=True)


def vsort(versions):
    """Versions sorted, whatever junk a bad answer put among them."""
    return sorted(versions, key=lambda v: (not is_int(v), v if is_int(v) else 0, repr(v)))


def flip(s, i):
    """s with the character at i changed to another one of the same kind."""
    ch = s[i]
    alt = {"A": "B", "a": "b", "0": "1", "-": "_", "_": "-"}.get(ch)
    if alt is None:
        alt = "A" if ch != "A" else "B"
    return s[:i] + alt + s[i + 1:]


# ---- the truth about a table, from the admin tool and the files -----------------

class Table:
    def __init__(self, full_name, root, admin, expected_file):
        parts = full_name.split(".")
        if len(parts) != 3 or not all(parts):
            raise HarnessError("table %r is not SHARE.SCHEMA.TABLE" % full_name)
        self.share, self.schema, self.name = parts
        self.full = full_name
        self.root = os.path.abspath(root)
        self.admin = admin
        latest = self._admin_json("snapshot", "-j", self.root)
        self.latest = latest["version"]
        self.snapshots = {self.latest: latest}
        self.snapshot_errors = {}
        for v in range(self.latest):
            try:
                self.snapshots[v] = self._admin_json("snapshot", "-j", "-v", str(v), self.root)
            except HarnessError as e:  # e.g. commits cleaned up before a checkpoint
                self.snapshot_errors[v] = str(e)
        self.history = {h["version"]: h["timestamp_ms"]
                        for h in self._admin_json("history", "-j", self.root)}
        self.expected = None
        if expected_file:
            with open(expected_file) as fh:
                self.expected = json.load(fh)
            if self.expected.get("latest", {}).get("version") != self.latest:
                raise HarnessError("%s: %s says latest version %r, the admin tool %d"
                                   % (full_name, expected_file, self.expected.get("latest"),
                                      self.latest))
        self._commits = {}

    def _admin_json(self, *args):
        p = subprocess.run([self.admin, *args], capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise HarnessError("delta-sharing-admin %s: exit %d: %s"
                               % (" ".join(args), p.returncode, p.stderr.strip()))
        return json.loads(p.stdout)

    def files(self, version):
        """{path as in the log: admin's file entry} of the live files."""
        return {f["path"]: f for f in self.snapshots[version]["files"]}

    def commit_actions(self, version):
        """[(key, action)] of commit VERSION in log order, read from
        _delta_log/<version>.json by this test itself."""
        if version not in self._commits:
            name = os.path.join(self.root, "_delta_log", "%020d.json" % version)
            acts = []
            try:
                with open(name, encoding="utf-8") as fh:
                    for line in fh:
                        if line.strip():
                            obj = json.loads(line)
                            acts += list(obj.items())
            except (OSError, ValueError) as e:
                raise HarnessError("%s: cannot read commit %d: %s" % (self.full, version, e))
            self._commits[version] = acts
        return self._commits[version]

    def commit_ts(self, version):
        """VERSION's commit timestamp: the fixture's commit_timestamps[] when
        there is one, else the admin tool's history."""
        for ct in (self.expected or {}).get("commit_timestamps", []):
            if ct.get("version") == version:
                return ct["timestamp_ms"]
        return self.history[version]

    def has_dvs(self):
        """Deletion vectors enabled or present in an expected change: only a
        delta-format change feed can carry them (5.3)."""
        conf = self.snapshots[self.latest]["metadata"].get("configuration") or {}
        return conf.get("delta.enableDeletionVectors") == "true" or any(
            a.get("deletionVector") for ch in (self.expected or {}).get("changes", [])
            for a in ch.get("actions", []))

    def disk_path(self, log_path):
        if urllib.parse.urlsplit(log_path).scheme:
            raise HarnessError("%s: absolute path %r in the log: not supported by this test"
                               % (self.full, log_path))
        return os.path.join(self.root, urllib.parse.unquote(log_path))


# ---- the client -------------------------------------------------------------------

class Client:
    def __init__(self, profile, report, min_url_lifetime):
        with open(profile) as fh:
            p = json.load(fh)
        if p.get("shareCredentialsVersion") != 1:
            raise HarnessError("profile: shareCredentialsVersion %r, want 1 (section 10)"
                               % p.get("shareCredentialsVersion"))
        self.endpoint = p["endpoint"].rstrip("/")
        self.token = p["bearerToken"]
        self.report = report
        self.min_url_lifetime_ms = min_url_lifetime * 1000
        self.followed = set()  # each distinct URL is followed once
        self.followed_changes = set()  # (table, format, path): change files followed
        self.sample_url = {}  # table full name -> (url, size) of one followed URL
        self.parquet_head = {}  # table full name -> parsed lines 1-2 of GET metadata

    def check(self, name):
        return Check(self.report, name)

    def tpath(self, t, suffix=""):
        return self.path3(t.share, t.schema, t.name, suffix)

    def path3(self, share, schema, table, suffix=""):
        q = urllib.parse.quote
        return "%s/shares/%s/schemas/%s/tables/%s%s" % (
            self.endpoint, q(share, safe=""), q(schema, safe=""), q(table, safe=""), suffix)

    # -- listing ---------------------------------------------------------------

    def list_all(self, c, url):
        items, token, pages = [], None, 0
        while True:
            pages += 1
            c.need(pages <= 100, "more than 100 pages from %s" % url)
            u = url + ("?pageToken=" + urllib.parse.quote(token, safe="") if token else "")
            r = http("GET", u, self.token)
            c.need(r.status == 200, r.excerpt())
            c.expect(r.header("Content-Type") == JSON_TYPE, "Content-Type %r" % r.header("Content-Type"))
            c.need(r.body.count(b"\n") <= 1 and not r.body.rstrip(b"\n").count(b"\n"),
                   "list body is not one line (1.2 rule 1)")
            obj = json.loads(r.body)
            items += obj.get("items", [])
            token = obj.get("nextPageToken")
            c.expect(token != "", "nextPageToken \"\" (3.2: omit it on the last page)")
            if not token:
                return items

    def check_listing(self, tables):
        with self.check("GET /shares lists every share of the tables under test") as c:
            names = {s.get("name") for s in self.list_all(c, self.endpoint + "/shares")}
            for share in sorted({t.share for t in tables}):
                c.expect(share in names, "share %r not listed (got %r)" % (share, sorted(names)))
        for share in sorted({t.share for t in tables}):
            with self.check("GET /shares/%s/all-tables lists its tables" % share) as c:
                got = {(i.get("share"), i.get("schema"), i.get("name"))
                       for i in self.list_all(c, "%s/shares/%s/all-tables" % (
                           self.endpoint, urllib.parse.quote(share, safe="")))}
                for t in tables:
                    if t.share == share:
                        c.expect((t.share, t.schema, t.name) in got,
                                 "%s not listed (got %r)" % (t.full, sorted(got)))

    # -- version (E6) -------------------------------------------------------------

    def check_version(self, t):
        with self.check("%s: GET version" % t.full) as c:
            r = http("GET", self.tpath(t, "/version"), self.token)
            c.need(r.status == 200, r.excerpt())
            check_table_version(c, r, t.latest)
            c.expect(r.body == b"", "version body is not empty: %r" % r.body[:100])
        with self.check("%s: HEAD table (deprecated version form)" % t.full) as c:
            r = http("HEAD", self.tpath(t), self.token)
            c.need(r.status == 200, r.excerpt())
            check_table_version(c, r, t.latest)
        with self.check("%s: GET version?startingTimestamp= (4.6)" % t.full) as c:
            cases = []
            first = min(t.history)
            cases.append((iso_ms(t.history[first] - 86400000), first))  # before v0: the first
            for v in sorted(t.history):
                cases.append((iso_ms(t.history[v]), v))  # exactly at a commit: that one
                if v + 1 in t.history and t.history[v + 1] - t.history[v] > 1:
                    cases.append((iso_ms(t.history[v] + 1), v + 1))  # just after: the next
            for q in (t.expected or {}).get("timestamp_queries", []):
                if q["mode"] == "starting":
                    cases.append((q["timestamp"], q.get("version")))
            cases.append((iso_ms(t.history[t.latest] + 1), None))  # after the last: 400
            for ts, want in cases:
                r = http("GET", self.tpath(t, "/version?startingTimestamp=" +
                                           urllib.parse.quote(ts, safe="")), self.token)
                if want is None:
                    c.expect(r.status == 400, "startingTimestamp=%s: status %s, want 400"
                             % (ts, r.status))
                elif c.expect(r.status == 200, "startingTimestamp=%s: %s" % (ts, r.excerpt())):
                    got = r.header("Delta-Table-Version")
                    c.expect(got == str(want), "startingTimestamp=%s: version %s, want %d"
                             % (ts, got, want))

    # -- metadata (E7) --------------------------------------------------------------

    def check_metadata(self, t):
        snap = t.snapshots[t.latest]
        with self.check("%s: GET metadata (parquet)" % t.full) as c:
            r = http("GET", self.tpath(t, "/metadata"), self.token)
            lines = parse_ndjson(c, r, "parquet")
            check_table_version(c, r, t.latest)
            c.need(len(lines) == 2, "%d lines, want exactly 2 (4.7; SPARK fails otherwise)"
                   % len(lines))
            self.check_parquet_head(c, lines, snap)
            self.parquet_head[t.full] = [o for _, o in lines]
        with self.check("%s: GET metadata (delta format)" % t.full) as c:
            r = http("GET", self.tpath(t, "/metadata"), self.token,
                     {"delta-sharing-capabilities": DELTA_CAPS})
            lines = parse_ndjson(c, r, "delta")
            check_table_version(c, r, t.latest)
            c.need(len(lines) == 2, "%d lines, want exactly 2 (4.7)" % len(lines))
            self.check_delta_head(c, lines, snap)

    def check_parquet_head(self, c, lines, snap, version=None):
        """Lines 1-2 of a parquet answer (6.1, 6.2)."""
        (_, l1), (_, l2) = lines[0], lines[1]
        c.need("protocol" in l1, "line 1 is not protocol: %r" % l1)
        c.expect(l1["protocol"] == {"minReaderVersion": 1},
                 "parquet protocol %r, want {\"minReaderVersion\":1} (6.1)" % l1["protocol"])
        c.need("metaData" in l2, "line 2 is not metaData: %r" % l2)
        m, want = l2["metaData"], snap["metadata"]
        c.expect(m.get("id") == want["id"], "metaData.id %r, want %r" % (m.get("id"), want["id"]))
        c.expect(m.get("format") == {"provider": "parquet"} or
                 (isinstance(m.get("format"), dict) and m["format"].get("provider") == "parquet"),
                 "metaData.format %r" % m.get("format"))
        c.expect(isinstance(m.get("schemaString"), str), "metaData.schemaString is not a string")
        if isinstance(m.get("schemaString"), str):
            c.expect(clean_schema(m["schemaString"]) == clean_schema(want["schemaString"]),
                     "metaData.schemaString differs from the log's")
        c.expect(m.get("partitionColumns") == want["partitionColumns"],
                 "metaData.partitionColumns %r, want %r"
                 % (m.get("partitionColumns"), want["partitionColumns"]))
        conf = m.get("configuration", {})
        c.expect(isinstance(conf, dict) and all(isinstance(v, str) for v in conf.values()),
                 "metaData.configuration %r is not a string map" % conf)
        if version is not None:
            c.expect(m.get("version") == version,
                     "metaData.version %r, want %d (6.2: set on time travel)"
                     % (m.get("version"), version))

    def check_delta_head(self, c, lines, snap):
        """Lines 1-2 of a delta-format answer (6.6)."""
        (_, l1), (_, l2) = lines[0], lines[1]
        c.need("protocol" in l1 and isinstance(l1["protocol"].get("deltaProtocol"), dict),
               "line 1 is not {\"protocol\":{\"deltaProtocol\":...}}: %r" % l1)
        dp, want = l1["protocol"]["deltaProtocol"], snap["protocol"]
        for k in ("minReaderVersion", "minWriterVersion"):
            c.expect(dp.get(k) == want[k], "deltaProtocol.%s %r, want %r" % (k, dp.get(k), want[k]))
        for k in ("readerFeatures", "writerFeatures"):
            got = sorted(dp[k]) if dp.get(k) is not None else None
            exp = sorted(want[k]) if want.get(k) is not None else None
            c.expect(got == exp, "deltaProtocol.%s %r, want %r" % (k, dp.get(k), want.get(k)))
        c.need("metaData" in l2 and isinstance(l2["metaData"].get("deltaMetadata"), dict),
               "line 2 is not {\"metaData\":{\"deltaMetadata\":...}}: %r" % l2)
        dm, wm = l2["metaData"]["deltaMetadata"], snap["metadata"]
        c.expect(dm.get("id") == wm["id"], "deltaMetadata.id %r, want %r" % (dm.get("id"), wm["id"]))
        c.expect(isinstance(dm.get("format"), dict) and dm["format"].get("provider") == "parquet",
                 "deltaMetadata.format %r" % dm.get("format"))
        c.expect(dm.get("schemaString") == wm["schemaString"],
                 "deltaMetadata.schemaString is not the log's, unmodified (6.6)")
        c.expect(dm.get("partitionColumns") == wm["partitionColumns"],
                 "deltaMetadata.partitionColumns %r" % dm.get("partitionColumns"))
        c.expect(dm.get("configuration") == wm["configuration"],
                 "deltaMetadata.configuration %r, want the full %r (6.6)"
                 % (dm.get("configuration"), wm["configuration"]))

    # -- file lines ------------------------------------------------------------------

    def check_expiration(self, c, where, exp):
        now = int(time.time() * 1000)
        if not c.expect(is_int(exp), "%s: expirationTimestamp %r is not an integer" % (where, exp)):
            return
        c.expect(now + self.min_url_lifetime_ms - 5000 <= exp <= now + 7 * 86400000,
                 "%s: expirationTimestamp %d is %.0f s from now (U7: well above 15 min)"
                 % (where, exp, (exp - now) / 1000.0))

    def check_parquet_files(self, c, t, lines, version, time_travel=False):
        """File lines of a parquet snapshot answer (6.3), which must be exactly
        the live files at VERSION: returns {id: (url, size, log path)}."""
        live = t.files(version)
        seen = self.check_file_lines(c, t, lines, live, version, time_travel)
        by_id = {hashlib.md5(p.encode()).hexdigest(): p for p in live}
        missing = sorted(set(by_id) - set(seen))
        c.expect(not missing, "missing files at version %d: %r"
                 % (version, [by_id[m] for m in missing][:5]))
        return seen

    def check_file_lines(self, c, t, lines, live, version, time_travel):
        """Each parquet file line is one of LIVE ({log path: admin's entry}),
        with its size, partitionValues, stats, a URL and an expiry."""
        by_id = {hashlib.md5(p.encode()).hexdigest(): p for p in live}
        seen = {}
        for i, (raw, obj) in enumerate(lines):
            where = "line %d" % (i + 3)
            c.need("file" in obj, "%s is not a file line: %r" % (where, raw[:200]))
            f = obj["file"]
            c.need(isinstance(f, dict), "%s: file is not an object" % where)
            fid = f.get("id")
            c.need(isinstance(fid, str), "%s: no id" % where)
            c.expect(fid not in seen, "%s: id %s listed twice" % (where, fid))
            path = by_id.get(fid)
            if not c.expect(path is not None, "%s: id %s is not the MD5 of any live file's log path "
                            "at version %d (5.5)" % (where, fid, version)):
                continue
            want = live[path]
            where = "%s (%s)" % (where, path)
            c.expect(isinstance(f.get("url"), str), "%s: no url" % where)
            c.expect(f.get("size") == want["size"] and is_int(f.get("size")),
                     "%s: size %r, want %d" % (where, f.get("size"), want["size"]))
            c.expect(f.get("partitionValues") == want["partitionValues"],
                     "%s: partitionValues %r, want %r" % (where, f.get("partitionValues"),
                                                         want["partitionValues"]))
            if want["stats"] is None:
                c.expect(f.get("stats") is None, "%s: stats %r, the log has none" % (where, f.get("stats")))
            else:
                c.expect(f.get("stats") == want["stats"],
                         "%s: stats %r, want the log's string %r (6.3)" % (where, f.get("stats"),
                                                                          want["stats"]))
            self.check_expiration(c, where, f.get("expirationTimestamp"))
            if time_travel:
                c.expect(is_int(f.get("version")) and 0 <= f["version"] <= version,
                         "%s: version %r on a time-travel file, want 0..%d (4.8.3)"
                         % (where, f.get("version"), version))
            for k in ("version", "timestamp"):
                if k in f:
                    c.expect(is_int(f[k]), "%s: %s %r is not an integer" % (where, k, f[k]))
            c.expect("deletionVector" not in f, "%s: a deletionVector in parquet format" % where)
            seen[fid] = (f.get("url"), want["size"], path)
        return seen

    def check_delta_files(self, c, t, lines, version):
        """File lines of a delta-format snapshot answer (6.6)."""
        live = t.files(version)
        by_id = {hashlib.sha256(p.encode()).hexdigest(): p for p in live}
        seen = {}
        for i, (raw, obj) in enumerate(lines):
            where = "line %d" % (i + 3)
            c.need("file" in obj and isinstance(obj["file"], dict),
                   "%s is not a file line: %r" % (where, raw[:200]))
            f = obj["file"]
            fid = f.get("id")
            c.need(isinstance(fid, str), "%s: no id" % where)
            c.expect(fid not in seen, "%s: id %s listed twice" % (where, fid))
            path = by_id.get(fid)
            if not c.expect(path is not None, "%s: id %s is not the SHA-256 of any live file's "
                            "log path (5.5)" % (where, fid)):
                continue
            want = live[path]
            where = "%s (%s)" % (where, path)
            dsa = f.get("deltaSingleAction")
            c.need(isinstance(dsa, dict) and list(dsa) == ["add"],
                   "%s: deltaSingleAction %r is not {\"add\":...}" % (where, dsa))
            add = dsa["add"]
            c.expect(isinstance(add.get("path"), str) and "://" in add["path"],
                     "%s: add.path %r is not a signed URL" % (where, add.get("path")))
            c.expect(add.get("size") == want["size"], "%s: add.size %r" % (where, add.get("size")))
            c.expect(add.get("partitionValues") == want["partitionValues"],
                     "%s: add.partitionValues %r" % (where, add.get("partitionValues")))
            c.expect(add.get("dataChange") in (True, False), "%s: add.dataChange %r"
                     % (where, add.get("dataChange")))
            c.expect(is_int(add.get("modificationTime")), "%s: add.modificationTime %r"
                     % (where, add.get("modificationTime")))
            if want["stats"] is None:
                c.expect(add.get("stats") is None, "%s: add.stats but the log has none" % where)
            else:
                c.expect(add.get("stats") == want["stats"], "%s: add.stats %r, want the log's"
                         % (where, add.get("stats")))
            c.expect("tags" not in add, "%s: add.tags must be dropped (6.6)" % where)
            c.expect(not [k for k in add if k.endswith("_parsed")],
                     "%s: *_parsed keys in add (6.6)" % where)
            c.expect(add.get("deletionVector") is None, "%s: unexpected deletionVector" % where)
            self.check_expiration(c, where, f.get("expirationTimestamp"))
            seen[fid] = (add.get("path"), want["size"], path)
        missing = sorted(set(by_id) - set(seen))
        c.expect(not missing, "missing files: %r" % [by_id[m] for m in missing][:5])
        return seen

    # -- following signed URLs (section 8) ---------------------------------------------

    def follow(self, t, files, what):
        """HEAD, GET and two ranged GETs on each URL not followed before."""
        for url, size, path in sorted(files.values(), key=lambda f: f[2]):
            if not isinstance(url, str) or url in self.followed:
                continue
            self.followed.add(url)
            self.sample_url.setdefault(t.full, (url, size))
            with self.check("%s: %s: URL of %s" % (t.full, what, path)) as c:
                self.check_url(c, t, url, size, path)

    def link_parts(self, url):
        """(prefix, token, object path as in the URL) of a /files/ link, the
        prefix being the URL path up to and including /files/; None when
        the URL does not have that shape."""
        prefix = urllib.parse.urlsplit(self.endpoint).path.rstrip("/") + "/files/"
        upath = urllib.parse.urlsplit(url).path
        if not upath.startswith(prefix):
            return None
        token, sep, obj = upath[len(prefix):].partition("/")
        if not (token and sep and obj):
            return None
        return prefix, token, obj

    def check_url(self, c, t, url, size, path):
        u = urllib.parse.urlsplit(url)
        c.need(u.scheme in ("http", "https") and u.netloc, "not an absolute http(s) URL: %r" % url)
        c.expect(url.startswith(self.endpoint + "/files/"),
                 "local-table URL is not under %s/files/ (section 8, OURS)" % self.endpoint)
        parts = self.link_parts(url)
        if c.expect(parts is not None, "URL path is not /files/<token>/<object path>: %s"
                    % short(url)):
            # the object's path, decoded once, is the log's path decoded once
            c.expect(urllib.parse.unquote_to_bytes(parts[2]) ==
                     urllib.parse.unquote_to_bytes(path),
                     "URL path names %r, the log %r" % (parts[2], path))
        keys = {k.lower() for k, _ in urllib.parse.parse_qsl(u.query, keep_blank_values=True)}
        c.expect(keys & PRESIGNED_KEYS, "no presigned-looking key (sp, ...) in the query (U5)")
        with open(t.disk_path(path), "rb") as fh:
            data = fh.read()
        c.need(len(data) == size, "harness: %s has %d bytes on disk, the log says %d"
               % (path, len(data), size))

        r = http("HEAD", url)
        if c.expect(r.status == 200, "HEAD: %s" % r.excerpt()):
            c.expect(r.header("Content-Length") == str(size),
                     "HEAD: Content-Length %r, want %d (U3)" % (r.header("Content-Length"), size))
            c.expect(r.header("Content-Encoding") in (None, "identity"),
                     "HEAD: Content-Encoding %r (U4)" % r.header("Content-Encoding"))
            c.expect(r.body == b"", "HEAD: a body")

        r = http("GET", url)
        if c.expect(r.status == 200, "GET: %s" % r.excerpt()):
            c.expect(r.body == data, "GET: %d bytes that differ from the file on disk (%d bytes)"
                     % (len(r.body), len(data)))
            c.expect(r.header("Content-Length") in (None, str(size)),
                     "GET: Content-Length %r, want %d" % (r.header("Content-Length"), size))
            c.expect(r.header("Content-Encoding") in (None, "identity"),
                     "GET: Content-Encoding %r (U4)" % r.header("Content-Encoding"))

        end = min(99, size - 1)
        ranges = [(4, end)] if size > 4 else []
        ranges.append((0, size - 1))
        for a, b in ranges:
            r = http("GET", url, headers={"Range": "bytes=%d-%d" % (a, b)})
            label = "GET Range: bytes=%d-%d" % (a, b)
            if not c.expect(r.status == 206, "%s: status %s, want 206 (U2; also for the whole "
                            "object)" % (label, r.status)):
                continue
            c.expect(r.header("Content-Range") == "bytes %d-%d/%d" % (a, b, size),
                     "%s: Content-Range %r, want 'bytes %d-%d/%d'"
                     % (label, r.header("Content-Range"), a, b, size))
            c.expect(r.body == data[a:b + 1], "%s: %d bytes that are not bytes %d-%d of the file"
                     % (label, len(r.body), a, b))
            c.expect(r.header("Content-Length") in (None, str(b - a + 1)),
                     "%s: Content-Length %r" % (label, r.header("Content-Length")))

    # -- query (E8) ----------------------------------------------------------------------

    def query(self, c, t, body, fmt="parquet"):
        """POST query with BODY; a 200 NDJSON answer in FMT or c fails."""
        headers = {"delta-sharing-capabilities": DELTA_CAPS} if fmt == "delta" else None
        r = post_json(self.tpath(t, "/query"), self.token, body, headers)
        lines = parse_ndjson(c, r, fmt)
        c.need(len(lines) >= 2, "%d lines, want protocol, metaData, files" % len(lines))
        return r, lines

    def check_query_latest(self, t):
        snap = t.snapshots[t.latest]
        files = None
        with self.check("%s: POST query {} (parquet)" % t.full) as c:
            r, lines = self.query(c, t, {})
            check_table_version(c, r, t.latest)
            self.check_parquet_head(c, lines, snap)
            if t.full in self.parquet_head:
                c.expect([o for _, o in lines[:2]] == self.parquet_head[t.full],
                         "protocol/metaData lines differ from GET metadata's")
            c.expect(not any("endStreamAction" in o for _, o in lines),
                     "endStreamAction without maxFiles (4.8.4: PY would crash)")
            files = self.check_parquet_files(c, t, lines[2:], t.latest)
        if files:
            self.follow(t, files, "query {}")
        files = None
        with self.check("%s: POST query {} (delta format)" % t.full) as c:
            r, lines = self.query(c, t, {}, "delta")
            check_table_version(c, r, t.latest)
            self.check_delta_head(c, lines, snap)
            files = self.check_delta_files(c, t, lines[2:], t.latest)
        if files:
            self.follow(t, files, "query {} (delta)")

    def check_query_validation(self, t):
        with self.check("%s: query request validation (4.8.2, 1.3)" % t.full) as c:
            # an empty body is {} (OURS); a version may be a numeric string (REF)
            r = http("POST", self.tpath(t, "/query"), self.token, None, b"")
            c.expect(r.status == 200, "empty body: %s" % r.excerpt())
            r = post_json(self.tpath(t, "/query"), self.token, {"version": str(t.latest)})
            if c.expect(r.status == 200, "{\"version\":\"%d\"}: %s" % (t.latest, r.excerpt())):
                c.expect(r.header("Delta-Table-Version") == str(t.latest),
                         "{\"version\":\"%d\"}: Delta-Table-Version %r"
                         % (t.latest, r.header("Delta-Table-Version")))
            bad = [({"version": -1}, "negative version"),
                   ({"version": t.latest + 1}, "version after the latest"),
                   ({"version": 0, "timestamp": iso_ms(t.history[t.latest])}, "version and timestamp"),
                   ({"timestamp": iso_ms(t.history[min(t.history)] - 1)},
                    "timestamp before the first commit"),
                   ({"timestamp": iso_ms(t.history[t.latest] + 1)}, "timestamp after the last commit"),
                   ({"timestamp": "yesterday"}, "unparsable timestamp"),
                   ({"maxFiles": 0}, "maxFiles 0")]
            for body, why in bad:
                r = post_json(self.tpath(t, "/query"), self.token, body)
                absorb(c, "%s %s" % (why, json.dumps(body)), check_json_error, r, 400)
            r = http("POST", self.tpath(t, "/query"), self.token, None, b"{not json")
            absorb(c, "body not JSON", check_json_error, r, 400)

    def check_time_travel(self, t):
        for v in range(t.latest + 1):
            files = None
            with self.check("%s: query {\"version\":%d}" % (t.full, v)) as c:
                if v in t.snapshot_errors:
                    r = post_json(self.tpath(t, "/query"), self.token, {"version": v})
                    check_json_error(c, r, 400)  # not reconstructable: a 4xx, never 5xx
                    continue
                r, lines = self.query(c, t, {"version": v})
                check_table_version(c, r, v)
                self.check_parquet_head(c, lines, t.snapshots[v], version=v)
                files = self.check_parquet_files(c, t, lines[2:], v, time_travel=True)
            if files:
                self.follow(t, files, "version %d" % v)
        cases = []
        for v in sorted(t.history):
            if v in t.snapshots:
                cases.append((iso_ms(t.history[v]), v))
                nxt = t.history.get(v + 1)
                if nxt is not None and nxt - t.history[v] > 2:
                    cases.append((iso_ms((t.history[v] + nxt) // 2), v))
        for q in (t.expected or {}).get("timestamp_queries", []):
            if q["mode"] == "as-of" and q.get("version") in t.snapshots:
                cases.append((q["timestamp"], q["version"]))
        def as_of(c, ts, v):
            r, lines = self.query(c, t, {"timestamp": ts})
            c.need(check_table_version(c, r, None) == v, "Delta-Table-Version %s, want %d"
                   % (r.header("Delta-Table-Version"), v))
            self.check_parquet_files(c, t, lines[2:], v, time_travel=True)

        with self.check("%s: query {\"timestamp\":...} at and between commits (9)" % t.full) as c:
            for ts, v in cases:
                absorb(c, "timestamp %s" % ts, as_of, ts, v)
        for q in (t.expected or {}).get("timestamp_queries", []):
            if q["mode"] == "as-of" and "error" in q:
                with self.check("%s: query {\"timestamp\":\"%s\"} is refused (%s)"
                                % (t.full, q["timestamp"], q["error"])) as c:
                    check_json_error(c, post_json(self.tpath(t, "/query"), self.token,
                                                  {"timestamp": q["timestamp"]}), 400)
        for snap in (t.expected or {}).get("snapshots", []):
            if "files" not in snap:
                continue
            with self.check("%s: version %d matches the fixture's expected.json"
                            % (t.full, snap["version"])) as c:
                r, lines = self.query(c, t, {"version": snap["version"]})
                want = {hashlib.md5(f["path"].encode()).hexdigest(): f for f in snap["files"]}
                got = {o["file"]["id"]: o["file"] for _, o in lines[2:] if "file" in o}
                c.expect(set(got) == set(want), "file ids differ: %d got, %d expected"
                         % (len(got), len(want)))
                for fid in set(got) & set(want):
                    c.expect(got[fid].get("size") == want[fid]["size"] and
                             got[fid].get("partitionValues") == want[fid]["partitionValues"],
                             "%s: size/partitionValues differ" % want[fid]["path"])

    def check_pagination(self, t, base, page_size):
        """Pages of BASE + maxFiles (4.8.5): same head bytes, union = one-shot set."""
        name = "%s: query %s paged by maxFiles=%d" % (t.full, json.dumps(base), page_size)
        version = base.get("version", t.latest)
        files = {}
        first_token = None
        with self.check(name) as c:
            ref_r, ref_lines = self.query(c, t, base)
            want_ids = {o["file"]["id"] for _, o in ref_lines[2:] if "file" in o}
            head, dtv, caps, token, pages = None, None, None, None, 0
            while True:
                pages += 1
                c.need(pages <= len(want_ids) + 3, "more than %d pages: the token never runs out"
                       % (len(want_ids) + 3))
                body = dict(base, maxFiles=page_size)
                if token is not None:
                    body["pageToken"] = token
                r, lines = self.query(c, t, body)
                if head is None:
                    head = [raw for raw, _ in lines[:2]]
                    dtv = check_table_version(c, r, version)
                    caps = r.header("delta-sharing-capabilities")
                    self.check_parquet_head(c, lines, t.snapshots[version],
                                            version=base.get("version"))
                else:
                    c.expect([raw for raw, _ in lines[:2]] == head,
                             "page %d: protocol/metaData lines are not byte-identical to page 1's "
                             "(1.2 rule 5)" % pages)
                    c.expect(r.header("Delta-Table-Version") == str(dtv),
                             "page %d: Delta-Table-Version %r, page 1 had %d"
                             % (pages, r.header("Delta-Table-Version"), dtv))
                    c.expect(r.header("delta-sharing-capabilities") == caps,
                             "page %d: delta-sharing-capabilities changed" % pages)
                c.need(len(lines) >= 3 and "endStreamAction" in lines[-1][1],
                       "page %d does not end with an endStreamAction (4.8.5)" % pages)
                esa = lines[-1][1]["endStreamAction"]
                file_lines = lines[2:-1]
                c.expect(len(file_lines) <= page_size, "page %d has %d files, maxFiles=%d"
                         % (pages, len(file_lines), page_size))
                page = self.check_parquet_files_subset(c, t, file_lines, version,
                                                       "version" in base, pages)
                for fid in page:
                    c.expect(fid not in files, "page %d repeats file %s" % (pages, fid))
                files.update(page)
                exps = [o["file"].get("expirationTimestamp") for _, o in file_lines]
                if exps:
                    c.expect(esa.get("minUrlExpirationTimestamp") == min(exps),
                             "page %d: minUrlExpirationTimestamp %r, want %r (6.4)"
                             % (pages, esa.get("minUrlExpirationTimestamp"), min(exps)))
                token = esa.get("nextPageToken")
                c.expect(token != "", "page %d: nextPageToken \"\" (omit it on the last page)" % pages)
                if first_token is None and token:
                    first_token = token
                if not token:
                    break
            c.expect(set(files) == want_ids, "pages give %d files, one request %d; missing %r, extra %r"
                     % (len(files), len(want_ids), sorted(want_ids - set(files))[:3],
                        sorted(set(files) - want_ids)[:3]))
        if files:
            self.follow(t, files, "paged query")
        if first_token:
            with self.check("%s: a tampered pageToken is refused (4.8.5)" % t.full) as c:
                bad = flip(first_token, len(first_token) // 2)
                r = post_json(self.tpath(t, "/query"), self.token,
                              dict(base, maxFiles=page_size, pageToken=bad))
                check_json_error(c, r, 400)
            if "version" not in base and t.latest > 0:
                with self.check("%s: a pageToken with other query parameters is refused (4.8.5)"
                                % t.full) as c:
                    r = post_json(self.tpath(t, "/query"), self.token,
                                  {"version": 0, "maxFiles": page_size, "pageToken": first_token})
                    check_json_error(c, r, 400)

    def check_parquet_files_subset(self, c, t, lines, version, time_travel, page):
        """Like check_parquet_files for one page: each line must be a live file,
        but the page holds only some of them."""
        live = t.files(version)
        by_id = {hashlib.md5(p.encode()).hexdigest(): p for p in live}
        out = {}
        for _, obj in lines:
            c.need("file" in obj, "page %d: a line that is not a file: %r" % (page, obj))
            f = obj["file"]
            path = by_id.get(f.get("id"))
            if not c.expect(path is not None, "page %d: id %r is not a live file's" % (page, f.get("id"))):
                continue
            one = {p: live[p] for p in [path]}
            absorb(c, "page %d" % page, self.check_file_lines, t, [(b"", obj)], one, version,
                   time_travel)
            out[f["id"]] = (f.get("url"), live[path]["size"], path)
        return out

    # -- refusals -------------------------------------------------------------------------

    def check_refusals(self, t):
        if t.full in self.sample_url:
            url, _ = self.sample_url[t.full]
            u = urllib.parse.urlsplit(url)
            q = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
            sig = [v for k, v in q if k == "sig"]
            with self.check("%s: tampered signed URLs are refused with 403 (8)" % t.full) as c:
                c.need(len(sig) == 1 and sig[0], "the URL has no single sig parameter: %s" % short(url))
                variants = []
                for i in (0, len(sig[0]) // 2, len(sig[0]) - 1):
                    qq = [(k, flip(v, i) if k == "sig" else v) for k, v in q]
                    variants.append(("sig char %d flipped" % i,
                                     u._replace(query=urllib.parse.urlencode(qq)).geturl()))
                variants.append(("no sig", u._replace(query=urllib.parse.urlencode(
                    [(k, v) for k, v in q if k != "sig"])).geturl()))
                parts = self.link_parts(url)
                c.need(parts is not None, "not a /files/<token>/<path> URL: %s" % short(url))
                prefix, tok, obj = parts
                variants.append(("link token char flipped", u._replace(
                    path=prefix + flip(tok, len(tok) // 2) + "/" + obj).geturl()))
                # the object path is signed too: another name, one segment
                # more or one less, under the same token and sig
                head, _, name = obj.rpartition("/")
                i = next((k for k in range(len(name) // 2, len(name)) if name[k].isalnum()), 0)
                variants.append(("object path char flipped", u._replace(
                    path=prefix + tok + "/" + (head + "/" if head else "") + flip(name, i)
                ).geturl()))
                variants.append(("object path with a segment more", u._replace(
                    path=prefix + tok + "/" + obj + "/x").geturl()))
                variants.append(("object path with a segment less" if head else
                                 "object path in a directory", u._replace(
                                     path=prefix + tok + "/" + (name if head else "x/" + obj)
                                 ).geturl()))
                for why, bad in variants:
                    for method in ("GET", "HEAD"):
                        r = http(method, bad)
                        absorb(c, "%s, %s" % (why, method), check_json_error, r, 403)
                        c.expect(not (method == "GET" and r.body[:4] == b"PAR1"),
                                 "%s: the file came back" % why)
        endpoints = (("GET", "/version", None), ("GET", "/metadata", None),
                     ("POST", "/query", b"{}"), ("HEAD", "", None))
        for share, schema, table in ((t.share, t.schema, "no_such_table_x7"),
                                     (t.share, "no_such_schema_x7", t.name),
                                     ("no_such_share_x7", t.schema, t.name)):
            with self.check("%s.%s.%s: unknown, 404 on every table endpoint" % (
                    share, schema, table)) as c:
                for method, suffix, body in endpoints:
                    r = http(method, self.path3(share, schema, table, suffix), self.token, None, body)
                    absorb(c, "%s %s" % (method, suffix or "(table)"), check_json_error, r, 404)
        for label, token in (("a bad token", self.token + "x"), ("no token", None)):
            with self.check("%s: %s is 401 on every table endpoint" % (t.full, label)) as c:
                for method, suffix, body in endpoints:
                    r = http(method, self.tpath(t, suffix), token, None, body)
                    absorb(c, "%s %s" % (method, suffix or "(table)"), check_json_error, r, 401)

    # -- change data feed (E9) and streaming queries (4.8.3) ---------------------------

    def changes(self, c, t, params, fmt):
        """GET .../changes?PARAMS in FMT; a 200 NDJSON answer or c fails."""
        headers = None
        if fmt == "delta":
            headers = {"delta-sharing-capabilities": CDF_DV_CAPS if t.has_dvs() else DELTA_CAPS}
        r = http("GET", self.tpath(t, "/changes?" + urllib.parse.urlencode(params)), self.token,
                 headers)
        lines = parse_ndjson(c, r, fmt)
        c.need(len(lines) >= 2, "%d lines, want protocol, metaData, changes" % len(lines))
        return r, lines

    def changes_raw(self, t, params, fmt):
        headers = None
        if fmt == "delta":
            headers = {"delta-sharing-capabilities": CDF_DV_CAPS if t.has_dvs() else DELTA_CAPS}
        return http("GET", self.tpath(t, "/changes?" + urllib.parse.urlencode(params)),
                    self.token, headers)

    def check_change_head(self, c, t, lines, fmt, head_version):
        """Lines 1-2 of a change answer: the snapshot HEAD_VERSION's protocol and
        metadata, metaData.version = HEAD_VERSION (4.9; PY's delta-format
        reader needs it, 11.2), no protocol.version unless asked (6.6)."""
        snap = t.snapshots[head_version]
        if fmt == "parquet":
            self.check_parquet_head(c, lines, snap, version=head_version)
            return
        self.check_delta_head(c, lines, snap)
        md = lines[1][1]["metaData"]
        if c.expect(is_int(md.get("version")), "line 2: metaData.version %r is not an integer "
                    "(PY's delta-format change reader requires it, 4.9, 11.2)" % md.get("version")):
            c.expect(md["version"] == head_version, "line 2: metaData.version %d, want %d"
                     % (md["version"], head_version))
        c.expect("version" not in lines[0][1]["protocol"],
                 "line 1: protocol.version without includeHistoricalProtocol (6.6)")

    def change_dv(self, c, where, dv):
        """(unique id, (url, path) of the DV file or None) of a delta-format
        action's deletionVector; a signed 'p' link to the table's DV file is
        mapped back to the 'u' id the log has (Z85 of the file's UUID)."""
        c.need(isinstance(dv, dict), "%s: deletionVector %r is not an object" % (where, dv))
        if dv.get("storageType") == "i":
            return dv_unique_id(dv), None
        c.expect(dv.get("storageType") == "p", "%s: deletionVector.storageType %r: a DV stored "
                 "in the table must come as 'p' with a signed URL (6.6)"
                 % (where, dv.get("storageType")))
        url = dv.get("pathOrInlineDv")
        parts = self.link_parts(url) if isinstance(url, str) else None
        if not c.expect(parts is not None, "%s: deletionVector.pathOrInlineDv %r is not a "
                        "/files/<token>/<path> URL" % (where, url)):
            return dv_unique_id(dv), None
        rel = urllib.parse.unquote(parts[2])
        m = DV_FILE.fullmatch(rel)
        if not c.expect(m is not None, "%s: the DV URL names %r, not a deletion_vector_<uuid>.bin"
                        % (where, rel)):
            return dv_unique_id(dv), None
        uid = "u" + (m.group(1) or "") + z85(uuid.UUID(m.group(2)).bytes)
        if dv.get("offset") is not None:
            uid += "@%s" % dv["offset"]
        return uid, (url, urllib.parse.quote(rel, safe="/"))

    def change_entries(self, c, lines, fmt, kinds):
        """The lines after protocol and metaData of a change answer (CDF or
        streaming query): returns (entries, metaData objects, endStreamAction
        objects).  An entry is a dict: kind (add, remove or cdc), dpath (the
        object path of its URL, percent-decoded once), url, id, size, pv,
        version, timestamp, dv (unique id; None in parquet), dv_link, line
        (the file object), action (the wrapped action in delta format, else
        the file object).  KINDS: the kinds this answer may have."""
        entries, metas, ends = [], [], []
        for i, (raw, obj) in enumerate(lines):
            where = "line %d" % (i + 3)
            key, val = next(iter(obj.items()))
            c.need(isinstance(val, dict), "%s: %s is not an object: %r" % (where, key, raw[:200]))
            if key == "endStreamAction":
                c.expect(i == len(lines) - 1, "%s: endStreamAction is not the last line" % where)
                ends.append(val)
                continue
            if key == "metaData":
                if fmt == "delta":
                    c.expect(is_int(val.get("version")), "%s: metaData without an integer version "
                             "(PY's delta-format change reader requires it, 4.9)" % where)
                    val = dict(val.get("deltaMetadata") or {}, version=val.get("version"))
                metas.append(val)
                continue
            dv, dv_link = None, None
            if fmt == "parquet":
                c.need(key in ("add", "cdf", "remove"), "%s: a %r line; PY's parquet change reader "
                       "knows only add, cdf and remove (11.2): %r" % (where, key, raw[:200]))
                kind = "cdc" if key == "cdf" else key
                f = act = val
                url = f.get("url")
                if kind != "add":
                    c.expect("stats" not in f, "%s: stats on a %s line (6.3)" % (where, key))
                c.expect("deletionVector" not in f, "%s: a deletionVector in parquet format" % where)
            else:
                c.need(key == "file", "%s: a %r line in a delta-format change answer: %r"
                       % (where, key, raw[:200]))
                f = val
                dsa = f.get("deltaSingleAction")
                c.need(isinstance(dsa, dict) and len(dsa) == 1 and
                       next(iter(dsa)) in ("add", "remove", "cdc") and
                       isinstance(next(iter(dsa.values())), dict),
                       "%s: deltaSingleAction %r is not {add|remove|cdc: {...}} (6.6)"
                       % (where, str(dsa)[:200]))
                kind, act = next(iter(dsa.items()))
                url = act.get("path")
                if act.get("deletionVector") is not None:
                    dv, dv_link = self.change_dv(c, where, act["deletionVector"])
            where = "%s (%s)" % (where, kind)
            c.expect(kind in kinds, "%s: a %s action; this answer may have only %s"
                     % (where, kind, ", ".join(kinds)))
            c.expect(isinstance(f.get("id"), str), "%s: no id" % where)
            for k in ("version", "timestamp"):
                c.expect(is_int(f.get(k)), "%s: %s %r is not an integer (required on every change "
                         "line, 6.3; PY reads both, 4.9)" % (where, k, f.get(k)))
            self.check_expiration(c, where, f.get("expirationTimestamp"))
            c.expect(is_int(act.get("size")), "%s: size %r" % (where, act.get("size")))
            if fmt == "parquet" or kind != "remove" or "partitionValues" in act:
                c.expect(isinstance(act.get("partitionValues"), dict),
                         "%s: partitionValues %r is not a map (6.3)"
                         % (where, act.get("partitionValues")))
            parts = self.link_parts(url) if isinstance(url, str) else None
            c.expect(parts is not None, "%s: the URL is not /files/<token>/<path>: %r"
                     % (where, url if not isinstance(url, str) else short(url)))
            entries.append({"kind": kind, "dpath": urllib.parse.unquote(parts[2]) if parts else None,
                            "url": url, "id": f.get("id"), "size": act.get("size"),
                            "pv": act.get("partitionValues"), "version": f.get("version"),
                            "timestamp": f.get("timestamp"), "dv": dv, "dv_link": dv_link,
                            "line": f, "action": act})
        return entries, metas, ends

    @staticmethod
    def change_key(e):
        return (e["version"], e["kind"], e["dpath"], e["size"], canon(e["pv"]), e["timestamp"],
                e["dv"])

    def compare_changes(self, c, t, got, want, fmt):
        """GOT (change_entries) against WANT (dicts kind, path as in the log,
        dpath, size, pv, version, timestamp, dv), per version as a multiset;
        then each matched line against its action in the commit.  Returns
        [(url, size, path)] to follow."""
        gk = collections.Counter(self.change_key(e) for e in got)
        wk = collections.Counter(self.change_key(w) for w in want)
        log_path = {self.change_key(w): w["path"] for w in want}

        def show(k):
            return "%s %s size=%r pv=%s ts=%r%s" % (k[1], k[2], k[3], k[4], k[5],
                                                   " dv=%s" % k[6] if k[6] else "")
        for v in vsort({k[0] for k in gk} | {k[0] for k in wk}):
            g = collections.Counter({k: n for k, n in gk.items() if k[0] == v})
            w = collections.Counter({k: n for k, n in wk.items() if k[0] == v})
            missing, extra = w - g, g - w
            c.expect(not missing and not extra,
                     "version %r: %d lines, want %d; missing %s; unexpected %s"
                     % (v, sum(g.values()), sum(w.values()),
                        "; ".join(show(k) for k in list(missing.elements())[:3]) or "none",
                        "; ".join(show(k) for k in list(extra.elements())[:3]) or "none"))
        follow = []
        hashf = hashlib.md5 if fmt == "parquet" else hashlib.sha256
        for e in got:
            path = log_path.get(self.change_key(e))
            if path is None:
                continue
            where = "version %d %s %s" % (e["version"], e["kind"], path)
            c.expect(e["id"] == hashf(path.encode()).hexdigest(),
                     "%s: id %r is not the %s of the log path (5.5)"
                     % (where, e["id"], "MD5" if fmt == "parquet" else "SHA-256"))
            self.check_change_action(c, t, e, path, fmt, where)
            follow.append((e["url"], e["size"], path))
            if e["dv_link"]:
                url, rel = e["dv_link"]
                follow.append((url, os.path.getsize(t.disk_path(rel)), rel))
        return follow

    def check_change_action(self, c, t, e, path, fmt, where):
        """A change line against the action of the commit it comes from."""
        la = next((a for k, a in t.commit_actions(e["version"])
                   if k == e["kind"] and isinstance(a, dict) and a.get("path") == path and
                   (fmt == "parquet" or dv_unique_id(a.get("deletionVector")) == e["dv"])), None)
        if not c.expect(la is not None, "%s: not in commit %d's log" % (where, e["version"])):
            return
        act = e["action"]
        if e["kind"] == "add":
            c.expect(act.get("stats") == la.get("stats"), "%s: stats %r, want the log's %r"
                     % (where, act.get("stats"), la.get("stats")))
        if fmt == "parquet":
            return
        if "dataChange" in la:
            c.expect(act.get("dataChange") is la["dataChange"], "%s: dataChange %r, the log has %r"
                     % (where, act.get("dataChange"), la["dataChange"]))
        if e["kind"] == "add":
            c.expect(act.get("modificationTime") == la.get("modificationTime"),
                     "%s: modificationTime %r, the log has %r"
                     % (where, act.get("modificationTime"), la.get("modificationTime")))
        if e["kind"] == "remove" and "deletionTimestamp" in la:
            c.expect(act.get("deletionTimestamp") == la["deletionTimestamp"],
                     "%s: deletionTimestamp %r, the log has %r"
                     % (where, act.get("deletionTimestamp"), la["deletionTimestamp"]))
        c.expect("tags" not in act, "%s: tags must be dropped (6.6)" % where)
        c.expect(not [k for k in act if k.endswith("_parsed")], "%s: *_parsed keys (6.6)" % where)
        ldv, gdv = la.get("deletionVector"), act.get("deletionVector")
        if ldv and isinstance(gdv, dict):
            if ldv.get("storageType") == "i":  # "offset": null and no offset are the same
                c.expect({k: v for k, v in gdv.items() if v is not None} ==
                         {k: v for k, v in ldv.items() if v is not None},
                         "%s: inline deletionVector %r, want the log's %r unchanged (6.6)"
                         % (where, gdv, ldv))
            else:
                for k in ("offset", "sizeInBytes", "cardinality"):
                    c.expect(gdv.get(k) == ldv.get(k), "%s: deletionVector.%s %r, the log has %r (6.6)"
                             % (where, k, gdv.get(k), ldv.get(k)))

    def follow_changes(self, t, fmt, items, what):
        """Follows each change file (and DV file) once per table and format."""
        todo = {}
        for url, size, path in items or ():
            k = (t.full, fmt, path)
            if k not in self.followed_changes and k not in todo:
                todo[k] = (url, size, path)
        self.followed_changes.update(todo)
        if todo:
            self.follow(t, dict(enumerate(todo.values())), what)

    def fixture_want(self, actions, fmt, since=0, until=None):
        """A changes[] range's actions of versions SINCE..UNTIL, as entries."""
        return [{"kind": a["type"], "path": a["path"], "dpath": urllib.parse.unquote(a["path"]),
                 "size": a["size"], "pv": a["partitionValues"], "version": a["version"],
                 "timestamp": a["timestamp"],
                 "dv": a.get("deletionVector") if fmt == "delta" else None}
                for a in actions
                if a["version"] >= since and (until is None or a["version"] <= until)]

    def check_changes_range(self, t, rng, fmt):
        start, end = rng["start"], rng["end"]
        follow = None
        with self.check("%s: changes versions %d-%d (%s) match the fixture's changes[] (4.9)"
                        % (t.full, start, end, fmt)) as c:
            r, lines = self.changes(c, t, {"startingVersion": start, "endingVersion": end}, fmt)
            check_table_version(c, r, start)
            self.check_change_head(c, t, lines, fmt, t.latest)
            got, metas, ends = self.change_entries(c, lines[2:], fmt, ("add", "remove", "cdc"))
            c.expect(not metas, "%d metaData lines without includeHistoricalMetadata (11.2: PY's "
                     "parquet reader crashes on them)" % len(metas))
            c.expect(not ends, "endStreamAction without maxFiles (4.8.4)")
            vs = [e["version"] for e in got]
            c.expect(vs == vsort(vs), "lines are not in version order (4.8.3)")
            follow = self.compare_changes(c, t, got, self.fixture_want(rng["actions"], fmt), fmt)
        self.follow_changes(t, fmt, follow, "changes %d-%d (%s)" % (start, end, fmt))

    def check_changes_historical(self, t, rng):
        """includeHistoricalMetadata=true (delta): the head is the start
        version's, metaData.version = start, the same changes."""
        start, end = rng["start"], rng["end"]
        with self.check("%s: changes versions %d-%d includeHistoricalMetadata=true (delta)"
                        % (t.full, start, end)) as c:
            r, lines = self.changes(c, t, {"startingVersion": start, "endingVersion": end,
                                           "includeHistoricalMetadata": "true"}, "delta")
            check_table_version(c, r, start)
            self.check_change_head(c, t, lines, "delta", start)
            got, metas, ends = self.change_entries(c, lines[2:], "delta", ("add", "remove", "cdc"))
            want_md = [v for v in range(start + 1, end + 1)
                       if any(k == "metaData" for k, _ in t.commit_actions(v))]
            c.expect([m.get("version") for m in metas] == want_md,
                     "historical metaData lines for versions %r, want %r"
                     % ([m.get("version") for m in metas], want_md))
            self.compare_changes(c, t, got, self.fixture_want(rng["actions"], "delta"), "delta")

    def check_changes_errors(self, t, rng, fmts):
        for fmt in fmts:
            with self.check("%s: changes versions %d-%d (%s) is refused: %s (4.9)"
                            % (t.full, rng["start"], rng["end"], fmt, rng["error"])) as c:
                r = self.changes_raw(t, {"startingVersion": rng["start"],
                                         "endingVersion": rng["end"]}, fmt)
                check_json_error(c, r, 400)

    def check_changes_starting_ts(self, t, full, fmt):
        """startingTimestamp (9): the fixture's `starting` timestamp queries."""
        for q in t.expected.get("timestamp_queries", []):
            if q["mode"] != "starting":
                continue
            name = "%s: changes?startingTimestamp=%s (%s)" % (t.full, q["timestamp"], fmt)
            if "error" in q:
                with self.check("%s is refused: %s (9)" % (name, q["error"])) as c:
                    check_json_error(c, self.changes_raw(t, {"startingTimestamp": q["timestamp"]},
                                                         fmt), 400)
                continue
            follow = None
            with self.check("%s starts at version %d (9)" % (name, q["version"])) as c:
                r, lines = self.changes(c, t, {"startingTimestamp": q["timestamp"]}, fmt)
                check_table_version(c, r, q["version"])
                self.check_change_head(c, t, lines, fmt, t.latest)
                got, metas, ends = self.change_entries(c, lines[2:], fmt, ("add", "remove", "cdc"))
                c.expect(not metas and not ends, "metaData or endStreamAction lines")
                if full is not None and full["start"] <= q["version"]:
                    follow = self.compare_changes(c, t, got, self.fixture_want(
                        full["actions"], fmt, q["version"]), fmt)
            self.follow_changes(t, fmt, follow, "changes from %s" % q["timestamp"])

    def check_changes_ending_ts(self, t, full, fmt):
        """endingTimestamp (9: the latest commit at or before it), from the
        fixture's `as-of` timestamp queries, which follow the same rule."""
        cases = [q for q in t.expected.get("timestamp_queries", []) if q["mode"] == "as-of" and
                 (q.get("version", -1) >= full["start"] or
                  q.get("error") == "timestamp-before-earliest")]
        if not cases:
            return
        follow = []
        with self.check("%s: changes?startingVersion=%d&endingTimestamp= (%s): %d cases (9)"
                        % (t.full, full["start"], fmt, len(cases))) as c:
            for q in cases:
                params = {"startingVersion": full["start"], "endingTimestamp": q["timestamp"]}
                where = "endingTimestamp=%s" % q["timestamp"]
                if "error" in q:  # before the first commit
                    absorb(c, where, check_json_error, self.changes_raw(t, params, fmt), 400)
                    continue

                def one(sub):
                    r, lines = self.changes(sub, t, params, fmt)
                    check_table_version(sub, r, full["start"])
                    got, metas, ends = self.change_entries(sub, lines[2:], fmt,
                                                           ("add", "remove", "cdc"))
                    sub.expect(not metas and not ends, "metaData or endStreamAction lines")
                    return self.compare_changes(sub, t, got, self.fixture_want(
                        full["actions"], fmt, until=q["version"]), fmt)
                follow += absorb(c, "%s (to version %d)" % (where, q["version"]), one) or []
        self.follow_changes(t, fmt, follow, "changes to a timestamp")

    def check_changes_paging(self, t, rng, fmt):
        """maxFiles and pageToken on /changes (4.9, 4.8.5): pages in order
        make the unpaged answer."""
        base = {"startingVersion": rng["start"], "endingVersion": rng["end"]}
        first_token, size = None, 1
        with self.check("%s: changes versions %d-%d (%s) paged by maxFiles"
                        % (t.full, rng["start"], rng["end"], fmt)) as c:
            _, lines = self.changes(c, t, base, fmt)
            ref, _, _ = self.change_entries(c, lines[2:], fmt, ("add", "remove", "cdc"))
            size = max(1, (len(ref) + 2) // 3)
            paged, token, pages, head, caps = [], None, 0, None, None
            while True:
                pages += 1
                c.need(pages <= len(ref) + 3, "more than %d pages: the token never runs out"
                       % (len(ref) + 3))
                params = dict(base, maxFiles=size)
                if token is not None:
                    params["pageToken"] = token
                r, lines = self.changes(c, t, params, fmt)
                if head is None:
                    head = [raw for raw, _ in lines[:2]]
                    caps = r.header("delta-sharing-capabilities")
                    check_table_version(c, r, rng["start"])
                else:
                    c.expect([raw for raw, _ in lines[:2]] == head, "page %d: protocol/metaData "
                             "lines are not byte-identical to page 1's (4.8.5)" % pages)
                    c.expect(r.header("Delta-Table-Version") == str(rng["start"]),
                             "page %d: Delta-Table-Version %r"
                             % (pages, r.header("Delta-Table-Version")))
                    c.expect(r.header("delta-sharing-capabilities") == caps,
                             "page %d: delta-sharing-capabilities changed" % pages)
                got, metas, ends = self.change_entries(c, lines[2:], fmt, ("add", "remove", "cdc"))
                c.need(len(ends) == 1, "page %d does not end with an endStreamAction (4.8.5)" % pages)
                c.expect(len(got) <= size, "page %d has %d lines, maxFiles=%d"
                         % (pages, len(got), size))
                exps = [e["line"].get("expirationTimestamp") for e in got]
                if exps and all(is_int(x) for x in exps):
                    c.expect(ends[0].get("minUrlExpirationTimestamp") == min(exps),
                             "page %d: minUrlExpirationTimestamp %r, want %r (6.4)"
                             % (pages, ends[0].get("minUrlExpirationTimestamp"), min(exps)))
                paged += got
                token = ends[0].get("nextPageToken")
                c.expect(token != "", "page %d: nextPageToken \"\" (omit it on the last page)"
                         % pages)
                first_token = first_token or token
                if not token:
                    break

            def sig(e):
                return (e["version"], e["kind"], e["id"], e["dpath"], e["size"], e["timestamp"],
                        e["dv"])
            c.expect([sig(e) for e in paged] == [sig(e) for e in ref],
                     "%d pages of up to %d give %d lines, one request %d: not the same lines in "
                     "the same order" % (pages, size, len(paged), len(ref)))
            c.expect(pages == max(1, -(-len(ref) // size)), "%d pages for %d lines of up to %d"
                     % (pages, len(ref), size))
        if first_token:
            with self.check("%s: a tampered or foreign changes pageToken is refused (4.8.5)"
                            % t.full) as c:
                bad = flip(first_token, len(first_token) // 2)
                r = self.changes_raw(t, dict(base, maxFiles=size, pageToken=bad), fmt)
                absorb(c, "tampered", check_json_error, r, 400)
                other = dict(base, maxFiles=size, pageToken=first_token)
                other["endingVersion"] = rng["start"]
                r = self.changes_raw(t, other, fmt)
                absorb(c, "other endingVersion", check_json_error, r, 400)

    def streaming_want(self, t, start, end, fmt):
        """What a streaming query of [START, END] must give, from the commit
        files: per commit, its add and remove actions with dataChange=true
        (never cdc), and the versions > START with a metaData action."""
        want, md = [], []
        for v in range(start, end + 1):
            for k, a in t.commit_actions(v):
                if k == "metaData" and v > start:
                    md.append(v)
                if k not in ("add", "remove") or a.get("dataChange") is not True:
                    continue
                size = a.get("size")
                if size is None:  # an old remove: the size comes from storage
                    size = os.path.getsize(t.disk_path(a["path"]))
                pv = a.get("partitionValues")
                if pv is None and (fmt == "parquet" or k == "add"):
                    pv = {}
                want.append({"kind": k, "path": a["path"], "dpath": urllib.parse.unquote(a["path"]),
                             "size": size, "pv": pv, "version": v, "timestamp": t.commit_ts(v),
                             "dv": dv_unique_id(a.get("deletionVector")) if fmt == "delta" else None})
        return want, md

    def check_streaming(self, t, body, fmt):
        start = body["startingVersion"]
        end = body.get("endingVersion", t.latest)
        follow = None
        with self.check("%s: streaming query %s (%s): each commit's add/remove with dataChange "
                        "(4.8.3)" % (t.full, json.dumps(body), fmt)) as c:
            r, lines = self.query(c, t, body, fmt)
            check_table_version(c, r, start)
            self.check_change_head(c, t, lines, fmt, start)
            got, metas, ends = self.change_entries(c, lines[2:], fmt, ("add", "remove"))
            c.expect(not ends, "endStreamAction without maxFiles (4.8.4)")
            vs = [e["version"] for e in got]
            c.expect(vs == vsort(vs), "lines are not in version order (4.8.3)")
            want, want_md = self.streaming_want(t, start, end, fmt)
            c.expect([m.get("version") for m in metas] == want_md,
                     "metaData lines for versions %r, want %r (4.8.3)"
                     % ([m.get("version") for m in metas], want_md))
            if fmt == "delta":
                for e in got:
                    c.expect(e["action"].get("dataChange") is True, "version %r %s %s: dataChange %r"
                             % (e["version"], e["kind"], e["dpath"], e["action"].get("dataChange")))
            follow = self.compare_changes(c, t, got, want, fmt)
        self.follow_changes(t, fmt, follow, "streaming query (%s)" % fmt)

    def run_changes(self, t):
        """The change feed checks of a table whose expected.json has changes[]."""
        changes = (t.expected or {}).get("changes")
        if not changes:
            return
        fmts = ("delta",) if t.has_dvs() else ("parquet", "delta")
        good = [rng for rng in changes if "error" not in rng]
        for rng in changes:
            if "error" in rng:
                self.check_changes_errors(t, rng, fmts)
            else:
                for fmt in fmts:
                    self.check_changes_range(t, rng, fmt)
        if t.has_dvs() and good:
            with self.check("%s: deletion vectors: a parquet change feed and streaming query "
                            "are refused (5.3)" % t.full) as c:
                r = self.changes_raw(t, {"startingVersion": good[0]["start"],
                                         "endingVersion": good[0]["end"]}, "parquet")
                absorb(c, "changes", check_json_error, r, 400)
                r = post_json(self.tpath(t, "/query"), self.token, {"startingVersion": 0})
                absorb(c, "query", check_json_error, r, 400)
        if good:
            full = min((rng for rng in good if rng["end"] == t.latest),
                       key=lambda rng: rng["start"], default=None)
            self.check_changes_starting_ts(t, full, fmts[0])
            if full is not None:
                self.check_changes_ending_ts(t, full, fmts[-1])
            self.check_changes_paging(t, max(good, key=lambda rng: len(rng["actions"])), fmts[0])
            self.check_changes_historical(t, good[-1])
        for fmt in fmts:
            self.check_streaming(t, {"startingVersion": 0}, fmt)
        if t.latest >= 2:
            self.check_streaming(t, {"startingVersion": 1, "endingVersion": 2}, fmts[-1])

    def run_table(self, t):
        self.check_version(t)
        self.check_metadata(t)
        self.check_query_latest(t)
        self.check_query_validation(t)
        self.check_time_travel(t)
        self.check_pagination(t, {}, 1)
        if t.latest > 0 and 0 in t.snapshots:
            self.check_pagination(t, {"version": 0}, 2)
        self.check_refusals(t)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", required=True, help="the recipient's profile file")
    ap.add_argument("--admin", required=True, help="path of delta-sharing-admin")
    ap.add_argument("--expected", action="append", default=[], metavar="TABLE=FILE",
                    help="a fixture's expected.json for a table")
    ap.add_argument("--min-url-lifetime", type=int, default=900, metavar="SECONDS",
                    help="least lifetime a signed URL must have (default 900)")
    ap.add_argument("--changes-only", action="append", default=[], metavar="TABLE",
                    help="check TABLE only through its change feed and streaming queries")
    ap.add_argument("tables", nargs="+", metavar="SHARE.SCHEMA.TABLE=ROOT")
    args = ap.parse_intermixed_args()
    report = Report()
    try:
        expected = dict(e.split("=", 1) for e in args.expected)
        tables = []
        for spec in args.tables:
            if "=" not in spec:
                raise HarnessError("%r is not SHARE.SCHEMA.TABLE=ROOT" % spec)
            name, root = spec.split("=", 1)
            tables.append(Table(name, root, args.admin, expected.pop(name, None)))
        if expected:
            raise HarnessError("--expected for tables not under test: %s" % ", ".join(expected))
        only = set(args.changes_only)
        if only - {t.full for t in tables}:
            raise HarnessError("--changes-only for tables not under test: %s"
                               % ", ".join(sorted(only - {t.full for t in tables})))
        client = Client(args.profile, report, args.min_url_lifetime)
        client.check_listing(tables)
        for t in tables:
            if t.full not in only:
                client.run_table(t)
            client.run_changes(t)
    except HarnessError as e:
        print("ERROR %s" % e, flush=True)
        print("%d passed, %d failed" % (report.passed, report.failed))
        return 2
    print("%d passed, %d failed" % (report.passed, report.failed))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
