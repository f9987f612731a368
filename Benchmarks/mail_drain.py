#!/usr/bin/env python3
"""Mail drain benchmark (issue 18): a burst of N Stripe purchases against a release lecternd whose mail
goes over SMTP to aiosmtpd on loopback; reports when the last purchase was acknowledged and when the last
buyer's e-mail arrived, and checks that every buyer got exactly one (by recipient and Message-ID).

usage: Benchmarks/mail_drain.py [--events 5000] [--connections 8] [--concurrency 8]
"""
import argparse, sys, http.client, json, os, shutil, socket, subprocess, tempfile, threading, time

import stripe
from aiosmtpd.controller import Controller

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "Tests", "peers"))
import example_site  # noqa: E402
SECRET = "whsec_bench_secret"


class Counter:
    """aiosmtpd handler: counts messages per recipient and Message-ID, and when the last one came."""

    def __init__(self):
        self.lock = threading.Lock()
        self.recipients, self.ids, self.last = {}, {}, 0.0

    async def handle_DATA(self, server, session, envelope):
        text = envelope.content.decode("utf-8", "replace")
        mid = next((l for l in text.splitlines() if l.lower().startswith("message-id:")), "")
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.recipients[rcpt] = self.recipients.get(rcpt, 0) + 1
            self.ids[mid] = self.ids.get(mid, 0) + 1
            self.last = time.perf_counter()
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--bin", help="use these lectern/lecternd (a before/after comparison) instead of building")
    ap.add_argument("--no-hold", action="store_true",
                    help="leave out [mail] hold_seconds (binaries from before it existed)")
    args = ap.parse_args()

    bindir = example_site.binaries(args.bin)
    counter = Counter()
    smtp_port = free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=smtp_port)
    controller.start()

    site = tempfile.mkdtemp(prefix="lectern-drain-")
    for item in ("content", "site-template", "lectern.toml"):
        src = os.path.join(ROOT, item)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(site, item))
    with open(os.path.join(site, "lectern.toml"), "a") as f:
        f.write(f'\n[mail]\ntransport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\n'
                f'from = "School <school@example.com>"\nconcurrency = {args.concurrency}\n'
                + ("" if args.no_hold else "hold_seconds = 0\n"))
    subprocess.run([os.path.join(bindir, "lectern"), "keys", "generate", "--root", site], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([os.path.join(bindir, "lectern"), "build", "--quiet", "--root", site], check=True)
    env = dict(os.environ, LECTERN_STRIPE_WEBHOOK_SECRET=SECRET, LOG_LEVEL="warning")
    daemon = subprocess.Popen([os.path.join(bindir, "lecternd"), "--config", os.path.join(site, "lectern.toml"),
                               "--port", "0"], stdout=subprocess.PIPE, env=env, text=True)
    port = int(daemon.stdout.readline().rsplit(" ", 1)[1])

    now = int(time.time())
    signed = []
    for i in range(args.events):
        obj = {"id": f"cs_{i}", "payment_status": "paid", "amount_total": 4900, "currency": "usd",
               "payment_intent": f"pi_{i}", "metadata": {"course": "practical-sqlite"},
               "customer_details": {"email": f"buyer{i}@example.com"}}
        body = json.dumps({"id": f"evt_{i}", "type": "checkout.session.completed", "created": now,
                           "data": {"object": obj}})
        signed.append((body, stripe.WebhookSignature.generate_signature_header(body, SECRET, timestamp=now)))
    failures = [0]

    def worker(items):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for body, header in items:
            conn.request("POST", "/webhooks/stripe", body=body,
                         headers={"Stripe-Signature": header, "Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                failures[0] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(signed[i::args.connections],)) for i in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    acknowledged = time.perf_counter() - start
    deadline = time.perf_counter() + 600
    while time.perf_counter() < deadline:
        with counter.lock:
            if len(counter.recipients) >= args.events:
                break
        time.sleep(0.1)
    time.sleep(2)  # a duplicate would arrive now
    with counter.lock:
        delivered = sum(counter.recipients.values())
        distinct = len(counter.recipients)
        duplicated_ids = sum(1 for n in counter.ids.values() if n > 1)
        drained = counter.last - start
    daemon.terminate()
    daemon.wait(timeout=30)
    controller.stop()
    shutil.rmtree(site, ignore_errors=True)
    print(f"| {args.events} purchases, {args.connections} connections, [mail] concurrency {args.concurrency} "
          f"| all acknowledged {acknowledged:.1f} s | last e-mail {drained:.1f} s after the first purchase "
          f"| {delivered} delivered to {distinct} buyers, {duplicated_ids} Message-IDs seen twice, non-200: {failures[0]} |")


if __name__ == "__main__":
    main()
