"""Side by side: an authority among its statistical neighbours, or chosen authorities.

:func:`neighbour_comparison` gives each statistical neighbour's own value for one
indicator and year (not only their mean), the authority's rank among itself and its
neighbours, its region and England. :func:`compare` does the same for up to
:data:`MAX_COMPARED` authorities a user chose. Ranks count only figures the publisher
gave (a suppressed value keeps its symbol and is not ranked); 1 is always the highest
value, and the indicator's better direction is said beside it, so a rank is never
read as good or bad by accident. Equal values share a rank (a joint workforce return
gives two authorities one figure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import duckdb

from cscwatch.core.catalogue import Indicator, Polarity, get_indicator
from cscwatch.core.errors import InputError
from cscwatch.indicators.authorities import (
    Authority,
    resolve_authority,
    statistical_neighbours,
)
from cscwatch.indicators.benchmarking import check_year, default_year

__all__ = [
    "MAX_COMPARED",
    "ComparedValue",
    "Comparison",
    "compare",
    "neighbour_comparison",
    "neighbour_comparisons",
    "parse_authority_list",
    "rank_basis",
]

#: The most authorities :func:`compare` takes at once (a readable chart and table).
MAX_COMPARED = 10

_ENGLAND = "E92000001"

_BETTER = {
    Polarity.HIGH_GOOD: "higher is better",
    Polarity.LOW_GOOD: "lower is better",
    Polarity.NEUTRAL: "neither higher nor lower is better",
}


def rank_basis(ind: Indicator) -> str:
    """How ranks read for ``ind``: ``"1 = highest value; lower is better"``."""
    return f"1 = highest value; {_BETTER[ind.polarity]}"


@dataclass(frozen=True)
class ComparedValue:
    """One place's figure in a comparison.

    ``role`` is ``authority`` (the one compared), ``neighbour``, ``chosen`` (in
    :func:`compare`), ``region`` or ``england``; ``code`` the LA number or GSS code;
    ``rank`` its place among the ranked rows (1 = highest, ``None`` when the value is
    suppressed or missing, and for region and England); ``closeness`` a neighbour's
    rank in DfE's model (1 = closest).
    """

    role: str
    code: str
    name: str
    value: float | None
    status: str | None
    rank: int | None = None
    closeness: int | None = None


@dataclass(frozen=True)
class Comparison:
    """One indicator in one year across a group of authorities, with region and England.

    ``rows`` are the authorities in their order (the authority then its neighbours by
    closeness, or the chosen authorities as given); ``comparators`` the regions and
    England; ``rank_basis`` and ``relative_to`` say in words how ranks read and what
    they are relative to; ``rank`` and ``n_ranked`` are the subject's place among the
    rows with a figure (``subject`` and ``rank`` are ``None`` in :func:`compare`).
    """

    indicator: str
    year: int
    period_label: str
    kind: str
    rows: tuple[ComparedValue, ...]
    comparators: tuple[ComparedValue, ...]
    rank_basis: str
    relative_to: str
    subject: str | None = None
    rank: int | None = None
    n_ranked: int = 0
    model: str | None = None

    def to_dict(self) -> dict[str, object]:
        """Plain dict (for JSON): the fields, in order."""
        return asdict(self)

    @property
    def summary(self) -> str:
        """One line: the subject's rank with its basis, or how many were compared."""
        ind = get_indicator(self.indicator)
        if self.subject is not None:
            place = "not ranked" if self.rank is None else f"{self.rank} of {self.n_ranked}"
            return (
                f"{ind.title}, {self.period_label}: {place} ({self.rank_basis}; {self.relative_to})"
            )
        return f"{ind.title}, {self.period_label}: {len(self.rows)} authorities compared"


def _ranks(values: Mapping[str, float | None]) -> dict[str, int]:
    """Competition ranks (1 = highest; ties share the better rank) of the non-missing."""
    known = sorted((v for v in values.values() if v is not None), reverse=True)
    return {c: 1 + sum(1 for k in known if k > v) for c, v in values.items() if v is not None}


def _figures(
    con: duckdb.DuckDBPyConnection, pairs: Sequence[tuple[str, int]], places: Sequence[str]
) -> dict[tuple[str, int, str], tuple[float | None, str | None]]:
    """(indicator, year, place) → (value, status) as published, for authorities (by LA
    number) and regions and England (by GSS code); an authority's own provisional
    return is left out."""
    if not pairs or not places:
        return {}
    rows = con.execute(
        """
        SELECT o.indicator, o.year, o.geo_code, max(o.value), max(o.status)
        FROM observation o
        JOIN (SELECT unnest($inds) AS indicator, unnest($years) AS year) p
          ON p.indicator = o.indicator AND p.year = o.year
        WHERE o.geo_code IN (SELECT unnest($places)) AND NOT o.provisional
        GROUP BY ALL
        """,
        {
            "inds": [i for i, _ in pairs],
            "years": [y for _, y in pairs],
            "places": list(places),
        },
    ).fetchall()
    out = {
        (str(r[0]), int(r[1]), str(r[2])): (
            None if r[3] is None else float(r[3]),
            None if r[4] is None else str(r[4]),
        )
        for r in rows
    }
    # A figure under a former authority's number after it ceased that the benchmarks
    # give to a successor (or the successors' joint service) is theirs here too.
    for key, (value, method) in _former_numbers(con, pairs, places).items():
        if method == "former_number":
            out[key] = (value, None)
    return out


