"""Benchmarking an authority against England, its region and statistical neighbours.

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
it or the authority is City of London or the Isles of Scilly. A joint return (two
authorities, one workforce return) is ranked once and names its partner.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from cscwatch.core.catalogue import CATALOGUE, Indicator, Polarity, get_indicator
from cscwatch.core.errors import UnknownYearError
from cscwatch.core.records import plain
from cscwatch.core.types import parse_period
from cscwatch.indicators.authorities import Authority, resolve_authority
from cscwatch.indicators.flags import OutlierFlag, make_flag

__all__ = [
    "Benchmark",
    "Extreme",
    "FunnelLimits",
    "FunnelPlot",
    "FunnelPoint",
    "OutlierView",
    "Profile",
    "SeriesPoint",
    "Trend",
    "Variation",
    "VariationView",
    "available_years",
    "benchmark",
    "default_year",
    "former_number_rows",
    "former_number_series",
    "funnel",
    "is_restated",
    "profile",
    "profiles",
    "rank_note",
    "series",
    "sn_mark",
    "variation",
]

Z95 = 1.959963984540054
Z998 = 3.090232306167813
ENGLAND = "E92000001"


@dataclass(frozen=True)
class FunnelLimits:
    """Control limits around England's value for one denominator.

    ``lower95``…``upper998`` are the chance limits (sampling variation alone);
    ``lower95_od``…``upper998_od`` the default limits, which allow for the variation
    between authorities.
    """

    denominator: float
    centre: float
    lower95: float
    upper95: float
    lower998: float
    upper998: float
    lower998_od: float | None = None
    upper998_od: float | None = None
    lower95_od: float | None = None
    upper95_od: float | None = None


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
    the latest published year before it). ``outlier`` is the flag against England
    (:class:`~cscwatch.indicators.flags.OutlierFlag`, the same record in every output).
    ``joint_with`` lists the LA numbers of the authorities whose workforce return or
    service this figure shares (a joint return, ranked once as one service; on a former
    authority's figure after it ceased, ``method = 'ceased'``, the successors it is
    given to); ``rank_note`` says in words why a rank needs care (joint return, small
    denominator) or is absent (e.g. a former authority's figure after it ceased).
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
    outlier: OutlierFlag
    method: str | None = None
    provisional: bool = False
    reference_year: int | None = None
    joint_with: tuple[str, ...] = ()
    joint_names: tuple[str, ...] = ()
    rank_note: str | None = None

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


# ---------------------------------------------------------------------------
# Queries (read the ``benchmark`` table built by indicators/benchmark_table.py)
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


def default_year(
    con: duckdb.DuckDBPyConnection, indicator_id: str, year: str | int | None = None
) -> int:
    """The year a view of one indicator shows: ``year`` if given (read as the
    indicator's own period, :func:`~cscwatch.core.types.parse_period`), else the latest
    year with a published authority value (:func:`available_years`; an authority's own
    provisional return never moves it).

    The one place this choice is made: the CLI (``show``, ``variation``), the API
    (benchmark, variation, funnel) and the web pages all call it.

    Raises
    ------
    UnknownIndicatorError
        For an id not in the catalogue.
    UnknownYearError
        When ``year`` is malformed, or the warehouse has no figure for the indicator
        (with the catalogue's reason where it gives one).
    """
    ind = get_indicator(indicator_id)
    if year is not None:
        return parse_period(year, ind.period_kind)
    years = available_years(con, ind.id)
    if not years:
        why = f": {ind.no_data_reason}" if ind.no_data_reason else ""
        raise UnknownYearError(f"no figures for {ind.id}{why}")
    return years[-1]


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
    "upper95, lower998, upper998, lower998_od, upper998_od, lower95_od, upper95_od, flag, "
    "chance_flag, approximate, small_denominator, small, joint_with, provisional, "
    "reference_year"
)


def _names(con: duckdb.DuckDBPyConnection, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = con.execute(
        "SELECT la_code, name FROM authority WHERE la_code IN (SELECT unnest(?))", [sorted(codes)]
    ).fetchall()
    return {str(c): str(n) for c, n in rows}


def sn_mark(mean: float | None, n: int) -> str:
    """`` (n=4)`` after a statistical neighbours' mean taken over fewer than 10 of them
    (the others have no figure that year: suppressed, or not yet or no longer an
    authority), as the CLI, the pages and the print view mark it; empty otherwise."""
    return f" (n={n})" if mean is not None and 0 < n < 10 else ""


def rank_note(
    *,
    rank: int | None,
    value: float | None,
    small_authority: bool,
    small_denominator: bool,
    denominator: float | None,
    joint_names: tuple[str, ...],
    restated: bool = False,
    method: str | None = None,
    former: str | None = None,
) -> str | None:
    """Why a rank needs care, or why there is none, in words (``None``: nothing to say).

    ``restated``: a successor authority's figure for a year its predecessors also have
    figures for, which the build leaves unranked so that the area counts once.
    ``method`` ``'ceased'``: a figure under a former authority's LA number for a year
    after it ceased, not ranked (``joint_names`` then names the successors it belongs
    to, if known); ``'former_number'``: that figure given to its successor (or to the
    successors' joint service), ``former`` naming the former authority."""
    if method == "ceased":
        if len(joint_names) > 1:
            whose = (
                f"it is the figure of {' and '.join(joint_names)}'s joint service, "
                "ranked once as theirs"
            )
        elif joint_names:
            whose = f"it is {joint_names[0]}'s figure, ranked as theirs"
        else:
            whose = "whose figure it is cannot be told from the published data"
        return (
            "not ranked: the authority had ceased by this year; the publisher gives this "
            f"figure under its former LA number, and {whose}"
        )
    if method == "former_number":
        under = (
            f"the LA number of {former}, the former authority"
            if former
            else ("the former authority's LA number")
        )
        if joint_names:
            return (
                f"joint service with {' and '.join(joint_names)}: one figure for both, "
                f"ranked once; the publisher gives it under {under}"
            )
        return f"this authority's figure, which the publisher gives under {under}"
    notes = []
    if joint_names:
        notes.append(
            f"joint return with {' and '.join(joint_names)}: one figure for both, ranked once"
        )
    if small_authority and value is not None:
        notes.append("not ranked: too few children for a stable figure")
    elif restated:
        notes.append(
            "not ranked: the former authorities' figures for this year are ranked; this "
            "one is the publisher's restatement for the new authority's area"
        )
    elif small_denominator and rank is not None:
        den = "" if denominator is None else f" ({denominator:,.0f})"
        notes.append(f"small denominator{den}: the rank is unreliable")
    return "; ".join(notes) or None


def _row_benchmark(
    ind: Indicator,
    auth: Authority,
    r: tuple[object, ...],
    trend: Trend,
    names: dict[str, str],
) -> Benchmark:
    (
        _,
        y,
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
        lo95_od,
        hi95_od,
        flag,
        chance_flag,
        approximate,
        small_den,
        small,
        joint_with,
        provisional,
        reference_year,
    ) = r
    year = int(str(y))
    limits = None
    if kind is not None and centre is not None and den and lo95 is not None:
        limits = FunnelLimits(
            float(str(den)),
            float(str(centre)),
            float(str(lo95)),
            float(str(hi95)),
            float(str(lo998)),
            float(str(hi998)),
            _f(lo_od),
            _f(hi_od),
            _f(lo95_od),
            _f(hi95_od),
        )
    q = None if quartile is None else int(str(quartile))
    ref = None if reference_year is None else int(str(reference_year))
    partners = tuple(str(joint_with).split(",")) if joint_with else ()
    joint_names = tuple(names.get(c, c) for c in partners)
    rk = None if rank is None else int(str(rank))
    meth = None if method is None else str(method)
    outlier = make_flag(
        kind=None if kind is None else str(kind),
        polarity=ind.polarity,
        year=ref if ref is not None else year,
        value=_f(value),
        centre=_f(centre),
        denominator=_f(den),
        lower=_f(lo_od),
        upper=_f(hi_od),
        flag=None if flag is None else str(flag),
        chance_lower=_f(lo998),
        chance_upper=_f(hi998),
        chance_flag=None if chance_flag is None else str(chance_flag),
        small_denominator=bool(small_den),
        approximate=bool(approximate),
        compared_year=(
            f"{ind.year_label(ref)}, the latest published year"
            if provisional and ref is not None and ref != year
            else ind.year_label(year)
        ),
        ceased=meth == "ceased",
    )
    return Benchmark(
        indicator=ind.id,
        title=ind.title,
        unit=ind.unit.value,
        polarity=ind.polarity.value,
        la_code=auth.la_code,
        authority=auth.name,
        year=year,
        value=_f(value),
        status=None if status is None else str(status),
        england=_f(england),
        region=_f(region),
        region_name=auth.region_name,
        sn_mean=_f(sn_mean),
        sn_median=_f(sn_median),
        sn_n=int(str(sn_n)),
        rank=rk,
        n_ranked=0 if n_ranked is None else int(str(n_ranked)),
        quartile=q,
        quartile_label=None if q is None else _quartile_label(q, ind.polarity.value),
        trend=trend,
        funnel=limits,
        outlier=outlier,
        method=meth,
        provisional=bool(provisional),
        reference_year=ref,
        joint_with=partners,
        joint_names=joint_names,
        rank_note=rank_note(
            rank=rk,
            value=_f(value),
            small_authority=bool(small),
            small_denominator=bool(small_den),
            denominator=_f(den),
            joint_names=(
                tuple(f"{n} ({c})" for n, c in zip(joint_names, partners, strict=True))
                if meth == "ceased"
                else joint_names
            ),
            restated=is_restated(rk, _f(value), bool(small), bool(provisional), meth),
            method=meth,
            former=_former_name(auth, names) if meth == "former_number" else None,
        ),
    )


def _former_name(auth: Authority, names: dict[str, str]) -> str | None:
    """The former authority whose LA number the publisher gave this authority's figure
    under (its one predecessor), with that number."""
    if len(auth.predecessors) != 1:
        return None
    code = auth.predecessors[0]
    return f"{names[code]} ({code})" if code in names else None


def is_restated(
    rank: int | None,
    value: float | None,
    small: bool,
    provisional: bool,
    method: str | None = None,
) -> bool:
    """A published figure with a value left unranked by the build although its authority
    is ranked: a successor's restatement of a year its predecessors have figures for
    (``benchmark_table``); the only such rows besides a former authority's figures after
    it ceased (``method = 'ceased'``)."""
    return (
        rank is None and value is not None and not small and not provisional and method != "ceased"
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
    partners = {p for r in rows if r[29] for p in str(r[29]).split(",")}
    return _benchmarks_of(
        auth, indicators, year, rows, _names(con, partners | set(auth.predecessors))
    )


def _benchmarks_of(
    auth: Authority,
    indicators: list[Indicator],
    year: int | None,
    rows: list[tuple[object, ...]],
    names: dict[str, str],
) -> list[Benchmark]:
    """:func:`_benchmarks` from the authority's ``benchmark`` rows (ordered by
    indicator and year) and the names of any joint-return partners."""
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
        trend = _trend(ind, {yy: _f(rr[2]) for yy, rr in years.items()}, y)
        out.append(_row_benchmark(ind, auth, years[y], trend, names))
    return out


def _f(v: object) -> float | None:
    return None if v is None else float(str(v)) if not isinstance(v, float) else v


def benchmark(
    con: duckdb.DuckDBPyConnection, authority: str, indicator_id: str, year: int
) -> Benchmark:
    """Benchmark one authority on one indicator in one year.

    Rank 1 is the highest value (ties share the lowest rank); quartile 1 holds the
    lowest values. City of London and the Isles of Scilly are not ranked; a joint
    workforce return is ranked once and both authorities carry its rank.

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


def profiles(con: duckdb.DuckDBPyConnection, authorities: Sequence[Authority]) -> list[Profile]:
    """The latest-year profile of each of ``authorities`` (as :func:`resolve_authority`
    gives them), from one read of the ``benchmark`` table: for each, exactly what
    ``profile(con, authority.la_code)`` gives, at a fraction of the cost of one query
    per authority (the server prepares every authority's profile this way when it
    opens a warehouse file, ``serve/api/_prepared.py``)."""
    indicators = list(CATALOGUE.values())
    codes = sorted({a.la_code for a in authorities})
    rows = con.execute(
        f"SELECT la_code, {_BENCH_COLUMNS} FROM benchmark WHERE la_code IN (SELECT unnest(?)) "
        "AND indicator IN (SELECT unnest(?)) ORDER BY la_code, indicator, year",
        [codes, [i.id for i in indicators]],
    ).fetchall()
    by: dict[str, list[tuple[object, ...]]] = {}
    for r in rows:
        by.setdefault(str(r[0]), []).append(r[1:])
    partners = {p for r in rows if r[30] for p in str(r[30]).split(",")}
    names = _names(con, partners | {p for a in authorities for p in a.predecessors})
    return [
        Profile(a, None, tuple(_benchmarks_of(a, indicators, None, by.get(a.la_code, []), names)))
        for a in authorities
    ]


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
    _check_year(con, ind, year)
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
                lower=_f(r[10]),
                upper=_f(r[11]),
                flag=None if r[4] is None else str(r[4]),
                chance_lower=_f(r[12]),
                chance_upper=_f(r[13]),
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


@dataclass(frozen=True)
class SeriesPoint:
    """One year of an authority's series and its comparators (None where not published).

    Attributes
    ----------
    year : int
        The year as the warehouse keys it (its end); labels come from the indicator.
    authority : float or None
        The authority's value.
    status : str or None
        The publisher's symbol where the value is suppressed or missing (``c``, ``x``).
    sn_mean : float or None
        Mean of its statistical neighbours' published values.
    region, england : float or None
        Its region's and England's values.
    sn_n : int
        How many of the neighbours have a published value that year (the mean is over
        them).
    provisional : bool
        The authority's value is its own return (``cscwatch build --provisional``), not
        a published figure. The comparators are published figures only: another
        authority's provisional return is never in the neighbours' mean.
    """

    year: int
    authority: float | None
    status: str | None
    sn_mean: float | None
    region: float | None
    england: float | None
    sn_n: int = 0
    provisional: bool = False

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict."""
        return dataclasses.asdict(self)


def series(con: duckdb.DuckDBPyConnection, indicator_id: str, authority: str) -> list[SeriesPoint]:
    """Time series: the authority, its statistical-neighbour mean, region and England,
    one :class:`SeriesPoint` per year the indicator is published. The neighbours' mean
    adds their figures up in the neighbours' rank order, as the benchmark table does, so
    it is the same to the last bit on every run (``avg`` on several threads was not)."""
    ind = get_indicator(indicator_id)
    auth = resolve_authority(con, authority)
    sn = _neighbours(con, auth.la_code)
    rows = con.execute(
        """
        SELECT year,
               max(value) FILTER (WHERE geo_level = 'la' AND geo_code = $la),
               max(status) FILTER (WHERE geo_level = 'la' AND geo_code = $la),
               list_avg(list(value ORDER BY list_position($sn, geo_code))
                        FILTER (WHERE geo_level = 'la' AND geo_code IN (SELECT unnest($sn))
                                AND NOT provisional AND value IS NOT NULL)),
               max(value) FILTER (WHERE geo_level = 'regional' AND geo_code = $region),
               max(value) FILTER (WHERE geo_level = 'national'),
               count(value) FILTER (WHERE geo_level = 'la' AND geo_code IN (SELECT unnest($sn))
                                    AND NOT provisional),
               coalesce(bool_or(provisional) FILTER (WHERE geo_level = 'la' AND geo_code = $la),
                        false)
        FROM observation WHERE indicator = $ind GROUP BY year ORDER BY year
        """,
        {"la": auth.la_code, "sn": sn, "region": auth.region_code or "", "ind": ind.id},
    ).fetchall()
    points = [
        SeriesPoint(int(r[0]), r[1], r[2], r[3], r[4], r[5], int(r[6]), bool(r[7])) for r in rows
    ]
    return former_number_series(con, ind.id, auth.la_code, sn, points)


def former_number_rows(
    con: duckdb.DuckDBPyConnection, la_codes: list[str], indicator_id: str | None = None
) -> dict[str, dict[tuple[str, int], tuple[object, str]]]:
    """The published ``benchmark`` rows of ``la_codes`` that the rule for former
    authorities' figures touches (``method`` ``ceased`` or ``former_number``), by
    indicator: ``(la_code, year) → (value, method)``."""
    rows = con.execute(
        "SELECT indicator, la_code, year, value, method FROM benchmark "
        "WHERE method IN ('ceased', 'former_number') AND NOT provisional "
        "AND la_code IN (SELECT unnest(?)) AND (? IS NULL OR indicator = ?)",
        [la_codes, indicator_id, indicator_id],
    ).fetchall()
    out: dict[str, dict[tuple[str, int], tuple[object, str]]] = {}
    for ind, c, y, v, m in rows:
        out.setdefault(str(ind), {})[(str(c), int(y))] = (v, str(m))
    return out


def former_number_series(
    con: duckdb.DuckDBPyConnection,
    indicator_id: str,
    la_code: str,
    sn: list[str],
    points: list[SeriesPoint],
    moved: dict[tuple[str, int], tuple[object, str]] | None = None,
) -> list[SeriesPoint]:
    """``points`` (one authority's series of ``indicator_id``, its neighbours ``sn``) with
    the benchmarks' rule for figures under a former authority's number after it ceased
    (``benchmark_table``): such a figure is in no neighbours' mean, and where it is a
    successor's (or the successors' joint service's) it is theirs. Only the years it
    touches change; the former authority's own series keeps the figure as published.
    ``moved``: the indicator's ``(la_code, year) → (value, method)`` rows of that kind,
    if the caller has read them already (:func:`former_number_rows`)."""
    if moved is None:
        moved = former_number_rows(con, [la_code, *sn], indicator_id).get(indicator_id, {})
    touched = {y for c, y in moved if c == la_code or c in sn}
    if not touched:
        return points
    vals = con.execute(
        "SELECT geo_code, year, value FROM observation WHERE indicator = ? AND geo_level = 'la' "
        "AND geo_code IN (SELECT unnest(?)) AND year IN (SELECT unnest(?)) AND NOT provisional "
        "AND value IS NOT NULL",
        [indicator_id, sn, sorted(touched)],
    ).fetchall()
    by_year: dict[int, dict[str, float]] = {}
    for c, y, v in vals:
        by_year.setdefault(int(y), {})[str(c)] = float(v)
    out = []
    for p in points:
        if p.year not in touched:
            out.append(p)
            continue
        got = dict(by_year.get(p.year, {}))
        for c in sn:
            m = moved.get((c, p.year))
            if m is not None and m[1] == "ceased":
                got.pop(c, None)
            elif m is not None and m[0] is not None:
                got[c] = float(str(m[0]))
        own = moved.get((la_code, p.year))
        given = own is not None and own[1] == "former_number"
        out.append(
            dataclasses.replace(
                p,
                authority=_f(own[0]) if given and own is not None else p.authority,
                status=None if given else p.status,
                # in the neighbours' rank order, as the query and the benchmark table add
                sn_mean=sum(got[c] for c in sn if c in got) / len(got) if got else None,
                sn_n=len(got),
            )
        )
    return out
