"""Column layouts of DfE's published CIN tables that a return's own figures fill.

Declared once here: :mod:`cscwatch.childlevel.cin.measures` writes an authority's
figures in these layouts, and the synthetic returns (:mod:`cscwatch.synth.cin`) are
calibrated to the published figures read in them.
"""

from __future__ import annotations

__all__ = ["FACTOR_COLUMNS", "PLAN_LENGTH_COLUMNS"]

#: c3 column → CIN census assessment factor codes it counts (DfE CIN census code set).
FACTOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "Alcohol_Misuse_child": ("1A",),
    "Alcohol_Misuse_parent": ("1B",),
    "Alcohol_Misuse_person": ("1C",),
    "Drug_Misuse_child": ("2A",),
    "Drug_Misuse_parent": ("2B",),
    "Drug_Misuse_person": ("2C",),
    "Domestic_Abuse_child": ("3A",),
    "Domestic_Abuse_parent": ("3B",),
    "Domestic_Abuse_person": ("3C",),
    "Mental_Health_child": ("4A",),
    "Mental_Health_parent": ("4B",),
    "Mental_Health_person": ("4C",),
    "Learning_Disability_child": ("5A",),
    "Learning_Disability_parent": ("5B",),
    "Learning_Disability_person": ("5C",),
    "Physical_Disability_child": ("6A",),
    "Physical_Disability_parent": ("6B",),
    "Physical_Disability_person": ("6C",),
    "Young_Carer": ("7A",),
    "Privately_fostered": ("8B", "8C", "8D", "8E", "8F"),
    "Unaccompanied_asylum_seeker": ("9A",),
    "Going_missing": ("10A",),
    "Child_sexual_exploitation": ("11A",),
    "Trafficking": ("12A",),
    "Gangs": ("13A",),
    "Socially_unacceptable_behaviour": ("14A",),
    "Self_harm": ("15A",),
    "Neglect": ("16A",),
    "Emotional_Abuse": ("17A",),
    "Physical_Abuse_unknown": ("18A",),
    "Physical_Abuse_child_on_child": ("18B",),
    "Physical_Abuse_adult_on_child": ("18C",),
    "Sexual_Abuse_unknown": ("19A",),
    "Sexual_Abuse_child_on_child": ("19B",),
    "Sexual_Abuse_adult_on_child": ("19C",),
    "Female_Genital_Mutilation": ("22A",),
    "Faith_linked_abuse": ("23A",),
    "Child_criminal_exploitation": ("24A",),
    "Other": ("20",),
}

#: d5 length bands, shortest first.
PLAN_LENGTH_COLUMNS: tuple[str, ...] = (
    "3_months_or_less",
    "more_than_3_months_6_months",
    "more_than_6_months_less_than_1_year",
    "1_year_less_than_2_years",
    "2_years_or_more",
)
