"""CIN census validation: every catalogued rule is implemented, and each one fails a small
return built to break it and passes a near miss built not to.

Fixtures are built programmatically (``cin_xml.py``) from a clean return that passes
every rule; each case mutates it. Mutations take the ruleset's end year ``y`` so that
boundary dates (1 April, 31 March) are exact for every ruleset.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from cin_xml import Child, clean_return, render, upn

from cscwatch.childlevel.cin.census import read_cin_census
from cscwatch.childlevel.cin.rules import RULESETS, all_rules, rules_for
from cscwatch.childlevel.cin.rules.working_days import is_working_day, working_days_before
from cscwatch.childlevel.cin.store import load_child_level, load_cin_census
from cscwatch.childlevel.cin.validation import (
    census_period,
    parse_ruleset,
    ruleset_for_year,
    validate_cin_census,
    validate_loaded,
    validate_many,
)
from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError

KEY = Pseudonymiser(b"test-key-test-key-test-key")
Mutation = Callable[[list[Child], int], dict[str, Any] | None]


def _rules_csv(shared: Path) -> list[dict[str, str]]:
    with (shared / "cin_census" / "validation_rules.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ---- date helpers --------------------------------------------------------------------------


def _d(s: str, days: int) -> str:
    return (date.fromisoformat(s) + timedelta(days=days)).isoformat()


def _saturday_after(s: str) -> str:
    d = date.fromisoformat(s)
    return (d + timedelta(days=(5 - d.weekday()) % 7 or 7)).isoformat()


def _ep(k: list[Child], i: int = 0) -> dict[str, Any]:
    episode: dict[str, Any] = k[i]["episodes"][0]
    return episode


def _a(k: list[Child]) -> dict[str, Any]:
    assessment: dict[str, Any] = _ep(k)["assessments"][0]
    return assessment


def _s(k: list[Child]) -> dict[str, Any]:
    s47: dict[str, Any] = _ep(k)["s47"][0]
    return s47


def _cp(k: list[Child]) -> dict[str, Any]:
    cpp: dict[str, Any] = _ep(k)["cpps"][0]
    return cpp


def _p(k: list[Child]) -> dict[str, Any]:
    plan: dict[str, Any] = _ep(k)["plans"][0]
    return plan


def _sex_key(k: list[Child]) -> str:
    return "Sex" if "Sex" in k[0] else "GenderCurrent"


def _set(obj: dict[str, Any], **values: Any) -> None:
    obj.update(values)


def _unborn(k: list[Child], y: int, sex: str | None) -> None:
    k[0]["PersonBirthDate"] = None
    k[0]["ExpectedPersonBirthDate"] = f"{y}-06-01"
    k[0][_sex_key(k)] = sex


def _add_episode(k: list[Child], **values: Any) -> None:
    k[0]["episodes"].append({"ReferralSource": "1A", "PrimaryNeedCode": "N1", **values})


def _strip_activity(k: list[Child]) -> None:
    for key in ("assessments", "s47", "cpps", "plans"):
        _ep(k)[key] = []
    _ep(k)["DateOfInitialCPC"] = None


# ---- the cases: code → (breaks the rule, near miss that passes) ------------------------------

_C: dict[str, tuple[Mutation, Mutation]] = {}


def case(code: str) -> Callable[[Callable[[list[Child], int, bool], Any]], None]:
    def reg(fn: Callable[[list[Child], int, bool], Any]) -> None:
        _C[code] = (lambda k, y: fn(k, y, True), lambda k, y: fn(k, y, False))

    return reg


@case("100")
def _c100(k: list[Child], y: int, bad: bool) -> dict[str, Any]:
    return {"reference_date": f"{y}-03-30" if bad else f"{y}-03-31"}


@case("1103")
def _c1103(k: list[Child], y: int, bad: bool) -> None:
    _a(k)["AssessmentActualStartDate"] = _d(_ep(k)["CINreferralDate"], -1 if bad else 0)


@case("1104")
def _c1104(k: list[Child], y: int, bad: bool) -> None:
    _s(k)["DateOfInitialCPC"] = _d(_ep(k)["CINreferralDate"], -1 if bad else 0)


@case("1105")
def _c1105(k: list[Child], y: int, bad: bool) -> None:
    _cp(k)["CPPstartDate"] = _d(_ep(k)["CINreferralDate"], -1 if bad else 0)


@case("1510")
def _c1510(k: list[Child], y: int, bad: bool) -> None:
    u = upn(serial="12345678")
    k[0]["UPN"] = ("B" if u[0] != "B" else "C") + u[1:] if bad else u


@case("1520")
def _c1520(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        k[1]["UPN"] = k[0]["UPN"].lower()  # the same pupil, whatever the case


@case("1530")
def _c1530(k: list[Child], y: int, bad: bool) -> None:
    k[0]["UPN"] = upn(la="999" if bad else ("942" if y >= 2024 else "201"))


@case("1540")
def _c1540(k: list[Child], y: int, bad: bool) -> None:
    k[0]["UPN"] = "A2010000A0011" if bad else upn()


@case("1550")
def _c1550(k: list[Child], y: int, bad: bool) -> None:
    k[0]["UPN"] = "A20100000001I" if bad else upn(last="A")


@case("1560Q")
def _c1560q(k: list[Child], y: int, bad: bool) -> None:
    k[0]["FormerUPN"] = "X98765432123B" if bad else upn(serial="99999999")


@case("1570")
def _c1570(k: list[Child], y: int, bad: bool) -> None:
    k[0]["LAchildID"] = "A" * (21 if bad else 20)


@case("1580")
def _c1580(k: list[Child], y: int, bad: bool) -> None:
    k[0]["LAchildID"] = "CHILD-1" if bad else "CHILD1"


@case("2883")
def _c2883(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _ep(k)["cpps"].append({**_cp(k), "CPPstartDate": _d(_cp(k)["CPPendDate"], 7)})


@case("2884")
def _c2884(k: list[Child], y: int, bad: bool) -> None:
    # the same conference at both levels; another conference on another date is allowed
    _ep(k)["DateOfInitialCPC"] = _d(_s(k)["DateOfInitialCPC"], 0 if bad else 7)


@case("2885")
def _c2885(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _cp(k)["CPPstartDate"] = _d(_s(k)["DateOfInitialCPC"], 1)
    else:  # no section 47: the plan must match the episode's own conference
        _ep(k)["s47"] = []
        _ep(k)["DateOfInitialCPC"] = _cp(k)["CPPstartDate"]


@case("2886Q")
def _c2886q(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        for child in k:
            child[_sex_key(k)] = "U" if y >= 2025 else "0"


@case("2887Q")
def _c2887q(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        k[2]["Disabilities"] = ["NONE"]


@case("2888Q")
def _c2888q(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        for child, code in zip(k, ["MOB", "HAND", "PC"], strict=True):
            child["Disabilities"] = [code]


@case("2889")
def _c2889(k: list[Child], y: int, bad: bool) -> None:
    _s(k)["S47ActualStartDate"] = _d(_ep(k)["CINreferralDate"], -1 if bad else 0)


@case("2990")
def _c2990(k: list[Child], y: int, bad: bool) -> None:
    _ep(k)["ReasonForClosure"] = "RC8"
    if not bad:
        for key in ("s47", "cpps", "plans"):
            _ep(k)[key] = []


@case("2991Q")
def _c2991q(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _ep(k)["assessments"] = []


@case("4000")
def _c4000(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _ep(k)["ReferralNFA"] = "true"


@case("4001")
def _c4001(k: list[Child], y: int, bad: bool) -> None:
    _cp(k)["CPPendDate"] = None
    if bad:
        _p(k)["CINPlanEndDate"] = None


@case("4003")
def _c4003(k: list[Child], y: int, bad: bool) -> None:
    # a review on the day the CIN plan starts is the step-down conference: allowed
    _cp(k)["reviews"] = [_d(_p(k)["CINPlanStartDate"], 10 if bad else 0)]


@case("4004")
def _c4004(k: list[Child], y: int, bad: bool) -> None:
    _p(k)["CINPlanEndDate"] = None
    if bad:
        _ep(k)["plans"].append({"CINPlanStartDate": _d(_p(k)["CINPlanStartDate"], 30)})


@case("4008")
def _c4008(k: list[Child], y: int, bad: bool) -> None:
    k[0]["PersonDeathDate"] = _d(_p(k)["CINPlanStartDate"], -1 if bad else 0)


@case("4009Q")
def _c4009q(k: list[Child], y: int, bad: bool) -> None:
    k[0]["PersonDeathDate"] = _d(_p(k)["CINPlanEndDate"], -1 if bad else 0)


@case("4010")
def _c4010(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _p(k)["CINPlanStartDate"] = None


@case("4011")
def _c4011(k: list[Child], y: int, bad: bool) -> None:
    _p(k)["CINPlanEndDate"] = _d(_p(k)["CINPlanStartDate"], -1 if bad else 0)


@case("4012Q")
def _c4012q(k: list[Child], y: int, bad: bool) -> None:
    _p(k)["CINPlanEndDate"] = _d(_p(k)["CINPlanStartDate"], 0 if bad else 1)


@case("4013")
def _c4013(k: list[Child], y: int, bad: bool) -> None:
    _p(k)["CINPlanEndDate"] = f"{y}-04-01" if bad else f"{y}-03-31"


@case("4014")
def _c4014(k: list[Child], y: int, bad: bool) -> None:
    start = _p(k)["CINPlanStartDate"]
    _p(k)["CINPlanEndDate"] = _d(start, 10)
    second = _d(start, 5 if bad else 11)
    _ep(k)["plans"].append({"CINPlanStartDate": second, "CINPlanEndDate": _d(second, 20)})


@case("4015")
def _c4015(k: list[Child], y: int, bad: bool) -> None:
    _p(k)["CINPlanStartDate"] = _d(_ep(k)["CINreferralDate"], -1 if bad else 0)


@case("4016")
def _c4016(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _p(k)["CINPlanStartDate"] = _d(_cp(k)["CPPstartDate"], 1)


@case("4017")
def _c4017(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _p(k)["CINPlanStartDate"] = _d(_cp(k)["CPPstartDate"], -1)


@case("4180")
def _c4180(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        k[0][_sex_key(k)] = None
        k[1][_sex_key(k)] = "X"


@case("4220")
def _c4220(k: list[Child], y: int, bad: bool) -> None:
    k[0]["Ethnicity"] = "XXXX" if bad else "NOBT"


@case("8500")
def _c8500(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        k[0]["LAchildID"] = None


@case("8510")
def _c8510(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        k[1]["LAchildID"] = k[0]["LAchildID"]


@case("8520")
def _c8520(k: list[Child], y: int, bad: bool) -> None:
    k[0]["PersonBirthDate"] = f"{y}-04-01" if bad else f"{y}-03-31"


@case("8525Q")
def _c8525q(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        k[0]["ExpectedPersonBirthDate"] = f"{y}-06-01"


@case("8530Q")
def _c8530q(k: list[Child], y: int, bad: bool) -> None:
    _unborn(k, y, "0")
    k[0]["ExpectedPersonBirthDate"] = f"{y + 1}-01-01" if bad else f"{y}-12-31"


@case("8535Q")
def _c8535q(k: list[Child], y: int, bad: bool) -> None:
    k[0]["PersonDeathDate"] = _d(k[0]["PersonBirthDate"], -1 if bad else 0)


@case("8540")
def _c8540(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        k[0]["Disabilities"] = None
        k[1]["Disabilities"] = ["ZZZ"]
    else:  # a referral with no further action needs no disability
        k[0]["Disabilities"] = None
        _ep(k)["ReferralNFA"] = "1"


@case("8545Q")
def _c8545q(k: list[Child], y: int, bad: bool) -> None:
    k[0]["PersonDeathDate"] = f"{y - 1}-03-31" if bad else f"{y - 1}-04-01"


@case("8555Q")
def _c8555q(k: list[Child], y: int, bad: bool) -> None:
    k[0]["PersonDeathDate"] = _d(_ep(k)["CINreferralDate"], -1 if bad else 0)


@case("8565")
def _c8565(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _ep(k)["CINclosureDate"] = _d(_a(k)["AssessmentAuthorisationDate"], -1)


@case("8568")
def _c8568(k: list[Child], y: int, bad: bool) -> None:
    _ep(k)["ReferralNFA"] = None if bad else "0"
    _ep(k, 1)["ReferralNFA"] = "maybe" if bad else "TRUE"


@case("8569Q")
def _c8569q(k: list[Child], y: int, bad: bool) -> None:
    _strip_activity(k)
    _set(_ep(k), CINreferralDate=f"{y - 2}-01-10", CINclosureDate=None, ReasonForClosure=None)
    _ep(k)["ReferralNFA"] = "true" if bad else "false"


@case("8585Q")
def _c8585q(k: list[Child], y: int, bad: bool) -> None:
    _ep(k)["ReasonForClosure"] = "RC2"
    if not bad:
        k[0]["PersonDeathDate"] = _ep(k)["CINclosureDate"]


@case("8590")
def _c8590(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        k[0]["episodes"] = []


@case("8600")
def _c8600(k: list[Child], y: int, bad: bool) -> None:
    _ep(k)["CINreferralDate"] = None if bad else f"{y}-03-31"
    _ep(k, 1)["CINreferralDate"] = f"{y}-04-01" if bad else _ep(k, 1)["CINreferralDate"]


@case("8606")
def _c8606(k: list[Child], y: int, bad: bool) -> None:
    _ep(k)["CINreferralDate"] = _d(k[0]["PersonBirthDate"], -281 if bad else -280)


@case("8608")
def _c8608(k: list[Child], y: int, bad: bool) -> None:
    _a(k)["AssessmentAuthorisationDate"] = _d(_a(k)["AssessmentActualStartDate"], -1 if bad else 0)


@case("8610")
def _c8610(k: list[Child], y: int, bad: bool) -> None:
    _ep(k)["PrimaryNeedCode"] = None
    if not bad:
        _ep(k)["ReferralNFA"] = "true"


@case("8614")
def _c8614(k: list[Child], y: int, bad: bool) -> None:
    _a(k)["AssessmentAuthorisationDate"] = None
    if not bad:
        _a(k)["factors"] = None


@case("8615")
def _c8615(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _s(k)["S47ActualStartDate"] = None
        _ep(k, 1)["s47"][0]["S47ActualStartDate"] = _d(_ep(k, 1)["s47"][0]["DateOfInitialCPC"], 1)
    else:
        _s(k)["S47ActualStartDate"] = _s(k)["DateOfInitialCPC"]


@case("8620")
def _c8620(k: list[Child], y: int, bad: bool) -> None:
    _ep(k)["CINclosureDate"] = f"{y}-04-01" if bad else f"{y}-03-31"
    _ep(k, 1)["CINclosureDate"] = f"{y - 1}-03-31" if bad else f"{y - 1}-04-01"


@case("8630")
def _c8630(k: list[Child], y: int, bad: bool) -> None:
    _ep(k)["CINclosureDate"] = _d(_ep(k)["CINreferralDate"], -1 if bad else 0)


@case("8640")
def _c8640(k: list[Child], y: int, bad: bool) -> None:
    _ep(k)["ReasonForClosure"] = "RC10" if bad else "RC9"


@case("8650")
def _c8650(k: list[Child], y: int, bad: bool) -> None:
    _ep(k)["PrimaryNeedCode"] = "N10" if bad else "N0"


@case("8670Q")
def _c8670q(k: list[Child], y: int, bad: bool) -> None:
    _a(k)["AssessmentAuthorisationDate"] = None
    ref = date(y, 3, 31)
    limit = working_days_before(ref, 45)
    _a(k)["AssessmentActualStartDate"] = (limit - timedelta(days=1 if bad else 0)).isoformat()


@case("8675Q")
def _c8675q(k: list[Child], y: int, bad: bool) -> None:
    _s(k)["DateOfInitialCPC"] = None
    limit = working_days_before(date(y, 3, 31), 15)
    _s(k)["S47ActualStartDate"] = (limit - timedelta(days=1 if bad else 0)).isoformat()


@case("8696")
def _c8696(k: list[Child], y: int, bad: bool) -> None:
    _a(k)["AssessmentAuthorisationDate"] = f"{y}-04-01" if bad else f"{y}-03-31"


@case("8715")
def _c8715(k: list[Child], y: int, bad: bool) -> None:
    _s(k)["DateOfInitialCPC"] = f"{y - 1}-03-31" if bad else f"{y - 1}-04-01"
    _ep(k, 1)["s47"] = []
    _ep(k, 1)["DateOfInitialCPC"] = f"{y}-04-01" if bad else f"{y}-03-31"


@case("8720")
def _c8720(k: list[Child], y: int, bad: bool) -> None:
    _cp(k)["CPPstartDate"] = None if bad else f"{y}-03-31"
    _ep(k, 1)["cpps"][0]["CPPstartDate"] = f"{y}-04-01" if bad else f"{y}-03-31"


@case("8730")
def _c8730(k: list[Child], y: int, bad: bool) -> None:
    _cp(k)["NumberOfPreviousCPP"] = None if bad else "0"
    _ep(k, 1)["cpps"][0]["NumberOfPreviousCPP"] = "-1" if bad else "12"


@case("8736")
def _c8736(k: list[Child], y: int, bad: bool) -> None:
    _a(k)["AssessmentAuthorisationDate"] = None
    _a(k)["AssessmentActualStartDate"] = f"{y - 1}-03-31" if bad else f"{y - 1}-04-01"


@case("8740")
def _c8740(k: list[Child], y: int, bad: bool) -> None:
    _s(k)["DateOfInitialCPC"] = None
    _s(k)["S47ActualStartDate"] = f"{y - 1}-03-31" if bad else f"{y - 1}-04-01"


@case("8750")
def _c8750(k: list[Child], y: int, bad: bool) -> None:
    good_sex = "U" if y >= 2025 else "0"
    _unborn(k, y, ("M" if y >= 2025 else "1") if bad else good_sex)


@case("8770Q")
def _c8770q(k: list[Child], y: int, bad: bool) -> None:
    for child, reason in zip(k, ("UN1", None, "UN7"), strict=True):
        child["UPN"] = None
        child["PersonBirthDate"] = f"{y - 10}-01-01"
        child["UPNunknown"] = reason if bad else "UN3"
    if not bad:  # a child under 4 (under 6 before 2024-25) needs no reason yet
        k[1]["PersonBirthDate"] = f"{y - 3}-06-01"
        k[1]["UPNunknown"] = None


@case("8772")
def _c8772(k: list[Child], y: int, bad: bool) -> None:
    k[0]["UPNunknown"] = "UN7"
    if not bad:
        _ep(k)["ReferralNFA"] = "true"


@case("8775Q")
def _c8775q(k: list[Child], y: int, bad: bool) -> None:
    k[0]["PersonBirthDate"] = f"{y - 26}-01-01" if bad else f"{y - 24}-01-01"
    _ep(k)["CINclosureDate"] = None


@case("8790")
def _c8790(k: list[Child], y: int, bad: bool) -> None:
    k[0]["Disabilities"] = ["NONE", "MOB"] if bad else ["NONE"]


@case("8794")
def _c8794(k: list[Child], y: int, bad: bool) -> None:
    k[0]["Disabilities"] = ["MOB", "HAND", "MOB"] if bad else ["MOB", "HAND"]


@case("8805")
def _c8805(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _ep(k)["ReasonForClosure"] = None


@case("8810")
def _c8810(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _ep(k)["CINclosureDate"] = None


@case("8815")
def _c8815(k: list[Child], y: int, bad: bool) -> None:
    _set(_ep(k), CINclosureDate=None, ReasonForClosure=None)
    later = _d(_ep(k)["CINreferralDate"], 30)
    _add_episode(k, CINreferralDate=later, ReferralNFA="false" if bad else "true")


@case("8816")
def _c8816(k: list[Child], y: int, bad: bool) -> None:
    first = _ep(k)["CINreferralDate"]
    if bad:  # the open episode is the earlier one
        _set(_ep(k), CINclosureDate=None, ReasonForClosure=None)
        _add_episode(k, CINreferralDate=_d(first, 300), CINclosureDate=_d(first, 310),
                     ReasonForClosure="RC1", ReferralNFA="false")  # fmt: skip
    else:
        _add_episode(k, CINreferralDate=_d(first, 300), ReferralNFA="false")


@case("8820")
def _c8820(k: list[Child], y: int, bad: bool) -> None:
    # a re-referral on the day the previous episode closed is allowed (the DfE's note)
    start = _d(_ep(k)["CINclosureDate"], -1 if bad else 0)
    _add_episode(k, CINreferralDate=start, CINclosureDate=_d(start, 5),
                 ReasonForClosure="RC1", ReferralNFA="false")  # fmt: skip


@case("8825Q")
def _c8825q(k: list[Child], y: int, bad: bool) -> None:
    _ep(k)["ReasonForClosure"] = "RC8"
    if bad:
        _ep(k)["assessments"] = []


@case("8831")
def _c8831(k: list[Child], y: int, bad: bool) -> None:
    _ep(k)["ReferralNFA"] = "true"
    if not bad:
        _strip_activity(k)


@case("8832")
def _c8832(k: list[Child], y: int, bad: bool) -> None:
    _ep(k)["ReferralNFA"] = "true"
    if not bad:
        _ep(k)["cpps"] = []


@case("8839")
def _c8839(k: list[Child], y: int, bad: bool) -> None:
    _s(k)["DateOfInitialCPC"] = None
    second = {**_s(k), "ICPCnotRequired": "false" if bad else "true"}
    _ep(k)["s47"].append(second)


@case("8840")
def _c8840(k: list[Child], y: int, bad: bool) -> None:
    _cp(k)["CPPendDate"] = _d(_cp(k)["CPPstartDate"], 0 if bad else 1)


@case("8841")
def _c8841(k: list[Child], y: int, bad: bool) -> None:
    _cp(k)["reviews"] = [_d(_cp(k)["CPPstartDate"], 0 if bad else 1)]


@case("8842Q")
def _c8842q(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _cp(k)["reviews"] = [None]


@case("8863Q")
def _c8863q(k: list[Child], y: int, bad: bool) -> None:
    auth = _a(k)["AssessmentAuthorisationDate"]
    start = _d(auth, 0 if bad else 1)
    _ep(k)["assessments"].append(
        {"AssessmentActualStartDate": start, "AssessmentAuthorisationDate": _d(start, 5)}
    )


@case("8866")
def _c8866(k: list[Child], y: int, bad: bool) -> None:
    _ep(k)["ReferralSource"] = None if bad else "10"
    _ep(k, 1)["ReferralSource"] = "99" if bad else "5D"


@case("8867")
def _c8867(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _a(k)["AssessmentAuthorisationDate"] = None


@case("8868")
def _c8868(k: list[Child], y: int, bad: bool) -> None:
    _s(k)["DateOfInitialCPC"] = None
    _s(k)["ICPCnotRequired"] = "false" if bad else "true"


@case("8869")
def _c8869(k: list[Child], y: int, bad: bool) -> None:
    _a(k)["factors"] = ["21", "1A"] if bad else ["21"]


@case("8870Q")
def _c8870q(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _s(k)["InitialCPCtarget"] = _saturday_after(_s(k)["S47ActualStartDate"])


@case("8873Q")
def _c8873q(k: list[Child], y: int, bad: bool) -> None:
    _a(k)["factors"] = ["21"]
    _ep(k)["ReasonForClosure"] = "RC1" if bad else "RC8"
    _ep(k, 1)["assessments"][0]["factors"] = ["21"]
    if not bad:  # still open: no reason chosen yet
        _set(_ep(k, 1), CINclosureDate=None, ReasonForClosure=None)


@case("8875")
def _c8875(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _s(k)["DateOfInitialCPC"] = _saturday_after(_s(k)["S47ActualStartDate"])


@case("8890")
def _c8890(k: list[Child], y: int, bad: bool) -> None:
    icpc = _s(k)["DateOfInitialCPC"]
    second = {"S47ActualStartDate": _d(icpc, 0 if bad else 1), "ICPCnotRequired": "true"}
    _ep(k)["s47"].append(second)


@case("8896")
def _c8896(k: list[Child], y: int, bad: bool) -> None:
    _a(k)["AssessmentAuthorisationDate"] = None
    second = {"AssessmentActualStartDate": _d(_a(k)["AssessmentActualStartDate"], 1)}
    if not bad:
        second["AssessmentAuthorisationDate"] = _d(second["AssessmentActualStartDate"], 1)
    _ep(k)["assessments"].append(second)


@case("8897Q")
def _c8897q(k: list[Child], y: int, bad: bool) -> None:
    if bad:
        _a(k)["factors"] = None
    else:  # completed before the census year: no factors needed
        _a(k)["factors"] = None
        _a(k)["AssessmentAuthorisationDate"] = f"{y - 1}-03-31"


@case("8898")
def _c8898(k: list[Child], y: int, bad: bool) -> None:
    _a(k)["factors"] = ["1A", "2B", "1A"] if bad else ["1A", "2B", "1B"]


@case("8905")
def _c8905(k: list[Child], y: int, bad: bool) -> None:
    _cp(k)["InitialCategoryOfAbuse"] = "XXX" if bad else "MUL"
    _ep(k, 1)["cpps"][0]["InitialCategoryOfAbuse"] = None if bad else "SAB"


@case("8910")
def _c8910(k: list[Child], y: int, bad: bool) -> None:
    _cp(k)["LatestCategoryOfAbuse"] = None if bad else "EMO"
    _ep(k, 1)["cpps"][0]["LatestCategoryOfAbuse"] = "neglect" if bad else "PHY"


@case("8915")
def _c8915(k: list[Child], y: int, bad: bool) -> None:
    k[0]["PersonDeathDate"] = _d(_cp(k)["CPPstartDate"], -1 if bad else 0)


@case("8920")
def _c8920(k: list[Child], y: int, bad: bool) -> None:
    k[0]["PersonDeathDate"] = _d(_cp(k)["CPPendDate"], -1 if bad else 0)


@case("8925")
def _c8925(k: list[Child], y: int, bad: bool) -> None:
    _cp(k)["CPPendDate"] = _d(_cp(k)["CPPstartDate"], -1 if bad else 1)


@case("8930")
def _c8930(k: list[Child], y: int, bad: bool) -> None:
    _cp(k)["CPPendDate"] = f"{y}-04-01" if bad else f"{y}-03-31"


@case("8935")
def _c8935(k: list[Child], y: int, bad: bool) -> None:
    _cp(k)["CPPendDate"] = None
    second = {**_cp(k), "CPPstartDate": _d(_cp(k)["CPPstartDate"], 40)}
    second["CPPendDate"] = None if bad else _d(second["CPPstartDate"], 10)
    _ep(k)["cpps"].append(second)


@case("8940")
def _c8940(k: list[Child], y: int, bad: bool) -> None:
    second = {**_cp(k), "CPPstartDate": _d(_cp(k)["CPPendDate"], 0 if bad else 1)}
    second["CPPendDate"] = _d(second["CPPstartDate"], 20)
    _ep(k)["cpps"].append(second)


@case("8945Q")
def _c8945q(k: list[Child], y: int, bad: bool) -> None:
    _a(k)["factors"] = ["18A"] if bad else ["18B"]


@case("8950Q")
def _c8950q(k: list[Child], y: int, bad: bool) -> None:
    _a(k)["factors"] = ["19A"] if bad else ["19C"]


# ---- running one rule on one built return ---------------------------------------------------


def _run(tmp_path: Path, ruleset: str, code: str, mutate: Mutation | None) -> list[str]:
    y = int(ruleset[3:7]) + 1
    kids = clean_return(ruleset_year=y)
    overrides = (mutate(kids, y) if mutate else None) or {}
    path = tmp_path / f"{code}.xml"
    path.write_bytes(render(kids, **{"reference_date": f"{y}-03-31", **overrides}))
    rule = next(r for r in rules_for(ruleset) if r.code == code)
    con = duckdb.connect()
    try:
        parsed = load_cin_census(con, path, Settings(), pseudonymiser=KEY)
        report = validate_loaded(con, parsed.return_id, ruleset, rules=[rule])
    finally:
        con.close()
    return [f"{i.rule}:{i.record}" for i in report.issues if i.rule == code]


def _csv_rows() -> list[tuple[str, str]]:
    path = Settings().shared_data / "cin_census" / "validation_rules.csv"
    if not path.exists():
        return []
    return [(r["ruleset"], r["code"]) for r in _rules_csv(path.parents[1])]


Outcomes = dict[tuple[str, str, bool], list[str]]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Outcomes:
    """For every ruleset, every case's breaking and near-miss return, loaded together
    and validated in one pass: (ruleset, code, bad) → that rule's issues."""
    out: Outcomes = {}
    folder = tmp_path_factory.mktemp("cases")
    for ruleset in RULESETS:
        y = int(ruleset[3:7]) + 1
        tables: dict[str, dict[str, dict[str, list[object]]]] = {}
        keys: dict[tuple[str, str, bool], str] = {}
        for r in rules_for(ruleset):
            if r.code not in _C:
                continue
            for bad, mutate in zip((True, False), _C[r.code], strict=True):
                kids = clean_return(ruleset_year=y)
                overrides = mutate(kids, y) or {}
                path = folder / f"{ruleset}-{r.code}-{bad}.xml"
                path.write_bytes(render(kids, **{"reference_date": f"{y}-03-31", **overrides}))
                parsed = read_cin_census(path, lambda h: KEY)
                tables.setdefault(parsed.return_id, parsed.tables)
                keys[(ruleset, r.code, bad)] = parsed.return_id
        con = duckdb.connect()
        try:
            load_child_level(con, *tables.values())
            reports = validate_many(con, list(tables), ruleset)
        finally:
            con.close()
        for (rs, code, bad), rid in keys.items():
            out[(rs, code, bad)] = [
                f"{i.rule}:{i.record}" for i in reports[rid].issues if i.rule == code
            ]
    return out


