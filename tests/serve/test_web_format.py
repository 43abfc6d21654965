"""Numbers for people on the pages: a change is in its own unit, a figure stays whole on
one line, and the spine writes pounds from a million up short."""

from __future__ import annotations

import pytest

from cscwatch.core.catalogue import Unit
from cscwatch.serve.web._render import fmt_change, fmt_change_cell, fmt_short, fmt_value


def test_changes_in_percentages_are_percentage_points() -> None:
    assert fmt_change(1.25, Unit.PERCENT) == "+1.2 percentage points"
    assert fmt_change(-0.4, Unit.PERCENT) == "−0.4 percentage points"
    assert fmt_change(3.84, Unit.PER_10K) == "+3.8 per 10,000 children"
    assert fmt_change(-1204.0, Unit.GBP_PER_CHILD) == "−£1,204"
    assert fmt_change(12.0, Unit.COUNT) == "+12"
    assert fmt_change(0.0, Unit.PERCENT) == "0.0 percentage points"
    assert fmt_change(None, Unit.PERCENT) == "no data"


@pytest.mark.parametrize(
    ("value", "short"),
    [
        (905_067.0, "£905,067"),
        (999_999.0, "£999,999"),
        (1_000_000.0, "£1.0m"),
        (4_297_789.0, "£4.3m"),
        (57_272_393.0, "£57.3m"),
        (999_949_999.0, "£999.9m"),
        (999_950_000.0, "£1.00bn"),  # not "£1000.0m"
        (8_955_421_269.0, "£8.96bn"),
        (16_012_355_892.0, "£16.01bn"),
        (-181_900_000.0, "−£181.9m"),
    ],
)
def test_the_spine_writes_pounds_from_a_million_up_short(value: float, short: str) -> None:
    assert fmt_short(value, Unit.GBP) == short


def test_only_pounds_are_written_short_and_a_missing_figure_keeps_its_symbol() -> None:
    assert fmt_short(12_183_016.0, Unit.COUNT) == "12,183,016"
    assert fmt_short(1_250_000.0, Unit.GBP_PER_CHILD) == "£1,250,000"
    assert fmt_short(None, Unit.GBP, "c") == fmt_value(None, Unit.GBP, "c") == "suppressed (c)"
    assert fmt_short(float("nan"), Unit.GBP) == "no data"


def test_a_change_cell_keeps_its_sign_with_its_figure() -> None:
    cell = fmt_change_cell(21_704_561.0, Unit.GBP, "increasing")
    assert cell == '<span class="app-figure">+£21,704,561</span> (increasing)'
    assert fmt_change_cell(-115.0, Unit.GBP, "n/a") == '<span class="app-figure">−£115</span>'
    assert fmt_change_cell(None, Unit.GBP, "increasing") == "no data"
    # a judgement is text, escaped like any other
    assert "&lt;b&gt;" in fmt_change_cell(1.0, Unit.COUNT, "<b>")
