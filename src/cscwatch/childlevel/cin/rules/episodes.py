"""Rules on CIN episodes (the ``<CINdetails>`` module)."""

from __future__ import annotations

from cscwatch.childlevel.cin.rules.base import rule
from cscwatch.childlevel.cin.rules.sql import (
    PRIMARY_NEEDS,
    R_EP,
    R_S,
    REASONS_FOR_CLOSURE,
    REFERRAL_SOURCES,
    sql_list,
)

__all__: list[str] = []

# Correlates a module table (alias x) with its episode e.
_SAME_EP = (
    "x.return_id = e.return_id AND x.child_seq = e.child_seq AND x.episode_seq = e.episode_seq"
)


@rule("2990", "CINdetails", "Error",
      "Activity is recorded against a case marked as ‘Case closed after assessment, no "
      "further action’ or 'case closed after assessment, referred to early help'.",
      table="cin_episode", field="ReasonForClosure")  # fmt: skip
def _r2990() -> str:
    """An episode closed RC8 or RC9 must have no <Section47>, no <ChildProtectionPlans>,
    no episode-level <DateOfInitialCPC> and no <CINPlanDates>."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    WHERE e.reason_for_closure IN ('RC8', 'RC9')
      AND (e.initial_cpc_date IS NOT NULL
           OR EXISTS (SELECT 1 FROM v_s47 x WHERE {_SAME_EP})
           OR EXISTS (SELECT 1 FROM v_cpp x WHERE {_SAME_EP})
           OR EXISTS (SELECT 1 FROM v_plan x WHERE {_SAME_EP}))
    """


@rule("2991Q", "CINdetails", "Query",
      "Please check and either amend data or provide a reason: A Section 47 module is "
      "recorded and there is no assessment on the episode", table="cin_episode",
      field="CINdetailsID")  # fmt: skip
def _r2991q() -> str:
    """An episode with a <Section47> module should have an <Assessments> module."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    WHERE EXISTS (SELECT 1 FROM v_s47 x WHERE {_SAME_EP})
      AND NOT EXISTS (SELECT 1 FROM v_assessment x WHERE {_SAME_EP})
    """


@rule("8555Q", "CINdetails", "Query",
      "Child cannot be referred after its recorded date of death", table="cin_episode",
      field="CINreferralDate")  # fmt: skip
def _r8555q() -> str:
    """<CINreferralDate> on or before <PersonDeathDate> when both are present."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e JOIN v_child c USING (return_id, child_seq)
    WHERE e.referral_date > c.death_date
    """


@rule("8568", "CINdetails", "Error", "RNFA flag is missing or invalid", table="cin_episode",
      field="ReferralNFA")  # fmt: skip
def _r8568() -> str:
    """<ReferralNFA> must be present and one of 1, 0, true, false (anything else is
    typed NULL on load)."""
    return f"SELECT e.return_id, {R_EP} FROM v_episode e WHERE e.referral_nfa IS NULL"


@rule("8569Q", "CINdetails", "Query",
      "A case with referral date before one working day prior to the collection start "
      "date must not be flagged as a no further action case", table="cin_episode",
      field="ReferralNFA")  # fmt: skip
def _r8569q() -> str:
    """With <CINreferralDate> before the working day preceding 1 April (England and
    Wales bank holidays), <ReferralNFA> must be false."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e JOIN census h USING (return_id)
    WHERE e.referral_date < h.start_minus_1wd AND e.referral_nfa = TRUE
    """


@rule("8585Q", "CINdetails", "Query",
      "Please check and either amend or provide a reason: CIN episode shows Died as the "
      "Closure Reason, however child has no recorded Date of Death", table="cin_episode",
      field="ReasonForClosure")  # fmt: skip
def _r8585q() -> str:
    """<ReasonForClosure> RC2 (died) requires a valid <PersonDeathDate>."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e JOIN v_child c USING (return_id, child_seq)
    WHERE e.reason_for_closure = 'RC2' AND c.death_date IS NULL
    """


@rule("8600", "CINdetails", "Error",
      "Child referral date missing or after data collection period", table="cin_episode",
      field="CINreferralDate")  # fmt: skip
def _r8600() -> str:
    """<CINreferralDate> must be present and on or before <ReferenceDate>."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e JOIN census h USING (return_id)
    WHERE e.referral_date IS NULL OR e.referral_date > h.reference_date
    """


@rule("8606", "CINdetails", "Error",
      "Child referral date is more than 40 weeks before DOB or expected DOB",
      table="cin_episode", field="CINreferralDate")  # fmt: skip
def _r8606() -> str:
    """<CINreferralDate> not more than 280 days before <PersonBirthDate> or
    <ExpectedPersonBirthDate>."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e JOIN v_child c USING (return_id, child_seq)
    WHERE e.referral_date < c.birth_date - INTERVAL 280 DAY
       OR e.referral_date < c.expected_birth_date - INTERVAL 280 DAY
    """


