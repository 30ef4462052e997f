#!/usr/bin/env python3
"""bench/http-bench.py: the server's HTTP cost, through a real nginx on loopback.

Starts, as an ordinary user or as root, its own nginx (the shipped sample
etc/nginx/delta-sharing.conf with only the listen and fastcgi_pass lines
replaced) with two servers on two free 127.0.0.1 ports: one in front of
a spawn-fcgi pool of delta-sharing.fcgi, one in front of an equal pool of
bench/fcgi-hello (a responder that answers {"items":[]} to everything).
The table is the 300,000-file JSON-commit table from
../shared/fixtures/perf.  Measures, in one run:

  (a) replay    delta-sharing-admin snapshot -n file://TABLE  (median of RUNS)
  (b) query     POST .../tables/big/query with body {} through nginx, the
                whole streamed answer read and its bytes and lines counted
                (median of RUNS); overhead = (b)/(a) - 1
  (c) RSS       peak RSS (VmHWM) of the FastCGI workers across the queries
  (d) rps       wrk on GET /shares, HEAD .../tables/big (the older version
                form) and GET .../tables/big/version, each next to the hello
                pool on the same path; ratio = ours / hello

Prints a table and writes BENCH_DIR/http-bench.json.  Nothing is asserted:
it is a benchmark.  Every process it starts is stopped at the end, on
failure and on SIGINT/SIGTERM too.  Run "http-bench.py -h" for the options.
"""
import argparse
import ctypes
import datetime
import grp
import hashlib
import http.client
import json
import os
import platform
import pwd
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE_NAME = "300k-add-files-100-col-partitioned"
SHARE, SCHEMA, TABLE = "bench", "default", "big"
MOUNT = "/delta-sharing"  # the sample's location
PR_SET_CHILD_SUBREAPER = 36


class BenchError(Exception):
    """A problem that stops the run (with a message for the user)."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- finding programs ------------------------------------------------------

def find_prog(name, hint):
    """NAME on PATH or in the sbin directories an ordinary PATH may lack."""
    path = os.environ.get("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin"
    found = shutil.which(name, path=path)
    if not found:
        raise BenchError("%s not found (looked in PATH and the sbin directories); %s" % (name, hint))
    return found


def resolve_libtool(path):
    """A libtool wrapper script (an uninstalled program linked against the
    uninstalled library) gives the real binary and the library directory it
    needs.  Anything else is returned as it is.  Running the real binary
    keeps a shell start-up out of every timing and lets the worker pids be
    the server's own."""
    path = os.path.abspath(path)
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as e:
        raise BenchError("cannot read %s: %s" % (path, e.strerror))
    if not head.startswith(b"#!") or b"temporary wrapper script for" not in head:
        return path, None
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    m = re.search(r"^\s*program=(\S+)$", text, re.M)  # 'NAME', or lt-'NAME' (relinked)
    libdir = re.search(r'^\s*LD_LIBRARY_PATH="([^"$]*):\$LD_LIBRARY_PATH"', text, re.M)
    if not m:
        raise BenchError("%s looks like a libtool wrapper but names no program" % path)
    real = os.path.join(os.path.dirname(path), ".libs", m.group(1).replace("'", ""))
    if not os.access(real, os.X_OK):
        raise BenchError("%s: the real program %s is missing (run make; or run the program "
                         "once, which relinks it; or use make bench-http)" % (path, real))
    return real, (libdir.group(1) if libdir else None)


def prog_env(libdirs):
    env = dict(os.environ)
    dirs = [d for d in libdirs if d]
    if dirs:
        old = env.get("LD_LIBRARY_PATH")
        env["LD_LIBRARY_PATH"] = ":".join(dirs + ([old] if old else []))
    return env


def tool_version(argv):
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
        return p.stdout.decode(errors="replace").strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


# ---- processes: started, tracked, always stopped ------------------------------

def proc_stat(pid):
    """(state, ppid, starttime) of PID, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[19])


def alive(pid, start=None):
    """PID runs (a zombie counts as gone), and is the process we started."""
    st = proc_stat(pid)
    if st is None or st[0] in ("Z", "X"):
        return False
    return start is None or st[2] == start


def cpu_seconds(pids):
    """User + system cpu time of PIDS so far, in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                s = f.read()
        except OSError:
            continue
        rest = s[s.rindex(")") + 2:].split()
        total += int(rest[11]) + int(rest[12])
    return total / tick


def children_of(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st and st[1] == pid and st[0] not in ("Z", "X"):
                out.append(int(d))
    return out


class Procs:
    """Every process we start, with its start time so that a recycled pid is
    never signalled; stop_all() ends them (TERM, then KILL) and everything
    that descends from them or from us."""

    def __init__(self):
        self.tracked = []  # (pid, starttime, label)
        self.subreaper = False
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            # orphans (spawn-fcgi's children, nginx workers of a killed
            # master) become our children: we can find and reap them
            self.subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        except (OSError, AttributeError):
            pass

    def track(self, pid, label):
        st = proc_stat(pid)
        if st is not None:
            self.tracked.append((pid, st[2], label))

    def reap(self):
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    def stop(self, pids, sig=signal.SIGTERM, wait=5.0):
        """Signal each (pid, start) that still runs, wait, then SIGKILL."""
        live = [(p, s) for p, s in pids if alive(p, s)]
        for p, s in live:
            try:
                os.kill(p, sig)
            except OSError:
                pass
        end = time.monotonic() + wait
        while time.monotonic() < end:
            self.reap()
            live = [(p, s) for p, s in live if alive(p, s)]
            if not live:
                return True
            time.sleep(0.05)
        for p, _ in live:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.2)
        self.reap()
        return False

    def stop_all(self):
        pids = []
        for pid, start, _ in self.tracked:
            if alive(pid, start):
                pids.append((pid, start))
                pids += [(c, proc_stat(c)[2]) for c in children_of(pid) if proc_stat(c)]
        if self.subreaper:
            pids += [(c, proc_stat(c)[2]) for c in children_of(os.getpid()) if proc_stat(c)]
        ok = self.stop(list(dict.fromkeys(pids)))
        left = [p for p, s in pids if alive(p, s)]
        if left:
            log("WARNING: processes %s survived SIGKILL" % left)
        self.tracked = []
        return ok


