"""The flow engine performs no I/O: importing and running it loads neither Telegram, a database nor a scheduler."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("telegram", "sqlalchemy", "apscheduler", "psycopg", "storage", "bot", "reminders", "app")


def test_flows_imports_no_adapters() -> None:
    code = (
        "import sys, json, flows.registry as r, flows.diagram, flows.xlsform\n"
        "from flows.loader import instrument_names\n"
        "for n in instrument_names(): r.engine(n).check({})\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
