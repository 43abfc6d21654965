"""One build step on top of setuptools: the wheel's package data that is not source.

``build_py`` writes into the build tree (never into ``src/``):

* ``cscwatch/_bundled/snapshot/`` — a copy of ``data/snapshot`` (the published files a
  build reads, the boundaries the map draws and the manifest), found
  at run time with ``importlib.resources`` (``cscwatch.core.config``), with the data
  notice beside it in ``cscwatch/_bundled/DATA-NOTICE.md`` and the risk backtest the
  ranking quotes in ``cscwatch/_bundled/methods/risk.json``;
* ``cscwatch/serve/web/static/vendor/`` — GOV.UK Frontend and the compiled CSS, made
  by ``scripts/build_web.py`` from the npm packages pinned in ``package-lock.json``.

An editable install (``pip install -e .``, as ``make setup`` does) skips both: the
checkout's ``data/snapshot`` and ``make web``'s assets are used in place.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
RISK_RESULTS = ROOT / "docs" / "methods" / "results" / "risk.json"
sys.path.insert(0, str(ROOT / "scripts"))
from build_web import build_web  # noqa: E402


class BuildWithData(build_py):
    """``build_py`` plus the snapshot copy and the compiled web assets."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        package = Path(self.build_lib) / "cscwatch"
        bundled = package / "_bundled" / "snapshot"
        shutil.rmtree(bundled, ignore_errors=True)
        shutil.copytree(ROOT / "data" / "snapshot", bundled)
        shutil.copy2(ROOT / "DATA-NOTICE.md", bundled.parent / "DATA-NOTICE.md")
        # The risk backtest the ranking quotes (cscwatch.models.risk_summary).
        (bundled.parent / "methods").mkdir(exist_ok=True)
        shutil.copy2(RISK_RESULTS, bundled.parent / "methods" / "risk.json")
        # Replace whatever make web left in the checkout with assets built from source.
        build_web(package / "serve" / "web" / "static" / "vendor", ROOT)


setup(cmdclass={"build_py": BuildWithData})
