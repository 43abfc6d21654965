"""Keep ``data/snapshot/manifest.json`` in step with the files in the snapshot.

Recomputes ``sha256`` and ``bytes`` of every listed file and keeps every hand-written
field (title, publisher, url, note, ...). A file in the folder that is not listed is an
error: describe it first, by hand or with ``add``.

Usage::

    python scripts/make_manifest.py                 # rehash every listed file
    python scripts/make_manifest.py --check         # exit 1 if anything would change
    python scripts/make_manifest.py add FILE --publisher ONS --title "..." \\
        --derived-from SOURCE [--derived-from SOURCE ...] --command "python scripts/x.py"

``add`` without ``--derived-from`` adds a published file (give ``--url`` if there is
a download address).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cscwatch.core.errors import CscwatchError  # noqa: E402
from cscwatch.ingest.snapshot import (  # noqa: E402
    ManifestEntry,
    file_digest,
    load_manifest,
    refresh_manifest,
    write_manifest,
)

DEFAULT_DIR = ROOT / "data" / "snapshot"


def _add(args: argparse.Namespace) -> int:
    directory: Path = args.dir
    path = directory / args.file
    if not path.is_file():
        print(f"error: {path} does not exist", file=sys.stderr)
        return 2
    manifest = load_manifest(directory)
    if args.file in manifest.names and not args.replace:
        print(f"error: {args.file} is already listed (use --replace)", file=sys.stderr)
        return 2
    digest, size = file_digest(path)
    entry = ManifestEntry(
        file=args.file,
        publisher=args.publisher,
        title=args.title,
        retrieved=date.fromisoformat(args.retrieved) if args.retrieved else date.today(),
        sha256=digest,
        bytes=size,
        url=args.url,
        source_page=args.source_page,
        note=args.note,
        kind="derived" if args.derived_from else "published",
        derived_from=args.derived_from or None,
        command=args.command,
    )
    write_manifest(directory, manifest.replace(entry))
    print(f"added {args.file} ({entry.kind}, {size} bytes)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="snapshot folder")
    ap.add_argument("--check", action="store_true", help="report changes, write nothing")
    sub = ap.add_subparsers(dest="action")
    add = sub.add_parser("add", help="describe a new file and hash it")
    add.add_argument("file", help="file name inside the snapshot folder")
    add.add_argument("--publisher", required=True, choices=["DfE", "ONS", "Ofsted"])
    add.add_argument("--title", required=True, help="the publication's own title")
    add.add_argument("--url", help="download address of newer releases")
    add.add_argument("--source-page", help="the publication's landing page")
    add.add_argument("--note")
    add.add_argument("--retrieved", help="YYYY-MM-DD (default today)")
    add.add_argument("--derived-from", action="append", default=[], metavar="SOURCE")
    add.add_argument("--command", help="command (from the repo root) that remakes the file")
    add.add_argument("--replace", action="store_true", help="overwrite an existing entry")
    args = ap.parse_args(argv)
    try:
        if args.action == "add":
            return _add(args)
        changed = refresh_manifest(args.dir, check=args.check)
    except CscwatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # pydantic validation of an ``add`` entry
        print(f"error: {exc}", file=sys.stderr)
        return 2
    verb = "would update" if args.check else "updated"
    for name in changed:
        print(f"{verb} {name}")
    if not changed:
        print("manifest up to date")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
