"""Time ``cscwatch ofsted extract`` over all 435 reports as whole processes.

Cold: an empty cache, so every PDF is read (two worker processes). Warm: the same
command again over unchanged reports, which must do no PDF work. Targets on a
2-core machine: cold ≤ 60 s, warm ≤ 2 s. Writes ``benchmarks/results/ofsted.json``.

Usage: ``python benchmarks/ofsted.py [--runs N] [--reports DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import BIN, ROOT, machine, run_timed, summarise, write

TARGETS = {"cold_s": 60.0, "warm_s": 2.0}


def _stats(exe: str, reports: str, out: str, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [exe, "ofsted", "extract", "--reports", reports, "--out", out, "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    stats: dict[str, object] = json.loads(done.stdout)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reports", default=str(ROOT.parent / "shared/data/ofsted/reports"))
    args = parser.parse_args()
    exe = str(BIN / "cscwatch")
    cold: list[float] = []
    warm: list[float] = []
    peak = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "ofsted_judgements.csv")
        command = [exe, "ofsted", "extract", "--reports", args.reports, "--out", out]
        for k in range(args.runs):
            env = {"CSCWATCH_CACHE_DIR": str(Path(tmp) / f"cache{k}")}  # empty: cold
            wall, rss, _ = run_timed([*command, "--workers", "2"], env=env)
            cold.append(wall)
            peak = max(peak, rss)
            for _ in range(2):
                wall, _, _ = run_timed(command, env=env)
                warm.append(wall)
        # the figures of the last warm run: every report from the cache
        stats = _stats(exe, args.reports, out, {**os.environ, **env})
    c, w = summarise(cold), summarise(warm)
    write(
        "ofsted",
        {
            "machine": machine(),
            "reports": stats["reports"],
            "counts": stats["counts"],
            "rows": stats["rows"],
            "cold": {
                **c,
                "target_s": TARGETS["cold_s"],
                "meets_target": c["median_s"] <= TARGETS["cold_s"],
                "peak_rss_mib": peak,
            },
            "warm": {
                **w,
                "target_s": TARGETS["warm_s"],
                "meets_target": w["median_s"] <= TARGETS["warm_s"],
                "cache_hits": stats["cache_hits"],
                "extracted": stats["extracted"],
            },
            "commands": [
                "cscwatch ofsted extract --reports DIR --out FILE --workers 2  (empty cache)",
                "cscwatch ofsted extract --reports DIR --out FILE  (same cache)",
            ],
        },
    )


if __name__ == "__main__":
    main()
