"""Rules on assessments and the factors identified at assessment."""

from __future__ import annotations

from cscwatch.childlevel.cin.rules.base import rule
from cscwatch.childlevel.cin.rules.sql import R_A, R_EP, R_F

__all__: list[str] = []

_SAME_A = (
    "x.return_id = a.return_id AND x.child_seq = a.child_seq "
    "AND x.episode_seq = a.episode_seq AND x.assessment_seq = a.assessment_seq"
)


@rule("1103", "Assessments", "Error",
      "The assessment start date cannot be before the referral date", table="cin_assessment",
      field="AssessmentActualStartDate")  # fmt: skip
def _r1103() -> str:
    """<AssessmentActualStartDate>, where present, on or after the episode's
    <CINreferralDate>."""
    return f"""
    SELECT a.return_id, {R_A} FROM v_assessment a
    JOIN v_episode e USING (return_id, child_seq, episode_seq)
    WHERE a.start_date < e.referral_date
    """


@rule("8608", "Assessments", "Error", "Assessment Start Date cannot be later than its End Date",
      table="cin_assessment", field="AssessmentAuthorisationDate")  # fmt: skip
def _r8608() -> str:
    """<AssessmentAuthorisationDate>, if present, on or after <AssessmentActualStartDate>."""
    return f"""
    SELECT a.return_id, {R_A} FROM v_assessment a WHERE a.authorisation_date < a.start_date
    """


@rule("8614", "Assessments", "Error",
      "Parental or child factors at assessment should only be present for a completed "
      "assessment.", table="cin_assessment", field="AssessmentFactors")  # fmt: skip
def _r8614() -> str:
    """Without <AssessmentAuthorisationDate> the assessment may have no
    <AssessmentFactors>."""
    return f"""
    SELECT a.return_id, {R_A} FROM v_assessment a
    WHERE a.authorisation_date IS NULL
      AND EXISTS (SELECT 1 FROM v_factor x WHERE {_SAME_A})
    """


@rule("8670Q", "Assessments", "Query",
      "Please check and either amend data or provide a reason: Assessment started more than "
      "45 working days before the end of the census year. However, there is no Assessment "
      "end date.", table="cin_assessment", field="AssessmentActualStartDate")  # fmt: skip
def _r8670q() -> str:
    """Without <AssessmentAuthorisationDate>, <AssessmentActualStartDate> should not be
    before <ReferenceDate> minus 45 working days (England and Wales bank holidays)."""
    return f"""
    SELECT a.return_id, {R_A} FROM v_assessment a JOIN census h USING (return_id)
    WHERE a.authorisation_date IS NULL AND a.start_date < h.ref_minus_45wd
    """


@rule("8696", "Assessments", "Error", "Assessment end date must fall within the census year",
      table="cin_assessment", field="AssessmentAuthorisationDate")  # fmt: skip
def _r8696() -> str:
    """<AssessmentAuthorisationDate>, if present, from 1 April to <ReferenceDate>."""
    return f"""
    SELECT a.return_id, {R_A} FROM v_assessment a JOIN census h USING (return_id)
    WHERE a.authorisation_date NOT BETWEEN h.period_start AND h.reference_date
    """


@rule("8736", "Assessments", "Error",
      "For an Assessment that has not been completed, the start date must fall within the "
      "census year", table="cin_assessment", field="AssessmentActualStartDate")  # fmt: skip
def _r8736() -> str:
    """Without <AssessmentAuthorisationDate>, <AssessmentActualStartDate> from 1 April to
    <ReferenceDate>. A missing start date is not reported here ("where present")."""
    return f"""
    SELECT a.return_id, {R_A} FROM v_assessment a JOIN census h USING (return_id)
    WHERE a.authorisation_date IS NULL
      AND a.start_date NOT BETWEEN h.period_start AND h.reference_date
    """


@rule("8863Q", "Assessments", "Query",
      "An Assessment is shown as starting when there is another Assessment ongoing.",
      table="cin_assessment", field="AssessmentActualStartDate")  # fmt: skip
def _r8863q() -> str:
    """Within one episode, no <AssessmentActualStartDate> may fall on or between another
    assessment's start and its <AssessmentAuthorisationDate>, or its start and
    <ReferenceDate> when it has no authorisation date."""
    return f"""
    SELECT a.return_id, {R_A} FROM v_assessment a JOIN census h USING (return_id)
    WHERE EXISTS (
        SELECT 1 FROM v_assessment o
        WHERE o.return_id = a.return_id AND o.child_seq = a.child_seq
          AND o.episode_seq = a.episode_seq AND o.assessment_seq <> a.assessment_seq
          AND a.start_date >= o.start_date
          AND a.start_date <= coalesce(o.authorisation_date, h.reference_date))
    """


