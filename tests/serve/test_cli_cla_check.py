"""``cscwatch cla check``: the outputs of ``cla validate`` and ``cla measures``, from one read."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from _cla_args import check_args, validate_args

Cli = Callable[..., tuple[int, str, str]]
KEY = {"CSCWATCH_PSEUDONYM_KEY": "cla-check-test-key-0123456789"}


@pytest.fixture(scope="module")
def sample(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cla2018")
    for p in (shared_data / "ssda903" / "samples").glob("*.csv"):
        if "errors" not in p.name:
            shutil.copy(p, folder / p.name)
    return folder


def test_check_gives_exactly_what_validate_and_measures_give(
    cli: Cli, sample: Path, tmp_path: Path
) -> None:
    code, findings_csv, _ = cli(*validate_args(sample, "-f", "csv"), env=KEY)
    assert code == 1
    code, findings_json, _ = cli(*validate_args(sample, "-f", "json"), env=KEY)
    assert code == 1
    alone = tmp_path / "alone"
    code, measures_json, m_err = cli(
        "cla", "measures", str(sample), "-a", "805", "-y", "2018", "--out", str(alone),
        "-f", "json", "-q", env=KEY,
    )  # fmt: skip
    assert code == 0, m_err
    together = tmp_path / "together"
    code, out, err = cli(*check_args(sample, "--out", str(together), "-f", "json"), env=KEY)
    assert code == 1, err
    # The files: the findings CSV byte for byte, every measures layout byte for byte.
    written = together / "validation_findings.csv"
    assert written.read_text(encoding="utf-8") == findings_csv
    layouts = sorted(p.name for p in alone.iterdir())
    assert layouts and sorted(p.name for p in together.iterdir()) == sorted(
        [*layouts, written.name]
    )
    for name in layouts:
        assert (together / name).read_bytes() == (alone / name).read_bytes(), name
    # stdout: each command's JSON, verbatim, as the two members of one object.
    assert out.startswith('{"validation": ' + findings_json.rstrip("\n") + ',\n"measures": ')
    assert out.endswith(measures_json + "}\n")
    payload = json.loads(out)
    assert payload == {
        "validation": json.loads(findings_json),
        "measures": json.loads(measures_json),
    }
    # The notes of what was not computed are said, as cla measures says them.
    notes = [line for line in err.splitlines() if line.startswith("not computed:")]
    assert notes == [line for line in m_err.splitlines() if line.startswith("not computed:")]
    assert notes


def test_check_csv_is_validate_csv(cli: Cli, sample: Path) -> None:
    _, findings_csv, _ = cli(*validate_args(sample, "-f", "csv", "--rule", "226"), env=KEY)
    code, out, err = cli(*check_args(sample, "-f", "csv", "--rule", "226"), env=KEY)
    assert code == 1, err
    assert out == findings_csv


def test_check_table_shows_findings_and_measures(cli: Cli, sample: Path) -> None:
    code, out, err = cli(*check_args(sample, "--rule", "226", "--no-postcodes"), env=KEY)
    assert code == 1, err
    assert "SSDA903 validation" in out and "Looked-after children measures" in out
    assert "year ending 31 March 2018" in out
    assert "not computed: distance between home and placement" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-r", "2024-25", "-a", "Atlantis"], "unknown authority 'Atlantis'"),
        (["-r", "1999-00", "-a", "805"], "no SSDA903 ruleset"),
        (["-r", "2024-25", "-a", "805", "-y", "twenty"], "not a year"),
        (["-r", "2024-25", "-a", "805", "-f", "xlsx"], "--format"),
    ],
)
def test_check_bad_input_is_one_line(cli: Cli, sample: Path, args: list[str], message: str) -> None:
    code, _, err = cli("cla", "check", str(sample), *args, "-q", env=KEY)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_check_without_a_key_is_refused(
    cli: Cli, sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CSCWATCH_PSEUDONYM_KEY", "CSCWATCH_PSEUDONYM_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    code, _, err = cli(*check_args(sample))
    assert code == 2 and "pseudonym key" in err
