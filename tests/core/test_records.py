"""core.records.plain: the JSON-ready shape of a record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cscwatch.core.records import plain


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Inner:
    when: date | None
    tags: frozenset[Colour]


@dataclass(frozen=True)
class Outer:
    name: str
    inner: Inner
    by_colour: dict[Colour, int]
    items: tuple[Inner, ...] = ()


def test_plain_is_json_ready_in_field_order_and_sorted_sets() -> None:
    x = Outer(
        "a",
        Inner(date(2025, 3, 31), frozenset({Colour.RED, Colour.BLUE})),
        {Colour.RED: 1},
        (Inner(None, frozenset()),),
    )
    assert plain(x) == {
        "name": "a",
        "inner": {"when": "2025-03-31", "tags": ["blue", "red"]},
        "by_colour": {"red": 1},
        "items": [{"when": None, "tags": []}],
    }
    assert list(plain(x)) == ["name", "inner", "by_colour", "items"]
