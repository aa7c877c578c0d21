"""Photo sizes, made the way Telegram makes them: real smaller JPEGs, largest last.

The largest size keeps the original bytes, so a test can compare what the bot
downloaded with what the user sent.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, UnidentifiedImageError

from .state import State, StoredFile

_SIDES = (90, 320, 800, 1280)


def photo_sizes(data: bytes) -> list[tuple[bytes, int, int]]:
    """``(bytes, width, height)`` per size, smallest first; ValueError if ``data`` is no image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            width, height = image.size
            sizes = []
            for side in _SIDES:
                if side >= max(width, height):
                    break
                thumb = image.convert("RGB")
                thumb.thumbnail((side, side))
                out = io.BytesIO()
                thumb.save(out, format="JPEG", quality=80)
                sizes.append((out.getvalue(), *thumb.size))
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError("not an image Telegram can process") from exc
    sizes.append((data, width, height))
    return sizes


def store_photo(st: State, data: bytes) -> tuple[list[dict[str, Any]], StoredFile]:
    """Store every size of a photo; returns the PhotoSize list and the largest file."""
    sizes = []
    for size_data, width, height in photo_sizes(data):
        stored = st.store_file(size_data, "photos", mime_type="image/jpeg")
        sizes.append(
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.size,
                "width": width,
                "height": height,
            }
        )
    return sizes, stored


def sample_jpeg(width: int = 640, height: int = 480, color: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    """A real JPEG for tests that send photos."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="JPEG")
    return out.getvalue()
