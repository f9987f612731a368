#!/usr/bin/env python3
"""Nodes benchmark: durable webhooks/s and watermarked pages/s for one lecternd on SQLite, one on
PostgreSQL, and three sharing one PostgreSQL behind nginx, with p50/p99 and each node's RSS.

Each configuration ("row") gets a fresh example site (Tests/peers/example_site.py) and, for PostgreSQL, a
fresh throwaway server (Tests/peers/pg_cluster.py's tools, the primary only: no replica) with fsync and
synchronous_commit on, named by `[daemon] database` in the site's lectern.toml, which every node reads (the
nodes share the site folder, so its keys). Then, as Benchmarks/webhooks.py and Benchmarks/gate.py do:

1. Webhooks: N Stripe checkout events signed with the `stripe` library, 20 % of them repeats of events
   already sent, from C keep-alive connections (Python threads). A 200 means the event's transaction is
   committed durably. Checked afterwards: exactly the unique events, and as many grants, stored.
2. The outbox is left to drain (the purchases' e-mails, written to files), so the mailer does not share
   the next phase.
3. Pages: a buyer's cookie (a grant, the link in its e-mail, the sign-in) is checked on every node, then
   wrk asks for the watermarked paid lesson with it.

One node is driven directly; three nodes through a real nginx (round robin, keep-alive to the upstreams).
RSS of each lecternd is sampled every 0.1 s from start to the end of the pages phase (idle: before the
load; peak: the highest sample). The machine's cores cap the total: /core divides by them. Also printed:
where the CPU went in each phase (lecternd, PostgreSQL, nginx, load generator), in cores busy.

usage: Benchmarks/nodes.py [--bin DIR] [--configs sqlite,postgres,postgres3] [--events 4000]
                           [--connections 8] [--seconds 10] [--wrk-connections 64]
Exits 1 if a check failed (lost or doubled events, a non-2xx page, a node that did not start).
"""
import argparse, contextlib, glob, http.client, json, os, random, re, resource, shlex, shutil, signal, socket
import sqlite3, subprocess, sys, tempfile, threading, time

import stripe

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "Tests", "peers"))
import example_site  # noqa: E402
import nginx_upstream  # noqa: E402
import pg_cluster  # noqa: E402
from pg_cluster import free_port, wait_until  # noqa: E402

SECRET = "whsec_bench_nodes"
COURSE = "practical-sqlite"
LESSON = f"/learn/{COURSE}/schema-design/"
READER = "reader@example.com"
CONFIGS = {
    "sqlite": ("1 node, SQLite", 1, False),
    "postgres": ("1 node, PostgreSQL", 1, True),
    "postgres3": ("3 nodes, PostgreSQL", 3, True),
}
TICK = os.sysconf("SC_CLK_TCK")



