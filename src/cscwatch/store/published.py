"""Tables of published statistics: authorities, population, neighbours, observations.

Loaders for :func:`cscwatch.store.warehouse.build_warehouse`. Every table is filled in
a deterministic order so that a rebuild gives identical content.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from cscwatch.core.catalogue import CATALOGUE, Indicator, Unit
from cscwatch.core.errors import SchemaError, SourceFileError
from cscwatch.core.types import STATUS_SYMBOLS, PeriodKind
from cscwatch.ingest.snapshot import check_row_counts, verify_snapshot
from cscwatch.ingest.tidy import (
    LAIT_FILE,
    TIDY_SOURCES,
    lait_signed_negatives,
    stage_lait,
    stage_tidy,
)
from cscwatch.store.warehouse import BuildContext

__all__ = [
    "ENGLAND",
    "LAIT_REGIONS",
    "SUCCESSIONS",
    "known_authorities",
    "lait_rows",
    "load_authorities",
    "load_neighbours",
    "load_observations",
    "load_population",
    "load_sources",
    "stage_sources",
]

ENGLAND = "E92000001"

#: LAIT's numbers for England and the regions (987/988, inner and outer London, are
#: not regions of the tidy files and are left out).
LAIT_REGIONS: dict[str, str] = {
    "970": ENGLAND,
    "980": "E12000001",
    "981": "E12000002",
    "982": "E12000003",
    "983": "E12000004",
    "984": "E12000005",
    "985": "E12000006",
    "986": "E12000007",
    "989": "E12000008",
    "990": "E12000009",
}

#: Reorganisations: (predecessor, successor, first reporting year of the successor, event).
SUCCESSIONS: tuple[tuple[str, str, int, str], ...] = (
    ("835", "838", 2020, "2019 Dorset reorganisation (Dorset County Council → Dorset Council)"),
    ("835", "839", 2020, "2019 Dorset reorganisation (Christchurch → BCP Council)"),
    ("836", "839", 2020, "2019 Dorset reorganisation (Poole → BCP Council)"),
    ("837", "839", 2020, "2019 Dorset reorganisation (Bournemouth → BCP Council)"),
    ("928", "940", 2022, "2021 Northamptonshire reorganisation"),
    ("928", "941", 2022, "2021 Northamptonshire reorganisation"),
    ("909", "942", 2024, "2023 Cumbria reorganisation"),
    ("909", "943", 2024, "2023 Cumbria reorganisation"),
)

_LA_TYPES = {
    "E06": "Unitary authority",
    "E08": "Metropolitan district",
    "E09": "London borough",
    "E10": "County council",
}

_SYMBOLS_SQL = ", ".join(f"'{s}'" for s in sorted(STATUS_SYMBOLS))

_SOURCE_DDL = """
CREATE TABLE source (
    source_id VARCHAR PRIMARY KEY, file VARCHAR NOT NULL, publisher VARCHAR,
    title VARCHAR, licence VARCHAR, retrieved VARCHAR, sha256 VARCHAR NOT NULL,
    rows BIGINT
)"""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: LAIT's inner and outer London (not regions of the tidy files, but areas LAIT reports).
_LAIT_OTHER_AREAS = frozenset({"987", "988"})


def known_authorities(snapshot_dir: Path) -> set[str]:
    """Every LA number that is an authority: those of both statistical neighbour
    models (each authority and its neighbours) and of every reorganisation.

    The reference the published files' ``old_la_code`` is checked against; measured on
    the bundled snapshot it is exactly the 158 LA numbers the tidy files use.
    """
    found: set[str] = {code for p, s, _, _ in SUCCESSIONS for code in (p, s)}
    for name, reader in (
        ("sn_model_2025_wide.csv", _read_neighbours_2025),
        ("New_Statistical_Neighbour_Groupings_April_2021.csv", _read_neighbours_2021),
    ):
        path = snapshot_dir / name
        if not path.is_file():
            raise SourceFileError("file is missing from the snapshot", path=str(path))
        for la, sn, *_ in reader(path):
            found.update((la, sn))
    return found


def _lait_percentages() -> set[str]:
    """The LAIT measures the catalogue reads as percentages as they stand (a ``lait``
    derivation); a measure that is only the numerator of a computed percentage
    (``lait_per``, e.g. spend over spend) is not one."""
    return {
        ind.derivation.lait
        for ind in CATALOGUE.values()
        if ind.derivation.kind == "lait" and ind.derivation.lait and ind.unit is Unit.PERCENT
    }


def _lait_measures() -> set[str]:
    """The LAIT measures (``Short Desc``) the catalogue reads."""
    return {
        m
        for ind in CATALOGUE.values()
        for m in (ind.derivation.lait, ind.derivation.published_lait, ind.derivation.lait_before)
        if m
    }


def stage_sources(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Check the snapshot against its manifest, then stage every tidy CSV and the LAIT
    file as text tables, checking their schemas.

    Every file the manifest lists must match its checksum and size
    (:func:`~cscwatch.ingest.snapshot.verify_snapshot`). Records each file's row count
    in ``_staged_rows`` for :func:`load_sources` (only the LAIT measures the catalogue
    reads are staged, but every row is checked).
    """
    report = verify_snapshot(ctx.snapshot_dir)
    if report.unlisted:
        ctx.warnings.append(
            "files in the snapshot but not in its manifest (not used): "
            + ", ".join(report.unlisted)
        )
    known = known_authorities(ctx.snapshot_dir)
    counts: list[tuple[str, int]] = []
    for source in TIDY_SOURCES.values():
        table = stage_tidy(con, source, ctx.snapshot_dir, known_authorities=known)
        n = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        counts.append((source.key, int(n[0]) if n else 0))
    _, n_lait = stage_lait(
        con,
        ctx.snapshot_dir,
        keep=_lait_measures(),
        known_authorities=known | set(LAIT_REGIONS) | _LAIT_OTHER_AREAS,
        percent_measures=_lait_percentages(),
    )
    counts.append(("lait", n_lait))
    negatives, measures = lait_signed_negatives(con, ctx.snapshot_dir)
    if negatives:
        ctx.warnings.append(
            f"{LAIT_FILE}: {negatives:,} negative values in {measures} progress and gap "
            "measures (signed by definition), kept as published"
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _staged_rows AS "
        "SELECT unnest($1) AS source_id, unnest($2) AS rows",
        [[k for k, _ in counts], [n for _, n in counts]],
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_sources(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Fill ``source``: one row per snapshot file used, with the manifest's provenance.

    Stops (naming the file) when a file has no data rows, or its rows moved from the
    previous build's by more than the manifest's tolerance
    (:func:`~cscwatch.ingest.snapshot.check_row_counts`).
    """
    staged = dict(con.execute("SELECT source_id, rows FROM _staged_rows").fetchall())
    files = [(s.key, s.file) for s in TIDY_SOURCES.values()] + [("lait", LAIT_FILE)]
    check_row_counts(
        ctx.snapshot_dir, {name: int(staged.get(key, 0)) for key, name in files}, ctx.previous_rows
    )
    manifest: dict[str, dict[str, object]] = {}
    mpath = ctx.snapshot_dir / "manifest.json"
    if mpath.is_file():
        try:
            raw = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SourceFileError(f"manifest is not valid JSON: {exc}", path=str(mpath)) from exc
        entries = raw.get("files", raw) if isinstance(raw, dict) else raw
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and "file" in entry:
                manifest[str(entry["file"])] = entry
    con.execute(_SOURCE_DDL)
    for key, name in sorted(files):
        path = ctx.snapshot_dir / name
        meta = manifest.get(name, {})
        rows_row = con.execute(
            "SELECT rows FROM _staged_rows WHERE source_id = ?", [key]
        ).fetchone()
        rows = int(rows_row[0]) if rows_row else 0
        con.execute(
            "INSERT INTO source VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                key,
                name,
                str(meta.get("publisher", "")) or None,
                str(meta.get("title", "")) or None,
                str(meta.get("licence", "")) or None,
                str(meta.get("retrieved", "")) or None,
                _sha256(path),
                rows,
            ],
        )
    ctx.row_counts["source"] = len(files)


def load_authorities(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Fill ``authority``, ``authority_alias`` and ``authority_succession``.

    Every authority that appears in any tidy file, past or present. Existence years come
    from the CIN census (b1), the longest consistent series; the latest GSS code, name
    and region are those of the authority's latest row in any file.
    """
    union = " UNION ALL ".join(
        f"SELECT trim(old_la_code) AS la_code, trim(new_la_code) AS gss, trim(la_name) AS name, "
        f"CASE WHEN region_code LIKE 'E13%' THEN 'E12000007' ELSE trim(region_code) END "
        f"AS region_code, CASE WHEN region_code LIKE 'E13%' THEN 'London' "
        f"ELSE trim(region_name) END AS region_name, "
        f"CAST(substr(time_period, 1, 4) AS INTEGER) AS y, '{s.key}' AS src "
        f"FROM raw_{s.key} WHERE geographic_level = 'Local authority' "
        f"AND old_la_code NOT LIKE '%/%'"
        for s in TIDY_SOURCES.values()
    )
    con.execute(f"CREATE TEMP TABLE la_rows AS {union}")
    bad = con.execute(
        "SELECT src, name FROM la_rows WHERE la_code IS NULL OR NOT "
        "regexp_full_match(la_code, '[0-9]{3}') LIMIT 1"
    ).fetchone()
    if bad is not None:
        raise SchemaError(
            f"authority {bad[1]!r} has no three-digit old_la_code",
            path=TIDY_SOURCES[str(bad[0])].file,
            column="old_la_code",
        )
    con.execute(
        """
        CREATE TABLE authority (
            la_code VARCHAR PRIMARY KEY, gss_code VARCHAR, name VARCHAR NOT NULL,
            region_code VARCHAR, region_name VARCHAR, la_type VARCHAR,
            first_year INTEGER, last_year INTEGER, is_current BOOLEAN NOT NULL
        )"""
    )
    con.execute(
        """
        INSERT INTO authority
        WITH latest AS (
            SELECT la_code, arg_max(gss, y ORDER BY y, gss) AS gss,
                   arg_max(name, y ORDER BY y, name) AS name,
                   arg_max(region_code, y ORDER BY y, region_code)
                       FILTER (WHERE region_code LIKE 'E12%') AS region_code,
                   arg_max(region_name, y ORDER BY y, region_name)
                       FILTER (WHERE region_code LIKE 'E12%') AS region_name
            FROM la_rows WHERE gss IS NOT NULL GROUP BY la_code
        ), span AS (
            SELECT la_code, min(y) AS first_year, max(y) AS last_seen
            FROM la_rows WHERE src = 'b1' GROUP BY la_code
        ), maxy AS (SELECT max(y) AS y FROM la_rows WHERE src = 'b1')
        SELECT l.la_code, l.gss, l.name, l.region_code, l.region_name,
               NULL, s.first_year,
               CASE WHEN s.last_seen < (SELECT y FROM maxy) THEN s.last_seen END,
               s.last_seen IS NULL OR s.last_seen >= (SELECT y FROM maxy)
        FROM latest l LEFT JOIN span s USING (la_code)
        ORDER BY l.la_code
        """
    )
    for prefix, kind in _LA_TYPES.items():
        con.execute("UPDATE authority SET la_type = ? WHERE gss_code LIKE ?", [kind, prefix + "%"])
    con.execute(
        """
        CREATE TABLE authority_succession (
            predecessor VARCHAR NOT NULL, successor VARCHAR NOT NULL,
            year INTEGER NOT NULL, event VARCHAR NOT NULL
        )"""
    )
    con.executemany("INSERT INTO authority_succession VALUES (?, ?, ?, ?)", list(SUCCESSIONS))
    # Aliases: names (current authority wins a shared name), every GSS code, LA number.
    con.execute(
        """
        CREATE TABLE authority_alias (alias VARCHAR NOT NULL, la_code VARCHAR NOT NULL,
                                      kind VARCHAR NOT NULL)"""
    )
    con.execute(
        """
        INSERT INTO authority_alias
        SELECT DISTINCT alias, la_code, kind FROM (
            SELECT lower(la_code) AS alias, la_code, 'la_number' AS kind FROM authority
            UNION ALL
            SELECT DISTINCT lower(gss), la_code, 'gss' FROM la_rows WHERE gss IS NOT NULL
            UNION ALL
            SELECT lower(name), la_code, 'name' FROM authority
            UNION ALL
            SELECT DISTINCT lower(r.name), r.la_code, 'former_name' FROM la_rows r
            WHERE NOT EXISTS (SELECT 1 FROM authority a WHERE lower(a.name) = lower(r.name))
        ) ORDER BY alias, la_code
        """
    )
    n = con.execute("SELECT count(*) FROM authority").fetchone()
    ctx.row_counts["authority"] = int(n[0]) if n else 0


def _geo_sql(alias: str = "") -> str:
    p = f"{alias}." if alias else ""
    return (
        f"CASE {p}geographic_level WHEN 'National' THEN 'national' "
        f"WHEN 'Regional' THEN 'regional' ELSE 'la' END AS geo_level, "
        f"CASE {p}geographic_level WHEN 'National' THEN '{ENGLAND}' "
        f"WHEN 'Regional' THEN trim({p}region_code) ELSE trim({p}old_la_code) END AS geo_code"
    )


def load_population(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Fill ``population``: children 0–17; the mid-year estimate of ``Y-1`` serves ``Y``."""
    con.execute(
        """
        CREATE TABLE population (
            geo_level VARCHAR NOT NULL, geo_code VARCHAR NOT NULL, year INTEGER NOT NULL,
            mid_year INTEGER NOT NULL, population DOUBLE,
            PRIMARY KEY (geo_level, geo_code, year)
        )"""
    )
    con.execute(
        f"""
        INSERT INTO population
        SELECT {_geo_sql()}, CAST(time_period AS INTEGER) + 1,
               CAST(time_period AS INTEGER), {_finite_sql("population_estimate")}
        FROM raw_population
        ORDER BY 1, 2, 3
        """
    )
    n = con.execute("SELECT count(*) FROM population").fetchone()
    ctx.row_counts["population"] = int(n[0]) if n else 0


def _read_neighbours_2025(path: Path) -> list[tuple[str, str, int, str, str]]:
    import csv

    rows: list[tuple[str, str, int, str, str]] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for lineno, rec in enumerate(csv.DictReader(fh), start=2):
            la = (rec.get("old_la_code") or "").strip()
            if not la.isdigit():
                raise SchemaError(
                    "not an LA number", path=str(path), row=lineno, column="old_la_code"
                )
            for k in range(1, 11):
                sn = (rec.get(f"SN_{k}") or "").strip()
                if sn:
                    rows.append((la, sn, k, (rec.get(f"SN_{k}P") or "").strip(), "2025"))
    return rows


def _read_neighbours_2021(path: Path) -> list[tuple[str, str, int, str, str]]:
    import csv

    rows: list[tuple[str, str, int, str, str]] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        if not header or header[0].strip() != "LA num":
            raise SchemaError("unexpected header", path=str(path), row=1, column="LA num")
        for lineno, rec in enumerate(reader, start=2):
            la = rec[0].strip() if rec else ""
            if not la.isdigit():
                continue
            # Columns: LA num, LA Name, LA number, GOInd, GOReg, then (SNk, SNP) pairs.
            for k in range(10):
                pos = 5 + 2 * k
                if pos + 1 < len(rec) and rec[pos].strip():
                    rows.append((la, rec[pos].strip(), k + 1, rec[pos + 1].strip(), "2021"))
            del lineno
    return rows


def load_neighbours(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Fill ``statistical_neighbour`` from the 2025 model and the April 2021 groupings."""
    con.execute(
        """
        CREATE TABLE statistical_neighbour (
            la_code VARCHAR NOT NULL, neighbour VARCHAR NOT NULL, rank INTEGER NOT NULL,
            closeness VARCHAR, model VARCHAR NOT NULL
        )"""
    )
    files = {
        "2025": ctx.snapshot_dir / "sn_model_2025_wide.csv",
        "2021": ctx.snapshot_dir / "New_Statistical_Neighbour_Groupings_April_2021.csv",
    }
    rows: list[tuple[str, str, int, str, str]] = []
    for model, path in files.items():
        if not path.is_file():
            raise SourceFileError("file is missing from the snapshot", path=str(path))
        reader = _read_neighbours_2025 if model == "2025" else _read_neighbours_2021
        rows.extend(reader(path))
    rows.sort(key=lambda r: (r[4], r[0], r[2]))
    # One bulk insert: executemany is slow in DuckDB for thousands of rows.
    cols: list[list[object]] = [[r[k] for r in rows] for k in range(5)]
    con.execute(
        "INSERT INTO statistical_neighbour SELECT * FROM "
        "(SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5))",
        cols,
    )
    ctx.row_counts["statistical_neighbour"] = len(rows)


_OBS_DDL = """
CREATE TEMP TABLE {table} (
    indicator VARCHAR NOT NULL, geo_level VARCHAR NOT NULL, geo_code VARCHAR NOT NULL,
    year INTEGER NOT NULL, value DOUBLE, status VARCHAR, numerator DOUBLE,
    denominator DOUBLE, computed_value DOUBLE, published_value DOUBLE,
    method VARCHAR NOT NULL, provisional BOOLEAN NOT NULL DEFAULT false,
    source_id VARCHAR NOT NULL
)"""


def _cell(col: str) -> tuple[str, str]:
    """SQL for a cell's number and its publisher symbol.

    Never NaN or infinity: the schema refuses them in a file, and should one get past
    it, it is no number at all here rather than one that sorts above every other
    (a NaN once ranked County Durham first of 151).
    """
    c = f"trim({_q(col)})"
    return (
        f"CASE WHEN isfinite(TRY_CAST({c} AS DOUBLE)) THEN TRY_CAST({c} AS DOUBLE) END",
        f"CASE WHEN {c} IN ({_SYMBOLS_SQL}) THEN {c} END",
    )


def _picked_cell(col: str) -> tuple[str, str]:
    """The columns of a pick table (:func:`_pick_sql`) with a cell's number and symbol."""
    return _q(f"{col}#number"), _q(f"{col}#symbol")


def _year_sql(shift: int) -> str:
    """The stored year of a tidy row: the publisher's ``time_period`` (an academic year
    ``202425`` is stored as its end, 2025); ``shift`` is the catalogue's ``year_shift``
    (0 for every source today: years are the publisher's)."""
    return (
        "CASE WHEN length(trim(time_period)) = 6 "
        "THEN CAST(substr(trim(time_period), 1, 4) AS INTEGER) + 1 "
        f"ELSE CAST(trim(time_period) AS INTEGER) + {shift} END"
    )


#: The columns that place and date a row of a tidy file (see ``_geo_sql``, ``_year_sql``).
_PLACE_COLUMNS = ("time_period", "geographic_level", "region_code", "old_la_code")

_PickKey = tuple[str, tuple[tuple[str, str], ...], int]


def _pick_key(ind: Indicator) -> _PickKey:
    """Indicators with the same key read the same rows of a file: (source, filters,
    year shift)."""
    d = ind.derivation
    return d.source, d.filters, d.year_shift


def _own_rows_only(ind: Indicator) -> bool:
    """Whether a joint service's row is left out.

    Joint services (e.g. "940 / 941", "314 / 318" in the workforce file) publish one
    return for two authorities: its rates stand for both, its counts for neither.
    """
    return ind.is_count or ind.derivation.kind == "rate"


def _pick_sql(key: _PickKey, measures: list[str], table: str | None = None) -> str:
    """One row per place and year from a staged tidy file: a place's own row before a
    joint service's, the final KS2/KS4 version before a revised one, then file order.

    ``table`` is the staged file (``raw_<source>`` by default; an authority's own
    return is staged under another name, see :mod:`cscwatch.indicators.provisional`).

    The table holds ``geo_level``, ``geo_code``, ``year``, ``_shared`` and each of
    ``measures`` as a number and a symbol (:func:`_picked_cell`). A place's own row wins
    whenever it has one, so leaving out the joint services' rows afterwards
    (``NOT _shared``) picks the same rows as leaving them out before.
    """
    source, filters, year_shift = key
    where = " AND ".join(f"trim({_q(k)}) = '{v}'" for k, v in filters) or "true"
    ks = source in ("ks2", "ks4")
    version_rank = (
        "CASE version WHEN 'Final' THEN 0 WHEN 'Revised' THEN 1 ELSE 2 END" if ks else "0"
    )
    keep = ["_row", *_PLACE_COLUMNS, *(["version"] if ks else []), *(k for k, _ in filters)]
    measures = list(dict.fromkeys(measures))
    keep += [m for m in measures if m not in keep]
    # Each cell is parsed once here, not once per use in every indicator's formulas.
    cells = ", ".join(
        f"{number} AS {_picked_cell(m)[0]}, {symbol} AS {_picked_cell(m)[1]}"
        for m in measures
        for number, symbol in [_cell(m)]
    )
    return f"""
        SELECT geo_level, geo_code, year, _shared, {cells} FROM (
            SELECT g.*, row_number() OVER (PARTITION BY g.geo_level, g.geo_code, g.year
                                           ORDER BY g._shared, {version_rank}, g._row) AS _pick
            FROM (SELECT *, {_geo_sql()}, {_year_sql(year_shift)} AS year
                  FROM (SELECT * EXCLUDE (old_la_code),
                               trim(unnest(CASE WHEN old_la_code IS NULL THEN [NULL]
                                   ELSE string_split(old_la_code, '/') END)) AS old_la_code,
                               coalesce(old_la_code LIKE '%/%', false) AS _shared
                        FROM (SELECT {", ".join(_q(c) for c in keep)}
                              FROM {table or f"raw_{source}"})
                        WHERE {where})) g
        ) WHERE _pick = 1 AND geo_code IS NOT NULL AND geo_code <> ''
    """


#: Periods whose rates divide by the mid-year estimate of their own calendar year (the
#: latest before the period ends): the workforce census of 30 September ``Y`` uses
#: mid-``Y``, which ``population`` files under the year it serves, ``Y + 1``. Every
#: other period divides by the estimate filed under its own year (mid-``Y - 1`` for the
#: year ending 31 March ``Y``, as DfE does).
_POPULATION_OF_OWN_YEAR = frozenset({PeriodKind.AT_30_SEPTEMBER, PeriodKind.YEAR_TO_30_SEPTEMBER})


def _population_sql(ind: Indicator, population: str = "population") -> str:
    """``population`` keyed by the indicator's own years (see ``_POPULATION_OF_OWN_YEAR``)."""
    shift = 1 if ind.period_kind in _POPULATION_OF_OWN_YEAR else 0
    if not shift:
        return population
    return (
        f"(SELECT geo_level, geo_code, year - {shift} AS year, mid_year, population "
        f"FROM {population})"
    )


def _measures(ind: Indicator) -> list[str]:
    d = ind.derivation
    return [c for c in (d.column, d.denominator_column, d.published_column) if c]


def _tidy_select(
    ind: Indicator, picked: str, *, provisional: bool = False, population: str = "population"
) -> str:
    """The indicator's rows computed from ``picked``, a table made by :func:`_pick_sql`.

    ``provisional`` marks the rows as an authority's own return rather than published
    figures; ``population`` names the table of children 0–17 that rates divide by.
    """
    d = ind.derivation
    num, num_status = _picked_cell(d.column)
    join = ""
    if d.kind == "column":
        value, status, den, computed, published = num, num_status, "NULL", "NULL", num
        method = "'published'"
    elif d.kind == "ratio":
        den, den_status = _picked_cell(d.denominator_column)
        computed = f"CASE WHEN {den} > 0 THEN {100.0 * d.scale} * {num} / {den} END"
        if d.published_column:
            published, pub_status = _picked_cell(d.published_column)
        else:
            published, pub_status = "NULL", "NULL"
        value = f"coalesce({published}, {computed})"
        status = (
            f"CASE WHEN {value} IS NULL THEN coalesce({pub_status}, {num_status}, {den_status}) END"
        )
        method = f"CASE WHEN {published} IS NOT NULL THEN 'published' ELSE 'computed' END"
    elif d.kind == "rate":
        den = "p.population"
        join = f"LEFT JOIN {_population_sql(ind, population)} p USING (geo_level, geo_code, year)"
        computed = f"CASE WHEN {den} > 0 THEN 10000.0 * {num} / {den} END"
        if d.published_column:
            published, pub_status = _picked_cell(d.published_column)
        else:
            published, pub_status = "NULL", "NULL"
        value = f"coalesce({published}, {computed})"
        # No population to divide by (ONS's 'x' for the Dorset authorities before 2019,
        # or an estimate not yet published): 'x', as for a LAIT amount per child.
        no_population = (
            f"CASE WHEN {num} IS NOT NULL AND NOT coalesce({den} > 0, false) THEN 'x' END"
        )
        status = (
            f"CASE WHEN {value} IS NULL THEN coalesce({pub_status}, {num_status}, "
            f"{no_population}) END"
        )
        method = f"CASE WHEN {published} IS NOT NULL THEN 'published' ELSE 'computed' END"
    else:  # pragma: no cover - guarded by the caller
        raise ValueError(d.kind)
    return f"""
        SELECT '{ind.id}' AS indicator, geo_level, geo_code, year, {value} AS value,
               {status} AS status, {num} AS numerator, {den} AS denominator,
               {computed} AS computed_value, {published} AS published_value,
               CASE WHEN g._shared THEN 'shared' ELSE {method} END AS method,
               {str(provisional).lower()} AS provisional, '{d.source}' AS source_id
        FROM {picked} g {join}
        {"WHERE NOT g._shared" if _own_rows_only(ind) else ""}
    """


def _lait_geo() -> str:
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in LAIT_REGIONS.items())
    return (
        f"CASE la_number WHEN '970' THEN 'national' "
        f"WHEN '980' THEN 'regional' WHEN '981' THEN 'regional' WHEN '982' THEN 'regional' "
        f"WHEN '983' THEN 'regional' WHEN '984' THEN 'regional' WHEN '985' THEN 'regional' "
        f"WHEN '986' THEN 'regional' WHEN '989' THEN 'regional' WHEN '990' THEN 'regional' "
        f"ELSE 'la' END AS geo_level, "
        f"CASE la_number {cases} ELSE la_number END AS geo_code"
    )


def _finite_sql(cell: str) -> str:
    return f"CASE WHEN isfinite(TRY_CAST({cell} AS DOUBLE)) THEN TRY_CAST({cell} AS DOUBLE) END"


def lait_rows(measure: str) -> str:
    """One row per place and year of a staged LAIT measure: ``geo_level``,
    ``geo_code``, ``year``, ``value`` (finite numbers only) and the publisher's
    ``status`` symbol."""
    return f"""
        SELECT geo_level, geo_code, year, {_finite_sql("raw")} AS value,
               CASE WHEN raw IN ({_SYMBOLS_SQL}) THEN raw END AS status
        FROM (
            SELECT *, {_lait_geo()},
                   row_number() OVER (PARTITION BY la_number, year ORDER BY _row) AS _pick
            FROM raw_lait WHERE short_desc = '{measure}' AND year IS NOT NULL
                  AND la_number NOT IN ('987', '988')
        ) WHERE _pick = 1
    """


def _lait_select(ind: Indicator) -> str:
    return f"""
        SELECT '{ind.id}' AS indicator, geo_level, geo_code, year, value, status,
               NULL AS numerator, NULL AS denominator, NULL AS computed_value,
               value AS published_value, 'published' AS method,
               false AS provisional, 'lait' AS source_id
        FROM ({lait_rows(ind.derivation.lait)})
    """


def _lait_before_select(ind: Indicator, first_year: int) -> str:
    """A spliced indicator's rows for the years before its tidy file begins, from LAIT
    (see :class:`~cscwatch.core.catalogue.indicator.Derivation`)."""
    d = ind.derivation
    if d.kind != "rate":
        return f"""
            SELECT '{ind.id}', geo_level, geo_code, year, value, status, NULL, NULL, NULL,
                   value, 'published', false, 'lait'
            FROM ({lait_rows(d.lait_before)}) WHERE year < {first_year}"""
    computed = "CASE WHEN p.population > 0 THEN 10000.0 * n.value / p.population END"
    rate = (
        f"({lait_rows(d.published_lait)})"
        if d.published_lait
        else (
            "(SELECT NULL::VARCHAR AS geo_level, NULL::VARCHAR AS geo_code, "
            "NULL::INTEGER AS year, NULL::DOUBLE AS value, NULL::VARCHAR AS status WHERE false)"
        )
    )
    # The value is computed with the snapshot's one ONS population series (the one the
    # tidy file's rates agree with); LAIT's rate, published with the population
    # estimates of its day, is kept beside it.
    return f"""
        SELECT '{ind.id}', geo_level, geo_code, n.year, {computed},
               CASE WHEN {computed} IS NULL THEN coalesce(n.status, 'x') END,
               n.value, p.population, {computed}, r.value, 'computed', false, 'lait'
        FROM ({lait_rows(d.lait_before)}) n
        LEFT JOIN {rate} r USING (geo_level, geo_code, year)
        LEFT JOIN {_population_sql(ind)} p USING (geo_level, geo_code, year)
        WHERE n.year < {first_year}"""


def load_observations(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Fill ``observation`` with every catalogue indicator, sorted by indicator, place
    and year.

    Each staged file is read once per set of rows its indicators share (see
    :func:`_pick_key`), and every tidy and LAIT indicator goes in with one statement.
    """
    con.execute(_OBS_DDL.format(table="_obs"))
    groups: dict[_PickKey, list[Indicator]] = {}
    for ind in CATALOGUE.values():
        if ind.derivation.kind in ("column", "ratio", "rate"):
            groups.setdefault(_pick_key(ind), []).append(ind)
    picks: dict[_PickKey, str] = {}
    for k, (key, inds) in enumerate(groups.items()):
        picks[key] = f"_pick_{k}"
        measures = [m for ind in inds for m in _measures(ind)]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {picks[key]} AS {_pick_sql(key, measures)}")
    selects: list[str] = []
    deferred: list[Indicator] = []
    for ind in CATALOGUE.values():
        d = ind.derivation
        if d.kind in ("column", "ratio", "rate"):
            selects.append(_tidy_select(ind, picks[_pick_key(ind)]))
        elif d.kind == "lait":
            selects.append(_lait_select(ind))
        else:
            deferred.append(ind)
    con.execute("INSERT INTO _obs " + " UNION ALL ".join(selects))
    for table in picks.values():
        con.execute(f"DROP TABLE {table}")
    # Spliced series: LAIT carries the years before the tidy file begins.
    for ind in CATALOGUE.values():
        if ind.derivation.lait_before:
            first = con.execute(
                "SELECT min(year) FROM _obs WHERE indicator = ?", [ind.id]
            ).fetchone()
            if first is not None and first[0] is not None:
                con.execute("INSERT INTO _obs " + _lait_before_select(ind, int(first[0])))
    for ind in deferred:
        d = ind.derivation
        if d.kind == "population":
            con.execute(
                f"""INSERT INTO _obs
                SELECT '{ind.id}', geo_level, geo_code, mid_year, population,
                       CASE WHEN population IS NULL THEN 'x' END, NULL,
                       NULL, NULL, population, 'published', false, 'population'
                FROM population"""
            )
        elif d.kind == "lait_per":
            # A LAIT gross amount divided by the population 0-17 or by another
            # indicator's value (e.g. children in need at 31 March).
            if d.other == "population":
                den, other_join = "p.population", ""
                den_status = "CASE WHEN p.population IS NULL THEN 'x' END"
            else:
                den = "o.value"
                den_status = "coalesce(o.status, 'x')"
                other_join = (
                    f"LEFT JOIN _obs o ON o.indicator = '{d.other}' "
                    "AND o.geo_level = l.geo_level AND o.geo_code = l.geo_code "
                    "AND o.year = l.year"
                )
            con.execute(
                f"""INSERT INTO _obs
                SELECT '{ind.id}', l.geo_level, l.geo_code, l.year,
                       CASE WHEN {den} > 0 THEN {d.scale} * l.value / {den} END,
                       CASE WHEN l.value IS NULL THEN l.status
                            WHEN NOT coalesce({den} > 0, false) THEN {den_status} END,
                       l.value, {den},
                       CASE WHEN {den} > 0 THEN {d.scale} * l.value / {den} END,
                       NULL, 'computed', false, 'lait'
                FROM (SELECT * FROM ({_lait_select(ind)})) l
                LEFT JOIN {_population_sql(ind)} p USING (geo_level, geo_code, year)
                {other_join}"""
            )
    # Cross-check with a publisher's rate published elsewhere (LAIT).
    for ind in CATALOGUE.values():
        d = ind.derivation
        if d.kind == "rate" and d.published_lait:
            con.execute(
                f"""UPDATE _obs o SET published_value = l.value
                FROM ({lait_rows(d.published_lait)}) l
                WHERE o.indicator = '{ind.id}' AND o.geo_level = l.geo_level
                  AND o.geo_code = l.geo_code AND o.year = l.year"""
            )
    # Rows for authorities before they existed or after they ceased carry no data at
    # all in some files (all 'x'); they are kept, with their symbol, as published.
    # Rows are collected in a temporary table (checked against the DDL) and written to
    # the warehouse once, sorted.
    con.execute(
        "CREATE TABLE observation AS SELECT * FROM _obs "
        "ORDER BY indicator, geo_level, geo_code, year"
    )
    con.execute("DROP TABLE _obs")
    dup = con.execute(
        "SELECT indicator, geo_code, year, count(*) FROM observation "
        "GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    if dup is not None:
        raise SchemaError(f"duplicate observation for {dup[0]} {dup[1]} {dup[2]}")
    n = con.execute("SELECT count(*) FROM observation").fetchone()
    ctx.row_counts["observation"] = int(n[0]) if n else 0
