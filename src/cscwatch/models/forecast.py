"""Per-authority forecasts of demand rates with intervals calibrated on backtest errors.

Methods (point forecasts)
-------------------------
``last_value``
    ``ŷ_{T+h} = y_T``.
``drift``
    ``ŷ_{T+h} = y_T + h (y_T − y_1)/(T − 1)``.
``pooled_ar``
    a pooled AR(1) in logs around each authority's recent level. With
    ``z_t = log y_t`` and ``m_{i,t}`` the mean of the authority's last five years up to
    ``t``, ``z_{T+h} − m_{i,T} = ρ^h (z_T − m_{i,T})``; ``ρ`` is estimated by least
    squares of ``z_{t+1} − m_{i,t}`` on ``z_t − m_{i,t}`` pooled over every authority
    and year of the training window (one parameter for ~150 short series, so it is
    estimated well where a per-authority model would not be).
``damped``
    Holt's damped-trend exponential smoothing, ETS(A,Ad,N), fitted to each authority
    alone (series shorter than six years fall back to last value) by least squares of
    the one-step errors: the best point of a grid over the level's smoothing ``α``
    (50 values, 0.01–0.99), the trend's ``β*`` (21 values, 0–1; the ETS ``β`` is
    ``αβ*``) and the damping ``φ`` (10 values, 0.80–0.98, the region Hyndman and
    Athanasopoulos's *Forecasting: Principles and Practice* keeps it to), with the
    starting level and trend solved exactly at every point (with the three fixed the
    filter is linear in them). The fit uses only the four arithmetic operations in a
    fixed order, so it should give the same bits on every processor (a test pins four
    fits' bits; only this machine has run it). On a grid four times finer in each
    parameter the sum of squares fell by 0.02% or less in 95% of fits (0.4% at most;
    300 fits).
    Until 3 December 2026 statsmodels' optimiser fitted this method. On the 4,682 fits
    of the six backtests 93% of its fits ended outside that region (``α`` below 0.01
    in 72%, ``φ`` above 0.98 in 41%). Inside it, the grid's sum of squares was lower in
    321 of 342 fits (median 15% lower) and never higher, because the optimiser stopped
    early on these short series. Its stopping point followed the last bits of the C
    library's ``exp`` and ``log``, which differ between processors, so this page's
    damped rows moved from one machine to another. With the grid, the damped method's
    MASE over all horizons fell by 0.007–0.033 for five of the six indicators and rose by
    0.068 for spend on children in care; no indicator's chosen method changed.
    On series this short, least squares mostly chooses an almost fixed damped trend:
    of those 4,682 fits, 87% sit at the grid's lowest ``α`` (0.01), 91% at ``β*`` = 0 and
    87% at either end of ``φ``'s range (statsmodels went further, to ``α`` below 0.01 in
    72%). The backtest scores the method as fitted; it is rarely the adaptive smoother
    its name suggests.

Each method also has a model-based spread (last value ``σ√h`` with ``σ`` the SD of the
authority's one-year changes; drift ``σ√(h(1 + h/(T−1)))``; pooled AR the pooled
pseudo-out-of-sample ``h``-step variance scaled by a shrunken authority ratio; damped
the ETS(A,Ad,N) variance). These model intervals are reported in the backtest for
comparison only: they were mis-calibrated (the pooled AR too wide for children in
need, last value too narrow at 95%), so no forecast uses them.

Backtest
--------
Rolling origin: for each origin year ``T`` from the :data:`FIRST_ORIGIN_OFFSET`-th
year of the series to the last year but one, every method is fitted on years ``≤ T``
(each authority's trailing unbroken run of at least :data:`MIN_YEARS` years) and
forecasts ``T + 1 … T + H``. Scored by MASE (absolute error over ``s_i``, the mean
absolute one-year change of the authority's training series), MAPE, and each method's
paired difference in mean scaled error from last value, with a 95% interval from a
seeded bootstrap over authorities (one authority's forecasts move together).

Calibrated intervals
--------------------
Every backtest forecast leaves a relative error ``e = log(y / ŷ)``. For a method and
horizon ``h`` the interval at level ``1 − α`` is ``ŷ · exp([q_lo, q_hi])``, where
``q_lo`` and ``q_hi`` are the ``⌊(n+1)α/2⌋``-th and ``⌈(n+1)(1−α/2)⌉``-th smallest
of the ``n`` errors at that horizon whose target year is among the last
:data:`CALIBRATION_YEARS` years known (split conformal on the log scale; two-sided, so
an interval leans the way the method errs; never below zero). Log errors make one
set of quantiles serve authorities whose rates differ tenfold; the recent window
follows a change in how volatile the series are. (Errors scaled by each authority's
mean absolute one-year change were tried first: out of time they under-covered
steady authorities — 75% inside the 80% interval for children in need — and
over-covered volatile ones, 96%, because that scale is estimated from a few
changes; with errors of every past year, not the last three, log intervals over-covered
by 4–5 points at 80%. Both choices were made
after seeing this backtest, so the coverage below is not wholly untouched by it.)
A forecast whose point is not positive has no log error; in the coverage it counts as
a miss. The errors are pooled over authorities and origins and are not independent (a
national shift moves every authority at once), so coverage is measured, not assumed:

*Coverage out of time.* For each origin ``T``, the quantiles are taken only from
errors whose target year is ``≤ T`` (known at ``T``) and within the window, at least
:data:`MIN_CALIBRATION` of them, and the intervals of forecasts made at ``T`` are
checked against what happened. The share inside is the reported 80% and 95%
coverage, per method and horizon. Forecasts shipped now use the errors of the last
:data:`CALIBRATION_YEARS` target years.

*No interval without a backtest.* ``forecast`` gives a forecast and interval only at a
horizon where the chosen method has at least :data:`MIN_CALIBRATION` calibration
errors and its calibrated coverage was measured out of time on at least as many
forecasts; any other horizon is refused rather than shown with an untested interval.

Choosing the method
-------------------
A method other than last value is *kept* for an indicator only if its gain over last
value — last value's mean scaled error minus its own, pooled over horizons — has a
95% bootstrap interval wholly above zero. The forecast uses the kept method with the
lowest MASE; when none is kept it uses last value and says so.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from cscwatch.core.catalogue import get_indicator
from cscwatch.core.errors import InputError
from cscwatch.models._data import load_authorities, load_panel
from cscwatch.models._forecast_methods import (
    _Z80,
    _Z95,
    BASELINES,
    METHODS,
    MIN_YEARS,
    forecast_series,
    mean_abs_change,
    series_to,
)
from cscwatch.models._results import cached_json, dump, load, opt, percentile_ci

__all__ = [
    "BASELINES",
    "CALIBRATION_YEARS",
    "FIRST_ORIGIN_OFFSET",
    "FORECASTABLE",
    "LEVELS",
    "METHODS",
    "MIN_CALIBRATION",
    "MIN_YEARS",
    "Calibration",
    "ForecastBacktest",
    "ForecastBacktestResults",
    "ForecastModel",
    "ForecastResults",
    "ForecastRow",
    "MethodScore",
    "cached_backtest",
    "choose_method",
    "data_year_label",
    "forecast_series",
]

FORECASTABLE = (
    "cin_at31_per_10k",
    "cpp_at31_per_10k",
    "lac_at31_per_10k",
    "cpp_starts_per_10k",
    "lac_at31",
    "spend_lac_gross",
)
#: The first origin is the series' ``FIRST_ORIGIN_OFFSET``-th year (the shortest series
#: an authority can be forecast from).
FIRST_ORIGIN_OFFSET = MIN_YEARS
#: Fewest backtest errors behind a calibrated interval.
MIN_CALIBRATION = 50
#: Errors of this many most recent target years calibrate an interval.
CALIBRATION_YEARS = 3
#: Interval levels.
LEVELS = (0.80, 0.95)
_DEFAULT_HORIZON = 3


def data_year_label(indicator: str, year: int) -> str:
    """What year's data a forecast runs from, as the publisher names it (the catalogue's
    one label function)."""
    return get_indicator(indicator).year_label(year)


def _quantiles(errors: np.ndarray, level: float) -> tuple[float, float]:
    """Split-conformal lower and upper quantiles of signed errors (see the docstring)."""
    e = np.sort(errors)
    n = e.size
    a = (1 - level) / 2
    lo = max(math.floor((n + 1) * a), 1)
    hi = min(math.ceil((n + 1) * (1 - a)), n)
    return float(e[lo - 1]), float(e[hi - 1])


# ----------------------------------------------------------------------- backtest


@dataclass(frozen=True)
class MethodScore:
    """One method's backtest scores at one horizon (0 = pooled over horizons).

    ``coverage80``/``coverage95`` are the out-of-time coverage of the calibrated
    intervals over ``n_coverage`` forecasts; ``model_coverage80``/``95`` that of the
    method's own model-based intervals (for comparison; not used). On the pooled rows,
    ``mase_minus_last`` is the method's mean scaled error minus last value's on the
    same forecasts, with a 95% interval bootstrapped over authorities.
    """

    method: str
    horizon: int
    n: int
    mase: float | None
    mape: float | None
    n_coverage: int
    coverage80: float | None
    coverage95: float | None
    model_coverage80: float | None
    model_coverage95: float | None
    mase_minus_last: float | None = None
    diff_lower: float | None = None
    diff_upper: float | None = None


@dataclass(frozen=True)
class Calibration:
    """Quantiles of one method's log errors at one horizon, from the ``n`` backtest
    forecasts of the last :data:`CALIBRATION_YEARS` target years; ``None`` when fewer
    than :data:`MIN_CALIBRATION`."""

    method: str
    horizon: int
    n: int
    q10: float | None
    q90: float | None
    q025: float | None
    q975: float | None

    @property
    def usable(self) -> bool:
        """Enough errors to ship an interval."""
        return self.q025 is not None


@dataclass(frozen=True)
class ForecastBacktestResults:
    """Rolling-origin backtest and interval calibration for one indicator (read-only)."""

    indicator: str
    horizon: int
    origins: tuple[int, ...]
    last_year: int
    scores: tuple[MethodScore, ...]
    calibration: tuple[Calibration, ...]
    kept: tuple[str, ...]
    best: str
    reason: str

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
        return self.score(method, 0)

    def score(self, method: str, horizon: int) -> MethodScore:
        """The method's scores at one horizon (0 = pooled)."""
        return next(s for s in self.scores if s.method == method and s.horizon == horizon)

    def calibrated(self, method: str, horizon: int) -> Calibration | None:
        """The method's error quantiles at ``horizon`` (``None`` if never backtested)."""
        return next(
            (c for c in self.calibration if c.method == method and c.horizon == horizon), None
        )

    def horizons(self, method: str) -> tuple[int, ...]:
        """Horizons at which ``method`` may be shipped: a calibrated interval whose
        coverage was measured out of time on at least :data:`MIN_CALIBRATION`
        forecasts."""
        return tuple(
            c.horizon
            for c in self.calibration
            if c.method == method
            and c.usable
            and self.score(method, c.horizon).n_coverage >= MIN_CALIBRATION
        )

    @property
    def summary(self) -> str:
        """Plain-text table of scores by horizon."""
        out = [
            f"{self.indicator}: origins {self.origins[0]}–{self.origins[-1]}, "
            f"horizon {self.horizon}; method used: {self.best} ({self.reason})"
        ]
        for s in self.scores:
            out.append(
                f"  {s.method:<11} h={s.horizon or 'all'}  MASE {_f(s.mase)}  "
                f"cover80 {_f(s.coverage80, 2)}  cover95 {_f(s.coverage95, 2)}  "
                f"(n={s.n_coverage})"
            )
        return "\n".join(out)


