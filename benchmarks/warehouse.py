"""Time a cold ``cscwatch build`` and a ``cscwatch profile`` query as whole processes.

Targets on a 2-core machine: build ≤ 5 s, profile ≤ 0.3 s (median of several runs).
Writes ``benchmarks/results/warehouse.json``.

Wall time is the target; beside it each run's CPU time (user + system of the child
process, from ``getrusage``) is recorded, which stays meaningful when other work loads
the machine (compare ``load_average_1m``).

Usage: ``python benchmarks/warehouse.py [--runs N]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import BIN, Timing, machine, run_measured, summarise, summarise_cpu, write

TARGETS = {"build_s": 5.0, "profile_s": 0.3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    exe = str(BIN / "cscwatch")
    builds: list[Timing] = []
    profiles: list[Timing] = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.runs):
            target = Path(tmp) / f"cold{k}.duckdb"  # a new file: nothing to reuse
            builds.append(run_measured([exe, "build", "--warehouse", str(target)]))
        warehouse = str(Path(tmp) / "cold0.duckdb")
        run_measured([exe, "profile", "Manchester", "--warehouse", warehouse])  # warm the cache
        for _ in range(args.runs * 2):
            profiles.append(run_measured([exe, "profile", "Manchester", "--warehouse", warehouse]))
    build = summarise([t.wall for t in builds])
    profile = summarise([t.wall for t in profiles])
    peak = max(t.rss_mib for t in builds)
    write(
        "warehouse",
        {
            "machine": machine(),
            "build": {
                **build,
                "target_s": TARGETS["build_s"],
                "meets_target": build["median_s"] <= TARGETS["build_s"],
                "peak_rss_mib": peak,
                **summarise_cpu(builds),
            },
            "profile": {
                **profile,
                "target_s": TARGETS["profile_s"],
                "meets_target": profile["median_s"] <= TARGETS["profile_s"],
                **summarise_cpu(profiles),
            },
            "commands": [
                "cscwatch build --warehouse NEW_FILE",
                "cscwatch profile Manchester --warehouse FILE",
            ],
        },
    )


if __name__ == "__main__":
    main()
