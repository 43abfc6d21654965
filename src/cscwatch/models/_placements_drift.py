"""Year-to-year drift of the placement model's rates, measured on published series.

The bootstrap over children carries the uncertainty of rates estimated from a few
hundred children, and the simulation the chance of the months ahead (each child's moves
drawn, entries Poisson). Neither carries a change in the rates themselves, and
authorities' rates do change from year to year: a forecast with only those two sources
of uncertainty gives intervals that are too narrow (measured: see the methods page).

Drift is measured on the published figures of every authority (or of England), the
way the model uses them. For each geography, each origin year *o* with a fitting window
of *W* years ``o-W+1 .. o`` and each later year ``o+k`` (k = 1 to 3):

* entries: ``r = log(starts[o+k] / mean of starts over the window)``;
* leaving: with ``q[y] = ceased[y] / (at31[y-1] + starts[y])``,
  ``r = log(q[o+k] / mean of q over the window)``;
* placement mix: with ``p[g, y]`` the share looked after on 31 March in group *g*,
  ``r = log(p[g, o+k] / mean of p[g] over the window)``.

The drift variance at horizon *k*, ``V(k)``, is the mean of ``r²`` over geographies and
origins less the mean sampling variance that the simulation and the bootstrap already
carry (Poisson for starts, ``1/starts[o+k] + 1/Σ window starts``; binomial for shares,
``(1-q)/(q·n)``, plus for published percentages the variance of their rounding to whole
numbers), floored at 0 and made non-decreasing in *k*. A mean square, not a variance:
a shift common to every authority is drift too. Only figures up to ``up_to`` are read,
so a backtest from origin *o* uses nothing after it.

In the forecast each replicate draws a random walk of log factors with those variances
(increments ``V(k) - V(k-1)``; entries and leaving correlated as measured one year
ahead), multiplies the entry rates of forecast year *k* and the
monthly chance of leaving by them, and scales the simulated placement mix of each 31
March by the group factors (the total kept; each group's cost scaled with it).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import duckdb
import numpy as np

from cscwatch.models._placements_data import GROUPS

__all__ = [
    "MIX_SOURCE",
    "Drift",
    "DriftDraws",
    "correlated_normals",
    "draw_drift",
    "estimate_drift",
    "walk",
]

#: Published 31 March placement shares (LAIT, per cent) behind each model group.
MIX_SOURCE: dict[str, tuple[str, ...]] = {
    "fostering": ("lac_foster_pct",),
    "residential": ("lac_childrens_homes_pct", "lac_other_residential_pct"),
    "with_parents": ("lac_with_parents_pct",),
    "independent_living": ("lac_independent_living_pct",),
    "adoption": ("lac_other_placement_pct",),
    "other": ("lac_other_placement_pct",),
}
#: Fewest children in a share (window mean) for it to count towards the mix drift: a
#: smaller share published to a whole per cent is mostly rounding.
MIN_MIX_CHILDREN = 20
_HORIZONS = 3


@dataclass(frozen=True)
class Drift:
    """Drift variances of log rates by forecast horizon (index 0 = one year ahead).

    Attributes
    ----------
    entries, leaving : tuple of float
        ``V(k)`` for the entry rate and the chance of leaving care, k = 1..3.
    mix : dict of str to tuple of float
        ``V(k)`` for each group's share of the 31 March stock.
    correlation : float
        Of the entry and leaving log ratios one year ahead (their mean product over
        the root of their mean squares; sampling noise included, so a little towards
        0): authorities whose starts rise tend to see more leave too.
    window : int
        Years in the fitting window the variances are measured for.
    geo_level : str
        ``la`` (every authority) or ``national`` (England).
    up_to : int
        Latest year read.
    n : dict of str to int
        Geography-origin pairs behind each horizon-one variance (``entries``,
        ``leaving``, and each group).
    """

    entries: tuple[float, ...]
    leaving: tuple[float, ...]
    mix: dict[str, tuple[float, ...]]
    correlation: float
    window: int
    geo_level: str
    up_to: int
    n: dict[str, int]

    @property
    def source(self) -> str:
        """One line saying what the variances were measured on."""
        who = "every authority's" if self.geo_level == "la" else "England's"
        return (
            f"year-to-year drift measured on {who} published starts, ceased and 31 March "
            f"placement shares up to {self.up_to} ({self.n.get('entries', 0)} "
            f"geography-origin pairs, {self.window}-year windows)"
        )

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON."""
        return {
            "entries": list(self.entries),
            "leaving": list(self.leaving),
            "mix": {g: list(v) for g, v in self.mix.items()},
            "correlation": self.correlation,
            "window": self.window,
            "geo_level": self.geo_level,
            "up_to": self.up_to,
            "n": self.n,
            "source": self.source,
        }


