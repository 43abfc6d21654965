"""Children's journeys across CIN census returns: time to re-referral and to a repeat plan.

Returns of one authority for several years are linked by the pseudonymised ``child_id``
(an episode or plan reported in more than one return is kept once). Two clocks start:

* **re-referral**: when an episode closes (``CINclosureDate``, NFA referrals included);
  the event is the child's next referral to the same authority;
* **repeat plan**: when a child protection plan ends (``CPPendDate``); the event is the
  start of the child's next plan.

Follow-up is censored at the end of the authority's data (the latest ``ReferenceDate``
loaded) or the child's 18th birthday, whichever is first. Survival ``S(t)``, the share
not yet re-referred (or not yet on a new plan) ``t`` days after the clock starts, is
estimated by Kaplan–Meier with Greenwood variances and 95% intervals on the log-log
scale, overall and by primary need at the index episode and age band at the clock's
start; cohort tables give, per year of the clock's start, the share with the event
within 12 months among those followed for a full 12 months. See ``docs/methods/journeys.md``.

``JourneyModel(data, groups=[...]).fit()`` returns read-only :class:`JourneyResults`;
counts in its tables pass disclosure control (:func:`cscwatch.indicators.disclosure.disclose`:
1 to 5 shown as ``c``, secondary suppression across groups and days, and a survival
estimate suppressed wherever its risk set or events so far are).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from cscwatch.childlevel.cin.spells import SpellCounts, count_spells, counts_of_frame
from cscwatch.core.errors import InputError
from cscwatch.indicators.disclosure import (
    SMALL_COUNT_MAX,
    RowOrder,
    RowRelation,
    disclose,
    disclose_count,
)

__all__ = [
    "AGE_BANDS",
    "COHORT_COLUMNS",
    "CURVE_COLUMNS",
    "EVENTS",
    "JourneyData",
    "JourneyModel",
    "JourneyResults",
    "KaplanMeier",
    "SpellCounts",
    "cohort_rows",
    "curve_rows",
    "fit_curves",
    "journey_counts",
    "journey_data",
    "kaplan_meier",
    "kaplan_meier_counts",
]

#: Events whose timing is modelled.
EVENTS: tuple[str, ...] = ("rereferral", "repeat_plan")
#: Age bands at the start of the clock (years), as DfE's children in need tables.
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("under 1", 0, 1),
    ("1 to 4", 1, 5),
    ("5 to 9", 5, 10),
    ("10 to 15", 10, 16),
    ("16 and over", 16, 200),
)
_Z = 1.959963984540054


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan–Meier curve at every distinct observed time.

    Attributes
    ----------
    time, at_risk, events, survival, se, lower, upper : numpy arrays
        Distinct times ``t_j`` (of events or censorings); number at risk ``n_j`` (time
        ``>= t_j``) and with the event ``d_j`` at ``t_j``;
        ``S(t_j) = prod_{i<=j} (1 - d_i/n_i)``; Greenwood standard error
        ``S(t_j) * sqrt(sum_{i<=j} d_i / (n_i (n_i - d_i)))``; 95% limits on the
        log(-log S) scale (1 while S = 1, 0 once S = 0).
    n : int
        Subjects; ``n_events`` their events.
    """

    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    survival: np.ndarray
    se: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n: int
    n_events: int

    def at(self, days: Sequence[float]) -> pd.DataFrame:
        """The step function at ``days``: S, limits, risk set at the day, events so far."""
        t = np.asarray(days, dtype=float)
        last = np.searchsorted(self.time, t, side="right") - 1
        seen = last >= 0
        k = np.maximum(last, 0)
        first_after = np.searchsorted(self.time, t, side="left")
        has = first_after < len(self.time)
        at_risk = np.zeros(len(t), dtype=int)
        at_risk[has] = self.at_risk[first_after[has]]
        cum_events = np.concatenate([[0], np.cumsum(self.events)])

        beyond = t > (self.time[-1] if len(self.time) else -1.0)

        def val(a: np.ndarray, before: float) -> np.ndarray:
            # Not estimable after the last observed time (nobody left to follow) or
            # for an empty group.
            out = np.where(seen, a[k], before) if len(a) else np.full(len(t), before)
            return np.where(beyond | (self.n == 0), np.nan, out)

        return pd.DataFrame(
            {
                "day": t.astype(int),
                "at_risk": at_risk,
                "events": cum_events[last + 1].astype(int),
                "survival": val(self.survival, 1.0),
                "se": val(self.se, 0.0),
                "lower": val(self.lower, 1.0),
                "upper": val(self.upper, 1.0),
            }
        )


