"""Synthetic warehouses for the model tests: small, fast, with known effects."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd
import pytest

Rows = list[tuple[str, str, int, float]]


def make_warehouse(
    con: duckdb.DuckDBPyConnection, obs: Rows, pop: dict[tuple[str, int], float]
) -> duckdb.DuckDBPyConnection:
    """Minimal ``observation``, ``population``, ``authority``, ``statistical_neighbour``.

    Rows go in from data frames: ``executemany`` took 1.8 s CPU for the 3,600 rows of
    ``demand_panel``, a frame 0.02 s."""
    con.execute(
        "CREATE TABLE observation (indicator VARCHAR, geo_level VARCHAR, geo_code VARCHAR, "
        "year INTEGER, value DOUBLE)"
    )
    _insert(con, "observation", "indicator, 'la', geo_code, year, value",
            pd.DataFrame(obs, columns=["indicator", "geo_code", "year", "value"]))  # fmt: skip
    con.execute(
        "CREATE TABLE population (geo_level VARCHAR, geo_code VARCHAR, year INTEGER, "
        "population DOUBLE)"
    )
    if pop:
        rows = [(la, y, p) for (la, y), p in pop.items()]
        _insert(con, "population", "'la', geo_code, year, population",
                pd.DataFrame(rows, columns=["geo_code", "year", "population"]))  # fmt: skip
    las = sorted({la for _, la, _, _ in obs})
    con.execute(
        "CREATE TABLE authority (la_code VARCHAR, name VARCHAR, region_name VARCHAR, "
        "is_current BOOLEAN)"
    )
    names = pd.DataFrame({"la_code": las, "name": [f"Authority {la}" for la in las]})
    _insert(con, "authority", "la_code, name, 'R', true", names)
    con.execute(
        "CREATE TABLE statistical_neighbour (la_code VARCHAR, neighbour VARCHAR, "
        "rank INTEGER, model VARCHAR)"
    )
    pairs = [(la, las[(k + j) % len(las)], j) for k, la in enumerate(las) for j in (1, 2, 3)]
    _insert(con, "statistical_neighbour", "la_code, neighbour, rank, '2021'",
            pd.DataFrame(pairs, columns=["la_code", "neighbour", "rank"]))  # fmt: skip
    return con


def _insert(con: duckdb.DuckDBPyConnection, table: str, select: str, frame: pd.DataFrame) -> None:
    """``INSERT INTO table SELECT select FROM frame`` (the frame read in place)."""
    con.register("_rows", frame)
    try:
        con.execute(f"INSERT INTO {table} SELECT {select} FROM _rows")
    finally:
        con.unregister("_rows")


@pytest.fixture()
def demand_panel(
    fresh_db: duckdb.DuckDBPyConnection,
) -> tuple[duckdb.DuckDBPyConnection, dict[str, float]]:
    """60 authorities × 2013–2022: ``cpp_starts_per_10k`` = 2·fsm − 3·conceptions +
    α_i + γ_t + noise; half the authorities cut children's-centre spend in 2018–2020,
    raising the outcome by 5 from then on."""
    rng = np.random.default_rng(7)
    truth = {"fsm_primary_pct": 2.0, "under18_conceptions_per_1000": -3.0, "did": 5.0}
    obs: Rows = []
    pop: dict[tuple[str, int], float] = {}
    years = range(2013, 2023)
    gamma = {y: rng.normal(0, 3) for y in years}
    for i in range(60):
        la = f"{300 + i}"
        alpha = rng.normal(50, 10)
        cut = 2018 + i % 3 if i % 2 == 0 else None
        for y in years:
            fsm = 15 + rng.normal(0, 3)
            conc = 20 + rng.normal(0, 2)
            # £ per child aged 0-17, near England's 2024 levels (about 290, 140, 45)
            social_work, family_support = rng.uniform(200, 400), rng.uniform(80, 200)
            cc = 40.0 if cut is None or y < cut else 10.0
            post = truth["did"] if cut is not None and y >= cut else 0.0
            out = (
                truth["fsm_primary_pct"] * fsm
                + truth["under18_conceptions_per_1000"] * conc
                + alpha
                + gamma[y]
                + post
                + rng.normal(0, 1)
            )
            obs += [
                ("cpp_starts_per_10k", la, y, out),
                ("fsm_primary_pct", la, y, fsm),
                ("under18_conceptions_per_1000", la, y, conc),
                ("spend_safeguarding_per_child", la, y, social_work),
                ("spend_family_support_per_child", la, y, family_support),
                ("spend_children_centres_per_child", la, y, cc * (1 + rng.normal(0, 0.02))),
            ]
            pop[(la, y)] = float(rng.uniform(2e4, 2e5))
    return make_warehouse(fresh_db, obs, pop), truth


@pytest.fixture()
def ar_panel(fresh_db: duckdb.DuckDBPyConnection) -> Callable[[], duckdb.DuckDBPyConnection]:
    """80 authorities × 2013–2025 of ``cin_at31_per_10k`` following a mean-reverting AR(1)
    in logs around each authority's level."""

    def make() -> duckdb.DuckDBPyConnection:
        rng = np.random.default_rng(11)
        obs: Rows = []
        for i in range(80):
            la = f"{400 + i}"
            mu = rng.normal(np.log(350), 0.3)
            z = mu + rng.normal(0, 0.15)
            for y in range(2013, 2026):
                z = mu + 0.5 * (z - mu) + rng.normal(0, 0.08)
                obs.append(("cin_at31_per_10k", la, y, float(np.exp(z))))
        return make_warehouse(fresh_db, obs, {})

    return make


