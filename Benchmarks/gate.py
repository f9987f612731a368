#!/usr/bin/env python3
"""Gate benchmark: a buyer's watermarked paid lesson from a release lecternd, against the same page
as a plain static file served by Debian's nginx, on the same machine in the same run. wrk with 64
keep-alive connections for 10 s each side (median of --runs). Also lecternd's RSS idle and under load.

usage: Benchmarks/gate.py [--runs 3] [--seconds 10] [--connections 64]
"""
import argparse, glob, os, re, shutil, socket, statistics, subprocess, sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "Tests", "peers"))
import example_site  # noqa: E402
LESSON = "/learn/practical-sqlite/schema-design/"


def rss_kib(pid, field="VmRSS:"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url, seconds, connections, cookie=None):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, float(p99.group(1)) * scale, int(non2xx.group(1)) if non2xx else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--bin", help="use these lectern/lecternd (a before/after comparison) instead of building")
    args = ap.parse_args()
    for tool in ("wrk", "nginx", "curl"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            sys.exit(f"{tool} is missing: apt-get install wrk nginx curl (or LECTERN_WITH_NGINX=1 LECTERN_WITH_WRK=1 bash scripts/install-deps)")

    bindir = example_site.binaries(args.bin)
    lectern = os.path.join(bindir, "lectern")
    site = tempfile.mkdtemp(prefix="lectern-gate-bench-")
    os.chmod(site, 0o755)
    for item in ("content", "site-template", "lectern.toml"):
        src = os.path.join(ROOT, item)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(site, item))
    with open(os.path.join(site, "lectern.toml"), "a") as f:
        f.write('\n[mail]\ntransport = "file"\n')
    subprocess.run([lectern, "keys", "generate", "--root", site], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([lectern, "build", "--quiet", "--root", site], check=True)

    daemon = subprocess.Popen([os.path.join(bindir, "lecternd"), "--config", os.path.join(site, "lectern.toml"), "--port", "0"],
                              stdout=subprocess.PIPE, env=dict(os.environ, LOG_LEVEL="warning"), text=True)
    port = int(daemon.stdout.readline().rsplit(" ", 1)[1])
    nginx = None
    try:
        subprocess.run([lectern, "grant", "--root", site, "--email", "reader@example.com", "--course", "practical-sqlite"],
                       check=True, stdout=subprocess.DEVNULL)
        link = None
        for _ in range(150):
            mails = glob.glob(os.path.join(site, "mail", "*.eml"))
            if mails:
                text = open(mails[0]).read()
                link = re.search(r"/learn/\S+\?token=\S+", text).group(0)
                break
            time.sleep(0.1)
        signin = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", f"http://127.0.0.1:{port}{link}"],
                                check=True, capture_output=True, text=True).stdout
        cookie = re.search(r"Set-Cookie: (lectern_access=[^;]+)", signin).group(1)
        page = subprocess.run(["curl", "-s", "-b", cookie, f"http://127.0.0.1:{port}{LESSON}"], check=True, capture_output=True).stdout
        assert b"Licensed to reader@example.com" in page, "the gate did not serve the watermarked lesson"

        # The same bytes as a static file for nginx.
        static = os.path.join(site, "static")
        os.makedirs(os.path.join(static, "tmp"))
        with open(os.path.join(static, "lesson.html"), "wb") as f:
            f.write(page)
        nginx_port = free_port()
        conf = os.path.join(static, "nginx.conf")
        tmp = os.path.join(static, "tmp")
        with open(conf, "w") as f:
            f.write(f"""{'user root;' if os.getuid() == 0 else ''}
worker_processes auto;
pid {static}/nginx.pid;
error_log {static}/error.log;
events {{ worker_connections 1024; }}
http {{
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp}; uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
  server {{ listen 127.0.0.1:{nginx_port}; root {static}; }}
}}
""")
        nginx = subprocess.Popen(["nginx", "-p", static, "-c", conf, "-g", "daemon off;"])
        time.sleep(0.5)

        idle = rss_kib(daemon.pid)
        results = {"lecternd": [], "nginx": []}
        peak = [idle]
        sampling = [True]

        def sample():
            while sampling[0]:
                peak[0] = max(peak[0], rss_kib(daemon.pid))
                time.sleep(0.2)
        sampler = threading.Thread(target=sample)
        sampler.start()
        for _ in range(args.runs):
            results["lecternd"].append(wrk(f"http://127.0.0.1:{port}{LESSON}", args.seconds, args.connections, cookie))
            results["nginx"].append(wrk(f"http://127.0.0.1:{nginx_port}/lesson.html", args.seconds, args.connections))
        sampling[0] = False
        sampler.join()

        med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v), sum(r[2] for r in v)) for k, v in results.items()}
        ratio = med["lecternd"][0] / med["nginx"][0]
        print(f"| watermarked paid lesson, lecternd | {med['lecternd'][0]:,.0f} req/s | p99 {med['lecternd'][1]:.2f} ms | "
              f"RSS idle {idle / 1024:.1f} MiB, under load {peak[0] / 1024:.1f} MiB | non-2xx {med['lecternd'][2]} |")
        print(f"| same page as a static file, nginx | {med['nginx'][0]:,.0f} req/s | p99 {med['nginx'][1]:.2f} ms | | non-2xx {med['nginx'][2]} |")
        print(f"| ratio lecternd / nginx | {ratio:.2f}x | | {len(page):,} bytes per page, {args.connections} connections, "
              f"{args.seconds} s, median of {args.runs} | |")
    finally:
        if nginx:
            nginx.terminate(); nginx.wait(timeout=10)
        daemon.terminate(); daemon.wait(timeout=10)
        shutil.rmtree(site, ignore_errors=True)


if __name__ == "__main__":
    main()
