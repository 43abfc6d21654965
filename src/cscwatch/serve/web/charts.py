"""Charts drawn on the server as inline SVG: they need no JavaScript and print well.

Each function takes numbers the library already computed and returns ``Markup``.
Every chart has ``role="img"``, a ``<title>`` and a ``<desc>``, and the page beside it
carries the same numbers as a table, so the chart is never the only way in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from cscwatch.core.types import PeriodKind, period_label

__all__ = [
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


@dataclass
class _Frame:
    width: int = 640
    height: int = 300
    left: int = 64
    right: int = 16
    top: int = 16
    bottom: int = 40
    extra: list[str] = field(default_factory=list)

    @property
    def plot_w(self) -> int:
        return self.width - self.left - self.right

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


def _svg_open(frame: _Frame, title: str, desc: str, ident: str, cls: str = "") -> str:
    return (
        f'<svg class="app-chart {cls}" viewBox="0 0 {frame.width} {frame.height}" '
        f'width="{frame.width}" height="{frame.height}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
    )


def _y_axis(frame: _Frame, ticks: Sequence[float], y: Callable[[float], float], fmt: Fmt) -> str:
    out = ['<g class="app-chart__axis" aria-hidden="true">']
    for t in ticks:
        yy = y(t)
        out.append(
            f'<line class="app-chart__grid" x1="{frame.left}" x2="{frame.width - frame.right}" '
            f'y1="{yy:.1f}" y2="{yy:.1f}"/>'
            f'<text x="{frame.left - 6}" y="{yy + 4:.1f}" text-anchor="end">{escape(fmt(t))}</text>'
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
) -> Markup:
    """Values by year, one line per series; gaps where a value is missing.

    ``year_label`` names a year on the axis as the publisher does (default: the year
    ending 31 March, ``2024-25``)."""
    label = year_label or (lambda yr: period_label(PeriodKind.FINANCIAL_YEAR, yr))
    frame = _Frame()
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
            return frame.left + frame.plot_w / 2
        return frame.left + (yr - years[0]) / (years[-1] - years[0]) * frame.plot_w

    def y(v: float) -> float:
        return frame.top + (1 - (v - y0) / ((y1 - y0) or 1)) * frame.plot_h

    parts = [_svg_open(frame, title, desc, ident), _y_axis(frame, ticks, y, fmt)]
    step = max(1, math.ceil(len(years) / 8))
    parts.append('<g class="app-chart__axis" aria-hidden="true">')
    for i, yr in enumerate(years):
        if i % step == 0 or yr == years[-1]:
            parts.append(
                f'<text x="{x(yr):.1f}" y="{frame.height - frame.bottom + 18}" '
                f'text-anchor="middle">{escape(label(yr))}</text>'
            )
    parts.append("</g>")
    for s in series:
        segs: list[list[tuple[float, float]]] = [[]]
        for yr, v in sorted(s.points):
            if v is None or not math.isfinite(v):
                segs.append([])
            else:
                segs[-1].append((x(yr), y(v)))
        parts.append(f'<g aria-hidden="true"><title>{escape(s.name)}</title>')
        for seg in segs:
            if len(seg) > 1:
                d = " ".join(
                    f"{'M' if i == 0 else 'L'}{px:.1f},{py:.1f}" for i, (px, py) in enumerate(seg)
                )
                parts.append(f'<path class="app-chart__line app-chart__line--{s.key}" d="{d}"/>')
            for px, py in seg:
                parts.append(
                    f'<circle class="app-chart__dot--{s.key}" cx="{px:.1f}" cy="{py:.1f}" r="3.5"/>'
                )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    desc: str,
    ident: str,
    fmt: Fmt,
    reference: float | None = None,
    reference_label: str = "England",
) -> Markup:
    """A ranked column chart (one column per authority), highlighted ones in blue."""
    if not bars:
        return Markup("")
    frame = _Frame(height=320, bottom=24)
    vals = [b.value for b in bars] + ([reference] if reference is not None else [])
    lo = min(0.0, min(vals))
    ticks = nice_ticks(lo, max(vals))
    y0, y1 = ticks[0], ticks[-1]

    def y(v: float) -> float:
        return frame.top + (1 - (v - y0) / ((y1 - y0) or 1)) * frame.plot_h

    bw = frame.plot_w / len(bars)
    parts = [_svg_open(frame, title, desc, ident), _y_axis(frame, ticks, y, fmt)]
    for i, b in enumerate(bars):
        top, base = y(max(b.value, 0.0)), y(min(b.value, 0.0))
        cls = "app-chart__bar"
        if b.highlight:
            cls += " app-chart__bar--highlight"
        rect = (
            f'<rect class="{cls}" x="{frame.left + i * bw + bw * 0.1:.2f}" y="{top:.1f}" '
            f'width="{max(bw * 0.8, 0.6):.2f}" height="{max(base - top, 0.5):.1f}">'
            f"<title>{escape(b.label)}: {escape(fmt(b.value))}</title></rect>"
        )
        # no links inside the image: the table below carries them (an <a> in a
        # role="img" is a nested interactive control)
        parts.append(rect)
        if b.highlight:
            cx = frame.left + (i + 0.5) * bw
            anchor = "start" if i < len(bars) / 2 else "end"
            parts.append(
                f'<text x="{cx:.1f}" y="{max(top - 6, 12):.1f}" text-anchor="{anchor}" '
                f'font-weight="bold">{escape(b.label)}</text>'
            )
    if reference is not None:
        ry = y(reference)
        parts.append(
            f'<line class="app-chart__centre" x1="{frame.left}" x2="{frame.width - frame.right}" '
            f'y1="{ry:.1f}" y2="{ry:.1f}"/><text x="{frame.width - frame.right}" '
            f'y="{ry - 5:.1f}" text-anchor="end">{escape(reference_label)} '
            f"{escape(fmt(reference))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def comparison_chart(
    bars: Sequence[HBar], *, title: str, desc: str, ident: str, fmt: Fmt
) -> Markup:
    """Horizontal bars, one per place, each labelled with its name and value (the
    subject, region and England in bold), so colour is never the only cue. A missing
    value is said in words where its bar would be."""
    if not bars:
        return Markup("")
    label_w, value_w, row_h = 250, 84, 26
    frame = _Frame(height=16 + row_h * len(bars) + 28, left=label_w, right=value_w, bottom=28)
    vals = [b.value for b in bars if b.value is not None and math.isfinite(b.value)]
    if not vals:
        return Markup("")
    ticks = nice_ticks(min(0.0, min(vals)), max(vals), 4)
    x0, x1 = ticks[0], ticks[-1]

    def x(v: float) -> float:
        return frame.left + (v - x0) / ((x1 - x0) or 1) * frame.plot_w

    parts = [_svg_open(frame, title, desc, ident, "app-chart--compare")]
    parts.append('<g class="app-chart__axis" aria-hidden="true">')
    for t in ticks:
        xx = x(t)
        parts.append(
            f'<line class="app-chart__grid" x1="{xx:.0f}" x2="{xx:.0f}" y1="{frame.top}" '
            f'y2="{frame.height - frame.bottom}"/><text x="{xx:.0f}" '
            f'y="{frame.height - frame.bottom + 18}" text-anchor="middle">{escape(fmt(t))}</text>'
        )
    parts.append("</g>")
    for i, b in enumerate(bars):
        top = frame.top + i * row_h
        mid = top + row_h / 2 + 5
        name = b.label if len(b.label) <= 32 else b.label[:31] + "…"
        weight = ' font-weight="bold"' if b.kind in ("subject", "england", "region") else ""
        parts.append(
            f'<text x="{frame.left - 8}" y="{mid:.0f}" text-anchor="end"{weight}>'
            f"{escape(name)}</text>"
        )
        if b.value is None or not math.isfinite(b.value):
            parts.append(
                f'<text x="{frame.left + 4}" y="{mid:.1f}" class="app-chart__missing">'
                f"{escape(b.missing or 'no data')}</text>"
            )
            continue
        lo, hi = sorted((x(0.0) if x0 <= 0 <= x1 else x(x0), x(b.value)))
        # the value is written beside the bar, so the bar needs no tooltip of its own
        parts.append(
            f'<rect class="app-chart__hbar app-chart__hbar--{b.kind}" x="{lo:.0f}" '
            f'y="{top + 4:.0f}" width="{max(hi - lo, 1):.0f}" height="{row_h - 8}"/>'
            f'<text x="{hi + 6:.0f}" y="{mid:.0f}"{weight}>{escape(fmt(b.value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


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
    frame = _Frame(height=340, bottom=52)
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
        return frame.left + v / (x1 or 1) * frame.plot_w

    def y(v: float) -> float:
        return frame.top + (1 - (v - y0) / ((y1 - y0) or 1)) * frame.plot_h

    def clamp(v: float) -> float:
        return min(max(v, y0), y1)

    parts = [_svg_open(frame, title, desc, ident), _y_axis(frame, yt, y, fmt)]
    parts.append('<g class="app-chart__axis" aria-hidden="true">')
    for t in xt:
        parts.append(
            f'<text x="{x(t):.1f}" y="{frame.height - frame.bottom + 18}" '
            f'text-anchor="middle">{escape(size_fmt(t))}</text>'
        )
    parts.append(
        f'<text x="{frame.left + frame.plot_w / 2:.1f}" y="{frame.height - 6}" '
        f'text-anchor="middle">{escape(size_label)}</text></g>'
    )
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
            parts.append(f'<path class="app-chart__limit{cls}" d="{d}" aria-hidden="true"/>')
    if centre is not None:
        parts.append(
            f'<line class="app-chart__centre" x1="{frame.left}" x2="{frame.width - frame.right}" '
            f'y1="{y(centre):.1f}" y2="{y(centre):.1f}" aria-hidden="true"/>'
        )
    highlighted = [p for p in points if p.highlight]
    for p in [p for p in points if not p.highlight] + highlighted:
        cls = f"app-chart__point app-chart__point--{p.meaning}"
        r = 7.0 if p.highlight else 4.5
        if p.highlight:
            cls += " app-chart__point--highlight"
        px, py = x(p.size), y(clamp(p.value))
        tip = f"<title>{escape(p.label)}: {escape(fmt(p.value))}</title>"
        parts.append(_marker(p.flag, px, py, r, cls, tip))
        if p.highlight:
            parts.append(
                f'<text x="{px + 10:.1f}" y="{py - 8:.1f}" font-weight="bold">'
                f"{escape(p.label)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _marker(flag: str, px: float, py: float, r: float, cls: str, tip: str) -> str:
    """A triangle pointing up (higher), down (lower) or a circle (within)."""
    if flag in ("higher", "lower"):
        s = -1 if flag == "higher" else 1
        pts = (
            f"{px:.1f},{py + s * r * 1.2:.1f} {px - r * 1.1:.1f},{py - s * r * 0.7:.1f} "
            f"{px + r * 1.1:.1f},{py - s * r * 0.7:.1f}"
        )
        return f'<polygon class="{cls}" points="{pts}">{tip}</polygon>'
    return f'<circle class="{cls}" cx="{px:.1f}" cy="{py:.1f}" r="{r:.1f}">{tip}</circle>'


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
