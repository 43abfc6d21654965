"""Rules 600-699: adoption details (AD1), motherhood, and previous permanence.

The shared readings of :mod:`.r300s` hold here too: ages in calendar years, and a blank or
invalid date never failing a comparison. "Ceased in the year" means DEC from 1 April to
31 March inclusive. MOTHER is 1 (a mother) or 0 (not); female is SEX 2 or F in every year
(:data:`~.codes.FEMALE`).
"""

from __future__ import annotations

from cscwatch.childlevel.ssda903.rules.base import rule
from cscwatch.childlevel.ssda903.rules.codes import ADOPTED, FEMALE, RESPITE, sql_list

__all__: list[str] = []

_END = "(SELECT collection_end FROM collection)"
_START = "(SELECT collection_start FROM collection)"
_IN_YEAR = f"BETWEEN {_START} AND {_END}"

#: AD1's fields beyond CHILD and DOB.
_AD1 = ("date_int", "date_match", "foster_care", "nb_adoptr", "sex_adoptr", "ls_adoptr")

#: Local authority codes DfE accepts for LA_PERM (England's authorities, 999 unknown)
#: and the codes for the other UK nations (WAL, SCO, NIR, NUK).
_LA_PERM = (
    "800", "889", "822", "301", "304", "303", "330", "825", "837", "302", "846", "370", "350",
    "890", "867", "380", "305", "801", "351", "873", "823", "895", "896", "381", "909", "202",
    "908", "331", "306", "841", "830", "831", "878", "371", "835", "332", "840", "307", "308",
    "811", "881", "845", "390", "916", "203", "876", "850", "311", "204", "884", "312", "205",
    "313", "805", "919", "310", "309", "420", "921", "206", "207", "886", "810", "382", "314",
    "340", "888", "208", "856", "383", "855", "209", "925", "341", "201", "821", "352", "806",
    "887", "826", "315", "929", "812", "391", "926", "892", "813", "802", "928", "891", "392",
    "316", "815", "353", "931", "879", "836", "851", "874", "807", "354", "317", "870", "318",
    "372", "857", "333", "935", "343", "803", "373", "342", "893", "356", "355", "871", "394",
    "334", "933", "882", "936", "861", "852", "319", "860", "808", "393", "866", "210", "357",
    "894", "883", "880", "358", "211", "937", "869", "320", "359", "865", "384", "335", "336",
    "212", "868", "872", "885", "344", "877", "213", "938", "816", "999",
    "WAL", "SCO", "NUK", "NIR",
)  # fmt: skip

#: DATE_PERM as its latest possible date, any element DfE allows to be unknown written as
#: zz (case ignored): dd/mm/yyyy; zz/mm/yyyy (the month's last day); dd/zz/yyyy (that day
#: of December); zz/zz/yyyy (31 December). zz/zz/zzzz (wholly unknown) is valid but gives
#: no date. Anything else is not a valid value.
_PERM_D = r"""
    CASE
        WHEN regexp_full_match(p, '\d{2}/\d{2}/\d{4}') THEN try_strptime(p, '%d/%m/%Y')::DATE
        WHEN regexp_full_match(p, 'ZZ/\d{2}/\d{4}')
            THEN last_day(try_strptime('01' || substr(p, 3), '%d/%m/%Y')::DATE)
        WHEN regexp_full_match(p, '\d{2}/ZZ/\d{4}')
            THEN try_strptime(substr(p, 1, 3) || '12' || substr(p, 6), '%d/%m/%Y')::DATE
        WHEN regexp_full_match(p, 'ZZ/ZZ/\d{4}')
            THEN try_strptime('31/12/' || substr(p, 7), '%d/%m/%Y')::DATE
    END
"""


@rule("601", tables=("ad1", "episodes"))
def _r601() -> str:
    """A child adopted in the year (an episode with REC E11/E12 and DEC in the year) whose
    AD1 record has any of DATE_INT, DATE_MATCH, FOSTER_CARE, NB_ADOPTR, SEX_ADOPTR,
    LS_ADOPTR blank, or who has no AD1 record at all (then nothing was completed; the
    peer validator passes that case). Flags the episode and the AD1 record."""
    blank = " OR ".join(f"a.{f} IS NULL" for f in _AD1)
    return f"""
    WITH bad AS (
        SELECT e.row_no AS e_row, a.row_no AS a_row
        FROM episodes e LEFT JOIN ad1 a USING (child)
        WHERE e.rec IN {sql_list(ADOPTED)} AND e.dec_d {_IN_YEAR} AND ({blank})
    )
    SELECT 'episodes' AS tbl, e_row AS row_no FROM bad
    UNION ALL SELECT 'ad1', a_row FROM bad WHERE a_row IS NOT NULL
    """


