"""The published looked-after children measures, computed from an SSDA903 return.

Every figure is a DuckDB query over a return staged by :func:`.engine.stage` (the current
year, and optionally the previous year's return), for one authority and one collection
year (``year`` 2025 = 1 April 2024 to 31 March 2025; years are the publisher's). The
results come out in the tidy layouts of :data:`cscwatch.indicators.cla_layouts.CLA_LAYOUTS`:
two of them (``cla``, ``stability``) are exactly DfE's published files, so the warehouse
loads them as provisional rows beside the published ones; the others follow the same
conventions and are written with a ``.meta.csv``.

Definitions
-----------
Sources: DfE, *Children looked after in England including adoptions* methodology
(explore-education-statistics.service.gov.uk/methodology/children-looked-after-in-
england-including-adoptions-methodology: "data processing", footnotes of the national
tables); DfE, *Stability measures for children looked after in England* (the data set
"Placement stability by local authority", whose description defines the three
``cla_group`` rows); DfE, *SSDA903 guide* (field codes: RNE, LS, PLACE, REC, MISSING,
IN_TOUCH, ACTIV, ACCOM). Where the sources leave a choice, the reading taken is said.

Episodes
    The current return's episodes, and the previous year's where given, de-duplicated
    by child and DECOM (the current return wins). Episodes with legal status V3 or V4
    (an agreed series of short-term placements, "short breaks") are left out of every
    figure, as DfE leaves them out of its headline counts. A period of care starts at an
    episode with RNE ``S`` or one whose DECOM is not the previous episode's DEC (the
    episodes of a period of care are contiguous).
At 31 March
    Children with an episode open on 31 March (DECOM on or before, DEC absent or after).
    Legal status, placement type (PLACE) and provider (PLACE_PROVIDER) are the open
    episode's; age is completed years at 31 March in DfE's bands (under 1, 1 to 4, 5 to
    9, 10 to 15, 16 and over); sex from the header, old codes 1/2 and new M/F (anything
    else: "Not known or other").
Started, ceased
    Children starting a period of care in the year (each child once: DfE counts "only
    the first occasion" in the year; characteristics are those of that first occasion:
    legal status and category of need at the start, age at the start, sex). Children
    ceasing in the year: an episode ending in the year with REC other than ``X1``
    (``X1``: the episode ends and another begins in the same period of care); each child
    once, by the reason of the last occasion in the year (REC), age at ceasing, sex.
Placement stability (``la_cla_placement_stability.csv``)
    A placement is an episode that opens a period of care or changes the placement (RNE
    ``S``, ``P``, ``T``, ``B`` or ``U``; ``L`` changes only the legal status), or is the
    first episode in the window; temporary placements (PLACE ``T0`` to ``T4``: hospital,
    holiday, custody...) are not counted. *CLA on 31 March with 3 or more placements
    during the year*: placements overlapping 1 April to 31 March. *CLA 2 years on 31
    March*: looked after on 31 March and continuously for the two years before (period
    of care begun on or before 31 March two years earlier), with 3 or more placements in
    those two years. *Looked after continuously for at least 2.5 years, aged under 16 at
    31 March*, *living with the same carer for at least 2 years*: the carer changes with
    RNE ``S``, ``P`` or ``B`` (``T`` and ``U`` change the placement but keep the
    carer), and the latest carer began at least 2 years before 31 March. The two-year
    and 2.5-year groups need the previous year's return (episodes that ended last year);
    without it they are not computed and :attr:`ClaMeasures.notes` says so. Chains of
    episodes that reach back past the earliest data are taken to start at the earliest
    episode known (so a period of care can be under-counted in length, never over).
    Percentages are whole numbers, as published.
Distance between home and placement
    Children at 31 March by the distance between HOME_POST and PL_POST as DfE derives
    ``PL_DISTANCE`` (:func:`.engine.stage_postcodes` with grid references from
    :mod:`.postcodes`: the straight line on the OS National Grid, metres / 1000 /
    1.6093, to one decimal): 20 miles or less, over 20 miles, not known (a postcode
    missing or not in the reference table). Without reference postcodes the layout is
    not computed, and the notes say so.
Missing
    Children looked after at any time in the year; of them, those with a MISSING
    record of type ``M`` (missing) and ``A`` (away from placement without authorisation)
    starting in the year, and the number of such incidents.
Care leavers (OC3)
    Every OC3 record, by age at 31 March (17 to 18, 19 to 21, other): in touch
    (IN_TOUCH code as given), activity (ACTIV ``F``/``P`` codes: in education,
    employment or training; ``G`` codes: not; anything else: not known) and
    accommodation (ACCOM second character ``1``: suitable, ``2``: not suitable;
    otherwise not known).
Adoption timeliness
    Children adopted in the year (REC ``E11`` or ``E12`` with DEC in the year), and the
    average days from entering care (start of the period of care) to adoption, from
    entering care to moving in with the adoptive family (DECOM of the first episode of
    the period with PLACE ``A3`` to ``A6``, placed for adoption), and from the decision
    that the child should be placed for adoption to being matched (AD1 ``DATE_INT`` to
    ``DATE_MATCH``), each over the children with both dates. From PlacedAdoption:
    children with a decision that they should be placed for adoption made in the year
    (``DATE_PLACED``), and those whose decision ceased in the year other than by
    adoption (``DATE_PLACED_CEASED`` in the year, ``REASON_PLACED_CEASED`` not E11/E12).

Disclosure: :meth:`ClaMeasures.tidy` passes each layout through
:func:`cscwatch.indicators.disclosure.disclose` (1 to 5 shown as ``c``; secondary
suppression where a group's rows add up to its total; a percentage, rate or average is
``c`` wherever a count it is made from is). :attr:`ClaMeasures.counts` keeps the exact
counts, for tests and the authority's own checking.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from cscwatch.childlevel.cin.measures import AuthorityInfo, authority_lookup, publisher_text
from cscwatch.childlevel.ssda903.engine import stage, stage_postcodes
from cscwatch.childlevel.ssda903.postcodes import PostcodeReference
from cscwatch.core.errors import InputError
from cscwatch.core.progress import ProgressCallback, tick
from cscwatch.indicators._search import Candidate, match
from cscwatch.indicators.authorities import raise_for
from cscwatch.indicators.cla_layouts import (
    CLA_LAYOUTS,
    GEO_COLUMNS,
    POPULATION_TYPES,
    STABILITY_GROUPS,
    TOTAL_LABELS,
    ClaLayout,
)
from cscwatch.indicators.disclosure import SUPPRESSED, RowRelation, disclose

__all__ = [
    "AGE_BANDS",
    "MEASURED_PREVIOUS_TABLES",
    "MEASURED_TABLES",
    "ClaMeasures",
    "cla_authority_lookup",
    "compute_cla_measures",
    "measure_inputs",
    "measure_staged_return",
    "population_lookup",
    "resolve_cla_authority",
]

#: DfE's age bands at 31 March (completed years).
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("Under 1 year", 0, 1),
    ("1 to 4 years", 1, 5),
    ("5 to 9 years", 5, 10),
    ("10 to 15 years", 10, 16),
    ("16 years and over", 16, 200),
)
#: The staged tables the measures read (:func:`measure_staged_return`): of the return,
#: and of the previous year's (``<name>_last``).
MEASURED_TABLES: tuple[str, ...] = (
    "ad1", "episodes", "header", "missing", "oc3", "placed_for_adoption"
)  # fmt: skip
MEASURED_PREVIOUS_TABLES: tuple[str, ...] = ("episodes", "header")
_CLA_FILE = "cla_number_and_rate_per_10k_children.csv"
_ONS_FILE = "ons_mid-year_population_estimates_2012_to_2024.csv"


def cla_authority_lookup(snapshot_dir: Path, *, former: bool = False) -> dict[str, AuthorityInfo]:
    """LA number → latest codes and names, from the snapshot's looked-after file.

    With ``former``, also the authorities abolished before that file's years (Dorset 835,
    Poole 836 and Bournemouth 837 before April 2019), with their own codes and names from
    the CIN referrals file, which starts in 2012-13: their old returns can be stored and
    labelled. Names are resolved over current authorities only (``resolve_la``), so
    "Dorset" stays 838 and "Bournemouth" 839; a former authority is named by its number.
    """
    current = authority_lookup(snapshot_dir, _CLA_FILE)
    return {**authority_lookup(snapshot_dir), **current} if former else current


def resolve_cla_authority(text: str, authorities: Mapping[str, AuthorityInfo]) -> AuthorityInfo:
    """The authority named by LA number, GSS code, name or common short name.

    The product's one matcher (:func:`cscwatch.indicators._search.match`, as the
    warehouse resolver uses): "Hull", "Telford" and "Herefordshire" name one authority
    each; misspellings are offered, never taken.

    Raises
    ------
    AmbiguousAuthorityError
        When several authorities match equally ("Kingston"), listing them.
    UnknownAuthorityError
        When none matches, with close spellings as suggestions.
    """
    cands = [
        Candidate(la_code=a.la_code, name=a.name, codes=(a.gss_code,)) for a in authorities.values()
    ]
    found = match(text, cands)
    if found.la_code is None:
        raise_for(text, found)
    return authorities[str(found.la_code)]


def population_lookup(snapshot_dir: Path, la_code: str, year: int) -> int | None:
    """Children 0–17 an authority's rates for ``year`` divide by, as DfE divides them.

    The ONS mid-year estimate of June ``year - 1`` (the latest before it when the
    snapshot has none that late); None when the snapshot has no estimate.
    """
    path = Path(snapshot_dir) / _ONS_FILE
    if not path.is_file():
        return None
    found = [n for y, n in _populations(str(path), path.stat().st_mtime_ns).get(str(la_code), ())
             if y <= year - 1]  # fmt: skip
    return found[-1] if found else None


@functools.lru_cache(maxsize=2)
def _populations(path: str, mtime_ns: int) -> dict[str, list[tuple[int, int]]]:
    # LA number -> (year, estimate) by year, read once per file (and file version): a
    # national run asks for every authority's.
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = df[df.geographic_level == "Local authority"]
    df = df[df.population_estimate.str.fullmatch(r"\d+")]
    df = df.assign(year=df.time_period.astype(int)).sort_values("year", kind="stable")
    out: dict[str, list[tuple[int, int]]] = {}
    for la, y, n in zip(df.old_la_code, df.year, df.population_estimate, strict=True):
        out.setdefault(str(la), []).append((int(y), int(n)))
    return out


# ---------------------------------------------------------------------------------------
# SQL over the input views ``_cm_in_<table>`` (the staged or stored tables, each row
# keyed by ``_la``: the authority whose return it is) and the ``_cm_period`` row. Every
# return of a year is measured at once; each child and each count is within its ``_la``.

_SQL_EPISODES = """
CREATE OR REPLACE TEMP TABLE _cm_ep AS
WITH allep AS (
  SELECT 0 AS pri, _la, child, decom_d, dec_d, rne, ls, cin, place, place_provider, rec,
         home_post, pl_post FROM _cm_in_episodes
  UNION ALL
  SELECT 1, _la, child, decom_d, dec_d, rne, ls, cin, place, place_provider, rec,
         home_post, pl_post FROM _cm_in_episodes_last
), kept AS (  -- one episode per child and DECOM, the current return's first
  SELECT DISTINCT ON (_la, child, decom_d) * EXCLUDE (pri) FROM allep
  WHERE child IS NOT NULL AND decom_d IS NOT NULL AND coalesce(ls, '') NOT IN ('V3', 'V4')
  ORDER BY _la, child, decom_d, pri
), marked AS (
  SELECT *,
    rne = 'S' OR lag(dec_d) OVER w IS DISTINCT FROM decom_d AS new_poc,
    rne IN ('S', 'P', 'T', 'B', 'U') AS new_placement,
    coalesce(place, '') IN ('T0', 'T1', 'T2', 'T3', 'T4') AS temporary
  FROM kept WINDOW w AS (PARTITION BY _la, child ORDER BY decom_d)
)
-- Running values along each child's episodes (one sort): the period of care's number
-- and start, and the start of the latest carer (S, P or B change the carer).
SELECT *,
  sum(new_poc::INT) OVER w AS poc_no,
  max(CASE WHEN new_poc THEN decom_d END) OVER w AS poc_start,
  max(CASE WHEN new_poc OR rne IN ('P', 'B') THEN decom_d END) OVER w AS carer_start
