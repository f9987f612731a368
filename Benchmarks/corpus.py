#!/usr/bin/env python3
"""Generates a Lectern site with N lessons spread over C courses of realistic Markdown
(headings, lists, code, tables, links between lessons, footnotes), for build benchmarks.

usage: corpus.py OUT_DIR --lessons 2000 --courses 20 [--seed 1]
"""
import argparse, os, random, shutil

WORDS = ("data schema query index table row column commit rollback backup replica cache latency "
         "throughput durable atomic journal page cursor planner vacuum checkpoint writer reader "
         "lock file program library module function value result error retry budget design").split()


def sentence(rng, n=None):
    n = n or rng.randint(8, 22)
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraph(rng):
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))


def lesson_body(rng, index, count):
    parts = [paragraph(rng), f"## {sentence(rng, 4)[:-1]}", paragraph(rng)]
    parts.append("\n".join(f"- {sentence(rng, 6)}" for _ in range(rng.randint(3, 6))))
    parts.append("```sql\nSELECT id, name FROM t WHERE id = ?;\nCREATE INDEX t_by_name ON t (name);\n```")
    parts.append("| Setting | Value | Why |\n|---|---|---|\n" +
                 "\n".join(f"| `{rng.choice(WORDS)}` | {rng.randint(1, 999)} | {sentence(rng, 5)} |" for _ in range(4)))
    parts.append(paragraph(rng) + "[^1]")
    if index + 1 < count:
        parts.append(f"Continue with [the next lesson]({index + 2:03d}-lesson-{index + 2}.md).")
    parts.append(f"## {sentence(rng, 3)[:-1]}\n\n{paragraph(rng)}\n\n- [x] {sentence(rng, 4)}\n- [ ] {sentence(rng, 4)}")
    parts.append(f"[^1]: {sentence(rng, 8)}")
    return "\n\n".join(parts) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--lessons", type=int, default=2000)
    ap.add_argument("--courses", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--template", default=os.path.join(os.path.dirname(__file__), "..", "site-template"))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(os.path.join(args.out, "content"))
    shutil.copytree(args.template, os.path.join(args.out, "site-template"))
    with open(os.path.join(args.out, "lectern.toml"), "w") as f:
        f.write('title = "Benchmark School"\nbase_url = "https://bench.test"\n\n[build]\n'
                'buy_url = "https://pay.test/{course}"\n')
    per_course = args.lessons // args.courses
    for c in range(args.courses):
        course = os.path.join(args.out, "content", f"course-{c + 1}")
        os.makedirs(course)
        with open(os.path.join(course, "_index.md"), "w") as f:
            f.write(f'---\ntitle: Course {c + 1}\nsummary: {sentence(rng)}\nprice: "{rng.randint(9, 99)}.00"\n'
                    f"tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]\n---\n{paragraph(rng)}\n")
        for i in range(per_course):
            free = "true" if i < 2 else "false"
            with open(os.path.join(course, f"{i + 1:03d}-lesson-{i + 1}.md"), "w") as f:
                f.write(f"---\ntitle: \"Lesson {i + 1}: {sentence(rng, 4)[:-1]}\"\nfree: {free}\n---\n")
                f.write(lesson_body(rng, i, per_course))


if __name__ == "__main__":
    main()
