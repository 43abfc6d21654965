"""The published children in need measures, computed from child-level CIN census data.

Every measure is one DuckDB query over the child-level tables
(:mod:`cscwatch.childlevel.cin.store`), per return (one authority, one year), and comes out
in the tidy layout of the DfE file that publishes it, so the warehouse can load it beside
the published figures: ``time_period, time_identifier, geographic_level, country_code,
country_name, region_code, region_name, old_la_code, new_la_code, la_name, category``,
the publisher's own measure columns, then ``provisional`` (always ``"true"``: computed
by cscwatch from a return, not published) and ``return_id``.

Definitions
-----------
Sources: DfE, *Characteristics of children in need* methodology (explore-education-
statistics.service.gov.uk/methodology/characteristics-of-children-in-need-methodology,
and the 2018-19 methodology document, sections 4 "Data processing" and 7 "Definitions");
DfE, *Children in need census 2024 to 2025: guide*; LAIT data dictionary
(``lait_data_dictionary.csv`` in the snapshot). The census year is 1 April to 31 March
(``collection_year`` 2025 = 1 April 2024 to 31 March 2025). Children are counted once
per return (by position in the file); working days are Monday to Friday except England
and Wales bank holidays, from the same calendar validation uses
(:func:`cscwatch.core.bank_holidays.bank_holidays`, any year).

c1 — referrals
    ``referral_count``: ``<CINdetails>`` with ``CINreferralDate`` in the year ("a request
    for services to be provided by children's social care", NFA referrals included).
    ``rereferral_count``: those referrals for which the same child had a previous
    referral (any earlier ``CINreferralDate`` in this return or in an earlier return of
    the same authority loaded alongside, matched by pseudonymised child id) on or after
    the date 12 months before ("a re-referral occurs when a child is referred within 12
    months of a previous referral"). ``no_further_action_count``: referrals in the year
    with ``ReferralNFA`` true. ``not_in_need_count``: referrals in the year, not NFA,
    closed with ``ReasonForClosure`` RC8 (case closed after assessment, no further
    action) or RC9 (... referred to early help) — LAIT's "assessed not to be in need".
    ``referral_child_count`` / ``rereferral_child_count``: children with at least one
    referral / re-referral in the year. Percentages: of referrals (children for the
    child rate), one decimal place.
b1 — children in need episodes
    A CIN episode is a ``<CINdetails>`` that is neither an NFA referral nor assessed not
    in need (the published started episodes equal referrals less both). At any point:
    referred on or before 31 March and not closed before 1 April. Started: referred in
    the year. Ended: closed in the year. At 31 March: referred on or before and not closed
    by 31 March. ``awaiting_assessment``: episodes open at 31 March, referred in the year,
    with no assessment authorised yet (our reading of the published column).
c2 — assessments (publisher's file not in the snapshot; columns as EES table C2)
    Assessments with ``AssessmentAuthorisationDate`` in the year; duration = working days
    from ``AssessmentActualStartDate`` to the authorisation date (start day excluded);
    ``Within_45_days`` = duration of 45 working days or fewer (the 45-working-day
    maximum of *Working Together to Safeguard Children*; the LAIT indicator
    "Continuous assessments completed within 45 working days").
c3 — factors identified at the end of assessment
    Episodes with at least one assessment authorised in the year that records a factor
    other than 21 ("no factors identified"); each factor column counts episodes with
    that factor at any such assessment (codes as :data:`FACTOR_COLUMNS`).
c4 — section 47 enquiries and initial child protection conferences (columns ours)
    ``S47_enquiries``: ``<Section47>`` with ``S47ActualStartDate`` in the year.
    ``ICPCs``: initial conferences held in the year, at section 47 level or, where none
    is recorded there, at CIN-details level (rule 2884: one or the other).
    ``ICPC_within_15_days``: section-47-level conferences in the year held within 15
    working days of the enquiry's start; its percentage is of section-47-level
    conferences (the only ones with a start to measure from).
d3 — child protection plans started; second or subsequent plans
    Plans with ``CPPstartDate`` in the year; subsequent when ``NumberOfPreviousCPP`` ≥ 1
    (the child had been the subject of a plan before, at any time).
d5 — plans at 31 March by length
    Plans started on or before 31 March and not ended by it, by time since start: 3
    months or less; more than 3 months up to 6; more than 6 months and less than 1 year;
    1 year and less than 2; 2 years or more (calendar months).

Disclosure: :func:`compute_cin_measures` returns exact counts (for tests and the
authority's own use); :meth:`CinMeasures.tidy` and everything the CLI writes pass every
layout of a return together through :func:`cscwatch.indicators.disclosure.disclose`
first, with the relations between columns declared in :data:`RELATIONS` (within c2,
b1 and d5, and between c1 and b1, which share the referrals), so secondary suppression
leaves no suppressed cell that differencing could recover.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from cscwatch.core.bank_holidays import bank_holidays
from cscwatch.core.errors import InputError
from cscwatch.core.progress import ProgressCallback, tick
from cscwatch.core.types import GeoLevel
from cscwatch.indicators.cin_layouts import (
    FACTOR_COLUMNS,
    LAYOUTS,
    PERCENTS,
    RELATIONS,
)
from cscwatch.indicators.disclosure import SMALL_COUNT_MAX, SUPPRESSED, disclose

__all__ = [
    "GEO_COLUMNS",
    "LAYOUTS",
    "PERCENTS",
    "RELATIONS",
    "AuthorityInfo",
    "CinMeasures",
    "authority_lookup",
    "compute_cin_measures",
    "publisher_text",
    "tidy_geography",
]

#: The geography columns every published tidy file starts with.
GEO_COLUMNS: tuple[str, ...] = (
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "old_la_code",
    "new_la_code",
    "la_name",
    "category",
)


@dataclass(frozen=True)
class AuthorityInfo:
    """Codes and names of an authority for the tidy geography columns."""

    la_code: str
    gss_code: str
    name: str
    region_code: str
    region_name: str


def tidy_geography(
    time_period: object, la_code: str, info: AuthorityInfo | None
) -> dict[str, object]:
    """The geography columns' values for an authority's rows of a DfE tidy file (its
    time period as the layout writes it; blank codes and names for an authority the
    lookup does not know). Each layout orders the columns itself: the children in need
    files end with ``new_la_code, la_name``, the looked-after files with ``la_name,
    new_la_code``."""
    return {
        "time_period": time_period,
        "time_identifier": "Reporting year",
        "geographic_level": "Local authority",
        "country_code": "E92000001",
        "country_name": "England",
        "region_code": info.region_code if info else "",
        "region_name": info.region_name if info else "",
        "old_la_code": la_code,
        "new_la_code": info.gss_code if info else "",
        "la_name": info.name if info else "",
    }


def authority_lookup(
    snapshot_dir: Path,
    file: str = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv",
) -> dict[str, AuthorityInfo]:
    """LA number → latest codes and names, from one of the snapshot's DfE tidy files
    (the c1 referrals file by default); empty when the file is absent."""
    path = Path(snapshot_dir) / file
    if not path.is_file():
        return {}
    # Parsed once per version of the file (a new size or time reads it again): a process
    # asked many times (the tests' in-process commands, 70 ms each) parses it once.
    stat = path.stat()
    return dict(_authorities(str(path.resolve()), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _authorities(path: str, _mtime_ns: int, _size: int) -> Mapping[str, AuthorityInfo]:
    # The lookup from one version of one tidy file (the callers get a copy).
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = df[df.geographic_level == "Local authority"]
    df = df.assign(tp=df.time_period.astype(int)).sort_values("tp")
    out: dict[str, AuthorityInfo] = {}
    for row in df.itertuples(index=False):
        out[str(row.old_la_code)] = AuthorityInfo(
            str(row.old_la_code), str(row.new_la_code), str(row.la_name),
            str(row.region_code), str(row.region_name),
        )  # fmt: skip
    return out


def _register_calendar(con: duckdb.DuckDBPyConnection, first: int, last: int) -> None:
    # n(d) = working days in [origin, d): working days between a and b = n(b) - n(a).
    days = np.arange(np.datetime64(f"{first}-01-01"), np.datetime64(f"{last + 1}-01-01"))
    holidays = np.array(bank_holidays(first, last), dtype="datetime64[D]")
    n = np.busday_count(days[0], days, holidays=holidays)
    con.register("_cin_wd", pa.table({"d": days, "n": n}))


_SQL_BASE = """
CREATE OR REPLACE TEMP TABLE _m_ret AS
SELECT return_id, la_code, collection_year AS yr,
       make_date(collection_year - 1, 4, 1) AS ys, make_date(collection_year, 3, 31) AS ye
