"""Charts drawn on the server as inline SVG: small functions from a title, a description and data to Markup.

What every chart here holds to:
- `role="img"` with a `<title>` and a `<desc>` (ids given by the caller, joined by aria-labelledby), so a screen
  reader announces the chart once by its name and summary; the numbers themselves are in the data table that
  follows every chart on the page (the drawing is never the only copy of a figure).
- A viewBox and no width or height: the drawing fills its container and keeps its proportions, at 360 px as at
  1280 px. Text inherits the page's font (no font of its own, nothing external); no script, no style attribute (the
  content security policy allows neither): colours are presentation attributes, taken from the site's palette
  (app/static/css/app.css), each at least 3:1 against the white card behind it.
- Reading direction: in Persian the chart's start edge is the right. Bars grow from the right with their labels
  on the right; over weeks, time runs right to left too (the oldest week at the right, where a Persian reader
  starts, the newest at the left), the convention of charts set in right-to-left pages, and the same order as the
  rows of the table under it read from the top. In English everything mirrors: labels at the left, time runs left to
  right.
- Digits: Persian in Persian, Latin in English (format_number); every label is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from app.core.persian import format_number

# The site's palette (app/static/css/app.css :root), with the tag colours it uses for in-person and the states.
INK = "#1d2733"  # --ink
MUTED = "#4f5d6b"  # --muted
LINE = "#d5dbe1"  # --line
BRAND = "#0d5c63"  # --brand
ACCENT = "#c8a13a"  # --accent (filled areas only, outlined in ACCENT_EDGE: alone it is under 3:1 on white)
ACCENT_EDGE = "#5c4a14"  # the in-person tag's ink
OK = "#1e7a3d"  # --ok
ERROR = "#b3261e"  # --error

# viewBox units: about a CSS pixel each on a 360 px phone, where the text must stay readable; wider screens show a
# chart at most 38rem wide (the page's class "narrow"), so it grows by at most about two.
WIDTH = 320
FONT = 13
SMALL = 11


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    colour: str = BRAND
    # What is written at the bar's end; the number itself when empty.
    text: str = ""


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str
    edge: str = ""


@dataclass(frozen=True)
class Column:
    label: str
    values: dict[str, float]


def number(value: float, persian: bool) -> str:
    """A figure as the chart writes it: whole numbers plain, others with one decimal."""
    rounded = round(value, 1)
    return format_number(int(rounded) if rounded == int(rounded) else rounded, persian=persian)


def percent(value: float, persian: bool) -> str:
    return number(value, persian) + ("٪" if persian else "%")


def _mirror(rtl: bool) -> Callable[[float], float]:
    """x measured from the chart's start edge (right in Persian) to the viewBox's own x."""
    return (lambda x: WIDTH - x) if rtl else (lambda x: x)


def _svg(chart_id: str, title: str, description: str, height: float, body: list[str], rtl: bool) -> Markup:
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height:g}" aria-labelledby="{escape(title_id)} {escape(desc_id)}" '
        f'direction="{"rtl" if rtl else "ltr"}" font-size="{FONT}" fill="{INK}">'
        f'<title id="{escape(title_id)}">{escape(title)}</title><desc id="{escape(desc_id)}">{escape(description)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, content: str, *, size: int = FONT, anchor: str = "start", fill: str = INK) -> str:
    # With `direction` set on the root, "start" is the reading start: the right edge of the text in Persian.
    return f'<text x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">{escape(content)}</text>'


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    *,
    maximum: float | None = None,
    target: float | None = None,
    target_label: str = "",
    persian: bool = True,
) -> Markup:
    """Horizontal bars, one row per item: its label on a line of its own at the start edge (long agency names stay
    whole), the bar under it growing from the start edge, its figure at the bar's end. `target` draws a dashed line
    across every row at that value (the 30 % target), labelled at the top."""
    rtl = persian
    at = _mirror(rtl)
    value_room = 60.0  # the figure after the longest bar
    track = WIDTH - value_room
    top = 24.0 if target is not None else 4.0
    row = 42.0
    bar_height = 16.0
    largest = maximum if maximum is not None else max([bar.value for bar in bars] + [target or 0.0, 1.0])
    largest = largest or 1.0

    def length(value: float) -> float:
        return max(min(value, largest), 0.0) / largest * track

    body: list[str] = []
    for index, bar in enumerate(bars):
        y = top + index * row
        body.append(_text(at(0), y + FONT, bar.label))
        end = length(bar.value)
        bar_y = y + FONT + 8
        if end > 0:
            x = min(at(0), at(end))
            body.append(f'<rect x="{x:g}" y="{bar_y:g}" width="{end:g}" height="{bar_height:g}" fill="{bar.colour}"/>')
        body.append(_text(at(end + 6), bar_y + bar_height - 3, bar.text or number(bar.value, persian), size=SMALL))
    height = top + max(len(bars), 1) * row + 4
    if target is not None:
        # A dashed mark across each bar (not through the labels above them), named once at the top.
        x = at(length(target))
        body.append(_text(x, top - 8, target_label, size=SMALL, anchor="middle", fill=ERROR))
        for index in range(len(bars)):
            bar_y = top + index * row + FONT + 8
            body.append(
                f'<line x1="{x:g}" y1="{bar_y - 4:g}" x2="{x:g}" y2="{bar_y + bar_height + 4:g}" stroke="{ERROR}" '
                'stroke-width="2" stroke-dasharray="4 2"/>'
            )
    if not bars:
        body.append(_text(at(0), top + FONT, "—", fill=MUTED))
    return _svg(chart_id, title, description, height, body, rtl)


def column_chart(
    chart_id: str,
    title: str,
    description: str,
    columns: Sequence[Column],
    series: Sequence[Series],
    *,
    persian: bool = True,
    label_every: int = 2,
) -> Markup:
    """Stacked columns in time order, the first column at the start edge (the right in Persian: time runs right to
    left), with a legend, a baseline and a line at the tallest total; every `label_every`-th column is labelled
    under it (the table under the chart names them all)."""
    rtl = persian
    at = _mirror(rtl)
    legend_height = 26.0
    plot_top = legend_height + 18
    plot_height = 150.0
    baseline = plot_top + plot_height
    axis_room = 36.0  # the scale's figures, at the end edge
    plot_width = WIDTH - axis_room
    slot = plot_width / max(len(columns), 1)
    width = slot * 0.7
    tallest = max([sum(column.values.get(s.key, 0) for s in series) for column in columns] + [0])
    scale = plot_height / tallest if tallest else 0.0

    body: list[str] = []
    # Legend: a swatch and a name per series, from the start edge.
    offset = 0.0
    for item in series:
        edge = f' stroke="{item.edge}"' if item.edge else ""
        body.append(
            f'<rect x="{min(at(offset), at(offset + 14)):g}" y="6" width="14" height="14" fill="{item.colour}"{edge}/>'
        )
        body.append(_text(at(offset + 20), 18, item.label, size=SMALL))
        offset += 20 + 8 * len(item.label) + 16
    # Scale: the baseline and a line at the tallest total, labelled at the end edge.
    body.append(f'<line x1="{at(0):g}" y1="{baseline:g}" x2="{at(plot_width):g}" y2="{baseline:g}" stroke="{MUTED}"/>')
    body.append(_text(at(plot_width + 4), baseline + 4, number(0, persian), size=SMALL, fill=MUTED))
    if tallest:
        body.append(
            f'<line x1="{at(0):g}" y1="{plot_top:g}" x2="{at(plot_width):g}" y2="{plot_top:g}" stroke="{LINE}"/>'
        )
        body.append(_text(at(plot_width + 4), plot_top + 4, number(tallest, persian), size=SMALL, fill=MUTED))
    for index, column in enumerate(columns):
        centre = slot * index + slot / 2
        x = min(at(centre - width / 2), at(centre + width / 2))
        y = baseline
        for item in series:
            height = column.values.get(item.key, 0) * scale
            if height <= 0:
                continue
            y -= height
            edge = f' stroke="{item.edge}"' if item.edge else ""
            body.append(f'<rect x="{x:g}" y="{y:g}" width="{width:g}" height="{height:g}" fill="{item.colour}"{edge}/>')
        if index % label_every == 0:
            body.append(_text(at(centre), baseline + 16, column.label, size=SMALL - 1, anchor="middle", fill=MUTED))
    return _svg(chart_id, title, description, baseline + 24, body, rtl)
