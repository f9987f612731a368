#!/usr/bin/env python3
"""Faults under load (issue 18), each against a real lecternd whose mail goes over SMTP to aiosmtpd:

- sigstop: lecternd frozen (SIGSTOP) for 2 s every 0.3 s while purchases arrive and once while the
  e-mails drain; senders time out after 1 s and retry, as providers do.
- backup-rebuild: `lectern backup` and `lectern build` (every lesson edited) run at least five times
  each, for as long as purchases arrive, while a buyer reads a paid lesson in a loop: every read is the
  buyer's stamped page, the page follows each build, every backup is one consistent instant.
- clock-skew: lecternd with its clock 200 s ahead (libfaketime) e-mails a link; with the clock right
  again the link is "not valid yet" (not "does not work") and the page's form sends one that opens. With
  the clock 10 minutes ahead every webhook is refused as stale (nothing written); the provider's
  retries land once the clock is right.

Afterwards, per scenario: every event stored once, every buyer exactly one e-mail per link asked for,
SQLite's integrity check ok. Prints one row per scenario for docs/reliability.md; exits 1 with the
reasons if any check fails.

usage: faults_under_load.py --bin DIR [--events 300] [--only sigstop,backup-rebuild,clock-skew]
"""
import argparse, glob, http.client, json, os, random, re, shutil, signal, socket, sqlite3, subprocess, sys, tempfile
import threading, time, unicodedata, urllib.parse

import stripe
from aiosmtpd.controller import Controller

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "whsec_faults_under_load"
COURSE = "practical-sqlite"


class Mailbox:
    """aiosmtpd handler: every message kept as (recipient, Message-ID, body)."""

    def __init__(self):
        self.lock, self.messages = threading.Lock(), []

    async def handle_DATA(self, server, session, envelope):
        text = envelope.content.decode("utf-8", "replace")
        mid = next((l for l in text.splitlines() if l.lower().startswith("message-id:")), "")
        with self.lock:
            self.messages.extend((rcpt, mid, text) for rcpt in envelope.rcpt_tos)
        return "250 OK"

    def per_recipient(self):
        with self.lock:
            counts = {}
            for rcpt, _, _ in self.messages:
                counts[rcpt] = counts.get(rcpt, 0) + 1
            return counts

    def wait(self, recipients, timeout):
        """Waits until `recipients` distinct addresses have mail, then 2 s more (a duplicate would come now)."""
        deadline = time.time() + timeout
        while time.time() < deadline and len(self.per_recipient()) < recipients:
            time.sleep(0.1)
        time.sleep(2)
        return self.per_recipient()

    def link_path(self, recipient, index=-1):
        """Path and query of the signed link in the recipient's message (the last one by default)."""
        with self.lock:
            texts = [t for r, _, t in self.messages if r == recipient]
        text = texts[index].replace("=\r\n", "").replace("=\n", "")
        url = re.search(r"https?://\S+/learn/\S+token=[A-Za-z0-9._=-]+", text).group(0)
        parts = urllib.parse.urlsplit(url)
        return parts.path + "?" + parts.query


class Site:
    """The example site, mail over SMTP to `smtp_port`, keys, built."""

    def __init__(self, bin_dir, smtp_port, name):
        self.bin_dir, self.root = bin_dir, tempfile.mkdtemp(prefix=f"lectern-{name}-")
        for item in ("content", "site-template", "lectern.toml"):
            src = os.path.join(ROOT, item)
            (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(self.root, item))
        with open(os.path.join(self.root, "lectern.toml"), "a") as f:
            f.write(f'\n[mail]\ntransport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\n'
                    f'from = "School <school@example.com>"\nhold_seconds = 0\n')
        self.lectern("keys", "generate")
        self.lectern("build", "--quiet")

    def lectern(self, *args):
        return subprocess.run([os.path.join(self.bin_dir, "lectern"), *args, "--root", self.root], check=True,
                              capture_output=True, text=True).stdout

    def db(self):
        return os.path.join(self.root, "lectern.sqlite")


