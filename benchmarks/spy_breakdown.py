"""Where a bot's CPU went, by component, from a py-spy profile (``bench_bot.py --py-spy DIR`` writes them).

    python benchmarks/spy_breakdown.py DIR/ATS+SQLite-saturation-100.txt [--updates N]

The profile holds collapsed stacks of the thread holding the GIL (``py-spy record --gil --format raw``): each
sample is CPU the interpreter spent. A sample goes to the component of the innermost frame that belongs to one (the
ORM's decryption of a sealed column is encryption, the engine's debug logging is logging, a JSON dump or a
failed import counts for its caller).
With ``--updates`` (the updates the bot handled while it was recorded), the shares become ms per update.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMPONENTS: list[tuple[str, tuple[str, ...]]] = [
    ("engine (flows/, transitions)", ("flows/", "transitions/")),
    ("encryption (sealing, AES-GCM)", ("storage/crypto.py", "storage/sealing.py", "cryptography/")),
    ("rendering/i18n", ("bot/render.py", "core/i18n.py", "babel/", "core/presenting.py", "bot/texts.py")),
    ("ORM/SQL (SQLAlchemy, driver)", ("sqlalchemy/", "sqlite3/", "psycopg/", "psycopg_pool/")),
    ("group commit", ("storage/group_commit.py",)),
    ("logging", ("logging/",)),
    ("rate limiter", ("_aioratelimiter", "aiolimiter/")),
    ("HTTP client (aiohttp, httpx, httpcore, h11, anyio)", ("aiohttp/", "yarl/", "multidict/", "bot/api_client.py", "httpx/", "httpcore/", "h11/",
                                                            "anyio/", "ssl.py", "socket.py")),
    ("bot turn, handlers, sender (bot/, cases/, core/, storage/)", ("bot/", "cases/", "core/", "storage/", "reminders/")),
    ("PTB (telegram/)", ("telegram/",)),
]
"""A sample goes to the component of the innermost frame that belongs to one of these."""
GENERIC: list[tuple[str, tuple[str, ...]]] = [
    ("thread hand-off", ("concurrent/futures", "threading.py", "asyncio/threads.py", "queue.py")),
    ("asyncio event loop", ("asyncio/", "selectors.py")),
    ("JSON", ("json/",)),
]
"""Only when no frame of :data:`COMPONENTS` is on the stack (the standard library works for its caller)."""


def _component(frames: list[str], table: list[tuple[str, tuple[str, ...]]]) -> str | None:
    for frame in reversed(frames):
        where = "/" + frame.partition(" (")[2]
        for name, parts in table:
            if any("/" + p in where for p in parts):  # a package's own path: "core/" is not "httpcore/"
                return name
    return None


def breakdown(lines: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")[1:]  # the first is the thread's name
        label = _component(frames, COMPONENTS) or _component(frames, GENERIC) or "other"
        counts[label] = counts.get(label, 0) + int(count)
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--updates", type=int, default=0, help="updates handled while recording: prints ms per update")
    parser.add_argument("--rate", type=int, default=100, help="py-spy's samples per second (bench_bot.py: 100)")
    args = parser.parse_args()
    if not args.profile.is_file():
        print(f"no such profile: {args.profile}", file=sys.stderr)
        return 2
    counts = breakdown(args.profile.read_text(errors="replace").splitlines())
    total = sum(counts.values()) or 1
    print(f"{args.profile.name}: {total} samples holding the GIL ({total / args.rate:.1f} s of CPU)")
    for label, n in counts.items():
        per = f"  {n / args.rate / args.updates * 1000:6.2f} ms/update" if args.updates else ""
        print(f"  {label:<58} {n / total:>5.0%}{per}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
