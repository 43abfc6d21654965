"""Shared helpers for the benchmark scripts: time whole processes, record results."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Timing:
    """One process run: wall seconds, CPU seconds (user, system) and peak RSS."""

    wall: float
    user: float
    system: float
    rss_mib: int
    stderr: str

    @property
    def cpu(self) -> float:
        """User + system CPU seconds of the child: the guide when the machine is loaded."""
        return self.user + self.system


def run_measured(args: list[str], env: dict[str, str] | None = None) -> Timing:
    """Run a command; return its wall time, CPU time (getrusage deltas) and peak RSS."""
    full_env = {**os.environ, **(env or {})}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, env=full_env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"benchmark command failed ({done.returncode}): {args}\n{done.stderr}")
    return Timing(
        wall=wall,
        user=after.ru_utime - before.ru_utime,
        system=after.ru_stime - before.ru_stime,
        rss_mib=max(after.ru_maxrss, before.ru_maxrss) // 1024,
        stderr=done.stderr,
    )


def run_timed(args: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run a command; return (wall seconds, peak RSS of children in MiB, stderr)."""
    t = run_measured(args, env)
    return t.wall, t.rss_mib, t.stderr


def summarise(samples: list[float]) -> dict[str, float]:
    """Median, min and max of a list of timings, in seconds."""
    return {
        "median_s": round(statistics.median(samples), 3),
        "min_s": round(min(samples), 3),
        "max_s": round(max(samples), 3),
        "runs": len(samples),
    }


def summarise_cpu(runs: list[Timing]) -> dict[str, float]:
    """Median and min CPU seconds (user + system) and the median user and system parts."""
    cpu = [t.cpu for t in runs]
    return {
        "cpu_median_s": round(statistics.median(cpu), 3),
        "cpu_min_s": round(min(cpu), 3),
        "cpu_user_median_s": round(statistics.median(t.user for t in runs), 3),
        "cpu_system_median_s": round(statistics.median(t.system for t in runs), 3),
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def write(name: str, payload: dict[str, Any]) -> Path:
    """Write results/NAME.json and print it."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(payload, indent=2))
    return path
