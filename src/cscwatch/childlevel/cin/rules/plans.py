"""Rules on CIN plans (the ``<CINPlanDates>`` module)."""

from __future__ import annotations

from cscwatch.childlevel.cin.rules.base import rule
from cscwatch.childlevel.cin.rules.sql import R_CP, R_P, R_R

__all__: list[str] = []


@rule("4000", "CINplanDates", "Error",
      "CIN Plan details provided for a referral with no further action", table="cin_plan",
      field="ReferralNFA")  # fmt: skip
def _r4000() -> str:
    """An episode with <ReferralNFA> true may have no <CINPlanDates> module (no text
    published; read from the message)."""
    return f"""
    SELECT p.return_id, {R_P} FROM v_plan p
    JOIN v_episode e USING (return_id, child_seq, episode_seq)
    WHERE e.referral_nfa = TRUE
    """


@rule("4001", "CINplanDates", "Error",
      "A CIN Plan cannot run concurrently with a Child Protection Plan", table="cin_plan",
      field="CINPlanEndDate")  # fmt: skip
def _r4001() -> str:
    """An episode with an open child protection plan (no <CPPendDate>) may not also have
    an open CIN plan (no <CINPlanEndDate>); the open CIN plan is reported."""
    return f"""
    SELECT p.return_id, {R_P} FROM v_plan p
    WHERE p.end_date IS NULL
      AND EXISTS (SELECT 1 FROM v_cpp cp
                  WHERE cp.return_id = p.return_id AND cp.child_seq = p.child_seq
                    AND cp.episode_seq = p.episode_seq AND cp.end_date IS NULL)
    """


@rule("4003", "Reviews", "Error",
      "A CPP review date is shown as being held at the same time as an open CIN Plan.",
      table="cin_cpp_review", field="CPPreviewDate")  # fmt: skip
def _r4003() -> str:
    """Within one episode no <CPPreviewDate> may fall after a CIN plan's start and on or
    before its end (or <ReferenceDate> when open), unless the review date equals its
    plan's <CPPendDate>. A review on the CIN plan's start date is not reported: that is
    the review conference that steps a child down to a CIN plan, and the DfE's
    collection system is reported not to flag it in practice."""
    return f"""
    SELECT r.return_id, {R_R} FROM v_review r
    JOIN v_cpp cp USING (return_id, child_seq, episode_seq, cpp_seq)
    JOIN census h USING (return_id)
    WHERE r.review_date IS DISTINCT FROM cp.end_date
      AND EXISTS (SELECT 1 FROM v_plan p
                  WHERE p.return_id = r.return_id AND p.child_seq = r.child_seq
                    AND p.episode_seq = r.episode_seq
                    AND r.review_date > p.start_date
                    AND r.review_date <= coalesce(p.end_date, h.reference_date))
    """


@rule("4004", "CINplanDates", "Error",
      "This child is showing more than one open CIN Plan, i.e. with no End Date",
      table="cin_plan", field="CINPlanEndDate")  # fmt: skip
def _r4004() -> str:
    """At most one <CINPlanDates> group without <CINPlanEndDate>; read per child (the
    message says "this child"); each open plan is reported when there are two or more."""
    return f"""
    SELECT p.return_id, {R_P} FROM v_plan p
    WHERE p.end_date IS NULL
    QUALIFY count(*) OVER (PARTITION BY p.return_id, p.child_seq) > 1
    """


@rule("4008", "ChildIdentifiers", "Error",
      "CIN Plan shown as starting after the child’s Date of Death.", table="cin_plan",
      field="CINPlanStartDate")  # fmt: skip
def _r4008() -> str:
    """With <PersonDeathDate> present, <CINPlanStartDate> on or before it."""
    return f"""
    SELECT p.return_id, {R_P} FROM v_plan p JOIN v_child c USING (return_id, child_seq)
    WHERE p.start_date > c.death_date
    """


@rule("4009Q", "ChildIdentifiers", "Query",
      "CIN Plan cannot end after the child’s Date of Death", table="cin_plan",
      field="CINPlanEndDate")  # fmt: skip
def _r4009q() -> str:
    """With <PersonDeathDate> present, <CINPlanEndDate> on or before it."""
    return f"""
    SELECT p.return_id, {R_P} FROM v_plan p JOIN v_child c USING (return_id, child_seq)
    WHERE p.end_date > c.death_date
    """


@rule("4010", "CINplanDates", "Error",
      "CIN Plan start date is missing or out of data collection period", table="cin_plan",
      field="CINPlanStartDate")  # fmt: skip
def _r4010() -> str:
    """<CINPlanStartDate> must be present and on or before <ReferenceDate>."""
    return f"""
    SELECT p.return_id, {R_P} FROM v_plan p JOIN census h USING (return_id)
    WHERE p.start_date IS NULL OR p.start_date > h.reference_date
    """


