"""``cscwatch cla journeys --cin``: a child followed from the CIN census into care.

The CIN census and the SSDA903 return pseudonymise their child identifiers with the
same keyed hash, so a referral in one and an episode in the other meet on the pseudonym.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from cin_xml import clean_child, render

from cscwatch.childlevel.ssda903.tables import TABLES

Cli = Callable[..., tuple[int, str, str]]
KEY = {"CSCWATCH_PSEUDONYM_KEY": "cla-cin-journeys-key-0123456789"}


def _write(folder: Path, name: str, rows: list[dict[str, str]]) -> None:
    folder.mkdir(exist_ok=True)
    fields = list(TABLES[name].fields)
    pd.DataFrame([{f: r.get(f, "") for f in fields} for r in rows], columns=fields).to_csv(
        folder / f"{name}.csv", index=False
    )


def _episode(decom: str, rne: str, place: str, dec: str = "", rec: str = "") -> dict[str, str]:
    return {"CHILD": "q", "DECOM": decom, "RNE": rne, "LS": "C2", "PLACE": place,
            "DEC": dec, "REC": rec}  # fmt: skip


def _returns(tmp_path: Path) -> list[str]:
    # q enters care on 1 June 2024 (year ending March 2025) and moves in January 2025;
    # the year ending March 2024 holds another child only.
    header = [{"CHILD": "q", "SEX": "1", "DOB": "01/06/2015"}]
    other = [{"CHILD": "w", "SEX": "2", "DOB": "01/01/2012"}]
    _write(tmp_path / "cla2024", "header", other)
    _write(tmp_path / "cla2024", "episodes",
           [{**_episode("01/05/2023", "S", "U1"), "CHILD": "w"}])  # fmt: skip
    _write(tmp_path / "cla2025", "header", header + other)
    _write(tmp_path / "cla2025", "episodes", [
        _episode("01/06/2024", "S", "U1", "10/01/2025", "X1"),
        _episode("10/01/2025", "P", "U3"),
        {**_episode("01/05/2023", "S", "U1"), "CHILD": "w"},
    ])  # fmt: skip
    return [str(tmp_path / "cla2024"), str(tmp_path / "cla2025")]


def test_referral_to_care_clock_needs_the_cin_census(cli: Cli, tmp_path: Path) -> None:
    folders = _returns(tmp_path)
    # q is referred on 1 May 2024 and enters care 31 days later; z is referred the same
    # day and never enters care (censored at the census date, 31 March 2025).
    children = [{**clean_child(1), "LAchildID": "q"}, {**clean_child(2), "LAchildID": "z"}]
    cin = tmp_path / "cin2025.xml"
    cin.write_bytes(render(children))
    code, stdout, err = cli(
        "cla", "journeys", *folders, "--cin", str(cin), "--by", "none", "-f", "json", "-q",
        env=KEY,
    )  # fmt: skip
    assert code == 0, err
    rows = [r for r in json.loads(stdout)["survival"] if r["event"] == "referral_to_care"]
    assert rows, "no referral-to-care clock although the CIN census was given"
    # Two children: the counts are suppressed, never shown.
    assert {r["at_risk"] for r in rows} <= {"c", 0}
    assert {r["events"] for r in rows} <= {"c", 0}
    # q's entry on day 31 falls between the 30- and 91-day rows; by day 365 z has been
    # censored (day 334) and no one is at risk.
    by_day = {r["day"]: r for r in rows}
    assert by_day[30]["events"] == 0 and by_day[91]["events"] == "c"
    assert by_day[365]["at_risk"] == 0
    code, stdout, err = cli(
        "cla", "journeys", *folders, "--by", "none", "-f", "json", "-q", env=KEY
    )  # fmt: skip
    assert code == 0, err
    assert not [r for r in json.loads(stdout)["survival"] if r["event"] == "referral_to_care"]
