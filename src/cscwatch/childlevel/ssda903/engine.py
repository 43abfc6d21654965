"""Stage an SSDA903 return in DuckDB and run the validation rules on it as set operations.

A return arrives here as text tables (one :class:`pandas.DataFrame` of strings per table,
columns named as DfE names the fields, a ``row_no`` column saying where each record sits
in its file) with child identifiers already pseudonymised by the reader. :func:`stage`
writes them as temporary tables (the layout of :mod:`.tables`); :func:`run_rules` runs
every rule DfE's catalogue lists for the collection year and says, for each rule that
could not run, why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from cscwatch.childlevel.ssda903.rules import catalogue, implementation
from cscwatch.childlevel.ssda903.rules.base import RULESETS, CatalogueEntry, Need, Rule
from cscwatch.childlevel.ssda903.tables import TABLES

__all__ = [
    "NotRun",
    "RuleRun",
    "collection_period",
    "normalise_postcode",
    "plan",
    "run_rules",
    "stage",
    "stage_postcodes",
]


def collection_period(ruleset: str) -> tuple[date, date]:
    """1 April and 31 March of the collection year ``ruleset`` (``lac2024_25``)."""
    if ruleset not in RULESETS:
        raise ValueError(f"unknown ruleset {ruleset!r}")
    start = int(ruleset[3:7])
    return date(start, 4, 1), date(start + 1, 3, 31)


def _stage_table(
    con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame | None, fields: tuple[str, ...]
) -> None:
    spec = TABLES[name.removesuffix("_last")]
    cols = ", ".join(f'"{f.lower()}" VARCHAR' for f in fields)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name}_raw (row_no INTEGER, {cols})")
    if frame is not None and len(frame):
        data = pd.DataFrame({"row_no": frame["row_no"].astype("int64")})
        for f in fields:
            data[f.lower()] = frame[f].astype("object") if f in frame.columns else None
        con.register("_incoming", data)
        try:
            con.execute(f"INSERT INTO {name}_raw SELECT * FROM _incoming")
        finally:
            con.unregister("_incoming")
    texts = [f'nullif(trim("{f.lower()}"), \'\') AS "{f.lower()}"' for f in fields]
    dates = [
        f"try_strptime(trim(\"{f.lower()}\"), '%d/%m/%Y')::DATE AS {f.lower()}_d"
        for f in spec.date_fields
    ]
    select = ", ".join(["row_no", *texts, *dates])
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {select} FROM {name}_raw")
    con.execute(f"DROP TABLE {name}_raw")


def stage(
    con: duckdb.DuckDBPyConnection,
    ruleset: str,
    current: Mapping[str, pd.DataFrame],
    previous: Mapping[str, pd.DataFrame] | None = None,
) -> None:
    """Write a return (and the previous year's) as the temporary tables rules read.

    Every table of :data:`~.tables.TABLES` is created, empty where not given, so rule SQL
    always compiles; which tables were *given* is the caller's to pass to
    :func:`run_rules`.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Where to stage (usually an in-memory database).
    ruleset : str
        The collection year (``lac2024_25``): sets the ``collection`` row.
    current, previous : mapping of str to DataFrame
        Table name (``episodes``) to its records as text, with ``row_no``.
    """
    start, end = collection_period(ruleset)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE collection AS "
        "SELECT ?::DATE AS collection_start, ?::DATE AS collection_end, ?::INTEGER AS year",
        [start, end, end.year],
    )
    for name, spec in TABLES.items():
        _stage_table(con, name, current.get(name), spec.fields)
        _stage_table(con, f"{name}_last", (previous or {}).get(name), spec.fields)


def normalise_postcode(text: str) -> str:
    """A postcode as the reference table keys it: upper case, no spaces."""
    return "".join(text.split()).upper()


def stage_postcodes(
    con: duckdb.DuckDBPyConnection, coordinates: Mapping[str, tuple[float, float]]
) -> None:
    """Stage reference coordinates and the ``pc_miles(a, b)`` macro distance rules use.

    ``pc_miles`` is the great-circle distance in miles between two postcodes as written
    in the return (spacing and case ignored), NULL when either is absent or unknown to
    the reference table.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The connection the return is staged on.
    coordinates : mapping of str to (float, float)
        Postcode to (latitude, longitude) in degrees, from a reference source.
    """
    frame = pd.DataFrame(
        [(normalise_postcode(k), lat, lon) for k, (lat, lon) in coordinates.items()],
        columns=["postcode", "lat", "lon"],
    )
    con.register("_postcodes", frame)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE postcode_ref AS SELECT * FROM _postcodes")
    finally:
        con.unregister("_postcodes")
    # Haversine on a sphere of the Earth's mean radius, 3958.8 miles.
    con.execute(
        """
        CREATE OR REPLACE TEMP MACRO pc_miles(a, b) AS (
            SELECT 2 * 3958.8 * asin(sqrt(
                pow(sin(radians(q.lat - p.lat) / 2), 2)
                + cos(radians(p.lat)) * cos(radians(q.lat))
                  * pow(sin(radians(q.lon - p.lon) / 2), 2)))
            FROM postcode_ref p, postcode_ref q
            WHERE p.postcode = upper(replace(a, ' ', ''))
              AND q.postcode = upper(replace(b, ' ', ''))
        )
        """
    )


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
    "postcodes": "needs reference postcode coordinates, which are not available",
    "providers": "needs Ofsted's register of providers (URN lists), which cscwatch does not hold",
}


def plan(
    ruleset: str,
    given: set[str],
    *,
    has_previous: bool,
    has_postcodes: bool = False,
    codes: set[str] | None = None,
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
    """
    available: dict[Need, bool] = {
        "previous": has_previous,
        "postcodes": has_postcodes,
        "providers": False,
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
        if lacking:
            not_run.append(NotRun(entry.code, entry.message, _NEED_REASON[lacking[0]]))
        elif missing:
            files = ", ".join(missing)
            not_run.append(NotRun(entry.code, entry.message, f"no {files} table was given"))
        else:
            run.append((entry, impl))
    return RuleRun(ruleset, tuple(run), tuple(not_run))


def run_rules(con: duckdb.DuckDBPyConnection, decided: RuleRun) -> pd.DataFrame:
    """Run the planned rules on the staged tables; one row per failing record and rule.

    Returns
    -------
    DataFrame
        ``code, message, tbl, row_no, child, fields, values``: ``fields`` names the
        rule's affected fields found on that table and ``values`` their values there
        (``DECOM=15/02/2016; RNE=L``).
    """
    columns = ["code", "message", "tbl", "row_no", "child", "fields", "values"]
    if not decided.run:
        return pd.DataFrame(columns=columns)
    parts = [
        f"SELECT '{entry.code}' AS code, r.tbl::VARCHAR AS tbl, r.row_no::INTEGER AS row_no "
        f"FROM ({impl.sql}) AS r"
        for entry, impl in decided.run
    ]
    hits = con.execute("SELECT DISTINCT * FROM (" + "\nUNION ALL\n".join(parts) + ")").df()
    if hits.empty:
        return pd.DataFrame(columns=columns)
    entries = {entry.code: entry for entry, _ in decided.run}
    rows = []
    for tbl, group in hits.groupby("tbl", sort=True):
        base = str(tbl).removesuffix("_last")
        fields = TABLES[base].fields
        con.register("_hits", group[["row_no"]].drop_duplicates())
        try:
            records = con.execute(
                f"SELECT * FROM {tbl} WHERE row_no IN (SELECT row_no FROM _hits)"
            ).df()
        finally:
            con.unregister("_hits")
        by_row = records.set_index("row_no")
        for code, row_no in zip(group["code"], group["row_no"], strict=True):
            entry = entries[code]
            record = by_row.loc[row_no] if row_no in by_row.index else None
            shown = [f for f in entry.fields if f in fields]
            values = "; ".join(
                f"{f}={'' if record is None or pd.isna(record[f.lower()]) else record[f.lower()]}"
                for f in shown
            )
            child = None if record is None else record["child"]
            rows.append([code, entry.message, tbl, int(row_no), child, ", ".join(shown), values])
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["tbl", "row_no", "code"], kind="stable").reset_index(drop=True)
