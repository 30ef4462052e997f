#!/usr/bin/env python3
"""tests/integration/sd-activate.py - systemd socket activation, without
systemd, for tests/integration/systemd.test.  Python standard library only.

Plays systemd's part for the units etc/systemd/delta-sharing.socket and
etc/systemd/delta-sharing@.service, reading them as written:

  - creates the socket of the .socket unit's ListenStream= (its directory
    with DirectoryMode=, then SocketMode=, SocketUser=, SocketGroup=,
    Backlog=) and keeps it open for as long as it runs, as systemd does
    for an active socket unit;
  - on "start", forks a worker the way systemd starts one instance of the
    service: the listening socket on fd 3, LISTEN_FDS=1, LISTEN_PID=<the
    worker's own pid>, LISTEN_FDNAMES, a clean environment plus the
    service's Environment= lines, its User=/Group=, UMask=, stdin from
    /dev/null, then exec of ExecStart=;
  - reaps every worker at once (no zombie) and remembers how it ended.

usage: sd-activate.py --socket-unit FILE --service-unit FILE --dir DIR
                      --exec PROGRAM [--map OLD=NEW ...]
                      [--user U --group G] [--socket-user U --socket-group G]
       sd-activate.py --reap STATUS-FILE -- COMMAND [ARG...]

--map replaces a path of the units (the socket's, the config's) by one in
the test's temp dir; each OLD must occur in the units, so a sample that
changes under the test is noticed.  --exec replaces the program of
ExecStart= (the build's, not the installed one); its arguments are kept.
--user/--group and --socket-user/--socket-group stand in for the units'
accounts, which a test machine may lack (empty: keep running as is).

Commands come one a line through the FIFO DIR/sd.ctl; each answer is one
line written to the FIFO DIR/sd.reply:
  start            a worker as systemd starts it; answers its pid
  start-foreign    the same, but LISTEN_PID names another process (this
                   one), as when the variables leak to a child; answers
                   its pid
  status PID       "running", "exited CODE" or "killed SIGNAL"
  children         the pids of this process's children still not reaped
                   (zombies included, and orphans of the workers: this
                   process is a child subreaper, as systemd is),
                   space-separated, or "-"
  quit             closes the socket and exits (the socket file stays, as
                   with systemd's RemoveOnStop=no)
The worker's stderr (the request log) goes to DIR/ds.log and its stdout to
DIR/stdout.log: the journal, under systemd.  DIR/sd.ready appears, holding
the socket's path, once the socket listens and commands are taken.

--reap runs COMMAND as a child subreaper (as a service manager runs a
forking start command such as spawn-fcgi): every process COMMAND leaves
behind becomes this one's child, is reaped as soon as it ends, and a line
"PID exited N" or "PID killed SIGNAL" goes to STATUS-FILE; it returns when
no process is left.
"""

import argparse
import ctypes
import grp
import os
import pwd
import shlex
import signal
import socket
import stat
import sys

SERVICE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# passed through so that a sanitizer build reports the same way under this
# launcher as under make check
PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
PASS_ENV = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")


def die(msg):
    sys.stderr.write("sd-activate: %s\n" % msg)
    sys.exit(2)


def read_unit(path):
    """The unit's settings: {section: [(key, value), ...]} in file order."""
    sections = {}
    cur = None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                cur = sections.setdefault(line[1:-1], [])
                continue
            if cur is None or "=" not in line:
                die("%s: cannot parse %r" % (path, line))
            key, value = line.split("=", 1)
            cur.append((key.strip(), value.strip()))
    return sections


def values(unit, section, key):
    return [v for k, v in unit.get(section, []) if k == key]


def last(unit, section, key, default=None):
    v = values(unit, section, key)
    return v[-1] if v else default


class Mapper:
    def __init__(self, pairs):
        self.pairs = []
        for p in pairs:
            if "=" not in p:
                die("--map wants OLD=NEW, not %r" % p)
            old, new = p.split("=", 1)
            self.pairs.append([old, new, 0])

    def __call__(self, s):
        for p in self.pairs:
            if p[0] in s:
                s = s.replace(p[0], p[1])
                p[2] += 1
        return s

    def check_all_used(self):
        for old, _, used in self.pairs:
            if not used:
                die("--map %s: the units do not name that path" % old)


