"""Years in the CLI are the publisher's: the workforce census of 30 September 2017 is
``--year 2017`` and is shown as such; no output calls September 2025 "2025-26"."""

from __future__ import annotations

import csv
import io
import json

from cscwatch.core.config import Settings


def _env(settings: Settings) -> dict[str, str]:
    return {"CSCWATCH_WAREHOUSE": str(settings.warehouse)}


def test_show_caseload_for_the_2017_census(cli, warehouse: Settings) -> None:
    code, out, err = cli("show", "caseload", "--year", "2017", env=_env(warehouse))
    assert code == 0, err
    assert "30 September 2017" in out
    code, out, _ = cli("show", "caseload", "--year", "2017", "-f", "json", env=_env(warehouse))
    d = json.loads(out)
    assert d["year"] == 2017 and d["period_label"] == "30 September 2017"
    england = next(r for r in d["rows"] if r["geo_level"] == "national")
    assert england["value"] == 17.7  # DfE's national row for time_period 2017


def test_a_year_without_data_names_the_years_available(cli, warehouse: Settings) -> None:
    code, out, err = cli("show", "caseload", "--year", "2016", env=_env(warehouse))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "in 30 September 2016;" in err
    assert err.endswith("years available: 30 September 2017 to 30 September 2025\n")


def test_a_span_is_refused_for_the_census_and_read_for_31_march(cli, warehouse: Settings) -> None:
    code, _, err = cli("show", "caseload", "--year", "2024-25", env=_env(warehouse))
    assert code == 2 and err.count("\n") == 1 and "ambiguous" in err
    code, out, _ = cli("show", "cin_at31", "--year", "2024-25", "-f", "json", env=_env(warehouse))
    assert code == 0 and json.loads(out)["period_label"] == "31 March 2025"
    code, out, _ = cli("show", "rereferrals_pct", "--year", "2024-25", env=_env(warehouse))
    assert code == 0 and "2024-25" in out


def test_headline_and_profile_never_call_september_2025_2025_26(cli, warehouse: Settings) -> None:
    code, out, _ = cli("show", env=_env(warehouse))
    assert code == 0 and "30 September 2025" in out and "2025-26" not in out
    code, out, _ = cli("show", "-f", "json", env=_env(warehouse))
    rows = {r["indicator"]: r for r in json.loads(out)}
    assert rows["caseload"]["year"] == 2025
    assert rows["caseload"]["period_label"] == "30 September 2025"
    assert rows["referrals"]["period_label"] == "2024-25"
    code, out, _ = cli("profile", "Leeds", env=_env(warehouse))
    # The profile table is narrow, so a label may wrap: join the table's lines first.
    flat = " ".join(" ".join(out.split()).split("│"))
    assert code == 0 and "2025-26" not in out
    assert "30 September" in out and "September 2025" in " ".join(flat.split())
    code, out, _ = cli("profile", "Leeds", "-f", "json", env=_env(warehouse))
    bench = {b["indicator"]: b for b in json.loads(out)["benchmarks"]}
    assert bench["caseload"]["period_label"] == "30 September 2025"
    assert bench["ks2_rwm_cin_pct"]["period_label"] == "2024/25"
    code, out, _ = cli("profile", "Leeds", "-f", "csv", env=_env(warehouse))
    rows_csv = {r["indicator"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows_csv["caseload"]["period_label"] == "30 September 2025"


def test_variation_and_catalogue_name_the_period(cli, warehouse: Settings) -> None:
    code, out, _ = cli(
        "variation", "agency_rate_pct", "--year", "2017", "-f", "json", env=_env(warehouse)
    )
    assert code == 0 and json.loads(out)["period_label"] == "30 September 2017"
    code, out, _ = cli("indicators", "-f", "json")
    kinds = {i["id"]: i["period_kind"] for i in json.loads(out)}
    assert kinds["caseload"] == "at_30_september" and kinds["ks4_att8_cin"] == "academic_year"
    code, out, _ = cli("indicators")
    assert "Sep 2017–Sep 2025" in out


def test_export_writes_the_academic_year_as_dfe_does(cli, warehouse: Settings, tmp_path) -> None:
    out_file = tmp_path / "obs.csv"
    code, _, _ = cli("export", "--out", str(out_file), env=_env(warehouse))
    assert code == 0
    with out_file.open(encoding="utf-8") as fh:
        seen = {
            (r["indicator"], r["time_period"], r["time_identifier"])
            for r in csv.DictReader(fh)
            if r["indicator"] in ("ks2_rwm_cin_pct", "caseload")
        }
    assert ("ks2_rwm_cin_pct", "202425", "Academic year") in seen
    assert ("caseload", "2017", "Reporting year") in seen
