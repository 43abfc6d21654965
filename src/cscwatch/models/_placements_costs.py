"""Weekly unit costs per placement group: published defaults, or the user's own file.

Defaults are the authority's section 251 outturn unit costs as LAIT publishes them (the
catalogue's ``unit_cost_fostering_weekly``, ``unit_cost_residential_weekly`` and
``unit_cost_lac_weekly``), for the latest year with a figure no later than the forecast's
base year; England's figure for that year where the authority has none:

* fostering: ``unit_cost_fostering_weekly`` (fostering outturn per child fostered);
* residential: ``unit_cost_residential_weekly`` (residential care outturn per child);
* with parents, independent living, adoption, other: ``unit_cost_lac_weekly``, the
  outturn on all looked-after children per child looked after. No published unit cost
  exists for these groups; the all-children average is a stand-in, and it overstates
  placements with parents and understates unregistered or supported accommodation.
  A user with better figures gives them with ``--unit-costs``.

A published default that moved by a quarter or more from the year before (Leeds's
fostering unit cost fell from £385 in 2023-24 to £270 in 2024-25, while England's rose)
carries a caution: such a step is more often a change in how the authority accounts for
its spending than in what a placement costs, and the forecast's cost rests on it.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cscwatch.core.errors import InputError, SourceFileError
from cscwatch.models._placements_data import GROUPS

__all__ = ["UnitCosts", "default_unit_costs", "read_unit_costs"]

_INDICATOR = {
    "fostering": "unit_cost_fostering_weekly",
    "residential": "unit_cost_residential_weekly",
}
_ALL = "unit_cost_lac_weekly"
# A default this far from the year before's (as a share of it) gets a caution.
_STEP = 0.25


@dataclass(frozen=True)
class UnitCosts:
    """Weekly cost per group (pounds, cash) and where each came from.

    ``years`` holds, for a published default, the year (ending 31 March) of the
    section 251 outturn it is the cash price of; a cost from the user's file has none.
    """

    costs: dict[str, float]
    sources: dict[str, str]
    years: dict[str, int] = field(default_factory=dict)
    cautions: dict[str, str] = field(default_factory=dict)

    @property
    def price_base(self) -> str:
        """What prices the costs are in, in words (no inflation is ever applied)."""
        parts = []
        published = sorted(set(self.years.values()))
        if published:
            fy = ", ".join(f"{y - 1}-{y % 100:02d}" for y in published)
            parts.append(f"cash prices of {fy} (section 251 outturn unit costs via LAIT)")
        own = sorted(
            {self.sources[g].split(" row ")[0] for g in self.sources if g not in self.years}
        )
        if own:
            parts.append(f"prices as given in {', '.join(own)}")
        return "; ".join(parts) + "; no inflation applied"

    def to_dict(self) -> dict[str, object]:
        """Plain values for JSON."""
        return {
            "costs": self.costs,
            "sources": self.sources,
            "years": self.years,
            "price_base": self.price_base,
            "cautions": self.cautions,
        }


def default_unit_costs(con: duckdb.DuckDBPyConnection, la_code: str | None, year: int) -> UnitCosts:
    """The published defaults for ``la_code`` (England's where None) up to ``year``.

    Raises
    ------
    InputError
        Neither the authority nor England has a published unit cost by ``year``.
    """
    costs: dict[str, float] = {}
    sources: dict[str, str] = {}
    years: dict[str, int] = {}
    cautions: dict[str, str] = {}
    for group in GROUPS:
        ind = _INDICATOR.get(group, _ALL)
        found = None
        for geo, label in ((la_code, f"LA {la_code}"), ("E92000001", "England")):
            if geo is None:
                continue
            row = con.execute(
                "SELECT year, value FROM observation WHERE indicator = ? AND geo_code = ? "
                "AND year <= ? AND value IS NOT NULL ORDER BY year DESC LIMIT 1",
                [ind, geo, year],
            ).fetchone()
            if row is not None and math.isfinite(float(row[1])):
                found = (float(row[1]), f"{ind} {label} {int(row[0])}", int(row[0]))
                caution = _step_caution(con, ind, geo, label, found[2], found[0])
                if caution:
                    cautions[group] = caution
                break
        if found is None:
            raise InputError(f"no published {ind} up to {year}; give --unit-costs")
        costs[group], sources[group], years[group] = found
    return UnitCosts(costs, sources, years, cautions)


def _step_caution(
    con: duckdb.DuckDBPyConnection, ind: str, geo: str, label: str, year: int, value: float
) -> str | None:
    """A caution when ``value`` is a quarter or more away from the year before's figure."""
    row = con.execute(
        "SELECT value FROM observation WHERE indicator = ? AND geo_code = ? AND year = ?",
        [ind, geo, year - 1],
    ).fetchone()
    if row is None or row[0] is None or not math.isfinite(float(row[0])) or row[0] <= 0:
        return None
    before = float(row[0])
    change = value / before - 1
    if abs(change) < _STEP:
        return None
    verb = "rose" if change > 0 else "fell"
    return (
        f"{ind} ({label}) {verb} {abs(change):.0%} in one year, from £{before:,.0f} in "
        f"{year - 2}-{(year - 1) % 100:02d} to £{value:,.0f} in {year - 1}-{year % 100:02d}; "
        "check it before relying on the cost (--unit-costs overrides it)"
    )


def read_unit_costs(path: Path, base: UnitCosts | None = None) -> UnitCosts:
    """A CSV of ``group,weekly_cost`` rows overriding ``base`` (every group if no base).

    Raises
    ------
    SourceFileError
        Unreadable file, missing columns, an unknown group or a cost that is not a
        non-negative number (naming the row); a group missing when there is no base.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceFileError(f"cannot read unit costs: {exc}", path=str(path)) from None
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or not {"group", "weekly_cost"} <= set(reader.fieldnames):
        raise SourceFileError("needs the columns group and weekly_cost", path=str(path), row=1)
    costs = dict(base.costs) if base else {}
    sources = dict(base.sources) if base else {}
    years = dict(base.years) if base else {}
    cautions = dict(base.cautions) if base else {}
    for line, row in enumerate(reader, start=2):
        group = (row["group"] or "").strip()
        if group not in GROUPS:
            raise SourceFileError(
                f"unknown group {group!r}; use {', '.join(GROUPS)}",
                path=str(path),
                row=line,
                column="group",
            )
        try:
            value = float((row["weekly_cost"] or "").replace(",", "").replace("£", ""))
        except ValueError:
            value = float("nan")
        if not math.isfinite(value) or value < 0:
            raise SourceFileError(
                "weekly_cost is not a non-negative number", path=str(path), row=line,
                column="weekly_cost",
            )  # fmt: skip
        costs[group], sources[group] = value, f"{Path(path).name} row {line}"
        years.pop(group, None)
        cautions.pop(group, None)
    missing = [g for g in GROUPS if g not in costs]
    if missing:
        raise SourceFileError(f"no weekly_cost for {', '.join(missing)}", path=str(path))
    return UnitCosts(costs, sources, years, cautions)
