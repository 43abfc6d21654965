"""The early-warning score on pages: the ``/risk`` ranking and a profile section.

Both read the ranking through :func:`cscwatch.serve.api._risk.ranking`, fitted once per
warehouse file, date, outcome and judgement. Importing this module registers the profile section.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from urllib.parse import urlencode

import duckdb

from cscwatch.core.config import Settings
from cscwatch.core.errors import CscwatchError
from cscwatch.models.risk_ranking import RiskRanking, RiskRow
from cscwatch.models.risk_summary import ranking_meta
from cscwatch.serve.api import _risk
from cscwatch.serve.api.ofsted import stale_lookup
from cscwatch.serve.web._render import Column, Row, Table
from cscwatch.serve.web.sections import ProfileSection, SectionContext, register_section

__all__ = ["risk_page"]

_log = logging.getLogger("cscwatch.serve")

_GRADES = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
}


def _pct(p: float | None) -> str:
    return "no score" if p is None else f"{100 * p:.0f}%"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _drivers(row: RiskRow) -> list[dict[str, Any]]:
    return [
        {
            "words": _risk.driver_words(name),
            "direction": "raises the score" if value > 0 else "lowers the score",
            "value": value,
        }
        for name, value in row.drivers
    ]


def _judgement(row: RiskRow) -> str:
    if row.judgement_in_force is None:
        return "none in force"
    return _GRADES.get(row.judgement_in_force, row.judgement_in_force.replace("_", " "))


def _age(row: RiskRow) -> str:
    return "" if row.judgement_age_years is None else f"{row.judgement_age_years:.1f}"


def _stale_words(stale: Any) -> str:
    if stale is None:
        return "not known"
    return f"yes: {stale.reason.words}" if stale.stale else "no"


def _meta(r: RiskRanking) -> dict[str, Any]:
    meta = ranking_meta(r)
    return {
        "meta": meta,
        "summary": meta.backtest,
        "caveat": _risk.caveat(meta.backtest),
        "method": _risk.method(meta),
        "relative_to": _risk.relative_to(meta),
        "outcome_words": _risk.OUTCOME_WORDS[r.outcome],
        "judgement_words": _risk.JUDGEMENT_WORDS[r.judgement],
        "model_words": _risk.MODEL_WORDS[r.model],
    }


def risk_page(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    tag: str | None,
    as_at: date,
    outcome: str,
    judgement: str,
) -> dict[str, Any]:
    """The ``/risk`` page's context: the ranking as a table, its meta and backtest."""
    r: RiskRanking = _risk.ranking(con, settings, tag, as_at, outcome, judgement)
    ctx = _meta(r)
    stale, record = stale_lookup(con, settings, as_at)
    query = urlencode({"as_at": as_at.isoformat(), "outcome": outcome, "judgement": judgement})
    t = Table(
        id="risk",
        caption=(
            f"Chance that the next inspection judges {ctx['judgement_words']} "
            f"{ctx['outcome_words']}, as at {as_at:%-d %B %Y}"
        ),
        columns=[
            Column("Authority"),
            Column("Rank (1 = highest)", True),
            Column("Probability", True),
            Column("Largest drivers"),
            Column("Judgement in force"),
            Column("Age of judgement (years)", True),
            Column("Stale"),
        ],
        csv_href=f"/risk/tables/risk.csv?{query}",
        csv_columns=_risk.CSV_COLUMNS,
    )
    for row, raw in zip(r.rows, _risk.csv_rows(r, ctx["meta"], stale), strict=True):
        t.rows.append(
            Row(
                cells=[
                    row.name,
                    str(row.rank),
                    _pct(row.probability),
                    "; ".join(f"{d['words']} ({d['direction']})" for d in _drivers(row)),
                    _judgement(row),
                    _age(row),
                    _stale_words(stale.get(row.la_code)),
                ],
                raw=raw,
                href=f"/authorities/{row.la_code}",
            )
        )
    return {
        **ctx,
        "ranking": r,
        "as_at": as_at,
        "outcome": outcome,
        "judgement": judgement,
        "outcomes": list(_risk.OUTCOME_WORDS.items()),
        "judgements": list(_risk.JUDGEMENT_WORDS.items()),
        "table": t,
        "tables": [t],
        "api_href": f"/api/risk?{query}",
        "ofsted_record": record,
        "ofsted_note": record.note(as_at),
        "stale_count": sum(
            1 for row in r.rows if row.la_code in stale and stale[row.la_code].stale
        ),
    }


def _section(ctx: SectionContext) -> dict[str, Any] | None:
    """The authority's early-warning score, or why there is none."""
    if not ctx.authority.is_current:
        return None
    as_at = _risk.default_as_at(ctx.con, ctx.warehouse_tag)
    base: dict[str, Any] = {
        "as_at": as_at,
        "caveat": _risk.caveat(None),
        "behind_today": _risk.behind_today(as_at),
    }
    try:
        r = _risk.ranking(ctx.con, ctx.settings, ctx.warehouse_tag, as_at)
    except CscwatchError as exc:
        return {**base, "error": str(exc)}
    except Exception:  # the score must never break the profile page
        _log.exception("early-warning score failed for %s", ctx.authority.la_code)
        return {**base, "error": "the model could not be fitted; the server has logged why"}
    base = {"as_at": as_at, "behind_today": _risk.behind_today(as_at), **_meta(r)}
    row = next((x for x in r.rows if x.la_code == ctx.authority.la_code), None)
    if row is None:
        left = next((e for e in r.excluded if e.la_code == ctx.authority.la_code), None)
        why = (
            f"{ctx.authority.name} is not ranked: {left.reason}"
            if left is not None
            else f"{ctx.authority.name} is not among the authorities scored"
        )
        return {**base, "error": why}
    return {
        **base,
        "error": None,
        "row": row,
        "probability": _pct(row.probability),
        "rank": _ordinal(row.rank),
        "n": len(r.rows),
        "drivers": _drivers(row),
        "judgement": _judgement(row),
        "ofsted_record": stale_lookup(ctx.con, ctx.settings, as_at)[1],
    }


register_section(
    ProfileSection("risk", "Early-warning score", "sections/risk.html", _section),
    before="indicators",
)
