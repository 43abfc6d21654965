"""SQL fragments shared by the rule modules: record locators and the CIN code sets."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "ABUSE_CATEGORIES",
    "DISABILITIES",
    "ETHNICITIES",
    "GENDERS",
    "PRIMARY_NEEDS",
    "REASONS_FOR_CLOSURE",
    "REFERRAL_SOURCES",
    "R_A",
    "R_CHILD",
    "R_CP",
    "R_D",
    "R_EP",
    "R_F",
    "R_P",
    "R_R",
    "R_RETURN",
    "R_S",
    "SEXES",
    "UPN_UNKNOWN",
    "VALUE_COLUMNS",
    "fill_value",
    "sql_list",
]


def sql_list(values: Iterable[str]) -> str:
    """``('a', 'b')`` for use after ``IN``."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


# Record locators: the columns (child_seq, record, tbl, value) for a failing row of
# each table. ``tbl`` names the table holding the record (so a finding is labelled by the
# record it is on, whatever table the rule is filed under); ``value`` is a placeholder
# that :func:`fill_value` turns into the rule's field on that record.
_VALUE = "/*value:{}*/NULL::VARCHAR AS value"
R_RETURN = (
    f"NULL::INTEGER AS child_seq, 'return' AS record, 'cin_return' AS tbl, {_VALUE.format('h')}"
)
R_CHILD = f"c.child_seq, 'child' AS record, 'cin_child' AS tbl, {_VALUE.format('c')}"
R_D = (
    "d.child_seq, 'disability ' || d.disability_seq AS record, 'cin_disability' AS tbl, "
    + _VALUE.format("d")
)
R_EP = "e.child_seq, 'episode ' || e.episode_seq AS record, 'cin_episode' AS tbl, " + _VALUE.format(
    "e"
)
R_A = (
    "a.child_seq, 'episode ' || a.episode_seq || ', assessment ' || a.assessment_seq "
    "AS record, 'cin_assessment' AS tbl, " + _VALUE.format("a")
)
R_F = (
    "f.child_seq, 'episode ' || f.episode_seq || ', assessment ' || f.assessment_seq "
    "|| ', factor ' || f.factor_seq AS record, 'cin_assessment_factor' AS tbl, "
    + _VALUE.format("f")
)
R_P = (
    "p.child_seq, 'episode ' || p.episode_seq || ', CIN plan ' || p.plan_seq AS record, "
    "'cin_plan' AS tbl, " + _VALUE.format("p")
)
R_S = (
    "s.child_seq, 'episode ' || s.episode_seq || ', section 47 ' || s.s47_seq AS record, "
    "'cin_section47' AS tbl, " + _VALUE.format("s")
)
R_CP = (
    "cp.child_seq, 'episode ' || cp.episode_seq || ', child protection plan ' "
    "|| cp.cpp_seq AS record, 'cin_cpp' AS tbl, " + _VALUE.format("cp")
)
R_R = (
    "r.child_seq, 'episode ' || r.episode_seq || ', child protection plan ' || r.cpp_seq "
    "|| ', review ' || r.review_seq AS record, 'cin_cpp_review' AS tbl, " + _VALUE.format("r")
)

#: The column each XML field is held in, by the alias of its table in the rules' SQL.
#: Identifiers (LAchildID, UPN, FormerUPN) have none: they are pseudonymised on reading.
VALUE_COLUMNS: dict[str, dict[str, str]] = {
    "h": {"ReferenceDate": "header_reference_date"},
    "c": {
        "PersonBirthDate": "birth_date",
        "ExpectedPersonBirthDate": "expected_birth_date",
        "PersonDeathDate": "death_date",
        "Sex": "sex",
        "GenderCurrent": "sex",
        "Ethnicity": "ethnicity",
        "UPNunknown": "upn_unknown",
    },
    "d": {"Disability": "disability"},
    "e": {
        "CINreferralDate": "referral_date",
        "ReferralSource": "referral_source",
        "PrimaryNeedCode": "primary_need_code",
        "CINclosureDate": "closure_date",
        "ReasonForClosure": "reason_for_closure",
        "DateOfInitialCPC": "initial_cpc_date",
        "ReferralNFA": "referral_nfa",
    },
    "a": {
        "AssessmentActualStartDate": "start_date",
        "AssessmentAuthorisationDate": "authorisation_date",
    },
    "f": {"AssessmentFactors": "factor"},
    "p": {"CINPlanStartDate": "start_date", "CINPlanEndDate": "end_date"},
    "s": {
        "S47ActualStartDate": "start_date",
        "InitialCPCtarget": "icpc_target_date",
        "DateOfInitialCPC": "icpc_date",
        "ICPCnotRequired": "icpc_not_required",
    },
    "cp": {
        "CPPstartDate": "start_date",
        "CPPendDate": "end_date",
        "InitialCategoryOfAbuse": "initial_category",
        "LatestCategoryOfAbuse": "latest_category",
        "NumberOfPreviousCPP": "previous_cpp_count",
    },
    "r": {"CPPreviewDate": "review_date"},
}

_PLACEHOLDER = re.compile(r"/\*value:(\w+)\*/NULL::VARCHAR")


def fill_value(sql: str, field: str) -> str:
    """Replace each locator's value placeholder with ``field``'s column on that record.

    Where the record's table has no such column (an identifier, a count over the return)
    the value stays NULL.
    """

    def column(m: re.Match[str]) -> str:
        alias = m.group(1)
        col = VALUE_COLUMNS.get(alias, {}).get(field)
        return "NULL::VARCHAR" if col is None else f"CAST({alias}.{col} AS VARCHAR)"

    return _PLACEHOLDER.sub(column, sql)


#: CIN census code sets (DfE, *Children in need census: guide*, code tables).
ETHNICITIES = (
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND",
    "APKN", "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
)  # fmt: skip
DISABILITIES = (
    "NONE", "MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT",
    "DDA",
)  # fmt: skip
REFERRAL_SOURCES = (
    "1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4", "5A",
    "5B", "5C", "5D", "6", "7", "8", "9", "10",
)  # fmt: skip
PRIMARY_NEEDS = ("N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9")
REASONS_FOR_CLOSURE = ("RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9")
ABUSE_CATEGORIES = ("NEG", "PHY", "SAB", "EMO", "MUL")
UPN_UNKNOWN = ("UN1", "UN2", "UN3", "UN4", "UN5", "UN6", "UN7")
#: <GenderCurrent> to 2023-24: 0 not known, 1 male, 2 female, 9 not specified.
GENDERS = ("0", "1", "2", "9")
#: <Sex> from 2024-25: M, F, U (unknown, including unborn).
SEXES = ("M", "F", "U")
