"""Rules on child protection plans and their reviews."""

from __future__ import annotations

from cscwatch.childlevel.cin.rules.base import rule
from cscwatch.childlevel.cin.rules.sql import ABUSE_CATEGORIES, R_CP, R_EP, R_R, R_RETURN, sql_list

__all__: list[str] = []


@rule("1105", "ChildProtectionPlans", "Error",
      "The child protection plan start date cannot be before the referral date",
      table="cin_cpp", field="CPPstartDate")  # fmt: skip
def _r1105() -> str:
    """<CPPstartDate> on or after the episode's <CINreferralDate>."""
    return f"""
    SELECT cp.return_id, {R_CP} FROM v_cpp cp
    JOIN v_episode e USING (return_id, child_seq, episode_seq)
    WHERE cp.start_date < e.referral_date
    """


@rule("2883", "ChildProtectionPlans", "Error",
      "There are more child protection plans starting than initial conferences taking "
      "place", table="cin_cpp", field="CPPstartDate")  # fmt: skip
def _r2883() -> str:
    """Across the return, plans starting in the census year must not outnumber initial
    conferences in the census year (episode-level plus section 47 <DateOfInitialCPC>).
    One issue per return."""
    return f"""
    SELECT h.return_id, {R_RETURN} FROM census h
    WHERE (SELECT count(*) FROM v_cpp cp WHERE cp.return_id = h.return_id
             AND cp.start_date BETWEEN h.period_start AND h.reference_date)
        > (SELECT count(*) FROM v_episode e WHERE e.return_id = h.return_id
             AND e.initial_cpc_date BETWEEN h.period_start AND h.reference_date)
        + (SELECT count(*) FROM v_s47 s WHERE s.return_id = h.return_id
             AND s.icpc_date BETWEEN h.period_start AND h.reference_date)
    """


@rule("2885", "ChildProtectionPlans", "Error",
      "Child protection plan shown as starting a different day to the initial child "
      "protection conference.", table="cin_cpp", field="CPPstartDate")  # fmt: skip
def _r2885() -> str:
    """A <CPPstartDate> in the census year must equal a section 47 <DateOfInitialCPC> of
    the same episode or, when the episode has no section 47 module, the episode's own
    <DateOfInitialCPC>."""
    return f"""
    SELECT cp.return_id, {R_CP} FROM v_cpp cp
    JOIN v_episode e USING (return_id, child_seq, episode_seq)
    JOIN census h USING (return_id)
    WHERE cp.start_date BETWEEN h.period_start AND h.reference_date
      AND CASE WHEN EXISTS (SELECT 1 FROM v_s47 s
                            WHERE s.return_id = cp.return_id AND s.child_seq = cp.child_seq
                              AND s.episode_seq = cp.episode_seq)
               THEN NOT EXISTS (SELECT 1 FROM v_s47 s
                                WHERE s.return_id = cp.return_id
                                  AND s.child_seq = cp.child_seq
                                  AND s.episode_seq = cp.episode_seq
                                  AND s.icpc_date = cp.start_date)
               ELSE e.initial_cpc_date IS DISTINCT FROM cp.start_date END
    """


@rule("8565", "ChildProtectionPlans", "Error", "Activity shown after a case has been closed",
      table="cin_episode", field="CINclosureDate")  # fmt: skip
def _r8565() -> str:
    """With <CINclosureDate> present, it must be on or after every one of these dates in
    the episode that is present: assessment start and authorisation, section 47 start,
    <DateOfInitialCPC> (episode and section 47), <CPPendDate>, CIN plan start and end.
    Reported on the episode."""
    return f"""
    SELECT e.return_id, {R_EP} FROM v_episode e
    WHERE e.closure_date IS NOT NULL AND (
        e.initial_cpc_date > e.closure_date
        OR EXISTS (SELECT 1 FROM v_assessment x
                   WHERE x.return_id = e.return_id AND x.child_seq = e.child_seq
                     AND x.episode_seq = e.episode_seq
                     AND greatest(x.start_date, x.authorisation_date) > e.closure_date)
        OR EXISTS (SELECT 1 FROM v_s47 x
                   WHERE x.return_id = e.return_id AND x.child_seq = e.child_seq
                     AND x.episode_seq = e.episode_seq
                     AND greatest(x.start_date, x.icpc_date) > e.closure_date)
        OR EXISTS (SELECT 1 FROM v_cpp x
                   WHERE x.return_id = e.return_id AND x.child_seq = e.child_seq
                     AND x.episode_seq = e.episode_seq AND x.end_date > e.closure_date)
        OR EXISTS (SELECT 1 FROM v_plan x
                   WHERE x.return_id = e.return_id AND x.child_seq = e.child_seq
                     AND x.episode_seq = e.episode_seq
                     AND greatest(x.start_date, x.end_date) > e.closure_date))
    """


