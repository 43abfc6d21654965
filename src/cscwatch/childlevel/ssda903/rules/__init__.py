"""SSDA903 validation rules: importing this package registers every rule module in it.

Rule modules are found by name (every module here but ``base`` and ``codes``), so a new
module needs no edit elsewhere.
"""

from __future__ import annotations

import importlib
import pkgutil

from cscwatch.childlevel.ssda903.rules.base import RULESETS, all_rules, catalogue, implementation

__all__ = ["RULESETS", "all_rules", "catalogue", "implementation"]

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in {"base", "codes"}:
        importlib.import_module(f"{__name__}.{_module.name}")
