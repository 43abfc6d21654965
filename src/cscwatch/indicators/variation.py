"""Variation of one indicator across authorities in one year, and its funnel plot.

Every figure with a count denominator is flagged against England's value of the same
year (see ``docs/methods/benchmarking.md`` and :mod:`cscwatch.indicators.flags`):

* **default limits** allow for the variation between authorities (Spiegelhalter 2005,
  additive random effects with a DerSimonian–Laird ``τ²`` from z-scores winsorised at
  the 10th and 90th percentiles). Rates per 10,000 are modelled on the log scale
  (``r0 · exp(± z · sqrt(1/E + τ²))`` with ``E = r0 · n / 10000`` the expected count),
  percentages on their own scale (``p0 ± z · sqrt(p0 (1 − p0) / n + τ²)``);
* **chance limits** are the plain normal approximation to the binomial or Poisson:
  ``p0 ± z · sqrt(p0 (1 − p0) / n)`` and ``r0 ± z · sqrt(r0 · 10000 / n)``;

with ``z = 1.96`` (95%) and ``z = 3.09`` (99.8%). The flag (``higher``, ``lower``,
``within``) uses the 99.8% limits; ``approximate`` is set where the expected count is
under 10, ``small_denominator`` where a percentage has fewer than 30 children behind
it or the authority is City of London or the Isles of Scilly. :func:`variation` gives
the spread (a joint return counted once, named "A / B") with the flag counts;
:func:`funnel` every authority's point and the limit curves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb

from cscwatch.core.catalogue import CATALOGUE, get_indicator
from cscwatch.core.records import plain
from cscwatch.indicators.benchmarking import FunnelLimits, as_float, check_year
from cscwatch.indicators.flags import OutlierFlag, make_flag

__all__ = [
    "Z95",
    "Z998",
    "Extreme",
    "FunnelPlot",
    "FunnelPoint",
    "OutlierView",
    "Variation",
    "VariationView",
    "funnel",
    "variation",
]

Z95 = 1.959963984540054
Z998 = 3.090232306167813
ENGLAND = "E92000001"


@dataclass(frozen=True)
class Variation:
    """Spread of one indicator across authorities in one year.

    A joint return counts once (named "A / B"). ``flag_counts`` and
    ``chance_flag_counts`` count the authorities on the funnel plot by flag (default
    and chance limits; ``None`` where the indicator has no count denominator) and
    ``outliers`` lists those flagged by the default limits.
    """

    indicator: str
    year: int
    n: int
    min_value: float | None
    min_authority: str | None
    max_value: float | None
    max_authority: str | None
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    england: float | None
    include_small: bool
    ratio_max_min: float | None
    flag_counts: dict[str, int] | None = None
    chance_flag_counts: dict[str, int] | None = None
    outliers: tuple[FunnelPoint, ...] = ()

    def view(self, prices: str | None = None) -> VariationView:
        """The spread as ``cscwatch variation`` and the API give it; ``prices`` says what
        £ figures are (cash or real terms), None for other units."""
        return VariationView(
            indicator=self.indicator,
            year=self.year,
            period_label=CATALOGUE[self.indicator].year_label(self.year),
            min=Extreme(self.min_value, self.min_authority),
            max=Extreme(self.max_value, self.max_authority),
            median=self.median,
            q1=self.q1,
            q3=self.q3,
            iqr=self.iqr,
            england=self.england,
            n=self.n,
            include_small=self.include_small,
            ratio_max_min=self.ratio_max_min,
            prices=prices,
            flag_counts=self.flag_counts,
            chance_flag_counts=self.chance_flag_counts,
            outliers=[
                OutlierView(p.la_code, p.name, p.value, p.denominator, p.outlier)
                for p in self.outliers
            ],
        )

    def to_dict(self) -> dict[str, object]:
        """The documented JSON shape of ``cscwatch variation`` (:meth:`view`'s fields)."""
        return self.view().to_dict()


@dataclass(frozen=True)
class Extreme:
    """The highest or lowest authority's value and name ("A / B" for a joint return)."""

    value: float | None
    authority: str | None


@dataclass(frozen=True)
class OutlierView:
    """An authority flagged higher or lower than expected, and its flag."""

    la_code: str
    authority: str
    value: float
    denominator: float
    outlier: OutlierFlag


@dataclass(frozen=True)
class VariationView:
    """Spread of one indicator across authorities in one year (a joint return once).

    ``period_label`` is the publisher's name for ``year``. ``flag_counts`` counts
    authorities by flag against the default limits (which allow for variation between
    authorities), ``chance_flag_counts`` against the plain chance limits; both None
    where the indicator has no count denominator. ``prices`` says what £ figures are
    (cash terms, or real terms and the base year); None for other units.
    """

    indicator: str
    year: int
    period_label: str
    min: Extreme
    max: Extreme
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    england: float | None
    n: int
    include_small: bool
    ratio_max_min: float | None
    prices: str | None
    flag_counts: dict[str, int] | None
    chance_flag_counts: dict[str, int] | None
    outliers: list[OutlierView]

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict, in field order."""
        out: dict[str, object] = plain(self)
        return out


@dataclass(frozen=True)
class FunnelPoint:
    """One authority on a funnel plot, with its flag."""

    la_code: str
    name: str
    value: float
    denominator: float
    outlier: OutlierFlag


@dataclass(frozen=True)
class FunnelPlot:
    """All authorities for one indicator and year, with limit curves.

    ``scale`` is the scale of the default model (``log`` for rates per 10,000,
    ``identity`` for percentages) on which ``tau2`` is measured. City of London and
    the Isles of Scilly are left off the plot (their tiny denominators).
    """

    indicator: str
    year: int
    centre: float
    tau2: float
    scale: str
    points: tuple[FunnelPoint, ...]
    curve: tuple[FunnelLimits, ...]

    def count(self, flag: str, *, chance: bool = False) -> int:
        """How many authorities have this flag (default limits, or ``chance``)."""
        return sum(
            (p.outlier.chance_flag if chance else p.outlier.flag) == flag for p in self.points
        )


# ---------------------------------------------------------------------------
# Funnel arithmetic (the same formulas as the build's SQL in indicators/benchmark_table.py)
# ---------------------------------------------------------------------------


def _variance(kind: str, centre: float, n: float) -> float | None:
    """Sampling variance at the centre for denominator ``n`` (the figure's scale)."""
    if n <= 0:
        return None
    if kind == "percent":
        p = min(max(centre / 100.0, 0.0), 1.0)
        return (p * (1 - p) / n) * 100.0**2
    return max(centre, 0.0) * 10000.0 / n


def _limits(kind: str, centre: float, n: float, tau2: float) -> FunnelLimits | None:
    """Chance and default limits at denominator ``n`` (the build's SQL, in Python)."""
    var = _variance(kind, centre, n)
    if var is None:
        return None
    sd = math.sqrt(var)
    cap = 100.0 if kind == "percent" else math.inf
    if kind == "percent":
        od = math.sqrt(var + tau2)

        def lo(z: float) -> float:
            return max(0.0, centre - z * od)

        def hi(z: float) -> float:
            return min(cap, centre + z * od)
    else:
        # log scale: the sampling variance of log(rate) is 1 / expected count
        expected = centre * n / 10000.0
        od = math.sqrt(1.0 / expected + tau2) if expected > 0 else math.inf

        def lo(z: float) -> float:
            return centre * math.exp(-z * od)

        def hi(z: float) -> float:
            return centre * math.exp(z * od)

    return FunnelLimits(
        denominator=n,
        centre=centre,
        lower95=max(0.0, centre - Z95 * sd),
        upper95=min(cap, centre + Z95 * sd),
        lower998=max(0.0, centre - Z998 * sd),
        upper998=min(cap, centre + Z998 * sd),
        lower998_od=lo(Z998),
        upper998_od=hi(Z998),
        lower95_od=lo(Z95),
        upper95_od=hi(Z95),
    )


def variation(
    con: duckdb.DuckDBPyConnection,
    indicator_id: str,
    year: int,
    *,
    include_small: bool = False,
) -> Variation:
    """Minimum, maximum, median, quartiles and England's value across authorities.

    Raises
    ------
    UnknownIndicatorError, UnknownYearError
    """
    ind = get_indicator(indicator_id)
    check_year(con, ind, year, provisional=True)
    # One row per service: a joint return once, under both names.
    row = con.execute(
        """
        WITH v AS (
            SELECT b.value, a.name || coalesce(' / ' || (
                       SELECT string_agg(p.name, ' / ' ORDER BY p.la_code) FROM authority p
                       WHERE list_contains(string_split(b.joint_with, ','), p.la_code)), '')
                   AS name
            FROM benchmark b JOIN authority a ON a.la_code = b.la_code
            WHERE b.indicator = ? AND b.year = ? AND b.value IS NOT NULL AND NOT b.provisional
              AND (NOT b.small OR ?) AND (b.rank IS NOT NULL OR b.small)
              AND (b.joint_with IS NULL OR b.la_code < b.joint_with)
        )
        SELECT count(*), min(value), arg_min(name, value ORDER BY value, name),
               max(value), arg_max(name, value ORDER BY value, name),
               median(value), quantile_cont(value, 0.25), quantile_cont(value, 0.75)
        FROM v
        """,
        [ind.id, year, include_small],
    ).fetchone()
    eng = con.execute(
        "SELECT value FROM observation WHERE indicator = ? AND year = ? AND geo_code = ?",
        [ind.id, year, ENGLAND],
    ).fetchone()
    assert row is not None
    n, vmin, amin, vmax, amax, med, q1, q3 = row
    ratio = float(vmax) / float(vmin) if vmin and vmax is not None and vmin > 0 else None
    fp = funnel(con, ind.id, year, points=2)
    counts = chance = None
    outliers: tuple[FunnelPoint, ...] = ()
    if fp is not None:
        words = ("higher", "lower", "within")
        counts = {w: fp.count(w) for w in words}
        chance = {w: fp.count(w, chance=True) for w in words}
        outliers = tuple(
            sorted(
                (p for p in fp.points if p.outlier.flag in ("higher", "lower")),
                key=lambda p: (p.outlier.flag, -p.value, p.name),
            )
        )
    return Variation(
        indicator=ind.id,
        year=year,
        n=int(n),
        min_value=vmin,
        min_authority=amin,
        max_value=vmax,
        max_authority=amax,
        median=med,
        q1=q1,
        q3=q3,
        iqr=None if q1 is None or q3 is None else float(q3) - float(q1),
        england=None if eng is None else eng[0],
        include_small=include_small,
        ratio_max_min=ratio,
        flag_counts=counts,
        chance_flag_counts=chance,
        outliers=outliers,
    )


def funnel(
    con: duckdb.DuckDBPyConnection, indicator_id: str, year: int, *, points: int = 60
) -> FunnelPlot | None:
    """Funnel plot for one indicator and year: every authority, its flag, and the limit
    curves (chance and default).

    Returns ``None`` for indicators without a count denominator (published rates and
    scores), where funnel limits do not apply. A joint service is one point, named
    "A / B" (as in :func:`variation`).
    """
    ind = get_indicator(indicator_id)
    check_year(con, ind, year, provisional=True)
    rows = con.execute(
        """SELECT b.la_code, a.name || coalesce(' / ' || (
                      SELECT string_agg(p.name, ' / ' ORDER BY p.la_code) FROM authority p
                      WHERE list_contains(string_split(b.joint_with, ','), p.la_code)), ''),
                  b.value, b.denominator, b.flag, b.chance_flag,
                  b.funnel_kind, b.funnel_centre, b.tau2, b.flag_scale, b.lower998_od,
                  b.upper998_od, b.lower998, b.upper998, b.small_denominator, b.approximate
           FROM benchmark b JOIN authority a USING (la_code)
           WHERE b.indicator = ? AND b.year = ? AND b.funnel_kind IS NOT NULL
             AND b.value IS NOT NULL AND NOT b.small AND NOT b.provisional
             AND b.rank IS NOT NULL
             AND b.lower95 IS NOT NULL
             AND (b.joint_with IS NULL OR b.la_code < b.joint_with)
           ORDER BY b.la_code""",
        [ind.id, year],
    ).fetchall()
    if not rows:
        return None
    kind, centre, tau2 = str(rows[0][6]), float(rows[0][7]), float(rows[0][8])
    pts = tuple(
        FunnelPoint(
            str(r[0]),
            str(r[1]),
            float(r[2]),
            float(r[3]),
            make_flag(
                kind=kind,
                polarity=ind.polarity,
                year=year,
                value=float(r[2]),
                centre=centre,
                denominator=float(r[3]),
                lower=as_float(r[10]),
                upper=as_float(r[11]),
                flag=None if r[4] is None else str(r[4]),
                chance_lower=as_float(r[12]),
                chance_upper=as_float(r[13]),
                chance_flag=None if r[5] is None else str(r[5]),
                small_denominator=bool(r[14]),
                approximate=bool(r[15]),
                compared_year=ind.year_label(year),
            ),
        )
        for r in rows
    )
    lo = max(1.0, min(p.denominator for p in pts) * 0.8)
    hi = max(p.denominator for p in pts) * 1.1
    curve = []
    for k in range(points):
        n = lo * (hi / lo) ** (k / (points - 1))
        lim = _limits(kind, centre, n, tau2)
        if lim is not None:
            curve.append(lim)
    return FunnelPlot(ind.id, year, centre, tau2, str(rows[0][9]), pts, tuple(curve))
