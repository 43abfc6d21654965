"""The rule registry: how an SSDA903 validation rule is declared.

A rule is a function returning one SQL ``SELECT`` that yields the failing records as
``(tbl, row_no)``: the staged table holding the record (``'episodes'``) and the record's
``row_no`` there. The runner (:mod:`cscwatch.childlevel.ssda903.engine`) adds the child,
the rule's message and the values of its affected fields. The function's docstring says
how the rule was read: DfE publishes a message per rule, not a specification, so every
reading that is not plain from the message is written down there.

The SQL runs against the staged tables of :mod:`cscwatch.childlevel.ssda903.tables`
(``header``, ``episodes``, ... and ``<name>_last`` for the previous year's return) and one
row of ``collection`` (``collection_start``: 1 April, ``collection_end``: 31 March,
``year``: the year the collection ends).

Several returns may be staged at once (:mod:`..storevalidation`), each one's children
numbered apart. So a rule compares a child's records only with that child's own (joins,
groups, partitions and ``EXISTS`` by ``child``), with ``collection`` and with the
reference tables; a rule that compares records of different children partitions (or
joins) by ``record_return(row_no)`` as well, the return a record belongs to (0 when one
return is staged); and the placing authority is the row of ``placing_la(ret, la)``
whose ``ret`` is the record's return (``pl_location(postcode, row_no)``).

Which rules are in force for a collection year is DfE's catalogue for that year
(``catalogue/validation_rules_YYYY_YY.csv``, whose messages, affected fields and tables
are used as published). An implementation declared for ``lac2022_23`` serves every later
year until a declaration of the same code for a later year replaces it.
"""

from __future__ import annotations

import ast
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from cscwatch.childlevel.ssda903.tables import DERIVED_FROM, TABLES, table_for_catalogue_name

__all__ = [
    "RULESETS",
    "CatalogueEntry",
    "Need",
    "Rule",
    "all_rules",
    "catalogue",
    "implementation",
    "rule",
    "shown_fields",
]

#: Collection years with a DfE rule catalogue, oldest first.
RULESETS: tuple[str, ...] = ("lac2022_23", "lac2023_24", "lac2024_25", "lac2025_26", "lac2026_27")

#: Inputs a rule may need beyond the current return's tables: the previous year's return,
#: reference postcodes (distances, and the local authority of a placement), Ofsted's
#: provider lists, the submitting authority's own code (``--la-code``), and the UASC
#: status as the XML export's header gives it (a CSV set has no such field).
Need = Literal["previous", "postcodes", "providers", "la_code", "uasc_status"]


