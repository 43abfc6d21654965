"""``/api/authorities/{authority}/inspections`` and ``/api/ofsted/summary``: Ofsted judgements."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from cscwatch.core.errors import InputError
from cscwatch.indicators.authorities import resolve_authority
from cscwatch.indicators.judgements import summarise_judgements
from cscwatch.ingest.ofsted_text import Framework, JudgementCode
from cscwatch.serve.api._deps import Con
from cscwatch.serve.api._errors import ERROR_RESPONSES
from cscwatch.serve.api.authorities import AuthorityPath
from cscwatch.store.inspections import Inspection, read_inspections

__all__ = ["InspectionOut", "router"]

router = APIRouter(tags=["ofsted"], responses=ERROR_RESPONSES)


class InspectionOut(BaseModel):
    """One published Ofsted inspection report and the grades it gave."""

    inspection_id: int
    la_code: str | None
    framework: str
    kind: str
    start_date: date | None
    end_date: date | None
    publication_date: date | None
    file: str
    judgements: dict[str, str]

    @classmethod
    def of(cls, i: Inspection) -> InspectionOut:
        """From the store's record."""
        return cls(
            inspection_id=i.inspection_id,
            la_code=i.la_code,
            framework=i.framework.value,
            kind=i.kind.value,
            start_date=i.start_date,
            end_date=i.end_date,
            publication_date=i.publication_date,
            file=i.file,
            judgements={k.value: g.value for k, g in i.judgements.items()},
        )


class InspectionList(BaseModel):
    """An authority's inspections, newest first."""

    la_code: str
    data: list[InspectionOut]


class GradeSummaryOut(BaseModel):
    """Grades in force across authorities on a date."""

    as_at: date
    judgement: str
    framework: str
    n: int
    counts: dict[str, int]
    percent: dict[str, float]
    stale: int


@router.get(
    "/authorities/{authority}/inspections",
    response_model=InspectionList,
    summary="An authority's Ofsted inspections",
)
def get_inspections(con: Con, authority: AuthorityPath) -> Any:
    """Every published inspection of the authority's children's services, newest first."""
    la = resolve_authority(con, authority).la_code
    items = sorted(
        read_inspections(con, la_code=la),
        key=lambda i: (i.publication_date or date.min, i.inspection_id),
        reverse=True,
    )
    out = InspectionList(la_code=la, data=[InspectionOut.of(i) for i in items])
    return Response(out.model_dump_json(), media_type="application/json")


@router.get("/ofsted/summary", response_model=GradeSummaryOut, summary="Grades in force")
def get_summary(
    con: Con,
    as_at: Annotated[
        date | None,
        Query(description="Date (YYYY-MM-DD); the latest publication in the warehouse if omitted."),
    ] = None,
    judgement: Annotated[str, Query(description="Judgement code.")] = "overall_effectiveness",
    framework: Annotated[
        str | None, Query(description="`sif`, `ilacs` or `legacy`; any if omitted.")
    ] = None,
) -> Any:
    """How many authorities hold each grade on ``as_at``, and how many are stale."""
    try:
        code = JudgementCode(judgement)
    except ValueError:
        raise InputError(
            f"judgement {judgement!r}: use one of {', '.join(j.value for j in JudgementCode)}"
        ) from None
    try:
        fw = Framework(framework) if framework else None
    except ValueError:
        raise InputError(f"framework {framework!r}: use sif, ilacs or legacy") from None
    inspections = read_inspections(con)
    if as_at is None:
        dates = [i.publication_date for i in inspections if i.publication_date]
        as_at = max(dates) if dates else date.today()
    s = summarise_judgements(inspections, as_at, judgement=code, framework=fw)
    return Response(GradeSummaryOut(**s.to_dict()).model_dump_json(), media_type="application/json")
