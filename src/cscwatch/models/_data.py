"""Reading the warehouse for the models: the authority × year panel, statistical
neighbours, current authorities, and Ofsted judgements.

Every model reads its input through these helpers once, where it enters; the SQL of
the models package lives here.

Years
-----
The warehouse keeps every indicator under its publisher's year (the workforce census
of 30 September 2024 is 2024). A model that sets indicators side by side lines each up
with the reporting year — the year ending 31 March — that it informs, and does so here
only: :data:`ALIGNMENT` declares, for each period kind, the reporting year of its year
``Y``, and :func:`load_panel` applies it (``align=True``, the default), so every
model's years are reporting years. Publication dates (``features.PUBLICATION_LAGS``)
are declared for the publisher's years, as the warehouse stores them.

Ofsted judgements come from the warehouse tables ``inspection`` and ``judgement``
through :func:`cscwatch.store.inspections.read_inspections` when the warehouse has
them, and otherwise from the snapshot file ``ofsted_judgements.csv`` read directly
(same columns as the extraction writes). Either way they are normalised to one
frame, :data:`JUDGEMENT_FRAME`.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.errors import WarehouseError
from cscwatch.core.types import PeriodKind

#: Columns of the normalised judgements frame (one row per graded inspection).
JUDGEMENT_FRAME = (
    "inspection_id",
    "la_code",
    "framework",
    "kind",
    "start_date",
    "publication_date",
    "overall_rank",
    "hp_rank",
)


@dataclass(frozen=True)
class Alignment:
    """Year ``Y`` of a period kind informs the reporting year ``Y + offset``."""

    offset: int
    reason: str


#: The one place where a publisher's year is lined up with the reporting year (year
#: ending 31 March) it informs. Every period kind is declared.
ALIGNMENT: dict[PeriodKind, Alignment] = {
    PeriodKind.FINANCIAL_YEAR: Alignment(0, "the year ending 31 March Y is reporting year Y"),
    PeriodKind.AT_31_MARCH: Alignment(0, "31 March Y closes reporting year Y"),
    PeriodKind.AT_30_SEPTEMBER: Alignment(
        1, "the workforce census of 30 September Y falls in the year ending 31 March Y + 1"
    ),
    PeriodKind.YEAR_TO_30_SEPTEMBER: Alignment(
        1, "the year to 30 September Y is read with the census of that date (Y + 1)"
    ),
    PeriodKind.ACADEMIC_YEAR: Alignment(
        0, "the academic year ending summer Y: children in need on 31 March Y"
    ),
    PeriodKind.JANUARY_CENSUS: Alignment(0, "January Y falls in the year ending 31 March Y"),
    PeriodKind.CALENDAR_YEAR: Alignment(
        0, "calendar year Y, read with the year ending 31 March Y (as LAIT sets them side by side)"
    ),
    PeriodKind.MID_YEAR: Alignment(
        1, "the mid-Y estimate serves the year ending 31 March Y + 1, as DfE's rates use it"
    ),
}


def alignment_offset(indicator: str) -> int:
    """Years to add to ``indicator``'s year to give the reporting year it informs."""
    return ALIGNMENT[CATALOGUE[indicator].period_kind].offset


_OVERALL = "overall_effectiveness"
_HP = "help_protection"


def load_panel(
    con: duckdb.DuckDBPyConnection, indicators: tuple[str, ...], *, align: bool = True
) -> pd.DataFrame:
    """Authority × year values, one column per indicator (NaN where suppressed/absent).

    Index ``(la_code, year)``; values as the catalogue defines them (spend per child
    and per child in need are computed at build, see ``core.catalogue``).
    ``year`` is the reporting year each value informs (:data:`ALIGNMENT`), or the
    publisher's own year with ``align=False``.
    """
    names = tuple(sorted(set(indicators)))
    marks = ", ".join("?" for _ in names)
    offsets = [alignment_offset(n) if align else 0 for n in names]
    long = con.execute(
        f"""SELECT o.geo_code AS la_code, o.year + a.offset AS year, o.indicator, o.value
            FROM observation o
            JOIN (SELECT unnest(?) AS indicator, unnest(?) AS offset) a USING (indicator)
            WHERE o.geo_level = 'la' AND o.indicator IN ({marks}) AND o.value IS NOT NULL
            ORDER BY 1, 2, 3""",
        [list(names), offsets, *names],
    ).df()
    wide = long.pivot_table(
        index=["la_code", "year"], columns="indicator", values="value", aggfunc="first"
    )
    wide = wide.reindex(columns=list(indicators)).astype(float)
    wide.columns.name = None
    return wide.sort_index()


def load_population(con: duckdb.DuckDBPyConnection) -> pd.Series:
    """Children aged 0–17 by ``(la_code, year)``."""
    df = con.execute(
        "SELECT geo_code AS la_code, year, population FROM population "
        "WHERE geo_level = 'la' AND population IS NOT NULL ORDER BY 1, 2"
    ).df()
    return df.set_index(["la_code", "year"])["population"].astype(float)


