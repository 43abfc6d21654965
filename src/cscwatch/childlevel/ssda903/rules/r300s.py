"""Rules 300-399: dates and ages, adoption order, care leavers, legal status and placement
durations, temporary placements, reasons ceased, postcodes and respite.

Shared readings (each rule's own reading is its docstring):

- Ages are measured with calendar years: a child is ``n`` on their ``n``-th birthday
  (``dob_d + INTERVAL n YEAR``; a 29 February birthday falls on 28 February).
- A blank or invalid date never makes a record fail a comparison: such records are the
  findings of the rules that check that field (10x-series), not of these.
- "Previous" and "next" episode mean the child's episodes ordered by DECOM (then by
  position in the file); an episode whose DECOM is blank or invalid has no place in that
  order and is left out of sequence rules.
- The collection year is ``collection`` (1 April to 31 March); an open episode (DEC blank)
  is taken to run to 31 March where a duration is measured.

The UASC status (303) is the XML header's ``<UASC>``; in a CSV set, having a UASC record
(see :mod:`..tables`, ``header.uasc``).
"""

from __future__ import annotations

from cscwatch.childlevel.ssda903.rules.base import rule
from cscwatch.childlevel.ssda903.rules.codes import ADOPTED, FEMALE, RESPITE, sql_list

__all__: list[str] = []

_TEMPORARY = ("T0", "T1", "T2", "T3", "T4")
_END = "(SELECT collection_end FROM collection)"
_START = "(SELECT collection_start FROM collection)"


def _age_at_least(place: str, years: int) -> str:
    """Episodes in placement ``place`` that started before the child's ``years``-th birthday."""
    return f"""
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e JOIN header h USING (child)
    WHERE e.place = '{place}' AND e.decom_d < h.dob_d + INTERVAL {years} YEAR
    """


def _lasting(place: str, days: int) -> str:
    """Episodes in placement ``place`` lasting more than ``days`` days (open: to 31 March)."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place = '{place}' AND coalesce(dec_d, {_END}) - decom_d > {days}
    """


def _spell_over(ls: str, days: int) -> str:
    """Episodes in a spell of legal status ``ls`` lasting more than ``days`` days.

    A spell is a run of the child's episodes with that legal status each starting on or
    before the day the one before ended; its length is its last end (31 March if open)
    less its first start.
    """
    return f"""
    WITH e AS (
        SELECT row_no, child, decom_d, coalesce(dec_d, {_END}) AS end_d FROM episodes
        WHERE ls = '{ls}' AND decom_d IS NOT NULL
    ), marked AS (
        SELECT *, CASE WHEN decom_d <= lag(end_d) OVER w THEN 0 ELSE 1 END AS starts
        FROM e WINDOW w AS (PARTITION BY child ORDER BY decom_d, row_no)
    ), spells AS (
        SELECT *, sum(starts) OVER (PARTITION BY child ORDER BY decom_d, row_no) AS spell
        FROM marked
    )
    SELECT 'episodes' AS tbl, row_no FROM spells
    QUALIFY max(end_d) OVER (PARTITION BY child, spell)
          - min(decom_d) OVER (PARTITION BY child, spell) > {days}
    """


@rule("301", tables=("header",))
def _r301() -> str:
    """DOB after 31 March of the collection year (31 March itself passes). A blank or
    invalid DOB is not flagged here (that is rule 102's finding)."""
    return f"SELECT 'header' AS tbl, row_no FROM header WHERE dob_d > {_END}"


@rule("302", tables=("episodes", "header"))
def _r302() -> str:
    """The child's first episode (earliest DECOM; every episode sharing it) starts before
    the DOB in the header. Flags that episode and the header record."""
    return """
    WITH first AS (
        SELECT child, row_no, decom_d FROM episodes
        QUALIFY decom_d = min(decom_d) OVER (PARTITION BY child)
    ), bad AS (
        SELECT f.row_no AS e_row, h.row_no AS h_row FROM first f JOIN header h USING (child)
        WHERE f.decom_d < h.dob_d
    )
    SELECT 'episodes' AS tbl, e_row AS row_no FROM bad
    UNION ALL SELECT 'header', h_row FROM bad
    """


