#!/usr/bin/env python3
"""Issue 29: splits `perf script` output of a FloorBench run (seqonly=1) into where the CPU goes, per process.

Usage: perf script -i perf.data -F comm,pid,tid,ip,sym,dso | python3 perf-breakdown.py
Each sample is put in one category by its stack: a kernel leaf by the system call it is under (futex = thread wake-ups and
waits; read/write = the pipes) or as scheduling/other; a user leaf as PluginIpc (any PluginIpc frame on the stack below
user code that is not a system call), async/thread-pool machinery, other managed code, or the runtime's native code.
Prints the share of each category per process (by pid) and per thread name.
"""
import collections
import re
import sys

samples = []  # (pid, comm, frames[(sym, dso)])
current = None
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line.strip():
        if current:
            samples.append(current)
        current = None
        continue
    if not line.startswith((" ", "\t")):
        m = re.match(r"^(.*?)\s+(\d+)/(\d+)", line)
        if m:
            current = (m.group(2), m.group(1).strip(), [])
        continue
    if current is None:
        continue
    m = re.match(r"^\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$", line)
    if m:
        current[2].append((m.group(1), m.group(2)))
if current:
    samples.append(current)


def category(frames):
    if not frames:
        return "unknown"
    leaf_sym, leaf_dso = frames[0]
    kernel = "kernel" in leaf_dso or leaf_dso.startswith("[")
    if kernel:
        for sym, _ in frames:
            if "sched_yield" in sym:
                return "kernel: sched_yield (spinning)"
            if "futex" in sym:
                return "kernel: futex (wake/wait)"
            if "ksys_read" in sym or "sys_read" in sym:
                return "kernel: pipe read"
            if "ksys_write" in sym or "sys_write" in sym:
                return "kernel: pipe write"
            if "epoll" in sym or "poll" in sym:
                return "kernel: poll"
            if "sys_" in sym:
                return "kernel: other syscalls"
        return "kernel: scheduling/irq/other"
    for sym, dso in frames:
        if "PluginIpc" in sym and "FloorBench" not in sym:
            return "user: PluginIpc code (inclusive)"
    if "libcoreclr" in leaf_dso or "libclrjit" in leaf_dso:
        return "user: runtime native (coreclr)"
    if "libc" in leaf_dso or "ld-linux" in leaf_dso:
        return "user: libc"
    if re.search(r"System\.Threading|ThreadPool|AsyncTaskMethodBuilder|AsyncValueTaskMethodBuilder|ValueTask|TaskAwaiter|ExecutionContext", leaf_sym):
        return "user: async/thread-pool (BCL)"
    return "user: other managed/BCL"


by_pid = collections.defaultdict(collections.Counter)
by_thread = collections.defaultdict(collections.Counter)
comm_of = {}
for pid, comm, frames in samples:
    c = category(frames)
    by_pid[pid][c] += 1
    by_thread[(pid, comm)][c] += 1
    comm_of.setdefault(pid, comm)

for pid, counter in sorted(by_pid.items(), key=lambda kv: -sum(kv[1].values())):
    total = sum(counter.values())
    print(f"pid {pid} ({comm_of[pid]}): {total} samples")
    for c, n in counter.most_common():
        print(f"  {c:38s} {n:7d} {100.0 * n / total:5.1f}%")
print()
print("per thread (pid, name): samples and top categories")
for (pid, comm), counter in sorted(by_thread.items(), key=lambda kv: -sum(kv[1].values()))[:12]:
    total = sum(counter.values())
    top = ", ".join(f"{c} {100.0 * n / total:.0f}%" for c, n in counter.most_common(4))
    print(f"  {pid} {comm:20s} {total:7d}  {top}")
