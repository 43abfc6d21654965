"""SSDA903 measures: hand-computed figures on a tiny return, disclosure, and the sample."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from rulekit import frames

from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.childlevel.ssda903.engine import stage
from cscwatch.childlevel.ssda903.measure_results import ClaMeasures
from cscwatch.childlevel.ssda903.measures import (
    cla_authority_lookup,
    compute_cla_measures,
    measure_staged_return,
    population_lookup,
    resolve_cla_authority,
)
from cscwatch.childlevel.ssda903.postcodes import PostcodeReference
from cscwatch.childlevel.ssda903.reader import read_return
from cscwatch.core.database import connect_duckdb
from cscwatch.core.errors import AmbiguousAuthorityError, InputError, UnknownAuthorityError
from cscwatch.indicators.cla_layouts import CLA_LAYOUTS

AT31 = "Children looked after on 31 March each year"
STARTED = "Children starting to be looked after each year"
CEASED = "Children ceasing to be looked after each year"
LONG = "Children looked after continuously for at least 2.5 years on 31 March aged under 16 years"


def _ep(child: str, decom: str, rne: str, ls: str, place: str, dec: str = "", rec: str = "",
        **more: str) -> dict[str, str]:  # fmt: skip
    return {"CHILD": child, "DECOM": decom, "RNE": rne, "LS": ls, "CIN": "N1",
            "PLACE": place, "PLACE_PROVIDER": "PR1", "DEC": dec, "REC": rec, **more}  # fmt: skip


# Collection year 2025 (1 April 2024 to 31 March 2025). Child a starts in the year and
# has three placements (S, P, T); b has been in one placement since 2020 and is 16; c
# changed legal status only in June 2023 after starting in February 2022 (the start is
# in last year's return); d is on short breaks (V4) and counts nowhere; e is adopted.
CURRENT = {
    "header": [
        {"CHILD": "a", "SEX": "1", "DOB": "01/06/2015"},
        {"CHILD": "b", "SEX": "F", "DOB": "15/04/2008"},
        {"CHILD": "c", "SEX": "2", "DOB": "01/01/2012"},
        {"CHILD": "d", "SEX": "M", "DOB": "01/01/2012"},
        {"CHILD": "e", "SEX": "M", "DOB": "01/01/2020"},
    ],
    "episodes": [
        _ep(
            "a",
            "01/05/2024",
            "S",
            "C2",
            "U1",
            "01/07/2024",
            "X1",
            HOME_POST="AB1 1AA",
            PL_POST="AB1 2BB",
        ),
        _ep("a", "01/07/2024", "P", "C2", "U3", "01/09/2024", "X1"),
        _ep("a", "01/09/2024", "T", "C2", "U4", HOME_POST="AB1 1AA", PL_POST="AB1 2BB"),
        _ep("b", "01/01/2020", "S", "C2", "U1", HOME_POST="AB1 1AA", PL_POST="ZZ9 9ZZ"),
        _ep("c", "01/06/2023", "L", "C1", "U1"),
        _ep("d", "01/01/2025", "S", "V4", "U1"),
        _ep("e", "01/04/2023", "S", "C2", "U1", "01/08/2024", "X1"),
        _ep("e", "01/08/2024", "P", "E1", "A5", "10/10/2024", "E11"),
    ],
    "missing": [
        {"CHILD": "a", "MISSING": "M", "MIS_START": "01/08/2024"},
        {"CHILD": "a", "MISSING": "M", "MIS_START": "01/09/2024"},
        {"CHILD": "b", "MISSING": "A", "MIS_START": "05/05/2023"},
    ],
    "oc3": [{"CHILD": "f", "DOB": "01/05/2005", "IN_TOUCH": "YES", "ACTIV": "F2", "ACCOM": "B1"}],
    "ad1": [{"CHILD": "e", "DATE_INT": "01/06/2024", "DATE_MATCH": "20/07/2024"}],
    "placed_for_adoption": [
        {
            "CHILD": "e",
            "DATE_PLACED": "01/06/2024",
            "DATE_PLACED_CEASED": "10/10/2024",
            "REASON_PLACED_CEASED": "E11",
        },
        {
            "CHILD": "c",
            "DATE_PLACED": "01/03/2024",
            "DATE_PLACED_CEASED": "01/02/2025",
            "REASON_PLACED_CEASED": "RD1",
        },
    ],
}
PREVIOUS = {
    "header": [{"CHILD": "b", "SEX": "F", "DOB": "15/04/2008"}],
    "episodes": [
        _ep("b", "01/01/2020", "S", "C2", "U1"),  # the same episode again: counted once
        _ep("c", "01/02/2022", "S", "C1", "U1", "01/06/2023", "X1"),
    ],
}
# Grid references (easting, northing in metres): AB1 2BB is 1.1 km from AB1 1AA (0.7 of
# a mile); ZZ9 9ZZ is some 660 km away.
POSTCODES = PostcodeReference(
    source="test grid",
    grid={"AB11AA": (394000.0, 800000.0), "AB12BB": (394000.0, 801100.0),
          "ZZ99ZZ": (530000.0, 180000.0)},
    district={},
    asked=3,
)  # fmt: skip


def _measure(previous: bool = False, postcodes: bool = False, **kw: object) -> ClaMeasures:
    con = connect_duckdb()
    try:
        return compute_cla_measures(
            con,
            frames(CURRENT),
            la_code="805",
            year=2025,
            previous=frames(PREVIOUS) if previous else None,
            postcodes=POSTCODES if postcodes else None,
            **kw,  # type: ignore[arg-type]
        )
    finally:
        con.close()


def test_counts_at_31_march_started_and_ceased() -> None:
    m = _measure()
    assert m.value("cla", population_type=AT31) == 3  # a, b, c (not d: V4)
    assert m.value("cla", population_type=STARTED) == 1  # a
    assert m.value("cla", population_type=CEASED) == 1  # e
    ch = "characteristics"
    assert m.value(ch, population_type=CEASED, characteristic="Reason ceased",
                   characteristic_value="E11") == 1  # fmt: skip
    assert m.value(ch, population_type=AT31, characteristic="Sex", characteristic_value="Male") == 1
    assert m.value(ch, population_type=AT31, characteristic="Sex",
                   characteristic_value="Female") == 2  # fmt: skip
    assert m.value(ch, population_type=AT31, characteristic="Age",
                   characteristic_value="16 years and over") == 1  # fmt: skip
    assert m.value(ch, population_type=AT31, characteristic="Legal status",
                   characteristic_value="C1") == 1  # fmt: skip
    assert m.value(ch, population_type=CEASED, characteristic="Age",
                   characteristic_value="1 to 4 years") == 1  # fmt: skip


def test_stability_one_year_without_previous_return() -> None:
    m = _measure()
    assert m.counts["stability"].values.tolist() == [
        ["CLA on 31 March", "With 3 or more placements during the year", 1],
        ["CLA on 31 March", "Total children", 3],
    ]
    assert any("previous year's return" in n for n in m.notes)


def test_stability_two_year_measures_with_previous_return() -> None:
    m = _measure(previous=True)
    rows = {(g, s): n for g, s, n in m.counts["stability"].values.tolist()}
    assert rows[("CLA 2 years on 31 March", "Total children")] == 2  # b, c
    assert rows[("CLA 2 years on 31 March",
                 "With 3 or more placements during the previous 2 years")] == 0  # fmt: skip
    assert rows[(LONG, "Total children")] == 1  # c (b is 16, a too recent)
    assert rows[(LONG, "Living with the same carer for at least 2 years")] == 1
    assert not any("previous" in n for n in m.notes)


def test_missing_adoption_and_care_leavers() -> None:
    m = _measure()
    miss = m.counts["missing"].set_index("missing_type")
    assert miss.loc["Looked after during the year", "children_count"] == 4  # a b c e
    assert [miss["children_count"]["Missing"], miss["incidents_count"]["Missing"]] == [1, 2]
    assert miss.loc["Away from placement without authorisation", "children_count"] == 0
    ad = m.counts["adoption"].set_index("adoption_stage")
    assert ad.loc["Adopted in the year", "children_count"] == 1
    assert ad.loc["Entering care to adoption", "total_days"] == 558  # 1/4/2023 to 10/10/2024
    assert ad.loc["Entering care to moving in with the adoptive family", "total_days"] == 488
    assert ad.loc["Decision to place for adoption to match", "total_days"] == 49
    assert ad.loc["Decision to place for adoption made in the year", "children_count"] == 1  # e
    reversed_ = "Decision to place for adoption ceased in the year, not adopted"
    assert ad.loc[reversed_, "children_count"] == 1  # c
    exact = m.tidy("adoption", disclose=False).set_index("adoption_stage")
    assert exact.loc["Entering care to adoption", "average_days"] == "558"
    cl = m.counts["care_leavers"]
    eet = cl[(cl.characteristic == "Activity") & (cl.age_group == "19 to 21")]
    assert dict(zip(eet.characteristic_value, eet.children_count, strict=True)) == {
        "In education, employment or training": 1,
        "Total": 1,
    }


def test_distance_needs_postcodes() -> None:
    assert "distance" not in _measure().counts
    m = _measure(postcodes=True)
    bands = dict(m.counts["distance"].values.tolist())
    assert bands == {"20 miles or less": 1, "Over 20 miles": 1, "Not known": 1, "Total": 3}


def test_small_counts_are_suppressed_everywhere() -> None:
    m = _measure()
    for layout in m.counts:
        spec = CLA_LAYOUTS[layout]
        t = m.tidy(layout)
        for col in spec.counts:
            shown = [int(v) for v in t[col] if v not in ("c", "z", "x")]
            assert all(v == 0 or v > 5 for v in shown), (layout, col, shown)


def test_secondary_suppression_in_a_breakdown() -> None:
    # 20 children at 31 March: 18 on C2, 2 on C1. C1 is suppressed, and so must C2 be,
    # or 20 - 18 gives C1 away.
    eps = [_ep(f"k{i}", "01/01/2024", "S", "C1" if i < 2 else "C2", "U1") for i in range(20)]
    con = connect_duckdb()
    m = compute_cla_measures(con, frames({"episodes": eps}), la_code="805", year=2025)
    t = m.tidy("characteristics")
    ls = t[(t.population_type == AT31) & (t.characteristic == "Legal status")]
    assert dict(zip(ls.characteristic_value, ls.children_count, strict=True)) == {
        "C1": "c",
        "C2": "c",
        "Total": "20",
    }
    assert set(ls[ls.characteristic_value != "Total"].children_percent) == {"c"}


def test_tidy_layout_is_the_published_one(snapshot_dir: Path) -> None:
    authorities = cla_authority_lookup(snapshot_dir)
    pop = population_lookup(snapshot_dir, "805", 2025)
    assert pop == 21090  # the figure DfE's 2025 file divides Hartlepool's by
    m = _measure(authority=authorities["805"], population=pop)
    for layout, name in (
        ("cla", "cla_number_and_rate_per_10k_children.csv"),
        ("stability", "la_cla_placement_stability.csv"),
    ):
        published = pd.read_csv(snapshot_dir / name, dtype=str, nrows=2)
        columns = [c.lstrip("\ufeff") for c in published.columns]
        assert list(m.tidy(layout).columns) == [*columns, "provisional"]
    cla = m.tidy("cla")
    assert cla.iloc[0][["la_name", "new_la_code", "population_estimate"]].tolist() == [
        "Hartlepool", "E06000001", "21090",
    ]  # fmt: skip
    assert set(cla.rate_per_10000) == {"c"}  # every count is 1 to 5


def test_files_and_meta(tmp_path: Path) -> None:
    m = _measure()
    paths = m.write_csv(tmp_path)
    names = {p.name for p in paths}
    assert "la_cla_missing_provisional.meta.csv" in names
    assert "la_cla_placement_stability_provisional.meta.csv" not in names
    meta = pd.read_csv(tmp_path / "la_cla_missing_provisional.meta.csv")
    assert meta[meta.col_type == "Filter"].col_name.tolist() == ["missing_type"]


def test_a_return_staged_for_validation_is_measured_the_same() -> None:
    con = connect_duckdb()
    stage(con, "lac2024_25", frames(CURRENT), frames(PREVIOUS))
    staged = measure_staged_return(con, la_code="805", year=2025, has_previous=True)
    direct = _measure(previous=True)
    for layout, frame in direct.counts.items():
        assert staged.counts[layout].equals(frame), layout
    # The rules still see their own collection row.
    assert con.execute("SELECT year FROM collection").fetchone() == (2025,)


def test_no_episodes_is_an_input_error() -> None:
    with pytest.raises(InputError, match="episodes"):
        compute_cla_measures(connect_duckdb(), {}, la_code="805", year=2025)


def test_sample_return(shared_data: Path) -> None:
    folder = shared_data / "ssda903" / "samples"
    files = [p for p in folder.glob("*.csv") if "errors" not in p.name]
    ret = read_return(files, pseudonymiser=Pseudonymiser(b"measures-test-key-16"))
    m = compute_cla_measures(connect_duckdb(), ret.tables, la_code="805", year=2018)
    # The fake return's figures for the year ending 31 March 2018 (V3/V4 left out).
    assert m.value("cla", population_type=AT31) == 1201
    assert m.value("cla", population_type=STARTED) == 223
    assert m.value("cla", population_type=CEASED) == 657
    three = "With 3 or more placements during the year"
    assert m.value("stability", cla_group="CLA on 31 March", placement_stability=three) == 225
    assert m.value("missing", missing_type="Missing") == 15
    assert m.value("adoption", adoption_stage="Adopted in the year") == 69


@pytest.mark.parametrize(
    ("text", "la_code"),
    [
        ("Hull", "810"),
        ("Telford", "894"),
        ("Herefordshire", "884"),
        ("Durham", "840"),
        ("Bournemouth", "839"),
        ("E06000001", "805"),
        ("805", "805"),
    ],
)
def test_authority_names_resolve_as_everywhere_else(
    snapshot_dir: Path, text: str, la_code: str
) -> None:
    assert resolve_cla_authority(text, cla_authority_lookup(snapshot_dir)).la_code == la_code


def test_ambiguous_and_misspelt_authorities_are_refused_with_choices(snapshot_dir: Path) -> None:
    lookup = cla_authority_lookup(snapshot_dir)
    with pytest.raises(AmbiguousAuthorityError, match="Kingston upon Thames"):
        resolve_cla_authority("Kingston", lookup)
    with pytest.raises(UnknownAuthorityError, match="did you mean: Leeds"):
        resolve_cla_authority("Lieds", lookup)
