"""What a finding shows: some field of the record it flags, each field once.

DfE's catalogue gives each rule's affected fields. Some name fields no file of a return
carries (PL_DISTANCE, PL_LA and PL_LOCATION, which DfE derives from the postcodes) or
only another table's (rule 118 lists DECOM twice where its placed-for-adoption record's
DATE_PLACED_CEASED is meant); their findings once showed no field and no value, so an
authority could not see what to correct.
"""

from __future__ import annotations

import re
from pathlib import Path

from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.childlevel.ssda903.rules import RULESETS, catalogue, implementation
from cscwatch.childlevel.ssda903.rules.base import shown_fields
from cscwatch.childlevel.ssda903.tables import DERIVED_FROM, TABLES
from cscwatch.childlevel.ssda903.validation import validate_return

KEY = Pseudonymiser(b"shown-fields-test-key-0123456789")
#: ``'episodes' AS tbl``: the tables a rule's SQL flags records in.
_FLAGGED = re.compile(
    r"'([a-z][a-z0-9_]*)'(?:::VARCHAR)? AS tbl\b"
    # a UNION's later SELECT may name its table without the alias: SELECT 'ad1', a_row
    r"|SELECT\s+'([a-z][a-z0-9_]*)'(?:::VARCHAR)?\s*,"
)


def test_every_rule_shows_a_field_of_every_table_it_flags_each_once() -> None:
    checked = set()
    for ruleset in RULESETS:
        for entry in catalogue(ruleset):
            impl = implementation(entry.code, ruleset)
            if impl is None:
                continue
            tables = {a or b for a, b in _FLAGGED.findall(impl.sql)}
            assert tables, f"{entry.code}: no table found in its SQL (the check would be empty)"
            for table in tables:
                shown = shown_fields(entry, impl, table)
                assert shown, f"{ruleset} {entry.code}: a finding on {table} shows no field"
                assert len(shown) == len(set(shown)), (entry.code, shown)
                assert set(shown) <= set(TABLES[table.removesuffix("_last")].staged)
                checked.add((ruleset, entry.code, table))
    assert len(checked) > 1000  # every year's rules, most on one table


def test_a_rule_shows_the_same_fields_in_every_year_its_catalogue_entry_is_the_same() -> None:
    # A rule re-implemented for a later year (new codes, not a new test) shows what the
    # earlier implementation showed, while DfE lists the same affected fields.
    shown: dict[tuple[str, tuple[str, ...], str], set[tuple[str, ...]]] = {}
    for ruleset in RULESETS:
        for entry in catalogue(ruleset):
            impl = implementation(entry.code, ruleset)
            if impl is None:
                continue
            for a, b in _FLAGGED.findall(impl.sql):
                key = (entry.code, entry.fields, a or b)
                shown.setdefault(key, set()).add(shown_fields(entry, impl, a or b))
    assert len(shown) > 300
    assert {k: v for k, v in shown.items() if len(v) > 1} == {}


def test_a_derived_field_stands_for_what_it_is_derived_from() -> None:
    (entry,) = [e for e in catalogue("lac2024_25") if e.code == "164"]
    impl = implementation("164", "lac2024_25")
    assert impl is not None and entry.fields == ("PL_DISTANCE",)
    assert shown_fields(entry, impl, "episodes") == DERIVED_FROM["PL_DISTANCE"]
    assert not set(DERIVED_FROM) & {f for t in TABLES.values() for f in t.staged}


def test_findings_show_the_postcodes_and_the_date_a_rule_tested(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "h.csv").write_text(
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nRAW1,F,01/01/2012,WBRI,,,\n"
    )
    (folder / "e.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
        "PL_POST,URN\nRAW1,01/05/2024,S,C2,N1,U1,PR1,,,,ZZ9 9ZZ,,SC1\n"
    )
    (folder / "p.csv").write_text(
        "CHILD,DOB,DATE_PLACED,DATE_PLACED_CEASED,REASON_PLACED_CEASED\n"
        "RAW1,01/01/2012,01/02/2024,01/03/2024,RD1\n"
    )
    report = validate_return([folder], "2024-25", pseudonymiser=KEY, rules=["118", "164"])
    shown = {(f.rule, f.table): (f.field, f.value) for f in report.findings}
    assert shown[("164", "episodes")] == ("HOME_POST, PL_POST", "HOME_POST=ZZ9 9ZZ; PL_POST=")
    assert shown[("118", "placed_for_adoption")] == (
        "DATE_PLACED_CEASED",
        "DATE_PLACED_CEASED=01/03/2024",
    )
    assert shown[("118", "episodes")] == ("DECOM, LS", "DECOM=01/05/2024; LS=C2")