def _f(x: float | None, d: int = 3) -> str:
    return "–" if x is None else f"{x:.{d}f}"


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
        horizon: int = _DEFAULT_HORIZON,
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
        """Score and calibrate every method at every origin (see the module docstring)."""
        # One thread: thousands of tiny fits, where OpenMP start-up dominates.
        with threadpool_limits(limits=1):
            return self._fit()

    def _records(self, origins: list[int]) -> pd.DataFrame:
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
        rec: list[tuple[str, str, int, int, float, float, float, bool, bool]] = []
        for t in origins:
            series = series_to(self.panel, t)
            for method in self.methods:
                for la, fc in forecast_series(series, method, self.horizon).items():
                    scale = mean_abs_change(series[la])
                    lo80, hi80 = fc.bounds(_Z80)
                    lo95, hi95 = fc.bounds(_Z95)
                    for h in range(1, self.horizon + 1):
                        a = actual.get((la, t + h), np.nan)
                        if not np.isfinite(a) or scale <= 0 or a <= 0:
                            continue
                        rec.append(
                            (
                                method,
                                la,
                                t,
                                h,
                                float(fc.point[h - 1]),
                                a,
                                scale,
                                bool(lo80[h - 1] <= a <= hi80[h - 1]),
                                bool(lo95[h - 1] <= a <= hi95[h - 1]),
                            )
                        )
        df = pd.DataFrame(
            rec,
            columns=["method", "la", "origin", "h", "point", "actual", "scale", "m80", "m95"],
        )
        positive = df["point"] > 0
        df["e"] = np.log(df["actual"] / df["point"].where(positive))
        df["ase"] = (df["actual"] - df["point"]).abs() / df["scale"]
        df["ape"] = 100 * (df["actual"] - df["point"]).abs() / df["actual"]
        return df

    def _fit(self) -> ForecastBacktestResults:
        years = sorted(int(y) for y in self.panel.index.get_level_values("year").unique())
        origins = [t for t in years[FIRST_ORIGIN_OFFSET - 1 :] if t < years[-1]]
        if not origins:
            raise InputError(f"{self.indicator}: too few years to backtest")
        df = self._records(origins)
        df["in80"], df["in95"] = _rolling_coverage(df)
        scores = []
        for method in self.methods:
            d = df.loc[df["method"] == method]
            for h in range(0, self.horizon + 1):
                dh = d if h == 0 else d.loc[d["h"] == h]
                cov = dh.dropna(subset=["in80"])
                scores.append(
                    MethodScore(
                        method,
                        h,
                        len(dh),
                        opt(dh["ase"].mean()),
                        opt(dh["ape"].mean()),
                        len(cov),
                        opt(cov["in80"].astype(float).mean()),
                        opt(cov["in95"].astype(float).mean()),
                        opt(dh["m80"].mean()),
                        opt(dh["m95"].mean()),
                        *(_paired(df, method, self.seed) if h == 0 else (None, None, None)),
                    )
                )
        calibration = tuple(
            _calibrate(df, m, h, years[-1])
            for m in self.methods
            for h in range(1, self.horizon + 1)
        )
        kept, best, reason = choose_method(scores)
        return ForecastBacktestResults(
            self.indicator,
            self.horizon,
            tuple(origins),
            years[-1],
            tuple(scores),
            calibration,
            kept,
            best,
            reason,
        )