FROM marked WINDOW w AS (PARTITION BY _la, child ORDER BY decom_d ROWS UNBOUNDED PRECEDING)
"""

_SQL_CHILD = """
CREATE OR REPLACE TEMP TABLE _cm_child AS
SELECT _la, child, arg_min(dob_d, pri) AS dob, arg_min(sex, pri) AS sex FROM (
  SELECT 0 AS pri, _la, child, dob_d, sex FROM _cm_in_header
  UNION ALL SELECT 1, _la, child, dob_d, sex FROM _cm_in_header_last
) WHERE child IS NOT NULL GROUP BY _la, child
"""

_AGE = (
    "(year({d}) - year({dob}) - CASE WHEN strftime({dob}, '%m%d') > strftime({d}, '%m%d') "
    "THEN 1 ELSE 0 END)"
)


def _band_sql(age: str) -> str:
    whens = " ".join(f"WHEN {age} < {hi} THEN '{label}'" for label, _, hi in AGE_BANDS)
    return f"CASE WHEN {age} IS NULL OR {age} < 0 THEN 'Not known' {whens} END"


_SEX = (
    "CASE WHEN upper(sex) IN ('1', 'M') THEN 'Male' WHEN upper(sex) IN ('2', 'F') "
    "THEN 'Female' ELSE 'Not known or other' END"
)

_SQL_AT31 = f"""
CREATE OR REPLACE TEMP TABLE _cm_at31 AS
SELECT e._la, e.child, arg_max_null(e.ls, e.decom_d) AS ls,
       arg_max_null(e.place, e.decom_d) AS place,
       arg_max_null(e.place_provider, e.decom_d) AS provider,
       arg_max(e.poc_start, e.decom_d) AS poc_start,
       arg_max(e.carer_start, e.decom_d) AS carer_start,
       arg_max_null(e.home_post, e.decom_d) AS home_post,
       arg_max_null(e.pl_post, e.decom_d) AS pl_post,
       any_value({_AGE.format(d="p.ye", dob="c.dob")}) AS age,
       any_value({_SEX}) AS sex_label
