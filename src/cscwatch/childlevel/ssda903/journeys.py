"""Care journeys across SSDA903 returns: time in care, placement moves, returns home, re-entry.

The returns of one authority for one or more years (:mod:`.store`) are linked by the
pseudonymised ``CHILD``; an episode in several years' returns (open across 31 March, or
revised) is kept once, by child and DECOM, the later return winning. Episodes with legal
status V3 or V4 (short breaks) are left out, as in the published counts. A period of
care starts at an episode with RNE ``S`` or one not contiguous with the child's previous
episode, and ends with the DEC of its last episode (REC other than ``X1``).

Clocks (every duration in days; follow-up ends at the last collection end loaded, 31
March of the latest return). Only clocks that start on or after the first loaded
collection's 1 April are followed: a clock started earlier is seen only if it was still
running then (children who left care before are missing), and counting it would bias
every curve towards long stays.

* **left_care** — time in care: from the start of a period of care to its end (any
  reason); censored while still in care.
* **placement_move** — from the start of a placement (an episode opening the period of
  care or with RNE ``P``, ``T``, ``B`` or ``U``; temporary placements ``T0``–``T4`` are
  not placements) to the start of the next placement in the same period of care;
  censored when the period of care ends or at the data end.
* **return_home** — from the start of a period of care to its end by a return home
  (REC ``E4A`` or ``E4B``: returned to live with parents or others with parental
  responsibility); other endings and the data end censor (a competing end is treated as
  censoring, so the curve answers "had nothing else happened").
* **reentry** — from the end of a period of care by a return home to the start of the
  child's next period of care; censored at the data end or the child's 18th birthday.
* **referral_to_care** (only when CIN census returns are loaded in the same database,
  :mod:`cscwatch.childlevel.cin.store`, with the same pseudonym key) — from the child's
  first CIN referral to their first entry to care after it; censored at the earlier of the
  two data ends or the 18th birthday. Children already in care before their first
  referral are left out.

Each spell carries the child's age band at the clock's start (DfE's bands) and the
placement type group at the clock's start (:data:`PLACEMENT_GROUPS`; for re-entry, the
placement the child left; for referral to care, none). Curves are Kaplan–Meier with
Greenwood 95% log-log limits (:func:`cscwatch.childlevel.cin.journeys.kaplan_meier`), and
the results object is the CIN one (:class:`~cscwatch.childlevel.cin.journeys.JourneyResults`),
so the same disclosure control applies: counts of 1 to 5 are ``c``, groups add up to
``all``, small steps are coarsened and an estimate is ``c`` where its counts are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from cscwatch.childlevel.cin.journeys import (
    JourneyResults,
    SpellCounts,
    cohort_rows,
    fit_curves,
)
from cscwatch.childlevel.cin.spells import count_spells, counts_of_frame
from cscwatch.childlevel.ssda903.store import RETURN_TABLE, has_cla_store, store_table
from cscwatch.core.errors import InputError
from cscwatch.indicators.disclosure import RowRelation, disclose

__all__ = [
    "CLA_EVENTS",
    "HOME_REASONS",
    "PLACEMENT_GROUPS",
    "ClaJourneyData",
    "ClaJourneyModel",
    "cla_journey_counts",
    "cla_journey_data",
]

#: Clocks, in the order tables show them.
CLA_EVENTS: tuple[str, ...] = (
    "left_care",
    "placement_move",
    "return_home",
    "reentry",
    "referral_to_care",
)
#: REC codes meaning the child returned home (to parents or others with parental
#: responsibility), as part of care planning (E4A) or not (E4B).
HOME_REASONS: tuple[str, ...] = ("E4A", "E4B")
#: Placement type groups of DfE's published tables → PLACE codes.
PLACEMENT_GROUPS: dict[str, tuple[str, ...]] = {
    "Foster placements": ("U1", "U2", "U3", "U4", "U5", "U6"),
    "Placed for adoption": ("A3", "A4", "A5", "A6"),
    "Placed with parents": ("P1",),
    "Other placements in the community": ("P2", "P3", "H5"),
    "Secure homes and children's homes": ("K1", "K2"),
    "Other residential settings": ("R1", "R2", "R3", "R5", "S1"),
}
_AGE_BANDS = (("under 1", 1), ("1 to 4", 5), ("5 to 9", 10), ("10 to 15", 16))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _group_sql(col: str) -> str:
    whens = " ".join(
        f"WHEN {col} IN ({', '.join(repr(c) for c in codes)}) THEN {_quote(label)}"
        for label, codes in PLACEMENT_GROUPS.items()
    )
    return f"CASE WHEN {col} IS NULL THEN 'unknown' {whens} ELSE 'Other placements' END"


def _age_sql(dob: str, at: str) -> str:
    age = (
        f"(year({at}) - year({dob}) - CASE WHEN strftime({dob}, '%m%d') > strftime({at}, "
        f"'%m%d') THEN 1 ELSE 0 END)"
    )
    whens = " ".join(f"WHEN {age} < {hi} THEN '{label}'" for label, hi in _AGE_BANDS)
    return f"CASE WHEN {dob} IS NULL OR {age} < 0 THEN 'unknown' {whens} ELSE '16 and over' END"


# The SQL reads three input views (see _memory_inputs, _store_inputs), each row marked
# with its ``scope`` (the authority in a child store; '' for returns in memory):
# _cj_in_episode(scope, year, child, decom, dec, rne, ls, cin, place, place_provider,
# rec), _cj_in_header(scope, year, child, dob), _cj_in_return(scope, year, collection_end);
# and, with CIN census returns, _cj_in_cin(scope, child, first_referral, cin_end,
# birth_date). Follow-up starts and ends with each scope's own returns.
_SQL_EPISODES = f"""
CREATE OR REPLACE TEMP TABLE _cj_ep AS
WITH kept AS (
  SELECT * FROM _cj_in_episode
  WHERE child IS NOT NULL AND decom IS NOT NULL AND coalesce(ls, '') NOT IN ('V3', 'V4')
  QUALIFY row_number() OVER (PARTITION BY child, decom ORDER BY year DESC) = 1
), marked AS (
  SELECT *, rne = 'S' OR lag(dec) OVER w IS DISTINCT FROM decom AS new_poc,
         coalesce(place, '') IN ('T0', 'T1', 'T2', 'T3', 'T4') AS temporary
  FROM kept WINDOW w AS (PARTITION BY child ORDER BY decom)
)
SELECT *, sum(new_poc::INT) OVER (PARTITION BY child ORDER BY decom) AS poc_no,
       {_group_sql("place")} AS place_group
