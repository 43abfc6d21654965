"""``cscwatch cin synth | measures | journeys`` through the real entry point."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

#: The ``cli`` fixture of tests/conftest.py: (exit code, stdout, stderr).
CliRunner = Callable[..., tuple[int, str, str]]


def test_synth_measures_journeys(cli: CliRunner, tmp_path: Path) -> None:
    code, out, err = cli("cin", "synth", "-a", "Rutland", "-y", "2025", "--seed", "3",
                         "-o", str(tmp_path), "-f", "json")  # fmt: skip
    assert code == 0, err
    made = json.loads(out)["returns"]
    assert [r["la_code"] for r in made] == ["857"]
    xml = Path(made[0]["file"])
    assert xml.is_file()

    code, out, err = cli("cin", "measures", str(xml), "-f", "json", "-o", str(tmp_path / "m"))
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"b1", "c1", "c2", "c3", "c4", "d3", "d5"}
    c1 = data["c1"][0]
    assert c1["la_name"] == "Rutland" and c1["provisional"] == "true"
    assert c1["referral_count"] == str(made[0]["referrals"])
    assert (
        sorted(p.name for p in (tmp_path / "m").iterdir())[0] == "b1_cin_measures_provisional.csv"
    )

    code, out, err = cli("cin", "journeys", str(xml), "--by", "none", "-f", "csv")
    assert code == 0, err
    assert out.splitlines()[0] == "event,group,day,at_risk,events,survival,lower,upper"
    code, out, err = cli("cin", "journeys", str(xml), "-f", "json")
    assert code == 0, err
    shown = json.loads(out)
    assert set(shown) == {"groups", "returns", "summary", "survival", "cohorts"}
    assert "curves" not in out  # the exact step function never leaves through the CLI
    small = [r for r in shown["survival"] if r["at_risk"] == "c"]
    assert all(r["survival"] == "c" for r in small)


def test_synth_errors_are_one_line_exit_2(cli: CliRunner, tmp_path: Path) -> None:
    code, _, err = cli("cin", "synth", "-a", "Rutlnd", "-o", str(tmp_path))
    assert code == 2 and "did you mean" in err and "Traceback" not in err
    code, _, err = cli("cin", "synth", "-a", "Rutland", "--inject-errors", "2883",
                       "-o", str(tmp_path))  # fmt: skip
    assert code == 2 and "2883" in err
    code, _, err = cli("cin", "measures")
    assert code == 2 and "give CIN census files" in err


def test_synth_with_injected_error_fails_validation(cli: CliRunner, tmp_path: Path) -> None:
    code, out, _ = cli("cin", "synth", "-a", "857", "--inject-errors", "8640",
                       "-o", str(tmp_path), "-f", "json")  # fmt: skip
    assert code == 0
    xml = json.loads(out)["returns"][0]["file"]
    code, out, _ = cli("cin", "validate", xml, "-f", "json")
    assert code == 1
    assert {i["rule"] for i in json.loads(out)["issues"]} == {"8640"}
