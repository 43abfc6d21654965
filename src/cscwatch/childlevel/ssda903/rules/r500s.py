"""Rules 500-599: episode sequences, the year boundary, adoption, OC2 and missing periods.

Conventions every rule here keeps (a rule's own docstring says where it departs):

- "Blank" means the field is empty in the file; a date that is given but is not a
  dd/mm/yyyy date takes no part in date comparisons (the date-validity rules flag it).
- A child's episodes are ordered by DECOM, then by their place in the file; episodes
  whose DECOM is not a date are left out of orderings. The first episode of this year
  is the earliest DECOM; the open episode at the end of last year is the previous
  return's latest episode when its DEC is blank.
- Ages at 31 March count a birthday on 31 March as reached.
- A child is *continuously looked after for 12 months* (OC2 rules) as DfE's guidance
  defines it and the open validator implements it: looked after at some point in the
  year, with no episode in the year starting care (RNE S after 1 April), ending care
  (an end from 1 April to 30 March for a reason other than X1) or on a short break
  (V3, V4).
"""

from __future__ import annotations

from cscwatch.childlevel.ssda903.rules.base import rule
from cscwatch.childlevel.ssda903.rules.codes import SHORT_BREAK_LS, sql_list

__all__: list[str] = []

#: Placement types of a child placed for adoption.
_ADOPTION_PLACEMENTS = ("A3", "A4", "A5", "A6")
#: Placements with former foster carers (staying put), 2022-23 onwards.
_FORMER_FOSTER_CARERS = ("U1", "U2", "U3", "U4", "U5", "U6")
#: Reasons an episode ceased that mean the child was adopted.
_ADOPTED = ("E11", "E12")

_FIRST_EPISODE = """
    SELECT * FROM episodes WHERE decom_d IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY child ORDER BY decom_d, row_no) = 1
"""

_OPEN_LAST_YEAR = """
    SELECT * FROM episodes_last WHERE decom_d IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY child ORDER BY decom_d DESC, row_no DESC) = 1
        AND dec IS NULL
"""

#: Children continuously looked after for 12 months at 31 March.
_CLA12 = f"""
    SELECT e.child FROM episodes e, collection c
    GROUP BY e.child, c.collection_start, c.collection_end
    HAVING coalesce(bool_or(
            e.decom_d <= c.collection_end
            AND (e.dec_d >= c.collection_start OR e.dec_d IS NULL)), false)
       AND NOT coalesce(bool_or(
            (e.rne = 'S' AND e.decom_d > c.collection_start AND e.decom_d <= c.collection_end)
            OR (e.rec IS DISTINCT FROM 'X1'
                AND e.dec_d >= c.collection_start AND e.dec_d < c.collection_end)
            OR (e.ls IN {sql_list(SHORT_BREAK_LS)} AND e.decom_d <= c.collection_end
                AND (e.dec_d >= c.collection_start OR e.dec_d IS NULL))), false)
"""


def _both(sides: str, left: str, right: str) -> str:
    """Flag the ``left`` and ``right`` row numbers of the pairs CTE ``sides``."""
    return f"""
    WITH pairs AS ({sides})
    SELECT '{left}' AS tbl, l_row AS row_no FROM pairs
    UNION ALL
    SELECT '{right}' AS tbl, r_row AS row_no FROM pairs
    """


# --- episodes: sequence and the boundary with last year ------------------------------


@rule("501", tables=("episodes",))
def _r501() -> str:
    """An episode whose DECOM is before the DEC of the child's previous episode (the
    previous by DECOM). An open previous episode (blank DEC) is not this rule's
    finding; starting on the day the previous one ended is allowed."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d IS NOT NULL
    WINDOW w AS (PARTITION BY child ORDER BY decom_d, row_no)
    QUALIFY decom_d < lag(dec_d) OVER w
    """


@rule("502", tables=("episodes",), needs=("previous",))
def _r502() -> str:
    """The child's first episode this year when last year's return ended with an open
    episode (its latest episode, DEC blank) whose DECOM is a different date. Children
    absent from one of the two returns are not judged."""
    return f"""
    SELECT 'episodes' AS tbl, f.row_no
    FROM ({_FIRST_EPISODE}) f JOIN ({_OPEN_LAST_YEAR}) l USING (child)
    WHERE f.decom_d IS DISTINCT FROM l.decom_d
    """


def _carried_over(field: str, exempt: str = "FALSE") -> str:
    """First episodes whose ``field`` differs from last year's open episode's."""
    return f"""
    SELECT 'episodes' AS tbl, f.row_no
    FROM ({_FIRST_EPISODE}) f JOIN ({_OPEN_LAST_YEAR}) l USING (child)
    WHERE f.{field} IS DISTINCT FROM l.{field} AND NOT ({exempt})
    """


