#!/usr/bin/env python3
"""Full-build benchmark: generates a corpus (corpus.py), builds it with a release `lectern` several
times and prints wall time, CPU time and peak memory (median over runs) as a Markdown table row.

usage: Benchmarks/build.py [--lessons 2000] [--courses 20] [--runs 5]
Run from the repository root; builds `lectern` in release mode first.
"""
import argparse, os, resource, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def measure(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # A fresh process per run so ru_maxrss of this child is its own peak.
    proc = subprocess.run(["/usr/bin/env", "python3", "-c",
                           "import resource,subprocess,sys;"
                           "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL);"
                           "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
                           "print(u.ru_maxrss,u.ru_utime+u.ru_stime);sys.exit(r.returncode)"] + cmd,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"build failed: {proc.stderr}")
    maxrss_kb, cpu = proc.stdout.split()
    return wall, float(cpu), int(maxrss_kb) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lessons", type=int, default=2000)
    ap.add_argument("--courses", type=int, default=20)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dir", default=os.path.join(HERE, "out"),
                    help="where the corpus lives; /dev/shm takes this VM's noisy disk out of the figure")
    args = ap.parse_args()
    subprocess.run(["swift", "build", "-c", "release", "--product", "lectern"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    binpath = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
    corpus = os.path.join(args.dir, f"corpus-{args.lessons}")
    subprocess.run([sys.executable, os.path.join(HERE, "corpus.py"), corpus, "--lessons", str(args.lessons),
                    "--courses", str(args.courses)], check=True)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(corpus, "content")) for f in fs)
    runs = [measure([os.path.join(binpath, "lectern"), "build", "--quiet", "--root", corpus]) for _ in range(args.runs)]
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    rss = max(r[2] for r in runs)
    print(f"| full build, {args.lessons} lessons / {args.courses} courses ({size / 1e6:.1f} MB Markdown) in {args.dir} "
          f"| {wall:.2f} s | {cpu:.2f} s | {rss:.0f} MiB | {args.runs} runs, median wall/CPU, max RSS |")


if __name__ == "__main__":
    main()