def kaplan_meier(durations: np.ndarray, observed: np.ndarray) -> KaplanMeier:
    """Kaplan–Meier estimate with Greenwood variance and log-log 95% limits.

    Parameters
    ----------
    durations : array of float
        Time from the start of the clock to the event or censoring (>= 0).
    observed : array of bool
        True where the event happened at ``durations``, False where censored. Ties:
        events are taken to happen before censorings at the same time (both are in the
        risk set at that time).
    """
    d = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    if d.shape != e.shape:
        raise InputError("durations and observed differ in length")
    if len(d) and (np.isnan(d).any() or (d < 0).any()):
        raise InputError("durations must be non-negative numbers")
    times = np.unique(d)
    n_at = (len(d) - np.searchsorted(np.sort(d), times, side="left")).astype(float)
    ev_sorted = np.sort(d[e])
    ev = (
        np.searchsorted(ev_sorted, times, side="right")
        - np.searchsorted(ev_sorted, times, side="left")
    ).astype(float)
    return _estimate(times, n_at, ev, len(d), int(e.sum()))


def kaplan_meier_counts(times: np.ndarray, removed: np.ndarray, events: np.ndarray) -> KaplanMeier:
    """Kaplan–Meier estimate from counts per distinct time (as the database gives them).

    The same estimate, to the last bit, as :func:`kaplan_meier` over the subjects the
    counts describe, without holding one row per subject.

    Parameters
    ----------
    times : array of float
        Distinct times, ascending (>= 0).
    removed : array of int
        Subjects whose time (event or censoring) is ``times[j]``.
    events : array of int
        Of those, subjects with the event at ``times[j]``.
    """
    t = np.asarray(times, dtype=float)
    r = np.asarray(removed, dtype=np.int64)
    ev = np.asarray(events, dtype=np.int64)
    if not (t.shape == r.shape == ev.shape):
        raise InputError("times, removed and events differ in length")
    if len(t) and (np.isnan(t).any() or (t < 0).any() or (np.diff(t) <= 0).any()):
        raise InputError("times must be distinct non-negative numbers in ascending order")
    if (ev > r).any() or (ev < 0).any():
        raise InputError("events must be between 0 and the subjects removed at each time")
    n = int(r.sum())
    before = np.concatenate([[0], np.cumsum(r)[:-1]]) if len(r) else np.zeros(0, np.int64)
    return _estimate(t, (n - before).astype(float), ev.astype(float), n, int(ev.sum()))


def _estimate(
    times: np.ndarray, n_at: np.ndarray, ev: np.ndarray, n: int, n_events: int
) -> KaplanMeier:
    # Product-limit estimate, Greenwood variance and log-log limits from risk sets and
    # events at each distinct time.
    s = np.cumprod(1.0 - ev / n_at) if len(times) else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(ev > 0, np.where(n_at > ev, ev / (n_at * (n_at - ev)), np.inf), 0.0)
        cum = np.cumsum(terms)
        se = s * np.sqrt(cum)
        # log-log limits: exp(-exp(log(-log S) +/- z sqrt(cum) / |log S|)).
        loglog = np.log(-np.log(s))
        half = _Z * np.sqrt(cum) / np.abs(np.log(s))
        lower = np.exp(-np.exp(loglog + half))
        upper = np.exp(-np.exp(loglog - half))
    lower = np.where(s >= 1.0, 1.0, np.where(s <= 0.0, 0.0, lower))
    upper = np.where(s >= 1.0, 1.0, np.where(s <= 0.0, 0.0, upper))
    return KaplanMeier(
        time=times, at_risk=n_at.astype(int), events=ev.astype(int), survival=s,
        se=np.where(np.isfinite(se), se, np.nan), lower=np.nan_to_num(lower, nan=0.0),
        upper=np.nan_to_num(upper, nan=1.0), n=n, n_events=n_events,
    )  # fmt: skip