FROM _cm_ep e CROSS JOIN _cm_period p LEFT JOIN _cm_child c USING (_la, child)
WHERE e.decom_d <= p.ye AND (e.dec_d IS NULL OR e.dec_d > p.ye)
GROUP BY e._la, e.child
"""

_SQL_STARTED = f"""
CREATE OR REPLACE TEMP TABLE _cm_started AS
SELECT e._la, e.child, arg_min_null(e.ls, e.decom_d) AS ls, arg_min_null(e.cin, e.decom_d) AS cin,
       min({_AGE.format(d="e.decom_d", dob="c.dob")}) AS age, any_value({_SEX}) AS sex_label
FROM _cm_ep e CROSS JOIN _cm_period p LEFT JOIN _cm_child c USING (_la, child)
WHERE e.new_poc AND e.decom_d BETWEEN p.ys AND p.ye
GROUP BY e._la, e.child
"""

_SQL_CEASED = f"""
CREATE OR REPLACE TEMP TABLE _cm_ceased AS
SELECT e._la, e.child, arg_max(e.rec, e.dec_d) AS rec,
       max({_AGE.format(d="e.dec_d", dob="c.dob")}) AS age, any_value({_SEX}) AS sex_label
FROM _cm_ep e CROSS JOIN _cm_period p LEFT JOIN _cm_child c USING (_la, child)
WHERE e.dec_d BETWEEN p.ys AND p.ye AND e.rec IS NOT NULL AND e.rec <> 'X1'
GROUP BY e._la, e.child
"""

# Placements of each child overlapping [lo, ye]: the first episode in the window counts
# as a placement whatever its RNE.
_SQL_PLACEMENTS = """
SELECT _la, child,
       count(*) FILTER (WHERE NOT temporary AND (new_placement OR first_in)) AS n
