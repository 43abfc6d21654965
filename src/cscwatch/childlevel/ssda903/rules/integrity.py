"""The INT rules: records that do not agree with the header (child, date of birth, sex).

DfE's internal checks tie every child-level table to ``header``: a child named in a table
must have a header record (INT01-INT09), the date of birth given on a table must be the
header's (INT11-INT18), the sex on ``uasc`` must be the header's (INT21), and tables
holding one record per child must not hold two (INT31-INT36). The same check is made
for several tables, so the rules are declared from the tables below rather than written
out one by one; each rule's reading is built with it.
"""

from __future__ import annotations

from collections.abc import Callable

from cscwatch.childlevel.ssda903.rules.base import rule

__all__: list[str] = []

#: Rule code to the table whose children must exist in ``header``.
_IN_HEADER = {
    "INT01": "ad1",
    "INT02": "placed_for_adoption",
    "INT03": "episodes",
    "INT04": "missing",
    "INT05": "oc2",
    "INT06": "oc3",
    "INT07": "previous_permanence",
    "INT08": "reviews",
    "INT09": "uasc",
}

#: Rule code to the table whose DOB must be the header's.
_SAME_DOB = {
    "INT11": "ad1",
    "INT12": "placed_for_adoption",
    "INT13": "missing",
    "INT14": "oc2",
    "INT15": "oc3",
    "INT16": "previous_permanence",
    "INT17": "reviews",
    "INT18": "uasc",
}

#: Rule code to the table holding at most one record per child.
_ONCE = {
    "INT31": "ad1",
    "INT32": "header",
    "INT33": "oc2",
    "INT34": "oc3",
    "INT35": "previous_permanence",
    "INT36": "uasc",
}


def _declare(code: str, tables: tuple[str, ...], sql: str, reading: str) -> None:
    """Register ``sql`` as rule ``code`` with ``reading`` as its docstring."""

    def make() -> str:
        return sql

    make.__doc__ = reading
    make.__name__ = f"_r{code.lower()}"
    register: Callable[[Callable[[], str]], Callable[[], str]] = rule(code, tables=tables)
    register(make)


for _code, _table in _IN_HEADER.items():
    _declare(
        _code,
        (_table, "header"),
        f"""
        SELECT '{_table}' AS tbl, t.row_no FROM {_table} t
        WHERE NOT EXISTS (SELECT 1 FROM header h WHERE h.child = t.child)
        """,
        f"""Every {_table} record whose CHILD matches no header record's CHILD (compared
        exactly, after trimming); a blank CHILD matches nothing and is flagged.""",
    )

_HEADER_RULE = {table: code for code, table in _IN_HEADER.items()}

for _code, _table in _SAME_DOB.items():
    _declare(
        _code,
        (_table, "header"),
        f"""
        SELECT DISTINCT '{_table}' AS tbl, t.row_no FROM {_table} t
        JOIN header h ON h.child = t.child
        WHERE t.dob_d <> h.dob_d
        """,
        f"""Every {_table} record whose DOB, read as a dd/mm/yyyy date, differs from the
        DOB on a header record of the same child. Records where either DOB is blank or
        not a date are left to the rules on missing and invalid dates; a child with no
        header record is {_HEADER_RULE[_table]}'s finding, not this one's.""",
    )

for _code, _table in _ONCE.items():
    _declare(
        _code,
        (_table,),
        f"""
        SELECT '{_table}' AS tbl, row_no FROM {_table}
        WHERE child IN (
            SELECT child FROM {_table} WHERE child IS NOT NULL
            GROUP BY child HAVING count(*) > 1
        )
        """,
        f"""Every {_table} record of a child who has more than one {_table} record (all
        of them are flagged, since the return does not say which is right). Blank
        CHILD values are not counted as one repeated child.""",
    )


@rule("INT21", tables=("uasc", "header"))
def _rint21() -> str:
    """Every uasc record whose SEX differs from the SEX on a header record of the same
    child. The old codes 1 and 2 are read as M and F before comparing, so a return
    mixing the old and new codes between tables is not flagged for that alone; blank
    values on either side are left to the rules on missing sex."""
    return """
    SELECT DISTINCT 'uasc' AS tbl, u.row_no FROM uasc u
    JOIN header h ON h.child = u.child
    WHERE u.sex IS NOT NULL AND h.sex IS NOT NULL
      AND (CASE u.sex WHEN '1' THEN 'M' WHEN '2' THEN 'F' ELSE u.sex END)
          <> (CASE h.sex WHEN '1' THEN 'M' WHEN '2' THEN 'F' ELSE h.sex END)
    """