@dataclass(frozen=True)
class JourneyData:
    """Linked timelines: one row per clock start (index event) with its outcome.

    Attributes
    ----------
    spells : pandas.DataFrame
        ``event`` (``rereferral`` or ``repeat_plan``), ``la_code``, ``child_id``,
        ``start`` (date the clock starts), ``duration`` (days), ``observed`` (bool),
        ``need`` (primary need at the index episode), ``age_band``, ``cohort`` (year
        ending 31 March in which the clock started), ``followed_12m`` (bool: data
        continue at least 365 days after the start).
    children : int
        Distinct children linked.
    returns : int
        Returns used.
    timeline : pandas.DataFrame
        Each child's dated events across the returns, in order: ``la_code, child_id,
        date, event`` (``referral``, ``closure``, ``plan_start``, ``plan_end``), ``need``.
        Child-level: for the authority's own use, never shown.
    """

    spells: pd.DataFrame
    children: int
    returns: int
    timeline: pd.DataFrame = field(default_factory=pd.DataFrame)


_SPELLS_BODY = """
WITH ret AS (
  SELECT return_id, la_code, reference_date FROM cin_return WHERE reference_date IS NOT NULL
), coverage AS (
  SELECT la_code, max(reference_date) AS data_end FROM ret GROUP BY la_code
), child AS (  -- birth date from the latest return naming the child
  SELECT r.la_code, c.child_id, arg_max(c.birth_date, r.reference_date) AS birth_date
  FROM cin_child c JOIN ret r USING (return_id)
  WHERE c.child_id IS NOT NULL GROUP BY ALL
), ep AS (  -- one row per child and referral date, latest closure known
  SELECT r.la_code, c.child_id, e.referral_date,
         max(e.closure_date) AS closure_date,
         arg_max(e.primary_need_code, r.reference_date) AS need
  FROM cin_episode e JOIN ret r USING (return_id)
  JOIN cin_child c USING (return_id, child_seq)
  WHERE c.child_id IS NOT NULL AND e.referral_date IS NOT NULL GROUP BY ALL
), cpp AS (
  SELECT r.la_code, c.child_id, p.start_date, max(p.end_date) AS end_date,
         arg_max(e.primary_need_code, r.reference_date) AS need
  FROM cin_cpp p JOIN ret r USING (return_id)
  JOIN cin_child c USING (return_id, child_seq)
  LEFT JOIN cin_episode e USING (return_id, child_seq, episode_seq)
  WHERE c.child_id IS NOT NULL AND p.start_date IS NOT NULL GROUP BY ALL
), rr AS (  -- the child's next referral after this one (episodes do not overlap)
  SELECT 'rereferral' AS event, la_code, child_id, closure_date AS start, need,
         lead(referral_date) OVER (PARTITION BY la_code, child_id ORDER BY referral_date) AS next
  FROM ep
), rp AS (
  SELECT 'repeat_plan' AS event, la_code, child_id, end_date AS start, need,
         lead(start_date) OVER (PARTITION BY la_code, child_id ORDER BY start_date) AS next
  FROM cpp
), spells AS (
  SELECT * FROM rr WHERE start IS NOT NULL UNION ALL SELECT * FROM rp WHERE start IS NOT NULL
)
SELECT s.event, s.la_code, s.child_id, s.start, s.need, s.next, cv.data_end, ch.birth_date,
       least(cv.data_end, coalesce(ch.birth_date + INTERVAL 18 YEAR, cv.data_end))::DATE AS censor
FROM spells s JOIN coverage cv USING (la_code)
LEFT JOIN child ch USING (la_code, child_id)
WHERE s.start <= cv.data_end
"""
_SPELLS_SQL = _SPELLS_BODY + "ORDER BY s.event, s.la_code, s.child_id, s.start\n"


