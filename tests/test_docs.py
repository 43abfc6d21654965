"""Documentation is tested: every command, option, setting and indicator is documented."""

from __future__ import annotations

import re
from typing import Any

import typer

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.config import Settings, repo_root
from cscwatch.indicators.docs import render_indicator_docs
from cscwatch.serve.cli import _register, app

DOCS = repo_root() / "docs"


def _commands(cmd: Any, path: list[str]) -> list[tuple[str, Any]]:
    out = [(" ".join(path), cmd)]
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        out += _commands(sub, [*path, name])
    return out


def test_every_cli_command_and_option_is_documented() -> None:
    _register()
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = []
    for path, cmd in _commands(typer.main.get_command(app), ["cscwatch"])[1:]:
        section = re.search(rf"### `{re.escape(path)}`\n(.*?)(?=\n### |\Z)", text, re.S)
        if section is None:
            missing.append(path)
            continue
        for p in cmd.params:
            if p.param_type_name == "option" and p.opts[0] not in section.group(1):
                missing.append(f"{path} {p.opts[0]}")
    assert not missing, f"undocumented (run scripts/make_cli_docs.py): {missing}"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`{name}`" in text and f"CSCWATCH_{name.upper()}" in text, name


def test_indicator_pages_are_current() -> None:
    text = (DOCS / "indicators.md").read_text(encoding="utf-8")
    assert text.strip() == render_indicator_docs().strip(), "run scripts/make_indicator_docs.py"
    for ind_id in CATALOGUE:
        assert f"### `{ind_id}`" in text


def test_readme_quick_start_comes_first() -> None:
    text = (repo_root() / "README.md").read_text(encoding="utf-8")
    quick = text.index("## Quick start")
    assert text.index("make demo") > quick and text.index("make test") > quick
    assert text.index("make demo") < text.index("## What you can do")


def test_import_graph_is_current() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_import_graph", repo_root() / "scripts" / "make_import_graph.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- graph:start -->\n(.*)\n<!-- graph:end -->", text, re.S)
    assert found is not None, "docs/architecture.md has lost its graph markers"
    assert found.group(1) == module.render(), "run scripts/make_import_graph.py"


def test_the_methods_check_tells_a_stale_page_from_a_sum_order(tmp_path: Any) -> None:
    """``scripts/check_methods.py`` (``make methods-check``, run by CI) compares the pages
    and figures byte for byte and the JSON results to a relative 1e-9, and names a
    generated file that is missing from the committed folder."""
    import importlib.util
    import json
    import shutil

    spec = importlib.util.spec_from_file_location(
        "check_methods", repo_root() / "scripts" / "check_methods.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed, fresh = tmp_path / "committed", tmp_path / "fresh"
    for folder in (committed, fresh):
        (folder / "results").mkdir(parents=True)
        (folder / "figures").mkdir()
        (folder / "risk.md").write_text("AUC 0.712\n")
        (folder / "figures" / "risk.png").write_bytes(b"\x89PNG")
    (committed / "benchmarking.md").write_text("written by hand: not generated\n")
    (committed / "results" / "risk.json").write_text(json.dumps({"auc": 0.1 + 0.2, "n": [1, 2]}))
    (fresh / "results" / "risk.json").write_text(json.dumps({"auc": 0.3, "n": [1, 2]}))
    assert module.compare(committed, fresh) == []  # last bits of a sum: the same
    (fresh / "results" / "risk.json").write_text(json.dumps({"auc": 0.3001, "n": [1, 2]}))
    (fresh / "risk.md").write_text("AUC 0.713\n")
    (fresh / "care.md").write_text("new\n")
    assert module.compare(committed, fresh) == [
        "care.md: new (not committed)",
        "results/risk.json: stale",
        "risk.md: stale",
    ]
    shutil.rmtree(fresh / "figures")
    (fresh / "figures").mkdir()
    (fresh / "figures" / "risk.png").write_bytes(b"\x89PNG changed")
    assert "figures/risk.png: stale" in module.compare(committed, fresh)
