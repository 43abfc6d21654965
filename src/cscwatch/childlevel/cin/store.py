"""Child-level (CIN census) tables: DDL, bulk load and the child store file.

The tables are declared in :mod:`cscwatch.childlevel.cin.tables` (the source of truth
for the contract in ``docs/child_level_schema.md``); this module makes their DDL. The
reader (:mod:`cscwatch.childlevel.cin.census`) hands over plain column lists of *text*
as it found them in the XML (identifiers already pseudonymised); this module types them
in one set-based step inside DuckDB:

* dates must be ``YYYY-MM-DD`` (``xs:date``); anything else present becomes NULL in
  the typed column and one row in ``cin_format_issue`` (field, record and the text
  found, cut to 40 characters: typed fields are dates, flags and numbers, never
  identifiers, which are pseudonymised before they get here);
* booleans accept ``true``/``false``/``1``/``0`` (case-insensitive), integers are
  whole numbers; the same rule applies to anything else.

Child-level data never goes into the published warehouse: it lives in the file named
by ``Settings.child_store`` (no default) or in an in-memory database.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from cscwatch.childlevel.cin.census import CinCensusReturn, read_cin_census
from cscwatch.childlevel.cin.flat import read_cin_census_columns
from cscwatch.childlevel.cin.tables import CHILD_TABLES, TABLE_KEYS, ColumnKind
from cscwatch.childlevel.pseudonym import Pseudonymiser, resolve_pseudonymiser
from cscwatch.core.config import Settings
from cscwatch.core.database import connect_duckdb, has_table, limit_memory, same_file
from cscwatch.core.errors import ConfigError, InputError, SourceFileError, WarehouseError
from cscwatch.core.progress import ProgressCallback, report

__all__ = [
    "CHILD_TABLES",
    "TABLE_KEYS",
    "ColumnKind",
    "child_level_ddl",
    "connect_child_store",
    "connect_scratch",
    "create_child_level_tables",
    "delete_return",
    "is_child_store",
    "load_child_level",
    "load_cin_census",
    "load_cin_census_files",
    "same_file",
    "stored_returns",
]

#: What :func:`load_cin_census_files` does with a different return for an authority and
#: collection year it already holds: keep both, refuse the new one, or replace the old.
SameYear = Literal["keep", "refuse", "replace"]

_SQL_TYPE: dict[str, str] = {
    "key": "INTEGER",
    "text": "VARCHAR",
    "date": "DATE",
    "bool": "BOOLEAN",
    "int": "INTEGER",
    "timestamp": "TIMESTAMP",
    "flag": "BOOLEAN",
    "count": "INTEGER",
}

_ARROW_TYPE: dict[str, pa.DataType] = {
    "key": pa.int32(),
    "text": pa.string(),
    "date": pa.string(),
    "bool": pa.string(),
    "int": pa.string(),
    "timestamp": pa.string(),
    "flag": pa.bool_(),
    "count": pa.int32(),
}

_FORMAT_ISSUE_DDL = """
CREATE TABLE IF NOT EXISTS cin_format_issue (
    return_id VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    child_seq INTEGER,
    field VARCHAR NOT NULL,
    record VARCHAR NOT NULL,
    expected VARCHAR NOT NULL,
    value VARCHAR
)
"""
# Stores made before findings carried their value gain the column (NULL for old rows).
_FORMAT_ISSUE_MIGRATE = "ALTER TABLE cin_format_issue ADD COLUMN IF NOT EXISTS value VARCHAR"
#: The longest value text a format finding keeps (a date, flag or number is far shorter).
FORMAT_VALUE_CHARS = 40

_DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TS_RE = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)


def child_level_ddl() -> str:
    """The ``CREATE TABLE IF NOT EXISTS`` statements for every child-level table."""
    parts = []
    for name, cols in CHILD_TABLES.items():
        body = ",\n    ".join(f"{c} {_SQL_TYPE[k]}" for c, k in cols.items())
        parts.append(f"CREATE TABLE IF NOT EXISTS {name} (\n    {body}\n)")
    parts.append(_FORMAT_ISSUE_DDL.strip())
    parts.append(_FORMAT_ISSUE_MIGRATE)
    return ";\n".join(parts) + ";\n"


def create_child_level_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every child-level table (and ``cin_format_issue``) if missing."""
    con.execute(child_level_ddl())


