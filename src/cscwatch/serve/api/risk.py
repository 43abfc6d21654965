"""``/api/risk``: the early-warning ranking of every current authority, with its caveat."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cscwatch.core.errors import InputError
from cscwatch.models.risk_summary import backtest_summary
from cscwatch.serve.api import _risk
from cscwatch.serve.api._deps import Con, csv_response, jsonable
from cscwatch.serve.api._errors import ERROR_RESPONSES
from cscwatch.serve.api.ofsted import stale_lookup

__all__ = ["RiskOut", "router"]

router = APIRouter(tags=["risk"], responses=ERROR_RESPONSES)

_CSV_COLUMNS = (
    "rank",
    "la_code",
    "name",
    "probability",
    "boosted_probability",
    "lead_score",
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
    "ofsted_record_runs_to",
)


class DriverOut(BaseModel):
    """One of the three largest terms of the authority's score."""

    feature: str
    words: str
    contribution: float = Field(description="Coefficient × standardised value (log-odds).")


class RiskRowOut(BaseModel):
    """One authority's estimated risk."""

    rank: int
    la_code: str
    name: str
    probability: float
    boosted_probability: float | None
    lead_score: float | None
    drivers: list[DriverOut]
    judgement_in_force: str | None
    judgement_published: date | None
    judgement_age_years: float | None
    stale: bool | None = Field(
        description="No graded judgement in the three years to as_at (none at all counts)."
    )
    stale_reason: str | None


class AucOut(BaseModel):
    """Pooled backtest ROC AUC with its 95% bootstrap interval."""

    model: str
    auc: float | None
    auc_lo: float | None
    auc_hi: float | None


class BacktestOut(BaseModel):
    """The rolling-origin backtest of the ranked model against the baseline."""

    first_origin: int
    last_origin: int
    n_test: int
    n_test_inadequate: int
    model: AucOut
    previous_judgement: AucOut
    auc_minus_previous: float | None
    auc_minus_previous_lo: float | None
    auc_minus_previous_hi: float | None
    beats_previous_judgement: bool


class RiskMeta(BaseModel):
    """What the numbers are and how far to trust them."""

    as_at: date
    target: str
    method: str
    n_train: int
    n_train_inadequate: int
    backtest: BacktestOut | None
    caveat: str
    methods_page: str
    ofsted_record_runs_to: date | None = Field(
        description="The latest Ofsted publication the warehouse holds."
    )
    stale: int = Field(description="Authorities ranked whose judgement is stale on as_at.")


class RiskOut(BaseModel):
    """Every current authority, highest probability first."""

    meta: RiskMeta
    data: list[RiskRowOut]


@router.get("/risk", response_model=RiskOut, summary="Early-warning ranking")
def get_risk(
    request: Request,
    con: Con,
    as_at: Annotated[
        str | None, Query(description="Date to score at (YYYY-MM-DD); today if omitted.")
    ] = None,
    target: Annotated[str, Query(description="`overall` or `help_protection`.")] = "overall",
    format: Annotated[str, Query(description="`json` or `csv`.")] = "json",
) -> Any:
    """The chance that each authority's next graded inspection is Inadequate.

    The backtest shows no reliable advantage over the previous Ofsted judgement:
    ``meta.caveat`` says so in words and ``meta.backtest`` gives the figures.
    400 ``bad_input`` for a malformed date, an unknown target or format.
    """
    when = _risk.parse_as_at(as_at)
    tgt = _risk.parse_target(target)
    if format not in ("json", "csv"):
        raise InputError(f"format {format!r}: use json or csv")
    r = _risk.ranking(
        con, request.app.state.settings, getattr(request.state, "warehouse_tag", None), when, tgt
    )
    stale, record = stale_lookup(con, request.app.state.settings, when)

    def _stale(la: str) -> tuple[bool | None, str | None]:
        st = stale.get(la)
        if st is None:
            return None, None
        return st.stale, None if st.reason is None else st.reason.value

    if format == "csv":
        rows = []
        for row in r.rows:
            drivers: list[Any] = []
            for name, value in (*row.drivers, *((None, None),) * 3)[:3]:
                drivers += [name, value]
            rows.append(
                [
                    row.rank,
                    row.la_code,
                    row.name,
                    row.probability,
                    row.boosted_probability,
                    row.lead_score,
                    *drivers,
                    row.judgement_in_force,
                    row.judgement_published,
                    row.judgement_age_years,
                    *_stale(row.la_code),
                    record.runs_to,
                ]
            )
        return csv_response(_CSV_COLUMNS, rows, f"risk-{tgt}-{when.isoformat()}.csv")
    s = backtest_summary(tgt)
    backtest = None
    if s is not None:
        backtest = BacktestOut(
            first_origin=s.first_origin,
            last_origin=s.last_origin,
            n_test=s.n_test,
            n_test_inadequate=s.n_test_inadequate,
            model=AucOut(**jsonable(s.model)),
            previous_judgement=AucOut(**jsonable(s.previous_judgement)),
            auc_minus_previous=s.model.auc_minus_previous,
            auc_minus_previous_lo=s.model.dauc_lo,
            auc_minus_previous_hi=s.model.dauc_hi,
            beats_previous_judgement=s.beats_previous,
        )
    out = RiskOut(
        meta=RiskMeta(
            as_at=r.as_at,
            target=r.target,
            method=_risk.method(tgt),
            n_train=r.n_train,
            n_train_inadequate=r.n_train_inadequate,
            backtest=backtest,
            caveat=_risk.caveat(s),
            methods_page="/risk#method",
            ofsted_record_runs_to=record.runs_to,
            stale=sum(1 for row in r.rows if _stale(row.la_code)[0]),
        ),
        data=[
            RiskRowOut(
                rank=row.rank,
                la_code=row.la_code,
                name=row.name,
                probability=row.probability,
                boosted_probability=row.boosted_probability,
                lead_score=row.lead_score,
                drivers=[
                    DriverOut(feature=n, words=_risk.driver_words(n), contribution=v)
                    for n, v in row.drivers
                ],
                judgement_in_force=row.judgement_in_force,
                judgement_published=row.judgement_published,
                judgement_age_years=row.judgement_age_years,
                stale=_stale(row.la_code)[0],
                stale_reason=_stale(row.la_code)[1],
            )
            for row in r.rows
        ],
    )
    return Response(out.model_dump_json(), media_type="application/json")