@pytest.mark.parametrize(("ruleset", "code"), _csv_rows())
def test_rule_fails_a_return_built_to_break_it(outcomes: Outcomes, ruleset: str, code: str) -> None:
    assert code in _C, f"no test case for rule {code}"
    assert outcomes[(ruleset, code, True)], f"{code} did not fire ({ruleset})"


@pytest.mark.parametrize(("ruleset", "code"), _csv_rows())
def test_rule_passes_a_near_miss(outcomes: Outcomes, ruleset: str, code: str) -> None:
    assert outcomes[(ruleset, code, False)] == []


def test_one_rule_can_run_alone(tmp_path: Path) -> None:
    assert _run(tmp_path, "cin2024_25", "8840", _C["8840"][0]) == [
        "8840:episode 1, child protection plan 1"
    ]


@pytest.mark.parametrize("ruleset", RULESETS)
def test_clean_return_has_no_issues(tmp_path: Path, ruleset: str) -> None:
    y = int(ruleset[3:7]) + 1
    path = tmp_path / "clean.xml"
    path.write_bytes(render(clean_return(ruleset_year=y), reference_date=f"{y}-03-31"))
    report = validate_cin_census(path, Settings(), ruleset=ruleset, pseudonymiser=KEY)
    assert [(i.rule, i.record) for i in report.issues] == []
    assert not report.has_errors
    assert report.children == 3


