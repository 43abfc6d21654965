"""Children in care: the spliced looked-after series checked, and placement shares.

The looked-after numbers and rates run 2016 to 2025 from two publications: LAIT for
the years before DfE's tidy file begins (2016-2020) and the tidy file from its first
year (2021; see ``Derivation.lait_before``). :func:`reconcile` reads the build's
``care_reconciliation`` table (both publishers' figures for every place and year they
share) and the spliced series in ``observation``, and checks three things:

* **Agreement where both exist.** For every overlap year, each place's DfE figure
  minus LAIT's. Counts are published unrounded by both, so the bound is 0; rates per
  10,000 are published as whole numbers by both, so two roundings of one rate can
  differ by at most 1 (:data:`ROUNDING_BOUND`). Pairs in which one side is suppressed
  and the other is not are counted separately (suppression is never read as 0).
* **National totals.** In every year 2016-2025, the sum of the authorities' counts
  equals England's published row, less what suppression hides. Authorities are those
  with a figure in that year, so a reorganisation (2019 Dorset, 2021
  Northamptonshire, 2023 Cumbria) must hand over cleanly: a predecessor and its
  successor both carrying a figure in one year would be counted twice, and
  ``double_counted`` lists any such case (it is checked against the project's one
  mapping, the ``authority_succession`` table).
* **The hand-over year.** Each spliced indicator's first tidy year, and the last
  year taken from LAIT, which must be the year before.

:func:`placement_shares` returns an authority's placements at 31 March by type; the
types LAIT publishes are mutually exclusive, so the shares sum to 100 up to the
rounding of each share (to a whole percent).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.errors import InputError

__all__ = [
    "PLACEMENT_TYPES",
    "ROUNDING_BOUND",
    "SPLICED",
    "NationalTotal",
    "PlacementShares",
    "Reconciliation",
    "SpliceCheck",
    "placement_shares",
    "reconcile",
]

#: Spliced indicators (LAIT before the tidy file), in catalogue order.
SPLICED: tuple[str, ...] = tuple(i.id for i in CATALOGUE.values() if i.derivation.lait_before)

#: Largest difference two publications of one figure may show, by unit: counts are
#: unrounded in both; rates per 10,000 and percentages are whole numbers in both.
ROUNDING_BOUND: dict[str, float] = {"count": 0.0, "per_10k": 1.0, "percent": 1.0}

#: Placement types at 31 March (catalogue ids), mutually exclusive and exhaustive as
#: LAIT publishes them.
PLACEMENT_TYPES: tuple[str, ...] = (
    "lac_foster_pct",
    "lac_childrens_homes_pct",
    "lac_independent_living_pct",
    "lac_other_residential_pct",
    "lac_with_parents_pct",
    "lac_other_placement_pct",
)


@dataclass(frozen=True)
class SpliceCheck:
    """How one spliced indicator's two sources agree in the years both hold."""

    indicator: str
    hand_over_year: int
    last_lait_year: int | None
    overlap_years: tuple[int, ...]
    n_pairs: int
    n_compared: int
    n_equal: int
    max_abs_difference: float | None
    n_suppression_mismatch: int
    bound: float

    @property
    def within_bound(self) -> bool:
        """Every compared pair differs by no more than the rounding bound."""
        return self.max_abs_difference is None or self.max_abs_difference <= self.bound


@dataclass(frozen=True)
class NationalTotal:
    """One year's sum of the authorities' counts against England's published row."""

    indicator: str
    year: int
    england: float | None
    sum_of_authorities: float
    n_authorities: int
    n_suppressed: int
    difference: float | None


