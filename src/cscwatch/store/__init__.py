"""Store: the DuckDB warehouse of published data and the separate child-level store.

Each group of tables has its own module with its DDL and loader; child-level CIN
census tables live in :mod:`cscwatch.store.child_level` and never in the warehouse.

Names are exported lazily (PEP 562): a command that needs one module does not pay for
importing every reader. To add an export, add it to ``_EXPORTS``, the ``TYPE_CHECKING``
imports and ``__all__``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cscwatch.store.child_level import (
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
    from cscwatch.store.inspections import (
        Inspection,
        load_inspections,
        read_inspections,
    )

#: Public name → the module that defines it (imported on first use).
_EXPORTS: dict[str, str] = {
    "CHILD_TABLES": "cscwatch.store.child_level",
    "Inspection": "cscwatch.store.inspections",
    "TABLE_KEYS": "cscwatch.store.child_level",
    "child_level_ddl": "cscwatch.store.child_level",
    "connect_child_store": "cscwatch.store.child_level",
    "create_child_level_tables": "cscwatch.store.child_level",
    "delete_return": "cscwatch.store.child_level",
    "load_child_level": "cscwatch.store.child_level",
    "load_cin_census": "cscwatch.store.child_level",
    "load_cin_census_files": "cscwatch.store.child_level",
    "load_inspections": "cscwatch.store.inspections",
    "read_inspections": "cscwatch.store.inspections",
}

__all__ = [
    "CHILD_TABLES",
    "TABLE_KEYS",
    "Inspection",
    "child_level_ddl",
    "connect_child_store",
    "create_child_level_tables",
    "delete_return",
    "load_child_level",
    "load_cin_census",
    "load_cin_census_files",
    "load_inspections",
    "read_inspections",
]


def __getattr__(name: str) -> Any:
    """Import the defining module on first use, so importing the package stays cheap."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
