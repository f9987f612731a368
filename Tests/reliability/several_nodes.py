#!/usr/bin/env python3
"""Several nodes: three lecternd behind a real nginx, sharing one PostgreSQL primary that has a synchronous
streaming replica (Tests/peers/pg_cluster.py); mail over SMTP to aiosmtpd.

Why: with PostgreSQL, lecternd runs as several nodes, and what one node's crash, the database's restart
or a failover to the replica must not cost is what a single SQLite node already promises: every
acknowledged event stored exactly once, one e-mail per buyer, and a refund on one node closing the lesson
on every other node soon after.

1. Load: N Stripe purchases (distinct buyers, payment_intent pi_i) and ~20 % duplicates, sent through
   nginx by several senders that retry each event until a 2xx, as providers do. Meanwhile: kill -9 of a
   random node then its restart, several rounds, and one immediate restart of the PostgreSQL primary.
   Then in PostgreSQL: every event once, orders == grants == N, no order with two grants.
2. Mail: a node killed while sending leaves its messages leased for 20 minutes (Outbox.lease); a node
   started with its clock 25 minutes ahead (faketime) sends them. Every buyer then has mail, and exactly
   one distinct Message-ID (a redelivery with the same Message-ID is counted, and allowed).
3. Revocation across nodes: a buyer signs in on node B and reads a paid lesson; a refund goes to node A;
   node B is asked every ~2 ms until it answers 403. The delay from A's 2xx to the arrival of B's first
   403 (one request's time included) is reported as p50/p99/max; one that never comes within 5 s fails.
4. Failover: while senders post new purchases through nginx, the primary is killed (-9) and the replica
   promoted; the nodes find it through the multi-host URL by themselves. Reported: the time from the kill
   (and from the promotion) to the first 2xx of a request sent after the kill. Then every event ever
   acknowledged must be in the promoted database, exactly once.

Prints one summary line; exits 1 with the reasons if a check fails.

usage: several_nodes.py --bin DIR [--events 300] [--seed N] [--rounds 5] [--senders 6] [--revocations 30]
                        [--keep]  (keeps the site folder with each node's log)
"""
import argparse, http.client, json, os, queue, random, re, shutil, signal, socket, statistics, subprocess, sys
import tempfile, threading, time, traceback, urllib.parse
from email.utils import parsedate_to_datetime

import stripe
from aiosmtpd.controller import Controller

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Tests", "peers"))
sys.path.insert(0, os.path.join(ROOT, "Tests", "reliability"))
import nginx_upstream  # noqa: E402
import pg_cluster  # noqa: E402
from pg_cluster import free_port, wait_until  # noqa: E402
from faults_under_load import Mailbox, smtp_port  # noqa: E402

SECRET = "whsec_several_nodes"
COURSE = "practical-sqlite"
LESSON = f"/learn/{COURSE}/schema-design/"  # a paid lesson of the example course
CLOCK_AHEAD = 25 * 60  # past Outbox.lease (20 min): every lease a killed node left has run out



