#!/usr/bin/env python3
"""tests/peers/fakestore.py - a small object store on loopback for tests.

Serves the files under --root as the objects of one bucket (--bucket; the
key is the file's path relative to the root, '/'-separated), path style:
    GET|HEAD /<bucket>/<key>      the object; Range: bytes=a-b, a-, -n
    GET /<bucket>?list-type=2...  ListObjectsV2 (prefix, start-after,
                                  continuation-token, max-keys, delimiter)
    GET /<bucket>?prefix=...      ListObjects V1 (marker, max-keys, delimiter)
(or virtual-hosted: Host <bucket>.anything, path /<key>)
in one of two dialects (--dialect): "s3" answers as S3 does, "gcs" as the
GCS XML API does (x-goog-* headers, GCS error bodies).  Objects are
read-only; LastModified is the file's mtime (milliseconds kept), ETag its
MD5.

Authentication (V4 signing, checked when --hmac-id or --rsa-public-key is
given; else every request is let in):
  header:  Authorization: GOOG4-HMAC-SHA256 Credential=ID/DATE/REGION/storage/
           goog4_request, SignedHeaders=..., Signature=...  with x-goog-date
           and x-goog-content-sha256; or the same with AWS4-HMAC-SHA256,
           .../s3/aws4_request, x-amz-date, x-amz-content-sha256
  query:   X-Goog-Algorithm (GOOG4-HMAC-SHA256 or GOOG4-RSA-SHA256),
           X-Goog-Credential, X-Goog-Date, X-Goog-Expires,
           X-Goog-SignedHeaders, X-Goog-Signature (or the X-Amz-* set)
Rejected with 403 and an XML error: a missing or unknown key id, a bad
signature (the body shows our canonical request and string to sign), an
expired URL, a date more than 15 minutes away from now (header auth; for a
URL, more than 15 minutes in the future).  The "s3" dialect requires
x-amz-content-sha256, as S3 does.

Control (paths under /__, never signed, never faulted, never counted):
  POST /__fault  {"kind": "status", "status": 503, "count": 2}
                 {"kind": "truncate", "count": 1}  full Content-Length, half
                                                   the body, then close
                 {"kind": "reset", "count": 1}     close (RST), no answer
                 {"kind": "slow", "seconds": 5, "count": 1}
                 {"kind": "endless-list"}          until cleared: every
                          listing page is truncated, with a fresh token, and
                          repeats the first page
                 {"kind": "clear"}
                 Faults queue in order; "count" defaults to 1.
  GET  /__stats         {"total": N, "kinds": {list, get, head, other},
                         "paths": {path: N}, "faults": N}
  POST /__stats/reset
  POST /__token  the service-account OAuth endpoint (GCS dialect; see
                 oauth_token): JWT-bearer grant in, access token out
  POST /__latency {"ms": 20}  every later answer waits that long first (a
                 store across a network, for benchmarks); {"ms": 0} ends it

Prints "READY <port>" once it listens (--port 0: any free port).
Standard library only; RSA verification uses the cryptography module when
it is importable, else `openssl dgst -sha256 -verify`.
"""

import argparse
import base64
import email.utils
import hashlib
import hmac
import json
import os
import secrets
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

OPTS = None
LOCK = threading.Lock()
FAULTS = []  # queued fault dicts
LATENCY = [0.0]  # seconds every answer waits (POST /__latency)
STATS = {}
MD5_CACHE = {}  # path -> (mtime_ns, size, hex md5)
SKEW = 15 * 60
EMPTY_SHA = hashlib.sha256(b"").hexdigest()


def reset_stats():
    STATS.clear()
    STATS.update(total=0, kinds=dict(list=0, get=0, head=0, other=0), paths={}, faults=0)


class Reply(Exception):
    """An error answer: status, code, message, extra XML elements."""

    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


# ---- objects -------------------------------------------------------------------

def all_keys():
    keys = []
    for d, _, files in os.walk(OPTS.root):
        rel = os.path.relpath(d, OPTS.root)
        for f in files:
            k = f if rel == "." else rel.replace(os.sep, "/") + "/" + f
            if os.path.isfile(os.path.join(d, f)):
                keys.append(k)
    keys.sort(key=lambda k: k.encode())  # S3 and GCS list in UTF-8 byte order
    return keys


