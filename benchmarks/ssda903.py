"""Time ``cscwatch cla validate`` and ``cla check`` (validate + measures in one process) on
DfE's sample SSDA903 return, on ten times it, on the largest authority's synthetic return
and on every authority's synthetic return together, beside the open SSDA903 validator run
in its own environment on the same files.

Inputs: the sample's CSV files (``../shared/data/ssda903/samples``, without
``placed_for_adoption_errors.csv``), and the same tables ten times over with fresh
``CHILD`` identifiers (copy ``k`` of child ``c`` is ``X<k><c>``; every other value as in
the sample), written to a temporary folder. Both tools check the 2024-25 rules against
the sample's collection period, 2017-18.

Synthetic returns (``cscwatch cla synth --year 2025 --seed 1``, untimed) are checked with
the 2024-25 rules in their own period. The largest authority is the one with the most
children looked after at 31 March 2025 in the warehouse (``lac_at31``; Birmingham when
measured). The largest return is the synthetic return with the most children (header
records; then the most episodes): Kent when measured, 5,207 children and 7,126 episodes
against Birmingham's 3,060 and 4,362, as many children start and cease care there in a
year. It is the return the 3 s target is for, and is also timed as above
(``--add-largest-return`` times only it, adding it to the results file). "All
authorities" is every authority's synthetic return concatenated table by
table into one return (CHILD identifiers are distinct across authorities) and validated
as one run; its measures are not run (they are per authority). The validate-only runs
(``cla validate``, JSON to stdout) are the ones set beside the open validator (the 20x
target); validate + measures (the 3 s target) is ``cla check`` (both JSON outputs to
stdout, one read of the return; it also runs the four rules needing the placing
authority, which ``cla check`` takes from ``--authority``). ``cla check`` runs on the
sample and the ten-times sample as the largest authority with ``--period 2017-18``
(the authority only labels the measures).

The open validator is timed two ways. ``open_validator``: its rules only, each called
on a copy of its datastore, their answers (rows by table) collected and nothing more
made (``ssda903_peer.py --time-only``); ``speedup_wall`` is against it. And
``open_validator_with_report``: the validator and its report as its hosted tool makes
them (``--time-only --with-report``: its ``LacValidator``, ``Report``, issue locations,
error summary and child summary as JSON, every finding with its child, row, fields and
values); ``speedup_wall_with_report`` is against it. cscwatch's timed ``cla validate``
always makes its whole report (every finding with its child, table, row, rule, message,
field and value, as JSON), so the second is the like-for-like comparison, the first the
stricter one; both are kept.

cscwatch's validate runs and the open validator's alternate on each input (ours, its
rules, its report, ours...), so that drift in the machine's speed over the minutes the
open validator takes falls on all; ``speedup_wall`` is the ratio of the medians, and
``speedup_wall_by_adjacent_runs`` each open validator run against our run just before it
(``..._with_report`` likewise).
Each run is a whole process: wall time, CPU time (user + system, from ``wait4``), the
process's peak resident memory, the peak of its process tree (sampled every 50 ms) and
the machine's load average before and after (the machine may be shared: CPU time is the
steadier figure). cscwatch's reference-postcode cache is built by a first, untimed run
(its time is recorded as ``postcode_cache_build``), so timed runs are warm.
Both tools run with Python's bytecode cache on, as installed software does (this
machine's environment turns it off; both sources are compiled first, untimed).

The open validator (``../peer903`` beside the checkout by default, see
``benchmarks/ssda903_peer.py``) runs every rule of its 2024-25 registry; cscwatch runs the
rules implemented when the benchmark is run — the result records how many
(``rules_run``), so a comparison is only like for like once every rule is implemented.
Without the validator's venv its runs are left out (and the result says so).

Writes ``benchmarks/results/ssda903.json``.

Needs a built warehouse for the synthetic returns (``CSCWATCH_WAREHOUSE``, or where the
CLI looks by default, where ``make demo`` builds it); without one they are left out (and
the result says so).

Usage: ``python benchmarks/ssda903.py [--runs N] [--peer-runs N] [--peer-report-runs N]
[--peer DIR] [--skip-peer] [--keep DIR] [--synth DIR] [--skip-all] [--add-largest-return]``
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import BIN, RESULTS, ROOT, machine, run_process, write

SAMPLES = ROOT.parent / "shared" / "data" / "ssda903" / "samples"
#: The open validator's export and venv, beside the checkout (as ``../shared``).
PEER = ROOT.parent / "peer903"
PEER_SCRIPT = Path(__file__).resolve().parent / "ssda903_peer.py"
TARGET_SPEEDUP = 20.0


def _sample_files() -> list[Path]:
    return sorted(p for p in SAMPLES.glob("*.csv") if p.name != "placed_for_adoption_errors.csv")


def _replicate(files: list[Path], folder: Path, times: int) -> list[Path]:
    """The sample's tables ``times`` over, with fresh CHILD ids, as CSV files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for src in files:
        with src.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
        header, body = rows[0], [r for r in rows[1:] if any(c.strip() for c in r)]
        child = [c.strip().upper() for c in header].index("CHILD")
        dest = folder / src.name
        with dest.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            for k in range(times):
                for r in body:
                    copy = list(r)
                    copy[child] = f"X{k}{r[child]}"
                    w.writerow(copy)
        out.append(dest)
    return out


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    wall = [r["wall_s"] for r in runs]
    cpu = [r["cpu_s"] for r in runs]
    return {
        "median_s": round(statistics.median(wall), 3),
        "min_s": round(min(wall), 3),
        "cpu_median_s": round(statistics.median(cpu), 3),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        "peak_tree_rss_mib": max(r["peak_tree_rss_mib"] for r in runs),
        "runs": runs,
    }