# ---- the catalogue ----------------------------------------------------------------------------


def test_every_catalogued_rule_is_implemented_for_its_ruleset(shared_data: Path) -> None:
    rows = _rules_csv(shared_data)
    assert len(rows) == 114
    for ruleset in RULESETS:
        implemented = {r.code: r for r in rules_for(ruleset)}
        expected: dict[str, dict[str, str]] = {}
        for row in rows:  # later rulesets inherit, then override
            if RULESETS.index(row["ruleset"]) <= RULESETS.index(ruleset):
                expected[row["code"]] = row
        assert set(implemented) == set(expected), ruleset
        for code, row in expected.items():
            r = implemented[code]
            assert " ".join(r.message.split()) == " ".join(row["message"].split()), code
            assert r.module == row["module"], code
            assert r.rule_type == ("Query" if row["rule_type"].upper() == "QUERY" else "Error")
            assert r.reading, f"{code} has no docstring saying how it was read"


def test_every_declared_rule_version_is_in_the_catalogue(shared_data: Path) -> None:
    rows = {(r["ruleset"], r["code"]) for r in _rules_csv(shared_data)}
    assert {(r.ruleset, r.code) for r in all_rules()} == rows


def test_rulesets_change_what_they_should() -> None:
    assert len(rules_for("cin2022_23")) == 105
    assert len(rules_for("cin2024_25")) == 109
    assert "1570" not in {r.code for r in rules_for("cin2023_24")}
    by_code = {r.code: r for r in rules_for("cin2024_25")}
    assert by_code["4180"].field == "Sex" and by_code["1530"].ruleset == "cin2023_24"


