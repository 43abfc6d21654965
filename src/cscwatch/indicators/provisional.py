"""An authority's own return, loaded beside the published figures and marked provisional.

``cscwatch cin measures --out DIR`` writes one CSV per published layout
(``b1_cin_measures_provisional.csv``, ``c1_…``, …) in the publisher's tidy layout.
:func:`load_provisional` stages every such file of the build's ``provisional_dirs``,
checks it with the same declared schema as the published file of that layout
(:data:`cscwatch.ingest.tidy.TIDY_SOURCES`), and derives every catalogue indicator of
those layouts with the same SQL as the published files
(:func:`cscwatch.store.published._pick_sql`, :func:`~cscwatch.store.published._tidy_select`),
inserting the rows into ``observation`` with ``provisional = true``.

Rules
-----
* A provisional figure never replaces a published one. The observation key is
  (indicator, geo_level, geo_code, year), so where the publisher already has a row for
  an indicator, authority and year the provisional row is skipped, and the build report
  says so (``BuildReport.warnings``). In practice an authority's own return shows for a
  year the publisher has not published yet.
* Only local-authority rows of authorities the published files know are accepted; a
  provisional file never adds national or regional figures, so England's and the
  regions' values stay the publisher's.
* Rates divide by ONS children 0–17 for the year; for a year after the latest estimate
  in the snapshot, the latest estimate is used (recorded as the row's ``denominator``).
* Disclosure control is checked, not trusted: a shown count of 1 to 5, a percentage
  shown while its numerator or denominator is ``c``, or a ``c`` that the shown figures
  pin down through the relations of :data:`cscwatch.childlevel.cin.measures.RELATIONS`
  (:func:`cscwatch.indicators.disclosure.exposed_cells`, across every layout of a
  folder, since c1 and b1 share the referrals) stops the build, naming file, row and
  column. Cells keep the symbols the measures CSV was written with (``c``).
* Layouts without a catalogue indicator (c2, c4) are not loaded.

The looked-after side (``cscwatch cla measures --out``) writes the two layouts DfE
publishes (:data:`LA_LAYOUTS`: ``cla_number_and_rate_per_10k_children_provisional.csv``
and ``la_cla_placement_stability_provisional.csv``, :mod:`cscwatch.indicators.cla_layouts`);
they are loaded the same way, their rows keyed by their filter columns too
(``population_type``; ``cla_group``, ``placement_stability``). Their disclosure check: a
shown count of 1 to 5, or a percentage or rate shown while its count (or, for a
percentage, its group's total) is ``c``, stops the build. No relation adds their rows up
(the stability parts are not published beside their complements), so no differencing
check is needed. A folder may hold CIN files, looked-after files, or both.

A build checks the folders twice over: right after the authorities are loaded
(:func:`check_provisional`, so a refused return is refused in a second or so, before the
published figures are loaded) and again as it loads them (:func:`load_provisional`).

Each staged file becomes a ``source`` row (``provisional_<layout>``, with a suffix for
the second and later folder) with its SHA-256, and its observations carry that id.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd

from cscwatch.core.catalogue import CATALOGUE, Indicator
from cscwatch.core.errors import SchemaError, SourceFileError
from cscwatch.indicators.cin_layouts import LAYOUTS, PERCENTS, RELATIONS
from cscwatch.indicators.cla_layouts import CLA_LAYOUTS, TOTAL_LABELS
from cscwatch.indicators.disclosure import SMALL_COUNT_MAX, exposed_cells
from cscwatch.ingest.tidy import TIDY_SOURCES, stage_tidy
from cscwatch.store.published import (
    _OBS_DDL,
    _measures,
    _pick_key,
    _pick_sql,
    _PickKey,
    _sha256,
    _tidy_select,
    _year_sql,
)
from cscwatch.store.warehouse import BuildContext

__all__ = [
    "LA_LAYOUTS",
    "PROVISIONAL_LAYOUTS",
    "check_provisional",
    "load_provisional",
    "provisional_file",
]

#: Layouts of ``cscwatch cin measures`` that feed catalogue indicators.
PROVISIONAL_LAYOUTS: tuple[str, ...] = ("b1", "c1", "c3", "d3", "d5")


#: Layouts of ``cscwatch cla measures`` that are DfE's own published files.
LA_LAYOUTS: tuple[str, ...] = tuple(k for k, v in CLA_LAYOUTS.items() if v.published)


def provisional_file(layout: str) -> str:
    """The file name ``cscwatch cin measures --out`` (or ``cla measures``) gives a layout."""
    if layout in LA_LAYOUTS:
        return CLA_LAYOUTS[layout].file
    return f"{layout}_cin_measures_provisional.csv"


def _source_id(layout: str, k: int) -> str:
    return f"provisional_{layout}" if k == 0 else f"provisional_{layout}_{k + 1}"


def _stage(
    con: duckdb.DuckDBPyConnection, ctx: BuildContext, *, record: bool = True
) -> dict[str, list[str]]:
    """Stage and check every measures CSV; layout → staged tables (one per folder).
    With ``record`` false the files are only checked: no ``source`` row is written."""
    staged: dict[str, list[str]] = {}
    for k, folder in enumerate(ctx.provisional_dirs):
        if not folder.is_dir():
            raise SourceFileError("provisional folder does not exist", path=str(folder))
        found = False
        for layout in (*PROVISIONAL_LAYOUTS, *LA_LAYOUTS):
            name = provisional_file(layout)
            if not (folder / name).is_file():
                continue
            found = True
            sid = _source_id(layout, k)
            source = replace(TIDY_SOURCES[layout], key=sid, file=name)
            table = stage_tidy(con, source, folder)
            _check_rows(con, table, folder / name)
            staged.setdefault(layout, []).append(table)
            if not record:
                continue
            ctx.row_counts["source"] = ctx.row_counts.get("source", 0) + 1
            con.execute(
                "INSERT INTO source VALUES (?, ?, 'cscwatch (authority return)', ?, NULL, "
                "NULL, ?, (SELECT count(*) FROM " + table + "))",
                [sid, str(folder / name), f"Provisional {layout}: an authority's own return",
                 _sha256(folder / name)],
            )  # fmt: skip
        if found:
            _check_disclosure(folder)
            _check_la_disclosure(folder)
        if not found:
            raise SourceFileError(
                "no measures CSVs (*_cin_measures_provisional.csv, or the looked-after "
                "layouts of cla measures) in the provisional folder",
                path=str(folder),
            )
    return staged


def _check_rows(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    """Every row is one known authority's (not England's or a region's)."""
    bad = con.execute(
        f"SELECT min(_row) FILTER (WHERE geographic_level IS DISTINCT FROM 'Local authority'),"
        f" min(_row) FILTER (WHERE trim(old_la_code) NOT IN (SELECT la_code FROM authority)"
        f" OR old_la_code IS NULL) FROM {table}"
    ).fetchone()
    assert bad is not None  # an aggregate always returns one row
    if bad[0] is not None:
        raise SchemaError(
            "a provisional row must be a local authority's",
            path=str(path),
            row=int(bad[0]),
            column="geographic_level",
        )
    if bad[1] is not None:
        raise SchemaError(
            "not the LA number of an authority in the published files",
            path=str(path),
            row=int(bad[1]),
            column="old_la_code",
        )


