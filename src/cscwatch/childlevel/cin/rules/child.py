"""Rules on the header, child identifiers, characteristics and disabilities."""

from __future__ import annotations

from cscwatch.childlevel.cin.rules.base import rule
from cscwatch.childlevel.cin.rules.sql import (
    DISABILITIES,
    ETHNICITIES,
    GENDERS,
    R_CHILD,
    R_D,
    R_RETURN,
    SEXES,
    UPN_UNKNOWN,
    sql_list,
)

__all__: list[str] = []

# UPN characters 2-4: post-April-1998 LA numbers and the recognised pseudo-LA codes,
# as listed in the 2022-23 rule text; ranges inclusive.
_UPN_LA_RANGES_2022 = [
    (1, 5), (201, 213), (301, 320), (330, 336), (340, 344), (350, 359), (370, 373),
    (380, 384), (390, 394), (420, 420), (660, 681), (701, 708), (800, 803), (805, 808),
    (810, 813), (815, 816), (820, 823), (825, 826), (830, 831), (835, 841), (845, 846),
    (850, 852), (855, 857), (860, 861), (865, 896), (908, 909), (916, 916), (919, 919),
    (921, 921), (925, 926), (928, 929), (931, 931), (933, 933), (935, 938), (940, 941),
]  # fmt: skip
# 2023-24 adds the authorities created on 1 April 2023: Cumberland (942) and
# Westmorland and Furness (943).
_UPN_LA_RANGES_2023 = [*_UPN_LA_RANGES_2022, (942, 943)]

# UPN-unknown reasons that can apply to a school-age child with a referral that went on.
_UPN_REASONS_AT_SCHOOL = tuple(r for r in UPN_UNKNOWN if r not in ("UN1", "UN7"))


def _la_codes(ranges: list[tuple[int, int]]) -> str:
    return sql_list(f"{n:03d}" for lo, hi in ranges for n in range(lo, hi + 1))


# ---- Header ---------------------------------------------------------------------------


@rule("100", "Header", "Error", "Reference Date is incorrect", table="cin_return",
      field="ReferenceDate")  # fmt: skip
def _r100() -> str:
    """<ReferenceDate> must be present and equal 31 March of the ruleset's collection year.

    The published text names 2022-03-31 (a year behind); read as the census end date of
    the collection the ruleset is for (2023-03-31 for 2022-23, and so on).
    """
    return f"""
    SELECT h.return_id, {R_RETURN} FROM census h
    WHERE h.header_reference_date IS DISTINCT FROM h.reference_date
    """


# ---- Return-level counts ----------------------------------------------------------------


@rule("2886Q", "ChildIdentifiers", "Query",
      "Please check and either amend or provide a reason: Percentage of children with no "
      "gender recorded is more than 2% (excluding unborns)",
      table="cin_child", field="GenderCurrent")  # fmt: skip
def _r2886q() -> str:
    """Children with <GenderCurrent> 0 or missing and no <ExpectedPersonBirthDate>, over
    all children in the return, must not exceed 2%. The text is cut off after "divided by
    the total number of"; read as the total number of children. One issue per return."""
    return f"""
    SELECT h.return_id, {R_RETURN} FROM census h JOIN v_child c USING (return_id)
    GROUP BY h.return_id
    HAVING count(*) FILTER (WHERE (c.sex IS NULL OR c.sex = '0')
                            AND c.expected_birth_date IS NULL) > 0.02 * count(*)
    """


@rule("2886Q", "ChildIdentifiers", "Query",
      "Please check and either amend or provide a reason: Percentage of children with no "
      "sex recorded is more than 2% (excluding unborns)",
      table="cin_child", field="Sex", ruleset="cin2024_25")  # fmt: skip
def _r2886q_2024() -> str:
    """As 2022-23 with <Sex>: "no sex recorded" read as <Sex> missing, ``U`` (unknown) or
    the old ``0``, among children with no <ExpectedPersonBirthDate>, over all children."""
    return f"""
    SELECT h.return_id, {R_RETURN} FROM census h JOIN v_child c USING (return_id)
    GROUP BY h.return_id
    HAVING count(*) FILTER (WHERE (c.sex IS NULL OR upper(c.sex) IN ('U', '0'))
                            AND c.expected_birth_date IS NULL) > 0.02 * count(*)
    """


