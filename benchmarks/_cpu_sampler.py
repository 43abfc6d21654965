"""The machine's CPU over a run, whoever spent it: chromium's renderers included.

A test process's ``wait4`` figures (and ``_suite_plugin``'s) see only the children it
reaps; the browser's renderer and GPU processes are reaped by the browser, so its CPU is
invisible there. :class:`CpuSampler` reads ``/proc`` every ``interval`` seconds while a
run goes on and sums, per kind of process (``chromium``, ``python``, ``node``, other), the
user + system CPU of every process that started during the run (the last reading of each:
a process's final fraction of an interval is missed), and the whole machine's busy and
idle CPU-seconds from ``/proc/stat``. Linux only; elsewhere it records nothing.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

_PROC = Path("/proc")
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_totals() -> tuple[float, float]:
    # (all CPU time, idle + iowait) since boot, in seconds, from /proc/stat's first line
    fields = [int(x) for x in (_PROC / "stat").read_text().splitlines()[0].split()[1:]]
    return sum(fields) / _TICK, (fields[3] + fields[4]) / _TICK


def _boot_ticks() -> float:
    # ticks since boot now (for comparing with a process's start time)
    return float((_PROC / "uptime").read_text().split()[0]) * _TICK


def _kind(comm: str, cmdline: str) -> str:
    text = f"{comm} {cmdline}".lower()
    if "chrom" in text:
        return "chromium"
    if "python" in text or "pytest" in text:
        return "python"
    if "node" in text:
        return "node"
    return "other"


class CpuSampler:
    """Use as a context manager around a run; :meth:`result` after it."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self._seen: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._start: tuple[float, float] | None = None
        self._end: tuple[float, float] | None = None
        self._since = 0.0

    def __enter__(self) -> CpuSampler:
        if _PROC.joinpath("stat").exists():
            self._since = _boot_ticks()
            self._start = _stat_totals()
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._start is not None:
            self._stop.set()
            self._thread.join()
            self._sample()
            self._end = _stat_totals()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        for entry in _PROC.iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                raw = (entry / "stat").read_text()
                rest = raw[raw.rindex(")") + 2 :].split()
                if float(rest[19]) < self._since:  # started before the run
                    continue
                cpu = (int(rest[11]) + int(rest[12])) / _TICK
                if pid not in self._seen:
                    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
                    cmd = (entry / "cmdline").read_bytes()[:300].replace(b"\0", b" ")
                    kind = _kind(comm, cmd.decode("utf-8", "replace"))
                else:
                    kind = self._seen[pid][0]
            except (OSError, ValueError, IndexError):  # the process ended meanwhile
                continue
            self._seen[pid] = (kind, max(cpu, self._seen.get(pid, (kind, 0.0))[1]))

    def result(self) -> dict[str, Any]:
        """Busy and idle CPU-seconds of the machine over the run, and the CPU-seconds of
        the processes started during it by kind (``{}`` where ``/proc`` is missing)."""
        if self._start is None or self._end is None:
            return {}
        by_kind: dict[str, float] = {}
        for kind, cpu in self._seen.values():
            by_kind[kind] = by_kind.get(kind, 0.0) + cpu
        total = self._end[0] - self._start[0]
        idle = self._end[1] - self._start[1]
        return {
            "machine_busy_cpu_s": round(total - idle, 1),
            "machine_idle_cpu_s": round(idle, 1),
            "processes_started_in_run_cpu_s": {
                k: round(v, 1) for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1])
            },
            "note": "every process started during the run, sampled from /proc every "
            f"{self.interval} s (a process's last fraction of an interval is missed); "
            "chromium's renderers are not in the process tree's wait4 figures",
        }
