"""Injected validation errors for synthetic CIN census returns.

:data:`INJECTORS` maps a validation rule code (``validation_rules.csv``) to a mutation
of one record of a :class:`~cscwatch.synth.cin.writer.TextReturn` that breaks that
rule and no other (checked against :mod:`cscwatch.childlevel.cin.validation` in the tests).
Rules without an injector are listed in :data:`NOT_INJECTED` with the reason: most are
whole-return counts, or rules whose breach necessarily breaks a sibling rule too, or
need items the generator never makes (dates of death, unborn children).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cscwatch.childlevel.upn import check_letter
from cscwatch.core.errors import InputError
from cscwatch.synth.cin.writer import TextReturn

__all__ = ["INJECTORS", "NOT_INJECTED", "inject"]


Injector = Callable[[TextReturn, np.random.Generator], None]
INJECTORS: dict[str, Injector] = {}


def _rule(code: str) -> Callable[[Injector], Injector]:
    def deco(fn: Injector) -> Injector:
        INJECTORS[code] = fn
        return fn

    return deco


def _any(rng: np.random.Generator, mask: np.ndarray, rule: str) -> int:
    idx = np.flatnonzero(mask)
    if not len(idx):
        raise InputError(f"rule {rule}: this return has no record the error can be put on")
    return int(rng.choice(idx))


def _d(s: object) -> np.datetime64:
    return np.datetime64(str(s), "D")


def _s(d: np.datetime64) -> str:
    return str(d)


def _col_dates(col: np.ndarray) -> np.ndarray:
    out = np.full(len(col), np.datetime64("NaT"), dtype="datetime64[D]")
    ok = np.array([v is not None for v in col], dtype=bool)
    out[ok] = np.array(list(col[ok]), dtype="datetime64[D]")
    return out


def _ys(tx: TextReturn) -> np.datetime64:
    return np.datetime64(f"{tx.year - 1}-04-01", "D")


def _ye(tx: TextReturn) -> np.datetime64:
    return np.datetime64(f"{tx.year}-03-31", "D")


@_rule("100")
def _ref_date(tx: TextReturn, rng: np.random.Generator) -> None:
    """ReferenceDate a day early (a record dated 31 March may also trip its date rule)."""
    tx.header["ReferenceDate"] = f"{tx.year}-03-30"


@_rule("1103")
def _assess_before_referral(tx: TextReturn, rng: np.random.Generator) -> None:
    """A completed assessment starts the day before its referral."""
    a, e = tx.tables["assessment"], tx.tables["episode"]
    ref = _col_dates(e["ref"])[a["episode"]]
    ok = (ref > _ys(tx) + 2) & np.array([x is not None for x in a["auth"]])
    i = _any(rng, ok, "1103")
    a["start"][i] = _s(ref[i] - 1)


@_rule("1105")
def _cpp_before_referral(tx: TextReturn, rng: np.random.Generator) -> None:
    """A plan open on 1 April moved to start the day before its episode's referral."""
    k, e = tx.tables["cpp"], tx.tables["episode"]
    start = _col_dates(k["start"])
    i = _any(rng, start < _ys(tx), "1105")
    k["start"][i] = _s(_col_dates(e["ref"])[k["episode"][i]] - 1)


def _upn_child(tx: TextReturn, rng: np.random.Generator, rule: str) -> int:
    return _any(rng, np.array([u is not None for u in tx.tables["child"]["upn"]]), rule)


@_rule("1510")
def _upn_check(tx: TextReturn, rng: np.random.Generator) -> None:
    """A UPN with the wrong check letter."""
    c = tx.tables["child"]
    i = _upn_child(tx, rng, "1510")
    u = c["upn"][i]
    c["upn"][i] = ("B" if u[0] != "B" else "C") + u[1:]


