"""Charts as PNG bytes (matplotlib's object API with the Agg canvas, a CJK font so Chinese labels
render)."""

from __future__ import annotations

import io
from collections.abc import Callable
from fractions import Fraction

from core.fonts import cjk_font_properties


def _figure(width: float, height: float):
    """A figure of its own (no pyplot state), so charts can be drawn in worker threads."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110)


def _png(figure, axes, title: str, font) -> bytes:
    """Every tick label in the CJK font, the title, a tight layout, and the PNG bytes."""
    for axis in axes:
        for tick in axis.get_yticklabels() + axis.get_xticklabels():
            tick.set_fontproperties(font)
    # A title holds data (a place's name): a pair of $ in it is text, not mathtext.
    figure.suptitle(title.replace("$", r"\$"), fontproperties=font, fontsize=13)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _share(part: str, whole: str) -> float:
    w = Fraction(whole)
    return float(Fraction(part) / w) if w else 0.0


def vote_chart(
    result: dict, labels: dict[str, str], title: str, *, percent: Callable[[float], str]
) -> bytes:
    """Two panels: participation on each axis against the 2/3 quorum, then the choices (or the
    candidates) as shares of the participants against the threshold. `labels` are translated."""
    font = cjk_font_properties()
    area, head = result["area"], result["headcount"]
    figure = _figure(9, 4.2)
    left, right = figure.subplots(1, 2)
    axes_names = [labels["area"], labels["headcount"]]
    turnout = [
        _share(area["participating"], area["total"]),
        _share(head["participating"], head["total"]),
    ]
    left.barh(axes_names, turnout, color="#c62828")
    left.axvline(2 / 3, color="#333333", linestyle="--", linewidth=1)
    left.set_xlim(0, 1)
    left.set_title(labels["participation"], fontproperties=font)
    for index, value in enumerate(turnout):
        left.text(min(value, 0.82) + 0.02, index, percent(value), va="center", fontproperties=font)
    if result["kind"] == "resolution":
        names = [labels[key] for key in ("agree", "disagree", "abstain")]
        area_shares = [
            _share(area[k], area["participating"]) for k in ("agree", "disagree", "abstain")
        ]
        head_shares = [
            _share(head[k], head["participating"]) for k in ("agree", "disagree", "abstain")
        ]
        threshold = float(Fraction(result["threshold"]))
    else:
        names = [c["name"] for c in result["candidates"]]
        area_shares = [_share(c["area"], area["participating"]) for c in result["candidates"]]
        head_shares = [_share(c["headcount"], head["participating"]) for c in result["candidates"]]
        threshold = 0.5
    positions = range(len(names))
    width = 0.38
    right.bar(
        [p - width / 2 for p in positions],
        area_shares,
        width,
        label=labels["area"],
        color="#c62828",
    )
    right.bar(
        [p + width / 2 for p in positions],
        head_shares,
        width,
        label=labels["headcount"],
        color="#f9a825",
    )
    right.axhline(threshold, color="#333333", linestyle="--", linewidth=1)
    right.set_ylim(0, 1)
    right.set_xticks(list(positions))
    right.set_xticklabels(names, fontproperties=font)
    right.set_title(labels["choices"], fontproperties=font)
    right.legend(prop=font, loc="upper right")
    return _png(figure, (left, right), title, font)


def kpi_chart(
    values: list[tuple[str, float | None, float | None]],
    services: list[tuple[str, float | None]],
    labels: dict[str, str],
    title: str,
    *,
    percent: Callable[[float], str],
) -> bytes:
    """The four KPIs this month next to last month, and satisfaction per service (shares 0–1;
    None is drawn as no bar)."""
    font = cjk_font_properties()
    figure = _figure(10, 4.2)
    left, right = figure.subplots(1, 2)
    positions = range(len(values))
    width = 0.38
    left.bar(
        [p - width / 2 for p in positions],
        [v[1] or 0 for v in values],
        width,
        label=labels["this"],
        color="#c62828",
    )
    left.bar(
        [p + width / 2 for p in positions],
        [v[2] or 0 for v in values],
        width,
        label=labels["last"],
        color="#bdbdbd",
    )
    for index, (_name, now, _before) in enumerate(values):
        if now is not None:
            left.text(index - width / 2, now + 0.02, percent(now), ha="center", fontsize=8)
    left.set_xticks(list(positions))
    left.set_xticklabels([v[0] for v in values], fontproperties=font)
    left.set_ylim(0, 1.1)
    left.legend(prop=font)
    right.barh([s[0] for s in services], [s[1] or 0 for s in services], color="#f9a825")
    right.set_xlim(0, 1)
    right.set_title(labels["satisfaction"], fontproperties=font)
    return _png(figure, (left, right), title, font)


def kpi_trend_chart(
    months: list[str],
    series: list[tuple[str, list[float | None]]],
    title: str,
    *,
    percent: Callable[[float], str],
) -> bytes:
    """The KPIs month by month (shares 0–1, one line each; a month without data is a gap), the
    last month's value written at its end. `months` and the series' names are translated."""
    font = cjk_font_properties()
    figure = _figure(9, 4.2)
    axes = figure.subplots(1, 1)
    colours = ("#c62828", "#1565c0", "#f9a825", "#2e7d32", "#6a1b9a")
    positions = list(range(len(months)))
    for (name, values), colour in zip(series, colours, strict=False):
        shown = [v if v is not None else float("nan") for v in values]
        axes.plot(positions, shown, marker="o", color=colour, label=name)
        last = next((i for i in reversed(positions) if values[i] is not None), None)
        if last is not None:
            value = values[last]
            assert value is not None
            axes.text(last + 0.08, value, percent(value), fontsize=8, va="center")
    axes.set_xticks(positions)
    axes.set_xticklabels(months, fontproperties=font)
    axes.set_ylim(0, 1.05)
    axes.set_xlim(-0.3, len(months) - 0.4)
    axes.yaxis.set_major_formatter(_Percent(percent))
    axes.legend(prop=font, loc="best", ncol=len(series))
    return _png(figure, (axes,), title, font)


class _Percent:
    """A y-axis tick as a translated percentage."""

    def __init__(self, percent: Callable[[float], str]) -> None:
        self.percent = percent

    def __call__(self, value: float, _position: int | None = None) -> str:
        return self.percent(value)
