"""The child-level CIN tables declared once: every table, its columns and how each is
typed on load.

The reader (:mod:`cscwatch.childlevel.cin.census`) hands over columns in this layout and
the child store (:mod:`cscwatch.childlevel.cin.store`) creates and fills tables from it;
both read this declaration, neither imports the other back. The contract is written up
in ``docs/child_level_schema.md``.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["CHILD_TABLES", "TABLE_KEYS", "ColumnKind"]

#: How a column is typed on load: ``key`` (INTEGER position, made by the reader),
#: ``text`` (VARCHAR as given), ``date``, ``bool``, ``int``, ``timestamp`` (typed from
#: text, invalid → NULL and a ``cin_format_issue`` row), ``flag`` (BOOLEAN computed by
#: the reader), ``count`` (INTEGER computed by the reader).
ColumnKind = Literal["key", "text", "date", "bool", "int", "timestamp", "flag", "count"]

#: Every child-level table: column name → kind, in DDL order. ``return_id`` leads each.
CHILD_TABLES: dict[str, dict[str, ColumnKind]] = {
    "cin_return": {
        "return_id": "text",  # sha256 of the file bytes, hex, first 16
        "la_code": "text",  # <LEA>
        "collection_year": "count",  # year ending 31 March of ReferenceDate
        "reference_date": "date",
        "collection": "text",  # <Collection>, 'CIN'
        "header_year": "int",  # <Year> as given
        "source_level": "text",
        "software_code": "text",
        "release": "text",
        "serial_no": "text",
        "file_datetime": "timestamp",
        "synthetic": "flag",
        "children": "count",
    },
    "cin_child": {
        "return_id": "text",
        "child_seq": "key",  # 1-based position of <Child> in the file
        "child_id": "text",  # HMAC(LAchildID); NULL when LAchildID missing
        "upn_hash": "text",
        "former_upn_hash": "text",
        "upn_unknown": "text",
        "birth_date": "date",
        "expected_birth_date": "date",
        "death_date": "date",
        "sex": "text",  # <Sex> (2024-25 on) or <GenderCurrent>, as given
        "sex_field": "text",  # which element it came from: 'Sex' or 'GenderCurrent'
        "ethnicity": "text",
        # Format facts about the raw identifiers, computed before they are hashed so
        # that validation never needs the raw values.
        "la_child_id_length": "count",
        "la_child_id_alnum": "flag",
        "upn_check_ok": "flag",  # character 1 is the right check letter
        "upn_la_code": "text",  # characters 2-4 of the UPN (an LA number)
        "upn_digits_ok": "flag",  # characters 5-12 numeric
        "upn_char13_ok": "flag",  # character 13 numeric or A-Z except I, O, S
        "upn_length_ok": "flag",  # exactly 13 characters
        "former_upn_format_ok": "flag",  # every UPN format test passes
    },
    "cin_disability": {
        "return_id": "text",
        "child_seq": "key",
        "disability_seq": "key",
        "disability": "text",
    },
    "cin_episode": {
        "return_id": "text",
        "child_seq": "key",
        "episode_seq": "key",
        "referral_date": "date",
        "referral_source": "text",
        "primary_need_code": "text",
        "closure_date": "date",
        "reason_for_closure": "text",
        "initial_cpc_date": "date",
        "referral_nfa": "bool",
    },
    "cin_assessment": {
        "return_id": "text",
        "child_seq": "key",
        "episode_seq": "key",
        "assessment_seq": "key",
        "start_date": "date",
        "authorisation_date": "date",
    },
    "cin_assessment_factor": {
        "return_id": "text",
        "child_seq": "key",
        "episode_seq": "key",
        "assessment_seq": "key",
        "factor_seq": "key",
        "factor": "text",
    },
    "cin_plan": {
        "return_id": "text",
        "child_seq": "key",
        "episode_seq": "key",
        "plan_seq": "key",
        "start_date": "date",
        "end_date": "date",
    },
    "cin_section47": {
        "return_id": "text",
        "child_seq": "key",
        "episode_seq": "key",
        "s47_seq": "key",
        "start_date": "date",
        "icpc_target_date": "date",
        "icpc_date": "date",
        "icpc_not_required": "bool",
    },
    "cin_cpp": {
        "return_id": "text",
        "child_seq": "key",
        "episode_seq": "key",
        "cpp_seq": "key",
        "start_date": "date",
        "end_date": "date",
        "initial_category": "text",
        "latest_category": "text",
        "previous_cpp_count": "int",
    },
    "cin_cpp_review": {
        "return_id": "text",
        "child_seq": "key",
        "episode_seq": "key",
        "cpp_seq": "key",
        "review_seq": "key",
        "review_date": "date",
    },
}

#: The position columns that identify one record of each table.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    name: tuple(c for c, k in cols.items() if k == "key") for name, cols in CHILD_TABLES.items()
}
