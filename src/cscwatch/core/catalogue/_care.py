"""Declarations: children in care from LAIT — numbers starting and ceasing, placements
and sufficiency, stability, missing, care leavers, permanence, unit costs and spend.

Every measure here is read from LAIT (``bds_long_0.parquet``) as published, with its
publisher's ``-`` kept where LAIT has no figure. Polarity follows LAIT's data
dictionary where it declares one (``High``/``Low``) and is neutral where it does not.
Years: LAIT's ``2025`` for a looked-after measure is the year ending 31 March 2025 (or
31 March 2025 itself for a count on the day); its ``2024-25 (OT)`` is the section 251
outturn of the financial year 2024-25, stored as 2025.
"""

from __future__ import annotations

from cscwatch.core.catalogue._declare import (
    _CLA,
    _CLA_CEASE,
    _CLA_FILE,
    _CLA_START,
    _HIGH,
    _LOW,
    _NEUTRAL,
    _S251,
    _ind,
)
from cscwatch.core.catalogue.indicator import Derivation, Indicator, Polarity, Unit
from cscwatch.core.types import PeriodKind

__all__ = ["CARE"]

_LAIT_CLA = "DfE, Children looked after in England including adoptions, via LAIT"
_FOSTER = "Ofsted, Fostering in England (local authority fostering services), via LAIT"
_AT31 = ("31 March", PeriodKind.AT_31_MARCH)
_OUTTURN = "financial year ending 31 March (outturn)"
_LEAVERS = (
    "care leavers aged 19 to 21 (former relevant young people whose 19th, 20th or 21st "
    "birthday fell in the year)"
)


def _lait(
    id: str,
    title: str,
    definition: str,
    unit: Unit,
    numerator: str,
    denominator: str,
    polarity: Polarity,
    years: tuple[int, int],
    topic: str,
    measure: str,
    at31: bool = False,
    source: str = _LAIT_CLA,
) -> Indicator:
    period, kind = _AT31 if at31 else ("year ending 31 March", PeriodKind.FINANCIAL_YEAR)
    if source == _S251:
        period = _OUTTURN
    return _ind(
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
        Derivation("lait", lait=measure),
        period,
        kind,
    )


def _placement(id: str, title: str, words: str, measure: str, polarity: Polarity) -> Indicator:
    return _lait(
        id,
        f"Placed {title} at 31 March (%)",
        f"Children looked after on 31 March placed {words}, as a percentage of children "
        "looked after on 31 March (whole percent, as published in LAIT).",
        Unit.PERCENT,
        f"children looked after placed {words}",
        "children looked after on 31 March",
        polarity,
        (2020, 2025),
        "care_placements",
        measure,
        at31=True,
    )


def _unit_cost(id: str, title: str, words: str, measure: str) -> Indicator:
    return _lait(
        id,
        f"{title} weekly unit cost (£)",
        f"LAIT's '{words} - S251/Outturn weekly unit cost', as published: section 251 "
        "outturn on the service divided by the children it serves, per week; cash terms.",
        Unit.GBP,
        f"section 251 outturn on {words.lower()}",
        "children served, per week",
        _NEUTRAL,
        (2017, 2025),
        "care_spend",
        measure,
        source=_S251,
    )


