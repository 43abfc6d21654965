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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np

from cscwatch.models._placements_data import GROUPS, OUT, ReturnYear, monthly_states
from cscwatch.models.placements import PlacementModel

__all__ = [
    "BacktestRow",
    "NationalRow",
    "backtest_national",
    "backtest_returns",
    "summarise_backtest",
]


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
) -> list[BacktestRow]:
    """Fit on each pair of consecutive years, forecast every later year held."""
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
                "coverage80": float(np.mean([r.low80 <= r.actual <= r.high80 for r in sel])),
                "coverage95": float(np.mean([r.low95 <= r.actual <= r.high95 for r in sel])),
            }
        )
    return out


def _order(group: str) -> int:
    return len(GROUPS) if group == "all" else GROUPS.index(group)


def backtest_national(con: duckdb.DuckDBPyConnection) -> list[NationalRow]:
    """The aggregate model on England's published series, every origin, horizons 1-3."""
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
        stock = at31[origin]
        for h in range(1, 4):
            if origin + h not in at31:
                break
            stock = (1 - q) * (stock + entries)
            out.append(NationalRow(origin, origin + h, h, stock, at31[origin + h], at31[origin]))
    return out
