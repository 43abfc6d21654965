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
from dataclasses import dataclass, field

import duckdb

from cscwatch.core.errors import UnknownYearError
from cscwatch.indicators.authorities import SMALL_AUTHORITIES, Authority, resolve_authority
from cscwatch.indicators.catalogue import CATALOGUE, Indicator, Polarity, get_indicator

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
    """One authority, one indicator, one year, against its comparators.

    ``provisional`` marks a value from the authority's own return (not published);
    it is compared with the published figures of ``reference_year`` (its own year, or
    the latest published year before it).
    """

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
    provisional: bool = False
    reference_year: int | None = None

    @property
    def period_label(self) -> str:
        """The publisher's name for ``year`` (``30 September 2025``, ``2024-25``)."""
        return CATALOGUE[self.indicator].year_label(self.year)

    def to_dict(self) -> dict[str, object]:
        """Plain dict (for JSON), with ``period_label`` beside ``year``."""
        from dataclasses import asdict

        return {**asdict(self), "period_label": self.period_label}


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
            "period_label": CATALOGUE[self.indicator].year_label(self.year),
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
# Funnel arithmetic (the same formulas as the build's SQL in store/benchmarks.py)
# ---------------------------------------------------------------------------


def _variance(kind: str, centre: float, n: float) -> float | None:
    """Sampling variance at the centre for denominator ``n``."""
    if n <= 0:
        return None
    if kind == "percent":
        p = min(max(centre / 100.0, 0.0), 1.0)
        return (p * (1 - p) / n) * 100.0**2
    return max(centre, 0.0) * 10000.0 / n


def _limits(kind: str, centre: float, n: float, tau2: float) -> FunnelLimits | None:
    var = _variance(kind, centre, n)
    if var is None:
        return None
    sd, od = math.sqrt(var), math.sqrt(var + tau2)
    cap = 100.0 if kind == "percent" else math.inf
    return FunnelLimits(
        denominator=n,
        centre=centre,
        lower95=max(0.0, centre - Z95 * sd),
        upper95=min(cap, centre + Z95 * sd),
        lower998=max(0.0, centre - Z998 * sd),
        upper998=min(cap, centre + Z998 * sd),
        lower998_od=max(0.0, centre - Z998 * od),
        upper998_od=min(cap, centre + Z998 * od),
    )


# ---------------------------------------------------------------------------
# Queries (read the ``benchmark`` table built by store/benchmarks.py)
# ---------------------------------------------------------------------------


def available_years(
    con: duckdb.DuckDBPyConnection, indicator_id: str, *, provisional: bool = False
) -> list[int]:
    """Years with any published authority value for an indicator.

    ``provisional=True`` also counts years with only an authority's own return
    (provisional rows), so the default year of a table or page stays the publisher's.
    """
    rows = con.execute(
        "SELECT DISTINCT year FROM observation WHERE indicator = ? AND geo_level = 'la' "
        "AND value IS NOT NULL AND (? OR NOT provisional) ORDER BY year",
        [indicator_id, provisional],
    ).fetchall()
    return [int(r[0]) for r in rows]


def _check_year(con: duckdb.DuckDBPyConnection, ind: Indicator, year: int) -> None:
    years = available_years(con, ind.id, provisional=True)
    if year not in years:
        span = f"{years[0]}–{years[-1]}" if years else "none"
        raise UnknownYearError(f"no data for {ind.id} in {year}; years available: {span}")


def _neighbours(con: duckdb.DuckDBPyConnection, la_code: str) -> list[str]:
    """The authority's statistical neighbours (2025 model; 2021 groupings for former
    authorities)."""
    rows = con.execute(
        "SELECT neighbour FROM statistical_neighbour s WHERE la_code = ? AND model = "
        "(SELECT max(model) FROM statistical_neighbour t WHERE t.la_code = s.la_code) "
        "ORDER BY rank",
        [la_code],
    ).fetchall()
    return [str(r[0]) for r in rows]


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


_BENCH_COLUMNS = (
    "indicator, year, value, status, method, denominator, england, region, sn_mean, "
    "sn_median, sn_n, rank, n_ranked, quartile, funnel_kind, funnel_centre, lower95, "
    "upper95, lower998, upper998, lower998_od, upper998_od, funnel_flag, funnel_flag_od, "
    "approximate, provisional, reference_year"
)


