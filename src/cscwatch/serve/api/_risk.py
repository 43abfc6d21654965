"""The early-warning ranking for the web process, and its words for people.

Fitting :class:`~cscwatch.models.risk.RiskModel` takes seconds, so the ranking is
kept in-process per (warehouse file identity, date, target): the API's ``/api/risk``,
the ``/risk`` page and every profile's "Early-warning score" section share one fit.
A rebuilt warehouse has a new identity, so a kept ranking is never stale. Two
requests that miss at once wait for one fit instead of running two.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from datetime import date

import duckdb

from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.indicators.catalogue import CATALOGUE
from cscwatch.models.risk import TARGETS, RiskModel, RiskRanking
from cscwatch.models.risk_summary import BacktestSummary

__all__ = [
    "TARGET_WORDS",
    "caveat",
    "default_as_at",
    "driver_words",
    "method",
    "parse_as_at",
    "parse_target",
    "ranking",
]

TARGET_WORDS = {
    "overall": "overall effectiveness",
    "help_protection": "help and protection",
}
_KEEP = 16
_lock = threading.Lock()
_rankings: OrderedDict[tuple[str, str, date, str], RiskRanking] = OrderedDict()
_fitting: dict[tuple[str, str, date, str], threading.Lock] = {}


def default_as_at() -> date:
    """The latest date a ranking can be made at: today (as ``cscwatch risk``)."""
    return date.today()


def parse_as_at(text: str | None) -> date:
    """``YYYY-MM-DD``, or today if empty; ``InputError`` (400) otherwise."""
    if text in (None, ""):
        return default_as_at()
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise InputError(f"as_at {text!r} is not a date (YYYY-MM-DD)") from None


def parse_target(text: str | None) -> str:
    """``overall`` (default) or ``help_protection``; ``InputError`` (400) otherwise."""
    target = text or "overall"
    if target not in TARGETS:
        raise InputError(f"unknown target {target!r}; use overall or help_protection")
    return target


def ranking(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    tag: str | None,
    as_at: date,
    target: str,
) -> RiskRanking:
    """The fitted ranking, from the in-process cache when this file has been fitted.

    ``tag`` names the warehouse file's identity; without one nothing is kept.
    """
    if tag is None:
        return RiskModel(con, settings.snapshot_dir, target=target).fit(as_at)
    key = (str(settings.warehouse), tag, as_at, target)
    with _lock:
        hit = _rankings.get(key)
        if hit is not None:
            _rankings.move_to_end(key)
            return hit
        fit_lock = _fitting.setdefault(key, threading.Lock())
    with fit_lock:
        with _lock:
            hit = _rankings.get(key)
        if hit is not None:
            return hit
        fitted = RiskModel(con, settings.snapshot_dir, target=target).fit(as_at)
        with _lock:
            _rankings[key] = fitted
            while len(_rankings) > _KEEP:
                _rankings.popitem(last=False)
            _fitting.pop(key, None)
        return fitted


def _indicator_words(ind_id: str) -> str:
    ind = CATALOGUE.get(ind_id)
    if ind is None:
        return ind_id.replace("_", " ")
    title = re.sub(r"\s*\([^)]*\)$", "", ind.title)
    return title[:1].lower() + title[1:]


_PREVIOUS = {
    "prev_rank": "grade of the previous Ofsted judgement",
    "prev_inadequate": "previous Ofsted judgement was Inadequate",
    "prev_age_years": "age of the previous Ofsted judgement",
    "lead_score": "lead-indicator score",
}


def driver_words(name: str) -> str:
    """A model feature's name in words: ``caseload_vs_sn`` → "average caseload per
    case-holding social worker relative to statistical neighbours"."""
    if name.endswith(" missing"):
        return f"{driver_words(name.removesuffix(' missing'))}: not published"
    if name in _PREVIOUS:
        return _PREVIOUS[name]
    if name.endswith("_vs_sn"):
        return f"{_indicator_words(name.removesuffix('_vs_sn'))} relative to statistical neighbours"
    if name.endswith("_change"):
        return f"change on the year in {_indicator_words(name.removesuffix('_change'))}"
    return _indicator_words(name)


def method(target: str) -> str:
    """What the score is, in one paragraph."""
    return (
        "The probability that an authority's next graded Ofsted inspection judges "
        f"{TARGET_WORDS[target]} Inadequate, from an L2-regularised logistic regression "
        "trained on inspections published before the date, with indicators as published "
        "before each inspection began (lead indicators, their change and their gap to "
        "statistical neighbours; demand, spend and deprivation) and the previous "
        "judgement. Drivers are the three largest terms (coefficient × standardised "
        "value) for the authority."
    )


def caveat(summary: BacktestSummary | None) -> str:
    """The backtest in plain words: the score is no better than the last judgement."""
    if summary is None:
        return (
            "No backtest results have been written for this model, so how well it ranks "
            "authorities is unknown. Do not use the scores to make decisions."
        )
    m, b = summary.model, summary.previous_judgement
    words = (
        f"Tested on {summary.n_test} inspections from {summary.first_origin} to "
        f"{summary.last_origin}, the model's ROC AUC was {m.auc:.2f} (95% interval "
        f"{m.auc_lo:.2f} to {m.auc_hi:.2f}; 0.5 is chance) against {b.auc:.2f} for simply "
        "using each authority's previous Ofsted judgement. "
    )
    if summary.beats_previous:
        return words + "The backtest shows an advantage over the previous judgement."
    return words + (
        "The backtest shows no reliable advantage over the previous judgement: treat a "
        "score as a prompt for questions, not a prediction."
    )
