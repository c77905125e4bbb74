"""A CJK font for matplotlib, so Chinese labels render instead of empty boxes."""

from __future__ import annotations

from functools import cache
from pathlib import Path

# Debian's fonts-wqy-microhei (installed by `make install`) first, then common alternatives.
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


class MissingFont(RuntimeError):
    pass


@cache
def cjk_font_path() -> Path:
    from matplotlib import font_manager

    for candidate in CANDIDATES:
        if Path(candidate).exists():
            return Path(candidate)
    for entry in font_manager.fontManager.ttflist:
        if any(key in entry.name for key in ("WenQuanYi", "Noto Sans CJK", "Source Han Sans")):
            return Path(entry.fname)
    raise MissingFont("no CJK font found: install Debian's fonts-wqy-microhei (make install does)")


@cache
def cjk_font_properties():
    from matplotlib.font_manager import FontProperties

    return FontProperties(fname=str(cjk_font_path()))
