"""The early-warning ranking for the web process, and its words for people.

Fitting :class:`~cscwatch.models.risk_ranking.RiskModel` takes seconds, so the ranking
is kept in-process per (warehouse file identity, date, outcome, judgement): the API's
``/api/risk``, the ``/risk`` page and every profile's "Early-warning score" section
share one fit. A rebuilt warehouse has a new identity, so a kept ranking is never out
of date. Two requests that miss at once wait for one fit instead of running two.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import date

import duckdb

from cscwatch.core.catalogue import CATALOGUE
from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.indicators.staleness import StaleStatus
from cscwatch.models.risk import DEFAULT_OUTCOME, parse_judgement, parse_outcome
from cscwatch.models.risk_ranking import RiskModel, RiskRanking, latest_rankable_date
from cscwatch.models.risk_summary import BacktestSummary, RiskMeta

__all__ = [
    "CSV_COLUMNS",
    "JUDGEMENT_WORDS",
    "MODEL_WORDS",
    "OUTCOME_WORDS",
    "behind_today",
    "caveat",
    "csv_rows",
    "default_as_at",
    "driver_words",
    "keep",
    "method",
    "parse_as_at",
    "parse_judgement",
    "parse_outcome",
    "ranking",
    "relative_to",
    "stale_cells",
]

JUDGEMENT_WORDS = {
    "overall": "overall effectiveness",
    "help_protection": "help and protection",
}
OUTCOME_WORDS = {
    "ri_or_worse": "Requires improvement or Inadequate",
    "inadequate": "Inadequate",
    "declined": "worse than at the previous inspection",
}
MODEL_WORDS = {
    "transparent": "a transparent score (the mean of a few signed, standardised indicators "
    "chosen on past inspections)",
    "logistic": "an L2-regularised logistic regression",
    "boosted": "gradient-boosted trees",
}
_KEEP = 16
_lock = threading.Lock()
_rankings: OrderedDict[tuple[str, str, date, str, str], RiskRanking] = OrderedDict()
_fitting: dict[tuple[str, str, date, str, str], threading.Lock] = {}


#: Per warehouse file (its tag): the last date its figures support a ranking at.
_rankable: OrderedDict[str, date | None] = OrderedDict()


def default_as_at(con: duckdb.DuckDBPyConnection | None = None, tag: str | None = None) -> date:
    """The date a ranking is made at when none is asked for (as ``cscwatch risk``):
    today, or, when the warehouse's figures are too old for today, the last date they
    support (:func:`~cscwatch.models.risk_ranking.latest_rankable_date`; the answer
    gives its date, and :func:`behind_today` says why it is not today). Without a
    connection, today. Worked out once per file (``tag``)."""
    today = date.today()
    if con is None:
        return today
    with _lock:
        known = tag is not None and tag in _rankable
        last = _rankable.get(tag) if tag is not None else None
    if not known:
        last = latest_rankable_date(con)
        if tag is not None:
            with _lock:
                _rankable[tag] = last
                while len(_rankable) > _KEEP:
                    _rankable.popitem(last=False)
    return today if last is None or today <= last else last


def behind_today(as_at: date) -> str | None:
    """Why a default ranking's date is not today, in words; None when it is today."""
    today = date.today()
    if as_at >= today:
        return None
    return (
        f"as at {as_at:%-d %B %Y}, the last date this warehouse's figures support (today, "
        f"{today:%-d %B %Y}, needs statistics published since: fetch newer statistics "
        "with cscwatch fetch and build)"
    )


def parse_as_at(
    text: str | None, con: duckdb.DuckDBPyConnection | None = None, tag: str | None = None
) -> date:
    """``YYYY-MM-DD``, or :func:`default_as_at` if empty; ``InputError`` (400) otherwise."""
    if text in (None, ""):
        return default_as_at(con, tag)
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise InputError(f"as_at {text!r} is not a date (YYYY-MM-DD)") from None


def keep(
    settings: Settings,
    tag: str,
    as_at: date,
    fitted: RiskRanking,
    outcome: str = DEFAULT_OUTCOME,
    judgement: str = "overall",
) -> None:
    """Keep a ranking fitted elsewhere (by a warm-up's child process, on the file ``tag``
    names) as :func:`ranking` would keep its own fit, unless one is kept already."""
    key = (str(settings.warehouse), tag, as_at, outcome, judgement)
    with _lock:
        if key not in _rankings:
            _rankings[key] = fitted
            while len(_rankings) > _KEEP:
                _rankings.popitem(last=False)


def ranking(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    tag: str | None,
    as_at: date,
    outcome: str = DEFAULT_OUTCOME,
    judgement: str = "overall",
) -> RiskRanking:
    """The fitted ranking, from the in-process cache when this file has been fitted.

    ``tag`` names the warehouse file's identity; without one nothing is kept.
    """

    def fit() -> RiskRanking:
        return RiskModel(con, settings.snapshot_dir, outcome=outcome, judgement=judgement).fit(
            as_at
        )

    if tag is None:
        return fit()
    key = (str(settings.warehouse), tag, as_at, outcome, judgement)
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
        fitted = fit()
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


