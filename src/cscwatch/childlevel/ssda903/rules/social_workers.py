"""The SW rules: social worker episodes (``sw_episodes``), collected from 2023-24.

A child's social worker episodes should run one after another (a new one starting when
the last ended, within a few days), the latest open at 31 March. DfE's validation
allows a week's leeway for an overlap of one episode's end and the next one's start
(SW10) and five days either side of an end for the next start (SW11). Episodes are
ordered by SW_DECOM; those whose SW_DECOM is blank or not a date are left to
SW01a/SW01b/SW04 and take no part in the ordering.
"""

from __future__ import annotations

from cscwatch.childlevel.ssda903.rules.base import rule
from cscwatch.childlevel.ssda903.rules.codes import SHORT_BREAK_LS, sql_list

__all__: list[str] = []

#: DfE's reasons for a change of social worker (SW_REASON).
_SW_REASONS = (
    "MANAGE", "FCONTA", "LEFTRL", "ORGRST", "TSPROC", "ABSENC", "CHCHAN", "PCCHAN",
    "SWDIED", "OTHERS",
)  # fmt: skip

#: The social worker collection began with episodes open on 1 April 2023; reasons for
#: change are required from then on.
_SW_COLLECTION_BEGAN = "DATE '2023-04-01'"

#: Each dated social worker episode with its place in the child's sequence.
_ORDERED = """
    SELECT s.*,
           row_number() OVER (PARTITION BY child ORDER BY sw_decom_d DESC, row_no DESC)
               AS from_last,
           lag(sw_dec_d) OVER (PARTITION BY child ORDER BY sw_decom_d, sw_dec_d, row_no)
               AS prev_dec_d,
           lag(row_no) OVER (PARTITION BY child ORDER BY sw_decom_d, sw_dec_d, row_no)
               AS prev_row
    FROM sw_episodes s
    WHERE sw_decom_d IS NOT NULL
"""

#: Children looked after at 31 March: an open episode that is not a short break.
_LOOKED_AFTER_31_MARCH = f"""
    SELECT e.* FROM episodes e, collection c
    WHERE e.dec IS NULL AND e.decom_d <= c.collection_end
      AND (e.ls IS NULL OR e.ls NOT IN {sql_list(SHORT_BREAK_LS)})
"""


@rule("SW01STG1", tables=("episodes", "sw_episodes"), ruleset="lac2023_24")
def _rsw01() -> str:
    """The open episode of a child looked after at 31 March (DEC blank, DECOM on or
    before 31 March, legal status not a short break V3/V4) when the child has no social
    worker episode with SW_ID, SW_DECOM and SW_REASON all given. The episode is flagged
    (the peer validator names the episode's row under sw_episodes, a slip)."""
    return f"""
    SELECT 'episodes' AS tbl, e.row_no FROM ({_LOOKED_AFTER_31_MARCH}) e
    WHERE NOT EXISTS (
        SELECT 1 FROM sw_episodes s WHERE s.child = e.child
          AND s.sw_id IS NOT NULL AND s.sw_decom IS NOT NULL AND s.sw_reason IS NOT NULL
    )
    """


@rule("SW02STG1", tables=("sw_episodes",), ruleset="lac2023_24")
def _rsw02() -> str:
    """SW_ID given but not beginning with ``SW`` or ``XX`` (upper case, as DfE writes
    them). A blank SW_ID is a completeness finding (SW01a/SW01b), not this one; the
    peer validator flags blanks here too."""
    return """
    SELECT 'sw_episodes' AS tbl, row_no FROM sw_episodes
    WHERE sw_id IS NOT NULL AND left(sw_id, 2) NOT IN ('SW', 'XX')
    """


@rule("SW03STG1", tables=("sw_episodes",), ruleset="lac2023_24")
def _rsw03() -> str:
    """Any of SW_ID, SW_DECOM or SW_REASON blank (2023-24; split into SW01a and SW01b
    from 2024-25)."""
    return """
    SELECT 'sw_episodes' AS tbl, row_no FROM sw_episodes
    WHERE sw_id IS NULL OR sw_decom IS NULL OR sw_reason IS NULL
    """


@rule("SW01aSTG1", tables=("sw_episodes",), ruleset="lac2024_25")
def _rsw01a() -> str:
    """SW_DECOM blank, or an episode begun before 1 April 2023 (when the social worker
    collection began) without SW_ID; SW_REASON is not required of such episodes.
    SW_DECOM given but not a date is SW04's finding."""
    return f"""
    SELECT 'sw_episodes' AS tbl, row_no FROM sw_episodes
    WHERE sw_decom IS NULL OR (sw_decom_d < {_SW_COLLECTION_BEGAN} AND sw_id IS NULL)
    """


@rule("SW01bSTG1", tables=("sw_episodes",), ruleset="lac2024_25")
def _rsw01b() -> str:
    """SW_DECOM blank, or an episode begun on or after 1 April 2023 without SW_ID or
    without SW_REASON."""
    return f"""
    SELECT 'sw_episodes' AS tbl, row_no FROM sw_episodes
    WHERE sw_decom IS NULL
       OR (sw_decom_d >= {_SW_COLLECTION_BEGAN} AND (sw_id IS NULL OR sw_reason IS NULL))
    """


