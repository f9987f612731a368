#!/usr/bin/env python3
"""Webhook benchmark: a release lecternd on loopback with a fresh site and database, fed N Stripe
checkout events signed by the stripe library (20% of them duplicates, as providers retry), from C
keep-alive connections. Reports durable events/s, latency percentiles, and the daemon's RSS idle and
under load. Every 2xx means the event's transaction is on disk (synchronous=FULL).

usage: Benchmarks/webhooks.py [--events 5000] [--connections 8] [--bin DIR]
"""
import argparse, http.client, json, os, random, shutil, subprocess, sys, tempfile, threading, time

import stripe

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "Tests", "peers"))
import example_site  # noqa: E402
SECRET = "whsec_bench_secret"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--bin", help="use these lectern/lecternd (a before/after comparison) instead of building")
    args = ap.parse_args()

    bindir = example_site.binaries(args.bin)
    site = tempfile.mkdtemp(prefix="lectern-bench-")
    for item in ("content", "site-template", "lectern.toml"):
        src = os.path.join(ROOT, item)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(site, item))
    with open(os.path.join(site, "lectern.toml"), "a") as f:
        f.write('\n[mail]\ntransport = "file"\n')
    subprocess.run([os.path.join(bindir, "lectern"), "keys", "generate", "--root", site], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([os.path.join(bindir, "lectern"), "build", "--quiet", "--root", site], check=True)

    env = dict(os.environ, LECTERN_STRIPE_WEBHOOK_SECRET=SECRET, LOG_LEVEL="warning")
    daemon = subprocess.Popen([os.path.join(bindir, "lecternd"), "--config", os.path.join(site, "lectern.toml"), "--port", "0"],
                              stdout=subprocess.PIPE, env=env, text=True)
    line = daemon.stdout.readline()
    port = int(line.rsplit(" ", 1)[1])
    time.sleep(0.5)
    idle_rss = rss_kib(daemon.pid)

    unique = int(args.events * 0.8)
    now = int(time.time())
    bodies = []
    for i in range(unique):
        obj = {"id": f"cs_{i}", "payment_status": "paid", "amount_total": 4900, "currency": "usd", "payment_intent": f"pi_{i}",
               "metadata": {"course": "practical-sqlite"}, "customer_details": {"email": f"buyer{i}@example.com"}}
        bodies.append(json.dumps({"id": f"evt_{i}", "type": "checkout.session.completed", "created": now, "data": {"object": obj}}))
    rng = random.Random(7)
    bodies += [rng.choice(bodies) for _ in range(args.events - unique)]  # retries of events already sent
    rng.shuffle(bodies)
    signed = [(b, stripe.WebhookSignature.generate_signature_header(b, SECRET, timestamp=now)) for b in bodies]

    latencies, failures, peak_rss = [], [0], [idle_rss]
    lock = threading.Lock()
    chunks = [signed[i::args.connections] for i in range(args.connections)]

    def worker(items):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        local = []
        for body, header in items:
            t = time.perf_counter()
            conn.request("POST", "/webhooks/stripe", body=body, headers={"Stripe-Signature": header, "Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            local.append(time.perf_counter() - t)
            if resp.status != 200:
                with lock:
                    failures[0] += 1
        with lock:
            latencies.extend(local)

    def sample_rss():
        while sampling:
            peak_rss[0] = max(peak_rss[0], rss_kib(daemon.pid))
            time.sleep(0.1)

    sampling = True
    sampler = threading.Thread(target=sample_rss)
    sampler.start()
    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in threads: t.start()
    for t in threads: t.join()
    elapsed = time.perf_counter() - start
    sampling = False
    sampler.join()

    import sqlite3
    db = sqlite3.connect(os.path.join(site, "lectern.sqlite"))
    recorded = db.execute("SELECT COUNT(*) FROM webhook_events").fetchone()[0]
    grants = db.execute("SELECT COUNT(*) FROM grants").fetchone()[0]
    # The daemon's own CPU per event: steadier than events/s, which the fsyncs and this Python client
    # (sharing the 2 cores) dominate. Includes start-up, which is small next to thousands of events.
    with open(f"/proc/{daemon.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    daemon.terminate()
    daemon.wait(timeout=10)
    shutil.rmtree(site)

    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000
    print(f"| {args.events} Stripe events ({args.events - unique} duplicates), {args.connections} connections "
          f"| {args.events / elapsed:.0f} events/s | p50 {pct(0.5):.2f} ms, p99 {pct(0.99):.2f} ms "
          f"| daemon CPU {cpu / args.events * 1e6:.0f} µs/event "
          f"| idle {idle_rss / 1024:.1f} MiB, loaded {peak_rss[0] / 1024:.1f} MiB | non-200: {failures[0]}; "
          f"events stored {recorded}, grants {grants} (expected {unique} each) |")
    if failures[0] or recorded != unique or grants != unique:
        sys.exit("benchmark found lost or duplicated events")


if __name__ == "__main__":
    main()