_TIMELINE_SQL = """
WITH ret AS (SELECT return_id, la_code, reference_date FROM cin_return),
ep AS (
  SELECT r.la_code, c.child_id, e.referral_date, max(e.closure_date) AS closure_date,
         arg_max(e.primary_need_code, r.reference_date) AS need
  FROM cin_episode e JOIN ret r USING (return_id) JOIN cin_child c USING (return_id, child_seq)
  WHERE c.child_id IS NOT NULL AND e.referral_date IS NOT NULL GROUP BY ALL
), cpp AS (
  SELECT r.la_code, c.child_id, p.start_date, max(p.end_date) AS end_date
  FROM cin_cpp p JOIN ret r USING (return_id) JOIN cin_child c USING (return_id, child_seq)
  WHERE c.child_id IS NOT NULL AND p.start_date IS NOT NULL GROUP BY ALL
)
SELECT la_code, child_id, referral_date AS date, 'referral' AS event, need FROM ep
UNION ALL SELECT la_code, child_id, closure_date, 'closure', need FROM ep
  WHERE closure_date IS NOT NULL
UNION ALL SELECT la_code, child_id, start_date, 'plan_start', NULL FROM cpp
UNION ALL SELECT la_code, child_id, end_date, 'plan_end', NULL FROM cpp WHERE end_date IS NOT NULL
ORDER BY la_code, child_id, date, event
"""


def _age_band(years: np.ndarray) -> np.ndarray:
    out = np.full(len(years), "unknown", dtype=object)
    for label, lo, hi in AGE_BANDS:
        out[(years >= lo) & (years < hi)] = label
    return out


def journey_data(con: duckdb.DuckDBPyConnection) -> JourneyData:
    """Link every return loaded in ``con`` into spells (see :class:`JourneyData`)."""
    raw = con.execute(_SPELLS_SQL).df()
    n_returns = con.execute("SELECT count(*) FROM cin_return").fetchone()
    start = pd.to_datetime(raw["start"])
    nxt = pd.to_datetime(raw["next"])
    censor = pd.to_datetime(raw["censor"])
    observed = nxt.notna() & (nxt <= censor)
    end = nxt.where(observed, censor)
    duration = (end - start).dt.days.clip(lower=0)
    birth = pd.to_datetime(raw["birth_date"])
    age = ((start - birth).dt.days / 365.25).to_numpy(dtype=float)
    cohort = start.dt.year + (start.dt.month >= 4).astype(int)
    spells = pd.DataFrame(
        {
            "event": raw["event"].astype(str),
            "la_code": raw["la_code"].astype(str),
            "child_id": raw["child_id"].astype(str),
            "start": start.dt.date,
            "duration": duration.astype(float),
            "observed": observed.to_numpy(dtype=bool),
            "need": raw["need"].fillna("unknown").astype(str),
            "age_band": _age_band(np.nan_to_num(age, nan=-1.0)),
            "cohort": cohort.astype(int),
            "followed_12m": ((pd.to_datetime(raw["data_end"]) - start).dt.days >= 365).to_numpy(),
        }
    )
    spells = spells[spells["duration"].notna()].reset_index(drop=True)
    return JourneyData(
        spells=spells,
        children=int(spells["child_id"].nunique()),
        returns=int(n_returns[0]) if n_returns else 0,
        timeline=con.execute(_TIMELINE_SQL).df(),
    )


_GROUPS = {"need": "need", "age": "age_band"}


def _age_band_sql(birth: str, start: str) -> str:
    # The age band at ``start`` in SQL, exactly as _age_band bands (days / 365.25).
    age = f"(date_diff('day', {birth}, {start}) / 365.25)"
    whens = " ".join(
        f"WHEN {age} >= {lo} AND {age} < {hi} THEN '{label}'" for label, lo, hi in AGE_BANDS
    )
    return f"CASE {whens} ELSE 'unknown' END"


def journey_counts(con: duckdb.DuckDBPyConnection) -> SpellCounts:
    """Link every return loaded in ``con`` and count the spells, in the database.

    The same spells as :func:`journey_data` links, counted by event, need, age band and
    day (:class:`~cscwatch.childlevel.cin.spells.SpellCounts`) without one row per
    child leaving DuckDB, so memory stays within the connection's limit however many
    years are loaded. ``JourneyModel(journey_counts(con)).fit()`` gives the same results
    as ``JourneyModel(journey_data(con)).fit()``.
    """
    n_returns = con.execute("SELECT count(*) FROM cin_return").fetchone()
    spells = f"""
        WITH raw AS ({_SPELLS_BODY})
        SELECT event, child_id AS child, start, next, censor, data_end,
               coalesce(need, 'unknown') AS need,
               {_age_band_sql("birth_date", "start")} AS age_band
        FROM raw
    """
    return count_spells(con, spells, _GROUPS, returns=int(n_returns[0]) if n_returns else 0)


