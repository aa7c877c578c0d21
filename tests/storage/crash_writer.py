"""Child process of the crash tests: saves answers one transaction at a time, printing each after its commit.

Usage: python -m tests.storage.crash_writer [--threads] URL DRAFT_ID...
Each line printed, ``DRAFT_ID N``, means answer N of that draft was acknowledged (committed). With
``--threads`` each draft is written by its own thread, all at once (their commits may be shared).
"""

from __future__ import annotations

import sys
import threading

from storage.crypto import NikCipher
from storage.db import Database
from storage.repositories.drafts import save_state
from tests.storage.conftest import TEST_KEY

_print = threading.Lock()


def _acknowledge(draft_id: int, n: int) -> None:
    with _print:
        print(draft_id, n, flush=True)


def _conversation(db: Database, draft_id: int) -> None:
    answers: dict[str, int] = {}
    n = 0
    while True:  # until killed
        answers[f"q{n}"] = n
        save_state(db, draft_id, {"answers": answers}, n + 1)
        _acknowledge(draft_id, n)
        n += 1


def main(url: str, draft_ids: list[int], threads: bool) -> None:
    db = Database.from_url(url, NikCipher(TEST_KEY), workers=len(draft_ids))
    if threads:
        for draft_id in draft_ids:
            threading.Thread(target=_conversation, args=(db, draft_id), daemon=True).start()
        threading.Event().wait()
    answers: dict[int, dict[str, int]] = {draft_id: {} for draft_id in draft_ids}
    n = 0
    while True:  # until killed
        for draft_id in draft_ids:
            answers[draft_id][f"q{n}"] = n
            save_state(db, draft_id, {"answers": answers[draft_id]}, n + 1)
            _acknowledge(draft_id, n)
        n += 1


if __name__ == "__main__":
    arguments = sys.argv[1:]
    threaded = "--threads" in arguments
    arguments = [a for a in arguments if a != "--threads"]
    main(arguments[0], [int(a) for a in arguments[1:]], threaded)