def test_new_authorities_upn_codes_fail_before_2023_24(tmp_path: Path) -> None:
    def new_la(k: list[Child], y: int) -> None:
        k[0]["UPN"] = upn(la="942")

    assert _run(tmp_path, "cin2022_23", "1530", new_la)
    assert not _run(tmp_path, "cin2023_24", "1530", new_la)


# ---- rulesets, periods, working days ---------------------------------------------------------


def test_parse_ruleset_accepts_the_usual_spellings() -> None:
    for text in ("2024-25", "2025", "202425", "cin2024_25", "2024/25"):
        assert parse_ruleset(text) == "cin2024_25"
    assert ruleset_for_year(2023) == "cin2022_23"
    assert parse_ruleset("2025-26") == ruleset_for_year(2026) == "cin2025_26"
    for year in (2027, 2030):  # no silent fallback to the newest ruleset
        with pytest.raises(InputError, match=r"known rulesets are 2022-23, .*2025-26"):
            ruleset_for_year(year)
    with pytest.raises(InputError):
        parse_ruleset("2026-27")
    with pytest.raises(InputError):
        parse_ruleset("2019-20")
    with pytest.raises(InputError):
        parse_ruleset("next year")


def test_census_period_and_working_day_cutoffs() -> None:
    p = census_period("cin2022_23")
    assert (p.period_start, p.reference_date) == (date(2022, 4, 1), date(2023, 3, 31))
    assert p.start_minus_1wd == date(2022, 3, 31)  # a Thursday
    p = census_period("cin2023_24")
    # 1 April 2023 is a Saturday; the working day before it is Friday 31 March
    assert p.start_minus_1wd == date(2023, 3, 31)
    # 31 March 2024 is Easter Sunday: Good Friday 29 March is a holiday
    assert working_days_before(date(2024, 3, 31), 1) == date(2024, 3, 28)
    assert not is_working_day(date(2024, 4, 1))  # Easter Monday


