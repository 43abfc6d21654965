"""SQL fragments shared by the rule modules: record locators and the CIN code sets."""

from __future__ import annotations

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
    "sql_list",
]


def sql_list(values: Iterable[str]) -> str:
    """``('a', 'b')`` for use after ``IN``."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


# Record locators: the columns (child_seq, record) for a failing row of each table.
R_RETURN = "NULL::INTEGER AS child_seq, 'return' AS record"
R_CHILD = "c.child_seq, 'child' AS record"
R_D = "d.child_seq, 'disability ' || d.disability_seq AS record"
R_EP = "e.child_seq, 'episode ' || e.episode_seq AS record"
R_A = "a.child_seq, 'episode ' || a.episode_seq || ', assessment ' || a.assessment_seq AS record"
R_F = (
    "f.child_seq, 'episode ' || f.episode_seq || ', assessment ' || f.assessment_seq "
    "|| ', factor ' || f.factor_seq AS record"
)
R_P = "p.child_seq, 'episode ' || p.episode_seq || ', CIN plan ' || p.plan_seq AS record"
R_S = "s.child_seq, 'episode ' || s.episode_seq || ', section 47 ' || s.s47_seq AS record"
R_CP = (
    "cp.child_seq, 'episode ' || cp.episode_seq || ', child protection plan ' "
    "|| cp.cpp_seq AS record"
)
R_R = (
    "r.child_seq, 'episode ' || r.episode_seq || ', child protection plan ' || r.cpp_seq "
    "|| ', review ' || r.review_seq AS record"
)

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
