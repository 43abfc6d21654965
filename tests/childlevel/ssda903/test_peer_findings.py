"""The sample return's findings, rule by rule, against the open SSDA903 validator's.

The validator's findings are golden files (``tests/golden/ssda903``, with the README saying
how they were made). For every rule of a compared ruleset's catalogue: a rule cscwatch
does not implement yet is skipped by name; one that cannot run on the sample (it needs
the previous year's return or Ofsted's lists), or that the validator could not run, is
skipped with that reason; every other rule must flag exactly the records the validator
flags, except the differences listed in ``agreed/<code>.json`` with their reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.childlevel.ssda903.rules import catalogue, implementation
from cscwatch.childlevel.ssda903.validation import ValidationReport903, validate_return

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "ssda903"
SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ssda903" / "samples"
COMPARED = ("lac2022_23", "lac2024_25")
KEY = Pseudonymiser(b"peer-comparison-key-0123456789")

Rows = set[tuple[str, int]]


@cache
def _peer(ruleset: str) -> tuple[dict[str, Any], dict[str, Any]]:
    findings = json.loads((GOLDEN / f"peer_{ruleset}.json").read_text())
    meta = json.loads((GOLDEN / f"peer_{ruleset}.meta.json").read_text())
    return findings, meta


def _agreed(code: str, ruleset: str) -> tuple[Rows, Rows, str]:
    path = GOLDEN / "agreed" / f"{code}.json"
    if not path.is_file():
        return set(), set(), ""
    data = json.loads(path.read_text())
    entry = data.get(ruleset, {})
    ours = {(str(t), int(r)) for t, r in entry.get("only_ours", [])}
    peer = {(str(t), int(r)) for t, r in entry.get("only_peer", [])}
    return ours, peer, str(data["reason"])


def _cases() -> Iterator[Any]:
    for ruleset in COMPARED:
        for entry in catalogue(ruleset):
            marks = []
            if implementation(entry.code, ruleset) is None:
                marks.append(pytest.mark.skip(reason=f"rule {entry.code} not implemented yet"))
            yield pytest.param(ruleset, entry.code, id=f"{ruleset}-{entry.code}", marks=marks)


@pytest.fixture(scope="module")
def sample_report() -> Callable[[str], ValidationReport903]:
    if not SAMPLES.is_dir():
        pytest.skip("shared SSDA903 samples not present")
    files = [p for p in sorted(SAMPLES.glob("*.csv")) if p.name != "placed_for_adoption_errors.csv"]
    made: dict[str, ValidationReport903] = {}

    def report(ruleset: str) -> ValidationReport903:
        if ruleset not in made:
            # The placing authority the validator was run for (its offline default).
            la = str(_peer(ruleset)[1]["local_authority"])
            made[ruleset] = validate_return(
                files, ruleset, period=2018, pseudonymiser=KEY, la_code=la
            )
        return made[ruleset]

    return report


@pytest.fixture(scope="module")
def flagged(
    sample_report: Callable[[str], ValidationReport903],
) -> Callable[[str], dict[str, Rows]]:
    """The records each rule flags in a ruleset's report, gathered once per report (a
    scan of its 61,000 findings per rule took 3.5 ms of each of 600 tests)."""
    made: dict[str, dict[str, Rows]] = {}

    def by_rule(ruleset: str) -> dict[str, Rows]:
        if ruleset not in made:
            rows: dict[str, Rows] = {}
            for f in sample_report(ruleset).findings:
                rows.setdefault(f.rule, set()).add((f.table, f.row_no))
            made[ruleset] = rows
        return made[ruleset]

    return by_rule


@pytest.mark.parametrize(("ruleset", "code"), list(_cases()))
def test_rule_flags_what_the_open_validator_flags(
    sample_report: Callable[[str], ValidationReport903],
    flagged: Callable[[str], dict[str, Rows]],
    ruleset: str,
    code: str,
) -> None:
    report = sample_report(ruleset)
    findings, meta = _peer(ruleset)
    if code not in report.rules_run:
        reason = next(n.reason for n in report.not_run if n.code == code)
        pytest.skip(f"rule {code} not run on the sample: {reason}")
    if code in meta["rules_raised"]:
        pytest.skip(f"the open validator raised on rule {code}: {meta['rules_raised'][code]}")
    if code not in meta["registry_codes"]:
        pytest.skip(f"the open validator has no rule {code} for {ruleset}")
    ours = flagged(ruleset).get(code, set())
    peer = {(t, int(r)) for t, rows in findings.get(code, {}).items() for r in rows}
    only_ours, only_peer, why = _agreed(code, ruleset)
    assert (ours - peer, peer - ours) == (only_ours, only_peer), why or (
        f"rule {code}: {len(ours - peer)} records only cscwatch flags (e.g. "
        f"{sorted(ours - peer)[:5]}), {len(peer - ours)} only the validator flags (e.g. "
        f"{sorted(peer - ours)[:5]}); fix the rule or list the difference in "
        f"tests/golden/ssda903/agreed/{code}.json with the reason"
    )


def test_rule_103_on_the_sample_is_the_validators_exactly(
    sample_report: Callable[[str], ValidationReport903],
) -> None:
    for ruleset in COMPARED:
        report = sample_report(ruleset)
        assert "103" in report.rules_run and "103" in _peer(ruleset)[1]["registry_codes"]
        ours = sorted(f.row_no for f in report.findings if f.rule == "103")
        # The sample's ethnicities are all valid: neither flags any record.
        assert ours == sorted(_peer(ruleset)[0].get("103", {}).get("header", [])) == []


def test_no_raw_identifier_leaves_the_report(
    sample_report: Callable[[str], ValidationReport903],
) -> None:
    import csv

    with (SAMPLES / "header.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    raw_child = {r["CHILD"] for r in rows}
    raw_upn = {r["UPN"] for r in rows if r["UPN"]}
    report = sample_report("lac2024_25")
    text = json.dumps(report.to_dict())
    children = {f.child_id for f in report.findings}
    assert not children & raw_child and all(c is None or len(c) == 64 for c in children)
    # Identifiers as whole JSON strings: no raw CHILD or UPN anywhere in the report.
    # (One pass over the 20 MB text each, not one per identifier: 2,675 of each.)
    assert not _quoted_in(text, raw_child)
    assert not _found_in(text, raw_upn)
    assert all(f.la_child_id is None for f in report.findings)


def _quoted_in(text: str, names: set[str]) -> set[str]:
    """The ``names`` that occur in ``text`` between double quotes (``"name"``).

    A name without a quote character occurs so exactly when it is the text between two
    consecutive quotes; a name holding a quote is searched for directly.
    """
    between = set(text.split('"')[1:-1])
    return {n for n in names if (f'"{n}"' in text if '"' in n else n in between)}


def _found_in(text: str, needles: set[str]) -> set[str]:
    """The non-empty ``needles`` that occur anywhere in ``text``, as ``needle in text``.

    Every occurrence lies inside a maximal run of the characters the needles are made
    of, so only those runs (found in one pass) are searched.
    """
    needles = {n for n in needles if n}
    if not needles:
        return set()
    chars = "".join(re.escape(ch) for ch in sorted(set("".join(needles))))
    runs = set(re.findall(f"[{chars}]{{{min(map(len, needles))},}}", text))
    lengths = {len(n) for n in needles}
    return {
        run[i : i + k]
        for run in runs
        for k in lengths
        for i in range(len(run) - k + 1)
        if run[i : i + k] in needles
    }


def test_the_identifier_searches_find_what_a_search_per_identifier_finds() -> None:
    text = json.dumps({"k": ["24903", "x24903", 'q"7"', "A1B2C3D4E5F6G"], "365892": 1})
    names = {"24903", "365892", "7", "x", "888"}
    assert _quoted_in(text, names) == {n for n in names if f'"{n}"' in text} == {"24903", "365892"}
    upns = {"B2C3D4", "A1B2C3D4E5F6G", "ZZ", "24903x", "9"}
    found = {"B2C3D4", "A1B2C3D4E5F6G", "9"}
    assert _found_in(text, upns) == {u for u in upns if u in text} == found