# ---- the fixture table -----------------------------------------------------------

def prepare_table(bench_dir, shared):
    """Extract the 300k table into BENCH_DIR once (atomically: into a temp
    dir, then renamed), reuse it afterwards."""
    table = os.path.join(bench_dir, TABLE_NAME)
    if os.path.isdir(os.path.join(table, "_delta_log")):
        return table
    arc = os.path.join(shared, "fixtures", "perf", TABLE_NAME + ".tar.zst")
    if not os.path.isfile(arc):
        raise BenchError("%s not found (set DS_SHARED to the shared directory)" % arc)
    for tool, pkg in (("tar", "tar"), ("zstd", "zstd")):
        find_prog(tool, "install the Debian package %s" % pkg)
    tmp = tempfile.mkdtemp(prefix=".extract.", dir=bench_dir)
    try:
        log("extracting %s into %s" % (os.path.basename(arc), bench_dir))
        subprocess.check_call(["tar", "-I", "zstd", "-xf", arc, "-C", tmp])
        os.rename(os.path.join(tmp, TABLE_NAME), table)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return table


# ---- HTTP clients ------------------------------------------------------------------

def http_request(port, method, path, token=None, body=None, timeout=30):
    """One request; (status, headers dict with lower-case names, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        h = {}
        if token:
            h["Authorization"] = "Bearer " + token
        if body is not None:
            h["Content-Type"] = "application/json; charset=utf-8"
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def stream_request(port, path, token, body, bufsize=1 << 20):
    """POST PATH and read the whole answer as it streams, on a raw socket
    (http.client parses chunked bodies a few KB at a time in Python, slow
    enough to show up in a 1 GB answer).  Returns a dict: status, headers,
    ttfb and total seconds, body bytes, lines, the first two lines."""
    req = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
           "Content-Type: application/json; charset=utf-8\r\nContent-Length: %d\r\n"
           "Connection: close\r\n\r\n" % (path, port, token, len(body))).encode() + body
    buf = bytearray(bufsize)
    mv = memoryview(buf)
    s = socket.create_connection(("127.0.0.1", port), timeout=600)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t0 = time.perf_counter()
        s.sendall(req)
        head = bytearray()
        ttfb = None
        while True:  # the header block
            n = s.recv_into(mv)
            if n == 0:
                raise BenchError("connection closed before the response headers")
            if ttfb is None:
                ttfb = time.perf_counter() - t0
            head += mv[:n]
            end = head.find(b"\r\n\r\n")
            if end >= 0:
                break
        lines_ = head[:end].decode("latin-1").split("\r\n")
        status = int(lines_[0].split()[1])
        headers = {}
        for l in lines_[1:]:
            k, _, v = l.partition(":")
            headers[k.strip().lower()] = v.strip()
        rest = bytes(head[end + 4:])
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        clen = int(headers["content-length"]) if "content-length" in headers else None
        st = {"nbytes": 0, "lines": 0, "first": bytearray()}

        def data(b, i, j):  # body bytes buf[i:j]
            st["nbytes"] += j - i
            st["lines"] += b.count(b"\n", i, j)
            if len(st["first"]) < 65536:
                st["first"] += b[i:min(j, i + 65536)]

        # chunked decoding, state machine over whatever recv returns
        state, remaining, pending = "size", 0, bytearray()

        def feed(b, i, n):
            nonlocal state, remaining
            while i < n and state != "done":
                if state == "data":
                    take = min(remaining, n - i)
                    data(b, i, i + take)
                    remaining -= take
                    i += take
                    if remaining == 0:
                        state, remaining = "crlf", 2
                elif state == "crlf":
                    take = min(remaining, n - i)
                    remaining -= take
                    i += take
                    if remaining == 0:
                        state = "size"
                else:  # "size": hex digits [;ext] CRLF
                    j = b.find(b"\n", i, n)
                    if j < 0:
                        pending.extend(b[i:n])
                        return
                    line = bytes(pending) + bytes(b[i:j])
                    pending.clear()
                    i = j + 1
                    size = int(line.split(b";")[0].strip(), 16)
                    if size == 0:
                        state = "done"
                    else:
                        state, remaining = "data", size

        def consume(b, i, n):
            if chunked:
                feed(b, i, n)
            else:
                data(b, i, n)

        consume(rest, 0, len(rest))
        while not (chunked and state == "done") and not (clen is not None and st["nbytes"] >= clen):
            n = s.recv_into(mv)
            if n == 0:
                break
            consume(buf, 0, n)
        total = time.perf_counter() - t0
    finally:
        s.close()
    if chunked and state != "done":
        raise BenchError("the chunked answer ended early, after %d bytes" % st["nbytes"])
    if clen is not None and st["nbytes"] != clen:
        raise BenchError("Content-Length %d but %d bytes" % (clen, st["nbytes"]))
    first = bytes(st["first"]).split(b"\n")[:2]
    return {"status": status, "headers": headers, "ttfb": ttfb, "total": total,
            "bytes": st["nbytes"], "lines": st["lines"],
            "first": [l[:200].decode("utf-8", "replace") for l in first]}


# ---- wrk ------------------------------------------------------------------------------------

UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(s):
    m = re.match(r"([\d.]+)(us|ms|s|m|h)$", s)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def run_wrk(wrk, url, token, method, seconds, threads, conns, run_dir):
    argv = [wrk, "-t%d" % threads, "-c%d" % conns, "-d%ds" % seconds, "--latency",
            "--timeout", "10s", "-H", "Authorization: Bearer " + token]
    if method != "GET":
        script = os.path.join(run_dir, "wrk-%s.lua" % method.lower())
        with open(script, "w") as f:
            f.write('wrk.method = "%s"\n' % method)
        argv += ["-s", script]
    p = subprocess.run(argv + [url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=seconds + 60)
    out = p.stdout.decode(errors="replace")
    if p.returncode != 0:
        raise BenchError("wrk failed (%d): %s" % (p.returncode, out.strip()[-500:]))
    res = {"requests": None, "rps": None, "p50": None, "p99": None, "non2xx": 0, "socket_errors": 0}
    m = re.search(r"^\s*(\d+) requests in", out, re.M)
    if m:
        res["requests"] = int(m.group(1))
    m = re.search(r"^Requests/sec:\s*([\d.]+)", out, re.M)
    if m:
        res["rps"] = float(m.group(1))
    for q in ("50", "99"):
        m = re.search(r"^\s*%s(?:\.000)?%%\s+(\S+)" % q, out, re.M)
        if m:
            res["p" + q] = parse_duration(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["socket_errors"] = sum(int(x) for x in m.groups())
    if res["rps"] is None:
        raise BenchError("cannot read wrk's output:\n" + out)
    return res


# ---- the bench itself -----------------------------------------------------------------------

class Bench:
    def __init__(self, a):
        self.a = a
        self.procs = Procs()
        self.results = {}

    # -- set-up --

    def setup(self):
        a = self.a
        self.load_start = os.getloadavg()
        if self.load_start[0] > 0.5:
            log("NOTE: load average %.2f before the start: something else is running, "
                "expect noisy numbers" % self.load_start[0])
        self.nginx = find_prog("nginx", "install the Debian package nginx (its default site "
                                        "is not used: this bench runs its own nginx.conf)")
        self.spawn = find_prog("spawn-fcgi", "install the Debian package spawn-fcgi")
        self.wrk = None
        if not a.no_wrk:
            try:
                self.wrk = find_prog("wrk", "install the Debian package wrk")
            except BenchError as e:
                if a.install_wrk and os.geteuid() == 0:
                    log("wrk missing: apt-get install -y wrk")
                    r = subprocess.run(["apt-get", "install", "-y", "wrk"],
                                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
                    if r.returncode == 0:
                        self.wrk = find_prog("wrk", "apt-get install wrk failed")
                if not self.wrk:
                    log("NOTE: %s; the requests/s part (d) is skipped "
                        "(--install-wrk installs it with apt-get when run as root)" % e)
        for what, path, hint in (
                ("the server", a.fcgi, "run make, or give --fcgi PATH/delta-sharing.fcgi"),
                ("delta-sharing-admin", a.admin, "run make, or give --admin PATH"),
                ("fcgi-hello", a.hello, "run \"make bench/fcgi-hello\" (or cc -O2 -o fcgi-hello "
                                        "bench/fcgi-hello.c -lfcgi), or give --hello PATH")):
            if not os.path.isfile(path) or not os.access(path, os.X_OK):
                raise BenchError("%s not found at %s: %s" % (what, path, hint))
        self.fcgi, fcgi_lib = resolve_libtool(a.fcgi)
        self.admin, admin_lib = resolve_libtool(a.admin)
        self.hello, _ = resolve_libtool(a.hello)
        self.fcgi_env = prog_env([fcgi_lib])
        self.admin_env = prog_env([admin_lib])
        if not os.path.isfile(a.site):
            raise BenchError("nginx sample config %s not found (--site)" % a.site)
        os.makedirs(a.bench_dir, exist_ok=True)

        # the run's state: configs, sockets, pid files, logs (rebuilt each run)
        run = os.path.join(a.bench_dir, "http-run")
        shutil.rmtree(run, ignore_errors=True)
        os.makedirs(run)
        self.run = run
        if len(os.path.join(run, "hello.sock")) > 100:
            raise BenchError("%s is too long a path for a unix socket: use a shorter --bench-dir" % run)

        # As root, nginx's workers run as nobody (as in a deployment: never
        # root); the sockets are given to them, and the directory must let
        # them reach the sockets.  The FastCGI pools stay who we are: the
        # table need not be readable by nobody.
        self.worker_user = self.worker_group = None
        if os.geteuid() == 0:
            self.worker_user = "nobody"
            try:
                pw = pwd.getpwnam("nobody")
            except KeyError:
                raise BenchError("running as root, but there is no user nobody for nginx's workers")
            self.worker_group = grp.getgrgid(pw.pw_gid).gr_name
            os.chmod(run, 0o711)
            d = run
            while d != "/":
                d = os.path.dirname(d)
                st = os.stat(d)
                if not (st.st_mode & 0o001 or st.st_uid == pw.pw_uid):
                    raise BenchError("nginx's workers (user nobody) cannot reach sockets under %s: "
                                     "choose a --bench-dir whose parents are searchable (o+x), "
                                     "e.g. under /tmp" % d)

        self.table = prepare_table(a.bench_dir, a.shared)
        self.location = "file://" + self.table

        # the link key, the token, the config
        key = os.path.join(run, "link.key")
        self.check_call([self.admin, "keygen", "-o", key], self.admin_env)
        self.token = "bench-" + secrets.token_hex(16)
        p = subprocess.run([self.admin, "hash"], input=self.token.encode(), env=self.admin_env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = p.stdout.decode().strip()
        want = hashlib.sha256(self.token.encode()).hexdigest()
        if p.returncode != 0 or line != "recipient.token-sha256 = " + want:
            raise BenchError("delta-sharing-admin hash printed %r (want the sha256 %s): %s"
                             % (line, want, p.stderr.decode()))
        self.hash_line = line

    def check_call(self, argv, env):
        p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            raise BenchError("%s failed (%d):\n%s" % (" ".join(argv), p.returncode,
                                                     p.stdout.decode(errors="replace")[-2000:]))
        return p.stdout.decode(errors="replace")

    def write_conf(self, port):
        self.conf = os.path.join(self.run, "ds.conf")
        self.reqlog = os.path.join(self.run, "ds-requests.log")
        with open(self.conf, "w") as f:
            f.write("# written by bench/http-bench.py\n"
                    "endpoint = http://127.0.0.1:%d%s\n"
                    "link-key-file = %s\n"
                    "log-requests = %s\n"
                    "log-file = %s\n\n"
                    "share.name = %s\nschema.name = %s\n"
                    "table.name = %s\ntable.location = %s\n\n"
                    "recipient.name = bench\n%s\nrecipient.shares = %s\n"
                    % (port, MOUNT, os.path.join(self.run, "link.key"),
                       "false" if self.a.no_log_requests else "true", self.reqlog,
                       SHARE, SCHEMA, TABLE, self.location, self.hash_line, SHARE))
        os.chmod(self.conf, 0o600)
        self.check_call([self.fcgi, "-t", "-c", self.conf], self.fcgi_env)

    def site(self, name, port, sock):
        """The shipped sample with its listen and fastcgi_pass lines replaced
        (and nothing else, as tests/integration/nginx.test checks)."""
        with open(self.a.site) as f:
            text = f.read()
        out, n = re.subn(r"^([ \t]*)listen[ \t][^\n]*;", r"\g<1>listen 127.0.0.1:%d;" % port,
                         text, flags=re.M)
        out, m = re.subn(r"fastcgi_pass[ \t]+unix:[^;\n]*;", "fastcgi_pass unix:%s;" % sock, out)
        if n != 1 or m != 1:
            raise BenchError("%s: expected one listen and one fastcgi_pass unix: line, found %d and %d"
                             % (self.a.site, n, m))
        path = os.path.join(self.run, "site-%s.conf" % name)
        with open(path, "w") as f:
            f.write(out)
        return path

    def write_nginx_conf(self, port, hport):
        r = self.run
        sites = [self.site("ours", port, os.path.join(r, "ds.sock")),
                 self.site("hello", hport, os.path.join(r, "hello.sock"))]
        user = ("user %s %s;\n" % (self.worker_user, self.worker_group)) if self.worker_user else ""
        with open(self.nginx_conf, "w") as f:
            f.write("# written by bench/http-bench.py\n"
                    "worker_processes %d;\ndaemon off;\npid %s/nginx.pid;\n"
                    "error_log %s warn;\n%s"
                    "events { worker_connections 1024; }\n"
                    "http {\n"
                    "    access_log off;\n"
                    "    client_body_temp_path %s/client_body;\n"
                    "    fastcgi_temp_path %s/fastcgi;\n"
                    "    proxy_temp_path %s/proxy;\n"
                    "    uwsgi_temp_path %s/uwsgi;\n"
                    "    scgi_temp_path %s/scgi;\n"
                    "%s"
                    "}\n" % (self.a.nginx_workers, r, self.nginx_err, user, r, r, r, r, r,
                             "".join("    include %s;\n" % s for s in sites)))

    def spawn_pool(self, name, argv, env):
        """N workers of ARGV under spawn-fcgi on RUN/NAME.sock; their pids."""
        sock = os.path.join(self.run, name + ".sock")
        pidfile = os.path.join(self.run, name + ".pid")
        cmd = [self.spawn, "-s", sock, "-M", "0660", "-F", str(self.a.workers), "-P", pidfile]
        if self.worker_user:
            cmd += ["-U", self.worker_user, "-G", self.worker_group]
        out = os.path.join(self.run, "spawn-%s.out" % name)
        with open(out, "wb") as o:
            p = subprocess.Popen(cmd + ["--"] + argv, env=env, stdout=o, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
            self.procs.track(p.pid, "spawn-fcgi " + name)
            rc = p.wait(timeout=30)
        pids = []
        if os.path.exists(pidfile):
            with open(pidfile) as f:  # one pid a line, no final newline
                pids = [int(l) for l in f.read().split() if l.isdigit()]
        for pid in pids:
            self.procs.track(pid, name)
        time.sleep(0.2)
        if rc != 0 or len(pids) != self.a.workers or not all(alive(x) for x in pids):
            with open(out, errors="replace") as f:
                msg = f.read()
            raise BenchError("spawn-fcgi for %s failed (exit %d, %d of %d workers running):\n%s"
                             % (name, rc, sum(alive(x) for x in pids), self.a.workers, msg))
        return pids

    def start_nginx(self):
        """nginx on two free ports (retried when another process takes one
        between our probe and nginx's bind)."""
        self.nginx_conf = os.path.join(self.run, "nginx.conf")
        self.nginx_err = os.path.join(self.run, "nginx-error.log")
        args = ["-p", self.run + "/", "-c", self.nginx_conf]
        h = subprocess.run([self.nginx, "-h"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if b"-e filename" in h.stdout:  # nginx >= 1.19.5
            args = ["-e", self.nginx_err] + args  # the error log before the config is read
        for attempt in range(5):
            ports = []
            for _ in range(2):
                s = socket.socket()
                s.bind(("127.0.0.1", 0))
                ports.append(s.getsockname()[1])
                s.close()
            self.port, self.hport = ports
            self.write_conf(self.port)
            self.write_nginx_conf(self.port, self.hport)
            open(self.nginx_err, "w").close()
            p = subprocess.Popen([self.nginx] + args, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.procs.track(p.pid, "nginx")
            self.nginx_proc = p
            end = time.monotonic() + 10
            while time.monotonic() < end:
                if p.poll() is not None:
                    break
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    socket.create_connection(("127.0.0.1", self.hport), timeout=1).close()
                    return
                except OSError:
                    time.sleep(0.05)
            with open(self.nginx_err, errors="replace") as f:
                err = f.read()
            self.procs.stop([(p.pid, None)])
            if "Address already in use" not in err:
                raise BenchError("nginx did not start:\n" + err[-3000:])
        raise BenchError("nginx: no free port after 5 tries")

    def start(self):
        self.start_nginx()  # rewrites ds.conf with the real port
        self.ours_pids = self.spawn_pool("ds", [self.fcgi, "-c", self.conf], self.fcgi_env)
        self.hello_pids = self.spawn_pool("hello", [self.hello], dict(os.environ))
        libs = set()
        for pid in self.ours_pids:
            try:
                with open("/proc/%d/maps" % pid) as f:
                    libs |= {l.split()[-1] for l in f if "libdeltasharing" in l}
            except OSError:
                pass
        self.libs = sorted(libs)

    # -- checks before measuring --

    def base(self):
        return MOUNT + "/shares/%s/schemas/%s/tables/%s" % (SHARE, SCHEMA, TABLE)

    def verify(self):
        """Each endpoint answers as the protocol says, on both pools, before
        anything is timed (a benchmark of 404s would be worthless)."""
        t = self.base()
        checks = {}
        for label, port, method, path in (
                ("shares", self.port, "GET", MOUNT + "/shares"),
                ("head", self.port, "HEAD", t),
                ("version", self.port, "GET", t + "/version"),
                ("hello", self.hport, "GET", MOUNT + "/shares"),
                ("hello-head", self.hport, "HEAD", t)):
            end = time.monotonic() + 10
            while True:
                try:
                    st, h, body = http_request(port, method, path, self.token)
                except OSError as e:
                    st, h, body = "(%s)" % e, {}, b""
                if st != 502 or time.monotonic() > end:
                    break
                time.sleep(0.1)  # workers still starting
            ok = st == 200
            why = ""
            if label == "shares":
                ok = ok and b'"name":"%s"' % SHARE.encode() in body
            elif label in ("head", "version"):
                ok = ok and h.get("delta-table-version") == self.expected_version
                why = " Delta-Table-Version %s, want %s" % (h.get("delta-table-version"),
                                                              self.expected_version)
            elif label == "hello":
                ok = ok and body == b'{"items":[]}\n'
            else:
                ok = ok and h.get("content-length") == "0"
            checks[label] = ok
            if not ok:
                log("WARNING: %s %s on port %d: status %s%s, body %r: not measured"
                    % (method, path, port, st, why, body[:300]))
        if not (checks["hello"] and checks["hello-head"]):
            raise BenchError("the hello pool does not answer; see %s" % self.nginx_err)
        self.ok = checks

    # -- measurements --

    def replay_once(self):
        """One delta-sharing-admin snapshot -n: (wall s, output, peak RSS bytes)."""
        argv = [self.admin, "snapshot", "-n", self.location]
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            t0 = time.perf_counter()
            p = subprocess.Popen(argv, env=self.admin_env, stdout=out, stderr=err)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            if p.returncode != 0:
                raise BenchError("%s failed (%d):\n%s" % (" ".join(argv), p.returncode,
                                                         err.read().decode(errors="replace")[-2000:]))
            return (wall, out.read().decode(errors="replace"), ru.ru_maxrss * 1024,
                    ru.ru_utime + ru.ru_stime)

    def probe_table(self):
        """One replay (it also warms the page cache): what the answers must hold."""
        out = self.replay_once()[1]
        m, v = re.search(r"^files (\d+)", out, re.M), re.search(r"^version (\d+)", out, re.M)
        if not m or not v:
            raise BenchError("cannot read delta-sharing-admin snapshot -n's output:\n" + out)
        self.expected_files = int(m.group(1))
        self.expected_version = v.group(1)

    def hwm(self, pids):
        """{pid: (VmHWM, VmRSS)} in bytes."""
        out = {}
        for pid in pids:
            v = {}
            try:
                with open("/proc/%d/status" % pid) as f:
                    for l in f:
                        if l.startswith(("VmHWM:", "VmRSS:")):
                            k, n, _ = l.split()
                            v[k[:-1]] = int(n) * 1024
            except OSError:
                continue
            out[pid] = (v.get("VmHWM", 0), v.get("VmRSS", 0))
        return out

    def measure_query(self):
        """(a), (b) and the curl cross-check, interleaved run by run so that a
        change in the machine's load hits all three alike.  When the server
        cannot answer the query, (a) is measured alone."""
        path = self.base() + "/query"
        qerr = None if self.ok.get("shares") else "the server does not answer GET /shares"
        before = self.hwm(self.ours_pids)
        nginx_pids = [self.nginx_proc.pid] + children_of(self.nginx_proc.pid)
        replays, runs, curls, client_cpu = [], [], [], []
        nqueries = 0  # answers the workers wrote after the warm-up, for the cpu per query
        for i in range(self.a.runs + 1):  # the first round is a warm-up
            if i == 1:
                cpu0 = (cpu_seconds(self.ours_pids), cpu_seconds(nginx_pids))
            rep = self.replay_once()
            if qerr is None:
                t = os.times()
                r = stream_request(self.port, path, self.token, b"{}")
                t2 = os.times()
                if i:
                    client_cpu.append(t2.user - t.user + t2.system - t.system)
                    nqueries += 1
                if r["status"] != 200:
                    qerr = "POST %s: status %d, %r" % (path, r["status"], r["first"])
                    log("WARNING: %s: the query is not measured" % qerr)
            if qerr is None:
                c = self.curl_query(path)
                nqueries += bool(i and c is not None)
            if i:
                replays.append(rep)
                if qerr is None:
                    runs.append(r)
                    curls.append(c)
        after = self.hwm(self.ours_pids)
        nq = max(nqueries, 1)
        cpu = {"server_workers_s": (cpu_seconds(self.ours_pids) - cpu0[0]) / nq,
               "nginx_s": (cpu_seconds(nginx_pids) - cpu0[1]) / nq,
               "python_client_s": statistics.median(client_cpu) if client_cpu else None,
               "replay_s": statistics.median(x[3] for x in replays)}
        walls = [x[0] for x in replays]
        self.results["replay"] = {
            "argv": "delta-sharing-admin snapshot -n " + self.location,
            "runs": walls, "median_s": statistics.median(walls),
            "files": self.expected_files, "version": int(self.expected_version),
            "peak_rss_bytes": max(x[2] for x in replays)}
        if qerr is not None:
            self.results["query"] = {"path": path, "error": qerr}
            return
        curl = None
        if all(curls):
            curl = {"runs": [x[2] for x in curls], "median_s": statistics.median(x[2] for x in curls),
                    "ttfb_median_s": statistics.median(x[1] for x in curls), "bytes": curls[-1][0]}
        r = runs[-1]
        want_lines = self.expected_files + 2
        totals = [x["total"] for x in runs]
        med = statistics.median(totals)
        warn = self.count_in_log(self.nginx_err, "buffered to a temporary file")
        self.results["query"] = {
            "path": path, "body": "{}", "runs": totals, "median_s": med,
            "ttfb_median_s": statistics.median(x["ttfb"] for x in runs),
            "bytes": r["bytes"], "lines": r["lines"], "lines_expected": want_lines,
            "lines_ok": all(x["lines"] == want_lines for x in runs),
            "same_bytes_each_run": len({x["bytes"] for x in runs}) == 1,
            "mb_per_s": r["bytes"] / med / 1e6,
            "content_type": r["headers"].get("content-type"),
            "transfer_encoding": r["headers"].get("transfer-encoding"),
            "delta_table_version": r["headers"].get("delta-table-version"),
            "first_lines": r["first"],
            "nginx_temp_file_warnings": warn,
            "curl": curl,
            "cpu_per_query": cpu,
        }
        if not self.results["query"]["lines_ok"]:
            log("WARNING: the query answered %s lines, want %d (protocol, metaData, one per file)"
                % (sorted({x["lines"] for x in runs}), want_lines))
        rep = self.results["replay"]["median_s"]
        self.results["overhead"] = {"query_over_replay": med / rep - 1, "target": "< 0.50",
                                    "query_over_replay_curl": curl["median_s"] / rep - 1 if curl else None}
        self.results["rss"] = {
            "workers": {str(p): {"idle_rss_bytes": before.get(p, (0, 0))[1],
                                 "peak_hwm_bytes": after.get(p, (0, 0))[0]} for p in self.ours_pids},
            "peak_bytes": max((v[0] for v in after.values()), default=0),
            "idle_bytes": max((v[1] for v in before.values()), default=0),
            "hello_peak_bytes": max((v[0] for v in self.hwm(self.hello_pids).values()), default=0),
        }

    def curl_query(self, path):
        """The same query with curl -o /dev/null, a client in C, to show how
        much of (b) is our Python client: (bytes, first byte s, total s), or
        None without curl."""
        curl = shutil.which("curl")
        if not curl:
            return None
        argv = [curl, "-sS", "-o", "/dev/null", "-w",
                "%{http_code} %{size_download} %{time_starttransfer} %{time_total}",
                "-H", "Authorization: Bearer " + self.token,
                "-H", "Content-Type: application/json; charset=utf-8",
                "--data-binary", "{}", "http://127.0.0.1:%d%s" % (self.port, path)]
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        f = p.stdout.decode().split()
        if p.returncode != 0 or len(f) != 4 or f[0] != "200":
            log("WARNING: curl cross-check failed: %s %s" % (p.stdout.decode(), p.stderr.decode()))
            return None
        return int(f[1]), float(f[2]), float(f[3])

    @staticmethod
    def count_in_log(path, what):
        try:
            with open(path, errors="replace") as f:
                return sum(what in l for l in f)
        except OSError:
            return 0

    def measure_rps(self):
        if not self.wrk:
            self.results["rps"] = {"skipped": "--no-wrk" if self.a.no_wrk else
                                   "wrk not found (Debian package wrk)"}
            return
        a = self.a
        t = self.base()
        rows = []
        for label, method, path, ok in (
                ("GET /shares", "GET", MOUNT + "/shares", self.ok["shares"]),
                ("HEAD .../tables/{t}", "HEAD", t, self.ok["head"]),
                ("GET .../tables/{t}/version", "GET", t + "/version", self.ok["version"])):
            row = {"endpoint": label, "method": method, "path": path}
            if not ok:
                row["error"] = "the server does not answer it (see the warning above)"
                rows.append(row)
                continue
            for who, port in (("hello", self.hport), ("ours", self.port)):
                url = "http://127.0.0.1:%d%s" % (port, path)
                if a.warmup:
                    run_wrk(self.wrk, url, self.token, method, a.warmup, a.threads, a.connections,
                            self.run)
                log("wrk %-5s %s %s (%d s)" % (who, method, path, a.duration))
                row[who] = run_wrk(self.wrk, url, self.token, method, a.duration, a.threads,
                                   a.connections, self.run)
                if row[who]["non2xx"] or row[who]["socket_errors"]:
                    log("WARNING: %s %s: %d non-2xx answers, %d socket errors"
                        % (who, label, row[who]["non2xx"], row[who]["socket_errors"]))
            row["ratio"] = row["ours"]["rps"] / row["hello"]["rps"] if row["hello"]["rps"] else None
            rows.append(row)
        self.results["rps"] = {"wrk": tool_version([self.wrk, "--version"]),
                               "threads": a.threads, "connections": a.connections,
                               "duration_s": a.duration, "rows": rows,
                               "target": "GET /shares ours/hello >= 0.80"}

    # -- report --

    def report(self):
        a = self.a
        r = self.results
        r["meta"] = {
            "loadavg_start": self.load_start, "loadavg_end": os.getloadavg(),
            "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count(),
            "user": pwd.getpwuid(os.geteuid()).pw_name,
            "nginx": tool_version([self.nginx, "-v"]),
            "spawn_fcgi": tool_version([self.spawn, "-v"]),
            "fcgi": self.fcgi, "admin": self.admin, "hello": self.hello,
            "libdeltasharing": self.libs,
            "table": self.location, "workers": a.workers, "nginx_workers": a.nginx_workers,
            "nginx_worker_user": self.worker_user or "(same as the bench)",
            "log_requests": not a.no_log_requests, "runs": a.runs,
            "nginx_site": a.site,
        }
        path = os.path.join(a.bench_dir, "http-bench.json")
        with open(path + ".tmp", "w") as f:
            json.dump(r, f, indent=1)
            f.write("\n")
        os.rename(path + ".tmp", path)

        mb = 1e6
        m = r["meta"]
        print("http-bench: %s, %d cpus, %s, %s; %d FastCGI workers per pool, %d nginx worker(s); "
              "request log %s" % (m["host"], m["cpus"], m["nginx"], m["spawn_fcgi"], a.workers,
                                  a.nginx_workers, "on" if m["log_requests"] else "off"))
        print("load average %.2f at the start (1 min; other work on the machine shows up in "
              "the numbers)" % m["loadavg_start"][0])
        print("server: %s (library %s)" % (self.fcgi, ", ".join(self.libs) or "static"))
        print("table:  %s (%d files, version %d)\n" % (self.location, r["replay"]["files"],
                                                        r["replay"]["version"]))
        rep = r["replay"]
        print("%-44s %12s   %s" % ("measurement", "result", "notes"))
        print("-" * 100)
        print("%-44s %10.3f s   median of %d (%s)" % ("(a) replay: admin snapshot -n", rep["median_s"],
                                                       len(rep["runs"]), ", ".join("%.3f" % x for x in rep["runs"])))
        print("%-44s %10.1f MB   peak RSS of one replay" % ("", rep["peak_rss_bytes"] / mb))
        q = r.get("query", {})
        if "error" in q:
            print("%-44s %12s   %s" % ("(b) POST .../query {} via nginx", "-", q["error"]))
        else:
            print("%-44s %10.3f s   median of %d (%s)" % ("(b) POST .../query {} via nginx", q["median_s"],
                                                           len(q["runs"]), ", ".join("%.3f" % x for x in q["runs"])))
            print("%-44s %10.3f s   time to first byte (median)" % ("", q["ttfb_median_s"]))
            print("%-44s %10.1f MB   %d lines (want %d: %s), %.0f MB/s, %s"
                  % ("", q["bytes"] / mb, q["lines"], q["lines_expected"],
                     "ok" if q["lines_ok"] else "MISMATCH", q["mb_per_s"],
                     "chunked" if q["transfer_encoding"] else "not chunked"))
            if q["curl"]:
                print("%-44s %10.3f s   same query, curl -o /dev/null (median; first byte %.3f s)"
                      % ("", q["curl"]["median_s"], q["curl"]["ttfb_median_s"]))
            c = q["cpu_per_query"]
            print("%-44s %12s   cpu s per query: server %.3f, nginx %.3f, our client %.3f; "
                  "cpu s of (a): %.3f" % ("", "", c["server_workers_s"], c["nginx_s"],
                                          c["python_client_s"], c["replay_s"]))
            if q["nginx_temp_file_warnings"]:
                print("%-44s %12s   nginx spooled the answer to a temp file %d times"
                      % ("", "", q["nginx_temp_file_warnings"]))
            o = r["overhead"]["query_over_replay"]
            oc = r["overhead"]["query_over_replay_curl"]
            print("%-44s %10.1f %%    target < 50%%: %s%s" % ("overhead (b)/(a) - 1", 100 * o,
                                                             "met" if o < 0.5 else "NOT met",
                                                             "; with curl: %.1f %%" % (100 * oc) if oc is not None else ""))
            s = r["rss"]
            print("%-44s %10.1f MB   idle %.1f MB; hello worker peak %.1f MB"
                  % ("(c) peak RSS of a worker (VmHWM)", s["peak_bytes"] / mb, s["idle_bytes"] / mb,
                     s["hello_peak_bytes"] / mb))
        rps = r["rps"]
        if "skipped" in rps:
            print("(d) requests/s: skipped, %s" % rps["skipped"])
        else:
            print("\n(d) wrk -t%d -c%d -d%ds, same nginx, %d workers per pool"
                  % (rps["threads"], rps["connections"], rps["duration_s"], a.workers))
            print("%-30s %10s %10s %8s %10s %10s   %s" % ("endpoint", "ours rps", "hello rps",
                                                          "ratio", "ours p50", "ours p99", "notes"))
            print("-" * 100)
            for row in rps["rows"]:
                if "error" in row:
                    print("%-30s %s" % (row["endpoint"], row["error"]))
                    continue
                o, h = row["ours"], row["hello"]
                notes = []
                if row["ratio"] is None:
                    notes.append("hello answered nothing: no ratio")
                elif row["endpoint"] == "GET /shares":
                    notes.append("target >= 80%%: %s" % ("met" if row["ratio"] >= 0.8 else "NOT met"))
                for who, x in (("ours", o), ("hello", h)):
                    if x["non2xx"] or x["socket_errors"]:
                        notes.append("%s: %d non-2xx, %d socket errors" % (who, x["non2xx"],
                                                                           x["socket_errors"]))
                fmt = lambda v: "%.2f ms" % (v * 1e3) if v is not None else "?"
                print("%-30s %10.0f %10.0f %8s %10s %10s   %s"
                      % (row["endpoint"], o["rps"], h["rps"],
                         "%.0f%%" % (100 * row["ratio"]) if row["ratio"] is not None else "-", fmt(o["p50"]),
                         fmt(o["p99"]), "; ".join(notes)))
        print("\nresults: %s" % path)

    def stop(self):
        """Graceful where it is cheap (nginx's fast shutdown, SIGTERM to the
        workers), SIGKILL for whatever is left, then a sweep of anything that
        descends from us."""
        ok = self.procs.stop_all()
        if ok and not self.a.keep:
            for f in ("ds-requests.log",):
                try:
                    os.unlink(os.path.join(self.run, f))
                except (OSError, AttributeError):
                    pass


def main():
    build = os.path.dirname(HERE)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="As root, nginx's workers run as nobody and the sockets "
                                        "are given to them; the FastCGI pools keep root's id.")
    ap.add_argument("--fcgi", default=os.path.join(build, "src", "delta-sharing.fcgi"),
                    help="the server (default: ../src/delta-sharing.fcgi; a libtool wrapper is resolved)")
    ap.add_argument("--admin", default=os.path.join(build, "tools", "delta-sharing-admin"),
                    help="delta-sharing-admin (default: ../tools/delta-sharing-admin)")
    ap.add_argument("--hello", default=os.path.join(HERE, "fcgi-hello"),
                    help="the hello responder (default: bench/fcgi-hello)")
    ap.add_argument("--site", default=os.path.join(build, "etc", "nginx", "delta-sharing.conf"),
                    help="the nginx server block to run (default: the shipped sample)")
    ap.add_argument("--bench-dir", default=os.environ.get("BENCH_DIR", "/tmp/delta-sharing-bench"),
                    help="work dir: the extracted table, http-run/, http-bench.json")
    ap.add_argument("--shared", default=os.environ.get("DS_SHARED", os.path.join(build, "..", "shared")),
                    help="the shared inputs (default: $DS_SHARED, else ../../shared)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                    help="FastCGI workers in each pool (default: the number of cpus)")
    ap.add_argument("--nginx-workers", type=int, default=1, help="nginx worker_processes (default 1)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs of (a) and (b), after one warm-up (default 5)")
    ap.add_argument("--duration", type=int, default=8, help="seconds of each wrk run (default 8)")
    ap.add_argument("--warmup", type=int, default=1, help="seconds of wrk warm-up before each run (default 1)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    ap.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    ap.add_argument("--no-wrk", action="store_true", help="skip the requests/s part")
    ap.add_argument("--install-wrk", action="store_true",
                    help="when wrk is missing and we are root: apt-get install -y wrk")
    ap.add_argument("--no-log-requests", action="store_true",
                    help="log-requests = false in the server's config (default: the server's "
                         "default, one line per request, here to a file)")
    ap.add_argument("--hold", action="store_true",
                    help="start everything, print the URLs and the token, measure nothing, "
                         "wait for Ctrl-C (to look at the set-up by hand)")
    ap.add_argument("--keep", action="store_true", help="keep the request log in BENCH_DIR/http-run")
    a = ap.parse_args()
    a.bench_dir = os.path.abspath(a.bench_dir)
    a.shared = os.path.abspath(a.shared)
    if a.workers < 1 or a.runs < 1 or a.duration < 1 or a.nginx_workers < 1:
        ap.error("--workers, --nginx-workers, --runs and --duration must be positive")

    def on_signal(sig, _frame):
        raise SystemExit(128 + sig)

    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    b = Bench(a)
    try:
        b.setup()
        b.probe_table()
        b.start()
        b.verify()
        if a.hold:
            print("ours:  http://127.0.0.1:%d%s  hello: http://127.0.0.1:%d%s\n"
                  "Authorization: Bearer %s\nstate in %s; Ctrl-C (or SIGTERM) stops everything"
                  % (b.port, MOUNT, b.hport, MOUNT, b.token, b.run), flush=True)
            signal.pause()
        b.measure_query()
        b.measure_rps()
        b.report()
        return 0
    except BenchError as e:
        log("http-bench: %s" % e)
        if getattr(b, "run", None):
            log("(configs and logs in %s)" % b.run)
        return 1
    except KeyboardInterrupt:
        log("http-bench: interrupted")
        return 130
    finally:
        b.stop()


if __name__ == "__main__":
    sys.exit(main())