@rule("503A", tables=("episodes",), needs=("previous",))
def _r503a() -> str:
    """The child's first episode this year when last year's return ended with an open
    episode and RNE differs from that episode's (a blank on both sides is a match)."""
    return _carried_over("rne")


@rule("503B", tables=("episodes",), needs=("previous",))
def _r503b() -> str:
    """As 503A, for the legal status (LS)."""
    return _carried_over("ls")


@rule("503C", tables=("episodes",), needs=("previous",))
def _r503c() -> str:
    """As 503A, for the category of need (CIN)."""
    return _carried_over("cin")


@rule("503D", tables=("episodes",), needs=("previous",))
def _r503d() -> str:
    """As 503A, for the placement type (PLACE)."""
    return _carried_over("place")


@rule("503D", tables=("episodes",), needs=("previous",), ruleset="lac2023_24")
def _r503d_2023() -> str:
    """As 503A, for the placement type (PLACE), except that H5 last year and K3 this
    year is not a difference: K3 (supported accommodation) replaced H5 in 2023-24 and
    DfE's specification exempts the change (the open validator applies it in 2023-24
    and 2024-25, as here)."""
    return _carried_over("place", "l.place = 'H5' AND f.place = 'K3'")


@rule("503D", tables=("episodes",), needs=("previous",), ruleset="lac2025_26")
def _r503d_2025() -> str:
    """As 503A, for the placement type (PLACE), except that Z1 last year and one of
    Z11-Z14 this year is not a difference (Z1 was split into Z11-Z14 in 2025-26)."""
    return _carried_over("place", "l.place = 'Z1' AND f.place IN ('Z11', 'Z12', 'Z13', 'Z14')")


@rule("503D", tables=("episodes",), needs=("previous",), ruleset="lac2026_27")
def _r503d_2026() -> str:
    """As 503A, for the placement type (PLACE), with no exemption: last year's return
    (2025-26) already uses the current codes."""
    return _carried_over("place")


@rule("503E", tables=("episodes",), needs=("previous",))
def _r503e() -> str:
    """As 503A, for the placement provider (PLACE_PROVIDER)."""
    return _carried_over("place_provider")


@rule("503F", tables=("episodes",), needs=("previous",))
def _r503f() -> str:
    """As 503A, for the Ofsted URN."""
    return _carried_over("urn")


@rule("503G", tables=("episodes",), needs=("previous", "postcodes"))
def _r503g() -> str:
    """As 503A, for the placement distance: HOME_POST to PL_POST in miles from the
    reference postcode coordinates (great-circle distance, rounded to 0.1 mile as DfE
    publishes it). Differences of 0.2 miles or more are flagged, and so is a distance
    that can be worked out in one year but not the other (a postcode blank or unknown
    in one year only); the open validator flags the latter only one way round. DfE
    measures on the national grid, so distances can differ from DfE's by a fraction
    of a mile; the two years are measured alike, which is what the rule compares."""
    return f"""
    WITH d AS (
        SELECT f.row_no,
               round(pc_miles(f.home_post, f.pl_post), 1) AS now_miles,
               round(pc_miles(l.home_post, l.pl_post), 1) AS last_miles
        FROM ({_FIRST_EPISODE}) f JOIN ({_OPEN_LAST_YEAR}) l USING (child)
    )
    SELECT 'episodes' AS tbl, row_no FROM d
    WHERE abs(now_miles - last_miles) >= 0.2 OR (now_miles IS NULL) <> (last_miles IS NULL)
    """


@rule("503H", tables=("episodes",), needs=("previous", "postcodes"))
def _r503h() -> str:
    """As 503A, for the local authority of placement (PL_LA), derived from PL_POST in
    each year (:mod:`...placing`); an authority that can be derived in one year only
    differs, two that cannot be derived agree."""
    return f"""
    SELECT 'episodes' AS tbl, f.row_no
    FROM ({_FIRST_EPISODE}) f JOIN ({_OPEN_LAST_YEAR}) l USING (child)
    WHERE pl_la(f.pl_post) IS DISTINCT FROM pl_la(l.pl_post)
    """


@rule("503J", tables=("episodes",), needs=("previous", "postcodes", "la_code"))
def _r503j() -> str:
    """As 503A, for the placement location (PL_LOCATION: IN the placing authority or OUT
    of it), derived from PL_POST in each year with the authority's code; unknown in one
    year only differs, unknown in both agrees."""
    return f"""
    SELECT 'episodes' AS tbl, f.row_no
    FROM ({_FIRST_EPISODE}) f JOIN ({_OPEN_LAST_YEAR}) l USING (child)
    WHERE pl_location(f.pl_post, f.row_no) IS DISTINCT FROM pl_location(l.pl_post, l.row_no)
    """


