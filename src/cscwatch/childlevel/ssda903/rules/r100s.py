"""Rules 100-199: the header (sex, birth, ethnicity, UPN) and basic episode fields.

Also the adoption (AD1, placed for adoption), care leaver (OC3) and 12-month outcome
(OC2) items. A blank field is NULL once staged; "present" below means not blank. A date
"present but not valid" is text that does not parse as dd/mm/yyyy (``<field>_d`` NULL) or
whose year is not four digits (``01/01/19``, which staging would read as the year 19).
Ages are whole birthdays: the Nth birthday is ``DOB + N years`` (29 February births have
their birthday on 28 February in other years).
"""

from __future__ import annotations

from cscwatch.childlevel.ssda903.rules.base import rule
from cscwatch.childlevel.ssda903.rules.codes import OC2_ITEMS, not_a_date, sql_list

__all__: list[str] = []

_ETHNICITIES = (
    "WBRI", "WIRI", "WOTH", "WIRT", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
    "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
)  # fmt: skip

#: Sex codes: 1/2 until 2023-24; M, F, U (unknown) from 2024-25.
_SEXES = {"lac2022_23": ("1", "2"), "lac2024_25": ("M", "F", "U")}
#: Rules about mothers read either code set in any year (a return still using 1/2 in
#: 2024-25 is flagged by rule 101; what its codes mean is not in doubt).
_MALE = ("1", "M")
_FEMALE = ("2", "F")
#: Placement types by the first collection year they apply to.
_PLACE_2022 = (
    "A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1",
    "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1",
)  # fmt: skip
_PLACE_CODES = {
    "lac2022_23": _PLACE_2022,
    "lac2024_25": (*_PLACE_2022, "K3"),
    "lac2025_26": (
        *(p for p in _PLACE_2022 if p not in {"H5", "P2", "Z1"}),
        "K3", "Z11", "Z12", "Z13", "Z14",
    ),
}  # fmt: skip
_IN_TOUCH = ("YES", "NO", "DIED", "REFU", "NREQ", "RHOM")
_ACTIV = ("F1", "P1", "F2", "P2", "F4", "P4", "F5", "P5", "G4", "G5", "G6", "0")
_ACCOM = (
    "B1", "B2", "C1", "C2", "D1", "D2", "E1", "E2", "G1", "G2", "H1", "H2", "K1", "K2",
    "R1", "R2", "S2", "T1", "T2", "U1", "U2", "V1", "V2", "W1", "W2", "X2", "Y1", "Y2",
    "Z1", "Z2", "0",
)  # fmt: skip
_RNE = ("S", "P", "L", "T", "U", "B")
_LS = ("C1", "C2", "D1", "E1", "V2", "V3", "V4", "J1", "J2", "J3", "L1", "L2", "L3")
_CIN = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8")
_REC = (
    "E11", "E12", "E2", "E3", "E4A", "E4B", "E13", "E41", "E45", "E46", "E47", "E48", "E5",
    "E6", "E7", "E8", "E9", "E14", "E15", "E16", "E17", "X1",
)  # fmt: skip
_PROVIDERS = ("PR0", "PR1", "PR2", "PR3", "PR4", "PR5")
#: Placement types that have no placement provider (rule 178), by first year.
_NO_PROVIDER = {
    "lac2022_23": ("T0", "T1", "T2", "T3", "T4", "Z1"),
    "lac2025_26": ("T0", "T1", "T2", "T3", "Z11", "Z12", "Z13", "Z14"),
}
_REVIEW_CODES = ("PN0", "PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7")
_SDQ_REASONS = ("SDQ1", "SDQ2", "SDQ3", "SDQ4", "SDQ5")
_AD1_ITEMS = ("date_int", "date_match", "foster_care", "nb_adoptr", "sex_adoptr", "ls_adoptr")
_OC3_ITEMS = ("in_touch", "activ", "accom")
#: The four OC2 items rule 182 and rule 191 require of every OC2 child.
_OC2_CORE = ("immunisations", "teeth_check", "health_assessment", "substance_misuse")


def _any_present(fields: tuple[str, ...], alias: str = "") -> str:
    return "(" + " OR ".join(f"{alias}{f} IS NOT NULL" for f in fields) + ")"


def _all_present(fields: tuple[str, ...], alias: str = "") -> str:
    return "(" + " AND ".join(f"{alias}{f} IS NOT NULL" for f in fields) + ")"


def _invalid_date(table: str, field: str) -> str:
    return f"""
    SELECT '{table}' AS tbl, row_no FROM {table}
    WHERE {field} IS NOT NULL AND {not_a_date(field)}
    """


def _invalid_code(table: str, field: str, codes: tuple[str, ...], *, blank_ok: bool) -> str:
    blank = f"{field} IS NOT NULL AND " if blank_ok else f"{field} IS NULL OR "
    return f"""
    SELECT '{table}' AS tbl, row_no FROM {table}
    WHERE {blank}{field} NOT IN {sql_list(codes)}
    """


