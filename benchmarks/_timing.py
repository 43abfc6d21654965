"""Shared helpers for the benchmark scripts: time whole processes, record results."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
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


_PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(root: int) -> int:
    """Resident bytes of process ``root`` and every process descended from it."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, grew = {root}, True
    while grew:
        more = {p for p, pp in parent.items() if pp in tree} - tree
        grew = bool(more)
        tree |= more
    total = 0
    for pid in tree:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
        except OSError:
            continue
    return total


def run_process(
    args: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)
) -> dict[str, Any]:
    """One whole process: wall, CPU (user + system, its workers included, from
    ``wait4``), its peak RSS, the peak of its process tree (sampled every 50 ms) and the
    load average before and after. Exits naming the command when its exit code is not
    in ``ok``."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, **(env or {})}
        )
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], tree_rss(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        code = os.waitstatus_to_exitcode(status)
        if code not in ok:
            err.seek(0)
            raise SystemExit(f"benchmark command failed ({code}): {args}\n{err.read().decode()}")
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mib": usage.ru_maxrss // 1024,
        "peak_tree_rss_mib": peak[0] // 2**20,
        "load_1m_before": round(load_before, 2),
        "load_1m_after": round(os.getloadavg()[0], 2),
    }
