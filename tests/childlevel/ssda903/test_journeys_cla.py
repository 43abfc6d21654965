"""Care journeys across SSDA903 returns: hand-checked spells and curves, disclosure."""

from __future__ import annotations

from pathlib import Path

import pytest
from rulekit import frames

from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.childlevel.ssda903.journeys import ClaJourneyModel, cla_journey_data
from cscwatch.childlevel.ssda903.reader import read_return
from cscwatch.childlevel.ssda903.store import ReturnYear, infer_collection_year, load_returns
from cscwatch.core.database import connect_duckdb
from cscwatch.core.errors import InputError


def _ep(child: str, decom: str, rne: str, place: str, dec: str = "", rec: str = "",
        ls: str = "C2") -> dict[str, str]:  # fmt: skip
    return {"CHILD": child, "DECOM": decom, "RNE": rne, "LS": ls, "PLACE": place,
            "DEC": dec, "REC": rec}  # fmt: skip


HEADERS = [
    {"CHILD": "p", "SEX": "1", "DOB": "01/01/2010"},
    {"CHILD": "q", "SEX": "2", "DOB": "01/06/2015"},
    {"CHILD": "s", "SEX": "2", "DOB": "01/06/2012"},
]
# Years ending 31 March 2024 and 2025. p goes home (E4A) after 90 days and comes back
# 164 days later into a children's home (K2), moving to foster care after 143 days (the
# move is in the 2025 return only: the later return wins). q starts in June 2024 and is
# still in care. s has been in care since 2020 (a clock started before the data is not
# followed) but moves placement in September 2023. r is on short breaks (V4): ignored.
RETURN_2024 = {
    "header": HEADERS,
    "episodes": [
        _ep("p", "01/05/2023", "S", "U1", "30/07/2023", "E4A"),
        _ep("p", "10/01/2024", "S", "K2"),
        _ep("s", "01/01/2020", "S", "U1", "01/09/2023", "X1"),
        _ep("s", "01/09/2023", "P", "U3"),
        _ep("r", "01/02/2024", "S", "U1", ls="V4"),
    ],
}
RETURN_2025 = {
    "header": HEADERS,
    "episodes": [
        _ep("p", "10/01/2024", "S", "K2", "01/06/2024", "X1"),
        _ep("p", "01/06/2024", "P", "U2"),
        _ep("q", "01/06/2024", "S", "U1"),
        _ep("s", "01/09/2023", "P", "U3"),
    ],
}


def _load(con: object = None) -> object:
    con = con or connect_duckdb()
    load_returns(
        con,  # type: ignore[arg-type]
        [ReturnYear(2024, frames(RETURN_2024)), ReturnYear(2025, frames(RETURN_2025))],
    )
    return con


def _spells(event: str, con: object = None) -> list[tuple[str, float, bool]]:
    data = cla_journey_data(_load(con))  # type: ignore[arg-type]
    sp = data.spells[data.spells.event == event].sort_values(["child", "start"])
    return list(zip(sp.child, sp.duration, sp.observed, strict=True))


def test_time_in_care_and_return_home() -> None:
    expected = [("p", 90.0, True), ("p", 446.0, False), ("q", 303.0, False)]
    assert _spells("left_care") == expected
    assert _spells("return_home") == [("p", 90.0, True), ("p", 446.0, False), ("q", 303.0, False)]


def test_reentry_after_return_home() -> None:
    assert _spells("reentry") == [("p", 164.0, True)]


def test_placement_moves_dedup_and_left_truncation() -> None:
    # p's first placement is censored when p goes home; the K2 placement ends in a move
    # after 143 days (reported in 2025's return only); s's 2020 placement started before
    # the data and is not followed.
    assert _spells("placement_move") == [
        ("p", 90.0, False),
        ("p", 143.0, True),
        ("p", 303.0, False),
        ("q", 303.0, False),
        ("s", 577.0, False),
    ]