#: Children looked after continuously for 12 months at 31 March, as DfE's derived field
#: LOOKED_AFTER_CONTINUOUSLY is defined: in care at some time in the year (an episode
#: starting by 31 March and ending on or after 1 April, or still open) and no sign of a
#: break: no episode starting in the year (after 1 April) with reason S, none ending in
#: the year (1 April to 30 March) with a reason other than X1 (a blank reason counts as
#: an ending), no V3/V4 (short break) episode in the year. Episodes with an invalid or
#: blank start date never count as in care; an invalid end date counts as still open.
_CONTINUOUSLY_LOOKED_AFTER = """
    SELECT e.child FROM episodes e, collection c
    WHERE e.child IS NOT NULL
    GROUP BY e.child
    HAVING bool_or(coalesce(e.decom_d <= c.collection_end
                            AND (e.dec_d IS NULL OR e.dec_d >= c.collection_start), false))
       AND NOT bool_or(coalesce(
             (e.rne = 'S' AND e.decom_d > c.collection_start
                          AND e.decom_d <= c.collection_end)
          OR (e.rec IS DISTINCT FROM 'X1' AND e.dec_d >= c.collection_start
                                          AND e.dec_d < c.collection_end)
          OR (e.ls IN ('V3', 'V4') AND e.decom_d <= c.collection_end
                                   AND (e.dec_d IS NULL OR e.dec_d >= c.collection_start)),
          false))
"""


@rule("101", tables=("header",))
def _r101() -> str:
    """SEX blank or not one of the 2022-23 and 2023-24 codes 1 (male) and 2 (female)."""
    return _invalid_code("header", "sex", _SEXES["lac2022_23"], blank_ok=False)


@rule("101", tables=("header",), ruleset="lac2024_25")
def _r101_2024() -> str:
    """SEX blank or not one of the codes in force from 2024-25: M, F or U (unknown). The
    old codes 1 and 2 fail from 2024-25."""
    return _invalid_code("header", "sex", _SEXES["lac2024_25"], blank_ok=False)


@rule("102", tables=("header",))
def _r102() -> str:
    """DOB blank or not a dd/mm/yyyy date (a blank date of birth is not a valid date;
    every child must have one)."""
    return f"SELECT 'header' AS tbl, row_no FROM header WHERE {not_a_date('dob')}"


@rule("103", tables=("header",))
def _r103() -> str:
    """ETHNIC absent or not one of DfE's 20 ethnicity codes (compared exactly: DfE's
    codes are upper case, so ``wbri`` fails)."""
    return _invalid_code("header", "ethnic", _ETHNICITIES, blank_ok=False)


@rule("104", tables=("uasc",))
def _r104() -> str:
    """UASC record whose DUC (date UASC status ceased) is present but not a date, or is a
    date before the collection year began (1 April): a status that ceased before the year
    does not belong in this year's UASC table. A blank DUC passes (status not ceased)."""
    return f"""
    SELECT 'uasc' AS tbl, row_no FROM uasc, collection c
    WHERE (duc IS NOT NULL AND {not_a_date("duc")}) OR duc_d < c.collection_start
    """


@rule("112", tables=("ad1",))
def _r112() -> str:
    """AD1 DATE_INT present but not a dd/mm/yyyy date (blank passes: rule 151 checks
    completeness)."""
    return _invalid_date("ad1", "date_int")


@rule("113", tables=("ad1",))
def _r113() -> str:
    """AD1 DATE_MATCH present but not a dd/mm/yyyy date (blank passes)."""
    return _invalid_date("ad1", "date_match")


@rule("114", tables=("ad1",))
def _r114() -> str:
    """AD1 FOSTER_CARE present and not 0 or 1 (blank passes)."""
    return _invalid_code("ad1", "foster_care", ("0", "1"), blank_ok=True)


@rule("115", tables=("placed_for_adoption",))
def _r115() -> str:
    """DATE_PLACED present but not a dd/mm/yyyy date (blank passes)."""
    return _invalid_date("placed_for_adoption", "date_placed")


@rule("116", tables=("placed_for_adoption",))
def _r116() -> str:
    """DATE_PLACED_CEASED present but not a dd/mm/yyyy date (blank passes)."""
    return _invalid_date("placed_for_adoption", "date_placed_ceased")


@rule("117", tables=("episodes", "placed_for_adoption"))
def _r117() -> str:
    """A placed-for-adoption record whose DATE_PLACED or DATE_PLACED_CEASED is after 31
    March of the collection year, or after the DEC of the child's latest episode (latest
    DECOM; episodes ending X1, a change within care, are not candidates; ties go to the
    earlier row). The record is flagged, with that latest episode when the child has
    one (as the open validator does). Unlike the open validator, a date after 31 March
    is flagged even when the child has no episode (DfE's message has no such
    condition). Invalid dates are left to rules 115 and 116; an open latest episode
    is only compared with 31 March."""
    return """
    WITH latest AS (
        SELECT row_no, child, dec_d FROM (
            SELECT row_no, child, dec_d,
                   row_number() OVER (PARTITION BY child ORDER BY decom_d DESC, row_no) AS k
            FROM episodes
            WHERE decom_d IS NOT NULL AND rec IS DISTINCT FROM 'X1' AND child IS NOT NULL)
        WHERE k = 1
    ), bad AS (
        SELECT p.row_no AS pa_row, l.row_no AS ep_row
        FROM placed_for_adoption p CROSS JOIN collection c
        LEFT JOIN latest l ON l.child = p.child
        WHERE p.date_placed_d > c.collection_end OR p.date_placed_ceased_d > c.collection_end
           OR p.date_placed_d > l.dec_d OR p.date_placed_ceased_d > l.dec_d
    )
    SELECT 'placed_for_adoption' AS tbl, pa_row AS row_no FROM bad
    UNION ALL
    SELECT 'episodes' AS tbl, ep_row AS row_no FROM bad WHERE ep_row IS NOT NULL
    """