@_rule("1520")
def _upn_duplicate(tx: TextReturn, rng: np.random.Generator) -> None:
    """Two children share a UPN."""
    c = tx.tables["child"]
    idx = np.flatnonzero(np.array([u is not None for u in c["upn"]]))
    if len(idx) < 2:
        raise InputError("rule 1520: fewer than two children with a UPN")
    i, j = rng.choice(idx, size=2, replace=False)
    c["upn"][j] = c["upn"][i]


@_rule("1530")
def _upn_la(tx: TextReturn, rng: np.random.Generator) -> None:
    """A UPN whose characters 2-4 are not an LA number (check letter still right)."""
    c = tx.tables["child"]
    i = _upn_child(tx, rng, "1530")
    body = "000" + c["upn"][i][4:]
    c["upn"][i] = f"{check_letter(body)}{body}"


@_rule("1560Q")
def _former_upn(tx: TextReturn, rng: np.random.Generator) -> None:
    """A FormerUPN that is not in UPN format."""
    tx.tables["child"]["former_upn"][_upn_child(tx, rng, "1560Q")] = "X12"


@_rule("1570")
def _id_long(tx: TextReturn, rng: np.random.Generator) -> None:
    """An LAchildID of 21 characters (still unique and alphanumeric)."""
    c = tx.tables["child"]
    i = int(rng.integers(len(c["la_child_id"])))
    c["la_child_id"][i] = (c["la_child_id"][i] + "X" * 21)[:21]


@_rule("1580")
def _id_chars(tx: TextReturn, rng: np.random.Generator) -> None:
    """An LAchildID with a hyphen."""
    c = tx.tables["child"]
    i = int(rng.integers(len(c["la_child_id"])))
    c["la_child_id"][i] = c["la_child_id"][i][:3] + "-" + c["la_child_id"][i][4:]


@_rule("2884")
def _icpc_both(tx: TextReturn, rng: np.random.Generator) -> None:
    """A conference recorded on the Section47 and again at CIN-details level."""
    s, e = tx.tables["s47"], tx.tables["episode"]
    i = _any(rng, np.array([x is not None for x in s["icpc"]]), "2884")
    e["icpc"][s["episode"][i]] = s["icpc"][i]


@_rule("2885")
def _cpp_not_on_icpc(tx: TextReturn, rng: np.random.Generator) -> None:
    """A plan started in the year a day after its conference (an open plan, no reviews)."""
    k, r = tx.tables["cpp"], tx.tables["review"]
    start = _col_dates(k["start"])
    open_ = np.array([x is None for x in k["end"]])
    ok = (
        (start >= _ys(tx))
        & (start < _ye(tx) - 2)
        & open_
        & ~np.isin(np.arange(len(start)), r["cpp"])
    )
    i = _any(rng, ok, "2885")
    k["start"][i] = _s(start[i] + 1)


@_rule("2889")
def _s47_before_referral(tx: TextReturn, rng: np.random.Generator) -> None:
    """An enquiry (no conference needed) starts the day before its referral."""
    s, e = tx.tables["s47"], tx.tables["episode"]
    ref = _col_dates(e["ref"])[s["episode"]]
    ok = (s["not_required"] == "true") & (ref > _ys(tx) + 2)
    i = _any(rng, ok, "2889")
    s["start"][i] = _s(ref[i] - 1)
    s["target"][i] = _s(np.busday_offset(ref[i] - 1, 15, roll="forward"))


@_rule("2990")
def _rc8_with_s47(tx: TextReturn, rng: np.random.Generator) -> None:
    """An enquiry (no conference needed) on an episode closed RC8 after assessment."""
    e = tx.tables["episode"]
    i = _any(rng, e["reason"] == "RC8", "2990")
    tx.append(
        "s47",
        episode=i,
        start=e["ref"][i],
        target=_s(np.busday_offset(_d(e["ref"][i]), 15, roll="forward")),
        not_required="true",
    )