def _former_numbers(
    con: duckdb.DuckDBPyConnection, pairs: Sequence[tuple[str, int]], places: Sequence[str]
) -> dict[tuple[str, int, str], tuple[float | None, str]]:
    """(indicator, year, authority) → (value, method) of the ``benchmark`` rows the rule
    for former authorities' figures after they ceased touches (``method`` ``ceased``:
    shown, never ranked; ``former_number``: given to the successor)."""
    rows = con.execute(
        """
        SELECT b.indicator, b.year, b.la_code, b.value, b.method FROM benchmark b
        JOIN (SELECT unnest($inds) AS indicator, unnest($years) AS year) p
          ON p.indicator = b.indicator AND p.year = b.year
        WHERE b.la_code IN (SELECT unnest($places)) AND NOT b.provisional
          AND b.method IN ('ceased', 'former_number')
        """,
        {"inds": [i for i, _ in pairs], "years": [y for _, y in pairs], "places": list(places)},
    ).fetchall()
    return {
        (str(r[0]), int(r[1]), str(r[2])): (None if r[3] is None else float(r[3]), str(r[4]))
        for r in rows
    }


def _unranked(
    con: duckdb.DuckDBPyConnection,
    pairs: Sequence[tuple[str, int]],
    places: Sequence[str],
) -> set[tuple[str, int, str]]:
    """The (indicator, year, authority) figures that are not ranked: a former
    authority's after it ceased (``benchmark_table``)."""
    return {k for k, (_, m) in _former_numbers(con, pairs, places).items() if m == "ceased"}


def _year(con: duckdb.DuckDBPyConnection, ind: Indicator, year: int | None) -> int:
    if year is None:
        return default_year(con, ind.id)
    check_year(con, ind, year)
    return year


def _comparators(
    auth_region: tuple[str | None, str | None],
    figures: Mapping[tuple[str, int, str], tuple[float | None, str | None]],
    ind: str,
    year: int,
) -> tuple[ComparedValue, ...]:
    region_code, region_name = auth_region
    out = []
    if region_code:
        v, s = figures.get((ind, year, region_code), (None, None))
        out.append(ComparedValue("region", region_code, region_name or region_code, v, s))
    v, s = figures.get((ind, year, _ENGLAND), (None, None))
    out.append(ComparedValue("england", _ENGLAND, "England", v, s))
    return tuple(out)


def neighbour_comparisons(
    con: duckdb.DuckDBPyConnection, auth: Authority, years: Mapping[str, int]
) -> dict[str, Comparison]:
    """:func:`neighbour_comparison` for many indicators at once (``years``: indicator →
    year), in one query; indicators with no neighbours' model give nothing."""
    found = statistical_neighbours(con, auth.la_code)
    if not found:
        return {}
    ns = [(n.la_code, n.name, n.rank) for n in found]
    model = found[0].model
    places = [auth.la_code, *(c for c, _, _ in ns), _ENGLAND]
    if auth.region_code:
        places.append(auth.region_code)
    figures = _figures(con, sorted(years.items()), places)
    unranked = _unranked(con, sorted(years.items()), places)
    out: dict[str, Comparison] = {}
    for ind_id, year in years.items():
        ind = get_indicator(ind_id)
        members = [(auth.la_code, auth.name, None), *ns]
        vals = {c: figures.get((ind_id, year, c), (None, None)) for c, _, _ in members}
        ranks = _ranks({c: v[0] for c, v in vals.items() if (ind_id, year, c) not in unranked})
        rows = tuple(
            ComparedValue(
                role="authority" if c == auth.la_code else "neighbour",
                code=c,
                name=name,
                value=vals[c][0],
                status=vals[c][1],
                rank=ranks.get(c),
                closeness=closeness,
            )
            for c, name, closeness in members
        )
        out[ind_id] = Comparison(
            indicator=ind_id,
            year=year,
            period_label=ind.year_label(year),
            kind="neighbours",
            rows=rows,
            comparators=_comparators((auth.region_code, auth.region_name), figures, ind_id, year),
            rank_basis=rank_basis(ind),
            relative_to=(
                f"ranked among {auth.name} and its {len(ns)} statistical neighbours "
                f"(DfE {model} model) with a figure for {ind.year_label(year)}"
                + (
                    "; a former authority's figure after it ceased is shown, not ranked"
                    if any((ind_id, year, c) in unranked for c in vals)
                    else ""
                )
            ),
            subject=auth.la_code,
            rank=ranks.get(auth.la_code),
            n_ranked=len(ranks),
            model=model,
        )
    return out


