"""Reader for DfE "tidy data" CSVs (explore-education-statistics layout) and LAIT.

Every source file is declared once in :data:`TIDY_SOURCES` with the columns it must
have and the measure columns whose cells must be a number or one of the publisher's
status symbols. Files are staged into DuckDB as text (every column declared
``VARCHAR``) so nothing is coerced silently; :func:`stage_tidy` then checks every
measure cell and names the file, row and column of the first bad one.
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cscwatch.core.errors import SchemaError, SourceFileError
from cscwatch.core.types import STATUS_SYMBOLS
from cscwatch.ingest.published_screen import (
    LAIT_KEY,
    SIGNED_LAIT,
    lait_suspect,
    number_sql,
    tidy_suspect,
)

__all__ = [
    "LAIT_FILE",
    "TIDY_SOURCES",
    "TidySource",
    "lait_signed_negatives",
    "stage_lait",
    "stage_tidy",
]

_GEO_COLUMNS = ("time_period", "geographic_level", "region_code", "old_la_code", "new_la_code")


@dataclass(frozen=True)
class TidySource:
    """A published tidy CSV: its key, file name and declared columns.

    ``extra`` are the breakdown columns that, with the period and the place, identify
    a row; ``percent`` the measures that are percentages (0 to 100).
    """

    key: str
    file: str
    title: str
    measures: tuple[str, ...]
    extra: tuple[str, ...] = ()
    percent: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        """Every column the file must have."""
        return (*_GEO_COLUMNS, "la_name", *self.extra, *self.measures)

    @property
    def row_key(self) -> tuple[str, ...]:
        """The columns that identify a row: period, place and breakdown."""
        return ("time_period", "geographic_level", "region_code", "old_la_code", *self.extra)


TIDY_SOURCES: dict[str, TidySource] = {
    s.key: s
    for s in (
        TidySource(
            "b1",
            "b1_children_in_need_2013_to_2025.csv",
            "Children in need: episodes and children",
            (
                "Anypoint_episodes",
                "Anypoint_child",
                "Started_episodes",
                "Ended_episodes",
                "At31_episodes",
                "awaiting_assessment",
            ),
        ),
        TidySource(
            "c1",
            "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv",
            "Referrals and re-referrals",
            (
                "referral_count",
                "rereferral_count",
                "rereferral_percent",
                "no_further_action_count",
                "no_further_action_percent",
                "not_in_need_count",
                "not_in_need_percent",
            ),
            percent=("rereferral_percent", "no_further_action_percent", "not_in_need_percent"),
        ),
        TidySource(
            "c3",
            "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv",
            "Factors identified at the end of assessment",
            (
                "Episodes_with_assessment_factor",
                "Domestic_Abuse_parent",
                "Domestic_Abuse_child",
                "Mental_Health_parent",
                "Mental_Health_child",
                "Drug_Misuse_parent",
                "Alcohol_Misuse_parent",
                "Neglect",
                "Emotional_Abuse",
                "Physical_Abuse_adult_on_child",
                "Sexual_Abuse_adult_on_child",
                "Child_sexual_exploitation",
                "Child_criminal_exploitation",
                "Going_missing",
                "Self_harm",
                "Learning_Disability_parent",
            ),
        ),
        TidySource(
            "d3",
            "d3_cpps_subsequent_plan_2013_to_2025.csv",
            "Child protection plans: second or subsequent",
            ("CPP_start", "CPP_subsequent", "CPP_subsequent_percent"),
            percent=("CPP_subsequent_percent",),
        ),
        TidySource(
            "d5",
            "d5_cpps_at31march_by_duration_2013_to_2025.csv",
            "Child protection plans at 31 March by duration",
            (
                "CPP_At31",
                "3_months_or_less",
                "3_months_or_less_percent",
                "2_years_or_more",
                "2_years_or_more_percent",
            ),
            percent=("3_months_or_less_percent", "2_years_or_more_percent"),
        ),
        TidySource(
            "cla",
            "cla_number_and_rate_per_10k_children.csv",
            "Looked-after children: numbers and rates",
            ("population_estimate", "children_count", "rate_per_10000"),
            ("population_type",),
        ),
        TidySource(
            "stability",
            "la_cla_placement_stability.csv",
            "Looked-after children: placement stability",
            ("children_count", "children_percent"),
            ("cla_group", "placement_stability"),
            percent=("children_percent",),
        ),
        TidySource(
            "csww",
            "csww_indicators_2017_to_2025.csv",
            "Children's social work workforce",
            (
                "inpost_fte",
                "agency_rate_fte",
                "vacancy_rate_fte",
                "turnover_rate_fte",
                "caseload_fte",
                "absence_rate_fte",
            ),
            percent=(
                "agency_rate_fte",
                "vacancy_rate_fte",
                "turnover_rate_fte",
                "absence_rate_fte",
            ),
        ),
        TidySource(
            "ks2",
            "ks2_la.csv",
            "KS2 attainment of children in need",
            (
                "t_rwm_eligible_pupils",
                "t_rwm_met_expected_standard",
                "pt_rwm_met_expected_standard",
            ),
            ("social_care_group", "version"),
            percent=("pt_rwm_met_expected_standard",),
        ),
        TidySource(
            "ks4",
            "ks4_la.csv",
            "KS4 attainment of children in need",
            ("t_pupils", "t_att8", "avg_att8"),
            ("social_care_group", "version"),
        ),
        TidySource(
            "population",
            "ons_mid-year_population_estimates_2012_to_2024.csv",
            "ONS mid-year population estimates, children 0 to 17",
            ("population_estimate",),
            ("age_group",),
        ),
    )
}

LAIT_FILE = "bds_long_0.parquet"
_LAIT_COLUMNS = ("Short Desc", "Years", "LA and Regions", "Values", "LA Number")

_SYMBOLS_SQL = ", ".join(f"'{s}'" for s in sorted(STATUS_SYMBOLS))


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def stage_tidy(
    con: duckdb.DuckDBPyConnection,
    source: TidySource,
    folder: Path,
    *,
    known_authorities: Collection[str] | None = None,
) -> str:
    """Stage one tidy CSV as text into ``raw_<key>`` and check its declared schema.

    Adds ``_row`` (the CSV line number, header = 1). Returns the table name. After
    the cell check, the file's declared schema
    (:func:`~cscwatch.ingest.published_schema.tidy_schema`) runs over every row:
    finite, non-negative numbers, percentages within 0 to 100, no duplicate or
    conflicting rows, known regions and (given ``known_authorities``) known LA
    numbers.

    Raises
    ------
    SourceFileError
        The file is missing or not a CSV (with the line DuckDB stopped at).
    SchemaError
        A header name is empty or repeated, a declared column is missing, a measure
        cell is neither a number nor a publisher's symbol, or a row breaks the declared
        schema (names file, row and column).
    """
    path = folder / source.file
    if not path.is_file():
        raise SourceFileError("file is missing from the snapshot", path=str(path))
    table = f"raw_{source.key}"
    header = _header(path)
    for col in source.required:
        if col not in header:
            raise SchemaError("declared column is missing", path=str(path), column=col)
    # The header is read here, so DuckDB need not sniff the file (half the cost of
    # reading it); every column is text, so nothing is coerced silently.
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS "
            "SELECT row_number() OVER () + 1 AS _row, * FROM read_csv(?, columns=?, "
            "auto_detect=false, header=true, delim=',', quote='\"', escape='\"', "
            "strict_mode=true, null_padding=false)",
            [str(path), dict.fromkeys(header, "VARCHAR")],
        )
    except duckdb.Error as exc:
        line = _line_from_duckdb_error(str(exc))
        raise SourceFileError(
            "not a readable CSV: " + str(exc).splitlines()[0], path=str(path), row=line
        ) from exc
    _check_cells(con, table, source, path)
    _check_schema(con, table, source, path, known_authorities)
    return table


def _check_schema(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source: TidySource,
    path: Path,
    known_authorities: Collection[str] | None,
) -> None:
    """Run the file's declared schema over the staged text (see ``published_schema``)."""
    if not tidy_suspect(
        con, table, source.measures, source.percent, source.row_key, known_authorities
    ):
        return  # the schema would pass: no need to run it over a pandas copy
    from cscwatch.ingest.published_schema import NUMBER, check_frame, tidy_schema

    cols = list(dict.fromkeys(["_row", *source.row_key, *source.measures]))
    numbers = [f"{number_sql(_q(m))} AS {_q(m + NUMBER)}" for m in source.measures]
    frame = con.execute(f"SELECT {', '.join([*(_q(c) for c in cols), *numbers])} FROM {table}").df()
    frame = frame.set_index(frame["_row"].rename(None))
    schema = tidy_schema(
        source.file, source.measures, source.percent, source.row_key, known_authorities
    )
    report = check_frame(schema, frame, path)
    if not report.ok:
        raise report.error()


