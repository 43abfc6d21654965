"""Rules 1000-1016 and 3001: care leavers (OC3) against the episodes, missing episodes.

A care leaver's information is "completed" when any of IN_TOUCH, ACTIV, ACCOM is
present; an OC3 record with all three blank carries none and is not flagged by the rules
that forbid the information (the open validator flags the record whatever it holds).
Ages are whole birthdays (``DOB + N years``; 29 February births have their birthday on
28 February in other years).
"""

from __future__ import annotations

from cscwatch.childlevel.ssda903.rules.base import rule
from cscwatch.childlevel.ssda903.rules.codes import not_a_date

__all__: list[str] = []

_LEAVER = "(o.in_touch IS NOT NULL OR o.activ IS NOT NULL OR o.accom IS NOT NULL)"
_PLACE_CHANGE_REASONS = (
    "CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ",
    "PLACE", "CUSTOD", "OTHER",
)  # fmt: skip


@rule("1000", tables=("episodes", "oc3"))
def _r1000() -> str:
    """OC3 record with care leaver information for a child with an episode ending in
    death (REC E2) in this year's return or, when given, last year's (DfE's note: only
    the data loaded is tested; runs without the previous year too)."""
    return f"""
    SELECT 'oc3' AS tbl, o.row_no FROM oc3 o
    WHERE {_LEAVER}
      AND o.child IN (SELECT child FROM episodes WHERE upper(rec) = 'E2'
                      UNION SELECT child FROM episodes_last WHERE upper(rec) = 'E2')
    """


@rule("1001", tables=("episodes", "header", "oc3"), needs=("previous",))
def _r1001() -> str:
    """OC3 record with care leaver information for a child who, on this and last year's
    episodes, is neither a relevant nor a former relevant child: fewer than 91 days (13
    weeks) looked after since the 14th birthday, or not a day looked after after the
    16th birthday, or whose latest episode ended in adoption (REC E11, E12). Header DOB;
    short breaks (LS V3/V4) do not count; an episode in both returns (same child and
    DECOM) counts once, the copy with a DEC kept (this year's when both have one, the
    open validator keeping either); the latest episode, if open, runs to
    31 March; a day count is DEC minus the later of DECOM and the birthday. Children
    with no valid DOB, and those 20 or older on 31 March (whose 14th to 16th years fall
    before the two returns, DfE's note on false positives), are not judged; the open
    validator means to leave out the over-20s but in fact flags them."""
    return f"""
    WITH eps AS (
        SELECT child, decom_d, dec_d, ls, rec FROM (
            SELECT child, decom_d, dec_d, ls, rec,
                   row_number() OVER (PARTITION BY child, decom_d
                                      ORDER BY dec_d IS NULL, cur DESC) AS k
            FROM (SELECT child, decom_d, dec_d, ls, rec, 1 AS cur FROM episodes
                  UNION ALL
                  SELECT child, decom_d, dec_d, ls, rec, 0 AS cur FROM episodes_last)
            WHERE child IS NOT NULL AND decom_d IS NOT NULL)
        WHERE k = 1
    ), latest AS (
        SELECT child, decom_d, rec FROM (
            SELECT child, decom_d, rec,
                   row_number() OVER (PARTITION BY child ORDER BY decom_d DESC) AS k
            FROM eps)
        WHERE k = 1
    ), care AS (
        SELECT e.child,
               sum(greatest(0, date_diff('day', greatest(e.decom_d, h.dob_d + INTERVAL 14 YEAR),
                   CASE WHEN e.dec_d IS NULL AND e.decom_d = l.decom_d
                        THEN c.collection_end ELSE e.dec_d END))) AS days14,
               sum(greatest(0, date_diff('day', greatest(e.decom_d, h.dob_d + INTERVAL 16 YEAR),
                   CASE WHEN e.dec_d IS NULL AND e.decom_d = l.decom_d
                        THEN c.collection_end ELSE e.dec_d END))) AS days16
        FROM eps e JOIN header h ON h.child = e.child JOIN latest l ON l.child = e.child
        CROSS JOIN collection c
        WHERE e.ls IS DISTINCT FROM 'V3' AND e.ls IS DISTINCT FROM 'V4'
        GROUP BY e.child
    )
    SELECT 'oc3' AS tbl, o.row_no FROM oc3 o
    JOIN header h ON h.child = o.child CROSS JOIN collection c
    LEFT JOIN care a ON a.child = o.child
    LEFT JOIN latest l ON l.child = o.child
    WHERE {_LEAVER} AND h.dob_d + INTERVAL 20 YEAR > c.collection_end
      AND (coalesce(a.days14, 0) < 91 OR coalesce(a.days16, 0) < 1
           OR coalesce(upper(l.rec) IN ('E11', 'E12'), false))
    """