@rule("8720", "ChildProtectionPlans", "Error",
      "Child Protection Plan Start Date missing or out of data collection period",
      table="cin_cpp", field="CPPstartDate")  # fmt: skip
def _r8720() -> str:
    """<CPPstartDate> must be present and on or before <ReferenceDate>."""
    return f"""
    SELECT cp.return_id, {R_CP} FROM v_cpp cp JOIN census h USING (return_id)
    WHERE cp.start_date IS NULL OR cp.start_date > h.reference_date
    """


@rule("8730", "ChildProtectionPlans", "Error",
      "Total Number of previous Child Protection Plans missing", table="cin_cpp",
      field="NumberOfPreviousCPP")  # fmt: skip
def _r8730() -> str:
    """<NumberOfPreviousCPP> must be present, a whole number and zero or more."""
    return f"""
    SELECT cp.return_id, {R_CP} FROM v_cpp cp
    WHERE cp.previous_cpp_count IS NULL OR cp.previous_cpp_count < 0
    """


@rule("8832", "ChildProtectionPlans", "Error",
      "Child Protection details provided for a referral with no further action.",
      table="cin_cpp", field="ReferralNFA")  # fmt: skip
def _r8832() -> str:
    """An episode with <ReferralNFA> true may have no <ChildProtectionPlans> module."""
    return f"""
    SELECT cp.return_id, {R_CP} FROM v_cpp cp
    JOIN v_episode e USING (return_id, child_seq, episode_seq)
    WHERE e.referral_nfa = TRUE
    """


@rule("8840", "ChildProtectionPlans", "Error",
      "Child Protection Plan cannot start and end on the same day", table="cin_cpp",
      field="CPPendDate")  # fmt: skip
def _r8840() -> str:
    """<CPPstartDate> must differ from <CPPendDate>."""
    return f"SELECT cp.return_id, {R_CP} FROM v_cpp cp WHERE cp.start_date = cp.end_date"


@rule("8841", "ChildProtectionPlans", "Error",
      "The review date cannot be on the same day or before the Child protection Plan start "
      "date.", table="cin_cpp_review", field="CPPreviewDate")  # fmt: skip
def _r8841() -> str:
    """Every <CPPreviewDate> after its plan's <CPPstartDate>."""
    return f"""
    SELECT r.return_id, {R_R} FROM v_review r
    JOIN v_cpp cp USING (return_id, child_seq, episode_seq, cpp_seq)
    WHERE r.review_date <= cp.start_date
    """


@rule("8842Q", "Reviews", "Query",
      "Please check and either amend or provide a reason: Review Record has a missing date",
      table="cin_cpp_review", field="CPPreviewDate")  # fmt: skip
def _r8842q() -> str:
    """A <Reviews> group must hold a valid <CPPreviewDate> (an empty group is kept as a
    review with no date)."""
    return f"SELECT r.return_id, {R_R} FROM v_review r WHERE r.review_date IS NULL"


@rule("8905", "ChildProtectionPlans", "Error",
      "Initial Category of Abuse code missing or invalid (see Category of Abuse table in "
      "CIN Census code set)", table="cin_cpp", field="InitialCategoryOfAbuse")  # fmt: skip
def _r8905() -> str:
    """<InitialCategoryOfAbuse> must be present and one of NEG, PHY, SAB, EMO, MUL (no
    text published; as 8910)."""
    return f"""
    SELECT cp.return_id, {R_CP} FROM v_cpp cp
    WHERE cp.initial_category IS NULL
       OR cp.initial_category NOT IN {sql_list(ABUSE_CATEGORIES)}
    """


