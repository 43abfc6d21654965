"""Numbers for people on the pages: a change is in its own unit."""

from __future__ import annotations

from cscwatch.core.catalogue import Unit
from cscwatch.serve.web._render import fmt_change


def test_changes_in_percentages_are_percentage_points() -> None:
    assert fmt_change(1.25, Unit.PERCENT) == "+1.2 percentage points"
    assert fmt_change(-0.4, Unit.PERCENT) == "−0.4 percentage points"
    assert fmt_change(3.84, Unit.PER_10K) == "+3.8 per 10,000 children"
    assert fmt_change(-1204.0, Unit.GBP_PER_CHILD) == "−£1,204"
    assert fmt_change(12.0, Unit.COUNT) == "+12"
    assert fmt_change(0.0, Unit.PERCENT) == "0.0 percentage points"
    assert fmt_change(None, Unit.PERCENT) == "no data"
