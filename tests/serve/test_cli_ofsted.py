"""``cscwatch ofsted ...`` through the real entry point: formats, errors, exit codes."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from cscwatch.core.config import Settings
from cscwatch.store.inspections import load_inspections
from cscwatch.store.warehouse import build_warehouse


@pytest.fixture(scope="module")
def ofsted_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with only the inspection tables (names from provider_lookup)."""
    path = tmp_path_factory.mktemp("ofsted") / "cscwatch.duckdb"
    build_warehouse(Settings(warehouse=path), [("inspections", load_inspections)])
    return path


def _env(path: Path) -> dict[str, str]:
    return {"CSCWATCH_WAREHOUSE": str(path)}


def test_summary_json(cli, ofsted_warehouse: Path) -> None:
    code, out, err = cli(
        "ofsted", "summary", "--as-at", "2024-03-31", "--format", "json", env=_env(ofsted_warehouse)
    )
    assert code == 0, err
    d = json.loads(out)
    assert {"as_at", "judgement", "n", "counts", "percent", "stale"} <= set(d)
    assert {"record_runs_to", "no_judgement_in_archive", "stale_authorities"} <= set(d)
    assert d["as_at"] == "2024-03-31" and d["judgement"] == "overall_effectiveness"
    assert d["record_runs_to"] == "2026-06-18" and not d["as_at_after_record"]
    grades = ["outstanding", "good", "requires_improvement", "inadequate"]
    assert list(d["counts"]) == grades and list(d["percent"]) == grades
    assert sum(d["counts"].values()) == d["n"] == 151
    assert 0 < d["stale"] < d["n"]


def test_summary_filters(cli, ofsted_warehouse: Path) -> None:
    env = _env(ofsted_warehouse)
    code, out, _ = cli(
        "ofsted",
        "summary",
        "--as-at",
        "2017-03-31",
        "--framework",
        "sif",
        "--judgement",
        "help_protection",
        "--format",
        "json",
        env=env,
    )
    d = json.loads(out)
    assert code == 0 and d["judgement"] == "help_protection" and d["framework"] == "sif"
    # before the first ILACS report, 'any' and 'sif' are the same authorities
    _, out_any, _ = cli(
        "ofsted",
        "summary",
        "--as-at",
        "2017-03-31",
        "--judgement",
        "help_protection",
        "--format",
        "json",
        env=env,
    )
    assert json.loads(out_any)["n"] == d["n"] > 100
    _, out_ilacs, _ = cli(
        "ofsted",
        "summary",
        "--as-at",
        "2017-03-31",
        "--framework",
        "ilacs",
        "--format",
        "json",
        env=env,
    )
    assert json.loads(out_ilacs)["n"] == 0


def test_summary_table(cli, ofsted_warehouse: Path) -> None:
    code, out, _ = cli("ofsted", "summary", "--as-at", "2024-03-31", env=_env(ofsted_warehouse))
    assert code == 0 and "Requires improvement" in out
    assert "Ofsted record runs to 18 June 2026" in " ".join(out.split())
    assert "Stale:" in out


@pytest.mark.parametrize("bad", ["2024-13-01", "31/03/2024", "yesterday"])
def test_bad_date_is_one_line_exit_2(cli, ofsted_warehouse: Path, bad: str) -> None:
    code, out, err = cli("ofsted", "summary", "--as-at", bad, env=_env(ofsted_warehouse))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "YYYY-MM-DD" in err and "Traceback" not in err


def test_bad_choices_exit_2(cli, ofsted_warehouse: Path) -> None:
    env = _env(ofsted_warehouse)
    code, _, err = cli(
        "ofsted", "summary", "--as-at", "2024-01-01", "--judgement", "adoptions", env=env
    )
    assert code == 2 and "--judgement" in err
    assert err.count("\n") == 1 and "lac_overall_effectiveness" in err  # the codes it takes
    code, _, err = cli(
        "ofsted", "summary", "--as-at", "2024-01-01", "--framework", "legacy", env=env
    )
    assert code == 2 and "--framework" in err