def test_a_2027_28_return_is_refused_but_its_dates_use_2028_holidays(tmp_path: Path) -> None:
    # No 2027-28 ruleset exists, so a 2027-28 return is refused (never a silent fallback to
    # the newest rules). The library can still check it against the newest rules with its
    # own year's dates (working days counted across 2028's bank holidays): it passes; with
    # the newest ruleset's own dates the same return fails.
    path = tmp_path / "2028.xml"
    path.write_bytes(render(clean_return(ruleset_year=2028), reference_date="2028-03-31"))
    with pytest.raises(InputError, match="no CIN census ruleset for 2027-28"):
        validate_cin_census(path, Settings(), pseudonymiser=KEY)
    con = duckdb.connect()
    try:
        parsed = load_cin_census(con, path, Settings(), pseudonymiser=KEY)
        own_dates = validate_loaded(con, parsed.return_id, RULESETS[-1], year=2028)
        assert not own_dates.issues and own_dates.children > 0
        assert validate_loaded(con, parsed.return_id, RULESETS[-1]).issues
    finally:
        con.close()
    p = census_period(RULESETS[-1], 2028)
    assert (p.period_start, p.reference_date) == (date(2027, 4, 1), date(2028, 3, 31))
    # 45 working days before 31 March 2028 step over no holiday since 3 January 2028
    assert p.ref_minus_45wd == date(2028, 1, 28)
    # ...and the 2027-28 dates are not the newest (2025-26) ruleset's own
    assert census_period(RULESETS[-1]).reference_date == date(2026, 3, 31)