FROM cin_return WHERE return_id IN (SELECT * FROM UNNEST(?))
"""

_SQL_EPISODES = """
CREATE OR REPLACE TEMP TABLE _m_ep AS
SELECT e.return_id, e.child_seq, e.episode_seq, e.referral_date, e.closure_date,
       e.reason_for_closure, e.initial_cpc_date, coalesce(e.referral_nfa, FALSE) AS nfa,
       r.ys, r.ye, r.la_code,
       coalesce(c.child_id, e.return_id || ':' || e.child_seq) AS child_key,
       NOT coalesce(e.referral_nfa, FALSE)
         AND coalesce(e.reason_for_closure, '') IN ('RC8', 'RC9') AS nin
FROM cin_episode e JOIN _m_ret r USING (return_id)
LEFT JOIN cin_child c USING (return_id, child_seq);
"""

_SQL = {
    "c1": """
WITH ref AS (
  SELECT * FROM _m_ep WHERE referral_date BETWEEN ys AND ye
), hist AS (  -- every referral of the authority's children in any loaded return
  SELECT DISTINCT r.la_code, coalesce(c.child_id, e.return_id || ':' || e.child_seq) AS child_key,
         e.return_id, e.referral_date
  FROM cin_episode e JOIN cin_return r USING (return_id)
  LEFT JOIN cin_child c USING (return_id, child_seq)
  WHERE e.referral_date IS NOT NULL
), flagged AS (
  SELECT ref.*, EXISTS (
    SELECT 1 FROM hist h
    WHERE h.la_code = ref.la_code AND h.child_key = ref.child_key
      AND h.referral_date < ref.referral_date
      AND h.referral_date >= ref.referral_date - INTERVAL 12 MONTH
  ) AS rereferral
  FROM ref
)
SELECT return_id,
  count(*) AS referral_count,
  count(*) FILTER (WHERE rereferral) AS rereferral_count,
  count(*) FILTER (WHERE nfa) AS no_further_action_count,
  count(*) FILTER (WHERE nin) AS not_in_need_count,
  count(DISTINCT child_seq) AS referral_child_count,
  count(DISTINCT child_seq) FILTER (WHERE rereferral) AS rereferral_child_count
