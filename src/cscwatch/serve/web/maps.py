"""The choropleth map of upper-tier authorities, drawn as inline SVG.

Boundaries come from ``utla_boundaries.geojson`` in the snapshot folder (made by
``scripts/make_boundaries.py``), keyed by the DfE LA number. Paths are projected
once per process (equirectangular, scaled by the cosine of England's mid latitude,
which is close enough at this size) and cached.

London's 33 authorities are drawn a second time, enlarged, in an inset where Wales
would be (the drawing has no other land there), and outlined on the main map. The
drawing scales to its container's width (never wider than the page); its one label is
large enough to stay at least 12 px on a 320 px screen. :func:`legend_html` gives the
key: each class with the lowest and highest value in it, in the indicator's unit, and
a swatch for authorities with no figure.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from markupsafe import Markup

__all__ = [
    "LONDON",
    "MISSING_FILL",
    "PALETTE",
    "LegendClass",
    "MapArea",
    "choropleth",
    "legend_classes",
    "legend_html",
    "load_map",
]

#: Sequential blues, light to dark, each distinguishable in greyscale print.
PALETTE = ("#d2e2f1", "#9ec3e0", "#5694ca", "#1d70b8", "#003078")

#: Authorities with no class (no figure, suppressed, or not ranked).
MISSING_FILL = "#f3f2f1"

#: London's 33 authorities by DfE LA number: the City (201), inner (202-213) and outer
#: (301-320) London boroughs.
LONDON = frozenset({"201", *(str(c) for c in range(202, 214)), *(str(c) for c in range(301, 321))})

_WIDTH = 480
_LAT0 = math.radians(53.0)
#: The inset's box (x, y, width) in the drawing, where Wales would be.
_INSET_X, _INSET_Y, _INSET_W = 8.0, 232.0, 170.0
_LABEL_PX = 21  # 21 px of a 480 px drawing is 12.7 px on a 320 px phone (290 px wide)


@dataclass(frozen=True)
class LegendClass:
    """One class of the map's key: its colour, name and the values in it."""

    colour: str
    name: str
    lowest: str
    highest: str
    n: int


def legend_classes(
    values: Sequence[tuple[int | None, float | None]],
    fmt: Callable[[float | None], str],
    names: Sequence[str] = ("Lowest quarter", "Second quarter", "Third quarter", "Highest quarter"),
) -> list[LegendClass]:
    """Each class (0 = lowest) with the lowest and highest value of its authorities.

    ``values`` pairs each authority's class with its value; the bounds are the values
    found in the class (so they never overlap and are never made up).
    """
    out = []
    for k, name in enumerate(names):
        mine = [v for c, v in values if c == k and v is not None and math.isfinite(v)]
        if mine:
            out.append(LegendClass(PALETTE[k], name, fmt(min(mine)), fmt(max(mine)), len(mine)))
    return out


def legend_html(classes: Sequence[LegendClass], *, unit: str, missing: int) -> Markup:
    """The map's key as a list: a swatch, the class, its value range in ``unit``."""
    items = [
        f'<li><span class="app-legend__swatch" style="background: {c.colour}"></span>'
        f"<strong>{escape(c.lowest)} to {escape(c.highest)}</strong> "
        f'<span class="app-map-key__class">{escape(c.name)}, {c.n} authorities</span></li>'
        for c in classes
    ]
    items.append(
        f'<li><span class="app-legend__swatch" style="background: {MISSING_FILL}"></span>'
        '<strong>No figure</strong> <span class="app-map-key__class">suppressed, not '
        f"available or not ranked, {missing} authorities</span></li>"
    )
    return Markup(
        f'<p class="app-map-key__title">Key ({escape(unit)})</p>'
        f'<ul class="app-legend app-map-key">{"".join(items)}</ul>'
    )


@dataclass(frozen=True)
class MapArea:
    """One authority's outline as an SVG path."""

    la_code: str
    name: str
    d: str


