"""SSDA903 at national scale over many years: the child store's time and memory as years are added.

1. Generates a linked national panel once: ``cscwatch cla synth --all-authorities
   --years FIRST-LAST -o DATA/panel`` (authority-years without published figures are
   skipped and listed by the generator), timed as a whole process; its wall, CPU, peak
   memory, disk and the returns written are kept in ``DATA/generated.json`` and reused
   by later runs (the panel lives where you put it, never in git).
2. For the latest 1, 3 and 10 years of the panel (every authority's return of those
   years), each as a whole process (:func:`_timing.run_process`: wall, CPU of the
   process tree, peak resident memory sampled every 50 ms, load average before and
   after), on a fresh child store:

   * ``cscwatch cla load FOLDERS --child-store STORE``;
   * ``cscwatch cla load`` the same folders again (idempotent: nothing is written);
   * ``cscwatch cla validate --child-store STORE --year LATEST -f csv -o FILE`` (every
     authority's return of the latest year by its own year's rules, the stored year
     before as the previous return, postcodes looked up; exit code 1, findings, is
     expected of synthetic returns);
   * ``cscwatch cla measures --child-store STORE`` (every stored return measured: every
     authority's measures of every stored year, postcodes looked up for the distance
     layout; the same reading as ``cin measures --child-store`` in ``scale.py``, which
     measures every stored return);
   * ``cscwatch cla journeys --child-store STORE --by age,placement`` (national: every
     authority's children, followed within their authority);

   all with ``--memory-limit`` (default 4GB). ``--commands`` times a subset (``load`` is
   always run: the others need the store; ``reload`` and the rest are optional), for a
   machine where the whole set does not fit the time at hand. Results are written after
   every command, so a stopped run keeps what it measured; ``--counts 10,1,3`` times the
   ten years first.
3. Growth per national year: the slope of the least-squares line (with an intercept)
   through the points timed; the ten-year points
   are checked against issue 15's targets (peak <= 8 GB, wall <= 10 minutes per command
   on 2 cores). The store's size on disk is recorded per point.

Usage: ``python benchmarks/scale_cla.py DATA [--years 2016-2025] [--counts 1,3,10]
[--memory-limit 4GB] [--seed 1] [--work DIR] [--generate-only]
[--commands load,reload,validate,measures,journeys]``
Writes ``benchmarks/results/scale_cla.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import BIN, machine, run_process, write

TARGETS = {"wall_s": 600.0, "peak_mib": 8192}
COMMANDS = ("load", "reload", "validate", "measures", "journeys")


def _disk_mib(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return round(total / 2**20, 1)


def generate(exe: str, data: Path, years: str, seed: int) -> dict[str, Any]:
    """Write the panel once (``DATA/panel``) and keep how long it took beside it."""
    record = data / "generated.json"
    if record.is_file():
        return dict(json.loads(record.read_text(encoding="utf-8")))
    panel = data / "panel"
    shutil.rmtree(panel, ignore_errors=True)
    run = run_process(
        [exe, "cla", "synth", "--all-authorities", "--years", years, "--seed", str(seed),
         "-o", str(panel), "-f", "json", "--quiet"]
    )  # fmt: skip
    manifest = json.loads((panel / "cscwatch-synth-manifest.json").read_text(encoding="utf-8"))
    out = {
        "command": f"cscwatch cla synth --all-authorities --years {years} --seed {seed}",
        **run,
        "disk_mib": _disk_mib(panel),
        "returns": len(manifest["returns"]),
        "skipped": manifest["skipped"],
        "children": sum(int(r["children"]) for r in manifest["returns"]),
        "episodes": sum(int(r["episodes"]) for r in manifest["returns"]),
    }
    record.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return out


def _folders(panel: Path, known: set[str]) -> tuple[dict[int, list[Path]], list[str]]:
    # Collection year -> the <LA>_<year> folders of that year, of authorities cla load
    # knows (current authorities and, by number, those abolished since 2012-13: Dorset
    # 835, Poole 836 and Bournemouth 837); and any folders left out (none expected).
    by_year: dict[int, list[Path]] = {}
    left_out = []
    for d in sorted(panel.iterdir()):
        la, _, year = d.name.partition("_")
        if d.is_dir() and la.isdigit() and year.isdigit():
            if la not in known:
                left_out.append(d.name)
                continue
            by_year.setdefault(int(year), []).append(d)
    return dict(sorted(by_year.items())), left_out


def _known_authorities(exe: str) -> set[str]:
    # The LA numbers cla load resolves (current and former authorities).
    code = (
        "import json; from cscwatch.core.config import Settings;"
        "from cscwatch.childlevel.ssda903.measures import cla_authority_lookup;"
        "print(json.dumps(sorted(cla_authority_lookup(Settings().snapshot_dir, former=True))))"
    )
    done = subprocess.run(
        [str(Path(exe).parent / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout))


def time_years(
    exe: str,
    folders: list[Path],
    latest: int,
    store: Path,
    limit: str,
    commands: tuple[str, ...] = COMMANDS,
    runs: dict[str, Any] | None = None,
    saved: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Load, then reload, validate, measures and journeys (those in ``commands``) on a
    fresh store of ``folders`` (into ``runs``, calling ``saved`` after each)."""
    at = ["--child-store", str(store), "--memory-limit", limit, "--quiet"]
    runs = {} if runs is None else runs
    runs["load"] = run_process([exe, "cla", "load", *map(str, folders), *at, "-f", "json"])
    runs["store_mib"] = round(store.stat().st_size / 2**20, 1)
    saved()
    if "reload" in commands:
        runs["reload"] = run_process([exe, "cla", "load", *map(str, folders), *at, "-f", "json"])
        saved()
    if "validate" in commands:
        findings = store.with_name("findings.csv")
        runs["validate"] = run_process(
            [exe, "cla", "validate", "--year", str(latest), *at, "-f", "csv", "-o", str(findings)],
            ok=(0, 1),
        )
        runs["validate"]["findings_csv_mib"] = round(findings.stat().st_size / 2**20, 1)
        saved()
    if "measures" in commands:
        runs["measures"] = run_process([exe, "cla", "measures", *at, "-f", "json"])
        saved()
    if "journeys" in commands:
        runs["journeys"] = run_process(
            [exe, "cla", "journeys", "--by", "age,placement", *at, "-f", "json"]
        )
        saved()
    return runs