# ---- the real samples -----------------------------------------------------------------------


def test_real_samples_validate_and_report_known_faults(shared_data: Path) -> None:
    samples = shared_data / "cin_census" / "samples"
    header = validate_cin_census(
        samples / "CIN_header_issues_100.xml", Settings(), ruleset="2022-23", pseudonymiser=KEY
    )
    assert "100" in header.counts_by_rule()
    base = validate_cin_census(
        samples / "CIN_Census_2021.xml", Settings(), ruleset="2022-23", pseudonymiser=KEY
    )
    assert "100" not in base.counts_by_rule()
    assert "2887Q" in base.counts_by_rule()
    big = validate_cin_census(samples / "fake_CIN_data.xml", Settings(), pseudonymiser=KEY)
    assert big.children == 332 and big.has_errors
    assert all(i.child_id is None or len(i.child_id) == 64 for i in big.issues)
    assert all(i.la_child_id is None for i in big.issues)


def test_interactive_report_can_show_the_authoritys_own_reference(shared_data: Path) -> None:
    sample = shared_data / "cin_census" / "samples" / "CIN_Census_2024.xml"
    report = validate_cin_census(sample, Settings(), keep_child_refs=True, pseudonymiser=KEY)
    refs = {i.la_child_id for i in report.issues if i.child_seq is not None}
    assert refs <= {"DfEX0000001", "child_fails_assessments"}
    assert "la_child_id" in report.to_frame().columns