def stat_fields(pid):
    """/proc/PID/stat from field 3 (state) on, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pid, reaped=False):
    """user+system of `pid` (its threads included), and of its waited-for children with `reaped`."""
    fields = stat_fields(pid)
    if not fields:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if reaped else 0)
    return ticks / TICK


def tree_cpu_seconds(pid):
    """A server's CPU: the parent's own and its reaped children's, plus its live children's (PostgreSQL's
    backends, nginx's workers)."""
    if not pid:
        return 0.0
    total = cpu_seconds(pid, reaped=True)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = stat_fields(entry)
            if fields and int(fields[1]) == pid:
                total += cpu_seconds(entry)
    return total


def machine_busy_seconds():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / TICK  # all but idle and iowait; guest is in user


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def request(port, method, path, headers=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()



def ms(seconds):
    value = seconds * 1000
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def percentile(ordered, p):
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


class Failure(Exception):
    """A check failed: the row is reported as failed, the script exits 1."""


class Database:
    """The row's store, for the checks: the site's SQLite file, or a fresh PostgreSQL server."""

    def __init__(self, site, postgres, stack):
        self.cluster = None
        self.path = os.path.join(site, "lectern.sqlite")
        self.commands = []
        if postgres:
            # pg_cluster.Cluster starts a primary and a replica; a benchmark of one server needs only the
            # primary, started the same way (initdb as `postgres` when we are root, trust, loopback, fsync on).
            cluster = pg_cluster.Cluster(prefix="lectern-pg-")
            stack.callback(cluster.stop)
            server = cluster.primary
            cluster.tool("initdb", "-D", server.data, "-U", "lectern", "--auth=trust", "-E", "UTF8",
                         "--locale=C.UTF-8")
            server.settings(synchronous_commit="on", full_page_writes="on")
            server.start()
            subprocess.run([os.path.join(cluster.bin, "createdb"), "-h", "127.0.0.1", "-p", str(server.port),
                            "-U", "lectern", "lectern"], check=True, capture_output=True)
            self.cluster, self.url = cluster, server.url
            for name in ("fsync", "synchronous_commit"):
                if server.value(f"SHOW {name}") != "on":
                    raise Failure(f"PostgreSQL runs with {name} off")
            self.settings = ", ".join(f"{n} {server.value(f'SHOW {n}')}" for n in
                                      ("fsync", "synchronous_commit", "wal_sync_method", "shared_buffers"))
            self.version = server.value("SHOW server_version")
            data = "$PGDATA"
            self.commands = [
                f"{cluster.bin}/initdb -D {data} -U lectern --auth=trust -E UTF8 --locale=C.UTF-8"
                + ("   # as postgres (runuser -u postgres --)" if cluster.as_root else ""),
                f"# {data}/postgresql.conf += port, listen_addresses='127.0.0.1', unix_socket_directories, "
                f"max_connections=200, fsync=on, synchronous_commit=on (pg_cluster.py Server.settings)",
                f"{cluster.bin}/pg_ctl -D {data} -l LOG -w start",
                f"createdb -h 127.0.0.1 -p PORT -U lectern lectern",
            ]

    def value(self, sql):
        if self.cluster:
            return int(self.cluster.primary.value(sql))
        db = sqlite3.connect(self.path, timeout=30)
        try:
            return db.execute(sql).fetchone()[0]
        finally:
            db.close()

    def postmaster(self):
        return self.cluster.primary.pid() if self.cluster else None


class Node:
    """One lecternd on a port of our choosing, its output in a log file in the site folder."""

    def __init__(self, bin_dir, site, name):
        self.name, self.port = name, free_port()
        self.log = os.path.join(site, f"{name}.log")
        self.argv = [os.path.join(bin_dir, "lecternd"), "--config", os.path.join(site, "lectern.toml"),
                     "--port", str(self.port)]
        self.process = None

    def start(self, timeout=60):
        env = dict(os.environ, LECTERN_STRIPE_WEBHOOK_SECRET=SECRET, LOG_LEVEL="warning")
        env.pop("LECTERN_DATABASE_URL", None)  # the site's lectern.toml names the database
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                            stdin=subprocess.DEVNULL)

        def answers():
            if self.process.poll() is not None:
                raise Failure(f"{self.name} exited {self.process.returncode}: {self.tail()}")
            try:
                request(self.port, "GET", "/healthz", timeout=2)
                return True
            except (OSError, http.client.HTTPException):
                return False
        if not wait_until(answers, timeout, 0.05):
            raise Failure(f"{self.name} did not answer in {timeout} s: {self.tail()}")

    def tail(self):
        try:
            with open(self.log, errors="replace") as f:
                return " | ".join(f.read().strip().splitlines()[-5:])
        except OSError:
            return ""

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Nginx:
    """nginx in front of the nodes: round robin, HTTP/1.1 keep-alive to each upstream."""

    def __init__(self, site, nodes):
        self.dir = os.path.join(site, "nginx")
        self.port = free_port()
        self.conf = nginx_upstream.write_conf(
            self.dir, self.port, [f"127.0.0.1:{n.port}" for n in nodes],
            location="      proxy_set_header Host $http_host;\n", workers="auto", connections=4096, keepalive=128,
            listen=" backlog=4096", http_extra="  keepalive_requests 1000000;\n")
        self.argv = ["nginx", "-p", self.dir, "-c", self.conf, "-e", f"{self.dir}/error.log"]
        self.process = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        stdin=subprocess.DEVNULL)

        def listens():
            if self.process.poll() is not None:
                raise Failure(f"nginx exited {self.process.returncode} (see {self.dir}/error.log)")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                return False
        if not wait_until(listens, 10, 0.05):
            raise Failure("nginx did not listen in 10 s")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: fast shutdown, the workers with it
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class RssSampler:
    """Peak VmRSS of each node, sampled every 0.1 s."""

    def __init__(self, nodes):
        self.pids = [n.process.pid for n in nodes]
        self.idle = [rss_kib(p) for p in self.pids]
        self.peak = list(self.idle)
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            for i, pid in enumerate(self.pids):
                self.peak[i] = max(self.peak[i], rss_kib(pid))
            time.sleep(0.1)

    def stop(self):
        if self.running:
            self.running = False
            self.thread.join()


