"""Charts drawn on the server as inline SVG: they need no JavaScript and print well.

Each function takes numbers the library already computed and returns ``Markup``.
Every chart has ``role="img"``, a ``<title>`` and a ``<desc>``, its own legend, and the
page beside it carries the same numbers as a table, so the chart is never the only way
in.

Charts stretch to the width they are given and never scale their text: the drawing has
no ``viewBox``, the plot is a nested ``<svg>`` drawn in 0..1000 across and stretched
(strokes keep their width), text and markers are placed in pixels or in percentages of
the width. So axis text is the stylesheet's size (14 px) on a phone as on a desktop,
where a scaled drawing's 14 px became 7.5 px at 375 px wide.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from cscwatch.core.types import PeriodKind, period_label

__all__ = [
    "CHART_COLOURS",
    "Bar",
    "FunnelPoint",
    "HBar",
    "LimitPoint",
    "Series",
    "bar_chart",
    "comparison_chart",
    "funnel_plot",
    "line_chart",
    "nice_ticks",
    "sparkline",
    "tick_labels",
]

Fmt = Callable[[float | None], str]


@dataclass(frozen=True)
class Series:
    """One line: ``key`` picks its style (``la``, ``sn``, ``region``, ``england``)."""

    name: str
    key: str
    points: Sequence[tuple[int, float | None]]


@dataclass(frozen=True)
class Bar:
    """One bar of a ranked chart."""

    label: str
    value: float
    highlight: bool = False
    href: str | None = None
    kind: str = ""


@dataclass(frozen=True)
class HBar:
    """One row of a comparison chart: ``kind`` is ``subject`` (drawn blue),
    ``authority``, ``region`` or ``england``;
    ``missing`` names why there is no value (the publisher's symbol in words)."""

    label: str
    value: float | None
    kind: str = "authority"
    missing: str = ""


@dataclass(frozen=True)
class FunnelPoint:
    """One authority on a funnel plot: size on x, value on y.

    ``flag`` (``higher``, ``lower``, ``within``) picks the marker's shape (triangle up,
    triangle down, circle) and ``meaning`` (``worse``, ``better``, ``no_direction``,
    ``none``) its colour, so colour is never the only cue.
    """

    label: str
    size: float
    value: float
    flag: str = "within"
    meaning: str = "none"
    highlight: bool = False
    href: str | None = None


@dataclass(frozen=True)
class LimitPoint:
    """The 99.8% limits at one size: the default (``lower``, ``upper``) and the plain
    chance limits (``chance_lower``, ``chance_upper``)."""

    size: float
    lower: float | None
    upper: float | None
    chance_lower: float | None = None
    chance_upper: float | None = None


#: Stroke and fill of each series and mark, on a white background: every one at least
#: 3:1 against white (WCAG 1.4.11), checked by ``tests/serve/test_charts_contrast.py``
#: against this table and against the stylesheet, which must use the same colours.
CHART_COLOURS: dict[str, str] = {
    "la": "#1d70b8",
    "sn": "#b94e00",
    "region": "#00703c",
    "england": "#0b0c0c",
    "bar": "#8b9297",
    "highlight": "#1d70b8",
    "point": "#8b9297",
    "worse": "#d4351c",
    "better": "#1d70b8",
    "no_direction": "#4c2c92",
    "limit": "#505a5f",
    "subject": "#1d70b8",
    "authority": "#505a5f",
}

#: Legend words for the series keys of a line chart when a chart has no name for one.
_KEY_ORDER = ("la", "sn", "region", "england")

#: The plot's own coordinates run 0..1000 across, whatever its width on screen.
_PW = 1000.0


@dataclass
class _Frame:
    """A chart's box: the plot fills the width between ``left`` and ``right`` pixels of
    padding (where the axis labels sit) and is ``height`` pixels tall."""

    height: int = 300
    left: int = 64
    right: int = 28
    top: int = 16
    bottom: int = 40
    extra: list[str] = field(default_factory=list)

    @property
    def plot_h(self) -> int:
        return self.height - self.top - self.bottom


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round axis ticks covering ``lo``..``hi``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t < hi + step * 0.999:
        ticks.append(round(t, 10))
        t += step
    return ticks


def _pct(v: float) -> str:
    """A plot x (0..1000) as a percentage of the plot's width."""
    return f"{v / _PW * 100:.2f}%"


def _open(frame: _Frame, title: str, desc: str, ident: str, cls: str = "") -> str:
    """The chart's frame and its ``<svg>``, as wide as its container.

    There is no ``viewBox``: the drawing stretches to the width it is given while its
    text keeps its size in pixels (never shrunk below what the stylesheet sets, as a
    scaled drawing's would be on a phone). Axis labels sit in the frame's padding.
    """
    return (
        f'<div class="app-chart-frame" style="padding-left: {frame.left}px; '
        f'padding-right: {frame.right}px">'
        f'<svg class="app-chart app-chart--fluid {cls}" width="100%" height="{frame.height}" '
        f'role="img" aria-labelledby="{ident}-t {ident}-d" focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
    )


def _plot_open(frame: _Frame) -> str:
    """The plot area: drawn in 0..1000 across, stretched to the width; strokes keep
    their width (``vector-effect`` in the stylesheet)."""
    return (
        f'<svg class="app-chart__plot" x="0" y="{frame.top}" width="100%" '
        f'height="{frame.plot_h}" viewBox="0 0 {_PW:.0f} {frame.plot_h}" '
        f'preserveAspectRatio="none" overflow="visible" aria-hidden="true">'
    )


def _close(legend: Sequence[tuple[str, str]] = (), note: str = "", axis: str = "") -> str:
    """Close the drawing; then the x axis's title, its legend (``(key, words)`` pairs)
    and a note."""
    parts = ["</svg>"]
    if axis:
        parts.append(f'<p class="app-chart-axis-title" aria-hidden="true">{escape(axis)}</p>')
    if legend:
        parts.append('<ul class="app-legend app-chart-legend" aria-hidden="true">')
        for key, words in legend:
            parts.append(
                f'<li><svg class="app-chart-legend__key" width="28" height="14" '
                f'focusable="false"><line class="app-chart-legend__{key}" x1="1" x2="27" '
                f'y1="7" y2="7"/></svg>{escape(words)}</li>'
            )
        parts.append("</ul>")
    if note:
        parts.append(f'<p class="app-chart-note">{escape(note)}</p>')
    parts.append("</div>")
    return "".join(parts)


#: Width of one character of the 14 px axis text, generously (digits are about 7.8 px in
#: Arial at 14 px), and the gap between the labels and the plot.
_CHAR_PX = 8.0
_AXIS_GAP_PX = 14


def tick_labels(ticks: Sequence[float], fmt: Fmt) -> list[str]:
    """The y axis's labels: in the figure's own format, or written short from a million
    up ("£250m", "£1.5bn", "12m"), as written out they ran off the left of a phone's
    screen (England's spend on children's services is £16,012,355,892). Ticks are round
    numbers, so the short form loses nothing; the tables keep every digit."""
    top = max((abs(t) for t in ticks), default=0.0)
    if top < 1_000_000:
        return [fmt(t) for t in ticks]
    scale, suffix = (1e9, "bn") if top >= 1e9 else (1e6, "m")
    prefix = "£" if fmt(1.0).startswith("£") else ""
    out = []
    for t in ticks:
        if t == 0:
            out.append(f"{prefix}0")
            continue
        words = f"{abs(t) / scale:,.2f}".rstrip("0").rstrip(".")
        out.append(f"{'-' if t < 0 else ''}{prefix}{words}{suffix}")
    return out


def _fit_left(frame: _Frame, labels: Sequence[str]) -> None:
    """Widen the padding left of the plot to hold the longest y-axis label."""
    longest = max((len(lab) for lab in labels), default=0)
    frame.left = max(frame.left, math.ceil(longest * _CHAR_PX) + _AXIS_GAP_PX)


def _y_axis(
    frame: _Frame,
    ticks: Sequence[float],
    y: Callable[[float], float],
    labels: Sequence[str],
    label: str = "",
) -> str:
    out = ['<g class="app-chart__axis" aria-hidden="true">']
    for t, words in zip(ticks, labels, strict=True):
        yy = y(t)
        out.append(
            f'<line class="app-chart__grid" x1="0" x2="100%" y1="{yy:.1f}" y2="{yy:.1f}"/>'
            f'<text x="-6" y="{yy + 5:.1f}" text-anchor="end">{escape(words)}</text>'
        )
    if label:
        out.append(f'<text class="app-chart__unit" x="0" y="11">{escape(label)}</text>')
    out.append("</g>")
    return "".join(out)


def _pick(n: int, most: int) -> list[int]:
    """At most ``most`` of ``n`` label positions, evenly spaced, the first and the last
    always among them."""
    if n <= most:
        return list(range(n))
    step = math.ceil((n - 1) / max(most - 1, 1))
    shown = list(range(0, n - 1, step))
    if n - 1 - shown[-1] < step * 0.6 and len(shown) > 1:
        shown.pop()  # the last label would crowd the one before it
    return [*shown, n - 1]


#: The plot is at least this wide (px) on a desktop (half a column) and on a phone
#: (320 px less the page's margins and the axis): labels are spaced for these widths.
_PLOT_WIDE, _PLOT_NARROW = 360, 220


def _x_labels(positions: Sequence[tuple[float, str]], y: float) -> str:
    """Labels along the x axis at plot x (0..1000), as many as fit without touching
    at 14 px: a set for desktops, and a smaller one (the first, the last and a few
    between) that alone stays on narrow screens."""
    n = len(positions)
    longest = max((len(text) for _, text in positions), default=1)
    room = longest * 8 + 14  # a 14 px Arial character is under 8 px wide
    shown = _pick(n, max(2, _PLOT_WIDE // room))
    narrow = {shown[i] for i in _pick(len(shown), max(2, _PLOT_NARROW // room))}
    out = ['<g class="app-chart__axis" aria-hidden="true">']
    for i in shown:
        px, text = positions[i]
        cls = "" if i in narrow else ' class="app-chart__tick--wide"'
        out.append(
            f'<text{cls} x="{_pct(px)}" y="{y:.0f}" text-anchor="middle">{escape(text)}</text>'
        )
    out.append("</g>")
    return "".join(out)


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    desc: str,
    ident: str,
    fmt: Fmt,
    year_label: Callable[[int], str] | None = None,
    axis_label: str = "",
    note: str = "",
) -> Markup:
    """Values by year, one line per series; gaps where a value is missing.

    ``year_label`` names a year on the axis as the publisher does (default: the year
    ending 31 March, ``2024-25``). ``axis_label`` says above the axis what the values
    are (their unit); ``note`` is a line under the legend (what is left off and why).
    Every chart carries its own legend, one entry per series."""
    label = year_label or (lambda yr: period_label(PeriodKind.FINANCIAL_YEAR, yr))
    frame = _Frame(top=26 if axis_label else 16)
    years = sorted({yr for s in series for yr, _ in s.points})
    vals = [v for s in series for _, v in s.points if v is not None and math.isfinite(v)]
    if not years or not vals:
        return Markup("")
    lo, hi = min(vals), max(vals)
    lo = min(lo, 0.0) if lo >= 0 and lo < (hi - lo) * 2 else lo
    ticks = nice_ticks(lo, hi)
    y0, y1 = ticks[0], ticks[-1]

    def x(yr: int) -> float:
        if len(years) == 1:
            return _PW / 2
        return (yr - years[0]) / (years[-1] - years[0]) * _PW

    def y(v: float) -> float:
        return (1 - (v - y0) / ((y1 - y0) or 1)) * frame.plot_h

    def ya(v: float) -> float:  # the same in the outer drawing's pixels
        return frame.top + y(v)

    labels = tick_labels(ticks, fmt)
    _fit_left(frame, labels)
    parts = [_open(frame, title, desc, ident), _y_axis(frame, ticks, ya, labels, axis_label)]
    parts.append(_x_labels([(x(yr), label(yr)) for yr in years], frame.height - frame.bottom + 20))
    parts.append(_plot_open(frame))
    for s in series:
        segs: list[list[tuple[float, float]]] = [[]]
        for yr, v in sorted(s.points):
            if v is None or not math.isfinite(v):
                segs.append([])
            else:
                segs[-1].append((x(yr), y(v)))
        parts.append(f"<g><title>{escape(s.name)}</title>")
        for seg in segs:
            if len(seg) > 1:
                d = " ".join(
                    f"{'M' if i == 0 else 'L'}{px:.1f},{py:.1f}" for i, (px, py) in enumerate(seg)
                )
                parts.append(f'<path class="app-chart__line app-chart__line--{s.key}" d="{d}"/>')
            if seg:
                # a zero-length stroke with round caps: a dot that keeps its shape
                dots = "".join(f"M{px:.1f},{py:.1f}h0" for px, py in seg)
                parts.append(f'<path class="app-chart__dot app-chart__dot--{s.key}" d="{dots}"/>')
        parts.append("</g>")
    parts.append("</svg>")
    legend = [(s.key, s.name) for s in series]
    return Markup("".join(parts) + _close(legend, note))


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    desc: str,
    ident: str,
    fmt: Fmt,
    reference: float | None = None,
    reference_label: str = "England",
    axis_label: str = "",
    bars_label: str = "Authority",
    highlight_label: str = "",
) -> Markup:
    """A ranked column chart (one column per authority), highlighted ones in blue.

    ``reference`` draws a line across (England's value, where it is on the authorities'
    scale: never a total); the legend names the bars, the highlighted one and the line.
    """
    if not bars:
        return Markup("")
    frame = _Frame(height=320, top=26 if axis_label else 16, bottom=24)
    vals = [b.value for b in bars] + ([reference] if reference is not None else [])
    lo = min(0.0, min(vals))
    ticks = nice_ticks(lo, max(vals))
    y0, y1 = ticks[0], ticks[-1]

    def y(v: float) -> float:
        return (1 - (v - y0) / ((y1 - y0) or 1)) * frame.plot_h

    bw = _PW / len(bars)
    labels = tick_labels(ticks, fmt)
    _fit_left(frame, labels)
    parts = [
        _open(frame, title, desc, ident),
        _y_axis(frame, ticks, lambda v: frame.top + y(v), labels, axis_label),
        _plot_open(frame),
    ]
    labels = []
    for i, b in enumerate(bars):
        top, base = y(max(b.value, 0.0)), y(min(b.value, 0.0))
        cls = "app-chart__bar"
        if b.highlight:
            cls += " app-chart__bar--highlight"
        # no links inside the image: the table below carries them (an <a> in a
        # role="img" is a nested interactive control)
        parts.append(
            f'<rect class="{cls}" x="{i * bw + bw * 0.1:.2f}" y="{top:.1f}" '
            f'width="{max(bw * 0.8, 0.6):.2f}" height="{max(base - top, 0.5):.1f}">'
            f"<title>{escape(b.label)}: {escape(fmt(b.value))}</title></rect>"
        )
        if b.highlight:
            # named at the top of the plot, a thin line down to its column, clear of
            # England's line and label
            anchor = "start" if i < len(bars) / 2 else "end"
            cx = (i + 0.5) * bw
            parts.append(
                f'<line class="app-chart__leader" x1="{cx:.1f}" x2="{cx:.1f}" y1="4" '
                f'y2="{top:.1f}"/>'
            )
            dx = 4 if anchor == "start" else -4
            labels.append(
                f'<text class="app-chart__label" x="{_pct(cx)}" dx="{dx}" '
                f'y="{frame.top + 14}" text-anchor="{anchor}" '
                f'font-weight="bold">{escape(b.label)}</text>'
            )
    legend = [("bar", bars_label)]
    if any(b.highlight for b in bars):
        legend.append(("highlight", highlight_label or "Chosen authority"))
    if reference is not None:
        ry = y(reference)
        parts.append(
            f'<line class="app-chart__centre" x1="0" x2="{_PW:.0f}" y1="{ry:.1f}" y2="{ry:.1f}"/>'
        )
        labels.append(
            f'<text class="app-chart__label" x="100%" y="{frame.top + ry - 6:.1f}" '
            f'text-anchor="end">{escape(reference_label)} {escape(fmt(reference))}</text>'
        )
        legend.append(("england", reference_label))
    parts.append("</svg>")
    parts.extend(labels)
    parts.append("</svg>")
    return Markup("".join(parts) + _close(legend))


def comparison_chart(
    bars: Sequence[HBar], *, title: str, desc: str, ident: str, fmt: Fmt
) -> Markup:
    """Horizontal bars, one per place, each named above its bar and its value written
    at the bar's end (the subject, region and England in bold), so colour is never the
    only cue. A missing value is said in words where its bar would be."""
    if not bars:
        return Markup("")
    row_h = 40
    frame = _Frame(height=16 + row_h * len(bars) + 28, left=20, right=96, top=16, bottom=28)
    vals = [b.value for b in bars if b.value is not None and math.isfinite(b.value)]
    if not vals:
        return Markup("")
    ticks = nice_ticks(min(0.0, min(vals)), max(vals), 4)
    x0, x1 = ticks[0], ticks[-1]

    def x(v: float) -> float:
        return (v - x0) / ((x1 - x0) or 1) * _PW

    parts = [_open(frame, title, desc, ident, "app-chart--compare")]
    parts.append('<g class="app-chart__axis" aria-hidden="true">')
    labels = tick_labels(ticks, fmt)
    for k, t in enumerate(ticks):
        cls = ' class="app-chart__tick--wide"' if k % 2 and len(ticks) > 3 else ""
        parts.append(
            f'<line class="app-chart__grid" x1="{_pct(x(t))}" x2="{_pct(x(t))}" '
            f'y1="{frame.top}" y2="{frame.height - frame.bottom}"/><text{cls} '
            f'x="{_pct(x(t))}" y="{frame.height - frame.bottom + 18}" '
            f'text-anchor="middle">{escape(labels[k])}</text>'
        )
    parts.append("</g>")
    texts = []
    parts.append(_plot_open(frame))
    for i, b in enumerate(bars):
        top = i * row_h
        weight = ' font-weight="bold"' if b.kind in ("subject", "england", "region") else ""
        texts.append(f'<text x="0" y="{frame.top + top + 14:.0f}"{weight}>{escape(b.label)}</text>')
        if b.value is None or not math.isfinite(b.value):
            texts.append(
                f'<text x="0" y="{frame.top + top + 32:.0f}" class="app-chart__missing">'
                f"{escape(b.missing or 'no data')}</text>"
            )
            continue
        lo, hi = sorted((x(0.0) if x0 <= 0 <= x1 else x(x0), x(b.value)))
        # the value is written beside the bar, so the bar needs no tooltip of its own
        parts.append(
            f'<rect class="app-chart__hbar app-chart__hbar--{b.kind}" x="{lo:.1f}" '
            f'y="{top + 20}" width="{max(hi - lo, 1):.1f}" height="14"/>'
        )
        texts.append(
            f'<text x="{_pct(hi)}" dx="6" y="{frame.top + top + 32:.0f}"{weight}>'
            f"{escape(fmt(b.value))}</text>"
        )
    parts.append("</svg>")
    parts.extend(texts)
    parts.append("</svg>")
    kinds = {b.kind for b in bars}
    legend = [
        (k, words)
        for k, words in (
            ("subject", "The authority"),
            ("authority", "Other authorities"),
            ("region", "Region"),
            ("england", "England"),
        )
        if k in kinds
    ]
    return Markup("".join(parts) + _close([(f"hbar-{k}", w) for k, w in legend]))


def funnel_plot(
    points: Sequence[FunnelPoint],
    limits: Sequence[LimitPoint],
    *,
    centre: float | None,
    title: str,
    desc: str,
    ident: str,
    fmt: Fmt,
    size_label: str,
    size_fmt: Fmt,
) -> Markup:
    """Value against size with the default and the chance 99.8% limits the library
    computed; each authority's marker shaped by its flag and coloured by its meaning."""
    if not points:
        return Markup("")
    frame = _Frame(height=320, bottom=32)
    xs = [p.size for p in points] + [lp.size for lp in limits]
    ys = [p.value for p in points] + ([centre] if centre is not None else [])
    lim_vals = [
        v
        for lp in limits
        for v in (lp.lower, lp.upper, lp.chance_lower, lp.chance_upper)
        if v is not None and math.isfinite(v)
    ]
    # keep the y range on the authorities: limits at tiny sizes can run far off
    lo, hi = min(ys), max(ys)
    span = (hi - lo) or abs(hi) or 1.0
    lo = max(min(lo, *lim_vals) if lim_vals else lo, lo - span * 0.3)
    hi = min(max(hi, *lim_vals) if lim_vals else hi, hi + span * 0.3)
    if min(ys) >= 0:
        lo = max(lo, 0.0)
    yt = nice_ticks(lo, hi)
    xt = nice_ticks(0.0, max(xs))
    y0, y1, x1 = yt[0], yt[-1], xt[-1]

    def x(v: float) -> float:
        return v / (x1 or 1) * _PW

    def y(v: float) -> float:
        return (1 - (v - y0) / ((y1 - y0) or 1)) * frame.plot_h

    def clamp(v: float) -> float:
        return min(max(v, y0), y1)

    labels = tick_labels(yt, fmt)
    _fit_left(frame, labels)
    parts = [
        _open(frame, title, desc, ident),
        _y_axis(frame, yt, lambda v: frame.top + y(v), labels),
        _x_labels(
            list(zip([x(t) for t in xt], tick_labels(xt, size_fmt), strict=True)),
            frame.height - frame.bottom + 20,
        ),
        _plot_open(frame),
    ]
    ordered = sorted(limits, key=lambda lp: lp.size)
    for attr, cls in (
        ("chance_lower", " app-chart__limit--chance"),
        ("chance_upper", " app-chart__limit--chance"),
        ("lower", ""),
        ("upper", ""),
    ):
        pts = [(lp.size, getattr(lp, attr)) for lp in ordered]
        pts = [(s, v) for s, v in pts if v is not None and math.isfinite(v)]
        if len(pts) > 1:
            d = " ".join(
                f"{'M' if i == 0 else 'L'}{x(s):.1f},{y(clamp(v)):.1f}"
                for i, (s, v) in enumerate(pts)
            )
            parts.append(f'<path class="app-chart__limit{cls}" d="{d}"/>')
    if centre is not None:
        parts.append(
            f'<line class="app-chart__centre" x1="0" x2="{_PW:.0f}" '
            f'y1="{y(centre):.1f}" y2="{y(centre):.1f}"/>'
        )
    parts.append("</svg>")
    highlighted = [p for p in points if p.highlight]
    for p in [p for p in points if not p.highlight] + highlighted:
        cls = f"app-chart__point app-chart__point--{p.meaning}"
        r = 7.0 if p.highlight else 4.5
        if p.highlight:
            cls += " app-chart__point--highlight"
        px, py = _pct(x(p.size)), frame.top + y(clamp(p.value))
        tip = f"<title>{escape(p.label)}: {escape(fmt(p.value))}</title>"
        # each marker in its own origin at its place, so its shape never stretches
        parts.append(
            f'<svg x="{px}" y="{py:.1f}" overflow="visible">{_marker(p.flag, r, cls, tip)}</svg>'
        )
        if p.highlight:
            parts.append(
                f'<text class="app-chart__label" x="{px}" dx="10" y="{py - 8:.1f}" '
                f'font-weight="bold">{escape(p.label)}</text>'
            )
    parts.append("</svg>")
    # the x axis's title under the drawing, where a long one can wrap
    return Markup("".join(parts) + _close(axis=size_label))


def _marker(flag: str, r: float, cls: str, tip: str) -> str:
    """A triangle pointing up (higher), down (lower) or a circle (within), at (0, 0)."""
    if flag in ("higher", "lower"):
        s = -1 if flag == "higher" else 1
        pts = (
            f"0,{s * r * 1.2:.1f} {-r * 1.1:.1f},{-s * r * 0.7:.1f} "
            f"{r * 1.1:.1f},{-s * r * 0.7:.1f}"
        )
        return f'<polygon class="{cls}" points="{pts}">{tip}</polygon>'
    return f'<circle class="{cls}" r="{r:.1f}">{tip}</circle>'


def sparkline(values: Sequence[float | None], *, label: str) -> Markup:
    """A small trend line for headline figures."""
    pts = [(i, v) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    if len(pts) < 2:
        return Markup("")
    w, h, pad = 120, 32, 3
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    n = max(len(values) - 1, 1)
    d = " ".join(
        f"{'M' if k == 0 else 'L'}{pad + i / n * (w - 2 * pad):.1f},"
        f"{pad + (1 - (v - lo) / ((hi - lo) or 1)) * (h - 2 * pad):.1f}"
        for k, (i, v) in enumerate(pts)
    )
    return Markup(
        f'<svg class="app-spark" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        f'aria-label="{escape(label)}" focusable="false" xmlns="http://www.w3.org/2000/svg">'
        f'<path class="app-spark__line" d="{d}"/></svg>'
    )