@rule("8610", "CINdetails", "Error",
      "Primary Need code is missing for a referral which led to further action.",
      table="cin_episode", field="PrimaryNeedCode")  # fmt: skip
def _r8610() -> str:
    """With <ReferralNFA> false, <PrimaryNeedCode> must be present."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    WHERE e.referral_nfa = FALSE AND e.primary_need_code IS NULL
    """


@rule("8620", "CINdetails", "Error",
      "CIN Closure Date present and does not fall within the Census year",
      table="cin_episode", field="CINclosureDate")  # fmt: skip
def _r8620() -> str:
    """<CINclosureDate>, if present, within the census year, inclusive."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e JOIN census h USING (return_id)
    WHERE e.closure_date NOT BETWEEN h.period_start AND h.reference_date
    """


@rule("8630", "CINdetails", "Error",
      "CIN Closure Date is before CIN Referral Date for the same CIN episode",
      table="cin_episode", field="CINclosureDate")  # fmt: skip
def _r8630() -> str:
    """<CINclosureDate>, if present, on or after the same episode's <CINreferralDate>."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e WHERE e.closure_date < e.referral_date
    """


@rule("8640", "CINdetails", "Error",
      "CIN Reason for closure code invalid (see Reason for Closure table in CIN Census "
      "code set)", table="cin_episode", field="ReasonForClosure")  # fmt: skip
def _r8640() -> str:
    """<ReasonForClosure>, if present, one of RC1-RC9 (no text published; absence is
    rule 8805's)."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    WHERE e.reason_for_closure NOT IN {sql_list(REASONS_FOR_CLOSURE)}
    """


@rule("8650", "CINdetails", "Error",
      "Primary Need Code invalid (see Primary Need table in CIN census code set)",
      table="cin_episode", field="PrimaryNeedCode")  # fmt: skip
def _r8650() -> str:
    """<PrimaryNeedCode>, if present, one of N0-N9."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    WHERE e.primary_need_code NOT IN {sql_list(PRIMARY_NEEDS)}
    """


@rule("8805", "CINdetails", "Error",
      "A CIN case cannot have a CIN closure date without a Reason for Closure",
      table="cin_episode", field="ReasonForClosure")  # fmt: skip
def _r8805() -> str:
    """<CINclosureDate> present requires <ReasonForClosure>."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    WHERE e.closure_date IS NOT NULL AND e.reason_for_closure IS NULL
    """


@rule("8810", "CINdetails", "Error",
      "A CIN case cannot have a Reason for Closure without a CIN Closure Date",
      table="cin_episode", field="CINclosureDate")  # fmt: skip
def _r8810() -> str:
    """<ReasonForClosure> present requires <CINclosureDate> (a present but invalid date
    counts as absent)."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    WHERE e.reason_for_closure IS NOT NULL AND e.closure_date IS NULL
    """


@rule("8815", "CINdetails", "Error",
      "More than one open CIN Details episode (a module with no CIN Closure Date) has been "
      "provided for this child and case is not a referral with no further action.",
      table="cin_episode", field="CINclosureDate")  # fmt: skip
def _r8815() -> str:
    """At most one episode per child may be open (no <CINclosureDate>) with
    <ReferralNFA> false; each such episode is reported when there are two or more."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    WHERE e.closure_date IS NULL AND e.referral_nfa = FALSE
    QUALIFY count(*) OVER (PARTITION BY e.return_id, e.child_seq) > 1
    """


@rule("8816", "CINdetails", "Error",
      "An open CIN episode is shown and case is not a referral with no further action, "
      "but it is not the latest episode.", table="cin_episode",
      field="CINreferralDate")  # fmt: skip
def _r8816() -> str:
    """An open episode with <ReferralNFA> false must have the child's latest
    <CINreferralDate>."""
    return f"""
    SELECT e.return_id, {R_EP} FROM (
        SELECT *, max(referral_date) OVER (PARTITION BY return_id, child_seq) AS latest
        FROM v_episode) e
    WHERE e.closure_date IS NULL AND e.referral_nfa = FALSE
      AND e.referral_date < e.latest
    """


@rule("8820", "CINdetails", "Error", "The dates on the CIN episodes for this child overlap",
      table="cin_episode", field="CINreferralDate")  # fmt: skip
def _r8820() -> str:
    """No episode's <CINreferralDate> may fall within another episode of the same child:
    on or after its <CINreferralDate> and before its <CINclosureDate>, or, when it has no
    closure date and <ReferralNFA> is false, on or before <ReferenceDate>. The DfE's note
    to the rule says one referral's end date may be the next one's start date, so the
    closure day itself is allowed."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e JOIN census h USING (return_id)
    WHERE EXISTS (
        SELECT 1 FROM v_episode o
        WHERE o.return_id = e.return_id AND o.child_seq = e.child_seq
          AND o.episode_seq <> e.episode_seq
          AND e.referral_date >= o.referral_date
          AND ((o.closure_date IS NOT NULL AND e.referral_date < o.closure_date)
               OR (o.closure_date IS NULL AND o.referral_nfa = FALSE
                   AND e.referral_date <= h.reference_date)))
    """