def load_neighbours(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Pairs ``(la_code, neighbour)``: the 2021 model, the 2025 model for authorities
    the 2021 model lacks (those created since)."""
    df = con.execute(
        """SELECT la_code, neighbour, model FROM statistical_neighbour
           ORDER BY la_code, model, rank"""
    ).df()
    has21 = set(df.loc[df["model"] == "2021", "la_code"])
    keep = (df["model"] == "2021") | ~df["la_code"].isin(has21)
    return df.loc[keep, ["la_code", "neighbour"]].reset_index(drop=True)


def load_authorities(con: duckdb.DuckDBPyConnection, *, current: bool = True) -> pd.DataFrame:
    """Authorities (``la_code``, ``name``, ``region_name``), current ones by default."""
    where = "WHERE is_current" if current else ""
    return con.execute(
        f"SELECT la_code, name, region_name FROM authority {where} ORDER BY la_code"
    ).df()


def _has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_name IN ('inspection', 'judgement')"
    ).fetchall()
    return bool(row and row[0][0] == 2)


def _rank(grade: pd.Series) -> pd.Series:
    ranks = {"outstanding": 1.0, "good": 2.0, "requires_improvement": 3.0, "inadequate": 4.0}
    return grade.map(ranks).astype(float)


def load_judgements(
    con: duckdb.DuckDBPyConnection | None, snapshot_dir: Path | None = None
) -> pd.DataFrame:
    """Graded inspections with their overall and help-and-protection grades.

    One row per inspection that grades overall effectiveness, ordered by start date;
    ranks are 1 outstanding … 4 inadequate (``hp_rank`` NaN where not graded).

    Raises
    ------
    WarehouseError
        When neither the warehouse tables nor the snapshot file are available.
    """
    if con is not None and _has_tables(con):
        from cscwatch.store.inspections import read_inspections

        raw = pd.DataFrame(
            [
                (
                    i.file,
                    i.la_code,
                    i.framework.value,
                    i.kind.value,
                    i.start_date,
                    i.publication_date,
                    str(code),
                    str(grade),
                )
                for i in read_inspections(con)
                for code, grade in i.judgements.items()
            ],
            columns=[
                "file",
                "la_code",
                "framework",
                "kind",
                "start_date",
                "publication_date",
                "judgement",
                "grade",
            ],
        )
    else:
        path = (snapshot_dir or Path()) / "ofsted_judgements.csv"
        if snapshot_dir is None or not path.exists():
            raise WarehouseError(
                "no Ofsted judgements: the warehouse has no inspection tables and "
                f"{path} is missing; run 'cscwatch build' with the judgements snapshot"
            )
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        raw = raw.loc[raw["grade"] != ""]
    return _normalise(raw)


def _normalise(raw: pd.DataFrame) -> pd.DataFrame:
    raw = raw.loc[raw["la_code"].astype(str).str.len() == 3].copy()
    raw["start_date"] = pd.to_datetime(raw["start_date"]).dt.date
    raw["publication_date"] = pd.to_datetime(raw["publication_date"]).dt.date
    keys = ["file", "la_code", "framework", "kind", "start_date", "publication_date"]
    overall = raw.loc[raw["judgement"] == _OVERALL, [*keys, "grade"]]
    hp = raw.loc[raw["judgement"] == _HP, ["file", "grade"]].rename(columns={"grade": "hp"})
    df = overall.merge(hp, on="file", how="left")
    df["overall_rank"] = _rank(df["grade"])
    df["hp_rank"] = _rank(df["hp"])
    df = df.dropna(subset=["start_date", "publication_date", "overall_rank"])
    df = df.sort_values(["start_date", "la_code", "file"]).reset_index(drop=True)
    df["inspection_id"] = np.arange(1, len(df) + 1)
    return df.loc[:, list(JUDGEMENT_FRAME)]


def last_prior(judgements: pd.DataFrame, cases: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Each case's authority's latest judgement published before the case's ``as_at``.

    Returns the judgements ordered by authority, then publication date, and for each
    case (by position) the row of that frame holding its latest prior judgement (-1
    when there is none). The rows of an authority before that one are its earlier
    judgements, oldest first (found by bisection: a mask per case cost a risk fit
    about 0.6 s of CPU).
    """
    groups = [g.sort_values("publication_date") for _, g in judgements.groupby("la_code")]
    ordered = pd.concat(groups) if groups else judgements.iloc[:0]
    starts: dict[str, tuple[int, list[date]]] = {}
    offset = 0
    for g in groups:
        starts[g["la_code"].iloc[0]] = (offset, list(g["publication_date"]))
        offset += len(g)
    pos = np.full(len(cases), -1, dtype=np.int64)
    for i, (la, at) in enumerate(zip(cases["la_code"], cases["as_at"], strict=True)):
        found = starts.get(la)
        if found is not None:
            k = bisect_left(found[1], at)  # how many were published before ``at``
            if k:
                pos[i] = found[0] + k - 1
    return ordered, pos
