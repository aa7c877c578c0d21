"""An import in a process of its own, for the test that the bot keeps answering meanwhile.

    python -m tests.reports.importer_process DB_URL KEY FILE SCOPE TODAY OUT_JSON
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

from reports.imports import import_file
from storage.crypto import NikCipher
from storage.db import Database


def main(url: str, key: str, path: str, scope: str, today: str, out: str) -> None:
    db = Database.from_url(url, NikCipher(key))
    started = time.perf_counter()
    report = import_file(db, Path(path), Path(path).name, actor_id=None, region_scope=scope, today=dt.date.fromisoformat(today))
    seconds = time.perf_counter() - started
    db.dispose()
    Path(out).write_text(json.dumps({"saved": report.saved, "created": report.created, "errors": [str(e.message) for e in report.errors[:5]],
                                     "seconds": seconds, "longest_write": report.longest_write}), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:7])
