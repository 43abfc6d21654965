"""``/api/risk``: the early-warning ranking of every current authority, with its meta."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cscwatch.core.errors import InputError
from cscwatch.models.risk_ranking import ExcludedAuthority, RiskRow, SourceDate
from cscwatch.models.risk_summary import BacktestSummary, ranking_meta
from cscwatch.serve.api import _risk
from cscwatch.serve.api._deps import Con, csv_response, jsonable
from cscwatch.serve.api._errors import ERROR_RESPONSES
from cscwatch.serve.api._records import record_model
from cscwatch.serve.api.ofsted import stale_lookup

__all__ = ["RiskOut", "router"]

router = APIRouter(tags=["risk"], responses=ERROR_RESPONSES)


class DriverOut(BaseModel):
    """One of the three largest terms of the authority's score."""

    feature: str
    words: str
    contribution: float = Field(description="The term's size in the shipped model's score.")


#: One authority's estimated risk: the library's
#: :class:`~cscwatch.models.risk_ranking.RiskRow`, its drivers spelt out with their words,
#: and whether its judgement in force is stale (the one definition).
RiskRowOut = record_model(
    RiskRow,
    "RiskRowOut",
    descriptions={
        "probability": "Recalibrated to the recent base rate.",
        "score": "The shipped model's ranking score.",
    },
    shapes={"drivers": list[DriverOut]},
    computed={
        "stale": (
            "judgement_age_years",
            bool | None,
            Field(
                description="No graded judgement in the three years to as_at (none at all counts)."
            ),
        ),
        "stale_reason": ("judgement_age_years", str | None, None),
    },
)


class RiskMeta(BaseModel):
    """What the ranking is, what it is relative to and how far to trust it."""

    as_at: date
    outcome: str
    outcome_words: str
    judgement: str
    judgement_words: str
    model: str = Field(description="The shipped model, chosen by nested rolling-origin AUC.")
    selection_auc: list[tuple[str, float | None]] = Field(
        description="Each candidate's pooled out-of-time ROC AUC the choice was made on."
    )
    terms: list[tuple[str, int]] = Field(
        description="The transparent score's indicators and signs (empty for other models)."
    )
    n_train: int
    n_train_positive: int
    rate_train: float
    rate_recent: float = Field(description="The base rate probabilities are shifted to.")
    recent_since: date
    recent_until: date
    backtest: BacktestSummary | None
    beats_previous_judgement: bool | None
    ofsted_record_to: date = Field(description="Latest Ofsted report used.")
    sources: list[SourceDate] = Field(description="Latest year used of every indicator.")
    n_ranked: int
    excluded: list[ExcludedAuthority]
    method: str
    relative_to: str
    caveat: str
    methods_page: str
    ofsted_record_runs_to: date | None = Field(
        description="The latest Ofsted publication the warehouse holds."
    )
    stale: int = Field(description="Authorities ranked whose judgement is stale on as_at.")


class RiskOut(BaseModel):
    """Every current authority that is ranked, highest probability first."""

    meta: RiskMeta
    data: list[RiskRowOut]  # type: ignore[valid-type]


@router.get("/risk", response_model=RiskOut, summary="Early-warning ranking")
def get_risk(
    request: Request,
    con: Con,
    as_at: Annotated[
        str | None,
        Query(
            description="Date to score at (YYYY-MM-DD). If omitted, today, or the last "
            "date the warehouse's figures support when they are too old for today."
        ),
    ] = None,
    outcome: Annotated[
        str | None,
        Query(description="`ri_or_worse` (default), `inadequate` or `declined`."),
    ] = None,
    judgement: Annotated[
        str | None, Query(description="`overall` (default) or `help_protection`.")
    ] = None,
    target: Annotated[
        str | None, Query(description="Former name of `judgement`.", deprecated=True)
    ] = None,
    format: Annotated[str, Query(description="`json` or `csv`.")] = "json",
) -> Any:
    """The chance that each authority's next graded inspection has the outcome.

    ``meta`` says which model ranks, its nested out-of-time AUC against the previous
    judgement, calibration, the data dates and what the ranking is relative to.
    400 ``bad_input`` for a malformed date, an unknown outcome, judgement or format.
    """
    tag = getattr(request.state, "warehouse_tag", None)
    when = _risk.parse_as_at(as_at, con, tag)
    out_ = _risk.parse_outcome(outcome)
    jdg = _risk.parse_judgement(judgement or target)
    if format not in ("json", "csv"):
        raise InputError(f"format {format!r}: use json or csv")
    r = _risk.ranking(con, request.app.state.settings, tag, when, out_, jdg)
    meta = ranking_meta(r)
    stale, record = stale_lookup(con, request.app.state.settings, when)
    if format == "csv":
        return csv_response(
            _risk.CSV_COLUMNS,
            _risk.csv_rows(r, meta, stale),
            f"risk-{out_}-{jdg}-{when.isoformat()}.csv",
        )
    body = RiskOut(
        meta=RiskMeta(
            **jsonable(meta),
            outcome_words=_risk.OUTCOME_WORDS[out_],
            judgement_words=_risk.JUDGEMENT_WORDS[jdg],
            beats_previous_judgement=meta.backtest.beats_previous if meta.backtest else None,
            method=_risk.method(meta),
            relative_to=_risk.relative_to(meta),
            caveat=_risk.caveat(meta.backtest),
            methods_page="/risk#method",
            ofsted_record_runs_to=record.runs_to,
            stale=sum(1 for row in r.rows if _risk.stale_cells(stale.get(row.la_code))[0]),
        ),
        data=[
            RiskRowOut.model_validate(
                jsonable(row)
                | {
                    "drivers": [
                        {"feature": n, "words": _risk.driver_words(n), "contribution": v}
                        for n, v in row.drivers
                    ],
                    "stale": _risk.stale_cells(stale.get(row.la_code))[0],
                    "stale_reason": _risk.stale_cells(stale.get(row.la_code))[1],
                }
            )
            for row in r.rows
        ],
    )
    return Response(body.model_dump_json(), media_type="application/json")