def test_summary_of_a_judgement_no_longer_made(cli, ofsted_warehouse: Path) -> None:
    """Adoption (SIF only) is in force nowhere on the record's date: every SIF grade
    was ended by the authority's ILACS inspection, which the output names."""
    env = _env(ofsted_warehouse)
    code, out, err = cli("ofsted", "summary", "--judgement", "adoption", "-f", "json", env=env)
    assert code == 0, err
    d = json.loads(out)
    assert d["judgement"] == "adoption" and d["n"] == 0 and d["stale"] == 153
    assert d["no_longer_judged"]["count"] == 145
    ended = [s for s in d["stale_authorities"] if s["reason"] == "no_longer_judged"]
    assert len(ended) == 145
    assert all(s["ended_by_inspection"] and s["ended_on"] > s["last_published"] for s in ended)
    code, out, _ = cli("ofsted", "summary", "--judgement", "adoption", env=env)
    text = " ".join(out.split())
    assert code == 0 and "0 authorities with a judgement in force" in text
    assert "No longer judged: 145 authorities' last judgement has ended" in text
    code, out, _ = cli("ofsted", "summary", env=env)  # overall: nothing ended, no such words
    assert code == 0 and "No longer judged" not in out


def test_history_by_name_and_number(cli, ofsted_warehouse: Path) -> None:
    env = _env(ofsted_warehouse)
    code, out, _ = cli("ofsted", "history", "352", "--format", "json", env=env)
    d = json.loads(out)
    assert code == 0 and d["la_code"] == "352" and d["name"] == "Manchester"
    overall = [i["judgements"]["overall_effectiveness"] for i in d["inspections"]]
    assert overall == ["inadequate", "requires_improvement", "good", "outstanding"]
    assert [i["overall_change"] for i in d["inspections"]] == [None, *["improved"] * 3]
    assert [i["provenance"] for i in d["inspections"]] == ["report"] * 3 + ["overview"]
    assert d["inspections"][-1]["url"].startswith("https://files.ofsted.gov.uk/")
    code, out, _ = cli("ofsted", "history", "manchester", env=env)
    assert code == 0 and "Manchester (352)" in out and "improved" in out
    # the overview is Data to Insight's compilation, not an Ofsted publication
    words = " ".join(out.split())
    assert "Ofsted's ILACS overview" not in words
    assert "overview = the ILACS overview, compiled by Data to Insight" in words


def test_summary_defaults_to_the_record_date(cli, ofsted_warehouse: Path) -> None:
    """Without --as-at the answer is for the date the record runs to, never today; a
    later date is answered with a one-line warning on stderr."""
    env = _env(ofsted_warehouse)
    code, out, err = cli("ofsted", "summary", "--format", "json", env=env)
    d = json.loads(out)
    assert code == 0 and err == ""
    assert d["as_at"] == d["record_runs_to"] == "2026-06-18" and d["note"] is None
    assert d["n"] == 151 and d["grade_not_given"] == ["304", "933"]
    assert d["stale"] == len(d["stale_authorities"]) == 22
    assert d["no_judgement_in_archive"] == {"count": 0, "authorities": []}
    code, out, err = cli("ofsted", "summary", "--as-at", "2026-12-01", env=env)
    assert code == 0 and "2026-12-01" in out
    assert err.count("\n") == 1 and err.startswith("warning: Ofsted record runs to 2026-06-18")
    code, out, _ = cli("ofsted", "summary", "--as-at", "2026-12-01", "-f", "json", env=env)
    assert json.loads(out)["as_at_after_record"] is True


def test_summary_counts_authorities_with_no_judgement(cli, warehouse: Settings) -> None:
    """As at 25 August 2016 the 53 authorities with no judgement in the archive are
    stale, not silently left out."""
    code, out, _ = cli(
        "ofsted",
        "summary",
        "--as-at",
        "2016-08-25",
        "--format",
        "json",
        env={"CSCWATCH_WAREHOUSE": str(warehouse.warehouse)},
    )
    d = json.loads(out)
    assert code == 0 and d["n"] == 99 and d["authorities"] == 152
    assert d["stale"] == d["no_judgement_in_archive"]["count"] == 53
    names = {a["name"] for a in d["no_judgement_in_archive"]["authorities"]}
    assert {"City of London", "Kent", "Cumbria"} <= names
    assert {s["reason"] for s in d["stale_authorities"]} == {"no_judgement_in_archive"}