@rule("504", tables=("episodes",))
def _r504() -> str:
    """An episode whose CIN differs from the CIN of the first episode of its period of
    care in this return. A period of care continues from one episode to the next (by
    DECOM) when the earlier ended for reason X1 on the day the next began; any other
    reason, a blank one, or dates that do not join start a new period. The open
    validator compares each episode only with the one before it, so a change back and
    forth within a period is flagged once there and twice here. Blank CIN on either
    side is left to the rules on missing CIN."""
    # Each episode's period's first CIN is carried forward in the sort the period's starts
    # are found in (no second sort by period, no join); as a struct, so that a blank CIN
    # starting a period is carried too (IGNORE NULLS skips only the episodes not starting
    # one). A blank CHILD is no child's period (as the join on child was).
    return """
    WITH ordered AS (
        SELECT row_no, child, cin, decom_d,
               lag(rec) OVER w AS prev_rec, lag(dec_d) OVER w AS prev_dec_d,
               row_number() OVER w AS n
        FROM episodes WHERE decom_d IS NOT NULL
        WINDOW w AS (PARTITION BY child ORDER BY decom_d, row_no)
    ),
    marked AS (
        SELECT *, NOT coalesce(n > 1 AND prev_rec = 'X1' AND prev_dec_d = decom_d, false)
                  AS starts
        FROM ordered
    ),
    started AS (
        SELECT row_no, child, cin,
               last_value(CASE WHEN starts THEN {'cin': cin} END IGNORE NULLS)
                   OVER (PARTITION BY child ORDER BY decom_d, row_no
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS start
        FROM marked
    )
    SELECT 'episodes' AS tbl, row_no FROM started
    WHERE child IS NOT NULL AND cin <> start.cin
    """


@rule("562", tables=("episodes",), needs=("previous",))
def _r562() -> str:
    """The child's first episode this year when it began before 1 April and the
    previous return's latest episode for the child does not begin on the same day
    (including when the child has no episode last year, which NoE also reports)."""
    return """
    WITH f AS (
        SELECT e.* FROM episodes e, collection c WHERE e.decom_d < c.collection_start
        QUALIFY row_number() OVER (PARTITION BY e.child ORDER BY e.decom_d, e.row_no) = 1
    ),
    l AS (
        SELECT * FROM episodes_last WHERE decom_d IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY child ORDER BY decom_d DESC, row_no DESC) = 1
    )
    SELECT 'episodes' AS tbl, f.row_no FROM f
    WHERE NOT EXISTS (SELECT 1 FROM l WHERE l.child = f.child AND l.decom_d = f.decom_d)
    """


# --- placement type and provider -----------------------------------------------------


@rule("516", tables=("episodes",))
def _r516() -> str:
    """An episode ceasing for reason E45 or E46 (to live with former foster carers)
    whose PLACE is not one of U1-U6 (a blank PLACE is flagged)."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE rec IN ('E45', 'E46')
      AND (place IS NULL OR place NOT IN {sql_list(_FORMER_FOSTER_CARERS)})
    """


@rule("526", tables=("episodes",))
def _r526() -> str:
    """An episode with a PLACE other than T0-T4 and Z1 (placements with no provider)
    and a blank PLACE_PROVIDER. A blank PLACE is not judged here (the rule on missing
    placement type flags it); the open validator flags it here too."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place_provider IS NULL
      AND place NOT IN ('T0', 'T1', 'T2', 'T3', 'T4', 'Z1')
    """


@rule("526", tables=("episodes",), ruleset="lac2025_26")
def _r526_2025() -> str:
    """As before, with Z1 replaced by its 2025-26 successors Z11-Z14: an episode with a
    PLACE other than T0-T4 and Z11-Z14 and a blank PLACE_PROVIDER."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place_provider IS NULL
      AND place NOT IN ('T0', 'T1', 'T2', 'T3', 'T4', 'Z11', 'Z12', 'Z13', 'Z14')
    """


def _provider_excludes(provider: str, places: tuple[str, ...]) -> str:
    """Episodes with PLACE_PROVIDER ``provider`` and a PLACE in ``places``."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place_provider = '{provider}' AND place IN {sql_list(places)}
    """


