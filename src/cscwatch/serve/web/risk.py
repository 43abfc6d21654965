"""The early-warning score on pages: the ``/risk`` ranking and a profile section.

Both read the ranking through :func:`cscwatch.serve.api._risk.ranking`, fitted once per
warehouse file, date and target. Importing this module registers the profile section.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from urllib.parse import urlencode

import duckdb

from cscwatch.core.config import Settings
from cscwatch.core.errors import CscwatchError
from cscwatch.models.risk import RiskRanking, RiskRow
from cscwatch.models.risk_summary import backtest_summary
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


def _stale_raw(stale: Any) -> tuple[bool | None, str | None]:
    if stale is None:
        return None, None
    return stale.stale, None if stale.reason is None else stale.reason.value


def _backtest(target: str) -> dict[str, Any]:
    s = backtest_summary(target)
    return {"summary": s, "caveat": _risk.caveat(s), "method": _risk.method(target)}


def risk_page(
    con: duckdb.DuckDBPyConnection, settings: Settings, tag: str | None, as_at: date, target: str
) -> dict[str, Any]:
    """The ``/risk`` page's context: the ranking as a table, the method and backtest."""
    r: RiskRanking = _risk.ranking(con, settings, tag, as_at, target)
    stale, record = stale_lookup(con, settings, as_at)
    query = urlencode({"as_at": as_at.isoformat(), "target": target})
    t = Table(
        id="risk",
        caption=(
            f"Chance that the next inspection judges {_risk.TARGET_WORDS[target]} "
            f"Inadequate, as at {as_at:%-d %B %Y}"
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
        csv_columns=(
            "la_code",
            "name",
            "rank",
            "probability",
            "boosted_probability",
            "lead_score",
            "drivers",
            "judgement_in_force",
            "judgement_published",
            "judgement_age_years",
            "stale",
            "stale_reason",
            "ofsted_record_runs_to",
        ),
    )
    runs_to = None if record.runs_to is None else record.runs_to.isoformat()
    for row in r.rows:
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
                raw=[
                    row.la_code,
                    row.name,
                    row.rank,
                    row.probability,
                    row.boosted_probability,
                    row.lead_score,
                    "; ".join(f"{n} ({v:+.3f})" for n, v in row.drivers),
                    row.judgement_in_force,
                    row.judgement_published.isoformat() if row.judgement_published else None,
                    row.judgement_age_years,
                    *_stale_raw(stale.get(row.la_code)),
                    runs_to,
                ],
                href=f"/authorities/{row.la_code}",
            )
        )
    return {
        "ranking": r,
        "as_at": as_at,
        "target": target,
        "targets": list(_risk.TARGET_WORDS.items()),
        "target_words": _risk.TARGET_WORDS[target],
        "table": t,
        "tables": [t],
        "api_href": f"/api/risk?{query}",
        "ofsted_record": record,
        "ofsted_note": record.note(as_at),
        "stale_count": sum(
            1 for row in r.rows if row.la_code in stale and stale[row.la_code].stale
        ),
        **_backtest(target),
    }


def _section(ctx: SectionContext) -> dict[str, Any] | None:
    """The authority's early-warning score, or why there is none."""
    if not ctx.authority.is_current:
        return None
    as_at = _risk.default_as_at()
    base = {"as_at": as_at, **_backtest("overall")}
    try:
        r = _risk.ranking(ctx.con, ctx.settings, ctx.warehouse_tag, as_at, "overall")
    except CscwatchError as exc:
        return {**base, "error": str(exc)}
    except Exception:  # the score must never break the profile page
        _log.exception("early-warning score failed for %s", ctx.authority.la_code)
        return {**base, "error": "the model could not be fitted; the server has logged why"}
    row = next((x for x in r.rows if x.la_code == ctx.authority.la_code), None)
    if row is None:
        return {**base, "error": f"{ctx.authority.name} is not among the authorities scored"}
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
