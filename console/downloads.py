"""Files the console hands out: the bytes with their type, and a name a browser saves them
under (RFC 6266 with RFC 5987's `filename*` for names in Chinese, an ASCII fallback beside it)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from aiohttp import web

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
PNG = "image/png"

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;%]+')


def safe_name(name: str, limit: int = 120) -> str:
    """A file name from data (a place's name): no path, quote or control characters."""
    cleaned = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip(" ._")
    return cleaned[:limit] or "file"


def disposition(name: str, *, inline: bool = False) -> str:
    """`attachment; filename="…"; filename*=UTF-8''…` (the plain name ASCII only)."""
    name = safe_name(name)
    stem, dot, suffix = name.rpartition(".") if "." in name else (name, "", "")
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    plain = re.sub(r"[-_ .]*[-_ ][-_ .]*", lambda m: "-" if "-" in m.group() else "_", plain)
    plain = plain.strip("-_ .") or "download"
    ascii_name = f"{plain}{dot}{suffix.encode('ascii', 'ignore').decode()}"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(content: bytes, name: str, content_type: str, *, inline: bool = False) -> web.Response:
    response = web.Response(body=content, content_type=content_type)
    response.headers["Content-Disposition"] = disposition(name, inline=inline)
    return response
