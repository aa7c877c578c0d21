"""One chat turn in a process of its own, killed (SIGKILL) at a chosen write: the crash tests' subject.

``python -m tests.crash.turn_process DATABASE_URL UPDATE_JSON FILES_DIR [KILL_AT]``: ``KILL_AT`` is ``N`` (die
right after the N-th write statement of the turn reaches the database, or the received photo's file reaches the
disk: ``file``), ``commit`` (die as the commit is issued, before it completes) or ``replies`` (die after the
commit, before any reply could be sent). Without it the turn runs to the end and the writes it made are printed,
one per line (``TABLE VERB``, ``files write`` for the photo's file). Works on SQLite and PostgreSQL.

``python -m tests.crash.turn_process --serve``: the same, many times over without paying the bot's imports (a
second or more of CPU) for each turn: the modules are imported once, then each request read from stdin, one JSON
line ``{"url": …, "update": …, "files": …, "kill_at": …, "out": …}``, runs in a child process forked for it,
which connects to the database itself and writes what it would print to the file ``out``; the reply, one JSON
line, is the child's exit status as :mod:`subprocess` gives it (``-9``: killed by SIGKILL).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.conversation import Conversations
from bot.model import Incoming, Kind, Upload
from bot.store import BotStore
from storage.crypto import NikCipher
from storage.db import Database
from storage.keys import private_file
from storage.repositories import files
from tests.storage.conftest import TEST_KEY

TODAY = dt.date(2026, 11, 23)
WRITE = re.compile(r"^\s*(?:WITH\s+\w+\s+AS\s*\(\s*)?(INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", re.IGNORECASE)
"""A write, also the one a PostgreSQL statement opens with in a CTE (the claim of the update id with the read)."""


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def encode(incoming: Incoming) -> str:
    """An update as the JSON file this process reads (the photo's content in base64)."""
    raw: dict[str, Any] = {name: getattr(incoming, name) for name in
                           ("update_id", "user_id", "chat_id", "name", "language_hint", "text", "command", "data", "message_id", "value", "problem")}
    raw["kind"] = incoming.kind.value
    if incoming.upload is not None:
        u = incoming.upload
        raw["upload"] = {"content": base64.b64encode(u.content).decode(), "file_id": u.file_id, "unique_id": u.unique_id, "mime": u.mime}
    return json.dumps(raw)


def decode(text: str) -> Incoming:
    raw = json.loads(text)
    upload = raw.pop("upload", None)
    return Incoming(**{**raw, "kind": Kind(raw["kind"])},
                    upload=Upload(base64.b64decode(upload.pop("content")), **upload) if upload else None)


def main(url: str, update_file: str, files_dir: str, kill_at: str | None) -> None:
    db = Database.from_url(url, NikCipher(TEST_KEY))
    writes: list[str] = []

    def wrote(what: str) -> None:
        writes.append(what)
        if kill_at == str(len(writes)):
            die()

    @event.listens_for(db.engine, "after_cursor_execute")
    def _written(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        found = WRITE.match(statement)
        if found:
            wrote(f"{found.group(2).lower()} {found.group(1).split()[0].lower()}")

    @event.listens_for(db.engine, "commit")
    def _committing(conn: Any) -> None:
        if kill_at == "commit" and writes:
            die()

    def _file_written(path: Path, content: bytes) -> None:
        private_file(path, content)
        wrote("files write")

    files.private_file = _file_written  # type: ignore[attr-defined]  # the photo's file counts as a write
    incoming = decode(Path(update_file).read_text(encoding="utf-8"))
    Conversations(BotStore(db), today=lambda: TODAY, files_dir=Path(files_dir)).process(incoming)
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
                    main(request["url"], request["update"], request["files"], request["kill_at"])
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