@rule("SW04STG1", tables=("sw_episodes",), ruleset="lac2023_24")
def _rsw04() -> str:
    """SW_DECOM given but not a dd/mm/yyyy date. The peer validator also accepts
    partial dates written with ZZ (as DfE allows for DATE_PERM); DfE's social worker
    guidance asks for full dates, so ``ZZ/04/2023`` is flagged here."""
    return """
    SELECT 'sw_episodes' AS tbl, row_no FROM sw_episodes
    WHERE sw_decom IS NOT NULL AND sw_decom_d IS NULL
    """


@rule("SW05STG1", tables=("sw_episodes",), ruleset="lac2023_24")
def _rsw05() -> str:
    """SW_DEC given but not a dd/mm/yyyy date (DfE's message says "began"; the field
    it names is SW_DEC, the end date, and that is what is checked)."""
    return """
    SELECT 'sw_episodes' AS tbl, row_no FROM sw_episodes
    WHERE sw_dec IS NOT NULL AND sw_dec_d IS NULL
    """


@rule("SW06STG2", tables=("sw_episodes",), ruleset="lac2023_24")
def _rsw06() -> str:
    """SW_DECOM after the end of the collection year (31 March). Episodes begun before
    the year are expected (the episode open on 1 April), so there is no lower bound."""
    return """
    SELECT 'sw_episodes' AS tbl, s.row_no FROM sw_episodes s, collection c
    WHERE s.sw_decom_d > c.collection_end
    """


@rule("SW07STG2", tables=("sw_episodes",), ruleset="lac2023_24")
def _rsw07() -> str:
    """SW_DEC before 1 April of the collection year or after 31 March (both days
    allowed). Blank or invalid SW_DEC is not judged here."""
    return """
    SELECT 'sw_episodes' AS tbl, s.row_no FROM sw_episodes s, collection c
    WHERE s.sw_dec_d < c.collection_start OR s.sw_dec_d > c.collection_end
    """


@rule("SW07STG2", tables=("sw_episodes",), ruleset="lac2024_25")
def _rsw07_2024() -> str:
    """From 2024-25 the social worker reporting period reaches back a year before the
    collection year: SW_DEC before 1 April of the previous year, or after 31 March of
    this one, is flagged (both boundary days allowed)."""
    return """
    SELECT 'sw_episodes' AS tbl, s.row_no FROM sw_episodes s, collection c
    WHERE s.sw_dec_d < c.collection_start - INTERVAL 1 YEAR OR s.sw_dec_d > c.collection_end
    """


@rule("SW08STG2", tables=("sw_episodes",), ruleset="lac2023_24")
def _rsw08() -> str:
    """An episode with SW_DEC blank that is not the child's latest (a later SW_DECOM
    exists; on equal SW_DECOM the record later in the file counts as later): a new
    episode started while this one was still open."""
    return f"""
    SELECT 'sw_episodes' AS tbl, row_no FROM ({_ORDERED})
    WHERE sw_dec IS NULL AND from_last > 1
    """


@rule("SW09STG2", tables=("sw_episodes",), ruleset="lac2023_24")
def _rsw09() -> str:
    """SW_DEC on the same day as SW_DECOM (dates compare as days, so the episode
    lasted under 24 hours). An end before the start is not this rule's finding."""
    return """
    SELECT 'sw_episodes' AS tbl, row_no FROM sw_episodes WHERE sw_dec_d = sw_decom_d
    """


@rule("SW10STG2", tables=("sw_episodes",), ruleset="lac2023_24")
def _rsw10() -> str:
    """An episode beginning more than 7 days before the previous episode of the same
    child ended (SW_DECOM < previous SW_DEC - 7 days; DfE allows a week either side of
    the previous end). Only an overlap is flagged, as DfE's message says; the peer
    validator also flags a start more than 7 days after the previous end and any
    episode following an open one (SW08's finding)."""
    return f"""
    SELECT 'sw_episodes' AS tbl, row_no FROM ({_ORDERED})
    WHERE sw_decom_d < prev_dec_d - INTERVAL 7 DAY
    """


@rule("SW10STG2", tables=("sw_episodes",), ruleset="lac2024_25")
def _rsw10_2024() -> str:
    """As in 2023-24 (an episode beginning more than 7 days before the previous one
    ended), except that an episode whose reason is FCONTA is not flagged."""
    return f"""
    SELECT 'sw_episodes' AS tbl, row_no FROM ({_ORDERED})
    WHERE sw_decom_d < prev_dec_d - INTERVAL 7 DAY AND sw_reason IS DISTINCT FROM 'FCONTA'
    """