def _series(
    con: duckdb.DuckDBPyConnection, indicators: tuple[str, ...], geo_level: str, up_to: int
) -> dict[str, dict[str, dict[int, float]]]:
    rows = con.execute(
        "SELECT indicator, geo_code, year, value FROM observation WHERE geo_level = ? "
        "AND indicator IN (SELECT unnest(?::VARCHAR[])) AND year <= ? AND value IS NOT NULL",
        [geo_level, list(indicators), up_to],
    ).fetchall()
    out: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for ind, geo, year, value in rows:
        v = float(value)
        if math.isfinite(v):
            out[str(ind)][str(geo)][int(year)] = v
    return out


def _monotone(values: list[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in np.maximum.accumulate(np.maximum(values, 0.0)))


def _mean_square(pairs: list[tuple[float, float]]) -> float:
    # Mean of r² less mean sampling variance; nan when there is nothing to measure.
    if not pairs:
        return float("nan")
    r2, sv = np.array(pairs).T
    return float(np.mean(r2) - np.mean(sv))


def estimate_drift(
    con: duckdb.DuckDBPyConnection, up_to: int, *, window: int = 2, geo_level: str = "la"
) -> Drift:
    """Drift variances from the published series up to ``up_to`` (see the module text).

    Horizons with nothing to measure (too few years) take the last horizon measured;
    with nothing at all every variance is 0 and ``n`` says so.
    """
    pct = tuple(sorted({i for v in MIX_SOURCE.values() for i in v}))
    data = _series(con, ("lac_at31", "lac_starts", "lac_ceased", *pct), geo_level, up_to)
    at31, starts, ceased = data["lac_at31"], data["lac_starts"], data["lac_ceased"]
    ent: dict[int, list[tuple[float, float]]] = defaultdict(list)
    lev: dict[int, list[tuple[float, float]]] = defaultdict(list)
    mix: dict[str, dict[int, list[tuple[float, float]]]] = {g: defaultdict(list) for g in GROUPS}
    both: list[tuple[float, float]] = []  # (entries r, leaving r), one year ahead
    for geo, s in starts.items():
        a, c = at31.get(geo, {}), ceased.get(geo, {})
        q = {
            y: (c[y] / (a[y - 1] + s[y]), a[y - 1] + s[y])
            for y in s
            if y in c and y - 1 in a and a[y - 1] + s[y] > 0 and c[y] > 0
        }
        shares: dict[str, dict[int, float]] = {}
        for g, inds in MIX_SOURCE.items():
            got = [data[i].get(geo, {}) for i in inds]
            years = set.intersection(*(set(x) for x in got)) if got else set()
            shares[g] = {y: sum(x[y] for x in got) / 100 for y in years}
        for o in sorted(s):
            win = list(range(o - window + 1, o + 1))
            for k in range(1, _HORIZONS + 1):
                t = o + k
                if all(y in s for y in win) and t in s and s[t] > 0:
                    m = float(np.mean([s[y] for y in win]))
                    if m > 0:
                        ent[k].append((math.log(s[t] / m) ** 2, 1 / s[t] + 1 / (m * window)))
                if all(y in q for y in win) and t in q:
                    m = float(np.mean([q[y][0] for y in win]))
                    n_win = sum(q[y][1] for y in win)
                    qt, nt = q[t]
                    sv = (1 - qt) / (qt * nt) + (1 - m) / (m * n_win)
                    lev[k].append((math.log(qt / m) ** 2, sv))
                    if k == 1 and all(y in s for y in win) and s[t] > 0:
                        ms = float(np.mean([s[y] for y in win]))
                        both.append((math.log(s[t] / ms), math.log(qt / m)))
                for g in GROUPS:
                    p = shares[g]
                    if not (all(y in p for y in win) and t in p and t in a):
                        continue
                    m = float(np.mean([p[y] for y in win]))
                    n_win = sum(a.get(y, 0.0) for y in win)
                    if p[t] <= 0 or m * n_win / window < MIN_MIX_CHILDREN:
                        continue
                    # Binomial sampling, and rounding to a whole per cent (var 1/12 %²)
                    # of each published share added up into the group.
                    rnd = len(MIX_SOURCE[g]) * (0.01**2 / 12)
                    sv = (1 - p[t]) / (p[t] * a[t]) + rnd / p[t] ** 2
                    sv += (1 - m) / (m * n_win) + rnd / (window * m**2)
                    mix[g][k].append((math.log(p[t] / m) ** 2, sv))

    def fill(by_k: dict[int, list[tuple[float, float]]]) -> tuple[float, ...]:
        vals: list[float] = []
        for k in range(1, _HORIZONS + 1):
            v = _mean_square(by_k.get(k, []))
            vals.append(v if math.isfinite(v) else (vals[-1] if vals else 0.0))
        return _monotone(vals)

    rho = 0.0
    if len(both) >= 2:
        re, rq = np.array(both).T
        denom = math.sqrt(float(np.mean(re**2) * np.mean(rq**2)))
        rho = float(np.clip(np.mean(re * rq) / denom, -1, 1)) if denom > 0 else 0.0
    n = {"entries": len(ent.get(1, [])), "leaving": len(lev.get(1, []))}
    n |= {g: len(mix[g].get(1, [])) for g in GROUPS}
    return Drift(
        entries=fill(ent),
        leaving=fill(lev),
        mix={g: fill(mix[g]) for g in GROUPS},
        correlation=rho,
        window=window,
        geo_level=geo_level,
        up_to=up_to,
        n=n,
    )


@dataclass(frozen=True)
class DriftDraws:
    """One replicate's log factors per forecast year: entries and leaving ``(years,)``,
    mix ``(years, groups)``."""

    entries: np.ndarray
    leaving: np.ndarray
    mix: np.ndarray


def walk(v: tuple[float, ...], normal: np.ndarray) -> np.ndarray:
    """A random walk with variance ``v[k]`` at step *k* from standard normals
    ``normal`` (last axis: steps)."""
    horizon = normal.shape[-1]
    steps = np.sqrt(np.diff(np.array([0.0, *v[:horizon]])))
    return np.cumsum(normal * steps, axis=-1)


def correlated_normals(
    rho: float, size: tuple[int, ...], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays of standard normals with correlation ``rho``."""
    a = rng.standard_normal(size)
    b = rho * a + math.sqrt(max(0.0, 1 - rho**2)) * rng.standard_normal(size)
    return a, b


def draw_drift(drift: Drift | None, horizon: int, rng: np.random.Generator) -> DriftDraws:
    """Random-walk log factors for one replicate (all zero without ``drift``)."""
    if drift is None:
        zero = np.zeros(horizon)
        return DriftDraws(zero, zero.copy(), np.zeros((horizon, len(GROUPS))))
    ze, zq = correlated_normals(drift.correlation, (horizon,), rng)
    entries, leaving = walk(drift.entries, ze), walk(drift.leaving, zq)
    mix = np.stack([walk(drift.mix[g], rng.standard_normal(horizon)) for g in GROUPS], axis=1)
    return DriftDraws(entries, leaving, mix)
