"""Core: errors, settings and shared types. Imports nothing else of the package.

Names are exported lazily (PEP 562), as in :mod:`cscwatch.store`: importing
``cscwatch.core.errors`` (which every command does) must not import pydantic, which
only :mod:`cscwatch.core.config` needs. To add an export, add it to ``_EXPORTS``, the
``TYPE_CHECKING`` imports and ``__all__``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cscwatch.core.config import Settings, bundled, bundled_snapshot, repo_root
    from cscwatch.core.errors import (
        BuildError,
        ConfigError,
        CscwatchError,
        FetchError,
        InputError,
        SchemaError,
        SourceFileError,
        UnknownAuthorityError,
        UnknownIndicatorError,
        UnknownYearError,
        ValidationFailed,
        WarehouseError,
    )
    from cscwatch.core.types import (
        STATUS_SYMBOLS,
        GeoLevel,
        PeriodKind,
        Year,
        parse_period,
        parse_year,
        period_label,
    )

#: Public name → the module that defines it (imported on first use).
_EXPORTS: dict[str, str] = {
    "STATUS_SYMBOLS": "cscwatch.core.types",
    "BuildError": "cscwatch.core.errors",
    "ConfigError": "cscwatch.core.errors",
    "CscwatchError": "cscwatch.core.errors",
    "FetchError": "cscwatch.core.errors",
    "GeoLevel": "cscwatch.core.types",
    "InputError": "cscwatch.core.errors",
    "PeriodKind": "cscwatch.core.types",
    "SchemaError": "cscwatch.core.errors",
    "Settings": "cscwatch.core.config",
    "SourceFileError": "cscwatch.core.errors",
    "UnknownAuthorityError": "cscwatch.core.errors",
    "UnknownIndicatorError": "cscwatch.core.errors",
    "UnknownYearError": "cscwatch.core.errors",
    "ValidationFailed": "cscwatch.core.errors",
    "WarehouseError": "cscwatch.core.errors",
    "Year": "cscwatch.core.types",
    "bundled": "cscwatch.core.config",
    "bundled_snapshot": "cscwatch.core.config",
    "parse_period": "cscwatch.core.types",
    "parse_year": "cscwatch.core.types",
    "period_label": "cscwatch.core.types",
    "repo_root": "cscwatch.core.config",
}

__all__ = [
    "STATUS_SYMBOLS",
    "BuildError",
    "ConfigError",
    "CscwatchError",
    "FetchError",
    "GeoLevel",
    "InputError",
    "PeriodKind",
    "SchemaError",
    "Settings",
    "SourceFileError",
    "UnknownAuthorityError",
    "UnknownIndicatorError",
    "UnknownYearError",
    "ValidationFailed",
    "WarehouseError",
    "Year",
    "bundled",
    "bundled_snapshot",
    "parse_period",
    "parse_year",
    "period_label",
    "repo_root",
]


def __getattr__(name: str) -> Any:
    """Import the defining module on first use, so importing the package stays cheap."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
