"""Charts drawn on the server as inline SVG: no JavaScript, no external files, nothing a strict CSP blocks.

Pure functions of an analysis, so the same figures give the same bytes. Colours are set with SVG
presentation attributes (never `style=`, which `style-src 'self'` refuses), every bar colour has at least
3:1 contrast with white (WCAG 1.4.11), and every value is also written as text, so nothing depends on
colour alone. Pages show the same figures in an HTML table for people who cannot see the chart.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from quality_mark.analysis import Analysis, HeadingResult

SCHOOL_BAR = "#1d4f73"  # 8.7:1 against white
LA_BAR = "#505a5f"  # 7.0:1 against white
TEXT = "#0b0c0c"
GRID = "#b1b4b6"  # decorative only: the axis values are written as text
STRENGTH_LINE = "#00703c"  # 5.9:1 against white
DEVELOPMENT_LINE = "#b10e1e"  # 7.2:1 against white
# The two threshold lines differ in dash pattern as well as colour, and the legend names them.
STRENGTH_DASHES = "6 3"
DEVELOPMENT_DASHES = "2 2"

WIDTH = 680
LEFT = 8
PLOT_WIDTH = 400  # from 0 to the top of the rating scale; the figures are written to its right
LABELS_X = LEFT + PLOT_WIDTH + 8
FONT = "Arial, Helvetica, sans-serif"
LEGEND_HEIGHT = 56
TITLE_HEIGHT = 24
SCHOOL_BAR_HEIGHT = 20
LA_GAP = 4
LA_BAR_HEIGHT = 12
ROW_GAP = 16
AXIS_HEIGHT = 26

JUDGEMENT_WORDS = {"strength": "strength", "development": "area for development", None: "between the two"}


def score_text(score: float) -> str:
    """A score as people read it, the same way every time: '3.67', '3.5', '4'."""
    return f"{round(score, 2):g}"


def _number(value: float) -> str:
    return f"{round(value, 2):g}"


def _x(value: float, highest: int) -> float:
    return LEFT + PLOT_WIDTH * max(0.0, min(value, highest)) / highest


def _text(x: float, y: float, words: str, size: int = 15, anchor: str = "start", bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{_number(x)}" y="{_number(y)}" font-family="{FONT}" font-size="{size}" fill="{TEXT}"'
        f' text-anchor="{anchor}"{weight}>{escape(words)}</text>'
    )


def _line(x: float, top: float, bottom: float, colour: str, width: int = 1, dashes: str | None = None) -> str:
    dash = f' stroke-dasharray="{dashes}"' if dashes else ""
    return (
        f'<line x1="{_number(x)}" y1="{_number(top)}" x2="{_number(x)}" y2="{_number(bottom)}"'
        f' stroke="{colour}" stroke-width="{width}"{dash}/>'
    )


def _threshold(x: float, top: float, bottom: float, colour: str, dashes: str) -> str:
    # A white edge keeps the line visible where it crosses a dark bar.
    return _line(x, top, bottom, "#ffffff", 5) + _line(x, top, bottom, colour, 2, dashes)


def _bar(top: float, value: float, highest: int, height: int, colour: str) -> str:
    return (
        f'<rect x="{LEFT}" y="{_number(top)}" width="{_number(_x(value, highest) - LEFT)}" height="{height}"'
        f' fill="{colour}"/>'
    )


def _row_height(with_la: bool) -> int:
    return TITLE_HEIGHT + SCHOOL_BAR_HEIGHT + (LA_GAP + LA_BAR_HEIGHT if with_la else 0) + ROW_GAP


def _row(analysis: Analysis, result: HeadingResult, top: float, la_score: float | None, with_la: bool) -> list[str]:
    highest = analysis.framework.rating_scale.highest
    thresholds = analysis.framework.thresholds
    bars_top = top + TITLE_HEIGHT
    bars_bottom = top + _row_height(with_la) - ROW_GAP
    parts = [_text(LEFT, top + 17, result.heading.title, size=16, bold=True)]
    parts += [_line(_x(value, highest), bars_top, bars_bottom, GRID) for value in range(highest + 1)]
    if result.score is None:
        parts.append(_text(LABELS_X, bars_top + 15, "Not rated yet"))
    else:
        parts.append(_bar(bars_top, result.score, highest, SCHOOL_BAR_HEIGHT, SCHOOL_BAR))
        words = f"{score_text(result.score)}: {JUDGEMENT_WORDS[result.judgement]}"
        parts.append(_text(LABELS_X, bars_top + 15, words, bold=True))
    if with_la:
        la_top = bars_top + SCHOOL_BAR_HEIGHT + LA_GAP
        if la_score is None:
            parts.append(_text(LABELS_X, la_top + 11, "LA average: not enough schools", size=14))
        else:
            parts.append(_bar(la_top, la_score, highest, LA_BAR_HEIGHT, LA_BAR))
            parts.append(_text(LABELS_X, la_top + 11, f"LA average: {score_text(la_score)}", size=14))
    # The threshold lines cross the bars only, never the heading's title.
    parts.append(
        _threshold(_x(thresholds.strength, highest), bars_top - 3, bars_bottom + 3, STRENGTH_LINE, STRENGTH_DASHES)
    )
    parts.append(
        _threshold(
            _x(thresholds.development, highest), bars_top - 3, bars_bottom + 3, DEVELOPMENT_LINE, DEVELOPMENT_DASHES
        )
    )
    return parts


def chart_description(analysis: Analysis, la_average: Mapping[str, float] | None = None) -> str:
    """The chart's figures in words, one sentence per heading."""
    sentences = []
    for result in analysis.headings:
        if result.score is None:
            said = f"{result.heading.title}: not rated yet"
        else:
            said = f"{result.heading.title}: {score_text(result.score)}, {JUDGEMENT_WORDS[result.judgement]}"
        if la_average is not None and result.heading.id in la_average:
            said += f"; LA average {score_text(la_average[result.heading.id])}"
        sentences.append(said + ".")
    return " ".join(sentences)


