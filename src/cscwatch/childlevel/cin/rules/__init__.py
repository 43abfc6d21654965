"""The CIN census validation rules, one module per part of the census.

Importing this package registers every rule; :func:`rules_for` gives the rules in force
for a ruleset (later rulesets inherit earlier rules, replace some and add others).
"""

from cscwatch.childlevel.cin.rules import (  # noqa: F401  (registers the rules)
    assessments,
    child,
    episodes,
    plans,
    protection,
    section47,
)
from cscwatch.childlevel.cin.rules.base import RULESETS, Rule, RuleType, all_rules, rules_for

__all__ = ["RULESETS", "Rule", "RuleType", "all_rules", "rules_for"]
