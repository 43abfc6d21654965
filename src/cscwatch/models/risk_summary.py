"""The early-warning model's backtest in brief, read from the written results.

``cscwatch analyse all --out docs/methods`` writes the rolling-origin backtest of
:mod:`cscwatch.models.risk` to ``docs/methods/results/risk.json``. Pages and the API
quote it beside every score; :func:`backtest_summary` reads the file once per
modification and returns the few numbers they need, so no caller parses it ad hoc.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cscwatch.core.config import repo_root
from cscwatch.core.errors import InputError
from cscwatch.models.risk import TARGETS, BacktestResults

__all__ = ["RANKED_MODEL", "BacktestSummary", "ModelAuc", "backtest_summary", "results_path"]

#: The model whose probability :class:`~cscwatch.models.risk.RiskModel` ranks by.
RANKED_MODEL = "logistic"
_BASELINE = "previous_judgement"


@dataclass(frozen=True)
class ModelAuc:
    """One model's pooled backtest ROC AUC, and its difference from the baseline."""

    model: str
    auc: float | None
    auc_lo: float | None
    auc_hi: float | None
    auc_minus_previous: float | None
    dauc_lo: float | None
    dauc_hi: float | None


@dataclass(frozen=True)
class BacktestSummary:
    """The ranked model against the previous-judgement baseline, for one target."""

    target: str
    first_origin: int
    last_origin: int
    n_test: int
    n_test_inadequate: int
    model: ModelAuc
    previous_judgement: ModelAuc

    @property
    def beats_previous(self) -> bool:
        """True only if the whole 95% interval of the AUC difference is above zero."""
        return self.model.dauc_lo is not None and self.model.dauc_lo > 0


def results_path() -> Path:
    """Where ``cscwatch analyse all`` writes the backtest of the checkout's docs."""
    return repo_root() / "docs" / "methods" / "results" / "risk.json"


def _auc(res: BacktestResults, model: str) -> ModelAuc:
    m = res.metric(model)
    return ModelAuc(model, m.auc, m.auc_lo, m.auc_hi, m.auc_minus_previous, m.dauc_lo, m.dauc_hi)


@lru_cache(maxsize=8)
def _read(path: str, stamp: tuple[int, int]) -> dict[str, BacktestSummary]:
    """Parse the results file (``stamp`` is its mtime and size, so an edit re-reads)."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    out = {}
    for target, payload in raw.items():
        res = BacktestResults.from_dict({**payload, "predictions": []})
        out[target] = BacktestSummary(
            target=target,
            first_origin=min(f.origin_year for f in res.folds),
            last_origin=max(f.origin_year for f in res.folds),
            n_test=res.metrics[0].n,
            n_test_inadequate=res.metrics[0].n_inadequate,
            model=_auc(res, RANKED_MODEL),
            previous_judgement=_auc(res, _BASELINE),
        )
    return out


def backtest_summary(target: str = "overall", path: Path | None = None) -> BacktestSummary | None:
    """The written backtest of ``target`` in brief, or ``None`` if none has been written.

    Parameters
    ----------
    target : ``"overall"`` or ``"help_protection"``
    path : the results file; :func:`results_path` if not given

    Raises
    ------
    InputError
        For an unknown target.
    """
    if target not in TARGETS:
        raise InputError(f"unknown target {target!r}; use overall or help_protection")
    p = Path(path) if path is not None else results_path()
    try:
        st = os.stat(p)
    except OSError:
        return None
    return _read(str(p), (st.st_mtime_ns, st.st_size)).get(target)