@_rule("4000")
def _plan_on_nfa(tx: TextReturn, rng: np.random.Generator) -> None:
    """A CIN plan (no end date) on a referral with no further action, for a child with
    no other CIN plan (so no two plans are open together)."""
    e, p = tx.tables["episode"], tx.tables["plan"]
    planned = np.unique(e["child"][p["episode"].astype(np.int64)])
    i = _any(rng, (e["kind"] == 0) & ~np.isin(e["child"], planned), "4000")
    tx.append("plan", episode=i, start=e["ref"][i])


@_rule("4011")
def _plan_end_before_start(tx: TextReturn, rng: np.random.Generator) -> None:
    """A closed CIN plan ends the day before it starts."""
    p = tx.tables["plan"]
    start = _col_dates(p["start"])
    ok = np.array([x is not None for x in p["end"]]) & (start > _ys(tx) + 2)
    i = _any(rng, ok, "4011")
    p["end"][i] = _s(start[i] - 1)


@_rule("4012Q")
def _plan_same_day(tx: TextReturn, rng: np.random.Generator) -> None:
    """A closed CIN plan starts on the day it ends."""
    p = tx.tables["plan"]
    i = _any(rng, np.array([x is not None for x in p["end"]]), "4012Q")
    p["start"][i] = p["end"][i]


@_rule("4015")
def _plan_before_referral(tx: TextReturn, rng: np.random.Generator) -> None:
    """A CIN plan starts the day before its referral."""
    p, e = tx.tables["plan"], tx.tables["episode"]
    ref = _col_dates(e["ref"])[p["episode"]]
    i = _any(rng, ref > _ys(tx) + 2, "4015")
    p["start"][i] = _s(ref[i] - 1)


@_rule("4180")
def _sex(tx: TextReturn, rng: np.random.Generator) -> None:
    """A child's sex (gender before 2024-25) is not a valid code."""
    c = tx.tables["child"]
    c["sex"][int(rng.integers(len(c["sex"])))] = "X" if tx.year >= 2025 else "7"


@_rule("4220")
def _ethnicity(tx: TextReturn, rng: np.random.Generator) -> None:
    """An ethnicity code that is not in the code set."""
    c = tx.tables["child"]
    c["ethnicity"][int(rng.integers(len(c["ethnicity"])))] = "ZZZZ"


@_rule("8500")
def _id_missing(tx: TextReturn, rng: np.random.Generator) -> None:
    """A child without an LAchildID."""
    c = tx.tables["child"]
    c["la_child_id"][int(rng.integers(len(c["la_child_id"])))] = None


@_rule("8510")
def _id_duplicate(tx: TextReturn, rng: np.random.Generator) -> None:
    """Two children with the same LAchildID."""
    c = tx.tables["child"]
    i, j = rng.choice(len(c["la_child_id"]), size=2, replace=False)
    c["la_child_id"][j] = c["la_child_id"][i]


@_rule("8540")
def _no_disability(tx: TextReturn, rng: np.random.Generator) -> None:
    """A child with a referral going on to further action and no Disability element."""
    d, e = tx.tables["disability"], tx.tables["episode"]
    kids = np.unique(e["child"][e["kind"] != 0])
    i = int(rng.choice(kids))
    keep = d["child"] != i
    for name in d:
        d[name] = d[name][keep]


@_rule("8568")
def _nfa_flag(tx: TextReturn, rng: np.random.Generator) -> None:
    """A referral without its ReferralNFA flag (an unreadable flag is a format error)."""
    e = tx.tables["episode"]
    e["nfa"][_any(rng, e["kind"] == 2, "8568")] = None


@_rule("8590")
def _no_episode(tx: TextReturn, rng: np.random.Generator) -> None:
    """A child with no CINdetails at all."""
    c = tx.tables["child"]
    n = len(c["la_child_id"])
    tx.append(
        "child",
        la_child_id=f"SYN{tx.header['LEA']}{tx.year % 100:02d}9{n:07d}",
        upn_unknown="UN1",
        birth=f"{tx.year - 3}-06-01",
        sex="F" if tx.year >= 2025 else "2",
        ethnicity="WBRI",
    )
    tx.append("disability", child=n, code="NONE")