def _two_way_demeaned(rng: np.random.Generator, n: int, t: int) -> np.ndarray:
    m = rng.normal(size=(n, t))
    return np.asarray(m - m.mean(1, keepdims=True) - m.mean(0, keepdims=True) + m.mean())


def _unit(v: np.ndarray, *against: np.ndarray) -> np.ndarray:
    """``v`` made orthogonal to ``against`` (Gram–Schmidt), centred, of unit length."""
    v = v - v.mean()
    for a in against:
        v = v - (v.ravel() @ a.ravel()) / (a.ravel() @ a.ravel()) * a
    return np.asarray(v / np.sqrt((v**2).sum()))


#: Shares of the variance of new plans built into ``nao_panel`` (they add up to 1).
_NAO_SHARES = {
    "deprivation": 0.15,
    "under-18 conceptions": 0.05,
    "year effects": 0.10,
    "authority effects": 0.44,
    "unexplained": 0.26,
}
#: In ``nao_panel``: time-fixed low income explains this share of the variance, all of
#: it between authorities (so inside the authority effects' span).
_NAO_FIXED_SHARE = 0.20


@pytest.fixture()
def nao_panel(
    fresh_db: duckdb.DuckDBPyConnection,
) -> tuple[duckdb.DuckDBPyConnection, dict[str, float]]:
    """40 authorities × 2016–2022, balanced. ``cpp_starts_per_10k`` is a sum of exactly
    orthogonal parts — FSM (two-way demeaned), conceptions, year effects, authority
    effects, noise — scaled to the returned shares (they add up to 1). The time-fixed
    ``children_low_income_pct`` is a part of the authority effects whose share is
    ``"fixed low income"``; spend is noise."""
    rng = np.random.default_rng(29)
    n, years = 40, list(range(2016, 2023))
    t = len(years)
    dep = _unit(_two_way_demeaned(rng, n, t))
    conc = _unit(_two_way_demeaned(rng, n, t), dep)
    year = _unit(np.tile(rng.normal(size=(1, t)), (n, 1)))
    income_la = _unit(np.tile(rng.normal(size=(n, 1)), (1, t)))
    rest_la = _unit(np.tile(rng.normal(size=(n, 1)), (1, t)), income_la)
    auth = (
        np.sqrt(_NAO_FIXED_SHARE) * income_la
        + np.sqrt(_NAO_SHARES["authority effects"] - _NAO_FIXED_SHARE) * rest_la
    )
    noise = _unit(_two_way_demeaned(rng, n, t), dep, conc)
    s = _NAO_SHARES
    y = 150 + 100 * (
        np.sqrt(s["deprivation"]) * dep
        + np.sqrt(s["under-18 conceptions"]) * conc
        + np.sqrt(s["year effects"]) * year
        + auth
        + np.sqrt(s["unexplained"]) * noise
    )
    obs: Rows = []
    for i in range(n):
        la = f"{300 + i}"
        for j, yr in enumerate(years):
            obs += [
                ("cpp_starts_per_10k", la, yr, float(y[i, j])),
                ("fsm_primary_pct", la, yr, float(20 + 30 * dep[i, j])),
                ("under18_conceptions_per_1000", la, yr, float(15 + 30 * conc[i, j])),
                ("children_low_income_pct", la, yr, float(20 + 30 * income_la[i, j])),
                ("spend_safeguarding_per_child", la, yr, float(rng.uniform(200, 400))),
            ]
    return make_warehouse(fresh_db, obs, {}), {**_NAO_SHARES, "fixed low income": _NAO_FIXED_SHARE}