@rule("8910", "ChildProtectionPlans", "Error",
      "Latest Category of Abuse code missing or invalid (see Category of Abuse table in CIN "
      "Census code set)", table="cin_cpp", field="LatestCategoryOfAbuse")  # fmt: skip
def _r8910() -> str:
    """<LatestCategoryOfAbuse> must be present and a valid code."""
    return f"""
    SELECT cp.return_id, {R_CP} FROM v_cpp cp
    WHERE cp.latest_category IS NULL
       OR cp.latest_category NOT IN {sql_list(ABUSE_CATEGORIES)}
    """


@rule("8915", "ChildProtectionPlans", "Error",
      "Child Protection Plan shown as starting after the child’s Date of Death",
      table="cin_cpp", field="CPPstartDate")  # fmt: skip
def _r8915() -> str:
    """<CPPstartDate> on or before <PersonDeathDate> when that is present."""
    return f"""
    SELECT cp.return_id, {R_CP} FROM v_cpp cp JOIN v_child c USING (return_id, child_seq)
    WHERE cp.start_date > c.death_date
    """


@rule("8920", "ChildProtectionPlans", "Error",
      "Child Protection Plan cannot end after the child’s Date of Death", table="cin_cpp",
      field="CPPendDate")  # fmt: skip
def _r8920() -> str:
    """<CPPendDate> on or before <PersonDeathDate> when both are present."""
    return f"""
    SELECT cp.return_id, {R_CP} FROM v_cpp cp JOIN v_child c USING (return_id, child_seq)
    WHERE cp.end_date > c.death_date
    """


@rule("8925", "ChildProtectionPlans", "Error",
      "Child Protection Plan End Date earlier than Start Date", table="cin_cpp",
      field="CPPendDate")  # fmt: skip
def _r8925() -> str:
    """<CPPendDate>, if present, on or after <CPPstartDate>."""
    return f"SELECT cp.return_id, {R_CP} FROM v_cpp cp WHERE cp.end_date < cp.start_date"


@rule("8930", "ChildProtectionPlans", "Error",
      "Child Protection Plan End Date must fall within the census year", table="cin_cpp",
      field="CPPendDate")  # fmt: skip
def _r8930() -> str:
    """<CPPendDate>, if present, within the census year, inclusive."""
    return f"""
    SELECT cp.return_id, {R_CP} FROM v_cpp cp JOIN census h USING (return_id)
    WHERE cp.end_date NOT BETWEEN h.period_start AND h.reference_date
    """


@rule("8935", "ChildProtectionPlans", "Error",
      "This child is showing more than one open Child Protection plan, i.e. with no End "
      "Date", table="cin_cpp", field="CPPendDate")  # fmt: skip
def _r8935() -> str:
    """At most one plan per child without <CPPendDate> (read per child, as the message
    says); each open plan is reported when there are two or more."""
    return f"""
    SELECT cp.return_id, {R_CP} FROM v_cpp cp
    WHERE cp.end_date IS NULL
    QUALIFY count(*) OVER (PARTITION BY cp.return_id, cp.child_seq) > 1
    """


@rule("8940", "ChildProtectionPlans", "Error",
      "Child Protection Plan data contains overlapping dates", table="cin_cpp",
      field="CPPstartDate")  # fmt: skip
def _r8940() -> str:
    """No <CPPstartDate> may fall within another plan of the same child, from its start
    to its end (or <ReferenceDate> when open), inclusive. Read per child."""
    return f"""
    SELECT cp.return_id, {R_CP} FROM v_cpp cp JOIN census h USING (return_id)
    WHERE EXISTS (
        SELECT 1 FROM v_cpp o
        WHERE o.return_id = cp.return_id AND o.child_seq = cp.child_seq
          AND (o.episode_seq, o.cpp_seq) <> (cp.episode_seq, cp.cpp_seq)
          AND cp.start_date BETWEEN o.start_date AND coalesce(o.end_date, h.reference_date))
    """
