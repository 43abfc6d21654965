"""The measures of one SSDA903 return as a results object, and their tidy files.

:class:`ClaMeasures` holds the exact counts of every layout
(:func:`cscwatch.childlevel.ssda903.measures.compute_cla_measures` makes it) and gives
each layout as the publisher's tidy file: percentages, rates and averages derived from
the counts, then disclosure control by :func:`cscwatch.indicators.disclosure.disclose`
(1 to 5 shown as ``c``; secondary suppression where a group's rows add up to its total;
a percentage, rate or average is ``c`` wherever a count it is made from is), with a
``.meta.csv`` for the layouts DfE does not publish.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cscwatch.childlevel.cin.measures import AuthorityInfo, publisher_text, tidy_geography
from cscwatch.core.errors import InputError
from cscwatch.indicators.cla_layouts import (
    CLA_LAYOUTS,
    GEO_COLUMNS,
    POPULATION_TYPES,
    TOTAL_LABELS,
    ClaLayout,
)
from cscwatch.indicators.disclosure import SUPPRESSED, RowRelation, disclose

__all__ = ["ClaMeasures"]


@dataclass(frozen=True)
class ClaMeasures:
    """The measures of one return: exact counts per layout, and what was not computed.

    Attributes
    ----------
    la_code : str
        The authority's LA number.
    year : int
        The collection year (ending 31 March).
    counts : dict of str → pandas.DataFrame
        Layout key → its filter columns and count columns (exact, before disclosure
        control), in output order.
    notes : tuple of str
        Layouts or rows not computed, and why (no previous year's return, no postcodes).
    authority : AuthorityInfo or None
        Codes and names for the geography columns (blank without).
    population : int or None
        Children 0–17 the rates divide by (``x`` in the file without it).
    """

    la_code: str
    year: int
    counts: dict[str, pd.DataFrame]
    notes: tuple[str, ...] = ()
    authority: AuthorityInfo | None = None
    population: int | None = None
    # Layouts already made by tidy (disclosure control runs once per layout and setting,
    # however many outputs are written).
    _tidied: dict[tuple[str, bool], pd.DataFrame] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def value(self, layout: str, column: str = "children_count", **filters: str) -> int:
        """One exact count: the row of ``layout`` whose filter columns equal ``filters``."""
        frame = self.counts[layout]
        for k, v in filters.items():
            frame = frame[frame[k] == v]
        if len(frame) != 1:
            raise InputError(f"{len(frame)} rows of {layout} match {filters}")
        return int(frame[column].iloc[0])

    def tidy(self, layout: str, *, disclose: bool = True) -> pd.DataFrame:
        """The layout as a tidy file, after disclosure control by default.

        Values are text as the publisher writes it: whole numbers, percentages to the
        layout's places, ``c`` for a suppressed figure, ``z`` for a percentage of
        nothing, ``x`` for a rate without a population. ``disclose=False`` gives exact
        figures (for the authority's own checking only).
        """
        if layout not in self.counts:
            known = ", ".join(self.counts)
            raise InputError(f"layout {layout!r} was not computed; computed: {known}")
        key = (layout, disclose)
        if key not in self._tidied:
            self._tidied[key] = self._tidy(layout, disclose)
        return self._tidied[key].copy()

    def _tidy(self, layout: str, disclose: bool) -> pd.DataFrame:
        # The layout's tidy rows (tidy, uncached).
        spec = CLA_LAYOUTS[layout]
        values = _disclosed(spec, self.counts[layout], self.population, disclose)
        geography = tidy_geography(str(self.year), self.la_code, self.authority)
        geo = {c: str(geography[c]) for c in GEO_COLUMNS}
        # (built as one dict of columns: one frame, not a column at a time)
        n = len(values)
        data: dict[str, list[str]] = {k: [v] * n for k, v in geo.items()}
        for col in spec.columns[len(GEO_COLUMNS) :]:
            data[col] = [publisher_text(v) for v in values[col]]
        data["provisional"] = ["true"] * n
        return pd.DataFrame(data, dtype=object)

    def to_frame(self, *, disclose: bool = True) -> pd.DataFrame:
        """Long form: ``layout, filters, measure, value`` (filters joined with ``/``)."""
        parts = []
        for layout in self.counts:
            spec = CLA_LAYOUTS[layout]
            t = self.tidy(layout, disclose=disclose)
            measures = [c for c in spec.columns[len(GEO_COLUMNS) :] if c not in spec.filters]
            # (row by row, so a layout with no rows, or no filters, gives an empty column)
            t["filters"] = [
                " / ".join(r) for r in t[list(spec.filters)].astype(str).itertuples(index=False)
            ]
            long = t.melt(id_vars=["filters"], value_vars=measures, var_name="measure")
            long.insert(0, "layout", layout)
            parts.append(long)
        out = pd.concat(parts, ignore_index=True)
        out.insert(0, "time_period", self.year)
        out.insert(0, "la_code", self.la_code)
        return out

    def to_dict(self, *, disclose: bool = True) -> dict[str, Any]:
        """Every layout's disclosed rows, and the notes."""
        return {
            "la_code": self.la_code,
            "year": self.year,
            "notes": list(self.notes),
            "layouts": {k: self.tidy(k, disclose=disclose).to_dict("records") for k in self.counts},
        }

    def to_json(self, *, disclose: bool = True) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(disclose=disclose), indent=2, default=str)

    @property
    def summary(self) -> str:
        """A few disclosed headline figures and the notes, for people."""
        cla = self.tidy("cla").set_index("population_type")["children_count"]
        lines = [
            f"Looked-after children measures, LA {self.la_code}, year ending 31 March "
            f"{self.year} (provisional, from the authority's own return):",
            *(f"  {label}: {cla.get(label, 'x')}" for label in POPULATION_TYPES.values()),
        ]
        lines += [f"  Not computed: {n}" for n in self.notes]
        return "\n".join(lines)

    def write_csv(self, out_dir: Path) -> list[Path]:
        """Each layout's tidy CSV after disclosure control, with a ``.meta.csv`` for those
        DfE does not publish; returns the paths."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for layout in self.counts:
            spec = CLA_LAYOUTS[layout]
            path = out_dir / spec.file
            self.tidy(layout).to_csv(path, index=False)
            paths.append(path)
            if not spec.published:
                meta = path.with_name(path.name.removesuffix(".csv") + ".meta.csv")
                _meta(spec).to_csv(meta, index=False)
                paths.append(meta)
        return paths


def _meta(spec: ClaLayout) -> pd.DataFrame:
    # explore-education-statistics metadata: one row per filter and indicator column.
    rows = [
        {"col_name": f, "col_type": "Filter", "label": f.replace("_", " ").capitalize(),
         "indicator_grouping": "", "indicator_unit": "", "indicator_dp": "",
         "filter_hint": "", "filter_grouping_column": ""}
        for f in spec.filters
    ]  # fmt: skip
    for col in spec.columns[len(GEO_COLUMNS) + len(spec.filters) :]:
        unit = "%" if col in spec.percents else ""
        dp = str(spec.digits if col in spec.percents else (1 if col in spec.averages else 0))
        rows.append(
            {"col_name": col, "col_type": "Indicator", "label": col.replace("_", " ").capitalize(),
             "indicator_grouping": "", "indicator_unit": unit, "indicator_dp": dp,
             "filter_hint": "", "filter_grouping_column": ""}
        )  # fmt: skip
    return pd.DataFrame(rows)


def _groups(spec: ClaLayout, frame: pd.DataFrame) -> list[tuple[list[int], int | None]]:
    # (rows of a group, position of its total row) for every group of the layout.
    # Groups in order of first appearance (the frame has a fresh RangeIndex); filter
    # values are never missing.
    keys = list(spec.filters[:-1])
    last = frame[spec.filters[-1]].tolist()
    columns = [frame[k].tolist() for k in keys]
    by: dict[tuple[Any, ...], list[int]] = {}
    for p in range(len(frame)):
        by.setdefault(tuple(c[p] for c in columns), []).append(p)
    out: list[tuple[list[int], int | None]] = []
    for pos in by.values():
        totals = [p for p in pos if last[p] in TOTAL_LABELS]
        out.append(([p for p in pos if p not in totals], totals[0] if totals else None))
    return out


def _disclosed(
    spec: ClaLayout, counts: pd.DataFrame, population: int | None, apply: bool
) -> pd.DataFrame:
    """Counts and derived figures of a layout, disclosure-controlled when ``apply``."""
    frame = counts.reset_index(drop=True).copy()
    groups = _groups(spec, frame)
    den = np.zeros(len(frame), dtype="int64")
    for rows, total in groups:
        if total is not None:
            den[[*rows, total]] = int(frame["children_count"].iloc[total])
    frame["_den"] = den
    derived: dict[str, list[str]] = {}
    digits: dict[str, int] = {}
    for col, num in spec.percents.items():
        d = frame["_den"].astype(float)
        frame[col] = 100.0 * frame[num].astype(float) / d.where(d > 0)
        derived[col], digits[col] = [num, "_den"], spec.digits
    for col, num in spec.rates.items():
        per = 10000.0 / population if population else np.nan
        frame[col] = frame[num].astype(float) * per
        derived[col], digits[col] = [num], 0
    for col, (sums, n) in spec.averages.items():
        d = frame[n].astype(float)
        frame[col] = frame[sums].astype(float) / d.where(d > 0)
        derived[col], digits[col] = [sums, n], 1
    for col in spec.context:
        frame[col] = str(population) if population else "x"
    if not apply:
        out = frame.copy()
        for col, places in digits.items():
            out[col] = [None if pd.isna(v) else round(float(v), places) for v in frame[col]]
        return _no_rate(out, spec, population)
    relations = [RowRelation(tuple(rows), total) for rows, total in groups if spec.additive]
    hidden = [*spec.hidden, "_den"]
    out = disclose(
        frame,
        counts=[*spec.counts, *hidden],
        derived=derived,
        digits=digits,
        row_relations=[r for r in relations if r.parts],
        hidden=hidden,
    )
    # A percentage shown beside a suppressed total would give the total away.
    for rows, total in groups:
        if total is not None and out["children_count"].iloc[total] == SUPPRESSED:
            for col in spec.percents:
                out.loc[out.index[[*rows, total]], col] = SUPPRESSED
    return _no_rate(out, spec, population)


def _no_rate(frame: pd.DataFrame, spec: ClaLayout, population: int | None) -> pd.DataFrame:
    if not population:
        for col in spec.rates:
            frame[col] = [v if v == SUPPRESSED else "x" for v in frame[col]]
    return frame
