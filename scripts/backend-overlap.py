#!/usr/bin/env python3
"""Lines the two storage backend crates share in runs of 5 or more.

Lines are compared after normalising placeholders ($1, ?) and backend names,
blank lines left out. The SQL both engines run is written once in
zhengshu-storage-sql; this keeps the backends to what truly differs.
Usage: python3 scripts/backend-overlap.py [-v]   (from the repository root)
"""
import glob
import re
import sys

RUN = 5
CRATES = ("crates/zhengshu-storage-sqlite", "crates/zhengshu-storage-postgres")


def norm(line):
    line = line.strip()
    line = re.sub(r"\$\d+", "$n", line).replace("?", "$n")
    return re.sub(r"(?i)sqlite|postgres(ql)?|\bpg\b|Pg", "X", line)


def lines(crate):
    out = []
    for path in sorted(glob.glob(crate + "/src/**/*.rs", recursive=True)):
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                n = norm(line)
                if n:
                    out.append((path, number, n))
    return out


a, b = (lines(c) for c in CRATES)
windows = {tuple(x[2] for x in b[i : i + RUN]) for i in range(len(b) - RUN + 1)}
shared = set()
for i in range(len(a) - RUN + 1):
    if tuple(x[2] for x in a[i : i + RUN]) in windows:
        shared.update(range(i, i + RUN))
print(f"{len(shared)} lines of {CRATES[0]} stand in {CRATES[1]} too (runs of {RUN}+)")
if "-v" in sys.argv:
    for i in sorted(shared):
        print(f"  {a[i][0]}:{a[i][1]}  {a[i][2]}")
