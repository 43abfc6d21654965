"""Every catalogue rule in rulesa's ranges (100-299, 1000-1016, 3001) is implemented,
or is one of the few that cannot be from what a return holds, and says how it was read."""

from __future__ import annotations

import re

import pytest

from cscwatch.childlevel.ssda903.engine import plan
from cscwatch.childlevel.ssda903.rules import RULESETS, all_rules, catalogue, implementation

# Every rule of these ranges is implemented (105, 205C, 229 and 1015 with the header's
# UASC status, the placing authority and Ofsted's lists: test_rules_placing).
NOT_IMPLEMENTED: set[str] = set()


def _in_range(code: str) -> bool:
    m = re.match(r"\d+", code)
    if m is None:
        return False
    n = int(m.group())
    return 100 <= n < 300 or 1000 <= n <= 1016 or n == 3001


@pytest.mark.parametrize("ruleset", RULESETS)
def test_every_rule_in_range_is_implemented_but_the_known_few(ruleset: str) -> None:
    codes = {e.code for e in catalogue(ruleset) if _in_range(e.code)}
    missing = {c for c in codes if implementation(c, ruleset) is None}
    assert missing == NOT_IMPLEMENTED
    reasons = {n.code: n.reason for n in plan(ruleset, set(), has_previous=False).not_run}
    assert all(reasons[c] == "not implemented in cscwatch yet" for c in missing)


def test_every_implementation_has_a_reading_and_a_catalogue_entry() -> None:
    ours = [r for r in all_rules() if _in_range(r.code)]
    assert len(ours) > 100
    for r in ours:
        assert len(r.reading) > 20, r.code
        assert r.sql.lstrip().upper().startswith(("SELECT", "WITH")), r.code
        assert any(e.code == r.code for e in catalogue(r.ruleset)), (r.code, r.ruleset)
