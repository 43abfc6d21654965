"""The SSDA903 rules as documentation: DfE's catalogue by year beside cscwatch's registry.

``python -m cscwatch.childlevel.ssda903.ruledocs`` rewrites the rule table of
``docs/ssda903.md`` (between its ``rules:start`` and ``rules:end`` markers); a test fails
when the table is stale.
"""

from __future__ import annotations

import re

from cscwatch.childlevel.ssda903.rules import RULESETS, all_rules, catalogue, implementation

__all__ = ["generated_section", "rule_table_markdown", "write_rule_docs"]


def _label(ruleset: str) -> str:
    return ruleset[3:].replace("_", "-")


def _cell(text: str) -> str:
    # <Element> names would read as HTML tags in Markdown: show them as code.
    text = re.sub(r"<\s*([A-Za-z0-9 ]+?)\s*>", r"`\1`", text)
    return text.replace("|", "\\|").replace("\n", " ")


def _code_key(code: str) -> tuple[int, str]:
    digits = re.match(r"\d+", code)
    return (int(digits.group()) if digits else 10**6, code)


def rule_table_markdown() -> str:
    """Every code of every year's catalogue: in force and implemented, by collection year.

    A year's cell is blank when the code is not in that year's catalogue, ``no`` when it
    is but cscwatch has no implementation serving that year, ``yes`` when it has (``yes
    (2024-25)`` when a later declaration replaced the first one for that year).
    Then DfE's newest message, what the rule needs beyond the return's own tables, and
    how it was read (each implementation's docstring).
    """
    entries = {rs: {e.code: e for e in catalogue(rs)} for rs in RULESETS}
    codes = sorted({c for by in entries.values() for c in by}, key=_code_key)
    versions: dict[str, list[str]] = {}
    for r in all_rules():
        versions.setdefault(r.code, []).append(r.ruleset)
    years = " | ".join(_label(rs) for rs in RULESETS)
    out = [
        f"| code | {years} | message (newest) | needs | how it is implemented |",
        "|---|" + "---|" * len(RULESETS) + "---|---|---|",
    ]
    for code in codes:
        cells: list[str] = []
        needs: set[str] = set()
        readings: list[str] = []
        for rs in RULESETS:
            if code not in entries[rs]:
                cells.append("")
                continue
            impl = implementation(code, rs)
            if impl is None:
                cells.append("no")
                continue
            first = min(versions[code], key=RULESETS.index)
            cells.append("yes" if impl.ruleset == first else f"yes ({_label(impl.ruleset)})")
            needs.update(impl.needs)
            reading = (
                f"{_label(impl.ruleset)}: {impl.reading}"
                if len(versions[code]) > 1
                else (impl.reading)
            )
            if reading not in readings:
                readings.append(reading)
        newest = next(entries[rs][code] for rs in reversed(RULESETS) if code in entries[rs])
        out.append(
            f"| {code} | " + " | ".join(cells) + f" | {_cell(newest.message)} | "
            f"{', '.join(sorted(needs))} | {_cell(' '.join(readings))} |"
        )
    return "\n".join(out) + "\n"


def _counts() -> str:
    # One line per year: rules in force and how many cscwatch implements.
    lines = []
    for rs in RULESETS:
        total = catalogue(rs)
        done = sum(1 for e in total if implementation(e.code, rs) is not None)
        lines.append(f"- {_label(rs)}: {done} of {len(total)} rules implemented")
    return "\n".join(lines) + "\n\n"


def write_rule_docs() -> None:
    """Rewrite the rule table in ``docs/ssda903.md`` (between the rules markers)."""
    from cscwatch.core.config import repo_root

    path = repo_root() / "docs" / "ssda903.md"
    text = path.read_text(encoding="utf-8")
    start, end = "<!-- rules:start -->\n", "<!-- rules:end -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    path.write_text(head + start + _counts() + rule_table_markdown() + end + tail, "utf-8")


def generated_section() -> str:
    """What :func:`write_rule_docs` puts between the markers (for the docs test)."""
    return _counts() + rule_table_markdown()


if __name__ == "__main__":
    write_rule_docs()