@functools.lru_cache(maxsize=4)
def load_map(path: Path) -> tuple[tuple[MapArea, ...], int, int]:
    """Project the boundaries file; returns the areas and the drawing's width, height."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    rings_by_area: list[tuple[str, str, list[list[list[float]]]]] = []
    xs: list[float] = []
    ys: list[float] = []
    for f in data["features"]:
        g = f["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        rings = [ring for poly in polys for ring in poly]
        for ring in rings:
            for lon, lat in ring:
                xs.append(lon * math.cos(_LAT0))
                ys.append(-lat)
        rings_by_area.append((f["properties"]["la_code"], f["properties"]["name"], rings))
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    scale = _WIDTH / (x1 - x0)
    height = math.ceil((y1 - y0) * scale)
    areas = []
    for code, name, rings in rings_by_area:
        d = []
        for ring in rings:
            pts = [((lon * math.cos(_LAT0) - x0) * scale, (-lat - y0) * scale) for lon, lat in ring]
            d.append("M" + "L".join(f"{px:.1f},{py:.1f}" for px, py in pts) + "Z")
        areas.append(MapArea(code, name, "".join(d)))
    return tuple(areas), _WIDTH, height


def choropleth(
    path: Path,
    classes: Mapping[str, int | None],
    labels: Mapping[str, str],
    *,
    title: str,
    desc: str,
    ident: str,
    highlight: Sequence[str] = (),
) -> Markup:
    """Colour each authority by its class (0 = lowest) in :data:`PALETTE`.

    ``labels`` gives each authority's hover text (name and value); authorities with no
    class are drawn grey. Each path carries ``data-la`` so the page's script can make a
    click open the authority; keyboard users use the table that goes with the map.
    """
    areas, width, height = load_map(path)
    parts = [
        f'<svg class="app-chart app-map" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{ident}-t {ident}-d" focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{ident}-t">{escape(title)}</title>'
        f'<desc id="{ident}-d">{escape(desc)} London\'s 33 authorities are shown again, '
        "enlarged, in a box on the left.</desc>"
    ]
    top = []
    main: list[str] = []
    london: list[str] = []
    for a in areas:
        cls = classes.get(a.la_code)
        fill = PALETTE[cls] if cls is not None and 0 <= cls < len(PALETTE) else None
        style = f' fill="{fill}"' if fill else ' class="app-map__missing"'
        label = escape(labels.get(a.la_code, f"{a.name}: no data"))
        el = f'<path data-la="{a.la_code}"{style} d="{a.d}"><title>{label}</title></path>'
        if a.la_code in LONDON:
            london.append(el.replace("data-la=", "data-inset-la=", 1))
        if a.la_code in highlight:
            top.append(el.replace("<path ", '<path data-highlight="true" ', 1))
        else:
            main.append(el)
    parts.extend(main)
    parts.extend(top)
    parts.append(_inset(areas, london, [c for c in highlight if c in LONDON]))
    parts.append("</svg>")
    return Markup("".join(parts))


def _inset(areas: Sequence[MapArea], paths: list[str], highlight: list[str]) -> str:
    """London enlarged in a box where Wales would be, and its outline on the main map."""
    if not paths:
        return ""
    xs, ys = [], []
    for a in areas:
        if a.la_code in LONDON:
            for m in _POINT.finditer(a.d):
                xs.append(float(m[1]))
                ys.append(float(m[2]))
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    k = _INSET_W / (x1 - x0)
    h = (y1 - y0) * k
    top = _INSET_Y - _LABEL_PX - 10
    body = "".join(
        p.replace("<path ", '<path data-highlight="true" ', 1)
        if any(f'data-inset-la="{c}"' in p for c in highlight)
        else p
        for p in paths
    )
    return (
        f'<rect class="app-map__london" x="{x0 - 2:.1f}" y="{y0 - 2:.1f}" '
        f'width="{x1 - x0 + 4:.1f}" height="{y1 - y0 + 4:.1f}"/>'
        f'<g class="app-map__inset"><rect class="app-map__inset-box" x="{_INSET_X - 4:.1f}" '
        f'y="{top:.1f}" width="{_INSET_W + 8:.1f}" height="{h + _INSET_Y - top + 6:.1f}"/>'
        f'<text class="app-map__inset-label" x="{_INSET_X:.1f}" y="{_INSET_Y - 8:.1f}" '
        f'font-size="{_LABEL_PX}" aria-hidden="true">London, enlarged</text>'
        f'<g transform="translate({_INSET_X:.1f},{_INSET_Y:.1f}) scale({k:.4f}) '
        f'translate({-x0:.2f},{-y0:.2f})">{body}</g></g>'
    )


_POINT = re.compile(r"([\d.]+),([\d.]+)")
