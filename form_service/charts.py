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

WIDTH = 680
LEFT = 8
PLOT_WIDTH = 440  # from 0 to the top of the rating scale
LABEL_GAP = 6
FONT = "Arial, Helvetica, sans-serif"
LEGEND_HEIGHT = 44
TITLE_HEIGHT = 18
SCHOOL_BAR_HEIGHT = 18
LA_BAR_HEIGHT = 10
ROW_GAP = 14
AXIS_HEIGHT = 24

JUDGEMENT_WORDS = {"strength": "strength", "development": "area for development", None: "neither"}


def _number(value: float) -> str:
    """Coordinates and figures written the same way every time: '3.67', '3.5', '4'."""
    return f"{round(value, 2):g}"


def score_text(score: float) -> str:
    """A heading score as people read it: '3.67', '3.5', '4'."""
    return _number(score)


def _x(value: float, highest: int) -> float:
    return LEFT + PLOT_WIDTH * max(0.0, min(value, highest)) / highest


def _text(x: float, y: float, words: str, size: int = 13, anchor: str = "start", weight: str | None = None) -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{_number(x)}" y="{_number(y)}" font-family="{FONT}" font-size="{size}" fill="{TEXT}"'
        f' text-anchor="{anchor}"{bold}>{escape(words)}</text>'
    )


def _threshold(x: float, top: float, bottom: float, colour: str, dashes: str) -> str:
    # A white edge keeps the line visible where it crosses a dark bar.
    return (
        f'<line x1="{_number(x)}" y1="{_number(top)}" x2="{_number(x)}" y2="{_number(bottom)}" stroke="#ffffff"'
        f' stroke-width="5"/>'
        f'<line x1="{_number(x)}" y1="{_number(top)}" x2="{_number(x)}" y2="{_number(bottom)}" stroke="{colour}"'
        f' stroke-width="2" stroke-dasharray="{dashes}"/>'
    )


def _row(result: HeadingResult, top: float, highest: int, la_score: float | None, with_la: bool) -> list[str]:
    parts = [_text(LEFT, top + 13, result.heading.title, size=14, weight="bold")]
    bar_top = top + TITLE_HEIGHT
    if result.score is None:
        parts.append(_text(LEFT, bar_top + 14, "Not rated yet"))
    else:
        end = _x(result.score, highest)
        parts.append(
            f'<rect x="{LEFT}" y="{_number(bar_top)}" width="{_number(end - LEFT)}" height="{SCHOOL_BAR_HEIGHT}"'
            f' fill="{SCHOOL_BAR}"/>'
        )
        words = f"{score_text(result.score)}: {JUDGEMENT_WORDS[result.judgement]}"
        parts.append(_text(LEFT + PLOT_WIDTH + LABEL_GAP, bar_top + 14, words))
    if with_la:
        la_top = bar_top + SCHOOL_BAR_HEIGHT + 4
        if la_score is None:
            parts.append(_text(LEFT + PLOT_WIDTH + LABEL_GAP, la_top + 9, "LA average: not enough schools", size=12))
        else:
            end = _x(la_score, highest)
            parts.append(
                f'<rect x="{LEFT}" y="{_number(la_top)}" width="{_number(end - LEFT)}" height="{LA_BAR_HEIGHT}"'
                f' fill="{LA_BAR}"/>'
            )
            parts.append(_text(LEFT + PLOT_WIDTH + LABEL_GAP, la_top + 9, f"LA average: {score_text(la_score)}", 12))
    return parts


def _row_height(with_la: bool) -> int:
    return TITLE_HEIGHT + SCHOOL_BAR_HEIGHT + (4 + LA_BAR_HEIGHT if with_la else 0) + ROW_GAP


def chart_description(analysis: Analysis, la_average: Mapping[str, float] | None = None) -> str:
    """The chart's figures in one sentence per heading, for its SVG description."""
    sentences = []
    for result in analysis.headings:
        said = (
            f"{result.heading.title}: not rated yet."
            if result.score is None
            else f"{result.heading.title}: {score_text(result.score)}, {JUDGEMENT_WORDS[result.judgement]}."
        )
        if la_average is not None and result.heading.id in la_average:
            said = said[:-1] + f"; LA average {score_text(la_average[result.heading.id])}."
        sentences.append(said)
    return " ".join(sentences)


def heading_chart_svg(
    analysis: Analysis, la_average: Mapping[str, float] | None = None, *, chart_id: str = "qm-heading-chart"
) -> str:
    """A horizontal bar per heading from 0 to the top of the scale, with the strength and development lines.

    With `la_average` ({heading id: score}) each heading also gets a thinner LA bar. Same input, same string.
    """
    framework = analysis.framework
    highest = framework.rating_scale.highest
    thresholds = framework.thresholds
    with_la = la_average is not None
    rows_top = LEGEND_HEIGHT
    row_height = _row_height(with_la)
    plot_bottom = rows_top + row_height * len(analysis.headings)
    height = plot_bottom + AXIS_HEIGHT

    title = f"Score for each heading, from 0 to {highest}" + (", with the LA average" if with_la else "")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="qm-chart__svg" viewBox="0 0 {WIDTH} {height}"'
        f' width="{WIDTH}" height="{height}" role="img" aria-labelledby="{chart_id}-title"'
        f' aria-describedby="{chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(chart_description(analysis, la_average))}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    # Legend: what the two dashed lines mean, in words.
    parts.append(_threshold(LEFT + 10, 4, 18, STRENGTH_LINE, "6 3"))
    parts.append(_text(LEFT + 22, 16, f"Strength: {_number(thresholds.strength)} or more", 12))
    parts.append(_threshold(LEFT + 10, 24, 38, DEVELOPMENT_LINE, "2 2"))
    parts.append(_text(LEFT + 22, 36, f"Area for development: {_number(thresholds.development)} or less", 12))
    if with_la:
        parts.append(f'<rect x="{LEFT + 250}" y="8" width="24" height="{LA_BAR_HEIGHT}" fill="{LA_BAR}"/>')
        parts.append(_text(LEFT + 280, 17, "Local authority (LA) average", 12))
    # Grid and axis values, behind the bars.
    for value in range(highest + 1):
        x = _number(_x(value, highest))
        parts.append(
            f'<line x1="{x}" y1="{rows_top}" x2="{x}" y2="{plot_bottom}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(float(x), plot_bottom + 16, str(value), size=12, anchor="middle"))
    for index, result in enumerate(analysis.headings):
        la_score = la_average.get(result.heading.id) if la_average is not None else None
        parts.extend(_row(result, rows_top + index * row_height, highest, la_score, with_la))
    parts.append(_threshold(_x(thresholds.strength, highest), rows_top, plot_bottom, STRENGTH_LINE, "6 3"))
    parts.append(_threshold(_x(thresholds.development, highest), rows_top, plot_bottom, DEVELOPMENT_LINE, "2 2"))
    parts.append("</svg>")
    return "".join(parts)