@_rule("8606")
def _referral_before_birth(tx: TextReturn, rng: np.random.Generator) -> None:
    """A child born more than 40 weeks after their first referral (birth still in the past)."""
    c, e = tx.tables["child"], tx.tables["episode"]
    ref = _col_dates(e["ref"])
    first = np.full(len(c["birth"]), np.datetime64("2200-01-01", "D"))
    np.minimum.at(first, e["child"].astype(np.int64), ref)
    i = _any(rng, first < _ye(tx) - 320, "8606")
    c["birth"][i] = _s(first[i] + 300)


@_rule("8608")
def _auth_before_start(tx: TextReturn, rng: np.random.Generator) -> None:
    """A completed assessment authorised the day before it started."""
    a = tx.tables["assessment"]
    start = _col_dates(a["start"])
    auth = _col_dates(a["auth"])
    ok = ~np.isnat(auth) & (auth > start + 1) & (auth > _ys(tx) + 1)
    i = _any(rng, ok, "8608")
    a["auth"][i] = _s(start[i] - 1) if start[i] - 1 >= _ys(tx) else a["auth"][i]
    if a["auth"][i] == _s(auth[i]):
        a["start"][i] = _s(auth[i] + 1)


@_rule("8610")
def _need_missing(tx: TextReturn, rng: np.random.Generator) -> None:
    """No primary need on a referral going on to further action."""
    e = tx.tables["episode"]
    e["need"][_any(rng, e["kind"] == 2, "8610")] = None


@_rule("8614")
def _factors_unfinished(tx: TextReturn, rng: np.random.Generator) -> None:
    """A factor recorded on an assessment that has not been authorised."""
    a = tx.tables["assessment"]
    i = _any(rng, np.array([x is None for x in a["auth"]]), "8614")
    tx.append("factor", assessment=i, code="3B")


@_rule("8615")
def _s47_after_icpc(tx: TextReturn, rng: np.random.Generator) -> None:
    """An enquiry starting the day after its conference."""
    s = tx.tables["s47"]
    i = _any(rng, np.array([x is not None for x in s["icpc"]]), "8615")
    s["start"][i] = _s(_d(s["icpc"][i]) + 1)


@_rule("8620")
def _closure_before_year(tx: TextReturn, rng: np.random.Generator) -> None:
    """A carried episode with no activity closed the day before the census year."""
    e = tx.tables["episode"]
    ref = _col_dates(e["ref"])
    busy = np.zeros(len(ref), dtype=bool)
    for tab in ("assessment", "plan", "s47", "cpp"):
        busy[tx.tables[tab]["episode"].astype(np.int64)] = True
    i = _any(rng, (e["kind"] == 4) & ~busy & (ref < _ys(tx) - 2), "8620")
    e["close"][i] = _s(_ys(tx) - 1)


@_rule("8630")
def _closure_before_referral(tx: TextReturn, rng: np.random.Generator) -> None:
    """A no-further-action referral closed the day before it was made."""
    e = tx.tables["episode"]
    ref = _col_dates(e["ref"])
    i = _any(rng, (e["kind"] == 0) & (ref > _ys(tx) + 2), "8630")
    e["close"][i] = _s(ref[i] - 1)


@_rule("8640")
def _reason_code(tx: TextReturn, rng: np.random.Generator) -> None:
    """A reason for closure that is not in the code set."""
    e = tx.tables["episode"]
    e["reason"][_any(rng, e["kind"] == 2, "8640")] = "RC99"


@_rule("8650")
def _need_code(tx: TextReturn, rng: np.random.Generator) -> None:
    """A primary need code that is not in the code set."""
    e = tx.tables["episode"]
    e["need"][_any(rng, e["kind"] == 2, "8650")] = "N10"


