"""Point forecasts (and the methods' own model-based spreads) for short annual series.

The methods, their formulas and why they are there: see :mod:`cscwatch.models.forecast`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from cscwatch.core.errors import InputError

__all__ = ["BASELINES", "METHODS", "MIN_YEARS", "forecast_series", "mean_abs_change", "series_to"]

BASELINES = ("last_value", "drift")
METHODS = (*BASELINES, "pooled_ar", "damped")
#: Shortest trailing unbroken run of years an authority needs to be forecast.
MIN_YEARS = 3
_Z80, _Z95 = 1.2815515655446004, 1.959963984540054
_WINDOW = 5
_SHRINK = 5.0
_DAMPED_MIN = 6  # shorter series: the damped method falls back to last value


@dataclass(frozen=True)
class _Fc:
    mean: np.ndarray
    sd: np.ndarray
    log: bool = False

    def bounds(self, z: float) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.mean - z * self.sd, self.mean + z * self.sd
        if self.log:
            return np.exp(lo), np.exp(hi)
        return np.maximum(lo, 0.0), hi

    @property
    def point(self) -> np.ndarray:
        return np.exp(self.mean) if self.log else self.mean


def _sd1(y: np.ndarray) -> float:
    d = np.diff(y)
    return float(np.std(d, ddof=1)) if d.size >= 2 else float(abs(d[0]) if d.size else 0.0)


def _trailing_mean(z: np.ndarray) -> np.ndarray:
    """Mean of the last ``_WINDOW`` values up to and including each position."""
    c = np.r_[0.0, np.cumsum(z)]
    idx = np.arange(1, z.size + 1)
    lo = np.maximum(idx - _WINDOW, 0)
    return np.asarray((c[idx] - c[lo]) / (idx - lo), dtype=float)


def _pooled_rho(series: dict[str, np.ndarray], horizon: int) -> tuple[float, np.ndarray, float]:
    """Pooled ρ, h-step error variances (1..horizon) and the one-step variance.

    Both are estimated as forecasts would be made: at each year ``s`` the level is the
    trailing mean up to ``s`` and the error is that of the rule's forecast of ``s + h``
    (pseudo out of sample within the training window).
    """
    xs, ys = [], []
    for y in series.values():
        z = np.log(y)
        m = _trailing_mean(z)
        xs.append(z[:-1] - m[:-1])
        ys.append(z[1:] - m[:-1])
    x, yy = np.concatenate(xs), np.concatenate(ys)
    rho = float(np.clip((x @ yy) / (x @ x), -0.99, 0.999)) if x @ x > 0 else 1.0
    var = np.empty(horizon)
    for h in range(1, horizon + 1):
        errs = []
        for y in series.values():
            z = np.log(y)
            m = _trailing_mean(z)
            if z.size > h:
                errs.append(z[h:] - (m[:-h] + rho**h * (z[:-h] - m[:-h])))
        e = np.concatenate(errs) if errs else np.array([])
        var[h - 1] = float(np.mean(e**2)) if e.size else (var[h - 2] * 1.5 if h > 1 else 0.0)
    return rho, var, float(var[0])


#: Damped fits kept per process (a few hundred bytes each).
_DAMPED_KEPT = 8192
#: Each damped fit forecasts this far at least, so a later call at a shorter or equal
#: horizon reuses it (the forecast for h years ahead does not depend on how far the
#: forecast runs: checked in tests/models/test_demand_forecast.py).
_DAMPED_STEPS = 5
#: The damped fit's grid: smoothing level α, trend smoothing β* (the share of the
#: level's change taken into the trend, so the ETS β is αβ*) and damping φ. φ is kept
#: to 0.80–0.98 as in Hyndman and Athanasopoulos, *Forecasting: Principles and
#: Practice* (3rd ed., §8.2): nearer 1 a damped trend cannot be told from Holt's.
DAMPED_ALPHAS = 0.01 + 0.98 * np.arange(50) / 49
DAMPED_BETAS = np.arange(21) / 20
DAMPED_PHIS = 0.80 + 0.02 * np.arange(10)
_GRID = tuple(
    g.ravel() for g in np.meshgrid(DAMPED_ALPHAS, DAMPED_BETAS, DAMPED_PHIS, indexing="ij")
)


def _damped_grid(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every grid point's least-squares starting level and trend, and its sum of
    squared one-step errors, for the series ``z``.

    With α, β* and φ fixed the filter is linear, so each state is an affine function
    of the starting level ``l0`` and trend ``b0``: the filter carries that function's
    constant and two coefficients, the one-step errors are ``r_t − p1_t l0 − p2_t b0``,
    and ``l0``, ``b0`` solve the 2 × 2 normal equations. The sum of squares is then
    taken from a second pass of the filter from those starts (not from the normal
    equations, which cancel badly when the fit is close). Only additions,
    subtractions, multiplications and divisions, element by element, in a fixed
    order: the same bits on every processor.
    """
    a, bs, phi = _GRID
    g1, g2 = a, a * bs
    n = a.size
    cl, cb = np.zeros(n), np.zeros(n)
    ml1, ml2, mb1, mb2 = np.ones(n), np.zeros(n), np.zeros(n), np.ones(n)
    s11, s12, s22, s1r, s2r = (np.zeros(n) for _ in range(5))
    for value in z:
        pc, p1, p2 = cl + phi * cb, ml1 + phi * mb1, ml2 + phi * mb2
        r = value - pc
        s11 += p1 * p1
        s12 += p1 * p2
        s22 += p2 * p2
        s1r += p1 * r
        s2r += p2 * r
        cl, cb = pc + g1 * r, phi * cb + g2 * r
        ml1, mb1 = p1 - g1 * p1, phi * mb1 - g2 * p1
        ml2, mb2 = p2 - g1 * p2, phi * mb2 - g2 * p2
    det = s11 * s22 - s12 * s12
    ok = det > 1e-12 * s11 * s22
    safe = np.where(ok, det, 1.0)
    l0 = np.where(ok, (s22 * s1r - s12 * s2r) / safe, 0.0)
    b0 = np.where(ok, (s11 * s2r - s12 * s1r) / safe, 0.0)
    level, trend, sse = l0.copy(), b0.copy(), np.zeros(n)
    for value in z:
        pred = level + phi * trend
        e = value - pred
        sse += e * e
        level, trend = pred + g1 * e, phi * trend + g2 * e
    return l0, b0, np.where(ok, sse, np.inf)


