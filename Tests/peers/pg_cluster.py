"""A throwaway PostgreSQL primary with one synchronous streaming replica, for scripts that run several
lecternd nodes on PostgreSQL and fail the database over (Tests/reliability/several_nodes.py).

Debian's server binaries (/usr/lib/postgresql/<newest>/bin), loopback only, trust authentication for the
superuser `lectern`, every file under one temporary folder, removed by `stop()` (also called at exit).
PostgreSQL refuses to run as root: then initdb, pg_ctl, pg_basebackup and the server run as `postgres`.

The replica is synchronous (`synchronous_standby_names = '*'` on the primary) and lecternd commits with
`synchronous_commit = on`, so a commit the primary acknowledged is flushed on both: after the primary dies
and the replica is promoted, nothing acknowledged is missing.
"""
import atexit, glob, os, shutil, signal, socket, subprocess, tempfile, time


def binaries():
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not versions:
        raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)")
    return os.path.dirname(versions[-1])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, step=0.1):
    """Whether `predicate` became true within `timeout` seconds, asked every `step` (the scripts that start
    servers share it)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


class Server:
    """One postmaster: its data folder, port and log."""

    def __init__(self, cluster, name):
        self.cluster, self.name = cluster, name
        self.data = os.path.join(cluster.root, name)
        self.log = os.path.join(cluster.root, f"{name}.log")
        self.port = free_port()

    @property
    def url(self):
        return f"postgres://lectern@127.0.0.1:{self.port}/lectern"

    def settings(self, **extra):
        """Appended to postgresql.conf (a later line wins), so `pg_ctl restart` keeps them."""
        values = dict(port=self.port, listen_addresses="'127.0.0.1'",
                      unix_socket_directories=f"'{self.cluster.root}'", max_connections=200,
                      wal_level="replica", max_wal_senders=10, hot_standby="on", fsync="on",
                      # The replica asks the primary again soon after losing it (default 5 s): while it is
                      # away, every commit on a primary with a synchronous standby waits.
                      wal_retrieve_retry_interval="'200ms'", wal_sender_timeout="'5s'",
                      wal_receiver_status_interval="'1s'", logging_collector="off", **extra)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n# pg_cluster.py\n" + "".join(f"{k} = {v}\n" for k, v in values.items()))

    def start(self):
        self.cluster.tool("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start")

    def restart_immediately(self):
        """`pg_ctl restart -m immediate`: the server stops without a checkpoint (as if it crashed), then runs
        crash recovery and comes back on the same port."""
        self.cluster.tool("pg_ctl", "-D", self.data, "-l", self.log, "-m", "immediate", "-w", "-t", "60", "restart")

    def pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def kill9(self):
        """SIGKILL to the postmaster and every process it started (a machine that lost power). Each backend
        is a session of its own (postgres calls setsid in every child), so no process group covers them: the
        postmaster is stopped first (it forks no more), then it and its children are killed."""
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGSTOP)
        except ProcessLookupError:
            return
        children = [int(p) for p in os.listdir("/proc") if p.isdigit() and self._parent(int(p)) == pid]
        for victim in children + [pid]:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.time() + 10
        while time.time() < deadline and any(self._alive(p) for p in children + [pid]):
            time.sleep(0.01)

    @staticmethod
    def _alive(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    @staticmethod
    def _parent(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return None

    def promote(self):
        self.cluster.tool("pg_ctl", "-D", self.data, "-w", "-t", "60", "promote")

    def stop(self):
        if self.pid() is not None and os.path.exists(self.data):
            self.cluster.tool("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "-t", "30", "stop", check=False)

    def psql(self, sql, database="lectern", timeout=30):
        """The rows of `sql` as tuples of strings (unaligned, tuples only)."""
        result = subprocess.run([os.path.join(self.cluster.bin, "psql"), "-X", "-A", "-t", "-F", "\t", "-v",
                                 "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port), "-U", "lectern",
                                 "-d", database, "-c", sql], capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"psql on {self.name} ({self.port}): {result.stderr.strip()}")
        return [tuple(line.split("\t")) for line in result.stdout.splitlines() if line]

    def value(self, sql):
        rows = self.psql(sql)
        return rows[0][0] if rows else None


class Cluster:
    """A primary and a synchronous streaming replica; `start()` makes both and the database `lectern`."""

    def __init__(self, prefix="lectern-pg-"):
        self.bin = binaries()
        self.root = tempfile.mkdtemp(prefix=prefix)
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self.primary = Server(self, "primary")
        self.replica = Server(self, "replica")
        self.stopped = False
        atexit.register(self.stop)

    def tool(self, name, *args, check=True):
        """A server tool, as `postgres` when we are root; its output goes to a file (a pipe would be held
        open by the server pg_ctl leaves running)."""
        command = [os.path.join(self.bin, name), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--"] + command
        out = os.path.join(self.root, f"{name}.out")
        with open(out, "w") as f:
            status = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                    cwd=self.root).returncode
        if check and status != 0:
            with open(out) as f:
                raise RuntimeError(f"{name} {' '.join(args)} exited {status}: {f.read()[-2000:]}")
        return status

    def url(self):
        """lecternd's multi-host URL: the primary first; a node connects to the first host not in recovery."""
        return f"postgres://lectern@127.0.0.1:{self.primary.port},127.0.0.1:{self.replica.port}/lectern"

    def start(self):
        self.tool("initdb", "-D", self.primary.data, "-U", "lectern", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self.primary.settings()
        self.primary.start()
        subprocess.run([os.path.join(self.bin, "createdb"), "-h", "127.0.0.1", "-p", str(self.primary.port),
                        "-U", "lectern", "lectern"], check=True, capture_output=True)
        # initdb's pg_hba.conf trusts replication connections from 127.0.0.1; -R writes primary_conninfo and
        # standby.signal, so the copy starts as a streaming standby.
        self.tool("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "lectern",
                  "-D", self.replica.data, "-R", "-X", "stream", "-c", "fast")
        self.replica.settings()
        self.replica.start()
        # Synchronous only once the replica streams: set before, the primary's commits (createdb's included)
        # would wait for it.
        self.wait_streaming()
        self.primary.psql("ALTER SYSTEM SET synchronous_standby_names = '*'")
        self.primary.psql("SELECT pg_reload_conf()")
        deadline = time.time() + 30
        while self.primary.value("SELECT string_agg(sync_state, ',') FROM pg_stat_replication") != "sync":
            if time.time() > deadline:
                raise RuntimeError("the replica did not become synchronous")
            time.sleep(0.05)
        return self

    def wait_streaming(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.primary.value("SELECT COUNT(*) FROM pg_stat_replication WHERE state = 'streaming'") == "1":
                    return
            except RuntimeError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the replica is not streaming from the primary")

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        for server in (self.primary, self.replica):
            try:
                server.stop()
            except Exception:  # cleanup goes on whatever one server says
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