@_rule("8696")
def _auth_after_year(tx: TextReturn, rng: np.random.Generator) -> None:
    """An assessment on an open episode authorised the day after the census year."""
    a, e = tx.tables["assessment"], tx.tables["episode"]
    open_ep = e["kind"][a["episode"]] == 3
    i = _any(rng, open_ep & np.array([x is not None for x in a["auth"]]), "8696")
    a["auth"][i] = _s(_ye(tx) + 1)


@_rule("8730")
def _previous_missing(tx: TextReturn, rng: np.random.Generator) -> None:
    """A plan without NumberOfPreviousCPP."""
    k = tx.tables["cpp"]
    k["previous"][int(rng.integers(len(k["previous"])))] = None


@_rule("8790")
def _none_and_other(tx: TextReturn, rng: np.random.Generator) -> None:
    """A child recorded with both NONE and another disability."""
    d = tx.tables["disability"]
    i = _any(rng, d["code"] == "NONE", "8790")
    tx.append("disability", child=d["child"][i], code="HEAR")
    _sort_children(tx, "disability")


@_rule("8794")
def _disability_twice(tx: TextReturn, rng: np.random.Generator) -> None:
    """A child with the same disability code twice."""
    d = tx.tables["disability"]
    i = _any(rng, d["code"] != "NONE", "8794")
    tx.append("disability", child=d["child"][i], code=d["code"][i])
    _sort_children(tx, "disability")


def _sort_children(tx: TextReturn, table: str) -> None:
    tab = tx.tables[table]
    order = np.argsort(tab["child"].astype(np.int64), kind="stable")
    for name in tab:
        tab[name] = tab[name][order]


@_rule("8805")
def _closure_no_reason(tx: TextReturn, rng: np.random.Generator) -> None:
    """A closed episode without a reason for closure."""
    e = tx.tables["episode"]
    e["reason"][_any(rng, e["kind"] == 2, "8805")] = None


@_rule("8810")
def _reason_no_closure(tx: TextReturn, rng: np.random.Generator) -> None:
    """An open episode with a reason for closure."""
    e = tx.tables["episode"]
    e["reason"][_any(rng, e["kind"] == 3, "8810")] = "RC7"


@_rule("8831")
def _nfa_assessed(tx: TextReturn, rng: np.random.Generator) -> None:
    """A completed assessment (neglect found) on a no-further-action referral."""
    e = tx.tables["episode"]
    i = _any(rng, e["kind"] == 0, "8831")
    a = tx.append("assessment", episode=i, start=e["ref"][i], auth=e["ref"][i])
    tx.append("factor", assessment=a, code="16A")


@_rule("8840")
def _cpp_same_day(tx: TextReturn, rng: np.random.Generator) -> None:
    """A plan without reviews that ends on the day it starts."""
    k, r = tx.tables["cpp"], tx.tables["review"]
    ok = np.array([x is not None for x in k["end"]]) & ~np.isin(np.arange(len(k["end"])), r["cpp"])
    ok &= _col_dates(k["start"]) >= _ys(tx)
    i = _any(rng, ok, "8840")
    k["end"][i] = k["start"][i]


@_rule("8841")
def _review_on_start(tx: TextReturn, rng: np.random.Generator) -> None:
    """A plan review on the plan's start date."""
    k = tx.tables["cpp"]
    i = _any(rng, _col_dates(k["start"]) >= _ys(tx), "8841")
    tx.append("review", cpp=i, date=k["start"][i])


@_rule("8866")
def _source_code(tx: TextReturn, rng: np.random.Generator) -> None:
    """A referral source that is not in the code set."""
    e = tx.tables["episode"]
    e["source"][_any(rng, _col_dates(e["ref"]) >= _ys(tx), "8866")] = "ZZ"