@rule("527", tables=("episodes",))
def _r527() -> str:
    """PLACE_PROVIDER PR1 (own provision) with PLACE P1, R2 or R5."""
    return _provider_excludes("PR1", ("P1", "R2", "R5"))


@rule("528", tables=("episodes",))
def _r528() -> str:
    """PLACE_PROVIDER PR2 (other local authority) with PLACE P1, R2 or R5."""
    return _provider_excludes("PR2", ("P1", "R2", "R5"))


@rule("529", tables=("episodes",))
def _r529() -> str:
    """PLACE_PROVIDER PR3 (other public provision) with PLACE P1, A3-A6, K1, K2 or
    U1-U6."""
    return _provider_excludes(
        "PR3", ("P1", *_ADOPTION_PLACEMENTS, "K1", "K2", *_FORMER_FOSTER_CARERS)
    )


@rule("530", tables=("episodes",))
def _r530() -> str:
    """PLACE_PROVIDER PR4 (private provision) with PLACE P1."""
    return _provider_excludes("PR4", ("P1",))


@rule("531", tables=("episodes",))
def _r531() -> str:
    """PLACE_PROVIDER PR5 (voluntary sector) with PLACE P1."""
    return _provider_excludes("PR5", ("P1",))


@rule("550", tables=("episodes",))
def _r550() -> str:
    """PLACE_PROVIDER PR0 (parents or person with parental responsibility) with a PLACE
    other than P1, a blank PLACE included."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place_provider = 'PR0' AND place IS DISTINCT FROM 'P1'
    """


# --- adopters (AD1) -------------------------------------------------------------------


def _adopters(condition: str, allowed: tuple[str, ...]) -> str:
    """AD1 records meeting ``condition`` whose SEX_ADOPTR is blank or not ``allowed``."""
    return f"""
    SELECT 'ad1' AS tbl, row_no FROM ad1
    WHERE {condition} AND (sex_adoptr IS NULL OR sex_adoptr NOT IN {sql_list(allowed)})
    """


@rule("511", tables=("ad1",))
def _r511() -> str:
    """NB_ADOPTR 2 with SEX_ADOPTR blank or other than MM, FF or MF. The open validator
    flags only M1 and F1 (single adopters); DfE's message admits only the three couple
    codes, so a blank or unknown code is flagged too."""
    return _adopters("nb_adoptr = '2'", ("MM", "FF", "MF"))


@rule("514", tables=("ad1",))
def _r514() -> str:
    """LS_ADOPTR L0 (single adopter) with SEX_ADOPTR blank or other than M1 or F1."""
    return _adopters("ls_adoptr = 'L0'", ("M1", "F1"))


@rule("517", tables=("ad1",))
def _r517() -> str:
    """LS_ADOPTR L3 with SEX_ADOPTR blank or other than MF."""
    return _adopters("ls_adoptr = 'L3'", ("MF",))


@rule("518", tables=("ad1",))
def _r518() -> str:
    """LS_ADOPTR L4 with SEX_ADOPTR blank or other than MM or FF."""
    return _adopters("ls_adoptr = 'L4'", ("MM", "FF"))


@rule("519", tables=("ad1",))
def _r519() -> str:
    """LS_ADOPTR L2 (civil partners) with SEX_ADOPTR blank or not a couple (MM, FF or
    MF)."""
    return _adopters("ls_adoptr = 'L2'", ("MM", "FF", "MF"))


@rule("520", tables=("ad1",))
def _r520() -> str:
    """LS_ADOPTR L11 (married couple of different sexes) with SEX_ADOPTR blank or other
    than MF."""
    return _adopters("ls_adoptr = 'L11'", ("MF",))


@rule("524", tables=("ad1",))
def _r524() -> str:
    """LS_ADOPTR L12 with SEX_ADOPTR blank or other than MM or FF."""
    return _adopters("ls_adoptr = 'L12'", ("MM", "FF"))


# --- the decision to place for adoption (AD1, placed_for_adoption) ------------------


@rule("521", tables=("ad1", "episodes"))
def _r521() -> str:
    """An episode placed for adoption (PLACE A3-A6) beginning before the child's
    DATE_INT (the decision that adoption is in the child's best interests), and that
    AD1 record. Every such episode is compared, not only the first."""
    return _both(
        f"""
        SELECT e.row_no AS l_row, a.row_no AS r_row FROM episodes e JOIN ad1 a USING (child)
        WHERE e.place IN {sql_list(_ADOPTION_PLACEMENTS)} AND a.date_int_d > e.decom_d
        """,
        "episodes",
        "ad1",
    )


