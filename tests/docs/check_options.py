#!/usr/bin/env python3
"""Checks that every command-line option the docs use exists in that command's --help.

Scans the fenced `sh` and `console` blocks of the given Markdown files for invocations of
`build/bin/trader-node` and `build/bin/trader-tools SUBCOMMAND...` (with `\\` continuation
lines), and runs `--help` for each command named; an option (`--name` or `--name=...`)
that the help text does not list fails, naming the file and line.

Usage: check_options.py REPO FILE.md...   (exit 0: all found; 1: an option is missing)
"""
import os
import re
import shlex
import subprocess
import sys

OPTION = re.compile(r"^(--[a-z][a-z0-9-]*)(=.*)?$")
WORD = re.compile(r"^[a-z][a-z-]*$")


def invocations(path):
    """Yields (line number, [tokens]) of each trader-node / trader-tools command line."""
    lines = open(path, encoding="utf-8").read().split("\n")
    fence = None
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped.startswith("```"):
            fence = None if fence is not None else stripped[3:]
        elif fence in ("sh", "console") and "build/bin/trader-" in lines[i]:
            start = i + 1
            text = lines[i].strip()
            while text.endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text[:-1] + " " + lines[i].strip()
            text = text.split(" #")[0]  # a trailing shell comment
            try:
                tokens = shlex.split(text.removeprefix("$ "))
            except ValueError:
                tokens = text.split()
            for k, t in enumerate(tokens):
                if t.startswith("build/bin/trader-"):
                    yield start, tokens[k:]
                    break
        i += 1


def help_text(repo, tokens, cache):
    """The binary, its subcommand path and that command's --help output."""
    binary = os.path.join(repo, tokens[0])
    words = []
    if tokens[0].endswith("trader-tools"):
        for t in tokens[1:3]:
            if not WORD.match(t):
                break
            words.append(t)
    # The longest subcommand path whose --help works (a positional word may follow).
    while True:
        key = (binary, tuple(words))
        if key not in cache:
            run = subprocess.run([binary, *words, "--help"], capture_output=True, text=True)
            cache[key] = run.stdout if run.returncode == 0 else None
        if cache[key] is not None or not words:
            return " ".join([os.path.basename(binary), *words]), cache[key] or ""
        words.pop()


def main():
    if len(sys.argv) < 3:
        print("usage: check_options.py REPO FILE.md...", file=sys.stderr)
        return 2
    repo = os.path.abspath(sys.argv[1])
    cache = {}
    checked = missing = 0
    for path in sys.argv[2:]:
        for line, tokens in invocations(path):
            command, text = help_text(repo, tokens, cache)
            for t in tokens[1:]:
                m = OPTION.match(t)
                if not m:
                    continue
                checked += 1
                if m.group(1) not in text:
                    missing += 1
                    print(f"FAIL {path}:{line}: {command} has no option {m.group(1)} in its --help")
    print(f"{checked} documented option use(s), {missing} not in --help")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
