"""Regenerate the methods pages and say whether the committed ones are stale.

``docs/methods`` (the pages, their JSON results and figures) is written by ``cscwatch
analyse all``, which takes minutes and needs a built warehouse, so ``make docs-check``
does not cover it. This script builds a warehouse from the bundled snapshot in a
temporary folder (or uses ``--warehouse``), runs ``cscwatch analyse all`` into another,
and compares every file it writes with the committed one:

* the pages (``*.md``) and the figures (``*.png``) byte for byte;
* the JSON results value by value, numbers equal to a relative 1e-9 (their last bits
  can depend on the order a parallel sum adds up in; every figure a reader sees is in
  the pages, compared exactly).

Exit 0 when everything matches; 1 when a file differs, is missing or is new, naming each
(``--write`` then copies the regenerated files over the committed ones, to review and
commit); 2 for bad arguments. ``make methods-check`` runs it; ``.ci/run`` too.

Usage: ``python scripts/check_methods.py [--warehouse FILE] [--write]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
METHODS = ROOT / "docs" / "methods"
#: The files ``cscwatch analyse all`` writes (the hand-written pages beside them are not
#: generated: benchmarking.md, journeys.md, cla_journeys.md, cla_measures.md).
GENERATED = ("*.md", "results/*.json", "figures/*.png")
REL_TOL = 1e-9


def _cscwatch() -> str:
    exe = Path(sys.executable).with_name("cscwatch")
    return str(exe) if exe.is_file() else "cscwatch"


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, check=False, capture_output=True, text=True)
    if done.returncode:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise SystemExit(f"check_methods: {' '.join(args[1:3])} failed: {tail[0]}")


def _same_json(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)
    return bool(a == b)


def _differs(committed: Path, fresh: Path) -> bool:
    if committed.suffix == ".json":
        return not _same_json(json.loads(committed.read_text()), json.loads(fresh.read_text()))
    return committed.read_bytes() != fresh.read_bytes()


def _generated(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for g in GENERATED for p in folder.glob(g)}


def compare(committed: Path, fresh: Path) -> list[str]:
    """What differs between the committed methods folder and a regenerated one."""
    made = _generated(fresh)
    problems = [
        f"{name}: new (not committed)" for name in sorted(made) if not (committed / name).is_file()
    ]
    for name in sorted(made):
        if (committed / name).is_file() and _differs(committed / name, fresh / name):
            problems.append(f"{name}: stale")
    return problems


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--warehouse", type=Path, help="a built warehouse (default: build one)")
    p.add_argument("--write", action="store_true", help="copy regenerated files over")
    args = p.parse_args(argv)
    if args.warehouse is not None and not args.warehouse.is_file():
        print(f"check_methods: no warehouse at {args.warehouse}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cscwatch-methods-") as tmp:
        env = {**os.environ, "CSCWATCH_CACHE_DIR": str(Path(tmp) / "cache")}
        warehouse = args.warehouse or Path(tmp) / "cscwatch.duckdb"
        if args.warehouse is None:
            _run([_cscwatch(), "build", "--warehouse", str(warehouse), "-q"], env)
        out = Path(tmp) / "methods"
        _run([_cscwatch(), "analyse", "all", "--warehouse", str(warehouse),
              "--out", str(out), "-q"], env)  # fmt: skip
        problems = compare(METHODS, out)
        compared = len(_generated(out))
        if problems and args.write:
            for name in sorted(_generated(out)):
                (METHODS / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(out / name, METHODS / name)
    if problems:
        print("methods pages stale (regenerate with `cscwatch analyse all`, review, commit):")
        print("\n".join(f"  {line}" for line in problems))
        return 1
    print(f"methods pages up to date ({compared} files compared)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
