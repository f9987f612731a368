#!/usr/bin/env python3
"""Lectern against the tools a creator would otherwise pick, on the same machine in the same run:

- full build vs Hugo (Debian `hugo`) on the same generated corpus (1k, 10k, 100k lessons by default):
  wall, CPU (user+sys) and peak RSS, medians over --runs, Lectern and Hugo interleaved;
- Markdown rendering on one core vs the `cmark-gfm` CLI on the same text (median of --runs);
- incremental rebuild (`lectern serve`'s refresh) after a one-lesson edit, at 10k lessons.

The Hugo site gets the same Markdown, front matter and a minimal layout that lists the course's
lessons on each page (as Lectern's syllabus does). Prints Markdown tables for BENCHMARKS.md.

usage: Benchmarks/peers.py [--sizes 1000,10000,100000] [--runs 3] [--dir /dev/shm/lectern-peers]
"""
import argparse, os, re, shutil, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

HUGO_LAYOUTS = {
    "_default/baseof.html": '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title>'
                            '<link rel="stylesheet" href="/style.css"></head><body><main>{{ block "main" . }}{{ end }}</main></body></html>\n',
    "_default/single.html": '{{ define "main" }}<aside><ol>{{ range .CurrentSection.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>'
                            '{{ end }}</ol></aside><article><h1>{{ .Title }}</h1>{{ .Content }}</article><nav>'
                            '{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}'
                            '{{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>{{ end }}\n',
    "_default/list.html": '{{ define "main" }}<h1>{{ .Title }}</h1><p>{{ .Params.summary }}</p>{{ .Content }}<ol>{{ range .Pages }}'
                          '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ol>{{ end }}\n',
    "index.html": '{{ define "main" }}<h1>{{ .Site.Title }}</h1><ul>{{ range .Sections }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>'
                  '</li>{{ end }}</ul>{{ end }}\n',
}


def timed(command, cwd=None):
    """(wall s, cpu s, peak RSS MiB) of a command, from GNU time."""
    result = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M"] + command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed: {result.stderr[-2000:]}")
    wall, user, system, rss = result.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(rss) / 1024


def hugo_site(corpus, out):
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(os.path.join(corpus, "content"), os.path.join(out, "content"))
    for name, text in HUGO_LAYOUTS.items():
        path = os.path.join(out, "layouts", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    os.makedirs(os.path.join(out, "static"))
    shutil.copy(os.path.join(ROOT, "site-template", "static", "style.css"), os.path.join(out, "static"))
    with open(os.path.join(out, "hugo.toml"), "w") as f:
        f.write('baseURL = "https://bench.test/"\ntitle = "Benchmark School"\ndisableKinds = ["taxonomy", "term"]\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="/dev/shm/lectern-peers")
    args = ap.parse_args()
    for tool in ("hugo", "cmark-gfm"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install hugo cmark-gfm")
    subprocess.run(["swift", "build", "-c", "release", "--product", "lectern"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    lectern = os.path.join(subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                                          capture_output=True, text=True).stdout.strip(), "lectern")
    hugo_version = subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.split()[1]
    os.makedirs(args.dir, exist_ok=True)

    print(f"## Full build vs Hugo {hugo_version}\n")
    print("| lessons (courses) | Lectern wall | Hugo wall | wall ratio | Lectern CPU | Hugo CPU | Lectern RSS | Hugo RSS | runs |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size in [int(s) for s in args.sizes.split(",")]:
        courses = max(1, size // 100)
        corpus = os.path.join(args.dir, f"corpus-{size}")
        subprocess.run([sys.executable, os.path.join(HERE, "corpus.py"), corpus, "--lessons", str(size), "--courses", str(courses)], check=True)
        hugo = os.path.join(args.dir, f"hugo-{size}")
        hugo_site(corpus, hugo)
        runs = args.runs if size <= 10000 else 1
        ours, theirs = [], []
        for _ in range(runs):
            ours.append(timed([lectern, "build", "--quiet", "--root", corpus, "--out", os.path.join(args.dir, f"out-{size}")]))
            theirs.append(timed(["hugo", "--quiet", "--cleanDestinationDir", "-s", hugo, "-d", os.path.join(args.dir, f"hugo-out-{size}")]))
        med = lambda rows, i: statistics.median(r[i] for r in rows)
        print(f"| {size:,} ({courses}) | {med(ours, 0):.2f} s | {med(theirs, 0):.2f} s | {med(ours, 0) / med(theirs, 0):.2f}× "
              f"| {med(ours, 1):.2f} s | {med(theirs, 1):.2f} s | {max(r[2] for r in ours):.0f} MiB | {max(r[2] for r in theirs):.0f} MiB | {runs} |")
        sys.stdout.flush()
        shutil.rmtree(hugo, ignore_errors=True)
        for out in (f"out-{size}", f"hugo-out-{size}"):
            shutil.rmtree(os.path.join(args.dir, out), ignore_errors=True)

    corpus = os.path.join(args.dir, "corpus-10000")
    if not os.path.exists(corpus):
        subprocess.run([sys.executable, os.path.join(HERE, "corpus.py"), corpus, "--lessons", "10000", "--courses", "100"], check=True)
    print("\n## Markdown rendering vs the cmark-gfm CLI (one core, 10,000 lesson bodies)\n")
    print("| renderer | time | throughput |\n|---|---|---|")
    bodies = os.path.join(args.dir, "bodies.md")
    per_file, whole, cli = [], [], []
    for _ in range(args.runs):
        out = subprocess.run([lectern, "bench", "markdown", "--root", corpus, "--concatenated", bodies], check=True,
                             capture_output=True, text=True).stdout
        numbers = re.findall(r"([\d.]+) s \(([\d.]+) MB/s\)", out)
        per_file.append(float(numbers[0][0]))
        whole.append(float(numbers[1][0]))
        cli.append(timed(["sh", "-c", f"cmark-gfm -e table -e strikethrough -e autolink -e tagfilter -e tasklist -e footnotes {bodies} > /dev/null"])[0])
    megabytes = os.path.getsize(bodies) / 1048576
    for name, times in (("cmark-gfm CLI, one document", cli), ("Lectern, the same document", whole), ("Lectern, file by file (its real workload)", per_file)):
        t = statistics.median(times)
        print(f"| {name} | {t:.2f} s | {megabytes / t:.1f} MB/s ({statistics.median(cli) / t:.2f}× cmark-gfm) |")

    print("\n## Incremental rebuild after a one-lesson edit\n")
    out = subprocess.run([lectern, "bench", "incremental", "--root", corpus, "--rounds", "10"], check=True, capture_output=True, text=True).stdout
    print(out.strip())


if __name__ == "__main__":
    main()
