"""Backtests of the placement model: on multi-year returns, and on England's series.

* :func:`backtest_returns`: for each authority's consecutive returns, fit on two years,
  forecast the following 31 Marches (up to three) and compare with the children looked
  after on those days in the later returns, by group and in total; the baseline is the
  last value (the stock on the base date). Interval coverage is the share of actual
  values inside the 80% and 95% intervals.
* :func:`backtest_national`: the model's aggregate form on England's published series
  (``lac_at31``, ``lac_starts``, ``lac_ceased``): with entries ``E`` the mean starts of
  the two fitted years and ``q`` their mean share ceasing of those who could
  (``ceased / (at31 of the year before + starts)``), ``S[t] = (1 - q)(S[t-1] + E)``;
  forecast 1-3 years from every origin with two earlier years, beside the last value.
  No age bands or placement groups are published with flows nationally, so this checks
  the stock-and-flow core only, and without intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np

from cscwatch.models._placements_data import GROUPS, OUT, ReturnYear, monthly_states
from cscwatch.models._placements_drift import (
    Drift,
    correlated_normals,
    estimate_drift,
    walk,
)
from cscwatch.models.placements import PlacementModel

__all__ = [
    "BacktestRow",
    "NationalRow",
    "backtest_national",
    "backtest_returns",
    "coverage_interval",
    "overall_coverage",
    "summarise_backtest",
]

#: Replicates of the national aggregate form's intervals.
NATIONAL_REPLICATES = 4000
#: Fewest origin-year pairs of England's own figures to measure its drift on; with
#: fewer the national forecast has no interval.
NATIONAL_MIN_PAIRS = 3


@dataclass(frozen=True)
class BacktestRow:
    """One authority, origin, horizon and group: forecast, interval, actual, baseline."""

    la_code: str
    origin: int
    year: int
    horizon: int
    group: str
    forecast: float
    low80: float
    high80: float
    low95: float
    high95: float
    actual: int
    baseline: int


@dataclass(frozen=True)
class NationalRow:
    """England: one origin and horizon."""

    origin: int
    year: int
    horizon: int
    forecast: float
    actual: float
    baseline: float
    low80: float | None = None
    high80: float | None = None
    low95: float | None = None
    high95: float | None = None


def _stock_on_31(returns: Sequence[ReturnYear], year: int) -> dict[str, int]:
    pair = [r for r in returns if r.year in (year - 1, year)]
    states = monthly_states(pair).state[:, -1]
    out = {g: int((states == i).sum()) for i, g in enumerate(GROUPS)}
    out["all"] = int((states != OUT).sum())
    return out


def backtest_returns(
    histories: Mapping[str, Sequence[ReturnYear]],
    unit_costs: Mapping[str, float],
    *,
    n_boot: int = 100,
    seed: int = 20261201,
    drift: Callable[[int], Drift | None] | None = None,
) -> list[BacktestRow]:
    """Fit on each pair of consecutive years, forecast every later year held.

    ``drift`` gives the year-to-year drift for an origin year (measured on figures up
    to it); without it the intervals carry no drift."""
    rows: list[BacktestRow] = []
    for la, returns in sorted(histories.items()):
        by_year = {r.year: r for r in returns}
        years = sorted(by_year)
        for origin in years[1:-1]:
            horizon = min(3, years[-1] - origin)
            fit = PlacementModel(
                [by_year[origin - 1], by_year[origin]],
                horizon=horizon,
                n_boot=n_boot,
                seed=seed,
                unit_costs=unit_costs,
                drift=None if drift is None else drift(origin),
            ).fit()
            base = _stock_on_31(returns, origin)
            for h in range(1, horizon + 1):
                actual = _stock_on_31(returns, origin + h)
                d = fit.draws[:, h - 1, :]
                for gi, group in enumerate((*GROUPS, "all")):
                    x = d.sum(axis=1) if group == "all" else d[:, gi]
                    q = np.quantile(x, [0.1, 0.9, 0.025, 0.975])
                    rows.append(
                        BacktestRow(la, origin, origin + h, h, group, float(np.median(x)),
                                    float(q[0]), float(q[1]), float(q[2]), float(q[3]),
                                    actual[group], base[group])
                    )  # fmt: skip
    return rows


def summarise_backtest(rows: Sequence[BacktestRow]) -> list[dict[str, object]]:
    """Per horizon and group: mean absolute error (model, last value), mean absolute
    percentage error of the totals, and interval coverage."""
    out = []
    keys = sorted({(r.horizon, r.group) for r in rows}, key=lambda k: (k[0], _order(k[1])))
    for h, g in keys:
        sel = [r for r in rows if r.horizon == h and r.group == g]
        err = np.array([abs(r.forecast - r.actual) for r in sel])
        base = np.array([abs(r.baseline - r.actual) for r in sel])
        act = np.array([max(r.actual, 1) for r in sel], dtype=float)
        out.append(
            {
                "horizon": h,
                "group": g,
                "n": len(sel),
                "mae_model": float(err.mean()),
                "mae_last_value": float(base.mean()),
                "mape_model": float((err / act).mean() * 100),
                "mape_last_value": float((base / act).mean() * 100),
                **_coverage(sel),
            }
        )
    return out


def _coverage(sel: Sequence[BacktestRow]) -> dict[str, object]:
    clusters = [r.la_code for r in sel]
    out: dict[str, object] = {}
    for level in ("80", "95"):
        hits = [getattr(r, f"low{level}") <= r.actual <= getattr(r, f"high{level}") for r in sel]
        out[f"coverage{level}"] = float(np.mean(hits))
        out[f"coverage{level}_ci"] = list(coverage_interval(hits, clusters))
    return out


def overall_coverage(rows: Sequence[BacktestRow], groups: Sequence[str]) -> dict[str, object]:
    """Coverage over every row of ``groups`` (all horizons), with its interval."""
    sel = [r for r in rows if r.group in groups]
    return {"n": len(sel), "histories": len({r.la_code for r in sel}), **_coverage(sel)}


def _order(group: str) -> int:
    return len(GROUPS) if group == "all" else GROUPS.index(group)


def backtest_national(con: duckdb.DuckDBPyConnection, *, seed: int = 20261201) -> list[NationalRow]:
    """The aggregate model on England's published series, every origin, horizons 1-3.

    Intervals (80% and 95%) from :data:`NATIONAL_REPLICATES` draws of England's own
    drift (:func:`estimate_drift` at ``geo_level="national"``, figures up to the origin
    only) with binomial leaving and Poisson entries; none where no drift can be
    measured yet from :data:`NATIONAL_MIN_PAIRS` origins before it."""
    series: dict[str, dict[int, float]] = {}
    for ind in ("lac_at31", "lac_starts", "lac_ceased"):
        rows = con.execute(
            "SELECT year, value FROM observation WHERE indicator = ? AND geo_code = 'E92000001' "
            "AND value IS NOT NULL ORDER BY year",
            [ind],
        ).fetchall()
        series[ind] = {int(y): float(v) for y, v in rows}
    at31, starts, ceased = series["lac_at31"], series["lac_starts"], series["lac_ceased"]
    years = sorted(set(at31) & set(starts) & set(ceased))
    out: list[NationalRow] = []
    for origin in years:
        fit_years = [origin - 1, origin]
        if not all(y in years and y - 1 in at31 for y in fit_years):
            continue
        entries = float(np.mean([starts[y] for y in fit_years]))
        q = float(np.mean([ceased[y] / (at31[y - 1] + starts[y]) for y in fit_years]))
        drift = estimate_drift(con, origin, geo_level="national")
        sims = None
        if min(drift.n["entries"], drift.n["leaving"]) >= NATIONAL_MIN_PAIRS:
            sims = _national_draws(at31[origin], entries, q, drift, seed + origin)
        stock = at31[origin]
        for h in range(1, 4):
            if origin + h not in at31:
                break
            stock = (1 - q) * (stock + entries)
            bounds: tuple[float | None, ...] = (None,) * 4
            if sims is not None:
                bounds = tuple(float(v) for v in np.quantile(sims[:, h - 1], _QUANTILES))
            out.append(
                NationalRow(origin, origin + h, h, stock, at31[origin + h], at31[origin], *bounds)
            )
    return out


_QUANTILES = (0.1, 0.9, 0.025, 0.975)


def _national_draws(stock0: float, entries: float, q: float, drift: Drift, seed: int) -> np.ndarray:
    # S[t] = S[t-1] + E_t - Binomial(S[t-1] + E_t, q_t), E_t ~ Poisson(E·e^Z), q_t = q·e^Z',
    # Z and Z' correlated random walks.
    rng = np.random.default_rng(seed)
    n = NATIONAL_REPLICATES
    a, b = correlated_normals(drift.correlation, (n, 3), rng)
    ze, zq = walk(drift.entries, a), walk(drift.leaving, b)
    stock = np.full(n, stock0)
    out = np.zeros((n, 3))
    for h in range(3):
        present = stock + rng.poisson(entries * np.exp(ze[:, h]))
        leave = rng.binomial(present.astype(np.int64), np.minimum(q * np.exp(zq[:, h]), 1.0))
        stock = present - leave
        out[:, h] = stock
    return out


def coverage_interval(
    hits: Sequence[bool], clusters: Sequence[str], *, seed: int = 1, n_boot: int = 2000
) -> tuple[float, float]:
    """A 95% interval for a coverage share, by bootstrap over ``clusters`` (forecasts of
    one history share its errors, so points are not independent)."""
    keys = sorted(set(clusters))
    by = {k: np.array([h for h, c in zip(hits, clusters, strict=True) if c == k], dtype=float)
          for k in keys}  # fmt: skip
    rng = np.random.default_rng(seed)
    shares = []
    for _ in range(n_boot):
        pick = rng.integers(0, len(keys), size=len(keys))
        got = np.concatenate([by[keys[i]] for i in pick])
        shares.append(got.mean())
    lo, hi = np.quantile(shares, [0.025, 0.975])
    return float(lo), float(hi)
