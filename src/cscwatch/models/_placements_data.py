"""Episodes of several SSDA903 returns turned into monthly placement states per child.

Input is what the reader gives (text frames with DfE's field names); this module is the
one place it is normalised. Episodes repeated across returns (an episode open on 31
March appears again, closed, in the next year's return) are kept once, from the latest
return that holds them. A child's state on each month end is the placement group of the
episode open that day (``DECOM <= day < DEC``), or "not in care".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from cscwatch.core.errors import InputError

__all__ = [
    "AGE_BANDS",
    "GROUPS",
    "GROUP_OF_PLACE",
    "OUT",
    "MonthlyStates",
    "ReturnYear",
    "band_of",
    "group_of",
    "infer_year",
    "month_ends",
    "monthly_states",
]

#: Placement type groups the model forecasts, in order.
GROUPS: tuple[str, ...] = (
    "fostering",
    "residential",
    "with_parents",
    "independent_living",
    "adoption",
    "other",
)
#: The state code for "not looked after".
OUT = -1
#: Age bands (lower bound in years, label): the CIN/903 publication's bands.
AGE_BANDS: tuple[tuple[int, str], ...] = ((0, "under 1"), (1, "1-4"), (5, "5-9"), (10, "10-15"),
                                          (16, "16-17"))  # fmt: skip

#: DfE placement codes (2022-23 to 2026-27 guidance) to model groups. Children's homes,
#: secure units and other residential settings (R1 care homes, R2 NHS, R5 young offender
#: institutions, S1 residential schools) are "residential"; H5 and P2 independent and
#: semi-independent living; A3-A6 placements for adoption; temporary (T0-T4), Z1 and any
#: unlisted code "other".
GROUP_OF_PLACE: dict[str, str] = {
    **{c: "fostering" for c in ("U1", "U2", "U3", "U4", "U5", "U6")},
    **{c: "residential" for c in ("K1", "K2", "R1", "R2", "R5", "S1")},
    "P1": "with_parents",
    **{c: "independent_living" for c in ("H5", "P2", "P3")},
    **{c: "adoption" for c in ("A3", "A4", "A5", "A6")},
}


def group_of(place: str | None) -> int:
    """Index in :data:`GROUPS` of a placement code ("other" for anything unlisted)."""
    return GROUPS.index(GROUP_OF_PLACE.get((place or "").strip().upper(), "other"))


@dataclass(frozen=True)
class ReturnYear:
    """One year's return as the model needs it.

    Attributes
    ----------
    year : int
        The year the collection ends (2025 = 1 April 2024 to 31 March 2025).
    episodes : DataFrame
        Text with DfE's ``CHILD``, ``DECOM``, ``DEC``, ``PLACE`` (other fields ignored).
    header : DataFrame
        Text with ``CHILD`` and ``DOB``.
    """

    year: int
    episodes: pd.DataFrame
    header: pd.DataFrame


def month_ends(first_year: int, last_year: int) -> list[date]:
    """Month ends from 31 March before ``first_year`` to 31 March ``last_year``."""
    out = [date(first_year - 1, 3, 31)]
    for y in range(first_year - 1, last_year + 1):
        for m in range(1, 13):
            if (y, m) <= (first_year - 1, 3) or (y, m) > (last_year, 3):
                continue
            nxt = date(y + (m == 12), m % 12 + 1, 1)
            out.append(date.fromordinal(nxt.toordinal() - 1))
    return out


@dataclass(frozen=True)
class MonthlyStates:
    """Every child's state and age on every month end of the observed window.

    Attributes
    ----------
    children : ndarray of str
        Pseudonymised ``CHILD``, one per row.
    days : list of date
        The month ends (columns), from 31 March before the first year to the last 31 March.
    state : ndarray of int8, shape (children, months)
        Group index or :data:`OUT`.
    age_months : ndarray of int16, same shape
        Completed months of age on each month end.
    years : tuple of int
        The returns' years.
    """

    children: np.ndarray
    days: list[date]
    state: np.ndarray
    age_months: np.ndarray
    years: tuple[int, ...]

    def stock(self, column: int = -1) -> np.ndarray:
        """Rows of the children looked after on month end ``column``."""
        return np.flatnonzero(self.state[:, column] != OUT)


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.astype("string").str.strip(), format="%d/%m/%Y", errors="coerce")


def monthly_states(returns: Sequence[ReturnYear]) -> MonthlyStates:
    """Normalise consecutive returns into :class:`MonthlyStates`.

    Raises
    ------
    InputError
        Fewer than two returns, years not consecutive, or a return without episodes.
    """
    years = sorted(r.year for r in returns)
    if len(years) < 2:
        raise InputError("the placement model needs two or more years of returns")
    if years != list(range(years[0], years[0] + len(years))) or len(set(years)) != len(years):
        raise InputError(f"returns must be for consecutive, distinct years; got {years}")
    frames = []
    dobs = []
    for r in sorted(returns, key=lambda r: r.year):
        ep = r.episodes
        for col in ("CHILD", "DECOM", "DEC", "PLACE"):
            if col not in ep.columns:
                raise InputError(f"the {r.year} return's episodes have no {col} field")
        frames.append(
            pd.DataFrame(
                {
                    "child": ep["CHILD"].astype("string"),
                    "start": _dates(ep["DECOM"]),
                    "end": _dates(ep["DEC"]),
                    "group": [group_of(p) for p in ep["PLACE"].astype("string").fillna("")],
                    "year": r.year,
                }
            )
        )
        dobs.append(pd.DataFrame({"child": r.header["CHILD"].astype("string"),
                                  "dob": _dates(r.header["DOB"]), "year": r.year}))  # fmt: skip
    episodes = pd.concat(frames, ignore_index=True).dropna(subset=["child", "start"])
    # The latest return's copy of an episode wins (it may have been closed since).
    episodes = episodes.sort_values("year").drop_duplicates(["child", "start"], keep="last")
    dob = pd.concat(dobs).dropna().sort_values("year").drop_duplicates("child", keep="last")
    dob_of = dict(zip(dob["child"], dob["dob"], strict=True))
    episodes = episodes[episodes["child"].isin(dob_of.keys())]
    children = np.array(sorted(episodes["child"].unique()), dtype=object)
    row_of = {c: i for i, c in enumerate(children)}
    days = month_ends(years[0], years[-1])
    day_ns = np.array(days, dtype="datetime64[D]")
    state = np.full((len(children), len(days)), OUT, dtype=np.int8)
    rows = episodes["child"].map(row_of).to_numpy()
    starts = episodes["start"].to_numpy(dtype="datetime64[D]")
    ends = episodes["end"].to_numpy(dtype="datetime64[D]")
    ends = np.where(np.isnat(ends), day_ns[-1] + 1, ends)  # open: beyond the last day
    lo = np.searchsorted(day_ns, starts, side="left")  # first month end on/after DECOM
    hi = np.searchsorted(day_ns, ends, side="left")  # first month end on/after DEC
    for r, a, b, g in zip(rows, lo, hi, episodes["group"].to_numpy(), strict=True):
        if b > a:
            state[r, a:b] = g
    birth = pd.to_datetime(pd.Series([dob_of[c] for c in children]))
    by = birth.dt.year.to_numpy()[:, None]
    bm = birth.dt.month.to_numpy()[:, None]
    bd = birth.dt.day.to_numpy()[:, None]
    dy = np.array([d.year for d in days])[None, :]
    dm = np.array([d.month for d in days])[None, :]
    dd = np.array([d.day for d in days])[None, :]
    age = (dy - by) * 12 + (dm - bm) - (dd < bd)
    return MonthlyStates(children, days, state, age.astype(np.int16), tuple(years))


def band_of(age_months: np.ndarray) -> np.ndarray:
    """Age band index of ages in months."""
    edges = np.array([lo * 12 for lo, _ in AGE_BANDS[1:]])
    return np.searchsorted(edges, age_months, side="right")


def infer_year(episodes: pd.DataFrame) -> int:
    """The collection year of a return: the year ending on the 31 March on or after the
    latest DECOM or DEC in its episodes (every date of a return falls in its year or
    before it).

    Raises
    ------
    InputError
        No valid DECOM or DEC at all.
    """
    dates = pd.concat([_dates(episodes["DECOM"]), _dates(episodes["DEC"])]).dropna()
    if dates.empty:
        raise InputError("no valid DECOM or DEC in the episodes: cannot tell the return's year")
    last = dates.max()
    return int(last.year + (1 if last.month >= 4 else 0))