@dataclass(frozen=True)
class JourneyResults:
    """Read-only results of :class:`JourneyModel` (all counts disclosure-controlled).

    Attributes
    ----------
    curves : pandas.DataFrame
        Every Kaplan–Meier step: ``event, group, time, at_risk, events, survival, se,
        lower, upper`` (exact; use :meth:`to_frame` for what may be shown).
    cohorts : pandas.DataFrame
        ``event, cohort, spells, followed, within_12m, percent`` (disclosed).
    groups : tuple of str
        Grouping used (``need``, ``age``).
    n_spells, n_children, n_returns : int
    """

    curves: pd.DataFrame
    cohorts: pd.DataFrame
    groups: tuple[str, ...]
    n_spells: int
    n_children: int
    n_returns: int
    days: tuple[int, ...] = field(default=(30, 91, 182, 365, 730))

    def to_frame(
        self, days: Sequence[int] | None = None, *, horizon: int | None = None
    ) -> pd.DataFrame:
        """Survival at chosen days per event and group, disclosure-controlled.

        The whole table goes through :func:`cscwatch.indicators.disclosure.disclose`:
        ``at_risk`` and ``events`` (so far) of 1 to 5 are ``c``, and so is a day's
        ``events`` when the events since the group's previous day in the table are 1 to
        5 (the step is coarsened into the next shown one). Groups of one grouping add up
        to the ``all`` row at every day, events so far never fall and the risk set never
        grows: secondary suppression keeps any suppressed count from being worked out
        through those. The survival estimate and its limits are ``c`` wherever the
        day's risk set or events are, since an estimate pins its events. ``horizon``
        drops later days after disclosure (a subset of a safe table is safe).
        """
        wanted = sorted(set(days if days is not None else self.days))
        raw = self._raw_frame(wanted)
        rows = {(r["event"], r["group"], r["day"]): k for k, r in enumerate(raw.to_dict("records"))}
        relations, orders, forced = [], [], [False] * len(raw)
        for event in raw["event"].unique():
            for day in wanted:
                total = rows.get((event, "all", day))
                for g in self.groups:
                    parts = [k for (e, grp, d), k in rows.items()
                             if e == event and d == day and grp.startswith(f"{g}=")]  # fmt: skip
                    if parts and total is not None:
                        relations.append(RowRelation(tuple(parts), total))
        for (event, group), part in raw.groupby(["event", "group"], sort=True):
            ks = [rows[(event, group, d)] for d in part["day"]]
            before = 0
            for k_prev, k in zip([None, *ks[:-1]], ks, strict=True):
                now = int(raw["events"].iloc[k])
                if 1 <= now - before <= SMALL_COUNT_MAX:
                    forced[k] = True
                else:
                    before = now
                if k_prev is not None:
                    orders.append(RowOrder("events", k_prev, k))
                    orders.append(RowOrder("at_risk", k, k_prev))
        out = disclose(
            raw,
            counts=["at_risk", "events"],
            derived={c: ["at_risk", "events"] for c in ("survival", "lower", "upper")},
            digits={"survival": 4, "lower": 4, "upper": 4},
            row_relations=relations,
            orders=orders,
            force={"events": forced},
        )
        if horizon is not None:
            out = out[out["day"] <= horizon].reset_index(drop=True)
        return out

    def _raw_frame(self, wanted: list[int]) -> pd.DataFrame:
        # Exact survival table at the chosen days (never shown as it is).
        rows = []
        for (event, group), part in self.curves.groupby(["event", "group"], sort=True):
            at = _curve_from_frame(part).at(wanted)
            for i, day in enumerate(at["day"].to_numpy(int)):
                row: dict[str, Any] = {
                    "event": event, "group": group, "day": int(day),
                    "at_risk": int(at["at_risk"].iloc[i]), "events": int(at["events"].iloc[i]),
                }  # fmt: skip
                for c in ("survival", "lower", "upper"):
                    row[c] = float(at[c].iloc[i])
                rows.append(row)
        return pd.DataFrame(
            rows, columns=["event", "group", "day", "at_risk", "events", "survival", "lower",
                           "upper"],
        )  # fmt: skip

    @property
    def summary(self) -> str:
        """A short text account for people."""
        lines = [
            f"Journeys: {disclose_count(self.n_children)} children, "
            f"{disclose_count(self.n_spells)} spells, {self.n_returns} returns; "
            f"grouped by {', '.join(self.groups) or 'nothing'}.",
        ]
        frame = self.to_frame()  # the same disclosed table the CLI shows, read at 365 days
        frame = frame[(frame["group"] == "all") & (frame["day"] == 365)]
        rec: dict[str, Any]
        for rec in frame.to_dict("records"):  # type: ignore[assignment]
            s, lo, hi = rec["survival"], rec["lower"], rec["upper"]
            if isinstance(s, float):
                lines.append(
                    f"  {rec['event']}: {100 * (1 - s):.1f}% within 12 months "
                    f"(95% CI {100 * (1 - hi):.1f}-{100 * (1 - lo):.1f})"
                )
            elif s is None:
                lines.append(f"  {rec['event']}: not estimable (no follow-up to 12 months)")
            else:
                lines.append(f"  {rec['event']}: suppressed (small numbers)")
        return "\n".join(lines)

    def to_json(self) -> str:
        """Everything needed to rebuild the results (:meth:`from_json`), as JSON."""
        curves = self.curves.copy()
        for c in ("se", "lower", "upper", "survival"):
            curves[c] = curves[c].astype(float)
        payload = {
            "model": "JourneyModel",
            "groups": list(self.groups),
            "n_spells": self.n_spells,
            "n_children": self.n_children,
            "n_returns": self.n_returns,
            "days": list(self.days),
            "curves": json.loads(curves.to_json(orient="records")),
            "cohorts": self.cohorts.to_dict("records"),
        }
        return json.dumps(payload, indent=1)

    @classmethod
    def from_json(cls, text: str) -> JourneyResults:
        """Rebuild results written by :meth:`to_json`."""
        data = json.loads(text)
        if data.get("model") != "JourneyModel":
            raise InputError("not JourneyModel results")
        curves = pd.DataFrame(data["curves"], columns=CURVE_COLUMNS)
        for c in ("time", "survival", "se", "lower", "upper"):
            curves[c] = curves[c].astype(float)
        for c in ("at_risk", "events"):
            curves[c] = curves[c].astype(int)
        return cls(
            curves=curves,
            cohorts=pd.DataFrame(data["cohorts"], columns=COHORT_COLUMNS),
            groups=tuple(data["groups"]),
            n_spells=int(data["n_spells"]),
            n_children=int(data["n_children"]),
            n_returns=int(data["n_returns"]),
            days=tuple(int(d) for d in data["days"]),
        )


