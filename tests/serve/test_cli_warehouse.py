"""The warehouse commands through the real entry point: formats, errors, exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cscwatch.core.config import Settings


def _env(settings: Settings) -> dict[str, str]:
    return {"CSCWATCH_WAREHOUSE": str(settings.warehouse)}


def test_variation_json_shape(cli, warehouse: Settings) -> None:
    code, out, _ = cli(
        "variation", "rereferrals_pct", "--year", "2024-25", "--format", "json", env=_env(warehouse)
    )
    assert code == 0
    d = json.loads(out)
    assert d["indicator"] == "rereferrals_pct" and d["year"] == 2025
    assert set(d["min"]) == {"value", "authority"} and set(d["max"]) == {"value", "authority"}
    assert d["n"] >= 140 and d["england"] == 22.6
    code, out_small, _ = cli(
        "variation",
        "rereferrals_pct",
        "--year",
        "2025",
        "--include-small",
        "--format",
        "json",
        env=_env(warehouse),
    )
    assert json.loads(out_small)["n"] == d["n"] + 2


def test_profile_table_json_csv(cli, warehouse: Settings) -> None:
    code, out, _ = cli("profile", "Leeds", env=_env(warehouse))
    assert code == 0 and "Leeds" in out and "Re-referrals" in out
    code, out, _ = cli("profile", "380", "--year", "2024", "--format", "json", env=_env(warehouse))
    d = json.loads(out)
    assert d["authority"]["name"] == "Bradford" and d["year"] == 2024
    assert all(b["year"] == 2024 for b in d["benchmarks"])
    code, out, _ = cli("profile", "Leeds", "--format", "csv", env=_env(warehouse))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {"indicator", "value", "england", "flag", "flag_words", "chance_flag"} <= set(
        rows[0]
    )


def test_profile_topic_care(cli, warehouse: Settings) -> None:
    from cscwatch.core.catalogue import topic_indicators

    care = set(topic_indicators("care"))
    assert {"lac_at31_per_10k", "lac_foster_pct", "care_leavers_eet_pct"} <= care
    assert {"spend_lac_gross", "spend_per_looked_after_child"} <= care
    code, out, _ = cli(
        "profile", "Manchester", "--topic", "care", "--format", "json", env=_env(warehouse)
    )
    got = {b["indicator"] for b in json.loads(out)["benchmarks"]}
    assert code == 0 and got <= care and len(got) >= 30
    code, out, _ = cli("profile", "Manchester", "--topic", "care_leavers", env=_env(warehouse))
    assert code == 0 and "Care leavers aged 19 to 21" in out and "Re-referrals" not in out
    code, out, err = cli("profile", "Manchester", "--topic", "carers", env=_env(warehouse))
    assert code == 2 and "unknown topic 'carers'" in err and "Traceback" not in err


def test_show_england_and_indicator(cli, warehouse: Settings) -> None:
    code, out, _ = cli("show", "--format", "json", env=_env(warehouse))
    rows = json.loads(out)
    referrals = next(r for r in rows if r["indicator"] == "referrals")
    assert referrals["year"] == 2025 and referrals["value"] == 632830
    code, out, _ = cli(
        "show", "cpp_at31_per_10k", "--year", "2023", "--format", "csv", env=_env(warehouse)
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["rank"] == "1" and any(r["name"] == "England" for r in rows)


def test_indicators_catalogue(cli) -> None:
    code, out, _ = cli("indicators", "--format", "json")
    items = json.loads(out)
    assert code == 0 and len(items) >= 40
    assert {
        "id",
        "title",
        "definition",
        "unit",
        "numerator",
        "denominator",
        "polarity",
        "source",
        "first_year",
        "last_year",
    } <= set(items[0])


def test_bad_input_one_line_exit_2(cli, warehouse: Settings) -> None:
    cases = [
        (("profile", "Manchster"), "did you mean: Manchester"),
        (("variation", "rereferal_pct"), "unknown indicator"),
        (("variation", "rereferrals_pct", "--year", "2030"), "no data"),
        (("variation", "rereferrals_pct", "--year", "last year"), "not a year"),
        (("show", "--format", "xml"), "--format"),
    ]
    for args, expected in cases:
        code, _out, err = cli(*args, env=_env(warehouse))
        assert code == 2, args
        assert expected in err, (args, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_missing_warehouse_is_explained(cli, tmp_path: Path) -> None:
    code, _, err = cli(
        "profile", "Leeds", env={"CSCWATCH_WAREHOUSE": str(tmp_path / "none.duckdb")}
    )
    assert code == 2 and "cscwatch build" in err


def test_export_csv_and_parquet(cli, warehouse: Settings, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    code, _, err = cli("export", "--format", "csv", "--out", str(out), env=_env(warehouse))
    assert code == 0 and out.exists() and "rows" in err
    header = out.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:10] == [
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
    regions = {
        r["region_code"]: r["region_name"]
        for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))
        if r["geographic_level"] == "Regional"
    }
    assert regions["E13000001"] == "Inner London" and all(regions.values())
    pq = tmp_path / "o.parquet"
    assert cli("export", "--format", "parquet", "--out", str(pq), env=_env(warehouse))[0] == 0


def test_build_command_subprocess(tmp_path: Path) -> None:
    """The installed console script refuses a bad snapshot in one line, exit 2. A
    successful build through a console script is tests/test_packaging.py's
    (``test_the_wheel_installs_and_runs_from_any_folder``, from a fresh install); its
    JSON report, tests/serve/test_cli_progress.py's
    (``test_off_a_terminal_nothing_but_the_answer``)."""
    target = tmp_path / "w.duckdb"
    exe = Path(sys.executable).with_name("cscwatch")
    bad = subprocess.run(
        [str(exe), "build", "--warehouse", str(target), "--snapshot", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and "does not exist" in bad.stderr and "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") == 1 and not target.exists()


def test_export_to_an_unwritable_place_is_one_line(cli, warehouse: Settings) -> None:
    code, _, err = cli("export", "--out", "/proc/nowhere/o.csv", env=_env(warehouse))
    assert code == 2 and "cannot write" in err and "Traceback" not in err


def test_show_profile_variation_carry_the_same_flag(cli, warehouse: Settings) -> None:
    from cscwatch.indicators.flags import FLAG_FIELDS

    env = _env(warehouse)
    code, out, _ = cli("show", "rereferrals_pct", "--year", "2025", "-f", "json", env=env)
    assert code == 0
    rows = {r["geo_code"]: r for r in json.loads(out)["rows"]}
    shown = rows["921"]["outlier"]
    assert tuple(shown) == FLAG_FIELDS and shown["flag_words"] == "higher than expected"
    assert shown["flag_meaning"] == "worse"
    code, out, _ = cli("profile", "921", "--year", "2025", "-f", "json", env=env)
    prof = next(b for b in json.loads(out)["benchmarks"] if b["indicator"] == "rereferrals_pct")
    assert prof["outlier"] == shown
    code, out, _ = cli("variation", "rereferrals_pct", "--year", "2025", "-f", "json", env=env)
    var = json.loads(out)
    assert next(o for o in var["outliers"] if o["la_code"] == "921")["outlier"] == shown
    assert var["flag_counts"]["higher"] + var["flag_counts"]["lower"] < 10
    code, out, _ = cli("show", "rereferrals_pct", "--year", "2025", "-f", "csv", env=env)
    flat = next(r for r in csv.DictReader(io.StringIO(out)) if r["geo_code"] == "921")
    assert flat["flag"] == "higher" and flat["flag_words"] == "higher than expected"
    code, out, _ = cli("show", "rereferrals_pct", "--year", "2025", env=env)
    assert "higher than expected (worse)" in out and "within expected range" in out


def test_show_names_sub_regions_and_joint_returns(cli, warehouse: Settings) -> None:
    code, out, _ = cli("show", "caseload", "--year", "2025", "-f", "json", env=_env(warehouse))
    assert code == 0
    rows = json.loads(out)["rows"]
    names = {r["geo_code"]: r["name"] for r in rows}
    assert names["E13000001"] == "Inner London" and names["E13000002"] == "Outer London"
    north = next(r for r in rows if r["geo_code"] == "940")
    west = next(r for r in rows if r["geo_code"] == "941")
    assert north["rank"] == west["rank"]
    assert "joint return with West Northamptonshire" in north["rank_note"]
    code, out, _ = cli("profile", "314", "--year", "2025", env=_env(warehouse))
    assert "J = joint workforce return with Richmond upon Thames" in " ".join(out.split())


def test_profile_says_when_the_neighbours_mean_is_over_fewer_than_ten(
    cli, warehouse: Settings
) -> None:
    """A neighbours' mean over fewer than 10 neighbours (the others have no figure that
    year) is marked with its count, and the CSV carries the count: North Lincolnshire's
    plans open 2 years or more in 2024-25 (0.0%) against 2.9%, the one neighbour of ten
    with a figure (independent check, 3 December 2026)."""
    env = _env(warehouse)
    code, out, _ = cli("profile", "813", "--year", "2025", "--format", "csv", env=env)
    assert code == 0
    rows = {r["indicator"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["cpp_2yrs_plus_pct"]["sn_n"] == "1"
    assert rows["cpp_2yrs_plus_pct"]["sn_mean"] == "2.9"
    assert rows["rereferrals_pct"]["sn_n"] == "10"
    code, out, _ = cli("profile", "813", "--year", "2025", env=env)
    assert code == 0
    assert "2.9 (n=1)" in out
    assert "(n=4) = the mean of the 4 of them with a figure that year" in " ".join(out.split())


def test_build_lowers_its_priority_by_the_niceness_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from cscwatch.serve.cli import warehouse as cli_warehouse

    calls: list[int] = []
    monkeypatch.setattr(cli_warehouse.os, "nice", calls.append)
    cli_warehouse._lower_priority(10)
    cli_warehouse._lower_priority(0)  # 0 keeps normal priority: no call at all
    assert calls == [10]


def test_build_niceness_out_of_range_is_one_line_exit_2(cli, tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    code, _, err = cli("build", "--warehouse", str(target), "--niceness", "25")
    assert code == 2 and "niceness" in err and "Traceback" not in err
    assert not target.exists()
