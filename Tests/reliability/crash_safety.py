#!/usr/bin/env python3
"""Crash safety: kill -9 lecternd at random moments under webhook load, restart it, and let the
sender retry every event it did not get a 2xx for (as payment providers do). Half the purchases
are Stripe events (signed by the `stripe` library), a quarter Alipay notifications for orders lecternd
placed (signed by python-alipay-sdk; acknowledged only by the body `success`), a quarter WeChat Pay
notifications for orders lecternd placed through a local API peer (sealed and signed as wechatpayv3 reads
them; signed anew at each retry, as the signature carries the time). Afterwards every event must be
stored exactly once with exactly one order and one grant, and SQLite's integrity check must pass.
Exits 1 with the reason if not.

usage: crash_safety.py --bin DIR [--events 300] [--rounds 6] [--senders 4] [--seed 7]
"""
import argparse, http.client, json, os, queue, random, re, shutil, signal, socket, sqlite3, subprocess, sys, threading, time

import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import stripe
from alipay import AliPay

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Tests", "peers"))
import example_site  # noqa: E402
import wechatpay_peer  # noqa: E402
SECRET = "whsec_crash_safety"
APP_ID = "2021000000000001"
ALIPAY_COURSE = "zhishi-fufei-xiezuo"  # the example site's course in yuan


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


def alipay_signer(site):
    """python-alipay-sdk holding the test "Alipay" key (written by Tests/peers/alipay_peer.py)."""
    keys = os.path.join(site, "keys")
    with open(os.path.join(keys, "alipay-signing-key.pem")) as f:
        private = f.read()
    with open(os.path.join(keys, "alipay-app-public-key.pem")) as f:
        public = f.read()
    return AliPay(appid=APP_ID, app_notify_url=None, app_private_key_string=private,
                  alipay_public_key_string=public, sign_type="RSA2")