@rule("2887Q", "Disabilities", "Query",
      "Please check and either amend or provide a reason: Less than 8 disability codes "
      "have been used in your return", table="cin_disability", field="Disability")  # fmt: skip
def _r2887q() -> str:
    """Excluding NONE, the number of distinct disability codes used in the return must
    be more than 7. One issue per return."""
    return f"""
    SELECT h.return_id, {R_RETURN} FROM census h
    LEFT JOIN v_disability d ON d.return_id = h.return_id AND d.disability <> 'NONE'
    GROUP BY h.return_id HAVING count(DISTINCT d.disability) < 8
    """


@rule("2888Q", "Disabilities", "Query",
      "Please check and either amend or provide a reason: Only one disability code is "
      "recorded per child and multiple disabilities should be recorded where possible.",
      table="cin_disability", field="Disability")  # fmt: skip
def _r2888q() -> str:
    """Excluding NONE, at least one child in the return must have more than one
    disability. One issue per return."""
    return f"""
    SELECT h.return_id, {R_RETURN} FROM census h
    WHERE NOT EXISTS (
        SELECT 1 FROM v_disability d
        WHERE d.return_id = h.return_id AND d.disability <> 'NONE'
        GROUP BY d.child_seq HAVING count(*) > 1)
    """


# ---- UPN and LA child ID ------------------------------------------------------------------


@rule("1510", "ChildIdentifiers", "Error", "UPN invalid (wrong check letter at character 1)",
      table="cin_child", field="UPN")  # fmt: skip
def _r1510() -> str:
    """A 13-character <UPN> must carry the right check letter (DfE UPN guide: characters
    2-13 weighted 2-13, sum modulo 23). Computed at ingest, before hashing; a UPN of the
    wrong length is left to 1540/1550."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.upn_hash IS NOT NULL AND c.upn_length_ok AND NOT c.upn_check_ok
    """


@rule("1520", "ChildIdentifiers", "Error", "More than one record with the same UPN.",
      table="cin_child", field="UPN")  # fmt: skip
def _r1520() -> str:
    """Each <UPN> must be unique across the return; every child sharing one is reported
    (compared by pseudonym, so the same UPN always matches)."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.upn_hash IS NOT NULL
    QUALIFY count(*) OVER (PARTITION BY c.return_id, c.upn_hash) > 1
    """


@rule("1530", "ChildIdentifiers", "Error",
      "UPN invalid (characters 2-4 not a recognised LA code)", table="cin_child",
      field="UPN")  # fmt: skip
def _r1530() -> str:
    """Characters 2-4 of <UPN> must be a post-April-1998 LA number or a recognised
    pseudo-LA code (the list in the rule text: 001-005, 201-213, ... 940-941)."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.upn_hash IS NOT NULL
      AND (c.upn_la_code IS NULL OR c.upn_la_code NOT IN {_la_codes(_UPN_LA_RANGES_2022)})
    """


@rule("1530", "ChildIdentifiers", "Error",
      "UPN invalid (characters 2-4 not a recognised LA code)", table="cin_child",
      field="UPN", ruleset="cin2023_24")  # fmt: skip
def _r1530_2023() -> str:
    """As 2022-23, with the LA numbers of the authorities created on 1 April 2023
    (942 Cumberland, 943 Westmorland and Furness) added: the published change gives no
    text, and this is the change the 2023 reorganisation requires."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.upn_hash IS NOT NULL
      AND (c.upn_la_code IS NULL OR c.upn_la_code NOT IN {_la_codes(_UPN_LA_RANGES_2023)})
    """


@rule("1540", "ChildIdentifiers", "Error", "UPN invalid (characters 5-12 not all numeric)",
      table="cin_child", field="UPN")  # fmt: skip
def _r1540() -> str:
    """If <UPN> is present, characters 5-12 must be digits (a UPN too short to have
    them fails)."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.upn_hash IS NOT NULL AND NOT c.upn_digits_ok
    """


@rule("1550", "ChildIdentifiers", "Error",
      "UPN invalid (character 13 not a recognised value)", table="cin_child",
      field="UPN")  # fmt: skip
def _r1550() -> str:
    """If <UPN> is present, character 13 must be a digit or a letter other than I, O, S
    (a UPN shorter than 13 characters fails)."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.upn_hash IS NOT NULL AND NOT c.upn_char13_ok
    """


