"""Variation in looked-after rates between authorities: funnel flags and a number for
"unnecessary variation" (NAO 2019), with its method.

Funnel flags
------------
For each looked-after rate and year the authorities are placed on the funnel plot of
``docs/methods/benchmarking.md`` against England's rate, with the project's default
limits (99.8%, additive random effects on the log scale, so that limits allow for the
real variation between authorities; :mod:`cscwatch.indicators.flags`). Counted: how
many are higher, lower or within; beside them the plain chance limits.

Unnecessary variation
---------------------
The demand model of :mod:`cscwatch.models.demand` is fitted to the looked-after rate
(on 31 March, and starting in the year) per 10,000 children: ``y_it = x_it' β + γ_t +
α_i + ε_it`` with need only in ``x`` (primary free school meals, under-18 conceptions,
log population 0-17; 2016-2022, the years all covariates are published). The variance
of ``y`` is split between need, year effects and authority effects by sequential R²
over every order of entry. The number reported as **variation not explained by
measured need** is the authority effects' share when they enter *last*, after need and
common years: the part of the variance that only a difference between authorities can
account for. It is an upper bound on "unnecessary" variation, because need the
covariates miss (and recording practice) is inside it; the Shapley share and the
largest share (authority effects first) are reported beside it so that the reading's
dependence on the order is visible.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from cscwatch.core.catalogue import get_indicator
from cscwatch.core.errors import InputError
from cscwatch.indicators.benchmarking import available_years
from cscwatch.indicators.variation import variation
from cscwatch.models._results import dump
from cscwatch.models.demand import DemandModel

__all__ = [
    "CARE_RATES",
    "CareVariation",
    "FunnelCount",
    "funnel_counts",
    "unnecessary_variation",
]

#: The looked-after rates modelled (both in the demand model's outcomes).
CARE_RATES = ("lac_at31_per_10k", "lac_starts_per_10k")


@dataclass(frozen=True)
class FunnelCount:
    """Authorities by default (and chance) flag on one year's funnel plot."""

    indicator: str
    year: int
    period_label: str
    n: int
    higher: int
    lower: int
    within: int
    chance_higher: int
    chance_lower: int


@dataclass(frozen=True)
class CareVariation:
    """Variation of one looked-after rate between authorities (read-only)."""

    indicator: str
    years: tuple[int, ...]
    n_obs: int
    n_authorities: int
    authority_share_after_need: float
    authority_share_shapley: float
    authority_share_first: float
    need_share_shapley: float
    year_share_shapley: float
    unexplained_share: float
    funnels: tuple[FunnelCount, ...]
    method: str = (
        "authority effects' sequential R² entered after need (FSM, conceptions, log "
        "population) and year effects, two-way fixed-effects demand model"
    )

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict."""
        return dump(self)

    @property
    def summary(self) -> str:
        """Plain-text summary."""
        head = (
            f"{self.indicator} ({self.years[0]}-{self.years[-1]}, {self.n_authorities} "
            f"authorities): {self.authority_share_after_need:.1%} of the variance is "
            f"between authorities and not explained by measured need or common years "
            f"(Shapley {self.authority_share_shapley:.1%}, up to "
            f"{self.authority_share_first:.1%} if authority effects enter first)"
        )
        lines = [head]
        for f in self.funnels:
            lines.append(
                f"  {f.period_label}: {f.higher} higher, {f.lower} lower than expected of "
                f"{f.n} (chance limits alone: {f.chance_higher} higher, {f.chance_lower} lower)"
            )
        return "\n".join(lines)


def funnel_counts(con: duckdb.DuckDBPyConnection, indicator: str) -> tuple[FunnelCount, ...]:
    """Default and chance flag counts on every year's funnel plot of ``indicator``."""
    ind = get_indicator(indicator)
    out = []
    for y in available_years(con, indicator):
        v = variation(con, indicator, y)
        fc, cc = v.flag_counts or {}, v.chance_flag_counts or {}
        if not fc:
            continue
        out.append(
            FunnelCount(
                indicator,
                y,
                ind.year_label(y),
                sum(fc.values()),
                fc.get("higher", 0),
                fc.get("lower", 0),
                fc.get("within", 0),
                cc.get("higher", 0),
                cc.get("lower", 0),
            )
        )
    return tuple(out)


def unnecessary_variation(con: duckdb.DuckDBPyConnection, indicator: str) -> CareVariation:
    """Fit the demand model to a looked-after rate and read off the variation between
    authorities not explained by measured need (see the module docstring).

    Raises
    ------
    InputError
        ``indicator`` is not one of :data:`CARE_RATES`.
    """
    if indicator not in CARE_RATES:
        raise InputError(f"unknown rate {indicator!r}; use one of {', '.join(CARE_RATES)}")
    r = DemandModel(con, indicator).fit()
    share = {s.block: s for s in r.decomposition}
    auth = share["authority effects"]
    return CareVariation(
        indicator,
        r.years,
        r.n_obs,
        r.n_authorities,
        float(auth.low if auth.low is not None else auth.share_of_variance),
        auth.share_of_variance,
        float(auth.high if auth.high is not None else auth.share_of_variance),
        share["covariates"].share_of_variance,
        share["year effects"].share_of_variance,
        r.unexplained_share,
        funnel_counts(con, indicator),
    )
