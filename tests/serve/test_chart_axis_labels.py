"""The y axis's labels: short from a million up, and always inside the chart's padding.

Written out, England's spend on children's services (£16,012,355,892) gave labels like
"£16,000,000,000" that ran off the left of the chart: on a phone they were cut.
"""

from __future__ import annotations

import re

import pytest

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.serve.web import charts
from cscwatch.serve.web._render import fmt_for

POUNDS = fmt_for(CATALOGUE["spend_cyp_gross"])
COUNT = fmt_for(CATALOGUE["population_0_17"])


@pytest.mark.parametrize(
    ("ticks", "fmt", "labels"),
    [
        ([0.0, 5e9, 1e10, 1.5e10, 2e10], POUNDS, ["£0", "£5bn", "£10bn", "£15bn", "£20bn"]),
        ([0.0, 5e7, 1e8, 2.5e8], POUNDS, ["£0", "£50m", "£100m", "£250m"]),
        ([1e9, 1.25e9, 1.5e9], POUNDS, ["£1bn", "£1.25bn", "£1.5bn"]),
        ([0.0, 4e6, 8e6, 1.2e7], COUNT, ["0", "4m", "8m", "12m"]),
        ([-2e6, 0.0, 2e6], COUNT, ["-2m", "0", "2m"]),
        # under a million the figure's own format, every digit
        ([0.0, 250_000.0, 500_000.0], POUNDS, ["£0", "£250,000", "£500,000"]),
        ([0.0, 25.0, 50.0], COUNT, ["0", "25", "50"]),
    ],
)
def test_tick_labels(ticks: list[float], fmt: charts.Fmt, labels: list[str]) -> None:
    assert charts.tick_labels(ticks, fmt) == labels


def _padding_left(svg: str) -> int:
    m = re.search(r"padding-left: (\d+)px", svg)
    assert m is not None
    return int(m.group(1))


def _y_labels(svg: str) -> list[str]:
    axis = svg[svg.index('<g class="app-chart__axis"') :]
    axis = axis[: axis.index("</g>")]
    return re.findall(r'text-anchor="end">([^<]*)</text>', axis)


def test_line_chart_of_england_spend_has_short_labels_that_fit() -> None:
    series = [
        charts.Series(
            "England", "england", [(2017, 9.2e9), (2021, 1.1e10), (2025, 16_012_355_892.0)]
        )
    ]
    svg = str(charts.line_chart(series, title="t", desc="d", ident="e", fmt=POUNDS))
    labels = _y_labels(svg)
    assert labels[0] == "£0" and labels[-1] in ("£16bn", "£18bn", "£20bn")
    assert not any("," in lab for lab in labels)
    # the padding holds the longest label at 8 px a character (14 px Arial digits are ~7.8)
    assert _padding_left(svg) >= 8 * max(len(lab) for lab in labels)


def test_padding_widens_for_long_labels_and_keeps_its_minimum() -> None:
    wide = [charts.Series("A", "la", [(2020, 123_456.0), (2021, 587_654.0)])]
    svg = str(charts.line_chart(wide, title="t", desc="d", ident="w", fmt=POUNDS))
    labels = _y_labels(svg)
    assert labels[-1] == "£600,000"
    assert _padding_left(svg) >= 8 * len("£600,000") + 14 > 64
    narrow = [charts.Series("A", "la", [(2020, 1.0), (2021, 2.0)])]
    svg = str(charts.line_chart(narrow, title="t", desc="d", ident="n", fmt=COUNT))
    assert _padding_left(svg) == 64


def test_bar_and_comparison_charts_use_the_same_labels() -> None:
    bars = [charts.Bar(label=f"LA {i}", value=i * 4e8) for i in range(1, 6)]
    svg = str(charts.bar_chart(bars, title="t", desc="d", ident="b", fmt=POUNDS))
    assert _y_labels(svg)[-1] == "£2bn"
    assert _padding_left(svg) >= 8 * len("£1.5bn")
    hbars = [charts.HBar(label="England", value=16_012_355_892.0, kind="england")]
    svg = str(charts.comparison_chart(hbars, title="t", desc="d", ident="k", fmt=POUNDS))
    assert ">£20bn</text>" in svg and ",000,000" not in svg.split("</desc>")[1]
