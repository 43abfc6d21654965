"""Benchmarking an authority against England, its region and statistical neighbours.

Funnel-plot control limits (see ``docs/methods/benchmarking.md``) use the normal
approximation around England's value with the authority's own denominator:

* proportions (percent with a denominator count ``n``):
  ``p0 ± z · sqrt(p0 (1 − p0) / n)``;
* rates per 10,000 (Poisson count over a population ``n``):
  ``r0 ± z · sqrt(r0 · 10000 / n)``;

with ``z = 1.96`` (95%) and ``z = 3.09`` (99.8%). Authorities differ by far more than
sampling alone explains, so an overdispersion-adjusted pair of limits is reported
beside the standard ones: an additive between-authority variance ``τ²`` estimated by
the DerSimonian–Laird method from z-scores winsorised at the 10th and 90th percentiles
(Spiegelhalter 2005). An authority is flagged ``above``/``below`` when outside the
99.8% limits, ``within`` otherwise; ``approximate`` is set where the expected count is
under 10 and the normal approximation is poor.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

import duckdb

from cscwatch.core.errors import UnknownYearError
from cscwatch.indicators.authorities import SMALL_AUTHORITIES, Authority, resolve_authority
from cscwatch.indicators.catalogue import CATALOGUE, Indicator, Polarity, Unit, get_indicator

__all__ = [
    "Benchmark",
    "FunnelLimits",
    "FunnelPlot",
    "FunnelPoint",
    "Profile",
    "Trend",
    "Variation",
    "available_years",
    "benchmark",
    "funnel",
    "profile",
    "series",
    "variation",
]

Z95 = 1.959963984540054
Z998 = 3.090232306167813
ENGLAND = "E92000001"
_SMALL_SQL = ", ".join(f"'{c}'" for c in sorted(SMALL_AUTHORITIES))


@dataclass(frozen=True)
class FunnelLimits:
    """Control limits around England's value for one denominator."""

    denominator: float
    centre: float
    lower95: float
    upper95: float
    lower998: float
    upper998: float
    lower998_od: float | None = None
    upper998_od: float | None = None


@dataclass(frozen=True)
class Trend:
    """Recent values and their direction."""

    years: tuple[int, ...]
    values: tuple[float | None, ...]
    change_1y: float | None
    direction: str  # "up", "down", "flat" or "n/a"
    judgement: str  # "improving", "worsening", "no change", "n/a" (by polarity)


@dataclass(frozen=True)
class Benchmark:
    """One authority, one indicator, one year, against its comparators."""

    indicator: str
    title: str
    unit: str
    polarity: str
    la_code: str
    authority: str
    year: int
    value: float | None
    status: str | None
    england: float | None
    region: float | None
    region_name: str | None
    sn_mean: float | None
    sn_median: float | None
    sn_n: int
    rank: int | None
    n_ranked: int
    quartile: int | None
    quartile_label: str | None
    trend: Trend
    funnel: FunnelLimits | None
    funnel_flag: str | None
    funnel_flag_od: str | None
    approximate: bool = False
    method: str | None = None

    def to_dict(self) -> dict[str, object]:
        """Plain dict (for JSON)."""
        from dataclasses import asdict

        return asdict(self)