FROM flagged GROUP BY return_id
""",
    "b1": """
WITH ep AS (
  SELECT *, referral_date BETWEEN ys AND ye AS started,
         closure_date BETWEEN ys AND ye AS ended,
         referral_date <= ye AND (closure_date IS NULL OR closure_date >= ys) AS anypoint,
         referral_date <= ye AND (closure_date IS NULL OR closure_date > ye) AS at31
  FROM _m_ep WHERE NOT nfa AND NOT nin
), aw AS (
  SELECT ep.return_id, ep.child_seq, ep.episode_seq FROM ep
  WHERE ep.at31 AND ep.started AND NOT EXISTS (
    SELECT 1 FROM cin_assessment a
    WHERE a.return_id = ep.return_id AND a.child_seq = ep.child_seq
      AND a.episode_seq = ep.episode_seq AND a.authorisation_date <= ep.ye)
)
SELECT return_id,
  count(*) FILTER (WHERE anypoint) AS Anypoint_episodes,
  count(DISTINCT child_seq) FILTER (WHERE anypoint) AS Anypoint_child,
  count(*) FILTER (WHERE started) AS Started_episodes,
  count(DISTINCT child_seq) FILTER (WHERE started) AS Started_child,
  count(*) FILTER (WHERE ended) AS Ended_episodes,
  count(DISTINCT child_seq) FILTER (WHERE ended) AS Ended_child,
  count(*) FILTER (WHERE at31) AS At31_episodes,
  (SELECT count(*) FROM aw WHERE aw.return_id = ep.return_id) AS awaiting_assessment
