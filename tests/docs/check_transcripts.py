#!/usr/bin/env python3
"""Runs the transcripts quoted in the docs and checks that their output still holds.

A transcript is a fenced block whose info string is `console`:

    ```console
    $ build/bin/trader-tools replay runs/paper --verify
    identical: 46748 messages, decision hash ef15...
    ```

Each `$ ` line (with `\\` continuation lines) is run with bash, in order, in one scratch
directory per Markdown file that links `build`, `config` and `tests` from the checkout,
so paths like `runs/paper` land in the scratch directory and later transcripts of the
same file see what earlier ones wrote. The lines after a command are its expected
standard output:
  - a line `...` stands for any number of lines;
  - a line ending in `...` must be a prefix of the output line;
  - durations (`0.23 s`) and rates (`211198 messages/s`, `lines/s`) are masked on both sides, so
    a transcript holds counts, hashes and money, not timings.
Any other difference fails, naming the file, the line and both texts.

Output that no reader's command prints by itself (a log seen through a local stand-in for
Slack, a divergence only a test can provoke) is quoted under a comment naming the command
that produces it; the fenced block after the comment is its expected output, checked the
same way:

    <!-- output of: bash tests/docs/alerts_demo.sh -->
    ```
    [node] [info] alerts to slack ...
    ```

Usage: check_transcripts.py REPO FILE.md...   (exit 0: all hold; 1: a transcript drifted)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

MASKS = [
    (re.compile(r"\b\d+(?:\.\d+)? s\b"), "<seconds> s"),
    (re.compile(r"\b\d+ (messages|lines|records)/s\b"), r"<rate> \1/s"),
]


def mask(line):
    for pattern, replacement in MASKS:
        line = pattern.sub(replacement, line)
    return line.rstrip()


PRODUCER = re.compile(r"^<!-- output of: (.+) -->$")


def fenced_block(lines, i):
    """[(line number, line)] of the fenced block opening at or after line i, and the index after it."""
    while i < len(lines) and not lines[i].startswith("```"):
        i += 1
    i += 1
    body = []
    while i < len(lines) and lines[i].strip() != "```":
        body.append((i + 1, lines[i]))
        i += 1
    return body, i + 1


def transcripts(path):
    """Yields (line number, command, [(line number, expected line)]) in file order."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        producer = PRODUCER.match(lines[i].strip())
        if producer:
            expected, after = fenced_block(lines, i + 1)
            yield (i + 1, producer.group(1), expected)
            i = after
            continue
        if lines[i].strip() == "```console":
            i += 1
            command = None
            expected = []
            while i < len(lines) and lines[i].strip() != "```":
                line = lines[i]
                if line.startswith("$ "):
                    if command is not None:
                        yield command
                    start = i + 1
                    text = line[2:]
                    while text.endswith("\\") and i + 1 < len(lines):
                        i += 1
                        text = text[:-1] + " " + lines[i].strip()
                    command = (start, text, [])
                elif command is not None:
                    command[2].append((i + 1, line))
                i += 1
            if command is not None:
                yield command
        i += 1


def compare(expected, actual):
    """None if `actual` (lines) matches `expected` ([(line number, text)]), else why not."""
    got = [mask(a) for a in actual]
    pos = 0
    skipping = False
    for number, text in expected:
        if text.strip() == "...":
            skipping = True
            continue
        want = mask(text)
        prefix = want.endswith("...")
        if prefix:
            want = want[:-3]

        def matches(line):
            return line.startswith(want) if prefix else line == want

        if skipping:
            while pos < len(got) and not matches(got[pos]):
                pos += 1
            if pos == len(got):
                return number, text, "(no such line in the rest of the output)"
        elif pos >= len(got) or not matches(got[pos]):
            return number, text, got[pos] if pos < len(got) else "(the output ended)"
        pos += 1
        skipping = False
    if not skipping and pos < len(got):
        return expected[-1][0] if expected else 0, "(the end of the transcript)", got[pos]
    return None


def check_file(repo, path):
    failures = 0
    count = 0
    scratch = tempfile.mkdtemp(prefix="trader-docs-")
    try:
        for name in ("build", "config", "tests"):
            os.symlink(os.path.join(repo, name), os.path.join(scratch, name))
        for start, command, expected in transcripts(path):
            count += 1
            run = subprocess.run(["bash", "-c", command], cwd=scratch, capture_output=True, text=True,
                                 timeout=600)
            why = compare(expected, run.stdout.rstrip("\n").split("\n") if run.stdout else [])
            if why is not None:
                failures += 1
                number, want, got = why
                print(f"FAIL {path}:{number}: the transcript of '{command}' (line {start}) drifted")
                print(f"  documented: {want}")
                print(f"  now:        {got}")
                if run.returncode != 0:
                    print(f"  (exit {run.returncode}: {run.stderr.strip().splitlines()[-1:]})")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return count, failures


def main():
    if len(sys.argv) < 3:
        print("usage: check_transcripts.py REPO FILE.md...", file=sys.stderr)
        return 2
    repo = os.path.abspath(sys.argv[1])
    total = failed = 0
    for path in sys.argv[2:]:
        count, failures = check_file(repo, path)
        total += count
        failed += failures
        print(f"{path}: {count} transcript command(s), {failures} drifted")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
