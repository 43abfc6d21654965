"""``cscwatch cla measures`` and ``cscwatch cla journeys``: outputs, notes and errors."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

Cli = Callable[..., tuple[int, str, str]]
KEY = {"CSCWATCH_PSEUDONYM_KEY": "cla-cli-test-key-0123456789"}


@pytest.fixture(scope="module")
def sample(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cla2018")
    for p in (shared_data / "ssda903" / "samples").glob("*.csv"):
        if "errors" not in p.name:
            shutil.copy(p, folder / p.name)
    return folder


def test_measures_writes_the_published_layouts(cli: Cli, sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, err = cli(
        "cla", "measures", str(sample), "--authority", "805", "--year", "2017-18",
        "--out", str(out), "--format", "json", "-q", env=KEY,
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(stdout)
    at31 = data["layouts"]["cla"][0]
    assert (at31["population_type"], at31["children_count"]) == (
        "Children looked after on 31 March each year",
        "1201",
    )
    assert "not computed: placement stability over 2 years" in err
    stab = pd.read_csv(out / "la_cla_placement_stability_provisional.csv", dtype=str)
    assert stab.children_count.tolist() == ["225", "1201"]
    assert (out / "la_cla_missing_provisional.meta.csv").is_file()


def test_measures_csv_is_long(cli: Cli, sample: Path) -> None:
    code, stdout, _ = cli(
        "cla", "measures", str(sample), "-a", "Hartlepool", "-y", "2018", "-f", "csv", "-q",
        env=KEY,
    )  # fmt: skip
    assert code == 0
    assert stdout.splitlines()[0] == "la_code,time_period,layout,filters,measure,value"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--authority", "Atlantis", "--year", "2018"], "unknown authority 'Atlantis'"),
        (["--authority", "805", "--year", "twenty"], "not a year"),
        (["--authority", "805", "--year", "2018", "-f", "xml"], "--format"),
    ],
)
def test_measures_bad_input_is_one_line(
    cli: Cli, sample: Path, args: list[str], message: str
) -> None:
    code, _, err = cli("cla", "measures", str(sample), *args, "-q", env=KEY)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_measures_without_a_key_is_refused(cli: Cli, sample: Path) -> None:
    code, _, err = cli("cla", "measures", str(sample), "-a", "805", "-y", "2018", "-q")
    assert code == 2 and "pseudonym key" in err


def test_journeys_table_and_json(cli: Cli, sample: Path) -> None:
    code, stdout, err = cli("cla", "journeys", str(sample), "--by", "age", "-f", "json", "-q",
                            env=KEY)  # fmt: skip
    assert code == 0, err
    data = json.loads(stdout)
    assert data["years"] == [2018]
    assert {r["event"] for r in data["survival"]} == {
        "left_care", "placement_move", "return_home", "reentry",
    }  # fmt: skip
    small = [r["at_risk"] for r in data["survival"] if isinstance(r["at_risk"], int)]
    assert all(v == 0 or v > 5 for v in small)
    code, _, err = cli("cla", "journeys", str(sample), str(sample), "-q", env=KEY)
    assert code == 2 and "same collection year" in err


def test_distance_layout_uses_the_reference_postcodes(cli: Cli, sample: Path) -> None:
    args = ("cla", "measures", str(sample), "-a", "805", "-y", "2018", "-f", "json", "-q")
    code, stdout, err = cli(*args, env=KEY)
    assert code == 0, err
    assert "distance" not in err
    bands = {r["distance_band"]: r["children_count"]
             for r in json.loads(stdout)["layouts"]["distance"]}  # fmt: skip
    assert bands["Total"] == "1201"
    assert set(bands) == {"20 miles or less", "Over 20 miles", "Not known", "Total"}
    code, stdout, err = cli(*args, "--no-postcodes", env=KEY)
    assert code == 0, err
    assert "not computed: distance between home and placement" in err
    assert "distance" not in json.loads(stdout)["layouts"]