def test_curves_by_hand() -> None:
    res = ClaJourneyModel(cla_journey_data(_load()), groups=["placement"]).fit()  # type: ignore[arg-type]
    curves = res.curves[(res.curves.group == "all") & (res.curves.time >= 0)]
    moves = curves[curves.event == "placement_move"].set_index("time")
    # Risk set at day 143: the spells of 143, 303, 303 and 577 days; one move.
    assert moves["at_risk"][143.0] == 4
    assert moves["survival"][143.0] == pytest.approx(0.75)
    left = curves[curves.event == "left_care"].set_index("time")
    assert left["survival"][90.0] == pytest.approx(2 / 3)
    assert left["survival"][446.0] == pytest.approx(2 / 3)  # censorings do not step
    groups = set(res.curves[res.curves.event == "left_care"].group)
    assert groups == {"all", "placement=Foster placements", "placement=Secure homes and "
                      "children's homes"}  # fmt: skip


def test_small_counts_suppressed_in_the_table() -> None:
    res = ClaJourneyModel(cla_journey_data(_load()), groups=["age"]).fit()  # type: ignore[arg-type]
    table = res.to_frame()
    for col in ("at_risk", "events"):
        shown = [v for v in table[col] if not isinstance(v, str)]
        assert all(v == 0 or v > 5 for v in shown)
    assert set(res.cohorts.spells) <= {"c", 0}


def test_referral_to_care_with_cin_tables() -> None:
    con = connect_duckdb()
    con.execute(
        "CREATE TABLE cin_return AS SELECT * FROM (VALUES ('r1', DATE '2025-03-31')) "
        "t(return_id, reference_date)"
    )
    con.execute(
        "CREATE TABLE cin_child AS SELECT * FROM (VALUES ('r1', 1, 'q', DATE '2015-06-01'), "
        "('r1', 2, 'z', DATE '2010-01-01'), ('r1', 3, 'p', DATE '2010-01-01')) "
        "t(return_id, child_seq, child_id, birth_date)"
    )
    con.execute(
        "CREATE TABLE cin_episode AS SELECT * FROM (VALUES ('r1', 1, DATE '2024-03-01'), "
        "('r1', 2, DATE '2024-10-01'), ('r1', 3, DATE '2024-02-01')) "
        "t(return_id, child_seq, referral_date)"
    )
    # q: referred 1 March 2024, in care 1 June 2024 (92 days); z: never in care, censored
    # at 31 March 2025 (181 days); p was in care before the referral: left out.
    assert _spells("referral_to_care", con) == [("q", 92.0, True), ("z", 181.0, False)]
    spells = cla_journey_data(con).spells
    ages = spells[spells.event == "referral_to_care"].set_index("child").age_band
    assert ages.to_dict() == {"q": "5 to 9", "z": "10 to 15"}  # z's age from the CIN census


def test_years_must_differ_and_can_be_inferred(shared_data: Path) -> None:
    with pytest.raises(InputError, match="same collection year"):
        load_returns(
            connect_duckdb(),
            [ReturnYear(2024, frames(RETURN_2024)), ReturnYear(2024, frames(RETURN_2025))],
        )
    folder = shared_data / "ssda903" / "samples"
    ret = read_return(
        [p for p in folder.glob("*.csv") if "errors" not in p.name],
        pseudonymiser=Pseudonymiser(b"journeys-test-key-16"),
    )
    assert infer_collection_year(ret.tables) == 2018
    con = connect_duckdb()
    load_returns(con, [ReturnYear(2018, ret.tables)])
    data = cla_journey_data(con)
    # The sample, one year: clocks started from 1 April 2017.
    counts = data.spells.groupby("event").size().to_dict()
    assert counts == {"left_care": 236, "placement_move": 1578, "reentry": 65,
                      "return_home": 236}  # fmt: skip
    assert not set(data.spells.child) & set(ret.child_refs.values())
