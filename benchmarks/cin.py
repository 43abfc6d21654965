"""Time ``cscwatch cin check`` (and ``cin validate`` and ``cin measures``) on synthetic returns.

Generates (``cscwatch cin synth``) the largest authority's return and every authority's
return for the year (national scale, about 650,000 referrals) once, then times each
command on them as a whole process: wall time, CPU time (user + system, the command and
its worker processes, from ``wait4``), the largest single process's peak resident memory,
the peak of the whole process tree's resident memory (sampled every 50 ms), and the
machine's load average before and after (the machine may be shared).

The headline is ``cin check``, which reads and loads the XML once and then validates and
measures; ``cin validate`` followed by ``cin measures`` (each paying for the read) is
timed too, and so is the child-store path: ``cin load`` once, then ``cin validate
--child-store`` and ``cin measures --child-store``. Targets on a 2-core machine: largest
authority validate + measures ≤ 5 s; national ≤ 120 s within 4 GB.
Writes ``benchmarks/results/cin.json``.

Usage: ``python benchmarks/cin.py [--year 2025] [--runs N] [--national-runs N]
[--keep DIR] [--skip-national]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import BIN, machine, run_process, write

TARGETS = {"largest_s": 5.0, "national_s": 120.0, "national_rss_mib": 4096}


def _largest(year: int) -> tuple[str, int]:
    from cscwatch.core.config import Settings
    from cscwatch.synth.cin.targets import PublishedFigures

    figures = PublishedFigures(Settings().snapshot_dir)
    sizes = {la: figures.targets(la, year).referrals for la in figures.authorities(year)}
    la = max(sizes, key=lambda k: sizes[k])
    return la, sum(sizes.values())


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    wall = [r["wall_s"] for r in runs]
    cpu = [r["cpu_s"] for r in runs]
    return {
        "median_s": round(statistics.median(wall), 3),
        "min_s": round(min(wall), 3),
        "max_s": round(max(wall), 3),
        "cpu_median_s": round(statistics.median(cpu), 3),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        "peak_tree_rss_mib": max(r["peak_tree_rss_mib"] for r in runs),
        "runs": runs,
    }


def _time_commands(exe: str, files: list[Path], runs: int, store: Path) -> dict[str, Any]:
    # Exit code 1 from validate and check means "errors found": a result, not a failure.
    paths = [str(f) for f in files]
    check, validate, measures = [], [], []
    load, store_validate, store_measures = [], [], []
    at = ["--child-store", str(store)]
    for _ in range(runs):
        check.append(run_process([exe, "cin", "check", *paths, "-f", "json"], ok=(0, 1)))
        validate.append(run_process([exe, "cin", "validate", *paths, "-f", "json"], ok=(0, 1)))
        measures.append(run_process([exe, "cin", "measures", *paths, "-f", "json"]))
        for old in store.parent.glob(f"{store.name}*"):
            old.unlink()
        load.append(run_process([exe, "cin", "load", *paths, *at, "-f", "json"]))
        store_validate.append(run_process([exe, "cin", "validate", *at, "-f", "json"], ok=(0, 1)))
        store_measures.append(run_process([exe, "cin", "measures", *at, "-f", "json"]))
    both = [
        {
            "wall_s": round(v["wall_s"] + m["wall_s"], 3),
            "cpu_s": round(v["cpu_s"] + m["cpu_s"], 3),
            "peak_rss_mib": max(v["peak_rss_mib"], m["peak_rss_mib"]),
            "peak_tree_rss_mib": max(v["peak_tree_rss_mib"], m["peak_tree_rss_mib"]),
            "load_1m_before": v["load_1m_before"],
            "load_1m_after": m["load_1m_after"],
        }
        for v, m in zip(validate, measures, strict=True)
    ]
    return {
        "check": _summary(check),
        "validate": _summary(validate),
        "measures": _summary(measures),
        "validate_then_measures": _summary(both),
        "store_load": _summary(load),
        "store_validate": _summary(store_validate),
        "store_measures": _summary(store_measures),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--national-runs", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="Write the XML here and keep it.")
    parser.add_argument("--skip-national", action="store_true")
    args = parser.parse_args()
    exe = str(BIN / "cscwatch")
    la, national_referrals = _largest(args.year)
    result: dict[str, Any] = {"machine": machine(), "year": args.year}
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        one = base / "largest"
        synth = run_process(
            [exe, "cin", "synth", "-a", la, "-y", str(args.year), "-o", str(one), "-f", "json"]
        )
        files = sorted(one.glob("*.xml"))
        timed = _time_commands(exe, files, args.runs, base / "largest.duckdb")
        result["largest"] = {
            "la_code": la,
            "xml_mib": round(sum(f.stat().st_size for f in files) / 2**20, 1),
            "synth": synth,
            **timed,
            "target_s": TARGETS["largest_s"],
            "meets_target": timed["check"]["median_s"] <= TARGETS["largest_s"],
        }
        if not args.skip_national:
            nat = base / "national"
            synth = run_process(
                [exe, "cin", "synth", "--all-authorities", "-y", str(args.year), "-o", str(nat),
                 "-f", "csv"]
            )  # fmt: skip
            files = sorted(nat.glob("*.xml"))
            timed = _time_commands(exe, files, args.national_runs, base / "national.duckdb")
            check = timed["check"]
            result["national"] = {
                "returns": len(files),
                "referrals_published": national_referrals,
                "xml_mib": round(sum(f.stat().st_size for f in files) / 2**20, 1),
                "synth": synth,
                **timed,
                "target_s": TARGETS["national_s"],
                "target_rss_mib": TARGETS["national_rss_mib"],
                "meets_target": check["median_s"] <= TARGETS["national_s"]
                and check["peak_tree_rss_mib"] <= TARGETS["national_rss_mib"],
            }
    result["machine"]["load_average_1m_end"] = round(os.getloadavg()[0], 2)
    result["commands"] = [
        "cscwatch cin synth -a LA -y YEAR -o DIR",
        "cscwatch cin synth --all-authorities -y YEAR -o DIR",
        "cscwatch cin check FILES --format json",
        "cscwatch cin validate FILES --format json",
        "cscwatch cin measures FILES --format json",
        "cscwatch cin load FILES --child-store STORE --format json",
        "cscwatch cin validate --child-store STORE --format json",
        "cscwatch cin measures --child-store STORE --format json",
    ]
    write("cin", result)


if __name__ == "__main__":
    main()