FROM marked
"""

# arg_max_null: the last episode's DEC and REC even when NULL (still open).
_SQL_POC = """
CREATE OR REPLACE TEMP TABLE _cj_poc AS
SELECT child, poc_no, any_value(scope) AS scope, min(decom) AS start,
       arg_max_null(dec, decom) AS "end", arg_max_null(rec, decom) AS rec,
       arg_min(place_group, decom) AS first_group, arg_max(place_group, decom) AS last_group
FROM _cj_ep GROUP BY child, poc_no
"""

_SQL_CHILD = """
CREATE OR REPLACE TEMP TABLE _cj_child AS
SELECT child, arg_max(dob, year) AS dob FROM _cj_in_header WHERE child IS NOT NULL
GROUP BY child
"""


def _spells_sql(with_cin: bool) -> str:
    # Each branch's censor is NULL where it is the scope's data end (filled in below).
    age = _age_sql("c.dob", "s.start")
    cin = (
        """
  UNION ALL
  SELECT 'referral_to_care', r.scope, r.child, r.first_referral, NULL,
         (SELECT min(p.start) FROM _cj_poc p WHERE p.child = r.child
            AND p.start >= r.first_referral),
         r.cin_end, r.birth_date
  FROM _cj_in_cin r
  WHERE NOT EXISTS (SELECT 1 FROM _cj_poc p WHERE p.child = r.child
                    AND p.start < r.first_referral)
"""
        if with_cin
        else ""
    )
    return f"""
