"""Indicator pages generated from the catalogue (``docs/indicators.md``)."""

from __future__ import annotations

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.catalogue.indicator import CASH_TERMS

__all__ = ["render_indicator_docs"]


def render_indicator_docs() -> str:
    """Markdown for every indicator, grouped by topic, in catalogue order."""
    lines = [
        "# Indicators",
        "",
        "Generated from `src/cscwatch/core/catalogue/__init__.py` by "
        "`python scripts/make_indicator_docs.py`; do not edit by hand.",
        "",
        "Years are the publisher's own (`time_period`): `2025` is the year ending 31 March",
        "2025 (2024-25) for CIN, child protection, looked-after and spend figures, 31 March",
        "2025 for counts on that day, the workforce census of 30 September 2025 (DfE's",
        "workforce year 2025) and the academic year 2024/25 for KS2/KS4. Each indicator's",
        "*period* line names its kind; pages, the CLI and the API show each year that way.",
        "Models line the workforce census of 30 September `Y` up with the year ending",
        "31 March `Y + 1`, in one declared table (`cscwatch.models._data.ALIGNMENT`).",
        "Polarity: `low_good` — lower is, on its face, better; `high_good` — higher is better;",
        "`neutral` — neither (demand and activity levels, where both extremes deserve a look).",
        f"Every £ figure is {CASH_TERMS}; `cscwatch show/profile/variation --prices real`",
        "converts to real terms with the GDP deflator when that optional file is in the",
        "snapshot (docs/snapshot.md; ONS series L8GG made into financial years, or HM",
        "Treasury's own file; the output names which).",
        "",
    ]
    topics: dict[str, list[str]] = {}
    for ind in CATALOGUE.values():
        topics.setdefault(ind.topic, []).append(ind.id)
    lines.append("| topic | indicators |")
    lines.append("|---|---|")
    for topic, ids in topics.items():
        lines.append(f"| {topic} | " + ", ".join(f"`{i}`" for i in ids) + " |")
    lines.append("")
    for topic, ids in topics.items():
        lines.append(f"## {topic.replace('_', ' ').capitalize()}")
        lines.append("")
        for ind_id in ids:
            ind = CATALOGUE[ind_id]
            d = ind.derivation
            how = {
                "column": f"published value of `{d.column}` in `{d.source}`",
                "ratio": f"`{d.column}` ÷ `{d.denominator_column}` in `{d.source}`"
                + (
                    f"; publisher's `{d.published_column}` used where given"
                    if d.published_column
                    else ""
                ),
                "rate": f"`{d.column}` in `{d.source}` × 10,000 ÷ population 0–17"
                + (
                    f"; publisher's `{d.published_column}` used where given"
                    if d.published_column
                    else ""
                )
                + (f"; checked against LAIT `{d.published_lait}`" if d.published_lait else ""),
                "lait": f"LAIT `{d.lait}` as published",
                "lait_per": f"LAIT `{d.lait}` ÷ "
                + ("population 0–17" if d.other == "population" else f"`{d.other}`")
                + (f" × {d.scale:g}" if d.scale != 1 else ""),
                "population": "ONS mid-year estimate at 30 June of the year",
                "s251_per": f"section 251 outturn table line '{d.column}' (gross £) ÷ "
                f"`{d.other}`; only when the optional outturn file is in the snapshot",
            }[d.kind]
            if d.lait_before:
                how += (
                    f"; before the file's first year, LAIT `{d.lait_before}`"
                    + (
                        " × 10,000 ÷ population 0–17 (LAIT's own rate kept beside it)"
                        if d.kind == "rate"
                        else " as published"
                    )
                    + "; overlap years reconciled at build (`care_reconciliation`)"
                )
            lines += [
                f"### `{ind.id}` — {ind.title}",
                "",
                ind.definition,
                "",
                f"- **Unit:** {ind.unit.value} ({ind.unit_label}); "
                f"**polarity:** {ind.polarity.value}",
                f"- **Numerator:** {ind.numerator}",
                f"- **Denominator:** {ind.denominator or '—'}",
                f"- **Source:** {ind.source}; **years:** {ind.years[0]}–{ind.years[1]} "
                f"({ind.year_label(ind.years[0])} to {ind.year_label(ind.years[1])}); "
                f"**period:** {ind.period} (`{ind.period_kind.value}`)",
                f"- **Computed as:** {how}",
                "",
            ]
    return "\n".join(lines)