@rule(
    "602",
    tables=("ad1", "episodes"),
    shows=("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"),
)
def _r602() -> str:
    """An AD1 record with any adoption field completed for a child with no episode ending
    in adoption (REC E11/E12) with DEC in the year. Flags the AD1 record.
    DfE's catalogue gives CHILD as the affected field; the finding also shows the record's
    DATE_INT, DATE_MATCH, FOSTER_CARE, NB_ADOPTR, SEX_ADOPTR and LS_ADOPTR, which the rule
    tests."""
    filled = " OR ".join(f"{f} IS NOT NULL" for f in _AD1)
    return f"""
    SELECT 'ad1' AS tbl, row_no FROM ad1
    WHERE ({filled})
      AND child NOT IN (SELECT child FROM episodes
                        WHERE rec IN {sql_list(ADOPTED)} AND dec_d {_IN_YEAR})
    """


@rule("607", tables=("episodes", "header"))
def _r607() -> str:
    """A female child (SEX 2 or F) with MOTHER blank and an episode, not under a
    short-break legal status (V3/V4), that ended the period of care in the year (DEC in
    the year, REC completed and not X1). Flags that episode and the header record."""
    return f"""
    WITH bad AS (
        SELECT e.row_no AS e_row, h.row_no AS h_row FROM episodes e JOIN header h USING (child)
        WHERE e.dec_d {_IN_YEAR} AND e.rec <> 'X1'
          AND coalesce(e.ls, '') NOT IN {sql_list(RESPITE)}
          AND h.sex IN {sql_list(FEMALE)} AND h.mother IS NULL
    )
    SELECT 'episodes' AS tbl, e_row AS row_no FROM bad UNION ALL SELECT 'header', h_row FROM bad
    """


@rule("611", tables=("header",))
def _r611() -> str:
    """MOTHER is 1 but MC_DOB is blank. An MC_DOB that is present but not a date is not
    blank (its validity is another rule's)."""
    return "SELECT 'header' AS tbl, row_no FROM header WHERE mother = '1' AND mc_dob IS NULL"


@rule("612", tables=("header",))
def _r612() -> str:
    """A female child (SEX 2 or F) with MC_DOB completed (valid or not) but MOTHER 0 or
    blank."""
    return f"""
    SELECT 'header' AS tbl, row_no FROM header
    WHERE sex IN {sql_list(FEMALE)} AND mc_dob IS NOT NULL AND coalesce(mother, '0') = '0'
    """


@rule("620", tables=("header",))
def _r620() -> str:
    """MOTHER is 1 for a child whose 11th birthday falls after 1 April of the collection
    year (under 11 at the start of the year, as the peer validator measures it)."""
    return f"""
    SELECT 'header' AS tbl, row_no FROM header
    WHERE mother = '1' AND dob_d + INTERVAL 11 YEAR > {_START}
    """


@rule("621", tables=("header",))
def _r621() -> str:
    """MC_DOB (the birth of the mother's first child) on or before the mother's own DOB.
    Records where either date is blank or invalid are not flagged."""
    return "SELECT 'header' AS tbl, row_no FROM header WHERE mc_dob_d <= dob_d"


@rule("624", tables=("header",), needs=("previous",))
def _r624() -> str:
    """Last year's header gave an MC_DOB for the child and this year's differs (blank
    included). Dates are compared as dates where both parse, as text otherwise."""
    return """
    SELECT 'header' AS tbl, h.row_no FROM header h JOIN header_last l USING (child)
    WHERE l.mc_dob IS NOT NULL
      AND coalesce(h.mc_dob_d::VARCHAR, h.mc_dob) IS DISTINCT FROM
          coalesce(l.mc_dob_d::VARCHAR, l.mc_dob)
    """


@rule("625", tables=("episodes", "header"))
def _r625() -> str:
    """MC_DOB after 31 March of the collection year (flags the header record), or after
    the DEC of the child's last episode (latest DECOM) when that episode has ended (flags
    the header record and that episode). The peer validator takes the latest DEC of any
    ended episode even when a later one is open; a child still looked after has not
    ceased, so that case is not flagged here."""
    return f"""
    WITH last_ep AS (
        SELECT child, row_no, dec_d FROM episodes WHERE decom_d IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY child ORDER BY decom_d DESC, row_no DESC) = 1
    ), ceased AS (
        SELECT h.row_no AS h_row, l.row_no AS e_row FROM header h JOIN last_ep l USING (child)
        WHERE h.mc_dob_d > l.dec_d
    )
    SELECT 'header' AS tbl, row_no FROM header WHERE mc_dob_d > {_END}
    UNION ALL SELECT 'header', h_row FROM ceased
    UNION ALL SELECT 'episodes', e_row FROM ceased
    """


@rule("626", tables=("header",), needs=("previous",))
def _r626() -> str:
    """MOTHER is 1 this year and was 0 last year, but MC_DOB is before 1 April of the
    collection year: the first child was then born before last year's return said the
    child was not a mother."""
    return f"""
    SELECT 'header' AS tbl, h.row_no FROM header h JOIN header_last l USING (child)
    WHERE h.mother = '1' AND l.mother = '0' AND h.mc_dob_d < {_START}
    """


