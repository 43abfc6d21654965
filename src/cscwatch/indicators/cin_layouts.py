"""Column layouts of DfE's published CIN tables that a return's own figures fill.

Declared once here, beside the published data they describe:
:mod:`cscwatch.childlevel.cin.measures` writes an authority's figures in these layouts,
:mod:`cscwatch.indicators.provisional` checks and loads such figures into the warehouse,
and the synthetic returns (:mod:`cscwatch.synth.cin`) are calibrated to the published
figures read in them. :data:`RELATIONS` are the total-part relations between columns that
disclosure control (:mod:`cscwatch.indicators.disclosure`) must keep differencing from
undoing.
"""

from __future__ import annotations

from cscwatch.indicators.disclosure import Relation

__all__ = ["FACTOR_COLUMNS", "LAYOUTS", "PERCENTS", "PLAN_LENGTH_COLUMNS", "RELATIONS"]

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

_C2_BANDS = ("Same_day", "1-10_days", "11-20_days", "21-30_days", "31-40_days", "41-45_days",
             "46-50_days", "51-60_days", "61+_days")  # fmt: skip

#: Layout → (category label, measure columns in the publisher's order).
LAYOUTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "b1": ("Children in Need", ("Anypoint_episodes", "Anypoint_child", "Started_episodes",
                                "Started_child", "Ended_episodes", "Ended_child",
                                "At31_episodes", "awaiting_assessment")),
    "c1": ("Referrals and Re-referrals", ("referral_count", "rereferral_count",
                                          "rereferral_percent", "no_further_action_count",
                                          "no_further_action_percent", "not_in_need_count",
                                          "not_in_need_percent", "referral_child_count",
                                          "rereferral_child_count",
                                          "rereferral_child_percent")),
    "c2": ("Duration of assessment", ("Assessments_completed", *_C2_BANDS, "Within_45_days",
                                      "Within_45_days_percent")),
    "c3": ("Factors identified at the end of assessment",
           ("Episodes_with_assessment_factor", *FACTOR_COLUMNS)),
    "c4": ("Section 47 enquiries and initial child protection conferences",
           ("S47_enquiries", "ICPCs", "ICPC_within_15_days", "ICPC_within_15_days_percent")),
    "d3": ("Child Protection Plans which are a second or subsequent plan",
           ("CPP_start", "CPP_subsequent", "CPP_subsequent_percent")),
    "d5": ("Child Protection Plans by length of time",
           ("CPP_At31", *(x for b in PLAN_LENGTH_COLUMNS for x in (b, f"{b}_percent")))),
}  # fmt: skip

#: Percentage column → (numerator, denominator).
PERCENTS: dict[str, tuple[str, str]] = {
    "rereferral_percent": ("rereferral_count", "referral_count"),
    "no_further_action_percent": ("no_further_action_count", "referral_count"),
    "not_in_need_percent": ("not_in_need_count", "referral_count"),
    "rereferral_child_percent": ("rereferral_child_count", "referral_child_count"),
    "Within_45_days_percent": ("Within_45_days", "Assessments_completed"),
    "ICPC_within_15_days_percent": ("ICPC_within_15_days", "_icpc_s47"),
    "CPP_subsequent_percent": ("CPP_subsequent", "CPP_start"),
    **{f"{b}_percent": (b, "CPP_At31") for b in PLAN_LENGTH_COLUMNS},
}

RELATIONS: tuple[Relation, ...] = (
    # c2: the bands up to 45 working days make the within-45-days total, which with the
    # longer bands makes the assessments completed.
    Relation("Within_45_days", _C2_BANDS[:6]),
    Relation("Assessments_completed", ("Within_45_days", *_C2_BANDS[6:])),
    # c1 and b1 share the referrals: each is an NFA referral, assessed not in need, or
    # the start of a CIN episode.
    Relation("referral_count", ("Started_episodes", "no_further_action_count",
                                "not_in_need_count")),
    # b1: an episode open at some point in the year either ended in it or is open at 31 March.
    Relation("Anypoint_episodes", ("Ended_episodes", "At31_episodes")),
    # d5: plans at 31 March by length.
    Relation("CPP_At31", PLAN_LENGTH_COLUMNS),
)  # fmt: skip