def _ours(files: list[Path], period: str | None = "2017-18") -> list[str]:
    exe = str(BIN / "cscwatch")
    when = ["--period", period] if period else []
    return [exe, "cla", "validate", *map(str, files), "-r", "2024-25", *when, "-f", "json",
            "-q"]  # fmt: skip


def _check(files: list[Path], la: str, period: str | None = "2017-18") -> list[str]:
    # Validate + measures in one process (the measures' year is the period validated).
    exe = str(BIN / "cscwatch")
    when = ["--period", period] if period else []
    return [exe, "cla", "check", *map(str, files), "-r", "2024-25", *when, "-a", la,
            "-f", "json", "-q"]  # fmt: skip


def _peer(files: list[Path], peer: Path, year: str = "2018", *, report: bool = False) -> list[str]:
    python = str(peer / ".venv" / "bin" / "python")
    how = ["--time-only", "--with-report"] if report else ["--time-only"]
    return [python, str(PEER_SCRIPT), "--peer", str(peer), "--year", year,
            "--ruleset", "lac2024_25", *how, *map(str, files)]  # fmt: skip


#: The open validator's two timings (ssda903_peer.py): its rules only, and its rules and
#: report as its hosted tool makes them; the key of each in the results.
PEER_WAYS = {"open_validator": False, "open_validator_with_report": True}


def _peers(
    files: list[Path], args: argparse.Namespace, peer_ok: bool, year: str = "2018"
) -> dict[str, tuple[list[str], int]]:
    """Each of the open validator's timings to run, with its number of runs (none with
    ``--skip-peer`` or no venv; the report's left out with ``--peer-report-runs 0``)."""
    if not peer_ok:
        return {}
    runs = {"open_validator": args.peer_runs, "open_validator_with_report": args.peer_report_runs}
    return {
        key: (_peer(files, args.peer, year, report=report), runs[key])
        for key, report in PEER_WAYS.items()
        if runs[key] > 0
    }


def _warehouse() -> Path | None:
    """The built warehouse the CLI would use (``CSCWATCH_WAREHOUSE`` or its default), if
    it exists."""
    from cscwatch.core.config import Settings

    path = Settings().warehouse
    return path if path.is_file() else None


def _largest(env: dict[str, str], warehouse: Path) -> str | None:
    # LA number of the authority with the most children looked after at 31 March 2025.
    code = (
        f"import duckdb; c = duckdb.connect({str(warehouse)!r}, read_only=True)"
        '; r = c.execute("SELECT a.la_code FROM observation o JOIN authority a ON a.la_code'
        " = o.geo_code WHERE o.indicator = 'lac_at31' AND o.year = 2025 ORDER BY o.value DESC"
        " LIMIT 1\").fetchone(); print(r[0] if r else '')"
    )
    out = subprocess.run(
        [str(BIN / "python"), "-c", code], capture_output=True, text=True, check=False,
        env={**os.environ, **env},
    )  # fmt: skip
    return out.stdout.strip() or None