class CpuMeter:
    """Cores busy during one phase: each lecternd, PostgreSQL (postmaster and backends), nginx (master and
    workers), the load generator, and the whole machine (anything else running shows as the difference)."""

    def __init__(self, nodes, db, nginx):
        self.nodes, self.db, self.nginx = nodes, db, nginx

    def snapshot(self):
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        me = resource.getrusage(resource.RUSAGE_SELF)
        return dict(
            wall=time.perf_counter(), machine=machine_busy_seconds(),
            lecternd=sum(cpu_seconds(n.process.pid) for n in self.nodes),
            postgres=tree_cpu_seconds(self.db.postmaster()),
            nginx=tree_cpu_seconds(self.nginx.process.pid) if self.nginx else 0.0,
            client=me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime)

    def __enter__(self):
        self.before = self.snapshot()
        return self

    def __exit__(self, *exc):
        after = self.snapshot()
        wall = after["wall"] - self.before["wall"]
        self.cores = {k: (after[k] - self.before[k]) / wall for k in after if k != "wall"}


def stripe_bodies(count, now):
    """`count` signed (body, header): 80 % distinct purchases, the rest repeats of them, shuffled."""
    unique = int(count * 0.8)
    bodies = []
    for i in range(unique):
        obj = {"id": f"cs_{i}", "object": "checkout.session", "payment_status": "paid", "amount_total": 4900,
               "currency": "usd", "payment_intent": f"pi_{i}", "metadata": {"course": COURSE},
               "customer_details": {"email": f"buyer{i}@example.com"}}
        bodies.append(json.dumps({"id": f"evt_{i}", "object": "event", "type": "checkout.session.completed",
                                  "created": now, "data": {"object": obj}}))
    rng = random.Random(7)
    bodies += [rng.choice(bodies) for _ in range(count - unique)]
    rng.shuffle(bodies)
    return unique, [(b.encode(), stripe.WebhookSignature.generate_signature_header(b, SECRET, timestamp=now))
                    for b in bodies]


def post_webhooks(port, signed, connections):
    """Sends every signed event once on `connections` keep-alive connections. A request that fails at the
    socket (a connection the server closed while idle) is sent again on a new connection, as a provider
    retries; its latency counts from the first attempt. Returns (elapsed, sorted latencies, statuses,
    retries)."""
    latencies, statuses, retries = [], {}, [0]
    lock = threading.Lock()

    def worker(items):
        conn, local, local_status, local_retries = None, [], {}, 0
        for body, header in items:
            start = time.perf_counter()
            for attempt in range(4):
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    conn.request("POST", "/webhooks/stripe", body=body,
                                 headers={"Stripe-Signature": header, "Content-Type": "application/json"})
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                    break
                except (OSError, http.client.HTTPException):
                    if conn:
                        conn.close()
                    conn, status = None, "socket error"
                    local_retries += 1
            local.append(time.perf_counter() - start)
            local_status[status] = local_status.get(status, 0) + 1
        if conn:
            conn.close()
        with lock:
            latencies.extend(local)
            for k, v in local_status.items():
                statuses[k] = statuses.get(k, 0) + v
            retries[0] += local_retries

    threads = [threading.Thread(target=worker, args=(signed[i::connections],)) for i in range(connections)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return elapsed, sorted(latencies), statuses, retries[0]


def wrk(port, seconds, connections, cookie):
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}",
            f"http://127.0.0.1:{port}{LESSON}"]
    out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=seconds + 60).stdout

    def latency(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\b", out, re.MULTILINE)
        return float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return dict(rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), p50=latency(50),
                p99=latency(99), non2xx=int(non2xx.group(1)) if non2xx else 0,
                errors=sum(int(g) for g in errors.groups()) if errors else 0,
                requests=int(re.search(r"(\d+) requests in", out).group(1)), argv=argv)


