"""Check that a refactoring changed no result: digest, then compare.

A digest (JSON) records what the product says, through its public faces only (the CLI
and the app factory), so the same script works before and after modules move:

* the warehouse: every table's row count and an order-independent hash of its rows
  (the sum, modulo 2**64, of DuckDB's hash of each row), built fresh from the current
  code into a temporary file unless ``--warehouse`` names an existing one;
* the methods pages: a sha256 per file of a methods folder, either regenerated from
  that warehouse with ``cscwatch analyse all --only PAGES`` (``--methods-pages``) or an
  existing folder (``--methods-dir``, e.g. ``docs/methods``);
* a fixed set of API answers (:data:`ROUTES`, through FastAPI's TestClient): status and
  sha256 of the body, and for JSON the top-level keys.

Usage::

    python scripts/compare_results.py digest before.json --methods-pages quality
    ... make the structural change ...
    python scripts/compare_results.py digest after.json --methods-pages quality
    python scripts/compare_results.py compare before.json after.json

``compare`` names every table, page and route that differs and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

#: API answers checked (the web pages' HTML too: they are built from the same library).
ROUTES: tuple[str, ...] = (
    "/api/authorities",
    "/api/authorities/352",
    "/api/authorities/352/profile",
    "/api/authorities/leeds/profile?year=2024",
    "/api/authorities/352/series/rereferrals_pct",
    "/api/authorities/352/benchmark/cpp_at31_per_10k",
    "/api/authorities/330/inspections",
    "/api/authorities/nowhere",
    "/api/indicators",
    "/api/indicators/caseload",
    "/api/indicators/rereferrals_pct/variation",
    "/api/indicators/rereferrals_pct/variation?year=2024",
    "/api/indicators/cpp_at31_per_10k/funnel",
    "/api/observations?indicator=rereferrals_pct&authority=352",
    "/api/observations?indicator=cin_at31_per_10k&year=2025",
    "/api/observations?indicator=spend_safeguarding_gross&year=2024&format=csv",
    "/api/observations?indicator=rereferrals_pct&authority=352&format=csv",
    "/api/ofsted/summary?as_at=2025-03-31",
    "/api/ofsted/missing",
    "/api/risk?as_at=2025-04-01",
    "/authorities/352",
    "/indicators/rereferrals_pct",
    "/api/compare?authorities=Leeds,Hull,352&indicator=rereferrals_pct",
    "/api/compare?authorities=Leeds&indicator=rereferrals_pct&year=2005",
    "/api/authorities/352/neighbours/cpp_at31_per_10k",
    "/api/indicators/rereferrals_pct/variation?year=2005",
    "/authorities/352/neighbours/rereferrals_pct",
    "/authorities/352/series/cpp_at31_per_10k",
    "/compare?authorities=Leeds,Hull&indicator=rereferrals_pct",
)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _cli(*args: str) -> None:
    exe = Path(sys.executable).with_name("cscwatch")
    subprocess.run([str(exe), *args], check=True, stdout=subprocess.DEVNULL)


def warehouse_digest(path: Path) -> dict[str, Any]:
    """Row count and order-independent row hash of every table of the warehouse."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY table_name"
            ).fetchall()
        ]
        out: dict[str, Any] = {}
        for name in tables:
            quoted = '"' + name.replace('"', '""') + '"'
            n, h = con.execute(
                f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT) % 18446744073709551616, 0) "
                f"FROM {quoted} AS t"
            ).fetchone() or (0, 0)
            cols = [r[0] for r in con.execute(f"DESCRIBE {quoted}").fetchall()]
            out[name] = {"rows": int(n), "hash": str(h), "columns": cols}
        return out
    finally:
        con.close()


def methods_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under a methods folder, by relative path."""
    return {
        p.relative_to(folder).as_posix(): _sha(p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def api_digest(warehouse: Path) -> dict[str, Any]:
    """Status and body hash of every route in :data:`ROUTES`."""
    import warnings

    with warnings.catch_warnings():  # starlette's note about httpx, not ours
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from cscwatch.core.config import Settings

    try:  # the app factory's home since the layering of issue 13
        from cscwatch.serve.app import create_app
    except ImportError:
        from cscwatch.serve.app import create_app

    out: dict[str, Any] = {}
    with TestClient(create_app(Settings(warehouse=warehouse))) as client:
        for route in ROUTES:
            r = client.get(route)
            entry: dict[str, Any] = {"status": r.status_code, "sha256": _sha(r.content)}
            if r.headers.get("content-type", "").startswith("application/json"):
                body = r.json()
                entry["keys"] = sorted(body) if isinstance(body, dict) else f"list[{len(body)}]"
            out[route] = entry
    return out


def digest(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="compare-") as tmp:
        warehouse = args.warehouse
        if warehouse is None:
            warehouse = Path(tmp) / "cscwatch.duckdb"
            _cli("build", "--warehouse", str(warehouse), "--format", "json")
        result: dict[str, Any] = {"warehouse": warehouse_digest(warehouse)}
        if args.methods_pages:
            folder = Path(tmp) / "methods"
            _cli(
                "analyse", "all", "--warehouse", str(warehouse), "--out", str(folder),
                "--only", args.methods_pages, "--n-boot", str(args.n_boot),
            )  # fmt: skip
            result["methods"] = methods_digest(folder)
        elif args.methods_dir is not None:
            result["methods"] = methods_digest(args.methods_dir)
        result["api"] = api_digest(warehouse)
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(
        f"wrote {args.out}: {len(result['warehouse'])} tables, "
        f"{len(result.get('methods', {}))} methods files, {len(result['api'])} routes"
    )
    return 0


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """One line per table, methods file or route whose digest differs."""
    lines: list[str] = []
    for part in ("warehouse", "methods", "api"):
        a, b = before.get(part), after.get(part)
        if a is None or b is None:
            if a is not None or b is not None:
                lines.append(f"{part}: only in {'before' if b is None else 'after'}")
            continue
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                lines.append(f"{part} {key}: only in {'after' if key not in a else 'before'}")
            elif a[key] != b[key]:
                detail = (
                    ", ".join(f"{f} {a[key].get(f)} -> {b[key].get(f)}" for f in ("rows", "status"))
                    if isinstance(a[key], dict)
                    else "content"
                )
                lines.append(f"{part} {key}: differs ({detail})")
    return lines


def compare(args: argparse.Namespace) -> int:
    before = json.loads(args.before.read_text(encoding="utf-8"))
    after = json.loads(args.after.read_text(encoding="utf-8"))
    lines = differences(before, after)
    for line in lines:
        print(line)
    counts = {p: len(before.get(p, {})) for p in ("warehouse", "methods", "api")}
    if not lines:
        print(
            f"no change: {counts['warehouse']} tables, {counts['methods']} methods files, "
            f"{counts['api']} API answers identical"
        )
    return 1 if lines else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("digest", help="write a digest of the current code's results")
    d.add_argument("out", type=Path)
    d.add_argument("--warehouse", type=Path, help="digest this warehouse (default: build one)")
    m = d.add_mutually_exclusive_group()
    m.add_argument("--methods-pages", help="regenerate these methods pages (risk,quality,...)")
    m.add_argument("--methods-dir", type=Path, help="digest an existing methods folder")
    d.add_argument("--n-boot", type=int, default=1000, help="bootstrap replicates (methods)")
    c = sub.add_parser("compare", help="name what differs between two digests")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    return digest(args) if args.command == "digest" else compare(args)


if __name__ == "__main__":
    sys.exit(main())
