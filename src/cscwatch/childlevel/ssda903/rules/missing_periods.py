"""Rules 564-586: periods missing or away from placement without authorisation.

Kept apart from :mod:`.r500s` (same code range) to keep both modules readable. MISSING is
M (missing) or A (away without authorisation); MIS_START and MIS_END bound the period.
A date given but not a dd/mm/yyyy date takes no part in comparisons (rules on invalid
dates flag it); a blank MIS_END means the period is still open.
"""

from __future__ import annotations

from cscwatch.childlevel.ssda903.rules.base import rule

__all__: list[str] = []


@rule("564", tables=("missing",))
def _r564() -> str:
    """MISSING is M or A (either case) and MIS_START is blank."""
    return """
    SELECT 'missing' AS tbl, row_no FROM missing
    WHERE upper(missing) IN ('M', 'A') AND mis_start IS NULL
    """


@rule("565", tables=("missing",))
def _r565() -> str:
    """MIS_START given and MISSING blank."""
    return """
    SELECT 'missing' AS tbl, row_no FROM missing
    WHERE mis_start IS NOT NULL AND missing IS NULL
    """


@rule("566", tables=("missing",))
def _r566() -> str:
    """MIS_END given and MISSING blank."""
    return """
    SELECT 'missing' AS tbl, row_no FROM missing
    WHERE mis_end IS NOT NULL AND missing IS NULL
    """


@rule("567", tables=("missing",))
def _r567() -> str:
    """MIS_END before MIS_START (ending on the day it started is allowed)."""
    return """
    SELECT 'missing' AS tbl, row_no FROM missing WHERE mis_end_d < mis_start_d
    """


@rule("570", tables=("missing",))
def _r570() -> str:
    """MIS_START after 31 March of the collection year."""
    return """
    SELECT 'missing' AS tbl, m.row_no FROM missing m, collection c
    WHERE m.mis_start_d > c.collection_end
    """


@rule("571", tables=("missing",))
def _r571() -> str:
    """MIS_END before 1 April or after 31 March of the collection year (both days
    allowed)."""
    return """
    SELECT 'missing' AS tbl, m.row_no FROM missing m, collection c
    WHERE m.mis_end_d < c.collection_start OR m.mis_end_d > c.collection_end
    """


@rule("574", tables=("missing",))
def _r574() -> str:
    """A period (ordered by MIS_START) starting while an earlier period of the child is
    still open (MIS_END blank) or before an earlier period ended; starting on the day
    an earlier one ended is allowed. Every earlier period counts, not only the one just
    before (the open validator compares neighbours only, so a short period inside a
    long one can hide a third that overlaps the long one)."""
    return """
    SELECT 'missing' AS tbl, row_no FROM (
        SELECT row_no, mis_start_d,
               max(mis_end_d) OVER w AS prev_end,
               bool_or(mis_end IS NULL) OVER w AS prev_open
        FROM missing WHERE mis_start_d IS NOT NULL
        WINDOW w AS (PARTITION BY child ORDER BY mis_start_d, row_no
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ) WHERE prev_open OR mis_start_d < prev_end
    """


@rule("575", tables=("missing", "episodes"), shows=("MIS_START",))
def _r575() -> str:
    """An open period (MIS_END blank) that started within an episode of the child which
    has ended (MIS_START from DECOM to DEC inclusive, DEC given): when the placement
    the child went missing from ends, the period must have an end date.
    DfE's catalogue gives MIS_END as the affected field; the finding also shows the record's
    MIS_START, which the rule tests."""
    return """
    SELECT DISTINCT 'missing' AS tbl, m.row_no FROM missing m JOIN episodes e USING (child)
    WHERE m.mis_end IS NULL AND e.dec_d IS NOT NULL
      AND m.mis_start_d BETWEEN e.decom_d AND e.dec_d
    """


