"""Indicators: the catalogue (each indicator declared once), benchmarking, variation,
child-level measures, Ofsted judgements in force (:mod:`cscwatch.indicators.judgements`),
and the disclosure control every output of child-level data
passes through (:mod:`cscwatch.indicators.disclosure`)."""

from cscwatch.indicators.cin_measures import CinMeasures, authority_lookup, compute_cin_measures
from cscwatch.indicators.disclosure import (
    SMALL_COUNT_MAX,
    SUPPRESSED,
    disclose,
    disclose_count,
    is_suppressed,
)
from cscwatch.indicators.judgements import (
    GradeSummary,
    InterventionStatus,
    JudgementInForce,
    Transition,
    intervention_status,
    judgement_transitions,
    judgements_in_force,
    summarise_judgements,
)

__all__ = [
    "SMALL_COUNT_MAX",
    "SUPPRESSED",
    "CinMeasures",
    "GradeSummary",
    "InterventionStatus",
    "JudgementInForce",
    "Transition",
    "authority_lookup",
    "compute_cin_measures",
    "disclose",
    "disclose_count",
    "intervention_status",
    "is_suppressed",
    "judgement_transitions",
    "judgements_in_force",
    "summarise_judgements",
]