def neighbour_comparison(
    con: duckdb.DuckDBPyConnection, authority: str, indicator: str, year: int | None = None
) -> Comparison:
    """One authority, each of its statistical neighbours, its region and England for
    one indicator in one year (default: the latest year the authority has a figure
    for, else the latest with any).

    Raises
    ------
    UnknownAuthorityError, UnknownIndicatorError, UnknownYearError
    InputError
        When the authority has no statistical neighbours in DfE's models.
    """
    auth = resolve_authority(con, authority)
    ind = get_indicator(indicator)
    if year is None:
        own = con.execute(
            "SELECT max(year) FROM observation WHERE indicator = ? AND geo_level = 'la' "
            "AND geo_code = ? AND value IS NOT NULL AND NOT provisional",
            [ind.id, auth.la_code],
        ).fetchone()
        year = None if own is None or own[0] is None else int(own[0])
    y = _year(con, ind, year)
    found = neighbour_comparisons(con, auth, {ind.id: y})
    if ind.id not in found:
        raise InputError(f"{auth.name} has no statistical neighbours in DfE's models")
    return found[ind.id]


def parse_authority_list(text: str | Sequence[str]) -> list[str]:
    """Authorities from ``"A,B,C"`` (or several such strings): trimmed, blanks dropped.

    Names with a comma of their own ("Bristol, City of") are kept whole when the part
    after the comma is "City of" or "County of".
    """
    parts: list[str] = []
    for chunk in [text] if isinstance(text, str) else text:
        for p in chunk.split(","):
            p = p.strip()
            if p.lower() in ("city of", "county of") and parts:
                parts[-1] = f"{parts[-1]}, {p}"
            elif p:
                parts.append(p)
    return parts


def compare(
    con: duckdb.DuckDBPyConnection,
    authorities: Sequence[str],
    indicator: str,
    year: int | None = None,
) -> Comparison:
    """Up to :data:`MAX_COMPARED` authorities side by side for one indicator and year
    (default: the latest year with figures), with England and each one's region.

    The same authority given twice (by name and by number) counts once.

    Raises
    ------
    InputError
        No authority, or more than :data:`MAX_COMPARED`.
    UnknownAuthorityError, AmbiguousAuthorityError
        For the first name that finds no single authority (with suggestions).
    UnknownIndicatorError, UnknownYearError
    """
    if not authorities:
        raise InputError("name at least one authority to compare")
    if len(authorities) > MAX_COMPARED:
        raise InputError(
            f"at most {MAX_COMPARED} authorities can be compared at once; "
            f"{len(authorities)} were given"
        )
    ind = get_indicator(indicator)
    auths: dict[str, Authority] = {}
    for text in authorities:
        a = resolve_authority(con, text)
        auths.setdefault(a.la_code, a)
    y = _year(con, ind, year)
    regions = {a.region_code: a.region_name for a in auths.values() if a.region_code}
    figures = _figures(con, [(ind.id, y)], [*auths, *regions, _ENGLAND])
    vals = {c: figures.get((ind.id, y, c), (None, None)) for c in auths}
    unranked = _unranked(con, [(ind.id, y)], list(auths))
    ranks = _ranks({c: v[0] for c, v in vals.items() if (ind.id, y, c) not in unranked})
    rows = tuple(
        ComparedValue(
            role="chosen",
            code=c,
            name=a.name,
            value=vals[c][0],
            status=vals[c][1],
            rank=ranks.get(c),
        )
        for c, a in auths.items()
    )
    comparators = [
        ComparedValue("region", code, name or code, *figures.get((ind.id, y, code), (None, None)))
        for code, name in sorted(regions.items(), key=lambda kv: kv[1] or "")
    ]
    comparators.append(
        ComparedValue(
            "england", _ENGLAND, "England", *figures.get((ind.id, y, _ENGLAND), (None, None))
        )
    )
    return Comparison(
        indicator=ind.id,
        year=y,
        period_label=ind.year_label(y),
        kind="chosen",
        rows=rows,
        comparators=tuple(comparators),
        rank_basis=rank_basis(ind),
        relative_to=f"ranked among the {len(rows)} chosen authorities with a figure "
        f"for {ind.year_label(y)}"
        + (
            "; a former authority's figure after it ceased is shown, not ranked"
            if unranked & {(ind.id, y, c) for c in vals if vals[c][0] is not None}
            else ""
        ),
        n_ranked=len(ranks),
    )
