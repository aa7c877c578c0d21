"""Telegram's length limits, and fitting text into them (counted as Telegram counts: UTF-16 code units)."""

from __future__ import annotations

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
NOTICE_LIMIT = 200
"""The little notice shown after a button press."""
ELLIPSIS = "…"


def units(text: str) -> int:
    """The length of ``text`` as Telegram measures it."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` units, ending in "…" when it was cut (never inside a surrogate pair)."""
    if units(text) <= limit:
        return text
    cut = _prefix(text, limit - 1)
    return cut.rstrip() + ELLIPSIS


def split(text: str, limit: int) -> list[str]:
    """``text`` as consecutive pieces of at most ``limit`` units, cut at line breaks where possible, else at
    spaces, else anywhere. An empty text is one piece "…" (Telegram refuses an empty message)."""
    if not text.strip():
        return [ELLIPSIS]
    pieces: list[str] = []
    rest = text
    while units(rest) > limit:
        head = _prefix(rest, limit)
        cut = head.rfind("\n")
        if cut < len(head) // 2:
            cut = head.rfind(" ")
        if cut < len(head) // 2:
            cut = len(head)
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ")
    if rest.strip():
        pieces.append(rest)
    return [p for p in pieces if p.strip()] or [ELLIPSIS]


def _prefix(text: str, limit: int) -> str:
    """The longest prefix of ``text`` of at most ``limit`` units."""
    if units(text) <= limit:
        return text
    low, high = 0, min(len(text), limit)
    while low < high:  # binary search: the prefix length in code points
        middle = (low + high + 1) // 2
        if units(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return text[:low]
