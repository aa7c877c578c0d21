"""``ats-bot run`` runs itself again as ``python -OO`` (app.cli.run_optimised): the same process, so Docker and
service managers follow it, and it still serves a volunteer; ``BOT_KEEP_ASSERTS=1`` keeps the interpreter as started."""

from __future__ import annotations

from pathlib import Path

import pytest
from botapi import BotApiEmulator
from deployment import Deployment

pytestmark = pytest.mark.e2e


def interpreter_options(pid: int) -> list[str]:
    """The options between the interpreter and ``-m app.cli`` on the process's command line."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    return argv[1:argv.index("-m")]


def test_the_bot_runs_optimised_and_answers(emulator: BotApiEmulator, deployment: Deployment) -> None:
    bot = deployment.start()
    assert interpreter_options(bot.proc.pid) == ["-OO"]  # the process it was started as, now optimised
    deployment.enrol(emulator.user(1001, "Siti"), "pendamping", "33.26.08")  # answered and written
    assert bot.stop() == 0


def test_keep_asserts_runs_the_bot_as_started(emulator: BotApiEmulator, deployment: Deployment) -> None:
    deployment.env["BOT_KEEP_ASSERTS"] = "1"
    bot = deployment.start()
    assert interpreter_options(bot.proc.pid) == []
    deployment.enrol(emulator.user(1001, "Siti"), "pendamping", "33.26.08")
