#!/usr/bin/env python3
"""Crash safety: kill -9 lecternd at random moments under webhook load, restart it, and let the
sender retry every event it did not get a 2xx for (as payment providers do). Afterwards every event
must be stored exactly once with exactly one order and one grant, and SQLite's integrity check must
pass. Exits 1 with the reason if not.

usage: crash_safety.py --bin DIR [--events 300] [--rounds 6] [--senders 4] [--seed 7]
"""
import argparse, http.client, json, os, queue, random, shutil, signal, socket, sqlite3, subprocess, sys, threading, time

import stripe

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Tests", "peers"))
import example_site  # noqa: E402
SECRET = "whsec_crash_safety"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self, binary, site, port):
        self.binary, self.site, self.port, self.process = binary, site, port, None

    def start(self):
        env = dict(os.environ, LECTERN_STRIPE_WEBHOOK_SECRET=SECRET, LOG_LEVEL="error")
        self.process = subprocess.Popen([self.binary, "--config", os.path.join(self.site, "lectern.toml"), "--port", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("lecternd did not come back up")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--events", type=int, default=1500)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    site = example_site.make(args.bin, prefix="lectern-crash-")
    daemon = Daemon(os.path.join(args.bin, "lecternd"), site, free_port())
    daemon.start()

    now = int(time.time())
    events = []
    for i in range(args.events):
        obj = {"id": f"cs_{i}", "payment_status": "paid", "amount_total": 4900, "currency": "usd", "payment_intent": f"pi_{i}",
               "metadata": {"course": "practical-sqlite"}, "customer_details": {"email": f"buyer{i}@example.com"}}
        events.append(json.dumps({"id": f"evt_{i}", "type": "checkout.session.completed", "created": now, "data": {"object": obj}}))
    sends = events + [rng.choice(events) for _ in range(args.events // 5)]  # providers also send duplicates
    rng.shuffle(sends)
    work = queue.Queue()
    for body in sends:
        work.put(body)
    stats = {"acked": 0, "retries": 0}
    lock = threading.Lock()

    def sender():
        conn = None
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                return
            while True:  # retry until acknowledged, like a provider
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
                    header = stripe.WebhookSignature.generate_signature_header(body, SECRET, timestamp=int(time.time()))
                    conn.request("POST", "/webhooks/stripe", body=body, headers={"Stripe-Signature": header, "Content-Type": "application/json"})
                    response = conn.getresponse()
                    response.read()
                    if 200 <= response.status < 300:
                        with lock:
                            stats["acked"] += 1
                        break
                except (OSError, http.client.HTTPException):
                    conn = None
                with lock:
                    stats["retries"] += 1
                time.sleep(0.05)

    threads = [threading.Thread(target=sender) for _ in range(args.senders)]
    for t in threads:
        t.start()
    kills = 0
    for _ in range(args.rounds):
        time.sleep(rng.uniform(0.1, 0.5))
        if work.empty() and not any(t.is_alive() for t in threads):
            break
        daemon.kill()
        kills += 1
        time.sleep(rng.uniform(0.0, 0.3))
        daemon.start()
    for t in threads:
        t.join()
    daemon.process.terminate()
    daemon.process.wait(timeout=15)

    db = sqlite3.connect(os.path.join(site, "lectern.sqlite"))
    failures = []
    integrity = db.execute("PRAGMA integrity_check").fetchall()
    if integrity != [("ok",)]:
        failures.append(f"integrity_check: {integrity[:3]}")
    stored = db.execute("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM webhook_events").fetchone()
    orders = db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    grants = db.execute("SELECT COUNT(*) FROM grants").fetchone()[0]
    doubled = db.execute("SELECT COUNT(*) FROM (SELECT order_id FROM grants GROUP BY order_id HAVING COUNT(*) > 1)").fetchone()[0]
    missing = [i for i in range(args.events)
               if db.execute("SELECT 1 FROM webhook_events WHERE event_id = ?", (f"evt_{i}",)).fetchone() is None]
    if stored != (args.events, args.events):
        failures.append(f"events stored {stored}, expected {args.events} distinct")
    if orders != args.events or grants != args.events:
        failures.append(f"orders {orders}, grants {grants}, expected {args.events} each")
    if doubled:
        failures.append(f"{doubled} orders with more than one grant")
    if missing:
        failures.append(f"acknowledged events missing: {missing[:5]}")
    print(f"crash safety: {len(sends)} sends ({len(sends) - args.events} duplicates), {kills} kill -9 rounds, "
          f"{stats['retries']} retries; stored {stored[0]} events, {orders} orders, {grants} grants; "
          f"integrity {integrity[0][0]} (seed {args.seed})")
    shutil.rmtree(site, ignore_errors=True)
    if failures:
        sys.exit("crash safety FAILED: " + "; ".join(failures))


if __name__ == "__main__":
    main()
