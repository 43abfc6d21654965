"""API response models made from the library's result records, never copied by hand.

:func:`record_model` turns a read-only result dataclass into a pydantic model with the
same fields, types and defaults, so a field added to the library record appears in the
API (and its OpenAPI schema) without a second declaration here.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, create_model

__all__ = ["record_model"]


def record_model(
    record: type[Any],
    name: str,
    *,
    doc: str | None = None,
    descriptions: Mapping[str, str] | None = None,
    computed: Mapping[str, tuple[str, Any, Any]] | None = None,
    shapes: Mapping[str, Any] | None = None,
) -> type[BaseModel]:
    """A response model with exactly the fields of the dataclass ``record``.

    Parameters
    ----------
    record : type
        A library result dataclass.
    name : str
        The model's name in the OpenAPI schema.
    doc : str, optional
        Its description (default: the record's docstring).
    descriptions : mapping, optional
        Field name → description for the API reference (words only: the field list,
        types and defaults all come from ``record``).
    computed : mapping, optional
        Field name → (the record field it follows, type, default or ``Field``) for
        properties of the record that the API also gives (read with
        ``from_attributes=True``).
    shapes : mapping, optional
        Field name → the type the API gives that field in, where the record's own type
        is an internal shape (pairs) the API spells out as objects; the field keeps its
        place, default and description.

    Raises
    ------
    TypeError
        If ``record`` is not a dataclass, or a description names no field.
    """
    if not dataclasses.is_dataclass(record):
        raise TypeError(f"{record!r} is not a dataclass")
    words = dict(descriptions or {})
    reshaped = dict(shapes or {})
    hints = typing.get_type_hints(record)
    after: dict[str, list[tuple[str, Any, Any]]] = {}
    for field_name, (follows, kind, default) in (computed or {}).items():
        after.setdefault(follows, []).append((field_name, kind, default))
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        if f.default is not dataclasses.MISSING:
            info = Field(f.default, description=words.pop(f.name, None))
        elif f.default_factory is not dataclasses.MISSING:
            info = Field(default_factory=f.default_factory, description=words.pop(f.name, None))
        else:
            info = Field(description=words.pop(f.name, None))
        fields[f.name] = (reshaped.pop(f.name, hints[f.name]), info)
        for extra_name, kind, default in after.pop(f.name, []):
            fields[extra_name] = (kind, default)
    if words or after or reshaped:
        unknown = sorted({*words, *after, *reshaped})[0]
        raise TypeError(f"{record.__name__} has no field {unknown!r}")
    model: type[BaseModel] = create_model(name, __doc__=doc or record.__doc__, **fields)
    return model
