"""The hostile-input corpus: every case ends with exit 2 and one line, and changes nothing.

Cases are declared in ``published.json`` (bad published data, through ``cscwatch
build``) and ``cli.json`` (user mistakes on the command line); the small hostile
files they use are in ``files/``. Each case runs the real entry point in-process
against its own copy of the session warehouse and of a child store, and checks:
exit code 2, exactly one line on stderr matching the case, the warehouse and the
child store byte-for-byte as before, and no temporary file left beside either.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cscwatch.childlevel.pseudonym import Pseudonymiser
from cscwatch.core.config import Settings, repo_root
from cscwatch.ingest.snapshot import refresh_manifest

ROOT = repo_root()
CORPUS = Path(__file__).resolve().parent
FILES = CORPUS / "files"
SNAPSHOT = ROOT / "data" / "snapshot"
KEY = "corpus-test-key-0123456789abcdef"

Cli = Callable[..., tuple[int, str, str]]


def _cases(name: str) -> list[dict[str, Any]]:
    return list(json.loads((CORPUS / name).read_text(encoding="utf-8"))["cases"])


PUBLISHED = _cases("published.json")
CLI_CASES = _cases("cli.json")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def child_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """A child store holding one sample return, made once."""
    from cscwatch.childlevel.cin.store import connect_child_store, load_cin_census

    path = tmp_path_factory.mktemp("store") / "children.duckdb"
    settings = Settings(child_store=path)
    con = connect_child_store(settings)
    try:
        load_cin_census(
            con,
            shared_data / "cin_census" / "samples" / "CIN_Census_2024.xml",
            settings,
            pseudonymiser=Pseudonymiser(KEY.encode()),
        )
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def originals(warehouse: Settings, child_store: Path) -> dict[str, str]:
    """The digests of the session warehouse and the module's child store, read once: every
    case's copies must be these bytes before and after it (hashing each case's two copies
    before it ran cost 47 reads and hashes of the 23 MB warehouse)."""
    return {"warehouse": _digest(warehouse.warehouse), "store": _digest(child_store)}


@pytest.fixture()
def home(tmp_path: Path, warehouse: Settings, child_store: Path) -> dict[str, Path]:
    """The case's own warehouse (a copy of the session one) and child store."""
    wdir, sdir, scratch = tmp_path / "wh", tmp_path / "store", tmp_path / "tmp"
    for d in (wdir, sdir, scratch):
        d.mkdir()
    shutil.copy(warehouse.warehouse, wdir / "cscwatch.duckdb")
    shutil.copy(child_store, sdir / "children.duckdb")
    return {
        "warehouse": wdir / "cscwatch.duckdb",
        "store": sdir / "children.duckdb",
        "tmp": scratch,
    }


def _linked_snapshot(target: Path) -> Path:
    target.mkdir()
    for p in SNAPSHOT.iterdir():
        (target / p.name).symlink_to(p)
    return target


def _own_copy(snap: Path, name: str) -> Path:
    path = snap / name
    path.unlink()
    shutil.copy(SNAPSHOT / name, path)
    return path


def _edit_csv(path: Path, edit: dict[str, Any]) -> None:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    if "set" in edit:
        e = edit["set"]
        rows[e["row"] - 1][header.index(e["column"])] = e["value"]
    elif "keep_rows" in edit:
        rows = rows[: 1 + edit["keep_rows"]]
    elif "rename" in edit:
        header[header.index(edit["rename"]["column"])] = edit["rename"]["to"]
    elif "append_copy" in edit:
        e = edit["append_copy"]
        copy = list(rows[e["row"] - 1])
        if "column" in e:
            copy[header.index(e["column"])] = e["value"]
        rows.append(copy)
    else:  # pragma: no cover - a case the corpus does not declare
        raise ValueError(edit)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _edit_lait(path: Path, e: dict[str, Any]) -> None:
    src = SNAPSHOT / path.name
    where = (
        f"\"Short Desc\" = '{e['short_desc']}' AND \"Years\" = '{e['years']}' "
        f'AND "LA Number" = {e["la_number"]}'
    )
    value = (
        f"CASE WHEN {where} THEN '{e['value']}' ELSE \"Values\" END" if "value" in e else '"Values"'
    )
    la = (
        f'CASE WHEN {where} THEN {e["la_number_to"]} ELSE "LA Number" END'
        if "la_number_to" in e
        else '"LA Number"'
    )
    path.unlink()
    con = duckdb.connect()
    try:
        con.execute(
            f'COPY (SELECT * REPLACE ({value} AS "Values", {la} AS "LA Number") '
            f"FROM read_parquet('{src}')) TO '{path}' (FORMAT parquet)"
        )
    finally:
        con.close()


