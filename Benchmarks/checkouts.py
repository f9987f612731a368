#!/usr/bin/env python3
"""Checkout benchmark: the orders lecternd places itself. A release lecternd on loopback with the example
site selling its Chinese course through Alipay and WeChat Pay (test keys; WeChat Pay's v3 API played by
Tests/peers/wechatpay_peer.py on loopback), sent N course-page form posts per provider from C connections.
An Alipay checkout is one database write and one RSA-2048 signature (then a redirect); a WeChat Pay one
adds a signed call to the API peer (plain HTTP on loopback), the check of its signed answer and the
QR code.
Reports checkouts/s and latency percentiles per provider.

usage: Benchmarks/checkouts.py [--checkouts 400] [--connections 4] [--bin .build/release]
"""
import argparse, http.client, os, shutil, statistics, subprocess, sys, threading, time, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "Tests", "peers"))
import example_site  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkouts", type=int, default=400)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "release"))
    args = ap.parse_args()
    site = example_site.make(args.bin, prefix="lectern-checkouts-", alipay_app_id="2021000000000001", wechatpay=True)
    keys = os.path.join(site, "keys")
    api = subprocess.Popen(["python3", os.path.join(ROOT, "Tests", "peers", "wechatpay_peer.py"), "serve", keys,
                            os.devnull], stdout=subprocess.PIPE, text=True)
    example_site.set_wechatpay_api(site, f"http://127.0.0.1:{api.stdout.readline().strip()}")
    daemon = subprocess.Popen([os.path.join(args.bin, "lecternd"), "--config", os.path.join(site, "lectern.toml"),
                               "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              env=dict(os.environ, LOG_LEVEL="error"))
    port = None
    for line in daemon.stdout:
        if "listening on port" in line:
            port = int(line.rsplit(" ", 1)[1])
            break
    try:
        for provider, expected in (("alipay", 303), ("wechatpay", 200)):
            latencies, lock, failures = [], threading.Lock(), []
            per_connection = args.checkouts // args.connections

            def run(index):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                for n in range(per_connection):
                    body = urllib.parse.urlencode({"course": "zhishi-fufei-xiezuo", "email": f"b{index}-{n}@example.com"})
                    start = time.perf_counter()
                    conn.request("POST", f"/pay/{provider}", body=body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
                    response = conn.getresponse()
                    response.read()
                    elapsed = time.perf_counter() - start
                    with lock:
                        latencies.append(elapsed)
                        if response.status != expected:
                            failures.append(response.status)

            threads = [threading.Thread(target=run, args=(i,)) for i in range(args.connections)]
            began = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - began
            latencies.sort()
            p99 = latencies[int(len(latencies) * 0.99) - 1]
            print(f"{provider}: {len(latencies)} checkouts in {wall:.2f} s = {len(latencies) / wall:.0f}/s; "
                  f"median {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms; "
                  f"unexpected answers: {len(failures)}")
    finally:
        daemon.terminate()
        daemon.wait(timeout=15)
        api.kill()
        shutil.rmtree(site, ignore_errors=True)


if __name__ == "__main__":
    main()