FROM (
  SELECT e.*, row_number() OVER (PARTITION BY e._la, e.child ORDER BY e.decom_d) = 1 AS first_in
  FROM _cm_ep e CROSS JOIN _cm_period p
  WHERE e.decom_d <= p.ye AND (e.dec_d IS NULL OR e.dec_d >= {lo})
) GROUP BY _la, child
"""


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
        info = self.authority
        geo = {
            "time_period": str(self.year),
            "time_identifier": "Reporting year",
            "geographic_level": "Local authority",
            "country_code": "E92000001",
            "country_name": "England",
            "region_code": info.region_code if info else "",
            "region_name": info.region_name if info else "",
            "old_la_code": self.la_code,
            "la_name": info.name if info else "",
            "new_la_code": info.gss_code if info else "",
        }
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


# ---------------------------------------------------------------------------------------


def _rows(records: list[tuple[Any, ...]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=columns)
    # Counts are whole numbers; a figure that does not apply to a row stays None (z).
    for col in columns:
        if col == "children_count":
            frame[col] = frame[col].fillna(0).astype("int64")
        elif col in ("incidents_count", "total_days"):
            frame[col] = pd.Series(
                [None if pd.isna(v) else int(v) for v in frame[col]], dtype=object
            )
    return frame


def _by_la(found: list[tuple[Any, ...]]) -> dict[str, list[tuple[Any, ...]]]:
    # Rows whose first column is the authority (``_la``) -> the rest, by authority.
    out: dict[str, list[tuple[Any, ...]]] = {}
    for row in found:
        out.setdefault(str(row[0]), []).append(tuple(row[1:]))
    return out


def _one_by_la(
    cur: duckdb.DuckDBPyConnection, sql: str, empty: tuple[Any, ...]
) -> dict[str, tuple[Any, ...]]:
    # One row per authority (``SELECT _la, ... GROUP BY _la``); ``empty`` stands for an
    # authority with no row (the ungrouped aggregate over nothing).
    found = _by_la(cur.execute(sql).fetchall())
    return defaultdict(lambda: empty, {la: rows[0] for la, rows in found.items()})


def _breakdown(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    label: str | None,
    characteristics: dict[str, str],
    by: str | None = None,
) -> dict[str, list[tuple[Any, ...]]]:
    # Authority -> (population_type, characteristic, value, count) with a Total row per
    # characteristic; one query (the table's total is characteristic -1). With ``by`` (a
    # column), one breakdown per value of it, in its order, labelled with the value
    # instead of ``label``.
    g = f"{by}, " if by else ""
    parts = [f"SELECT _la, {g}-1 AS k, NULL AS v, count(*) AS n FROM {table} GROUP BY {g}_la"] + [
        f"SELECT _la, {g}{k} AS k, coalesce(({expr})::VARCHAR, 'Not known') AS v, count(*) AS n "
        f"FROM {table} GROUP BY _la, {g}v"
        for k, expr in enumerate(characteristics.values())
    ]
    found = cur.execute(" UNION ALL ".join(parts) + f" ORDER BY _la, {g}k, v").fetchall()
    out: dict[str, list[tuple[Any, ...]]] = {}
    for la, rows in _by_la(found).items():
        groups: dict[Any, tuple[int, dict[int, list[tuple[str, int]]]]] = {}
        for row in rows:
            group, (k, v, count) = (row[0], row[1:]) if by else (label, row)
            if int(k) == -1:
                groups[group] = (int(count), {})
            else:
                groups[group][1].setdefault(int(k), []).append((str(v), int(count)))
        part: list[tuple[Any, ...]] = []
        for group, (n, found_by) in groups.items():
            for k, name in enumerate(characteristics):
                part += [(group, name, v, count) for v, count in found_by.get(k, [])]
                part.append((group, name, "Total", n))
        out[la] = part
    return out


def _empty_breakdown(label: str, characteristics: dict[str, str]) -> list[tuple[Any, ...]]:
    # An authority with no rows in the table: a zero Total per characteristic.
    return [(label, name, "Total", 0) for name in characteristics]


def _stability(
    cur: duckdb.DuckDBPyConnection, keys: Sequence[str], previous: Collection[str]
) -> dict[str, pd.DataFrame]:
    groups = list(STABILITY_GROUPS.items())
    one_year = _one_by_la(
        cur,
        f"SELECT a._la, count(*), count(*) FILTER (WHERE pl.n >= 3) FROM _cm_at31 a "
        f"LEFT JOIN ({_SQL_PLACEMENTS.format(lo='p.ys')}) pl USING (_la, child) GROUP BY a._la",
        (0, 0),
    )
    two: Mapping[str, tuple[Any, ...]] = {}
    long: Mapping[str, tuple[Any, ...]] = {}
    if previous:
        two = _one_by_la(
            cur,
            f"SELECT a._la, count(*), count(*) FILTER (WHERE pl.n >= 3) FROM _cm_at31 a "
            f"CROSS JOIN _cm_period p "
            f"LEFT JOIN ({_SQL_PLACEMENTS.format(lo='p.ye - INTERVAL 2 YEAR + INTERVAL 1 DAY')})"
            f" pl USING (_la, child) WHERE a.poc_start <= p.ye - INTERVAL 2 YEAR GROUP BY a._la",
            (0, 0),
        )
        long = _one_by_la(
            cur,
            "SELECT a._la, count(*), "
            "count(*) FILTER (WHERE a.carer_start <= p.ye - INTERVAL 2 YEAR) "
            "FROM _cm_at31 a CROSS JOIN _cm_period p "
            "WHERE a.age < 16 AND a.poc_start <= p.ye - INTERVAL 30 MONTH GROUP BY a._la",
            (0, 0),
        )
    out = {}
    for la in keys:
        (g, (part, total)) = groups[0]
        res = one_year[la]
        rows: list[tuple[Any, ...]] = [(g, part, int(res[1])), (g, total, int(res[0]))]
        if la in previous:
            for (g, (part, total)), res in zip(groups[1:], (two[la], long[la]), strict=True):
                rows += [(g, part, int(res[1])), (g, total, int(res[0]))]
        out[la] = _rows(rows, ["cla_group", "placement_stability", "children_count"])
    return out


def _distance(cur: duckdb.DuckDBPyConnection, keys: Sequence[str]) -> dict[str, pd.DataFrame]:
    bands = _by_la(
        cur.execute(
            """
            SELECT _la, CASE WHEN m IS NULL THEN 'Not known' WHEN m <= 20 THEN '20 miles or less'
                        ELSE 'Over 20 miles' END AS band, count(*)
            FROM (SELECT _la, pc_miles(home_post, pl_post) AS m FROM _cm_at31) GROUP BY _la, band
            """
        ).fetchall()
    )
    labels = ["20 miles or less", "Over 20 miles", "Not known"]
    out = {}
    for la in keys:
        found = dict(bands.get(la, []))
        rows = [(b, int(found.get(b, 0))) for b in labels]
        rows.append(("Total", sum(int(v) for _, v in rows)))
        out[la] = _rows(rows, ["distance_band", "children_count"])
    return out


def _missing(cur: duckdb.DuckDBPyConnection, keys: Sequence[str]) -> dict[str, pd.DataFrame]:
    cur.execute(
        """
        CREATE OR REPLACE TEMP TABLE _cm_during AS
        SELECT DISTINCT e._la, e.child FROM _cm_ep e CROSS JOIN _cm_period p
        WHERE e.decom_d <= p.ye AND (e.dec_d IS NULL OR e.dec_d >= p.ys)
        """
    )
    during = _one_by_la(cur, "SELECT _la, count(*) FROM _cm_during GROUP BY _la", (0,))
    inc = _one_by_la(
        cur,
        """
        WITH inc AS (
          SELECT m._la, m.child, upper(m.missing) AS kind
          FROM _cm_in_missing m CROSS JOIN _cm_period p
          WHERE m.mis_start_d BETWEEN p.ys AND p.ye
            AND EXISTS (SELECT 1 FROM _cm_during d WHERE d._la = m._la AND d.child = m.child)
        )
        SELECT _la,
          count(DISTINCT child) FILTER (WHERE kind = 'M'), count(*) FILTER (WHERE kind = 'M'),
          count(DISTINCT child) FILTER (WHERE kind = 'A'), count(*) FILTER (WHERE kind = 'A')
        FROM inc GROUP BY _la
        """,
        (0, 0, 0, 0),
    )
    out = {}
    for la in keys:
        res = inc[la]
        rows = [
            ("Looked after during the year", int(during[la][0]), None),
            ("Missing", int(res[0]), int(res[1])),
            ("Away from placement without authorisation", int(res[2]), int(res[3])),
        ]
        out[la] = _rows(rows, ["missing_type", "children_count", "incidents_count"])
    return out


_OC3 = {
    "In touch": "in_touch",
    "Activity": "CASE WHEN left(upper(activ), 1) IN ('F', 'P') THEN "
    "'In education, employment or training' WHEN left(upper(activ), 1) = 'G' THEN "
    "'Not in education, employment or training' ELSE 'Information not known' END",
    "Accommodation": "CASE substr(accom, 2, 1) WHEN '1' THEN 'Suitable' WHEN '2' THEN "
    "'Not suitable' ELSE 'Information not known' END",
}


def _care_leavers(cur: duckdb.DuckDBPyConnection, keys: Sequence[str]) -> dict[str, pd.DataFrame]:
    age = _AGE.format(d="p.ye", dob="o.dob_d")
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cm_oc3 AS
        SELECT o.*, CASE WHEN {age} BETWEEN 17 AND 18 THEN '17 to 18'
                         WHEN {age} BETWEEN 19 AND 21 THEN '19 to 21' ELSE 'Other ages' END
                    AS age_group
        FROM _cm_in_oc3 o CROSS JOIN _cm_period p WHERE o.child IS NOT NULL
        """
    )
    found = _breakdown(cur, "_cm_oc3", None, _OC3, by="age_group")
    columns = ["age_group", "characteristic", "characteristic_value", "children_count"]
    return {la: _rows(found.get(la, []), columns) for la in keys}