def buyer_cookie(site, nodes, entry_port):
    """A buyer's sign-in cookie, as gate.py gets it (a grant, the link in its e-mail), checked on every node
    and through `entry_port`: each serves the watermarked lesson with it."""
    before = set(glob.glob(os.path.join(site, "mail", "*.eml")))
    subprocess.run([os.path.join(os.path.dirname(nodes[0].argv[0]), "lectern"), "grant", "--root", site,
                    "--email", READER, "--course", COURSE], check=True, capture_output=True)
    link = [None]

    def mailed():
        for path in set(glob.glob(os.path.join(site, "mail", "*.eml"))) - before:
            with open(path, errors="replace") as f:
                text = f.read()
            if READER in text:
                found = re.search(r"/learn/\S+\?token=[^\s\"<>]+", text)
                if found:
                    link[0] = found.group(0)
                    return True
        return False
    if not wait_until(mailed, 30):
        raise Failure(f"no e-mail with a link for {READER} in 30 s")
    status, headers, _ = request(nodes[0].port, "GET", link[0])
    cookies = [v.split(";")[0] for k, v in headers if k.lower() == "set-cookie" and v.startswith("lectern_access=")]
    if not cookies:
        raise Failure(f"the sign-in link answered {status} without a lectern_access cookie")
    cookie = cookies[0]
    for name, port in [(n.name, n.port) for n in nodes] + ([("nginx", entry_port)] if len(nodes) > 1 else []):
        status, _, page = request(port, "GET", LESSON, headers={"Cookie": cookie})
        if status != 200 or f"Licensed to {READER}".encode() not in page:
            raise Failure(f"{name} did not serve the watermarked lesson with the buyer's cookie ({status})")
    return cookie, len(page)


