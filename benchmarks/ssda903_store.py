"""Time ``cscwatch cla validate --child-store`` on a child store holding many national years.

Issue 15's target: every SSDA903 return of ten national years validated from the store in
at most 10 minutes wall on 2 cores and at most 8 GB. The store is one you loaded
beforehand (``cscwatch cla load PANEL/*_20?? --child-store STORE``, for instance the
linked ten-year panel of ``cscwatch cla synth --all-authorities --years 2016-2025``).

For each set of years asked for (by default the latest year, the latest three and all
ten of 2016-2025), one whole process (:func:`_timing.run_process`: wall, CPU of the
process tree, peak resident memory, load average before and after) runs::

    cscwatch cla validate --child-store STORE --year Y ... --ruleset 2024-25
        --memory-limit LIMIT -f csv -o FILE -q

The 2024-25 rules are named because DfE publishes no SSDA903 rules for the years before
2022-23 (each report then says the rules were applied at the user's request). Exit code
1 (findings) is expected of synthetic returns. The result records the returns validated
and the findings (rows of the CSV file), and the growth per national year (the slope of
the least-squares line through the points).

Usage: ``python benchmarks/ssda903_store.py STORE [--sets 2025,2023-2025,2016-2025]
[--memory-limit 6GB]``. Writes ``benchmarks/results/ssda903_store.json``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import BIN, machine, run_process, write

TARGETS = {"wall_s": 600.0, "peak_mib": 8192}


def _years(text: str) -> list[int]:
    # "2016-2025" or "2025".
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def _slope(xs: list[float], ys: list[float]) -> float | None:
    # Least-squares slope (with an intercept); None with fewer than two points.
    if len(xs) < 2:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return None if not den else sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den


def main() -> None:
    """Run the timings and write ``benchmarks/results/ssda903_store.json``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store", type=Path)
    ap.add_argument("--sets", default="2025,2023-2025,2016-2025")
    ap.add_argument("--memory-limit", default="6GB")
    args = ap.parse_args()
    if not args.store.is_file():
        raise SystemExit(f"no child store at {args.store}")
    result: dict[str, Any] = {
        "machine": machine(),
        "store": str(args.store),
        "memory_limit": args.memory_limit,
        "targets": TARGETS,
        "points": {},
    }
    with tempfile.TemporaryDirectory(prefix="cscwatch-bench-903-store-") as work:
        for text in args.sets.split(","):
            years = _years(text)
            out = Path(work) / f"{text}.csv"
            cmd = [str(BIN / "cscwatch"), "cla", "validate", "--child-store", str(args.store)]
            for y in years:
                cmd += ["--year", str(y)]
            cmd += ["--ruleset", "2024-25", "--memory-limit", args.memory_limit]
            cmd += ["-f", "csv", "-o", str(out), "-q"]
            timing = run_process(cmd, ok=(0, 1))
            with out.open(newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
            returns = {(r["la_code"], r["year"]) for r in rows}
            point = {
                "years": years,
                "returns": len(returns),
                "findings": sum(1 for r in rows if r["status"] == "finding"),
                **timing,
                "meets_targets": timing["wall_s"] <= TARGETS["wall_s"]
                and timing["peak_tree_rss_mib"] <= TARGETS["peak_mib"],
            }
            result["points"][text] = point
    points = list(result["points"].values())
    xs = [float(len(p["years"])) for p in points]
    result["growth_per_national_year"] = {
        key: _slope(xs, [float(p[key]) for p in points])
        for key in ("wall_s", "cpu_s", "peak_tree_rss_mib")
    }
    result["command"] = f"python benchmarks/ssda903_store.py {args.store} --sets {args.sets}"
    write("ssda903_store", result)


if __name__ == "__main__":
    main()
