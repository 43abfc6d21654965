"""Synthetic CIN census returns: calibration round trip, layout, determinism, injected errors.

Round trip: generate a return calibrated to an authority's published figures → load it
with the real reader → compute the published measures → compare with the targets.
Tolerance: every count exactly (0); re-referred children within 1% (a child drawn for a
"linked" earlier episode may also have two referrals this year); the two timeliness
percentages within 1.5 points (a few enquiries or assessments close to the start of an
episode cannot be late).
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from lxml import etree

from cscwatch.childlevel.cin.census import CinCensusReturn, read_cin_census
from cscwatch.childlevel.cin.measures import CinMeasures, compute_cin_measures
from cscwatch.childlevel.cin.store import load_child_level, load_cin_census
from cscwatch.childlevel.cin.validation import validate_many
from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError, UnknownAuthorityError, UnknownYearError
from cscwatch.indicators.cin_layouts import PLAN_LENGTH_COLUMNS
from cscwatch.synth.cin.errors import inject
from cscwatch.synth.cin.returns import (
    INJECTORS,
    NOT_INJECTED,
    PublishedFigures,
    synthetic_return_text,
    synthetic_xml,
    write_synthetic_return,
)
from cscwatch.synth.cin.writer import render

KEY = Pseudonymiser(b"test-key-for-synthetic-returns")


@pytest.fixture(scope="module")
def figures(snapshot_dir: Path) -> PublishedFigures:
    return PublishedFigures(snapshot_dir)


def _measures_of(path: Path) -> CinMeasures:
    con = duckdb.connect()
    try:
        load_cin_census(con, path, Settings(), pseudonymiser=KEY)
        return compute_cin_measures(con)
    finally:
        con.close()


@pytest.mark.parametrize(
    ("authority", "year"), [("Darlington", 2024), ("Rutland", 2025), ("York", 2025)]
)
def test_round_trip_reproduces_published_figures(
    figures: PublishedFigures, tmp_path: Path, authority: str, year: int
) -> None:
    res = write_synthetic_return(figures, authority, year, 11, tmp_path)
    t = res.targets
    m = _measures_of(res.path)
    exact = {
        ("c1", "referral_count"): t.referrals,
        ("c1", "rereferral_count"): t.rereferrals,
        ("c1", "no_further_action_count"): t.nfa,
        ("c1", "not_in_need_count"): t.not_in_need,
        ("c1", "referral_child_count"): t.referral_children,
        ("b1", "Anypoint_episodes"): t.anypoint_episodes,
        ("b1", "Started_episodes"): t.started_episodes,
        ("b1", "Ended_episodes"): t.ended_episodes,
        ("b1", "At31_episodes"): t.at31_episodes,
        ("b1", "awaiting_assessment"): t.awaiting_assessment,
        ("d3", "CPP_start"): t.cpp_starts,
        ("d3", "CPP_subsequent"): t.cpp_subsequent,
        ("c4", "S47_enquiries"): t.section47,
        ("c4", "ICPCs"): t.icpc,
        ("c3", "Episodes_with_assessment_factor"): t.factor_episodes,
        **{("d5", b): v for b, v in zip(PLAN_LENGTH_COLUMNS, t.cpp_at31_bands, strict=True)},
        **{("c3", c): v for c, v in t.factor_counts.items()},
    }
    got = {k: m.value(*k) for k in exact}
    assert got == {k: float(v) for k, v in exact.items()}
    assert m.value("c1", "rereferral_child_count") == pytest.approx(
        t.rereferral_children, rel=0.01, abs=1
    )
    assert m.value("c4", "ICPC_within_15_days_percent") == pytest.approx(
        100 * t.icpc_15_share, abs=1.5
    )
    assert m.value("c2", "Within_45_days_percent") == pytest.approx(
        100 * t.assess_45_share, abs=1.5
    )


def test_same_seed_same_bytes_other_seed_other_bytes(figures: PublishedFigures) -> None:
    a = synthetic_xml(figures, "Rutland", 2025, 3)
    assert a == synthetic_xml(figures, "Rutland", 2025, 3)
    assert a != synthetic_xml(figures, "Rutland", 2025, 4)


def test_layout_header_and_identifiers(figures: PublishedFigures, tmp_path: Path) -> None:
    res = write_synthetic_return(figures, "857", 2025, 1, tmp_path)
    root = etree.parse(str(res.path)).getroot()
    assert root.tag == "Message"
    assert [c.tag for c in root] == ["Header", "Children"]
    assert root.findtext("Header/Source/SoftwareCode") == "cscwatch-synthetic"
    assert root.findtext("Header/Source/LEA") == "857"
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == "2025-03-31"
    ids = [e.text or "" for e in root.iter("LAchildID")]
    assert ids and all(i.startswith("SYN85725") and len(i) <= 20 and i.isalnum() for i in ids)
    assert len(set(ids)) == len(ids)
    child = root.find("Children/Child")
    assert child is not None
    assert [c.tag for c in child][:3] == ["ChildIdentifiers", "ChildCharacteristics", "CINdetails"]
    # 2024-25 returns carry <Sex>; earlier ones <GenderCurrent>.
    assert root.find(".//Sex") is not None and root.find(".//GenderCurrent") is None
    old = etree.fromstring(synthetic_xml(figures, "857", 2023, 1).encode())
    assert old.find(".//GenderCurrent") is not None
    # The reader recognises the marker (and would accept the public demo key).
    parsed = read_cin_census(res.path, lambda h: KEY)
    assert parsed.header.synthetic
    assert parsed.referrals >= res.targets.referrals


def test_clean_synthetic_return_has_no_validation_errors(
    figures: PublishedFigures, tmp_path: Path
) -> None:
    from cscwatch.childlevel.cin.validation import validate_cin_census

    res = write_synthetic_return(figures, "Darlington", 2025, 5, tmp_path)
    report = validate_cin_census(res.path, Settings(), pseudonymiser=KEY)
    assert report.errors == 0
    assert report.queries == 0


@pytest.mark.slow
def test_every_injector_breaks_exactly_its_rule(figures: PublishedFigures) -> None:
    base = synthetic_return_text(figures, "Rutland", 2025, 5)
    tables: dict[str, dict[str, dict[str, list[object]]]] = {}
    by_rule: dict[str, str] = {}
    clean = read_cin_census_bytes(render(base))
    tables[clean.return_id] = clean.tables
    for code in sorted(INJECTORS):
        text = copy.deepcopy(base)
        inject(text, [code], seed=5)
        parsed = read_cin_census_bytes(render(text))
        tables[parsed.return_id] = parsed.tables
        by_rule[code] = parsed.return_id
    con = duckdb.connect()
    try:
        load_child_level(con, *tables.values())
        reports = validate_many(con, list(tables), "cin2024_25")
    finally:
        con.close()
    assert not reports[clean.return_id].issues
    wrong = {}
    for code, rid in by_rule.items():
        fired = Counter(i.rule for i in reports[rid].issues)
        if set(fired) != {code}:
            wrong[code] = dict(fired)
    assert not wrong


def read_cin_census_bytes(data: str) -> CinCensusReturn:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.xml"
        path.write_text(data, encoding="utf-8")
        return read_cin_census(path, lambda h: KEY)


def test_unknown_rule_is_refused_with_the_reason(figures: PublishedFigures) -> None:
    text = synthetic_return_text(figures, "Rutland", 2025, 1)
    with pytest.raises(InputError, match="2883"):
        inject(text, ["2883"], seed=1)
    assert "2883" in NOT_INJECTED
    assert not set(INJECTORS) & set(NOT_INJECTED)


def test_all_injects_every_injector(figures: PublishedFigures) -> None:
    text = synthetic_return_text(figures, "Rutland", 2025, 2, ["all"])
    assert text.injected == sorted(INJECTORS)


def test_unknown_authority_and_year(figures: PublishedFigures) -> None:
    with pytest.raises(UnknownAuthorityError, match="Darlington"):
        figures.targets("Darlingtn", 2025)
    with pytest.raises(UnknownYearError):
        figures.targets("Darlington", 2009)


def test_authorities_resolve_by_short_names_as_everywhere_else(figures: PublishedFigures) -> None:
    assert [figures.resolve(a, 2024) for a in ("Hull", "Telford", "Durham", "E08000035")] == [
        "810", "894", "840", "383",
    ]  # fmt: skip
    with pytest.raises(UnknownAuthorityError, match="Kingston upon Thames"):
        figures.resolve("Kingston", 2024)


def test_suppressed_figures_are_imputed_not_zero(figures: PublishedFigures) -> None:
    # Darlington 2024 publishes plans at 31 March of 1 to 2 and 2+ years as 'c'.
    t = figures.targets("Darlington", 2024)
    assert "cpp_at31_2_years_or_more" in t.imputed
    assert t.cpp_at31_bands[4] > 0
    assert sum(t.cpp_at31_bands) == 145  # the published total is kept
