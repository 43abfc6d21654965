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
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import duckdb
import pandas as pd

from cscwatch.childlevel.cin.measures import AuthorityInfo, authority_lookup
from cscwatch.childlevel.ssda903.engine import stage, stage_postcodes
from cscwatch.childlevel.ssda903.measure_queries import count_layouts
from cscwatch.childlevel.ssda903.measure_results import ClaMeasures
from cscwatch.childlevel.ssda903.postcodes import PostcodeReference
from cscwatch.core.errors import InputError
from cscwatch.core.progress import ProgressCallback
from cscwatch.indicators._search import Candidate, match
from cscwatch.indicators.authorities import raise_for

__all__ = [
    "MEASURED_PREVIOUS_TABLES",
    "MEASURED_TABLES",
    "cla_authority_lookup",
    "compute_cla_measures",
    "measure_inputs",
    "measure_staged_return",
    "population_lookup",
    "resolve_cla_authority",
]

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
    previous = set(previous)
    counts = count_layouts(
        con, year, keys, previous=previous, has_postcodes=has_postcodes, progress=progress
    )
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
