"""The damped-trend method's fit (ETS(A,Ad,N) by least squares on a grid): its filter is
the textbook one, its starting values are the exact least-squares ones, and it finds
known parameters again."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from cscwatch.models._forecast_methods import (
    _GRID,
    DAMPED_ALPHAS,
    DAMPED_BETAS,
    DAMPED_PHIS,
    _damped_fit,
    _damped_grid,
)


def _filter(
    z: np.ndarray, a: float, bs: float, phi: float, l0: float, b0: float
) -> tuple[np.ndarray, float, float]:
    """The textbook error-correction filter, one step at a time: errors, last level and
    last trend."""
    level, trend, errors = l0, b0, []
    for value in z:
        pred = level + phi * trend
        errors.append(value - pred)
        level, trend = pred + a * errors[-1], phi * trend + a * bs * errors[-1]
    return np.array(errors), level, trend


def _scaled(y: np.ndarray) -> np.ndarray:
    return (y - y[0]) / np.max(np.abs(y - y[0]))


def test_each_grid_point_starts_from_the_least_squares_level_and_trend() -> None:
    z = _scaled(np.exp(np.random.default_rng(11).normal(5, 0.15, size=9)))
    l0, b0, sse = _damped_grid(z)
    for k in np.random.default_rng(5).choice(_GRID[0].size, 25, replace=False):
        a, bs, phi = (float(g[k]) for g in _GRID)
        # the errors are affine in the starts: the design from three runs of the filter
        e00 = _filter(z, a, bs, phi, 0.0, 0.0)[0]
        design = np.column_stack(
            [e00 - _filter(z, a, bs, phi, 1.0, 0.0)[0], e00 - _filter(z, a, bs, phi, 0.0, 1.0)[0]]
        )
        starts, *_ = np.linalg.lstsq(design, e00, rcond=None)
        assert l0[k] == pytest.approx(starts[0], rel=1e-7, abs=1e-9)
        assert b0[k] == pytest.approx(starts[1], rel=1e-7, abs=1e-9)
        errors = _filter(z, a, bs, phi, float(l0[k]), float(b0[k]))[0]
        assert sse[k] == pytest.approx(float(errors @ errors), rel=1e-9, abs=1e-15)


def test_the_fit_forecasts_as_statsmodels_does_from_the_same_parameters() -> None:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = 100 + np.cumsum(np.random.default_rng(4).normal(2.0, 3.0, size=10))
    a, bs, phi, sigma2, point = _damped_fit.__wrapped__(y.tobytes(), 5)
    assert bs <= a  # statsmodels refuses a trend smoothing above the level's
    scale = float(np.max(np.abs(y - y[0])))
    l0, b0, sse = _damped_grid(_scaled(y))
    k = int(np.argmin(sse))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fixed = ExponentialSmoothing(
            y,
            trend="add",
            damped_trend=True,
            initialization_method="known",
            initial_level=y[0] + scale * float(l0[k]),
            initial_trend=scale * float(b0[k]),
        ).fit(smoothing_level=a, smoothing_trend=bs, damping_trend=phi, optimized=False)
    np.testing.assert_allclose(point, fixed.forecast(5), rtol=1e-10)
    assert sigma2 == pytest.approx(float(np.mean(fixed.resid**2)), rel=1e-9)


def test_the_fit_finds_known_parameters_of_a_long_series_again() -> None:
    # parameters on the grid; 400 years of a simulated ETS(A,Ad,N) with unit errors
    rng = np.random.default_rng(20260401)
    a, bs, phi, level, trend = 0.49, 0.3, 0.9, 100.0, 2.0
    y = []
    for e in rng.normal(0, 1.0, size=400):
        pred = level + phi * trend
        y.append(pred + e)
        level, trend = pred + a * e, phi * trend + a * bs * e
    series = np.array(y)
    fa, fbs, fphi, sigma2, _ = _damped_fit.__wrapped__(series.tobytes(), 3)
    # within their sampling spread (with α = 0.5, seeds 0-5 gave α 0.37-0.57, β* 0.15-0.40
    # and φ 0.86-0.92)
    assert abs(fa - a) <= 0.15 and abs(fbs - bs) <= 0.2 and abs(fphi - phi) <= 0.05
    assert sigma2 == pytest.approx(1.0, rel=0.15)
    # and no worse than the truth: the least squares over the grid includes it
    _, _, sse = _damped_grid(_scaled(series))
    truth = int(
        np.flatnonzero(
            np.isclose(_GRID[0], a) & np.isclose(_GRID[1], bs) & np.isclose(_GRID[2], phi)
        )[0]
    )
    assert sse.min() <= sse[truth]


def test_the_grid_is_the_textbook_region() -> None:
    assert DAMPED_ALPHAS.min() > 0 and DAMPED_ALPHAS.max() < 1
    assert DAMPED_BETAS.min() == 0 and DAMPED_BETAS.max() == 1
    assert DAMPED_PHIS.min() == pytest.approx(0.80) and DAMPED_PHIS.max() == pytest.approx(0.98)
    assert _GRID[0].size == DAMPED_ALPHAS.size * DAMPED_BETAS.size * DAMPED_PHIS.size


def test_a_level_series_forecasts_its_level() -> None:
    y = np.full(8, 42.0)
    _, _, _, sigma2, point = _damped_fit.__wrapped__(y.tobytes(), 3)
    assert np.array_equal(point, np.full(3, 42.0)) and sigma2 == 0.0


def test_the_fit_gives_the_bits_it_gave_when_written() -> None:
    # The fit uses only +, -, *, / in a fixed order (and math.fsum), so these four fits
    # are the same bits on any processor; the digest was taken on 3 December 2026 (AMD
    # EPYC). A failure elsewhere means that claim in models/forecast.py is wrong.
    import hashlib

    rng = np.random.default_rng(7)
    digest = hashlib.sha256()
    for n in (6, 8, 10, 14):
        # whole-number steps: no libm in making the series either
        y = 300 + np.cumsum(rng.integers(-20, 30, size=n)).astype(float)
        a, bs, phi, sigma2, point = _damped_fit.__wrapped__(y.tobytes(), 5)
        digest.update(np.array([a, bs, phi, sigma2]).tobytes())
        digest.update(np.asarray(point).tobytes())
    assert digest.hexdigest() == (
        "c6fcbd8f7a6b3516aa3d94eb6118ce78f62c3ba73ea2819b9ce73bf2b233f933"
    )