def _adoption(cur: duckdb.DuckDBPyConnection, keys: Sequence[str]) -> dict[str, pd.DataFrame]:
    adopted = _one_by_la(
        cur,
        """
        WITH adopted AS (
          SELECT e._la, e.child, max(e.dec_d) AS dec_d,
                 arg_max(e.poc_start, e.dec_d) AS poc_start, arg_max(e.poc_no, e.dec_d) AS poc_no
          FROM _cm_ep e CROSS JOIN _cm_period p
          WHERE e.rec IN ('E11', 'E12') AND e.dec_d BETWEEN p.ys AND p.ye GROUP BY e._la, e.child
        ), placed AS (
          SELECT a._la, a.child, min(e.decom_d) AS placed_d FROM adopted a JOIN _cm_ep e
            ON e._la = a._la AND e.child = a.child AND e.poc_no = a.poc_no
               AND e.place IN ('A3', 'A4', 'A5', 'A6')
          GROUP BY a._la, a.child
        ), matched AS (
          SELECT _la, child, max(date_match_d - date_int_d) AS days FROM _cm_in_ad1
          WHERE date_int_d IS NOT NULL AND date_match_d >= date_int_d GROUP BY _la, child
        )
        SELECT a._la, count(*),
          count(*), sum(a.dec_d - a.poc_start),
          count(pl.placed_d), sum(pl.placed_d - a.poc_start),
          count(m.days), sum(m.days)
        FROM adopted a LEFT JOIN placed pl USING (_la, child) LEFT JOIN matched m USING (_la, child)
        GROUP BY a._la
        """,
        (0, 0, None, 0, None, 0, None),
    )
    # PlacedAdoption: decisions that a child should be placed for adoption made in the
    # year, and decisions that ceased in the year other than by adoption (E11, E12).
    decisions = _one_by_la(
        cur,
        """
        SELECT _la,
               count(DISTINCT child) FILTER (WHERE date_placed_d BETWEEN p.ys AND p.ye),
               count(DISTINCT child) FILTER (WHERE date_placed_ceased_d BETWEEN p.ys AND p.ye
                 AND coalesce(upper(reason_placed_ceased), '') NOT IN ('E11', 'E12'))
        FROM _cm_in_placed_for_adoption CROSS JOIN _cm_period p WHERE child IS NOT NULL
        GROUP BY _la
        """,
        (0, 0),
    )
    out = {}
    for la in keys:
        res, dec = adopted[la], decisions[la]
        rows = [
            ("Adopted in the year", res[0], None),
            ("Entering care to adoption", res[1], res[2]),
            ("Entering care to moving in with the adoptive family", res[3], res[4]),
            ("Decision to place for adoption to match", res[5], res[6]),
            ("Decision to place for adoption made in the year", dec[0], None),
            ("Decision to place for adoption ceased in the year, not adopted", dec[1], None),
        ]
        out[la] = _rows(
            [(s, int(n or 0), None if t is None else int(t)) for s, n, t in rows],
            ["adoption_stage", "children_count", "total_days"],
        )
    return out


