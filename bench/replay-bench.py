#!/usr/bin/env python3
"""bench/replay-bench.py: Delta log replay speed and memory.

Tables: the 300,000-file JSON-commit table from ../shared/fixtures/perf
(extracted), and a checkpointed table of NFILES (default 1,000,000) live
files written by bench/gen-checkpoint-table.mjs with DuckDB.

For each table, in the same run, three measurements (median of RUNS runs,
wall time and peak RSS of the process):
  ours     delta-sharing-admin snapshot -n  (full replay, files counted)
  cat      cat of the same _delta_log bytes > /dev/null (the byte-read floor)
  duckdb   DuckDB computing the same live-file set in SQL (bench/duckdb-live-set.mjs;
           wall and RSS are for the whole node process, query time reported too)
All from the page cache (one warm-up run first).  Prints a table with
ratios against the baselines and bytes of peak RSS per live file.

Then the history path on the JSON-commit table: delta-sharing-admin
changes -d (the data changes a streaming query serves, one commit at a
time) from version 0 (every commit) and from the last version, next to the
snapshot replay and cat of the commits read, measured in the same run.

usage: replay-bench.py ADMIN WORKDIR [NFILES] [RUNS]
"""
import os
import statistics
import subprocess
import sys
import time

ADMIN, WORK = sys.argv[1], sys.argv[2]
NFILES = int(sys.argv[3]) if len(sys.argv) > 3 else 1000000
RUNS = int(sys.argv[4]) if len(sys.argv) > 4 else 5
HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("DS_SHARED", os.path.join(HERE, "..", "..", "shared"))


OUT_KEEP = 1 << 20


def measure(argv, stdout=subprocess.DEVNULL):
    """Wall time, peak RSS and output of one run.  Output is read in chunks
    and only its first MiB kept (with a line count): a forked child starts
    with this process's RSS as its peak, so this process must stay small or
    it would show up in the child's numbers."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE)
    out, lines = b"", 0
    if stdout == subprocess.PIPE:
        while True:
            chunk = p.stdout.read(1 << 16)
            if not chunk:
                break
            lines += chunk.count(b"\n")
            if len(out) < OUT_KEEP:
                out += chunk[:OUT_KEEP - len(out)]
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit("failed: %s\n%s" % (" ".join(argv), err.decode()[-2000:]))
    return wall, ru.ru_maxrss * 1024, Output(out.decode(errors="replace"), lines)


class Output(str):
    """The kept output, with the full line count as .lines."""
    def __new__(cls, text, lines):
        o = str.__new__(cls, text)
        o.lines = lines
        return o


def runs(argv, stdout=subprocess.DEVNULL):
    measure(argv, stdout)  # warm the page cache
    res = [measure(argv, stdout) for _ in range(RUNS)]
    return (statistics.median(r[0] for r in res), max(r[1] for r in res), res[-1][2])


def prepare():
    os.makedirs(WORK, exist_ok=True)
    t300 = os.path.join(WORK, "300k-add-files-100-col-partitioned")
    if not os.path.isdir(t300):
        arc = os.path.join(SHARED, "fixtures", "perf", "300k-add-files-100-col-partitioned.tar.zst")
        subprocess.check_call(["tar", "-I", "zstd", "-xf", arc, "-C", WORK])
    tcp = os.path.join(WORK, "checkpoint-%d" % NFILES)
    if not os.path.isdir(tcp):
        subprocess.check_call(["node", os.path.join(HERE, "gen-checkpoint-table.mjs"), tcp, str(NFILES)])
    return [("300k JSON commits", t300), ("%d checkpointed" % NFILES, tcp)]


def log_files(table):
    log = os.path.join(table, "_delta_log")
    return sorted(os.path.join(log, n) for n in os.listdir(log)
                  if os.path.isfile(os.path.join(log, n)) and n[0].isdigit())


def main():
    tables = prepare()
    rows = []
    for label, table in tables:
        wall, rss, out = runs([ADMIN, "snapshot", "-n", table], subprocess.PIPE)
        files = int([l for l in out.splitlines() if l.startswith("files ")][0].split()[1])
        files_bytes = sum(os.path.getsize(f) for f in log_files(table))
        cwall, crss, _ = runs(["cat"] + log_files(table))
        dwall, drss, dout = runs(["node", os.path.join(HERE, "duckdb-live-set.mjs"), table], subprocess.PIPE)
        dn, dtotal, dq = dout.split()
        if int(dn) != files:
            sys.exit("DuckDB counts %s live files, we count %d: the baseline is not comparable" % (dn, files))
        rows.append((label, files, files_bytes, wall, rss, cwall, dwall, float(dq), drss))
    print("table                  | files     | log MB | ours s | RSS MB | B/file | cat s  | ours/cat | duckdb s (query) | ours/duckdb | duckdb RSS MB")
    for (label, files, fb, wall, rss, cwall, dwall, dq, drss) in rows:
        print("%-22s | %9d | %6.1f | %6.3f | %6.1f | %6.0f | %6.3f | %7.1fx | %6.3f (%6.3f) | %10.2fx | %8.1f" % (
            label, files, fb / 1e6, wall, rss / 1e6, rss / files, cwall, wall / cwall, dwall, dq, wall / dwall, drss / 1e6))
    label, table = tables[0]
    swall, srss, _ = runs([ADMIN, "snapshot", "-n", table], subprocess.PIPE)
    commits = [f for f in log_files(table) if f.endswith(".json")]
    print()
    print("changes (%s)       | lines    | ours s | RSS MB | snapshot s | ours/snapshot | RSS/snapshot | cat s  | ours/cat" % label)
    for start, read in (("0", commits), (None, commits[-1:])):
        if start is None:
            start = str(len(commits) - 1)
        wall, rss, out = runs([ADMIN, "changes", "-d", "-s", start, table], subprocess.PIPE)
        lines = out.lines
        cwall, _, _ = runs(["cat"] + read)
        print("from version %-10s | %8d | %6.3f | %6.1f | %10.3f | %12.2fx | %11.2fx | %6.3f | %7.1fx" % (
            start, lines, wall, rss / 1e6, swall, wall / swall, rss / srss, cwall, wall / cwall))


if __name__ == "__main__":
    main()