@rule("628", tables=("episodes", "header", "oc3"))
def _r628() -> str:
    """MOTHER completed for a care leaver (an OC3 record with IN_TOUCH, ACTIV or ACCOM
    completed) who has no episode in the return. Flags the header record."""
    return """
    SELECT 'header' AS tbl, row_no FROM header
    WHERE mother IS NOT NULL
      AND child NOT IN (SELECT child FROM episodes WHERE child IS NOT NULL)
      AND child IN (SELECT child FROM oc3 WHERE coalesce(in_touch, activ, accom) IS NOT NULL)
    """


@rule("630", tables=("episodes", "previous_permanence"))
def _r630() -> str:
    """A period of care started in the year (RNE S, DECOM on or after 1 April) for a child
    with no previous permanence record, or whose PREV_PERM is blank, or whose PREV_PERM is
    not Z1 and LA_PERM or DATE_PERM is blank. Flags the episode."""
    return f"""
    SELECT 'episodes' AS tbl, e.row_no FROM episodes e
    LEFT JOIN previous_permanence p USING (child)
    WHERE e.rne = 'S' AND e.decom_d >= {_START}
      AND (p.row_no IS NULL OR p.prev_perm IS NULL
           OR (p.prev_perm <> 'Z1' AND (p.la_perm IS NULL OR p.date_perm IS NULL)))
    """


@rule("631", tables=("previous_permanence",))
def _r631() -> str:
    """PREV_PERM completed but not one of P1, P2, P3, P4, Z1 (compared exactly: ``p1``
    fails). A blank PREV_PERM is rule 630's concern, not this one's."""
    return """
    SELECT 'previous_permanence' AS tbl, row_no FROM previous_permanence
    WHERE prev_perm NOT IN ('P1', 'P2', 'P3', 'P4', 'Z1')
    """


@rule("632", tables=("episodes", "previous_permanence"))
def _r632() -> str:
    """DATE_PERM completed but not a valid value (dd/mm/yyyy, any unknown element written
    zz, up to zz/zz/zzzz), or on or after the start of the child's first episode in the
    return (earliest DECOM), a partial date counting as its latest possible day. Flags
    the previous permanence record, and the episode too when the dates conflict (the peer
    validator also flags the episode when the value is invalid). The peer validator
    treats lower-case zz as invalid; cscwatch ignores case."""
    return f"""
    WITH raw AS (
        SELECT child, row_no, upper(date_perm) AS p FROM previous_permanence
        WHERE date_perm IS NOT NULL
    ), p AS (
        SELECT child, row_no, p = 'ZZ/ZZ/ZZZZ' AS unknown, {_PERM_D} AS perm_d FROM raw
    ), first AS (
        SELECT child, row_no, decom_d FROM episodes WHERE decom_d IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY child ORDER BY decom_d, row_no) = 1
    ), late AS (
        SELECT p.row_no AS p_row, f.row_no AS e_row FROM p JOIN first f USING (child)
        WHERE p.perm_d >= f.decom_d
    )
    SELECT 'previous_permanence' AS tbl, row_no FROM p WHERE perm_d IS NULL AND NOT unknown
    UNION ALL SELECT 'previous_permanence', p_row FROM late
    UNION ALL SELECT 'episodes', e_row FROM late
    """


@rule("633", tables=("previous_permanence",))
def _r633() -> str:
    """LA_PERM completed but not a local authority code DfE accepts (an English
    authority's three-digit code, 999, or WAL, SCO, NUK, NIR)."""
    return f"""
    SELECT 'previous_permanence' AS tbl, row_no FROM previous_permanence
    WHERE la_perm NOT IN {sql_list(_LA_PERM)}
    """


@rule("634", tables=("episodes", "previous_permanence"))
def _r634() -> str:
    """A previous permanence record with PREV_PERM, LA_PERM or DATE_PERM completed for a
    child whose latest episode (latest DECOM) started before 1 April 2016, as DfE's
    message says. The peer validator instead compares with 1 April of the collection
    year; DfE's date is followed. Flags the record and that episode."""
    return """
    WITH last_ep AS (
        SELECT child, row_no, decom_d FROM episodes WHERE decom_d IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY child ORDER BY decom_d DESC, row_no DESC) = 1
    ), bad AS (
        SELECT p.row_no AS p_row, l.row_no AS e_row
        FROM previous_permanence p JOIN last_ep l USING (child)
        WHERE coalesce(p.prev_perm, p.la_perm, p.date_perm) IS NOT NULL
          AND l.decom_d < DATE '2016-04-01'
    )
    SELECT 'previous_permanence' AS tbl, p_row AS row_no FROM bad
    UNION ALL SELECT 'episodes', e_row FROM bad
    """


@rule("635", tables=("previous_permanence",))
def _r635() -> str:
    """PREV_PERM is Z1 (no previous permanence) but LA_PERM or DATE_PERM is completed.
    The peer validator flags a blank PREV_PERM instead; DfE's message names Z1."""
    return """
    SELECT 'previous_permanence' AS tbl, row_no FROM previous_permanence
    WHERE prev_perm = 'Z1' AND coalesce(la_perm, date_perm) IS NOT NULL
    """