@rule("8869", "Assessments", "Error",
      "The assessment factors code “21” cannot be used in conjunction with any other "
      "assessment factors.", table="cin_assessment_factor",
      field="AssessmentFactors")  # fmt: skip
def _r8869() -> str:
    """Factor 21 (no factors identified) must be the only factor of its assessment."""
    return f"""
    SELECT f.return_id, {R_F} FROM v_factor f
    WHERE f.factor = '21'
      AND EXISTS (SELECT 1 FROM v_factor o
                  WHERE o.return_id = f.return_id AND o.child_seq = f.child_seq
                    AND o.episode_seq = f.episode_seq
                    AND o.assessment_seq = f.assessment_seq AND o.factor <> '21')
    """


@rule("8873Q", "Assessments", "Query",
      "Please check and either amend data or provide a reason: When there is only one "
      "assessment on the episode and the factors code “21 No factors identified” has been "
      "used for the completed assessment, the reason for closure ‘RC8’ or 'RC9' should be "
      "used.", table="cin_episode", field="ReasonForClosure")  # fmt: skip
def _r8873q() -> str:
    """A closed episode with exactly one assessment, recorded with factor 21, should have
    <ReasonForClosure> RC8 or RC9. An episode still open (no reason for closure yet) is
    not reported: the rule is about which reason is chosen."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    JOIN (SELECT return_id, child_seq, episode_seq FROM v_assessment
          GROUP BY ALL HAVING count(*) = 1) one USING (return_id, child_seq, episode_seq)
    WHERE EXISTS (SELECT 1 FROM v_factor f
                  WHERE f.return_id = e.return_id AND f.child_seq = e.child_seq
                    AND f.episode_seq = e.episode_seq AND f.factor = '21')
      AND e.reason_for_closure NOT IN ('RC8', 'RC9')
    """


@rule("8896", "Assessments", "Error",
      "Within one CINDetails group there are 2 or more open Assessments groups",
      table="cin_assessment", field="AssessmentAuthorisationDate")  # fmt: skip
def _r8896() -> str:
    """At most one assessment per episode without <AssessmentAuthorisationDate>; each is
    reported when there are two or more."""
    return f"""
    SELECT a.return_id, {R_A} FROM v_assessment a
    WHERE a.authorisation_date IS NULL
    QUALIFY count(*) OVER (PARTITION BY a.return_id, a.child_seq, a.episode_seq) > 1
    """


@rule("8897Q", "Assessments", "Query",
      "Parental or child factors at assessment information is missing from a completed "
      "assessment", table="cin_assessment", field="AssessmentFactors")  # fmt: skip
def _r8897q() -> str:
    """With <AssessmentAuthorisationDate> on or after 1 April, at least one
    <AssessmentFactors> should be present."""
    return f"""
    SELECT a.return_id, {R_A} FROM v_assessment a JOIN census h USING (return_id)
    WHERE a.authorisation_date >= h.period_start
      AND NOT EXISTS (SELECT 1 FROM v_factor x WHERE {_SAME_A})
    """


@rule("8898", "Assessments", "Error",
      "The assessment has more than one parental or child factors with the same code",
      table="cin_assessment_factor", field="AssessmentFactors")  # fmt: skip
def _r8898() -> str:
    """No factor code may repeat within one assessment; each repeat is reported."""
    return f"""
    SELECT f.return_id, {R_F} FROM v_factor f
    QUALIFY row_number() OVER (
        PARTITION BY f.return_id, f.child_seq, f.episode_seq, f.assessment_seq, f.factor
        ORDER BY f.factor_seq) > 1
    """


@rule("8945Q", "Assessments", "Query",
      "Please check and either amend data or provide a reason: the assessment factors code "
      "'18A' should not be used ('18B' or '18C' should be used instead)",
      table="cin_assessment_factor", field="AssessmentFactors",
      ruleset="cin2024_25")  # fmt: skip
def _r8945q() -> str:
    """Factor 18A (retired) should not be used (no text published)."""
    return f"SELECT f.return_id, {R_F} FROM v_factor f WHERE upper(f.factor) = '18A'"


@rule("8950Q", "Assessments", "Query",
      "Please check and either amend data or provide a reason: the assessment factors code "
      "'19A' should not be used ('19B' or '19C' should be used instead)",
      table="cin_assessment_factor", field="AssessmentFactors",
      ruleset="cin2024_25")  # fmt: skip
def _r8950q() -> str:
    """Factor 19A (retired) should not be used (no text published)."""
    return f"SELECT f.return_id, {R_F} FROM v_factor f WHERE upper(f.factor) = '19A'"
