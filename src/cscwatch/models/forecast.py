"""Per-authority forecasts of demand rates with 80% and 95% prediction intervals.

Methods
-------
``last_value``
    ``ŷ_{T+h} = y_T``; interval ``± z σ √h`` with ``σ`` the standard deviation of the
    authority's one-year changes.
``drift``
    ``ŷ_{T+h} = y_T + h (y_T − y_1)/(T − 1)``; ``± z σ √(h (1 + h/(T − 1)))``.
``pooled_ar``
    a pooled AR(1) in logs around each authority's recent level. With
    ``z_t = log y_t`` and ``m_{i,t}`` the mean of the authority's last five years up to
    ``t``, ``z_{T+h} − m_{i,T} = ρ^h (z_T − m_{i,T})``; ``ρ`` is estimated by least
    squares of ``z_{t+1} − m_{i,t}`` on ``z_t − m_{i,t}`` pooled over every authority
    and year of the training window (one parameter for ~150 short series, so it is
    estimated well where a per-authority model would not be). The ``h``-step error
    variance ``σ_h²`` is the pooled variance of the same rule's ``h``-step errors within
    the training window (each made from the trailing mean at its own origin), scaled
    for each authority by a shrunken ratio of its own one-step residual variance to the
    pooled one, ``r_i = (n_i s_i²/σ_1² + 5)/(n_i + 5)``; intervals are ``exp(ẑ ± z σ_h √r_i)``.
``damped``
    Holt's damped-trend exponential smoothing fitted to each authority alone
    (statsmodels; series shorter than six years fall back to last value), interval
    variance ``σ²(1 + Σ_{j<h} c_j²)``, ``c_j = α(1 + β φ_j)``, ``φ_j = φ + … + φ^j``
    (ETS(A,Ad,N)).

Backtest
--------
Rolling origin: for each origin year ``T`` from :data:`FIRST_ORIGIN_OFFSET` years
after the start of the series, every method is fitted on years ``≤ T`` and forecasts
``T + 1 … T + H``. Scored by MASE (absolute error over the mean absolute one-year
change of the authority's training series), MAPE and the share of actuals inside the
80% and 95% intervals, and each method's paired difference in mean scaled error from
last value with a 95% interval bootstrapped over authorities. A method is *kept* only
if its MASE, pooled over horizons, is below last value's; the forecast uses the kept
method with the lowest MASE, or last value when none is kept.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from threadpoolctl import threadpool_limits

from cscwatch.core.errors import InputError
from cscwatch.models._data import load_authorities, load_panel
from cscwatch.models._results import dump, load, opt, percentile_ci

__all__ = [
    "BASELINES",
    "FORECASTABLE",
    "METHODS",
    "ForecastBacktest",
    "ForecastBacktestResults",
    "ForecastModel",
    "ForecastResults",
    "ForecastRow",
    "MethodScore",
    "forecast_series",
]

FORECASTABLE = ("cin_at31_per_10k", "cpp_at31_per_10k", "lac_at31_per_10k", "cpp_starts_per_10k")
BASELINES = ("last_value", "drift")
METHODS = (*BASELINES, "pooled_ar", "damped")
FIRST_ORIGIN_OFFSET = 4
_MIN_YEARS = 3
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


def _damped(y: np.ndarray, horizon: int) -> _Fc:
    if y.size < _DAMPED_MIN:
        return forecast_series({"": y}, "last_value", horizon)[""]
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        # Short series: the optimiser may stop early; the fit is still a valid
        # smoother and the backtest judges it on held-out years.
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = ExponentialSmoothing(
            y, trend="add", damped_trend=True, initialization_method="estimated"
        ).fit()
    a = float(fit.params["smoothing_level"])
    b = float(fit.params["smoothing_trend"])
    phi = float(fit.params["damping_trend"])
    sigma2 = float(np.mean(fit.resid**2))
    cum = np.cumsum(phi ** np.arange(1, horizon + 1))
    c = a * (1 + b * cum)
    v = sigma2 * (1 + np.r_[0.0, np.cumsum(c[:-1] ** 2)])
    return _Fc(np.asarray(fit.forecast(horizon), dtype=float), np.sqrt(v))


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


def _series(panel: pd.Series, last_year: int) -> dict[str, np.ndarray]:
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
        if run.size >= _MIN_YEARS:
            out[str(la)] = run
    return out


# ----------------------------------------------------------------------- backtest


@dataclass(frozen=True)
class MethodScore:
    """One method's backtest scores at one horizon (0 = pooled over horizons).

    On the pooled rows, ``mase_minus_last`` is the method's mean scaled error minus last
    value's on the same (authority, origin, horizon) forecasts, with a 95% interval from
    a seeded bootstrap over authorities (forecasts of one authority move together).
    """

    method: str
    horizon: int
    n: int
    mase: float | None
    mape: float | None
    coverage80: float | None
    coverage95: float | None
    mase_minus_last: float | None = None
    diff_lower: float | None = None
    diff_upper: float | None = None


@dataclass(frozen=True)
class ForecastBacktestResults:
    """Rolling-origin backtest of the forecast methods for one indicator (read-only)."""

    indicator: str
    horizon: int
    origins: tuple[int, ...]
    scores: tuple[MethodScore, ...]
    kept: tuple[str, ...]
    best: str

    def to_frame(self) -> pd.DataFrame:
        """One row per method and horizon."""
        return pd.DataFrame([dump(s) for s in self.scores])

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict."""
        return dump(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ForecastBacktestResults:
        """Inverse of :meth:`to_dict`."""
        return load(cls, data)

    def pooled(self, method: str) -> MethodScore:
        """The method's scores pooled over horizons."""
        return next(s for s in self.scores if s.method == method and s.horizon == 0)

    @property
    def summary(self) -> str:
        """Plain-text table of pooled scores."""
        out = [
            f"{self.indicator}: origins {self.origins[0]}–{self.origins[-1]}, "
            f"horizon {self.horizon}; best kept method: {self.best}"
        ]
        for s in self.scores:
            if s.horizon == 0:
                out.append(
                    f"  {s.method:<11} MASE {s.mase:.3f}  MAPE {s.mape:.1f}%  "
                    f"cover80 {s.coverage80:.2f}  cover95 {s.coverage95:.2f}  n={s.n}"
                )
        return "\n".join(out)


def _load(con: duckdb.DuckDBPyConnection, indicator: str) -> pd.Series:
    if indicator not in FORECASTABLE:
        raise InputError(f"cannot forecast {indicator!r}; use one of {', '.join(FORECASTABLE)}")
    return load_panel(con, (indicator,), align=False)[indicator].dropna()


class ForecastBacktest:
    """``ForecastBacktest(con, indicator).fit()`` → :class:`ForecastBacktestResults`."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection | None,
        indicator: str,
        *,
        horizon: int = 3,
        methods: tuple[str, ...] = METHODS,
        panel: pd.Series | None = None,
        seed: int = 20260401,
    ) -> None:
        self.indicator, self.horizon, self.methods = indicator, horizon, methods
        self.seed = seed
        if panel is None:
            if con is None:
                raise InputError("give a warehouse connection or a panel")
            panel = _load(con, indicator)
        self.panel = panel
        if "last_value" not in methods:
            raise InputError("the backtest needs the last_value baseline")

    def fit(self) -> ForecastBacktestResults:
        """Score every method at every origin (see the module docstring)."""
        # One thread: thousands of tiny fits, where OpenMP start-up dominates.
        with threadpool_limits(limits=1):
            return self._fit()

    def _fit(self) -> ForecastBacktestResults:
        years = sorted(self.panel.index.get_level_values("year").unique())
        origins = [t for t in years[FIRST_ORIGIN_OFFSET - 1 :] if t < years[-1]]
        if not origins:
            raise InputError(f"{self.indicator}: too few years to backtest")
        keys = self.panel.index
        actual: dict[tuple[str, int], float] = {
            (str(la), int(y)): float(v)
            for la, y, v in zip(
                keys.get_level_values("la_code"),
                keys.get_level_values("year"),
                self.panel.to_numpy(dtype=float),
                strict=True,
            )
        }
        rec: list[tuple[str, str, int, int, float, float, bool, bool]] = []
        for t in origins:
            series = _series(self.panel, t)
            for method in self.methods:
                fcs = forecast_series(series, method, self.horizon)
                for la, fc in fcs.items():
                    y = series[la]
                    scale = float(np.mean(np.abs(np.diff(y))))
                    lo80, hi80 = fc.bounds(_Z80)
                    lo95, hi95 = fc.bounds(_Z95)
                    for h in range(1, self.horizon + 1):
                        a = actual.get((la, t + h), np.nan)
                        if not np.isfinite(a) or scale <= 0 or a <= 0:
                            continue
                        e = abs(a - fc.point[h - 1])
                        rec.append(
                            (
                                method,
                                la,
                                t,
                                h,
                                e / scale,
                                100 * e / a,
                                bool(lo80[h - 1] <= a <= hi80[h - 1]),
                                bool(lo95[h - 1] <= a <= hi95[h - 1]),
                            )
                        )
        df = pd.DataFrame(
            rec, columns=["method", "la", "origin", "h", "ase", "ape", "in80", "in95"]
        )
        scores = []
        for method in self.methods:
            d = df.loc[df["method"] == method]
            for h in range(0, self.horizon + 1):
                dh = d if h == 0 else d.loc[d["h"] == h]
                scores.append(
                    MethodScore(
                        method,
                        h,
                        len(dh),
                        opt(dh["ase"].mean()),
                        opt(dh["ape"].mean()),
                        opt(dh["in80"].mean()),
                        opt(dh["in95"].mean()),
                        *(_paired(df, method, self.seed) if h == 0 else (None, None, None)),
                    )
                )
        base = next(s.mase for s in scores if s.method == "last_value" and s.horizon == 0)
        kept = tuple(
            s.method
            for s in scores
            if s.horizon == 0
            and s.method not in BASELINES
            and s.mase is not None
            and base is not None
            and s.mase < base
        )
        best = (
            min(
                kept,
                key=lambda m: next(
                    s.mase or np.inf for s in scores if s.method == m and s.horizon == 0
                ),
            )
            if kept
            else "last_value"
        )
        return ForecastBacktestResults(
            self.indicator,
            self.horizon,
            tuple(int(o) for o in origins),
            tuple(scores),
            kept,
            best,
        )


def _paired(
    df: pd.DataFrame, method: str, seed: int, n_boot: int = 1000
) -> tuple[float | None, float | None, float | None]:
    """Mean scaled-error difference from last value, bootstrapped over authorities."""
    if method == "last_value":
        return None, None, None
    keys = ["la", "origin", "h"]
    a = df.loc[df["method"] == method].set_index(keys)["ase"]
    b = df.loc[df["method"] == "last_value"].set_index(keys)["ase"]
    d = (a - b.reindex(a.index)).dropna()
    if d.empty:
        return None, None, None
    per = d.groupby(level="la").agg(["sum", "count"])
    sums, counts = per["sum"].to_numpy(), per["count"].to_numpy()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, sums.size, size=(n_boot, sums.size))
    boots = sums[idx].sum(axis=1) / counts[idx].sum(axis=1)
    lo, hi = percentile_ci(boots)
    return opt(sums.sum() / counts.sum()), lo, hi


# ----------------------------------------------------------------------- forecasts


@dataclass(frozen=True)
class ForecastRow:
    """One authority's forecast for one year."""

    la_code: str
    name: str
    year: int
    point: float
    lower80: float
    upper80: float
    lower95: float
    upper95: float


@dataclass(frozen=True)
class ForecastResults:
    """Forecasts by the chosen method (read-only)."""

    indicator: str
    method: str
    method_reason: str
    last_year: int
    horizon: int
    rows: tuple[ForecastRow, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per authority and year."""
        return pd.DataFrame([dump(r) for r in self.rows])

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict."""
        return dump(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ForecastResults:
        """Inverse of :meth:`to_dict`."""
        return load(cls, data)

    @property
    def summary(self) -> str:
        """First rows as text."""
        head = [f"{self.indicator} by {self.method} ({self.method_reason})"]
        head += [
            f"  {r.name} {r.year}: {r.point:.1f} (95% {r.lower95:.1f}–{r.upper95:.1f})"
            for r in self.rows[:10]
        ]
        return "\n".join(head)


class ForecastModel:
    """``ForecastModel(con, indicator).fit()``: backtest, pick the best kept method,
    forecast every current authority (or one)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        indicator: str,
        *,
        horizon: int = 3,
        authority: str | None = None,
        backtest: ForecastBacktestResults | None = None,
    ) -> None:
        if not 1 <= horizon <= 5:
            raise InputError("--horizon must be between 1 and 5 years")
        self.con, self.indicator, self.horizon = con, indicator, horizon
        self.authority, self.backtest = authority, backtest

    def fit(self) -> ForecastResults:
        """Choose the method by backtest and forecast."""
        panel = _load(self.con, self.indicator)
        bt = (
            self.backtest
            or ForecastBacktest(None, self.indicator, horizon=self.horizon, panel=panel).fit()
        )
        base = bt.pooled("last_value").mase
        best = bt.pooled(bt.best).mase
        reason = (
            f"lowest backtest MASE {best:.3f} vs last value {base:.3f}"
            if bt.best != "last_value"
            else "no method beat last value in the backtest"
        )
        last = int(panel.index.get_level_values("year").max())
        auths = load_authorities(self.con)
        names = dict(zip(auths["la_code"], auths["name"], strict=True))
        series = {k: v for k, v in _series(panel, last).items() if k in names}
        if self.authority is not None:
            series = {k: v for k, v in series.items() if k == self.authority}
            if not series:
                raise InputError(f"no recent series of {self.indicator} for {self.authority}")
        fcs = forecast_series(series, bt.best, self.horizon)
        rows = []
        for la in sorted(fcs):
            fc = fcs[la]
            lo80, hi80 = fc.bounds(_Z80)
            lo95, hi95 = fc.bounds(_Z95)
            for h in range(self.horizon):
                rows.append(
                    ForecastRow(
                        la,
                        names[la],
                        last + h + 1,
                        float(fc.point[h]),
                        float(lo80[h]),
                        float(hi80[h]),
                        float(lo95[h]),
                        float(hi95[h]),
                    )
                )
        return ForecastResults(self.indicator, bt.best, reason, last, self.horizon, tuple(rows))