def test_missing_lists_the_reports_to_obtain(cli, ofsted_warehouse: Path) -> None:
    env = _env(ofsted_warehouse)
    code, out, _ = cli("ofsted", "missing", "--format", "json", env=env)
    d = json.loads(out)
    assert code == 0 and len(d["missing"]) == 53
    assert d["record"]["archive_runs_to"] == "2025-03-18"
    first = d["missing"][0]
    assert (first["name"], first["start_date"], first["publication_date"]) == (
        "Devon",
        "2024-09-30",
        "2025-05-13",
    )
    assert first["reason"] == "published after the archive's last report (2025-03-18)"
    code, out, _ = cli("ofsted", "missing", "--format", "csv", env=env)
    rows = list(csv.DictReader(out.splitlines()))
    assert (
        code == 0
        and len(rows) == 53
        and set(rows[0])
        == {
            "la_code",
            "name",
            "urn",
            "kind",
            "start_date",
            "end_date",
            "publication_date",
            "reason",
            "url",
        }
    )
    code, out, _ = cli("ofsted", "missing", env=env)
    assert code == 0 and "Inspection reports to obtain (53)" in out and "Devon" in out
    code, _, err = cli("ofsted", "missing", "--format", "xml", env=env)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err


def test_unknown_authority_suggests(cli, ofsted_warehouse: Path) -> None:
    code, out, err = cli("ofsted", "history", "Manchster", env=_env(ofsted_warehouse))
    assert code == 2 and out == ""
    assert "unknown authority 'Manchster'" in err and "did you mean: Manchester?" in err


def test_history_uses_the_authority_table(cli, warehouse: Settings) -> None:
    """In a full build the names come from the ``authority`` table."""
    code, out, _ = cli(
        "ofsted",
        "history",
        "Dorset",
        "--format",
        "json",
        env={"CSCWATCH_WAREHOUSE": str(warehouse.warehouse)},
    )
    d = json.loads(out)
    assert code == 0 and d["la_code"] == "838"
    assert d["inspections"] and all(i["framework"] == "ilacs" for i in d["inspections"])


def test_no_warehouse_is_exit_2(cli, tmp_path: Path) -> None:
    code, _, err = cli(
        "ofsted", "summary", "--as-at", "2024-01-01", env=_env(tmp_path / "none.duckdb")
    )
    assert code == 2 and "cscwatch build" in err


def test_extract_writes_the_table_and_uses_the_cache(
    cli, shared_data: Path, snapshot_dir: Path, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    for folder in ("80473-hartlepool", "80429-birmingham"):
        shutil.copytree(shared_data / "ofsted" / "reports" / folder, reports / folder)
    out_csv = tmp_path / "judgements.csv"
    env = {"CSCWATCH_CACHE_DIR": str(tmp_path / "cache")}
    args = (
        "ofsted",
        "extract",
        "--reports",
        str(reports),
        "--out",
        str(out_csv),
        "--workers",
        "1",
        "--format",
        "json",
    )
    code, out, err = cli(*args, env=env)
    assert code == 0, err
    d = json.loads(out)
    n = d["reports"]
    assert d["extracted"] == n and d["cache_hits"] == 0
    assert d["failed"] == [
        {
            "file": "80429-birmingham/2012-10-19_childrens-services-inspection.pdf",
            "reason": "html",
            "detail": "an HTML page saved under a .pdf name",
        }
    ]
    with out_csv.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["la_code"] for r in rows} == {"805", "330"}
    with (snapshot_dir / "ofsted_judgements.csv").open(encoding="utf-8") as fh:
        shipped = [r for r in csv.DictReader(fh) if r["la_code"] in {"805", "330"}]
    assert rows == shipped  # the same rows as the bundled snapshot

    code, out, _ = cli(*args, env=env)
    d = json.loads(out)
    assert (d["extracted"], d["cache_hits"]) == (0, n)
    code, out, _ = cli(
        "ofsted", "extract", "--reports", str(reports), "--out", str(out_csv), env=env
    )
    assert code == 0 and "skipped 80429-birmingham" in out


def test_extract_missing_folder_exit_2(cli, tmp_path: Path) -> None:
    code, _, err = cli(
        "ofsted", "extract", "--reports", str(tmp_path / "nope"), "--out", str(tmp_path / "x.csv")
    )
    assert code == 2 and "does not exist" in err
