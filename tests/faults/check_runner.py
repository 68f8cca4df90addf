"""Run ``packager check`` on one zip in a fresh process and report cost and every write.

    python -m tests.faults.check_runner PACKAGE

Prints JSON: the report, wall and CPU seconds, tracemalloc peak, peak RSS, and every path the
process opened for writing, created, renamed or removed (seen through audit hooks).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
# Audit events that change the file system: which arguments are written paths, and which
# argument is the dir_fd they may be relative to (shutil.rmtree works through dir fds).
PATH_EVENTS = {
    "os.mkdir": ((0,), 2), "os.remove": ((0,), 1), "os.rmdir": ((0,), 1),
    "os.rename": ((0, 1), 2), "os.replace": ((0, 1), 2), "os.symlink": ((1,), 2),
    "os.link": ((1,), 3), "os.truncate": ((0,), None), "os.chmod": ((0,), 2),
    "os.chown": ((0,), 3), "os.utime": ((0,), 3), "shutil.rmtree": ((0,), 1),
}


def _absolute(path: str | bytes | int, dir_fd: object) -> str | None:
    if isinstance(path, int):
        return None  # an open file descriptor: its opening was recorded
    text = os.fsdecode(path)
    if os.path.isabs(text):
        return text
    base = os.readlink(f"/proc/self/fd/{dir_fd}") if isinstance(dir_fd, int) else os.getcwd()
    return os.path.join(base, text)


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not ru_maxrss: after fork and exec that still
    counts the parent's pages (the pytest process)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(package: str) -> None:
    writes: list[str] = []

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & WRITE_FLAGS)
            if writing and (full := _absolute(path, None)):
                writes.append(full)
        elif event in PATH_EVENTS:
            positions, fd_at = PATH_EVENTS[event]
            dir_fd = args[fd_at] if fd_at is not None and fd_at < len(args) else None
            for i in positions:
                if i < len(args) and (full := _absolute(args[i], dir_fd)):
                    writes.append(full)

    from packager.scorm.check import check_package

    sys.addaudithook(hook)
    tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    report = check_package(package)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = peak_rss_mb()
    print(json.dumps({"report": report.as_dict(), "lines": report.lines(), "seconds": seconds,
                      "cpu": cpu, "traced_mb": peak / 2**20, "rss_mb": rss, "writes": writes}))


if __name__ == "__main__":
    main(sys.argv[1])
