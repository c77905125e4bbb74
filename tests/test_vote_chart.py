"""The result chart renders Chinese: every character has a glyph in the font used, none missing."""

from __future__ import annotations

import warnings

from matplotlib.ft2font import FT2Font

from core.fonts import cjk_font_path
from core.i18n import translator
from services.charts import vote_chart
from views.vote_results import chart_labels

RESOLUTION = {
    "kind": "resolution",
    "quorum": True,
    "passed": True,
    "threshold": "3/4",
    "area": {
        "total": "10000",
        "participating": "8000",
        "agree": "7000",
        "disagree": "500",
        "abstain": "500",
    },
    "headcount": {
        "total": "100",
        "participating": "80",
        "agree": "70",
        "disagree": "5",
        "abstain": "5",
    },
}
ELECTION = {
    "kind": "election",
    "quorum": True,
    "area": {"total": "100", "participating": "70", "agree": "0", "disagree": "0", "abstain": "0"},
    "headcount": {
        "total": "10",
        "participating": "7",
        "agree": "0",
        "disagree": "0",
        "abstain": "0",
    },
    "candidates": [
        {"name": "张三", "area": "50", "headcount": "5", "majority": True, "elected": True},
        {"name": "李四", "area": "20", "headcount": "2", "majority": False, "elected": False},
    ],
}


def test_every_label_has_a_glyph_and_nothing_is_reported_missing():
    font = FT2Font(str(cjk_font_path()))
    for language in ("zh_Hans", "zh_Hant", "en"):
        labels = chart_labels(translator(language))
        title = "1栋加装电梯 業主大會"
        text = title + "".join(labels.values()) + "张三李四"
        assert all(font.get_char_index(ord(c)) for c in text if not c.isspace()), language
        for result in (RESOLUTION, ELECTION):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                png = vote_chart(result, labels, title, percent=translator("zh_Hans").percent)
            assert png.startswith(b"\x89PNG") and len(png) > 10_000
            assert not [w for w in caught if "missing" in str(w.message).lower()]


def test_the_kpi_chart_renders_chinese_with_no_missing_glyph():
    from services.kpi import Figures, Report, Unit
    from views.kpi import chart
    from views.kpi import chart_labels as kpi_labels

    font = FT2Font(str(cjk_font_path()))
    now = Figures(compounds=2, covered=1, households=10, engaged=4, answers=3, satisfied=2)
    report = Report(
        "2026-11", "江岸区", {"compound": [Unit("compound", 1, "幸福家园", now, Figures())]}
    )
    for language in ("zh_Hans", "zh_Hant"):
        _ = translator(language)
        text = "".join(kpi_labels(_).values()) + _("Monthly report {month}: {scope}") + "江岸区"
        assert all(font.get_char_index(ord(c)) for c in text if not c.isspace()), language
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            png = chart(report, _)
        assert png.startswith(b"\x89PNG") and len(png) > 10_000
        assert not [w for w in caught if "missing" in str(w.message).lower()]
