#!/usr/bin/env python3
"""bench/cgi-startup.py: start-up of the server as a plain CGI program, as
shared hosting runs it (one process per request).

A config with TABLES tables (10 shares x 10 schemas x TABLES/100) and
RECIPIENTS recipients (default 1,000 each) is written to WORKDIR; then,
alternating run by run, RUNS times each (median wall time, fork to exit):
  ours    delta-sharing.fcgi -c CONF answering GET /shares for the last
          recipient (config parse + catalog build + authentication + the
          answer): what a shared host pays for every request
  hello   bench/cgi-hello, a CGI program that prints a fixed answer
and prints both with their ratio (the target is within 3x of hello).
The answer of ours is checked (200, the recipient's share listed).

usage: cgi-startup.py FCGI HELLO WORKDIR [TABLES] [RECIPIENTS] [RUNS]
"""
import hashlib
import os
import statistics
import subprocess
import sys
import time

FCGI, HELLO, WORK = sys.argv[1:4]
TABLES = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
RECIPIENTS = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
RUNS = int(sys.argv[6]) if len(sys.argv) > 6 else 300


def write_conf():
    os.makedirs(WORK, exist_ok=True)
    key = os.path.join(WORK, "link.key")
    with open(key, "wb") as f:
        f.write(os.urandom(32))
    os.chmod(key, 0o600)
    lines = ["endpoint = https://sharing.example.com/delta-sharing", "link-key-file = " + key, ""]
    per_schema = max(1, TABLES // 100)
    n = 0
    for s in range(10):
        lines.append("share.name = share%d" % s)
        for sc in range(10):
            lines.append("schema.name = schema%d" % sc)
            for t in range(per_schema):
                lines.append("table.name = table%d" % t)
                lines.append("table.location = file:///srv/tables/s%d/sc%d/t%d" % (s, sc, t))
                n += 1
    for r in range(RECIPIENTS):
        lines.append("recipient.name = recipient%d" % r)
        lines.append("recipient.token-sha256 = " +
                     hashlib.sha256(("token-%d" % r).encode()).hexdigest())
        lines.append("recipient.shares = share%d" % (r % 10))
    conf = os.path.join(WORK, "cgi-startup.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    return conf, n


def env():
    e = {"GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_METHOD": "GET",
         "SCRIPT_NAME": "/delta-sharing", "REQUEST_URI": "/delta-sharing/shares",
         "QUERY_STRING": "", "PATH": "/usr/bin:/bin",
         "HTTP_AUTHORIZATION": "Bearer token-%d" % (RECIPIENTS - 1)}
    if "LD_LIBRARY_PATH" in os.environ:  # libtool --mode=execute
        e["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]
    return e


def run(argv):
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env(), stdin=subprocess.DEVNULL, capture_output=True)
    return time.perf_counter() - t0, p


def main():
    conf, ntables = write_conf()
    ours_argv = [FCGI, "-c", conf]
    _, p = run(ours_argv)
    out = p.stdout.decode()
    want = '"name":"share%d"' % ((RECIPIENTS - 1) % 10)
    if not out.startswith("Status: 200") or want not in out:
        sys.exit("unexpected answer from %s:\n%s\n%s" % (FCGI, out[:500], p.stderr.decode()[:500]))
    ours, hello = [], []
    for _ in range(10):  # warm-up
        run(ours_argv)
        run([HELLO])
    for _ in range(RUNS):
        ours.append(run(ours_argv)[0])
        hello.append(run([HELLO])[0])
    mo, mh = statistics.median(ours) * 1e3, statistics.median(hello) * 1e3
    print("CGI start-up, %d tables, %d recipients, median of %d runs each (load %.2f)" % (
        ntables, RECIPIENTS, RUNS, os.getloadavg()[0]))
    print("  ours   %7.2f ms   (config %d bytes)" % (mo, os.path.getsize(conf)))
    print("  hello  %7.2f ms" % mh)
    print("  ratio  %7.2fx   (target: 3x or less)" % (mo / mh))


if __name__ == "__main__":
    main()