@dataclass(frozen=True)
class Profile:
    """Every indicator's benchmark for one authority."""

    authority: Authority
    year: int | None
    benchmarks: tuple[Benchmark, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        """Plain dict (for JSON)."""
        from dataclasses import asdict

        return {
            "authority": asdict(self.authority),
            "year": self.year,
            "benchmarks": [b.to_dict() for b in self.benchmarks],
        }


@dataclass(frozen=True)
class Variation:
    """Spread of one indicator across authorities in one year."""

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

    def to_dict(self) -> dict[str, object]:
        """The documented JSON shape of ``cscwatch variation``."""
        return {
            "indicator": self.indicator,
            "year": self.year,
            "min": {"value": self.min_value, "authority": self.min_authority},
            "max": {"value": self.max_value, "authority": self.max_authority},
            "median": self.median,
            "q1": self.q1,
            "q3": self.q3,
            "iqr": self.iqr,
            "england": self.england,
            "n": self.n,
            "include_small": self.include_small,
            "ratio_max_min": self.ratio_max_min,
        }


@dataclass(frozen=True)
class FunnelPoint:
    """One authority on a funnel plot."""

    la_code: str
    name: str
    value: float
    denominator: float
    flag: str
    flag_od: str | None


@dataclass(frozen=True)
class FunnelPlot:
    """All authorities for one indicator and year, with limit curves."""

    indicator: str
    year: int
    centre: float
    tau2: float
    points: tuple[FunnelPoint, ...]
    curve: tuple[FunnelLimits, ...]


# ---------------------------------------------------------------------------
# Funnel arithmetic
# ---------------------------------------------------------------------------


def _variance(ind: Indicator, centre: float, n: float) -> float | None:
    """Sampling variance of the indicator's value at the centre for denominator n."""
    if n <= 0:
        return None
    if ind.unit is Unit.PERCENT:
        p = min(max(centre / 100.0, 0.0), 1.0)
        return (p * (1 - p) / n) * 100.0**2
    if ind.unit is Unit.PER_10K:
        return max(centre, 0.0) * 10000.0 / n
    return None


def _funnel_supported(ind: Indicator) -> bool:
    d = ind.derivation
    return ind.unit in (Unit.PERCENT, Unit.PER_10K) and d.kind in ("ratio", "rate") and d.scale == 1.0


def _limits(ind: Indicator, centre: float, n: float, tau2: float | None) -> FunnelLimits | None:
    var = _variance(ind, centre, n)
    if var is None:
        return None
    sd = math.sqrt(var)
    lo_floor = 0.0
    hi_cap = 100.0 if ind.unit is Unit.PERCENT else math.inf
    od = None if tau2 is None else math.sqrt(var + tau2)
    return FunnelLimits(
        denominator=n,
        centre=centre,
        lower95=max(lo_floor, centre - Z95 * sd),
        upper95=min(hi_cap, centre + Z95 * sd),
        lower998=max(lo_floor, centre - Z998 * sd),
        upper998=min(hi_cap, centre + Z998 * sd),
        lower998_od=None if od is None else max(lo_floor, centre - Z998 * od),
        upper998_od=None if od is None else min(hi_cap, centre + Z998 * od),
    )


def _flag(value: float, lo: float | None, hi: float | None) -> str | None:
    if lo is None or hi is None:
        return None
    if value > hi:
        return "above"
    if value < lo:
        return "below"
    return "within"


def _tau2(ind: Indicator, centre: float, pts: list[tuple[float, float]]) -> float:
    """DerSimonian–Laird between-authority variance from winsorised z-scores."""
    zs: list[float] = []
    ws: list[float] = []
    for value, n in pts:
        var = _variance(ind, centre, n)
        if var is None or var <= 0:
            continue
        zs.append((value - centre) / math.sqrt(var))
        ws.append(1.0 / var)
    k = len(zs)
    if k < 10:
        return 0.0
    ordered = sorted(zs)
    lo, hi = ordered[int(0.1 * (k - 1))], ordered[int(math.ceil(0.9 * (k - 1)))]
    wz = [min(max(z, lo), hi) for z in zs]
    phi = sum(z * z for z in wz) / k
    if k * phi <= k - 1:
        return 0.0
    sw = sum(ws)
    sw2 = sum(w * w for w in ws)
    return max(0.0, (k * phi - (k - 1)) / (sw - sw2 / sw))


# ---------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------


def available_years(con: duckdb.DuckDBPyConnection, indicator_id: str) -> list[int]:
    """Years with any authority value for an indicator."""
    rows = con.execute(
        "SELECT DISTINCT year FROM observation WHERE indicator = ? AND geo_level = 'la' "
        "AND value IS NOT NULL ORDER BY year",
        [indicator_id],
    ).fetchall()
    return [int(r[0]) for r in rows]


def _check_year(con: duckdb.DuckDBPyConnection, ind: Indicator, year: int) -> None:
    years = available_years(con, ind.id)
    if year not in years:
        span = f"{years[0]}–{years[-1]}" if years else "none"
        raise UnknownYearError(f"no data for {ind.id} in {year}; years available: {span}")


def _neighbours(con: duckdb.DuckDBPyConnection, la_code: str) -> list[str]:
    rows = con.execute(
        "SELECT neighbour FROM statistical_neighbour WHERE la_code = ? AND model = "
        "(SELECT min(model) FILTER (WHERE model = '2025') FROM statistical_neighbour "
        " WHERE la_code = ?) ORDER BY rank",
        [la_code, la_code],
    ).fetchall()
    if not rows:
        rows = con.execute(
            "SELECT neighbour FROM statistical_neighbour WHERE la_code = ? AND model = '2021' "
            "ORDER BY rank",
            [la_code],
        ).fetchall()
    return [str(r[0]) for r in rows]


_YEAR_STATS_SQL = f"""
WITH la AS (
    SELECT o.indicator, o.year, o.geo_code, o.value, o.denominator
    FROM observation o
    WHERE o.geo_level = 'la' AND o.indicator IN (SELECT unnest($inds))
      AND o.year IN (SELECT unnest($years)) AND o.value IS NOT NULL
      AND (o.geo_code NOT IN ({_SMALL_SQL}) OR $include_small)
)
SELECT indicator, year, geo_code, value, denominator,
       rank() OVER (PARTITION BY indicator, year ORDER BY value DESC) AS rnk,
       count(*) OVER (PARTITION BY indicator, year) AS n,
       quantile_cont(value, 0.25) OVER (PARTITION BY indicator, year) AS q1,
       quantile_cont(value, 0.5) OVER (PARTITION BY indicator, year) AS q2,
       quantile_cont(value, 0.75) OVER (PARTITION BY indicator, year) AS q3
FROM la
"""


def _quartile(value: float, q1: float, q2: float, q3: float) -> int:
    if value <= q1:
        return 1
    if value <= q2:
        return 2
    if value <= q3:
        return 3
    return 4


def _quartile_label(q: int, polarity: str) -> str:
    base = {1: "lowest quarter", 2: "second quarter", 3: "third quarter", 4: "highest quarter"}[q]
    if polarity == Polarity.HIGH_GOOD.value:
        return base + (" (best)" if q == 4 else " (worst)" if q == 1 else "")
    if polarity == Polarity.LOW_GOOD.value:
        return base + (" (best)" if q == 1 else " (worst)" if q == 4 else "")
    return base


def _trend(ind: Indicator, values: dict[int, float | None], year: int) -> Trend:
    years = tuple(y for y in sorted(values) if year - 4 <= y <= year)
    vals = tuple(values[y] for y in years)
    cur, prev = values.get(year), values.get(year - 1)
    if cur is None or prev is None:
        return Trend(years, vals, None, "n/a", "n/a")
    change = cur - prev
    tol = 1e-9 + 0.005 * abs(prev)
    direction = "flat" if abs(change) <= tol else ("up" if change > 0 else "down")
    if direction == "flat":
        judgement = "no change"
    elif ind.polarity is Polarity.NEUTRAL:
        judgement = "n/a"
    else:
        good = (direction == "up") == (ind.polarity is Polarity.HIGH_GOOD)
        judgement = "improving" if good else "worsening"
    return Trend(years, vals, change, direction, judgement)


def _benchmarks(
    con: duckdb.DuckDBPyConnection,
    auth: Authority,
    indicators: list[Indicator],
    year: int | None,
) -> list[Benchmark]:
    """Benchmarks for several indicators at once (few queries, whatever their number)."""
    ids = [i.id for i in indicators]
    # Values of the authority in every year, to choose the year and draw the trend.
    own: dict[str, dict[int, tuple[float | None, str | None, float | None, str]]] = {}
    for ind_id, y, v, st, den, method in con.execute(
        "SELECT indicator, year, value, status, denominator, method FROM observation "
        "WHERE geo_level = 'la' AND geo_code = ? AND indicator IN (SELECT unnest(?))",
        [auth.la_code, ids],
    ).fetchall():
        own.setdefault(str(ind_id), {})[int(y)] = (v, st, den, str(method))
    chosen: dict[str, int] = {}
    for ind in indicators:
        years = own.get(ind.id, {})
        if year is not None:
            if year in years:
                chosen[ind.id] = year
        else:
            with_value = [y for y, t in years.items() if t[0] is not None]
            if with_value:
                chosen[ind.id] = max(with_value)
            elif years:
                chosen[ind.id] = max(years)
    if not chosen:
        return []
    yrs = sorted(set(chosen.values()))
    stats: dict[tuple[str, int], list[tuple[str, float, float | None, int, int, float, float, float]]]
    stats = {}
    for ind_id, y, code, v, den, rnk, n, q1, q2, q3 in con.execute(
        _YEAR_STATS_SQL, {"inds": ids, "years": yrs, "include_small": False}
    ).fetchall():
        stats.setdefault((str(ind_id), int(y)), []).append(
            (str(code), float(v), den, int(rnk), int(n), float(q1), float(q2), float(q3))
        )
    comp: dict[tuple[str, int, str], float | None] = {}
    region = auth.region_code or ""
    for ind_id, y, code, v in con.execute(
        "SELECT indicator, year, geo_code, value FROM observation WHERE geo_level <> 'la' "
        "AND geo_code IN (?, ?) AND indicator IN (SELECT unnest(?)) "
        "AND year IN (SELECT unnest(?))",
        [ENGLAND, region, ids, yrs],
    ).fetchall():
        comp[(str(ind_id), int(y), str(code))] = v
    neighbours = set(_neighbours(con, auth.la_code))
    out: list[Benchmark] = []
    for ind in indicators:
        if ind.id not in chosen:
            continue
        y = chosen[ind.id]
        value, status, den, method = own[ind.id][y]
        rows = stats.get((ind.id, y), [])
        mine = next((r for r in rows if r[0] == auth.la_code), None)
        sn_vals = [r[1] for r in rows if r[0] in neighbours]
        england = comp.get((ind.id, y, ENGLAND))
        reg = comp.get((ind.id, y, region))
        quartile = None
        if mine is not None and value is not None:
            quartile = _quartile(value, mine[5], mine[6], mine[7])
        limits = flag = flag_od = None
        approximate = False
        if _funnel_supported(ind) and england is not None and den and value is not None:
            pts = [(r[1], float(r[2])) for r in rows if r[2]]
            tau2 = _tau2(ind, england, pts)
            limits = _limits(ind, england, float(den), tau2)
            if limits is not None:
                flag = _flag(value, limits.lower998, limits.upper998)
                flag_od = _flag(value, limits.lower998_od, limits.upper998_od)
                expected = (
                    england / 100.0 * float(den)
                    if ind.unit is Unit.PERCENT
                    else england * float(den) / 10000.0
                )
                approximate = expected < 10
        trend_values = {yy: t[0] for yy, t in own[ind.id].items()}
        out.append(
            Benchmark(
                indicator=ind.id,
                title=ind.title,
                unit=ind.unit.value,
                polarity=ind.polarity.value,
                la_code=auth.la_code,
                authority=auth.name,
                year=y,
                value=value,
                status=status,
                england=england,
                region=reg,
                region_name=auth.region_name,
                sn_mean=statistics.fmean(sn_vals) if sn_vals else None,
                sn_median=statistics.median(sn_vals) if sn_vals else None,
                sn_n=len(sn_vals),
                rank=mine[3] if mine else None,
                n_ranked=mine[4] if mine else len(rows),
                quartile=quartile,
                quartile_label=(
                    _quartile_label(quartile, ind.polarity.value) if quartile else None
                ),
                trend=_trend(ind, trend_values, y),
                funnel=limits,
                funnel_flag=flag,
                funnel_flag_od=flag_od,
                approximate=approximate,
                method=method,
            )
        )
    return out


def benchmark(
    con: duckdb.DuckDBPyConnection, authority: str, indicator_id: str, year: int
) -> Benchmark:
    """Benchmark one authority on one indicator in one year.

    Rank 1 is the highest value (ties share the lowest rank); quartile 1 holds the
    lowest values. City of London and the Isles of Scilly are not ranked.

    Raises
    ------
    UnknownAuthorityError, UnknownIndicatorError, UnknownYearError
    """
    ind = get_indicator(indicator_id)
    auth = resolve_authority(con, authority)
    _check_year(con, ind, year)
    found = _benchmarks(con, auth, [ind], year)
    if not found:
        raise UnknownYearError(f"{auth.name} has no {ind.id} figure for {year}")
    return found[0]


def profile(
    con: duckdb.DuckDBPyConnection, authority: str, year: int | None = None
) -> Profile:
    """Every catalogue indicator for one authority (latest year with data by default).

    Raises
    ------
    UnknownAuthorityError, UnknownYearError
    """
    auth = resolve_authority(con, authority)
    benches = _benchmarks(con, auth, list(CATALOGUE.values()), year)
    if year is not None and not benches:
        raise UnknownYearError(f"{auth.name} has no figures for {year}")
    return Profile(auth, year, tuple(benches))


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
    _check_year(con, ind, year)
    row = con.execute(
        f"""
        SELECT count(*), min(o.value), arg_min(a.name, o.value ORDER BY o.value, a.name),
               max(o.value), arg_max(a.name, o.value ORDER BY o.value, a.name),
               median(o.value), quantile_cont(o.value, 0.25), quantile_cont(o.value, 0.75)
        FROM observation o JOIN authority a ON a.la_code = o.geo_code
        WHERE o.indicator = ? AND o.year = ? AND o.geo_level = 'la' AND o.value IS NOT NULL
          AND (o.geo_code NOT IN ({_SMALL_SQL}) OR ?)
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
    )


def funnel(
    con: duckdb.DuckDBPyConnection, indicator_id: str, year: int, *, points: int = 60
) -> FunnelPlot | None:
    """Funnel plot for one indicator and year: every authority and the limit curves.

    Returns ``None`` for indicators without a denominator (published rates and scores).
    """
    ind = get_indicator(indicator_id)
    _check_year(con, ind, year)
    if not _funnel_supported(ind):
        return None
    eng = con.execute(
        "SELECT value FROM observation WHERE indicator = ? AND year = ? AND geo_code = ?",
        [ind.id, year, ENGLAND],
    ).fetchone()
    if eng is None or eng[0] is None:
        return None
    centre = float(eng[0])
    rows = con.execute(
        f"""SELECT o.geo_code, a.name, o.value, o.denominator FROM observation o
        JOIN authority a ON a.la_code = o.geo_code
        WHERE o.indicator = ? AND o.year = ? AND o.geo_level = 'la' AND o.value IS NOT NULL
          AND o.denominator > 0 AND o.geo_code NOT IN ({_SMALL_SQL})
        ORDER BY o.geo_code""",
        [ind.id, year],
    ).fetchall()
    tau2 = _tau2(ind, centre, [(float(r[2]), float(r[3])) for r in rows])
    pts: list[FunnelPoint] = []
    for code, name, value, den in rows:
        lim = _limits(ind, centre, float(den), tau2)
        assert lim is not None
        pts.append(
            FunnelPoint(
                str(code),
                str(name),
                float(value),
                float(den),
                _flag(float(value), lim.lower998, lim.upper998) or "within",
                _flag(float(value), lim.lower998_od, lim.upper998_od),
            )
        )
    if not pts:
        return None
    lo = max(1.0, min(p.denominator for p in pts) * 0.8)
    hi = max(p.denominator for p in pts) * 1.1
    curve = []
    for k in range(points):
        n = lo * (hi / lo) ** (k / (points - 1))
        lim = _limits(ind, centre, n, tau2)
        if lim is not None:
            curve.append(lim)
    return FunnelPlot(ind.id, year, centre, tau2, tuple(pts), tuple(curve))


def series(
    con: duckdb.DuckDBPyConnection, indicator_id: str, authority: str
) -> list[dict[str, object]]:
    """Time series: the authority, its statistical-neighbour mean, region and England.

    One dict per year: ``year``, ``authority``, ``status``, ``sn_mean``, ``region``,
    ``england``.
    """
    ind = get_indicator(indicator_id)
    auth = resolve_authority(con, authority)
    sn = _neighbours(con, auth.la_code)
    rows = con.execute(
        """
        SELECT year,
               max(value) FILTER (WHERE geo_level = 'la' AND geo_code = $la),
               max(status) FILTER (WHERE geo_level = 'la' AND geo_code = $la),
               avg(value) FILTER (WHERE geo_level = 'la' AND geo_code IN (SELECT unnest($sn))),
               max(value) FILTER (WHERE geo_level = 'regional' AND geo_code = $region),
               max(value) FILTER (WHERE geo_level = 'national')
        FROM observation WHERE indicator = $ind GROUP BY year ORDER BY year
        """,
        {"la": auth.la_code, "sn": sn, "region": auth.region_code or "", "ind": ind.id},
    ).fetchall()
    return [
        {
            "year": int(r[0]),
            "authority": r[1],
            "status": r[2],
            "sn_mean": r[3],
            "region": r[4],
            "england": r[5],
        }
        for r in rows
    ]