@rule("303", tables=("header", "uasc"))
def _r303() -> str:
    """UASC record with a DUC for a child whose header's UASC status is not 1 (blank
    included); the UASC record and the header are flagged. In a CSV set the status is
    having a UASC record, so the rule cannot fail there (as in the open validator); it
    bites on an XML export whose header says 0 or nothing beside a DUC."""
    return """
    WITH bad AS (
        SELECT u.row_no AS uasc_row, h.row_no AS header_row FROM uasc u
        JOIN header h ON h.child = u.child
        WHERE u.duc IS NOT NULL AND h.uasc IS DISTINCT FROM '1'
    )
    SELECT 'uasc' AS tbl, uasc_row AS row_no FROM bad
    UNION ALL
    SELECT 'header' AS tbl, header_row AS row_no FROM bad
    """


@rule("304", tables=("uasc",), shows=("DOB",))
def _r304() -> str:
    """DUC after the 18th birthday given by the UASC table's own DOB (DUC on the birthday
    passes).
    DfE's catalogue gives DUC as the affected field; the finding also shows the record's
    DOB, which the rule tests."""
    return """
    SELECT 'uasc' AS tbl, row_no FROM uasc WHERE duc_d > dob_d + INTERVAL 18 YEAR
    """


@rule("331", tables=("ad1", "episodes"))
def _r331() -> str:
    """DATE_MATCH after the DECOM of an episode that ended in adoption (REC E11/E12): the
    adoptive placement is that episode, so its DECOM is the date of placement. Flags the
    AD1 record and the episode."""
    return f"""
    WITH bad AS (
        SELECT a.row_no AS a_row, e.row_no AS e_row FROM ad1 a JOIN episodes e USING (child)
        WHERE e.rec IN {sql_list(ADOPTED)} AND a.date_match_d > e.decom_d
    )
    SELECT 'ad1' AS tbl, a_row AS row_no FROM bad UNION ALL SELECT 'episodes', e_row FROM bad
    """


@rule("333", tables=("ad1",), shows=("DATE_MATCH",))
def _r333() -> str:
    """A valid DATE_MATCH with DATE_INT blank or invalid, or DATE_INT after DATE_MATCH
    (the same day passes).
    DfE's catalogue gives DATE_INT as the affected field; the finding also shows the
    record's DATE_MATCH, which the rule tests."""
    return """
    SELECT 'ad1' AS tbl, row_no FROM ad1
    WHERE date_match_d IS NOT NULL AND (date_int_d IS NULL OR date_int_d > date_match_d)
    """


@rule("334", tables=("ad1", "episodes"))
def _r334() -> str:
    """DATE_INT before the start of the child's latest period of care (the latest DECOM of
    an episode with RNE S). Flags that episode and the AD1 record."""
    return """
    WITH latest AS (
        SELECT child, row_no, decom_d FROM episodes WHERE rne = 'S' AND decom_d IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY child ORDER BY decom_d DESC, row_no DESC) = 1
    ), bad AS (
        SELECT l.row_no AS e_row, a.row_no AS a_row FROM latest l JOIN ad1 a USING (child)
        WHERE a.date_int_d < l.decom_d
    )
    SELECT 'episodes' AS tbl, e_row AS row_no FROM bad UNION ALL SELECT 'ad1', a_row FROM bad
    """


@rule("335", tables=("ad1", "episodes"))
def _r335() -> str:
    """The episode ending in adoption (REC E11/E12) is placed A2/A3/A5 (with the current
    foster carer) but FOSTER_CARE is 0, or A1/A4/A6 (not the foster carer) but
    FOSTER_CARE is 1. Flags the episode and the AD1 record."""
    return f"""
    WITH bad AS (
        SELECT e.row_no AS e_row, a.row_no AS a_row FROM episodes e JOIN ad1 a USING (child)
        WHERE e.rec IN {sql_list(ADOPTED)}
          AND ((e.place IN ('A2', 'A3', 'A5') AND a.foster_care = '0')
            OR (e.place IN ('A1', 'A4', 'A6') AND a.foster_care = '1'))
    )
    SELECT 'episodes' AS tbl, e_row AS row_no FROM bad UNION ALL SELECT 'ad1', a_row FROM bad
    """