def compute_cla_measures(
    con: duckdb.DuckDBPyConnection,
    current: Mapping[str, pd.DataFrame],
    *,
    la_code: str,
    year: int,
    previous: Mapping[str, pd.DataFrame] | None = None,
    postcodes: PostcodeReference | None = None,
    authority: AuthorityInfo | None = None,
    population: int | None = None,
    progress: ProgressCallback | None = None,
) -> ClaMeasures:
    """Compute every measure of one return (see the module docstring for definitions).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Where to stage the return (an in-memory database; its temporary tables are
        replaced).
    current, previous : mapping of str → DataFrame
        The return's tables as :func:`.reader.read_return` gives them
        (``Return903.tables``), and optionally the previous year's.
    la_code : str
        The authority's LA number (for the geography columns).
    year : int
        The collection year, ending 31 March (2025 = 1 April 2024 to 31 March 2025).
    postcodes : PostcodeReference, optional
        Grid references of the return's postcodes (:func:`.postcodes.reference_postcodes`);
        the distance layout needs them.
    authority : AuthorityInfo, optional
        Codes and names (:func:`cla_authority_lookup`).
    population : int, optional
        Children 0–17 for the rates (:func:`population_lookup`).
    progress : ProgressCallback, optional
        Told as each layout is computed (stage "computing measures").

    Raises
    ------
    InputError
        When the return has no episodes table.
    """
    if "episodes" not in current:
        raise InputError("an SSDA903 return needs its episodes table to be measured")
    # Staging needs a ruleset only for its ``collection`` row; measures use their own
    # period (any year), so the earliest ruleset is staged and the period set here.
    stage(con, "lac2022_23", current, previous)
    if postcodes is not None:
        stage_postcodes(con, postcodes.grid, grid=True, district=postcodes.district)
    return measure_staged_return(
        con,
        la_code=la_code,
        year=year,
        has_previous=bool(previous) and "episodes" in (previous or {}),
        has_postcodes=postcodes is not None,
        authority=authority,
        population=population,
        progress=progress,
    )