@rule("576", tables=("missing",), needs=("previous",), shows=("MIS_START",))
def _r576() -> str:
    """A period open at the end of last year (previous return, MIS_END blank) with no
    period of the child this year starting on the same day. When the child has periods
    this year the earliest is flagged (as the open validator does); when the child has
    none, the previous return's open period is flagged (table missing_last), which the
    open validator does not report.
    DfE's catalogue gives CHILD as the affected field; the finding also shows the record's
    MIS_START, which the rule tests."""
    return """
    WITH open_last AS (
        SELECT child, row_no, mis_start_d FROM missing_last
        WHERE mis_end IS NULL AND mis_start_d IS NOT NULL
    ),
    unmatched AS (
        SELECT * FROM open_last o
        WHERE NOT EXISTS (SELECT 1 FROM missing m
                          WHERE m.child = o.child AND m.mis_start_d = o.mis_start_d)
    ),
    first_now AS (
        SELECT child, row_no FROM missing WHERE mis_start_d IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY child ORDER BY mis_start_d, row_no) = 1
    )
    SELECT 'missing' AS tbl, f.row_no FROM first_now f
    WHERE f.child IN (SELECT child FROM unmatched)
    UNION ALL
    SELECT 'missing_last' AS tbl, u.row_no FROM unmatched u
    WHERE NOT EXISTS (SELECT 1 FROM missing m WHERE m.child = u.child)
    """


@rule("577", tables=("missing", "episodes"), shows=("MIS_START",))
def _r577() -> str:
    """An open period (MIS_START given, MIS_END blank) of a child whose care ended on or
    after the period began: an episode of the child with DEC on or after MIS_START and
    a reason other than X1 (which continues care). The open validator builds periods of
    care and also flags periods outside them, which 578 and 581 report here.
    DfE's catalogue gives MIS_END as the affected field; the finding also shows the record's
    MIS_START, which the rule tests."""
    return """
    SELECT 'missing' AS tbl, m.row_no FROM missing m
    WHERE m.mis_end IS NULL AND m.mis_start_d IS NOT NULL
      AND EXISTS (SELECT 1 FROM episodes e
                  WHERE e.child = m.child AND e.dec_d >= m.mis_start_d
                    AND e.rec IS DISTINCT FROM 'X1')
    """


@rule("578", tables=("missing", "episodes"))
def _r578() -> str:
    """A period starting on a day no episode of the child covers (from DECOM to DEC, or
    on from DECOM when DEC is blank) after one of the child's episodes had ended: the
    child had ceased to be looked after. Starts before the child's first episode are
    581's finding; the open validator reports those under both rules."""
    return """
    SELECT 'missing' AS tbl, m.row_no FROM missing m
    WHERE m.mis_start_d IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM episodes e
                      WHERE e.child = m.child AND m.mis_start_d >= e.decom_d
                        AND (e.dec_d IS NULL OR m.mis_start_d <= e.dec_d))
      AND EXISTS (SELECT 1 FROM episodes e
                  WHERE e.child = m.child AND e.dec_d < m.mis_start_d)
    """


@rule("580", tables=("episodes", "missing"), shows=("DEC",))
def _r580() -> str:
    """An episode ending (DEC) on the child's 18th birthday while the child was missing
    up to that day (a period with MIS_END on that day, the birthday from the missing
    record's DOB), whose REC is not E8. This is DfE's specification as the open
    validator reads it: a child who turns 18 while missing leaves care for reason E8.
    DfE's catalogue gives REC as the affected field; the finding also shows the record's
    DEC, which the rule tests."""
    return """
    SELECT DISTINCT 'episodes' AS tbl, e.row_no FROM episodes e JOIN missing m USING (child)
    WHERE m.mis_end_d = m.dob_d + INTERVAL 18 YEAR AND e.dec_d = m.mis_end_d
      AND e.rec IS DISTINCT FROM 'E8'
    """


@rule("581", tables=("missing", "episodes"))
def _r581() -> str:
    """A period starting before the child's first episode in the return (MIS_START
    before the earliest DECOM). Children with no episode are not judged. The open
    validator flags any start outside every episode, including starts after care
    ended (578 here)."""
    return """
    SELECT 'missing' AS tbl, m.row_no FROM missing m
    JOIN (SELECT child, min(decom_d) AS first_decom FROM episodes GROUP BY child) f
      USING (child)
    WHERE m.mis_start_d < f.first_decom
    """


@rule("586", tables=("missing",), shows=("DOB",))
def _r586() -> str:
    """MIS_START before the DOB on the missing record. DfE's message says "before";
    the open validator also flags a start on the day of birth.
    DfE's catalogue gives MIS_START as the affected field; the finding also shows the
    record's DOB, which the rule tests."""
    return """
    SELECT 'missing' AS tbl, row_no FROM missing WHERE mis_start_d < dob_d
    """
