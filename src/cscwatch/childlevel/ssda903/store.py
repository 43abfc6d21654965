"""SSDA903 returns side by side in DuckDB: in memory for one authority, or in the child store.

**In memory** (:func:`load_returns`, ``cscwatch cla journeys FOLDERS``). Care journeys
(:mod:`.journeys`) follow children across years, so the returns' episodes and headers are
written side by side, each row marked with the collection year of the return it came
from:

* ``cla_return(year, collection_end)`` — one row per return;
* ``cla_episode(year, child, decom, dec, rne, ls, cin, place, place_provider, rec)``;
* ``cla_header(year, child, dob, sex)``.

``child`` is the keyed pseudonym the reader gives (:func:`.reader.read_return`), the same
hash as the CIN census, so a child links across years and to the CIN census; no raw
identifier is written. Dates are DuckDB dates (NULL when absent or invalid). The tables
are ordinary tables of the connection given: in memory for ``cscwatch cla journeys``.

**In the child store** (:func:`load_store_returns`, ``cscwatch cla load``): every table
of every authority's returns for every year, keyed by ``(la_code, year)``, in the file
named by ``Settings.child_store`` (the CIN census child store may be the same file):

* ``ssda903_return(la_code, year, return_id, collection_end, synthetic, children,
  episodes, loaded_at)`` — one row per authority and collection year;
* ``ssda903_<table>(la_code, year, row_no, <fields>, <date fields>_d)`` for each table of
  :data:`~.tables.TABLES` (``ssda903_episodes``, ``ssda903_header``...): exactly the
  layout :func:`.engine.stage` gives a return (text trimmed, empty as NULL, dates parsed),
  so the measures and journeys read a stored return as they read a staged one.

A return is its files' bytes (``return_id``: SHA-256 over the sorted SHA-256 of each
file). Loading the same return again changes nothing; a different return for an
authority-year already stored is refused unless ``replace`` is given; a return with
children already stored under another authority-year is refused (a mislabelled folder),
while an empty return (no children: the Isles of Scilly's, year after year) may repeat
its bytes; the store changes in one transaction (the rows are staged in a file beside
the store first, so memory does not grow with the load). ``CHILD`` and ``UPN`` are the
reader's keyed pseudonyms; no raw identifier is written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from cscwatch.childlevel.cin.measures import AuthorityInfo
from cscwatch.childlevel.pseudonym import Pseudonymiser, resolve_pseudonymiser
from cscwatch.childlevel.ssda903.engine import stage, stage_postcodes
from cscwatch.childlevel.ssda903.measure_results import ClaMeasures
from cscwatch.childlevel.ssda903.measures import (
    MEASURED_PREVIOUS_TABLES,
    MEASURED_TABLES,
    measure_inputs,
)
from cscwatch.childlevel.ssda903.postcodes import PostcodeReference
from cscwatch.childlevel.ssda903.reader import read_return, return_files
from cscwatch.childlevel.ssda903.tables import TABLES
from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.core.progress import ProgressCallback, tick

__all__ = [
    "RETURN_TABLE",
    "ReturnSource",
    "ReturnYear",
    "StoredReturn",
    "folder_return",
    "has_cla_store",
    "infer_collection_year",
    "load_returns",
    "load_store_returns",
    "measure_store",
    "pseudonymise_sw_id",
    "return_digest",
    "store_table",
    "stored_postcodes",
    "stored_returns",
    "stored_years",
]

#: The child store's table of SSDA903 returns, one row per authority and collection year.
RETURN_TABLE = "ssda903_return"
_RETURN_DDL = f"""
CREATE TABLE IF NOT EXISTS {RETURN_TABLE} (
    la_code VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    return_id VARCHAR NOT NULL,
    collection_end DATE NOT NULL,
    synthetic BOOLEAN NOT NULL,
    children INTEGER NOT NULL,
    episodes INTEGER NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    tables VARCHAR[],
    source_format VARCHAR,
    PRIMARY KEY (la_code, year)
)
"""
# A folder as ``cla synth`` names it: OUT/<LA number>_<collection year>/.
_FOLDER = re.compile(r"^(\d{3})_(\d{4})$")


@dataclass(frozen=True)
class ReturnYear:
    """One return to load: its collection year (ending 31 March) and its tables."""

    year: int
    tables: Mapping[str, pd.DataFrame]


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.astype("string").str.strip(), format="%d/%m/%Y", errors="coerce")


def _text(series: pd.Series) -> pd.Series:
    # Trimmed text, empty as NULL (as engine.stage stages it).
    stripped = series.astype("string").str.strip()
    return stripped.where(stripped != "", None)


def infer_collection_year(tables: Mapping[str, pd.DataFrame]) -> int:
    """The collection year of a return: the year ending 31 March holding its latest DECOM.

    Every episode of a return starts on or before the end of its collection year, and a
    return always holds the episodes open at that year's start, so the latest start is
    in the collection year unless nothing started in it (then give the year yourself).

    Raises
    ------
    InputError
        When the return has no episode with a valid DECOM.
    """
    episodes = tables.get("episodes")
    latest = None if episodes is None else _dates(episodes["DECOM"]).max()
    if latest is None or pd.isna(latest):
        raise InputError("cannot tell the collection year: no episode has a valid DECOM")
    return int(latest.year + (1 if latest.month >= 4 else 0))


def load_returns(con: duckdb.DuckDBPyConnection, returns: Sequence[ReturnYear]) -> None:
    """Write the returns' episodes and headers as ``cla_return``, ``cla_episode``, ``cla_header``.

    Raises
    ------
    InputError
        Two returns for the same year, or a return without an episodes table.
    """
    years = [r.year for r in returns]
    if len(set(years)) != len(years):
        twice = sorted({y for y in years if years.count(y) > 1})
        raise InputError(f"two returns for the same collection year: {twice}")
    eps, heads = [], []
    for r in returns:
        if "episodes" not in r.tables:
            raise InputError(f"the {r.year} return has no episodes table")
        e = r.tables["episodes"]
        eps.append(
            pd.DataFrame(
                {
                    "year": r.year,
                    "child": e["CHILD"].astype("string"),
                    "decom": _dates(e["DECOM"]),
                    "dec": _dates(e["DEC"]),
                    **{
                        k.lower(): _text(e[k])
                        for k in ("RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "REC")
                    },
                }
            )
        )
        h = r.tables.get("header")
        if h is not None:
            heads.append(
                pd.DataFrame(
                    {
                        "year": r.year,
                        "child": h["CHILD"].astype("string"),
                        "dob": _dates(h["DOB"]),
                        "sex": h["SEX"].astype("string").str.strip(),
                    }
                )
            )
    episode = pd.concat(eps, ignore_index=True)
    header = (
        pd.concat(heads, ignore_index=True)
        if heads
        else pd.DataFrame({"year": [], "child": [], "dob": [], "sex": []})
    )
    ret = pd.DataFrame({"year": years, "collection_end": [date(y, 3, 31) for y in years]})
    for name, frame in (("cla_return", ret), ("cla_episode", episode), ("cla_header", header)):
        con.register("_incoming", frame)
        try:
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _incoming")
        finally:
            con.unregister("_incoming")
    con.execute(
        "ALTER TABLE cla_episode ALTER decom TYPE DATE; ALTER TABLE cla_episode ALTER dec TYPE DATE"
    )
    con.execute("ALTER TABLE cla_header ALTER dob TYPE DATE")
    con.execute("ALTER TABLE cla_return ALTER collection_end TYPE DATE")


# ---------------------------------------------------------------------------------------
# The persistent store: every authority's returns, keyed by (la_code, year).


def store_table(name: str) -> str:
    """The child store's table holding every stored return's ``name`` table (``episodes``)."""
    if name not in TABLES:
        raise ValueError(f"unknown SSDA903 table {name!r}")
    return f"ssda903_{name}"


@dataclass(frozen=True)
class ReturnSource:
    """One return to store: its files (or folder), authority and collection year.

    ``year`` None: the folder's name (``<LA>_<year>``) or, failing that, the year of the
    latest DECOM (:func:`infer_collection_year`).
    """

    paths: tuple[Path, ...]
    la_code: str
    year: int | None = None


@dataclass(frozen=True)
class StoredReturn:
    """What a load did with one return.

    Attributes
    ----------
    source : str
        The folder or first file given.
    la_code, year : str, int
        The authority (LA number) and collection year (ending 31 March) it is stored as.
    return_id : str
        SHA-256 of the files' bytes (:func:`return_digest`).
    status : str
        ``loaded`` (new), ``replaced`` (another return for the authority-year was
        replaced, with ``replace``) or ``unchanged`` (already stored: nothing written).
    children, episodes : int
        Children (header rows) and episodes in the return, exact (disclose before
        showing).
    synthetic : bool
        Marked synthetic (written by ``cscwatch cla synth``).
    """

    source: str
    la_code: str
    year: int
    return_id: str
    status: str
    children: int
    episodes: int
    synthetic: bool

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dictionary."""
        return asdict(self)

    @property
    def summary(self) -> str:
        """One line for people (exact counts: for the authority's own use)."""
        return f"LA {self.la_code} {self.year}: {self.status} ({self.source})"


