"""Regenerate the package import graph in docs/architecture.md (between the graph
markers) from the code itself, as a Mermaid flowchart.

Nodes are the packages (folders) of ``src/cscwatch`` down to three levels
(``cscwatch.serve.api``); a module counts as its folder. An arrow ``A --> B`` means some
module of A imports some module of B (at run time or for type checking); the number on
it is how many module-to-module imports it stands for. The graph is read with grimp,
the library import-linter checks the contracts with.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
DOC = ROOT / "docs" / "architecture.md"
DEPTH = 3


def _node(module: str) -> str:
    parts = module.split(".")
    # the module's own folder: a package is its folder, a module file its parent's
    if not (SRC.joinpath(*parts) / "__init__.py").is_file():
        parts = parts[:-1]
    return ".".join(parts[:DEPTH])


def edges() -> Counter[tuple[str, str]]:
    """Package-to-package import counts (self-imports left out)."""
    graph = grimp.build_graph("cscwatch", cache_dir=None)
    out: Counter[tuple[str, str]] = Counter()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = _node(module), _node(imported)
            if a != b and b != "cscwatch" and a != "cscwatch":
                out[a, b] += 1
    return out


def render() -> str:
    """The Mermaid block for docs/architecture.md."""
    counted = edges()
    nodes = sorted({n for e in counted for n in e})
    ids = {n: n.removeprefix("cscwatch.").replace(".", "_") for n in nodes}
    lines = ["```mermaid", "flowchart TD"]
    lines += [f'  {ids[n]}["{n.removeprefix("cscwatch.")}"]' for n in nodes]
    lines += [f"  {ids[a]} -->|{k}| {ids[b]}" for (a, b), k in sorted(counted.items())]
    lines.append("```")
    return "\n".join(lines)


def main() -> int:
    sys.path.insert(0, str(SRC))
    text = DOC.read_text(encoding="utf-8")
    new = re.sub(
        r"(<!-- graph:start -->\n).*(<!-- graph:end -->)",
        lambda m: m.group(1) + render() + "\n" + m.group(2),
        text,
        flags=re.S,
    )
    DOC.write_text(new, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