@rule("522", tables=("placed_for_adoption",))
def _r522() -> str:
    """DATE_PLACED_CEASED before DATE_PLACED on the same record (the same day is
    allowed)."""
    return """
    SELECT 'placed_for_adoption' AS tbl, row_no FROM placed_for_adoption
    WHERE date_placed_ceased_d < date_placed_d
    """


@rule("523", tables=("ad1", "placed_for_adoption"))
def _r523() -> str:
    """A placed_for_adoption record whose DATE_PLACED is a different day from the
    child's AD1 DATE_INT, and that AD1 record (both dates must be given). Each of a
    child's decisions is compared, as the open validator does."""
    return _both(
        """
        SELECT p.row_no AS l_row, a.row_no AS r_row
        FROM placed_for_adoption p JOIN ad1 a USING (child)
        WHERE p.date_placed_d <> a.date_int_d
        """,
        "placed_for_adoption",
        "ad1",
    )


@rule("525", tables=("ad1", "placed_for_adoption"))
def _r525() -> str:
    """A placed_for_adoption record with DATE_PLACED_CEASED given (the decision was
    reversed) for a child whose AD1 record has any adoption detail (DATE_INT,
    DATE_MATCH, FOSTER_CARE, NB_ADOPTR, SEX_ADOPTR or LS_ADOPTR), and that AD1 record."""
    return _both(
        """
        SELECT p.row_no AS l_row, a.row_no AS r_row
        FROM placed_for_adoption p JOIN ad1 a USING (child)
        WHERE p.date_placed_ceased IS NOT NULL
          AND (a.date_int IS NOT NULL OR a.date_match IS NOT NULL OR a.foster_care IS NOT NULL
               OR a.nb_adoptr IS NOT NULL OR a.sex_adoptr IS NOT NULL
               OR a.ls_adoptr IS NOT NULL)
        """,
        "placed_for_adoption",
        "ad1",
    )


@rule("551", tables=("episodes", "placed_for_adoption"))
def _r551() -> str:
    """An episode placed for adoption (A3-A6) of a child with no placed_for_adoption
    record carrying a DATE_PLACED. The open validator also flags a child who has one
    dated and one undated record; the message asks only that a date exist."""
    return f"""
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e
    WHERE e.place IN {sql_list(_ADOPTION_PLACEMENTS)}
      AND NOT EXISTS (SELECT 1 FROM placed_for_adoption p
                      WHERE p.child = e.child AND p.date_placed IS NOT NULL)
    """


@rule("552", tables=("episodes", "placed_for_adoption"))
def _r552() -> str:
    """The child's first episode placed for adoption (A3-A6, earliest DECOM) when it
    began before the child's latest DATE_PLACED, and that placed_for_adoption record."""
    return _both(
        f"""
        WITH first_placed AS (
            SELECT * FROM episodes
            WHERE place IN {sql_list(_ADOPTION_PLACEMENTS)} AND decom_d IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY child ORDER BY decom_d, row_no) = 1
        ),
        latest AS (
            SELECT * FROM placed_for_adoption WHERE date_placed_d IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY child ORDER BY date_placed_d DESC,
                                       row_no DESC) = 1
        )
        SELECT e.row_no AS l_row, p.row_no AS r_row
        FROM first_placed e JOIN latest p USING (child)
        WHERE e.decom_d < p.date_placed_d
        """,
        "episodes",
        "placed_for_adoption",
    )


def _order_without_decision(ls: str) -> str:
    """Episodes with legal status ``ls`` and no dated decision; open ones with a
    ceased decision recorded."""
    return f"""
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e
    WHERE e.ls = '{ls}'
      AND NOT EXISTS (SELECT 1 FROM placed_for_adoption p
                      WHERE p.child = e.child AND p.date_placed IS NOT NULL)
    UNION ALL
    SELECT 'placed_for_adoption' AS tbl, p.row_no
    FROM episodes e JOIN placed_for_adoption p USING (child)
    WHERE e.ls = '{ls}' AND e.dec IS NULL
      AND (p.date_placed_ceased IS NOT NULL OR p.reason_placed_ceased IS NOT NULL)
    """


@rule("553", tables=("episodes", "placed_for_adoption"), shows=("LS",))
def _r553() -> str:
    """An episode with legal status E1 (placement order) of a child with no
    placed_for_adoption record carrying a DATE_PLACED; and, for a child whose E1
    episode is still open, every placed_for_adoption record saying the decision ceased
    (DATE_PLACED_CEASED or REASON_PLACED_CEASED given), as DfE's specification asks.
    The open validator flags the episode only when the child has no record at all,
    not when the record's DATE_PLACED is blank; the message asks for the date.
    DfE's catalogue gives CHILD, DATE_PLACED, DATE_PLACED_CEASED and REASON_PLACED_CEASED as
    the affected fields; the finding also shows the record's LS, which the rule tests."""
    return _order_without_decision("E1")


