"""The year-on-year chart: per heading, a bar for each cycle, drawn on the server as inline SVG.

Pure, like `charts`: the same comparison gives the same bytes, colours are presentation attributes (never
`style=`, which the Content Security Policy refuses), every bar has at least 3:1 contrast with white, and
every figure is written as text beside its bar, so nothing depends on colour. The most recent cycle's bar is
darker and its label says "this cycle". The page shows the same figures in tables for people who cannot see
the chart.
"""

from __future__ import annotations

from html import escape

from quality_mark.year_on_year import Comparison, HeadingCycle

from ..core.charts import FONT, GRID, LA_BAR, SCHOOL_BAR, TEXT, score_text

WIDTH = 760
LEFT = 8
PLOT_WIDTH = 320
LABELS_X = LEFT + PLOT_WIDTH + 10
TITLE_HEIGHT = 26
BAR_HEIGHT = 18
BAR_GAP = 6
ROW_GAP = 18
AXIS_HEIGHT = 26
TOP = 8


def _n(value: float) -> str:
    return f"{round(value, 2):g}"


def _text(x: float, y: float, words: str, size: int = 14, bold: bool = False, anchor: str = "start") -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-family="{FONT}" font-size="{size}" fill="{TEXT}"'
        f' text-anchor="{anchor}"{weight}>{escape(words)}</text>'
    )


def bar_words(figure: HeadingCycle, latest: bool) -> str:
    """What is written beside one cycle's bar, e.g. '2025 to 2026: 2.75; like for like 3 (v1)'."""
    cycle = figure.cycle
    name = f"{cycle.cycle_title}{' (this cycle)' if latest else ''}"
    if not figure.present:
        return f"{name}: not in version {cycle.framework.version}"
    if figure.score is None:
        return f"{name}: not rated"
    words = f"{name}: {score_text(figure.score)}"
    if not latest and figure.likeness != "same":
        words += (
            f"; like for like {score_text(figure.like_score)}" if figure.like_score is not None else "; not comparable"
        )
    return words


def chart_description(comparison: Comparison) -> str:
    """The chart's figures in words, one sentence per heading."""
    sentences = []
    for heading in comparison.headings:
        parts = [bar_words(figure, index == len(heading.cycles) - 1) for index, figure in enumerate(heading.cycles)]
        sentences.append(f"{heading.title}: " + "; ".join(parts) + ".")
    return " ".join(sentences)


def year_on_year_chart_svg(comparison: Comparison, *, chart_id: str = "qm-year-chart") -> str:
    """A group of bars per heading, one per cycle from oldest to the most recent, from 0 to the top of the
    rating scale, each with its score (and like-for-like score where criteria changed) written beside it."""
    highest = max(cycle.framework.rating_scale.highest for cycle in comparison.cycles)
    count = len(comparison.cycles)
    row_height = TITLE_HEIGHT + count * (BAR_HEIGHT + BAR_GAP) + ROW_GAP
    rows_bottom = TOP + row_height * len(comparison.headings)
    height = rows_bottom + AXIS_HEIGHT

    def x(value: float) -> float:
        return LEFT + PLOT_WIDTH * max(0.0, min(value, highest)) / highest

    title = f"Score for each heading in each cycle, from 0 to {highest}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="qm-chart__svg" viewBox="0 0 {WIDTH} {height}"'
        f' width="{WIDTH}" height="{height}" role="img" aria-labelledby="{chart_id}-title"'
        f' aria-describedby="{chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(chart_description(comparison))}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    for row, heading in enumerate(comparison.headings):
        top = TOP + row * row_height
        bars_top = top + TITLE_HEIGHT
        bars_bottom = bars_top + count * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
        parts.append(_text(LEFT, top + 18, heading.title, size=16, bold=True))
        parts += [
            f'<line x1="{_n(x(v))}" y1="{_n(bars_top)}" x2="{_n(x(v))}" y2="{_n(bars_bottom)}" stroke="{GRID}"'
            ' stroke-width="1"/>'
            for v in range(highest + 1)
        ]
        for index, figure in enumerate(heading.cycles):
            latest = index == count - 1
            bar_top = bars_top + index * (BAR_HEIGHT + BAR_GAP)
            if figure.present and figure.score is not None:
                parts.append(
                    f'<rect x="{LEFT}" y="{_n(bar_top)}" width="{_n(x(figure.score) - LEFT)}" height="{BAR_HEIGHT}"'
                    f' fill="{SCHOOL_BAR if latest else LA_BAR}"/>'
                )
            parts.append(_text(LABELS_X, bar_top + 14, bar_words(figure, latest), bold=latest))
    for value in range(highest + 1):
        parts.append(_text(x(value), rows_bottom + 14, str(value), anchor="middle"))
    parts.append("</svg>")
    return "".join(parts)