def measure_staged_return(
    con: duckdb.DuckDBPyConnection,
    *,
    la_code: str,
    year: int,
    has_previous: bool,
    has_postcodes: bool = False,
    authority: AuthorityInfo | None = None,
    population: int | None = None,
    progress: ProgressCallback | None = None,
) -> ClaMeasures:
    """Measure a return already staged on ``con`` by :func:`.engine.stage` (and
    :func:`.engine.stage_postcodes` when ``has_postcodes``), so a caller that validates
    the return too reads and stages it once. Parameters as
    :func:`compute_cla_measures`; ``has_previous`` says whether the previous year's
    episodes were staged (``episodes_last``). The staged ``collection`` row is not used:
    the period is ``year``'s.
    """
    key = str(la_code).replace("'", "''")
    for name in MEASURED_TABLES:
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW _cm_in_{name} AS SELECT '{key}' AS _la, * FROM {name}"
        )
    for name in MEASURED_PREVIOUS_TABLES:
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW _cm_in_{name}_last AS "
            f"SELECT '{key}' AS _la, * FROM {name}_last"
        )
    return measure_inputs(
        con,
        year,
        [str(la_code)],
        previous=[str(la_code)] if has_previous else [],
        has_postcodes=has_postcodes,
        authorities={str(la_code): authority} if authority is not None else {},
        populations={str(la_code): population},
        progress=progress,
    )[0]