@rule("336", tables=("episodes",))
def _r336() -> str:
    """An episode placed for adoption with the current foster carer (A3/A4) whose previous
    episode was not a foster placement (U1-U6) or an earlier A3-A6 placement. The child's
    first episode has no previous one and is not flagged."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d IS NOT NULL
    WINDOW w AS (PARTITION BY child ORDER BY decom_d, row_no)
    QUALIFY place IN ('A3', 'A4')
        AND lag(row_no) OVER w IS NOT NULL
        AND coalesce(lag(place) OVER w, '') NOT IN
            ('A3', 'A4', 'A5', 'A6', 'U1', 'U2', 'U3', 'U4', 'U5', 'U6')
    """


@rule("344", tables=("oc3",))
def _r344() -> str:
    """IN_TOUCH is DIED or RHOM but ACTIV or ACCOM holds a value other than 0. A blank
    ACTIV/ACCOM is "not completed" and passes (the peer validator flags blanks too; DfE's
    message only objects to completed items)."""
    return """
    SELECT 'oc3' AS tbl, row_no FROM oc3
    WHERE in_touch IN ('DIED', 'RHOM')
      AND (coalesce(activ, '0') <> '0' OR coalesce(accom, '0') <> '0')
    """


@rule("345", tables=("oc3",))
def _r345() -> str:
    """IN_TOUCH is YES but ACTIV or ACCOM is 0. A blank ACTIV or ACCOM is not "zero" and
    passes here."""
    return """
    SELECT 'oc3' AS tbl, row_no FROM oc3 WHERE in_touch = 'YES' AND (activ = '0' OR accom = '0')
    """


@rule("347", tables=("oc3",), ruleset="lac2023_24", shows=("ACCOM", "DOB"))
def _r347() -> str:
    """Accommodation is a Foyer (ACCOM T) for a care leaver not yet 18 on 1 April of the
    collection year (age taken at the start of the year, as the peer validator does).
    DfE's catalogue gives DEC, PLACE and URN, episodes' fields, as the affected fields;
    the finding shows the record's ACCOM and DOB."""
    return f"""
    SELECT 'oc3' AS tbl, row_no FROM oc3
    WHERE accom = 'T' AND dob_d + INTERVAL 18 YEAR > {_START}
    """


@rule("348", tables=("oc3",), needs=("previous",), ruleset="lac2025_26")
def _r348() -> str:
    """Last year's OC3 record for the child has IN_TOUCH DIED but this year's does not
    (blank included). Flags this year's record."""
    return """
    SELECT 'oc3' AS tbl, o.row_no FROM oc3 o JOIN oc3_last l USING (child)
    WHERE l.in_touch = 'DIED' AND o.in_touch IS DISTINCT FROM 'DIED'
    """


@rule("351", tables=("header",))
def _r351() -> str:
    """The child's 25th birthday falls before 1 April of the collection year (a child
    turning 25 on 1 April passes). A blank or invalid DOB is not flagged."""
    return f"SELECT 'header' AS tbl, row_no FROM header WHERE dob_d + INTERVAL 25 YEAR < {_START}"


@rule("352", tables=("episodes", "header"))
def _r352() -> str:
    """An episode starting a period of care (RNE S) on or after the child's 18th birthday.
    Flags the episode."""
    return """
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e JOIN header h USING (child)
    WHERE e.rne = 'S' AND e.decom_d >= h.dob_d + INTERVAL 18 YEAR
    """


@rule("353", tables=("episodes",))
def _r353() -> str:
    """DECOM before 14 October 1991 (the Children Act's commencement; that day passes). A
    blank or invalid DECOM is not flagged here."""
    return "SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d < DATE '1991-10-14'"


