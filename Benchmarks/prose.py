#!/usr/bin/env python3
"""Makes a Lectern site of real prose for the leak-tracing experiment: every Markdown file under SOURCE with at
least --min-words words outside code becomes a paid lesson, in courses of 20 lessons (all paid: the same text
in two packages' docs would trip the build's check that no free page quotes a paid one). Images are dropped and
links to files outside the site keep only their words; the rest is rendered as a creator's Markdown would be.

usage: prose.py OUT_DIR SOURCE [--min-words 800] [--max-words 6000]   (e.g. SOURCE = .build/checkouts, the packages' own docs)
"""
import argparse, glob, os, re, shutil

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("source")
ap.add_argument("--min-words", type=int, default=800)
ap.add_argument("--max-words", type=int, default=6000)  # a lesson, not a book (or a changelog)
ap.add_argument("--template", default=os.path.join(os.path.dirname(__file__), "..", "site-template"))
args = ap.parse_args()


def prose_words(text):
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return len(re.findall(r"[A-Za-z]+", re.sub(r"`[^`]*`", "", text)))


lessons = []
for path in sorted(glob.glob(os.path.join(args.source, "**", "*.md"), recursive=True)):
    text = open(path, encoding="utf-8", errors="replace").read()
    text = re.sub(r"\A(---|\+\+\+)\n.*?\n\1\n", "", text, flags=re.S)  # their own front matter
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images (badges, mostly) carry no prose
    # Links to files beside the source and not in the site would fail the build (as they should): keep their
    # words, drop the link.
    text = re.sub(r"!?\[([^\]]*)\]\((?!https?:|mailto:)[^)]*\)", r"\1", text)
    text = re.sub(r"(?m)^\[[^\]]+\]:[ \t]*(?!https?:)\S+.*$", "", text)
    if args.min_words <= prose_words(text) <= args.max_words:
        lessons.append((path, text))
if os.path.exists(args.out):
    shutil.rmtree(args.out)
os.makedirs(os.path.join(args.out, "content"))
shutil.copytree(args.template, os.path.join(args.out, "site-template"))
with open(os.path.join(args.out, "lectern.toml"), "w") as f:
    f.write('title = "Real prose"\nbase_url = "https://prose.test"\n\n[build]\nbuy_url = "https://pay.test/{course}"\n')
for index, (path, text) in enumerate(lessons):
    course = os.path.join(args.out, "content", f"prose-{index // 20 + 1}")
    if index % 20 == 0:
        os.makedirs(course)
        with open(os.path.join(course, "_index.md"), "w") as f:
            f.write(f'---\ntitle: Prose {index // 20 + 1}\nsummary: Real documentation prose.\nprice: "10.00"\n---\n')
    title = os.path.relpath(path, args.source).replace('"', "'")
    with open(os.path.join(course, f"{index % 20 + 1:03d}-lesson-{index + 1}.md"), "w") as f:
        f.write(f'---\ntitle: "{title}"\nfree: false\n---\n{text}')
print(f"{len(lessons)} lessons of at least {args.min_words} words")