@dataclass(frozen=True)
class CatalogueEntry:
    """One rule as DfE's catalogue for a collection year lists it.

    Attributes
    ----------
    code : str
        The rule code (``103``, ``392c``, ``INT01``).
    message : str
        DfE's message.
    fields : tuple of str
        The affected fields.
    tables : tuple of str
        The staged tables the catalogue names (``episodes``, ``header_last``,
        ``providers``).
    """

    code: str
    message: str
    fields: tuple[str, ...]
    tables: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One implementation of a rule.

    Attributes
    ----------
    code : str
        The rule code.
    ruleset : str
        The first collection year this implementation serves.
    tables : tuple of str
        The current-year tables the SQL reads (a rule is not run when one was not given).
    needs : tuple of Need
        Further inputs the SQL reads (``previous`` for any ``<name>_last`` table).
    sql : str
        The ``SELECT tbl, row_no`` of failing records.
    reading : str
        How the rule was read (the function's docstring).
    shows : tuple of str
        Fields its findings show besides the catalogue's affected fields: those the rule
        tests on a record it flags that the catalogue leaves out (:func:`shown_fields`).
    """

    code: str
    ruleset: str
    tables: tuple[str, ...]
    needs: tuple[Need, ...]
    sql: str
    reading: str
    shows: tuple[str, ...] = ()


_REGISTRY: dict[tuple[str, str], Rule] = {}


def rule(
    code: str,
    *,
    tables: tuple[str, ...],
    needs: tuple[Need, ...] = (),
    ruleset: str = "lac2022_23",
    shows: tuple[str, ...] = (),
) -> Callable[[Callable[[], str]], Callable[[], str]]:
    """Register the decorated SQL-returning function as rule ``code`` from ``ruleset`` on.

    Parameters
    ----------
    code : str
        The code as DfE's catalogue spells it.
    tables : tuple of str
        Current-year staged tables the SQL reads (``("episodes", "header")``).
    needs : tuple of Need
        ``"previous"`` when it reads ``*_last`` tables; ``"postcodes"`` (``pc_miles``,
        ``pl_la``, ``postcode_ref``); ``"providers"`` (the ``providers`` table);
        ``"la_code"`` (``placing_la``: the authority's own code); ``"uasc_status"``
        (``header.uasc`` as returned, not derived).
    ruleset : str
        The first collection year this version serves (``lac2022_23``...).
    shows : tuple of str
        Fields its findings show besides DfE's affected fields: those it tests on a
        record it flags that the catalogue leaves out (rule 118's placed-for-adoption
        record, whose DATE_PLACED_CEASED DfE's catalogue lists as a second DECOM; the
        DOB of the age rules).
    """
    if ruleset not in RULESETS:
        raise ValueError(f"unknown ruleset {ruleset!r}")

    def register(fn: Callable[[], str]) -> Callable[[], str]:
        key = (code, ruleset)
        if key in _REGISTRY:
            raise ValueError(f"rule {code} declared twice for {ruleset}")
        _REGISTRY[key] = Rule(
            code=code,
            ruleset=ruleset,
            tables=tables,
            needs=needs,
            sql=fn().strip(),
            reading=" ".join((fn.__doc__ or "").split()),
            shows=shows,
        )
        return fn

    return register


def shown_fields(entry: CatalogueEntry, impl: Rule, table: str) -> tuple[str, ...]:
    """The fields a finding of a rule shows on a record of ``table`` (a staged table,
    ``episodes`` or ``episodes_last``), each once, in the catalogue's order.

    DfE's affected fields (``entry.fields``), then the rule's own ``shows``; a field
    DfE derives from postcodes (PL_DISTANCE, PL_LA, PL_LOCATION: no file carries them)
    stands for the fields it is derived from (:data:`.tables.DERIVED_FROM`); of those,
    the fields the table has. A field the catalogue names twice (rule 118's DECOM) is
    shown once.
    """
    named = [*entry.fields, *impl.shows]
    wanted = dict.fromkeys(g for f in named for g in DERIVED_FROM.get(f, (f,)))
    staged = TABLES[table.removesuffix("_last")].staged
    return tuple(f for f in wanted if f in staged)


def all_rules() -> list[Rule]:
    """Every declared implementation of every rule."""
    return list(_REGISTRY.values())


def implementation(code: str, ruleset: str) -> Rule | None:
    """The implementation of ``code`` serving ``ruleset`` (None when there is none)."""
    rank = RULESETS.index(ruleset)
    best: Rule | None = None
    for r in _REGISTRY.values():
        if r.code != code or RULESETS.index(r.ruleset) > rank:
            continue
        if best is None or RULESETS.index(r.ruleset) > RULESETS.index(best.ruleset):
            best = r
    return best


@cache
def catalogue(ruleset: str) -> tuple[CatalogueEntry, ...]:
    """DfE's rules for the collection year ``ruleset``, in the catalogue's order."""
    if ruleset not in RULESETS:
        raise ValueError(f"unknown ruleset {ruleset!r}")
    name = f"validation_rules_{ruleset.removeprefix('lac')}.csv"
    text = (
        resources.files("cscwatch.childlevel.ssda903.rules")
        .joinpath("catalogue", name)
        .read_text(encoding="utf-8")
    )
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        fields = tuple(str(f) for f in ast.literal_eval(row["Affected fields"]))
        tables = tuple(table_for_catalogue_name(str(t)) for t in ast.literal_eval(row["Tables"]))
        out.append(CatalogueEntry(row["Rule code"], row["Rule message"], fields, tables))
    return tuple(out)