@rule("354", tables=("episodes",))
def _r354() -> str:
    """DECOM after 31 March of the collection year. DfE's message speaks of the date the
    episode ceased but names DECOM as the field; the field is checked (DEC is rule 385)."""
    return f"SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d > {_END}"


@rule("355", tables=("episodes",))
def _r355() -> str:
    """DEC on the same day as DECOM (an episode shorter than a day). Open episodes and
    invalid dates are not flagged."""
    return "SELECT 'episodes' AS tbl, row_no FROM episodes WHERE dec_d = decom_d"


@rule("356", tables=("episodes",), shows=("DEC",))
def _r356() -> str:
    """DEC before DECOM (the same day is rule 355's). Open episodes and invalid dates are
    not flagged.
    DfE's catalogue gives DECOM as the affected field; the finding also shows the record's
    DEC, which the rule tests."""
    return "SELECT 'episodes' AS tbl, row_no FROM episodes WHERE dec_d < decom_d"


@rule("357", tables=("episodes",))
def _r357() -> str:
    """The child's first episode in the return (earliest DECOM) starts in the collection
    year and its RNE is not S (blank included). A first episode starting before 1 April
    may continue a period of care from earlier returns and is not flagged."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d IS NOT NULL
    WINDOW w AS (PARTITION BY child ORDER BY decom_d, row_no)
    QUALIFY row_number() OVER w = 1
        AND decom_d >= {_START} AND rne IS DISTINCT FROM 'S'
    """


@rule("358", tables=("episodes", "header"))
def _r358() -> str:
    """Legal status J1, J2 or J3 on an episode starting before the child's 10th birthday
    (on the birthday the child is 10 and passes; the peer validator also flags the
    birthday itself). Flags the episode and the header record."""
    return """
    WITH bad AS (
        SELECT e.row_no AS e_row, h.row_no AS h_row FROM episodes e JOIN header h USING (child)
        WHERE e.ls IN ('J1', 'J2', 'J3') AND e.decom_d < h.dob_d + INTERVAL 10 YEAR
    )
    SELECT 'episodes' AS tbl, e_row AS row_no FROM bad UNION ALL SELECT 'header', h_row FROM bad
    """


@rule("359", tables=("episodes", "header"))
def _r359() -> str:
    """An open episode (DEC blank) of a child whose 18th birthday falls before 31 March
    that is not accommodation under section 20(5) (LS V2) in a community home (PLACE K2).
    Flags the episode."""
    return f"""
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e JOIN header h USING (child)
    WHERE e.dec IS NULL AND h.dob_d + INTERVAL 18 YEAR < {_END}
      AND NOT (coalesce(e.ls, '') = 'V2' AND coalesce(e.place, '') = 'K2')
    """


@rule("361", tables=("episodes",))
def _r361() -> str:
    """A spell under police protection (LS L1) longer than 72 hours: consecutive L1
    episodes each starting on or before the previous one ended form one spell, measured
    from its first DECOM to its last DEC (31 March if open); more than 3 days fails.
    Flags every episode of the spell."""
    return _spell_over("L1", 3)


@rule("362", tables=("episodes",))
def _r362() -> str:
    """A spell under an emergency protection order (LS L2) longer than 21 days, spells
    formed and measured as for rule 361. Flags every episode of the spell."""
    return _spell_over("L2", 21)


@rule("363", tables=("episodes",))
def _r363() -> str:
    """A spell under a child assessment order (LS L3) longer than 7 days, spells formed
    and measured as for rule 361. Flags every episode of the spell."""
    return _spell_over("L3", 7)


@rule("364", tables=("episodes",))
def _r364() -> str:
    """A spell of PACE detention in local authority accommodation (LS J2) longer than 21
    days, spells formed and measured as for rule 361. DfE's message gives no limit; 21
    days is the limit DfE's rule specification and the peer validator use."""
    return _spell_over("J2", 21)


