"""A local Telegram Bot API for end-to-end tests of the real bot process.

emu = BotApiEmulator().start()
# run the bot with base_url=emu.base_url, base_file_url=emu.base_file_url, token=emu.token
siti = emu.user(1001, "Siti", language_code="id")
siti.send("/start")
siti.wait_text("Selamat datang")
"""

from .emulator import DEFAULT_TOKEN, BotApiEmulator
from .media import sample_jpeg
from .params import Upload
from .state import BotMessage, Call, CallbackAnswer, StoredFile
from .users import User

__all__ = [
    "DEFAULT_TOKEN",
    "BotApiEmulator",
    "BotMessage",
    "Call",
    "CallbackAnswer",
    "StoredFile",
    "Upload",
    "User",
    "sample_jpeg",
]
