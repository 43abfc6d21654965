"""API response models come from the library's records: same fields, same order."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import BaseModel

from cscwatch.indicators.authorities import Authority
from cscwatch.indicators.benchmarking import Benchmark, FunnelPlot
from cscwatch.indicators.judgements import OfstedRecord
from cscwatch.serve.api._records import record_model
from cscwatch.serve.api.authorities import AuthorityOut
from cscwatch.serve.api.ofsted import RecordOut
from cscwatch.serve.api.profile import BenchmarkOut
from cscwatch.serve.api.variation import FunnelOut


def _names(record: type) -> list[str]:
    return [f.name for f in dataclasses.fields(record)]


@pytest.mark.parametrize(
    ("model", "record"),
    [(AuthorityOut, Authority), (RecordOut, OfstedRecord), (FunnelOut, FunnelPlot)],
)
def test_models_have_exactly_the_records_fields(model: type[BaseModel], record: type) -> None:
    assert list(model.model_fields) == _names(record)


def test_benchmark_adds_only_its_period_label_after_the_year() -> None:
    names = _names(Benchmark)
    i = names.index("year") + 1
    assert list(BenchmarkOut.model_fields) == [*names[:i], "period_label", *names[i:]]
    assert BenchmarkOut.model_fields["rank_note"].description


def test_a_description_for_no_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no field 'nope'"):
        record_model(Authority, "X", descriptions={"nope": "words"})
    with pytest.raises(TypeError, match="not a dataclass"):
        record_model(int, "X")
