"""CIN validation as DfE reads it: the conference-date reading, findings labelled by the
record that holds the value, the failing value itself, and rulesets without fallback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cin_xml import Child, clean_return, render

from cscwatch.childlevel.cin.rules import rules_for
from cscwatch.childlevel.cin.validation import (
    ValidationReport,
    census_period,
    validate_cin_census,
    validate_cin_census_files,
)
from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError

KEY = Pseudonymiser(b"test-key-test-key-test-key")
ICPC_RULES = ("1104", "8715", "8875")


def _validate(tmp_path: Path, kids: list[Child], **kw: Any) -> ValidationReport:
    path = tmp_path / "r.xml"
    ref = kw.pop("reference_date", "2025-03-31")
    path.write_bytes(render(kids, reference_date=ref))
    return validate_cin_census(path, Settings(), pseudonymiser=KEY, **kw)


def _episode_level_conference(kids: list[Child], when: str) -> None:
    # The second child's episode: a conference with no section 47 enquiry (transfer-in).
    ep = kids[1]["episodes"][0]
    ep["s47"] = []
    ep["DateOfInitialCPC"] = when
    ep["cpps"][0]["CPPstartDate"] = when


@pytest.mark.parametrize(
    "when",
    [
        "2024-03-30",  # before the census year (8715) and before the referral (1104)
        "2024-05-25",  # a Saturday (8875)
    ],
)
def test_episode_level_conference_date_is_not_checked_by_the_section_47_rules(
    tmp_path: Path, when: str
) -> None:
    kids = clean_return()
    _episode_level_conference(kids, when)
    report = _validate(tmp_path, kids)
    assert not [i for i in report.issues if i.rule in ICPC_RULES]


@pytest.mark.parametrize(
    ("code", "when"),
    [("1104", "2024-04-30"), ("8715", "2024-03-29"), ("8875", "2024-05-25")],
)
def test_section_47_conference_date_is_checked_and_labelled_on_its_record(
    tmp_path: Path, code: str, when: str
) -> None:
    kids = clean_return()
    kids[0]["episodes"][0]["s47"][0]["DateOfInitialCPC"] = when
    report = _validate(tmp_path, kids)
    found = [i for i in report.issues if i.rule == code]
    assert [(i.table, i.record, i.field, i.value) for i in found] == [
        ("cin_section47", "episode 1, section 47 1", "DateOfInitialCPC", when)
    ]


def test_every_rule_docstring_of_the_three_gives_the_decision_and_its_source() -> None:
    for r in rules_for("cin2025_26"):
        if r.code in ICPC_RULES:
            assert "Section47 module" in r.reading and "Annex A" in r.reading
            assert "2883" in r.reading and "2885" in r.reading
            assert r.table == "cin_section47"


def test_findings_carry_the_failing_value(tmp_path: Path) -> None:
    kids = clean_return()
    kids[0]["episodes"][0]["ReasonForClosure"] = "RC99"  # 8640: invalid code
    kids[1]["episodes"][0]["cpps"][0]["CPPendDate"] = "2024-05-22"  # 8840: same day as start
    kids[2]["episodes"][0]["CINreferralDate"] = "2025-13-01"  # not a date: format
    report = _validate(tmp_path, kids)
    by_rule = {i.rule: i for i in report.issues}
    assert by_rule["8640"].value == "RC99"
    assert by_rule["8840"].value == "2024-05-22"
    fmt = by_rule["format"]
    assert (fmt.table, fmt.field, fmt.value) == ("cin_episode", "referral_date", "2025-13-01")
    # A rule whose field is an identifier carries no value (pseudonymised on reading).
    assert all(i.value is None for i in report.issues if i.field in ("LAchildID", "UPN"))


def test_value_of_a_missing_field_is_none(tmp_path: Path) -> None:
    kids = clean_return()
    kids[0]["episodes"][0]["CINreferralDate"] = None
    report = _validate(tmp_path, kids)
    assert [i.value for i in report.issues if i.rule == "8600"] == [None]


# ---- rulesets --------------------------------------------------------------------------------


def test_2025_26_runs_the_2024_25_rules_with_reference_date_31_march_2026(tmp_path: Path) -> None:
    assert rules_for("cin2025_26") == rules_for("cin2024_25")
    p = census_period("cin2025_26")
    assert (str(p.period_start), str(p.reference_date)) == ("2025-04-01", "2026-03-31")
    kids = clean_return(ruleset_year=2026)
    report = _validate(tmp_path, kids, reference_date="2026-03-31")
    assert report.ruleset == "cin2025_26"
    assert [(i.rule, i.record) for i in report.issues] == []
    named = _validate(tmp_path, kids, reference_date="2026-03-31", ruleset="2025-26")
    assert named.ruleset == "cin2025_26" and not named.issues


@pytest.mark.parametrize(
    ("reference_date", "ruleset", "message"),
    [
        ("2025-03-31", "2025-26", "not in the 2025-26 collection year"),
        ("2026-03-31", "2024-25", "not in the 2024-25 collection year"),
        ("2027-03-31", None, "no CIN census ruleset for 2026-27"),
        ("2025-03-31", "2026-27", "no CIN census ruleset for 2026-27"),
        ("2025-03-31", "cin2099", "ruleset"),
    ],
)
def test_a_ruleset_that_does_not_fit_is_a_clear_error(
    tmp_path: Path, reference_date: str, ruleset: str | None, message: str
) -> None:
    kids = clean_return()
    kw = {"reference_date": reference_date} | ({"ruleset": ruleset} if ruleset else {})
    with pytest.raises(InputError, match=message):
        _validate(tmp_path, kids, **kw)


def test_a_date_in_the_year_but_not_31_march_fits_and_rule_100_reports_it(tmp_path: Path) -> None:
    report = _validate(tmp_path, clean_return(), reference_date="2025-03-28", ruleset="2024-25")
    assert [(i.rule, i.value) for i in report.issues if i.rule == "100"] == [("100", "2025-03-28")]


def test_many_files_refuse_a_file_outside_the_named_ruleset(tmp_path: Path) -> None:
    good, other = tmp_path / "good.xml", tmp_path / "other.xml"
    good.write_bytes(render(clean_return(), reference_date="2025-03-31"))
    other.write_bytes(render(clean_return(ruleset_year=2026), reference_date="2026-03-31"))
    with pytest.raises(InputError, match=r"other\.xml"):
        validate_cin_census_files([good, other], Settings(), ruleset="2024-25", pseudonymiser=KEY)
