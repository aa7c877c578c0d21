"""Files with personal data (exports, import copies, reports) readable by their owner only (mode 0600)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

PRIVATE_MODE = 0o600


@contextmanager
def open_private(path: str | Path) -> Iterator[BinaryIO]:
    """``path`` opened for writing, created 0600 (an existing file is truncated and narrowed to 0600 first, so its
    content is never readable by others, not even for a moment)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)
    except OSError:  # pragma: no cover - a file system without modes (e.g. a Windows share)
        pass
    with os.fdopen(fd, "wb") as handle:
        yield handle


def write_private(path: str | Path, content: bytes) -> None:
    """Write ``content`` to ``path`` with mode 0600."""
    with open_private(path) as handle:
        handle.write(content)