def request(port, method, path, body=None, headers=None, timeout=10):
    """One request on a fresh connection: (status, headers with every Set-Cookie joined, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        found = dict(response.getheaders())
        cookies = [v.split(";")[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
        if cookies:
            found["Set-Cookie"] = "; ".join(cookies)
        return response.status, found, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def stripe_headers(body):
    # Signed anew at each attempt, as Stripe does (the signature carries the time).
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET, timestamp=int(time.time()))
    return {"Stripe-Signature": header, "Content-Type": "application/json"}


def purchase(prefix, i):
    """(event id, body) of a paid Checkout Session by buyer `<prefix><i>@example.com`, payment pi_<prefix><i>."""
    obj = {"id": f"cs_{prefix}{i}", "object": "checkout.session", "payment_status": "paid", "amount_total": 4900,
           "currency": "usd", "payment_intent": f"pi_{prefix}{i}", "metadata": {"course": COURSE},
           "customer_details": {"email": f"{prefix}{i}@example.com"}}
    event = f"evt_{prefix}{i}"
    return event, json.dumps({"id": event, "object": "event", "type": "checkout.session.completed",
                              "created": int(time.time()), "data": {"object": obj}})


def refund(payment_intent):
    obj = {"id": f"ch_{payment_intent}", "object": "charge", "payment_intent": payment_intent, "amount": 4900,
           "amount_refunded": 4900, "refunded": True}
    event = f"evt_refund_{payment_intent}"
    return event, json.dumps({"id": event, "object": "event", "type": "charge.refunded", "created": int(time.time()),
                              "data": {"object": obj}})


class Site:
    """The example site: mail over SMTP with no hold, `[daemon] database` the cluster's multi-host URL."""

    def __init__(self, bin_dir, smtp, database):
        self.bin_dir, self.root = bin_dir, tempfile.mkdtemp(prefix="lectern-nodes-")
        for item in ("content", "site-template", "lectern.toml"):
            src = os.path.join(ROOT, item)
            (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(self.root, item))
        # The repository's lectern.toml has its [daemon] table commented out: this is the only one (TOML
        # forbids two).
        with open(os.path.join(self.root, "lectern.toml"), "a") as f:
            f.write(f'\n[mail]\ntransport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp}\n'
                    f'from = "School <school@example.com>"\nhold_seconds = 0\n'
                    f'\n[daemon]\ndatabase = "{database}"\n')
        for args in (("keys", "generate"), ("build", "--quiet")):
            subprocess.run([os.path.join(bin_dir, "lectern"), *args, "--root", self.root], check=True,
                           capture_output=True, text=True)


class Node:
    """One lecternd on a fixed port (nginx's upstream names it), its output appended to a log file."""

    def __init__(self, site, name, port=None):
        self.site, self.name, self.port = site, name, port or free_port()
        self.log = os.path.join(site.root, f"{name}.log")
        self.process, self.pid, self.starts = None, None, 0

    def start(self, clock_ahead=0, timeout=60):
        """Starts it and waits until it answers; started again if it exits first (it cannot open the store
        while PostgreSQL restarts)."""
        env = dict(os.environ, LECTERN_STRIPE_WEBHOOK_SECRET=SECRET, LOG_LEVEL="error")
        clock = []
        if clock_ahead:
            # The wall clock only (timers stay monotonic), through faketime's wrapper as faults_under_load.py.
            clock = ["faketime", "-f", f"+{clock_ahead}"]
            env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(self.log, "a") as log:
                self.process = subprocess.Popen(
                    clock + [os.path.join(self.site.bin_dir, "lecternd"), "--config",
                             os.path.join(self.site.root, "lectern.toml"), "--port", str(self.port)],
                    stdout=log, stderr=subprocess.STDOUT, env=env)
            self.starts += 1
            while time.time() < deadline and self.process.poll() is None:
                try:
                    request(self.port, "GET", "/healthz", timeout=2)  # any answer: it listens
                    self.pid = self.process.pid
                    if clock_ahead:  # the wrapper forks lecternd: signals go to lecternd itself
                        with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as f:
                            self.pid = int(f.read().split()[0])
                    return
                except (OSError, http.client.HTTPException):
                    time.sleep(0.05)
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start in {timeout} s (see {self.log})")

    def kill(self):
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait()


