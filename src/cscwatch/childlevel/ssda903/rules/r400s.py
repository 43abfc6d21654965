"""Rules 400-499: UASC distances, special guardianship, placement orders, respite, the
sequence of episodes (reasons for new episodes and ceasing), review participation, UPN,
legal statuses by date, and the hand-over between last year's return and this year's.

The shared readings of :mod:`.r300s` hold here too: ages in calendar years, blank or
invalid dates never failing a comparison, "previous"/"next" episode by DECOM then position
in the file with invalid-DECOM episodes left out of sequences.

411 and 452 read the local authority of placement (PL_LA) and PL_LOCATION, which DfE
derives from PL_POST and cscwatch derives the same way (:mod:`...placing`: the reference
postcode's district, its upper-tier authority, and the placing authority's code given
with ``--la-code``). Rule 420 only asks whether PL_LA is completed, which it is exactly
when PL_POST is a known postcode, so it runs with the reference postcodes.
"""

from __future__ import annotations

from cscwatch.childlevel.ssda903.rules.base import rule
from cscwatch.childlevel.ssda903.rules.codes import RESPITE, sql_list

__all__: list[str] = []

#: Reasons an episode ceased that end the period of care (every REC but X1).
_CEASED = (
    "E2", "E3", "E4A", "E4B", "E5", "E6", "E7", "E8", "E9", "E11", "E12", "E13", "E14",
    "E15", "E16", "E17", "E41", "E45", "E46", "E47", "E48",
)  # fmt: skip

_SEQ = "WINDOW w AS (PARTITION BY child ORDER BY decom_d, row_no)"

#: The fields that say where a child is placed.
_PLACEMENT = ("place", "pl_post", "urn", "place_provider")


def _same(cols: tuple[str, ...]) -> str:
    """Every field of ``cols`` equal to the previous episode's (blanks equal blanks)."""
    return " AND ".join(f"{c} IS NOT DISTINCT FROM lag({c}) OVER w" for c in cols)


@rule("406", tables=("episodes",), needs=("postcodes",))
def _r406() -> str:
    """An episode of a child with a UASC record (anything beyond CHILD in this year's
    UASC table, or last year's when given) for which a distance can be worked out from
    HOME_POST and PL_POST: the distance should be blank, so the postcodes should be."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE pc_miles(home_post, pl_post) IS NOT NULL
      AND child IN (SELECT child FROM uasc WHERE coalesce(sex, dob, duc) IS NOT NULL
                    UNION SELECT child FROM uasc_last WHERE coalesce(sex, dob, duc) IS NOT NULL)
    """


@rule("407", tables=("episodes", "header"))
def _r407() -> str:
    """Ceased by special guardianship order (REC E45-E48) on or after the child's 18th
    birthday ("has reached age 18": the birthday itself fails, where the peer validator
    passes it). Flags the episode and the header record."""
    return """
    WITH bad AS (
        SELECT e.row_no AS e_row, h.row_no AS h_row FROM episodes e JOIN header h USING (child)
        WHERE e.rec IN ('E45', 'E46', 'E47', 'E48') AND e.dec_d >= h.dob_d + INTERVAL 18 YEAR
    )
    SELECT 'episodes' AS tbl, e_row AS row_no FROM bad UNION ALL SELECT 'header', h_row FROM bad
    """


@rule("408", tables=("episodes",))
def _r408() -> str:
    """Placed for adoption with a placement order (PLACE A5/A6) under a legal status
    other than a placement order (E1; blank included)."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place IN ('A5', 'A6') AND ls IS DISTINCT FROM 'E1'
    """


@rule("420", tables=("episodes",), needs=("postcodes",))
def _r420() -> str:
    """A short-break legal status (V3/V4) with a local authority of placement: PL_LA is
    derived from PL_POST, so it is completed when PL_POST is a postcode in the reference
    table (spacing and case ignored)."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes e
    WHERE ls IN {sql_list(RESPITE)}
      AND EXISTS (SELECT 1 FROM postcode_ref r
                  WHERE r.postcode = upper(replace(e.pl_post, ' ', '')))
    """


@rule("426", tables=("episodes",))
def _r426() -> str:
    """A child with both single (V3) and series (V4) short-break episodes in the return.
    Flags all their V3 and V4 episodes."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE ls IN {sql_list(RESPITE)}
    QUALIFY count(DISTINCT ls) OVER (PARTITION BY child) = 2
    """


@rule("431", tables=("episodes",))
def _r431() -> str:
    """An episode starting a period of care (RNE S) on or before the day the child's
    previous episode ended: on the same day it should be a continuation; earlier, the
    episodes overlap (flagged too, as by the peer validator)."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d IS NOT NULL
    {_SEQ}
    QUALIFY rne = 'S' AND decom_d <= lag(dec_d) OVER w
    """


