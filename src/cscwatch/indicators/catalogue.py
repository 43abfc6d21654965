"""The indicator catalogue: every indicator declared once.

Each :class:`Indicator` carries its definition for people (title, definition, unit,
numerator, denominator, polarity, source, years) and its derivation for the build
(:class:`Derivation`), so the build, the docs and the benchmarking all read the same
declaration. Indicator ids are stable snake_case strings.

Year convention: every indicator is keyed by the year ending 31 March in which its
reference date falls (``2015`` = 2014-15). Sources with another reference date are
mapped once, here, with ``year_shift`` and a ``period`` note:

* CIN, child protection and looked-after statistics: year ending 31 March (no shift).
* Children's social work workforce: snapshot at 30 September of ``time_period``, which
  falls in the year ending the following 31 March (``year_shift=1``).
* Section 251 outturn (LAIT ``2016-17 (OT)``): financial year ending 31 March 2017.
* KS2/KS4 (academic year ``202425``): the year ending 31 March 2025, the date on which
  the child was in need.
* ONS mid-year population: the estimate at 30 June of ``Y - 1`` serves year ``Y``, as
  DfE does for its own rates (e.g. 2025 rates use mid-2024 estimates).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from enum import StrEnum

from cscwatch.core.errors import UnknownIndicatorError

__all__ = [
    "CATALOGUE",
    "Derivation",
    "Indicator",
    "Polarity",
    "Unit",
    "get_indicator",
    "suggest_indicators",
]


class Unit(StrEnum):
    """What a value measures."""

    COUNT = "count"
    PER_10K = "per_10k"
    PERCENT = "percent"
    GBP_PER_CHILD = "gbp_per_child"
    GBP = "gbp"
    RATIO = "ratio"
    SCORE = "score"
    PER_1000 = "per_1000"


class Polarity(StrEnum):
    """Which direction is, on its face, better. ``NEUTRAL`` where neither is."""

    HIGH_GOOD = "high_good"
    LOW_GOOD = "low_good"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class Derivation:
    """How the build computes an indicator from a source table.

    ``kind``:

    * ``column`` — the value of ``column`` as published (count or the publisher's rate).
    * ``ratio`` — ``100 * column / denominator_column`` from the same row; the
      publisher's own percentage (``published_column``) is kept beside it.
    * ``rate`` — ``10000 * column / population`` (children 0–17, ONS mid-year
      estimate of the previous June); ``published_column`` or ``published_lait`` is
      kept beside it where the publisher gives a rate.
    * ``lait`` — the LAIT value of ``lait`` (Short Desc) as published.
    * ``lait_per`` — a LAIT gross amount (``lait``) divided by the population 0–17
      (``other="population"``) or by another indicator's value (``other``), e.g.
      section 251 gross spend per child in need.
    """

    kind: str
    source: str = ""
    column: str = ""
    denominator_column: str = ""
    published_column: str = ""
    published_lait: str = ""
    lait: str = ""
    other: str = ""
    filters: tuple[tuple[str, str], ...] = ()
    year_shift: int = 0
    scale: float = 1.0


@dataclass(frozen=True)
class Indicator:
    """One indicator of the catalogue.

    Attributes
    ----------
    id : str
        Stable snake_case id.
    title : str
        Short title for tables and charts.
    definition : str
        What is counted, in the publisher's terms.
    unit : Unit
    numerator, denominator : str
        In words; ``denominator`` is empty for counts and published scores.
    polarity : Polarity
    source : str
        The publication.
    years : tuple[int, int]
        First and last year ending 31 March with data in the snapshot.
    period : str
        The reference date or period behind a year.
    topic : str
        Grouping for profiles and pages.
    derivation : Derivation
    """

    id: str
    title: str
    definition: str
    unit: Unit
    numerator: str
    denominator: str
    polarity: Polarity
    source: str
    years: tuple[int, int]
    topic: str
    derivation: Derivation = field(repr=False)
    period: str = "year ending 31 March"

    @property
    def is_count(self) -> bool:
        """True for raw counts, which are compared per 10,000 rather than directly."""
        return self.unit is Unit.COUNT


_CIN = "DfE, Children in need (CIN census)"
_CLA = "DfE, Children looked after in England including adoptions (SSDA903)"
_CSWW = "DfE, Children's social work workforce"
_LAIT = "DfE, Local Authority Interactive Tool (LAIT)"
_S251 = "DfE, LA and school expenditure (section 251 outturn), via LAIT"
_KS = "DfE, Outcomes of children in need, including looked-after children"
_POP = "ONS mid-year population estimates, children aged 0 to 17"

_C1 = "c1"
_B1 = "b1"
_C3 = "c3"
_D3 = "d3"
_D5 = "d5"
_CLA_FILE = "cla"
_STAB = "stability"
_WF = "csww"
_KS2 = "ks2"
_KS4 = "ks4"

_CLA_START = (("population_type", "Children starting to be looked after each year"),)
_CLA_AT31 = (("population_type", "Children looked after on 31 March each year"),)
_CLA_CEASE = (("population_type", "Children ceasing to be looked after each year"),)
_POP_WORDS = "children aged 0 to 17 (ONS mid-year estimate, previous June)"

_HIGH, _LOW, _NEUTRAL = Polarity.HIGH_GOOD, Polarity.LOW_GOOD, Polarity.NEUTRAL


def _ind(
    id: str,
    title: str,
    definition: str,
    unit: Unit,
    numerator: str,
    denominator: str,
    polarity: Polarity,
    source: str,
    years: tuple[int, int],
    topic: str,
    derivation: Derivation,
    period: str = "year ending 31 March",
) -> Indicator:
    return Indicator(
        id,
        title,
        definition,
        unit,
        numerator,
        denominator,
        polarity,
        source,
        years,
        topic,
        derivation,
        period,
    )


def _factor(column: str, words: str) -> Indicator:
    ident = "factor_" + column.lower() + "_pct"
    return _ind(
        ident,
        f"Factor at assessment: {words}",
        f"Episodes with {words} recorded as a factor at the end of assessment, as a "
        "percentage of episodes with at least one assessment factor recorded.",
        Unit.PERCENT,
        f"episodes with factor '{words}'",
        "episodes with an assessment factor recorded",
        _NEUTRAL,
        _CIN,
        (2018, 2025),
        "factors",
        Derivation("ratio", _C3, column, "Episodes_with_assessment_factor"),
    )


_INDICATORS: tuple[Indicator, ...] = (
    # --- Referrals -------------------------------------------------------------
    _ind(
        "referrals",
        "Referrals",
        "Referrals to children's social care received in the year (CIN census).",
        Unit.COUNT,
        "referrals in the year",
        "",
        _NEUTRAL,
        _CIN,
        (2013, 2025),
        "referrals",
        Derivation("column", _C1, "referral_count"),
    ),
    _ind(
        "referrals_per_10k",
        "Referrals per 10,000 children",
        "Referrals in the year per 10,000 children aged 0 to 17.",
        Unit.PER_10K,
        "referrals in the year",
        _POP_WORDS,
        _NEUTRAL,
        _CIN,
        (2013, 2025),
        "referrals",
        Derivation("rate", _C1, "referral_count", published_lait="CPP_Total_Rateper10,000"),
    ),
    _ind(
        "rereferrals_pct",
        "Re-referrals within 12 months (%)",
        "Referrals in the year that were within 12 months of a previous referral, as a "
        "percentage of all referrals.",
        Unit.PERCENT,
        "referrals within 12 months of a previous referral",
        "referrals in the year",
        _LOW,
        _CIN,
        (2013, 2025),
        "referrals",
        Derivation("ratio", _C1, "rereferral_count", "referral_count", "rereferral_percent"),
    ),
    _ind(
        "nfa_pct",
        "Referrals with no further action (%)",
        "Referrals in the year closed with no further action, as a percentage of all referrals.",
        Unit.PERCENT,
        "referrals with no further action",
        "referrals in the year",
        _NEUTRAL,
        _CIN,
        (2013, 2025),
        "referrals",
        Derivation(
            "ratio", _C1, "no_further_action_count", "referral_count", "no_further_action_percent"
        ),
    ),
    _ind(
        "assessed_not_in_need_pct",
        "Referrals assessed as not in need (%)",
        "Referrals in the year that led to an assessment which found the child not to be "
        "in need, as a percentage of all referrals.",
        Unit.PERCENT,
        "referrals assessed as not in need",
        "referrals in the year",
        _NEUTRAL,
        _CIN,
        (2013, 2025),
        "referrals",
        Derivation("ratio", _C1, "not_in_need_count", "referral_count", "not_in_need_percent"),
    ),
    # --- Children in need -----------------------------------------------------
    _ind(
        "cin_episodes",
        "Episodes of need at any point",
        "CIN episodes open at any point in the year.",
        Unit.COUNT,
        "episodes open at any point in the year",
        "",
        _NEUTRAL,
        _CIN,
        (2013, 2025),
        "children_in_need",
        Derivation("column", _B1, "Anypoint_episodes"),
    ),
    _ind(
        "cin_episodes_per_10k",
        "Episodes of need at any point per 10,000",
        "CIN episodes open at any point in the year per 10,000 children aged 0 to 17.",
        Unit.PER_10K,
        "episodes open at any point in the year",
        _POP_WORDS,
        _NEUTRAL,
        _CIN,
        (2013, 2025),
        "children_in_need",
        Derivation("rate", _B1, "Anypoint_episodes"),
    ),
    _ind(
        "cin_starts_per_10k",
        "Episodes of need starting per 10,000",
        "CIN episodes starting in the year per 10,000 children aged 0 to 17.",
        Unit.PER_10K,
        "episodes starting in the year",
        _POP_WORDS,
        _NEUTRAL,
        _CIN,
        (2013, 2025),
        "children_in_need",
        Derivation("rate", _B1, "Started_episodes"),
    ),
    _ind(
        "cin_at31",
        "Children in need at 31 March",
        "Children in need on 31 March (open CIN episodes on that day).",
        Unit.COUNT,
        "episodes open on 31 March",
        "",
        _NEUTRAL,
        _CIN,
        (2013, 2025),
        "children_in_need",
        Derivation("column", _B1, "At31_episodes"),
    ),
    _ind(
        "cin_at31_per_10k",
        "Children in need at 31 March per 10,000",
        "Children in need on 31 March per 10,000 children aged 0 to 17.",
        Unit.PER_10K,
        "episodes open on 31 March",
        _POP_WORDS,
        _NEUTRAL,
        _CIN,
        (2013, 2025),
        "children_in_need",
        Derivation("rate", _B1, "At31_episodes"),
    ),
    _ind(
        "awaiting_assessment",
        "Referrals awaiting assessment at 31 March",
        "Children whose referral was awaiting the start or completion of an assessment "
        "on 31 March.",
        Unit.COUNT,
        "episodes awaiting assessment on 31 March",
        "",
        _LOW,
        _CIN,
        (2013, 2025),
        "children_in_need",
        Derivation("column", _B1, "awaiting_assessment"),
    ),
    # --- Section 47 and conferences (LAIT) ------------------------------------
    _ind(
        "s47_per_10k",
        "Section 47 enquiries per 10,000",
        "Section 47 enquiries starting in the year per 10,000 children aged 0 to 17, as "
        "published in LAIT.",
        Unit.PER_10K,
        "section 47 enquiries starting in the year",
        "children aged 0 to 17",
        _NEUTRAL,
        _LAIT,
        (2016, 2025),
        "child_protection",
        Derivation("lait", lait="Section_47"),
    ),
    _ind(
        "icpc_per_10k",
        "Initial child protection conferences per 10,000",
        "Initial child protection conferences in the year per 10,000 children aged 0 "
        "to 17, as published in LAIT.",
        Unit.PER_10K,
        "initial child protection conferences in the year",
        "children aged 0 to 17",
        _NEUTRAL,
        _LAIT,
        (2016, 2025),
        "child_protection",
        Derivation("lait", lait="ISCP_Conf"),
    ),
    _ind(
        "icpc_within_15_days_pct",
        "Initial conferences within 15 working days (%)",
        "Initial child protection conferences held within 15 working days of the start "
        "of the section 47 enquiry, as a percentage of all initial conferences.",
        Unit.PERCENT,
        "initial conferences within 15 working days",
        "initial conferences in the year",
        _HIGH,
        _LAIT,
        (2016, 2025),
        "child_protection",
        Derivation("lait", lait="CP_conf_15days"),
    ),
    # --- Child protection plans -----------------------------------------------
    _ind(
        "cpp_starts",
        "Child protection plans started",
        "Child protection plans starting in the year.",
        Unit.COUNT,
        "plans starting in the year",
        "",
        _NEUTRAL,
        _CIN,
        (2013, 2025),
        "child_protection",
        Derivation("column", _D3, "CPP_start"),
    ),
    _ind(
        "cpp_starts_per_10k",
        "Child protection plans started per 10,000",
        "Child protection plans starting in the year per 10,000 children aged 0 to 17.",
        Unit.PER_10K,
        "plans starting in the year",
        _POP_WORDS,
        _NEUTRAL,
        _CIN,
        (2013, 2025),
        "child_protection",
        Derivation("rate", _D3, "CPP_start"),
    ),
    _ind(
        "repeat_cpp_pct",
        "Second or subsequent plans (%)",
        "Plans starting in the year that were a second or subsequent plan for the child "
        "(ever), as a percentage of plans starting.",
        Unit.PERCENT,
        "second or subsequent plans starting in the year",
        "plans starting in the year",
        _LOW,
        _CIN,
        (2013, 2025),
        "child_protection",
        Derivation("ratio", _D3, "CPP_subsequent", "CPP_start", "CPP_subsequent_percent"),
    ),
    _ind(
        "cpp_at31",
        "Children on a child protection plan at 31 March",
        "Children subject to a child protection plan on 31 March.",
        Unit.COUNT,
        "plans open on 31 March",
        "",
        _NEUTRAL,
        _CIN,
        (2013, 2025),
        "child_protection",
        Derivation("column", _D5, "CPP_At31"),
    ),
    _ind(
        "cpp_at31_per_10k",
        "Child protection plans at 31 March per 10,000",
        "Children on a child protection plan on 31 March per 10,000 children aged 0 to 17.",
        Unit.PER_10K,
        "plans open on 31 March",
        _POP_WORDS,
        _NEUTRAL,
        _CIN,
        (2013, 2025),
        "child_protection",
        Derivation("rate", _D5, "CPP_At31", published_lait="CPP_rate"),
    ),
    _ind(
        "cpp_3months_or_less_pct",
        "Plans at 31 March open 3 months or less (%)",
        "Plans open on 31 March that had lasted 3 months or less, as a percentage of all "
        "plans open on 31 March.",
        Unit.PERCENT,
        "plans open 3 months or less",
        "plans open on 31 March",
        _NEUTRAL,
        _CIN,
        (2013, 2025),
        "child_protection",
        Derivation("ratio", _D5, "3_months_or_less", "CPP_At31", "3_months_or_less_percent"),
    ),
    _ind(
        "cpp_2yrs_plus_pct",
        "Plans at 31 March open 2 years or more (%)",
        "Plans open on 31 March that had lasted 2 years or more, as a percentage of all "
        "plans open on 31 March.",
        Unit.PERCENT,
        "plans open 2 years or more",
        "plans open on 31 March",
        _LOW,
        _CIN,
        (2013, 2025),
        "child_protection",
        Derivation("ratio", _D5, "2_years_or_more", "CPP_At31", "2_years_or_more_percent"),
    ),
    # --- Looked-after children ------------------------------------------------
    _ind(
        "lac_at31",
        "Children looked after at 31 March",
        "Children looked after on 31 March.",
        Unit.COUNT,
        "children looked after on 31 March",
        "",
        _NEUTRAL,
        _CLA,
        (2021, 2025),
        "looked_after",
        Derivation("column", _CLA_FILE, "children_count", filters=_CLA_AT31),
    ),
    _ind(
        "lac_at31_per_10k",
        "Children looked after at 31 March per 10,000",
        "Children looked after on 31 March per 10,000 children aged 0 to 17.",
        Unit.PER_10K,
        "children looked after on 31 March",
        _POP_WORDS,
        _NEUTRAL,
        _CLA,
        (2021, 2025),
        "looked_after",
        Derivation(
            "rate",
            _CLA_FILE,
            "children_count",
            published_column="rate_per_10000",
            filters=_CLA_AT31,
        ),
    ),
    _ind(
        "lac_starts_per_10k",
        "Children starting to be looked after per 10,000",
        "Children starting to be looked after in the year per 10,000 children aged 0 to 17.",
        Unit.PER_10K,
        "children starting to be looked after",
        _POP_WORDS,
        _NEUTRAL,
        _CLA,
        (2021, 2025),
        "looked_after",
        Derivation(
            "rate",
            _CLA_FILE,
            "children_count",
            published_column="rate_per_10000",
            filters=_CLA_START,
        ),
    ),
    _ind(
        "lac_ceased_per_10k",
        "Children ceasing to be looked after per 10,000",
        "Children ceasing to be looked after in the year per 10,000 children aged 0 to 17.",
        Unit.PER_10K,
        "children ceasing to be looked after",
        _POP_WORDS,
        _NEUTRAL,
        _CLA,
        (2021, 2025),
        "looked_after",
        Derivation(
            "rate",
            _CLA_FILE,
            "children_count",
            published_column="rate_per_10000",
            filters=_CLA_CEASE,
        ),
    ),
    _ind(
        "lac_3plus_placements_pct",
        "Looked-after children with 3 or more placements in the year (%)",
        "Children looked after on 31 March with three or more placements during the "
        "year, as a percentage of children looked after on 31 March.",
        Unit.PERCENT,
        "children with 3 or more placements in the year",
        "children looked after on 31 March",
        _LOW,
        _CLA,
        (2021, 2025),
        "looked_after",
        Derivation(
            "column",
            _STAB,
            "children_percent",
            filters=(
                ("cla_group", "CLA on 31 March"),
                ("placement_stability", "With 3 or more placements during the year"),
            ),
        ),
    ),
    _ind(
        "lac_same_carer_2yrs_pct",
        "Long-term looked-after children with the same carer for 2 years (%)",
        "Children under 16 looked after continuously for at least 2.5 years who had lived "
        "with the same carer for at least 2 years, as a percentage of such children.",
        Unit.PERCENT,
        "children living with the same carer for at least 2 years",
        "children under 16 looked after for at least 2.5 years",
        _HIGH,
        _CLA,
        (2021, 2025),
        "looked_after",
        Derivation(
            "column",
            _STAB,
            "children_percent",
            filters=(
                (
                    "cla_group",
                    "Children looked after continuously for at least 2.5 years on 31 March "
                    "aged under 16 years",
                ),
                ("placement_stability", "Living with the same carer for at least 2 years"),
            ),
        ),
    ),
    # --- Workforce ------------------------------------------------------------
    _ind(
        "social_workers_fte",
        "Children and family social workers (FTE)",
        "Directly employed children and family social workers in post, full-time "
        "equivalent, at 30 September.",
        Unit.COUNT,
        "social workers in post (FTE)",
        "",
        _NEUTRAL,
        _CSWW,
        (2018, 2026),
        "workforce",
        Derivation("column", _WF, "inpost_fte", year_shift=1),
        "30 September before 31 March",
    ),
    _ind(
        "social_workers_per_10k",
        "Social workers (FTE) per 10,000 children",
        "Directly employed children and family social workers (FTE) per 10,000 children "
        "aged 0 to 17.",
        Unit.PER_10K,
        "social workers in post (FTE)",
        _POP_WORDS,
        _HIGH,
        _CSWW,
        (2018, 2026),
        "workforce",
        Derivation("rate", _WF, "inpost_fte", year_shift=1),
        "30 September before 31 March",
    ),
    _ind(
        "agency_rate_pct",
        "Agency worker rate (%)",
        "Agency children and family social workers (FTE) as a percentage of agency plus "
        "directly employed social workers (FTE), at 30 September.",
        Unit.PERCENT,
        "agency social workers (FTE)",
        "agency plus directly employed social workers (FTE)",
        _LOW,
        _CSWW,
        (2018, 2026),
        "workforce",
        Derivation("column", _WF, "agency_rate_fte", year_shift=1),
        "30 September before 31 March",
    ),
    _ind(
        "vacancy_rate_pct",
        "Vacancy rate (%)",
        "Vacancies (FTE) as a percentage of vacancies plus directly employed social "
        "workers (FTE), at 30 September.",
        Unit.PERCENT,
        "vacancies (FTE)",
        "vacancies plus social workers in post (FTE)",
        _LOW,
        _CSWW,
        (2018, 2026),
        "workforce",
        Derivation("column", _WF, "vacancy_rate_fte", year_shift=1),
        "30 September before 31 March",
    ),
    _ind(
        "turnover_rate_pct",
        "Turnover rate (%)",
        "Directly employed social workers (FTE) leaving in the year to 30 September as a "
        "percentage of those in post at 30 September.",
        Unit.PERCENT,
        "leavers (FTE)",
        "social workers in post (FTE)",
        _LOW,
        _CSWW,
        (2018, 2026),
        "workforce",
        Derivation("column", _WF, "turnover_rate_fte", year_shift=1),
        "year to 30 September before 31 March",
    ),
    _ind(
        "caseload",
        "Average caseload per case-holding social worker",
        "Cases held at 30 September divided by case-holding social workers (FTE).",
        Unit.RATIO,
        "cases held",
        "case-holding social workers (FTE)",
        _LOW,
        _CSWW,
        (2018, 2026),
        "workforce",
        Derivation("column", _WF, "caseload_fte", year_shift=1),
        "30 September before 31 March",
    ),
    _ind(
        "absence_rate_pct",
        "Sickness absence rate (%)",
        "Working days lost to sickness absence as a percentage of working days available "
        "(FTE), in the year to 30 September.",
        Unit.PERCENT,
        "working days lost to sickness (FTE)",
        "working days available (FTE)",
        _LOW,
        _CSWW,
        (2018, 2026),
        "workforce",
        Derivation("column", _WF, "absence_rate_fte", year_shift=1),
        "year to 30 September before 31 March",
    ),
    # --- Spend (section 251 outturn via LAIT) -----------------------------------
    # LAIT holds section 251 outturn as gross £ per authority for each block
    # (Safeguarding, Sure Start, Family support, Looked after) and, for social work,
    # only an approximate weekly unit cost (SWFinance). Spend "on social work" below is
    # therefore the Safeguarding children and young people's services block, which is
    # mostly social work (with commissioning and strategy and the safeguarding
    # partnership); the unit cost is kept as published beside it.
    _ind(
        "spend_safeguarding_gross",
        "Safeguarding services gross spend (£)",
        "Section 251 outturn: gross expenditure on safeguarding children and young "
        "people's services (social work including child protection functions, "
        "commissioning and children's services strategy, local safeguarding partnership).",
        Unit.GBP,
        "gross spend on safeguarding services",
        "",
        _NEUTRAL,
        _S251,
        (2017, 2025),
        "spend",
        Derivation("lait", lait="SafeguardingFinance"),
        "financial year ending 31 March (outturn)",
    ),
    _ind(
        "spend_social_work_per_child",
        "Social work (safeguarding services) spend per child (£)",
        "Section 251 gross outturn on safeguarding children and young people's services "
        "(mostly social work) per child aged 0 to 17.",
        Unit.GBP_PER_CHILD,
        "gross spend on safeguarding services",
        _POP_WORDS,
        _NEUTRAL,
        _S251,
        (2017, 2025),
        "spend",
        Derivation("lait_per", lait="SafeguardingFinance", other="population"),
        "financial year ending 31 March (outturn)",
    ),
    _ind(
        "spend_social_work_per_cin",
        "Social work (safeguarding services) spend per child in need (£)",
        "Section 251 gross outturn on safeguarding children and young people's services "
        "per child in need at 31 March.",
        Unit.GBP,
        "gross spend on safeguarding services",
        "children in need at 31 March",
        _NEUTRAL,
        _S251,
        (2017, 2025),
        "spend",
        Derivation("lait_per", lait="SafeguardingFinance", other="cin_at31"),
        "financial year ending 31 March (outturn)",
    ),
    _ind(
        "spend_social_work_unit_cost",
        "Social work weekly unit cost (£, approximate)",
        "Section 251 social work and commissioning outturn expressed by LAIT as an "
        "approximate weekly unit cost, as published.",
        Unit.GBP,
        "social work and commissioning outturn",
        "as defined by LAIT (approximate weekly unit cost)",
        _NEUTRAL,
        _S251,
        (2017, 2025),
        "spend",
        Derivation("lait", lait="SWFinance"),
        "financial year ending 31 March (outturn)",
    ),
    _ind(
        "spend_children_centres_per_child",
        "Sure Start children's centres spend per child (£)",
        "Section 251 gross outturn on Sure Start children's centres and early years per "
        "child aged 0 to 17.",
        Unit.GBP_PER_CHILD,
        "gross spend on Sure Start children's centres and early years",
        _POP_WORDS,
        _NEUTRAL,
        _S251,
        (2017, 2025),
        "spend",
        Derivation("lait_per", lait="SureStartFinance", other="population"),
        "financial year ending 31 March (outturn)",
    ),
    _ind(
        "spend_family_support_per_child",
        "Family support services spend per child (£)",
        "Section 251 gross outturn on family support services per child aged 0 to 17.",
        Unit.GBP_PER_CHILD,
        "gross spend on family support services",
        _POP_WORDS,
        _NEUTRAL,
        _S251,
        (2017, 2025),
        "spend",
        Derivation("lait_per", lait="FamilySupportFinance", other="population"),
        "financial year ending 31 March (outturn)",
    ),
    _ind(
        "spend_lac_per_child",
        "Looked-after children spend per child (£)",
        "Section 251 gross outturn on children looked after per child aged 0 to 17.",
        Unit.GBP_PER_CHILD,
        "gross spend on children looked after",
        _POP_WORDS,
        _NEUTRAL,
        _S251,
        (2017, 2025),
        "spend",
        Derivation("lait_per", lait="TotalLACFinance", other="population"),
        "financial year ending 31 March (outturn)",
    ),
    _ind(
        "spend_per_looked_after_child",
        "Spend per looked-after child (£)",
        "Section 251 gross outturn on children looked after per child looked after on 31 March.",
        Unit.GBP,
        "gross spend on children looked after",
        "children looked after on 31 March",
        _NEUTRAL,
        _S251,
        (2021, 2025),
        "spend",
        Derivation("lait_per", lait="TotalLACFinance", other="lac_at31"),
        "financial year ending 31 March (outturn)",
    ),
    # --- Context (deprivation and need) ----------------------------------------
    _ind(
        "fsm_primary_pct",
        "Primary pupils eligible for free school meals (%)",
        "Pupils in state-funded primary schools known to be eligible for free school "
        "meals, January census, as a percentage of pupils.",
        Unit.PERCENT,
        "pupils eligible for free school meals",
        "pupils in state-funded primary schools",
        _NEUTRAL,
        _LAIT,
        (2016, 2025),
        "context",
        Derivation("lait", lait="PriFSM"),
        "January school census before 31 March",
    ),
    _ind(
        "fsm_secondary_pct",
        "Secondary pupils eligible for free school meals (%)",
        "Pupils in state-funded secondary schools known to be eligible for free school "
        "meals, January census, as a percentage of pupils.",
        Unit.PERCENT,
        "pupils eligible for free school meals",
        "pupils in state-funded secondary schools",
        _NEUTRAL,
        _LAIT,
        (2016, 2025),
        "context",
        Derivation("lait", lait="SecFSM"),
        "January school census before 31 March",
    ),
    _ind(
        "under18_conceptions_per_1000",
        "Under-18 conceptions per 1,000 girls aged 15 to 17",
        "Conceptions to girls under 18 per 1,000 girls aged 15 to 17 (ONS), as in LAIT.",
        Unit.PER_1000,
        "conceptions to girls under 18",
        "girls aged 15 to 17",
        _LOW,
        _LAIT,
        (2016, 2022),
        "context",
        Derivation("lait", lait="Under18concep"),
        "calendar year as labelled in LAIT",
    ),
    _ind(
        "population_0_17",
        "Children aged 0 to 17",
        "ONS mid-year estimate of children aged 0 to 17 at 30 June before the year's end.",
        Unit.COUNT,
        "children aged 0 to 17",
        "",
        _NEUTRAL,
        _POP,
        (2013, 2025),
        "context",
        Derivation("population"),
        "30 June before 31 March",
    ),
    # --- Education outcomes of children in need --------------------------------
    _ind(
        "ks2_rwm_cin_pct",
        "KS2 expected standard in RWM: children in need (%)",
        "Children in need on 31 March at the end of key stage 2 reaching the expected "
        "standard in reading, writing and maths.",
        Unit.PERCENT,
        "children in need reaching the expected standard",
        "children in need eligible for KS2 assessment",
        _HIGH,
        _KS,
        (2019, 2025),
        "education",
        Derivation(
            "ratio",
            _KS2,
            "t_rwm_met_expected_standard",
            "t_rwm_eligible_pupils",
            "pt_rwm_met_expected_standard",
            filters=(("social_care_group", "CINO at 31 March"),),
        ),
        "academic year ending in the summer after 31 March",
    ),
    _ind(
        "ks2_rwm_cpp_pct",
        "KS2 expected standard in RWM: children on a plan (%)",
        "Children on a child protection plan on 31 March at the end of key stage 2 "
        "reaching the expected standard in reading, writing and maths.",
        Unit.PERCENT,
        "children on a plan reaching the expected standard",
        "children on a plan eligible for KS2 assessment",
        _HIGH,
        _KS,
        (2019, 2025),
        "education",
        Derivation(
            "ratio",
            _KS2,
            "t_rwm_met_expected_standard",
            "t_rwm_eligible_pupils",
            "pt_rwm_met_expected_standard",
            filters=(("social_care_group", "CPPO at 31 March"),),
        ),
        "academic year ending in the summer after 31 March",
    ),
    _ind(
        "ks2_rwm_all_pct",
        "KS2 expected standard in RWM: all pupils (%)",
        "All pupils at the end of key stage 2 reaching the expected standard in reading, "
        "writing and maths, as in LAIT.",
        Unit.PERCENT,
        "pupils reaching the expected standard",
        "pupils at the end of key stage 2",
        _HIGH,
        _LAIT,
        (2016, 2025),
        "education",
        Derivation("lait", lait="KS2RWM_Expected_STD"),
        "academic year ending in the summer after 31 March",
    ),
    _ind(
        "ks4_att8_cin",
        "KS4 Attainment 8: children in need",
        "Average Attainment 8 score of children in need on 31 March at the end of key stage 4.",
        Unit.SCORE,
        "total Attainment 8 points",
        "children in need at the end of key stage 4",
        _HIGH,
        _KS,
        (2019, 2025),
        "education",
        Derivation(
            "ratio",
            _KS4,
            "t_att8",
            "t_pupils",
            "avg_att8",
            filters=(("social_care_group", "CINO at 31 March"),),
            scale=0.01,
        ),
        "academic year ending in the summer after 31 March",
    ),
    _ind(
        "ks4_att8_all",
        "KS4 Attainment 8: all pupils",
        "Average Attainment 8 score of all pupils at the end of key stage 4, as in LAIT.",
        Unit.SCORE,
        "total Attainment 8 points",
        "pupils at the end of key stage 4",
        _HIGH,
        _LAIT,
        (2016, 2025),
        "education",
        Derivation("lait", lait="AVG_Attain8_Score"),
        "academic year ending in the summer after 31 March",
    ),
    # --- Factors at assessment -------------------------------------------------
    _factor("Domestic_Abuse_parent", "domestic abuse involving a parent or carer"),
    _factor("Domestic_Abuse_child", "domestic abuse: the child as subject"),
    _factor("Mental_Health_parent", "mental health of a parent or carer"),
    _factor("Mental_Health_child", "mental health of the child"),
    _factor("Drug_Misuse_parent", "drug misuse by a parent or carer"),
    _factor("Alcohol_Misuse_parent", "alcohol misuse by a parent or carer"),
    _factor("Neglect", "neglect"),
    _factor("Emotional_Abuse", "emotional abuse"),
    _factor("Physical_Abuse_adult_on_child", "physical abuse, adult on child"),
    _factor("Sexual_Abuse_adult_on_child", "sexual abuse, adult on child"),
    _factor("Child_sexual_exploitation", "child sexual exploitation"),
    _factor("Child_criminal_exploitation", "child criminal exploitation"),
    _factor("Going_missing", "going missing"),
    _factor("Self_harm", "self-harm"),
    _factor("Learning_Disability_parent", "learning disability of a parent or carer"),
)

#: Every indicator by id, in declaration order.
CATALOGUE: dict[str, Indicator] = {i.id: i for i in _INDICATORS}


def suggest_indicators(text: str, n: int = 3) -> list[str]:
    """Close matches to ``text`` among indicator ids."""
    return difflib.get_close_matches(text.strip().lower(), list(CATALOGUE), n=n, cutoff=0.5)


def get_indicator(indicator_id: str) -> Indicator:
    """Look up an indicator.

    Raises
    ------
    UnknownIndicatorError
        With close-match suggestions.
    """
    try:
        return CATALOGUE[indicator_id.strip()]
    except KeyError:
        raise UnknownIndicatorError(indicator_id, suggest_indicators(indicator_id)) from None
