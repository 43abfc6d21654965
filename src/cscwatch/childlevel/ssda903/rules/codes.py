"""Code sets shared by the rule modules (DfE's SSDA903 guidance, by collection year).

Each rule module keeps code sets only it uses to itself; a set used by more than one
module lives here. Append-only blocks, one per module family, keep parallel edits apart.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["OC2_ITEMS", "not_a_date", "sql_list"]


def sql_list(values: Iterable[str]) -> str:
    """``('a', 'b')`` for use after ``IN``."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


# --- codes used by r100s, r200s, r1000s ------------------------------------------------

#: The eight OC2 items for children looked after continuously for 12 months (lower-case
#: staged names): CONVICTED ... INTERVENTION_OFFERED.
OC2_ITEMS: tuple[str, ...] = (
    "convicted", "health_check", "immunisations", "teeth_check", "health_assessment",
    "substance_misuse", "intervention_received", "intervention_offered",
)  # fmt: skip


def not_a_date(field: str) -> str:
    """SQL true when staged ``field`` is not a dd/mm/yyyy date: blank, not a date, or a
    year not written with four digits (staging parses ``01/01/19`` as the year 19)."""
    shape = "'[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}'"
    return f"({field}_d IS NULL OR NOT regexp_full_match({field}, {shape}))"


# --- codes used by r300s, r400s, r600s, r700s -----------------------------------------

#: SEX codes meaning female: ``2`` in the codes used up to 2023-24, ``F`` from 2024-25. The
#: reader keeps either as given, so rules about mothers accept both in every year (an
#: out-of-date code is rule 101's finding, not a reason to miss a mother).
FEMALE = ("2", "F")

#: Legal statuses of short-term breaks (respite): V3 single, V4 series.
RESPITE = ("V3", "V4")

#: Reasons an episode ceased by adoption (E11 application unopposed, E12 opposed).
ADOPTED = ("E11", "E12")


# --- codes used by r500s, integrity (INT), social_workers (SW), epi (EPI, NoE) --------

#: Legal statuses of a series of short-term breaks (respite): a child on V3 or V4 is not
#: counted as looked after at 31 March nor as continuously looked after.
SHORT_BREAK_LS: tuple[str, ...] = ("V3", "V4")