def place_order(port, provider, email):
    """The course page's form, as a browser posts it; returns lecternd's out_trade_no (from Alipay's redirect, or
    from the WeChat Pay page, whose order lecternd placed through the API peer)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", f"/pay/{provider}", body=urllib.parse.urlencode({"course": ALIPAY_COURSE, "email": email}),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    page = response.read().decode()
    if provider == "wechatpay":
        if response.status != 200 or not (m := re.search(r'data-order="([0-9a-f]{32})"', page)):
            raise SystemExit(f"WeChat Pay checkout answered {response.status}")
        return m.group(1)
    if response.status != 303:
        raise SystemExit(f"checkout answered {response.status}")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(response.getheader("Location")).query)
    return json.loads(query["biz_content"][0])["out_trade_no"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--events", type=int, default=1500)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    site = example_site.make(args.bin, prefix="lectern-crash-", alipay_app_id=APP_ID, wechatpay=True)
    keys = os.path.join(site, "keys")
    api = subprocess.Popen(["python3", os.path.join(ROOT, "Tests", "peers", "wechatpay_peer.py"), "serve", keys,
                            os.path.join(site, "wechatpay-api.log")], stdout=subprocess.PIPE, text=True)
    example_site.set_wechatpay_api(site, f"http://127.0.0.1:{api.stdout.readline().strip()}")
    daemon = Daemon(os.path.join(args.bin, "lecternd"), site, free_port())
    daemon.start()

    now = int(time.time())
    events = []  # (path, body, event id as stored)
    stripe_count = args.events - 2 * (args.events // 4)
    alipay_end = stripe_count + args.events // 4
    # Orders are placed as buyers would, several at once (each WeChat Pay one is a call to the API peer).
    with ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(lambda i: place_order(daemon.port, "alipay" if i < alipay_end else "wechatpay",
                                                      f"buyer{i}@example.com"), range(stripe_count, args.events)))
    number_of = dict(zip(range(stripe_count, args.events), numbers))
    for i in range(stripe_count):
        obj = {"id": f"cs_{i}", "payment_status": "paid", "amount_total": 4900, "currency": "usd", "payment_intent": f"pi_{i}",
               "metadata": {"course": "practical-sqlite"}, "customer_details": {"email": f"buyer{i}@example.com"}}
        body = json.dumps({"id": f"evt_{i}", "type": "checkout.session.completed", "created": now, "data": {"object": obj}})
        events.append(("/webhooks/stripe", body, f"evt_{i}"))
    alipay = alipay_signer(site)
    for i in range(alipay_end, args.events):
        number = number_of[i]
        resource = {"mchid": wechatpay_peer.MCHID, "appid": wechatpay_peer.APPID, "out_trade_no": number,
                    "transaction_id": f"42{i:08d}", "trade_type": "NATIVE", "trade_state": "SUCCESS",
                    "amount": {"total": 9900, "payer_total": 9900, "currency": "CNY", "payer_currency": "CNY"}}
        events.append(("/webhooks/wechatpay", wechatpay_peer.sealed_body(keys, "TRANSACTION.SUCCESS", resource),
                       f"paid:{number}"))
    for i in range(stripe_count, alipay_end):
        number = number_of[i]
        fields = {"app_id": APP_ID, "out_trade_no": number, "trade_no": f"2026{i:08d}", "trade_status": "TRADE_SUCCESS",
                  "total_amount": "99.00", "subject": "写作变现", "notify_id": f"n{i}", "notify_type": "trade_status_sync"}
        unsigned = "&".join(f"{k}={v}" for k, v in alipay._ordered_data(dict(fields)))
        fields.update(sign=alipay._sign(unsigned), sign_type="RSA2")
        events.append(("/webhooks/alipay", urllib.parse.urlencode(fields), f"paid:{number}"))
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
            path, body, _ = body
            while True:  # retry until acknowledged, like a provider
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
                    if path == "/webhooks/stripe":
                        header = stripe.WebhookSignature.generate_signature_header(body, SECRET, timestamp=int(time.time()))
                        headers = {"Stripe-Signature": header, "Content-Type": "application/json"}
                    elif path == "/webhooks/wechatpay":
                        headers = dict(wechatpay_peer.signed_headers(keys, body), **{"Content-Type": "application/json"})
                    else:
                        headers = {"Content-Type": "application/x-www-form-urlencoded"}
                    conn.request("POST", path, body=body.encode(), headers=headers)
                    response = conn.getresponse()
                    answer = response.read()
                    # Alipay counts only the exact body `success` as delivered.
                    if 200 <= response.status < 300 and (path != "/webhooks/alipay" or answer == b"success"):
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
    api.kill()

    db = sqlite3.connect(os.path.join(site, "lectern.sqlite"))
    failures = []
    integrity = db.execute("PRAGMA integrity_check").fetchall()
    if integrity != [("ok",)]:
        failures.append(f"integrity_check: {integrity[:3]}")
    stored = db.execute("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM webhook_events").fetchone()
    orders = db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    grants = db.execute("SELECT COUNT(*) FROM grants").fetchone()[0]
    doubled = db.execute("SELECT COUNT(*) FROM (SELECT order_id FROM grants GROUP BY order_id HAVING COUNT(*) > 1)").fetchone()[0]
    missing = [event_id for _, _, event_id in events
               if db.execute("SELECT 1 FROM webhook_events WHERE event_id = ?", (event_id,)).fetchone() is None]
    by_provider = dict(db.execute("SELECT provider, COUNT(*) FROM orders GROUP BY provider").fetchall())
    if by_provider != {"stripe": stripe_count, "alipay": alipay_end - stripe_count, "wechatpay": args.events - alipay_end}:
        failures.append(f"orders by provider {by_provider}")
    if stored != (args.events, args.events):
        failures.append(f"events stored {stored}, expected {args.events} distinct")
    if orders != args.events or grants != args.events:
        failures.append(f"orders {orders}, grants {grants}, expected {args.events} each")
    if doubled:
        failures.append(f"{doubled} orders with more than one grant")
    if missing:
        failures.append(f"acknowledged events missing: {missing[:5]}")
    print(f"crash safety: {len(sends)} sends ({len(sends) - args.events} duplicates; {stripe_count} Stripe, "
          f"{alipay_end - stripe_count} Alipay, {args.events - alipay_end} WeChat Pay purchases), {kills} kill -9 rounds, "
          f"{stats['retries']} retries; stored {stored[0]} events, {orders} orders, {grants} grants; "
          f"integrity {integrity[0][0]} (seed {args.seed})")
    shutil.rmtree(site, ignore_errors=True)
    if failures:
        sys.exit("crash safety FAILED: " + "; ".join(failures))


if __name__ == "__main__":
    main()
