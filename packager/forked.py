"""Independent pieces of work run in forked processes: Sphinx's parallel read, in small.

Parsing a big course is pure Python, so threads cannot spread it over cores. A fork starts
in a few milliseconds with everything already imported, works on its share and sends the
result back pickled through a pipe.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
_FAILED = object()  # a child's result that could not be had


def usable_cores() -> int:
    """Cores this process may run on (a CI container often gets fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    # A child gets only the forking thread: with another thread alive (the preview server's,
    # say), a lock that thread held would stay locked in the child for ever.
    return hasattr(os, "fork") and threading.active_count() == 1


def map_forked(func: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[func(item) for item in items]``, with items[1:] each computed in a forked child.

    items[0] is computed here meanwhile. An item whose child fails in any way (exception,
    signal, unpicklable result) is computed again here, so the result never depends on the
    children: an exception ``func`` raises is raised here, as without them.
    """
    children: list[tuple[int, int]] = []
    try:
        for item in items[1:]:
            children.append(_spawn(func, item))
        results = [func(items[0])] if items else []
        for index in range(1, len(items)):
            pid, fd = children.pop(0)
            try:
                with os.fdopen(fd, "rb") as pipe:
                    data = pipe.read()
            finally:
                _, status = os.waitpid(pid, 0)
            result = _unpickle(data) if os.waitstatus_to_exitcode(status) == 0 else _FAILED
            results.append(func(items[index]) if result is _FAILED else result)
        return results
    finally:
        for pid, fd in children:  # interrupted: stop and reap the children still running
            os.close(fd)
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass


def _unpickle(data: bytes) -> object:
    try:
        return pickle.loads(data)
    except Exception:  # a truncated result: the child died while writing it
        return _FAILED


def _spawn(func: Callable[[T], R], item: T) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into the caller's code
        code = 1
        try:
            os.close(read_fd)
            payload = pickle.dumps(func(item), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(payload)
            code = 0
        except BaseException:  # reported by the exit code; the parent redoes the item
            pass
        finally:
            os._exit(code)  # no atexit handlers, no flushing of the parent's buffers
    os.close(write_fd)
    return pid, read_fd
