"""The CIN census reader, walk against fast path: CPU per file, and the same tables.

For each XML file given (or every ``--every``-th of a folder's, in name order) it reads
the return twice in this process, as ``cin load``'s workers do: the walk
(:func:`cscwatch.childlevel.cin.census.read_cin_census`, then staging as Arrow) and the
load's reader (:func:`cscwatch.childlevel.cin.flat.read_cin_census_columns`, which takes
the fast path for a plain file, then staging). It checks that the staged tables and the
read facts are identical (any difference is printed and the script exits 1) and records
the CPU seconds of each (``time.process_time``: this process only, so a busy machine
inflates them less than wall time; the load average is recorded beside them).

Usage: ``python benchmarks/cin_reader.py /tmp/panel10/flat --year 2025 [--every 1]
[--name cin_reader]``; writes ``benchmarks/results/NAME.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow as pa
from _timing import machine, write

from cscwatch.childlevel.cin.census import CinHeader, read_cin_census
from cscwatch.childlevel.cin.flat import read_cin_census_columns
from cscwatch.childlevel.cin.store import _stage
from cscwatch.childlevel.pseudonym import Pseudonymiser

KEY = Pseudonymiser(b"benchmark-reader-key-0123456789")


def _choose(header: CinHeader) -> Pseudonymiser:
    return KEY


def compare(path: Path) -> dict[str, Any]:
    """Read ``path`` both ways; CPU seconds of each, and whether the results agree."""
    t0 = time.process_time()
    walked = read_cin_census(path, _choose, keep_child_refs=True)
    a = _stage(walked.tables)
    t1 = time.process_time()
    parsed, cols = read_cin_census_columns(path, _choose, keep_child_refs=True)
    b = _stage(cols)
    t2 = time.process_time()
    differ = [name for name in a if not a[name].equals(b[name])]
    facts = (walked.header, walked.children, walked.referrals, walked.child_refs)
    if facts != (parsed.header, parsed.children, parsed.referrals, parsed.child_refs):
        differ.append("read facts")
    return {
        "file": path.name,
        "mib": round(path.stat().st_size / 2**20, 2),
        "fast_path": isinstance(cols["cin_child"]["child_seq"], pa.Array),
        "walk_cpu_s": round(t1 - t0, 3),
        "fast_cpu_s": round(t2 - t1, 3),
        "differ": differ,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="A folder of CIN XML returns, or one file.")
    parser.add_argument("--year", default="", help="Only files whose name holds _YEAR_.")
    parser.add_argument("--every", type=int, default=1, help="Every Nth file (name order).")
    parser.add_argument("--name", default="cin_reader")
    args = parser.parse_args()
    files = [args.data] if args.data.is_file() else sorted(args.data.glob("*.xml"))
    if args.year:
        files = [f for f in files if f"_{args.year}_" in f.name]
    files = files[:: args.every]
    rows = []
    for f in files:
        rows.append(compare(f))
        print(rows[-1], file=sys.stderr, flush=True)
    walk = sum(r["walk_cpu_s"] for r in rows)
    fast = sum(r["fast_cpu_s"] for r in rows)
    payload = {
        "machine": machine(),
        "files": len(rows),
        "xml_mib": round(sum(r["mib"] for r in rows), 1),
        "fast_path_files": sum(r["fast_path"] for r in rows),
        "walk_cpu_s": round(walk, 2),
        "fast_cpu_s": round(fast, 2),
        "speed_up": round(walk / fast, 2) if fast else None,
        "identical": all(not r["differ"] for r in rows),
        "returns": rows,
    }
    out = write(args.name, payload)
    print(f"{len(rows)} files, walk {walk:.1f} s CPU, fast {fast:.1f} s CPU; {out}")
    return 0 if payload["identical"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