def _header(path: Path) -> list[str]:
    """The names in a CSV's first line (without a byte-order mark), checked to be
    present and distinct."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SourceFileError(f"not a readable CSV: {exc}", path=str(path), row=1) from exc
    if not header:
        raise SourceFileError("not a readable CSV: the file is empty", path=str(path), row=1)
    seen: set[str] = set()
    for name in header:
        if not name or name in seen:
            problem = "an empty column name" if not name else "a column named twice"
            raise SchemaError(f"the header has {problem}", path=str(path), row=1, column=name)
        seen.add(name)
    return header


def _check_cells(
    con: duckdb.DuckDBPyConnection, table: str, source: TidySource, path: Path
) -> None:
    """Check every measure cell, ``time_period`` and ``geographic_level`` in one pass.

    The first bad measure cell (lowest row; on one row, the first declared column) is
    reported before a bad year, and a bad year before a bad geographic level.
    """
    firsts = [
        f"min(_row) FILTER (WHERE {_q(m)} IS NOT NULL "
        f"AND trim({_q(m)}) NOT IN ({_SYMBOLS_SQL}, '') "
        f"AND TRY_CAST(trim({_q(m)}) AS DOUBLE) IS NULL)"
        for m in source.measures
    ]
    firsts.append(
        "min(_row) FILTER (WHERE time_period IS NULL "
        "OR NOT regexp_full_match(trim(time_period), '[0-9]{4}([0-9]{2})?'))"
    )
    # NOT IN is NULL (not true) for a NULL level, so a missing level is not flagged.
    firsts.append(
        "min(_row) FILTER (WHERE geographic_level NOT IN "
        "('National', 'Regional', 'Local authority'))"
    )
    found = con.execute(f"SELECT {', '.join(firsts)} FROM {table}").fetchone()
    assert found is not None  # an aggregate always returns one row
    *measure_rows, year_row, level_row = found
    bad = [(int(r), k) for k, r in enumerate(measure_rows) if r is not None]
    if bad:
        row, k = min(bad)
        raise SchemaError(
            "value is neither a number nor a publisher's symbol (c, x, z, u, k, low)",
            path=str(path),
            row=row,
            column=source.measures[k],
        )
    if year_row is not None:
        raise SchemaError(
            "time_period is not a year", path=str(path), row=int(year_row), column="time_period"
        )
    if level_row is not None:
        raise SchemaError(
            "geographic_level is not National, Regional or Local authority",
            path=str(path),
            row=int(level_row),
            column="geographic_level",
        )


def _line_from_duckdb_error(message: str) -> int | None:
    import re

    m = re.search(r"[Ll]ine:? (\d+)", message)
    return int(m.group(1)) if m else None


def stage_lait(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    *,
    keep: Collection[str] | None = None,
    known_authorities: Collection[str] | None = None,
    percent_measures: Collection[str] = (),
) -> tuple[str, int]:
    """Stage the LAIT long parquet into ``raw_lait`` with typed year and LA number.

    Columns: ``short_desc``, ``years`` (as published), ``year`` (year ending 31 March),
    ``la_number`` (text, 3 digits; 970 England, 980–990 regions), ``name``, ``raw``,
    ``_row`` (the row's position among the file's rows with an LA number).

    Every row with an LA number is checked, against the declared schema too
    (:func:`~cscwatch.ingest.published_schema.lait_schema`: finite; non-negative
    outside the signed progress and gap measures; ``percent_measures`` within 0 to
    100; no duplicate or conflicting rows; given ``known_authorities``, LA numbers that
    exist); only the measures named in ``keep`` (``Short Desc``; all by default) are
    staged, since the file holds hundreds of measures and the warehouse uses a few.

    Returns
    -------
    tuple of (str, int)
        The table name and the number of rows with an LA number in the file.

    Raises
    ------
    SourceFileError, SchemaError
    """
    path = folder / LAIT_FILE
    if not path.is_file():
        raise SourceFileError("file is missing from the snapshot", path=str(path))
    try:
        cols = {
            r[0]
            for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        }
    except duckdb.Error as exc:
        raise SourceFileError(
            f"not a readable parquet file: {_first_line(exc)}", path=str(path)
        ) from None
    for col in _LAIT_COLUMNS:
        if col not in cols:
            raise SchemaError("declared column is missing", path=str(path), column=col)
    # One pass over every row: how many, and the first value that is neither a number
    # nor a symbol.
    try:
        found = con.execute(
            f"""
            SELECT count(*), min(_row) FILTER (WHERE raw IS NOT NULL
                                               AND raw NOT IN ({_SYMBOLS_SQL}, '')
                                               AND TRY_CAST(raw AS DOUBLE) IS NULL)
            FROM (SELECT trim("Values") AS raw, row_number() OVER () AS _row
                  FROM read_parquet(?) WHERE "LA Number" IS NOT NULL)
            """,
            [str(path)],
        ).fetchone()
    except duckdb.Error as exc:
        raise SourceFileError(
            f"not a readable parquet file: {_first_line(exc)}", path=str(path)
        ) from None
    assert found is not None  # an aggregate always returns one row
    rows, bad = found
    if bad is not None:
        raise SchemaError(
            "value is neither a number nor a publisher's symbol",
            path=str(path),
            row=int(bad),
            column="Values",
        )
    _check_lait_schema(con, path, known_authorities, percent_measures)
    wanted = "true" if keep is None else "short_desc IN (SELECT unnest(?))"
    params: list[object] = [str(path)] if keep is None else [str(path), sorted(keep)]
    # Years: '2016' (year ending March 2016), '2016-17 (OT)' (financial year ending 2017),
    # ranges like '2014-16' (three-year averages) are kept under their last year.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE raw_lait AS
        SELECT short_desc, years,
               CASE
                 WHEN regexp_full_match(years, '[0-9]{{4}}') THEN CAST(years AS INTEGER)
                 WHEN regexp_matches(years, '^[0-9]{{4}}-[0-9]{{2}}')
                   THEN CAST(substr(years, 1, 2) || substr(years, 6, 2) AS INTEGER)
               END AS year,
               lpad(CAST(CAST(la_number AS INTEGER) AS VARCHAR), 3, '0') AS la_number,
               name, trim(raw) AS raw, _row
        FROM (SELECT "Short Desc" AS short_desc, "Years" AS years, "LA Number" AS la_number,
                     "LA and Regions" AS name, "Values" AS raw,
                     row_number() OVER () AS _row
              FROM read_parquet(?) WHERE "LA Number" IS NOT NULL)
        WHERE {wanted}
        ORDER BY _row
        """,
        params,
    )
    return "raw_lait", int(rows)


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def _lait_frame_sql(*, numbered: bool = True) -> str:
    """LAIT's rows with an LA number as the schema reads them; ``numbered`` adds
    ``_row`` (the screen needs no row numbers, which cost a pass in file order)."""
    row = "row_number() OVER () AS _row, " if numbered else ""
    return f"""
        SELECT {row}"Short Desc", "Years",
               CASE WHEN isfinite(TRY_CAST("LA Number" AS DOUBLE))
                    THEN lpad(CAST(CAST("LA Number" AS BIGINT) AS VARCHAR), 3, '0')
                    ELSE CAST("LA Number" AS VARCHAR) END AS "LA Number",
               trim(CAST("Values" AS VARCHAR)) AS "Values"
        FROM read_parquet(?) WHERE "LA Number" IS NOT NULL
    """


