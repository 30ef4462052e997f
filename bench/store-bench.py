#!/usr/bin/env python3
"""bench/store-bench.py PROGRAM CONF SEQ_CONF TOKEN FAKE_ENDPOINT TABLE...

For each table, served three ways by one config (share "local": the
fixture on disk; "s3": uploaded to s3rver; "fake": fakestore's S3 dialect
serving the same files), runs POST .../query through PROGRAM in CGI mode:
  - object-store requests of one query, by kind, as fakestore counts them;
  - median wall time of RUNS queries for each of the three, alternating
    run by run, and the store ones as a ratio to local disk;
  - then with fakestore answering 20 ms late (a store across a network):
    the default parallel reads (store.parallel = 8) next to one file after
    another (SEQ_CONF: store.parallel = 1).
Nothing is asserted; numbers go to the issue notes and bench/README.
"""
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

RUNS = int(os.environ.get("BENCH_RUNS", "21"))
prog, conf, seq_conf, token, fake = sys.argv[1:6]
tables = sys.argv[6:]


def query(share, t, cfg=None):
    path = "/shares/%s/schemas/b/tables/%s/query" % (share, t)
    body = b"{}"
    env = {"PATH": "/usr/bin:/bin", "GATEWAY_INTERFACE": "CGI/1.1",
           "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_METHOD": "POST",
           "SCRIPT_NAME": "/delta-sharing", "REQUEST_URI": "/delta-sharing" + path,
           "QUERY_STRING": "", "HTTP_AUTHORIZATION": "Bearer " + token,
           "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json",
           "DELTA_SHARING_CONF": cfg or conf,
           "HTTP_DELTA_SHARING_CAPABILITIES": "responseformat=delta;readerfeatures=deletionvectors"}
    for k in ("LD_LIBRARY_PATH",):
        if k in os.environ:
            env[k] = os.environ[k]
    t0 = time.perf_counter()
    p = subprocess.run([prog], input=body, env=env, capture_output=True)
    took = time.perf_counter() - t0
    if b"Status: 200" not in p.stdout[:200] and not p.stdout.startswith(b"Content-Type"):
        sys.exit("query %s.%s failed: %r %r" % (share, t, p.stdout[:300], p.stderr[-300:]))
    return took


def stats():
    return json.loads(urllib.request.urlopen(fake + "/__stats").read())


print("%-32s %5s %4s %4s %4s | %9s %9s %9s | %6s %6s" % (
    "table", "reqs", "list", "get", "head", "local ms", "s3rver ms", "fake ms", "s3rver", "fake"))
for t in tables:
    urllib.request.urlopen(urllib.request.Request(fake + "/__stats/reset", method="POST")).read()
    query("fake", t)
    k = stats()["kinds"]
    times = {"local": [], "s3": [], "fake": []}
    for _ in range(RUNS):
        for s in times:
            times[s].append(query(s, t))
    med = {s: statistics.median(v) * 1000 for s, v in times.items()}
    print("%-32s %5d %4d %4d %4d | %9.2f %9.2f %9.2f | %5.1fx %5.1fx" % (
        t, k["list"] + k["get"] + k["head"] + k["other"], k["list"], k["get"], k["head"],
        med["local"], med["s3"], med["fake"], med["s3"] / med["local"], med["fake"] / med["local"]))


def latency(ms):
    req = urllib.request.Request(fake + "/__latency", data=json.dumps({"ms": ms}).encode(),
                                 method="POST")
    urllib.request.urlopen(req).read()


WAN_MS = 20
print()
print("fakestore answering %d ms late, median of %d runs" % (WAN_MS, RUNS))
print("%-32s %5s | %11s %11s | %7s" % ("table", "reqs", "parallel ms", "one-by-one", "speedup"))
latency(WAN_MS)
try:
    for t in tables:
        urllib.request.urlopen(urllib.request.Request(fake + "/__stats/reset", method="POST")).read()
        query("fake", t)
        k = stats()["kinds"]
        par, seq = [], []
        for _ in range(RUNS):
            par.append(query("fake", t))
            seq.append(query("fake", t, seq_conf))
        mp, ms_ = statistics.median(par) * 1000, statistics.median(seq) * 1000
        print("%-32s %5d | %11.1f %11.1f | %6.2fx" % (
            t, k["list"] + k["get"] + k["head"] + k["other"], mp, ms_, ms_ / mp))
finally:
    latency(0)
