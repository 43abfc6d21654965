"""Server-drawn charts: the spine chart of the profile's summary, charts that stretch
without shrinking their text, a legend per chart, and the map's key and London inset."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from cscwatch.core.catalogue import CATALOGUE, Polarity, Unit
from cscwatch.indicators.benchmarking import profile
from cscwatch.indicators.variation import variation
from cscwatch.indicators.web_queries import SpineRange, spine_ranges
from cscwatch.serve.web import charts, maps
from cscwatch.serve.web._render import fmt_for
from cscwatch.serve.web.spine import TOTAL_UNITS, spine_rows, spine_svg

RNG = SpineRange("x", 2024, 100, 10.0, "Low LA", 20.0, 25.0, 30.0, 50.0, "High LA")


def _xs(svg: str, tag: str, attr: str) -> list[float]:
    return [float(v) for v in re.findall(rf'<{tag}[^>]* {attr}="([\d.]+)%"', svg)]


def _mark_x(svg: str) -> float:
    m = re.search(r'<svg x="([\d.]+)%" y="16.0" overflow="visible">', svg)
    assert m is not None, svg
    return float(m.group(1))


def test_spine_runs_low_to_high_and_marks_each_value_in_place() -> None:
    svg = spine_svg(
        RNG, value=30.0, england=25.0, flag="within", meaning="none", reverse=False, label="x"
    )
    assert "viewBox" not in svg  # stretches to its cell; no drawing scale
    rng_x, mid_x = _xs(svg, "rect", "x")
    assert rng_x == pytest.approx(4.0)  # the lowest authority at the left, inside the pad
    # the middle half runs from q1 (20) to q3 (30) on a 10..50 scale over 4%..96%
    assert mid_x == pytest.approx(4 + 92 * 0.25)
    assert _xs(svg, "line", "x1") == [pytest.approx(4 + 92 * 0.375)]  # England 25
    assert _mark_x(svg) == pytest.approx(4 + 92 * 0.5)  # the authority, 30
    assert "<circle" in svg and "app-spine__mark--none" in svg
    assert 'role="img"' in svg and 'aria-label="x"' in svg


def test_spine_for_lower_is_better_puts_the_lowest_on_the_right() -> None:
    svg = spine_svg(
        RNG, value=12.0, england=25.0, flag="lower", meaning="better", reverse=True, label="x"
    )
    # 12 is near the lowest (10), which is now the right end: better on the right
    assert _mark_x(svg) == pytest.approx(4 + 92 * (1 - 0.05))
    assert "app-spine__mark--better" in svg
    assert 'points="0,9 8,-6 -8,-6"' in svg  # a triangle pointing down: lower


def test_spine_without_england_or_value_draws_only_the_range() -> None:
    svg = spine_svg(
        RNG, value=None, england=None, flag="not_assessed", meaning="none", reverse=False, label=""
    )
    assert "<line" not in svg and "app-spine__mark" not in svg
    assert svg.count("<rect") == 2


def test_spine_widens_its_scale_to_an_outside_value() -> None:
    # a small authority (left out of the range) can lie outside it: drawn at the end
    svg = spine_svg(
        RNG, value=90.0, england=25.0, flag="higher", meaning="worse", reverse=False, label=""
    )
    assert _mark_x(svg) == pytest.approx(96.0)
    assert 'points="0,-9 8,6 -8,6"' in svg  # a triangle pointing up: higher


def test_spine_ranges_agree_with_variation(con: duckdb.DuckDBPyConnection) -> None:
    wanted = [("rereferrals_pct", 2024), ("cpp_at31_per_10k", 2024), ("social_workers_fte", 2024)]
    got = spine_ranges(con, wanted)
    assert set(got) == set(wanted)
    for ind, year in wanted:
        v = variation(con, ind, year)
        r = got[(ind, year)]
        assert (r.n, r.lowest, r.highest) == (v.n, v.min_value, v.max_value)
        assert (r.lowest_name, r.highest_name) == (v.min_authority, v.max_authority)
        assert (r.q1, r.median, r.q3) == pytest.approx((v.q1, v.median, v.q3))
    assert spine_ranges(con, []) == {}
    assert spine_ranges(con, [("rereferrals_pct", 1900)]) == {}


def test_profile_spine_rows_name_each_end_by_the_indicators_direction(
    con: duckdb.DuckDBPyConnection,
) -> None:
    p = profile(con, "383")
    ranges = spine_ranges(con, [(b.indicator, b.reference_year or b.year) for b in p.benchmarks])
    rows = spine_rows(p.benchmarks, ranges, authority="Leeds", la_code="383")
    assert [r.indicator for r in rows] == [b.indicator for b in p.benchmarks]
    by_id = {r.indicator: r for r in rows}
    seen = set()
    for b in p.benchmarks:
        ind = CATALOGUE[b.indicator]
        row = by_id[ind.id]
        if row.left is None:
            continue
        seen.add(ind.polarity)
        words = {
            Polarity.LOW_GOOD: ("Worst (highest)", "Best (lowest)", "Lower is better"),
            Polarity.HIGH_GOOD: ("Worst (lowest)", "Best (highest)", "Higher is better"),
            Polarity.NEUTRAL: ("Lowest", "Highest", "No better direction"),
        }[ind.polarity]
        assert (row.left.label, row.right.label if row.right else None) == words[:2]
        assert row.direction == words[2]
        # England's total (a count, £) is never drawn on one authority's scale
        assert ("app-spine__england" in row.chart) == (
            ind.unit not in TOTAL_UNITS and b.england is not None
        )
        assert f"{b.outlier.flag_words}" in row.chart
    assert seen == set(Polarity)


def test_spine_row_numbers_are_the_ranges_own(con: duckdb.DuckDBPyConnection) -> None:
    p = profile(con, "383")
    b = next(b for b in p.benchmarks if b.indicator == "rereferrals_pct")
    rng = spine_ranges(con, [(b.indicator, b.year)])[(b.indicator, b.year)]
    (row,) = spine_rows([b], {(b.indicator, b.year): rng}, authority="Leeds", la_code="383")
    f = fmt_for(CATALOGUE["rereferrals_pct"])
    # lower is better: the left end is the highest value
    assert row.left is not None and row.right is not None
    assert (row.left.value, row.left.name) == (f(rng.highest), rng.highest_name)
    assert (row.right.value, row.right.name) == (f(rng.lowest), rng.lowest_name)
    assert row.england == f(b.england)


def _series(n: int = 13) -> list[charts.Series]:
    return [
        charts.Series("Leeds", "la", [(2012 + i, 10.0 + i) for i in range(n)]),
        charts.Series("England", "england", [(2012 + i, 12.0 + i / 2) for i in range(n)]),
    ]


def test_line_chart_stretches_and_keeps_its_text_in_pixels() -> None:
    svg = str(
        charts.line_chart(
            _series(), title="t", desc="d", ident="c", fmt=str, axis_label="Per 10,000 children"
        )
    )
    outer = re.search(r'<svg class="app-chart app-chart--fluid[^>]*>', svg)
    assert outer is not None and "viewBox" not in outer.group(0)
    assert 'width="100%"' in outer.group(0)
    assert 'preserveAspectRatio="none"' in svg  # only the plot stretches
    assert "Per 10,000 children" in svg
    # a legend with one entry per series, in the chart's frame
    legend = re.findall(r'<line class="app-chart-legend__(\w+)"', svg)
    assert legend == ["la", "england"]
    assert ">Leeds</li>" in svg and ">England</li>" in svg


def test_x_labels_fit_a_desktop_and_fewer_stay_on_a_phone() -> None:
    svg = str(charts.line_chart(_series(13), title="t", desc="d", ident="c", fmt=str))
    texts = re.findall(r"<text( class=\"app-chart__tick--wide\")? x=\"[\d.]+%\" y=\"\d+\"", svg)
    wide = len(texts)
    narrow = sum(1 for t in texts if not t)
    # "2011-12" is 7 characters: 70 px each, five in 360 px, three in 220 px
    assert (wide, narrow) == (5, 3)
    # the first and last always shown (2012 is the year ending 31 March 2012)
    assert ">2011-12<" in svg and ">2023-24<" in svg


@pytest.mark.parametrize("n,most", [(1, 5), (5, 5), (13, 5), (13, 3), (8, 5), (20, 4)])
def test_pick_spreads_labels_and_keeps_both_ends(n: int, most: int) -> None:
    got = charts._pick(n, most)
    assert got[0] == 0 and got[-1] == n - 1
    assert len(got) <= max(most, 1) and got == sorted(set(got))


def test_bar_chart_legend_and_no_reference_line_when_none() -> None:
    bars = [charts.Bar("A", 5.0), charts.Bar("Leeds", 3.0, highlight=True), charts.Bar("C", 1.0)]
    with_ref = str(
        charts.bar_chart(
            bars, title="t", desc="d", ident="b", fmt=str, reference=2.5, highlight_label="Leeds"
        )
    )
    assert re.findall(r'<line class="app-chart-legend__(\w+)"', with_ref) == [
        "bar",
        "highlight",
        "england",
    ]
    assert "app-chart__centre" in with_ref
    without = str(charts.bar_chart(bars, title="t", desc="d", ident="b", fmt=str))
    assert "app-chart__centre" not in without
    assert re.findall(r'<line class="app-chart-legend__(\w+)"', without) == ["bar", "highlight"]


def test_comparison_chart_names_every_bar_and_has_a_legend() -> None:
    bars = [
        charts.HBar("Leeds", 3.0, "subject"),
        charts.HBar("Bradford", None, "authority", "suppressed (c)"),
        charts.HBar("England", 2.0, "england"),
    ]
    svg = str(charts.comparison_chart(bars, title="t", desc="d", ident="k", fmt=str))
    assert 'viewBox="0 0 1000' in svg and '<svg class="app-chart app-chart--fluid' in svg
    for name in ("Leeds", "Bradford", "England", "suppressed (c)"):
        assert f">{name}</text>" in svg
    assert re.findall(r'<line class="app-chart-legend__(hbar-\w+)"', svg) == [
        "hbar-subject",
        "hbar-authority",
        "hbar-england",
    ]


def test_funnel_markers_keep_their_shape_and_the_axis_title_wraps() -> None:
    pts = [
        charts.FunnelPoint("A", 100.0, 5.0, "higher", "worse"),
        charts.FunnelPoint("B", 300.0, 3.0, "within", "none", highlight=True),
    ]
    svg = str(
        charts.funnel_plot(
            pts,
            [charts.LimitPoint(50.0, 1.0, 6.0), charts.LimitPoint(400.0, 2.0, 4.0)],
            centre=3.0,
            title="t",
            desc="d",
            ident="f",
            fmt=str,
            size_label="Children aged 0 to 17",
            size_fmt=str,
        )
    )
    # each marker in its own unscaled origin
    assert len(re.findall(r'<svg x="[\d.]+%" y="[\d.]+" overflow="visible"><polygon', svg)) == 1
    assert len(re.findall(r'<svg x="[\d.]+%" y="[\d.]+" overflow="visible"><circle', svg)) == 1
    assert '<p class="app-chart-axis-title" aria-hidden="true">Children aged 0 to 17</p>' in svg


def test_total_units_are_the_count_and_pound_totals() -> None:
    assert {Unit.COUNT, Unit.GBP} == TOTAL_UNITS


def test_map_key_gives_each_quarter_its_values_and_a_no_figure_swatch() -> None:
    values = [(0, 1.0), (0, 2.5), (1, 3.0), (2, 4.0), (3, 9.5), (None, None), (3, None)]
    classes = maps.legend_classes(values, lambda v: f"{v:.1f}%")
    assert [(c.lowest, c.highest, c.n) for c in classes] == [
        ("1.0%", "2.5%", 2),
        ("3.0%", "3.0%", 1),
        ("4.0%", "4.0%", 1),
        ("9.5%", "9.5%", 1),
    ]
    assert [c.colour for c in classes] == list(maps.PALETTE[:4])
    html = str(maps.legend_html(classes, unit="percent", missing=3))
    assert "Key (percent)" in html
    assert "<strong>1.0% to 2.5%</strong>" in html
    assert maps.MISSING_FILL in html and "No figure" in html and "3 authorities" in html


def test_map_draws_london_again_in_an_inset(snapshot_dir: Path) -> None:
    path = snapshot_dir / "utla_boundaries.geojson"
    areas, width, height = maps.load_map(path)
    assert len(maps.LONDON) == 33
    assert {a.la_code for a in areas} >= maps.LONDON
    svg = str(
        maps.choropleth(
            path, {"202": 1}, {}, title="t", desc="d", ident="m", highlight=["202", "383"]
        )
    )
    assert svg.count("data-la=") == len(areas)  # each authority once on the main map
    assert len(set(re.findall(r'data-inset-la="(\d+)"', svg))) == 33
    assert "London, enlarged" in svg and "app-map__london" in svg
    # the chosen authority outlined on the map and, for a London one, in the inset too
    assert svg.count("data-highlight") == 3
    assert f'viewBox="0 0 {width} {height}"' in svg