def choose_method(
    scores: tuple[MethodScore, ...] | list[MethodScore],
) -> tuple[tuple[str, ...], str, str]:
    """The kept methods, the one used, and why (see "Choosing the method" above).

    Only the pooled rows (``horizon == 0``) are read.
    """
    by = {s.method: s for s in scores if s.horizon == 0}
    kept = tuple(
        m
        for m, s in by.items()
        if m != "last_value" and s.diff_upper is not None and s.diff_upper < 0
    )
    if not kept:
        return (
            kept,
            "last_value",
            "no method's gain over last value has a 95% interval excluding zero, "
            "so last value is used",
        )
    best = min(kept, key=lambda m: by[m].mase or np.inf)
    s = by[best]
    return (
        kept,
        best,
        f"backtest MASE {_f(s.mase)} vs last value {_f(by['last_value'].mase)}; "
        f"difference {_f(s.mase_minus_last)} (95% CI {_f(s.diff_lower)} to "
        f"{_f(s.diff_upper)}) excludes zero",
    )


def _window(origin: np.ndarray, h: int, t: int) -> np.ndarray:
    """Errors known at ``t`` whose target year is among the last few up to ``t``."""
    target = origin + h
    return np.asarray((target <= t) & (target > t - CALIBRATION_YEARS))


