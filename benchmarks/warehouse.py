"""Time a cold ``cscwatch build`` and a ``cscwatch profile`` query as whole processes.

Targets on a 2-core machine: build ≤ 5 s, profile ≤ 0.3 s (median of several runs).
Writes ``benchmarks/results/warehouse.json``.

Usage: ``python benchmarks/warehouse.py [--runs N]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import BIN, machine, run_timed, summarise, write

TARGETS = {"build_s": 5.0, "profile_s": 0.3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    exe = str(BIN / "cscwatch")
    builds: list[float] = []
    profiles: list[float] = []
    peak = 0
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.runs):
            target = Path(tmp) / f"cold{k}.duckdb"  # a new file: nothing to reuse
            wall, rss, _ = run_timed([exe, "build", "--warehouse", str(target)])
            builds.append(wall)
            peak = max(peak, rss)
        warehouse = str(Path(tmp) / "cold0.duckdb")
        run_timed([exe, "profile", "Manchester", "--warehouse", warehouse])  # warm the page cache
        for _ in range(args.runs * 2):
            wall, _, _ = run_timed([exe, "profile", "Manchester", "--warehouse", warehouse])
            profiles.append(wall)
    build = summarise(builds)
    profile = summarise(profiles)
    write(
        "warehouse",
        {
            "machine": machine(),
            "build": {
                **build,
                "target_s": TARGETS["build_s"],
                "meets_target": build["median_s"] <= TARGETS["build_s"],
                "peak_rss_mib": peak,
            },
            "profile": {
                **profile,
                "target_s": TARGETS["profile_s"],
                "meets_target": profile["median_s"] <= TARGETS["profile_s"],
            },
            "commands": [
                "cscwatch build --warehouse NEW_FILE",
                "cscwatch profile Manchester --warehouse FILE",
            ],
        },
    )


if __name__ == "__main__":
    main()