class Daemon:
    def __init__(self, site):
        self.site, self.process, self.port = site, None, None

    def start(self, clock_ahead=0):
        env = dict(os.environ, LECTERN_STRIPE_WEBHOOK_SECRET=SECRET, LOG_LEVEL="error")
        # Debian's `faketime` (libfaketime) moves the wall clock only; timers (monotonic) stay true. Its
        # wrapper, not a bare LD_PRELOAD: with the library preloaded by hand, NIO's bind failed (EADDRINUSE).
        clock = ["faketime", "-f", f"+{clock_ahead}"] if clock_ahead else []
        if clock_ahead:
            env.update(FAKETIME_DONT_FAKE_MONOTONIC="1")
        self.process = subprocess.Popen(
            clock + [os.path.join(self.site.bin_dir, "lecternd"), "--config", os.path.join(self.site.root, "lectern.toml"),
             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        self.port = int(self.process.stdout.readline().rsplit(" ", 1)[1])
        # The wrapper forks lecternd and waits for it, passing its exit status on; signals go to lecternd.
        self.pid = self.process.pid
        if clock_ahead:
            with open(f"/proc/{self.pid}/task/{self.pid}/children") as f:
                self.pid = int(f.read().split()[0])

    def signal(self, number):
        os.kill(self.pid, number)

    def stop(self):
        self.signal(signal.SIGTERM)
        if self.process.wait(timeout=30) != 0:
            raise SystemExit(f"lecternd exited {self.process.returncode} on SIGTERM")

    def request(self, method, path, body=None, headers=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            headers = dict(response.getheaders())
            # A sign-in sets several cookies (each course's, the library's): keep them all, as a browser would.
            cookies = [value.split(";")[0] for name, value in response.getheaders() if name.lower() == "set-cookie"]
            if cookies:
                headers["Set-Cookie"] = "; ".join(cookies)
            return response.status, headers, response.read().decode("utf-8", "replace")
        finally:
            conn.close()


def purchases(n, prefix):
    now = int(time.time())
    bodies = []
    for i in range(n):
        obj = {"id": f"cs_{prefix}{i}", "payment_status": "paid", "amount_total": 4900, "currency": "usd",
               "payment_intent": f"pi_{prefix}{i}", "metadata": {"course": COURSE},
               "customer_details": {"email": f"{prefix}{i}@example.com"}}
        bodies.append(json.dumps({"id": f"evt_{prefix}{i}", "type": "checkout.session.completed", "created": now,
                                  "data": {"object": obj}}))
    return bodies


class Provider:
    """Senders that retry every event until a 2xx (signing again each time, as Stripe does), with a short
    timeout so a frozen daemon looks like a dead one."""

    def __init__(self, daemon, bodies, senders=4, timeout=2.0):
        self.daemon, self.timeout, self.lock = daemon, timeout, threading.Lock()
        self.pending, self.statuses, self.timeouts = list(bodies), {}, 0
        self.threads = [threading.Thread(target=self.send) for _ in range(senders)]
        for t in self.threads:
            t.start()

    def send(self):
        while True:
            with self.lock:
                if not self.pending:
                    return
                body = self.pending.pop()
            while True:
                header = stripe.WebhookSignature.generate_signature_header(body, SECRET, timestamp=int(time.time()))
                try:
                    status, _, _ = self.daemon.request("POST", "/webhooks/stripe", body, {
                        "Stripe-Signature": header, "Content-Type": "application/json"}, timeout=self.timeout)
                except (OSError, http.client.HTTPException):
                    status = "timeout"
                with self.lock:
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                if status == 200:
                    break
                time.sleep(0.2)

    def running(self):
        return any(t.is_alive() for t in self.threads)

    def join(self):
        for t in self.threads:
            t.join()


def check_store(db_path, events, failures, label):
    db = sqlite3.connect(db_path)
    try:
        if db.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
            failures.append(f"{label}: integrity_check failed")
        stored = db.execute("SELECT COUNT(*) FROM webhook_events").fetchone()[0]
        orders = db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        grants = db.execute("SELECT COUNT(*) FROM grants").fetchone()[0]
        unmailed = db.execute("SELECT COUNT(*) FROM grants g JOIN buyers b ON b.id = g.buyer_id WHERE NOT EXISTS "
                              "(SELECT 1 FROM outbox o WHERE o.recipient = b.email)").fetchone()[0]
        if events is not None and stored != events:
            failures.append(f"{label}: {stored} events stored, expected {events}")
        if not stored == orders == grants or unmailed:
            failures.append(f"{label}: {stored} events, {orders} orders, {grants} grants, {unmailed} unmailed grants")
        return stored
    finally:
        db.close()


def check_mail(counts, expected, failures, label):
    doubled = {r: n for r, n in counts.items() if n > 1}
    missing = sorted(set(expected) - set(counts))
    if doubled or missing:
        failures.append(f"{label}: {len(missing)} buyers without mail {missing[:3]}, doubled {list(doubled)[:3]}")
    return sum(counts.values()), len(doubled)


def sigstop(bin_dir, mailbox, smtp_port, events, failures):
    site = Site(bin_dir, smtp_port, "sigstop")
    daemon = Daemon(site)
    daemon.start()
    provider = Provider(daemon, purchases(events, "stop"), timeout=1.0)
    under_load = draining = 0
    while provider.running():  # freeze it every 0.3 s until every event is acknowledged
        time.sleep(0.3)
        daemon.signal(signal.SIGSTOP)
        time.sleep(2)
        daemon.signal(signal.SIGCONT)
        under_load += 1
    provider.join()
    if len(mailbox.per_recipient()) < events:  # and once while the mail drains
        daemon.signal(signal.SIGSTOP)
        time.sleep(2)
        daemon.signal(signal.SIGCONT)
        draining += 1
    counts = mailbox.wait(events, 120)
    daemon.stop()
    stored = check_store(site.db(), events, failures, "sigstop")
    delivered, doubled = check_mail(counts, [f"stop{i}@example.com" for i in range(events)], failures, "sigstop")
    shutil.rmtree(site.root, ignore_errors=True)
    return (f"| SIGSTOP 2 s, {under_load} times under webhook load, {draining} while mail drains | {events} | {events} "
            f"(answers: {provider.statuses}) | {stored} | {events - stored} | {doubled} | {delivered} | on SIGCONT |")


def backup_rebuild(bin_dir, mailbox, smtp_port, events, failures):
    site = Site(bin_dir, smtp_port, "rebuild")
    daemon = Daemon(site)
    daemon.start()
    first = Provider(daemon, purchases(1, "reader"))
    first.join()
    mailbox.wait(1, 30)
    status, headers, _ = daemon.request("GET", mailbox.link_path("reader0@example.com"))
    cookie, lesson = headers.get("Set-Cookie", ""), headers.get("Location", "")
    while status == 303 and lesson:  # the course's folder sends the reader on to its first paid lesson
        status, headers, _ = daemon.request("GET", lesson, headers={"Cookie": cookie})
        lesson = headers.get("Location", lesson)
    if status != 200 or not cookie:
        failures.append(f"backup-rebuild: the signed link led to {status} at {lesson} (cookie: {bool(cookie)})")
    reads = {"ok": 0, "bad": {}}
    stop_reading = threading.Event()

    def reader():
        while not stop_reading.is_set():
            status, _, body = daemon.request("GET", lesson, headers={"Cookie": cookie})
            if status == 200 and "reader0@example.com" not in body:  # the visible stamp names the buyer
                status = "200 without the buyer's stamp"
            if status == 200:
                reads["ok"] += 1
            else:
                reads["bad"][status] = reads["bad"].get(status, 0) + 1

    reading = threading.Thread(target=reader)
    reading.start()
    provider = Provider(daemon, purchases(events, "load"), timeout=10)
    backups = []
    lessons = [p for p in glob.glob(os.path.join(site.root, "content", COURSE, "**", "*.md"), recursive=True)
               if not p.endswith("_index.md")]
    rounds = 0
    while rounds < 5 or provider.running():  # back up and rebuild for as long as purchases arrive
        path = os.path.join(site.root, f"backup-{rounds}.sqlite")
        site.lectern("backup", path)
        backups.append(path)
        for lesson_file in lessons:  # every lesson changes, so the reader's page must follow each build
            with open(lesson_file, "a") as f:
                f.write(f"\n\nEdited while the daemon serves, round {rounds}.\n")
        site.lectern("build", "--quiet")
        rounds += 1
    provider.join()
    stop_reading.set()
    reading.join()
    _, _, last = daemon.request("GET", lesson, headers={"Cookie": cookie})
    # Without the invisible mark: its format characters (Cf), and each combining run (U+034F and the variation
    # selectors after it).
    visible = re.sub("\u034f[\ufe00-\ufe0f]*", "", "".join(c for c in last if unicodedata.category(c) != "Cf"))
    if f"round {rounds - 1}." not in visible:
        failures.append("backup-rebuild: the paid lesson did not follow the last build")
    counts = mailbox.wait(events + 1, 120)
    daemon.stop()
    for path in backups:
        check_store(path, None, failures, f"backup {os.path.basename(path)}")
    stored = check_store(site.db(), events + 1, failures, "backup-rebuild")
    buyers = ["reader0@example.com"] + [f"load{i}@example.com" for i in range(events)]
    delivered, doubled = check_mail(counts, buyers, failures, "backup-rebuild")
    if reads["bad"] or not reads["ok"]:
        failures.append(f"backup-rebuild: paid lesson reads {reads}")
    shutil.rmtree(site.root, ignore_errors=True)
    return (f"| {rounds} × `lectern backup` and {rounds} × `lectern build` (lessons edited) under load; a buyer reads a paid "
            f"lesson in a loop | {events + 1} | {events + 1} | {stored} | {events + 1 - stored} | {doubled} "
            f"| {delivered} | — ; {reads['ok']} reads all 200 with the stamp, each build's text served after it, "
            f"{rounds} backups consistent |")


def clock_skew(bin_dir, mailbox, smtp_port, events, failures):
    site = Site(bin_dir, smtp_port, "clock")
    daemon = Daemon(site)
    # 200 s ahead: inside the webhook signatures' 300 s tolerance, beyond the tokens' 60 s leeway.
    daemon.start(clock_ahead=200)
    Provider(daemon, purchases(1, "ahead")).join()
    mailbox.wait(1, 30)
    link = mailbox.link_path("ahead0@example.com")
    daemon.stop()
    daemon.start()
    link_status, _, page = daemon.request("GET", link)
    if link_status != 401 or "not valid yet" not in page or 'name="email"' not in page:
        failures.append(f"clock-skew: a link from a fast clock answered {link_status} without the not-yet-valid page")
    form = urllib.parse.urlencode({"email": "ahead0@example.com", "course": COURSE})
    daemon.request("POST", "/access/resend", form, {"Content-Type": "application/x-www-form-urlencoded"})
    deadline = time.time() + 30
    while time.time() < deadline and mailbox.per_recipient().get("ahead0@example.com", 0) < 2:
        time.sleep(0.1)
    fresh_status, _, _ = daemon.request("GET", mailbox.link_path("ahead0@example.com"))
    if fresh_status != 303:
        failures.append(f"clock-skew: the fresh link answered {fresh_status}")
    daemon.stop()

    # 10 minutes ahead: every signature looks stale; nothing may be written, and retries land later.
    daemon.start(clock_ahead=600)
    bodies = purchases(events, "skew")
    refused = {}
    for body in bodies:
        header = stripe.WebhookSignature.generate_signature_header(body, SECRET, timestamp=int(time.time()))
        status, _, problem = daemon.request("POST", "/webhooks/stripe", body, {
            "Stripe-Signature": header, "Content-Type": "application/json"})
        kind = f"{status} {json.loads(problem).get('type', '').rsplit('/', 1)[-1]}"
        refused[kind] = refused.get(kind, 0) + 1
    daemon.stop()
    if refused != {f"400 stale-timestamp": events}:
        failures.append(f"clock-skew: with the clock 10 min ahead the webhooks got {refused}")
    written = check_store(site.db(), 1, failures, "clock-skew (fast clock)")
    daemon.start()
    Provider(daemon, bodies).join()
    counts = mailbox.wait(events + 1, 60)
    daemon.stop()
    stored = check_store(site.db(), events + 1, failures, "clock-skew")
    delivered, doubled = check_mail({r: n for r, n in counts.items() if r.startswith("skew")},
                                    [f"skew{i}@example.com" for i in range(events)], failures, "clock-skew")
    shutil.rmtree(site.root, ignore_errors=True)
    return ("| clock 200 s ahead e-mails a link; clock right again | 1 | 1 | 1 | 0 | 0 | 2 (the first link "
            f"\"not valid yet\" {link_status}, the page's form sent one that opens: {fresh_status}) | yes |\n"
            f"| clock 10 min ahead, then right | {events} | {events} after the clock is right "
            f"({refused} before; {written - 1} written meanwhile) | {stored - 1} | {events + 1 - stored} "
            f"| {doubled} | {delivered} | on the provider's retry |")


def smtp_port():
    """A free port below the kernel's ephemeral range (32768 and up), where lecternd's own outgoing
    connections could take it between our probe and aiosmtpd's bind."""
    for port in random.Random().sample(range(20000, 32000), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise SystemExit("no free port for the SMTP server")


SCENARIOS = {"sigstop": sigstop, "backup-rebuild": backup_rebuild, "clock-skew": clock_skew}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--events", type=int, default=300)
    ap.add_argument("--only", default=",".join(SCENARIOS))
    args = ap.parse_args()
    failures, rows = [], []
    for name in args.only.split(","):
        mailbox = Mailbox()  # one SMTP server per scenario, so counts never mix
        port = smtp_port()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            started = time.time()
            rows.append(SCENARIOS[name](args.bin, mailbox, port, args.events, failures))
            print(f"faults under load: {name} done in {time.time() - started:.0f} s", flush=True)
        finally:
            controller.stop()
    print("\n".join(rows))
    if failures:
        sys.exit("faults under load FAILED:\n  " + "\n  ".join(failures))


if __name__ == "__main__":
    main()
