"""Store: the DuckDB warehouse of published data.

Each group of tables has its own module with its DDL and loader; child-level CIN
census tables live in the separate child store (:mod:`cscwatch.childlevel.cin.store`)
and never in the warehouse.

Names are exported lazily (PEP 562): a command that needs one module does not pay for
importing every reader. To add an export, add it to ``_EXPORTS``, the ``TYPE_CHECKING``
imports and ``__all__``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cscwatch.store.inspections import (
        Inspection,
        load_inspections,
        read_inspections,
    )

#: Public name → the module that defines it (imported on first use).
_EXPORTS: dict[str, str] = {
    "Inspection": "cscwatch.store.inspections",
    "load_inspections": "cscwatch.store.inspections",
    "read_inspections": "cscwatch.store.inspections",
}

__all__ = [
    "Inspection",
    "load_inspections",
    "read_inspections",
]


def __getattr__(name: str) -> Any:
    """Import the defining module on first use, so importing the package stays cheap."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
