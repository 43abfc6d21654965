"""The profile's summary as spine charts, in the style of public health indicator profiles.

One row per indicator: the authority's value, its statistical neighbours' mean,
England's value, the authorities at each end of England's range, a bar drawn on the
server (the range across authorities, the middle half of them, England's value as a
line and the authority's mark coloured by its outlier flag) and the flag in words.

Where an indicator has a better direction, better is always on the **right**: the
left end is the worst authority and the right end the best, so a bar for "lower is
better" runs from the highest value to the lowest. Where it has none the bar runs from
the lowest value (left) to the highest (right). Each row says which in words.

The bar is drawn in percentages of its width with no ``viewBox``: it stretches to the
cell at any screen width while its marks keep their shape. It carries no text; its
``aria-label`` says in words what it shows, and the row's cells carry the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from html import escape

from markupsafe import Markup

from cscwatch.core.catalogue import CATALOGUE, Polarity, Unit
from cscwatch.indicators.benchmarking import Benchmark, sn_mark
from cscwatch.indicators.web_queries import SpineRange
from cscwatch.serve.web._render import fmt_short, year_label
from cscwatch.serve.web.flags import flag_html

__all__ = ["SPINE_COLOURS", "TOTAL_UNITS", "SpineEnd", "SpineRow", "spine_rows", "spine_svg"]

#: Fills of the bar and of the authority's mark by flag meaning. The marks are the
#: GOV.UK colours of the outlier tags (grey darkened to pass 3:1 on the bands); every
#: mark also has a black outline. ``tests/serve/test_charts_contrast.py`` checks the
#: contrast of each against the band it sits on.
SPINE_COLOURS: dict[str, str] = {
    "range": "#f3f2f1",
    "range_edge": "#6f777b",
    "middle": "#cfd2d4",
    "england": "#0b0c0c",
    "outline": "#0b0c0c",
    "worse": "#d4351c",
    "better": "#1d70b8",
    "no_direction": "#4c2c92",
    "none": "#505a5f",
}

#: Units whose England figure is a total (a count, £): not drawn on an authority's bar,
#: where it would squash every authority against one end.
TOTAL_UNITS = frozenset({Unit.COUNT, Unit.GBP})

_HEIGHT = 32
_MID = _HEIGHT / 2
#: The bar's ends sit this far (percent of the width) inside the drawing, so a mark
#: at either end is drawn whole.
_PAD = 4.0


@dataclass(frozen=True)
class SpineEnd:
    """One end of the range: which end in words, its value and the authority there."""

    label: str
    value: str
    name: str


@dataclass(frozen=True)
class SpineRow:
    """One indicator's row of the summary."""

    indicator: str
    title: str
    href: str
    period: str
    direction: str
    value: str
    sn_mean: str
    england: str
    left: SpineEnd | None
    right: SpineEnd | None
    chart: Markup
    flag: Markup
    meaning: str


def _direction(polarity: Polarity) -> str:
    return {
        Polarity.HIGH_GOOD: "Higher is better",
        Polarity.LOW_GOOD: "Lower is better",
    }.get(polarity, "No better direction")


