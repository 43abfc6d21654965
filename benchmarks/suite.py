"""Time the whole test suite as ``make test`` runs it, and say where the time goes.

Runs ``pytest`` with ``make test``'s options (``-n`` processes, ``--dist loadfile``,
longest files first) plus ``--durations=0``, with ``_suite_plugin`` recording every test
phase's wall and CPU seconds in each process. Writes ``benchmarks/results/suite.json``:
the suite's wall and CPU seconds (the process tree's, from ``wait4``) and the load
average; the machine's busy CPU-seconds over the run and those of every process started
during it by kind (``_cpu_sampler``: chromium's renderers, which ``wait4`` does not
see); the test counts; per-kind, per-file (every file) and per-phase totals; each test
process's busy span (when it started and ended, and the time between its tests);
the 30 slowest tests; collection alone (``--collect-only``) and the import of the CLI.
A session-scoped fixture's setup and teardown (the shared warehouse build, the live
server's warm-up, chromium) are their own entries, ``<session fixture NAME>``, not in
the file of the test that happened to run them (``_suite_plugin.py``).

Target: the whole suite under 5 minutes (300 s) on the 2-core machine.

Usage: ``python benchmarks/suite.py [--workers N] [--out NAME]`` (from the repository
root, after ``make setup``). Extra arguments after ``--`` go to pytest (a file to time
alone, say).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _cpu_sampler import CpuSampler
from _timing import BIN, ROOT, machine, write

TARGET_S = 300.0
_SUMMARY = re.compile(r"(\d+) (passed|skipped|failed|errors?|xfailed|xpassed|deselected)")


def _kind(nodeid: str, child_cpu: float) -> str:
    """What kind of work a test is, for the per-kind totals."""
    path = nodeid.split("::", 1)[0]
    if path.startswith("<session fixture"):
        return "session fixtures (setup, teardown)"
    if path.startswith("tests/browser/"):
        return "browser"
    if re.match(r"tests/childlevel/ssda903/test_rules_", path):
        return "ssda903 rule kit"
    if path.startswith("tests/corpus/"):
        return "hostile-input corpus (builds)"
    if child_cpu > 0.2:
        return "subprocess"
    if path.startswith("tests/models/"):
        return "model fit"
    if path.startswith("tests/api/"):
        return "api (live server)"
    if path.startswith("tests/childlevel/") or path.startswith("tests/synth/"):
        return "child level"
    return "other"


def _run(args: list[str], env: dict[str, str]) -> tuple[dict[str, Any], str]:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return {
        "exit_code": os.waitstatus_to_exitcode(status),
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "load_1m_before": round(load_before, 2),
        "load_1m_after": round(os.getloadavg()[0], 2),
    }, text


def _aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    tests: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    collection = [r for r in rows if r["phase"] == "collection"]
    for r in rows:
        if r["phase"] == "collection":
            continue
        t = tests[r["nodeid"]]
        t[f"{r['phase']}_wall"] += r["wall"]
        t["wall"] += r["wall"]
        t["cpu"] += r["cpu"]
        t["child_cpu"] += r["child_cpu"]
    per_kind: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    per_file: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    phases: dict[str, float] = defaultdict(float)
    for nodeid, t in tests.items():
        kind = _kind(nodeid, t["child_cpu"])
        for d in (per_kind[kind], per_file[nodeid.split("::", 1)[0]]):
            d["tests"] += not nodeid.startswith("<")  # a session fixture is no test
            for k in ("wall", "cpu", "child_cpu", "setup_wall", "call_wall", "teardown_wall"):
                d[k] += t.get(k, 0.0)
        for p in ("setup", "call", "teardown"):
            phases[p] += t.get(f"{p}_wall", 0.0)

    # each process: from its first test's start to its last test's end, the wall its
    # tests took and what is left (waiting for work, or collecting); "ends_at" counts
    # from the first test of the run, so an early end is a process left idle
    spans: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    timed = [r for r in rows if r["phase"] != "collection" and "end" in r]
    run_start = min((r["end"] - r["wall"] for r in timed), default=0.0)
    for r in timed:
        w = spans[r["worker"]]
        start = r["end"] - r["wall"]
        w["first"] = min(w.get("first", start), start)
        w["last"] = max(w.get("last", r["end"]), r["end"])
        w["tests_wall"] += r["wall"]
        w["cpu"] += r["cpu"] + r["child_cpu"]
    per_process = {
        worker: {
            "starts_at_s": round(w["first"] - run_start, 2),
            "ends_at_s": round(w["last"] - run_start, 2),
            "tests_wall_s": round(w["tests_wall"], 2),
            "between_tests_s": round(w["last"] - w["first"] - w["tests_wall"], 2),
            "cpu_s": round(w["cpu"], 2),
        }
        for worker, w in sorted(spans.items())
    }

    def rounded(d: dict[str, float]) -> dict[str, float]:
        return {k: (int(v) if k == "tests" else round(v, 2)) for k, v in d.items()}

    slowest = sorted(tests.items(), key=lambda kv: -kv[1]["wall"])[:30]
    files = sorted(per_file.items(), key=lambda kv: -kv[1]["wall"])
    return {
        "tests_timed": sum(not n.startswith("<") for n in tests),
        "sum_wall_s": round(sum(t["wall"] for t in tests.values()), 2),
        "sum_cpu_s": round(sum(t["cpu"] + t["child_cpu"] for t in tests.values()), 2),
        "phases_wall_s": {k: round(v, 2) for k, v in phases.items()},
        "collection_per_process": [
            {"worker": r["worker"], "wall_s": r["wall"], "cpu_s": r["cpu"]} for r in collection
        ],
        "per_kind": {
            k: rounded(v) for k, v in sorted(per_kind.items(), key=lambda kv: -kv[1]["wall"])
        },
        "per_process": per_process,
        "per_file": {k: rounded(v) for k, v in files},
        "slowest_30": [
            {"test": nodeid, **{k: round(v, 2) for k, v in t.items()}} for nodeid, t in slowest
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", default="auto", help="pytest-xdist -n (make test: auto)")
    parser.add_argument("--out", default="suite", help="results/NAME.json")
    parser.add_argument("--log", type=Path, help="write pytest's output (failures) here")
    parser.add_argument("pytest_args", nargs="*", help="after --: more pytest arguments")
    args = parser.parse_args()
    python = str(BIN / "python")
    with tempfile.TemporaryDirectory() as tmp:
        times = Path(tmp) / "times.jsonl"
        env = {
            **os.environ,
            "CSCWATCH_SUITE_TIMES": str(times),
            "PYTHONDONTWRITEBYTECODE": "",  # as make test: bytecode cached
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT / "benchmarks"), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
        }
        imports, _ = _run([python, "-c", "import cscwatch.serve.cli"], env)
        collect, _ = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--co"], env)
        with CpuSampler() as sampler:
            suite, text = _run(
                [
                    python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "_suite_plugin",
                    "-n", args.workers, "--maxprocesses=4", "--dist", "loadfile",
                    "--no-loadscope-reorder", "--durations=0", *args.pytest_args,
                ],
                env,
            )  # fmt: skip
        rows = [json.loads(line) for line in times.read_text().splitlines() if line]
    if args.log is not None:
        args.log.write_text(text, encoding="utf-8")
    last = text.strip().splitlines()[-1] if text.strip() else ""
    counts = {m[1]: int(m[0]) for m in _SUMMARY.findall(last)}
    write(
        args.out,
        {
            "machine": machine(),
            "command": "python benchmarks/suite.py " + " ".join(sys.argv[1:]),
            "target_s": TARGET_S,
            "suite": {**suite, "counts": counts, "summary_line": last},
            "machine_cpu": sampler.result(),
            "meets_target": suite["wall_s"] < TARGET_S and suite["exit_code"] == 0,
            "collect_only": collect,
            "import_cli": imports,
            **_aggregate(rows),
        },
    )


if __name__ == "__main__":
    main()
