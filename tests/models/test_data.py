"""The models read the panel as the catalogue defines it."""

from __future__ import annotations

import math
from typing import cast

import duckdb

from cscwatch.models._data import load_panel


def test_load_panel_takes_spend_as_the_catalogue_computes_it(
    fresh_db: duckdb.DuckDBPyConnection,
) -> None:
    # large £ values (spend per looked-after child is about £100,000) are not rescaled
    fresh_db.execute(
        "CREATE TABLE observation (indicator VARCHAR, geo_level VARCHAR, geo_code VARCHAR, "
        "year INTEGER, value DOUBLE)"
    )
    fresh_db.executemany(
        "INSERT INTO observation VALUES (?, 'la', ?, ?, ?)",
        [
            ("spend_per_looked_after_child", "301", 2024, 110_000.0),
            ("spend_per_looked_after_child", "302", 2024, 95_000.0),
            ("spend_safeguarding_per_child", "301", 2024, 290.0),
            ("spend_safeguarding_per_cin", "302", 2024, 8_600.0),
        ],
    )
    ids = (
        "spend_safeguarding_per_child",
        "spend_per_looked_after_child",
        "spend_safeguarding_per_cin",
    )
    panel = load_panel(fresh_db, ids)
    assert list(panel.columns) == list(ids)
    assert panel.loc[("301", 2024), "spend_per_looked_after_child"] == 110_000.0
    assert panel.loc[("302", 2024), "spend_per_looked_after_child"] == 95_000.0
    assert panel.loc[("301", 2024), "spend_safeguarding_per_child"] == 290.0
    assert panel.loc[("302", 2024), "spend_safeguarding_per_cin"] == 8_600.0
    assert math.isnan(cast(float, panel.loc[("302", 2024), "spend_safeguarding_per_child"]))
