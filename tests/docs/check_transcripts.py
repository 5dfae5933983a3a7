#!/usr/bin/env python3
"""Runs the transcripts quoted in the docs and checks that their output still holds.

A transcript is a fenced block whose info string is `console`:

    ```console
    $ build/bin/trader-tools replay runs/paper --verify
    identical: 46794 messages, decision hash ef15...
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

Usage: check_transcripts.py [--update] REPO FILE.md...   (exit 0: all hold; 1: a transcript drifted)

--update rewrites each drifted line in place with what the command prints now (a line
ending in `...` keeps as many words as it had, then `...`), for when a change of behaviour
moves the numbers on purpose: read the diff of the pages before committing it.
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


def walk(expected, got):
    """None if the masked output lines `got` match `expected`, else (index into expected, or
    len(expected) for output left over; the output line it stood at; whether after a `...`)."""
    pos = 0
    skipping = False
    for index, (number, text) in enumerate(expected):
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
            start = pos
            while pos < len(got) and not matches(got[pos]):
                pos += 1
            if pos == len(got):
                return index, start, True
        elif pos >= len(got) or not matches(got[pos]):
            return index, pos, False
        pos += 1
        skipping = False
    if not skipping and pos < len(got):
        return len(expected), pos, False
    return None


def compare(expected, actual):
    """None if `actual` (lines) matches `expected` ([(line number, text)]), else why not."""
    got = [mask(a) for a in actual]
    why = walk(expected, got)
    if why is None:
        return None
    index, pos, skipping = why
    if index == len(expected):
        return expected[-1][0] if expected else 0, "(the end of the transcript)", got[pos]
    number, text = expected[index]
    if skipping:
        return number, text, "(no such line in the rest of the output)"
    return number, text, got[pos] if pos < len(got) else "(the output ended)"


def common_prefix(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def updated(expected, actual):
    """`expected` with each drifted line replaced by the output line it stands for (after a
    `...`, the one sharing the longest start with it); a line ending in `...` keeps as many
    words as it had. Lines missing or left over are not added or removed: fix those by hand."""
    expected = list(expected)
    actual = [a.rstrip() for a in actual]
    got = [mask(a) for a in actual]
    for _ in range(len(expected)):
        why = walk(expected, got)
        if why is None or why[0] == len(expected):
            break
        index, pos, skipping = why
        candidates = range(pos, len(got)) if skipping else range(pos, min(pos + 1, len(got)))
        if not candidates:
            break
        text = expected[index][1]
        prefix = text.endswith("...")
        want = mask(text[:-3] if prefix else text)
        best = actual[max(candidates, key=lambda k: common_prefix(got[k], want))]
        if prefix:
            best = " ".join(best.split(" ")[:len(text.split(" ")) - 1]) + " ..."
        if best == text:
            break
        expected[index] = (expected[index][0], best)
    return expected


def check_file(repo, path, update=False):
    failures = 0
    count = 0
    edits = {}  # line number -> its text now (--update)
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
                if update:
                    for number, text in updated(expected, run.stdout.rstrip("\n").split("\n")):
                        edits[number] = text
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if edits:
        lines = open(path, encoding="utf-8").read().split("\n")
        for number, text in edits.items():
            lines[number - 1] = text
        open(path, "w", encoding="utf-8").write("\n".join(lines))
    return count, failures


def main():
    args = sys.argv[1:]
    update = bool(args) and args[0] == "--update"
    if update:
        args = args[1:]
    if len(args) < 2:
        print("usage: check_transcripts.py [--update] REPO FILE.md...", file=sys.stderr)
        return 2
    repo = os.path.abspath(args[0])
    total = failed = 0
    for path in args[1:]:
        count, failures = check_file(repo, path, update)
        total += count
        failed += failures
        print(f"{path}: {count} transcript command(s), {failures} drifted")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
