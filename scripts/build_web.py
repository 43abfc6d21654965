"""Compile the dashboard's web assets: GOV.UK Frontend from npm, our Sass to one CSS file.

The one recipe for them, used by ``make web`` (into the checkout's git-ignored
``static/vendor``) and by the wheel build in ``setup.py`` (into the build tree, so a
wheel always carries assets compiled from its own sources). Nothing it writes is
committed.

Usage: ``python scripts/build_web.py OUT_DIR``
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["build_web"]

ROOT = Path(__file__).resolve().parents[1]
SCSS = Path("src") / "cscwatch" / "serve" / "web" / "static" / "scss" / "app.scss"


def _npm_ci(root: Path) -> None:
    """Install the pinned npm packages unless ``node_modules`` is current."""
    marker = root / "node_modules" / ".package-lock.json"
    lock = root / "package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "building cscwatch's web assets needs Node.js and npm (GOV.UK Frontend and sass "
            "come from the npm registry, pinned in package-lock.json)"
        )
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=root, check=True)


#: How ``sass`` compiles ``app.scss`` (the load path and the files come after).
_SASS_FLAGS = (
    "--no-source-map",
    "--style=compressed",
    "--quiet-deps",
    "--silence-deprecation=import",
)


def _css_key(root: Path) -> str:
    """What the compiled CSS is made from: the flags, the npm packages installed (npm's
    record of them, versions and integrity hashes) and every Sass file of ours."""
    key = hashlib.sha256("\0".join(_SASS_FLAGS).encode())
    key.update((root / "node_modules" / ".package-lock.json").read_bytes())
    scss = root / SCSS.parent
    for path in sorted(scss.rglob("*.scss")):
        key.update(b"\0" + path.relative_to(scss).as_posix().encode() + b"\0")
        key.update(path.read_bytes())
    return key.hexdigest()


def _compile_css(root: Path, govuk: Path, css: Path) -> None:
    """Compile ``app.scss`` to ``css``, or copy what the same inputs compiled to before.

    Compiled CSS is kept in ``node_modules/.cache`` under :func:`_css_key`: a wheel
    built after ``make web`` (the packaging test builds one in every suite run) would
    otherwise compile the same CSS again, about 3.5 s of CPU in node.
    """
    kept = root / "node_modules" / ".cache" / "cscwatch-web" / f"app-{_css_key(root)}.css"
    if kept.is_file():
        shutil.copyfile(kept, css)
        return
    sass = str(root / "node_modules" / ".bin" / "sass")
    subprocess.run(
        [sass, *_SASS_FLAGS, f"--load-path={govuk}", str(root / SCSS), str(css)], check=True
    )
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        tmp = kept.with_name(f".{kept.name}.{os.getpid()}.tmp")
        shutil.copyfile(css, tmp)
        os.replace(tmp, kept)  # whole or absent, whoever else is building
    except OSError:
        pass  # a cache that cannot be written is only not kept


def build_web(out: Path, root: Path = ROOT) -> Path:
    """Write GOV.UK Frontend's script and assets and the compiled ``app.css`` to ``out``.

    Parameters
    ----------
    out : Path
        The ``static/vendor`` folder to (re)create.
    root : Path
        The project root holding ``package.json`` and the Sass sources.

    Returns
    -------
    Path
        ``out``.
    """
    _npm_ci(root)
    govuk = root / "node_modules" / "govuk-frontend" / "dist"
    shutil.rmtree(out, ignore_errors=True)
    (out / "govuk").mkdir(parents=True)
    shutil.copy2(govuk / "govuk" / "govuk-frontend.min.js", out / "govuk")
    shutil.copytree(govuk / "govuk" / "assets", out / "govuk" / "assets")
    # Swagger UI for /api/docs, served from here (never a CDN).
    swagger = root / "node_modules" / "swagger-ui-dist"
    (out / "swagger-ui").mkdir()
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"):
        shutil.copy2(swagger / name, out / "swagger-ui")
    _compile_css(root, govuk, out / "app.css")
    (out / ".built").touch()
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python scripts/build_web.py OUT_DIR")
    build_web(Path(sys.argv[1]).resolve())