FROM ep GROUP BY return_id
""",
    "c2": """
WITH a AS (
  SELECT a.return_id, a.start_date, a.authorisation_date,
         w2.n - w1.n AS wd
  FROM cin_assessment a JOIN _m_ret r USING (return_id)
  LEFT JOIN _cin_wd w1 ON w1.d = a.start_date
  LEFT JOIN _cin_wd w2 ON w2.d = a.authorisation_date
  WHERE a.authorisation_date BETWEEN r.ys AND r.ye
)
SELECT return_id,
  count(*) AS Assessments_completed,
  count(*) FILTER (WHERE authorisation_date = start_date) AS "Same_day",
  count(*) FILTER (WHERE authorisation_date <> start_date AND wd <= 10) AS "1-10_days",
  count(*) FILTER (WHERE authorisation_date <> start_date AND wd BETWEEN 11 AND 20) AS "11-20_days",
  count(*) FILTER (WHERE wd BETWEEN 21 AND 30) AS "21-30_days",
  count(*) FILTER (WHERE wd BETWEEN 31 AND 40) AS "31-40_days",
  count(*) FILTER (WHERE wd BETWEEN 41 AND 45) AS "41-45_days",
  count(*) FILTER (WHERE wd BETWEEN 46 AND 50) AS "46-50_days",
  count(*) FILTER (WHERE wd BETWEEN 51 AND 60) AS "51-60_days",
  count(*) FILTER (WHERE wd > 60) AS "61+_days",
  count(*) FILTER (WHERE wd <= 45) AS Within_45_days
FROM a GROUP BY return_id
""",
    "c4": """
WITH s AS (
  SELECT s.*, r.ys, r.ye, w2.n - w1.n AS wd
  FROM cin_section47 s JOIN _m_ret r USING (return_id)
  LEFT JOIN _cin_wd w1 ON w1.d = s.start_date
  LEFT JOIN _cin_wd w2 ON w2.d = s.icpc_date
), cin_level AS (
  SELECT e.return_id, count(*) AS n FROM _m_ep e
  WHERE e.initial_cpc_date BETWEEN e.ys AND e.ye AND NOT EXISTS (
    SELECT 1 FROM cin_section47 s WHERE s.return_id = e.return_id
      AND s.child_seq = e.child_seq AND s.episode_seq = e.episode_seq
      AND s.icpc_date IS NOT NULL)
  GROUP BY e.return_id
)
SELECT r.return_id,
  count(s.start_date) FILTER (WHERE s.start_date BETWEEN s.ys AND s.ye) AS S47_enquiries,
  count(s.icpc_date) FILTER (WHERE s.icpc_date BETWEEN s.ys AND s.ye)
    + coalesce(any_value(cl.n), 0) AS ICPCs,
  count(s.icpc_date) FILTER (WHERE s.icpc_date BETWEEN s.ys AND s.ye AND s.wd <= 15)
    AS ICPC_within_15_days,
  count(s.icpc_date) FILTER (WHERE s.icpc_date BETWEEN s.ys AND s.ye) AS _icpc_s47
FROM _m_ret r LEFT JOIN s USING (return_id) LEFT JOIN cin_level cl USING (return_id)
GROUP BY r.return_id
""",
    "d3": """
SELECT r.return_id,
  count(p.start_date) FILTER (WHERE p.start_date BETWEEN r.ys AND r.ye) AS CPP_start,
  count(p.start_date) FILTER (WHERE p.start_date BETWEEN r.ys AND r.ye
                              AND p.previous_cpp_count >= 1) AS CPP_subsequent
FROM _m_ret r LEFT JOIN cin_cpp p USING (return_id)
GROUP BY r.return_id
""",
    "d5": """