def _check_disclosure(folder: Path) -> None:
    """Refuse a folder whose figures break disclosure control (file, row, column named)."""
    frames: dict[str, pd.DataFrame] = {}
    for layout in PROVISIONAL_LAYOUTS:
        path = folder / provisional_file(layout)
        if path.is_file():
            frames[layout] = pd.read_csv(path, dtype=str, keep_default_na=False)
    home: dict[str, str] = {}  # column -> layout holding it
    for layout, frame in frames.items():
        path = folder / provisional_file(layout)
        columns = [c for c in LAYOUTS[layout][1] if c in frame.columns]
        for i, rec in enumerate(frame[columns].to_dict("records")):
            for col in columns:
                home[col] = layout
                text = str(rec[col]).strip()
                if col in PERCENTS:
                    parts = [str(rec.get(p, "")).strip() for p in PERCENTS[col]]
                    if text not in ("c", "z", "x", "") and "c" in parts:
                        raise SchemaError(
                            "a percentage is shown while its count is suppressed (c): "
                            "it reveals the count",
                            path=str(path), row=i + 2, column=col,
                        )  # fmt: skip
                    continue
                if _is_small(text):
                    raise SchemaError(
                        f"a count of 1 to {SMALL_COUNT_MAX} must be suppressed (c)",
                        path=str(path), row=i + 2, column=col,
                    )  # fmt: skip
    if not frames:
        return
    keyed = []
    for layout, frame in frames.items():
        cols = [c for c in LAYOUTS[layout][1] if c in frame.columns and c not in PERCENTS]
        part = frame[["old_la_code", "time_period", *cols]].copy()
        part[f"_row_{layout}"] = range(2, len(frame) + 2)
        part["old_la_code"] = part["old_la_code"].str.strip()
        part["time_period"] = part["time_period"].str.strip()
        keyed.append(part.drop_duplicates(["old_la_code", "time_period"]))
    joint = keyed[0]
    for part in keyed[1:]:
        joint = joint.merge(part, on=["old_la_code", "time_period"], how="outer")
    counts = [c for c in home if c not in PERCENTS and c in joint.columns]
    relations = [r for r in RELATIONS if {r.total, *r.parts} <= set(counts)]
    exposed = exposed_cells(joint.fillna(""), counts=counts, relations=relations)
    if exposed:
        first = exposed[0]
        layout = home[first.column]
        row = joint[f"_row_{layout}"].iloc[first.row]
        raise SchemaError(
            "a suppressed figure (c) can be worked out from the figures shown "
            "(secondary suppression missing)",
            path=str(folder / provisional_file(layout)),
            row=int(row),
            column=first.column,
        )


