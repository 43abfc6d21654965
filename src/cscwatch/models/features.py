"""Features for the early-warning model, built only from what was published before a date.

Publication lags
----------------
Every indicator's year ``Y`` (the publisher's year, as stored: the workforce census of
30 September ``Y``, the year ending 31 March ``Y``) is taken to become public on one
declared date, :data:`PUBLICATION_LAGS`.
A feature "as at" date ``d`` uses, for each indicator, the latest year whose
publication date is strictly before ``d`` (falling back one further year where the
authority has no value for it). Dates are set at or after the usual release so that
the rule errs towards staleness, never towards the future. Values are then set side by
side in the reporting year each informs (``_data.ALIGNMENT``: the census of 30 September
``Y`` with the year ending 31 March ``Y + 1``); the provenance keeps the publisher's year.

Features of one case (an authority at a date)
--------------------------------------------
* lead indicators (:data:`LEAD`): the value, its one-year change and the value
  minus the median of the authority's statistical neighbours in the same year;
* demand levels (:data:`DEMAND`): value and neighbour-relative value;
* spend (:data:`SPEND`) and deprivation (``fsm_primary_pct``): value;
* the previous graded Ofsted judgement published before ``d``: its overall grade rank
  (1 outstanding … 4 inadequate), whether it was inadequate, and its age in years;
* spend is section 251 gross outturn per child aged 0–17 as the catalogue computes it
  (safeguarding services, mostly social work; family support; children looked after),
  beside LAIT's approximate weekly social-work unit cost as published;
* statistical neighbours are the 2021 model's for every year (the 2025 model for
  authorities created since): a groupings-only anachronism for features before 2021,
  no outcome data;
* ``lead_score``: the transparent lead-indicator score — the mean over available lead
  indicators of polarity-signed z-scores (z against all authorities in the same year,
  signed so that positive is worse), equal weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from cscwatch.core.catalogue import CATALOGUE, Polarity
from cscwatch.models._data import (
    alignment_offset,
    last_prior,
    load_neighbours,
    load_panel,
)

__all__ = [
    "DEMAND",
    "LEAD",
    "PUBLICATION_LAGS",
    "SPEND",
    "FeatureSet",
    "PublicationLag",
    "build_features",
    "latest_published_year",
    "publication_lag",
    "published_on",
]


@dataclass(frozen=True)
class PublicationLag:
    """When year ``Y`` of a source becomes public: ``date(Y + years_after, month, day)``."""

    source: str
    years_after: int
    month: int
    day: int
    note: str
    indicators: tuple[str, ...] = ()  # empty: every indicator of ``catalogue_source``
    catalogue_source: str = ""


_CIN = "DfE, Children in need (CIN census)"
_CLA = "DfE, Children looked after in England including adoptions (SSDA903)"
_CSWW = "DfE, Children's social work workforce"
_S251 = "DfE, LA and school expenditure (section 251 outturn), via LAIT"
_KS = "DfE, Outcomes of children in need, including looked-after children"
_POP = "ONS mid-year population estimates, children aged 0 to 17"

#: The declared publication lags. First match wins: indicator lists before sources.
PUBLICATION_LAGS: tuple[PublicationLag, ...] = (
    PublicationLag(
        "LAIT: section 47 and conferences",
        1,
        1,
        31,
        "CIN-census measures re-published in LAIT after the census release",
        indicators=("s47_per_10k", "icpc_per_10k", "icpc_within_15_days_pct"),
    ),
    PublicationLag(
        "LAIT: under-18 conceptions",
        2,
        3,
        1,
        "ONS conception statistics reach LAIT about two years after the year",
        indicators=("under18_conceptions_per_1000",),
    ),
    PublicationLag(
        "LAIT: context and attainment",
        1,
        3,
        1,
        "school census and attainment context, refreshed in LAIT the following winter",
        indicators=("fsm_primary_pct", "fsm_secondary_pct", "ks2_rwm_all_pct", "ks4_att8_all"),
    ),
    PublicationLag(
        "CIN census",
        0,
        11,
        15,
        "released late October / early November after the 31 March year end",
        catalogue_source=_CIN,
    ),
    PublicationLag(
        "Children looked after (SSDA903)",
        0,
        12,
        15,
        "released November / December after the 31 March year end",
        catalogue_source=_CLA,
    ),
    PublicationLag(
        "Social work workforce",
        1,
        3,
        1,
        "census of 30 September Y released the following February",
        catalogue_source=_CSWW,
    ),
    PublicationLag(
        "Section 251 outturn",
        1,
        3,
        1,
        "financial-year outturn released the following winter",
        catalogue_source=_S251,
    ),
    PublicationLag(
        "Outcomes of children in need",
        1,
        6,
        30,
        "academic-year attainment released the following spring",
        catalogue_source=_KS,
    ),
    PublicationLag(
        "ONS mid-year population",
        0,
        6,
        30,
        "mid-year estimate of June Y-1 released by the following summer",
        catalogue_source=_POP,
    ),
)

LEAD: tuple[str, ...] = (
    "rereferrals_pct",
    "repeat_cpp_pct",
    "cpp_2yrs_plus_pct",
    "icpc_within_15_days_pct",
    "agency_rate_pct",
    "vacancy_rate_pct",
    "turnover_rate_pct",
    "caseload",
)
DEMAND: tuple[str, ...] = ("cin_at31_per_10k", "s47_per_10k", "cpp_at31_per_10k")
SPEND: tuple[str, ...] = (
    "spend_sw_commissioning_weekly_per_cin",
    "spend_safeguarding_per_child",
    "spend_family_support_per_child",
    "spend_lac_per_child",
)
_CONTEXT: tuple[str, ...] = ("fsm_primary_pct",)
_ALL = (*LEAD, *DEMAND, *SPEND, *_CONTEXT)


def publication_lag(indicator: str) -> PublicationLag:
    """The declared :class:`PublicationLag` of ``indicator``."""
    for lag in PUBLICATION_LAGS:
        if indicator in lag.indicators:
            return lag
    source = CATALOGUE[indicator].source
    for lag in PUBLICATION_LAGS:
        if not lag.indicators and lag.catalogue_source == source:
            return lag
    raise KeyError(f"no publication lag declared for {indicator}")


def published_on(indicator: str, year: int) -> date:
    """The declared date on which ``year`` of ``indicator`` is public."""
    lag = publication_lag(indicator)
    return date(year + lag.years_after, lag.month, lag.day)


def latest_published_year(indicator: str, as_at: date) -> int:
    """The latest year of ``indicator`` published strictly before ``as_at``."""
    lag = publication_lag(indicator)
    after = (as_at.month, as_at.day) > (lag.month, lag.day)
    return as_at.year - lag.years_after - (0 if after else 1)


@dataclass(frozen=True)
class FeatureSet:
    """Features of cases (authority, date).

    Attributes
    ----------
    cases : DataFrame
        The input cases (``la_code``, ``as_at`` and any other columns given).
    frame : DataFrame
        One row per case (same index), one column per feature.
    provenance : DataFrame
        ``case``, ``indicator``, ``year`` used and its ``published_on`` date: the
        audit trail the leakage tests check.
    """

    cases: pd.DataFrame
    frame: pd.DataFrame
    provenance: pd.DataFrame


def _neighbour_median(panel: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    flat = panel.reset_index()
    m = pairs.merge(flat.rename(columns={"la_code": "neighbour"}), on="neighbour")
    return m.drop(columns="neighbour").groupby(["la_code", "year"]).median()


def _lookup(table: pd.DataFrame, col: str, las: np.ndarray, years: np.ndarray) -> np.ndarray:
    idx = pd.MultiIndex.from_arrays([las, years.astype(int)])
    return table[col].reindex(idx).to_numpy(dtype=float)


def _previous(judgements: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """Previous graded judgement published before each case's date."""
    ordered, pos = last_prior(judgements, cases)
    out = np.full((len(cases), 3), np.nan)
    has = pos >= 0
    if has.any():
        last = ordered.iloc[pos[has]]
        rank = last["overall_rank"].to_numpy(dtype=float)
        days = [
            (at - pub).days
            for at, pub in zip(
                cases["as_at"].to_numpy()[has], last["publication_date"], strict=True
            )
        ]
        out[has] = np.column_stack(
            (rank, (rank == 4).astype(float), np.asarray(days, dtype=float) / 365.25)
        )
    return pd.DataFrame(
        out, index=cases.index, columns=["prev_rank", "prev_inadequate", "prev_age_years"]
    )