def _no_successor(where_ended: str) -> str:
    """Ended episodes meeting ``where_ended`` with no other episode of the child
    starting within 5 days either side of their end."""
    return f"""
    SELECT 'sw_episodes' AS tbl, s.row_no FROM sw_episodes s, collection c
    WHERE s.sw_dec_d IS NOT NULL AND ({where_ended})
      AND NOT EXISTS (
        SELECT 1 FROM sw_episodes n
        WHERE n.child = s.child AND n.row_no <> s.row_no
          AND n.sw_decom_d BETWEEN s.sw_dec_d - INTERVAL 5 DAY AND s.sw_dec_d + INTERVAL 5 DAY
      )
    """


@rule("SW11aSTG2", tables=("sw_episodes",), ruleset="lac2023_24")
def _rsw11a() -> str:
    """An episode that ended on or before 26 March (5 days before 31 March) when no
    other episode of the child starts within 5 days either side of that end. The
    ended episode is flagged; the peer validator flags the next episode instead, and
    nothing when there is none."""
    return _no_successor("s.sw_dec_d <= c.collection_end - INTERVAL 5 DAY")


@rule("SW11bSTG2", tables=("sw_episodes",), ruleset="lac2023_24")
def _rsw11b() -> str:
    """An episode that ended in the last days of the year (26 to 31 March) when no
    other episode of the child starts within 5 days either side of that end."""
    return _no_successor(
        "s.sw_dec_d BETWEEN c.collection_end - INTERVAL 5 DAY AND c.collection_end"
    )


@rule(
    "SW12STG2",
    tables=("episodes", "sw_episodes"),
    ruleset="lac2023_24",
    shows=("DECOM", "SW_REASON"),
)
def _rsw12() -> str:
    """A child looked after at 31 March (open episode, not a short break) whose social
    worker episodes do not reach back to 1 April, the start of the year: the earliest
    SW_DECOM is after 1 April and that episode's reason is not FCONTA (the child's
    first contact with children's social care, before which there was no social worker
    to report). Time before the child became looked after counts, as DfE's message
    says. The earliest social worker episode is flagged (its SW_DECOM is the affected
    field; its finding shows SW_REASON too), or the open episode when the child has no
    social worker episode (its finding shows its DECOM).

    The open validator pairs every social worker episode with every episode that
    begins or ends care and flags the episode when any pair fails; that reading is not
    recoverable from DfE's message, which asks that the whole year be covered."""
    return f"""
    WITH la AS (SELECT DISTINCT child FROM ({_LOOKED_AFTER_31_MARCH})),
    first_sw AS (
        SELECT child, row_no, sw_decom_d, sw_reason FROM sw_episodes
        WHERE sw_decom_d IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY child ORDER BY sw_decom_d, row_no) = 1
    )
    SELECT 'sw_episodes' AS tbl, f.row_no FROM la JOIN first_sw f USING (child), collection c
    WHERE f.sw_decom_d > c.collection_start AND f.sw_reason IS DISTINCT FROM 'FCONTA'
    UNION ALL
    SELECT 'episodes' AS tbl, e.row_no FROM ({_LOOKED_AFTER_31_MARCH}) e
    WHERE NOT EXISTS (SELECT 1 FROM sw_episodes s WHERE s.child = e.child)
    """


@rule("SW13STG1", tables=("sw_episodes",), ruleset="lac2023_24")
def _rsw13() -> str:
    """SW_REASON blank or not one of DfE's ten reasons (compared exactly)."""
    return f"""
    SELECT 'sw_episodes' AS tbl, row_no FROM sw_episodes
    WHERE sw_reason IS NULL OR sw_reason NOT IN {sql_list(_SW_REASONS)}
    """


@rule("SW13STG1", tables=("sw_episodes",), ruleset="lac2024_25")
def _rsw13_2024() -> str:
    """SW_REASON given but not one of DfE's ten reasons. From 2024-25 DfE's message is
    only "not valid": a blank reason is SW01b's finding (the peer validator still
    flags blanks on episodes begun from 1 April 2023 here)."""
    return f"""
    SELECT 'sw_episodes' AS tbl, row_no FROM sw_episodes
    WHERE sw_reason IS NOT NULL AND sw_reason NOT IN {sql_list(_SW_REASONS)}
    """


@rule("SW14STG2", tables=("sw_episodes",), ruleset="lac2023_24")
def _rsw14() -> str:
    """SW_DEC blank on any episode but the child's latest (by SW_DECOM; an episode
    whose SW_DECOM is blank or not a date is never the latest)."""
    return f"""
    SELECT 'sw_episodes' AS tbl, s.row_no FROM sw_episodes s
    WHERE s.sw_dec IS NULL
      AND s.row_no NOT IN (SELECT row_no FROM ({_ORDERED}) WHERE from_last = 1)
    """


@rule("SW17STG2", tables=("sw_episodes",), ruleset="lac2025_26")
def _rsw17() -> str:
    """The child's latest social worker episode (by SW_DECOM) has an end date, so no
    episode is open at 31 March. As the catalogue names only sw_episodes, every child
    with social worker episodes is checked, including one who left care in the year
    (a doubt: DfE may mean only children looked after at 31 March)."""
    return f"""
    SELECT 'sw_episodes' AS tbl, row_no FROM ({_ORDERED})
    WHERE from_last = 1 AND sw_dec IS NOT NULL
    """
