"""``bench_turn.py --threads N``: the volunteers' turns run in N threads at once, and each typed answer's CPU and
context switches are those of the thread that ran it."""

from __future__ import annotations

import itertools
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from bench_bot import Step
from bench_turn import Volunteer, run_threaded


class Threads:
    """Stands in for ``Conversations``: notes which thread handled each volunteer's turns, and keeps every thread
    busy until all of them have started one (so the run is concurrent, not N threads one after another)."""

    def __init__(self, volunteers: int) -> None:
        self.by_user: dict[int, set[int]] = {}
        self.together = threading.Barrier(volunteers, timeout=10)
        self.first: set[int] = set()
        self.lock = threading.Lock()

    def process(self, incoming: object) -> SimpleNamespace:
        user = incoming.user_id  # type: ignore[attr-defined]
        with self.lock:
            self.by_user.setdefault(user, set()).add(threading.get_ident())
            first = user not in self.first
            self.first.add(user)
        if first:
            self.together.wait()
        sum(i * i for i in range(20_000))  # some CPU of the thread's own
        return SimpleNamespace(duplicate=False, outcome="answered", replies=[], nonce=None, person_id=None)


def test_each_volunteer_runs_in_a_thread_of_its_own_at_once() -> None:
    script = [Step("text", "Budi", ("any", "")), Step("text", "/batal", ("any", "")), Step("text", "12", ("any", ""))]
    conversations = Threads(4)
    counter = itertools.count(1)
    volunteers = [Volunteer(conversations, uid, counter) for uid in range(1, 5)]
    figures = run_threaded(conversations, script, volunteers, form=1)
    assert set(conversations.by_user) == {1, 2, 3, 4}
    threads = [next(iter(idents)) for idents in conversations.by_user.values()]
    assert all(len(idents) == 1 for idents in conversations.by_user.values()) and len(set(threads)) == 4
    assert figures["user"] + figures["system"] > 0 and figures["switches"] >= 0


def test_a_failing_turn_is_reported_not_swallowed() -> None:
    class Broken:
        def process(self, incoming: object) -> None:
            raise RuntimeError("the database is gone")

    counter = itertools.count(1)
    conversations = Broken()
    volunteers = [Volunteer(conversations, uid, counter) for uid in (1, 2)]
    with pytest.raises(RuntimeError, match="the database is gone"):
        run_threaded(conversations, [Step("text", "Budi", ("any", ""))], volunteers, form=1)
