"""Indicators: the catalogue (each indicator declared once), benchmarking, variation,
child-level measures, and the disclosure control every output of child-level data
passes through (:mod:`cscwatch.indicators.disclosure`)."""

from cscwatch.indicators.cin_measures import CinMeasures, authority_lookup, compute_cin_measures
from cscwatch.indicators.disclosure import (
    SMALL_COUNT_MAX,
    SUPPRESSED,
    disclose,
    disclose_count,
    is_suppressed,
)

__all__ = [
    "SMALL_COUNT_MAX",
    "SUPPRESSED",
    "CinMeasures",
    "authority_lookup",
    "compute_cin_measures",
    "disclose",
    "disclose_count",
    "is_suppressed",
]
