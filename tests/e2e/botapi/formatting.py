"""Telegram's parse modes: markup in, plain text and entities out, or a 400.

Strict on purpose: the real API rejects an unescaped ``.`` in MarkdownV2 or a
stray ``<`` in HTML with "can't parse entities", and a double that accepted
them would let that bug through to the volunteers. Offsets are UTF-16 units.
"""

from __future__ import annotations

import re
from typing import Any

from .state import ApiError

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>")
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")
_SPECIAL = re.compile(r"[<&]")
_CHAR_REF = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot);")
_HTML_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD2_MARKERS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse(text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None) -> tuple[str, list[dict[str, Any]]]:
    """The text as the user sees it and its entities; explicit ``entities`` win over ``parse_mode``."""
    if entities is not None or not parse_mode:
        return text, list(entities or [])
    mode = parse_mode.lower()
    if mode == "html":
        return _html(text)
    if mode == "markdownv2":
        return _markdown_v2(text)
    if mode == "markdown":
        return _markdown(text)
    raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")


def _bad(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {reason}")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


class _Out:
    """Collects plain text and entities, tracking the UTF-16 length so far."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.length += utf16_len(chunk)

    def entity(self, type_: str, start: int, **extra: Any) -> None:
        if self.length > start:  # Telegram drops empty entities
            self.entities.append({"type": type_, "offset": start, "length": self.length - start, **extra})

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        return "".join(self.parts), sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))


def _html(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Out()
    stack: list[tuple[str, str | None, int, dict[str, Any]]] = []
    i = 0
    while i < len(text):
        special = _SPECIAL.search(text, i)
        j = special.start() if special else len(text)
        if j > i:
            out.add(text[i:j])
            i = j
            continue
        if text[i] == "&":
            ref = _CHAR_REF.match(text, i)
            if ref is None:
                out.add("&")
                i += 1
                continue
            name = ref.group(1)
            out.add(_NAMED.get(name) or chr(int(name, 0) if name.startswith("#x") else int(name[1:])))
            i = ref.end()
            continue
        tag = _TAG.match(text, i)
        where = f"at byte offset {_byte_offset(text, i)}"
        if tag is None:
            raise _bad(f"Unsupported start tag {where}")
        closing, name = tag.group(1) == "/", tag.group(2).lower()
        if name not in _HTML_TYPES:
            raise _bad(f'Unsupported start tag "{name}" {where}')
        if closing:
            if not stack or stack[-1][0] != name:
                raise _bad(f'Unexpected end tag "{name}" {where}')
            _, type_, start, extra = stack.pop()
            if type_:
                out.entity(type_, start, **extra)
        else:
            attrs = {
                m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or "" for m in _ATTR.finditer(tag.group(3))
            }
            type_, extra = _html_entity(name, attrs, stack, where)
            stack.append((name, type_, out.length, extra))
        i = tag.end()
    if stack:
        raise _bad(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _html_entity(
    name: str, attrs: dict[str, str], stack: list[tuple[str, str | None, int, dict[str, Any]]], where: str
) -> tuple[str | None, dict[str, Any]]:
    """The entity type and extra fields an opening tag makes; ``None`` type for ``<code>`` inside ``<pre>``."""
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise _bad(f'Unsupported start tag "span" {where}')
    if name == "a":
        if not attrs.get("href"):
            raise _bad(f"Can't find URL for the link {where}")
        return "text_link", {"url": attrs["href"]}
    if name == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "").removeprefix("language-")
        if language:
            stack[-1][3]["language"] = language
        return None, {}
    if name == "blockquote" and "expandable" in attrs:
        return "expandable_blockquote", {}
    if name == "tg-emoji":
        return "custom_emoji", {"custom_emoji_id": attrs.get("emoji-id", "")}
    return _HTML_TYPES[name], {}


def _markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Out()
    stack: list[tuple[str, int, int]] = []  # marker, utf-16 start, index in text
    quote_start: int | None = None
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 < n and 0 < ord(text[i + 1]) < 127:
                out.add(text[i + 1])
                i += 2
                continue
            at = _byte_offset(text, i)
            raise _bad(f"Character '\\' is reserved and must be escaped with the preceding '\\' at byte offset {at}")
        if c == "`":
            i = _md2_code(text, i, out)
            continue
        if c == ">" and (i == 0 or text[i - 1] == "\n"):
            if quote_start is None:
                quote_start = out.length
            i += 1
            continue
        if c == "\n" and quote_start is not None and not text.startswith(">", i + 1):
            out.entity("blockquote", quote_start)
            quote_start = None
        marker = "__" if text.startswith("__", i) else "||" if text.startswith("||", i) else c
        if marker in _MD2_MARKERS:
            open_at = next((k for k in range(len(stack) - 1, -1, -1) if stack[k][0] == marker), None)
            if open_at is None:
                stack.append((marker, out.length, i))
            else:
                out.entity(_MD2_MARKERS[marker], stack.pop(open_at)[1])
            i += len(marker)
            continue
        if c == "[":
            stack.append(("[", out.length, i))
            i += 1
            continue
        if c == "]" and stack and stack[-1][0] == "[":
            url, i = _md2_url(text, i + 1)
            out.entity("text_link", stack.pop()[1], url=url)
            continue
        if c in _MD2_RESERVED:
            raise _bad(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
        out.add(c)
        i += 1
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        marker, _, at = stack[-1]
        name = {"[": "TextUrl"}.get(marker) or _MD2_MARKERS[marker].capitalize()
        raise _bad(f"Can't find end of {name} entity at byte offset {_byte_offset(text, at)}")
    return out.result()


def _md2_code(text: str, i: int, out: _Out) -> int:
    """Parse ```pre``` or `code` starting at ``i``; inside, only ` and \\ are escaped."""
    fence = "```" if text.startswith("```", i) else "`"
    j, body = i + len(fence), []
    while j < len(text) and not text.startswith(fence, j):
        if text[j] == "\\" and j + 1 < len(text):
            j += 1
        body.append(text[j])
        j += 1
    if j >= len(text):
        kind = "Pre" if fence == "```" else "Code"
        raise _bad(f"Can't find end of {kind} entity at byte offset {_byte_offset(text, i)}")
    content, extra = "".join(body), {}
    if fence == "```":
        first, newline, rest = content.partition("\n")
        if newline and first and " " not in first:
            content, extra = rest, {"language": first}
    start = out.length
    out.add(content)
    out.entity("pre" if fence == "```" else "code", start, **extra)
    return j + len(fence)


def _md2_url(text: str, i: int) -> tuple[str, int]:
    """Parse ``(url)`` right after a link's ``]``; returns the URL and the index after ``)``."""
    if not text.startswith("(", i):
        raise _bad("Character ']' is reserved and must be escaped with the preceding '\\'")
    url, j = [], i + 1
    while j < len(text) and text[j] != ")":
        if text[j] == "\\" and j + 1 < len(text):
            j += 1
        url.append(text[j])
        j += 1
    if j >= len(text):
        raise _bad(f"Can't find end of a URL at byte offset {_byte_offset(text, i)}")
    return "".join(url), j + 1


def _markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown: no nesting, and only ``_*`[`` can be escaped."""
    out = _Out()
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.add(c)
            i += 1
            continue
        fence = "```" if text.startswith("```", i) else "]" if c == "[" else c
        end = text.find(fence, i + len(fence) if fence == "```" else i + 1)
        if end < 0:
            raise _bad(f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}")
        body_start = i + (3 if fence == "```" else 1)
        start = out.length
        out.add(text[body_start:end])
        i = end + len(fence)
        if c == "[":
            close = text.find(")", i) if text.startswith("(", i) else -1
            if close < 0:
                raise _bad(f"Can't find end of the entity starting at byte offset {_byte_offset(text, body_start - 1)}")
            out.entity("text_link", start, url=text[i + 1 : close])
            i = close + 1
        else:
            out.entity({"*": "bold", "_": "italic", "`": "code", "```": "pre"}[fence], start)
    return out.result()