@rule("555", tables=("episodes", "placed_for_adoption"))
def _r555() -> str:
    """As 553 for legal status D1 (freeing order; in DfE's catalogues to 2023-24)."""
    return _order_without_decision("D1")


@rule("554", tables=("episodes", "placed_for_adoption"))
def _r554() -> str:
    """The child's first episode with legal status E1 (placement order granted) when a
    placed_for_adoption record of the child has a later DATE_PLACED, and that record."""
    return _both(
        """
        WITH first_e1 AS (
            SELECT * FROM episodes WHERE ls = 'E1' AND decom_d IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY child ORDER BY decom_d, row_no) = 1
        )
        SELECT e.row_no AS l_row, p.row_no AS r_row
        FROM first_e1 e JOIN placed_for_adoption p USING (child)
        WHERE p.date_placed_d > e.decom_d
        """,
        "episodes",
        "placed_for_adoption",
    )


@rule("556", tables=("episodes", "placed_for_adoption"))
def _r556() -> str:
    """An episode with legal status D1 (freeing order) beginning before a DATE_PLACED of
    the child (in DfE's catalogues to 2023-24)."""
    return """
    SELECT DISTINCT 'episodes' AS tbl, e.row_no
    FROM episodes e JOIN placed_for_adoption p USING (child)
    WHERE e.ls = 'D1' AND p.date_placed_d > e.decom_d
    """


def _left_not_adopted(orders: tuple[str, ...]) -> str:
    """Rule 557 for children on the legal statuses ``orders``."""
    return f"""
    WITH left_care AS (
        SELECT * FROM episodes
        WHERE (place IN {sql_list(_ADOPTION_PLACEMENTS)} OR ls IN {sql_list(orders)})
          AND rec IS NOT NULL AND rec NOT IN ('E11', 'E12', 'X1')
    ),
    incomplete AS (
        SELECT * FROM placed_for_adoption
        WHERE date_placed_ceased IS NULL OR reason_placed_ceased IS NULL
    )
    SELECT 'episodes' AS tbl, e.row_no FROM left_care e
    WHERE NOT EXISTS (SELECT 1 FROM placed_for_adoption p WHERE p.child = e.child)
       OR EXISTS (SELECT 1 FROM incomplete p WHERE p.child = e.child)
    UNION ALL
    SELECT 'placed_for_adoption' AS tbl, p.row_no FROM incomplete p
    WHERE EXISTS (SELECT 1 FROM left_care e WHERE e.child = p.child)
    """


@rule("557", tables=("episodes", "placed_for_adoption"))
def _r557() -> str:
    """An episode placed for adoption (A3-A6) or under a freeing or placement order
    (D1, E1) that ended for a reason other than adoption (REC given and not E11, E12
    or X1) when the child has no placed_for_adoption record, or one without both
    DATE_PLACED_CEASED and REASON_PLACED_CEASED; the episode and those records."""
    return _left_not_adopted(("D1", "E1"))


@rule("557", tables=("episodes", "placed_for_adoption"), ruleset="lac2024_25")
def _r557_2024() -> str:
    """As in earlier years without the freeing order D1 (withdrawn from 2024-25): an
    episode placed for adoption (A3-A6) or under a placement order (E1) that ended for
    a reason other than adoption, with no completed record of the decision ceasing."""
    return _left_not_adopted(("E1",))


@rule("558", tables=("episodes", "placed_for_adoption"))
def _r558() -> str:
    """An episode ending in adoption (REC E11 or E12) when the child's latest decision
    to place for adoption (latest DATE_PLACED) has a DATE_PLACED_CEASED; the episode
    and that record. The open validator flags a child only when two or more of the
    child's records all carry a ceased date; DfE's message says an adopted child's
    decision was not disrupted, so one ceased latest decision is enough."""
    return _both(
        f"""
        WITH latest AS (
            SELECT * FROM placed_for_adoption
            QUALIFY row_number() OVER (PARTITION BY child ORDER BY date_placed_d DESC
                                       NULLS LAST, row_no DESC) = 1
        )
        SELECT e.row_no AS l_row, p.row_no AS r_row FROM episodes e JOIN latest p USING (child)
        WHERE e.rec IN {sql_list(_ADOPTED)} AND p.date_placed_ceased IS NOT NULL
        """,
        "episodes",
        "placed_for_adoption",
    )