class Nginx:
    """nginx in front of the nodes: a webhook a node fails to answer (refused, reset, 502/503, timeout) is
    passed to the next node, POST included (`non_idempotent`): lecternd stores each event id once."""

    def __init__(self, root, nodes):
        self.dir = os.path.join(root, "nginx")
        self.port = free_port()
        self.conf = nginx_upstream.write_conf(
            self.dir, self.port, [f"127.0.0.1:{n.port} max_fails=1 fail_timeout=2s" for n in nodes],
            location="      proxy_next_upstream error timeout http_502 http_503 non_idempotent;\n"
                     "      proxy_next_upstream_tries 6;\n      proxy_connect_timeout 200ms;\n"
                     "      proxy_read_timeout 20s;\n")
        self.process = subprocess.Popen(["nginx", "-p", self.dir, "-c", self.conf, "-e", f"{self.dir}/error.log"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.time() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"nginx did not start (see {self.dir}/error.log)")
                time.sleep(0.05)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: nginx's fast shutdown
            self.process.wait(timeout=10)


class Senders:
    """Threads posting webhooks to `port` (nginx), each event until a 2xx, as a provider retries.

    `next_event()` gives the next (event id, body), or None when there is no more. Every attempt is kept as
    (start, end, event, status) for the timings."""

    def __init__(self, port, next_event, count):
        self.port, self.next_event, self.lock = port, next_event, threading.Lock()
        self.acked, self.statuses, self.attempts = {}, {}, []
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(count)]
        for t in self.threads:
            t.start()

    def run(self):
        conn = None
        while (item := self.next_event()) is not None:
            event, body = item
            while True:
                start, status = time.time(), "error"
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                    conn.request("POST", "/webhooks/stripe", body=body.encode(), headers=stripe_headers(body))
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = None
                end = time.time()
                with self.lock:
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                    self.attempts.append((start, end, event, status))
                    if status == 200:
                        self.acked.setdefault(event, end)
                if status == 200:
                    break
                time.sleep(0.05)

    def running(self):
        return any(t.is_alive() for t in self.threads)

    def join(self, timeout):
        deadline = time.time() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.time()))
        return not self.running()

    def longest(self):
        """The longest a single attempt waited for its answer, in seconds."""
        with self.lock:
            return max((end - start for start, end, _, _ in self.attempts), default=0.0)

    def retries(self):
        return sum(n for status, n in self.statuses.items() if status != 200)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]