def object_info(key):
    """(path, size, mtime_ns, md5 hex) of an object, or None."""
    if not key or any(p in ("", ".", "..") for p in key.split("/")):
        return None
    path = os.path.join(OPTS.root, *key.split("/"))
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not os.path.isfile(path):
        return None
    with LOCK:
        hit = MD5_CACHE.get(path)
    if hit and hit[:2] == (st.st_mtime_ns, st.st_size):
        md5 = hit[2]
    else:
        with open(path, "rb") as f:
            md5 = hashlib.md5(f.read()).hexdigest()
        with LOCK:
            MD5_CACHE[path] = (st.st_mtime_ns, st.st_size, md5)
    return path, st.st_size, st.st_mtime_ns, md5


def iso_ms(mtime_ns):
    ms = mtime_ns // 1_000_000
    t = datetime.fromtimestamp(ms // 1000, timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def listing(q, v2):
    prefix = q.get("prefix", "")
    delim = q.get("delimiter", "")
    try:
        max_keys = int(q.get("max-keys", "1000"))
    except ValueError:
        raise Reply(400, "InvalidArgument", "max-keys is not a number")
    if max_keys < 0:
        raise Reply(400, "InvalidArgument", "max-keys must not be negative")
    max_keys = min(max_keys, 1000)
    token = q.get("continuation-token") if v2 else None
    after = q.get("start-after", "") if v2 else q.get("marker", "")
    with LOCK:
        endless = any(f["kind"] == "endless-list" for f in FAULTS)
    if token is not None and not (endless and token.startswith("endless-")):
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode()
        except ValueError:
            raise Reply(400, "InvalidArgument", "The continuation token provided is incorrect")
    if endless:
        after = q.get("start-after", "") if v2 else ""
    items = []  # ("key", key) or ("prefix", common prefix)
    truncated = False
    for k in all_keys():
        if not k.startswith(prefix) or k.encode() <= after.encode():
            continue
        if delim and after.endswith(delim) and k.startswith(after):
            continue  # inside the common prefix the last page ended with
        item = ("key", k)
        if delim:
            i = k.find(delim, len(prefix))
            if i >= 0:
                item = ("prefix", k[: i + len(delim)])
                if items and items[-1] == item:
                    continue
        if len(items) == max_keys:
            truncated = True
            break
        items.append(item)
    next_token = items[-1][1] if truncated and items else None
    if endless:
        truncated = True
        next_token = "endless-" + secrets.token_hex(8)
    return prefix, delim, max_keys, items, truncated, next_token


def list_xml(q, v2):
    prefix, delim, max_keys, items, truncated, nxt = listing(q, v2)
    x = ['<?xml version="1.0" encoding="UTF-8"?>\n'
         '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">']
    x.append("<Name>%s</Name><Prefix>%s</Prefix>" % (escape(OPTS.bucket), escape(prefix)))
    if v2:
        if "continuation-token" in q:
            x.append("<ContinuationToken>%s</ContinuationToken>" % escape(q["continuation-token"]))
        if "start-after" in q:
            x.append("<StartAfter>%s</StartAfter>" % escape(q["start-after"]))
        x.append("<KeyCount>%d</KeyCount>" % len(items))
    else:
        x.append("<Marker>%s</Marker>" % escape(q.get("marker", "")))
    x.append("<MaxKeys>%d</MaxKeys>" % max_keys)
    if delim:
        x.append("<Delimiter>%s</Delimiter>" % escape(delim))
    x.append("<IsTruncated>%s</IsTruncated>" % ("true" if truncated else "false"))
    if nxt is not None:
        if v2:
            tok = nxt if nxt.startswith("endless-") else \
                base64.urlsafe_b64encode(nxt.encode()).decode()
            x.append("<NextContinuationToken>%s</NextContinuationToken>" % escape(tok))
        else:
            x.append("<NextMarker>%s</NextMarker>" % escape(nxt))
    for kind, name in items:
        if kind == "prefix":
            continue
        info = object_info(name)
        if info is None:
            continue  # removed while listing
        _, size, mtime_ns, md5 = info
        x.append("<Contents><Key>%s</Key>" % escape(name))
        if OPTS.dialect == "gcs":
            x.append("<Generation>%d</Generation><MetaGeneration>1</MetaGeneration>"
                     % (mtime_ns // 1000))
        x.append("<LastModified>%s</LastModified><ETag>&quot;%s&quot;</ETag><Size>%d</Size>"
                 "<StorageClass>STANDARD</StorageClass></Contents>" % (iso_ms(mtime_ns), md5, size))
    for kind, name in items:
        if kind == "prefix":
            x.append("<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % escape(name))
    x.append("</ListBucketResult>")
    return "".join(x).encode()


# ---- V4 signatures ---------------------------------------------------------------

def uri_encode(s, keep_slash):
    return urllib.parse.quote(s, safe="-_.~" + ("/" if keep_slash else ""))


def hmac256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def rsa_verify(message, sig_hex):
    try:
        sig = bytes.fromhex(sig_hex)
    except ValueError:
        return False
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
    except ImportError:
        with tempfile.TemporaryDirectory() as d:
            sf, mf = os.path.join(d, "sig"), os.path.join(d, "msg")
            with open(sf, "wb") as f:
                f.write(sig)
            with open(mf, "wb") as f:
                f.write(message.encode())
            r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", OPTS.rsa_public_key,
                                "-signature", sf, mf], capture_output=True)
            return r.returncode == 0
    with open(OPTS.rsa_public_key, "rb") as f:
        pub = serialization.load_pem_public_key(f.read())
    try:
        pub.verify(sig, message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return True
    except Exception:
        return False


# ---- OAuth 2.0 for service accounts (GCS dialect) ---------------------------
# POST /__token takes the JWT-bearer grant Google documents for service
# accounts: grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and an
# assertion, a JWT signed RS256 by the account's key (checked against
# --rsa-public-key) whose iss is --rsa-email, aud this token URL
# (http://HOST/__token), scope one
# of the storage scopes, and iat/exp a window of at most one hour around
# now.  It answers {"access_token", "expires_in", "token_type"}; requests
# then carry Authorization: Bearer <token>.

TOKENS = {}  # access token -> expiry (epoch seconds)


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def oauth_token(h, body):
    form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
    if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
        return 400, {"error": "unsupported_grant_type"}
    parts = form.get("assertion", "").split(".")
    if len(parts) != 3 or not OPTS.rsa_public_key:
        return 400, {"error": "invalid_grant", "error_description": "not a JWT"}
    try:
        head = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        sig = b64url_decode(parts[2])
    except ValueError:
        return 400, {"error": "invalid_grant", "error_description": "malformed JWT"}
    if head.get("alg") != "RS256" or not rsa_verify(parts[0] + "." + parts[1], sig.hex()):
        return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    now = time.time()
    aud = "http://%s/__token" % h.headers.get("Host", "")
    scopes = claims.get("scope", "").split()
    if (claims.get("iss") != OPTS.rsa_email or claims.get("aud") != aud or
            not any(s.startswith("https://www.googleapis.com/auth/devstorage") for s in scopes)):
        return 400, {"error": "invalid_grant", "error_description": "bad iss, aud or scope"}
    iat, exp = claims.get("iat", 0), claims.get("exp", 0)
    if not (iat - 300 <= now <= exp + 300) or exp - iat > 3600:
        return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: expired or too long"}
    token = "ya29.fake-" + secrets.token_urlsafe(24)
    with LOCK:
        TOKENS[token] = now + 3600
    return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}


def check_auth(h, path, query_pairs, body):
    """Raises Reply unless the request carries a valid V4 signature (or,
    in the GCS dialect, a bearer token this store issued)."""
    if not OPTS.hmac_id and not OPTS.rsa_public_key:
        return
    lowq = {k.lower(): v for k, v in query_pairs}
    auth = h.headers.get("Authorization")
    if auth and auth.startswith("Bearer ") and OPTS.dialect == "gcs":
        with LOCK:
            exp = TOKENS.get(auth[7:].strip())
        if exp is None or exp < time.time():
            raise Reply(401, "AuthenticationRequired", "Invalid or expired access token.")
        return
    if auth:
        algo, _, rest = auth.strip().partition(" ")
        fields = {}
        for part in rest.split(","):
            k, _, v = part.strip().partition("=")
            fields[k] = v
        cred, signed, sig = fields.get("Credential"), fields.get("SignedHeaders"), fields.get("Signature")
        amz = algo.startswith("AWS4")
        date = h.headers.get("x-amz-date" if amz else "x-goog-date")
        payload = h.headers.get("x-amz-content-sha256" if amz else "x-goog-content-sha256")
        if payload is None:
            if OPTS.dialect == "s3":
                raise Reply(400, "InvalidRequest", "Missing required header for this request: "
                            "x-amz-content-sha256")
            payload = "UNSIGNED-PAYLOAD"
        if payload != "UNSIGNED-PAYLOAD" and payload != hashlib.sha256(body).hexdigest():
            raise Reply(400, "XAmzContentSHA256Mismatch" if amz else "InvalidArgument",
                        "The provided content SHA-256 does not match what was received.")
        expires = None
        unsigned = query_pairs
    elif "x-goog-signature" in lowq or "x-amz-signature" in lowq:
        amz = "x-amz-signature" in lowq
        p = "x-amz-" if amz else "x-goog-"
        algo, cred = lowq.get(p + "algorithm", ""), lowq.get(p + "credential")
        signed, sig, date = lowq.get(p + "signedheaders"), lowq.get(p + "signature"), lowq.get(p + "date")
        expires = lowq.get(p + "expires")
        payload = lowq.get(p + "content-sha256", "UNSIGNED-PAYLOAD")
        unsigned = [(k, v) for k, v in query_pairs if k.lower() != p + "signature"]
        if expires is None or not expires.isdigit() or not 1 <= int(expires) <= 604800:
            raise Reply(400, "AuthorizationQueryParametersError" if amz else "InvalidArgument",
                        "X-Goog-Expires must be between 1 and 604800 seconds.")
    else:
        raise Reply(403, "AccessDenied", "Access denied. Anonymous caller does not have "
                    "storage.objects.get access.")
    wanted = {"AWS4-HMAC-SHA256": ("s3", "aws4_request"),
              "GOOG4-HMAC-SHA256": ("storage", "goog4_request"),
              "GOOG4-RSA-SHA256": ("storage", "goog4_request")}
    if algo not in wanted or not cred or not signed or not sig or not date:
        raise Reply(400, "AuthorizationHeaderMalformed" if amz else "InvalidArgument",
                    "Malformed signature: algorithm, credential, signed headers, signature "
                    "and date are all required.")
    cparts = cred.rsplit("/", 4)
    if len(cparts) != 5 or cparts[3:] != list(wanted[algo]) or not date.startswith(cparts[1]):
        raise Reply(400, "AuthorizationHeaderMalformed" if amz else "InvalidArgument",
                    "Malformed credential scope: %s" % cred)
    key_id = cparts[0]
    if algo.endswith("RSA-SHA256"):
        if not OPTS.rsa_public_key or key_id != OPTS.rsa_email:
            raise Reply(403, "InvalidAccessKeyId", "The service account %s is unknown." % key_id)
    elif not OPTS.hmac_id or key_id != OPTS.hmac_id:
        raise Reply(403, "InvalidAccessKeyId", "The access key id %s does not exist." % key_id)
    try:
        t = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise Reply(400, "InvalidArgument", "Malformed date %s" % date)
    now = OPTS.now or time.time()
    if expires is None and abs(now - t) > SKEW:
        raise Reply(403, "RequestTimeTooSkewed", "The difference between the request time "
                    "and the server's time is too large.")
    if expires is not None and t > now + SKEW:
        raise Reply(403, "AccessDenied", "Request is not valid yet (its date is in the future).")
    if expires is not None and t + int(expires) < now:
        raise Reply(403, "ExpiredToken" if OPTS.dialect == "gcs" else "AccessDenied",
                    "Request has expired (the signature expired at %s)."
                    % datetime.fromtimestamp(t + int(expires), timezone.utc).isoformat())
    names = signed.split(";")
    if "host" not in names:
        raise Reply(400, "InvalidArgument", "The host header must be signed.")
    headers = []
    for n in names:
        vals = h.headers.get_all(n)
        if vals is None:
            raise Reply(403, "SignatureDoesNotMatch", "Signed header %s is missing." % n)
        headers.append("%s:%s\n" % (n, ",".join(" ".join(v.split()) for v in vals)))
    enc = sorted((uri_encode(k, False), uri_encode(v, False)) for k, v in unsigned)
    canonical = "\n".join([
        h.command,
        uri_encode(path, True),
        "&".join("%s=%s" % kv for kv in enc),
        "".join(headers),
        signed,
        payload,
    ])
    sts = "\n".join([algo, date, "/".join(cparts[1:]),
                     hashlib.sha256(canonical.encode()).hexdigest()])
    if algo.endswith("RSA-SHA256"):
        good = rsa_verify(sts, sig)
    else:
        k = (b"AWS4" if algo.startswith("AWS4") else b"GOOG4") + OPTS.hmac_secret.encode()
        for part in cparts[1:]:
            k = hmac256(k, part)
        good = hmac.compare_digest(hmac.new(k, sts.encode(), hashlib.sha256).hexdigest(), sig.lower())
    if not good:
        raise Reply(403, "SignatureDoesNotMatch", "The request signature we calculated does not "
                    "match the signature you provided.",
                    StringToSign=sts, CanonicalRequest=canonical)


# ---- HTTP --------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakestore"
    # headers and body go out in separate writes: without TCP_NODELAY each
    # answer waits out the client's delayed ACK (40 ms)
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        if OPTS.verbose:
            sys.stderr.write("fakestore: %s\n" % (fmt % args))

    def do_GET(self):
        self.handle_any()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, body, headers=(), length=None, cut=False):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        if cut:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body[: len(body) // 2] if cut else body)
        if cut:
            self.wfile.flush()
            self.close_connection = True

    def error_body(self, e):
        x = "<?xml version='1.0' encoding='UTF-8'?><Error><Code>%s</Code><Message>%s</Message>" % (
            escape(e.code), escape(e.message))
        for k, v in e.extra.items():
            x += "<%s>%s</%s>" % (k, escape(v), k)
        if OPTS.dialect == "s3":
            x += "<RequestId>%s</RequestId>" % secrets.token_hex(8).upper()
        return (x + "</Error>").encode()

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/__"):
            return self.control(url.path)
        body = self.read_body()
        path = urllib.parse.unquote(url.path)
        pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        q = dict(pairs)
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host.startswith(OPTS.bucket + "."):  # virtual-hosted: <bucket>.<service host>
            bucket, key = OPTS.bucket, path.lstrip("/")
        else:
            bucket, _, key = path.lstrip("/").partition("/")
        if self.command == "GET" and bucket and not key:
            kind = "list"
        elif self.command in ("GET", "HEAD") and key:
            kind = self.command.lower()
        else:
            kind = "other"
        with LOCK:
            STATS["total"] += 1
            STATS["kinds"][kind] += 1
            STATS["paths"][url.path] = STATS["paths"].get(url.path, 0) + 1
            fault = next((f for f in FAULTS if f["kind"] != "endless-list"), None)
            if fault:
                STATS["faults"] += 1
                fault["count"] -= 1
                if fault["count"] <= 0:
                    FAULTS.remove(fault)
        if LATENCY[0]:
            time.sleep(LATENCY[0])
        cut = False
        if fault and fault["kind"] == "slow":
            time.sleep(float(fault.get("seconds", 1)))
        elif fault and fault["kind"] == "reset":
            # linger 0: close() sends RST; Server.shutdown_request skips the FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.server.to_reset.add(self.connection)
            self.close_connection = True
            return
        elif fault and fault["kind"] == "truncate":
            cut = True
        try:
            if fault and fault["kind"] == "status":
                st = int(fault.get("status", 503))
                codes = {500: "InternalError", 503: "SlowDown" if OPTS.dialect == "s3"
                         else "ServiceUnavailable", 429: "TooManyRequests", 403: "AccessDenied",
                         404: "NoSuchKey", 400: "InvalidRequest"}
                raise Reply(st, fault.get("code", codes.get(st, "InternalError")),
                            "Injected fault: status %d" % st)
            check_auth(self, path, pairs, body)
            if bucket != OPTS.bucket:
                raise Reply(404, "NoSuchBucket", "The specified bucket does not exist.")
            if kind == "list":
                self.send(200, list_xml(q, q.get("list-type") == "2"),
                          [("Content-Type", "application/xml")], cut=cut)
            elif kind in ("get", "head"):
                self.send_object(key, cut)
            else:
                raise Reply(501, "NotImplemented", "This store is read-only.")
        except Reply as e:
            hdrs = [("Content-Type", "application/xml")]
            if e.status == 416:
                hdrs.append(("Content-Range", "bytes */%s" % e.extra.pop("_size", "*")))
            b = self.error_body(e)
            self.send(e.status, b, hdrs, cut=cut)

    def send_object(self, key, cut):
        info = object_info(key)
        if info is None:
            raise Reply(404, "NoSuchKey", "The specified key does not exist.", Key=key)
        path, size, mtime_ns, md5 = info
        hdrs = [("Content-Type", "application/octet-stream"), ("Accept-Ranges", "bytes"),
                ("ETag", '"%s"' % md5),
                ("Last-Modified", email.utils.formatdate(mtime_ns / 1e9, usegmt=True))]
        if OPTS.dialect == "gcs":
            hdrs += [("x-goog-generation", str(mtime_ns // 1000)), ("x-goog-metageneration", "1"),
                     ("x-goog-stored-content-length", str(size)),
                     ("x-goog-hash", "md5=" + base64.b64encode(bytes.fromhex(md5)).decode())]
        status, lo, hi = 200, 0, size - 1
        rng = self.headers.get("Range", "")
        if rng.startswith("bytes=") and "," not in rng:
            a, dash, b = rng[6:].strip().partition("-")
            if dash and (a.isdigit() or b.isdigit()) and (not a or a.isdigit()) \
                    and (not b or b.isdigit()):
                if not a:  # suffix: the last b bytes
                    lo, hi = max(0, size - int(b)), size - 1
                    if int(b) == 0:
                        raise Reply(416, "InvalidRange", "The requested range is not satisfiable",
                                    _size=size)
                else:
                    lo, hi = int(a), min(int(b), size - 1) if b else size - 1
                    if lo >= size or (b and int(b) < lo):
                        raise Reply(416, "InvalidRange", "The requested range is not satisfiable",
                                    _size=size)
                status = 206
                hdrs.append(("Content-Range", "bytes %d-%d/%d" % (lo, hi, size)))
        with open(path, "rb") as f:
            f.seek(lo)
            data = f.read(hi - lo + 1) if size else b""
        self.send(status, data, hdrs, length=len(data), cut=cut)

    def control(self, path):
        body = self.read_body()
        if path == "/__fault" and self.command == "POST":
            try:
                f = json.loads(body or b"{}")
                kind = f["kind"]
                if kind not in ("status", "truncate", "reset", "slow", "endless-list", "clear"):
                    raise ValueError("unknown kind %s" % kind)
                f["count"] = int(f.get("count", 1))
            except (ValueError, KeyError, TypeError) as e:
                return self.send(400, json.dumps({"error": str(e)}).encode(),
                                 [("Content-Type", "application/json")])
            with LOCK:
                if kind == "clear":
                    FAULTS.clear()
                else:
                    FAULTS.append(f)
                out = json.dumps({"faults": FAULTS}).encode()
            return self.send(200, out, [("Content-Type", "application/json")])
        if path == "/__token" and self.command == "POST":
            status, out = oauth_token(self, body)
            return self.send(status, json.dumps(out).encode(), [("Content-Type", "application/json")])
        if path == "/__latency" and self.command == "POST":
            # every answer waits this long first, as a store across a
            # network would (for benchmarks); 0 turns it off
            try:
                ms = float(json.loads(body or b"{}")["ms"])
            except (ValueError, KeyError, TypeError) as e:
                return self.send(400, json.dumps({"error": str(e)}).encode(),
                                 [("Content-Type", "application/json")])
            LATENCY[0] = max(0.0, ms) / 1000.0
            return self.send(200, b"{}", [("Content-Type", "application/json")])
        if path == "/__stats" and self.command == "GET":
            with LOCK:
                out = json.dumps(STATS, sort_keys=True).encode()
            return self.send(200, out, [("Content-Type", "application/json")])
        if path == "/__stats/reset" and self.command == "POST":
            with LOCK:
                reset_stats()
            return self.send(200, b"{}", [("Content-Type", "application/json")])
        self.send(404, b'{"error": "no such control path"}', [("Content-Type", "application/json")])


class Server(ThreadingHTTPServer):
    daemon_threads = True
    to_reset = set()

    def shutdown_request(self, request):
        if request in self.to_reset:
            self.to_reset.discard(request)
            request.close()
        else:
            super().shutdown_request(request)


def main():
    global OPTS
    ap = argparse.ArgumentParser(description="A small S3 / GCS XML object store for tests.")
    ap.add_argument("--dialect", choices=("s3", "gcs"), required=True)
    ap.add_argument("--root", required=True, help="directory served as the bucket's objects")
    ap.add_argument("--bucket", default="fixtures")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--hmac-id", default="")
    ap.add_argument("--hmac-secret", default="")
    ap.add_argument("--rsa-public-key", default="", help="PEM file for GOOG4-RSA-SHA256")
    ap.add_argument("--rsa-email", default="", help="the key id RSA credentials must name")
    ap.add_argument("--now", type=float, default=0,
                    help="a fixed clock (epoch seconds) for date checks, to replay old signatures")
    ap.add_argument("--verbose", action="store_true", help="log each request to stderr")
    OPTS = ap.parse_args()
    OPTS.root = os.path.abspath(OPTS.root)
    reset_stats()
    srv = Server(("127.0.0.1", OPTS.port), Handler)
    print("READY %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