@rule("1560Q", "ChildIdentifiers", "Query",
      "Please check and either amend or provide a reason: Former UPN wrongly formatted",
      table="cin_child", field="FormerUPN")  # fmt: skip
def _r1560q() -> str:
    """A <FormerUPN> must pass the UPN format tests: 13 characters, check letter,
    digits 5-12, character 13 (the LA code is not part of "format")."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.former_upn_hash IS NOT NULL AND NOT c.former_upn_format_ok
    """


@rule("1570", "ChildIdentifiers", "Error",
      "LA Child ID must not be longer than 20 characters", table="cin_child",
      field="LAchildID", ruleset="cin2024_25")  # fmt: skip
def _r1570() -> str:
    """<LAchildID> longer than 20 characters (length measured at ingest)."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c WHERE c.la_child_id_length > 20
    """


@rule("1580", "ChildIdentifiers", "Error",
      "LA Child ID must not contain any non-alphanumeric characters", table="cin_child",
      field="LAchildID", ruleset="cin2024_25")  # fmt: skip
def _r1580() -> str:
    """<LAchildID> must be only ASCII letters and digits (checked at ingest)."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.child_id IS NOT NULL AND NOT c.la_child_id_alnum
    """


@rule("8500", "ChildIdentifiers", "Error", "LA Child ID missing", table="cin_child",
      field="LAchildID")  # fmt: skip
def _r8500() -> str:
    """<LAchildID> must be present."""
    return f"SELECT c.return_id, {R_CHILD} FROM v_child c WHERE c.child_id IS NULL"


@rule("8510", "ChildIdentifiers", "Error",
      "More than one child record with the same LA Child ID", table="cin_child",
      field="LAchildID")  # fmt: skip
def _r8510() -> str:
    """Each <LAchildID> must be unique within the return; every child sharing one is
    reported."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.child_id IS NOT NULL
    QUALIFY count(*) OVER (PARTITION BY c.return_id, c.child_id) > 1
    """


# ---- Sex, ethnicity, dates of birth and death -----------------------------------------------


@rule("4180", "ChildIdentifiers", "Error", "Gender is missing", table="cin_child",
      field="GenderCurrent")  # fmt: skip
def _r4180() -> str:
    """<GenderCurrent> must be present and one of 0, 1, 2, 9."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.sex IS NULL OR c.sex NOT IN {sql_list(GENDERS)}
    """


@rule("4180", "ChildIdentifiers", "Error", "Sex must be provided and equal M, F, or U",
      table="cin_child", field="Sex", ruleset="cin2024_25")  # fmt: skip
def _r4180_2024() -> str:
    """<Sex> must be present and one of M, F, U."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.sex IS NULL OR c.sex NOT IN {sql_list(SEXES)}
    """


@rule("4220", "ChildCharacteristics", "Error",
      "Ethnicity is missing or invalid (see Ethnicity table)", table="cin_child",
      field="Ethnicity")  # fmt: skip
def _r4220() -> str:
    """<Ethnicity> must be present and in the ethnicity code set (no text published)."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.ethnicity IS NULL OR c.ethnicity NOT IN {sql_list(ETHNICITIES)}
    """


@rule("8520", "ChildIdentifiers", "Error",
      "Date of Birth is after data collection period (must be on or before the end of "
      "the census period)", table="cin_child", field="PersonBirthDate")  # fmt: skip
def _r8520() -> str:
    """<PersonBirthDate> must be on or before <ReferenceDate>, or absent."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c JOIN census h USING (return_id)
    WHERE c.birth_date > h.reference_date
    """


@rule("8525Q", "ChildIdentifiers", "Query",
      "Either Date of Birth or Expected Date of Birth must be provided (but not both)",
      table="cin_child", field="PersonBirthDate")  # fmt: skip
def _r8525q() -> str:
    """Exactly one of <PersonBirthDate> and <ExpectedPersonBirthDate> (no text
    published; read from the message). A date present but invalid counts as absent."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE (c.birth_date IS NULL) = (c.expected_birth_date IS NULL)
    """


@rule("8530Q", "ChildIdentifiers", "Query",
      "Please check and either amend data or provide a reason: Expected Date of Birth is "
      "outside the expected range for this census (March to December of the Census Year "
      "end)", table="cin_child", field="ExpectedPersonBirthDate")  # fmt: skip