def _check_lait_schema(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    known_authorities: Collection[str] | None,
    percent_measures: Collection[str],
) -> None:
    try:
        if not lait_suspect(
            con,
            f"({_lait_frame_sql(numbered=False)})",
            [str(path)],
            LAIT_KEY,
            known_authorities,
            percent_measures,
        ):
            return  # the schema would pass: no need to run it over a pandas copy
    except duckdb.Error as exc:
        raise SourceFileError(
            f"not a readable parquet file: {_first_line(exc)}", path=str(path)
        ) from None
    from cscwatch.ingest.published_schema import NUMBER, check_frame, lait_schema

    try:
        frame = con.execute(
            f"SELECT *, {number_sql(_q('Values'))} AS {_q('Values' + NUMBER)} "
            f"FROM ({_lait_frame_sql()})",
            [str(path)],
        ).df()
    except duckdb.Error as exc:
        raise SourceFileError(
            f"not a readable parquet file: {_first_line(exc)}", path=str(path)
        ) from None
    frame = frame.set_index(frame["_row"].rename(None))
    schema = lait_schema(known_authorities, percent_measures=percent_measures)
    report = check_frame(
        schema, frame, path, columns={"non_negative": "Values", "percentage": "Values"}
    )
    if not report.ok:
        raise report.error()


def lait_signed_negatives(con: duckdb.DuckDBPyConnection, folder: Path) -> tuple[int, int]:
    """Negative values in LAIT's signed measures (progress scores, gaps) and how many
    measures hold them: published so, reported by the build rather than refused."""
    found = con.execute(
        """SELECT count(*), count(DISTINCT "Short Desc") FROM read_parquet(?)
           WHERE "LA Number" IS NOT NULL AND TRY_CAST(trim("Values") AS DOUBLE) < 0
             AND regexp_matches("Short Desc", ?)""",
        [str(folder / LAIT_FILE), SIGNED_LAIT.pattern],
    ).fetchone()
    return (int(found[0]), int(found[1])) if found else (0, 0)
