"""The early-warning backtest in brief, and the ``meta`` every ranking carries.

``cscwatch analyse all --out docs/methods`` (or ``cscwatch analyse risk``) writes the
nested rolling-origin backtest of :mod:`cscwatch.models.risk` for every judgement and
outcome to ``docs/methods/results/risk.json``. :func:`backtest_summary` reads that file
once per modification and returns the few numbers pages and the API need;
:func:`ranking_meta` puts them beside a fitted ranking, so the CLI, the API and the
pages describe a ranking with one record.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from cscwatch.core.config import bundled, repo_root
from cscwatch.models._results import dump
from cscwatch.models.risk import BacktestResults, MetricRow, parse_judgement, parse_outcome
from cscwatch.models.risk_ranking import ExcludedAuthority, RiskRanking, SourceDate

__all__ = [
    "BacktestSummary",
    "Calibration",
    "ModelAuc",
    "RiskMeta",
    "backtest_summary",
    "ranking_meta",
    "results_path",
    "summarise",
]

_BASELINE = "previous_judgement"


@dataclass(frozen=True)
class ModelAuc:
    """One model's pooled out-of-time ROC AUC, and its difference from the baseline."""

    model: str
    auc: float | None
    auc_lo: float | None
    auc_hi: float | None
    auc_minus_previous: float | None
    dauc_lo: float | None
    dauc_hi: float | None


@dataclass(frozen=True)
class Calibration:
    """Calibration of the recalibrated probabilities, out of time, with 95% intervals."""

    brier: float | None
    brier_lo: float | None
    brier_hi: float | None
    intercept: float | None
    intercept_lo: float | None
    intercept_hi: float | None
    slope: float | None
    slope_lo: float | None
    slope_hi: float | None
    brier_before_recalibration: float | None
    intercept_before_recalibration: float | None


@dataclass(frozen=True)
class BacktestSummary:
    """The nested backtest of one outcome and judgement, in brief.

    ``selected`` is the selection procedure (the model chosen in each fold from earlier
    folds), the honest estimate of what is shipped; ``shipped`` the shipped model's own
    out-of-time row; ``target_met`` is ``None`` where no target was set.
    """

    outcome: str
    judgement: str
    shipped_model: str
    first_origin: int
    last_origin: int
    dropped_origins: tuple[int, ...]
    n_test: int
    n_test_positive: int
    n_authorities: int
    selected: ModelAuc
    shipped: ModelAuc
    previous_judgement: ModelAuc
    calibration: Calibration
    target_auc: float | None
    target_met: bool | None

    @property
    def beats_previous(self) -> bool:
        """True only if the whole 95% interval of the selected AUC minus the baseline's
        is above zero."""
        return self.selected.dauc_lo is not None and self.selected.dauc_lo > 0


def results_path() -> Path:
    """The backtest ``cscwatch analyse all`` wrote to the checkout's docs, or the copy of
    it an installed package carries (so an installed ranking still says how far to trust
    it)."""
    return bundled("methods", "risk.json") or (
        repo_root() / "docs" / "methods" / "results" / "risk.json"
    )


def _auc(m: MetricRow) -> ModelAuc:
    return ModelAuc(m.model, m.auc, m.auc_lo, m.auc_hi, m.auc_minus_previous, m.dauc_lo, m.dauc_hi)


def summarise(res: BacktestResults) -> BacktestSummary:
    """The brief of one backtest."""
    ev = res.evaluated
    sel = res.metric("selected")
    return BacktestSummary(
        outcome=res.outcome,
        judgement=res.judgement,
        shipped_model=res.shipped_model,
        first_origin=min(f.origin_year for f in ev),
        last_origin=max(f.origin_year for f in ev),
        dropped_origins=tuple(f.origin_year for f in res.folds if f.role == "dropped"),
        n_test=sel.n,
        n_test_positive=sel.n_positive,
        n_authorities=res.n_clusters,
        selected=_auc(sel),
        shipped=_auc(res.metric(res.shipped_model)),
        previous_judgement=_auc(res.metric(_BASELINE)),
        calibration=Calibration(
            sel.brier,
            sel.brier_lo,
            sel.brier_hi,
            sel.cal_intercept,
            sel.cal_intercept_lo,
            sel.cal_intercept_hi,
            sel.cal_slope,
            sel.cal_slope_lo,
            sel.cal_slope_hi,
            sel.brier_raw,
            sel.cal_intercept_raw,
        ),
        target_auc=res.target_auc,
        target_met=res.target_met,
    )


@lru_cache(maxsize=8)
def _read(path: str, stamp: tuple[int, int]) -> dict[tuple[str, str], BacktestSummary]:
    """Parse the results file (``stamp`` is its mtime and size, so an edit re-reads)."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    out = {}
    for judgement, by_outcome in raw.items():
        for outcome, payload in by_outcome.items():
            res = BacktestResults.from_dict({**payload, "predictions": []})
            out[(judgement, outcome)] = summarise(res)
    return out


def backtest_summary(
    outcome: str | None = None, judgement: str = "overall", path: Path | None = None
) -> BacktestSummary | None:
    """The written backtest of ``outcome`` on ``judgement`` in brief, or ``None``.

    Parameters
    ----------
    outcome : one of :data:`~cscwatch.models.risk.OUTCOMES` (default the default outcome)
    judgement : ``"overall"`` or ``"help_protection"``
    path : the results file; :func:`results_path` if not given

    Raises
    ------
    InputError
        For an unknown outcome or judgement.
    """
    key = (parse_judgement(judgement), parse_outcome(outcome))
    p = Path(path) if path is not None else results_path()
    try:
        st = os.stat(p)
        found = _read(str(p), (st.st_mtime_ns, st.st_size))
    except (OSError, KeyError, TypeError, ValueError):
        return None  # absent, or written by an older version: no backtest to quote
    return found.get(key)


@dataclass(frozen=True)
class RiskMeta:
    """What a ranking is, what it is relative to, and how far to trust it.

    ``sources`` give each indicator's latest year used and its publication date;
    ``ofsted_record_to`` the latest Ofsted report used. ``n_ranked`` authorities are
    ranked against each other; ``excluded`` are left out (listed with the reason).
    """

    as_at: date
    outcome: str
    judgement: str
    model: str
    selection_auc: tuple[tuple[str, float | None], ...]
    terms: tuple[tuple[str, int], ...]
    n_train: int
    n_train_positive: int
    rate_train: float
    rate_recent: float
    recent_since: date
    recent_until: date
    backtest: BacktestSummary | None
    ofsted_record_to: date
    sources: tuple[SourceDate, ...]
    n_ranked: int
    excluded: tuple[ExcludedAuthority, ...]

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict."""
        return dump(self)


def ranking_meta(ranking: RiskRanking, path: Path | None = None) -> RiskMeta:
    """The ``meta`` record of ``ranking`` with its written backtest."""
    return RiskMeta(
        as_at=ranking.as_at,
        outcome=ranking.outcome,
        judgement=ranking.judgement,
        model=ranking.model,
        selection_auc=ranking.selection_auc,
        terms=ranking.terms,
        n_train=ranking.n_train,
        n_train_positive=ranking.n_train_positive,
        rate_train=ranking.rate_train,
        rate_recent=ranking.rate_recent,
        recent_since=ranking.recent_since,
        recent_until=ranking.recent_until,
        backtest=backtest_summary(ranking.outcome, ranking.judgement, path),
        ofsted_record_to=ranking.ofsted_record_to,
        sources=ranking.sources,
        n_ranked=len(ranking.rows),
        excluded=ranking.excluded,
    )