CURVE_COLUMNS = ["event", "group", "n", "time", "at_risk", "events", "survival", "se",
                  "lower", "upper"]  # fmt: skip
COHORT_COLUMNS = ["event", "cohort", "spells", "followed", "within_12m", "percent"]


def _curve_from_frame(part: pd.DataFrame) -> KaplanMeier:
    steps = part[part["time"] >= 0].sort_values("time")
    n = int(part["n"].iloc[0]) if len(part) else 0
    return KaplanMeier(
        time=steps["time"].to_numpy(float), at_risk=steps["at_risk"].to_numpy(int),
        events=steps["events"].to_numpy(int), survival=steps["survival"].to_numpy(float),
        se=steps["se"].to_numpy(float), lower=steps["lower"].to_numpy(float),
        upper=steps["upper"].to_numpy(float), n=n, n_events=int(steps["events"].sum()),
    )  # fmt: skip


class JourneyModel:
    """Kaplan–Meier time-to-event model of re-referral and repeat plans.

    Parameters
    ----------
    data : JourneyData or SpellCounts
        From :func:`journey_data` (one row per spell) or :func:`journey_counts` (the
        spells counted in the database: the same results in bounded memory).
    groups : sequence of str
        ``need`` (primary need at the index episode) and/or ``age`` (age band at the
        start of the clock); curves are fitted overall and for each group level (each
        named grouping separately, not crossed).
    """

    def __init__(
        self, data: JourneyData | SpellCounts, groups: Sequence[str] = ("need", "age")
    ) -> None:
        bad = [g for g in groups if g not in _GROUPS]
        if bad:
            raise InputError(f"unknown grouping {bad}; use {', '.join(_GROUPS)}")
        self.data = data
        self.groups = tuple(groups)

    def fit(self) -> JourneyResults:
        """Fit every curve and cohort table."""
        counts = self.data
        if isinstance(counts, JourneyData):
            counts = counts_of_frame(
                counts.spells, _GROUPS, returns=counts.returns, children=counts.children
            )
        missing = [g for g in self.groups if g not in counts.groupings]
        if missing:
            raise InputError(f"the spells were not counted by {', '.join(missing)}")
        frame = cohort_rows(counts)
        # The cohorts of all events add up to the spells in the summary; the followed and
        # within-12-months columns are treated as if their totals were published too.
        relations = [RowRelation(tuple(range(len(frame))))] if len(frame) > 1 else []
        return JourneyResults(
            curves=fit_curves(counts, EVENTS, self.groups),
            cohorts=_disclosed_cohorts(frame, relations),
            groups=self.groups,
            n_spells=counts.n_spells,
            n_children=counts.children,
            n_returns=counts.returns,
        )