@dataclass(frozen=True)
class Reconciliation:
    """The spliced looked-after series checked (read-only; see the module docstring)."""

    checks: tuple[SpliceCheck, ...]
    totals: tuple[NationalTotal, ...]
    double_counted: tuple[tuple[str, str, int], ...]

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict."""
        out = asdict(self)
        for c, d in zip(self.checks, out["checks"], strict=True):
            d["within_bound"] = c.within_bound
        return out

    @property
    def summary(self) -> str:
        """One line per spliced indicator and per year of national totals."""
        lines = ["Spliced looked-after series (LAIT before the DfE file, the DfE file from it)"]
        for c in self.checks:
            worst = "–" if c.max_abs_difference is None else f"{c.max_abs_difference:g}"
            lines.append(
                f"  {c.indicator}: hand-over {c.hand_over_year} (LAIT to "
                f"{c.last_lait_year}); overlap {min(c.overlap_years, default=0)}-"
                f"{max(c.overlap_years, default=0)}: {c.n_equal}/{c.n_compared} equal, "
                f"largest difference {worst} (bound {c.bound:g}), "
                f"{c.n_suppression_mismatch} suppressed on one side only"
            )
        for t in self.totals:
            lines.append(
                f"  {t.indicator} {t.year}: England {t.england:g} vs sum of "
                f"{t.n_authorities} authorities {t.sum_of_authorities:g} "
                f"({t.n_suppressed} suppressed)"
                if t.england is not None
                else f"  {t.indicator} {t.year}: no England row"
            )
        return "\n".join(lines)


def _check(con: duckdb.DuckDBPyConnection, indicator: str) -> SpliceCheck:
    ind = CATALOGUE[indicator]
    row = con.execute(
        """
        SELECT min(first_tidy_year), list(DISTINCT year ORDER BY year), count(*),
               count(difference), count(*) FILTER (WHERE difference = 0),
               max(abs(difference)),
               count(*) FILTER (WHERE (dfe_value IS NULL) <> (lait_value IS NULL))
        FROM care_reconciliation WHERE indicator = ?
        """,
        [indicator],
    ).fetchone()
    assert row is not None  # an aggregate always returns one row
    first = row[0]
    if first is None:  # no overlap: the hand-over year is the tidy file's first
        fy = con.execute(
            "SELECT min(year) FROM observation WHERE indicator = ? AND source_id <> 'lait'",
            [indicator],
        ).fetchone()
        first = fy[0] if fy else None
    last_lait = con.execute(
        "SELECT max(year) FROM observation WHERE indicator = ? AND source_id = 'lait'",
        [indicator],
    ).fetchone()
    return SpliceCheck(
        indicator,
        int(first) if first is not None else 0,
        int(last_lait[0]) if last_lait and last_lait[0] is not None else None,
        tuple(int(y) for y in row[1] or ()),
        int(row[2]),
        int(row[3]),
        int(row[4]),
        float(row[5]) if row[5] is not None else None,
        int(row[6]),
        ROUNDING_BOUND.get(ind.unit.value, 0.0),
    )


def _totals(con: duckdb.DuckDBPyConnection, indicator: str) -> list[NationalTotal]:
    rows = con.execute(
        """
        SELECT year,
               max(value) FILTER (WHERE geo_level = 'national'),
               coalesce(sum(value) FILTER (WHERE geo_level = 'la'), 0),
               count(value) FILTER (WHERE geo_level = 'la'),
               count(*) FILTER (WHERE geo_level = 'la' AND status IN ('c', 'u', 'k', 'low'))
        FROM observation WHERE indicator = ? AND method <> 'shared'
        GROUP BY year ORDER BY year
        """,
        [indicator],
    ).fetchall()
    return [
        NationalTotal(
            indicator,
            int(y),
            float(e) if e is not None else None,
            float(s),
            int(n),
            int(c),
            float(e) - float(s) if e is not None else None,
        )
        for y, e, s, n, c in rows
    ]


def _double_counted(
    con: duckdb.DuckDBPyConnection, indicators: tuple[str, ...]
) -> list[tuple[str, str, int]]:
    rows = con.execute(
        """
        SELECT DISTINCT s.predecessor, s.successor, p.year
        FROM authority_succession s
        JOIN observation p ON p.geo_level = 'la' AND p.geo_code = s.predecessor
        JOIN observation q ON q.geo_level = 'la' AND q.geo_code = s.successor
             AND q.indicator = p.indicator AND q.year = p.year
        WHERE p.indicator IN (SELECT unnest(?)) AND p.value IS NOT NULL
              AND q.value IS NOT NULL
        ORDER BY 1, 2, 3
        """,
        [list(indicators)],
    ).fetchall()
    return [(str(a), str(b), int(y)) for a, b, y in rows]


def reconcile(con: duckdb.DuckDBPyConnection) -> Reconciliation:
    """Check every spliced looked-after series (see the module docstring).

    Raises
    ------
    InputError
        The warehouse was built before the reconciliation table existed.
    """
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'care_reconciliation'"
    ).fetchone()
    if not found or not found[0]:
        raise InputError("the warehouse has no care_reconciliation table; rebuild it")
    counts = tuple(i for i in SPLICED if CATALOGUE[i].is_count)
    return Reconciliation(
        tuple(_check(con, i) for i in SPLICED),
        tuple(t for i in counts for t in _totals(con, i)),
        tuple(_double_counted(con, SPLICED)),
    )


@dataclass(frozen=True)
class PlacementShares:
    """One place's placements at 31 March by type, as published (percent; ``None``
    where suppressed, with the symbol in ``status``)."""

    geo_code: str
    year: int
    shares: tuple[tuple[str, float | None, str | None], ...]

    @property
    def total(self) -> float | None:
        """The sum of the shares, or ``None`` when any is suppressed."""
        vals = [v for _, v, _ in self.shares]
        return None if any(v is None for v in vals) else float(sum(v or 0.0 for v in vals))

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict."""
        return asdict(self) | {"total": self.total}


def placement_shares(
    con: duckdb.DuckDBPyConnection, geo_code: str, year: int | None = None
) -> PlacementShares:
    """Placements at 31 March ``year`` (latest published by default) by type for one
    authority, region or England.

    Raises
    ------
    InputError
        Nothing is published for the place.
    """
    if year is None:
        row = con.execute(
            "SELECT max(year) FROM observation WHERE geo_code = ? AND value IS NOT NULL "
            "AND indicator IN (SELECT unnest(?))",
            [geo_code, list(PLACEMENT_TYPES)],
        ).fetchone()
        if row is None or row[0] is None:
            raise InputError(f"no placements are published for {geo_code}")
        year = int(row[0])
    rows = dict(
        (str(i), (v, s))
        for i, v, s in con.execute(
            "SELECT indicator, value, status FROM observation "
            "WHERE geo_code = ? AND year = ? AND indicator IN (SELECT unnest(?))",
            [geo_code, year, list(PLACEMENT_TYPES)],
        ).fetchall()
    )
    return PlacementShares(
        geo_code,
        year,
        tuple(
            (i, rows[i][0] if i in rows else None, rows[i][1] if i in rows else "x")
            for i in PLACEMENT_TYPES
        ),
    )
