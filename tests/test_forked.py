"""map_forked: the same results as a plain loop, whatever happens to the children."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from packager.forked import can_fork, map_forked

PARENT = os.getpid()


def square_with_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def test_items_after_the_first_run_in_children_and_come_back_in_order():
    results = map_forked(square_with_pid, [1, 2, 3, 4])
    assert [r for r, _ in results] == [1, 4, 9, 16]
    pids = [pid for _, pid in results]
    assert pids[0] == PARENT
    assert PARENT not in pids[1:] and len(set(pids[1:])) == 3


def killed_in_child(n: int) -> tuple[int, int]:
    if os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGKILL)
    return square_with_pid(n)


def test_a_killed_child_is_redone_here():
    assert map_forked(killed_in_child, [1, 2, 3]) == [(1, PARENT), (4, PARENT), (9, PARENT)]


def unpicklable_in_child(n: int):
    return (lambda: n) if os.getpid() != PARENT else n


def test_a_result_that_cannot_come_back_is_redone_here():
    assert map_forked(unpicklable_in_child, [1, 2]) == [1, 2]


def fails_on_two(n: int) -> int:
    if n == 2:
        raise ValueError("two")
    return n


def test_an_exception_is_raised_here_as_without_children():
    before = _children()
    with pytest.raises(ValueError, match="two"):
        map_forked(fails_on_two, [1, 2, 3])
    assert _children() == before


def test_interrupted_parent_reaps_its_children():
    def slow_then_boom(n: int) -> int:
        if os.getpid() == PARENT:
            raise KeyboardInterrupt
        threading.Event().wait(30)  # a child still working when the parent gives up
        return n

    before = _children()
    with pytest.raises(KeyboardInterrupt):
        map_forked(slow_then_boom, [1, 2, 3])
    assert _children() == before  # killed and reaped: not even zombies are left


def _children() -> set[str]:
    """This thread's child processes, zombies included (Linux)."""
    with open(f"/proc/{PARENT}/task/{threading.get_native_id()}/children") as f:
        return set(f.read().split())


def test_no_fork_while_another_thread_runs():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_fork()
    finally:
        stop.set()
        thread.join()
