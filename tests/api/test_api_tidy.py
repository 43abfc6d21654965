"""One tidy layout: ``cscwatch export`` and ``/api/observations?format=csv`` write the
same bytes, in DfE's open-data column order, values in full precision."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

from cscwatch.core.config import Settings
from cscwatch.indicators.observations import TIDY_COLUMNS, tidy_csv

DFE_ORDER = [
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
]


@pytest.mark.parametrize("indicator", ["rereferrals_pct", "spend_safeguarding_gross"])
def test_cli_export_and_api_csv_are_byte_identical(
    cli, api: httpx.Client, warehouse: Settings, tmp_path: Path, indicator: str
) -> None:
    out = tmp_path / "obs.csv"
    env = {"CSCWATCH_WAREHOUSE": str(warehouse.warehouse)}
    code, _, err = cli("export", "--indicator", indicator, "--out", str(out), env=env)
    assert code == 0, err
    resp = api.get(
        "/api/observations", params={"indicator": indicator, "format": "csv", "limit": 10000}
    )
    assert resp.status_code == 200 and "link" not in resp.headers
    assert resp.content == out.read_bytes()
    assert resp.content.count(b"\n") > 100


def test_values_keep_full_precision_and_symbols(api: httpx.Client) -> None:
    resp = api.get(
        "/api/observations",
        params={"indicator": "spend_safeguarding_gross", "geo_level": "national", "format": "csv"},
    )
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert list(rows[0])[: len(DFE_ORDER)] == DFE_ORDER
    by_year = {r["time_period"]: r["value"] for r in rows}
    # England's gross spend for 2024-25 is £3,586,900,940: every digit, not 3.5869e+09.
    assert by_year["2025"] == "3586900940"
    suppressed = api.get(
        "/api/observations",
        params={"indicator": "rereferrals_pct", "geo_level": "la", "format": "csv", "limit": 5000},
    )
    values = [r["value"] for r in csv.DictReader(io.StringIO(suppressed.text))]
    assert {"c", "x"} & set(values), "the publisher's symbols stay in the value column"
    assert not any("e+" in v or "e-" in v for v in values), "no exponent, no rounding"


def test_tidy_csv_writes_the_header_and_empty_cells() -> None:
    row: tuple[str | None, ...] = ("2025", "Reporting year", "National", "E92000001", "England")
    row += (None,) * (len(TIDY_COLUMNS) - len(row))
    text = tidy_csv([row])
    assert text.splitlines()[0] == ",".join(TIDY_COLUMNS)
    assert text.splitlines()[1] == "2025,Reporting year,National,E92000001,England" + "," * 8