def _check_la_disclosure(folder: Path) -> None:
    """Refuse a looked-after file with a small count, or a percentage or rate that gives a
    suppressed count away (file, row and column named)."""
    for layout in LA_LAYOUTS:
        spec = CLA_LAYOUTS[layout]
        path = folder / spec.file
        if not path.is_file():
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        keys = [c for c in ("old_la_code", "time_period", *spec.filters[:-1]) if c in frame]
        totals: dict[tuple[str, ...], str] = {}
        for rec in frame.to_dict("records"):
            if str(rec.get(spec.filters[-1], "")).strip() in TOTAL_LABELS:
                totals[tuple(str(rec[k]).strip() for k in keys)] = str(rec[spec.counts[0]]).strip()
        for i, rec in enumerate(frame.to_dict("records")):
            for col in spec.counts:
                if _is_small(str(rec.get(col, "")).strip()):
                    raise SchemaError(
                        f"a count of 1 to {SMALL_COUNT_MAX} must be suppressed (c)",
                        path=str(path), row=i + 2, column=col,
                    )  # fmt: skip
            made_from = {**spec.rates, **spec.percents}
            for col, num in made_from.items():
                text = str(rec.get(col, "")).strip()
                if text in ("c", "z", "x", ""):
                    continue
                total = totals.get(tuple(str(rec[k]).strip() for k in keys), "")
                if str(rec.get(num, "")).strip() == "c" or (col in spec.percents and total == "c"):
                    raise SchemaError(
                        "a percentage or rate is shown while its count is suppressed (c): "
                        "it reveals the count",
                        path=str(path), row=i + 2, column=col,
                    )  # fmt: skip


def _is_small(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return 1 <= value <= SMALL_COUNT_MAX


def _union(
    con: duckdb.DuckDBPyConnection, layout: str, tables: list[str], ctx: BuildContext
) -> str:
    """One table of a layout's rows from every folder; one row per authority and year."""
    extra = TIDY_SOURCES[layout].extra  # the filter columns of a looked-after layout
    cols = ["_row", "time_period", "geographic_level", "region_code", "old_la_code",
            *extra, *TIDY_SOURCES[layout].measures]  # fmt: skip
    keep = ", ".join('"' + c + '"' for c in cols)
    union = " UNION ALL ".join(
        f"SELECT {keep}, '{t.removeprefix('raw_')}' AS _source_id, {k} AS _dir FROM {t}"
        for k, t in enumerate(tables)
    )
    table = f"raw_prov_{layout}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {union}")
    key = "".join(f", trim({c})" for c in extra)
    dup = con.execute(
        f"SELECT _dir, _row FROM (SELECT _dir, _row, row_number() OVER (PARTITION BY "
        f"trim(old_la_code), trim(time_period){key} ORDER BY _dir, _row) AS n FROM {table}) "
        "WHERE n > 1 ORDER BY _dir, _row LIMIT 1"
    ).fetchone()
    if dup is not None:
        raise SchemaError(
            "a second provisional return for the same authority and year",
            path=str(ctx.provisional_dirs[int(dup[0])] / provisional_file(layout)),
            row=int(dup[1]),
            column="old_la_code",
        )
    return table