@rule("559", tables=("placed_for_adoption",), needs=("previous",))
def _r559() -> str:
    """A decision dated before 1 April (DATE_PLACED before the collection start) when
    the previous year's return has no placed_for_adoption record for the child with a
    DATE_PLACED."""
    return """
    SELECT 'placed_for_adoption' AS tbl, p.row_no FROM placed_for_adoption p, collection c
    WHERE p.date_placed_d < c.collection_start
      AND NOT EXISTS (SELECT 1 FROM placed_for_adoption_last l
                      WHERE l.child = p.child AND l.date_placed IS NOT NULL)
    """


@rule("560", tables=("placed_for_adoption",), needs=("previous",))
def _r560() -> str:
    """A child whose previous return ended with an open decision (DATE_PLACED given,
    DATE_PLACED_CEASED blank) when no record this year carries that DATE_PLACED: every
    record of the child with another date is flagged. A new decision recorded beside
    the carried-over one is not flagged (the open validator flags it)."""
    return """
    WITH open_last AS (
        SELECT child, date_placed_d FROM placed_for_adoption_last
        WHERE date_placed_d IS NOT NULL AND date_placed_ceased IS NULL
    )
    SELECT 'placed_for_adoption' AS tbl, p.row_no
    FROM placed_for_adoption p JOIN open_last o USING (child)
    WHERE p.date_placed_d IS DISTINCT FROM o.date_placed_d
      AND NOT EXISTS (SELECT 1 FROM placed_for_adoption q
                      WHERE q.child = o.child AND q.date_placed_d = o.date_placed_d)
    """


@rule("561", tables=("placed_for_adoption",), needs=("previous",))
def _r561() -> str:
    """A decision this year on the same DATE_PLACED as a previous-year record of the
    child that says the decision ceased (DATE_PLACED_CEASED or REASON_PLACED_CEASED
    given)."""
    return """
    SELECT DISTINCT 'placed_for_adoption' AS tbl, p.row_no
    FROM placed_for_adoption p JOIN placed_for_adoption_last l USING (child)
    WHERE p.date_placed_d = l.date_placed_d
      AND (l.date_placed_ceased IS NOT NULL OR l.reason_placed_ceased IS NOT NULL)
    """


@rule("563", tables=("placed_for_adoption",))
def _r563() -> str:
    """A record saying the decision ceased (DATE_PLACED_CEASED or REASON_PLACED_CEASED
    given) with DATE_PLACED blank. The open validator requires both ceased fields;
    either one says the child should no longer be placed."""
    return """
    SELECT 'placed_for_adoption' AS tbl, row_no FROM placed_for_adoption
    WHERE date_placed IS NULL
      AND (date_placed_ceased IS NOT NULL OR reason_placed_ceased IS NOT NULL)
    """


@rule("579", tables=("placed_for_adoption",))
def _r579() -> str:
    """A decision (ordered by DATE_PLACED) made while an earlier decision of the child
    was still open (DATE_PLACED_CEASED blank), or dated before an earlier decision
    ceased. Every earlier decision counts, not only the one just before."""
    return """
    SELECT 'placed_for_adoption' AS tbl, row_no FROM (
        SELECT row_no, date_placed_d,
               max(date_placed_ceased_d) OVER w AS prev_ceased,
               bool_or(date_placed_ceased IS NULL) OVER w AS prev_open
        FROM placed_for_adoption WHERE date_placed_d IS NOT NULL
        WINDOW w AS (PARTITION BY child ORDER BY date_placed_d, row_no
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ) WHERE prev_open OR date_placed_d < prev_ceased
    """


@rule("582", tables=("ad1", "episodes"))
def _r582() -> str:
    """An episode ending in adoption (REC E11 or E12) on the day the child was matched
    with adopters (DEC equal to the AD1 DATE_MATCH)."""
    return f"""
    SELECT DISTINCT 'episodes' AS tbl, e.row_no FROM episodes e JOIN ad1 a USING (child)
    WHERE e.rec IN {sql_list(_ADOPTED)} AND e.dec_d = a.date_match_d
    """


@rule("583", tables=("placed_for_adoption",))
def _r583() -> str:
    """Any of a child's decisions but the latest (by DATE_PLACED; a record whose
    DATE_PLACED is blank or not a date is never the latest) with DATE_PLACED_CEASED
    blank."""
    return """
    SELECT 'placed_for_adoption' AS tbl, row_no FROM (
        SELECT row_no, date_placed_ceased,
               row_number() OVER (PARTITION BY child ORDER BY date_placed_d DESC NULLS LAST,
                                  row_no DESC) AS from_latest
        FROM placed_for_adoption
    ) WHERE date_placed_ceased IS NULL AND from_latest > 1
    """


