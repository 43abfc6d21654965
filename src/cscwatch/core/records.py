"""Plain values of the library's records, for JSON, CSV and the API.

A result record (a frozen dataclass) is declared once; :func:`plain` turns it into the
JSON-ready shape every output uses (``to_dict`` methods, CLI JSON, CSV rows), and
:func:`cscwatch.serve.api._records.record_model` turns its declaration into the API's
response model. Neither re-lists the fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from enum import Enum
from typing import Any

__all__ = ["plain"]


def plain(value: Any) -> Any:
    """``value`` as JSON-ready Python values.

    Dataclasses become dicts in field order, dates ISO text, enums their value, tuples,
    lists, sets and frozensets lists (sets sorted, so output never depends on hash
    order), and mappings dicts with plain keys and values; anything else is returned
    as it is.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