def folder_return(path: Path) -> tuple[str, int] | None:
    """The LA number and collection year a folder's name gives (``202_2024``), else None."""
    found = _FOLDER.match(Path(path).name)
    return (found.group(1), int(found.group(2))) if found else None


def return_digest(files: Sequence[Path]) -> str:
    """SHA-256 over the sorted SHA-256 of each file's bytes: the same files in any order
    or under any names give the same id."""
    parts = []
    for f in files:
        h = hashlib.sha256()
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        parts.append(h.hexdigest())
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()


def has_cla_store(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the connection's database holds SSDA903 store tables."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
        [RETURN_TABLE],
    ).fetchone()
    return bool(found and found[0])


def stored_returns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The stored returns: ``la_code, year, return_id, collection_end, synthetic, children,
    episodes, loaded_at`` by authority and year (empty without a store)."""
    if not has_cla_store(con):
        return pd.DataFrame(
            columns=[
                "la_code",
                "year",
                "return_id",
                "collection_end",
                "synthetic",
                "children",
                "episodes",
                "loaded_at",
            ]
        )
    return con.execute(f"SELECT * FROM {RETURN_TABLE} ORDER BY la_code, year").df()


def _create_store(con: duckdb.DuckDBPyConnection) -> None:
    # The return table, and one table per SSDA903 table in the staged layout (taken from
    # the temp tables engine.stage has just made, so the two cannot drift apart).
    con.execute(_RETURN_DDL)
    # A store made before these columns: its returns' tables and format are unknown (NULL).
    con.execute(f"ALTER TABLE {RETURN_TABLE} ADD COLUMN IF NOT EXISTS tables VARCHAR[]")
    con.execute(f"ALTER TABLE {RETURN_TABLE} ADD COLUMN IF NOT EXISTS source_format VARCHAR")
    for name in TABLES:
        target = store_table(name)
        staged = [r[0] for r in con.execute(f"DESCRIBE temp.main.{name}").fetchall()]
        types = {r[0]: r[1] for r in con.execute(f"DESCRIBE temp.main.{name}").fetchall()}
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {target} AS SELECT ''::VARCHAR AS la_code, "
            f"0::INTEGER AS year, * FROM temp.main.{name} LIMIT 0"
        )
        have = {r[0] for r in con.execute(f"DESCRIBE {target}").fetchall()}
        for col in staged:  # a store made before a field was added gains it (NULL)
            if col not in have:
                con.execute(f'ALTER TABLE {target} ADD COLUMN "{col}" {types[col]}')


def _delete(con: duckdb.DuckDBPyConnection, la_code: str, year: int) -> None:
    for name in TABLES:
        con.execute(
            f"DELETE FROM {store_table(name)} WHERE la_code = ? AND year = ?", [la_code, year]
        )
    con.execute(f"DELETE FROM {RETURN_TABLE} WHERE la_code = ? AND year = ?", [la_code, year])


def _stored(con: duckdb.DuckDBPyConnection, la_code: str, year: int) -> tuple[Any, ...] | None:
    # (return_id, children, episodes, synthetic) of the stored return, if any.
    if not has_cla_store(con):
        return None
    return con.execute(
        f"SELECT return_id, children, episodes, synthetic FROM {RETURN_TABLE} "
        "WHERE la_code = ? AND year = ?",
        [la_code, year],
    ).fetchone()


def _stored_as(con: duckdb.DuckDBPyConnection, return_id: str) -> tuple[str, int] | None:
    if not has_cla_store(con):
        return None
    row = con.execute(
        # a return with children only: an empty return's files (headers alone) are the
        # same bytes for every authority and year, so they name no authority-year
        f"SELECT la_code, year FROM {RETURN_TABLE} WHERE return_id = ? AND children > 0",
        [return_id],
    ).fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


def load_store_returns(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[ReturnSource],
    settings: Settings,
    *,
    replace: bool = False,
    progress: ProgressCallback | None = None,
) -> list[StoredReturn]:
    """Read returns, pseudonymising identifiers, and store them in one transaction.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The child store (:func:`cscwatch.childlevel.cin.store.connect_child_store`).
    sources : sequence of ReturnSource
        One per return; each is read by :func:`.reader.read_return` (CSV set or XML
        export) with the key ``settings`` gives (the public demo key only for a return
        marked synthetic).
    settings : Settings
        Supplies the pseudonym key.
    replace : bool
        Replace a different return already stored for the same authority and year
        (without it, that is refused and nothing is loaded).
    progress : ProgressCallback, optional
        Told as each return is stored (stage "loading returns").

    Returns
    -------
    list of StoredReturn
        One per source, in order.

    Raises
    ------
    InputError
        Another return stored for an authority-year (without ``replace``), the same
        return given for two authority-years or stored as another, two returns for one
        authority-year in one load, or a return without episodes. Nothing is loaded.
    SourceFileError, ConfigError
        As :func:`.reader.read_return`. Nothing is loaded.
    """
    out: list[StoredReturn] = []
    seen: dict[tuple[str, int], str] = {}
    ids: dict[str, tuple[str, int]] = {}
    pending: list[_Pending] = []
    staged: list[_Pending] = []
    _attach_staging(con)
    try:
        for src in tick(sources, progress, "loading returns"):
            done = _check_one(con, src, settings, replace=replace, seen=seen, ids=ids)
            if isinstance(done, StoredReturn):
                out.append(done)
                continue
            pending.append(done)
            if len(pending) == _BATCH:
                staged += _stage_batch(con, pending)
                pending = []
        staged += _stage_batch(con, pending)
        if staged:
            con.execute("BEGIN TRANSACTION")
            try:
                out += _insert(con, staged)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
    finally:
        _detach_staging(con)
    order = {str(s.paths[0]): i for i, s in enumerate(sources)}
    return sorted(out, key=lambda r: order.get(r.source, 0))


#: Returns staged together (their rows numbered apart: see _stage_batch).
_BATCH = 100
# The load's staging database: every return's rows are written there batch by batch,
# committed as they go, then copied into the store in one transaction. Many small
# inserts inside one transaction keep every row in memory until the commit (about 370
# MiB per national year of returns, whatever the memory limit); one INSERT ... SELECT
# writes full row groups to disk as it goes, so the load stays all-or-nothing in
# bounded memory. The file sits beside the store (where the user keeps child-level
# data) and is deleted when the load ends, however it ends.
_STAGING = "_ssda903_loading"
# Staging a batch as one return, a record's row number becomes (return's place in the
# batch) * _ROWS + row number; the INSERT splits it again. Staging keeps INTEGER row
# numbers, so _BATCH * _ROWS must stay below 2**31.
_ROWS = 10_000_000


@dataclass(frozen=True)
class _Pending:
    # A return read and checked, waiting for its batch's insert.
    label: str
    la_code: str
    year: int
    return_id: str
    replaces: bool
    tables: Mapping[str, pd.DataFrame]
    synthetic: bool
    source_format: str
    children: int = 0
    episodes: int = 0
    table_names: tuple[str, ...] = ()


def _check_one(
    con: duckdb.DuckDBPyConnection,
    src: ReturnSource,
    settings: Settings,
    *,
    replace: bool,
    seen: dict[tuple[str, int], str],
    ids: dict[str, tuple[str, int]],
) -> StoredReturn | _Pending:
    # Read one return and check it against the store: already stored (a StoredReturn,
    # unchanged), or read and waiting to be inserted.
    files = return_files(src.paths)
    label = str(src.paths[0])
    rid = return_digest(files)
    year = src.year
    if year is None and len(src.paths) == 1 and (named := folder_return(src.paths[0])):
        year = named[1]
    ret = None
    if year is None:
        ret = read_return(files, settings=settings)
        year = infer_collection_year(ret.tables)
    key = (src.la_code, year)
    if key in seen:
        raise InputError(
            f"{label}: a second return for LA {src.la_code}, {year} in one load "
            f"(the first: {seen[key]}); nothing was loaded"
        )
    seen[key] = label
    row = _stored(con, *key)
    stored = None if row is None else str(row[0])
    if row is not None and stored == rid:
        return StoredReturn(label, *key, rid, "unchanged", int(row[1]), int(row[2]), bool(row[3]))
    elsewhere, where = _stored_as(con, rid), "already stored"
    if elsewhere is None and rid in ids:
        elsewhere, where = ids[rid], "given in this load"
    if elsewhere is not None and elsewhere != key:
        raise InputError(
            f"{label}: this return is {where} as LA {elsewhere[0]}, {elsewhere[1]}; "
            "nothing was loaded"
        )
    if stored is not None and not replace:
        raise InputError(
            f"{label}: the child store already holds a different return for LA "
            f"{src.la_code}, {year}; give --replace to replace it (nothing was loaded)"
        )
    if ret is None:
        ret = read_return(files, settings=settings)
    if "episodes" not in ret.tables:
        raise InputError(f"{label}: the return has no episodes table; nothing was loaded")
    for name, frame in ret.tables.items():
        if len(frame) and int(frame["row_no"].max()) >= _ROWS:
            raise InputError(f"{label}: the {name} table has {_ROWS:,} rows or more")
    if "header" in ret.tables and len(ret.tables["header"]):
        ids[rid] = key  # a return with children names one authority-year in this load too
    tables = dict(ret.tables)
    if "sw_episodes" in tables:
        tables["sw_episodes"] = pseudonymise_sw_id(
            tables["sw_episodes"], resolve_pseudonymiser(settings, synthetic=ret.synthetic)
        )
    return _Pending(label, *key, rid, stored is not None, tables, ret.synthetic, ret.source_format)


def _staging_path(con: duckdb.DuckDBPyConnection) -> str:
    # The staging file beside the store's file (in memory for an in-memory store).
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return ":memory:" if row is None or not row[0] else f"{row[0]}.loading"


def _attach_staging(con: duckdb.DuckDBPyConnection) -> None:
    path = _staging_path(con)
    if path != ":memory:":
        for leftover in (Path(path), Path(path + ".wal")):  # a load killed before
            leftover.unlink(missing_ok=True)
    literal = path.replace("'", "''")
    con.execute(f"ATTACH '{literal}' AS {_STAGING}")


def _detach_staging(con: duckdb.DuckDBPyConnection) -> None:
    path = _staging_path(con)
    con.execute(f"DETACH DATABASE IF EXISTS {_STAGING}")
    if path != ":memory:":
        for f in (Path(path), Path(path + ".wal")):
            f.unlink(missing_ok=True)


def _stage_batch(con: duckdb.DuckDBPyConnection, batch: Sequence[_Pending]) -> list[_Pending]:
    # Stage a batch of returns as one with engine.stage (the typing every reader of a
    # staged return relies on), then write each table's rows under their return's key
    # to the staging database (committed: see _STAGING). Returns the batch without its
    # frames (what the final insert needs).
    if not batch:
        return []
    merged: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        parts = [
            p.tables[name].assign(row_no=p.tables[name]["row_no"] + i * _ROWS)
            for i, p in enumerate(batch)
            if name in p.tables and len(p.tables[name])
        ]
        if parts:
            merged[name] = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    stage(con, "lac2022_23", merged, None, year=batch[0].year)
    keys = pd.DataFrame(
        {
            "i": range(len(batch)),
            "la_code": [p.la_code for p in batch],
            "year": [p.year for p in batch],
        }
    )
    con.register("_batch_keys", keys)
    try:
        for name in TABLES:
            rows = (
                "SELECT k.la_code::VARCHAR AS la_code, k.year::INTEGER AS year, t.* REPLACE "
                f"(t.row_no % {_ROWS} AS row_no) FROM temp.main.{name} t JOIN _batch_keys k "
                f"ON k.i = t.row_no // {_ROWS} ORDER BY t.row_no"
            )
            con.execute(f"CREATE TABLE IF NOT EXISTS {_STAGING}.{name} AS {rows} LIMIT 0")
            con.execute(f"INSERT INTO {_STAGING}.{name} BY NAME {rows}")
    finally:
        con.unregister("_batch_keys")
    # the counts the return table keeps; the frames are not needed any more
    return [
        dataclasses.replace(
            p,
            tables={},
            table_names=tuple(sorted(p.tables)),
            children=len(p.tables["header"]) if "header" in p.tables else 0,
            episodes=len(p.tables["episodes"]),
        )
        for p in batch
    ]


def _insert(con: duckdb.DuckDBPyConnection, staged: Sequence[_Pending]) -> list[StoredReturn]:
    # Inside the load's transaction: replace what is replaced, copy the staged rows into
    # the store (in the order staged) and record each return.
    _create_store(con)  # from the temp tables engine.stage made for the last batch
    for p in staged:
        if p.replaces:
            _delete(con, p.la_code, p.year)
    for name in TABLES:
        con.execute(f"INSERT INTO {store_table(name)} BY NAME SELECT * FROM {_STAGING}.{name}")
    out = []
    for p in staged:
        children, episodes = p.children, p.episodes
        con.execute(
            f"INSERT INTO {RETURN_TABLE} (la_code, year, return_id, collection_end, synthetic, "
            "children, episodes, loaded_at, tables, source_format) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?)",
            [p.la_code, p.year, p.return_id, date(p.year, 3, 31), p.synthetic, children,
             episodes, list(p.table_names), p.source_format],
        )  # fmt: skip
        status = "replaced" if p.replaces else "loaded"
        out.append(
            StoredReturn(p.label, p.la_code, p.year, p.return_id, status, children, episodes,
                         p.synthetic)
        )  # fmt: skip
    return out


#: What a stored SW_ID keeps of the raw value besides its pseudonym: its first two
#: characters, all the format rule (SW02: begins ``SW`` or ``XX``) reads.
SW_ID_PREFIX = 2


def pseudonymise_sw_id(frame: pd.DataFrame, pseudonymiser: Pseudonymiser) -> pd.DataFrame:
    """``SW_ID`` as the store keeps it: its first two characters, ``:`` and the keyed
    pseudonym of the whole value (``SW:3f9a...``); blank stays blank.

    A social worker's identifier is not a child's, but it names a person, so the store
    keeps no raw value. The only rule reading more than its presence (SW02 of 2023-24 on:
    it begins ``SW`` or ``XX``) reads its first two characters, which are kept; the rest
    is the keyed hash (namespaced ``sw:`` so it never equals a child's pseudonym), so
    two episodes of one worker still match.
    """
    if "SW_ID" not in frame.columns:
        return frame
    raw = frame["SW_ID"].astype("string").str.strip()
    values = [None if pd.isna(v) or v == "" else str(v) for v in raw]
    hashed = pseudonymiser.many([None if v is None else f"sw:{v}" for v in values])
    kept = [
        None if v is None else f"{v[:SW_ID_PREFIX]}:{h}"
        for v, h in zip(values, hashed, strict=True)
    ]
    return frame.assign(SW_ID=pd.Series(kept, index=frame.index, dtype=object))


# ---------------------------------------------------------------------------------------
# Measures of stored returns: every authority's return of a year at once, over views.


def stored_years(
    con: duckdb.DuckDBPyConnection, la_codes: Sequence[str] | None = None
) -> list[int]:
    """The collection years of the stored returns (of every authority, or those given),
    in order.

    Raises
    ------
    InputError
        When the store holds no SSDA903 return (of those authorities).
    """
    stored = stored_returns(con)
    if la_codes is not None:
        stored = stored[stored["la_code"].astype(str).isin(list(la_codes))]
    years = sorted({int(y) for y in stored["year"]})
    if not years:
        whose = "" if la_codes is None else f" for LA {', '.join(la_codes)}"
        raise InputError(f"the child store holds no SSDA903 return{whose}")
    return years


def stored_postcodes(
    con: duckdb.DuckDBPyConnection,
    year: int | Sequence[int],
    la_codes: Sequence[str] | None = None,
) -> set[str]:
    """The home and placement postcodes of the stored episodes of ``year`` (one or
    several) and the year before each (every authority, or those given), to look up once
    for the distance layout."""
    years = [year] if isinstance(year, int) else list(year)
    where = "list_contains(?::INTEGER[], year)"
    params: list[Any] = [sorted({y for x in years for y in (x, x - 1)})]
    if la_codes is not None:
        where += " AND list_contains(?::VARCHAR[], la_code)"
        params.append(list(la_codes))
    rows = con.execute(
        f"SELECT DISTINCT p FROM (SELECT unnest([home_post, pl_post]) AS p "
        f"FROM {store_table('episodes')} WHERE {where}) WHERE p IS NOT NULL",
        params,
    ).fetchall()
    return {str(r[0]) for r in rows}


def measure_store(
    con: duckdb.DuckDBPyConnection,
    year: int,
    la_codes: Sequence[str] | None = None,
    *,
    postcodes: PostcodeReference | None = None,
    authorities: Mapping[str, AuthorityInfo] | None = None,
    population: Callable[[str], int | None] | None = None,
    progress: ProgressCallback | None = None,
) -> list[ClaMeasures]:
    """The published measures of every stored return of ``year`` (or those authorities').

    Every authority's return is measured at once by :func:`.measures.measure_inputs`
    over views of the store (each query grouped by authority): the same SQL, the same
    figures as ``cscwatch cla measures FILES --previous DIR`` on the files that were
    loaded, the previous year's return being the same authority's stored one (without it
    the two-year stability measures are not computed and the notes say so).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The child store (read-only is enough: staging uses temporary tables).
    year : int
        Collection year ending 31 March.
    la_codes : sequence of str, optional
        LA numbers; by default every authority with a stored return for ``year``.
    postcodes : PostcodeReference, optional
        Reference postcodes (:func:`stored_postcodes`,
        :func:`.postcodes.reference_postcodes`) for the distance layout.
    authorities : mapping of LA number to AuthorityInfo, optional
        Codes and names for the geography columns.
    population : callable, optional
        LA number → children 0-17 its rates divide by
        (:func:`.measures.population_lookup`); without it rates are ``x``.
    progress : ProgressCallback, optional
        Told as each layout is computed, for every authority at once (stage
        "computing measures").

    Raises
    ------
    InputError
        When the store holds no return of ``year`` (for an authority asked for).
    """
    stored = stored_returns(con)
    have = set(stored.loc[stored["year"] == year, "la_code"].astype(str))
    if la_codes is None:
        wanted = sorted(have)
        if not wanted:
            raise InputError(f"the child store holds no SSDA903 return for the year {year}")
    else:
        wanted = list(la_codes)
        missing = [c for c in wanted if c not in have]
        if missing:
            raise InputError(
                f"the child store holds no SSDA903 return for LA {', '.join(missing)}, {year}"
            )
    if postcodes is not None:
        stage_postcodes(con, postcodes.grid, grid=True, district=postcodes.district)
    listed = ", ".join("'" + c.replace("'", "''") + "'" for c in wanted)
    for names, suffix, y in ((MEASURED_TABLES, "", year),
                             (MEASURED_PREVIOUS_TABLES, "_last", year - 1)):  # fmt: skip
        for name in names:
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW _cm_in_{name}{suffix} AS SELECT la_code AS _la, "
                f"* EXCLUDE (la_code, year) FROM {store_table(name)} "
                f"WHERE year = {int(y)} AND la_code IN ({listed})"
            )
    before = set(stored.loc[stored["year"] == year - 1, "la_code"].astype(str))
    return measure_inputs(
        con,
        year,
        wanted,
        previous=before & set(wanted),
        has_postcodes=postcodes is not None,
        authorities=authorities,
        populations={la: None if population is None else population(la) for la in wanted},
        progress=progress,
    )