def _synth(folder: Path, env: dict[str, str], *args: str) -> list[Path]:
    # Synthetic 2024-25 returns (untimed); each return's folder.
    if not folder.is_dir():
        subprocess.run(
            [str(BIN / "cscwatch"), "cla", "synth", *args, "-y", "2025", "--seed", "1",
             "--out", str(folder), "-q"],
            check=True, capture_output=True, env={**os.environ, **env},
        )  # fmt: skip
    returns = sorted(d for d in folder.iterdir() if d.is_dir())
    if not returns:
        raise SystemExit(
            f"ssda903.py: no synthetic returns in {folder} (a folder of other files, such as"
            " --keep's? give --synth a new folder)"
        )
    return returns


def _together(returns: list[Path], folder: Path) -> list[Path]:
    """Every return's tables concatenated, table by table, into one return in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    names = sorted({f.name for r in returns for f in r.glob("*.csv")})
    for name in names:
        with (folder / name).open("w", encoding="utf-8", newline="") as out:
            header = False
            for r in returns:
                src = r / name
                if not src.is_file():
                    continue
                lines = src.read_text(encoding="utf-8-sig").splitlines(keepends=True)
                out.writelines(lines[1:] if header else lines)
                header = True
    shutil.copy(returns[0] / "CSCWATCH_SYNTHETIC", folder / "CSCWATCH_SYNTHETIC")
    return sorted(folder.glob("*.csv"))


#: Counts a report's rules run and findings in a process of its own: parsed here, ten
#: times the sample's JSON (230 MB) would raise this process's peak memory to about
#: 800 MiB, and a child inherits its parent's peak in ``wait4``'s ``ru_maxrss``, so every
#: later run would report at least that (as the 778 MiB of Kent's 1.75 MB did).
_COUNT = (
    "import json, sys; d = json.load(sys.stdin); print(len(d['rules_run']), len(d['findings']))"
)


def _rules_run(files: list[Path], env: dict[str, str], period: str | None) -> tuple[int, int]:
    ours = subprocess.Popen(
        _ours(files, period), stdout=subprocess.PIPE, env={**os.environ, **env},
    )  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", _COUNT], stdin=ours.stdout, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    if ours.stdout is not None:
        ours.stdout.close()
    ours.wait()
    rules, findings = out.stdout.split()
    return int(rules), int(findings)


def _entry(
    files: list[Path],
    env: dict[str, str],
    runs: int,
    period: str | None,
    peers: dict[str, tuple[list[str], int]] | None = None,
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """cscwatch's validate runs (and the open validator's, each of ``peers``: its
    command and number of runs by result key) on ``files``.

    The runs alternate (ours, then one of each of the open validator's; again...; the
    rest of any after), so that the machine's speed, which drifts over the minutes the
    open validator's runs take, falls on all alike; the open validator's runs are
    returned by key.
    """
    peers = peers or {}
    rules, findings = _rules_run(files, env, period)
    ours: list[dict[str, Any]] = []
    theirs: dict[str, list[dict[str, Any]]] = {key: [] for key in peers}
    for i in range(max([runs, *(n for _, n in peers.values())])):
        if i < runs:
            ours.append(run_process(_ours(files, period), env, (0, 1)))
        for key, (command, n) in peers.items():
            if i < n:
                theirs[key].append(run_process(command))
    entry = {
        "files": len(files),
        "megabytes": round(sum(f.stat().st_size for f in files) / 2**20, 2),
        "cscwatch_rules_run": rules,
        "cscwatch_findings": findings,
        "cscwatch": _summary(ours),
    }
    return entry, theirs


def _beside_peer(
    entry: dict[str, Any], runs_by_key: dict[str, list[dict[str, Any]]], peer: Path
) -> None:
    meta = peer / "findings_lac2024_25.meta.json"
    if meta.is_file():
        entry["open_validator_rules"] = json.loads(meta.read_text())["rules_in_registry"]
    ours = entry["cscwatch"]
    for key, runs in runs_by_key.items():
        # speedup_wall for the rules only (the key kept from before the report's timing),
        # speedup_wall_with_report for the validator with its report
        tail = key.removeprefix("open_validator")
        entry[key] = theirs = _summary(runs)
        entry[f"speedup_wall{tail}"] = round(theirs["median_s"] / ours["median_s"], 1)
        entry[f"speedup_cpu{tail}"] = round(theirs["cpu_median_s"] / ours["cpu_median_s"], 1)
        # Each open validator run against our run just before it (the runs alternate).
        pairs = [t["wall_s"] / o["wall_s"] for o, t in zip(ours["runs"], runs, strict=False)]
        entry[f"speedup_wall{tail}_by_adjacent_runs"] = {
            "median": round(statistics.median(pairs), 1),
            "min": round(min(pairs), 1),
            "max": round(max(pairs), 1),
        }


def _rows(path: Path) -> int:
    # Records of a CSV file (its lines less the header; synthetic files are unquoted).
    with path.open(encoding="utf-8-sig") as fh:
        return sum(1 for line in fh if line.strip()) - 1


def _biggest(returns: list[Path]) -> Path:
    """The synthetic return with the most children (header records), then the most
    episodes: more than the authority with the most looked after at 31 March, where
    many children start and cease care in the year (Kent when measured)."""
    return max(returns, key=lambda r: (_rows(r / "header.csv"), _rows(r / "episodes.csv"), r.name))


def _synthetic_entry(
    folder: Path, la: str, env: dict[str, str], args: argparse.Namespace, peer_ok: bool
) -> dict[str, Any]:
    # Validate and measures of one synthetic return (and the open validator beside them).
    files = sorted(folder.glob("*.csv"))
    timed, peer_runs = _entry(files, env, args.runs, None, _peers(files, args, peer_ok, "2025"))
    entry = {"authority": la, **timed}
    entry["episodes"] = sum(1 for _ in (folder / "episodes.csv").open()) - 1
    entry["children"] = _rows(folder / "header.csv")
    entry["check"] = _summary(
        [run_process(_check(files, la, None), env, (0, 1)) for _ in range(args.runs)]
    )
    entry["validate_plus_measures_median_s"] = entry["check"]["median_s"]
    entry["validate_plus_measures_cpu_median_s"] = entry["check"]["cpu_median_s"]
    if peer_ok:
        _beside_peer(entry, peer_runs, args.peer)
    return entry


def _add_largest_return(synth: Path, args: argparse.Namespace) -> None:
    # Only the largest synthetic return, added to the results already written.
    path = RESULTS / "ssda903.json"
    result = json.loads(path.read_text())
    work = Path(tempfile.mkdtemp(prefix="cscwatch-bench-903-"))
    env = {"CSCWATCH_PSEUDONYM_KEY": secrets.token_hex(16), "CSCWATCH_CACHE_DIR": str(work)}
    peer_ok = not args.skip_peer and (args.peer / ".venv" / "bin" / "python").exists()
    try:
        _bytecode_cached(args.peer if peer_ok else None)
        run_process(_ours(_sample_files()), env, (0, 1))  # the postcode cache, untimed
        biggest = _biggest(_synth(synth, env, "--all-authorities"))
        entry = _synthetic_entry(biggest, biggest.name.split("_")[0], env, args, peer_ok)
        entry["measured_separately"] = machine()
        result["largest_return"] = entry
        write("ssda903", result)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _bytecode_cached(peer: Path | None) -> str:
    """Both tools run as installed software runs, with Python's bytecode cache: this
    machine's environment sets ``PYTHONDONTWRITEBYTECODE``, under which every run compiled
    each module of its own source again (about 0.06 s of ours on the ten-times sample).
    Both sources are compiled here, untimed, each by its own interpreter."""
    os.environ["PYTHONDONTWRITEBYTECODE"] = ""  # empty = unset, for every process below
    subprocess.run([str(BIN / "python"), "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    if peer is None:
        return "cached (compiled before timing)"
    python = str(peer / ".venv" / "bin" / "python")
    subprocess.run([python, "-m", "compileall", "-q", str(peer / "lac_validator")], check=True)
    return "cached for both tools (each source compiled by its own interpreter before timing)"


def main() -> None:
    """Run the benchmark and write ``benchmarks/results/ssda903.json``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="timed runs of cscwatch per input")
    ap.add_argument("--peer-runs", type=int, default=1, help="timed runs of the validator")
    ap.add_argument(
        "--peer-report-runs",
        type=int,
        default=1,
        help="timed runs of the validator with its report (0: none)",
    )
    ap.add_argument("--peer", type=Path, default=PEER)
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--keep", type=Path, help="keep the ten-times sample in this folder")
    ap.add_argument("--synth", type=Path, help="folder of synthetic returns (made if absent)")
    ap.add_argument(
        "--skip-all",
        action="store_true",
        help="leave out every authority's returns (their synthesis is slow): no largest "
        "return, no all-authorities run",
    )
    ap.add_argument(
        "--add-largest-return",
        action="store_true",
        help="time only the largest synthetic return, added to the results file",
    )
    args = ap.parse_args()
    if args.add_largest_return:
        _add_largest_return(args.synth or Path(tempfile.mkdtemp()) / "synth", args)
        return
    if not SAMPLES.is_dir():
        raise SystemExit(f"the SSDA903 sample is not at {SAMPLES}")
    work = Path(tempfile.mkdtemp(prefix="cscwatch-bench-903-"))
    env = {
        "CSCWATCH_PSEUDONYM_KEY": secrets.token_hex(16),  # a throwaway key for this run
        "CSCWATCH_CACHE_DIR": str(work / "cache"),
    }
    peer_ok = not args.skip_peer and (args.peer / ".venv" / "bin" / "python").exists()
    synth = args.synth or work / "synth"
    try:
        inputs = {
            "sample": _sample_files(),
            "sample_x10": _replicate(_sample_files(), args.keep or work / "x10", 10),
        }
        result: dict[str, Any] = {
            "machine": machine(),
            "ruleset": "2024-25",
            "period": "2017-18 (the sample); 2024-25 (synthetic returns)",
            "target": f"at least {TARGET_SPEEDUP:.0f}x faster than the open validator on "
            "ten times the sample; the largest authority's validate + measures <= 3 s",
            "compared_with": "the open validator with its report, as its hosted tool makes "
            "it (like for like: cscwatch's timed run makes its whole report): "
            "speedup_wall_with_report; and its rules alone, with no report: speedup_wall",
            "bytecode": _bytecode_cached(args.peer if peer_ok else None),
            "postcode_cache_build": run_process(_ours(inputs["sample"]), env, (0, 1)),
        }
        warehouse = _warehouse()
        largest = _largest(env, warehouse) if warehouse else None
        for name, files in inputs.items():
            peers = _peers(files, args, peer_ok)
            entry, peer_runs = _entry(files, env, args.runs, "2017-18", peers)
            if largest:
                entry["check_as_authority"] = largest
                entry["check"] = _summary(
                    [run_process(_check(files, largest), env, (0, 1)) for _ in range(args.runs)]
                )
            if peer_ok:
                _beside_peer(entry, peer_runs, args.peer)
            else:
                entry["open_validator"] = "not run (no venv at --peer, or --skip-peer)"
            result[name] = entry
        if largest is None:
            result["synthetic"] = "not run: no built warehouse to calibrate them (make demo)"
        else:
            (one,) = _synth(work / "largest", env, "-a", largest)
            result["largest_authority"] = _synthetic_entry(one, largest, env, args, peer_ok)
        if largest is not None and not args.skip_all:
            returns = _synth(synth, env, "--all-authorities")
            biggest = _biggest(returns)
            result["largest_return"] = _synthetic_entry(
                biggest, biggest.name.split("_")[0], env, args, peer_ok
            )
            returns = _synth(synth, env, "--all-authorities")
            files = _together(returns, work / "together")
            entry = {"authorities": len(returns), **_entry(files, env, 1, None)[0]}
            entry["how"] = "every authority's return concatenated into one, validated as one run"
            result["all_authorities"] = entry
        result["machine"]["load_average_1m_end"] = round(os.getloadavg()[0], 2)
        write("ssda903", result)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