def connect_child_store(
    settings: Settings, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open the child store named by ``settings.child_store``, creating its tables.

    Raises
    ------
    ConfigError
        When no child store is configured (there is deliberately no default), or it is
        the warehouse file (checked before anything is opened).
    WarehouseError
        When the file cannot be opened (locked by another process, not DuckDB).

    With ``settings.memory_limit`` DuckDB is held to it; what does not fit is spilled to
    ``<store>.tmp`` beside the file (where the user chose to keep child-level data).
    """
    path = settings.child_store
    if path is None:
        raise ConfigError(
            "no child store configured: set CSCWATCH_CHILD_STORE or pass --child-store"
        )
    path = Path(path)
    if same_file(path, settings.warehouse):
        raise ConfigError(
            f"child store {path} is the published warehouse file: child-level data never "
            "goes into the warehouse, and the next build would replace it; choose another file"
        )
    if read_only and not path.exists():
        raise WarehouseError(f"child store {path} does not exist; load a return first")
    try:
        con = connect_duckdb(path, read_only=read_only)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open child store {path}: {exc}") from exc
    limit_memory(con, settings.memory_limit, path.with_name(path.name + ".tmp"))
    if not read_only:
        create_child_level_tables(con)
    return con


def connect_scratch(settings: Settings) -> duckdb.DuckDBPyConnection:
    """An in-memory database for child-level work on files, under ``settings.memory_limit``.

    Past the limit DuckDB spills to ``settings.cache_dir / "spill"`` (not the working
    folder; its files are removed when the connection closes).
    """
    return connect_duckdb(
        memory_limit=settings.memory_limit, temp_directory=settings.cache_dir / "spill"
    )


def is_child_store(path: Path | str) -> bool:
    """True when ``path`` is a DuckDB file holding child-level tables (``cin_return``)."""
    return has_table(path, "cin_return")


def delete_return(con: duckdb.DuckDBPyConnection, return_id: str) -> None:
    """Remove every row of one return (so a reload replaces it)."""
    for name in (*CHILD_TABLES, "cin_format_issue"):
        con.execute(f"DELETE FROM {name} WHERE return_id = ?", [return_id])


def _typed(column: str, kind: ColumnKind) -> str:
    # The SQL expression that types one staged text column (NULL when invalid).
    if kind == "date":
        return (
            f"CASE WHEN regexp_full_match({column}, '{_DATE_RE}') "
            f"THEN TRY_CAST({column} AS DATE) END"
        )
    if kind == "bool":
        return (
            f"CASE lower(trim({column})) WHEN 'true' THEN TRUE WHEN '1' THEN TRUE "
            f"WHEN 'false' THEN FALSE WHEN '0' THEN FALSE END"
        )
    if kind == "int":
        return (
            f"CASE WHEN regexp_full_match(trim({column}), '^[+-]?[0-9]{{1,9}}$') "
            f"THEN TRY_CAST(trim({column}) AS INTEGER) END"
        )
    if kind == "timestamp":
        return (
            f"CASE WHEN regexp_full_match({column}, '{_TS_RE}') "
            f"THEN TRY_CAST(left(replace({column}, 'T', ' '), 19) AS TIMESTAMP) END"
        )
    return column


_EXPECTED = {
    "date": "a date YYYY-MM-DD",
    "bool": "true, false, 1 or 0",
    "int": "a whole number",
    "timestamp": "a date-time YYYY-MM-DDThh:mm:ss",
}


def _record_expr(table: str) -> str:
    # A readable locator of the record, e.g. 'episode 2, assessment 1'.
    keys = [k for k in TABLE_KEYS[table] if k != "child_seq"]
    if not keys:
        return "'header'" if table == "cin_return" else "'child'"
    parts = [f"'{k.removesuffix('_seq').replace('s47', 'section 47')} ' || {k}" for k in keys]
    return " || ', ' || ".join(parts)


def load_child_level(
    con: duckdb.DuckDBPyConnection,
    *returns: Mapping[str, Mapping[str, Sequence[object]]],
) -> dict[str, int]:
    """Load parsed returns into the child-level tables, in bulk, in one transaction.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open child store or in-memory database; tables are created if missing.
    *returns : mapping of table name → mapping of column name → list
        One mapping per return, columns as :data:`CHILD_TABLES` declares them;
        ``date``/``bool``/``int`` columns hold the text found in the file (or None
        when the element was absent). ``cin_return`` holds one row. A return already
        loaded (same ``return_id``) is replaced. Passing many returns at once costs
        little more than passing one.

    Returns
    -------
    dict of table name → rows loaded.
    """
    for tables in returns:
        if len(tables["cin_return"]["return_id"]) != 1:
            raise ValueError("cin_return must hold exactly one row per return")
    return _load_staged(con, [_stage(tables) for tables in returns])


def _stage(
    tables: Mapping[str, Mapping[str, Sequence[object] | pa.Array]],
) -> dict[str, pa.Table]:
    # One return's column lists as one Arrow table per child-level table (text as
    # found, typed later in SQL). Done where the return was read, so that worker
    # processes hand back compact Arrow buffers rather than millions of Python objects.
    rid = str(tables["cin_return"]["return_id"][0])
    out: dict[str, pa.Table] = {}
    for name, cols in CHILD_TABLES.items():
        data = tables.get(name, {})
        n = len(next(iter(data.values()))) if data else 0
        arrays = []
        for col, kind in cols.items():
            values = data.get(col)
            if isinstance(values, pa.Array):
                arrays.append(values.cast(_ARROW_TYPE[kind]))
            elif values is not None:
                arrays.append(pa.array(values, type=_ARROW_TYPE[kind]))
            elif col == "return_id":
                arrays.append(pa.repeat(rid, n))
            else:
                arrays.append(pa.nulls(n, type=_ARROW_TYPE[kind]))
        out[name] = pa.Table.from_arrays(arrays, names=list(cols))
    return out


def _load_staged(
    con: duckdb.DuckDBPyConnection,
    staged: Sequence[dict[str, pa.Table]],
    drop: Sequence[str] = (),
) -> dict[str, int]:
    # Insert staged returns (see _stage) in one transaction of their own.
    create_child_level_tables(con)
    with _transaction(con):
        return _insert_staged(con, staged, drop)


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    # Everything inside is committed together, or (on any exception) rolled back.
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # keep the first error, not the rollback's
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _insert_staged(
    con: duckdb.DuckDBPyConnection,
    staged: Sequence[dict[str, pa.Table]],
    drop: Sequence[str] = (),
) -> dict[str, int]:
    # Insert staged returns inside the caller's transaction, replacing any loaded before
    # and deleting the returns ``drop`` names (replaced by these).
    ids = [str(s["cin_return"].column("return_id")[0]) for s in staged]
    if len(set(ids)) != len(ids):
        raise ValueError("the same return appears twice in one load")
    counts: dict[str, int] = {}
    loaded = con.execute(
        "SELECT count(*) FROM cin_return WHERE list_contains(?::VARCHAR[], return_id)",
        [ids],
    ).fetchall()[0][0]
    if loaded:
        for rid in ids:
            delete_return(con, rid)
    for rid in drop:
        delete_return(con, rid)
    for name, cols in CHILD_TABLES.items():
        counts[name] = _insert_table(con, name, cols, [s[name] for s in staged])
    return counts


def _insert_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    cols: dict[str, ColumnKind],
    parts: Sequence[pa.Table],
) -> int:
    # Every return's rows of one table, staged as Arrow, typed and inserted (with their
    # format issues) in two statements.
    parts = [t for t in parts if t.num_rows]
    if not parts:
        return 0
    staged = parts[0] if len(parts) == 1 else pa.concat_tables(parts)
    view = f"_stage_{name}"
    con.register(view, staged)
    try:
        select = ", ".join(f"{_typed(c, k)} AS {c}" for c, k in cols.items())
        con.execute(f"INSERT INTO {name} SELECT {select} FROM {view}")
        typed_cols = [c for c, k in cols.items() if k in _EXPECTED]
        if typed_cols:
            child = "child_seq" if "child_seq" in cols else "NULL::INTEGER"
            unions = " UNION ALL ".join(
                f"SELECT return_id, '{c}' AS field, ({_typed(c, cols[c])}) IS NULL "
                f"AND {c} IS NOT NULL AS bad, '{_EXPECTED[cols[c]]}' AS expected, "
                f"{child} AS child_seq, {_record_expr(name)} AS record, "
                f"left(CAST({c} AS VARCHAR), {FORMAT_VALUE_CHARS}) AS value FROM {view}"
                for c in typed_cols
            )
            con.execute(
                "INSERT INTO cin_format_issue "
                f"SELECT return_id, '{name}', child_seq, field, record, expected, value "
                f"FROM ({unions}) WHERE bad ORDER BY return_id, child_seq, record, field"
            )
    finally:
        con.unregister(view)
    return int(staged.num_rows)


def load_cin_census(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    settings: Settings,
    *,
    pseudonymiser: Pseudonymiser | None = None,
    keep_child_refs: bool = False,
) -> CinCensusReturn:
    """Read one CIN census XML return and load it into the child-level tables.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The child store (:func:`connect_child_store`) or an in-memory database.
    path : Path or str
        The XML return.
    settings : Settings
        Supplies the pseudonym key (see
        :func:`cscwatch.childlevel.pseudonym.resolve_pseudonymiser`).
    pseudonymiser : Pseudonymiser, optional
        Overrides the key from ``settings`` (tests, benchmarks).
    keep_child_refs : bool
        Keep the raw ``LAchildID`` per child in memory (never in a table) for the
        authority's own validation report.

    Raises
    ------
    SourceFileError
        Unreadable, malformed or hostile XML.
    ConfigError
        No pseudonym key and the file is not marked synthetic.
    """
    parsed = _read(path, settings, pseudonymiser=pseudonymiser, keep_child_refs=keep_child_refs)
    load_child_level(con, parsed.tables)
    return parsed


def load_cin_census_files(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path | str],
    settings: Settings,
    *,
    pseudonymiser: Pseudonymiser | None = None,
    batch: int = 25,
    workers: int | None = None,
    keep_child_refs: bool = False,
    require_reference_date: bool = False,
    same_year: SameYear = "keep",
    progress: ProgressCallback | None = None,
) -> list[CinCensusReturn]:
    """Read many returns and load them all in one transaction, ``batch`` files per insert.

    Parameters
    ----------
    workers : int, optional
        Processes that read files in parallel (reading is the slow, single-threaded
        part). By default one per CPU (at most four) when the files hold 64 MB of XML or
        more, otherwise 1: read in this process. Workers keep reading the next files
        while a batch is being inserted.
    keep_child_refs : bool
        Keep each file's raw ``LAchildID`` per child in memory (never in a table), for
        the authority's own validation report.
    require_reference_date : bool
        Refuse (``SourceFileError``) a return whose ``<ReferenceDate>`` is missing or not
        a date: a store's returns are measured by their collection year, so one without
        it would break every later measure. Validation alone leaves it to rule 100.
    same_year : {"keep", "refuse", "replace"}
        A return whose authority (``<LEA>``) and collection year are those of a
        *different* return already stored, or read before it in this call: ``"keep"``
        stores both (as validation does, to compare versions), ``"refuse"`` raises
        ``InputError`` naming the file, ``"replace"`` deletes the stored one in the
        transaction that inserts the new one. Two different returns for one authority
        and year in the same call are refused unless ``"keep"``. The same bytes again
        always replace themselves (nothing changes).
    progress : ProgressCallback, optional
        Told as each file is read (stage "reading returns", files done of all).

    Same errors as :func:`load_cin_census`. All or nothing: the files are inserted
    ``batch`` at a time (so memory stays bounded: DuckDB writes large inserts to the
    store as it goes and spills past ``settings.memory_limit``) inside one transaction,
    committed after the last file; a bad or refused file anywhere rolls every file of
    the call back, leaving the store as it was. Identical files are loaded once (a
    return is its bytes). The returned objects' column lists are emptied once loaded.
    """
    n = len(paths)
    if workers is None:
        # Starting processes costs a second or two: worth it only for a lot of XML.
        big = sum(_size(p) for p in paths) >= _PARALLEL_BYTES
        workers = min(os.cpu_count() or 1, 4, n) if big else 1
    out: list[CinCensusReturn] = []
    seen: set[str] = set()
    pending: list[dict[str, pa.Table]] = []
    drop: list[str] = []
    years: dict[tuple[str, int], Path] = {}  # authority and year → the file read for it
    create_child_level_tables(con)  # the stored returns are looked up as files are read
    report(progress, "reading returns", 0, n)
    reads = _read_all(paths, settings, pseudonymiser, workers, ahead=batch, keep=keep_child_refs)
    with contextlib.closing(reads), _transaction(con):
        for parsed, staged in reads:
            if require_reference_date and parsed.header.collection_year is None:
                raise SourceFileError(
                    "refused: <ReferenceDate> is missing or not a date (YYYY-MM-DD), so the "
                    "return's collection year is unknown; nothing of this load was stored",
                    path=str(parsed.path),
                    row=parsed.header.reference_date_line,
                    column="ReferenceDate",
                )
            out.append(parsed)
            report(progress, "reading returns", len(out), n)
            if parsed.return_id not in seen:  # a file given twice (or identical) loads once
                seen.add(parsed.return_id)
                if same_year != "keep":
                    drop += _same_year(con, parsed, years, replace=same_year == "replace")
                pending.append(staged)
            if len(out) % batch == 0 or len(out) == n:
                if pending:
                    _insert_staged(con, pending, drop)
                pending, drop = [], []
    return out


def _same_year(
    con: duckdb.DuckDBPyConnection,
    parsed: CinCensusReturn,
    years: dict[tuple[str, int], Path],
    *,
    replace: bool,
) -> list[str]:
    # The stored returns (other than this one) of this return's authority and year, to
    # delete when replacing; refused without ``replace``, and always for a second return
    # of the same authority and year in one load.
    la, year = (parsed.header.la_code or "").strip(), parsed.header.collection_year
    if not la or year is None:
        return []  # no authority or year to key it by: stored under its bytes alone
    label = f"LA {la}, {year - 1}-{str(year)[2:]}"
    first = years.setdefault((la, year), parsed.path)
    if first != parsed.path:
        raise InputError(
            f"{parsed.path}: a second, different return for {label} in one load (the "
            f"first: {first}); nothing of this load was stored"
        )
    stored = [
        str(r[0])
        for r in con.execute(
            "SELECT return_id FROM cin_return WHERE la_code = ? AND collection_year = ? "
            "AND return_id <> ? ORDER BY return_id",
            [la, year, parsed.return_id],
        ).fetchall()
    ]
    if stored and not replace:
        raise InputError(
            f"{parsed.path}: the child store already holds a different return for {label} "
            f"(return {stored[0]}); give --replace to replace it (nothing of this load was "
            "stored)"
        )
    return stored


def stored_returns(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, int | None]]:
    """Every return in a child store: return id → (LA code, collection year)."""
    create_child_level_tables(con)
    rows = con.execute("SELECT return_id, la_code, collection_year FROM cin_return").fetchall()
    return {str(r[0]): (r[1], r[2]) for r in rows}


def _read_all(
    paths: Sequence[Path | str],
    settings: Settings,
    pseudonymiser: Pseudonymiser | None,
    workers: int,
    *,
    ahead: int,
    keep: bool = False,
) -> Generator[tuple[CinCensusReturn, dict[str, pa.Table]], None, None]:
    # Each file read and staged, in the order given; with workers, up to ``ahead`` more
    # files are read while the caller loads.
    if workers <= 1:
        for p in paths:
            yield _read_staged(p, settings, pseudonymiser, keep)
        return
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing import get_context

    # spawn, not fork: the parent holds DuckDB's threads.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
    try:
        queue: deque[Future[tuple[CinCensusReturn, dict[str, pa.Table]]]] = deque()
        todo = iter(paths)
        for p in itertools.islice(todo, ahead + workers):
            queue.append(pool.submit(_read_staged, p, settings, pseudonymiser, keep))
        while queue:
            done = queue.popleft().result()
            for p in itertools.islice(todo, 1):
                queue.append(pool.submit(_read_staged, p, settings, pseudonymiser, keep))
            yield done
    finally:
        pool.shutdown(cancel_futures=True)


_PARALLEL_BYTES = 64 * 1024 * 1024


def _size(path: Path | str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0  # the reader reports the missing file


def _read_staged(
    path: Path | str,
    settings: Settings,
    pseudonymiser: Pseudonymiser | None,
    keep: bool = False,
) -> tuple[CinCensusReturn, dict[str, pa.Table]]:
    # Read one file (the fast way when it is plain: flat.py) and stage it as Arrow. Top-
    # level so a spawned process can run it; the key travels by pipe, never disk.
    parsed, tables = read_cin_census_columns(
        path, _chooser(settings, pseudonymiser), keep_child_refs=keep
    )
    return parsed, _stage(tables)


def _read(
    path: Path | str,
    settings: Settings,
    *,
    pseudonymiser: Pseudonymiser | None = None,
    keep_child_refs: bool = False,
) -> CinCensusReturn:
    return read_cin_census(path, _chooser(settings, pseudonymiser), keep_child_refs=keep_child_refs)


def _chooser(
    settings: Settings, pseudonymiser: Pseudonymiser | None
) -> Callable[[object], Pseudonymiser]:
    # The pseudonymiser for a file, given its header: the one passed, else the key's.
    def choose(header: object) -> Pseudonymiser:
        if pseudonymiser is not None:
            return pseudonymiser
        return resolve_pseudonymiser(settings, synthetic=bool(getattr(header, "synthetic", False)))

    return choose