def fit_curves(
    counts: SpellCounts,
    events: Sequence[str],
    groups: Sequence[str],
    *,
    skip_empty: Sequence[str] = (),
) -> pd.DataFrame:
    """Every Kaplan–Meier curve of :data:`CURVE_COLUMNS`: per event, overall (``all``)
    and per level of each grouping (``need=N1``), levels in sorted order; an event
    without spells gets an empty ``all`` curve unless it is in ``skip_empty``."""
    frames = []
    steps = counts.steps
    for event in events:
        ev = steps[steps["event"] == event]
        if ev.empty and event in skip_empty:
            continue
        parts: list[tuple[str, pd.DataFrame]] = [("all", ev[ev["grouping"] == ""])]
        for g in groups:
            sub = ev[ev["grouping"] == g]
            parts += [(f"{g}={k}", v) for k, v in sub.groupby("level", sort=True)]
        for label, part in parts:
            km = kaplan_meier_counts(
                part["time"].to_numpy(float),
                part["removed"].to_numpy(np.int64),
                part["events"].to_numpy(np.int64),
            )
            frames.append(curve_rows(event, label, km))
    if not frames:
        return pd.DataFrame(columns=CURVE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[CURVE_COLUMNS]


def cohort_rows(counts: SpellCounts) -> pd.DataFrame:
    """Exact cohort rows of :data:`COHORT_COLUMNS` (per event and year the clock started),
    before disclosure control."""
    rows: list[dict[str, Any]] = []
    for rec in counts.cohorts.to_dict("records"):
        followed, within = int(rec["followed"]), int(rec["within_12m"])
        rows.append(
            {"event": str(rec["event"]), "cohort": int(rec["cohort"]),
             "spells": int(rec["spells"]), "followed": followed, "within_12m": within,
             "percent": 100.0 * within / followed if followed else None}
        )  # fmt: skip
    return pd.DataFrame(rows, columns=COHORT_COLUMNS)


def _disclosed_cohorts(frame: pd.DataFrame, relations: list[RowRelation]) -> pd.DataFrame:
    safe = disclose(
        frame,
        counts=["spells", "followed", "within_12m"],
        derived={"percent": ["followed", "within_12m"]},
        row_relations=relations,
    )
    # Built from records, as from_json builds it, so both infer the same column types.
    return pd.DataFrame(safe.to_dict("records"), columns=COHORT_COLUMNS)


def curve_rows(event: str, group: str, km: KaplanMeier) -> pd.DataFrame:
    """One group's Kaplan-Meier steps as rows of :data:`CURVE_COLUMNS` (CIN and SSDA903).

    A row at time -1 keeps an empty curve (no events) and carries n.
    """
    head = pd.DataFrame(
        [{"event": event, "group": group, "n": km.n, "time": -1.0, "at_risk": km.n,
          "events": 0, "survival": 1.0, "se": 0.0, "lower": 1.0, "upper": 1.0}]
    )  # fmt: skip
    body = pd.DataFrame(
        {
            "event": event, "group": group, "n": km.n, "time": km.time,
            "at_risk": km.at_risk, "events": km.events, "survival": km.survival,
            "se": km.se, "lower": km.lower, "upper": km.upper,
        }
    )  # fmt: skip
    return pd.concat([head, body], ignore_index=True) if len(body) else head