@rule("365", tables=("episodes",))
def _r365() -> str:
    """A single short break (LS V3) lasting more than 17 days (DEC less DECOM; an open one
    is measured to 31 March)."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE ls = 'V3' AND coalesce(dec_d, {_END}) - decom_d > 17
    """


@rule("366", tables=("episodes",), shows=("LS",))
def _r366() -> str:
    """A single short break (LS V3) whose RNE is not S (blank included): each short break
    is a period of care of its own, so a placement change within one is not possible.
    DfE's catalogue gives RNE as the affected field; the finding also shows the record's LS,
    which the rule tests."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE ls = 'V3' AND rne IS DISTINCT FROM 'S'
    """


@rule("367", tables=("episodes",))
def _r367() -> str:
    """More than 75 days of single short breaks (LS V3) in the collection year: each V3
    episode is clipped to 1 April..31 March (open ones run to 31 March) and its days
    (DEC less DECOM) summed per child. The collection year stands for "any 12-month
    period" (the return holds no more). Flags every V3 episode counted."""
    return f"""
    WITH d AS (
        SELECT row_no, child,
            least(coalesce(dec_d, {_END}), {_END}) - greatest(decom_d, {_START}) AS days
        FROM episodes WHERE ls = 'V3' AND decom_d IS NOT NULL
    )
    SELECT 'episodes' AS tbl, row_no FROM d WHERE days > 0
    QUALIFY sum(days) OVER (PARTITION BY child) > 75
    """


@rule("370", tables=("episodes", "header"))
def _r370() -> str:
    """Independent living (PLACE P2) starting before the child's 15th birthday. Open
    episodes are checked too (the peer validator checks only ended ones)."""
    return _age_at_least("P2", 15)


@rule("370", tables=("episodes", "header"), ruleset="lac2023_24")
def _r370_2023() -> str:
    """Independent living (PLACE P2) starting before the child's 16th birthday (DfE
    raised the age from 15 in 2023-24). Open episodes are checked too."""
    return _age_at_least("P2", 16)


@rule("371", tables=("episodes", "header"))
def _r371() -> str:
    """Semi-independent living not subject to children's homes regulations (PLACE H5)
    starting before the child's 14th birthday. Open episodes are checked too."""
    return _age_at_least("H5", 14)


@rule("371", tables=("episodes", "header"), ruleset="lac2023_24")
def _r371_2023() -> str:
    """Semi-independent living (PLACE H5) starting before the child's 16th birthday (DfE
    raised the age from 14 in 2023-24)."""
    return _age_at_least("H5", 16)


@rule("371", tables=("episodes", "header"), ruleset="lac2024_25")
def _r371_2024() -> str:
    """Supported accommodation (PLACE K3, which replaced H5 and P2 from 2024-25) starting
    before the child's 16th birthday."""
    return _age_at_least("K3", 16)


@rule("372", tables=("episodes", "header"))
def _r372() -> str:
    """Youth custody or prison (PLACE R5) starting before the child's 10th birthday (the
    birthday passes). Open episodes are checked too (the peer validator checks only
    ended ones)."""
    return _age_at_least("R5", 10)


@rule("373", tables=("episodes", "header"))
def _r373() -> str:
    """Placed in a school (PLACE S1) starting before the child's 4th birthday (the
    birthday passes). Open episodes are checked too."""
    return _age_at_least("S1", 4)


@rule("374", tables=("episodes", "header"))
def _r374() -> str:
    """Residential employment (PLACE P3) starting before the child's 14th birthday (the
    birthday passes). Open episodes are checked too."""
    return _age_at_least("P3", 14)


@rule("375", tables=("episodes", "header"), shows=("DEC",))
def _r375() -> str:
    """Temporary placement in hospital (PLACE T1) lasting more than six weeks (DEC less
    DECOM over 42 days). An open T1 episode is measured to 31 March: it has already
    exceeded six weeks if it started more than 42 days before (the peer validator skips
    open episodes).
    DfE's catalogue gives DECOM and PLACE as the affected fields; the finding also shows the
    record's DEC, which the rule tests."""
    return _lasting("T1", 42)