@rule("1002", tables=("episodes", "oc3"), needs=("previous",))
def _r1002() -> str:
    """OC3 record with care leaver information for a child with no episode in this
    year's return nor in last year's (DfE's note: false positives for children whose
    care ended before last year)."""
    return f"""
    SELECT 'oc3' AS tbl, o.row_no FROM oc3 o
    WHERE {_LEAVER}
      AND o.child NOT IN (SELECT child FROM episodes WHERE child IS NOT NULL
                          UNION SELECT child FROM episodes_last WHERE child IS NOT NULL)
    """


@rule("1003", tables=("episodes", "placed_for_adoption"))
def _r1003() -> str:
    """Placed-for-adoption record whose DATE_PLACED is before the DECOM of the child's
    earliest episode starting a period of care (RNE S; ties go to the earlier row): both
    that record and that episode are flagged. Children with no RNE S episode, and blank
    or invalid dates, pass."""
    return """
    WITH first_start AS (
        SELECT row_no, child, decom_d FROM (
            SELECT row_no, child, decom_d,
                   row_number() OVER (PARTITION BY child ORDER BY decom_d, row_no) AS k
            FROM episodes WHERE rne = 'S' AND decom_d IS NOT NULL)
        WHERE k = 1
    ), bad AS (
        SELECT p.row_no AS p_row, f.row_no AS e_row FROM placed_for_adoption p
        JOIN first_start f ON f.child = p.child
        WHERE p.date_placed_d < f.decom_d
    )
    SELECT 'placed_for_adoption' AS tbl, p_row AS row_no FROM bad
    UNION ALL
    SELECT 'episodes' AS tbl, e_row AS row_no FROM bad
    """


@rule("1004", tables=("missing",))
def _r1004() -> str:
    """Missing record whose MIS_START is blank or not a dd/mm/yyyy date."""
    return f"SELECT 'missing' AS tbl, row_no FROM missing WHERE {not_a_date('mis_start')}"


@rule("1005", tables=("missing",))
def _r1005() -> str:
    """Missing record whose MIS_END is present but not a dd/mm/yyyy date (blank: the
    child is still missing, and passes)."""
    return f"""
    SELECT 'missing' AS tbl, row_no FROM missing
    WHERE mis_end IS NOT NULL AND {not_a_date("mis_end")}
    """


@rule("1006", tables=("missing",))
def _r1006() -> str:
    """Missing record whose MISSING is present and not M (missing) or A (away without
    authorisation). Blank passes here."""
    return """
    SELECT 'missing' AS tbl, row_no FROM missing
    WHERE missing IS NOT NULL AND missing NOT IN ('M', 'A')
    """


@rule("1007", tables=("episodes", "oc3"), shows=("DOB",))
def _r1007() -> str:
    """OC3 record with care leaver information for a young person aged 17 or 18 on 31
    March (OC3's DOB) who was looked after on their latest birthday on or before 31
    March: an episode starting on or before it and ending after it or still open. DfE's
    specification speaks of a current episode with no end date; the open validator
    counts only episodes ending after the birthday and so misses those still open. Both
    are taken here, as the message says "still looked after on their 17th or 18th
    birthday".
    DfE's catalogue gives ACCOM, ACTIV and IN_TOUCH as the affected fields; the finding also
    shows the record's DOB, which the rule tests."""
    return f"""
    WITH aged AS (
        SELECT o.row_no, o.child,
               CASE WHEN o.dob_d + INTERVAL 18 YEAR <= c.collection_end
                    THEN o.dob_d + INTERVAL 18 YEAR ELSE o.dob_d + INTERVAL 17 YEAR END AS bday
        FROM oc3 o, collection c
        WHERE {_LEAVER}
          AND o.dob_d + INTERVAL 17 YEAR <= c.collection_end
          AND o.dob_d + INTERVAL 19 YEAR > c.collection_end
    )
    SELECT 'oc3' AS tbl, a.row_no FROM aged a
    WHERE EXISTS (SELECT 1 FROM episodes e WHERE e.child = a.child AND e.decom_d <= a.bday
                  AND (e.dec IS NULL OR e.dec_d > a.bday))
    """


