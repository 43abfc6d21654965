"""Published CIN measures from child-level data: a hand-computed golden return, the
published layouts, disclosure control, and the re-referral look-back across returns."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cscwatch.childlevel.cin.measures import (
    GEO_COLUMNS,
    LAYOUTS,
    CinMeasures,
    authority_lookup,
    compute_cin_measures,
)
from cscwatch.childlevel.cin.store import load_cin_census
from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.core.config import Settings

KEY = Pseudonymiser(b"test-key-for-measures")

_HEADER = """<?xml version="1.0" encoding="utf-8"?>
<Message><Header><CollectionDetails><Collection>CIN</Collection><Year>{year}</Year>
<ReferenceDate>{year}-03-31</ReferenceDate></CollectionDetails><Source>
<SourceLevel>L</SourceLevel><LEA>841</LEA><SoftwareCode>tests</SoftwareCode>
<Release>1</Release><SerialNo>1</SerialNo><DateTime>{year}-05-01T09:00:00</DateTime>
</Source></Header><Children>{children}</Children></Message>"""


def _child(cid: str, birth: str, episodes: str) -> str:
    return (
        f"<Child><ChildIdentifiers><LAchildID>{cid}</LAchildID><PersonBirthDate>{birth}"
        "</PersonBirthDate><Sex>F</Sex></ChildIdentifiers><ChildCharacteristics><Ethnicity>"
        "WBRI</Ethnicity><Disabilities><Disability>NONE</Disability></Disabilities>"
        f"</ChildCharacteristics>{episodes}</Child>"
    )


def _ep(ref: str, nfa: str = "false", close: str = "", reason: str = "", body: str = "") -> str:
    c = f"<CINclosureDate>{close}</CINclosureDate>" if close else ""
    r = f"<ReasonForClosure>{reason}</ReasonForClosure>" if reason else ""
    return (
        f"<CINdetails><CINreferralDate>{ref}</CINreferralDate><ReferralSource>1A"
        f"</ReferralSource><PrimaryNeedCode>N1</PrimaryNeedCode>{c}{r}{body}"
        f"<ReferralNFA>{nfa}</ReferralNFA></CINdetails>"
    )


# The golden return, 2024-25 (1 April 2024 to 31 March 2025), Darlington (841). Each
# expected figure below is counted by hand from these four children.
GOLDEN_2025 = _HEADER.format(
    year=2025,
    children="".join(
        [
            # A: NFA referral in April, re-referred in June (within 12 months): assessed
            # 3 June to 1 July 2024 (20 working days), factors 3B and 4B; section 47 from
            # 5 June, conference 21 June (12 working days) starting a second plan, open.
            _child("CHILDA", "2015-01-01",
                   _ep("2024-04-10", nfa="true", close="2024-04-10", reason="RC7")
                   + _ep("2024-06-03", body=(
                       "<Assessments><AssessmentActualStartDate>2024-06-03"
                       "</AssessmentActualStartDate><AssessmentAuthorisationDate>2024-07-01"
                       "</AssessmentAuthorisationDate><FactorsIdentifiedAtAssessment>"
                       "<AssessmentFactors>3B</AssessmentFactors><AssessmentFactors>4B"
                       "</AssessmentFactors></FactorsIdentifiedAtAssessment></Assessments>"
                       "<Section47><S47ActualStartDate>2024-06-05</S47ActualStartDate>"
                       "<InitialCPCtarget>2024-06-26</InitialCPCtarget><DateOfInitialCPC>"
                       "2024-06-21</DateOfInitialCPC><ICPCnotRequired>false</ICPCnotRequired>"
                       "</Section47>"))
                   .replace("<ReferralNFA>false</ReferralNFA></CINdetails>",
                            "<ReferralNFA>false</ReferralNFA><ChildProtectionPlans>"
                            "<CPPstartDate>2024-06-21</CPPstartDate><InitialCategoryOfAbuse>NEG"
                            "</InitialCategoryOfAbuse><LatestCategoryOfAbuse>NEG"
                            "</LatestCategoryOfAbuse><NumberOfPreviousCPP>1"
                            "</NumberOfPreviousCPP></ChildProtectionPlans></CINdetails>")),
            # B: an episode open since November 2023 (a CIN plan ending in September)
            # closed in October; referred again in November 2024 — over 12 months after
            # the earlier referral, so not a re-referral — assessed for 59 working days
            # (Christmas, Boxing Day and New Year's Day excluded), no factors, closed RC8.
            _child("CHILDB", "2012-05-05",
                   _ep("2023-11-01", close="2024-10-15", reason="RC7", body=(
                       "<CINPlanDates><CINPlanStartDate>2023-12-01</CINPlanStartDate>"
                       "<CINPlanEndDate>2024-09-30</CINPlanEndDate></CINPlanDates>"))
                   + _ep("2024-11-20", close="2025-02-14", reason="RC8", body=(
                       "<Assessments><AssessmentActualStartDate>2024-11-20"
                       "</AssessmentActualStartDate><AssessmentAuthorisationDate>2025-02-14"
                       "</AssessmentAuthorisationDate><FactorsIdentifiedAtAssessment>"
                       "<AssessmentFactors>21</AssessmentFactors>"
                       "</FactorsIdentifiedAtAssessment></Assessments>"))),
            # C: referred 20 March 2025, not yet assessed; a section 47 pending.
            _child("CHILDC", "2019-09-09",
                   _ep("2025-03-20", body=(
                       "<Section47><S47ActualStartDate>2025-03-24</S47ActualStartDate>"
                       "<InitialCPCtarget>2025-04-14</InitialCPCtarget><ICPCnotRequired>false"
                       "</ICPCnotRequired></Section47>"))),
            # D: open since 2022 with a plan since February 2022 (over 2 years at 31 March).
            _child("CHILDD", "2010-02-02",
                   _ep("2022-01-10").replace(
                       "<ReferralNFA>false</ReferralNFA></CINdetails>",
                       "<ReferralNFA>false</ReferralNFA><ChildProtectionPlans><CPPstartDate>"
                       "2022-02-01</CPPstartDate><InitialCategoryOfAbuse>EMO"
                       "</InitialCategoryOfAbuse><LatestCategoryOfAbuse>EMO"
                       "</LatestCategoryOfAbuse><NumberOfPreviousCPP>0</NumberOfPreviousCPP>"
                       "</ChildProtectionPlans></CINdetails>")),
        ]
    ),
)  # fmt: skip

EXPECTED: dict[str, dict[str, float]] = {
    "c1": {"referral_count": 4, "rereferral_count": 1, "rereferral_percent": 25.0,
           "no_further_action_count": 1, "no_further_action_percent": 25.0,
           "not_in_need_count": 1, "not_in_need_percent": 25.0, "referral_child_count": 3,
           "rereferral_child_count": 1, "rereferral_child_percent": 33.3},
    "b1": {"Anypoint_episodes": 4, "Anypoint_child": 4, "Started_episodes": 2,
           "Started_child": 2, "Ended_episodes": 1, "Ended_child": 1, "At31_episodes": 3,
           "awaiting_assessment": 1},
    "c2": {"Assessments_completed": 2, "Same_day": 0, "1-10_days": 0, "11-20_days": 1,
           "41-45_days": 0, "51-60_days": 1, "61+_days": 0, "Within_45_days": 1,
           "Within_45_days_percent": 50.0},
    "c3": {"Episodes_with_assessment_factor": 1, "Domestic_Abuse_parent": 1,
           "Mental_Health_parent": 1, "Neglect": 0},
    "c4": {"S47_enquiries": 2, "ICPCs": 1, "ICPC_within_15_days": 1,
           "ICPC_within_15_days_percent": 100.0},
    "d3": {"CPP_start": 1, "CPP_subsequent": 1, "CPP_subsequent_percent": 100.0},
    "d5": {"CPP_At31": 2, "3_months_or_less": 0, "more_than_3_months_6_months": 0,
           "more_than_6_months_less_than_1_year": 1, "1_year_less_than_2_years": 0,
           "2_years_or_more": 1, "2_years_or_more_percent": 50.0},
}  # fmt: skip


def _load(tmp_path: Path, *returns: tuple[str, str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, text in returns:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        load_cin_census(con, path, Settings(), pseudonymiser=KEY)
    return con


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory, snapshot_dir: Path) -> CinMeasures:
    """Measured once for the module: the tests only read it (``tidy`` builds new frames)."""
    con = _load(tmp_path_factory.mktemp("golden"), ("golden.xml", GOLDEN_2025))
    try:
        return compute_cin_measures(con, authorities=authority_lookup(snapshot_dir))
    finally:
        con.close()


@pytest.mark.parametrize("layout", sorted(EXPECTED))
def test_golden_return_measures_by_hand(golden: CinMeasures, layout: str) -> None:
    got = {c: golden.value(layout, c) for c in EXPECTED[layout]}
    assert got == pytest.approx(EXPECTED[layout])


@pytest.mark.parametrize("layout", ["b1", "c1", "c3", "d3", "d5"])
def test_layouts_match_the_published_files(
    golden: CinMeasures, snapshot_dir: Path, layout: str
) -> None:
    published = next(snapshot_dir.glob(f"{layout}_*.csv"))
    columns = list(pd.read_csv(published, nrows=0).columns)
    tidy = golden.tidy(layout)
    assert list(tidy.columns) == [*columns, "provisional", "return_id"]
    row = tidy.iloc[0]
    assert row["geographic_level"] == "Local authority"
    assert (row["old_la_code"], row["new_la_code"], row["la_name"]) == (
        "841", "E06000005", "Darlington",
    )  # fmt: skip
    assert row["time_period"] == 2025 and row["provisional"] == "true"


def test_every_layout_starts_with_the_geography(golden: CinMeasures) -> None:
    for layout in LAYOUTS:
        assert tuple(golden.tidy(layout).columns[: len(GEO_COLUMNS)]) == GEO_COLUMNS


def test_disclosure_on_outputs(golden: CinMeasures) -> None:
    c1 = golden.tidy("c1").iloc[0]
    # Counts 1 to 5 are suppressed and so are percentages made from them.
    assert c1["referral_count"] == "c" and c1["rereferral_percent"] == "c"
    d5 = golden.tidy("d5").iloc[0]
    assert d5["3_months_or_less"] == "0" and d5["2_years_or_more"] == "c"
    exact = golden.tidy("c1", disclose=False).iloc[0]
    assert exact["referral_count"] == "4" and exact["rereferral_child_percent"] == "33.3"
    long = golden.to_frame()
    assert set(long["value"]) <= {"c", "z", "0"}  # the golden return is all small numbers
    assert '"c"' in golden.to_json()


def test_secondary_suppression_among_plan_lengths(tmp_path: Path) -> None:
    # 3 plans of 2+ years (suppressed) and 7 of under 3 months: the 7 must go too, or
    # the 3 could be found from the total of 10.
    kids = []
    for i in range(10):
        start = "2022-02-01" if i < 3 else "2025-02-03"
        kids.append(_child(f"K{i}", "2012-01-01", _ep("2021-12-01").replace(
            "<ReferralNFA>false</ReferralNFA></CINdetails>",
            f"<ReferralNFA>false</ReferralNFA><ChildProtectionPlans><CPPstartDate>{start}"
            "</CPPstartDate><InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>"
            "<LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse><NumberOfPreviousCPP>0"
            "</NumberOfPreviousCPP></ChildProtectionPlans></CINdetails>")))  # fmt: skip
    con = _load(tmp_path, ("plans.xml", _HEADER.format(year=2025, children="".join(kids))))
    try:
        d5 = compute_cin_measures(con).tidy("d5").iloc[0]
    finally:
        con.close()
    assert d5["CPP_At31"] == "10"
    assert d5["2_years_or_more"] == "c" and d5["3_months_or_less"] == "c"
    assert d5["3_months_or_less_percent"] == "c"
    assert d5["more_than_3_months_6_months"] == "0"


def test_rereferral_looks_back_into_an_earlier_return(tmp_path: Path) -> None:
    # Child A's April 2024 referral follows one on 1 February 2024 in the 2023-24 return.
    earlier = _HEADER.format(
        year=2024,
        children=_child("CHILDA", "2015-01-01",
                        _ep("2024-02-01", nfa="true", close="2024-02-01", reason="RC7")),
    )  # fmt: skip
    con = _load(tmp_path, ("golden.xml", GOLDEN_2025))
    try:
        alone = compute_cin_measures(con).value("c1", "rereferral_count")
    finally:
        con.close()
    con = _load(tmp_path, ("golden.xml", GOLDEN_2025), ("earlier.xml", earlier))
    try:
        ids = [
            r[0]
            for r in con.execute(
                "SELECT return_id FROM cin_return WHERE collection_year = 2025"
            ).fetchall()
        ]
        both = compute_cin_measures(con, ids)
    finally:
        con.close()
    assert alone == 1
    assert both.value("c1", "rereferral_count") == 2
    assert both.value("c1", "rereferral_child_count") == 1


def test_unknown_return_is_refused(golden: CinMeasures, tmp_path: Path) -> None:
    from cscwatch.core.errors import InputError

    con = _load(tmp_path, ("golden.xml", GOLDEN_2025))
    try:
        with pytest.raises(InputError):
            compute_cin_measures(con, ["nope"])
    finally:
        con.close()
    with pytest.raises(InputError):
        golden.tidy("x9")


def test_2027_28_assessments_count_2028_bank_holidays_as_non_working(tmp_path: Path) -> None:
    # Monday 1 November 2027 to Thursday 6 January 2028 spans 48 weekdays, three of them
    # bank holidays (27 and 28 December 2027, 3 January 2028 for New Year's Day on a
    # Saturday): 45 working days, within the 45-day limit. Counting 3 January as a
    # working day would give 46.
    assessed = (
        "<Assessments><AssessmentActualStartDate>2027-11-01</AssessmentActualStartDate>"
        "<AssessmentAuthorisationDate>2028-01-06</AssessmentAuthorisationDate>"
        "</Assessments>"
    )
    text = _HEADER.format(
        year=2028, children=_child("CHILDA", "2015-01-01", _ep("2027-11-01", body=assessed))
    )
    con = _load(tmp_path, ("2028.xml", text))
    try:
        m = compute_cin_measures(con)
    finally:
        con.close()
    assert m.value("c2", "Assessments_completed") == 1
    assert m.value("c2", "41-45_days") == 1 and m.value("c2", "46-50_days") == 0
    assert m.value("c2", "Within_45_days") == 1