@rule("376", tables=("episodes", "header"), shows=("DEC",))
def _r376() -> str:
    """Temporary placement for the foster carer's holiday (PLACE T3) lasting more than
    three weeks (over 21 days; an open one measured to 31 March).
    DfE's catalogue gives DECOM and PLACE as the affected fields; the finding also shows the
    record's DEC, which the rule tests."""
    return _lasting("T3", 21)


@rule("377", tables=("episodes",))
def _r377() -> str:
    """More than two holiday placements (PLACE T3) for one child in the return (the
    collection year stands for "any 12-month period"). Flags every T3 episode of the
    child."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE place = 'T3'
    QUALIFY count(*) OVER (PARTITION BY child) > 2
    """


@rule("378", tables=("episodes",))
def _r378() -> str:
    """Placed with parents (PLACE P1) while accommodated under section 20 (LS V2): under
    section 20 the parents have agreed to the child being accommodated elsewhere."""
    return "SELECT 'episodes' AS tbl, row_no FROM episodes WHERE place = 'P1' AND ls = 'V2'"


@rule("379", tables=("episodes", "header"), shows=("DEC",))
def _r379() -> str:
    """Temporary placement for an unspecified reason (PLACE T4) lasting more than seven
    days (an open one measured to 31 March).
    DfE's catalogue gives DECOM and PLACE as the affected fields; the finding also shows the
    record's DEC, which the rule tests."""
    return _lasting("T4", 7)


@rule("380", tables=("episodes",))
def _r380() -> str:
    """A temporary placement (T0-T4) whose RNE is not a placement change (P or B; blank
    included): a period of care (RNE S) or a legal-status-only change cannot begin it."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place IN {sql_list(_TEMPORARY)} AND coalesce(rne, '') NOT IN ('P', 'B')
    """


@rule("381", tables=("episodes",))
def _r381() -> str:
    """A temporary placement (T0-T4) with a REC other than X1: the period of care ended
    in it. A blank REC (still open) passes."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place IN {sql_list(_TEMPORARY)} AND rec <> 'X1'
    """


@rule("382", tables=("episodes",))
def _r382() -> str:
    """A temporary placement (T0-T4) under a short-break legal status (V3/V4): a short
    break is itself temporary, so it is recorded in the placement it uses."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE ls IN {sql_list(RESPITE)} AND place IN {sql_list(_TEMPORARY)}
    """


_R383 = """
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d IS NOT NULL
    WINDOW w AS (PARTITION BY child ORDER BY decom_d, row_no)
    QUALIFY lag(place, 1) OVER w IN ('T0', 'T1', 'T2', 'T3', 'T4')
        AND lag(row_no, 2) OVER w IS NOT NULL
        AND (rne IS DISTINCT FROM 'P' OR place IS DISTINCT FROM lag(place, 2) OVER w{extra})
"""


@rule("383", tables=("episodes",), shows=("RNE",))
def _r383() -> str:
    """The episode after a temporary placement (T0-T4) is not a return to the placement
    before it: its RNE is not P, or its PLACE differs from the episode before the
    temporary one. Flags the episode after the temporary placement; a temporary
    placement that is the child's first episode, or the last, is not judged here.
    DfE's catalogue gives PLACE as the affected field; the finding also shows the record's
    RNE, which the rule tests."""
    return _R383.format(extra="")


@rule("383", tables=("episodes",), ruleset="lac2025_26")
def _r383_2025() -> str:
    """As 2022-23 (see that reading), and from 2025-26 a different PL_POST from the
    episode before the temporary placement also shows the child did not return to the
    normal placement."""
    return _R383.format(extra=" OR pl_post IS DISTINCT FROM lag(pl_post, 2) OVER w")


@rule("384", tables=("episodes",))
def _r384() -> str:
    """A short-break legal status (V3/V4) in a long-term foster placement (U1 or U4);
    other foster placements (U2, U3, U5, U6) pass."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE ls IN {sql_list(RESPITE)} AND place IN ('U1', 'U4')
    """


