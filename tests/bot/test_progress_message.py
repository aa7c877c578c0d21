"""The router's progress message: sent once, then edited, at most every few seconds, never blocking the work."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from bot import router


class FakeBot:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def send_message(self, chat_id: int, text: str) -> Any:
        self.calls.append(("send", text))
        return type("Message", (), {"message_id": 7})()

    async def edit_message_text(self, text: str, chat_id: int, message_id: int) -> Any:
        assert message_id == 7
        self.calls.append(("edit", text))


def test_first_report_sends_later_ones_edit_and_are_throttled() -> None:
    clock = {"now": 100.0}
    bot = FakeBot()

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        report = router.progress_message(bot, 42, loop, clock=lambda: clock["now"])

        def worker() -> None:  # the import runs in a worker thread
            report("10%")
            clock["now"] += 1
            report("20%")  # within the interval: skipped
            clock["now"] += router.PROGRESS_INTERVAL

        thread = threading.Thread(target=worker)
        thread.start()
        while thread.is_alive():
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        threading.Thread(target=lambda: report("90%")).start()
        await asyncio.sleep(0.1)

    asyncio.run(scenario())
    assert bot.calls == [("send", "10%"), ("edit", "90%")]