@rule("432", tables=("episodes",))
def _r432() -> str:
    """The previous episode ended the period of care (a REC other than X1) but this
    episode's RNE is not S (blank included)."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d IS NOT NULL
    {_SEQ}
    QUALIFY lag(rec) OVER w IN {sql_list(_CEASED)} AND rne IS DISTINCT FROM 'S'
    """


@rule("433", tables=("episodes",))
def _r433() -> str:
    """A continuation episode (RNE P, L, T, U or B) that is not the child's first and does
    not start on the day the previous episode ended (the previous one still open
    included)."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d IS NOT NULL
    {_SEQ}
    QUALIFY rne IN ('P', 'L', 'T', 'U', 'B') AND lag(row_no) OVER w IS NOT NULL
        AND decom_d IS DISTINCT FROM lag(dec_d) OVER w
    """


@rule("434", tables=("episodes",))
def _r434() -> str:
    """RNE L (legal status changed, placement not) on an episode that is not the child's
    first, where the legal status is the same as the previous episode's or any of PLACE,
    PL_POST, URN, PLACE_PROVIDER differs from it (blanks equal blanks)."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d IS NOT NULL
    {_SEQ}
    QUALIFY rne = 'L' AND lag(row_no) OVER w IS NOT NULL
        AND (ls IS NOT DISTINCT FROM lag(ls) OVER w OR NOT ({_same(_PLACEMENT)}))
    """


@rule("435", tables=("episodes",))
def _r435() -> str:
    """RNE P or T (placement changed, legal status not) on an episode that is not the
    child's first, where the legal status differs from the previous episode's or PLACE,
    PL_POST, URN and PLACE_PROVIDER are all the same (blanks equal blanks; the peer
    validator counts two blanks as a difference)."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d IS NOT NULL
    {_SEQ}
    QUALIFY rne IN ('P', 'T') AND lag(row_no) OVER w IS NOT NULL
        AND (ls IS DISTINCT FROM lag(ls) OVER w OR ({_same(_PLACEMENT)}))
    """


@rule("436", tables=("episodes",))
def _r436() -> str:
    """RNE U or B (both placement and legal status changed) on an episode that is not the
    child's first, where the legal status is the same as the previous episode's or PLACE,
    PL_POST, URN and PLACE_PROVIDER are all the same (blanks equal blanks)."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d IS NOT NULL
    {_SEQ}
    QUALIFY rne IN ('U', 'B') AND lag(row_no) OVER w IS NOT NULL
        AND (ls IS NOT DISTINCT FROM lag(ls) OVER w OR ({_same(_PLACEMENT)}))
    """


@rule("437", tables=("episodes",))
def _r437() -> str:
    """An episode ceased because the child died (REC E2) or an age assessment found the
    child to be 18 or over (E15) that is followed by another episode of the same child."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d IS NOT NULL
    {_SEQ}
    QUALIFY rec IN ('E2', 'E15') AND lead(row_no) OVER w IS NOT NULL
    """


@rule("440", tables=("reviews",))
def _r440() -> str:
    """Participation code PN0 (child under 4) at a review on or after the child's 4th
    birthday (the birthday itself fails: the child is 4; the peer validator passes it)."""
    return """
    SELECT 'reviews' AS tbl, row_no FROM reviews
    WHERE review_code = 'PN0' AND review_d >= dob_d + INTERVAL 4 YEAR
    """


@rule("441", tables=("reviews",))
def _r441() -> str:
    """Participation code PN1-PN7 (child 4 or over) at a review before the child's 4th
    birthday (a review on the birthday passes). Invalid dates are not flagged."""
    return """
    SELECT 'reviews' AS tbl, row_no FROM reviews
    WHERE review_code IN ('PN1', 'PN2', 'PN3', 'PN4', 'PN5', 'PN6', 'PN7')
      AND review_d < dob_d + INTERVAL 4 YEAR
    """


@rule("442", tables=("episodes", "header"))
def _r442() -> str:
    """UPN blank for a child with an episode not under a short-break legal status
    (V3/V4). Flags the header record."""
    return f"""
    SELECT 'header' AS tbl, row_no FROM header
    WHERE upn IS NULL
      AND child IN (SELECT child FROM episodes WHERE coalesce(ls, '') NOT IN {sql_list(RESPITE)})
    """


@rule("444", tables=("header",), ruleset="lac2025_26")
def _r444() -> str:
    """The same UPN on more than one header record, the reason codes UN1-UN5 (no UPN,
    for a stated reason) excepted. Flags every record sharing it. UPNs are compared as
    pseudonyms, which the keyed hash keeps equal exactly when the UPNs are; the reason
    codes must reach the staged table as written (they identify no one), or children
    sharing a reason code would be flagged."""
    return """
    SELECT 'header' AS tbl, row_no FROM header
    WHERE upn IS NOT NULL AND upn NOT IN ('UN1', 'UN2', 'UN3', 'UN4', 'UN5')
    QUALIFY count(*) OVER (PARTITION BY record_return(row_no), upn) > 1
    """