@rule("385", tables=("episodes",))
def _r385() -> str:
    """DEC after 31 March of the collection year (31 March itself passes). Open episodes
    and invalid dates are not flagged here."""
    return f"SELECT 'episodes' AS tbl, row_no FROM episodes WHERE dec_d > {_END}"


def _ceased_age(recs: tuple[str, ...], op: str, years: int) -> str:
    return f"""
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e JOIN header h USING (child)
    WHERE e.rec IN {sql_list(recs)} AND e.dec_d {op} h.dob_d + INTERVAL {years} YEAR
    """


@rule("386", tables=("episodes", "header"), shows=("DEC",))
def _r386() -> str:
    """Ceased by adoption (REC E11/E12) on or after the child's 18th birthday. Flags the
    episode.
    DfE's catalogue gives REC as the affected field; the finding also shows the record's
    DEC, which the rule tests."""
    return _ceased_age(ADOPTED, ">=", 18)


@rule("387", tables=("episodes", "header"), shows=("DEC",))
def _r387() -> str:
    """Ceased to independent living (REC E5/E6) before the child's 14th birthday. Flags
    the episode.
    DfE's catalogue gives REC as the affected field; the finding also shows the record's
    DEC, which the rule tests."""
    return _ceased_age(("E5", "E6"), "<", 14)


@rule("388", tables=("episodes",), shows=("DEC",))
def _r388() -> str:
    """Episodes in DECOM order: an ended episode with REC X1 ("new episode begins") that
    is the child's last, or whose next episode does not start on its DEC; and, as DfE's
    rule specification and the peer validator add, an episode with another REC whose next
    episode starts on its DEC (an unrecorded continuation).
    DfE's catalogue gives REC as the affected field; the finding also shows the record's
    DEC, which the rule tests."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d IS NOT NULL
    WINDOW w AS (PARTITION BY child ORDER BY decom_d, row_no)
    QUALIFY (rec = 'X1' AND dec_d IS NOT NULL
             AND (lead(row_no) OVER w IS NULL OR dec_d IS DISTINCT FROM lead(decom_d) OVER w))
         OR (rec <> 'X1' AND dec_d = lead(decom_d) OVER w)
    """


@rule("389", tables=("episodes", "header"), shows=("DEC",))
def _r389() -> str:
    """Ceased by transfer to adult social care (REC E7) before the child's 16th birthday.
    A blank DEC is not flagged (the peer validator flags it).
    DfE's catalogue gives REC as the affected field; the finding also shows the record's
    DEC, which the rule tests."""
    return _ceased_age(("E7",), "<", 16)


@rule("390", tables=("episodes",))
def _r390() -> str:
    """Ceased by adoption (REC E11/E12) from a placement other than placed for adoption
    (A3-A6; blank included)."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE rec IN {sql_list(ADOPTED)} AND coalesce(place, '') NOT IN ('A3', 'A4', 'A5', 'A6')
    """


@rule("391", tables=("oc3",))
def _r391() -> str:
    """An OC3 record with any of IN_TOUCH, ACTIV, ACCOM completed for a young person not
    aged 17 to 21 at some time in the year: 17th birthday after 31 March, or 22nd
    birthday on or before 1 April. The peer validator checks only the first; DfE's
    message covers both."""
    return f"""
    SELECT 'oc3' AS tbl, row_no FROM oc3
    WHERE coalesce(in_touch, activ, accom) IS NOT NULL
      AND (dob_d + INTERVAL 17 YEAR > {_END} OR dob_d + INTERVAL 22 YEAR <= {_START})
    """


#: Children known to be or to have been UASC: a record with anything beyond CHILD in
#: this year's (or, when given, last year's) UASC table. The header carries no UASC flag
#: in cscwatch's layout, so the UASC table is the only source.
_UASC = """
    SELECT child FROM uasc WHERE coalesce(sex, dob, duc) IS NOT NULL
    UNION SELECT child FROM uasc_last WHERE coalesce(sex, dob, duc) IS NOT NULL
"""


