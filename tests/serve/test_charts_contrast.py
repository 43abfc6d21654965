"""Every line and point of the charts, the spine chart and the map key at least 3:1
against what it is drawn on (WCAG 2.2 success criterion 1.4.11), and the stylesheet
drawing them in the same colours as the Python tables that declare them."""

from __future__ import annotations

import re

import pytest

from cscwatch.core.config import repo_root
from cscwatch.serve.web.charts import CHART_COLOURS
from cscwatch.serve.web.spine import SPINE_COLOURS

SCSS = repo_root() / "src" / "cscwatch" / "serve" / "web" / "static" / "scss"
WHITE = "#ffffff"


def _luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_matches_known_values() -> None:
    assert contrast("#000000", WHITE) == pytest.approx(21.0)
    assert contrast(WHITE, WHITE) == pytest.approx(1.0)
    # GOV.UK's own published ratio for its text colour on white
    assert contrast("#0b0c0c", WHITE) == pytest.approx(19.6, abs=0.1)


@pytest.mark.parametrize("key", sorted(CHART_COLOURS))
def test_chart_colour_is_3_to_1_on_white(key: str) -> None:
    assert contrast(CHART_COLOURS[key], WHITE) >= 3.0, key


@pytest.mark.parametrize("meaning", ["worse", "better", "no_direction", "none"])
@pytest.mark.parametrize("band", ["range", "middle"])
def test_spine_mark_is_3_to_1_on_the_band_under_it(meaning: str, band: str) -> None:
    assert contrast(SPINE_COLOURS[meaning], SPINE_COLOURS[band]) >= 3.0
    assert contrast(SPINE_COLOURS[meaning], WHITE) >= 3.0
    # the black outline round every mark and England's line stand out on both bands
    assert contrast(SPINE_COLOURS["outline"], SPINE_COLOURS[band]) >= 3.0
    assert contrast(SPINE_COLOURS["england"], SPINE_COLOURS[band]) >= 3.0


def test_the_range_band_edge_is_3_to_1_on_white() -> None:
    assert contrast(SPINE_COLOURS["range_edge"], WHITE) >= 3.0


def _scss_map(name: str, text: str) -> dict[str, str]:
    body = re.search(rf"\${name}:\s*\((.*?)\);", text, re.S)
    assert body is not None, name
    return {k: v.lower() for k, v in re.findall(r'"(\w+)":\s*(#[0-9a-fA-F]{6})', body.group(1))}


def test_stylesheet_draws_the_declared_colours() -> None:
    charts = _scss_map("app-chart-colours", (SCSS / "_charts.scss").read_text(encoding="utf-8"))
    spine = _scss_map("app-spine-colours", (SCSS / "_spine.scss").read_text(encoding="utf-8"))
    assert charts == {k: v.lower() for k, v in CHART_COLOURS.items()}
    assert spine == {k: v.lower() for k, v in SPINE_COLOURS.items()}