@rule("118", tables=("episodes", "placed_for_adoption"), shows=("DATE_PLACED_CEASED",))
def _r118() -> str:
    """A placed-for-adoption record whose DATE_PLACED_CEASED is before 1 April of the
    collection year, or before the DECOM of the child's earliest episode whose legal
    status is not V3/V4 (short breaks; a blank LS counts as not V3/V4; ties go to the
    earlier row). The record is flagged, and that earliest episode with it. A date before
    1 April is flagged even when the child has no episode (the open validator needs one;
    DfE's message does not). Blank or invalid dates pass here. DfE's catalogue gives the
    affected fields as DECOM, DECOM and LS; the record's finding shows its
    DATE_PLACED_CEASED, the date tested, and the episode's DECOM and LS."""
    return """
    WITH earliest AS (
        SELECT row_no, child, decom_d FROM (
            SELECT row_no, child, decom_d,
                   row_number() OVER (PARTITION BY child ORDER BY decom_d, row_no) AS k
            FROM episodes
            WHERE decom_d IS NOT NULL AND ls IS DISTINCT FROM 'V3'
              AND ls IS DISTINCT FROM 'V4' AND child IS NOT NULL)
        WHERE k = 1
    ), bad AS (
        SELECT p.row_no AS pa_row, e.row_no AS ep_row
        FROM placed_for_adoption p CROSS JOIN collection c
        LEFT JOIN earliest e ON e.child = p.child
        WHERE p.date_placed_ceased_d < c.collection_start OR p.date_placed_ceased_d < e.decom_d
    )
    SELECT 'placed_for_adoption' AS tbl, pa_row AS row_no FROM bad
    UNION ALL
    SELECT 'episodes' AS tbl, ep_row AS row_no FROM bad WHERE ep_row IS NOT NULL
    """


@rule("119", tables=("placed_for_adoption",))
def _r119() -> str:
    """Exactly one of DATE_PLACED_CEASED and REASON_PLACED_CEASED present: a reversed
    decision needs both, a standing one neither."""
    return """
    SELECT 'placed_for_adoption' AS tbl, row_no FROM placed_for_adoption
    WHERE (date_placed_ceased IS NULL) <> (reason_placed_ceased IS NULL)
    """


@rule("120", tables=("placed_for_adoption",))
def _r120() -> str:
    """REASON_PLACED_CEASED present and not RD1, RD2, RD3 or RD4 (blank passes)."""
    return _invalid_code(
        "placed_for_adoption", "reason_placed_ceased", ("RD1", "RD2", "RD3", "RD4"), blank_ok=True
    )


@rule("131", tables=("oc3",))
def _r131() -> str:
    """OC3 IN_TOUCH blank or not one of YES, NO, DIED, REFU, NREQ, RHOM (an OC3 record
    exists to carry it, so blank fails)."""
    return _invalid_code("oc3", "in_touch", _IN_TOUCH, blank_ok=False)


@rule("132", tables=("oc3",))
def _r132() -> str:
    """OC3 ACTIV blank or not one of DfE's activity codes (F1...G6, or 0)."""
    return _invalid_code("oc3", "activ", _ACTIV, blank_ok=False)


@rule("133", tables=("oc3",))
def _r133() -> str:
    """OC3 ACCOM blank or not one of DfE's accommodation codes (B1...Z2, or 0)."""
    return _invalid_code("oc3", "accom", _ACCOM, blank_ok=False)


@rule("134", tables=("ad1", "oc3"))
def _r134() -> str:
    """An AD1 record with any adoption item present for a child whose OC3 record has any
    of IN_TOUCH, ACTIV, ACCOM present. The AD1 record is flagged (the adoption data is
    what should not be there)."""
    return f"""
    SELECT 'ad1' AS tbl, a.row_no FROM ad1 a
    WHERE {_any_present(_AD1_ITEMS, "a.")}
      AND EXISTS (SELECT 1 FROM oc3 o WHERE o.child = a.child
                  AND {_any_present(_OC3_ITEMS, "o.")})
    """


@rule("141", tables=("episodes",))
def _r141() -> str:
    """DECOM blank or not a dd/mm/yyyy date. Every episode has a start date, so a blank
    one is flagged too (the open validator passes a blank DECOM)."""
    return f"SELECT 'episodes' AS tbl, row_no FROM episodes WHERE {not_a_date('decom')}"


@rule("142", tables=("episodes",))
def _r142() -> str:
    """Every episode of a child but the latest (by DECOM; of two with the same DECOM the
    later row is the latest) with DEC or REC blank. Episodes whose DECOM is blank or
    invalid take no part (rule 141 flags them)."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE decom_d IS NOT NULL
    WINDOW w AS (PARTITION BY child ORDER BY decom_d, row_no)
    QUALIFY child IS NOT NULL AND lead(row_no) OVER w IS NOT NULL
        AND (dec IS NULL OR rec IS NULL)
    """


