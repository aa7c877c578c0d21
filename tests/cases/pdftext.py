"""The text of an uncompressed fpdf2 PDF, without a PDF library (pypdf is used instead when installed).

Core fonts (Helvetica) write literal strings; embedded TrueType fonts write 2-byte glyph ids, mapped back to
Unicode with each font's ToUnicode CMap. Good enough to check what a generated letter says.
"""

from __future__ import annotations

import io
import re

_LITERAL = re.compile(rb"\((?:\\.|[^\\)])*\)", re.DOTALL)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        c = raw[i : i + 1]
        if c == b"\\" and i + 1 < len(raw):
            nxt = raw[i + 1 : i + 2]
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                i += 2
                continue
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(), 8) & 0xFF)
                i += 1 + len(octal.group())
                continue
            i += 1
            continue
        out += c
        i += 1
    return bytes(out)


def _blocks(pdf: bytes) -> list[list[bytes]]:
    """The strings of each text object (``BT … ET``); a justified line is one ``TJ`` array of several strings."""
    return [[_unescape(s[1:-1]) for s in _LITERAL.findall(block)] for block in re.findall(rb"BT(.*?)ET", pdf, re.DOTALL)]


def _cmaps(pdf: bytes) -> list[dict[int, str]]:
    maps = []
    for body in re.findall(rb"begincmap(.*?)endcmap", pdf, re.DOTALL):
        mapping = {}
        for src, dst in re.findall(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4,})>", body):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
        maps.append(mapping)
    return maps


def pdf_text(pdf: bytes) -> str:
    """Every line of text of the PDF, decoded with each embedded font's CMap (and as Latin-1), one per line."""
    try:
        from pypdf import PdfReader  # type: ignore[import-not-found]

        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    except ImportError:
        pass
    blocks = _blocks(pdf)
    readings = ["\n".join(b"".join(block).decode("latin-1") for block in blocks)]
    for cmap in _cmaps(pdf):
        lines = []
        for block in blocks:
            lines.append("".join(
                "".join(cmap.get(int.from_bytes(s[i : i + 2], "big"), "") for i in range(0, len(s), 2))
                for s in block if len(s) % 2 == 0
            ))
        readings.append("\n".join(lines))
    return "\n".join(readings)
