"""Build small CIN census XML returns in tests, programmatically.

A child is a plain dict: scalar keys are child-identifier / characteristic elements
(``LAchildID``, ``UPN``, ``PersonBirthDate``, ``Sex``, ``Ethnicity``...),
``Disabilities`` a list, ``episodes`` a list of episode dicts. An episode's scalar keys
are ``<CINdetails>`` elements; ``assessments``, ``plans``, ``s47``, ``cpps`` lists of
dicts (an assessment's ``factors`` and a plan's ``reviews`` are lists). A key whose
value is None is left out. :func:`clean_child` makes a child that passes every rule.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from lxml import etree

from cscwatch.childlevel.upn import check_letter

Child = dict[str, Any]

_IDENTIFIERS = (
    "LAchildID", "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate",
    "ExpectedPersonBirthDate", "GenderCurrent", "Sex", "PersonDeathDate",
)  # fmt: skip


def upn(la: str = "201", serial: str = "00000001", last: str = "1") -> str:
    """A well-formed UPN with the right check letter."""
    body = f"{la}{serial}{last}"
    letter = check_letter(body)
    assert letter is not None
    return letter + body


def _add(parent: etree._Element, tag: str, value: object) -> None:
    if value is None:
        return
    el = etree.SubElement(parent, tag)
    el.text = str(value)


def _scalars(parent: etree._Element, data: dict[str, Any], skip: tuple[str, ...]) -> None:
    for k, v in data.items():
        if k not in skip and not isinstance(v, list | dict):
            _add(parent, k, v)


def render(
    children: list[Child],
    *,
    reference_date: str = "2025-03-31",
    la: str = "201",
    software: str = "cscwatch-tests",
    year: str | None = None,
) -> bytes:
    """The XML bytes of a return holding ``children``."""
    msg = etree.Element("Message")
    header = etree.SubElement(msg, "Header")
    cd = etree.SubElement(header, "CollectionDetails")
    _add(cd, "Collection", "CIN")
    _add(cd, "Year", year if year is not None else reference_date[:4])
    _add(cd, "ReferenceDate", reference_date)
    src = etree.SubElement(header, "Source")
    for tag, value in (
        ("SourceLevel", "L"),
        ("LEA", la),
        ("SoftwareCode", software),
        ("Release", "1"),
        ("SerialNo", "001"),
        ("DateTime", "2025-05-01T09:00:00"),
    ):
        _add(src, tag, value)
    kids = etree.SubElement(msg, "Children")
    for child in children:
        c = etree.SubElement(kids, "Child")
        ids = etree.SubElement(c, "ChildIdentifiers")
        for k in _IDENTIFIERS:
            _add(ids, k, child.get(k))
        chars = etree.SubElement(c, "ChildCharacteristics")
        _add(chars, "Ethnicity", child.get("Ethnicity"))
        if child.get("Disabilities") is not None:
            dis = etree.SubElement(chars, "Disabilities")
            for d in child["Disabilities"]:
                _add(dis, "Disability", d)
        for ep in child.get("episodes", []):
            e = etree.SubElement(c, "CINdetails")
            _scalars(e, ep, ())
            for a in ep.get("assessments", []):
                ae = etree.SubElement(e, "Assessments")
                _scalars(ae, a, ())
                if a.get("factors") is not None:
                    fe = etree.SubElement(ae, "FactorsIdentifiedAtAssessment")
                    for f in a["factors"]:
                        _add(fe, "AssessmentFactors", f)
            for p in ep.get("plans", []):
                _scalars(etree.SubElement(e, "CINPlanDates"), p, ())
            for s in ep.get("s47", []):
                _scalars(etree.SubElement(e, "Section47"), s, ())
            for cp in ep.get("cpps", []):
                ce = etree.SubElement(e, "ChildProtectionPlans")
                _scalars(ce, cp, ())
                for r in cp.get("reviews", []):
                    re_ = etree.SubElement(ce, "Reviews")
                    _add(re_, "CPPreviewDate", r)
    return bytes(etree.tostring(msg, xml_declaration=True, encoding="utf-8"))


def clean_child(n: int = 1, *, sex_field: str = "Sex", sex: str = "M") -> Child:
    """A child that passes every rule of the 2024-25 ruleset: referred in the year, assessed,
    a section 47 leading to a conference and a plan that ended, a CIN plan after it,
    episode closed."""
    return {
        "LAchildID": f"CHILD{n:05d}",
        "UPN": upn(serial=f"{n:08d}"),
        "PersonBirthDate": "2015-06-01",
        sex_field: sex,
        "Ethnicity": "WBRI",
        "Disabilities": ["MOB", "HAND"],
        "episodes": [
            {
                "CINreferralDate": "2024-05-01",
                "ReferralSource": "1A",
                "PrimaryNeedCode": "N1",
                "CINclosureDate": "2025-02-28",
                "ReasonForClosure": "RC1",
                "ReferralNFA": "false",
                "assessments": [
                    {
                        "AssessmentActualStartDate": "2024-05-02",
                        "AssessmentAuthorisationDate": "2024-05-20",
                        "factors": ["1A", "2B"],
                    }
                ],
                "s47": [
                    {
                        "S47ActualStartDate": "2024-05-03",
                        "InitialCPCtarget": "2024-05-24",
                        "DateOfInitialCPC": "2024-05-22",
                        "ICPCnotRequired": "false",
                    }
                ],
                "cpps": [
                    {
                        "CPPstartDate": "2024-05-22",
                        "CPPendDate": "2024-11-20",
                        "InitialCategoryOfAbuse": "NEG",
                        "LatestCategoryOfAbuse": "NEG",
                        "NumberOfPreviousCPP": "0",
                        "reviews": ["2024-08-14"],
                    }
                ],
                "plans": [{"CINPlanStartDate": "2024-11-20", "CINPlanEndDate": "2025-02-28"}],
            }
        ],
    }


def clean_return(*, ruleset_year: int = 2025) -> list[Child]:
    """Three clean children whose disabilities satisfy the return-level queries
    (eight distinct codes, some child with more than one)."""
    shift = 2025 - ruleset_year
    sex_field, sex = ("Sex", "M") if ruleset_year >= 2025 else ("GenderCurrent", "1")
    kids = [clean_child(i, sex_field=sex_field, sex=sex) for i in (1, 2, 3)]
    kids[1]["Disabilities"] = ["PC", "INC", "COMM"]
    kids[2]["Disabilities"] = ["LD", "HEAR", "VIS"]
    return [shift_years(k, shift) for k in kids]


def shift_years(child: Child, years: int) -> Child:
    """``child`` with every date moved back ``years`` times 52 weeks (to fit an older
    ruleset while keeping each date's weekday)."""
    if years == 0:
        return copy.deepcopy(child)

    def move(v: Any) -> Any:
        if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-":
            return (date.fromisoformat(v) - timedelta(weeks=52 * years)).isoformat()
        if isinstance(v, list):
            return [move(x) for x in v]
        if isinstance(v, dict):
            return {k: move(x) for k, x in v.items()}
        return v

    moved: Child = move(child)
    return moved
