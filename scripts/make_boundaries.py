"""Re-create ``data/snapshot/utla_boundaries.geojson`` for the dashboard's maps.

The shared data holds lower-tier district boundaries (ONS, April 2023). Children's
services are run by upper-tier authorities, so districts are dissolved to upper tier
with the ONS LTLA-UTLA lookup, simplified so the file stays small, and keyed by the
DfE three-digit LA number (``la_code``) through the Ofsted provider lookup's GSS
column. The output is deterministic (sorted features, rounded coordinates).

Usage::

    python scripts/make_boundaries.py [--source PATH] [--out PATH] [--tolerance DEG]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "data" / "snapshot"
DEFAULT_SOURCE = (
    ROOT.parent / "shared" / "data" / "geo" / "local_authority_districts_boundaries.json"
)
DEFAULT_OUT = SNAPSHOT / "utla_boundaries.geojson"
MAX_BYTES = 1_500_000


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _round_coords(obj: Any, places: int) -> Any:
    """Round every coordinate so the file is small and byte-stable."""
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], float):
            return [round(v, places) for v in obj]
        return [_round_coords(v, places) for v in obj]
    return obj


def make_boundaries(source: Path, tolerance: float, places: int) -> dict[str, Any]:
    """Dissolve districts to upper-tier authorities and return a GeoJSON collection."""
    districts = json.loads(source.read_text(encoding="utf-8"))
    lookup = {
        r["LTLA23CD"]: r for r in _read_csv(SNAPSHOT / "LTLA-UTLA_Apr23_Lookup_England-Wales.csv")
    }
    la_number = {
        r["la_code_new"]: r["la_code"] for r in _read_csv(SNAPSHOT / "provider_lookup.csv")
    }
    parts: dict[str, list[BaseGeometry]] = {}
    names: dict[str, str] = {}
    for feature in districts["features"]:
        code = feature["properties"]["LAD23CD"]
        if not code.startswith("E"):
            continue  # England only: children's services statistics are English
        row = lookup.get(code)
        if row is None:
            sys.exit(f"district {code} is not in the LTLA-UTLA lookup")
        utla = row["UTLA23CD"]
        parts.setdefault(utla, []).append(shape(feature["geometry"]).buffer(0))
        names[utla] = row["UTLA23NM"]
    features = []
    for utla in sorted(parts, key=lambda c: la_number.get(c, c)):
        if utla not in la_number:
            sys.exit(f"upper-tier authority {utla} has no DfE LA number in provider_lookup.csv")
        geom = unary_union(parts[utla]).simplify(tolerance, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "properties": {"la_code": la_number[utla], "gss_code": utla, "name": names[utla]},
                "geometry": {
                    "type": geom.geom_type,
                    "coordinates": _round_coords(mapping(geom)["coordinates"], places),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--tolerance", type=float, default=0.0015, help="degrees (~100 m)")
    ap.add_argument("--places", type=int, default=4, help="decimal places kept (~10 m)")
    args = ap.parse_args(argv)
    collection = make_boundaries(args.source, args.tolerance, args.places)
    text = json.dumps(collection, separators=(",", ":"), sort_keys=True)
    if len(text) > MAX_BYTES:
        sys.exit(f"{len(text)} bytes is over {MAX_BYTES}; raise --tolerance")
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(collection['features'])} authorities, {len(text):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
