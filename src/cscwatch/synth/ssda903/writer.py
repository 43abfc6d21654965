"""A simulated population as one year's SSDA903 return: text tables in DfE's CSV layout.

Each year's return holds what DfE's guidance asks of that collection year (1 April to 31
March): every episode open at some time in the year (an episode still open on 31 March
has no DEC, REC or REASON_PLACE_CHANGE, and carries them in the next year's return), a
header row for each child with such an episode, and the year's reviews, missing
incidents, adoptions and placements for adoption; OC2 for children looked after
continuously for 12 months on 31 March; previous permanence for children who started in
the year. Sex is ``1``/``2`` up to the 2023-24 collection and ``M``/``F`` from 2024-25
(when DfE's rule 101 changed to M, F, U). Episodes carry the home and placement
postcodes the simulation drew (real postcodes near the authority; none for
unaccompanied asylum-seeking children, or when the reference package is missing).
From 2023-24, ``sw_episodes`` holds every social worker episode of a child in the
return that was open at some time in the year (begun by 31 March, not ended before 1
April). ``oc3`` and ``dolo`` are written with their header row only: the simulation
does not model care leavers' later lives or deprivation of liberty (said in the
result).
"""

from __future__ import annotations

import zlib
from datetime import date, timedelta

import numpy as np
import pandas as pd

from cscwatch.childlevel.ssda903.tables import TABLES
from cscwatch.core.dates import add_years
from cscwatch.synth.ssda903.simulation import Child, Period, Population, provider_for

__all__ = ["EMPTY_TABLES", "FIRST_MF_YEAR", "FIRST_SW_YEAR", "year_tables"]

#: The first year (ending 31 March) whose collection codes sex as M/F/U.
FIRST_MF_YEAR = 2025
#: The first year whose H5 placements (supported accommodation) must carry an Ofsted URN.
_H5_REGISTERED_FROM = 2025
#: The day from which an open H5 episode needs a URN (rule 230, 2023-24).
_H5_REGISTERED_ON = date(2023, 10, 29)
#: Tables written with their header row only.
EMPTY_TABLES: tuple[str, ...] = ("oc3", "dolo")
#: The first year (ending 31 March) whose collection has social worker episodes.
FIRST_SW_YEAR = 2024


def _d(value: date | None) -> str:
    return "" if value is None else value.strftime("%d/%m/%Y")


def _overlaps(p: Period, s: date, e: date) -> bool:
    return p.start <= e and (p.end is None or p.end >= s)


def _reviews(child: Child, p: Period, s: date, e: date, rng: np.random.Generator) -> list[date]:
    # 20 working days (28 calendar days), three months later, then every six months.
    out = []
    on = p.start + timedelta(days=28)
    step = 91
    stop = min(e, (p.end or e) - timedelta(days=1))
    while on <= stop:
        if on >= s:
            out.append(on)
        on += timedelta(days=step)
        step = 182
    return out


def _years_on(dob: date, on: date) -> int:
    """Completed years of age on ``on``, birthdays counted as DfE's rules count them
    (:func:`~cscwatch.core.dates.add_years`).
    Rules 188, 189, 197B, 542 and 546 test ages at 31 March so; the simulation's
    365.25-day years (:meth:`Child.age`) put a child born on 31 March 2020 under 5 on 31
    March 2025, and gave it a health check rule 546 refuses."""
    years = on.year - dob.year
    return years if add_years(dob, years) <= on else years - 1