@_rule("8869")
def _factor_21_with_others(tx: TextReturn, rng: np.random.Generator) -> None:
    """Factor 21 (no factors) alongside another factor, on an RC8/RC9 episode."""
    f, a, e = tx.tables["factor"], tx.tables["assessment"], tx.tables["episode"]
    reason = e["reason"][a["episode"][f["assessment"]].astype(np.int64)]
    i = _any(rng, (f["code"] != "21") & np.isin(reason, ["RC8", "RC9"]), "8869")
    tx.append("factor", assessment=f["assessment"][i], code="21")


@_rule("8875")
def _icpc_weekend(tx: TextReturn, rng: np.random.Generator) -> None:
    """A conference (that led to no plan) moved to the following Saturday."""
    s, e = tx.tables["s47"], tx.tables["episode"]
    icpc = _col_dates(s["icpc"])
    lim = _col_dates(e["close"])[s["episode"]]
    lim = np.where(np.isnat(lim), _ye(tx), lim)
    k = tx.tables["cpp"]
    cpp_eps = k["episode"]
    ok = ~np.isnat(icpc) & ~np.isin(s["episode"], cpp_eps) & (icpc + 7 <= lim)
    i = _any(rng, ok, "8875")
    d = icpc[i]
    sat = d + (5 - (d.astype("datetime64[D]").astype(np.int64) + 3) % 7) % 7
    s["icpc"][i] = _s(sat if sat != d else d + 7)


@_rule("8898")
def _factor_twice(tx: TextReturn, rng: np.random.Generator) -> None:
    """The same factor twice on one assessment."""
    f = tx.tables["factor"]
    i = _any(rng, f["code"] != "21", "8898")
    tx.append("factor", assessment=f["assessment"][i], code=f["code"][i])


@_rule("8905")
def _initial_category(tx: TextReturn, rng: np.random.Generator) -> None:
    """An initial category of abuse not in the code set."""
    k = tx.tables["cpp"]
    k["initial"][int(rng.integers(len(k["initial"])))] = "XXX"


@_rule("8910")
def _latest_category(tx: TextReturn, rng: np.random.Generator) -> None:
    """A latest category of abuse not in the code set."""
    k = tx.tables["cpp"]
    k["latest"][int(rng.integers(len(k["latest"])))] = "XXX"


@_rule("8925")
def _cpp_end_before_start(tx: TextReturn, rng: np.random.Generator) -> None:
    """A plan started in the year that ends the day before it starts (no reviews)."""
    k, r = tx.tables["cpp"], tx.tables["review"]
    start = _col_dates(k["start"])
    ok = np.array([x is not None for x in k["end"]]) & (start > _ys(tx) + 2)
    ok &= ~np.isin(np.arange(len(start)), r["cpp"])
    i = _any(rng, ok, "8925")
    k["end"][i] = _s(start[i] - 1)


@_rule("8930")
def _cpp_end_before_year(tx: TextReturn, rng: np.random.Generator) -> None:
    """A plan open on 1 April recorded as ending the day before the census year."""
    k, r = tx.tables["cpp"], tx.tables["review"]
    start = _col_dates(k["start"])
    ok = (start < _ys(tx) - 2) & np.array([x is not None for x in k["end"]])
    ok &= ~np.isin(np.arange(len(start)), r["cpp"])
    i = _any(rng, ok, "8930")
    k["end"][i] = _s(_ys(tx) - 1)


def _rules_table() -> tuple[str, ...]:
    return tuple(sorted(INJECTORS))


