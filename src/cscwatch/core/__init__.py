"""Core: errors, settings and shared types. Imports nothing else of the package."""

from cscwatch.core.config import Settings, repo_root
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
from cscwatch.core.types import STATUS_SYMBOLS, GeoLevel, Year, parse_year

__all__ = [
    "STATUS_SYMBOLS",
    "BuildError",
    "ConfigError",
    "CscwatchError",
    "FetchError",
    "GeoLevel",
    "InputError",
    "SchemaError",
    "Settings",
    "SourceFileError",
    "UnknownAuthorityError",
    "UnknownIndicatorError",
    "UnknownYearError",
    "ValidationFailed",
    "WarehouseError",
    "Year",
    "parse_year",
    "repo_root",
]