def spine_svg(
    rng: SpineRange,
    *,
    value: float | None,
    england: float | None,
    flag: str,
    meaning: str,
    reverse: bool,
    label: str,
) -> Markup:
    """The bar of one row.

    Parameters
    ----------
    rng : SpineRange
        The spread across authorities.
    value, england : float or None
        The authority's value (its mark) and England's (a vertical line).
    flag : str
        ``higher``, ``lower``, ``within`` or ``not_assessed``: the mark's shape
        (triangle up, triangle down, circle; a diamond where not assessed).
    meaning : str
        ``worse``, ``better``, ``no_direction`` or ``none``: the mark's colour.
    reverse : bool
        Draw the highest value on the left (for "lower is better").
    label : str
        The chart in words (its ``aria-label``).

    Returns
    -------
    Markup
        An inline ``<svg>``, ``role="img"``, as wide as its container.
    """
    finite = [
        v for v in (rng.lowest, rng.highest, value, england) if v is not None and math.isfinite(v)
    ]
    lo, hi = min(finite), max(finite)
    span = (hi - lo) or 1.0

    def x(v: float) -> float:
        frac = (v - lo) / span
        return _PAD + (1 - frac if reverse else frac) * (100 - 2 * _PAD)

    def band(a: float, b: float, cls: str, top: float, height: float) -> str:
        left, right = sorted((x(a), x(b)))
        return (
            f'<rect class="app-spine__{cls}" x="{left:.2f}%" y="{top}" '
            f'width="{max(right - left, 0.4):.2f}%" height="{height}"/>'
        )

    parts = [
        f'<svg class="app-spine__svg" width="100%" height="{_HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" focusable="false" xmlns="http://www.w3.org/2000/svg">',
        band(rng.lowest, rng.highest, "range", 8, 16),
        band(rng.q1, rng.q3, "middle", 8, 16),
    ]
    if england is not None and math.isfinite(england):
        ex = x(england)
        parts.append(
            f'<line class="app-spine__england" x1="{ex:.2f}%" x2="{ex:.2f}%" y1="3" '
            f'y2="{_HEIGHT - 3}"/>'
        )
    if value is not None and math.isfinite(value):
        parts.append(
            f'<svg x="{x(value):.2f}%" y="{_MID}" overflow="visible">{_mark(flag, meaning)}</svg>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _mark(flag: str, meaning: str) -> str:
    """The authority's mark centred on (0, 0): shape by flag, colour by meaning."""
    cls = f"app-spine__mark app-spine__mark--{meaning}"
    if flag == "higher":
        return f'<polygon class="{cls}" points="0,-9 8,6 -8,6"/>'
    if flag == "lower":
        return f'<polygon class="{cls}" points="0,9 8,-6 -8,-6"/>'
    if flag == "within":
        return f'<circle class="{cls}" r="7"/>'
    return f'<polygon class="{cls}" points="0,-8 8,0 0,8 -8,0"/>'


def _ends(
    ind_polarity: Polarity, rng: SpineRange, fmt: Callable[[float | None], str]
) -> tuple[SpineEnd, SpineEnd]:
    low = (rng.lowest, rng.lowest_name)
    high = (rng.highest, rng.highest_name)
    if ind_polarity is Polarity.LOW_GOOD:
        return (
            SpineEnd("Worst (highest)", fmt(high[0]), high[1]),
            SpineEnd("Best (lowest)", fmt(low[0]), low[1]),
        )
    if ind_polarity is Polarity.HIGH_GOOD:
        return (
            SpineEnd("Worst (lowest)", fmt(low[0]), low[1]),
            SpineEnd("Best (highest)", fmt(high[0]), high[1]),
        )
    return (
        SpineEnd("Lowest", fmt(low[0]), low[1]),
        SpineEnd("Highest", fmt(high[0]), high[1]),
    )


def _where(value: float | None, rng: SpineRange) -> str:
    if value is None:
        return "no value"
    if rng.q1 <= value <= rng.q3:
        return "inside the middle half of authorities"
    if value < rng.lowest or value > rng.highest:
        return "outside the range of the other authorities"
    return "below the middle half" if value < rng.q1 else "above the middle half"


def spine_rows(
    benchmarks: Sequence[Benchmark],
    ranges: dict[tuple[str, int], SpineRange],
    *,
    authority: str,
    la_code: str,
) -> list[SpineRow]:
    """One :class:`SpineRow` per benchmark, in the profile's order.

    The range is that of the benchmark's reference year (its own year, or for a
    provisional figure the published year it is compared with); a benchmark whose
    year has no range across authorities gets no bar and no ends.
    """
    rows = []
    for b in benchmarks:
        ind = CATALOGUE[b.indicator]
        fmt = partial(fmt_short, unit=ind.unit)
        value_text = fmt_short(b.value, ind.unit, b.status) + (
            " (provisional)" if b.provisional else ""
        )
        rng = ranges.get((b.indicator, b.reference_year or b.year))
        chart = Markup("")
        left = right = None
        if rng is not None:
            left, right = _ends(ind.polarity, rng, fmt)
            total = ind.unit in TOTAL_UNITS
            side = (
                "better is on the right"
                if ind.polarity is not Polarity.NEUTRAL
                else "no better direction; lowest on the left"
            )
            label = (
                f"{ind.title}: {authority} {value_text}, {_where(b.value, rng)} "
                f"({fmt(rng.q1)} to {fmt(rng.q3)}); "
                + (
                    f"England's total ({fmt(b.england)}) is not drawn; "
                    if total
                    else f"England {fmt(b.england)}; "
                )
                + f"authorities range from {left.value} to {right.value} ({side}); "
                f"{b.outlier.flag_words}"
                + (
                    f", {b.outlier.flag_meaning}"
                    if b.outlier.flag_meaning in ("worse", "better")
                    else ""
                )
                + "."
            )
            chart = spine_svg(
                rng,
                value=b.value,
                england=None if total else b.england,
                flag=b.outlier.flag,
                meaning=b.outlier.flag_meaning,
                reverse=ind.polarity is Polarity.LOW_GOOD,
                label=label,
            )
        rows.append(
            SpineRow(
                indicator=ind.id,
                title=ind.title,
                href=f"/indicators/{ind.id}?authority={la_code}&year={b.year}",
                period=year_label(b.year, ind),
                direction=_direction(ind.polarity),
                value=value_text,
                sn_mean=fmt(b.sn_mean) + sn_mark(b.sn_mean, b.sn_n),
                england=fmt(b.england),
                left=left,
                right=right,
                chart=chart,
                flag=flag_html(b.outlier),
                meaning=b.outlier.flag_meaning,
            )
        )
    return rows