def _benchmarks(
    con: duckdb.DuckDBPyConnection,
    auth: Authority,
    indicators: list[Indicator],
    year: int | None,
) -> list[Benchmark]:
    """Benchmarks for several indicators at once: one read of the ``benchmark`` table."""
    ids = [i.id for i in indicators]
    rows = con.execute(
        f"SELECT {_BENCH_COLUMNS} FROM benchmark WHERE la_code = ? "
        "AND indicator IN (SELECT unnest(?)) ORDER BY indicator, year",
        [auth.la_code, ids],
    ).fetchall()
    by: dict[str, dict[int, tuple[object, ...]]] = {}
    for r in rows:
        by.setdefault(str(r[0]), {})[int(str(r[1]))] = r
    out: list[Benchmark] = []
    for ind in indicators:
        years = by.get(ind.id)
        if not years:
            continue
        if year is not None:
            if year not in years:
                continue
            y = year
        else:
            with_value = [yy for yy, r in years.items() if r[2] is not None]
            y = max(with_value) if with_value else max(years)
        r = years[y]
        (
            _,
            _,
            value,
            status,
            method,
            den,
            england,
            region,
            sn_mean,
            sn_median,
            sn_n,
            rank,
            n_ranked,
            quartile,
            kind,
            centre,
            lo95,
            hi95,
            lo998,
            hi998,
            lo_od,
            hi_od,
            flag,
            flag_od,
            approximate,
            provisional,
            reference_year,
        ) = r
        limits = None
        if kind is not None and centre is not None and den:
            limits = FunnelLimits(
                float(str(den)),
                float(str(centre)),
                float(str(lo95)),
                float(str(hi95)),
                float(str(lo998)),
                float(str(hi998)),
                None if lo_od is None else float(str(lo_od)),
                None if hi_od is None else float(str(hi_od)),
            )
        q = None if quartile is None else int(str(quartile))
        out.append(
            Benchmark(
                indicator=ind.id,
                title=ind.title,
                unit=ind.unit.value,
                polarity=ind.polarity.value,
                la_code=auth.la_code,
                authority=auth.name,
                year=y,
                value=_f(value),
                status=None if status is None else str(status),
                england=_f(england),
                region=_f(region),
                region_name=auth.region_name,
                sn_mean=_f(sn_mean),
                sn_median=_f(sn_median),
                sn_n=int(str(sn_n)),
                rank=None if rank is None else int(str(rank)),
                n_ranked=0 if n_ranked is None else int(str(n_ranked)),
                quartile=q,
                quartile_label=None if q is None else _quartile_label(q, ind.polarity.value),
                trend=_trend(ind, {yy: _f(rr[2]) for yy, rr in years.items()}, y),
                funnel=limits,
                funnel_flag=None if flag is None else str(flag),
                funnel_flag_od=None if flag_od is None else str(flag_od),
                approximate=bool(approximate),
                method=None if method is None else str(method),
                provisional=bool(provisional),
                reference_year=None if reference_year is None else int(str(reference_year)),
            )
        )
    return out


def _f(v: object) -> float | None:
    return None if v is None else float(str(v)) if not isinstance(v, float) else v


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


def profile(con: duckdb.DuckDBPyConnection, authority: str, year: int | None = None) -> Profile:
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
          AND NOT o.provisional AND (o.geo_code NOT IN ({_SMALL_SQL}) OR ?)
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

    Returns ``None`` for indicators without a count denominator (published rates and
    scores), where funnel limits do not apply.
    """
    ind = get_indicator(indicator_id)
    _check_year(con, ind, year)
    rows = con.execute(
        """SELECT b.la_code, a.name, b.value, b.denominator, b.funnel_flag, b.funnel_flag_od,
                  b.funnel_kind, b.funnel_centre, b.tau2
           FROM benchmark b JOIN authority a USING (la_code)
           WHERE b.indicator = ? AND b.year = ? AND b.funnel_kind IS NOT NULL
             AND b.value IS NOT NULL AND NOT b.small
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
            str(r[4]),
            None if r[5] is None else str(r[5]),
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
    return FunnelPlot(ind.id, year, centre, tau2, pts, tuple(curve))


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
