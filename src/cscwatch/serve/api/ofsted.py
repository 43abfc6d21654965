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
    missing_reports,
    ofsted_record,
)
from cscwatch.indicators.staleness import (
    GradeSummaryView,
    StaleStatus,
    stale_status,
    summarise_judgements,
)
from cscwatch.ingest.ofsted_text import Framework, JudgementCode
from cscwatch.serve.api._deps import Con, jsonable
from cscwatch.serve.api._errors import ERROR_RESPONSES
from cscwatch.serve.api._records import record_model
from cscwatch.serve.api.authorities import AuthorityPath
from cscwatch.store.inspections import (
    InspectionView,
    authority_names,
    authority_periods,
    has_inspection_tables,
    read_inspections,
)

__all__ = ["InspectionOut", "router", "stale_lookup"]

router = APIRouter(tags=["ofsted"], responses=ERROR_RESPONSES)


#: One published inspection and its grades: the library's
#: :class:`~cscwatch.store.inspections.InspectionView` (as ``cscwatch ofsted history``).
InspectionOut = record_model(InspectionView, "InspectionOut")


#: How far the Ofsted record runs: the library's
#: :class:`~cscwatch.indicators.judgements.OfstedRecord`.
RecordOut = record_model(OfstedRecord, "RecordOut")


class InspectionList(BaseModel):
    """An authority's inspections, newest first, and the date the record runs to."""

    la_code: str
    record_runs_to: date | None
    data: list[InspectionOut]  # type: ignore[valid-type]


#: Grades in force on a date and the stale authorities: the library's
#: :class:`~cscwatch.indicators.staleness.GradeSummaryView` (as ``cscwatch ofsted
#: summary``), with each stale authority a
#: :class:`~cscwatch.indicators.staleness.StaleView`.
GradeSummaryOut = record_model(GradeSummaryView, "GradeSummaryOut")


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
        data=[InspectionOut.model_validate(jsonable(i.view())) for i in items],
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
    the ILACS overview). Stale: no graded judgement in the three years to ``as_at``,
    counting authorities with no judgement in the archive and those whose judgement
    has ended because no current framework makes it (``no_longer_judged``: the single
    inspection framework's adoption and LSCB judgements, ended by the authority's next
    ILACS inspection, the LSCB's by 29 September 2019 at the latest; the legacy
    looked-after ``lac_*`` judgements, ended by the next inspection judging children in
    care). Those are not counted in ``n`` and ``counts``.
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
        GradeSummaryOut.model_validate(jsonable(s.view())).model_dump_json(),
        media_type="application/json",
    )


@router.get("/ofsted/missing", response_model=MissingList, summary="Reports to obtain")
def get_missing(request: Request, con: Con) -> Any:
    """Inspections the ILACS overview lists that the report archive lacks."""
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
