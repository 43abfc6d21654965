"""Sufficiency of care places and the cost of care, for an authority, a region or England.

Trends
------
Five published series, each as the catalogue declares it (publisher's years and
symbols kept): the share of children looked after in children's homes or secure units
(``lac_childrens_homes_pct``), placed more than 20 miles from home outside the authority
(``lac_placed_over_20_miles_pct``), the share of approved in-house foster places filled
(``foster_places_filled_pct``), the residential care weekly unit cost
(``unit_cost_residential_weekly``), and gross spend on children looked after
(``spend_lac_gross``) beside the children looked after on 31 March (``lac_at31``).

Price versus volume
-------------------
Gross spend ``S`` = children looked after ``N`` (on 31 March at the end of the
financial year, the denominator of ``spend_per_looked_after_child``) × spend per child
``P = S / N``. Between years 0 and T the change is split by the additive logarithmic
mean Divisia index (LMDI-I, Ang 2004):

``ΔS = S_T − S_0 = L(S_T, S_0) · ln(N_T / N_0) + L(S_T, S_0) · ln(P_T / P_0)``

with ``L(a, b) = (a − b) / (ln a − ln b)`` (``= a`` when ``a = b``). Because
``ln(S_T/S_0) = ln(N_T/N_0) + ln(P_T/P_0)`` exactly, the volume effect (more or fewer
children) and the price effect (cost per child) add up exactly to the change in spend,
with no residual. The same is done for each pair of consecutive years (``steps``);
the steps' effects add up to the year-on-year changes. All figures are cash terms:
the price effect includes general inflation. The volume is a stock on one day, not
the days of care bought in the year, so a change in how long children stay moves the
price effect.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass

import duckdb

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.errors import InputError
from cscwatch.indicators.authorities import resolve_authority

__all__ = [
    "ENGLAND",
    "TREND_INDICATORS",
    "CostDecomposition",
    "CostStep",
    "PlaceSufficiency",
    "RegionRow",
    "TrendPoint",
    "decompose_cost",
    "lmdi",
    "national_picture",
    "sufficiency",
]

ENGLAND = "E92000001"
SPEND = "spend_lac_gross"
CHILDREN = "lac_at31"
#: The sufficiency trends, in the order shown.
TREND_INDICATORS: tuple[str, ...] = (
    "lac_childrens_homes_pct",
    "lac_placed_over_20_miles_pct",
    "foster_places_filled_pct",
    "unit_cost_residential_weekly",
    "spend_per_looked_after_child",
    SPEND,
    CHILDREN,
)


def lmdi(s0: float, s1: float, n0: float, n1: float) -> tuple[float, float]:
    """Volume and price effects of a change in spend from ``s0`` to ``s1`` while the
    children rose from ``n0`` to ``n1`` (LMDI-I; see the module docstring).

    Raises
    ------
    InputError
        A figure is not positive (the logarithms are undefined).
    """
    if min(s0, s1, n0, n1) <= 0:
        raise InputError("the price-volume split needs positive spend and children")
    weight = s1 if s1 == s0 else (s1 - s0) / (math.log(s1) - math.log(s0))
    volume = weight * math.log(n1 / n0)
    p0, p1 = s0 / n0, s1 / n1
    return volume, weight * math.log(p1 / p0)


@dataclass(frozen=True)
class TrendPoint:
    """One year of one trend: the value as published, or ``None`` with the symbol."""

    indicator: str
    year: int
    period_label: str
    value: float | None
    status: str | None


@dataclass(frozen=True)
class CostStep:
    """The change in gross looked-after spend between two years, split exactly into a
    volume effect (children) and a price effect (spend per child), £ cash terms."""

    year_from: int
    year_to: int
    spend_from: float
    spend_to: float
    children_from: float
    children_to: float
    change: float
    volume_effect: float
    price_effect: float


@dataclass(frozen=True)
class CostDecomposition:
    """The whole period's split (``total``) and each year's (``steps``)."""

    geo_code: str
    total: CostStep
    steps: tuple[CostStep, ...]
    method: str = "LMDI-I (additive logarithmic mean Divisia index); exact, no residual"

    @property
    def volume_share(self) -> float | None:
        """The volume effect as a share of the change (``None`` when spend did not move)."""
        t = self.total
        return t.volume_effect / t.change if t.change else None


@dataclass(frozen=True)
class PlaceSufficiency:
    """The sufficiency view of one place (read-only)."""

    geo_level: str
    geo_code: str
    name: str
    trends: tuple[TrendPoint, ...]
    decomposition: CostDecomposition | None
    data_to: str

    def series(self, indicator: str) -> tuple[TrendPoint, ...]:
        """One trend's points in year order."""
        return tuple(p for p in self.trends if p.indicator == indicator)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict."""
        out = asdict(self)
        if self.decomposition is not None:
            out["decomposition"]["volume_share"] = self.decomposition.volume_share
        return out

    @property
    def summary(self) -> str:
        """The decomposition in words."""
        d = self.decomposition
        if d is None:
            return f"{self.name}: no year with both spend and children published"
        t = d.total
        return (
            f"{self.name}: gross looked-after spend {CATALOGUE[SPEND].year_label(t.year_from)}"
            f" £{t.spend_from / 1e6:,.1f}m to {CATALOGUE[SPEND].year_label(t.year_to)} "
            f"£{t.spend_to / 1e6:,.1f}m (cash): £{t.volume_effect / 1e6:,.1f}m from more "
            f"children, £{t.price_effect / 1e6:,.1f}m from spend per child ({d.method})"
        )


def _place(con: duckdb.DuckDBPyConnection, text: str | None) -> tuple[str, str, str]:
    """(geo_level, geo_code, name) of England, a region (name or GSS code) or an
    authority (anything :func:`resolve_authority` accepts)."""
    if text is None or text.strip().lower() in ("england", ENGLAND.lower()):
        return "national", ENGLAND, "England"
    t = text.strip().lower()
    row = con.execute(
        "SELECT DISTINCT region_code, region_name FROM authority "
        "WHERE lower(region_code) = ? OR lower(region_name) = ?",
        [t, t],
    ).fetchone()
    if row is not None:
        return "regional", str(row[0]), str(row[1])
    a = resolve_authority(con, text)
    return "la", a.la_code, a.name


def _values(
    con: duckdb.DuckDBPyConnection, geo_code: str, indicators: tuple[str, ...]
) -> list[tuple[str, int, float | None, str | None]]:
    rows = con.execute(
        "SELECT indicator, year, value, status FROM observation WHERE geo_code = ? "
        "AND indicator IN (SELECT unnest(?)) AND method <> 'shared' ORDER BY indicator, year",
        [geo_code, list(indicators)],
    ).fetchall()
    return [(str(i), int(y), v, s) for i, y, v, s in rows]


def decompose_cost(con: duckdb.DuckDBPyConnection, geo_code: str) -> CostDecomposition | None:
    """The price-volume split of one place's gross looked-after spend over the years
    with both spend and children published (``None`` with fewer than two such years)."""
    vals = _values(con, geo_code, (SPEND, CHILDREN))
    spend = {y: v for i, y, v, _ in vals if i == SPEND and v is not None and v > 0}
    kids = {y: v for i, y, v, _ in vals if i == CHILDREN and v is not None and v > 0}
    years = sorted(set(spend) & set(kids))
    if len(years) < 2:
        return None

    def step(a: int, b: int) -> CostStep:
        vol, price = lmdi(spend[a], spend[b], kids[a], kids[b])
        return CostStep(a, b, spend[a], spend[b], kids[a], kids[b], spend[b] - spend[a], vol, price)

    steps = tuple(step(a, b) for a, b in itertools.pairwise(years) if b == a + 1)
    return CostDecomposition(geo_code, step(years[0], years[-1]), steps)


def sufficiency(con: duckdb.DuckDBPyConnection, place: str | None = None) -> PlaceSufficiency:
    """The sufficiency view of England (default), a region or an authority.

    Raises
    ------
    UnknownAuthorityError
        ``place`` is neither England, a region nor an authority.
    """
    level, code, name = _place(con, place)
    trends = tuple(
        TrendPoint(i, y, CATALOGUE[i].year_label(y), v, s)
        for i, y, v, s in _values(con, code, TREND_INDICATORS)
    )
    known = [p.year for p in trends if p.value is not None and p.indicator == SPEND]
    data_to = CATALOGUE[SPEND].year_label(max(known)) if known else ""
    return PlaceSufficiency(level, code, name, trends, decompose_cost(con, code), data_to)


@dataclass(frozen=True)
class RegionRow:
    """One region's (or England's) latest sufficiency figures and cost split."""

    geo_code: str
    name: str
    values: tuple[tuple[str, int | None, float | None], ...]
    decomposition: CostDecomposition | None


def national_picture(con: duckdb.DuckDBPyConnection) -> tuple[RegionRow, ...]:
    """England then every region: each trend's latest published value and the
    price-volume split over the years published."""
    regions = con.execute(
        "SELECT DISTINCT region_code, region_name FROM authority "
        "WHERE region_code IS NOT NULL ORDER BY region_name"
    ).fetchall()
    out = []
    for code, name in [(ENGLAND, "England"), *regions]:
        vals = _values(con, str(code), TREND_INDICATORS)
        latest: list[tuple[str, int | None, float | None]] = []
        for ind in TREND_INDICATORS:
            pts = [(y, v) for i, y, v, _ in vals if i == ind and v is not None]
            latest.append((ind, *pts[-1]) if pts else (ind, None, None))
        out.append(RegionRow(str(code), str(name), tuple(latest), decompose_cost(con, str(code))))
    return tuple(out)