WITH bounds AS (
  SELECT scope, make_date(min(year) - 1, 4, 1) AS data_start, max(collection_end) AS data_end
  FROM _cj_in_return GROUP BY scope
),
placements AS (
  SELECT e.child, e.poc_no, e.decom AS start, e.place_group,
         lead(e.decom) OVER (PARTITION BY e.child, e.poc_no ORDER BY e.decom) AS next
  FROM _cj_ep e
  WHERE NOT e.temporary AND (e.new_poc OR e.rne IN ('P', 'T', 'B', 'U'))
), spells AS (
  SELECT 'left_care' AS event, scope, child, start, first_group AS place_group,
         "end" AS next, NULL::DATE AS censor, NULL::DATE AS cin_dob
  FROM _cj_poc
  UNION ALL
  SELECT 'placement_move', p.scope, pl.child, pl.start, pl.place_group, pl.next, p."end", NULL
  FROM placements pl JOIN _cj_poc p USING (child, poc_no)
  UNION ALL
  SELECT 'return_home', scope, child, start, first_group,
         CASE WHEN rec IN {tuple(HOME_REASONS)!r} THEN "end" END, "end", NULL
  FROM _cj_poc
  UNION ALL
  SELECT 'reentry', p.scope, p.child, p."end", p.last_group,
         (SELECT min(q.start) FROM _cj_poc q WHERE q.child = p.child AND q.start > p."end"),
         NULL, NULL
  FROM _cj_poc p WHERE p.rec IN {tuple(HOME_REASONS)!r} AND p."end" IS NOT NULL{cin}
), bounded AS (
  SELECT s.* REPLACE (
           CASE WHEN s.event = 'referral_to_care' THEN least(s.censor, b.data_end)
                ELSE coalesce(s.censor, b.data_end) END AS censor),
         b.data_start, b.data_end
  FROM spells s JOIN bounds b USING (scope)
)
SELECT s.event, s.child, s.start, s.place_group, s.next,
       CASE WHEN s.event IN ('reentry', 'referral_to_care') AND c.dob IS NOT NULL
            THEN least(s.censor, (c.dob + INTERVAL 18 YEAR)::DATE) ELSE s.censor END AS censor,
       {age} AS age_band,
       s.data_end
