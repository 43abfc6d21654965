"""The choropleth map of upper-tier authorities, drawn as inline SVG.

Boundaries come from ``utla_boundaries.geojson`` in the snapshot folder (made by
``scripts/make_boundaries.py``), keyed by the DfE LA number. Paths are projected
once per process (equirectangular, scaled by the cosine of England's mid latitude,
which is close enough at this size) and cached.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from markupsafe import Markup

__all__ = ["PALETTE", "MapArea", "choropleth", "load_map"]

#: Sequential blues, light to dark, each distinguishable in greyscale print.
PALETTE = ("#d2e2f1", "#9ec3e0", "#5694ca", "#1d70b8", "#003078")

_WIDTH = 480
_LAT0 = math.radians(53.0)


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
        f'<desc id="{ident}-d">{escape(desc)}</desc>'
    ]
    top = []
    for a in areas:
        cls = classes.get(a.la_code)
        fill = PALETTE[cls] if cls is not None and 0 <= cls < len(PALETTE) else None
        style = f' fill="{fill}"' if fill else ' class="app-map__missing"'
        label = escape(labels.get(a.la_code, f"{a.name}: no data"))
        el = f'<path data-la="{a.la_code}"{style} d="{a.d}"><title>{label}</title></path>'
        if a.la_code in highlight:
            top.append(el.replace("<path ", '<path stroke="#0b0c0c" stroke-width="2.5" ', 1))
        else:
            parts.append(el)
    parts.extend(top)
    parts.append("</svg>")
    return Markup("".join(parts))
