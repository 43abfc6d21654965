"""Several years of one authority's SSDA903 returns in one DuckDB database, pseudonymised.

Care journeys (:mod:`.journeys`) follow children across years, so the returns' episodes
and headers are written side by side, each row marked with the collection year of the
return it came from:

* ``cla_return(year, collection_end)`` — one row per return;
* ``cla_episode(year, child, decom, dec, rne, ls, cin, place, place_provider, rec)``;
* ``cla_header(year, child, dob, sex)``.

``child`` is the keyed pseudonym the reader gives (:func:`.reader.read_return`), the same
hash as the CIN census, so a child links across years and to the CIN census; no raw
identifier is written. Dates are DuckDB dates (NULL when absent or invalid). The tables
are ordinary tables of the connection given: in memory for ``cscwatch cla journeys``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from cscwatch.core.errors import InputError

__all__ = ["ReturnYear", "infer_collection_year", "load_returns"]


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
