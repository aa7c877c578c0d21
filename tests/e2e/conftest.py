"""Fixtures for end-to-end tests: a fresh Bot API emulator per test, and real bot processes against it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from botapi import BotApiEmulator
from deployment import Deployment

REPO_ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: runs a real bot process against the Bot API emulator")


@pytest.fixture
def emulator() -> Iterator[BotApiEmulator]:
    emu = BotApiEmulator().start()
    yield emu
    emu.stop()


class BotProcess:
    """A bot subprocess whose stdout and stderr go to ``log_path``."""

    def __init__(self, proc: subprocess.Popen[bytes], log_path: Path, emu: BotApiEmulator, started_at: float) -> None:
        self.proc = proc
        self.log_path = log_path
        self.started_at = started_at
        self._emu = emu

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Wait until this process polls (its first getUpdates), so updates sent now reach it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"bot exited with {self.proc.returncode} before polling:\n{self.log()}")
            try:
                self._emu.wait_for_call("getUpdates", after=self.started_at, timeout=0.2)
                return
            except AssertionError:
                continue
        raise AssertionError(f"bot did not poll within {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL, for crash tests: no shutdown hooks, no final offset confirmation."""
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM (PTB shuts down cleanly and confirms its offset), SIGKILL if it hangs; the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode


StartBot = Callable[..., BotProcess]


@pytest.fixture
def start_bot(emulator: BotApiEmulator, tmp_path: Path) -> Iterator[StartBot]:
    """Start ``sys.executable *args`` with the emulator's BOT_TOKEN/BOT_API_BASE_URL/BOT_API_FILE_URL.

    ``start_bot("benchmarks/echo_bot.py", env={"X": "1"})`` returns a ready BotProcess
    (``ready=False`` to skip waiting). Every process is stopped at teardown and its log printed,
    which pytest shows for failed tests.
    """
    started: list[BotProcess] = []

    def start(
        *args: str, env: Mapping[str, str] | None = None, ready: bool = True, cwd: Path = REPO_ROOT
    ) -> BotProcess:
        full_env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "BOT_TOKEN": emulator.token,
            "BOT_API_BASE_URL": emulator.base_url,
            "BOT_API_FILE_URL": emulator.base_file_url,
            **(env or {}),
        }
        log_path = tmp_path / f"bot-{len(started) + 1}.log"
        with log_path.open("wb") as log:
            started_at = time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, *args], cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT
            )
        bot = BotProcess(proc, log_path, emulator, started_at)
        started.append(bot)
        if ready:
            bot.wait_ready()
        return bot

    yield start
    for bot in started:
        bot.stop()
        print(f"--- {bot.log_path.name} (exit {bot.proc.returncode}) ---\n{bot.log()}")


@pytest.fixture
def deployment(tmp_path: Path, start_bot: StartBot, emulator: BotApiEmulator) -> Iterator[Deployment]:
    """A fresh installation of the bot (database upgraded, Kabupaten Pekalongan loaded); start it with ``.start()``."""
    yield Deployment(tmp_path, start_bot, emulator)
