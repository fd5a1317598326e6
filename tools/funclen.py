#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Function lengths in C sources (kernel style: the body's braces at column 0), from the first line of
# the signature to the closing brace. Prints "lines file:line name", longest first.
#   tools/funclen.py [--min N] [DIR|FILE...]     (default: src, every length)
import os
import re
import sys


def functions(path):
    lines = open(path, errors="replace").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i] == "{" and i > 0:
            start = i - 1
            while start > 0 and lines[start][:1] in ("\t", " "):
                start -= 1  # a signature continued over several lines
            end = i + 1
            while end < len(lines) and lines[end] != "}":
                end += 1
            name = re.search(r"(\w+)\s*\(", lines[start])
            if name:
                yield end - start + 1, start + 1, name.group(1)
            i = end
        i += 1


def main(argv):
    minimum, paths = 0, []
    while argv:
        a = argv.pop(0)
        if a == "--min":
            minimum = int(argv.pop(0))
        else:
            paths.append(a)
    found = []
    for top in paths or ["src"]:
        files = [top] if os.path.isfile(top) else [
            os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs if f.endswith(".c")]
        for f in sorted(files):
            found += [(n, f, line, name) for n, line, name in functions(f)]
    for n, f, line, name in sorted(found, key=lambda x: (-x[0], x[1], x[2])):
        if n >= minimum:
            print(f"{n:5d} {f}:{line} {name}")


main(sys.argv[1:])