def heading_chart_svg(
    analysis: Analysis, la_average: Mapping[str, float] | None = None, *, chart_id: str = "qm-heading-chart"
) -> str:
    """A horizontal bar per heading from 0 to the top of the rating scale, crossed by the strength and
    development thresholds, with each score written beside its bar.

    With `la_average` ({heading id: score}, as `group_average` returns) each heading also gets a thinner
    LA bar. The same analysis always gives the same string.
    """
    framework = analysis.framework
    highest = framework.rating_scale.highest
    thresholds = framework.thresholds
    with_la = la_average is not None
    row_height = _row_height(with_la)
    rows_bottom = LEGEND_HEIGHT + row_height * len(analysis.headings)
    height = rows_bottom + AXIS_HEIGHT
    title = f"Score for each heading, from 0 to {highest}" + (", with the local authority average" if with_la else "")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="qm-chart__svg" viewBox="0 0 {WIDTH} {height}"'
        f' width="{WIDTH}" height="{height}" role="img" aria-labelledby="{chart_id}-title"'
        f' aria-describedby="{chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(chart_description(analysis, la_average))}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        # The legend says in words what each line and bar means.
        _threshold(LEFT + 10, 4, 22, STRENGTH_LINE, STRENGTH_DASHES),
        _text(LEFT + 24, 18, f"Strength: {score_text(thresholds.strength)} or more", size=14),
        _threshold(LEFT + 10, 30, 48, DEVELOPMENT_LINE, DEVELOPMENT_DASHES),
        _text(LEFT + 24, 44, f"Area for development: {score_text(thresholds.development)} or less", size=14),
    ]
    if with_la:
        parts.append(f'<rect x="{LEFT + 300}" y="6" width="24" height="16" fill="{SCHOOL_BAR}"/>')
        parts.append(_text(LEFT + 332, 18, "This school", size=14))
        parts.append(f'<rect x="{LEFT + 300}" y="34" width="24" height="{LA_BAR_HEIGHT}" fill="{LA_BAR}"/>')
        parts.append(_text(LEFT + 332, 44, "Local authority (LA) average", size=14))
    for index, result in enumerate(analysis.headings):
        la_score = la_average.get(result.heading.id) if la_average is not None else None
        parts.extend(_row(analysis, result, LEGEND_HEIGHT + index * row_height, la_score, with_la))
    for value in range(highest + 1):
        parts.append(_text(_x(value, highest), rows_bottom + 14, str(value), size=14, anchor="middle"))
    parts.append("</svg>")
    return "".join(parts)