CARE: tuple[Indicator, ...] = (
    # --- Numbers (spliced: LAIT 2016-2020, DfE's tidy file from 2021) -------------
    _ind(
        "lac_starts",
        "Children starting to be looked after",
        "Children starting to be looked after in the year ending 31 March.",
        Unit.COUNT,
        "children starting to be looked after",
        "",
        _NEUTRAL,
        _CLA,
        (2016, 2025),
        "looked_after",
        Derivation(
            "column", _CLA_FILE, "children_count", filters=_CLA_START, lait_before="LACnum_Start"
        ),
    ),
    _ind(
        "lac_ceased",
        "Children ceasing to be looked after",
        "Children ceasing to be looked after in the year ending 31 March.",
        Unit.COUNT,
        "children ceasing to be looked after",
        "",
        _NEUTRAL,
        _CLA,
        (2016, 2025),
        "looked_after",
        Derivation(
            "column", _CLA_FILE, "children_count", filters=_CLA_CEASE, lait_before="LACceased"
        ),
    ),
    _lait(
        "uasc_at31",
        "Unaccompanied asylum-seeking children looked after",
        "Unaccompanied asylum-seeking children (who applied for asylum in their own right "
        "and are separated from both parents and any other responsible adult) looked "
        "after on 31 March.",
        Unit.COUNT,
        "unaccompanied asylum-seeking children looked after",
        "",
        _NEUTRAL,
        (2016, 2025),
        "looked_after",
        "Unacc_Asylmn_Seek_Childn",
        at31=True,
    ),
    _lait(
        "uasc_pct",
        "Unaccompanied asylum-seeking children (% of looked after)",
        "Unaccompanied asylum-seeking children as a percentage of children looked after "
        "on 31 March.",
        Unit.PERCENT,
        "unaccompanied asylum-seeking children looked after",
        "children looked after on 31 March",
        _NEUTRAL,
        (2020, 2025),
        "looked_after",
        "Unacc_Asylmn_Seek_Childn%",
        at31=True,
    ),
    _lait(
        "uasc_starts_pct",
        "Unaccompanied asylum-seeking children (% of starts)",
        "Unaccompanied asylum-seeking children as a percentage of children starting to "
        "be looked after in the year.",
        Unit.PERCENT,
        "unaccompanied asylum-seeking children starting to be looked after",
        "children starting to be looked after",
        _NEUTRAL,
        (2020, 2025),
        "looked_after",
        "UASC_%_Starting",
    ),
    # --- Placements at 31 March and sufficiency -------------------------------------
    _placement(
        "lac_foster_pct", "in foster care", "in foster care", "LAC_Foster_Placements", _HIGH
    ),
    _placement(
        "lac_childrens_homes_pct",
        "in children's homes or secure units",
        "in a secure unit or children's home",
        "LAC_SecHome_And_ChildHome",
        _NEUTRAL,
    ),
    _placement(
        "lac_independent_living_pct",
        "in independent or semi-independent living",
        "in independent or semi-independent living arrangements or supported accommodation "
        "(illegal for children under 16 from 28 October 2023)",
        "LAC_Ind_SInd_Liv_Arr",
        _NEUTRAL,
    ),
    _placement(
        "lac_other_residential_pct",
        "in other residential settings",
        "in other residential settings",
        "LAC_Other_Res_Settings",
        _NEUTRAL,
    ),
    _placement(
        "lac_with_parents_pct",
        "with parents",
        "with parents or another person with parental responsibility",
        "LAC_Parents_OR_Others",
        _HIGH,
    ),
    _placement(
        "lac_other_placement_pct",
        "in other placements",
        "in other placements (including placed for adoption and, from 2024, unregistered "
        "settings, as LAIT groups them)",
        "LAC_Other_Place_Inc_Unreg",
        _NEUTRAL,
    ),
    _lait(
        "lac_placed_over_20_miles_pct",
        "Placed more than 20 miles from home, outside the authority (%)",
        "Children looked after on 31 March placed more than 20 miles from their home "
        "and outside the authority's boundary, as a percentage of children looked after.",
        Unit.PERCENT,
        "children placed more than 20 miles from home outside the authority",
        "children looked after on 31 March",
        _LOW,
        (2016, 2025),
        "care_placements",
        "LACDistance",
        at31=True,
    ),
    _lait(
        "foster_places",
        "Approved foster places",
        "Places that the authority's own foster carers are approved to provide, filled "
        "or not, on 31 March (excludes independent fostering agencies and, from 2022, "
        "family and friends fostering).",
        Unit.COUNT,
        "approved foster places",
        "",
        _NEUTRAL,
        (2022, 2025),
        "care_placements",
        "Number_Foster_Places(New)",
        at31=True,
        source=_FOSTER,
    ),
    _lait(
        "foster_places_filled",
        "Approved foster places filled",
        "Approved places of the authority's own foster carers that were filled (children "
        "placed) on 31 March.",
        Unit.COUNT,
        "foster places filled",
        "",
        _NEUTRAL,
        (2022, 2025),
        "care_placements",
        "Number_Foster_Places_Filled(New)",
        at31=True,
        source=_FOSTER,
    ),
    _ind(
        "foster_places_filled_pct",
        "Approved foster places filled (%)",
        "Approved places of the authority's own foster carers filled on 31 March, as a "
        "percentage of approved places (computed from LAIT's two counts).",
        Unit.PERCENT,
        "foster places filled",
        "approved foster places",
        _NEUTRAL,
        _FOSTER,
        (2022, 2025),
        "care_placements",
        Derivation(
            "lait_per", lait="Number_Foster_Places_Filled(New)", other="foster_places", scale=100.0
        ),
        *_AT31,
    ),
    # --- Stability and missing --------------------------------------------------------
    _lait(
        "lac_3plus_placements",
        "Looked-after children with 3 or more placements in the year",
        "Children looked after on 31 March who had three or more placements during the year.",
        Unit.COUNT,
        "children with 3 or more placements in the year",
        "",
        _NEUTRAL,
        (2016, 2025),
        "looked_after",
        "LACStableNum_2016on",
    ),
    _lait(
        "lac_same_carer_2yrs",
        "Long-term looked-after children with the same carer for 2 years",
        "Children under 16 looked after for at least 2.5 years who had lived in the same "
        "placement for at least 2 years, or were placed for adoption with the two "
        "placements together lasting 2 years.",
        Unit.COUNT,
        "children living with the same carer for at least 2 years",
        "",
        _NEUTRAL,
        (2018, 2025),
        "looked_after",
        "LAC_LongStableNum",
        at31=True,
    ),
    _lait(
        "lac_missing_pct",
        "Looked-after children who went missing (%)",
        "Children looked after during the year who had at least one missing incident "
        "(not where they were expected to be and whereabouts unknown), as a percentage "
        "of children looked after during the year.",
        Unit.PERCENT,
        "children looked after with a missing incident",
        "children looked after during the year",
        _NEUTRAL,
        (2016, 2025),
        "looked_after",
        "Children_missing",
    ),
    _lait(
        "lac_away_pct",
        "Looked-after children away without authorisation (%)",
        "Children looked after during the year who were away from placement without "
        "authorisation (whereabouts known) at least once, as a percentage of children "
        "looked after during the year.",
        Unit.PERCENT,
        "children looked after away from placement without authorisation",
        "children looked after during the year",
        _NEUTRAL,
        (2016, 2025),
        "looked_after",
        "Children_Away",
    ),
    # --- Leaving care and permanence ---------------------------------------------------
    _lait(
        "care_leavers_19_21",
        "Care leavers aged 19 to 21",
        "Former relevant young people whose 19th, 20th or 21st birthday fell in the year, "
        "looked after for at least 13 weeks after their 14th birthday including some "
        "time after their 16th.",
        Unit.COUNT,
        _LEAVERS,
        "",
        _NEUTRAL,
        (2016, 2025),
        "care_leavers",
        "NoCareLeavers",
    ),
    _lait(
        "care_leavers_eet_pct",
        "Care leavers aged 19 to 21 in education, employment or training (%)",
        "Care leavers aged 19 to 21 in education, employment or training around their "
        "birthday, as a percentage of care leavers aged 19 to 21.",
        Unit.PERCENT,
        "care leavers in education, employment or training",
        _LEAVERS,
        _HIGH,
        (2016, 2025),
        "care_leavers",
        "CareLeaverEET",
    ),
    _lait(
        "care_leavers_neet_pct",
        "Care leavers aged 19 to 21 not in education, employment or training (%)",
        "Care leavers aged 19 to 21 not in education, employment or training, as a "
        "percentage of care leavers aged 19 to 21.",
        Unit.PERCENT,
        "care leavers not in education, employment or training",
        _LEAVERS,
        _LOW,
        (2017, 2025),
        "care_leavers",
        "CareLeaversNEET",
    ),
    _lait(
        "care_leavers_suitable_accommodation_pct",
        "Care leavers aged 19 to 21 in suitable accommodation (%)",
        "Care leavers aged 19 to 21 whose accommodation the authority judged suitable, "
        "as a percentage of care leavers aged 19 to 21.",
        Unit.PERCENT,
        "care leavers in suitable accommodation",
        _LEAVERS,
        _HIGH,
        (2016, 2025),
        "care_leavers",
        "CareLeaverAcc",
    ),
    _lait(
        "care_leavers_not_in_touch_pct",
        "Care leavers aged 19 to 21 not in touch with the authority (%)",
        "Care leavers aged 19 to 21 with whom the authority was not in touch, as a "
        "percentage of care leavers aged 19 to 21.",
        Unit.PERCENT,
        "care leavers the authority was not in touch with",
        _LEAVERS,
        _LOW,
        (2016, 2025),
        "care_leavers",
        "CareLeavers_LA_NotInTouch",
    ),
    _lait(
        "care_leavers_higher_education_pct",
        "Care leavers aged 19 to 21 in higher education (%)",
        "Care leavers aged 19 to 21 in higher education, as a percentage of care leavers "
        "aged 19 to 21.",
        Unit.PERCENT,
        "care leavers in higher education",
        _LEAVERS,
        _HIGH,
        (2016, 2025),
        "care_leavers",
        "LAC_19_HE",
    ),
    _lait(
        "staying_put_pct",
        "Care leavers staying put with former foster carers (%)",
        "Young people aged 18 to 20 who ceased to be looked after in a foster placement on "
        "their 18th birthday and were living with their former foster carers, as a "
        "percentage of those eligible.",
        Unit.PERCENT,
        "young people staying with their former foster carers",
        "young people aged 18 to 20 who left foster care on their 18th birthday",
        _HIGH,
        (2016, 2025),
        "care_leavers",
        "StayingPut",
    ),
    _lait(
        "lac_adopted",
        "Children adopted from care",
        "Children who ceased to be looked after in the year because they were adopted.",
        Unit.COUNT,
        "children adopted",
        "",
        _NEUTRAL,
        (2016, 2025),
        "care_leavers",
        "No_of LAC Adopted",
    ),
    _lait(
        "lac_adopted_pct",
        "Children adopted (% of those ceasing care)",
        "Children adopted, as a percentage of children who ceased to be looked after in the year.",
        Unit.PERCENT,
        "children adopted",
        "children ceasing to be looked after",
        _HIGH,
        (2016, 2025),
        "care_leavers",
        "%_of LAC Adopted",
    ),
    _lait(
        "lac_ceased_sgo",
        "Children leaving care on a special guardianship order",
        "Children who ceased to be looked after in the year because a special "
        "guardianship order was made.",
        Unit.COUNT,
        "children ceasing care on a special guardianship order",
        "",
        _NEUTRAL,
        (2016, 2025),
        "care_leavers",
        "LAC_ceased_SGO",
    ),
    _lait(
        "lac_ceased_sgo_pct",
        "Children leaving care on a special guardianship order (%)",
        "Children who ceased to be looked after because of a special guardianship order, "
        "as a percentage of children ceasing to be looked after in the year.",
        Unit.PERCENT,
        "children ceasing care on a special guardianship order",
        "children ceasing to be looked after",
        _NEUTRAL,
        (2020, 2025),
        "care_leavers",
        "LAC_ceased_SGO%",
    ),
    # --- Unit costs and spend (section 251 outturn via LAIT; cash terms) ---------------
    _unit_cost(
        "unit_cost_lac_weekly", "Looked-after children", "Looked after children", "LACFinance"
    ),
    _unit_cost("unit_cost_fostering_weekly", "Fostering", "Fostering", "FosteringFinance"),
    _unit_cost(
        "unit_cost_residential_weekly", "Residential care", "Residential care", "RescareFinance"
    ),
    _lait(
        "spend_lac_gross",
        "Looked-after children gross spend (£)",
        "Section 251 outturn: gross expenditure on children looked after (residential "
        "care, fostering, adoption, special guardianship support, other looked-after "
        "services, short breaks, education of looked-after children).",
        Unit.GBP,
        "gross spend on children looked after",
        "",
        _NEUTRAL,
        (2017, 2025),
        "care_spend",
        "TotalLACFinance",
        source=_S251,
    ),
    _lait(
        "spend_leaving_care_gross",
        "Leaving care support gross spend (£)",
        "Section 251 outturn: gross expenditure on leaving care support services (personal "
        "advisers, pathway plans, the leaving care team and its overheads).",
        Unit.GBP,
        "gross spend on leaving care support",
        "",
        _NEUTRAL,
        (2017, 2025),
        "care_spend",
        "LeaveCareSupServTotExp",
        source=_S251,
    ),
    _lait(
        "spend_cyp_gross",
        "Children's and young people's services gross spend (£)",
        "Section 251 outturn: gross expenditure on children's and young people's services "
        "(excluding capital expenditure charged to revenue).",
        Unit.GBP,
        "gross spend on children's and young people's services",
        "",
        _NEUTRAL,
        (2017, 2025),
        "care_spend",
        "C&YPExpenditure",
        source=_S251,
    ),
    _ind(
        "spend_lac_share_pct",
        "Looked-after children spend (% of children's services spend)",
        "Section 251 gross outturn on children looked after as a percentage of gross "
        "outturn on children's and young people's services (both from LAIT).",
        Unit.PERCENT,
        "gross spend on children looked after",
        "gross spend on children's and young people's services",
        _NEUTRAL,
        _S251,
        (2017, 2025),
        "care_spend",
        Derivation("lait_per", lait="TotalLACFinance", other="spend_cyp_gross", scale=100.0),
        _OUTTURN,
    ),
)
