"""Geometry of the drawn cycle timeline: the template draws it as inline SVG, server-side.

Plain arithmetic on dates the rules already computed; nothing here decides a date. Labels are
placed in rows under the lanes so that they do not overlap (greedy, left to right).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

WIDTH = 1000
PAD = 14
YEAR_ROW = 12
WINDOW_TOP, WINDOW_HEIGHT = 22, 24
AUDIT_TOP, AUDIT_HEIGHT = 54, 18
LANES_BOTTOM = 80
LABEL_TOP, LABEL_STEP = 94, 15
CHAR_WIDTH = 6.2  # of the 11-unit font, generous enough for capitals
LABEL_GAP = 8
MAX_LABEL_ROWS = 10
MIN_BAR_WIDTH = 5

# kind -> how it is drawn; the template maps kinds to colours and dash patterns.
SPAN_KINDS = ("surveillance", "recertification", "restoration", "stage")
MARKER_KINDS = ("decision", "hard", "target", "today")


@dataclass(frozen=True)
class SpanInput:
    label: str
    short_label: str
    start: date
    end: date
    kind: str


@dataclass(frozen=True)
class MarkerInput:
    label: str
    day: date
    kind: str


@dataclass(frozen=True)
class BarInput:
    label: str
    start: date
    end: date
    status: str


@dataclass(frozen=True)
class Label:
    text: str
    x: float
    y: float
    anchor: str  # start or end
    leader_top: float  # the leader line runs from the item down to the label


@dataclass(frozen=True)
class Span:
    title: str
    short_label: str
    x: float
    width: float
    kind: str
    show_short_label: bool


@dataclass(frozen=True)
class Bar:
    title: str
    x: float
    width: float
    status: str
    label: Label


@dataclass(frozen=True)
class Marker:
    title: str
    x: float
    kind: str
    label: Label


@dataclass(frozen=True)
class Tick:
    year: int
    x: float


@dataclass
class Timeline:
    width: int
    height: int
    first: date
    last: date
    spans: list[Span] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    window_top: int = WINDOW_TOP
    window_height: int = WINDOW_HEIGHT
    audit_top: int = AUDIT_TOP
    audit_height: int = AUDIT_HEIGHT
    lanes_bottom: int = LANES_BOTTOM
    year_row: int = YEAR_ROW


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def day_text(day: date) -> str:
    """A date as people read it on the programme screens: 9 March 2028 (not locale-bound)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def short_day(day: date) -> str:
    """The same, shorter, for labels on the drawing: 9 Mar 2028."""
    return f"{day.day} {MONTHS[day.month - 1][:3]} {day.year}"


def draw(spans: list[SpanInput], markers: list[MarkerInput], bars: list[BarInput]) -> Timeline:
    """Place every span, audit bar and dated marker on one horizontal axis."""
    days = [d for span in spans for d in (span.start, span.end)]
    days += [marker.day for marker in markers]
    days += [d for bar in bars for d in (bar.start, bar.end)]
    first = min(days).replace(day=1)
    last = max(days) + timedelta(days=31)
    scale = _Scale(first, last)
    placer = _LabelPlacer()
    labelled = sorted(
        [("bar", bar) for bar in bars] + [("marker", marker) for marker in markers],
        key=lambda item: (item[1].start if item[0] == "bar" else item[1].day))
    drawn_bars, drawn_markers = [], []
    for what, item in labelled:
        if what == "bar":
            x, width = scale.x(item.start), max(MIN_BAR_WIDTH, scale.width(item.start,
                                                                             item.end))
            title = f"{item.label}: {_range_text(item.start, item.end)} ({item.status})"
            label = placer.place(f"{item.label} {short_day(item.start)}", x + width / 2,
                                 AUDIT_TOP + AUDIT_HEIGHT)
            drawn_bars.append(Bar(title, x, width, item.status, label))
        else:
            x = scale.x(item.day)
            title = f"{item.label}: {day_text(item.day)}"
            label = placer.place(f"{item.label} {short_day(item.day)}", x, LANES_BOTTOM)
            drawn_markers.append(Marker(title, x, item.kind, label))
    drawn_spans = []
    for span in spans:
        x, width = scale.x(span.start), max(2.0, scale.width(span.start, span.end))
        drawn_spans.append(Span(f"{span.label}: {_range_text(span.start, span.end)}",
                                span.short_label, x, width, span.kind,
                                len(span.short_label) * CHAR_WIDTH + 6 <= width))
    ticks = [Tick(year, scale.x(date(year, 1, 1)))
             for year in range(first.year + 1, last.year + 1)]
    height = int(LABEL_TOP + LABEL_STEP * placer.rows_used + 6)
    return Timeline(WIDTH, height, first, last, drawn_spans, drawn_bars, drawn_markers, ticks)


def _range_text(start: date, end: date) -> str:
    return day_text(start) if start == end else f"{day_text(start)} to {day_text(end)}"


class _Scale:
    def __init__(self, first: date, last: date):
        self.first = first
        self.total = max(1, (last - first).days)

    def x(self, day: date) -> float:
        return round(PAD + (day - self.first).days / self.total * (WIDTH - 2 * PAD), 1)

    def width(self, start: date, end: date) -> float:
        return round(((end - start).days + 1) / self.total * (WIDTH - 2 * PAD), 1)


class _LabelPlacer:
    """Puts each label in the first row where it does not touch the previous label."""

    def __init__(self):
        self.row_ends: list[float] = []

    @property
    def rows_used(self) -> int:
        return max(1, len(self.row_ends))

    def place(self, text: str, x: float, leader_top: float) -> Label:
        width = len(text) * CHAR_WIDTH
        anchor = "end" if x + width > WIDTH - PAD else "start"
        left, right = (x - width, x) if anchor == "end" else (x, x + width)
        row = next((index for index, end in enumerate(self.row_ends)
                    if end + LABEL_GAP <= left), None)
        if row is None:
            if len(self.row_ends) < MAX_LABEL_ROWS:
                self.row_ends.append(right)
                row = len(self.row_ends) - 1
            else:
                row = min(range(len(self.row_ends)), key=self.row_ends.__getitem__)
        self.row_ends[row] = max(self.row_ends[row], right)
        text_x = x + 3 if anchor == "start" else x - 3
        return Label(text, round(text_x, 1), LABEL_TOP + row * LABEL_STEP, anchor, leader_top)