@rule("584", tables=("placed_for_adoption",), needs=("previous",))
def _r584() -> str:
    """A record this year, for a child whose previous-year decision ceased (its
    DATE_PLACED_CEASED or REASON_PLACED_CEASED given), whose DATE_PLACED is blank or
    not after that decision's DATE_PLACED: a new decision must be a later one."""
    return """
    SELECT DISTINCT 'placed_for_adoption' AS tbl, p.row_no
    FROM placed_for_adoption p JOIN placed_for_adoption_last l USING (child)
    WHERE (l.date_placed_ceased IS NOT NULL OR l.reason_placed_ceased IS NOT NULL)
      AND (p.date_placed IS NULL OR p.date_placed_d <= l.date_placed_d)
    """


# --- outcomes of children looked after for 12 months (OC2) ----------------------------


def _oc2_aged(years: int, over: bool) -> str:
    """Condition: aged ``years`` or over at 31 March (under it when not ``over``)."""
    op = "<=" if over else ">"
    return f"o.dob_d + INTERVAL {years} YEAR {op} c.collection_end"


_HEALTH_FIELDS_BLANK = (
    "(o.immunisations IS NULL OR o.teeth_check IS NULL OR o.health_assessment IS NULL"
    " OR o.substance_misuse IS NULL)"
)


@rule("542", tables=("oc2",), shows=("DOB",))
def _r542() -> str:
    """CONVICTED given for a child under 10 at 31 March (OC2 DOB; a tenth birthday on
    31 March counts as 10). DOB blank or not a date: not judged.
    DfE's catalogue gives CONVICTED as the affected field; the finding also shows the
    record's DOB, which the rule tests."""
    return f"""
    SELECT 'oc2' AS tbl, o.row_no FROM oc2 o, collection c
    WHERE o.convicted IS NOT NULL AND {_oc2_aged(10, over=False)}
    """


@rule("543", tables=("oc2", "episodes"))
def _r543() -> str:
    """CONVICTED blank for a child aged 10 or over at 31 March who was continuously
    looked after for 12 months (see the module's definition). The open validator
    counts a tenth birthday on 31 March as not yet 10 here (and as 10 in 542); it is
    10 in both here."""
    return f"""
    SELECT 'oc2' AS tbl, o.row_no FROM oc2 o, collection c
    WHERE o.convicted IS NULL AND {_oc2_aged(10, over=True)}
      AND o.child IN ({_CLA12})
    """


@rule("544", tables=("oc2",))
def _r544() -> str:
    """CONVICTED given (0 or 1: the information is completed either way) while any of
    IMMUNISATIONS, TEETH_CHECK, HEALTH_ASSESSMENT or SUBSTANCE_MISUSE is blank. The
    open validator checks only children with CONVICTED 1; DfE's message says
    "conviction information completed", which a 0 is."""
    return f"""
    SELECT 'oc2' AS tbl, o.row_no FROM oc2 o
    WHERE o.convicted IS NOT NULL AND {_HEALTH_FIELDS_BLANK}
    """


@rule("545", tables=("oc2", "episodes"))
def _r545() -> str:
    """HEALTH_CHECK blank for a child under 5 at 31 March who was continuously looked
    after for 12 months."""
    return f"""
    SELECT 'oc2' AS tbl, o.row_no FROM oc2 o, collection c
    WHERE o.health_check IS NULL AND {_oc2_aged(5, over=False)}
      AND o.child IN ({_CLA12})
    """


@rule("546", tables=("oc2", "episodes"))
def _r546() -> str:
    """HEALTH_CHECK given for a child aged 5 or over at 31 March who was continuously
    looked after for 12 months (the children OC2 is for; a child in OC2 who was not
    is left to the rules on who belongs in OC2)."""
    return f"""
    SELECT 'oc2' AS tbl, o.row_no FROM oc2 o, collection c
    WHERE o.health_check IS NOT NULL AND {_oc2_aged(5, over=True)}
      AND o.child IN ({_CLA12})
    """


@rule("547", tables=("oc2",))
def _r547() -> str:
    """HEALTH_CHECK given (0 or 1) while any of IMMUNISATIONS, TEETH_CHECK,
    HEALTH_ASSESSMENT or SUBSTANCE_MISUSE is blank. The open validator checks only
    HEALTH_CHECK 1; as for 544, a 0 is completed information."""
    return f"""
    SELECT 'oc2' AS tbl, o.row_no FROM oc2 o
    WHERE o.health_check IS NOT NULL AND {_HEALTH_FIELDS_BLANK}
    """