def test_rule_table_in_the_docs_is_current() -> None:
    from cscwatch.childlevel.cin.rules.catalogue import rule_table_markdown
    from cscwatch.core.config import repo_root

    text = (repo_root() / "docs" / "cin_census.md").read_text(encoding="utf-8")
    table = text.split("<!-- rules:start -->\n", 1)[1].split("<!-- rules:end -->", 1)[0]
    assert table == rule_table_markdown(), "run python -m cscwatch.childlevel.cin.rules.catalogue"


def test_default_ruleset_follows_the_reference_date(tmp_path: Path) -> None:
    path = tmp_path / "old.xml"
    path.write_bytes(render(clean_return(ruleset_year=2023), reference_date="2022-03-31"))
    with pytest.raises(InputError, match="no CIN census ruleset for 2021-22"):
        validate_cin_census(path, Settings(), pseudonymiser=KEY)
    # No forcing a year's file through another year's rules: every window would move.
    with pytest.raises(InputError, match="not in the 2022-23 collection year"):
        validate_cin_census(path, Settings(), ruleset="2022-23", pseudonymiser=KEY)
    path.write_bytes(render(clean_return(ruleset_year=2024), reference_date="2024-03-31"))
    assert validate_cin_census(path, Settings(), pseudonymiser=KEY).ruleset == "cin2023_24"
    path.write_bytes(render(clean_return(), reference_date="not a date"))
    with pytest.raises(InputError, match="ReferenceDate is missing or not a date"):
        validate_cin_census(path, Settings(), pseudonymiser=KEY)
    # With a ruleset named, an unreadable date is left to rule 100 (which reports it).
    named = validate_cin_census(path, Settings(), ruleset="2024-25", pseudonymiser=KEY)
    assert [i.value for i in named.issues if i.rule == "100"] == [None]


