"""One chat turn in a process of its own, killed (SIGKILL) at a chosen write: the crash tests' subject.

``python -m tests.crash.turn_process DB_FILE UPDATE_JSON [KILL_AT]``: ``KILL_AT`` is ``N`` (die right after the
N-th write statement of the turn reaches the database), ``commit`` (die as the commit is issued, before it
completes) or ``replies`` (die after the commit, before any reply could be sent). Without it the turn runs to
the end and the statements it wrote are printed, one per line (``TABLE VERB``).

``python -m tests.crash.turn_process --serve``: the same, many times over without paying the bot's imports
(a second or more of CPU) for each turn: the modules are imported once, then each request read from stdin, one
JSON line ``{"db": …, "update": …, "kill_at": …, "out": …}``, runs in a child process forked for it, which opens
the database itself and writes what it would print to the file ``out``; the reply, one JSON line, is the child's
exit status as :mod:`subprocess` gives it (``-9``: killed by SIGKILL).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import sys
from typing import Any

from sqlalchemy import event

from bot.conversation import Conversations
from bot.model import Incoming, Kind
from bot.store import BotStore
from storage.crypto import NikCipher
from storage.db import Database
from tests.storage.conftest import TEST_KEY

TODAY = dt.date(2026, 11, 23)
WRITE = re.compile(r"^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", re.IGNORECASE)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(path: str, update_file: str, kill_at: str | None) -> None:
    db = Database.from_url(f"sqlite:///{path}", NikCipher(TEST_KEY))
    writes: list[str] = []

    @event.listens_for(db.engine, "after_cursor_execute")
    def _written(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        found = WRITE.match(statement)
        if found:
            writes.append(f"{found.group(2).lower()} {found.group(1).split()[0].lower()}")
            if kill_at == str(len(writes)):
                die()

    @event.listens_for(db.engine, "commit")
    def _committing(conn: Any) -> None:
        if kill_at == "commit" and writes:
            die()

    with open(update_file, encoding="utf-8") as file:
        raw = json.load(file)
    incoming = Incoming(**{**raw, "kind": Kind(raw["kind"])})
    Conversations(BotStore(db), today=lambda: TODAY).process(incoming)
    if kill_at == "replies":
        die()
    print("\n".join(writes))


def serve() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the child: one turn, then out without running the parent's clean-up
            code = 1
            try:
                with open(request["out"], "w", encoding="utf-8") as out:
                    sys.stdout = out
                    main(request["db"], request["update"], request["kill_at"])
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