def run_row(key, args, bin_dir, signed, unique, cores):
    label, count, postgres = CONFIGS[key]
    with contextlib.ExitStack() as stack:
        site = example_site.make(bin_dir, prefix=f"lectern-{key}-")
        stack.callback(shutil.rmtree, site, True)
        db = Database(site, postgres, stack)
        if postgres:
            with open(os.path.join(site, "lectern.toml"), "a") as f:
                f.write(f'\n[daemon]\ndatabase = "{db.url}"\n')
        nodes = [Node(bin_dir, site, f"node{i + 1}") for i in range(count)]
        for node in nodes:  # one after the other: the first creates the schema
            stack.callback(node.stop)
            node.start()
        nginx = None
        if count > 1:
            nginx = Nginx(site, nodes)
            stack.callback(nginx.stop)
        entry = nginx.port if nginx else nodes[0].port
        time.sleep(0.5)
        rss = RssSampler(nodes)
        stack.callback(rss.stop)

        with CpuMeter(nodes, db, nginx) as hook_cpu:
            elapsed, latencies, statuses, retries = post_webhooks(entry, signed, args.connections)
        non200 = sum(v for k, v in statuses.items() if k != 200)
        stored = db.value("SELECT COUNT(*) FROM webhook_events")
        grants = db.value("SELECT COUNT(*) FROM grants")
        if non200 or stored != unique or grants != unique:
            raise Failure(f"webhooks: statuses {statuses}, events stored {stored}, grants {grants} "
                          f"(expected {unique} each)")
        unsent = lambda: db.value("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL") == 0
        drain_start = time.time()
        if not wait_until(unsent, 300, 0.25):
            raise Failure("the outbox did not drain in 300 s")
        drain = time.time() - drain_start

        cookie, page_bytes = buyer_cookie(site, nodes, entry)
        with CpuMeter(nodes, db, nginx) as page_cpu:
            pages = wrk(entry, args.seconds, args.wrk_connections, cookie)
        rss.stop()
        if pages["non2xx"] or pages["errors"]:
            raise Failure(f"pages: {pages['non2xx']} non-2xx responses, {pages['errors']} socket errors")

        mib = lambda values: " / ".join(f"{v / 1024:.0f}" for v in values)
        how = "direct" if count == 1 else "through nginx"
        row = (f"| {label} ({how}) | {len(signed) / elapsed:,.0f} events/s ({len(signed) / elapsed / cores:,.0f}/core) "
               f"| p50 {ms(percentile(latencies, 0.5))}, p99 {ms(percentile(latencies, 0.99))} "
               f"| {pages['rps']:,.0f} pages/s ({pages['rps'] / cores:,.0f}/core) "
               f"| p50 {ms(pages['p50'])}, p99 {ms(pages['p99'])} "
               f"| peak {mib(rss.peak)} MiB (idle {mib(rss.idle)}) |")
        fmt = lambda c: " | ".join(f"{c[k]:.2f}" for k in ("lecternd", "postgres", "nginx", "client", "machine"))
        cpu_rows = [f"| {label} | webhooks | {fmt(hook_cpu.cores)} |", f"| {label} | pages | {fmt(page_cpu.cores)} |"]
        note = (f"{label}: {unique:,} events and grants stored once each ({len(signed) - unique:,} repeats), "
                f"{retries} resent after a socket error; outbox of {unique:,} e-mails drained {drain:.1f} s after; "
                f"{pages['requests']:,} pages of {page_bytes:,} bytes, 0 non-2xx"
                + (f"; PostgreSQL {db.version}: {db.settings}" if postgres else "; SQLite synchronous = FULL"))
        site_cmds = [f"# site: Tests/peers/example_site.make (copy of the example, [mail] transport = \"file\", "
                     f"keys, built) in $SITE" + ('; lectern.toml += [daemon] database = "postgres://lectern@127.0.0.1:PORT/lectern"' if postgres else "")]
        site_cmds += db.commands
        site_cmds += [f"LECTERN_STRIPE_WEBHOOK_SECRET={SECRET} LOG_LEVEL=warning "
                      + shlex.join(n.argv).replace(site, "$SITE") for n in nodes]
        if nginx:
            site_cmds.append(shlex.join(nginx.argv).replace(site, "$SITE")
                             + "   # upstream of the nodes, keepalive 128, worker_processes auto")
        site_cmds.append(f"# webhooks: {len(signed):,} signed POST /webhooks/stripe on {args.connections} keep-alive "
                         f"connections to 127.0.0.1:{entry}")
        site_cmds.append(shlex.join(pages["argv"]).replace(cookie, "lectern_access=…"))
        return row, cpu_rows, note, site_cmds


