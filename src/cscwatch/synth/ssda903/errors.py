"""Validation errors injected into a synthetic SSDA903 return on purpose, one per rule.

Each :class:`Injection` is a declaration: the rule it breaks, the table and field it
changes, the value it writes, and which record it takes (the first record, in file
order, that has a non-blank ``needs`` field, so the change lands on a record the rule
reads). Exactly one record is changed per rule, so validating the return finds that
record for that rule and nothing else the clean return did not already have.

The list starts with rule 103 (implemented on main when this was written) and the
code-list and date-format rules whose logic is plain from DfE's message alone (101 sex,
102 date of birth, 104 DUC date, 141 DECOM date, 143 RNE, 144 LS, 145 CIN, 146 PLACE,
147 DEC date, 149 REC); the values used are codes absent from every collection year's
code list, so each breaks its rule in every year.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cscwatch.core.errors import InputError

__all__ = ["INJECTIONS", "Injection", "inject"]


@dataclass(frozen=True)
class Injection:
    """One declared error.

    Attributes
    ----------
    code : str
        The rule (DfE's code) the change breaks.
    table, field : str
        Where the change is made (DfE field name).
    value : str
        The value written.
    needs : str
        The field that must be non-blank on the record chosen.
    """

    code: str
    table: str
    field: str
    value: str
    needs: str


INJECTIONS: dict[str, Injection] = {
    i.code: i
    for i in (
        Injection("101", "header", "SEX", "9", "SEX"),
        Injection("102", "header", "DOB", "31/02/2010", "DOB"),
        Injection("103", "header", "ETHNIC", "XXXX", "ETHNIC"),
        Injection("104", "uasc", "DUC", "32/13/2030", "DUC"),
        Injection("141", "episodes", "DECOM", "2019-04-01", "DECOM"),
        Injection("143", "episodes", "RNE", "Q", "RNE"),
        Injection("144", "episodes", "LS", "Q9", "LS"),
        Injection("145", "episodes", "CIN", "N9", "CIN"),
        Injection("146", "episodes", "PLACE", "Q9", "PLACE"),
        Injection("147", "episodes", "DEC", "31/04/2020", "DEC"),
        Injection("149", "episodes", "REC", "E99", "REC"),
    )
}


def inject(tables: dict[str, pd.DataFrame], codes: list[str]) -> list[tuple[str, str, int]]:
    """Break each rule of ``codes`` (``["all"]`` for every one) in ``tables`` in place.

    Returns
    -------
    list of (code, table, position)
        What was changed: the rule, the table and the record's position (0-based; its
        line in the CSV file is position + 2). A rule whose table has no record with the
        needed field is left out (a small return may have no UASC child).

    Raises
    ------
    InputError
        A code with no declared injection.
    """
    wanted = list(INJECTIONS) if codes == ["all"] else codes
    unknown = [c for c in wanted if c not in INJECTIONS]
    if unknown:
        raise InputError(
            f"no injected error for rule {unknown[0]}; injectable: {', '.join(INJECTIONS)}"
        )
    done: list[tuple[str, str, int]] = []
    taken: set[tuple[str, int]] = set()
    for code in wanted:
        inj = INJECTIONS[code]
        frame = tables[inj.table]
        for pos in range(len(frame)):
            if (inj.table, pos) in taken or not str(frame.at[pos, inj.needs] or "").strip():
                continue
            frame.at[pos, inj.field] = inj.value
            taken.add((inj.table, pos))
            done.append((code, inj.table, pos))
            break
    return done