def _r8530q() -> str:
    """<ExpectedPersonBirthDate>, if present, between <ReferenceDate> minus 30 days and
    <ReferenceDate> plus 9 months, inclusive."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c JOIN census h USING (return_id)
    WHERE c.expected_birth_date NOT BETWEEN h.reference_date - INTERVAL 30 DAY
                                        AND h.reference_date + INTERVAL 9 MONTH
    """


@rule("8535Q", "ChildIdentifiers", "Query",
      "Please check and either amend data or provide a reason: Child’s date of death "
      "should not be prior to the date of birth", table="cin_child",
      field="PersonDeathDate")  # fmt: skip
def _r8535q() -> str:
    """<PersonDeathDate>, if present, on or after <PersonBirthDate>."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c WHERE c.death_date < c.birth_date
    """


@rule("8545Q", "ChildIdentifiers", "Query",
      "Please check and either amend data or provide a reason: Child's date of death "
      "should be within the census year", table="cin_child",
      field="PersonDeathDate")  # fmt: skip
def _r8545q() -> str:
    """<PersonDeathDate>, if present, within the census year (1 April to
    <ReferenceDate> inclusive)."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c JOIN census h USING (return_id)
    WHERE c.death_date NOT BETWEEN h.period_start AND h.reference_date
    """


@rule("8750", "ChildIdentifiers", "Error", "Gender must equal 0 for an unborn child",
      table="cin_child", field="GenderCurrent")  # fmt: skip
def _r8750() -> str:
    """With <ExpectedPersonBirthDate> present and <PersonBirthDate> absent,
    <GenderCurrent> must be 0."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.expected_birth_date IS NOT NULL AND c.birth_date IS NULL
      AND c.sex IS DISTINCT FROM '0'
    """


@rule("8750", "ChildIdentifiers", "Error", "Sex must equal U for an unborn child",
      table="cin_child", field="Sex", ruleset="cin2024_25")  # fmt: skip
def _r8750_2024() -> str:
    """With <ExpectedPersonBirthDate> present and <PersonBirthDate> absent, <Sex> must be
    U. The rule text still says "0" (carried over from <GenderCurrent>); the message and
    the 2024-25 code set say U, which is followed here."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.expected_birth_date IS NOT NULL AND c.birth_date IS NULL
      AND c.sex IS DISTINCT FROM 'U'
    """


# ---- UPN unknown reasons ------------------------------------------------------------------


@rule("8770Q", "ChildIdentifiers", "Query",
      "Please check and either amend data or provide a reason: UPN or reason UPN missing "
      "expected for a child who is more than 5 years old", table="cin_child",
      field="UPNunknown")  # fmt: skip
def _r8770q() -> str:
    """A child aged 6 or more at <ReferenceDate> (born on or before it minus 6 years)
    with at least one episode whose <ReferralNFA> is false should have a <UPN> or a
    reason that can apply: UN1 ("under 6, not yet in school") cannot for a child of that
    age, nor UN7 ("referral with no further action") for a referral that went on, so the
    valid reasons are UN2 to UN6."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c JOIN census h USING (return_id)
    WHERE c.birth_date <= h.reference_date - INTERVAL 6 YEAR
      AND c.upn_hash IS NULL
      AND (c.upn_unknown IS NULL OR c.upn_unknown NOT IN {sql_list(_UPN_REASONS_AT_SCHOOL)})
      AND EXISTS (SELECT 1 FROM v_episode e
                  WHERE e.return_id = c.return_id AND e.child_seq = c.child_seq
                    AND e.referral_nfa = FALSE)
    """


@rule("8770Q", "ChildIdentifiers", "Query",
      "Please check and either amend data or provide a reason: UPN is missing or reason "
      "UPN is missing or is UN1 for a child who is of school age.", table="cin_child",
      field="UPNunknown", ruleset="cin2024_25")  # fmt: skip
def _r8770q_2024() -> str:
    """A child of school age with an episode whose <ReferralNFA> is false should have a
    <UPN>, or a reason other than UN1 ("not yet in school") that can apply: UN2 to UN6
    (UN7, "referral with no further action", cannot apply to a referral that went on).
    The text compares <PersonBirthDate> with <ReferenceDate> minus 4 years using
    "greater than or equal to", which would select the youngest children; read as school
    age, i.e. born on or before <ReferenceDate> minus 4 years."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c JOIN census h USING (return_id)
    WHERE c.birth_date <= h.reference_date - INTERVAL 4 YEAR
      AND c.upn_hash IS NULL
      AND (c.upn_unknown IS NULL OR c.upn_unknown NOT IN {sql_list(_UPN_REASONS_AT_SCHOOL)})
      AND EXISTS (SELECT 1 FROM v_episode e
                  WHERE e.return_id = c.return_id AND e.child_seq = c.child_seq
                    AND e.referral_nfa = FALSE)
    """


