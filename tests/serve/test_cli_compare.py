"""``cscwatch compare`` and the resolver's words on the command line."""

from __future__ import annotations

import csv
import io
import json

from cscwatch.core.config import Settings


def test_compare_chosen_authorities(cli, warehouse: Settings) -> None:
    env = {"CSCWATCH_WAREHOUSE": str(warehouse.warehouse)}
    code, out, _ = cli(
        "compare", "Hull", "Leeds", "-i", "rereferrals_pct", "--format", "json", env=env
    )
    assert code == 0
    body = json.loads(out)
    assert [r["code"] for r in body["rows"]] == ["810", "383"]
    code, out, _ = cli("compare", "Hull,Leeds", "-i", "rereferrals_pct", "-f", "csv", env=env)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["role"] for r in rows][-1] == "england"
    assert rows[0]["rank_basis"] == "1 = highest value; lower is better"
    code, out, _ = cli("compare", "Leeds", "--neighbours", "-i", "rereferrals_pct", env=env)
    assert code == 0 and "neighbour 10" in out and "1 = highest value" in out


def test_compare_mistakes_are_one_line_and_exit_2(cli, warehouse: Settings) -> None:
    env = {"CSCWATCH_WAREHOUSE": str(warehouse.warehouse)}
    code, _, err = cli("compare", "Kingston", "-i", "rereferrals_pct", env=env)
    assert code == 2
    assert err.strip().splitlines() == [
        "error: authority 'Kingston' is ambiguous; did you mean: "
        "Kingston upon Hull, City of; Kingston upon Thames?"
    ]
    eleven = ",".join(["352", "383", "810", "801", "840", "894", "884", "330", "331", "332", "333"])
    code, _, err = cli("compare", eleven, "-i", "rereferrals_pct", env=env)
    assert code == 2 and "at most 10 authorities" in err and "Traceback" not in err
    code, _, err = cli("compare", "Leeds", "York", "--neighbours", "-i", "rereferrals_pct", env=env)
    assert code == 2 and "one authority" in err


def test_profile_finds_short_names(cli, warehouse: Settings) -> None:
    env = {"CSCWATCH_WAREHOUSE": str(warehouse.warehouse)}
    code, out, _ = cli("profile", "Herefordshire", "--format", "json", env=env)
    assert code == 0 and json.loads(out)["authority"]["la_code"] == "884"