def _stored(exe: str, store: Path) -> dict[str, int]:
    # Rows the store holds (children, episodes), read with DuckDB itself.
    code = (
        "import duckdb,json,sys; c=duckdb.connect(sys.argv[1], read_only=True);"
        "print(json.dumps({t: c.execute(f'SELECT count(*) FROM ssda903_{t}').fetchone()[0]"
        " for t in ('return','header','episodes')}))"
    )
    done = subprocess.run(
        [str(Path(exe).parent / "python"), "-c", code, str(store)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(done.stdout))


def _fit(xs: list[float], ys: list[float]) -> float | None:
    # Least-squares slope.
    if len(xs) < 2:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return round(num / den, 3) if den else None


def summarise(points: dict[str, Any]) -> dict[str, Any]:
    """Growth per national year of every command, and the ten-year targets."""
    # Slopes with an intercept: every command pays a start-up (and the postcode look-up),
    # so a line through the origin would overstate growth.
    xs = [float(n) for n in points]
    timed = [c for c in COMMANDS if all(c in p for p in points.values())]
    growth = {
        cmd: {
            f"{m}_per_year": _fit(xs, [p[cmd][m] for p in points.values()])
            for m in ("wall_s", "cpu_s", "peak_tree_rss_mib")
        }
        for cmd in timed
    }
    ten = points.get("10")
    meets = None
    if ten is not None:
        meets = {
            cmd: ten[cmd]["wall_s"] <= TARGETS["wall_s"]
            and ten[cmd]["peak_tree_rss_mib"] <= TARGETS["peak_mib"]
            for cmd in timed
        }
    return {"growth_per_national_year": growth, "ten_years_meet_targets": meets}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path, help="Where the panel is (or is written).")
    parser.add_argument("--years", default="2016-2025", help="Panel years to generate.")
    parser.add_argument("--counts", default="1,3,10", help="How many latest years to time.")
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=None, help="Where stores go (a temp dir).")
    parser.add_argument("--generate-only", action="store_true", help="Write the panel and stop.")
    parser.add_argument(
        "--commands", default=",".join(COMMANDS), help="Commands to time (load always)."
    )
    args = parser.parse_args()
    commands = tuple(c for c in args.commands.split(",") if c)
    unknown = sorted(set(commands) - set(COMMANDS))
    if unknown:
        parser.error(f"--commands: unknown {unknown}; known: {', '.join(COMMANDS)}")
    exe = str(BIN / "cscwatch")
    args.data.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "machine": machine(),
        "memory_limit": args.memory_limit,
        "commands": ["load", *(c for c in COMMANDS if c in commands and c != "load")],
    }
    result["generated"] = generate(exe, args.data, args.years, args.seed)
    if args.generate_only:
        return
    by_year, left_out = _folders(args.data / "panel", _known_authorities(exe))
    result["left_out"] = left_out
    years = list(by_year)
    result["points"] = {}
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    for n in (int(c) for c in args.counts.split(",")):
        if n > len(years):
            print(f"only {len(years)} years in the panel: {n} skipped", file=sys.stderr)
            continue
        chosen = years[-n:]
        folders = [f for y in chosen for f in by_year[y]]
        point: dict[str, Any] = {
            "years": chosen,
            "returns": len(folders),
            "csv_mib": round(sum(_disk_mib(f) for f in folders), 1),
        }
        result["points"][str(n)] = point

        def saved() -> None:
            done = {k: p for k, p in result["points"].items() if "load" in p}
            result.update(summarise(done))
            result["targets"] = TARGETS
            result["machine"]["load_average_1m_end"] = round(os.getloadavg()[0], 2)
            write("scale_cla", result)

        with tempfile.TemporaryDirectory(dir=args.work) as tmp:
            store = Path(tmp) / "child.duckdb"
            time_years(exe, folders, chosen[-1], store, args.memory_limit, commands, point, saved)
            point["stored_rows"] = _stored(exe, store)
            saved()
        print(f"SSDA903 {n} years done", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