WITH p AS (
  SELECT p.return_id, p.start_date, r.ye FROM cin_cpp p JOIN _m_ret r USING (return_id)
  WHERE p.start_date <= r.ye AND (p.end_date IS NULL OR p.end_date > r.ye)
)
SELECT r.return_id,
  count(p.start_date) AS CPP_At31,
  count(p.start_date) FILTER (WHERE p.start_date >= p.ye - INTERVAL 3 MONTH) AS "3_months_or_less",
  count(p.start_date) FILTER (WHERE p.start_date < p.ye - INTERVAL 3 MONTH
      AND p.start_date >= p.ye - INTERVAL 6 MONTH) AS more_than_3_months_6_months,
  count(p.start_date) FILTER (WHERE p.start_date < p.ye - INTERVAL 6 MONTH
      AND p.start_date > p.ye - INTERVAL 12 MONTH) AS more_than_6_months_less_than_1_year,
  count(p.start_date) FILTER (WHERE p.start_date <= p.ye - INTERVAL 12 MONTH
      AND p.start_date > p.ye - INTERVAL 24 MONTH) AS "1_year_less_than_2_years",
  count(p.start_date) FILTER (WHERE p.start_date <= p.ye - INTERVAL 24 MONTH) AS "2_years_or_more"
FROM _m_ret r LEFT JOIN p USING (return_id)
GROUP BY r.return_id
""",
}


def _c3_counts(cur: duckdb.DuckDBPyConnection, ids: list[str]) -> pd.DataFrame:
    # Distinct episodes per factor column, counted long and pivoted (39 DISTINCT
    # aggregates in one SELECT are slow).
    codes = [(code, col) for col, cs in FACTOR_COLUMNS.items() for code in cs]
    cur.register("_m_codes", pd.DataFrame(codes, columns=["code", "col"]))
    long = cur.execute(
        """
        WITH f AS (
          SELECT DISTINCT f.return_id, f.child_seq, f.episode_seq, upper(trim(f.factor)) AS code
          FROM cin_assessment_factor f
          JOIN cin_assessment a USING (return_id, child_seq, episode_seq, assessment_seq)
          JOIN _m_ret r USING (return_id)
          WHERE a.authorisation_date BETWEEN r.ys AND r.ye AND upper(trim(f.factor)) <> '21'
        )
        SELECT return_id, '_all' AS col, count(DISTINCT (child_seq, episode_seq)) AS n
        FROM f GROUP BY return_id
        UNION ALL
        SELECT return_id, col, count(DISTINCT (child_seq, episode_seq)) AS n
        FROM f JOIN _m_codes USING (code) GROUP BY return_id, col
        """
    ).df()
    cur.unregister("_m_codes")
    wide = long.pivot_table(index="return_id", columns="col", values="n", aggfunc="sum")
    wide = wide.reindex(index=ids, columns=["_all", *FACTOR_COLUMNS]).fillna(0).astype("int64")
    wide = wide.rename(columns={"_all": "Episodes_with_assessment_factor"})
    return wide.reset_index().rename(columns={"index": "return_id"})


@dataclass(frozen=True)
class CinMeasures:
    """Measures of one or more returns: exact counts per layout, one row per return.

    Attributes
    ----------
    returns : pandas.DataFrame
        ``return_id, la_code, collection_year, synthetic`` of each return measured.
    counts : dict of str → pandas.DataFrame
        Layout (``b1 c1 c2 c3 c4 d3 d5``) → ``return_id`` + the layout's count columns,
        exact (not yet through disclosure control); percentages are derived on output.
    authorities : mapping of LA number → AuthorityInfo
        For the geography columns.
    """

    returns: pd.DataFrame
    counts: dict[str, pd.DataFrame]
    authorities: Mapping[str, AuthorityInfo]

    def value(self, layout: str, column: str, return_id: str | None = None) -> float:
        """One exact figure (a percentage is computed from exact counts, 1 d.p.)."""
        frame = self.counts[layout]
        if return_id is not None:
            frame = frame[frame["return_id"] == return_id]
            if frame.empty:
                raise InputError(f"no return {return_id!r} measured")
        row = {str(k): int(v) for k, v in frame.iloc[0].drop("return_id").items()}
        if column in PERCENTS:
            num, den = PERCENTS[column]
            d = row[den]
            return round(100.0 * row[num] / d, 1) if d else float("nan")
        return float(row[column])

    def tidy(self, layout: str, *, disclose: bool = True) -> pd.DataFrame:
        """The layout as a published tidy file, after disclosure control by default.

        Values are strings as the publisher writes them: whole numbers, percentages to
        one decimal place, ``c`` for a suppressed figure (1 to 5, or a figure that would
        reveal one), ``z`` for a percentage of nothing. ``disclose=False`` gives the
        exact figures (for the authority's own checking only).
        """
        if layout not in LAYOUTS:
            raise InputError(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")
        category, columns = LAYOUTS[layout]
        rows = []
        for rec, vals in self._records(layout, disclose):
            info = self.authorities.get(str(rec["la_code"]))
            out = tidy_geography(int(rec["collection_year"]), str(rec["la_code"]), info)
            out["category"] = category
            for c in columns:
                out[c] = publisher_text(vals[c])
            out["provisional"] = "true"
            out["return_id"] = rec["return_id"]
            rows.append(out)
        return pd.DataFrame(rows, columns=[*GEO_COLUMNS, *columns, "provisional", "return_id"])

    def _records(
        self, layout: str, disclose: bool
    ) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        # Each row of the layout's counts with its return's row of ``returns`` and of the
        # joint table: looked up by return id, as merging them on it would pair them
        # (every id once in each, as compute_cin_measures makes them); merged otherwise.
        ids = self.counts[layout]["return_id"].tolist()
        info = self._return_rows
        values = self._disclosed_rows if disclose else self._exact_rows
        if all(i in info and i in values for i in ids):
            for i in ids:
                yield info[i], values[i]
            return
        frame = self.counts[layout].merge(self.returns, on="return_id", how="left")
        joint = self._disclosed if disclose else self._exact
        merged = frame[["return_id"]].merge(joint, on="return_id", how="left")
        yield from zip(frame.to_dict("records"), merged.to_dict("records"), strict=True)

    @cached_property
    def _return_rows(self) -> dict[Any, dict[str, Any]]:
        # ``returns`` by return id, when each id is there once (else empty: no look-up).
        return _rows_by_id(self.returns)

    @cached_property
    def _exact_rows(self) -> dict[Any, dict[str, Any]]:
        # The exact joint table by return id (as _return_rows).
        return _rows_by_id(self._exact)

    @cached_property
    def _disclosed_rows(self) -> dict[Any, dict[str, Any]]:
        # The disclosed joint table by return id (as _return_rows).
        return _rows_by_id(self._disclosed)

    @cached_property
    def _exact(self) -> pd.DataFrame:
        # Every layout's counts side by side, one row per return, with the percentages.
        joint = self.returns[["return_id"]].copy()
        for layout in LAYOUTS:
            joint = joint.merge(self.counts[layout], on="return_id", how="left")
        for col, (num, den) in PERCENTS.items():
            d = joint[den].astype(float)
            joint[col] = (100.0 * joint[num].astype(float) / d.where(d > 0)).round(1)
        return joint

    @cached_property
    def _disclosed(self) -> pd.DataFrame:
        # Every layout through one disclosure pass: the relations tie tables together
        # (referrals in c1 are CIN starts in b1 plus c1's NFA and not-in-need counts).
        joint = self._exact.copy()
        # c4's within-15-days percentage is of section-47-level conferences, a count the
        # layout does not publish; with ICPCs and the numerator shown, the percentage
        # gives it away, and ICPCs less it is the count of conferences recorded only at
        # episode level. When that count is 1 to 5 the percentage is suppressed, so
        # neither hidden count can be worked out.
        episode_only = joint["ICPCs"] - joint["_icpc_s47"]
        small = episode_only.between(1, SMALL_COUNT_MAX).to_numpy()
        pct = joint["ICPC_within_15_days_percent"].astype(object)
        joint["ICPC_within_15_days_percent"] = pct.where(~small, SUPPRESSED)
        counts = [c for c in joint.columns if c != "return_id" and c not in PERCENTS]
        return disclose(
            joint,
            counts=counts,
            derived={c: list(p) for c, p in PERCENTS.items()},
            level=GeoLevel.LOCAL_AUTHORITY,
            relations=RELATIONS,
            hidden=[c for c in counts if c.startswith("_")],
        )

    def to_frame(self, *, disclose: bool = True) -> pd.DataFrame:
        """Long form: ``return_id, la_code, time_period, layout, measure, value``."""
        parts = []
        for layout in LAYOUTS:
            t = self.tidy(layout, disclose=disclose)
            cols = LAYOUTS[layout][1]
            long = t.melt(
                id_vars=["return_id", "old_la_code", "time_period"],
                value_vars=list(cols),
                var_name="measure",
                value_name="value",
            )
            long.insert(3, "layout", layout)
            parts.append(long)
        out = pd.concat(parts, ignore_index=True)
        return out.rename(columns={"old_la_code": "la_code"})

    def to_json(self, *, disclose: bool = True) -> str:
        """Every layout's rows as JSON (``{layout: [row, ...]}``)."""
        data = {
            layout: self.tidy(layout, disclose=disclose).to_dict("records") for layout in LAYOUTS
        }
        return json.dumps(data, indent=2, default=str)

    def write_csv(self, out_dir: Path) -> list[Path]:
        """One tidy CSV per layout, after disclosure control; returns the paths."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for layout in LAYOUTS:
            path = out_dir / f"{layout}_cin_measures_provisional.csv"
            self.tidy(layout).to_csv(path, index=False)
            paths.append(path)
        return paths


def _rows_by_id(frame: pd.DataFrame) -> dict[Any, dict[str, Any]]:
    # A frame's records by return id; empty when an id repeats (merging would pair it
    # with every row that has it, which a look-up cannot).
    rows = frame.to_dict("records")
    by_id = {r["return_id"]: {str(k): v for k, v in r.items()} for r in rows}
    return by_id if len(by_id) == len(rows) else {}


def publisher_text(value: object) -> str:
    """A disclosed value as the publisher writes it: ``z`` for none, symbols as they
    are, floats to six significant figures (``:g``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "z"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def compute_cin_measures(
    con: duckdb.DuckDBPyConnection,
    return_ids: Sequence[str] | None = None,
    *,
    authorities: Mapping[str, AuthorityInfo] | None = None,
    progress: ProgressCallback | None = None,
) -> CinMeasures:
    """Compute every measure for the returns loaded in ``con`` (all of them by default).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A child store or in-memory database holding the child-level tables.
    return_ids : sequence of str, optional
        Which returns; default every return in ``cin_return``.
    authorities : mapping, optional
        LA number → :class:`AuthorityInfo` for the geography columns (see
        :func:`authority_lookup`); codes and names are left blank without it.
    progress : ProgressCallback, optional
        Told as each published layout is computed (stage "computing measures").

    Raises
    ------
    InputError
        When a return id is not loaded, or nothing is.
    """
    all_ids = [r[0] for r in con.execute("SELECT return_id FROM cin_return ORDER BY 1").fetchall()]
    ids = list(return_ids) if return_ids is not None else all_ids
    missing = sorted(set(ids) - set(all_ids))
    if missing or not ids:
        raise InputError(
            f"no loaded return {', '.join(missing)}" if missing else "no returns loaded"
        )
    years = con.execute(
        "SELECT min(collection_year), max(collection_year) FROM cin_return"
    ).fetchone()
    assert years is not None
    lo, hi = int(years[0] or 2000), int(years[1] or 2030)
    cur = con.cursor()
    try:
        _register_calendar(cur, lo - 30, hi + 2)
        cur.execute(_SQL_BASE, [ids])
        cur.execute(_SQL_EPISODES)
        counts: dict[str, pd.DataFrame] = {}
        for layout in tick(LAYOUTS, progress, "computing measures"):
            frame = _c3_counts(cur, ids) if layout == "c3" else cur.execute(_SQL[layout]).df()
            # Every return appears, with zeros where it has no rows.
            frame = pd.DataFrame({"return_id": ids}).merge(frame, on="return_id", how="left")
            num = frame.columns.drop("return_id")
            frame[num] = frame[num].fillna(0).astype("int64")
            counts[layout] = frame
        returns = cur.execute(
            "SELECT return_id, la_code, collection_year, synthetic FROM cin_return "
            "WHERE return_id IN (SELECT * FROM UNNEST(?)) ORDER BY la_code, collection_year",
            [ids],
        ).df()
    finally:
        cur.close()
    return CinMeasures(returns=returns, counts=counts, authorities=dict(authorities or {}))
