"""The rule registry: how a CIN census validation rule is declared.

A rule is a function returning one SQL ``SELECT`` that yields the failing records as
``(return_id, child_seq, record, tbl, value)`` (the last four from a record locator of
:mod:`~cscwatch.childlevel.cin.rules.sql`, whose value placeholder is filled with the
rule's field on registration); its docstring says how the specification was read.
The SQL runs against these temporary views, already limited to the returns being
validated (aliases used throughout in brackets):

=================  ==========================================================
``census`` (h)     one row per return: ``return_id``, ``reference_date`` (31 March
                   of the ruleset's year), ``period_start`` (1 April before it),
                   ``header_reference_date`` and the working-day cut-offs
                   ``start_minus_1wd``, ``ref_minus_15wd``, ``ref_minus_45wd``
``v_return``       ``cin_return``
``v_child`` (c)    ``cin_child``
``v_disability``   ``cin_disability`` (d)
``v_episode`` (e)  ``cin_episode``
``v_assessment``   ``cin_assessment`` (a)
``v_factor`` (f)   ``cin_assessment_factor``
``v_plan`` (p)     ``cin_plan``
``v_s47`` (s)      ``cin_section47``
``v_cpp`` (cp)     ``cin_cpp``
``v_review`` (r)   ``cin_cpp_review``
=================  ==========================================================

Rules are registered per ruleset: a rule declared for ``cin2022_23`` applies to every
later ruleset until a later declaration with the same code replaces it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from cscwatch.childlevel.cin.rules.sql import fill_value

__all__ = [
    "RULESETS",
    "Rule",
    "RuleType",
    "all_rules",
    "rule",
    "rules_for",
]

RuleType = Literal["Error", "Query"]

#: Known rulesets, oldest first (collection years 2022-23 to 2025-26). The 2025-26
#: collection (reference date 31 March 2026) keeps the 2024-25 rules unchanged: no rule
#: was added, changed or deleted, only the reference date moves (DfE, CIN census
#: 2025-26 specification; ``shared/data/README.md``). It inherits every rule below.
RULESETS: tuple[str, ...] = ("cin2022_23", "cin2023_24", "cin2024_25", "cin2025_26")


@dataclass(frozen=True)
class Rule:
    """One validation rule as the DfE publishes it, with the SQL that checks it.

    Attributes
    ----------
    code : str
        The official code (``8600``, ``8525Q``).
    ruleset : str
        The first ruleset this version applies to.
    module : str
        The census module the DfE files it under (``CINdetails``).
    rule_type : {'Error', 'Query'}
        Errors must be fixed; queries must be fixed or explained.
    message : str
        The official message.
    table : str
        The child-level table holding the failing record.
    field : str
        The XML field reported.
    sql : str
        The ``SELECT return_id, child_seq, record`` of failing records.
    reading : str
        How the specification was read (the function's docstring).
    """

    code: str
    ruleset: str
    module: str
    rule_type: RuleType
    message: str
    table: str
    field: str
    sql: str
    reading: str


_REGISTRY: dict[tuple[str, str], Rule] = {}


def rule(
    code: str,
    module: str,
    rule_type: RuleType,
    message: str,
    *,
    table: str,
    field: str,
    ruleset: str = "cin2022_23",
) -> Callable[[Callable[[], str]], Callable[[], str]]:
    """Register the decorated SQL-returning function as rule ``code`` from ``ruleset`` on."""
    if ruleset not in RULESETS:
        raise ValueError(f"unknown ruleset {ruleset!r}")

    def register(fn: Callable[[], str]) -> Callable[[], str]:
        key = (code, ruleset)
        if key in _REGISTRY:
            raise ValueError(f"rule {code} declared twice for {ruleset}")
        _REGISTRY[key] = Rule(
            code=code,
            ruleset=ruleset,
            module=module,
            rule_type=rule_type,
            message=message,
            table=table,
            field=field,
            sql=fill_value(fn().strip(), field),
            reading=" ".join((fn.__doc__ or "").split()),
        )
        return fn

    return register


def all_rules() -> list[Rule]:
    """Every declared version of every rule."""
    return list(_REGISTRY.values())


def rules_for(ruleset: str) -> list[Rule]:
    """The rules in force for ``ruleset``: the latest version of each code, by code."""
    if ruleset not in RULESETS:
        raise ValueError(f"unknown ruleset {ruleset!r}")
    rank = RULESETS.index(ruleset)
    chosen: dict[str, Rule] = {}
    for r in _REGISTRY.values():
        if RULESETS.index(r.ruleset) > rank:
            continue
        held = chosen.get(r.code)
        if held is None or RULESETS.index(r.ruleset) > RULESETS.index(held.ruleset):
            chosen[r.code] = r
    return sorted(chosen.values(), key=lambda r: (_code_key(r.code), r.code))


def _code_key(code: str) -> int:
    return int(code.rstrip("Q"))