#: Rules with no injector, and why.
NOT_INJECTED: dict[str, str] = {
    "1104": "a section 47 conference before the referral needs its enquiry to start "
    "before the referral too (8615), which trips 2889",
    "1540": "a non-digit in characters 5-12 also makes the check letter incomputable (1510)",
    "1550": "a bad character 13 also makes the check letter incomputable (1510)",
    "2883": "a whole-return count; breaking it means removing conferences, which trips 2885",
    "2886Q": "a percentage over the whole return",
    "2887Q": "a count of codes over the whole return",
    "2888Q": "a property of the whole return",
    "2991Q": "an enquiry without an assessment also needs an open episode with no assessment",
    "4001": "a concurrent CIN plan and child protection plan also trips 4016/4017",
    "4003": "a review inside an open CIN plan also trips 4016/4017",
    "4004": "two open CIN plans also overlap (4014)",
    "4008": "needs a date of death, which also trips 8545Q/8585Q",
    "4009Q": "needs a date of death",
    "4010": "a plan starting after the reference date also trips 4015/8565 on closed episodes",
    "4013": "needs a carried CIN plan; not generated",
    "4014": "overlapping CIN plans also trip 4004",
    "4016": "a CIN plan inside a child protection plan also trips 4017",
    "4017": "a child protection plan inside a CIN plan also trips 4016",
    "8520": "a birth after the reference date also trips 8606 for most children",
    "8525Q": "expected birth dates (unborn children) are not generated",
    "8530Q": "expected birth dates are not generated",
    "8535Q": "dates of death are not generated",
    "8545Q": "dates of death are not generated",
    "8555Q": "dates of death are not generated",
    "8565": "activity after closure also breaks the module's own window rule",
    "8569Q": "NFA referrals are all in the year",
    "8585Q": "RC2 (died) is not generated",
    "8600": "a referral after the reference date also trips 8630 or 8816",
    "8670Q": "a long-running unauthorised assessment also trips 8736",
    "8675Q": "a long-pending enquiry also trips 8740",
    "8715": "a conference outside the year also trips 8615 or 8565",
    "8720": "a plan after the reference date also trips 2885 or 8841",
    "8736": "moving an unauthorised assessment before the year also trips 1103",
    "8740": "moving a pending enquiry before the year also trips 2889",
    "8750": "unborn children are not generated",
    "8770Q": "every school-age child has a UPN",
    "8772": "UN7 is not generated",
    "8775Q": "children are under 18",
    "8815": "two open episodes also trip 8816 or 8820",
    "8816": "an open episode that is not the latest also trips 8820",
    "8820": "overlapping episodes also trip 8815/8816",
    "8825Q": "RC8 without an assessment also trips 8867-type checks on the closed episode",
    "8832": "a plan on an NFA referral also trips 2885/8831",
    "8839": "two open enquiries also trip 8890",
    "8842Q": "an empty review group is not representable in the text columns",
    "8863Q": "overlapping assessments also trip 8896",
    "8867": "an unauthorised assessment on a closed episode also trips 8736",
    "8868": "an unfinished enquiry on a closed episode also trips 8740",
    "8870Q": "a weekend target date is not generated",
    "8873Q": "depends on reasons for closure of single-assessment episodes",
    "8890": "overlapping enquiries also trip 8839",
    "8896": "two open assessments also trip 8863Q",
    "8897Q": "removing all factors leaves an assessment the reader sees as factorless (by design)",
    "8915": "dates of death are not generated",
    "8920": "dates of death are not generated",
    "8935": "two open plans also overlap (8940)",
    "8940": "overlapping plans also trip 8935 when both are open",
    "8945Q": "18A is generated only where the published count is non-zero",
    "8950Q": "19A is generated only where the published count is non-zero",
}


def inject(text: TextReturn, rules: list[str], seed: int) -> None:
    """Apply the injectors for ``rules`` (``["all"]`` = every injector), in place.

    Raises
    ------
    InputError
        For a rule code with no injector (the message lists the ones there are), or when
        the return has no record the error can be put on.
    """
    wanted = _rules_table() if rules == ["all"] else tuple(rules)
    unknown = [r for r in wanted if r not in INJECTORS]
    if unknown:
        why = "; ".join(f"{r}: {NOT_INJECTED.get(r, 'not a rule code')}" for r in unknown)
        raise InputError(f"cannot inject {why}. Injectable: {', '.join(_rules_table())}")
    for code in wanted:
        rng = np.random.default_rng([seed, int(code.rstrip("Q"))])
        INJECTORS[code](text, rng)
        text.injected.append(code)
