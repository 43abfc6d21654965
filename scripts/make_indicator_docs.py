"""Regenerate docs/indicators.md from the indicator catalogue."""

from __future__ import annotations

from cscwatch.core.config import repo_root
from cscwatch.indicators.docs import render_indicator_docs

if __name__ == "__main__":
    path = repo_root() / "docs" / "indicators.md"
    path.write_text(render_indicator_docs() + "\n", encoding="utf-8")
    print(f"wrote {path}")
