#!/usr/bin/env python3
"""CPU a release lecternd spends on unauthenticated webhook requests built to be expensive: a 1 MiB body
and a Stripe-Signature with 230 bogus v1 candidates (each one cost a full HMAC over the body before the
candidate cap). Reads the daemon's own CPU time from /proc, so the client's share does not count.

usage: Benchmarks/signature_flood.py [--requests 40] [--bin DIR]   (DIR: a release build, default this one's)
"""
import argparse, http.client, os, shutil, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "peers"))
import example_site  # noqa: E402  (the test peers' folder: one way to make a site for a live daemon)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--bin")
    args = ap.parse_args()
    bindir = example_site.binaries(args.bin)
    site = example_site.make(bindir, prefix="lectern-flood-")
    env = dict(os.environ, LECTERN_STRIPE_WEBHOOK_SECRET="whsec_flood")
    daemon = subprocess.Popen([f"{bindir}/lecternd", "--config", f"{site}/lectern.toml", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        port = int(daemon.stdout.readline().decode().rsplit(" ", 1)[1])

        def cpu_seconds():
            fields = open(f"/proc/{daemon.pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        body = b"x" * (1024 * 1024)
        header = f"t={int(time.time())}," + ",".join("v1=" + "ab" * 32 for _ in range(230))
        statuses = {}
        before = cpu_seconds()
        for _ in range(args.requests):
            connection = http.client.HTTPConnection("127.0.0.1", port)
            connection.request("POST", "/webhooks/stripe", body=body, headers={"Stripe-Signature": header})
            reply = connection.getresponse()
            reply.read()
            statuses[reply.status] = statuses.get(reply.status, 0) + 1
            connection.close()
        used = cpu_seconds() - before
        print(f"| {args.requests} requests, 1 MiB body, 230 v1 candidates | daemon CPU {used * 1000 / args.requests:.1f} ms "
              f"per request | statuses {statuses} |")
    finally:
        daemon.terminate()
        daemon.wait()
        shutil.rmtree(site)


if __name__ == "__main__":
    main()