@rule("143", tables=("episodes",))
def _r143() -> str:
    """RNE present and not one of S, P, L, T, U, B (blank passes here)."""
    return _invalid_code("episodes", "rne", _RNE, blank_ok=True)


@rule("144", tables=("episodes",))
def _r144() -> str:
    """LS present and not one of DfE's legal status codes (blank passes here)."""
    return _invalid_code("episodes", "ls", _LS, blank_ok=True)


@rule("145", tables=("episodes",))
def _r145() -> str:
    """CIN present and not N1 to N8 (blank passes here)."""
    return _invalid_code("episodes", "cin", _CIN, blank_ok=True)


@rule("146", tables=("episodes",))
def _r146() -> str:
    """PLACE present and not a placement type of 2022-23 and 2023-24 (blank passes)."""
    return _invalid_code("episodes", "place", _PLACE_CODES["lac2022_23"], blank_ok=True)


@rule("146", tables=("episodes",), ruleset="lac2024_25")
def _r146_2024() -> str:
    """PLACE present and not a placement type of 2024-25: K3 (supported accommodation)
    joins. The open validator lists it as lower-case ``k3`` and so flags K3; DfE's code
    is upper case and passes here."""
    return _invalid_code("episodes", "place", _PLACE_CODES["lac2024_25"], blank_ok=True)


@rule("146", tables=("episodes",), ruleset="lac2025_26")
def _r146_2025() -> str:
    """PLACE present and not a placement type of 2025-26: H5, P2 and Z1 are withdrawn,
    Z1 is split into Z11 to Z14 (blank passes)."""
    return _invalid_code("episodes", "place", _PLACE_CODES["lac2025_26"], blank_ok=True)


@rule("147", tables=("episodes",))
def _r147() -> str:
    """DEC present but not a dd/mm/yyyy date (blank is an open episode and passes)."""
    return _invalid_date("episodes", "dec")


@rule("148", tables=("episodes",))
def _r148() -> str:
    """Exactly one of DEC and REC present (an invalid DEC counts as present)."""
    return """
    SELECT 'episodes' AS tbl, row_no FROM episodes WHERE (dec IS NULL) <> (rec IS NULL)
    """


@rule("149", tables=("episodes",))
def _r149() -> str:
    """REC present and not one of DfE's reasons episode ceased (blank passes here)."""
    return _invalid_code("episodes", "rec", _REC, blank_ok=True)


@rule("151", tables=("ad1",), shows=("NB_ADOPTR",))
def _r151() -> str:
    """AD1 record with some but not all of DATE_INT, DATE_MATCH, FOSTER_CARE, NB_ADOPTR,
    SEX_ADOPTR, LS_ADOPTR present (the catalogue's NB_ADOPTER is DfE's NB_ADOPTR).
    DfE's catalogue gives DATE_INT, DATE_MATCH, FOSTER_CARE, LS_ADOPTR, NB_ADOPTER and
    SEX_ADOPTR as the affected fields; the finding also shows the record's NB_ADOPTR, which
    the rule tests."""
    return f"""
    SELECT 'ad1' AS tbl, row_no FROM ad1
    WHERE {_any_present(_AD1_ITEMS)} AND NOT {_all_present(_AD1_ITEMS)}
    """


@rule("153", tables=("oc3",))
def _r153() -> str:
    """OC3 record with some but not all of IN_TOUCH, ACTIV, ACCOM present."""
    return f"""
    SELECT 'oc3' AS tbl, row_no FROM oc3
    WHERE {_any_present(_OC3_ITEMS)} AND NOT {_all_present(_OC3_ITEMS)}
    """


@rule("157", tables=("episodes", "oc2"))
def _r157() -> str:
    """OC2 record of a child looked after continuously for 12 months, aged 4 or over on
    1 April (4th birthday on or before it) and 16 or under on 31 March (17th birthday
    after it), with no SDQ_SCORE and SDQ_REASON SDQ1 (no score because the child is
    under 4 or over 16). Age from OC2's own DOB. The open validator takes "16 or under"
    as a 16th birthday on or after 31 March, which leaves out children who turned 16 in
    the year; DfE's wording includes them, so they are flagged here."""
    return f"""
    SELECT 'oc2' AS tbl, o.row_no FROM oc2 o, collection c
    WHERE o.child IN ({_CONTINUOUSLY_LOOKED_AFTER})
      AND o.dob_d + INTERVAL 4 YEAR <= c.collection_start
      AND o.dob_d + INTERVAL 17 YEAR > c.collection_end
      AND o.sdq_score IS NULL AND o.sdq_reason = 'SDQ1'
    """


@rule("158", tables=("oc2",))
def _r158() -> str:
    """INTERVENTION_RECEIVED is 1 and INTERVENTION_OFFERED is present."""
    return """
    SELECT 'oc2' AS tbl, row_no FROM oc2
    WHERE intervention_received = '1' AND intervention_offered IS NOT NULL
    """


@rule("159", tables=("oc2",))
def _r159() -> str:
    """SUBSTANCE_MISUSE is 1, INTERVENTION_RECEIVED is 0 and INTERVENTION_OFFERED blank."""
    return """
    SELECT 'oc2' AS tbl, row_no FROM oc2
    WHERE substance_misuse = '1' AND intervention_received = '0'
      AND intervention_offered IS NULL
    """