def check_provisional(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Every check of :func:`load_provisional` that needs only the authorities: run
    early in a build, so that a refused return is refused before the published figures
    are loaded (a second or so, not the whole build), and nothing is written.

    Raises
    ------
    SourceFileError, SchemaError
        As :func:`load_provisional`.
    """
    if not ctx.provisional_dirs:
        return
    for layout, tables in _stage(con, ctx, record=False).items():
        _union(con, layout, tables, ctx)


def load_provisional(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """Add an authority's own return to ``observation``, marked provisional.

    Does nothing without ``ctx.provisional_dirs``. Runs after
    :func:`cscwatch.store.published.load_observations` and before the benchmarks.

    Raises
    ------
    SourceFileError, SchemaError
        A folder is missing or holds no measures CSV; a file fails its layout's declared
        schema, has a row that is not a known authority's, or repeats an authority and
        year (file, row and column named).
    """
    if not ctx.provisional_dirs:
        return
    staged = _stage(con, ctx)
    raws = {layout: _union(con, layout, tables, ctx) for layout, tables in staged.items()}
    con.execute(_OBS_DDL.format(table="_prov_obs"))
    groups: dict[_PickKey, list[Indicator]] = {}
    for ind in CATALOGUE.values():
        d = ind.derivation
        if d.kind in ("column", "ratio", "rate") and d.source in raws:
            groups.setdefault(_pick_key(ind), []).append(ind)
    picks: dict[_PickKey, str] = {}
    for k, (key, inds) in enumerate(groups.items()):
        picks[key] = f"_prov_pick_{k}"
        measures = [m for ind in inds for m in _measures(ind)]
        sql = _pick_sql(key, measures, table=raws[key[0]])
        con.execute(f"CREATE OR REPLACE TEMP TABLE {picks[key]} AS {sql}")
    _population(con, list(picks.values()))
    selects = [
        _tidy_select(ind, picks[key], provisional=True, population="_prov_population")
        for key, inds in groups.items()
        for ind in inds
    ]
    if selects:
        con.execute("INSERT INTO _prov_obs " + " UNION ALL ".join(selects))
    # The numerator and denominator of a suppressed figure are suppressed too (the API
    # returns them beside the value).
    con.execute(
        "UPDATE _prov_obs SET numerator = NULL, denominator = NULL "
        "WHERE value IS NULL AND status = 'c'"
    )
    for layout, raw in raws.items():
        con.execute(
            f"UPDATE _prov_obs o SET source_id = r._source_id FROM {raw} r "
            f"WHERE o.source_id = '{layout}' AND o.geo_code = trim(r.old_la_code) "
            f"AND o.year = {_year_sql(0)}"
        )
    _report_skipped(con, ctx)
    con.execute(
        "CREATE TEMP TABLE _obs_all AS SELECT * FROM observation UNION ALL "
        "SELECT * FROM _prov_obs p WHERE NOT EXISTS (SELECT 1 FROM observation o "
        "WHERE o.indicator = p.indicator AND o.geo_level = p.geo_level "
        "AND o.geo_code = p.geo_code AND o.year = p.year)"
    )
    added = con.execute("SELECT count(*) FROM _obs_all").fetchone()
    before = con.execute("SELECT count(*) FROM observation").fetchone()
    con.execute("DROP TABLE observation")
    con.execute(
        "CREATE TABLE observation AS SELECT * FROM _obs_all "
        "ORDER BY indicator, geo_level, geo_code, year"
    )
    for table in (*picks.values(), *raws.values(), "_prov_obs", "_obs_all", "_prov_population"):
        con.execute(f"DROP TABLE {table}")
    n_all = int(added[0]) if added else 0
    ctx.row_counts["observation"] = n_all
    ctx.row_counts["observation (provisional)"] = n_all - (int(before[0]) if before else 0)


def _population(con: duckdb.DuckDBPyConnection, picks: list[str]) -> None:
    """Children 0–17 for each provisional authority and year: that year's estimate, or
    the latest before it when the year is later than the snapshot's estimates."""
    places = " UNION ".join(f"SELECT geo_level, geo_code, year FROM {t}" for t in picks)
    con.execute(
        f"""
        CREATE TEMP TABLE _prov_population AS
        SELECT r.geo_level, r.geo_code, r.year,
               arg_max(p.mid_year, p.year) AS mid_year,
               arg_max(p.population, p.year) AS population
        FROM ({places or "SELECT NULL AS geo_level, NULL AS geo_code, NULL AS year"}) r
        JOIN population p ON p.geo_level = r.geo_level AND p.geo_code = r.geo_code
             AND p.year <= r.year AND p.population IS NOT NULL
        GROUP BY r.geo_level, r.geo_code, r.year
        """
    )


def _report_skipped(con: duckdb.DuckDBPyConnection, ctx: BuildContext) -> None:
    """One warning per authority and year whose provisional rows were already published."""
    rows = con.execute(
        """
        SELECT p.geo_code, a.name, p.year, count(*) AS n
        FROM _prov_obs p JOIN observation o ON o.indicator = p.indicator
             AND o.geo_level = p.geo_level AND o.geo_code = p.geo_code AND o.year = p.year
        LEFT JOIN authority a ON a.la_code = p.geo_code
        GROUP BY ALL ORDER BY p.geo_code, p.year
        """
    ).fetchall()
    for la, name, year, n in rows:
        ctx.warnings.append(
            f"provisional return for {name} ({la}), {year}: {n} indicators skipped because "
            f"the publisher already has figures for {year} (a provisional figure never "
            "replaces a published one)"
        )
