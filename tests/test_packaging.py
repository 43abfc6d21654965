"""The package as others get it: declared dependencies, locks, version, the wheel.

The slow tests build the wheel the way ``pip install .`` does, install it in a new
virtual environment and run it from a folder that is not the checkout; and run the
README's commands after ``make demo``'s build step, with nothing telling them where the
warehouse is.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import httpx
import pytest

import cscwatch
from cscwatch.core.config import Settings, bundled, bundled_snapshot, repo_root
from cscwatch.core.errors import ConfigError

Cli = Callable[..., tuple[int, str, str]]
ROOT = repo_root()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
EXE = Path(sys.executable).with_name("cscwatch")
PIP = (sys.executable, "-m", "pip", "--no-input", "--disable-pip-version-check")


def _name(req: str) -> str:
    """The normalised distribution name of a requirement such as ``setuptools>=77``."""
    m = re.match(r"[A-Za-z0-9._-]+", req)
    assert m, req
    return m.group(0).lower().replace("_", "-")


def _imported_distributions() -> set[str]:
    """Distributions whose modules ``src/cscwatch`` imports (absolute imports only)."""
    tops: set[str] = set()
    for path in (ROOT / "src" / "cscwatch").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                tops.add(node.module.split(".")[0])
    tops -= set(sys.stdlib_module_names) | {"cscwatch"}
    dists = metadata.packages_distributions()
    missing = sorted(t for t in tops if t not in dists)
    assert not missing, f"imported but not installed: {missing}"
    return {d.lower().replace("_", "-") for t in tops for d in dists[t]}


def test_runtime_dependencies_are_exactly_what_the_code_imports() -> None:
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    docs = {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["docs"]}
    imported = _imported_distributions()
    assert imported - declared - docs == set(), "imported but not declared"
    assert declared - imported == set(), "declared but never imported"
    assert docs == {"matplotlib"} and not docs & declared


def _lock(name: str) -> dict[str, str]:
    """``{package: version}`` of a lock file, checking every pin carries hashes."""
    text = (ROOT / name).read_text(encoding="utf-8")
    pins: dict[str, str] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1]):
        if not block.strip() or block.lstrip().startswith("#"):
            continue
        m = re.match(r"([A-Za-z0-9._-]+)==(\S+)", block)
        assert m, f"{name}: not an exact pin: {block.splitlines()[0]}"
        assert "--hash=sha256:" in block, f"{name}: {m.group(1)} has no hash"
        pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def test_locks_pin_every_package_with_hashes_and_agree() -> None:
    runtime, dev = _lock("requirements.lock"), _lock("requirements-dev.lock")
    for req in PYPROJECT["project"]["dependencies"]:
        assert _name(req) in runtime, req
    for extra in ("dev", "docs"):
        for req in PYPROJECT["project"]["optional-dependencies"][extra]:
            assert _name(req) in dev, req
    assert not {"pytest", "mypy", "ruff", "matplotlib", "playwright"} & set(runtime)
    assert {k: dev[k] for k in runtime} == runtime, "the two locks pin different versions"


def test_version_is_declared_once() -> None:
    assert metadata.version("cscwatch") == cscwatch.__version__
    done = subprocess.run([EXE, "--version"], capture_output=True, text=True, check=True)
    assert done.stdout == f"cscwatch {cscwatch.__version__}\n"


def test_methods_figures_without_matplotlib_say_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cscwatch.models._pages import _fig

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import now raises ImportError
    with pytest.raises(ConfigError, match=r"risk\.png needs matplotlib.*cscwatch\[docs\]"):
        _fig(tmp_path / "risk.png")


def test_a_checkout_reads_its_snapshot_in_place() -> None:
    assert bundled("snapshot") is None
    assert bundled_snapshot() == ROOT / "data" / "snapshot"
    assert Settings().snapshot_dir == bundled_snapshot()


def test_makefile_leaves_the_warehouse_to_the_default() -> None:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "CSCWATCH_WAREHOUSE ?=" not in text and "export CSCWATCH_WAREHOUSE" not in text
    assert "--warehouse" not in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _clean_env(tmp: Path, bin_dir: Path) -> dict[str, str]:
    """No CSCWATCH_* settings, no PYTHONPATH; a home of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSCWATCH_", "PYTHON"))}
    env.pop("VIRTUAL_ENV", None)
    for var, sub in (("HOME", "home"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")):
        (tmp / sub).mkdir(exist_ok=True)
        env[var] = str(tmp / sub)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def _copy_sources(dest: Path) -> Path:
    """The files a build needs, without anything the checkout has built."""
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "vendor", "build")
    for name in ("src", "data", "scripts", "docs/methods/results"):
        shutil.copytree(ROOT / name, dest / name, ignore=skip)
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("DATA-NOTICE.md", "CHANGELOG.md", "package.json", "package-lock.json"):
        shutil.copy2(ROOT / name, dest / name)
    if (ROOT / "node_modules").is_dir():  # saves `npm ci`; the build runs it otherwise
        (dest / "node_modules").symlink_to(ROOT / "node_modules")
    return dest


_BACKTEST_QUOTED = (
    "from cscwatch.models.risk_summary import backtest_summary; "
    "assert backtest_summary() is not None"
)


@pytest.mark.slow
def test_the_wheel_installs_and_runs_from_any_folder(tmp_path: Path) -> None:
    src = _copy_sources(tmp_path / "src-copy")
    dist = tmp_path / "dist"
    subprocess.run(
        [*PIP, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(dist), str(src)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("cscwatch-*.whl")
    assert wheel.stat().st_size < 20 * 1024 * 1024

    # A new environment. Its dependencies come from this one's site-packages (a .pth
    # line adds the folder; the editable cscwatch in it is not activated), so the test
    # needs no index; CI and users install them from PyPI with `pip install .`.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    bin_dir = venv / "bin"
    subprocess.run(
        [*PIP, "--python", str(bin_dir / "python"), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = _clean_env(tmp_path, bin_dir)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(bin_dir / "cscwatch"), *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import cscwatch; print(cscwatch.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(venv), "the checkout was imported"
    quoted = subprocess.run(
        [str(bin_dir / "python"), "-c", _BACKTEST_QUOTED], cwd=work, env=env, check=False
    )
    assert quoted.returncode == 0, "an installed ranking lost its backtest"

    assert run("--version").stdout == f"cscwatch {cscwatch.__version__}\n"
    built = run("build")
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "data" / "cscwatch" / "cscwatch.duckdb").exists()
    leeds = run("profile", "Leeds")
    assert leeds.returncode == 0, leeds.stderr
    assert "Leeds" in leeds.stdout

    # --no-warm: the warm-up (a ranking fit and every profile prepared, about 15 s of
    # CPU before the first answer) is the same code the suite's live server runs and
    # tests; what only an install can break is checked below: the templates, the map's
    # boundaries and the compiled stylesheet shipped in the wheel
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(bin_dir / "cscwatch"), "serve", "--no-warm", "--port", str(port)],
            cwd=work,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, log.read_text(encoding="utf-8")
            try:
                httpx.get(f"{base}/api/indicators", timeout=60)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "cscwatch serve did not answer in 120 s"
                time.sleep(0.5)
        home = httpx.get(f"{base}/", timeout=120)
        assert home.status_code == 200, home.text[:500]
        assert "<svg" in home.text  # the map: the boundaries came with the wheel
        css = re.search(r'href="(/static/vendor/app\.css[^"]*)"', home.text)
        assert css, "the page links no compiled stylesheet"
        sheet = httpx.get(base + css.group(1), timeout=60)
        assert sheet.status_code == 200 and ".govuk-" in sheet.text
        leeds_page = httpx.get(f"{base}/api/authorities/Leeds", timeout=60)
        assert leeds_page.status_code == 200
    finally:
        server.terminate()
        server.wait(10)


def _readme_commands() -> list[list[str]]:
    """The README's commands that only read the warehouse (no files, no placeholders)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## What you can do", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    reads = {"show", "profile", "variation", "indicators", "ofsted"}
    out = []
    for line in block.splitlines():
        command = line.split("#", 1)[0].strip()
        if not command.startswith("cscwatch ") or "[" in command:
            continue
        args = shlex.split(command)[1:]
        if args[0] in reads and (args[0] != "ofsted" or args[1] in ("summary", "history")):
            out.append(args)
    assert len(out) >= 6, out
    return out


@pytest.mark.slow
def test_readme_commands_find_the_warehouse_make_demo_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dry = subprocess.run(
        ["make", "-n", "-s", "demo"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    demo = [shlex.split(line) for line in dry.stdout.splitlines() if "bin/cscwatch " in line]
    assert demo and demo[0][1:] == ["build"], dry.stdout
    env = _clean_env(tmp_path, EXE.parent)
    # make demo's build as make runs it: a process of its own, nothing in its
    # environment saying where the warehouse goes
    done = subprocess.run(  # niced by default: minutes of wall time on a loaded machine
        demo[0], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, f"{shlex.join(demo[0])}: {done.stderr}"
    built = tmp_path / "data" / "cscwatch" / "cscwatch.duckdb"
    assert built.exists()

    # The rest of make demo and the README's commands through the same entry point in
    # this process, with the same environment (a process each costs about 1.5 s CPU of
    # imports and proves nothing more: the location comes from the environment alone).
    for var in [k for k in os.environ if k.startswith("CSCWATCH_")]:
        monkeypatch.delenv(var)
    for var in ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, env[var])
    monkeypatch.chdir(ROOT)
    for args in [d[1:] for d in demo[1:]] + _readme_commands():
        code, _, err = cli(*args)
        assert code == 0, f"cscwatch {shlex.join(args)}: {err}"

    # The server builds the same Settings from the same environment, and opens that file.
    from cscwatch.store.warehouse import connect

    assert Settings().warehouse == built
    con = connect(Settings())
    try:
        assert con.execute("SELECT count(*) FROM authority").fetchone() != (0,)
    finally:
        con.close()