def year_tables(pop: Population, year: int, seed: int) -> dict[str, pd.DataFrame]:
    """The return for ``year`` (ending 31 March) as text frames with DfE's field names.

    Parameters
    ----------
    pop : Population
        The simulated children.
    year : int
        One of ``pop.years``.
    seed : int
        Seeds the draws of the fields that are not simulated (review participation, OC2
        health items), so the same population, year and seed give the same text.
    """
    if year not in pop.years:
        raise ValueError(f"{year} was not simulated ({pop.years})")
    rng = np.random.default_rng([seed, year])
    s, e = date(year - 1, 4, 1), date(year, 3, 31)
    rows: dict[str, list[dict[str, str]]] = {name: [] for name in TABLES}
    for child in pop.children:
        periods = [p for p in child.periods if _overlaps(p, s, e)]
        if not periods:
            continue
        dob = _d(child.dob)
        female = child.sex == 2
        sex = ("F" if female else "M") if year >= FIRST_MF_YEAR else str(child.sex)
        rows["header"].append(
            {"CHILD": child.child, "SEX": sex, "DOB": dob, "ETHNIC": child.ethnic,
             "UPN": child.upn, "MOTHER": "0" if female else "",
             "MC_DOB": ""}
        )  # fmt: skip
        if child.uasc:
            rows["uasc"].append(
                {
                    "CHILD": child.child,
                    "SEX": sex,
                    "DOB": dob,
                    # the 18th birthday as rule 304 counts it (29 February: 28th)
                    "DUC": _d(add_years(child.dob, 18)),
                }
            )
        for p in periods:
            for ep in p.episodes:
                if ep.decom > e or (ep.dec is not None and ep.dec < s):
                    continue
                closed = ep.dec is not None and ep.dec <= e
                rows["episodes"].append(
                    {"CHILD": child.child, "DECOM": _d(ep.decom), "RNE": ep.rne, "LS": ep.ls,
                     "CIN": ep.cin, "PLACE": ep.place,
                     "PLACE_PROVIDER": _provider(ep.place),
                     "DEC": _d(ep.dec) if closed else "",
                     "REC": (ep.rec or "") if closed else "",
                     "REASON_PLACE_CHANGE": (ep.reason_change or "") if closed else "",
                     "HOME_POST": child.home_post or "", "PL_POST": ep.pl_post or "",
                     "URN": _urn(ep.place, child.child, year, ep.decom, ep.dec)}
                )  # fmt: skip
            for on in _reviews(child, p, s, e, rng):
                code = "PN0" if child.age(on) < 4 else ("PN1" if rng.random() < 0.8 else "PN2")
                rows["reviews"].append(
                    {"CHILD": child.child, "DOB": dob, "REVIEW": _d(on), "REVIEW_CODE": code}
                )
            if s <= p.start <= e:
                rows["previous_permanence"].append(
                    {"CHILD": child.child, "DOB": dob, "PREV_PERM": "Z1", "LA_PERM": "",
                     "DATE_PERM": ""}
                )  # fmt: skip
            decided = (
                None
                if p.placed_for_adoption is None
                else max(p.start, p.placed_for_adoption - timedelta(days=60))
            )
            # The decision is reported from the year it is made (rule 559).
            if p.placed_for_adoption is not None and decided is not None and decided <= e:
                last = p.episodes[-1]
                # Left care without being adopted: the decision ceased then (rule 557).
                ceased = p.end is not None and p.end <= e and last.rec not in ("E11", "E12")
                if p.end is None or p.end >= s or decided >= s:
                    rows["placed_for_adoption"].append(
                        {"CHILD": child.child, "DOB": dob, "DATE_PLACED": _d(decided),
                         "DATE_PLACED_CEASED": _d(p.end) if ceased else "",
                         "REASON_PLACED_CEASED": "RD1" if ceased else ""}
                    )  # fmt: skip
                if p.end is not None and s <= p.end <= e and last.rec in ("E11", "E12"):
                    couple = "MF" if rng.random() < 0.85 else "MM"
                    rows["ad1"].append(
                        {"CHILD": child.child, "DOB": dob, "DATE_INT": _d(decided),
                         "DATE_MATCH": _d(max(decided, p.placed_for_adoption - timedelta(days=14))),
                         "FOSTER_CARE": "0", "NB_ADOPTR": "2", "SEX_ADOPTR": couple,
                         "LS_ADOPTR": "L11" if couple == "MF" else "L12"}
                    )  # fmt: skip
        # Looked after continuously for 12 months, as DfE's LOOKED_AFTER_CONTINUOUSLY
        # counts it: one period of care from 1 April (or before) to 31 March, a period
        # ending on 31 March itself included (rule 191 asks that child for an OC2 record).
        if any(p.start <= s and (p.end is None or p.end >= e) for p in child.periods):
            age = _years_on(child.dob, e)  # whole years on 31 March, as the rules count
            misuse = rng.random() < 0.04 and age >= 10
            # SDQ for ages 4-17 (rule 197B); conviction from 10 (542); the health
            # promotion check under 5 only (546); an intervention offered is left blank
            # when one was received (158).
            convicted = ("1" if rng.random() < 0.02 else "0") if age >= 10 else ""
            rows["oc2"].append(
                {"CHILD": child.child, "DOB": dob,
                 "SDQ_SCORE": str(int(rng.integers(4, 30))) if 4 <= age < 18 else "",
                 "SDQ_REASON": "", "CONVICTED": convicted,
                 "HEALTH_CHECK": ("1" if rng.random() < 0.9 else "0") if age < 5 else "",
                 "IMMUNISATIONS": "1" if rng.random() < 0.85 else "0",
                 "TEETH_CHECK": "1" if rng.random() < 0.8 else "0",
                 "HEALTH_ASSESSMENT": "1" if rng.random() < 0.9 else "0",
                 "SUBSTANCE_MISUSE": "1" if misuse else "0",
                 "INTERVENTION_RECEIVED": "1" if misuse else "",
                 "INTERVENTION_OFFERED": ""}
            )  # fmt: skip
        if year >= FIRST_SW_YEAR:
            for worker, begun, ended, reason in child.social_workers:
                if begun <= e and (ended is None or ended >= s):
                    rows["sw_episodes"].append(
                        {"CHILD": child.child, "DOB": dob, "SW_ID": worker,
                         "SW_DECOM": _d(begun), "SW_DEC": _d(ended) if ended and ended <= e else "",
                         "SW_REASON": reason}
                    )  # fmt: skip
        for kind, start, end in child.missing:
            if s <= start <= e:
                rows["missing"].append(
                    {"CHILD": child.child, "DOB": dob, "MISSING": kind, "MIS_START": _d(start),
                     "MIS_END": _d(end) if end is not None and end <= e else ""}
                )  # fmt: skip
    return {
        name: pd.DataFrame(rows[name], columns=list(spec.fields), dtype=object)
        for name, spec in TABLES.items()
    }


def _provider(place: str) -> str:
    return provider_for(place) or ""


def _urn(place: str, child: str, year: int, decom: date, dec: date | None) -> str:
    # Ofsted-registered settings carry a URN; others DfE's "not applicable" XXXXXXX.
    # Semi-independent living (H5) became registered supported accommodation on 28
    # October 2023: in 2022-23 an H5 URN is an error (rule 222), in 2023-24 one is
    # needed for an H5 episode open on or after 29 October 2023 (230), and from 2024-25
    # for every H5 episode (218). An episode carried from 2022-23 into 2023-24 past that
    # day changes URN, as DfE's rules make it (503F flags it in the 2023-24 return).
    registered = place in ("K2", "S1")
    if place == "H5" and year >= _H5_REGISTERED_FROM - 1:
        registered = year >= _H5_REGISTERED_FROM or dec is None or dec >= _H5_REGISTERED_ON
    if registered:
        return f"SC{zlib.crc32(f'{place}{child}'.encode()) % 900000 + 100000:06d}"
    return "XXXXXXX"
