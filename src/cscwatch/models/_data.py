"""Reading the warehouse for the models: the authority × year panel, statistical
neighbours, current authorities, and Ofsted judgements.

Every model reads its input through these helpers once, where it enters; the SQL of
the models package lives here.

Ofsted judgements come from the warehouse tables ``inspection`` and ``judgement``
through :func:`cscwatch.store.inspections.read_inspections` when the warehouse has
them, and otherwise from the snapshot file ``ofsted_judgements.csv`` read directly
(same columns as the extraction writes). Either way they are normalised to one
frame, :data:`JUDGEMENT_FRAME`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from cscwatch.core.errors import WarehouseError

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

_OVERALL = "overall_effectiveness"
_HP = "help_protection"


def load_panel(con: duckdb.DuckDBPyConnection, indicators: tuple[str, ...]) -> pd.DataFrame:
    """Authority × year values, one column per indicator (NaN where suppressed/absent).

    Index ``(la_code, year)``; values as the catalogue defines them (spend per child
    and per child in need are computed at build, see ``indicators.catalogue``).
    """
    names = tuple(sorted(set(indicators)))
    marks = ", ".join("?" for _ in names)
    long = con.execute(
        f"""SELECT geo_code AS la_code, year, indicator, value FROM observation
            WHERE geo_level = 'la' AND indicator IN ({marks}) AND value IS NOT NULL
            ORDER BY geo_code, year, indicator""",
        list(names),
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