@rule("8772", "ChildIdentifiers", "Error",
      "UPN unknown reason is UN7 (Referral with no further action) but at least one CIN "
      "details is a referral going on to further action", table="cin_child",
      field="UPNunknown")  # fmt: skip
def _r8772() -> str:
    """<UPNunknown> UN7 requires every episode's <ReferralNFA> to be true (a missing or
    invalid flag is not true)."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.upn_unknown = 'UN7'
      AND EXISTS (SELECT 1 FROM v_episode e
                  WHERE e.return_id = c.return_id AND e.child_seq = c.child_seq
                    AND e.referral_nfa IS NOT TRUE)
    """


@rule("8775Q", "ChildIdentifiers", "Query",
      "Please check and either amend data or provide a reason: Child is over 25 years old",
      table="cin_child", field="PersonBirthDate")  # fmt: skip
def _r8775q() -> str:
    """Born before <ReferenceDate> minus 25 years and with an episode whose
    <CINclosureDate> is missing or after the 25th birthday."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c JOIN census h USING (return_id)
    WHERE c.birth_date < h.reference_date - INTERVAL 25 YEAR
      AND EXISTS (SELECT 1 FROM v_episode e
                  WHERE e.return_id = c.return_id AND e.child_seq = c.child_seq
                    AND (e.closure_date IS NULL
                         OR e.closure_date > c.birth_date + INTERVAL 25 YEAR))
    """


@rule("8590", "ChildIdentifiers", "Error", "Child does not have a recorded CIN episode.",
      table="cin_child", field="LAchildID")  # fmt: skip
def _r8590() -> str:
    """Each child must have at least one <CINdetails> group."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE NOT EXISTS (SELECT 1 FROM v_episode e
                      WHERE e.return_id = c.return_id AND e.child_seq = c.child_seq)
    """


# ---- Disabilities -----------------------------------------------------------------------


@rule("8540", "ChildCharacteristics", "Error",
      "Child’s disability is missing or invalid (see Disability table)",
      table="cin_disability", field="Disability")  # fmt: skip
def _r8540() -> str:
    """Missing: with <PersonBirthDate> present and at least one episode whose
    <ReferralNFA> is false, at least one <Disability> must be present (reported on the
    child). Invalid: any <Disability> outside the code set (reported on the value)."""
    return f"""
    SELECT c.return_id, {R_CHILD} FROM v_child c
    WHERE c.birth_date IS NOT NULL
      AND EXISTS (SELECT 1 FROM v_episode e
                  WHERE e.return_id = c.return_id AND e.child_seq = c.child_seq
                    AND e.referral_nfa = FALSE)
      AND NOT EXISTS (SELECT 1 FROM v_disability d
                      WHERE d.return_id = c.return_id AND d.child_seq = c.child_seq
                        AND d.disability IS NOT NULL)
    UNION ALL
    SELECT d.return_id, {R_D} FROM v_disability d
    WHERE d.disability IS NULL OR d.disability NOT IN {sql_list(DISABILITIES)}
    """


@rule("8790", "Disabilities", "Error",
      "Disability information includes both None and other values",
      table="cin_disability", field="Disability")  # fmt: skip
def _r8790() -> str:
    """A child with NONE must have no other <Disability> (no text published)."""
    return f"""
    SELECT d.return_id, {R_D} FROM v_disability d
    WHERE d.disability = 'NONE'
      AND EXISTS (SELECT 1 FROM v_disability o
                  WHERE o.return_id = d.return_id AND o.child_seq = d.child_seq
                    AND o.disability <> 'NONE')
    """


@rule("8794", "Disabilities", "Error", "Child has two or more disabilities with the same code",
      table="cin_disability", field="Disability")  # fmt: skip
def _r8794() -> str:
    """No <Disability> value may appear more than once for a child; every repeat after
    the first is reported."""
    return f"""
    SELECT d.return_id, {R_D} FROM v_disability d
    WHERE d.disability IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY d.return_id, d.child_seq, d.disability
                               ORDER BY d.disability_seq) > 1
    """