@rule("1008", tables=("episodes",), needs=("providers",))
def _r1008() -> str:
    """Episode with a URN (not XXXXXXX, "not known") that Ofsted's lists (children's
    homes and social care providers, current and closed) do not hold, case ignored. The
    shape of a URN alone does not make it valid."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE urn IS NOT NULL AND upper(urn) <> 'XXXXXXX'
      AND upper(urn) NOT IN (SELECT urn FROM providers)
    """


@rule("1009", tables=("episodes",))
def _r1009() -> str:
    """REASON_PLACE_CHANGE present and not one of DfE's reasons (CARPL ... OTHER,
    upper case). Blank passes here."""
    codes = ", ".join(f"'{c}'" for c in _PLACE_CHANGE_REASONS)
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE reason_place_change IS NOT NULL AND reason_place_change NOT IN ({codes})
    """


@rule("1010", tables=("episodes", "oc3"), needs=("previous",))
def _r1010() -> str:
    """OC3 record with care leaver information for a child with no episode this year
    whose latest episode last year (by DECOM, then row; blank or invalid DECOM ignored)
    was still open (DEC blank): the child should still be looked after."""
    return f"""
    WITH open_last AS (
        SELECT child FROM (
            SELECT child, dec,
                   row_number() OVER (PARTITION BY child ORDER BY decom_d DESC, row_no DESC) AS k
            FROM episodes_last WHERE decom_d IS NOT NULL AND child IS NOT NULL)
        WHERE k = 1 AND dec IS NULL
    )
    SELECT 'oc3' AS tbl, o.row_no FROM oc3 o
    WHERE {_LEAVER} AND o.child IN (SELECT child FROM open_last)
      AND o.child NOT IN (SELECT child FROM episodes WHERE child IS NOT NULL)
    """


@rule("1011", tables=("episodes", "oc3"))
def _r1011() -> str:
    """OC3 record with care leaver information for a child whose latest episode (by
    DECOM, then row; blank or invalid DECOM ignored) ended with care transferred to
    another authority (REC E3)."""
    return f"""
    WITH latest AS (
        SELECT child, rec FROM (
            SELECT child, rec,
                   row_number() OVER (PARTITION BY child ORDER BY decom_d DESC, row_no DESC) AS k
            FROM episodes WHERE decom_d IS NOT NULL AND child IS NOT NULL)
        WHERE k = 1
    )
    SELECT 'oc3' AS tbl, o.row_no FROM oc3 o JOIN latest l ON l.child = o.child
    WHERE {_LEAVER} AND l.rec = 'E3'
    """


_NO_EPISODE_TABLES = (
    "placed_for_adoption",
    "missing",
    "reviews",
    "ad1",
    "previous_permanence",
    "oc2",
)


@rule("1012", tables=("episodes",))
def _r1012() -> str:
    """Any record in the placed-for-adoption, missing, reviews, AD1, previous permanence
    or OC2 tables for a child with no episode this year: only care leaver (OC3) data may
    be returned for such a child. Tables not given are empty, so pass."""
    parts = [
        f"SELECT '{t}' AS tbl, row_no FROM {t} "
        f"WHERE child NOT IN (SELECT child FROM episodes WHERE child IS NOT NULL)"
        for t in _NO_EPISODE_TABLES
    ]
    return "\nUNION ALL\n".join(parts)


@rule("1014", tables=("episodes", "uasc", "oc3"))
def _r1014() -> str:
    """UASC record, and the OC3 record, of a care leaver: a child with care leaver
    information and no episode in the year (none starting by 31 March and ending on or
    after 1 April or open). A child with no episodes at all is such a care leaver; the
    open validator only looks at children with some episode."""
    return f"""
    WITH leaver AS (
        SELECT o.row_no, o.child FROM oc3 o
        WHERE {_LEAVER}
          AND o.child NOT IN (SELECT e.child FROM episodes e, collection c
                              WHERE e.child IS NOT NULL AND e.decom_d <= c.collection_end
                                AND (e.dec IS NULL OR e.dec_d >= c.collection_start))
          AND o.child IN (SELECT child FROM uasc)
    )
    SELECT 'oc3' AS tbl, row_no FROM leaver
    UNION ALL
    SELECT 'uasc' AS tbl, u.row_no FROM uasc u WHERE u.child IN (SELECT child FROM leaver)
    """


@rule("1015", tables=("episodes",), needs=("postcodes", "la_code"), shows=("PLACE_PROVIDER",))
def _r1015() -> str:
    """Episode placed with the authority's own provision (PR1), not a short break (LS V3,
    V4), not a placement for adoption or with former foster carers (A3-A6, U1-U6), LS
    and PLACE given, whose local authority of placement (PL_LA, from PL_POST:
    :mod:`...placing`) is another authority or outside England. An episode whose PL_LA
    cannot be derived (PL_POST blank or unknown to the reference postcodes) is not
    judged: rule 169 names it, where the open validator also flags it here.
    DfE's catalogue gives PL_LA as the affected field; the finding also shows the record's
    PLACE_PROVIDER, which the rule tests."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place_provider = 'PR1' AND ls IS NOT NULL AND place IS NOT NULL
      AND ls NOT IN ('V3', 'V4')
      AND place NOT IN ('A3', 'A4', 'A5', 'A6', 'U1', 'U2', 'U3', 'U4', 'U5', 'U6')
      AND pl_location(pl_post, row_no) = 'OUT'
    """


@rule("1016", tables=("episodes", "oc3"), ruleset="lac2023_24", shows=("DOB",))
def _r1016() -> str:
    """OC3 record with care leaver information for a young person aged 17 on 31 March
    (OC3's DOB) with an episode ending on or after the 17th birthday, or aged 18 with
    one ending on or after the 18th: they left care after the birthday the return asks
    about, so are not in that birthday's care leaver cohort. Ages are whole birthdays
    (the open validator divides days by 365.2425).
    DfE's catalogue gives ACCOM, ACTIV and IN_TOUCH as the affected fields; the finding also
    shows the record's DOB, which the rule tests."""
    return f"""
    SELECT 'oc3' AS tbl, o.row_no FROM oc3 o, collection c
    WHERE {_LEAVER} AND EXISTS (
        SELECT 1 FROM episodes e WHERE e.child = o.child AND (
            (o.dob_d + INTERVAL 17 YEAR <= c.collection_end
             AND o.dob_d + INTERVAL 18 YEAR > c.collection_end
             AND e.dec_d >= o.dob_d + INTERVAL 17 YEAR)
         OR (o.dob_d + INTERVAL 18 YEAR <= c.collection_end
             AND o.dob_d + INTERVAL 19 YEAR > c.collection_end
             AND e.dec_d >= o.dob_d + INTERVAL 18 YEAR)))
    """


@rule("3001", tables=("header", "oc3"), shows=("ACCOM", "DOB"))
def _r3001() -> str:
    """OC3 record whose ACCOM is Z1 or Z2 (with former foster carers; case ignored) for
    a young person whose 17th birthday (header DOB) falls in the collection year. DfE's
    catalogue gives REC, an episode's field, as the affected field; the finding shows
    the record's ACCOM and DOB."""
    return """
    SELECT 'oc3' AS tbl, o.row_no FROM oc3 o JOIN header h ON h.child = o.child, collection c
    WHERE upper(o.accom) IN ('Z1', 'Z2')
      AND h.dob_d + INTERVAL 17 YEAR BETWEEN c.collection_start AND c.collection_end
    """