def load(args, rng, nginx, nodes, cluster, failures):
    """Step 1: purchases with duplicates through nginx, node kills and one primary restart meanwhile."""
    events = [purchase("buyer", i) for i in range(args.events)]
    sends = events + [rng.choice(events) for _ in range(args.events // 5)]  # providers also send duplicates
    rng.shuffle(sends)
    work = queue.Queue()
    for item in sends:
        work.put(item)

    def next_event():
        try:
            return work.get_nowait()
        except queue.Empty:
            return None

    started = time.time()
    senders = Senders(nginx.port, next_event, args.senders)
    # The chaos keeps to a plan the seed replays: the primary restarted once, early (so a faster build's
    # shorter load still sees it), then a random node killed and restarted each round while events arrive.
    time.sleep(rng.uniform(0.2, 0.5))
    during, t = senders.running(), time.time()
    cluster.primary.restart_immediately()
    pg_restart = time.time() - t
    kills = 0
    for _ in range(args.rounds):
        time.sleep(rng.uniform(0.2, 0.8))
        if not senders.running():
            break
        node = rng.choice(nodes)
        node.kill()
        kills += 1
        time.sleep(rng.uniform(0.0, 0.3))
        node.start()
    if not during:
        failures.append("load: it ended before the primary's restart (raise --events)")
    if kills < 2:
        failures.append(f"load: it ended after {kills} node kills (raise --events for several rounds)")
    if not senders.join(120):
        failures.append(f"load: events not acknowledged after 120 s ({work.qsize()} never sent)")
    duration = time.time() - started
    return events, sends, senders, kills, pg_restart, duration


def check_store(db, events, expected_orders, failures, label):
    """Every event in `events` stored exactly once; orders == grants == `expected_orders`; no double grant."""
    ids = ",".join(f"'{e}'" for e in events)
    stored = dict(db.psql(f"SELECT event_id, COUNT(*) FROM webhook_events WHERE event_id IN ({ids}) GROUP BY event_id"))
    missing = [e for e in events if e not in stored]
    twice = [e for e, n in stored.items() if n != "1"]
    orders = int(db.value("SELECT COUNT(*) FROM orders"))
    grants = int(db.value("SELECT COUNT(*) FROM grants"))
    doubled = int(db.value("SELECT COUNT(*) FROM (SELECT order_id FROM grants GROUP BY order_id "
                           "HAVING COUNT(*) > 1) AS d"))
    if missing:
        failures.append(f"{label}: {len(missing)} acknowledged events missing {missing[:5]}")
    if twice:
        failures.append(f"{label}: events stored more than once {twice[:5]}")
    if orders != expected_orders or grants != expected_orders:
        failures.append(f"{label}: {orders} orders, {grants} grants, expected {expected_orders} each")
    if doubled:
        failures.append(f"{label}: {doubled} orders with more than one grant")
    return len(stored), orders, grants


def drain_mail(args, site, cluster, mailbox, failures):
    """Step 2: the outbox emptied, stranded leases sent by a node whose clock is past them."""
    db = cluster.primary
    unsent = lambda: int(db.value("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"))
    # What the live nodes send by themselves first (a count that stops falling is only the stranded leases).
    last, still = unsent(), time.time()
    while last and time.time() - still < 3:
        time.sleep(0.25)
        now = unsent()
        if now != last:
            last, still = now, time.time()
    stranded = last
    late = Node(site, "node-ahead")
    late.start(clock_ahead=CLOCK_AHEAD)
    drained = wait_until(lambda: unsent() == 0, 60, 0.2)
    late.stop()
    if not drained:
        rows = db.psql("SELECT id, recipient, attempts, next_attempt_at, last_error FROM outbox "
                       "WHERE sent_at IS NULL ORDER BY id LIMIT 5")
        failures.append(f"mail: {unsent()} outbox messages unsent after the node ahead ran, e.g. {rows}")
    buyers = [f"buyer{i}@example.com" for i in range(args.events)]
    wait_until(lambda: len(set(mailbox.per_recipient()) & set(buyers)) == len(buyers), 30)
    time.sleep(1)  # a late redelivery would arrive now
    with mailbox.lock:
        messages = list(mailbox.messages)
    ids, total = {}, {}
    for rcpt, mid, _ in messages:
        ids.setdefault(rcpt, set()).add(mid)
        total[rcpt] = total.get(rcpt, 0) + 1
    without = [b for b in buyers if b not in ids]
    several = {b: sorted(ids[b]) for b in buyers if len(ids.get(b, ())) > 1}
    redelivered = sum(total[b] - len(ids[b]) for b in buyers if b in ids)
    if without:
        failures.append(f"mail: {len(without)} buyers without mail {without[:5]}")
    if several:
        failures.append(f"mail: {len(several)} buyers got different e-mails {list(several.items())[:3]}")
    return stranded, redelivered, sum(total.values())


def sent_on_time(text):
    """Whether the message's Date is the real time, not the node ahead's (its links are not valid yet)."""
    m = re.search(r"^Date: (.+)$", text, re.MULTILINE)
    return m is not None and abs(parsedate_to_datetime(m.group(1).strip()).timestamp() - time.time()) < 600


def link_path(text):
    """Path and query of the signed link in a message (quoted-printable soft breaks undone)."""
    text = text.replace("=\r\n", "").replace("=\n", "")
    url = re.search(r"https?://\S+/learn/\S+token=[A-Za-z0-9._=-]+", text).group(0)
    parts = urllib.parse.urlsplit(url)
    return parts.path + "?" + parts.query


def revocations(args, rng, nodes, mailbox, failures):
    """Step 3: sign in and read on node B, refund on node A, poll B until 403."""
    # A buyer's link from a message a node with the right clock sent (a redelivery by the node ahead has
    # the same Message-ID, and a link not valid for 25 minutes).
    link_of = {}
    with mailbox.lock:
        for rcpt, _, text in mailbox.messages:
            if rcpt.startswith("buyer") and sent_on_time(text):
                link_of.setdefault(rcpt, text)
    on_time = sorted(link_of)
    chosen = rng.sample(on_time, min(args.revocations, len(on_time)))
    if len(chosen) < args.revocations:
        failures.append(f"revocation: only {len(chosen)} buyers had a link sent on time")
    delays, refunds, stale_reads = [], [], 0
    for buyer in chosen:
        a, b = rng.sample(nodes, 2)
        status, headers, _ = request(b.port, "GET", link_path(link_of[buyer]))
        cookie = headers.get("Set-Cookie", "")
        if status != 303 or not cookie:
            failures.append(f"revocation: {buyer}'s link on {b.name} answered {status} (cookie: {bool(cookie)})")
            continue
        status, _, page = request(b.port, "GET", LESSON, headers={"Cookie": cookie})
        if status != 200 or buyer not in page:  # the page's stamp names the buyer
            failures.append(f"revocation: {buyer} read the lesson on {b.name}: {status}")
            continue
        event, body = refund("pi_" + buyer.split("@")[0])
        status, _, answer = request(a.port, "POST", "/webhooks/stripe", body, stripe_headers(body))
        acked = time.perf_counter()
        if status != 200 or json.loads(answer).get("result") != "refunded":
            failures.append(f"revocation: the refund on {a.name} answered {status} {answer[:200]}")
            continue
        refunds.append(event)
        conn, first_403 = None, None
        while time.perf_counter() - acked < 5:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", b.port, timeout=5)
                conn.request("GET", LESSON, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                if response.status == 403:
                    first_403 = time.perf_counter()
                    break
                stale_reads += response.status == 200
            except (OSError, http.client.HTTPException):
                conn = None
            time.sleep(0.002)
        if conn is not None:
            conn.close()
        if first_403 is None:
            failures.append(f"revocation: {buyer} still not 403 on {b.name} 5 s after the refund on {a.name}")
        else:
            delays.append((first_403 - acked) * 1000)
    return delays, refunds, stale_reads


def failover(args, nginx, cluster, failures):
    """Step 4: new purchases through nginx while the primary dies and the replica is promoted."""
    counter, lock, stop = [0], threading.Lock(), threading.Event()

    def next_event():
        if stop.is_set():
            return None
        with lock:
            counter[0] += 1
            return purchase("fo", counter[0])

    senders = Senders(nginx.port, next_event, args.senders)
    time.sleep(1.5)  # acknowledged events before the kill, with their commits on both servers
    before = len(senders.acked)
    killed = time.time()
    cluster.primary.kill9()
    # A failover manager's reaction, kept short: the time counted is lecternd's, not the manager's.
    time.sleep(0.2)
    promoting = time.time()
    cluster.replica.promote()
    promoted = time.time()

    def first_ack_after_kill():
        with senders.lock:
            return min((end for start, end, _, status in senders.attempts if start > killed and status == 200),
                       default=None)

    if not wait_until(lambda: first_ack_after_kill() is not None, 60, 0.02):
        failures.append("failover: no event acknowledged within 60 s of the primary's death")
    time.sleep(1.5)  # events acknowledged by the promoted server too
    stop.set()
    if not senders.join(60):
        failures.append("failover: events still not acknowledged 60 s after the senders stopped")
    first = first_ack_after_kill()
    with senders.lock:
        failed_during = sum(1 for start, _, _, status in senders.attempts if start > killed and status != 200)
    return {"acked": dict(senders.acked), "before": before, "sent": counter[0],
            "unavailable": None if first is None else first - killed,
            "after_promote": None if first is None else first - promoted,
            "promote_took": promoted - promoting, "failed_attempts": failed_during}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--events", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--senders", type=int, default=6)
    ap.add_argument("--revocations", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folders (logs) afterwards")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    # SIGTERM (a CI timeout) unwinds like an error: the servers and nodes below are stopped, not left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("several nodes: terminated"))
    failures, started = [], time.time()

    mailbox = Mailbox()
    port = smtp_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    cluster = pg_cluster.Cluster()
    site, nodes, nginx = None, [], None
    try:
        cluster.start()
        site = Site(args.bin, port, cluster.url())
        nodes = [Node(site, f"node{i + 1}") for i in range(3)]
        for node in nodes:
            node.start()
        nginx = Nginx(site.root, nodes)

        events, sends, senders, kills, pg_restart, load_time = load(args, rng, nginx, nodes, cluster, failures)
        acked = set(senders.acked)
        stored, orders, grants = check_store(cluster.primary, [e for e, _ in events], args.events, failures, "load")
        stranded, redelivered, mails = drain_mail(args, site, cluster, mailbox, failures)
        delays, refunds, stale = revocations(args, rng, nodes, mailbox, failures)
        acked |= set(refunds)
        fo = failover(args, nginx, cluster, failures)
        acked |= set(fo["acked"])
        promoted = cluster.replica
        if promoted.value("SELECT pg_is_in_recovery()") != "f":
            failures.append("failover: the replica is still in recovery")
        # Everything ever acknowledged, on the promoted server, once; one order and one grant per purchase.
        check_store(promoted, sorted(acked), args.events + len(fo["acked"]), failures, "after failover")
        revoked = int(promoted.value("SELECT COUNT(*) FROM grants WHERE revoked_at IS NOT NULL"))
        if revoked != len(refunds):
            failures.append(f"after failover: {revoked} grants revoked, expected {len(refunds)}")

        ms = lambda s: "n/a" if s is None else f"{s * 1000:.0f} ms"
        revocation = (f"p50 {statistics.median(delays):.1f} ms, p99 {percentile(delays, 99):.1f} ms, "
                      f"max {max(delays):.1f} ms" if delays else "none measured")
        print(f"several nodes: {len(sends)} sends ({len(sends) - args.events} duplicates) through nginx to 3 nodes "
              f"in {load_time:.1f} s, {kills} kill -9 rounds, primary restarted once ({pg_restart:.1f} s), "
              f"{senders.retries()} retries {dict(sorted((str(k), v) for k, v in senders.statuses.items()))}, "
              f"longest answer {senders.longest():.1f} s; "
              f"stored {stored} events, {orders} orders, {grants} grants; mail: {mails} messages, "
              f"{stranded} stranded leases sent by a node {CLOCK_AHEAD // 60} min ahead, {redelivered} same-ID "
              f"redeliveries; revocation across nodes ({len(delays)}): {revocation}, {stale} stale 200s; "
              f"failover: unavailable {ms(fo['unavailable'])} from kill -9, {ms(fo['after_promote'])} from "
              f"promote (promote took {ms(fo['promote_took'])}), {fo['failed_attempts']} failed attempts, "
              f"{fo['before']} + {len(fo['acked']) - fo['before']} events acknowledged before + after, all in "
              f"the promoted database once; {len(acked)} acknowledged in all (seed {args.seed}, "
              f"{time.time() - started:.0f} s)", flush=True)
    except Exception as error:  # a broken step is a failure with its reason, after the cleanup below
        traceback.print_exc()
        failures.append(f"{type(error).__name__}: {error}")
    finally:
        for node in nodes:
            try:
                node.stop()
            except Exception:
                pass
        if nginx:
            nginx.stop()
        controller.stop()
        cluster.stop()
        if failures and site:
            for node in nodes:  # the nodes' own words, for the report
                with open(node.log, errors="replace") as f:
                    tail = f.read()[-1500:]
                if tail.strip():
                    print(f"--- {node.name} log (last lines) ---\n{tail}", file=sys.stderr)
        if site and not args.keep:
            shutil.rmtree(site.root, ignore_errors=True)
        elif site:
            print(f"kept {site.root}", file=sys.stderr)
    if failures:
        sys.exit("several nodes FAILED:\n  " + "\n  ".join(failures))


if __name__ == "__main__":
    main()
