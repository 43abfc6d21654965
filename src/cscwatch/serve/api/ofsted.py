"""``/api/authorities/{authority}/inspections``, ``/api/ofsted/summary`` and
``/api/ofsted/missing``: Ofsted judgements and how far the record runs."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from cscwatch.core.config import Settings
from cscwatch.core.errors import InputError
from cscwatch.indicators.authorities import resolve_authority
from cscwatch.indicators.judgements import (
    MissingReport,
    OfstedRecord,
    StaleStatus,
    missing_reports,
    ofsted_record,
    stale_status,
    summarise_judgements,
)
from cscwatch.ingest.ofsted_text import Framework, JudgementCode
from cscwatch.serve.api._deps import Con
from cscwatch.serve.api._errors import ERROR_RESPONSES
from cscwatch.serve.api._records import record_model
from cscwatch.serve.api.authorities import AuthorityPath
from cscwatch.store.inspections import (
    Inspection,
    authority_names,
    authority_periods,
    has_inspection_tables,
    read_inspections,
)

__all__ = ["InspectionOut", "router", "stale_lookup"]

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
    provenance: str
    file: str
    url: str | None
    judgements: dict[str, str]
    grades_not_given: list[str]

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
            provenance=i.provenance.value,
            file=i.file,
            url=i.url,
            judgements={k.value: g.value for k, g in i.judgements.items()},
            grades_not_given=sorted(k.value for k in i.unknown),
        )


#: How far the Ofsted record runs: the library's
#: :class:`~cscwatch.indicators.judgements.OfstedRecord`.
RecordOut = record_model(OfstedRecord, "RecordOut")


class InspectionList(BaseModel):
    """An authority's inspections, newest first, and the date the record runs to."""

    la_code: str
    record_runs_to: date | None
    data: list[InspectionOut]


class StaleOut(BaseModel):
    """One stale authority: why, and its last judgement."""

    la_code: str
    name: str
    stale: bool
    reason: str | None
    last_published: date | None
    last_grade: str | None
    age_years: float | None
    provenance: str | None


class NoJudgementOut(BaseModel):
    """Authorities the record holds no judgement of on the date."""

    count: int
    authorities: list[dict[str, str]]


class GradeSummaryOut(BaseModel):
    """Grades in force across authorities on a date, and the stale authorities."""

    as_at: date
    record_runs_to: date | None
    as_at_after_record: bool
    note: str | None
    record: RecordOut  # type: ignore[valid-type]
    judgement: str
    framework: str
    n: int
    counts: dict[str, int]
    percent: dict[str, float]
    authorities: int
    stale: int
    stale_authorities: list[StaleOut]
    no_judgement_in_archive: NoJudgementOut
    grade_not_given: list[str]


class MissingList(BaseModel):
    """The reports to obtain, and how far each source runs."""

    record: RecordOut  # type: ignore[valid-type]
    data: list[MissingReport]


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
    out = InspectionList(
        la_code=la,
        record_runs_to=ofsted_record(read_inspections(con)).runs_to,
        data=[InspectionOut.of(i) for i in items],
    )
    return Response(out.model_dump_json(), media_type="application/json")


@router.get("/ofsted/summary", response_model=GradeSummaryOut, summary="Grades in force")
def get_summary(
    request: Request,
    con: Con,
    as_at: Annotated[
        date | None,
        Query(
            description="Date (YYYY-MM-DD); the date the Ofsted record runs to (the latest "
            "publication held) if omitted. A later date is answered with `note` set."
        ),
    ] = None,
    judgement: Annotated[str, Query(description="Judgement code.")] = "overall_effectiveness",
    framework: Annotated[
        str | None, Query(description="`sif`, `ilacs` or `legacy`; any if omitted.")
    ] = None,
) -> Any:
    """How many authorities hold each grade on ``as_at``, and which are stale.

    ``record_runs_to`` is the latest publication the warehouse holds (reports and
    Ofsted's overview). Stale: no graded judgement in the three years to ``as_at``,
    counting authorities with no judgement in the archive.
    """
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
    when = ofsted_record(inspections).as_at(as_at)
    authorities = authority_periods(con, request.app.state.settings.snapshot_dir)
    s = summarise_judgements(
        inspections, when, authorities=authorities, judgement=code, framework=fw
    )
    return Response(
        GradeSummaryOut.model_validate(s.to_dict()).model_dump_json(),
        media_type="application/json",
    )


@router.get("/ofsted/missing", response_model=MissingList, summary="Reports to obtain")
def get_missing(request: Request, con: Con) -> Any:
    """Inspections Ofsted's overview lists that the report archive lacks."""
    inspections = read_inspections(con)
    names = authority_names(con, request.app.state.settings.snapshot_dir)
    out = MissingList(
        record=RecordOut.model_validate(ofsted_record(inspections).to_dict()),
        data=list(missing_reports(inspections, names)),
    )
    return Response(out.model_dump_json(), media_type="application/json")


def stale_lookup(
    con: duckdb.DuckDBPyConnection, settings: Settings, as_at: date
) -> tuple[dict[str, StaleStatus], OfstedRecord]:
    """Each authority's staleness on ``as_at`` (the one definition) and the record's
    extent, for pages and downloads that show a judgement in force beside other
    figures (the ``/risk`` ranking). Empty when the warehouse has no inspections."""
    if not has_inspection_tables(con):
        return {}, ofsted_record([])
    inspections = read_inspections(con)
    statuses = stale_status(inspections, authority_periods(con, settings.snapshot_dir), as_at)
    return {s.la_code: s for s in statuses}, ofsted_record(inspections)
