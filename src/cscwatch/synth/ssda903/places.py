"""Home and placement postcodes, social worker episodes and DfE's withdrawal of P2, for
simulated children.

Both are drawn after the simulation, from random streams of their own, so adding them
changes none of the calibrated figures.

* **Postcodes.** Real postcodes from the reference package
  (:func:`cscwatch.childlevel.ssda903.postcodes.postcodes_around`): each child's home
  postcode from the authority's own districts; each placement's postcode from them too,
  or, for a share :data:`OUT_OF_AREA` of placements, from postcodes outside the
  authority within :data:`MARGIN_M` of its bounding box, so the distance rules have
  real distances to work on. Placed with parents (P1) is at home; a change of legal
  status alone (RNE L) keeps the placement's postcode; unaccompanied asylum-seeking
  children have a placement postcode but no home postcode, so no distance (DfE's rules
  406 and 169). The share
  out of area is a rough constant (DfE publishes about four in ten children placed
  outside their authority's boundary nationally); it shapes the return only.
* **Social worker episodes.** From a little before the child's first period of care
  (reason ``FCONTA``, first contact), one social worker at a time, the next starting
  the day the last ends, after a stay of mean :data:`SW_STAY_DAYS` days; the last stays
  open. Social worker ids (``SW`` + LA number + serial) come from a pool of one per
  :data:`CASELOAD` children.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np

from cscwatch.childlevel.ssda903.postcodes import postcodes_around
from cscwatch.core.config import bundled_snapshot
from cscwatch.indicators.authorities import resolve_authority
from cscwatch.synth.ssda903.simulation import Child, Population

__all__ = [
    "CASELOAD",
    "MARGIN_M",
    "OUT_OF_AREA",
    "P2_WITHDRAWN",
    "SW_STAY_DAYS",
    "add_places",
    "assign_postcodes",
    "assign_social_workers",
    "authority_postcodes",
    "withdraw_p2",
]

#: Share of placements (other than with parents) outside the authority.
OUT_OF_AREA = 0.35
#: How far outside the authority's bounding box an out-of-area placement may be (m).
MARGIN_M = 30_000.0
#: Mean days a child keeps one social worker.
SW_STAY_DAYS = 300.0
#: Children per social worker id.
CASELOAD = 15
_LOOKUP = "LTLA-UTLA_Apr23_Lookup_England-Wales.csv"
_REASONS = (("MANAGE", 0.15), ("LEFTRL", 0.35), ("ORGRST", 0.15), ("TSPROC", 0.2),
            ("ABSENC", 0.05), ("OTHERS", 0.1))  # fmt: skip


def assign_postcodes(
    children: Sequence[Child], pool: Sequence[tuple[str, float, float, bool]], seed: int
) -> None:
    """Give each child a home postcode and each episode a placement postcode (in place)."""
    inside = [p for p, _, _, own in pool if own]
    outside = [p for p, _, _, own in pool if not own] or inside
    if not inside:
        return
    rng = np.random.default_rng([seed, 392])
    for child in children:
        if not child.uasc:
            child.home_post = inside[int(rng.integers(len(inside)))]
        for period in child.periods:
            prev = None
            for ep in period.episodes:
                if ep.place == "P1" and child.home_post is not None:
                    ep.pl_post = child.home_post
                elif prev is not None and ep.rne == "L" and prev.place == ep.place:
                    ep.pl_post = prev.pl_post
                else:
                    src = outside if rng.random() < OUT_OF_AREA else inside
                    post = src[int(rng.integers(len(src)))]
                    while post == child.home_post and len(src) > 1:
                        post = src[int(rng.integers(len(src)))]
                    ep.pl_post = post
                prev = ep


def assign_social_workers(children: Sequence[Child], la_code: str, last: date, seed: int) -> None:
    """Give each child a run of social worker episodes up to ``last`` (in place)."""
    rng = np.random.default_rng([seed, 1200])
    n_ids = max(3, len(children) // CASELOAD)
    for child in children:
        if not child.periods:
            continue
        start = child.periods[0].start - timedelta(days=int(rng.integers(1, 60)))
        reason = "FCONTA"
        while True:
            worker = f"SW{la_code}{int(rng.integers(1, n_ids + 1)):05d}"
            stay = max(2, int(rng.exponential(SW_STAY_DAYS)))
            end: date | None = start + timedelta(days=stay)
            if end is not None and end > last:
                end = None
            child.social_workers.append((worker, start, end, reason))
            if end is None:
                break
            start = end
            reason = _REASONS[int(rng.choice(len(_REASONS), p=[w for _, w in _REASONS]))][0]


def authority_postcodes(
    con: duckdb.DuckDBPyConnection, la_code: str, cache_dir: Path | None
) -> list[tuple[str, float, float, bool]] | None:
    """Reference postcodes in and near an authority: its own district(s) (a county's
    from the ONS lower-to-upper-tier lookup in the bundled snapshot) and within
    :data:`MARGIN_M` of them. None when the package is not installed or the authority
    has no GSS code."""
    auth = resolve_authority(con, la_code)
    if auth.gss_code is None:
        return None
    districts = {auth.gss_code}
    lookup = bundled_snapshot() / _LOOKUP
    if lookup.is_file():
        with lookup.open(encoding="utf-8-sig", newline="") as fh:
            districts |= {
                r["LTLA23CD"] for r in csv.DictReader(fh) if r["UTLA23CD"] == auth.gss_code
            }
    pool = _around(frozenset(districts), cache_dir)
    return None if pool is None else list(pool)


@lru_cache(maxsize=4)
def _around(
    districts: frozenset[str], cache_dir: Path | None
) -> tuple[tuple[str, float, float, bool], ...] | None:
    # Each look-up scans the whole reference (about 1 s): an authority generated again
    # in one process (another seed, more years) reuses its pool. The reference is
    # fixed for the installed package, so the districts and the cache folder decide it.
    pool = postcodes_around(districts, MARGIN_M, cache_dir)
    return None if pool is None else tuple(pool)


def add_places(
    pop: Population, postcodes: Sequence[tuple[str, float, float, bool]] | None, seed: int
) -> None:
    """Postcodes (when ``postcodes`` are given) and social worker episodes for every
    simulated child, in place; and semi-independent living (P2) withdrawn on 28
    October 2023 (:func:`withdraw_p2`)."""
    withdraw_p2(pop.children)
    if postcodes:
        assign_postcodes(pop.children, postcodes, seed)
    assign_social_workers(pop.children, pop.la_code, date(pop.years[-1], 3, 31), seed)


#: P2 (semi-independent living, not registered) ceased to be a placement type on 28
#: October 2023 (DfE's rule 217t); such settings became registered supported
#: accommodation (H5).
P2_WITHDRAWN = date(2023, 10, 28)


def withdraw_p2(children: Sequence[Child]) -> None:
    """Any P2 episode still open after :data:`P2_WITHDRAWN` becomes H5 for its whole
    length (in place): the same placement, the same group and count of placements, so
    nothing calibrated changes."""
    for child in children:
        for period in child.periods:
            for ep in period.episodes:
                if ep.place == "P2" and (ep.dec is None or ep.dec > P2_WITHDRAWN):
                    ep.place = "H5"
