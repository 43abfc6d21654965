"""Read an SSDA903 return: the CSV set, identified by its columns, pseudonymised at once.

Each file is matched to a table of :mod:`.tables` by its header row (the set of field
names, in any order and case), never by its file name. Values are kept as text (dates are
parsed when staged); ``row_no`` is the record's line in its file (the header is line 1).
``CHILD`` and ``UPN`` are replaced by their keyed pseudonyms as they are read; the raw
``CHILD`` of each pseudonym is kept in memory only, for an authority's own report
(``--show-la-child-id``), and never stored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.childlevel.ssda903.tables import TABLES
from cscwatch.core.errors import SourceFileError

__all__ = ["Return903", "identify_table", "read_return"]

_BY_COLUMNS = {frozenset(spec.fields): name for name, spec in TABLES.items()}


@dataclass(frozen=True)
class Return903:
    """One return as read: text tables keyed by table name.

    Attributes
    ----------
    tables : dict of str to DataFrame
        DfE field names plus ``row_no``; ``CHILD`` and ``UPN`` pseudonymised.
    files : dict of str to Path
        The file each table came from.
    child_refs : dict of str to str
        Pseudonym to the authority's own ``CHILD`` (memory only, never stored).
    """

    tables: dict[str, pd.DataFrame]
    files: dict[str, Path]
    child_refs: dict[str, str] = field(default_factory=dict, repr=False)


def identify_table(columns: Sequence[str], path: Path) -> str:
    """The table whose fields are exactly ``columns`` (case and blanks ignored)."""
    names = frozenset(c.strip().lstrip("\ufeff").upper() for c in columns)
    table = _BY_COLUMNS.get(names)
    if table is None:
        raise SourceFileError(
            "columns match no SSDA903 table (expected the fields of one of: "
            + ", ".join(TABLES)
            + ")",
            path=str(path),
            row=1,
        )
    return table


def _read_csv(path: Path) -> tuple[str, pd.DataFrame]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise SourceFileError(f"cannot read: {exc.strerror}", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise SourceFileError(f"not UTF-8 text (byte {exc.start})", path=str(path)) from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise SourceFileError("empty file: no header row", path=str(path), row=1)
    header = [c.strip().upper() for c in rows[0]]
    table = identify_table(header, path)
    records = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise SourceFileError(
                f"{len(row)} values where the header has {len(header)}", path=str(path), row=line
            )
        records.append([line, *row])
    frame = pd.DataFrame(records, columns=["row_no", *header], dtype=object)
    frame["row_no"] = frame["row_no"].astype("int64")
    return table, frame


def read_return(paths: Sequence[Path], *, pseudonymiser: Pseudonymiser) -> Return903:
    """Read the CSV files of one return, pseudonymising ``CHILD`` and ``UPN`` at once.

    Parameters
    ----------
    paths : sequence of Path
        The return's CSV files, in any order and with any names.
    pseudonymiser : Pseudonymiser
        The keyed hash shared with the CIN census (so a child links across returns).

    Raises
    ------
    SourceFileError
        A file cannot be read, matches no table, or two files hold the same table.
    """
    tables: dict[str, pd.DataFrame] = {}
    files: dict[str, Path] = {}
    refs: dict[str, str] = {}
    for path in paths:
        table, frame = _read_csv(Path(path))
        if table in tables:
            raise SourceFileError(
                f"holds the {table} table, as {files[table]} does: give one file per table",
                path=str(path),
            )
        raw = [None if pd.isna(v) else str(v) for v in frame["CHILD"]]
        hashed = pseudonymiser.many(raw)
        refs.update({h: r.strip() for h, r in zip(hashed, raw, strict=True) if h and r})
        frame["CHILD"] = hashed
        if "UPN" in frame.columns:
            frame["UPN"] = pseudonymiser.many(
                [None if pd.isna(v) else str(v) for v in frame["UPN"]], upper=True
            )
        tables[table] = frame
        files[table] = Path(path)
    return Return903(tables, files, refs)
