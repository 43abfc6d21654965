"""The rule catalogue as documentation: one Markdown table of every rule version."""

from __future__ import annotations

import re

from cscwatch.childlevel.cin.rules.base import RULESETS, all_rules

__all__ = ["rule_table_markdown", "write_rule_docs"]


def _cell(text: str) -> str:
    # <Element> names would read as HTML tags in Markdown: show them as code.
    text = re.sub(r"<\s*([A-Za-z0-9 ]+?)\s*>", r"`\1`", text)
    return text.replace("|", "\\|").replace("\n", " ")


def rule_table_markdown() -> str:
    """Every declared rule version, by code then ruleset, as a Markdown table.

    Columns: code, first ruleset, module, type, the official message, the table and field
    an issue points at, and how the specification was read (the rule's docstring).
    """
    rows = sorted(all_rules(), key=lambda r: (int(r.code.rstrip("Q")), RULESETS.index(r.ruleset)))
    out = [
        "| code | from | module | type | message | reported on | how it is implemented |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r.code} | {r.ruleset} | {r.module} | {r.rule_type} | {_cell(r.message)} "
            f"| `{r.table}`.{r.field} | {_cell(r.reading)} |"
        )
    return "\n".join(out) + "\n"


def write_rule_docs() -> None:
    """Rewrite the rule table in ``docs/cin_census.md`` (between the rules markers)."""
    from cscwatch.core.config import repo_root

    path = repo_root() / "docs" / "cin_census.md"
    text = path.read_text(encoding="utf-8")
    start, end = "<!-- rules:start -->\n", "<!-- rules:end -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    path.write_text(head + start + rule_table_markdown() + end + tail, encoding="utf-8")


if __name__ == "__main__":
    write_rule_docs()
