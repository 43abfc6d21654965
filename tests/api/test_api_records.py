"""API response models come from the library's records: same fields, same order."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import BaseModel

from cscwatch.core.catalogue import IndicatorRecord
from cscwatch.indicators.authorities import Authority
from cscwatch.indicators.benchmarking import Benchmark
from cscwatch.indicators.judgements import OfstedRecord
from cscwatch.indicators.observations import Observation
from cscwatch.indicators.series import SeriesPoint
from cscwatch.indicators.staleness import GradeSummaryView
from cscwatch.indicators.variation import FunnelPlot, VariationView
from cscwatch.models.risk_ranking import RiskRow
from cscwatch.serve.api._records import record_model
from cscwatch.serve.api.authorities import AuthorityOut
from cscwatch.serve.api.indicators import IndicatorOut
from cscwatch.serve.api.observations import ObservationOut
from cscwatch.serve.api.ofsted import GradeSummaryOut, InspectionOut, RecordOut
from cscwatch.serve.api.profile import BenchmarkOut, SeriesPointOut
from cscwatch.serve.api.risk import RiskRowOut
from cscwatch.serve.api.variation import FunnelOut, VariationOut
from cscwatch.store.inspections import InspectionView


def _names(record: type) -> list[str]:
    return [f.name for f in dataclasses.fields(record)]


@pytest.mark.parametrize(
    ("model", "record"),
    [
        (AuthorityOut, Authority),
        (RecordOut, OfstedRecord),
        (FunnelOut, FunnelPlot),
        (IndicatorOut, IndicatorRecord),
        (ObservationOut, Observation),
        (SeriesPointOut, SeriesPoint),
        (VariationOut, VariationView),
        (InspectionOut, InspectionView),
        (GradeSummaryOut, GradeSummaryView),
    ],
)
def test_models_have_exactly_the_records_fields(model: type[BaseModel], record: type) -> None:
    assert list(model.model_fields) == _names(record)


def test_benchmark_adds_only_its_period_label_after_the_year() -> None:
    names = _names(Benchmark)
    i = names.index("year") + 1
    assert list(BenchmarkOut.model_fields) == [*names[:i], "period_label", *names[i:]]
    assert BenchmarkOut.model_fields["rank_note"].description


def test_risk_rows_add_only_the_stale_cells_after_the_judgement() -> None:
    names = _names(RiskRow)
    assert list(RiskRowOut.model_fields) == [*names, "stale", "stale_reason"]
    # The drivers' pairs are spelt out as objects with their words.
    assert RiskRowOut.model_fields["drivers"].annotation != RiskRow.__annotations__["drivers"]


def test_the_cli_and_the_api_give_one_shape() -> None:
    """The library views are what the CLI prints as JSON: no second list of fields."""
    from cscwatch.childlevel.cin.validation import ValidationIssue, issue_columns

    assert issue_columns() == [f for f in _names(ValidationIssue) if f != "la_child_id"]
    assert issue_columns(True) == _names(ValidationIssue)


def test_a_description_for_no_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no field 'nope'"):
        record_model(Authority, "X", descriptions={"nope": "words"})
    with pytest.raises(TypeError, match="not a dataclass"):
        record_model(int, "X")
