"""The error hierarchy of cscwatch.

Callers catch at the level they need; the CLI turns any ``CscwatchError`` into one
line and exit code 2, the API into the pinned JSON error shape.

::

    CscwatchError
    ├── ConfigError                 settings missing or inconsistent (e.g. no pseudonym key)
    ├── InputError                  something a user asked for or supplied is wrong
    │   ├── UnknownAuthorityError   name or code resolves to no authority (carries suggestions)
    │   │   └── AmbiguousAuthorityError  several authorities match equally (lists them)
    │   ├── UnknownIndicatorError   indicator id not in the catalogue (carries suggestions)
    │   ├── UnknownYearError        year malformed or not available for the indicator
    │   └── SourceFileError         a data file is unreadable, malformed or hostile
    │       └── SchemaError         a file parsed but a column/field breaks its declared schema
    ├── FetchError                  a download failed verification (size, checksum, columns)
    ├── WarehouseError              the DuckDB warehouse is missing, locked or inconsistent
    │   └── BuildError              a build failed; the previous warehouse is untouched
    └── ValidationFailed            child-level validation found errors (carries the issues)
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AmbiguousAuthorityError",
    "BuildError",
    "ConfigError",
    "CscwatchError",
    "FetchError",
    "InputError",
    "SchemaError",
    "SourceFileError",
    "UnknownAuthorityError",
    "UnknownIndicatorError",
    "UnknownYearError",
    "ValidationFailed",
    "WarehouseError",
]


class CscwatchError(Exception):
    """Base of every error cscwatch raises on purpose."""

    #: Short machine-readable code used in the API's JSON error shape.
    code = "cscwatch_error"


class ConfigError(CscwatchError):
    """Settings are missing or inconsistent."""

    code = "config_error"


class InputError(CscwatchError):
    """Something the user asked for or supplied is wrong."""

    code = "bad_input"


def _listed(names: Sequence[str]) -> str:
    """Names joined by commas, or by semicolons when a name has a comma of its own."""
    return ("; " if any("," in n for n in names) else ", ").join(names)


class _UnknownNameError(InputError):
    def __init__(self, kind: str, given: str, suggestions: Sequence[str] = ()) -> None:
        self.given = given
        self.suggestions = list(suggestions)
        msg = f"unknown {kind} {given!r}"
        if self.suggestions:
            msg += "; did you mean: " + _listed(self.suggestions) + "?"
        super().__init__(msg)


class UnknownAuthorityError(_UnknownNameError):
    """An authority name or code that resolves to no authority."""

    code = "unknown_authority"

    def __init__(self, given: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__("authority", given, suggestions)


class AmbiguousAuthorityError(UnknownAuthorityError):
    """Text that names several authorities equally ("Kingston"); ``suggestions`` lists
    them, each in a form that resolves to one authority."""

    code = "ambiguous_authority"

    def __init__(self, given: str, choices: Sequence[str]) -> None:
        super().__init__(given, choices)
        InputError.__init__(
            self, f"authority {given!r} is ambiguous; did you mean: {_listed(choices)}?"
        )


class UnknownIndicatorError(_UnknownNameError):
    """An indicator id that is not in the catalogue."""

    code = "unknown_indicator"

    def __init__(self, given: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__("indicator", given, suggestions)


class UnknownYearError(InputError):
    """A year that is malformed or has no data."""

    code = "unknown_year"


class SourceFileError(InputError):
    """A data file is unreadable, malformed or hostile.

    Carries the file and, where known, the row (1-based, header = row 1) and column.
    """

    code = "bad_source_file"

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = path
        self.row = row
        self.column = column
        where = []
        if path is not None:
            where.append(f"file {path}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class SchemaError(SourceFileError):
    """A file parsed but a column or field breaks its declared schema."""

    code = "schema_error"


class FetchError(CscwatchError):
    """A download failed or failed verification."""

    code = "fetch_error"


class WarehouseError(CscwatchError):
    """The warehouse is missing, locked or inconsistent."""

    code = "warehouse_error"


class BuildError(WarehouseError):
    """A build failed; the previous warehouse was left untouched."""

    code = "build_error"


class ValidationFailed(CscwatchError):
    """Child-level validation found errors."""

    code = "validation_failed"
