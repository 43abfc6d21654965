"""Authorities: resolve a name or code to an authority; list them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb

from cscwatch.core.errors import AmbiguousAuthorityError, UnknownAuthorityError
from cscwatch.indicators._search import Candidate, Resolution, match

__all__ = [
    "REGION_NAMES_SQL",
    "SMALL_AUTHORITIES",
    "SUB_REGIONS",
    "Authority",
    "Neighbour",
    "authority_candidates",
    "geography_names",
    "list_authorities",
    "raise_for",
    "resolve_authority",
    "resolve_authority_name",
    "statistical_neighbours",
    "suggest_authorities",
]

#: Excluded from rankings and variation by default: too few children for stable rates.
SMALL_AUTHORITIES: frozenset[str] = frozenset({"201", "420"})  # City of London, Isles of Scilly

#: Sub-regions the publisher reports beside the nine regions (the workforce census gives
#: Inner and Outer London); their authorities belong to the London region (E12000007).
SUB_REGIONS: dict[str, str] = {"E13000001": "Inner London", "E13000002": "Outer London"}

#: A derived table ``(region_code, region_name)`` naming every region and sub-region
#: (to join on a regional observation's ``geo_code``).
REGION_NAMES_SQL = (
    "(SELECT DISTINCT region_code, region_name FROM authority WHERE region_code IS NOT NULL "
    "UNION ALL SELECT * FROM (VALUES "
    + ", ".join(f"('{c}', '{n}')" for c, n in SUB_REGIONS.items())
    + ") AS sub(region_code, region_name))"
)

_COLUMNS = (
    "la_code, gss_code, name, region_code, region_name, la_type, first_year, last_year, is_current"
)


@dataclass(frozen=True)
class Authority:
    """An upper-tier local authority with children's services responsibilities."""

    la_code: str
    gss_code: str | None
    name: str
    region_code: str | None
    region_name: str | None
    la_type: str | None
    first_year: int | None
    last_year: int | None
    is_current: bool
    predecessors: tuple[str, ...] = ()
    successors: tuple[str, ...] = ()

    @property
    def is_small(self) -> bool:
        """City of London and the Isles of Scilly."""
        return self.la_code in SMALL_AUTHORITIES


def _from_row(row: tuple[object, ...]) -> Authority:
    return Authority(
        la_code=str(row[0]),
        gss_code=None if row[1] is None else str(row[1]),
        name=str(row[2]),
        region_code=None if row[3] is None else str(row[3]),
        region_name=None if row[4] is None else str(row[4]),
        la_type=None if row[5] is None else str(row[5]),
        first_year=None if row[6] is None else int(str(row[6])),
        last_year=None if row[7] is None else int(str(row[7])),
        is_current=bool(row[8]),
    )


def list_authorities(
    con: duckdb.DuckDBPyConnection, *, current_only: bool = False
) -> list[Authority]:
    """Every authority, ordered by name then code (optionally only current ones)."""
    where = "WHERE is_current" if current_only else ""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM authority {where} ORDER BY name, la_code"
    ).fetchall()
    return [_from_row(r) for r in rows]


