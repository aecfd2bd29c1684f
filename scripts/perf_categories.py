#!/usr/bin/env python3
"""CPU seconds by category from a system-wide `perf record -g -a` of a StreamRec process.

How the item side's cost was split (docs/benchmarks.md, "Where the item side's CPU goes"):

    DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 streamrec run --limit 50000 &   # perf can name JIT frames
    perf record -F 499 -g -a -o perf.data -- sleep 19          # started when the run prints "replaying"
    perf script -i perf.data -F comm,pid,tid,ip,sym,dso > perf.txt
    scripts/perf_categories.py perf.txt [--hz 499]

Each sample goes to the first category whose marker is on its stack, in the order of CATEGORIES (so a handler's JIT
compilation counts as JIT, its SQLite calls as SQLite). Idle (swapper) and kernel worker samples are left out.
SQLite's native frames have no frame pointers, so its samples do not show which service wrote: compare a run
without the item side to see the item side's share.
"""

import argparse
import collections
import os
import sys

# (category, markers searched for in the sample's thread name and whole stack, or only in its innermost frame when
# leaf_only). librdkafka's own threads are named rdk:..., so their kernel time counts as Kafka's.
CATEGORIES = [
    ("jit", ("libclrjit",), False),
    ("onnx runtime", ("libonnxruntime",), True),
    ("sqlite + file io", ("e_sqlite3", "pwrite", "pread", "fdatasync", "fsync"), False),
    ("kafka native", ("rdk:", "librdkafka"), False),
    ("item-side handler", ("CoEngagementHandler",), False),
    ("recommender handler", ("RecommenderHandler",), False),
    ("profile-updater handler", ("ProfileUpdaterHandler", "EngagementOutbox"), False),
    ("coreclr (runtime native code, the GC among it)", ("libcoreclr",), True),
    ("kernel, other", ("kernel",), True),
]
IGNORED_COMMANDS = ("swapper", "kdamond", "kworker", "perf")


def samples(path):
    current = []
    with open(path, errors="replace") as lines:
        for line in lines:
            if line.strip():
                current.append(line.rstrip())
            elif current:
                yield current
                current = []
    if current:
        yield current


def category(sample):
    stack = "\n".join(sample)
    leaf = sample[1] if len(sample) > 1 else ""
    for name, markers, leaf_only in CATEGORIES:
        if any(marker in (leaf if leaf_only else stack) for marker in markers):
            return name
    return "other"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("script", help="output of perf script -F comm,pid,tid,ip,sym,dso")
    parser.add_argument("--hz", type=float, default=499, help="the sampling frequency given to perf record (default 499)")
    args = parser.parse_args()
    if not os.path.isfile(args.script):
        sys.exit(f"{args.script}: no such file (make it with: perf script -i perf.data -F comm,pid,tid,ip,sym,dso > FILE)")
    counts = collections.Counter()
    idle = 0
    for sample in samples(args.script):
        if sample[0].split()[0].startswith(IGNORED_COMMANDS):
            idle += sample[0].startswith("swapper")
            continue
        counts[category(sample)] += 1
    if not counts:
        sys.exit(f"no samples in {args.script}")
    total = sum(counts.values())
    print("| category | CPU s | share |\n| --- | ---: | ---: |")
    for name, count in counts.most_common():
        print(f"| {name} | {count / args.hz:.2f} | {count / total:.0%} |")
    print(f"| all | {total / args.hz:.2f} | |")
    print(f"idle (swapper) core-seconds in the recorded window: {idle / args.hz:.2f}")


if __name__ == "__main__":
    main()
