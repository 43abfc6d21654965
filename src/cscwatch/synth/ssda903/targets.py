"""Published figures a synthetic SSDA903 return is calibrated to.

One authority and one year of the looked-after figures in the warehouse's ``observation``
table (see :mod:`cscwatch.core.catalogue`): ``lac_at31``, ``lac_starts`` and
``lac_ceased`` (children looked after on 31 March, starting and ceasing in the year; DfE's
tidy file from 2021, LAIT before), the six LAIT placement shares at 31 March
(``lac_foster_pct`` ... ``lac_other_placement_pct``), stability (``lac_3plus_placements``,
``lac_same_carer_2yrs`` and its percentage), ``lac_adopted``, ``lac_ceased_sgo``,
``uasc_at31`` and ``lac_missing_pct``.

The three numbers (on 31 March, starts, ceased) are required: an authority or year
without them has no published figures to calibrate to and is refused
(:class:`~cscwatch.core.errors.UnknownYearError`), never filled in. Every other figure
that is suppressed or absent (LAIT's ``-``) is replaced by England's figure for that year
applied to the authority's base, and named in :attr:`CareTargets.imputed`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import duckdb

from cscwatch.core.errors import UnknownYearError
from cscwatch.indicators.authorities import resolve_authority

__all__ = ["PLACEMENT_GROUPS", "CareTargets", "care_targets", "care_years"]

#: LAIT's placement groups at 31 March (catalogue ids), in the order the simulation uses.
PLACEMENT_GROUPS: tuple[str, ...] = (
    "lac_foster_pct",
    "lac_childrens_homes_pct",
    "lac_independent_living_pct",
    "lac_other_residential_pct",
    "lac_with_parents_pct",
    "lac_other_placement_pct",
)

_REQUIRED = ("lac_at31", "lac_starts", "lac_ceased")
_OPTIONAL = (
    *PLACEMENT_GROUPS,
    "lac_3plus_placements",
    "lac_same_carer_2yrs",
    "lac_same_carer_2yrs_pct",
    "lac_adopted",
    "lac_ceased_sgo",
    "uasc_at31",
    "lac_missing_pct",
)
_NATIONAL = "E92000001"


@dataclass(frozen=True)
class CareTargets:
    """Whole-number targets for one authority and year (the year ending 31 March).

    Attributes
    ----------
    la_code, la_name : str
        The authority.
    year : int
        The publisher's year (2025 = 1 April 2024 to 31 March 2025).
    at31, starts, ceased : int
        Children looked after on 31 March, starting and ceasing in the year.
    placements : dict of str to int
        Children on 31 March by LAIT placement group (sums to ``at31``).
    three_plus : int
        Children looked after on 31 March with three or more placements in the year.
    same_carer_share : float
        Of children under 16 looked after for 2.5 years or more, the share in the same
        placement for 2 years (``lac_same_carer_2yrs_pct`` / 100).
    adopted, sgo : int
        Children ceasing care by adoption, by special guardianship order.
    uasc : int
        Unaccompanied asylum-seeking children on 31 March.
    missing_share : float
        Share of children looked after in the year with a missing incident.
    imputed : tuple of str
        Targets that were suppressed or absent and came from England's figures.
    """

    la_code: str
    la_name: str
    year: int
    at31: int
    starts: int
    ceased: int
    placements: dict[str, int]
    three_plus: int
    same_carer_share: float
    adopted: int
    sgo: int
    uasc: int
    missing_share: float
    imputed: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON."""
        return {**self.__dict__, "imputed": list(self.imputed)}


def _values(con: duckdb.DuckDBPyConnection, geo: str, year: int) -> dict[str, float]:
    ids = [*_REQUIRED, *_OPTIONAL]
    rows = con.execute(
        "SELECT indicator, value FROM observation WHERE geo_code = ? AND year = ? "
        f"AND indicator IN ({', '.join('?' * len(ids))}) AND value IS NOT NULL "
        "AND NOT coalesce(provisional, false)",
        [geo, year, *ids],
    ).fetchall()
    return {str(i): float(v) for i, v in rows if math.isfinite(float(v))}


def care_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Years in which England has all three looked-after numbers."""
    rows = con.execute(
        "SELECT year FROM observation WHERE geo_code = ? AND indicator IN ('lac_at31', "
        "'lac_starts', 'lac_ceased') AND value IS NOT NULL GROUP BY year "
        "HAVING count(DISTINCT indicator) = 3 ORDER BY year",
        [_NATIONAL],
    ).fetchall()
    return [int(r[0]) for r in rows]


def care_targets(con: duckdb.DuckDBPyConnection, authority: str, year: int) -> CareTargets:
    """Targets for one authority (name, LA number or GSS code) and year.

    Raises
    ------
    UnknownAuthorityError
        The authority is not known (with close names).
    UnknownYearError
        The authority has no published number looked after, starting or ceasing that year.
    """
    auth = resolve_authority(con, authority)
    own = _values(con, auth.la_code, year)
    missing = [k for k in _REQUIRED if k not in own]
    if missing:
        raise UnknownYearError(
            f"{auth.name} ({auth.la_code}) has no published {', '.join(missing)} for {year}"
        )
    nat = _values(con, _NATIONAL, year)
    imputed: list[str] = []
    at31, starts, ceased = (round(own[k]) for k in _REQUIRED)

    def share(key: str, default: float) -> float:
        if key in own:
            return own[key] / 100.0
        imputed.append(key)
        return nat.get(key, default) / 100.0

    def count(key: str, base_key: str) -> int:
        if key in own:
            return round(own[key])
        imputed.append(key)
        rate = nat.get(key, 0.0) / nat[base_key] if nat.get(base_key) else 0.0
        return round(rate * own[base_key])

    shares = [share(k, 0.0) for k in PLACEMENT_GROUPS]
    total = sum(shares) or 1.0
    placements = _apportion(at31, [s / total for s in shares])
    return CareTargets(
        la_code=auth.la_code,
        la_name=auth.name,
        year=year,
        at31=at31,
        starts=starts,
        ceased=ceased,
        placements=dict(zip(PLACEMENT_GROUPS, placements, strict=True)),
        three_plus=min(at31, count("lac_3plus_placements", "lac_at31")),
        same_carer_share=min(1.0, share("lac_same_carer_2yrs_pct", 70.0)),
        adopted=min(ceased, count("lac_adopted", "lac_ceased")),
        sgo=min(ceased, count("lac_ceased_sgo", "lac_ceased")),
        uasc=min(at31, count("uasc_at31", "lac_at31")),
        missing_share=min(1.0, share("lac_missing_pct", 10.0)),
        imputed=tuple(imputed),
    )


def _apportion(total: int, shares: list[float]) -> list[int]:
    """Whole numbers in proportion to ``shares`` adding up to ``total`` (largest remainder)."""
    raw = [total * s for s in shares]
    out = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out