def _rolling_coverage(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Whether each forecast falls inside intervals calibrated only on errors known at
    its origin (NaN where fewer than :data:`MIN_CALIBRATION` were known)."""
    in80 = pd.Series(np.nan, index=df.index, dtype=object)
    in95 = pd.Series(np.nan, index=df.index, dtype=object)
    for _, d in df.groupby(["method", "h"], sort=False):
        h = int(d["h"].iloc[0])
        origin, err = d["origin"].to_numpy(), d["e"].to_numpy()
        for t in sorted(set(origin)):
            known = err[_window(origin, h, int(t))]
            known = known[np.isfinite(known)]
            if known.size < MIN_CALIBRATION:
                continue
            here = origin == t
            e = err[here]
            for level, out in ((0.80, in80), (0.95, in95)):
                lo, hi = _quantiles(known, level)
                out.loc[d.index[here]] = (e >= lo) & (e <= hi)  # NaN error: a miss
    return in80, in95


def _calibrate(df: pd.DataFrame, method: str, horizon: int, last_year: int) -> Calibration:
    d = df.loc[(df["method"] == method) & (df["h"] == horizon)]
    e = d["e"].to_numpy()[_window(d["origin"].to_numpy(), horizon, last_year)]
    e = e[np.isfinite(e)]
    if e.size < MIN_CALIBRATION:
        return Calibration(method, horizon, int(e.size), None, None, None, None)
    q10, q90 = _quantiles(e, 0.80)
    q025, q975 = _quantiles(e, 0.95)
    return Calibration(method, horizon, int(e.size), q10, q90, q025, q975)


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


# ----------------------------------------------------------------------- cache

#: Bump when the backtest or its results change shape: old cache files are then ignored.
_CACHE_VERSION = "2"


def cached_backtest(
    panel: pd.Series,
    indicator: str,
    horizon: int,
    *,
    cache_dir: Path | None = None,
    warehouse: Path | None = None,
) -> ForecastBacktestResults:
    """The backtest of ``indicator``, read from ``cache_dir`` when this warehouse file
    (path, size, modification time) was backtested before, else fitted and stored.

    Without ``cache_dir`` and ``warehouse`` it simply fits. A cache that cannot be
    read or written is ignored: the backtest is then fitted.
    """
    if cache_dir is None or warehouse is None or not warehouse.exists():
        return ForecastBacktest(None, indicator, horizon=horizon, panel=panel).fit()
    st = warehouse.stat()
    ident = "|".join(
        (_CACHE_VERSION, str(warehouse.resolve()), str(st.st_size), str(st.st_mtime_ns),
         indicator, str(horizon), ",".join(METHODS))
    )  # fmt: skip
    path = cache_dir / "forecast" / f"{indicator}-h{horizon}-{_digest(ident)}.json"
    return cached_json(
        path,
        ForecastBacktestResults.from_dict,
        lambda: ForecastBacktest(None, indicator, horizon=horizon, panel=panel).fit(),
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ----------------------------------------------------------------------- forecasts


@dataclass(frozen=True)
class ForecastRow:
    """One authority's forecast for one year, ``horizon`` years after the data year."""

    la_code: str
    name: str
    year: int
    horizon: int
    point: float
    lower80: float
    upper80: float
    lower95: float
    upper95: float


@dataclass(frozen=True)
class ForecastResults:
    """Forecasts by the chosen method with calibrated intervals (read-only).

    ``last_year`` is the data year the forecasts run from (``data_year`` in words);
    ``coverage`` gives, per horizon, the out-of-time coverage of the method's
    calibrated 80% and 95% intervals in the backtest; ``not_forecast`` lists the
    current authorities asked for that have no unbroken series of at least
    :data:`MIN_YEARS` years running to ``last_year`` (so no forecast).
    """

    indicator: str
    method: str
    method_reason: str
    last_year: int
    data_year: str
    horizon: int
    coverage: tuple[tuple[int, float | None, float | None], ...]
    rows: tuple[ForecastRow, ...]
    not_forecast: tuple[str, ...] = ()

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
        head = [
            f"{self.indicator} from data for {self.data_year}, by {self.method} "
            f"({self.method_reason})"
        ]
        head += [
            f"  {r.name} {r.year}: {r.point:.1f} (95% {r.lower95:.1f}–{r.upper95:.1f})"
            for r in self.rows[:10]
        ]
        return "\n".join(head)


class ForecastModel:
    """``ForecastModel(con, indicator).fit()``: backtest, pick the method, forecast every
    current authority (or one) with calibrated intervals.

    ``horizon=None`` forecasts as far as the method was backtested (at most three
    years); a horizon beyond that is refused with :class:`InputError`.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        indicator: str,
        *,
        horizon: int | None = None,
        authority: str | None = None,
        backtest: ForecastBacktestResults | None = None,
        cache_dir: Path | None = None,
        warehouse: Path | None = None,
    ) -> None:
        if horizon is not None and not 1 <= horizon <= 5:
            raise InputError("--horizon must be between 1 and 5 years")
        self.con, self.indicator, self.horizon = con, indicator, horizon
        self.authority, self.backtest = authority, backtest
        self.cache_dir, self.warehouse = cache_dir, warehouse

    def fit(self) -> ForecastResults:
        """Choose the method by backtest and forecast."""
        panel = _load(self.con, self.indicator)
        bt = self.backtest or cached_backtest(
            panel,
            self.indicator,
            self.horizon or _DEFAULT_HORIZON,
            cache_dir=self.cache_dir,
            warehouse=self.warehouse,
        )
        tested = bt.horizons(bt.best)
        horizon = self.horizon or max(tested, default=0)
        untested = [h for h in range(1, horizon + 1) if h not in tested]
        if not tested or untested:
            raise InputError(
                f"{self.indicator}: no forecast {untested[0] if untested else 1} year(s) "
                f"ahead: the backtest of {bt.best} never tested an interval that far "
                f"(the data run {min(bt.origins) - FIRST_ORIGIN_OFFSET + 1}–{bt.last_year})"
                + (f"; use --horizon {max(tested)} or less" if tested else "")
            )
        last = int(panel.index.get_level_values("year").max())
        auths = load_authorities(self.con)
        names = dict(zip(auths["la_code"], auths["name"], strict=True))
        series = {k: v for k, v in series_to(panel, last).items() if k in names}
        asked = [self.authority] if self.authority is not None else sorted(names)
        missing = tuple(la for la in asked if la not in series)
        if self.authority is not None:
            series = {k: v for k, v in series.items() if k == self.authority}
            if not series:
                raise InputError(
                    f"no series of {self.indicator} for {self.authority} running to "
                    f"{data_year_label(self.indicator, last)} (at least {MIN_YEARS} "
                    "unbroken years are needed)"
                )
        fcs = forecast_series(series, bt.best, horizon)
        rows = []
        for la in sorted(fcs):
            for h in range(1, horizon + 1):
                cal = bt.calibrated(bt.best, h)
                assert cal is not None and cal.usable  # checked above
                p = float(fcs[la].point[h - 1])
                lo80, hi80, lo95, hi95 = (
                    p * math.exp(q or 0.0) for q in (cal.q10, cal.q90, cal.q025, cal.q975)
                )
                rows.append(ForecastRow(la, names[la], last + h, h, p, lo80, hi80, lo95, hi95))
        coverage = tuple(
            (h, bt.score(bt.best, h).coverage80, bt.score(bt.best, h).coverage95)
            for h in range(1, horizon + 1)
        )
        return ForecastResults(
            self.indicator,
            bt.best,
            bt.reason,
            last,
            data_year_label(self.indicator, last),
            horizon,
            coverage,
            tuple(rows),
            missing,
        )
