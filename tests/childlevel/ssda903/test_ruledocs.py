"""docs/ssda903.md carries the current rule table (generated from catalogue and registry)."""

from __future__ import annotations

import re

from cscwatch.childlevel.ssda903.ruledocs import generated_section, rule_table_markdown
from cscwatch.childlevel.ssda903.rules import RULESETS, catalogue
from cscwatch.core.config import repo_root


def test_rule_table_in_the_docs_is_current() -> None:
    text = (repo_root() / "docs" / "ssda903.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- rules:start -->\n(.*)<!-- rules:end -->", text, re.S)
    assert found is not None, "docs/ssda903.md has lost its rules markers"
    assert found.group(1) == generated_section(), (
        "run python -m cscwatch.childlevel.ssda903.ruledocs"
    )


def test_every_code_of_every_year_has_a_row_saying_whether_it_is_implemented() -> None:
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in
            rule_table_markdown().splitlines()[2:]}  # fmt: skip
    codes = {e.code for rs in RULESETS for e in catalogue(rs)}
    assert set(rows) == codes
    cells = rows["103"].split(" | ")[1 : 1 + len(RULESETS)]
    assert cells == ["yes"] * len(RULESETS)
    assert "ETHNIC absent" in rows["103"]  # its reading, from the docstring