def measure_inputs(
    con: duckdb.DuckDBPyConnection,
    year: int,
    keys: Sequence[str],
    *,
    previous: Collection[str],
    has_postcodes: bool = False,
    authorities: Mapping[str, AuthorityInfo] | None = None,
    populations: Mapping[str, int | None] | None = None,
    progress: ProgressCallback | None = None,
) -> list[ClaMeasures]:
    """Measure every authority's return of ``year`` at once, from the input views
    ``_cm_in_<table>`` (:data:`MEASURED_TABLES`, and ``_cm_in_<table>_last`` of
    :data:`MEASURED_PREVIOUS_TABLES`: the previous year's) that the caller made on
    ``con``, each row keyed by ``_la``, the authority whose return it is.

    Every query runs once over all the authorities, grouped (and its windows
    partitioned) by ``_la``, so a child is followed within its authority and the figures
    are those of measuring each return alone.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Where the input views are (and, with ``has_postcodes``, the ``pc_miles`` macro
        of :func:`.engine.stage_postcodes`).
    year : int
        The collection year, ending 31 March.
    keys : sequence of str
        The authorities (``_la`` values) to measure, in the order returned; one with no
        rows is measured as an empty return.
    previous : collection of str
        The authorities whose previous year's return is in the ``_last`` views (the
        two-year stability measures are computed for them only).
    has_postcodes : bool
        Whether the distance layout can be computed.
    authorities : mapping of LA number to AuthorityInfo, optional
        Codes and names for the geography columns.
    populations : mapping of LA number to int or None, optional
        Children 0–17 the rates divide by.
    progress : ProgressCallback, optional
        Told as each layout is computed (stage "computing measures").
    """
    start, end = date(year - 1, 4, 1), date(year, 3, 31)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _cm_period AS SELECT ?::DATE AS ys, ?::DATE AS ye",
        [start, end],
    )
    previous = set(previous)
    for sql in (_SQL_EPISODES, _SQL_CHILD, _SQL_AT31, _SQL_STARTED, _SQL_CEASED):
        con.execute(sql)
    counts: dict[str, dict[str, pd.DataFrame]] = {la: {} for la in keys}
    for layout in tick(list(CLA_LAYOUTS), progress, "computing measures"):
        found: dict[str, pd.DataFrame] = {}
        if layout == "cla":
            n = {
                k: _one_by_la(con, f"SELECT _la, count(*) FROM _cm_{k} GROUP BY _la", (0,))
                for k in POPULATION_TYPES
            }
            for la in keys:
                rows = [(POPULATION_TYPES[k], int(n[k][la][0])) for k in POPULATION_TYPES]
                found[la] = _rows(rows, ["population_type", "children_count"])
        elif layout == "stability":
            found = _stability(con, keys, previous)
        elif layout == "characteristics":
            band = _band_sql("age")
            at31 = {"Legal status": "ls", "Placement type": "place",
                    "Placement provider": "provider", "Age": band, "Sex": "sex_label"}  # fmt: skip
            started = {"Legal status": "ls", "Category of need": "cin", "Age": band,
                       "Sex": "sex_label"}  # fmt: skip
            ceased = {"Reason ceased": "rec", "Age": band, "Sex": "sex_label"}
            parts = [
                (
                    POPULATION_TYPES[k],
                    chars,
                    _breakdown(con, f"_cm_{k}", POPULATION_TYPES[k], chars),
                )
                for k, chars in (("at31", at31), ("started", started), ("ceased", ceased))
            ]
            for la in keys:
                rows = [
                    r
                    for label, chars, by in parts
                    for r in by.get(la) or _empty_breakdown(label, chars)
                ]
                found[la] = _rows(
                    rows,
                    ["population_type", "characteristic", "characteristic_value",
                     "children_count"],
                )  # fmt: skip
        elif layout == "distance":
            if has_postcodes:
                found = _distance(con, keys)
        elif layout == "missing":
            found = _missing(con, keys)
        elif layout == "care_leavers":
            found = _care_leavers(con, keys)
        elif layout == "adoption":
            found = _adoption(con, keys)
        for la, frame in found.items():
            counts[la][layout] = frame
    out = []
    for la in keys:
        notes: list[str] = []
        if la not in previous:
            notes.append(
                "placement stability over 2 years and the 2.5-year same-carer measure "
                "need the previous year's return (give it with --previous)"
            )
        if not has_postcodes:
            notes.append(
                "distance between home and placement needs reference postcode "
                "coordinates, which were not given"
            )
        out.append(
            ClaMeasures(
                la_code=str(la),
                year=int(year),
                counts=counts[la],
                notes=tuple(notes),
                authority=(authorities or {}).get(la),
                population=(populations or {}).get(la),
            )
        )
    return out