def build_features(
    con: duckdb.DuckDBPyConnection,
    cases: pd.DataFrame,
    judgements: pd.DataFrame | None = None,
) -> FeatureSet:
    """Features of each case from data published before its ``as_at`` date.

    Parameters
    ----------
    con : duckdb connection to the warehouse.
    cases : DataFrame with ``la_code`` (str) and ``as_at`` (``datetime.date``).
    judgements : the normalised judgements frame (see ``_data.load_judgements``);
        when ``None`` the previous-judgement features are NaN.
    """
    cases = cases.reset_index(drop=True)
    panel = load_panel(con, _ALL)
    sn = _neighbour_median(panel, load_neighbours(con))
    ystats = panel.groupby(level="year").agg(["mean", "std"])
    las = cases["la_code"].to_numpy(dtype=object)
    cols: dict[str, np.ndarray] = {}
    prov: list[pd.DataFrame] = []
    zs: list[np.ndarray] = []
    for ind in _ALL:
        off = alignment_offset(ind)  # publisher's year + off = reporting year (panel's)
        target = np.array([latest_published_year(ind, d) for d in cases["as_at"]]) + off
        val = _lookup(panel, ind, las, target)
        used = target.copy()
        older = _lookup(panel, ind, las, target - 1)
        fall = np.isnan(val) & ~np.isnan(older)
        val = np.where(fall, older, val)
        used = np.where(fall, target - 1, target)
        used_f = np.where(np.isnan(val), np.nan, used)
        cols[ind] = val
        ok = ~np.isnan(val)
        prov.append(
            pd.DataFrame(
                {
                    "case": np.flatnonzero(ok),
                    "indicator": ind,
                    "year": used[ok] - off,
                    "published_on": [published_on(ind, int(y) - off) for y in used[ok]],
                }
            )
        )
        if ind in LEAD or ind in DEMAND:
            cols[ind + "_vs_sn"] = val - _lookup(sn, ind, las, used)
        if ind in LEAD:
            prev = _lookup(panel, ind, las, used - 1)
            cols[ind + "_change"] = val - prev
            mean = ystats[(ind, "mean")].reindex(used_f).to_numpy(dtype=float)
            std = ystats[(ind, "std")].reindex(used_f).to_numpy(dtype=float)
            sign = -1.0 if CATALOGUE[ind].polarity is Polarity.HIGH_GOOD else 1.0
            zs.append(sign * (val - mean) / std)
    frame = pd.DataFrame(cols, index=cases.index)
    zmat = np.vstack(zs).T
    with np.errstate(invalid="ignore"):
        counts = np.sum(~np.isnan(zmat), axis=1)
        frame["lead_score"] = np.where(
            counts > 0, np.nansum(zmat, axis=1) / np.maximum(counts, 1), np.nan
        )
    if judgements is not None:
        frame = frame.join(_previous(judgements, cases))
    else:
        frame[["prev_rank", "prev_inadequate", "prev_age_years"]] = np.nan
    return FeatureSet(cases=cases, frame=frame, provenance=pd.concat(prov, ignore_index=True))