@rule("4011", "CINplanDates", "Error", "CIN Plan End Date earlier than Start Date",
      table="cin_plan", field="CINPlanEndDate")  # fmt: skip
def _r4011() -> str:
    """<CINPlanEndDate>, if present, on or after <CINPlanStartDate>."""
    return f"SELECT p.return_id, {R_P} FROM v_plan p WHERE p.end_date < p.start_date"


@rule("4012Q", "CINplanDates", "Query",
      "Please check and either amend or provide a reason: CIN Plan shown as starting and "
      "ending on the same day", table="cin_plan", field="CINPlanEndDate")  # fmt: skip
def _r4012q() -> str:
    """<CINPlanStartDate> should differ from <CINPlanEndDate>."""
    return f"SELECT p.return_id, {R_P} FROM v_plan p WHERE p.end_date = p.start_date"


@rule("4013", "CINplanDates", "Error", "CIN Plan end date must fall within the census year",
      table="cin_plan", field="CINPlanEndDate")  # fmt: skip
def _r4013() -> str:
    """<CINPlanEndDate>, if present, within the census year, inclusive."""
    return f"""
    SELECT p.return_id, {R_P} FROM v_plan p JOIN census h USING (return_id)
    WHERE p.end_date NOT BETWEEN h.period_start AND h.reference_date
    """


@rule("4014", "CINplanDates", "Error", "CIN Plan data contains overlapping dates",
      table="cin_plan", field="CINPlanStartDate")  # fmt: skip
def _r4014() -> str:
    """No <CINPlanStartDate> may fall within another CIN plan of the same child, from its
    start to its end (or <ReferenceDate> when open), inclusive. (The text borrows the
    CPP data items N00105/N00115; read as the CIN plan dates.) Read per child."""
    return f"""
    SELECT p.return_id, {R_P} FROM v_plan p JOIN census h USING (return_id)
    WHERE EXISTS (
        SELECT 1 FROM v_plan o
        WHERE o.return_id = p.return_id AND o.child_seq = p.child_seq
          AND (o.episode_seq, o.plan_seq) <> (p.episode_seq, p.plan_seq)
          AND p.start_date BETWEEN o.start_date AND coalesce(o.end_date, h.reference_date))
    """


@rule("4015", "CINplanDates", "Error",
      "The CIN Plan start date cannot be before the referral date", table="cin_plan",
      field="CINPlanStartDate")  # fmt: skip
def _r4015() -> str:
    """<CINPlanStartDate>, where present, on or after the episode's <CINreferralDate>."""
    return f"""
    SELECT p.return_id, {R_P} FROM v_plan p
    JOIN v_episode e USING (return_id, child_seq, episode_seq)
    WHERE p.start_date < e.referral_date
    """


@rule("4016", "CINplanDates", "Error",
      "A CIN Plan has been reported as open at the same time as a Child Protection Plan.",
      table="cin_plan", field="CINPlanStartDate")  # fmt: skip
def _r4016() -> str:
    """No <CINPlanStartDate> may fall within a child protection plan of the same episode
    (start to end, or to <ReferenceDate> when open), inclusive, unless it equals that
    plan's <CPPendDate> (step-down on the day the plan ends)."""
    return f"""
    SELECT p.return_id, {R_P} FROM v_plan p JOIN census h USING (return_id)
    WHERE EXISTS (
        SELECT 1 FROM v_cpp cp
        WHERE cp.return_id = p.return_id AND cp.child_seq = p.child_seq
          AND cp.episode_seq = p.episode_seq
          AND p.start_date BETWEEN cp.start_date AND coalesce(cp.end_date, h.reference_date)
          AND p.start_date IS DISTINCT FROM cp.end_date)
    """


@rule("4017", "CINplanDates", "Error",
      "A CIN Plan has been reported as open at the same time as a Child Protection Plan.",
      table="cin_cpp", field="CPPstartDate")  # fmt: skip
def _r4017() -> str:
    """No <CPPstartDate> may fall within a CIN plan of the same episode (start to end, or
    to <ReferenceDate> when open), inclusive, unless it equals that CIN plan's
    <CINPlanEndDate> (step-up on the day the CIN plan ends)."""
    return f"""
    SELECT cp.return_id, {R_CP} FROM v_cpp cp JOIN census h USING (return_id)
    WHERE EXISTS (
        SELECT 1 FROM v_plan p
        WHERE p.return_id = cp.return_id AND p.child_seq = cp.child_seq
          AND p.episode_seq = cp.episode_seq
          AND cp.start_date BETWEEN p.start_date AND coalesce(p.end_date, h.reference_date)
          AND cp.start_date IS DISTINCT FROM p.end_date)
    """