def test_raise_for_errors_carries_the_issues(tmp_path: Path) -> None:
    from cscwatch.core.errors import ValidationFailed

    kids = clean_return()
    kids[0]["episodes"][0]["CINreferralDate"] = None
    path = tmp_path / "r.xml"
    path.write_bytes(render(kids))
    report = validate_cin_census(path, Settings(), pseudonymiser=KEY)
    with pytest.raises(ValidationFailed, match="8600") as exc:
        report.raise_for_errors()
    assert exc.value.issues == report.issues  # type: ignore[attr-defined]
    path.write_bytes(render(clean_return()))
    validate_cin_census(path, Settings(), pseudonymiser=KEY).raise_for_errors()


def test_many_files_each_get_their_own_ruleset(tmp_path: Path) -> None:
    from cscwatch.childlevel.cin.validation import validate_cin_census_files

    old, new = tmp_path / "old.xml", tmp_path / "new.xml"
    old.write_bytes(render(clean_return(ruleset_year=2023), reference_date="2023-03-31"))
    new.write_bytes(render(clean_return(), reference_date="2025-03-31"))
    reports = validate_cin_census_files([new, old, new], Settings(), pseudonymiser=KEY)
    assert [r.ruleset for r in reports] == ["cin2024_25", "cin2022_23", "cin2024_25"]
    assert [r.path for r in reports] == [new, old, new]
    assert all(not r.issues and r.children == 3 for r in reports)
    with pytest.raises(InputError, match=r"old\.xml"):
        validate_cin_census_files([old], Settings(), ruleset="2024-25", pseudonymiser=KEY)


@pytest.mark.parametrize("ruleset", RULESETS)
def test_upn_unknown_reasons_un1_and_un7_do_not_excuse_an_older_child(
    outcomes: Outcomes, ruleset: str
) -> None:
    assert len(outcomes[(ruleset, "8770Q", True)]) == 3  # UN1, none, UN7