@lru_cache(maxsize=_DAMPED_KEPT)
def _damped_fit(values: bytes, steps: int) -> tuple[float, float, float, float, np.ndarray]:
    """Smoothing level, trend and damping, residual variance, and ``steps`` forecasts of
    the series whose float64 bytes are ``values``.

    ETS(A,Ad,N) fitted by least squares of the one-step errors: the best of the
    :data:`DAMPED_ALPHAS` × :data:`DAMPED_BETAS` × :data:`DAMPED_PHIS` grid, with the
    starting level and trend solved exactly at each point (:func:`_damped_grid`). The
    series is centred on its first value and scaled by its range first, which changes
    no fit. Kept: a backtest at another horizon, and a forecast after its backtest, fit
    the same series again."""
    y = np.frombuffer(values, dtype=float)
    origin = float(y[0])
    scale = float(np.max(np.abs(y - origin))) or 1.0
    z = (y - origin) / scale
    l0, b0, sse = _damped_grid(z)
    k = int(np.argmin(sse))  # the first of exact ties, in grid order
    a, bs, phi = (float(g[k]) for g in _GRID)
    level, trend, errors = float(l0[k]), float(b0[k]), []
    for value in z:
        pred = level + phi * trend
        errors.append(float(value) - pred)
        level, trend = pred + a * errors[-1], phi * trend + a * bs * errors[-1]
    damping = np.cumsum(np.cumprod(np.full(steps, phi)))
    point = origin + scale * (level + damping * trend)
    point.setflags(write=False)
    sigma2 = scale * scale * math.fsum(e * e for e in errors) / len(errors)
    return a, bs, phi, sigma2, point


def _damped(y: np.ndarray, horizon: int) -> _Fc:
    if y.size < _DAMPED_MIN:
        return forecast_series({"": y}, "last_value", horizon)[""]
    values = np.ascontiguousarray(y, dtype=float).tobytes()
    a, b, phi, sigma2, point = _damped_fit(values, max(horizon, _DAMPED_STEPS))
    cum = np.cumsum(phi ** np.arange(1, horizon + 1))
    c = a * (1 + b * cum)
    v = sigma2 * (1 + np.r_[0.0, np.cumsum(c[:-1] ** 2)])
    return _Fc(point[:horizon].copy(), np.sqrt(v))


def forecast_series(series: dict[str, np.ndarray], method: str, horizon: int) -> dict[str, _Fc]:
    """Forecast every series (authority → values in year order) by ``method``."""
    out: dict[str, _Fc] = {}
    h = np.arange(1, horizon + 1, dtype=float)
    if method == "pooled_ar":
        pos = {k: v for k, v in series.items() if np.all(v > 0)}
        rho, var_h, var1 = _pooled_rho(pos, horizon)
        for k, y in pos.items():
            z = np.log(y)
            mt = _trailing_mean(z)
            resid = z[1:] - (mt[:-1] + rho * (z[:-1] - mt[:-1]))
            n = resid.size
            r = (n * float(np.mean(resid**2)) / var1 + _SHRINK) / (n + _SHRINK) if var1 > 0 else 1
            m = mt[-1]
            out[k] = _Fc(m + rho**h * (z[-1] - m), np.sqrt(var_h * r), log=True)
        return out
    for k, y in series.items():
        s = _sd1(y)
        if method == "last_value":
            out[k] = _Fc(np.full(horizon, y[-1]), s * np.sqrt(h))
        elif method == "drift":
            slope = (y[-1] - y[0]) / (y.size - 1)
            out[k] = _Fc(y[-1] + h * slope, s * np.sqrt(h * (1 + h / (y.size - 1))))
        elif method == "damped":
            out[k] = _damped(y, horizon)
        else:
            raise InputError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    return out


def mean_abs_change(y: np.ndarray) -> float:
    """Mean absolute one-year change of a series (the MASE scale)."""
    return float(np.mean(np.abs(np.diff(y))))


def series_to(panel: pd.Series, last_year: int) -> dict[str, np.ndarray]:
    """Authority → consecutive values up to ``last_year`` (the trailing unbroken run)."""
    out = {}
    wide = panel.unstack("year")
    wide = wide.loc[:, np.asarray(wide.columns, dtype=int) <= last_year]
    for la, row in wide.iterrows():
        vals = row.to_numpy(dtype=float)
        if np.isnan(vals[-1]) if vals.size else True:
            continue
        gaps = np.flatnonzero(np.isnan(vals))
        run = vals[gaps[-1] + 1 :] if gaps.size else vals
        if run.size >= MIN_YEARS:
            out[str(la)] = run
    return out
