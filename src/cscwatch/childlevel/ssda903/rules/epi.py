"""EPI and NoE: children with no episodes where the return says there should be some."""

from __future__ import annotations

from cscwatch.childlevel.ssda903.rules.base import rule

__all__: list[str] = []


@rule("EPI", tables=("header",))
def _repi() -> str:
    """Every header record of a child with no episode and no care leaver (oc3) record in
    this return. DfE's portal refuses to validate such a child further; here every
    other rule still runs, and this warning says the child's episodes are missing. A
    care leaver no longer looked after (an oc3 record, no episode this year) is not
    flagged. Run on the header alone: when no episodes table was given at all, every
    child without an oc3 record is flagged, which is the point of the warning."""
    return """
    SELECT 'header' AS tbl, h.row_no FROM header h
    WHERE NOT EXISTS (SELECT 1 FROM episodes e WHERE e.child = h.child)
      AND NOT EXISTS (SELECT 1 FROM oc3 o WHERE o.child = h.child)
    """


@rule("NoE", tables=("episodes",), needs=("previous",))
def _rnoe() -> str:
    """Every episode starting before 1 April of the collection year (DECOM before the
    collection start) of a child who has no episode at all in the previous year's
    return. Episodes whose DECOM is blank or not a date are not judged here."""
    return """
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e, collection c
    WHERE e.decom_d < c.collection_start
      AND NOT EXISTS (SELECT 1 FROM episodes_last l WHERE l.child = e.child)
    """
