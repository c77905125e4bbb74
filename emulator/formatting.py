"""Telegram's text formatting rules: HTML is validated the way the Bot API does, and reduced to
the plain text whose length Telegram limits."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
    "a", "code", "pre", "blockquote", "tg-emoji",
}  # fmt: skip
_MARKDOWN_RESERVED = set("_*[]()~`>#+-=|{}.!")


class ParseError(ValueError):
    """What Telegram reports as "Bad Request: can't parse entities: ..."."""


class _Validator(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ParseError(f'Unsupported start tag "{tag}"')
        if tag == "span" and ("class", "tg-spoiler") not in attrs:
            raise ParseError('Unsupported start tag "span"')
        if tag == "a" and not dict(attrs).get("href"):
            raise ParseError("Can't find end of a URL")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise ParseError(f'Unmatched end tag "{tag}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


_STRAY_AMP = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
_TAG_LIKE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>")


def html_to_text(source: str) -> str:
    """Validate Telegram HTML and return the plain text; raise ParseError like Telegram."""
    if _STRAY_AMP.search(source):
        raise ParseError("Unsupported character entity")
    stripped = _TAG_LIKE.sub("", source)
    if "<" in stripped or ">" in stripped.replace("&gt;", ""):
        if "<" in stripped:
            raise ParseError("Unexpected character '<'")
    parser = _Validator()
    parser.feed(source)
    parser.close()
    if parser.stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"')
    return html.unescape("".join(parser.parts))


def markdown_v2_to_text(source: str) -> str:
    """Best-effort MarkdownV2: reserved characters must be escaped outside formatting."""
    out: list[str] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source):
            out.append(source[index + 1])
            index += 2
            continue
        if char in "*_~|`":
            index += 1
            continue
        if char in _MARKDOWN_RESERVED:
            raise ParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        out.append(char)
        index += 1
    return "".join(out)


def to_plain(text: str, parse_mode: str | None) -> str:
    if not parse_mode:
        return text
    mode = parse_mode.lower()
    if mode == "html":
        return html_to_text(text)
    if mode == "markdownv2":
        return markdown_v2_to_text(text)
    if mode == "markdown":
        return re.sub(r"[*_`\[\]]", "", text)
    raise ParseError(f"unsupported parse_mode {parse_mode}")