@rule("445", tables=("episodes",))
def _r445() -> str:
    """Legal status D1 (freeing order) on an episode starting after December 2005 (from
    1 January 2006)."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE ls = 'D1' AND decom_d > DATE '2005-12-31'
    """


@rule("446", tables=("episodes",))
def _r446() -> str:
    """Legal status E1 (placement order) on an episode starting before December 2005
    (before 1 December 2005)."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE ls = 'E1' AND decom_d < DATE '2005-12-01'
    """


@rule("451", tables=("episodes",))
def _r451() -> str:
    """An open episode (DEC and REC both blank) under a freeing order (LS D1): freeing
    orders ended on 30 December 2005, so none can still be in force."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE ls = 'D1' AND dec IS NULL AND rec IS NULL
    """


@rule("411", tables=("episodes",), needs=("postcodes", "la_code"))
def _r411() -> str:
    """Episode whose PL_LOCATION is IN (placed in the placing authority) while its PL_LA
    is another authority. Both are derived here from PL_POST, as DfE derives them, and
    PL_LOCATION is IN exactly when PL_LA is the placing authority's code, so the two
    cannot disagree: the rule runs and flags nothing by construction (as in the open
    validator, which derives them alike). It guards the derivation, not the return."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE pl_location(pl_post, row_no) = 'IN'
      AND pl_la(pl_post) NOT IN (SELECT la FROM placing_la p WHERE p.ret = record_return(row_no))
    """


@rule("452", tables=("episodes",), needs=("previous", "postcodes"))
def _r452() -> str:
    """The child's first episode this year has the same RNE as their last episode of last
    year (latest DECOM), which was open (DEC blank), but its local authority of placement
    (PL_LA, derived from PL_POST: :mod:`...placing`) differs. An authority that can be
    derived in one year and not the other differs; two that cannot be derived agree (as
    in the open validator). Flags this year's episode."""
    return """
    WITH first AS (
        SELECT child, row_no, rne, pl_la(pl_post) AS la
        FROM episodes WHERE decom_d IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY child ORDER BY decom_d, row_no) = 1
    ), last AS (
        SELECT child, rne, dec, pl_la(pl_post) AS la
        FROM episodes_last WHERE decom_d IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY child ORDER BY decom_d DESC, row_no DESC) = 1
    )
    SELECT 'episodes' AS tbl, f.row_no FROM first f JOIN last l USING (child)
    WHERE l.dec IS NULL AND f.rne = l.rne AND f.la IS DISTINCT FROM l.la
    """


@rule("453", tables=("episodes",), needs=("previous", "postcodes"))
def _r453() -> str:
    """The child's first episode this year has the same RNE as their last episode of last
    year (latest DECOM), which was open (DEC blank), but its distance from home differs:
    by 0.2 miles or more, or last year's could be worked out and this year's not, or the
    other way round. Distances are worked out from HOME_POST and PL_POST (rounded to 0.1
    mile, as DfE publishes PL_DISTANCE). Flags this year's episode."""
    return """
    WITH first AS (
        SELECT child, row_no, rne, round(pc_miles(home_post, pl_post), 1) AS miles
        FROM episodes WHERE decom_d IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY child ORDER BY decom_d, row_no) = 1
    ), last AS (
        SELECT child, rne, dec, round(pc_miles(home_post, pl_post), 1) AS miles
        FROM episodes_last WHERE decom_d IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY child ORDER BY decom_d DESC, row_no DESC) = 1
    )
    SELECT 'episodes' AS tbl, f.row_no FROM first f JOIN last l USING (child)
    WHERE l.dec IS NULL AND f.rne = l.rne
      AND (abs(f.miles - l.miles) >= 0.2 OR ((f.miles IS NULL) <> (l.miles IS NULL)))
    """


@rule("454", tables=("episodes",), needs=("postcodes",), ruleset="lac2025_26")
def _r454() -> str:
    """A placement more than 350 miles from home, the distance worked out from HOME_POST
    and PL_POST."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE pc_miles(home_post, pl_post) > 350
    """


@rule("460", tables=("episodes", "header"))
def _r460() -> str:
    """Ceased because the child stayed with their carers at 18 (REC E17) before the
    child's 18th birthday. Flags the episode."""
    return """
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e JOIN header h USING (child)
    WHERE e.rec = 'E17' AND e.dec_d < h.dob_d + INTERVAL 18 YEAR
    """
