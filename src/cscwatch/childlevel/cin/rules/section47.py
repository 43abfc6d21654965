"""Rules on section 47 enquiries and initial child protection conferences.

Rules 1104, 8715 and 8875 check the <Section47> group's <DateOfInitialCPC> only; each
docstring gives the decision and its source.
"""

from __future__ import annotations

from cscwatch.childlevel.cin.rules.base import rule
from cscwatch.childlevel.cin.rules.sql import R_S

__all__: list[str] = []


@rule("1104", "Section47", "Error",
      "The date of the initial child protection conference cannot be before the referral "
      "date", table="cin_section47", field="DateOfInitialCPC")  # fmt: skip
def _r1104() -> str:
    """A <Section47> group's <DateOfInitialCPC>, where present, on or after its episode's
    <CINreferralDate>. Decision on the episode-level <DateOfInitialCPC>: DfE files this
    rule under the Section47 module (the 'Module' column of its validation rules, Annex
    A of the CIN census specification) and its text names <DateOfInitialCPC> (N00110)
    without a module, so only the Section 47 group's date is checked. Where DfE means the
    date held by the <CINdetails> module (a conference with no section 47 enquiry in the
    episode, e.g. a transfer-in) its rules name that module: 2883, 2885, 2990, 8831."""
    return f"""
    SELECT s.return_id, {R_S} FROM v_s47 s
    JOIN v_episode e USING (return_id, child_seq, episode_seq)
    WHERE s.icpc_date < e.referral_date
    """


@rule("2884", "Section47", "Error",
      "An initial child protection conference is recorded at both the S47 and CIN Details "
      "level and it should only be recorded in one", table="cin_section47",
      field="DateOfInitialCPC")  # fmt: skip
def _r2884() -> str:
    """The same conference recorded twice: the episode's own <DateOfInitialCPC> equals a
    section 47 <DateOfInitialCPC> in the same episode (no text published; read from the
    message, "it should only be recorded in one"). An episode-level conference on another
    date (e.g. one not preceded by an enquiry in this episode) is not reported. Each such
    section 47 is reported."""
    return f"""
    SELECT s.return_id, {R_S} FROM v_s47 s
    JOIN v_episode e USING (return_id, child_seq, episode_seq)
    WHERE s.icpc_date = e.initial_cpc_date
    """


@rule("2889", "Section47", "Error", "The S47 start date cannot be before the referral date.",
      table="cin_section47", field="S47ActualStartDate")  # fmt: skip
def _r2889() -> str:
    """<S47ActualStartDate>, where present, on or after the episode's
    <CINreferralDate>."""
    return f"""
    SELECT s.return_id, {R_S} FROM v_s47 s
    JOIN v_episode e USING (return_id, child_seq, episode_seq)
    WHERE s.start_date < e.referral_date
    """


@rule("8615", "Section47", "Error",
      "Section 47 Enquiry Start Date must be present and cannot be later than the date of "
      "the initial Child Protection Conference", table="cin_section47",
      field="S47ActualStartDate")  # fmt: skip
def _r8615() -> str:
    """With <DateOfInitialCPC> present, <S47ActualStartDate> must be present and on or
    before it."""
    return f"""
    SELECT s.return_id, {R_S} FROM v_s47 s
    WHERE s.icpc_date IS NOT NULL AND (s.start_date IS NULL OR s.start_date > s.icpc_date)
    """


@rule("8675Q", "Section47", "Query",
      "Please check and either amend data or provide a reason: S47 Enquiry started more "
      "than 15 working days before the end of the census year. However, there is no date "
      "of Initial Child Protection Conference.", table="cin_section47",
      field="S47ActualStartDate")  # fmt: skip
def _r8675q() -> str:
    """With no <DateOfInitialCPC> and <ICPCnotRequired> not true (false or missing),
    <S47ActualStartDate> should not be before <ReferenceDate> minus 15 working days
    (England and Wales bank holidays)."""
    return f"""
    SELECT s.return_id, {R_S} FROM v_s47 s JOIN census h USING (return_id)
    WHERE s.icpc_date IS NULL AND s.icpc_not_required IS NOT TRUE
      AND s.start_date < h.ref_minus_15wd
    """