def account(user, group):
    uid = pwd.getpwnam(user).pw_uid if user else None
    gid = grp.getgrnam(group).gr_gid if group else None
    return uid, gid


class Manager:
    def __init__(self, args):
        sock_unit = read_unit(args.socket_unit)
        svc_unit = read_unit(args.service_unit)
        mapper = Mapper(args.map)

        listen = values(sock_unit, "Socket", "ListenStream")
        if len(listen) != 1 or not listen[0].startswith("/"):
            die("the socket unit must have one ListenStream= with a path: %r" % listen)
        if last(sock_unit, "Socket", "Accept", "no") not in ("no", "false", "0"):
            die("the socket unit must have Accept=no")
        self.path = mapper(listen[0])
        self.mode = int(last(sock_unit, "Socket", "SocketMode", "0666"), 8)
        self.dirmode = int(last(sock_unit, "Socket", "DirectoryMode", "0755"), 8)
        self.backlog = int(last(sock_unit, "Socket", "Backlog", "4096"))
        sock_user = last(sock_unit, "Socket", "SocketUser")
        sock_group = last(sock_unit, "Socket", "SocketGroup")
        if args.socket_user is not None:
            sock_user = args.socket_user
        if args.socket_group is not None:
            sock_group = args.socket_group
        self.sock_owner = account(sock_user, sock_group)

        sockets = values(svc_unit, "Service", "Sockets")
        if sockets != [os.path.basename(args.socket_unit)]:
            die("the service must take its socket from %s (Sockets=): %r"
                % (os.path.basename(args.socket_unit), sockets))
        self.fdname = os.path.basename(args.socket_unit)
        self.env = {"PATH": SERVICE_PATH, "LANG": "C.UTF-8"}
        for line in values(svc_unit, "Service", "Environment"):
            for assignment in shlex.split(line):
                if "=" not in assignment:
                    die("Environment=%s: not NAME=VALUE" % line)
                k, v = assignment.split("=", 1)
                self.env[k] = mapper(v)
        for k in PASS_ENV:
            if k in os.environ:
                self.env[k] = os.environ[k]
        execs = values(svc_unit, "Service", "ExecStart")
        if len(execs) != 1:
            die("the service must have one ExecStart=: %r" % execs)
        argv = [mapper(a) for a in shlex.split(execs[0])]
        if argv[0][0] in "-@:+!":
            die("ExecStart= prefixes are not simulated: %r" % argv[0])
        self.argv = [args.exec] + argv[1:]
        user = last(svc_unit, "Service", "User")
        group = last(svc_unit, "Service", "Group")
        if args.user is not None:
            user = args.user
        if args.group is not None:
            group = args.group
        self.run_as = account(user, group)
        self.user = user
        self.umask = int(last(svc_unit, "Service", "UMask", "0022"), 8)
        mapper.check_all_used()

        self.dir = args.dir
        self.ended = {}  # pid -> "exited N" / "killed SIG"
        self.running = set()

    def reap(self, *_):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.running.discard(pid)
            self.ended[pid] = describe(status)

    def listen(self):
        d = os.path.dirname(self.path)
        if not os.path.isdir(d):
            os.makedirs(d, mode=self.dirmode)
        if os.path.exists(self.path):
            st = os.lstat(self.path)
            if not stat.S_ISSOCK(st.st_mode):
                die("%s exists and is not a socket" % self.path)
            os.unlink(self.path)  # systemd, too, replaces a stale socket
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        os.chmod(self.path, self.mode)
        uid, gid = self.sock_owner
        if os.geteuid() == 0 and (uid is not None or gid is not None):
            os.chown(self.path, -1 if uid is None else uid, -1 if gid is None else gid)
        self.sock.listen(self.backlog)

    def start(self, foreign=False):
        log = os.open(os.path.join(self.dir, "ds.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        out = os.open(os.path.join(self.dir, "stdout.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            try:
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(out, 1)
                os.dup2(log, 2)
                if self.sock.fileno() != 3:
                    os.dup2(self.sock.fileno(), 3)
                os.set_inheritable(3, True)
                os.closerange(4, 1024)
                uid, gid = self.run_as
                if os.geteuid() == 0 and (uid is not None or gid is not None):
                    os.setgroups([])
                    if gid is not None:
                        os.setgid(gid)
                    if uid is not None:
                        os.setuid(uid)
                os.umask(self.umask)
                env = dict(self.env)
                env["LISTEN_FDS"] = "1"
                env["LISTEN_PID"] = str(parent if foreign else os.getpid())
                env["LISTEN_FDNAMES"] = self.fdname
                if self.user:
                    env["USER"] = env["LOGNAME"] = self.user
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                signal.signal(signal.SIGPIPE, signal.SIG_DFL)
                os.execve(self.argv[0], self.argv, env)
            except BaseException as e:  # noqa: BLE001 - report, never return
                os.write(2, ("sd-activate: cannot start %s: %s\n" % (self.argv[0], e)).encode())
            os._exit(127)
        os.close(log)
        os.close(out)
        self.running.add(pid)
        return str(pid)

    def children(self):
        """Children not reaped yet, zombies included, from /proc."""
        me = str(os.getpid())
        kids = []
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % p, encoding="utf-8", errors="replace") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me:
                kids.append(p)
        return " ".join(sorted(kids, key=int)) or "-"

    def command(self, line):
        words = line.split()
        if words == ["start"]:
            return self.start()
        if words == ["start-foreign"]:
            return self.start(foreign=True)
        if len(words) == 2 and words[0] == "status" and words[1].isdigit():
            pid = int(words[1])
            self.reap()
            if pid in self.ended:
                return self.ended[pid]
            return "running" if pid in self.running else "unknown"
        if words == ["children"]:
            self.reap()
            return self.children()
        if words == ["quit"]:
            return "bye"
        return "error: unknown command %r" % line

    def run(self):
        ctl = os.path.join(self.dir, "sd.ctl")
        reply = os.path.join(self.dir, "sd.reply")
        os.mkfifo(ctl, 0o600)
        os.mkfifo(reply, 0o600)
        signal.signal(signal.SIGCHLD, self.reap)
        # like systemd, adopt what a worker leaves behind: a process it
        # forked and abandoned would show up in "children" (and be reaped)
        set_subreaper()
        self.listen()
        with open(os.path.join(self.dir, "sd.ready.tmp"), "w", encoding="utf-8") as f:
            f.write(self.path + "\n")
        os.rename(os.path.join(self.dir, "sd.ready.tmp"), os.path.join(self.dir, "sd.ready"))
        while True:
            with open(ctl, encoding="utf-8") as f:
                line = f.readline().strip()
            if not line:
                continue
            answer = self.command(line)
            with open(reply, "w", encoding="utf-8") as f:
                f.write(answer + "\n")
            if answer == "bye":
                self.sock.close()
                return


def set_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        die("prctl(PR_SET_CHILD_SUBREAPER): %s" % os.strerror(ctypes.get_errno()))


def describe(status):
    if os.WIFSIGNALED(status):
        return "killed %s" % signal.Signals(os.WTERMSIG(status)).name
    return "exited %d" % os.WEXITSTATUS(status)


def reap_for(status_file, argv):
    """--reap: run argv as a child subreaper, as a service manager does for
    a forking starter (spawn-fcgi): the processes it leaves behind become
    ours; each is reaped as it ends and a line "PID exited N" or "PID killed
    SIGNAL" is appended to status_file.  Returns once nothing is left."""
    set_subreaper()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        except OSError as e:
            os.write(2, ("sd-activate: cannot run %s: %s\n" % (argv[0], e)).encode())
        os._exit(127)
    while True:
        try:
            done, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 0
        with open(status_file, "a", encoding="utf-8") as f:
            f.write("%d %s\n" % (done, describe(status)))


def main():
    if len(sys.argv) > 3 and sys.argv[1] == "--reap" and sys.argv[3] == "--":
        sys.exit(reap_for(sys.argv[2], sys.argv[4:]))
    ap = argparse.ArgumentParser(description="systemd socket activation, simulated")
    ap.add_argument("--socket-unit", required=True)
    ap.add_argument("--service-unit", required=True)
    ap.add_argument("--dir", required=True, help="where the FIFOs and logs go")
    ap.add_argument("--exec", required=True, help="the program to run instead of ExecStart's")
    ap.add_argument("--map", action="append", default=[], metavar="OLD=NEW")
    ap.add_argument("--user")
    ap.add_argument("--group")
    ap.add_argument("--socket-user")
    ap.add_argument("--socket-group")
    args = ap.parse_args()  # an empty --user etc.: no account change
    Manager(args).run()


if __name__ == "__main__":
    main()
