"""Spells counted in the database: what Kaplan–Meier curves and cohort tables need.

A journey model (:mod:`.journeys`, :mod:`cscwatch.childlevel.ssda903.journeys`) needs,
per event and group, how many spells end (by the event or by censoring) at each whole
day, and, per event and year of the clock's start, how many spells were followed 12
months and how many of those had the event within them. Those counts are small however
many children there are (a few thousand distinct days), so they are computed by one
DuckDB query over the linked spells (:func:`count_spells`) rather than by loading one
row per spell into pandas; DuckDB keeps to its memory limit and spills the rest to disk
(:func:`cscwatch.core.database.limit_memory`). :func:`counts_of_frame` counts a frame of
spells the same way, for spells already in memory.

Every spell query gives ``event``, ``child``, ``start`` (date the clock starts),
``next`` (date of the event, or None), ``censor`` (date follow-up ends) and
``data_end`` (the end of the data), plus one text column per grouping. A spell is
*observed* when ``next`` is on or before ``censor``; its duration is the whole days from
``start`` to ``next`` (observed) or ``censor``, 0 when that is negative; its cohort is
the year ending 31 March in which it started; it is *followed 12 months* when the data
run at least 365 days past its start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

__all__ = ["COHORT_COUNT_COLUMNS", "STEP_COLUMNS", "SpellCounts", "count_spells", "counts_of_frame"]

#: Columns of :attr:`SpellCounts.steps`; ``grouping`` and ``level`` are ``""`` for all.
STEP_COLUMNS = ["event", "grouping", "level", "time", "removed", "events"]
#: Columns of :attr:`SpellCounts.cohorts`.
COHORT_COUNT_COLUMNS = ["event", "cohort", "spells", "followed", "within_12m"]


@dataclass(frozen=True)
class SpellCounts:
    """Spells counted by event, group and day (no row per child).

    Attributes
    ----------
    steps : pandas.DataFrame
        :data:`STEP_COLUMNS`: per event, grouping (``""`` for every spell, else a
        grouping's name) and level, each duration in days (``time``, float) with the
        spells ending then (``removed``) and those ending by the event (``events``).
    cohorts : pandas.DataFrame
        :data:`COHORT_COUNT_COLUMNS`: per event and cohort year, spells, those followed
        12 months, and those with the event within 365 days among them.
    n_spells, children, returns : int
        Spells, distinct children with a spell, returns linked.
    groupings : tuple of str
        The groupings counted.
    """

    steps: pd.DataFrame
    cohorts: pd.DataFrame
    n_spells: int
    children: int
    returns: int
    groupings: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """Plain data (counts only: nothing identifies a child)."""
        return {
            "n_spells": self.n_spells,
            "children": self.children,
            "returns": self.returns,
            "groupings": list(self.groupings),
            "steps": self.steps.to_dict("records"),
            "cohorts": self.cohorts.to_dict("records"),
        }

    @property
    def summary(self) -> str:
        """One line for people (exact counts: for the authority's own use)."""
        return (
            f"{self.n_spells} spells of {self.children} children from {self.returns} "
            f"returns; {len(self.steps)} step counts, {len(self.cohorts)} cohort rows"
        )


def _typed(steps: pd.DataFrame, cohorts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    # One set of column types and one row order whichever way the counts were made.
    steps = steps.astype(
        {"event": str, "grouping": str, "level": str, "time": float, "removed": "int64",
         "events": "int64"}
    ).sort_values(["event", "grouping", "level", "time"], kind="stable")  # fmt: skip
    cohorts = cohorts.astype(
        {"event": str, "cohort": "int64", "spells": "int64", "followed": "int64",
         "within_12m": "int64"}
    ).sort_values(["event", "cohort"], kind="stable")  # fmt: skip
    return (
        steps[STEP_COLUMNS].reset_index(drop=True),
        cohorts[COHORT_COUNT_COLUMNS].reset_index(drop=True),
    )


def count_spells(
    con: duckdb.DuckDBPyConnection,
    spells_sql: str,
    groupings: Mapping[str, str],
    *,
    returns: int,
) -> SpellCounts:
    """Count the spells a query gives (see the module's description) in the database.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Holds the tables ``spells_sql`` reads (a child store may be read-only: only a
        temporary table is made, and dropped).
    spells_sql : str
        A query giving ``event, child, start, next, censor, data_end`` and the grouping
        columns.
    groupings : mapping of str → str
        Grouping name → the query's column holding its level (text, never NULL).
    returns : int
        Returns linked (carried through).
    """
    g_cols = ", ".join(f"{col} AS g_{name}" for name, col in groupings.items())
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _spell_count AS
        WITH s AS ({spells_sql}), d AS (
          SELECT event, child, {g_cols}{"," if g_cols else ""}
                 next IS NOT NULL AND next <= censor AS observed,
                 greatest(date_diff('day', start,
                          CASE WHEN next IS NOT NULL AND next <= censor THEN next
                               ELSE censor END), 0) AS duration,
                 year(start) + CASE WHEN month(start) >= 4 THEN 1 ELSE 0 END AS cohort,
                 date_diff('day', start, data_end) >= 365 AS followed
          FROM s
        )
        SELECT * FROM d WHERE duration IS NOT NULL
        """
    )
    try:
        parts = [
            "SELECT event, '' AS grouping, '' AS level, duration AS time, count(*) AS removed, "
            "count(*) FILTER (WHERE observed) AS events FROM _spell_count GROUP BY ALL"
        ]
        parts += [
            f"SELECT event, '{name}', g_{name}, duration, count(*), "
            f"count(*) FILTER (WHERE observed) FROM _spell_count GROUP BY ALL"
            for name in groupings
        ]
        steps = con.execute(" UNION ALL ".join(parts)).df()
        cohorts = con.execute(
            """
            SELECT event, cohort, count(*) AS spells,
                   count(*) FILTER (WHERE followed) AS followed,
                   count(*) FILTER (WHERE followed AND observed AND duration <= 365)
                     AS within_12m
            FROM _spell_count GROUP BY ALL
            """
        ).df()
        row = con.execute("SELECT count(*), count(DISTINCT child) FROM _spell_count").fetchone()
    finally:
        con.execute("DROP TABLE IF EXISTS _spell_count")
    n_spells, children = (int(row[0]), int(row[1])) if row else (0, 0)
    steps, cohorts = _typed(steps, cohorts)
    return SpellCounts(steps, cohorts, n_spells, children, returns, tuple(groupings))


def counts_of_frame(
    spells: pd.DataFrame, groupings: Mapping[str, str], *, returns: int, children: int
) -> SpellCounts:
    """Count a frame of spells already linked (``event, duration, observed, cohort,
    followed_12m`` and the grouping columns), as :func:`count_spells` counts in SQL."""
    sets: list[pd.DataFrame] = []
    for name, col in {"": None, **groupings}.items():
        keys = ["event", "duration"] if col is None else ["event", col, "duration"]
        agg = spells.groupby(keys, sort=False).agg(
            removed=("observed", "size"), events=("observed", "sum")
        )
        agg = agg.reset_index().rename(columns={"duration": "time"})
        agg["grouping"] = name
        agg["level"] = "" if col is None else agg[col]
        sets.append(agg)
    steps = pd.concat(sets, ignore_index=True) if sets else pd.DataFrame(columns=STEP_COLUMNS)
    followed = spells["followed_12m"].astype(bool)
    within = followed & spells["observed"].astype(bool) & (spells["duration"] <= 365)
    cohorts = (
        spells.assign(_f=followed, _w=within)
        .groupby(["event", "cohort"], sort=False)
        .agg(spells=("_f", "size"), followed=("_f", "sum"), within_12m=("_w", "sum"))
        .reset_index()
    )
    steps, cohorts = _typed(steps, cohorts)
    return SpellCounts(steps, cohorts, len(spells), children, returns, tuple(groupings))