@rule("8825Q", "CINdetails", "Query",
      "Please check and either amend data or provide a reason: Reason for Closure code "
      "RC8 (case closed after assessment) or RC9 (case closed after assessment, referred "
      "to early help) has been returned but there is no assessment present for the "
      "episode.", table="cin_episode", field="ReasonForClosure")  # fmt: skip
def _r8825q() -> str:
    """<ReasonForClosure> RC8 or RC9 requires at least one <Assessments> module."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    WHERE e.reason_for_closure IN ('RC8', 'RC9')
      AND NOT EXISTS (SELECT 1 FROM v_assessment x WHERE {_SAME_EP})
    """


@rule("8831", "CINdetails", "Error",
      "Activity is recorded against a case marked as a referral with no further action",
      table="cin_episode", field="ReferralNFA")  # fmt: skip
def _r8831() -> str:
    """With <ReferralNFA> true the episode may have no assessment start or authorisation
    date, no <S47ActualStartDate> and no <DateOfInitialCPC> (episode or section 47)."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    WHERE e.referral_nfa = TRUE
      AND (e.initial_cpc_date IS NOT NULL
           OR EXISTS (SELECT 1 FROM v_assessment x WHERE {_SAME_EP}
                      AND (x.start_date IS NOT NULL OR x.authorisation_date IS NOT NULL))
           OR EXISTS (SELECT 1 FROM v_s47 x WHERE {_SAME_EP}
                      AND (x.start_date IS NOT NULL OR x.icpc_date IS NOT NULL)))
    """


@rule("8866", "CINdetails", "Error", "Source of Referral is missing or an invalid code",
      table="cin_episode", field="ReferralSource")  # fmt: skip
def _r8866() -> str:
    """With <CINreferralDate> on or after 1 April 2013, <ReferralSource> must be present
    and in the code set."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    WHERE e.referral_date >= DATE '2013-04-01'
      AND (e.referral_source IS NULL
           OR e.referral_source NOT IN {sql_list(REFERRAL_SOURCES)})
    """


@rule("8867", "CINdetails", "Error",
      "CIN episode is shown as closed, however Assessment is not shown as completed",
      table="cin_episode", field="AssessmentAuthorisationDate")  # fmt: skip
def _r8867() -> str:
    """A closed episode's assessments must all have <AssessmentAuthorisationDate>."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    WHERE e.closure_date IS NOT NULL
      AND EXISTS (SELECT 1 FROM v_assessment x WHERE {_SAME_EP}
                  AND x.authorisation_date IS NULL)
    """


@rule("8868", "CINdetails", "Error",
      "CIN episode is shown as closed, however Section 47 enquiry is not shown as "
      "completed by ICPC date or ICPC not required flag", table="cin_episode",
      field="CINclosureDate")  # fmt: skip
def _r8868() -> str:
    """A closed episode's section 47 enquiries must each have <DateOfInitialCPC> or
    <ICPCnotRequired> true."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    WHERE e.closure_date IS NOT NULL
      AND EXISTS (SELECT 1 FROM v_s47 x WHERE {_SAME_EP}
                  AND x.icpc_date IS NULL AND x.icpc_not_required IS NOT TRUE)
    """


@rule("8890", "CINdetails", "Error",
      "A Section 47 enquiry is shown as starting when there is another Section 47 "
      "Enquiry ongoing", table="cin_section47", field="S47ActualStartDate")  # fmt: skip
def _r8890() -> str:
    """Within one episode, no <S47ActualStartDate> may fall on or between another
    enquiry's start and its <DateOfInitialCPC>, or, for another enquiry with no ICPC date
    and <ICPCnotRequired> not true, its start and <ReferenceDate>. (The text is cut off
    after "and the I..."; completed from rule 8839.) Another enquiry that has neither an
    ICPC date nor an open status (ICPC not required) is not an interval and is skipped."""
    return f"""
    SELECT s.return_id, {R_S} FROM v_s47 s JOIN census h USING (return_id)
    WHERE EXISTS (
        SELECT 1 FROM v_s47 o
        WHERE o.return_id = s.return_id AND o.child_seq = s.child_seq
          AND o.episode_seq = s.episode_seq AND o.s47_seq <> s.s47_seq
          AND s.start_date >= o.start_date
          AND ((o.icpc_date IS NOT NULL AND s.start_date <= o.icpc_date)
               OR (o.icpc_date IS NULL AND o.icpc_not_required IS NOT TRUE
                   AND s.start_date <= h.reference_date)))
    """
