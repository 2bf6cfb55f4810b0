"""Charts as geometry: numbers in, rectangles, lines and labels out.

Why we draw our own: the maintained chart libraries on PyPI that make SVG (pygal,
matplotlib) write `style` attributes, `<style>` elements or scripts into it, and our
Content-Security-Policy (`style-src 'self'; script-src 'self'`, intake/security.py)
forbids all three; a JavaScript library would make the page need JavaScript, and
one from another host would break our promise to load nothing from elsewhere. The
report needs only three simple shapes (bars, columns and a heat map), which are a
little arithmetic. So this module computes where each shape goes, knowing nothing
of Flask or HTML; templates/components/charts.html draws them as inline SVG with
role="img", a title and a description; their colours are classes in
static/intake.css. Every chart sits beside a table holding its numbers, so nothing
is told by colour or shape alone.

Coordinates are in the SVG's own units (its viewBox); the stylesheet scales it to
the width there is, so text stays in proportion with the shapes.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

BAR_WIDTH = 340  # a bar chart's viewBox width: its text stays readable at 320 px
BAR_ROW = 42
BAR_HEIGHT = 16
VALUE_ROOM = 56  # room after the longest bar for its value
COLUMN_WIDTH, COLUMN_HEIGHT = 340, 190
COLUMN_LEFT, COLUMN_TOP, COLUMN_BOTTOM = 40, 14, 26
MAX_TICKS = 6
HEAT_LEFT, HEAT_TOP = 44, 22
HEAT_CELL_WIDTH, HEAT_CELL_HEIGHT = 18, 22
HEAT_LEVELS = 4  # darker steps for more; 0 is none
LABEL_MAX = 40


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    kind: str  # its class: chart__<kind>
    tip: str = ""  # shown on hover (an SVG <title>); the table beside says the same


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str = "axis"


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    kind: str = "label"
    anchor: str = "start"  # start, middle or end (SVG's text-anchor)


@dataclass(frozen=True)
class Chart:
    kind: str  # bars, columns or heat
    width: float
    height: float
    boxes: tuple[Box, ...]
    lines: tuple[Line, ...]
    labels: tuple[Label, ...]


def _n(value: float) -> float:
    """A coordinate to one decimal place: enough for a screen, and a lighter page."""
    return round(value, 1)


def shortened(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bar_chart(items: Sequence[tuple[str, float, str]]) -> Chart:
    """Horizontal bars, one per (label, value, value as words), each label above its
    bar (so a long label never squeezes the bar at 320 px) and the value after it."""
    top = max((value for _, value, _ in items), default=0) or 1
    room = BAR_WIDTH - VALUE_ROOM
    boxes, labels = [], []
    for index, (label, value, words) in enumerate(items):
        y = index * BAR_ROW
        width = room * value / top
        labels.append(Label(0, y + 14, shortened(label)))
        boxes.append(Box(0, _n(y + 20), _n(width), BAR_HEIGHT, "bar", f"{label}: {words}"))
        labels.append(Label(_n(width + 6), y + 33, words, "value"))
    height = max(len(items), 1) * BAR_ROW + 2
    axis = Line(0.5, 18, 0.5, height)
    return Chart("bars", BAR_WIDTH, height, tuple(boxes), (axis,), tuple(labels))


def column_chart(items: Sequence[tuple[str, str, float]], unit: str) -> Chart:
    """Vertical columns in order (days), one per (tick label, full label, value); a
    few tick labels spread along the bottom, the largest value marked on the left."""
    count = max(len(items), 1)
    top = max((value for _, _, value in items), default=0)
    plot_width = COLUMN_WIDTH - COLUMN_LEFT - 2
    plot_height = COLUMN_HEIGHT - COLUMN_TOP - COLUMN_BOTTOM
    base = COLUMN_TOP + plot_height
    step = plot_width / count
    gap = step * 0.25 if count <= 62 else 0
    every = math.ceil(count / MAX_TICKS)
    boxes, labels = [], []
    for index, (tick, full, value) in enumerate(items):
        height = plot_height * value / top if top else 0
        x = COLUMN_LEFT + index * step
        tip = f"{full}: {value:g} {unit}"
        boxes.append(
            Box(_n(x + gap / 2), _n(base - height), _n(step - gap), _n(height), "bar", tip)
        )
        if index % every == 0:
            labels.append(Label(_n(x + step / 2), COLUMN_HEIGHT - 8, tick, "tick", "middle"))
    lines = [Line(COLUMN_LEFT, base + 0.5, COLUMN_WIDTH, base + 0.5)]
    labels.append(Label(COLUMN_LEFT - 6, base + 4, "0", "tick", "end"))
    if top:
        lines.append(Line(COLUMN_LEFT, COLUMN_TOP + 0.5, COLUMN_WIDTH, COLUMN_TOP + 0.5, "grid"))
        labels.append(Label(COLUMN_LEFT - 6, COLUMN_TOP + 4, f"{top:g}", "tick", "end"))
    return Chart("columns", COLUMN_WIDTH, COLUMN_HEIGHT, tuple(boxes), tuple(lines), tuple(labels))


def heat_level(value: float, top: float) -> int:
    """0 for nothing, else 1 to HEAT_LEVELS in proportion to the largest value."""
    if value <= 0 or top <= 0:
        return 0
    return max(1, math.ceil(HEAT_LEVELS * value / top))


def heat_mark(x: float, baseline: float, level: int) -> Label:
    """A cell's level as a digit, centred in it: forced colours paint every cell alike,
    so there the stylesheet shows these instead of the shades (hidden otherwise)."""
    return Label(x + HEAT_CELL_WIDTH / 2, baseline, str(level), "heat-mark", "middle")


def heat_map(
    rows: Sequence[tuple[str, str, Sequence[float]]],
    columns: Sequence[str],
    tip_columns: Sequence[str],
    unit: str,
) -> Chart:
    """A grid of cells, one row per (short label, full label, values), one column per
    label in `columns` (every third is written above), each cell shaded by its value
    in HEAT_LEVELS steps, with a key from fewer to more below."""
    top = max((value for _, _, values in rows for value in values), default=0)
    width = HEAT_LEFT + len(columns) * HEAT_CELL_WIDTH + 2
    boxes, labels = [], []
    for column, name in enumerate(columns):
        if column % 3 == 0:
            x = HEAT_LEFT + column * HEAT_CELL_WIDTH
            labels.append(Label(x, HEAT_TOP - 8, name, "tick"))
    for row, (short, full, values) in enumerate(rows):
        y = HEAT_TOP + row * HEAT_CELL_HEIGHT
        labels.append(Label(0, y + 15, short, "tick"))
        for column, value in enumerate(values):
            x = HEAT_LEFT + column * HEAT_CELL_WIDTH
            tip = f"{full} {tip_columns[column]}: {value:g} {unit}"
            level = heat_level(value, top)
            boxes.append(Box(x, y, HEAT_CELL_WIDTH, HEAT_CELL_HEIGHT, f"heat-{level}", tip))
            labels.append(heat_mark(x, y + 15, level))
    key_y = HEAT_TOP + len(rows) * HEAT_CELL_HEIGHT + 14
    labels.append(Label(HEAT_LEFT, key_y + 12, "Fewer", "tick"))
    for level in range(HEAT_LEVELS + 1):
        x = HEAT_LEFT + 46 + level * HEAT_CELL_WIDTH
        boxes.append(Box(x, key_y, HEAT_CELL_WIDTH, 16, f"heat-{level}"))
        labels.append(heat_mark(x, key_y + 12, level))
    more_x = HEAT_LEFT + 52 + (HEAT_LEVELS + 1) * HEAT_CELL_WIDTH
    labels.append(Label(more_x, key_y + 12, "More", "tick"))
    height = key_y + 24
    return Chart("heat", width, height, tuple(boxes), (), tuple(labels))
