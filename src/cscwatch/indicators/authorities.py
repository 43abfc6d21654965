"""Authorities: resolve a name or code to an authority; list them."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import duckdb

from cscwatch.core.errors import UnknownAuthorityError

__all__ = [
    "REGION_NAMES_SQL",
    "SMALL_AUTHORITIES",
    "SUB_REGIONS",
    "Authority",
    "geography_names",
    "list_authorities",
    "resolve_authority",
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


def resolve_authority(con: duckdb.DuckDBPyConnection, text: str) -> Authority:
    """Resolve a name, LA number or GSS code (any case) to one authority.

    A name shared by a former and a current authority (Dorset) resolves to the current
    one; the former is reachable by its LA number (835) or GSS code.

    Raises
    ------
    UnknownAuthorityError
        With up to three close matches among names.
    """
    key = " ".join(text.strip().lower().split())
    if key.startswith("e") and key[1:].isdigit():
        key = key  # GSS code, already lower-case
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM authority WHERE la_code IN "
        "(SELECT la_code FROM authority_alias WHERE alias = ?) "
        "ORDER BY is_current DESC, la_code",
        [key],
    ).fetchall()
    if not rows:
        names = [r[0] for r in con.execute("SELECT DISTINCT name FROM authority").fetchall()]
        lower = {n.lower(): n for n in names}
        close = difflib.get_close_matches(key, list(lower), n=3, cutoff=0.6)
        close += [lower[n] for n in lower if key and key in n and lower[n] not in close][:3]
        suggestions = [str(lower.get(c, c)) for c in close][:3]
        raise UnknownAuthorityError(text, suggestions)
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
