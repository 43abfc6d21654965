"""Time ``cscwatch cin validate`` and ``cscwatch cin measures`` on synthetic returns.

Generates (``cscwatch cin synth``) the largest authority's return and every authority's
return for the year (national scale, about 650,000 referrals), then times each command
as a whole process (wall time; peak resident memory of the child process).

Targets on a 2-core machine: largest authority validate + measures ≤ 5 s; national
validate + measures ≤ 120 s within 4 GB. When ``cin validate`` takes one file at a time
the national figure is the sum over the files (and the peak the largest single one).
Writes ``benchmarks/results/cin.json``.

Usage: ``python benchmarks/cin.py [--year 2025] [--runs N] [--keep DIR] [--skip-national]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import BIN, machine, summarise, write

TARGETS = {"largest_s": 5.0, "national_s": 120.0, "national_rss_mib": 4096}


def _largest(year: int) -> tuple[str, int]:
    from cscwatch.core.config import Settings
    from cscwatch.ingest.cin_synth_targets import PublishedFigures

    figures = PublishedFigures(Settings().snapshot_dir)
    sizes = {la: figures.targets(la, year).referrals for la in figures.authorities(year)}
    la = max(sizes, key=lambda k: sizes[k])
    return la, sum(sizes.values())


def _validate_accepts_many(exe: str) -> bool:
    done = subprocess.run([exe, "cin", "validate", "--help"], capture_output=True, text=True)
    usage = next((ln for ln in done.stdout.splitlines() if "Usage:" in ln), "")
    return "..." in usage


def _run(args: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, int]:
    # Wall seconds and this process's own peak RSS (MiB), via /usr/bin/time when present.
    timer = Path("/usr/bin/time")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        cmd = [str(timer), "-f", "%M", "-o", rss_file.name, *args] if timer.exists() else args
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if done.returncode not in ok:
            raise SystemExit(f"benchmark command failed ({done.returncode}): {args}\n{done.stderr}")
        text = Path(rss_file.name).read_text().strip().splitlines()
    rss = int(text[-1]) // 1024 if timer.exists() and text and text[-1].isdigit() else 0
    return wall, rss


def _time_validate(exe: str, files: list[Path], many: bool) -> tuple[float, int]:
    # Exit code 1 means "errors found", which is a result, not a failure.
    if many or len(files) == 1:
        return _run([exe, "cin", "validate", *map(str, files), "--format", "json"], (0, 1))
    total, peak = 0.0, 0
    for f in files:
        wall, rss = _run([exe, "cin", "validate", str(f), "--format", "json"], (0, 1))
        total += wall
        peak = max(peak, rss)
    return total, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="Write the XML here and keep it.")
    parser.add_argument("--skip-national", action="store_true")
    args = parser.parse_args()
    exe = str(BIN / "cscwatch")
    la, national_referrals = _largest(args.year)
    many = _validate_accepts_many(exe)
    result: dict[str, Any] = {"machine": machine(), "year": args.year}
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        one = base / "largest"
        wall, rss = _run(
            [exe, "cin", "synth", "-a", la, "-y", str(args.year), "-o", str(one), "-f", "json"]
        )
        files = sorted(one.glob("*.xml"))
        val, meas, peak = [], [], 0
        for _ in range(args.runs):
            v, r1 = _time_validate(exe, files, many)
            m, r2 = _run([exe, "cin", "measures", *map(str, files), "-f", "json"])
            val.append(v)
            meas.append(m)
            peak = max(peak, r1, r2)
        both = [a + b for a, b in zip(val, meas, strict=True)]
        result["largest"] = {
            "la_code": la,
            "synth_s": round(wall, 3),
            "xml_mib": round(sum(f.stat().st_size for f in files) / 2**20, 1),
            "validate": summarise(val),
            "measures": summarise(meas),
            "validate_plus_measures": summarise(both),
            "peak_rss_mib": peak,
            "synth_peak_rss_mib": rss,
            "target_s": TARGETS["largest_s"],
            "meets_target": summarise(both)["median_s"] <= TARGETS["largest_s"],
        }
        if not args.skip_national:
            nat = base / "national"
            wall, rss = _run(
                [exe, "cin", "synth", "--all-authorities", "-y", str(args.year), "-o", str(nat),
                 "-f", "csv"]
            )  # fmt: skip
            files = sorted(nat.glob("*.xml"))
            v, r1 = _time_validate(exe, files, many)
            m, r2 = _run([exe, "cin", "measures", *map(str, files), "-f", "json"])
            result["national"] = {
                "returns": len(files),
                "referrals_published": national_referrals,
                "synth_s": round(wall, 3),
                "synth_peak_rss_mib": rss,
                "xml_mib": round(sum(f.stat().st_size for f in files) / 2**20, 1),
                "validate_s": round(v, 3),
                "validate_one_process": many,
                "measures_s": round(m, 3),
                "validate_plus_measures_s": round(v + m, 3),
                "peak_rss_mib": max(r1, r2),
                "target_s": TARGETS["national_s"],
                "target_rss_mib": TARGETS["national_rss_mib"],
                "meets_target": v + m <= TARGETS["national_s"]
                and max(r1, r2) <= TARGETS["national_rss_mib"],
            }
    result["commands"] = [
        "cscwatch cin synth -a LA -y YEAR -o DIR",
        "cscwatch cin synth --all-authorities -y YEAR -o DIR",
        "cscwatch cin validate FILE(S) --format json",
        "cscwatch cin measures FILES --format json",
    ]
    write("cin", result)


if __name__ == "__main__":
    main()