@rule("8715", "Section47", "Error",
      "Date of Initial Child Protection Conference must fall within the census year",
      table="cin_section47", field="DateOfInitialCPC")  # fmt: skip
def _r8715() -> str:
    """A <Section47> group's <DateOfInitialCPC>, if present, from 1 April to
    <ReferenceDate>. Decision on the episode-level <DateOfInitialCPC>: DfE files this
    rule under the Section47 module (the 'Module' column of its validation rules, Annex
    A of the CIN census specification) and its text names <DateOfInitialCPC> (N00110)
    without a module, so only the Section 47 group's date is checked. Where DfE means the
    date held by the <CINdetails> module its rules name that module (2883 counts it only
    when within the census period; 2885, 2990, 8831), so an episode-level conference
    before 1 April (an episode carried over from an earlier year) is not an error."""
    return f"""
    SELECT s.return_id, {R_S} FROM v_s47 s JOIN census h USING (return_id)
    WHERE s.icpc_date NOT BETWEEN h.period_start AND h.reference_date
    """


@rule("8740", "Section47", "Error",
      "For a Section 47 Enquiry that has not held the Initial Child Protection Conference "
      "by the end of the census year, the start date must fall within the census year",
      table="cin_section47", field="S47ActualStartDate")  # fmt: skip
def _r8740() -> str:
    """With no <DateOfInitialCPC> and <ICPCnotRequired> not true, <S47ActualStartDate>
    (where present) from 1 April to <ReferenceDate>."""
    return f"""
    SELECT s.return_id, {R_S} FROM v_s47 s JOIN census h USING (return_id)
    WHERE s.icpc_date IS NULL AND s.icpc_not_required IS NOT TRUE
      AND s.start_date NOT BETWEEN h.period_start AND h.reference_date
    """


@rule("8839", "Section47", "Error",
      "Within one CINDetails group there are 2 or more open S47 Assessments",
      table="cin_section47", field="DateOfInitialCPC")  # fmt: skip
def _r8839() -> str:
    """At most one open enquiry per episode, "open" read as the text's second clause: no
    <DateOfInitialCPC> and <ICPCnotRequired> not true. Each is reported when there are
    two or more."""
    return f"""
    SELECT s.return_id, {R_S} FROM v_s47 s
    WHERE s.icpc_date IS NULL AND s.icpc_not_required IS NOT TRUE
    QUALIFY count(*) OVER (PARTITION BY s.return_id, s.child_seq, s.episode_seq) > 1
    """


@rule("8870Q", "Section47", "Query",
      "Please check and either amend or provide a reason: The Target Date for Initial Child "
      "Protection Conference should not be a weekend", table="cin_section47",
      field="InitialCPCtarget")  # fmt: skip
def _r8870q() -> str:
    """<InitialCPCtarget> should not be a Saturday or Sunday."""
    return f"""
    SELECT s.return_id, {R_S} FROM v_s47 s WHERE isodow(s.icpc_target_date) IN (6, 7)
    """


@rule("8875", "Section47", "Error",
      "The Date of Initial Child Protection Conference cannot be a weekend",
      table="cin_section47", field="DateOfInitialCPC")  # fmt: skip
def _r8875() -> str:
    """A <Section47> group's <DateOfInitialCPC> is not a Saturday or Sunday. Decision on
    the episode-level <DateOfInitialCPC>: DfE files this rule under the Section47 module
    (the 'Module' column of its validation rules, Annex A of the CIN census
    specification) and its text names <DateOfInitialCPC> without a module, so only the
    Section 47 group's date is checked; rules meant for the <CINdetails> module's date
    name that module (2883, 2885, 2990, 8831)."""
    return f"""
    SELECT s.return_id, {R_S} FROM v_s47 s WHERE isodow(s.icpc_date) IN (6, 7)
    """
