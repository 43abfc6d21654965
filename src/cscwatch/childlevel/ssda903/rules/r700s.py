"""Rules 700-710: deprivation of liberty orders (DoLO), new in the 2026-27 collection.

The shared readings of :mod:`.r300s` hold here too. An episode "overlaps" a DoLO when it
started on or before the DoLO ended and ended (or is still open) on or after the DoLO
started.
"""

from __future__ import annotations

from cscwatch.childlevel.ssda903.rules.base import rule

__all__: list[str] = []

_END = "(SELECT collection_end FROM collection)"
_START = "(SELECT collection_start FROM collection)"
_Y = "lac2026_27"


def _overlapping(place_test: str) -> str:
    """DoLOs with both dates valid and the episodes overlapping them whose PLACE passes
    ``place_test``; flags both."""
    return f"""
    WITH bad AS (
        SELECT d.row_no AS d_row, e.row_no AS e_row FROM dolo d JOIN episodes e USING (child)
        WHERE d.dolo_start_d IS NOT NULL AND d.dolo_end_d IS NOT NULL
          AND e.decom_d <= d.dolo_end_d
          AND (e.dec IS NULL OR e.dec_d >= d.dolo_start_d)
          AND {place_test}
    )
    SELECT 'dolo' AS tbl, d_row AS row_no FROM bad UNION ALL SELECT 'episodes', e_row FROM bad
    """


@rule("700", tables=("dolo",), ruleset=_Y)
def _r700() -> str:
    """DOLO_START blank or not a dd/mm/yyyy date (an impossible date such as 31/02/2026
    included)."""
    return "SELECT 'dolo' AS tbl, row_no FROM dolo WHERE dolo_start_d IS NULL"


@rule("701", tables=("dolo",), ruleset=_Y)
def _r701() -> str:
    """DOLO_END completed but not a dd/mm/yyyy date (an impossible date included); a blank
    DOLO_END means the DoLO is open and passes."""
    return (
        "SELECT 'dolo' AS tbl, row_no FROM dolo WHERE dolo_end IS NOT NULL AND dolo_end_d IS NULL"
    )


@rule("702", tables=("dolo",), ruleset=_Y)
def _r702() -> str:
    """DOLO_END before DOLO_START. A DoLO ending the day it started passes (DfE says
    "before"; the peer validator flags the same day too)."""
    return "SELECT 'dolo' AS tbl, row_no FROM dolo WHERE dolo_end_d < dolo_start_d"


@rule("703", tables=("dolo",), ruleset=_Y)
def _r703() -> str:
    """DOLO_START after 31 March of the collection year (31 March passes). A blank or
    invalid start is rule 700's."""
    return f"SELECT 'dolo' AS tbl, row_no FROM dolo WHERE dolo_start_d > {_END}"


@rule("704", tables=("dolo",), ruleset=_Y)
def _r704() -> str:
    """DOLO_END before 1 April or after 31 March of the collection year (both days pass).
    A blank end (open DoLO) or an invalid one is not flagged here."""
    return f"""
    SELECT 'dolo' AS tbl, row_no FROM dolo WHERE dolo_end_d < {_START} OR dolo_end_d > {_END}
    """


@rule("705", tables=("dolo",), ruleset=_Y)
def _r705() -> str:
    """A DoLO starting while an earlier DoLO of the same child (earlier DOLO_START, or the
    same start and earlier in the file) is open: that one has no DOLO_END or ends after
    this one starts (ending on the day this one starts passes). Flags the later-starting
    DoLO (the peer validator orders DoLOs by end date and may flag the earlier one). An
    invalid DOLO_END is unknown and does not make a DoLO open."""
    return """
    SELECT 'dolo' AS tbl, d.row_no FROM dolo d
    WHERE d.dolo_start_d IS NOT NULL AND EXISTS (
        SELECT 1 FROM dolo p
        WHERE p.child = d.child AND p.row_no <> d.row_no AND p.dolo_start_d IS NOT NULL
          AND (p.dolo_start_d < d.dolo_start_d
               OR (p.dolo_start_d = d.dolo_start_d AND p.row_no < d.row_no))
          AND (p.dolo_end IS NULL OR p.dolo_end_d > d.dolo_start_d))
    """


@rule("706", tables=("dolo",), needs=("previous",), ruleset=_Y)
def _r706() -> str:
    """An open DoLO in last year's return (DOLO_END blank) with no DoLO of the same child
    and the same DOLO_START this year. Flags last year's record (table ``dolo_last``)."""
    return """
    SELECT 'dolo_last' AS tbl, l.row_no FROM dolo_last l
    WHERE l.dolo_end IS NULL AND l.dolo_start_d IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM dolo d
                      WHERE d.child = l.child AND d.dolo_start_d = l.dolo_start_d)
    """


@rule("707", tables=("dolo", "episodes"), ruleset=_Y, shows=("DOLO_START",))
def _r707() -> str:
    """An open DoLO (valid DOLO_START, DOLO_END blank) of a child who ceased to be looked
    after on or after the day it started: an episode with a DEC on or after DOLO_START
    and a REC other than X1 (a blank REC is not read as ceasing). The peer validator
    also flags DoLOs with an end date lying outside a period of care; DfE's message asks
    only about open ones.
    DfE's catalogue gives DOLO_END as the affected field; the finding also shows the
    record's DOLO_START, which the rule tests."""
    return """
    SELECT 'dolo' AS tbl, d.row_no FROM dolo d
    WHERE d.dolo_start_d IS NOT NULL AND d.dolo_end IS NULL
      AND EXISTS (SELECT 1 FROM episodes e
                  WHERE e.child = d.child AND e.rec <> 'X1' AND e.dec_d >= d.dolo_start_d)
    """


@rule("708", tables=("dolo",), ruleset=_Y, shows=("DOB",))
def _r708() -> str:
    """DOLO_START before the DOB on the DoLO record (the birthday itself passes; the peer
    validator flags it too).
    DfE's catalogue gives DOLO_START as the affected field; the finding also shows the
    record's DOB, which the rule tests."""
    return "SELECT 'dolo' AS tbl, row_no FROM dolo WHERE dolo_start_d < dob_d"


@rule("709", tables=("dolo", "episodes"), ruleset=_Y, shows=("DOLO_END", "PLACE"))
def _r709() -> str:
    """A DoLO with both dates valid overlapping an episode whose PLACE is not K2, Z12 or
    Z13 (the placements DfE's rule specification expects, as the peer validator quotes
    it; blank PLACE included). Flags the DoLO and the episode.
    DfE's catalogue gives DOLO_START and PLACEMENT (no such field) as the affected
    fields; the DoLO's finding also shows its DOLO_END and the episode's its PLACE, which
    the rule tests (the episode's finding showed no field before)."""
    return _overlapping("coalesce(e.place, '') NOT IN ('K2', 'Z12', 'Z13')")


@rule("710", tables=("dolo", "episodes"), ruleset=_Y, shows=("DOLO_END", "PLACE"))
def _r710() -> str:
    """A DoLO with both dates valid overlapping an episode in a secure children's home
    (K1), with parents (P1), in a young offender institution or prison (R5), or in
    supported accommodation (K3). Flags the DoLO and the episode.
    DfE's catalogue gives DOLO_START and PLACEMENT (no such field) as the affected
    fields; the DoLO's finding also shows its DOLO_END and the episode's its PLACE, which
    the rule tests (the episode's finding showed no field before)."""
    return _overlapping("e.place IN ('K1', 'P1', 'R5', 'K3')")
