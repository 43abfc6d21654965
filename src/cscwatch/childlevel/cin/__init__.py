"""The CIN census side of the child-level work, in one place.

Inside, imports run one way (checked by import-linter):
``measures`` | ``journeys`` | ``validation`` → ``store`` → ``census`` | ``rules``.

* :mod:`~cscwatch.childlevel.cin.census` — the XML reader (pseudonymises at ingest);
* :mod:`~cscwatch.childlevel.cin.rules` — the DfE validation rules, as SQL;
* :mod:`~cscwatch.childlevel.cin.store` — child-level tables and the child store file;
* :mod:`~cscwatch.childlevel.cin.validation` — a return checked against a ruleset;
* :mod:`~cscwatch.childlevel.cin.measures` — the return's figures as DfE publishes them;
* :mod:`~cscwatch.childlevel.cin.journeys` — Kaplan–Meier time to re-referral and to a
  repeat plan across returns.

Names are exported lazily (PEP 562): a command that needs one module does not pay for
importing every reader. To add an export, add it to ``_EXPORTS``, the ``TYPE_CHECKING``
imports and ``__all__``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cscwatch.childlevel.cin.census import (
        CinCensusReturn,
        CinHeader,
        read_cin_census,
        refuse_hostile_xml,
    )
    from cscwatch.childlevel.cin.journeys import (
        JourneyModel,
        JourneyResults,
        SpellCounts,
        journey_counts,
        journey_data,
        kaplan_meier,
    )
    from cscwatch.childlevel.cin.measures import (
        CinMeasures,
        authority_lookup,
        compute_cin_measures,
    )
    from cscwatch.childlevel.cin.store import (
        CHILD_TABLES,
        TABLE_KEYS,
        child_level_ddl,
        connect_child_store,
        create_child_level_tables,
        delete_return,
        load_child_level,
        load_cin_census,
        load_cin_census_files,
    )
    from cscwatch.childlevel.cin.validation import (
        ValidationIssue,
        ValidationReport,
        parse_ruleset,
        validate_cin_census,
        validate_cin_census_files,
        validate_loaded,
        validate_many,
    )

#: Public name → the module that defines it (imported on first use).
_EXPORTS: dict[str, str] = {
    "CHILD_TABLES": "cscwatch.childlevel.cin.store",
    "CinCensusReturn": "cscwatch.childlevel.cin.census",
    "CinHeader": "cscwatch.childlevel.cin.census",
    "CinMeasures": "cscwatch.childlevel.cin.measures",
    "JourneyModel": "cscwatch.childlevel.cin.journeys",
    "JourneyResults": "cscwatch.childlevel.cin.journeys",
    "SpellCounts": "cscwatch.childlevel.cin.spells",
    "TABLE_KEYS": "cscwatch.childlevel.cin.store",
    "ValidationIssue": "cscwatch.childlevel.cin.validation",
    "ValidationReport": "cscwatch.childlevel.cin.validation",
    "authority_lookup": "cscwatch.childlevel.cin.measures",
    "child_level_ddl": "cscwatch.childlevel.cin.store",
    "compute_cin_measures": "cscwatch.childlevel.cin.measures",
    "connect_child_store": "cscwatch.childlevel.cin.store",
    "create_child_level_tables": "cscwatch.childlevel.cin.store",
    "delete_return": "cscwatch.childlevel.cin.store",
    "journey_counts": "cscwatch.childlevel.cin.journeys",
    "journey_data": "cscwatch.childlevel.cin.journeys",
    "kaplan_meier": "cscwatch.childlevel.cin.journeys",
    "load_child_level": "cscwatch.childlevel.cin.store",
    "load_cin_census": "cscwatch.childlevel.cin.store",
    "load_cin_census_files": "cscwatch.childlevel.cin.store",
    "parse_ruleset": "cscwatch.childlevel.cin.validation",
    "read_cin_census": "cscwatch.childlevel.cin.census",
    "refuse_hostile_xml": "cscwatch.childlevel.cin.census",
    "validate_cin_census": "cscwatch.childlevel.cin.validation",
    "validate_cin_census_files": "cscwatch.childlevel.cin.validation",
    "validate_loaded": "cscwatch.childlevel.cin.validation",
    "validate_many": "cscwatch.childlevel.cin.validation",
}

__all__ = [
    "CHILD_TABLES",
    "TABLE_KEYS",
    "CinCensusReturn",
    "CinHeader",
    "CinMeasures",
    "JourneyModel",
    "JourneyResults",
    "SpellCounts",
    "ValidationIssue",
    "ValidationReport",
    "authority_lookup",
    "child_level_ddl",
    "compute_cin_measures",
    "connect_child_store",
    "create_child_level_tables",
    "delete_return",
    "journey_counts",
    "journey_data",
    "kaplan_meier",
    "load_child_level",
    "load_cin_census",
    "load_cin_census_files",
    "parse_ruleset",
    "read_cin_census",
    "refuse_hostile_xml",
    "validate_cin_census",
    "validate_cin_census_files",
    "validate_loaded",
    "validate_many",
]


def __getattr__(name: str) -> Any:
    """Import the defining module on first use, so importing the package stays cheap."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