def geography_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Name of every place an observation can be of: England, each region and
    sub-region (by GSS code) and each authority (by LA number)."""
    rows = con.execute(
        f"SELECT region_code, region_name FROM {REGION_NAMES_SQL} "
        "UNION ALL SELECT la_code, name FROM authority"
    ).fetchall()
    return {"E92000001": "England", **{str(c): str(n) for c, n in rows}}


def authority_candidates(con: duckdb.DuckDBPyConnection) -> list[Candidate]:
    """Every authority with every name and code it has been published under."""
    rows = con.execute(
        """
        SELECT a.la_code, a.name, a.is_current, a.last_year,
               list(DISTINCT l.alias ORDER BY l.alias)
                   FILTER (WHERE l.kind IN ('name', 'former_name')),
               list(DISTINCT l.alias ORDER BY l.alias) FILTER (WHERE l.kind = 'gss')
        FROM authority a LEFT JOIN authority_alias l USING (la_code)
        GROUP BY ALL ORDER BY a.la_code
        """
    ).fetchall()
    return [
        Candidate(
            la_code=str(r[0]),
            name=str(r[1]),
            is_current=bool(r[2]),
            last_year=None if r[3] is None else int(r[3]),
            names=tuple(str(n) for n in r[4] or ()),
            codes=tuple(str(c) for c in r[5] or ()),
        )
        for r in rows
    ]


def _regions(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT DISTINCT region_name FROM authority WHERE region_name IS NOT NULL"
    ).fetchall()
    return [str(r[0]) for r in rows] + ["England", "Inner London", "Outer London"]


def raise_for(text: str, found: Resolution) -> None:
    """Raise the error that says why ``found`` names no single authority.

    Raises
    ------
    AmbiguousAuthorityError
        When several authorities match equally (the choices are listed).
    UnknownAuthorityError
        When none does (with close spellings as suggestions).
    """
    if found.choices:
        raise AmbiguousAuthorityError(text.strip(), found.choices)
    raise UnknownAuthorityError(text.strip(), found.suggestions)


def suggest_authorities(con: duckdb.DuckDBPyConnection, text: str, limit: int = 5) -> list[str]:
    """Names to offer for ``text``: the one authority it names, the choices when it
    is ambiguous, or close spellings; each resolves to one authority when given back."""
    cands = authority_candidates(con)
    found = match(text, cands, regions=_regions(con), limit=limit)
    if found.la_code is not None:
        return [next(c.name for c in cands if c.la_code == found.la_code)]
    return list(found.choices or found.suggestions)


def resolve_authority(con: duckdb.DuckDBPyConnection, text: str) -> Authority:
    """Resolve a name, common short name, former name, LA number or GSS code to one
    authority (the one resolver the CLI, the API and the pages use).

    Exact names and codes are looked up first; then the rules of
    :mod:`cscwatch.indicators._search`: "Hull", "Telford", "Herefordshire" and
    "Durham" name one authority each; a name shared by a former and a current
    authority (Dorset) resolves to the current one, the former by its LA number (835),
    GSS code or ``Dorset (LA 835)``; an old name of a reorganised authority
    ("Northamptonshire", "Cumbria", "Bournemouth") resolves to that former authority,
    whose ``successors`` name what replaced it. Misspellings are never taken silently.

    Raises
    ------
    AmbiguousAuthorityError
        When several authorities match equally ("Kingston"), listing them.
    UnknownAuthorityError
        When none matches, with up to five close spellings as suggestions.
    """
    key = " ".join(text.strip().lower().split())
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM authority WHERE la_code IN "
        "(SELECT la_code FROM authority_alias WHERE alias = ?) "
        "ORDER BY is_current DESC, la_code",
        [key],
    ).fetchall()
    if not rows:
        found = match(text, authority_candidates(con), regions=_regions(con))
        if found.la_code is None:
            raise_for(text, found)
        rows = con.execute(
            f"SELECT {_COLUMNS} FROM authority WHERE la_code = ?", [found.la_code]
        ).fetchall()
    auth = _from_row(rows[0])
    # Predecessors and successors in one query (a correlated subquery per list costs
    # more than the round trip it saves).
    links = con.execute(
        "SELECT predecessor, successor FROM authority_succession "
        "WHERE ? IN (predecessor, successor)",
        [auth.la_code],
    ).fetchall()
    pred = sorted(str(p) for p, s in links if s == auth.la_code)
    succ = sorted(str(s) for p, s in links if p == auth.la_code)
    return Authority(**{**auth.__dict__, "predecessors": tuple(pred), "successors": tuple(succ)})


def resolve_authority_name(text: str, names: Mapping[str, str], former: Iterable[str] = ()) -> str:
    """The LA number for a name or number, from ``names`` (LA number → name).

    The same matching as :func:`cscwatch.indicators.authorities.resolve_authority`
    (:mod:`cscwatch.indicators._search`), over the names given; ``former`` are the LA
    numbers of abolished authorities, so a shared name (Dorset) means the current one.

    Raises
    ------
    AmbiguousAuthorityError
        When several names match equally, listing them.
    UnknownAuthorityError
        With up to five close spellings (difflib) as suggestions.
    """
    gone = set(former)
    cands = [Candidate(la_code=c, name=n, is_current=c not in gone) for c, n in names.items()]
    found = match(text, cands)
    if found.la_code is not None:
        return found.la_code
    if found.choices:
        raise AmbiguousAuthorityError(text.strip(), found.choices)
    raise UnknownAuthorityError(text.strip(), found.suggestions)


@dataclass(frozen=True)
class Neighbour:
    """One statistical neighbour, closest first (``rank`` 1)."""

    la_code: str
    name: str
    rank: int
    model: str


def statistical_neighbours(con: duckdb.DuckDBPyConnection, la_code: str) -> list[Neighbour]:
    """An authority's statistical neighbours from the newest model that lists it (DfE's
    2025 model; the April 2021 groupings for authorities it does not list). The one
    lookup the series, the comparisons and the profile pages share."""
    rows = con.execute(
        """
        SELECT s.neighbour, coalesce(a.name, s.neighbour), s.rank, s.model
        FROM statistical_neighbour s LEFT JOIN authority a ON a.la_code = s.neighbour
        WHERE s.la_code = ? AND s.model = (
            SELECT max(model) FROM statistical_neighbour WHERE la_code = ?)
        ORDER BY s.rank
        """,
        [la_code, la_code],
    ).fetchall()
    return [Neighbour(str(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in rows]
