"""How current the warehouse is: each source's latest published year, and the date the
Ofsted record runs to — read from the warehouse, for the banner on every page.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date

import duckdb

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.types import PeriodKind, period_label

__all__ = ["DataCurrency", "SourceCurrency", "data_currency"]


@dataclass(frozen=True)
class SourceCurrency:
    """One publication's latest year in the warehouse.

    ``title`` is the publisher's title (several files of one publication count once),
    ``year`` the publisher's latest ``time_period`` with any published figure and
    ``period_label`` that year as the publisher names it for most of its indicators
    (``2024-25``, ``30 September 2025``, ``mid-2024``).
    """

    title: str
    source_ids: tuple[str, ...]
    year: int
    period_label: str


@dataclass(frozen=True)
class DataCurrency:
    """Every source's latest year and the date the Ofsted record runs to (``None``
    when the warehouse has no Ofsted tables)."""

    sources: tuple[SourceCurrency, ...]
    ofsted_record_to: date | None

    def to_dict(self) -> dict[str, object]:
        """Plain dict (for JSON)."""
        d = asdict(self)
        d["ofsted_record_to"] = (
            None if self.ofsted_record_to is None else str(self.ofsted_record_to)
        )
        return d

    @property
    def summary(self) -> str:
        """One line: ``Children in need 2024-25; …; Ofsted record to 18 June 2026``."""
        parts = [f"{s.title} {s.period_label}" for s in self.sources]
        if self.ofsted_record_to is not None:
            d = self.ofsted_record_to
            parts.append(f"Ofsted record to {d.day} {d:%B %Y}")
        return "; ".join(parts)


def data_currency(con: duckdb.DuckDBPyConnection) -> DataCurrency:
    """Each source's latest published year (an authority's own provisional return left
    out) and the date the Ofsted record runs to."""
    from cscwatch.indicators.judgements import ofsted_record
    from cscwatch.store.inspections import has_inspection_tables, read_inspections

    rows = con.execute(
        """
        SELECT coalesce(s.title, o.source_id), o.source_id, o.indicator, max(o.year)
        FROM observation o LEFT JOIN source s USING (source_id)
        WHERE NOT o.provisional AND o.value IS NOT NULL AND o.source_id IS NOT NULL
        GROUP BY ALL ORDER BY 1, 2, 3
        """
    ).fetchall()
    by_title: dict[str, list[tuple[str, str, int]]] = {}
    for title, source_id, indicator, year in rows:
        by_title.setdefault(str(title), []).append((str(source_id), str(indicator), int(year)))
    sources = []
    for title, items in by_title.items():
        latest = max(y for _, _, y in items)
        kinds = Counter(
            CATALOGUE[i].period_kind if i in CATALOGUE else PeriodKind.FINANCIAL_YEAR
            for _, i, y in items
            if y == latest
        )
        kind = kinds.most_common(1)[0][0]
        sources.append(
            SourceCurrency(
                title=title,
                source_ids=tuple(sorted({s for s, _, _ in items})),
                year=latest,
                period_label=period_label(kind, latest),
            )
        )
    runs_to = None
    if has_inspection_tables(con):
        runs_to = ofsted_record(read_inspections(con)).runs_to
    return DataCurrency(tuple(sources), runs_to)
