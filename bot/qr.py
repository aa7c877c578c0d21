"""QR codes for links shown in chat (invitations), for a volunteer to scan from the coordinator's phone."""

from __future__ import annotations

import io


def qr_png(link: str) -> bytes:
    """``link`` as a PNG QR code."""
    import segno  # loads with the first invitation shown

    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()