@rule("392a", tables=("episodes",), needs=("postcodes",))
def _r392a() -> str:
    """An episode not under a short-break legal status (V3/V4) for which no distance can
    be worked out: HOME_POST or PL_POST blank or unknown to the reference postcodes
    (cscwatch derives the distance, as DfE does, from the two postcodes). Children with a
    UASC record (this year's, or last year's when given) are left out."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE coalesce(ls, '') NOT IN {sql_list(RESPITE)}
      AND child NOT IN ({_UASC})
      AND pc_miles(home_post, pl_post) IS NULL
    """


@rule("392b", tables=("episodes",))
def _r392b() -> str:
    """An episode not under a short-break legal status (V3/V4) with HOME_POST or PL_POST
    blank. Children with a UASC record (this year's, or last year's when given) are left
    out."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE coalesce(ls, '') NOT IN {sql_list(RESPITE)}
      AND child NOT IN ({_UASC})
      AND (home_post IS NULL OR pl_post IS NULL)
    """


@rule("392c", tables=("episodes",), needs=("postcodes",))
def _r392c() -> str:
    """HOME_POST or PL_POST given but not a postcode in the reference table (spacing and
    case ignored)."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes e
    WHERE (home_post IS NOT NULL AND NOT EXISTS (SELECT 1 FROM postcode_ref r
               WHERE r.postcode = upper(replace(e.home_post, ' ', ''))))
       OR (pl_post IS NOT NULL AND NOT EXISTS (SELECT 1 FROM postcode_ref r
               WHERE r.postcode = upper(replace(e.pl_post, ' ', ''))))
    """


@rule("392d", tables=("episodes",))
def _r392d() -> str:
    """HOME_POST equal to PL_POST (spacing and case ignored) in a placement other than
    with parents (P1; a blank PLACE is not P1)."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place IS DISTINCT FROM 'P1'
      AND upper(replace(home_post, ' ', '')) = upper(replace(pl_post, ' ', ''))
    """


@rule("393", tables=("episodes", "header"), shows=("SEX",))
def _r393() -> str:
    """A female child (SEX 2 or F: both code sets are accepted in every year) with an
    episode not under a short-break legal status (V3/V4) and MOTHER blank. Flags the
    header record.
    DfE's catalogue gives MOTHER as the affected field; the finding also shows the record's
    SEX, which the rule tests."""
    return f"""
    SELECT 'header' AS tbl, row_no FROM header
    WHERE sex IN {sql_list(FEMALE)} AND mother IS NULL
      AND child IN (SELECT child FROM episodes WHERE coalesce(ls, '') NOT IN {sql_list(RESPITE)})
    """


@rule("398", tables=("episodes",))
def _r398() -> str:
    """A short-break legal status (V3/V4) with HOME_POST or PL_POST given (the distance
    is derived from them)."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE ls IN {sql_list(RESPITE)} AND (home_post IS NOT NULL OR pl_post IS NOT NULL)
    """


@rule("399", tables=("episodes", "header", "reviews"))
def _r399() -> str:
    """A child all of whose episodes are short breaks (V3/V4) with MOTHER completed or a
    review record with REVIEW or REVIEW_CODE completed. Flags the child's episodes, header
    record and review records."""
    return f"""
    WITH kids AS (
        SELECT child FROM episodes GROUP BY child
        HAVING bool_and(coalesce(ls, '') IN {sql_list(RESPITE)})
    ), bad AS (
        SELECT child FROM kids
        WHERE child IN (SELECT child FROM header WHERE mother IS NOT NULL)
           OR child IN (SELECT child FROM reviews WHERE coalesce(review, review_code) IS NOT NULL)
    )
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE child IN (SELECT child FROM bad)
    UNION ALL SELECT 'header', row_no FROM header WHERE child IN (SELECT child FROM bad)
    UNION ALL SELECT 'reviews', row_no FROM reviews WHERE child IN (SELECT child FROM bad)
    """