FROM bounded s LEFT JOIN (
  SELECT child, dob FROM _cj_child
  UNION ALL  -- children known only to the CIN census: their CIN birth date
  SELECT child, any_value(cin_dob) FROM bounded
  WHERE cin_dob IS NOT NULL AND child NOT IN (SELECT child FROM _cj_child) GROUP BY child
) c USING (child)
WHERE s.start IS NOT NULL AND s.start <= s.censor AND s.start >= s.data_start
"""


@dataclass(frozen=True)
class ClaJourneyData:
    """Linked spells: one row per clock start, with its outcome.

    Attributes
    ----------
    spells : pandas.DataFrame
        ``event, child, start, duration`` (days), ``observed`` (bool), ``age_band``,
        ``placement`` (placement type group at the clock's start), ``cohort`` (year
        ending 31 March in which the clock started), ``followed_12m`` (bool).
        Child-level: for the authority's own use, never shown.
    children : int
        Distinct children with at least one spell.
    returns : int
        Returns loaded (years).
    with_cin : bool
        Whether the referral-to-care clock was computed.
    """

    spells: pd.DataFrame
    children: int
    returns: int
    with_cin: bool = False


def _has_cin(con: duckdb.DuckDBPyConnection) -> bool:
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    return {"cin_episode", "cin_child", "cin_return"} <= names


def _cin_sql(scope: str, child: str, where: str = "") -> str:
    # Each CIN child's first referral, latest reference date and birth date.
    return f"""
    SELECT {scope} AS scope, {child} AS child, min(e.referral_date) AS first_referral,
           max(cr.reference_date) AS cin_end, max(cc.birth_date) AS birth_date
    FROM cin_episode e JOIN cin_child cc USING (return_id, child_seq)
    JOIN cin_return cr USING (return_id)
    WHERE cc.child_id IS NOT NULL AND e.referral_date IS NOT NULL {where}
    GROUP BY ALL
    """


def _memory_inputs(con: duckdb.DuckDBPyConnection) -> tuple[int, bool]:
    # The input views over the tables load_returns wrote (one scope): (returns, with CIN).
    n = con.execute("SELECT count(*) FROM cla_return").fetchone()
    if not n or not n[0]:
        raise InputError("no SSDA903 returns loaded")
    con.execute(
        "CREATE OR REPLACE TEMP VIEW _cj_in_episode AS SELECT '' AS scope, year, child, "
        "decom, dec, rne, ls, cin, place, place_provider, rec FROM cla_episode;"
        "CREATE OR REPLACE TEMP VIEW _cj_in_header AS SELECT '' AS scope, year, child, dob "
        "FROM cla_header;"
        "CREATE OR REPLACE TEMP VIEW _cj_in_return AS SELECT '' AS scope, year, "
        "collection_end FROM cla_return"
    )
    with_cin = _has_cin(con)
    if with_cin:
        con.execute("CREATE OR REPLACE TEMP VIEW _cj_in_cin AS " + _cin_sql("''", "cc.child_id"))
    return int(n[0]), with_cin


def _store_inputs(con: duckdb.DuckDBPyConnection, authority: str | None) -> tuple[int, bool]:
    # The input views over a child store's SSDA903 tables (cla load): one scope per
    # authority, and a child is the authority's pseudonym (la_code:child).
    if not has_cla_store(con):
        raise InputError("the child store holds no SSDA903 returns: load them with cla load")
    where = "" if authority is None else f"WHERE la_code = {_quote(authority)}"
    n = con.execute(f"SELECT count(*) FROM {RETURN_TABLE} {where}").fetchone()
    if not n or not n[0]:
        raise InputError(f"the child store holds no SSDA903 return for LA {authority}")
    key = "la_code || ':' || child"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _cj_in_episode AS SELECT la_code AS scope, year, "
        f"{key} AS child, decom_d AS decom, dec_d AS dec, rne, ls, cin, place, "
        f"place_provider, rec FROM {store_table('episodes')} {where};"
        f"CREATE OR REPLACE TEMP VIEW _cj_in_header AS SELECT la_code AS scope, year, "
        f"{key} AS child, dob_d AS dob FROM {store_table('header')} {where};"
        f"CREATE OR REPLACE TEMP VIEW _cj_in_return AS SELECT la_code AS scope, year, "
        f"collection_end FROM {RETURN_TABLE} {where}"
    )
    with_cin = False
    if _has_cin(con):
        la = "" if authority is None else f"AND cr.la_code = {_quote(authority)}"
        con.execute(
            "CREATE OR REPLACE TEMP VIEW _cj_in_cin AS "
            + _cin_sql("cr.la_code", "cr.la_code || ':' || cc.child_id", la)
        )
        found = con.execute(
            "SELECT count(*) FROM (SELECT 1 FROM _cj_in_cin WHERE scope IN "
            "(SELECT scope FROM _cj_in_return) LIMIT 1)"
        ).fetchone()
        with_cin = bool(found and found[0])
    return int(n[0]), with_cin


def _inputs(
    con: duckdb.DuckDBPyConnection, stored: bool, authority: str | None
) -> tuple[int, bool]:
    if authority is not None and not stored:
        raise ValueError("authority applies to a child store only")
    return _store_inputs(con, authority) if stored else _memory_inputs(con)


def cla_journey_data(
    con: duckdb.DuckDBPyConnection, *, stored: bool = False, authority: str | None = None
) -> ClaJourneyData:
    """Link the returns loaded by :func:`.store.load_returns` (or stored) into spells.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An in-memory database (:func:`.store.load_returns`) or, with ``stored``, the
        child store (:func:`.store.load_store_returns`).
    stored : bool
        Read the child store's SSDA903 tables: every authority's returns, a child
        followed within its authority (``child`` is ``<LA>:<pseudonym>``), each
        authority's follow-up from the 1 April of its first stored year to the 31 March
        of its last.
    authority : str, optional
        With ``stored``, one authority's returns only (LA number).

    CIN census tables in the same connection add the referral-to-care clock (in a
    child store: CIN returns of the same authority, linked by pseudonym).

    Raises
    ------
    InputError
        When no return is loaded (for the authority).
    """
    n_returns, with_cin = _inputs(con, stored, authority)
    for sql in (_SQL_EPISODES, _SQL_POC, _SQL_CHILD):
        con.execute(sql)
    raw = con.execute(_spells_sql(with_cin) + "ORDER BY s.event, s.child, s.start").df()
    start = pd.to_datetime(raw["start"])
    nxt = pd.to_datetime(raw["next"])
    censor = pd.to_datetime(raw["censor"])
    observed = nxt.notna() & (nxt <= censor)
    end = nxt.where(observed, censor)
    spells = pd.DataFrame(
        {
            "event": raw["event"].astype(str),
            "child": raw["child"].astype(str),
            "start": start.dt.date,
            "duration": (end - start).dt.days.clip(lower=0).astype(float),
            "observed": observed.to_numpy(dtype=bool),
            "age_band": raw["age_band"].astype(str),
            "placement": raw["place_group"].fillna("none").astype(str),
            "cohort": (start.dt.year + (start.dt.month >= 4).astype(int)).astype(int),
            "followed_12m": ((pd.to_datetime(raw["data_end"]) - start).dt.days >= 365).to_numpy(),
        }
    )
    return ClaJourneyData(
        spells=spells,
        children=int(spells["child"].nunique()),
        returns=n_returns,
        with_cin=with_cin,
    )


_GROUPS = {"age": "age_band", "placement": "placement"}


def cla_journey_counts(
    con: duckdb.DuckDBPyConnection, *, stored: bool = False, authority: str | None = None
) -> SpellCounts:
    """Link the loaded (or stored) returns and count the spells in the database.

    The spells :func:`cla_journey_data` links, counted by clock, age band, placement
    group and day (:class:`~cscwatch.childlevel.cin.spells.SpellCounts`) without a row
    per child leaving DuckDB; ``ClaJourneyModel`` fits the same curves from either.
    Parameters as :func:`cla_journey_data`: with ``stored`` the work is DuckDB's, under
    the connection's memory limit, spilling to disk past it.

    Raises
    ------
    InputError
        When no return is loaded (for the authority).
    """
    n_returns, with_cin = _inputs(con, stored, authority)
    for sql in (_SQL_EPISODES, _SQL_POC, _SQL_CHILD):
        con.execute(sql)
    spells = f"""
        WITH raw AS ({_spells_sql(with_cin)})
        SELECT event, child, start, next, censor, data_end, age_band,
               coalesce(place_group, 'none') AS placement
        FROM raw
    """
    return count_spells(con, spells, _GROUPS, returns=n_returns)


class ClaJourneyModel:
    """Kaplan–Meier curves of the care-journey clocks.

    Parameters
    ----------
    data : ClaJourneyData or SpellCounts
        From :func:`cla_journey_data` (one row per spell) or :func:`cla_journey_counts`
        (counted in the database: the same results in bounded memory).
    groups : sequence of str
        ``age`` (age band at the clock's start) and/or ``placement`` (placement type
        group at the clock's start); each grouping is fitted separately, not crossed.
    """

    def __init__(
        self, data: ClaJourneyData | SpellCounts, groups: Sequence[str] = ("age",)
    ) -> None:
        bad = [g for g in groups if g not in _GROUPS]
        if bad:
            raise InputError(f"unknown grouping {bad}; use {', '.join(_GROUPS)}")
        self.data = data
        self.groups = tuple(groups)

    def fit(self) -> JourneyResults:
        """Fit every curve and the yearly cohort tables (disclosure-controlled)."""
        counts = self.data
        if isinstance(counts, ClaJourneyData):
            counts = counts_of_frame(
                counts.spells, _GROUPS, returns=counts.returns, children=counts.children
            )
        frame = cohort_rows(counts)
        # Each clock's cohorts add up to its spells (treated as published).
        relations = [
            RowRelation(tuple(int(i) for i in idx))
            for _, idx in frame.groupby("event").groups.items()
            if len(idx) > 1
        ]
        safe = disclose(
            frame,
            counts=["spells", "followed", "within_12m"],
            derived={"percent": ["followed", "within_12m"]},
            row_relations=relations,
        )
        return JourneyResults(
            curves=fit_curves(counts, CLA_EVENTS, self.groups, skip_empty=("referral_to_care",)),
            cohorts=pd.DataFrame(safe.to_dict("records"), columns=list(frame.columns)),
            groups=self.groups,
            n_spells=counts.n_spells,
            n_children=counts.children,
            n_returns=counts.returns,
        )