_UASC_EVER = """
    SELECT child FROM uasc WHERE child IS NOT NULL
    UNION SELECT child FROM uasc_last WHERE child IS NOT NULL
"""


@rule("164", tables=("episodes",), needs=("postcodes",))
def _r164() -> str:
    """Episode, not a short break (LS V3/V4), of a child not UASC (not in this year's
    UASC table, nor in last year's when given), whose distance (PL_DISTANCE, miles from
    HOME_POST to PL_POST) cannot be computed, because a postcode is blank or not in the
    reference table, or is outside 0.0 to 999.9. DfE's message ("check a valid postcode
    has been entered") and its note (false positives for formerly UASC children, who
    have no home postcode, when not identified as UASC) both mean an uncomputable
    distance fails. The open validator only flags a computed distance outside the
    range, which within the UK never happens."""
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE ls IS DISTINCT FROM 'V3' AND ls IS DISTINCT FROM 'V4'
      AND child NOT IN ({_UASC_EVER})
      AND coalesce(pc_miles(home_post, pl_post) > 999.9, true)
    """


@rule("165", tables=("header", "episodes", "oc3"))
def _r165() -> str:
    """Header whose MOTHER is present but not 0 or 1, or present for a male child, or
    blank for a female child unless she had no episode in the year (excluding short
    breaks, V3/V4) and has care leaver (OC3) data. This is DfE's specification as the
    open validator quotes it ("if not provided MOTHER then either GENDER is male or no
    episode record for current year and any of IN_TOUCH, ACTIV or ACCOM have been
    provided"); the open validator's code instead flags a mother status that IS given
    for such a care leaver, and never looks at a girl with no episodes. Male is SEX 1 or
    M, female 2 or F, in every year (so a return keeping the old codes in 2024-25 is
    still judged; rule 101 flags the codes; the open validator knows only 1 and 2). The
    header record is flagged, with the child's OC3 record when there is one. An episode
    is in the year when it starts by 31 March and ends on or after 1 April (or is
    open)."""
    return f"""
    WITH in_year AS (
        SELECT DISTINCT e.child FROM episodes e, collection c
        WHERE e.ls IS DISTINCT FROM 'V3' AND e.ls IS DISTINCT FROM 'V4'
          AND e.decom_d <= c.collection_end
          AND coalesce(e.dec_d, c.collection_end) >= c.collection_start
    ), leaver AS (
        SELECT DISTINCT child FROM oc3 WHERE {_any_present(_OC3_ITEMS)} AND child IS NOT NULL
    ), bad AS (
        SELECT h.row_no, h.child FROM header h
        WHERE (h.mother IS NOT NULL AND h.mother NOT IN ('0', '1'))
           OR (h.mother IS NOT NULL AND h.sex IN {sql_list(_MALE)})
           OR (h.mother IS NULL AND h.sex IN {sql_list(_FEMALE)}
               AND (h.child IN (SELECT child FROM in_year)
                    OR h.child NOT IN (SELECT child FROM leaver)))
    )
    SELECT 'header' AS tbl, row_no FROM bad
    UNION ALL
    SELECT 'oc3' AS tbl, o.row_no FROM oc3 o JOIN bad b ON b.child = o.child
    """


@rule("166", tables=("reviews",))
def _r166() -> str:
    """Review record whose REVIEW date is blank or not a dd/mm/yyyy date."""
    return f"SELECT 'reviews' AS tbl, row_no FROM reviews WHERE {not_a_date('review')}"


@rule("167", tables=("reviews",), shows=("REVIEW",))
def _r167() -> str:
    """Review record with a REVIEW date (valid or not) whose REVIEW_CODE is blank or not
    PN0 to PN7, or with no REVIEW date but a REVIEW_CODE.
    DfE's catalogue gives REVIEW_CODE as the affected field; the finding also shows the
    record's REVIEW, which the rule tests."""
    return f"""
    SELECT 'reviews' AS tbl, row_no FROM reviews
    WHERE NOT ((review IS NOT NULL AND coalesce(review_code IN {sql_list(_REVIEW_CODES)}, false))
               OR (review IS NULL AND review_code IS NULL))
    """


@rule("168", tables=("header",))
def _r168() -> str:
    """UPN present and neither a UPN's shape (a capital letter other than I, O or S,
    then 12 digits or 11 digits and a capital letter) nor an unknown code UN1 to UN5,
    case and surrounding blanks ignored (the pseudonym is keyed on the upper-cased UPN
    and the open validator upper-cases every value). No check letter is computed. A
    blank UPN passes here. The UPN is pseudonymised as it is read, so its shape is
    taken then, per record (``UPN_SHAPE``: ``ok`` or ``bad``), and the raw UPN is
    never staged."""
    return """
    SELECT 'header' AS tbl, row_no FROM header WHERE upn_shape = 'bad'
    """


@rule("105", tables=("header",), needs=("uasc_status",))
def _r105() -> str:
    """Header whose UASC status (the ``<UASC>`` element of the XML export's header) is
    blank or not one of 0 and 1. The CSV layout has no such field (a child is UASC when
    it has a UASC record), so on a CSV set the rule is reported as not run, where the
    open validator passes it."""
    return """
    SELECT 'header' AS tbl, row_no FROM header
    WHERE uasc IS NULL OR uasc NOT IN ('0', '1')
    """


_PL_LA_UNKNOWN = """
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE ls IS DISTINCT FROM 'V3' AND ls IS DISTINCT FROM 'V4'
      AND (pl_post IS NULL OR upper(replace(pl_post, ' ', '')) NOT IN
           (SELECT postcode FROM postcode_ref))
"""


@rule("169", tables=("episodes",), needs=("postcodes",))
def _r169() -> str:
    """Episode, not a short break (LS V3/V4), whose PL_LA cannot be derived: PL_LA is
    the authority in which the placement postcode lies, so it is missing exactly when
    PL_POST is blank or not in the reference postcode table (spaces and case ignored).
    A derived PL_LA is valid by construction."""
    return _PL_LA_UNKNOWN


@rule("171", tables=("header",))
def _r171() -> str:
    """MC_DOB (date of birth of the mother's child) present but not a dd/mm/yyyy date."""
    return _invalid_date("header", "mc_dob")


@rule("174", tables=("header",))
def _r174() -> str:
    """MC_DOB present (valid or not) for a male child: SEX 1 or M in any year (the open
    validator takes only 1 until 2023-24 and only M from 2024-25)."""
    return f"""
    SELECT 'header' AS tbl, row_no FROM header
    WHERE mc_dob IS NOT NULL AND sex IN {sql_list(_MALE)}
    """


@rule("175", tables=("ad1",))
def _r175() -> str:
    """NB_ADOPTR present and not 1 or 2 (blank passes)."""
    return _invalid_code("ad1", "nb_adoptr", ("1", "2"), blank_ok=True)


@rule("176", tables=("ad1",))
def _r176() -> str:
    """SEX_ADOPTR present and not M1, F1, MM, FF or MF (blank passes)."""
    return _invalid_code("ad1", "sex_adoptr", ("M1", "F1", "MM", "FF", "MF"), blank_ok=True)


@rule("177", tables=("ad1",))
def _r177() -> str:
    """LS_ADOPTR present and not L0, L11, L12, L2, L3 or L4 (blank passes)."""
    return _invalid_code("ad1", "ls_adoptr", ("L0", "L11", "L12", "L2", "L3", "L4"), blank_ok=True)


def _r178_sql(ruleset: str) -> str:
    return f"""
    SELECT 'episodes' AS tbl, row_no FROM episodes
    WHERE place_provider IS NOT NULL
      AND (place_provider NOT IN {sql_list(_PROVIDERS)}
           OR coalesce(place IN {sql_list(_NO_PROVIDER[ruleset])}, false))
    """


@rule("178", tables=("episodes",), shows=("PLACE",))
def _r178() -> str:
    """PLACE_PROVIDER present and either not PR0 to PR5, or given for a placement type
    that has no provider (T0 to T4, Z1). A blank provider passes here.
    DfE's catalogue gives PLACE_PROVIDER as the affected field; the finding also shows the
    record's PLACE, which the rule tests."""
    return _r178_sql("lac2022_23")


@rule("178", tables=("episodes",), ruleset="lac2025_26", shows=("PLACE",))
def _r178_2025() -> str:
    """PLACE_PROVIDER present and either not PR0 to PR5, or given for a placement type
    that has no provider from 2025-26 (T0 to T3, Z11 to Z14; T4 is no longer among
    them). A blank provider passes here.
    DfE's catalogue gives PLACE_PROVIDER as the affected field; the finding also shows the
    record's PLACE, which the rule tests."""
    return _r178_sql("lac2025_26")


@rule("179", tables=("episodes",), needs=("postcodes",))
def _r179() -> str:
    """Episode, not a short break (LS V3/V4), whose PL_LOCATION (IN or OUT of the
    authority) cannot be derived because PL_POST is blank or not in the reference
    postcode table. A derived PL_LOCATION is valid by construction, so this is the
    same test as rule 169's."""
    return _PL_LA_UNKNOWN


@rule("180", tables=("oc2",))
def _r180() -> str:
    """SDQ_SCORE present and not a whole number from 0 to 40 (``7.0`` counts as 7)."""
    return """
    SELECT 'oc2' AS tbl, row_no FROM oc2
    WHERE sdq_score IS NOT NULL
      AND NOT coalesce(try_cast(sdq_score AS DOUBLE) BETWEEN 0 AND 40
                       AND try_cast(sdq_score AS DOUBLE) = floor(try_cast(sdq_score AS DOUBLE)),
                       false)
    """


@rule("181", tables=("oc2",))
def _r181() -> str:
    """OC2 record with any of the eight 12-month items (CONVICTED, HEALTH_CHECK,
    IMMUNISATIONS, TEETH_CHECK, HEALTH_ASSESSMENT, SUBSTANCE_MISUSE,
    INTERVENTION_RECEIVED, INTERVENTION_OFFERED) present and not 0 or 1."""
    cond = " OR ".join(f"({f} IS NOT NULL AND {f} NOT IN ('0', '1'))" for f in OC2_ITEMS)
    return f"SELECT 'oc2' AS tbl, row_no FROM oc2 WHERE {cond}"


@rule("182", tables=("oc2",))
def _r182() -> str:
    """OC2 record with any of the eight 12-month items present but one of IMMUNISATIONS,
    TEETH_CHECK, HEALTH_ASSESSMENT, SUBSTANCE_MISUSE blank: those four must be
    completed unless the items are all blank. The open validator passes a record whose
    only present items are among the four (say IMMUNISATIONS given, TEETH_CHECK blank,
    the other six blank); that record is neither completed nor blank, so it is flagged
    here."""
    return f"""
    SELECT 'oc2' AS tbl, row_no FROM oc2
    WHERE {_any_present(OC2_ITEMS)} AND NOT {_all_present(_OC2_CORE)}
    """


@rule("184", tables=("header", "placed_for_adoption"))
def _r184() -> str:
    """Placed-for-adoption record whose DATE_PLACED is before the DOB on the child's
    header record (both valid dates; a placed-for-adoption record with no header passes)."""
    return """
    SELECT 'placed_for_adoption' AS tbl, p.row_no FROM placed_for_adoption p
    JOIN header h ON h.child = p.child
    WHERE p.date_placed_d < h.dob_d
    """


@rule("185", tables=("episodes", "oc2"))
def _r185() -> str:
    """OC2 record with SDQ_SCORE present for a child not looked after continuously for
    12 months at 31 March (derived from the episodes as for LOOKED_AFTER_CONTINUOUSLY:
    in care in the year with no start with reason S after 1 April, no ending other than
    X1 before 31 March and no V3/V4 short break; a child with no episodes is not)."""
    return f"""
    SELECT 'oc2' AS tbl, row_no FROM oc2
    WHERE sdq_score IS NOT NULL AND child NOT IN ({_CONTINUOUSLY_LOOKED_AFTER})
    """


@rule("186", tables=("episodes", "oc2"), shows=("DOB",))
def _r186() -> str:
    """OC2 record of a child looked after continuously for 12 months, aged 4 or over on
    1 April (4th birthday on or before it) and under 17 on 31 March (17th birthday after
    it), by OC2's DOB, with neither SDQ_SCORE nor SDQ_REASON: a reason for no score
    stands in for the score (rule 197a and 196 judge the reason).
    DfE's catalogue gives SDQ_SCORE as the affected field; the finding also shows the
    record's DOB, which the rule tests."""
    return f"""
    SELECT 'oc2' AS tbl, o.row_no FROM oc2 o, collection c
    WHERE o.child IN ({_CONTINUOUSLY_LOOKED_AFTER})
      AND o.dob_d + INTERVAL 4 YEAR <= c.collection_start
      AND o.dob_d + INTERVAL 17 YEAR > c.collection_end
      AND o.sdq_score IS NULL AND o.sdq_reason IS NULL
    """


@rule("187", tables=("episodes", "ad1", "oc3"))
def _r187() -> str:
    """For a child looked after continuously for 12 months at 31 March: the OC3 record
    if any of IN_TOUCH, ACTIV, ACCOM is present, and the AD1 record if any adoption item
    is present."""
    return f"""
    SELECT 'oc3' AS tbl, row_no FROM oc3
    WHERE {_any_present(_OC3_ITEMS)} AND child IN ({_CONTINUOUSLY_LOOKED_AFTER})
    UNION ALL
    SELECT 'ad1' AS tbl, row_no FROM ad1
    WHERE {_any_present(_AD1_ITEMS)} AND child IN ({_CONTINUOUSLY_LOOKED_AFTER})
    """


@rule("188", tables=("oc2",), shows=("DOB",))
def _r188() -> str:
    """OC2 record of a child under 4 on 31 March (4th birthday after it; OC2's DOB) with
    SDQ_SCORE or SDQ_REASON present. A child who turns 4 on 31 March passes.
    DfE's catalogue gives SDQ_REASON and SDQ_SCORE as the affected fields; the finding also
    shows the record's DOB, which the rule tests."""
    return """
    SELECT 'oc2' AS tbl, o.row_no FROM oc2 o, collection c
    WHERE o.dob_d + INTERVAL 4 YEAR > c.collection_end
      AND (o.sdq_score IS NOT NULL OR o.sdq_reason IS NOT NULL)
    """


@rule("189", tables=("oc2",))
def _r189() -> str:
    """OC2 record of a child whose 17th birthday (OC2's DOB) is before 1 April with
    SDQ_SCORE or SDQ_REASON present. A child whose 17th birthday is 1 April itself passes,
    as in the open validator: rule 197B asks an SDQ score or reason of that child (17th
    birthday in the collection year), so flagging it here would leave no valid OC2
    record for a child born on 1 April."""
    return """
    SELECT 'oc2' AS tbl, o.row_no FROM oc2 o, collection c
    WHERE o.dob_d + INTERVAL 17 YEAR < c.collection_start
      AND (o.sdq_score IS NOT NULL OR o.sdq_reason IS NOT NULL)
    """


@rule("190", tables=("episodes", "oc2"))
def _r190() -> str:
    """OC2 record with any of the eight 12-month items present for a child not looked
    after continuously for 12 months at 31 March (see rule 185 for how that is derived)."""
    return f"""
    SELECT 'oc2' AS tbl, row_no FROM oc2
    WHERE {_any_present(OC2_ITEMS)} AND child NOT IN ({_CONTINUOUSLY_LOOKED_AFTER})
    """


@rule("191", tables=("episodes", "oc2"))
def _r191() -> str:
    """For a child looked after continuously for 12 months at 31 March: the OC2 record
    when IMMUNISATIONS, TEETH_CHECK, HEALTH_ASSESSMENT or SUBSTANCE_MISUSE is blank, or,
    when the child has no OC2 record at all, the child's earliest episode (by DECOM,
    then row)."""
    return f"""
    WITH cla AS ({_CONTINUOUSLY_LOOKED_AFTER})
    SELECT 'oc2' AS tbl, row_no FROM oc2
    WHERE child IN (SELECT child FROM cla) AND NOT {_all_present(_OC2_CORE)}
    UNION ALL
    SELECT 'episodes' AS tbl, row_no FROM (
        SELECT row_no, child,
               row_number() OVER (PARTITION BY child ORDER BY decom_d, row_no) AS k
        FROM episodes WHERE decom_d IS NOT NULL)
    WHERE k = 1 AND child IN (SELECT child FROM cla)
      AND child NOT IN (SELECT child FROM oc2 WHERE child IS NOT NULL)
    """


@rule("192", tables=("oc2",))
def _r192() -> str:
    """SUBSTANCE_MISUSE is 1 and INTERVENTION_RECEIVED blank."""
    return """
    SELECT 'oc2' AS tbl, row_no FROM oc2
    WHERE substance_misuse = '1' AND intervention_received IS NULL
    """


@rule("193", tables=("oc2",))
def _r193() -> str:
    """SUBSTANCE_MISUSE blank or 0, and INTERVENTION_RECEIVED or INTERVENTION_OFFERED
    present."""
    return """
    SELECT 'oc2' AS tbl, row_no FROM oc2
    WHERE (substance_misuse IS NULL OR substance_misuse = '0')
      AND (intervention_received IS NOT NULL OR intervention_offered IS NOT NULL)
    """


@rule("196", tables=("oc2",))
def _r196() -> str:
    """SDQ_REASON present and not SDQ1 to SDQ5 (blank passes)."""
    return _invalid_code("oc2", "sdq_reason", _SDQ_REASONS, blank_ok=True)


@rule("197B", tables=("episodes", "oc2"))
def _r197b() -> str:
    """OC2 record of a child looked after continuously for 12 months whose 4th or 17th
    birthday (OC2's DOB) falls in the collection year (1 April to 31 March inclusive),
    with neither SDQ_SCORE nor SDQ_REASON."""
    return f"""
    SELECT 'oc2' AS tbl, o.row_no FROM oc2 o, collection c
    WHERE o.child IN ({_CONTINUOUSLY_LOOKED_AFTER})
      AND (o.dob_d + INTERVAL 4 YEAR BETWEEN c.collection_start AND c.collection_end
           OR o.dob_d + INTERVAL 17 YEAR BETWEEN c.collection_start AND c.collection_end)
      AND o.sdq_score IS NULL AND o.sdq_reason IS NULL
    """


@rule("197a", tables=("oc2",))
def _r197a() -> str:
    """SDQ_SCORE and SDQ_REASON both present."""
    return """
    SELECT 'oc2' AS tbl, row_no FROM oc2
    WHERE sdq_score IS NOT NULL AND sdq_reason IS NOT NULL
    """


@rule("198", tables=("episodes", "oc2"))
def _r198() -> str:
    """OC2 record with SDQ_REASON present for a child not looked after continuously for
    12 months at 31 March (see rule 185)."""
    return f"""
    SELECT 'oc2' AS tbl, row_no FROM oc2
    WHERE sdq_reason IS NOT NULL AND child NOT IN ({_CONTINUOUSLY_LOOKED_AFTER})
    """


@rule("199", tables=("episodes",))
def _r199() -> str:
    """This year's episode of a child who was adopted from care earlier: taking the
    child's episodes of this year's return and, when given, last year's, in DECOM order
    (last year's first on the same date, then by row), an episode is flagged when an
    episode ending in adoption (REC E11 or E12) came before it or it is itself a second
    such episode. An episode of last year with the same child and DECOM as one of this
    year is the same episode carried over, and this year's record of it is the one
    used (the open validator keeps both, in no set order). The first adoption episode
    is not flagged. Episodes with a blank or invalid DECOM take no part. Runs without
    the previous year, which only widens what it can see (DfE's note: only the data
    loaded is tested)."""
    return """
    WITH eps AS (
        SELECT row_no, child, decom_d, rec, 1 AS cur FROM episodes
        UNION ALL
        SELECT l.row_no, l.child, l.decom_d, l.rec, 0 AS cur FROM episodes_last l
        WHERE NOT EXISTS (SELECT 1 FROM episodes e
                          WHERE e.child = l.child AND e.decom_d = l.decom_d)
    ), counted AS (
        SELECT row_no, cur, coalesce(rec IN ('E11', 'E12'), false) AS adopted,
               sum(CASE WHEN rec IN ('E11', 'E12') THEN 1 ELSE 0 END) OVER (
                   PARTITION BY child ORDER BY decom_d, cur, row_no
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS adoptions
        FROM eps WHERE decom_d IS NOT NULL AND child IS NOT NULL
    )
    SELECT 'episodes' AS tbl, row_no FROM counted
    WHERE cur = 1 AND adoptions > 0 AND NOT (adoptions = 1 AND adopted)
    """