def _run(cli: Cli, home: dict[str, Path], args: list[str]) -> tuple[int, str, str]:
    env = {
        "CSCWATCH_WAREHOUSE": str(home["warehouse"]),
        "CSCWATCH_CHILD_STORE": str(home["store"]),
        "CSCWATCH_PSEUDONYM_KEY": KEY,
        "CSCWATCH_CACHE_DIR": str(home["tmp"] / "cache"),
    }
    return cli(*args, env=env)


def _check(home: dict[str, Path], before: dict[str, str], code: int, err: str, expect: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, (code, err)
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert re.search(expect, lines[0]), (expect, lines[0])
    assert {k: _digest(home[k]) for k in before} == before
    for k in before:
        assert sorted(p.name for p in home[k].parent.iterdir()) == [home[k].name]


@pytest.mark.parametrize("case", PUBLISHED, ids=[c["id"] for c in PUBLISHED])
def test_bad_published_data(
    case: dict[str, Any], cli: Cli, home: dict[str, Path], originals: dict[str, str]
) -> None:
    before = dict(originals)  # the copies' bytes: the originals'
    snap = _linked_snapshot(home["tmp"] / "snap")
    edit = case["edit"]
    if "add_fixture" in edit:
        (snap / case["file"]).symlink_to(ROOT / edit["add_fixture"])
    elif "lait" in edit:
        _edit_lait(_own_copy(snap, case["file"]), edit["lait"])
    else:
        _edit_csv(_own_copy(snap, case["file"]), edit)
    if case["rehash"]:
        refresh_manifest(snap)
    code, _, err = _run(cli, home, ["build", "--snapshot", str(snap)])
    _check(home, before, code, err, case["file"].replace(".", r"\.") + ".*" + case["expect"])


@pytest.mark.parametrize("case", CLI_CASES, ids=[c["id"] for c in CLI_CASES])
def test_user_mistake(
    case: dict[str, Any],
    cli: Cli,
    home: dict[str, Path],
    originals: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if "needs" in case and not Path(case["needs"]).exists():
        pytest.skip(f"{case['needs']} is not on this machine")
    tmp = home["tmp"]
    setup = case.get("setup", {})
    if "fifo" in setup:
        os.mkfifo(tmp / setup["fifo"])
    if "snapshot_with" in setup:
        snap = _linked_snapshot(tmp / "snap")
        for name, corpus_file in setup["snapshot_with"].items():
            (snap / name).unlink()
            shutil.copy(FILES / corpus_file, snap / name)
        if setup.get("rehash"):
            refresh_manifest(snap)
    if "truncated_warehouse" in setup:
        data = home["warehouse"].read_bytes()[: setup["truncated_warehouse"]]
        (tmp / "truncated.duckdb").write_bytes(data)
    if "max_input_bytes" in setup:
        monkeypatch.setattr("cscwatch.core.files.MAX_INPUT_BYTES", setup["max_input_bytes"])
    before = dict(originals)  # the copies' bytes: the originals'
    args = [
        a.format(files=FILES, tmp=tmp, warehouse=home["warehouse"], store=home["store"])
        for a in case["args"]
    ]
    code, _, err = _run(cli, home, args)
    _check(home, before, code, err, case["expect"])


def test_every_corpus_file_is_used() -> None:
    used = {
        f
        for c in CLI_CASES
        for f in [*c.get("setup", {}).get("snapshot_with", {}).values(), *c["args"]]
        if isinstance(f, str)
    }
    text = " ".join(used)
    for path in FILES.iterdir():
        assert path.name in text, f"{path.name} is in the corpus but no case uses it"
