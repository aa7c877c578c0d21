"""Child process of the crash test: saves answers one transaction at a time, printing each after its commit.

Usage: python -m tests.storage.crash_writer URL DRAFT_ID...
Each line printed, ``DRAFT_ID N``, means answer N of that draft was acknowledged (committed).
"""

from __future__ import annotations

import sys

from storage.crypto import NikCipher
from storage.db import Database
from storage.repositories.drafts import save_state
from tests.storage.conftest import TEST_KEY


def main(url: str, draft_ids: list[int]) -> None:
    db = Database.from_url(url, NikCipher(TEST_KEY))
    answers: dict[int, dict[str, int]] = {draft_id: {} for draft_id in draft_ids}
    n = 0
    while True:  # until killed
        for draft_id in draft_ids:
            answers[draft_id][f"q{n}"] = n
            save_state(db, draft_id, {"answers": answers[draft_id]}, n + 1)
            print(draft_id, n, flush=True)
        n += 1


if __name__ == "__main__":
    main(sys.argv[1], [int(arg) for arg in sys.argv[2:]])
