"""``bench_bot.py``'s ``sys`` and ``cs`` columns: the kernel's CPU of the bot process and its worker threads'
context switches, read from /proc."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from bench_bot import _system_cpu, _worker_switches

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")


def test_a_worker_thread_that_waits_is_counted_and_the_main_thread_is_not() -> None:
    pid = os.getpid()
    before = _worker_switches(pid)
    for _ in range(20):  # the main thread waiting is not a worker's switch
        time.sleep(0.001)
    assert _worker_switches(pid) - before < 20
    waiting = threading.Event()
    done = threading.Event()

    def waits() -> None:
        for _ in range(50):
            time.sleep(0.001)
        waiting.set()
        done.wait(10)

    alive = threading.Thread(target=waits)
    start = _worker_switches(pid)
    alive.start()
    waiting.wait(10)
    assert _worker_switches(pid) - start >= 50
    done.set()
    alive.join(timeout=10)


def test_system_time_grows_with_system_calls() -> None:
    pid = os.getpid()
    before = _system_cpu(pid)
    deadline = time.process_time() + 0.5
    while _system_cpu(pid) - before < 0.02 and time.process_time() < deadline:
        for _ in range(2000):
            os.stat("/")
    assert _system_cpu(pid) - before >= 0.02
    assert _system_cpu(999_999_999) == 0.0  # a process that is gone counts nothing
