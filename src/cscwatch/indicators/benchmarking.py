"""One authority against England, its region and statistical neighbours.

:func:`benchmark` (one indicator and year), :func:`profile` (every indicator) and
:func:`profiles` (many authorities at once) read the ``benchmark`` table the build
precomputes (:mod:`cscwatch.indicators.benchmark_table`): the value, England's, the
region's, the statistical neighbours' mean and median, the rank and quartile among
authorities, the recent trend, the funnel limits at the authority's denominator and its
outlier flag (:mod:`cscwatch.indicators.flags`; the limits and the flag are described in
:mod:`cscwatch.indicators.variation` and ``docs/methods/benchmarking.md``). A joint
return (two authorities, one workforce return) is ranked once and names its partner;
:func:`rank_note` says in words why a rank needs care or is absent.
:func:`available_years` and :func:`default_year` are the one rule for the year a view
of an indicator shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from cscwatch.core.catalogue import CATALOGUE, Indicator, Polarity, get_indicator
from cscwatch.core.errors import UnknownYearError
from cscwatch.core.types import parse_period
from cscwatch.indicators.authorities import Authority, resolve_authority
from cscwatch.indicators.flags import OutlierFlag, make_flag

__all__ = [
    "Benchmark",
    "FunnelLimits",
    "Profile",
    "Trend",
    "as_float",
    "available_years",
    "benchmark",
    "check_year",
    "default_year",
    "is_restated",
    "profile",
    "profiles",
    "rank_note",
    "sn_mark",
]


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
        raise _no_figures(ind)
    return years[-1]


def _no_figures(ind: Indicator) -> UnknownYearError:
    why = f": {ind.no_data_reason}" if ind.no_data_reason else ""
    return UnknownYearError(f"the warehouse has no figures for {ind.id}{why}")


def check_year(
    con: duckdb.DuckDBPyConnection, ind: Indicator, year: int, *, provisional: bool = False
) -> None:
    """Refuse a year with no authority figure for ``ind``, naming the years there are in
    the publisher's labels (``provisional`` as in :func:`available_years`).

    Raises
    ------
    UnknownYearError
    """
    years = available_years(con, ind.id, provisional=provisional)
    if year in years:
        return
    if not years:
        raise _no_figures(ind)
    raise UnknownYearError(
        f"no data for {ind.id} in {ind.year_label(year)}; years available: "
        f"{ind.year_label(years[0])} to {ind.year_label(years[-1])}"
    )


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
            as_float(lo_od),
            as_float(hi_od),
            as_float(lo95_od),
            as_float(hi95_od),
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
        value=as_float(value),
        centre=as_float(centre),
        denominator=as_float(den),
        lower=as_float(lo_od),
        upper=as_float(hi_od),
        flag=None if flag is None else str(flag),
        chance_lower=as_float(lo998),
        chance_upper=as_float(hi998),
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
        value=as_float(value),
        status=None if status is None else str(status),
        england=as_float(england),
        region=as_float(region),
        region_name=auth.region_name,
        sn_mean=as_float(sn_mean),
        sn_median=as_float(sn_median),
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
            value=as_float(value),
            small_authority=bool(small),
            small_denominator=bool(small_den),
            denominator=as_float(den),
            joint_names=(
                tuple(f"{n} ({c})" for n, c in zip(joint_names, partners, strict=True))
                if meth == "ceased"
                else joint_names
            ),
            restated=is_restated(rk, as_float(value), bool(small), bool(provisional), meth),
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
        trend = _trend(ind, {yy: as_float(rr[2]) for yy, rr in years.items()}, y)
        out.append(_row_benchmark(ind, auth, years[y], trend, names))
    return out


def as_float(v: object) -> float | None:
    """A value from the warehouse (a DuckDB ``DECIMAL`` comes back as ``Decimal``) as a
    float; ``None`` stays ``None``."""
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
    check_year(con, ind, year, provisional=True)
    found = _benchmarks(con, auth, [ind], year)
    if not found:
        raise UnknownYearError(f"{auth.name} has no {ind.id} figure for {ind.year_label(year)}")
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
