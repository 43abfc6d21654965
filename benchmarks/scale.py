"""Child-level work at national scale over many years: time and memory as years are added.

For 1, 3 and 10 national years of CIN census returns (the latest N collection years of
the data folder: ``<year>/`` folders, or a flat folder of a linked panel as ``cin synth
--all-authorities --years 2016-2025 -o DIR`` writes it, ``cin_<LA>_<year>_seed<n>.xml``)
it times, each as a whole process (:func:`_timing.run_process`: wall, CPU
of the process and its workers, the process tree's peak resident memory sampled every
50 ms, the load average before and after):

* ``cscwatch cin load FILES --child-store STORE`` (a fresh store each time);
* ``cscwatch cin validate --child-store STORE``;
* ``cscwatch cin measures --child-store STORE``;
* ``cscwatch cin journeys --child-store STORE``;

all with ``--memory-limit`` (default 4GB; DuckDB spills past it, see
``Settings.memory_limit``). CIN validation rules exist for 2022-23 to 2025-26 only, so
``cin validate --child-store`` refuses a store holding earlier years; with ``--ruleset
2022-23`` that store is validated again with the named rules applied to every year (each
year's own dates; the command says so), and the JSON records both the refusal and the
ruleset applied at request. Results are saved after every command, so a stopped run
keeps what it measured; ``--years 10,1,3`` times the ten years first.
``--replicate 10`` also times validate, measures and
journeys on a store of ten years made in SQL from the largest store timed whose years
divide ten (:func:`replicate_store`: every date moved back a year per copy, the same
pseudonyms, so the same children run through every year), for when generating ten
national years would take hours; CIN validation rules exist for 2022-23 to 2025-26
only, so a store with earlier years is refused (recorded) and validation is timed on the
same volume kept in the rules' years instead. Growth per year is the least-squares line
through every point timed; the ten-year points are checked against the targets (peak
<= 8 GB, wall <= 10 minutes per command on 2 cores). SSDA903: ``cscwatch cla journeys``
links one authority's returns (its tables are keyed by collection year), so with
``--cla DIR`` (``cscwatch cla synth -a LA --years 2016-2025 -o DIR``) it is timed on the
authority with most ``<LA>_<year>`` folders for its latest 1, 3 and 10 years.

Data: ``DATA/<year>/*.xml``, one folder per collection year (a linked panel from
``cin synth --all-authorities --years`` can be given the same way). ``--generate
2016-2025`` writes missing year folders with the synthetic generator one authority at a
time, skipping (and listing) authorities whose figures for the year are not published
(``cin synth --all-authorities --year`` stops at the first such authority); ``--fill``
makes missing years as date-shifted copies of generated ones. The data live where you
put them (``.cache`` or ``/tmp``), never in git.

Growth per year is fitted over collection years loaded for real data (the replicated
store counts its XML over the largest year's).

Usage: ``python benchmarks/scale.py DATA [--generate 2016-2025] [--fill 2016-2025]
[--years 1,3,10] [--ruleset 2022-23] [--every N] [--replicate 10] [--memory-limit 4GB]
[--cla DIR] [--work DIR] [--name scale] [--load-only]``. ``--load-only`` times ``cin
load`` alone and keeps the other commands' figures from ``results/NAME.json`` (they
stand while the store a load writes is unchanged); the load's machine and load average
are recorded as ``load_machine``. ``--every 10`` times every tenth authority
(all its years) when the whole country would not finish (a loaded machine).
Writes ``benchmarks/results/NAME.json`` (``scale.json``: the linked ten-year panel;
``scale_replicated.json``: the earlier run on a store replicated in SQL).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import BIN, RESULTS, machine, run_process, write

TARGETS = {"wall_s": 600.0, "peak_mib": 8192}
COMMANDS = ("load", "validate", "measures", "journeys")


def generate(data: Path, first: int, last: int, seed: int = 1) -> dict[str, Any]:
    """Write ``data/<year>/`` for each missing year; authorities that fail are skipped."""
    from cscwatch.core.config import Settings
    from cscwatch.core.errors import CscwatchError
    from cscwatch.synth.cin.returns import PublishedFigures, write_synthetic_return

    figures = PublishedFigures(Settings().snapshot_dir)
    out: dict[str, Any] = {}
    for year in range(first, last + 1):
        folder = data / str(year)
        if (folder / "DONE").exists():
            continue
        tmp = data / f".{year}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        skipped: list[dict[str, str]] = []
        written = 0
        for la in figures.authorities(year):
            try:
                write_synthetic_return(figures, la, year, seed, tmp)
                written += 1
            except CscwatchError as exc:
                skipped.append({"la_code": la, "reason": str(exc).splitlines()[0]})
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        (folder / "DONE").write_text(f"{written} returns\n", encoding="utf-8")
        out[str(year)] = {"returns": written, "skipped": skipped}
        print(f"{year}: {written} returns, {len(skipped)} skipped", file=sys.stderr, flush=True)
    return out


_DATE = re.compile(rb"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})")
_YEAR = re.compile(rb"<Year>([0-9]{4})</Year>")


def _shift(text: bytes, years: int) -> bytes:
    # Every date (and the collection <Year>) moved by whole years; 29 February to the
    # 28th where the new year has none.
    def date(m: re.Match[bytes]) -> bytes:
        y, mo, d = int(m.group(1)) + years, m.group(2), m.group(3)
        leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
        if mo == b"02" and d == b"29" and not leap:
            d = b"28"
        return b"%04d-%s-%s" % (y, mo, d)

    text = _DATE.sub(date, text)
    return _YEAR.sub(lambda m: b"<Year>%d</Year>" % (int(m.group(1)) + years), text)


def fill(data: Path, first: int, last: int) -> dict[str, str]:
    """Make ``data/<year>/`` for each missing year in ``first..last`` as a copy of a
    generated year with every date shifted by whole years (the latest generated year
    whose distance is a multiple of the generated span). The copies keep their
    LAchildIDs, so the same children run through every copy: the volume of a national
    year, not calibrated to that year's published figures."""
    made = {}
    have = [int(p.name) for p in _year_folders(data) if not (p / "SHIFTED_FROM").exists()]
    if not have:
        raise SystemExit(f"{data}: no generated year folders to copy")
    span = max(have) - min(have) + 1
    for year in range(first, last + 1):
        folder = data / str(year)
        if (folder / "DONE").exists():
            continue
        source = next(y for y in sorted(have, reverse=True) if (y - year) % span == 0)
        tmp = data / f".{year}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for f in sorted((data / str(source)).glob("*.xml")):
            name = f.name.replace(f"_{source}_", f"_{year}_")
            (tmp / name).write_bytes(_shift(f.read_bytes(), year - source))
        (tmp / "SHIFTED_FROM").write_text(f"{source}\n", encoding="utf-8")
        (tmp / "DONE").write_text("copy\n", encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        made[str(year)] = f"{source} shifted by {year - source} years"
        print(f"{year}: copy of {source}", file=sys.stderr, flush=True)
    return made


def replicate_store(
    source: Path, target: Path, copies: int, step: int, la_copies: int = 1
) -> dict[str, Any]:
    """A child store of ``copies + 1`` times the returns of ``source``: the original rows
    and ``copies`` copies with every date moved back by ``step``, ``2 * step``, ...
    years (return ids suffixed, pseudonyms kept, so the same children run through every
    copy), written in SQL without reading XML again. For timing many years' measures and
    journeys when generating them would take hours; loading is timed on real files.
    ``step=0`` keeps the dates: the volume of many years in years that have validation
    rules (CIN rulesets exist for 2022-23 to 2025-26 only). ``la_copies`` > 1 also
    copies each return to that many authorities (LA code suffixed ``.1``, ``.2``...), so
    a sample of authorities stands for a whole country's volume."""
    import duckdb

    from cscwatch.childlevel.cin.store import child_level_ddl
    from cscwatch.childlevel.cin.tables import CHILD_TABLES

    shutil.copyfile(source, target)
    con = duckdb.connect(str(target))
    try:
        con.execute(child_level_ddl())
        base = {n: con.execute(f"SELECT count(*) FROM {n}").fetchall()[0][0] for n in CHILD_TABLES}
        # Every copy of a table in one statement: the base rows crossed with the copies.
        pairs = [(k, j) for k in range(copies + 1) for j in range(la_copies) if k or j]
        con.execute("CREATE TEMP TABLE _copy (k INTEGER, j INTEGER)")
        con.executemany("INSERT INTO _copy VALUES (?, ?)", pairs)
        for name, cols in CHILD_TABLES.items():
            exprs = []
            for c, kind in cols.items():
                if c == "return_id":
                    exprs.append("return_id || '-copy' || k || '.' || j")
                elif c == "la_code":
                    exprs.append("CASE WHEN j = 0 THEN la_code ELSE la_code || '.' || j END")
                elif kind in ("date", "timestamp"):
                    exprs.append(f"CAST({c} - to_years(k * {step}) AS {_SQL[kind]})")
                elif c in ("collection_year", "header_year"):
                    exprs.append(f"{c} - k * {step}")
                else:
                    exprs.append(c)
            con.execute(f"CREATE TEMP TABLE _base AS SELECT * FROM {name}")
            con.execute(f"INSERT INTO {name} SELECT {', '.join(exprs)} FROM _base, _copy")
            con.execute("DROP TABLE _base")
        total = {n: con.execute(f"SELECT count(*) FROM {n}").fetchall()[0][0] for n in CHILD_TABLES}
    finally:
        con.close()
    return {
        "copies": copies,
        "step_years": step,
        "la_copies": la_copies,
        "rows_base": base,
        "rows": total,
    }


_SQL = {"date": "DATE", "timestamp": "TIMESTAMP"}


def time_store(
    exe: str,
    store: Path,
    limit: str,
    ruleset: str | None = None,
    runs: dict[str, Any] | None = None,
    saved: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """validate, measures and journeys on a child store already made (into ``runs``,
    calling ``saved`` after each). A store refused by validation (a year without a DfE
    ruleset) is validated again with ``--ruleset ruleset`` when one is given: the named
    rules applied to every stored year at the user's request, recorded beside the
    refusal."""
    at = ["--child-store", str(store), "--memory-limit", limit, "-f", "json", "--quiet"]
    runs = {} if runs is None else runs
    try:
        runs["validate"] = run_process([exe, "cin", "validate", *at], ok=(0, 1))
    except SystemExit as exc:  # refused (exit 2): e.g. a year without a ruleset
        lines = [ln for ln in str(exc).splitlines() if ln.startswith("error")]
        refused = lines[0] if lines else str(exc)[:300]
        runs["validate"] = {"refused": refused}
        if ruleset is not None:
            run = run_process([exe, "cin", "validate", *at, "--ruleset", ruleset], ok=(0, 1))
            runs["validate"] = {"ruleset_at_request": ruleset, "refused_without": refused, **run}
    saved()
    runs["measures"] = run_process([exe, "cin", "measures", *at])
    saved()
    runs["journeys"] = run_process([exe, "cin", "journeys", *at])
    runs["store_mib"] = round(store.stat().st_size / 2**20, 1)
    saved()
    return runs


def _fit(xs: list[float], ys: list[float], *, origin: bool = False) -> dict[str, Any] | None:
    # Least-squares line y = a + b x (b: growth per year); with ``origin``, through the
    # origin from one point (time, not memory: a load's memory is set by its batch).
    if not xs or (len(xs) == 1 and not origin):
        return None
    if len(xs) == 1:
        return {"intercept": 0.0, "per_year": round(ys[0] / xs[0], 3), "one_point": True}
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return {"intercept": round(my - b * mx, 3), "per_year": round(b, 3)}


def _year_folders(data: Path) -> list[Path]:
    return sorted(p for p in data.iterdir() if p.is_dir() and p.name.isdigit())


def _authority(path: Path) -> str:
    # The LA number of a return named cin_<LA>_<year>_seed<n>.xml (else the file name).
    m = re.match(r"^cin_([0-9]{3})_", path.name)
    return m.group(1) if m else path.name


_PANEL_FILE = re.compile(r"^cin_[0-9]{3}_([0-9]{4})_seed[0-9]+\.xml$")


def year_files(data: Path) -> dict[str, list[Path]]:
    """Collection year → its XML files: ``data/<year>/*.xml`` folders, or a flat folder of
    ``cin_<LA>_<year>_seed<n>.xml`` files as ``cin synth --years`` writes a panel."""
    folders = _year_folders(data)
    if folders:
        return {d.name: sorted(d.glob("*.xml")) for d in folders}
    out: dict[str, list[Path]] = {}
    for f in sorted(data.glob("*.xml")):
        m = _PANEL_FILE.match(f.name)
        if m:
            out.setdefault(m.group(1), []).append(f)
    return dict(sorted(out.items()))


def _remove(folder: Path, pattern: str) -> None:
    for old in folder.glob(pattern):
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink()


def time_cin(
    exe: str,
    files: list[Path],
    work: Path,
    limit: str,
    ruleset: str | None = None,
    runs: dict[str, Any] | None = None,
    saved: Callable[[], None] = lambda: None,
    *,
    store_commands: bool = True,
) -> dict[str, Any]:
    """The four child-store commands on ``files``, each one whole process (into ``runs``,
    calling ``saved`` after each); without ``store_commands``, the load alone."""
    store = work / "store.duckdb"
    _remove(work, "store.duckdb*")
    at = ["--child-store", str(store), "--memory-limit", limit, "-f", "json", "--quiet"]
    runs = {} if runs is None else runs
    runs["load"] = run_process([exe, "cin", "load", *map(str, files), *at])
    saved()
    if not store_commands:
        return runs
    return time_store(exe, store, limit, ruleset, runs, saved)


def time_cla(exe: str, folders: list[Path], limit: str) -> dict[str, Any]:
    """``cla journeys`` over one authority's return folders."""
    return run_process(
        [exe, "cla", "journeys", *map(str, folders), "--memory-limit", limit, "-f", "json",
         "--quiet"]
    )  # fmt: skip


def _points(result: dict[str, Any], cmd: str) -> dict[float, dict[str, Any]]:
    # (national years of returns → run) for one command: the real years timed (as many
    # as collection years loaded, times the share of their XML when sampled), then the
    # replicated store (its XML over the largest year's; for validation, its copy in
    # years that have rules when the dated copy was refused).
    per_year = float(result["national_xml_mib"])
    points = {
        float(v.get("national_years", len(v["years"]))): v[cmd]
        for v in result.get("cin", {}).values()
        if "wall_s" in v.get(cmd, {})
    }
    rep = result.get("cin_replicated")
    if rep is not None and cmd != "load":
        run = rep.get(cmd, {})
        if cmd == "validate" and "validate_same_years" in rep:
            run = rep["validate_same_years"]
        if "wall_s" in run:
            points[round(rep["xml_mib_equivalent"] / per_year, 2)] = run
    return dict(sorted(points.items()))


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    """Growth per year (least-squares line through every point timed) and the ten-year
    targets, from the runs in ``result``."""
    growth: dict[str, Any] = {}
    for cmd in COMMANDS:
        ran = _points(result, cmd)
        xs = list(map(float, ran))
        growth[cmd] = {
            "national_years_fitted": sorted(ran),
            "wall_s": _fit(xs, [r["wall_s"] for r in ran.values()], origin=True),
            "cpu_s": _fit(xs, [r["cpu_s"] for r in ran.values()], origin=True),
            "peak_tree_rss_mib": _fit(xs, [r["peak_tree_rss_mib"] for r in ran.values()]),
        }
    out: dict[str, Any] = {"cin_growth": growth}
    # The ten-year test: the largest point of at least ten national years of returns.
    ten = {
        cmd: next((r for x, r in reversed(_points(result, cmd).items()) if x >= 9.95), None)
        for cmd in COMMANDS
    }
    out["cin_ten_years_meet_targets"] = {
        cmd: None
        if run is None
        else run["wall_s"] <= TARGETS["wall_s"] and run["peak_tree_rss_mib"] <= TARGETS["peak_mib"]
        for cmd, run in ten.items()
    }
    return out


def time_cla_years(exe: str, folder: Path, counts: list[int], limit: str) -> dict[str, Any]:
    """``cla journeys`` on the latest 1, 3, 10 years of the authority with most folders."""
    by_la: dict[str, list[Path]] = {}
    for d in sorted(folder.iterdir()):
        if d.is_dir() and "_" in d.name:
            by_la.setdefault(d.name.split("_")[0], []).append(d)
    la, dirs = max(by_la.items(), key=lambda kv: len(kv[1]))
    out: dict[str, Any] = {"la_code": la}
    for n in counts:
        if n <= len(dirs):
            out[str(n)] = {"years": [d.name for d in dirs[-n:]], **time_cla(exe, dirs[-n:], limit)}
    return out


def save(result: dict[str, Any], name: str = "scale") -> None:
    """Write what has been measured so far (a long run keeps its figures if stopped)."""
    result.update(summarise(result))
    result["targets"] = TARGETS
    result["machine"]["load_average_1m_end"] = round(os.getloadavg()[0], 2)
    write(name, result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path, help="Folder of <year>/ folders of CIN XML.")
    parser.add_argument("--generate", default=None, help="Years to write if missing: 2016-2025.")
    parser.add_argument("--fill", default=None, help="Years to copy if missing: 2016-2025.")
    parser.add_argument("--years", default="1,3,10", help="How many years to time: 1,3,10.")
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--cla", type=Path, default=None, help="Folder of <LA>_<year> folders.")
    parser.add_argument("--work", type=Path, default=None, help="Where stores go (a temp dir).")
    parser.add_argument(
        "--ruleset",
        default=None,
        help="When validation refuses a store (years without DfE rules, before 2022-23), "
        "validate again applying these rules to every year (e.g. 2022-23), recorded.",
    )
    parser.add_argument(
        "--name", default="scale", help="Results file: benchmarks/results/NAME.json."
    )
    parser.add_argument(
        "--every",
        type=int,
        default=1,
        help="Time every Nth authority only (by LA number; all its years), when the whole "
        "country would not finish: growth is then per national year of XML.",
    )
    parser.add_argument(
        "--replicate",
        type=int,
        default=0,
        help="Also time N years made by copying the largest timed store's rows N/years "
        "times with dates moved back (SQL; no XML): e.g. 10.",
    )
    parser.add_argument(
        "--la-copies",
        type=int,
        default=1,
        help="With --replicate, also copy each return to N authorities (a sample of "
        "authorities standing for the country).",
    )
    parser.add_argument(
        "--national-mib",
        type=float,
        default=None,
        help="MiB of XML in one national year; growth is per national year of XML "
        "(default: the largest year folder's).",
    )
    parser.add_argument(
        "--load-only",
        action="store_true",
        help="Time cin load alone and keep the other commands' figures already in "
        "results/NAME.json (when the store a load writes is unchanged, they stand).",
    )
    args = parser.parse_args()
    exe = str(BIN / "cscwatch")
    args.data.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "machine": machine(),
        "memory_limit": args.memory_limit,
    }
    earlier: dict[str, Any] = {}
    if args.load_only and (RESULTS / f"{args.name}.json").exists():
        earlier = json.loads((RESULTS / f"{args.name}.json").read_text(encoding="utf-8"))
        # The earlier run's figures and machine stay; this run's machine is recorded
        # beside the loads it timed.
        result = {**earlier, "load_machine": result["machine"]}
    if args.generate:
        first, _, last = args.generate.partition("-")
        result["generated"] = generate(args.data, int(first), int(last or first))
    if args.fill:
        first, _, last = args.fill.partition("-")
        fill(args.data, int(first), int(last or first))
    by_year = year_files(args.data)
    years = list(by_year)
    result["data"] = str(args.data)
    result["national_xml_mib"] = args.national_mib or max(
        round(sum(f.stat().st_size for f in fs) / 2**20, 1) for fs in by_year.values()
    )
    result["shifted_copies"] = {
        p.name: (p / "SHIFTED_FROM").read_text().strip()
        for p in _year_folders(args.data)
        if (p / "SHIFTED_FROM").exists()
    }
    counts = [int(n) for n in args.years.split(",")]
    authorities = sorted({_authority(f) for fs in by_year.values() for f in fs})
    kept = set(authorities[:: args.every])
    if args.every > 1:
        result["sample"] = (
            f"every {args.every}th authority by LA number ({len(kept)} of {len(authorities)}), "
            "all their years"
        )
    result["cin"] = dict(earlier.get("cin", {}))
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        for n in counts:
            if n > len(years):
                print(f"only {len(years)} years: {n} years skipped", file=sys.stderr)
                continue
            chosen = years[-n:]  # the latest n years
            every = sorted(f for y in chosen for f in by_year[y])
            files = [f for f in every if _authority(f) in kept] if args.every > 1 else every
            runs: dict[str, Any] = {}
            size = sum(f.stat().st_size for f in files)
            kept_runs = {
                k: v
                for k, v in earlier.get("cin", {}).get(str(n), {}).items()
                if k in COMMANDS[1:] or k == "store_mib"
            }
            result["cin"][str(n)] = {
                **kept_runs,
                "years": chosen,
                "returns": len(files),
                "xml_mib": round(size / 2**20, 1),
                # The share of those years' XML timed, in national years.
                "national_years": round(n * size / sum(f.stat().st_size for f in every), 3),
                **({"ruleset_if_refused": args.ruleset} if args.ruleset else {}),
            }

            def saved(n: int = n, runs: dict[str, Any] = runs) -> None:
                result["cin"][str(n)].update(runs)
                save(result, args.name)

            time_cin(
                exe,
                files,
                Path(tmp),
                args.memory_limit,
                args.ruleset,
                runs,
                saved,
                store_commands=not args.load_only,
            )
            if args.replicate and args.replicate % n == 0:  # the largest such store is kept
                shutil.copyfile(Path(tmp) / "store.duckdb", Path(tmp) / "store_base.duckdb")
                result["replicated_from"] = n
            print(f"CIN {n} years done", file=sys.stderr, flush=True)
            save(result, args.name)
        if args.cla is not None:
            result["cla"] = time_cla_years(exe, args.cla, [1, 3, 10], args.memory_limit)
            save(result, args.name)
        if args.replicate and "replicated_from" in result:
            n = result["replicated_from"]
            src = Path(tmp) / "store_base.duckdb"
            big = Path(tmp) / "replicated.duckdb"
            _remove(Path(tmp), "store.duckdb*")
            made = replicate_store(src, big, args.replicate // n - 1, n, args.la_copies)
            runs = time_store(exe, big, args.memory_limit)
            src_years = result["cin"][str(n)]["years"]
            result["cin_replicated"] = {
                "years": args.replicate,
                "returns": made["rows"]["cin_return"],
                "xml_mib_equivalent": round(
                    result["cin"][str(n)]["xml_mib"] * (args.replicate // n) * args.la_copies,
                    1,
                ),
                "from_years": src_years,
                **made,
                **runs,
            }
            save(result, args.name)
            if "refused" in runs["validate"]:  # years without rules: same volume, same years
                _remove(Path(tmp), "replicated.duckdb*")
                same = replicate_store(src, big, args.replicate // n - 1, 0, args.la_copies)
                at = ["--child-store", str(big), "--memory-limit", args.memory_limit]
                result["cin_replicated"]["validate_same_years"] = {
                    **same,
                    **run_process(
                        [exe, "cin", "validate", *at, "-f", "json", "--quiet"], ok=(0, 1)
                    ),
                }
            print(f"CIN {args.replicate} replicated years done", file=sys.stderr, flush=True)
    save(result, args.name)


if __name__ == "__main__":
    main()