def binaries(requested, configs):
    bin_dir = requested or os.path.join(ROOT, ".build", "release")
    for tool in ("lectern", "lecternd"):
        if not os.access(os.path.join(bin_dir, tool), os.X_OK):
            sys.exit(f"no {tool} in {bin_dir}: build first (swift build -c release), or pass --bin DIR")
    if any(CONFIGS[c][2] for c in configs):
        helptext = subprocess.run([os.path.join(bin_dir, "lecternd"), "--help"], capture_output=True, text=True).stdout
        if "postgres" not in helptext:
            sys.exit(f"{bin_dir}/lecternd predates PostgreSQL support (its --help does not mention postgres): "
                     f"rebuild (swift build -c release), or pass --bin DIR")
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install wrk nginx")
    return os.path.abspath(bin_dir)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", help="folder of release lectern and lecternd (default: .build/release)")
    ap.add_argument("--configs", default="sqlite,postgres,postgres3", help="rows: sqlite, postgres, postgres3")
    ap.add_argument("--events", type=int, default=4000, help="webhooks sent, 20 %% of them repeats")
    ap.add_argument("--connections", type=int, default=8, help="webhook connections")
    ap.add_argument("--seconds", type=int, default=10, help="wrk's duration")
    ap.add_argument("--wrk-connections", type=int, default=64)
    args = ap.parse_args()
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    for c in configs:
        if c not in CONFIGS:
            sys.exit(f"unknown config {c!r}: choose from {', '.join(CONFIGS)}")
    bin_dir = binaries(args.bin, configs)
    cores = len(os.sched_getaffinity(0))

    # SIGINT, SIGTERM and SIGHUP unwind (KeyboardInterrupt), so every process and folder goes; a second
    # signal is ignored rather than cutting the cleanup short.
    def interrupted(signum, frame):
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        raise KeyboardInterrupt(f"signal {signum}")
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, interrupted)

    # Everything temporary goes under one folder (sites, PostgreSQL's data, nginx's files), removed at the end
    # whatever happens; postgres (not root) must be able to reach its data through it.
    work = tempfile.mkdtemp(prefix="lectern-nodes-bench-")
    os.chmod(work, 0o755)
    tempfile.tempdir = work
    rows, cpu_rows, notes, commands, failed = [], [], [], [], []
    try:
        unique, signed = stripe_bodies(args.events, int(time.time()))
        for key in configs:
            try:
                if key != configs[0]:
                    # The signatures carry the time: sign anew so no row's events grow too old for lecternd.
                    unique, signed = stripe_bodies(args.events, int(time.time()))
                row, cpu, note, cmds = run_row(key, args, bin_dir, signed, unique, cores)
                rows.append(row)
                cpu_rows += cpu
                notes.append(note)
                commands.append((CONFIGS[key][0], cmds))
            except Exception as error:  # the row fails, its processes and folders are gone; the next runs
                detail = error.stderr if isinstance(error, subprocess.CalledProcessError) and error.stderr else ""
                failed.append(f"{CONFIGS[key][0]}: {error} {detail}".strip())
                rows.append(f"| {CONFIGS[key][0]} | failed: {str(error).replace('|', '/')} | | | | |")
    finally:
        tempfile.tempdir = None
        shutil.rmtree(work, ignore_errors=True)

    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    print(f"## Nodes: durable webhooks and watermarked pages, SQLite and PostgreSQL\n")
    print(f"{cores} cores ({model}); binaries {bin_dir}. Webhooks: {args.events:,} signed Stripe events "
          f"({args.events - int(args.events * 0.8):,} repeats), {args.connections} keep-alive connections "
          f"(Python client). Pages: wrk, {args.wrk_connections} connections, {args.seconds} s, one buyer's "
          f"cookie. The load generator shares the {cores} cores; /core = total ÷ {cores}. RSS per node in MiB, "
          f"node 1 / 2 / 3.\n")
    print("| configuration | durable webhooks | webhook latency | watermarked pages | page latency | RSS per node |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    if cpu_rows:
        print("\nWhere the CPU went, in cores busy (CPU seconds ÷ wall seconds of the phase; \"machine\" is every "
              "process, so machine − the others = anything else running):\n")
        print("| configuration | phase | lecternd (all nodes) | PostgreSQL | nginx | load generator | machine |")
        print("|---|---|---|---|---|---|---|")
        for row in cpu_rows:
            print(row)
    if notes:
        print()
        for note in notes:
            print(f"- {note}")
    print("\nCommands:\n\n```")
    print(f"python3 Benchmarks/nodes.py {shlex.join(sys.argv[1:])}".rstrip())
    for label, cmds in commands:
        print(f"# {label}")
        for cmd in cmds:
            print(cmd)
    print("```")
    if failed:
        sys.exit("failed: " + "; ".join(failed))


if __name__ == "__main__":
    main()