def _terms(terms: tuple[tuple[str, int], ...]) -> str:
    return "; ".join(
        f"{driver_words(n)} ({'higher' if s > 0 else 'lower'} raises the score)" for n, s in terms
    )


def method(meta: RiskMeta) -> str:
    """What the score is, in one paragraph."""
    words = (
        f"The probability that an authority's next graded Ofsted inspection judges "
        f"{JUDGEMENT_WORDS[meta.judgement]} {OUTCOME_WORDS[meta.outcome]}, from "
        f"{MODEL_WORDS[meta.model]}, trained on the {meta.n_train} inspections published "
        f"before {meta.as_at:%-d %B %Y}, with indicators as published before each "
        "inspection began. The model was chosen among a transparent score, a logistic "
        "regression and gradient-boosted trees by its out-of-time accuracy on earlier "
        "inspections only."
    )
    if meta.terms:
        words += f" The score's indicators, chosen on past inspections: {_terms(meta.terms)}."
    return words + " Drivers are the three largest terms of the authority's score."


def relative_to(meta: RiskMeta) -> str:
    """What the ranking and its probabilities are relative to, in one sentence."""
    return (
        f"Ranked against the other {meta.n_ranked - 1} current authorities as at "
        f"{meta.as_at:%-d %B %Y}; probabilities shifted from the training rate "
        f"({meta.rate_train:.0%}) to the rate among inspections started from "
        f"{meta.recent_since:%-d %B %Y} to {meta.recent_until:%-d %B %Y} "
        f"({meta.rate_recent:.0%}); Ofsted judgements (reports and the ILACS overview) "
        f"published up to {meta.ofsted_record_to:%-d %B %Y}. "
        + (
            "Not ranked (too few children for stable rates): "
            + ", ".join(e.name for e in meta.excluded)
            + "."
            if meta.excluded
            else ""
        )
    ).strip()


def caveat(summary: BacktestSummary | None) -> str:
    """The backtest in plain words, against the previous Ofsted judgement."""
    if summary is None:
        return (
            "No backtest results have been written for this outcome, so how well the "
            "model ranks authorities is unknown. Do not use the scores to make decisions."
        )
    m, b = summary.selected, summary.previous_judgement
    if m.auc is None or m.auc_lo is None or m.auc_hi is None or b.auc is None:
        return "The backtest could not estimate how well the model ranks authorities."
    words = (
        f"Tested out of time on {summary.n_test} inspections ({summary.first_origin} to "
        f"{summary.last_origin}), choosing the model each year from earlier years only, "
        f"the ROC AUC was {m.auc:.2f} (95% interval {m.auc_lo:.2f} to {m.auc_hi:.2f}; "
        f"0.5 is chance) against {b.auc:.2f} for simply using each authority's previous "
        "Ofsted judgement. "
    )
    if summary.beats_previous:
        return words + "The backtest shows an advantage over the previous judgement."
    return words + (
        "The backtest shows no reliable advantage over the previous judgement: treat a "
        "score as a prompt for questions, not a prediction."
    )


#: The columns of the ranking as CSV (the API's ``format=csv`` and the page's download):
#: the authority's row, then the ranking's meta repeated so that a saved file says
#: what it is.
CSV_COLUMNS = (
    "rank",
    "la_code",
    "name",
    "probability",
    "score",
    "driver_1",
    "driver_1_contribution",
    "driver_2",
    "driver_2_contribution",
    "driver_3",
    "driver_3_contribution",
    "judgement_in_force",
    "judgement_published",
    "judgement_age_years",
    "stale",
    "stale_reason",
    "as_at",
    "outcome",
    "judgement",
    "model",
    "backtest_auc",
    "backtest_auc_lo",
    "backtest_auc_hi",
    "previous_judgement_auc",
    "ofsted_record_to",
)


def stale_cells(status: StaleStatus | None) -> tuple[bool | None, str | None]:
    """The ``stale`` and ``stale_reason`` cells of one authority (None when unknown)."""
    if status is None:
        return None, None
    return status.stale, None if status.reason is None else status.reason.value


def csv_rows(
    r: RiskRanking, meta: RiskMeta, stale: Mapping[str, StaleStatus]
) -> list[list[object]]:
    """The ranking as rows of :data:`CSV_COLUMNS`; ``stale`` is each authority's status
    under the one definition (:func:`cscwatch.indicators.staleness.stale_status`)."""
    bt = meta.backtest
    tail = [
        meta.as_at.isoformat(),
        meta.outcome,
        meta.judgement,
        meta.model,
        bt.selected.auc if bt else None,
        bt.selected.auc_lo if bt else None,
        bt.selected.auc_hi if bt else None,
        bt.previous_judgement.auc if bt else None,
        meta.ofsted_record_to.isoformat(),
    ]
    rows = []
    for row in r.rows:
        drivers: list[object] = []
        for name, value in (*row.drivers, *((None, None),) * 3)[:3]:
            drivers += [name, value]
        rows.append(
            [
                row.rank,
                row.la_code,
                row.name,
                row.probability,
                row.score,
                *drivers,
                row.judgement_in_force,
                row.judgement_published.isoformat() if row.judgement_published else None,
                row.judgement_age_years,
                *stale_cells(stale.get(row.la_code)),
                *tail,
            ]
        )
    return rows
