"""Indicators: benchmarking of the catalogue's indicators (:mod:`cscwatch.core.catalogue`)
and the benchmark table built with the warehouse, variation, Ofsted judgements in force
(:mod:`cscwatch.indicators.judgements`), stale (:mod:`cscwatch.indicators.staleness`)
and under the intervention tests (:mod:`cscwatch.indicators.interventions`), and the
disclosure control every output of child-level data passes through
(:mod:`cscwatch.indicators.disclosure`).

Names are exported lazily (PEP 562): a command that needs one module does not pay for
importing every reader. To add an export, add it to ``_EXPORTS``, the ``TYPE_CHECKING``
imports and ``__all__``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cscwatch.indicators.disclosure import (
        SMALL_COUNT_MAX,
        SUPPRESSED,
        disclose,
        disclose_count,
        is_suppressed,
    )
    from cscwatch.indicators.interventions import (
        InterventionStatus,
        Transition,
        intervention_status,
        judgement_transitions,
    )
    from cscwatch.indicators.judgements import JudgementInForce, judgements_in_force
    from cscwatch.indicators.staleness import GradeSummary, summarise_judgements

#: Public name → the module that defines it (imported on first use).
_EXPORTS: dict[str, str] = {
    "GradeSummary": "cscwatch.indicators.staleness",
    "InterventionStatus": "cscwatch.indicators.interventions",
    "JudgementInForce": "cscwatch.indicators.judgements",
    "SMALL_COUNT_MAX": "cscwatch.indicators.disclosure",
    "SUPPRESSED": "cscwatch.indicators.disclosure",
    "Transition": "cscwatch.indicators.interventions",
    "disclose": "cscwatch.indicators.disclosure",
    "disclose_count": "cscwatch.indicators.disclosure",
    "intervention_status": "cscwatch.indicators.interventions",
    "is_suppressed": "cscwatch.indicators.disclosure",
    "judgement_transitions": "cscwatch.indicators.interventions",
    "judgements_in_force": "cscwatch.indicators.judgements",
    "summarise_judgements": "cscwatch.indicators.staleness",
}

__all__ = [
    "SMALL_COUNT_MAX",
    "SUPPRESSED",
    "GradeSummary",
    "InterventionStatus",
    "JudgementInForce",
    "Transition",
    "disclose",
    "disclose_count",
    "intervention_status",
    "is_suppressed",
    "judgement_transitions",
    "judgements_in_force",
    "summarise_judgements",
]


def __getattr__(name: str) -> Any:
    """Import the defining module on first use, so importing the package stays cheap."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
